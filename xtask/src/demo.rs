//! `cargo xtask demo`: sshgate behind a real sshd, narrated.
//!
//! Four requests show the three outcomes: an rsync pull the policy allows,
//! two commands it denies, and an rsync pull it allows but Landlock stops
//! because the path is outside the sandbox.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use crate::error::Error;
use crate::files::{ScratchDir, toml_string, write_private};
use crate::process::{quote, run_captured};
use crate::sshd::Sshd;
use crate::sshgate::{self, Profile};
use crate::{deps, workspace_root};

/// Exit status of sshgate for a denied request.
const DENIED_EXIT: i32 = 77;
/// What sshgate prints on stderr when it denies.
const DENIED_PREFIX: &str = "sshgate: denied:";
/// Upper bound for one demo request.
const STEP_TIMEOUT: Duration = Duration::from_secs(120);
/// The template policy, relative to the workspace root.
const POLICY_TEMPLATE: &str = "policies/demo.toml";
/// What the allowed pull fetches; the demo policy's `[sandbox] read`.
const ALLOWED_TREE: &str = "/usr/share/doc/rsync/";

/// What a step must show for the demo to count as working.
enum Expect {
    /// The gate lets rsync run and files arrive in this directory.
    Pulled(PathBuf),
    /// The gate refuses: exit 77 and a denial line.
    Denied,
    /// The gate refuses an rsync: a denial line and a denial record. The
    /// client's own exit status is rsync's, 12 ("connection unexpectedly
    /// closed") or the gate's 77, whichever rsync sees: it asks for ssh's
    /// status without waiting (`WNOHANG`) as it cleans up.
    DeniedToRsync,
}

/// One narrated request.
struct Step {
    title: &'static str,
    program: &'static str,
    args: Vec<String>,
    /// The command as printed, with `$SSH` for the long ssh invocation.
    shown: String,
    expect: Expect,
}

/// The demo's temp dir and sshd. Fields drop in declaration order: sshd
/// first, since it writes its log into the dir being removed.
struct Scratch {
    sshd: Option<Sshd>,
    dir: ScratchDir,
}

/// Runs the demo; fails if any step did not turn out as it should.
pub fn run() -> Result<(), Error> {
    deps::ensure()?;
    let root = workspace_root();

    let gate = sshgate::build(Profile::Debug)?;

    let mut scratch = Scratch {
        sshd: None,
        dir: ScratchDir::new("sshgate-demo")?,
    };
    let dir = scratch.dir.path().to_path_buf();
    let audit_log = dir.join("audit.log");
    let policy = dir.join("demo.toml");
    write_policy(&root.join(POLICY_TEMPLATE), &policy, &audit_log)?;

    let forced_command = format!(
        "{} --policy {}",
        quote(&gate.display().to_string()),
        quote(&policy.display().to_string())
    );
    let sshd = scratch.sshd.insert(Sshd::start(&dir, &forced_command)?);

    println!("\nsshgate demo in {}", dir.display());
    println!(
        "  policy:         {} (from {POLICY_TEMPLATE})",
        policy.display()
    );
    println!("  audit log:      {}", audit_log.display());
    println!("  forced command: {forced_command}");
    println!("  SSH={}", quote(&sshd.ssh_command_line()));

    let steps = steps(sshd, &dir);
    let mut failures = Vec::new();
    for (index, step) in steps.iter().enumerate() {
        println!("\n==> {}. {}", index + 1, step.title);
        println!("    $ {}", step.shown);
        let offset = file_len(&audit_log);
        let output = run_captured(
            Command::new(step.program)
                .args(&step.args)
                .current_dir(&dir),
            &step.shown,
            STEP_TIMEOUT,
        )?;
        let records = new_lines(&audit_log, offset)?;
        if let Some(failure) = narrate(step, &output, &records) {
            println!("    UNEXPECTED: {failure}");
            failures.push(format!("step {} ({}): {failure}", index + 1, step.title));
        }
    }

    if failures.is_empty() {
        println!("\nall {} steps behaved as expected", steps.len());
        Ok(())
    } else {
        println!("\n--- sshd log ---\n{}", sshd.log());
        Err(Error::DemoFailed { failures })
    }
}

/// The four requests, in the order they tell the story.
fn steps(sshd: &Sshd, dir: &Path) -> Vec<Step> {
    let host = sshd.host();
    let rsync = |title, remote: &str, local: PathBuf, expect| {
        let source = format!("{host}:{remote}");
        let dest = format!("{}/", local.display());
        Step {
            title,
            program: "rsync",
            shown: format!("rsync -a -e \"$SSH\" {} {}", quote(&source), quote(&dest)),
            args: vec![
                "-a".into(),
                "-e".into(),
                sshd.ssh_command_line(),
                source,
                dest,
            ],
            expect,
        }
    };
    let ssh = |title, command: &str| {
        let mut args = sshd.ssh_args();
        args.extend(["-T".into(), "--".into(), host.to_string(), command.into()]);
        Step {
            title,
            program: "ssh",
            shown: format!("$SSH -T {host} {}", quote(command)),
            args,
            expect: Expect::Denied,
        }
    };
    let pulled = dir.join("pulled");
    vec![
        rsync(
            "allowed: pull the rsync docs (the policy's one rsync rule)",
            ALLOWED_TREE,
            pulled.clone(),
            Expect::Pulled(pulled),
        ),
        ssh(
            "denied: read /etc/shadow (no rule runs cat)",
            "cat /etc/shadow",
        ),
        ssh("denied: a shell (no rule runs sh)", "sh"),
        rsync(
            "denied: pull /etc (the rsync rule's send paths do not hold it)",
            "/etc/",
            dir.join("etc-copy"),
            Expect::DeniedToRsync,
        ),
    ]
}

