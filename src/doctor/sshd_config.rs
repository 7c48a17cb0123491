//! sshd's effective configuration: running `sshd -T`, parsing what it
//! prints, and what in it lets code run beside the gate.
//!
//! `sshd -T` prints one `keyword value` line per setting, keywords in lower
//! case, with a multi-valued setting (`acceptenv`, `subsystem`, ...) on
//! several lines. It shows the global configuration: `Match` blocks are not
//! evaluated without `-C`. It runs only as root: sshd reads its host keys
//! to print its configuration, and refuses without them.
//!
//! Settings checked, and why:
//!
//! - `PermitUserEnvironment`: lets `~/.ssh/environment` and `environment=`
//!   key options set variables such as `LD_PRELOAD` for the login shell and
//!   for sshgate itself, before the gate runs.
//! - `AcceptEnv`: the same for variables the client sends.
//! - `PermitTunnel`: `restrict` does not turn tun/tap forwarding off (only
//!   `PermitTunnel no` does), and a root key can route packets beside the
//!   gate's network rules.
//! - `StrictModes no`: sshd then accepts key files others can write.
//! - `PermitRootLogin`, when a root-owned key file is examined: only
//!   `forced-commands-only` (or `no`) keeps a root key without `command=`
//!   from getting a root shell.
//! - forwarding, `PermitUserRC` and `PermitTTY`: each key that runs sshgate
//!   must turn them off with `restrict`, so they are only reported.
//! - `ForceCommand`: when it runs sshgate, every key of every user does.
//! - with `UsePAM yes`, the PAM configuration ([`super::pam`]).
//!
//! Not checked: `ExposeAuthInfo`, which only tells the session which key
//! authenticated it (in a file named by `SSH_USER_AUTH`, a variable the
//! gate does not pass on); it opens no way around the gate.

use std::collections::BTreeMap;
use std::fmt::{self, Display, Formatter};
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use super::pam::{PAM_SSHD, pam_findings};
use super::report::{Finding, Level, Section};
use crate::audit::escape_control;

/// The sshd binary `sshd -T` runs by default.
pub const DEFAULT_SSHD: &str = "/usr/sbin/sshd";

/// Whether sshd's configuration could be read.
#[derive(Debug)]
pub enum SshdOutcome {
    /// `sshd -T` ran.
    Checked {
        /// The binary that ran.
        binary: PathBuf,
        /// What it printed.
        config: SshdConfig,
    },
    /// It did not, and why.
    Skipped {
        /// The binary that would have run.
        binary: PathBuf,
        /// Why it did not, or how it failed.
        reason: SshdSkip,
    },
}

/// Why `sshd -T` was not run, or gave no configuration.
#[derive(Debug)]
pub enum SshdSkip {
    /// Doctor does not run as root, so sshd could not read its host keys.
    NotRoot {
        /// Doctor's effective uid.
        euid: u32,
    },
    /// The binary could not be started.
    CannotRun {
        /// The binary.
        binary: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// sshd exited unsuccessfully.
    Failed {
        /// The binary.
        binary: PathBuf,
        /// How it exited.
        status: ExitStatus,
        /// The last line it wrote to stderr that is not blank, if any.
        last_error_line: Option<String>,
    },
    /// sshd succeeded but printed no configuration (no `port` line).
    NoConfiguration {
        /// The binary.
        binary: PathBuf,
    },
}

impl Display for SshdSkip {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotRoot { euid } => write!(
                f,
                "not root (uid {euid}); sshd -T must read the host keys, which only root can"
            ),
            Self::CannotRun { binary, source } => {
                write!(f, "cannot run {}: {source}", binary.display())
            }
            Self::Failed {
                binary,
                status,
                last_error_line,
            } => write!(
                f,
                "`{} -T` failed ({status}): {}",
                binary.display(),
                last_error_line.as_deref().map_or_else(
                    || "(nothing on stderr)".to_owned(),
                    |line| escape_control(line.as_bytes())
                )
            ),
            Self::NoConfiguration { binary } => {
                write!(f, "`{} -T` printed no sshd configuration", binary.display())
            }
        }
    }
}

impl std::error::Error for SshdSkip {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::CannotRun { source, .. } => Some(source),
            Self::NotRoot { .. } | Self::Failed { .. } | Self::NoConfiguration { .. } => None,
        }
    }
}

