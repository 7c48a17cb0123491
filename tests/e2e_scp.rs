//! End to end, the scp tool rule: the real `scp -O` client (the legacy
//! protocol, `scp -f` / `scp -t` on the server) through a real sshd whose
//! forced command is the gate, on the shipped `scp-download.toml` and on
//! upload rules. Refusals come from the parser, before anything runs;
//! what it cannot see (where a symlink points) is held by Landlock.

mod common;

use std::fs;
use std::os::unix::fs::{MetadataExt, symlink};
use std::path::Path;
use std::process::{Command, Output};

use common::gate::{Scenario, hand_to_unprivileged_account, stderr, unprivileged_account};
use common::sshd::{Sshd, run_client};
use nix::unistd::geteuid;

const DOWNLOAD: &str = include_str!("../policies/scp-download.toml");

/// Uploads into `in`, with `-r` and `-p` allowed; `{sandbox}` is replaced
/// by the rule's own sandbox table, or nothing.
const UPLOAD_RULE: &str = r#"log = "{log}"
[[allow]]
name = "scp-upload"
scp = { upload = ["{dir}/in"], recursive = RECURSIVE, preserve = true }
SANDBOX
"#;

/// The shipped download profile with its tree in the scenario's temp dir.
fn download_profile() -> String {
    DOWNLOAD
        .replace("/srv/export", "{dir}/export")
        .replace(r#"log = "/var/log/sshgate.log""#, r#"log = "{log}""#)
}

fn upload_rule(recursive: bool, sandbox: &str) -> String {
    UPLOAD_RULE
        .replace("RECURSIVE", &recursive.to_string())
        .replace("SANDBOX", sandbox)
}

/// A scenario with `export/report.txt`, `export/tree/{a,sub/b}`, an
/// empty `in`, a world-readable `outside.txt` outside every grant, and a
/// `local` dir for the client's side.
fn scenario(policy: &str) -> Scenario {
    let scenario = Scenario::new(policy);
    fs::create_dir_all(scenario.path("export/tree/sub")).unwrap();
    fs::write(scenario.path("export/report.txt"), "report\n").unwrap();
    fs::write(scenario.path("export/tree/a"), "a\n").unwrap();
    fs::write(scenario.path("export/tree/sub/b"), "b\n").unwrap();
    fs::create_dir(scenario.path("in")).unwrap();
    fs::write(scenario.path("outside.txt"), "not for scp\n").unwrap();
    fs::create_dir(scenario.path("local")).unwrap();
    scenario
}

/// Runs `scp -O` with `args`, in the scenario's `local` dir.
fn scp(sshd: &Sshd, scenario: &Scenario, args: &[&str]) -> Output {
    let mut scp = Command::new("scp");
    scp.arg("-O")
        .arg("-P")
        .arg(sshd.port().to_string())
        .args(sshd.ssh_options())
        .args(args)
        .current_dir(scenario.path("local"));
    run_client(&mut scp, None)
}

fn remote(sshd: &Sshd, path: &Path) -> String {
    format!("{}:{}", sshd.host(), path.display())
}

#[test]
fn the_download_profile_sends_a_file() {
    let scenario = scenario(&download_profile());
    let sshd = Sshd::start_gate(&scenario.policy);

    let output = scp(
        &sshd,
        &scenario,
        &[&remote(&sshd, &scenario.path("export/report.txt")), "."],
    );
    assert_eq!(output.status.code(), Some(0), "{}", sshd.explain(&output));
    assert_eq!(
        fs::read_to_string(scenario.path("local/report.txt")).unwrap(),
        "report\n"
    );
    let records = scenario.records();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["rule"], "scp-download");
}

#[test]
fn the_download_profile_sends_a_tree_with_r() {
    let scenario = scenario(&download_profile());
    let sshd = Sshd::start_gate(&scenario.policy);

    let output = scp(
        &sshd,
        &scenario,
        &["-r", &remote(&sshd, &scenario.path("export/tree")), "."],
    );
    assert_eq!(output.status.code(), Some(0), "{}", sshd.explain(&output));
    assert_eq!(
        fs::read_to_string(scenario.path("local/tree/a")).unwrap(),
        "a\n"
    );
    assert_eq!(
        fs::read_to_string(scenario.path("local/tree/sub/b")).unwrap(),
        "b\n"
    );
}

