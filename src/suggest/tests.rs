use serde_json::json;

use super::*;

fn record(command: &str, tool: Value, exec: &str) -> String {
    json!({
        "time": "2026-11-26T13:04:05.123Z",
        "profile": "backup",
        "command": command,
        "command_truncated": false,
        "decision": "allow",
        "rule": null,
        "learning": true,
        "tool": tool,
        "exec": exec,
    })
    .to_string()
}

fn rsync(command: &str, action: &str, paths: &[&str]) -> String {
    let tool = json!({
        "tool": "rsync", "action": action, "paths": paths,
        "paths_truncated": false, "forced": [],
    });
    record(command, tool, "/usr/bin/rsync")
}

const PULL: &str = "rsync --server --sender -logDtpre.iLsfxCIvu . ";

#[test]
fn rsync_requests_become_one_rule_with_common_parents() {
    let log = [
        rsync(&format!("{PULL}/srv/data/a"), "download", &["/srv/data/a"]),
        rsync(
            &format!("{PULL}/srv/data/b/c"),
            "download",
            &["/srv/data/b/c"],
        ),
        rsync(
            "rsync --server -logDtpre.iLsfxCIvu . /var/backups/x",
            "upload",
            &["/var/backups/x"],
        ),
    ]
    .join("\n");
    let suggestion = suggest(&log, Some("backup"));
    assert_eq!(suggestion.skipped, vec![]);
    assert_eq!(suggestion.used, 3);
    assert_eq!(
        suggestion.rules,
        "[[allow]]\nname = \"learned-rsync\"\nrsync = { receive = [\"/var/backups/x\"], send = [\"/srv/data\"] }\n"
    );
}

#[test]
fn a_common_ancestor_of_slash_is_split_by_top_directory() {
    let paths: BTreeSet<PathBuf> = ["/srv/a/x", "/srv/a/y", "/home/u/z"]
        .iter()
        .map(PathBuf::from)
        .collect();
    assert_eq!(
        common_parents(&paths),
        vec![PathBuf::from("/home/u/z"), PathBuf::from("/srv/a")]
    );
}

#[test]
fn no_suggestion_widens_to_a_top_level_directory_or_to_slash() {
    let paths: BTreeSet<PathBuf> = [
        "/etc/hostname",
        "/etc/ssl/certs",
        "/home/alice/x",
        "/home/bob/y",
        "/",
        "/srv",
    ]
    .iter()
    .map(PathBuf::from)
    .collect();
    assert_eq!(
        common_parents(&paths),
        [
            "/etc/hostname",
            "/etc/ssl/certs",
            "/home/alice/x",
            "/home/bob/y",
            "/srv"
        ]
        .iter()
        .map(PathBuf::from)
        .collect::<Vec<_>>()
    );
    let log = rsync(&format!("{PULL}/"), "download", &["/"]);
    let suggestion = suggest(&log, Some("backup"));
    assert!(
        suggestion
            .rules
            .starts_with("# the rsync requests named only `/`, which is never suggested"),
        "{}",
        suggestion.rules
    );
}

#[test]
fn other_commands_become_exact_command_rules_deduplicated() {
    let log = [
        record("cat /srv/x", Value::Null, "/usr/bin/cat"),
        record("cat /srv/x", Value::Null, "/usr/bin/cat"),
        record("/usr/bin/ls -l 'a b'", Value::Null, "/usr/bin/ls"),
    ]
    .join("\n");
    let suggestion = suggest(&log, None);
    assert_eq!(suggestion.used, 3);
    assert_eq!(
        suggestion.rules,
        "[[allow]]\nname = \"learned-command-1\"\ncommand = [\"/usr/bin/cat\", \"/srv/x\"]\n\n\
         [[allow]]\nname = \"learned-command-2\"\ncommand = [\"/usr/bin/ls\", \"-l\", \"a b\"]\n"
    );
}

#[test]
fn forged_and_unparseable_lines_are_skipped_and_counted() {
    let mut denied: Value =
        serde_json::from_str(&record("cat /x", Value::Null, "/usr/bin/cat")).unwrap();
    denied["decision"] = json!("deny");
    let mut wrong_type: Value =
        serde_json::from_str(&record("cat /x", Value::Null, "/usr/bin/cat")).unwrap();
    wrong_type["learning"] = json!("yes");
    let log = [
        "not json at all".to_owned(),
        "[1, 2]".to_owned(),
        json!({"learning": true, "profile": "backup"}).to_string(),
        denied.to_string(),
        wrong_type.to_string(),
        // exec is not the program the command names.
        record("cat /x", Value::Null, "/bin/sh"),
        // The command would not have split.
        record("cat /x; sh", Value::Null, "/usr/bin/cat"),
        // Recorded paths wider than the command's.
        rsync(&format!("{PULL}/srv/data/a"), "download", &["/"]),
        // Recorded as a download, but the command is an upload.
        rsync("rsync --server . /srv/in", "download", &["/srv/in"]),
        // A tool record whose command is no tool request.
        rsync("cat /etc/shadow", "download", &["/etc/shadow"]),
    ]
    .join("\n");
    let suggestion = suggest(&log, Some("backup"));
    assert_eq!(suggestion.rules, "");
    assert_eq!(suggestion.used, 0);
    let lines: Vec<usize> = suggestion.skipped.iter().map(|(line, _)| *line).collect();
    assert_eq!(
        lines,
        (1..=10).collect::<Vec<_>>(),
        "{:#?}",
        suggestion.skipped
    );
}

