//! What this host's kernel offers the sandbox, for `sshgate doctor`.
//!
//! Probes only: nothing here confines or changes the calling process.
//!
//! - Landlock: the ABI from [`running_abi`], the same query `confine` makes,
//!   and the same check for rights the `landlock` crate cannot name, so that
//!   doctor and the gate cannot disagree about a kernel.
//! - seccomp: a forked child sets no_new_privs and installs an allow-all
//!   filter, then exits. A filter cannot be removed once installed, so the
//!   doctor process itself never installs one.
//! - x32: a forked child makes an x32-ABI `getpid`. If a filter someone
//!   else installed on us kills the caller for it, only the child dies.
//! - capabilities: the permitted set of this process and the capabilities
//!   the kernel knows, read without changing either.

use std::collections::BTreeSet;
use std::io;

use caps::CapSet;
use landlock::ABI;

use super::kernel_support::{REQUIRED_LANDLOCK_ABI, missing_landlock_features};
use super::landlock::{LandlockError, handled_rights, kernel_rights, running_abi};

/// Everything [`probe_host`] found out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostSupport {
    /// Landlock: the ABI and what the default policy lacks.
    pub landlock: LandlockSupport,
    /// Whether a seccomp filter can be installed.
    pub seccomp: SeccompSupport,
    /// Whether the kernel accepts x32-ABI syscalls.
    pub x32: X32Abi,
    /// The capabilities this process holds.
    pub capabilities: CapabilitySupport,
}

impl HostSupport {
    /// Whether the gate can apply every layer of the default policy
    /// (`compat = "enforce"`) on this kernel.
    pub fn can_enforce_default_policy(&self) -> bool {
        self.landlock.enforces_default_policy() && self.seccomp.filter
    }
}

/// What the kernel's Landlock offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LandlockSupport {
    /// The running ABI version; `None` when the kernel has no Landlock (not
    /// built in, or not enabled at boot).
    pub abi: Option<u32>,
    /// The ABI every layer of the default policy needs.
    pub required_abi: u32,
    /// The features of the default policy this kernel lacks, oldest first;
    /// each one makes `compat = "enforce"` deny every request.
    pub missing_for_default_policy: Vec<&'static str>,
    /// Rights or scopes the kernel knows that this build cannot handle, as
    /// masks (e.g. `"filesystem rights 0x10000"`); they would stay allowed,
    /// so `compat = "enforce"` refuses to run. `None` when there are none.
    pub unhandled_rights: Option<String>,
    /// Why the kernel could not be asked; the gate fails closed on this.
    pub error: Option<String>,
}

impl LandlockSupport {
    /// Whether `compat = "enforce"` can be satisfied.
    pub fn enforces_default_policy(&self) -> bool {
        self.error.is_none()
            && self.abi.is_some()
            && self.missing_for_default_policy.is_empty()
            && self.unhandled_rights.is_none()
    }
}

/// Whether seccomp filters work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeccompSupport {
    /// A child could set no_new_privs and install an allow-all filter.
    pub filter: bool,
    /// Why not, when `filter` is false.
    pub error: Option<String>,
}

/// Whether the kernel runs x32-ABI syscalls (numbers with bit 0x40000000).
/// sshgate's filter must refuse them either way; this says whether it
/// matters on this host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum X32Abi {
    /// The x32 `getpid` returned the pid.
    Enabled,
    /// The x32 `getpid` failed with `ENOSYS`.
    Disabled,
    /// Not an x86_64 build: there is no x32 ABI.
    NotApplicable,
    /// The probe could not tell, and why.
    Unknown(String),
}

/// The capabilities this process holds, which are the gate's when it runs
/// as the same user (for a root key: root).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapabilitySupport {
    /// The effective user id of this process.
    pub euid: u32,
    /// The permitted set, by name (`"CAP_SETPCAP"`), sorted; or why it
    /// could not be read.
    pub permitted: Result<Vec<String>, String>,
    /// Every capability the running kernel knows, by name, sorted.
    pub supported: Vec<String>,
}

impl CapabilitySupport {
    fn permits(&self, name: &str) -> bool {
        self.permitted
            .as_ref()
            .is_ok_and(|set| set.iter().any(|held| held == name))
    }

    /// CAP_SETPCAP is permitted, so the bounding set can be emptied.
    pub fn can_clear_bounding_set(&self) -> bool {
        self.permits("CAP_SETPCAP")
    }

    /// Root with CAP_SETUID and CAP_SETGID: `user = "..."` can be honoured.
    pub fn can_switch_user(&self) -> bool {
        self.euid == 0 && self.permits("CAP_SETUID") && self.permits("CAP_SETGID")
    }

    /// Capabilities the kernel knows but this process does not hold: a
    /// policy that keeps one of them is denied.
    pub fn not_permitted(&self) -> Vec<String> {
        match &self.permitted {
            Ok(held) => self
                .supported
                .iter()
                .filter(|name| !held.contains(name))
                .cloned()
                .collect(),
            Err(_) => self.supported.clone(),
        }
    }
}

