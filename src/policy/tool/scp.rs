//! `scp = { download = [...], upload = [...], ... }`: the legacy protocol.

use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::{PathList, program_or};
use crate::policy::path::AbsolutePath;

/// Where scp lives on Debian; `program` overrides it.
pub const DEFAULT_SCP: &str = "/usr/bin/scp";

/// An scp rule for `scp -O` clients (`scp -f` / `scp -t` on the server).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScpRule {
    /// The scp binary to execute.
    pub program: Option<Spanned<AbsolutePath>>,
    /// Files and trees the client may download (`scp -f`): read grants.
    #[serde(default)]
    pub download: PathList,
    /// Directories the client may upload into (`scp -t`): read-write grants.
    #[serde(default)]
    pub upload: PathList,
    /// Allow `-r`.
    #[serde(default)]
    pub recursive: bool,
    /// Allow `-p` (modes and times).
    #[serde(default)]
    pub preserve: bool,
}

impl ScpRule {
    /// The program executed.
    pub fn program(&self) -> &Path {
        program_or(&self.program, DEFAULT_SCP)
    }
}
