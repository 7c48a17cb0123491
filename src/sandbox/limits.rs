//! Resource limits of the command.
//!
//! SKELETON: filled in by the limits work of issue 3.

use std::fmt::{self, Display, Formatter};

use crate::decide::plan::ResourceLimit;

/// A limit the kernel refused.
#[derive(Debug)]
pub enum LimitError {
    /// Not written yet.
    NotImplemented,
}

impl Display for LimitError {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotImplemented => f.write_str("rlimits are not implemented yet"),
        }
    }
}

impl std::error::Error for LimitError {}

/// Sets every limit in `limits`, soft and hard.
pub fn apply_resource_limits(limits: &[ResourceLimit]) -> Result<(), LimitError> {
    if limits.is_empty() {
        Ok(())
    } else {
        Err(LimitError::NotImplemented)
    }
}
