//! `sftp = { read = [...], write = [...], start = "/path" }`

mod request;

use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::{PathList, program_or};
use crate::policy::path::AbsolutePath;

pub use request::SftpRequest;

/// Where sftp-server lives on Debian; `program` overrides it.
pub const DEFAULT_SFTP_SERVER: &str = "/usr/lib/openssh/sftp-server";

/// The subsystem commands sshd is commonly configured with, recognised
/// as an sftp request unless `accept` says otherwise.
pub const DEFAULT_ACCEPTED: &[&str] = &[
    "/usr/lib/openssh/sftp-server",
    "/usr/libexec/openssh/sftp-server",
    "/usr/libexec/sftp-server",
    "/usr/lib/sftp-server",
    "sftp-server",
    "internal-sftp",
];

/// An sftp rule: the system `sftp-server`, confined to `read` and `write`.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "RawSftpRule")]
pub struct SftpRule {
    /// The sftp-server binary to execute.
    pub program: Option<Spanned<AbsolutePath>>,
    /// The `SSH_ORIGINAL_COMMAND` values recognised as an sftp request;
    /// by default [`DEFAULT_ACCEPTED`] and `program`.
    pub accept: Option<Spanned<Vec<String>>>,
    /// Trees the client may list and download: read grants.
    pub read: PathList,
    /// Trees the client may upload into: read-write grants. Empty means
    /// the server runs with `-R`.
    pub write: PathList,
    /// The client's starting directory (`-d`), inside `read` or `write`.
    pub start: Option<Spanned<AbsolutePath>>,
    /// Log the session's file operations (`-l INFO -f AUTHPRIV`) to
    /// /dev/log, which the rule then grants; sftp-server can reach it
    /// only when the rule's sandbox has `unix = true`, and drops its
    /// messages silently otherwise.
    pub log: bool,
    /// sftp requests allowed (`-p`); absent means every request.
    pub allow_requests: Option<Spanned<Vec<SftpRequest>>>,
    /// sftp requests refused (`-P`).
    pub deny_requests: Option<Spanned<Vec<SftpRequest>>>,
}

/// The table as written, before the checks that span its keys.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSftpRule {
    program: Option<Spanned<AbsolutePath>>,
    accept: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    read: PathList,
    #[serde(default)]
    write: PathList,
    start: Option<Spanned<AbsolutePath>>,
    #[serde(default)]
    log: bool,
    allow_requests: Option<Spanned<Vec<SftpRequest>>>,
    deny_requests: Option<Spanned<Vec<SftpRequest>>>,
}

impl TryFrom<RawSftpRule> for SftpRule {
    type Error = String;

    fn try_from(raw: RawSftpRule) -> Result<Self, String> {
        if let Some(accept) = &raw.accept {
            check_accepted(accept.get_ref())?;
        }
        if let Some(start) = &raw.start {
            let start = start.get_ref().as_path();
            // sftp-server would fail its chdir under Landlock and leave the
            // client in a directory it cannot use.
            let granted = raw
                .read
                .iter()
                .chain(&raw.write)
                .any(|root| start.starts_with(root.get_ref().as_path()));
            if !granted {
                return Err(format!(
                    "`start` {} is outside the rule's `read` and `write` paths",
                    start.display()
                ));
            }
        }
        if raw
            .allow_requests
            .as_ref()
            .is_some_and(|allowed| allowed.get_ref().is_empty())
        {
            return Err(
                "`allow_requests` is empty, so sftp-server would refuse every request; \
                 leave it out to allow every request"
                    .to_owned(),
            );
        }
        Ok(Self {
            program: raw.program,
            accept: raw.accept,
            read: raw.read,
            write: raw.write,
            start: raw.start,
            log: raw.log,
            allow_requests: raw.allow_requests,
            deny_requests: raw.deny_requests,
        })
    }
}

/// An accepted command is one word as sshd writes its subsystem command:
/// an absolute path or a bare name, with no spaces (sshd would have
/// split them) and no control characters.
fn check_accepted(accepted: &[String]) -> Result<(), String> {
    if accepted.is_empty() {
        return Err("`accept` is empty, so the rule could never be used".to_owned());
    }
    for command in accepted {
        let plain =
            !command.is_empty() && !command.chars().any(|c| c.is_whitespace() || c.is_control());
        if !plain || (command.contains('/') && !command.starts_with('/')) {
            return Err(format!(
                "`accept` entry {command:?} must be one word: an absolute path or a bare \
                 name such as \"internal-sftp\""
            ));
        }
    }
    Ok(())
}

impl SftpRule {
    /// The program executed.
    pub fn program(&self) -> &Path {
        program_or(&self.program, DEFAULT_SFTP_SERVER)
    }

    /// Whether `command` (`SSH_ORIGINAL_COMMAND`'s first word) is one of
    /// the subsystem commands this rule answers.
    pub fn accepts(&self, command: &str) -> bool {
        match &self.accept {
            Some(accepted) => accepted.get_ref().iter().any(|known| known == command),
            None => {
                DEFAULT_ACCEPTED.contains(&command)
                    || self
                        .program
                        .as_ref()
                        .is_some_and(|program| Path::new(command) == program.get_ref().as_path())
            }
        }
    }
}
