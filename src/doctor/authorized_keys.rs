//! authorized_keys lines and their options, read the way sshd reads them
//! (`sshd(8)`, AUTHORIZED_KEYS FILE FORMAT; OpenSSH's `auth-options.c`).
//!
//! A line is `[options] keytype base64 [comment]`. sshd first tries to read
//! a key at the start of the line; only if that fails are the leading
//! characters options, which end at the first space or tab outside double
//! quotes. Options are separated by commas, names are case-insensitive, and
//! values are double-quoted, with `\"` for a quote inside (so a value may
//! hold commas and spaces). Flags apply in order: `restrict` turns off port,
//! agent and X11 forwarding, ptys and `~/.ssh/rc`, and a later `pty` (for
//! example) turns the pty back on. An option sshd does not know makes it
//! ignore the whole line.

use std::fmt::{self, Display, Formatter};

/// Key types sshd reads (`ssh -Q key`, certificates included).
pub const KEY_TYPES: &[&str] = &[
    "ssh-ed25519",
    "ssh-ed25519-cert-v01@openssh.com",
    "sk-ssh-ed25519@openssh.com",
    "sk-ssh-ed25519-cert-v01@openssh.com",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp256-cert-v01@openssh.com",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp384-cert-v01@openssh.com",
    "ecdsa-sha2-nistp521",
    "ecdsa-sha2-nistp521-cert-v01@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
    "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
    "ssh-rsa",
    "ssh-rsa-cert-v01@openssh.com",
    "ssh-dss",
    "ssh-dss-cert-v01@openssh.com",
    "ssh-xmss@openssh.com",
    "ssh-xmss-cert-v01@openssh.com",
];

/// Flag options that `no-` turns off and the bare name turns on.
const NEGATABLE_FLAGS: &[&str] = &[
    "port-forwarding",
    "agent-forwarding",
    "x11-forwarding",
    "pty",
    "user-rc",
    "touch-required",
    "verify-required",
];

/// Options that take a quoted value.
const VALUE_OPTIONS: &[&str] = &[
    "command",
    "environment",
    "expiry-time",
    "from",
    "permitlisten",
    "permitopen",
    "principals",
    "tunnel",
];

/// Options that may appear at most once per key.
const SINGLE_OPTIONS: &[&str] = &["command", "from", "principals"];

/// What sshd allows a session of a key unless the key's options turn it
/// off, in the order they are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Permit {
    /// `port-forwarding`: TCP and unix socket forwarding.
    PortForwarding,
    /// `agent-forwarding`.
    AgentForwarding,
    /// `x11-forwarding`.
    X11Forwarding,
    /// `pty`: a terminal.
    Pty,
    /// `user-rc`: sshd runs `~/.ssh/rc` before the command.
    UserRc,
}

impl Permit {
    /// Every permit, in report order.
    pub const ALL: [Self; 5] = [
        Self::PortForwarding,
        Self::AgentForwarding,
        Self::X11Forwarding,
        Self::Pty,
        Self::UserRc,
    ];

    /// The option that turns it off.
    pub fn negation(self) -> &'static str {
        match self {
            Self::PortForwarding => "no-port-forwarding",
            Self::AgentForwarding => "no-agent-forwarding",
            Self::X11Forwarding => "no-X11-forwarding",
            Self::Pty => "no-pty",
            Self::UserRc => "no-user-rc",
        }
    }

    /// The flag that turns it back on after `restrict`, e.g. `pty`.
    pub fn flag_name(self) -> &'static str {
        match self {
            Self::PortForwarding => "port-forwarding",
            Self::AgentForwarding => "agent-forwarding",
            Self::X11Forwarding => "x11-forwarding",
            Self::Pty => "pty",
            Self::UserRc => "user-rc",
        }
    }
}

impl Display for Permit {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::PortForwarding => "port forwarding",
            Self::AgentForwarding => "agent forwarding",
            Self::X11Forwarding => "X11 forwarding",
            Self::Pty => "a pty",
            Self::UserRc => "~/.ssh/rc",
        })
    }
}

