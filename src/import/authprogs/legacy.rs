//! The original perl authprogs' `authprogs.conf`: sections headed
//! `[ ALL ]` or `[ ADDRESS ... ]`, each followed by exact commands, one per
//! line, with `#` comments.
//!
//! perl authprogs chose the sections by the client's address and allowed a
//! command listed under `[ ALL ]` or under a section naming the address.
//! sshgate's `from` is per profile, so each address section becomes its own
//! profile (its commands and the `[ ALL ]` ones, from its addresses), and
//! `[ ALL ]` one without `from`: each key's authorized_keys line then names
//! the profile for where the key connects from.

use super::{Converter, Options, Source};
use crate::import::{Import, ImportError, Note, NoteKind, Profile, location};

/// Profile name for the `[ ALL ]` section.
pub const ALL_PROFILE: &str = "legacy-all";

/// One section: its addresses (`None` for `[ ALL ]`) and its command
/// lines with their line numbers.
struct Section {
    addresses: Option<Vec<String>>,
    commands: Vec<(usize, String)>,
}

/// The addresses of a section header's inside, `None` inside for `ALL`;
/// `None` outside when it is malformed (the error is recorded).
#[allow(clippy::option_option)]
fn header(converter: &mut Converter<'_>, line: usize, inner: &str) -> Option<Option<Vec<String>>> {
    let words: Vec<&str> = inner.split_whitespace().collect();
    if words == ["ALL"] {
        return Some(None);
    }
    if words.is_empty() {
        converter.error(
            line,
            "an empty section header: write `[ ALL ]` or `[ ADDRESS ]`",
        );
        return None;
    }
    let mut addresses = Vec::new();
    for word in words {
        match super::network(word) {
            Ok((network, _)) => addresses.push(network),
            Err(_) => {
                converter.error(
                    line,
                    format!("{word:?} is not an address: write `[ ALL ]` or `[ 192.0.2.10 ]`"),
                );
                return None;
            }
        }
    }
    Some(Some(addresses))
}

/// Converts a perl authprogs configuration.
pub fn convert(source: &Source, options: &Options) -> Result<Import, Vec<ImportError>> {
    let mut converter = Converter {
        options,
        notes: Vec::new(),
        errors: Vec::new(),
        file: source.path.clone(),
    };
    let mut sections: Vec<Section> = Vec::new();
    // The section the next command lines belong to.
    let mut current: Option<usize> = None;
    for (index, raw) in source.text.lines().enumerate() {
        let line = index + 1;
        let text = raw.trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        if let Some(inner) = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
            let Some(addresses) = header(&mut converter, line, inner) else {
                current = None;
                continue;
            };
            // Two sections for the same addresses are one to perl
            // authprogs: it searched both.
            current = Some(
                match sections.iter().position(|s| s.addresses == addresses) {
                    Some(position) => position,
                    None => {
                        sections.push(Section {
                            addresses,
                            commands: Vec::new(),
                        });
                        sections.len() - 1
                    }
                },
            );
            continue;
        }
        match current.and_then(|i| sections.get_mut(i)) {
            Some(section) => section.commands.push((line, text.to_owned())),
            None => converter.error(
                line,
                "a command outside a valid section: put `[ ALL ]` or `[ ADDRESS ]` above it",
            ),
        }
    }
    if !converter.errors.is_empty() {
        return Err(converter.errors);
    }
    let convert_all = |converter: &mut Converter<'_>, commands: &[(usize, String)]| {
        commands
            .iter()
            .filter_map(|(line, command)| converter.command(*line, command, false, false))
            .collect::<Vec<_>>()
    };
    let all: Vec<(usize, String)> = sections
        .iter()
        .filter(|s| s.addresses.is_none())
        .flat_map(|s| s.commands.clone())
        .collect();
    let all_rules = convert_all(&mut converter, &all);
    let mut profiles = Vec::new();
    for section in &sections {
        let Some(addresses) = section.addresses.clone() else {
            continue;
        };
        let mut rules = convert_all(&mut converter, &section.commands);
        rules.extend(all_rules.iter().cloned());
        let first = addresses.first().cloned().unwrap_or_default();
        profiles.push(Profile {
            name: format!("legacy-from-{}", first.replace([':', '/'], "_")),
            description: format!("perl authprogs section [ {} ]", addresses.join(" ")),
            from: Some(addresses),
            keys: None,
            rules,
        });
    }
    if !all_rules.is_empty() {
        profiles.push(Profile {
            name: ALL_PROFILE.to_owned(),
            description: "perl authprogs section [ ALL ]".to_owned(),
            from: None,
            keys: None,
            rules: all_rules,
        });
    }
    let mut notes = converter.notes;
    if profiles.len() > 1 {
        notes.push(Note {
            location: location(&source.path, 1),
            kind: NoteKind::Info,
            message: "perl authprogs chose sections by client address; each address section \
                      is a profile (with the [ ALL ] commands): wire each key to the profile for \
                      where it connects from"
                .to_owned(),
        });
    }
    super::sort_notes(&mut notes);
    Ok(Import { profiles, notes })
}
