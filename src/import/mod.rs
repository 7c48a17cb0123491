//! Converters from other forced-command gates' configurations into sshgate
//! profiles, for `sshgate import-*`.
//!
//! A converter never decides a request: it writes profile text for an
//! administrator to review, lint and install. It lives apart from the
//! policy loader so that the gate's decision path never reaches it (nor the
//! YAML parser it pulls in). Each source format is one submodule; what they
//! share is the draft they produce: [`Profile`]s made of [`DraftRule`]s, and
//! [`Note`]s on everything that could not be carried over exactly.

pub mod authprogs;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// How far a note says the result is from the original.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum NoteKind {
    /// Carried over exactly; the note says how (a program found on this
    /// host, a rule that allowed nothing and was left out).
    Info,
    /// Converted, but sshgate allows a little more or less than the
    /// original did; the note says what.
    Approximate,
    /// Not converted: the rule is written commented out, or the value was
    /// left out, and a human must decide.
    NeedsReview,
}

impl std::fmt::Display for NoteKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            NoteKind::Info => "info",
            NoteKind::Approximate => "approximate",
            NoteKind::NeedsReview => "needs review",
        })
    }
}

/// A remark about one place in the source configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// `file:line` in the source.
    pub location: String,
    /// How serious it is.
    pub kind: NoteKind,
    /// What happened, and what to do about it.
    pub message: String,
}

/// A source configuration that cannot be converted at all: malformed, or a
/// value the original tool itself would have refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    /// `file:line` in the source.
    pub location: String,
    /// What is wrong, and how to fix it.
    pub message: String,
}

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// One `[[allow]]` rule as profile text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftRule {
    /// Where it came from and what it said there, written as a comment
    /// above the rule so that the two can be compared line by line.
    pub source: String,
    /// The rule's `name` (made unique within the profile when written).
    pub name: String,
    /// The TOML lines after `name`, e.g. `command = [...]`.
    pub body: Vec<String>,
    /// Why the rule is written commented out, if it is.
    pub review: Option<String>,
}

/// One profile to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// The profile name; the file is `NAME.toml`.
    pub name: String,
    /// `description`.
    pub description: String,
    /// `from`, already in sshgate's form (host bits zero).
    pub from: Option<Vec<String>>,
    /// `keys`.
    pub keys: Option<Vec<String>>,
    /// The rules, in the source's order.
    pub rules: Vec<DraftRule>,
}

/// What a converter produced.
#[derive(Debug, Clone, Default)]
pub struct Import {
    /// The profiles, in the order they should be shown.
    pub profiles: Vec<Profile>,
    /// Everything that was not carried over exactly.
    pub notes: Vec<Note>,
}

impl Import {
    /// How many notes of `kind` there are.
    pub fn count(&self, kind: NoteKind) -> usize {
        self.notes.iter().filter(|note| note.kind == kind).count()
    }
}

/// A TOML basic string with every character TOML needs escaped.
pub fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

/// A TOML array of strings on one line.
pub fn toml_strings<S: AsRef<str>>(items: &[S]) -> String {
    let items: Vec<String> = items.iter().map(|s| toml_string(s.as_ref())).collect();
    format!("[{}]", items.join(", "))
}

impl Profile {
    /// The file name in an output directory.
    pub fn file_name(&self) -> PathBuf {
        PathBuf::from(format!("{}.toml", self.name))
    }

    /// The profile as TOML text, each rule under a comment that quotes its
    /// source, and the rules that need review commented out.
    pub fn to_toml(&self, tool: &str) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = writeln!(out, "# Imported from {tool} by `sshgate import-authprogs`.");
        let _ = writeln!(
            out,
            "# Review it, then: sshgate lint {}; sshgate explain --policy {} -- 'COMMAND'",
            self.file_name().display(),
            self.file_name().display()
        );
        let _ = writeln!(out, "description = {}", toml_string(&self.description));
        if let Some(from) = &self.from {
            let _ = writeln!(out, "from = {}", toml_strings(from));
        }
        if let Some(keys) = &self.keys {
            let _ = writeln!(out, "keys = {}", toml_strings(keys));
        }
        let mut names: Vec<String> = Vec::new();
        for rule in &self.rules {
            let name = unique_name(&rule.name, &names);
            names.push(name.clone());
            out.push('\n');
            for line in rule.source.lines() {
                let _ = writeln!(out, "# {line}");
            }
            let prefix = match &rule.review {
                Some(why) => {
                    let _ = writeln!(out, "# NEEDS REVIEW: {why}");
                    "# "
                }
                None => "",
            };
            let _ = writeln!(out, "{prefix}[[allow]]");
            let _ = writeln!(out, "{prefix}name = {}", toml_string(&name));
            for line in &rule.body {
                let _ = writeln!(out, "{prefix}{line}");
            }
        }
        out
    }
}

/// `name`, or `name-2`, `name-3`... when taken.
fn unique_name(name: &str, taken: &[String]) -> String {
    if !taken.iter().any(|t| t == name) {
        return name.to_owned();
    }
    (2..)
        .map(|n| format!("{name}-{n}"))
        .find(|candidate| !taken.contains(candidate))
        .unwrap_or_else(|| name.to_owned())
}

/// A string made safe as a rule or profile name: letters, digits, `-`,
/// `_` and `.`, not starting with `.`, never empty.
pub fn plain_name(text: &str) -> String {
    let name: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let name = name.trim_start_matches('.').replace("..", "-");
    if name.is_empty() {
        "rule".to_owned()
    } else {
        name
    }
}

/// Finds `program` in `search_path` as an executable file, as a shell's
/// PATH lookup would.
pub fn resolve_program(program: &str, search_path: &[PathBuf]) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    search_path
        .iter()
        .map(|dir| dir.join(program))
        .find(|candidate| {
            std::fs::metadata(candidate)
                .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
                .unwrap_or(false)
        })
}

/// `file:line`, for notes and errors.
pub fn location(file: &Path, line: usize) -> String {
    format!("{}:{line}", file.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_made_plain_and_unique() {
        assert_eq!(plain_name("../a b"), "-a-b");
        assert_eq!(plain_name(""), "rule");
        assert_eq!(unique_name("df", &["df".into(), "df-2".into()]), "df-3");
    }
}
