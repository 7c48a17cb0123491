//! The decision, table-tested: `decide` is pure, so every case is a policy
//! text, a request and the expected outcome.

use std::path::{Path, PathBuf};

use sshgate::decide::{Access, Decision, GrantOrigin, LimitKind, decide};
use sshgate::policy::CapabilityName;
use sshgate::policy::{LoadedPolicy, parse};
use sshgate::request::{Account, Accounts, CommandLine, Connection, Request, User};

const POLICY: &str = r#"
from = ["192.0.2.0/24", "2001:db8::/64"]
keys = ["backup01", "ops"]

[sandbox]
read = ["/srv"]
env = { LANG = "C.UTF-8" }

[[allow]]
name = "disk-free"
command = ["/usr/bin/df", "-h"]

[[allow]]
name = "list"
command = ["/usr/bin/ls"]
trailing_args = true

[[allow]]
name = "dump-one-db"
command = ["/usr/bin/pg_dump", "--format=custom", { regex = "[a-z_]+" }]
[allow.sandbox]
read = ["/var/lib/postgresql"]
write = ["/var/backups"]
chdir = "/var/backups"

[[allow]]
name = "dump-any"
command = ["/usr/bin/pg_dump"]
trailing_args = true
[allow.sandbox]
user = "postgres"

[[allow]]
name = "net"
command = ["/usr/bin/curl"]
[allow.sandbox]
network = "any"
"#;

fn request(command: Option<&str>, from: Option<&str>, key: Option<&str>) -> Request {
    Request {
        command: CommandLine::parse(command.map(|c| c.as_bytes().to_vec())),
        connection: from.and_then(|address| {
            Connection::from_env_values(Some(&format!("{address} 50022 192.0.2.1 22")), None)
        }),
        key: key.map(str::to_owned),
        user: User {
            name: "backup".into(),
            uid: 1001,
            home: PathBuf::from("/home/backup"),
            shell: PathBuf::from("/bin/sh"),
        },
        accounts: Accounts::from_accounts([Account {
            user: User {
                name: "postgres".into(),
                uid: 106,
                home: PathBuf::from("/var/lib/postgresql"),
                shell: PathBuf::from("/bin/bash"),
            },
            gid: 110,
            groups: vec![110, 109],
        }]),
        gate_capabilities: Vec::new(),
        program: None,
    }
}

fn outcome(command: Option<&str>, from: Option<&str>, key: Option<&str>) -> Result<String, String> {
    let loaded = parse(Path::new("t.toml"), POLICY.to_owned()).unwrap();
    match decide(&loaded, &request(command, from, key)) {
        Decision::Allow { rule, .. } => Ok(rule),
        Decision::Deny { reason, .. } => Err(reason.to_string()),
    }
}

const OK_FROM: Option<&str> = Some("192.0.2.10");
const OK_KEY: Option<&str> = Some("backup01");

/// Command, client address, key, and the rule that allows or the reason that denies.
type Case = (
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
    Result<String, String>,
);

