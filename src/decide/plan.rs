//! The plan: plain data describing exactly what will be executed and how it
//! will be confined. `decide` produces it, `explain` prints it, and `sandbox`
//! applies it. Nothing here touches the kernel.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

/// Everything needed to confine and execute one allowed request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// Absolute path of the program, taken from the matched rule, never from `PATH`.
    pub program: PathBuf,
    /// The argument vector, `argv[0]` included.
    pub argv: Vec<String>,
    /// The complete environment of the command; nothing else is inherited.
    pub env: BTreeMap<String, String>,
    /// Working directory of the command.
    pub chdir: PathBuf,
    /// Landlock filesystem grants, in the order they were derived.
    pub filesystem: Vec<PathGrant>,
    /// Whether a layer the kernel cannot fully enforce stops the exec.
    pub compat: Compat,
    /// Every path that some rule of the profile may write, granted here or
    /// not. Nothing is granted by this list: the sandbox never follows a
    /// symlink beneath one of them, since another request may have planted
    /// it there.
    pub profile_writable: Vec<PathBuf>,
    /// Files the command must never be able to change: the policy it was
    /// decided by and its audit log. Nothing is granted by this list: the
    /// sandbox refuses a plan whose writable paths reach one of them.
    /// `decide` leaves it empty, since it does not know which file the
    /// policy came from; the caller fills it (see `gate::protect`).
    pub protected: Vec<PathBuf>,
}

/// One Landlock rule: a file or directory hierarchy and what may be done beneath it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PathGrant {
    /// Absolute path; it must exist when the sandbox is applied.
    pub path: PathBuf,
    /// Rights granted on the path (and beneath it, for a directory).
    pub access: Access,
    /// Why the plan contains this grant.
    pub origin: GrantOrigin,
}

/// The classes of filesystem rights a plan grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Access {
    /// Read files and list directories.
    Read,
    /// Read, plus create, write, rename, remove and truncate.
    ReadWrite,
    /// Read and execute a file (or files beneath a directory).
    Execute,
}

/// Where a grant came from, so `explain` and the audit record can say why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum GrantOrigin {
    /// The system base every plan gets (libraries, loader cache, `/dev/null`).
    SystemBase,
    /// The matched program itself.
    Program,
    /// The ELF interpreter or `#!` interpreter of the program.
    Interpreter,
    /// A `read`, `write` or `exec` entry of the policy.
    Policy,
}

/// How strictly the sandbox must be enforced.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Compat {
    /// Every layer must be fully enforced, or nothing is executed.
    #[default]
    Enforce,
    /// Run with whatever the kernel supports, and record what was skipped.
    BestEffort,
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Read => "read",
            Self::ReadWrite => "read-write",
            Self::Execute => "execute",
        })
    }
}

impl fmt::Display for GrantOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::SystemBase => "system-base",
            Self::Program => "program",
            Self::Interpreter => "interpreter",
            Self::Policy => "policy",
        })
    }
}

impl fmt::Display for Compat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Enforce => "enforce",
            Self::BestEffort => "best-effort",
        })
    }
}
