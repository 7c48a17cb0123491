//! `git = { read = [...repos], write = [...repos] }`

use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::{PathList, program_or};
use crate::policy::path::AbsolutePath;

/// Where git lives on Debian; `program` overrides it.
pub const DEFAULT_GIT: &str = "/usr/bin/git";

/// The exec-path Debian's `/usr/bin/git` was built with (`git
/// --exec-path`); `exec_path` overrides it.
pub const DEFAULT_EXEC_PATH: &str = "/usr/lib/git-core";

/// A git rule: fetches from `read` and `write`, pushes into `write`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GitRule {
    /// The git binary to execute.
    pub program: Option<Spanned<AbsolutePath>>,
    /// git's exec-path, where its helpers (`git pack-objects`,
    /// `git index-pack`...) live: the only directory made executable, and
    /// passed to git as `--exec-path` so the two cannot disagree. By
    /// default [`DEFAULT_EXEC_PATH`]; set it with `program` to what that
    /// git's `--exec-path` prints.
    pub exec_path: Option<Spanned<AbsolutePath>>,
    /// Repositories (git directories) the client may fetch from
    /// (`git-upload-pack`).
    #[serde(default)]
    pub read: PathList,
    /// Repositories (git directories) the client may fetch from and push
    /// into (`git-receive-pack`).
    #[serde(default)]
    pub write: PathList,
    /// Also serve `git archive --remote` (`git-upload-archive`) from every
    /// listed repository; off by default.
    #[serde(default)]
    pub archive: bool,
}

impl GitRule {
    /// The program executed.
    pub fn program(&self) -> &Path {
        program_or(&self.program, DEFAULT_GIT)
    }

    /// The exec-path granted and passed to git.
    pub fn exec_path(&self) -> &Path {
        program_or(&self.exec_path, DEFAULT_EXEC_PATH)
    }
}
