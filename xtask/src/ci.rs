//! `cargo xtask test`: what CI runs, in order, stopping at the first failure.

use std::process::Command;

use crate::error::Error;
use crate::{cargo, clients, deps, workspace_root};

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
    banner("all checks passed");
    Ok(())
}

/// A line that stands out in a long CI log.
fn banner(text: &str) {
    println!("\n==== {text} ====");
}
