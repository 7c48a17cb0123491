//! Properties of the git rule over generated service requests, under
//! every combination of its lists and controls: an accepted request runs
//! one of the three services the rule serves on exactly one listed
//! repository (written only for a push to a `write` one), with
//! `--strict` for upload-pack and no word of the client's but the path.

mod common;

use std::path::Path;

use common::property::{TRAVERSAL, around, lexical, tally, within};
use proptest::prelude::*;
use sshgate::decide::Access;
use sshgate::decide::tool::{Context, addressed, check};
use sshgate::policy::tool::{GitRule, Tool};

const READ: &[&[&str]] = &[
    &[],
    &["/srv/git/project.git"],
    &[
        "/srv/git/project.git",
        "/srv/git/work/.git",
        "/srv/git/both",
        "/srv/git/both.git",
        "/home/git/repos/mine.git",
    ],
];
const WRITE: &[&[&str]] = &[
    &[],
    &["/srv/git/shared.git"],
    &["/srv/git/shared.git", "/srv/git/project.git"],
];

/// The program and exec-path of a rule that sets them.
const PROGRAM: &str = "/usr/local/bin/git";
const EXEC_PATH: &str = "/usr/local/libexec/git-core";

/// git's `enter_repo` suffixes, in the order it tries them.
const SUFFIXES: [&str; 4] = ["/.git", "", ".git/.git", ".git"];

/// What comes before the repository: what clients send (the first five),
/// the same service by other spellings, git's own options, other
/// subcommands.
const HEADS: &[&[&str]] = &[
    &["git-upload-pack"],
    &["git-upload-pack"],
    &["git-receive-pack"],
    &["git-receive-pack"],
    &["git-upload-archive"],
    &["git", "upload-pack"],
    &["git", "receive-pack"],
    &["git", "upload-archive"],
    &["/usr/bin/git", "upload-pack"],
    &["/usr/bin/git-receive-pack"],
    &[PROGRAM, "receive-pack"],
    &["/usr/local/bin/git-upload-pack"],
    &["git"],
    &["git", "log"],
    &["git", "daemon"],
    &["git", "git-upload-pack"],
    &[
        "git",
        "-c",
        "uploadpack.packObjectsHook=/tmp/x",
        "upload-pack",
    ],
    &["git", "--exec-path=/tmp", "upload-pack"],
    &["git", "--git-dir=/srv/git/secret.git", "receive-pack"],
    &["git-shell", "-c"],
];

/// Server options no ssh client sends, which must never be accepted.
const OPTIONS: &[&str] = &[
    "--strict",
    "--no-strict",
    "--timeout=1",
    "--stateless-rpc",
    "--advertise-refs",
    "--http-backend-info-refs",
    "--remote=x",
    "--",
    "-h",
    "-c",
    "--quiet",
];

#[derive(Debug, Clone)]
struct Case {
    read: &'static [&'static str],
    write: &'static [&'static str],
    archive: bool,
    /// `program` and `exec_path` set to [`PROGRAM`] and [`EXEC_PATH`].
    program: bool,
    chdir: &'static str,
    argv: Vec<String>,
}

/// Every listed repository of any generated rule.
fn repositories() -> Vec<&'static str> {
    let mut all: Vec<&str> = READ
        .iter()
        .chain(WRITE)
        .flat_map(|l| l.iter().copied())
        .collect();
    all.sort_unstable();
    all.dedup();
    all
}

/// How a client may name `repo`: as listed, with slashes and `.` that
/// change nothing, by `enter_repo`'s shorter forms, in literal quotes,
/// and relative to each working directory the generator uses.
fn spellings(repo: &str) -> Vec<String> {
    let (parent, name) = repo.rsplit_once('/').unwrap_or(("", repo));
    let mut words = vec![
        repo.to_owned(),
        format!("{repo}/"),
        format!("{repo}//"),
        format!("/{repo}"),
        format!("{repo}/."),
        format!("{parent}/./{name}"),
        format!("'{repo}'"),
    ];
    for short in [repo.strip_suffix("/.git"), repo.strip_suffix(".git")]
        .into_iter()
        .flatten()
    {
        words.extend([short.to_owned(), format!("{short}/"), format!("{short}//")]);
    }
    for chdir in CHDIRS {
        if let Some(relative) = repo.strip_prefix(chdir).map(|r| r.trim_start_matches('/')) {
            words.extend([relative.to_owned(), format!("./{relative}/")]);
        }
    }
    words
}

const CHDIRS: [&str; 3] = ["/home/git", "/srv/git", "/"];

fn words() -> Vec<String> {
    let mut words: Vec<String> = OPTIONS
        .iter()
        .chain(TRAVERSAL)
        .map(|w| (*w).to_owned())
        .collect();
    for repo in repositories() {
        words.extend(spellings(repo));
        words.extend(within(repo));
        words.extend(around(repo));
    }
    words
}

fn cases() -> impl Strategy<Value = Case> {
    (
        prop::sample::select(READ.to_vec()),
        prop::sample::select(WRITE.to_vec()),
    )
        .prop_flat_map(|(read, write)| {
            // Mostly one spelling of a repository this rule lists, as a
            // client sends; otherwise any 0 to 8 words.
            let mut listed: Vec<String> = read
                .iter()
                .chain(write)
                .flat_map(|repo| spellings(repo))
                .collect();
            if listed.is_empty() {
                listed.push("/srv/git/project.git".to_owned());
            }
            let tail = prop_oneof![
                3 => prop::sample::select(listed).prop_map(|word| vec![word]),
                1 => prop::collection::vec(prop::sample::select(words()), 0..9),
            ];
            let head = prop_oneof![
                3 => prop::sample::select(HEADS[..5].to_vec()),
                1 => prop::sample::select(HEADS.to_vec()),
            ];
            (
                Just(read),
                Just(write),
                any::<bool>(),
                any::<bool>(),
                prop::sample::select(CHDIRS.to_vec()),
                head,
                tail,
            )
        })
        .prop_map(|(read, write, archive, program, chdir, head, tail)| {
            let mut argv: Vec<String> = head.iter().map(|w| (*w).to_owned()).collect();
            argv.extend(tail);
            Case {
                read,
                write,
                archive,
                program,
                chdir,
                argv,
            }
        })
}

