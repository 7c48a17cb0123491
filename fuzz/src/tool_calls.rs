//! What each tool parser must hold to for a request it accepted, beyond
//! the grants every tool shares (`assert_tool_call_inside_rule`): the
//! client's words judged by an independent model of the tool's own
//! parsing, the paths by a lexical model on text, and the command
//! executed word by word. The same invariants as `tests/property_*.rs`,
//! which this crate cannot depend on.

use std::path::Path;

use sshgate::decide::Access;
use sshgate::decide::tool::ToolCall;
use sshgate::policy::tool::{
    BorgRule, GitRule, Links, PathList, RsyncRule, ScpRule, SftpRule, Tool,
};

use crate::assert_tool_call_inside_rule;

/// Every invariant of an accepted `call` of `tool` on the client's `argv`,
/// run from `chdir`.
pub fn assert_accepted_call(tool: Tool<'_>, argv: &[String], chdir: &Path, call: &ToolCall) {
    assert_tool_call_inside_rule(tool, call);
    match tool {
        Tool::Rsync(rule) => assert_rsync_call(rule, call),
        Tool::Scp(rule) => assert_scp_call(rule, argv, chdir, call),
        Tool::Sftp(rule) => assert_sftp_call(rule, argv, call),
        Tool::Git(rule) => assert_git_call(rule, argv, chdir, call),
        Tool::Borg(rule) => assert_borg_call(rule, argv, call),
    }
}

/// rsync: the paths lie in the direction's tree (one for an upload), and
/// no option the rule's controls refuse reaches `rsync --server`: no
/// `-s`/`T`, no link following unless `links = "follow"`, no daemon,
/// config, protect-args, write-devices or remote shell, no delete, log
/// file or file list without its control, `--munge-links` forced under
/// munge and never undone, no `--copy-*links` unless follow.
pub fn assert_rsync_call(rule: &RsyncRule, call: &ToolCall) {
    let download = call.request.action == "download";
    let tree = if download { &rule.send } else { &rule.receive };
    for path in &call.request.paths {
        assert!(
            inside(text(path), tree),
            "{path:?} outside the tree: {call:?}"
        );
    }
    assert!(download || call.request.paths.len() == 1, "{call:?}");
    let exec = &call.argv;
    assert_eq!(Path::new(&exec[0]), rule.program(), "{call:?}");
    assert_eq!(exec[1], "--server", "{call:?}");
    let dashdash = exec
        .iter()
        .position(|word| word == "--")
        .unwrap_or_else(|| panic!("no -- before the paths: {call:?}"));
    assert_eq!(
        exec.get(dashdash + 1).map(String::as_str),
        Some("."),
        "{call:?}"
    );
    let options = &exec[2..dashdash];
    let follow = rule.links == Links::Follow;
    for word in options {
        assert!(word.starts_with('-'), "{word} before --: {call:?}");
        if !word.starts_with("--") && !word.starts_with("-B") && !word.starts_with("-@") {
            let letters = word.trim_start_matches('-');
            let letters = letters.split('e').next().unwrap_or(letters);
            assert!(!letters.contains(['s', 'T']), "{word}: {call:?}");
            assert!(
                follow || !letters.contains(['L', 'k', 'K']),
                "{word}: {call:?}"
            );
        }
        for refused in [
            "--daemon",
            "--config",
            "--protect-args",
            "--write-devices",
            "--rsh",
        ] {
            assert!(!word.starts_with(refused), "{word}: {call:?}");
        }
        let deleting =
            word.starts_with("--del") || word.starts_with("--remove") || word == "--force";
        assert!(rule.delete || !deleting, "{word}: {call:?}");
        assert!(
            rule.log_file || !word.starts_with("--log-file"),
            "{word}: {call:?}"
        );
        assert!(
            rule.files_from || !word.starts_with("--files-from"),
            "{word}: {call:?}"
        );
        // The option's name only: a value (`--copy-dest=DIR`) may say anything.
        let name = word.split('=').next().unwrap_or(word);
        let copies_links = name.starts_with("--copy") && name.ends_with("links");
        assert!(follow || !copies_links, "{word}: {call:?}");
        assert!(
            rule.links != Links::Munge || word != "--no-munge-links",
            "{word}: {call:?}"
        );
    }
    if rule.links == Links::Munge {
        assert!(
            options.iter().any(|word| word == "--munge-links"),
            "{call:?}"
        );
    }
}

