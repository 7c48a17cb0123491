//! The confined child's side of sshgate's escape suite (`tests/escape_*.rs`).
//!
//! sshgate executes this program as an allowed command. Each subcommand
//! makes one escape attempt with raw syscalls and prints one line saying how
//! it ended:
//!
//! - `ok`: every call of the attempt succeeded;
//! - `err CALL ERRNO`: the named call failed with that errno, e.g.
//!   `err socket EPERM` (refused before a socket existed) or
//!   `err connect EACCES` (the socket was made, the connect refused).
//!
//! It exits 0 either way, so a test can tell "the attempt was refused" from
//! "the probe never ran"; a usage error exits 2. `status`, `fds` and `env`
//! print what the process sees instead of an outcome.
//!
//! Test-only and never published. It depends on libc alone, so a refused
//! call is exactly the syscall named here, not one a library added.

use std::env;
use std::ffi::{CStr, CString};
use std::fs;
use std::mem;
use std::process::ExitCode;
use std::ptr;

use libc::{c_int, c_long, c_void, pid_t};

const USAGE: &str = "\
usage: sshgate-escape-probe ATTEMPT [ARGS]

attempts (each prints `ok` or `err CALL ERRNO`):
  read PATH                open(O_RDONLY) and read one byte
  write PATH               open(O_WRONLY|O_CREAT|O_TRUNC) and write
  exec PATH [ARG...]       execve PATH (prints only if it fails)
  chmod PATH MODE          chmod(PATH, MODE), MODE in octal
  chmod-opath PATH MODE    open(PATH, O_PATH), then fchmodat2(fd, \"\",
                           MODE, AT_EMPTY_PATH): no grant opens an O_PATH
  fchmod PATH MODE         open(PATH, O_RDONLY), then fchmod(fd, MODE)
  utime PATH               utimensat(AT_FDCWD, PATH, epoch)
  setxattr PATH            setxattr(PATH, user.sshgate, x)
  create PATH MODE         open(PATH, O_CREAT|O_EXCL|O_WRONLY, MODE)
  prlimit PID              prlimit(PID, RLIMIT_NOFILE, 5 5)
  shmget                   shmget(IPC_PRIVATE, 4096), removed again
  mq NAME                  mq_open(/NAME, O_CREAT), then mq_unlink it
  btrfs-subvol DIR NAME    open(DIR, O_RDONLY), BTRFS_IOC_SUBVOL_CREATE NAME
  btrfs-writable PATH      open(PATH, O_RDONLY), BTRFS_IOC_SUBVOL_SETFLAGS 0
                           (makes a read-only snapshot writable)
  memfd-exec PATH [ARG...] copy PATH into a memfd and fexecve that
  symlink TARGET LINK      symlink(TARGET, LINK)
  link OLD NEW             link(OLD, NEW), a hard link
  tcp4 PORT | tcp6 PORT    TCP socket, connect to 127.0.0.1 / ::1 PORT
  mptcp4 PORT              MPTCP stream socket, connect to 127.0.0.1 PORT
  listen4                  TCP socket, listen without bind (the kernel
                           binds an ephemeral port), accept one connection;
                           prints `listening PORT` first
  fastopen4 PORT           TCP socket, never connected: sendto 127.0.0.1
                           PORT with MSG_FASTOPEN (TCP Fast Open)
  socket FAMILY TYPE PROTO socket(FAMILY, TYPE, PROTO), numbers, then close
  udp4 PORT                UDP socket, sendto 127.0.0.1 PORT
  unix PATH                AF_UNIX stream socket, connect to PATH
  abstract NAME            AF_UNIX stream socket, connect to @NAME
  abstract-own NAME        listen on @NAME, then connect to it
  kill PID SIGNAL          kill(PID, SIGNAL)
  kill-child               fork a child, then kill(child, SIGTERM)
  fork                     fork a child that exits at once
  unshare-user             unshare(CLONE_NEWUSER)
  clone-user               raw clone(CLONE_NEWUSER | SIGCHLD)
  clone3-user              clone3 with CLONE_NEWUSER
  ptrace parent            ptrace(PTRACE_SEIZE, getppid())
  ptrace child             fork a child, then ptrace(PTRACE_ATTACH, child)
  vm-read parent ADDR      process_vm_readv 8 bytes at ADDR (hex) of getppid()
  vm-read self             process_vm_readv of its own memory
  io-uring                 io_uring_setup with one entry
  bpf map                  bpf(BPF_MAP_CREATE) of a one-entry array
  bpf bad-attr             bpf(BPF_MAP_CREATE) with an unmapped attr pointer
  mount FSTYPE TARGET      mount(\"sshgate-probe\", TARGET, FSTYPE)
  mount-bad-fstype TARGET  mount with an unmapped filesystem-type pointer
  keyctl                   keyctl(KEYCTL_GET_KEYRING_ID) of the process keyring
  add-key                  add_key(\"user\") to the process keyring
  x32-getpid               getpid through its x32-ABI syscall number
  personality              personality(ADDR_NO_RANDOMIZE)
  tiocsti                  ioctl(0, TIOCSTI)

views:
  status                   print /proc/self/status
  fds                      print the open descriptors, e.g. `0 1 2`
  env                      print the environment, one NAME=VALUE a line";

/// A refused call: which one, and the errno it failed with.
struct Failure {
    call: &'static str,
    errno: c_int,
}

/// How an attempt ended.
type Outcome = Result<(), Failure>;

/// The errno of the call that just failed.
fn failed(call: &'static str) -> Failure {
    Failure {
        call,
        errno: std::io::Error::last_os_error().raw_os_error().unwrap_or(0),
    }
}

/// `ret` if the call succeeded, its errno if it returned a negative value.
fn check(call: &'static str, ret: i64) -> Result<i64, Failure> {
    if ret < 0 { Err(failed(call)) } else { Ok(ret) }
}

/// The symbolic name of `errno`, or `E<number>` for one not listed.
fn errno_name(errno: c_int) -> String {
    let name = match errno {
        libc::EPERM => "EPERM",
        libc::ENOENT => "ENOENT",
        libc::ESRCH => "ESRCH",
        libc::EINTR => "EINTR",
        libc::EIO => "EIO",
        libc::ENXIO => "ENXIO",
        libc::E2BIG => "E2BIG",
        libc::ENOEXEC => "ENOEXEC",
        libc::EBADF => "EBADF",
        libc::ECHILD => "ECHILD",
        libc::EAGAIN => "EAGAIN",
        libc::ENOMEM => "ENOMEM",
        libc::EACCES => "EACCES",
        libc::EFAULT => "EFAULT",
        libc::EBUSY => "EBUSY",
        libc::EEXIST => "EEXIST",
        libc::EXDEV => "EXDEV",
        libc::ENODEV => "ENODEV",
        libc::ENOTDIR => "ENOTDIR",
        libc::EISDIR => "EISDIR",
        libc::EINVAL => "EINVAL",
        libc::ENFILE => "ENFILE",
        libc::EMFILE => "EMFILE",
        libc::ENOTTY => "ENOTTY",
        libc::ETXTBSY => "ETXTBSY",
        libc::ENOSPC => "ENOSPC",
        libc::EROFS => "EROFS",
        libc::EPIPE => "EPIPE",
        libc::ENAMETOOLONG => "ENAMETOOLONG",
        libc::ENOSYS => "ENOSYS",
        libc::ELOOP => "ELOOP",
        libc::ENOKEY => "ENOKEY",
        libc::EDQUOT => "EDQUOT",
        libc::ENOTSOCK => "ENOTSOCK",
        libc::EPROTOTYPE => "EPROTOTYPE",
        libc::EPROTONOSUPPORT => "EPROTONOSUPPORT",
        libc::EOPNOTSUPP => "EOPNOTSUPP",
        libc::EAFNOSUPPORT => "EAFNOSUPPORT",
        libc::EADDRINUSE => "EADDRINUSE",
        libc::EADDRNOTAVAIL => "EADDRNOTAVAIL",
        libc::ENETUNREACH => "ENETUNREACH",
        libc::ECONNRESET => "ECONNRESET",
        libc::EISCONN => "EISCONN",
        libc::ENOTCONN => "ENOTCONN",
        libc::ETIMEDOUT => "ETIMEDOUT",
        libc::ECONNREFUSED => "ECONNREFUSED",
        libc::EHOSTUNREACH => "EHOSTUNREACH",
        libc::EALREADY => "EALREADY",
        libc::EINPROGRESS => "EINPROGRESS",
        _ => return format!("E{errno}"),
    };
    name.to_owned()
}

/// `text` as a C string; arguments come from argv, so never hold a NUL.
fn c(text: &str) -> CString {
    CString::new(text).expect("an argument holds no NUL byte")
}

/// An octal mode from the command line.
fn mode(text: &str) -> Option<libc::mode_t> {
    libc::mode_t::from_str_radix(text, 8).ok()
}

fn chmod(path: &str, mode: libc::mode_t) -> Outcome {
    let path = c(path);
    // SAFETY: a valid C string.
    check("chmod", unsafe { libc::chmod(path.as_ptr(), mode) }.into()).map(drop)
}

/// `fchmodat2` (Linux 6.6), which libc 0.2 does not name.
const SYS_FCHMODAT2: c_long = 452;

fn chmod_opath(path: &str, mode: libc::mode_t) -> Outcome {
    let path = c(path);
    // SAFETY: a valid C string; the descriptor is ours; "" with
    // AT_EMPTY_PATH names the descriptor itself.
    unsafe {
        let fd = check(
            "open",
            libc::open(path.as_ptr(), libc::O_PATH | libc::O_CLOEXEC).into(),
        )? as c_int;
        let ret = libc::syscall(SYS_FCHMODAT2, fd, c"".as_ptr(), mode, libc::AT_EMPTY_PATH);
        libc::close(fd);
        check("fchmodat2", ret).map(drop)
    }
}

fn fchmod(path: &str, mode: libc::mode_t) -> Outcome {
    let path = c(path);
    // SAFETY: a valid C string; the descriptor is ours.
    unsafe {
        let fd = check(
            "open",
            libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC).into(),
        )? as c_int;
        let ret = libc::fchmod(fd, mode);
        libc::close(fd);
        check("fchmod", ret.into()).map(drop)
    }
}

fn utime(path: &str) -> Outcome {
    let path = c(path);
    let epoch = [libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    }; 2];
    // SAFETY: a valid C string and two timespecs.
    let ret = unsafe { libc::utimensat(libc::AT_FDCWD, path.as_ptr(), epoch.as_ptr(), 0) };
    check("utimensat", ret.into()).map(drop)
}

