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

use std::os::unix::process::CommandExt;

use common::gate::{SANDBOX_DENIED, Scenario, forced, stderr, stdout};

const SECCOMP_RET_ALLOW: u32 = 0x7fff_0000;
const SECCOMP_RET_ERRNO: u32 = 0x0005_0000;
const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;

/// `BPF_LD | BPF_W | BPF_ABS`, `BPF_JMP | BPF_JEQ | BPF_K`, `BPF_RET | BPF_K`.
const LOAD: u16 = 0x20;
const JUMP_IF_EQUAL: u16 = 0x15;
const RETURN: u16 = 0x06;

/// Offsets in `struct seccomp_data`: `nr`, `arch`, the low half of `args[0]`.
const NR: u32 = 0;
const ARCH: u32 = 4;
const ARG0: u32 = 16;

fn instruction(code: u16, jt: u8, jf: u8, k: u32) -> libc::sock_filter {
    libc::sock_filter { code, jt, jf, k }
}

/// A syscall the wrapper makes fail: number `nr` (only with first argument
/// `arg0`, when given) gets `errno`.
struct Hidden {
    nr: i64,
    arg0: Option<u32>,
    errno: i32,
}

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

/// The wrapper's BPF program: each hidden syscall returns its errno,
/// everything else is allowed.
fn wrapper_filter(hidden: &[Hidden]) -> Vec<libc::sock_filter> {
    let mut filter = vec![
        instruction(LOAD, 0, 0, ARCH),
        // x86_64: skip the allow; other architectures are not simulated.
        instruction(JUMP_IF_EQUAL, 1, 0, AUDIT_ARCH_X86_64),
        instruction(RETURN, 0, 0, SECCOMP_RET_ALLOW),
    ];
    for call in hidden {
        let fail = instruction(RETURN, 0, 0, SECCOMP_RET_ERRNO | call.errno as u32);
        filter.push(instruction(LOAD, 0, 0, NR));
        match call.arg0 {
            None => {
                filter.push(instruction(JUMP_IF_EQUAL, 0, 1, call.nr as u32));
                filter.push(fail);
            }
            Some(arg0) => {
                filter.push(instruction(JUMP_IF_EQUAL, 0, 3, call.nr as u32));
                filter.push(instruction(LOAD, 0, 0, ARG0));
                filter.push(instruction(JUMP_IF_EQUAL, 0, 1, arg0));
                filter.push(fail);
            }
        }
    }
    filter.push(instruction(RETURN, 0, 0, SECCOMP_RET_ALLOW));
    filter
}

/// Runs the gate on `policy_text` with the `hidden` syscalls failing.
fn run_hiding(
    hidden: &[Hidden],
    policy_text: &str,
    command: &str,
) -> (Scenario, std::process::Output) {
    let scenario = Scenario::new(policy_text);
    let mut gate = forced(&scenario.policy, Some(command));
    let filter = wrapper_filter(hidden);
    // SAFETY: only async-signal-safe prctl calls between fork and exec;
    // the filter was built before the fork.
    unsafe {
        gate.pre_exec(move || {
            let program = libc::sock_fprog {
                len: filter.len() as u16,
                filter: filter.as_ptr() as *mut libc::sock_filter,
            };
            if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
                || libc::prctl(libc::PR_SET_SECCOMP, libc::SECCOMP_MODE_FILTER, &program) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let output = gate.output().unwrap();
    (scenario, output)
}

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
        err.starts_with("sshgate: denied: sandbox: the kernel has no Landlock, without landlock filesystem rules, "),
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
