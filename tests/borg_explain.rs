//! `sshgate explain` on the shipped `borg-append-only.toml`: the parsed
//! `borg serve` request, what the gate forces and drops, the derived
//! sandbox, and the option a refusal names.

mod common;

use std::fs;
use std::process::{Command, Output};

use common::gate::{Scenario, binary, stderr, stdout};

/// The shipped profile.
const PROFILE: &str = include_str!("../policies/borg-append-only.toml");

/// The shipped profile with its repository in the temp dir.
fn scenario() -> Scenario {
    let scenario = Scenario::new(&PROFILE.replace("/srv/borg/host1", "{dir}/repo"));
    fs::create_dir(scenario.path("repo")).unwrap();
    scenario
}

fn explain(scenario: &Scenario, command: &str) -> Output {
    Command::new(binary())
        .arg("explain")
        .arg("--policy")
        .arg(&scenario.policy)
        .args(["--key", "host1", "--", command])
        .output()
        .unwrap()
}

#[test]
fn explain_shows_the_parsed_serve_request_and_the_derived_sandbox() {
    let scenario = scenario();
    let repository = scenario.path("repo");
    let output = explain(
        &scenario,
        "BORG_HOSTNAME_IS_UNIQUE=yes borg serve --umask=077 --info",
    );
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}{}", stderr(&output));
    let repository = repository.display();
    for expected in [
        "decision: allow (rule \"borg-host1\")".to_owned(),
        "borg:\n  action:   serve\n".to_owned(),
        format!("  path:     {repository}\n"),
        "  options:  --info (dropped BORG_HOSTNAME_IS_UNIQUE=yes) (dropped --umask=077)\n"
            .to_owned(),
        format!("  forced:   --restrict-to-repository {repository} --append-only\n"),
        format!(
            "  argv:     [\"/usr/bin/borg\", \"serve\", \"--restrict-to-repository\", \"{repository}\", \"--append-only\", \"--info\"]\n"
        ),
        "    BORG_SELFTEST=disabled\n".to_owned(),
        format!("    read-write  {repository} "),
        "    execute     /usr/bin/borg ".to_owned(),
        // borg's `#!/usr/bin/python3`, found by the gate.
        "    execute     /usr/bin/python3 ".to_owned(),
        // Python's libraries come from the system base.
        "    read        /usr ".to_owned(),
    ] {
        assert!(text.contains(&expected), "missing {expected:?} in:\n{text}");
    }
    let written: Vec<&str> = text
        .lines()
        .filter(|line| line.trim_start().starts_with("read-write"))
        .collect();
    assert_eq!(written.len(), 2, "{written:?}");
    assert!(written[0].contains("/dev/null"), "{written:?}");
}

#[test]
fn explain_names_the_option_a_refusal_is_for() {
    let scenario = scenario();
    let output = explain(&scenario, "borg serve --info --restrict-to-path=/");
    let text = stdout(&output);
    assert!(
        text.contains(
            "decision: deny\nreason:   rule \"borg-host1\" (borg): option --restrict-to-path is the rule's to set, not the client's\n"
        ),
        "{text}{}",
        stderr(&output)
    );
}

#[test]
fn the_rules_env_cannot_turn_the_self_test_back_on() {
    let scenario = Scenario::new(
        r#"
[[allow]]
name = "borg"
borg = { repository = "{dir}/repo" }
[allow.sandbox]
env = { BORG_SELFTEST = "enabled", LANG = "C.UTF-8" }
"#,
    );
    fs::create_dir(scenario.path("repo")).unwrap();
    let output = Command::new(binary())
        .arg("explain")
        .arg("--policy")
        .arg(&scenario.policy)
        .args(["--", "borg serve"])
        .output()
        .unwrap();
    let text = stdout(&output);
    assert!(
        text.contains("  environment:\n    BORG_SELFTEST=disabled\n"),
        "{text}{}",
        stderr(&output)
    );
    assert!(text.contains("    LANG=C.UTF-8\n"), "{text}");
    assert!(!text.contains("BORG_SELFTEST=enabled"), "{text}");
}
