//! Faults: a path the rule names is deleted after `sshgate lint` passed
//! the policy. A missing `read`, `write` or `exec` path, working directory
//! or program denies the request (71) with the path named, before any
//! allow record: never a smaller, or larger, sandbox than the policy says.

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::gate::{SANDBOX_DENIED, Scenario, assert_denied, binary, copy_executable, stderr};

const POLICY: &str = r#"
log = "{log}"
[[allow]]
name = "touch"
command = ["{dir}/bin/touch", "{dir}/w/marker"]
[allow.sandbox]
read = ["{dir}/r"]
write = ["{dir}/w", "{dir}/w2"]
exec = ["{dir}/x"]
chdir = "{dir}/c"
"#;

fn run(scenario: &Scenario) -> std::process::Output {
    scenario.run(Some(&format!(
        "{} {}",
        scenario.path("bin/touch").display(),
        scenario.path("w/marker").display()
    )))
}

#[test]
fn a_rule_path_deleted_after_lint_denies_the_request() {
    let scenario = Scenario::new(POLICY);
    for directory in ["r", "w", "w2", "x", "c", "bin"] {
        fs::create_dir(scenario.path(directory)).expect("mkdir");
    }
    copy_executable(Path::new("/usr/bin/touch"), &scenario.path("bin/touch"));
    let lint = Command::new(binary())
        .args(["lint", "--strict"])
        .arg(&scenario.policy)
        .output()
        .expect("run lint");
    assert_eq!(lint.status.code(), Some(0), "{}", stderr(&lint));

    // Positive control: as linted, the command runs.
    let output = run(&scenario);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let marker = scenario.path("w/marker");
    assert!(marker.exists(), "the command did not run");
    fs::remove_file(&marker).expect("remove the marker");

    let dir = scenario.dir.path().display().to_string();
    let cases = [
        ("r", format!("sandbox: grant path {dir}/r does not exist")),
        ("w2", format!("sandbox: grant path {dir}/w2 does not exist")),
        ("x", format!("sandbox: grant path {dir}/x does not exist")),
        (
            "c",
            format!(
                "sandbox: chdir {dir}/c does not exist (the policy's `chdir`, or the home directory of the account when it sets none)"
            ),
        ),
        (
            "bin/touch",
            format!("sandbox: grant path {dir}/bin/touch does not exist"),
        ),
    ];
    for (deleted, reason) in cases {
        let path = scenario.path(deleted);
        let aside = scenario.path("aside");
        fs::rename(&path, &aside).expect("delete the path");
        let before = scenario.records().len();
        let output = run(&scenario);
        fs::rename(&aside, &path).expect("put the path back");
        assert_denied(&output, SANDBOX_DENIED, &reason);
        assert!(!marker.exists(), "{deleted} deleted: the command ran");
        let records = scenario.records();
        assert_eq!(records.len(), before + 1, "{deleted}: {records:?}");
        let last = &records[before];
        assert_eq!(last["decision"], "deny", "{deleted}");
        assert_eq!(last["rule"], "touch", "{deleted}");
        assert_eq!(last["reason"], reason, "{deleted}");
    }
}
