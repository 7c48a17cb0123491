//! Fail closed, one layer at a time: the policy allows the command, then
//! the kernel refuses one step of confinement (simulated by a seccomp
//! filter installed before the gate starts, see `common::refuse`). Each
//! must end in a recorded denial naming the layer, with nothing executed.

#![cfg(target_arch = "x86_64")]

mod common;

use common::gate::{SANDBOX_DENIED, stderr, stdout};
use common::refuse::{Hidden, run_hiding};

/// Runs `echo ran` under `sandbox` with `hidden` failing, and checks the
/// denial: exit 71, a reason starting with `reason`, a deny record for
/// the rule, and no output from the command.
fn assert_layer_refused(hidden: &[Hidden], sandbox: &str, reason: &str) {
    let policy = format!(
        "log = \"{{log}}\"\n[sandbox]\n{sandbox}\n[[allow]]\nname = \"echo\"\ncommand = [\"/usr/bin/echo\", \"ran\"]\n"
    );
    let (scenario, output) = run_hiding(hidden, &policy, "echo ran");
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(SANDBOX_DENIED), "{err}");
    assert!(
        err.starts_with(&format!("sshgate: denied: {reason}")),
        "expected {reason:?}, got {err}"
    );
    assert_eq!(stdout(&output), "", "the command ran");
    let records = scenario.records();
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["decision"], "deny");
    assert_eq!(records[0]["rule"], "echo");
}

fn refuse(nr: i64, errno: i32) -> [Hidden; 1] {
    [Hidden {
        nr,
        arg0: None,
        errno,
    }]
}

#[test]
fn capabilities_that_cannot_be_set() {
    assert_layer_refused(
        &refuse(libc::SYS_capset, libc::EPERM),
        "",
        "sandbox: cannot drop capabilities: ",
    );
}

#[test]
fn a_user_switch_the_kernel_refuses() {
    if !nix::unistd::geteuid().is_root() {
        // decide refuses the switch itself; decide_table covers that.
        return;
    }
    assert_layer_refused(
        &refuse(libc::SYS_setresuid, libc::EPERM),
        "user = \"nobody\"\nchdir = \"/\"",
        "sandbox: cannot switch user: ",
    );
}

#[test]
fn resource_limits_that_cannot_be_read_or_set() {
    assert_layer_refused(
        &refuse(libc::SYS_prlimit64, libc::EPERM),
        "rlimits = { nofile = 64 }",
        "sandbox: cannot set resource limits: ",
    );
}

#[test]
fn a_working_directory_that_cannot_be_entered() {
    assert_layer_refused(
        &refuse(libc::SYS_fchdir, libc::EACCES),
        "chdir = \"/\"",
        "sandbox: chdir to / failed: EACCES",
    );
}

#[test]
fn no_new_privs_that_cannot_be_set() {
    assert_layer_refused(
        &[Hidden {
            nr: libc::SYS_prctl,
            arg0: Some(libc::PR_SET_NO_NEW_PRIVS as u32),
            errno: libc::EINVAL,
        }],
        "",
        "sandbox: cannot set no_new_privs: EINVAL",
    );
}

#[test]
fn a_landlock_ruleset_that_cannot_be_enforced() {
    assert_layer_refused(
        &refuse(libc::SYS_landlock_restrict_self, libc::EPERM),
        "",
        "sandbox: cannot apply Landlock: ",
    );
}
