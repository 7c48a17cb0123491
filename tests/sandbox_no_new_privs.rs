//! The confined child's own view of its process flags, read from
//! `/proc/self/status` when the policy grants `/proc`.

mod common;

use common::gate::{Scenario, stderr, stdout};

const RULE: &str = r#"
[[allow]]
name = "status"
command = ["/usr/bin/cat", "/proc/self/status"]
"#;

#[test]
fn the_command_runs_with_no_new_privs() {
    let scenario = Scenario::new(&format!(
        "log = \"{{log}}\"\n[sandbox]\nread = [\"/proc\"]\n{RULE}"
    ));
    let output = scenario.run(Some("cat /proc/self/status"));
    let status = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    assert!(status.contains("\nNoNewPrivs:\t1\n"), "{status}");
    assert!(
        status.starts_with("Name:\tcat\n"),
        "the command is cat itself: {status}"
    );
}

#[test]
fn proc_is_not_readable_unless_granted() {
    let scenario = Scenario::new(&format!("log = \"{{log}}\"\n{RULE}"));
    let output = scenario.run(Some("cat /proc/self/status"));
    assert_eq!(stdout(&output), "");
    assert_eq!(
        stderr(&output),
        "/usr/bin/cat: /proc/self/status: Permission denied\n"
    );
    assert_eq!(output.status.code(), Some(1));
}
