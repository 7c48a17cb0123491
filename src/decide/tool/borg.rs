//! The `borg` tool rule: `borg serve`, pinned to the rule's repository.
//!
//! A borg client runs `borg serve [OPTIONS]` over ssh and names the
//! repository only later, inside its RPC protocol, where the gate cannot
//! see it. So the gate does not look for a path: it executes
//! `borg serve --restrict-to-repository REPOSITORY` (and `--append-only`
//! when the rule says so), which makes borg itself refuse every other
//! repository, and Landlock grants nothing writable but the repository,
//! so the kernel refuses the rest should borg not.
//!
//! The client's words are parsed the way borg 1.x treats the command of
//! a forced `borg serve` (`Archiver.get_args`): leading `NAME=value` words
//! are dropped uninterpreted; only the log level, `--debug-topic` and
//! `--lock-wait` reach the server; everything else the client sends
//! comes from the forced command instead. Borg drops the rest silently;
//! the gate drops only what a real client sends (`--umask` from a 1.0 or
//! 1.1 client, `--storage-quota` from `borg init --storage-quota`) and
//! refuses every other word, since no client sends it: the
//! `--restrict-to-*` and `--append-only` options are the rule's to set
//! (a client sending one is trying to change what the rule allows), and
//! an unknown option is one this parser cannot judge.

use super::{Context, ToolCall, ToolRequest, names_program};
use crate::decide::plan::Access;
use crate::policy::tool::BorgRule;

/// The name every borg client calls the server by unless told otherwise
/// (`--remote-path`, `BORG_REMOTE_PATH`), whatever the server's install
/// calls its program.
const CLIENT_DEFAULT_NAME: &str = "borg";

/// Set in the server's environment. Every borg command first runs a self
/// test of its compiled modules in a temporary directory; a confined
/// `borg serve` may write nowhere but the repository, so the test would
/// fail and the server exit before the client is served. The client runs
/// the same test on its side.
const ENVIRONMENT: &[(&str, &str)] = &[("BORG_SELFTEST", "disabled")];

/// `--umask` values above this are not modes.
const UMASK_MAX: u32 = 0o777;

/// Log-level options, each as borg names the level it sets. `-v` and
/// `--verbose` are borg's aliases of `--info`.
const LOG_LEVELS: &[(&str, &str)] = &[
    ("--critical", "--critical"),
    ("--error", "--error"),
    ("--warning", "--warning"),
    ("--info", "--info"),
    ("-v", "--info"),
    ("--verbose", "--info"),
    ("--debug", "--debug"),
];

/// Options that take a value, as borg's parser reads them: `--opt=VALUE`
/// or `--opt VALUE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Valued {
    /// `--debug-topic TOPIC`: passed on.
    DebugTopic,
    /// `--lock-wait SECONDS`: passed on.
    LockWait,
    /// `--umask M`: dropped, as borg 1.2 drops it.
    Umask,
    /// `--storage-quota QUOTA`: dropped, as borg drops it.
    StorageQuota,
}

/// The valued options by name.
const VALUED: &[(&str, Valued)] = &[
    ("--debug-topic", Valued::DebugTopic),
    ("--lock-wait", Valued::LockWait),
    ("--umask", Valued::Umask),
    ("--storage-quota", Valued::StorageQuota),
];

/// Options only the server's own command line may set: a client sending
/// one is asking for more than the rule gives.
const RULE_ONLY: &[&str] = &[
    "--restrict-to-path",
    "--restrict-to-repository",
    "--append-only",
];

/// Whether `argv` asks for borg: after any `NAME=value` words, the rule's
/// program or the name borg clients call the server by.
pub fn addressed(rule: &BorgRule, argv: &[String]) -> bool {
    let (_, command) = split_assignments(argv);
    command
        .first()
        .is_some_and(|argv0| names_program(rule.program(), argv0) || argv0 == CLIENT_DEFAULT_NAME)
}