#[test]
fn an_upload_through_the_download_profile_is_refused() {
    let scenario = scenario(&download_profile());
    fs::write(scenario.path("local/upload.txt"), "upload\n").unwrap();
    let sshd = Sshd::start_gate(&scenario.policy);

    let export = scenario.path("export");
    let output = scp(
        &sshd,
        &scenario,
        &["upload.txt", &format!("{}/", remote(&sshd, &export))],
    );
    // The denial, then the client's own word for the closed channel.
    assert_eq!(output.status.code(), Some(1), "{}", sshd.explain(&output));
    assert_eq!(
        stderr(&output),
        format!(
            "sshgate: denied: rule \"scp-download\" (scp): path {} is refused: \
             the rule's `upload` list is empty\nlost connection\n",
            export.display()
        ),
        "{}",
        sshd.explain(&output)
    );
    assert!(!scenario.path("export/upload.txt").exists());
}

#[test]
fn a_download_outside_the_download_paths_is_refused() {
    let scenario = scenario(&download_profile());
    let sshd = Sshd::start_gate(&scenario.policy);

    let outside = scenario.path("outside.txt");
    let output = scp(&sshd, &scenario, &[&remote(&sshd, &outside), "."]);
    assert_eq!(output.status.code(), Some(1), "{}", sshd.explain(&output));
    assert_eq!(
        stderr(&output),
        format!(
            "sshgate: denied: rule \"scp-download\" (scp): path {} is outside the rule's \
             `download` paths ({})\n",
            outside.display(),
            scenario.path("export").display()
        ),
        "{}",
        sshd.explain(&output)
    );
    assert!(!scenario.path("local/outside.txt").exists());
}

#[test]
fn a_symlink_in_the_download_tree_pointing_outside_is_denied_by_landlock() {
    let scenario = scenario(&download_profile());
    let link = scenario.path("export/link.txt");
    symlink(scenario.path("outside.txt"), &link).unwrap();
    let sshd = Sshd::start_gate(&scenario.policy);

    let output = scp(&sshd, &scenario, &[&remote(&sshd, &link), "."]);
    assert_eq!(output.status.code(), Some(1), "{}", sshd.explain(&output));
    assert_eq!(
        stderr(&output),
        format!("scp: {}: Permission denied\n", link.display()),
        "{}",
        sshd.explain(&output)
    );
    assert!(!scenario.path("local/link.txt").exists());
}

#[test]
fn an_upload_rule_receives_a_file_and_a_tree() {
    let scenario = scenario(&upload_rule(true, ""));
    fs::write(scenario.path("local/upload.txt"), "uploaded\n").unwrap();
    fs::create_dir_all(scenario.path("local/dir/sub")).unwrap();
    fs::write(scenario.path("local/dir/sub/c"), "c\n").unwrap();
    let sshd = Sshd::start_gate(&scenario.policy);

    let target = remote(&sshd, &scenario.path("in"));
    let output = scp(&sshd, &scenario, &["upload.txt", &target]);
    assert_eq!(output.status.code(), Some(0), "{}", sshd.explain(&output));
    assert_eq!(
        fs::read_to_string(scenario.path("in/upload.txt")).unwrap(),
        "uploaded\n"
    );
    let output = scp(&sshd, &scenario, &["-r", "dir", &target]);
    assert_eq!(output.status.code(), Some(0), "{}", sshd.explain(&output));
    assert_eq!(
        fs::read_to_string(scenario.path("in/dir/sub/c")).unwrap(),
        "c\n"
    );
}

#[test]
fn an_upload_through_a_symlink_in_the_upload_tree_is_denied_by_landlock() {
    let scenario = scenario(&upload_rule(false, ""));
    fs::create_dir(scenario.path("elsewhere")).unwrap();
    symlink(scenario.path("elsewhere"), scenario.path("in/link")).unwrap();
    fs::write(scenario.path("local/upload.txt"), "uploaded\n").unwrap();
    let sshd = Sshd::start_gate(&scenario.policy);

    let output = scp(
        &sshd,
        &scenario,
        &["upload.txt", &remote(&sshd, &scenario.path("in/link"))],
    );
    assert_eq!(output.status.code(), Some(1), "{}", sshd.explain(&output));
    assert_eq!(
        stderr(&output),
        format!(
            "scp: {}/upload.txt: Permission denied\n",
            scenario.path("in/link").display()
        ),
        "{}",
        sshd.explain(&output)
    );
    assert!(!scenario.path("elsewhere/upload.txt").exists());
}

