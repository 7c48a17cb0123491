//! Landlock confinement: one ruleset that handles every filesystem right,
//! every network right and every scope the running kernel knows, and allows
//! only what the plan grants.
//!
//! - Filesystem: each grant becomes one rule; everything else is denied.
//! - Network: the TCP bind and connect rights (ABI 4 and later; UDP from
//!   ABI 10) are handled, and only the ports of `network = { connect = [..],
//!   bind = [..] }` are granted; with `"none"` no port is. `network = "any"`
//!   leaves the network rights unhandled. Which socket families may be
//!   created at all is seccomp's part (see `seccomp.rs`).
//! - Pathname unix sockets (ABI 9 and later): connecting needs the
//!   `ResolveUnix` right on the socket's path, which write grants carry and,
//!   with `unix = true`, read grants too.
//! - Scopes (ABI 6 and later): the command can neither connect to an
//!   abstract unix socket nor send a signal to a process outside its own
//!   Landlock domain.
//!
//! "Everything the kernel knows" is computed, not assumed. The rights and
//! scopes are those of the running ABI as the `landlock` crate names them,
//! and before restricting, the kernel is asked directly (one
//! `landlock_create_ruleset` probe per bit of each of the three masks)
//! whether it knows any bit beyond them, which a kernel newer than the crate
//! would. Such a right or scope could not be handled, so it would stay
//! allowed; the ruleset then counts as partially enforced.
//!
//! Handling what the *running* ABI has, rather than asking the crate for the
//! newest ABI it knows in best-effort mode, is what lets a fully handled
//! ruleset report [`Enforcement::FullyEnforced`]: the crate marks a request
//! for rights the kernel lacks as partially enforced, which would make
//! `compat = "enforce"` fail on every kernel older than the crate.

use std::fmt::{self, Display, Formatter};
use std::io;
use std::os::fd::{FromRawFd, OwnedFd};

use landlock::{
    ABI, Access as _, AccessFs, AccessNet, BitFlags, CompatLevel, Compatible, NetPort, PathBeneath,
    Ruleset, RulesetAttr, RulesetCreatedAttr, RulesetError, RulesetStatus, Scope, make_bitflags,
};

use super::SandboxError;
use super::resolve::Resolved;
use crate::decide::plan::{Access, Compat, Plan};
use crate::policy::Network;

/// The newest Landlock ABI the `landlock` crate names (`ABI::V10`): up to
/// it, every right and scope the kernel knows has a name in
/// [`handled_rights`].
const NEWEST_NAMED_ABI: u32 = 10;

/// `LANDLOCK_CREATE_RULESET_VERSION`: ask `landlock_create_ruleset` for the
/// ABI version instead of creating a ruleset.
const LANDLOCK_CREATE_RULESET_VERSION: libc::c_uint = 1;

/// The rights that let a process create or drive device nodes. A `write`
/// grant never includes them: receiving a backup must not let root
/// `mknod` a raw disk device into the backup directory, nor `ioctl` one.
const DEVICE_RIGHTS: BitFlags<AccessFs> =
    make_bitflags!(AccessFs::{MakeChar | MakeBlock | IoctlDev});

/// How much of the requested Landlock confinement is in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enforcement {
    /// Every filesystem right, network right and scope the kernel knows is
    /// handled and every rule was added as requested.
    FullyEnforced,
    /// A ruleset is in force, but some right, scope or rule could not be
    /// applied.
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

/// What one ruleset handles: every right and scope of one ABI (network
/// rights left out under `network = "any"`). Whatever a rule does not grant
/// is denied: network rights only for the plan's ports, and no rule ever
/// lifts a scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Handled {
    /// Filesystem rights.
    pub filesystem: BitFlags<AccessFs>,
    /// Network rights (TCP bind and connect from ABI 4, UDP from ABI 10).
    pub network: BitFlags<AccessNet>,
    /// Scopes (abstract unix sockets and signals from ABI 6).
    pub scopes: BitFlags<Scope>,
}

impl Handled {
    /// Nothing handled: what a process without Landlock is confined by.
    const NOTHING: Self = Self {
        filesystem: BitFlags::EMPTY,
        network: BitFlags::EMPTY,
        scopes: BitFlags::EMPTY,
    };

