//! `sshgate doctor`: what this host offers the gate, and what runs beside
//! it (DESIGN.md, "What runs beside the gate").
//!
//! [`examine`] gathers everything into a [`Report`]: the kernel's layers
//! (probed by [`crate::sandbox::probe_host`], the only kernel-touching
//! part), sshd's effective configuration (`sshd -T`), and the
//! authorized_keys files it is pointed at. Each check becomes a
//! [`Finding`] in a [`Section`]; the command line formats them.
//!
//! Levels: [`Level::Fail`] only for what stops the default policy
//! (`compat = "enforce"`) on this host, [`Level::Warn`] for what lets code
//! run beside the gate, [`Level::Info`] for facts that need no action here.

pub mod authorized_keys;
mod permissions;
pub mod shell;
pub mod sshd_config;

use std::fmt::{self, Display, Formatter};
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub use permissions::Owner;

use crate::audit::escape_control;
use crate::sandbox::{HostSupport, X32Abi, probe_host};
use authorized_keys::{Entry, KeyLine, Permit};
use shell::ShellVerdict;
use sshd_config::{
    PAM_SSHD, SshdConfig, SshdContext, command_runs_sshgate, pam_findings, sshd_findings,
};

/// The sshd binary `sshd -T` runs by default.
pub const DEFAULT_SSHD: &str = "/usr/sbin/sshd";

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Fine as it is.
    Ok,
    /// A fact, no action needed.
    Info,
    /// Not checked, and why.
    Skip,
    /// Lets code run beside the gate, or keeps a key from working.
    Warn,
    /// The host cannot enforce the default policy.
    Fail,
}

impl Level {
    /// The marker printed in the text report: `OK`, `INFO`, `SKIP`, `WARN`
    /// or `FAIL`.
    pub fn marker(self) -> &'static str {
        match self {
            Self::Ok => "OK",
            Self::Info => "INFO",
            Self::Skip => "SKIP",
            Self::Warn => "WARN",
            Self::Fail => "FAIL",
        }
    }

    /// The name used in `--json`: `ok`, `info`, `skip`, `warn` or `fail`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Info => "info",
            Self::Skip => "skip",
            Self::Warn => "warn",
            Self::Fail => "fail",
        }
    }
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// How serious it is.
    pub level: Level,
    /// Where: `file:line` for a key, a path for a file or directory.
    pub location: Option<String>,
    /// What was found, and what to do about it, in one line.
    pub message: String,
}

impl Finding {
    /// A finding about the host or sshd as a whole.
    pub fn new(level: Level, message: impl Into<String>) -> Self {
        Self {
            level,
            location: None,
            message: message.into(),
        }
    }

    /// A finding about one file, line or directory.
    pub fn located(level: Level, location: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            level,
            location: Some(location.into()),
            message: message.into(),
        }
    }
}

impl Display for Finding {
    /// `LEVEL: location: message`, as the unit tests compare it.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.level.marker())?;
        if let Some(location) = &self.location {
            write!(f, "{location}: ")?;
        }
        f.write_str(&self.message)
    }
}

/// A titled group of findings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The heading, e.g. `Landlock`.
    pub title: String,
    /// The findings, in order.
    pub findings: Vec<Finding>,
}

/// Whether sshd's configuration could be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SshdOutcome {
    /// `sshd -T` ran.
    Checked {
        /// The binary that ran.
        binary: PathBuf,
        /// What it printed.
        config: SshdConfig,
    },
    /// It did not, and why.
    Skipped {
        /// The binary that would have run.
        binary: PathBuf,
        /// Why it did not, or how it failed.
        reason: String,
    },
}

/// What doctor found about one key line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyReport {
    /// The line number, from 1.
    pub line: usize,
    /// Whether the key runs sshgate (its command=, or ForceCommand).
    pub runs_sshgate: bool,
    /// Whether `restrict` is among its options.
    pub restrict: bool,
    /// Its `command="..."`, if any.
    pub command: Option<String>,
    /// What sshd still allows it, e.g. `["a pty"]`.
    pub still_allowed: Vec<String>,
    /// Why sshd ignores the line, if it does.
    pub invalid: Option<String>,
}

