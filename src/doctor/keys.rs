//! The authorized_keys files doctor is pointed at: each key that runs
//! sshgate must turn off with `restrict` what sshd would otherwise allow
//! beside the gate, and the file's owner must have a login shell that reads
//! no startup files before a forced command.
//!
//! Parsing the lines is [`super::authorized_keys`]'s; who can write the
//! file and the directories above it is [`super::permissions`]'s.

use std::fmt::{self, Display, Formatter};
use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use serde::{Serialize, Serializer};

use super::authorized_keys::{self, Entry, KeyLine, Permit};
use super::json;
use super::permissions;
use super::report::{Finding, Level, Section};
use super::shell::{self, ShellVerdict};
use super::sshd_config::command_runs_sshgate;
use crate::audit::escape_control;
use crate::request::{RequestError, User};

/// What doctor found about one key line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyReport {
    /// The line number, from 1.
    pub line: usize,
    /// Whether the key runs sshgate (its command=, or ForceCommand).
    pub runs_sshgate: bool,
    /// Whether `restrict` is among its options.
    pub restrict: bool,
    /// Its `command="..."`, if any.
    pub command: Option<String>,
    /// What sshd still allows it, e.g. `["a pty"]`.
    pub still_allowed: Vec<String>,
    /// Why sshd ignores the line, if it does.
    pub invalid: Option<String>,
}

/// What doctor found about one authorized_keys file; in `--json`,
/// `{file, owner, error, keys}`.
#[derive(Debug, Serialize)]
pub struct KeyFileReport {
    /// The file, as given.
    #[serde(rename = "file", serialize_with = "json::path_text")]
    pub path: PathBuf,
    /// Its owner, whose keys these are.
    #[serde(serialize_with = "owner_json")]
    pub owner: Option<User>,
    /// Why the file could not be examined, if it could not.
    #[serde(serialize_with = "json::optional_message")]
    pub error: Option<KeyFileError>,
    /// Its key lines.
    pub keys: Vec<KeyReport>,
}

/// Why an authorized_keys file could not be examined.
#[derive(Debug)]
pub enum KeyFileError {
    /// Its metadata or its contents could not be read.
    Read(io::Error),
    /// Its owner's uid has no passwd entry; sshd takes such a file for
    /// nobody's.
    NoAccount(u32),
    /// Looking up its owner's account failed.
    OwnerLookup {
        /// The owner's uid.
        uid: u32,
        /// What NSS reported.
        source: nix::Error,
    },
}

impl Display for KeyFileError {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Self::Read(error) => write!(f, "cannot read: {error}"),
            Self::NoAccount(uid) => write!(
                f,
                "owned by uid {uid}, which has no account: sshd uses it for nobody"
            ),
            Self::OwnerLookup { uid, source } => {
                write!(f, "cannot look up the owner, uid {uid}: {source}")
            }
        }
    }
}

impl std::error::Error for KeyFileError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Read(error) => Some(error),
            Self::OwnerLookup { source, .. } => Some(source),
            Self::NoAccount(_) => None,
        }
    }
}

/// The owner in `--json`: `{uid, name, home, shell}`, or `null`.
fn owner_json<S: Serializer>(owner: &Option<User>, serializer: S) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct OwnerJson<'a> {
        uid: u32,
        name: &'a str,
        #[serde(serialize_with = "json::path_text")]
        home: &'a Path,
        #[serde(serialize_with = "json::path_text")]
        shell: &'a Path,
    }
    owner
        .as_ref()
        .map(|user| OwnerJson {
            uid: user.uid,
            name: &user.name,
            home: &user.home,
            shell: &user.shell,
        })
        .serialize(serializer)
}

/// Reads, parses and judges one authorized_keys file. `force_command`:
/// sshd's ForceCommand runs sshgate for every key.
pub(super) fn examine_key_file(path: &Path, force_command: bool) -> (KeyFileReport, Section) {
    let location = path.display().to_string();
    let mut report = KeyFileReport {
        path: path.to_path_buf(),
        owner: None,
        error: None,
        keys: Vec::new(),
    };
    let mut section = Section {
        title: format!("authorized_keys {location}"),
        findings: Vec::new(),
    };
    let (uid, text) = match read_with_owner(path) {
        Ok(read) => read,
        Err(error) => {
            let error = KeyFileError::Read(error);
            section
                .findings
                .push(Finding::located(Level::Warn, location, error.to_string()));
            report.error = Some(error);
            return (report, section);
        }
    };
    let (keys, findings) = key_findings(&location, &authorized_keys::parse(&text), force_command);
    let gated = keys.iter().any(|key| key.runs_sshgate);
    report.keys = keys;
    section.findings = findings;
    match owner_of(uid) {
        Ok(owner) => {
            if gated {
                section.findings.push(shell_finding(&location, &owner));
            }
            section.findings.extend(permissions::check(path, &owner));
            report.owner = Some(owner);
        }
        Err(error) => {
            section
                .findings
                .push(Finding::located(Level::Warn, location, error.to_string()));
            report.error = Some(error);
        }
    }
    (report, section)
}

/// The owner's uid and the text of the file at `path`.
fn read_with_owner(path: &Path) -> io::Result<(u32, String)> {
    let uid = fs::metadata(path)?.uid();
    Ok((uid, fs::read_to_string(path)?))
}

