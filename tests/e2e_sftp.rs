//! End to end, the sftp tool rule: the real `sftp` and `scp` clients
//! through a real sshd whose forced command is the gate, on the shipped
//! `sftp-readonly.toml` and `sftp-dropbox.toml` and on a write rule.
//! What the parser cannot see (a path inside the sftp protocol) is held
//! by Landlock, and what sftp-server refuses itself (-R, the request
//! lists) is refused with the rule's options.

mod common;

use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::gate::{Scenario, forced, stderr, stdout};
use common::sshd::{SFTP_SERVER, Sshd, run_client};

const READONLY: &str = include_str!("../policies/sftp-readonly.toml");
const DROPBOX: &str = include_str!("../policies/sftp-dropbox.toml");

/// A read tree and a write tree, starting in the write tree.
const WRITE_RULE: &str = r#"log = "{log}"
[[allow]]
name = "sftp-write"
sftp = { read = ["{dir}/pub"], write = ["{dir}/in"], start = "{dir}/in" }
"#;

/// A shipped profile with its `/srv/...` tree moved into the scenario's
/// temp dir and its log into the scenario's log.
fn shipped(profile: &str, tree: &str, name: &str) -> String {
    profile
        .replace(tree, &format!("{{dir}}/{name}"))
        .replace(r#"log = "/var/log/sshgate.log""#, r#"log = "{log}""#)
}

/// A scenario whose `pub` tree holds `file.txt`, and a file outside every
/// grant, `outside.txt`, readable by everyone.
fn scenario(policy: &str) -> Scenario {
    let scenario = Scenario::new(policy);
    fs::create_dir(scenario.path("pub")).unwrap();
    fs::write(scenario.path("pub/file.txt"), "published\n").unwrap();
    fs::write(scenario.path("outside.txt"), "not for sftp\n").unwrap();
    fs::create_dir(scenario.path("local")).unwrap();
    scenario
}

/// Runs `sftp -b -` with `batch` on stdin, in the scenario's `local` dir.
fn sftp(sshd: &Sshd, scenario: &Scenario, batch: &str) -> Output {
    let mut sftp = Command::new("sftp");
    sftp.arg("-P")
        .arg(sshd.port().to_string())
        .args(sshd.ssh_options())
        .args(["-b", "-"])
        .arg(sshd.host())
        .current_dir(scenario.path("local"));
    run_client(&mut sftp, Some(batch.as_bytes()))
}

/// Runs the modern scp client (sftp protocol) with `args`.
fn scp(sshd: &Sshd, args: &[&str]) -> Output {
    let mut scp = Command::new("scp");
    scp.arg("-P")
        .arg(sshd.port().to_string())
        .args(sshd.ssh_options())
        .args(args);
    run_client(&mut scp, None)
}

fn remote(sshd: &Sshd, path: &Path) -> String {
    format!("{}:{}", sshd.host(), path.display())
}

#[test]
fn the_read_only_profile_lists_and_downloads_its_tree() {
    let scenario = scenario(&shipped(READONLY, "/srv/pub", "pub"));
    let sshd = Sshd::start_gate(&scenario.policy);

    let output = sftp(&sshd, &scenario, "pwd\nls\nget file.txt\n");
    assert_eq!(output.status.code(), Some(0), "{}", sshd.explain(&output));
    let listing = stdout(&output);
    assert!(
        listing.contains(&format!(
            "Remote working directory: {}\n",
            scenario.path("pub").display()
        )),
        "{listing}"
    );
    assert!(listing.contains("sftp> ls\nfile.txt"), "{listing}");
    assert_eq!(
        fs::read_to_string(scenario.path("local/file.txt")).unwrap(),
        "published\n"
    );
    let records = scenario.records();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["rule"], "sftp-read");
    assert_eq!(records[0]["command"], SFTP_SERVER);
}

#[test]
fn a_put_in_the_read_only_profile_is_refused_and_creates_nothing() {
    let scenario = scenario(&shipped(READONLY, "/srv/pub", "pub"));
    fs::write(scenario.path("local/upload.txt"), "upload\n").unwrap();
    let sshd = Sshd::start_gate(&scenario.policy);

    let output = sftp(&sshd, &scenario, "put upload.txt\n");
    assert_eq!(output.status.code(), Some(1), "{}", sshd.explain(&output));
    let target = scenario.path("pub/upload.txt");
    assert_eq!(
        stderr(&output),
        format!("dest open \"{}\": Permission denied\r\n", target.display()),
        "{}",
        sshd.explain(&output)
    );
    assert!(
        !target.exists(),
        "the refused put created {}",
        target.display()
    );
}

