//! seccomp: the syscall deny-list, compiled before any change to the
//! process and installed last, after Landlock, so the filter never has to
//! allow the Landlock syscalls.
//!
//! # What is refused
//!
//! A deny-list of what no forced command needs (DESIGN.md, "seccomp"), each
//! entry commented in [`ALWAYS_DENIED`] or next to its argument rule:
//! mounts, namespaces, access to other processes, kernel interfaces
//! (modules, kexec, BPF, perf, io_uring, keyrings), system settings (clocks,
//! swap, reboot, accounting, quotas, file handles), old interfaces, and the
//! terminal-injecting `ioctl`s TIOCSTI and TIOCLINUX. `socket(2)` follows
//! the plan's `network` and `unix_sockets`; `socketpair(2)` is always
//! allowed, since a connected pair reaches nothing outside the process.
//! The policy's `deny_syscalls` are added to the list.
//!
//! # Actions
//!
//! - **EPERM** for every denial in the list, the namespace and kernel calls
//!   included. KillProcess would stop an exploit just as well, but EPERM
//!   lets the command report a clear error ("Operation not permitted")
//!   instead of dying of SIGSYS in a way that looks like a crash, and lets
//!   the tests assert the errno.
//! - **ENOSYS** for `clone3(2)`: its flags are in memory, where a seccomp
//!   filter cannot read them, so it cannot be allowed without namespace
//!   flags. ENOSYS is what libc expects from a kernel without `clone3`, and
//!   it falls back to `clone(2)`, whose flags the filter does see.
//! - **EPERM** for x32 syscall numbers (bit `0x40000000`, see below).
//! - **KillProcess** for a syscall from another architecture's table (an
//!   `int 0x80` i386 call on x86_64): every rule here is keyed to x86_64
//!   numbers and cannot judge it; no x86_64 command makes such calls, so
//!   something that does is hostile. Core dumps are off (`RLIMIT_CORE` =
//!   0), so the kill leaves nothing behind.
//!
//! # The program
//!
//! seccompiler compiles the deny-list; a small hand-written guard
//! ([`guard`]) is put in front of its program, because seccompiler has no
//! check for x32 and a single action per filter:
//!
//! 1. `seccomp_data.arch` must be `AUDIT_ARCH_X86_64`, else KillProcess;
//! 2. a number with the x32 bit is refused. On x86_64 the x32 ABI shares
//!    the architecture value and differs only by that bit, so without this
//!    check a kernel built with `CONFIG_X86_X32_ABI` would run
//!    `0x40000000 | nr` as `nr`, unseen by every rule below. The check is
//!    there whatever the kernel's build: the filter cannot know it, and no
//!    x86_64 program makes x32 calls;
//! 3. `clone3` gets ENOSYS;
//! 4. seccompiler's program (which checks the architecture once more).
//!
//! Classic BPF jumps are relative and forward-only, and seccompiler's
//! program never jumps past its own end (its last instruction is a return),
//! so prepending the guard leaves every jump in it pointing where it did.
//! The unit tests check every jump target and evaluate the whole program.
//!
//! # Arguments compared
//!
//! Every argument a rule compares is an `int` or `unsigned int` for the
//! kernel (socket family, type and protocol, the `ioctl` request, the
//! persona; `clone(2)` truncates its flags to 32 bits too), so the rules
//! compare the low 32 bits: exactly what the kernel acts on. Comparing 64
//! bits would let garbage in the upper half slip past an equality rule.
//!
//! # Installing
//!
//! [`install_filter`] installs on the calling thread only (no TSYNC: the
//! gate is single-threaded), with no_new_privs already set by `confine`.
//! A kernel without seccomp filters (ENOSYS or EINVAL) is an error under
//! `compat = "enforce"`; under `"best-effort"` the filter is skipped and
//! [`SeccompStatus::Skipped`] says why, for the audit record.

// Every number and rule below is x86_64's; on another architecture this
// filter would refuse the wrong calls and allow the dangerous ones.
#[cfg(not(target_arch = "x86_64"))]
compile_error!("sshgate's seccomp filter is written for x86_64 only");

use std::collections::BTreeMap;
use std::fmt::{self, Display, Formatter};

use nix::errno::Errno;
use seccompiler::{
    BackendError, BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition,
    SeccompFilter, SeccompRule, TargetArch,
};

use crate::decide::plan::{Compat, Plan};
use crate::policy::Network;

/// A compiled filter, ready to install: the guard, then seccompiler's
/// program.
pub struct SyscallFilter {
    program: Vec<libc::sock_filter>,
}

// libc's `sock_filter` has no Debug; the length is what matters in a log.
impl fmt::Debug for SyscallFilter {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.debug_struct("SyscallFilter")
            .field("instructions", &self.program.len())
            .finish()
    }
}

/// Whether the filter is in force, for the audit record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeccompStatus {
    /// The filter is installed and `PR_GET_SECCOMP` reads back filter mode.
    Installed,
    /// `compat = "best-effort"` and the kernel refused the filter with this
    /// errno (ENOSYS or EINVAL: no seccomp filter support). No filter is in
    /// force.
    Skipped(Errno),
}

/// `"installed"`, or for a skipped filter `"skipped: the kernel refused it
/// (ENOSYS: Function not implemented)"`: the audit record's wording.
impl Display for SeccompStatus {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Self::Installed => f.write_str("installed"),
            Self::Skipped(errno) => write!(f, "skipped: the kernel refused it ({errno})"),
        }
    }
}

/// Why the filter could not be compiled or installed.
#[derive(Debug)]
pub enum SeccompError {
    /// seccompiler refused the rules. The rules are fixed by this module
    /// and its tests compile every network mode, so this is a bug here.
    Compile(BackendError),
    /// The guard and the compiled program together exceed the kernel's
    /// limit of `BPF_MAXINSNS` instructions (too many `deny_syscalls`).
    TooLarge {
        /// How many instructions the program has.
        instructions: usize,
    },
    /// `seccomp(SECCOMP_SET_MODE_FILTER)` failed.
    Install(Errno),
    /// The filter was accepted, but `PR_GET_SECCOMP` does not read back
    /// filter mode (2).
    NotInForce {
        /// What `PR_GET_SECCOMP` returned, or its errno.
        mode: Result<i32, Errno>,
    },
}

impl Display for SeccompError {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Self::Compile(e) => write!(f, "cannot compile the filter: {e}"),
            Self::TooLarge { instructions } => write!(
                f,
                "the filter has {instructions} BPF instructions, more than the kernel's \
                 {BPF_MAXINSNS}; deny fewer syscalls"
            ),
            Self::Install(errno) if kernel_lacks_filters(*errno) => write!(
                f,
                "the kernel refused to install it ({errno}): it has no seccomp filter support; \
                 compat = \"enforce\" needs it, or set compat = \"best-effort\" to run without it, \
                 recorded in the log"
            ),
            Self::Install(errno) => write!(f, "the kernel refused to install it ({errno})"),
            Self::NotInForce { mode: Ok(mode) } => write!(
                f,
                "installed, but PR_GET_SECCOMP reads back mode {mode}, not filter mode 2"
            ),
            Self::NotInForce { mode: Err(errno) } => {
                write!(f, "installed, but PR_GET_SECCOMP failed ({errno})")
            }
        }
    }
}

impl std::error::Error for SeccompError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Compile(e) => Some(e),
            Self::Install(errno) => Some(errno),
            Self::TooLarge { .. } | Self::NotInForce { .. } => None,
        }
    }
}

impl From<BackendError> for SeccompError {
    fn from(e: BackendError) -> Self {
        Self::Compile(e)
    }
}

/// The default deny-list in words, for `explain`: every syscall refused
/// whatever its arguments, then each one refused only for some arguments.
pub fn default_deny_list() -> (Vec<&'static str>, Vec<&'static str>) {
    let always = ALWAYS_DENIED.iter().map(|&(name, _)| name).collect();
    let by_argument = vec![
        "clone with any CLONE_NEW* flag",
        "clone3 (ENOSYS, so libc falls back to clone)",
        "personality other than PER_LINUX or a query",
        "ioctl TIOCSTI and TIOCLINUX",
        "socket of a family the network setting does not allow",
        "under network ports: sendto, sendmsg and sendmmsg with MSG_FASTOPEN; listen when no bind port is listed",
        "prlimit64 of any process but the caller",
        "memfd_create without MFD_NOEXEC_SEAL",
        "btrfs subvolume, snapshot, setflags, received-subvol and defrag ioctls",
        "set-user-ID and set-group-ID modes (chmod family, creat, mknod, open with O_CREAT or O_TMPFILE)",
        "openat2 (ENOSYS, so libc falls back to openat)",
        "unless metadata = true: chmod, chown, utimensat with a path or explicit times, extended attributes, and inode-changing ioctls",
        "any x32 syscall number",
    ];
    (always, by_argument)
}

