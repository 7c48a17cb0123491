//! Learn mode, table-tested: `mode = "learn"` allows every request that
//! passes `from` and `keys`, under the profile's sandbox when no rule
//! matches, and records what a tool parser made of it.

use std::path::{Path, PathBuf};

use sshgate::decide::{Access, Decision, GrantOrigin, LEARNING_RULE, Learning, decide};
use sshgate::policy::{LoadedPolicy, parse};
use sshgate::request::{Accounts, CommandLine, Connection, Request, UnresolvedProgram, User};

const LEARNING: &str = r#"
mode = "learn"
from = ["192.0.2.0/24"]
keys = ["backup01"]

[sandbox]
read = ["/srv"]

[[allow]]
name = "disk-free"
command = ["/usr/bin/df", "-h"]

[[allow]]
name = "pull-a"
rsync = { send = ["/srv/a"] }
"#;

fn loaded(text: &str) -> LoadedPolicy {
    parse(Path::new("t.toml"), text.to_owned()).unwrap()
}

fn request(command: &str, from: &str, program: Option<Result<&str, UnresolvedProgram>>) -> Request {
    Request {
        command: CommandLine::parse(Some(command.as_bytes().to_vec())),
        connection: Connection::from_env_values(Some(&format!("{from} 50022 192.0.2.1 22")), None),
        key: Some("backup01".into()),
        user: User {
            name: "backup".into(),
            uid: 1001,
            home: PathBuf::from("/home/backup"),
            shell: PathBuf::from("/bin/sh"),
        },
        accounts: Accounts::default(),
        gate_capabilities: Vec::new(),
        program: program.map(|found| found.map(PathBuf::from)),
    }
}

const FROM: &str = "192.0.2.10";

/// A command, the client address, the program looked up for it, and the
/// outcome.
type Case = (
    &'static str,
    &'static str,
    Option<Result<&'static str, UnresolvedProgram>>,
    Expect,
);

