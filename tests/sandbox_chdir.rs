//! Escape scenario: the working directory is reached through a planted
//! link. The policy's `chdir` is resolved like a policy path, by the same
//! descriptor walk and trust rules, and the gate changes into the directory
//! it checked.

mod common;

use std::os::unix::fs::symlink;

use common::gate::{SANDBOX_DENIED, Scenario, assert_denied, stderr, stdout};

#[test]
fn a_chdir_through_a_link_planted_beneath_a_write_path_is_refused() {
    // The review's repro: with `w/start -> /etc` the command started in /etc.
    let scenario = Scenario::new(
        r#"
log = "{log}"
[sandbox]
chdir = "{dir}/w/start"

[[allow]]
name = "upload"
command = ["/usr/bin/true"]
[allow.sandbox]
write = ["{dir}/w"]

[[allow]]
name = "pwd"
command = ["/usr/bin/pwd"]
"#,
    );
    scenario.make_dir("w", 0o755);
    scenario.make_dir("w/real", 0o755);
    let start = scenario.path("w/start");
    symlink("/etc", &start).unwrap();

    let output = scenario.run(Some("pwd"));
    assert_denied(
        &output,
        SANDBOX_DENIED,
        &format!(
            "sandbox: chdir {s} goes through symlink {s}, which lies beneath the writable \
             path {w}; write the real path",
            s = start.display(),
            w = scenario.path("w").display()
        ),
    );
}

#[test]
fn a_missing_chdir_is_refused_naming_it() {
    let scenario = Scenario::new(
        r#"
log = "{log}"
[sandbox]
chdir = "{dir}/nowhere"

[[allow]]
name = "pwd"
command = ["/usr/bin/pwd"]
"#,
    );
    let output = scenario.run(Some("pwd"));
    assert_denied(
        &output,
        SANDBOX_DENIED,
        &format!(
            "sandbox: chdir {} does not exist (the policy's `chdir`, or the home directory of the account when it sets none)",
            scenario.path("nowhere").display()
        ),
    );
}

#[test]
fn a_chdir_through_a_trusted_link_starts_in_its_target() {
    let scenario = Scenario::new(
        r#"
log = "{log}"
[sandbox]
chdir = "{dir}/alias"

[[allow]]
name = "pwd"
command = ["/usr/bin/pwd", "-P"]
"#,
    );
    scenario.make_dir("data", 0o755);
    symlink(scenario.path("data"), scenario.path("alias")).unwrap();

    let output = scenario.run(Some("pwd -P"));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        format!("{}\n", scenario.path("data").display())
    );
}