/// Compiles the filter `plan` calls for: the default deny-list, the socket
/// families its network setting allows, and its `deny_syscalls`. Pure: it
/// makes no syscall.
pub fn compile_filter(plan: &Plan) -> Result<SyscallFilter, SeccompError> {
    let mut list = DenyList::default();
    for &(_, nr) in ALWAYS_DENIED {
        list.always(nr);
    }
    deny_namespace_clones(&mut list)?;
    deny_personalities(&mut list)?;
    deny_terminal_injection(&mut list)?;
    deny_executable_memfds(&mut list)?;
    deny_limits_of_other_processes(&mut list)?;
    deny_setuid_modes(&mut list)?;
    deny_btrfs_tree_changes(&mut list)?;
    if !plan.metadata {
        deny_metadata_changes(&mut list)?;
    }
    deny_sockets(&mut list, &plan.network, plan.unix_sockets)?;
    // The policy's own additions win over a rule on arguments: a listed
    // `clone` or `socket` is refused whatever its arguments.
    for name in &plan.deny_syscalls {
        list.always(name.number());
    }

    let compiled: BpfProgram = SeccompFilter::new(
        list.into_rules(),
        // Not listed: allowed. Listed: EPERM.
        SeccompAction::Allow,
        SeccompAction::Errno(EPERM),
        TargetArch::x86_64,
    )?
    .try_into()?;

    let program: Vec<libc::sock_filter> = guard()
        .into_iter()
        .chain(compiled.iter().map(|instruction| libc::sock_filter {
            code: instruction.code,
            jt: instruction.jt,
            jf: instruction.jf,
            k: instruction.k,
        }))
        .collect();
    if program.len() > BPF_MAXINSNS {
        return Err(SeccompError::TooLarge {
            instructions: program.len(),
        });
    }
    Ok(SyscallFilter { program })
}

/// Installs `filter` on the calling thread, which must have no_new_privs
/// set (or CAP_SYS_ADMIN), and reads the mode back.
///
/// A kernel without seccomp filter support is an error under
/// `Compat::Enforce`; under `Compat::BestEffort` nothing is installed and
/// the status says so. Any other failure is an error under both.
pub fn install_filter(
    filter: &SyscallFilter,
    compat: Compat,
) -> Result<SeccompStatus, SeccompError> {
    match set_mode_filter(&filter.program) {
        Ok(()) => {}
        Err(errno) if compat == Compat::BestEffort && kernel_lacks_filters(errno) => {
            return Ok(SeccompStatus::Skipped(errno));
        }
        Err(errno) => return Err(SeccompError::Install(errno)),
    }
    // A filter cannot be removed once installed, so reading back filter
    // mode proves it holds for the exec.
    // SAFETY: PR_GET_SECCOMP takes no pointer.
    let mode = Errno::result(unsafe { libc::prctl(libc::PR_GET_SECCOMP) });
    if mode == Ok(libc::SECCOMP_MODE_FILTER as i32) {
        Ok(SeccompStatus::Installed)
    } else {
        Err(SeccompError::NotInForce { mode })
    }
}

/// Installs `program` on the calling thread only, with
/// `seccomp(SECCOMP_SET_MODE_FILTER)`; the thread must have no_new_privs
/// set (or CAP_SYS_ADMIN). Also used by `sshgate doctor`'s probe, in a
/// forked child, so it makes the syscall and nothing else: no allocation,
/// no lock.
///
/// A program longer than `sock_fprog` can describe (65535 instructions)
/// is refused with EINVAL, as the kernel refuses one longer than
/// `BPF_MAXINSNS`; [`compile_filter`] never makes one.
pub(super) fn set_mode_filter(program: &[libc::sock_filter]) -> Result<(), Errno> {
    let program = libc::sock_fprog {
        len: u16::try_from(program.len()).map_err(|_| Errno::EINVAL)?,
        filter: program.as_ptr().cast_mut(),
    };
    // The seccomp(2) syscall rather than prctl(PR_SET_SECCOMP): it takes
    // flags, and every kernel with Landlock (5.13) has it. Flags 0: this
    // thread only, no TSYNC.
    // SAFETY: `program` points at the caller's instructions, which outlive
    // the call; the kernel copies them and keeps no pointer.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_SET_MODE_FILTER,
            0 as libc::c_uint,
            &raw const program,
        )
    };
    Errno::result(rc).map(|_| ())
}

/// Whether `errno` from `seccomp(SECCOMP_SET_MODE_FILTER)` means the kernel
/// has no filter support: ENOSYS, without `CONFIG_SECCOMP`. EINVAL is not
/// taken as such (it is what a kernel without `CONFIG_SECCOMP_FILTER`
/// answers, but also what it answers a program its checker rejects), so a
/// broken filter is never skipped as "unsupported" under best-effort.
fn kernel_lacks_filters(errno: Errno) -> bool {
    errno == Errno::ENOSYS
}

/// Syscalls the gate itself makes between installing the filter and the
/// exec (reading the mode back, writing the record and reading back where
/// it landed, setting the limits, closing descriptors, the exec, and
/// exiting on failure); a policy that
/// adds one to `deny_syscalls` would make every request fail, which lint
/// reports.
pub const GATE_NEEDS_AFTER_FILTER: &[&str] = &[
    "brk",
    "close",
    "close_range",
    "execve",
    "exit_group",
    // Letting the command inherit the session lock (`max_concurrent`).
    "fcntl",
    // Where the record landed in the log, and the byte before it.
    "lseek",
    "mmap",
    "munmap",
    "prctl",
    "pread64",
    "prlimit64",
    "rt_sigaction",
    // Looking for a held SIGHUP, SIGTERM or SIGINT, and giving the command
    // its signal mask back (see `signals`).
    "rt_sigpending",
    "rt_sigprocmask",
    // Returning from the gate's no-op SIGPIPE/SIGXFSZ handler.
    "rt_sigreturn",
    // The allow record, to the system log when the profile has no `log`.
    "sendto",
    "write",
];

/// The kernel's limit on a classic BPF program (`BPF_MAXINSNS`).
const BPF_MAXINSNS: usize = 4096;

/// The errno of every denial but `clone3`'s.
const EPERM: u32 = libc::EPERM as u32;

/// `AUDIT_ARCH_X86_64` (`EM_X86_64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE`
/// in `linux/audit.h`); libc does not export it.
const AUDIT_ARCH_X86_64: u32 = 62 | 0x8000_0000 | 0x4000_0000;

/// `__X32_SYSCALL_BIT`: set in the number of every x32-ABI syscall.
pub(super) const X32_SYSCALL_BIT: u32 = 0x4000_0000;

/// `clone3`'s number, as the guard compares it.
const CLONE3: u32 = libc::SYS_clone3 as u32;

/// `openat2(2)`, answered ENOSYS like `clone3`.
const OPENAT2: u32 = libc::SYS_openat2 as u32;

/// `MFD_NOEXEC_SEAL` (Linux 6.3): the memfd can never be made executable.
const MFD_NOEXEC_SEAL: u64 = libc::MFD_NOEXEC_SEAL as u64;

/// `MSG_FASTOPEN`: send data with the SYN of an implicit connect.
const MSG_FASTOPEN: u64 = libc::MSG_FASTOPEN as u64;

/// Offsets in `struct seccomp_data { int nr; __u32 arch; ... }`.
const SECCOMP_DATA_NR: u32 = 0;
const SECCOMP_DATA_ARCH: u32 = 4;

/// Classic BPF opcodes (`linux/bpf_common.h`), as `sock_filter.code`.
const LOAD_WORD: u16 = 0x20; // BPF_LD (0) | BPF_W (0) | BPF_ABS
const JUMP_IF_EQUAL: u16 = 0x05 | 0x10; // BPF_JMP | BPF_JEQ | BPF_K
const JUMP_IF_AT_LEAST: u16 = 0x05 | 0x30; // BPF_JMP | BPF_JGE | BPF_K
const RETURN: u16 = 0x06; // BPF_RET | BPF_K

/// The hand-written prefix; see the module doc. Jump offsets count from
/// the next instruction.
fn guard() -> Vec<libc::sock_filter> {
    let op = |code, k, jt, jf| libc::sock_filter { code, jt, jf, k };
    vec![
        op(LOAD_WORD, SECCOMP_DATA_ARCH, 0, 0),
        // x86_64: skip the kill.
        op(JUMP_IF_EQUAL, AUDIT_ARCH_X86_64, 1, 0),
        op(RETURN, libc::SECCOMP_RET_KILL_PROCESS, 0, 0),
        op(LOAD_WORD, SECCOMP_DATA_NR, 0, 0),
        // Unsigned compare: also catches "negative" numbers, none of which
        // is a syscall.
        op(JUMP_IF_AT_LEAST, X32_SYSCALL_BIT, 0, 1),
        op(RETURN, libc::SECCOMP_RET_ERRNO | EPERM, 0, 0),
        op(JUMP_IF_EQUAL, CLONE3, 0, 1),
        op(RETURN, libc::SECCOMP_RET_ERRNO | libc::ENOSYS as u32, 0, 0),
        // openat2's mode is in memory too (see deny_setuid_modes).
        op(JUMP_IF_EQUAL, OPENAT2, 0, 1),
        op(RETURN, libc::SECCOMP_RET_ERRNO | libc::ENOSYS as u32, 0, 0),
    ]
}

