//! Finding, vetting and parsing a policy file.

use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::io::Read;
use std::ops::Range;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use super::anchored_regex::{self, AnchoredRegex};
use super::command::ArgPattern;
use super::error::{PolicyError, PolicyErrorKind};
use super::schema::{Action, Policy, Rule, Sandbox};
use super::suggest::with_suggestion;
use crate::sandbox::GATE_NEEDS_AFTER_FILTER;

/// Where `--profile` names are looked up unless `--policy-dir` says otherwise.
pub const DEFAULT_POLICY_DIR: &str = "/etc/sshgate";

/// Largest policy file read, in bytes. A profile is a few kilobytes, and
/// the 1,000-rule profile of `cargo xtask bench` 260 KB; only this much
/// (and one byte more, to tell) is read, whatever the file's size.
pub const MAX_POLICY_BYTES: u64 = 1024 * 1024;

/// A parsed policy and the text it came from, for locating later findings.
#[derive(Debug, Clone)]
pub struct LoadedPolicy {
    /// The file the policy was read from, as named.
    pub path: PathBuf,
    /// Where that file really is (symlinks resolved), when it was read
    /// from a file: the plan protects it from every writable path.
    pub location: Option<PathBuf>,
    /// The file's text.
    pub text: String,
    /// The parsed policy.
    pub policy: Policy,
}

/// The file for profile `name` in `dir`, refusing names that could leave `dir`.
pub fn profile_path(dir: &Path, name: &str) -> Result<PathBuf, PolicyError> {
    let valid = !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !name.contains("..");
    if !valid {
        return Err(PolicyError::new(
            dir,
            PolicyErrorKind::InvalidProfileName(name.to_owned()),
        ));
    }
    Ok(dir.join(format!("{name}.toml")))
}

/// Reads `path` after checking, like sshd's StrictModes, that neither it nor
/// any parent directory can be modified by anyone but root or `invoking_uid`.
pub fn load_trusted(path: &Path, invoking_uid: u32) -> Result<LoadedPolicy, PolicyError> {
    let canonical =
        fs::canonicalize(path).map_err(|e| PolicyError::new(path, PolicyErrorKind::Io(e)))?;
    check_parent_directories(path, &canonical, invoking_uid)?;
    check_written_directories(path, &canonical, invoking_uid)?;
    // The parents are trusted now, so the file cannot be swapped after the
    // check; O_NOFOLLOW makes sure we open the file that canonicalize saw.
    let (file, metadata) = open_regular_file(path, &canonical, libc::O_NOFOLLOW)?;
    if let Some(why) = untrusted_because(&metadata, invoking_uid, false) {
        return Err(PolicyError::new(path, PolicyErrorKind::Insecure(why)));
    }
    read_and_parse(path, Some(canonical), file)
}

/// Reads and parses `path` without the ownership checks; for `lint`, which
/// reviews files that are not yet installed.
pub fn load_untrusted(path: &Path) -> Result<LoadedPolicy, PolicyError> {
    let (file, _) = open_regular_file(path, path, 0)?;
    read_and_parse(path, fs::canonicalize(path).ok(), file)
}

/// Opens `target` (reported as `path`) for reading, refusing anything but a
/// regular file. O_NONBLOCK keeps a FIFO planted at the path from hanging
/// the gate (or lint) forever.
fn open_regular_file(
    path: &Path,
    target: &Path,
    extra_flags: libc::c_int,
) -> Result<(File, fs::Metadata), PolicyError> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_CLOEXEC | libc::O_NONBLOCK | extra_flags)
        .open(target)
        .map_err(|e| PolicyError::new(path, PolicyErrorKind::Io(e)))?;
    let metadata = file
        .metadata()
        .map_err(|e| PolicyError::new(path, PolicyErrorKind::Io(e)))?;
    if !metadata.is_file() {
        return Err(PolicyError::new(
            path,
            PolicyErrorKind::Insecure("not a regular file".to_owned()),
        ));
    }
    Ok((file, metadata))
}

/// What the ownership check reads of a file: its owner and mode, which
/// std's `stat(2)` ([`fs::Metadata`]) and a raw `statx(2)` (the sandbox's
/// walk, which needs the mount ID from the same call) both report.
pub trait Ownership {
    /// The owner's uid.
    fn owner_uid(&self) -> u32;
    /// The mode bits (`st_mode`).
    fn mode_bits(&self) -> u32;
}

