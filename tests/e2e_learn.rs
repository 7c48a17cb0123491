//! Learn mode end to end: real clients through a real sshd, with sshgate
//! on a `mode = "learn"` profile as the forced command.

mod common;

use std::fs;
use std::process::Command;

use common::gate::{Scenario, stderr, stdout};
use common::sshd::{Sshd, run_client};

/// A learning profile with one rule, reading `srv` only.
const LEARNING: &str = r#"mode = "learn"
log = "{log}"
[sandbox]
read = ["{dir}/srv"]
chdir = "{dir}/srv"

[[allow]]
name = "list"
command = ["/usr/bin/ls"]
trailing_args = true
"#;

struct Setup {
    scenario: Scenario,
    sshd: Sshd,
}

fn setup() -> Setup {
    let scenario = Scenario::new(LEARNING);
    for dir in ["srv/sub", "secret", "local"] {
        fs::create_dir_all(scenario.path(dir)).unwrap();
    }
    fs::write(scenario.path("srv/sub/hello.txt"), "hello\n").unwrap();
    fs::write(scenario.path("secret/key.txt"), "private\n").unwrap();
    let sshd = Sshd::start_gate(&scenario.policy);
    Setup { scenario, sshd }
}

/// The record of the request whose command is `command`.
fn record_of(scenario: &Scenario, command: &str) -> serde_json::Value {
    let records = scenario.records();
    records
        .iter()
        .find(|record| record["command"] == command)
        .cloned()
        .unwrap_or_else(|| panic!("no record of {command:?} in {records:#?}"))
}

#[test]
fn unmatched_commands_run_confined_and_are_recorded_as_learning() {
    let setup = setup();
    let scenario = &setup.scenario;

    // No rule names cat: learn mode runs it, inside the sandbox's read path.
    let inside = format!("cat {}", scenario.path("srv/sub/hello.txt").display());
    let output = setup.sshd.ssh(Some(&inside));
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        setup.sshd.explain(&output)
    );
    assert_eq!(stdout(&output), "hello\n");
    let record = record_of(scenario, &inside);
    assert_eq!(record["decision"], "allow");
    assert_eq!(record["learning"], true);
    assert_eq!(record["rule"], serde_json::Value::Null);
    assert_eq!(record["exec"], "/usr/bin/cat");
    assert_eq!(record["tool"], serde_json::Value::Null);
    assert_eq!(record["applied"]["landlock"], "fully-enforced");

    // Still confined: a file outside the read path cannot be opened, even
    // by root.
    let outside = format!("cat {}", scenario.path("secret/key.txt").display());
    let output = setup.sshd.ssh(Some(&outside));
    assert_ne!(
        output.status.code(),
        Some(0),
        "{}",
        setup.sshd.explain(&output)
    );
    assert!(
        stderr(&output).contains("Permission denied"),
        "{}",
        setup.sshd.explain(&output)
    );
    assert!(!stdout(&output).contains("private"));
    assert_eq!(record_of(scenario, &outside)["learning"], true);

    // A matched rule runs as usual, and is recorded as learning too.
    let list = format!("ls {}", scenario.path("srv/sub").display());
    let output = setup.sshd.ssh(Some(&list));
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        setup.sshd.explain(&output)
    );
    assert_eq!(stdout(&output), "hello.txt\n");
    let record = record_of(scenario, &list);
    assert_eq!(record["rule"], "list");
    assert_eq!(record["learning"], true);

    // Shell syntax is refused as always, and a program that cannot be
    // resolved is denied with the reason.
    let output = setup.sshd.ssh(Some("cat /etc/hostname; id"));
    assert!(stderr(&output).contains("sshgate: denied: cannot parse command"));
    let output = setup.sshd.ssh(Some("./run"));
    assert!(
        stderr(&output).contains("sshgate: denied: learn mode runs only an absolute program"),
        "{}",
        setup.sshd.explain(&output)
    );
}

#[test]
fn an_rsync_pull_is_recorded_with_its_parsed_paths() {
    let setup = setup();
    let scenario = &setup.scenario;
    let mut rsync = Command::new("rsync");
    rsync
        .arg("-a")
        .arg("-e")
        .arg(setup.sshd.ssh_command_line())
        .arg(format!(
            "{}:{}",
            setup.sshd.host(),
            scenario.path("srv/sub").display()
        ))
        .arg(scenario.path("local"));
    let output = run_client(&mut rsync, None);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        setup.sshd.explain(&output)
    );
    assert_eq!(
        fs::read_to_string(scenario.path("local/sub/hello.txt")).unwrap(),
        "hello\n"
    );
    let records = scenario.records();
    let record = records
        .iter()
        .find(|record| record["tool"]["tool"] == "rsync")
        .unwrap_or_else(|| panic!("no rsync record in {records:#?}"));
    assert_eq!(record["decision"], "allow");
    assert_eq!(record["learning"], true);
    assert_eq!(record["rule"], serde_json::Value::Null);
    assert_eq!(record["tool"]["action"], "download");
    assert_eq!(
        record["tool"]["paths"],
        serde_json::json!([scenario.path("srv/sub").display().to_string()])
    );
}
