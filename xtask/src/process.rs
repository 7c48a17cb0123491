//! Running commands and finding programs, with std only.

use std::env;
use std::fs;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::error::Error;

/// Quotes a word for `sh` (and for display), leaving plainly safe words bare.
///
/// The result is also what `rsync -e` and `GIT_SSH_COMMAND` need, as long as
/// the word holds no `'` (rsync's own splitter has no escape for it).
pub fn quote(word: &str) -> String {
    let safe = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:@,+%".contains(&b));
    if safe {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Runs a command with the terminal's stdio and fails unless it succeeds.
pub fn run_inherited(cmd: &mut Command, shown: &str) -> Result<(), Error> {
    let status = cmd.status().map_err(Error::io(format!("run `{shown}`")))?;
    if status.success() {
        Ok(())
    } else {
        Err(Error::CommandFailed {
            command: shown.to_string(),
            status,
        })
    }
}

/// Runs a command with stdin null and its output captured, killing it and
/// everything it started if it outlives `timeout`.
///
/// The command gets its own process group so that helpers it spawns (rsync's
/// ssh) die with it; otherwise a straggler holding the pipes would block the
/// readers forever.
pub fn run_captured(cmd: &mut Command, shown: &str, timeout: Duration) -> Result<Output, Error> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(Error::io(format!("run `{shown}`")))?;
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let deadline = Instant::now() + timeout;
    let (status, timed_out) = loop {
        if let Some(status) = child
            .try_wait()
            .map_err(Error::io(format!("wait for `{shown}`")))?
        {
            break (status, false);
        }
        if Instant::now() >= deadline {
            kill_group(child.id());
            let status = child
                .wait()
                .map_err(Error::io(format!("wait for `{shown}`")))?;
            break (status, true);
        }
        thread::sleep(Duration::from_millis(20));
    };
    // Normally nobody is left; the group id stays reserved while anyone is,
    // so this cannot hit an unrelated process.
    kill_group(child.id());
    let output = Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    };
    if timed_out {
        return Err(Error::TimedOut {
            command: shown.to_string(),
        });
    }
    Ok(output)
}

/// Sends SIGKILL to a process group. std has no killpg, and `kill(1)` is
/// always there, so this avoids a libc dependency for one call.
pub fn kill_group(pgid: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pgid}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Reads a pipe to the end on its own thread, so stdout and stderr cannot
/// deadlock each other.
fn drain<R: Read + Send + 'static>(pipe: Option<R>) -> JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut buf);
        }
        buf
    })
}

/// Finds an executable in `PATH`, as the shell would.
pub fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = env::var_os("PATH")?;
    env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

/// True for a regular file with any execute bit set.
pub fn is_executable(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The effective uid, from `/proc/self/status` (std has no geteuid).
pub fn effective_uid() -> Result<u32, Error> {
    let status =
        fs::read_to_string("/proc/self/status").map_err(Error::io("read /proc/self/status"))?;
    // "Uid:\treal\teffective\tsaved\tfilesystem"
    status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1))
        .and_then(|euid| euid.parse().ok())
        .ok_or_else(|| Error::Setup("no effective uid in /proc/self/status".into()))
}

/// The name of the user running us, which is who the throwaway sshd logs in.
pub fn user_name() -> Result<String, Error> {
    let output = Command::new("id")
        .arg("-un")
        .stderr(Stdio::inherit())
        .output()
        .map_err(Error::io("run `id -un`"))?;
    let name = String::from_utf8_lossy(&output.stdout).trim().to_string();
    if !output.status.success() || name.is_empty() {
        return Err(Error::Setup(
            "`id -un` did not name the current user; sshd needs a passwd entry".into(),
        ));
    }
    Ok(name)
}
