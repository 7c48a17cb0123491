//! Escape scenarios: the command reaches its own policy or audit log. A
//! write path that holds the policy file lets the command rewrite the
//! policy that decides its next request; one that holds the audit log lets
//! it erase the record of what it did. The gate refuses such a plan by
//! where the files really are, so neither a symlink alias nor a bind mount
//! of the directory hides them.

mod common;

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::gate::{SANDBOX_DENIED, assert_denied, binary, forced, stderr, stdout, write_private};
use common::mount::Mount;
use tempfile::TempDir;

/// A fresh 0700 temp dir for one test.
fn temp_dir() -> TempDir {
    tempfile::Builder::new()
        .prefix("sshgate-test-")
        .tempdir()
        .expect("temp dir")
}

/// Creates the directory `name` in `dir` with mode 0755.
fn make_dir(dir: &TempDir, name: &str) -> PathBuf {
    let path = dir.path().join(name);
    fs::create_dir(&path).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// Writes the policy `text` (with `{dir}` replaced by the temp dir) at
/// `name` in `dir`, as the gate requires of policies, and returns its path.
fn write_policy(dir: &TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    let text = text.replace("{dir}", &dir.path().display().to_string());
    write_private(&path, &text);
    path
}

/// The denial reason for a protected file beneath a writable path.
fn protected_beneath_write(file: &Path, write: &Path) -> String {
    format!(
        "sandbox: {} is beneath writable {}: the command could change its own policy or audit \
         records",
        file.display(),
        write.display()
    )
}

/// The review's repro, with `truncate` for `rsync`: the policy lies in the
/// rule's own write path.
const POLICY_IN_WRITE_PATH: &str = r#"
log = "{dir}/audit.log"
[sandbox]
write = ["{dir}/pw"]

[[allow]]
name = "clobber"
command = ["/usr/bin/truncate", "-s", "0", "{dir}/pw/p.toml"]
"#;

#[test]
fn a_policy_beneath_a_write_path_is_refused() {
    let dir = temp_dir();
    let pw = make_dir(&dir, "pw");
    let policy = write_policy(&dir, "pw/p.toml", POLICY_IN_WRITE_PATH);
    let before = fs::read_to_string(&policy).unwrap();

    let command = format!("truncate -s 0 {}", policy.display());
    let output = forced(&policy, Some(&command)).output().unwrap();
    assert_denied(
        &output,
        SANDBOX_DENIED,
        &protected_beneath_write(&policy, &pw),
    );
    assert_eq!(
        fs::read_to_string(&policy).unwrap(),
        before,
        "policy changed"
    );
}

#[test]
fn a_policy_named_relative_to_the_working_directory_is_found() {
    // `--policy p.toml` from inside the write path.
    let dir = temp_dir();
    let pw = make_dir(&dir, "pw");
    let policy = write_policy(&dir, "pw/p.toml", POLICY_IN_WRITE_PATH);

    let command = format!("truncate -s 0 {}", policy.display());
    let output = forced(Path::new("p.toml"), Some(&command))
        .current_dir(&pw)
        .output()
        .unwrap();
    assert_denied(
        &output,
        SANDBOX_DENIED,
        &protected_beneath_write(&policy, &pw),
    );
}

#[test]
fn explain_shows_the_same_denial() {
    let dir = temp_dir();
    let pw = make_dir(&dir, "pw");
    let policy = write_policy(&dir, "pw/p.toml", POLICY_IN_WRITE_PATH);

    let output = Command::new(binary())
        .arg("explain")
        .arg("--policy")
        .arg(&policy)
        .arg("--")
        .arg(format!("truncate -s 0 {}", policy.display()))
        .output()
        .unwrap();
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}{}", stderr(&output));
    assert!(
        text.contains(
            "decision: deny (rule \"clobber\" matched, but the sandbox cannot be built)\n"
        ),
        "{text}"
    );
    let reason = format!("reason:   {}\n", protected_beneath_write(&policy, &pw));
    assert!(text.contains(&reason), "{text}");
}

/// Rule "wipe" may write `logs`, where the audit log is; rule "ok" writes
/// nothing. `{log}` is where the log is written for this test.
const LOG_IN_WRITE_PATH: &str = r#"
log = "{log}"

[[allow]]
name = "wipe"
command = ["/usr/bin/rm", "-f", "{dir}/logs/audit.log"]
[allow.sandbox]
write = ["{write}"]

[[allow]]
name = "ok"
command = ["/usr/bin/true"]
"#;

/// Writes [`LOG_IN_WRITE_PATH`] with the log at `log` and the write path
/// `write`, and returns the policy's path.
fn log_policy(dir: &TempDir, log: &Path, write: &Path) -> PathBuf {
    let text = LOG_IN_WRITE_PATH
        .replace("{log}", &log.display().to_string())
        .replace("{write}", &write.display().to_string());
    write_policy(dir, "policy.toml", &text)
}

