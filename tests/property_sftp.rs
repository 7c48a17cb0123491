//! Properties of the sftp rule over generated subsystem commands, under
//! every combination of its settings: only the bare subsystem command is
//! accepted, sftp-server runs with the rule's options and no word of the
//! client's (`-R` whenever nothing is writable), and the grants are the
//! rule's paths, written only where `write` lists them.

mod common;

use std::path::Path;

use common::property::{TRAVERSAL, around, beneath, inside, tally, within};
use proptest::prelude::*;
use sshgate::decide::Access;
use sshgate::decide::tool::{Context, addressed, check};
use sshgate::policy::tool::{SftpRule, Tool};

/// The `read` lists the generator picks from; `/srv/100%` has a `%` that
/// sftp-server's `-d` would expand.
const READ: &[&[&str]] = &[&[], &["/srv/pub"], &["/srv/pub", "/srv/100%"]];
const WRITE: &[&[&str]] = &[&[], &["/srv/in"]];

const ALLOW_REQUESTS: &str = "open,read,close,realpath";
const DENY_REQUESTS: &str = "remove,rename";
const PROGRAM: &str = "/opt/ssh/sftp-server";

/// What sshd puts in `SSH_ORIGINAL_COMMAND` for a subsystem, and names
/// that are not subsystem commands.
const COMMANDS: &[&str] = &[
    "/usr/lib/openssh/sftp-server",
    "/usr/libexec/openssh/sftp-server",
    "sftp-server",
    "internal-sftp",
    PROGRAM,
    "/opt/ssh/sftp-server-other",
    "sftp",
    "/tmp/sftp-server",
    "scp",
];

/// sftp-server's own options and their values: what a client asking to
/// exec the server itself would add.
const OPTIONS: &[&str] = &[
    "-d",
    "-d/",
    "-R",
    "-e",
    "-l",
    "INFO",
    "DEBUG3",
    "-f",
    "AUTH",
    "LOCAL0",
    "-p",
    "-P",
    "realpath",
    "open,write,remove",
    "-u",
    "000",
    "-h",
    "-Q",
    "requests",
    "-c",
    "%d",
    "%u",
    "%%",
];

#[derive(Debug, Clone)]
struct Case {
    read: &'static [&'static str],
    write: &'static [&'static str],
    /// Picks `start` among the paths the lists allow, or none.
    start: usize,
    log: bool,
    allow_requests: bool,
    deny_requests: bool,
    program: bool,
    /// An `accept` list narrower than the default.
    accept: bool,
    argv: Vec<String>,
}

impl Case {
    /// The `start` values this rule's lists allow: each list path, and a
    /// name beneath each with a `%u` that sftp-server would expand unless
    /// the gate doubles the `%`.
    fn start(&self) -> Option<String> {
        let mut candidates = vec![None];
        for root in self.read.iter().chain(self.write) {
            candidates.push(Some((*root).to_owned()));
            candidates.push(Some(format!("{root}/%u/sub")));
        }
        candidates[self.start % candidates.len()].clone()
    }

    fn roots(&self) -> Vec<&'static str> {
        self.read.iter().chain(self.write).copied().collect()
    }
}

fn words() -> Vec<String> {
    let mut words: Vec<String> = OPTIONS
        .iter()
        .chain(TRAVERSAL)
        .map(|w| (*w).to_owned())
        .collect();
    for root in READ.iter().chain(WRITE).flat_map(|list| list.iter()) {
        words.extend(within(root));
        words.extend(around(root));
    }
    words
}

fn cases() -> impl Strategy<Value = Case> {
    // Half the commands come alone, as sshd sends a subsystem's.
    let arguments = prop_oneof![
        Just(Vec::new()),
        prop::collection::vec(prop::sample::select(words()), 1..9),
    ];
    (
        (
            prop::sample::select(READ.to_vec()),
            prop::sample::select(WRITE.to_vec()),
            any::<usize>(),
        ),
        any::<[bool; 5]>(),
        prop::sample::select(COMMANDS.to_vec()),
        arguments,
    )
        .prop_map(|((read, write, start), flags, command, arguments)| {
            let [log, allow_requests, deny_requests, program, accept] = flags;
            let mut argv = vec![command.to_owned()];
            argv.extend(arguments);
            Case {
                read,
                write,
                start,
                log,
                allow_requests,
                deny_requests,
                program,
                accept,
                argv,
            }
        })
}

