//! The rsync rule accepts what the real rsync client sends.
//!
//! Each case runs every rsync client at hand (the installed one, and those
//! `cargo xtask test` unpacks under `target/test-clients`: Debian 12's
//! security archive carries rsync 3.5 beside the release's 3.2.7) with a remote shell that
//! records the server command line (joined with spaces, as ssh sends it)
//! and stops. The recorded string then goes through `sshgate explain`
//! against an rsync rule: it must be allowed, as the direction the client
//! meant, with the server options the client asked for passed on.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::gate::{Scenario, binary, stdout};

const POLICY: &str = r#"log = "{log}"
[sandbox]
chdir = "{dir}/srv"

[[allow]]
name = "backup"
rsync = { send = ["{dir}/srv"], receive = ["{dir}/backup"], delete = true }
"#;

/// Captures the server command the rsync client would send for `options`
/// on a pull (`download = true`) or a push.
fn captured(scenario: &Scenario, client: &Path, options: &[&str], download: bool) -> String {
    let record = scenario.path("recorded");
    let rsh = scenario.path("record-rsh");
    // ssh joins its words with spaces; so does this stand-in. Its first
    // word is the host.
    fs::write(
        &rsh,
        format!(
            "#!/bin/sh\nshift\nprintf '%s' \"$*\" > '{}'\nexit 1\n",
            record.display()
        ),
    )
    .unwrap();
    fs::set_permissions(&rsh, fs::Permissions::from_mode(0o755)).unwrap();
    let _ = fs::remove_file(&record);
    let local = scenario.path("local/");
    let mut rsync = Command::new(client);
    rsync.arg("-e").arg(&rsh).args(options);
    if download {
        rsync.arg(format!("host:{}/", scenario.path("srv/data").display()));
        rsync.arg(&local);
    } else {
        rsync.arg(&local);
        rsync.arg(format!("host:{}/", scenario.path("backup/today").display()));
    }
    let output = rsync.output().unwrap();
    fs::read_to_string(&record).unwrap_or_else(|_| {
        panic!(
            "the client never ran its remote shell: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// The installed rsync, then every client unpacked under
/// `target/test-clients/rsync-*/`.
fn clients() -> Vec<PathBuf> {
    let mut clients = vec![PathBuf::from("rsync")];
    let unpacked = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-clients");
    if let Ok(entries) = fs::read_dir(unpacked) {
        let mut found: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path().join("usr/bin/rsync"))
            .filter(|binary| binary.is_file())
            .collect();
        found.sort();
        clients.extend(found);
    }
    clients
}

/// The first line of `client --version`, for messages.
fn version(client: &Path) -> String {
    let output = Command::new(client).arg("--version").output().unwrap();
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

fn explain(scenario: &Scenario, command: &str) -> serde_json::Value {
    let output = Command::new(binary())
        .args(["explain", "--json", "--policy"])
        .arg(&scenario.policy)
        .args(["--", command])
        .output()
        .unwrap();
    serde_json::from_str(&stdout(&output))
        .unwrap_or_else(|e| panic!("explain printed no JSON ({e}): {}", stdout(&output)))
}

const OPTION_SETS: &[&[&str]] = &[
    &["-a"],
    &["-az"],
    &["-avzH", "--delete"],
    &["-a", "--inplace"],
    &["-a", "--partial"],
    &["-aAX"],
    &["-a", "--link-dest=LINKDEST"],
    &["-a", "--bwlimit=100"],
    &["-rt"],
    &["-aR"],
    &["-a", "--partial-dir=.rsync-partial"],
    &["-a", "--compress-choice=zstd", "--checksum-choice=xxh128"],
];

#[test]
fn every_option_set_of_the_real_client_is_allowed_both_ways() {
    let scenario = Scenario::new(POLICY);
    for dir in ["srv/data", "backup/today", "backup/yesterday", "local"] {
        fs::create_dir_all(scenario.path(dir)).unwrap();
    }
    let link_dest = scenario.path("backup/yesterday").display().to_string();
    let mut failures = Vec::new();
    let mut versions = Vec::new();
    for client in clients() {
        let version = version(&client);
        for options in OPTION_SETS {
            let options: Vec<String> = options
                .iter()
                .map(|o| o.replace("LINKDEST", &link_dest))
                .collect();
            let options: Vec<&str> = options.iter().map(String::as_str).collect();
            for download in [true, false] {
                let command = captured(&scenario, &client, &options, download);
                if let Some(failure) = refusal(&scenario, &command, download) {
                    failures.push(format!("{version}: {options:?}: {failure}"));
                }
            }
        }
        versions.push(version);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(
        versions.iter().all(|v| v.starts_with("rsync  version 3.")),
        "{versions:?}"
    );
}

/// Why `command` was not allowed as the expected direction with `--`
/// before the paths, or `None` if it was.
fn refusal(scenario: &Scenario, command: &str, download: bool) -> Option<String> {
    if !command.starts_with("rsync --server ") {
        return Some(format!("not a server command: {command}"));
    }
    let explained = explain(scenario, command);
    let expected_action = if download { "download" } else { "upload" };
    let plan = &explained["plan"];
    let ok = explained["decision"] == "allow"
        && explained["rule"] == "backup"
        && plan["tool"]["action"] == expected_action
        && plan["argv"]
            .as_array()
            .is_some_and(|argv| argv.iter().any(|w| w == "--"));
    (!ok).then(|| format!("({expected_action}) {command}\n{explained:#}"))
}

#[test]
fn the_client_s_protect_args_mode_is_refused_with_its_reason() {
    let scenario = Scenario::new(POLICY);
    for dir in ["srv/data", "backup/today", "local"] {
        fs::create_dir_all(scenario.path(dir)).unwrap();
    }
    let command = captured(&scenario, Path::new("rsync"), &["-s", "-a"], true);
    let explained = explain(&scenario, &command);
    assert_eq!(explained["decision"], "deny", "{explained:#}");
    let reason = explained["reason"].as_str().unwrap();
    assert!(
        reason.contains("-s (--protect-args) sends the real arguments over the protocol"),
        "{reason}"
    );
}
