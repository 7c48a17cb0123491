//! An allowed request really runs, as the rule's program, in place of the
//! gate: its side effect is observed, and its pid is the gate's pid.

mod common;

use std::fs;

use common::gate::{Scenario, forced, stderr, stdout};

const POLICY: &str = r#"
log = "{log}"
[sandbox]
write = ["{dir}/out"]
read = ["/proc"]

[[allow]]
name = "touch-marker"
command = ["/usr/bin/touch", "{dir}/out/marker"]

[[allow]]
name = "stat-self"
command = ["/usr/bin/cat", "/proc/self/stat"]
"#;

#[test]
fn an_allowed_command_runs_and_leaves_its_side_effect() {
    let scenario = Scenario::new(POLICY);
    fs::create_dir(scenario.path("out")).unwrap();
    let marker = scenario.path("out/marker");

    let output = scenario.run(Some(&format!("touch {}", marker.display())));

    assert_eq!(stderr(&output), "");
    assert_eq!(output.status.code(), Some(0));
    assert!(marker.exists(), "the allowed touch did not run");
}

#[test]
fn the_command_replaces_the_gate_process() {
    let scenario = Scenario::new(POLICY);
    fs::create_dir(scenario.path("out")).unwrap();
    let child = forced(&scenario.policy, Some("/usr/bin/cat /proc/self/stat"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let output = child.wait_with_output().unwrap();
    let stat = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    // /proc/self/stat: "PID (comm) STATE PPID ..."
    let fields: Vec<&str> = stat.split_whitespace().collect();
    assert_eq!(
        fields[0],
        pid.to_string(),
        "cat is not the process the test started: {stat}"
    );
    assert_eq!(fields[1], "(cat)");
    assert_eq!(
        fields[3],
        std::process::id().to_string(),
        "cat's parent is the test itself, not a lingering gate"
    );
}

#[test]
fn an_allowed_request_is_recorded_before_the_exec() {
    let scenario = Scenario::new(POLICY);
    fs::create_dir(scenario.path("out")).unwrap();
    let marker = scenario.path("out/marker");
    let output = scenario.run(Some(&format!("touch {}", marker.display())));
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));

    let records = scenario.records();
    assert_eq!(
        records.len(),
        1,
        "exactly one record per request: {records:?}"
    );
    let record = &records[0];
    assert_eq!(record["decision"], "allow");
    assert_eq!(record["rule"], "touch-marker");
    assert_eq!(record["reason"], serde_json::Value::Null);
    assert_eq!(record["exec"], "/usr/bin/touch");
    assert_eq!(record["client_address"], "192.0.2.10");
    assert_eq!(record["client_port"], 50022);
    assert_eq!(record["command"], format!("touch {}", marker.display()));
    assert_eq!(record["applied"]["landlock"], "fully-enforced");
    assert_eq!(record["applied"]["no_new_privs"], true);
    assert_eq!(record["applied"]["capabilities"], serde_json::json!([]));
    assert_eq!(
        record["applied"]["bounding_set_cleared"],
        nix::unistd::geteuid().is_root(),
        "root can and must empty the bounding set"
    );
    let abi = record["applied"]["landlock_abi"].as_u64().unwrap_or(0);
    if abi >= 4 {
        assert_eq!(
            record["applied"]["landlock_network"],
            serde_json::json!(["bind-tcp", "connect-tcp"])
        );
    }
    if abi >= 6 {
        assert_eq!(
            record["applied"]["landlock_scopes"],
            serde_json::json!(["abstract-unix-socket", "signal"])
        );
    }
    assert!(
        record["applied"]["landlock_abi"]
            .as_u64()
            .is_some_and(|abi| abi >= 1)
    );
    assert_eq!(record["profile"], scenario.policy.display().to_string());
}

#[test]
fn a_record_after_a_torn_line_starts_on_a_line_of_its_own() {
    // A record cut short (full disk, file size limit) leaves no newline; a
    // fourth hostile review saw the next record glued to the fragment, lost
    // to any JSON-lines reader.
    let scenario = Scenario::new(POLICY);
    fs::create_dir(scenario.path("out")).unwrap();
    fs::write(&scenario.log, "{\"time\":\"2026-11-26T00:00:00Z\",\"prof").unwrap();
    fs::set_permissions(
        &scenario.log,
        <fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o600),
    )
    .unwrap();
    let marker = scenario.path("out/marker");
    let output = scenario.run(Some(&format!("touch {}", marker.display())));
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    // The record first lands glued to the fragment (the gate can only tell
    // afterwards: see tests/audit_concurrent_append.rs), then again on a
    // line of its own.
    let text = fs::read_to_string(&scenario.log).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[0].starts_with("{\"time\":\"2026-11-26T00:00:00Z\",\"prof{\"time\""),
        "{text}"
    );
    assert_eq!(
        &lines[0][36..],
        lines[1],
        "the glued copy is the same record"
    );
    let record: serde_json::Value = serde_json::from_str(lines[1]).expect("a whole record");
    assert_eq!(record["decision"], "allow");
    // And only once: the next record follows directly.
    let again = scenario.run(Some(&format!("touch {}", marker.display())));
    assert_eq!(again.status.code(), Some(0), "stderr: {}", stderr(&again));
    assert_eq!(
        fs::read_to_string(&scenario.log).unwrap().lines().count(),
        3
    );
}
