//! Escape scenario: on btrfs, a root command with only a *read* grant on
//! a directory changes the tree through `ioctl`s on a descriptor opened
//! read-only, which Landlock does not see (it checks paths, and ioctls
//! only on devices): it creates a subvolume inside the read-only grant, or
//! makes a read-only backup snapshot writable (and could then delete it).
//! A fourth hostile review reproduced both on Linux 6.18; seccomp now
//! refuses these requests (EPERM), whatever `metadata` says.
//!
//! The test builds a real btrfs on a loop device, so it needs root,
//! `mkfs.btrfs` (installed by `cargo xtask test`) and loop devices.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::gate::stderr;
use common::probe::{self, attempt, unconfined};

/// A btrfs image mounted in a temp dir, unmounted on drop.
struct Btrfs {
    mount: PathBuf,
    _dir: tempfile::TempDir,
}

impl Btrfs {
    fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("sshgate-btrfs-")
            .tempdir()
            .unwrap();
        let image = dir.path().join("image");
        let mount = dir.path().join("mnt");
        std::fs::create_dir(&mount).unwrap();
        run(Command::new("truncate").args(["-s", "128M"]).arg(&image));
        run(Command::new("mkfs.btrfs").arg("-q").arg(&image));
        run(Command::new("mount")
            .args(["-o", "loop"])
            .arg(&image)
            .arg(&mount));
        Self { mount, _dir: dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.mount.join(name)
    }
}

impl Drop for Btrfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.mount).output();
    }
}

fn run(command: &mut Command) {
    let output = command.output().expect("run a btrfs set-up tool");
    assert!(output.status.success(), "{command:?}: {}", stderr(&output));
}

fn btrfs(args: &[&str], path: &Path) {
    run(Command::new("btrfs").args(args).arg(path));
}

#[test]
fn a_read_grant_on_btrfs_cannot_be_written_through_ioctls() {
    assert!(
        nix::unistd::geteuid().is_root(),
        "this test needs root to mount a btrfs image"
    );
    let fs = Btrfs::new();
    let data = fs.path("data");
    btrfs(&["subvolume", "create"], &data);
    std::fs::create_dir(fs.path("snaps")).unwrap();
    let snapshot = fs.path("snaps/nightly");
    run(Command::new("btrfs")
        .args(["subvolume", "snapshot", "-r"])
        .arg(&data)
        .arg(&snapshot));

    // Control: unconfined, root may create a subvolume there.
    let data_text = data.display().to_string();
    assert_eq!(unconfined(&["btrfs-subvol", &data_text, "control"]), "ok");
    assert!(data.join("control").is_dir());

    let scenario = probe::scenario(&format!(
        "log = \"{{log}}\"\n[sandbox]\nread = [\"{}\", \"{}\"]\n\
         [[allow]]\nname = \"probe\"\ncommand = [\"{{probe}}\"]\ntrailing_args = true\n",
        data.display(),
        fs.path("snaps").display()
    ));
    assert_eq!(
        attempt(&scenario, &["btrfs-subvol", &data_text, "planted"]),
        "err ioctl EPERM"
    );
    assert!(!data.join("planted").exists());
    assert_eq!(
        attempt(
            &scenario,
            &["btrfs-writable", &snapshot.display().to_string()]
        ),
        "err ioctl EPERM"
    );
    let property = Command::new("btrfs")
        .args(["property", "get", "-ts"])
        .arg(&snapshot)
        .arg("ro")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&property.stdout), "ro=true\n");
}
