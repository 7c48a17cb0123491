//! Process attributes that survive `execve(2)` and are set before the
//! command runs: the core-dump limit, the file mode creation mask and the
//! working directory.

use std::os::fd::AsFd;
use std::path::Path;

use nix::sys::resource::{Resource, setrlimit};
use nix::sys::stat::{Mode, umask};
use nix::unistd::fchdir;

use super::SandboxError;

/// Sets both the soft and the hard `RLIMIT_CORE` to 0.
///
/// A core dump would copy the command's memory (possibly secrets read under
/// its grants) to a file outside the sandbox. Lowering the hard limit too
/// means the command cannot raise it again.
pub fn disable_core_dumps() -> Result<(), SandboxError> {
    setrlimit(Resource::RLIMIT_CORE, 0, 0).map_err(SandboxError::CoreLimit)
}

/// Sets the umask to the plan's, whatever sshd or the login environment
/// left behind.
pub fn set_umask(mask: u32) {
    // umask(2) cannot fail; the previous mask is of no interest.
    umask(Mode::from_bits_truncate(mask));
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
