//! Capabilities: the command keeps exactly the plan's list (empty by
//! default) and nothing else, in two steps around the user switch.
//!
//! [`drop_capabilities_except`] comes first, while the gate still holds
//! everything it was started with:
//!
//! 1. every kept capability must be in the gate's permitted and bounding
//!    sets, or the command could not have it: an error, before anything
//!    changes;
//! 2. every other capability is dropped from the bounding set, which needs
//!    CAP_SETPCAP and so comes before anything gives CAP_SETPCAP up;
//! 3. the ambient and inheritable sets are cleared.
//!
//! Then [`confine`](super::confine) switches to the plan's user, which needs
//! CAP_SETUID and CAP_SETGID. With kept capabilities and a non-root target,
//! [`keep_capabilities_across_switch`] sets keepcaps first, or `setresuid`
//! to a non-root uid would empty the permitted set; [`stop_keeping_capabilities`]
//! clears it again afterwards.
//!
//! [`keep_only`] comes last, because narrowing the permitted set earlier
//! would give up CAP_SETUID and CAP_SETGID before the switch:
//!
//! 4. the permitted and effective sets become exactly the kept list;
//! 5. for a non-root command, the inheritable and ambient sets become the
//!    kept list too: `execve(2)` gives a non-root process without file
//!    capabilities only its ambient set. A root command needs neither (the
//!    kernel gives it its bounding set, which is now the kept list), so
//!    both stay empty.
//!
//! Each step reads every set back; a capability where it should not be, or
//! a kept one missing, is an error, and the command is not executed. Two
//! read-backs are narrowed to what the kernel leaves open (see
//! [`verify_ambient_set`] and [`verify_kept_still_bounding`]): the ambient
//! set can never hold what is not both permitted and inheritable, and the
//! bounding set can never grow, so only a kept capability is read there.
//!
//! The bounding set is dropped and read by index, up to the last capability
//! the running kernel knows, rather than by the names the `caps` crate
//! knows: a capability added by a kernel newer than the crate would
//! otherwise stay in the bounding set unnoticed. The other sets are written
//! as whole bit masks (`capset(2)`, `PR_CAP_AMBIENT_CLEAR_ALL`), which
//! clears unnamed capabilities as well.
//!
//! # A gate without CAP_SETPCAP
//!
//! A gate run as an ordinary user (the usual forced command) has empty
//! permitted and effective sets but inherits a full bounding set, which it
//! is not allowed to drop (`PR_CAPBSET_DROP` fails with `EPERM`). It is left
//! as it is, and [`KeptCapabilities::bounding_set_cleared`] says so. This
//! is safe because the bounding set only limits what `execve(2)` may add to
//! the permitted set (from set-user-ID-root or file capabilities), and
//! [`confine`](super::confine) sets no_new_privs afterwards, which caps the
//! permitted set after `execve(2)` at the one before it: exactly the kept
//! list (empty, as `decide` refuses to keep what the gate does not hold), as
//! verified here. A gate that has CAP_SETPCAP in its permitted set (root, or
//! a gate given it on purpose) must narrow the bounding set; if it cannot,
//! that is an error.

use std::fmt::{self, Display, Formatter};
use std::io;

use caps::errors::CapsError;
use caps::{CapSet, Capability, CapsHashSet};
use nix::errno::Errno;
use nix::sys::prctl;
use nix::unistd::getresuid;

use crate::policy::CapabilityName;

/// How many capabilities the kernel's 64-bit masks can hold (indices 0 to
/// 63); the probe for the kernel's capabilities stops there.
const MAX_CAPABILITIES: u8 = 64;

/// What [`drop_capabilities_except`] did, handed on to [`keep_only`] so
/// that it checks the bounding set again against the same facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DroppedCapabilities {
    /// Whether the bounding set now holds nothing but the kept list. Only a
    /// gate without CAP_SETPCAP leaves it as it was (see the module
    /// documentation).
    pub bounding_set_cleared: bool,
}