fn setxattr(path: &str) -> Outcome {
    let path = c(path);
    // SAFETY: valid C strings and a one-byte value.
    let ret = unsafe {
        libc::setxattr(
            path.as_ptr(),
            c"user.sshgate".as_ptr(),
            c"x".as_ptr().cast(),
            1,
            0,
        )
    };
    check("setxattr", ret.into()).map(drop)
}

fn create(path: &str, mode: libc::mode_t) -> Outcome {
    let path = c(path);
    let flags = libc::O_CREAT | libc::O_EXCL | libc::O_WRONLY | libc::O_CLOEXEC;
    // SAFETY: a valid C string; the descriptor is ours.
    unsafe {
        let fd = check("open", libc::open(path.as_ptr(), flags, mode).into())?;
        libc::close(fd as c_int);
    }
    Ok(())
}

fn prlimit(pid: pid_t) -> Outcome {
    let limit = libc::rlimit {
        rlim_cur: 5,
        rlim_max: 5,
    };
    // SAFETY: a valid rlimit to read; no old value asked for.
    let ret = unsafe { libc::prlimit(pid, libc::RLIMIT_NOFILE, &limit, ptr::null_mut()) };
    check("prlimit", ret.into()).map(drop)
}

fn shmget() -> Outcome {
    // SAFETY: plain syscalls with integer arguments; the segment is ours.
    unsafe {
        let id = check(
            "shmget",
            libc::shmget(libc::IPC_PRIVATE, 4096, libc::IPC_CREAT | 0o600).into(),
        )? as c_int;
        libc::shmctl(id, libc::IPC_RMID, ptr::null_mut());
    }
    Ok(())
}

