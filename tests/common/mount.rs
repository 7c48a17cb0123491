//! Mounts the tests make: bind mounts for the tests that check "beneath"
//! across mounts, small tmpfs for those that need a full or read-only
//! filesystem.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use nix::unistd::getuid;

use super::gate::stderr;

/// A mount at `target`, unmounted on drop even when the test fails.
pub struct Mount {
    target: PathBuf,
}

impl Mount {
    /// Bind-mounts `source` at `target`, or returns `None` (after saying
    /// why) when the test cannot: mounting needs root and a mount
    /// namespace that allows it.
    pub fn bind(source: &Path, target: &Path) -> Option<Self> {
        Self::run(
            &["--bind".as_ref(), source.as_os_str()],
            target,
            "a bind mount",
        )
    }

    /// Mounts a tmpfs at `target` with `options` (`size=64k`, `ro`, ...),
    /// or returns `None` (after saying why) when the test cannot.
    pub fn tmpfs(target: &Path, options: &str) -> Option<Self> {
        // mount -t tmpfs -o OPTIONS tmpfs TARGET: the source names the type.
        let args = ["-t", "tmpfs", "-o", options, "tmpfs"].map(OsStr::new);
        Self::run(&args, target, "a tmpfs")
    }

    fn run(args: &[&OsStr], target: &Path, what: &str) -> Option<Self> {
        if !getuid().is_root() {
            eprintln!("skipped: {what} needs root");
            return None;
        }
        let output = Command::new("mount")
            .args(args)
            .arg(target)
            .output()
            .expect("run mount");
        if !output.status.success() {
            eprintln!("skipped: mounting {what} failed: {}", stderr(&output));
            return None;
        }
        Some(Self {
            target: target.to_path_buf(),
        })
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let unmounted = Command::new("umount")
            .arg(&self.target)
            .status()
            .is_ok_and(|status| status.success());
        if !unmounted {
            eprintln!("could not unmount {}", self.target.display());
        }
    }
}
