//! Denials in forced-command mode: the exact reason on stderr, the
//! documented exit code, a record, and no side effect.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use common::gate::{
    Scenario, assert_config_denial, assert_denied, binary, forced, stderr, write_private,
};

const DENIED: i32 = 77;
const SANDBOX: i32 = 71;

const POLICY: &str = r#"
log = "{log}"
from = ["192.0.2.0/24"]
[sandbox]
write = ["{dir}/out"]

[[allow]]
name = "touch-marker"
command = ["/usr/bin/touch", "{dir}/out/marker"]

[[allow]]
name = "disk-free"
command = ["/usr/bin/df", "-h"]
"#;

fn scenario() -> Scenario {
    let scenario = Scenario::new(POLICY);
    fs::create_dir(scenario.path("out")).unwrap();
    scenario
}

#[test]
fn denied_commands_show_their_reason_and_run_nothing() {
    let scenario = scenario();
    let out = scenario.path("out").display().to_string();
    let cases: Vec<(String, String)> = vec![
        (
            format!("touch {out}/other"),
            format!("no rule allows \"touch {out}/other\""),
        ),
        (
            format!("touch {out}/marker {out}/other"),
            format!("no rule allows \"touch {out}/marker {out}/other\""),
        ),
        (
            format!("touch {out}/marker; touch {out}/other"),
            format!(
                "cannot parse command: unquoted ';' at byte {}: shell operators are not allowed",
                out.len() + 13
            ),
        ),
        (
            format!("touch {out}/marker && sh"),
            format!(
                "cannot parse command: unquoted '&' at byte {}: shell operators are not allowed",
                out.len() + 14
            ),
        ),
        (
            format!("touch $(echo {out}/other)"),
            "cannot parse command: unquoted '$' at byte 6: expansions are not allowed".to_owned(),
        ),
        (
            format!("touch `echo {out}/other`"),
            "cannot parse command: unquoted '`' at byte 6: expansions are not allowed".to_owned(),
        ),
        (
            format!("touch {out}/marker\nsh"),
            format!(
                "cannot parse command: newline at byte {}: multi-line commands are not allowed",
                out.len() + 13
            ),
        ),
        (
            "cat /etc/shadow".to_owned(),
            "no rule allows \"cat /etc/shadow\"".to_owned(),
        ),
        ("sh".to_owned(), "no rule allows \"sh\"".to_owned()),
        (
            "".to_owned(),
            "cannot parse command: command is empty".to_owned(),
        ),
    ];
    for (command, reason) in cases {
        let output = scenario.run(Some(&command));
        assert_denied(&output, DENIED, &reason);
    }
    let entries: Vec<_> = fs::read_dir(scenario.path("out")).unwrap().collect();
    assert!(
        entries.is_empty(),
        "a denied command left a side effect: {entries:?}"
    );
}

#[test]
fn an_interactive_login_is_denied() {
    let scenario = scenario();
    let output = scenario.run(None);
    assert_denied(
        &output,
        DENIED,
        "no command given: interactive logins are not allowed with this key",
    );
}

#[test]
fn a_client_outside_from_is_denied() {
    let scenario = scenario();
    let output = forced(&scenario.policy, Some("df -h"))
        .env("SSH_CONNECTION", "198.51.100.7 40000 192.0.2.1 22")
        .output()
        .unwrap();
    assert_denied(
        &output,
        DENIED,
        "client address 198.51.100.7 is not in the profile's `from`",
    );
}

#[test]
fn every_denial_is_recorded_with_its_reason() {
    let scenario = scenario();
    scenario.run(Some("cat /etc/shadow"));
    scenario.run(Some("printf '\\033]0;owned\\a' x"));
    scenario.run(None);
    let records = scenario.records();
    assert_eq!(records.len(), 3, "{records:?}");
    assert_eq!(records[0]["decision"], "deny");
    assert_eq!(records[0]["reason"], "no rule allows \"cat /etc/shadow\"");
    assert_eq!(records[0]["command"], "cat /etc/shadow");
    assert_eq!(records[0]["exec"], serde_json::Value::Null);
    assert_eq!(records[0]["applied"]["landlock"], "not-applied");
    assert_eq!(records[2]["command"], serde_json::Value::Null);
    let raw = fs::read_to_string(&scenario.log).unwrap();
    assert!(
        !raw.contains('\u{1b}'),
        "a control character reached the log"
    );
}

