//! `PR_SET_NO_NEW_PRIVS`: after it, `execve(2)` can never grant more
//! privileges than the caller has (set-user-ID bits and file capabilities
//! are ignored). Landlock requires it of an unprivileged caller, and it keeps
//! a confined command from escaping through a setuid helper.

use nix::sys::prctl;

use super::SandboxError;

/// Sets the no_new_privs flag, then reads it back: the flag cannot be
/// cleared once set, so a read-back of 1 proves it holds for the exec.
pub fn set_no_new_privs() -> Result<(), SandboxError> {
    prctl::set_no_new_privs().map_err(SandboxError::NoNewPrivs)?;
    if prctl::get_no_new_privs().map_err(SandboxError::NoNewPrivs)? {
        Ok(())
    } else {
        Err(SandboxError::NoNewPrivsNotSet)
    }
}
