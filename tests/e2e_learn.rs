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

/// A learning run's log, with forged lines appended, makes rules that
/// pass lint and allow, in enforce mode, what was learned and nothing the
/// forged lines asked for.
#[test]
fn suggest_turns_a_learning_log_into_rules_that_lint_and_allow_it() {
    let setup = setup();
    let scenario = &setup.scenario;
    let hello = scenario.path("srv/sub/hello.txt").display().to_string();
    let cat = format!("cat {hello}");
    for command in [
        cat.clone(),
        format!("ls {}", scenario.path("srv/sub").display()),
    ] {
        let output = setup.sshd.ssh(Some(&command));
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}",
            setup.sshd.explain(&output)
        );
    }
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

    let profile = scenario.policy.display().to_string();
    let forged = |command: &str, tool: serde_json::Value, exec: &str| {
        serde_json::json!({
            "profile": profile, "command": command, "command_truncated": false,
            "decision": "allow", "rule": null, "learning": true,
            "tool": tool, "exec": exec,
        })
        .to_string()
    };
    let mut log = fs::read_to_string(&scenario.log).unwrap();
    assert_eq!(log.lines().count(), 3, "{log}");
    for line in [
        "this is not a record".to_owned(),
        // The program that ran is not the one the command names.
        forged("cat /etc/shadow", serde_json::Value::Null, "/bin/sh"),
        // A pull of one tree, recorded as a pull of everything.
        forged(
            &format!("rsync --server --sender -logDtpre.iLsfxCIvu . {hello}"),
            serde_json::json!({"tool": "rsync", "action": "download", "paths": ["/etc"],
                               "paths_truncated": false, "forced": []}),
            "/usr/bin/rsync",
        ),
    ] {
        log.push_str(&line);
        log.push('\n');
    }
    fs::write(&scenario.log, log).unwrap();

    let output = Command::new(common::gate::binary())
        .args(["suggest", "--log"])
        .arg(&scenario.log)
        .args(["--profile", &profile])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "lines were skipped: {}",
        stderr(&output)
    );
    assert!(
        stderr(&output).contains("2 learning record(s) used, 3 line(s) skipped, 1 left out"),
        "{}",
        stderr(&output)
    );
    let rules = stdout(&output);
    let srv_sub = scenario.path("srv/sub").display().to_string();
    assert!(
        rules.contains(&format!("rsync = {{ send = [\"{srv_sub}\"] }}")),
        "{rules}"
    );
    assert!(
        rules.contains(&format!("command = [\"/usr/bin/cat\", \"{hello}\"]")),
        "{rules}"
    );
    // ls matched the profile's rule: it needs no second one.
    assert!(!rules.contains("/usr/bin/ls"), "{rules}");
    assert!(
        !rules.contains("shadow") && !rules.contains("\"/etc\""),
        "{rules}"
    );

    // Pasted under the profile, switched back to enforce: lint passes,
    // and what was learned is allowed while the forged request is not.
    let enforcing = fs::read_to_string(&scenario.policy)
        .unwrap()
        .replace("mode = \"learn\"\n", "")
        + "\n"
        + &rules;
    let enforced = Scenario::new(&enforcing);
    let lint = Command::new(common::gate::binary())
        .arg("lint")
        .arg(&enforced.policy)
        .output()
        .unwrap();
    assert_eq!(
        lint.status.code(),
        Some(0),
        "{}{}\n{enforcing}",
        stdout(&lint),
        stderr(&lint)
    );
    let allowed = enforced.run(Some(&cat));
    assert_eq!(allowed.status.code(), Some(0), "{}", stderr(&allowed));
    assert_eq!(stdout(&allowed), "hello\n");
    let denied = enforced.run(Some("cat /etc/shadow"));
    assert_eq!(denied.status.code(), Some(77), "{}", stderr(&denied));

    // The learned rsync pull works under the suggested rule, through sshd.
    let sshd = Sshd::start_gate(&enforced.policy);
    let again = scenario.path("local/again");
    let mut rsync = Command::new("rsync");
    rsync
        .arg("-a")
        .arg("-e")
        .arg(sshd.ssh_command_line())
        .arg(format!(
            "{}:{}",
            sshd.host(),
            scenario.path("srv/sub").display()
        ))
        .arg(&again);
    let output = run_client(&mut rsync, None);
    assert_eq!(output.status.code(), Some(0), "{}", sshd.explain(&output));
    assert_eq!(
        fs::read_to_string(again.join("sub/hello.txt")).unwrap(),
        "hello\n"
    );
    // The pasted profile kept the learning profile's `log`, where the
    // forged lines are: read only the last, the gate's own.
    let log = fs::read_to_string(&scenario.log).unwrap();
    let last = log.lines().last().unwrap();
    let pulled: serde_json::Value = serde_json::from_str(last).unwrap();
    assert_eq!(pulled["rule"], "learned-rsync", "{last}");
    assert_eq!(pulled["learning"], false);
}

/// Learning runs the client's own program, but only from the system's
/// program trees: an upload (through this profile or any other) must not
/// become a program.
#[test]
fn a_program_beneath_a_write_path_is_refused() {
    let scenario =
        Scenario::new("mode = \"learn\"\nlog = \"{log}\"\n[sandbox]\nwrite = [\"{dir}/in\"]\n");
    fs::create_dir(scenario.path("in")).unwrap();
    let planted = scenario.path("in/mycat");
    common::gate::copy_executable(std::path::Path::new("/usr/bin/cat"), &planted);
    let sshd = Sshd::start_gate(&scenario.policy);
    let output = sshd.ssh(Some(&format!("{} /etc/hostname", planted.display())));
    assert_eq!(output.status.code(), Some(77), "{}", sshd.explain(&output));
    assert!(
        stderr(&output).contains(&format!(
            "learn mode runs programs from the system's program trees (/usr/bin, /usr/sbin, \
             /usr/local/bin, /usr/local/sbin, /bin, /sbin, /usr/lib, /usr/libexec) or the \
             profile's `exec` only, not {}",
            planted.display()
        )),
        "{}",
        sshd.explain(&output)
    );
    let records = scenario.records();
    assert_eq!(records[0]["decision"], "deny", "{records:#?}");
    assert_eq!(records[0]["learning"], true);
}
