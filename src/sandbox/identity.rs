//! Identity: become the plan's user and groups, as `login` would.
//!
//! The order is the only one that works: the supplementary groups and the
//! gid while still root (`setgroups(2)` and `setresgid(2)` need
//! CAP_SETGID), the uid last (after it, a non-root process could change
//! neither). All three ids of each kind (real, effective, saved) are set,
//! so the command cannot switch back to the gate's ids through a saved one.
//! Then everything is read back, so that a switch the kernel only partly
//! made cannot reach the exec unnoticed.
//!
//! Capabilities are not this module's concern: `confine` keeps the ones the
//! plan lists across the switch (keepcaps) and narrows every set afterwards.

use std::fmt::{self, Display, Formatter};

use nix::errno::Errno;
use nix::unistd::{Gid, Uid, getgroups, getresgid, getresuid, setgroups, setresgid, setresuid};

use crate::decide::plan::Identity;

/// Why the switch to the plan's user failed.
#[derive(Debug)]
pub enum IdentityError {
    /// `setgroups(2)` refused the supplementary group list.
    SetGroups {
        /// The groups asked for.
        groups: Vec<u32>,
        /// What the kernel reported.
        source: Errno,
    },
    /// `setresgid(2)` refused the group id.
    SetGid {
        /// The gid asked for.
        gid: u32,
        /// What the kernel reported.
        source: Errno,
    },
    /// `setresuid(2)` refused the user id.
    SetUid {
        /// The uid asked for.
        uid: u32,
        /// What the kernel reported.
        source: Errno,
    },
    /// `getresuid(2)`, `getresgid(2)` or `getgroups(2)` failed, so the
    /// switch cannot be verified.
    Read {
        /// The call that failed.
        call: &'static str,
        /// What the kernel reported.
        source: Errno,
    },
    /// A user or group id reads back other than it was set.
    IdsDiffer {
        /// `"uid"` or `"gid"`.
        kind: &'static str,
        /// The id asked for.
        wanted: u32,
        /// The real, effective and saved ids read back.
        real: u32,
        /// See `real`.
        effective: u32,
        /// See `real`.
        saved: u32,
    },
    /// The supplementary groups read back other than they were set.
    GroupsDiffer {
        /// The groups asked for, sorted.
        wanted: Vec<u32>,
        /// The groups read back, sorted.
        found: Vec<u32>,
    },
}

impl Display for IdentityError {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Self::SetGroups { groups, source } => {
                write!(f, "setgroups({}) failed: {source}", list(groups))
            }
            Self::SetGid { gid, source } => {
                write!(f, "setresgid({gid}, {gid}, {gid}) failed: {source}")
            }
            Self::SetUid { uid, source } => {
                write!(f, "setresuid({uid}, {uid}, {uid}) failed: {source}")
            }
            Self::Read { call, source } => write!(f, "{call} failed: {source}"),
            Self::IdsDiffer {
                kind,
                wanted,
                real,
                effective,
                saved,
            } => write!(
                f,
                "{kind} reads back as real {real}, effective {effective}, saved {saved} instead of {wanted}"
            ),
            Self::GroupsDiffer { wanted, found } => write!(
                f,
                "the groups read back as {} instead of {}",
                list(found),
                list(wanted)
            ),
        }
    }
}

impl std::error::Error for IdentityError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::SetGroups { source, .. }
            | Self::SetGid { source, .. }
            | Self::SetUid { source, .. }
            | Self::Read { source, .. } => Some(source),
            Self::IdsDiffer { .. } | Self::GroupsDiffer { .. } => None,
        }
    }
}

/// `[1, 2]` for error messages.
fn list(ids: &[u32]) -> String {
    let ids: Vec<String> = ids.iter().map(u32::to_string).collect();
    format!("[{}]", ids.join(", "))
}

