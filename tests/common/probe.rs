//! The escape probe (`tests/escape-probe`): the confined child's side of
//! the escape suite, run by the real gate as an allowed command.
//!
//! It is built once per test binary, by the same cargo, into its own
//! target dir (`target/escape-probe`) so the nested build never waits on
//! the build lock of the `cargo test` that runs us. Its path is inside the
//! repository, root- or user-owned and not group-writable, so the gate
//! trusts it as a program, and a rule whose `command` names it gets
//! execute on it.
//!
//! Each attempt prints one line, `ok` or `err CALL ERRNO`; see the probe's
//! own doc comment.

use std::env;
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use super::gate::{Scenario, forced, stderr, stdout};

/// The built probe binary.
pub fn path() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(build)
}

fn build() -> PathBuf {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target_dir = workspace.join("target").join("escape-probe");
    let cargo = env::var_os("CARGO")
        .or_else(|| option_env!("CARGO").map(OsString::from))
        .unwrap_or_else(|| OsString::from("cargo"));
    let output = Command::new(&cargo)
        .args([
            "build",
            "--quiet",
            "-p",
            "sshgate-escape-probe",
            "--target-dir",
        ])
        .arg(&target_dir)
        .current_dir(workspace)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", cargo.to_string_lossy()));
    assert!(
        output.status.success(),
        "building the escape probe failed ({}):\n{}",
        output.status,
        stderr(&output)
    );
    let built = target_dir.join("debug").join("sshgate-escape-probe");
    // Cargo hard-links the binary it builds to its copy under deps/, and
    // the gate refuses a program with a second link beside a writable tree
    // (the command could rewrite it through the other link). So the tests
    // run a copy with one link, put in place by rename so that a test
    // binary running the probe never sees it half written.
    let binary = target_dir.join("sshgate-escape-probe");
    let partial = target_dir.join(format!("sshgate-escape-probe.{}", std::process::id()));
    super::gate::copy_executable(&built, &partial);
    fs::rename(&partial, &binary).unwrap_or_else(|e| {
        panic!(
            "cannot rename {} to {}: {e}",
            partial.display(),
            binary.display()
        )
    });
    binary
}

/// The default probe policy, for [`scenario`]: one rule, `probe`, that runs
/// the probe with any arguments, with no `[sandbox]` table, so the command
/// gets the gate's defaults only (nothing granted, `network = "none"`, no
/// capabilities). A scenario that grants anything writes its own policy.
pub const POLICY: &str = r#"
log = "{log}"

[[allow]]
name = "probe"
command = ["{probe}"]
trailing_args = true
"#;

/// A [`Scenario`] for `policy`, with `{probe}` replaced by the probe's
/// path (and `{dir}` and `{log}` as [`Scenario::new`] does).
pub fn scenario(policy: &str) -> Scenario {
    Scenario::new(&policy.replace("{probe}", &path().display().to_string()))
}

/// The client's command line for the probe with `args`, quoted for the
/// gate's tokenizer where needed.
pub fn command_line(args: &[&str]) -> String {
    let mut words = vec![path().display().to_string()];
    words.extend(args.iter().map(|arg| quote(arg)));
    words.join(" ")
}

fn quote(word: &str) -> String {
    let safe = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:@,+%".contains(&b));
    if safe {
        return word.to_owned();
    }
    assert!(!word.contains('\''), "cannot single-quote {word:?}");
    format!("'{word}'")
}

/// Runs the probe with `args` through the gate on `scenario`'s policy.
pub fn run(scenario: &Scenario, args: &[&str]) -> Output {
    scenario.run(Some(&command_line(args)))
}

/// The gate's command on `scenario`'s policy for the probe with `args`,
/// before it runs.
pub fn gate(scenario: &Scenario, args: &[&str]) -> Command {
    let mut command = forced(&scenario.policy, None);
    command.env("SSH_ORIGINAL_COMMAND", command_line(args));
    command
}

/// The one line an attempt printed, checking that the gate allowed and
/// executed the probe: it exited 0 with exactly one line on stdout (the
/// gate itself never prints on stdout).
pub fn line(output: &Output) -> String {
    let text = stdout(output);
    assert!(
        output.status.code() == Some(0) && text.ends_with('\n') && text.lines().count() == 1,
        "the probe did not run to its one line: exit {:?}\nstdout: {text}\nstderr: {}",
        output.status.code(),
        stderr(output)
    );
    text.trim_end().to_owned()
}

/// Runs the attempt `args` through the gate and returns its line.
pub fn attempt(scenario: &Scenario, args: &[&str]) -> String {
    line(&run(scenario, args))
}

/// Runs the attempt `args` directly, not confined, as the control that
/// shows what the kernel does without the gate.
pub fn unconfined(args: &[&str]) -> String {
    let output = Command::new(path())
        .args(args)
        .output()
        .expect("run the probe");
    line(&output)
}