/// Prints what happened and returns why it was not what `step` expects.
fn narrate(step: &Step, output: &Output, records: &[String]) -> Option<String> {
    let code = output.status.code();
    match code {
        Some(code) => println!("    exit code: {code}"),
        None => println!("    exit: {}", output.status),
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let denial = stderr.lines().find(|l| l.starts_with(DENIED_PREFIX));
    match denial {
        Some(line) => println!("    {line}"),
        None => println!("    (no denial from sshgate)"),
    }
    // The rest of stderr is the command's own complaints; a few lines tell
    // the story (rsync's "Permission denied" for the confined pull).
    let others: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.starts_with(DENIED_PREFIX) && !l.trim().is_empty())
        .collect();
    for line in others.iter().take(6) {
        println!("    stderr: {line}");
    }
    if others.len() > 6 {
        println!("    stderr: ... ({} more lines)", others.len() - 6);
    }
    if records.is_empty() {
        println!("    audit record: none");
    }
    for record in records {
        println!("    audit record:\n{}", indent_json(record, "      "));
    }

    let failure = match &step.expect {
        Expect::Pulled(dest) => {
            let files = count_files(dest);
            println!("    pulled {files} files into {}", dest.display());
            if !output.status.success() {
                Some(format!("the pull failed (exit {code:?})"))
            } else if denial.is_some() {
                Some("sshgate denied an allowed pull".into())
            } else if files == 0 {
                Some("the pull succeeded but no files arrived".into())
            } else {
                None
            }
        }
        Expect::Denied => match (denial, code) {
            (None, _) => Some("no `sshgate: denied:` line: this was not a denial".into()),
            (Some(_), Some(DENIED_EXIT)) => None,
            (Some(_), _) => Some(format!("denied, but exit {code:?}, not {DENIED_EXIT}")),
        },
        Expect::DeniedToRsync => {
            let recorded = records
                .iter()
                .any(|record| record.contains(r#""decision":"deny""#));
            match (denial, code, recorded) {
                (None, _, _) => Some("no `sshgate: denied:` line: this was not a denial".into()),
                (Some(_), Some(0), _) => Some("denied, but rsync exited 0".into()),
                (Some(_), _, false) => Some("denied, but no denial record".into()),
                (Some(_), _, true) => None,
            }
        }
    };
    // Every request is audited, whatever the outcome.
    let failure = failure.or_else(|| {
        records
            .is_empty()
            .then(|| "no audit record was written".to_string())
    });
    if failure.is_none() {
        println!("    as expected");
    }
    failure
}

/// Copies the template policy to `dest` (mode 0600) with its `log` pointed
/// at `audit_log`.
fn write_policy(template: &Path, dest: &Path, audit_log: &Path) -> Result<(), Error> {
    let text =
        fs::read_to_string(template).map_err(Error::io(format!("read {}", template.display())))?;
    let log_line = format!("log = {}", toml_string(&audit_log.display().to_string()));
    let mut replaced = false;
    let mut policy = String::new();
    for line in text.lines() {
        let is_log = line
            .split_once('=')
            .is_some_and(|(key, _)| key.trim() == "log");
        if is_log && !replaced {
            policy.push_str(&log_line);
            replaced = true;
        } else {
            policy.push_str(line);
        }
        policy.push('\n');
    }
    if !replaced {
        return Err(Error::Setup(format!(
            "{} has no `log = \"...\"` line to point at the demo's audit log",
            template.display()
        )));
    }
    write_private(dest, &policy)
}

fn file_len(path: &Path) -> u64 {
    fs::metadata(path).map_or(0, |m| m.len())
}

/// The complete lines appended to `path` after byte `offset`.
fn new_lines(path: &Path, offset: u64) -> Result<Vec<String>, Error> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(format!("read {}", path.display()))(e)),
    };
    let start = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .min(bytes.len());
    Ok(String::from_utf8_lossy(&bytes[start..])
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect())
}

/// Counts everything but directories under `dir` (files and symlinks, as
/// `rsync -a` copies both).
fn count_files(dir: &Path) -> usize {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|entry| match entry.file_type() {
            Ok(kind) if kind.is_dir() => count_files(&entry.path()),
            Ok(_) => 1,
            Err(_) => 0,
        })
        .sum()
}

/// Pretty-prints one audit line for reading, each line prefixed by
/// `margin`; a line that is not JSON is shown as it is.
fn indent_json(line: &str, margin: &str) -> String {
    let pretty = serde_json::from_str::<serde_json::Value>(line)
        .and_then(|value| serde_json::to_string_pretty(&value))
        .unwrap_or_else(|_| line.to_owned());
    pretty
        .lines()
        .map(|text| format!("{margin}{text}"))
        .collect::<Vec<_>>()
        .join("\n")
}