/// Probes the running kernel and this process; see the module
/// documentation for how each probe avoids changing the caller.
pub fn probe_host() -> HostSupport {
    HostSupport {
        landlock: probe_landlock(),
        seccomp: probe_seccomp(),
        x32: probe_x32(),
        capabilities: probe_capabilities(),
    }
}

fn probe_landlock() -> LandlockSupport {
    let mut support = LandlockSupport {
        abi: None,
        required_abi: REQUIRED_LANDLOCK_ABI,
        missing_for_default_policy: missing_landlock_features(None, false),
        unhandled_rights: None,
        error: None,
    };
    let abi = match running_abi() {
        Ok(abi) => abi,
        Err(error) => {
            support.error = Some(error.to_string());
            return support;
        }
    };
    support.abi = abi;
    support.missing_for_default_policy = missing_landlock_features(abi, false);
    if let Some(version) = abi {
        // Unlike the gate, which only probes kernels newer than the crate
        // (it is on the timed path), doctor always asks: the answer for an
        // older kernel is "nothing unhandled" either way.
        match unhandled_rights(version) {
            Ok(unhandled) => support.unhandled_rights = unhandled,
            Err(error) => support.error = Some(error.to_string()),
        }
    }
    support
}

fn unhandled_rights(abi: u32) -> Result<Option<String>, LandlockError> {
    let handled = handled_rights(ABI::from(i32::try_from(abi).unwrap_or(i32::MAX)));
    let unhandled = kernel_rights()?.without(handled.bits());
    Ok((!unhandled.is_empty()).then(|| unhandled.to_string()))
}

/// How a forked probe ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChildEnd {
    /// `_exit(code)`.
    Exited(i32),
    /// Killed by this signal.
    Signaled(i32),
}

/// Runs `probe` in a forked child and returns how the child ended. The
/// child runs nothing but `probe`, then `_exit(2)`s with its result.
///
/// `probe` must only make async-signal-safe calls (raw syscalls, no
/// allocation or locks): another thread of the parent, such as a test
/// harness's, may hold a lock at the time of the fork.
fn in_child(probe: fn() -> i32) -> io::Result<ChildEnd> {
    // SAFETY: the child only runs `probe`, which makes raw syscalls, and
    // then `_exit`s without running destructors or atexit handlers.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(io::Error::last_os_error());
    }
    if pid == 0 {
        let code = probe();
        // SAFETY: `_exit` is async-signal-safe and never returns.
        unsafe { libc::_exit(code) };
    }
    let mut status: libc::c_int = 0;
    loop {
        // SAFETY: `status` is a live c_int; `pid` is our own child.
        let waited = unsafe { libc::waitpid(pid, &mut status, 0) };
        if waited == pid {
            break;
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
    if libc::WIFEXITED(status) {
        Ok(ChildEnd::Exited(libc::WEXITSTATUS(status)))
    } else {
        Ok(ChildEnd::Signaled(libc::WTERMSIG(status)))
    }
}

/// The exit code of a probe that failed with `errno`: the errno itself,
/// kept clear of 0 (success) and of [`NO_NEW_PRIVS_FAILED`].
fn errno_code() -> i32 {
    io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
        .clamp(1, 254)
}

/// The seccomp probe's exit code when `PR_SET_NO_NEW_PRIVS` failed.
const NO_NEW_PRIVS_FAILED: i32 = 255;

/// In the child: no_new_privs, then an allow-all filter.
fn install_allow_all_filter() -> i32 {
    // SAFETY: PR_SET_NO_NEW_PRIVS takes integer arguments only.
    if unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) } != 0 {
        return NO_NEW_PRIVS_FAILED;
    }
    // One instruction: return SECCOMP_RET_ALLOW.
    let mut filter = [libc::sock_filter {
        code: (libc::BPF_RET | libc::BPF_K) as u16,
        jt: 0,
        jf: 0,
        k: libc::SECCOMP_RET_ALLOW,
    }];
    let program = libc::sock_fprog {
        len: 1,
        filter: filter.as_mut_ptr(),
    };
    // SAFETY: `program` points at a live one-instruction filter.
    let result = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_SET_MODE_FILTER,
            0 as libc::c_uint,
            &program as *const libc::sock_fprog,
        )
    };
    if result == 0 { 0 } else { errno_code() }
}

fn probe_seccomp() -> SeccompSupport {
    let error = match in_child(install_allow_all_filter) {
        Ok(ChildEnd::Exited(0)) => {
            return SeccompSupport {
                filter: true,
                error: None,
            };
        }
        Ok(ChildEnd::Exited(NO_NEW_PRIVS_FAILED)) => {
            "prctl(PR_SET_NO_NEW_PRIVS) failed in the probe".to_owned()
        }
        Ok(ChildEnd::Exited(errno)) => format!(
            "seccomp(SECCOMP_SET_MODE_FILTER) failed: {}",
            io::Error::from_raw_os_error(errno)
        ),
        Ok(ChildEnd::Signaled(signal)) => {
            format!("the probe was killed by signal {signal}")
        }
        Err(error) => format!("cannot fork the probe: {error}"),
    };
    SeccompSupport {
        filter: false,
        error: Some(error),
    }
}