/// One option of a key, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyOption {
    /// `restrict`.
    Restrict,
    /// A flag: `name` (lower case, without `no-`) and whether it is on.
    Flag {
        /// The flag, e.g. `"pty"` or `"cert-authority"`.
        name: String,
        /// `false` for the `no-` form.
        on: bool,
    },
    /// `name="value"`, with the value unquoted.
    Value {
        /// The option, lower case, e.g. `"command"`.
        name: String,
        /// The value, quotes removed and `\"` turned into `"`.
        value: String,
    },
}

/// One key line that sshd accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyLine {
    /// The line number, from 1.
    pub line: usize,
    /// The options, in order.
    pub options: Vec<KeyOption>,
    /// The key type, e.g. `ssh-ed25519`.
    pub key_type: String,
    /// The key itself, the base64 word after the type (not decoded here),
    /// which with the type tells two keys apart.
    pub key_data: String,
    /// The rest of the line after the key, if any, e.g. `backup01@host`.
    pub comment: String,
}

impl KeyLine {
    /// The `command="..."` value, if any.
    pub fn command(&self) -> Option<&str> {
        self.value("command")
    }

    /// The first value of option `name` (lower case).
    pub fn value(&self, name: &str) -> Option<&str> {
        self.options.iter().find_map(|option| match option {
            KeyOption::Value { name: n, value } if n == name => Some(value.as_str()),
            _ => None,
        })
    }

    /// Whether `restrict` is among the options.
    pub fn has_restrict(&self) -> bool {
        self.options.contains(&KeyOption::Restrict)
    }

    /// What sshd still allows this key after applying its flags in order.
    pub fn still_allowed(&self) -> Vec<Permit> {
        Permit::ALL
            .into_iter()
            .filter(|permit| {
                let mut allowed = true;
                for option in &self.options {
                    match option {
                        KeyOption::Restrict => allowed = false,
                        KeyOption::Flag { name, on } if name == permit.flag_name() => allowed = *on,
                        _ => {}
                    }
                }
                allowed
            })
            .collect()
    }
}

/// One line of an authorized_keys file that is neither blank nor a comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A key sshd accepts.
    Key(KeyLine),
    /// A line sshd ignores, and why.
    Invalid {
        /// The line number, from 1.
        line: usize,
        /// Why sshd cannot use it.
        reason: String,
    },
}

/// Parses an authorized_keys file, skipping blank lines and comments.
pub fn parse(text: &str) -> Vec<Entry> {
    text.lines()
        .enumerate()
        .filter_map(|(index, raw)| {
            let line = index + 1;
            let content = raw.trim_start_matches([' ', '\t']);
            if content.is_empty() || content.starts_with('#') {
                return None;
            }
            Some(match parse_line(content) {
                Ok((options, key)) => Entry::Key(KeyLine {
                    line,
                    options,
                    key_type: key.key_type,
                    key_data: key.key_data,
                    comment: key.comment,
                }),
                Err(reason) => Entry::Invalid { line, reason },
            })
        })
        .collect()
}

/// The words of a line from its key type on.
struct KeyWords {
    key_type: String,
    key_data: String,
    comment: String,
}

/// Splits `text`, which starts with a known key type, into the type, the
/// key and the comment.
fn key_words(text: &str) -> KeyWords {
    let (key_type, rest) = split_word(text);
    let (key_data, comment) = split_word(rest);
    KeyWords {
        key_type: key_type.to_owned(),
        key_data: key_data.to_owned(),
        comment: comment.to_owned(),
    }
}

/// The options and key words of one non-blank, non-comment line.
fn parse_line(content: &str) -> Result<(Vec<KeyOption>, KeyWords), String> {
    let first = first_word(content);
    if KEY_TYPES.contains(&first) {
        return Ok((Vec::new(), key_words(content)));
    }
    let options_end = end_of_options(content)?;
    let (options, rest) = content.split_at(options_end);
    let rest = rest.trim_start_matches([' ', '\t']);
    let key_type = first_word(rest);
    if !KEY_TYPES.contains(&key_type) {
        return Err(if key_type.is_empty() {
            "no key after the options".to_owned()
        } else {
            format!("unknown key type {key_type:?}")
        });
    }
    Ok((parse_options(options)?, key_words(rest)))
}

fn first_word(text: &str) -> &str {
    split_word(text).0
}

