//! Capabilities: the command runs with none (the policy's default
//! `capabilities = []`; keeping some is refused by `decide` in this
//! version).
//!
//! Every set is emptied, in the order the kernel allows:
//!
//! 1. the bounding set, which needs CAP_SETPCAP and so comes first;
//! 2. the ambient set;
//! 3. the inheritable set;
//! 4. the permitted and effective sets, which gives up CAP_SETPCAP itself.
//!
//! Then every set is read back; a capability that is still there is an
//! error, and the command is not executed.
//!
//! The bounding set is dropped and read by index, up to the last capability
//! the running kernel knows, rather than by the names the `caps` crate
//! knows: a capability added by a kernel newer than the crate would
//! otherwise stay in the bounding set unnoticed. The other sets are cleared
//! as whole bit masks (`capset(2)` with zeros, `PR_CAP_AMBIENT_CLEAR_ALL`),
//! which covers unnamed capabilities as well.
//!
//! # A gate without CAP_SETPCAP
//!
//! A gate run as an ordinary user (the usual forced command) has empty
//! permitted and effective sets but inherits a full bounding set, which it
//! is not allowed to drop (`PR_CAPBSET_DROP` fails with `EPERM`). It is left
//! as it is, and [`DroppedCapabilities::bounding_set_cleared`] says so. This
//! is safe because the bounding set only limits what `execve(2)` may add to
//! the permitted set (from set-user-ID-root or file capabilities), and
//! [`confine`](super::confine) sets no_new_privs afterwards, which caps the
//! permitted set after `execve(2)` at the one before it: empty, as verified
//! here. A gate that has CAP_SETPCAP in its permitted set (root, or a gate
//! given it on purpose) must empty the bounding set; if it cannot, that is
//! an error.

use std::fmt::{self, Display, Formatter};
use std::io;

use caps::errors::CapsError;
use caps::{CapSet, Capability, CapsHashSet};

use super::SandboxError;

/// How many capabilities the kernel's 64-bit masks can hold (indices 0 to
/// 63); the probe for the kernel's capabilities stops there.
const MAX_CAPABILITIES: u8 = 64;

/// What [`drop_all_capabilities`] achieved, for the audit record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DroppedCapabilities {
    /// Whether the bounding set is empty. It stays full only in a gate
    /// without CAP_SETPCAP, where no_new_privs makes it irrelevant (see the
    /// module documentation).
    pub bounding_set_cleared: bool,
}

/// A step of dropping every capability (`drop_all_capabilities`) that
/// failed.
#[derive(Debug)]
pub enum CapabilityError {
    /// `PR_CAPBSET_READ` failed other than for an index the kernel does not
    /// know.
    ReadBoundingSet {
        /// The capability index asked about.
        index: u8,
        /// What `prctl(2)` reported.
        source: io::Error,
    },
    /// Reading one of the thread's capability sets failed.
    ReadSet {
        /// Which set: `"ambient"`, `"inheritable"`, `"permitted"` or
        /// `"effective"`.
        set: &'static str,
        /// What the `caps` crate reported.
        source: CapsError,
    },
    /// CAP_SETPCAP is permitted but could not be made effective, so the
    /// bounding set cannot be dropped.
    RaiseSetpcap(CapsError),
    /// `PR_CAPBSET_DROP` failed although CAP_SETPCAP is effective.
    DropFromBoundingSet {
        /// The capability index being dropped.
        index: u8,
        /// What `prctl(2)` reported.
        source: io::Error,
    },
    /// `PR_CAP_AMBIENT_CLEAR_ALL` failed.
    ClearAmbient(CapsError),
    /// Clearing the inheritable set with `capset(2)` failed.
    ClearInheritable(CapsError),
    /// Clearing the permitted and effective sets with `capset(2)` failed.
    ClearPermitted(CapsError),
    /// A set still holds capabilities after it was cleared.
    Remaining {
        /// Which set.
        set: &'static str,
        /// The capabilities left, by name.
        capabilities: Vec<String>,
    },
}

impl Display for CapabilityError {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Self::ReadBoundingSet { index, source } => write!(
                f,
                "cannot read {} in the bounding set: {source}",
                capability_name(*index)
            ),
            Self::ReadSet { set, source } => {
                write!(f, "cannot read the {set} capability set: {source}")
            }
            Self::RaiseSetpcap(e) => write!(f, "cannot make CAP_SETPCAP effective: {e}"),
            Self::DropFromBoundingSet { index, source } => write!(
                f,
                "cannot drop {} from the bounding set: {source}",
                capability_name(*index)
            ),
            Self::ClearAmbient(e) => write!(f, "cannot clear the ambient set: {e}"),
            Self::ClearInheritable(e) => write!(f, "cannot clear the inheritable set: {e}"),
            Self::ClearPermitted(e) => {
                write!(f, "cannot clear the permitted and effective sets: {e}")
            }
            Self::Remaining { set, capabilities } => write!(
                f,
                "the {set} set still holds {} after it was cleared",
                capabilities.join(", ")
            ),
        }
    }
}

