//! The program a learn-mode request runs when no rule names one.
//!
//! In enforce mode the program always comes from the matched rule. In
//! learn mode an unmatched request runs the client's own `argv[0]`, so it
//! is resolved here, before deciding, the way accounts are: `decide`
//! stays pure and `explain` sees the same answer as the gate.

use std::fmt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Where a bare program name is looked up: the confined command's `PATH`,
/// never the one sshd or the client provided.
pub const LEARN_SEARCH_PATH: [&str; 3] = ["/usr/local/bin", "/usr/bin", "/bin"];

/// Why the client's program cannot be run in learn mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnresolvedProgram {
    /// A relative path with a slash (`./run`, `bin/x`): relative to a
    /// working directory the client does not control, so refused.
    Relative(String),
    /// A bare name found in none of [`LEARN_SEARCH_PATH`].
    NotFound(String),
    /// The request was decided without [`super::Request::with_programs_for`]:
    /// a bug in the caller, denied rather than guessed at.
    NotLookedUp,
}

impl fmt::Display for UnresolvedProgram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Relative(name) => write!(
                f,
                "learn mode runs only an absolute program or a name found in {}; {name:?} is a relative path",
                LEARN_SEARCH_PATH.join(":")
            ),
            Self::NotFound(name) => write!(
                f,
                "learn mode found no executable {name:?} in {}",
                LEARN_SEARCH_PATH.join(":")
            ),
            Self::NotLookedUp => {
                f.write_str("learn mode: the client's program was not looked up before deciding")
            }
        }
    }
}

impl std::error::Error for UnresolvedProgram {}

/// `argv0` as an absolute program path: as sent when absolute, else the
/// first executable regular file of that name in [`LEARN_SEARCH_PATH`].
pub fn resolve(argv0: &str) -> Result<PathBuf, UnresolvedProgram> {
    if Path::new(argv0).is_absolute() {
        // Not checked here: the sandbox resolves the program and refuses
        // one that is missing, as for a rule's program.
        return Ok(PathBuf::from(argv0));
    }
    if argv0.contains('/') || argv0.is_empty() || argv0 == "." || argv0 == ".." {
        return Err(UnresolvedProgram::Relative(argv0.to_owned()));
    }
    LEARN_SEARCH_PATH
        .iter()
        .map(|dir| Path::new(dir).join(argv0))
        .find(|candidate| is_executable_file(candidate))
        .ok_or_else(|| UnresolvedProgram::NotFound(argv0.to_owned()))
}

fn is_executable_file(path: &Path) -> bool {
    std::fs::metadata(path)
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_is_kept_as_sent() {
        assert_eq!(resolve("/opt/x/run"), Ok(PathBuf::from("/opt/x/run")));
    }

    #[test]
    fn bare_name_is_found_in_the_fixed_path() {
        let found = resolve("sh").unwrap();
        assert!(found.is_absolute() && found.ends_with("sh"), "{found:?}");
    }

    #[test]
    fn relative_and_unknown_names_are_refused() {
        assert_eq!(
            resolve("./run"),
            Err(UnresolvedProgram::Relative("./run".into()))
        );
        assert_eq!(resolve(".."), Err(UnresolvedProgram::Relative("..".into())));
        assert_eq!(
            resolve("no-such-program-sshgate"),
            Err(UnresolvedProgram::NotFound(
                "no-such-program-sshgate".into()
            ))
        );
    }
}