#[test]
fn a_recursive_upload_is_refused_without_recursive() {
    let scenario = scenario(&upload_rule(false, ""));
    fs::create_dir(scenario.path("local/dir")).unwrap();
    fs::write(scenario.path("local/dir/c"), "c\n").unwrap();
    let sshd = Sshd::start_gate(&scenario.policy);

    let output = scp(
        &sshd,
        &scenario,
        &["-r", "dir", &remote(&sshd, &scenario.path("in"))],
    );
    assert_eq!(output.status.code(), Some(1), "{}", sshd.explain(&output));
    assert_eq!(
        stderr(&output),
        "sshgate: denied: rule \"scp-upload\" (scp): option -r (recursive copy) is refused: \
         the rule does not set `recursive = true`\nlost connection\n",
        "{}",
        sshd.explain(&output)
    );
    assert!(!scenario.path("in/dir").exists());
}

/// An upload with `-p` of a file whose mtime is 2001-09-09.
fn upload_preserved(sandbox: &str) -> (Scenario, Output) {
    let scenario = scenario(&upload_rule(false, sandbox));
    let local = scenario.path("local/old.txt");
    fs::write(&local, "old\n").unwrap();
    let touched = Command::new("touch")
        .args(["-m", "-d", "@1000000000"])
        .arg(&local)
        .status()
        .unwrap();
    assert!(touched.success());
    let sshd = Sshd::start_gate(&scenario.policy);
    let output = scp(
        &sshd,
        &scenario,
        &["-p", "old.txt", &remote(&sshd, &scenario.path("in"))],
    );
    (scenario, output)
}

#[test]
fn a_preserving_upload_without_metadata_arrives_but_cannot_set_its_times() {
    let (scenario, output) = upload_preserved("");
    let arrived = scenario.path("in/old.txt");
    // seccomp refuses utimes by path unless the sandbox has
    // `metadata = true`; scp reports it and exits 1.
    assert_eq!(
        stderr(&output),
        format!(
            "scp: {}: set times: Operation not permitted\n",
            arrived.display()
        )
    );
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(fs::read_to_string(&arrived).unwrap(), "old\n");
    assert_ne!(fs::metadata(&arrived).unwrap().mtime(), 1_000_000_000);
}

#[test]
fn a_preserving_upload_with_metadata_sets_the_times() {
    let sandbox = format!(
        "[allow.sandbox]\nmetadata = true\nuser = \"{}\"\nchdir = \"{{dir}}/in\"",
        unprivileged_account()
    );
    let scenario = scenario(&upload_rule(false, &sandbox));
    hand_to_unprivileged_account(&scenario.path("in"));
    let local = scenario.path("local/old.txt");
    fs::write(&local, "old\n").unwrap();
    let touched = Command::new("touch")
        .args(["-m", "-d", "@1000000000"])
        .arg(&local)
        .status()
        .unwrap();
    assert!(touched.success());
    let sshd = Sshd::start_gate(&scenario.policy);
    let output = scp(
        &sshd,
        &scenario,
        &["-p", "old.txt", &remote(&sshd, &scenario.path("in"))],
    );
    let arrived = scenario.path("in/old.txt");
    assert_eq!(output.status.code(), Some(0), "{}", sshd.explain(&output));
    assert_eq!(fs::read_to_string(&arrived).unwrap(), "old\n");
    assert_eq!(fs::metadata(&arrived).unwrap().mtime(), 1_000_000_000);
}

#[test]
fn a_preserving_upload_with_metadata_is_refused_when_it_would_run_as_root() {
    let (scenario, output) = upload_preserved("[allow.sandbox]\nmetadata = true");
    if !geteuid().is_root() {
        // An unprivileged gate is the unprivileged account the rule needs.
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        return;
    }
    assert_eq!(
        stderr(&output),
        "sshgate: denied: rule \"scp-upload\" (scp) has metadata = true and would run as root: \
         a client could change the mode of any file on the host through a symlink; set `user` \
         to an unprivileged account\nlost connection\n"
    );
    assert!(!scenario.path("in/old.txt").exists());
}

#[test]
fn a_relative_name_starting_with_a_dash_is_a_file() {
    // The client sends `scp -f -- -rf`; the gate resolves it against the
    // working directory and passes it after `--`.
    let policy = format!(
        "{}\n[allow.sandbox]\nchdir = \"{{dir}}/export\"\n",
        download_profile()
    );
    let scenario = scenario(&policy);
    fs::write(scenario.path("export/-rf"), "dash\n").unwrap();
    let sshd = Sshd::start_gate(&scenario.policy);

    let output = scp(
        &sshd,
        &scenario,
        &[&format!("{}:-rf", sshd.host()), "dash.txt"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", sshd.explain(&output));
    assert_eq!(
        fs::read_to_string(scenario.path("local/dash.txt")).unwrap(),
        "dash\n"
    );
    let records = scenario.records();
    assert_eq!(records[0]["command"], "scp -f -- -rf");
}
