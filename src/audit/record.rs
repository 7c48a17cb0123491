//! The audit record: one per request, whatever the outcome.
//!
//! The JSON shape is a contract with whoever reads the log, so every field is
//! always present (`null` when unknown) and named in snake_case.

use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::time::SystemTime;

use serde::{Serialize, Serializer};

use super::command::EscapedCommand;
use super::escape::escape_control;
use super::session::SessionRecord;
use super::time::rfc3339_utc;
use super::tool::ToolRecord;
use crate::sandbox::{self, Enforcement};

/// What the gate decided for the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The command was allowed and is about to be executed.
    Allow,
    /// The command was refused (by the policy, or because something the
    /// gate needs failed).
    Deny,
}

/// What confinement was actually applied before the record was written.
///
/// The default is "nothing applied", which is right for every denial.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Applied {
    /// The Landlock ABI version of the running kernel, when it was probed.
    pub landlock_abi: Option<u32>,
    /// How far Landlock was enforced: `"fully-enforced"`,
    /// `"partially-enforced"`, `"not-enforced"`, or `"not-applied"` when the
    /// gate did not get as far as Landlock (every denial).
    #[serde(serialize_with = "serialize_enforcement")]
    pub landlock: Option<Enforcement>,
    /// The Landlock network rights handled with no port granted, e.g.
    /// `["bind-tcp", "connect-tcp"]`; empty before Landlock ABI 4.
    pub landlock_network: Vec<String>,
    /// The Landlock scopes in force, e.g. `["abstract-unix-socket",
    /// "signal"]`; empty before Landlock ABI 6.
    pub landlock_scopes: Vec<String>,
    /// Whether `PR_SET_NO_NEW_PRIVS` was set.
    pub no_new_privs: bool,
    /// The seccomp filter: `"installed"`, or `"skipped: ..."` with the
    /// kernel's refusal under `compat = "best-effort"`; `None` when the gate
    /// did not get that far (every denial before the exec).
    pub seccomp: Option<String>,
    /// The capabilities kept, e.g. `"CAP_DAC_READ_SEARCH"`; empty when all
    /// were dropped.
    pub capabilities: Vec<String>,
    /// Whether the bounding set was emptied (a gate without CAP_SETPCAP
    /// cannot, and needs not under no_new_privs).
    pub bounding_set_cleared: bool,
    /// The user switched to, when the policy sets `user`.
    pub user: Option<String>,
    /// System-base paths missing on this host, and layers skipped under
    /// `compat = "best-effort"`, so that a weaker sandbox is never silent.
    pub skipped: Vec<String>,
}

impl From<sandbox::Applied> for Applied {
    fn from(applied: sandbox::Applied) -> Self {
        Applied {
            landlock_abi: applied.landlock_abi,
            landlock: Some(applied.landlock),
            landlock_network: applied.landlock_network,
            landlock_scopes: applied.landlock_scopes,
            no_new_privs: applied.no_new_privs,
            seccomp: Some(applied.seccomp.to_string()),
            capabilities: applied.capabilities,
            bounding_set_cleared: applied.bounding_set_cleared,
            user: applied.user,
            skipped: applied.skipped,
        }
    }
}

fn serialize_enforcement<S: Serializer>(
    enforcement: &Option<Enforcement>,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.serialize_str(enforcement.map_or("not-applied", Enforcement::as_str))
}

