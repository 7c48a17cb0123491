//! What this host's kernel offers the sandbox, for `sshgate doctor`.
//!
//! Probes only: nothing here confines or changes the calling process.
//!
//! - Landlock: the ABI from [`running_abi`], the same query `confine` makes,
//!   and the same check for rights the `landlock` crate cannot name, so that
//!   doctor and the gate cannot disagree about a kernel.
//! - seccomp: a forked child sets no_new_privs and installs an allow-all
//!   filter with the gate's own [`set_mode_filter`], then exits. A filter
//!   cannot be removed once installed, so the doctor process itself never
//!   installs one.
//! - x32: a forked child makes an x32-ABI `getpid`. If a filter someone
//!   else installed on us kills the caller for it, only the child dies.
//! - capabilities: the permitted set of this process, and the capabilities
//!   the kernel knows counted as the gate counts them when it drops the
//!   bounding set; neither is changed.
//!
//! [`run_in_child`] is the one fork-and-wait of the sandbox; the tests'
//! `testing::run_in_child` wraps it.

use std::fmt::{self, Display, Formatter};
use std::io;

use caps::CapSet;
use caps::errors::CapsError;
use landlock::ABI;
use nix::errno::Errno;

use super::capabilities::{CapabilityError, kernel_capability_names};
use super::kernel_support::{
    LANDLOCK_FEATURES, LandlockFeature, REQUIRED_LANDLOCK_ABI, missing_landlock_features,
};
use super::landlock::{LandlockError, handled_rights, kernel_rights, running_abi};
use super::seccomp::{X32_SYSCALL_BIT, set_mode_filter};
use crate::policy::CapabilityName;

/// Everything [`probe_host`] found out.
#[derive(Debug)]
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
#[derive(Debug)]
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
    pub error: Option<LandlockError>,
}

impl LandlockSupport {
    /// Whether `compat = "enforce"` can be satisfied.
    pub fn enforces_default_policy(&self) -> bool {
        self.error.is_none()
            && self.abi.is_some()
            && self.missing_for_default_policy.is_empty()
            && self.unhandled_rights.is_none()
    }

    /// Every Landlock feature the sandbox uses, oldest first, with whether
    /// this kernel has it.
    pub fn features(&self) -> impl Iterator<Item = (&'static LandlockFeature, bool)> {
        let abi = self.abi.unwrap_or(0);
        LANDLOCK_FEATURES
            .iter()
            .map(move |feature| (feature, abi >= feature.abi))
    }
}

/// Whether seccomp filters work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeccompSupport {
    /// A child could set no_new_privs and install an allow-all filter.
    pub filter: bool,
    /// Why not, when `filter` is false.
    pub error: Option<SeccompProbeError>,
}

/// Why the seccomp probe could not install a filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeccompProbeError {
    /// `prctl(PR_SET_NO_NEW_PRIVS)` failed in the child, so it never tried.
    NoNewPrivs,
    /// `seccomp(SECCOMP_SET_MODE_FILTER)` failed in the child.
    SetModeFilter(Errno),
    /// The child was killed by this signal, e.g. by a filter someone else
    /// installed on doctor.
    Killed(i32),
    /// The child could not be forked.
    Fork(Errno),
}

/// The errno as `io::Error` words it, e.g. `Invalid argument (os error
/// 22)`: doctor's messages have always read so.
fn os_error(errno: Errno) -> io::Error {
    io::Error::from(errno)
}

impl Display for SeccompProbeError {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoNewPrivs => f.write_str("prctl(PR_SET_NO_NEW_PRIVS) failed in the probe"),
            Self::SetModeFilter(errno) => write!(
                f,
                "seccomp(SECCOMP_SET_MODE_FILTER) failed: {}",
                os_error(*errno)
            ),
            Self::Killed(signal) => write!(f, "the probe was killed by signal {signal}"),
            Self::Fork(errno) => write!(f, "cannot fork the probe: {}", os_error(*errno)),
        }
    }
}

