//! `sshgate import-authprogs [FILE.yaml] [--dir DIR] [--legacy FILE] [--out DIR]`

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use crate::exit;
use crate::import::authprogs::{self, DEFAULT_SEARCH_PATH, Options, legacy};
use crate::import::{Import, ImportError, NoteKind};
use crate::policy::lint::{LintOptions, Severity, lint_file};

/// Arguments of `sshgate import-authprogs`.
#[derive(Debug, Args)]
pub struct ImportAuthprogsArgs {
    /// authprogs' YAML configuration (e.g. ~/.ssh/authprogs.yaml).
    #[arg(value_name = "FILE.yaml")]
    file: Option<PathBuf>,

    /// authprogs' configuration directory (e.g. ~/.ssh/authprogs.d); its
    /// files (not dotfiles) are read after FILE, in name order.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,

    /// A perl authprogs configuration (authprogs.conf, with `[ ALL ]` and
    /// `[ ADDRESS ]` sections).
    #[arg(long, value_name = "FILE")]
    legacy: Option<PathBuf>,

    /// Write each profile as DIR/NAME.toml and lint it. Without --out, the
    /// profiles are printed to standard output, each after a
    /// `# ==> NAME.toml <==` line.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,

    /// Replace profiles that already exist in --out.
    #[arg(long, requires = "out")]
    force: bool,

    /// Where programs named without a path (`df -h`) are looked up at
    /// import time, colon-separated.
    #[arg(long, value_name = "DIRS", default_value = DEFAULT_SEARCH_PATH)]
    search_path: String,
}

/// Converts, writes or prints the profiles, and prints the summary.
pub fn run(args: &ImportAuthprogsArgs) -> ExitCode {
    if args.file.is_none() && args.dir.is_none() && args.legacy.is_none() {
        eprintln!(
            "sshgate import-authprogs: name a configuration: FILE.yaml, --dir DIR or --legacy FILE"
        );
        return ExitCode::from(exit::USAGE);
    }
    let options = Options {
        // A relative or empty entry would find programs in the current
        // directory, as a shell's PATH would: never wanted here.
        search_path: args
            .search_path
            .split(':')
            .map(PathBuf::from)
            .filter(|dir| dir.is_absolute())
            .collect(),
    };
    let mut imports: Vec<(&str, Import)> = Vec::new();
    let mut errors: Vec<ImportError> = Vec::new();
    if args.file.is_some() || args.dir.is_some() {
        match authprogs::read_sources(args.file.as_deref(), args.dir.as_deref()) {
            Err(message) => return io_failure(&message),
            Ok(sources) => match authprogs::convert(&sources, &options) {
                Ok(import) => imports.push(("authprogs", import)),
                Err(found) => errors.extend(found),
            },
        }
    }
    if let Some(path) = &args.legacy {
        match std::fs::read_to_string(path) {
            Err(error) => return io_failure(&format!("{}: cannot read: {error}", path.display())),
            Ok(text) => {
                let source = authprogs::Source {
                    path: path.clone(),
                    text,
                };
                match legacy::convert(&source, &options) {
                    Ok(import) => imports.push(("perl authprogs", import)),
                    Err(found) => errors.extend(found),
                }
            }
        }
    }
    if !errors.is_empty() {
        for error in &errors {
            eprintln!("{error}");
        }
        eprintln!(
            "sshgate import-authprogs: {} error(s); nothing written",
            errors.len()
        );
        return ExitCode::from(exit::CONFIG);
    }
    let profiles: Vec<(PathBuf, String)> = imports
        .iter()
        .flat_map(|(tool, import)| {
            import
                .profiles
                .iter()
                .map(move |p| (p.file_name(), p.to_toml(tool)))
        })
        .collect();
    let mut names: Vec<&PathBuf> = profiles.iter().map(|(name, _)| name).collect();
    names.sort();
    if let Some(twice) = names.windows(2).find(|w| w[0] == w[1]) {
        eprintln!(
            "sshgate import-authprogs: two profiles would both be {} (key names that differ \
             only in characters a profile name cannot hold, a key named any-key, or the YAML \
             and --legacy together): rename a key, or import the files one at a time",
            twice[0].display()
        );
        return ExitCode::from(exit::CONFIG);
    }
    let lint_errors = match &args.out {
        None => {
            print_profiles(&profiles);
            0
        }
        Some(dir) => match write_profiles(dir, &profiles, args.force) {
            Ok(lint_errors) => lint_errors,
            Err(message) => return io_failure(&message),
        },
    };
    let inexact = summarise(&imports, profiles.len());
    if lint_errors > 0 {
        eprintln!(
            "sshgate import-authprogs: {lint_errors} lint error(s) in the written profiles; \
             please report this as a bug"
        );
        return ExitCode::from(exit::CONFIG);
    }
    ExitCode::from(if inexact == 0 {
        exit::OK
    } else {
        exit::NEGATIVE
    })
}

fn io_failure(message: &str) -> ExitCode {
    eprintln!("sshgate import-authprogs: {message}");
    ExitCode::from(exit::IO)
}

fn print_profiles(profiles: &[(PathBuf, String)]) {
    let mut stdout = std::io::stdout().lock();
    for (index, (name, text)) in profiles.iter().enumerate() {
        let separator = if index == 0 { "" } else { "\n" };
        // A closed stdout (a pager quit early) leaves nobody to tell.
        let _ = write!(stdout, "{separator}# ==> {} <==\n{text}", name.display());
    }
}

/// Writes every profile, refusing before writing anything if one exists
/// (without `force`), then lints them; returns the number of lint errors.
fn write_profiles(
    dir: &Path,
    profiles: &[(PathBuf, String)],
    force: bool,
) -> Result<usize, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: cannot create: {e}", dir.display()))?;
    if !force {
        if let Some((name, _)) = profiles.iter().find(|(name, _)| dir.join(name).exists()) {
            return Err(format!(
                "{} exists; nothing written (--force replaces it)",
                dir.join(name).display()
            ));
        }
    }
    let mut lint_errors = 0;
    let options = LintOptions {
        strict: false,
        invoking_uid: nix::unistd::getuid().as_raw(),
    };
    for (name, text) in profiles {
        let path = dir.join(name);
        write_file(&path, text).map_err(|e| format!("{}: cannot write: {e}", path.display()))?;
        eprintln!("wrote {}", path.display());
        for finding in lint_file(&path, options) {
            let location = finding
                .location
                .map(|location| format!(":{location}"))
                .unwrap_or_default();
            if finding.severity == Severity::Error {
                lint_errors += 1;
            }
            eprintln!(
                "{}{location}: {}: {}",
                path.display(),
                finding.severity,
                finding.message
            );
        }
    }
    Ok(lint_errors)
}

/// Profiles hold access decisions: written 0600 like the gate wants them.
fn write_file(path: &Path, text: &str) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())
}

/// Prints the notes and a count on stderr; returns how many say the
/// result is not exact.
fn summarise(imports: &[(&str, Import)], profiles: usize) -> usize {
    let mut inexact = 0;
    for (_, import) in imports {
        for note in &import.notes {
            eprintln!("{}: {}: {}", note.location, note.kind, note.message);
        }
        inexact += import.count(NoteKind::Approximate) + import.count(NoteKind::NeedsReview);
    }
    let count = |kind| imports.iter().map(|(_, i)| i.count(kind)).sum::<usize>();
    eprintln!(
        "sshgate import-authprogs: {profiles} profile(s); {} need review (commented out or left \
         out), {} approximate, {} info",
        count(NoteKind::NeedsReview),
        count(NoteKind::Approximate),
        count(NoteKind::Info)
    );
    inexact
}
