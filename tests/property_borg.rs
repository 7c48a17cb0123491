//! Properties of the borg rule over generated `borg serve` commands,
//! under every combination of its settings: an accepted request always
//! runs `borg serve --restrict-to-repository REPOSITORY` (and
//! `--append-only` when the rule says so), is granted that repository
//! only, and passes on nothing but a log level, debug topics and a lock
//! wait; no widening option and no `NAME=value` word reaches the server.

mod common;

use std::path::Path;

use common::property::{TRAVERSAL, around, tally, within};
use proptest::prelude::*;
use sshgate::decide::Access;
use sshgate::decide::tool::{Context, addressed, check};
use sshgate::policy::tool::{BorgRule, Tool};

const REPOSITORY: &str = "/srv/borg/host1";
const PROGRAM: &str = "/opt/borg/bin/borg-1.2";

/// What a real client sends after `borg serve` (borg 1.0 to 1.2), and
/// the spellings borg's parser also takes: options alone, or with their
/// value as the next word.
const CLIENT: &[&[&str]] = &[
    &["--info"],
    &["--debug"],
    &["--critical"],
    &["--error"],
    &["--warning"],
    &["-v"],
    &["--verbose"],
    &["--debug-topic=repository.compaction"],
    &["--debug-topic", "lock"],
    &["--lock-wait=30"],
    &["--lock-wait", "5"],
    &["--umask=077"],
    &["--umask", "027"],
    &["--storage-quota=5000000000"],
    &["--storage-quota", "100"],
];

/// Options that would widen what the server does, or that no client
/// sends; each must be refused wherever it stands.
const WIDENING: &[&str] = &[
    "--restrict-to-path",
    "--restrict-to-path=/",
    "--restrict-to-repository",
    "--restrict-to-repository=/srv/borg/other",
    "--restrict-to-repo=/",
    "--append-only",
    "--append-only=false",
    "--remote-path=/tmp/evil",
    "--rsh",
    "--debug-profile=/srv/borg/host1/x",
    "--bypass-lock",
    "--show-rc",
    "--log-json",
    "-h",
    "-vp",
    "--inf",
    "--info=1",
    "--",
    "--umask=1777",
    "--umask=0o77",
    "--lock-wait=-1",
    "--lock-wait=+5",
    "--lock-wait=99999999999",
    "--storage-quota=5G",
    "--debug-topic=a/b",
    "--debug-topic=",
];

/// Leading `NAME=value` words: one old clients send, and ones that would
/// matter if they reached the environment.
const ASSIGNMENTS: &[&str] = &[
    "BORG_HOSTNAME_IS_UNIQUE=yes",
    "LD_PRELOAD=/tmp/evil.so",
    "BORG_SELFTEST=enabled",
    "PATH=/tmp",
    "1X=1",
];

#[derive(Debug, Clone)]
struct Case {
    append_only: bool,
    program: bool,
    argv: Vec<String>,
}

fn words() -> Vec<String> {
    let mut words: Vec<String> = CLIENT
        .iter()
        .flat_map(|unit| unit.iter())
        .chain(WIDENING)
        .chain(TRAVERSAL)
        .map(|w| (*w).to_owned())
        .collect();
    words.extend(within(REPOSITORY));
    words.extend(around(REPOSITORY));
    words.extend(["serve", "list", "init"].map(str::to_owned));
    words
}

fn select(words: &[&str]) -> impl Strategy<Value = String> + use<> {
    prop::sample::select(words.iter().map(|w| (*w).to_owned()).collect::<Vec<_>>())
}

fn cases() -> impl Strategy<Value = Case> {
    // Mostly what clients send; otherwise any of the words. Up to 8 words
    // after `serve`.
    let unit = prop_oneof![
        4 => prop::sample::select(CLIENT.to_vec()).prop_map(|unit| unit.iter().map(|w| (*w).to_owned()).collect()),
        1 => prop::sample::select(words()).prop_map(|word| vec![word]),
    ];
    let head = prop_oneof![
        4 => select(&["borg", "/usr/bin/borg", "borg-1.2", PROGRAM]).prop_map(|p| vec![p, "serve".to_owned()]),
        1 => prop::collection::vec(prop::sample::select(words()), 0..3)
            .prop_map(|words| [vec!["borg".to_owned()], words].concat()),
    ];
    (
        any::<bool>(),
        any::<bool>(),
        prop::collection::vec(select(ASSIGNMENTS), 0..3),
        head,
        prop::collection::vec(unit, 0..5),
    )
        .prop_map(|(append_only, program, assignments, head, units)| Case {
            append_only,
            program,
            argv: [assignments, head, units.concat()].concat(),
        })
}

