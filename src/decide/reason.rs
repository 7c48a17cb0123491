//! Why a request was denied, in words fit for the client and the audit log.

use std::fmt;
use std::net::IpAddr;

use crate::audit::escape_control;
use crate::request::TokenizeError;

/// How much of the command a no-match reason quotes.
pub const QUOTED_COMMAND_MAX_CHARS: usize = 200;

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
    /// A no-match denial for the command `raw`, quoted escaped and cut to
    /// `QUOTED_COMMAND_MAX_CHARS` characters: the reason goes to the client and into
    /// the audit record next to the (separately capped) command, and a
    /// 64 KiB command must not make the record too large to log.
    pub fn no_matching_rule(raw: &[u8]) -> Self {
        let escaped = escape_control(raw);
        let command = match escaped.char_indices().nth(QUOTED_COMMAND_MAX_CHARS) {
            None => escaped,
            Some((cut, _)) => format!("{}... ({} bytes)", &escaped[..cut], raw.len()),
        };
        Self::NoMatchingRule { command }
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
