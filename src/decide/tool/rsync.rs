//! The `rsync` tool rule: `rsync --server [--sender] OPTIONS . PATHS`.
//!
//! The rsync server parses its command line with popt: options may come
//! anywhere, even after the paths, and the first positional word is a
//! directory it changes into. So every word is validated here against
//! the options an rsync 3.x client really sends, and the command is
//! rebuilt from the validated words as
//! `rsync --server [--sender] OPTIONS [FORCED] -- . PATHS`, the way
//! rrsync does: nothing the parser did not understand reaches rsync.
//!
//! Landlock is the wall; this parser keeps the surface small and the
//! refusals readable.

use std::path::{Path, PathBuf};

use super::path::{normalise, root_of, within};
use super::{Context, ToolCall, ToolRequest, names_program};
use crate::decide::plan::Access;
use crate::policy::tool::{Links, RsyncRule};

/// The short options an rsync 3.x client puts in its first cluster,
/// as rsync's `server_options()` emits them (and rrsync accepts them).
/// `e` is not here: it starts the capability blob that ends a cluster.
const CLUSTER_LETTERS: &str = "ACDEHIJKLNORSUWXbcdgklmnopqrstuvxyz";

/// What a long option is, for the decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A flag without a value that changes nothing the rule controls.
    Flag,
    /// A flag that narrows what rsync does; always allowed.
    Narrowing,
    /// A value that is not a path (a size, a charset, a format).
    Value,
    /// A directory the receiver uses beside the destination (temp,
    /// partial, backup, basis directories); a relative one is relative to
    /// the destination. It must lie within the direction's paths.
    DestPath,
    /// A list file the server reads (`--exclude-from`, `--include-from`);
    /// relative to the working directory, within `send`, downloads only.
    ListFile,
    /// Deletes on the server: needs `delete = true`.
    Delete,
    /// Devices or special files: needs `devices = true`.
    Devices,
    /// Follows symbolic links: needs `links = "follow"`.
    FollowLinks,
    /// `--files-from`: needs `files_from = true`; `-` (the client streams
    /// the list) or, like a [`Kind::ListFile`], a file within `send`.
    FilesFrom,
    /// `--log-file`: needs `log_file = true`; relative to the working
    /// directory, within `receive`, uploads only.
    LogFile,
    /// Undoes `--munge-links`: refused when the rule munges.
    NoMunge,
    /// Never accepted, with the reason.
    Refused(&'static str),
}

