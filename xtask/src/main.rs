//! `cargo xtask`: the project's automation, in Rust so that CI and
//! developers run exactly the same steps.
//!
//! Std only where it can be (serde_json and toml aside, already in the
//! lockfile): it has to build fast on a clean CI machine before anything
//! else. `dist` is the exception: it renders man pages and completions from
//! sshgate's own clap definition, so it links the sshgate library and the
//! clap_mangen and clap_complete generators.

mod bench;
mod ci;
mod clients;
mod demo;
mod deps;
mod dist;
mod error;
mod files;
mod fuzz;
mod process;
mod sshd;
mod sshgate;

use std::env;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use error::Error;

/// The task list, with `bench`'s options from [`bench::HELP`].
fn help() -> String {
    format!(
        "\
usage: cargo xtask <task> [options]

tasks:
  test   install missing system test tools (as root, with apt-get), then run
         cargo fmt --check, cargo clippy -D warnings, cargo test for the
         whole workspace and the demo, then (as root) install the .deb and
         rerun the end-to-end tests against it, stopping at the first
         failure (this is what CI runs)
  demo   build sshgate and show it behind a throwaway sshd: an allowed rsync
         pull, two denials, and a pull the rsync rule refuses
{}
{}
{}
  help   show this help (also -h, --help)",
        bench::HELP,
        fuzz::HELP,
        dist::HELP
    )
}

/// A task from the command line.
enum Task {
    Test,
    Demo,
    Bench(bench::Options),
    Fuzz(fuzz::Options),
    Dist(dist::Options),
    Help,
}

/// Parses the arguments after `cargo xtask`.
fn parse(args: &[String]) -> Result<Task, Error> {
    if args.iter().any(|a| a == "-h" || a == "--help") {
        return Ok(Task::Help);
    }
    let (task, rest) = args
        .split_first()
        .ok_or_else(|| Error::Usage("no task given".into()))?;
    if task == "bench" {
        return bench::Options::parse(rest).map(Task::Bench);
    }
    if task == "fuzz" {
        return fuzz::Options::parse(rest).map(Task::Fuzz);
    }
    if task == "dist" {
        return dist::Options::parse(rest).map(Task::Dist);
    }
    if let Some(extra) = rest.first() {
        return Err(Error::Usage(format!("unexpected argument {extra:?}")));
    }
    match task.as_str() {
        "test" => Ok(Task::Test),
        "demo" => Ok(Task::Demo),
        "help" => Ok(Task::Help),
        other => Err(Error::Usage(format!("unknown task {other:?}"))),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let task = match parse(&args) {
        Ok(task) => task,
        Err(e) => {
            eprintln!("xtask: {e}\n\n{}", help());
            return ExitCode::from(2);
        }
    };
    let result = match task {
        Task::Test => ci::run(),
        Task::Demo => demo::run(),
        Task::Bench(options) => bench::run(&options),
        Task::Fuzz(options) => fuzz::run(&workspace_root(), &options),
        Task::Dist(options) => dist::run(&options),
        Task::Help => {
            println!("{}", help());
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The cargo that runs us (`cargo xtask` sets `CARGO`), so nested builds use
/// the same toolchain.
fn cargo() -> OsString {
    env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// The workspace root: xtask always lives in `<root>/xtask`.
fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}

#[cfg(test)]
mod tests {
    use super::{Task, parse};

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parses_tasks_and_help() {
        assert!(matches!(parse(&args(&["test"])), Ok(Task::Test)));
        assert!(matches!(parse(&args(&["demo"])), Ok(Task::Demo)));
        assert!(matches!(parse(&args(&["--help"])), Ok(Task::Help)));
        assert!(matches!(parse(&args(&["demo", "-h"])), Ok(Task::Help)));
        assert!(matches!(parse(&args(&["bench"])), Ok(Task::Bench(_))));
        assert!(matches!(parse(&args(&["dist"])), Ok(Task::Dist(_))));
        assert!(matches!(
            parse(&args(&["dist", "--check"])),
            Ok(Task::Dist(_))
        ));
        assert!(matches!(
            parse(&args(&["bench", "--quick", "--skip-e2e"])),
            Ok(Task::Bench(_))
        ));
    }

    #[test]
    fn rejects_unknown_and_extra_arguments() {
        assert!(parse(&args(&[])).is_err());
        assert!(parse(&args(&["deploy"])).is_err());
        assert!(parse(&args(&["test", "now"])).is_err());
        assert!(parse(&args(&["bench", "--runs"])).is_err());
        assert!(parse(&args(&["dist", "--now"])).is_err());
    }
}
