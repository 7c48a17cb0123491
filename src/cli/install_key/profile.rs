//! The profile the key is wired to: it must exist, lint without errors and
//! accept the `--key` name; its lint warnings are kept to be shown.

use std::ffi::OsStr;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::error::InstallError;
use crate::policy::lint::{LintOptions, Severity, lint_file};
use crate::policy::{load_untrusted, profile_path};

/// What the profile check leaves to say: lint warnings, which do not stop
/// the install.
pub(super) struct ProfileCheck {
    /// The profile's file.
    pub(super) file: PathBuf,
    /// The warning findings, as lint prints them.
    pub(super) warnings: Vec<String>,
}

/// Checks that profile `name` in `dir` exists, lints without errors as
/// seen by `uid`, and accepts `key`.
pub(super) fn check_profile(
    dir: &Path,
    name: &str,
    key: Option<&str>,
    uid: u32,
) -> Result<ProfileCheck, InstallError> {
    let file = profile_path(dir, name).map_err(InstallError::ProfileName)?;
    match fs::metadata(&file) {
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            return Err(InstallError::NoProfile {
                name: name.to_owned(),
                file,
                available: profiles_in(dir),
            });
        }
        // Anything else, lint reports as a finding.
        _ => {}
    }
    let findings = lint_file(
        &file,
        LintOptions {
            strict: false,
            invoking_uid: uid,
        },
    );
    let shown = |severity: Severity| -> Vec<String> {
        findings
            .iter()
            .filter(|finding| finding.severity == severity)
            .map(|finding| finding.line(&file))
            .collect()
    };
    let errors = shown(Severity::Error);
    if !errors.is_empty() {
        return Err(InstallError::LintErrors {
            file,
            findings: errors,
        });
    }
    let loaded = load_untrusted(&file).map_err(|error| InstallError::LintErrors {
        file: file.clone(),
        findings: vec![error.to_string()],
    })?;
    if let Some(keys) = &loaded.policy.keys {
        let allowed: Vec<String> = keys.iter().map(|k| k.as_str().to_owned()).collect();
        if !key.is_some_and(|key| allowed.iter().any(|name| name == key)) {
            return Err(InstallError::KeyNotAllowed {
                file,
                key: key.map(str::to_owned),
                allowed,
            });
        }
    }
    Ok(ProfileCheck {
        warnings: shown(Severity::Warning),
        file,
    })
}

/// The profile names in `dir`, sorted.
fn profiles_in(dir: &Path) -> Result<Vec<String>, io::Error> {
    let mut names: Vec<String> = fs::read_dir(dir)?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let path = entry.path();
            (path.extension() == Some(OsStr::new("toml")))
                .then(|| {
                    path.file_stem()
                        .map(|stem| stem.to_string_lossy().into_owned())
                })
                .flatten()
        })
        .collect();
    names.sort();
    Ok(names)
}
