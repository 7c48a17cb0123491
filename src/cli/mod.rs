//! The command line: argument parsing and dispatch, nothing else.

mod doctor;
mod explain;
mod import_authprogs;
mod install_key;
mod lint;
mod suggest;

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
`sshgate: denied: <reason>` on stderr, or confines itself (Landlock,
seccomp, capabilities, no_new_privs, identity, limits), builds a fresh
environment and execve()s the rule's program.

A rule is an exact argv pattern (`command`), or a tool rule that names
paths and parses the tool's server command line the way the tool does:
`rsync` (send/receive trees), `scp` (legacy -f/-t), `sftp` (the system
sftp-server with -R/-d/request lists), `git` (upload-pack/receive-pack on
listed repositories) or `borg` (borg serve restricted to one repository).
A tool rule rebuilds the command from what it checked and derives the
Landlock grants from the same paths.
sshgate does not stay behind as a parent process. Every request, allowed or
denied, is recorded once, before the exec or the denial.";

const AFTER_LONG_HELP: &str = "\
WIRING:
    In authorized_keys, one line per key (`--key` names it for the profile's `keys`):
        restrict,command=\"/usr/local/bin/sshgate --profile backup --key b01\" ssh-ed25519 AAAA...
    For a root key, also set `PermitRootLogin forced-commands-only` in sshd_config.
    `sshgate install-key --profile backup --key b01 key.pub` writes such a line.
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
    /run/sshgate/UID/        the session locks of profiles with max_concurrent, per
                             invoking account; a root gate makes it, another account's
                             must be made by root (install -d -m 0700 -o UID ...).

EXIT STATUS:
    forced-command mode
        (the command's own status once it has been executed)
        77  denied by the policy (no command, shell syntax, address, key, no matching
            rule, an option or path a tool rule refuses, a user or kept capability
            the gate cannot provide)
        75  the profile's max_concurrent sessions are running (and `wait`, if
            set, passed): the same request may succeed later
        78  the policy could not be loaded or is insecure; everything is denied
        71  a layer of the sandbox could not be applied, the exec failed, or SIGHUP
            (the client went away), SIGTERM or SIGINT came before the exec
        74  the audit record could not be written
         2  sshgate's own command line is malformed
    explain: 0 allowed, 1 denied, 78 policy unusable, 2 usage
    lint:    0 no errors, 1 errors found, 2 usage
    doctor:  0 can enforce the default policy, no warnings; 1 warnings;
             71 this host cannot enforce the default policy; 2 usage
    install-key: 0 written (or printed, with --dry-run); 1 refused, nothing
             written; 74 a file could not be read or written; 2 usage
    import-authprogs: 0 converted exactly; 1 converted, with rules to review or
             approximations; 78 the configuration cannot be converted, nothing
             written; 74 a file could not be read or written, or a profile exists
    suggest: 0 rules printed, every line read; 1 rules printed, some lines
             skipped (named on stderr); 74 the log could not be read; 2 usage

EXAMPLES:
    sshgate explain --profile backup --from 192.0.2.10 -- 'df -h'
    sshgate explain --profile backup --json -- 'rsync --server --sender -e.LsfxC . /srv/'
        (for a tool rule: the parsed request, the rebuilt argv and the derived grants)
    sshgate lint --strict /etc/sshgate
    sshgate doctor --authorized-keys /home/backup/.ssh/authorized_keys
    sshgate install-key --profile backup --key b01 --from 192.0.2.10 b01.pub
    sshgate import-authprogs ~/.ssh/authprogs.yaml --out /tmp/profiles
    sshgate suggest --log /var/log/sshgate/backup.log --profile backup
";

const DOCTOR_LONG_ABOUT: &str = "\
Show what this host offers the gate, and warn about what runs beside it.

The gate confines the command it lets through, but sshd runs code before
the gate that the gate cannot stop: the login shell's startup files,
~/.ssh/rc, environment variables from the client or the user, and port,
agent, X11 and tunnel forwarding. doctor checks both sides:

- the kernel: the Landlock ABI and which of sshgate's features it covers,
  whether seccomp filters can be installed (tried in a child process, so
  doctor itself stays unconfined), and whether the x32 syscall ABI is on;
- this process's capabilities: whether the bounding set can be emptied
  (CAP_SETPCAP), whether a rule's user = \"...\" can be honoured (root), and
  which capabilities a rule can keep. They are the gate's only when sshd
  runs it as the same user, e.g. for a root key;
- sshd's effective configuration, from `sshd -T` (only when run as root;
  otherwise, or when sshd fails, the section says `skipped:` and why);
