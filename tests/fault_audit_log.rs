//! Faults: the audit log cannot take the record. Whatever the request, the
//! gate then denies it (exit 74) naming the log and the error, runs
//! nothing, and records the denial in the system log instead: here a
//! `/dev/log` of the test's own (`common::syslog`), so that the fallback
//! record is read back, not assumed.
//!
//! (A log path that is a symlink, or behind one, is in forced_deny.rs.)

mod common;

use std::fs::{self, OpenOptions};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Output;

use common::gate::{Scenario, assert_denied, forced, stderr};
use common::marker;
use common::mount::Mount;
use common::syslog::SystemLog;

const AUDIT: i32 = 74;

/// tmpfs hands out whole pages: a log whose last page is full cannot grow
/// by a byte once the rest of the filesystem is taken.
const PAGE: usize = 4096;

/// Runs `command` as sshd would for `scenario`, with `system_log` at
/// `/dev/log`.
fn run(scenario: &Scenario, command: &str, system_log: &SystemLog) -> Output {
    system_log
        .attach(&mut forced(&scenario.policy, Some(command)))
        .output()
        .expect("run the gate")
}

/// Asserts the one record in the system log: a denial with `reason`.
fn assert_recorded_in_system_log(system_log: &SystemLog, reason: &str) -> serde_json::Value {
    let records = system_log.records();
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["decision"], "deny", "{records:?}");
    assert_eq!(records[0]["reason"], reason, "{records:?}");
    records[0].clone()
}

#[test]
fn a_log_at_dev_full_is_refused_and_the_denial_goes_to_the_system_log() {
    let Some(system_log) = SystemLog::new() else {
        return;
    };
    let scenario = marker::scenario("log = \"/dev/full\"");
    let output = run(&scenario, &marker::command(&scenario), &system_log);
    let reason = "cannot use audit log /dev/full: it is a character device, not a regular file";
    assert_denied(&output, AUDIT, reason);
    assert!(!marker::ran(&scenario), "the command ran");
    assert_recorded_in_system_log(&system_log, reason);
}

/// A 64 KiB tmpfs at `logs/` in the scenario holding the log, prefilled
/// with `prefill` bytes (one line), the rest of the space taken by
/// `logs/filler`.
fn full_log_filesystem(scenario: &Scenario, prefill: usize) -> Option<Mount> {
    let logs = scenario.make_dir("logs", 0o700);
    let tmpfs = Mount::tmpfs(&logs, "size=64k,mode=0700")?;
    let log = logs.join("audit.log");
    fs::write(&log, format!("{}\n", "x".repeat(prefill - 1))).expect("prefill the log");
    fs::set_permissions(&log, fs::Permissions::from_mode(0o600)).expect("chmod the log");
    fill(&logs.join("filler"));
    Some(tmpfs)
}

/// Writes to `path` until the filesystem says it is full.
fn fill(path: &Path) {
    let mut filler = OpenOptions::new()
        .create_new(true)
        .write(true)
        .open(path)
        .expect("create the filler");
    let page = [0u8; PAGE];
    loop {
        match filler.write(&page) {
            Ok(0) => break,
            Ok(_) => {}
            Err(error) if error.raw_os_error() == Some(libc::ENOSPC) => break,
            Err(error) if error.kind() == ErrorKind::Interrupted => {}
            Err(error) => panic!("filling the tmpfs: {error}"),
        }
    }
}

const ON_TMPFS: &str = "log = \"{dir}/logs/audit.log\"";

#[test]
fn a_full_log_filesystem_denies_the_command_it_cannot_record() {
    let Some(system_log) = SystemLog::new() else {
        return;
    };
    let scenario = marker::scenario(ON_TMPFS);
    let Some(_tmpfs) = full_log_filesystem(&scenario, PAGE) else {
        return;
    };
    let log = scenario.path("logs/audit.log");
    let output = run(&scenario, &marker::command(&scenario), &system_log);
    let reason = format!(
        "cannot write audit log {}: No space left on device (os error 28)",
        log.display()
    );
    assert_denied(&output, AUDIT, &reason);
    assert!(!marker::ran(&scenario), "the command ran unrecorded");
    assert_eq!(fs::metadata(&log).expect("the log").len(), PAGE as u64);
    // The allow was written after confinement: the fallback connection
    // was made before it, and its record says what had been applied.
    let record = assert_recorded_in_system_log(&system_log, &reason);
    assert_eq!(record["rule"], "touch");
    assert_eq!(record["applied"]["seccomp"], "installed");
}

#[test]
fn a_full_log_filesystem_turns_a_policy_denial_into_one_for_the_log() {
    let Some(system_log) = SystemLog::new() else {
        return;
    };
    let scenario = marker::scenario(ON_TMPFS);
    let Some(_tmpfs) = full_log_filesystem(&scenario, PAGE) else {
        return;
    };
    let log = scenario.path("logs/audit.log").display().to_string();
    let output = run(&scenario, "cat /etc/shadow", &system_log);
    let error = format!("cannot write audit log {log}: No space left on device (os error 28)");
    // What the administrator must fix is the log; the record keeps both.
    assert_denied(&output, AUDIT, &error);
    assert_recorded_in_system_log(
        &system_log,
        &format!("no rule allows \"cat /etc/shadow\"; and {error}"),
    );
}

