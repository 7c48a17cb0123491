//! The accounts a policy names with `user`, and what the gate itself may
//! hand on: looked up once, before deciding, so that `decide` stays pure.

use std::collections::BTreeMap;
use std::ffi::CString;

use nix::unistd::{Gid, getgrouplist};

use super::{AccountError, User};
use crate::policy::{CapabilityName, Policy};

/// A local account a command may run as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Name, ids, home and shell.
    pub user: User,
    /// Primary group id.
    pub gid: u32,
    /// Every group of the account, as `initgroups(3)` would set them.
    pub groups: Vec<u32>,
}

/// The outcome of looking up each account a policy names: found, or why
/// not (kept for the denial of a request that needs it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Accounts(BTreeMap<String, Result<Account, AccountError>>);

impl Accounts {
    /// Looks up every `user` the profile's sandbox or its rules name.
    pub fn for_policy(policy: &Policy) -> Self {
        let names = std::iter::once(&policy.sandbox)
            .chain(
                policy
                    .allow
                    .iter()
                    .filter_map(|rule| rule.get_ref().sandbox.as_ref()),
            )
            .filter_map(|sandbox| sandbox.user.as_ref())
            .map(|user| user.get_ref().clone());
        let mut accounts = BTreeMap::new();
        for name in names {
            if let std::collections::btree_map::Entry::Vacant(slot) = accounts.entry(name) {
                let found = Account::look_up(slot.key());
                slot.insert(found);
            }
        }
        Self(accounts)
    }

    /// Accounts given directly, for tests and tools that know them.
    pub fn from_accounts(accounts: impl IntoIterator<Item = Account>) -> Self {
        Self(
            accounts
                .into_iter()
                .map(|account| (account.user.name.clone(), Ok(account)))
                .collect(),
        )
    }

    /// The account named `name`, or why there is none.
    pub fn get(&self, name: &str) -> Result<&Account, AccountError> {
        match self.0.get(name) {
            Some(Ok(account)) => Ok(account),
            Some(Err(why)) => Err(why.clone()),
            None => Err(AccountError::NotLookedUp {
                name: name.to_owned(),
            }),
        }
    }
}

impl Account {
    /// The passwd entry and group list of `name`, through NSS; the error
    /// says why there is none, for a denial or a lint message.
    pub fn look_up(name: &str) -> Result<Account, AccountError> {
        let absent = || AccountError::Absent {
            name: name.to_owned(),
        };
        let entry = nix::unistd::User::from_name(name)
            .map_err(|source| AccountError::Lookup {
                name: name.to_owned(),
                source,
            })?
            .ok_or_else(absent)?;
        // `from_name` already answers "absent" for a name with a NUL, which
        // no passwd entry can have; this only keeps that answer.
        let c_name = CString::new(name).map_err(|_| absent())?;
        let groups = getgrouplist(&c_name, entry.gid).map_err(|source| AccountError::Groups {
            name: name.to_owned(),
            source,
        })?;
        Ok(Account {
            user: User {
                name: entry.name,
                uid: entry.uid.as_raw(),
                home: entry.dir,
                shell: entry.shell,
            },
            gid: entry.gid.as_raw(),
            groups: groups.into_iter().map(Gid::as_raw).collect(),
        })
    }
}

/// The capabilities in the gate's own permitted set: the only ones it can
/// let a command keep. Empty if they cannot be read, which makes every
/// request that keeps capabilities a denial.
pub fn permitted_capabilities() -> Vec<CapabilityName> {
    caps::read(None, caps::CapSet::Permitted)
        .map(|set| {
            let mut names: Vec<CapabilityName> =
                set.into_iter().map(CapabilityName::from).collect();
            names.sort_by_key(|name| name.index());
            names
        })
        .unwrap_or_default()
}
