//! `sshgate lint`: `file:line:col: severity: message` lines and the exit status.

mod common;

use std::process::{Command, Output};

use common::gate::{Scenario, binary, stderr, stdout};

fn lint(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(binary())
        .arg("lint")
        .args(args)
        .output()
        .unwrap()
}

const FLAWED: &str = r#"log = "{dir}/no-such-dir/audit.log"
[sandbox]
read = ["{dir}/missing"]

[[allow]]
name = "any-ls"
command = ["/usr/bin/ls"]
trailing_args = true

[[allow]]
name = "ls-long"
command = ["/usr/bin/ls", "-l"]

[[allow]]
name = "ghost"
command = ["/usr/bin/no-such-program"]

[[allow]]
name = "as-nobody-here"
command = ["/usr/bin/df"]
[allow.sandbox]
user = "no-such-user-sshgate"
"#;

#[test]
fn findings_are_located_and_classified() {
    let scenario = Scenario::new(FLAWED);
    let file = scenario.policy.display().to_string();
    let dir = scenario.dir.path().display().to_string();
    let output = lint(&[scenario.policy.as_os_str()]);
    assert_eq!(
        stdout(&output),
        format!(
            "{file}:1:7: warning: log directory {dir}/no-such-dir does not exist on this host\n\
             {file}:3:9: warning: read path {dir}/missing does not exist on this host; requests that need it are denied\n\
             {file}:10:1: error: rule \"ls-long\" is unreachable: rule \"any-ls\" (line 5) matches every command it matches\n\
             {file}:16:11: warning: program /usr/bin/no-such-program does not exist on this host\n\
             {file}:22:8: warning: rule \"as-nobody-here\": user \"no-such-user-sshgate\" does not exist on this host; requests that need it are denied\n"
        )
    );
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn strict_turns_host_warnings_into_errors() {
    let scenario = Scenario::new(
        "[sandbox]\nread = [\"{dir}/missing\"]\n[[allow]]\nname = \"df\"\ncommand = [\"/usr/bin/df\"]\n",
    );
    let relaxed = lint(&[scenario.policy.as_os_str()]);
    assert_eq!(relaxed.status.code(), Some(0), "{}", stdout(&relaxed));
    assert!(stdout(&relaxed).contains(": warning: read path"));
    let strict = lint(&["--strict".as_ref(), scenario.policy.as_os_str()]);
    assert_eq!(strict.status.code(), Some(1));
    assert!(stdout(&strict).contains(": error: read path"));
}

#[test]
fn a_schema_error_is_one_located_line() {
    let scenario =
        Scenario::new("[[allow]]\nname = \"x\"\ncommand = [\"/usr/bin/ls\", { regex = \"[\" }]\n");
    let output = lint(&[scenario.policy.as_os_str()]);
    assert_eq!(
        stdout(&output),
        format!(
            "{}:3:27: error: invalid regex \"[\": unclosed character class\n",
            scenario.policy.display()
        )
    );
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn a_clean_policy_passes() {
    let scenario = Scenario::new(
        "log = \"{log}\"\n[[allow]]\nname = \"df\"\ncommand = [\"/usr/bin/df\", \"-h\"]\n",
    );
    let output = lint(&["--strict".as_ref(), scenario.policy.as_os_str()]);
    assert_eq!(stdout(&output), "");
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn insecure_permissions_are_reported() {
    use std::os::unix::fs::PermissionsExt;
    let scenario = Scenario::new(
        "log = \"{log}\"\n[[allow]]\nname = \"df\"\ncommand = [\"/usr/bin/df\", \"-h\"]\n",
    );
    std::fs::set_permissions(&scenario.policy, std::fs::Permissions::from_mode(0o666)).unwrap();
    let output = lint(&["--strict".as_ref(), scenario.policy.as_os_str()]);
    assert_eq!(
        stdout(&output),
        format!(
            "{}: error: forced-command mode would refuse this file: the file is group-writable (mode 0666)\n",
            scenario.policy.display()
        )
    );
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn writable_paths_that_undo_the_confinement_are_errors() {
    let scenario = Scenario::new(
        r#"log = "{dir}/audit.log"
[sandbox]
write = ["{dir}"]
exec = ["/usr/bin/true"]

[[allow]]
name = "push"
command = ["{dir}/receive"]

[[allow]]
name = "restore"
command = ["/usr/bin/rsync"]
trailing_args = true
[allow.sandbox]
write = ["/etc"]
"#,
    );
    std::fs::copy("/usr/bin/true", scenario.path("receive")).unwrap();
    let file = scenario.policy.display().to_string();
    let dir = scenario.dir.path().display().to_string();
    let output = lint(&[scenario.policy.as_os_str()]);
    assert_eq!(
        stdout(&output),
        format!(
            "{file}:3:10: error: rule \"push\": write path {dir} contains the audit log: the command could rewrite its own records\n\
             {file}:3:10: error: rule \"push\": write path {dir} contains this policy file: the command could rewrite its own policy\n\
             {file}:8:11: error: rule \"push\": executable {dir}/receive is beneath write path {dir} (rule \"push\"): the command could replace what it may execute\n\
             {file}:15:10: warning: rule \"restore\": write path /etc overlaps /etc: the command could change system configuration, programs or users' ~/.ssh\n"
        )
    );
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn a_write_path_beneath_another_rules_exec_directory_is_an_error() {
    let scenario = Scenario::new(
        r#"log = "{log}"
[[allow]]
name = "tools"
command = ["/usr/bin/env"]
trailing_args = true
[allow.sandbox]
exec = ["/opt"]

[[allow]]
name = "upload"
command = ["/usr/bin/rsync"]
trailing_args = true
[allow.sandbox]
write = ["/opt/incoming", "/root/.ssh"]
"#,
    );
    let file = scenario.policy.display().to_string();
    let output = lint(&[scenario.policy.as_os_str()]);
    let text = stdout(&output);
    assert!(
        text.contains(&format!(
            "{file}:7:9: error: rule \"tools\": write path /opt/incoming (rule \"upload\") is beneath executable /opt: the command could execute what it uploads\n"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "{file}:14:27: warning: rule \"upload\": write path /root/.ssh overlaps /root: the command could change system configuration, programs or users' ~/.ssh\n"
        )),
        "{text}"
    );
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn a_profile_reading_beneath_another_profiles_write_path_is_warned_about() {
    let scenario = Scenario::new(
        "log = \"{log}\"\n[[allow]]\nname = \"upload\"\ncommand = [\"/usr/bin/rsync\"]\ntrailing_args = true\n[allow.sandbox]\nwrite = [\"/srv/share\"]\n",
    );
    let reader = scenario.path("reader.toml");
    common::gate::write_private(
        &reader,
        "log = \"/var/log/r.log\"\n[[allow]]\nname = \"get\"\ncommand = [\"/usr/bin/cat\"]\ntrailing_args = true\n[allow.sandbox]\nread = [\"/srv/share/pub\"]\n",
    );
    let output = lint(&[scenario.dir.path().as_os_str()]);
    let text = stdout(&output);
    assert!(
        text.contains(&format!(
            "{}:7:9: warning: read path /srv/share/pub is beneath write path /srv/share of {} (rule \"upload\"): a symlink that profile's commands plant there would be followed here\n",
            reader.display(),
            scenario.policy.display()
        )),
        "{text}"
    );
    // Each file alone has nothing to say about the other.
    let alone = lint(&[reader.as_os_str()]);
    assert!(
        !stdout(&alone).contains("beneath write path"),
        "{}",
        stdout(&alone)
    );
}

#[test]
fn a_profile_executing_beneath_another_profiles_write_path_is_an_error() {
    let scenario = Scenario::new(
        "log = \"{log}\"\n[[allow]]\nname = \"upload\"\ncommand = [\"/usr/bin/rsync\"]\ntrailing_args = true\n[allow.sandbox]\nwrite = [\"/srv/tools\"]\n",
    );
    let runner = scenario.path("runner.toml");
    common::gate::write_private(
        &runner,
        "log = \"/var/log/r.log\"\n[[allow]]\nname = \"run\"\ncommand = [\"/srv/tools/report\"]\n",
    );
    let output = lint(&[scenario.dir.path().as_os_str()]);
    let text = stdout(&output);
    assert!(
        text.contains(&format!(
            "{}:4:11: error: executable /srv/tools/report is beneath write path /srv/tools of {} (rule \"upload\"): a client with both keys could upload code and run it\n",
            runner.display(),
            scenario.policy.display()
        )),
        "{text}"
    );
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn a_write_path_aliasing_the_log_directory_is_an_error() {
    let scenario = Scenario::new(
        "log = \"{dir}/logs/audit.log\"\n[[allow]]\nname = \"push\"\ncommand = [\"/usr/bin/rsync\"]\ntrailing_args = true\n[allow.sandbox]\nwrite = [\"{dir}/incoming\"]\n",
    );
    std::fs::create_dir(scenario.path("logs")).unwrap();
    std::os::unix::fs::symlink(scenario.path("logs"), scenario.path("incoming")).unwrap();
    let output = lint(&[scenario.policy.as_os_str()]);
    let text = stdout(&output);
    assert!(
        text.contains(&format!(
            "error: rule \"push\": write path {}/incoming contains the audit log",
            scenario.dir.path().display()
        )),
        "{text}"
    );
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn unknown_names_and_syscalls_the_gate_needs_are_errors() {
    let scenario = Scenario::new(
        "[sandbox]\ndeny_syscalls = [\"uname\", \"execve\"]\n[[allow]]\nname = \"id\"\ncommand = [\"/usr/bin/id\"]\n",
    );
    let file = scenario.policy.display().to_string();
    let output = lint(&[scenario.policy.as_os_str()]);
    assert_eq!(
        stdout(&output),
        format!(
            "{file}:2:17: error: deny_syscalls lists execve, which sshgate itself needs after installing the filter (to write the record, keep the session lock and exec the command); every request would be denied\n"
        )
    );
    assert_eq!(output.status.code(), Some(1));

    for (key, value, message) in [
        ("deny_syscalls", "[\"fork2\"]", "unknown syscall \"fork2\""),
        (
            "capabilities",
            "[\"CAP_FLY\"]",
            "unknown capability \"CAP_FLY\"",
        ),
    ] {
        let scenario = Scenario::new(&format!(
            "[sandbox]\n{key} = {value}\n[[allow]]\nname = \"id\"\ncommand = [\"/usr/bin/id\"]\n"
        ));
        let output = lint(&[scenario.policy.as_os_str()]);
        let text = stdout(&output) + &stderr(&output);
        assert!(text.contains(message), "{key}: {text}");
        assert!(text.contains(":2:"), "{key}: no line number in {text}");
        assert_eq!(output.status.code(), Some(1), "{key}");
    }
}

#[test]
fn settings_landlock_cannot_confine_are_warned_about() {
    let scenario = Scenario::new(
        "[sandbox]\nmetadata = true\nnetwork = \"any\"\n[[allow]]\nname = \"id\"\ncommand = [\"/usr/bin/id\"]\n",
    );
    let file = scenario.policy.display().to_string();
    let output = lint(&[scenario.policy.as_os_str()]);
    assert_eq!(
        stdout(&output),
        format!(
            "{file}:2:12: warning: profile: metadata = true lets the command chmod, chown, touch and set extended attributes, which Landlock cannot limit to the grants: run as root, it can change those of every root-owned file on the host; prefer a dedicated `user`\n\
             {file}:3:11: warning: profile: network = \"any\" allows every socket family, unix sockets included: before Landlock ABI 9 the command can connect to any pathname socket its uid may reach (for root, /var/run/docker.sock)\n"
        )
    );
    assert_eq!(output.status.code(), Some(0), "warnings only");
}

#[test]
fn a_pattern_too_large_to_compile_is_an_error() {
    // Valid syntax, but its compiled form exceeds the regex crate's size
    // limit: the policy is refused where the pattern is, as forced-command
    // mode would refuse it.
    let scenario = Scenario::new(
        "[[allow]]\nname = \"huge\"\ncommand = [\"/usr/bin/echo\", { regex = \"(?:a{1000}){1000}\" }]\n",
    );
    let output = lint(&[scenario.policy.as_os_str()]);
    assert_eq!(
        stdout(&output),
        format!(
            "{}:3:29: error: invalid regex \"(?:a{{1000}}){{1000}}\": Compiled regex exceeds size limit of 10485760 bytes.\n",
            scenario.policy.display()
        )
    );
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn a_profile_writing_another_profiles_policy_or_log_is_an_error() {
    // A third hostile review's repro: profile B's command truncated profile
    // A's log, and could have rewritten A's policy; each gate sees one
    // profile, so only lint across the directory can tell.
    let scenario = Scenario::new(
        "log = \"{dir}/alog/a.log\"\n[[allow]]\nname = \"df\"\ncommand = [\"/usr/bin/df\"]\n",
    );
    scenario.make_dir("alog", 0o755);
    let dir = scenario.dir.path().display().to_string();
    let writer = scenario.path("writer.toml");
    common::gate::write_private(
        &writer,
        &format!(
            "[[allow]]\nname = \"trunc\"\ncommand = [\"/usr/bin/truncate\"]\ntrailing_args = true\n[allow.sandbox]\nwrite = [\"{dir}/alog\", \"{dir}\"]\n"
        ),
    );
    let output = lint(&[scenario.dir.path().as_os_str()]);
    let text = stdout(&output);
    let policy = scenario.policy.display();
    let writer = writer.display();
    for expected in [
        format!(
            "{policy}:1:7: error: this profile's audit log {dir}/alog/a.log is beneath write path {dir}/alog of {writer} (rule \"trunc\"): that profile's commands could rewrite it\n"
        ),
        format!(
            "{policy}: error: this profile's policy file {policy} is beneath write path {dir} of {writer} (rule \"trunc\"): that profile's commands could rewrite it\n"
        ),
    ] {
        assert!(text.contains(&expected), "missing {expected:?} in\n{text}");
    }
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn grants_on_kernel_interfaces_and_the_whole_tree_are_flagged() {
    // A fourth hostile review: with write = ["/proc/sys/kernel"], a root
    // command without capabilities set kernel.core_pattern to a program of
    // its choice, run as root outside the sandbox on the next core dump.
    let scenario = Scenario::new(
        "[sandbox]\nread = [\"/\"]\nwrite = [\"/proc/sys/kernel\", \"/dev/shm\"]\n[[allow]]\nname = \"id\"\ncommand = [\"/usr/bin/id\"]\n",
    );
    let file = scenario.policy.display().to_string();
    let output = lint(&[scenario.policy.as_os_str()]);
    let text = stdout(&output);
    for expected in [
        format!(
            "{file}:2:9: warning: profile: read path / grants every file the command's user may read (for root, /etc/shadow and every private key)\n"
        ),
        format!(
            "{file}:3:10: error: profile: write path /proc/sys/kernel is under /proc or /sys: a root command could change kernel settings there (kernel.core_pattern runs a program as root outside every sandbox)\n"
        ),
        format!(
            "{file}:3:30: warning: profile: write path /dev/shm is under /dev: device files there reach the hardware or other sessions\n"
        ),
    ] {
        assert!(text.contains(&expected), "missing {expected:?} in\n{text}");
    }
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn a_tool_rule_s_paths_get_the_sandbox_checks() {
    let scenario = Scenario::new(
        r#"[sandbox]
read = ["/usr/share"]

[[allow]]
name = "pull"
rsync = { send = ["{dir}/missing", "/"], receive = ["/proc/sys"] }
"#,
    );
    let output = lint(&[scenario.policy.as_os_str()]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    let policy = scenario.policy.display();
    for expected in [
        format!(
            "{policy}:2:9: warning: the profile's `read` does not apply to rule \"pull\" (rsync): a tool rule's paths come from its `rsync` table"
        ),
        format!(
            "{policy}:6:19: warning: read path {} does not exist on this host; requests that need it are denied",
            scenario.path("missing").display()
        ),
        "warning: rule \"pull\" (rsync): read path / grants every file".to_owned(),
        "error: rule \"pull\" (rsync): write path /proc/sys is under /proc or /sys".to_owned(),
    ] {
        assert!(text.contains(&expected), "missing {expected:?} in:\n{text}");
    }
    assert!(
        stderr(&output).contains("1 error(s)"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn an_sftp_rule_that_logs_without_unix_sockets_is_warned_about() {
    let scenario = Scenario::new(
        r#"[[allow]]
name = "sftp"
sftp = { read = ["/usr/share/doc"], log = true }
"#,
    );
    let output = lint(&[scenario.policy.as_os_str()]);
    let text = stdout(&output);
    assert!(
        text.contains(
            "warning: rule \"sftp\" (sftp): `log = true` without `unix = true` in the sandbox"
        ),
        "{text}"
    );
    let fixed = Scenario::new(
        r#"[[allow]]
name = "sftp"
sftp = { read = ["/usr/share/doc"], log = true }
[allow.sandbox]
unix = true
"#,
    );
    let output = lint(&[fixed.policy.as_os_str()]);
    assert!(
        !stdout(&output).contains("`log = true`"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn learn_mode_is_warned_about() {
    let scenario = Scenario::new("mode = \"learn\"\n");
    let file = scenario.policy.display().to_string();
    let output = lint(&[scenario.policy.as_os_str()]);
    assert_eq!(
        stdout(&output),
        format!(
            "{file}: warning: `mode = \"learn\"`: every command the key sends runs under the profile's [sandbox], rule or not; run `sshgate suggest` on the log and switch back to \"enforce\"\n"
        )
    );
    assert_eq!(output.status.code(), Some(0), "warnings only");
    let strict = lint(&["--strict".as_ref(), scenario.policy.as_os_str()]);
    assert_eq!(strict.status.code(), Some(0), "not a host finding");

    let typo = Scenario::new("mode = \"learning\"\n");
    assert_eq!(lint(&[typo.policy.as_os_str()]).status.code(), Some(1));
}

#[test]
fn a_grant_covering_the_session_locks_is_warned_about() {
    let scenario = Scenario::new(
        r#"log = "{log}"
[[allow]]
name = "cat"
command = ["/usr/bin/cat"]
[allow.sandbox]
read = ["/run"]
"#,
    );
    let file = scenario.policy.display().to_string();
    let output = lint(&[scenario.policy.as_os_str()]);
    assert_eq!(
        stdout(&output),
        format!(
            "{file}:6:9: warning: rule \"cat\": read path /run covers /run/sshgate, where sessions hold their max_concurrent slots: a command that can run code could lock other profiles' slots (flock needs only read access)\n"
        )
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}
