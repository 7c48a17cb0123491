//! Properties of the scp rule over generated server command lines, under
//! every combination of its controls: an accepted request names only
//! paths inside the direction's list, is granted only that list (write
//! only for an upload), and runs scp with no option the client could not
//! have had.

mod common;

use std::path::Path;

use common::property::{TRAVERSAL, around, inside, lexical, tally, within};
use proptest::prelude::*;
use sshgate::decide::Access;
use sshgate::decide::tool::{Context, addressed, check};
use sshgate::policy::tool::{ScpRule, Tool};

const DOWNLOAD: &[&str] = &["/srv/pub", "/srv/docs"];
const UPLOAD: &[&str] = &["/srv/in"];

/// The only letters of scp's getopt string that reach the server side
/// unrefused; `-S` and every option taking an argument are refused.
const SERVER_LETTERS: &str = "ftrpdv";

/// Options a client sends, real (`scp -O` sends `-v -r -p -d -t` as
/// separate words), clustered as getopt would take them, or refused.
const OPTIONS: &[&str] = &[
    "-f",
    "-f",
    "-t",
    "-t",
    "-r",
    "-p",
    "-d",
    "-v",
    "-rp",
    "-prf",
    "-dt",
    "-vf",
    "-ft",
    "-rt",
    "--",
    "--",
    "-S",
    "-S/tmp/evil",
    "-fS/tmp/evil",
    "-O",
    "-3",
    "-T",
    "-D",
    "-o",
    "-oProxyCommand=sh",
    "-i",
    "-l",
    "-P",
    "-F",
    "-J",
    "-c",
    "-q",
    "-R",
    "-s",
    "-B",
    "-C",
    "-4",
    "-x",
    "--help",
    "--version",
    "-",
    "-f-",
    "-r-t",
];

#[derive(Debug, Clone)]
struct Case {
    recursive: bool,
    preserve: bool,
    /// Whether the rule has an `upload` list at all.
    upload: bool,
    /// A `program` other than the default.
    program: bool,
    chdir: &'static str,
    argv: Vec<String>,
}

/// Every word the generator draws from: options, traversal words, and
/// spellings within and around each rule path.
fn words() -> Vec<String> {
    let mut words: Vec<String> = OPTIONS
        .iter()
        .chain(TRAVERSAL)
        .map(|w| (*w).to_owned())
        .collect();
    for root in DOWNLOAD.iter().chain(UPLOAD) {
        words.extend(within(root));
        words.extend(around(root));
    }
    words
}

fn select(words: &[&str]) -> impl Strategy<Value = String> + use<> {
    prop::sample::select(words.iter().map(|w| (*w).to_owned()).collect::<Vec<_>>())
}

fn paths_within(roots: &[&str]) -> impl Strategy<Value = String> + use<> {
    let mut words: Vec<String> = roots.iter().flat_map(|root| within(root)).collect();
    // Relative names, inside when the working directory is; a lone `-`
    // is a name to getopt.
    words.extend(["a", ".", "./b/", "-"].map(str::to_owned));
    prop::sample::select(words)
}

/// 0 to 8 words after the program. A quarter are any words in any order;
/// the rest have the shape of a real request (a direction, options, paths
/// beneath that direction's list) with up to one arbitrary word mixed
/// in, shuffled as getopt allows, so that enough of them are accepted.
fn client_words() -> impl Strategy<Value = Vec<String>> {
    let shaped = (
        prop_oneof![
            (
                Just("-f".to_owned()),
                prop::collection::vec(paths_within(DOWNLOAD), 1..4)
            ),
            (
                Just("-t".to_owned()),
                prop::collection::vec(paths_within(UPLOAD), 1..2)
            ),
        ],
        prop::collection::vec(select(&["-v", "-r", "-p", "-d"]), 0..3),
        prop::collection::vec(prop::sample::select(words()), 0..2),
    )
        .prop_flat_map(|((direction, paths), options, extra)| {
            let mut words = vec![direction];
            words.extend(options);
            words.extend(paths);
            words.extend(extra);
            Just(words).prop_shuffle()
        });
    prop_oneof![
        1 => prop::collection::vec(prop::sample::select(words()), 0..9),
        3 => shaped,
    ]
}

fn cases() -> impl Strategy<Value = Case> {
    (
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        prop::sample::select(vec!["/srv/pub", "/srv/in", "/home/u", "/"]),
        prop::sample::select(vec!["scp", "/usr/bin/scp"]),
        client_words(),
    )
        .prop_map(
            |(recursive, preserve, upload, program, chdir, argv0, words)| {
                let argv0 = if program && argv0.starts_with('/') {
                    "/opt/ssh/bin/scp"
                } else {
                    argv0
                };
                let mut argv = vec![argv0.to_owned()];
                argv.extend(words);
                Case {
                    recursive,
                    preserve,
                    upload,
                    program,
                    chdir,
                    argv,
                }
            },
        )
}

fn rule(case: &Case) -> ScpRule {
    let mut text = format!(
        "download = {DOWNLOAD:?}\nrecursive = {}\npreserve = {}\n",
        case.recursive, case.preserve
    );
    if case.upload {
        text.push_str(&format!("upload = {UPLOAD:?}\n"));
    }
    if case.program {
        text.push_str("program = \"/opt/ssh/bin/scp\"\n");
    }
    toml::from_str(&text).expect("the generated rule parses")
}