impl std::error::Error for SeccompProbeError {}

/// Whether the kernel runs x32-ABI syscalls (numbers with bit 0x40000000).
/// sshgate's filter must refuse them either way; this says whether it
/// matters on this host. sshgate builds for x86_64 only (see `seccomp.rs`),
/// so there is always an x32 ABI to ask about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum X32Abi {
    /// The x32 `getpid` returned the pid.
    Enabled,
    /// The x32 `getpid` failed with `ENOSYS`.
    Disabled,
    /// The probe could not tell, and why.
    Unknown(X32ProbeError),
}

/// Why the x32 probe could not tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum X32ProbeError {
    /// The x32 `getpid` failed other than with `ENOSYS`.
    Getpid(Errno),
    /// The child was killed by this signal, e.g. by a filter someone else
    /// installed on doctor that kills x32 callers.
    Killed(i32),
    /// The child could not be forked.
    Fork(Errno),
}

impl Display for X32ProbeError {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Self::Getpid(errno) => write!(f, "the x32 getpid failed: {}", os_error(*errno)),
            Self::Killed(signal) => write!(f, "the x32 getpid was killed by signal {signal}"),
            Self::Fork(errno) => write!(f, "cannot fork the probe: {}", os_error(*errno)),
        }
    }
}

impl std::error::Error for X32ProbeError {}

/// The capabilities this process holds, which are the gate's when it runs
/// as the same user (for a root key: root).
#[derive(Debug)]
pub struct CapabilitySupport {
    /// The effective user id of this process.
    pub euid: u32,
    /// The permitted set, sorted by name; or why it could not be read.
    pub permitted: Result<Vec<CapabilityName>, CapsError>,
    /// Every capability the running kernel knows, by name, sorted; or why
    /// the kernel could not be asked.
    pub known: Result<Vec<String>, CapabilityError>,
}

impl CapabilitySupport {
    /// Whether `capability` is in the permitted set (never when the set
    /// could not be read).
    pub fn permits(&self, capability: CapabilityName) -> bool {
        self.permitted
            .as_ref()
            .is_ok_and(|held| held.contains(&capability))
    }

    /// Whether every capability named in `names` is permitted; a name the
    /// `caps` crate does not know never is.
    fn permits_each(&self, names: &[&str]) -> bool {
        names
            .iter()
            .all(|name| CapabilityName::parse(name).is_some_and(|name| self.permits(name)))
    }

    /// CAP_SETPCAP is permitted, so the bounding set can be emptied.
    pub fn can_clear_bounding_set(&self) -> bool {
        self.permits_each(&["CAP_SETPCAP"])
    }

    /// Root with CAP_SETUID and CAP_SETGID: `user = "..."` can be honoured.
    pub fn can_switch_user(&self) -> bool {
        self.euid == 0 && self.permits_each(&["CAP_SETUID", "CAP_SETGID"])
    }

    /// Capabilities the kernel knows but this process does not hold, by
    /// name, sorted: a policy that keeps one of them is denied. All of them
    /// when the permitted set could not be read.
    pub fn not_permitted(&self) -> Result<Vec<String>, &CapabilityError> {
        let known = self.known.as_ref()?;
        let held: Vec<String> = self
            .permitted
            .iter()
            .flatten()
            .map(ToString::to_string)
            .collect();
        Ok(known
            .iter()
            .filter(|name| !held.contains(name))
            .cloned()
            .collect())
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
            support.error = Some(error);
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
            Err(error) => support.error = Some(error),
        }
    }
    support
}

fn unhandled_rights(abi: u32) -> Result<Option<String>, LandlockError> {
    let handled = handled_rights(ABI::from(i32::try_from(abi).unwrap_or(i32::MAX)));
    let unhandled = kernel_rights()?.without(handled.bits());
    Ok((!unhandled.is_empty()).then(|| unhandled.to_string()))
}