/// `{binary, checked, skipped, settings}`: `skipped` is why sshd was not
/// checked (`null` when it was), `settings` what [`SshdConfig::checked_settings`]
/// found (`{}` when it was not).
impl Serialize for SshdOutcome {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (binary, skipped, settings) = match self {
            Self::Checked { binary, config } => (
                binary,
                None,
                config.checked_settings().into_iter().collect(),
            ),
            Self::Skipped { binary, reason } => (binary, Some(reason), BTreeMap::new()),
        };
        let mut json = serializer.serialize_struct("SshdOutcome", 4)?;
        json.serialize_field("binary", &binary.display().to_string())?;
        json.serialize_field("checked", &skipped.is_none())?;
        json.serialize_field("skipped", &skipped.map(ToString::to_string))?;
        json.serialize_field("settings", &settings)?;
        json.end()
    }
}

/// Runs `binary -T`, only as root (`euid` 0): sshd reads its host keys to
/// print its configuration, and refuses without them.
pub fn run_sshd(binary: &Path, euid: u32) -> SshdOutcome {
    match sshd_configuration(binary, euid) {
        Ok(config) => SshdOutcome::Checked {
            binary: binary.to_path_buf(),
            config,
        },
        Err(reason) => SshdOutcome::Skipped {
            binary: binary.to_path_buf(),
            reason,
        },
    }
}

/// What `binary -T` prints, parsed; see [`run_sshd`].
fn sshd_configuration(binary: &Path, euid: u32) -> Result<SshdConfig, SshdSkip> {
    if euid != 0 {
        return Err(SshdSkip::NotRoot { euid });
    }
    let output = Command::new(binary)
        .arg("-T")
        .stdin(Stdio::null())
        .output()
        .map_err(|source| SshdSkip::CannotRun {
            binary: binary.to_path_buf(),
            source,
        })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(SshdSkip::Failed {
            binary: binary.to_path_buf(),
            status: output.status,
            last_error_line: stderr
                .lines()
                .rev()
                .find(|line| !line.trim().is_empty())
                .map(str::to_owned),
        });
    }
    let config = SshdConfig::parse(&String::from_utf8_lossy(&output.stdout));
    if config.get("port").is_none() {
        return Err(SshdSkip::NoConfiguration {
            binary: binary.to_path_buf(),
        });
    }
    Ok(config)
}

/// The sshd section; `read_pam` reads [`PAM_SSHD`] when sshd uses PAM.
pub fn sshd_section(
    sshd: &SshdOutcome,
    context: SshdContext,
    read_pam: impl FnOnce() -> io::Result<String>,
) -> Section {
    match sshd {
        SshdOutcome::Skipped { binary, reason } => Section {
            title: format!("sshd ({} -T)", binary.display()),
            findings: vec![Finding::new(Level::Skip, format!("skipped: {reason}"))],
        },
        SshdOutcome::Checked { binary, config } => {
            let mut findings = sshd_findings(config, context);
            if config.is("usepam", "yes") {
                let text = read_pam();
                findings.extend(pam_findings(PAM_SSHD, text.as_deref()));
            }
            Section {
                title: format!("sshd ({} -T; Match blocks not evaluated)", binary.display()),
                findings,
            }
        }
    }
}

/// Environment variables that change how the login shell or sshgate start,
/// with why. A client or user file that can set one of them runs code
/// before the gate decides anything.
const DANGEROUS_VARIABLES: &[(&str, &str)] = &[
    ("LD_PRELOAD", "the dynamic loader loads the named library"),
    ("LD_LIBRARY_PATH", "the dynamic loader searches it first"),
    ("LD_AUDIT", "the dynamic loader loads the named library"),
    // The rest of LD_* (LD_DEBUG_OUTPUT writes files as the gate's user,
    // before any of sshgate's code runs), and glibc's own knobs.
    (
        "LD_DEBUG_OUTPUT",
        "the dynamic loader writes its debug output to the named file",
    ),
    ("LD_BIND_NOW", "the dynamic loader changes how it binds"),
    (
        "GLIBC_TUNABLES",
        "glibc changes its allocator and loader settings (CVE-2023-4911)",
    ),
    ("MALLOC_CHECK_", "glibc changes its allocator"),
    ("GCONV_PATH", "iconv loads modules from the named directory"),
    (
        "LOCPATH",
        "glibc reads locale data from the named directory",
    ),
    ("BASH_ENV", "bash sources the named file"),
    ("ENV", "sh sources the named file"),
    ("SHELLOPTS", "bash turns on the named options"),
    ("BASHOPTS", "bash turns on the named options"),
    // What bash imports exported functions from: `BASH_FUNC_name%%`.
    ("BASH_FUNC_x%%", "bash defines the function"),
    (
        "PATH",
        "a command= that is not an absolute path is looked up in it",
    ),
];