/// What the command keeps, for the audit record: the result of
/// [`keep_only`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptCapabilities {
    /// The kept capabilities by name, e.g. `"CAP_DAC_READ_SEARCH"`, ordered
    /// by index; empty by default.
    pub kept: Vec<String>,
    /// Whether every capability not kept is gone from the bounding set. It
    /// stays full only in a gate without CAP_SETPCAP, where no_new_privs
    /// makes it irrelevant (see the module documentation).
    pub bounding_set_cleared: bool,
}

/// A step of narrowing the capabilities that failed.
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
    /// `getresuid(2)` failed, so whether the command runs as root (and so
    /// which sets it needs) is unknown.
    ReadUids(Errno),
    /// The plan keeps a capability the gate does not hold in `set`, so the
    /// command could not have it after `execve(2)`.
    NotHeld {
        /// The capability, e.g. `CAP_DAC_READ_SEARCH`.
        capability: String,
        /// `"permitted"` or `"bounding"`.
        set: &'static str,
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
    /// `PR_SET_KEEPCAPS` failed, or reads back other than it was set.
    KeepCaps {
        /// The value being set.
        keep: bool,
        /// What `prctl(2)` reported; `None` if it reported success but the
        /// flag reads back otherwise.
        source: Option<Errno>,
    },
    /// Setting a set to the kept list with `capset(2)` failed.
    SetKept {
        /// Which set.
        set: &'static str,
        /// What the `caps` crate reported.
        source: CapsError,
    },
    /// `PR_CAP_AMBIENT_RAISE` failed for a kept capability.
    RaiseAmbient {
        /// The capability.
        capability: String,
        /// What the `caps` crate reported.
        source: CapsError,
    },
    /// A set holds capabilities it should not after it was narrowed.
    Remaining {
        /// Which set.
        set: &'static str,
        /// The capabilities left, by name.
        capabilities: Vec<String>,
    },
    /// A set lacks kept capabilities after it was set to the kept list.
    Missing {
        /// Which set.
        set: &'static str,
        /// The kept capabilities it lacks, by name.
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
            Self::ReadUids(e) => write!(f, "cannot read the user ids: {e}"),
            Self::NotHeld { capability, set } => write!(
                f,
                "{capability} is not in sshgate's {set} set, so the command cannot keep it"
            ),
            Self::RaiseSetpcap(e) => write!(f, "cannot make CAP_SETPCAP effective: {e}"),
            Self::DropFromBoundingSet { index, source } => write!(
                f,
                "cannot drop {} from the bounding set: {source}",
                capability_name(*index)
            ),
            Self::ClearAmbient(e) => write!(f, "cannot clear the ambient set: {e}"),
            Self::ClearInheritable(e) => write!(f, "cannot clear the inheritable set: {e}"),
            Self::KeepCaps { keep, source } => {
                write!(f, "cannot set keepcaps to {}", u8::from(*keep))?;
                match source {
                    Some(e) => write!(f, ": {e}"),
                    None => f.write_str(": it reads back otherwise"),
                }
            }
            Self::SetKept { set, source } => {
                write!(f, "cannot set the {set} set to the kept list: {source}")
            }
            Self::RaiseAmbient { capability, source } => {
                write!(f, "cannot raise {capability} in the ambient set: {source}")
            }
            Self::Remaining { set, capabilities } => write!(
                f,
                "the {set} set still holds {} after it was narrowed",
                capabilities.join(", ")
            ),
            Self::Missing { set, capabilities } => write!(
                f,
                "the {set} set lacks kept {} after it was set",
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
            Self::ReadSet { source, .. }
            | Self::SetKept { source, .. }
            | Self::RaiseAmbient { source, .. } => Some(source),
            Self::RaiseSetpcap(e) | Self::ClearAmbient(e) | Self::ClearInheritable(e) => Some(e),
            Self::ReadUids(e)
            | Self::KeepCaps {
                source: Some(e), ..
            } => Some(e),
            Self::NotHeld { .. }
            | Self::KeepCaps { source: None, .. }
            | Self::Remaining { .. }
            | Self::Missing { .. } => None,
        }
    }
}