/// Becomes `identity`: groups, then gid, then uid, then verifies all of
/// them. Needs CAP_SETGID and CAP_SETUID effective.
pub fn switch_user(identity: &Identity) -> Result<(), IdentityError> {
    set_groups(&identity.groups)?;
    set_gid(identity.gid)?;
    set_uid(identity.uid)?;
    verify_uids(identity.uid)?;
    verify_gids(identity.gid)?;
    verify_groups(&identity.groups)
}

/// Replaces the supplementary groups with `groups` (what `initgroups(3)`
/// would set), dropping whatever groups the gate was started with.
fn set_groups(groups: &[u32]) -> Result<(), IdentityError> {
    let gids: Vec<Gid> = groups.iter().copied().map(Gid::from_raw).collect();
    setgroups(&gids).map_err(|source| IdentityError::SetGroups {
        groups: groups.to_vec(),
        source,
    })
}

/// Sets the real, effective and saved gid to `gid`.
fn set_gid(gid: u32) -> Result<(), IdentityError> {
    let id = Gid::from_raw(gid);
    setresgid(id, id, id).map_err(|source| IdentityError::SetGid { gid, source })
}

/// Sets the real, effective and saved uid to `uid`. Last: a non-root uid
/// can no longer change groups.
fn set_uid(uid: u32) -> Result<(), IdentityError> {
    let id = Uid::from_raw(uid);
    setresuid(id, id, id).map_err(|source| IdentityError::SetUid { uid, source })
}

/// Checks that the real, effective and saved uid are all `uid`.
fn verify_uids(uid: u32) -> Result<(), IdentityError> {
    let ids = getresuid().map_err(|source| IdentityError::Read {
        call: "getresuid",
        source,
    })?;
    same_ids(
        "uid",
        uid,
        [ids.real, ids.effective, ids.saved].map(Uid::as_raw),
    )
}

/// Checks that the real, effective and saved gid are all `gid`.
fn verify_gids(gid: u32) -> Result<(), IdentityError> {
    let ids = getresgid().map_err(|source| IdentityError::Read {
        call: "getresgid",
        source,
    })?;
    same_ids(
        "gid",
        gid,
        [ids.real, ids.effective, ids.saved].map(Gid::as_raw),
    )
}

/// Whether each of `[real, effective, saved]` is `wanted`.
fn same_ids(
    kind: &'static str,
    wanted: u32,
    [real, effective, saved]: [u32; 3],
) -> Result<(), IdentityError> {
    if [real, effective, saved].iter().all(|id| *id == wanted) {
        Ok(())
    } else {
        Err(IdentityError::IdsDiffer {
            kind,
            wanted,
            real,
            effective,
            saved,
        })
    }
}

/// Checks that the supplementary groups are exactly `groups`. Compared as
/// sorted sets: the kernel keeps the list sorted, and a duplicate in what
/// NSS returned is one group.
fn verify_groups(groups: &[u32]) -> Result<(), IdentityError> {
    let found = getgroups().map_err(|source| IdentityError::Read {
        call: "getgroups",
        source,
    })?;
    let wanted = sorted(groups.iter().copied());
    let found = sorted(found.into_iter().map(Gid::as_raw));
    if wanted == found {
        Ok(())
    } else {
        Err(IdentityError::GroupsDiffer { wanted, found })
    }
}

/// `ids` sorted, each once.
fn sorted(ids: impl Iterator<Item = u32>) -> Vec<u32> {
    let mut ids: Vec<u32> = ids.collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_id_must_be_the_wanted_one() {
        assert!(same_ids("uid", 7, [7, 7, 7]).is_ok());
        let error = same_ids("uid", 7, [7, 7, 0]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "uid reads back as real 7, effective 7, saved 0 instead of 7"
        );
    }

    #[test]
    fn groups_are_compared_as_sets() {
        assert_eq!(sorted([30, 4, 30, 1].into_iter()), vec![1, 4, 30]);
        let error = IdentityError::GroupsDiffer {
            wanted: vec![1, 4],
            found: vec![0, 1, 4],
        };
        assert_eq!(
            error.to_string(),
            "the groups read back as [0, 1, 4] instead of [1, 4]"
        );
    }
}