/// What doctor found about one authorized_keys file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyFileReport {
    /// The file, as given.
    pub path: PathBuf,
    /// Its owner, whose keys these are.
    pub owner: Option<Owner>,
    /// Why the file could not be examined, if it could not.
    pub error: Option<String>,
    /// Its key lines.
    pub keys: Vec<KeyReport>,
}

/// The overall outcome, which decides the exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The default policy can be enforced and nothing was found.
    Ok,
    /// The default policy can be enforced, with warnings.
    Warnings,
    /// The default policy cannot be enforced on this host.
    CannotEnforce,
}

/// Everything doctor found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The kernel's layers and this process's capabilities.
    pub host: HostSupport,
    /// sshd's configuration.
    pub sshd: SshdOutcome,
    /// The authorized_keys files, in the order given.
    pub key_files: Vec<KeyFileReport>,
    /// The findings, grouped for display.
    pub sections: Vec<Section>,
}

impl Report {
    /// How many warnings there are.
    pub fn warnings(&self) -> usize {
        self.findings()
            .filter(|finding| finding.level == Level::Warn)
            .count()
    }

    /// Whether this host can enforce the default policy.
    pub fn can_enforce_default_policy(&self) -> bool {
        self.host.can_enforce_default_policy()
            && !self.findings().any(|finding| finding.level == Level::Fail)
    }

    /// The outcome: cannot enforce, else warnings, else OK.
    pub fn verdict(&self) -> Verdict {
        if !self.can_enforce_default_policy() {
            Verdict::CannotEnforce
        } else if self.warnings() > 0 {
            Verdict::Warnings
        } else {
            Verdict::Ok
        }
    }

    fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.sections.iter().flat_map(|section| &section.findings)
    }
}

/// What to examine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoctorOptions {
    /// authorized_keys files to check.
    pub authorized_keys: Vec<PathBuf>,
    /// The sshd binary to ask for its configuration.
    pub sshd: PathBuf,
}

/// Probes the host, reads sshd's configuration and the authorized_keys
/// files, and judges them.
pub fn examine(options: &DoctorOptions) -> Report {
    let host = probe_host();
    let sshd = run_sshd(&options.sshd, host.capabilities.euid);
    let force_command = match &sshd {
        SshdOutcome::Checked { config, .. } => config.force_command_runs_sshgate(),
        SshdOutcome::Skipped { .. } => false,
    };
    let files: Vec<(KeyFileReport, Section)> = options
        .authorized_keys
        .iter()
        .map(|path| examine_key_file(path, force_command))
        .collect();
    let context = SshdContext {
        root_keys_examined: files
            .iter()
            .any(|(file, _)| file.owner.as_ref().is_some_and(|owner| owner.uid == 0)),
    };
    let mut sections = host_sections(&host);
    sections.push(sshd_section(&sshd, context, read_pam_config));
    if files.is_empty() {
        sections.push(Section {
            title: "authorized_keys".to_owned(),
            findings: vec![Finding::new(
                Level::Skip,
                "skipped: no file given (name each with --authorized-keys FILE)",
            )],
        });
    }
    let mut key_files = Vec::new();
    for (file, section) in files {
        key_files.push(file);
        sections.push(section);
    }
    Report {
        host,
        sshd,
        key_files,
        sections,
    }
}

/// A Landlock feature sshgate uses, and the ABI that brought it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LandlockFeature {
    /// The ABI version that brought it.
    pub abi: u32,
    /// What it controls.
    pub name: &'static str,
    /// For a feature the default policy can do without: what stands in for
    /// it on an older kernel. `None` for a feature it needs.
    pub fallback: Option<&'static str>,
}