fn rule(case: &Case) -> GitRule {
    let mut text = format!(
        "read = {:?}\nwrite = {:?}\narchive = {}\n",
        case.read, case.write, case.archive
    );
    if case.program {
        text.push_str(&format!(
            "program = {PROGRAM:?}\nexec_path = {EXEC_PATH:?}\n"
        ));
    }
    toml::from_str(&text).expect("the generated rule parses")
}

/// The service the client's words name and the words after it, as git
/// would read them; `None` when the head names no service.
fn service(argv: &[String]) -> Option<(&'static str, &[String])> {
    const SERVICES: [&str; 3] = ["upload-pack", "receive-pack", "upload-archive"];
    let (argv0, rest) = argv.split_first()?;
    let name = argv0.rsplit('/').next().unwrap_or(argv0);
    if let Some(dashed) = SERVICES.iter().find(|s| name == format!("git-{s}")) {
        return Some((dashed, rest));
    }
    let (word, rest) = rest.split_first()?;
    SERVICES.iter().find(|s| *s == word).map(|s| (*s, rest))
}

/// The property; `Some(action)` when the request was accepted.
fn property(case: &Case) -> Result<Option<&'static str>, TestCaseError> {
    let rule = rule(case);
    let tool = Tool::Git(&rule);
    let argv = &case.argv;
    if !addressed(tool, argv) {
        return Ok(None);
    }
    let Ok(call) = check(
        tool,
        argv,
        Context {
            chdir: Path::new(case.chdir),
        },
    ) else {
        return Ok(None);
    };

    // The client named a service the rule serves, and sent one path and
    // no option, before the service or after it.
    let Some((subcommand, arguments)) = service(argv) else {
        return Err(TestCaseError::fail(format!("no service in {argv:?}")));
    };
    let action = match subcommand {
        "upload-pack" => "fetch",
        "receive-pack" => "push",
        _ => "archive",
    };
    prop_assert_eq!(call.request.action, action, "{:?}", argv);
    prop_assert!(rule.archive || action != "archive", "{argv:?}");
    prop_assert!(!argv[1..].iter().any(|w| w.starts_with('-')), "{argv:?}");
    prop_assert_eq!(arguments.len(), 1, "{:?}", argv);
    let client = arguments[0].as_str();

    // The repository: listed, a push only into `write`, and what git's
    // enter_repo makes of the client's path, trying its suffixes in order.
    prop_assert_eq!(call.request.paths.len(), 1);
    let repository = call.request.paths[0].to_str().unwrap_or_default();
    let writable = case.write.contains(&repository);
    prop_assert!(
        writable || case.read.contains(&repository),
        "{repository}: {argv:?}"
    );
    prop_assert!(writable || action != "push", "{argv:?}");
    prop_assert!(!client.is_empty() && !client.starts_with('~'), "{argv:?}");
    let trimmed = match client.trim_end_matches('/') {
        "" => "/",
        trimmed => trimmed,
    };
    let candidates: Vec<Option<String>> = SUFFIXES
        .iter()
        .map(|suffix| lexical(&format!("{trimmed}{suffix}"), case.chdir))
        .collect();
    let listed = |c: &Option<String>| {
        c.as_deref()
            .is_some_and(|c| case.read.contains(&c) || case.write.contains(&c))
    };
    let first = candidates
        .iter()
        .find(|c| listed(c))
        .and_then(Option::as_deref);
    prop_assert_eq!(first, Some(repository), "{:?}", argv);

    // The command: the rule's git and exec-path, the service, --strict
    // for upload-pack, and the repository as the only other word.
    let exec_path = if case.program {
        EXEC_PATH
    } else {
        "/usr/lib/git-core"
    };
    let exec_path_option = format!("--exec-path={exec_path}");
    let program = rule.program().to_str().unwrap_or_default();
    let mut expected = vec![program, exec_path_option.as_str(), subcommand];
    match subcommand {
        "upload-pack" => expected.extend(["--strict", "--"]),
        "receive-pack" => expected.push("--"),
        _ => {}
    }
    expected.push(repository);
    prop_assert_eq!(&call.argv, &expected, "{:?}", argv);

    // Grants: the repository (written only by a push) and the exec-path.
    let access = if action == "push" {
        Access::ReadWrite
    } else {
        Access::Read
    };
    prop_assert_eq!(
        &call.grants,
        &vec![
            (Path::new(repository).to_path_buf(), access),
            (exec_path.into(), Access::Execute)
        ],
        "{:?}",
        argv
    );
    Ok(Some(action))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10000))]

    #[test]
    fn an_accepted_request_runs_a_served_service_on_one_listed_repository(case in cases()) {
        property(&case)?;
    }
}

/// The generator reaches each service often: the property above is about
/// accepted requests, and would hold vacuously on refusals alone.
#[test]
fn generated_requests_fetch_push_and_archive_in_fair_numbers() {
    let counts = tally(cases(), 2000, property);
    for action in ["fetch", "push", "archive"] {
        let accepted = counts.get(action).copied().unwrap_or(0);
        assert!(
            accepted >= 40,
            "only {accepted} {action} requests in 2000: {counts:?}"
        );
    }
}
