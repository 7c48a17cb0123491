//! The one error type of the sandbox: each variant is one step of
//! resolution or confinement, so the denial line and the audit record say
//! exactly which layer could not be applied.

use std::fmt::{self, Display, Formatter};
use std::io;
use std::path::PathBuf;

use nix::errno::Errno;

use super::capabilities::CapabilityError;
use super::identity::IdentityError;
use super::interpreter::InterpreterError;
use super::landlock::LandlockError;
use super::limits::LimitError;
use super::mounts::{MOUNTINFO, PlaceError};
use super::seccomp::SeccompError;

/// Why a plan could not be resolved or applied. Any of these means the
/// command must not be executed.
#[derive(Debug)]
pub enum SandboxError {
    /// A grant path is relative; it would be resolved against whatever the
    /// working directory happens to be.
    RelativePath {
        /// The offending path.
        path: PathBuf,
    },
    /// A grant path that is not part of the system base does not exist.
    MissingPath {
        /// The missing path.
        path: PathBuf,
    },
    /// A grant path exists but could not be opened with `O_PATH`.
    OpenPath {
        /// The path that could not be opened.
        path: PathBuf,
        /// What `open(2)` reported.
        source: io::Error,
    },
    /// A policy grant path goes through a symlink that someone other than
    /// root could have planted, so following it could widen the sandbox.
    UntrustedSymlink {
        /// The grant path as the policy wrote it.
        path: PathBuf,
        /// The symlink found on the way.
        link: PathBuf,
        /// Why the symlink is not trusted.
        why: String,
    },
    /// An `exec` grant lies beneath a `write` grant: the command could
    /// replace what it is allowed to execute.
    ExecBeneathWrite {
        /// The executable path.
        exec: PathBuf,
        /// The writable path above it.
        write: PathBuf,
    },
    /// A `write` grant lies at or beneath an `exec` grant (a directory):
    /// the command could upload a file and then execute it.
    WriteBeneathExec {
        /// The writable path.
        write: PathBuf,
        /// The executable directory above it.
        exec: PathBuf,
    },
    /// An executable file has other hard links and lies on the same
    /// filesystem as a writable directory: one of those links could be
    /// inside it, where a command could rewrite the file in place.
    ExecHardLinked {
        /// The executable file.
        exec: PathBuf,
        /// Its number of hard links.
        links: u64,
        /// A writable directory on the same filesystem.
        write: PathBuf,
        /// Whether `write` is not granted by this plan but may be written
        /// by another rule of the profile.
        by_another_rule: bool,
    },
    /// An executable (the program, a policy `exec` entry or an
    /// interpreter) could be changed by someone other than root or the
    /// invoking user, who could then choose what the command runs.
    UntrustedExecutable {
        /// The executable as the plan names it.
        path: PathBuf,
        /// Why it is not trusted, e.g. "owned by uid 65534, not by root or
        /// the invoking user (uid 0)".
        why: String,
    },
    /// The policy file or the audit log lies at or beneath a writable path:
    /// the command could change the policy it is decided by or erase the
    /// record of what it did.
    ProtectedBeneathWrite {
        /// The protected file, as the plan names it.
        file: PathBuf,
        /// The writable path above it.
        write: PathBuf,
    },
    /// The policy file or the audit log has more than one name, on a
    /// filesystem a writable directory reaches: another name could lie in
    /// the writable tree.
    ProtectedHardLinked {
        /// The protected file.
        file: PathBuf,
        /// How many links it has.
        links: u64,
        /// The writable path on the same filesystem.
        write: PathBuf,
    },
    /// The mount table could not be read; without it, whether a path lies
    /// beneath another cannot be decided.
    MountTable {
        /// What reading or parsing it reported.
        source: io::Error,
    },
    /// A walked file could not be placed in its filesystem: its mount is
    /// not in the mount table read at the start, or not where the walk met
    /// it.
    UnknownMount {
        /// The file, as the walk met it (free of symlinks).
        path: PathBuf,
        /// What went wrong.
        reason: PlaceError,
    },
    /// The plan's working directory does not exist.
    MissingChdir {
        /// The working directory.
        path: PathBuf,
    },
    /// The plan's working directory goes through a symlink that someone
    /// other than root could have planted.
    UntrustedChdir {
        /// The working directory as the plan names it.
        path: PathBuf,
        /// The symlink found on the way.
        link: PathBuf,
        /// Why the symlink is not trusted.
        why: String,
    },
    /// The plan's working directory exists but could not be opened as a
    /// directory.
    OpenChdir {
        /// The working directory.
        path: PathBuf,
        /// What went wrong.
        source: io::Error,
    },
    /// The kernel lacks Landlock features the default sandbox relies on,
    /// and the plan says `compat = "enforce"`.
    KernelTooOld {
        /// The kernel's Landlock ABI; `None` without Landlock.
        abi: Option<u32>,
        /// What is missing.
        missing: Vec<String>,
    },
    /// The interpreters the program needs could not be determined.
    Interpreter(InterpreterError),
    /// The capabilities could not all be dropped, or some read back after
    /// being dropped.
    Capabilities(CapabilityError),
    /// `setrlimit(RLIMIT_CORE, 0)` failed.
    CoreLimit(Errno),
    /// The switch to the plan's user and groups failed.
    Identity(IdentityError),
    /// A resource limit of the plan could not be set.
    Limit(LimitError),
    /// The seccomp filter could not be compiled or installed.
    Seccomp(SeccompError),
    /// `fchdir(2)` to the plan's working directory, opened by
    /// [`resolve`](super::resolve()), failed.
    Chdir {
        /// The plan's working directory.
        path: PathBuf,
        /// What `fchdir(2)` reported.
        source: Errno,
    },
    /// `prctl(PR_SET_NO_NEW_PRIVS)` or `prctl(PR_GET_NO_NEW_PRIVS)` failed.
    NoNewPrivs(Errno),
    /// `PR_SET_NO_NEW_PRIVS` reported success but the flag reads back unset.
    NoNewPrivsNotSet,
    /// The Landlock ruleset (filesystem, network and scopes) could not be
    /// applied as required.
    Landlock(LandlockError),
}

