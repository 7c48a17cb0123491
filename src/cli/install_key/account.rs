//! The account the key is installed for: `--user` or the invoking user,
//! looked up in the passwd database, with root needed for another account
//! than one's own; and the reminder of what sshd runs for it beside the
//! gate (its login shell, above all).

use std::fs;
use std::path::{Path, PathBuf};

use nix::unistd::geteuid;

use super::error::InstallError;
use super::line::shell_word;
use crate::doctor::shell::{self, ShellVerdict};
use crate::request::{Account, User};

/// The account the key is installed for.
pub(super) fn target_account(user: Option<&str>) -> Result<Account, InstallError> {
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

/// What sshd runs beside the gate, said after writing (DESIGN.md, "What
/// runs beside the gate"): brief, with the check that covers it all.
pub(super) fn reminder(account: &Account, path: &Path) -> String {
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
