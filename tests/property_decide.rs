//! A property of `decide` over generated commands against every shipped
//! profile: an allowed plan grants nothing the policy did not name, beyond
//! the system base every plan gets and the rule's own program.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use proptest::prelude::*;
use sshgate::decide::{Decision, GrantOrigin, decide};
use sshgate::policy::tool::Tool;
use sshgate::policy::{LoadedPolicy, parse};
use sshgate::request::{Accounts, CommandLine, Connection, Request, User};

/// Words commands are built from: the shipped profiles' programs and
/// paths, their tools' server words, and things no rule should allow.
const WORDS: &[&str] = &[
    "rsync",
    "--server",
    "--sender",
    "-logDtpre.iLsfxCIvu",
    "-re.iLsfxCIvu",
    ".",
    "/srv",
    "/srv/www",
    "/etc",
    "/etc/ssh",
    "/srv/pub",
    "/srv/export",
    "/srv/export/report.pdf",
    "/srv/incoming/web01",
    "/srv/git/project.git",
    "/srv/borg/host1",
    "scp",
    "-f",
    "-t",
    "-r",
    "-p",
    "/usr/lib/openssh/sftp-server",
    "internal-sftp",
    "git-upload-pack",
    "git-receive-pack",
    "borg",
    "serve",
    "--info",
    "--restrict-to-path=/",
    "df",
    "-h",
    "cat",
    "/proc/loadavg",
    "/etc/shadow",
    "uname",
    "-a",
    "/usr/share/doc/rsync/",
    "..",
    "/srv/../etc",
    "--delete",
    "sh",
    "-c",
];

/// The shipped profiles, parsed once for all cases.
fn shipped() -> &'static [(String, LoadedPolicy)] {
    static SHIPPED: OnceLock<Vec<(String, LoadedPolicy)>> = OnceLock::new();
    SHIPPED.get_or_init(parse_shipped)
}

fn parse_shipped() -> Vec<(String, LoadedPolicy)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
    let mut policies: Vec<(String, LoadedPolicy)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, parse(&path, text).unwrap())
        })
        .collect();
    policies.sort_by(|a, b| a.0.cmp(&b.0));
    policies
}

/// Every path a profile names for a grant: its sandboxes' lists and its
/// tool tables' paths, plus what a tool derives without a path being
/// written (git's exec-path, sftp's system log socket).
fn named_paths(loaded: &LoadedPolicy) -> Vec<PathBuf> {
    let policy = &loaded.policy;
    let mut named = Vec::new();
    for rule in &policy.allow {
        let rule = rule.get_ref();
        let sandbox = policy.sandbox_for(rule);
        for list in [&sandbox.read, &sandbox.write, &sandbox.exec] {
            for path in list.iter().flatten() {
                named.push(path.get_ref().as_path().to_path_buf());
            }
        }
        match rule.tool() {
            Some(Tool::Git(git)) => named.push(
                git.exec_path
                    .as_ref()
                    .map_or(PathBuf::from("/usr/lib/git-core"), |p| {
                        p.get_ref().as_path().to_path_buf()
                    }),
            ),
            Some(Tool::Sftp(sftp)) if sftp.log => named.push(PathBuf::from("/dev/log")),
            _ => {}
        }
    }
    named
}

fn request(command: &str, loaded: &LoadedPolicy) -> Request {
    let key = loaded
        .policy
        .keys
        .as_ref()
        .and_then(|keys| keys.first())
        .map(|key| key.as_str().to_owned());
    let from = loaded
        .policy
        .from
        .as_ref()
        .and_then(|from| from.first())
        .map_or("127.0.0.1".to_owned(), |cidr| {
            cidr.to_string()
                .split('/')
                .next()
                .unwrap_or("127.0.0.1")
                .to_owned()
        });
    Request {
        command: CommandLine::parse(Some(command.as_bytes().to_vec())),
        connection: Connection::from_env_values(Some(&format!("{from} 50022 192.0.2.1 22")), None),
        key,
        user: User {
            name: "backup".into(),
            uid: 1001,
            home: PathBuf::from("/home/backup"),
            shell: PathBuf::from("/bin/sh"),
        },
        accounts: Accounts::from_accounts([]),
        gate_capabilities: Vec::new(),
        program: None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn an_allowed_plan_grants_only_what_the_policy_names(
        picks in prop::collection::vec(0..WORDS.len(), 1..7),
    ) {
        let command = picks.iter().map(|&i| WORDS[i]).collect::<Vec<_>>().join(" ");
        for (name, loaded) in shipped() {
            let Decision::Allow { plan, .. } = decide(loaded, &request(&command, loaded)) else {
                continue;
            };
            let named = named_paths(loaded);
            let programs: Vec<&Path> = loaded
                .policy
                .allow
                .iter()
                .filter_map(|rule| rule.get_ref().program().map(|(program, _)| program))
                .collect();
            for grant in &plan.filesystem {
                match grant.origin {
                    GrantOrigin::SystemBase => {}
                    GrantOrigin::Program => {
                        prop_assert!(programs.contains(&grant.path.as_path()), "{name}: {grant:?}");
                    }
                    GrantOrigin::Policy | GrantOrigin::Tool => prop_assert!(
                        named.iter().any(|root| grant.path.starts_with(root)),
                        "{name}: `{command}` was granted {grant:?}, which the policy does not name"
                    ),
                    GrantOrigin::Interpreter => {
                        prop_assert!(false, "{name}: decide added an interpreter: {grant:?}");
                    }
                }
            }
        }
    }
}
