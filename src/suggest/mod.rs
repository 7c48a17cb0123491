//! `sshgate suggest`: `[[allow]]` rules from the records of a learning
//! profile.
//!
//! The log is input like any other: a line is turned into a rule only when
//! it is a well-formed allowed learning record whose command re-splits to
//! what the record says it ran. Anything else is skipped and counted, so a
//! line someone forged into the log cannot widen the suggested policy
//! beyond what its own command line would have asked for.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

use serde_json::Value;

use crate::decide::{names_program, parse_tool_request};
use crate::request::{LEARN_SEARCH_PATH, tokenize};

/// A working directory no real one is, so that a path a re-parsed tool
/// request resolved against it is known to have been relative.
const UNKNOWN_CHDIR: &str = "/.sshgate-suggest-chdir";

/// What `suggest` made of a log.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Suggestion {
    /// The rules, as TOML to paste under a profile.
    pub rules: String,
    /// Learning records the rules were derived from.
    pub used: usize,
    /// Lines that are not unmatched learning records of the profile asked
    /// for (enforce-mode records, other profiles, requests a rule of the
    /// profile allowed already): left out, not suspicious.
    pub ignored: usize,
    /// Lines skipped as unparseable or inconsistent: line number (from 1)
    /// and why.
    pub skipped: Vec<(usize, String)>,
}

/// One learning record reduced to what a rule needs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Learned {
    /// A tool request the gate's parser recognised.
    Tool {
        tool: String,
        action: String,
        paths: Vec<PathBuf>,
        /// The rule flags the request needs (`delete`, `recursive`...),
        /// from the re-parsed command, never from the record.
        flags: Vec<&'static str>,
    },
    /// Any other command: the program run and the client's arguments.
    Command { program: PathBuf, args: Vec<String> },
}

/// Reads the JSON-lines `log` and suggests rules for the learning records
/// of `profile` (of every profile when `None`).
pub fn suggest(log: &str, profile: Option<&str>) -> Suggestion {
    let mut suggestion = Suggestion::default();
    let mut learned = BTreeSet::new();
    for (index, line) in log.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match read_line(line, profile) {
            Ok(Some(request)) => {
                suggestion.used += 1;
                learned.insert(request);
            }
            Ok(None) => suggestion.ignored += 1,
            Err(why) => suggestion.skipped.push((index + 1, why)),
        }
    }
    suggestion.rules = render(&learned);
    suggestion
}

/// The learned request of `line`; `None` for a record to leave out;
/// `Err` for a line that is not a record the gate could have written.
fn read_line(line: &str, profile: Option<&str>) -> Result<Option<Learned>, String> {
    let record: Value = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    let record = record.as_object().ok_or("not a JSON object")?;
    let learning = record
        .get("learning")
        .ok_or("no `learning` field")?
        .as_bool()
        .ok_or("`learning` is not a boolean")?;
    let recorded_profile = record.get("profile").ok_or("no `profile` field")?;
    let recorded_profile = match recorded_profile {
        Value::String(name) => Some(name.as_str()),
        Value::Null => None,
        _ => return Err("`profile` is not a string".to_owned()),
    };
    if !learning || profile.is_some_and(|wanted| recorded_profile != Some(wanted)) {
        return Ok(None);
    }
    match record.get("decision").and_then(Value::as_str) {
        Some("allow") => {}
        Some(other) => return Err(format!("decision is {other:?}, not \"allow\"")),
        None => return Err("no `decision` string".to_owned()),
    }
    match record.get("rule").ok_or("no `rule` field")? {
        Value::Null => {}
        // A rule of the profile allowed it already; a second rule for it
        // would be unreachable behind the first.
        Value::String(_) => return Ok(None),
        _ => return Err("`rule` is not a string".to_owned()),
    }
    if record.get("command_truncated") != Some(&Value::Bool(false)) {
        return Err("`command_truncated` is not false".to_owned());
    }
    let command = record
        .get("command")
        .and_then(Value::as_str)
        .ok_or("no `command` string")?;
    // Escaped control characters come back as backslashes, which the
    // tokenizer would read differently: such a command cannot be trusted
    // to re-split to what ran.
    if command.contains('\\') {
        return Err("the command has escaped characters".to_owned());
    }
    let argv = tokenize::split(command.as_bytes())
        .map_err(|e| format!("the command does not split: {e}"))?;
    match record.get("tool").ok_or("no `tool` field")? {
        Value::Null => {
            // The gate records the tool of every request a tool parser
            // recognises: a tool command without one was not written by it.
            if parse_tool_request(&argv, Path::new(UNKNOWN_CHDIR)).is_some() {
                return Err(
                    "the command is a tool request, but the record has no `tool`".to_owned(),
                );
            }
            command_request(record, argv).map(Some)
        }
        Value::Object(tool) => tool_request(tool, &argv).map(Some),
        _ => Err("`tool` is not an object".to_owned()),
    }
}

