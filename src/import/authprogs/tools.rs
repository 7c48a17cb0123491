//! authprogs' rsync and scp subrules, as sshgate tool rules.
//!
//! authprogs parses the tool's server command line against per-rule
//! `allow_*` flags and path lists; sshgate's tool rules name trees and
//! check their own option tables. The two overlap but are not the same, so
//! every flag authprogs refused that sshgate's rule does not is noted.

use super::{Converter, Map};
use crate::import::{DraftRule, NoteKind, toml_strings};

/// What `allow_archive` turns on (authprogs' `expand_rule`).
const ARCHIVE_KEYS: &[&str] = &[
    "allow_recursive",
    "allow_links",
    "allow_perms",
    "allow_times",
    "allow_group",
    "allow_owner",
    "allow_devices",
    "allow_specials",
];

impl Converter<'_> {
    /// The rule's absolute paths from `keys`, each noted when it cannot be
    /// used; `None` when none of the keys is present (any path).
    fn paths(&mut self, map: &Map<'_>, keys: &[&str]) -> Option<Vec<String>> {
        let mut present = false;
        let mut paths: Vec<String> = Vec::new();
        for key in keys {
            let Some(node) = map.get(key) else { continue };
            present = true;
            for path in self.strings(node, key) {
                if !path.starts_with('/') {
                    self.note(
                        node.line(),
                        NoteKind::NeedsReview,
                        format!(
                            "`{key}` entry {path:?} is not absolute; sshgate's tool rules need \
                             absolute paths: left out"
                        ),
                    );
                    continue;
                }
                let trimmed = match path.trim_end_matches('/') {
                    "" => "/".to_owned(),
                    trimmed => trimmed.to_owned(),
                };
                if !paths.contains(&trimmed) {
                    paths.push(trimmed);
                }
            }
        }
        present.then_some(paths)
    }

    /// An rsync subrule: `Some(None)` when it allows nothing, `None`
    /// after an error.
    pub(super) fn rsync_rule(&mut self, line: usize, map: &Map<'_>) -> Option<Option<DraftRule>> {
        let archive = self.flag(map, "allow_archive", false)?;
        if archive {
            for key in ARCHIVE_KEYS {
                if !self.flag(map, key, true)? {
                    self.error(
                        line,
                        format!(
                            "`allow_archive: true` with `{key}: false`: authprogs refuses this \
                             rule; drop one of them"
                        ),
                    );
                    return None;
                }
            }
        }
        let allowed = |this: &mut Self, key: &str, default: bool| {
            if archive && ARCHIVE_KEYS.contains(&key) {
                Some(true)
            } else {
                this.flag(map, key, default)
            }
        };
        let upload = allowed(self, "allow_upload", false)?;
        let download = allowed(self, "allow_download", false)?;
        let delete = allowed(self, "allow_delete", false)?;
        let devices = allowed(self, "allow_devices", false)?;
        let specials = allowed(self, "allow_specials", false)?;
        let source = format!("{}: rule_type: rsync", self.at(line));
        if !upload && !download {
            self.note(
                line,
                NoteKind::Info,
                "this rsync rule allows neither upload nor download, so it allowed nothing: \
                 left out",
            );
            return Some(None);
        }
        // What authprogs refused that sshgate's rsync rule does not.
        let mut lost = Vec::new();
        for (key, option, default) in [
            ("allow_recursive", "-r", false),
            ("allow_links", "-l", false),
            ("allow_perms", "-p", false),
            ("allow_group", "-g", false),
            ("allow_owner", "-o", false),
            ("allow_acls", "-A", false),
            ("allow_checksum", "-c", true),
            ("allow_times", "-t", true),
            ("allow_info", "--info", true),
            ("allow_debug", "--debug", true),
        ] {
            if !allowed(self, key, default)? {
                lost.push(option.to_owned());
            }
        }
        match map.get("allow_verbose") {
            Some(node) if node.as_bool() == Some(false) => lost.push("-v".to_owned()),
            Some(node) if node.as_bool().is_none() && !node.is_null() => {
                lost.push(format!("more than {} -v", node.as_text().unwrap_or("?")));
            }
            _ => {}
        }
        if devices != specials {
            lost.push(if devices { "--specials" } else { "--devices" }.to_owned());
        }
        let direction = match (download, upload) {
            (true, true) => "rsync",
            (true, false) => "rsync-download",
            (false, true) => "rsync-upload",
            (false, false) => "rsync",
        };
        let Some(paths) = self.paths(map, &["paths", "path_startswith"]) else {
            let why = "authprogs allowed any path for this rsync rule; sshgate's needs the \
                       trees: fill in `send`/`receive`"
                .to_owned();
            self.note(line, NoteKind::NeedsReview, why.clone());
            let mut fields = Vec::new();
            if download {
                fields.push("send = [\"/CHANGE-ME\"]".to_owned());
            }
            if upload {
                fields.push("receive = [\"/CHANGE-ME\"]".to_owned());
            }
            return Some(Some(DraftRule {
                source,
                name: direction.to_owned(),
                body: vec![format!("rsync = {{ {} }}", fields.join(", "))],
                review: Some(why),
            }));
        };
        if paths.is_empty() {
            self.note(
                line,
                NoteKind::NeedsReview,
                "no usable path in this rsync rule: left out",
            );
            return Some(None);
        }
        if map.get("paths").is_some() {
            self.note(
                line,
                NoteKind::Approximate,
                "authprogs matched `paths` exactly; sshgate's rsync rule also allows what lies \
                 beneath each (the same when it is a file)",
            );
        }
        if !lost.is_empty() {
            self.note(
                line,
                NoteKind::Approximate,
                format!(
                    "sshgate's rsync rule does not refuse {}, which this authprogs rule refused \
                     (the sandbox still keeps rsync inside the rule's paths)",
                    lost.join(", ")
                ),
            );
        }
        let mut fields = Vec::new();
        if download {
            fields.push(format!("send = {}", toml_strings(&paths)));
        }
        if upload {
            fields.push(format!("receive = {}", toml_strings(&paths)));
        }
        if delete {
            fields.push("delete = true".to_owned());
        }
        if devices && specials {
            fields.push("devices = true".to_owned());
        }
        Some(Some(DraftRule {
            source,
            name: direction.to_owned(),
            body: vec![format!("rsync = {{ {} }}", fields.join(", "))],
            review: None,
        }))
    }

    /// An scp subrule: `Some(None)` when it allows nothing, `None` after
    /// an error.
    pub(super) fn scp_rule(&mut self, line: usize, map: &Map<'_>) -> Option<Option<DraftRule>> {
        let upload = self.flag(map, "allow_upload", false)?;
        let download = self.flag(map, "allow_download", false)?;
        let recursive_new = self.flag(map, "allow_recursive", false)?;
        let recursive_old = self.flag(map, "allow_recursion", false)?;
        // authprogs 0.7.5 tests `rule.get('allow_permissions', 'true')`:
        // -p is allowed unless the rule says false (its manual says the
        // default is false).
        let preserve = self.flag(map, "allow_permissions", true)?;
        let source = format!("{}: rule_type: scp", self.at(line));
        if map.get("allow_recursion").is_some()
            && map.get("allow_recursive").is_some()
            && recursive_new != recursive_old
        {
            self.note(
                line,
                NoteKind::Info,
                "`allow_recursive` and `allow_recursion` disagree, so authprogs skipped this rule: \
                 left out",
            );
            return Some(None);
        }
        let recursive = recursive_new || recursive_old;
        if !upload && !download {
            self.note(
                line,
                NoteKind::Info,
                "this scp rule allows neither upload nor download, so it allowed nothing: left out",
            );
            return Some(None);
        }
        let name = match (download, upload) {
            (true, false) => "scp-download",
            (false, true) => "scp-upload",
            _ => "scp",
        };
        let mut fields = Vec::new();
        let paths = self.paths(map, &["paths", "files"]);
        let review = match &paths {
            None => {
                let why = "authprogs allowed any path for this scp rule; sshgate's needs them: \
                           fill in `download`/`upload`"
                    .to_owned();
                self.note(line, NoteKind::NeedsReview, why.clone());
                Some(why)
            }
            Some(paths) if paths.is_empty() => {
                self.note(
                    line,
                    NoteKind::NeedsReview,
                    "no usable path in this scp rule: left out",
                );
                return Some(None);
            }
            Some(_) => {
                self.note(
                    line,
                    NoteKind::Approximate,
                    "authprogs allowed exactly the listed paths, one per request; sshgate's scp \
                     rule also allows what lies beneath each (the same when it is a file)",
                );
                None
            }
        };
        let listed = match &paths {
            Some(paths) => toml_strings(paths),
            None => "[\"/CHANGE-ME\"]".to_owned(),
        };
        if download {
            fields.push(format!("download = {listed}"));
        }
        if upload {
            fields.push(format!("upload = {listed}"));
        }
        if recursive {
            fields.push("recursive = true".to_owned());
        }
        if preserve {
            fields.push("preserve = true".to_owned());
        }
        Some(Some(DraftRule {
            source,
            name: name.to_owned(),
            body: vec![format!("scp = {{ {} }}", fields.join(", "))],
            review,
        }))
    }
}
