//! `cargo xtask fuzz`: every coverage-guided fuzz target in `fuzz/`, for
//! a fixed time each, from the checked-in seeds.
//!
//! The targets assert invariants, not only "no panic" (see
//! `fuzz/src/lib.rs`). They need a nightly toolchain and cargo-fuzz; the
//! latter is installed from crates.io when missing.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::error::Error;
use crate::process::run_captured;

/// This task's line of `cargo xtask help`.
pub const HELP: &str = "  fuzz   run every fuzz target in fuzz/ (nightly; cargo-fuzz is installed
         when missing) from the seeds in fuzz/corpus, and print executions
         and coverage per target
           --seconds N    time per target (default 60)
           --target NAME  one target: tokenizer, policy, tools or decide";

/// The targets, in `fuzz/fuzz_targets/`.
pub const TARGETS: &[&str] = &["tokenizer", "policy", "tools", "decide"];

/// Options of `cargo xtask fuzz`.
pub struct Options {
    seconds: u64,
    target: Option<String>,
}

impl Options {
    /// Parses the arguments after `fuzz`.
    pub fn parse(args: &[String]) -> Result<Options, Error> {
        let mut options = Options {
            seconds: 60,
            target: None,
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let mut value = |name: &str| {
                args.next()
                    .cloned()
                    .ok_or_else(|| Error::Usage(format!("{name} needs a value")))
            };
            match arg.as_str() {
                "--seconds" => {
                    let text = value("--seconds")?;
                    options.seconds = text
                        .parse()
                        .ok()
                        .filter(|seconds| *seconds > 0)
                        .ok_or_else(|| {
                            Error::Usage(format!("--seconds {text:?}: a whole number of seconds"))
                        })?;
                }
                "--target" => {
                    let name = value("--target")?;
                    if !TARGETS.contains(&name.as_str()) {
                        return Err(Error::Usage(format!(
                            "unknown fuzz target {name:?}; the targets are {}",
                            TARGETS.join(", ")
                        )));
                    }
                    options.target = Some(name);
                }
                other => return Err(Error::Usage(format!("unexpected argument {other:?}"))),
            }
        }
        Ok(options)
    }
}

/// What one run reached, from libFuzzer's own report.
struct Reached {
    target: String,
    runs: String,
    coverage: String,
}

/// Runs the chosen targets one after the other and prints what each reached.
pub fn run(root: &Path, options: &Options) -> Result<(), Error> {
    ensure_cargo_fuzz()?;
    let fuzz_dir = root.join("fuzz");
    let targets: Vec<&str> = match &options.target {
        Some(target) => vec![target.as_str()],
        None => TARGETS.to_vec(),
    };
    let mut reached = Vec::new();
    for target in targets {
        println!("==== fuzz {target}: {} s ====", options.seconds);
        let corpus = fuzz_dir.join("corpus").join(target);
        let mut command = Command::new("rustup");
        command
            .args(["run", "nightly", "cargo", "fuzz", "run", target])
            .arg(&corpus)
            .arg("--")
            .arg(format!("-max_total_time={}", options.seconds))
            .current_dir(&fuzz_dir);
        let shown = format!(
            "cargo +nightly fuzz run {target} -- -max_total_time={}",
            options.seconds
        );
        // Building the target comes first and can take minutes.
        let limit = Duration::from_secs(options.seconds + 900);
        let output = run_captured(&mut command, &shown, limit)?;
        let log = String::from_utf8_lossy(&output.stderr);
        if !output.status.success() {
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            println!("{}", tail.join("\n"));
            return Err(Error::CommandFailed {
                command: shown,
                status: output.status,
            });
        }
        reached.push(Reached {
            target: target.to_owned(),
            runs: last_word_after(&log, "Done ").unwrap_or_else(|| "?".to_owned()),
            coverage: last_word_after(&log, "cov: ").unwrap_or_else(|| "?".to_owned()),
        });
    }
    println!("\n| target | seconds | executions | coverage (edges) |\n|---|---|---|---|");
    for row in &reached {
        println!(
            "| {} | {} | {} | {} |",
            row.target, options.seconds, row.runs, row.coverage
        );
    }
    Ok(())
}

/// The word after the last `marker` in libFuzzer's log: `Done 731289 runs`
/// gives the executions, `cov: 1234` the covered edges.
fn last_word_after(log: &str, marker: &str) -> Option<String> {
    let at = log.rfind(marker)?;
    log.get(at + marker.len()..)?
        .split_whitespace()
        .next()
        .map(str::to_owned)
}

/// cargo-fuzz under the nightly toolchain, installed when missing.
fn ensure_cargo_fuzz() -> Result<(), Error> {
    let nightly = Command::new("rustup")
        .args(["run", "nightly", "rustc", "--version"])
        .output();
    if !nightly.is_ok_and(|output| output.status.success()) {
        return Err(Error::Usage(
            "fuzzing needs the nightly toolchain (`rustup toolchain install nightly`)".into(),
        ));
    }
    let present = Command::new("rustup")
        .args(["run", "nightly", "cargo", "fuzz", "--version"])
        .output()
        .is_ok_and(|output| output.status.success());
    if present {
        return Ok(());
    }
    println!("installing cargo-fuzz from crates.io");
    let mut install = Command::new("rustup");
    install.args([
        "run",
        "nightly",
        "cargo",
        "install",
        "cargo-fuzz",
        "--locked",
    ]);
    let output = run_captured(
        &mut install,
        "cargo install cargo-fuzz",
        Duration::from_secs(1200),
    )?;
    if output.status.success() {
        Ok(())
    } else {
        Err(Error::CommandFailed {
            command: "cargo install cargo-fuzz --locked".into(),
            status: output.status,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libfuzzer_figures_are_read_from_its_last_report() {
        let log = "#2\tINITED cov: 10 ft: 11\n#900\tDONE   cov: 345 ft: 678 corp: 9\nDone 900 runs in 11 second(s)\n";
        assert_eq!(last_word_after(log, "Done ").as_deref(), Some("900"));
        assert_eq!(last_word_after(log, "cov: ").as_deref(), Some("345"));
        assert_eq!(last_word_after("", "cov: "), None);
    }

    #[test]
    fn options_are_checked() {
        let parse =
            |args: &[&str]| Options::parse(&args.iter().map(|a| a.to_string()).collect::<Vec<_>>());
        let options = parse(&["--seconds", "5", "--target", "tools"]).unwrap();
        assert_eq!(options.seconds, 5);
        assert_eq!(options.target.as_deref(), Some("tools"));
        assert!(parse(&["--seconds", "0"]).is_err());
        assert!(parse(&["--target", "nope"]).is_err());
        assert!(parse(&["--seconds"]).is_err());
    }
}