/// `sshd -T` output, parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SshdConfig {
    /// Every `keyword value` line, keyword in lower case, in order.
    settings: Vec<(String, String)>,
}

impl SshdConfig {
    /// Parses `sshd -T` output. Lines without a value are kept with an
    /// empty one; blank lines are skipped.
    pub fn parse(text: &str) -> Self {
        let settings = text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(|line| {
                let (keyword, value) = line
                    .split_once([' ', '\t'])
                    .map_or((line, ""), |(keyword, value)| (keyword, value.trim()));
                (keyword.to_ascii_lowercase(), value.to_owned())
            })
            .collect();
        Self { settings }
    }

    /// The first value of `keyword` (lower case), if sshd printed it.
    pub fn get(&self, keyword: &str) -> Option<&str> {
        self.settings
            .iter()
            .find(|(name, _)| name == keyword)
            .map(|(_, value)| value.as_str())
    }

    /// Every value of a multi-valued `keyword`, each line split into words.
    pub fn all(&self, keyword: &str) -> Vec<&str> {
        self.settings
            .iter()
            .filter(|(name, _)| name == keyword)
            .flat_map(|(_, value)| value.split_whitespace())
            .collect()
    }

    /// The settings doctor checks, with their values, for `--json`.
    pub fn checked_settings(&self) -> Vec<(&'static str, String)> {
        CHECKED
            .iter()
            .filter_map(|keyword| {
                let values = self.all(keyword);
                (!values.is_empty()).then(|| (*keyword, values.join(" ")))
            })
            .collect()
    }

    fn is(&self, keyword: &str, value: &str) -> bool {
        self.get(keyword)
            .is_some_and(|v| v.eq_ignore_ascii_case(value))
    }

    /// Whether `ForceCommand` runs sshgate (outside `Match` blocks).
    pub fn force_command_runs_sshgate(&self) -> bool {
        self.get("forcecommand")
            .is_some_and(|command| command != "none" && command_runs_sshgate(command))
    }
}

/// The keywords [`SshdConfig::checked_settings`] reports.
const CHECKED: &[&str] = &[
    "permituserenvironment",
    "acceptenv",
    "permittunnel",
    "strictmodes",
    "permitrootlogin",
    "disableforwarding",
    "allowtcpforwarding",
    "allowstreamlocalforwarding",
    "allowagentforwarding",
    "x11forwarding",
    "permituserrc",
    "permittty",
    "forcecommand",
    "usepam",
];

/// What else the sshd checks need to know.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SshdContext {
    /// A root-owned authorized_keys file is among those examined.
    pub root_keys_examined: bool,
}

/// The findings about sshd's configuration, in a fixed order.
pub fn sshd_findings(config: &SshdConfig, context: SshdContext) -> Vec<Finding> {
    let mut findings = vec![user_environment_finding(config), accept_env_finding(config)];
    match config.get("permittunnel") {
        Some(value) if !value.eq_ignore_ascii_case("no") => findings.push(Finding::new(
            Level::Warn,
            format!(
                "PermitTunnel {value}: `restrict` does not turn off tun/tap forwarding, so a \
                 root key can route packets beside the gate's network rules; set PermitTunnel no"
            ),
        )),
        Some(_) => findings.push(Finding::new(Level::Ok, "PermitTunnel no")),
        None => {}
    }
    if config.is("strictmodes", "no") {
        findings.push(Finding::new(
            Level::Warn,
            "StrictModes no: sshd accepts authorized_keys files and directories that other \
             users can write; set StrictModes yes",
        ));
    }
    if context.root_keys_examined {
        if let Some(value) = config.get("permitrootlogin") {
            let level = if value == "forced-commands-only" || value == "no" {
                Level::Ok
            } else {
                Level::Warn
            };
            let advice = if level == Level::Ok {
                ""
            } else {
                ": a root key without command= gets a root shell; set \
                 PermitRootLogin forced-commands-only"
            };
            findings.push(Finding::new(
                level,
                format!("PermitRootLogin {value}{advice}"),
            ));
        }
    }
    findings.push(forwarding_finding(config));
    if config.force_command_runs_sshgate() {
        findings.push(Finding::new(
            Level::Info,
            format!(
                "ForceCommand {}: every key runs sshgate, whatever its command=",
                config.get("forcecommand").unwrap_or_default()
            ),
        ));
    }
    findings
}