/// Drops every capability not in `keep` from the bounding set and clears
/// the ambient and inheritable sets, then verifies them; see the module
/// documentation for the one case in which the bounding set stays as it is.
/// The permitted and effective sets are left for [`keep_only`], after the
/// user switch that needs them.
///
/// Must run before anything that needs a capability is given up on
/// purpose: afterwards even root cannot narrow the bounding set.
pub fn drop_capabilities_except(
    keep: &[CapabilityName],
) -> Result<DroppedCapabilities, CapabilityError> {
    let known = kernel_capability_count()?;
    require_held(keep)?;
    let may_drop_bounding = make_setpcap_effective()?;
    if may_drop_bounding {
        drop_from_bounding_set_except(known, keep)?;
    }
    clear_ambient_set()?;
    clear_inheritable_set()?;
    verify_set(CapSet::Inheritable, "inheritable", &[])?;
    // The inheritable set was just read back empty, which empties the
    // ambient set (see verify_ambient_set): nothing is left to read.
    verify_ambient_set(&[])?;
    let bounding_set_cleared = verify_bounding_set(known, keep, may_drop_bounding)?;
    Ok(DroppedCapabilities {
        bounding_set_cleared,
    })
}

/// Sets keepcaps when the plan keeps capabilities: without it, the switch
/// from root to a non-root uid empties the permitted set, and nothing could
/// be kept. With nothing to keep, the flag stays off and the switch empties
/// the permitted set as an extra measure. The kernel clears the flag at
/// `execve(2)`; [`stop_keeping_capabilities`] clears it as soon as the
/// switch is done.
pub fn keep_capabilities_across_switch(keep: &[CapabilityName]) -> Result<(), CapabilityError> {
    if keep.is_empty() {
        Ok(())
    } else {
        set_keepcaps(true)
    }
}

/// Clears keepcaps after the user switch: no later uid change may keep the
/// permitted set.
pub fn stop_keeping_capabilities() -> Result<(), CapabilityError> {
    set_keepcaps(false)
}

/// Makes the permitted and effective sets exactly `keep` and, for a
/// non-root command, the inheritable and ambient sets too (see the module
/// documentation), then reads every set back, the bounding set included.
///
/// Comes after the user switch: it gives up CAP_SETUID and CAP_SETGID
/// unless they are kept.
pub fn keep_only(
    keep: &[CapabilityName],
    dropped: DroppedCapabilities,
) -> Result<KeptCapabilities, CapabilityError> {
    let kept_by_exec = if command_runs_as_root()? {
        // The kernel gives a root command its bounding set, which
        // drop_capabilities_except narrowed to `keep`.
        &[][..]
    } else {
        keep
    };
    set_permitted_and_effective(keep)?;
    set_inheritable(kept_by_exec)?;
    raise_ambient(kept_by_exec)?;
    // Permitted and inheritable first: the ambient check relies on them.
    for (set, name, expected) in [
        (CapSet::Permitted, "permitted", keep),
        (CapSet::Effective, "effective", keep),
        (CapSet::Inheritable, "inheritable", kept_by_exec),
    ] {
        verify_set(set, name, expected)?;
    }
    verify_ambient_set(kept_by_exec)?;
    if dropped.bounding_set_cleared {
        verify_kept_still_bounding(keep)?;
    }
    Ok(KeptCapabilities {
        kept: sorted_names(keep.iter().map(|name| name.index())),
        bounding_set_cleared: dropped.bounding_set_cleared,
    })
}