fn message_queue(name: &str) -> Outcome {
    let name = c(&format!("/{name}"));
    // SAFETY: a valid C string; the queue descriptor is ours to close.
    unsafe {
        let queue = libc::mq_open(
            name.as_ptr(),
            libc::O_CREAT | libc::O_RDWR | libc::O_CLOEXEC,
            0o600 as libc::mode_t,
            ptr::null_mut::<libc::mq_attr>(),
        );
        check("mq_open", queue.into())?;
        libc::mq_close(queue);
        check("mq_unlink", libc::mq_unlink(name.as_ptr()).into())?;
    }
    Ok(())
}

/// `BTRFS_IOC_SUBVOL_CREATE` and `BTRFS_IOC_SUBVOL_SETFLAGS` from
/// `linux/btrfs.h`.
const BTRFS_IOC_SUBVOL_CREATE: libc::c_ulong = 0x5000_940e;
const BTRFS_IOC_SUBVOL_SETFLAGS: libc::c_ulong = 0x4008_941a;

/// `struct btrfs_ioctl_vol_args`: a descriptor and a name.
#[repr(C)]
struct BtrfsVolArgs {
    fd: i64,
    name: [u8; 4088],
}

/// Opens `path` read-only, as a read grant allows.
fn open_read_only(path: &str) -> Result<c_int, Failure> {
    let path = c(path);
    // SAFETY: a valid C string.
    let fd = unsafe { libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
    check("open", fd.into()).map(|fd| fd as c_int)
}

fn btrfs_subvolume(dir: &str, name: &str) -> Outcome {
    let fd = open_read_only(dir)?;
    let mut args = BtrfsVolArgs {
        fd: 0,
        name: [0; 4088],
    };
    args.name[..name.len()].copy_from_slice(name.as_bytes());
    // SAFETY: the request takes a pointer to a btrfs_ioctl_vol_args.
    let ret = unsafe { libc::ioctl(fd, BTRFS_IOC_SUBVOL_CREATE, ptr::from_mut(&mut args)) };
    check("ioctl", ret.into()).map(drop)
}

fn btrfs_writable(path: &str) -> Outcome {
    let fd = open_read_only(path)?;
    let flags: u64 = 0;
    // SAFETY: the request takes a pointer to a u64 of flags.
    let ret = unsafe { libc::ioctl(fd, BTRFS_IOC_SUBVOL_SETFLAGS, ptr::from_ref(&flags)) };
    check("ioctl", ret.into()).map(drop)
}

fn read(path: &str) -> Outcome {
    let path = c(path);
    // SAFETY: a valid C string; the descriptor is ours to read and close.
    unsafe {
        let fd = check(
            "open",
            libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC).into(),
        )?;
        let mut byte = 0u8;
        let read = libc::read(fd as c_int, ptr::from_mut(&mut byte).cast(), 1);
        let result = check("read", read as i64);
        libc::close(fd as c_int);
        result.map(drop)
    }
}

fn write(path: &str) -> Outcome {
    let path = c(path);
    let text = b"written by sshgate-escape-probe\n";
    // SAFETY: a valid C string and buffer; the descriptor is ours.
    unsafe {
        let flags = libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC | libc::O_CLOEXEC;
        let fd = check("open", libc::open(path.as_ptr(), flags, 0o600).into())?;
        let written = libc::write(fd as c_int, text.as_ptr().cast(), text.len());
        let result = check("write", written as i64);
        libc::close(fd as c_int);
        result.map(drop)
    }
}