#[test]
fn a_put_in_a_write_rule_creates_the_file() {
    let scenario = scenario(WRITE_RULE);
    fs::create_dir(scenario.path("in")).unwrap();
    fs::write(scenario.path("local/upload.txt"), "uploaded\n").unwrap();
    let sshd = Sshd::start_gate(&scenario.policy);

    let output = sftp(
        &sshd,
        &scenario,
        "put upload.txt\nmkdir sub\nput upload.txt sub/again.txt\n",
    );
    assert_eq!(output.status.code(), Some(0), "{}", sshd.explain(&output));
    assert_eq!(
        fs::read_to_string(scenario.path("in/upload.txt")).unwrap(),
        "uploaded\n"
    );
    assert_eq!(
        fs::read_to_string(scenario.path("in/sub/again.txt")).unwrap(),
        "uploaded\n"
    );
}

#[test]
fn a_put_into_the_read_tree_of_a_write_rule_is_denied_by_landlock() {
    let scenario = scenario(WRITE_RULE);
    fs::create_dir(scenario.path("in")).unwrap();
    fs::write(scenario.path("local/upload.txt"), "uploaded\n").unwrap();
    let sshd = Sshd::start_gate(&scenario.policy);

    let target = scenario.path("pub/upload.txt");
    let output = sftp(
        &sshd,
        &scenario,
        &format!("put upload.txt {}\n", target.display()),
    );
    assert_eq!(output.status.code(), Some(1), "{}", sshd.explain(&output));
    assert_eq!(
        stderr(&output),
        format!("dest open \"{}\": Permission denied\r\n", target.display()),
        "{}",
        sshd.explain(&output)
    );
    assert!(!target.exists());
}

#[test]
fn reading_outside_the_read_tree_is_denied_by_landlock() {
    let scenario = scenario(&shipped(READONLY, "/srv/pub", "pub"));
    // A link the client can name inside the tree; what it points to is
    // outside every grant, and world-readable, so only Landlock refuses.
    symlink(scenario.path("outside.txt"), scenario.path("pub/link.txt")).unwrap();
    let sshd = Sshd::start_gate(&scenario.policy);

    for (remote_path, shown) in [
        ("/etc/hostname".to_owned(), "/etc/hostname".to_owned()),
        (
            scenario.path("outside.txt").display().to_string(),
            scenario.path("outside.txt").display().to_string(),
        ),
        (
            "link.txt".to_owned(),
            scenario.path("pub/link.txt").display().to_string(),
        ),
    ] {
        let output = sftp(&sshd, &scenario, &format!("get {remote_path} copy\n"));
        assert_eq!(output.status.code(), Some(1), "{}", sshd.explain(&output));
        assert_eq!(
            stderr(&output),
            format!("remote open \"{shown}\": Permission denied\r\n"),
            "{}",
            sshd.explain(&output)
        );
        assert!(
            !scenario.path("local/copy").exists(),
            "{remote_path} was copied"
        );
    }
}