fn user_environment_finding(config: &SshdConfig) -> Finding {
    let value = config.get("permituserenvironment").unwrap_or("no");
    if value.eq_ignore_ascii_case("no") {
        return Finding::new(Level::Ok, "PermitUserEnvironment no");
    }
    // `yes` lets every name through; otherwise the value is a pattern list.
    let patterns: Vec<&str> = if value.eq_ignore_ascii_case("yes") {
        vec!["*"]
    } else {
        value.split(',').collect()
    };
    let dangerous = dangerous_matches(&patterns);
    if dangerous.is_empty() {
        return Finding::new(
            Level::Ok,
            format!(
                "PermitUserEnvironment {value}: allows no variable that changes how the login shell or sshgate start"
            ),
        );
    }
    Finding::new(
        Level::Warn,
        format!(
            "PermitUserEnvironment {value}: ~/.ssh/environment and environment= key options can set {} \
             for the login shell and sshgate, before the gate runs; set PermitUserEnvironment no",
            dangerous.join(", ")
        ),
    )
}

fn accept_env_finding(config: &SshdConfig) -> Finding {
    let patterns = config.all("acceptenv");
    let shown = if patterns.is_empty() {
        "(none)".to_owned()
    } else {
        patterns.join(" ")
    };
    let dangerous = dangerous_matches(&patterns);
    if dangerous.is_empty() {
        return Finding::new(
            Level::Ok,
            format!(
                "AcceptEnv {shown}: the client can set no variable that changes how the login shell or sshgate start"
            ),
        );
    }
    Finding::new(
        Level::Warn,
        format!(
            "AcceptEnv {shown}: the client can set {} for the login shell and sshgate, \
             before the gate runs; accept only names such as LANG and LC_*",
            dangerous.join(", ")
        ),
    )
}

/// The forwarding and session features sshd allows globally; each key that
/// runs sshgate must turn them off with `restrict`.
fn forwarding_finding(config: &SshdConfig) -> Finding {
    let no_forwarding = config.is("disableforwarding", "yes");
    let allowed = |keyword: &str| {
        config
            .get(keyword)
            .is_some_and(|value| !value.eq_ignore_ascii_case("no"))
    };
    let features = [
        (
            "TCP forwarding",
            !no_forwarding && allowed("allowtcpforwarding"),
        ),
        (
            "unix socket forwarding",
            !no_forwarding && allowed("allowstreamlocalforwarding"),
        ),
        (
            "agent forwarding",
            !no_forwarding && allowed("allowagentforwarding"),
        ),
        ("X11 forwarding", !no_forwarding && allowed("x11forwarding")),
        ("~/.ssh/rc", allowed("permituserrc")),
        ("a pty", allowed("permittty")),
    ];
    let enabled: Vec<&str> = features
        .iter()
        .filter(|(_, on)| *on)
        .map(|(name, _)| *name)
        .collect();
    if enabled.is_empty() {
        return Finding::new(
            Level::Ok,
            "forwarding, ~/.ssh/rc and ptys are off for every key",
        );
    }
    Finding::new(
        Level::Info,
        format!(
            "allowed unless a key says `restrict`: {}; every key that runs sshgate needs it \
             (checked under authorized_keys)",
            enabled.join(", ")
        ),
    )
}

/// The dangerous variable names that any of `patterns` (sshd patterns,
/// with `*` and `?`) lets through, in the order of [`DANGEROUS_VARIABLES`].
fn dangerous_matches(patterns: &[&str]) -> Vec<String> {
    DANGEROUS_VARIABLES
        .iter()
        .filter(|(name, _)| {
            patterns
                .iter()
                .any(|pattern| pattern_matches(pattern, name))
        })
        .map(|(name, why)| {
            let shown = name
                .strip_suffix("x%%")
                .map_or_else(|| (*name).to_owned(), |prefix| format!("{prefix}*"));
            format!("{shown} ({why})")
        })
        .collect()
}

/// sshd's `match_pattern`: `*` matches any run of characters, `?` any one
/// character, everything else itself. A leading `!` (negation in a pattern
/// list) never grants, so such a pattern matches nothing here.
fn pattern_matches(pattern: &str, text: &str) -> bool {
    if pattern.starts_with('!') {
        return false;
    }
    fn matches(pattern: &[u8], text: &[u8]) -> bool {
        match pattern.split_first() {
            None => text.is_empty(),
            Some((b'*', rest)) => (0..=text.len()).any(|skip| matches(rest, &text[skip..])),
            Some((b'?', rest)) => !text.is_empty() && matches(rest, &text[1..]),
            Some((c, rest)) => text.first() == Some(c) && matches(rest, &text[1..]),
        }
    }
    matches(pattern.as_bytes(), text.as_bytes())
}

