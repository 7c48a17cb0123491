//! Resource limits of the command: `RLIMIT_CORE` = 0 always, and the
//! plan's `rlimits`, each as both the soft and the hard limit so that the
//! command cannot raise it again.
//!
//! They are set after the capabilities are narrowed to the kept list (see
//! `confine`), so a root gate cannot raise a hard limit above what sshd
//! gave it unless the policy keeps CAP_SYS_RESOURCE: the policy lowers
//! limits, it does not lend root's power to raise them. A limit the kernel
//! refuses is an error naming the limit and the value; the command is not
//! executed with limits other than the policy's.

use std::fmt::{self, Display, Formatter};

use nix::errno::Errno;
use nix::sys::resource::{RLIM_INFINITY, Resource, getrlimit, setrlimit};

use super::SandboxError;
use crate::decide::plan::{LimitKind, ResourceLimit};

/// A limit that could not be set as planned.
#[derive(Debug)]
pub enum LimitError {
    /// `setrlimit(2)` refused the limit.
    Refused {
        /// Which limit.
        limit: LimitKind,
        /// The value asked for; `None` is unlimited.
        value: Option<u64>,
        /// The hard limit before the attempt, if it could be read: what
        /// the value may not exceed without CAP_SYS_RESOURCE.
        hard: Option<u64>,
        /// What the kernel reported.
        source: Errno,
    },
    /// The limit is above the gate's hard limit and the command does not
    /// keep CAP_SYS_RESOURCE, so the kernel would refuse it: found before
    /// anything is recorded or executed.
    AboveHardLimit {
        /// Which limit.
        limit: LimitKind,
        /// The value asked for; `None` is unlimited.
        value: Option<u64>,
        /// The current hard limit.
        hard: u64,
    },
    /// `nofile` is above `fs.nr_open`, which no process may exceed.
    AboveNrOpen {
        /// The value asked for; `None` is unlimited.
        value: Option<u64>,
        /// `/proc/sys/fs/nr_open`.
        nr_open: u64,
    },
    /// `getrlimit(2)` failed, so the limit cannot be verified.
    Read {
        /// Which limit.
        limit: LimitKind,
        /// What the kernel reported.
        source: Errno,
    },
    /// The limit reads back other than it was set.
    NotApplied {
        /// Which limit.
        limit: LimitKind,
        /// The value asked for; `None` is unlimited.
        value: Option<u64>,
        /// The soft limit read back.
        soft: Option<u64>,
        /// The hard limit read back.
        hard: Option<u64>,
    },
}

impl Display for LimitError {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Self::Refused {
                limit,
                value,
                hard,
                source,
            } => {
                write!(
                    f,
                    "the kernel refused {} = {}: {source}",
                    limit.key(),
                    shown(*value)
                )?;
                if *source == Errno::EPERM {
                    if let Some(hard) = hard {
                        write!(f, " (the hard limit was {}", shown(Some(*hard)))?;
                    } else {
                        f.write_str(" (the hard limit could not be read")?;
                    }
                    f.write_str("; raising it needs CAP_SYS_RESOURCE")?;
                    if *limit == LimitKind::Nofile {
                        f.write_str(", and nofile can never exceed fs.nr_open")?;
                    }
                    f.write_str(")")?;
                }
                Ok(())
            }
            Self::AboveHardLimit { limit, value, hard } => write!(
                f,
                "{} = {} is above the hard limit sshgate was given ({hard}); raising a hard limit needs CAP_SYS_RESOURCE, which the command does not keep",
                limit.key(),
                shown(*value)
            ),
            Self::AboveNrOpen { value, nr_open } => write!(
                f,
                "nofile = {} is above fs.nr_open ({nr_open}), which no process may exceed",
                shown(*value)
            ),
            Self::Read { limit, source } => {
                write!(f, "cannot read {}: {source}", limit.key())
            }
            Self::NotApplied {
                limit,
                value,
                soft,
                hard,
            } => write!(
                f,
                "{} reads back as soft {}, hard {} instead of {}",
                limit.key(),
                shown(*soft),
                shown(*hard),
                shown(*value)
            ),
        }
    }
}

impl std::error::Error for LimitError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Refused { source, .. } | Self::Read { source, .. } => Some(source),
            Self::NotApplied { .. } | Self::AboveHardLimit { .. } | Self::AboveNrOpen { .. } => {
                None
            }
        }
    }
}

/// A limit as the policy writes it: a number or `unlimited`.
fn shown(value: Option<u64>) -> String {
    value.map_or_else(|| "unlimited".to_owned(), |value| value.to_string())
}

/// Sets both the soft and the hard `RLIMIT_CORE` to 0.
///
/// A core dump would copy the command's memory (possibly secrets read under
/// its grants) to a file outside the sandbox. Lowering the hard limit too
/// means the command cannot raise it again.
pub fn disable_core_dumps() -> Result<(), SandboxError> {
    setrlimit(Resource::RLIMIT_CORE, 0, 0).map_err(SandboxError::CoreLimit)
}

/// Where the kernel publishes the ceiling of `RLIMIT_NOFILE`.
const NR_OPEN: &str = "/proc/sys/fs/nr_open";

