//! Escape scenario: an allowed command reaches for a large kernel attack
//! surface that no forced command needs: `io_uring_setup`, `bpf`, `mount`,
//! the keyring (`keyctl`, `add_key`), the x32 syscall table, a non-default
//! `personality`, and terminal input injection (`TIOCSTI`). seccomp
//! refuses each with EPERM.
//!
//! Other layers answer some of these with EPERM too: without capabilities
//! the kernel refuses `bpf` map creation and `mount` itself, and Landlock
//! refuses every mount. seccomp is shown to hold on its own by calling them
//! with an argument the kernel reads before any permission check, an
//! unmapped pointer: a process without capabilities gets EFAULT, the
//! confined command EPERM, because the filter answers before the kernel
//! reads any argument. The others need no capability, and the unconfined
//! probe shows that the kernel allows them here.

mod common;

use std::fs;
use std::os::unix::process::CommandExt;
use std::process::Command;

use common::gate::{stderr, stdout};
use common::probe::{self, attempt, unconfined};
use nix::unistd::geteuid;

/// `nobody` on Debian.
const NOBODY: u32 = 65534;

/// Runs the attempt `args` unconfined and without capabilities: as
/// `nobody` when the test is root, as the test's own user otherwise.
fn without_capabilities(args: &[&str]) -> String {
    let mut command = Command::new(probe::path());
    command.args(args);
    if geteuid().is_root() {
        command.uid(NOBODY).gid(NOBODY);
    }
    let output = command.output().unwrap();
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    stdout(&output).trim_end().to_owned()
}

#[test]
fn io_uring_is_refused() {
    let enabled = fs::read_to_string("/proc/sys/kernel/io_uring_disabled")
        .map(|value| value.trim() == "0")
        .unwrap_or(true);
    if enabled {
        assert_eq!(unconfined(&["io-uring"]), "ok");
    } else {
        eprintln!("io_uring is disabled on this host; no unconfined control");
    }
    let scenario = probe::scenario(probe::POLICY);
    assert_eq!(
        attempt(&scenario, &["io-uring"]),
        "err io_uring_setup EPERM"
    );
}

#[test]
fn bpf_is_refused_by_seccomp() {
    if geteuid().is_root() {
        assert_eq!(unconfined(&["bpf", "map"]), "ok");
    }
    // Without capabilities the kernel refuses a map itself, but only after
    // it has copied in the attributes: an unmapped pointer gets EFAULT.
    assert_eq!(without_capabilities(&["bpf", "map"]), "err bpf EPERM");
    assert_eq!(without_capabilities(&["bpf", "bad-attr"]), "err bpf EFAULT");

    let scenario = probe::scenario(probe::POLICY);
    assert_eq!(attempt(&scenario, &["bpf", "map"]), "err bpf EPERM");
    assert_eq!(attempt(&scenario, &["bpf", "bad-attr"]), "err bpf EPERM");
}

#[test]
fn mount_is_refused_by_seccomp() {
    let scenario = probe::scenario(probe::POLICY);
    let target = scenario.make_dir("mnt", 0o755).display().to_string();
    if geteuid().is_root() {
        // Root passes every permission check and gets as far as looking up
        // the filesystem type, which does not exist: nothing is mounted.
        assert_eq!(
            unconfined(&["mount", "sshgate-no-such-fs", &target]),
            "err mount ENODEV"
        );
    }
    // Without capabilities the kernel refuses a mount itself, but only
    // after it has copied in the filesystem type.
    assert_eq!(
        without_capabilities(&["mount", "tmpfs", "/"]),
        "err mount EPERM"
    );
    assert_eq!(
        without_capabilities(&["mount-bad-fstype", "/"]),
        "err mount EFAULT"
    );

    assert_eq!(
        attempt(&scenario, &["mount", "tmpfs", &target]),
        "err mount EPERM"
    );
    assert_eq!(
        attempt(&scenario, &["mount-bad-fstype", &target]),
        "err mount EPERM"
    );
}

#[test]
fn the_keyring_is_refused() {
    // Control: unconfined, the process keyring is there for the asking.
    assert_eq!(unconfined(&["keyctl"]), "ok");
    assert_eq!(unconfined(&["add-key"]), "ok");
    let scenario = probe::scenario(probe::POLICY);
    assert_eq!(attempt(&scenario, &["keyctl"]), "err keyctl EPERM");
    assert_eq!(attempt(&scenario, &["add-key"]), "err add_key EPERM");
}

#[test]
fn x32_syscall_numbers_are_refused() {
    // Control: this kernel answers ENOSYS when built without the x32 ABI,
    // and serves the call when built with it; never EPERM.
    let kernel = unconfined(&["x32-getpid"]);
    assert!(
        kernel == "ok" || kernel == "err x32-getpid ENOSYS",
        "unconfined: {kernel}"
    );
    let scenario = probe::scenario(probe::POLICY);
    assert_eq!(attempt(&scenario, &["x32-getpid"]), "err x32-getpid EPERM");
}

#[test]
fn a_non_default_personality_is_refused() {
    assert_eq!(unconfined(&["personality"]), "ok");
    let scenario = probe::scenario(probe::POLICY);
    assert_eq!(
        attempt(&scenario, &["personality"]),
        "err personality EPERM"
    );
}

#[test]
fn terminal_input_injection_is_refused() {
    // stdin is /dev/null here: the kernel itself would answer ENOTTY, so
    // EPERM is the filter, which judges the request before the descriptor.
    assert_eq!(unconfined(&["tiocsti"]), "err ioctl ENOTTY");
    let scenario = probe::scenario(probe::POLICY);
    assert_eq!(attempt(&scenario, &["tiocsti"]), "err ioctl EPERM");
}