#[test]
fn modern_scp_downloads_through_the_read_only_profile() {
    let scenario = scenario(&shipped(READONLY, "/srv/pub", "pub"));
    let sshd = Sshd::start_gate(&scenario.policy);

    let local = scenario.path("local/scp.txt");
    let output = scp(
        &sshd,
        &[
            &remote(&sshd, &scenario.path("pub/file.txt")),
            &local.display().to_string(),
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", sshd.explain(&output));
    assert_eq!(fs::read_to_string(&local).unwrap(), "published\n");
    assert_eq!(scenario.records()[0]["rule"], "sftp-read");
}

#[test]
fn modern_scp_upload_through_the_read_only_profile_is_refused() {
    let scenario = scenario(&shipped(READONLY, "/srv/pub", "pub"));
    fs::write(scenario.path("local/upload.txt"), "upload\n").unwrap();
    let sshd = Sshd::start_gate(&scenario.policy);

    let target = scenario.path("pub/upload.txt");
    let output = scp(
        &sshd,
        &[
            &scenario.path("local/upload.txt").display().to_string(),
            &remote(&sshd, &target),
        ],
    );
    assert_eq!(output.status.code(), Some(1), "{}", sshd.explain(&output));
    assert_eq!(
        stderr(&output),
        format!(
            "scp: dest open \"{target}\": Permission denied\r\n\
             scp: failed to upload file {source} to {target}\r\n",
            target = target.display(),
            source = scenario.path("local/upload.txt").display(),
        ),
        "{}",
        sshd.explain(&output)
    );
    assert!(!target.exists());
}

#[test]
fn the_dropbox_profile_takes_uploads_but_refuses_listing_and_download() {
    let scenario = scenario(&shipped(DROPBOX, "/srv/dropbox", "dropbox"));
    fs::create_dir(scenario.path("dropbox")).unwrap();
    fs::write(scenario.path("dropbox/others.txt"), "someone else's\n").unwrap();
    fs::write(scenario.path("local/mine.txt"), "my upload\n").unwrap();
    let sshd = Sshd::start_gate(&scenario.policy);

    let output = sftp(&sshd, &scenario, "put mine.txt\n");
    assert_eq!(output.status.code(), Some(0), "{}", sshd.explain(&output));
    assert_eq!(
        fs::read_to_string(scenario.path("dropbox/mine.txt")).unwrap(),
        "my upload\n"
    );

    let dropbox = scenario.path("dropbox").display().to_string();
    // sftp names the refused opendir after the readdir it was for, and
    // does not count a failed `ls` as a failed batch; `get` stops at its
    // refused stat.
    for (batch, exit, refusal) in [
        (
            "ls\n",
            0,
            format!("remote readdir(\"{dropbox}\"): Permission denied\r\n"),
        ),
        (
            "get others.txt\n",
            1,
            format!("File \"{dropbox}/others.txt\" not found.\r\n"),
        ),
    ] {
        let output = sftp(&sshd, &scenario, batch);
        assert_eq!(stderr(&output), refusal, "{batch}{}", sshd.explain(&output));
        assert_eq!(
            output.status.code(),
            Some(exit),
            "{batch}{}",
            sshd.explain(&output)
        );
        // The command echoed, and no listing after it.
        assert_eq!(stdout(&output), format!("sftp> {batch}"));
    }
    assert!(!scenario.path("local/others.txt").exists());

    // Modern scp uploads through the same rule when it names the file.
    let target = scenario.path("dropbox/by-scp.txt");
    let output = scp(
        &sshd,
        &[
            &scenario.path("local/mine.txt").display().to_string(),
            &remote(&sshd, &target),
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", sshd.explain(&output));
    assert_eq!(fs::read_to_string(&target).unwrap(), "my upload\n");
}

#[test]
fn arguments_after_the_subsystem_command_are_refused() {
    let scenario = scenario(&shipped(READONLY, "/srv/pub", "pub"));
    let sshd = Sshd::start_gate(&scenario.policy);

    let output = sshd.ssh(Some(&format!("{SFTP_SERVER} -d /")));
    assert_eq!(output.status.code(), Some(77), "{}", sshd.explain(&output));
    assert_eq!(
        stderr(&output),
        format!(
            "sshgate: denied: rule \"sftp-read\" (sftp): arguments after {SFTP_SERVER} are refused (-d /): \
             sftp-server's options come from the rule; sshd's `Subsystem sftp` must name the server alone\n"
        )
    );
}

#[test]
fn internal_sftp_is_served_by_the_system_sftp_server() {
    // sshd configured with `Subsystem sftp internal-sftp` hands the gate
    // that word; the test sshd names sftp-server, so run the gate as sshd
    // would, and speak the first sftp packets to it.
    let scenario = scenario(&shipped(READONLY, "/srv/pub", "pub"));
    let mut gate = forced(&scenario.policy, Some("internal-sftp"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // SSH_FXP_INIT (1), version 3: length 5, type, version. stdin stays
    // open until the answer is read: sftp-server quits at end of input
    // without serving what is still buffered.
    let mut stdin = gate.stdin.take().unwrap();
    stdin.write_all(&[0, 0, 0, 5, 1, 0, 0, 0, 3]).unwrap();
    let mut answer = [0u8; 9];
    gate.stdout.take().unwrap().read_exact(&mut answer).unwrap();
    drop(stdin);
    let output = gate.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    // SSH_FXP_VERSION (2), version 3, after the 4-byte length.
    assert_eq!(answer[4..], [2, 0, 0, 0, 3], "{answer:?}");
    let records = scenario.records();
    assert_eq!(records[0]["rule"], "sftp-read");
    assert_eq!(records[0]["exec"], SFTP_SERVER);
}

#[test]
fn a_start_directory_with_a_percent_sign_is_taken_literally() {
    // sftp-server expands %u and %d in -d; the rule's start is a path.
    let scenario = scenario(
        r#"log = "{log}"
[[allow]]
name = "sftp-percent"
sftp = { read = ["{dir}/pub%u"], start = "{dir}/pub%u" }
"#,
    );
    fs::create_dir(scenario.path("pub%u")).unwrap();
    fs::write(scenario.path("pub%u/here.txt"), "here\n").unwrap();
    let sshd = Sshd::start_gate(&scenario.policy);

    let output = sftp(&sshd, &scenario, "pwd\nget here.txt\n");
    assert_eq!(output.status.code(), Some(0), "{}", sshd.explain(&output));
    assert!(
        stdout(&output).contains(&format!(
            "Remote working directory: {}\n",
            scenario.path("pub%u").display()
        )),
        "{}",
        sshd.explain(&output)
    );
    assert_eq!(
        fs::read_to_string(scenario.path("local/here.txt")).unwrap(),
        "here\n"
    );
}