/// `client` made absolute against `chdir` and cleaned on text: empty and
/// `.` segments dropped. `None` for the empty path and any `..` segment.
fn lexical(client: &str, chdir: &str) -> Option<String> {
    if client.is_empty() || client.split('/').any(|segment| segment == "..") {
        return None;
    }
    let base = if client.starts_with('/') { "" } else { chdir };
    let segments: Vec<&str> = base
        .split('/')
        .chain(client.split('/'))
        .filter(|segment| !segment.is_empty() && *segment != ".")
        .collect();
    Some(format!("/{}", segments.join("/")))
}

/// Whether `path` is clean and at or beneath one of `roots`, by whole
/// components compared as text.
fn inside(path: &str, roots: &PathList) -> bool {
    let clean = lexical(path, "/").as_deref() == Some(path);
    clean
        && roots.iter().any(|root| {
            let root = root.get_ref().to_string();
            root == "/"
                || path == root
                || path
                    .strip_prefix(&root)
                    .is_some_and(|rest| rest.starts_with('/'))
        })
}

fn text(path: &Path) -> &str {
    path.to_str().unwrap_or("\u{0}not UTF-8")
}

/// scp: the client's words as glibc's getopt splits them hold only
/// server letters, one direction, -r and -p only where the rule allows;
/// each operand cleaned is a request path inside the direction's list;
/// scp runs with those options once, the direction, `--`, those paths.
pub fn assert_scp_call(rule: &ScpRule, argv: &[String], chdir: &Path, call: &ToolCall) {
    let mut letters = String::new();
    let mut operands = Vec::new();
    let mut words = argv.iter().skip(1);
    while let Some(word) = words.next() {
        if word == "--" {
            operands.extend(words.by_ref().map(String::as_str));
            break;
        }
        match word.strip_prefix('-') {
            Some(cluster) if !cluster.is_empty() => letters.push_str(cluster),
            _ => operands.push(word.as_str()),
        }
    }
    assert!(letters.chars().all(|l| "ftrpdv".contains(l)), "{argv:?}");
    let download = call.request.action == "download";
    assert!(download || call.request.action == "upload", "{call:?}");
    assert_eq!(letters.contains('f'), download, "{argv:?}");
    assert_eq!(letters.contains('t'), !download, "{argv:?}");
    assert!(rule.recursive || !letters.contains('r'), "{argv:?}");
    assert!(rule.preserve || !letters.contains('p'), "{argv:?}");
    let roots = if download {
        &rule.download
    } else {
        &rule.upload
    };
    let paths = &call.request.paths;
    assert_eq!(paths.len(), operands.len(), "{argv:?}");
    assert!(download || paths.len() == 1, "{argv:?}");
    for (operand, path) in operands.iter().zip(paths) {
        let path = text(path);
        assert_eq!(
            lexical(operand, text(chdir)).as_deref(),
            Some(path),
            "{argv:?}"
        );
        assert!(inside(path, roots), "{path} outside: {argv:?}");
    }
    let expected = if download {
        Access::Read
    } else {
        Access::ReadWrite
    };
    for (path, access) in &call.grants {
        assert!(inside(text(path), roots), "{path:?}: {argv:?}");
        assert_eq!(*access, expected, "{argv:?}");
    }
    let exec = &call.argv;
    let dashdash = exec
        .iter()
        .position(|w| w == "--")
        .expect("-- before the paths");
    let options = &exec[1..dashdash];
    let direction = if download { "-f" } else { "-t" };
    assert_eq!(
        options.last().map(String::as_str),
        Some(direction),
        "{exec:?}"
    );
    for option in options {
        assert!(
            ["-v", "-r", "-p", "-d", direction].contains(&option.as_str()),
            "{exec:?}"
        );
        assert!(
            letters.contains(&option[1..]),
            "{option} not asked for: {argv:?}"
        );
        assert_eq!(
            options.iter().filter(|o| *o == option).count(),
            1,
            "{exec:?}"
        );
    }
    let executed: Vec<&str> = exec[dashdash + 1..].iter().map(String::as_str).collect();
    let checked: Vec<&str> = paths.iter().map(|p| text(p)).collect();
    assert_eq!(executed, checked, "{exec:?}");
}

