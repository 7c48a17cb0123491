//! Landlock filesystem confinement: handle every filesystem right the
//! running kernel knows, allow only what the plan grants.
//!
//! "Every right the kernel knows" is computed, not assumed. The rights are
//! those of the running ABI as the `landlock` crate names them, and before
//! restricting, the kernel is asked directly (one `landlock_create_ruleset`
//! probe per right bit) whether it knows any right beyond them, which a
//! kernel newer than the crate would. Such a right could not be handled, so
//! it would stay allowed everywhere; the ruleset then counts as partially
//! enforced.
//!
//! Handling rights from the *running* ABI, rather than asking the crate for
//! the newest ABI it knows in best-effort mode, is what lets a fully handled
//! ruleset report [`Enforcement::FullyEnforced`]: the crate marks a request
//! for rights the kernel lacks as partially enforced, which would make
//! `compat = "enforce"` fail on every kernel older than the crate.

use std::fmt::{self, Display, Formatter};
use std::io;
use std::os::fd::{FromRawFd, OwnedFd};

use landlock::{
    ABI, Access as _, AccessFs, BitFlags, CompatLevel, Compatible, PathBeneath, Ruleset,
    RulesetAttr, RulesetCreatedAttr, RulesetError, RulesetStatus, make_bitflags,
};

use super::SandboxError;
use super::resolve::Resolved;
use crate::decide::plan::{Access, Compat};

/// `LANDLOCK_CREATE_RULESET_VERSION`: ask `landlock_create_ruleset` for the
/// ABI version instead of creating a ruleset.
const LANDLOCK_CREATE_RULESET_VERSION: libc::c_uint = 1;

/// How much of the requested Landlock confinement is in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enforcement {
    /// Every filesystem right the kernel knows is handled and every rule
    /// was added as requested.
    FullyEnforced,
    /// A ruleset is in force, but some right or rule could not be applied.
    PartiallyEnforced,
    /// No Landlock ruleset is in force.
    NotEnforced,
}

impl Enforcement {
    /// The status as written in the audit record.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FullyEnforced => "fully-enforced",
            Self::PartiallyEnforced => "partially-enforced",
            Self::NotEnforced => "not-enforced",
        }
    }
}

impl Display for Enforcement {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What [`restrict_filesystem`] applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LandlockStatus {
    /// The running kernel's Landlock ABI version, or `None` when Landlock is
    /// not built in or disabled at boot.
    pub abi: Option<u32>,
    /// How much of the ruleset is in force.
    pub enforcement: Enforcement,
}

/// Why Landlock could not be applied as the plan requires.
#[derive(Debug)]
pub enum LandlockError {
    /// The plan requires enforcement but the kernel has no Landlock.
    Unsupported {
        /// Why, as reported by the version query (`ENOSYS` or `EOPNOTSUPP`).
        source: io::Error,
    },
    /// Asking the kernel for its ABI version or its rights failed in an
    /// unexpected way.
    Query(io::Error),
    /// The kernel knows filesystem rights this build cannot name, so they
    /// would stay allowed; with `compat = "enforce"` that is refused.
    UnhandledRights {
        /// The kernel's ABI version.
        abi: u32,
        /// The bits of the rights the ruleset cannot handle.
        rights: u64,
    },
    /// Building or enforcing the ruleset failed.
    Ruleset(RulesetError),
    /// The ruleset is in force but not fully; the plan requires it to be.
    /// The calling thread is already restricted; it must not exec.
    NotFullyEnforced(Enforcement),
}

impl Display for LandlockError {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unsupported { source } => {
                write!(f, "the kernel does not support Landlock ({source})")
            }
            Self::Query(e) => write!(f, "cannot query the kernel's Landlock support: {e}"),
            Self::UnhandledRights { abi, rights } => write!(
                f,
                "the kernel's Landlock ABI {abi} has filesystem rights {rights:#x} \
                 that this build cannot handle"
            ),
            Self::Ruleset(e) => write!(f, "{e}"),
            Self::NotFullyEnforced(status) => {
                write!(
                    f,
                    "the ruleset is {status}, and the policy requires full enforcement"
                )
            }
        }
    }
}

impl std::error::Error for LandlockError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Unsupported { source } | Self::Query(source) => Some(source),
            Self::Ruleset(e) => Some(e),
            Self::UnhandledRights { .. } | Self::NotFullyEnforced(_) => None,
        }
    }
}

impl From<RulesetError> for LandlockError {
    fn from(e: RulesetError) -> Self {
        Self::Ruleset(e)
    }
}