/// The Landlock features sshgate uses, oldest first. The ones up to the
/// required ABI are those of `sandbox::kernel_support`.
pub const LANDLOCK_FEATURES: &[LandlockFeature] = &[
    LandlockFeature {
        abi: 1,
        name: "filesystem rules",
        fallback: None,
    },
    LandlockFeature {
        abi: 2,
        name: "control of renames and links across directories (refer)",
        fallback: None,
    },
    LandlockFeature {
        abi: 3,
        name: "control of truncate",
        fallback: None,
    },
    LandlockFeature {
        abi: 4,
        name: "TCP bind and connect rules",
        fallback: None,
    },
    LandlockFeature {
        abi: 5,
        name: "control of device ioctls",
        fallback: None,
    },
    LandlockFeature {
        abi: 6,
        name: "scopes for signals and abstract unix sockets",
        fallback: None,
    },
    LandlockFeature {
        abi: 9,
        name: "control of pathname unix sockets",
        fallback: Some(
            "seccomp's socket rules and file permissions decide which sockets a command reaches",
        ),
    },
    LandlockFeature {
        abi: 10,
        name: "UDP rules",
        fallback: Some("seccomp's socket rules decide whether a command may use UDP"),
    },
];

/// The Landlock, seccomp and capability sections.
pub fn host_sections(host: &HostSupport) -> Vec<Section> {
    vec![
        landlock_section(host),
        seccomp_section(host),
        capability_section(host),
    ]
}

fn landlock_section(host: &HostSupport) -> Section {
    let landlock = &host.landlock;
    let required = landlock.required_abi;
    let mut findings = Vec::new();
    let enforce = "the default policy (compat = \"enforce\")";
    match (&landlock.error, landlock.abi) {
        (Some(error), _) => findings.push(Finding::new(
            Level::Fail,
            format!(
                "cannot ask the kernel about Landlock ({error}); the gate fails closed and denies \
                 every request"
            ),
        )),
        (None, None) => findings.push(Finding::new(
            Level::Fail,
            format!(
                "no Landlock in this kernel (not built in, or missing from the lsm= boot \
                 parameter); {enforce} needs ABI {required} and denies every request"
            ),
        )),
        (None, Some(abi)) if landlock.missing_for_default_policy.is_empty() => {
            findings.push(Finding::new(
                Level::Ok,
                format!("Landlock ABI {abi}; {enforce} needs ABI {required}"),
            ));
        }
        (None, Some(abi)) => findings.push(Finding::new(
            Level::Fail,
            format!(
                "Landlock ABI {abi}; {enforce} needs ABI {required} and denies every request \
                 (compat = \"best-effort\" runs without the missing features)"
            ),
        )),
    }
    if landlock.error.is_none() {
        if let Some(rights) = &landlock.unhandled_rights {
            findings.push(Finding::new(
                Level::Fail,
                format!(
                    "the kernel's Landlock has {rights} that this build of sshgate cannot handle, \
                     so they would stay allowed; {enforce} denies every request until sshgate is \
                     upgraded"
                ),
            ));
        }
    }
    let abi = landlock.abi.unwrap_or(0);
    for feature in LANDLOCK_FEATURES {
        let name = format!("ABI {}: {}", feature.abi, feature.name);
        findings.push(match (abi >= feature.abi, feature.fallback) {
            (true, _) => Finding::new(Level::Ok, name),
            (false, None) => Finding::new(Level::Fail, format!("{name}: not in this kernel")),
            (false, Some(fallback)) => Finding::new(
                Level::Info,
                format!("{name}: not in this kernel; {fallback}"),
            ),
        });
    }
    Section {
        title: "Landlock".to_owned(),
        findings,
    }
}

fn seccomp_section(host: &HostSupport) -> Section {
    let mut findings = vec![match &host.seccomp.error {
        None if host.seccomp.filter => Finding::new(
            Level::Ok,
            "seccomp filters can be installed (tried in a child process)",
        ),
        error => Finding::new(
            Level::Fail,
            format!(
                "seccomp filters cannot be installed ({}); the default policy needs them and \
                 denies every request",
                error.as_deref().unwrap_or("no reason given")
            ),
        ),
    }];
    findings.push(match &host.x32 {
        X32Abi::Disabled => Finding::new(
            Level::Ok,
            "x32 syscall ABI: disabled in this kernel (an x32 getpid returned ENOSYS)",
        ),
        X32Abi::Enabled => Finding::new(
            Level::Info,
            "x32 syscall ABI: enabled in this kernel; sshgate's filter refuses x32 syscall \
             numbers (bit 0x40000000) whatever the kernel",
        ),
        X32Abi::NotApplicable => {
            Finding::new(Level::Ok, "x32 syscall ABI: none on this architecture")
        }
        X32Abi::Unknown(why) => {
            Finding::new(Level::Info, format!("x32 syscall ABI: unknown ({why})"))
        }
    });
    Section {
        title: "seccomp".to_owned(),
        findings,
    }
}