/// sftp: only the bare subsystem command is accepted, and sftp-server's
/// command line holds only what the rule sets, `-R` exactly when nothing
/// is writable; `start` is the chdir, inside the lists.
pub fn assert_sftp_call(rule: &SftpRule, argv: &[String], call: &ToolCall) {
    assert_eq!(argv.len(), 1, "{argv:?}");
    let exec = &call.argv;
    assert_eq!(&exec[1..], call.request.forced.as_slice());
    let start = rule.start.as_ref().map(|s| s.get_ref().to_string());
    let mut seen: Vec<&str> = Vec::new();
    let mut options = exec[1..].iter();
    while let Some(option) = options.next() {
        assert!(!seen.contains(&option.as_str()), "{option} twice: {exec:?}");
        seen.push(option);
        let value = match option.as_str() {
            "-R" => continue,
            "-d" | "-l" | "-f" | "-p" | "-P" => options.next().map(String::as_str),
            other => panic!("{other} in {exec:?}"),
        };
        let expected = match option.as_str() {
            "-d" => start.as_ref().map(|s| s.replace('%', "%%")),
            "-l" => rule.log.then(|| "INFO".to_owned()),
            "-f" => rule.log.then(|| "AUTHPRIV".to_owned()),
            // The request lists as sftp-server's -p and -P take them.
            "-p" => rule.allow_requests.as_ref().map(|names| {
                let names: Vec<&str> = names.get_ref().iter().map(|n| n.as_str()).collect();
                names.join(",")
            }),
            _ => rule.deny_requests.as_ref().map(|names| {
                let names: Vec<&str> = names.get_ref().iter().map(|n| n.as_str()).collect();
                names.join(",")
            }),
        };
        assert_eq!(value, expected.as_deref(), "{option} in {exec:?}");
    }
    assert_eq!(seen.contains(&"-R"), rule.write.is_empty(), "{exec:?}");
    assert_eq!(seen.contains(&"-d"), start.is_some(), "{exec:?}");
    assert_eq!(seen.contains(&"-l"), rule.log, "{exec:?}");
    assert_eq!(
        seen.contains(&"-p"),
        rule.allow_requests.is_some(),
        "{exec:?}"
    );
    assert_eq!(
        seen.contains(&"-P"),
        rule.deny_requests.is_some(),
        "{exec:?}"
    );
    assert_eq!(call.chdir.as_deref().map(text), start.as_deref());
    for path in &call.request.paths {
        let path = text(path);
        assert!(
            inside(path, &rule.read) || inside(path, &rule.write),
            "{path}"
        );
    }
    for (path, access) in &call.grants {
        let path = text(path);
        let allowed = match access {
            Access::Read => inside(path, &rule.read) || (rule.log && path == "/dev/log"),
            Access::ReadWrite => inside(path, &rule.write),
            Access::Execute => false,
        };
        assert!(allowed, "{path} {access:?}");
    }
}