impl std::error::Error for CapabilityError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::ReadBoundingSet { source, .. } | Self::DropFromBoundingSet { source, .. } => {
                Some(source)
            }
            Self::ReadSet { source, .. } => Some(source),
            Self::RaiseSetpcap(e)
            | Self::ClearAmbient(e)
            | Self::ClearInheritable(e)
            | Self::ClearPermitted(e) => Some(e),
            Self::Remaining { .. } => None,
        }
    }
}

/// Drops every capability not in `keep` (SKELETON: only an empty `keep`
/// is supported until the capabilities work of issue 3 lands).
pub fn drop_capabilities_except(
    keep: &[crate::policy::CapabilityName],
) -> Result<DroppedCapabilities, SandboxError> {
    if keep.is_empty() {
        drop_all_capabilities()
    } else {
        Err(SandboxError::Capabilities(CapabilityError::Remaining {
            set: "kept",
            capabilities: vec!["(keeping capabilities is not implemented yet)".to_owned()],
        }))
    }
}

/// Drops every capability from every set of the calling thread and
/// verifies the result; see the module documentation for the one case in
/// which the bounding set stays as it is.
///
/// Must run before anything that needs a capability is given up on
/// purpose: afterwards even root cannot drop the bounding set, `chown`, or
/// override file permissions.
pub fn drop_all_capabilities() -> Result<DroppedCapabilities, SandboxError> {
    let known = kernel_capability_count()?;
    let may_drop_bounding = make_setpcap_effective()?;
    if may_drop_bounding {
        drop_from_bounding_set(known)?;
    }
    clear_ambient_set()?;
    clear_inheritable_set()?;
    clear_permitted_and_effective_sets()?;
    let bounding_set_cleared = verify_capabilities_dropped(known, may_drop_bounding)?;
    Ok(DroppedCapabilities {
        bounding_set_cleared,
    })
}

/// How many capabilities the running kernel knows: indices from 0 up are
/// asked about with `PR_CAPBSET_READ` until the kernel answers `EINVAL`.
/// This needs no `/proc` (unlike `/proc/sys/kernel/cap_last_cap`).
fn kernel_capability_count() -> Result<u8, CapabilityError> {
    for index in 0..MAX_CAPABILITIES {
        match in_bounding_set(index) {
            Ok(_) => {}
            Err(source) if source.raw_os_error() == Some(libc::EINVAL) => return Ok(index),
            Err(source) => return Err(CapabilityError::ReadBoundingSet { index, source }),
        }
    }
    Ok(MAX_CAPABILITIES)
}

/// Whether capability `index` is in the calling thread's bounding set.
fn in_bounding_set(index: u8) -> io::Result<bool> {
    // SAFETY: PR_CAPBSET_READ takes an integer and touches no memory.
    let result = unsafe {
        libc::prctl(
            libc::PR_CAPBSET_READ,
            libc::c_ulong::from(index),
            0 as libc::c_ulong,
            0 as libc::c_ulong,
            0 as libc::c_ulong,
        )
    };
    match result {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(io::Error::last_os_error()),
    }
}

/// Makes CAP_SETPCAP effective if it is permitted, and says whether it is
/// now effective: whether the bounding set may be dropped.
fn make_setpcap_effective() -> Result<bool, CapabilityError> {
    let read = |set, name| {
        caps::has_cap(None, set, Capability::CAP_SETPCAP)
            .map_err(|source| CapabilityError::ReadSet { set: name, source })
    };
    if read(CapSet::Effective, "effective")? {
        return Ok(true);
    }
    if !read(CapSet::Permitted, "permitted")? {
        return Ok(false);
    }
    caps::raise(None, CapSet::Effective, Capability::CAP_SETPCAP)
        .map_err(CapabilityError::RaiseSetpcap)?;
    Ok(true)
}

