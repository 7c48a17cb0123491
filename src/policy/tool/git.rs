//! `git = { read = [...repos], write = [...repos] }`

use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::{PathList, program_or};
use crate::policy::path::AbsolutePath;

/// Where git lives on Debian; `program` overrides it.
pub const DEFAULT_GIT: &str = "/usr/bin/git";

/// A git rule: fetches from `read` and `write`, pushes into `write`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GitRule {
    /// The git binary to execute.
    pub program: Option<Spanned<AbsolutePath>>,
    /// git's exec-path, where its helpers live; by default the one
    /// `program` was built with, as `git --exec-path` prints it.
    pub exec_path: Option<Spanned<AbsolutePath>>,
    /// Repositories the client may fetch (`git-upload-pack`).
    #[serde(default)]
    pub read: PathList,
    /// Repositories the client may fetch and push (`git-receive-pack`).
    #[serde(default)]
    pub write: PathList,
}

impl GitRule {
    /// The program executed.
    pub fn program(&self) -> &Path {
        program_or(&self.program, DEFAULT_GIT)
    }
}
