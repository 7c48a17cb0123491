//! `sshgate lint`: everything that can be said about a policy file without
//! running a request through it.

use std::fmt;
use std::fs;
use std::ops::Range;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::command::ArgPattern;
use super::error::{Location, PolicyError};
use super::load::{LoadedPolicy, load_untrusted, untrusted_because};
use super::network::Network;
use super::path::AbsolutePath;
use super::schema::{Mode, Rule, Sandbox};
use super::tool::Tool;
use crate::decide::SESSION_LOCK_ROOT;
use crate::request::Account;
use toml::Spanned;

/// Trees whose writability, in whole or in part, would hand the command
/// the host: configuration, programs, and the homes that hold
/// `~/.ssh/authorized_keys`.
const SYSTEM_TREES: &[&str] = &["/etc", "/usr", "/boot", "/root", "/home"];

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The policy is wrong or will deny what its author meant to allow.
    Error,
    /// Worth a look; an error with `--strict`.
    Warning,
}

/// One problem found in a policy file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// How serious it is.
    pub severity: Severity,
    /// Where in the file, when it is about a particular value.
    pub location: Option<Location>,
    /// What is wrong, in words.
    pub message: String,
}

impl Finding {
    /// The finding as `lint` prints it for `file`:
    /// `FILE[:LINE:COL]: SEVERITY: MESSAGE`.
    pub fn line(&self, file: &Path) -> String {
        let location = self
            .location
            .map(|location| format!(":{location}"))
            .unwrap_or_default();
        format!(
            "{}{location}: {}: {}",
            file.display(),
            self.severity,
            self.message
        )
    }
}

/// Options that change what counts as an error.
#[derive(Debug, Clone, Copy, Default)]
pub struct LintOptions {
    /// Host-specific findings (missing paths, file permissions) are errors.
    pub strict: bool,
    /// The uid that would run the gate, for the ownership check.
    pub invoking_uid: u32,
}

/// Lints the policy file at `path`.
pub fn lint_file(path: &Path, options: LintOptions) -> Vec<Finding> {
    match load_untrusted(path) {
        Err(error) => vec![from_policy_error(error)],
        Ok(loaded) => {
            let mut linter = Linter {
                loaded: &loaded,
                options,
                findings: Vec::new(),
                profile_writable: writable_with_rule_names(&loaded),
            };
            linter.check_permissions(path);
            linter.check_policy();
            // A profile-level value is checked once per rule that inherits
            // it; say it once.
            linter.findings.sort_by(|a, b| {
                (a.location, a.severity, &a.message).cmp(&(b.location, b.severity, &b.message))
            });
            linter.findings.dedup();
            linter.findings
        }
    }
}

/// Lints `files` one by one, then across each other: a profile that may
/// write where another reads could plant a symlink the other follows, and
/// the gate, which sees one profile at a time, cannot tell.
pub fn lint_files(files: &[PathBuf], options: LintOptions) -> Vec<(PathBuf, Vec<Finding>)> {
    let loaded: Vec<Option<LoadedPolicy>> =
        files.iter().map(|file| load_untrusted(file).ok()).collect();
    files
        .iter()
        .enumerate()
        .map(|(index, file)| {
            let mut findings = lint_file(file, options);
            if let Some(reader) = &loaded[index] {
                for (other, writer) in loaded.iter().enumerate() {
                    match writer {
                        Some(writer) if other != index => {
                            findings.extend(cross_profile_findings(reader, writer));
                        }
                        _ => {}
                    }
                }
            }
            findings.sort_by(|a, b| {
                (a.location, a.severity, &a.message).cmp(&(b.location, b.severity, &b.message))
            });
            findings.dedup();
            (file.clone(), findings)
        })
        .collect()
}