/// execve `path` with `args` after it and the current environment; returns
/// only if the exec failed.
fn exec(path: &str, args: &[&str]) -> Outcome {
    let path = c(path);
    let mut argv: Vec<CString> = vec![path.clone()];
    argv.extend(args.iter().map(|arg| c(arg)));
    let mut pointers: Vec<*const libc::c_char> = argv.iter().map(|arg| arg.as_ptr()).collect();
    pointers.push(ptr::null());
    // SAFETY: NULL-terminated argv of valid C strings that outlive the call.
    unsafe { libc::execv(path.as_ptr(), pointers.as_ptr()) };
    Err(failed("execve"))
}

/// Copies the program at `path` into an anonymous memory file and
/// executes that: no path of the program is ever executed.
fn memfd_exec(path: &str, args: &[&str]) -> Outcome {
    let program = fs::read(path).map_err(|e| Failure {
        call: "open",
        errno: e.raw_os_error().unwrap_or(0),
    })?;
    // SAFETY: a valid C string name; the descriptor is ours.
    let fd = unsafe { libc::memfd_create(c"sshgate-probe".as_ptr(), libc::MFD_CLOEXEC) };
    let fd = check("memfd_create", fd.into())? as c_int;
    let mut rest = &program[..];
    while !rest.is_empty() {
        // SAFETY: writes from a valid buffer to our descriptor.
        let written = unsafe { libc::write(fd, rest.as_ptr().cast(), rest.len()) };
        rest = &rest[check("write", written as i64)? as usize..];
    }
    let argv: Vec<CString> = std::iter::once(path)
        .chain(args.iter().copied())
        .map(c)
        .collect();
    let mut pointers: Vec<*const libc::c_char> = argv.iter().map(|arg| arg.as_ptr()).collect();
    pointers.push(ptr::null());
    let environment: Vec<CString> = env::vars_os()
        .map(|(name, value)| {
            let mut entry = name.into_encoded_bytes();
            entry.push(b'=');
            entry.extend(value.into_encoded_bytes());
            CString::new(entry).expect("no NUL in the environment")
        })
        .collect();
    let mut env_pointers: Vec<*const libc::c_char> =
        environment.iter().map(|entry| entry.as_ptr()).collect();
    env_pointers.push(ptr::null());
    // SAFETY: NULL-terminated argv and envp of valid C strings.
    unsafe { libc::fexecve(fd, pointers.as_ptr(), env_pointers.as_ptr()) };
    Err(failed("fexecve"))
}

fn symlink(target: &str, link: &str) -> Outcome {
    let (target, link) = (c(target), c(link));
    // SAFETY: valid C strings.
    let ret = unsafe { libc::symlink(target.as_ptr(), link.as_ptr()) };
    check("symlink", ret.into()).map(drop)
}

fn hard_link(old: &str, new: &str) -> Outcome {
    let (old, new) = (c(old), c(new));
    // SAFETY: valid C strings.
    let ret = unsafe { libc::link(old.as_ptr(), new.as_ptr()) };
    check("link", ret.into()).map(drop)
}

/// A socket of `domain` and `kind`, close-on-exec.
fn socket(domain: c_int, kind: c_int) -> Result<c_int, Failure> {
    // SAFETY: plain syscall with integer arguments.
    let fd = unsafe { libc::socket(domain, kind | libc::SOCK_CLOEXEC, 0) };
    check("socket", fd.into()).map(|fd| fd as c_int)
}

/// Connects `fd` to the address `addr` of `len` bytes, then closes `fd`.
fn connect<T>(fd: c_int, addr: &T, len: usize) -> Outcome {
    // SAFETY: `addr` is a sockaddr of at least `len` bytes; `fd` is ours.
    unsafe {
        let ret = libc::connect(fd, ptr::from_ref(addr).cast(), len as libc::socklen_t);
        let result = check("connect", ret.into());
        libc::close(fd);
        result.map(drop)
    }
}

fn ipv4_loopback(port: u16) -> libc::sockaddr_in {
    // SAFETY: sockaddr_in is plain data; all zeroes is valid.
    let mut addr: libc::sockaddr_in = unsafe { mem::zeroed() };
    addr.sin_family = libc::AF_INET as libc::sa_family_t;
    addr.sin_port = port.to_be();
    addr.sin_addr.s_addr = u32::from(std::net::Ipv4Addr::LOCALHOST).to_be();
    addr
}

fn tcp4(port: u16) -> Outcome {
    let fd = socket(libc::AF_INET, libc::SOCK_STREAM)?;
    let addr = ipv4_loopback(port);
    connect(fd, &addr, mem::size_of_val(&addr))
}

/// A TCP socket that is never `connect`ed: `sendto(2)` with `MSG_FASTOPEN`
/// connects it implicitly to 127.0.0.1:`port` and sends a few bytes with
/// the SYN.
fn fastopen4(port: u16) -> Outcome {
    let fd = socket(libc::AF_INET, libc::SOCK_STREAM)?;
    let addr = ipv4_loopback(port);
    let data = b"fast-open";
    // SAFETY: a valid buffer and sockaddr_in for our descriptor.
    let sent = unsafe {
        libc::sendto(
            fd,
            data.as_ptr().cast(),
            data.len(),
            libc::MSG_FASTOPEN,
            ptr::from_ref(&addr).cast(),
            mem::size_of_val(&addr) as libc::socklen_t,
        )
    };
    check("sendto", sent as i64)?;
    Ok(())
}