    /// The handled set as the raw bit masks the kernel uses.
    pub fn bits(&self) -> KernelRights {
        KernelRights {
            filesystem: self.filesystem.bits(),
            network: self.network.bits(),
            scopes: self.scopes.bits(),
        }
    }
}

/// What [`restrict_with_landlock`] applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LandlockStatus {
    /// The running kernel's Landlock ABI version, or `None` when Landlock is
    /// not built in or disabled at boot.
    pub abi: Option<u32>,
    /// How much of the ruleset is in force.
    pub enforcement: Enforcement,
    /// What the ruleset handles; all empty when no ruleset is in force.
    pub handled: Handled,
}

impl LandlockStatus {
    /// The handled network rights by name (`"bind-tcp"`, `"connect-tcp"`,
    /// ...), for the audit record. No port is granted, so each of them is
    /// denied for every port.
    pub fn network_names(&self) -> Vec<String> {
        self.handled
            .network
            .iter()
            .map(network_right_name)
            .collect()
    }

    /// The scopes in force by name (`"abstract-unix-socket"`, `"signal"`),
    /// for the audit record.
    pub fn scope_names(&self) -> Vec<String> {
        self.handled.scopes.iter().map(scope_name).collect()
    }
}

/// The audit name of one network right.
fn network_right_name(right: AccessNet) -> String {
    match right {
        AccessNet::BindTcp => "bind-tcp".to_owned(),
        AccessNet::ConnectTcp => "connect-tcp".to_owned(),
        AccessNet::BindUdp => "bind-udp".to_owned(),
        AccessNet::ConnectSendUdp => "connect-send-udp".to_owned(),
        // The enum is non-exhaustive: a right a newer crate adds is still
        // recorded, by its bit.
        other => format!("{:#x}", other as u64),
    }
}

/// The audit name of one scope.
fn scope_name(scope: Scope) -> String {
    match scope {
        Scope::AbstractUnixSocket => "abstract-unix-socket".to_owned(),
        Scope::Signal => "signal".to_owned(),
        // As above: a scope a newer crate adds is recorded by its bit.
        other => format!("{:#x}", other as u64),
    }
}

/// Landlock rights and scopes as the kernel's raw bit masks, one per field
/// of `struct landlock_ruleset_attr`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KernelRights {
    /// `handled_access_fs` bits.
    pub filesystem: u64,
    /// `handled_access_net` bits.
    pub network: u64,
    /// `scoped` bits.
    pub scopes: u64,
}

impl KernelRights {
    /// The bits of `self` that `other` does not have.
    pub fn without(self, other: Self) -> Self {
        Self {
            filesystem: self.filesystem & !other.filesystem,
            network: self.network & !other.network,
            scopes: self.scopes & !other.scopes,
        }
    }

    /// Whether no bit is set.
    pub fn is_empty(self) -> bool {
        self == Self::default()
    }
}

