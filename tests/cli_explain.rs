//! `sshgate explain`: the decision and the full plan, with nothing run.

mod common;

use std::fs;
use std::process::{Command, Output};

use common::gate::{Scenario, binary, stderr, stdout};

const POLICY: &str = r#"
description = "explain fixture"
from = ["192.0.2.0/24"]
keys = ["backup01"]
log = "{log}"

[sandbox]
read = ["{dir}/data"]
env = { LANG = "C.UTF-8" }

[[allow]]
name = "touch-marker"
command = ["/usr/bin/touch", "{dir}/data/marker"]

[[allow]]
name = "disk-free"
command = ["/usr/bin/df", "-h"]

[[allow]]
name = "gone"
command = ["/usr/bin/ls"]
[allow.sandbox]
read = ["{dir}/missing"]
"#;

fn explain(scenario: &Scenario, args: &[&str]) -> Output {
    Command::new(binary())
        .arg("explain")
        .arg("--policy")
        .arg(&scenario.policy)
        .args(args)
        .output()
        .unwrap()
}

fn scenario() -> Scenario {
    let scenario = Scenario::new(POLICY);
    fs::create_dir(scenario.path("data")).unwrap();
    scenario
}

#[test]
fn an_allowed_request_prints_the_rule_and_the_whole_plan() {
    let scenario = scenario();
    let marker = scenario.path("data/marker");
    let command = format!("touch {}", marker.display());
    let output = explain(
        &scenario,
        &["--from", "192.0.2.10", "--key", "backup01", "--", &command],
    );
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}{}", stderr(&output));
    for expected in [
        "decision: allow (rule \"touch-marker\")".to_owned(),
        "  program:  /usr/bin/touch".to_owned(),
        format!("  argv:     [\"/usr/bin/touch\", \"{}\"]", marker.display()),
        "    LANG=C.UTF-8".to_owned(),
        "    execute     /usr/bin/touch".to_owned(),
        "    execute     /lib64/ld-linux-x86-64.so.2".to_owned(),
        format!("    read        {}", scenario.path("data").display()),
        "    read        /usr ".to_owned(),
        "    read-write  /dev/null".to_owned(),
    ] {
        assert!(text.contains(&expected), "missing {expected:?} in:\n{text}");
    }
    assert!(!marker.exists(), "explain ran the command");
    assert!(!scenario.log.exists(), "explain wrote an audit record");
}

#[test]
fn a_denied_request_prints_the_reason_and_the_closest_rule() {
    let scenario = scenario();
    let output = explain(
        &scenario,
        &["--from", "192.0.2.10", "--key", "backup01", "--", "df -a"],
    );
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1));
    assert!(text.contains("decision: deny\n"), "{text}");
    assert!(
        text.contains("reason:   no rule allows \"df -a\"\n"),
        "{text}"
    );
    assert!(
        text.contains("closest:  rule \"disk-free\" expects \"-h\" as argument 1, got \"-a\"\n"),
        "{text}"
    );
}

#[test]
fn from_and_key_are_checked_like_forced_mode() {
    let scenario = scenario();
    let wrong_address = explain(
        &scenario,
        &["--from", "198.51.100.1", "--key", "backup01", "--", "df -h"],
    );
    assert!(
        stdout(&wrong_address)
            .contains("reason:   client address 198.51.100.1 is not in the profile's `from`")
    );
    assert_eq!(wrong_address.status.code(), Some(1));
    let no_key = explain(&scenario, &["--from", "::ffff:192.0.2.9", "--", "df -h"]);
    assert!(
        stdout(&no_key)
            .contains("the profile restricts `keys` but sshgate was started without --key")
    );
    assert_eq!(no_key.status.code(), Some(1));
}

#[test]
fn a_missing_sandbox_path_is_a_denial_in_explain_too() {
    let scenario = scenario();
    let output = explain(
        &scenario,
        &["--from", "192.0.2.10", "--key", "backup01", "--", "ls"],
    );
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.contains("decision: deny (rule \"gone\" matched, but the sandbox cannot be built)"),
        "{text}"
    );
    assert!(
        text.contains(&format!("{}/missing", scenario.dir.path().display())),
        "{text}"
    );
}

