//! `sshgate install-key`: wires one public key to a profile with a
//! `restrict,command="..."` line in authorized_keys.
//!
//! Everything that can be wrong is checked before anything is written: the
//! sshgate program that goes into `command=`, the account, the profile (it
//! must exist and lint without errors, and accept the `--key` name), the
//! public key (one key line sshd can read, without options) and the
//! authorized_keys file (not a symlink, not already holding the key). The
//! line is built from those, and the file is rewritten atomically: a temp
//! file in the same directory with the old bytes, a newline if the last line
//! had none, and the new line; fsync; rename; fsync of the directory.
//!
//! The directory is opened once, without following a symlink, and every
//! later step works relative to it, so that a directory swapped in between
//! by the account whose home it is cannot redirect a write made as root.

use std::ffi::{OsStr, OsString};
use std::fmt::{self, Display, Formatter};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use nix::errno::Errno;
use nix::fcntl::{AtFlags, OFlag, openat, renameat};
use nix::sys::stat::{FileStat, Mode, SFlag, fchmod, fstat, fstatat, mkdirat};
use nix::unistd::{Gid, Uid, UnlinkatFlags, fchown, fsync, geteuid, unlinkat};
use serde::Deserialize;
use serde::de::IntoDeserializer;
use serde::de::value::{Error as ValueError, StrDeserializer};

use crate::audit::escape_control;
use crate::doctor::authorized_keys::{self, Entry, KEY_TYPES};
use crate::doctor::shell::{self, ShellVerdict};
use crate::exit;
use crate::policy::lint::{LintOptions, Severity, lint_file};
use crate::policy::{Cidr, DEFAULT_POLICY_DIR, KeyName, PolicyError, load_untrusted, profile_path};
use crate::request::{Account, AccountError, RequestError, User};

/// The largest public key file read. An RSA key of 16384 bits is under
/// 3 KiB; anything much larger is not a public key.
const MAX_PUBKEY_BYTES: u64 = 64 * 1024;

/// Mode of a `~/.ssh` that install-key creates: sshd's StrictModes wants
/// it writable by the owner only, and nobody else needs to list it.
const SSH_DIR_MODE: u32 = 0o700;

/// Mode of an authorized_keys file that install-key creates.
const KEYS_FILE_MODE: u32 = 0o600;

/// Arguments of `sshgate install-key`.
#[derive(Debug, Args)]
pub struct InstallKeyArgs {
    /// The profile the key is for: the gate loads <policy-dir>/NAME.toml.
    /// It must exist and pass `sshgate lint` without errors.
    #[arg(long, value_name = "NAME")]
    profile: String,

    /// Name the key for the profile's `keys` list: the line runs
    /// `sshgate ... --key NAME`. Letters, digits and - _ . @ : only.
    /// Required when the profile has `keys`, and must be one of them.
    #[arg(long, value_name = "NAME", value_parser = key_name)]
    key: Option<String>,

    /// The authorized_keys file to add the line to. [default: ~/.ssh/authorized_keys
    /// of --user, from its passwd entry as sshd reads it, not $HOME]
    #[arg(long = "authorized-keys", value_name = "FILE")]
    authorized_keys: Option<PathBuf>,

    /// Accept the key only from these client addresses: an IPv4 or IPv6
    /// address or CIDR network, comma-separated or repeated. Written as
    /// from="..." beside the command. Hostnames and wildcards are refused:
    /// they would make sshd trust reverse DNS. [default: any address]
    #[arg(long, value_name = "CIDR", value_delimiter = ',', value_parser = from_entry)]
    from: Vec<String>,

    /// Directory the profile is looked up in. A directory other than the
    /// default is written into the line as --policy-dir DIR, made absolute.
    #[arg(long, value_name = "DIR", default_value = DEFAULT_POLICY_DIR)]
    policy_dir: PathBuf,

    /// The account whose ~/.ssh/authorized_keys gets the line, and who owns
    /// what install-key creates (~/.ssh at 0700, the file at 0600). Another
    /// account than your own needs root. [default: the invoking user]
    #[arg(long, value_name = "USER")]
    user: Option<String>,

    /// The sshgate program named in command=. It must be an absolute path
    /// to an executable file. [default: this sshgate, as /proc/self/exe
    /// names it (symlinks resolved)]
    #[arg(long, value_name = "PATH")]
    sshgate: Option<PathBuf>,

    /// Check everything and print the line on stdout, but write nothing.
    #[arg(long)]
    dry_run: bool,

    /// The public key: a file holding one line `TYPE BASE64 [COMMENT]`, as
    /// ssh-keygen writes to *.pub, or `-` for standard input.
    #[arg(value_name = "PUBKEY_FILE|-")]
    pubkey: PathBuf,
}