/// The account of the file owner `uid`.
fn owner_of(uid: u32) -> Result<User, KeyFileError> {
    User::from_uid(uid).map_err(|error| match error {
        RequestError::UnknownUser(uid) => KeyFileError::NoAccount(uid),
        RequestError::UserLookup(source) => KeyFileError::OwnerLookup { uid, source },
    })
}

/// The reports and findings for the entries of one file, named `file`.
/// `force_command`: sshd's ForceCommand runs sshgate for every key.
pub fn key_findings(
    file: &str,
    entries: &[Entry],
    force_command: bool,
) -> (Vec<KeyReport>, Vec<Finding>) {
    let mut reports = Vec::new();
    let mut findings = Vec::new();
    for entry in entries {
        match entry {
            Entry::Invalid { line, reason } => {
                findings.push(Finding::located(
                    Level::Warn,
                    format!("{file}:{line}"),
                    format!(
                        "sshd ignores this line: {}",
                        escape_control(reason.as_bytes())
                    ),
                ));
                reports.push(KeyReport {
                    line: *line,
                    runs_sshgate: false,
                    restrict: false,
                    command: None,
                    still_allowed: Vec::new(),
                    invalid: Some(reason.clone()),
                });
            }
            Entry::Key(key) => {
                let (report, finding) = judge_key(file, key, force_command);
                reports.push(report);
                findings.push(finding);
            }
        }
    }
    (reports, findings)
}

fn judge_key(file: &str, key: &KeyLine, force_command: bool) -> (KeyReport, Finding) {
    let by_command = key.command().is_some_and(command_runs_sshgate);
    let runs_sshgate = by_command || force_command;
    let still_allowed = key.still_allowed();
    let report = KeyReport {
        line: key.line,
        runs_sshgate,
        restrict: key.has_restrict(),
        command: key.command().map(str::to_owned),
        still_allowed: still_allowed.iter().map(ToString::to_string).collect(),
        invalid: None,
    };
    let location = format!("{file}:{}", key.line);
    let runs = if by_command {
        "runs sshgate"
    } else {
        "runs sshgate through ForceCommand"
    };
    let list = |permits: &[Permit], f: fn(&Permit) -> String| -> String {
        permits.iter().map(f).collect::<Vec<_>>().join(", ")
    };
    let finding = if !runs_sshgate {
        let command = key.command().map_or_else(
            || "no command=".to_owned(),
            |command| format!("command=\"{}\"", escape_control(command.as_bytes())),
        );
        Finding::located(
            Level::Info,
            location,
            format!("does not run sshgate ({command}); not checked"),
        )
    } else if still_allowed.is_empty() && key.has_restrict() {
        Finding::located(Level::Ok, location, format!("{runs} with restrict"))
    } else if still_allowed.is_empty() {
        Finding::located(
            Level::Ok,
            location,
            format!(
                "{runs} with {} (what restrict turns off today)",
                list(&Permit::ALL, |permit| permit.negation().to_owned())
            ),
        )
    } else if key.has_restrict() {
        Finding::located(
            Level::Warn,
            location,
            format!(
                "{runs} with restrict, but turns {} back on; remove {}",
                list(&still_allowed, ToString::to_string),
                list(&still_allowed, |permit| permit.flag_name().to_owned())
            ),
        )
    } else {
        Finding::located(
            Level::Warn,
            location,
            format!(
                "{runs} without restrict: sshd still allows {} for this key; add restrict to its options",
                list(&still_allowed, ToString::to_string)
            ),
        )
    };
    (report, finding)
}

/// The finding about the login shell of `owner`, whose file `file` has a
/// key that runs sshgate.
fn shell_finding(file: &str, owner: &User) -> Finding {
    // sshd runs /bin/sh for an account with an empty shell field.
    let configured = if owner.shell.as_os_str().is_empty() {
        PathBuf::from("/bin/sh")
    } else {
        owner.shell.clone()
    };
    let real = fs::canonicalize(&configured).ok();
    let shown = match &real {
        Some(real) if real.file_name() != configured.file_name() => {
            format!("{} ({})", configured.display(), real.display())
        }
        _ => configured.display().to_string(),
    };
    let subject = format!(
        "login shell of {} (the file's owner) is {shown}",
        owner.name
    );
    let recommended = shell::RECOMMENDED;
    let (level, message) = match (&real, shell::judge(&configured, real.as_deref())) {
        (None, _) => (
            Level::Warn,
            format!("{subject}, which does not exist: sshd refuses the login"),
        ),
        (Some(_), ShellVerdict::Quiet) => (
            Level::Ok,
            format!("{subject}, which reads no startup files before a forced command"),
        ),
        (Some(_), ShellVerdict::ReadsStartupFiles(why)) => (
            Level::Warn,
            format!("{subject}: {why}, before the gate runs; use {recommended}"),
        ),
        (Some(_), ShellVerdict::RunsNoCommand) => (
            Level::Warn,
            format!(
                "{subject}, which cannot run a forced command (sshd runs `{} -c COMMAND`), so the \
                 gate never runs; use {recommended}",
                configured.display()
            ),
        ),
        (Some(_), ShellVerdict::Unknown) => (
            Level::Warn,
            format!(
                "{subject}, which sshgate does not know to read no startup files before a forced \
                 command; use {recommended}"
            ),
        ),
    };
    Finding::located(level, file, message)
}