/// Parses an addressed request: `borg serve` and the options borg lets a
/// client choose, run against the rule's repository only.
pub fn check(rule: &BorgRule, argv: &[String], _context: Context<'_>) -> Result<ToolCall, String> {
    let (assignments, command) = split_assignments(argv);
    let words = match command {
        [_, serve, words @ ..] if serve == "serve" => words,
        [_, other, ..] => {
            return Err(format!(
                "only `borg serve` is accepted, not `borg {other}`: the client runs every other borg command itself"
            ));
        }
        _ => return Err("`borg` without `serve`: only `borg serve` is accepted".to_owned()),
    };
    let parsed = parse_serve_options(words)?;

    let repository = rule.repository.get_ref().as_path();
    let mut forced = vec![
        "--restrict-to-repository".to_owned(),
        repository.display().to_string(),
    ];
    if rule.append_only {
        forced.push("--append-only".to_owned());
    }
    let mut exec = vec![rule.program().display().to_string(), "serve".to_owned()];
    exec.extend(forced.iter().cloned());
    exec.extend(parsed.passed.iter().cloned());

    let mut options = parsed.passed;
    options.extend(
        assignments
            .iter()
            .map(|word| format!("(dropped {word})"))
            .chain(
                parsed
                    .dropped
                    .iter()
                    .map(|word| format!("(dropped {word})")),
            ),
    );
    Ok(ToolCall {
        argv: exec,
        grants: vec![(repository.to_path_buf(), Access::ReadWrite)],
        chdir: None,
        env: ENVIRONMENT
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect(),
        request: ToolRequest {
            tool: "borg",
            action: "serve",
            paths: vec![repository.to_path_buf()],
            options,
            forced,
        },
    })
}

/// The client's `serve` options, sorted.
#[derive(Debug, Default)]
struct ServeOptions {
    /// Validated options as they are passed on, log level first.
    passed: Vec<String>,
    /// Options borg would ignore, as the client wrote them.
    dropped: Vec<String>,
}

/// Sorts the words after `serve` into what is passed on and what is
/// dropped, refusing the first word no borg client sends.
fn parse_serve_options(words: &[String]) -> Result<ServeOptions, String> {
    let mut level: Option<&str> = None;
    let mut topics = Vec::new();
    let mut lock_wait: Option<u32> = None;
    let mut parsed = ServeOptions::default();
    let mut words = words.iter();
    while let Some(word) = words.next() {
        if let Some((_, set)) = LOG_LEVELS.iter().find(|(name, _)| name == word) {
            // argparse keeps the last of these, as here.
            level = Some(set);
            continue;
        }
        let (name, inline) = match word.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (word.as_str(), None),
        };
        if let Some((name, kind)) = VALUED.iter().find(|(known, _)| *known == name) {
            let value = match inline {
                Some(value) => value,
                None => words
                    .next()
                    .ok_or_else(|| format!("option {name} needs a value"))?,
            };
            match kind {
                Valued::DebugTopic => topics.push(format!("--debug-topic={}", topic(value)?)),
                Valued::LockWait => lock_wait = Some(seconds(value)?),
                Valued::Umask => {
                    umask(value)?;
                    parsed.dropped.push(format!("{name}={value}"));
                }
                Valued::StorageQuota => {
                    quota(value)?;
                    parsed.dropped.push(format!("{name}={value}"));
                }
            }
            continue;
        }
        if RULE_ONLY.contains(&name) {
            return Err(format!(
                "option {name} is the rule's to set, not the client's"
            ));
        }
        if word.starts_with('-') {
            return Err(format!(
                "option {word} is not one a borg client sends to `borg serve`"
            ));
        }
        return Err(format!("`borg serve` takes no arguments, got {word:?}"));
    }
    parsed.passed.extend(level.map(str::to_owned));
    parsed.passed.extend(topics);
    parsed
        .passed
        .extend(lock_wait.map(|seconds| format!("--lock-wait={seconds}")));
    Ok(parsed)
}

/// Leading `NAME=value` words (older clients send
/// `BORG_HOSTNAME_IS_UNIQUE=yes`), and the command after them. Borg drops
/// them without interpreting them, and so does the gate: the confined
/// command's environment is the gate's to set.
fn split_assignments(argv: &[String]) -> (&[String], &[String]) {
    let count = argv.iter().take_while(|word| is_assignment(word)).count();
    argv.split_at(count)
}

