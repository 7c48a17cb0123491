//! The command line: argument parsing and dispatch, nothing else.

mod explain;
mod lint;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::exit;
use crate::gate::{self, PolicySource};
use crate::policy::DEFAULT_POLICY_DIR;

const ABOUT: &str = "Decide whether an SSH forced command may run, then confine it and exec it";

const LONG_ABOUT: &str = "\
sshgate is the program an administrator puts behind a restricted SSH key,
with command=\"...\" in authorized_keys or with ForceCommand in sshd_config.
sshd runs it with the client's command in SSH_ORIGINAL_COMMAND.

Without a subcommand, sshgate runs in forced-command mode: it splits the
command into words without any shell, matches it against the profile's
[[allow]] rules, and either denies it, printing one line
`sshgate: denied: <reason>` on stderr, or confines itself with Landlock and
no_new_privs, builds a fresh environment and execve()s the rule's program.
sshgate does not stay behind as a parent process. Every request, allowed or
denied, is recorded once, before the exec or the denial.";

const AFTER_LONG_HELP: &str = "\
WIRING:
    In authorized_keys, one line per key (`--key` names it for the profile's `keys`):
        restrict,command=\"/usr/local/bin/sshgate --profile backup --key b01\" ssh-ed25519 AAAA...
    For a root key, also set `PermitRootLogin forced-commands-only` in sshd_config.
    Or, in sshd_config: ForceCommand /usr/local/bin/sshgate --profile backup

ENVIRONMENT (set by sshd):
    SSH_ORIGINAL_COMMAND   the client's command; unset for an interactive login (denied)
    SSH_CONNECTION         client address and port, server address and port
    SSH_CLIENT             the older form, used when SSH_CONNECTION is unset

FILES:
    /etc/sshgate/NAME.toml   the policy of profile NAME (see README: Policy reference).
                             It and every parent directory must be owned by root or the
                             invoking user and not group- or world-writable (a root-owned
                             sticky directory such as /tmp is accepted).

EXIT STATUS:
    forced-command mode
        (the command's own status once it has been executed)
        77  denied by the policy (no command, shell syntax, address, key, no matching rule)
        78  the policy could not be loaded or is insecure; everything is denied
        71  the sandbox could not be applied, or the exec failed
        74  the audit record could not be written
         2  sshgate's own command line is malformed
    explain: 0 allowed, 1 denied, 78 policy unusable, 2 usage
    lint:    0 no errors, 1 errors found, 2 usage

EXAMPLES:
    sshgate explain --profile backup --from 192.0.2.10 -- 'df -h'
    sshgate explain --profile backup --json -- 'rsync --server --sender -e.LsfxC . /srv/'
    sshgate lint --strict /etc/sshgate
";

/// sshgate's command line.
#[derive(Debug, Parser)]
#[command(
    name = "sshgate",
    version,
    about = ABOUT,
    long_about = LONG_ABOUT,
    after_long_help = AFTER_LONG_HELP,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    #[command(flatten)]
    policy: PolicyArgs,

    /// Name of the key this command line belongs to, matched against the
    /// profile's `keys`. Set it in the authorized_keys line of each key.
    #[arg(long, value_name = "NAME")]
    key: Option<String>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Show what forced-command mode would decide for a command, and the
    /// full sandbox plan, without running anything or touching kernel state
    #[command(
        after_long_help = "EXIT STATUS:\n    0 allowed, 1 denied, 78 the policy could not be loaded, 2 usage error\n\nEXAMPLE:\n    sshgate explain --policy ./backup.toml --from 192.0.2.10 -- 'df -h'"
    )]
    Explain(explain::ExplainArgs),
    /// Check policy files: schema, absolute programs, regexes, unreachable
    /// rules, and that programs and paths exist on this host
    #[command(
        after_long_help = "Prints one `file:line:col: severity: message` line per finding.\n\nEXIT STATUS:\n    0 no errors (warnings allowed), 1 at least one error, 2 usage error"
    )]
    Lint(lint::LintArgs),
}

/// Which policy to use: a profile name in the policy directory, or a file.
#[derive(Debug, Clone, Args)]
struct PolicyArgs {
    /// Load the profile NAME from <policy-dir>/NAME.toml. NAME may not
    /// contain '/' or '..'.
    #[arg(long, value_name = "NAME", conflicts_with = "policy")]
    profile: Option<String>,

    /// Load exactly this policy file.
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,

    /// Directory that --profile names are looked up in.
    #[arg(long, value_name = "DIR", default_value = DEFAULT_POLICY_DIR, requires = "profile")]
    policy_dir: PathBuf,
}

impl PolicyArgs {
    fn source(&self) -> Option<PolicySource> {
        match (&self.profile, &self.policy) {
            (Some(name), _) => Some(PolicySource::Profile {
                dir: self.policy_dir.clone(),
                name: name.clone(),
            }),
            (None, Some(file)) => Some(PolicySource::File(file.clone())),
            (None, None) => None,
        }
    }
}

/// Whether sshd started us, so that even a broken invocation is a request
/// that must be recorded.
fn invoked_by_sshd() -> bool {
    ["SSH_CONNECTION", "SSH_CLIENT", "SSH_ORIGINAL_COMMAND"]
        .iter()
        .any(|name| std::env::var_os(name).is_some())
}

/// Records a malformed invocation when sshd made it (see
/// [`invoked_by_sshd`]); a failure to record is said on stderr.
fn record_if_invoked_by_sshd(problem: &str) {
    if invoked_by_sshd() {
        if let Err(log_error) = gate::record_malformed_invocation(problem) {
            eprintln!("sshgate: denied: {log_error}");
        }
    }
}

/// Parses the command line and runs the requested mode.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // Printing can only fail if stderr is gone, and then there is
            // nobody left to tell.
            let _ = error.print();
            if !error.use_stderr() {
                return ExitCode::from(exit::OK);
            }
            record_if_invoked_by_sshd(&error.kind().to_string());
            return ExitCode::from(exit::USAGE);
        }
    };
    match cli.command {
        Some(Command::Explain(args)) => explain::run(&args),
        Some(Command::Lint(args)) => lint::run(&args),
        None => match cli.policy.source() {
            Some(source) => gate::run(&source, cli.key),
            None => {
                let problem = "one of --profile or --policy is required";
                eprintln!("sshgate: {problem}");
                record_if_invoked_by_sshd(problem);
                ExitCode::from(exit::USAGE)
            }
        },
    }
}