#[test]
fn a_record_cut_short_by_a_full_filesystem_denies_and_the_next_starts_a_new_line() {
    let Some(system_log) = SystemLog::new() else {
        return;
    };
    let scenario = marker::scenario(ON_TMPFS);
    // 100 bytes left in the log's last page, none anywhere else.
    let Some(_tmpfs) = full_log_filesystem(&scenario, PAGE - 100) else {
        return;
    };
    let log = scenario.path("logs/audit.log");
    let output = run(&scenario, &marker::command(&scenario), &system_log);
    let err = stderr(&output);
    let start = format!(
        "sshgate: denied: cannot write audit log {}: short write (100 of ",
        log.display()
    );
    assert!(err.starts_with(&start), "{err}");
    assert_eq!(output.status.code(), Some(AUDIT), "{err}");
    assert!(!marker::ran(&scenario), "the command ran unrecorded");
    let reason = err
        .strip_prefix("sshgate: denied: ")
        .and_then(|reason| reason.strip_suffix('\n'))
        .expect("one denial line");
    assert_recorded_in_system_log(&system_log, reason);
    let torn = fs::read(&log).expect("read the log");
    assert_eq!(
        torn.len(),
        PAGE,
        "the torn line is not the 100 bytes that fit"
    );

    // Room again: the next record does not run into the torn fragment.
    fs::remove_file(scenario.path("logs/filler")).expect("free the space");
    let output = run(&scenario, &marker::command(&scenario), &system_log);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(marker::ran(&scenario), "the command did not run");
    let text = fs::read_to_string(&log).expect("read the log");
    let last: serde_json::Value =
        serde_json::from_str(text.lines().last().expect("a line")).expect("a whole record");
    assert_eq!(last["decision"], "allow");
}

#[test]
fn a_file_size_limit_below_the_log_denies_instead_of_killing_the_gate() {
    // pam_limits can give the account an `fsize` smaller than the shared
    // log: the write must fail (EFBIG) and be recorded, not end the gate
    // with SIGXFSZ and no record at all.
    let Some(system_log) = SystemLog::new() else {
        return;
    };
    let scenario = marker::scenario("log = \"{log}\"");
    fs::write(&scenario.log, format!("{}\n", "x".repeat(2 * PAGE))).expect("prefill the log");
    fs::set_permissions(&scenario.log, fs::Permissions::from_mode(0o600)).expect("chmod");
    let mut gate = forced(&scenario.policy, Some(&marker::command(&scenario)));
    system_log.attach(&mut gate);
    // SAFETY: setrlimit is async-signal-safe.
    unsafe {
        gate.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: PAGE as libc::rlim_t,
                rlim_max: PAGE as libc::rlim_t,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let output = gate.output().expect("run the gate");
    let reason = format!(
        "cannot write audit log {}: File too large (os error 27)",
        scenario.log.display()
    );
    assert_denied(&output, AUDIT, &reason);
    assert!(!marker::ran(&scenario), "the command ran unrecorded");
    assert_recorded_in_system_log(&system_log, &reason);
}

#[test]
fn a_log_directory_the_gate_may_not_write_denies() {
    // As root the gate may write anywhere; as the account sshd runs it as,
    // a root-owned 0755 directory (/var/log) is the classic mistake.
    let Some(system_log) = SystemLog::new() else {
        return;
    };
    let scenario = marker::scenario("log = \"{dir}/logs/audit.log\"");
    let logs = scenario.make_dir("logs", 0o755);
    for path in [scenario.dir.path(), &scenario.policy] {
        fs::set_permissions(path, fs::Permissions::from_mode(0o755)).expect("let nobody read");
    }
    let mut gate = forced(&scenario.policy, Some(&marker::command(&scenario)));
    system_log.attach(&mut gate);
    // SAFETY: only async-signal-safe set*id calls between fork and exec;
    // after `attach`'s namespace, which needed root.
    unsafe {
        gate.pre_exec(|| {
            let nobody = common::gate::NOBODY;
            if libc::setgroups(0, std::ptr::null()) != 0
                || libc::setresgid(nobody, nobody, nobody) != 0
                || libc::setresuid(nobody, nobody, nobody) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let output = gate.output().expect("run the gate as nobody");
    let reason = format!(
        "cannot open audit log {}: Permission denied (os error 13)",
        logs.join("audit.log").display()
    );
    assert_denied(&output, AUDIT, &reason);
    assert!(!marker::ran(&scenario), "the command ran");
    let record = assert_recorded_in_system_log(&system_log, &reason);
    assert_eq!(record["user"], "nobody");
}

#[test]
fn a_log_directory_on_a_read_only_filesystem_denies() {
    let Some(system_log) = SystemLog::new() else {
        return;
    };
    let scenario = marker::scenario("log = \"{dir}/logs/audit.log\"");
    let logs = scenario.make_dir("logs", 0o700);
    let Some(_tmpfs) = Mount::tmpfs(&logs, "ro,size=64k,mode=0700") else {
        return;
    };
    let output = run(&scenario, &marker::command(&scenario), &system_log);
    let reason = format!(
        "cannot open audit log {}: Read-only file system (os error 30)",
        logs.join("audit.log").display()
    );
    assert_denied(&output, AUDIT, &reason);
    assert!(!marker::ran(&scenario), "the command ran");
    assert_recorded_in_system_log(&system_log, &reason);
}