impl Ownership for fs::Metadata {
    fn owner_uid(&self) -> u32 {
        self.uid()
    }

    fn mode_bits(&self) -> u32 {
        self.mode()
    }
}

impl Ownership for libc::statx {
    fn owner_uid(&self) -> u32 {
        self.stx_uid
    }

    fn mode_bits(&self) -> u32 {
        u32::from(self.stx_mode)
    }
}

/// The reason the file or directory described by `metadata` is not trusted, if any.
pub fn untrusted_because(
    metadata: &impl Ownership,
    invoking_uid: u32,
    is_dir: bool,
) -> Option<String> {
    let owner = metadata.owner_uid();
    let mode = metadata.mode_bits();
    if owner != 0 && owner != invoking_uid {
        return Some(format!(
            "owned by uid {owner}, not by root or the invoking user (uid {invoking_uid})"
        ));
    }
    // A root-owned sticky directory such as /tmp is safe to pass through:
    // others may add entries to it but cannot rename or remove ours.
    if is_dir && owner == 0 && mode & 0o1000 != 0 {
        return None;
    }
    if mode & 0o020 != 0 {
        return Some(format!("group-writable (mode {:04o})", mode & 0o7777));
    }
    if mode & 0o002 != 0 {
        return Some(format!("world-writable (mode {:04o})", mode & 0o7777));
    }
    None
}

fn check_parent_directories(
    path: &Path,
    canonical: &Path,
    invoking_uid: u32,
) -> Result<(), PolicyError> {
    for directory in canonical.ancestors().skip(1) {
        let metadata = fs::symlink_metadata(directory)
            .map_err(|e| PolicyError::new(path, PolicyErrorKind::Io(e)))?;
        if let Some(why) = untrusted_because(&metadata, invoking_uid, true) {
            return Err(PolicyError::new(
                path,
                PolicyErrorKind::Insecure(format!("directory {}: {why}", directory.display())),
            ));
        }
    }
    Ok(())
}

/// Checks the directories of `path` as written (made absolute), following
/// links, like those of the path it resolves to: a symlink to a trusted
/// policy, planted in a directory another user controls, would let that
/// user choose which policy governs the key (and the record would name the
/// profile the key asked for).
///
/// When the path as written is already the resolved one (`canonical`), its
/// directories are those [`check_parent_directories`] just checked, and
/// are not looked at twice.
fn check_written_directories(
    path: &Path,
    canonical: &Path,
    invoking_uid: u32,
) -> Result<(), PolicyError> {
    let absolute =
        std::path::absolute(path).map_err(|e| PolicyError::new(path, PolicyErrorKind::Io(e)))?;
    if absolute == canonical {
        return Ok(());
    }
    for directory in absolute.ancestors().skip(1) {
        let metadata =
            fs::metadata(directory).map_err(|e| PolicyError::new(path, PolicyErrorKind::Io(e)))?;
        if let Some(why) = untrusted_because(&metadata, invoking_uid, true) {
            return Err(PolicyError::new(
                path,
                PolicyErrorKind::Insecure(format!("directory {}: {why}", directory.display())),
            ));
        }
    }
    Ok(())
}

