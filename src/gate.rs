//! Forced-command mode: the pipeline run end to end.
//!
//! request → policy → decide → sandbox → audit → exec. Every early return
//! is a denial; the only way to the exec is through every layer.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::audit::{Applied, EscapedCommand, Outcome, Record, Sink, Target};
use crate::decide::{Decision, Plan, decide};
use crate::exec::PreparedCommand;
use crate::exit;
use crate::policy::{LoadedPolicy, PolicyError, load_trusted, profile_path};
use crate::request::Request;
use crate::sandbox;

/// Where the policy comes from.
#[derive(Debug, Clone)]
pub enum PolicySource {
    /// `--profile NAME`, looked up as `<dir>/NAME.toml`.
    Profile {
        /// The policy directory.
        dir: PathBuf,
        /// The profile name.
        name: String,
    },
    /// `--policy FILE`.
    File(PathBuf),
}

impl PolicySource {
    /// The name recorded as `profile` in the audit log.
    pub fn display_name(&self) -> String {
        match self {
            Self::Profile { name, .. } => name.clone(),
            Self::File(path) => path.display().to_string(),
        }
    }
}

/// Loads the policy named by `source`, with the ownership checks of forced-command mode.
pub fn load_policy(source: &PolicySource, invoking_uid: u32) -> Result<LoadedPolicy, PolicyError> {
    let path = match source {
        PolicySource::Profile { dir, name } => profile_path(dir, name)?,
        PolicySource::File(path) => path.clone(),
    };
    load_trusted(&path, invoking_uid)
}

/// A request that ends without an exec.
struct Denial {
    code: u8,
    reason: String,
    /// The profile's `silent`; unknown (so not silent) before it is loaded.
    silent: bool,
}

impl Denial {
    fn new(code: u8, reason: impl Into<String>) -> Self {
        Self {
            code,
            reason: reason.into(),
            silent: false,
        }
    }
}

/// Runs forced-command mode. Returns only on denial: an allowed request
/// replaces this process with the command.
pub fn run(source: &PolicySource, key: Option<String>) -> ExitCode {
    let denial = match gate(source, key) {
        Ok(never) => match never {},
        Err(denial) => denial,
    };
    if !denial.silent {
        eprintln!("sshgate: denied: {}", denial.reason);
    }
    ExitCode::from(denial.code)
}

fn gate(source: &PolicySource, key: Option<String>) -> Result<std::convert::Infallible, Denial> {
    let request = match Request::from_environment(key.clone()) {
        Ok(request) => request,
        Err(error) => {
            let reason = format!("cannot establish the request: {error}");
            return Err(record_in_system_log(
                source,
                key,
                None,
                Denial::new(exit::CONFIG, reason),
            ));
        }
    };
    let template = request_record(source, &request);
    let loaded = match load_policy(source, request.user.uid) {
        Ok(loaded) => loaded,
        Err(error) => {
            let reason = format!("policy {error}");
            return Err(record_in_system_log(
                source,
                key,
                Some(template),
                Denial::new(exit::CONFIG, reason),
            ));
        }
    };
    let silent = loaded.policy.silent;
    let deny = |code: u8, reason: String| Denial {
        code,
        reason,
        silent,
    };
    let target = match &loaded.policy.log {
        Some(path) => Target::File(path.get_ref().as_path().to_path_buf()),
        None => Target::Syslog,
    };
    // Opened before the sandbox, which would forbid opening it afterwards.
    let mut sink = match Sink::open(&target) {
        Ok(sink) => sink,
        Err(error) => {
            let denial = deny(exit::AUDIT, error.to_string());
            return Err(record_in_system_log(source, key, Some(template), denial));
        }
    };

    let (rule, plan) = match decide(&loaded.policy, &request) {
        Decision::Allow { rule, plan } => (rule, plan),
        Decision::Deny { reason, .. } => {
            let reason = reason.to_string();
            let record = Record {
                reason: Some(reason.clone()),
                ..template
            };
            return Err(record_denial(
                &mut sink,
                &record,
                deny(exit::DENIED, reason),
            ));
        }
    };
    let confined = PreparedCommand::from_plan(&plan)
        .map_err(|error| error.to_string())
        .and_then(|command| Ok((command, confine(&plan)?)));
    let (command, applied) = match confined {
        Ok(confined) => confined,
        Err(reason) => {
            let record = Record {
                rule: Some(rule),
                reason: Some(reason.clone()),
                ..template
            };
            return Err(record_denial(
                &mut sink,
                &record,
                deny(exit::SANDBOX, reason),
            ));
        }
    };
    let allowed = Record {
        decision: Outcome::Allow,
        rule: Some(rule.clone()),
        exec: Some(plan.program.clone()),
        applied: applied.clone(),
        ..template.clone()
    };
    if let Err(audit) = write_record(&mut sink, &allowed) {
        return Err(deny(exit::AUDIT, audit));
    }
    // The log descriptor is close-on-exec: it disappears with a successful
    // exec and is still here to record a failed one.
    let Err(error) = command.exec();
    let reason = error.to_string();
    let failed = Record {
        rule: Some(rule),
        reason: Some(reason.clone()),
        exec: Some(plan.program.clone()),
        applied,
        ..template
    };
    Err(record_denial(
        &mut sink,
        &failed,
        deny(exit::SANDBOX, reason),
    ))
}

