//! Errors of the audit sinks.
//!
//! A record that cannot be written denies the request, and the administrator
//! then reads this error, so every message names the log file or socket and
//! carries the OS error.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// Why the audit log could not be opened or written.
#[derive(Debug)]
pub enum AuditError {
    /// The log file could not be opened or created.
    Open {
        /// The configured log path.
        path: PathBuf,
        /// The error from `open(2)`.
        source: io::Error,
    },
    /// The log path exists but is not a regular file, so appends to it
    /// would not be atomic (or could block, for a FIFO).
    NotRegularFile {
        /// The configured log path.
        path: PathBuf,
        /// What it is instead, e.g. `"directory"`.
        kind: &'static str,
    },
    /// The existing log file is not trusted (owner, mode or links).
    Untrusted {
        /// The configured log path.
        path: PathBuf,
        /// Why, e.g. "it is owned by uid 65534, ...".
        why: String,
    },
    /// `fstat(2)` on the opened log file failed.
    Stat {
        /// The configured log path.
        path: PathBuf,
        /// The error from `fstat(2)`.
        source: io::Error,
    },
    /// Setting the mode of a newly created log file failed.
    Chmod {
        /// The configured log path.
        path: PathBuf,
        /// The error from `fchmod(2)`.
        source: io::Error,
    },
    /// Writing a record to the log file failed.
    Write {
        /// The configured log path.
        path: PathBuf,
        /// The error from `write(2)`.
        source: io::Error,
    },
    /// The kernel accepted only part of a record, so the log now holds a
    /// partial line.
    ShortWrite {
        /// The configured log path.
        path: PathBuf,
        /// Bytes written.
        written: usize,
        /// Bytes in the record.
        expected: usize,
    },
    /// Where an appended record landed could not be read back, so whether
    /// it starts a line of its own is unknown.
    Placement {
        /// The configured log path.
        path: PathBuf,
        /// The error from `lseek(2)` or `pread(2)`.
        source: io::Error,
    },
    /// Every append of the record landed right after a record cut short.
    AfterFragments {
        /// The configured log path.
        path: PathBuf,
        /// How many times the record was appended.
        attempts: usize,
    },
    /// The system log socket could not be created or connected.
    Connect {
        /// The socket path, `/dev/log` outside tests.
        path: PathBuf,
        /// The error from `socket(2)` or `connect(2)`.
        source: io::Error,
    },
    /// Sending a record to the system log failed.
    Send {
        /// The socket path, `/dev/log` outside tests.
        path: PathBuf,
        /// The error from `send(2)`.
        source: io::Error,
    },
    /// The record could not be encoded as JSON.
    Encode {
        /// The log path or socket the record was meant for.
        path: PathBuf,
        /// The error from serde_json.
        source: serde_json::Error,
    },
}

/// A hint for errors whose OS text alone would puzzle an administrator.
fn open_hint(source: &io::Error) -> &'static str {
    match source.raw_os_error() {
        Some(libc::ELOOP) => " (the log path is a symlink, which is never followed)",
        // With O_NONBLOCK, open(2) fails with ENXIO on a FIFO nobody reads
        // and on a socket file.
        Some(libc::ENXIO) => " (the log path is a FIFO or socket, not a regular file)",
        _ => "",
    }
}

impl fmt::Display for AuditError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuditError::Open { path, source } => write!(
                f,
                "cannot open audit log {}: {source}{}",
                path.display(),
                open_hint(source)
            ),
            AuditError::NotRegularFile { path, kind } => write!(
                f,
                "cannot use audit log {}: it is a {kind}, not a regular file",
                path.display()
            ),
            AuditError::Untrusted { path, why } => {
                write!(f, "cannot use audit log {}: {why}", path.display())
            }
            AuditError::Stat { path, source } => {
                write!(f, "cannot stat audit log {}: {source}", path.display())
            }
            AuditError::Chmod { path, source } => write!(
                f,
                "cannot set mode 0600 on audit log {}: {source}",
                path.display()
            ),
            AuditError::Write { path, source } => {
                write!(f, "cannot write audit log {}: {source}", path.display())
            }
            AuditError::ShortWrite {
                path,
                written,
                expected,
            } => write!(
                f,
                "cannot write audit log {}: short write ({written} of {expected} bytes)",
                path.display()
            ),
            AuditError::Placement { path, source } => write!(
                f,
                "cannot check that the record in audit log {} starts a line: {source}",
                path.display()
            ),
            AuditError::AfterFragments { path, attempts } => write!(
                f,
                "cannot write audit log {}: each of {attempts} appends of the record landed after a record cut short",
                path.display()
            ),
            AuditError::Connect { path, source } => write!(
                f,
                "cannot connect to system log {}: {source}",
                path.display()
            ),
            AuditError::Send { path, source } => {
                write!(f, "cannot write to system log {}: {source}", path.display())
            }
            AuditError::Encode { path, source } => write!(
                f,
                "cannot encode audit record for {}: {source}",
                path.display()
            ),
        }
    }
}

impl std::error::Error for AuditError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            AuditError::Open { source, .. }
            | AuditError::Stat { source, .. }
            | AuditError::Chmod { source, .. }
            | AuditError::Write { source, .. }
            | AuditError::Placement { source, .. }
            | AuditError::Connect { source, .. }
            | AuditError::Send { source, .. } => Some(source),
            AuditError::Encode { source, .. } => Some(source),
            AuditError::NotRegularFile { .. }
            | AuditError::Untrusted { .. }
            | AuditError::ShortWrite { .. }
            | AuditError::AfterFragments { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_path_and_os_error() {
        let e = AuditError::Write {
            path: PathBuf::from("/var/log/x.log"),
            source: io::Error::from_raw_os_error(libc::EACCES),
        };
        assert_eq!(
            e.to_string(),
            "cannot write audit log /var/log/x.log: Permission denied (os error 13)"
        );
        let e = AuditError::Connect {
            path: PathBuf::from("/dev/log"),
            source: io::Error::from_raw_os_error(libc::ENOENT),
        };
        assert_eq!(
            e.to_string(),
            "cannot connect to system log /dev/log: No such file or directory (os error 2)"
        );
    }
}