/// Drops capabilities `0..known` from the bounding set, so that no
/// `execve(2)` can ever grant them again. Needs CAP_SETPCAP effective.
fn drop_from_bounding_set(known: u8) -> Result<(), CapabilityError> {
    for index in 0..known {
        // SAFETY: PR_CAPBSET_DROP takes an integer and touches no memory.
        let result = unsafe {
            libc::prctl(
                libc::PR_CAPBSET_DROP,
                libc::c_ulong::from(index),
                0 as libc::c_ulong,
                0 as libc::c_ulong,
                0 as libc::c_ulong,
            )
        };
        if result != 0 {
            return Err(CapabilityError::DropFromBoundingSet {
                index,
                source: io::Error::last_os_error(),
            });
        }
    }
    Ok(())
}

/// Clears the ambient set, which would otherwise be added to the permitted
/// set of any program executed. Lowering needs no privilege.
fn clear_ambient_set() -> Result<(), CapabilityError> {
    caps::clear(None, CapSet::Ambient).map_err(CapabilityError::ClearAmbient)
}

/// Clears the inheritable set, which file capabilities of an executed
/// program could combine with. Lowering needs no privilege.
fn clear_inheritable_set() -> Result<(), CapabilityError> {
    caps::clear(None, CapSet::Inheritable).map_err(CapabilityError::ClearInheritable)
}

/// Clears the permitted set, and with it the effective set. This gives up
/// CAP_SETPCAP, so it comes after the bounding set.
fn clear_permitted_and_effective_sets() -> Result<(), CapabilityError> {
    caps::clear(None, CapSet::Permitted).map_err(CapabilityError::ClearPermitted)
}

/// Reads every set back. The ambient, inheritable, permitted and effective
/// sets must be empty, and so must the bounding set if it was dropped.
/// Returns whether the bounding set is empty.
///
/// The four process sets are read through the caps crate, which only names
/// the capabilities it knows; they were cleared as whole masks, so one it
/// does not know is gone too. The bounding set is read by number, up to
/// what the kernel knows.
fn verify_capabilities_dropped(known: u8, bounding_dropped: bool) -> Result<bool, CapabilityError> {
    for (set, name) in [
        (CapSet::Ambient, "ambient"),
        (CapSet::Inheritable, "inheritable"),
        (CapSet::Permitted, "permitted"),
        (CapSet::Effective, "effective"),
    ] {
        let held = caps::read(None, set)
            .map_err(|source| CapabilityError::ReadSet { set: name, source })?;
        if !held.is_empty() {
            return Err(CapabilityError::Remaining {
                set: name,
                capabilities: sorted_names(&held),
            });
        }
    }
    let bounding = bounding_set(known)?;
    if bounding_dropped && !bounding.is_empty() {
        return Err(CapabilityError::Remaining {
            set: "bounding",
            capabilities: bounding.into_iter().map(capability_name).collect(),
        });
    }
    Ok(bounding.is_empty())
}

/// The indices of capabilities `0..known` that are in the bounding set.
fn bounding_set(known: u8) -> Result<Vec<u8>, CapabilityError> {
    let mut held = Vec::new();
    for index in 0..known {
        if in_bounding_set(index)
            .map_err(|source| CapabilityError::ReadBoundingSet { index, source })?
        {
            held.push(index);
        }
    }
    Ok(held)
}

/// The names of `set`, ordered by index so that messages are stable.
fn sorted_names(set: &CapsHashSet) -> Vec<String> {
    let mut indices: Vec<u8> = set.iter().map(Capability::index).collect();
    indices.sort_unstable();
    indices.into_iter().map(capability_name).collect()
}

/// The name of capability `index`, e.g. `CAP_CHOWN`; a capability newer
/// than the `caps` crate is named by its number.
pub fn capability_name(index: u8) -> String {
    caps::all()
        .into_iter()
        .find(|capability| capability.index() == index)
        .map_or_else(|| format!("capability {index}"), |c| c.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_are_named_by_index() {
        assert_eq!(capability_name(0), "CAP_CHOWN");
        assert_eq!(capability_name(8), "CAP_SETPCAP");
        assert_eq!(capability_name(63), "capability 63");
    }

    #[test]
    fn the_kernel_knows_at_least_the_classic_capabilities() {
        // CAP_AUDIT_READ (37) is in every kernel that has Landlock.
        assert!(kernel_capability_count().unwrap() > 37);
    }

    #[test]
    fn remaining_capabilities_are_listed() {
        let error = CapabilityError::Remaining {
            set: "bounding",
            capabilities: vec![capability_name(0), capability_name(27)],
        };
        assert_eq!(
            error.to_string(),
            "the bounding set still holds CAP_CHOWN, CAP_MKNOD after it was cleared"
        );
    }
}