/// A stream socket of `protocol` (not TCP), connected to 127.0.0.1:`port`.
fn stream4(protocol: c_int, port: u16) -> Outcome {
    // SAFETY: plain syscall with integer arguments.
    let fd = unsafe {
        libc::socket(
            libc::AF_INET,
            libc::SOCK_STREAM | libc::SOCK_CLOEXEC,
            protocol,
        )
    };
    let fd = check("socket", fd.into())? as c_int;
    let addr = ipv4_loopback(port);
    connect(fd, &addr, mem::size_of_val(&addr))
}

/// `listen(2)` on a TCP socket that was never bound: the kernel binds it
/// to an ephemeral port. Prints `listening PORT` first, then waits up to
/// ten seconds for one connection, and ends with the usual line.
fn listen4() -> Outcome {
    use std::io::Write;
    let fd = socket(libc::AF_INET, libc::SOCK_STREAM)?;
    // SAFETY: our descriptor; getsockname writes a sockaddr_in, poll reads
    // one pollfd.
    unsafe {
        check("listen", libc::listen(fd, 1).into())?;
        let mut addr: libc::sockaddr_in = mem::zeroed();
        let mut len = mem::size_of_val(&addr) as libc::socklen_t;
        let ret = libc::getsockname(fd, ptr::from_mut(&mut addr).cast(), &mut len);
        check("getsockname", ret.into())?;
        println!("listening {}", u16::from_be(addr.sin_port));
        let _ = std::io::stdout().flush();
        let mut ready = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        if check("poll", libc::poll(&mut ready, 1, 10_000).into())? == 0 {
            return Err(Failure {
                call: "poll",
                errno: libc::ETIMEDOUT,
            });
        }
        let peer = libc::accept4(fd, ptr::null_mut(), ptr::null_mut(), libc::SOCK_CLOEXEC);
        check("accept", peer.into())?;
        libc::close(peer);
        libc::close(fd);
    }
    Ok(())
}

fn any_socket(family: c_int, kind: c_int, protocol: c_int) -> Outcome {
    // SAFETY: plain syscall with integer arguments.
    let fd = unsafe { libc::socket(family, kind | libc::SOCK_CLOEXEC, protocol) };
    check("socket", fd.into())?;
    // SAFETY: our descriptor.
    unsafe { libc::close(fd) };
    Ok(())
}

fn tcp6(port: u16) -> Outcome {
    let fd = socket(libc::AF_INET6, libc::SOCK_STREAM)?;
    // SAFETY: sockaddr_in6 is plain data; all zeroes is valid.
    let mut addr: libc::sockaddr_in6 = unsafe { mem::zeroed() };
    addr.sin6_family = libc::AF_INET6 as libc::sa_family_t;
    addr.sin6_port = port.to_be();
    addr.sin6_addr.s6_addr = std::net::Ipv6Addr::LOCALHOST.octets();
    connect(fd, &addr, mem::size_of_val(&addr))
}

fn udp4(port: u16) -> Outcome {
    let fd = socket(libc::AF_INET, libc::SOCK_DGRAM)?;
    let addr = ipv4_loopback(port);
    let text = b"sshgate-escape-probe";
    // SAFETY: valid buffer and sockaddr_in; `fd` is ours.
    unsafe {
        let sent = libc::sendto(
            fd,
            text.as_ptr().cast(),
            text.len(),
            0,
            ptr::from_ref(&addr).cast(),
            mem::size_of_val(&addr) as libc::socklen_t,
        );
        let result = check("sendto", sent as i64);
        libc::close(fd);
        result.map(drop)
    }
}

/// A unix socket address for `path`, or for the abstract `name` when
/// `abstract_name` (a leading NUL byte, no file), and its length.
fn unix_address(path: &str, abstract_name: bool) -> (libc::sockaddr_un, usize) {
    // SAFETY: sockaddr_un is plain data; all zeroes is valid.
    let mut addr: libc::sockaddr_un = unsafe { mem::zeroed() };
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    let offset = usize::from(abstract_name);
    assert!(
        offset + path.len() < addr.sun_path.len(),
        "unix socket path too long: {path}"
    );
    for (slot, byte) in addr.sun_path[offset..].iter_mut().zip(path.bytes()) {
        *slot = byte as libc::c_char;
    }
    let header = mem::size_of::<libc::sa_family_t>();
    // A pathname counts its terminating NUL; an abstract name counts
    // exactly its bytes after the leading NUL.
    let len = header + offset + path.len() + usize::from(!abstract_name);
    (addr, len)
}

fn unix_connect(path: &str, abstract_name: bool) -> Outcome {
    let fd = socket(libc::AF_UNIX, libc::SOCK_STREAM)?;
    let (addr, len) = unix_address(path, abstract_name);
    connect(fd, &addr, len)
}

/// Listens on the abstract `name` and connects to it: the same sandbox on
/// both ends, which the Landlock scope allows.
fn own_abstract(name: &str) -> Outcome {
    let listener = socket(libc::AF_UNIX, libc::SOCK_STREAM)?;
    let (addr, len) = unix_address(name, true);
    // SAFETY: valid sockaddr_un of `len` bytes; `listener` is ours.
    unsafe {
        let bound = libc::bind(
            listener,
            ptr::from_ref(&addr).cast(),
            len as libc::socklen_t,
        );
        check("bind", bound.into())?;
        check("listen", libc::listen(listener, 1).into())?;
    }
    let result = unix_connect(name, true);
    // SAFETY: our descriptor.
    unsafe { libc::close(listener) };
    result
}

