//! A system log of the test's own, for records that go to `/dev/log`: the
//! gate runs in a mount namespace of its own whose `/dev` is a small tmpfs
//! holding the usual device nodes and, at `/dev/log`, a datagram socket
//! this test reads. Nothing changes for other tests or the host (a test
//! binding the real `/dev/log`, as `audit_syslog.rs` does when it is free,
//! would race with every other test binary running meanwhile).

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixDatagram;
use std::os::unix::process::CommandExt;
use std::process::Command;

use tempfile::TempDir;

/// Device nodes the gate and its commands may use: name, major, minor.
const DEVICES: [(&str, u32, u32); 5] = [
    ("null", 1, 3),
    ("zero", 1, 5),
    ("full", 1, 7),
    ("random", 1, 8),
    ("urandom", 1, 9),
];

/// The socket standing in for the system log daemon.
pub struct SystemLog {
    /// Holds the socket; removed on drop.
    _dir: TempDir,
    socket: UnixDatagram,
    socket_path: CString,
}

impl SystemLog {
    /// Binds the socket, or returns `None` (after saying why) when the
    /// tests cannot give the gate a mount namespace: that needs root.
    pub fn new() -> Option<Self> {
        if !nix::unistd::geteuid().is_root() {
            eprintln!("skipped: a private /dev/log needs root");
            return None;
        }
        let dir = tempfile::Builder::new()
            .prefix("sshgate-syslog-")
            .tempdir()
            .expect("temp dir");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
            .expect("open the socket's directory");
        let path = dir.path().join("log");
        let socket = UnixDatagram::bind(&path).expect("bind the system log socket");
        // A gate running as another user must be able to connect.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666))
            .expect("chmod the socket");
        socket.set_nonblocking(true).expect("non-blocking socket");
        let socket_path = CString::new(path.as_os_str().as_bytes()).expect("no NUL in the path");
        Some(Self {
            _dir: dir,
            socket,
            socket_path,
        })
    }

    /// Makes `command` see this socket at `/dev/log`: between fork and exec
    /// it enters a new mount namespace, mounts a tmpfs over `/dev`, makes
    /// the device nodes there and binds the socket onto `/dev/log`.
    pub fn attach<'a>(&self, command: &'a mut Command) -> &'a mut Command {
        let socket = self.socket_path.clone();
        let c = |text: &str| CString::new(text).expect("no NUL");
        let (root, dev, tmpfs, options, log) = (
            c("/"),
            c("/dev"),
            c("tmpfs"),
            c("mode=0755,size=64k"),
            c("/dev/log"),
        );
        let devices: Vec<(CString, libc::dev_t)> = DEVICES
            .iter()
            .map(|(name, major, minor)| (c(&format!("/dev/{name}")), libc::makedev(*major, *minor)))
            .collect();
        let fail = || Err(io::Error::last_os_error());
        // SAFETY: only async-signal-safe syscalls between fork and exec; every
        // string was built before the fork.
        unsafe {
            command.pre_exec(move || {
                if libc::unshare(libc::CLONE_NEWNS) != 0 {
                    return fail();
                }
                // Nothing below may reach the host's mount table.
                let private = libc::MS_REC | libc::MS_PRIVATE;
                if libc::mount(
                    std::ptr::null(),
                    root.as_ptr(),
                    std::ptr::null(),
                    private,
                    std::ptr::null(),
                ) != 0
                {
                    return fail();
                }
                if libc::mount(
                    tmpfs.as_ptr(),
                    dev.as_ptr(),
                    tmpfs.as_ptr(),
                    libc::MS_NOSUID,
                    options.as_ptr().cast(),
                ) != 0
                {
                    return fail();
                }
                for (path, device) in &devices {
                    if libc::mknod(path.as_ptr(), libc::S_IFCHR | 0o666, *device) != 0 {
                        return fail();
                    }
                }
                if libc::mknod(log.as_ptr(), libc::S_IFREG | 0o666, 0) != 0 {
                    return fail();
                }
                if libc::mount(
                    socket.as_ptr(),
                    log.as_ptr(),
                    std::ptr::null(),
                    libc::MS_BIND,
                    std::ptr::null(),
                ) != 0
                {
                    return fail();
                }
                Ok(())
            })
        }
    }

    /// The records received so far, parsed from `<PRI>TIMESTAMP
    /// sshgate[PID]: JSON` messages.
    pub fn records(&self) -> Vec<serde_json::Value> {
        let mut buffer = vec![0u8; 65536];
        let mut records = Vec::new();
        loop {
            let length = match self.socket.recv(&mut buffer) {
                Ok(length) => length,
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => return records,
                Err(error) => panic!("reading the system log socket: {error}"),
            };
            let message = String::from_utf8_lossy(&buffer[..length]).into_owned();
            let (_, json) = message
                .split_once("]: ")
                .unwrap_or_else(|| panic!("not IDENT[PID]: MESSAGE: {message}"));
            records.push(serde_json::from_str(json).expect("the message is a JSON record"));
        }
    }
}
