//! [`InstallError`]: why install-key refused or failed, the message that
//! says what to do about it, and the exit status it maps to.

use std::fmt::{self, Display, Formatter};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::audit::escape_control;
use crate::exit;
use crate::policy::PolicyError;
use crate::request::{AccountError, RequestError};

/// Why install-key refused or failed; each says what to do about it.
#[derive(Debug)]
pub enum InstallError {
    /// The public key could not be read.
    ReadKey {
        /// Where it was read from, as shown to the user.
        origin: String,
        /// What the read reported.
        source: io::Error,
    },
    /// The public key is not one key line sshd could read.
    BadKey {
        /// Where it was read from, as shown to the user.
        origin: String,
        /// What is wrong with it, and what to do.
        problem: String,
    },
    /// The authorized_keys file already holds the key.
    KeyPresent {
        /// The file.
        file: PathBuf,
        /// The line holding the key, from 1.
        line: usize,
        /// That line's `command=`, if any.
        command: Option<String>,
        /// Why sshd ignores that line, if it does.
        ignored: Option<String>,
    },
    /// The profile name could not name a file in the policy directory.
    ProfileName(PolicyError),
    /// The profile's file does not exist.
    NoProfile {
        /// The profile name.
        name: String,
        /// The file it would be.
        file: PathBuf,
        /// The profiles the directory has, or why it could not be listed.
        available: Result<Vec<String>, io::Error>,
    },
    /// `sshgate lint` finds errors in the profile.
    LintErrors {
        /// The profile's file.
        file: PathBuf,
        /// The error findings, as lint prints them.
        findings: Vec<String>,
    },
    /// The profile's `keys` would deny every request with this key.
    KeyNotAllowed {
        /// The profile's file.
        file: PathBuf,
        /// The `--key` name, if one was given.
        key: Option<String>,
        /// The profile's `keys`.
        allowed: Vec<String>,
    },
    /// The sshgate program cannot go into `command=`.
    Sshgate {
        /// The program.
        path: PathBuf,
        /// Why not.
        problem: String,
    },
    /// A path cannot be written into the line (not UTF-8, or control
    /// characters).
    Unwritable {
        /// What the path is, e.g. "the policy directory".
        what: &'static str,
        /// The path.
        path: PathBuf,
    },
    /// The invoking user could not be looked up.
    InvokingUser(RequestError),
    /// The `--user` account could not be looked up.
    Account(AccountError),
    /// Only root may install a key for another account.
    OtherUserNeedsRoot {
        /// The account named with `--user`.
        user: String,
    },
    /// The account's passwd entry has no absolute home directory.
    NoHome {
        /// The account.
        user: String,
    },
    /// The authorized_keys file, or its directory, is a symbolic link.
    Symlink {
        /// The link.
        path: PathBuf,
        /// Where it points, when that could be read.
        target: Option<PathBuf>,
        /// What the link is in place of: "file" or "directory".
        what: &'static str,
    },
    /// The authorized_keys path is something other than a regular file.
    NotRegular {
        /// The path.
        path: PathBuf,
    },
    /// The authorized_keys path names no file (e.g. `/`).
    NoFileName {
        /// The path.
        path: PathBuf,
    },
    /// Reading or writing failed.
    Io {
        /// What was being done, e.g. "cannot read".
        action: String,
        /// The path it was done to.
        path: PathBuf,
        /// What the system reported.
        source: io::Error,
    },
    /// The file changed between reading and replacing it.
    Changed {
        /// The file.
        path: PathBuf,
    },
}

impl InstallError {
    /// The exit status for this error: [`exit::IO`] when the system failed
    /// us, [`exit::NEGATIVE`] when install-key refused.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::ReadKey { .. } | Self::Io { .. } | Self::Changed { .. } => exit::IO,
            Self::InvokingUser(_) => exit::IO,
            Self::Account(AccountError::Absent { .. }) => exit::NEGATIVE,
            Self::Account(_) => exit::IO,
            _ => exit::NEGATIVE,
        }
    }

    /// An [`InstallError::Io`]: `action` failed on `path`.
    pub(super) fn io(action: impl Into<String>, path: &Path, source: impl Into<io::Error>) -> Self {
        Self::Io {
            action: action.into(),
            path: path.to_path_buf(),
            source: source.into(),
        }
    }
}

