//! Older kernels, simulated for real: a seccomp filter installed before the
//! gate starts makes a syscall fail as on a kernel built without it.
//!
//! - Without Landlock, `landlock_create_ruleset` fails with ENOSYS.
//! - Without seccomp filters, the `seccomp` syscall fails with ENOSYS and
//!   `prctl(PR_SET_SECCOMP)` with EINVAL (the gate uses the former; both are
//!   hidden so that neither way can succeed).
//!
//! `compat = "enforce"` must then deny, naming the missing layer;
//! `"best-effort"` must run and say in the record what was missing.

#![cfg(target_arch = "x86_64")]

mod common;

use common::gate::{SANDBOX_DENIED, Scenario, stderr, stdout};
use common::refuse::{Hidden, run_hiding};

/// `landlock_create_ruleset` fails as on a kernel without Landlock.
const NO_LANDLOCK: &[Hidden] = &[Hidden {
    nr: libc::SYS_landlock_create_ruleset,
    arg0: None,
    errno: libc::ENOSYS,
}];

/// The `seccomp` syscall fails as on a kernel without `CONFIG_SECCOMP`, and
/// `prctl(PR_SET_SECCOMP)` as on one without `CONFIG_SECCOMP_FILTER`.
const NO_SECCOMP: &[Hidden] = &[
    Hidden {
        nr: libc::SYS_seccomp,
        arg0: None,
        errno: libc::ENOSYS,
    },
    Hidden {
        nr: libc::SYS_prctl,
        arg0: Some(libc::PR_SET_SECCOMP as u32),
        errno: libc::EINVAL,
    },
];

/// Runs the gate on `policy_text` with Landlock hidden from it.
fn run_without_landlock(policy_text: &str, command: &str) -> (Scenario, std::process::Output) {
    run_hiding(NO_LANDLOCK, policy_text, command)
}

const RULE: &str = "[[allow]]\nname = \"echo\"\ncommand = [\"/usr/bin/echo\", \"ran\"]\n";

#[test]
fn enforce_refuses_a_kernel_without_landlock() {
    let (scenario, output) =
        run_without_landlock(&format!("log = \"{{log}}\"\n{RULE}"), "echo ran");
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(SANDBOX_DENIED), "{err}");
    assert!(
        err.starts_with("sshgate: denied: sandbox: Landlock is unavailable (a kernel before 5.13, or one booted without landlock in lsm=), without landlock filesystem rules, "),
        "{err}"
    );
    assert!(err.contains("or set compat = \"best-effort\""), "{err}");
    assert_eq!(stdout(&output), "", "the command ran");
    assert_eq!(scenario.records()[0]["decision"], "deny");
}

#[test]
fn best_effort_runs_and_records_what_is_missing() {
    let policy = format!("log = \"{{log}}\"\n[sandbox]\ncompat = \"best-effort\"\n{RULE}");
    let (scenario, output) = run_without_landlock(&policy, "echo ran");
    assert_eq!(stdout(&output), "ran\n", "stderr: {}", stderr(&output));
    let record = &scenario.records()[0];
    assert_eq!(record["decision"], "allow");
    assert_eq!(record["applied"]["landlock"], "not-enforced");
    let skipped = record["applied"]["skipped"].to_string();
    for feature in [
        "landlock filesystem rules (kernel too old)",
        "landlock scopes for signals and abstract unix sockets (kernel too old)",
    ] {
        assert!(skipped.contains(feature), "{feature} not in {skipped}");
    }
    // Capabilities and no_new_privs do not depend on Landlock.
    assert_eq!(record["applied"]["no_new_privs"], true);
}

/// The child's `/proc/self/status`, so it can show how many filters hold.
const STATUS_RULE: &str = r#"
[[allow]]
name = "status"
command = ["/usr/bin/cat", "/proc/self/status"]
"#;

#[test]
fn enforce_refuses_a_kernel_without_seccomp() {
    let policy = format!("log = \"{{log}}\"\n[sandbox]\nread = [\"/proc\"]\n{STATUS_RULE}");
    let (scenario, output) = run_hiding(NO_SECCOMP, &policy, "cat /proc/self/status");
    let err = stderr(&output);
    assert_eq!(
        err,
        "sshgate: denied: sandbox: cannot apply the seccomp filter: the kernel refused to \
         install it (ENOSYS: Function not implemented): it has no seccomp filter support; \
         compat = \"enforce\" needs it, or set compat = \"best-effort\" to run without it, \
         recorded in the log\n"
    );
    assert_eq!(output.status.code(), Some(SANDBOX_DENIED), "{err}");
    assert_eq!(stdout(&output), "", "the command ran");
    let record = &scenario.records()[0];
    assert_eq!(record["decision"], "deny");
    assert!(
        record["reason"]
            .as_str()
            .is_some_and(|reason| reason.contains("seccomp")),
        "{record}"
    );
}

#[test]
fn best_effort_runs_without_seccomp() {
    let policy = format!(
        "log = \"{{log}}\"\n[sandbox]\nread = [\"/proc\"]\ncompat = \"best-effort\"\n{STATUS_RULE}"
    );
    let (scenario, output) = run_hiding(NO_SECCOMP, &policy, "cat /proc/self/status");
    let status = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    // Only the wrapper's filter: the gate's was skipped, not stacked.
    assert!(status.contains("\nSeccomp:\t2\n"), "{status}");
    assert!(status.contains("\nSeccomp_filters:\t1\n"), "{status}");
    // The other layers still hold.
    assert!(status.contains("\nNoNewPrivs:\t1\n"), "{status}");
    let record = &scenario.records()[0];
    assert_eq!(record["decision"], "allow");
    assert_eq!(record["applied"]["landlock"], "fully-enforced");
    // Never silent: the record says the filter is missing, and why.
    assert_eq!(
        record["applied"]["seccomp"],
        "skipped: the kernel refused it (ENOSYS: Function not implemented)"
    );
    let skipped = record["applied"]["skipped"].as_array().unwrap();
    assert!(
        skipped.contains(&serde_json::json!(
            "seccomp filter (kernel refused it: ENOSYS: Function not implemented)"
        )),
        "{skipped:?}"
    );
}
