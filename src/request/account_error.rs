//! Why a policy's `user` has no account to run as: a denial reason, and a
//! lint message, in words that name the account.

use std::fmt;

use nix::errno::Errno;

/// Why the account a policy names could not be found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountError {
    /// NSS has no passwd entry of that name (a name containing NUL is
    /// reported so too: no entry can have it).
    Absent {
        /// The name the policy gives.
        name: String,
    },
    /// The passwd lookup itself failed, so whether the account exists is
    /// unknown.
    Lookup {
        /// The name the policy gives.
        name: String,
        /// What NSS reported.
        source: Errno,
    },
    /// The account exists, but its group list could not be read, so its
    /// groups could not be set.
    Groups {
        /// The name the policy gives.
        name: String,
        /// What `getgrouplist(3)` reported.
        source: Errno,
    },
    /// The name was never looked up: the request was not completed for the
    /// policy that names it (see [`super::Request::with_accounts_for`]).
    NotLookedUp {
        /// The name the policy gives.
        name: String,
    },
}

impl fmt::Display for AccountError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Absent { name } => write!(f, "user {name:?} does not exist on this host"),
            Self::Lookup { name, source } => write!(f, "cannot look up user {name:?}: {source}"),
            Self::Groups { name, source } => {
                write!(f, "cannot list the groups of user {name:?}: {source}")
            }
            Self::NotLookedUp { name } => write!(f, "user {name:?} was not looked up"),
        }
    }
}

impl std::error::Error for AccountError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Lookup { source, .. } | Self::Groups { source, .. } => Some(source),
            Self::Absent { .. } | Self::NotLookedUp { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_names_the_account() {
        let name = "backup".to_owned();
        let cases = [
            (
                AccountError::Absent { name: name.clone() },
                "user \"backup\" does not exist on this host",
            ),
            (
                AccountError::Lookup {
                    name: name.clone(),
                    source: Errno::EIO,
                },
                "cannot look up user \"backup\": EIO: I/O error",
            ),
            (
                AccountError::Groups {
                    name: name.clone(),
                    source: Errno::ENOMEM,
                },
                "cannot list the groups of user \"backup\": ENOMEM: Out of memory",
            ),
            (
                AccountError::NotLookedUp { name },
                "user \"backup\" was not looked up",
            ),
        ];
        for (error, text) in cases {
            assert_eq!(error.to_string(), text);
        }
    }
}
