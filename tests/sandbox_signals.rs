//! Escape scenario: an allowed command signals a process outside its
//! sandbox, e.g. another of the same user's sessions or a root daemon when
//! run as root. The Landlock signal scope (ABI 6 and later) refuses it;
//! signals within the sandbox still work.

mod common;

use std::process::Command;

use common::gate::{Scenario, stderr, stdout};

const POLICY: &str = r#"
log = "{log}"

[[allow]]
name = "kill"
command = ["/usr/bin/kill", "-0", { regex = "[0-9]+" }]

[[allow]]
name = "bash"
command = ["/usr/bin/bash", "-c", { regex = ".*" }]
"#;

#[test]
fn signalling_a_process_outside_the_sandbox_is_refused() {
    let pid = std::process::id();
    // Control: unconfined, the same user may signal this process.
    let control = Command::new("/usr/bin/kill")
        .args(["-0", &pid.to_string()])
        .status()
        .unwrap();
    assert!(control.success(), "unconfined kill -0 {pid} failed");

    let scenario = Scenario::new(POLICY);
    let output = scenario.run(Some(&format!("kill -0 {pid}")));

    assert_eq!(
        stderr(&output),
        format!("/usr/bin/kill: ({pid}): Operation not permitted\n")
    );
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn signalling_itself_still_works() {
    let scenario = Scenario::new(POLICY);
    let output = scenario.run(Some("bash -c 'kill -0 $$ && echo alive'"));
    // stderr may hold Debian bash's refused attempts to read its rc files
    // (it does when SSH_CLIENT is set); the signal itself must go through.
    assert_eq!(stdout(&output), "alive\n", "stderr: {}", stderr(&output));
    assert_eq!(output.status.code(), Some(0));
}