fn kill(pid: pid_t, signal: c_int) -> Outcome {
    // SAFETY: plain syscall with integer arguments.
    let ret = unsafe { libc::kill(pid, signal) };
    check("kill", ret.into()).map(drop)
}

/// Forks a child that waits for a signal, and dies on its own after ten
/// seconds (SIGALRM) so that no attempt can leave it behind.
fn idle_child() -> Result<pid_t, Failure> {
    // SAFETY: single-threaded; the child only calls async-signal-safe
    // functions and never returns.
    unsafe {
        let pid = check("fork", libc::fork().into())? as pid_t;
        if pid == 0 {
            libc::alarm(10);
            loop {
                libc::pause();
            }
        }
        Ok(pid)
    }
}

/// SIGKILLs `pid`, our child, and reaps it.
fn reap(pid: pid_t) {
    // SAFETY: plain syscalls on our own child.
    unsafe {
        libc::kill(pid, libc::SIGKILL);
        let mut status = 0;
        while libc::waitpid(pid, &mut status, libc::__WALL) == pid
            && !libc::WIFEXITED(status)
            && !libc::WIFSIGNALED(status)
        {}
    }
}

fn kill_child() -> Outcome {
    let child = idle_child()?;
    let result = kill(child, libc::SIGTERM);
    reap(child);
    result
}

/// Waits for `pid`, a child that exits on its own.
fn wait_exit(pid: pid_t) {
    let mut status = 0;
    // SAFETY: plain syscall on our own child.
    unsafe { libc::waitpid(pid, &mut status, libc::__WALL) };
}

fn fork() -> Outcome {
    // SAFETY: single-threaded; the child exits at once.
    let pid = unsafe { libc::fork() };
    match check("fork", pid.into())? {
        // SAFETY: leaving the child without running anything of the parent.
        0 => unsafe { libc::_exit(0) },
        _ => wait_exit(pid),
    }
    Ok(())
}

fn unshare_user() -> Outcome {
    // SAFETY: plain syscall with an integer argument.
    let ret = unsafe { libc::unshare(libc::CLONE_NEWUSER) };
    check("unshare", ret.into()).map(drop)
}

fn clone_user() -> Outcome {
    let flags = (libc::CLONE_NEWUSER | libc::SIGCHLD) as c_long;
    // SAFETY: a fork-like raw clone (no new stack); the child exits at once.
    let pid = unsafe { libc::syscall(libc::SYS_clone, flags, 0, 0, 0, 0) };
    match check("clone", pid)? {
        // SAFETY: leaving the child without running anything of the parent.
        0 => unsafe { libc::_exit(0) },
        pid => wait_exit(pid as pid_t),
    }
    Ok(())
}

/// `struct clone_args` of linux/sched.h (CLONE_ARGS_SIZE_VER2).
#[repr(C)]
#[derive(Default)]
struct CloneArgs {
    flags: u64,
    pidfd: u64,
    child_tid: u64,
    parent_tid: u64,
    exit_signal: u64,
    stack: u64,
    stack_size: u64,
    tls: u64,
    set_tid: u64,
    set_tid_size: u64,
    cgroup: u64,
}

fn clone3_user() -> Outcome {
    let args = CloneArgs {
        flags: libc::CLONE_NEWUSER as u64,
        exit_signal: libc::SIGCHLD as u64,
        ..CloneArgs::default()
    };
    // SAFETY: a valid clone_args without a new stack: the child runs on a
    // copy of ours, like fork, and exits at once.
    let pid = unsafe {
        libc::syscall(
            libc::SYS_clone3,
            ptr::from_ref(&args),
            mem::size_of::<CloneArgs>(),
        )
    };
    match check("clone3", pid)? {
        // SAFETY: leaving the child without running anything of the parent.
        0 => unsafe { libc::_exit(0) },
        pid => wait_exit(pid as pid_t),
    }
    Ok(())
}

/// PTRACE_SEIZE of the parent: the same permission check as
/// PTRACE_ATTACH, but it does not stop the parent (the test runner), and
/// our exit detaches it again.
fn ptrace_parent() -> Outcome {
    // SAFETY: plain syscalls with integer arguments.
    let ret = unsafe {
        let parent = libc::getppid();
        libc::ptrace(libc::PTRACE_SEIZE, parent, 0, 0)
    };
    check("ptrace", ret).map(drop)
}

/// PTRACE_ATTACH to a child of our own: same credentials, same Landlock
/// domain, so only a syscall filter can refuse it.
fn ptrace_child() -> Outcome {
    let child = idle_child()?;
    // SAFETY: plain syscall on our own child.
    let ret = unsafe { libc::ptrace(libc::PTRACE_ATTACH, child, 0, 0) };
    let result = check("ptrace", ret).map(drop);
    reap(child);
    result
}

/// process_vm_readv of 8 bytes at `address` in `pid`.
fn vm_read(pid: pid_t, address: usize) -> Outcome {
    let mut buffer = [0u8; 8];
    let local = libc::iovec {
        iov_base: buffer.as_mut_ptr().cast(),
        iov_len: buffer.len(),
    };
    let remote = libc::iovec {
        iov_base: address as *mut c_void,
        iov_len: buffer.len(),
    };
    // SAFETY: the local iovec is our buffer; the kernel checks the remote.
    let read = unsafe { libc::process_vm_readv(pid, &local, 1, &remote, 1, 0) };
    check("process_vm_readv", read as i64).map(drop)
}

