//! The policy loader on arbitrary text: it answers, and a policy it
//! accepts has only well-formed rules.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use sshgate::policy::parse;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(loaded) = parse(Path::new("fuzz.toml"), text.to_owned()) {
        for rule in &loaded.policy.allow {
            assert!(rule.get_ref().action().is_ok());
            assert!(rule.get_ref().program().is_some());
        }
    }
});
