//! How `--json` writes what JSON has no type for: an error as its message,
//! a path as text.
//!
//! A path that is not UTF-8 is written as the text report shows it
//! (`Path::display`), so that the JSON report can always be written.

use std::fmt::Display;
use std::path::Path;

use serde::Serializer;

/// `value` as its message, or `null`.
pub(super) fn optional_message<T: Display, S: Serializer>(
    value: &Option<T>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(value) => serializer.collect_str(value),
        None => serializer.serialize_none(),
    }
}

/// `path` as text.
pub(super) fn path_text<S: Serializer>(path: &Path, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(&path.display())
}
