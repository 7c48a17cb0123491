//! `max_concurrent` and `wait`, through the real binary: a session holds a
//! slot from before confinement until its command exits, a session over
//! the limit is denied (exit 75) or queues, and the lock directory must be
//! the account's alone.
//!
//! Sessions are held open by `cat` reading a stdin pipe the test keeps:
//! closing the pipe is what ends a session, so nothing here waits on a
//! clock except a bounded poll for the first session's record.

mod common;

use std::fs;
use std::io::Write;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Output, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use common::gate::{NOBODY, Scenario, assert_denied, forced, stdout};
use nix::unistd::{Gid, Uid, chown, getuid};

/// Exit status of a session over `max_concurrent` (documented as 75).
const BUSY: i32 = 75;

const BUSY_REASON: &str =
    "sessions: the profile's limit of 1 session at once (max_concurrent) is reached";

fn profile(limit: &str) -> Scenario {
    Scenario::new(&format!(
        r#"
log = "{{log}}"
{limit}

[[allow]]
name = "cat"
command = ["/usr/bin/cat"]
"#
    ))
}

/// A session running `cat` until [`Held::release`] closes its stdin.
struct Held {
    child: Child,
    stdin: Option<ChildStdin>,
}

impl Held {
    /// Starts a session on `policy` and waits until its record is written
    /// (the slot is taken before the record), so that the next session
    /// meets a held slot.
    fn start(policy: &Path, log: &Path) -> Held {
        let before = allow_records(log);
        let held = Held::spawn(policy);
        wait_for(
            || allow_records(log) > before,
            "the held session's allow record",
        );
        held
    }

