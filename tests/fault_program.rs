//! Faults: the program to run is not a program. The rule's path is
//! missing, a dangling link, a directory, an empty or truncated file, or a
//! script whose interpreter is missing; in learn mode the client names a
//! program that is nowhere or a directory. Each is denied before the allow
//! record, with the path and the fault named, and nothing runs.
//!
//! (A program without execute permission gets an allow record, then the
//! denial of its failed exec: forced_deny.rs. A program someone else owns
//! or may write: sandbox_untrusted_executable.rs.)

mod common;

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;

use common::gate::{SANDBOX_DENIED, Scenario, assert_denied, copy_executable, write_private};

const DENIED: i32 = 77;

/// The rule runs a copy of touch at `bin/touch`, which would leave
/// `out/marker` if it ran.
const POLICY: &str = r#"
log = "{log}"
[[allow]]
name = "touch"
command = ["{dir}/bin/touch", "{dir}/out/marker"]
[allow.sandbox]
write = ["{dir}/out"]
"#;

/// Writes `bytes` as an executable at `path`.
fn executable(path: &Path, bytes: &[u8]) {
    write_private(path, "");
    fs::write(path, bytes).expect("write the program");
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// A broken program, made by `break_it` at the rule's path, and the reason
/// expected after `sandbox: ` (with `{program}` for the path).
type Case = (&'static str, fn(&Path), &'static str);

#[test]
fn a_rule_program_that_is_not_a_program_is_denied_before_any_allow() {
    let cases: [Case; 7] = [
        ("missing", |_| {}, "grant path {program} does not exist"),
        (
            "a dangling link",
            |program| symlink(program.with_file_name("gone"), program).expect("link"),
            "grant path {program} does not exist",
        ),
        (
            "a directory",
            |program| fs::create_dir(program).expect("mkdir"),
            "cannot determine interpreters: {program} is not a regular file",
        ),
        (
            "empty",
            |program| executable(program, b""),
            "cannot determine interpreters: {program} is neither an ELF binary nor a #! script",
        ),
        (
            "an ELF file cut short",
            |program| {
                let elf = fs::read("/usr/bin/touch").expect("read touch");
                executable(program, &elf[..4]);
            },
            "cannot determine interpreters: {program} is a malformed ELF file: file ends inside e_ident",
        ),
        (
            "a script whose interpreter is missing",
            |program| executable(program, b"#!/nonexistent/sh\ntouch \"$@\"\n"),
            "cannot determine interpreters: cannot open /nonexistent/sh: No such file or directory (os error 2)",
        ),
        (
            "a script without an interpreter",
            |program| executable(program, b"#!\n"),
            "cannot determine interpreters: {program} has a malformed #! line: no interpreter after #!",
        ),
    ];
    for (what, break_it, reason) in cases {
        let scenario = Scenario::new(POLICY);
        fs::create_dir(scenario.path("out")).expect("mkdir out");
        fs::create_dir(scenario.path("bin")).expect("mkdir bin");
        let program = scenario.path("bin/touch");
        break_it(&program);
        let marker = scenario.path("out/marker");
        let output = scenario.run(Some(&format!("{} {}", program.display(), marker.display())));
        let reason = format!(
            "sandbox: {}",
            reason.replace("{program}", &program.display().to_string())
        );
        assert_eq!(
            output.status.code(),
            Some(SANDBOX_DENIED),
            "{what}: {output:?}"
        );
        assert_denied(&output, SANDBOX_DENIED, &reason);
        assert!(!marker.exists(), "{what}: the command ran");
        let records = scenario.records();
        assert_eq!(records.len(), 1, "{what}: {records:?}");
        assert_eq!(records[0]["decision"], "deny", "{what}");
        assert_eq!(records[0]["rule"], "touch", "{what}");
        assert_eq!(records[0]["reason"], reason, "{what}");
    }
}

#[test]
fn positive_control_the_intact_copy_runs() {
    let scenario = Scenario::new(POLICY);
    fs::create_dir(scenario.path("out")).expect("mkdir out");
    fs::create_dir(scenario.path("bin")).expect("mkdir bin");
    let program = scenario.path("bin/touch");
    copy_executable(Path::new("/usr/bin/touch"), &program);
    let marker = scenario.path("out/marker");
    let output = scenario.run(Some(&format!("{} {}", program.display(), marker.display())));
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(marker.exists(), "the intact program did not run");
}

#[test]
fn learn_mode_denies_a_program_that_is_nowhere_or_a_directory() {
    let scenario = Scenario::new("log = \"{log}\"\nmode = \"learn\"\n");
    let cases = [
        (
            "sshgate-no-such-program --flag",
            DENIED,
            "learn mode found no executable \"sshgate-no-such-program\" in /usr/local/bin:/usr/bin:/bin",
        ),
        (
            "/usr/bin",
            SANDBOX_DENIED,
            "sandbox: cannot determine interpreters: /usr/bin is not a regular file",
        ),
    ];
    for (command, code, reason) in cases {
        let output = scenario.run(Some(command));
        assert_denied(&output, code, reason);
        let records = scenario.records();
        let last = records.last().expect("a record");
        assert_eq!(last["decision"], "deny", "{command}: {records:?}");
        assert_eq!(last["reason"], reason, "{command}");
        assert_eq!(last["learning"], true, "{command}");
    }
    let decisions: Vec<_> = scenario
        .records()
        .iter()
        .map(|record| record["decision"].clone())
        .collect();
    assert_eq!(decisions, ["deny", "deny"], "an allow was recorded");
}