fn vm_read_self() -> Outcome {
    let secret = [7u8; 8];
    // SAFETY: plain syscall.
    let pid = unsafe { libc::getpid() };
    vm_read(pid, secret.as_ptr() as usize)
}

fn io_uring() -> Outcome {
    // struct io_uring_params is 120 bytes; all zeroes asks for defaults.
    let mut params = [0u8; 120];
    // SAFETY: a valid, writable io_uring_params.
    let fd = unsafe { libc::syscall(libc::SYS_io_uring_setup, 1, params.as_mut_ptr()) };
    check("io_uring_setup", fd)?;
    // SAFETY: our descriptor.
    unsafe { libc::close(fd as c_int) };
    Ok(())
}

/// The bpf(2) command BPF_MAP_CREATE and map type BPF_MAP_TYPE_ARRAY.
const BPF_MAP_CREATE: c_long = 0;
const BPF_MAP_TYPE_ARRAY: u32 = 2;
/// How many bytes of `union bpf_attr` we pass: past the map fields.
const BPF_ATTR_SIZE: usize = 72;

fn bpf_map() -> Outcome {
    let mut attr = [0u8; BPF_ATTR_SIZE];
    // map_type, key_size, value_size, max_entries.
    for (index, value) in [BPF_MAP_TYPE_ARRAY, 4, 4, 1].into_iter().enumerate() {
        attr[index * 4..index * 4 + 4].copy_from_slice(&value.to_ne_bytes());
    }
    // SAFETY: a valid bpf_attr of BPF_ATTR_SIZE bytes.
    let fd = unsafe { libc::syscall(libc::SYS_bpf, BPF_MAP_CREATE, attr.as_ptr(), BPF_ATTR_SIZE) };
    check("bpf", fd)?;
    // SAFETY: our descriptor.
    unsafe { libc::close(fd as c_int) };
    Ok(())
}

/// An address that is never mapped: the kernel answers EFAULT when it
/// copies an argument from there.
const UNMAPPED: usize = 8;

/// bpf with `attr` unmapped: the kernel copies attr in before any
/// permission check, so it answers EFAULT; only a syscall filter, which
/// runs before the kernel reads any argument, answers otherwise.
fn bpf_bad_attr() -> Outcome {
    // SAFETY: the kernel only reads through the bad pointer and fails.
    let ret = unsafe { libc::syscall(libc::SYS_bpf, BPF_MAP_CREATE, UNMAPPED, BPF_ATTR_SIZE) };
    check("bpf", ret).map(drop)
}

fn mount(fstype: &str, target: &str) -> Outcome {
    let (fstype, target) = (c(fstype), c(target));
    // SAFETY: valid C strings; no data.
    let ret = unsafe {
        libc::mount(
            c"sshgate-probe".as_ptr(),
            target.as_ptr(),
            fstype.as_ptr(),
            0,
            ptr::null(),
        )
    };
    check("mount", ret.into()).map(drop)
}

/// mount with its filesystem type unmapped: the kernel copies the type in
/// before any permission check and answers EFAULT (see [`bpf_bad_attr`]).
fn mount_bad_fstype(target: &str) -> Outcome {
    let target = c(target);
    // SAFETY: the kernel only reads through the bad pointer and fails.
    let ret = unsafe {
        libc::mount(
            c"sshgate-probe".as_ptr(),
            target.as_ptr(),
            UNMAPPED as *const libc::c_char,
            0,
            ptr::null(),
        )
    };
    check("mount", ret.into()).map(drop)
}

fn keyctl() -> Outcome {
    // SAFETY: plain syscall with integer arguments.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_keyctl,
            libc::KEYCTL_GET_KEYRING_ID,
            libc::KEY_SPEC_PROCESS_KEYRING,
            1,
        )
    };
    check("keyctl", ret).map(drop)
}

fn add_key() -> Outcome {
    let payload = b"x";
    // SAFETY: valid C strings and payload.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_add_key,
            c"user".as_ptr(),
            c"sshgate-probe".as_ptr(),
            payload.as_ptr(),
            payload.len(),
            libc::KEY_SPEC_PROCESS_KEYRING,
        )
    };
    check("add_key", ret).map(drop)
}

/// getpid through the x32 ABI: its number with bit 0x40000000 set.
fn x32_getpid() -> Outcome {
    const X32_SYSCALL_BIT: c_long = 0x4000_0000;
    // SAFETY: getpid takes no arguments, whichever ABI serves it.
    let ret = unsafe { libc::syscall(X32_SYSCALL_BIT | libc::SYS_getpid) };
    check("x32-getpid", ret).map(drop)
}

fn personality() -> Outcome {
    // SAFETY: plain syscall with an integer argument.
    let ret = unsafe { libc::personality(libc::ADDR_NO_RANDOMIZE as libc::c_ulong) };
    check("personality", ret.into()).map(drop)
}

/// TIOCSTI on stdin: pushes a byte into a terminal's input. On anything
/// but a terminal the kernel answers ENOTTY.
fn tiocsti() -> Outcome {
    let byte: libc::c_char = b'x' as libc::c_char;
    // SAFETY: TIOCSTI reads one byte from a valid pointer.
    let ret = unsafe { libc::ioctl(0, libc::TIOCSTI, &byte) };
    check("ioctl", ret.into()).map(drop)
}