impl Display for SandboxError {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Self::RelativePath { path } => {
                write!(f, "grant path {} is not absolute", path.display())
            }
            Self::MissingPath { path } => {
                write!(f, "grant path {} does not exist", path.display())
            }
            Self::OpenPath { path, source } => {
                write!(f, "cannot open grant path {}: {source}", path.display())
            }
            Self::UntrustedSymlink { path, link, why } => write!(
                f,
                "grant path {} goes through symlink {}, which {why}; write the real path",
                path.display(),
                link.display()
            ),
            Self::ExecBeneathWrite { exec, write } => write!(
                f,
                "executable {} is beneath writable {}: the command could replace what it may execute",
                exec.display(),
                write.display()
            ),
            Self::WriteBeneathExec { write, exec } => write!(
                f,
                "writable {} is beneath executable {}: the command could execute what it uploads",
                write.display(),
                exec.display()
            ),
            Self::ExecHardLinked {
                exec,
                links,
                write,
                by_another_rule: false,
            } => write!(
                f,
                "executable {} has {links} hard links and is on the same filesystem as writable {}: \
                 the command could rewrite it through another link",
                exec.display(),
                write.display()
            ),
            Self::ExecHardLinked {
                exec,
                links,
                write,
                by_another_rule: true,
            } => write!(
                f,
                "executable {} has {links} hard links and is on the same filesystem as {}, a path \
                 the profile may write: a command of the profile could rewrite it through another \
                 link",
                exec.display(),
                write.display()
            ),
            Self::UntrustedExecutable { path, why } => {
                write!(f, "executable {} is {why}", path.display())
            }
            Self::ProtectedHardLinked { file, links, write } => write!(
                f,
                "{} has {links} hard links and is on the same filesystem as writable {}: \
                 another name could let the command change its own policy or audit records",
                file.display(),
                write.display()
            ),
            Self::ProtectedBeneathWrite { file, write } => write!(
                f,
                "{} is beneath writable {}: the command could change its own policy or audit records",
                file.display(),
                write.display()
            ),
            Self::MountTable { source } => write!(
                f,
                "cannot read the mount table {MOUNTINFO}: {source}; without it, whether a path lies \
                 beneath a writable or executable one cannot be decided"
            ),
            Self::UnknownMount { path, reason } => write!(
                f,
                "cannot tell where {} lies in its filesystem: {reason}",
                path.display()
            ),
            Self::MissingChdir { path } => write!(
                f,
                "chdir {} does not exist (the policy's `chdir`, or the home directory of the account when it sets none)",
                path.display()
            ),
            Self::UntrustedChdir { path, link, why } => write!(
                f,
                "chdir {} goes through symlink {}, which {why}; write the real path",
                path.display(),
                link.display()
            ),
            Self::OpenChdir { path, source } => {
                write!(f, "cannot open chdir {}: {source}", path.display())
            }
            Self::KernelTooOld { abi, missing } => {
                match abi {
                    Some(abi) => write!(f, "the kernel's Landlock ABI is {abi}")?,
                    None => f.write_str(
                        "Landlock is unavailable (a kernel before 5.13, or one booted without landlock in lsm=)",
                    )?,
                }
                write!(
                    f,
                    ", without {}; compat = \"enforce\" needs ABI {} (Linux 6.12 or later), \
                     or set compat = \"best-effort\" to run without them, recorded in the log",
                    missing.join(", "),
                    super::REQUIRED_LANDLOCK_ABI
                )
            }
            Self::Interpreter(e) => write!(f, "cannot determine interpreters: {e}"),
            Self::Capabilities(e) => write!(f, "cannot drop capabilities: {e}"),
            Self::CoreLimit(e) => write!(f, "cannot set RLIMIT_CORE to 0: {e}"),
            Self::Identity(e) => write!(f, "cannot switch user: {e}"),
            Self::Limit(e) => write!(f, "cannot set resource limits: {e}"),
            Self::Seccomp(e) => write!(f, "cannot apply the seccomp filter: {e}"),
            Self::Chdir { path, source } => {
                write!(f, "chdir to {} failed: {source}", path.display())
            }
            Self::NoNewPrivs(e) => write!(f, "cannot set no_new_privs: {e}"),
            Self::NoNewPrivsNotSet => {
                write!(f, "cannot set no_new_privs: it reads back unset")
            }
            Self::Landlock(e) => write!(f, "cannot apply Landlock: {e}"),
        }
    }
}