- each --authorized-keys FILE: every key that runs sshgate needs
  `restrict`, its owner's login shell must read no startup files, and the
  file, the directories above it up to the home directory, and the home
  directory itself must not be writable by anyone but the owner and root.

Each finding is one line, marked OK, INFO (a fact, nothing to do), SKIP
(not checked, and why), WARN (code can run beside the gate, or a key
cannot work) or FAIL (the default policy cannot be enforced here). Findings
about a key name `file:line`.";

const DOCTOR_AFTER_LONG_HELP: &str = "\
RULES:
    Keys      A key runs sshgate when its command= starts with a program named
              sshgate (or `exec` and one), or when sshd's ForceCommand does.
              Such a key needs `restrict`, or all of no-port-forwarding,
              no-agent-forwarding, no-X11-forwarding, no-pty and no-user-rc; a
              flag after `restrict` that turns one back on is a warning. A line
              sshd would ignore (unknown option, unclosed quote) is a warning.
    Shells    sshd runs every command as `SHELL -c COMMAND`. Fine: dash under
              any name (Debian's /bin/sh), and bash, mksh or busybox started as
              sh. Warned: bash (reads ~/.bashrc when started by sshd), zsh
              (~/.zshenv), fish, csh and tcsh; nologin and false, which never
              run the gate at all; any shell doctor does not know.
    Files     The owner of FILE is the user. Like sshd's StrictModes, FILE and
              each directory above it, up to the home directory (or / when FILE
              is elsewhere), must be owned by the user or root and be neither
              group- nor world-writable; the home directory is always checked.
    sshd      Warned: PermitUserEnvironment or AcceptEnv letting through
              LD_PRELOAD, LD_LIBRARY_PATH, LD_AUDIT, BASH_ENV, ENV, SHELLOPTS,
              BASHOPTS, BASH_FUNC_* or PATH; PermitTunnel other than no
              (`restrict` does not stop tunnels); StrictModes no; with a root
              key file, PermitRootLogin other than forced-commands-only or no;
              with UsePAM yes, pam_env.so user_readenv=1 in /etc/pam.d/sshd
              (~/.pam_environment). Forwarding, PermitUserRC and PermitTTY are
              reported as INFO: `restrict` on each key turns them off.
              Match blocks are not evaluated.

EXIT STATUS:
    0   the default policy (compat = \"enforce\") can be enforced; no warnings
    1   it can be enforced, with warnings
    71  this host cannot enforce the default policy (no Landlock, an ABI
        below the required one, Landlock rights this build cannot handle, or
        no seccomp filters); under compat = \"enforce\" every request would
        be denied
    2   usage error

EXAMPLES:
    sshgate doctor
    sshgate doctor --authorized-keys /home/backup/.ssh/authorized_keys --json
    sshgate doctor --sshd /usr/local/sbin/sshd --authorized-keys /root/.ssh/authorized_keys";

const INSTALL_KEY_LONG_ABOUT: &str = "\
Add one line to an authorized_keys file that wires a public key to a profile:

    restrict,command=\"SSHGATE --profile NAME --key KEY\" TYPE BASE64 COMMENT

`restrict` turns off port, agent and X11 forwarding, the pty and ~/.ssh/rc
for the key. command= names this sshgate (or --sshgate PATH) with the
profile, with --policy-dir when it is not /etc/sshgate, and with --key when
given. With --from, from=\"CIDR,...\" follows the command.

Nothing is written unless every check passes. install-key refuses:
- a key the file already holds (same type and key, whatever its options,
  even on a line sshd ignores), naming FILE:LINE;
- a malformed key: not exactly one line, an unknown key type, key data that
  is not base64 or not a key of that type, or options before the key;
- a profile that does not exist, or that `sshgate lint` finds errors in
  (they are shown; warnings are shown and do not stop it), or whose `keys`
  list does not hold the --key name;
- a --key name the policy's `keys` could not hold, or a --from entry that
  is not an address or CIDR network (usage errors);
- a sshgate path that is not absolute or not an executable file;
- an authorized_keys file, or its directory, that is a symbolic link.

The file is replaced atomically: a temp file in the same directory holds
every old byte unchanged (a newline is added after a last line that has
none), then the new line; it gets the old file's mode and owner, is synced,
and renamed over the old one. A missing directory (only the last one, e.g.
~/.ssh) is created at mode 0700 and a missing file at 0600, both owned by
--user when run as root. The file is the account's ~/.ssh/authorized_keys
from its passwd entry, as sshd finds it; if sshd_config sets
AuthorizedKeysFile elsewhere, name that file with --authorized-keys.

Afterwards it says what was written and what sshd still runs beside the
gate: the login shell must read no startup files, the home directory and
~/.ssh must not be writable by the sandboxed command, and a root key needs
PermitRootLogin forced-commands-only. `sshgate doctor --authorized-keys FILE`
checks all of it.";

const IMPORT_AUTHPROGS_LONG_ABOUT: &str = "\
Convert an authprogs configuration into sshgate profiles: one per key name
(`keynames`), NAME.toml with `keys = [\"NAME\"]`, and any-key.toml for the
groups without keynames (for keys whose authprogs line had no --keyname).
A key's profile holds its groups and the groups without keynames, in order.

FILE.yaml and --dir are read as authprogs 0.7 reads them (the file, then the
directory's files in name order, as one list of groups). --legacy reads the
perl authprogs.conf: each [ ADDRESS ... ] section becomes a profile
legacy-from-ADDRESS (its commands and the [ ALL ] ones, from those
addresses) and [ ALL ] becomes legacy-all.

Each rule is written under a comment quoting its source line:
- command: exact words; allow_trailing_args: trailing_args = true; a
  program without a path is looked up in --search-path now, and noted;
- pcre_match: one anchored pattern per argument, when the regex is ^...$
  and splits on single spaces into pieces that match neither whitespace
  nor nothing; otherwise the rule is written commented out (NEEDS REVIEW);
- rule_type: rsync: send (allow_download) and receive (allow_upload) on
  paths and path_startswith, delete (allow_delete), devices (allow_devices
  and allow_specials); the flags sshgate's rsync rule does not check
  (-r -l -p -g -o -A -c -t -v) are noted when authprogs refused them;
- rule_type: scp: download, upload on paths (or files), recursive
  (allow_recursive, allow_recursion), preserve (unless allow_permissions
  is false, as authprogs 0.7.5 does).
sshgate's `from` is per profile: a group with another `from` than the
profile's is written commented out, and a group without one is kept.
Unknown keys are noted (authprogs ignored them; a typo usually). Every note
names FILE:LINE and is printed on stderr with a count: `info` (exact, says
how), `approximate` (sshgate allows slightly more or less) and `needs
review` (commented out or left out).";

const IMPORT_AUTHPROGS_AFTER_LONG_HELP: &str = "\
EXIT STATUS:
    0   every rule was converted exactly (info notes only)
    1   converted, but some rules need review or are approximate (see the notes)
    78  the configuration cannot be converted (YAML syntax, a rule authprogs
        itself would refuse, a bad value): FILE:LINE and the fix are printed,
        nothing is written
    74  a file could not be read or written, or a profile already exists in
        --out (use --force); nothing is written
    2   usage error

EXAMPLES:
    sshgate import-authprogs ~/.ssh/authprogs.yaml
    sshgate import-authprogs ~/.ssh/authprogs.yaml --dir ~/.ssh/authprogs.d --out /tmp/profiles
    sshgate import-authprogs --legacy ~/.ssh/authprogs.conf --out /tmp/profiles
    sshgate lint /tmp/profiles && sudo cp /tmp/profiles/backup01.toml /etc/sshgate/";

const INSTALL_KEY_AFTER_LONG_HELP: &str = "\
EXIT STATUS:
    0   the line was written, or printed with --dry-run
    1   refused; nothing was written
    74  a file could not be read or written (the key, authorized_keys, the
        temp file), or the account could not be looked up
    2   usage error (an unknown option, a bad --key name or --from entry)

EXAMPLES:
    sshgate install-key --profile backup --key b01 b01.pub
    sshgate install-key --profile backup --key b01 --from 192.0.2.0/24,2001:db8::/32 \\
        --user backup --dry-run - < b01.pub
    sudo sshgate install-key --profile rsync-pull-backup --user root backup.pub";

const SUGGEST_LONG_ABOUT: &str = "\
Read the audit log of a profile with mode = \"learn\" and print [[allow]]
rules that would have allowed its learning records, to paste under the
profile once it is switched back to mode = \"enforce\".

Only records with \"learning\": true, \"decision\": \"allow\" and
\"rule\": null are used (of --profile NAME when given): a request a rule
of the profile allowed needs no new one. Rules are grouped by tool:
- rsync requests become one `rsync = { send, receive }` rule, scp requests
  one `scp = { download, upload }` rule, sftp sessions with a start
  directory one `sftp = { read }` rule, and git requests one
  `git = { read, write }` rule. Each list holds the deepest common
  ancestor of the paths, one per top-level directory, never `/`, and
  the flags the requests need (delete for rsync --delete, recursive and
  preserve for scp -r and -p, archive for git archive);
- borg, and sftp sessions without a start directory, name no path on
  their command line: a comment says to write that rule by hand;
- any other command becomes an exact `command = [...]` rule with the
  absolute program that ran (deduplicated).

The log is not trusted: a line that is not JSON, lacks a field or has the
wrong type, is not an allow, has a truncated or escaped command, whose
command does not split, does not name the recorded program, or does not
re-parse to the recorded tool, action and paths, is skipped, named with
FILE:LINE on stderr and counted. It never becomes a rule.

Check the rules before using them: they allow what was seen, and
`sshgate lint` on the profile shows what else they need (a missing path,
a write path beneath a system tree).";

const SUGGEST_AFTER_LONG_HELP: &str = "\
EXIT STATUS:
    0   rules printed; every line of the log was read
    1   rules printed, but some lines were skipped (see stderr)
    74  the log could not be read
    2   usage error

EXAMPLES:
    sshgate suggest --log /var/log/sshgate/backup.log --profile backup
    sshgate suggest --log backup.log >> /tmp/backup.toml && sshgate lint /tmp/backup.toml";

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
        after_long_help = "EXIT STATUS:\n    0 allowed, 1 denied, 78 the policy could not be loaded, 2 usage error\n\nEXAMPLES:\n    sshgate explain --policy ./backup.toml --from 192.0.2.10 -- 'df -h'\n    sshgate explain --profile rsync-pull-backup --from 192.0.2.10 --key backup01 \\\n        -- 'rsync --server --sender -logDtpre.iLsfxCIvu . /srv/'\n        (a tool rule: the parsed request, the rebuilt argv and the derived grants;\n        a refusal names the option or path)"
    )]
    Explain(explain::ExplainArgs),
    /// Check policy files: schema, absolute programs, regexes, unreachable
    /// rules, and that programs and paths exist on this host
    #[command(
        after_long_help = "Prints one `file:line:col: severity: message` line per finding, and a\nsummary on stderr. Across several files it also checks profiles against each\nother (one profile writing where another reads or executes, or where\nanother's policy or log lives).\n\nEXIT STATUS:\n    0 no errors (warnings allowed), 1 at least one error, 2 usage error\n\nEXAMPLES:\n    sshgate lint /etc/sshgate\n    sshgate lint --strict /etc/sshgate/backup.toml   (on the host the profile is for)"
    )]
    Lint(lint::LintArgs),
    /// Show what this host offers the gate (Landlock, seccomp,
    /// capabilities) and warn about what runs beside it (sshd settings,
    /// authorized_keys options, login shells, writable homes)
    #[command(long_about = DOCTOR_LONG_ABOUT, after_long_help = DOCTOR_AFTER_LONG_HELP)]
    Doctor(doctor::DoctorArgs),
    /// Add a `restrict,command="sshgate --profile NAME"` line for a public
    /// key to authorized_keys, after checking the key, the profile and the
    /// file
    #[command(
        long_about = INSTALL_KEY_LONG_ABOUT,
        after_long_help = INSTALL_KEY_AFTER_LONG_HELP
    )]
    InstallKey(install_key::InstallKeyArgs),
    /// Convert an authprogs configuration (YAML, or the perl version's with
    /// --legacy) into one profile per key name, and report what could not
    /// be carried over exactly
    #[command(
        long_about = IMPORT_AUTHPROGS_LONG_ABOUT,
        after_long_help = IMPORT_AUTHPROGS_AFTER_LONG_HELP
    )]
    ImportAuthprogs(import_authprogs::ImportAuthprogsArgs),
    /// Print [[allow]] rules that would have allowed the learning records
    /// of a profile with mode = "learn", from its audit log
    #[command(long_about = SUGGEST_LONG_ABOUT, after_long_help = SUGGEST_AFTER_LONG_HELP)]
    Suggest(suggest::SuggestArgs),
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
            gate::tell_client(&format!("sshgate: denied: {log_error}"));
        }
    }
}

/// sshgate's command line as a clap `Command`: the same definition the
/// parser uses, so that the man pages and shell completions `cargo xtask
/// dist` generates from it cannot drift from what sshgate accepts.
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
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
        Some(Command::Doctor(args)) => doctor::run(&args),
        Some(Command::InstallKey(args)) => install_key::run(&args),
        Some(Command::ImportAuthprogs(args)) => import_authprogs::run(&args),
        Some(Command::Suggest(args)) => suggest::run(&args),
        None => match cli.policy.source() {
            Some(source) => gate::run(&source, cli.key),
            None => {
                let problem = "one of --profile or --policy is required";
                gate::tell_client(&format!("sshgate: {problem}"));
                record_if_invoked_by_sshd(problem);
                ExitCode::from(exit::USAGE)
            }
        },
    }
}