impl Display for KernelRights {
    /// Lists the non-empty masks, e.g. `network rights 0x4, scopes 0x4`.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let parts = [
            ("filesystem rights", self.filesystem),
            ("network rights", self.network),
            ("scopes", self.scopes),
        ];
        let mut first = true;
        for (name, bits) in parts.into_iter().filter(|(_, bits)| *bits != 0) {
            if !first {
                f.write_str(", ")?;
            }
            write!(f, "{name} {bits:#x}")?;
            first = false;
        }
        if first {
            f.write_str("nothing")?;
        }
        Ok(())
    }
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
    /// The kernel knows rights or scopes this build cannot name, so they
    /// would stay allowed; with `compat = "enforce"` that is refused.
    UnhandledRights {
        /// The kernel's ABI version.
        abi: u32,
        /// The bits the ruleset cannot handle.
        rights: KernelRights,
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
                "the kernel's Landlock ABI {abi} has {rights} that this build cannot handle"
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
/// filesystem grants and the plan's TCP ports, with abstract unix sockets
/// and signals scoped to the sandbox, as far as the running ABI has them.
///
/// With [`Compat::Enforce`], anything short of full enforcement is an error;
/// the error may come after the thread is already restricted, which is safe
/// because the caller then does not exec. With [`Compat::BestEffort`], the
/// returned status says what is in force, for the audit record.
///
/// `abi` is the running kernel's ABI from [`running_abi`], queried once by
/// the caller; `None` (no Landlock) is only acceptable under best-effort.
pub fn restrict_with_landlock(
    resolved: &Resolved,
    plan: &Plan,
    abi: Option<u32>,
) -> Result<LandlockStatus, SandboxError> {
    let compat = plan.compat;
    let Some(abi_version) = abi else {
        if compat == Compat::Enforce {
            return Err(LandlockError::NotFullyEnforced(Enforcement::NotEnforced).into());
        }
        return Ok(LandlockStatus {
            abi: None,
            enforcement: Enforcement::NotEnforced,
            handled: Handled::NOTHING,
        });
    };
    // The crate maps a kernel newer than itself to the newest ABI it knows,
    // losing whatever rights and scopes came later; only then can the kernel
    // know something unnamed, and only then is it worth probing for (192
    // syscalls, on the timed path).
    let abi = ABI::from(i32::try_from(abi_version).unwrap_or(i32::MAX));
    let mut handled = handled_rights(abi);
    let mut unhandled = if abi_version > NEWEST_NAMED_ABI {
        kernel_rights()?.without(handled.bits())
    } else {
        KernelRights::default()
    };
    if plan.network == Network::Any {
        // Left unhandled on purpose: the policy allows every port.
        handled.network = BitFlags::EMPTY;
        unhandled.network = 0;
    }
    if !unhandled.is_empty() && compat == Compat::Enforce {
        return Err(LandlockError::UnhandledRights {
            abi: abi_version,
            rights: unhandled,
        }
        .into());
    }

    let ruleset_status = enforce_ruleset(resolved, plan, abi, handled)?;
    let enforcement = match ruleset_status {
        RulesetStatus::FullyEnforced if unhandled.is_empty() => Enforcement::FullyEnforced,
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
        handled: if enforcement == Enforcement::NotEnforced {
            Handled::NOTHING
        } else {
            handled
        },
    })
}

