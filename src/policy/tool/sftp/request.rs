//! The names of sftp requests, as `sftp-server -p` and `-P` take them.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

/// What `sftp-server -Q requests` prints (OpenSSH 9.2). A name it does
/// not know makes sftp-server exit at start, so every session of the rule
/// would fail; refusing it when the policy loads says why.
pub const KNOWN_REQUESTS: &[&str] = &[
    "open",
    "close",
    "read",
    "write",
    "lstat",
    "fstat",
    "setstat",
    "fsetstat",
    "opendir",
    "readdir",
    "remove",
    "mkdir",
    "rmdir",
    "realpath",
    "stat",
    "rename",
    "readlink",
    "symlink",
    "posix-rename",
    "statvfs",
    "fstatvfs",
    "hardlink",
    "fsync",
    "lsetstat",
    "limits",
    "expand-path",
    "copy-data",
    "home-directory",
    "users-groups-by-id",
];

/// One sftp request name from [`KNOWN_REQUESTS`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct SftpRequest(&'static str);

impl SftpRequest {
    /// Validates `name` against [`KNOWN_REQUESTS`].
    pub fn parse(name: &str) -> Result<Self, String> {
        KNOWN_REQUESTS
            .iter()
            .find(|known| **known == name)
            .map(|known| Self(known))
            .ok_or_else(|| {
                format!(
                    "unknown sftp request {name:?}: sftp-server knows {}",
                    KNOWN_REQUESTS.join(", ")
                )
            })
    }

    /// The name as sftp-server spells it.
    pub fn as_str(&self) -> &'static str {
        self.0
    }
}

impl fmt::Display for SftpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl<'de> Deserialize<'de> for SftpRequest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_name_parses_to_itself() {
        for name in KNOWN_REQUESTS {
            assert_eq!(SftpRequest::parse(name).unwrap().as_str(), *name);
        }
    }

    #[test]
    fn the_table_is_what_the_installed_sftp_server_lists() {
        let output = std::process::Command::new(crate::policy::tool::sftp::DEFAULT_SFTP_SERVER)
            .args(["-Q", "requests"])
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        let listed: Vec<&str> = std::str::from_utf8(&output.stdout)
            .unwrap()
            .lines()
            .collect();
        assert_eq!(listed, KNOWN_REQUESTS);
    }

    #[test]
    fn an_unknown_or_suffixed_name_is_refused() {
        for name in ["", "Open", "posix-rename@openssh.com", "readdir ", "list"] {
            let error = SftpRequest::parse(name).unwrap_err();
            assert!(
                error.starts_with(&format!(
                    "unknown sftp request {name:?}: sftp-server knows open, close,"
                )),
                "{error}"
            );
        }
    }
}
