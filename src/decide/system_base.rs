//! The system base: what every confined command may read so that a
//! dynamically linked program can start at all.
//!
//! Never `/etc/shadow`, never `$HOME` as a whole, never `~/.ssh`: those are
//! exactly what a stolen backup key would go after.

use super::plan::{Access, GrantOrigin, PathGrant};

/// Directory hierarchies of programs and libraries: read, never execute.
const READ_TREES: &[&str] = &["/usr", "/lib", "/lib64", "/bin", "/sbin"];

/// Single files in /etc that the loader and libc read at start-up.
const READ_FILES: &[&str] = &[
    "/etc/ld.so.cache",
    "/etc/nsswitch.conf",
    "/etc/passwd",
    "/etc/group",
    "/etc/localtime",
    "/etc/locale.alias",
    "/etc/default/locale",
];

/// The grants of the system base, in a stable order.
pub fn grants() -> Vec<PathGrant> {
    let read = READ_TREES.iter().chain(READ_FILES).map(|path| PathGrant {
        path: path.into(),
        access: Access::Read,
        origin: GrantOrigin::SystemBase,
    });
    let devices = [
        ("/dev/null", Access::ReadWrite),
        ("/dev/urandom", Access::Read),
    ]
    .into_iter()
    .map(|(path, access)| PathGrant {
        path: path.into(),
        access,
        origin: GrantOrigin::SystemBase,
    });
    read.chain(devices).collect()
}
