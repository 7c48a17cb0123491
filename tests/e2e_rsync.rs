//! The rsync rule end to end: the real rsync client through a real sshd,
//! with sshgate as the forced command.

mod common;

use std::fs;
use std::os::unix::fs::{MetadataExt, symlink};
use std::path::Path;
use std::process::{Command, Output};

use common::gate::{Scenario, binary, hand_to_unprivileged_account, stderr, unprivileged_account};
use common::sshd::{Sshd, run_client};
use nix::unistd::geteuid;

/// Pull from `srv`, push into `backup`, with `{controls}` added to the
/// rsync table.
fn policy(controls: &str) -> String {
    format!(
        r#"log = "{{log}}"
[sandbox]
chdir = "{{dir}}/srv"

[[allow]]
name = "backup"
rsync = {{ send = ["{{dir}}/srv"], receive = ["{{dir}}/backup"]{controls} }}
"#
    )
}

struct Setup {
    scenario: Scenario,
    sshd: Sshd,
}

fn setup(controls: &str) -> Setup {
    let scenario = Scenario::new(&policy(controls));
    for dir in ["srv", "backup", "local"] {
        fs::create_dir(scenario.path(dir)).unwrap();
    }
    let sshd = Sshd::start_gate(&scenario.policy);
    Setup { scenario, sshd }
}

/// A tree with subdirectories, a relative and an absolute symbolic link,
/// and two names for one file.
fn make_tree(root: &Path) {
    fs::create_dir_all(root.join("sub/deeper")).unwrap();
    fs::write(root.join("top.txt"), "top\n").unwrap();
    fs::write(root.join("sub/deeper/leaf.txt"), "leaf\n").unwrap();
    fs::write(root.join("sub/linked.txt"), "two names\n").unwrap();
    fs::hard_link(root.join("sub/linked.txt"), root.join("hardlink.txt")).unwrap();
    symlink("sub/deeper/leaf.txt", root.join("relative-link")).unwrap();
    symlink("/nonexistent/target", root.join("absolute-link")).unwrap();
}

fn assert_same_tree(from: &Path, to: &Path) {
    for file in ["top.txt", "sub/deeper/leaf.txt", "sub/linked.txt"] {
        assert_eq!(
            fs::read(from.join(file)).unwrap(),
            fs::read(to.join(file)).unwrap(),
            "{file}"
        );
    }
    for link in ["relative-link", "absolute-link"] {
        assert_eq!(
            fs::read_link(from.join(link)).unwrap(),
            fs::read_link(to.join(link)).unwrap(),
            "{link}"
        );
    }
    let inode = |name: &str| fs::metadata(to.join(name)).unwrap().ino();
    assert_eq!(inode("hardlink.txt"), inode("sub/linked.txt"));
}

fn rsync(setup: &Setup, options: &[&str], from: &str, to: &str) -> Output {
    let mut rsync = Command::new("rsync");
    rsync
        .args(options)
        .arg("-e")
        .arg(setup.sshd.ssh_command_line())
        .arg(from)
        .arg(to);
    run_client(&mut rsync, None)
}

fn remote(setup: &Setup, path: &str) -> String {
    format!(
        "{}:{}",
        setup.sshd.host(),
        setup.scenario.path(path).display()
    )
}

fn assert_ok(setup: &Setup, output: &Output) {
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        setup.sshd.explain(output)
    );
}

fn assert_refused(setup: &Setup, output: &Output, reason: &str) {
    assert_ne!(output.status.code(), Some(0));
    assert!(
        stderr(output).contains(&format!("sshgate: denied: {reason}")),
        "expected {reason:?}\n{}",
        setup.sshd.explain(output)
    );
}

