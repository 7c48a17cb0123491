//! The rsync parser against a table of server command lines. The strings
//! marked "client" are what the real rsync 3.2.7 client sends (captured
//! again by `tests/rsync_client_options.rs` on every run).

use std::path::Path;

use super::{addressed, check};
use crate::decide::plan::Access;
use crate::decide::tool::Context;
use crate::decide::tool::test_argv;
use crate::policy::tool::RsyncRule;

/// A rule pulling from /srv and /etc/ssh, pushing into /backup.
const RULE: &str = r#"send = ["/srv", "/etc/ssh"]
receive = ["/backup"]"#;

fn rule(extra: &str) -> RsyncRule {
    toml::from_str(&format!("{RULE}\n{extra}")).expect("test rule parses")
}

fn run(extra: &str, command: &str) -> Result<Vec<String>, String> {
    let rule = rule(extra);
    let argv = test_argv(command);
    assert!(addressed(&rule, &argv), "not addressed: {command}");
    check(
        &rule,
        &argv,
        Context {
            chdir: Path::new("/srv"),
        },
    )
    .map(|call| call.argv)
}

/// `(rule keys, command, expected)`: `Ok(exec argv after the program)` or
/// `Err(the refusal, exactly)`.
type Case = (
    &'static str,
    &'static str,
    Result<&'static str, &'static str>,
);