/// Whether `word` is `NAME=value` with a shell variable name.
fn is_assignment(word: &str) -> bool {
    let Some((name, _)) = word.split_once('=') else {
        return false;
    };
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A `--debug-topic` value: a dotted logger name, nothing a shell or a
/// log line could misread.
fn topic(value: &str) -> Result<&str, String> {
    let valid = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        && !value.starts_with('-');
    if valid {
        Ok(value)
    } else {
        Err(format!(
            "--debug-topic value {value:?} is not a logger name (letters, digits, `.`, `_`, `-`)"
        ))
    }
}

/// A `--lock-wait` value: whole seconds, in decimal digits only (Python's
/// `int()` would also take signs, spaces and underscores).
fn seconds(value: &str) -> Result<u32, String> {
    let digits = !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit());
    digits
        .then(|| value.parse::<u32>().ok())
        .flatten()
        .ok_or_else(|| format!("--lock-wait value {value:?} is not a number of seconds"))
}

/// A `--umask` value: an octal mode of at most three digits after any
/// leading zeros, as a borg client formats it (`077`).
fn umask(value: &str) -> Result<u32, String> {
    let octal = !value.is_empty() && value.bytes().all(|b| (b'0'..=b'7').contains(&b));
    octal
        .then(|| u32::from_str_radix(value, 8).ok())
        .flatten()
        .filter(|mask| *mask <= UMASK_MAX)
        .ok_or_else(|| format!("--umask value {value:?} is not an octal mode (000 to 777)"))
}

