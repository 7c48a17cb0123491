//! The plan: plain data describing exactly what will be executed and how it
//! will be confined. `decide` produces it, `explain` prints it, and `sandbox`
//! applies it. Nothing here touches the kernel.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

use super::tool::ToolRequest;
use crate::policy::{CapabilityName, Network, SyscallName};

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
    /// `decide` takes the policy's real location from the loaded policy.
    pub protected: Vec<PathBuf>,
    /// Socket access: Landlock limits TCP ports, seccomp limits which
    /// socket families may be created.
    pub network: Network,
    /// Whether `socket(AF_UNIX, ...)` is allowed although `network` would
    /// refuse it (the sandbox's `unix = true`).
    pub unix_sockets: bool,
    /// Capabilities the command keeps; every other one is dropped from
    /// every set. Empty by default.
    pub capabilities: Vec<CapabilityName>,
    /// The account to become before the exec; `None` keeps the invoking
    /// user.
    pub identity: Option<Identity>,
    /// Resource limits set (soft and hard) before the exec. `RLIMIT_CORE`
    /// is always 0 and is not listed here.
    pub rlimits: Vec<ResourceLimit>,
    /// The file mode creation mask of the command.
    pub umask: u32,
    /// Syscalls refused in addition to the default deny-list.
    pub deny_syscalls: Vec<SyscallName>,
    /// Whether the command may change file modes, owners, times, extended
    /// attributes and inode flags (the sandbox's `metadata = true`).
    /// Landlock cannot limit these to the grants, so seccomp refuses them
    /// by default.
    pub metadata: bool,
    /// For a tool rule, the request as the tool's parser understood it.
    /// In learn mode, also what a tool parser made of an unmatched
    /// request, for the record only: nothing is granted from it.
    pub tool: Option<ToolRequest>,
    /// Whether the profile is learning, and whether a rule matched.
    pub learning: Learning,
    /// The profile's `max_concurrent`: the session must hold one of its
    /// lock slots, and keeps it across the exec.
    pub sessions: Option<SessionLimit>,
}

/// A profile's limit on sessions running at once, as lock files: a
/// session holds an exclusive `flock(2)` on one of `max` files, and the
/// command inherits it, so the slot is free again only when the command
/// (and every child it left running) has exited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionLimit {
    /// `max_concurrent`: how many slots there are.
    pub max: u32,
    /// `wait`: how long to keep trying for a free slot, in milliseconds;
    /// 0 denies at once.
    pub wait_ms: u64,
    /// The directory of the lock files: one per invoking account, so an
    /// account can never hold another's slots.
    pub directory: PathBuf,
    /// The lock files' common stem, naming the policy file; slot `n` is
    /// `<directory>/<stem>.<n>.lock`.
    pub stem: String,
}

impl SessionLimit {
    /// The lock file of slot `slot`.
    pub fn lock_file_name(&self, slot: u32) -> String {
        format!("{}.{slot}.lock", self.stem)
    }
}

/// How a plan relates to learn mode, for the audit record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Learning {
    /// The profile enforces its rules.
    #[default]
    Off,
    /// The profile is learning, and a rule allowed the request.
    Matched,
    /// The profile is learning, and no rule allowed the request: it runs
    /// the client's own program under the profile's sandbox.
    Unmatched,
}

impl Learning {
    /// Whether the record says `"learning": true`.
    pub fn is_learning(self) -> bool {
        self != Self::Off
    }
}

/// The account a command runs as, resolved through NSS before deciding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Identity {
    /// Login name.
    pub user: String,
    /// User id (real, effective and saved).
    pub uid: u32,
    /// Primary group id (real, effective and saved).
    pub gid: u32,
    /// Supplementary groups, as `initgroups(3)` would set them.
    pub groups: Vec<u32>,
}

/// One `setrlimit(2)` applied to both the soft and the hard limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ResourceLimit {
    /// Which limit.
    pub resource: LimitKind,
    /// Its value; `None` means `RLIM_INFINITY`.
    pub value: Option<u64>,
}

/// The resource limits a policy can set (the keys of `rlimits`).
///
/// Adding one takes an edit in each of these places; the build or the
/// tests catch a missing one, but no single table drives them, because the
/// policy schema must keep a typed field (count or bytes) per key for
/// strict parsing and precise error locations:
///
/// - a variant here, and its key in [`LimitKind::key`];
/// - a field of [`crate::policy::Rlimits`] (a `Count` or `Bytes`), and
///   its entry in `Rlimits::limits`, which names every field;
/// - its `RLIMIT_*` in `resource()` of `sandbox/limits.rs`;
/// - the `rlimits` row of the sandbox table in README.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LimitKind {
    /// `RLIMIT_NOFILE`: open files.
    Nofile,
    /// `RLIMIT_NPROC`: processes of the user.
    Nproc,
    /// `RLIMIT_CPU`: CPU seconds.
    Cpu,
    /// `RLIMIT_FSIZE`: largest file written, in bytes.
    Fsize,
    /// `RLIMIT_AS`: address space, in bytes.
    As,
    /// `RLIMIT_DATA`: data segment, in bytes.
    Data,
    /// `RLIMIT_STACK`: stack, in bytes.
    Stack,
    /// `RLIMIT_MEMLOCK`: locked memory, in bytes.
    Memlock,
}

impl LimitKind {
    /// The key in the policy's `rlimits` table.
    pub fn key(self) -> &'static str {
        match self {
            Self::Nofile => "nofile",
            Self::Nproc => "nproc",
            Self::Cpu => "cpu",
            Self::Fsize => "fsize",
            Self::As => "as",
            Self::Data => "data",
            Self::Stack => "stack",
            Self::Memlock => "memlock",
        }
    }
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
    /// Derived by a tool rule from its table's paths.
    Tool,
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
            Self::Tool => "tool-rule",
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