/// Why install-key refused or failed; each says what to do about it.
#[derive(Debug)]
pub enum InstallError {
    /// The public key could not be read.
    ReadKey {
        /// Where it was read from, as shown to the user.
        origin: String,
        /// What the read reported.
        source: io::Error,
    },
    /// The public key is not one key line sshd could read.
    BadKey {
        /// Where it was read from, as shown to the user.
        origin: String,
        /// What is wrong with it, and what to do.
        problem: String,
    },
    /// The authorized_keys file already holds the key.
    KeyPresent {
        /// The file.
        file: PathBuf,
        /// The line holding the key, from 1.
        line: usize,
        /// That line's `command=`, if any.
        command: Option<String>,
        /// Why sshd ignores that line, if it does.
        ignored: Option<String>,
    },
    /// The profile name could not name a file in the policy directory.
    ProfileName(PolicyError),
    /// The profile's file does not exist.
    NoProfile {
        /// The profile name.
        name: String,
        /// The file it would be.
        file: PathBuf,
        /// The profiles the directory has, or why it could not be listed.
        available: Result<Vec<String>, io::Error>,
    },
    /// `sshgate lint` finds errors in the profile.
    LintErrors {
        /// The profile's file.
        file: PathBuf,
        /// The error findings, as lint prints them.
        findings: Vec<String>,
    },
    /// The profile's `keys` would deny every request with this key.
    KeyNotAllowed {
        /// The profile's file.
        file: PathBuf,
        /// The `--key` name, if one was given.
        key: Option<String>,
        /// The profile's `keys`.
        allowed: Vec<String>,
    },
    /// The sshgate program cannot go into `command=`.
    Sshgate {
        /// The program.
        path: PathBuf,
        /// Why not.
        problem: String,
    },
    /// A path cannot be written into the line (not UTF-8, or control
    /// characters).
    Unwritable {
        /// What the path is, e.g. "the policy directory".
        what: &'static str,
        /// The path.
        path: PathBuf,
    },
    /// The invoking user could not be looked up.
    InvokingUser(RequestError),
    /// The `--user` account could not be looked up.
    Account(AccountError),
    /// Only root may install a key for another account.
    OtherUserNeedsRoot {
        /// The account named with `--user`.
        user: String,
    },
    /// The account's passwd entry has no absolute home directory.
    NoHome {
        /// The account.
        user: String,
    },
    /// The authorized_keys file, or its directory, is a symbolic link.
    Symlink {
        /// The link.
        path: PathBuf,
        /// Where it points, when that could be read.
        target: Option<PathBuf>,
        /// What the link is in place of: "file" or "directory".
        what: &'static str,
    },
    /// The authorized_keys path is something other than a regular file.
    NotRegular {
        /// The path.
        path: PathBuf,
    },
    /// The authorized_keys path names no file (e.g. `/`).
    NoFileName {
        /// The path.
        path: PathBuf,
    },
    /// Reading or writing failed.
    Io {
        /// What was being done, e.g. "cannot read".
        action: String,
        /// The path it was done to.
        path: PathBuf,
        /// What the system reported.
        source: io::Error,
    },
    /// The file changed between reading and replacing it.
    Changed {
        /// The file.
        path: PathBuf,
    },
}

impl InstallError {
    /// The exit status for this error: [`exit::IO`] when the system failed
    /// us, [`exit::NEGATIVE`] when install-key refused.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::ReadKey { .. } | Self::Io { .. } | Self::Changed { .. } => exit::IO,
            Self::InvokingUser(_) => exit::IO,
            Self::Account(AccountError::Absent { .. }) => exit::NEGATIVE,
            Self::Account(_) => exit::IO,
            _ => exit::NEGATIVE,
        }
    }

    fn io(action: impl Into<String>, path: &Path, source: impl Into<io::Error>) -> Self {
        Self::Io {
            action: action.into(),
            path: path.to_path_buf(),
            source: source.into(),
        }
    }
}

impl Display for InstallError {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Self::ReadKey { origin, source } => {
                write!(f, "cannot read the public key from {origin}: {source}")
            }
            Self::BadKey { origin, problem } => write!(f, "{origin}: {problem}"),
            Self::KeyPresent {
                file,
                line,
                command,
                ignored,
            } => {
                write!(f, "{}:{line}: this key is already there", file.display())?;
                match (ignored, command) {
                    (Some(reason), _) => write!(
                        f,
                        ", on a line sshd ignores ({}); fix or remove that line, then run \
                         install-key again",
                        escape_control(reason.as_bytes())
                    ),
                    (None, Some(command)) => write!(
                        f,
                        " with command=\"{}\"; a key is installed once: edit or remove that \
                         line to wire it differently",
                        escape_control(command.as_bytes())
                    ),
                    (None, None) => write!(
                        f,
                        " without command=, so it logs in unrestricted; remove that line, then \
                         run install-key again"
                    ),
                }
            }
            Self::ProfileName(error) => write!(f, "{error}"),
            Self::NoProfile {
                name,
                file,
                available,
            } => {
                write!(
                    f,
                    "profile {name:?} does not exist: there is no {}",
                    file.display()
                )?;
                match available {
                    Ok(names) if names.is_empty() => {
                        write!(f, " (the directory has no *.toml profiles)")?
                    }
                    Ok(names) => write!(f, " (profiles there: {})", names.join(", "))?,
                    Err(error) => write!(f, " (cannot list the directory: {error})")?,
                }
                write!(
                    f,
                    "; write the policy first, or name its directory with --policy-dir"
                )
            }
            Self::LintErrors { file, findings } => {
                write!(
                    f,
                    "profile {} has lint errors, so the gate would deny every request; fix \
                     them first (`sshgate lint {}`):",
                    file.display(),
                    file.display()
                )?;
                for finding in findings {
                    write!(f, "\n  {finding}")?;
                }
                Ok(())
            }
            Self::KeyNotAllowed { file, key, allowed } => {
                let allowed = if allowed.is_empty() {
                    "an empty list".to_owned()
                } else {
                    allowed.join(", ")
                };
                match key {
                    None => write!(
                        f,
                        "profile {} restricts `keys` ({allowed}), and a line without --key is \
                         denied every request; name the key with --key",
                        file.display()
                    ),
                    Some(key) => write!(
                        f,
                        "key {key:?} is not in the `keys` of profile {} ({allowed}), so every \
                         request with it would be denied; add it to `keys` there, or use one \
                         of those names",
                        file.display()
                    ),
                }
            }
            Self::Sshgate { path, problem } => write!(
                f,
                "cannot put {} in command=: {problem}; name the installed sshgate with \
                 --sshgate /ABSOLUTE/PATH",
                path.display()
            ),
            Self::Unwritable { what, path } => write!(
                f,
                "{what} {} cannot be written into an authorized_keys line (it is not UTF-8 or \
                 holds control characters); use a plainer path",
                escape_control(path.as_os_str().as_bytes())
            ),
            Self::InvokingUser(error) => write!(f, "{error}"),
            Self::Account(error) => write!(f, "{error}; check the name given with --user"),
            Self::OtherUserNeedsRoot { user } => write!(
                f,
                "only root can install a key for another account ({user:?}); run install-key \
                 as root, or as {user:?}"
            ),
            Self::NoHome { user } => write!(
                f,
                "user {user:?} has no absolute home directory in its passwd entry; name the \
                 file with --authorized-keys"
            ),
            Self::Symlink { path, target, what } => {
                write!(f, "{} is a symbolic link", path.display())?;
                if let Some(target) = target {
                    write!(f, " (to {})", target.display())?;
                }
                write!(
                    f,
                    "; install-key does not write through a symlinked {what}, which could \
                     point anywhere: name the real file with --authorized-keys"
                )
            }
            Self::NotRegular { path } => write!(
                f,
                "{} is not a regular file; name the authorized_keys file with --authorized-keys",
                path.display()
            ),
            Self::NoFileName { path } => write!(
                f,
                "--authorized-keys {} does not name a file",
                path.display()
            ),
            Self::Io {
                action,
                path,
                source,
            } => write!(f, "{action} {}: {source}", path.display()),
            Self::Changed { path } => write!(
                f,
                "{} changed while install-key was editing it; nothing was written, run \
                 install-key again",
                path.display()
            ),
        }
    }
}

