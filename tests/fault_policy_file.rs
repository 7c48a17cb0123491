//! Faults: the policy file is not the policy. Cut short while it was being
//! written, empty, a directory, a link somewhere it should not lead, or
//! open to someone else's changes: every request is denied with the file
//! and the fault named, nothing runs, and the denial is recorded in the
//! system log (the policy's own `log` is not known yet). The system log is
//! the test's own (`common::syslog`).
//!
//! (A FIFO, a group- or world-writable policy or directory, a link in a
//! writable directory and a missing file are in forced_deny.rs.)

mod common;

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;
use std::process::Output;

use common::gate::{NOBODY, Scenario, assert_denied, forced, write_private};
use common::marker;
use common::syslog::SystemLog;

const DENIED: i32 = 77;
const CONFIG: i32 = 78;

/// The policy as it should be; the tests cut it and move it about.
const POLICY: &str =
    "description = \"caf\u{e9} backups\"\nlog = \"{log}\"\nfrom = [\"192.0.2.0/24\"]\n";

/// Runs the marker command with `policy` as `--policy`, under `system_log`.
fn run(scenario: &Scenario, policy: &Path, system_log: &SystemLog) -> Output {
    system_log
        .attach(&mut forced(policy, Some(&marker::command(scenario))))
        .output()
        .expect("run the gate")
}

/// Asserts a policy-loading denial with exactly `reason`, nothing run, and
/// its record, the only one, in the system log.
fn assert_refused(scenario: &Scenario, output: &Output, system_log: &SystemLog, reason: &str) {
    assert_denied(output, CONFIG, reason);
    assert!(!marker::ran(scenario), "the command ran");
    let records = system_log.records();
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["decision"], "deny");
    assert_eq!(records[0]["reason"], reason);
    assert_eq!(records[0]["command"], marker::command(scenario));
    assert!(
        !scenario.log.exists(),
        "the policy's log was used though the policy was refused"
    );
}

#[test]
fn a_policy_cut_short_while_being_written_is_refused_with_its_location() {
    let Some(system_log) = SystemLog::new() else {
        return;
    };
    let scenario = marker::scenario(POLICY);
    let whole = fs::read(&scenario.policy).expect("read the policy");
    let text = String::from_utf8(whole.clone()).expect("UTF-8");
    let at = |needle: &str| text.find(needle).expect("in the policy");
    let path = scenario.policy.display().to_string();
    let cuts = [
        // Inside the multi-byte é.
        (
            at("\u{e9}") + 1,
            format!("policy {path}: not UTF-8 (invalid byte at offset 18)"),
        ),
        // Inside a string.
        (
            at("backups") + 3,
            format!("policy {path}:1:24: invalid basic string, expected `\"`"),
        ),
        // Inside an array.
        (
            at("\"192.0.2.0/24\"]") + 14,
            format!("policy {path}:3:23: unclosed array, expected `]`"),
        ),
        // After a key, before its value.
        (
            at("command = ") + 8,
            format!("policy {path}:8:9: key with no value, expected `=`"),
        ),
        // Inside a table header.
        (
            at("[allow.sandbox]") + 6,
            format!("policy {path}:9:7: unclosed table, expected `]`"),
        ),
    ];
    for (length, reason) in cuts {
        write_private(&scenario.policy, "");
        fs::write(&scenario.policy, &whole[..length]).expect("cut the policy");
        let output = run(&scenario, &scenario.policy, &system_log);
        assert_refused(&scenario, &output, &system_log, &reason);
    }
}

#[test]
fn an_empty_policy_allows_nothing() {
    // Truncated to nothing, it is a policy without rules or `log`: the
    // request is denied as unmatched and recorded in the system log.
    let Some(system_log) = SystemLog::new() else {
        return;
    };
    let scenario = marker::scenario(POLICY);
    write_private(&scenario.policy, "");
    let output = run(&scenario, &scenario.policy, &system_log);
    let reason = format!("no rule allows \"{}\"", marker::command(&scenario));
    assert_denied(&output, DENIED, &reason);
    assert!(!marker::ran(&scenario), "the command ran");
    let records = system_log.records();
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["reason"], reason);
}