/// How a forked child ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ChildEnd {
    /// `_exit(code)`.
    Exited(i32),
    /// Killed by this signal.
    Signaled(i32),
}

/// Runs `child` in a forked child process, which then `_exit`s with its
/// result, and returns how the child ended.
///
/// `child` must only make async-signal-safe calls (raw syscalls, no
/// allocation or locks): another thread of the parent, such as a test
/// harness's, may hold a lock at the time of the fork, and the child would
/// wait for it forever.
pub(super) fn run_in_child(child: impl FnOnce() -> i32) -> Result<ChildEnd, Errno> {
    let pid = fork_child(child)?;
    wait_for_child(pid)
}

/// Forks; the child runs `child` and `_exit`s with its result, the parent
/// gets the child's pid.
fn fork_child(child: impl FnOnce() -> i32) -> Result<libc::pid_t, Errno> {
    // SAFETY: the child only runs `child`, which the caller promises is
    // async-signal-safe, and then `_exit`s without running destructors or
    // atexit handlers.
    let pid = Errno::result(unsafe { libc::fork() })?;
    if pid == 0 {
        let code = child();
        // SAFETY: `_exit` is async-signal-safe and never returns.
        unsafe { libc::_exit(code) };
    }
    Ok(pid)
}

/// Waits for our child `pid` to end, through interruptions by signals.
fn wait_for_child(pid: libc::pid_t) -> Result<ChildEnd, Errno> {
    let mut status: libc::c_int = 0;
    loop {
        // SAFETY: `status` is a live c_int; `pid` is our own child.
        match Errno::result(unsafe { libc::waitpid(pid, &mut status, 0) }) {
            Ok(_) => break,
            Err(Errno::EINTR) => {}
            Err(errno) => return Err(errno),
        }
    }
    if libc::WIFEXITED(status) {
        Ok(ChildEnd::Exited(libc::WEXITSTATUS(status)))
    } else {
        Ok(ChildEnd::Signaled(libc::WTERMSIG(status)))
    }
}

/// The exit code of a probe child that failed with `errno`: the errno
/// itself, kept clear of 0 (success) and of [`NO_NEW_PRIVS_FAILED`].
fn exit_code_of(errno: Errno) -> i32 {
    (errno as i32).clamp(1, 254)
}

/// The seccomp probe child's exit code when `PR_SET_NO_NEW_PRIVS` failed.
const NO_NEW_PRIVS_FAILED: i32 = 255;

/// In the child: no_new_privs, then an allow-all filter.
fn install_allow_all_filter() -> i32 {
    if nix::sys::prctl::set_no_new_privs().is_err() {
        return NO_NEW_PRIVS_FAILED;
    }
    // One instruction: return SECCOMP_RET_ALLOW.
    let allow_all = [libc::sock_filter {
        code: (libc::BPF_RET | libc::BPF_K) as u16,
        jt: 0,
        jf: 0,
        k: libc::SECCOMP_RET_ALLOW,
    }];
    match set_mode_filter(&allow_all) {
        Ok(()) => 0,
        Err(errno) => exit_code_of(errno),
    }
}

fn probe_seccomp() -> SeccompSupport {
    let error = match run_in_child(install_allow_all_filter) {
        Ok(ChildEnd::Exited(0)) => {
            return SeccompSupport {
                filter: true,
                error: None,
            };
        }
        Ok(ChildEnd::Exited(NO_NEW_PRIVS_FAILED)) => SeccompProbeError::NoNewPrivs,
        Ok(ChildEnd::Exited(errno)) => SeccompProbeError::SetModeFilter(Errno::from_raw(errno)),
        Ok(ChildEnd::Signaled(signal)) => SeccompProbeError::Killed(signal),
        Err(errno) => SeccompProbeError::Fork(errno),
    };
    SeccompSupport {
        filter: false,
        error: Some(error),
    }
}

