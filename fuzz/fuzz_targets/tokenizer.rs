//! The tokenizer: what it accepts re-quotes to the same words.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sshgate::request::tokenize::split;
use sshgate_fuzz::quote;

fuzz_target!(|data: &[u8]| {
    if let Ok(argv) = split(data) {
        assert!(!argv.is_empty());
        let requoted = argv.iter().map(|w| quote(w)).collect::<Vec<_>>().join(" ");
        assert_eq!(
            split(requoted.as_bytes()),
            Ok(argv),
            "{:?}",
            String::from_utf8_lossy(data)
        );
    }
});
