//! authprogs configurations: the YAML of the Python rewrite (0.7.x) and,
//! in [`legacy`], the original perl version's `authprogs.conf`.
//!
//! The semantics followed are authprogs 0.7.5's code, where it differs from
//! its manual: rule groups are tried in order; a group applies when the
//! client address is in one of its `from` networks (host bits ignored,
//! unparseable entries skipped) and the key name is one of its `keynames`;
//! a command rule compares whitespace-split words, `allow_trailing_args`
//! compares a prefix of them (and then `pcre_match` is ignored), and
//! `pcre_match` searches the raw command string; scp allows `-p` unless
//! `allow_permissions` is false.

pub mod legacy;
mod pcre;
mod tools;
mod yaml;

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use super::{
    DraftRule, Import, ImportError, Note, NoteKind, Profile, location, plain_name, resolve_program,
    toml_string, toml_strings,
};
use crate::request::tokenize;
use yaml::Node;

/// Where relative programs are looked up at import time: sshd's usual
/// PATH, without the games directories.
pub const DEFAULT_SEARCH_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// Name of the profile for groups without `keynames`.
pub const ANY_KEY_PROFILE: &str = "any-key";

/// One configuration file's text.
#[derive(Debug, Clone)]
pub struct Source {
    /// Its path, as shown in notes and errors.
    pub path: PathBuf,
    /// Its contents.
    pub text: String,
}

/// What the conversion may look up on this host.
#[derive(Debug, Clone)]
pub struct Options {
    /// Directories relative programs are looked up in.
    pub search_path: Vec<PathBuf>,
}

/// A rule group (one item of the top-level list), converted.
struct Group {
    location: String,
    /// `None`: any address.
    from: Option<Vec<String>>,
    /// `None`: any key.
    keynames: Option<Vec<String>>,
    rules: Vec<DraftRule>,
    /// The group can never apply (every `from` entry unparseable).
    dead: bool,
}

/// Converts the concatenation of `sources` (the configuration file, then
/// the directory's files, as authprogs reads them) into one profile per
/// key name, plus [`ANY_KEY_PROFILE`] for the groups without `keynames`.
pub fn convert(sources: &[Source], options: &Options) -> Result<Import, Vec<ImportError>> {
    let mut converter = Converter {
        options,
        notes: Vec::new(),
        errors: Vec::new(),
        file: PathBuf::new(),
    };
    let mut groups = Vec::new();
    for source in sources {
        converter.file = source.path.clone();
        match yaml::parse(&source.text) {
            Err(error) => converter.error(error.line, error.message),
            Ok(None) => {}
            Ok(Some(Node::Seq { items, .. })) => {
                for item in &items {
                    if item.is_null() {
                        continue;
                    }
                    if let Some(group) = converter.group(item) {
                        groups.push(group);
                    }
                }
            }
            Ok(Some(other)) => converter.error(
                other.line(),
                format!(
                    "the file holds {} where authprogs expects a list of rule groups: \
                     start each group with `- ` (authprogs concatenates files as list items)",
                    other.kind()
                ),
            ),
        }
    }
    if !converter.errors.is_empty() {
        return Err(converter.errors);
    }
    let profiles = profiles(&groups, &mut converter.notes);
    sort_notes(&mut converter.notes);
    Ok(Import {
        profiles,
        notes: converter.notes,
    })
}

/// Builds the profiles from the converted groups.
fn profiles(groups: &[Group], notes: &mut Vec<Note>) -> Vec<Profile> {
    let mut keys: Vec<&str> = Vec::new();
    for group in groups.iter().filter(|g| !g.dead) {
        for key in group.keynames.iter().flatten() {
            if !keys.contains(&key.as_str()) {
                keys.push(key);
            }
        }
    }
    let mut profiles = Vec::new();
    for key in keys {
        let applies = |g: &&Group| match &g.keynames {
            Some(names) => names.iter().any(|n| n == key),
            None => true,
        };
        let own = |g: &&Group| g.keynames.is_some();
        profiles.push(profile(
            plain_name(key),
            Some(key),
            groups.iter().filter(|g| !g.dead).filter(applies).collect(),
            own,
            notes,
        ));
    }
    let any: Vec<&Group> = groups
        .iter()
        .filter(|g| !g.dead && g.keynames.is_none())
        .collect();
    if !any.is_empty() {
        profiles.push(profile(
            ANY_KEY_PROFILE.to_owned(),
            None,
            any,
            |_| true,
            notes,
        ));
    }
    profiles
}

