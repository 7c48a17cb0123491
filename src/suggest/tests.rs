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