fn rule(case: &Case) -> BorgRule {
    let mut text = format!(
        "repository = {REPOSITORY:?}\nappend_only = {}\n",
        case.append_only
    );
    if case.program {
        text.push_str(&format!("program = {PROGRAM:?}\n"));
    }
    toml::from_str(&text).expect("the generated rule parses")
}

/// Whether `word` is one the server may be given by the client: a log
/// level, a debug topic that is a logger name, a lock wait in seconds.
fn passable(word: &str) -> bool {
    let level = ["--critical", "--error", "--warning", "--info", "--debug"].contains(&word);
    let topic = word.strip_prefix("--debug-topic=").is_some_and(|topic| {
        !topic.is_empty()
            && !topic.starts_with('-')
            && topic
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    });
    let lock_wait = word
        .strip_prefix("--lock-wait=")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    level || topic || lock_wait
}

/// The property; `Some("serve")` when the request was accepted.
fn property(case: &Case) -> Result<Option<&'static str>, TestCaseError> {
    let rule = rule(case);
    let tool = Tool::Borg(&rule);
    let argv = &case.argv;
    if !addressed(tool, argv) {
        return Ok(None);
    }
    let Ok(call) = check(
        tool,
        argv,
        Context {
            chdir: Path::new("/root"),
        },
    ) else {
        return Ok(None);
    };
    prop_assert_eq!(call.request.action, "serve");

    // The client asked for `borg serve`, after nothing but `NAME=value`
    // words, and sent no widening option.
    let Some(serve) = argv.iter().position(|w| w == "serve") else {
        return Err(TestCaseError::fail(format!("no serve in {argv:?}")));
    };
    prop_assert!(
        serve >= 1 && argv[..serve - 1].iter().all(|w| w.contains('=')),
        "{argv:?}"
    );
    let client = &argv[serve + 1..];
    for word in client {
        prop_assert!(
            !WIDENING.contains(&word.as_str()),
            "{word} accepted: {argv:?}"
        );
        let name = word.split('=').next().unwrap_or(word);
        prop_assert!(
            !["--restrict", "--append", "--remote", "--rsh"]
                .iter()
                .any(|w| name.starts_with(w)),
            "{word} accepted: {argv:?}"
        );
    }

    // The command: the rule's borg serving the rule's repository only,
    // append-only when the rule says so, then only passable words.
    let exec = &call.argv;
    prop_assert_eq!(Path::new(&exec[0]), rule.program());
    let mut forced = vec!["serve", "--restrict-to-repository", REPOSITORY];
    if case.append_only {
        forced.push("--append-only");
    }
    prop_assert!(exec.len() > forced.len(), "{exec:?}");
    prop_assert_eq!(&exec[1..=forced.len()], forced.as_slice(), "{:?}", exec);
    let passed = &exec[forced.len() + 1..];
    prop_assert!(passed.len() <= client.len(), "{exec:?}");
    for word in passed {
        prop_assert!(passable(word), "{word} passed on: {exec:?}");
    }
    let levels = passed.iter().filter(|w| !w.contains('=')).count();
    let waits = passed
        .iter()
        .filter(|w| w.starts_with("--lock-wait="))
        .count();
    prop_assert!(levels <= 1 && waits <= 1, "{exec:?}");

    // Only the repository, and only the gate's environment: a client's
    // `NAME=value` is dropped, never set.
    let repository = Path::new(REPOSITORY).to_path_buf();
    prop_assert_eq!(&call.grants, &vec![(repository.clone(), Access::ReadWrite)]);
    prop_assert_eq!(&call.request.paths, &vec![repository]);
    let env: Vec<(&str, &str)> = call
        .env
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    prop_assert_eq!(env, vec![("BORG_SELFTEST", "disabled")]);
    prop_assert!(
        !exec.iter().any(|w| ASSIGNMENTS.contains(&w.as_str())),
        "{exec:?}"
    );
    Ok(Some("serve"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10000))]

    #[test]
    fn an_accepted_serve_is_pinned_to_the_repository_and_passes_on_nothing_widening(
        case in cases()
    ) {
        property(&case)?;
    }
}

/// The generator reaches accepted requests often: the property above is
/// about them, and would hold vacuously on refusals alone.
#[test]
fn generated_serve_commands_are_accepted_in_fair_numbers() {
    let counts = tally(cases(), 2000, property);
    let accepted = counts.get("serve").copied().unwrap_or(0);
    assert!(
        accepted >= 200,
        "only {accepted} accepted in 2000: {counts:?}"
    );
}
