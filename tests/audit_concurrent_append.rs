//! The audit log while another writer's append is half done: concurrent
//! gates share one log, and a gate must not mistake another's line in
//! progress for one cut short.
//!
//! The other writer is held in the middle of its `write(2)` with
//! userfaultfd (tests/common/paused_write.rs): a burst of 200 real gates
//! hits that window only now and then (one burst in three, on two cores),
//! and held, it is as wide as the test needs.

mod common;

use std::fs::{self, OpenOptions};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::process::{Child, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use common::gate::{Scenario, forced};
use common::paused_write::PausedWrite;

const POLICY: &str = r#"log = "{log}"

[[allow]]
name = "greet"
command = ["/usr/bin/echo", "hello"]
"#;

/// Generous: the gate is one short process; this only turns a hang into a
/// failure.
const GATE_DEADLINE: Duration = Duration::from_secs(60);

/// A whole record of another gate, three pages long.
fn other_record() -> Vec<u8> {
    let padding = "x".repeat(3 * 4096);
    format!("{{\"decision\":\"deny\",\"reason\":\"another gate\",\"command\":\"{padding}\"}}\n")
        .into_bytes()
}

/// Waits until `gate` is inside `write(2)` on the log (where the held
/// write's inode lock stops it), from `/proc/PID/syscall`: the syscall
/// number, then its arguments, the descriptor first.
fn wait_until_writing_log(gate: &mut Child, log: &Path) {
    let deadline = Instant::now() + GATE_DEADLINE;
    loop {
        if let Some(status) = gate.try_wait().expect("wait for the gate") {
            panic!("the gate exited ({status}) without waiting on the log");
        }
        let syscall =
            fs::read_to_string(format!("/proc/{}/syscall", gate.id())).unwrap_or_default();
        let mut fields = syscall.split_whitespace();
        if fields.next() == Some(&libc::SYS_write.to_string()) {
            let fd = fields
                .next()
                .and_then(|fd| i64::from_str_radix(fd.trim_start_matches("0x"), 16).ok());
            let target =
                fd.and_then(|fd| fs::read_link(format!("/proc/{}/fd/{fd}", gate.id())).ok());
            if target.as_deref() == Some(log) {
                return;
            }
        }
        assert!(
            Instant::now() < deadline,
            "the gate did not reach its write to the log within {GATE_DEADLINE:?}: {syscall}"
        );
        thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn a_gate_appending_during_another_writers_append_writes_one_whole_line() {
    let scenario = Scenario::new(POLICY);
    let file = OpenOptions::new()
        .append(true)
        .create_new(true)
        .mode(0o600)
        .open(&scenario.log)
        .expect("create the log");
    fs::set_permissions(&scenario.log, fs::Permissions::from_mode(0o600)).expect("chmod log");
    // As /proc/PID/fd shows it.
    let log = scenario.log.canonicalize().expect("resolve the log path");
    let other = other_record();

    let held = PausedWrite::start(file, &other);
    // The precondition: the log visibly ends inside the other record.
    let during = fs::read(&scenario.log).expect("read the log");
    assert!(
        !during.is_empty() && during.len() < other.len() && other.starts_with(&during),
        "the held write shows {} of {} bytes",
        during.len(),
        other.len()
    );

    let mut gate = forced(&scenario.policy, Some("echo hello"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the gate");
    wait_until_writing_log(&mut gate, &log);
    assert_eq!(held.finish().expect("the held write"), other.len());
    let output = gate.wait_with_output().expect("wait for the gate");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "hello\n",
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(output.status.code(), Some(0));

    // Split on newlines only: a blank line or two records run together
    // fail here.
    let text = fs::read_to_string(&scenario.log).expect("read the log");
    let lines: Vec<&str> = text
        .strip_suffix('\n')
        .expect("a whole last line")
        .split('\n')
        .collect();
    let shown: Vec<String> = lines
        .iter()
        .map(|line| format!("{} bytes: {:?}...", line.len(), &line[..line.len().min(60)]))
        .collect();
    assert_eq!(lines.len(), 2, "lines of the log: {shown:#?}");
    assert_eq!(format!("{}\n", lines[0]).as_bytes(), &other[..]);
    let record: serde_json::Value = serde_json::from_str(lines[1]).expect("the gate's record");
    assert_eq!(record["decision"], "allow");
    assert_eq!(record["command"], "echo hello");
}
