//! Other versions of the clients the tests drive.
//!
//! The rsync rule must accept what every rsync a host may run sends. Next to
//! the installed rsync, the tests also drive the newest rsync the package
//! sources offer (Debian 12's security archive carries 3.5 beside the
//! release's 3.2.7), downloaded and unpacked under
//! `target/test-clients/rsync-VERSION/`, never installed.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::error::Error;
use crate::process::{find_in_path, run_captured};

/// Where unpacked clients live, relative to the workspace root; the tests
/// look for `rsync-*/usr/bin/rsync` there.
pub const CLIENTS_DIR: &str = "target/test-clients";

/// How long one apt query or download may take.
const APT_TIMEOUT: Duration = Duration::from_secs(300);

/// Unpacks the newest packaged rsync beside the installed one, unless it
/// is the installed one or already unpacked. Without apt, says so and
/// leaves the tests to the installed client.
pub fn ensure(root: &Path) -> Result<(), Error> {
    if find_in_path("apt-cache").is_none() || find_in_path("dpkg-deb").is_none() {
        println!("other rsync clients: no apt here; the tests drive the installed rsync only");
        return Ok(());
    }
    let installed = output(Command::new("dpkg-query").args(["-W", "-f=${Version}", "rsync"]))?;
    let listed = output(Command::new("apt-cache").args(["madison", "rsync"]))?;
    // `apt-cache madison` lists the newest version first: "rsync | VERSION | SOURCE".
    let newest = listed
        .lines()
        .filter_map(|line| line.split('|').nth(1).map(str::trim))
        .find(|version| !version.is_empty());
    let Some(newest) = newest.filter(|version| *version != installed.trim()) else {
        println!("other rsync clients: none newer than the installed {installed}");
        return Ok(());
    };
    let dir = root.join(CLIENTS_DIR).join(format!("rsync-{newest}"));
    let binary = dir.join("usr/bin/rsync");
    if binary.is_file() {
        println!(
            "other rsync clients: {} (unpacked before)",
            binary.display()
        );
        return Ok(());
    }
    fs::create_dir_all(&dir).map_err(Error::io(format!("create {}", dir.display())))?;
    output(
        Command::new("apt-get")
            .args(["download", &format!("rsync={newest}")])
            .current_dir(&dir),
    )?;
    let package = find_package(&dir)?;
    output(Command::new("dpkg-deb").arg("-x").arg(&package).arg(&dir))?;
    fs::remove_file(&package).map_err(Error::io(format!("remove {}", package.display())))?;
    println!("other rsync clients: {}", binary.display());
    Ok(())
}

/// The one `.deb` `apt-get download` left in `dir`.
fn find_package(dir: &Path) -> Result<PathBuf, Error> {
    let entries = fs::read_dir(dir).map_err(Error::io(format!("list {}", dir.display())))?;
    entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .find(|path| path.extension().is_some_and(|ext| ext == "deb"))
        .ok_or_else(|| {
            let missing = io::Error::new(io::ErrorKind::NotFound, "apt-get download left no .deb");
            Error::io(format!("unpack rsync in {}", dir.display()))(missing)
        })
}

/// Runs `cmd`, fails unless it succeeds, and returns its stdout.
fn output(cmd: &mut Command) -> Result<String, Error> {
    let shown = format!("{cmd:?}");
    let output = run_captured(cmd, &shown, APT_TIMEOUT)?;
    if !output.status.success() {
        return Err(Error::CommandFailed {
            command: format!(
                "{shown}: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            ),
            status: output.status,
        });
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}