/// The first word of `text` and what follows it, without the spaces and
/// tabs between them.
fn split_word(text: &str) -> (&str, &str) {
    match text.split_once([' ', '\t']) {
        Some((word, rest)) => (word, rest.trim_start_matches([' ', '\t'])),
        None => (text, ""),
    }
}

/// Where the options end: the first space or tab outside double quotes
/// (`sshkey_advance_past_options`).
fn end_of_options(content: &str) -> Result<usize, String> {
    let bytes = content.as_bytes();
    let mut quoted = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if bytes.get(i + 1) == Some(&b'"') => i += 1,
            b'"' => quoted = !quoted,
            b' ' | b'\t' if !quoted => return Ok(i),
            _ => {}
        }
        i += 1;
    }
    if quoted {
        Err("a quoted option value is not closed".to_owned())
    } else {
        Ok(bytes.len())
    }
}

/// Splits the options at commas outside quotes and reads each.
fn parse_options(text: &str) -> Result<Vec<KeyOption>, String> {
    let mut options: Vec<KeyOption> = Vec::new();
    for raw in split_options(text) {
        let option = parse_option(raw)?;
        if let KeyOption::Value { name, .. } = &option {
            let repeated = options
                .iter()
                .any(|seen| matches!(seen, KeyOption::Value { name: n, .. } if n == name));
            if repeated && SINGLE_OPTIONS.contains(&name.as_str()) {
                return Err(format!("more than one {name}= option"));
            }
        }
        options.push(option);
    }
    Ok(options)
}

fn split_options(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let mut parts = Vec::new();
    let mut quoted = false;
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quoted && bytes.get(i + 1) == Some(&b'"') => i += 1,
            b'"' => quoted = !quoted,
            b',' if !quoted => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    parts.push(&text[start..]);
    parts
}

fn parse_option(raw: &str) -> Result<KeyOption, String> {
    if raw.is_empty() {
        return Err("an empty option (two commas, or a comma at the end)".to_owned());
    }
    if let Some((written, value)) = raw.split_once('=') {
        let name = written.to_ascii_lowercase();
        if !VALUE_OPTIONS.contains(&name.as_str()) {
            return Err(format!("unknown option {written:?}"));
        }
        let value =
            dequote(value).ok_or_else(|| format!("{name}= needs a value in double quotes"))?;
        return Ok(KeyOption::Value { name, value });
    }
    let name = raw.to_ascii_lowercase();
    if name == "restrict" {
        return Ok(KeyOption::Restrict);
    }
    if name == "cert-authority" {
        return Ok(KeyOption::Flag { name, on: true });
    }
    let (flag, on) = name
        .strip_prefix("no-")
        .map_or((name.as_str(), true), |flag| (flag, false));
    if NEGATABLE_FLAGS.contains(&flag) {
        return Ok(KeyOption::Flag {
            name: flag.to_owned(),
            on,
        });
    }
    if VALUE_OPTIONS.contains(&name.as_str()) {
        return Err(format!("{name}= needs a value in double quotes"));
    }
    Err(format!("unknown option {raw:?}"))
}