/// Long options by name. Anything not listed is refused as unknown.
const LONG_OPTIONS: &[(&str, Kind)] = &[
    ("append", Kind::Flag),
    ("backup-dir", Kind::DestPath),
    ("block-size", Kind::Value),
    ("bwlimit", Kind::Value),
    ("checksum-choice", Kind::Value),
    ("checksum-seed", Kind::Value),
    ("compare-dest", Kind::DestPath),
    ("compress-choice", Kind::Value),
    ("compress-level", Kind::Value),
    (
        "config",
        Kind::Refused("it reads an rsync daemon configuration"),
    ),
    (
        "copy-as",
        Kind::Refused("it switches the server to another user"),
    ),
    ("copy-dest", Kind::DestPath),
    (
        "copy-devices",
        Kind::Refused("it copies the contents of device files"),
    ),
    ("copy-dirlinks", Kind::FollowLinks),
    ("copy-links", Kind::FollowLinks),
    ("copy-unsafe-links", Kind::FollowLinks),
    ("daemon", Kind::Refused("it starts an rsync daemon")),
    ("debug", Kind::Value),
    ("del", Kind::Delete),
    ("delay-updates", Kind::Flag),
    ("delete", Kind::Delete),
    ("delete-after", Kind::Delete),
    ("delete-before", Kind::Delete),
    ("delete-delay", Kind::Delete),
    ("delete-during", Kind::Delete),
    ("delete-excluded", Kind::Delete),
    ("delete-missing-args", Kind::Delete),
    ("detach", Kind::Refused("it is a daemon option")),
    ("devices", Kind::Devices),
    ("dparam", Kind::Refused("it sets rsync daemon parameters")),
    ("exclude-from", Kind::ListFile),
    ("existing", Kind::Flag),
    ("fake-super", Kind::Flag),
    ("files-from", Kind::FilesFrom),
    ("force", Kind::Delete),
    ("from0", Kind::Flag),
    ("fsync", Kind::Flag),
    ("groupmap", Kind::Value),
    ("ignore-errors", Kind::Flag),
    ("ignore-existing", Kind::Flag),
    ("ignore-missing-args", Kind::Flag),
    ("include-from", Kind::ListFile),
    ("info", Kind::Value),
    ("inplace", Kind::Flag),
    ("iconv", Kind::Value),
    ("keep-dirlinks", Kind::FollowLinks),
    ("link-dest", Kind::DestPath),
    ("list-only", Kind::Flag),
    ("log-file", Kind::LogFile),
    ("log-file-format", Kind::Value),
    ("log-format", Kind::Value),
    ("max-alloc", Kind::Value),
    ("max-delete", Kind::Value),
    ("max-size", Kind::Value),
    ("min-size", Kind::Value),
    ("mkpath", Kind::Flag),
    ("modify-window", Kind::Value),
    ("msgs2stderr", Kind::Flag),
    ("munge-links", Kind::Narrowing),
    ("new-compress", Kind::Flag),
    ("no-W", Kind::Flag),
    ("no-detach", Kind::Refused("it is a daemon option")),
    ("no-devices", Kind::Narrowing),
    ("no-implied-dirs", Kind::Flag),
    ("no-msgs2stderr", Kind::Flag),
    ("no-munge-links", Kind::NoMunge),
    ("no-r", Kind::Flag),
    ("no-relative", Kind::Flag),
    ("no-specials", Kind::Narrowing),
    ("numeric-ids", Kind::Flag),
    ("old-compress", Kind::Flag),
    (
        "only-write-batch",
        Kind::Refused("batch files are not supported through the gate"),
    ),
    ("open-noatime", Kind::Flag),
    ("partial", Kind::Flag),
    ("partial-dir", Kind::DestPath),
    ("preallocate", Kind::Flag),
    (
        "protect-args",
        Kind::Refused("it sends the real arguments over the protocol, hidden from the gate"),
    ),
    (
        "read-batch",
        Kind::Refused("batch files are not supported through the gate"),
    ),
    ("remove-sent-files", Kind::Delete),
    ("remove-source-files", Kind::Delete),
    ("rsh", Kind::Refused("it names a program for rsync to run")),
    ("safe-links", Kind::Narrowing),
    (
        "secluded-args",
        Kind::Refused("it sends the real arguments over the protocol, hidden from the gate"),
    ),
    ("sender", Kind::Flag),
    ("size-only", Kind::Flag),
    ("skip-compress", Kind::Value),
    ("sparse", Kind::Flag),
    ("specials", Kind::Devices),
    ("stats", Kind::Flag),
    ("stderr", Kind::Value),
    ("suffix", Kind::Value),
    ("super", Kind::Flag),
    ("temp-dir", Kind::DestPath),
    ("timeout", Kind::Value),
    ("usermap", Kind::Value),
    ("use-qsort", Kind::Flag),
    (
        "write-batch",
        Kind::Refused("batch files are not supported through the gate"),
    ),
    (
        "write-devices",
        Kind::Refused("it writes into existing device files"),
    ),
];

/// The `HOME` rsync runs with: a directory no grant reaches, so that no
/// `~/.popt` can be read.
const NO_HOME: &str = "/nonexistent";

/// Which way the files go, seen from the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    /// `--sender`: the server sends, the client downloads from `send`.
    Download,
    /// The server receives: the client uploads into `receive`.
    Upload,
}

impl Direction {
    /// The rule's list of paths for this direction, by its key.
    fn list(self) -> &'static str {
        match self {
            Self::Download => "send",
            Self::Upload => "receive",
        }
    }
}

