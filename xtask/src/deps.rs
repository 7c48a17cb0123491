//! The system tools the integration tests and the demo drive for real.
//!
//! The tests never mock sshd or its clients, so a machine without them cannot
//! run the suite. On a root Debian-like box (CI) we install what is missing;
//! anywhere else we say exactly what to install.

use std::path::Path;
use std::process::Command;

use crate::error::Error;
use crate::process::{effective_uid, find_in_path, is_executable, run_inherited};

/// How a dependency is found.
enum Lookup {
    /// At exactly this path: sshd must be run by absolute path, and the
    /// sftp server is named in the test sshd's config.
    Absolute(&'static str),
    /// Anywhere in `PATH`, the way the tests invoke it.
    InPath(&'static str),
}

/// Every tool the tests use, all provided by [`APT_PACKAGES`].
const DEPENDENCIES: &[Lookup] = &[
    Lookup::Absolute("/usr/sbin/sshd"),
    Lookup::InPath("ssh"),
    Lookup::InPath("ssh-keygen"),
    Lookup::InPath("scp"),
    Lookup::InPath("sftp"),
    Lookup::Absolute("/usr/lib/openssh/sftp-server"),
    Lookup::InPath("rsync"),
    Lookup::InPath("git"),
    // The borg rule's end-to-end test runs `borg serve` through the gate.
    Lookup::Absolute("/usr/bin/borg"),
    // The seccomp tests compile tiny C probes that make one raw syscall.
    Lookup::InPath("cc"),
    // The btrfs escape test makes a real btrfs on a loop device.
    Lookup::InPath("mkfs.btrfs"),
    // xtask's man page tests render every page and fail on any warning.
    Lookup::InPath("groff"),
    // The package the tests install: its Depends, and its stripped binary.
    Lookup::InPath("dpkg-shlibdeps"),
    Lookup::InPath("strip"),
];

/// The Debian packages that provide [`DEPENDENCIES`].
const APT_PACKAGES: &[&str] = &[
    "openssh-server",
    "openssh-client",
    "rsync",
    "git",
    "borgbackup",
    "gcc",
    "btrfs-progs",
    "groff-base",
    "dpkg-dev",
    "binutils",
];

/// The tools that are not present, by name.
fn missing() -> Vec<String> {
    DEPENDENCIES
        .iter()
        .filter_map(|dep| match dep {
            Lookup::Absolute(path) if !is_executable(Path::new(path)) => Some(path.to_string()),
            Lookup::InPath(name) if find_in_path(name).is_none() => Some(name.to_string()),
            _ => None,
        })
        .collect()
}

/// Makes sure every system test dependency is present, installing them with
/// apt-get when running as root on a system that has it.
///
/// Fails naming what is missing if they cannot be installed, or are still
/// missing afterwards.
pub fn ensure() -> Result<(), Error> {
    let missing_before = missing();
    if missing_before.is_empty() {
        println!("system test dependencies: all present");
        return Ok(());
    }
    let install_line = format!("apt-get install {}", APT_PACKAGES.join(" "));
    let is_root = effective_uid()? == 0;
    let apt_get = find_in_path("apt-get");
    let Some(apt_get) = apt_get.filter(|_| is_root) else {
        let hint = if is_root {
            format!("there is no apt-get here; install the equivalent of `{install_line}`")
        } else {
            format!("run as root to install them, or run `sudo {install_line}`")
        };
        return Err(Error::MissingDependencies {
            missing: missing_before,
            hint,
        });
    };

    println!(
        "system test dependencies missing: {}; installing with apt-get",
        missing_before.join(", ")
    );
    let update = "apt-get update";
    println!("$ {update}");
    run_inherited(Command::new(&apt_get).arg("update"), update)?;
    // --no-upgrade: installing a missing tool must not also upgrade the
    // ones already there, which would silently change the client versions
    // (and so the command strings) the tests observe.
    let install = format!(
        "DEBIAN_FRONTEND=noninteractive apt-get install -y --no-upgrade {}",
        APT_PACKAGES.join(" ")
    );
    println!("$ {install}");
    run_inherited(
        Command::new(&apt_get)
            .args(["install", "-y", "--no-upgrade"])
            .args(APT_PACKAGES)
            .env("DEBIAN_FRONTEND", "noninteractive"),
        &install,
    )?;

    let missing_after = missing();
    if !missing_after.is_empty() {
        return Err(Error::MissingDependencies {
            missing: missing_after,
            hint: format!("`{install}` succeeded but did not provide them"),
        });
    }
    println!("system test dependencies: installed");
    Ok(())
}