/// A command run as sent: its `exec` must be the program the client's
/// `argv[0]` names.
fn command_request(
    record: &serde_json::Map<String, Value>,
    argv: Vec<String>,
) -> Result<Learned, String> {
    let exec = record
        .get("exec")
        .and_then(Value::as_str)
        .ok_or("no `exec` string")?;
    let program = Path::new(exec);
    if !program.is_absolute() || exec.contains('\\') || !is_normal(program) {
        return Err(format!("`exec` {exec:?} is not a plain absolute path"));
    }
    let mut words = argv.into_iter();
    let argv0 = words.next().ok_or("the command is empty")?;
    if !names_program(program, &argv0) {
        return Err(format!("`exec` {exec:?} is not the program {argv0:?}"));
    }
    // Learn mode looks a bare name up in a fixed path only.
    let searched = program.parent().is_some_and(|dir| {
        LEARN_SEARCH_PATH
            .iter()
            .any(|place| dir == Path::new(place))
    });
    if !argv0.contains('/') && !searched {
        return Err(format!(
            "`exec` {exec:?} is not where learn mode finds {argv0:?} ({})",
            LEARN_SEARCH_PATH.join(":")
        ));
    }
    Ok(Learned::Command {
        program: program.to_path_buf(),
        args: words.collect(),
    })
}

/// A tool request: the command must re-parse to the recorded tool, action
/// and paths (a relative path may have been resolved against any
/// working directory, so only its tail is compared).
fn tool_request(tool: &serde_json::Map<String, Value>, argv: &[String]) -> Result<Learned, String> {
    let text = |field: &str| {
        tool.get(field)
            .and_then(Value::as_str)
            .ok_or(format!("no `tool.{field}` string"))
    };
    let (name, action) = (text("tool")?, text("action")?);
    if tool.get("paths_truncated") != Some(&Value::Bool(false)) {
        return Err("`tool.paths_truncated` is not false".to_owned());
    }
    let recorded: Vec<PathBuf> = tool
        .get("paths")
        .and_then(Value::as_array)
        .ok_or("no `tool.paths` array")?
        .iter()
        .map(|path| path.as_str().map(PathBuf::from))
        .collect::<Option<_>>()
        .ok_or("`tool.paths` holds a non-string")?;
    let parsed = parse_tool_request(argv, Path::new(UNKNOWN_CHDIR))
        .ok_or("the command is not a tool request")?;
    if parsed.tool != name || parsed.action != action || parsed.paths.len() != recorded.len() {
        return Err(format!(
            "the command re-parses as {} {}, not the recorded {name} {action}",
            parsed.tool, parsed.action
        ));
    }
    for (parsed, recorded) in parsed.paths.iter().zip(&recorded) {
        let agrees = match parsed.strip_prefix(UNKNOWN_CHDIR) {
            // `.` resolves to the placeholder itself, whose empty tail
            // every recorded path would end with.
            Ok(tail) => !tail.as_os_str().is_empty() && recorded.ends_with(tail),
            Err(_) => parsed == recorded,
        };
        if !agrees || !recorded.is_absolute() || !is_normal(recorded) {
            return Err(format!(
                "recorded path {} does not match the command",
                recorded.display()
            ));
        }
    }
    Ok(Learned::Tool {
        tool: name.to_owned(),
        action: action.to_owned(),
        paths: recorded,
        flags: flags_for(parsed.tool, &parsed.options),
    })
}

/// The boolean keys of a tool rule that the client's `options` need set,
/// or the rule would refuse the request it was learned from.
fn flags_for(tool: &str, options: &[String]) -> Vec<&'static str> {
    let has = |wanted: &dyn Fn(&str) -> bool| options.iter().any(|option| wanted(option));
    let mut flags = Vec::new();
    match tool {
        "rsync" if has(&|option| option.starts_with("--delete")) => flags.push("delete"),
        "scp" => {
            if has(&|option| option == "-r") {
                flags.push("recursive");
            }
            if has(&|option| option == "-p") {
                flags.push("preserve");
            }
        }
        _ => {}
    }
    flags
}