fn read_and_parse(
    path: &Path,
    location: Option<PathBuf>,
    file: File,
) -> Result<LoadedPolicy, PolicyError> {
    let mut bytes = Vec::new();
    file.take(MAX_POLICY_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| PolicyError::new(path, PolicyErrorKind::Io(e)))?;
    if bytes.len() as u64 > MAX_POLICY_BYTES {
        return Err(PolicyError::new(
            path,
            PolicyErrorKind::Invalid(format!(
                "larger than the {MAX_POLICY_BYTES}-byte limit of a policy file"
            )),
        ));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        PolicyError::new(
            path,
            PolicyErrorKind::Invalid(format!(
                "not UTF-8 (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            )),
        )
    })?;
    Ok(LoadedPolicy {
        location,
        ..parse(path, text)?
    })
}

/// Parses policy `text` read from `path`, with every error located. The
/// result has no `location`: the text is not known to be that file's.
pub fn parse(path: &Path, text: String) -> Result<LoadedPolicy, PolicyError> {
    let mut policy: Policy = toml::from_str(&text).map_err(|error| {
        PolicyError::invalid_at(path, &text, error.span(), with_suggestion(error.message()))
    })?;
    if let (Some(wait), None) = (&policy.wait, &policy.max_concurrent) {
        return Err(PolicyError::invalid_at(
            path,
            &text,
            Some(wait.span()),
            "`wait` queues sessions over `max_concurrent`, which this profile does not set"
                .to_owned(),
        ));
    }
    let mut names = BTreeSet::new();
    for rule in &policy.allow {
        if !names.insert(rule.get_ref().name.as_str()) {
            return Err(PolicyError::invalid_at(
                path,
                &text,
                Some(rule.span()),
                format!(
                    "duplicate rule name {:?}: names must be unique so the audit log is unambiguous",
                    rule.get_ref().name.as_str()
                ),
            ));
        }
    }
    for rule in &policy.allow {
        if let Err((span, message)) = check_rule_shape(rule.get_ref(), rule.span()) {
            return Err(PolicyError::invalid_at(path, &text, Some(span), message));
        }
    }
    let sandboxes = std::iter::once(&policy.sandbox).chain(
        policy
            .allow
            .iter()
            .filter_map(|rule| rule.get_ref().sandbox.as_ref()),
    );
    for sandbox in sandboxes {
        if let Err((span, message)) = check_gate_syscalls(sandbox) {
            return Err(PolicyError::invalid_at(path, &text, Some(span), message));
        }
    }
    if let Err((message, span)) = anchored_regex::check_all(regexes(&mut policy)) {
        return Err(PolicyError::invalid_at(path, &text, span, message));
    }
    Ok(LoadedPolicy {
        path: path.to_path_buf(),
        location: None,
        text,
        policy,
    })
}

/// Every `{ regex = ... }` of the policy's command rules, in file order.
fn regexes(policy: &mut Policy) -> impl Iterator<Item = &mut AnchoredRegex> {
    policy
        .allow
        .iter_mut()
        .filter_map(|rule| rule.get_mut().command.as_mut())
        .flat_map(|pattern| &mut pattern.get_mut().args)
        .filter_map(|arg| match arg {
            ArgPattern::Regex(regex) => Some(regex),
            ArgPattern::Literal(_) => None,
        })
}

/// Refuses a `deny_syscalls` that lists a syscall the gate itself makes
/// after installing the filter: every request would end between its
/// allow record and the exec, the record saying "allow" for a command
/// that never ran.
fn check_gate_syscalls(sandbox: &Sandbox) -> Result<(), (Range<usize>, String)> {
    let Some(names) = &sandbox.deny_syscalls else {
        return Ok(());
    };
    let needed: Vec<&str> = names
        .get_ref()
        .iter()
        .map(|name| name.name())
        .filter(|name| GATE_NEEDS_AFTER_FILTER.contains(name))
        .collect();
    if needed.is_empty() {
        return Ok(());
    }
    Err((
        names.span(),
        format!(
            "deny_syscalls lists {}, which sshgate itself needs after installing the filter (to write the record, keep the session lock and exec the command); every request would be denied",
            needed.join(", ")
        ),
    ))
}

/// What serde cannot check about one rule: that it runs exactly one
/// thing, and that a tool rule's paths come from its tool table only.
fn check_rule_shape(rule: &Rule, span: Range<usize>) -> Result<(), (Range<usize>, String)> {
    let action = rule.action().map_err(|message| (span.clone(), message))?;
    let Action::Tool(tool, tool_span) = action else {
        return Ok(());
    };
    tool.validate()
        .map_err(|message| (tool_span.clone(), message))?;
    if rule.trailing_args {
        return Err((
            span,
            format!(
                "`trailing_args` belongs to `command` rules; the `{}` table parses the arguments itself",
                tool.name()
            ),
        ));
    }
    // The tool table is the one place its paths are written, so the rule
    // and its sandbox cannot disagree.
    if let Some(sandbox) = &rule.sandbox {
        let lists = [
            ("read", &sandbox.read),
            ("write", &sandbox.write),
            ("exec", &sandbox.exec),
        ];
        if let Some((key, Some(paths))) = lists.into_iter().find(|(_, list)| list.is_some()) {
            let at = paths.first().map_or(tool_span, |path| path.span());
            return Err((
                at,
                format!(
                    "`{key}` in the sandbox of a `{}` rule: a tool rule derives its paths from its table; list them there",
                    tool.name()
                ),
            ));
        }
    }
    Ok(())
}