/// Syscalls refused whatever their arguments, by name (for the tests) and
/// x86_64 number. One comment each: why no forced command needs it.
const ALWAYS_DENIED: &[(&str, i64)] = &[
    // --- Mounts: they change what the paths Landlock granted refer to. ---
    // Attaching a filesystem anywhere could shadow a granted or system path.
    ("mount", libc::SYS_mount),
    // Detaching a mount could uncover what lies beneath it.
    ("umount2", libc::SYS_umount2),
    // New mount API, step 1: a filesystem context is only good for mounting.
    ("fsopen", libc::SYS_fsopen),
    // New mount API: configures a context from fsopen or fspick.
    ("fsconfig", libc::SYS_fsconfig),
    // New mount API: turns a context into a mount.
    ("fsmount", libc::SYS_fsmount),
    // New mount API: reconfigures an existing mount's superblock.
    ("fspick", libc::SYS_fspick),
    // New mount API: attaches a mount somewhere.
    ("move_mount", libc::SYS_move_mount),
    // Clones a mount tree to attach elsewhere with move_mount.
    ("open_tree", libc::SYS_open_tree),
    // open_tree with mount attributes (Linux 6.15); not in libc yet.
    ("open_tree_attr", SYS_OPEN_TREE_ATTR),
    // Changes a mount's flags (read-only, nosuid, idmap).
    ("mount_setattr", libc::SYS_mount_setattr),
    // Swaps the root filesystem; for init and container runtimes only.
    ("pivot_root", libc::SYS_pivot_root),
    // Changes what "/" means, the classic way to confuse path checks.
    ("chroot", libc::SYS_chroot),
    // --- Namespaces (clone with CLONE_NEW* is in deny_namespace_clones). ---
    // A new user namespace hands out a full capability set inside it, the
    // door to most kernel attack surface; no forced command builds
    // containers.
    ("unshare", libc::SYS_unshare),
    // Joining another process's namespace leaves the sandbox's view.
    ("setns", libc::SYS_setns),
    // --- Access to other processes' memory and descriptors. ---
    // Debugging and injecting code into another process.
    ("ptrace", libc::SYS_ptrace),
    // Reads another process's memory.
    ("process_vm_readv", libc::SYS_process_vm_readv),
    // Writes another process's memory.
    ("process_vm_writev", libc::SYS_process_vm_writev),
    // Compares kernel objects of two processes: an information leak.
    ("kcmp", libc::SYS_kcmp),
    // Steals a descriptor from another process.
    ("pidfd_getfd", libc::SYS_pidfd_getfd),
    // --- Kernel interfaces: code or attack surface in the kernel itself. ---
    // Loads and boots another kernel.
    ("kexec_load", libc::SYS_kexec_load),
    // Loads and boots another kernel, from a file.
    ("kexec_file_load", libc::SYS_kexec_file_load),
    // Loads a kernel module from memory.
    ("init_module", libc::SYS_init_module),
    // Loads a kernel module from a file.
    ("finit_module", libc::SYS_finit_module),
    // Unloads a kernel module.
    ("delete_module", libc::SYS_delete_module),
    // eBPF programs and maps: a large, often-exploited kernel surface.
    ("bpf", libc::SYS_bpf),
    // Performance counters: kernel surface and side channels.
    ("perf_event_open", libc::SYS_perf_event_open),
    // Lets a process stall kernel accesses to its memory, a staple of
    // race exploits.
    ("userfaultfd", libc::SYS_userfaultfd),
    // io_uring runs I/O (sockets included) that seccomp never sees as
    // syscalls, and is a frequent source of kernel bugs.
    ("io_uring_setup", libc::SYS_io_uring_setup),
    // Submits io_uring work; refused with its setup.
    ("io_uring_enter", libc::SYS_io_uring_enter),
    // Registers io_uring buffers and files; refused with its setup.
    ("io_uring_register", libc::SYS_io_uring_register),
    // Kernel keyrings hold other sessions' credentials.
    ("keyctl", libc::SYS_keyctl),
    // Adds a key to a kernel keyring.
    ("add_key", libc::SYS_add_key),
    // Asks the kernel (and its upcall helpers) for a key.
    ("request_key", libc::SYS_request_key),
    // I/O port privilege level: direct hardware access.
    ("iopl", libc::SYS_iopl),
    // I/O port permissions: direct hardware access.
    ("ioperm", libc::SYS_ioperm),
    // --- System settings: they belong to the administrator. ---
    // Sets the wall clock.
    ("settimeofday", libc::SYS_settimeofday),
    // Sets a clock.
    ("clock_settime", libc::SYS_clock_settime),
    // Tunes a clock (NTP discipline); read-only uses are for NTP daemons.
    ("clock_adjtime", libc::SYS_clock_adjtime),
    // Tunes the system clock; as clock_adjtime.
    ("adjtimex", libc::SYS_adjtimex),
    // Adds swap space.
    ("swapon", libc::SYS_swapon),
    // Removes swap space.
    ("swapoff", libc::SYS_swapoff),
    // Reboots or halts the machine, or loads a kexec kernel.
    ("reboot", libc::SYS_reboot),
    // Turns process accounting on or off.
    ("acct", libc::SYS_acct),
    // Disk quotas are set by the administrator.
    ("quotactl", libc::SYS_quotactl),
    // quotactl on a descriptor.
    ("quotactl_fd", libc::SYS_quotactl_fd),
    // Opens a file by handle, bypassing every path and so every Landlock
    // rule (the "shocker" container escape). Its counterpart
    // name_to_handle_at stays allowed: it only names a file the command
    // can already reach, some tools use it to identify files and mounts,
    // and the handle is useless without open_by_handle_at.
    ("open_by_handle_at", libc::SYS_open_by_handle_at),
    // --- System V IPC: Landlock does not scope it, so a command could read
    // and write another process's shared memory or message queues by key
    // (DAC alone decides; for root, every segment), and leave segments
    // behind after it exits. Forced commands use pipes and files. ---
    ("shmget", libc::SYS_shmget),
    ("shmat", libc::SYS_shmat),
    ("shmdt", libc::SYS_shmdt),
    ("shmctl", libc::SYS_shmctl),
    ("msgget", libc::SYS_msgget),
    ("msgsnd", libc::SYS_msgsnd),
    ("msgrcv", libc::SYS_msgrcv),
    ("msgctl", libc::SYS_msgctl),
    ("semget", libc::SYS_semget),
    ("semop", libc::SYS_semop),
    ("semtimedop", libc::SYS_semtimedop),
    ("semctl", libc::SYS_semctl),
    // POSIX message queues, the same reach by name: Landlock refuses
    // mq_open with EACCES only after the queue is created (filling
    // fs.mqueue.queues_max for every user), and mq_unlink has no hook at
    // all (a root command deleted any root daemon's queue).
    ("mq_open", libc::SYS_mq_open),
    ("mq_unlink", libc::SYS_mq_unlink),
    ("mq_timedsend", libc::SYS_mq_timedsend),
    ("mq_timedreceive", libc::SYS_mq_timedreceive),
    ("mq_notify", libc::SYS_mq_notify),
    ("mq_getsetattr", libc::SYS_mq_getsetattr),
    // --- Old interfaces (personality is in deny_personalities). ---
    // Loads a shared library the a.out way, removed from modern kernels.
    ("uselib", libc::SYS_uselib),
    // Filesystem statistics the pre-statfs way.
    ("ustat", libc::SYS_ustat),
    // Lists filesystem types the pre-/proc way.
    ("sysfs", libc::SYS_sysfs),
    // Binary sysctl, removed in Linux 5.5.
    ("_sysctl", libc::SYS__sysctl),
    // Hangs up the controlling terminal of other sessions' processes.
    ("vhangup", libc::SYS_vhangup),
    // oprofile's cookie lookup, removed in Linux 6.10.
    ("lookup_dcookie", libc::SYS_lookup_dcookie),
    // The old NFS server interface, removed in Linux 3.1.
    ("nfsservctl", libc::SYS_nfsservctl),
    // Per-process segment descriptors for 16-bit code and Wine, a
    // recurring source of kernel bugs.
    ("modify_ldt", libc::SYS_modify_ldt),
    // The rest are numbers reserved for calls Linux never implemented;
    // refused so that a future use of one starts closed.
    ("getpmsg", libc::SYS_getpmsg),
    ("putpmsg", libc::SYS_putpmsg),
    ("afs_syscall", libc::SYS_afs_syscall),
    ("tuxcall", libc::SYS_tuxcall),
    ("security", libc::SYS_security),
    ("vserver", libc::SYS_vserver),
];

/// `open_tree_attr` (Linux 6.15), missing from libc 0.2.191.
const SYS_OPEN_TREE_ATTR: i64 = 467;

/// `fchmodat2` (Linux 6.6): `fchmodat` with flags, `AT_EMPTY_PATH`
/// included.
const SYS_FCHMODAT2: i64 = 452;

/// `setxattrat` and `removexattrat` (Linux 6.13), missing from libc.
const SYS_SETXATTRAT: i64 = 463;
const SYS_REMOVEXATTRAT: i64 = 466;

/// `file_setattr` (Linux 6.17), missing from libc.
const SYS_FILE_SETATTR: i64 = 469;

/// `S_ISUID` and `S_ISGID`.
const SET_USER_ID: u64 = libc::S_ISUID as u64;
const SET_GROUP_ID: u64 = libc::S_ISGID as u64;

/// `O_CREAT`, and the bit of `O_TMPFILE` that is not `O_DIRECTORY`: either
/// makes `open` use its mode.
const O_CREAT: u64 = libc::O_CREAT as u64;
const O_TMPFILE_BIT: u64 = (libc::O_TMPFILE & !libc::O_DIRECTORY) as u64;