/// Restricts the calling thread (and what it executes) to the resolved
/// grants.
///
/// With [`Compat::Enforce`], anything short of full enforcement is an error;
/// the error may come after the thread is already restricted, which is safe
/// because the caller then does not exec. With [`Compat::BestEffort`], the
/// returned status says what is in force, for the audit record.
pub fn restrict_filesystem(
    resolved: &Resolved,
    compat: Compat,
) -> Result<LandlockStatus, SandboxError> {
    let Some(abi_version) = running_abi(compat)? else {
        return Ok(LandlockStatus {
            abi: None,
            enforcement: Enforcement::NotEnforced,
        });
    };
    // The crate maps a kernel newer than itself to the newest ABI it knows;
    // the probe below catches the rights that mapping loses.
    let abi = ABI::from(i32::try_from(abi_version).unwrap_or(i32::MAX));
    let handled = handled_rights(abi);
    let unhandled = kernel_filesystem_rights()? & !handled.bits();
    if unhandled != 0 && compat == Compat::Enforce {
        return Err(LandlockError::UnhandledRights {
            abi: abi_version,
            rights: unhandled,
        }
        .into());
    }

    let ruleset_status = enforce_ruleset(resolved, abi, handled, compat)?;
    let enforcement = match ruleset_status {
        RulesetStatus::FullyEnforced if unhandled == 0 => Enforcement::FullyEnforced,
        RulesetStatus::FullyEnforced | RulesetStatus::PartiallyEnforced => {
            Enforcement::PartiallyEnforced
        }
        RulesetStatus::NotEnforced => Enforcement::NotEnforced,
    };
    if compat == Compat::Enforce && enforcement != Enforcement::FullyEnforced {
        return Err(LandlockError::NotFullyEnforced(enforcement).into());
    }
    Ok(LandlockStatus {
        abi: Some(abi_version),
        enforcement,
    })
}

/// The running ABI, `None` if the kernel has no Landlock and the plan
/// tolerates that.
fn running_abi(compat: Compat) -> Result<Option<u32>, LandlockError> {
    match landlock_abi() {
        Ok(abi) => Ok(Some(abi)),
        Err(LandlockError::Unsupported { .. }) if compat == Compat::BestEffort => Ok(None),
        Err(e) => Err(e),
    }
}

/// Creates the ruleset, adds one rule per opened grant and enforces it on
/// the calling thread. Returns the crate's view of the result.
fn enforce_ruleset(
    resolved: &Resolved,
    abi: ABI,
    handled: BitFlags<AccessFs>,
    compat: Compat,
) -> Result<RulesetStatus, LandlockError> {
    // Under enforce, a right or rule the kernel cannot take fails the build
    // before anything is restricted, instead of being dropped silently.
    let level = match compat {
        Compat::Enforce => CompatLevel::HardRequirement,
        Compat::BestEffort => CompatLevel::BestEffort,
    };
    let mut ruleset = Ruleset::default()
        .set_compatibility(level)
        .handle_access(handled)?
        .create()?;
    for grant in resolved.opened() {
        let rights = granted_rights(grant.access, abi, grant.is_dir);
        ruleset = ruleset.add_rule(PathBeneath::new(&grant.fd, rights))?;
    }
    // restrict_self() also sets no_new_privs, which confine() has already
    // set and verified; setting it twice is harmless.
    Ok(ruleset.restrict_self()?.ruleset)
}

/// Queries the running kernel's Landlock ABI version.
///
/// Returns [`LandlockError::Unsupported`] when Landlock is not built in
/// (`ENOSYS`) or disabled at boot (`EOPNOTSUPP`).
pub fn landlock_abi() -> Result<u32, LandlockError> {
    // SAFETY: with a NULL attribute, a size of 0 and the VERSION flag, the
    // kernel reads no memory and returns the ABI version or -1 with errno.
    let version = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<libc::c_void>(),
            0 as libc::size_t,
            LANDLOCK_CREATE_RULESET_VERSION,
        )
    };
    if version >= 1 {
        return u32::try_from(version)
            .map_err(|_| LandlockError::Query(io::Error::from_raw_os_error(libc::ERANGE)));
    }
    let error = io::Error::last_os_error();
    match error.raw_os_error() {
        Some(libc::ENOSYS | libc::EOPNOTSUPP) => Err(LandlockError::Unsupported { source: error }),
        _ => Err(LandlockError::Query(error)),
    }
}

/// The filesystem rights the kernel accepts in a ruleset, found by creating
/// (and closing) a ruleset that handles each single right bit: the kernel
/// rejects a bit it does not know with `EINVAL`.
pub fn kernel_filesystem_rights() -> Result<u64, LandlockError> {
    let mut known = 0;
    for bit in 0..u64::BITS {
        let right = 1u64 << bit;
        if ruleset_accepts(right)? {
            known |= right;
        }
    }
    Ok(known)
}