impl std::error::Error for SandboxError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::OpenPath { source, .. }
            | Self::OpenChdir { source, .. }
            | Self::MountTable { source } => Some(source),
            Self::UnknownMount { reason, .. } => Some(reason),
            Self::Interpreter(e) => Some(e),
            Self::Capabilities(e) => Some(e),
            Self::Identity(e) => Some(e),
            Self::Limit(e) => Some(e),
            Self::Seccomp(e) => Some(e),
            Self::CoreLimit(e) | Self::NoNewPrivs(e) | Self::Chdir { source: e, .. } => Some(e),
            Self::Landlock(e) => Some(e),
            Self::RelativePath { .. }
            | Self::MissingPath { .. }
            | Self::UntrustedSymlink { .. }
            | Self::ExecBeneathWrite { .. }
            | Self::WriteBeneathExec { .. }
            | Self::ExecHardLinked { .. }
            | Self::UntrustedExecutable { .. }
            | Self::ProtectedBeneathWrite { .. }
            | Self::MissingChdir { .. }
            | Self::UntrustedChdir { .. }
            | Self::KernelTooOld { .. }
            | Self::ProtectedHardLinked { .. }
            | Self::NoNewPrivsNotSet => None,
        }
    }
}

impl From<InterpreterError> for SandboxError {
    fn from(e: InterpreterError) -> Self {
        Self::Interpreter(e)
    }
}

impl From<CapabilityError> for SandboxError {
    fn from(e: CapabilityError) -> Self {
        Self::Capabilities(e)
    }
}

impl From<LandlockError> for SandboxError {
    fn from(e: LandlockError) -> Self {
        Self::Landlock(e)
    }
}

impl From<IdentityError> for SandboxError {
    fn from(e: IdentityError) -> Self {
        Self::Identity(e)
    }
}

impl From<LimitError> for SandboxError {
    fn from(e: LimitError) -> Self {
        Self::Limit(e)
    }
}

impl From<SeccompError> for SandboxError {
    fn from(e: SeccompError) -> Self {
        Self::Seccomp(e)
    }
}