/// At most this many capability names are listed in one line.
const CAPABILITIES_LISTED: usize = 8;

fn capability_section(host: &HostSupport) -> Section {
    let caps = &host.capabilities;
    let uid = caps.euid;
    let mut findings = vec![if caps.can_clear_bounding_set() {
        Finding::new(
            Level::Ok,
            "can empty the bounding set (CAP_SETPCAP is permitted)",
        )
    } else {
        Finding::new(
            Level::Info,
            "cannot empty the bounding set (no CAP_SETPCAP); the gate leaves it, and \
             no_new_privs keeps an exec from gaining anything through it",
        )
    }];
    findings.push(if caps.can_switch_user() {
        Finding::new(
            Level::Ok,
            "can switch to a policy's user = \"...\" (root, with CAP_SETUID and CAP_SETGID)",
        )
    } else {
        Finding::new(
            Level::Info,
            format!("cannot switch users (uid {uid} is not root with CAP_SETUID and CAP_SETGID); a rule with user = \"...\" is denied"),
        )
    });
    findings.push(match &caps.permitted {
        Err(error) => Finding::new(
            Level::Info,
            format!(
                "cannot read the permitted set ({error}); a rule that keeps capabilities is denied"
            ),
        ),
        Ok(held) if held.is_empty() => Finding::new(
            Level::Info,
            "holds no capabilities; a rule that keeps any is denied",
        ),
        Ok(held) => {
            let missing = caps.not_permitted();
            if missing.is_empty() {
                Finding::new(
                    Level::Ok,
                    format!(
                        "can keep any capability a rule names (all {} are permitted)",
                        held.len()
                    ),
                )
            } else {
                let listed = if missing.len() <= CAPABILITIES_LISTED {
                    missing.join(", ")
                } else {
                    format!("{} of them", missing.len())
                };
                Finding::new(
                    Level::Info,
                    format!(
                        "can keep {} of the kernel's {} capabilities; a rule that keeps one of the \
                         others is denied: {listed}",
                        held.len(),
                        caps.supported.len()
                    ),
                )
            }
        }
    });
    Section {
        title: format!(
            "Capabilities of this process (uid {uid}; the gate has the same when sshd runs it as uid {uid})"
        ),
        findings,
    }
}

/// Runs `binary -T`, only as root: sshd reads its host keys to print its
/// configuration, and refuses without them.
pub fn run_sshd(binary: &Path, euid: u32) -> SshdOutcome {
    let skipped = |reason: String| SshdOutcome::Skipped {
        binary: binary.to_path_buf(),
        reason,
    };
    if euid != 0 {
        return skipped(format!(
            "not root (uid {euid}); sshd -T must read the host keys, which only root can"
        ));
    }
    let output = match Command::new(binary).arg("-T").stdin(Stdio::null()).output() {
        Ok(output) => output,
        Err(error) => return skipped(format!("cannot run {}: {error}", binary.display())),
    };
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr
            .lines()
            .rev()
            .find(|line| !line.trim().is_empty())
            .unwrap_or("(nothing on stderr)");
        return skipped(format!(
            "`{} -T` failed ({}): {}",
            binary.display(),
            output.status,
            escape_control(last.as_bytes())
        ));
    }
    let config = SshdConfig::parse(&String::from_utf8_lossy(&output.stdout));
    if config.get("port").is_none() {
        return skipped(format!(
            "`{} -T` printed no sshd configuration",
            binary.display()
        ));
    }
    SshdOutcome::Checked {
        binary: binary.to_path_buf(),
        config,
    }
}