/// How many capabilities the running kernel knows, asked with
/// `PR_CAPBSET_READ`, which answers `EINVAL` exactly for the indices above
/// the kernel's last capability (`cap_valid()`): the known indices are
/// `0..count`, so a binary search over `0..=MAX_CAPABILITIES` finds the
/// count in at most seven questions rather than one per capability.
/// This needs no `/proc` (unlike `/proc/sys/kernel/cap_last_cap`).
fn kernel_capability_count() -> Result<u8, CapabilityError> {
    // Every index below `known` is known to the kernel; none at or above
    // `unknown` is (or it is beyond the masks).
    let (mut known, mut unknown) = (0, MAX_CAPABILITIES);
    while known < unknown {
        let index = known + (unknown - known) / 2;
        if kernel_knows(index)? {
            known = index + 1;
        } else {
            unknown = index;
        }
    }
    Ok(known)
}

/// Whether the running kernel knows capability `index`: `PR_CAPBSET_READ`
/// answers for it rather than failing with `EINVAL`.
fn kernel_knows(index: u8) -> Result<bool, CapabilityError> {
    match in_bounding_set(index) {
        Ok(_) => Ok(true),
        Err(source) if source.raw_os_error() == Some(libc::EINVAL) => Ok(false),
        Err(source) => Err(CapabilityError::ReadBoundingSet { index, source }),
    }
}

