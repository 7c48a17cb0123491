//! What doctor found: findings grouped in sections, the facts behind them,
//! and the verdict that decides the exit status.
//!
//! The `--json` form is the serde form of [`Report`]: the host's layers at
//! the top level, then sshd, the authorized_keys files and the sections.

use std::fmt::{self, Display, Formatter};

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use super::keys::KeyFileReport;
use super::sshd_config::SshdOutcome;
use crate::sandbox::HostSupport;

/// How serious a finding is; in `--json`, its name in lower case (`ok`,
/// `info`, `skip`, `warn` or `fail`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Fine as it is.
    Ok,
    /// A fact, no action needed.
    Info,
    /// Not checked, and why.
    Skip,
    /// Lets code run beside the gate, or keeps a key from working.
    Warn,
    /// The host cannot enforce the default policy.
    Fail,
}

impl Level {
    /// The marker printed in the text report: `OK`, `INFO`, `SKIP`, `WARN`
    /// or `FAIL`.
    pub fn marker(self) -> &'static str {
        match self {
            Self::Ok => "OK",
            Self::Info => "INFO",
            Self::Skip => "SKIP",
            Self::Warn => "WARN",
            Self::Fail => "FAIL",
        }
    }
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// How serious it is.
    pub level: Level,
    /// Where: `file:line` for a key, a path for a file or directory.
    pub location: Option<String>,
    /// What was found, and what to do about it, in one line.
    pub message: String,
}

impl Finding {
    /// A finding about the host or sshd as a whole.
    pub fn new(level: Level, message: impl Into<String>) -> Self {
        Self {
            level,
            location: None,
            message: message.into(),
        }
    }

    /// A finding about one file, line or directory.
    pub fn located(level: Level, location: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            level,
            location: Some(location.into()),
            message: message.into(),
        }
    }

    /// The finding without its level: `location: message`, or the message
    /// alone. The text report prints it after the level's marker.
    pub fn text(&self) -> FindingText<'_> {
        FindingText(self)
    }
}

/// [`Finding::text`]: `location: message`, or the message alone.
#[derive(Debug, Clone, Copy)]
pub struct FindingText<'a>(&'a Finding);

impl Display for FindingText<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if let Some(location) = &self.0.location {
            write!(f, "{location}: ")?;
        }
        f.write_str(&self.0.message)
    }
}

impl Display for Finding {
    /// `LEVEL: location: message`, as the unit tests compare it.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.level.marker(), self.text())
    }
}

/// A titled group of findings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Section {
    /// The heading, e.g. `Landlock`.
    pub title: String,
    /// The findings, in order.
    pub findings: Vec<Finding>,
}

/// The overall outcome, which decides the exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The default policy can be enforced and nothing was found.
    Ok,
    /// The default policy can be enforced, with warnings.
    Warnings,
    /// The default policy cannot be enforced on this host.
    CannotEnforce,
}

/// Everything doctor found.
#[derive(Debug)]
pub struct Report {
    /// The kernel's layers and this process's capabilities.
    pub host: HostSupport,
    /// sshd's configuration.
    pub sshd: SshdOutcome,
    /// The authorized_keys files, in the order given.
    pub key_files: Vec<KeyFileReport>,
    /// The findings, grouped for display.
    pub sections: Vec<Section>,
}

impl Report {
    /// How many warnings there are.
    pub fn warnings(&self) -> usize {
        self.findings()
            .filter(|finding| finding.level == Level::Warn)
            .count()
    }

    /// Whether this host can enforce the default policy.
    pub fn can_enforce_default_policy(&self) -> bool {
        self.host.can_enforce_default_policy()
            && !self.findings().any(|finding| finding.level == Level::Fail)
    }

    /// The outcome: cannot enforce, else warnings, else OK.
    pub fn verdict(&self) -> Verdict {
        if !self.can_enforce_default_policy() {
            Verdict::CannotEnforce
        } else if self.warnings() > 0 {
            Verdict::Warnings
        } else {
            Verdict::Ok
        }
    }

    fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.sections.iter().flat_map(|section| &section.findings)
    }
}

/// The verdict's facts, then the host's layers (`landlock`, `seccomp`,
/// `x32`, `capabilities`; see `doctor::host`), sshd, the authorized_keys
/// files and the sections. Written by hand because the first two are
/// computed, not stored.
impl Serialize for Report {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut json = serializer.serialize_struct("Report", 9)?;
        json.serialize_field(
            "can_enforce_default_policy",
            &self.can_enforce_default_policy(),
        )?;
        json.serialize_field("warnings", &self.warnings())?;
        json.serialize_field("landlock", &self.host.landlock)?;
        json.serialize_field("seccomp", &self.host.seccomp)?;
        json.serialize_field("x32", &self.host.x32)?;
        json.serialize_field("capabilities", &self.host.capabilities)?;
        json.serialize_field("sshd", &self.sshd)?;
        json.serialize_field("authorized_keys", &self.key_files)?;
        json.serialize_field("sections", &self.sections)?;
        json.end()
    }
}