/// Inode-changing `ioctl` requests, as their low 32 bits:
/// `_IOW('f', 2, long)`, `_IOW('f', 2, int)`, `_IOW('X', 32, struct
/// fsxattr)`, `_IOW('v', 2, long)`, `_IOW('f', 133, struct
/// fsverity_enable_arg)`.
const FS_IOC_SETFLAGS: u64 = libc::FS_IOC_SETFLAGS;
const FS_IOC32_SETFLAGS: u64 = 0x4004_6602;
const FS_IOC_FSSETXATTR: u64 = 0x401c_5820;
const FS_IOC_SETVERSION: u64 = 0x4008_7602;
const FS_IOC_ENABLE_VERITY: u64 = 0x4080_6685;

/// `clone(2)` with any namespace flag: one masked-equality rule per flag,
/// since a rule's conditions are all required and any one flag is enough
/// to refuse. Flags other than these (fork, vfork, threads) are allowed.
///
/// CLONE_NEWTIME is not among them: its bit (0x80) lies in the exit-signal
/// byte of `clone(2)`'s flags, which the kernel never reads as a flag;
/// only `unshare` and `clone3` take it, and both are refused.
fn deny_namespace_clones(list: &mut DenyList) -> Result<(), SeccompError> {
    for flag in [
        libc::CLONE_NEWNS,
        libc::CLONE_NEWCGROUP,
        libc::CLONE_NEWUTS,
        libc::CLONE_NEWIPC,
        libc::CLONE_NEWUSER,
        libc::CLONE_NEWPID,
        libc::CLONE_NEWNET,
    ] {
        list.when(libc::SYS_clone, vec![arg_has_bits(0, flag as u64)?])?;
    }
    Ok(())
}

/// `personality(2)` with anything but PER_LINUX (0) or the query
/// 0xffffffff: the other personas disable address-space randomisation
/// (`setarch -R`), make reads imply exec, or emulate other systems, and only
/// weaken the process.
fn deny_personalities(list: &mut DenyList) -> Result<(), SeccompError> {
    list.when(
        libc::SYS_personality,
        vec![arg_is_not(0, 0)?, arg_is_not(0, 0xffff_ffff)?],
    )
}

/// `ioctl(2)` requests that act on a terminal beyond the caller's own
/// input and output.
fn deny_terminal_injection(list: &mut DenyList) -> Result<(), SeccompError> {
    // TIOCSTI pushes characters into a terminal's input queue: typed into
    // whatever reads that terminal next, e.g. an administrator's shell.
    list.when(libc::SYS_ioctl, vec![arg_is(1, libc::TIOCSTI)?])?;
    // TIOCLINUX's subcommands paste the console selection into its input,
    // the same injection on a virtual console.
    list.when(libc::SYS_ioctl, vec![arg_is(1, libc::TIOCLINUX)?])
}

/// `prlimit64(2)` on any process but the caller (arg0 other than 0).
///
/// Unlike `setpriority(2)` and friends, the kernel lets a process change
/// the limits of any process of its uid even when that one holds more
/// capabilities: a root command without capabilities could set sshd's
/// `RLIMIT_NOFILE` to 4 (locking everyone out) or kill a root process
/// with `RLIMIT_CPU`, past the Landlock signal scope. libc's
/// `getrlimit`/`setrlimit` pass 0.
fn deny_limits_of_other_processes(list: &mut DenyList) -> Result<(), SeccompError> {
    list.when(libc::SYS_prlimit64, vec![arg_is_not(0, 0)?])
}

/// Set-user-ID and set-group-ID bits, by whatever call sets a mode: a
/// root command could otherwise leave a setuid-root program in a writable
/// grant (`rsync -p`, sftp `chmod 4755`, or `open(O_CREAT, 04755)`, which
/// the umask does not clear), and any local user could run it as root.
/// `openat2(2)` keeps its mode in memory, where the filter cannot read it;
/// the guard answers it ENOSYS, so libc falls back to `openat(2)`.
fn deny_setuid_modes(list: &mut DenyList) -> Result<(), SeccompError> {
    for bit in [SET_USER_ID, SET_GROUP_ID] {
        // (syscall, index of the mode argument)
        for (nr, mode) in [
            (libc::SYS_chmod, 1),
            (libc::SYS_fchmod, 1),
            (libc::SYS_fchmodat, 2),
            (SYS_FCHMODAT2, 2),
            (libc::SYS_creat, 1),
            (libc::SYS_mknod, 1),
            (libc::SYS_mknodat, 2),
        ] {
            list.when(nr, vec![arg_has_bits(mode, bit)?])?;
        }
        // open and openat only use the mode when they create a file.
        for creating in [O_CREAT, O_TMPFILE_BIT] {
            list.when(
                libc::SYS_open,
                vec![arg_has_bits(1, creating)?, arg_has_bits(2, bit)?],
            )?;
            list.when(
                libc::SYS_openat,
                vec![arg_has_bits(2, creating)?, arg_has_bits(3, bit)?],
            )?;
        }
    }
    Ok(())
}

/// Changes of mode, owner, extended attributes (ACLs included), times and
/// inode flags, unless the plan's `metadata` allows them.
///
/// Landlock (up to ABI 7 at least) has no right for any of these, and for
/// a root command DAC lets the owner of every root-owned file change them.
/// By path, or through an `O_PATH` descriptor (`AT_EMPTY_PATH`), that
/// needs no grant at all: the policy file, the audit log, `/etc/shadow`,
/// `authorized_keys`. Through a descriptor opened read-only, it reaches
/// every read grant, the system base included (`chmod 0666 /etc/passwd`
/// by sftp's FSETSTAT). So both forms are refused.
///
/// One change stays: `utimensat` with neither a path nor explicit times,
/// which sets a file the command opened to "now", as `touch` does; it
/// needs the file open, and says nothing but when it was last touched.
fn deny_metadata_changes(list: &mut DenyList) -> Result<(), SeccompError> {
    for nr in METADATA_CHANGES {
        list.always(*nr);
    }
    // utimensat(dirfd, path, times, flags): refused with a path (by path or
    // AT_EMPTY_PATH) or with explicit times.
    list.when(libc::SYS_utimensat, vec![arg64_is_not(1, 0)?])?;
    list.when(libc::SYS_utimensat, vec![arg64_is_not(2, 0)?])?;
    for request in INODE_IOCTLS {
        list.when(libc::SYS_ioctl, vec![arg_is(1, *request)?])?;
    }
    Ok(())
}

/// The syscalls [`deny_metadata_changes`] refuses whatever their
/// arguments.
const METADATA_CHANGES: &[i64] = &[
    libc::SYS_chmod,
    libc::SYS_fchmod,
    libc::SYS_fchmodat,
    SYS_FCHMODAT2,
    libc::SYS_chown,
    libc::SYS_fchown,
    libc::SYS_lchown,
    libc::SYS_fchownat,
    libc::SYS_setxattr,
    libc::SYS_lsetxattr,
    libc::SYS_fsetxattr,
    SYS_SETXATTRAT,
    libc::SYS_removexattr,
    libc::SYS_lremovexattr,
    libc::SYS_fremovexattr,
    SYS_REMOVEXATTRAT,
    libc::SYS_utime,
    libc::SYS_utimes,
    libc::SYS_futimesat,
    // Inode flags and project ids by path, chattr's path form.
    SYS_FILE_SETATTR,
];

/// `ioctl` requests that change an inode through any open descriptor, a
/// read-only one included: `chattr` flags (both sizes of the request),
/// project ids and extent sizes, the inode generation, and fs-verity,
/// which makes a file read-only for good.
const INODE_IOCTLS: &[u64] = &[
    FS_IOC_SETFLAGS,
    FS_IOC32_SETFLAGS,
    FS_IOC_FSSETXATTR,
    FS_IOC_SETVERSION,
    FS_IOC_ENABLE_VERITY,
];

/// btrfs `ioctl`s that change the tree through a descriptor opened
/// read-only, which Landlock (checking paths, and ioctls only on devices)
/// does not see: a root command with a read grant on a btrfs directory
/// created subvolumes and snapshots inside it, made a read-only backup
/// snapshot writable and then deleted it, forged a received UUID, and
/// rewrote extents (a fourth hostile review, on Linux 6.18). Refused
/// whatever `metadata` says: they write where the grant is read-only.
/// Exact requests, not the whole 0x94 type, which `FICLONE`, `btrfs send`
/// and friends share.
fn deny_btrfs_tree_changes(list: &mut DenyList) -> Result<(), SeccompError> {
    for request in BTRFS_TREE_IOCTLS {
        list.when(libc::SYS_ioctl, vec![arg_is(1, *request)?])?;
    }
    Ok(())
}

/// The btrfs requests [`deny_btrfs_tree_changes`] refuses, from
/// `linux/btrfs.h` (checked against the header with a C program).
const BTRFS_TREE_IOCTLS: &[u64] = &[
    0x5000_9401, // BTRFS_IOC_SNAP_CREATE
    0x5000_9402, // BTRFS_IOC_DEFRAG
    0x5000_940e, // BTRFS_IOC_SUBVOL_CREATE
    0x5000_940f, // BTRFS_IOC_SNAP_DESTROY
    0x4030_9410, // BTRFS_IOC_DEFRAG_RANGE
    0x5000_9417, // BTRFS_IOC_SNAP_CREATE_V2
    0x5000_9418, // BTRFS_IOC_SUBVOL_CREATE_V2
    0x4008_941a, // BTRFS_IOC_SUBVOL_SETFLAGS
    0xc0c8_9425, // BTRFS_IOC_SET_RECEIVED_SUBVOL
    0x5000_943f, // BTRFS_IOC_SNAP_DESTROY_V2
];

