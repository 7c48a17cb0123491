//! Policy loading: good files parse, bad files fail with their exact
//! `file:line:col: message`.

use std::path::Path;

use sshgate::policy::{Network, parse};

fn error_of(text: &str) -> String {
    match parse(Path::new("p.toml"), text.to_owned()) {
        Ok(_) => panic!("policy was accepted:\n{text}"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn the_design_example_parses() {
    let text = r#"
description = "backup01 pulls /srv nightly"
from = ["192.0.2.10", "2001:db8::/64"]
keys = ["backup01"]
log = "/var/log/sshgate.log"
silent = true

[sandbox]
read = ["/srv"]
write = []
exec = []
network = "none"
capabilities = []
deny_syscalls = []
rlimits = { nofile = 4096 }
env = { LANG = "C.UTF-8" }
chdir = "/srv"
compat = "enforce"

[[allow]]
name = "disk-free"
command = ["/usr/bin/df", "-h"]

[[allow]]
name = "list"
command = ["/usr/bin/ls"]
trailing_args = true

[[allow]]
name = "dump-one-db"
command = ["/usr/bin/pg_dump", "--format=custom", { regex = "^[a-z_]+$" }]
[allow.sandbox]
read = ["/var/lib/postgresql"]
network = { connect = [5432] }
compat = "best-effort"
"#;
    let loaded = parse(Path::new("p.toml"), text.to_owned()).unwrap();
    let policy = loaded.policy;
    assert!(policy.silent);
    assert_eq!(policy.allow.len(), 3);
    assert_eq!(
        policy.allow[2]
            .get_ref()
            .command
            .as_ref()
            .unwrap()
            .get_ref()
            .args
            .len(),
        2
    );
    let dump = policy.allow[2].get_ref();
    let effective = policy.sandbox_for(dump);
    assert_eq!(
        effective.read.as_ref().unwrap()[0].get_ref().to_string(),
        "/var/lib/postgresql"
    );
    assert_eq!(
        effective.chdir.as_ref().unwrap().get_ref().to_string(),
        "/srv",
        "unset keys come from the profile"
    );
    assert_eq!(
        *effective.network.as_ref().unwrap().get_ref(),
        Network::Ports {
            connect: vec![5432],
            bind: vec![]
        }
    );
}

#[test]
fn an_empty_file_is_a_policy_that_allows_nothing() {
    let loaded = parse(Path::new("p.toml"), String::new()).unwrap();
    assert!(loaded.policy.allow.is_empty());
}

#[test]
fn bad_files_fail_with_located_messages() {
    let cases: &[(&str, &str)] = &[
        (
            "silnet = true",
            "p.toml:1:1: unknown key `silnet`, did you mean `silent`? (expected one of `description`, `from`, `keys`, `log`, `silent`, `mode`, `max_concurrent`, `wait`, `sandbox`, `allow`)",
        ),
        (
            "silent = 1",
            "p.toml:1:10: invalid type: integer `1`, expected a boolean",
        ),
        (
            "[sandbox]\nraed = [\"/srv\"]",
            "p.toml:2:1: unknown key `raed`, did you mean `read`? (expected one of `read`, `write`, `exec`, `network`, `unix`, `metadata`, `capabilities`, `user`, `deny_syscalls`, `rlimits`, `umask`, `env`, `chdir`, `compat`)",
        ),
        (
            "[sandbox]\nread = [\"srv\"]",
            "p.toml:2:8: expected an absolute path, found \"srv\"",
        ),
        (
            "[sandbox]\nread = [\"/srv/../etc\"]",
            "p.toml:2:8: \"/srv/../etc\" contains `.` or `..`: write the path it stands for",
        ),
        (
            "from = [\"192.0.2.1/24\"]",
            "p.toml:1:8: \"192.0.2.1/24\" has host bits set; write the network address or a single host",
        ),
        (
            "from = [\"backup.example\"]",
            "p.toml:1:8: \"backup.example\" is not an IP address or CIDR network",
        ),
        (
            "log = \"audit.log\"",
            "p.toml:1:7: expected an absolute path, found \"audit.log\"",
        ),
        (
            "[sandbox]\ncompat = \"lenient\"",
            "p.toml:2:10: unknown variant `lenient`, expected `enforce` or `best-effort`",
        ),
        (
            "[sandbox]\nnetwork = \"some\"",
            "p.toml:2:11: invalid value: string \"some\", expected \"none\", \"any\" or { connect = [ports], bind = [ports] }",
        ),
        (
            "[sandbox]\nnetwork = { connect = [70000] }",
            "p.toml:2:24: invalid value: integer `70000`, expected u16",
        ),
        (
            "[sandbox]\nrlimits = { nofiles = 10 }",
            "p.toml:2:13: unknown key `nofiles`, did you mean `nofile`? (expected one of `nofile`, `nproc`, `cpu`, `fsize`, `as`, `data`, `stack`, `memlock`)",
        ),
        (
            "[sandbox]\nenv = { LD_PRELOAD = \"/tmp/x.so\" }",
            "p.toml:2:9: environment variable \"LD_PRELOAD\" is refused: LD_* variables change what the loader runs",
        ),
        (
            "[sandbox]\nenv = { \"A-B\" = \"x\" }",
            "p.toml:2:9: environment variable name \"A-B\" must match [A-Za-z_][A-Za-z0-9_]*",
        ),
        (
            "[[allow]]\ncommand = [\"/usr/bin/df\"]",
            "p.toml:1:1: missing field `name`",
        ),
        (
            "[[allow]]\nname = \"x\"",
            "p.toml:1:1: rule needs one of `command`, `rsync`, `scp`, `sftp`, `git` or `borg`",
        ),
        (
            "[[allow]]\nname = \"x\"\ncommand = []",
            "p.toml:3:11: `command` is empty: its first element must be the program's absolute path",
        ),
        (
            "[[allow]]\nname = \"x\"\ncommand = [\"df\", \"-h\"]",
            "p.toml:3:11: the program (first element of `command`): expected an absolute path, found \"df\"",
        ),
        (
            "[[allow]]\nname = \"x\"\ncommand = [{ regex = \"/usr/bin/.*\" }]",
            "p.toml:3:11: the program (first element of `command`) must be a literal absolute path, not a regex",
        ),
        (
            "[[allow]]\nname = \"x\"\ncommand = [\"/usr/bin/ls\", { regex = \"(\" }]",
            "p.toml:3:27: invalid regex \"(\": unclosed group",
        ),
        (
            "[[allow]]\nname = \"x\"\ncommand = [\"/usr/bin/ls\", { regx = \"a\" }]",
            "p.toml:3:27: unknown key `regx`, did you mean `regex`? (expected `regex`)",
        ),
        (
            "[[allow]]\nname = \"x\"\ncommand = [\"/usr/bin/ls\"]\ntrailing_arg = true",
            "p.toml:4:1: unknown key `trailing_arg`, did you mean `trailing_args`? (expected one of `name`, `command`, `trailing_args`, `rsync`, `scp`, `sftp`, `git`, `borg`, `sandbox`)",
        ),
        (
            "[[allow]]\nname = \"has space\"\ncommand = [\"/usr/bin/ls\"]",
            "p.toml:2:8: rule name \"has space\" must be non-empty and use only letters, digits and - _ . @ :",
        ),
        (
            "[[allow]]\nname = \"a\"\ncommand = [\"/usr/bin/ls\"]\n[[allow]]\nname = \"a\"\ncommand = [\"/usr/bin/df\"]",
            "p.toml:4:1: duplicate rule name \"a\": names must be unique so the audit log is unambiguous",
        ),
        (
            "[[allow]]\nname = \"x\"\nrsync = { send = [\"/srv\"] }\ncommand = [\"/usr/bin/ls\"]",
            "p.toml:1:1: rule has more than one of `command`, `rsync`, `scp`, `sftp`, `git` or `borg`; write one rule for each",
        ),
        (
            "[[allow]]\nname = \"x\"\nrsync = { }",
            "p.toml:3:9: the `rsync` table names no path, so the rule could never allow anything",
        ),
        (
            "[[allow]]\nname = \"x\"\nscp = { download = [\"/srv\"] }\ntrailing_args = true",
            "p.toml:1:1: `trailing_args` belongs to `command` rules; the `scp` table parses the arguments itself",
        ),
        (
            "[[allow]]\nname = \"x\"\nsftp = { read = [\"/srv\"] }\n[allow.sandbox]\nwrite = [\"/tmp\"]",
            "p.toml:5:10: `write` in the sandbox of a `sftp` rule: a tool rule derives its paths from its table; list them there",
        ),
        (
            "[[allow]]\nname = \"x\"\nrsync = { send = [\"/srv\"], delet = true }",
            "p.toml:3:28: unknown key `delet`, did you mean `delete`? (expected one of `program`, `send`, `receive`, `delete`, `devices`, `links`, `deltas`, `files_from`, `log_file`)",
        ),
        ("x = [", "p.toml:1:6: unclosed array, expected `]`"),
    ];
    let mut failures = Vec::new();
    for (text, expected) in cases {
        let actual = error_of(text);
        if actual != *expected {
            failures.push(format!(
                "input:    {text:?}\nexpected: {expected}\nactual:   {actual}\n"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
