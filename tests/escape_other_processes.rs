//! Escape scenario: an allowed command reaches a process outside its
//! sandbox without a signal, through interfaces that the Landlock scopes
//! do not cover:
//!
//! - `prlimit(2)` of another process of the same uid: for a root key, set
//!   sshd's `RLIMIT_NOFILE` to 5 (nobody can log in any more) or kill a
//!   root process with `RLIMIT_CPU`. The kernel checks only the uid, not
//!   the capabilities the target holds. seccomp refuses `prlimit64` on any
//!   pid but 0 (the caller) with EPERM.
//! - System V shared memory, message queues and semaphores, reached by key
//!   with DAC alone. seccomp refuses the whole interface with EPERM.

mod common;

use std::process::{Child, Command};

use common::probe::{self, attempt, unconfined};

const POLICY: &str = r#"
log = "{log}"

[[allow]]
name = "probe"
command = ["{probe}"]
trailing_args = true
"#;

/// A same-user process outside the sandbox; killed when dropped.
struct Target(Child);

impl Target {
    fn start() -> Self {
        Self(Command::new("/usr/bin/sleep").arg("30").spawn().unwrap())
    }

    fn pid(&self) -> String {
        self.0.id().to_string()
    }

    /// Its `Max open files` line from /proc.
    fn open_files_limit(&self) -> String {
        let limits = std::fs::read_to_string(format!("/proc/{}/limits", self.0.id())).unwrap();
        limits
            .lines()
            .find(|line| line.starts_with("Max open files"))
            .unwrap()
            .to_owned()
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_limits_of_a_process_outside_cannot_be_changed() {
    // Control: unconfined, the same user may.
    let control = Target::start();
    assert_eq!(unconfined(&["prlimit", &control.pid()]), "ok");
    assert!(
        control.open_files_limit().contains(" 5 "),
        "{}",
        control.open_files_limit()
    );

    let target = Target::start();
    let before = target.open_files_limit();
    let scenario = probe::scenario(POLICY);
    assert_eq!(
        attempt(&scenario, &["prlimit", &target.pid()]),
        "err prlimit EPERM"
    );
    assert_eq!(target.open_files_limit(), before);
}

#[test]
fn system_v_ipc_is_refused() {
    // Control: unconfined, a segment can be made (and is removed again).
    assert_eq!(unconfined(&["shmget"]), "ok");
    let scenario = probe::scenario(POLICY);
    assert_eq!(attempt(&scenario, &["shmget"]), "err shmget EPERM");
}