#[test]
fn control_characters_are_escaped_in_the_record() {
    let scenario = scenario();
    scenario.run(Some("cat 'a\u{1b}[31mb'"));
    let records = scenario.records();
    assert_eq!(records[0]["command"], "cat 'a\\x1b[31mb'");
}

#[test]
fn a_silent_profile_prints_nothing() {
    let scenario = Scenario::new("log = \"{log}\"\nsilent = true\n");
    let output = scenario.run(Some("cat /etc/shadow"));
    assert_eq!(stderr(&output), "");
    assert_eq!(output.status.code(), Some(DENIED));
    assert_eq!(
        scenario.records()[0]["reason"],
        "no rule allows \"cat /etc/shadow\""
    );
}

#[test]
fn a_user_missing_on_this_host_is_a_denial_not_a_run_as_the_gate() {
    let scenario = Scenario::new(
        "log = \"{log}\"\n[sandbox]\nuser = \"no-such-user-sshgate\"\n[[allow]]\nname = \"df\"\ncommand = [\"/usr/bin/df\"]\n",
    );
    let output = scenario.run(Some("df"));
    assert_denied(
        &output,
        DENIED,
        "rule \"df\": user \"no-such-user-sshgate\" does not exist on this host",
    );
}

#[test]
fn a_missing_sandbox_path_is_a_denial_not_a_wider_sandbox() {
    let scenario = Scenario::new(
        "log = \"{log}\"\n[sandbox]\nread = [\"{dir}/missing\"]\n[[allow]]\nname = \"df\"\ncommand = [\"/usr/bin/df\"]\n",
    );
    let output = scenario.run(Some("df"));
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(SANDBOX), "{err}");
    assert!(err.starts_with("sshgate: denied: sandbox: "), "{err}");
    assert!(
        err.contains(&format!("{}/missing", scenario.dir.path().display())),
        "{err}"
    );
    assert!(output.stdout.is_empty());
    let records = scenario.records();
    assert_eq!(records[0]["decision"], "deny");
    assert_eq!(records[0]["rule"], "df");
}

#[test]
fn profile_names_that_could_leave_the_policy_dir_are_refused() {
    let scenario = scenario();
    let dir = scenario.dir.path().display().to_string();
    for name in ["../policy", "a/b", "..", ".hidden", ""] {
        let output = Command::new(binary())
            .args(["--policy-dir", &dir, "--profile", name])
            .env_clear()
            .env("SSH_ORIGINAL_COMMAND", "df -h")
            .output()
            .unwrap();
        assert_config_denial(
            &output,
            &format!("policy {dir}: invalid profile name {name:?}"),
        );
    }
}

#[test]
fn a_profile_is_loaded_from_the_policy_dir() {
    let scenario = scenario();
    fs::copy(&scenario.policy, scenario.path("backup.toml")).unwrap();
    let output = Command::new(binary())
        .arg("--policy-dir")
        .arg(scenario.dir.path())
        .args(["--profile", "backup"])
        .env_clear()
        .env("SSH_CONNECTION", "192.0.2.10 50022 192.0.2.1 22")
        .env("SSH_ORIGINAL_COMMAND", "cat /etc/shadow")
        .output()
        .unwrap();
    assert_denied(&output, DENIED, "no rule allows \"cat /etc/shadow\"");
    assert_eq!(scenario.records()[0]["profile"], "backup");
}

#[test]
fn a_group_or_world_writable_policy_is_refused() {
    for mode in [0o620, 0o602] {
        let scenario = scenario();
        fs::set_permissions(&scenario.policy, fs::Permissions::from_mode(mode)).unwrap();
        let output = scenario.run(Some("df -h"));
        let kind = if mode == 0o620 {
            "group-writable"
        } else {
            "world-writable"
        };
        assert_config_denial(
            &output,
            &format!(
                "policy {}: insecure policy: {kind} (mode {mode:04o})",
                scenario.policy.display()
            ),
        );
    }
}

#[test]
fn a_policy_in_a_writable_directory_is_refused() {
    let scenario = scenario();
    fs::set_permissions(scenario.dir.path(), fs::Permissions::from_mode(0o757)).unwrap();
    let output = scenario.run(Some("df -h"));
    assert_config_denial(
        &output,
        &format!(
            "policy {}: insecure policy: directory {}: world-writable (mode 0757)",
            scenario.policy.display(),
            scenario.dir.path().display()
        ),
    );
}