/// Paths of `reader` (its executables, grants, policy file and log) at or
/// beneath a path some rule of `writer` may write.
fn cross_profile_findings(reader: &LoadedPolicy, writer: &LoadedPolicy) -> Vec<Finding> {
    let writable = writable_with_rule_names(writer);
    let mut findings = Vec::new();
    let other = writer.path.display();
    // The reader's own policy file and log: the writer's commands could
    // rewrite the rules of this profile or erase its records, and the
    // gate, deciding for one profile at a time, cannot see it.
    let policy_file = reader
        .location
        .clone()
        .unwrap_or_else(|| resolved(&reader.path));
    let log = reader
        .policy
        .log
        .as_ref()
        .map(|log| (resolved(log.get_ref().as_path()), log.span()));
    let protected = std::iter::once((policy_file, None, "policy file"))
        .chain(log.map(|(path, span)| (path, Some(span), "audit log")));
    for (file, span, what) in protected {
        for (root, writer_rule) in &writable {
            if file.starts_with(resolved(root)) {
                findings.push(Finding {
                    severity: Severity::Error,
                    location: span.clone().map(|span| Location::of_span(&reader.text, &span)),
                    message: format!(
                        "this profile's {what} {} is beneath write path {} of {other} (rule {writer_rule:?}): \
                         that profile's commands could rewrite it",
                        file.display(),
                        root.display()
                    ),
                });
            }
        }
    }
    let mut warn_or_err = |severity, span: &std::ops::Range<usize>, message| {
        findings.push(Finding {
            severity,
            location: Some(Location::of_span(&reader.text, span)),
            message,
        });
    };
    for rule in &reader.policy.allow {
        let rule = rule.get_ref();
        let sandbox = reader.policy.sandbox_for(rule);
        let executables = rule.program().into_iter().chain(
            sandbox
                .exec
                .iter()
                .flatten()
                .map(|path| (path.get_ref().as_path(), path.span())),
        );
        // Code execution across profiles: a client holding both keys
        // uploads with one and runs with the other.
        for (executable, span) in executables {
            for (root, writer_rule) in &writable {
                if executable.starts_with(root) {
                    warn_or_err(
                        Severity::Error,
                        &span,
                        format!(
                            "executable {} is beneath write path {} of {other} (rule {writer_rule:?}): \
                             a client with both keys could upload code and run it",
                            executable.display(),
                            root.display()
                        ),
                    );
                } else if root.starts_with(executable) {
                    warn_or_err(
                        Severity::Error,
                        &span,
                        format!(
                            "write path {} of {other} (rule {writer_rule:?}) is beneath executable {}: \
                             a client with both keys could upload code and run it",
                            root.display(),
                            executable.display()
                        ),
                    );
                }
            }
        }
        let lists = [("read", &sandbox.read), ("write", &sandbox.write)];
        for (key, list) in lists {
            for path in list.iter().flatten() {
                let granted = path.get_ref().as_path();
                for (root, writer_rule) in &writable {
                    if granted != root && granted.starts_with(root) {
                        warn_or_err(
                            Severity::Warning,
                            &path.span(),
                            format!(
                                "{key} path {} is beneath write path {} of {other} (rule {writer_rule:?}): \
                                 a symlink that profile's commands plant there would be followed here",
                                granted.display(),
                                root.display()
                            ),
                        );
                    }
                }
            }
        }
    }
    findings
}

/// `path` with symlinks resolved on this host, as far as it exists: a log
/// file need not exist yet, but its directory does.
fn resolved(path: &Path) -> PathBuf {
    if let Ok(real) = fs::canonicalize(path) {
        return real;
    }
    match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) => resolved(parent).join(name),
        _ => path.to_path_buf(),
    }
}

/// [`crate::policy::Policy::writable_paths`] with owned rule names.
fn writable_with_rule_names(loaded: &LoadedPolicy) -> Vec<(PathBuf, String)> {
    loaded
        .policy
        .writable_paths()
        .into_iter()
        .map(|(path, rule)| (path, rule.to_owned()))
        .collect()
}

fn from_policy_error(error: PolicyError) -> Finding {
    let message = match &error.kind {
        super::PolicyErrorKind::Invalid(message) => message.clone(),
        _ => {
            // Reuse the error's own wording without repeating the file name.
            let full = error.to_string();
            let prefix = format!("{}: ", error.file.display());
            full.strip_prefix(&prefix).unwrap_or(&full).to_owned()
        }
    };
    Finding {
        severity: Severity::Error,
        location: error.location,
        message,
    }
}

struct Linter<'a> {
    loaded: &'a LoadedPolicy,
    options: LintOptions,
    findings: Vec<Finding>,
    /// Every path some rule may write, with that rule's name; computed
    /// once, since every rule is checked against all of them.
    profile_writable: Vec<(PathBuf, String)>,
}

