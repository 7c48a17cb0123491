//! `dist --install-and-test`: the package installed with dpkg on this
//! machine, and the end-to-end tests run against the installed binary.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::error::Error;
use crate::process::{effective_uid, run_captured, run_inherited};

/// Where the package installs sshgate.
pub const INSTALLED: &str = "/usr/bin/sshgate";

/// Installs `package` with `dpkg -i` (root only) and checks what a user
/// would: the binary runs and is this version, `/etc/sshgate` is a 0755
/// directory, and man finds the policy page.
pub fn install(package: &Path) -> Result<(), Error> {
    if effective_uid()? != 0 {
        return Err(Error::Setup(
            "dist --install-and-test installs the package with dpkg -i: run it as root".into(),
        ));
    }
    let shown = format!("dpkg -i {}", package.display());
    println!("$ {shown}");
    run_inherited(Command::new("dpkg").arg("-i").arg(package), &shown)?;

    let mut failures = Vec::new();
    let answer = |command: &mut Command, shown: &str| -> Result<String, Error> {
        let output = run_captured(command, shown, Duration::from_secs(60))?;
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    };
    let version = answer(
        Command::new(INSTALLED).arg("--version"),
        "sshgate --version",
    )?;
    let command = ::sshgate::cli::command();
    let want = format!("sshgate {}", command.get_version().unwrap_or_default());
    if version != want {
        failures.push(format!(
            "{INSTALLED} --version printed {version:?}, not {want:?}"
        ));
    }
    match fs::metadata("/etc/sshgate") {
        Ok(meta) if meta.is_dir() && meta.permissions().mode() & 0o7777 == 0o755 => {}
        Ok(meta) => failures.push(format!(
            "/etc/sshgate is not a 0755 directory (mode {:o})",
            meta.permissions().mode()
        )),
        Err(e) => failures.push(format!("/etc/sshgate: {e}")),
    }
    let page = answer(
        Command::new("man").args(["-w", "5", "sshgate-policy"]),
        "man -w 5 sshgate-policy",
    )?;
    if page != "/usr/share/man/man5/sshgate-policy.5.gz" {
        failures.push(format!("man -w 5 sshgate-policy found {page:?}"));
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(Error::CheckFailed {
            what: format!("the installed {}", package.display()),
            failures,
        })
    }
}

/// Runs every `tests/e2e_*.rs` test target of the sshgate package with
/// `SSHGATE_TEST_BINARY` pointing at the installed binary (see
/// `tests/common/gate.rs`): the same clients through the same sshd as the
/// default suite, but the packaged gate.
pub fn run_e2e_tests(root: &Path) -> Result<(), Error> {
    let tests_dir = root.join("tests");
    let mut targets: Vec<String> = fs::read_dir(&tests_dir)
        .map_err(Error::io(format!("list {}", tests_dir.display())))?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let stem = name.strip_suffix(".rs")?;
            stem.starts_with("e2e_").then(|| stem.to_owned())
        })
        .collect();
    targets.sort();
    if targets.is_empty() {
        return Err(Error::Setup(format!(
            "no e2e_*.rs in {}",
            tests_dir.display()
        )));
    }
    let mut command = Command::new(crate::cargo());
    command.args(["test", "-p", "sshgate"]);
    for target in &targets {
        command.args(["--test", target]);
    }
    command
        .env("SSHGATE_TEST_BINARY", INSTALLED)
        .current_dir(root);
    let shown = format!(
        "SSHGATE_TEST_BINARY={INSTALLED} cargo test -p sshgate --test {}",
        targets.join(" --test ")
    );
    println!("$ {shown}");
    run_inherited(&mut command, &shown)
}
