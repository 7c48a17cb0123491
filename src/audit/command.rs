//! The client's original command as it appears in a record: escaped and
//! capped.

use serde::Serialize;

use super::escape::escape_capped;

/// The most characters of escaped command text a record carries.
///
/// A client may send a command of any length; capping it keeps a syslog
/// datagram well below the socket's size limit and a log line readable,
/// while [`EscapedCommand::original_bytes`] still tells how much was sent.
pub const COMMAND_MAX_CHARS: usize = 8192;

/// The original command, escaped with the rules of
/// [`escape_control`](super::escape_control) and cut at
/// [`COMMAND_MAX_CHARS`].
///
/// The fields are private so that a record can only ever carry escaped text:
/// the one way in is [`EscapedCommand::new`]. It serializes as the three
/// record fields `command`, `command_truncated` and `command_bytes`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EscapedCommand {
    command: Option<String>,
    command_truncated: bool,
    command_bytes: Option<usize>,
}

impl EscapedCommand {
    /// Escapes and caps `raw`, the bytes of `SSH_ORIGINAL_COMMAND`, or
    /// records that there was none when `raw` is `None`.
    ///
    /// Takes bytes, not `&str`: the environment variable may hold invalid
    /// UTF-8, and that is exactly what the log must show.
    pub fn new(raw: Option<&[u8]>) -> EscapedCommand {
        match raw {
            None => EscapedCommand::default(),
            Some(raw) => {
                let (text, truncated) = escape_capped(raw, COMMAND_MAX_CHARS);
                EscapedCommand {
                    command: Some(text),
                    command_truncated: truncated,
                    command_bytes: truncated.then_some(raw.len()),
                }
            }
        }
    }

    /// The escaped text, or `None` when the client sent no command.
    pub fn text(&self) -> Option<&str> {
        self.command.as_deref()
    }

    /// Whether the escaped text was cut at [`COMMAND_MAX_CHARS`].
    pub fn truncated(&self) -> bool {
        self.command_truncated
    }

    /// The length in bytes of the original command, given only when it was
    /// truncated (otherwise the text itself is complete).
    pub fn original_bytes(&self) -> Option<usize> {
        self.command_bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_command() {
        let c = EscapedCommand::new(None);
        assert_eq!(c.text(), None);
        assert!(!c.truncated());
        assert_eq!(c.original_bytes(), None);
    }

    #[test]
    fn short_command_is_complete() {
        let c = EscapedCommand::new(Some(b"df -h\n"));
        assert_eq!(c.text(), Some("df -h\\n"));
        assert!(!c.truncated());
        assert_eq!(c.original_bytes(), None);
    }

    #[test]
    fn exactly_at_the_cap_is_not_truncated() {
        let raw = vec![b'a'; COMMAND_MAX_CHARS];
        let c = EscapedCommand::new(Some(&raw));
        assert_eq!(c.text().map(str::len), Some(COMMAND_MAX_CHARS));
        assert!(!c.truncated());
    }

    #[test]
    fn long_command_is_cut_at_the_cap() {
        let raw = vec![b'a'; COMMAND_MAX_CHARS + 1];
        let c = EscapedCommand::new(Some(&raw));
        assert_eq!(c.text().map(str::len), Some(COMMAND_MAX_CHARS));
        assert!(c.truncated());
        assert_eq!(c.original_bytes(), Some(COMMAND_MAX_CHARS + 1));
    }

    #[test]
    fn cap_counts_escaped_output() {
        // 3000 ESC bytes escape to 12000 characters; 2048 whole escapes fit.
        let raw = vec![0x1b; 3000];
        let c = EscapedCommand::new(Some(&raw));
        let text = c.text().unwrap_or_default();
        assert_eq!(text.len(), COMMAND_MAX_CHARS);
        assert_eq!(text, "\\x1b".repeat(2048));
        assert!(c.truncated());
        assert_eq!(c.original_bytes(), Some(3000));
    }
}