/// Checks, without setting anything, that the kernel will accept every
/// limit in `limits` from this process: none raises a hard limit without
/// CAP_SYS_RESOURCE in the effective set, and `nofile` stays within
/// `fs.nr_open` (when that can be read).
///
/// The limits themselves are set only just before the exec (see
/// `limit_resources`), after the record is written; this check lets a
/// refusal be a plain denial with one record, instead of an allow followed
/// by a failure. The kernel stays the authority: a refusal at the last step
/// is still a denial.
pub fn check_resource_limits(limits: &[ResourceLimit]) -> Result<(), LimitError> {
    let may_raise = caps::has_cap(
        None,
        caps::CapSet::Effective,
        caps::Capability::CAP_SYS_RESOURCE,
    )
    .unwrap_or(false);
    for limit in limits {
        let (_, hard) = getrlimit(resource(limit.resource)).map_err(|source| LimitError::Read {
            limit: limit.resource,
            source,
        })?;
        let value = raw(limit.value);
        if limit.resource == LimitKind::Nofile {
            let nr_open = std::fs::read_to_string(NR_OPEN)
                .ok()
                .and_then(|text| text.trim().parse::<u64>().ok());
            if let Some(nr_open) = nr_open.filter(|nr_open| value > *nr_open) {
                return Err(LimitError::AboveNrOpen {
                    value: limit.value,
                    nr_open,
                });
            }
        }
        if value > hard && !may_raise {
            return Err(LimitError::AboveHardLimit {
                limit: limit.resource,
                value: limit.value,
                hard,
            });
        }
    }
    Ok(())
}

/// Sets every limit in `limits`, soft and hard, and reads each back.
///
/// Lowering `nofile` below the descriptors the gate holds is fine for the
/// kernel: existing descriptors stay open, only new ones are refused.
pub fn apply_resource_limits(limits: &[ResourceLimit]) -> Result<(), LimitError> {
    for limit in limits {
        set_limit(*limit)?;
        verify_limit(*limit)?;
    }
    Ok(())
}

/// The kernel's resource for `kind`.
fn resource(kind: LimitKind) -> Resource {
    match kind {
        LimitKind::Nofile => Resource::RLIMIT_NOFILE,
        LimitKind::Nproc => Resource::RLIMIT_NPROC,
        LimitKind::Cpu => Resource::RLIMIT_CPU,
        LimitKind::Fsize => Resource::RLIMIT_FSIZE,
        LimitKind::As => Resource::RLIMIT_AS,
        LimitKind::Data => Resource::RLIMIT_DATA,
        LimitKind::Stack => Resource::RLIMIT_STACK,
        LimitKind::Memlock => Resource::RLIMIT_MEMLOCK,
    }
}

/// The kernel's value for `value`: `None` is `RLIM_INFINITY`.
fn raw(value: Option<u64>) -> u64 {
    value.unwrap_or(RLIM_INFINITY)
}

/// The policy's value for the kernel's `raw`.
fn from_raw(raw: u64) -> Option<u64> {
    (raw != RLIM_INFINITY).then_some(raw)
}

/// Sets `limit` as the soft and the hard limit.
fn set_limit(limit: ResourceLimit) -> Result<(), LimitError> {
    let resource = resource(limit.resource);
    // Read first only to explain a refusal; a failed read is not the error.
    let hard = getrlimit(resource).ok().map(|(_, hard)| from_raw(hard));
    let value = raw(limit.value);
    setrlimit(resource, value, value).map_err(|source| LimitError::Refused {
        limit: limit.resource,
        value: limit.value,
        hard: hard.flatten(),
        source,
    })
}

/// Checks that the soft and the hard limit both read back as `limit`.
fn verify_limit(limit: ResourceLimit) -> Result<(), LimitError> {
    let (soft, hard) = getrlimit(resource(limit.resource)).map_err(|source| LimitError::Read {
        limit: limit.resource,
        source,
    })?;
    let value = raw(limit.value);
    if soft == value && hard == value {
        Ok(())
    } else {
        Err(LimitError::NotApplied {
            limit: limit.resource,
            value: limit.value,
            soft: from_raw(soft),
            hard: from_raw(hard),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_names_the_limit_the_value_and_the_hard_limit() {
        let error = LimitError::Refused {
            limit: LimitKind::Nofile,
            value: Some(10_000_000_000),
            hard: Some(20_000),
            source: Errno::EPERM,
        };
        assert_eq!(
            error.to_string(),
            "the kernel refused nofile = 10000000000: EPERM: Operation not permitted \
             (the hard limit was 20000; raising it needs CAP_SYS_RESOURCE, and nofile \
             can never exceed fs.nr_open)"
        );
        let error = LimitError::Refused {
            limit: LimitKind::Fsize,
            value: None,
            hard: None,
            source: Errno::EINVAL,
        };
        assert_eq!(
            error.to_string(),
            "the kernel refused fsize = unlimited: EINVAL: Invalid argument"
        );
    }

    #[test]
    fn unlimited_is_rlim_infinity() {
        assert_eq!(raw(None), RLIM_INFINITY);
        assert_eq!(from_raw(RLIM_INFINITY), None);
        assert_eq!(from_raw(raw(Some(64))), Some(64));
    }
}
