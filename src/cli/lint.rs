//! `sshgate lint FILE|DIR...`

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use crate::exit;
use crate::policy::lint::{LintOptions, Severity, lint_files};

/// Arguments of `sshgate lint`.
#[derive(Debug, Args)]
pub struct LintArgs {
    /// Treat host-specific findings (missing programs and paths, file
    /// permissions the gate would refuse) as errors rather than warnings.
    #[arg(long)]
    strict: bool,

    /// Policy files, or directories whose *.toml files are linted.
    #[arg(required = true, value_name = "FILE|DIR")]
    paths: Vec<PathBuf>,
}

/// Lints every file and prints one line per finding.
pub fn run(args: &LintArgs) -> ExitCode {
    let options = LintOptions {
        strict: args.strict,
        invoking_uid: nix::unistd::getuid().as_raw(),
    };
    let mut errors = 0usize;
    let mut files = Vec::new();
    for path in &args.paths {
        for file in policy_files(path) {
            match file {
                Ok(file) => files.push(file),
                Err(message) => {
                    println!("{}: error: {message}", path.display());
                    errors += 1;
                }
            }
        }
    }
    for (file, findings) in lint_files(&files, options) {
        for finding in findings {
            if finding.severity == Severity::Error {
                errors += 1;
            }
            println!("{}", finding.line(&file));
        }
    }
    let files = files.len();
    eprintln!("sshgate lint: {files} file(s) checked, {errors} error(s)");
    ExitCode::from(if errors == 0 {
        exit::OK
    } else {
        exit::NEGATIVE
    })
}

fn policy_files(path: &Path) -> Vec<Result<PathBuf, String>> {
    if !path.is_dir() {
        return vec![Ok(path.to_path_buf())];
    }
    let entries = match fs::read_dir(path) {
        Ok(entries) => entries,
        Err(error) => return vec![Err(format!("cannot read directory: {error}"))],
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|file| file.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    files.sort();
    if files.is_empty() {
        return vec![Err("no *.toml policy files in this directory".to_owned())];
    }
    files.into_iter().map(Ok).collect()
}
