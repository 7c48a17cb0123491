//! A kernel without Landlock, simulated for real: a seccomp filter installed
//! before the gate starts makes `landlock_create_ruleset` fail with ENOSYS,
//! as on a kernel built without Landlock. `compat = "enforce"` must then
//! deny; `"best-effort"` must run and say in the record what was missing.

#![cfg(target_arch = "x86_64")]

mod common;

use std::os::unix::process::CommandExt;

use common::gate::{Scenario, forced, stderr, stdout};

const SECCOMP_RET_ALLOW: u32 = 0x7fff_0000;
const SECCOMP_RET_ERRNO: u32 = 0x0005_0000;
const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;

/// `BPF_LD | BPF_W | BPF_ABS`, `BPF_JMP | BPF_JEQ | BPF_K`, `BPF_RET | BPF_K`.
const LOAD: u16 = 0x20;
const JUMP_IF_EQUAL: u16 = 0x15;
const RETURN: u16 = 0x06;

fn instruction(code: u16, jt: u8, jf: u8, k: u32) -> libc::sock_filter {
    libc::sock_filter { code, jt, jf, k }
}

/// Runs the gate on `policy_text` with Landlock hidden from it.
fn run_without_landlock(policy_text: &str, command: &str) -> (Scenario, std::process::Output) {
    let scenario = Scenario::new(policy_text);
    let mut gate = forced(&scenario.policy, Some(command));
    // SAFETY: only async-signal-safe prctl calls between fork and exec.
    unsafe {
        gate.pre_exec(|| {
            let filter = [
                // seccomp_data.arch is at offset 4, .nr at offset 0.
                instruction(LOAD, 0, 0, 4),
                instruction(JUMP_IF_EQUAL, 0, 3, AUDIT_ARCH_X86_64),
                instruction(LOAD, 0, 0, 0),
                instruction(
                    JUMP_IF_EQUAL,
                    0,
                    1,
                    libc::SYS_landlock_create_ruleset as u32,
                ),
                instruction(RETURN, 0, 0, SECCOMP_RET_ERRNO | libc::ENOSYS as u32),
                instruction(RETURN, 0, 0, SECCOMP_RET_ALLOW),
            ];
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

const RULE: &str = "[[allow]]\nname = \"echo\"\ncommand = [\"/usr/bin/echo\", \"ran\"]\n";

#[test]
fn enforce_refuses_a_kernel_without_landlock() {
    let (scenario, output) =
        run_without_landlock(&format!("log = \"{{log}}\"\n{RULE}"), "echo ran");
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(71), "{err}");
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
