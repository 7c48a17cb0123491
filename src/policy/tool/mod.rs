//! Tool rules: `rsync`, `scp`, `sftp`, `git` and `borg` tables of an
//! `[[allow]]` rule.
//!
//! A tool rule names paths, not argument patterns. `decide` parses the
//! tool's server-side command line the way the tool does and derives the
//! Landlock grants from these same paths, so the rule and the sandbox
//! cannot disagree. This module is the schema only; the parsers are in
//! `crate::decide::tool`.

mod borg;
mod git;
mod rsync;
mod scp;
mod sftp;

use std::path::Path;

use toml::Spanned;

use super::path::AbsolutePath;

pub use borg::BorgRule;
pub use git::GitRule;
pub use rsync::{Links, RsyncRule};
pub use scp::ScpRule;
pub use sftp::SftpRule;

/// A list of paths in a tool table, each with its location for lint.
pub type PathList = Vec<Spanned<AbsolutePath>>;

/// The tool table of a rule, borrowed.
#[derive(Debug, Clone, Copy)]
pub enum Tool<'a> {
    /// `rsync = { ... }`
    Rsync(&'a RsyncRule),
    /// `scp = { ... }`
    Scp(&'a ScpRule),
    /// `sftp = { ... }`
    Sftp(&'a SftpRule),
    /// `git = { ... }`
    Git(&'a GitRule),
    /// `borg = { ... }`
    Borg(&'a BorgRule),
}

impl<'a> Tool<'a> {
    /// The key of the table: `"rsync"`, `"scp"`...
    pub fn name(self) -> &'static str {
        match self {
            Self::Rsync(_) => "rsync",
            Self::Scp(_) => "scp",
            Self::Sftp(_) => "sftp",
            Self::Git(_) => "git",
            Self::Borg(_) => "borg",
        }
    }

    /// The program the rule executes.
    pub fn program(self) -> &'a Path {
        match self {
            Self::Rsync(rule) => rule.program(),
            Self::Scp(rule) => rule.program(),
            Self::Sftp(rule) => rule.program(),
            Self::Git(rule) => rule.program(),
            Self::Borg(rule) => rule.program(),
        }
    }

    /// Every path the rule names that a request may read, write or both.
    pub fn paths(self) -> Vec<&'a Spanned<AbsolutePath>> {
        let (read, write) = self.read_and_written();
        read.into_iter().chain(write).collect()
    }

    /// The paths a request under the rule may only read.
    pub fn readable_paths(self) -> Vec<&'a Spanned<AbsolutePath>> {
        self.read_and_written().0
    }

    /// The paths a request under the rule may write (or create beneath).
    pub fn writable_paths(self) -> Vec<&'a Spanned<AbsolutePath>> {
        self.read_and_written().1
    }

    fn read_and_written(
        self,
    ) -> (
        Vec<&'a Spanned<AbsolutePath>>,
        Vec<&'a Spanned<AbsolutePath>>,
    ) {
        match self {
            Self::Rsync(rule) => (rule.send.iter().collect(), rule.receive.iter().collect()),
            Self::Scp(rule) => (rule.download.iter().collect(), rule.upload.iter().collect()),
            Self::Sftp(rule) => (rule.read.iter().collect(), rule.write.iter().collect()),
            Self::Git(rule) => (rule.read.iter().collect(), rule.write.iter().collect()),
            Self::Borg(rule) => (Vec::new(), vec![&rule.repository]),
        }
    }

    /// Checks what serde cannot: a table that names no path at all.
    pub fn validate(self) -> Result<(), String> {
        if self.paths().is_empty() {
            return Err(format!(
                "the `{}` table names no path, so the rule could never allow anything",
                self.name()
            ));
        }
        Ok(())
    }
}

/// The program a tool table runs: its `program` key, or the tool's
/// usual Debian path.
fn program_or<'a>(
    configured: &'a Option<Spanned<AbsolutePath>>,
    default: &'static str,
) -> &'a Path {
    configured
        .as_ref()
        .map_or(Path::new(default), |program| program.get_ref().as_path())
}
