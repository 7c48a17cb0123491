//! Escape scenario: an allowed command creates a user namespace. Inside
//! one it holds every capability over new mount, network and other
//! namespaces, the usual first step of a kernel exploit, and no capability
//! is needed to create it. seccomp refuses `unshare(2)` and `clone(2)` with
//! any `CLONE_NEW*` flag with EPERM, and `clone3(2)` with ENOSYS (its flags
//! are behind a pointer seccomp cannot read; libc falls back to `clone`).
//! A plain `fork` still works.
//!
//! Tried with the raw syscalls from the probe and with util-linux's
//! `unshare --user` as the allowed program itself.

mod common;

use std::process::Command;

use common::gate::{stderr, stdout};
use common::probe::{self, attempt, unconfined};

const POLICY: &str = r#"
log = "{log}"

[[allow]]
name = "probe"
command = ["{probe}"]
trailing_args = true

[[allow]]
name = "unshare"
command = ["/usr/bin/unshare", "--user", "/usr/bin/true"]
[allow.sandbox]
exec = ["/usr/bin/true"]
"#;

#[test]
fn the_unconfined_probe_creates_user_namespaces() {
    // Control: the kernel allows all three to this user, so the refusals
    // below are the gate's. No other layer covers them: creating a user
    // namespace needs no capability and Landlock has no say.
    assert_eq!(unconfined(&["unshare-user"]), "ok");
    assert_eq!(unconfined(&["clone-user"]), "ok");
    assert_eq!(unconfined(&["clone3-user"]), "ok");
}

#[test]
fn unshare_of_a_user_namespace_is_refused() {
    let scenario = probe::scenario(POLICY);
    assert_eq!(attempt(&scenario, &["unshare-user"]), "err unshare EPERM");
}

#[test]
fn clone_into_a_user_namespace_is_refused() {
    let scenario = probe::scenario(POLICY);
    assert_eq!(attempt(&scenario, &["clone-user"]), "err clone EPERM");
    assert_eq!(attempt(&scenario, &["clone3-user"]), "err clone3 ENOSYS");
}

#[test]
fn fork_still_works() {
    let scenario = probe::scenario(POLICY);
    assert_eq!(attempt(&scenario, &["fork"]), "ok");
}

#[test]
fn the_unshare_tool_is_refused() {
    // Control: unconfined, the tool works.
    let control = Command::new("/usr/bin/unshare")
        .args(["--user", "/usr/bin/true"])
        .status()
        .unwrap();
    assert!(control.success(), "unconfined unshare --user failed");

    let scenario = probe::scenario(POLICY);
    let output = scenario.run(Some("unshare --user /usr/bin/true"));
    assert_eq!(stdout(&output), "");
    assert_eq!(
        stderr(&output),
        "unshare: unshare failed: Operation not permitted\n"
    );
    assert_eq!(output.status.code(), Some(1));
}
