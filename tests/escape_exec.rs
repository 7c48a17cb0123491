//! Escape scenario: an allowed program executes something else, a shell to
//! run anything, or a setuid-root program (`su`, `passwd`, `sudo`) to gain
//! privileges. Landlock grants execute on the rule's program and its ELF
//! interpreter only, so `execve(2)` of anything else fails with EACCES; a
//! policy `exec` entry is what makes another program executable.
//!
//! A memfd holds no path Landlock could judge, so a program copied into one
//! could be executed with `fexecve(3)` whatever the grants; seccomp refuses
//! `memfd_create(2)` unless the memfd is sealed non-executable.

mod common;

use std::path::Path;

use common::gate::{stderr, stdout};
use common::probe::{self, attempt};

/// The rule of [`probe::POLICY`], with `/usr/bin/echo` made executable by
/// the policy.
const POLICY_WITH_ECHO: &str = r#"
log = "{log}"
[sandbox]
exec = ["/usr/bin/echo"]

[[allow]]
name = "probe"
command = ["{probe}"]
trailing_args = true
"#;

#[test]
fn a_shell_cannot_be_executed() {
    let scenario = probe::scenario(probe::POLICY);
    for shell in ["/bin/sh", "/usr/bin/bash", "/usr/bin/dash"] {
        assert_eq!(
            attempt(&scenario, &["exec", shell, "-c", "echo escaped"]),
            "err execve EACCES",
            "{shell}"
        );
    }
}

#[test]
fn a_setuid_program_cannot_be_executed() {
    let scenario = probe::scenario(probe::POLICY);
    // su and passwd are in every Debian base system; sudo only if installed.
    for program in ["/usr/bin/su", "/usr/bin/passwd", "/usr/bin/sudo"] {
        if !Path::new(program).exists() {
            eprintln!("{program} is not installed; not tried");
            continue;
        }
        assert_eq!(
            attempt(&scenario, &["exec", program, "--help"]),
            "err execve EACCES",
            "{program}"
        );
    }
}

#[test]
fn a_program_the_policy_lists_in_exec_runs() {
    // Control: the probe's own execve works, and the EACCES above is
    // Landlock's missing execute right.
    let scenario = probe::scenario(POLICY_WITH_ECHO);
    assert_eq!(
        attempt(&scenario, &["exec", "/usr/bin/echo", "granted"]),
        "granted"
    );
    // Only that one: the shell is still refused.
    assert_eq!(
        attempt(&scenario, &["exec", "/bin/sh", "-c", "echo escaped"]),
        "err execve EACCES"
    );
}

#[test]
fn a_program_run_through_the_elf_interpreter_stays_confined() {
    // Known and documented (README, "what the sandbox does not cover"): the
    // ELF interpreter is executable, so it can load any readable program.
    // What it runs is still inside the same sandbox: cat, loaded by ld.so,
    // cannot read /etc/shadow either.
    let loader = "/lib64/ld-linux-x86-64.so.2";
    assert!(Path::new(loader).exists(), "{loader} is missing");
    let scenario = probe::scenario(probe::POLICY);
    let output = probe::run(&scenario, &["exec", loader, "/usr/bin/cat", "/etc/shadow"]);
    assert_eq!(stdout(&output), "");
    assert_eq!(
        stderr(&output),
        "/usr/bin/cat: /etc/shadow: Permission denied\n"
    );
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn a_program_copied_into_a_memfd_cannot_be_executed() {
    // Control: unconfined, the copy runs.
    assert_eq!(
        probe::unconfined(&["memfd-exec", "/usr/bin/echo", "memfd-ran"]),
        "memfd-ran"
    );
    let scenario = probe::scenario(probe::POLICY);
    // Landlock alone let this run (Linux 6.18, ABI 7): the memfd lies on
    // the kernel's internal mount, beyond every rule.
    assert_eq!(
        attempt(&scenario, &["memfd-exec", "/usr/bin/echo", "memfd-ran"]),
        "err memfd_create EPERM"
    );
}
