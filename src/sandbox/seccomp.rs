//! seccomp: the syscall deny-list, compiled before any change to the
//! process and installed last, after Landlock.
//!
//! SKELETON: filled in by the seccomp work of issue 3.

use std::fmt::{self, Display, Formatter};

use crate::decide::plan::Plan;

/// A compiled filter, ready to install.
#[derive(Debug)]
pub struct SyscallFilter {
    _private: (),
}

/// Why the filter could not be compiled or installed.
#[derive(Debug)]
pub enum SeccompError {
    /// Not written yet.
    NotImplemented,
}

impl Display for SeccompError {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotImplemented => f.write_str("seccomp is not implemented yet"),
        }
    }
}

impl std::error::Error for SeccompError {}

/// Compiles the filter `plan` calls for.
pub fn compile_filter(_plan: &Plan) -> Result<SyscallFilter, SeccompError> {
    Ok(SyscallFilter { _private: () })
}

/// Installs `filter` on the calling thread.
pub fn install_filter(_filter: &SyscallFilter) -> Result<(), SeccompError> {
    Ok(())
}