/// Whether `argv` is an rsync server command for this rule's program.
pub fn addressed(rule: &RsyncRule, argv: &[String]) -> bool {
    argv.first()
        .is_some_and(|argv0| names_program(rule.program(), argv0))
        && argv.get(1).is_some_and(|word| word == "--server")
}

/// The words of one request, sorted by the parse.
#[derive(Debug, Default)]
struct Words {
    /// Validated options, as they will be passed on (`--opt=value`).
    options: Vec<String>,
    /// Positional words: `.` then the paths.
    positional: Vec<String>,
    /// Path values of options, with the option's name and kind.
    option_paths: Vec<(&'static str, Kind, String)>,
    /// `--remove-source-files` (or its old name): a download then deletes
    /// what it sent.
    removes_sources: bool,
    /// Whether the client asked for devices or special files.
    wants_devices: bool,
    /// `--sender`: the client downloads.
    sender: bool,
}

/// Parses an addressed request under `rule`.
pub fn check(rule: &RsyncRule, argv: &[String], context: Context<'_>) -> Result<ToolCall, String> {
    let words = argv.get(2..).unwrap_or_default();
    let parsed = parse_words(rule, words)?;
    let direction = if parsed.sender {
        Direction::Download
    } else {
        Direction::Upload
    };
    let roots = match direction {
        Direction::Download => &rule.send,
        Direction::Upload => &rule.receive,
    };
    let list = direction.list();
    let (dot, paths) = parsed
        .positional
        .split_first()
        .ok_or("no `.` after the options: not a command an rsync client sends")?;
    if dot != "." {
        return Err(format!(
            "the first argument after the options must be `.`, got {dot:?} (rsync would change into it)"
        ));
    }
    if direction == Direction::Upload && paths.len() > 1 {
        return Err(format!(
            "an upload names one destination, got {}: {paths:?}",
            paths.len()
        ));
    }
    // No path means the working directory, for either direction.
    let requested: Vec<&str> = if paths.is_empty() {
        vec!["."]
    } else {
        paths.iter().map(String::as_str).collect()
    };
    let mut checked = Vec::new();
    let mut granted: Vec<&Path> = Vec::new();
    for path in &requested {
        let normal = normalise(path, context.chdir)?;
        let root = root_of(&normal, roots, list)?;
        if !granted.contains(&root) {
            granted.push(root);
        }
        checked.push(normal);
    }
    for (option, kind, value) in &parsed.option_paths {
        let root = check_option_path(*kind, value, direction, &checked, rule, context)
            .map_err(|why| format!("--{option}: {why}"))?;
        if let Some(root) = root {
            if !granted.contains(&root) {
                granted.push(root);
            }
        }
    }
    let access = match direction {
        Direction::Download if parsed.removes_sources => Access::ReadWrite,
        Direction::Download => Access::Read,
        Direction::Upload => Access::ReadWrite,
    };
    let mut forced = Vec::new();
    if rule.links == Links::Munge {
        forced.push("--munge-links".to_owned());
    }
    let destination = checked.first().map(PathBuf::as_path);
    let readable_anyway = destination.is_some_and(|d| within(d, &rule.send).is_some());
    if direction == Direction::Upload && !rule.deltas && !readable_anyway {
        // rsync's delta algorithm sends the receiver's block checksums of
        // an existing file to the client: with `-B1`, the file byte by
        // byte. A tree the client may not download gets no deltas.
        forced.push("--whole-file".to_owned());
    }
    if parsed.wants_devices && !rule.devices {
        // Narrowing both sides' idea of the file list breaks the protocol
        // when a device is present: such a transfer fails, closed.
        forced.extend(["--no-devices".to_owned(), "--no-specials".to_owned()]);
    }
    let mut exec = vec![rule.program().display().to_string(), "--server".to_owned()];
    if direction == Direction::Download {
        exec.push("--sender".to_owned());
    }
    exec.extend(parsed.options.iter().cloned());
    exec.extend(forced.iter().cloned());
    exec.push("--".to_owned());
    exec.push(".".to_owned());
    exec.extend(paths.iter().cloned());
    Ok(ToolCall {
        // rsync reads `$HOME/.popt` before it sees `--server`, and an
        // `exec` alias there replaces the server with any program: a
        // client that can upload into the home would choose it.
        env: vec![("HOME".to_owned(), NO_HOME.to_owned())],
        argv: exec,
        grants: granted
            .into_iter()
            .map(|root| (root.to_path_buf(), access))
            .collect(),
        chdir: None,
        request: ToolRequest {
            tool: "rsync",
            action: match direction {
                Direction::Download => "download",
                Direction::Upload => "upload",
            },
            paths: checked,
            options: parsed.options,
            forced,
        },
    })
}

/// Checks the path value of an option of `kind`, and returns the rule path
/// it needs granted (`None` for `--files-from=-`).
fn check_option_path<'a>(
    kind: Kind,
    value: &str,
    direction: Direction,
    transfer: &[PathBuf],
    rule: &'a RsyncRule,
    context: Context<'_>,
) -> Result<Option<&'a Path>, String> {
    match kind {
        Kind::FilesFrom if value == "-" => Ok(None),
        Kind::FilesFrom | Kind::ListFile => {
            if direction == Direction::Upload {
                return Err(format!(
                    "refused on an upload: the server would read {value} and send its lines back to the client"
                ));
            }
            let normal = normalise(value, context.chdir)?;
            root_of(&normal, &rule.send, "send").map(Some)
        }
        Kind::LogFile => {
            if direction == Direction::Download {
                return Err(
                    "refused on a download: `send` paths are read-only, so rsync could not write it"
                        .to_owned(),
                );
            }
            let normal = normalise(value, context.chdir)?;
            root_of(&normal, &rule.receive, "receive").map(Some)
        }
        _ => {
            // Relative to the destination, where the receiver works.
            let base = transfer.first().map_or(context.chdir, PathBuf::as_path);
            let normal = normalise(value, base)?;
            let (roots, list) = match direction {
                Direction::Download => (&rule.send, "send"),
                Direction::Upload => (&rule.receive, "receive"),
            };
            root_of(&normal, roots, list).map(Some)
        }
    }
}

