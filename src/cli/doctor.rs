//! `sshgate doctor`: the host's layers and what runs beside the gate, as
//! text or JSON.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use serde_json::{Value, json};

use crate::doctor::{
    DEFAULT_SSHD, DoctorOptions, LANDLOCK_FEATURES, Report, SshdOutcome, Verdict, examine,
};
use crate::exit;
use crate::sandbox::X32Abi;

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
        println!("{}", to_json(&report, code));
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

fn to_text(report: &Report, code: u8) -> String {
    let mut out = String::new();
    for section in &report.sections {
        out.push_str(&section.title);
        out.push('\n');
        for finding in &section.findings {
            let location = finding
                .location
                .as_ref()
                .map(|location| format!("{location}: "))
                .unwrap_or_default();
            out.push_str(&format!(
                "  {:<4}  {location}{}\n",
                finding.level.marker(),
                finding.message
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

fn to_json(report: &Report, code: u8) -> Value {
    let host = &report.host;
    let landlock = &host.landlock;
    let abi = landlock.abi.unwrap_or(0);
    let features: Vec<Value> = LANDLOCK_FEATURES
        .iter()
        .map(|feature| {
            json!({
                "abi": feature.abi,
                "feature": feature.name,
                "available": abi >= feature.abi,
                "needed_by_default_policy": feature.fallback.is_none(),
            })
        })
        .collect();
    let (x32, x32_detail) = match &host.x32 {
        X32Abi::Enabled => ("enabled", None),
        X32Abi::Disabled => ("disabled", None),
        X32Abi::NotApplicable => ("not-applicable", None),
        X32Abi::Unknown(why) => ("unknown", Some(why.as_str())),
    };
    let caps = &host.capabilities;
    let sshd = match &report.sshd {
        SshdOutcome::Checked { binary, config } => json!({
            "binary": binary,
            "checked": true,
            "skipped": null,
            "settings": config
                .checked_settings()
                .into_iter()
                .map(|(keyword, value)| (keyword.to_owned(), Value::String(value)))
                .collect::<serde_json::Map<String, Value>>(),
        }),
        SshdOutcome::Skipped { binary, reason } => json!({
            "binary": binary,
            "checked": false,
            "skipped": reason,
            "settings": {},
        }),
    };
    let key_files: Vec<Value> = report
        .key_files
        .iter()
        .map(|file| {
            json!({
                "file": file.path,
                "owner": file.owner.as_ref().map(|owner| json!({
                    "uid": owner.uid,
                    "name": owner.name,
                    "home": owner.home,
                    "shell": owner.shell,
                })),
                "error": file.error,
                "keys": file.keys.iter().map(|key| json!({
                    "line": key.line,
                    "runs_sshgate": key.runs_sshgate,
                    "restrict": key.restrict,
                    "command": key.command,
                    "still_allowed": key.still_allowed,
                    "invalid": key.invalid,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let sections: Vec<Value> = report
        .sections
        .iter()
        .map(|section| {
            json!({
                "title": section.title,
                "findings": section.findings.iter().map(|finding| json!({
                    "level": finding.level.name(),
                    "location": finding.location,
                    "message": finding.message,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "can_enforce_default_policy": report.can_enforce_default_policy(),
        "warnings": report.warnings(),
        "exit_status": code,
        "landlock": {
            "abi": landlock.abi,
            "required_abi": landlock.required_abi,
            "missing_for_default_policy": landlock.missing_for_default_policy,
            "unhandled_rights": landlock.unhandled_rights,
            "error": landlock.error,
            "features": features,
        },
        "seccomp": {
            "filter": host.seccomp.filter,
            "error": host.seccomp.error,
        },
        "x32": {
            "abi": x32,
            "detail": x32_detail,
        },
        "capabilities": {
            "euid": caps.euid,
            "permitted": caps.permitted.as_ref().ok(),
            "error": caps.permitted.as_ref().err(),
            "not_permitted": caps.not_permitted(),
            "can_clear_bounding_set": caps.can_clear_bounding_set(),
            "can_switch_user": caps.can_switch_user(),
        },
        "sshd": sshd,
        "authorized_keys": key_files,
        "sections": sections,
    })
}
