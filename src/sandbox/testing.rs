//! Helpers shared by the sandbox and exec tests.

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};

use super::host::{self, ChildEnd};
use crate::decide::plan::{Access, Compat, GrantOrigin, PathGrant, Plan};

/// Exit code of a forked child whose closure panicked.
pub(crate) const CHILD_PANICKED: i32 = 101;

/// A grant literal.
pub(crate) fn grant(path: &str, access: Access, origin: GrantOrigin) -> PathGrant {
    PathGrant {
        path: PathBuf::from(path),
        access,
        origin,
    }
}

/// A minimal enforcing plan running `program` with `grants`, from `/`.
pub(crate) fn plan_for(program: &Path, grants: Vec<PathGrant>) -> Plan {
    Plan {
        program: program.to_path_buf(),
        argv: vec![program.display().to_string()],
        env: [("PATH".to_owned(), "/usr/bin:/bin".to_owned())].into(),
        chdir: PathBuf::from("/"),
        filesystem: grants,
        compat: Compat::Enforce,
        profile_writable: Vec::new(),
        protected: Vec::new(),
        network: crate::policy::Network::None,
        unix_sockets: false,
        capabilities: Vec::new(),
        identity: None,
        rlimits: Vec::new(),
        umask: crate::decide::DEFAULT_UMASK,
        deny_syscalls: Vec::new(),
        metadata: false,
        tool: None,
        learning: crate::decide::Learning::Off,
        sessions: None,
    }
}

/// The system base of DESIGN.md, reduced to what the tests' programs need.
pub(crate) fn system_base() -> Vec<PathGrant> {
    let mut grants: Vec<PathGrant> = ["/usr", "/lib", "/lib64", "/bin", "/sbin"]
        .into_iter()
        .map(|path| grant(path, Access::Read, GrantOrigin::SystemBase))
        .collect();
    grants.push(grant(
        "/etc/ld.so.cache",
        Access::Read,
        GrantOrigin::SystemBase,
    ));
    grants.push(grant(
        "/dev/null",
        Access::ReadWrite,
        GrantOrigin::SystemBase,
    ));
    grants
}

/// Runs `child` in a forked process and returns its exit code.
///
/// Confinement is irreversible, so every test that confines does it in a
/// child. The test harness is multi-threaded: the child must keep to simple
/// work (no locks other threads might hold, no printing) and never return
/// into the harness, which [`host::run_in_child`] ensures with `_exit`. A
/// panic in `child` ends it with [`CHILD_PANICKED`].
pub(crate) fn run_in_child(child: impl FnOnce() -> i32) -> i32 {
    let caught = || std::panic::catch_unwind(AssertUnwindSafe(child)).unwrap_or(CHILD_PANICKED);
    match host::run_in_child(caught).expect("fork and wait") {
        ChildEnd::Exited(code) => code,
        other => panic!("child ended with {other:?}"),
    }
}

/// Whether the test process has `capability` in its effective set (as
/// root normally does). Tests that show one layer refusing what the
/// capability would otherwise allow need it.
pub(crate) fn has_effective(capability: caps::Capability) -> bool {
    caps::has_cap(None, caps::CapSet::Effective, capability).unwrap_or(false)
}
