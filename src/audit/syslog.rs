//! The system log sink (no `log` in the policy): one datagram per record to
//! `/dev/log`, which journald and rsyslog both read.
//!
//! The socket is connected at open time, before the sandbox: afterwards the
//! gate may no longer be allowed to connect to a pathname socket (seccomp
//! covers those), but it can still send on a connected one.

use std::io;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::error::AuditError;
use super::record::{Outcome, Record};
use super::time::syslog_timestamp;

/// The system log socket.
pub(crate) const DEV_LOG: &str = "/dev/log";

/// The program name in each message, as `openlog("sshgate", ...)` would set.
const IDENT: &str = "sshgate";

/// `LOG_AUTHPRIV`: access decisions belong with sshd's own messages, in the
/// log that only administrators can read.
const FACILITY_AUTHPRIV: u8 = 10;
/// `LOG_INFO`, for an allowed request.
const SEVERITY_INFO: u8 = 6;
/// `LOG_WARNING`, for a denial.
const SEVERITY_WARNING: u8 = 4;

/// How long a send may wait for room in the log daemon's queue. glibc's
/// `syslog()` waits forever; a wedged daemon would then hang every SSH
/// session, while failing denies the request, which is the safe side.
const SEND_TIMEOUT: Duration = Duration::from_secs(5);

/// A datagram socket connected to the system log.
#[derive(Debug)]
pub(crate) struct SyslogSink {
    path: PathBuf,
    socket: UnixDatagram,
}

impl SyslogSink {
    /// Connects an unbound datagram socket to `path`: `/dev/log`, except in
    /// tests.
    pub(crate) fn connect(path: &Path) -> Result<SyslogSink, AuditError> {
        let connect_error = |source| AuditError::Connect {
            path: path.to_path_buf(),
            source,
        };
        let socket = UnixDatagram::unbound().map_err(connect_error)?;
        socket.connect(path).map_err(connect_error)?;
        socket
            .set_write_timeout(Some(SEND_TIMEOUT))
            .map_err(connect_error)?;
        Ok(SyslogSink {
            path: path.to_path_buf(),
            socket,
        })
    }

