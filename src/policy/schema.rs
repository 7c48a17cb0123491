//! The policy file format: one TOML file per profile.
//!
//! Every table refuses unknown keys, so a typo can never widen access.
//! `toml::Spanned` keeps the location of values that lint and run-time
//! checks report on.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Deserializer, Serialize};
use toml::Spanned;

use super::capability::CapabilityName;
use super::cidr::Cidr;
use super::command::CommandPattern;
use super::limits::{Bytes, Count};
use super::network::Network;
use super::path::AbsolutePath;
use super::sessions::{MaxConcurrent, WaitTime};
use super::syscall::SyscallName;
use super::tool::{BorgRule, GitRule, RsyncRule, ScpRule, SftpRule, Tool};
use super::umask::Umask;
use crate::decide::plan::{Compat, LimitKind, ResourceLimit};

/// A whole profile.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Free text for humans; shown by `explain`.
    pub description: Option<String>,
    /// Client addresses allowed to use the profile; absent means any.
    pub from: Option<Vec<Cidr>>,
    /// Key names (`--key`) allowed to use the profile; absent means any.
    pub keys: Option<Vec<KeyName>>,
    /// Append-only JSON-lines audit log; absent means the system log.
    pub log: Option<Spanned<AbsolutePath>>,
    /// Suppress the denial line on stderr.
    #[serde(default)]
    pub silent: bool,
    /// `"enforce"` (default): only the rules allow; `"learn"`: every
    /// request that passes `from` and `keys` runs, under the sandbox.
    #[serde(default)]
    pub mode: Mode,
    /// At most this many sessions of the profile at once, counted per
    /// invoking account with a lock under `/run/sshgate`; absent means no
    /// limit.
    pub max_concurrent: Option<Spanned<MaxConcurrent>>,
    /// How long a session over `max_concurrent` queues before it is
    /// denied; absent means it is denied at once.
    pub wait: Option<Spanned<WaitTime>>,
    /// Sandbox defaults for every rule.
    #[serde(default)]
    pub sandbox: Sandbox,
    /// The rules, tried in order; the first match wins.
    #[serde(default)]
    pub allow: Vec<Spanned<Rule>>,
}

/// The writer [`Policy::writable_paths`] names for the profile's own
/// `write` paths in learn mode: no rule name can look like it.
pub const LEARNING_WRITER: &str = "(learn mode)";

/// How the profile treats a request no rule allows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Deny it.
    #[default]
    Enforce,
    /// Run it anyway under the profile's `[sandbox]`, and record it with
    /// `"learning": true` so that `sshgate suggest` can propose rules.
    Learn,
}

/// One `[[allow]]` rule: exactly one of `command` or a tool table
/// (checked when the policy is loaded; see [`Rule::action`]).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Unique name, recorded in the audit log.
    pub name: RuleName,
    /// The program and its argument patterns.
    pub command: Option<Spanned<CommandPattern>>,
    /// Accept any arguments after those `command` lists.
    #[serde(default)]
    pub trailing_args: bool,
    /// An rsync tool rule.
    pub rsync: Option<Spanned<RsyncRule>>,
    /// An scp (legacy protocol) tool rule.
    pub scp: Option<Spanned<ScpRule>>,
    /// An sftp tool rule.
    pub sftp: Option<Spanned<SftpRule>>,
    /// A git tool rule.
    pub git: Option<Spanned<GitRule>>,
    /// A borg tool rule.
    pub borg: Option<Spanned<BorgRule>>,
    /// Overrides of the profile's sandbox, key by key.
    pub sandbox: Option<Sandbox>,
}