#[test]
fn a_pull_and_a_push_copy_subdirectories_symlinks_and_hard_links() {
    let setup = setup("");
    let source = setup.scenario.path("srv/tree");
    make_tree(&source);
    let pulled = setup.scenario.path("local/pulled");
    let output = rsync(
        &setup,
        &["-aH"],
        &format!("{}/", remote(&setup, "srv/tree")),
        &pulled.display().to_string(),
    );
    assert_ok(&setup, &output);
    assert_same_tree(&source, &pulled);

    // Without `metadata = true` the server may not set modes and times:
    // the push sends the tree's content, links and hard links.
    let output = rsync(
        &setup,
        &["-rlH"],
        &format!("{}/", pulled.display()),
        &format!("{}/", remote(&setup, "backup/pushed")),
    );
    assert_ok(&setup, &output);
    assert_same_tree(&source, &setup.scenario.path("backup/pushed"));

    let records = setup.scenario.records();
    assert_eq!(records.len(), 2, "{records:?}");
    assert!(
        records
            .iter()
            .all(|r| r["decision"] == "allow" && r["rule"] == "backup")
    );
}

#[test]
fn a_push_with_delete_is_refused_when_the_rule_does_not_allow_it() {
    let setup = setup("");
    fs::create_dir(setup.scenario.path("backup/mirror")).unwrap();
    fs::write(setup.scenario.path("backup/mirror/keep.txt"), "kept\n").unwrap();
    fs::write(setup.scenario.path("local/new.txt"), "new\n").unwrap();
    let output = rsync(
        &setup,
        &["-rl", "--delete"],
        &format!("{}/", setup.scenario.path("local").display()),
        &format!("{}/", remote(&setup, "backup/mirror")),
    );
    assert_refused(
        &setup,
        &output,
        "rule \"backup\" (rsync): --delete deletes files on the server; the rule has `delete = false`",
    );
    assert!(setup.scenario.path("backup/mirror/keep.txt").exists());
    assert!(!setup.scenario.path("backup/mirror/new.txt").exists());
}

#[test]
fn a_push_with_delete_runs_when_the_rule_allows_it() {
    let setup = setup(", delete = true");
    fs::create_dir(setup.scenario.path("backup/mirror")).unwrap();
    fs::write(setup.scenario.path("backup/mirror/stale.txt"), "stale\n").unwrap();
    fs::write(setup.scenario.path("local/new.txt"), "new\n").unwrap();
    let output = rsync(
        &setup,
        &["-rl", "--delete"],
        &format!("{}/", setup.scenario.path("local").display()),
        &format!("{}/", remote(&setup, "backup/mirror")),
    );
    assert_ok(&setup, &output);
    assert!(!setup.scenario.path("backup/mirror/stale.txt").exists());
    assert_eq!(
        fs::read_to_string(setup.scenario.path("backup/mirror/new.txt")).unwrap(),
        "new\n"
    );
}

#[test]
fn a_pull_outside_send_is_refused_at_decide_time() {
    let setup = setup("");
    fs::write(
        setup.scenario.path("backup/private.txt"),
        "not for pulling\n",
    )
    .unwrap();
    let output = rsync(
        &setup,
        &["-a"],
        &remote(&setup, "backup/private.txt"),
        &setup.scenario.path("local/").display().to_string(),
    );
    assert_refused(
        &setup,
        &output,
        &format!(
            "rule \"backup\" (rsync): path {} is outside the rule's `send` paths ({})",
            setup.scenario.path("backup/private.txt").display(),
            setup.scenario.path("srv").display()
        ),
    );
    assert!(!setup.scenario.path("local/private.txt").exists());
    let record = &setup.scenario.records()[0];
    assert_eq!(record["decision"], "deny");
}

#[test]
fn a_link_to_a_file_outside_send_yields_no_content_when_followed() {
    let setup = setup(", links = \"follow\"");
    let tree = setup.scenario.path("srv/tree");
    fs::create_dir(&tree).unwrap();
    fs::write(tree.join("inside.txt"), "inside\n").unwrap();
    // Readable by the test's user, so only the sandbox can keep it out.
    fs::write(setup.scenario.path("outside.txt"), "outside secret\n").unwrap();
    symlink(setup.scenario.path("outside.txt"), tree.join("to-outside")).unwrap();
    symlink("/etc/shadow", tree.join("to-shadow")).unwrap();
    let pulled = setup.scenario.path("local/pulled");
    let output = rsync(
        &setup,
        &["-rL"],
        &format!("{}/", remote(&setup, "srv/tree")),
        &pulled.display().to_string(),
    );
    // rsync reports the files it could not read (exit 23) and copies the rest.
    assert_eq!(
        output.status.code(),
        Some(23),
        "{}",
        setup.sshd.explain(&output)
    );
    let messages = stderr(&output);
    for link in ["to-outside", "to-shadow"] {
        assert!(
            messages.contains(&format!("{link}\": Permission denied (13)")),
            "{link}: {}",
            setup.sshd.explain(&output)
        );
        assert!(!pulled.join(link).exists(), "{link} was copied");
    }
    assert_eq!(
        fs::read_to_string(pulled.join("inside.txt")).unwrap(),
        "inside\n"
    );
}