/// No `.`, `..` or escaped bytes: what the gate's normalised paths are.
fn is_normal(path: &Path) -> bool {
    path.components()
        .all(|c| matches!(c, Component::RootDir | Component::Normal(_)))
        && !path.to_string_lossy().contains('\\')
}

/// The deepest common ancestors of `paths`, one per second-level
/// directory: `/srv/www/a` and `/srv/www/b` become `/srv/www`, but
/// `/etc/hostname` and `/etc/ssl/certs` stay two entries rather than
/// widening to `/etc` (found by review: a client steers what is learned,
/// even with requests that fail). `/` itself is never suggested.
pub fn common_parents(paths: &BTreeSet<PathBuf>) -> Vec<PathBuf> {
    let mut groups: BTreeMap<PathBuf, PathBuf> = BTreeMap::new();
    for path in paths.iter().filter(|path| path.components().count() > 1) {
        let top: PathBuf = path.components().take(3).collect();
        groups
            .entry(top)
            .and_modify(|common| *common = common_ancestor(common, path))
            .or_insert_with(|| path.clone());
    }
    groups.into_values().collect()
}

fn common_ancestor(a: &Path, b: &Path) -> PathBuf {
    a.components()
        .zip(b.components())
        .take_while(|(x, y)| x == y)
        .map(|(x, _)| x)
        .collect()
}

/// The keys of each tool's rule, by action: which list a request's paths
/// go into.
fn list_for(tool: &str, action: &str) -> Option<&'static str> {
    Some(match (tool, action) {
        ("rsync", "download") => "send",
        ("rsync", "upload") => "receive",
        ("scp", "download") => "download",
        ("scp", "upload") => "upload",
        ("sftp", _) => "read",
        ("git", "fetch" | "archive") => "read",
        ("git", "push") => "write",
        _ => return None,
    })
}

/// A TOML string literal.
fn quoted(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

fn render(learned: &BTreeSet<Learned>) -> String {
    // tool -> list key -> paths
    let mut tools: BTreeMap<&str, BTreeMap<&str, BTreeSet<PathBuf>>> = BTreeMap::new();
    let mut tool_flags: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut commands = Vec::new();
    let mut unplaced = BTreeMap::<&str, usize>::new();
    for request in learned {
        match request {
            Learned::Tool {
                tool,
                action,
                paths,
                flags,
            } => match list_for(tool, action) {
                Some(list) if !paths.is_empty() => {
                    let needed = tool_flags.entry(tool.as_str()).or_default();
                    needed.extend(flags.iter().copied());
                    if tool == "git" && action == "archive" {
                        needed.insert("archive");
                    }
                    tools
                        .entry(tool.as_str())
                        .or_default()
                        .entry(list)
                        .or_default()
                        .extend(paths.iter().cloned());
                }
                _ => *unplaced.entry(tool.as_str()).or_default() += 1,
            },
            Learned::Command { program, args } => commands.push((program, args)),
        }
    }
    let mut out = String::new();
    for (tool, lists) in &tools {
        let path_lists: Vec<String> = lists
            .iter()
            .filter_map(|(list, paths)| {
                let parents: Vec<String> = common_parents(paths)
                    .iter()
                    .map(|p| quoted(&p.to_string_lossy()))
                    .collect();
                (!parents.is_empty()).then(|| format!("{list} = [{}]", parents.join(", ")))
            })
            .collect();
        if path_lists.is_empty() {
            out.push_str(&format!(
                "# the {tool} requests named only `/`, which is never suggested: write the {tool} rule by hand\n\n"
            ));
            continue;
        }
        let entries: Vec<String> = path_lists
            .into_iter()
            .chain(
                tool_flags
                    .get(tool)
                    .into_iter()
                    .flatten()
                    .map(|flag| format!("{flag} = true")),
            )
            .collect();
        out.push_str(&format!(
            "[[allow]]\nname = \"learned-{tool}\"\n{tool} = {{ {} }}\n\n",
            entries.join(", ")
        ));
    }
    for (tool, count) in &unplaced {
        out.push_str(&format!(
            "# {count} {tool} request(s) named no path on their command line: write the {tool} rule by hand\n\n"
        ));
    }
    for (number, (program, args)) in commands.iter().enumerate() {
        let words: Vec<String> = std::iter::once(program.to_string_lossy().into_owned())
            .chain(args.iter().cloned())
            .map(|word| quoted(&word))
            .collect();
        out.push_str(&format!(
            "[[allow]]\nname = \"learned-command-{}\"\ncommand = [{}]\n\n",
            number + 1,
            words.join(", ")
        ));
    }
    out.truncate(out.trim_end().len());
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests;