/// The client's words as scp's getopt splits them: option letters from
/// every `-x` cluster before `--`, wherever it stands, and the operands.
fn getopt(words: &[String]) -> (String, Vec<&str>) {
    let mut letters = String::new();
    let mut operands = Vec::new();
    let mut words = words.iter();
    while let Some(word) = words.next() {
        if word == "--" {
            operands.extend(words.by_ref().map(String::as_str));
            break;
        }
        match word.strip_prefix('-') {
            Some(cluster) if !cluster.is_empty() => letters.push_str(cluster),
            _ => operands.push(word),
        }
    }
    (letters, operands)
}

/// The property; `Some(action)` when the request was accepted.
fn property(case: &Case) -> Result<Option<&'static str>, TestCaseError> {
    let rule = rule(case);
    let tool = Tool::Scp(&rule);
    let argv = &case.argv;
    prop_assert!(addressed(tool, argv), "{argv:?}");
    let Ok(call) = check(
        tool,
        argv,
        Context {
            chdir: Path::new(case.chdir),
        },
    ) else {
        return Ok(None);
    };
    let download = match call.request.action {
        "download" => true,
        "upload" => false,
        other => return Err(TestCaseError::fail(format!("action {other}: {argv:?}"))),
    };
    let roots = if download { DOWNLOAD } else { UPLOAD };

    // The client's options: only server letters, one direction, -r and
    // -p only where the rule allows them.
    let (letters, operands) = getopt(&argv[1..]);
    prop_assert!(
        letters.chars().all(|l| SERVER_LETTERS.contains(l)),
        "{letters}: {argv:?}"
    );
    prop_assert_eq!(letters.contains('f'), download, "{:?}", argv);
    prop_assert_eq!(letters.contains('t'), !download, "{:?}", argv);
    prop_assert!(rule.recursive || !letters.contains('r'), "{argv:?}");
    prop_assert!(rule.preserve || !letters.contains('p'), "{argv:?}");

    // The request's paths: each operand, cleaned, inside the direction's
    // list; one for an upload.
    let paths = &call.request.paths;
    prop_assert_eq!(paths.len(), operands.len(), "{:?}", argv);
    prop_assert!(download || paths.len() == 1, "{argv:?}");
    for (operand, path) in operands.iter().zip(paths) {
        let expected = lexical(operand, case.chdir);
        prop_assert_eq!(expected.as_deref(), path.to_str(), "{:?}", argv);
        inside(path, roots).map_err(|why| TestCaseError::fail(format!("{why}: {argv:?}")))?;
    }

    // The grants: the direction's list only (or narrower), written only
    // on an upload.
    for (path, access) in &call.grants {
        inside(path, roots).map_err(|why| TestCaseError::fail(format!("grant {why}: {argv:?}")))?;
        let expected = if download {
            Access::Read
        } else {
            Access::ReadWrite
        };
        prop_assert_eq!(*access, expected, "{:?}", argv);
    }

    // The command: the rule's program, the client's server options each
    // once and nothing else, the direction, `--`, then the same paths.
    let exec = &call.argv;
    prop_assert_eq!(Path::new(&exec[0]), rule.program());
    let Some(dashdash) = exec.iter().position(|w| w == "--") else {
        return Err(TestCaseError::fail(format!("no -- in {exec:?}")));
    };
    let options = &exec[1..dashdash];
    let direction = if download { "-f" } else { "-t" };
    prop_assert_eq!(
        options.last().map(String::as_str),
        Some(direction),
        "{:?}",
        exec
    );
    for option in options {
        prop_assert!(
            ["-v", "-r", "-p", "-d", direction].contains(&option.as_str()),
            "{option} in {exec:?}"
        );
        prop_assert!(
            letters.contains(&option[1..]),
            "{option} was not asked for: {argv:?}"
        );
        prop_assert_eq!(
            options.iter().filter(|o| *o == option).count(),
            1,
            "{:?}",
            exec
        );
    }
    // Compared as text: Path equality would let `/srv/in/` pass for
    // `/srv/in`.
    let executed: Vec<&str> = exec[dashdash + 1..].iter().map(String::as_str).collect();
    let checked: Vec<&str> = paths.iter().filter_map(|p| p.to_str()).collect();
    prop_assert_eq!(executed, checked, "{:?}", exec);
    Ok(Some(call.request.action))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10000))]

    #[test]
    fn an_accepted_request_stays_inside_the_direction_and_runs_no_refused_option(
        case in cases()
    ) {
        property(&case)?;
    }
}

/// The generator reaches both directions often: the property above is
/// about accepted requests, and would hold vacuously on refusals alone.
#[test]
fn generated_requests_download_and_upload_in_fair_numbers() {
    let counts = tally(cases(), 2000, property);
    for action in ["download", "upload"] {
        let accepted = counts.get(action).copied().unwrap_or(0);
        assert!(
            accepted >= 100,
            "only {accepted} {action}s in 2000: {counts:?}"
        );
    }
}