/// One profile: the groups that apply to `key`, under the `from` of the
/// first group that names the key (or, for the any-key profile, the
/// first group). sshgate's `from` is per profile, so a group with another
/// `from` cannot be carried over exactly: a group without `from` is kept
/// (it then applies only from the profile's addresses: narrower), any
/// other is written commented out.
fn profile(
    name: String,
    key: Option<&str>,
    groups: Vec<&Group>,
    decides_from: impl Fn(&&Group) -> bool,
    notes: &mut Vec<Note>,
) -> Profile {
    let from = groups
        .iter()
        .find(|g| decides_from(g))
        .and_then(|g| g.from.clone());
    let mut rules = Vec::new();
    for group in &groups {
        if group.from == from {
            rules.extend(group.rules.iter().cloned());
        } else if group.from.is_none() {
            notes.push(Note {
                location: group.location.clone(),
                kind: NoteKind::Approximate,
                message: format!(
                    "this group allows any address, but in profile {name} its rules apply only \
                     from the profile's `from` (sshgate's `from` is per profile): narrower"
                ),
            });
            rules.extend(group.rules.iter().cloned());
        } else {
            let why = format!(
                "authprogs allowed this only from {}, and profile {name} has `from = {}`; \
                 sshgate's `from` is per profile: move it to a profile of its own",
                group
                    .from
                    .iter()
                    .flatten()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", "),
                toml_strings(from.as_deref().unwrap_or(&[]))
            );
            notes.push(Note {
                location: group.location.clone(),
                kind: NoteKind::NeedsReview,
                message: format!("in profile {name}: {why}"),
            });
            rules.extend(group.rules.iter().cloned().map(|mut rule| {
                rule.review.get_or_insert(why.clone());
                rule
            }));
        }
    }
    let description = match key {
        Some(key) => format!("authprogs rules for --keyname={key}"),
        None => "authprogs rules for any key (groups without keynames)".to_owned(),
    };
    Profile {
        name,
        description,
        from,
        keys: key.map(|k| vec![k.to_owned()]),
        rules,
    }
}

struct Converter<'a> {
    options: &'a Options,
    notes: Vec<Note>,
    errors: Vec<ImportError>,
    file: PathBuf,
}

const GROUP_KEYS: &[&str] = &["from", "keynames", "allow"];
const COMMAND_KEYS: &[&str] = &["rule_type", "command", "allow_trailing_args", "pcre_match"];
const RSYNC_KEYS: &[&str] = &[
    "rule_type",
    "allow_upload",
    "allow_download",
    "allow_archive",
    "allow_recursive",
    "allow_links",
    "allow_perms",
    "allow_times",
    "allow_group",
    "allow_owner",
    "allow_devices",
    "allow_specials",
    "allow_checksum",
    "allow_acls",
    "allow_delete",
    "allow_verbose",
    "allow_info",
    "allow_debug",
    "paths",
    "path_startswith",
];
const SCP_KEYS: &[&str] = &[
    "rule_type",
    "allow_upload",
    "allow_download",
    "allow_recursive",
    "allow_recursion",
    "allow_permissions",
    "paths",
    "files",
];
/// A mapping's entries by key text.
struct Map<'n> {
    entries: Vec<(&'n str, &'n Node, usize)>,
}

impl<'n> Map<'n> {
    fn get(&self, key: &str) -> Option<&'n Node> {
        self.entries
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, v, _)| *v)
    }
}

