//! Why a request was denied, in words fit for the client and the audit log.

use std::fmt;
use std::net::IpAddr;

use crate::audit::{escape_capped, escape_control};
use crate::request::{AccountError, TokenizeError, UnresolvedProgram};

/// How much of the command a no-match reason quotes.
pub const QUOTED_COMMAND_MAX_CHARS: usize = 200;

/// How much of a client-supplied detail a reason carries (a tool rule's
/// refusal quoting a path, a learn-mode program name). A 64 KiB path,
/// escaped and then JSON-encoded, made a record larger than the system
/// log accepts in one datagram (212,992 bytes here), so the denial went
/// unrecorded (exit 74); capped, the record stays well below that.
pub const DETAIL_MAX_CHARS: usize = 1024;

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
    /// A `command` rule runs the requested program, but a regex it needs
    /// for this command cannot be compiled. The policy's load-time check
    /// makes this unexpected; should it happen, the request stops here
    /// rather than falling through to a later rule.
    RuleUnusable {
        /// The rule.
        rule: String,
        /// Which argument, and why its pattern cannot be compiled.
        detail: String,
    },
    /// A tool rule was addressed, and its parser refused the request.
    ToolRefused {
        /// The rule.
        rule: String,
        /// The tool, e.g. `rsync`.
        tool: &'static str,
        /// Which option or path was refused, and why.
        detail: String,
    },
    /// A tool rule with `metadata = true` would run as root: the client
    /// names the paths, and a symlink it creates in a write tree makes a
    /// chmod land on any file of the host, which Landlock does not limit.
    ToolMetadataAsRoot {
        /// The rule.
        rule: String,
        /// The tool, e.g. `sftp`.
        tool: &'static str,
    },
    /// The matched rule's `user` cannot be resolved on this host.
    UnknownUser {
        /// The matched rule.
        rule: String,
        /// Why: absent, or the lookup failed.
        why: AccountError,
    },
    /// The matched rule names another `user`, but the gate is not root.
    CannotSwitchUser {
        /// The matched rule.
        rule: String,
        /// The user asked for.
        user: String,
        /// The gate's uid.
        gate_uid: u32,
    },
    /// In learn mode, no rule allows the request and its program cannot
    /// be run as sent.
    LearnProgram(UnresolvedProgram),
    /// In learn mode, the program lies outside the trees learning runs
    /// programs from, or is the dynamic loader.
    LearnProgramRefused(String),
    /// In learn mode, the profile's sandbox has `metadata = true` and the
    /// command would run as root.
    LearningMetadataAsRoot,
    /// The matched rule keeps a capability the gate does not hold.
    CannotKeepCapability {
        /// The matched rule.
        rule: String,
        /// The capability, e.g. `CAP_DAC_READ_SEARCH`.
        capability: String,
        /// The gate's uid.
        gate_uid: u32,
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

/// Writes client-supplied `text` with control characters escaped, cut
/// after [`DETAIL_MAX_CHARS`] characters and then saying how long it was.
fn write_client_text(f: &mut fmt::Formatter<'_>, text: &str) -> fmt::Result {
    let (escaped, truncated) = escape_capped(text.as_bytes(), DETAIL_MAX_CHARS);
    f.write_str(&escaped)?;
    if truncated {
        write!(f, "... ({} bytes)", text.len())?;
    }
    Ok(())
}

impl fmt::Display for DenyReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoCommand => f.write_str(
                "no command given: interactive logins are not allowed with this key",
            ),
            Self::Unparsable(error) => write!(f, "cannot parse command: {error}"),
            Self::AddressUnknown => f.write_str(
                "client address unknown (SSH_CONNECTION unset or malformed; SSH_CLIENT is read only when SSH_CONNECTION is unset) and the profile restricts `from`",
            ),
            Self::AddressNotAllowed(address) => {
                write!(f, "client address {address} is not in the profile's `from`")
            }
            Self::KeyMissing => f.write_str(
                "the profile restricts `keys` but sshgate was started without --key",
            ),
            Self::KeyNotAllowed(key) => write!(f, "key {key:?} is not in the profile's `keys`"),
            Self::NoMatchingRule { command } => write!(f, "no rule allows \"{command}\""),
            Self::RuleUnusable { rule, detail } => {
                write!(f, "rule {rule:?} cannot be checked: {detail}")
            }
            Self::ToolRefused { rule, tool, detail } => {
                write!(f, "rule {rule:?} ({tool}): ")?;
                write_client_text(f, detail)
            }
            Self::ToolMetadataAsRoot { rule, tool } => write!(
                f,
                "rule {rule:?} ({tool}) has metadata = true and would run as root: a client could change the mode of any file on the host through a symlink; set `user` to an unprivileged account"
            ),
            Self::LearnProgram(why) => write_client_text(f, &why.to_string()),
            Self::LearnProgramRefused(why) => write_client_text(f, why),
            Self::LearningMetadataAsRoot => f.write_str(
                "learn mode with metadata = true would run the client's command as root: it could change the mode of any file on the host; set `user` to an unprivileged account",
            ),
            Self::UnknownUser { rule, why } => write!(f, "rule {rule:?}: {why}"),
            Self::CannotSwitchUser {
                rule,
                user,
                gate_uid,
            } => write!(
                f,
                "rule {rule:?} runs as user {user:?}, but sshgate runs as uid {gate_uid}, not root, and cannot switch users"
            ),
            Self::CannotKeepCapability {
                rule,
                capability,
                gate_uid,
            } => write!(
                f,
                "rule {rule:?} keeps {capability}, which sshgate (uid {gate_uid}) does not hold, so the command cannot have it"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_text_in_a_reason_is_escaped_and_capped() {
        // A learn-mode refusal names the client's program as it was sent.
        let reason = DenyReason::LearnProgramRefused("learn mode runs /tmp/\u{1b}[2Jx".into());
        assert_eq!(reason.to_string(), "learn mode runs /tmp/\\x1b[2Jx");

        let long = format!("path {} is outside", "a".repeat(5000));
        let reason = DenyReason::ToolRefused {
            rule: "pull".into(),
            tool: "rsync",
            detail: long.clone(),
        };
        let text = reason.to_string();
        let cut = format!(
            "rule \"pull\" (rsync): path {}",
            "a".repeat(DETAIL_MAX_CHARS - 5)
        );
        assert_eq!(text, format!("{cut}... ({} bytes)", long.len()));
    }
}