impl std::error::Error for InstallError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::ReadKey { source, .. } | Self::Io { source, .. } => Some(source),
            Self::ProfileName(error) => Some(error),
            Self::InvokingUser(error) => Some(error),
            Self::Account(error) => Some(error),
            _ => None,
        }
    }
}

/// `--key`: a name the policy's `keys` can hold, by the policy's own rule.
fn key_name(text: &str) -> Result<String, String> {
    let deserializer: StrDeserializer<'_, ValueError> = text.into_deserializer();
    KeyName::deserialize(deserializer)
        .map(|name| name.as_str().to_owned())
        .map_err(|error| error.to_string())
}

/// One `--from` entry: an address or CIDR network, as the profile's `from`
/// reads them, kept as written.
fn from_entry(text: &str) -> Result<String, String> {
    let text = text.trim();
    Cidr::parse(text)
        .map(|_| text.to_owned())
        .map_err(|error| format!("{error}; --from takes IP addresses and CIDR networks"))
}

/// A public key as authorized_keys holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PublicKey {
    key_type: String,
    /// The base64 word, checked to decode to a key of `key_type`.
    key_data: String,
    comment: String,
}

/// Reads the one key line in `bytes`, from `origin`.
fn parse_public_key(bytes: &[u8], origin: &str) -> Result<PublicKey, InstallError> {
    let bad = |problem: String| InstallError::BadKey {
        origin: origin.to_owned(),
        problem,
    };
    let text = std::str::from_utf8(bytes)
        .map_err(|_| bad("is not text; give the *.pub file that ssh-keygen wrote".to_owned()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(index, line)| (index + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'))
        .collect();
    let line = match lines.as_slice() {
        [] => return Err(bad("holds no key".to_owned())),
        [(_, line)] => *line,
        [(_, first), ..] if first.starts_with("---- BEGIN SSH2 PUBLIC KEY") => {
            return Err(bad(
                "is an RFC 4716 (SSH2) public key; convert it with `ssh-keygen -i -f FILE`"
                    .to_owned(),
            ));
        }
        [(_, first), ..] if first.starts_with("-----BEGIN") && first.contains("PRIVATE KEY") => {
            return Err(bad(
                "is a PRIVATE key; give the public key (the *.pub file), and keep this one secret"
                    .to_owned(),
            ));
        }
        [(_, first), ..] if first.starts_with("-----BEGIN") => {
            return Err(bad(
                "is a PEM key; convert it with `ssh-keygen -i -m PKCS8 -f FILE`".to_owned(),
            ));
        }
        several => {
            let numbers: Vec<String> = several.iter().map(|(n, _)| n.to_string()).collect();
            return Err(bad(format!(
                "holds {} lines (lines {}); install one key at a time",
                several.len(),
                numbers.join(", ")
            )));
        }
    };
    let key = match authorized_keys::parse(line).pop() {
        Some(Entry::Key(key)) => key,
        Some(Entry::Invalid { reason, .. }) => {
            let first = line.split([' ', '\t']).next().unwrap_or_default();
            return Err(bad(if KEY_TYPES.contains(&first) {
                escape_control(reason.as_bytes())
            } else if reason.starts_with("unknown key type") || reason.starts_with("no key") {
                format!(
                    "unknown key type {:?}; sshd reads {}",
                    escape_control(first.as_bytes()),
                    KEY_TYPES.join(", ")
                )
            } else {
                format!(
                    "starts with options ({}); give the bare key: install-key writes the \
                     options itself",
                    escape_control(reason.as_bytes())
                )
            }));
        }
        None => return Err(bad("holds no key".to_owned())),
    };
    if !key.options.is_empty() {
        return Err(bad(
            "starts with options; give the bare key `TYPE BASE64 [COMMENT]`: install-key writes \
             the options itself"
                .to_owned(),
        ));
    }
    if key.key_data.is_empty() {
        return Err(bad(format!(
            "has the key type {} but no key after it",
            key.key_type
        )));
    }
    let blob = decode_base64(&key.key_data).ok_or_else(|| {
        bad("the key is not valid base64; copy the whole *.pub line again".to_owned())
    })?;
    match blob_type(&blob) {
        Some(inner) if inner == key.key_type.as_bytes() => {}
        Some(inner) => {
            return Err(bad(format!(
                "the line says {} but the key inside is {}; copy the whole *.pub line again",
                key.key_type,
                escape_control(inner)
            )));
        }
        None => {
            return Err(bad(
                "the key is truncated or not an SSH key; copy the whole *.pub line again"
                    .to_owned(),
            ));
        }
    }
    if key.comment.chars().any(char::is_control) {
        return Err(bad(
            "the comment holds control characters; remove them from the *.pub line".to_owned(),
        ));
    }
    Ok(PublicKey {
        key_type: key.key_type,
        key_data: key.key_data,
        comment: key.comment,
    })
}

/// The key type an SSH key blob starts with (an RFC 4251 `string`), if it
/// is followed by key material.
fn blob_type(blob: &[u8]) -> Option<&[u8]> {
    let length: [u8; 4] = blob.get(..4)?.try_into().ok()?;
    let length = usize::try_from(u32::from_be_bytes(length)).ok()?;
    let end = length.checked_add(4)?;
    (blob.len() > end).then(|| &blob[4..end])
}

/// Decodes standard base64 with padding (RFC 4648, section 4), the form
/// sshd reads keys in; `None` for anything else.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    fn value(byte: u8) -> Option<u32> {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        Some(u32::from(value))
    }
    let bytes = text.as_bytes();
    if bytes.is_empty() || bytes.len() % 4 != 0 {
        return None;
    }
    let last = bytes.len() / 4 - 1;
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    for (index, chunk) in bytes.chunks_exact(4).enumerate() {
        let padding = chunk.iter().rev().take_while(|&&byte| byte == b'=').count();
        if padding > 2 || (padding > 0 && index != last) {
            return None;
        }
        let mut group = 0u32;
        for &byte in &chunk[..4 - padding] {
            group = (group << 6) | value(byte)?;
        }
        group <<= 6 * padding;
        let [_, a, b, c] = group.to_be_bytes();
        out.extend_from_slice(&[a, b, c][..3 - padding]);
    }
    Some(out)
}

/// `word` as one word for `sh -c`, which sshd runs the forced command
/// with: single-quoted unless it is plainly safe.
fn shell_word(word: &str) -> String {
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
fn forced_command(
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
fn authorized_keys_line(command: &str, from: &[String], key: &PublicKey) -> String {
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
fn line_text<'a>(what: &'static str, path: &'a Path) -> Result<&'a str, InstallError> {
    path.to_str()
        .filter(|text| !text.chars().any(char::is_control))
        .ok_or_else(|| InstallError::Unwritable {
            what,
            path: path.to_path_buf(),
        })
}

/// The sshgate program for `command=`: `given`, or this one.
fn sshgate_program(given: Option<&Path>) -> Result<PathBuf, InstallError> {
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

/// The account the key is installed for.
fn target_account(user: Option<&str>) -> Result<Account, InstallError> {
    let name = match user {
        Some(name) => name.to_owned(),
        None => User::current().map_err(InstallError::InvokingUser)?.name,
    };
    let account = Account::look_up(&name).map_err(InstallError::Account)?;
    let euid = geteuid();
    if account.user.uid != euid.as_raw() && !euid.is_root() {
        return Err(InstallError::OtherUserNeedsRoot { user: name });
    }
    Ok(account)
}

/// What the profile check leaves to say: lint warnings, which do not stop
/// the install.
struct ProfileCheck {
    file: PathBuf,
    warnings: Vec<String>,
}

/// Checks that profile `name` in `dir` exists, lints without errors as
/// seen by `uid`, and accepts `key`.
fn check_profile(
    dir: &Path,
    name: &str,
    key: Option<&str>,
    uid: u32,
) -> Result<ProfileCheck, InstallError> {
    let file = profile_path(dir, name).map_err(InstallError::ProfileName)?;
    match fs::metadata(&file) {
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            return Err(InstallError::NoProfile {
                name: name.to_owned(),
                file,
                available: profiles_in(dir),
            });
        }
        // Anything else, lint reports as a finding.
        _ => {}
    }
    let findings = lint_file(
        &file,
        LintOptions {
            strict: false,
            invoking_uid: uid,
        },
    );
    let shown = |severity: Severity| -> Vec<String> {
        findings
            .iter()
            .filter(|finding| finding.severity == severity)
            .map(|finding| {
                let location = finding
                    .location
                    .map(|location| format!(":{location}"))
                    .unwrap_or_default();
                format!(
                    "{}{location}: {}: {}",
                    file.display(),
                    finding.severity,
                    finding.message
                )
            })
            .collect()
    };
    let errors = shown(Severity::Error);
    if !errors.is_empty() {
        return Err(InstallError::LintErrors {
            file,
            findings: errors,
        });
    }
    let loaded = load_untrusted(&file).map_err(|error| InstallError::LintErrors {
        file: file.clone(),
        findings: vec![error.to_string()],
    })?;
    if let Some(keys) = &loaded.policy.keys {
        let allowed: Vec<String> = keys.iter().map(|k| k.as_str().to_owned()).collect();
        if !key.is_some_and(|key| allowed.iter().any(|name| name == key)) {
            return Err(InstallError::KeyNotAllowed {
                file,
                key: key.map(str::to_owned),
                allowed,
            });
        }
    }
    Ok(ProfileCheck {
        warnings: shown(Severity::Warning),
        file,
    })
}

/// The profile names in `dir`, sorted.
fn profiles_in(dir: &Path) -> Result<Vec<String>, io::Error> {
    let mut names: Vec<String> = fs::read_dir(dir)?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let path = entry.path();
            (path.extension() == Some(OsStr::new("toml")))
                .then(|| {
                    path.file_stem()
                        .map(|stem| stem.to_string_lossy().into_owned())
                })
                .flatten()
        })
        .collect();
    names.sort();
    Ok(names)
}

/// Reads the public key from `path`, or standard input for `-`.
fn read_public_key(path: &Path) -> Result<PublicKey, InstallError> {
    let (origin, reader): (String, Box<dyn Read>) = if path == Path::new("-") {
        ("standard input".to_owned(), Box::new(io::stdin()))
    } else {
        let origin = path.display().to_string();
        let file = File::open(path).map_err(|source| InstallError::ReadKey {
            origin: origin.clone(),
            source,
        })?;
        (origin, Box::new(file))
    };
    let mut bytes = Vec::new();
    reader
        .take(MAX_PUBKEY_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| InstallError::ReadKey {
            origin: origin.clone(),
            source,
        })?;
    if bytes.len() as u64 > MAX_PUBKEY_BYTES {
        return Err(InstallError::BadKey {
            origin,
            problem: format!("is larger than {MAX_PUBKEY_BYTES} bytes, too large for a public key"),
        });
    }
    parse_public_key(&bytes, &origin)
}

/// The authorized_keys file, opened through its directory.
struct KeysFile {
    path: PathBuf,
    /// The directory, opened without following a symlink; `None` when it
    /// does not exist yet (and a dry run does not create it).
    dir: Option<File>,
    name: OsString,
    /// What the file holds now, if it exists.
    existing: Option<Existing>,
}

/// An authorized_keys file that exists.
struct Existing {
    bytes: Vec<u8>,
    stat: FileStat,
}

/// Who should own a file or directory install-key creates.
#[derive(Debug, Clone, Copy)]
struct Owner {
    uid: u32,
    gid: u32,
    /// Whether install-key runs as root and so must give it away.
    chown: bool,
}

impl Owner {
    /// Gives the file or directory open as `fd` to this owner, if needed.
    fn apply(&self, fd: impl AsFd, path: &Path) -> Result<(), InstallError> {
        if self.chown {
            fchown(
                fd,
                Some(Uid::from_raw(self.uid)),
                Some(Gid::from_raw(self.gid)),
            )
            .map_err(|errno| InstallError::io("cannot change the owner of", path, errno))?;
        }
        Ok(())
    }
}

/// The error for a path component that is a symbolic link.
fn symlink_error(path: &Path, what: &'static str) -> InstallError {
    InstallError::Symlink {
        path: path.to_path_buf(),
        target: fs::read_link(path).ok(),
        what,
    }
}

/// Opens directory `dir` without following a symlink in its last
/// component; `Ok(None)` when it does not exist.
fn open_dir(dir: &Path) -> Result<Option<File>, InstallError> {
    match fs::symlink_metadata(dir) {
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(InstallError::io("cannot examine", dir, error)),
        Ok(metadata) if metadata.file_type().is_symlink() => {
            return Err(symlink_error(dir, "directory"));
        }
        Ok(_) => {}
    }
    OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(dir)
        .map(Some)
        .map_err(|error| match error.raw_os_error() {
            Some(libc::ELOOP) => symlink_error(dir, "directory"),
            _ => InstallError::io("cannot open the directory", dir, error),
        })
}

/// Creates directory `dir` (whose parent must exist) at mode 0700 for
/// `owner`, and opens it.
fn create_dir(dir: &Path, owner: Owner) -> Result<File, InstallError> {
    let (Some(parent), Some(name)) = (dir.parent(), dir.file_name()) else {
        return Err(InstallError::NoFileName {
            path: dir.to_path_buf(),
        });
    };
    let parent_fd = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY | libc::O_CLOEXEC)
        .open(parent)
        .map_err(|error| {
            let action = if error.kind() == io::ErrorKind::NotFound {
                // Creating a whole missing home would hide a wrong path.
                format!(
                    "cannot create {} (install-key creates only the last directory):",
                    dir.display()
                )
            } else {
                format!("cannot create {} in", dir.display())
            };
            InstallError::io(action, parent, error)
        })?;
    mkdirat(&parent_fd, name, Mode::from_bits_truncate(SSH_DIR_MODE))
        .map_err(|errno| InstallError::io("cannot create", dir, errno))?;
    let fd = openat(
        &parent_fd,
        name,
        OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(|errno| InstallError::io("cannot open", dir, errno))?;
    let dir_file = File::from(fd);
    owner.apply(&dir_file, dir)?;
    // The umask may have taken bits off; the mode must be exact.
    fchmod(&dir_file, Mode::from_bits_truncate(SSH_DIR_MODE))
        .map_err(|errno| InstallError::io("cannot set the mode of", dir, errno))?;
    Ok(dir_file)
}

/// Opens the authorized_keys file at `path` through its directory and
/// reads it, refusing symlinks and anything but a regular file.
fn open_keys_file(path: &Path) -> Result<KeysFile, InstallError> {
    let (Some(dir_path), Some(name)) = (path.parent(), path.file_name()) else {
        return Err(InstallError::NoFileName {
            path: path.to_path_buf(),
        });
    };
    let mut file = KeysFile {
        path: path.to_path_buf(),
        dir: open_dir(dir_path)?,
        name: name.to_os_string(),
        existing: None,
    };
    let Some(dir) = &file.dir else {
        return Ok(file);
    };
    let stat = match fstatat(dir, name, AtFlags::AT_SYMLINK_NOFOLLOW) {
        Err(Errno::ENOENT) => return Ok(file),
        Err(errno) => return Err(InstallError::io("cannot examine", path, errno)),
        Ok(stat) => stat,
    };
    match SFlag::from_bits_truncate(stat.st_mode) & SFlag::S_IFMT {
        SFlag::S_IFREG => {}
        SFlag::S_IFLNK => return Err(symlink_error(path, "file")),
        _ => return Err(InstallError::NotRegular { path: file.path }),
    }
    // O_NONBLOCK: a FIFO swapped in after the check cannot hang us; the
    // fstat below then sees it is not the file that was examined.
    let fd = openat(
        dir,
        name,
        OFlag::O_RDONLY | OFlag::O_NOFOLLOW | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(|errno| match errno {
        Errno::ELOOP => symlink_error(path, "file"),
        errno => InstallError::io("cannot open", path, errno),
    })?;
    let opened = fstat(&fd).map_err(|errno| InstallError::io("cannot examine", path, errno))?;
    if (opened.st_dev, opened.st_ino) != (stat.st_dev, stat.st_ino) {
        return Err(InstallError::Changed { path: file.path });
    }
    let mut bytes = Vec::new();
    File::from(fd)
        .read_to_end(&mut bytes)
        .map_err(|error| InstallError::io("cannot read", path, error))?;
    file.existing = Some(Existing {
        bytes,
        stat: opened,
    });
    Ok(file)
}

/// The line of `text` that already holds `key`: a key line with the same
/// type and key, or a line sshd ignores that holds the same key word.
fn find_key(text: &[u8], key: &PublicKey) -> Option<(usize, Option<String>, Option<String>)> {
    let text = String::from_utf8_lossy(text);
    authorized_keys::parse(&text)
        .into_iter()
        .find_map(|entry| match entry {
            Entry::Key(line) => (line.key_type == key.key_type && line.key_data == key.key_data)
                .then(|| (line.line, line.command().map(str::to_owned), None)),
            Entry::Invalid { line, reason } => text
                .lines()
                .nth(line - 1)
                .is_some_and(|raw| raw.split([' ', '\t']).any(|word| word == key.key_data))
                .then_some((line, None, Some(reason))),
        })
}

/// The new contents: `old` byte for byte, a newline if its last line has
/// none, then `line` and a newline. Also returns the new line's number.
fn appended(old: &[u8], line: &str) -> (Vec<u8>, usize) {
    let mut bytes = old.to_vec();
    if !bytes.is_empty() && !bytes.ends_with(b"\n") {
        bytes.push(b'\n');
    }
    let number = bytes.iter().filter(|&&byte| byte == b'\n').count() + 1;
    bytes.extend_from_slice(line.as_bytes());
    bytes.push(b'\n');
    (bytes, number)
}

/// Whether `now` is still the file `then` described.
fn same_file(then: &FileStat, now: &FileStat) -> bool {
    (
        then.st_dev,
        then.st_ino,
        then.st_size,
        then.st_mtime,
        then.st_mtime_nsec,
    ) == (
        now.st_dev,
        now.st_ino,
        now.st_size,
        now.st_mtime,
        now.st_mtime_nsec,
    )
}

/// Replaces (or creates) the file with `contents`: temp file in the same
/// directory, owner and mode of the old file (or `owner` and 0600 for a new
/// one), fsync, rename, fsync of the directory.
fn replace(file: &KeysFile, dir: &File, contents: &[u8], owner: Owner) -> Result<(), InstallError> {
    let path = &file.path;
    let (temp_name, temp) = create_temp(dir, &file.name, path)?;
    let result = (|| {
        let mut temp = File::from(temp);
        temp.write_all(contents)
            .map_err(|error| InstallError::io("cannot write a temp file beside", path, error))?;
        match &file.existing {
            Some(existing) => {
                let stat = &existing.stat;
                let current = fstat(&temp).map_err(|errno| {
                    InstallError::io("cannot examine a temp file beside", path, errno)
                })?;
                if (current.st_uid, current.st_gid) != (stat.st_uid, stat.st_gid) {
                    fchown(
                        &temp,
                        Some(Uid::from_raw(stat.st_uid)),
                        Some(Gid::from_raw(stat.st_gid)),
                    )
                    .map_err(|errno| {
                        InstallError::io(
                            "cannot keep the owner (run as root or as the owner) of",
                            path,
                            errno,
                        )
                    })?;
                }
                // After the chown, which clears set-id bits.
                fchmod(&temp, Mode::from_bits_truncate(stat.st_mode & 0o7777))
                    .map_err(|errno| InstallError::io("cannot keep the mode of", path, errno))?;
            }
            None => {
                owner.apply(&temp, path)?;
                fchmod(&temp, Mode::from_bits_truncate(KEYS_FILE_MODE))
                    .map_err(|errno| InstallError::io("cannot set the mode of", path, errno))?;
            }
        }
        fsync(&temp)
            .map_err(|errno| InstallError::io("cannot sync a temp file beside", path, errno))?;
        // Someone else's edit since we read the file would be lost by the
        // rename; refuse instead.
        let now = match fstatat(dir, file.name.as_os_str(), AtFlags::AT_SYMLINK_NOFOLLOW) {
            Ok(now) => Some(now),
            Err(Errno::ENOENT) => None,
            Err(errno) => return Err(InstallError::io("cannot examine", path, errno)),
        };
        let unchanged = match (&file.existing, &now) {
            (Some(existing), Some(now)) => same_file(&existing.stat, now),
            (None, None) => true,
            _ => false,
        };
        if !unchanged {
            return Err(InstallError::Changed { path: path.clone() });
        }
        renameat(dir, temp_name.as_os_str(), dir, file.name.as_os_str())
            .map_err(|errno| InstallError::io("cannot rename a temp file to", path, errno))?;
        Ok(())
    })();
    if result.is_err() {
        // The temp file is ours and useless now; failing to remove it
        // changes nothing about the error being reported.
        let _ = unlinkat(dir, temp_name.as_os_str(), UnlinkatFlags::NoRemoveDir);
        return result;
    }
    fsync(dir).map_err(|errno| InstallError::io("cannot sync the directory of", path, errno))
}

/// Creates a fresh temp file beside `name` in `dir`, mode 0600.
fn create_temp(
    dir: &File,
    name: &OsStr,
    path: &Path,
) -> Result<(OsString, std::os::fd::OwnedFd), InstallError> {
    let pid = std::process::id();
    let mut last = Errno::EEXIST;
    for attempt in 0..100u32 {
        let mut temp_name = OsString::from(".");
        temp_name.push(name);
        temp_name.push(format!(".sshgate-{pid}-{attempt}"));
        match openat(
            dir,
            temp_name.as_os_str(),
            OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
            Mode::from_bits_truncate(KEYS_FILE_MODE),
        ) {
            Ok(fd) => return Ok((temp_name, fd)),
            Err(Errno::EEXIST) => last = Errno::EEXIST,
            Err(errno) => {
                last = errno;
                break;
            }
        }
    }
    Err(InstallError::io(
        "cannot create a temp file beside",
        path,
        last,
    ))
}

/// What was done, for the report.
struct Done {
    path: PathBuf,
    line_number: usize,
    created_dir: Option<PathBuf>,
    created_file: bool,
}

/// Everything checked and built, ready to write.
struct Plan {
    line: String,
    account: Account,
    keys_file: KeysFile,
    profile: ProfileCheck,
}

/// Runs every check and builds the line.
fn plan(args: &InstallKeyArgs) -> Result<Plan, InstallError> {
    let sshgate = sshgate_program(args.sshgate.as_deref())?;
    let sshgate = line_text("the sshgate program", &sshgate)?.to_owned();
    let account = target_account(args.user.as_deref())?;
    let policy_dir = std::path::absolute(&args.policy_dir)
        .map_err(|error| InstallError::io("cannot make absolute", &args.policy_dir, error))?;
    let profile = check_profile(
        &policy_dir,
        &args.profile,
        args.key.as_deref(),
        account.user.uid,
    )?;
    let key = read_public_key(&args.pubkey)?;
    let path = match &args.authorized_keys {
        Some(path) => std::path::absolute(path)
            .map_err(|error| InstallError::io("cannot make absolute", path, error))?,
        None => {
            let home = &account.user.home;
            if !home.is_absolute() {
                return Err(InstallError::NoHome {
                    user: account.user.name.clone(),
                });
            }
            home.join(".ssh").join("authorized_keys")
        }
    };
    let keys_file = open_keys_file(&path)?;
    if let Some(existing) = &keys_file.existing {
        if let Some((line, command, ignored)) = find_key(&existing.bytes, &key) {
            return Err(InstallError::KeyPresent {
                file: path,
                line,
                command,
                ignored,
            });
        }
    }
    let policy_dir = (policy_dir != Path::new(DEFAULT_POLICY_DIR))
        .then(|| line_text("the policy directory", &policy_dir))
        .transpose()?;
    let command = forced_command(&sshgate, &args.profile, policy_dir, args.key.as_deref());
    Ok(Plan {
        line: authorized_keys_line(&command, &args.from, &key),
        account,
        keys_file,
        profile,
    })
}

/// Writes the planned line.
fn write(plan: &mut Plan) -> Result<Done, InstallError> {
    let owner = Owner {
        uid: plan.account.user.uid,
        gid: plan.account.gid,
        chown: geteuid().is_root(),
    };
    let mut created_dir = None;
    if plan.keys_file.dir.is_none() {
        let dir = plan.keys_file.path.parent().unwrap_or(Path::new("/"));
        plan.keys_file.dir = Some(create_dir(dir, owner)?);
        created_dir = Some(dir.to_path_buf());
    }
    let keys_file = &plan.keys_file;
    let old = keys_file
        .existing
        .as_ref()
        .map_or(&[][..], |existing| existing.bytes.as_slice());
    let (contents, line_number) = appended(old, &plan.line);
    let Some(dir) = &keys_file.dir else {
        return Err(InstallError::NoFileName {
            path: keys_file.path.clone(),
        });
    };
    replace(keys_file, dir, &contents, owner)?;
    Ok(Done {
        path: keys_file.path.clone(),
        line_number,
        created_dir,
        created_file: keys_file.existing.is_none(),
    })
}

/// What sshd runs beside the gate, said after writing (DESIGN.md, "What
/// runs beside the gate"): brief, with the check that covers it all.
fn reminder(account: &Account, path: &Path) -> String {
    let user = &account.user.name;
    // sshd runs /bin/sh for an account with an empty shell field.
    let shell = if account.user.shell.as_os_str().is_empty() {
        PathBuf::from("/bin/sh")
    } else {
        account.user.shell.clone()
    };
    let real = fs::canonicalize(&shell).ok();
    let fix = format!("use {} (chsh -s /bin/sh {user})", shell::RECOMMENDED);
    let shell_note = match shell::judge(&shell, real.as_deref()) {
        _ if real.is_none() => format!("does not exist, so sshd refuses the login; {fix}"),
        ShellVerdict::Quiet => "reads no startup files before the gate".to_owned(),
        ShellVerdict::ReadsStartupFiles(why) => format!("{why}, before the gate; {fix}"),
        ShellVerdict::RunsNoCommand => {
            format!("cannot run a forced command, so the gate never runs; {fix}")
        }
        ShellVerdict::Unknown => {
            format!("may read startup files before the gate (sshgate does not know it); {fix}")
        }
    };
    let mut text = format!(
        "What sshd runs beside the gate:\n\
         \x20 - forwarding, a pty, ~/.ssh/rc: off for this key (`restrict`);\n\
         \x20 - the login shell of {user}, {}: {shell_note};\n\
         \x20 - the home directory and ~/.ssh must not be writable by the sandboxed command \
         (keep them out of every `write` path), or it could add a key without command=.\n",
        shell.display()
    );
    if account.user.uid == 0 {
        text.push_str(
            "  - a root key needs `PermitRootLogin forced-commands-only` in sshd_config.\n",
        );
    }
    text.push_str(&format!(
        "Check it all with: sshgate doctor --authorized-keys {}\n",
        shell_word(&path.display().to_string())
    ));
    text
}

/// Runs `install-key`.
pub fn run(args: &InstallKeyArgs) -> ExitCode {
    let mut plan = match plan(args) {
        Ok(plan) => plan,
        Err(error) => {
            eprintln!("sshgate install-key: {error}");
            return ExitCode::from(error.exit_code());
        }
    };
    if !plan.profile.warnings.is_empty() {
        // Warnings do not stop the install, but may explain a denial later.
        eprintln!(
            "sshgate install-key: note: `sshgate lint {}` warns (not refused):",
            plan.profile.file.display()
        );
        for warning in &plan.profile.warnings {
            eprintln!("  {warning}");
        }
    }
    if args.dry_run {
        println!("{}", plan.line);
        eprintln!(
            "sshgate install-key: dry run: {} was not changed",
            plan.keys_file.path.display()
        );
        return ExitCode::from(exit::OK);
    }
    let done = match write(&mut plan) {
        Ok(done) => done,
        Err(error) => {
            eprintln!("sshgate install-key: {error}");
            return ExitCode::from(error.exit_code());
        }
    };
    if let Some(dir) = &done.created_dir {
        println!(
            "created {} (mode 0700, owner {})",
            dir.display(),
            plan.account.user.name
        );
    }
    if done.created_file {
        println!(
            "created {} (mode 0600, owner {}) with the key on line 1:",
            done.path.display(),
            plan.account.user.name
        );
    } else {
        println!(
            "added line {} to {} (other lines, mode and owner kept):",
            done.line_number,
            done.path.display()
        );
    }
    println!("{}", plan.line);
    print!("{}", reminder(&plan.account, &done.path));
    ExitCode::from(exit::OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ED25519: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGnXn9rD0VhQ8e5FzqB0mJqB1Zq0cP2TtM0bR5mJ3oQx";

    fn key(text: &str) -> Result<PublicKey, String> {
        parse_public_key(text.as_bytes(), "k.pub").map_err(|error| error.to_string())
    }

    #[test]
    fn base64_decodes_as_rfc_4648_says() {
        assert_eq!(decode_base64("Zm9vYmFy").as_deref(), Some(&b"foobar"[..]));
        assert_eq!(decode_base64("Zm9vYg==").as_deref(), Some(&b"foob"[..]));
        assert_eq!(decode_base64("Zm9vYmE=").as_deref(), Some(&b"fooba"[..]));
        for bad in ["", "Zm9", "Zm9v!mFy", "Zg==Zm9v", "Z===", "Zm=v"] {
            assert_eq!(decode_base64(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_public_key_line_is_read_with_its_comment() {
        let key = key(&format!("{ED25519}  backup01@host  \n")).unwrap();
        assert_eq!(key.key_type, "ssh-ed25519");
        assert_eq!(key.comment, "backup01@host");
        let bare = self::key(ED25519).unwrap();
        assert_eq!(bare.comment, "");
    }

    #[test]
    fn malformed_public_keys_say_what_is_wrong() {
        let cases = [
            ("", "k.pub: holds no key"),
            (
                &format!("{ED25519} a\n{ED25519} b\n"),
                "k.pub: holds 2 lines (lines 1, 2); install one key at a time",
            ),
            (
                "ssh-ed448 AAAA c",
                "k.pub: unknown key type \"ssh-ed448\"; sshd reads ssh-ed25519",
            ),
            (
                &format!("restrict {ED25519}"),
                "k.pub: starts with options; give the bare key",
            ),
            (
                &format!("bogus-option {ED25519}"),
                "k.pub: starts with options (unknown option \"bogus-option\")",
            ),
            (
                "ssh-ed25519",
                "k.pub: has the key type ssh-ed25519 but no key after it",
            ),
            ("ssh-ed25519 AAAA!AAA", "k.pub: the key is not valid base64"),
            (
                // A valid ed25519 blob under another type name.
                &ED25519.replace("ssh-ed25519", "ssh-rsa"),
                "k.pub: the line says ssh-rsa but the key inside is ssh-ed25519",
            ),
            (
                "ssh-ed25519 AAAAC3Nz",
                "k.pub: the key is truncated or not an SSH key",
            ),
            (
                "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n-----END OPENSSH PRIVATE KEY-----\n",
                "k.pub: is a PRIVATE key",
            ),
            (
                "---- BEGIN SSH2 PUBLIC KEY ----\nAAAA\n---- END SSH2 PUBLIC KEY ----\n",
                "k.pub: is an RFC 4716 (SSH2) public key",
            ),
        ];
        for (text, expected) in cases {
            let error = key(text).unwrap_err();
            assert!(error.starts_with(expected), "{text:?}: {error}");
        }
    }

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

    #[test]
    fn appending_keeps_every_byte_and_ends_the_last_line() {
        assert_eq!(appended(b"", "L"), (b"L\n".to_vec(), 1));
        assert_eq!(appended(b"a\n", "L"), (b"a\nL\n".to_vec(), 2));
        assert_eq!(appended(b"a\r\n\nb", "L"), (b"a\r\n\nb\nL\n".to_vec(), 4));
    }

    #[test]
    fn a_present_key_is_found_whatever_its_options() {
        let key = key(ED25519).unwrap();
        let file = format!(
            "# {ED25519}\nssh-rsa AAAAB3Nza other\nfrom=\"x\",command=\"/bin/true\" {ED25519} old\n"
        );
        assert_eq!(
            find_key(file.as_bytes(), &key),
            Some((3, Some("/bin/true".to_owned()), None))
        );
        let ignored = format!("\nbogus {ED25519}\n");
        assert_eq!(
            find_key(ignored.as_bytes(), &key),
            Some((2, None, Some("unknown option \"bogus\"".to_owned())))
        );
        assert_eq!(find_key(b"# nothing\n", &key), None);
    }

    #[test]
    fn key_names_and_addresses_are_checked_as_the_policy_checks_them() {
        assert_eq!(key_name("b01@host:1").as_deref(), Ok("b01@host:1"));
        assert!(key_name("b 01").unwrap_err().contains("letters, digits"));
        assert!(key_name("").is_err());
        assert_eq!(from_entry(" 192.0.2.0/24").as_deref(), Ok("192.0.2.0/24"));
        assert!(
            from_entry("192.0.2.1/24")
                .unwrap_err()
                .contains("host bits")
        );
        assert!(from_entry("*.example.org").is_err());
    }
}