    /// The socket path, for error messages.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Sends `json`, the encoded `record`, as one syslog message.
    pub(crate) fn send(&self, record: &Record, json: &str) -> Result<(), AuditError> {
        let message = format_message(record.decision, record.time, std::process::id(), json);
        let bytes = message.as_bytes();
        loop {
            match self.socket.send(bytes) {
                Ok(n) if n == bytes.len() => return Ok(()),
                // A datagram is sent whole or not at all; this is only a
                // guard against a half record ever passing as success.
                Ok(written) => {
                    return Err(AuditError::ShortWrite {
                        path: self.path.clone(),
                        written,
                        expected: bytes.len(),
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(source) => {
                    return Err(AuditError::Send {
                        path: self.path.clone(),
                        source,
                    });
                }
            }
        }
    }
}

/// Formats an RFC 3164 message as glibc's `syslog()` does:
/// `<PRI>Mmm dd hh:mm:ss sshgate[PID]: BODY`.
///
/// The header time is the record's time in UTC, not local time as glibc
/// would write it: journald and rsyslog's `/dev/log` input stamp messages
/// with their own receive time anyway, the body carries the exact RFC 3339
/// time, and the gate never has to read the time zone database.
fn format_message(outcome: Outcome, time: SystemTime, pid: u32, json: &str) -> String {
    let severity = match outcome {
        Outcome::Allow => SEVERITY_INFO,
        Outcome::Deny => SEVERITY_WARNING,
    };
    let pri = u32::from(FACILITY_AUTHPRIV) * 8 + u32::from(severity);
    format!("<{pri}>{} {IDENT}[{pid}]: {json}", syslog_timestamp(time))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{Applied, EscapedCommand, Sink};
    use std::time::UNIX_EPOCH;

    /// A log daemon stand-in: a datagram socket bound in a temp dir.
    fn daemon() -> (tempfile::TempDir, PathBuf, UnixDatagram) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("log");
        let socket = UnixDatagram::bind(&path).expect("bind");
        (dir, path, socket)
    }

    fn receive(socket: &UnixDatagram) -> String {
        socket
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        let mut buf = vec![0u8; 256 * 1024];
        let n = socket.recv(&mut buf).expect("recv");
        String::from_utf8(buf[..n].to_vec()).expect("UTF-8 message")
    }

    fn fixed_time() -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(1_795_698_245_123)
    }

    #[test]
    fn allow_is_authpriv_info() {
        let (_dir, path, daemon) = daemon();
        let mut sink = Sink::syslog_at(&path).expect("connect");
        let record = Record {
            time: fixed_time(),
            command: EscapedCommand::new(Some(b"df -h")),
            ..Record::allow("disk-free", "/usr/bin/df", Applied::default())
        };
        sink.write(&record).expect("write");

        let message = receive(&daemon);
        let header = format!("<86>Nov 26 13:04:05 sshgate[{}]: ", std::process::id());
        let body = message
            .strip_prefix(&header)
            .unwrap_or_else(|| panic!("header {header:?} in {message:?}"));
        assert!(!body.ends_with('\n'), "no newline inside a datagram");
        let v: serde_json::Value = serde_json::from_str(body).expect("JSON body");
        assert_eq!(v["decision"], "allow");
        assert_eq!(v["rule"], "disk-free");
        assert_eq!(v["command"], "df -h");
        assert_eq!(v["time"], "2026-11-26T13:04:05.123Z");
    }

    #[test]
    fn deny_is_authpriv_warning() {
        let (_dir, path, daemon) = daemon();
        let mut sink = Sink::syslog_at(&path).expect("connect");
        let record = Record {
            command: EscapedCommand::new(Some(b"sh -c 'id'\n\x1b")),
            ..Record::deny("shell syntax")
        };
        sink.write(&record).expect("write");

        let message = receive(&daemon);
        assert!(message.starts_with("<84>"), "{message}");
        let tag = format!(" sshgate[{}]: ", std::process::id());
        let (_, body) = message.split_once(&tag).expect("tag");
        let v: serde_json::Value = serde_json::from_str(body).expect("JSON body");
        assert_eq!(v["decision"], "deny");
        assert_eq!(v["reason"], "shell syntax");
        assert_eq!(v["command"], "sh -c 'id'\\n\\x1b");
    }

    #[test]
    fn largest_record_fits_one_datagram() {
        // 8192 four-byte characters: the largest command text a record can
        // carry, in bytes.
        let raw = "𝄞".repeat(20_000);
        let (_dir, path, daemon) = daemon();
        let mut sink = Sink::syslog_at(&path).expect("connect");
        sink.write(&Record {
            command: EscapedCommand::new(Some(raw.as_bytes())),
            ..Record::deny("too long")
        })
        .expect("write");
        let message = receive(&daemon);
        let (_, body) = message.split_once("]: ").expect("tag");
        let v: serde_json::Value = serde_json::from_str(body).expect("JSON body");
        assert_eq!(v["command"].as_str().map(|s| s.chars().count()), Some(8192));
        assert_eq!(v["command_truncated"], true);
        assert_eq!(v["command_bytes"], 80_000);
    }

    #[test]
    fn missing_socket_names_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("log");
        let err = Sink::syslog_at(&path).expect_err("no socket");
        assert_eq!(
            err.to_string(),
            format!(
                "cannot connect to system log {}: No such file or directory (os error 2)",
                path.display()
            )
        );
    }

    #[test]
    fn vanished_daemon_is_a_send_error() {
        let (_dir, path, daemon) = daemon();
        let mut sink = Sink::syslog_at(&path).expect("connect");
        drop(daemon);
        let err = sink.write(&Record::deny("x")).expect_err("peer gone");
        let text = err.to_string();
        assert!(
            text.starts_with(&format!("cannot write to system log {}: ", path.display())),
            "{text}"
        );
    }
}