/// `memfd_create(2)` unless the flags (arg1) carry `MFD_NOEXEC_SEAL`.
///
/// Landlock checks the execute right on files reached by path; a memfd
/// lives on the kernel's internal mount, where no rule applies, so
/// `execveat(memfd, "", AT_EMPTY_PATH)` would run any program the command
/// writes into one. A memfd sealed non-executable cannot be executed, and
/// kernels before 6.3, which lack the flag, refuse it with EINVAL.
fn deny_executable_memfds(list: &mut DenyList) -> Result<(), SeccompError> {
    list.when(
        libc::SYS_memfd_create,
        vec![arg_lacks_bits(1, MFD_NOEXEC_SEAL)?],
    )
}

/// `socket(2)` by family (arg0), type (arg1) and protocol (arg2), as the
/// plan's network setting allows. Denial rules are the negation of what is
/// allowed: a socket is refused if any rule matches.
fn deny_sockets(list: &mut DenyList, network: &Network, unix: bool) -> Result<(), SeccompError> {
    let nr = libc::SYS_socket;
    let unix_family = libc::AF_UNIX as u64;
    match network {
        Network::Any => Ok(()),
        // No family at all: before Landlock ABI 9, a pathname unix socket
        // is reachable whenever DAC allows, /var/run/docker.sock included.
        Network::None if !unix => {
            list.always(nr);
            Ok(())
        }
        Network::None => list.when(nr, vec![arg_is_not(0, unix_family)?]),
        Network::Ports { bind, .. } => {
            // Any family other than the allowed ones: netlink (kernel
            // configuration), packet (raw frames), vsock, bluetooth, ...
            let mut other_family = vec![
                arg_is_not(0, libc::AF_INET as u64)?,
                arg_is_not(0, libc::AF_INET6 as u64)?,
            ];
            if unix {
                other_family.push(arg_is_not(0, unix_family)?);
            }
            list.when(nr, other_family)?;
            for family in [libc::AF_INET, libc::AF_INET6] {
                let family = family as u64;
                // Not a stream socket: UDP and raw sockets are beyond the
                // ports Landlock limits (it knows TCP only). The type may
                // carry SOCK_NONBLOCK and SOCK_CLOEXEC; the kernel rejects
                // any other bit with EINVAL, so these four values are every
                // stream type it accepts.
                let mut not_stream = vec![arg_is(0, family)?];
                for flags in [
                    0,
                    libc::SOCK_NONBLOCK,
                    libc::SOCK_CLOEXEC,
                    libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
                ] {
                    not_stream.push(arg_is_not(1, (libc::SOCK_STREAM | flags) as u64)?);
                }
                list.when(nr, not_stream)?;
                // A stream protocol other than TCP (SCTP, MPTCP): Landlock's
                // port rules cover TCP only.
                list.when(
                    nr,
                    vec![
                        arg_is(0, family)?,
                        arg_is_not(2, 0)?,
                        arg_is_not(2, libc::IPPROTO_TCP as u64)?,
                    ],
                )?;
            }
            deny_unchecked_tcp(list, bind)
        }
    }
}

/// Two ways to use TCP that Landlock's port rules do not see (Linux 6.18,
/// ABI 7; both reproduced):
///
/// - TCP Fast Open: `sendto`/`sendmsg`/`sendmmsg` with `MSG_FASTOPEN`
///   connects an unconnected socket without the `connect(2)` hook, to any
///   port. No forced command needs it; it is refused whatever the socket.
/// - `listen(2)` on an unbound socket binds it to an ephemeral port on
///   every address without the `bind(2)` hook. With no `bind` port granted,
///   `listen(2)` is refused outright (which also refuses it on unix
///   sockets: a forced command has nobody to accept from). With ports
///   granted, a command can still listen on an ephemeral port; README says
///   so.
fn deny_unchecked_tcp(list: &mut DenyList, bind: &[u16]) -> Result<(), SeccompError> {
    list.when(libc::SYS_sendto, vec![arg_has_bits(3, MSG_FASTOPEN)?])?;
    list.when(libc::SYS_sendmsg, vec![arg_has_bits(2, MSG_FASTOPEN)?])?;
    list.when(libc::SYS_sendmmsg, vec![arg_has_bits(3, MSG_FASTOPEN)?])?;
    if bind.is_empty() {
        list.always(libc::SYS_listen);
    }
    Ok(())
}

/// Argument `index`, as 32 bits, equals `value`.
fn arg_is(index: u8, value: u64) -> Result<SeccompCondition, SeccompError> {
    Ok(SeccompCondition::new(
        index,
        SeccompCmpArgLen::Dword,
        SeccompCmpOp::Eq,
        value,
    )?)
}

/// Argument `index`, as 32 bits, differs from `value`.
fn arg_is_not(index: u8, value: u64) -> Result<SeccompCondition, SeccompError> {
    Ok(SeccompCondition::new(
        index,
        SeccompCmpArgLen::Dword,
        SeccompCmpOp::Ne,
        value,
    )?)
}

/// Argument `index`, as 32 bits, has every bit of `bits` set.
fn arg_has_bits(index: u8, bits: u64) -> Result<SeccompCondition, SeccompError> {
    Ok(SeccompCondition::new(
        index,
        SeccompCmpArgLen::Dword,
        SeccompCmpOp::MaskedEq(bits),
        bits,
    )?)
}

/// Argument `index`, all 64 bits (a pointer), differs from `value`.
fn arg64_is_not(index: u8, value: u64) -> Result<SeccompCondition, SeccompError> {
    Ok(SeccompCondition::new(
        index,
        SeccompCmpArgLen::Qword,
        SeccompCmpOp::Ne,
        value,
    )?)
}

/// Argument `index`, as 32 bits, has none of the bits of `bits` set.
fn arg_lacks_bits(index: u8, bits: u64) -> Result<SeccompCondition, SeccompError> {
    Ok(SeccompCondition::new(
        index,
        SeccompCmpArgLen::Dword,
        SeccompCmpOp::MaskedEq(bits),
        0,
    )?)
}

/// How one syscall is refused.
enum Denial {
    /// Whatever its arguments.
    Always,
    /// When any of these rules matches (each rule: all its conditions).
    When(Vec<SeccompRule>),
}

/// The syscalls refused, by number, before seccompiler compiles them.
#[derive(Default)]
struct DenyList(BTreeMap<i64, Denial>);

impl DenyList {
    /// Refuses `nr` whatever its arguments, replacing any narrower rule.
    fn always(&mut self, nr: i64) {
        self.0.insert(nr, Denial::Always);
    }

    /// Refuses `nr` when all of `conditions` hold, unless it is refused
    /// always already.
    fn when(&mut self, nr: i64, conditions: Vec<SeccompCondition>) -> Result<(), SeccompError> {
        let rule = SeccompRule::new(conditions)?;
        match self.0.entry(nr).or_insert_with(|| Denial::When(Vec::new())) {
            Denial::Always => {}
            Denial::When(rules) => rules.push(rule),
        }
        Ok(())
    }