fn read_pam_config() -> Result<String, String> {
    fs::read_to_string(PAM_SSHD).map_err(|error| error.to_string())
}

/// The sshd section; `read_pam` reads `/etc/pam.d/sshd` when sshd uses PAM.
pub fn sshd_section(
    sshd: &SshdOutcome,
    context: SshdContext,
    read_pam: impl FnOnce() -> Result<String, String>,
) -> Section {
    match sshd {
        SshdOutcome::Skipped { binary, reason } => Section {
            title: format!("sshd ({} -T)", binary.display()),
            findings: vec![Finding::new(Level::Skip, format!("skipped: {reason}"))],
        },
        SshdOutcome::Checked { binary, config } => {
            let mut findings = sshd_findings(config, context);
            if config
                .get("usepam")
                .is_some_and(|value| value.eq_ignore_ascii_case("yes"))
            {
                let text = read_pam();
                findings.extend(pam_findings(
                    PAM_SSHD,
                    text.as_deref().map_err(Clone::clone),
                ));
            }
            Section {
                title: format!("sshd ({} -T; Match blocks not evaluated)", binary.display()),
                findings,
            }
        }
    }
}

/// Reads, parses and judges one authorized_keys file.
fn examine_key_file(path: &Path, force_command: bool) -> (KeyFileReport, Section) {
    let location = path.display().to_string();
    let mut report = KeyFileReport {
        path: path.to_path_buf(),
        owner: None,
        error: None,
        keys: Vec::new(),
    };
    let mut section = Section {
        title: format!("authorized_keys {location}"),
        findings: Vec::new(),
    };
    let read = fs::metadata(path).and_then(|metadata| {
        let text = fs::read_to_string(path)?;
        Ok((metadata.uid(), text))
    });
    let (uid, text) = match read {
        Ok(read) => read,
        Err(error) => {
            let message = format!("cannot read: {error}");
            section
                .findings
                .push(Finding::located(Level::Warn, location, message.clone()));
            report.error = Some(message);
            return (report, section);
        }
    };
    let (keys, findings) = key_findings(&location, &authorized_keys::parse(&text), force_command);
    let gated = keys.iter().any(|key| key.runs_sshgate);
    report.keys = keys;
    section.findings = findings;
    match owner_of(uid) {
        Ok(owner) => {
            if gated {
                section.findings.push(shell_finding(&location, &owner));
            }
            section.findings.extend(permissions::check(path, &owner));
            report.owner = Some(owner);
        }
        Err(message) => {
            section
                .findings
                .push(Finding::located(Level::Warn, location, message.clone()));
            report.error = Some(message);
        }
    }
    (report, section)
}

fn owner_of(uid: u32) -> Result<Owner, String> {
    match nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid)) {
        Ok(Some(user)) => Ok(Owner {
            uid,
            name: user.name,
            home: user.dir,
            shell: user.shell,
        }),
        Ok(None) => Err(format!(
            "owned by uid {uid}, which has no account: sshd uses it for nobody"
        )),
        Err(error) => Err(format!("cannot look up the owner, uid {uid}: {error}")),
    }
}

/// The reports and findings for the entries of one file, named `file`.
/// `force_command`: sshd's ForceCommand runs sshgate for every key.
pub fn key_findings(
    file: &str,
    entries: &[Entry],
    force_command: bool,
) -> (Vec<KeyReport>, Vec<Finding>) {
    let mut reports = Vec::new();
    let mut findings = Vec::new();
    for entry in entries {
        match entry {
            Entry::Invalid { line, reason } => {
                findings.push(Finding::located(
                    Level::Warn,
                    format!("{file}:{line}"),
                    format!(
                        "sshd ignores this line: {}",
                        escape_control(reason.as_bytes())
                    ),
                ));
                reports.push(KeyReport {
                    line: *line,
                    runs_sshgate: false,
                    restrict: false,
                    command: None,
                    still_allowed: Vec::new(),
                    invalid: Some(reason.clone()),
                });
            }
            Entry::Key(key) => {
                let (report, finding) = judge_key(file, key, force_command);
                reports.push(report);
                findings.push(finding);
            }
        }
    }
    (reports, findings)
}