impl Linter<'_> {
    fn at(&mut self, severity: Severity, span: Option<Range<usize>>, message: String) {
        let location = span.map(|span| Location::of_span(&self.loaded.text, &span));
        self.findings.push(Finding {
            severity,
            location,
            message,
        });
    }

    /// Findings that depend on this host are warnings unless `--strict`.
    fn host_severity(&self) -> Severity {
        if self.options.strict {
            Severity::Error
        } else {
            Severity::Warning
        }
    }

    fn check_permissions(&mut self, path: &Path) {
        let Ok(canonical) = fs::canonicalize(path) else {
            return;
        };
        for (index, entry) in canonical.ancestors().enumerate() {
            let Ok(metadata) = fs::symlink_metadata(entry) else {
                continue;
            };
            if let Some(why) = untrusted_because(&metadata, self.options.invoking_uid, index > 0) {
                let what = if index == 0 {
                    "the file".to_owned()
                } else {
                    format!("directory {}", entry.display())
                };
                self.at(
                    self.host_severity(),
                    None,
                    format!("forced-command mode would refuse this file: {what} is {why}"),
                );
            }
        }
    }

    fn check_policy(&mut self) {
        let policy = &self.loaded.policy;
        if policy.mode == Mode::Learn {
            // Learning is meant to be temporary: until it is switched off,
            // the key runs whatever it sends.
            self.at(
                Severity::Warning,
                None,
                "`mode = \"learn\"`: every command the key sends runs under the profile's [sandbox], \
                 rule or not; run `sshgate suggest` on the log and switch back to \"enforce\""
                    .to_owned(),
            );
        } else if policy.allow.is_empty() {
            self.at(
                Severity::Warning,
                None,
                "no [[allow]] rules: every request is denied".to_owned(),
            );
        }
        if policy.from.as_ref().is_some_and(Vec::is_empty) {
            self.at(
                Severity::Warning,
                None,
                "`from` is empty: no client address can use this profile".to_owned(),
            );
        }
        if policy.keys.as_ref().is_some_and(Vec::is_empty) {
            self.at(
                Severity::Warning,
                None,
                "`keys` is empty: no key can use this profile".to_owned(),
            );
        }
        if let Some(log) = &policy.log {
            let parent = log.get_ref().as_path().parent().unwrap_or(Path::new("/"));
            if !parent.is_dir() {
                self.at(
                    self.host_severity(),
                    Some(log.span()),
                    format!(
                        "log directory {} does not exist on this host",
                        parent.display()
                    ),
                );
            }
        }
        let profile_sandbox = policy.sandbox.clone();
        self.check_sandbox(&profile_sandbox, "profile");
        for (index, rule) in policy.allow.iter().enumerate() {
            let span = rule.span();
            let rule = rule.get_ref();
            self.check_program(rule);
            self.check_grant_overlaps(rule);
            if let Some(tool) = rule.tool() {
                self.check_tool_paths(rule, tool, &span);
            }
            if let Some(sandbox) = &rule.sandbox {
                self.check_sandbox(sandbox, &format!("rule {:?}", rule.name.as_str()));
            }
            for earlier in &policy.allow[..index] {
                if shadows(earlier.get_ref(), rule) {
                    let line = Location::of_span(&self.loaded.text, &earlier.span()).line;
                    self.at(
                        Severity::Error,
                        Some(span.clone()),
                        format!(
                            "rule {:?} is unreachable: rule {:?} (line {line}) matches every command it matches",
                            rule.name.as_str(),
                            earlier.get_ref().name.as_str()
                        ),
                    );
                    break;
                }
            }
        }
    }

    /// A tool rule's paths get the checks of a sandbox's `read` and
    /// `write`; and the profile's path lists, which a tool rule does not
    /// use, are pointed out rather than silently ignored.
    fn check_tool_paths(&mut self, rule: &Rule, tool: Tool<'_>, rule_span: &Range<usize>) {
        let owned = |paths: Vec<&Spanned<AbsolutePath>>| Some(paths.into_iter().cloned().collect());
        let derived = Sandbox {
            read: owned(tool.readable_paths()),
            write: owned(tool.writable_paths()),
            ..Sandbox::default()
        };
        let owner = format!("rule {:?} ({})", rule.name.as_str(), tool.name());
        self.check_sandbox(&derived, &owner);
        if let Tool::Sftp(sftp) = tool {
            let sockets = self.loaded.policy.sandbox_for(rule).unix.unwrap_or(false);
            if sftp.log && !sockets {
                self.at(
                    Severity::Warning,
                    Some(rule_span.clone()),
                    format!(
                        "{owner}: `log = true` without `unix = true` in the sandbox: seccomp refuses sftp-server's socket to the system log, and its messages are lost"
                    ),
                );
            }
        }
        let profile = &self.loaded.policy.sandbox;
        let lists = [
            ("read", &profile.read),
            ("write", &profile.write),
            ("exec", &profile.exec),
        ];
        for (key, list) in lists {
            if let Some(first) = list.as_ref().and_then(|paths| paths.first()) {
                self.at(
                    Severity::Warning,
                    Some(first.span()),
                    format!(
                        "the profile's `{key}` does not apply to {owner}: a tool rule's paths come from its `{}` table",
                        tool.name()
                    ),
                );
            }
        }
    }

    /// Writable paths that would let the command undo its own confinement:
    /// rewrite its policy or log, or replace what it may execute.
    fn check_grant_overlaps(&mut self, rule: &Rule) {
        let sandbox = self.loaded.policy.sandbox_for(rule);
        let name = rule.name.as_str();
        for write in sandbox.write.iter().flatten() {
            self.check_writable(name, write.get_ref().as_path(), write.span());
        }
        // What any rule may write, another rule's request may have changed.
        // Taken out for the loop, which adds findings to `self`.
        let profile_writable = std::mem::take(&mut self.profile_writable);
        let executables = rule.program().into_iter().chain(
            sandbox
                .exec
                .iter()
                .flatten()
                .map(|path| (path.get_ref().as_path(), path.span())),
        );
        for (executable, span) in executables {
            for (writable, writer) in &profile_writable {
                if executable.starts_with(writable) {
                    self.at(
                        Severity::Error,
                        Some(span.clone()),
                        format!(
                            "rule {name:?}: executable {} is beneath write path {} (rule {writer:?}): \
                             the command could replace what it may execute",
                            executable.display(),
                            writable.display()
                        ),
                    );
                } else if writable.starts_with(executable) {
                    self.at(
                        Severity::Error,
                        Some(span.clone()),
                        format!(
                            "rule {name:?}: write path {} (rule {writer:?}) is beneath executable {}: \
                             the command could execute what it uploads",
                            writable.display(),
                            executable.display()
                        ),
                    );
                }
            }
        }
        self.profile_writable = profile_writable;
    }

    /// Findings about one writable path of rule `name`.
    fn check_writable(&mut self, name: &str, writable: &Path, span: Range<usize>) {
        // Compared as written and as resolved on this host, so a symlink
        // alias of a directory is caught too (the gate also checks by
        // place in the filesystem at run time).
        let resolved_writable = fs::canonicalize(writable).ok();
        let contains = |path: &Path| {
            path.starts_with(writable)
                || resolved_writable
                    .as_ref()
                    .is_some_and(|root| resolved(path).starts_with(root))
        };
        if contains(&self.loaded.path) {
            self.at(
                Severity::Error,
                Some(span.clone()),
                format!(
                    "rule {name:?}: write path {} contains this policy file: the command could rewrite its own policy",
                    writable.display()
                ),
            );
        }
        let log = self
            .loaded
            .policy
            .log
            .as_ref()
            .map(|log| log.get_ref().as_path());
        if log.is_some_and(contains) {
            self.at(
                Severity::Error,
                Some(span.clone()),
                format!(
                    "rule {name:?}: write path {} contains the audit log: the command could rewrite its own records",
                    writable.display()
                ),
            );
        }
        let system = SYSTEM_TREES
            .iter()
            .map(Path::new)
            .find(|tree| tree.starts_with(writable) || writable.starts_with(tree));
        if let Some(system) = system {
            self.at(
                Severity::Warning,
                Some(span),
                format!(
                    "rule {name:?}: write path {} overlaps {}: the command could change system configuration, programs or users' ~/.ssh",
                    writable.display(),
                    system.display()
                ),
            );
        }
    }

    fn check_program(&mut self, rule: &Rule) {
        let Some((program, span)) = rule.program() else {
            return;
        };
        let span = Some(span);
        // Patterns are compiled when a request first needs them; a lint run
        // builds every one, so one too large to compile is found here, not
        // as a rule that silently never matches.
        let patterns = rule
            .command_pattern()
            .map(|pattern| &pattern.get_ref().args);
        for arg in patterns.into_iter().flatten() {
            if let ArgPattern::Regex(regex) = arg {
                if let Some(error) = regex.compile_error() {
                    self.at(
                        Severity::Error,
                        span.clone(),
                        format!(
                            "rule {:?}: {error}; the rule can never match",
                            rule.name.as_str()
                        ),
                    );
                }
            }
        }
        match fs::metadata(program) {
            Err(_) => self.at(
                self.host_severity(),
                span,
                format!("program {} does not exist on this host", program.display()),
            ),
            Ok(metadata) if !metadata.is_file() || metadata.permissions().mode() & 0o111 == 0 => {
                self.at(
                    Severity::Error,
                    span,
                    format!("program {} is not an executable file", program.display()),
                )
            }
            Ok(_) => {}
        }
    }

    fn check_sandbox(&mut self, sandbox: &Sandbox, owner: &str) {
        let lists = [
            ("read", &sandbox.read),
            ("write", &sandbox.write),
            ("exec", &sandbox.exec),
        ];
        for (key, list) in lists {
            for path in list.iter().flatten() {
                if !path.get_ref().as_path().exists() {
                    self.at(
                        self.host_severity(),
                        Some(path.span()),
                        format!(
                            "{key} path {} does not exist on this host; requests that need it are denied",
                            path.get_ref()
                        ),
                    );
                }
            }
        }
        if let Some(chdir) = &sandbox.chdir {
            if !chdir.get_ref().as_path().is_dir() {
                self.at(
                    self.host_severity(),
                    Some(chdir.span()),
                    format!("chdir {} is not a directory on this host", chdir.get_ref()),
                );
            }
        }
        for path in sandbox.write.iter().flatten() {
            let written = path.get_ref().as_path();
            if written.starts_with("/proc") || written.starts_with("/sys") {
                self.at(
                    Severity::Error,
                    Some(path.span()),
                    format!(
                        "{owner}: write path {} is under /proc or /sys: a root command could change kernel settings there (kernel.core_pattern runs a program as root outside every sandbox)",
                        written.display()
                    ),
                );
            } else if written.starts_with("/dev") {
                self.at(
                    Severity::Warning,
                    Some(path.span()),
                    format!(
                        "{owner}: write path {} is under /dev: device files there reach the hardware or other sessions",
                        written.display()
                    ),
                );
            }
        }
        for path in sandbox.read.iter().flatten() {
            if path.get_ref().as_path() == std::path::Path::new("/") {
                self.at(
                    Severity::Warning,
                    Some(path.span()),
                    format!(
                        "{owner}: read path / grants every file the command's user may read (for root, /etc/shadow and every private key)"
                    ),
                );
            }
        }
        let locks = std::path::Path::new(SESSION_LOCK_ROOT);
        for (key, list) in lists {
            for path in list.iter().flatten() {
                if locks.starts_with(path.get_ref().as_path()) {
                    self.at(
                        Severity::Warning,
                        Some(path.span()),
                        format!(
                            "{owner}: {key} path {} covers {SESSION_LOCK_ROOT}, where sessions hold their max_concurrent slots: a command that can run code could lock other profiles' slots (flock needs only read access)",
                            path.get_ref()
                        ),
                    );
                }
            }
        }
        if let Some(metadata) = sandbox.metadata.as_ref().filter(|m| *m.get_ref()) {
            if sandbox.user.is_none() {
                self.at(
                    Severity::Warning,
                    Some(metadata.span()),
                    format!(
                        "{owner}: metadata = true lets the command chmod, chown, touch and set extended attributes, which Landlock cannot limit to the grants: run as root, it can change those of every root-owned file on the host; prefer a dedicated `user`"
                    ),
                );
            }
        }
        if let Some(network) = &sandbox.network {
            if *network.get_ref() == Network::Any {
                self.at(
                    Severity::Warning,
                    Some(network.span()),
                    format!(
                        "{owner}: network = \"any\" allows every socket family, unix sockets included: before Landlock ABI 9 the command can connect to any pathname socket its uid may reach (for root, /var/run/docker.sock)"
                    ),
                );
            }
        }
        if let Some(user) = &sandbox.user {
            if let Err(why) = Account::look_up(user.get_ref()) {
                self.at(
                    self.host_severity(),
                    Some(user.span()),
                    format!("{owner}: {why}; requests that need it are denied"),
                );
            }
        }
    }
}

/// Whether `earlier` matches every command line `later` matches, so that
/// `later` can never be reached. Conservative: `false` when unsure.
fn shadows(earlier: &Rule, later: &Rule) -> bool {
    // Tool rules parse their arguments; whether one covers another is a
    // question about paths and controls this check does not answer.
    let (Some(a), Some(b)) = (earlier.command_pattern(), later.command_pattern()) else {
        return false;
    };
    let (a, b) = (a.get_ref(), b.get_ref());
    if a.program != b.program {
        return false;
    }
    let lengths_fit = if earlier.trailing_args {
        a.args.len() <= b.args.len()
    } else {
        !later.trailing_args && a.args.len() == b.args.len()
    };
    lengths_fit && a.args.iter().zip(&b.args).all(|(x, y)| x.covers(y))
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Error => "error",
            Self::Warning => "warning",
        })
    }
}