/// `"value"` to `value`, with `\"` turned into `"` (`opt_dequote`); `None`
/// unless the whole text is one quoted string.
fn dequote(text: &str) -> Option<String> {
    let inner = text.strip_prefix('"')?;
    let mut value = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return chars.as_str().is_empty().then_some(value),
            '\\' if chars.as_str().starts_with('"') => {
                value.push('"');
                chars.next();
            }
            c => value.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKey comment here";

    fn key(text: &str) -> KeyLine {
        match parse(text).pop() {
            Some(Entry::Key(key)) => key,
            other => panic!("not a key: {other:?}"),
        }
    }

    fn invalid(text: &str) -> String {
        match parse(text).pop() {
            Some(Entry::Invalid { reason, .. }) => reason,
            other => panic!("not invalid: {other:?}"),
        }
    }

    #[test]
    fn a_bare_key_has_every_permit() {
        let key = key(KEY);
        assert_eq!(key.key_type, "ssh-ed25519");
        assert_eq!(key.key_data, "AAAAC3NzaC1lZDI1NTE5AAAAIKey");
        assert_eq!(key.comment, "comment here");
        assert!(key.options.is_empty());
        assert_eq!(key.still_allowed(), Permit::ALL);
        assert_eq!(key.command(), None);
    }

    #[test]
    fn restrict_and_its_equivalent() {
        let restricted = key(&format!(
            "restrict,command=\"/usr/local/bin/sshgate\" {KEY}"
        ));
        assert!(restricted.has_restrict());
        assert!(restricted.still_allowed().is_empty());
        assert_eq!(restricted.command(), Some("/usr/local/bin/sshgate"));

        let spelled = key(&format!(
            "no-port-forwarding,no-agent-forwarding,No-X11-Forwarding,no-pty,no-user-rc,\
             command=\"sshgate\" {KEY}"
        ));
        assert!(!spelled.has_restrict());
        assert!(spelled.still_allowed().is_empty());
    }

    #[test]
    fn flags_apply_in_order() {
        assert_eq!(
            key(&format!("restrict,pty {KEY}")).still_allowed(),
            [Permit::Pty]
        );
        assert!(
            key(&format!("pty,restrict {KEY}"))
                .still_allowed()
                .is_empty()
        );
        assert_eq!(
            key(&format!("no-pty,port-forwarding,no-user-rc {KEY}")).still_allowed(),
            [
                Permit::PortForwarding,
                Permit::AgentForwarding,
                Permit::X11Forwarding
            ]
        );
    }

    #[test]
    fn quoted_values_keep_commas_spaces_and_escaped_quotes() {
        let key = key(&format!(
            "from=\"192.0.2.10,198.51.100.0/24\",command=\"/usr/local/bin/sshgate --profile pg \
             --key \\\"a,b\\\"\",no-pty\t{KEY}"
        ));
        assert_eq!(key.value("from"), Some("192.0.2.10,198.51.100.0/24"));
        assert_eq!(key.key_data, "AAAAC3NzaC1lZDI1NTE5AAAAIKey");
        assert_eq!(key.comment, "comment here");
        assert_eq!(
            key.command(),
            Some("/usr/local/bin/sshgate --profile pg --key \"a,b\"")
        );
        assert_eq!(key.options.len(), 3);
        assert_eq!(
            key.options[2],
            KeyOption::Flag {
                name: "pty".to_owned(),
                on: false
            }
        );
    }

    #[test]
    fn comments_blank_lines_and_line_numbers() {
        let entries = parse(&format!(
            "# a comment\n\n   \n  {KEY}\n#{KEY}\nrestrict {KEY}\n"
        ));
        let lines: Vec<usize> = entries
            .iter()
            .map(|entry| match entry {
                Entry::Key(key) => key.line,
                Entry::Invalid { line, .. } => *line,
            })
            .collect();
        assert_eq!(lines, [4, 6]);
    }

    #[test]
    fn lines_sshd_ignores() {
        assert_eq!(
            invalid(&format!("restirct,command=\"x\" {KEY}")),
            "unknown option \"restirct\""
        );
        assert_eq!(
            invalid(&format!("command=/usr/bin/sshgate {KEY}")),
            "command= needs a value in double quotes"
        );
        assert_eq!(
            invalid(&format!("command {KEY}")),
            "command= needs a value in double quotes"
        );
        assert_eq!(
            invalid(&format!("command=\"a\"b {KEY}")),
            "command= needs a value in double quotes"
        );
        assert_eq!(
            invalid(&format!("command=\"sshgate {KEY}")),
            "a quoted option value is not closed"
        );
        assert_eq!(
            invalid(&format!("restrict,,pty {KEY}")),
            "an empty option (two commas, or a comma at the end)"
        );
        assert_eq!(
            invalid(&format!("command=\"a\",command=\"b\" {KEY}")),
            "more than one command= option"
        );
        assert_eq!(
            invalid("restrict ssh-ed448 AAAA"),
            "unknown key type \"ssh-ed448\""
        );
        assert_eq!(invalid("restrict"), "no key after the options");
        assert_eq!(
            invalid("no-restrict ssh-rsa AAAA"),
            "unknown option \"no-restrict\""
        );
    }

    #[test]
    fn environment_values_may_repeat() {
        let key = key(&format!("environment=\"A=1\",environment=\"B=2\" {KEY}"));
        assert_eq!(key.options.len(), 2);
    }
}