/// What a rule runs: an argv pattern or a tool table.
#[derive(Debug, Clone)]
pub enum Action<'a> {
    /// `command = [...]`.
    Command(&'a Spanned<CommandPattern>),
    /// A tool table, and where it is written.
    Tool(Tool<'a>, std::ops::Range<usize>),
}

/// The keys of a rule that say what it runs, for error messages.
pub const ACTION_KEYS: &str = "`command`, `rsync`, `scp`, `sftp`, `git` or `borg`";

impl Rule {
    /// What the rule runs, or why it is malformed: none or several of
    /// [`ACTION_KEYS`]. A loaded policy has only well-formed rules.
    pub fn action(&self) -> Result<Action<'_>, String> {
        let command = self.command.as_ref().map(Action::Command);
        let tools = [
            self.rsync
                .as_ref()
                .map(|t| Action::Tool(Tool::Rsync(t.get_ref()), t.span())),
            self.scp
                .as_ref()
                .map(|t| Action::Tool(Tool::Scp(t.get_ref()), t.span())),
            self.sftp
                .as_ref()
                .map(|t| Action::Tool(Tool::Sftp(t.get_ref()), t.span())),
            self.git
                .as_ref()
                .map(|t| Action::Tool(Tool::Git(t.get_ref()), t.span())),
            self.borg
                .as_ref()
                .map(|t| Action::Tool(Tool::Borg(t.get_ref()), t.span())),
        ];
        let mut actions = std::iter::once(command).chain(tools).flatten();
        match (actions.next(), actions.next()) {
            (Some(action), None) => Ok(action),
            (None, _) => Err(format!("rule needs one of {ACTION_KEYS}")),
            (Some(_), Some(_)) => Err(format!(
                "rule has more than one of {ACTION_KEYS}; write one rule for each"
            )),
        }
    }

    /// The tool table, if this is a tool rule.
    pub fn tool(&self) -> Option<Tool<'_>> {
        match self.action() {
            Ok(Action::Tool(tool, _)) => Some(tool),
            _ => None,
        }
    }

    /// The command pattern, if this is a `command` rule.
    pub fn command_pattern(&self) -> Option<&Spanned<CommandPattern>> {
        match self.action() {
            Ok(Action::Command(pattern)) => Some(pattern),
            _ => None,
        }
    }

    /// The absolute path of the program the rule executes, and where the
    /// rule says so (its `command`, or its tool table).
    pub fn program(&self) -> Option<(&std::path::Path, std::ops::Range<usize>)> {
        match self.action() {
            Ok(Action::Command(pattern)) => {
                Some((pattern.get_ref().program.as_path(), pattern.span()))
            }
            Ok(Action::Tool(tool, span)) => Some((tool.program(), span)),
            Err(_) => None,
        }
    }
}

/// The `[sandbox]` table. Every key is optional so that a rule's
/// `[allow.sandbox]` can override the profile's value key by key.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sandbox {
    /// Paths the command may read.
    pub read: Option<Vec<Spanned<AbsolutePath>>>,
    /// Paths the command may read and write.
    pub write: Option<Vec<Spanned<AbsolutePath>>>,
    /// Extra executables; the matched program is always executable.
    pub exec: Option<Vec<Spanned<AbsolutePath>>>,
    /// Network access; `"none"` by default.
    pub network: Option<Spanned<Network>>,
    /// Allow `AF_UNIX` sockets although `network` refuses sockets.
    pub unix: Option<bool>,
    /// Allow changes of file modes, owners, times and extended attributes.
    pub metadata: Option<Spanned<bool>>,
    /// Capabilities kept; every other one is dropped.
    pub capabilities: Option<Spanned<Vec<CapabilityName>>>,
    /// User to become before the exec.
    pub user: Option<Spanned<String>>,
    /// Syscalls added to the default deny-list.
    pub deny_syscalls: Option<Spanned<Vec<SyscallName>>>,
    /// Resource limits.
    pub rlimits: Option<Spanned<Rlimits>>,
    /// File mode creation mask; `"0077"` by default.
    pub umask: Option<Umask>,
    /// Variables set over the built environment.
    pub env: Option<BTreeMap<EnvName, EnvValue>>,
    /// Working directory; the user's home by default.
    pub chdir: Option<Spanned<AbsolutePath>>,
    /// `"enforce"` (default) or `"best-effort"`.
    pub compat: Option<Compat>,
}

/// The `rlimits` table: each key is one `RLIMIT_*`, set as both the soft
/// and the hard limit.
///
/// A new limit is a field here and a [`LimitKind`] (see there for the
/// other places); [`Rlimits::limits`] names every field, so a field that
/// is parsed but never applied does not compile.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Rlimits {
    /// `RLIMIT_NOFILE`: open files.
    pub nofile: Option<Count>,
    /// `RLIMIT_NPROC`: processes of the user.
    pub nproc: Option<Count>,
    /// `RLIMIT_CPU`: CPU seconds.
    pub cpu: Option<Count>,
    /// `RLIMIT_FSIZE`: largest file written, in bytes.
    pub fsize: Option<Bytes>,
    /// `RLIMIT_AS`: address space, in bytes.
    #[serde(rename = "as")]
    pub address_space: Option<Bytes>,
    /// `RLIMIT_DATA`: data segment, in bytes.
    pub data: Option<Bytes>,
    /// `RLIMIT_STACK`: stack, in bytes.
    pub stack: Option<Bytes>,
    /// `RLIMIT_MEMLOCK`: locked memory, in bytes.
    pub memlock: Option<Bytes>,
}

