//! Policy errors, each naming the file and, where there is one, the line and column.

use std::fmt;
use std::io;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// A 1-based line and column in a policy file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
}

impl Location {
    /// The location of byte `offset` in `text`.
    pub fn of_offset(text: &str, offset: usize) -> Self {
        let before = text.get(..offset.min(text.len())).unwrap_or(text);
        let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
        Self {
            line: before.matches('\n').count() + 1,
            column: before[line_start..].chars().count() + 1,
        }
    }

    /// The location where `span` starts in `text`.
    pub fn of_span(text: &str, span: &Range<usize>) -> Self {
        Self::of_offset(text, span.start)
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// Why a policy could not be used.
#[derive(Debug)]
pub struct PolicyError {
    /// The policy file (or the profile directory, for a bad profile name).
    pub file: PathBuf,
    /// Where in the file, when the problem is in its text.
    pub location: Option<Location>,
    /// What went wrong.
    pub kind: PolicyErrorKind,
}

/// The kinds of policy errors.
#[derive(Debug)]
pub enum PolicyErrorKind {
    /// A `--profile` name that could escape the policy directory.
    InvalidProfileName(String),
    /// The file could not be read.
    Io(io::Error),
    /// The file or a parent directory could be changed by someone other
    /// than root or the invoking user.
    Insecure(String),
    /// The text is not a valid policy (TOML syntax, schema, or a value).
    Invalid(String),
}

impl PolicyError {
    pub(crate) fn new(file: &Path, kind: PolicyErrorKind) -> Self {
        Self {
            file: file.to_path_buf(),
            location: None,
            kind,
        }
    }

    pub(crate) fn invalid_at(
        file: &Path,
        text: &str,
        span: Option<Range<usize>>,
        message: String,
    ) -> Self {
        Self {
            file: file.to_path_buf(),
            location: span.map(|span| Location::of_span(text, &span)),
            kind: PolicyErrorKind::Invalid(message),
        }
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(location) = self.location {
            write!(f, ":{location}")?;
        }
        match &self.kind {
            PolicyErrorKind::InvalidProfileName(name) => write!(
                f,
                ": invalid profile name {name:?}: use letters, digits, '-', '_' and '.', not starting with '.'"
            ),
            PolicyErrorKind::Io(error) => write!(f, ": cannot read policy: {error}"),
            PolicyErrorKind::Insecure(why) => write!(f, ": insecure policy: {why}"),
            PolicyErrorKind::Invalid(message) => write!(f, ": {message}"),
        }
    }
}

impl std::error::Error for PolicyError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_map_to_one_based_lines_and_columns() {
        let text = "a = 1\nbé = 2\n";
        assert_eq!(
            Location::of_offset(text, 0),
            Location { line: 1, column: 1 }
        );
        assert_eq!(
            Location::of_offset(text, 6),
            Location { line: 2, column: 1 }
        );
        // 'é' is two bytes but one column.
        assert_eq!(
            Location::of_offset(text, 9),
            Location { line: 2, column: 3 }
        );
    }
}
