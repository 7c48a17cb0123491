//! `log = true` on an sftp rule: sftp-server runs with `-l INFO -f
//! AUTHPRIV` and its session messages reach /dev/log, which the rule
//! grants and which `unix = true` lets it connect to. This file is its
//! own test binary, so the temporary /dev/log it may bind is not seen by
//! other tests.

mod common;

use std::fs;
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::time::Duration;

use common::gate::{Scenario, stderr};
use common::sshd::SFTP_SERVER;
use nix::unistd::{User, geteuid};

/// `compat = "best-effort"`: connecting to a pathname unix socket is a
/// Landlock right from ABI 9 only, and older kernels must still run it.
const POLICY: &str = r#"log = "{log}"
[[allow]]
name = "sftp-logged"
sftp = { write = ["{dir}/in"], start = "{dir}/in", log = true }
[allow.sandbox]
unix = true
compat = "best-effort"
"#;

const DEV_LOG: &str = "/dev/log";

/// Removes the socket this test bound at /dev/log, even if the test fails.
struct TemporaryDevLog(UnixDatagram);

impl Drop for TemporaryDevLog {
    fn drop(&mut self) {
        let _ = fs::remove_file(DEV_LOG);
    }
}

#[test]
fn a_logging_rule_sends_sftp_servers_session_messages_to_the_system_log() {
    let scenario = Scenario::new(POLICY);
    fs::create_dir(scenario.path("in")).unwrap();
    if Path::new(DEV_LOG).exists() {
        // A real syslog daemon owns /dev/log: we cannot read what it got,
        // but the session must run with the socket granted.
        let output = scenario.run(Some(SFTP_SERVER));
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        assert_eq!(scenario.records()[0]["rule"], "sftp-logged");
        return;
    }
    if !geteuid().is_root() {
        // No system log, and no right to stand one up: the rule's grant
        // names a socket that does not exist, and the sandbox refuses.
        let output = scenario.run(Some(SFTP_SERVER));
        assert_eq!(output.status.code(), Some(71), "{}", stderr(&output));
        assert!(
            stderr(&output).contains("grant path /dev/log does not exist"),
            "{}",
            stderr(&output)
        );
        return;
    }
    let socket = TemporaryDevLog(UnixDatagram::bind(DEV_LOG).expect("bind /dev/log"));
    socket
        .0
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();

    // stdin is /dev/null: sftp-server opens the session, reads EOF and
    // closes it, logging both.
    let output = scenario.run(Some(SFTP_SERVER));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let user = User::from_uid(geteuid()).unwrap().unwrap().name;
    for event in ["opened", "closed"] {
        let mut message = [0u8; 1024];
        let length = socket
            .0
            .recv(&mut message)
            .expect("a message from sftp-server");
        let message = String::from_utf8_lossy(&message[..length]);
        // <86>: facility authpriv (10), level info (6).
        assert!(message.starts_with("<86>"), "{message}");
        assert!(message.contains(" sftp-server["), "{message}");
        assert!(
            message.ends_with(&format!(
                "]: session {event} for local user {user} from [192.0.2.10]"
            )),
            "{message}"
        );
    }
}
