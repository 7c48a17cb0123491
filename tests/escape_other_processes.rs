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
//!   with DAC alone, and POSIX message queues, which Landlock refuses only
//!   after `mq_open(O_CREAT)` has created the queue (and `mq_unlink` not at
//!   all). seccomp refuses both interfaces with EPERM.

mod common;

use common::probe::{self, attempt, unconfined};
use common::process::Sleeper;

/// `target`'s `Max open files` line from /proc.
fn open_files_limit(target: &Sleeper) -> String {
    let limits = std::fs::read_to_string(target.proc_file("limits")).unwrap();
    limits
        .lines()
        .find(|line| line.starts_with("Max open files"))
        .unwrap()
        .to_owned()
}

#[test]
fn the_limits_of_a_process_outside_cannot_be_changed() {
    // Control: unconfined, the same user may.
    let control = Sleeper::start();
    assert_eq!(unconfined(&["prlimit", &control.pid()]), "ok");
    assert!(
        open_files_limit(&control).contains(" 5 "),
        "{}",
        open_files_limit(&control)
    );

    let target = Sleeper::start();
    let before = open_files_limit(&target);
    let scenario = probe::scenario(probe::POLICY);
    assert_eq!(
        attempt(&scenario, &["prlimit", &target.pid()]),
        "err prlimit EPERM"
    );
    assert_eq!(open_files_limit(&target), before);
}

#[test]
fn system_v_ipc_is_refused() {
    // Control: unconfined, a segment can be made (and is removed again).
    assert_eq!(unconfined(&["shmget"]), "ok");
    let scenario = probe::scenario(probe::POLICY);
    assert_eq!(attempt(&scenario, &["shmget"]), "err shmget EPERM");
}

#[test]
fn posix_message_queues_are_refused_before_any_is_made() {
    let name = format!("sshgate-test-{}", std::process::id());
    // Control: unconfined, a queue can be made (and is removed again).
    assert_eq!(unconfined(&["mq", &name]), "ok");
    let scenario = probe::scenario(probe::POLICY);
    assert_eq!(attempt(&scenario, &["mq", &name]), "err mq_open EPERM");
    assert!(
        !std::path::Path::new(&format!("/dev/mqueue/{name}")).exists(),
        "the queue was created"
    );
}
