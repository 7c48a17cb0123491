//! The audit trail: exactly one record per request, whatever the outcome,
//! written before the exec or the denial.
//!
//! The caller opens a [`Sink`] from the policy's [`Target`] before the
//! sandbox is applied, then fills a [`Record`] and writes it afterwards. If
//! the sink cannot be opened or the record cannot be written, the request is
//! denied: an unrecorded request never runs.
//!
//! - [`record`](Record): the record and its stable JSON shape;
//! - [`EscapedCommand`]: the client's command, escaped and capped;
//! - [`escape_control`]: the escaping of client bytes;
//! - [`rfc3339_utc`]: the record's time format;
//! - [`Sink`]: the file sink (`log = PATH`) and the system log sink.

mod command;
mod error;
mod escape;
mod file;
mod record;
mod session;
mod sink;
mod syslog;
mod time;
mod tool;

pub use command::{COMMAND_MAX_CHARS, EscapedCommand};
pub use error::AuditError;
pub(crate) use escape::escape_capped;
pub use escape::escape_control;
pub use record::{Applied, Outcome, Record};
pub use session::SessionRecord;
pub use sink::{Sink, Target};
pub use time::rfc3339_utc;
pub use tool::{TOOL_PATHS_MAX_CHARS, ToolRecord};