#[test]
fn a_link_to_a_trusted_policy_in_a_writable_directory_is_refused() {
    // A third hostile review's repro: a local user who controls a directory
    // on the --policy path put a link there to another, trusted policy and
    // so chose the rules of the key. The policy itself is fine; the
    // written path's directory is not.
    let scenario = scenario();
    let shared = scenario.path("shared");
    fs::create_dir(&shared).unwrap();
    fs::set_permissions(&shared, fs::Permissions::from_mode(0o757)).unwrap();
    let link = shared.join("gate.toml");
    std::os::unix::fs::symlink(&scenario.policy, &link).unwrap();
    let output = forced(&link, Some("df -h")).output().unwrap();
    assert_config_denial(
        &output,
        &format!(
            "policy {}: insecure policy: directory {}: world-writable (mode 0757)",
            link.display(),
            shared.display()
        ),
    );
}

#[test]
fn a_malformed_policy_is_refused_with_its_location() {
    let scenario = scenario();
    write_private(&scenario.policy, "[sandbox]\nread = [\"relative\"]\n");
    let output = scenario.run(Some("df -h"));
    assert_config_denial(
        &output,
        &format!(
            "policy {}:2:8: expected an absolute path, found \"relative\"",
            scenario.policy.display()
        ),
    );
}

#[test]
fn a_missing_policy_is_refused() {
    let scenario = scenario();
    let missing = scenario.path("nope.toml");
    let output = forced(&missing, Some("df -h")).output().unwrap();
    assert_config_denial(
        &output,
        &format!(
            "policy {}: cannot read policy: No such file or directory (os error 2)",
            missing.display()
        ),
    );
}

#[test]
fn an_unwritable_audit_log_denies_the_request() {
    let scenario = Scenario::new(
        "log = \"{dir}/no-such-dir/audit.log\"\n[[allow]]\nname = \"df\"\ncommand = [\"/usr/bin/df\", \"-h\"]\n",
    );
    let output = scenario.run(Some("df -h"));
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(74), "{err}");
    // The denial then goes to the system log; on a host without one the
    // reason says that failed too.
    assert!(
        err.starts_with(&format!(
            "sshgate: denied: cannot open audit log {}/no-such-dir/audit.log: No such file or directory (os error 2)",
            scenario.dir.path().display()
        )),
        "{err}"
    );
    assert!(output.stdout.is_empty());
}

#[test]
fn an_audit_log_symlink_is_never_followed() {
    let scenario = Scenario::new(
        "log = \"{log}\"\n[[allow]]\nname = \"df\"\ncommand = [\"/usr/bin/df\", \"-h\"]\n",
    );
    let victim = scenario.path("victim");
    fs::write(&victim, "").unwrap();
    std::os::unix::fs::symlink(&victim, &scenario.log).unwrap();
    let output = scenario.run(Some("df -h"));
    assert_eq!(output.status.code(), Some(74), "{}", stderr(&output));
    assert!(stderr(&output).contains("the log path is a symlink, which is never followed"));
    assert_eq!(
        fs::read_to_string(&victim).unwrap(),
        "",
        "the symlink target was written"
    );
}

#[test]
fn a_fifo_at_the_policy_path_is_refused_without_hanging() {
    let scenario = scenario();
    let fifo = scenario.path("fifo.toml");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
    // Without O_NONBLOCK this open would wait forever for a writer.
    let output = forced(&fifo, Some("df -h")).output().unwrap();
    assert_config_denial(
        &output,
        &format!(
            "policy {}: insecure policy: not a regular file",
            fifo.display()
        ),
    );
}

#[test]
fn an_audit_log_behind_a_symlinked_directory_is_refused() {
    let scenario = Scenario::new(
        "log = \"{dir}/logs/audit.log\"\n[[allow]]\nname = \"df\"\ncommand = [\"/usr/bin/df\", \"-h\"]\n",
    );
    let elsewhere = scenario.path("elsewhere");
    fs::create_dir(&elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, scenario.path("logs")).unwrap();
    let output = scenario.run(Some("df -h"));
    assert_eq!(output.status.code(), Some(74), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("the log path is a symlink, which is never followed"),
        "{}",
        stderr(&output)
    );
    assert!(
        !elsewhere.join("audit.log").exists(),
        "the record went through the symlink"
    );
}

