//! `sftp = { read = [...], write = [...], start = "/path" }`

use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::{PathList, program_or};
use crate::policy::path::AbsolutePath;

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
#[serde(deny_unknown_fields)]
pub struct SftpRule {
    /// The sftp-server binary to execute.
    pub program: Option<Spanned<AbsolutePath>>,
    /// The `SSH_ORIGINAL_COMMAND` values recognised as an sftp request;
    /// by default [`DEFAULT_ACCEPTED`].
    pub accept: Option<Spanned<Vec<String>>>,
    /// Trees the client may list and download: read grants.
    #[serde(default)]
    pub read: PathList,
    /// Trees the client may upload into: read-write grants. Empty means
    /// the server runs with `-R`.
    #[serde(default)]
    pub write: PathList,
    /// The client's starting directory (`-d`).
    pub start: Option<Spanned<AbsolutePath>>,
    /// Log the session's file operations (`-l INFO -f AUTHPRIV`).
    #[serde(default)]
    pub log: bool,
    /// sftp requests allowed (`-p`); absent means every request.
    pub allow_requests: Option<Spanned<Vec<String>>>,
    /// sftp requests refused (`-P`).
    pub deny_requests: Option<Spanned<Vec<String>>>,
}

impl SftpRule {
    /// The program executed.
    pub fn program(&self) -> &Path {
        program_or(&self.program, DEFAULT_SFTP_SERVER)
    }
}
