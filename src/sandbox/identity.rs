//! Identity: become the plan's user and groups.
//!
//! SKELETON: filled in by the identity work of issue 3.

use std::fmt::{self, Display, Formatter};

use crate::decide::plan::Identity;

/// Why the switch to the plan's user failed.
#[derive(Debug)]
pub enum IdentityError {
    /// Not written yet.
    NotImplemented,
}

impl Display for IdentityError {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotImplemented => f.write_str("switching users is not implemented yet"),
        }
    }
}

impl std::error::Error for IdentityError {}

/// Becomes `identity`: groups, then gid, then uid, verified.
pub fn switch_user(_identity: &Identity) -> Result<(), IdentityError> {
    Err(IdentityError::NotImplemented)
}
