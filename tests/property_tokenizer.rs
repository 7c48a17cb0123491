//! Properties of the command tokenizer, over generated input: what it
//! accepts is exactly words, and re-quoting them gives them back.

use proptest::prelude::*;
use sshgate::request::tokenize::split;

/// `word` quoted for sh with single quotes, `'` written as `'\''`.
fn quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', "'\\''"))
}

fn requote(argv: &[String]) -> String {
    argv.iter()
        .map(|word| quote(word))
        .collect::<Vec<_>>()
        .join(" ")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Any words without control characters, single-quoted and joined,
    /// split back into exactly those words.
    #[test]
    fn quoting_any_argv_and_splitting_it_gives_it_back(
        argv in prop::collection::vec("[^\\x00-\\x1f\\x7f]{0,12}", 1..6)
    ) {
        prop_assert_eq!(split(requote(&argv).as_bytes()), Ok(argv));
    }

    /// Whatever printable command the tokenizer accepts is a non-empty
    /// list of words that survives re-quoting unchanged; nothing it accepts
    /// depended on shell syntax to mean what it means.
    #[test]
    fn whatever_is_accepted_survives_requoting(command in "[ -~\\t]{0,40}") {
        if let Ok(argv) = split(command.as_bytes()) {
            prop_assert!(!argv.is_empty());
            prop_assert_eq!(split(requote(&argv).as_bytes()), Ok(argv));
        }
    }

    /// Shell operators outside quotes are never accepted, wherever they
    /// stand in a word.
    #[test]
    fn an_unquoted_operator_is_always_refused(
        before in "[a-z/.-]{0,8}",
        operator in prop::sample::select(vec![";", "&", "|", "<", ">", "(", ")", "`", "$", "*", "?", "["]),
        after in "[a-z/.-]{0,8}",
    ) {
        let command = format!("ls {before}{operator}{after}");
        prop_assert!(split(command.as_bytes()).is_err(), "{command}");
    }

    /// Arbitrary bytes never make the tokenizer panic.
    #[test]
    fn arbitrary_bytes_are_split_or_refused(command in prop::collection::vec(any::<u8>(), 0..64)) {
        let _ = split(&command);
    }
}