#[test]
fn json_output_is_one_object_with_the_same_content() {
    let scenario = scenario();
    let output = explain(
        &scenario,
        &[
            "--json",
            "--from",
            "192.0.2.10",
            "--key",
            "backup01",
            "--",
            "df -h",
        ],
    );
    assert_eq!(output.status.code(), Some(0));
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).expect("one JSON object");
    assert_eq!(value["decision"], "allow");
    assert_eq!(value["rule"], "disk-free");
    assert_eq!(value["plan"]["program"], "/usr/bin/df");
    assert_eq!(
        value["plan"]["argv"],
        serde_json::json!(["/usr/bin/df", "-h"])
    );
    assert_eq!(value["plan"]["env"]["LANG"], "C.UTF-8");
    let grants = value["plan"]["filesystem"].as_array().unwrap();
    assert!(grants.iter().any(|g| g["path"] == "/usr/bin/df"
        && g["access"] == "execute"
        && g["origin"] == "program"));
    assert!(
        grants
            .iter()
            .any(|g| g["access"] == "execute" && g["origin"] == "interpreter")
    );

    let denied = explain(
        &scenario,
        &[
            "--json",
            "--from",
            "192.0.2.10",
            "--key",
            "backup01",
            "--",
            "sh -c id",
        ],
    );
    assert_eq!(denied.status.code(), Some(1));
    let value: serde_json::Value = serde_json::from_slice(&denied.stdout).unwrap();
    assert_eq!(value["decision"], "deny");
    assert_eq!(value["reason"], "no rule allows \"sh -c id\"");
}

#[test]
fn a_broken_policy_is_reported_with_its_location() {
    let scenario = scenario();
    common::gate::write_private(
        &scenario.policy,
        "[[allow]]\nname = \"x\"\ncommand = [\"df\"]\n",
    );
    let output = explain(&scenario, &["--", "df"]);
    assert_eq!(output.status.code(), Some(78));
    assert_eq!(
        stderr(&output),
        format!(
            "sshgate explain: {}:3:11: the program (first element of `command`): expected an absolute path, found \"df\"\n",
            scenario.policy.display()
        )
    );
}

#[test]
fn help_documents_exit_codes_and_the_environment() {
    let output = Command::new(binary()).arg("--help").output().unwrap();
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0));
    for needle in [
        "SSH_ORIGINAL_COMMAND",
        "EXIT STATUS",
        "77",
        "78",
        "71",
        "74",
        "--profile",
        "--policy-dir",
        "--key",
        "explain",
        "lint",
    ] {
        assert!(text.contains(needle), "--help lacks {needle:?}");
    }
}