impl Display for InstallError {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Self::ReadKey { origin, source } => {
                write!(f, "cannot read the public key from {origin}: {source}")
            }
            Self::BadKey { origin, problem } => write!(f, "{origin}: {problem}"),
            Self::KeyPresent {
                file,
                line,
                command,
                ignored,
            } => {
                write!(f, "{}:{line}: this key is already there", file.display())?;
                match (ignored, command) {
                    (Some(reason), _) => write!(
                        f,
                        ", on a line sshd ignores ({}); fix or remove that line, then run \
                         install-key again",
                        escape_control(reason.as_bytes())
                    ),
                    (None, Some(command)) => write!(
                        f,
                        " with command=\"{}\"; a key is installed once: edit or remove that \
                         line to wire it differently",
                        escape_control(command.as_bytes())
                    ),
                    (None, None) => write!(
                        f,
                        " without command=, so it logs in unrestricted; remove that line, then \
                         run install-key again"
                    ),
                }
            }
            Self::ProfileName(error) => write!(f, "{error}"),
            Self::NoProfile {
                name,
                file,
                available,
            } => {
                write!(
                    f,
                    "profile {name:?} does not exist: there is no {}",
                    file.display()
                )?;
                match available {
                    Ok(names) if names.is_empty() => {
                        write!(f, " (the directory has no *.toml profiles)")?
                    }
                    Ok(names) => write!(f, " (profiles there: {})", names.join(", "))?,
                    Err(error) => write!(f, " (cannot list the directory: {error})")?,
                }
                write!(
                    f,
                    "; write the policy first, or name its directory with --policy-dir"
                )
            }
            Self::LintErrors { file, findings } => {
                write!(
                    f,
                    "profile {} has lint errors, so the gate would deny every request; fix \
                     them first (`sshgate lint {}`):",
                    file.display(),
                    file.display()
                )?;
                for finding in findings {
                    write!(f, "\n  {finding}")?;
                }
                Ok(())
            }
            Self::KeyNotAllowed { file, key, allowed } => {
                let allowed = if allowed.is_empty() {
                    "an empty list".to_owned()
                } else {
                    allowed.join(", ")
                };
                match key {
                    None => write!(
                        f,
                        "profile {} restricts `keys` ({allowed}), and a line without --key is \
                         denied every request; name the key with --key",
                        file.display()
                    ),
                    Some(key) => write!(
                        f,
                        "key {key:?} is not in the `keys` of profile {} ({allowed}), so every \
                         request with it would be denied; add it to `keys` there, or use one \
                         of those names",
                        file.display()
                    ),
                }
            }
            Self::Sshgate { path, problem } => write!(
                f,
                "cannot put {} in command=: {problem}; name the installed sshgate with \
                 --sshgate /ABSOLUTE/PATH",
                path.display()
            ),
            Self::Unwritable { what, path } => write!(
                f,
                "{what} {} cannot be written into an authorized_keys line (it is not UTF-8 or \
                 holds control characters); use a plainer path",
                escape_control(path.as_os_str().as_bytes())
            ),
            Self::InvokingUser(error) => write!(f, "{error}"),
            Self::Account(error) => write!(f, "{error}; check the name given with --user"),
            Self::OtherUserNeedsRoot { user } => write!(
                f,
                "only root can install a key for another account ({user:?}); run install-key \
                 as root, or as {user:?}"
            ),
            Self::NoHome { user } => write!(
                f,
                "user {user:?} has no absolute home directory in its passwd entry; name the \
                 file with --authorized-keys"
            ),
            Self::Symlink { path, target, what } => {
                write!(f, "{} is a symbolic link", path.display())?;
                if let Some(target) = target {
                    write!(f, " (to {})", target.display())?;
                }
                write!(
                    f,
                    "; install-key does not write through a symlinked {what}, which could \
                     point anywhere: name the real file with --authorized-keys"
                )
            }
            Self::NotRegular { path } => write!(
                f,
                "{} is not a regular file; name the authorized_keys file with --authorized-keys",
                path.display()
            ),
            Self::NoFileName { path } => write!(
                f,
                "--authorized-keys {} does not name a file",
                path.display()
            ),
            Self::Io {
                action,
                path,
                source,
            } => write!(f, "{action} {}: {source}", path.display()),
            Self::Changed { path } => write!(
                f,
                "{} changed while install-key was editing it; nothing was written, run \
                 install-key again",
                path.display()
            ),
        }
    }
}

impl std::error::Error for InstallError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::ReadKey { source, .. } | Self::Io { source, .. } => Some(source),
            Self::ProfileName(error) => Some(error),
            Self::InvokingUser(error) => Some(error),
            Self::Account(error) => Some(error),
            _ => None,
        }
    }
}
