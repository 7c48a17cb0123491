//! End to end: a real sshd on 127.0.0.1 with sshgate as the forced command
//! of a throwaway key, driven by the real ssh and rsync clients.

mod common;

use std::fs;
use std::process::{Command, Output};

use common::gate::{Scenario, stderr, stdout};
use common::sshd::{Sshd, run_client};

const POLICY: &str = r#"
log = "{log}"

[[allow]]
name = "hello"
command = ["/usr/bin/echo", "hello"]

[[allow]]
name = "rsync-pull"
command = ["/usr/bin/rsync"]
trailing_args = true
[allow.sandbox]
read = ["{dir}/data"]
"#;

/// A policy with some data to pull, and an sshd whose only key runs the gate.
struct Setup {
    scenario: Scenario,
    sshd: Sshd,
}

fn setup() -> Setup {
    let scenario = Scenario::new(POLICY);
    fs::create_dir_all(scenario.path("data/sub")).unwrap();
    fs::write(scenario.path("data/a.txt"), "alpha\n").unwrap();
    fs::write(scenario.path("data/sub/b.txt"), "beta\n").unwrap();
    let sshd = Sshd::start_gate(&scenario.policy);
    Setup { scenario, sshd }
}

fn assert_ssh_denied(setup: &Setup, command: Option<&str>, reason: &str) {
    let output = setup.sshd.ssh(command);
    assert_eq!(
        output.status.code(),
        Some(77),
        "{}",
        setup.sshd.explain(&output)
    );
    assert_eq!(
        stderr(&output),
        format!("sshgate: denied: {reason}\n"),
        "{}",
        setup.sshd.explain(&output)
    );
    assert!(output.stdout.is_empty(), "{}", setup.sshd.explain(&output));
}

#[test]
fn an_allowed_command_runs_over_ssh() {
    let setup = setup();
    let output = setup.sshd.ssh(Some("echo hello"));
    assert_eq!(
        stdout(&output),
        "hello\n",
        "{}",
        setup.sshd.explain(&output)
    );
    assert_eq!(output.status.code(), Some(0));
    let records = setup.scenario.records();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["decision"], "allow");
    assert_eq!(records[0]["client_address"], "127.0.0.1");
    assert_eq!(records[0]["user"], setup.sshd.user());
}

#[test]
fn shell_syntax_is_denied_over_ssh() {
    let setup = setup();
    assert_ssh_denied(
        &setup,
        Some("echo a; sh"),
        "cannot parse command: unquoted ';' at byte 6: shell operators are not allowed",
    );
    assert_ssh_denied(
        &setup,
        Some("echo hello | sh"),
        "cannot parse command: unquoted '|' at byte 11: shell operators are not allowed",
    );
}

#[test]
fn a_bare_login_is_denied_over_ssh() {
    let setup = setup();
    assert_ssh_denied(
        &setup,
        None,
        "no command given: interactive logins are not allowed with this key",
    );
}

#[test]
fn reading_shadow_is_denied_over_ssh() {
    let setup = setup();
    assert_ssh_denied(
        &setup,
        Some("cat /etc/shadow"),
        "no rule allows \"cat /etc/shadow\"",
    );
    assert_ssh_denied(&setup, Some("sh"), "no rule allows \"sh\"");
    let records = setup.scenario.records();
    assert_eq!(records.len(), 2);
    assert!(records.iter().all(|record| record["decision"] == "deny"));
}

fn rsync_pull(setup: &Setup, remote_path: &str, local: &std::path::Path) -> Output {
    let mut rsync = Command::new("rsync");
    rsync
        .arg("-a")
        .arg("-e")
        .arg(setup.sshd.ssh_command_line())
        .arg(format!("{}:{remote_path}", setup.sshd.host()))
        .arg(local);
    run_client(&mut rsync, None)
}

#[test]
fn rsync_pulls_the_granted_directory() {
    let setup = setup();
    let local = setup.sshd.dir().join("pulled");
    let remote = format!("{}/", setup.scenario.path("data").display());
    let output = rsync_pull(&setup, &remote, &local);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        setup.sshd.explain(&output)
    );
    assert_eq!(fs::read_to_string(local.join("a.txt")).unwrap(), "alpha\n");
    assert_eq!(
        fs::read_to_string(local.join("sub/b.txt")).unwrap(),
        "beta\n"
    );
    let records = setup.scenario.records();
    assert_eq!(records[0]["rule"], "rsync-pull");
    assert_eq!(records[0]["exec"], "/usr/bin/rsync");
}

#[test]
fn rsync_pull_of_etc_is_stopped_by_landlock() {
    let setup = setup();
    let local = setup.sshd.dir().join("etc-copy");
    let output = rsync_pull(&setup, "/etc/", &local);
    let stderr = stderr(&output);
    // The rule allowed the command (trailing_args): the refusal comes from
    // the kernel, inside the confined rsync.
    let records = setup.scenario.records();
    assert_eq!(records.len(), 1);
    assert_eq!(
        records[0]["decision"],
        "allow",
        "{}",
        setup.sshd.explain(&output)
    );
    assert_eq!(records[0]["applied"]["landlock"], "fully-enforced");
    assert!(
        stderr.contains("Permission denied (13)"),
        "{}",
        setup.sshd.explain(&output)
    );
    assert_ne!(output.status.code(), Some(0));
    let copied: Vec<_> = fs::read_dir(&local)
        .map(|dir| dir.flatten().collect())
        .unwrap_or_default();
    assert!(copied.is_empty(), "files from /etc were copied: {copied:?}");
}