#[test]
fn usage_errors_exit_2() {
    let output = Command::new(binary())
        .args(["--profile", "a", "--policy", "/x"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let none = Command::new(binary()).output().unwrap();
    assert_eq!(none.status.code(), Some(2));
    assert!(
        stderr(&none).contains("--profile or --policy"),
        "{}",
        stderr(&none)
    );
}

#[test]
fn every_layer_of_the_plan_is_shown() {
    let scenario = Scenario::new(
        r#"log = "{log}"
[sandbox]
user = "nobody"
chdir = "/"
capabilities = ["net_bind_service"]
rlimits = { nofile = 64, fsize = "1M", cpu = "unlimited" }
umask = "0027"
network = { connect = [443], bind = [8080] }
unix = true
deny_syscalls = ["uname"]

[[allow]]
name = "id"
command = ["/usr/bin/id"]
"#,
    );
    let output = explain(&scenario, &["--", "id"]);
    let text = stdout(&output);
    // Run as root (as CI is), the switch to nobody is planned; a non-root
    // gate is denied it, which forced_deny covers.
    if !nix::unistd::getuid().is_root() {
        assert!(text.contains("cannot switch users"), "{text}");
        return;
    }
    assert_eq!(output.status.code(), Some(0), "{text}{}", stderr(&output));
    for expected in [
        "  capabilities: kept CAP_NET_BIND_SERVICE in the permitted, effective, inheritable, ambient and bounding sets; every other one dropped\n",
        "  identity: switch to nobody (uid 65534, gid 65534, groups [65534])\n",
        "  rlimits: core 0, nofile 64, cpu unlimited, fsize 1048576\n",
        "  umask: 0027\n",
        "  no_new_privs: set\n",
        "  metadata: changes refused (seccomp), by path and by descriptor, except touching an opened file to now; never setuid or setgid bits\n",
        "  landlock network: TCP connect only to ports [443], bind only to ports [8080] (ABI 4 and later)\n",
        "syscalls, `--json` lists them) plus uname; sockets: TCP over AF_INET and AF_INET6, and AF_UNIX; x32 syscalls refused\n",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    let json = explain(&scenario, &["--json", "--", "id"]);
    let value: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(value["plan"]["identity"]["uid"], 65534);
    assert_eq!(value["plan"]["umask"], 0o027);
    assert_eq!(value["plan"]["capabilities"][0], "CAP_NET_BIND_SERVICE");
    assert_eq!(value["plan"]["deny_syscalls"][0], "uname");
    assert_eq!(value["plan"]["env"]["HOME"], "/nonexistent");
    assert_eq!(value["layers"].as_array().map(Vec::len), Some(9));
    let always = value["seccomp"]["always_denied"].as_array().unwrap();
    for name in [
        "mount",
        "ptrace",
        "bpf",
        "io_uring_setup",
        "keyctl",
        "unshare",
    ] {
        assert!(
            always.contains(&serde_json::json!(name)),
            "{name} not in {always:?}"
        );
    }
    assert_eq!(
        value["seccomp"]["policy_denied"],
        serde_json::json!(["uname"])
    );
}

const TOOL_POLICY: &str = r#"
[sandbox]
chdir = "{dir}/srv"

[[allow]]
name = "pull"
rsync = { send = ["{dir}/srv"], links = "munge" }
"#;

fn tool_scenario() -> Scenario {
    let scenario = Scenario::new(TOOL_POLICY);
    fs::create_dir_all(scenario.path("srv/www")).unwrap();
    scenario
}

#[test]
fn a_tool_rule_prints_the_parsed_request_before_the_plan() {
    let scenario = tool_scenario();
    let output = explain(
        &scenario,
        &["--", "rsync --server --sender -logDtpre.iLsfxCIvu . www/"],
    );
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    let www = scenario.path("srv/www");
    let expected = format!(
        "rsync:\n  action:   download\n  path:     {}\n  options:  -logDtpre.iLsfxCIvu\n  forced:   --munge-links --no-devices --no-specials\nplan:\n",
        www.display()
    );
    assert!(text.contains(&expected), "{text}");
    assert!(
        text.contains(
            "argv:     [\"/usr/bin/rsync\", \"--server\", \"--sender\", \"-logDtpre.iLsfxCIvu\", \"--munge-links\", \"--no-devices\", \"--no-specials\", \"--\", \".\", \"www/\"]"
        ),
        "{text}"
    );
    let srv = scenario.path("srv");
    assert!(
        text.contains(&format!("read        {:<40}  tool-rule", srv.display())),
        "{text}"
    );
}

#[test]
fn a_tool_rule_denial_names_the_option() {
    let scenario = tool_scenario();
    let output = explain(
        &scenario,
        &[
            "--json",
            "--",
            "rsync --server --sender -logDtpre.iLsfxCIvu --remove-source-files . www/",
        ],
    );
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let value: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(value["decision"], "deny");
    assert_eq!(
        value["reason"],
        "rule \"pull\" (rsync): --remove-source-files deletes files on the server; the rule has `delete = false`"
    );
}

#[test]
fn a_tool_rule_s_plan_in_json_carries_the_parsed_request() {
    let scenario = tool_scenario();
    let output = explain(
        &scenario,
        &[
            "--json",
            "--",
            "rsync --server --sender -re.iLsfxCIvu . www/",
        ],
    );
    let value: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let tool = &value["plan"]["tool"];
    assert_eq!(tool["tool"], "rsync");
    assert_eq!(tool["action"], "download");
    assert_eq!(
        tool["paths"][0],
        scenario.path("srv/www").display().to_string()
    );
    assert_eq!(tool["options"][0], "-re.iLsfxCIvu");
}

#[test]
fn learn_mode_says_what_runs_and_that_a_tool_parse_grants_nothing() {
    let scenario = Scenario::new("mode = \"learn\"\n[sandbox]\nread = [\"{dir}\"]\n");
    let target = scenario.path("data");
    let pull = format!(
        "rsync --server --sender -logDtpre.iLsfxCIvu . {}",
        target.display()
    );
    let output = explain(&scenario, &["--", &pull]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains("learning: mode = \"learn\" and no rule matched"),
        "{text}"
    );
    assert!(
        text.contains(&format!("  path:     {}", target.display())),
        "{text}"
    );
    let json = explain(&scenario, &["--json", "--", &pull]);
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(value["plan"]["learning"], "unmatched");
    assert_eq!(value["plan"]["program"], "/usr/bin/rsync");

    let output = explain(&scenario, &["--", "./run"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output).contains("is a relative path"),
        "{}",
        stdout(&output)
    );
}
