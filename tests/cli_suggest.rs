//! `sshgate suggest`: its help, its exit statuses and its output streams.

mod common;

use std::fs;
use std::process::{Command, Output};

use common::gate::{binary, stderr, stdout};

fn suggest(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(binary())
        .arg("suggest")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn help_reads_like_a_man_page() {
    let output = suggest(&["--help".as_ref()]);
    assert_eq!(output.status.code(), Some(0));
    let help = stdout(&output);
    for needle in [
        "--log <FILE>",
        "--profile <NAME>",
        "never `/`",
        "EXIT STATUS:",
        "    1   rules printed, but some lines were skipped",
        "EXAMPLES:\n    sshgate suggest --log /var/log/sshgate/backup.log --profile backup",
    ] {
        assert!(help.contains(needle), "missing {needle:?} in:\n{help}");
    }
    let top = stdout(&Command::new(binary()).arg("--help").output().unwrap());
    assert!(top.contains("    suggest: 0 rules printed"), "{top}");
}

#[test]
fn a_log_that_cannot_be_read_is_an_io_error() {
    let dir = tempfile::tempdir().unwrap();
    let output = suggest(&["--log".as_ref(), dir.path().join("missing.log").as_os_str()]);
    assert_eq!(output.status.code(), Some(74));
    assert!(
        stderr(&output).contains("cannot read"),
        "{}",
        stderr(&output)
    );
    assert_eq!(stdout(&output), "");
}

#[test]
fn a_clean_log_exits_zero_and_a_skipped_line_is_named_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.log");
    let record = serde_json::json!({
        "profile": "backup", "command": "id -u", "command_truncated": false,
        "decision": "allow", "rule": null, "learning": true, "tool": null,
        "exec": "/usr/bin/id",
    });
    fs::write(&log, format!("{record}\n")).unwrap();
    let output = suggest(&["--log".as_ref(), log.as_os_str()]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "[[allow]]\nname = \"learned-command-1\"\ncommand = [\"/usr/bin/id\", \"-u\"]\n"
    );

    fs::write(&log, format!("{record}\n{{\"learning\": true\n")).unwrap();
    let output = suggest(&["--log".as_ref(), log.as_os_str()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains(&format!("{}:2: skipped: not JSON", log.display())),
        "{}",
        stderr(&output)
    );
    assert!(stderr(&output).contains("1 learning record(s) used, 1 line(s) skipped"));
}