/// git: a service the rule serves, no option, one path; the repository
/// is listed (in `write` for a push) and the first of enter_repo's
/// candidates for that path; the command is exactly the rule's git on it.
pub fn assert_git_call(rule: &GitRule, argv: &[String], chdir: &Path, call: &ToolCall) {
    const SERVICES: [&str; 3] = ["upload-pack", "receive-pack", "upload-archive"];
    let name = argv[0].rsplit('/').next().unwrap_or(&argv[0]);
    let (service, arguments) = match SERVICES.iter().find(|s| name == format!("git-{s}")) {
        Some(service) => (*service, &argv[1..]),
        None => (argv[1].as_str(), &argv[2..]),
    };
    let action = match service {
        "upload-pack" => "fetch",
        "receive-pack" => "push",
        "upload-archive" => "archive",
        other => panic!("service {other:?} accepted: {argv:?}"),
    };
    assert_eq!(call.request.action, action, "{argv:?}");
    assert!(rule.archive || action != "archive", "{argv:?}");
    assert!(!argv[1..].iter().any(|w| w.starts_with('-')), "{argv:?}");
    assert_eq!(arguments.len(), 1, "{argv:?}");
    let client = arguments[0].as_str();
    assert!(!client.is_empty() && !client.starts_with('~'), "{argv:?}");
    let listed = |list: &PathList, path: &str| list.iter().any(|r| r.get_ref().to_string() == path);
    let repository = text(&call.request.paths[0]);
    let writable = listed(&rule.write, repository);
    assert!(writable || listed(&rule.read, repository), "{argv:?}");
    assert!(writable || action != "push", "{argv:?}");
    let trimmed = match client.trim_end_matches('/') {
        "" => "/",
        trimmed => trimmed,
    };
    let first = ["/.git", "", ".git/.git", ".git"]
        .iter()
        .filter_map(|suffix| lexical(&format!("{trimmed}{suffix}"), text(chdir)))
        .find(|c| listed(&rule.write, c) || listed(&rule.read, c));
    assert_eq!(first.as_deref(), Some(repository), "{argv:?}");
    let exec_path = text(rule.exec_path());
    let exec_path_option = format!("--exec-path={exec_path}");
    let mut expected = vec![text(rule.program()), &exec_path_option, service];
    match service {
        "upload-pack" => expected.extend(["--strict", "--"]),
        "receive-pack" => expected.push("--"),
        _ => {}
    }
    expected.push(repository);
    assert_eq!(call.argv, expected, "{argv:?}");
    let access = if action == "push" {
        Access::ReadWrite
    } else {
        Access::Read
    };
    assert_eq!(
        call.grants,
        [
            (repository.into(), access),
            (exec_path.into(), Access::Execute)
        ],
        "{argv:?}"
    );
}

/// borg: `serve` after nothing but `NAME=value` words; the command always
/// restricts to the repository (append-only when the rule says so) and
/// passes on only a log level, logger-name topics and a numeric lock wait.
pub fn assert_borg_call(rule: &BorgRule, argv: &[String], call: &ToolCall) {
    let serve = argv.iter().position(|w| w == "serve").expect("serve");
    assert!(
        serve >= 1 && argv[..serve - 1].iter().all(|w| w.contains('=')),
        "{argv:?}"
    );
    let repository = rule.repository.get_ref().to_string();
    let mut forced = vec!["serve", "--restrict-to-repository", repository.as_str()];
    if rule.append_only {
        forced.push("--append-only");
    }
    let exec = &call.argv;
    assert!(exec.len() > forced.len(), "{exec:?}");
    assert_eq!(exec[1..=forced.len()], forced, "{exec:?}");
    let passed = &exec[forced.len() + 1..];
    for word in passed {
        let level =
            ["--critical", "--error", "--warning", "--info", "--debug"].contains(&word.as_str());
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
        assert!(level || topic || lock_wait, "{word} passed on: {exec:?}");
    }
    assert!(
        passed.iter().filter(|w| !w.contains('=')).count() <= 1,
        "{exec:?}"
    );
    assert!(
        passed
            .iter()
            .filter(|w| w.starts_with("--lock-wait="))
            .count()
            <= 1,
        "{exec:?}"
    );
    for word in &argv[serve + 1..] {
        let name = word.split('=').next().unwrap_or(word);
        assert!(
            !["--restrict", "--append", "--remote", "--rsh"]
                .iter()
                .any(|w| name.starts_with(w)),
            "{word} accepted: {argv:?}"
        );
    }
    assert_eq!(
        call.grants,
        [(Path::new(&repository).to_path_buf(), Access::ReadWrite)]
    );
    assert_eq!(
        call.env,
        [("BORG_SELFTEST".to_owned(), "disabled".to_owned())]
    );
}
