//! Process attributes that survive `execve(2)` and are set before the
//! command runs: the file mode creation mask and the working directory.
//! (The core-dump limit is with the other limits, in `limits`.)

use std::os::fd::AsFd;
use std::path::Path;

use nix::sys::stat::{Mode, umask};
use nix::unistd::fchdir;

use super::SandboxError;

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
