//! `sshgate doctor`: the host's layers and what runs beside the gate, as
//! text or JSON.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use serde::Serialize;

use crate::doctor::{DEFAULT_SSHD, DoctorOptions, Report, Verdict, examine};
use crate::exit;

/// Arguments of `sshgate doctor`.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,

    /// An authorized_keys file to check; repeat for more. Its owner is taken
    /// as the user whose keys these are.
    #[arg(long = "authorized-keys", value_name = "FILE")]
    authorized_keys: Vec<PathBuf>,

    /// The sshd binary to ask for its effective configuration (`sshd -T`,
    /// run only as root).
    #[arg(long, value_name = "PATH", default_value = DEFAULT_SSHD)]
    sshd: PathBuf,
}

/// Runs `doctor` and prints the report.
pub fn run(args: &DoctorArgs) -> ExitCode {
    let report = examine(&DoctorOptions {
        authorized_keys: args.authorized_keys.clone(),
        sshd: args.sshd.clone(),
    });
    let code = exit_code(report.verdict());
    if args.json {
        // Through a `Value`, whose object keys are sorted: `--json` has
        // always printed them in that order.
        match serde_json::to_value(JsonReport {
            exit_status: code,
            report: &report,
        }) {
            Ok(json) => println!("{json}"),
            Err(error) => {
                // A report that cannot be written vouches for nothing, so
                // the exit status is the one that says so.
                eprintln!("sshgate doctor: cannot write the report as JSON: {error}");
                return ExitCode::from(exit::SANDBOX);
            }
        }
    } else {
        print!("{}", to_text(&report, code));
    }
    ExitCode::from(code)
}

fn exit_code(verdict: Verdict) -> u8 {
    match verdict {
        Verdict::Ok => exit::OK,
        Verdict::Warnings => exit::NEGATIVE,
        Verdict::CannotEnforce => exit::SANDBOX,
    }
}

/// The `--json` object: the report, with the exit status beside it.
#[derive(Serialize)]
struct JsonReport<'a> {
    exit_status: u8,
    #[serde(flatten)]
    report: &'a Report,
}

/// One block per section, each finding as `  LEVEL  location: message`,
/// then the result line.
fn to_text(report: &Report, code: u8) -> String {
    let mut out = String::new();
    for section in &report.sections {
        out.push_str(&section.title);
        out.push('\n');
        for finding in &section.findings {
            out.push_str(&format!(
                "  {:<4}  {}\n",
                finding.level.marker(),
                finding.text()
            ));
        }
        out.push('\n');
    }
    let warnings = report.warnings();
    let summary = if report.can_enforce_default_policy() {
        "this host can enforce the default policy"
    } else {
        "this host CANNOT enforce the default policy"
    };
    out.push_str(&format!(
        "result: {summary}; {warnings} warning(s); exit status {code}\n"
    ));
    out
}
