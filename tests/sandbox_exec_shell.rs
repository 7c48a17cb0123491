//! Escape scenario: an allowed program tries to execute a shell. Execute
//! is granted only on the matched program and its loader.

mod common;

use common::gate::{Scenario, stderr, stdout};

const RULE: &str = r#"
[[allow]]
name = "env-sh"
command = ["/usr/bin/env", "/bin/sh", "-c", "echo escaped"]
"#;

#[test]
fn the_allowed_program_cannot_exec_a_shell() {
    let scenario = Scenario::new(&format!("log = \"{{log}}\"\n{RULE}"));
    let output = scenario.run(Some("env /bin/sh -c 'echo escaped'"));
    assert_eq!(stdout(&output), "", "the shell ran");
    assert_eq!(
        stderr(&output),
        "/usr/bin/env: '/bin/sh': Permission denied\n"
    );
    assert_eq!(
        output.status.code(),
        Some(126),
        "env's status for a command that cannot be executed"
    );
}

#[test]
fn granting_the_shell_with_exec_lets_it_run() {
    // The control case: the same request runs once the policy lists the
    // shell, so the denial above is Landlock's and not a broken setup.
    let scenario = Scenario::new(&format!(
        "log = \"{{log}}\"\n[sandbox]\nexec = [\"/bin/sh\"]\n{RULE}"
    ));
    let output = scenario.run(Some("env /bin/sh -c 'echo escaped'"));
    assert_eq!(stdout(&output), "escaped\n", "stderr: {}", stderr(&output));
    assert_eq!(output.status.code(), Some(0));
}
