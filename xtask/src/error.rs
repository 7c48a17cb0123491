//! The ways an xtask can fail, each with enough context to act on.

use std::fmt;
use std::io;
use std::process::ExitStatus;

/// Everything `cargo xtask` can fail with.
#[derive(Debug)]
pub enum Error {
    /// The command line was not understood.
    Usage(String),
    /// A file-system or process operation failed.
    Io {
        /// What was being done, e.g. "create /tmp/x".
        what: String,
        /// The underlying error.
        source: io::Error,
    },
    /// A command ran but exited unsuccessfully.
    CommandFailed {
        /// The command line, as shown to the user.
        command: String,
        /// How it exited.
        status: ExitStatus,
    },
    /// A command did not finish in time and was killed.
    TimedOut {
        /// The command line, as shown to the user.
        command: String,
    },
    /// System tools the tests need are missing and could not be installed.
    MissingDependencies {
        /// The missing tools, by name or absolute path.
        missing: Vec<String>,
        /// What the user can do about it.
        hint: String,
    },
    /// The throwaway sshd did not come up.
    Sshd {
        /// Why it is considered failed.
        reason: String,
        /// sshd's own log, which usually says why.
        log: String,
    },
    /// The environment is not what the task needs (a file is missing, ...).
    Setup(String),
    /// A built artefact (the Debian package) is not what it should be.
    CheckFailed {
        /// What was checked.
        what: String,
        /// One line per unmet expectation.
        failures: Vec<String>,
    },
    /// The demo ran, but some steps did not turn out as expected.
    DemoFailed {
        /// One line per unmet expectation.
        failures: Vec<String>,
    },
}

impl Error {
    /// Wraps an `io::Error` with what was being attempted; for `map_err`.
    pub fn io(what: impl Into<String>) -> impl FnOnce(io::Error) -> Error {
        let what = what.into();
        move |source| Error::Io { what, source }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(msg) => write!(f, "{msg}"),
            Error::Io { what, source } => write!(f, "cannot {what}: {source}"),
            Error::CommandFailed { command, status } => {
                write!(f, "`{command}` failed ({status})")
            }
            Error::TimedOut { command } => write!(f, "`{command}` timed out and was killed"),
            Error::MissingDependencies { missing, hint } => write!(
                f,
                "missing system test dependencies: {}\n{hint}",
                missing.join(", ")
            ),
            Error::Sshd { reason, log } => write!(f, "sshd: {reason}\n--- sshd log ---\n{log}"),
            Error::Setup(msg) => write!(f, "{msg}"),
            Error::CheckFailed { what, failures } => {
                write!(f, "{what} is not as expected:")?;
                for failure in failures {
                    write!(f, "\n  - {failure}")?;
                }
                Ok(())
            }
            Error::DemoFailed { failures } => {
                write!(f, "the demo did not go as expected:")?;
                for failure in failures {
                    write!(f, "\n  - {failure}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
