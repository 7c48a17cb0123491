//! The only kernel-touching part of the pipeline: resolve a [`Plan`]'s
//! paths, then confine the gate itself so that the command it executes
//! inherits the confinement.
//!
//! Confinement follows the order in DESIGN.md ("Order of operations in
//! confine") and fails closed: if a layer cannot be applied, [`confine`]
//! returns an error and the caller must not exec. The only tolerated gap is
//! a Landlock ruleset that a `compat = "best-effort"` plan accepts as
//! partial, which [`Applied`] reports for the audit record.
//!
//! This version applies: resolution, core limit, umask, chdir,
//! no_new_privs and the Landlock filesystem ruleset. Capabilities, identity,
//! other rlimits, Landlock network and scopes, and seccomp come later, in the
//! places DESIGN.md gives them.

mod error;
mod filesystem;
mod interpreter;
mod no_new_privs;
mod process;
mod resolve;
#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;

pub use error::SandboxError;
pub use filesystem::{
    Enforcement, LandlockError, LandlockStatus, granted_rights, handled_rights,
    kernel_filesystem_rights, landlock_abi, restrict_filesystem,
};
pub use interpreter::{InterpreterError, MAX_SCRIPT_DEPTH, interpreters};
pub use no_new_privs::set_no_new_privs;
pub use process::{COMMAND_UMASK, change_directory, disable_core_dumps, set_umask};
pub use resolve::{Resolved, resolve};

use crate::decide::plan::Plan;

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
    /// System-base paths missing on this host, left out of the ruleset.
    pub skipped: Vec<String>,
}

/// Confines the calling thread according to `plan`, using the descriptors
/// opened by [`resolve`]. In order:
///
/// 1. `RLIMIT_CORE` = 0 (soft and hard);
/// 2. umask 022;
/// 3. chdir to `plan.chdir`;
/// 4. `PR_SET_NO_NEW_PRIVS`, verified with `PR_GET_NO_NEW_PRIVS`;
/// 5. Landlock `restrict_self` with every filesystem right handled.
///
/// An error at any step leaves the process partly confined; the caller must
/// record the denial and exit without executing anything. The gate must be
/// single-threaded here: Landlock applies to the calling thread only.
pub fn confine(resolved: &Resolved, plan: &Plan) -> Result<Applied, SandboxError> {
    disable_core_dumps()?;
    set_umask();
    change_directory(&plan.chdir)?;
    set_no_new_privs()?;
    let landlock = restrict_filesystem(resolved, plan.compat)?;
    Ok(Applied {
        landlock_abi: landlock.abi,
        landlock: landlock.enforcement,
        no_new_privs: true,
        skipped: resolved
            .skipped()
            .iter()
            .map(|path| path.display().to_string())
            .collect(),
    })
}