impl Rlimits {
    /// The limits that are set, in the order of the table above.
    pub fn limits(&self) -> Vec<ResourceLimit> {
        // Every field by name, without `..`: a new field that is not
        // listed below is an unused variable, which the build refuses.
        let Self {
            nofile,
            nproc,
            cpu,
            fsize,
            address_space,
            data,
            stack,
            memlock,
        } = *self;
        let count = |value: Option<Count>| value.map(|Count(value)| value);
        let bytes = |value: Option<Bytes>| value.map(|Bytes(value)| value);
        [
            (LimitKind::Nofile, count(nofile)),
            (LimitKind::Nproc, count(nproc)),
            (LimitKind::Cpu, count(cpu)),
            (LimitKind::Fsize, bytes(fsize)),
            (LimitKind::As, bytes(address_space)),
            (LimitKind::Data, bytes(data)),
            (LimitKind::Stack, bytes(stack)),
            (LimitKind::Memlock, bytes(memlock)),
        ]
        .into_iter()
        .filter_map(|(resource, value)| value.map(|value| ResourceLimit { resource, value }))
        .collect()
    }
}

/// A rule name: non-empty printable text, so audit records stay greppable.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct RuleName(String);

/// A key name as passed with `--key`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct KeyName(String);

/// An environment variable name: `[A-Za-z_][A-Za-z0-9_]*`, never `LD_*`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct EnvName(String);

/// An environment variable value: any text without NUL, which `execve`
/// could not pass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct EnvValue(String);

impl EnvValue {
    /// The value as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for EnvValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        if text.contains('\0') {
            return Err(serde::de::Error::custom(
                "an environment value must not contain a NUL character",
            ));
        }
        Ok(Self(text))
    }
}

impl RuleName {
    /// The name as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl KeyName {
    /// The name as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl EnvName {
    /// The name as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Reads a name of letters, digits and `- _ . @ :`, so that names stay
/// greppable in the audit log; `kind` says what the name is for errors.
fn plain_name<'de, D: Deserializer<'de>>(deserializer: D, kind: &str) -> Result<String, D::Error> {
    let text = String::deserialize(deserializer)?;
    let valid = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@' | ':'));
    if !valid {
        return Err(serde::de::Error::custom(format!(
            "{kind} name {text:?} must be non-empty and use only letters, digits and - _ . @ :"
        )));
    }
    Ok(text)
}

impl<'de> Deserialize<'de> for RuleName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        plain_name(deserializer, "rule").map(Self)
    }
}

impl<'de> Deserialize<'de> for KeyName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        plain_name(deserializer, "key").map(Self)
    }
}

impl<'de> Deserialize<'de> for EnvName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let mut chars = text.chars();
        let valid = chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(serde::de::Error::custom(format!(
                "environment variable name {text:?} must match [A-Za-z_][A-Za-z0-9_]*"
            )));
        }
        // The dynamic loader obeys LD_PRELOAD and friends before the program
        // runs a single line, which would defeat the exec restriction.
        if text.starts_with("LD_") {
            return Err(serde::de::Error::custom(format!(
                "environment variable {text:?} is refused: LD_* variables change what the loader runs"
            )));
        }
        Ok(Self(text))
    }
}

impl Policy {
    /// Every path some rule may write, once each, with the name of the
    /// first rule that may: what a request under any rule could have
    /// changed. In learn mode an unmatched request writes the profile's
    /// own `write` paths, named [`LEARNING_WRITER`].
    pub fn writable_paths(&self) -> Vec<(PathBuf, &str)> {
        let mut paths: Vec<(PathBuf, &str)> = Vec::new();
        // Borrowed, not built with `sandbox_for`: this runs for every rule
        // on every request, and only the write lists are needed.
        let rules = self.allow.iter().map(|rule| {
            let rule = rule.get_ref();
            (self.written_by(rule), rule.name.as_str())
        });
        let learning = (self.mode == Mode::Learn).then(|| {
            (
                self.sandbox.write.iter().flatten().collect(),
                LEARNING_WRITER,
            )
        });
        for (written, name) in rules.chain(learning) {
            for write in written {
                let path = write.get_ref().as_path();
                if !paths.iter().any(|(known, _)| known == path) {
                    paths.push((path.to_path_buf(), name));
                }
            }
        }
        paths
    }

