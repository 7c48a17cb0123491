//! Forced-command mode: the pipeline run end to end.
//!
//! request → policy → decide → sandbox → audit → exec. Every early return
//! is a denial; the only way to the exec is through every layer.

use std::convert::Infallible;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::audit::{
    Applied, EscapedCommand, Outcome, Record, SessionRecord, Sink, Target, ToolRecord,
};
use crate::decide::{Decision, Learning, Plan, decide};
use crate::exec::PreparedCommand;
use crate::exit;
use crate::policy::{LoadedPolicy, Mode, PolicyError, load_trusted, profile_path};
use crate::request::Request;
use crate::sandbox::{self, SessionError, SessionSlot};
use crate::signals::HeldSignals;

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

/// Runs forced-command mode. Returns only on denial: an allowed request
/// replaces this process with the command.
pub fn run(source: &PolicySource, key: Option<String>) -> ExitCode {
    let denial = match gate(source, key) {
        Ok(never) => match never {},
        Err(denial) => denial,
    };
    if !denial.silent {
        tell_client(&format!("sshgate: denied: {}", denial.reason));
    }
    ExitCode::from(denial.code)
}

/// Writes `line` to stderr, which sshd passes to the client. The client
/// may be gone (stderr a closed pipe): that must neither turn the exit
/// status into a panic's, as `eprintln!` would, nor stop a record written
/// after it.
pub(crate) fn tell_client(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// The pipeline. Every `?` is a recorded denial.
fn gate(source: &PolicySource, key: Option<String>) -> Result<Infallible, Denial> {
    // First: from here on SIGHUP (the client went away) cannot end the
    // gate between its allow record and the exec; see `signals`.
    let held = HeldSignals::hold().map_err(|stop| {
        let template = record_from_environment(source, key.clone());
        deny_in_system_log(template, exit::SANDBOX, stop.to_string(), false)
    })?;
    // Before anything is written: a file size limit inherited from sshd
    // or PAM (limits.conf `fsize`) below the log's size, or the plan's
    // later, must fail the write with EFBIG, which is recorded elsewhere,
    // not kill the gate unrecorded.
    crate::exec::catch_pipe_and_file_size_signals().map_err(|error| {
        let template = record_from_environment(source, key.clone());
        let reason = format!("cannot catch SIGPIPE and SIGXFSZ: {error}");
        deny_in_system_log(template, exit::SANDBOX, reason, false)
    })?;
    let request = Request::from_environment(key.clone()).map_err(|error| {
        let reason = format!("cannot establish the request: {error}");
        let template = record_from_environment(source, key);
        deny_in_system_log(template, exit::CONFIG, reason, false)
    })?;
    let template = record_from_request(source, &request);
    let loaded = load_policy(source, request.user.uid).map_err(|error| {
        deny_in_system_log(
            template.clone(),
            exit::CONFIG,
            format!("policy {error}"),
            false,
        )
    })?;
    let template = Record {
        // Every record of a learning profile says so, denials included,
        // so that suggest can count what it leaves out.
        learning: loaded.policy.mode == Mode::Learn,
        ..template
    };
    let mut recorder = Recorder::open(&loaded, template)?;
    let request = request
        .with_accounts_for(&loaded.policy)
        .with_programs_for(&loaded.policy);

    let (rule, plan) = match decide(&loaded, &request) {
        Decision::Allow { rule, plan } => (rule, plan),
        Decision::Deny { reason, .. } => {
            return Err(recorder.deny(exit::DENIED, reason.to_string(), Verdict::default()));
        }
    };
    let tool = plan.tool.as_ref().map(ToolRecord::new);
    // An unmatched learn-mode request ran under no rule: its record says
    // `"rule": null`, not the placeholder name `explain` shows.
    let rule = (plan.learning != Learning::Unmatched).then_some(rule);
    let rule_only = || Verdict {
        rule: rule.clone(),
        tool: tool.clone(),
        ..Verdict::default()
    };
    let command = PreparedCommand::from_plan(&plan)
        .map_err(|error| recorder.deny(exit::SANDBOX, error.to_string(), rule_only()))?;
    // Before confinement, which would refuse the lock files; held from here
    // to the exec, which hands it to the command. A queued session stops
    // waiting once a held SIGHUP says its client has gone.
    let slot = take_session_slot(&plan, || held.check().is_ok()).map_err(|error| {
        if let Err(stop) = held.check() {
            return recorder.deny(exit::SANDBOX, stop.to_string(), rule_only());
        }
        let code = if error.is_busy() {
            exit::BUSY
        } else {
            exit::SANDBOX
        };
        recorder.deny(code, format!("sessions: {error}"), rule_only())
    })?;
    let command = match &slot {
        Some(slot) => command.inheriting(slot.descriptor()),
        None => command,
    };
    // The log may have been rotated while the session queued; its record
    // belongs in the file now at the log's path.
    if slot.as_ref().is_some_and(|slot| !slot.waited.is_zero()) {
        recorder = Recorder::open(&loaded, recorder.template.clone())?;
    }
    let applied =
        confine(&plan).map_err(|reason| recorder.deny(exit::SANDBOX, reason, rule_only()))?;
    let ran = Verdict {
        rule,
        exec: Some(plan.program.clone()),
        applied,
        tool,
        session: slot
            .as_ref()
            .zip(plan.sessions.as_ref())
            .map(|(slot, limit)| SessionRecord::new(slot, limit.max)),
    };
    // A signal that came while the gate worked denies before any allow.
    held.check()
        .map_err(|stop| recorder.deny(exit::SANDBOX, stop.to_string(), ran.clone()))?;
    recorder.allow(ran.clone())?;
    // After the record: the plan's limits apply to the gate too (see
    // `sandbox::limit_resources`). A refusal is recorded like a failed exec.
    sandbox::limit_resources(&plan)
        .map_err(|error| recorder.deny(exit::SANDBOX, format!("sandbox: {error}"), ran.clone()))?;
    held.release()
        .map_err(|stop| recorder.deny(exit::SANDBOX, stop.to_string(), ran.clone()))?;
    // The log descriptor is close-on-exec: it disappears with a successful
    // exec and is still here to record a failed one.
    let Err(error) = command.exec();
    Err(recorder.deny(exit::SANDBOX, error.to_string(), ran))
}

/// A slot of the profile's `max_concurrent`, if it has one.
fn take_session_slot(
    plan: &Plan,
    still_wanted: impl FnMut() -> bool,
) -> Result<Option<SessionSlot>, SessionError> {
    plan.sessions
        .as_ref()
        .map(|limit| sandbox::take_session_slot(limit, still_wanted))
        .transpose()
}

/// Resolves and applies the sandbox, describing what was applied for the record.
fn confine(plan: &Plan) -> Result<Applied, String> {
    let resolved = sandbox::resolve(plan).map_err(|error| format!("sandbox: {error}"))?;
    let applied = sandbox::confine(&resolved, plan).map_err(|error| format!("sandbox: {error}"))?;
    Ok(Applied::from(applied))
}

/// What the gate got to for a request: the record fields beyond the
/// request's own.
#[derive(Debug, Clone, Default)]
struct Verdict {
    /// The matched rule.
    rule: Option<String>,
    /// The program about to be executed.
    exec: Option<PathBuf>,
    /// The confinement applied so far.
    applied: Applied,
    /// What a tool rule made of the request.
    tool: Option<ToolRecord>,
    /// The `max_concurrent` slot held.
    session: Option<SessionRecord>,
}

/// The policy's audit sink with the request's fields, opened before the
/// sandbox, which would forbid opening it afterwards.
struct Recorder {
    sink: Sink,
    template: Record,
    silent: bool,
    /// Where a failed write to a log file is recorded instead: the system
    /// log, connected before confinement, since the seccomp filter refuses
    /// `socket(2)` afterwards. `None` when the system log is the sink.
    fallback: Option<Result<Sink, String>>,
}

impl Recorder {
    /// Opens the policy's `log` (or the system log). If a log file cannot
    /// be opened, the denial is recorded in the system log instead.
    fn open(loaded: &LoadedPolicy, template: Record) -> Result<Self, Denial> {
        let silent = loaded.policy.silent;
        let target = match &loaded.policy.log {
            Some(path) => Target::File(path.get_ref().as_path().to_path_buf()),
            None => Target::Syslog,
        };
        match Sink::open(&target) {
            Ok(sink) => Ok(Self {
                sink,
                template,
                silent,
                fallback: (target != Target::Syslog)
                    .then(|| Sink::open(&Target::Syslog).map_err(|error| error.to_string())),
            }),
            Err(error) if target == Target::Syslog => Err(Denial {
                code: exit::AUDIT,
                reason: error.to_string(),
                silent,
            }),
            Err(error) => Err(deny_in_system_log(
                template,
                exit::AUDIT,
                error.to_string(),
                silent,
            )),
        }
    }

    /// Records a denial with `verdict`'s fields and returns it. If the
    /// record cannot be written, the denial becomes one for the audit log,
    /// since that is what the administrator must fix.
    fn deny(&mut self, code: u8, reason: String, verdict: Verdict) -> Denial {
        let record = Record {
            decision: Outcome::Deny,
            reason: Some(reason.clone()),
            ..self.merged(verdict)
        };
        let (code, reason) = match self.write(record) {
            Ok(()) => (code, reason),
            Err(audit) => (exit::AUDIT, audit),
        };
        Denial {
            code,
            reason,
            silent: self.silent,
        }
    }

    /// Records the allow that is about to be executed.
    fn allow(&mut self, verdict: Verdict) -> Result<(), Denial> {
        let record = Record {
            decision: Outcome::Allow,
            reason: None,
            ..self.merged(verdict)
        };
        self.write(record).map_err(|audit| Denial {
            code: exit::AUDIT,
            reason: audit,
            silent: self.silent,
        })
    }

    /// Writes `record`. If a log file fails, the request is denied, and that
    /// denial still goes to the system log so that it is recorded somewhere.
    fn write(&mut self, record: Record) -> Result<(), String> {
        let error = match self.sink.write(&record) {
            Ok(()) => return Ok(()),
            Err(error) => error.to_string(),
        };
        let Some(fallback) = &mut self.fallback else {
            return Err(error);
        };
        let reason = match &record.reason {
            Some(reason) => format!("{reason}; and {error}"),
            None => error.clone(),
        };
        let denial = Record {
            decision: Outcome::Deny,
            reason: Some(reason),
            ..record
        };
        let recorded = match fallback {
            Ok(syslog) => syslog.write(&denial).map_err(|e| e.to_string()),
            Err(unavailable) => Err(unavailable.clone()),
        };
        match recorded {
            Ok(()) => Err(error),
            Err(syslog) => Err(format!("{error}; and {syslog}")),
        }
    }

    /// The request's fields, with the verdict's.
    fn merged(&self, verdict: Verdict) -> Record {
        Record {
            rule: verdict.rule,
            exec: verdict.exec,
            applied: verdict.applied,
            tool: verdict.tool,
            session: verdict.session,
            ..self.template.clone()
        }
    }
}

/// The record fields known from the request alone.
fn record_from_request(source: &PolicySource, request: &Request) -> Record {
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

/// The record fields known when not even the request could be established.
fn record_from_environment(source: &PolicySource, key: Option<String>) -> Record {
    Record {
        profile: Some(source.display_name()),
        key,
        command: EscapedCommand::new(original_command().as_deref().map(OsStrExt::as_bytes)),
        ..Record::new(Outcome::Deny)
    }
}

fn original_command() -> Option<std::ffi::OsString> {
    std::env::var_os("SSH_ORIGINAL_COMMAND")
}

/// Records a denial that happened before the policy's `log` could be used,
/// in the system log. If even that fails, the denial says so.
fn deny_in_system_log(template: Record, code: u8, reason: String, silent: bool) -> Denial {
    let record = Record {
        reason: Some(reason.clone()),
        ..template
    };
    let reason = match Sink::open(&Target::Syslog).and_then(|mut sink| sink.write(&record)) {
        Ok(()) => reason,
        Err(error) => format!("{reason}; and {error}"),
    };
    Denial {
        code,
        reason,
        silent,
    }
}

/// Records, in the system log, a forced-command invocation whose own
/// command line (in authorized_keys or sshd_config) is malformed, so that
/// even that request leaves a record. Returns the logging error, if any.
pub fn record_malformed_invocation(problem: &str) -> Result<(), String> {
    let record = Record {
        command: EscapedCommand::new(original_command().as_deref().map(OsStrExt::as_bytes)),
        reason: Some(format!(
            "sshgate's own command line is malformed: {problem}"
        )),
        ..Record::new(Outcome::Deny)
    };
    Sink::open(&Target::Syslog)
        .and_then(|mut sink| sink.write(&record))
        .map_err(|error| error.to_string())
}
