//! Which login shells read startup files before a forced command.
//!
//! sshd runs every command, forced ones included, as `SHELL -c COMMAND`,
//! with the shell's file name (not where a symlink leads) as `argv[0]`
//! (`session.c`, `do_child`). So the login shell of the key's user runs
//! first, and whatever startup files it reads run before the gate:
//!
//! - bash run by sshd reads `/etc/bash.bashrc` and `~/.bashrc` even for
//!   `-c` (it looks for `SSH_CLIENT`; Debian builds it so), and `BASH_ENV`;
//! - zsh reads `/etc/zsh/zshenv` and `~/.zshenv` for every command;
//! - fish reads its `config.fish` files, csh and tcsh `~/.cshrc` or
//!   `~/.tcshrc`, for every command.
//!
//! The rule: a shell is fine if it is dash (under any name), or bash, mksh
//! or busybox started as `sh`; in POSIX mode these read no file for a
//! non-interactive `-c`. A shell that cannot run `-c` at all (`nologin`,
//! `false`, `true`) means the forced command, and so the gate, never runs.
//! Any other shell is reported as unknown, because sshgate cannot tell what
//! it reads. `/bin/sh` on Debian is dash, so it is the shell to recommend.

use std::path::Path;

/// The shell to recommend for users whose keys run sshgate.
pub const RECOMMENDED: &str = "/bin/sh (dash)";

/// What a login shell does before sshd's `-c` command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShellVerdict {
    /// Reads no startup file for `-c`.
    Quiet,
    /// Reads these startup files for `-c`.
    ReadsStartupFiles(&'static str),
    /// Cannot run a command: the forced command never runs.
    RunsNoCommand,
    /// Not a shell this rule knows.
    Unknown,
}

/// Judges a login shell by the name sshd starts it as (the file name of
/// `configured`) and the program it really is (the file name of `real`,
/// the configured path with symlinks resolved; `None` when it does not
/// resolve).
pub fn judge(configured: &Path, real: Option<&Path>) -> ShellVerdict {
    let name = file_name(configured);
    let program = real.map_or(name, file_name);
    match (program, name) {
        ("dash", _) => ShellVerdict::Quiet,
        ("bash" | "mksh" | "busybox", "sh") => ShellVerdict::Quiet,
        ("bash", _) => ShellVerdict::ReadsStartupFiles(
            "bash started by sshd reads /etc/bash.bashrc and ~/.bashrc even for a forced command",
        ),
        ("zsh", _) => ShellVerdict::ReadsStartupFiles(
            "zsh reads /etc/zsh/zshenv and ~/.zshenv for every command",
        ),
        ("fish", _) => {
            ShellVerdict::ReadsStartupFiles("fish reads its config.fish files for every command")
        }
        ("tcsh", _) => {
            ShellVerdict::ReadsStartupFiles("tcsh reads ~/.tcshrc (or ~/.cshrc) for every command")
        }
        ("csh", _) => ShellVerdict::ReadsStartupFiles("csh reads ~/.cshrc for every command"),
        ("nologin" | "false" | "true", _) => ShellVerdict::RunsNoCommand,
        _ => ShellVerdict::Unknown,
    }
}

fn file_name(path: &Path) -> &str {
    path.file_name()
        .and_then(|name| name.to_str())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(configured: &str, real: Option<&str>) -> ShellVerdict {
        judge(Path::new(configured), real.map(Path::new))
    }

    #[test]
    fn quiet_shells() {
        assert_eq!(
            verdict("/bin/sh", Some("/usr/bin/dash")),
            ShellVerdict::Quiet
        );
        assert_eq!(
            verdict("/bin/dash", Some("/usr/bin/dash")),
            ShellVerdict::Quiet
        );
        // bash as sh is in POSIX mode and skips sshd's ~/.bashrc case.
        assert_eq!(
            verdict("/bin/sh", Some("/usr/bin/bash")),
            ShellVerdict::Quiet
        );
        assert_eq!(
            verdict("/bin/sh", Some("/bin/busybox")),
            ShellVerdict::Quiet
        );
    }

    #[test]
    fn shells_that_read_startup_files() {
        assert!(matches!(
            verdict("/bin/bash", Some("/usr/bin/bash")),
            ShellVerdict::ReadsStartupFiles(why) if why.contains("~/.bashrc")
        ));
        // rbash is bash under another name, and reads the same files.
        assert!(matches!(
            verdict("/bin/rbash", Some("/usr/bin/bash")),
            ShellVerdict::ReadsStartupFiles(_)
        ));
        assert!(matches!(
            verdict("/usr/bin/zsh", None),
            ShellVerdict::ReadsStartupFiles(why) if why.contains("~/.zshenv")
        ));
        assert!(matches!(
            verdict("/usr/bin/fish", Some("/usr/bin/fish")),
            ShellVerdict::ReadsStartupFiles(_)
        ));
    }

    #[test]
    fn shells_that_run_nothing_and_unknown_ones() {
        assert_eq!(
            verdict("/usr/sbin/nologin", Some("/usr/sbin/nologin")),
            ShellVerdict::RunsNoCommand
        );
        assert_eq!(
            verdict("/bin/false", Some("/usr/bin/false")),
            ShellVerdict::RunsNoCommand
        );
        assert_eq!(
            verdict("/usr/bin/ksh", Some("/usr/bin/ksh93")),
            ShellVerdict::Unknown
        );
        // mksh under its own name reads $ENV only when interactive, but the
        // rule only vouches for the POSIX-mode names.
        assert_eq!(
            verdict("/bin/mksh", Some("/bin/mksh")),
            ShellVerdict::Unknown
        );
    }
}