const ACCEPTED: &[Case] = &[
    // The client's own strings, pull (download) and push (upload).
    (
        "",
        "rsync --server --sender -logDtpre.iLsfxCIvu . /srv/data/",
        Ok("--server --sender -logDtpre.iLsfxCIvu --no-devices --no-specials -- . /srv/data/"),
    ),
    (
        "",
        "rsync --server -logDtpre.iLsfxCIvu . /backup/host1/",
        Ok(
            "--server -logDtpre.iLsfxCIvu --whole-file --no-devices --no-specials -- . /backup/host1/",
        ),
    ),
    (
        "",
        "rsync --server --sender -logDtprze.iLsfxCIvu . /srv/data/",
        Ok("--server --sender -logDtprze.iLsfxCIvu --no-devices --no-specials -- . /srv/data/"),
    ),
    (
        "",
        "rsync --server -logDtprze.iLsfxCIvu . /backup/",
        Ok("--server -logDtprze.iLsfxCIvu --whole-file --no-devices --no-specials -- . /backup/"),
    ),
    (
        "",
        "rsync --server --sender -vlHogDtprze.iLsfxCIvu . /srv/",
        Ok("--server --sender -vlHogDtprze.iLsfxCIvu --no-devices --no-specials -- . /srv/"),
    ),
    (
        "delete = true",
        "rsync --server -vlHogDtprze.iLsfxCIvu --delete . /backup/",
        Ok(
            "--server -vlHogDtprze.iLsfxCIvu --delete --whole-file --no-devices --no-specials -- . /backup/",
        ),
    ),
    (
        "",
        "rsync --server -e.LsfxCIvu --inplace . /backup/",
        Ok("--server -e.LsfxCIvu --inplace --whole-file -- . /backup/"),
    ),
    (
        "",
        "rsync --server --sender -e.LsfxCIvu --inplace . /srv/x",
        Ok("--server --sender -e.LsfxCIvu --inplace -- . /srv/x"),
    ),
    (
        "",
        "rsync --server -e.LsfxCIvu --partial . /backup/",
        Ok("--server -e.LsfxCIvu --partial --whole-file -- . /backup/"),
    ),
    (
        "",
        "rsync --server -pAXe.LsfxCIvu . /backup/",
        Ok("--server -pAXe.LsfxCIvu --whole-file -- . /backup/"),
    ),
    (
        "",
        "rsync --server --sender -pAXe.LsfxCIvu . /srv/",
        Ok("--server --sender -pAXe.LsfxCIvu -- . /srv/"),
    ),
    (
        "",
        "rsync --server -e.LsfxCIvu --link-dest /backup/yesterday . /backup/today",
        Ok("--server -e.LsfxCIvu --link-dest=/backup/yesterday --whole-file -- . /backup/today"),
    ),
    (
        "",
        "rsync --server -e.LsfxCIvu --bwlimit=100 . /backup/",
        Ok("--server -e.LsfxCIvu --bwlimit=100 --whole-file -- . /backup/"),
    ),
    (
        "",
        "rsync --server --sender -e.LsfxCIvu --bwlimit=100 . /srv/",
        Ok("--server --sender -e.LsfxCIvu --bwlimit=100 -- . /srv/"),
    ),
    (
        "",
        "rsync --server -e.LsfxCIvu --partial-dir .rsync-partial . /backup/",
        Ok("--server -e.LsfxCIvu --partial-dir=.rsync-partial --whole-file -- . /backup/"),
    ),
    (
        "",
        "rsync --server -e.LsfxCIvu --temp-dir /backup/tmp . /backup/",
        Ok("--server -e.LsfxCIvu --temp-dir=/backup/tmp --whole-file -- . /backup/"),
    ),
    (
        "",
        "rsync --server -be.LsfxCIvu --backup-dir /backup/old . /backup/new",
        Ok("--server -be.LsfxCIvu --backup-dir=/backup/old --whole-file -- . /backup/new"),
    ),
    (
        "",
        "rsync --server --sender -e.LsfxCIvu --compress-choice=zstd --checksum-choice=xxh128 . /srv/",
        Ok(
            "--server --sender -e.LsfxCIvu --compress-choice=zstd --checksum-choice=xxh128 -- . /srv/",
        ),
    ),
    (
        "",
        "rsync --server -e.LsfxCIvu --log-format=%i . /backup/",
        Ok("--server -e.LsfxCIvu --log-format=%i --whole-file -- . /backup/"),
    ),
    (
        "",
        "rsync --server --sender -e.LsfxCIvu --iconv=latin1 . /srv/",
        Ok("--server --sender -e.LsfxCIvu --iconv=latin1 -- . /srv/"),
    ),
    (
        "",
        "rsync --server -de.LsfxCIvu --no-r . /backup/",
        Ok("--server -de.LsfxCIvu --no-r --whole-file -- . /backup/"),
    ),
    (
        "",
        "rsync --server -e.LsfxCIvu -B4096 -@-1 . /backup/",
        Ok("--server -e.LsfxCIvu -B4096 -@-1 --whole-file -- . /backup/"),
    ),
    (
        "",
        "rsync --server -logtpre.iLsfxCIvu --specials . /backup/",
        Ok(
            "--server -logtpre.iLsfxCIvu --specials --whole-file --no-devices --no-specials -- . /backup/",
        ),
    ),
    (
        "devices = true",
        "rsync --server -logDtpre.iLsfxCIvu . /backup/",
        Ok("--server -logDtpre.iLsfxCIvu --whole-file -- . /backup/"),
    ),
    (
        "links = \"munge\"",
        "rsync --server -lre.iLsfxCIvu . /backup/",
        Ok("--server -lre.iLsfxCIvu --munge-links --whole-file -- . /backup/"),
    ),
    (
        "links = \"follow\"",
        "rsync --server --sender -Lre.iLsfxCIvu . /srv/",
        Ok("--server --sender -Lre.iLsfxCIvu -- . /srv/"),
    ),
    (
        "deltas = true",
        "rsync --server -logDtpre.iLsfxCIvu . /backup/",
        Ok("--server -logDtpre.iLsfxCIvu --no-devices --no-specials -- . /backup/"),
    ),
    (
        "files_from = true",
        "rsync --server --sender -Re.LsfxCIvu --files-from=lists/today . /srv/",
        Ok("--server --sender -Re.LsfxCIvu --files-from=lists/today -- . /srv/"),
    ),
    (
        "",
        "rsync --server -re.iLsfxCIvu --partial-dir=.partial . /backup/",
        Ok("--server -re.iLsfxCIvu --partial-dir=.partial --whole-file -- . /backup/"),
    ),
    // Several sources, relative paths against the working directory /srv.
    (
        "",
        "rsync --server --sender -re.iLsfxCIvu . /srv/a /etc/ssh/sshd_config",
        Ok("--server --sender -re.iLsfxCIvu -- . /srv/a /etc/ssh/sshd_config"),
    ),
    (
        "",
        "rsync --server --sender -re.iLsfxCIvu . data/",
        Ok("--server --sender -re.iLsfxCIvu -- . data/"),
    ),
    (
        "",
        "rsync --server --sender -re.iLsfxCIvu . .",
        Ok("--server --sender -re.iLsfxCIvu -- . ."),
    ),
    (
        "",
        "rsync --server --sender -re.iLsfxCIvu .",
        Ok("--server --sender -re.iLsfxCIvu -- ."),
    ),
    // A pre-release client's blob, an old protocol without one, letters a
    // future client may add.
    (
        "",
        "rsync --server --sender -re32.1iLsfxCIvu . /srv/",
        Ok("--server --sender -re32.1iLsfxCIvu -- . /srv/"),
    ),
    (
        "",
        "rsync --server --sender -lr . /srv/",
        Ok("--server --sender -lr -- . /srv/"),
    ),
    (
        "",
        "rsync --server --sender -re.iLsfxCIvuZQ . /srv/",
        Ok("--server --sender -re.iLsfxCIvuZQ -- . /srv/"),
    ),
    // The client's own `--` is kept as the end of options.
    (
        "",
        "rsync --server --sender -re.iLsfxCIvu -- . /srv/-x",
        Ok("--server --sender -re.iLsfxCIvu -- . /srv/-x"),
    ),
    (
        "delete = true",
        "rsync --server --sender -re.iLsfxCIvu --remove-source-files . /srv/x",
        Ok("--server --sender -re.iLsfxCIvu --remove-source-files -- . /srv/x"),
    ),
    (
        "files_from = true",
        "rsync --server --sender -Re.LsfxCIvu --files-from=- --from0 . /srv/",
        Ok("--server --sender -Re.LsfxCIvu --files-from=- --from0 -- . /srv/"),
    ),
    (
        "files_from = true",
        "rsync --server --sender -Re.LsfxCIvu --files-from /srv/list . /srv/",
        Ok("--server --sender -Re.LsfxCIvu --files-from=/srv/list -- . /srv/"),
    ),
    (
        "log_file = true",
        "rsync --server -e.LsfxCIvu --log-file=/backup/rsync.log . /backup/",
        Ok("--server -e.LsfxCIvu --log-file=/backup/rsync.log --whole-file -- . /backup/"),
    ),
];

