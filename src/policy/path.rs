//! Absolute, normalised paths as they appear in a policy.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize};

/// A path that is absolute, contains no `.` or `..` components and no NUL.
///
/// Relative paths are refused because their meaning would depend on the
/// working directory of sshd; `..` is refused because a reviewer reading
/// `/srv/../etc` should not have to resolve it in their head.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct AbsolutePath(PathBuf);

impl AbsolutePath {
    /// Validates `text` as an absolute, normalised path.
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.contains('\0') {
            return Err("a path must not contain a NUL character".to_owned());
        }
        if !text.starts_with('/') {
            return Err(format!("expected an absolute path, found {text:?}"));
        }
        // Path::components() silently drops interior `.`, so look at the
        // text itself.
        if text
            .split('/')
            .any(|segment| segment == "." || segment == "..")
        {
            return Err(format!(
                "{text:?} contains `.` or `..`: write the path it stands for"
            ));
        }
        Ok(Self(Path::new(text).components().collect()))
    }

    /// The path itself.
    pub fn as_path(&self) -> &Path {
        &self.0
    }

    /// The last component, which a client may send instead of the full path.
    pub fn file_name(&self) -> Option<&str> {
        self.0.file_name().and_then(|name| name.to_str())
    }
}

impl fmt::Display for AbsolutePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.display())
    }
}

impl<'de> Deserialize<'de> for AbsolutePath {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_normalises_absolute_paths() {
        assert_eq!(
            AbsolutePath::parse("/srv/").unwrap().as_path(),
            Path::new("/srv")
        );
        assert_eq!(
            AbsolutePath::parse("//srv//a").unwrap().as_path(),
            Path::new("/srv/a")
        );
        assert_eq!(AbsolutePath::parse("/").unwrap().as_path(), Path::new("/"));
    }

    #[test]
    fn refuses_relative_dotted_and_nul_paths() {
        for bad in ["srv", "", "./srv", "/srv/../etc", "/srv/./a", "/srv\0x"] {
            assert!(AbsolutePath::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