fn print_status() -> Outcome {
    match fs::read_to_string("/proc/self/status") {
        Ok(text) => {
            print!("{text}");
            Ok(())
        }
        Err(e) => Err(Failure {
            call: "open",
            errno: e.raw_os_error().unwrap_or(0),
        }),
    }
}

/// Prints the open descriptors but the one listing them, e.g. `0 1 2`.
fn print_fds() -> Outcome {
    let path = c"/proc/self/fd";
    let mut fds = Vec::new();
    // SAFETY: valid C string; the DIR is ours until closedir, and each
    // entry is valid until the next readdir.
    unsafe {
        let dir = libc::opendir(path.as_ptr());
        if dir.is_null() {
            return Err(failed("opendir"));
        }
        let own = libc::dirfd(dir);
        loop {
            let entry = libc::readdir(dir);
            if entry.is_null() {
                break;
            }
            let name = CStr::from_ptr((*entry).d_name.as_ptr());
            if let Ok(fd) = name.to_string_lossy().parse::<c_int>()
                && fd != own
            {
                fds.push(fd);
            }
        }
        libc::closedir(dir);
    }
    fds.sort_unstable();
    let fds: Vec<String> = fds.iter().map(ToString::to_string).collect();
    println!("{}", fds.join(" "));
    Ok(())
}

fn print_env() -> Outcome {
    for (name, value) in env::vars_os() {
        println!("{}={}", name.to_string_lossy(), value.to_string_lossy());
    }
    Ok(())
}

fn parent() -> pid_t {
    // SAFETY: plain syscall.
    unsafe { libc::getppid() }
}

/// Runs the attempt `words` names; `None` for a usage error.
fn attempt(words: &[&str]) -> Option<Outcome> {
    let outcome = match *words {
        ["read", path] => read(path),
        ["write", path] => write(path),
        ["exec", path, ref args @ ..] => exec(path, args),
        ["memfd-exec", path, ref args @ ..] => memfd_exec(path, args),
        ["chmod", path, bits] => chmod(path, mode(bits)?),
        ["chmod-opath", path, bits] => chmod_opath(path, mode(bits)?),
        ["fchmod", path, bits] => fchmod(path, mode(bits)?),
        ["utime", path] => utime(path),
        ["setxattr", path] => setxattr(path),
        ["create", path, bits] => create(path, mode(bits)?),
        ["prlimit", pid] => prlimit(pid.parse().ok()?),
        ["shmget"] => shmget(),
        ["mq", name] => message_queue(name),
        ["btrfs-subvol", dir, name] => btrfs_subvolume(dir, name),
        ["btrfs-writable", path] => btrfs_writable(path),
        ["symlink", target, link] => symlink(target, link),
        ["link", old, new] => hard_link(old, new),
        ["tcp4", port] => tcp4(port.parse().ok()?),
        ["tcp6", port] => tcp6(port.parse().ok()?),
        ["listen4"] => listen4(),
        ["fastopen4", port] => fastopen4(port.parse().ok()?),
        ["mptcp4", port] => stream4(libc::IPPROTO_MPTCP, port.parse().ok()?),
        ["socket", family, kind, protocol] => any_socket(
            family.parse().ok()?,
            kind.parse().ok()?,
            protocol.parse().ok()?,
        ),
        ["udp4", port] => udp4(port.parse().ok()?),
        ["unix", path] => unix_connect(path, false),
        ["abstract", name] => unix_connect(name, true),
        ["abstract-own", name] => own_abstract(name),
        ["kill", pid, signal] => kill(pid.parse().ok()?, signal.parse().ok()?),
        ["kill-child"] => kill_child(),
        ["fork"] => fork(),
        ["unshare-user"] => unshare_user(),
        ["clone-user"] => clone_user(),
        ["clone3-user"] => clone3_user(),
        ["ptrace", "parent"] => ptrace_parent(),
        ["ptrace", "child"] => ptrace_child(),
        ["vm-read", "parent", address] => {
            let address = address.strip_prefix("0x").unwrap_or(address);
            vm_read(parent(), usize::from_str_radix(address, 16).ok()?)
        }
        ["vm-read", "self"] => vm_read_self(),
        ["io-uring"] => io_uring(),
        ["bpf", "map"] => bpf_map(),
        ["bpf", "bad-attr"] => bpf_bad_attr(),
        ["mount", fstype, target] => mount(fstype, target),
        ["mount-bad-fstype", target] => mount_bad_fstype(target),
        ["keyctl"] => keyctl(),
        ["add-key"] => add_key(),
        ["x32-getpid"] => x32_getpid(),
        ["personality"] => personality(),
        ["tiocsti"] => tiocsti(),
        ["status"] => return Some(print_status()),
        ["fds"] => return Some(print_fds()),
        ["env"] => return Some(print_env()),
        _ => return None,
    };
    if outcome.is_ok() {
        println!("ok");
    }
    Some(outcome)
}

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    match attempt(&words) {
        Some(Ok(())) => ExitCode::SUCCESS,
        Some(Err(failure)) => {
            println!("err {} {}", failure.call, errno_name(failure.errno));
            ExitCode::SUCCESS
        }
        None => {
            eprintln!("sshgate-escape-probe: bad usage: {words:?}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}
