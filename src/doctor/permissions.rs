//! Who can change what sshd reads before the gate: the authorized_keys
//! file, the directories above it, and the home directory.
//!
//! The walk mirrors sshd's StrictModes check (`auth_secure_path`): the file
//! (symlinks resolved) and each directory above it, up to and including the
//! user's home directory, or up to `/` when the file is not beneath the
//! home, must be owned by the user or root and be neither group- nor
//! world-writable. sshd makes no exception for sticky directories such as
//! `/tmp`, so neither does doctor. The home directory is checked even when
//! the file lies elsewhere, because the login shell's startup files and
//! `~/.ssh/rc` live there.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use super::report::{Finding, Level};
use crate::request::User;

/// What is being judged, for the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The authorized_keys file itself.
    KeysFile,
    /// A directory above it.
    Directory,
    /// The owner's home directory.
    Home,
}

impl Kind {
    fn noun(self) -> &'static str {
        match self {
            Self::KeysFile => "authorized_keys file",
            Self::Directory => "directory",
            Self::Home => "home directory",
        }
    }
}

/// One path's ownership and mode, judged against `owner`. `strict_modes`:
/// the path is one sshd's StrictModes check covers, so sshd also refuses
/// the keys. `holder` names the path's owning account when it is neither
/// `owner` nor root.
pub fn judge(
    kind: Kind,
    path: &Path,
    (uid, mode): (u32, u32),
    owner: &User,
    holder: impl FnOnce(u32) -> String,
    strict_modes: bool,
) -> Vec<Finding> {
    let refused = if strict_modes {
        "; sshd's StrictModes refuses the keys"
    } else {
        ""
    };
    let location = path.display().to_string();
    let mut findings = Vec::new();
    if uid != 0 && uid != owner.uid {
        findings.push(Finding::located(
            Level::Warn,
            location.clone(),
            format!(
                "{} is owned by {} (uid {uid}), not by {} or root: that account can change \
                 what sshd reads before the gate runs{refused}",
                kind.noun(),
                holder(uid),
                owner.name
            ),
        ));
    }
    let writable = match (mode & 0o020 != 0, mode & 0o002 != 0) {
        (true, true) => Some("group- and world-writable"),
        (true, false) => Some("group-writable"),
        (false, true) => Some("world-writable"),
        (false, false) => None,
    };
    if let Some(writable) = writable {
        findings.push(Finding::located(
            Level::Warn,
            location,
            format!(
                "{} is {writable} (mode {:04o}): other users can change what sshd reads \
                 before the gate runs{refused}",
                kind.noun(),
                mode & 0o7777
            ),
        ));
    }
    findings
}

/// Checks `file`, the directories above it and the owner's home directory;
/// see the module documentation.
pub fn check(file: &Path, owner: &User) -> Vec<Finding> {
    let real = match fs::canonicalize(file) {
        Ok(real) => real,
        Err(error) => {
            return vec![Finding::located(
                Level::Warn,
                file.display().to_string(),
                format!("cannot resolve the path: {error}"),
            )];
        }
    };
    let home = fs::canonicalize(&owner.home).ok();
    let mut findings = check_path(Kind::KeysFile, &real, owner, true);
    let mut home_walked = false;
    for directory in real.ancestors().skip(1) {
        let is_home = home.as_deref() == Some(directory);
        let kind = if is_home { Kind::Home } else { Kind::Directory };
        findings.extend(check_path(kind, directory, owner, true));
        if is_home {
            home_walked = true;
            break;
        }
    }
    if let (Some(home), false) = (&home, home_walked) {
        findings.extend(check_path(Kind::Home, home, owner, false));
    }
    findings
}

fn check_path(kind: Kind, path: &Path, owner: &User, strict_modes: bool) -> Vec<Finding> {
    match fs::metadata(path) {
        Ok(metadata) => judge(
            kind,
            path,
            (metadata.uid(), metadata.mode()),
            owner,
            account_name,
            strict_modes,
        ),
        Err(error) => vec![Finding::located(
            Level::Warn,
            path.display().to_string(),
            format!("cannot examine the {}: {error}", kind.noun()),
        )],
    }
}

/// The name of `uid`'s account, or `?` when it has none (or the lookup
/// failed: the finding names the uid either way).
fn account_name(uid: u32) -> String {
    User::from_uid(uid).map_or_else(|_| "?".to_owned(), |user| user.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::path::PathBuf;

    fn alice() -> User {
        User {
            uid: 1000,
            name: "alice".to_owned(),
            home: PathBuf::from("/home/alice"),
            shell: PathBuf::from("/bin/sh"),
        }
    }

    fn messages(kind: Kind, uid: u32, mode: u32, strict: bool) -> Vec<String> {
        judge(
            kind,
            Path::new("/home/alice/.ssh"),
            (uid, mode),
            &alice(),
            |_| "bob".to_owned(),
            strict,
        )
        .iter()
        .map(ToString::to_string)
        .collect()
    }

    #[test]
    fn owned_by_the_user_or_root_and_not_writable_by_others() {
        assert!(messages(Kind::Directory, 1000, 0o40700, true).is_empty());
        assert!(messages(Kind::Directory, 0, 0o40755, true).is_empty());
        assert!(messages(Kind::KeysFile, 1000, 0o100644, true).is_empty());
    }

    #[test]
    fn writable_by_others() {
        assert_eq!(
            messages(Kind::Directory, 1000, 0o40777, true),
            [
                "WARN: /home/alice/.ssh: directory is group- and world-writable (mode 0777): \
              other users can change what sshd reads before the gate runs; sshd's StrictModes \
              refuses the keys"
            ]
        );
        assert_eq!(
            messages(Kind::Home, 1000, 0o40775, false),
            [
                "WARN: /home/alice/.ssh: home directory is group-writable (mode 0775): other \
              users can change what sshd reads before the gate runs"
            ]
        );
        // Sticky does not help: sshd refuses /tmp as well.
        assert_eq!(messages(Kind::Directory, 0, 0o41777, true).len(), 1);
    }

    #[test]
    fn owned_by_someone_else() {
        assert_eq!(
            messages(Kind::KeysFile, 1001, 0o100600, true),
            [
                "WARN: /home/alice/.ssh: authorized_keys file is owned by bob (uid 1001), not by \
              alice or root: that account can change what sshd reads before the gate runs; \
              sshd's StrictModes refuses the keys"
            ]
        );
    }
}
