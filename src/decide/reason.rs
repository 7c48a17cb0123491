//! Why a request was denied, in words fit for the client and the audit log.

use std::fmt;
use std::net::IpAddr;

use crate::audit::escape_control;
use crate::request::TokenizeError;

/// The reason for a denial. Its `Display` is the text after `sshgate: denied: `.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DenyReason {
    /// No `SSH_ORIGINAL_COMMAND`: an interactive login.
    NoCommand,
    /// The command line contains shell syntax or bytes we refuse.
    Unparsable(TokenizeError),
    /// The profile has `from`, but the client address is unknown.
    AddressUnknown,
    /// The client address is not in the profile's `from`.
    AddressNotAllowed(IpAddr),
    /// The profile has `keys`, but no `--key` was given.
    KeyMissing,
    /// The `--key` name is not in the profile's `keys`.
    KeyNotAllowed(String),
    /// No `[[allow]]` rule matches the command.
    NoMatchingRule {
        /// The command as the client sent it, control characters escaped.
        command: String,
    },
    /// The matched rule needs a sandbox key this build cannot enforce.
    NotYetSupported {
        /// The matched rule.
        rule: String,
        /// The keys set to something other than their default.
        keys: Vec<&'static str>,
    },
}

impl DenyReason {
    /// A no-match denial for the command `raw`.
    pub fn no_matching_rule(raw: &[u8]) -> Self {
        Self::NoMatchingRule {
            command: escape_control(raw),
        }
    }
}

impl fmt::Display for DenyReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoCommand => f.write_str(
                "no command given: interactive logins are not allowed with this key",
            ),
            Self::Unparsable(error) => write!(f, "cannot parse command: {error}"),
            Self::AddressUnknown => f.write_str(
                "client address unknown (SSH_CONNECTION and SSH_CLIENT unset or malformed) and the profile restricts `from`",
            ),
            Self::AddressNotAllowed(address) => {
                write!(f, "client address {address} is not in the profile's `from`")
            }
            Self::KeyMissing => f.write_str(
                "the profile restricts `keys` but sshgate was started without --key",
            ),
            Self::KeyNotAllowed(key) => write!(f, "key {key:?} is not in the profile's `keys`"),
            Self::NoMatchingRule { command } => write!(f, "no rule allows \"{command}\""),
            Self::NotYetSupported { rule, keys } => write!(
                f,
                "rule {rule:?} sets sandbox {} which this version of sshgate cannot enforce yet; refusing rather than ignoring",
                keys.join(", ")
            ),
        }
    }
}