/// Every capability the running kernel knows, by name in index order
/// (one newer than the `caps` crate by its number), found the way the
/// bounding set is dropped: for `sshgate doctor`, so that it counts what
/// the gate would.
pub(super) fn kernel_capability_names() -> Result<Vec<String>, CapabilityError> {
    Ok(sorted_names(0..kernel_capability_count()?))
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

/// Refuses to keep a capability the gate does not hold: not permitted, it
/// cannot be made effective or ambient; outside the bounding set, a root
/// command would not get it at `execve(2)` and it cannot be made
/// inheritable (which the ambient set needs). `decide` already refuses the
/// first; the second shows only here.
fn require_held(keep: &[CapabilityName]) -> Result<(), CapabilityError> {
    for kept in keep {
        let permitted =
            caps::has_cap(None, CapSet::Permitted, kept.capability()).map_err(|source| {
                CapabilityError::ReadSet {
                    set: "permitted",
                    source,
                }
            })?;
        let bounding =
            in_bounding_set(kept.index()).map_err(|source| CapabilityError::ReadBoundingSet {
                index: kept.index(),
                source,
            })?;
        for (held, set) in [(permitted, "permitted"), (bounding, "bounding")] {
            if !held {
                return Err(CapabilityError::NotHeld {
                    capability: kept.to_string(),
                    set,
                });
            }
        }
    }
    Ok(())
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

/// Drops capabilities `0..known` other than `keep` from the bounding set,
/// so that no `execve(2)` can ever grant them again. Needs CAP_SETPCAP
/// effective.
///
/// Each is dropped without reading it first: `PR_CAPBSET_DROP` of a
/// capability already absent succeeds (the kernel only checks CAP_SETPCAP
/// and that the index is valid, then lowers the bit). Checked on 6.18 in a
/// container whose bounding set lacks CAP_SYS_RESOURCE: its drop returned
/// 0 like the others. [`verify_bounding_set`] reads the result back.
fn drop_from_bounding_set_except(
    known: u8,
    keep: &[CapabilityName],
) -> Result<(), CapabilityError> {
    for index in (0..known).filter(|index| !keep.iter().any(|kept| kept.index() == *index)) {
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

/// Sets `PR_SET_KEEPCAPS` to `keep` and reads it back.
fn set_keepcaps(keep: bool) -> Result<(), CapabilityError> {
    let failed = |source| CapabilityError::KeepCaps { keep, source };
    prctl::set_keepcaps(keep).map_err(|e| failed(Some(e)))?;
    if prctl::get_keepcaps().map_err(|e| failed(Some(e)))? == keep {
        Ok(())
    } else {
        Err(failed(None))
    }
}

/// Whether the command will run as root: real and effective uid 0, so that
/// `execve(2)` gives it the bounding set as its permitted and effective
/// sets. Any other combination gets its capabilities from the ambient set.
fn command_runs_as_root() -> Result<bool, CapabilityError> {
    let uids = getresuid().map_err(CapabilityError::ReadUids)?;
    Ok(uids.real.is_root() && uids.effective.is_root())
}

/// The capabilities of `keep`, as the `caps` crate takes them.
fn hash_set(keep: &[CapabilityName]) -> CapsHashSet {
    keep.iter().map(|kept| kept.capability()).collect()
}

/// Makes the effective set, then the permitted set, exactly `keep`. In this
/// order because the effective set may never exceed the permitted one: the
/// effective set is narrowed (after a switch: raised) within the old
/// permitted set first.
fn set_permitted_and_effective(keep: &[CapabilityName]) -> Result<(), CapabilityError> {
    let keep = hash_set(keep);
    for (set, name) in [
        (CapSet::Effective, "effective"),
        (CapSet::Permitted, "permitted"),
    ] {
        caps::set(None, set, &keep)
            .map_err(|source| CapabilityError::SetKept { set: name, source })?;
    }
    Ok(())
}

/// Makes the inheritable set exactly `keep`: the ambient set can only hold
/// what is inheritable (and permitted).
fn set_inheritable(keep: &[CapabilityName]) -> Result<(), CapabilityError> {
    caps::set(None, CapSet::Inheritable, &hash_set(keep)).map_err(|source| {
        CapabilityError::SetKept {
            set: "inheritable",
            source,
        }
    })
}

/// Raises each of `keep` in the ambient set (cleared before), so that a
/// non-root command has them in its permitted and effective sets after
/// `execve(2)`.
fn raise_ambient(keep: &[CapabilityName]) -> Result<(), CapabilityError> {
    for kept in keep {
        caps::raise(None, CapSet::Ambient, kept.capability()).map_err(|source| {
            CapabilityError::RaiseAmbient {
                capability: kept.to_string(),
                source,
            }
        })?;
    }
    Ok(())
}

/// Reads `set` back: it must hold exactly `expected`.
///
/// Read through the caps crate, which only names the capabilities it
/// knows; every set was written as a whole mask, so one it does not know is
/// gone too.
fn verify_set(
    set: CapSet,
    name: &'static str,
    expected: &[CapabilityName],
) -> Result<(), CapabilityError> {
    let held =
        caps::read(None, set).map_err(|source| CapabilityError::ReadSet { set: name, source })?;
    compare(
        name,
        held.iter().map(Capability::index),
        expected.iter().map(|kept| kept.index()),
    )
}

/// Reads the ambient set back where a read is the only proof, given that
/// the permitted and inheritable sets were read back just before.
///
/// capabilities(7): "The ambient capability set obeys the invariant that no
/// capability can ever be ambient if it is not both permitted and
/// inheritable", and the kernel lowers an ambient capability whenever its
/// permitted or inheritable bit is lowered. Since `expected` is everything
/// the verified inheritable set holds, no capability outside it can be
/// ambient, known to the `caps` crate or not; only a missing one is
/// possible, so each of `expected` is asked about (`PR_CAP_AMBIENT_IS_SET`)
/// and nothing else: no question at all when `expected` is empty.
fn verify_ambient_set(expected: &[CapabilityName]) -> Result<(), CapabilityError> {
    require_each_held("ambient", expected, |kept| {
        caps::has_cap(None, CapSet::Ambient, kept.capability()).map_err(|source| {
            CapabilityError::ReadSet {
                set: "ambient",
                source,
            }
        })
    })
}

/// Reads the kept capabilities in the bounding set again after the user
/// switch. The whole set was read back by [`drop_capabilities_except`], and
/// it can only shrink since (capabilities(7): a capability dropped from the
/// bounding set "can't be re-added"), so none can have been added; only a
/// kept one could have gone, which is what is read here.
fn verify_kept_still_bounding(keep: &[CapabilityName]) -> Result<(), CapabilityError> {
    require_each_held("bounding", keep, |kept| {
        let index = kept.index();
        in_bounding_set(index).map_err(|source| CapabilityError::ReadBoundingSet { index, source })
    })
}

/// Asks `held` about each of `expected` in `set`; a missing one is
/// [`CapabilityError::Missing`], naming every one missing.
fn require_each_held(
    set: &'static str,
    expected: &[CapabilityName],
    mut held: impl FnMut(&CapabilityName) -> Result<bool, CapabilityError>,
) -> Result<(), CapabilityError> {
    let mut missing = Vec::new();
    for kept in expected {
        if !held(kept)? {
            missing.push(kept.index());
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(CapabilityError::Missing {
            set,
            capabilities: sorted_names(missing),
        })
    }
}

/// Reads the bounding set back, by number up to what the kernel knows. If
/// it was narrowed, it must hold exactly `keep`. Returns whether it does.
fn verify_bounding_set(
    known: u8,
    keep: &[CapabilityName],
    narrowed: bool,
) -> Result<bool, CapabilityError> {
    let held = bounding_set(known)?;
    let expected = keep.iter().map(|kept| kept.index());
    match compare("bounding", held.iter().copied(), expected) {
        Ok(()) => Ok(true),
        Err(error) if narrowed => Err(error),
        Err(_) => Ok(false),
    }
}

/// Compares the capability indices `held` in `set` with `expected`: an
/// extra one is [`CapabilityError::Remaining`], a missing one
/// [`CapabilityError::Missing`].
fn compare(
    set: &'static str,
    held: impl Iterator<Item = u8>,
    expected: impl Iterator<Item = u8>,
) -> Result<(), CapabilityError> {
    let held: Vec<u8> = held.collect();
    let expected: Vec<u8> = expected.collect();
    let extra: Vec<u8> = held
        .iter()
        .copied()
        .filter(|index| !expected.contains(index))
        .collect();
    if !extra.is_empty() {
        return Err(CapabilityError::Remaining {
            set,
            capabilities: sorted_names(extra),
        });
    }
    let missing: Vec<u8> = expected
        .into_iter()
        .filter(|index| !held.contains(index))
        .collect();
    if !missing.is_empty() {
        return Err(CapabilityError::Missing {
            set,
            capabilities: sorted_names(missing),
        });
    }
    Ok(())
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

/// The names of `indices`, ordered by index so that messages and records
/// are stable.
fn sorted_names(indices: impl IntoIterator<Item = u8>) -> Vec<String> {
    let mut indices: Vec<u8> = indices.into_iter().collect();
    indices.sort_unstable();
    indices.dedup();
    indices.into_iter().map(capability_name).collect()
}

/// The name of capability `index`, e.g. `CAP_CHOWN`; a capability newer
/// than the `caps` crate is named by its number.
fn capability_name(index: u8) -> String {
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
    fn the_count_is_where_the_kernel_stops_answering() {
        // The binary search agrees with asking every index in turn.
        let count = kernel_capability_count().unwrap();
        for index in 0..MAX_CAPABILITIES {
            assert_eq!(kernel_knows(index).unwrap(), index < count, "{index}");
        }
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
            "the bounding set still holds CAP_CHOWN, CAP_MKNOD after it was narrowed"
        );
    }

    #[test]
    fn a_set_is_compared_both_ways() {
        // An extra capability is reported before a missing one, by name.
        let error = compare("permitted", [2, 0].into_iter(), [10].into_iter()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "the permitted set still holds CAP_CHOWN, CAP_DAC_READ_SEARCH after it was narrowed"
        );
        let error = compare("ambient", [2].into_iter(), [10, 2].into_iter()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "the ambient set lacks kept CAP_NET_BIND_SERVICE after it was set"
        );
        assert!(compare("effective", [10, 2].into_iter(), [2, 10].into_iter()).is_ok());
    }

    #[test]
    fn a_capability_the_gate_lacks_is_named_with_its_set() {
        let error = CapabilityError::NotHeld {
            capability: "CAP_DAC_READ_SEARCH".to_owned(),
            set: "bounding",
        };
        assert_eq!(
            error.to_string(),
            "CAP_DAC_READ_SEARCH is not in sshgate's bounding set, so the command cannot keep it"
        );
    }
}