const REFUSED: &[Case] = &[
    // Found by review: options whose meaning depends on the direction.
    (
        "files_from = true",
        "rsync --server -re.iLsfxCIvu --files-from /backup/list . /backup/",
        Err(
            "--files-from: refused on an upload: the server would read /backup/list and send its lines back to the client",
        ),
    ),
    (
        "",
        "rsync --server -re.iLsfxCIvu --exclude-from=/backup/list . /backup/",
        Err(
            "--exclude-from: refused on an upload: the server would read /backup/list and send its lines back to the client",
        ),
    ),
    (
        "log_file = true",
        "rsync --server --sender -re.iLsfxCIvu --log-file=/srv/rsync.log . /srv/",
        Err(
            "--log-file: refused on a download: `send` paths are read-only, so rsync could not write it",
        ),
    ),
    (
        "log_file = true",
        "rsync --server -re.iLsfxCIvu --log-file=rsync.log . /backup/",
        Err("--log-file: path /srv/rsync.log is outside the rule's `receive` paths (/backup)"),
    ),
    (
        "files_from = true",
        "rsync --server --sender -Re.LsfxCIvu --files-from=../etc/list . /srv/",
        Err("--files-from: path \"../etc/list\" contains `..`"),
    ),
    (
        "",
        "rsync --server --sender -re.iLsfxCIvu --include-from=/etc/passwd . /srv/",
        Err("--include-from: path /etc/passwd is outside the rule's `send` paths (/srv, /etc/ssh)"),
    ),
    (
        "",
        "rsync --server -se.LsfxCIvu",
        Err(
            "-se.LsfxCIvu: -s (--protect-args) sends the real arguments over the protocol, hidden from the gate",
        ),
    ),
    (
        "",
        "rsync --server --sender -logDtpre.iLsfxCIvu --protect-args . /srv/",
        Err(
            "--protect-args is refused: it sends the real arguments over the protocol, hidden from the gate",
        ),
    ),
    (
        "",
        "rsync --server --sender -e.LsfxCIvu --secluded-args . /srv/",
        Err(
            "--secluded-args is refused: it sends the real arguments over the protocol, hidden from the gate",
        ),
    ),
    (
        "",
        "rsync --server --daemon . /srv/",
        Err("--daemon is refused: it starts an rsync daemon"),
    ),
    (
        "",
        "rsync --server --config=/tmp/x . /srv/",
        Err("--config is refused: it reads an rsync daemon configuration"),
    ),
    (
        "",
        "rsync --server -e.LsfxCIvu --inplace --write-devices . /backup/",
        Err("--write-devices is refused: it writes into existing device files"),
    ),
    (
        "",
        "rsync --server --sender --copy-devices . /srv/",
        Err("--copy-devices is refused: it copies the contents of device files"),
    ),
    (
        "",
        "rsync --server --rsh=sh . /srv/",
        Err("--rsh is refused: it names a program for rsync to run"),
    ),
    (
        "",
        "rsync --server -vlHogDtprze.iLsfxCIvu --delete . /backup/",
        Err("--delete deletes files on the server; the rule has `delete = false`"),
    ),
    (
        "",
        "rsync --server -e.LsfxCIvu --delete-after . /backup/",
        Err("--delete-after deletes files on the server; the rule has `delete = false`"),
    ),
    (
        "",
        "rsync --server -e.LsfxCIvu --del . /backup/",
        Err("--del deletes files on the server; the rule has `delete = false`"),
    ),
    (
        "",
        "rsync --server -e.LsfxCIvu --delete-missing-args . /backup/",
        Err("--delete-missing-args deletes files on the server; the rule has `delete = false`"),
    ),
    (
        "",
        "rsync --server --sender -e.LsfxCIvu --remove-source-files . /srv/x",
        Err("--remove-source-files deletes files on the server; the rule has `delete = false`"),
    ),
    (
        "",
        "rsync --server -e.LsfxCIvu --force . /backup/",
        Err("--force deletes files on the server; the rule has `delete = false`"),
    ),
    (
        "",
        "rsync --server --sender -Lre.iLsfxCIvu . /srv/",
        Err(
            "-Lre.iLsfxCIvu: -L follows symbolic links; the rule has `links = \"keep\"`, not \"follow\"",
        ),
    ),
    (
        "",
        "rsync --server -Kre.iLsfxCIvu . /backup/",
        Err(
            "-Kre.iLsfxCIvu: -K follows symbolic links; the rule has `links = \"keep\"`, not \"follow\"",
        ),
    ),
    (
        "links = \"munge\"",
        "rsync --server --sender -kre.iLsfxCIvu . /srv/",
        Err(
            "-kre.iLsfxCIvu: -k follows symbolic links; the rule has `links = \"munge\"`, not \"follow\"",
        ),
    ),
    (
        "",
        "rsync --server --sender -e.LsfxCIvu --copy-unsafe-links . /srv/",
        Err(
            "--copy-unsafe-links follows symbolic links; the rule has `links = \"keep\"`, not \"follow\"",
        ),
    ),
    (
        "links = \"munge\"",
        "rsync --server -e.LsfxCIvu --no-munge-links . /backup/",
        Err("--no-munge-links is refused: the rule has `links = \"munge\"`"),
    ),
    (
        "",
        "rsync --server --sender -Re.LsfxCIvu --files-from=- --from0 . /srv/",
        Err("--files-from is refused: the rule has `files_from = false`"),
    ),
    (
        "",
        "rsync --server -e.LsfxCIvu --log-file=/backup/x . /backup/",
        Err("--log-file is refused: the rule has `log_file = false`"),
    ),
    (
        "log_file = true",
        "rsync --server -e.LsfxCIvu --log-file=/tmp/x . /backup/",
        Err("--log-file: path /tmp/x is outside the rule's `receive` paths (/backup)"),
    ),
    (
        "files_from = true",
        "rsync --server --sender -Re.LsfxCIvu --files-from /etc/shadow . /srv/",
        Err("--files-from: path /etc/shadow is outside the rule's `send` paths (/srv, /etc/ssh)"),
    ),
    (
        "",
        "rsync --server -e.LsfxCIvu --link-dest /srv/old . /backup/",
        Err("--link-dest: path /srv/old is outside the rule's `receive` paths (/backup)"),
    ),
    (
        "",
        "rsync --server -e.LsfxCIvu --temp-dir /tmp . /backup/",
        Err("--temp-dir: path /tmp is outside the rule's `receive` paths (/backup)"),
    ),
    (
        "",
        "rsync --server -e.LsfxCIvu --partial-dir ../x . /backup/",
        Err("--partial-dir: path \"../x\" contains `..`"),
    ),
    (
        "",
        "rsync --server -e.LsfxCIvu --backup-dir=/etc . /backup/",
        Err("--backup-dir: path /etc is outside the rule's `receive` paths (/backup)"),
    ),
    // Paths.
    (
        "",
        "rsync --server --sender -re.iLsfxCIvu . /etc/shadow",
        Err("path /etc/shadow is outside the rule's `send` paths (/srv, /etc/ssh)"),
    ),
    (
        "",
        "rsync --server --sender -re.iLsfxCIvu . /srv2",
        Err("path /srv2 is outside the rule's `send` paths (/srv, /etc/ssh)"),
    ),
    (
        "",
        "rsync --server --sender -re.iLsfxCIvu . /srv/../etc/shadow",
        Err("path \"/srv/../etc/shadow\" contains `..`"),
    ),
    (
        "",
        "rsync --server --sender -re.iLsfxCIvu . ../etc",
        Err("path \"../etc\" contains `..`"),
    ),
    (
        "",
        "rsync --server -re.iLsfxCIvu . /srv/",
        Err("path /srv is outside the rule's `receive` paths (/backup)"),
    ),
    (
        "",
        "rsync --server -re.iLsfxCIvu . data",
        Err("path /srv/data is outside the rule's `receive` paths (/backup)"),
    ),
    (
        "",
        "rsync --server --sender -re.iLsfxCIvu . /srv/a /etc/passwd",
        Err("path /etc/passwd is outside the rule's `send` paths (/srv, /etc/ssh)"),
    ),
    (
        "",
        "rsync --server -re.iLsfxCIvu . /backup/a /backup/b",
        Err("an upload names one destination, got 2: [\"/backup/a\", \"/backup/b\"]"),
    ),
    // The first positional word is a directory rsync changes into.
    (
        "",
        "rsync --server --sender -re.iLsfxCIvu /etc shadow",
        Err(
            "the first argument after the options must be `.`, got \"/etc\" (rsync would change into it)",
        ),
    ),
    (
        "",
        "rsync --server --sender -re.iLsfxCIvu",
        Err("no `.` after the options: not a command an rsync client sends"),
    ),
    // Options after the paths are still options to rsync: checked too.
    (
        "",
        "rsync --server --sender -re.iLsfxCIvu . /srv/ --log-file=/tmp/x",
        Err("--log-file is refused: the rule has `log_file = false`"),
    ),
    (
        "",
        "rsync --server -re.iLsfxCIvu . /backup/ --delete",
        Err("--delete deletes files on the server; the rule has `delete = false`"),
    ),
    // Clusters and blobs.
    (
        "",
        "rsync --server --sender -logDtpre . /srv/",
        Err("-logDtpre: `e` is not an rsync capability string (e. or eN.N, then letters)"),
    ),
    (
        "",
        "rsync --server --sender -re32iLs . /srv/",
        Err("-re32iLs: `e32iLs` is not an rsync capability string (e. or eN.N, then letters)"),
    ),
    (
        "",
        "rsync --server --sender -re.iL/s . /srv/",
        Err("-re.iL/s: `e.iL/s` is not an rsync capability string (e. or eN.N, then letters)"),
    ),
    (
        "",
        "rsync --server --sender -rT/tmp . /srv/",
        Err("-rT/tmp: unknown option letter 'T': refused"),
    ),
    (
        "",
        "rsync --server --sender -rM--log-file=/x . /srv/",
        Err("-rM--log-file=/x: unknown option letter 'M': refused"),
    ),
    (
        "",
        "rsync --server --sender -rf/x . /srv/",
        Err("-rf/x: unknown option letter 'f': refused"),
    ),
    (
        "",
        "rsync --server --sender -V . /srv/",
        Err("-V: unknown option letter 'V': refused"),
    ),
    (
        "",
        "rsync --server --sender -B . /srv/",
        Err("-B: -B needs a number"),
    ),
    (
        "",
        "rsync --server --sender -B12x . /srv/",
        Err("-B12x: -B needs a number"),
    ),
    (
        "",
        "rsync --server --sender -@x . /srv/",
        Err("-@x: -@ needs a number"),
    ),
    // Long options.
    (
        "",
        "rsync --server --sender --no-such-option . /srv/",
        Err("unknown option --no-such-option: refused"),
    ),
    (
        "",
        "rsync --server --sender --dele . /srv/",
        Err("unknown option --dele: refused"),
    ),
    (
        "",
        "rsync --server --sender --inplace=yes . /srv/",
        Err("--inplace takes no value"),
    ),
    (
        "",
        "rsync --server --sender --bwlimit= . /srv/",
        Err("--bwlimit needs a value"),
    ),
    (
        "",
        "rsync --server -e.LsfxCIvu --temp-dir",
        Err("--temp-dir needs a value"),
    ),
    (
        "",
        "rsync --server --sender --only-write-batch=X . /srv/",
        Err("--only-write-batch is refused: batch files are not supported through the gate"),
    ),
    (
        "",
        "rsync --server --sender --copy-as=root . /srv/",
        Err("--copy-as is refused: it switches the server to another user"),
    ),
];