/// What a case expects: the rule (or `LEARNING_RULE`) and the plan's
/// learning state, or a piece of the denial reason.
#[derive(Debug, PartialEq)]
enum Expect {
    Allow(&'static str, Learning),
    Deny(&'static str),
}

#[test]
fn learn_mode_table() {
    let policy = loaded(LEARNING);
    let cat = || Some(Ok("/usr/bin/cat"));
    let rsync = || Some(Ok("/usr/bin/rsync"));
    let cases: Vec<Case> = vec![
        // A rule that matches runs as usual, and is marked as learning.
        (
            "df -h",
            FROM,
            None,
            Expect::Allow("disk-free", Learning::Matched),
        ),
        (
            "rsync --server --sender -logDtpre.iLsfxCIvu . /srv/a/x",
            FROM,
            rsync(),
            Expect::Allow("pull-a", Learning::Matched),
        ),
        // No rule: the client's program runs.
        (
            "cat /srv/x",
            FROM,
            cat(),
            Expect::Allow(LEARNING_RULE, Learning::Unmatched),
        ),
        // A tool rule that refuses the request does not stop learning.
        (
            "rsync --server --sender -logDtpre.iLsfxCIvu . /srv/b",
            FROM,
            rsync(),
            Expect::Allow(LEARNING_RULE, Learning::Unmatched),
        ),
        // The program must be resolvable.
        (
            "./run",
            FROM,
            Some(Err(UnresolvedProgram::Relative("./run".into()))),
            Expect::Deny("is a relative path"),
        ),
        (
            "frobnicate",
            FROM,
            Some(Err(UnresolvedProgram::NotFound("frobnicate".into()))),
            Expect::Deny("found no executable \"frobnicate\""),
        ),
        ("cat /srv/x", FROM, None, Expect::Deny("was not looked up")),
        // Only programs from the system's program trees, never the loader
        // (found by review: an upload through another profile ran).
        (
            "/srv/in/evil",
            FROM,
            Some(Ok("/srv/in/evil")),
            Expect::Deny("learn mode runs programs from the system's program trees"),
        ),
        (
            "/lib64/ld-linux-x86-64.so.2 /srv/in/evil",
            FROM,
            Some(Ok("/lib64/ld-linux-x86-64.so.2")),
            Expect::Deny("learn mode does not run the dynamic loader"),
        ),
        // Who asks, and shell syntax, are checked as always.
        (
            "cat /srv/x",
            "198.51.100.7",
            cat(),
            Expect::Deny("is not in the profile's `from`"),
        ),
        (
            "cat /srv/x; id",
            FROM,
            cat(),
            Expect::Deny("cannot parse command"),
        ),
    ];
    for (command, from, program, expected) in cases {
        let got = match decide(&policy, &request(command, from, program)) {
            Decision::Allow { rule, plan } => Expect::Allow(
                if rule == LEARNING_RULE {
                    LEARNING_RULE
                } else {
                    leak(rule)
                },
                plan.learning,
            ),
            Decision::Deny { reason, .. } => {
                let reason = reason.to_string();
                match expected {
                    Expect::Deny(part) if reason.contains(part) => Expect::Deny(part),
                    _ => Expect::Deny(leak(reason)),
                }
            }
        };
        assert_eq!(got, expected, "{command:?} from {from}");
    }
}

fn leak(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}

#[test]
fn an_unmatched_request_runs_its_own_program_under_the_profile_sandbox() {
    let policy = loaded(LEARNING);
    let Decision::Allow { plan, .. } = decide(
        &policy,
        &request("cat /srv/x", FROM, Some(Ok("/usr/bin/cat"))),
    ) else {
        panic!("learn mode allows");
    };
    assert_eq!(plan.program, Path::new("/usr/bin/cat"));
    assert_eq!(plan.argv, ["/usr/bin/cat", "/srv/x"]);
    assert!(
        plan.filesystem
            .iter()
            .any(|grant| grant.path == Path::new("/srv")
                && grant.access == Access::Read
                && grant.origin == GrantOrigin::Policy)
    );
    assert!(plan.tool.is_none());
}

#[test]
fn a_parsed_tool_request_is_recorded_but_grants_nothing() {
    let policy = loaded(LEARNING);
    let command = "rsync --server --sender -logDtpre.iLsfxCIvu . /srv/b/data";
    let Decision::Allow { rule, plan } =
        decide(&policy, &request(command, FROM, Some(Ok("/usr/bin/rsync"))))
    else {
        panic!("learn mode allows");
    };
    assert_eq!(rule, LEARNING_RULE);
    let tool = plan.tool.expect("the rsync parser recognises the pull");
    assert_eq!((tool.tool, tool.action), ("rsync", "download"));
    assert_eq!(tool.paths, [PathBuf::from("/srv/b/data")]);
    // The client's argv as sent: no forced options from a rule.
    assert_eq!(plan.argv[0], "/usr/bin/rsync");
    assert_eq!(
        &plan.argv[1..],
        &command.split(' ').skip(1).collect::<Vec<_>>()[..]
    );
    assert!(
        !plan
            .filesystem
            .iter()
            .any(|grant| grant.origin == GrantOrigin::Tool)
    );
    assert!(
        !plan
            .filesystem
            .iter()
            .any(|grant| grant.path == Path::new("/"))
    );
}

#[test]
fn enforce_mode_ignores_a_resolved_program_and_looks_nothing_up() {
    let enforcing = loaded(&LEARNING.replace("mode = \"learn\"", ""));
    let request = request("cat /srv/x", FROM, Some(Ok("/usr/bin/cat")));
    assert!(matches!(
        decide(&enforcing, &request),
        Decision::Deny { .. }
    ));
    let completed = request.with_programs_for(&enforcing.policy);
    assert!(completed.program.is_none());
}

#[test]
fn learn_mode_resolves_bare_names_in_the_fixed_path() {
    let policy = loaded(LEARNING);
    let completed = request("sh -c true", FROM, None).with_programs_for(&policy.policy);
    let program = completed
        .program
        .expect("looked up")
        .expect("sh is installed");
    assert!(
        program.is_absolute() && program.ends_with("sh"),
        "{program:?}"
    );
    let completed = request("./sh", FROM, None).with_programs_for(&policy.policy);
    assert_eq!(
        completed.program,
        Some(Err(UnresolvedProgram::Relative("./sh".into())))
    );
}

#[test]
fn the_profile_write_paths_count_as_writable_in_learn_mode() {
    let text = "mode = \"learn\"\n[sandbox]\nwrite = [\"/srv/in\"]\n";
    let policy = loaded(text);
    let Decision::Allow { plan, .. } = decide(
        &policy,
        &request("cat /srv/in/x", FROM, Some(Ok("/usr/bin/cat"))),
    ) else {
        panic!("learn mode allows");
    };
    // The sandbox refuses to execute beneath these, and follows no
    // symlink there: an upload must not become a program.
    assert_eq!(plan.profile_writable, [PathBuf::from("/srv/in")]);
    let enforcing = loaded(&text.replace("mode = \"learn\"\n", ""));
    assert!(enforcing.policy.writable_paths().is_empty());
}

#[test]
fn learn_mode_with_metadata_is_refused_when_it_would_run_as_root() {
    // Found by review: the client chooses the program, so `chmod 666`
    // of any root file would run.
    let policy = loaded("mode = \"learn\"\n[sandbox]\nmetadata = true\n");
    let mut as_root = request("chmod 666 /etc/shadow", FROM, Some(Ok("/usr/bin/chmod")));
    as_root.key = None;
    as_root.user = User {
        name: "root".into(),
        uid: 0,
        home: PathBuf::from("/root"),
        shell: PathBuf::from("/bin/sh"),
    };
    let Decision::Deny { reason, .. } = decide(&policy, &as_root) else {
        panic!("a root learn-mode chmod with metadata was allowed");
    };
    assert!(
        reason
            .to_string()
            .starts_with("learn mode with metadata = true would run the client's command as root"),
        "{reason}"
    );
    let mut as_backup = as_root;
    as_backup.user.uid = 1001;
    assert!(matches!(
        decide(&policy, &as_backup),
        Decision::Allow { .. }
    ));
}