fn judge_key(file: &str, key: &KeyLine, force_command: bool) -> (KeyReport, Finding) {
    let by_command = key.command().is_some_and(command_runs_sshgate);
    let runs_sshgate = by_command || force_command;
    let still_allowed = key.still_allowed();
    let report = KeyReport {
        line: key.line,
        runs_sshgate,
        restrict: key.has_restrict(),
        command: key.command().map(str::to_owned),
        still_allowed: still_allowed.iter().map(ToString::to_string).collect(),
        invalid: None,
    };
    let location = format!("{file}:{}", key.line);
    let runs = if by_command {
        "runs sshgate"
    } else {
        "runs sshgate through ForceCommand"
    };
    let list = |permits: &[Permit], f: fn(&Permit) -> String| -> String {
        permits.iter().map(f).collect::<Vec<_>>().join(", ")
    };
    let finding = if !runs_sshgate {
        let command = key.command().map_or_else(
            || "no command=".to_owned(),
            |command| format!("command=\"{}\"", escape_control(command.as_bytes())),
        );
        Finding::located(
            Level::Info,
            location,
            format!("does not run sshgate ({command}); not checked"),
        )
    } else if still_allowed.is_empty() && key.has_restrict() {
        Finding::located(Level::Ok, location, format!("{runs} with restrict"))
    } else if still_allowed.is_empty() {
        Finding::located(
            Level::Ok,
            location,
            format!(
                "{runs} with {} (what restrict turns off today)",
                list(&Permit::ALL, |permit| permit.negation().to_owned())
            ),
        )
    } else if key.has_restrict() {
        Finding::located(
            Level::Warn,
            location,
            format!(
                "{runs} with restrict, but turns {} back on; remove {}",
                list(&still_allowed, ToString::to_string),
                list(&still_allowed, |permit| permit.flag_name().to_owned())
            ),
        )
    } else {
        Finding::located(
            Level::Warn,
            location,
            format!(
                "{runs} without restrict: sshd still allows {} for this key; add restrict to its options",
                list(&still_allowed, ToString::to_string)
            ),
        )
    };
    (report, finding)
}

/// The finding about the login shell of `owner`, whose file `file` has a
/// key that runs sshgate.
fn shell_finding(file: &str, owner: &Owner) -> Finding {
    // sshd runs /bin/sh for an account with an empty shell field.
    let configured = if owner.shell.as_os_str().is_empty() {
        PathBuf::from("/bin/sh")
    } else {
        owner.shell.clone()
    };
    let real = fs::canonicalize(&configured).ok();
    let shown = match &real {
        Some(real) if real.file_name() != configured.file_name() => {
            format!("{} ({})", configured.display(), real.display())
        }
        _ => configured.display().to_string(),
    };
    let subject = format!(
        "login shell of {} (the file's owner) is {shown}",
        owner.name
    );
    let recommended = shell::RECOMMENDED;
    let (level, message) = match (&real, shell::judge(&configured, real.as_deref())) {
        (None, _) => (
            Level::Warn,
            format!("{subject}, which does not exist: sshd refuses the login"),
        ),
        (Some(_), ShellVerdict::Quiet) => (
            Level::Ok,
            format!("{subject}, which reads no startup files before a forced command"),
        ),
        (Some(_), ShellVerdict::ReadsStartupFiles(why)) => (
            Level::Warn,
            format!("{subject}: {why}, before the gate runs; use {recommended}"),
        ),
        (Some(_), ShellVerdict::RunsNoCommand) => (
            Level::Warn,
            format!(
                "{subject}, which cannot run a forced command (sshd runs `{} -c COMMAND`), so the \
                 gate never runs; use {recommended}",
                configured.display()
            ),
        ),
        (Some(_), ShellVerdict::Unknown) => (
            Level::Warn,
            format!(
                "{subject}, which sshgate does not know to read no startup files before a forced \
                 command; use {recommended}"
            ),
        ),
    };
    Finding::located(level, file, message)
}

#[cfg(test)]
mod tests;