/// Sorts `words` (after `--server`) into validated options and positional
/// words, refusing the first word the rule does not allow.
fn parse_words(rule: &RsyncRule, words: &[String]) -> Result<Words, String> {
    let mut parsed = Words::default();
    let mut index = 0;
    while let Some(word) = words.get(index) {
        index += 1;
        if word == "--" {
            parsed
                .positional
                .extend(words.get(index..).unwrap_or_default().iter().cloned());
            break;
        }
        if let Some(long) = word.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((name, value)) => (name, Some(value.to_owned())),
                None => (long, None),
            };
            let Some(&(name, kind)) = LONG_OPTIONS.iter().find(|(known, _)| *known == name) else {
                return Err(format!("unknown option --{name}: refused"));
            };
            if name == "sender" && inline.is_none() {
                parsed.sender = true;
                continue;
            }
            allow_long(rule, name, kind)?;
            let takes_value = matches!(
                kind,
                Kind::Value | Kind::DestPath | Kind::ListFile | Kind::FilesFrom | Kind::LogFile
            );
            let value = if takes_value {
                let value = match inline {
                    Some(value) => value,
                    None => {
                        let next = words.get(index).cloned();
                        index += 1;
                        next.ok_or(format!("--{name} needs a value"))?
                    }
                };
                if value.is_empty() {
                    return Err(format!("--{name} needs a value"));
                }
                Some(value)
            } else if inline.is_some() {
                return Err(format!("--{name} takes no value"));
            } else {
                None
            };
            if kind == Kind::Devices {
                parsed.wants_devices = true;
            }
            if matches!(
                kind,
                Kind::DestPath | Kind::ListFile | Kind::FilesFrom | Kind::LogFile
            ) {
                let path = value.clone().unwrap_or_default();
                parsed.option_paths.push((name, kind, path));
            }
            if matches!(name, "remove-source-files" | "remove-sent-files") {
                parsed.removes_sources = true;
            }
            parsed.options.push(match value {
                Some(value) => format!("--{name}={value}"),
                None => format!("--{name}"),
            });
        } else if let Some(short) = word.strip_prefix('-').filter(|s| !s.is_empty()) {
            check_short(rule, short, &mut parsed)?;
            parsed.options.push(word.clone());
        } else {
            parsed.positional.push(word.clone());
        }
    }
    Ok(parsed)
}

