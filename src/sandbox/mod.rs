//! The only kernel-touching part of the pipeline: resolve a [`Plan`]'s
//! paths, then confine the gate itself so that the command it executes
//! inherits the confinement.
//!
//! Confinement follows the order in DESIGN.md ("Order of operations in
//! confine"), except that the permitted and effective capability sets are
//! narrowed after the user switch (which needs CAP_SETUID and CAP_SETGID)
//! and the resource limits are set last (they bind the gate too). It fails
//! closed: if a layer cannot be applied, [`confine`] returns an error and
//! the caller must not exec. The only tolerated gaps are those a
//! `compat = "best-effort"` plan accepts (a partial Landlock ruleset, a
//! seccomp filter the kernel refuses), which [`Applied`] reports for the
//! audit record.
//!
//! Every layer is applied: the capabilities kept, the user, the limits,
//! umask and chdir, no_new_privs, one Landlock ruleset (filesystem, TCP
//! ports, abstract-unix-socket and signal scopes) and the seccomp filter.
//! The plan's resource limits alone are set later, by [`limit_resources`],
//! just before the exec.

mod capabilities;
mod describe;
mod error;
mod host;
mod identity;
mod interpreter;
mod kernel_support;
mod limits;
// Not `landlock`'s crate: paths to this module are written `self::landlock`.
mod landlock;
mod mounts;
mod no_new_privs;
mod placement;
mod process;
mod resolve;
mod seccomp;
mod sessions;
#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;
mod walk;
mod writable;

// What the rest of the crate uses: resolve, confine, their results, and the
// error types [`SandboxError`] carries.
pub use self::landlock::{Enforcement, LandlockError};
pub use capabilities::CapabilityError;
pub use describe::describe;
pub use error::SandboxError;
pub use host::{
    CapabilitySupport, HostSupport, LandlockSupport, SeccompProbeError, SeccompSupport, X32Abi,
    X32ProbeError, probe_host,
};
pub use identity::IdentityError;
pub use interpreter::InterpreterError;
pub use kernel_support::{LandlockFeature, NeededBy};
pub use limits::LimitError;
pub use mounts::PlaceError;
pub use resolve::{Resolved, resolve};
pub use seccomp::{GATE_NEEDS_AFTER_FILTER, SeccompError, SeccompStatus, default_deny_list};
pub use sessions::{SessionError, SessionSlot, take_session_slot};

use self::landlock::{restrict_with_landlock, running_abi};
use crate::decide::plan::{Compat, Plan};
use capabilities::{
    drop_capabilities_except, keep_capabilities_across_switch, keep_only, stop_keeping_capabilities,
};
use identity::switch_user;
use kernel_support::{REQUIRED_LANDLOCK_ABI, missing_landlock_features};
use limits::{apply_resource_limits, check_resource_limits, disable_core_dumps};
use no_new_privs::set_no_new_privs;
use process::{change_directory, set_umask};
use seccomp::{compile_filter, install_filter};

/// What [`confine`] applied, for the audit record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The kernel's Landlock ABI version; `None` without Landlock.
    pub landlock_abi: Option<u32>,
    /// How far the kernel enforces the Landlock ruleset.
    pub landlock: Enforcement,
    /// Whether no_new_privs is set (it always is when `confine` succeeds;
    /// recorded so the audit record states it).
    pub no_new_privs: bool,
    /// The capabilities kept, e.g. `"CAP_DAC_READ_SEARCH"`; empty by
    /// default, when every set of every capability is dropped.
    pub capabilities: Vec<String>,
    /// The user switched to, when the plan has an identity.
    pub user: Option<String>,
    /// Whether the seccomp filter is in force.
    pub seccomp: SeccompStatus,
    /// Whether the bounding set holds only the kept capabilities. Only a
    /// gate without CAP_SETPCAP (not root) leaves it full, and
    /// no_new_privs makes it irrelevant there; see `capabilities.rs`.
    pub bounding_set_cleared: bool,
    /// The Landlock network rights handled, e.g. `["bind-tcp",
    /// "connect-tcp"]`: denied for every port the plan does not list.
    /// Empty on a kernel before Landlock ABI 4 (or without Landlock), and
    /// with `network = "any"`.
    pub landlock_network: Vec<String>,
    /// The Landlock scopes in force, e.g. `["abstract-unix-socket",
    /// "signal"]`. Empty on a kernel before Landlock ABI 6.
    pub landlock_scopes: Vec<String>,
    /// System-base paths missing on this host, left out of the ruleset,
    /// and (under `compat = "best-effort"` only) Landlock features the
    /// kernel lacks and a seccomp filter it refused.
    pub skipped: Vec<String>,
}

