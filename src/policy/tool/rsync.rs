//! `rsync = { send = [...], receive = [...], ... }`

use std::path::Path;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::{PathList, program_or};
use crate::policy::path::AbsolutePath;

/// Where rsync lives on Debian; `program` overrides it.
pub const DEFAULT_RSYNC: &str = "/usr/bin/rsync";

/// An rsync rule: which trees a client may pull from and push into.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RsyncRule {
    /// The rsync binary to execute; the client may name it `rsync` or by
    /// this path.
    pub program: Option<Spanned<AbsolutePath>>,
    /// Trees the client may download (`rsync --server --sender`): read grants.
    #[serde(default)]
    pub send: PathList,
    /// Trees the client may upload into: read-write grants.
    #[serde(default)]
    pub receive: PathList,
    /// Allow `--delete*`, `--del` and `--remove-source-files`.
    #[serde(default)]
    pub delete: bool,
    /// Transfer device and special files. When `false`, the `-D` a
    /// client's `-a` implies is answered with `--no-devices
    /// --no-specials` on the server.
    #[serde(default)]
    pub devices: bool,
    /// What the server does with symbolic links.
    #[serde(default)]
    pub links: Links,
    /// Let an upload use rsync's delta algorithm on files already in a
    /// `receive` tree that `send` does not cover. The receiving server
    /// then sends the client block checksums of those files, and with
    /// one-byte blocks (`-B1`) that is their content: off by default, the
    /// server runs with `--whole-file`.
    #[serde(default)]
    pub deltas: bool,
    /// Allow `--files-from` (a file inside the rule's paths, or `-`).
    #[serde(default)]
    pub files_from: bool,
    /// Allow `--log-file` (inside the rule's paths).
    #[serde(default)]
    pub log_file: bool,
}

/// The `links` control of an rsync rule.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Links {
    /// Symbolic links are copied as links; Landlock stops them from
    /// being followed out of the rule's paths.
    #[default]
    Keep,
    /// The server adds `--munge-links`: links it receives are stored
    /// disarmed (prefixed with `/rsyncd-munged/`), so a later transfer
    /// cannot write or read through them.
    Munge,
    /// Also accept the options that make rsync follow links (`-L`, `-k`,
    /// `-K`, `--copy-unsafe-links`...). Landlock still bounds what a
    /// followed link reaches to the rule's paths and the system base.
    Follow,
}

impl std::fmt::Display for Links {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Keep => "keep",
            Self::Munge => "munge",
            Self::Follow => "follow",
        })
    }
}

impl RsyncRule {
    /// The program executed.
    pub fn program(&self) -> &Path {
        program_or(&self.program, DEFAULT_RSYNC)
    }
}
