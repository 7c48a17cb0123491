//! Building the sshgate binary that the demo and the benchmark run.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::Error;
use crate::process::{is_executable, run_inherited};
use crate::{cargo, workspace_root};

/// Which cargo profile to build sshgate with.
#[derive(Clone, Copy)]
pub enum Profile {
    /// `cargo build`: fast to build, for the demo.
    Debug,
    /// `cargo build --release`: what is installed, for the benchmark.
    Release,
}

/// Builds sshgate from the workspace root, showing cargo's output, and
/// returns the path of the binary.
pub fn build(profile: Profile) -> Result<PathBuf, Error> {
    let root = workspace_root();
    let (args, subdir): (&[&str], &str) = match profile {
        Profile::Debug => (&["build", "-p", "sshgate"], "debug"),
        Profile::Release => (&["build", "--release", "-p", "sshgate"], "release"),
    };
    let shown = format!("cargo {}", args.join(" "));
    println!("$ {shown}");
    run_inherited(Command::new(cargo()).args(args).current_dir(&root), &shown)?;
    let gate = target_dir(&root).join(subdir).join("sshgate");
    if !is_executable(&gate) {
        return Err(Error::Setup(format!(
            "{shown} succeeded but {} is not there",
            gate.display()
        )));
    }
    Ok(gate)
}

/// Where cargo puts build output, honouring the same variables cargo does.
pub fn target_dir(root: &Path) -> PathBuf {
    ["CARGO_TARGET_DIR", "CARGO_BUILD_TARGET_DIR"]
        .iter()
        .find_map(env::var_os)
        .map(PathBuf::from)
        // cargo resolves a relative target dir against its working directory,
        // which for our build is the workspace root.
        .map(|dir| {
            if dir.is_absolute() {
                dir
            } else {
                root.join(dir)
            }
        })
        .unwrap_or_else(|| root.join("target"))
}
