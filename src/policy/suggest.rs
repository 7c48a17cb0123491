//! "Did you mean ...?" for a misspelt key in a policy.
//!
//! serde refuses an unknown key with the list of keys it expected; the
//! closest of them, if it is close, is almost always what was meant, and
//! naming it saves a trip to the reference.

/// serde's refusal of an unknown field, worded for a policy's reader (a
/// TOML *key*), with the expected name it most likely meant put first:
/// "unknown key `raed`, did you mean `read`? (expected one of ...)". An
/// unknown variant gets the same suggestion; any other message is
/// returned unchanged.
pub fn with_suggestion(message: &str) -> String {
    let message = match message.strip_prefix("unknown field ") {
        Some(rest) => format!("unknown key {rest}"),
        None => message.to_owned(),
    };
    let Some(closest) = suggestion(&message) else {
        return message;
    };
    match message.split_once(", expected ") {
        Some((unknown, expected)) => {
            format!("{unknown}, did you mean `{closest}`? (expected {expected})")
        }
        None => message,
    }
}

/// The expected name closest to the unknown one in serde's message, if any
/// is close enough to be a typo.
fn suggestion(message: &str) -> Option<&str> {
    let rest = message
        .strip_prefix("unknown key `")
        .or_else(|| message.strip_prefix("unknown variant `"))?;
    let (unknown, rest) = rest.split_once('`')?;
    let expected = rest
        .strip_prefix(", expected one of ")
        .or_else(|| rest.strip_prefix(", expected "))?;
    // Serde quotes each name in backticks and separates them with ", "
    // (and " or " before the last, for two).
    let candidates = expected
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|name| !name.is_empty());
    // One edit in four characters, at least one: `raed` -> `read`,
    // `trailing_arg` -> `trailing_args`, not `log` -> `env`.
    let allowed = (unknown.chars().count() / 4).max(1);
    candidates
        .map(|name| (edit_distance(unknown, name), name))
        .filter(|(distance, _)| *distance <= allowed)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, name)| name)
}

/// Levenshtein distance with adjacent transpositions counted as one edit
/// (optimal string alignment), over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let width = b.len() + 1;
    let mut table = vec![0usize; (a.len() + 1) * width];
    for (i, cell) in table.iter_mut().step_by(width).enumerate() {
        *cell = i;
    }
    for (j, cell) in table.iter_mut().take(width).enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let substitution = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (table[(i - 1) * width + j] + 1)
                .min(table[i * width + j - 1] + 1)
                .min(table[(i - 1) * width + j - 1] + substitution);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(table[(i - 2) * width + j - 2] + 1);
            }
            table[i * width + j] = best;
        }
    }
    table[a.len() * width + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_close_typo_gets_the_key_it_meant() {
        let cases = [
            (
                "unknown field `raed`, expected one of `read`, `write`, `exec`",
                "unknown key `raed`, did you mean `read`? (expected one of `read`, `write`, `exec`)",
            ),
            (
                "unknown field `trailing_arg`, expected one of `name`, `command`, `trailing_args`",
                "unknown key `trailing_arg`, did you mean `trailing_args`? (expected one of `name`, `command`, `trailing_args`)",
            ),
            (
                "unknown field `regx`, expected `regex`",
                "unknown key `regx`, did you mean `regex`? (expected `regex`)",
            ),
            (
                "unknown variant `best_effort`, expected `enforce` or `best-effort`",
                "unknown variant `best_effort`, did you mean `best-effort`? (expected `enforce` or `best-effort`)",
            ),
        ];
        for (message, expected) in cases {
            assert_eq!(with_suggestion(message), expected);
        }
    }

    #[test]
    fn a_distant_name_or_another_message_is_left_alone() {
        let cases = [
            (
                "unknown field `log`, expected one of `env`, `user`",
                "unknown key `log`, expected one of `env`, `user`",
            ),
            (
                "unknown field `x`, expected one of `read`, `write`",
                "unknown key `x`, expected one of `read`, `write`",
            ),
            (
                "invalid type: integer `1`, expected a string",
                "invalid type: integer `1`, expected a string",
            ),
            ("unknown field `raed`", "unknown key `raed`"),
        ];
        for (message, expected) in cases {
            assert_eq!(with_suggestion(message), expected);
        }
    }

    #[test]
    fn edit_distance_counts_a_swap_as_one_edit() {
        assert_eq!(edit_distance("raed", "read"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }
}