impl Converter<'_> {
    fn at(&self, line: usize) -> String {
        location(&self.file, line)
    }

    fn error(&mut self, line: usize, message: impl Into<String>) {
        self.errors.push(ImportError {
            location: self.at(line),
            message: message.into(),
        });
    }

    fn note(&mut self, line: usize, kind: NoteKind, message: impl Into<String>) {
        self.notes.push(Note {
            location: self.at(line),
            kind,
            message: message.into(),
        });
    }

    /// The mapping's entries; unknown keys are noted (authprogs ignores
    /// them, so the conversion does too, but a human should know: it is
    /// usually a typo that authprogs silently let pass).
    fn map<'n>(&mut self, node: &'n Node, known: &[&str], what: &str) -> Option<Map<'n>> {
        let Node::Map { entries, .. } = node else {
            self.error(
                node.line(),
                format!(
                    "{what} is {} where authprogs expects a mapping (`key: value`)",
                    node.kind()
                ),
            );
            return None;
        };
        let mut map = Map {
            entries: Vec::new(),
        };
        for (key, value) in entries {
            let Some(text) = key.as_text() else {
                self.error(key.line(), format!("{what} has a key that is not a string"));
                continue;
            };
            if !known.contains(&text) {
                let hint = closest(text, known)
                    .map(|k| format!("; did you mean `{k}`?"))
                    .unwrap_or_default();
                self.note(
                    key.line(),
                    NoteKind::NeedsReview,
                    format!(
                        "unknown key `{text}` in {what}, ignored as authprogs ignores it{hint} \
                         (expected one of {})",
                        known
                            .iter()
                            .map(|k| format!("`{k}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
            }
            map.entries.push((text, value, key.line()));
        }
        Some(map)
    }

    /// A boolean flag; absent or null is `default`.
    fn flag(&mut self, map: &Map<'_>, key: &str, default: bool) -> Option<bool> {
        match map.get(key) {
            None => Some(default),
            Some(node) if node.is_null() => Some(default),
            Some(node) => match node.as_bool() {
                Some(value) => Some(value),
                None => {
                    self.error(
                        node.line(),
                        format!("`{key}` must be true or false (write `{key}: true`)"),
                    );
                    None
                }
            },
        }
    }

    /// A list of strings, or one string.
    fn strings(&mut self, node: &Node, key: &str) -> Vec<String> {
        let mut out = Vec::new();
        for item in node.one_or_many() {
            match item.as_text() {
                Some(text) => out.push(text.to_owned()),
                None => self.error(
                    item.line(),
                    format!("`{key}` holds {} where a string was expected", item.kind()),
                ),
            }
        }
        out
    }

    fn group(&mut self, node: &Node) -> Option<Group> {
        let map = self.map(node, GROUP_KEYS, "a rule group")?;
        let line = node.line();
        let mut dead = false;
        let from = match map.get("from") {
            None => None,
            Some(value) if value.one_or_many().is_empty() => None,
            Some(value) => {
                let mut networks = Vec::new();
                for entry in value.one_or_many() {
                    let Some(text) = entry.as_text() else {
                        self.error(entry.line(), "`from` entries must be addresses or networks");
                        continue;
                    };
                    match network(text) {
                        Ok((network, None)) => networks.push(network),
                        Ok((network, Some(why))) => {
                            self.note(entry.line(), NoteKind::Info, why);
                            networks.push(network);
                        }
                        Err(why) => self.note(entry.line(), NoteKind::NeedsReview, why),
                    }
                }
                if networks.is_empty() {
                    dead = true;
                    self.note(
                        line,
                        NoteKind::NeedsReview,
                        "no `from` entry of this group is an address, so authprogs never \
                         applied it: its rules are not imported",
                    );
                }
                networks.dedup();
                Some(networks)
            }
        };
        let keynames = match map.get("keynames") {
            None => None,
            Some(value) => {
                let names = self.strings(value, "keynames");
                let mut valid = Vec::new();
                for name in names.iter().cloned() {
                    if name.chars().all(|c| {
                        c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@' | ':')
                    }) && !name.is_empty()
                    {
                        valid.push(name);
                    } else {
                        self.note(
                            value.line(),
                            NoteKind::NeedsReview,
                            format!(
                                "key name {name:?} cannot be an sshgate --key (letters, digits, \
                                 `- _ . @ :`): rename it here and in authorized_keys"
                            ),
                        );
                    }
                }
                if valid.is_empty() && !names.is_empty() {
                    // Every key it names was noted above; any key instead
                    // would widen the group.
                    dead = true;
                    self.note(
                        value.line(),
                        NoteKind::NeedsReview,
                        "no key name of this group can be an sshgate --key: its rules are not \
                         imported",
                    );
                    None
                } else if valid.is_empty() {
                    // authprogs: an empty list means any key.
                    None
                } else {
                    Some(valid)
                }
            }
        };
        let mut rules = Vec::new();
        match map.get("allow") {
            None => self.error(
                line,
                "the group has no `allow`: authprogs fails on it; add `allow:` with its rules",
            ),
            Some(allow) if allow.is_null() => self.error(
                allow.line(),
                "`allow` is empty: authprogs fails on it; list rules under it or delete the group",
            ),
            Some(allow) => {
                for rule in allow.one_or_many() {
                    if let Some(rule) = self.rule(rule) {
                        rules.extend(rule);
                    }
                }
            }
        }
        Some(Group {
            location: self.at(line),
            from,
            keynames,
            rules,
            dead,
        })
    }

    /// One subrule; `Some(None)` when it allows nothing.
    fn rule(&mut self, node: &Node) -> Option<Option<DraftRule>> {
        let rule_type = match node {
            Node::Map { entries, .. } => entries
                .iter()
                .find(|(k, _)| k.as_text() == Some("rule_type"))
                .map(|(_, v)| v.as_text().unwrap_or("").to_owned())
                .unwrap_or_else(|| "command".to_owned()),
            _ => "command".to_owned(),
        };
        match rule_type.as_str() {
            "command" => {
                let map = self.map(node, COMMAND_KEYS, "a command rule")?;
                self.command_rule(node.line(), &map).map(Some)
            }
            "rsync" => {
                let map = self.map(node, RSYNC_KEYS, "an rsync rule")?;
                self.rsync_rule(node.line(), &map)
            }
            "scp" => {
                let map = self.map(node, SCP_KEYS, "an scp rule")?;
                self.scp_rule(node.line(), &map)
            }
            other => {
                self.error(
                    node.line(),
                    format!(
                        "unknown rule_type {other:?}: authprogs knows `command`, `rsync` and `scp`"
                    ),
                );
                None
            }
        }
    }

    fn command_rule(&mut self, line: usize, map: &Map<'_>) -> Option<DraftRule> {
        let Some(command) = map.get("command").and_then(Node::as_text) else {
            self.error(line, "a command rule needs `command: PROGRAM ARGS...`");
            return None;
        };
        let trailing = self.flag(map, "allow_trailing_args", false)?;
        let pcre = self.flag(map, "pcre_match", false)?;
        self.command(line, command, trailing, pcre)
    }

    /// A command rule: the words of `command` (a prefix of them with
    /// `trailing`), or its regex with `pcre`.
    fn command(
        &mut self,
        line: usize,
        command: &str,
        trailing: bool,
        pcre: bool,
    ) -> Option<DraftRule> {
        let mut source = format!("{}: command: {command}", self.at(line));
        if trailing {
            source.push_str(" (allow_trailing_args)");
        }
        if pcre {
            source.push_str(" (pcre_match)");
        }
        let draft = |name: &str, body: Vec<String>, review: Option<String>| DraftRule {
            source: source.clone(),
            name: plain_name(name),
            body,
            review,
        };
        if pcre && trailing {
            self.note(
                line,
                NoteKind::Approximate,
                "authprogs 0.7.5 ignores `pcre_match` when `allow_trailing_args` is set, and \
                 compares the words literally; imported the same way",
            );
        }
        let args: Vec<pcre::Arg> = if pcre && !trailing {
            match pcre::convert(command) {
                Ok(args) => args,
                Err(why) => {
                    let why = format!("pcre_match regex not converted: {why}");
                    self.note(line, NoteKind::NeedsReview, why.clone());
                    return Some(draft("pcre", vec![], Some(why)));
                }
            }
        } else {
            let words: Vec<&str> = command.split_whitespace().collect();
            if let Some(word) = words.iter().find(|w| {
                tokenize::split(w.as_bytes()).ok().as_deref() != Some(&[(**w).to_owned()][..])
            }) {
                let why = format!(
                    "the word `{word}` holds shell syntax (quotes, `$`, `;`, globs...) that \
                     authprogs passed on literally and sshgate's tokenizer refuses or unquotes"
                );
                self.note(line, NoteKind::NeedsReview, why.clone());
                return Some(draft("command", vec![], Some(why)));
            }
            words
                .into_iter()
                .map(|w| pcre::Arg::Literal(w.to_owned()))
                .collect()
        };
        let Some(pcre::Arg::Literal(program)) = args.first() else {
            self.error(line, "`command` is empty");
            return None;
        };
        let base = program.rsplit('/').next().unwrap_or(program).to_owned();
        let resolved = self.program(line, program);
        // A rule left for review still shows its arguments, with the
        // program as written, so that only the path needs fixing.
        let mut items = vec![toml_string(resolved.as_deref().unwrap_or(program))];
        for arg in &args[1..] {
            items.push(match arg {
                pcre::Arg::Literal(text) => toml_string(text),
                pcre::Arg::Regex(regex) => format!("{{ regex = {} }}", toml_string(regex)),
            });
        }
        let mut body = vec![format!("command = [{}]", items.join(", "))];
        if trailing {
            body.push("trailing_args = true".to_owned());
        }
        match resolved {
            Ok(_) => Some(draft(&base, body, None)),
            Err(why) => {
                self.note(line, NoteKind::NeedsReview, why.clone());
                Some(draft(&base, body, Some(why)))
            }
        }
    }

    /// The absolute program for a rule's first word.
    fn program(&mut self, line: usize, program: &str) -> Result<String, String> {
        if program.starts_with('/') {
            return Ok(program.to_owned());
        }
        if program.contains('/') {
            return Err(format!(
                "the program `{program}` is a relative path; authprogs ran it from the \
                 account's home directory: write its absolute path"
            ));
        }
        match resolve_program(program, &self.options.search_path) {
            Some(found) => {
                let found = found.display().to_string();
                self.note(
                    line,
                    NoteKind::Info,
                    format!(
                        "program `{program}` resolved to {found} on this host ({}); authprogs \
                         looked it up in sshd's PATH at each run",
                        self.search_path_text()
                    ),
                );
                Ok(found)
            }
            None => Err(format!(
                "the program `{program}` is not in {} on this host: write its absolute path",
                self.search_path_text()
            )),
        }
    }

    fn search_path_text(&self) -> String {
        self.options
            .search_path
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(":")
    }
}

/// Puts the notes in source order (file, then line), the order a reader
/// goes through the configuration in; the sort is stable, so notes on one
/// line keep the order they were made in.
pub(crate) fn sort_notes(notes: &mut [Note]) {
    notes.sort_by_key(|note| {
        let (file, line) = note
            .location
            .rsplit_once(':')
            .map(|(file, line)| (file.to_owned(), line.parse::<usize>().unwrap_or(0)))
            .unwrap_or_else(|| (note.location.clone(), 0));
        (file, line)
    });
}

/// An authprogs `from` entry in sshgate's form: host bits cleared as
/// Python's `ip_network(..., strict=False)` does, `*` and `any` as the
/// IPv4 world they mean there. The second value notes a change.
fn network(text: &str) -> Result<(String, Option<String>), String> {
    if text.eq_ignore_ascii_case("any") || text == "*" {
        return Ok((
            "0.0.0.0/0".to_owned(),
            Some(format!(
                "`{text}` means every IPv4 address to authprogs (not IPv6): written 0.0.0.0/0"
            )),
        ));
    }
    let unparseable = || {
        format!(
            "`from` entry {text:?} is not an address or network; authprogs skipped it, and so \
             does the import"
        )
    };
    let (address, prefix) = match text.split_once('/') {
        Some((address, prefix)) => (address, Some(prefix)),
        None => (text, None),
    };
    let address: IpAddr = address.parse().map_err(|_| unparseable())?;
    let max = if address.is_ipv4() { 32 } else { 128 };
    let prefix: u8 = match prefix {
        None => max,
        Some(prefix) => prefix
            .parse()
            .ok()
            .filter(|p| *p <= max)
            .ok_or_else(unparseable)?,
    };
    let bits = match address {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => u128::from(v6),
    };
    let keep = if prefix == 0 {
        0
    } else {
        (u128::MAX << (u32::from(max - prefix))) & (u128::MAX >> (128 - u32::from(max)))
    };
    let network_bits = bits & keep;
    let network: IpAddr = match address {
        IpAddr::V4(_) => IpAddr::V4((network_bits as u32).into()),
        IpAddr::V6(_) => IpAddr::V6(network_bits.into()),
    };
    let written = if prefix == max {
        network.to_string()
    } else {
        format!("{network}/{prefix}")
    };
    let note = (network_bits != bits)
        .then(|| format!("`{text}` has host bits set; authprogs ignored them: written {written}"));
    Ok((written, note))
}

/// The known key closest to a misspelt one, if it is close enough to be
/// a typo (one edit in four characters).
fn closest<'k>(unknown: &str, known: &[&'k str]) -> Option<&'k str> {
    let allowed = (unknown.chars().count() / 4).max(1);
    known
        .iter()
        .map(|k| (edit_distance(unknown, k), *k))
        .filter(|(d, _)| *d <= allowed)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] = (previous + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(current + 1);
            previous = current;
        }
    }
    row[b.len()]
}

