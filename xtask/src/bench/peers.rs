//! The peers sshgate is compared with: authprogs (PyPI) and rrsync (from
//! the rsync package). Each is set up here, or the reason it could not be
//! is returned, for the table.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::files::write_private;
use crate::process::{find_in_path, is_executable, run_captured};

/// The Python rewrite of authprogs; its rules are YAML.
const AUTHPROGS_REQUIREMENT: &str = "authprogs==0.7.*";
/// How long `python3 -m venv` and `pip install` may take.
const INSTALL_TIMEOUT: Duration = Duration::from_secs(300);
/// Where Debian's rsync package puts rrsync, or its compressed copy in
/// older releases.
const RRSYNC_PLACES: &[&str] = &["/usr/bin/rrsync", "/usr/local/bin/rrsync"];
const RRSYNC_DOC_DIR: &str = "/usr/share/doc/rsync/scripts";

/// authprogs installed in a throwaway virtualenv, with its config.
pub struct Authprogs {
    /// The `authprogs` entry point (a script run by the venv's python).
    pub program: PathBuf,
    /// Its arguments, as an authorized_keys `command=` would give them.
    pub args: Vec<String>,
    /// Its log, where each run leaves a `result: {...}` line.
    pub log: PathBuf,
    /// `authprogs 0.7.5 (Python 3.11.2)`, for the table.
    pub version: String,
}

/// Creates a venv in `dir/venv`, installs authprogs from PyPI and writes a
/// YAML config equivalent to the ten-rule profile: the same `from` list
/// and key, ten rules, `/usr/bin/true` allowed by the last.
pub fn install_authprogs(dir: &Path, srv: &Path) -> Result<Authprogs, String> {
    // Debian's python3 is the one rrsync runs with; fall back to PATH's.
    let python = Some(PathBuf::from("/usr/bin/python3"))
        .filter(|p| is_executable(p))
        .or_else(|| find_in_path("python3"))
        .ok_or("no python3 found")?;
    let venv = dir.join("venv");
    run(
        Command::new(&python).args(["-m", "venv"]).arg(&venv),
        &format!("{} -m venv {}", python.display(), venv.display()),
    )?;
    let pip = venv.join("bin/pip");
    run(
        Command::new(&pip).args([
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-input",
            AUTHPROGS_REQUIREMENT,
        ]),
        &format!("pip install {AUTHPROGS_REQUIREMENT}"),
    )?;
    let program = venv.join("bin/authprogs");
    if !is_executable(&program) {
        return Err(format!(
            "pip installed authprogs but there is no {}",
            program.display()
        ));
    }
    let version = run(
        Command::new(venv.join("bin/python")).args([
            "-c",
            "import sys, authprogs; print(authprogs.__version__, sys.version.split()[0])",
        ]),
        "python -c 'import authprogs'",
    )?;
    let version = match version.split_whitespace().collect::<Vec<_>>()[..] {
        [ours, python] => format!("authprogs {ours} (Python {python})"),
        _ => format!("authprogs ({})", version.trim()),
    };

    let config = dir.join("authprogs.yaml");
    write_private(&config, &authprogs_config(srv)).map_err(|e| e.to_string())?;
    let log = dir.join("authprogs.log");
    let args = vec![
        "--run".to_string(),
        format!("--configfile={}", config.display()),
        format!("--logfile={}", log.display()),
        format!("--keyname={}", super::fixtures::KEY),
    ];
    Ok(Authprogs {
        program,
        args,
        log,
        version,
    })
}

/// authprogs' counterpart of the ten-rule profile. It has no sandbox, so
/// only the matching carries over; `rule_type: rsync` is its rsync rule.
fn authprogs_config(srv: &Path) -> String {
    let srv = srv.display();
    format!(
        "- from: [192.0.2.10, 198.51.100.0/24, '2001:db8::/64', 10.20.0.0/16, 127.0.0.1]\n\
         \x20 keynames: [backup01, monitor01, {key}]\n\
         \x20 allow:\n\
         \x20   - command: /usr/bin/df -h\n\
         \x20   - command: ^/usr/bin/du -s {srv}/[a-z0-9_-]+$\n\
         \x20     pcre_match: true\n\
         \x20   - command: /usr/bin/ls -l\n\
         \x20     allow_trailing_args: true\n\
         \x20   - command: ^/usr/bin/sha256sum --tag {srv}/x/[a-z0-9_.-]+\\.(tar|tgz)$\n\
         \x20     pcre_match: true\n\
         \x20   - rule_type: rsync\n\
         \x20     allow_download: true\n\
         \x20     allow_archive: true\n\
         \x20     path_startswith: [{srv}]\n\
         \x20   - command: ^/usr/bin/rsync --server -[a-zA-Z.]+ \\. {srv}/incoming/$\n\
         \x20     pcre_match: true\n\
         \x20   - command: /usr/bin/cat {srv}/x/status.txt\n\
         \x20   - command: ^/usr/bin/stat --format=%s %Y {srv}/x/[a-z]+\\.txt$\n\
         \x20     pcre_match: true\n\
         \x20   - command: /usr/local/bin/probe\n\
         \x20   - command: /usr/bin/true\n",
        key = super::fixtures::KEY
    )
}

/// rrsync from the rsync package: the script itself, or a copy unpacked
/// from the package's docs into `dir`.
pub fn find_rrsync(dir: &Path) -> Result<PathBuf, String> {
    if let Some(found) = RRSYNC_PLACES
        .iter()
        .map(PathBuf::from)
        .find(|p| is_executable(p))
    {
        return Ok(found);
    }
    if let Some(found) = find_in_path("rrsync") {
        return Ok(found);
    }
    let entries = fs::read_dir(RRSYNC_DOC_DIR).map_err(|e| {
        format!("no rrsync in {RRSYNC_PLACES:?} or PATH, and {RRSYNC_DOC_DIR}: {e}")
    })?;
    let mut candidates: Vec<PathBuf> = entries
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.starts_with("rrsync") && !name.ends_with(".1.gz"))
        })
        .collect();
    candidates.sort();
    let source = candidates
        .first()
        .ok_or_else(|| format!("no rrsync* in {RRSYNC_DOC_DIR}"))?;
    let dest = dir.join("rrsync");
    let bytes = if source.extension().is_some_and(|ext| ext == "gz") {
        let output = Command::new("gzip")
            .arg("-dc")
            .arg(source)
            .output()
            .map_err(|e| format!("gzip -dc {}: {e}", source.display()))?;
        if !output.status.success() {
            return Err(format!("gzip -dc {} failed", source.display()));
        }
        output.stdout
    } else {
        fs::read(source).map_err(|e| format!("read {}: {e}", source.display()))?
    };
    fs::write(&dest, bytes).map_err(|e| format!("write {}: {e}", dest.display()))?;
    fs::set_permissions(&dest, fs::Permissions::from_mode(0o755))
        .map_err(|e| format!("chmod {}: {e}", dest.display()))?;
    Ok(dest)
}

/// Runs a set-up step; its stdout, or why it failed (the tail of stderr).
fn run(cmd: &mut Command, shown: &str) -> Result<String, String> {
    let output = run_captured(cmd, shown, INSTALL_TIMEOUT).map_err(|e| e.to_string())?;
    if output.status.success() {
        return Ok(String::from_utf8_lossy(&output.stdout).into_owned());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let tail: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .rev()
        .take(2)
        .collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    Err(format!(
        "`{shown}` failed ({}): {}",
        output.status,
        tail.join(" / ")
    ))
}
