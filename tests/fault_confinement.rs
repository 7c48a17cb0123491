//! Faults: the kernel refuses a step of confinement that
//! sandbox_layer_refused.rs and sandbox_old_kernel.rs do not cover, or a
//! step the gate takes between its allow record and the exec. A seccomp
//! filter installed before the gate starts makes the syscall fail, as a
//! kernel without the feature or an LSM would (`common::refuse`).
//!
//! Each is a recorded denial (71) with the reason, and nothing runs; a
//! refusal after the allow record is recorded after it.

#![cfg(target_arch = "x86_64")]

mod common;

use common::gate::{SANDBOX_DENIED, assert_denied, forced};
use common::marker;
use common::refuse::{Hidden, hide};
use common::syslog::SystemLog;

/// Runs the marker command under `sandbox` (keys of the profile's
/// `[sandbox]`) with `hidden` failing, and checks a denial with exactly
/// `reason` whose records are `decisions`, the last naming the rule and
/// the reason, with nothing run.
fn assert_refused(hidden: &[Hidden], sandbox: &str, reason: &str, decisions: &[&str]) {
    let scenario = marker::scenario(&format!("log = \"{{log}}\"\n[sandbox]\n{sandbox}"));
    let output = hide(
        &mut forced(&scenario.policy, Some(&marker::command(&scenario))),
        hidden,
    )
    .output()
    .expect("run the gate");
    assert_denied(&output, SANDBOX_DENIED, reason);
    assert!(!marker::ran(&scenario), "the command ran");
    let records = scenario.records();
    let recorded: Vec<&str> = records
        .iter()
        .map(|r| r["decision"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(recorded, decisions, "{records:?}");
    let last = records.last().expect("a record");
    assert_eq!(last["rule"], "touch");
    assert_eq!(last["reason"], reason);
}

fn refuse(nr: i64, errno: i32) -> [Hidden; 1] {
    [Hidden {
        nr,
        arg0: None,
        errno,
    }]
}

fn refuse_prctl(option: i32, errno: i32) -> [Hidden; 1] {
    [Hidden {
        nr: libc::SYS_prctl,
        arg0: Some(option as u32),
        errno,
    }]
}

fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

#[test]
fn a_bounding_set_that_cannot_be_emptied() {
    if !is_root() {
        // Without CAP_SETPCAP the gate does not try; capabilities.rs says why.
        return;
    }
    assert_refused(
        &refuse_prctl(libc::PR_CAPBSET_DROP, libc::EPERM),
        "",
        "sandbox: cannot drop capabilities: cannot drop CAP_CHOWN from the bounding set: Operation not permitted (os error 1)",
        &["deny"],
    );
}

#[test]
fn an_ambient_set_that_cannot_be_cleared() {
    assert_refused(
        &refuse_prctl(libc::PR_CAP_AMBIENT, libc::EINVAL),
        "",
        "sandbox: cannot drop capabilities: cannot clear the ambient set: caps error: PR_CAP_AMBIENT_CLEAR_ALL failure: Invalid argument (os error 22)",
        &["deny"],
    );
}

#[test]
fn supplementary_groups_or_a_group_the_kernel_refuses() {
    if !is_root() {
        return;
    }
    for (nr, call) in [
        (libc::SYS_setgroups, "setgroups([65534])"),
        (libc::SYS_setresgid, "setresgid(65534, 65534, 65534)"),
    ] {
        assert_refused(
            &refuse(nr, libc::EPERM),
            "user = \"nobody\"\nchdir = \"/\"",
            &format!("sandbox: cannot switch user: {call} failed: EPERM: Operation not permitted"),
            &["deny"],
        );
    }
}

#[test]
fn capabilities_that_cannot_be_kept_across_the_user_switch() {
    if !is_root() {
        return;
    }
    assert_refused(
        &refuse_prctl(libc::PR_SET_KEEPCAPS, libc::EPERM),
        "user = \"nobody\"\nchdir = \"/\"\ncapabilities = [\"CAP_DAC_READ_SEARCH\"]",
        "sandbox: cannot drop capabilities: cannot set keepcaps to 1: EPERM: Operation not permitted",
        &["deny"],
    );
}

#[test]
fn a_landlock_rule_the_kernel_refuses() {
    assert_refused(
        &refuse(libc::SYS_landlock_add_rule, libc::EPERM),
        "",
        "sandbox: cannot apply Landlock: failed to add a rule: Operation not permitted (os error 1)",
        &["deny"],
    );
}

#[test]
fn landlock_built_in_but_disabled_at_boot() {
    assert_refused(
        &refuse(libc::SYS_landlock_create_ruleset, libc::EOPNOTSUPP),
        "",
        "sandbox: Landlock is unavailable (a kernel before 5.13, or one booted without landlock in lsm=), without landlock filesystem rules, landlock control of renames and links across directories (refer), landlock control of truncate, landlock TCP bind and connect rules, landlock control of device ioctls, landlock scopes for signals and abstract unix sockets; compat = \"enforce\" needs ABI 6 (Linux 6.12 or later), or set compat = \"best-effort\" to run without them, recorded in the log",
        &["deny"],
    );
}

#[test]
fn a_seccomp_filter_refused_for_another_reason_than_no_support_even_under_best_effort() {
    // EINVAL is also what a kernel answers a filter its checker rejects:
    // never skipped as "unsupported".
    for compat in ["enforce", "best-effort"] {
        assert_refused(
            &[
                Hidden {
                    nr: libc::SYS_seccomp,
                    arg0: None,
                    errno: libc::EINVAL,
                },
                Hidden {
                    nr: libc::SYS_prctl,
                    arg0: Some(libc::PR_SET_SECCOMP as u32),
                    errno: libc::EINVAL,
                },
            ],
            &format!("compat = \"{compat}\""),
            "sandbox: cannot apply the seccomp filter: the kernel refused to install it (EINVAL: Invalid argument)",
            &["deny"],
        );
    }
}

#[test]
fn pending_signals_that_cannot_be_read() {
    assert_refused(
        &refuse(libc::SYS_rt_sigpending, libc::EPERM),
        "",
        "cannot read the pending signals: EPERM: Operation not permitted",
        &["deny"],
    );
}

/// A step the gate takes before it reads the policy, refused: denied
/// with `reason`, nothing run, the policy's log untouched, and the one
/// record in the system log.
fn assert_denied_before_anything(hidden: &[Hidden], reason: &str) {
    let Some(system_log) = SystemLog::new() else {
        return;
    };
    let scenario = marker::scenario("log = \"{log}\"");
    let mut gate = forced(&scenario.policy, Some(&marker::command(&scenario)));
    system_log.attach(&mut gate);
    let output = hide(&mut gate, hidden).output().expect("run the gate");
    assert_denied(&output, SANDBOX_DENIED, reason);
    assert!(!marker::ran(&scenario), "the command ran");
    assert!(!scenario.log.exists(), "the policy's log was used");
    let records = system_log.records();
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["reason"], reason);
}

#[test]
fn signals_that_cannot_be_caught_deny_before_anything() {
    // SIGXFSZ is caught first thing, so that a file size limit below the
    // log's size fails the write instead of killing the gate unrecorded.
    assert_denied_before_anything(
        &[Hidden {
            nr: libc::SYS_rt_sigaction,
            arg0: Some(libc::SIGXFSZ as u32),
            errno: libc::EPERM,
        }],
        "cannot catch SIGPIPE and SIGXFSZ: EPERM: Operation not permitted",
    );
}

#[test]
fn descriptors_that_cannot_be_marked_close_on_exec_after_the_allow_record() {
    assert_refused(
        &refuse(libc::SYS_close_range, libc::EPERM),
        "",
        "cannot execute /usr/bin/touch: marking inherited file descriptors close-on-exec failed: Operation not permitted (os error 1)",
        &["allow", "deny"],
    );
}

#[test]
fn signals_that_cannot_be_held_off_deny_before_anything() {
    // rt_sigprocmask fails from the first call: the gate cannot keep SIGHUP
    // from ending it half-way, so it denies before reading the policy.
    assert_denied_before_anything(
        &refuse(libc::SYS_rt_sigprocmask, libc::EPERM),
        "cannot block SIGHUP, SIGTERM and SIGINT: EPERM: Operation not permitted",
    );
}

#[test]
fn a_signal_mask_that_cannot_be_given_back_after_the_allow_record() {
    // Only the gate's last step sets the whole mask (SIG_SETMASK); holding
    // the signals added to it (SIG_BLOCK).
    assert_refused(
        &[Hidden {
            nr: libc::SYS_rt_sigprocmask,
            arg0: Some(libc::SIG_SETMASK as u32),
            errno: libc::EPERM,
        }],
        "",
        "cannot give the command its signal mask back: EPERM: Operation not permitted",
        &["allow", "deny"],
    );
}