#[test]
fn following_links_is_refused_when_the_rule_keeps_them() {
    let setup = setup("");
    fs::create_dir(setup.scenario.path("srv/tree")).unwrap();
    let output = rsync(
        &setup,
        &["-rL"],
        &format!("{}/", remote(&setup, "srv/tree")),
        &setup.scenario.path("local/").display().to_string(),
    );
    assert_refused(
        &setup,
        &output,
        "rule \"backup\" (rsync): -Lre.iLsfxCIvu: -L follows symbolic links; the rule has `links = \"keep\"`, not \"follow\"",
    );
}

#[test]
fn rsync_path_injections_are_refused() {
    let setup = setup("");
    fs::write(setup.scenario.path("srv/file.txt"), "file\n").unwrap();
    let marker = setup.scenario.path("injected");
    let cases = [
        (
            format!("rsync; touch {}; rsync", marker.display()),
            "cannot parse command: unquoted ';'".to_owned(),
        ),
        (
            format!("touch {} && rsync", marker.display()),
            "cannot parse command: unquoted '&'".to_owned(),
        ),
        (
            "/tmp/rsync".to_owned(),
            "no rule allows \"/tmp/rsync --server".to_owned(),
        ),
        (
            "sh -c rsync".to_owned(),
            "no rule allows \"sh -c rsync --server".to_owned(),
        ),
        // Options before --server are not a server command line at all.
        (
            "rsync --log-file=/tmp/x".to_owned(),
            "no rule allows \"rsync --log-file=/tmp/x --server".to_owned(),
        ),
        (
            "rsync --daemon".to_owned(),
            "no rule allows \"rsync --daemon --server".to_owned(),
        ),
    ];
    for (rsync_path, reason) in cases {
        let output = rsync(
            &setup,
            &["-a", "--rsync-path", &rsync_path],
            &remote(&setup, "srv/file.txt"),
            &setup.scenario.path("local/").display().to_string(),
        );
        assert_refused(&setup, &output, &reason);
    }
    assert!(!marker.exists());
    assert!(!setup.scenario.path("local/file.txt").exists());
}

/// The shipped profile's text with the host paths replaced by the test's,
/// and the client address by loopback.
fn shipped(name: &str, text: &str, replacements: &[(&str, String)]) -> Scenario {
    let mut text = text.to_owned();
    for (from, to) in replacements {
        assert!(text.contains(from), "{name} no longer contains {from}");
        text = text.replace(from, to);
    }
    Scenario::new(&text)
}

