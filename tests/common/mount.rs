//! Mounts the tests make: bind mounts for the tests that check "beneath"
//! across mounts, small tmpfs for those that need a full or read-only
//! filesystem.

use std::path::{Path, PathBuf};
use std::process::Command;

use nix::unistd::getuid;

use super::gate::stderr;

/// A bind mount of `source` at `target`, unmounted on drop even when the
/// test fails.
pub struct BindMount {
    target: PathBuf,
}

impl BindMount {
    /// Mounts, or returns `None` (after saying why) when the test cannot:
    /// mounting needs root and a mount namespace that allows it.
    pub fn new(source: &Path, target: &Path) -> Option<Self> {
        if !getuid().is_root() {
            eprintln!("skipped: bind mounts need root");
            return None;
        }
        let output = Command::new("mount")
            .arg("--bind")
            .arg(source)
            .arg(target)
            .output()
            .expect("run mount");
        if !output.status.success() {
            eprintln!("skipped: mount --bind failed: {}", stderr(&output));
            return None;
        }
        Some(Self {
            target: target.to_path_buf(),
        })
    }
}

impl Drop for BindMount {
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

/// A tmpfs mounted at `target` with `options` (`size=64k`, `ro`, ...),
/// unmounted on drop even when the test fails.
pub struct Tmpfs {
    target: PathBuf,
}

impl Tmpfs {
    /// Mounts, or returns `None` (after saying why) when the test cannot:
    /// mounting needs root.
    pub fn new(target: &Path, options: &str) -> Option<Self> {
        if !getuid().is_root() {
            eprintln!("skipped: mounting a tmpfs needs root");
            return None;
        }
        let output = Command::new("mount")
            .args(["-t", "tmpfs", "-o", options, "tmpfs"])
            .arg(target)
            .output()
            .expect("run mount");
        if !output.status.success() {
            eprintln!("skipped: mount -t tmpfs failed: {}", stderr(&output));
            return None;
        }
        Some(Self {
            target: target.to_path_buf(),
        })
    }
}

impl Drop for Tmpfs {
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