/// Asserts that both rules are denied for the log beneath `write`, and
/// that the log survives with both denials in it.
fn assert_log_protected(policy: &Path, log: &Path, write: &Path) {
    let wipe = format!("rm -f {}", log.display());
    let output = forced(policy, Some(&wipe)).output().unwrap();
    assert_denied(
        &output,
        SANDBOX_DENIED,
        &protected_beneath_write(log, write),
    );
    // Another rule's write path counts too: its command could have
    // changed the log on an earlier request, or could while this one runs.
    let output = forced(policy, Some("true")).output().unwrap();
    assert_denied(
        &output,
        SANDBOX_DENIED,
        &protected_beneath_write(log, write),
    );
    let records = fs::read_to_string(log).expect("the log survives");
    assert_eq!(records.lines().count(), 2, "{records}");
}

#[test]
fn an_audit_log_beneath_a_write_path_is_refused() {
    let dir = temp_dir();
    let logs = make_dir(&dir, "logs");
    let log = logs.join("audit.log");
    let policy = log_policy(&dir, &log, &logs);
    assert_log_protected(&policy, &log, &logs);
}

#[test]
fn an_audit_log_reached_through_a_symlink_alias_of_a_write_path_is_refused() {
    // The review's repro: lint compared path text, so `alias -> logs`
    // (a link root or the invoking user made, so trusted) hid the log.
    let dir = temp_dir();
    let logs = make_dir(&dir, "logs");
    let alias = dir.path().join("alias");
    symlink(&logs, &alias).unwrap();
    let log = logs.join("audit.log");
    let policy = log_policy(&dir, &log, &alias);
    assert_log_protected(&policy, &log, &alias);
}

#[test]
fn an_audit_log_reached_through_a_bind_mount_of_a_write_path_is_refused() {
    let dir = temp_dir();
    let logs = make_dir(&dir, "logs");
    let bound = make_dir(&dir, "bound");
    let Some(_mount) = Mount::bind(&logs, &bound) else {
        return;
    };
    let log = logs.join("audit.log");
    let policy = log_policy(&dir, &log, &bound);
    assert_log_protected(&policy, &log, &bound);
}

#[test]
fn a_log_that_does_not_exist_yet_is_judged_by_its_directory() {
    // explain opens no log, so the log is missing when the plan is
    // resolved; the directory it would be created in is writable.
    let dir = temp_dir();
    let logs = make_dir(&dir, "logs");
    let log = logs.join("audit.log");
    let policy = log_policy(&dir, &log, &logs);

    let output = Command::new(binary())
        .arg("explain")
        .arg("--policy")
        .arg(&policy)
        .arg("--")
        .arg("true")
        .output()
        .unwrap();
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}{}", stderr(&output));
    let reason = format!("reason:   {}\n", protected_beneath_write(&log, &logs));
    assert!(text.contains(&reason), "{text}");
    assert!(!log.exists(), "explain created the log");
}

#[test]
fn a_write_path_beside_the_policy_and_the_log_still_runs() {
    let dir = temp_dir();
    let logs = make_dir(&dir, "logs");
    let out = make_dir(&dir, "out");
    let log = logs.join("audit.log");
    let policy = log_policy(&dir, &log, &out);
    let output = forced(&policy, Some("true")).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

/// A hard link of the policy inside the write path (made outside the
/// sandbox, by an admin or a backup tool) is another way to rewrite it.
#[test]
fn a_policy_hard_linked_into_a_write_path_is_refused() {
    let dir = temp_dir();
    let incoming = make_dir(&dir, "incoming");
    let policy = write_policy(
        &dir,
        "policy.toml",
        "log = \"{dir}/audit.log\"\n[sandbox]\nwrite = [\"{dir}/incoming\"]\n\
         [[allow]]\nname = \"append\"\ncommand = [\"/usr/bin/tee\", \"-a\", \"{dir}/incoming/p.toml\"]\n",
    );
    fs::hard_link(&policy, incoming.join("p.toml")).unwrap();
    let before = fs::read_to_string(&policy).unwrap();
    let command = format!("tee -a {}/p.toml", incoming.display());
    let output = forced(&policy, Some(&command)).output().unwrap();
    assert_denied(
        &output,
        SANDBOX_DENIED,
        &format!(
            "sandbox: {} has 2 hard links and is on the same filesystem as writable {}: another \
             name could let the command change its own policy or audit records",
            policy.display(),
            incoming.display()
        ),
    );
    assert_eq!(
        fs::read_to_string(&policy).unwrap(),
        before,
        "the policy changed"
    );
}