/// In the child: `getpid` through the x32 ABI.
fn x32_getpid() -> i32 {
    // SAFETY: getpid takes no arguments and touches no memory, whichever
    // ABI runs it.
    let pid = unsafe { libc::syscall(libc::c_long::from(X32_SYSCALL_BIT) | libc::SYS_getpid) };
    match Errno::result(pid) {
        Ok(_) => 0,
        Err(errno) => exit_code_of(errno),
    }
}

fn probe_x32() -> X32Abi {
    match run_in_child(x32_getpid) {
        Ok(ChildEnd::Exited(0)) => X32Abi::Enabled,
        Ok(ChildEnd::Exited(libc::ENOSYS)) => X32Abi::Disabled,
        Ok(ChildEnd::Exited(errno)) => {
            X32Abi::Unknown(X32ProbeError::Getpid(Errno::from_raw(errno)))
        }
        Ok(ChildEnd::Signaled(signal)) => X32Abi::Unknown(X32ProbeError::Killed(signal)),
        Err(errno) => X32Abi::Unknown(X32ProbeError::Fork(errno)),
    }
}

fn probe_capabilities() -> CapabilitySupport {
    CapabilitySupport {
        euid: nix::unistd::geteuid().as_raw(),
        permitted: read_permitted_set(),
        known: kernel_capability_names().map(|mut names| {
            names.sort();
            names
        }),
    }
}

/// This process's permitted set, sorted by name.
fn read_permitted_set() -> Result<Vec<CapabilityName>, CapsError> {
    let mut held: Vec<CapabilityName> = caps::read(None, CapSet::Permitted)?
        .into_iter()
        .filter_map(|capability| CapabilityName::parse(&capability.to_string()))
        .collect();
    held.sort_by_cached_key(ToString::to_string);
    Ok(held)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn capabilities(euid: u32, permitted: &[&str]) -> CapabilitySupport {
        let name = |name: &str| CapabilityName::parse(name).expect("a capability name");
        CapabilitySupport {
            euid,
            permitted: Ok(permitted.iter().map(|held| name(held)).collect()),
            known: Ok([
                "CAP_SETGID",
                "CAP_SETPCAP",
                "CAP_SETUID",
                "CAP_SYS_RESOURCE",
            ]
            .map(str::to_owned)
            .to_vec()),
        }
    }

    #[test]
    fn capability_verdicts() {
        let root = capabilities(0, &["CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID"]);
        assert!(root.can_clear_bounding_set());
        assert!(root.can_switch_user());
        assert_eq!(root.not_permitted().expect("known"), ["CAP_SYS_RESOURCE"]);

        let user = capabilities(1000, &[]);
        assert!(!user.can_clear_bounding_set());
        assert!(!user.can_switch_user());
        assert_eq!(user.not_permitted().expect("known").len(), 4);

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
        assert_eq!(
            support
                .features()
                .filter(|(_, available)| !available)
                .map(|(feature, _)| feature.abi)
                .collect::<Vec<_>>(),
            [9, 10]
        );
        support.unhandled_rights = Some("filesystem rights 0x100000".to_owned());
        assert!(!support.enforces_default_policy());
        support.unhandled_rights = None;
        support.missing_for_default_policy = missing_landlock_features(Some(5), false);
        assert!(!support.enforces_default_policy());
    }

    #[test]
    fn probe_errors_read_as_before() {
        assert_eq!(
            SeccompProbeError::SetModeFilter(Errno::ENOSYS).to_string(),
            "seccomp(SECCOMP_SET_MODE_FILTER) failed: Function not implemented (os error 38)"
        );
        assert_eq!(
            X32ProbeError::Fork(Errno::EAGAIN).to_string(),
            "cannot fork the probe: Resource temporarily unavailable (os error 11)"
        );
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
        assert!(
            host.capabilities.known.is_ok(),
            "{:?}",
            host.capabilities.known
        );
        assert_eq!(confinement_of_this_thread(), before);
    }
}
