//! What a policy `exec` entry makes executable: the file with its
//! interpreters, so a `#!` script runs without listing its shell; and never
//! a file the command itself could have written.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use common::gate::{SANDBOX_DENIED, Scenario, assert_denied, binary, stderr, stdout};

/// Writes an executable `#!/bin/sh` script at `name` in the scenario.
fn make_script(scenario: &Scenario, name: &str, body: &str) {
    let path = scenario.path(name);
    fs::write(&path, format!("#!/bin/sh\n{body}")).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
}

const SCRIPT_RULE: &str = r#"
log = "{log}"
[[allow]]
name = "script"
command = ["/usr/bin/env", "{dir}/bin/hello"]
[allow.sandbox]
exec = ["{dir}/bin/hello"]
"#;

#[test]
fn an_exec_script_gets_its_interpreter() {
    let scenario = Scenario::new(SCRIPT_RULE);
    scenario.make_dir("bin", 0o755);
    make_script(&scenario, "bin/hello", "echo hello from a script\n");
    let command = format!("/usr/bin/env {}", scenario.path("bin/hello").display());

    let output = scenario.run(Some(&command));
    assert_eq!(
        stdout(&output),
        "hello from a script\n",
        "{}",
        stderr(&output)
    );
    assert_eq!(output.status.code(), Some(0));

    let explained = Command::new(binary())
        .args(["explain", "--json", "--policy"])
        .arg(&scenario.policy)
        .args(["--", &command])
        .output()
        .unwrap();
    assert_eq!(explained.status.code(), Some(0), "{}", stderr(&explained));
    let value: serde_json::Value = serde_json::from_slice(&explained.stdout).unwrap();
    let grants = value["plan"]["filesystem"].as_array().unwrap();
    assert!(
        grants.iter().any(|g| g["path"] == "/bin/sh"
            && g["access"] == "execute"
            && g["origin"] == "interpreter"),
        "{grants:#?}"
    );
}

#[test]
fn an_exec_entry_beneath_a_write_grant_is_refused() {
    let scenario = Scenario::new(
        r#"
log = "{log}"
[sandbox]
write = ["{dir}/w"]
exec = ["{dir}/w/tool"]

[[allow]]
name = "tool"
command = ["/usr/bin/env", "{dir}/w/tool"]
"#,
    );
    scenario.make_dir("w", 0o755);
    make_script(&scenario, "w/tool", "echo replaced\n");
    let tool = scenario.path("w/tool");

    let output = scenario.run(Some(&format!("/usr/bin/env {}", tool.display())));
    assert_denied(
        &output,
        SANDBOX_DENIED,
        &format!(
            "sandbox: executable {} is beneath writable {}: the command could replace \
             what it may execute",
            tool.display(),
            scenario.path("w").display()
        ),
    );
    assert!(Path::new(&tool).exists());
}