    /// The `write` list of `rule`'s effective sandbox (see
    /// [`Policy::sandbox_for`]), borrowed.
    fn written_by<'a>(&'a self, rule: &'a Rule) -> Vec<&'a Spanned<AbsolutePath>> {
        match rule.tool() {
            Some(tool) => tool.writable_paths(),
            None => rule
                .sandbox
                .as_ref()
                .and_then(|over| over.write.as_ref())
                .or(self.sandbox.write.as_ref())
                .into_iter()
                .flatten()
                .collect(),
        }
    }

    /// The effective sandbox for `rule`: the rule's keys over the profile's.
    ///
    /// A tool rule's `read` and `write` are its table's paths (all of
    /// them; a request gets those of its direction) and it has no `exec`
    /// list: the profile's lists are for `command` rules.
    pub fn sandbox_for(&self, rule: &Rule) -> Sandbox {
        let mut sandbox = match &rule.sandbox {
            None => self.sandbox.clone(),
            Some(over) => self.sandbox.overridden_by(over),
        };
        if let Some(tool) = rule.tool() {
            let owned = |paths: Vec<&Spanned<AbsolutePath>>| paths.into_iter().cloned().collect();
            sandbox.read = Some(owned(tool.readable_paths()));
            sandbox.write = Some(owned(tool.writable_paths()));
            sandbox.exec = Some(Vec::new());
        }
        sandbox
    }
}

impl Sandbox {
    /// `self` with every key that `over` sets replaced by `over`'s value.
    pub fn overridden_by(&self, over: &Sandbox) -> Sandbox {
        Sandbox {
            read: over.read.clone().or_else(|| self.read.clone()),
            write: over.write.clone().or_else(|| self.write.clone()),
            exec: over.exec.clone().or_else(|| self.exec.clone()),
            network: over.network.clone().or_else(|| self.network.clone()),
            unix: over.unix.or(self.unix),
            metadata: over.metadata.clone().or_else(|| self.metadata.clone()),
            capabilities: over
                .capabilities
                .clone()
                .or_else(|| self.capabilities.clone()),
            user: over.user.clone().or_else(|| self.user.clone()),
            deny_syscalls: over
                .deny_syscalls
                .clone()
                .or_else(|| self.deny_syscalls.clone()),
            rlimits: over.rlimits.clone().or_else(|| self.rlimits.clone()),
            umask: over.umask.or(self.umask),
            env: over.env.clone().or_else(|| self.env.clone()),
            chdir: over.chdir.clone().or_else(|| self.chdir.clone()),
            compat: over.compat.or(self.compat),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The keys the schema accepts, as serde lists them when refusing an
    /// unknown one: taken from the schema itself, not restated here.
    fn schema_keys() -> Vec<String> {
        let error = toml::from_str::<Rlimits>("no-such-limit = 1")
            .expect_err("an unknown key is refused")
            .to_string();
        let (_, expected) = error
            .split_once("expected one of ")
            .expect("serde lists the expected keys");
        expected
            .split(", ")
            .map(|key| key.trim().trim_matches('`').to_owned())
            .collect()
    }

    #[test]
    fn every_key_of_the_schema_becomes_the_limit_of_that_name() {
        let keys = schema_keys();
        // More than one, or the list above was not parsed.
        assert!(keys.len() > 1, "{keys:?}");
        for key in keys {
            let rlimits: Rlimits = toml::from_str(&format!("{key} = 1")).expect(&key);
            let limits = rlimits.limits();
            assert_eq!(limits.len(), 1, "{key}");
            assert_eq!(limits[0].resource.key(), key);
            assert_eq!(limits[0].value, Some(1), "{key}");
        }
    }

    #[test]
    fn writable_paths_are_the_write_lists_of_every_effective_sandbox() {
        let policy: Policy = toml::from_str(
            r#"
[sandbox]
write = ["/srv/profile"]

[[allow]]
name = "inherits"
command = ["/usr/bin/true"]

[[allow]]
name = "overrides"
command = ["/usr/bin/false"]
[allow.sandbox]
write = ["/srv/rule"]

[[allow]]
name = "tool"
rsync = { send = ["/srv/send"], receive = ["/srv/receive"] }
"#,
        )
        .expect("the test policy parses");
        let mut built: Vec<(PathBuf, &str)> = Vec::new();
        for rule in &policy.allow {
            let rule = rule.get_ref();
            for write in policy.sandbox_for(rule).write.iter().flatten() {
                let path = write.get_ref().as_path().to_path_buf();
                if !built.iter().any(|(known, _)| *known == path) {
                    built.push((path, rule.name.as_str()));
                }
            }
        }
        assert_eq!(policy.writable_paths(), built);
        assert_eq!(built.len(), 3, "{built:?}");
    }
}