#[test]
fn the_shipped_pull_backup_profile_pulls_read_only_with_one_capability() {
    let scenario = shipped(
        "rsync-pull-backup.toml",
        include_str!("../policies/rsync-pull-backup.toml"),
        &[
            ("\"192.0.2.10\"", "\"127.0.0.1\"".to_owned()),
            ("\"/var/log/sshgate.log\"", "\"{log}\"".to_owned()),
            ("chdir = \"/srv\"", "chdir = \"{dir}/srv\"".to_owned()),
            (
                "[\"/srv\", \"/etc\"]",
                "[\"{dir}/srv\", \"{dir}/etc\"]".to_owned(),
            ),
        ],
    );
    fs::create_dir_all(scenario.path("srv/www")).unwrap();
    fs::create_dir(scenario.path("etc")).unwrap();
    fs::write(scenario.path("srv/www/index.html"), "hello\n").unwrap();
    let sshd = Sshd::start(&format!(
        "{} --policy {} --key backup01",
        binary(),
        scenario.policy.display()
    ));
    let setup = Setup { scenario, sshd };
    fs::create_dir(setup.scenario.path("local")).unwrap();
    let local = setup.scenario.path("local/www");
    let output = rsync(
        &setup,
        &["-a"],
        &format!("{}/", remote(&setup, "srv/www")),
        &local.display().to_string(),
    );
    if !geteuid().is_root() {
        let uid = geteuid().as_raw();
        return assert_refused(
            &setup,
            &output,
            &format!(
                "rule \"pull\" keeps CAP_DAC_READ_SEARCH, which sshgate (uid {uid}) does not hold"
            ),
        );
    }
    assert_ok(&setup, &output);
    assert_eq!(
        fs::read_to_string(local.join("index.html")).unwrap(),
        "hello\n"
    );
    let record = &setup.scenario.records()[0];
    assert_eq!(record["applied"]["capabilities"][0], "CAP_DAC_READ_SEARCH");
    // One pull at a time: the pull held the profile's only slot.
    assert_eq!(
        record["session"],
        serde_json::json!({"slot": 0, "max": 1, "waited_ms": 0})
    );
    // A push is not a pull.
    let output = rsync(
        &setup,
        &["-a"],
        &format!("{}/", local.display()),
        &format!("{}/", remote(&setup, "srv/www")),
    );
    assert_refused(&setup, &output, "rule \"pull\" (rsync): path");
}

#[test]
fn the_shipped_push_incoming_profile_uploads_without_delete_and_munges_links() {
    let scenario = shipped(
        "rsync-push-incoming.toml",
        include_str!("../policies/rsync-push-incoming.toml"),
        &[
            ("\"192.0.2.20\"", "\"127.0.0.1\"".to_owned()),
            ("\"/var/log/sshgate.log\"", "\"{log}\"".to_owned()),
            (
                "chdir = \"/srv/incoming/web01\"",
                "chdir = \"{dir}/incoming\"".to_owned(),
            ),
            (
                "[\"/srv/incoming/web01\"]",
                "[\"{dir}/incoming\"]".to_owned(),
            ),
            // The profile's dedicated account: nobody for a root gate, and
            // the test's own user otherwise (a switch to oneself).
            (
                "user = \"incoming\"",
                format!("user = \"{}\"", unprivileged_account()),
            ),
        ],
    );
    let incoming = scenario.path("incoming");
    fs::create_dir(&incoming).unwrap();
    hand_to_unprivileged_account(&incoming);
    let sshd = Sshd::start(&format!(
        "{} --policy {} --key web01",
        binary(),
        scenario.policy.display()
    ));
    let setup = Setup { scenario, sshd };
    let local = setup.scenario.path("local");
    fs::create_dir(&local).unwrap();
    fs::write(local.join("dump.sql"), "dump\n").unwrap();
    symlink("/etc", local.join("escape")).unwrap();
    // A relative destination lands beneath the profile's chdir.
    let output = rsync(
        &setup,
        &["-a"],
        &format!("{}/", local.display()),
        &format!("{}:dumps/", setup.sshd.host()),
    );
    assert_ok(&setup, &output);
    let dumps = setup.scenario.path("incoming/dumps");
    assert_eq!(
        fs::read_to_string(dumps.join("dump.sql")).unwrap(),
        "dump\n"
    );
    assert_eq!(
        fs::read_link(dumps.join("escape")).unwrap(),
        Path::new("/rsyncd-munged//etc")
    );
    let output = rsync(
        &setup,
        &["-a", "--delete"],
        &format!("{}/", local.display()),
        &format!("{}:dumps/", setup.sshd.host()),
    );
    assert_refused(
        &setup,
        &output,
        "rule \"push\" (rsync): --delete deletes files on the server; the rule has `delete = false`",
    );
    let output = rsync(
        &setup,
        &["-a"],
        &format!("{}:dumps/", setup.sshd.host()),
        &setup.scenario.path("local/back").display().to_string(),
    );
    assert_refused(
        &setup,
        &output,
        &format!(
            "rule \"push\" (rsync): path {} is refused: the rule's `send` list is empty",
            dumps.display()
        ),
    );
}

