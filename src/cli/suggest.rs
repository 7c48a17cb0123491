//! `sshgate suggest --log FILE [--profile NAME]`

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::exit;
use crate::suggest::suggest;

/// Arguments of `sshgate suggest`.
#[derive(Debug, Args)]
pub struct SuggestArgs {
    /// The JSON-lines audit log a learning profile wrote (its `log`).
    #[arg(long, value_name = "FILE")]
    log: PathBuf,

    /// Use only the records of this profile (the record's `profile`: the
    /// --profile name, or the --policy path). Default: every profile.
    #[arg(long, value_name = "NAME")]
    profile: Option<String>,
}

/// Prints the suggested rules on stdout, and what was skipped on stderr.
pub fn run(args: &SuggestArgs) -> ExitCode {
    let text = match std::fs::read(&args.log) {
        // Invalid UTF-8 only spoils its own lines: each is then skipped as
        // not JSON.
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(error) => {
            eprintln!(
                "sshgate suggest: cannot read {}: {error}",
                args.log.display()
            );
            return ExitCode::from(exit::IO);
        }
    };
    let suggestion = suggest(&text, args.profile.as_deref());
    print!("{}", suggestion.rules);
    let file = args.log.display();
    for (line, why) in &suggestion.skipped {
        eprintln!("{file}:{line}: skipped: {why}");
    }
    eprintln!(
        "sshgate suggest: {} learning record(s) used, {} line(s) skipped, {} left out (not learning, or another profile)",
        suggestion.used,
        suggestion.skipped.len(),
        suggestion.ignored
    );
    ExitCode::from(if suggestion.skipped.is_empty() {
        exit::OK
    } else {
        exit::NEGATIVE
    })
}
