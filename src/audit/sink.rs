//! Where records go: the policy's choice of target, and the opened sink.
//!
//! Opening and writing are separate on purpose. An allowed request's record
//! says what the sandbox applied, so it is written after Landlock, when the
//! gate can no longer open the log path; the sink is therefore opened before
//! confinement and keeps its file descriptor until the record is written.

use std::path::{Path, PathBuf};

use super::error::AuditError;
use super::file::FileSink;
use super::record::Record;
use super::syslog::{DEV_LOG, SyslogSink};

/// Where records go, as configured by the policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `log = PATH`: one JSON line per record, appended to this file.
    File(PathBuf),
    /// No `log` set: the system log at `/dev/log`, facility authpriv.
    Syslog,
}

/// An opened sink, ready to take records even after the sandbox is applied.
#[derive(Debug)]
pub struct Sink {
    inner: Inner,
}

#[derive(Debug)]
enum Inner {
    File(FileSink),
    Syslog(SyslogSink),
}

impl Sink {
    /// Opens the log file or connects to `/dev/log`. Call it before the
    /// sandbox is applied.
    pub fn open(target: &Target) -> Result<Sink, AuditError> {
        match target {
            Target::File(path) => Ok(Sink {
                inner: Inner::File(FileSink::open(path)?),
            }),
            Target::Syslog => Sink::syslog_at(Path::new(DEV_LOG)),
        }
    }

    /// A syslog sink on the socket at `path`, so that tests can stand in
    /// for the log daemon; [`Sink::open`] always uses `/dev/log`.
    pub(super) fn syslog_at(path: &Path) -> Result<Sink, AuditError> {
        Ok(Sink {
            inner: Inner::Syslog(SyslogSink::connect(path)?),
        })
    }

    /// Writes one record: a single `write(2)` of a JSON line to the file,
    /// or a single datagram to the system log. On error the caller must
    /// deny the request.
    pub fn write(&mut self, record: &Record) -> Result<(), AuditError> {
        let encode_error = |path: &Path, source| AuditError::Encode {
            path: path.to_path_buf(),
            source,
        };
        match &mut self.inner {
            Inner::File(file) => {
                let line = record
                    .to_json_line()
                    .map_err(|e| encode_error(file.path(), e))?;
                file.write_line(line.as_bytes())
            }
            Inner::Syslog(syslog) => {
                let json = record
                    .to_json()
                    .map_err(|e| encode_error(syslog.path(), e))?;
                syslog.send(record, &json)
            }
        }
    }

    /// The log file or socket this sink writes to, for messages.
    pub fn path(&self) -> &Path {
        match &self.inner {
            Inner::File(file) => file.path(),
            Inner::Syslog(syslog) => syslog.path(),
        }
    }
}