/// The bit that marks a syscall number as x32 ABI on x86_64
/// (`__X32_SYSCALL_BIT`).
#[cfg(target_arch = "x86_64")]
const X32_SYSCALL_BIT: libc::c_long = 0x4000_0000;

/// In the child: `getpid` through the x32 ABI.
#[cfg(target_arch = "x86_64")]
fn x32_getpid() -> i32 {
    // SAFETY: getpid takes no arguments and touches no memory, whichever
    // ABI runs it.
    let pid = unsafe { libc::syscall(X32_SYSCALL_BIT | libc::SYS_getpid) };
    if pid > 0 { 0 } else { errno_code() }
}

#[cfg(target_arch = "x86_64")]
fn probe_x32() -> X32Abi {
    match in_child(x32_getpid) {
        Ok(ChildEnd::Exited(0)) => X32Abi::Enabled,
        Ok(ChildEnd::Exited(libc::ENOSYS)) => X32Abi::Disabled,
        Ok(ChildEnd::Exited(errno)) => X32Abi::Unknown(format!(
            "the x32 getpid failed: {}",
            io::Error::from_raw_os_error(errno)
        )),
        Ok(ChildEnd::Signaled(signal)) => {
            X32Abi::Unknown(format!("the x32 getpid was killed by signal {signal}"))
        }
        Err(error) => X32Abi::Unknown(format!("cannot fork the probe: {error}")),
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn probe_x32() -> X32Abi {
    X32Abi::NotApplicable
}

fn probe_capabilities() -> CapabilitySupport {
    let names = |set: caps::CapsHashSet| -> Vec<String> {
        let sorted: BTreeSet<String> = set.into_iter().map(|cap| cap.to_string()).collect();
        sorted.into_iter().collect()
    };
    CapabilitySupport {
        euid: nix::unistd::geteuid().as_raw(),
        permitted: caps::read(None, CapSet::Permitted)
            .map(names)
            .map_err(|error| error.to_string()),
        supported: names(caps::runtime::thread_all_supported()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn capabilities(euid: u32, permitted: &[&str]) -> CapabilitySupport {
        CapabilitySupport {
            euid,
            permitted: Ok(permitted.iter().map(|name| (*name).to_owned()).collect()),
            supported: [
                "CAP_SETGID",
                "CAP_SETPCAP",
                "CAP_SETUID",
                "CAP_SYS_RESOURCE",
            ]
            .map(str::to_owned)
            .to_vec(),
        }
    }

    #[test]
    fn capability_verdicts() {
        let root = capabilities(0, &["CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID"]);
        assert!(root.can_clear_bounding_set());
        assert!(root.can_switch_user());
        assert_eq!(root.not_permitted(), ["CAP_SYS_RESOURCE"]);

        let user = capabilities(1000, &[]);
        assert!(!user.can_clear_bounding_set());
        assert!(!user.can_switch_user());
        assert_eq!(user.not_permitted().len(), 4);

        // Holding the capabilities without being root is not enough to
        // switch users: the gate only switches from root.
        let odd = capabilities(1000, &["CAP_SETGID", "CAP_SETUID"]);
        assert!(!odd.can_switch_user());
    }

    #[test]
    fn landlock_verdicts() {
        let mut support = LandlockSupport {
            abi: Some(7),
            required_abi: REQUIRED_LANDLOCK_ABI,
            missing_for_default_policy: Vec::new(),
            unhandled_rights: None,
            error: None,
        };
        assert!(support.enforces_default_policy());
        support.unhandled_rights = Some("filesystem rights 0x100000".to_owned());
        assert!(!support.enforces_default_policy());
        support.unhandled_rights = None;
        support.missing_for_default_policy = missing_landlock_features(Some(5), false);
        assert!(!support.enforces_default_policy());
    }

    /// The thread's no_new_privs and seccomp state, as the kernel reports it.
    fn confinement_of_this_thread() -> Vec<String> {
        std::fs::read_to_string("/proc/thread-self/status")
            .unwrap_or_default()
            .lines()
            .filter(|line| line.starts_with("NoNewPrivs:") || line.starts_with("Seccomp"))
            .map(str::to_owned)
            .collect()
    }

    /// The probes themselves, on whatever kernel runs the tests: they must
    /// answer, and must leave the calling thread as it was.
    #[test]
    fn probes_leave_the_caller_alone() {
        let before = confinement_of_this_thread();
        assert!(!before.is_empty(), "cannot read /proc/thread-self/status");
        let host = probe_host();
        assert!(host.seccomp.filter, "{:?}", host.seccomp.error);
        assert!(!matches!(host.x32, X32Abi::Unknown(_)), "{:?}", host.x32);
        assert_eq!(confinement_of_this_thread(), before);
    }
}