/// The running kernel's Landlock ABI, `None` when it has no Landlock. Any
/// other failure to ask is an error: guessing would be failing open.
pub fn running_abi() -> Result<Option<u32>, LandlockError> {
    match landlock_abi() {
        Ok(abi) => Ok(Some(abi)),
        Err(LandlockError::Unsupported { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Creates the ruleset, adds one rule per opened grant and one per granted
/// port, and enforces it on the calling thread. Returns the crate's view of
/// the result.
fn enforce_ruleset(
    resolved: &Resolved,
    plan: &Plan,
    abi: ABI,
    handled: Handled,
) -> Result<RulesetStatus, LandlockError> {
    let compat = plan.compat;
    // Under enforce, a right or rule the kernel cannot take fails the build
    // before anything is restricted, instead of being dropped silently.
    let level = match compat {
        Compat::Enforce => CompatLevel::HardRequirement,
        Compat::BestEffort => CompatLevel::BestEffort,
    };
    let mut ruleset = Ruleset::default()
        .set_compatibility(level)
        .handle_access(handled.filesystem)?;
    // The crate refuses an empty set of network rights or scopes even in
    // best-effort mode; an ABI without them has nothing to handle.
    if !handled.network.is_empty() {
        ruleset = ruleset.handle_access(handled.network)?;
    }
    if !handled.scopes.is_empty() {
        ruleset = ruleset.scope(handled.scopes)?;
    }
    let mut ruleset = ruleset.create()?;
    for grant in resolved.opened() {
        let mut rights = granted_rights(grant.access, abi, grant.is_dir);
        if plan.unix_sockets && grant.access == Access::Read {
            rights |= handled.filesystem & AccessFs::ResolveUnix;
        }
        ruleset = ruleset.add_rule(PathBeneath::new(&grant.fd, rights))?;
    }
    if !handled.network.is_empty() {
        for (port, right) in granted_ports(&plan.network) {
            ruleset = ruleset.add_rule(NetPort::new(port, right))?;
        }
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

/// The filesystem rights, network rights and scopes the kernel accepts in a
/// ruleset, found by creating (and closing) a ruleset that handles each
/// single bit of each mask.
///
/// The kernel rejects a bit it does not know with `EINVAL`. A kernel whose
/// `struct landlock_ruleset_attr` ends before a field (no network rights
/// before ABI 4, no scopes before ABI 6) rejects any non-zero byte past its
/// end with `E2BIG`: it knows no bit of that field.
pub fn kernel_rights() -> Result<KernelRights, LandlockError> {
    Ok(KernelRights {
        filesystem: accepted_bits(|bit| KernelRights {
            filesystem: bit,
            ..KernelRights::default()
        })?,
        network: accepted_bits(|bit| KernelRights {
            network: bit,
            ..KernelRights::default()
        })?,
        scopes: accepted_bits(|bit| KernelRights {
            scopes: bit,
            ..KernelRights::default()
        })?,
    })
}

/// The bits of one mask the kernel accepts; `attr` places a single bit in
/// that mask.
fn accepted_bits(attr: impl Fn(u64) -> KernelRights) -> Result<u64, LandlockError> {
    let mut known = 0;
    for bit in 0..u64::BITS {
        let right = 1u64 << bit;
        if ruleset_accepts(attr(right))? {
            known |= right;
        }
    }
    Ok(known)
}

/// Whether the kernel accepts a ruleset handling exactly `rights`.
fn ruleset_accepts(rights: KernelRights) -> Result<bool, LandlockError> {
    // `struct landlock_ruleset_attr` as of ABI 6. An older kernel accepts
    // the larger size as long as the fields it does not know are zero.
    #[repr(C)]
    struct RawRulesetAttr {
        handled_access_fs: u64,
        handled_access_net: u64,
        scoped: u64,
    }
    let attr = RawRulesetAttr {
        handled_access_fs: rights.filesystem,
        handled_access_net: rights.network,
        scoped: rights.scopes,
    };
    // SAFETY: `attr` is a live, properly aligned struct of the size passed.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            &attr as *const RawRulesetAttr,
            std::mem::size_of::<RawRulesetAttr>(),
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
        Some(libc::EINVAL | libc::E2BIG) => Ok(false),
        _ => Err(LandlockError::Query(error)),
    }
}

/// The TCP ports a plan grants, each with the one right it grants.
fn granted_ports(network: &Network) -> Vec<(u16, AccessNet)> {
    match network {
        Network::Ports { connect, bind } => connect
            .iter()
            .map(|port| (*port, AccessNet::ConnectTcp))
            .chain(bind.iter().map(|port| (*port, AccessNet::BindTcp)))
            .collect(),
        Network::None | Network::Any => Vec::new(),
    }
}

/// Every filesystem right, network right and scope `abi` defines: all of
/// them are handled, so whatever a rule does not grant is denied.
pub fn handled_rights(abi: ABI) -> Handled {
    Handled {
        filesystem: AccessFs::from_all(abi),
        network: AccessNet::from_all(abi),
        scopes: Scope::from_all(abi),
    }
}

/// The Landlock rights one grant confers, for a directory (rights apply to
/// everything beneath it) or a single file.
///
/// - Read: read files and list directories, never execute.
/// - ReadWrite: write, create, remove, rename across directories, truncate,
///   ..., but neither Execute nor the device rights: no character or block
///   device can be created (`MakeChar`, `MakeBlock`) and no device can be
///   `ioctl`ed (`IoctlDev`) beneath a write grant.
/// - Execute: read and execute files.
///
/// The kernel rejects directory-only rights on a rule for a file, so a file
/// grant keeps only the rights that apply to files.
pub fn granted_rights(access: Access, abi: ABI, is_dir: bool) -> BitFlags<AccessFs> {
    let rights = match access {
        Access::Read => AccessFs::from_read(abi) & !AccessFs::Execute,
        Access::ReadWrite => AccessFs::from_all(abi) & !AccessFs::Execute & !DEVICE_RIGHTS,
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
        assert_eq!(
            rw_dir | AccessFs::Execute | DEVICE_RIGHTS,
            AccessFs::from_all(abi)
        );
        assert_eq!(
            granted_rights(Access::ReadWrite, abi, false),
            AccessFs::ReadFile | AccessFs::WriteFile | AccessFs::Truncate
        );

        for is_dir in [true, false] {
            assert_eq!(
                granted_rights(Access::Execute, abi, is_dir),
                AccessFs::ReadFile | AccessFs::Execute
            );
        }
    }

    #[test]
    fn write_grants_never_make_or_drive_devices() {
        for abi in [ABI::V1, ABI::V3, ABI::V5, ABI::V7, ABI::V10] {
            for is_dir in [true, false] {
                let rights = granted_rights(Access::ReadWrite, abi, is_dir);
                for device in [AccessFs::MakeChar, AccessFs::MakeBlock, AccessFs::IoctlDev] {
                    assert!(!rights.contains(device), "{abi:?} {is_dir} {device:?}");
                }
            }
        }
        // The device rights stay handled, so with no grant they are denied.
        assert!(handled_rights(ABI::V7).filesystem.contains(DEVICE_RIGHTS));
    }

    #[test]
    fn grants_never_exceed_the_handled_rights() {
        for abi in [ABI::V1, ABI::V3, ABI::V5, ABI::V7, ABI::V10] {
            for access in [Access::Read, Access::ReadWrite, Access::Execute] {
                for is_dir in [true, false] {
                    let rights = granted_rights(access, abi, is_dir);
                    assert!(!rights.is_empty());
                    assert!(handled_rights(abi).filesystem.contains(rights));
                }
            }
        }
    }

    #[test]
    fn network_and_scopes_are_handled_from_the_abi_that_has_them() {
        let tcp = AccessNet::BindTcp | AccessNet::ConnectTcp;
        let scopes = Scope::AbstractUnixSocket | Scope::Signal;
        assert_eq!(handled_rights(ABI::V3).network, BitFlags::EMPTY);
        assert_eq!(handled_rights(ABI::V4).network, tcp);
        assert_eq!(handled_rights(ABI::V5).scopes, BitFlags::EMPTY);
        assert_eq!(handled_rights(ABI::V6).scopes, scopes);
        assert_eq!(handled_rights(ABI::V7).network, tcp);
        assert_eq!(handled_rights(ABI::V7).scopes, scopes);
    }

    #[test]
    fn status_names_the_network_rights_and_scopes() {
        let status = LandlockStatus {
            abi: Some(7),
            enforcement: Enforcement::FullyEnforced,
            handled: handled_rights(ABI::V7),
        };
        assert_eq!(status.network_names(), ["bind-tcp", "connect-tcp"]);
        assert_eq!(status.scope_names(), ["abstract-unix-socket", "signal"]);
        let none = LandlockStatus {
            handled: Handled::NOTHING,
            ..status
        };
        assert!(none.network_names().is_empty() && none.scope_names().is_empty());
    }

    #[test]
    fn unhandled_rights_are_named_by_kind() {
        let error = LandlockError::UnhandledRights {
            abi: 11,
            rights: KernelRights {
                filesystem: 0,
                network: 0x10,
                scopes: 0x4,
            },
        };
        assert_eq!(
            error.to_string(),
            "the kernel's Landlock ABI 11 has network rights 0x10, scopes 0x4 \
             that this build cannot handle"
        );
    }

    /// The crate names nothing past `NEWEST_NAMED_ABI`, so skipping the
    /// probe up to it loses nothing; a crate update that names more must
    /// raise the constant.
    #[test]
    fn the_crate_names_no_abi_past_the_newest_named_one() {
        let newest = i32::try_from(NEWEST_NAMED_ABI).unwrap();
        assert_eq!(
            handled_rights(ABI::from(newest + 1)).bits(),
            handled_rights(ABI::from(newest)).bits()
        );
        assert_ne!(
            handled_rights(ABI::from(newest)).bits(),
            handled_rights(ABI::from(newest - 1)).bits(),
            "NEWEST_NAMED_ABI is newer than what the crate names"
        );
    }

    /// The ruleset handles exactly the rights and scopes the running kernel
    /// knows.
    #[test]
    fn handles_everything_the_running_kernel_knows() {
        let abi_version = match landlock_abi() {
            Ok(abi) => abi,
            Err(e) => {
                eprintln!("skipped: {e}");
                return;
            }
        };
        let abi = ABI::from(i32::try_from(abi_version).unwrap());
        let kernel = kernel_rights().unwrap();
        assert_eq!(
            kernel,
            handled_rights(abi).bits(),
            "kernel ABI {abi_version} knows {kernel}"
        );
        if abi_version >= 4 {
            assert_ne!(kernel.network, 0, "ABI {abi_version} has network rights");
        }
        if abi_version >= 6 {
            assert_ne!(kernel.scopes, 0, "ABI {abi_version} has scopes");
        }
    }
}