/// Whether the rule's controls allow long option `name` of `kind`.
fn allow_long(rule: &RsyncRule, name: &str, kind: Kind) -> Result<(), String> {
    match kind {
        Kind::Refused(why) => Err(format!("--{name} is refused: {why}")),
        Kind::Delete if !rule.delete => Err(format!(
            "--{name} deletes files on the server; the rule has `delete = false`"
        )),
        Kind::FollowLinks if rule.links != Links::Follow => Err(format!(
            "--{name} follows symbolic links; the rule has `links = \"{}\"`, not \"follow\"",
            rule.links
        )),
        Kind::FilesFrom if !rule.files_from => Err(format!(
            "--{name} is refused: the rule has `files_from = false`"
        )),
        Kind::LogFile if !rule.log_file => Err(format!(
            "--{name} is refused: the rule has `log_file = false`"
        )),
        Kind::NoMunge if rule.links == Links::Munge => Err(format!(
            "--{name} is refused: the rule has `links = \"munge\"`"
        )),
        _ => Ok(()),
    }
}

/// Checks one short-option word (without its `-`): a cluster of
/// [`CLUSTER_LETTERS`] ending in an optional capability blob, or a
/// number option (`-B4096`, `-@-1`).
fn check_short(rule: &RsyncRule, short: &str, parsed: &mut Words) -> Result<(), String> {
    for (letter, signed) in [('B', false), ('@', true)] {
        if let Some(value) = short.strip_prefix(letter) {
            let digits = if signed {
                value.strip_prefix('-').unwrap_or(value)
            } else {
                value
            };
            if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                return Ok(());
            }
            return Err(format!("-{short}: -{letter} needs a number"));
        }
    }
    for (at, letter) in short.char_indices() {
        if letter == 'e' {
            let blob = short.get(at + 1..).unwrap_or_default();
            if !is_capability_blob(blob) {
                return Err(format!(
                    "-{short}: `e{blob}` is not an rsync capability string (e. or eN.N, then letters)"
                ));
            }
            return Ok(());
        }
        if !CLUSTER_LETTERS.contains(letter) {
            return Err(format!(
                "-{short}: unknown option letter {letter:?}: refused"
            ));
        }
        match letter {
            's' => {
                return Err(format!(
                    "-{short}: -s (--protect-args) sends the real arguments over the protocol, hidden from the gate"
                ));
            }
            'L' | 'k' | 'K' if rule.links != Links::Follow => {
                return Err(format!(
                    "-{short}: -{letter} follows symbolic links; the rule has `links = \"{}\"`, not \"follow\"",
                    rule.links
                ));
            }
            'D' => parsed.wants_devices = true,
            _ => {}
        }
    }
    Ok(())
}

/// Whether `blob` (after the `e`) is `.` or `DIGITS.DIGITS`, then letters:
/// what rsync 3.x sends (`e.iLsfxCIvu`, `e32.1iLs` from a pre-release).
/// Which letters follow is left open: each client version sends its own
/// set, and the server ignores letters it does not know.
fn is_capability_blob(blob: &str) -> bool {
    let rest = match blob.strip_prefix('.') {
        Some(rest) => rest,
        None => {
            let Some((major, rest)) = blob.split_once('.') else {
                return false;
            };
            let minor_len = rest.bytes().take_while(u8::is_ascii_digit).count();
            if major.is_empty() || !major.bytes().all(|b| b.is_ascii_digit()) || minor_len == 0 {
                return false;
            }
            rest.get(minor_len..).unwrap_or_default()
        }
    };
    rest.bytes().all(|b| b.is_ascii_alphabetic())
}

#[cfg(test)]
#[path = "rsync_tests.rs"]
mod tests;