/// Whether a command line (sshd runs it with the login shell's `-c`) starts
/// sshgate: its first word, or the word after a leading `exec`, names a file
/// called `sshgate`.
pub fn command_runs_sshgate(command: &str) -> bool {
    let mut words = shell_words(command).into_iter();
    let first = words.next();
    let program = if first.as_deref() == Some("exec") {
        words.next()
    } else {
        first
    };
    program.is_some_and(|word| {
        std::path::Path::new(&word)
            .file_name()
            .is_some_and(|name| name == "sshgate")
    })
}

/// The first words of a shell command line, quotes and backslashes removed;
/// enough to find the program, not a full shell parser.
fn shell_words(command: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = command.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                word.extend(chars.by_ref().take_while(|&c| c != '\''));
            }
            '"' => {
                in_word = true;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => word.extend(chars.next()),
                        c => word.push(c),
                    }
                }
            }
            '\\' => {
                in_word = true;
                word.extend(chars.next());
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Trimmed `sshd -T` output of Debian 12's default configuration.
    const DEBIAN: &str = "\
port 22
addressfamily any
usepam yes
permitrootlogin without-password
x11forwarding yes
permittty yes
permituserrc yes
strictmodes yes
allowtcpforwarding yes
allowagentforwarding yes
disableforwarding no
allowstreamlocalforwarding yes
exposeauthinfo no
forcecommand none
acceptenv LANG
acceptenv LC_*
subsystem sftp /usr/lib/openssh/sftp-server
permittunnel no
permituserenvironment no
";

    fn messages(findings: &[Finding]) -> Vec<String> {
        findings.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn parses_keywords_and_multiple_values() {
        let config = SshdConfig::parse(DEBIAN);
        assert_eq!(config.get("permituserenvironment"), Some("no"));
        assert_eq!(
            config.get("subsystem"),
            Some("sftp /usr/lib/openssh/sftp-server")
        );
        assert_eq!(config.all("acceptenv"), ["LANG", "LC_*"]);
        assert_eq!(config.get("nosuchkeyword"), None);
        assert!(!config.force_command_runs_sshgate());
        assert!(
            config
                .checked_settings()
                .contains(&("acceptenv", "LANG LC_*".to_owned()))
        );
    }

    #[test]
    fn debian_defaults() {
        let config = SshdConfig::parse(DEBIAN);
        assert_eq!(
            messages(&sshd_findings(&config, SshdContext::default())),
            [
                "OK: PermitUserEnvironment no",
                "OK: AcceptEnv LANG LC_*: the client can set no variable that changes how the \
                 login shell or sshgate start",
                "OK: PermitTunnel no",
                "INFO: allowed unless a key says `restrict`: TCP forwarding, unix socket \
                 forwarding, agent forwarding, X11 forwarding, ~/.ssh/rc, a pty; every key that \
                 runs sshgate needs it (checked under authorized_keys)",
            ]
        );
        let root = SshdContext {
            root_keys_examined: true,
        };
        assert!(
            messages(&sshd_findings(&config, root)).contains(
                &"WARN: PermitRootLogin without-password: a root key without command= gets a \
                  root shell; set PermitRootLogin forced-commands-only"
                    .to_owned()
            )
        );
    }

    #[test]
    fn permit_user_environment() {
        let config = SshdConfig::parse("permituserenvironment yes\n");
        let finding = user_environment_finding(&config);
        assert_eq!(finding.level, Level::Warn);
        assert!(
            finding.message.starts_with(
                "PermitUserEnvironment yes: ~/.ssh/environment and environment= key options \
                 can set LD_PRELOAD (the dynamic loader loads the named library), LD_LIBRARY_PATH"
            ),
            "{finding}"
        );
        // A pattern list is judged by what it lets through.
        let safe = SshdConfig::parse("permituserenvironment LANG,LC_*\n");
        assert_eq!(user_environment_finding(&safe).level, Level::Ok);
        let loose = SshdConfig::parse("permituserenvironment LANG,LD_*\n");
        let finding = user_environment_finding(&loose);
        assert_eq!(finding.level, Level::Warn);
        assert!(finding.message.contains("LD_PRELOAD"), "{finding}");
        assert!(!finding.message.contains("BASH_ENV"), "{finding}");
        // Absent (an sshd too old to print it) means sshd's default, no.
        assert_eq!(
            user_environment_finding(&SshdConfig::default()).level,
            Level::Ok
        );
    }

    #[test]
    fn accept_env_and_tunnel_and_strict_modes() {
        let config = SshdConfig::parse(
            "acceptenv LANG\nacceptenv BASH_*\npermittunnel point-to-point\nstrictmodes no\n",
        );
        let found = messages(&sshd_findings(&config, SshdContext::default()));
        assert!(found.contains(
            &"WARN: AcceptEnv LANG BASH_*: the client can set BASH_ENV (bash sources the named \
              file), BASH_FUNC_* (bash defines the function) for the login shell and sshgate, \
              before the gate runs; accept only names such as LANG and LC_*"
                .to_owned()
        ));
        assert!(
            found
                .iter()
                .any(|f| f.starts_with("WARN: PermitTunnel point-to-point: "))
        );
        assert!(
            found
                .iter()
                .any(|f| f.starts_with("WARN: StrictModes no: "))
        );
    }

    #[test]
    fn accept_env_of_glibc_and_loader_knobs_is_warned_about() {
        // A third hostile review: `LD_DEBUG_OUTPUT` made the root gate write
        // a file before any of sshgate's code ran, and doctor said OK.
        let config = SshdConfig::parse("acceptenv LANG LC_* GLIBC_TUNABLES LD_DEBUG* MALLOC_*\n");
        let found = messages(&sshd_findings(&config, SshdContext::default()));
        let accept_env = found
            .iter()
            .find(|f| f.starts_with("WARN: AcceptEnv "))
            .unwrap_or_else(|| panic!("no AcceptEnv warning in {found:?}"));
        for name in ["GLIBC_TUNABLES", "LD_DEBUG_OUTPUT", "MALLOC_CHECK_"] {
            assert!(accept_env.contains(name), "{name} not in {accept_env}");
        }
        let harmless = SshdConfig::parse("acceptenv LANG LC_*\n");
        assert!(
            messages(&sshd_findings(&harmless, SshdContext::default()))
                .iter()
                .any(|f| f.starts_with("OK: AcceptEnv LANG LC_*"))
        );
    }

    #[test]
    fn forwarding_off_everywhere() {
        let config = SshdConfig::parse(
            "disableforwarding yes\nallowtcpforwarding yes\npermituserrc no\npermittty no\n",
        );
        assert_eq!(
            forwarding_finding(&config).to_string(),
            "OK: forwarding, ~/.ssh/rc and ptys are off for every key"
        );
    }

    #[test]
    fn force_command() {
        let config = SshdConfig::parse("forcecommand /usr/local/bin/sshgate --profile all\n");
        assert!(config.force_command_runs_sshgate());
        assert!(
            messages(&sshd_findings(&config, SshdContext::default()))
                .iter()
                .any(|f| f.starts_with("INFO: ForceCommand /usr/local/bin/sshgate"))
        );
    }

    #[test]
    fn patterns() {
        assert!(pattern_matches("*", "LD_PRELOAD"));
        assert!(pattern_matches("LD_*", "LD_PRELOAD"));
        assert!(pattern_matches("L?_PRELOAD", "LD_PRELOAD"));
        assert!(!pattern_matches("LC_*", "LD_PRELOAD"));
        assert!(!pattern_matches("LD", "LD_PRELOAD"));
        assert!(!pattern_matches("!LD_*", "LD_PRELOAD"));
        assert!(pattern_matches("*ENV", "ENV"));
    }

    #[test]
    fn programs_of_commands() {
        assert!(command_runs_sshgate(
            "/usr/local/bin/sshgate --profile backup"
        ));
        assert!(command_runs_sshgate("sshgate"));
        assert!(command_runs_sshgate(
            "exec /usr/local/bin/sshgate --key a,b"
        ));
        assert!(command_runs_sshgate("'/opt/my tools/sshgate' --profile x"));
        assert!(command_runs_sshgate("  \"/usr/bin/sshgate\""));
        assert!(!command_runs_sshgate("/usr/bin/rrsync /srv"));
        assert!(!command_runs_sshgate("/usr/bin/logger sshgate"));
        assert!(!command_runs_sshgate("/usr/local/bin/sshgate-old"));
        assert!(!command_runs_sshgate(""));
    }
}