    /// Starts a session without waiting for it.
    fn spawn(policy: &Path) -> Held {
        let mut child = forced(policy, Some("cat"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the gate");
        let stdin = child.stdin.take();
        Held { child, stdin }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `text` and closes stdin; the session's `cat` then exits.
    fn release(mut self, text: &str) -> Output {
        if let Some(mut stdin) = self.stdin.take() {
            stdin
                .write_all(text.as_bytes())
                .expect("write to the session");
        }
        self.child.wait_with_output().expect("wait for the session")
    }
}

/// A held session and a second one queued behind it: long enough for the
/// queued gate to have met the held slot (if it had not, its record
/// would show no wait, which the tests check).
fn one_held_one_queued(scenario: &Scenario) -> (Held, Held) {
    let first = Held::start(&scenario.policy, &scenario.log);
    let queued = Held::spawn(&scenario.policy);
    sleep(Duration::from_millis(300));
    (first, queued)
}

/// Waits, within the bound of [`wait_for`], for `session`'s gate to end.
fn wait_for_exit(session: &mut Held, what: &str) {
    wait_for(
        || {
            session
                .child
                .try_wait()
                .is_ok_and(|status| status.is_some())
        },
        what,
    );
}

fn allow_records(log: &Path) -> usize {
    fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|line| line.contains(r#""decision":"allow""#))
        .count()
}

/// Polls `ready` for up to 20 s; a bound on a hang, not a measurement.
fn wait_for(mut ready: impl FnMut() -> bool, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !ready() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        sleep(Duration::from_millis(20));
    }
}

/// Runs one session of `cat` with `text` on stdin.
fn session(policy: &Path, text: &str) -> Output {
    let mut child = forced(policy, Some("cat"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the gate");
    if let Some(mut stdin) = child.stdin.take() {
        // A denied session never reads: ignore EPIPE.
        let _ = stdin.write_all(text.as_bytes());
    }
    child.wait_with_output().expect("wait for the gate")
}

fn assert_ran(output: &Output, text: &str) {
    assert_eq!(
        output.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(stdout(output), text, "the session's cat echoes its stdin");
}

/// Skips nothing: a gate that is not root cannot make its lock directory,
/// which the test then asserts instead.
fn is_root() -> bool {
    getuid().is_root()
}

#[test]
fn a_session_over_max_concurrent_is_denied_until_the_running_one_exits() {
    let scenario = profile("max_concurrent = 1");
    if !is_root() {
        let output = session(&scenario.policy, "x");
        assert_eq!(output.status.code(), Some(71), "{output:?}");
        return;
    }
    let first = Held::start(&scenario.policy, &scenario.log);
    let second = session(&scenario.policy, "second\n");
    assert_denied(&second, BUSY, BUSY_REASON);
    assert_ran(&first.release("first\n"), "first\n");
    assert_ran(&session(&scenario.policy, "third\n"), "third\n");

    let records = scenario.records();
    let outcomes: Vec<_> = records
        .iter()
        .map(|record| (record["decision"].clone(), record["session"].clone()))
        .collect();
    let slot0 = serde_json::json!({"slot": 0, "max": 1, "waited_ms": 0});
    assert_eq!(
        outcomes,
        [
            ("allow".into(), slot0.clone()),
            ("deny".into(), serde_json::Value::Null),
            ("allow".into(), slot0),
        ]
    );
    assert_eq!(records[1]["reason"], BUSY_REASON);
    assert_eq!(records[1]["rule"], "cat");
}

#[test]
fn the_slot_is_held_by_the_executed_command() {
    if !is_root() {
        return;
    }
    let scenario = profile("max_concurrent = 1");
    let first = Held::start(&scenario.policy, &scenario.log);
    let exe = PathBuf::from(format!("/proc/{}/exe", first.pid()));
    wait_for(
        || fs::read_link(&exe).is_ok_and(|target| target == Path::new("/usr/bin/cat")),
        "the gate to become cat",
    );
    // The gate is gone (its pid is cat now), and cat holds the lock file
    // open with the flock on it.
    let lock_dir = PathBuf::from(format!("/run/sshgate/{}", getuid()));
    let held: Vec<PathBuf> = fs::read_dir(format!("/proc/{}/fd", first.pid()))
        .expect("cat's descriptors")
        .filter_map(|entry| fs::read_link(entry.ok()?.path()).ok())
        .filter(|target| target.starts_with(&lock_dir))
        .collect();
    assert_eq!(held.len(), 1, "cat inherits exactly the lock: {held:?}");
    assert!(
        held[0].to_string_lossy().ends_with(".0.lock"),
        "{}",
        held[0].display()
    );
    let locks = fs::read_to_string("/proc/locks").expect("/proc/locks");
    let pid = format!(" {} ", first.pid());
    assert!(
        locks
            .lines()
            .any(|line| line.contains("FLOCK") && line.contains(&pid)),
        "no flock held by cat (pid {}): {locks}",
        first.pid()
    );
    assert_ran(&first.release("done\n"), "done\n");
}

#[test]
fn a_queued_session_runs_once_a_slot_is_freed() {
    if !is_root() {
        return;
    }
    let scenario = profile("max_concurrent = 1\nwait = \"60s\"");
    let (first, queued) = one_held_one_queued(&scenario);
    assert_eq!(allow_records(&scenario.log), 1, "the queued session ran");
    assert_ran(&first.release("first\n"), "first\n");
    assert_ran(&queued.release("queued\n"), "queued\n");

    let records = scenario.records();
    assert_eq!(records.len(), 2, "{records:?}");
    let waited = records[1]["session"]["waited_ms"]
        .as_u64()
        .expect("waited_ms");
    assert!(
        waited >= 100,
        "a session that finds a free slot waits 0 ms, one that queued at least one 100 ms poll; the queued session waited {waited} ms"
    );
    assert_eq!(records[1]["decision"], "allow");
}

#[test]
fn a_queued_session_stops_waiting_when_its_client_goes_away() {
    if !is_root() {
        return;
    }
    let scenario = profile("max_concurrent = 1\nwait = \"1h\"");
    let (first, mut queued) = one_held_one_queued(&scenario);
    // Hang up as sshd does.
    let pid = nix::unistd::Pid::from_raw(i32::try_from(queued.pid()).expect("pid"));
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGHUP).expect("SIGHUP");
    // Within the bound, not after the hour it may queue.
    wait_for_exit(&mut queued, "the queued gate to give up after SIGHUP");
    let output = queued.release("");
    assert_denied(
        &output,
        71,
        "the client went away (SIGHUP) before the command started",
    );
    assert_ran(&first.release("first\n"), "first\n");
    let records = scenario.records();
    assert_eq!(records.len(), 2, "{records:?}");
    assert_eq!(
        records[1]["reason"],
        "the client went away (SIGHUP) before the command started"
    );
}

#[test]
fn a_queued_session_stops_waiting_when_its_output_is_closed() {
    if !is_root() {
        return;
    }
    // Without a terminal sshd sends no SIGHUP: a client gone shows as the
    // read end of the gate's stdout closing.
    let scenario = profile("max_concurrent = 1\nwait = \"1h\"");
    let (first, mut queued) = one_held_one_queued(&scenario);
    drop(queued.child.stdout.take());
    wait_for_exit(
        &mut queued,
        "the queued gate to give up once its output closed",
    );
    let output = queued.release("");
    assert_eq!(output.status.code(), Some(71), "{output:?}");
    assert_ran(&first.release("first\n"), "first\n");
    let records = scenario.records();
    assert_eq!(records.len(), 2, "{records:?}");
    let reason = records[1]["reason"].as_str().unwrap_or_default();
    assert!(
        reason.starts_with("sessions: the client went away after ")
            && reason.ends_with("s queued for a slot"),
        "{reason}"
    );
}

#[test]
fn a_session_that_queued_records_into_the_log_rotated_meanwhile() {
    if !is_root() {
        return;
    }
    let scenario = profile("max_concurrent = 1\nwait = \"60s\"");
    let (first, queued) = one_held_one_queued(&scenario);
    // What logrotate does without copytruncate.
    let rotated = scenario.path("audit.log.1");
    fs::rename(&scenario.log, &rotated).expect("rotate the log");
    assert_ran(&first.release("first\n"), "first\n");
    assert_ran(&queued.release("queued\n"), "queued\n");
    let in_rotated = fs::read_to_string(&rotated).unwrap_or_default();
    assert_eq!(in_rotated.lines().count(), 1, "{in_rotated}");
    let records = scenario.records();
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["decision"], "allow");
    assert!(records[0]["session"]["waited_ms"].as_u64().unwrap_or(0) > 0);
}

#[test]
fn a_queued_session_is_denied_when_its_wait_passes() {
    if !is_root() {
        return;
    }
    let scenario = profile("max_concurrent = 1\nwait = \"300ms\"");
    let first = Held::start(&scenario.policy, &scenario.log);
    let second = session(&scenario.policy, "second\n");
    assert_eq!(second.status.code(), Some(BUSY));
    let stderr = String::from_utf8_lossy(&second.stderr);
    let reason = stderr
        .strip_prefix("sshgate: denied: ")
        .expect("a denial line");
    assert!(
        reason.starts_with(&format!("{BUSY_REASON}; waited 0.")),
        "{stderr}"
    );
    assert!(reason.ends_with("s for a slot\n"), "{stderr}");
    assert_ran(&first.release("first\n"), "first\n");
}

#[test]
fn each_of_max_concurrent_slots_holds_one_session() {
    if !is_root() {
        return;
    }
    let scenario = profile("max_concurrent = 2");
    let first = Held::start(&scenario.policy, &scenario.log);
    let second = Held::start(&scenario.policy, &scenario.log);
    let third = session(&scenario.policy, "third\n");
    assert_denied(
        &third,
        BUSY,
        "sessions: the profile's limit of 2 sessions at once (max_concurrent) is reached",
    );
    assert_ran(&second.release("2\n"), "2\n");
    assert_ran(&first.release("1\n"), "1\n");
    let slots: Vec<_> = scenario
        .records()
        .iter()
        .map(|record| record["session"]["slot"].clone())
        .collect();
    assert_eq!(slots, [0.into(), 1.into(), serde_json::Value::Null]);
}

#[test]
fn each_policy_file_has_its_own_slots() {
    if !is_root() {
        return;
    }
    let backup = profile("max_concurrent = 1");
    let other = profile("max_concurrent = 1");
    let first = Held::start(&backup.policy, &backup.log);
    assert_ran(&session(&other.policy, "other\n"), "other\n");
    assert_ran(&first.release("backup\n"), "backup\n");
}

#[test]
fn wait_without_max_concurrent_is_a_located_policy_error() {
    let scenario = profile("wait = \"30s\"");
    let output = session(&scenario.policy, "x");
    assert_eq!(output.status.code(), Some(78), "{output:?}");
    // Policy errors are recorded in the system log, whose absence the
    // reason then mentions too.
    let expected = format!(
        "sshgate: denied: policy {}:3:8: `wait` queues sessions over `max_concurrent`, which this profile does not set",
        scenario.policy.display()
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.starts_with(&expected), "{stderr}");
}

/// An account's lock directory under `/run/sshgate`, which only root can
/// make for it; removed when dropped.
struct NobodysLockDirectory(PathBuf);

impl Drop for NobodysLockDirectory {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

#[test]
fn another_accounts_lock_directory_must_be_made_by_root_and_kept_private() {
    if !is_root() {
        return;
    }
    // The gate runs as nobody: the policy is root's and readable, the log
    // nobody's.
    let scenario = Scenario::new(
        r#"
log = "{dir}/logs/audit.log"
max_concurrent = 1

[sandbox]
chdir = "/"

[[allow]]
name = "cat"
command = ["/usr/bin/cat"]
"#,
    );
    fs::set_permissions(scenario.dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    fs::set_permissions(&scenario.policy, fs::Permissions::from_mode(0o644)).unwrap();
    let logs = scenario.make_dir("logs", 0o700);
    let nobody = (Some(Uid::from_raw(NOBODY)), Some(Gid::from_raw(NOBODY)));
    chown(&logs, nobody.0, nobody.1).unwrap();
    let as_nobody = |text: &str| {
        let mut gate = forced(&scenario.policy, Some("cat"));
        gate.uid(NOBODY).gid(NOBODY);
        gate.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = gate.spawn().expect("start the gate as nobody");
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(text.as_bytes());
        }
        child.wait_with_output().expect("wait for the gate")
    };
    fs::create_dir_all("/run/sshgate").unwrap();
    let directory = NobodysLockDirectory(PathBuf::from(format!("/run/sshgate/{NOBODY}")));
    let _ = fs::remove_dir_all(&directory.0);

    // Missing: nobody cannot make it, and the reason says who can.
    assert_denied(
        &as_nobody("x"),
        71,
        &format!(
            "sessions: cannot make or open the session lock directory /run/sshgate/{NOBODY}: EACCES: Permission denied; as root: install -d -m 0755 /run/sshgate && install -d -m 0700 -o {NOBODY} /run/sshgate/{NOBODY}"
        ),
    );
    // Made by root but left root's (and open to nobody, or the reason
    // would be the EACCES above).
    fs::create_dir(&directory.0).unwrap();
    fs::set_permissions(&directory.0, fs::Permissions::from_mode(0o755)).unwrap();
    assert_denied(
        &as_nobody("x"),
        71,
        &format!(
            "sessions: the session lock directory /run/sshgate/{NOBODY} is owned by uid 0, not uid {NOBODY}: another account could hold or free the slots"
        ),
    );
    // Nobody's, but others may write to it.
    chown(&directory.0, nobody.0, nobody.1).unwrap();
    fs::set_permissions(&directory.0, fs::Permissions::from_mode(0o770)).unwrap();
    assert_denied(
        &as_nobody("x"),
        71,
        &format!(
            "sessions: the session lock directory /run/sshgate/{NOBODY} is writable by others (mode 0770): another account could hold or free the slots"
        ),
    );
    // A symlink where a slot belongs is never followed.
    fs::set_permissions(&directory.0, fs::Permissions::from_mode(0o700)).unwrap();
    let stem = scenario
        .policy
        .to_string_lossy()
        .trim_start_matches('/')
        .replace('%', "%25")
        .replace('/', "%2F");
    let slot = directory.0.join(format!("{stem}.0.lock"));
    symlink("/etc/passwd", &slot).unwrap();
    assert_denied(
        &as_nobody("x"),
        71,
        &format!(
            "sessions: cannot take the session lock {}: ELOOP: Too many symbolic links encountered",
            slot.display()
        ),
    );
    // As it should be: nobody's, private, no link.
    fs::remove_file(&slot).unwrap();
    assert_ran(&as_nobody("nobody\n"), "nobody\n");
    let lock = fs::symlink_metadata(&slot).expect("the slot's lock file");
    assert!(lock.file_type().is_file());
    assert_eq!(lock.permissions().mode() & 0o7777, 0o600);
}

#[test]
fn a_filter_refusing_what_the_gate_needs_is_a_policy_error() {
    // fcntl keeps the session lock open across the exec, after the filter.
    let scenario = profile("max_concurrent = 1\n\n[sandbox]\ndeny_syscalls = [\"fcntl\"]");
    let output = session(&scenario.policy, "x\n");
    assert_eq!(output.status.code(), Some(78), "{output:?}");
    assert!(output.stdout.is_empty(), "cat ran: {output:?}");
    let expected = format!(
        "sshgate: denied: policy {}:6:17: deny_syscalls lists fcntl, which sshgate itself needs after installing the filter (to write the record, keep the session lock and exec the command); every request would be denied",
        scenario.policy.display()
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.starts_with(&expected), "{stderr}");
    assert!(scenario.records().is_empty(), "no allow record");
}
