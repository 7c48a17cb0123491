//! `decide` on an arbitrary command against every shipped profile: an
//! allowed plan grants only what the profile names.
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sshgate::decide::{Decision, decide};
use sshgate::policy::{LoadedPolicy, parse};
use sshgate::request::{Accounts, CommandLine, Connection, Request, User};
use sshgate_fuzz::assert_plan_grants_only_named;

fn shipped() -> &'static [LoadedPolicy] {
    static SHIPPED: OnceLock<Vec<LoadedPolicy>> = OnceLock::new();
    SHIPPED.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies");
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("policies/")
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
            .collect();
        paths.sort();
        paths
            .into_iter()
            .map(|path| {
                let text = std::fs::read_to_string(&path).expect("policy text");
                parse(&path, text).expect("shipped policy parses")
            })
            .collect()
    })
}

fn request(data: &[u8], loaded: &LoadedPolicy) -> Request {
    let key = loaded
        .policy
        .keys
        .as_ref()
        .and_then(|keys| keys.first())
        .map(|key| key.as_str().to_owned());
    Request {
        command: CommandLine::parse(Some(data.to_vec())),
        connection: Connection::from_env_values(Some("192.0.2.10 50022 192.0.2.1 22"), None),
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

fuzz_target!(|data: &[u8]| {
    for loaded in shipped() {
        if let Decision::Allow { plan, .. } = decide(loaded, &request(data, loaded)) {
            assert_plan_grants_only_named(loaded, &plan);
        }
    }
});