#[test]
fn decisions_table() {
    let allow = |rule: &str| Ok::<String, String>(rule.to_owned());
    let deny = |reason: &str| Err::<String, String>(reason.to_owned());
    let cases: Vec<Case> = vec![
        (Some("df -h"), OK_FROM, OK_KEY, allow("disk-free")),
        (Some("/usr/bin/df -h"), OK_FROM, OK_KEY, allow("disk-free")),
        (
            Some("/usr/bin/df   '-h'"),
            OK_FROM,
            OK_KEY,
            allow("disk-free"),
        ),
        (
            Some("/tmp/df -h"),
            OK_FROM,
            OK_KEY,
            deny("no rule allows \"/tmp/df -h\""),
        ),
        (
            Some("/bin/df -h"),
            OK_FROM,
            OK_KEY,
            deny("no rule allows \"/bin/df -h\""),
        ),
        (
            Some("df -h /"),
            OK_FROM,
            OK_KEY,
            deny("no rule allows \"df -h /\""),
        ),
        (Some("df"), OK_FROM, OK_KEY, deny("no rule allows \"df\"")),
        (Some("ls"), OK_FROM, OK_KEY, allow("list")),
        (Some("ls -la /srv 'a b'"), OK_FROM, OK_KEY, allow("list")),
        (
            Some("pg_dump --format=custom sales"),
            OK_FROM,
            OK_KEY,
            allow("dump-one-db"),
        ),
        (
            Some("pg_dump --format=custom 'sales;x'"),
            OK_FROM,
            OK_KEY,
            deny(
                "rule \"dump-any\" runs as user \"postgres\", but sshgate runs as uid 1001, not root, and cannot switch users",
            ),
        ),
        (Some("curl"), OK_FROM, OK_KEY, allow("net")),
        (
            Some("cat /etc/shadow"),
            OK_FROM,
            OK_KEY,
            deny("no rule allows \"cat /etc/shadow\""),
        ),
        (
            Some("echo a; sh"),
            OK_FROM,
            OK_KEY,
            deny("cannot parse command: unquoted ';' at byte 6: shell operators are not allowed"),
        ),
        (
            None,
            OK_FROM,
            OK_KEY,
            deny("no command given: interactive logins are not allowed with this key"),
        ),
        (
            Some("df -h"),
            Some("198.51.100.7"),
            OK_KEY,
            deny("client address 198.51.100.7 is not in the profile's `from`"),
        ),
        (
            Some("df -h"),
            Some("::ffff:192.0.2.99"),
            OK_KEY,
            allow("disk-free"),
        ),
        (
            Some("df -h"),
            Some("2001:db8::42"),
            OK_KEY,
            allow("disk-free"),
        ),
        (
            Some("df -h"),
            Some("2001:db8:1::42"),
            OK_KEY,
            deny("client address 2001:db8:1::42 is not in the profile's `from`"),
        ),
        (
            Some("df -h"),
            None,
            OK_KEY,
            deny(
                "client address unknown (SSH_CONNECTION unset or malformed; SSH_CLIENT is read only when SSH_CONNECTION is unset) and the profile restricts `from`",
            ),
        ),
        (
            Some("df -h"),
            OK_FROM,
            None,
            deny("the profile restricts `keys` but sshgate was started without --key"),
        ),
        (
            Some("df -h"),
            OK_FROM,
            Some("laptop"),
            deny("key \"laptop\" is not in the profile's `keys`"),
        ),
        (Some("df -h"), OK_FROM, Some("ops"), allow("disk-free")),
    ];
    let mut failures = Vec::new();
    for (command, from, key, expected) in cases {
        let actual = outcome(command, from, key);
        if actual != expected {
            failures.push(format!("{command:?} from {from:?} key {key:?}\n  expected {expected:?}\n  actual   {actual:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_near_miss_names_the_closest_rule() {
    let loaded = parse(Path::new("t.toml"), POLICY.to_owned()).unwrap();
    let Decision::Deny { closest, .. } = decide(&loaded, &request(Some("df -a"), OK_FROM, OK_KEY))
    else {
        panic!("df -a was allowed");
    };
    let closest = closest.expect("a closest rule");
    assert_eq!(closest.rule, "disk-free");
    assert_eq!(closest.detail, "expects \"-h\" as argument 1, got \"-a\"");
}

#[test]
fn the_plan_runs_the_rule_path_with_a_fresh_environment() {
    let loaded = parse(Path::new("t.toml"), POLICY.to_owned()).unwrap();
    let Decision::Allow { plan, .. } = decide(
        &loaded,
        &request(Some("pg_dump --format=custom sales"), OK_FROM, OK_KEY),
    ) else {
        panic!("denied");
    };
    assert_eq!(plan.program, PathBuf::from("/usr/bin/pg_dump"));
    assert_eq!(plan.argv, ["/usr/bin/pg_dump", "--format=custom", "sales"]);
    assert_eq!(plan.chdir, PathBuf::from("/var/backups"));
    let env: Vec<String> = plan.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
    assert_eq!(
        env,
        [
            "HOME=/home/backup",
            "LANG=C.UTF-8",
            "LOGNAME=backup",
            "PATH=/usr/local/bin:/usr/bin:/bin",
            "SHELL=/bin/sh",
            "SSH_CONNECTION=192.0.2.10 50022 192.0.2.1 22",
            "USER=backup",
        ]
    );
    let policy_grants: Vec<(String, Access)> = plan
        .filesystem
        .iter()
        .filter(|g| g.origin != GrantOrigin::SystemBase)
        .map(|g| (g.path.display().to_string(), g.access))
        .collect();
    assert_eq!(
        policy_grants,
        [
            ("/usr/bin/pg_dump".to_owned(), Access::Execute),
            ("/var/lib/postgresql".to_owned(), Access::Read),
            ("/var/backups".to_owned(), Access::ReadWrite),
        ],
        "the rule's read replaces the profile's /srv"
    );
    let base: Vec<String> = plan
        .filesystem
        .iter()
        .filter(|g| g.origin == GrantOrigin::SystemBase)
        .map(|g| g.path.display().to_string())
        .collect();
    assert!(base.contains(&"/usr".to_owned()) && base.contains(&"/etc/ld.so.cache".to_owned()));
    for forbidden in ["/etc", "/etc/shadow", "/home/backup", "/root", "/proc"] {
        assert!(
            !base.contains(&forbidden.to_owned()),
            "system base grants {forbidden}"
        );
    }
    assert!(
        plan.filesystem
            .iter()
            .filter(|g| g.access == Access::Execute)
            .count()
            == 1,
        "only the program is executable before interpreter resolution"
    );
}

#[test]
fn default_chdir_is_the_users_home() {
    let loaded = parse(Path::new("t.toml"), POLICY.to_owned()).unwrap();
    let Decision::Allow { plan, .. } = decide(&loaded, &request(Some("df -h"), OK_FROM, OK_KEY))
    else {
        panic!("denied");
    };
    assert_eq!(plan.chdir, PathBuf::from("/home/backup"));
}

#[test]
fn origin_is_checked_before_the_command_is_parsed() {
    assert_eq!(
        outcome(Some("ls; id"), Some("198.51.100.7"), OK_KEY),
        Err("client address 198.51.100.7 is not in the profile's `from`".to_owned())
    );
    assert_eq!(
        outcome(None, OK_FROM, Some("laptop")),
        Err("key \"laptop\" is not in the profile's `keys`".to_owned())
    );
}

#[test]
fn a_long_command_is_quoted_only_in_part() {
    let long = format!("cat {}", "a".repeat(70_000));
    let reason = outcome(Some(&long[..60_000]), OK_FROM, OK_KEY).unwrap_err();
    assert_eq!(
        reason,
        format!(
            "no rule allows \"cat {}... (60000 bytes)\"",
            "a".repeat(196)
        )
    );
}

#[test]
fn the_plan_protects_the_policy_file_and_its_log() {
    let text =
        "log = \"/var/log/sshgate.log\"\n[[allow]]\nname = \"df\"\ncommand = [\"/usr/bin/df\"]\n";
    let loaded = sshgate::policy::LoadedPolicy {
        location: Some(PathBuf::from("/etc/sshgate/backup.toml")),
        ..parse(Path::new("backup.toml"), text.to_owned()).unwrap()
    };
    let Decision::Allow { plan, .. } = decide(&loaded, &request(Some("df"), None, None)) else {
        panic!("denied");
    };
    assert_eq!(
        plan.protected,
        [
            PathBuf::from("/etc/sshgate/backup.toml"),
            PathBuf::from("/var/log/sshgate.log")
        ]
    );
}

/// A profile that switches to postgres and keeps a capability.
const PRIVILEGED: &str = r#"
[sandbox]
user = "postgres"
capabilities = ["dac_read_search"]
rlimits = { nofile = 128, as = "2G" }
umask = "0027"

[[allow]]
name = "dump"
command = ["/usr/bin/pg_dump"]
"#;

fn root_request(command: &str, capabilities: &[&str]) -> Request {
    let mut request = request(Some(command), None, None);
    request.user = User {
        name: "root".into(),
        uid: 0,
        home: PathBuf::from("/root"),
        shell: PathBuf::from("/bin/bash"),
    };
    request.gate_capabilities = capabilities
        .iter()
        .map(|name| CapabilityName::parse(name).unwrap())
        .collect();
    request
}

#[test]
fn a_root_gate_plans_the_switch_with_the_target_environment() {
    let loaded = parse(Path::new("t.toml"), PRIVILEGED.to_owned()).unwrap();
    let request = root_request("pg_dump", &["CAP_DAC_READ_SEARCH", "CAP_SETUID"]);
    let Decision::Allow { plan, .. } = decide(&loaded, &request) else {
        panic!("denied");
    };
    let identity = plan.identity.expect("a switch");
    assert_eq!(
        (identity.user.as_str(), identity.uid, identity.gid),
        ("postgres", 106, 110)
    );
    assert_eq!(identity.groups, [110, 109]);
    assert_eq!(plan.env["HOME"], "/var/lib/postgresql");
    assert_eq!(plan.env["USER"], "postgres");
    assert_eq!(plan.env["LOGNAME"], "postgres");
    assert_eq!(plan.env["SHELL"], "/bin/bash");
    assert_eq!(plan.chdir, PathBuf::from("/var/lib/postgresql"));
    assert_eq!(plan.capabilities.len(), 1);
    assert_eq!(plan.capabilities[0].to_string(), "CAP_DAC_READ_SEARCH");
    assert_eq!(plan.umask, 0o027);
    let limits: Vec<(LimitKind, Option<u64>)> = plan
        .rlimits
        .iter()
        .map(|limit| (limit.resource, limit.value))
        .collect();
    assert_eq!(
        limits,
        [
            (LimitKind::Nofile, Some(128)),
            (LimitKind::As, Some(2 << 30))
        ]
    );
}

#[test]
fn a_capability_the_gate_lacks_is_a_denial() {
    let loaded = parse(Path::new("t.toml"), PRIVILEGED.to_owned()).unwrap();
    let request = root_request("pg_dump", &["CAP_SETUID"]);
    let Decision::Deny { reason, .. } = decide(&loaded, &request) else {
        panic!("allowed");
    };
    assert_eq!(
        reason.to_string(),
        "rule \"dump\" keeps CAP_DAC_READ_SEARCH, which sshgate (uid 0) does not hold, so the command cannot have it"
    );
}

#[test]
fn an_unknown_user_is_a_denial() {
    let text =
        "[sandbox]\nuser = \"ghost\"\n[[allow]]\nname = \"df\"\ncommand = [\"/usr/bin/df\"]\n";
    let loaded = parse(Path::new("t.toml"), text.to_owned()).unwrap();
    let request = root_request("df", &[]).with_accounts_for(&loaded.policy);
    let Decision::Deny { reason, .. } = decide(&loaded, &request) else {
        panic!("allowed");
    };
    assert_eq!(
        reason.to_string(),
        "rule \"df\": user \"ghost\" does not exist on this host"
    );
}

#[test]
fn a_non_root_gate_may_name_its_own_user() {
    let text =
        "[sandbox]\nuser = \"postgres\"\n[[allow]]\nname = \"df\"\ncommand = [\"/usr/bin/df\"]\n";
    let loaded = parse(Path::new("t.toml"), text.to_owned()).unwrap();
    let mut request = request(Some("df"), None, None);
    request.user.uid = 106;
    let Decision::Allow { plan, .. } = decide(&loaded, &request) else {
        panic!("denied");
    };
    assert_eq!(plan.identity, None, "no switch for the gate's own uid");
    assert_eq!(plan.env["HOME"], "/var/lib/postgresql");
}

#[test]
fn a_pattern_too_large_to_compile_is_refused_at_load() {
    let text = "[[allow]]\nname = \"huge\"\ncommand = [\"/usr/bin/echo\", { regex = \"(?:a{1000}){1000}\" }]\n";
    let error = parse(Path::new("t.toml"), text.to_owned())
        .expect_err("a policy with a regex over the size limit");
    assert_eq!(
        error.to_string(),
        "t.toml:3:29: invalid regex \"(?:a{1000}){1000}\": Compiled regex exceeds size limit of 10485760 bytes."
    );
}

#[test]
fn a_rule_whose_pattern_cannot_compile_denies_rather_than_falling_through() {
    // Only a policy deserialized without the load-time check can hold such
    // a pattern; should one get through, the later, wider rule must not
    // run what the first rule was written for.
    let text = "[[allow]]\nname = \"huge\"\ncommand = [\"/usr/bin/echo\", { regex = \"(?:a{1000}){1000}\" }]\n\n[[allow]]\nname = \"any-echo\"\ncommand = [\"/usr/bin/echo\"]\ntrailing_args = true\n";
    let loaded = LoadedPolicy {
        path: PathBuf::from("t.toml"),
        location: None,
        text: text.to_owned(),
        policy: toml::from_str(text).expect("the schema accepts it"),
    };
    let Decision::Deny { reason, .. } = decide(&loaded, &request(Some("echo aaa"), None, None))
    else {
        panic!("allowed past a rule that could not be checked");
    };
    assert_eq!(
        reason.to_string(),
        "rule \"huge\" cannot be checked: argument 1: invalid regex \"(?:a{1000}){1000}\": Compiled regex exceeds size limit of 10485760 bytes."
    );
}

const TOOL_METADATA: &str = r#"
[sandbox]
metadata = true

[[allow]]
name = "upload"
sftp = { write = ["/srv/in"] }

[[allow]]
name = "upload-as-postgres"
scp = { upload = ["/srv/in"] }
[allow.sandbox]
user = "postgres"
"#;

#[test]
fn a_tool_rule_with_metadata_is_refused_when_it_would_run_as_root() {
    let loaded = parse(Path::new("t.toml"), TOOL_METADATA.to_owned()).unwrap();
    let as_root = decide(&loaded, &root_request("/usr/lib/openssh/sftp-server", &[]));
    let Decision::Deny { reason, .. } = as_root else {
        panic!("allowed: {as_root:?}");
    };
    assert_eq!(
        reason.to_string(),
        "rule \"upload\" (sftp) has metadata = true and would run as root: a client could change the mode of any file on the host through a symlink; set `user` to an unprivileged account"
    );
    // The same rule for an unprivileged gate, and a root gate switching to
    // an account, are allowed.
    let as_backup = decide(
        &loaded,
        &request(Some("/usr/lib/openssh/sftp-server"), None, None),
    );
    assert!(matches!(as_backup, Decision::Allow { .. }), "{as_backup:?}");
    let switched = decide(&loaded, &root_request("scp -t /srv/in", &[]));
    let Decision::Allow { rule, plan } = switched else {
        panic!("denied: {switched:?}");
    };
    assert_eq!(rule, "upload-as-postgres");
    assert!(plan.metadata);
    assert_eq!(plan.identity.map(|identity| identity.uid), Some(106));
}