    /// seccompiler's form: an empty rule list matches the syscall whatever
    /// its arguments.
    fn into_rules(self) -> BTreeMap<i64, Vec<SeccompRule>> {
        self.0
            .into_iter()
            .map(|(nr, denial)| match denial {
                Denial::Always => (nr, Vec::new()),
                Denial::When(rules) => (nr, rules),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::testing::{plan_for, run_in_child};
    use super::*;
    use crate::policy::SyscallName;

    const ALLOWED: u32 = libc::SECCOMP_RET_ALLOW;
    const DENIED: u32 = libc::SECCOMP_RET_ERRNO | EPERM;
    const NO_SUCH_CALL: u32 = libc::SECCOMP_RET_ERRNO | libc::ENOSYS as u32;
    const KILLED: u32 = libc::SECCOMP_RET_KILL_PROCESS;
    /// `EM_386 | __AUDIT_ARCH_LE`: an `int 0x80` call on x86_64.
    const AUDIT_ARCH_I386: u32 = 3 | 0x4000_0000;

    /// Classic BPF opcodes beyond the guard's, as seccompiler emits them.
    const AND: u16 = 0x54; // BPF_ALU | BPF_AND | BPF_K
    const JUMP: u16 = 0x05; // BPF_JMP | BPF_JA
    const JUMP_IF_GREATER: u16 = 0x25; // BPF_JMP | BPF_JGT | BPF_K

    fn plan(network: Network, unix_sockets: bool, deny: &[&str]) -> Plan {
        let mut plan = plan_for(Path::new("/usr/bin/true"), Vec::new());
        plan.network = network;
        plan.unix_sockets = unix_sockets;
        plan.deny_syscalls = deny
            .iter()
            .map(|name| SyscallName::lookup(name).unwrap())
            .collect();
        plan
    }

    fn default_filter() -> SyscallFilter {
        compile_filter(&plan(Network::None, false, &[])).unwrap()
    }

    fn ports() -> Network {
        Network::Ports {
            connect: vec![443],
            bind: Vec::new(),
        }
    }

    /// Runs `program` on a `struct seccomp_data` as the kernel's classic BPF
    /// interpreter would, for the opcodes a seccomp filter uses. Panics on
    /// any other opcode, on a load outside the data and on a jump out of
    /// the program.
    fn evaluate(program: &[libc::sock_filter], arch: u32, nr: i64, args: &[u64]) -> u32 {
        let mut data = [0u8; 64];
        data[0..4].copy_from_slice(&(nr as u32).to_ne_bytes());
        data[4..8].copy_from_slice(&arch.to_ne_bytes());
        for (index, arg) in args.iter().enumerate() {
            data[16 + 8 * index..24 + 8 * index].copy_from_slice(&arg.to_ne_bytes());
        }
        let mut accumulator = 0u32;
        let mut pc = 0;
        loop {
            let op = program
                .get(pc)
                .unwrap_or_else(|| panic!("ran off the end at {pc}"));
            pc += 1;
            let jump = |taken: bool| usize::from(if taken { op.jt } else { op.jf });
            match op.code {
                LOAD_WORD => {
                    let at = op.k as usize;
                    assert!(at % 4 == 0 && at + 4 <= data.len(), "load at {at}");
                    accumulator = u32::from_ne_bytes(data[at..at + 4].try_into().unwrap());
                }
                AND => accumulator &= op.k,
                JUMP => pc += op.k as usize,
                JUMP_IF_EQUAL => pc += jump(accumulator == op.k),
                JUMP_IF_GREATER => pc += jump(accumulator > op.k),
                JUMP_IF_AT_LEAST => pc += jump(accumulator >= op.k),
                RETURN => return op.k,
                code => panic!("unexpected opcode {code:#x} at {}", pc - 1),
            }
        }
    }

    /// What `filter` does with syscall `nr` and `args` from x86_64.
    fn verdict(filter: &SyscallFilter, nr: i64, args: &[u64]) -> u32 {
        evaluate(&filter.program, AUDIT_ARCH_X86_64, nr, args)
    }

    fn socket(filter: &SyscallFilter, family: i32, kind: i32, protocol: i32) -> u32 {
        verdict(
            filter,
            libc::SYS_socket,
            &[family as u64, kind as u64, protocol as u64],
        )
    }

    #[test]
    fn the_guard_comes_first_and_seccompilers_arch_check_follows() {
        let filter = default_filter();
        let guard = guard();
        let fields = |op: &libc::sock_filter| (op.code, op.jt, op.jf, op.k);
        assert_eq!(
            filter.program[..guard.len()]
                .iter()
                .map(fields)
                .collect::<Vec<_>>(),
            guard.iter().map(fields).collect::<Vec<_>>()
        );
        // seccompiler's program starts with its own architecture check.
        let next = &filter.program[guard.len()..guard.len() + 3];
        assert_eq!(fields(&next[0]), (LOAD_WORD, 0, 0, SECCOMP_DATA_ARCH));
        assert_eq!(fields(&next[1]), (JUMP_IF_EQUAL, 1, 0, AUDIT_ARCH_X86_64));
        assert_eq!(fields(&next[2]), (RETURN, 0, 0, KILLED));
    }

    #[test]
    fn every_jump_lands_inside_the_program_and_it_ends_in_a_return() {
        for network in [Network::None, Network::Any, ports()] {
            for unix in [false, true] {
                let filter = compile_filter(&plan(network.clone(), unix, &["uname"])).unwrap();
                let program = &filter.program;
                assert!(program.len() <= BPF_MAXINSNS);
                for (at, op) in program.iter().enumerate() {
                    let next = at + 1;
                    let targets = match op.code {
                        JUMP => vec![next + op.k as usize],
                        JUMP_IF_EQUAL | JUMP_IF_GREATER | JUMP_IF_AT_LEAST => {
                            vec![next + usize::from(op.jt), next + usize::from(op.jf)]
                        }
                        LOAD_WORD | AND | RETURN => Vec::new(),
                        code => panic!("unexpected opcode {code:#x} at {at}"),
                    };
                    for target in targets {
                        assert!(target < program.len(), "{at} jumps to {target}");
                    }
                }
                assert_eq!(program.last().map(|op| op.code), Some(RETURN));
            }
        }
    }

    #[test]
    fn a_foreign_architecture_is_killed() {
        let filter = default_filter();
        // i386 getpid (20) through int 0x80, and i386 read (3).
        assert_eq!(evaluate(&filter.program, AUDIT_ARCH_I386, 20, &[]), KILLED);
        assert_eq!(evaluate(&filter.program, AUDIT_ARCH_I386, 3, &[]), KILLED);
    }

    #[test]
    fn x32_numbers_are_refused() {
        let filter = default_filter();
        for nr in [libc::SYS_read, libc::SYS_getpid, libc::SYS_mount, 0x1ff] {
            assert_eq!(verdict(&filter, 0x4000_0000 | nr, &[]), DENIED, "{nr}");
        }
        // Not a syscall either, but caught by the same unsigned compare.
        assert_eq!(verdict(&filter, -1, &[]), DENIED);
    }

    #[test]
    fn clone3_is_not_implemented_so_libc_falls_back_to_clone() {
        let filter = default_filter();
        assert_eq!(verdict(&filter, libc::SYS_clone3, &[0, 88]), NO_SUCH_CALL);
    }

    #[test]
    fn every_default_entry_is_refused_whatever_its_arguments() {
        let filter = default_filter();
        for &(name, nr) in ALWAYS_DENIED {
            assert_eq!(verdict(&filter, nr, &[]), DENIED, "{name}");
            assert_eq!(verdict(&filter, nr, &[u64::MAX; 6]), DENIED, "{name}");
            // The table's names are the kernel's, so a policy can name them.
            if name != "open_tree_attr" {
                assert_eq!(SyscallName::lookup(name).map(|s| s.number()), Some(nr));
            }
        }
    }

    #[test]
    fn ordinary_calls_are_allowed() {
        let filter = default_filter();
        for nr in [
            libc::SYS_read,
            libc::SYS_write,
            libc::SYS_openat,
            libc::SYS_execve,
            libc::SYS_exit_group,
            libc::SYS_close_range,
            libc::SYS_socketpair,
            libc::SYS_name_to_handle_at,
            libc::SYS_prctl,
            libc::SYS_landlock_restrict_self,
        ] {
            assert_eq!(verdict(&filter, nr, &[]), ALLOWED, "{nr}");
        }
    }

    #[test]
    fn clone_is_allowed_without_namespace_flags() {
        let filter = default_filter();
        let sigchld = libc::SIGCHLD as u64;
        // glibc's fork(): SIGCHLD | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID.
        let fork = sigchld | 0x0100_0000 | 0x0020_0000;
        // pthread_create() through clone when clone3 is unavailable.
        let thread = 0x003d_0f00;
        // posix_spawn(): CLONE_VM | CLONE_VFORK | SIGCHLD.
        let spawn = 0x4100 | sigchld;
        // The kernel reads only the low 32 bits of the flags.
        let high = 1 << 40 | sigchld;
        for flags in [fork, thread, spawn, high] {
            assert_eq!(
                verdict(&filter, libc::SYS_clone, &[flags]),
                ALLOWED,
                "{flags:#x}"
            );
        }
    }

    #[test]
    fn clone_with_any_namespace_flag_is_refused() {
        let filter = default_filter();
        for flag in [
            libc::CLONE_NEWNS,
            libc::CLONE_NEWCGROUP,
            libc::CLONE_NEWUTS,
            libc::CLONE_NEWIPC,
            libc::CLONE_NEWUSER,
            libc::CLONE_NEWPID,
            libc::CLONE_NEWNET,
        ] {
            let flag = flag as u64;
            for flags in [flag, flag | libc::SIGCHLD as u64, flag | 0x003d_0f00] {
                assert_eq!(
                    verdict(&filter, libc::SYS_clone, &[flags]),
                    DENIED,
                    "{flags:#x}"
                );
            }
        }
    }

    #[test]
    fn only_the_default_personality_and_the_query_are_allowed() {
        let filter = default_filter();
        let personality = |persona| verdict(&filter, libc::SYS_personality, &[persona]);
        assert_eq!(personality(0), ALLOWED);
        assert_eq!(personality(0xffff_ffff), ALLOWED);
        // The kernel takes an unsigned int: the upper half is not looked at.
        assert_eq!(personality(0xdead_0000_0000), ALLOWED);
        // setarch -R.
        assert_eq!(personality(libc::ADDR_NO_RANDOMIZE as u64), DENIED);
        // READ_IMPLIES_EXEC.
        assert_eq!(personality(0x040_0000), DENIED);
        // PER_LINUX32.
        assert_eq!(personality(0x0008), DENIED);
    }

    #[test]
    fn metadata_changes_are_refused_unless_the_plan_allows_them() {
        let filter = default_filter();
        for nr in [
            libc::SYS_chmod,
            libc::SYS_fchmod,
            libc::SYS_fchmodat,
            SYS_FCHMODAT2,
            libc::SYS_chown,
            libc::SYS_fchown,
            libc::SYS_lchown,
            libc::SYS_fchownat,
            libc::SYS_setxattr,
            libc::SYS_fsetxattr,
            libc::SYS_lsetxattr,
            SYS_SETXATTRAT,
            libc::SYS_removexattr,
            libc::SYS_fremovexattr,
            libc::SYS_utimes,
            SYS_FILE_SETATTR,
        ] {
            assert_eq!(verdict(&filter, nr, &[3, 0o644]), DENIED, "{nr}");
        }
        let utimensat =
            |filter: &SyscallFilter, args: &[u64]| verdict(filter, libc::SYS_utimensat, args);
        // A path (even "" with AT_EMPTY_PATH), or explicit times: refused.
        assert_eq!(utimensat(&filter, &[3, 0x7fff_0000_1000, 0, 0]), DENIED);
        assert_eq!(utimensat(&filter, &[3, 0x1000, 0, 0]), DENIED);
        assert_eq!(utimensat(&filter, &[3, 0, 0x7fff_0000_2000, 0]), DENIED);
        // touch's futimens(fd, NULL): "now", on a file it opened.
        assert_eq!(utimensat(&filter, &[3, 0, 0, 0]), ALLOWED);
        let ioctl =
            |filter: &SyscallFilter, request: u64| verdict(filter, libc::SYS_ioctl, &[3, request]);
        for request in INODE_IOCTLS {
            assert_eq!(ioctl(&filter, *request), DENIED, "{request:#x}");
        }

        let mut allowing = plan(Network::None, false, &[]);
        allowing.metadata = true;
        let allowing = compile_filter(&allowing).unwrap();
        assert_eq!(verdict(&allowing, libc::SYS_chmod, &[0, 0o644]), ALLOWED);
        assert_eq!(verdict(&allowing, libc::SYS_fchmod, &[3, 0o644]), ALLOWED);
        assert_eq!(utimensat(&allowing, &[3, 0x1000, 0x2000, 0]), ALLOWED);
        assert_eq!(ioctl(&allowing, FS_IOC_SETFLAGS), ALLOWED);
    }

    #[test]
    fn setuid_and_setgid_modes_are_refused_even_when_metadata_is_allowed() {
        let mut allowing = plan(Network::None, false, &[]);
        allowing.metadata = true;
        let allowing = compile_filter(&allowing).unwrap();
        for filter in [default_filter(), allowing] {
            for bit in [0o4000, 0o2000] {
                let mode = 0o755 | bit;
                assert_eq!(verdict(&filter, libc::SYS_chmod, &[0, mode]), DENIED);
                assert_eq!(verdict(&filter, libc::SYS_fchmod, &[3, mode]), DENIED);
                assert_eq!(verdict(&filter, libc::SYS_fchmodat, &[3, 0, mode]), DENIED);
                assert_eq!(verdict(&filter, libc::SYS_creat, &[0, mode]), DENIED);
                assert_eq!(verdict(&filter, libc::SYS_mknodat, &[3, 0, mode]), DENIED);
                let create = (libc::O_CREAT | libc::O_WRONLY) as u64;
                assert_eq!(verdict(&filter, libc::SYS_open, &[0, create, mode]), DENIED);
                assert_eq!(
                    verdict(&filter, libc::SYS_openat, &[3, 0, create, mode]),
                    DENIED
                );
                let tmpfile = (libc::O_TMPFILE | libc::O_RDWR) as u64;
                assert_eq!(
                    verdict(&filter, libc::SYS_openat, &[3, 0, tmpfile, mode]),
                    DENIED
                );
                // Without O_CREAT the mode argument is garbage, not a mode.
                let read = libc::O_RDONLY as u64;
                assert_eq!(
                    verdict(&filter, libc::SYS_openat, &[3, 0, read, mode]),
                    ALLOWED
                );
            }
            let create = (libc::O_CREAT | libc::O_WRONLY) as u64;
            assert_eq!(
                verdict(&filter, libc::SYS_openat, &[3, 0, create, 0o644]),
                ALLOWED
            );
            // openat2 keeps its mode in memory: ENOSYS, so libc falls back.
            assert_eq!(
                verdict(&filter, libc::SYS_openat2, &[3, 0, 0, 24]),
                NO_SUCH_CALL
            );
        }
    }

    #[test]
    fn limits_and_system_v_ipc_of_other_processes_are_refused() {
        let filter = default_filter();
        let prlimit = |pid: u64| verdict(&filter, libc::SYS_prlimit64, &[pid, 7, 0, 0]);
        assert_eq!(prlimit(0), ALLOWED);
        assert_eq!(prlimit(1), DENIED);
        assert_eq!(prlimit(12345), DENIED);
        for nr in [
            libc::SYS_shmget,
            libc::SYS_shmat,
            libc::SYS_msgget,
            libc::SYS_semget,
        ] {
            assert_eq!(verdict(&filter, nr, &[0, 0, 0]), DENIED, "{nr}");
        }
    }

    #[test]
    fn btrfs_tree_changes_are_refused_even_when_metadata_is_allowed() {
        let mut allowing = plan(Network::None, false, &[]);
        allowing.metadata = true;
        let allowing = compile_filter(&allowing).unwrap();
        for filter in [default_filter(), allowing] {
            for request in BTRFS_TREE_IOCTLS {
                assert_eq!(
                    verdict(&filter, libc::SYS_ioctl, &[3, *request]),
                    DENIED,
                    "{request:#x}"
                );
            }
            // FICLONE (0x40049409) and BTRFS_IOC_SEND (0x40489426) share
            // the type: not refused.
            for request in [0x4004_9409, 0x4048_9426] {
                assert_eq!(verdict(&filter, libc::SYS_ioctl, &[3, request]), ALLOWED);
            }
        }
    }

    #[test]
    fn memfds_must_be_sealed_against_execution() {
        let filter = default_filter();
        let memfd = |flags: u64| verdict(&filter, libc::SYS_memfd_create, &[0, flags]);
        assert_eq!(memfd(0), DENIED);
        assert_eq!(memfd(libc::MFD_CLOEXEC as u64), DENIED);
        assert_eq!(memfd(libc::MFD_EXEC as u64), DENIED);
        assert_eq!(memfd(MFD_NOEXEC_SEAL), ALLOWED);
        assert_eq!(memfd(MFD_NOEXEC_SEAL | libc::MFD_CLOEXEC as u64), ALLOWED);
    }

    #[test]
    fn tcp_that_landlock_does_not_see_is_refused_under_ports() {
        let filter = compile_filter(&plan(ports(), false, &[])).unwrap();
        let fast_open = MSG_FASTOPEN | libc::MSG_NOSIGNAL as u64;
        assert_eq!(
            verdict(&filter, libc::SYS_sendto, &[3, 0, 1, fast_open]),
            DENIED
        );
        assert_eq!(
            verdict(&filter, libc::SYS_sendmsg, &[3, 0, fast_open]),
            DENIED
        );
        assert_eq!(
            verdict(&filter, libc::SYS_sendmmsg, &[3, 0, 1, fast_open]),
            DENIED
        );
        assert_eq!(verdict(&filter, libc::SYS_sendto, &[3, 0, 1, 0]), ALLOWED);
        assert_eq!(verdict(&filter, libc::SYS_sendmsg, &[3, 0, 0]), ALLOWED);
        // No bind port: no listen, which would bind an ephemeral port.
        assert_eq!(verdict(&filter, libc::SYS_listen, &[3, 5]), DENIED);
        let binding = Network::Ports {
            connect: Vec::new(),
            bind: vec![8080],
        };
        let filter = compile_filter(&plan(binding, false, &[])).unwrap();
        assert_eq!(verdict(&filter, libc::SYS_listen, &[3, 5]), ALLOWED);
        let any = compile_filter(&plan(Network::Any, false, &[])).unwrap();
        assert_eq!(verdict(&any, libc::SYS_listen, &[3, 5]), ALLOWED);
        assert_eq!(
            verdict(&any, libc::SYS_sendto, &[3, 0, 1, fast_open]),
            ALLOWED
        );
    }

    #[test]
    fn terminal_injection_ioctls_are_refused_by_their_low_32_bits() {
        let filter = default_filter();
        let ioctl = |request: u64| verdict(&filter, libc::SYS_ioctl, &[0, request]);
        for request in [libc::TIOCSTI, libc::TIOCLINUX] {
            assert_eq!(ioctl(request), DENIED, "{request:#x}");
            assert_eq!(ioctl(request | 1 << 32), DENIED, "{request:#x}");
        }
        for request in [libc::TCGETS, libc::TIOCGWINSZ, libc::FIONREAD] {
            assert_eq!(ioctl(request), ALLOWED, "{request:#x}");
        }
    }

    #[test]
    fn network_none_refuses_every_socket() {
        let filter = default_filter();
        for family in [
            libc::AF_UNIX,
            libc::AF_INET,
            libc::AF_INET6,
            libc::AF_NETLINK,
            libc::AF_PACKET,
            libc::AF_VSOCK,
        ] {
            assert_eq!(socket(&filter, family, libc::SOCK_STREAM, 0), DENIED);
            assert_eq!(socket(&filter, family, libc::SOCK_DGRAM, 0), DENIED);
        }
        let pair = [libc::AF_UNIX as u64, libc::SOCK_STREAM as u64, 0];
        assert_eq!(verdict(&filter, libc::SYS_socketpair, &pair), ALLOWED);
    }

    #[test]
    fn network_none_with_unix_allows_unix_sockets_only() {
        let filter = compile_filter(&plan(Network::None, true, &[])).unwrap();
        for kind in [libc::SOCK_STREAM, libc::SOCK_DGRAM, libc::SOCK_SEQPACKET] {
            assert_eq!(socket(&filter, libc::AF_UNIX, kind, 0), ALLOWED);
            assert_eq!(socket(&filter, libc::AF_INET, kind, 0), DENIED);
        }
        assert_eq!(socket(&filter, libc::AF_NETLINK, libc::SOCK_RAW, 0), DENIED);
    }

    #[test]
    fn network_ports_allows_tcp_streams_only() {
        let filter = compile_filter(&plan(ports(), false, &[])).unwrap();
        let stream = libc::SOCK_STREAM;
        for family in [libc::AF_INET, libc::AF_INET6] {
            for kind in [
                stream,
                stream | libc::SOCK_NONBLOCK,
                stream | libc::SOCK_CLOEXEC,
                stream | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            ] {
                assert_eq!(socket(&filter, family, kind, 0), ALLOWED);
                assert_eq!(socket(&filter, family, kind, libc::IPPROTO_TCP), ALLOWED);
            }
            // UDP, raw, packet-style and SCTP/MPTCP streams.
            assert_eq!(socket(&filter, family, libc::SOCK_DGRAM, 0), DENIED);
            assert_eq!(
                socket(&filter, family, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0),
                DENIED
            );
            assert_eq!(socket(&filter, family, libc::SOCK_RAW, 1), DENIED);
            assert_eq!(socket(&filter, family, libc::SOCK_SEQPACKET, 0), DENIED);
            assert_eq!(socket(&filter, family, stream, libc::IPPROTO_SCTP), DENIED);
            assert_eq!(socket(&filter, family, stream, libc::IPPROTO_MPTCP), DENIED);
            assert_eq!(socket(&filter, family, stream, libc::IPPROTO_UDP), DENIED);
        }
        for family in [
            libc::AF_UNIX,
            libc::AF_NETLINK,
            libc::AF_PACKET,
            libc::AF_VSOCK,
        ] {
            assert_eq!(socket(&filter, family, stream, 0), DENIED, "{family}");
        }
        let with_unix = compile_filter(&plan(ports(), true, &[])).unwrap();
        assert_eq!(socket(&with_unix, libc::AF_UNIX, stream, 0), ALLOWED);
        assert_eq!(
            socket(&with_unix, libc::AF_UNIX, libc::SOCK_DGRAM, 0),
            ALLOWED
        );
        assert_eq!(
            socket(&with_unix, libc::AF_NETLINK, libc::SOCK_RAW, 0),
            DENIED
        );
        assert_eq!(
            socket(&with_unix, libc::AF_INET, libc::SOCK_DGRAM, 0),
            DENIED
        );
    }

    #[test]
    fn network_any_allows_every_socket() {
        let filter = compile_filter(&plan(Network::Any, false, &[])).unwrap();
        assert_eq!(
            socket(&filter, libc::AF_UNIX, libc::SOCK_STREAM, 0),
            ALLOWED
        );
        assert_eq!(socket(&filter, libc::AF_INET, libc::SOCK_DGRAM, 0), ALLOWED);
        assert_eq!(socket(&filter, libc::AF_PACKET, libc::SOCK_RAW, 0), ALLOWED);
        // The rest of the list still holds.
        assert_eq!(verdict(&filter, libc::SYS_bpf, &[]), DENIED);
    }

    #[test]
    fn deny_syscalls_are_added_and_override_argument_rules() {
        let filter =
            compile_filter(&plan(Network::Any, false, &["uname", "clone", "socket"])).unwrap();
        assert_eq!(verdict(&filter, libc::SYS_uname, &[]), DENIED);
        // clone is refused even as fork, socket even with network = "any".
        assert_eq!(
            verdict(&filter, libc::SYS_clone, &[libc::SIGCHLD as u64]),
            DENIED
        );
        assert_eq!(socket(&filter, libc::AF_INET, libc::SOCK_STREAM, 0), DENIED);
        assert_eq!(verdict(&filter, libc::SYS_read, &[]), ALLOWED);
        // Without them, uname is allowed.
        assert_eq!(verdict(&default_filter(), libc::SYS_uname, &[]), ALLOWED);
    }

    /// Child exit codes of the installation tests.
    const OK: i32 = 0;
    const NO_NEW_PRIVS_FAILED: i32 = 10;
    const WRONG_STATUS: i32 = 11;
    const NOT_REFUSED: i32 = 12;
    const NOT_ALLOWED: i32 = 13;
    const WRAPPER_FAILED: i32 = 14;

    /// Runs syscall `nr` with `args` and returns its errno (0 on success).
    fn errno_of(nr: i64, args: [u64; 3]) -> i32 {
        // SAFETY: the calls made here take no pointers, or null ones the
        // kernel checks.
        let rc = unsafe { libc::syscall(nr, args[0], args[1], args[2]) };
        if rc == -1 { Errno::last_raw() } else { 0 }
    }

    #[test]
    fn the_installed_filter_refuses_with_the_errnos_it_promises() {
        let filter = default_filter();
        let code = run_in_child(|| {
            if nix::sys::prctl::set_no_new_privs().is_err() {
                return NO_NEW_PRIVS_FAILED;
            }
            if install_filter(&filter, Compat::Enforce).ok() != Some(SeccompStatus::Installed) {
                return WRONG_STATUS;
            }
            let unix = [libc::AF_UNIX as u64, libc::SOCK_STREAM as u64, 0];
            let refused = [
                (
                    libc::SYS_unshare,
                    [libc::CLONE_NEWUSER as u64, 0, 0],
                    libc::EPERM,
                ),
                (libc::SYS_socket, unix, libc::EPERM),
                (libc::SYS_clone3, [0, 0, 0], libc::ENOSYS),
                (0x4000_0000 | libc::SYS_getpid, [0, 0, 0], libc::EPERM),
                (libc::SYS_ioctl, [0, libc::TIOCSTI, 0], libc::EPERM),
            ];
            if refused
                .iter()
                .any(|&(nr, args, errno)| errno_of(nr, args) != errno)
            {
                return NOT_REFUSED;
            }
            if errno_of(libc::SYS_getpid, [0; 3]) != 0
                || errno_of(libc::SYS_personality, [0xffff_ffff, 0, 0]) != 0
            {
                return NOT_ALLOWED;
            }
            OK
        });
        assert_eq!(code, OK, "see the exit codes above the test");
    }

    /// Installs, with prctl, a filter that makes the seccomp(2) syscall
    /// fail with ENOSYS, as on a kernel without seccomp.
    fn hide_seccomp() -> bool {
        let filter = [
            libc::sock_filter {
                code: LOAD_WORD,
                jt: 0,
                jf: 0,
                k: SECCOMP_DATA_NR,
            },
            libc::sock_filter {
                code: JUMP_IF_EQUAL,
                jt: 0,
                jf: 1,
                k: libc::SYS_seccomp as u32,
            },
            libc::sock_filter {
                code: RETURN,
                jt: 0,
                jf: 0,
                k: NO_SUCH_CALL,
            },
            libc::sock_filter {
                code: RETURN,
                jt: 0,
                jf: 0,
                k: ALLOWED,
            },
        ];
        let program = libc::sock_fprog {
            len: filter.len() as u16,
            filter: filter.as_ptr().cast_mut(),
        };
        // SAFETY: `program` points at `filter`, alive for the call.
        nix::sys::prctl::set_no_new_privs().is_ok()
            && unsafe {
                libc::prctl(
                    libc::PR_SET_SECCOMP,
                    libc::SECCOMP_MODE_FILTER,
                    &raw const program,
                )
            } == 0
    }

    #[test]
    fn a_kernel_without_seccomp_is_an_error_unless_best_effort() {
        let filter = default_filter();
        let code = run_in_child(|| {
            if !hide_seccomp() {
                return WRAPPER_FAILED;
            }
            match install_filter(&filter, Compat::Enforce) {
                Err(SeccompError::Install(Errno::ENOSYS)) => {}
                _ => return WRONG_STATUS,
            }
            match install_filter(&filter, Compat::BestEffort) {
                Ok(SeccompStatus::Skipped(Errno::ENOSYS)) => {}
                _ => return WRONG_STATUS,
            }
            // Nothing was installed: the default filter would refuse this.
            let unix = [libc::AF_UNIX as u64, libc::SOCK_STREAM as u64, 0];
            if errno_of(libc::SYS_socket, unix) != 0 {
                return NOT_ALLOWED;
            }
            OK
        });
        assert_eq!(code, OK, "see the exit codes above the test");
    }

    #[test]
    fn the_messages_name_the_errno_and_the_way_out() {
        let missing = SeccompError::Install(Errno::ENOSYS).to_string();
        assert!(missing.contains("ENOSYS"), "{missing}");
        assert!(missing.contains("compat = \"best-effort\""), "{missing}");
        let other = SeccompError::Install(Errno::EACCES).to_string();
        assert!(!other.contains("best-effort"), "{other}");
        assert_eq!(
            SeccompStatus::Skipped(Errno::ENOSYS).to_string(),
            "skipped: the kernel refused it (ENOSYS: Function not implemented)"
        );
        assert_eq!(SeccompStatus::Installed.to_string(), "installed");
    }
}