/// Reads the configuration file and the directory's files (regular files
/// not starting with `.`, in name order), as authprogs concatenates them.
pub fn read_sources(file: Option<&Path>, dir: Option<&Path>) -> Result<Vec<Source>, String> {
    let mut paths = Vec::new();
    if let Some(file) = file {
        paths.push(file.to_path_buf());
    }
    if let Some(dir) = dir {
        let entries =
            std::fs::read_dir(dir).map_err(|e| format!("{}: cannot read: {e}", dir.display()))?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        paths.extend(files);
    }
    paths
        .into_iter()
        .map(|path| {
            std::fs::read_to_string(&path)
                .map(|text| Source {
                    path: path.clone(),
                    text,
                })
                .map_err(|e| format!("{}: cannot read: {e}", path.display()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_entries_follow_python_ipaddress() {
        assert_eq!(network("192.0.2.10").unwrap(), ("192.0.2.10".into(), None));
        let (net, note) = network("192.0.2.7/24").unwrap();
        assert_eq!(net, "192.0.2.0/24");
        assert!(note.is_some());
        assert_eq!(network("2001:db8::1/64").unwrap().0, "2001:db8::/64");
        assert_eq!(network("any").unwrap().0, "0.0.0.0/0");
        assert!(network("backup.example.org").is_err());
        assert!(network("10.0.0.0/33").is_err());
    }

    fn convert_text(text: &str) -> Result<Import, Vec<ImportError>> {
        let source = Source {
            path: PathBuf::from("t.yaml"),
            text: text.to_owned(),
        };
        let options = Options {
            search_path: Vec::new(),
        };
        convert(&[source], &options)
    }

    #[test]
    fn a_group_whose_keys_cannot_be_named_is_not_widened_to_any_key() {
        let import =
            convert_text("- keynames: ['bad key']\n  allow:\n    command: /bin/true\n").unwrap();
        assert!(import.profiles.is_empty(), "{:?}", import.profiles);
        assert_eq!(import.count(NoteKind::NeedsReview), 2, "{:?}", import.notes);
    }

    #[test]
    fn allow_may_be_one_rule_and_flags_follow_yaml_1_1() {
        let import =
            convert_text("- allow:\n    command: /bin/ls\n    allow_trailing_args: yes\n").unwrap();
        let rule = &import.profiles[0].rules[0];
        assert_eq!(
            rule.body,
            ["command = [\"/bin/ls\"]", "trailing_args = true"]
        );
        assert_eq!(import.profiles[0].name, ANY_KEY_PROFILE);
    }

    #[test]
    fn rules_authprogs_refuses_are_errors_with_their_line() {
        let errors = convert_text(
            "- allow:\n  - rule_type: rsync\n    allow_archive: true\n    allow_recursive: false\n",
        )
        .unwrap_err();
        assert_eq!(errors[0].location, "t.yaml:2");
        assert!(
            errors[0].message.contains("drop one of them"),
            "{}",
            errors[0].message
        );
        let errors =
            convert_text("- allow:\n  - command: /bin/ls\n    pcre_match: maybe\n").unwrap_err();
        assert_eq!(errors[0].location, "t.yaml:3");
        let errors = convert_text("from: 192.0.2.1\n").unwrap_err();
        assert!(
            errors[0].message.contains("start each group with `- `"),
            "{}",
            errors[0].message
        );
    }

    #[test]
    fn typos_get_the_key_they_meant() {
        assert_eq!(
            closest("allow_trailing_arg", COMMAND_KEYS),
            Some("allow_trailing_args")
        );
        assert_eq!(closest("keyname", GROUP_KEYS), Some("keynames"));
        assert_eq!(closest("zzz", GROUP_KEYS), None);
    }
}
