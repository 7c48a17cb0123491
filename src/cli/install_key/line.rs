//! The authorized_keys line install-key writes, and what goes into it: the
//! sshgate program named in `command=`, paths as line text, each word
//! quoted for the `sh -c` sshd runs the forced command with, and the
//! `restrict,command="..."[,from="..."] TYPE BASE64 [COMMENT]` line.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::error::InstallError;
use super::public_key::PublicKey;

/// `word` as one word for `sh -c`, which sshd runs the forced command
/// with: single-quoted unless it is plainly safe.
pub(super) fn shell_word(word: &str) -> String {
    let safe = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:@,+%".contains(&b));
    if safe {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// The forced command: sshgate with the profile, the policy directory when
/// it is not the default, and the key name.
pub(super) fn forced_command(
    sshgate: &str,
    profile: &str,
    policy_dir: Option<&str>,
    key: Option<&str>,
) -> String {
    let mut words = vec![sshgate, "--profile", profile];
    if let Some(dir) = policy_dir {
        words.extend(["--policy-dir", dir]);
    }
    if let Some(key) = key {
        words.extend(["--key", key]);
    }
    words
        .into_iter()
        .map(shell_word)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The authorized_keys line, without its newline. sshd's dequoting knows
/// one escape, `\"`; the command never ends in a backslash, because
/// [`shell_word`] quotes any word that holds one.
pub(super) fn authorized_keys_line(command: &str, from: &[String], key: &PublicKey) -> String {
    let mut line = format!("restrict,command=\"{}\"", command.replace('"', "\\\""));
    if !from.is_empty() {
        line.push_str(&format!(",from=\"{}\"", from.join(",")));
    }
    line.push_str(&format!(" {} {}", key.key_type, key.key_data));
    if !key.comment.is_empty() {
        line.push(' ');
        line.push_str(&key.comment);
    }
    line
}

/// `path` as text for the line: UTF-8 without control characters.
pub(super) fn line_text<'a>(what: &'static str, path: &'a Path) -> Result<&'a str, InstallError> {
    path.to_str()
        .filter(|text| !text.chars().any(char::is_control))
        .ok_or_else(|| InstallError::Unwritable {
            what,
            path: path.to_path_buf(),
        })
}

/// The sshgate program for `command=`: `given`, or this one.
pub(super) fn sshgate_program(given: Option<&Path>) -> Result<PathBuf, InstallError> {
    let path = match given {
        Some(path) => path.to_path_buf(),
        None => std::env::current_exe().map_err(|error| {
            InstallError::io(
                "cannot find this program's path",
                Path::new("/proc/self/exe"),
                error,
            )
        })?,
    };
    let refuse = |problem: &str| InstallError::Sshgate {
        path: path.clone(),
        problem: problem.to_owned(),
    };
    if !path.is_absolute() {
        return Err(refuse(
            "not an absolute path, and sshd runs command= from the user's home directory",
        ));
    }
    match fs::metadata(&path) {
        Err(error) => Err(refuse(&format!("{error}"))),
        Ok(metadata) if !metadata.is_file() => Err(refuse("not a regular file")),
        Ok(metadata) if metadata.permissions().mode() & 0o111 == 0 => Err(refuse("not executable")),
        Ok(_) => Ok(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::install_key::testing::{ED25519, key};
    use crate::doctor::authorized_keys::{self, Entry};

    #[test]
    fn the_line_reads_back_as_written() {
        let key = key(&format!("{ED25519} me@host")).unwrap();
        let command = forced_command(
            "/opt/my \"odd\" dir/it's/sshgate",
            "backup",
            Some("/srv/policies"),
            Some("b01"),
        );
        let line = authorized_keys_line(
            &command,
            &["192.0.2.0/24".to_owned(), "2001:db8::1".to_owned()],
            &key,
        );
        let Some(Entry::Key(parsed)) = authorized_keys::parse(&line).pop() else {
            panic!("not a key line: {line}");
        };
        assert!(parsed.has_restrict());
        assert!(parsed.still_allowed().is_empty());
        assert_eq!(parsed.command(), Some(command.as_str()));
        assert_eq!(parsed.value("from"), Some("192.0.2.0/24,2001:db8::1"));
        assert_eq!(parsed.key_data, key.key_data);
        assert_eq!(parsed.comment, "me@host");
        assert!(crate::doctor::sshd_config::command_runs_sshgate(&command));
    }

    #[test]
    fn the_shell_splits_the_command_into_the_words_given() {
        let words = [
            "/opt/a b/it's \"x\"\\/sshgate",
            "--profile",
            "p.1",
            "--key",
            "k@h:1",
        ];
        let command = words
            .iter()
            .map(|word| shell_word(word))
            .collect::<Vec<_>>()
            .join(" ");
        let output = std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(format!("printf '%s\\n' {command}"))
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&output.stdout),
            words.map(|word| format!("{word}\n")).concat()
        );
    }
}
