//! What real clients put in `SSH_ORIGINAL_COMMAND`, and how the tokenizer
//! splits it.
//!
//! The forced command here is a recorder script, not sshgate: it appends the
//! command string sshd hands it to a capture file and exits 1. Every client
//! therefore fails, which is fine; what matters is that the strings fed to
//! `split` are captured live from rsync, scp, sftp and git, so a client
//! release that changes how it quotes breaks this test rather than a
//! deployment. Only the expected argv is written down here, never the input.
//!
//! Run with `--nocapture` to see each captured string.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::sshd::{SFTP_SERVER, Sshd, quote_word, run_client};
use sshgate::request::tokenize::{TokenizeError, split};
use tempfile::TempDir;

/// A throwaway sshd whose forced command records each command string.
struct Recorder {
    sshd: Sshd,
    capture: PathBuf,
    /// The local side of transfers, and the clients' working directory.
    local: PathBuf,
    // Declared after `sshd` so sshd stops before its forced command vanishes.
    _scratch: TempDir,
}

impl Recorder {
    fn start() -> Recorder {
        // sshd needs the forced command's path before its own temp dir
        // exists, so the script lives in a second one.
        let scratch = tempfile::Builder::new()
            .prefix("sshgate-capture.")
            .tempdir()
            .expect("temp dir for the recorder");
        let capture = scratch.path().join("capture");
        let script = scratch.path().join("record.sh");
        // NUL-terminated, so any string, newlines included, survives intact.
        fs::write(
            &script,
            format!(
                "#!/bin/sh\nprintf '%s\\0' \"$SSH_ORIGINAL_COMMAND\" >> {}\nexit 1\n",
                quote_word(&capture.display().to_string())
            ),
        )
        .expect("write the recorder script");
        fs::set_permissions(&script, fs::Permissions::from_mode(0o755))
            .expect("chmod the recorder script");
        let local = scratch.path().join("local");
        fs::create_dir(&local).expect("create the local dir");
        let sshd = Sshd::start(&quote_word(&script.display().to_string()));
        Recorder {
            sshd,
            capture,
            local,
            _scratch: scratch,
        }
    }

    /// The one command string the client sent. Panics, with the client's
    /// stderr and sshd's log, unless there was exactly one.
    fn captured(&self, client: &Output) -> String {
        let bytes = fs::read(&self.capture).unwrap_or_default();
        let mut commands: Vec<String> = bytes
            .split(|&b| b == 0)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect();
        // Every record ends with a NUL, which leaves one empty piece after
        // the last (or the only piece, if nothing was recorded).
        commands.pop();
        assert_eq!(
            commands.len(),
            1,
            "expected exactly one captured command, got {commands:?}\n\
             client exit: {}\nclient stderr:\n{}\nsshd log:\n{}",
            client.status,
            String::from_utf8_lossy(&client.stderr),
            self.sshd.sshd_log()
        );
        let command = commands.remove(0);
        eprintln!("captured SSH_ORIGINAL_COMMAND: {command:?}");
        command
    }

    /// A directory under the local side, created if missing.
    fn local_dir(&self, name: &str) -> PathBuf {
        let path = self.local.join(name);
        fs::create_dir_all(&path).expect("create a local dir");
        path
    }

    /// `HOST:path`, the remote operand every client takes.
    fn remote(&self, path: &str) -> String {
        format!("{}:{path}", self.sshd.host())
    }

    fn rsync(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new("rsync");
        cmd.arg("-e")
            .arg(self.sshd.ssh_command_line())
            .args(args)
            .current_dir(&self.local);
        run_client(&mut cmd, None)
    }

    fn scp(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new("scp");
        cmd.arg("-P")
            .arg(self.sshd.port().to_string())
            .args(self.sshd.ssh_options())
            .args(args)
            .current_dir(&self.local);
        run_client(&mut cmd, None)
    }

    fn git(&self, dir: &Path, args: &[&str]) -> Output {
        let mut cmd = Command::new("git");
        cmd.args(args)
            .current_dir(dir)
            .env("GIT_SSH_COMMAND", self.sshd.ssh_command_line())
            // Nothing from the developer's own git setup may change what is
            // sent (an `insteadOf`, a `uploadpack` override).
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_TERMINAL_PROMPT", "0");
        run_client(&mut cmd, None)
    }

