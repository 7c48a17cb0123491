//! Process attributes that survive `execve(2)` and are set before the
//! command runs: the core-dump limit, the file mode creation mask and the
//! working directory.

use std::os::fd::AsFd;
use std::path::Path;

use nix::sys::resource::{Resource, setrlimit};
use nix::sys::stat::{Mode, umask};
use nix::unistd::fchdir;

use super::SandboxError;

/// The umask every command starts with: files it creates are not group- or
/// world-writable unless it asks for that explicitly.
pub const COMMAND_UMASK: libc::mode_t = 0o022;

/// Sets both the soft and the hard `RLIMIT_CORE` to 0.
///
/// A core dump would copy the command's memory (possibly secrets read under
/// its grants) to a file outside the sandbox. Lowering the hard limit too
/// means the command cannot raise it again.
pub fn disable_core_dumps() -> Result<(), SandboxError> {
    setrlimit(Resource::RLIMIT_CORE, 0, 0).map_err(SandboxError::CoreLimit)
}

/// Sets the umask to [`COMMAND_UMASK`], whatever sshd or the login
/// environment left behind.
pub fn set_umask() {
    // umask(2) cannot fail; the previous mask is of no interest.
    umask(Mode::from_bits_truncate(COMMAND_UMASK));
}

/// Changes the working directory to `directory`, the descriptor `resolve`
/// opened for `path` (named in the error only).
///
/// By descriptor, not by name: the directory is the one whose path was
/// walked and checked, even if a link has been planted on the way since.
/// This happens before Landlock: the command's access to the directory is
/// whatever the plan grants.
pub fn change_directory(directory: impl AsFd, path: &Path) -> Result<(), SandboxError> {
    fchdir(directory).map_err(|source| SandboxError::Chdir {
        path: path.to_path_buf(),
        source,
    })
}