/// One audit record. Fill it with [`Record::deny`] or [`Record::allow`] and
/// struct update syntax, for example:
///
/// ```
/// use sshgate::audit::{EscapedCommand, Record};
///
/// let record = Record {
///     profile: Some("backup".into()),
///     command: EscapedCommand::new(Some(b"rm -rf /")),
///     ..Record::deny("no rule matches")
/// };
/// assert!(record.to_json_line().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Record {
    /// When the record was made; serialized as RFC 3339 UTC with
    /// milliseconds.
    #[serde(serialize_with = "serialize_time")]
    pub time: SystemTime,
    /// The profile name, or the policy file path with `--policy`.
    pub profile: Option<String>,
    /// The key name from `--key`.
    pub key: Option<String>,
    /// The client address from `SSH_CONNECTION` (or `SSH_CLIENT`).
    pub client_address: Option<String>,
    /// The client port from `SSH_CONNECTION` (or `SSH_CLIENT`).
    pub client_port: Option<u16>,
    /// The local user sshd ran the gate as.
    pub user: Option<String>,
    /// The real uid of the gate.
    pub uid: Option<u32>,
    /// The original command; serialized as `command`, `command_truncated`
    /// and `command_bytes`.
    #[serde(flatten)]
    pub command: EscapedCommand,
    /// The decision.
    pub decision: Outcome,
    /// The name of the matched `[[allow]]` rule.
    pub rule: Option<String>,
    /// Why the request was denied.
    pub reason: Option<String>,
    /// What confinement was applied.
    pub applied: Applied,
    /// For a tool rule, the request as its parser understood it.
    pub tool: Option<ToolRecord>,
    /// Whether the profile is in learn mode (`mode = "learn"`): then an
    /// allowed request with `"rule": null` matched no rule and ran under
    /// the profile's sandbox; `sshgate suggest` reads these records.
    pub learning: bool,
    /// For a profile with `max_concurrent`, the slot the session held
    /// when it was allowed; `null` otherwise.
    pub session: Option<SessionRecord>,
    /// The absolute path of the program executed. Serialized escaped like
    /// the command, because a path need not be UTF-8.
    #[serde(serialize_with = "serialize_path")]
    pub exec: Option<PathBuf>,
}

impl Record {
    /// A denial stamped now, with every other field unknown or empty.
    pub fn deny(reason: impl Into<String>) -> Record {
        Record {
            reason: Some(reason.into()),
            ..Record::new(Outcome::Deny)
        }
    }

    /// An allowed request stamped now: the matched rule, the program about
    /// to be executed and what was applied. Request fields start unknown.
    pub fn allow(rule: impl Into<String>, exec: impl Into<PathBuf>, applied: Applied) -> Record {
        Record {
            rule: Some(rule.into()),
            exec: Some(exec.into()),
            applied,
            ..Record::new(Outcome::Allow)
        }
    }

    /// A record stamped now with only the decision filled in; the caller
    /// adds what it knows with struct update syntax.
    pub fn new(decision: Outcome) -> Record {
        Record {
            time: SystemTime::now(),
            profile: None,
            key: None,
            client_address: None,
            client_port: None,
            user: None,
            uid: None,
            command: EscapedCommand::default(),
            decision,
            rule: None,
            reason: None,
            applied: Applied::default(),
            tool: None,
            learning: false,
            session: None,
            exec: None,
        }
    }

    /// The record as one line of JSON, without the trailing newline.
    ///
    /// Every string in a record is valid UTF-8 and every map key is a field
    /// name, so serde_json has no reason to fail; the `Result` is kept so
    /// that an unexpected failure denies the request instead of panicking.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self)
    }

    /// The record as one line of JSON ending in `\n`, ready to be appended
    /// to a log file in a single `write(2)`.
    pub fn to_json_line(&self) -> Result<String, serde_json::Error> {
        let mut line = self.to_json()?;
        line.push('\n');
        Ok(line)
    }
}

fn serialize_time<S: Serializer>(t: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&rfc3339_utc(*t))
}

