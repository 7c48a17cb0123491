//! One backup at a time, through a real sshd: `max_concurrent = 1` with
//! the real ssh and rsync clients. A session is held open by a remote
//! `cat` whose stdin the test keeps; the lock then belongs to that `cat`.

mod common;

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use common::gate::{Scenario, stderr};
use common::sshd::{Sshd, run_client};
use nix::unistd::geteuid;

const BUSY_REASON: &str =
    "sessions: the profile's limit of 1 session at once (max_concurrent) is reached";

struct Setup {
    scenario: Scenario,
    sshd: Sshd,
}

fn setup(limit: &str) -> Setup {
    let scenario = Scenario::new(&format!(
        r#"log = "{{log}}"
{limit}

[sandbox]
chdir = "{{dir}}/srv"

[[allow]]
name = "pull"
rsync = {{ send = ["{{dir}}/srv"] }}

[[allow]]
name = "hold"
command = ["/usr/bin/cat"]
"#
    ));
    fs::create_dir(scenario.path("srv")).unwrap();
    // Random contents, so a byte-identical copy is not a coincidence.
    let data: Vec<u8> = fs::read("/proc/self/auxv")
        .unwrap_or_default()
        .into_iter()
        .chain((0..200_000u32).flat_map(|n| n.wrapping_mul(2_654_435_761).to_le_bytes()))
        .collect();
    fs::write(scenario.path("srv/data.bin"), data).unwrap();
    let sshd = Sshd::start_gate(&scenario.policy);
    Setup { scenario, sshd }
}

/// A remote `cat` holding the profile's slot until [`Held::release`].
struct Held {
    /// `None` once released; a test that fails first kills it.
    child: Option<Child>,
    stdin: Option<ChildStdin>,
}

impl Held {
    fn start(setup: &Setup) -> Held {
        let before = allow_records(setup);
        let mut child = Command::new("ssh")
            .args(setup.sshd.ssh_options())
            .arg("-p")
            .arg(setup.sshd.port().to_string())
            .arg("-T")
            .arg("--")
            .arg(setup.sshd.host())
            .arg("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start ssh");
        let stdin = child.stdin.take();
        let held = Held {
            child: Some(child),
            stdin,
        };
        wait_for(
            || allow_records(setup) > before,
            "the held session's allow record",
        );
        held
    }

    fn release(mut self, text: &str) -> Output {
        if let Some(mut stdin) = self.stdin.take() {
            stdin
                .write_all(text.as_bytes())
                .expect("write to the session");
        }
        let child = self.child.take().expect("released once");
        child.wait_with_output().expect("wait for ssh")
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn allow_records(setup: &Setup) -> usize {
    setup
        .scenario
        .records()
        .iter()
        .filter(|record| record["decision"] == "allow")
        .count()
}

/// Polls `ready` for up to 30 s; a bound on a hang, not a measurement.
fn wait_for(mut ready: impl FnMut() -> bool, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !ready() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        thread::sleep(Duration::from_millis(20));
    }
}

fn pull_command(setup: &Setup, into: &Path) -> Command {
    let mut rsync = Command::new("rsync");
    rsync
        .arg("-a")
        .arg("-e")
        .arg(setup.sshd.ssh_command_line())
        .arg(format!(
            "{}:{}/",
            setup.sshd.host(),
            setup.scenario.path("srv").display()
        ))
        .arg(into);
    rsync
}

fn assert_pulled(setup: &Setup, output: &Output, into: &Path) {
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        setup.sshd.explain(output)
    );
    assert_eq!(
        fs::read(into.join("data.bin")).unwrap(),
        fs::read(setup.scenario.path("srv/data.bin")).unwrap(),
        "the pulled copy differs"
    );
}

#[test]
fn a_second_backup_is_refused_while_one_runs() {
    let setup = setup("max_concurrent = 1");
    if !geteuid().is_root() {
        // sshd runs the gate as this user, who cannot make its lock
        // directory under /run/sshgate.
        let output = setup.sshd.ssh(Some("cat"));
        assert_eq!(output.status.code(), Some(71), "{output:?}");
        return;
    }
    let held = Held::start(&setup);
    let refused_into = setup.scenario.path("refused");
    let refused = run_client(&mut pull_command(&setup, &refused_into), None);
    assert_ne!(refused.status.code(), Some(0), "{refused:?}");
    assert!(
        stderr(&refused).contains(&format!("sshgate: denied: {BUSY_REASON}")),
        "{}",
        stderr(&refused)
    );
    assert!(!refused_into.join("data.bin").exists());

    let held = held.release("held\n");
    assert_eq!(String::from_utf8_lossy(&held.stdout), "held\n");
    assert_eq!(held.status.code(), Some(0));

    let into = setup.scenario.path("pulled");
    let pulled = run_client(&mut pull_command(&setup, &into), None);
    assert_pulled(&setup, &pulled, &into);

    let records = setup.scenario.records();
    let summary: Vec<_> = records
        .iter()
        .map(|record| {
            (
                record["rule"].as_str().unwrap_or_default().to_owned(),
                record["decision"].as_str().unwrap_or_default().to_owned(),
                record["reason"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let row = |rule: &str, decision: &str, reason: &str| {
        (rule.to_owned(), decision.to_owned(), reason.to_owned())
    };
    assert_eq!(
        summary,
        [
            row("hold", "allow", ""),
            row("pull", "deny", BUSY_REASON),
            row("pull", "allow", ""),
        ]
    );
}

#[test]
fn a_queued_backup_runs_when_the_running_one_ends() {
    let setup = setup("max_concurrent = 1\nwait = \"60s\"");
    if !geteuid().is_root() {
        return;
    }
    let held = Held::start(&setup);
    let into = setup.scenario.path("queued");
    let mut pull = pull_command(&setup, &into);
    let queued = thread::spawn(move || run_client(&mut pull, None));
    // The queued gate writes nothing until it has a slot; its record's
    // `waited_ms` then shows it really queued.
    thread::sleep(Duration::from_millis(700));
    assert_eq!(allow_records(&setup), 1, "the queued pull did not wait");
    assert!(!queued.is_finished(), "the queued pull ended early");

    assert_eq!(held.release("held\n").status.code(), Some(0));
    let pulled = queued.join().expect("the pull's thread");
    assert_pulled(&setup, &pulled, &into);

    let records = setup.scenario.records();
    assert_eq!(records.len(), 2, "{records:?}");
    assert_eq!(records[1]["rule"], "pull");
    assert_eq!(records[1]["decision"], "allow");
    let waited = records[1]["session"]["waited_ms"].as_u64().unwrap_or(0);
    assert!(
        waited >= 100,
        "a session that finds a free slot waits 0 ms, one that queued at least one 100 ms poll; the pull waited {waited} ms"
    );
}
