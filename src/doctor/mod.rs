//! `sshgate doctor`: what this host offers the gate, and what runs beside
//! it (DESIGN.md, "What runs beside the gate").
//!
//! [`examine`] gathers everything into a [`Report`]: the kernel's layers
//! (probed by [`crate::sandbox::probe_host`], the only kernel-touching
//! part), sshd's effective configuration (`sshd -T`) and its PAM
//! configuration, and the authorized_keys files it is pointed at. Each
//! check becomes a [`Finding`] in a [`Section`]; the command line formats
//! them as text, or the report as JSON through serde.
//!
//! Levels: [`Level::Fail`] only for what stops the default policy
//! (`compat = "enforce"`) on this host, [`Level::Warn`] for what lets code
//! run beside the gate, [`Level::Info`] for facts that need no action here.
//!
//! The modules: `report` (findings, sections, the verdict), `host` (the
//! kernel's layers), [`sshd_config`] and [`pam`] (sshd), `keys` (the
//! authorized_keys files: their lines are parsed by [`authorized_keys`],
//! their owners' shells judged by [`shell`], who can write them by
//! `permissions`), and `json` (what JSON has no type for).

pub mod authorized_keys;
mod host;
mod json;
mod keys;
pub mod pam;
mod permissions;
mod report;
pub mod shell;
pub mod sshd_config;

use std::path::PathBuf;

pub use host::host_sections;
pub use keys::{KeyFileError, KeyFileReport, KeyReport, key_findings};
pub use report::{Finding, FindingText, Level, Report, Section, Verdict};
pub use sshd_config::{DEFAULT_SSHD, SshdOutcome, SshdSkip, run_sshd, sshd_section};

use crate::sandbox::probe_host;
use keys::examine_key_file;
use pam::read_pam_sshd;
use sshd_config::SshdContext;

/// What to examine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoctorOptions {
    /// authorized_keys files to check.
    pub authorized_keys: Vec<PathBuf>,
    /// The sshd binary to ask for its configuration.
    pub sshd: PathBuf,
}

/// Probes the host, reads sshd's configuration and the authorized_keys
/// files, and judges them.
pub fn examine(options: &DoctorOptions) -> Report {
    let host = probe_host();
    let sshd = run_sshd(&options.sshd, host.capabilities.euid);
    let force_command = match &sshd {
        SshdOutcome::Checked { config, .. } => config.force_command_runs_sshgate(),
        SshdOutcome::Skipped { .. } => false,
    };
    let files: Vec<(KeyFileReport, Section)> = options
        .authorized_keys
        .iter()
        .map(|path| examine_key_file(path, force_command))
        .collect();
    // PermitRootLogin matters only when a root key is among those examined.
    let context = SshdContext {
        root_keys_examined: files
            .iter()
            .any(|(file, _)| file.owner.as_ref().is_some_and(|owner| owner.uid == 0)),
    };
    let mut sections = host_sections(&host);
    sections.push(sshd_section(&sshd, context, read_pam_sshd));
    if files.is_empty() {
        sections.push(Section {
            title: "authorized_keys".to_owned(),
            findings: vec![Finding::new(
                Level::Skip,
                "skipped: no file given (name each with --authorized-keys FILE)",
            )],
        });
    }
    let (key_files, key_sections): (Vec<_>, Vec<_>) = files.into_iter().unzip();
    sections.extend(key_sections);
    Report {
        host,
        sshd,
        key_files,
        sections,
    }
}

#[cfg(test)]
mod tests;
