//! `cargo xtask test`: what CI runs, in order, stopping at the first failure:
//! fmt, clippy, every test, the demo, and (as root) the Debian package
//! installed and the end-to-end tests run against it.

use std::process::Command;

use crate::error::Error;
use crate::process::effective_uid;
use crate::{cargo, clients, deps, dist, workspace_root};

/// The checks, cheapest first, so a formatting slip fails in seconds rather
/// than after a full test build.
const STEPS: &[(&str, &[&str])] = &[
    ("formatting", &["fmt", "--all", "--", "--check"]),
    (
        "lints",
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    ),
    ("tests", &["test", "--workspace"]),
];

/// Checks the system dependencies, then runs every step in [`STEPS`].
pub fn run() -> Result<(), Error> {
    banner("system test dependencies");
    deps::ensure()?;
    let root = workspace_root();
    banner("other client versions");
    clients::ensure(&root)?;

    let cargo = cargo();
    for (index, (title, args)) in STEPS.iter().enumerate() {
        let shown = format!("cargo {}", args.join(" "));
        banner(&format!("[{}/{}] {title}: {shown}", index + 1, STEPS.len()));
        let result = crate::process::run_inherited(
            Command::new(&cargo).args(*args).current_dir(&root),
            &shown,
        );
        if let Err(error) = result {
            banner(&format!("FAILED: {title}"));
            return Err(error);
        }
    }
    // The README's first command: CI keeps it working.
    banner("the demo: cargo xtask demo");
    if let Err(error) = crate::demo::run() {
        banner("FAILED: demo");
        return Err(error);
    }
    // The package is what users install: as root (CI), build it, install
    // it and run the end-to-end tests once more against /usr/bin/sshgate.
    if effective_uid()? == 0 {
        banner("package: cargo xtask dist --install-and-test");
        if let Err(error) = dist::run(&dist::Options::install_and_test()) {
            banner("FAILED: package");
            return Err(error);
        }
    } else {
        println!(
            "\nnot root: the package is not installed and tested (cargo xtask dist --check builds it)"
        );
    }
    banner("all checks passed");
    Ok(())
}

/// A line that stands out in a long CI log.
fn banner(text: &str) {
    println!("\n==== {text} ====");
}