#[test]
fn a_failed_exec_is_recorded_after_its_allow_record() {
    let scenario = Scenario::new(
        "log = \"{log}\"\n[[allow]]\nname = \"not-executable\"\ncommand = [\"{dir}/bin/true\"]\n",
    );
    fs::create_dir(scenario.path("bin")).unwrap();
    let program = scenario.path("bin/true");
    fs::copy("/usr/bin/true", &program).unwrap();
    fs::set_permissions(&program, fs::Permissions::from_mode(0o644)).unwrap();
    let output = scenario.run(Some(&program.display().to_string()));
    let reason = format!(
        "cannot execute {}: EACCES: Permission denied",
        program.display()
    );
    assert_denied(&output, SANDBOX, &reason);
    let records = scenario.records();
    assert_eq!(records.len(), 2, "{records:?}");
    assert_eq!(records[0]["decision"], "allow");
    assert_eq!(records[1]["decision"], "deny");
    assert_eq!(records[1]["rule"], "not-executable");
    assert_eq!(records[1]["reason"], reason);
}

#[test]
fn an_audit_log_others_could_write_or_that_has_other_links_is_refused() {
    let policy = "log = \"{log}\"\n[[allow]]\nname = \"df\"\ncommand = [\"/usr/bin/df\", \"-h\"]\n";
    let writable = Scenario::new(policy);
    fs::write(&writable.log, "").unwrap();
    fs::set_permissions(&writable.log, fs::Permissions::from_mode(0o666)).unwrap();
    let output = writable.run(Some("df -h"));
    assert_eq!(output.status.code(), Some(74));
    assert!(
        stderr(&output).starts_with(&format!(
            "sshgate: denied: cannot use audit log {}: it is group- or world-writable (mode 0666)",
            writable.log.display()
        )),
        "{}",
        stderr(&output)
    );

    let linked = Scenario::new(policy);
    fs::write(linked.path("other-file"), "").unwrap();
    fs::hard_link(linked.path("other-file"), &linked.log).unwrap();
    let output = linked.run(Some("df -h"));
    assert_eq!(output.status.code(), Some(74));
    assert!(
        stderr(&output).contains("it has 2 hard links"),
        "{}",
        stderr(&output)
    );
    assert_eq!(fs::read_to_string(linked.path("other-file")).unwrap(), "");

    // A directory someone else may write: they could delete or replace the
    // log, erasing its records (a third hostile review).
    let shared = Scenario::new(
        "log = \"{dir}/logs/audit.log\"\n[[allow]]\nname = \"df\"\ncommand = [\"/usr/bin/df\", \"-h\"]\n",
    );
    let logs = shared.make_dir("logs", 0o777);
    let output = shared.run(Some("df -h"));
    assert_eq!(output.status.code(), Some(74), "{}", stderr(&output));
    assert!(
        stderr(&output).starts_with(&format!(
            "sshgate: denied: cannot use audit log {}/audit.log: its directory {} is group-writable (mode 0777)",
            logs.display(),
            logs.display()
        )),
        "{}",
        stderr(&output)
    );
    assert!(
        !logs.join("audit.log").exists(),
        "the log was created there"
    );
}

#[test]
fn a_failed_exec_under_a_small_file_size_limit_is_reported_not_killed() {
    // A fifth hostile review: the limits are set just before execve, so the
    // denial of a failed exec was written under `fsize`; a log larger than
    // that killed the gate with SIGXFSZ, unreported.
    let scenario = Scenario::new(
        "log = \"{log}\"\n[[allow]]\nname = \"foreign\"\ncommand = [\"{dir}/bin/foreign\"]\n\
         [allow.sandbox]\nrlimits = { fsize = \"1K\" }\n",
    );
    fs::create_dir(scenario.path("bin")).unwrap();
    // /usr/bin/true, relabelled as an aarch64 ELF (e_machine 183): execve
    // fails with ENOEXEC after the allow record and the limits.
    let mut elf = fs::read("/usr/bin/true").unwrap();
    elf[18..20].copy_from_slice(&183u16.to_le_bytes());
    let program = scenario.path("bin/foreign");
    write_private(&program, "");
    fs::write(&program, &elf).unwrap();
    fs::set_permissions(&program, fs::Permissions::from_mode(0o755)).unwrap();
    fs::write(&scenario.log, format!("{}\n", "x".repeat(4096))).unwrap();
    fs::set_permissions(&scenario.log, fs::Permissions::from_mode(0o600)).unwrap();

    let output = scenario.run(Some(&program.display().to_string()));
    assert_eq!(
        output.status.code(),
        Some(74),
        "killed? {:?}: {}",
        output.status,
        stderr(&output)
    );
    let err = stderr(&output);
    assert!(err.contains("File too large"), "{err}");
    let log = fs::read_to_string(&scenario.log).unwrap();
    let last: serde_json::Value = serde_json::from_str(log.lines().last().unwrap()).unwrap();
    assert_eq!(last["decision"], "allow");
}
