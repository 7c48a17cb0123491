//! Escape scenario: an allowed command signals a process outside its
//! sandbox that runs as the same user: another session, a daemon, or for a
//! root key any root process (DAC allows it, and the command needs no
//! capability for its own uid). The Landlock signal scope (ABI 6 and
//! later) refuses `kill(2)` with EPERM, even the existence probe with
//! signal 0, and the target lives on. Within its own sandbox the command
//! may still signal its children.

mod common;

use common::probe::{self, attempt, unconfined};
use common::process::Sleeper;

#[test]
fn a_process_outside_the_sandbox_cannot_be_signalled() {
    let mut victim = Sleeper::start();
    // Control: unconfined, the same user may signal it.
    assert_eq!(unconfined(&["kill", &victim.pid(), "0"]), "ok");

    let scenario = probe::scenario(probe::POLICY);
    let term = libc::SIGTERM.to_string();
    let kill = libc::SIGKILL.to_string();
    assert_eq!(
        attempt(&scenario, &["kill", &victim.pid(), "0"]),
        "err kill EPERM"
    );
    assert_eq!(
        attempt(&scenario, &["kill", &victim.pid(), &term]),
        "err kill EPERM"
    );
    assert_eq!(
        attempt(&scenario, &["kill", &victim.pid(), &kill]),
        "err kill EPERM"
    );
    assert!(victim.is_alive(), "the victim was killed from the sandbox");
}

#[test]
fn the_gates_parent_cannot_be_signalled() {
    // For a command behind sshd, the parent is the session's sshd; here it
    // is the test itself. Signal 0 only asks whether it may.
    let scenario = probe::scenario(probe::POLICY);
    let parent = std::process::id().to_string();
    assert_eq!(
        attempt(&scenario, &["kill", &parent, "0"]),
        "err kill EPERM"
    );
}

#[test]
fn its_own_child_can_be_signalled() {
    // Control: the scope is about the sandbox's boundary; inside it,
    // signals work, so the EPERM above is the scope.
    let scenario = probe::scenario(probe::POLICY);
    assert_eq!(attempt(&scenario, &["kill-child"]), "ok");
}