/// Whether the kernel accepts a ruleset handling exactly `handled_access_fs`.
fn ruleset_accepts(handled_access_fs: u64) -> Result<bool, LandlockError> {
    // The first field of `struct landlock_ruleset_attr`; the kernel accepts
    // any size from the end of this field and zero-fills the rest.
    #[repr(C)]
    struct RulesetAttrFs {
        handled_access_fs: u64,
    }
    let attr = RulesetAttrFs { handled_access_fs };
    // SAFETY: `attr` is a live, properly aligned struct of the size passed.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            &attr as *const RulesetAttrFs,
            std::mem::size_of::<RulesetAttrFs>(),
            0 as libc::c_uint,
        )
    };
    if fd >= 0 {
        let fd = libc::c_int::try_from(fd)
            .map_err(|_| LandlockError::Query(io::Error::from_raw_os_error(libc::EBADF)))?;
        // SAFETY: the kernel just returned this descriptor and nothing else
        // owns it; dropping the OwnedFd closes it.
        drop(unsafe { OwnedFd::from_raw_fd(fd) });
        return Ok(true);
    }
    let error = io::Error::last_os_error();
    match error.raw_os_error() {
        Some(libc::EINVAL) => Ok(false),
        _ => Err(LandlockError::Query(error)),
    }
}

/// Every filesystem right `abi` defines: all of them are handled, so
/// whatever a rule does not grant is denied.
pub fn handled_rights(abi: ABI) -> BitFlags<AccessFs> {
    AccessFs::from_all(abi)
}

/// The Landlock rights one grant confers, for a directory (rights apply to
/// everything beneath it) or a single file.
///
/// - Read: read files and list directories, never execute.
/// - ReadWrite: every right except Execute (write, create, remove, rename
///   across directories, truncate, device ioctls, ...).
/// - Execute: read and execute files.
///
/// The kernel rejects directory-only rights on a rule for a file, so a file
/// grant keeps only the rights that apply to files.
pub fn granted_rights(access: Access, abi: ABI, is_dir: bool) -> BitFlags<AccessFs> {
    let rights = match access {
        Access::Read => AccessFs::from_read(abi) & !AccessFs::Execute,
        Access::ReadWrite => AccessFs::from_all(abi) & !AccessFs::Execute,
        Access::Execute => make_bitflags!(AccessFs::{ReadFile | Execute}),
    };
    if is_dir {
        rights
    } else {
        rights & AccessFs::from_file(abi)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_never_executes_and_file_rules_keep_file_rights() {
        let abi = ABI::V7;
        let read_dir = granted_rights(Access::Read, abi, true);
        assert_eq!(read_dir, AccessFs::ReadFile | AccessFs::ReadDir);
        assert_eq!(granted_rights(Access::Read, abi, false), AccessFs::ReadFile);

        let rw_dir = granted_rights(Access::ReadWrite, abi, true);
        assert!(!rw_dir.contains(AccessFs::Execute));
        assert_eq!(rw_dir | AccessFs::Execute, AccessFs::from_all(abi));
        assert_eq!(
            granted_rights(Access::ReadWrite, abi, false),
            AccessFs::ReadFile | AccessFs::WriteFile | AccessFs::Truncate | AccessFs::IoctlDev
        );

        for is_dir in [true, false] {
            assert_eq!(
                granted_rights(Access::Execute, abi, is_dir),
                AccessFs::ReadFile | AccessFs::Execute
            );
        }
    }

    #[test]
    fn grants_never_exceed_the_handled_rights() {
        for abi in [ABI::V1, ABI::V3, ABI::V5, ABI::V7, ABI::V10] {
            for access in [Access::Read, Access::ReadWrite, Access::Execute] {
                for is_dir in [true, false] {
                    let rights = granted_rights(access, abi, is_dir);
                    assert!(!rights.is_empty());
                    assert!(handled_rights(abi).contains(rights));
                }
            }
        }
    }

    /// The ruleset handles exactly the rights the running kernel knows.
    #[test]
    fn handles_every_right_of_the_running_kernel() {
        let abi_version = match landlock_abi() {
            Ok(abi) => abi,
            Err(e) => {
                eprintln!("skipped: {e}");
                return;
            }
        };
        let abi = ABI::from(i32::try_from(abi_version).unwrap());
        let kernel = kernel_filesystem_rights().unwrap();
        assert_eq!(
            kernel,
            handled_rights(abi).bits(),
            "kernel ABI {abi_version} knows rights {kernel:#x}"
        );
    }
}
