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
//!
//! The modules, one concept each: `public_key` (reading and checking the
//! key), `profile` (the profile check), `account` (the account the key is
//! for, and what sshd runs for it beside the gate), `line` (the
//! `restrict,command="..."` line and its shell quoting),
//! `authorized_keys_file` (opening the file without following symlinks, and
//! the atomic rewrite that keeps every byte, mode and owner) and `error`
//! ([`InstallError`]). This file holds the arguments and the order of the
//! steps: plan (every check, and the line), then write.

mod account;
mod authorized_keys_file;
mod error;
mod line;
mod profile;
mod public_key;
#[cfg(test)]
mod testing;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use nix::unistd::geteuid;
use serde::Deserialize;
use serde::de::IntoDeserializer;
use serde::de::value::{Error as ValueError, StrDeserializer};

use self::account::{reminder, target_account};
use self::authorized_keys_file::{
    KeysFile, Owner, appended, create_dir, find_key, open_keys_file, replace,
};
use self::error::InstallError;
use self::line::{authorized_keys_line, forced_command, line_text, sshgate_program};
use self::profile::{ProfileCheck, check_profile};
use self::public_key::read_public_key;
use crate::exit;
use crate::policy::{Cidr, DEFAULT_POLICY_DIR, KeyName};
use crate::request::Account;

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