#[test]
fn a_directory_at_the_policy_path_is_refused() {
    let Some(system_log) = SystemLog::new() else {
        return;
    };
    let scenario = marker::scenario(POLICY);
    let directory = scenario.make_dir("policy.d", 0o700);
    let output = run(&scenario, &directory, &system_log);
    let reason = format!(
        "policy {}: insecure policy: not a regular file",
        directory.display()
    );
    assert_refused(&scenario, &output, &system_log, &reason);
}

/// Hands `path` to nobody, who may then rewrite it.
fn give_to_nobody(path: &Path) -> bool {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: chown needs root");
        return false;
    }
    let nobody = nix::unistd::Uid::from_raw(NOBODY);
    nix::unistd::chown(path, Some(nobody), None).expect("chown to nobody");
    true
}

#[test]
fn a_policy_someone_else_owns_is_refused_though_the_gate_can_read_it() {
    let Some(system_log) = SystemLog::new() else {
        return;
    };
    let scenario = marker::scenario(POLICY);
    fs::set_permissions(&scenario.policy, fs::Permissions::from_mode(0o644)).expect("chmod");
    if !give_to_nobody(&scenario.policy) {
        return;
    }
    let output = run(&scenario, &scenario.policy, &system_log);
    let reason = format!(
        "policy {}: insecure policy: owned by uid {NOBODY}, not by root or the invoking user (uid 0)",
        scenario.policy.display()
    );
    assert_refused(&scenario, &output, &system_log, &reason);
}

#[test]
fn a_policy_in_a_directory_someone_else_owns_is_refused() {
    let Some(system_log) = SystemLog::new() else {
        return;
    };
    let scenario = marker::scenario(POLICY);
    let theirs = scenario.make_dir("theirs", 0o755);
    let policy = theirs.join("policy.toml");
    fs::copy(&scenario.policy, &policy).expect("copy the policy");
    if !give_to_nobody(&theirs) {
        return;
    }
    let output = run(&scenario, &policy, &system_log);
    let reason = format!(
        "policy {}: insecure policy: directory {}: owned by uid {NOBODY}, not by root or the invoking user (uid 0)",
        policy.display(),
        theirs.display()
    );
    assert_refused(&scenario, &output, &system_log, &reason);
}

#[test]
fn a_policy_replaced_by_a_link_is_refused_unless_the_link_leads_to_a_trusted_file() {
    let Some(system_log) = SystemLog::new() else {
        return;
    };
    let scenario = marker::scenario(POLICY);
    let link = scenario.path("link.toml");

    let open = scenario.make_dir("open", 0o757);
    let in_open = open.join("policy.toml");
    fs::copy(&scenario.policy, &in_open).expect("copy the policy");

    let foreign = scenario.path("foreign.toml");
    fs::copy(&scenario.policy, &foreign).expect("copy the policy");
    fs::set_permissions(&foreign, fs::Permissions::from_mode(0o644)).expect("chmod");
    if !give_to_nobody(&foreign) {
        return;
    }

    let shown = link.display();
    let targets = [
        (
            in_open.clone(),
            format!(
                "policy {shown}: insecure policy: directory {}: world-writable (mode 0757)",
                open.display()
            ),
        ),
        (
            foreign.clone(),
            format!(
                "policy {shown}: insecure policy: owned by uid {NOBODY}, not by root or the invoking user (uid 0)"
            ),
        ),
        (
            scenario.path("gone.toml"),
            format!("policy {shown}: cannot read policy: No such file or directory (os error 2)"),
        ),
        (
            link.clone(),
            format!(
                "policy {shown}: cannot read policy: Too many levels of symbolic links (os error 40)"
            ),
        ),
        // Would be read for ever, but is refused before a byte is read.
        (
            Path::new("/dev/zero").to_path_buf(),
            format!("policy {shown}: insecure policy: not a regular file"),
        ),
    ];
    for (target, reason) in targets {
        let _ = fs::remove_file(&link);
        symlink(&target, &link).expect("plant the link");
        let output = run(&scenario, &link, &system_log);
        assert_refused(&scenario, &output, &system_log, &reason);
    }

    // Positive control: a link to the trusted policy, in a trusted
    // directory, is followed.
    fs::remove_file(&link).expect("remove the link");
    symlink(&scenario.policy, &link).expect("link the policy");
    let output = run(&scenario, &link, &system_log);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(marker::ran(&scenario), "the command did not run");
}
