//! Micro-benchmarks of the gate's pure steps, the part of a request that
//! is ours rather than the kernel's: splitting the command, loading the
//! policy, and deciding. `cargo bench` runs them; `cargo xtask bench`
//! measures the whole process against a bare exec.

use std::path::Path;

use sshgate::decide::{Decision, decide};
use sshgate::policy::{LoadedPolicy, parse};
use sshgate::request::{Accounts, CommandLine, Connection, Request, User, tokenize};

fn main() {
    divan::main();
}

/// What a real rsync pull sends (captured in tests/client_strings.rs).
const RSYNC_PULL: &str = "rsync --server --sender -logDtprze.iLsfxCIvu . /srv/backup/";

/// A realistic profile: ten rules of every kind, a `from` list and keys.
const TEN_RULES: &str = r#"
from = ["192.0.2.0/24", "198.51.100.7", "2001:db8::/64"]
keys = ["backup01", "ops"]
log = "/var/log/sshgate.log"

[sandbox]
read = ["/srv"]
rlimits = { nofile = 1024 }

[[allow]]
name = "disk-free"
command = ["/usr/bin/df", "-h"]

[[allow]]
name = "uptime"
command = ["/usr/bin/uptime"]

[[allow]]
name = "list"
command = ["/usr/bin/ls", "-l", { regex = "/srv/[a-z0-9/_-]+" }]

[[allow]]
name = "dump"
command = ["/usr/bin/pg_dump", "--format=custom", { regex = "[a-z_]+" }]
[allow.sandbox]
read = ["/var/lib/postgresql"]

[[allow]]
name = "cat-logs"
command = ["/usr/bin/cat", { regex = "/var/log/[a-z]+\\.log" }]

[[allow]]
name = "sum"
command = ["/usr/bin/sha256sum"]
trailing_args = true

[[allow]]
name = "stat"
command = ["/usr/bin/stat", "-c", "%s", { regex = "/srv/.+" }]

[[allow]]
name = "receive"
command = ["/usr/bin/rsync", "--server", { regex = "-[a-zA-Z.]+" }, ".", { regex = "/srv/in/.*" }]
[allow.sandbox]
write = ["/srv/in"]

[[allow]]
name = "true"
command = ["/usr/bin/true"]

[[allow]]
name = "pull"
command = ["/usr/bin/rsync", "--server", "--sender"]
trailing_args = true
"#;

fn loaded() -> LoadedPolicy {
    parse(Path::new("bench.toml"), TEN_RULES.to_owned()).expect("the profile parses")
}

fn request(command: &str) -> Request {
    Request {
        command: CommandLine::parse(Some(command.as_bytes().to_vec())),
        connection: Connection::from_env_values(Some("192.0.2.10 50022 192.0.2.1 22"), None),
        key: Some("backup01".to_owned()),
        user: User {
            name: "backup".into(),
            uid: 1001,
            home: "/home/backup".into(),
            shell: "/bin/sh".into(),
        },
        accounts: Accounts::default(),
        gate_capabilities: Vec::new(),
        program: None,
    }
}

#[divan::bench]
fn tokenize_rsync_pull() -> usize {
    tokenize::split(divan::black_box(RSYNC_PULL.as_bytes()))
        .map(|argv| argv.len())
        .unwrap_or(0)
}

#[divan::bench]
fn load_ten_rule_policy() -> LoadedPolicy {
    parse(
        Path::new("bench.toml"),
        divan::black_box(TEN_RULES.to_owned()),
    )
    .expect("parses")
}

#[divan::bench]
fn decide_last_rule(bencher: divan::Bencher) {
    let loaded = loaded();
    let request = request(RSYNC_PULL);
    bencher.bench(|| {
        let decision = decide(divan::black_box(&loaded), divan::black_box(&request));
        assert!(matches!(decision, Decision::Allow { .. }));
        decision
    });
}

#[divan::bench]
fn decide_no_match(bencher: divan::Bencher) {
    let loaded = loaded();
    let request = request("/usr/bin/sh -c id");
    bencher.bench(|| decide(divan::black_box(&loaded), divan::black_box(&request)));
}
