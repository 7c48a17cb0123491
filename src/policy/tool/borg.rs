//! `borg = { repository = "/path", append_only = true }`

use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::program_or;
use crate::policy::path::AbsolutePath;

/// Where borg lives on Debian; `program` overrides it.
pub const DEFAULT_BORG: &str = "/usr/bin/borg";

/// A borg rule: `borg serve` restricted to one repository.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BorgRule {
    /// The borg launcher to execute.
    pub program: Option<Spanned<AbsolutePath>>,
    /// The repository: `--restrict-to-repository`, and the only read-write
    /// grant. The directory must exist (empty before `borg init`), since
    /// Landlock grants only what is there.
    pub repository: Spanned<AbsolutePath>,
    /// Add `--append-only`: a client's delete, prune or compact only
    /// appends, and removes no data.
    #[serde(default)]
    pub append_only: bool,
}

impl BorgRule {
    /// The program executed.
    pub fn program(&self) -> &Path {
        program_or(&self.program, DEFAULT_BORG)
    }
}