/// A `--storage-quota` value: the byte count a borg client sends after
/// parsing the user's `5G`.
fn quota(value: &str) -> Result<(), String> {
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(format!(
            "--storage-quota value {value:?} is not a number of bytes"
        ))
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::decide::tool::test_argv;

    const REPOSITORY: &str = "/srv/borg/host1";

    fn rule(append_only: bool) -> BorgRule {
        toml::from_str(&format!(
            "repository = {REPOSITORY:?}\nappend_only = {append_only}\n"
        ))
        .unwrap()
    }

    fn context() -> Context<'static> {
        Context {
            chdir: Path::new("/root"),
        }
    }

    fn accepted(rule: &BorgRule, command: &str) -> ToolCall {
        let argv = test_argv(command);
        assert!(addressed(rule, &argv), "{command}: not addressed");
        check(rule, &argv, context()).unwrap_or_else(|e| panic!("{command}: refused: {e}"))
    }

    fn refused(command: &str) -> String {
        let rule = rule(true);
        let argv = test_argv(command);
        assert!(addressed(&rule, &argv), "{command}: not addressed");
        check(&rule, &argv, context()).expect_err(command)
    }

    /// The server words the gate executes after `borg serve
    /// --restrict-to-repository REPOSITORY --append-only`.
    fn passed_on(command: &str) -> Vec<String> {
        let call = accepted(&rule(true), command);
        let forced = [
            "/usr/bin/borg",
            "serve",
            "--restrict-to-repository",
            REPOSITORY,
            "--append-only",
        ];
        assert_eq!(call.argv[..forced.len()], forced, "{command}");
        call.argv[forced.len()..].to_vec()
    }

    #[test]
    fn what_real_clients_send_is_accepted_and_passed_on_as_borg_would() {
        // Captured from borg 1.2.4 through BORG_RSH (see the report in the
        // commit), plus the 1.0/1.1 forms from their `borg_cmd`.
        let table: &[(&str, &[&str])] = &[
            ("borg serve", &[]),
            ("borg serve --debug", &["--debug"]),
            ("borg serve --info", &["--info"]),
            ("borg serve --critical", &["--critical"]),
            ("borg serve --error", &["--error"]),
            (
                "borg serve --error --debug-topic=repository.compaction",
                &["--error", "--debug-topic=repository.compaction"],
            ),
            (
                "borg serve --debug-topic=borg.debug.repository",
                &["--debug-topic=borg.debug.repository"],
            ),
            ("/usr/bin/borg serve --info", &["--info"]),
            ("borg serve --storage-quota=5000000000", &[]),
            ("borg serve --umask=077 --info", &["--info"]),
            ("BORG_HOSTNAME_IS_UNIQUE=yes borg serve --umask=077", &[]),
            (
                "BORG_HOSTNAME_IS_UNIQUE=no borg serve --umask=077 --debug",
                &["--debug"],
            ),
            // Spellings borg's parser takes that a client could use.
            ("borg serve --umask 027", &[]),
            ("borg serve --lock-wait=30", &["--lock-wait=30"]),
            ("borg serve --lock-wait 0", &["--lock-wait=0"]),
            ("borg serve --warning", &["--warning"]),
            ("borg serve -v", &["--info"]),
            ("borg serve --verbose", &["--info"]),
            ("borg serve --debug --info", &["--info"]),
            ("borg serve --info --debug", &["--debug"]),
            (
                "borg serve --debug-topic lock --lock-wait 5 --info",
                &["--info", "--debug-topic=lock", "--lock-wait=5"],
            ),
            ("borg serve --lock-wait=5 --lock-wait=7", &["--lock-wait=7"]),
        ];
        for (command, expected) in table {
            assert_eq!(passed_on(command), *expected, "{command}");
        }
    }

    #[test]
    fn dropped_words_are_named_in_the_request() {
        let call = accepted(
            &rule(false),
            "BORG_HOSTNAME_IS_UNIQUE=yes borg serve --umask=077 --storage-quota=10485760 --info",
        );
        assert_eq!(
            call.request.options,
            [
                "--info",
                "(dropped BORG_HOSTNAME_IS_UNIQUE=yes)",
                "(dropped --umask=077)",
                "(dropped --storage-quota=10485760)",
            ]
        );
        assert_eq!(
            call.argv,
            [
                "/usr/bin/borg",
                "serve",
                "--restrict-to-repository",
                REPOSITORY,
                "--info"
            ]
        );
    }

    #[test]
    fn the_request_names_the_repository_and_what_is_forced() {
        let call = accepted(&rule(true), "borg serve --info");
        assert_eq!(
            call.request,
            ToolRequest {
                tool: "borg",
                action: "serve",
                paths: vec![PathBuf::from(REPOSITORY)],
                options: vec!["--info".to_owned()],
                forced: vec![
                    "--restrict-to-repository".to_owned(),
                    REPOSITORY.to_owned(),
                    "--append-only".to_owned(),
                ],
            }
        );
        assert_eq!(call.chdir, None);
    }

    #[test]
    fn the_only_grant_is_the_repository_read_write() {
        for append_only in [false, true] {
            let call = accepted(&rule(append_only), "borg serve");
            assert_eq!(
                call.grants,
                [(PathBuf::from(REPOSITORY), Access::ReadWrite)]
            );
        }
    }

    #[test]
    fn the_self_test_is_disabled_since_it_needs_a_temporary_directory() {
        let call = accepted(&rule(false), "borg serve");
        assert_eq!(
            call.env,
            [("BORG_SELFTEST".to_owned(), "disabled".to_owned())]
        );
    }

    #[test]
    fn append_only_is_forced_only_when_the_rule_sets_it() {
        let open = accepted(&rule(false), "borg serve --info");
        assert_eq!(
            open.argv,
            [
                "/usr/bin/borg",
                "serve",
                "--restrict-to-repository",
                REPOSITORY,
                "--info"
            ]
        );
        assert_eq!(
            open.request.forced,
            ["--restrict-to-repository", REPOSITORY]
        );
    }

    #[test]
    fn the_configured_program_runs_whatever_name_the_client_used() {
        let rule: BorgRule = toml::from_str(&format!(
            "program = \"/opt/borg/bin/borg-1.2\"\nrepository = {REPOSITORY:?}\n"
        ))
        .unwrap();
        for command in [
            "borg serve",
            "borg-1.2 serve",
            "/opt/borg/bin/borg-1.2 serve",
        ] {
            let call = accepted(&rule, command);
            assert_eq!(call.argv[0], "/opt/borg/bin/borg-1.2", "{command}");
        }
    }

    #[test]
    fn other_programs_are_not_addressed() {
        let rule = rule(true);
        for command in [
            "rsync --server .",
            "/usr/local/bin/borg serve",
            "borg1 serve",
            "sh -c borg",
            "BORG_X=1 sh -c borg",
            "1X=1 borg serve",
        ] {
            assert!(!addressed(&rule, &test_argv(command)), "{command}");
        }
        assert!(!addressed(&rule, &[]));
    }

    #[test]
    fn each_refusal_names_the_word_and_why() {
        let table: &[(&str, &str)] = &[
            (
                "borg",
                "`borg` without `serve`: only `borg serve` is accepted",
            ),
            (
                "borg list /srv/borg/host1",
                "only `borg serve` is accepted, not `borg list`: the client runs every other borg command itself",
            ),
            (
                "borg --info serve",
                "only `borg serve` is accepted, not `borg --info`: the client runs every other borg command itself",
            ),
            (
                "BORG_X=1 borg",
                "`borg` without `serve`: only `borg serve` is accepted",
            ),
            (
                "borg serve --restrict-to-path /",
                "option --restrict-to-path is the rule's to set, not the client's",
            ),
            (
                "borg serve --restrict-to-repository=/srv/borg/other",
                "option --restrict-to-repository is the rule's to set, not the client's",
            ),
            (
                "borg serve --append-only",
                "option --append-only is the rule's to set, not the client's",
            ),
            (
                "borg serve --remote-path=/tmp/evil",
                "option --remote-path=/tmp/evil is not one a borg client sends to `borg serve`",
            ),
            (
                "borg serve --rsh sh",
                "option --rsh is not one a borg client sends to `borg serve`",
            ),
            (
                "borg serve --debug-profile=/srv/borg/host1/x",
                "option --debug-profile=/srv/borg/host1/x is not one a borg client sends to `borg serve`",
            ),
            (
                "borg serve --bypass-lock",
                "option --bypass-lock is not one a borg client sends to `borg serve`",
            ),
            (
                "borg serve --show-rc",
                "option --show-rc is not one a borg client sends to `borg serve`",
            ),
            (
                "borg serve --log-json",
                "option --log-json is not one a borg client sends to `borg serve`",
            ),
            (
                "borg serve -h",
                "option -h is not one a borg client sends to `borg serve`",
            ),
            (
                "borg serve -vp",
                "option -vp is not one a borg client sends to `borg serve`",
            ),
            // argparse would expand an abbreviation; no client sends one.
            (
                "borg serve --restrict-to-repo=/",
                "option --restrict-to-repo=/ is not one a borg client sends to `borg serve`",
            ),
            (
                "borg serve --inf",
                "option --inf is not one a borg client sends to `borg serve`",
            ),
            (
                "borg serve --info=1",
                "option --info=1 is not one a borg client sends to `borg serve`",
            ),
            (
                "borg serve --",
                "option -- is not one a borg client sends to `borg serve`",
            ),
            (
                "borg serve /srv/borg/other",
                "`borg serve` takes no arguments, got \"/srv/borg/other\"",
            ),
            ("borg serve --lock-wait", "option --lock-wait needs a value"),
            (
                "borg serve --lock-wait=-1",
                "--lock-wait value \"-1\" is not a number of seconds",
            ),
            (
                "borg serve --lock-wait=1_000",
                "--lock-wait value \"1_000\" is not a number of seconds",
            ),
            (
                "borg serve --lock-wait=+5",
                "--lock-wait value \"+5\" is not a number of seconds",
            ),
            (
                "borg serve --lock-wait=99999999999",
                "--lock-wait value \"99999999999\" is not a number of seconds",
            ),
            (
                "borg serve --lock-wait=",
                "--lock-wait value \"\" is not a number of seconds",
            ),
            (
                "borg serve --umask=0o77",
                "--umask value \"0o77\" is not an octal mode (000 to 777)",
            ),
            (
                "borg serve --umask=088",
                "--umask value \"088\" is not an octal mode (000 to 777)",
            ),
            (
                "borg serve --umask=1777",
                "--umask value \"1777\" is not an octal mode (000 to 777)",
            ),
            ("borg serve --umask", "option --umask needs a value"),
            (
                "borg serve --storage-quota=5G",
                "--storage-quota value \"5G\" is not a number of bytes",
            ),
            (
                "borg serve --debug-topic=",
                "--debug-topic value \"\" is not a logger name (letters, digits, `.`, `_`, `-`)",
            ),
            (
                "borg serve --debug-topic --info",
                "--debug-topic value \"--info\" is not a logger name (letters, digits, `.`, `_`, `-`)",
            ),
            (
                "borg serve --debug-topic=a/b",
                "--debug-topic value \"a/b\" is not a logger name (letters, digits, `.`, `_`, `-`)",
            ),
        ];
        for (command, expected) in table {
            assert_eq!(refused(command), *expected, "{command}");
        }
    }

    #[test]
    fn a_long_octal_umask_with_leading_zeros_is_a_mode() {
        assert_eq!(umask("0077"), Ok(0o77));
        assert_eq!(umask("000000000000000000000000000000077"), Ok(0o77));
    }
}