fn check_table(cases: &[Case]) -> Vec<String> {
    let mut failures = Vec::new();
    for (extra, command, expected) in cases {
        let actual = run(extra, command);
        let actual_text = actual.as_ref().map(|argv| argv[1..].join(" "));
        let matches = match (expected, &actual_text) {
            (Ok(want), Ok(got)) => want == got,
            (Err(want), Err(got)) => want == got,
            _ => false,
        };
        if !matches {
            failures.push(format!(
                "rule: {extra:?}\ncommand:  {command}\nexpected: {expected:?}\nactual:   {actual_text:?}\n"
            ));
        }
    }
    failures
}

#[test]
fn accepted_requests_become_the_expected_server_command() {
    let failures = check_table(ACCEPTED);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn refused_requests_name_the_option_or_path() {
    let failures = check_table(REFUSED);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_table_has_at_least_sixty_cases() {
    assert!(ACCEPTED.len() + REFUSED.len() >= 60);
}

#[test]
fn every_refused_long_option_of_the_table_is_refused_whatever_the_rule() {
    let permissive =
        "delete = true\ndevices = true\nlinks = \"follow\"\nfiles_from = true\nlog_file = true";
    for (name, kind) in super::LONG_OPTIONS {
        if let super::Kind::Refused(why) = kind {
            let error = run(
                permissive,
                &format!("rsync --server --sender --{name} . /srv/"),
            )
            .expect_err(name);
            assert_eq!(error, format!("--{name} is refused: {why}"));
        }
    }
}

#[test]
fn every_cluster_letter_but_s_is_accepted_by_a_permissive_rule() {
    let permissive = "devices = true\nlinks = \"follow\"";
    for letter in super::CLUSTER_LETTERS.chars().filter(|l| *l != 's') {
        let command = format!("rsync --server --sender -{letter}e.iLsfxCIvu . /srv/");
        assert!(run(permissive, &command).is_ok(), "{command}");
    }
}

#[test]
fn only_rsync_server_commands_are_addressed() {
    let rule = rule("");
    for command in [
        "rsync --server --sender -re.iLsfxCIvu . /srv/",
        "/usr/bin/rsync --server -re.iLsfxCIvu . /backup/",
    ] {
        assert!(addressed(&rule, &test_argv(command)), "{command}");
    }
    for command in [
        "rsync --daemon --server",
        "rsync -a /srv/ /tmp/",
        "/tmp/rsync --server --sender . /srv/",
        "/opt/rsync --server --sender . /srv/",
        "sudo rsync --server --sender . /srv/",
        "rsync",
    ] {
        assert!(!addressed(&rule, &test_argv(command)), "{command}");
    }
    let other: RsyncRule =
        toml::from_str("program = \"/opt/rsync/bin/rsync\"\nsend = [\"/srv\"]").unwrap();
    assert!(addressed(
        &other,
        &test_argv("/opt/rsync/bin/rsync --server . /srv")
    ));
    assert!(addressed(&other, &test_argv("rsync --server . /srv")));
    assert!(!addressed(
        &other,
        &test_argv("/usr/bin/rsync --server . /srv")
    ));
}

#[test]
fn grants_follow_the_direction_and_only_the_roots_used() {
    let rule = rule("");
    let context = Context {
        chdir: Path::new("/srv"),
    };
    let pull = check(
        &rule,
        &test_argv("rsync --server --sender -re.iLsfxCIvu . /srv/a"),
        context,
    )
    .unwrap();
    assert_eq!(pull.grants, vec![("/srv".into(), Access::Read)]);
    assert_eq!(pull.request.action, "download");
    let push = check(
        &rule,
        &test_argv("rsync --server -re.iLsfxCIvu --link-dest /backup/old . /backup/new"),
        context,
    )
    .unwrap();
    assert_eq!(push.grants, vec![("/backup".into(), Access::ReadWrite)]);
    assert_eq!(push.request.action, "upload");
    assert_eq!(
        push.request.paths,
        vec![std::path::PathBuf::from("/backup/new")]
    );
}

#[test]
fn a_download_that_removes_its_sources_is_granted_write_on_them() {
    let rule = rule("delete = true");
    let context = Context {
        chdir: Path::new("/srv"),
    };
    let argv = test_argv("rsync --server --sender -re.iLsfxCIvu --remove-source-files . /srv/out");
    let call = check(&rule, &argv, context).unwrap();
    assert_eq!(call.grants, vec![("/srv".into(), Access::ReadWrite)]);
}

#[test]
fn rsync_runs_with_a_home_no_grant_reaches() {
    // rsync reads ~/.popt before it sees --server; an `exec` alias there
    // would replace the server with another program.
    let call = check(
        &rule(""),
        &test_argv("rsync --server -re.iLsfxCIvu . /backup/"),
        Context {
            chdir: Path::new("/srv"),
        },
    )
    .unwrap();
    assert_eq!(
        call.env,
        vec![("HOME".to_owned(), "/nonexistent".to_owned())]
    );
}