fn serialize_path<S: Serializer>(p: &Option<PathBuf>, s: S) -> Result<S::Ok, S::Error> {
    match p {
        Some(p) => s.serialize_str(&escape_control(p.as_os_str().as_bytes())),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::command::COMMAND_MAX_CHARS;
    use serde_json::{Value, json};
    use std::ffi::OsStr;
    use std::time::{Duration, UNIX_EPOCH};

    fn parse(record: &Record) -> Value {
        let line = record.to_json_line().expect("serialize");
        assert!(line.ends_with('\n'));
        assert_eq!(line.matches('\n').count(), 1, "one line: {line:?}");
        serde_json::from_str(&line).expect("parse back")
    }

    #[test]
    fn deny_record_has_the_full_stable_shape() {
        let record = Record {
            time: UNIX_EPOCH + Duration::from_millis(1_795_698_245_123),
            ..Record::deny("no rule matches")
        };
        assert_eq!(
            parse(&record),
            json!({
                "time": "2026-11-26T13:04:05.123Z",
                "profile": null,
                "key": null,
                "client_address": null,
                "client_port": null,
                "user": null,
                "uid": null,
                "command": null,
                "command_truncated": false,
                "command_bytes": null,
                "decision": "deny",
                "rule": null,
                "reason": "no rule matches",
                "applied": {
                    "landlock_abi": null,
                    "landlock": "not-applied",
                    "landlock_network": [],
                    "landlock_scopes": [],
                    "no_new_privs": false,
                    "seccomp": null,
                    "capabilities": [],
                    "bounding_set_cleared": false,
                    "user": null,
                    "skipped": [],
                },
                "tool": null,
                "learning": false,
                "session": null,
                "exec": null,
            })
        );
    }

    #[test]
    fn allow_record_fields() {
        let applied = Applied {
            landlock_abi: Some(7),
            landlock: Some(Enforcement::FullyEnforced),
            landlock_network: vec!["bind-tcp".into(), "connect-tcp".into()],
            landlock_scopes: vec!["signal".into()],
            no_new_privs: true,
            seccomp: None,
            capabilities: vec!["CAP_DAC_READ_SEARCH".into()],
            bounding_set_cleared: true,
            user: Some("backup".into()),
            skipped: vec![],
        };
        let record = Record {
            profile: Some("backup".into()),
            key: Some("backup01".into()),
            client_address: Some("2001:db8::10".into()),
            client_port: Some(52144),
            user: Some("backup".into()),
            uid: Some(1001),
            command: EscapedCommand::new(Some(b"df -h")),
            ..Record::allow("disk-free", "/usr/bin/df", applied)
        };
        let v = parse(&record);
        assert_eq!(v["decision"], "allow");
        assert_eq!(v["rule"], "disk-free");
        assert_eq!(v["reason"], Value::Null);
        assert_eq!(v["exec"], "/usr/bin/df");
        assert_eq!(v["command"], "df -h");
        assert_eq!(v["client_port"], 52144);
        assert_eq!(v["uid"], 1001);
        assert_eq!(v["applied"]["landlock_abi"], 7);
        assert_eq!(v["applied"]["landlock"], "fully-enforced");
        assert_eq!(v["applied"]["no_new_privs"], true);
        assert_eq!(v["applied"]["capabilities"], json!(["CAP_DAC_READ_SEARCH"]));
        assert_eq!(v["applied"]["user"], "backup");
    }

    #[test]
    fn hostile_command_is_escaped_in_json() {
        let record = Record {
            command: EscapedCommand::new(Some(b"ls\n\x1b[2J\xff\\")),
            ..Record::deny("shell syntax")
        };
        let line = record.to_json_line().expect("serialize");
        // No raw control byte survives into the line (except its end).
        assert!(!line.trim_end_matches('\n').bytes().any(|b| b < 0x20));
        let v: Value = serde_json::from_str(&line).expect("parse back");
        assert_eq!(v["command"], "ls\\n\\x1b[2J\\xff\\\\");
        assert_eq!(v["command_truncated"], false);
    }

    #[test]
    fn long_command_is_truncated_in_json() {
        let raw = vec![b'x'; 100_000];
        let record = Record {
            command: EscapedCommand::new(Some(&raw)),
            ..Record::deny("too long")
        };
        let v = parse(&record);
        assert_eq!(v["command"].as_str().map(str::len), Some(COMMAND_MAX_CHARS));
        assert_eq!(v["command_truncated"], true);
        assert_eq!(v["command_bytes"], 100_000);
    }

    #[test]
    fn non_utf8_exec_path_is_escaped() {
        let record = Record::allow(
            "odd",
            PathBuf::from(OsStr::from_bytes(b"/opt/\xffbin")),
            Applied::default(),
        );
        assert_eq!(parse(&record)["exec"], "/opt/\\xffbin");
    }

    #[test]
    fn landlock_status_strings() {
        let status = |landlock| {
            let applied = Applied {
                landlock,
                ..Applied::default()
            };
            serde_json::to_value(applied).expect("serialize")["landlock"].clone()
        };
        assert_eq!(status(None), "not-applied");
        assert_eq!(status(Some(Enforcement::FullyEnforced)), "fully-enforced");
        assert_eq!(
            status(Some(Enforcement::PartiallyEnforced)),
            "partially-enforced"
        );
        assert_eq!(status(Some(Enforcement::NotEnforced)), "not-enforced");
    }
}
