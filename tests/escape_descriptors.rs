//! Escape scenario: the command uses a descriptor it inherited: one that
//! sshd, the login shell or a careless wrapper left open without
//! close-on-exec, pointing at a file, a socket or a directory outside the
//! sandbox. Landlock checks rights when a file is opened, so an inherited
//! descriptor would carry its access past it. The gate marks every
//! descriptor from 3 up close-on-exec (`close_range(2)`) right before
//! `execve(2)`: the command has 0, 1 and 2 only.

mod common;

use std::fs::File;
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::process::Command;

use common::gate::{binary, stderr, stdout};
use common::probe;
use common::sshd::Sshd;

const POLICY: &str = r#"
log = "{log}"
[sandbox]
read = ["/proc"]

[[allow]]
name = "probe"
command = ["{probe}"]
trailing_args = true
"#;

/// The descriptors [`leak`] hands down, low, middle and high.
const LEAKED: [i32; 3] = [3, 9, 200];

/// Makes `command` inherit `/etc/shadow`, opened by this (root) process, on
/// each of [`LEAKED`], without close-on-exec.
fn leak(command: &mut Command) -> File {
    let file = File::open("/etc/shadow")
        .or_else(|_| File::open("/etc/hostname"))
        .unwrap();
    let fd = file.as_raw_fd();
    // SAFETY: dup2 and fcntl are async-signal-safe. The descriptors do not
    // have O_CLOEXEC, as a careless parent's would not.
    unsafe {
        command.pre_exec(move || {
            for target in LEAKED {
                let ret = if target == fd {
                    libc::fcntl(fd, libc::F_SETFD, 0)
                } else {
                    libc::dup2(fd, target)
                };
                if ret < 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
    file
}

/// The descriptors a `fds` listing names.
fn listed(line: &str) -> Vec<i32> {
    line.split_whitespace()
        .map(|fd| fd.parse().unwrap())
        .collect()
}

#[test]
fn descriptors_from_the_gates_parent_are_closed() {
    // Control: the probe run directly sees what it was handed (and
    // whatever else the test runner left open).
    let mut direct = Command::new(probe::path());
    direct.arg("fds");
    let _file = leak(&mut direct);
    let fds = listed(&probe::line(&direct.output().unwrap()));
    assert!(LEAKED.iter().all(|fd| fds.contains(fd)), "{fds:?}");

    let scenario = probe::scenario(POLICY);
    let mut gate = probe::gate(&scenario, &["fds"]);
    let _file = leak(&mut gate);
    assert_eq!(probe::line(&gate.output().unwrap()), "0 1 2");
}

#[test]
fn the_command_cannot_read_through_a_leaked_descriptor() {
    // Control: directly, the leaked descriptor reads the file (the root
    // test's /etc/shadow) past any path check.
    let mut direct = Command::new(probe::path());
    direct.args(["read", "/proc/self/fd/9"]);
    let _file = leak(&mut direct);
    assert_eq!(probe::line(&direct.output().unwrap()), "ok");

    let scenario = probe::scenario(POLICY);
    let mut gate = probe::gate(&scenario, &["read", "/proc/self/fd/9"]);
    let _file = leak(&mut gate);
    assert_eq!(probe::line(&gate.output().unwrap()), "err open ENOENT");
}

#[test]
fn descriptors_from_sshd_are_closed() {
    // sshd runs the forced command with the user's shell, which here opens
    // descriptors 7 and 9 before it execs the command.
    let redirections = "7</etc/hostname 9</etc/hostname";
    // Control: without the gate, the probe gets them through sshd.
    let direct = Sshd::start(&format!("{} fds {redirections}", probe::path().display()));
    let output = direct.ssh(None);
    assert_eq!(
        stdout(&output),
        "0 1 2 7 9\n",
        "stderr: {}\nsshd log:\n{}",
        stderr(&output),
        direct.sshd_log()
    );

    let scenario = probe::scenario(POLICY);
    let sshd = Sshd::start(&format!(
        "{} --policy {} {redirections}",
        binary(),
        scenario.policy.display()
    ));
    let output = sshd.ssh(Some(&probe::command_line(&["fds"])));
    assert_eq!(
        stdout(&output),
        "0 1 2\n",
        "stderr: {}\nsshd log:\n{}",
        stderr(&output),
        sshd.sshd_log()
    );
}