/// Confines the calling thread according to `plan`, using the descriptors
/// opened by [`resolve()`]. In order:
///
/// 0. under `compat = "enforce"`, refuse a kernel older than
///    `REQUIRED_LANDLOCK_ABI` (or than ABI 9 with `unix = true`), and
///    compile the seccomp filter, before anything is changed;
/// 1. every capability not kept dropped from the bounding set (first,
///    because that needs CAP_SETPCAP), the ambient and inheritable sets
///    cleared, verified by reading back;
/// 2. with a `user`: keepcaps if capabilities are kept, then the groups,
///    gid and uid of the plan's identity, verified, then keepcaps off;
/// 3. the permitted and effective sets narrowed to the kept list (and the
///    inheritable and ambient sets set to it for a non-root command), every
///    set verified: only now, because the switch needs CAP_SETUID and
///    CAP_SETGID;
/// 4. the plan's rlimits checked (set later, by [`limit_resources`]) and
///    `RLIMIT_CORE` = 0;
/// 5. the plan's umask;
/// 6. `fchdir(2)` to the working directory [`resolve()`] opened;
/// 7. `PR_SET_NO_NEW_PRIVS`, verified with `PR_GET_NO_NEW_PRIVS`;
/// 8. Landlock `restrict_self` with every filesystem right, network right
///    and scope of the running ABI handled;
/// 9. the seccomp filter, last, so that it never has to allow the Landlock
///    calls.
///
/// An error at any step leaves the process partly confined; the caller must
/// record the denial and exit without executing anything. The gate must be
/// single-threaded here: capabilities and Landlock apply to the calling
/// thread only.
pub fn confine(resolved: &Resolved, plan: &Plan) -> Result<Applied, SandboxError> {
    let abi = running_abi()?;
    let missing = require_landlock_features(abi, plan)?;
    // Compiled before anything changes, so a filter that cannot be built
    // leaves the process as it was.
    let filter = compile_filter(plan)?;
    let dropped = drop_capabilities_except(&plan.capabilities)?;
    if let Some(identity) = &plan.identity {
        keep_capabilities_across_switch(&plan.capabilities)?;
        switch_user(identity)?;
        stop_keeping_capabilities()?;
    }
    // Not before the switch, as DESIGN.md has it: setgroups, setresgid and
    // setresuid need CAP_SETGID and CAP_SETUID, which this gives up.
    let capabilities = keep_only(&plan.capabilities, dropped)?;
    // After keep_only, with the command's capabilities: root cannot raise a
    // hard limit unless the policy keeps CAP_SYS_RESOURCE. Only checked
    // here; set by `limit_resources` after the record is written.
    check_resource_limits(&plan.rlimits)?;
    disable_core_dumps()?;
    set_umask(plan.umask);
    change_directory(resolved.working_directory(), &plan.chdir)?;
    set_no_new_privs()?;
    let landlock = restrict_with_landlock(resolved, plan, abi)?;
    // Last, so the filter never has to allow the Landlock syscalls.
    let seccomp = install_filter(&filter, plan.compat)?;
    Ok(Applied {
        landlock_abi: landlock.abi,
        landlock: landlock.enforcement,
        no_new_privs: true,
        capabilities: capabilities.kept,
        user: plan.identity.as_ref().map(|identity| identity.user.clone()),
        seccomp,
        bounding_set_cleared: capabilities.bounding_set_cleared,
        landlock_network: landlock.network_names(),
        landlock_scopes: landlock.scope_names(),
        skipped: resolved
            .skipped()
            .iter()
            .map(|path| format!("{} (missing on this host)", path.display()))
            .chain(
                missing
                    .iter()
                    .map(|feature| format!("{feature} (kernel too old)")),
            )
            .chain(match seccomp {
                SeccompStatus::Installed => None,
                SeccompStatus::Skipped(errno) => {
                    Some(format!("seccomp filter (kernel refused it: {errno})"))
                }
            })
            .collect(),
    })
}

/// Sets the plan's resource limits, soft and hard: the last step before
/// the exec, after the gate has written its record.
///
/// Not in [`confine`], where DESIGN.md lists them: a limit such as
/// `fsize = "1M"` applies to the gate too, and appending the record to a
/// log already larger than that would kill the gate with `SIGXFSZ`;
/// `as` or `data` below what the gate uses would make its next allocation
/// fail. Nothing runs between this and `execve(2)`.
pub fn limit_resources(plan: &Plan) -> Result<(), SandboxError> {
    apply_resource_limits(&plan.rlimits).map_err(SandboxError::from)
}

/// The Landlock features the running kernel lacks: an error under
/// `compat = "enforce"`, the list to record under `"best-effort"`.
fn require_landlock_features(
    abi: Option<u32>,
    plan: &Plan,
) -> Result<Vec<&'static str>, SandboxError> {
    let missing = missing_landlock_features(abi, plan.unix_sockets);
    if plan.compat == Compat::Enforce && !missing.is_empty() {
        return Err(SandboxError::KernelTooOld {
            abi,
            missing: missing
                .iter()
                .map(|feature| (*feature).to_owned())
                .collect(),
        });
    }
    Ok(missing)
}