#[test]
fn other_profiles_and_enforce_records_are_left_out() {
    let mut enforcing: Value =
        serde_json::from_str(&record("cat /x", Value::Null, "/usr/bin/cat")).unwrap();
    enforcing["learning"] = json!(false);
    let log = [
        enforcing.to_string(),
        record("cat /x", Value::Null, "/usr/bin/cat"),
    ]
    .join("\n");
    let other = suggest(&log, Some("web"));
    assert_eq!(
        (other.used, other.ignored, other.rules.as_str()),
        (0, 2, "")
    );
    let all = suggest(&log, None);
    assert_eq!((all.used, all.ignored), (1, 1));
}

#[test]
fn requests_a_rule_allowed_already_need_no_rule() {
    let mut matched: Value =
        serde_json::from_str(&record("ls /srv", Value::Null, "/usr/bin/ls")).unwrap();
    matched["rule"] = json!("list");
    let suggestion = suggest(&matched.to_string(), None);
    assert_eq!((suggestion.used, suggestion.ignored), (0, 1));
    assert_eq!(suggestion.rules, "");
    matched["rule"] = json!(7);
    assert_eq!(suggest(&matched.to_string(), None).skipped.len(), 1);
}

#[test]
fn relative_tool_paths_match_by_their_tail() {
    let tool = json!({
        "tool": "scp", "action": "download", "paths": ["/home/u/notes.txt"],
        "paths_truncated": false, "forced": [],
    });
    let log = record("scp -f notes.txt", tool, "/usr/bin/scp");
    let suggestion = suggest(&log, None);
    assert_eq!(suggestion.skipped, vec![]);
    assert_eq!(
        suggestion.rules,
        "[[allow]]\nname = \"learned-scp\"\nscp = { download = [\"/home/u/notes.txt\"] }\n"
    );
}

#[test]
fn options_the_rule_would_refuse_set_its_flags() {
    let scp = |command: &str, action: &str, path: &str| {
        let tool = json!({
            "tool": "scp", "action": action, "paths": [path],
            "paths_truncated": false, "forced": [],
        });
        record(command, tool, "/usr/bin/scp")
    };
    let log = [
        rsync(
            "rsync --server -logDtpre.iLsfxCIvu --delete . /srv/in",
            "upload",
            &["/srv/in"],
        ),
        scp("scp -r -f /srv/out", "download", "/srv/out"),
        scp("scp -p -t /srv/in", "upload", "/srv/in"),
    ]
    .join("\n");
    let suggestion = suggest(&log, None);
    assert_eq!(suggestion.skipped, vec![]);
    assert_eq!(
        suggestion.rules,
        "[[allow]]\nname = \"learned-rsync\"\nrsync = { receive = [\"/srv/in\"], delete = true }\n\n\
         [[allow]]\nname = \"learned-scp\"\nscp = { download = [\"/srv/out\"], upload = [\"/srv/in\"], preserve = true, recursive = true }\n"
    );
}

#[test]
fn forged_lines_found_by_review_are_skipped() {
    let log = [
        // A bare name whose recorded program is not where learn mode looks.
        record("cat /srv/x", Value::Null, "/tmp/up/cat"),
        // An rsync server command recorded without its tool.
        record(&format!("{PULL}/srv/x"), Value::Null, "/usr/bin/rsync"),
        // `.` claimed to be `/`.
        record(
            "scp -f .",
            serde_json::json!({"tool": "scp", "action": "download", "paths": ["/"],
                "paths_truncated": false, "forced": []}),
            "/usr/bin/scp",
        ),
    ]
    .join("\n");
    let suggestion = suggest(&log, None);
    assert_eq!(suggestion.used, 0, "{}", suggestion.rules);
    let reasons: Vec<&str> = suggestion
        .skipped
        .iter()
        .map(|(_, why)| why.as_str())
        .collect();
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert!(
        reasons[0].contains("is not where learn mode finds"),
        "{reasons:?}"
    );
    assert!(
        reasons[1].contains("is a tool request, but the record has no `tool`"),
        "{reasons:?}"
    );
    assert!(
        reasons[2].contains("recorded path / does not match the command"),
        "{reasons:?}"
    );
    assert!(suggestion.rules.is_empty(), "{}", suggestion.rules);
}