    /// Runs git in the local dir and requires success (repository set-up).
    fn git_ok(&self, dir: &Path, args: &[&str]) {
        let out = self.git(dir, args);
        assert!(
            out.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Splits `command` and compares with `expected`, naming the input on failure.
#[track_caller]
fn assert_splits(command: &str, expected: &[&str]) {
    let argv = split(command.as_bytes())
        .unwrap_or_else(|e| panic!("split({command:?}) failed: {e} ({e:?})"));
    assert_eq!(argv, expected, "split({command:?})");
}

// rsync: the client runs `rsync --server ...` through the remote shell.

#[test]
fn rsync_pull() {
    let r = Recorder::start();
    let dest = r.local_dir("pulled");
    let out = r.rsync(&["-a", &r.remote("/srv/data/"), &dest.display().to_string()]);
    assert_splits(
        &r.captured(&out),
        &[
            "rsync",
            "--server",
            "--sender",
            "-logDtpre.iLsfxCIvu",
            ".",
            "/srv/data/",
        ],
    );
}

#[test]
fn rsync_pull_path_with_space() {
    // rsync >= 3.2.4 backslash-escapes remote args itself (no -s needed).
    let r = Recorder::start();
    let dest = r.local_dir("pulled");
    let out = r.rsync(&[
        "-a",
        &r.remote("/srv/my data/"),
        &dest.display().to_string(),
    ]);
    assert_splits(
        &r.captured(&out),
        &[
            "rsync",
            "--server",
            "--sender",
            "-logDtpre.iLsfxCIvu",
            ".",
            "/srv/my data/",
        ],
    );
}

#[test]
fn rsync_pull_path_with_shell_characters() {
    // Quote, dollar and backslash all arrive escaped and come out literal.
    let r = Recorder::start();
    let dest = r.local_dir("pulled");
    let out = r.rsync(&[
        "-a",
        &r.remote(r"/srv/it's $x y\z/"),
        &dest.display().to_string(),
    ]);
    assert_splits(
        &r.captured(&out),
        &[
            "rsync",
            "--server",
            "--sender",
            "-logDtpre.iLsfxCIvu",
            ".",
            r"/srv/it's $x y\z/",
        ],
    );
}

#[test]
fn rsync_pull_wildcard_is_refused() {
    // rsync deliberately leaves `*?[` unescaped for the remote shell to
    // expand; with no shell, the gate must refuse rather than pass a
    // pattern through as a literal path.
    let r = Recorder::start();
    let dest = r.local_dir("pulled");
    let out = r.rsync(&["-a", &r.remote("/srv/*.log"), &dest.display().to_string()]);
    let command = r.captured(&out);
    assert!(
        matches!(
            split(command.as_bytes()),
            Err(TokenizeError::Glob { wildcard: '*', .. })
        ),
        "split({command:?}) = {:?}",
        split(command.as_bytes())
    );
}

#[test]
fn rsync_pull_protect_args() {
    // With -s the paths travel inside the rsync protocol, not the command.
    let r = Recorder::start();
    let dest = r.local_dir("pulled");
    let out = r.rsync(&[
        "-a",
        "-s",
        &r.remote("/srv/my data/"),
        &dest.display().to_string(),
    ]);
    assert_splits(
        &r.captured(&out),
        &["rsync", "--server", "--sender", "-slogDtpre.iLsfxCIvu"],
    );
}

#[test]
fn rsync_push() {
    let r = Recorder::start();
    let src = r.local_dir("src");
    fs::write(src.join("file"), "x").expect("write a file to push");
    let out = r.rsync(&[
        "-a",
        &format!("{}/", src.display()),
        &r.remote("/srv/incoming/"),
    ]);
    assert_splits(
        &r.captured(&out),
        &[
            "rsync",
            "--server",
            "-logDtpre.iLsfxCIvu",
            ".",
            "/srv/incoming/",
        ],
    );
}

#[test]
fn rsync_push_compress_delete() {
    // The typical backup invocation.
    let r = Recorder::start();
    let src = r.local_dir("src");
    fs::write(src.join("file"), "x").expect("write a file to push");
    let out = r.rsync(&[
        "-az",
        "--delete",
        &format!("{}/", src.display()),
        &r.remote("/srv/incoming/"),
    ]);
    assert_splits(
        &r.captured(&out),
        &[
            "rsync",
            "--server",
            "-logDtprze.iLsfxCIvu",
            "--delete",
            ".",
            "/srv/incoming/",
        ],
    );
}

// Legacy scp (-O): the client runs `scp -t` / `scp -f` through the shell.

#[test]
fn scp_legacy_upload() {
    let r = Recorder::start();
    fs::write(r.local.join("file"), "x").expect("write a file to upload");
    let out = r.scp(&["-O", "file", &r.remote("/srv/incoming/")]);
    assert_splits(&r.captured(&out), &["scp", "-t", "/srv/incoming/"]);
}

#[test]
fn scp_legacy_upload_recursive_preserve() {
    let r = Recorder::start();
    r.local_dir("dir");
    let out = r.scp(&["-O", "-r", "-p", "dir", &r.remote("/srv/incoming/")]);
    assert_splits(
        &r.captured(&out),
        &["scp", "-r", "-p", "-t", "/srv/incoming/"],
    );
}

#[test]
fn scp_legacy_download() {
    let r = Recorder::start();
    let out = r.scp(&["-O", &r.remote("/srv/a"), "."]);
    assert_splits(&r.captured(&out), &["scp", "-f", "/srv/a"]);
}

#[test]
fn scp_legacy_download_path_with_space() {
    // Legacy scp sends the remote path unquoted (the remote shell is meant
    // to split it), so one path with a space arrives as two words.
    let r = Recorder::start();
    let out = r.scp(&["-O", &r.remote("/srv/my file"), "."]);
    assert_splits(&r.captured(&out), &["scp", "-f", "/srv/my", "file"]);
}

// sftp, and scp without -O, which speaks sftp: a subsystem request, for
// which sshd puts the configured subsystem command in SSH_ORIGINAL_COMMAND.

#[test]
fn sftp_subsystem() {
    let r = Recorder::start();
    let mut cmd = Command::new("sftp");
    cmd.arg("-P")
        .arg(r.sshd.port().to_string())
        .args(r.sshd.ssh_options())
        .args(["-b", "-"])
        .arg(r.sshd.host())
        .current_dir(&r.local);
    let out = run_client(&mut cmd, Some(b"ls\n"));
    assert_splits(&r.captured(&out), &[SFTP_SERVER]);
}

#[test]
fn scp_modern_upload_uses_sftp() {
    let r = Recorder::start();
    fs::write(r.local.join("file"), "x").expect("write a file to upload");
    let out = r.scp(&["file", &r.remote("/srv/incoming/")]);
    assert_splits(&r.captured(&out), &[SFTP_SERVER]);
}

// git: `git-upload-pack` (fetch, clone, ls-remote) and `git-receive-pack`
// (push), with the path single-quoted by git.

#[test]
fn git_clone() {
    let r = Recorder::start();
    let out = r.git(&r.local, &["clone", &r.remote("repo.git")]);
    assert_splits(&r.captured(&out), &["git-upload-pack", "repo.git"]);
}

#[test]
fn git_clone_path_with_quote_and_space() {
    // git writes an embedded `'` as `'\''`.
    let r = Recorder::start();
    let out = r.git(
        &r.local,
        &["clone", &r.remote("/srv/it's a repo.git"), "clone"],
    );
    assert_splits(
        &r.captured(&out),
        &["git-upload-pack", "/srv/it's a repo.git"],
    );
}

#[test]
fn git_ls_remote_home_relative() {
    // The `~` arrives inside git's quotes, so it is literal, not expanded.
    let r = Recorder::start();
    let out = r.git(&r.local, &["ls-remote", &r.remote("~/repo.git")]);
    assert_splits(&r.captured(&out), &["git-upload-pack", "~/repo.git"]);
}

#[test]
fn git_push() {
    let r = Recorder::start();
    let work = r.local_dir("work");
    r.git_ok(&work, &["init", "-q", "-b", "main"]);
    r.git_ok(
        &work,
        &[
            "-c",
            "user.name=sshgate test",
            "-c",
            "user.email=test@example.org",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "first",
        ],
    );
    let out = r.git(&work, &["push", &r.remote("repo.git"), "main"]);
    assert_splits(&r.captured(&out), &["git-receive-pack", "repo.git"]);
}

// Plain ssh.

#[test]
fn ssh_remote_command() {
    let r = Recorder::start();
    let out = r.sshd.ssh(Some("df -h"));
    assert_splits(&r.captured(&out), &["df", "-h"]);
}

#[test]
fn ssh_bare_login_is_empty() {
    // No command at all: SSH_ORIGINAL_COMMAND is unset, which the gate sees
    // as an empty string and must refuse.
    let r = Recorder::start();
    let out = r.sshd.ssh(None);
    let command = r.captured(&out);
    assert_eq!(split(command.as_bytes()), Err(TokenizeError::Empty));
}
