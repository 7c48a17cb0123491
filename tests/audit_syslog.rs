//! Without `log`, records go to the system log at /dev/log. This file is
//! its own test binary, so the temporary /dev/log it may create is not
//! seen by other tests.

mod common;

use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::time::Duration;

use common::gate::{Scenario, stderr, stdout};

const POLICY: &str = "[[allow]]\nname = \"echo\"\ncommand = [\"/usr/bin/echo\", \"hello\"]\n";
const DEV_LOG: &str = "/dev/log";

/// Removes the socket this test bound at /dev/log, even if the test fails.
struct TemporaryDevLog(UnixDatagram);

impl Drop for TemporaryDevLog {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(DEV_LOG);
    }
}

#[test]
fn records_reach_the_system_log() {
    let scenario = Scenario::new(POLICY);
    if Path::new(DEV_LOG).exists() {
        // A real syslog daemon owns /dev/log: we cannot read what it got,
        // but the record must have been accepted, or the gate would deny.
        let output = scenario.run(Some("echo hello"));
        assert_eq!(stdout(&output), "hello\n", "stderr: {}", stderr(&output));
        return;
    }
    if !nix::unistd::geteuid().is_root() {
        // No syslog and no right to stand one up: the gate must refuse to
        // run anything unrecorded, and say why.
        let output = scenario.run(Some("echo hello"));
        assert_eq!(output.status.code(), Some(74));
        assert!(
            stderr(&output).contains("cannot connect to system log /dev/log"),
            "{}",
            stderr(&output)
        );
        assert_eq!(stdout(&output), "");
        return;
    }
    let socket = TemporaryDevLog(UnixDatagram::bind(DEV_LOG).expect("bind /dev/log"));
    socket
        .0
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();

    let allowed = scenario.run(Some("echo hello"));
    assert_eq!(stdout(&allowed), "hello\n", "stderr: {}", stderr(&allowed));
    let denied = scenario.run(Some("cat /etc/shadow"));
    assert_eq!(denied.status.code(), Some(77));

    // A broken authorized_keys line is still a request that gets recorded.
    let malformed = std::process::Command::new(common::gate::binary())
        .args(["--polcy", "/etc/sshgate/x.toml"])
        .env_clear()
        .env("SSH_CONNECTION", "192.0.2.10 50022 192.0.2.1 22")
        .env("SSH_ORIGINAL_COMMAND", "echo hello")
        .output()
        .unwrap();
    assert_eq!(malformed.status.code(), Some(2));
    let without_policy = std::process::Command::new(common::gate::binary())
        .env_clear()
        .env("SSH_CONNECTION", "192.0.2.10 50022 192.0.2.1 22")
        .env("SSH_ORIGINAL_COMMAND", "echo hello")
        .output()
        .unwrap();
    assert_eq!(without_policy.status.code(), Some(2));

    // A log file that cannot be written (here: RLIMIT_FSIZE 0 makes every
    // write fail with EFBIG) denies, and the denial falls back to syslog.
    let with_file = Scenario::new(&format!("log = \"{{log}}\"\n{POLICY}"));
    let mut gate = common::gate::forced(&with_file.policy, Some("cat /etc/shadow"));
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut gate, || {
            // Ignored, not fatal: the write must fail, not kill the gate.
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let limit = libc::rlimit {
                rlim_cur: 0,
                rlim_max: libc::RLIM_INFINITY,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let unwritable = gate.output().unwrap();

    // The same failure after confinement, for an allowed command: the
    // seccomp filter refuses socket(2) by then, so the fallback must have
    // been connected before (it once was not, and the denial went nowhere).
    let mut gate = common::gate::forced(&with_file.policy, Some("echo hello"));
    // SAFETY: as above.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut gate, || {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let limit = libc::rlimit {
                rlim_cur: 0,
                rlim_max: libc::RLIM_INFINITY,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let confined = gate.output().unwrap();
    assert_eq!(confined.status.code(), Some(74), "{}", stderr(&confined));
    assert_eq!(stdout(&confined), "", "the command ran unrecorded");
    assert!(
        !stderr(&confined).contains("system log"),
        "the fallback failed: {}",
        stderr(&confined)
    );
    assert_eq!(
        unwritable.status.code(),
        Some(74),
        "{}",
        stderr(&unwritable)
    );
    assert!(
        stderr(&unwritable).contains("File too large"),
        "{}",
        stderr(&unwritable)
    );

    let mut buffer = vec![0u8; 65536];
    let mut messages = Vec::new();
    for _ in 0..6 {
        let length = socket.0.recv(&mut buffer).expect("a syslog datagram");
        messages.push(String::from_utf8_lossy(&buffer[..length]).into_owned());
    }
    // authpriv (10) * 8 + info (6) = 86 for an allow; + warning (4) = 84 for a denial.
    assert!(messages[0].starts_with("<86>"), "{}", messages[0]);
    assert!(messages[1].starts_with("<84>"), "{}", messages[1]);
    assert!(messages[2].starts_with("<84>"), "{}", messages[2]);
    assert!(
        messages[2].contains(
            "\"reason\":\"sshgate's own command line is malformed: unexpected argument found\""
        ),
        "{}",
        messages[2]
    );
    let mut records = Vec::new();
    for message in &messages {
        let (tag, json) = message.split_once("]: ").expect("ident[pid]: message");
        assert!(tag.contains(" sshgate["), "{message}");
        let record: serde_json::Value =
            serde_json::from_str(json).expect("the message is the JSON record");
        records.push(record);
    }
    assert_eq!(records[0]["decision"], "allow");
    assert_eq!(records[0]["command"], "echo hello");
    assert_eq!(records[1]["reason"], "no rule allows \"cat /etc/shadow\"");
    assert_eq!(records[2]["command"], "echo hello");
    assert_eq!(
        records[3]["reason"],
        "sshgate's own command line is malformed: one of --profile or --policy is required"
    );
    let fallback = records[4]["reason"].as_str().unwrap_or_default();
    assert!(
        fallback.starts_with("no rule allows \"cat /etc/shadow\"; and cannot write audit log "),
        "{fallback}"
    );
    // The allowed request whose record failed after confinement.
    assert_eq!(records[5]["decision"], "deny");
    assert_eq!(records[5]["rule"], "echo");
    let after = records[5]["reason"].as_str().unwrap_or_default();
    assert!(after.starts_with("cannot write audit log "), "{after}");
    assert_eq!(records[5]["applied"]["seccomp"], "installed");
}