#[test]
fn a_second_push_cannot_write_through_a_link_the_first_planted() {
    let setup = setup("");
    let outside = setup.scenario.path("outside");
    fs::create_dir(&outside).unwrap();
    let first = setup.scenario.path("local/first");
    fs::create_dir(&first).unwrap();
    symlink(&outside, first.join("esc")).unwrap();
    let output = rsync(
        &setup,
        &["-rl"],
        &format!("{}/", first.display()),
        &format!("{}/", remote(&setup, "backup")),
    );
    assert_ok(&setup, &output);
    assert_eq!(
        fs::read_link(setup.scenario.path("backup/esc")).unwrap(),
        outside
    );
    // The classic follow-up: a real directory of the same name, sent
    // without implied directories, so the receiver walks the planted link.
    let second = setup.scenario.path("local/second");
    fs::create_dir_all(second.join("esc")).unwrap();
    fs::write(second.join("esc/evil"), "planted\n").unwrap();
    let mut rsync = Command::new("rsync");
    rsync
        .args(["-rR", "--no-implied-dirs", "-e"])
        .arg(setup.sshd.ssh_command_line())
        .arg("esc/evil")
        .arg(format!("{}/", remote(&setup, "backup")))
        .current_dir(&second);
    let output = run_client(&mut rsync, None);
    assert_eq!(
        output.status.code(),
        Some(23),
        "{}",
        setup.sshd.explain(&output)
    );
    assert!(
        stderr(&output).contains("Permission denied (13)"),
        "{}",
        setup.sshd.explain(&output)
    );
    assert!(
        !outside.join("evil").exists(),
        "the write went through the link"
    );
}

#[test]
fn a_popt_file_uploaded_into_the_home_cannot_replace_the_server() {
    // The account's home is the upload tree: the worst case for rsync's
    // `~/.popt`, which rsync reads before it sees --server.
    let scenario = Scenario::new(
        r#"log = "{log}"
[sandbox]
chdir = "{dir}/backup"
env = { HOME = "{dir}/backup" }

[[allow]]
name = "push"
rsync = { receive = ["{dir}/backup"] }
"#,
    );
    for dir in ["backup", "local"] {
        fs::create_dir(scenario.path(dir)).unwrap();
    }
    let hijacked = scenario.path("backup/hijacked.log");
    fs::write(
        scenario.path("local/.popt"),
        format!(
            "rsync exec --server rsync --log-file={}\n",
            hijacked.display()
        ),
    )
    .unwrap();
    let sshd = Sshd::start_gate(&scenario.policy);
    let setup = Setup { scenario, sshd };
    for _ in 0..2 {
        let output = rsync(
            &setup,
            &["-r"],
            &format!("{}/", setup.scenario.path("local").display()),
            &format!("{}/", remote(&setup, "backup")),
        );
        assert_ok(&setup, &output);
    }
    assert!(setup.scenario.path("backup/.popt").exists());
    assert!(!hijacked.exists(), "~/.popt replaced the rsync server");
    let records = setup.scenario.records();
    assert_eq!(records[1]["decision"], "allow");
}

#[test]
fn an_upload_only_tree_sends_no_checksums_of_its_files_back() {
    let setup = setup("");
    // Not under `send`: the client may write here, never read.
    fs::write(setup.scenario.path("backup/secret.txt"), "TOPSECRET\n").unwrap();
    fs::write(setup.scenario.path("local/secret.txt"), "guess\n").unwrap();
    let mut rsync = Command::new("rsync");
    rsync
        .args(["-I", "-B1", "--debug=DELTASUM3", "-e"])
        .arg(setup.sshd.ssh_command_line())
        .arg(setup.scenario.path("local/secret.txt"))
        .arg(format!("{}/", remote(&setup, "backup")));
    let output = run_client(&mut rsync, None);
    assert_ok(&setup, &output);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        stderr(&output)
    );
    // With deltas, each one-byte block's sum1 is the byte: 'T' is 0x54.
    assert!(!text.contains("sum1=00540054"), "{text}");
    assert!(
        text.contains("count=0"),
        "the receiver sent block sums: {text}"
    );
    assert_eq!(
        fs::read_to_string(setup.scenario.path("backup/secret.txt")).unwrap(),
        "guess\n"
    );
}