/// Resolves and applies the sandbox, describing what was applied for the record.
fn confine(plan: &Plan) -> Result<Applied, String> {
    let resolved = sandbox::resolve(plan).map_err(|error| format!("sandbox: {error}"))?;
    let applied = sandbox::confine(&resolved, plan).map_err(|error| format!("sandbox: {error}"))?;
    Ok(Applied::from(applied))
}

/// The record fields known from the request alone, as a denial.
fn request_record(source: &PolicySource, request: &Request) -> Record {
    let client = request.connection.as_ref().map(|c| c.client);
    Record {
        profile: Some(source.display_name()),
        key: request.key.clone(),
        client_address: client.map(|c| c.address.to_string()),
        client_port: client.map(|c| c.port),
        user: Some(request.user.name.clone()),
        uid: Some(request.user.uid),
        command: EscapedCommand::new(request.command.raw()),
        ..Record::new(Outcome::Deny)
    }
}

/// Writes the record of `denial`; if that fails, the denial becomes one for
/// the audit log, since its reason is the one the administrator must fix.
fn record_denial(sink: &mut Sink, record: &Record, denial: Denial) -> Denial {
    match write_record(sink, record) {
        Ok(()) => denial,
        Err(reason) => Denial {
            code: exit::AUDIT,
            reason,
            ..denial
        },
    }
}

fn write_record(sink: &mut Sink, record: &Record) -> Result<(), String> {
    sink.write(record).map_err(|error| error.to_string())
}

/// Records, in the system log, a forced-command invocation whose own
/// command line (in authorized_keys or sshd_config) is malformed, so that
/// even that request leaves a record. Returns the logging error, if any.
pub fn record_malformed_invocation(problem: &str) -> Result<(), String> {
    let command = std::env::var_os("SSH_ORIGINAL_COMMAND");
    let record = Record {
        command: EscapedCommand::new(
            command
                .as_deref()
                .map(std::os::unix::ffi::OsStrExt::as_bytes),
        ),
        reason: Some(format!(
            "sshgate's own command line is malformed: {problem}"
        )),
        ..Record::new(Outcome::Deny)
    };
    Sink::open(&Target::Syslog)
        .and_then(|mut sink| sink.write(&record))
        .map_err(|error| error.to_string())
}

/// Records a denial that happened before the policy (and so its `log`) was
/// known, in the system log. If even that fails, the denial says so.
fn record_in_system_log(
    source: &PolicySource,
    key: Option<String>,
    template: Option<Record>,
    denial: Denial,
) -> Denial {
    let template = template.unwrap_or_else(|| Record {
        profile: Some(source.display_name()),
        key,
        command: EscapedCommand::new(
            std::env::var_os("SSH_ORIGINAL_COMMAND")
                .as_deref()
                .map(std::os::unix::ffi::OsStrExt::as_bytes),
        ),
        ..Record::new(Outcome::Deny)
    });
    let record = Record {
        reason: Some(denial.reason.clone()),
        ..template
    };
    match Sink::open(&Target::Syslog).and_then(|mut sink| sink.write(&record)) {
        Ok(()) => denial,
        Err(error) => Denial {
            reason: format!("{}; and {error}", denial.reason),
            ..denial
        },
    }
}