fn rule(case: &Case) -> SftpRule {
    let mut text = format!(
        "read = {:?}\nwrite = {:?}\nlog = {}\n",
        case.read, case.write, case.log
    );
    if let Some(start) = case.start() {
        text.push_str(&format!("start = {start:?}\n"));
    }
    if case.allow_requests {
        text.push_str(&format!("allow_requests = {:?}\n", list(ALLOW_REQUESTS)));
    }
    if case.deny_requests {
        text.push_str(&format!("deny_requests = {:?}\n", list(DENY_REQUESTS)));
    }
    if case.program {
        text.push_str(&format!("program = {PROGRAM:?}\n"));
    }
    if case.accept {
        text.push_str(&format!("accept = [\"internal-sftp\", {PROGRAM:?}]\n"));
    }
    toml::from_str(&text).expect("the generated rule parses")
}

fn list(names: &str) -> Vec<&str> {
    names.split(',').collect()
}

/// The property; `Some("session")` when the request was accepted.
fn property(case: &Case) -> Result<Option<&'static str>, TestCaseError> {
    let rule = rule(case);
    let tool = Tool::Sftp(&rule);
    let argv = &case.argv;
    if !addressed(tool, argv) {
        return Ok(None);
    }
    let Ok(call) = check(
        tool,
        argv,
        Context {
            chdir: Path::new("/home/u"),
        },
    ) else {
        return Ok(None);
    };
    // The bare subsystem command only: no word of the client's to pass on.
    prop_assert_eq!(argv.len(), 1, "{:?}", argv);
    prop_assert_eq!(call.request.action, "session");
    prop_assert!(call.request.options.is_empty(), "{:?}", call.request);

    // sftp-server's command line, read as its getopt would: every option
    // is one the rule sets, with the rule's value.
    let exec = &call.argv;
    prop_assert_eq!(Path::new(&exec[0]), rule.program());
    prop_assert_eq!(&exec[1..], call.request.forced.as_slice());
    let start = case.start();
    let mut seen = Vec::new();
    let mut options = exec[1..].iter();
    while let Some(option) = options.next() {
        prop_assert!(!seen.contains(option), "{option} twice: {exec:?}");
        seen.push(option.clone());
        let value = match option.as_str() {
            "-R" => None,
            "-d" | "-l" | "-f" | "-p" | "-P" => options.next().map(String::as_str),
            other => return Err(TestCaseError::fail(format!("{other} in {exec:?}"))),
        };
        let expected = match option.as_str() {
            "-R" => None,
            "-d" => start.as_ref().map(|s| s.replace('%', "%%")),
            "-l" => case.log.then(|| "INFO".to_owned()),
            "-f" => case.log.then(|| "AUTHPRIV".to_owned()),
            "-p" => case.allow_requests.then(|| ALLOW_REQUESTS.to_owned()),
            _ => case.deny_requests.then(|| DENY_REQUESTS.to_owned()),
        };
        prop_assert_eq!(value, expected.as_deref(), "{} in {:?}", option, exec);
    }
    // Read-only unless the rule lists somewhere to write.
    prop_assert_eq!(
        seen.iter().any(|o| o == "-R"),
        case.write.is_empty(),
        "{:?}",
        exec
    );
    for (option, set) in [
        ("-d", start.is_some()),
        ("-l", case.log),
        ("-p", case.allow_requests),
        ("-P", case.deny_requests),
    ] {
        prop_assert_eq!(
            seen.iter().any(|o| o == option),
            set,
            "{} in {:?}",
            option,
            exec
        );
    }

    // The starting directory is the rule's, inside its lists.
    let roots = case.roots();
    prop_assert_eq!(call.chdir.as_deref(), start.as_deref().map(Path::new));
    prop_assert_eq!(call.request.paths.len(), usize::from(start.is_some()));
    for path in &call.request.paths {
        inside(path, &roots).map_err(TestCaseError::fail)?;
    }

    // Grants: `read` paths read, `write` paths written, the log socket
    // read when the rule logs; nothing else.
    for (path, access) in &call.grants {
        let text = path.to_str().unwrap_or_default();
        let allowed = match access {
            Access::Read => {
                case.read.iter().any(|root| beneath(text, root)) || (case.log && text == "/dev/log")
            }
            Access::ReadWrite => case.write.iter().any(|root| beneath(text, root)),
            Access::Execute => false,
        };
        prop_assert!(allowed, "{path:?} {access:?}: {case:?}");
    }
    Ok(Some("session"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(5000))]

    #[test]
    fn an_accepted_session_runs_sftp_server_with_the_rules_options_only(case in cases()) {
        property(&case)?;
    }
}

/// The generator reaches accepted sessions often: the property above is
/// about them, and would hold vacuously on refusals alone.
#[test]
fn generated_subsystem_commands_are_accepted_in_fair_numbers() {
    let counts = tally(cases(), 2000, property);
    let accepted = counts.get("session").copied().unwrap_or(0);
    assert!(
        accepted >= 200,
        "only {accepted} sessions in 2000: {counts:?}"
    );
}
