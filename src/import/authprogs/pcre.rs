//! authprogs' `pcre_match` regexes, turned into per-argument patterns where
//! that is exact.
//!
//! authprogs runs Python's `re.search(REGEX, SSH_ORIGINAL_COMMAND)` over the
//! whole command string. sshgate matches each argument alone, anchored. The
//! two agree when the regex is anchored at both ends, is a sequence of
//! pieces joined by single literal spaces at its top level, and no piece can
//! match whitespace or nothing at all (a piece that could would let one
//! authprogs match span two words, or none). Anything else is left for a
//! human: the caller emits the rule commented out.
//!
//! The regex is also restricted to the syntax on which Python's `re` and
//! Rust's `regex` agree, so that a pattern cannot mean one thing to
//! authprogs and another to sshgate: no flags groups, no nested or POSIX
//! classes, no set operations, and only escapes both read alike.

use regex_syntax::hir::{Class, Hir, HirKind};

/// One argument of the converted command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    /// The argument must be exactly this text.
    Literal(String),
    /// The argument must match this regex as a whole.
    Regex(String),
}

/// Characters Python's `str.split()` splits on, which is how authprogs
/// turned the matched command into argv.
fn is_python_space(c: char) -> bool {
    matches!(c, '\t'..='\r' | '\x1c'..='\x1f' | ' ' | '\u{85}' | '\u{a0}' | '\u{1680}'
        | '\u{2000}'..='\u{200a}' | '\u{2028}' | '\u{2029}' | '\u{202f}' | '\u{205f}' | '\u{3000}')
}

/// Splits an authprogs `pcre_match` regex into per-argument patterns, or
/// says why that would not be exact.
pub fn convert(regex: &str) -> Result<Vec<Arg>, String> {
    let body = regex
        .strip_prefix('^')
        .or_else(|| regex.strip_prefix("\\A"))
        .ok_or("not anchored with `^` at the start: authprogs found it anywhere in the command")?;
    let body = strip_end_anchor(body)
        .ok_or("not anchored with `$` at the end: authprogs accepted anything after a match")?;
    let pieces = split_top_level(body)?;
    let mut args = Vec::with_capacity(pieces.len());
    for (index, piece) in pieces.iter().enumerate() {
        let label = match index {
            0 => format!("the program `{piece}`"),
            n => format!("argument {n} `{piece}`"),
        };
        let arg = piece_to_arg(piece).map_err(|why| format!("{label} {why}"))?;
        if index == 0 && !matches!(arg, Arg::Literal(_)) {
            return Err(format!(
                "{label} is a pattern, not one program: name it literally"
            ));
        }
        args.push(arg);
    }
    Ok(args)
}

/// The body without its final `$` (or `\Z`), if it has an unescaped one.
fn strip_end_anchor(body: &str) -> Option<&str> {
    let rest = body
        .strip_suffix("\\Z")
        .or_else(|| body.strip_suffix('$'))?;
    // `\$` is a literal dollar, `\\$` a backslash then the anchor (and
    // likewise `\\Z`): an odd run of backslashes escapes what follows.
    let backslashes = rest.chars().rev().take_while(|&c| c == '\\').count();
    (backslashes % 2 == 0).then_some(rest)
}

/// Splits on single literal spaces outside groups, classes and escapes,
/// refusing syntax that Python and Rust read differently.
fn split_top_level(body: &str) -> Result<Vec<String>, String> {
    let mut pieces = vec![String::new()];
    let mut depth = 0usize;
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let escaped = chars.next().ok_or("ends with a lone backslash")?;
                check_escape(escaped, &mut chars)?;
                push(&mut pieces, c);
                push(&mut pieces, escaped);
                if escaped == 'x' {
                    for _ in 0..2 {
                        push(&mut pieces, chars.next().unwrap_or('?'));
                    }
                }
            }
            '[' => {
                push(&mut pieces, c);
                copy_class(&mut chars, &mut pieces)?;
            }
            '(' => {
                if chars.peek() == Some(&'?') {
                    chars.next();
                    if chars.next() != Some(':') {
                        return Err(
                            "uses a `(?...)` group other than `(?:`; review it by hand".into()
                        );
                    }
                    push(&mut pieces, '(');
                    push(&mut pieces, '?');
                    push(&mut pieces, ':');
                } else {
                    push(&mut pieces, c);
                }
                depth += 1;
            }
            ')' => {
                depth = depth.checked_sub(1).ok_or("has an unbalanced `)`")?;
                push(&mut pieces, c);
            }
            '|' if depth == 0 => {
                return Err("has a top-level `|`: the alternatives are whole commands".into());
            }
            '^' | '$' => return Err(format!("has an anchor `{c}` inside the command")),
            ' ' if depth == 0 => pieces.push(String::new()),
            _ => push(&mut pieces, c),
        }
    }
    if depth != 0 {
        return Err("has an unclosed `(`".into());
    }
    if pieces.iter().any(String::is_empty) {
        return Err(
            "has two spaces in a row, or a space at an end: authprogs needed \
                    exactly that spacing"
                .into(),
        );
    }
    Ok(pieces)
}

fn push(pieces: &mut [String], c: char) {
    if let Some(last) = pieces.last_mut() {
        last.push(c);
    }
}

/// Escapes both engines read the same way.
fn check_escape(
    escaped: char,
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
) -> Result<(), String> {
    match escaped {
        'd' | 'D' | 's' | 'S' | 'w' | 'W' | 'n' | 't' | 'r' | 'f' | 'v' | 'b' | 'B' => Ok(()),
        'x' => {
            let mut lookahead = chars.clone();
            let hex = (lookahead.next(), lookahead.next());
            match hex {
                (Some(a), Some(b)) if a.is_ascii_hexdigit() && b.is_ascii_hexdigit() => Ok(()),
                _ => Err("has `\\x` without two hex digits".into()),
            }
        }
        c if c.is_ascii_punctuation() && c != '<' && c != '>' => Ok(()),
        c => Err(format!(
            "uses the escape `\\{c}`, which Python's re and sshgate's regex may read differently"
        )),
    }
}

/// Copies a character class up to its `]`, refusing what only one engine
/// understands (nested and POSIX classes, set operations).
fn copy_class(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    pieces: &mut [String],
) -> Result<(), String> {
    let mut first = true;
    if chars.peek() == Some(&'^') {
        push(pieces, '^');
        chars.next();
    }
    let mut previous = None;
    while let Some(c) = chars.next() {
        match c {
            ']' if !first => {
                push(pieces, c);
                return Ok(());
            }
            '\\' => {
                let escaped = chars.next().ok_or("ends inside a character class")?;
                check_escape(escaped, chars)?;
                push(pieces, c);
                push(pieces, escaped);
            }
            '[' => {
                return Err("has `[` inside a character class (Python reads it as a \
                               character, sshgate as a nested class): write `\\[`"
                    .into());
            }
            '&' | '-' | '~' if previous == Some(c) => {
                return Err(format!(
                    "has `{c}{c}` inside a character class, a set operation for sshgate: escape it"
                ));
            }
            _ => push(pieces, c),
        }
        previous = Some(c);
        first = false;
    }
    Err("has an unclosed `[`".into())
}

/// One piece as an argument: a literal when the regex can only match one
/// string, else the regex, after checking it matches one whole word.
fn piece_to_arg(piece: &str) -> Result<Arg, String> {
    let hir = regex_syntax::ParserBuilder::new()
        .build()
        .parse(piece)
        .map_err(|error| format!("is not a regex sshgate accepts: {error}"))?;
    if hir.properties().minimum_len() == Some(0) {
        return Err(
            "can match an empty argument, which authprogs would not have seen as one".into(),
        );
    }
    if may_match_space(&hir) {
        return Err(
            "can match whitespace (`.` and `\\s` do; `\\.` is a dot), so one authprogs \
                    match could span several arguments"
                .into(),
        );
    }
    if let HirKind::Literal(literal) = hir.kind() {
        if let Ok(text) = std::str::from_utf8(&literal.0) {
            return Ok(Arg::Literal(text.to_owned()));
        }
    }
    Ok(Arg::Regex(piece.to_owned()))
}

/// Whether any string the regex matches can contain whitespace.
fn may_match_space(hir: &Hir) -> bool {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => false,
        HirKind::Literal(literal) => String::from_utf8_lossy(&literal.0)
            .chars()
            .any(is_python_space),
        HirKind::Class(Class::Unicode(class)) => class.ranges().iter().any(|range| {
            // Few ranges, and whitespace is a short list: test each space.
            SPACES
                .iter()
                .any(|&s| range.start() <= s && s <= range.end())
        }),
        HirKind::Class(Class::Bytes(_)) => true,
        HirKind::Repetition(repetition) => may_match_space(&repetition.sub),
        HirKind::Capture(capture) => may_match_space(&capture.sub),
        HirKind::Concat(subs) | HirKind::Alternation(subs) => subs.iter().any(may_match_space),
    }
}

/// Every character [`is_python_space`] accepts.
const SPACES: &[char] = &[
    '\t', '\n', '\u{b}', '\u{c}', '\r', '\x1c', '\x1d', '\x1e', '\x1f', ' ', '\u{85}', '\u{a0}',
    '\u{1680}', '\u{2000}', '\u{2001}', '\u{2002}', '\u{2003}', '\u{2004}', '\u{2005}', '\u{2006}',
    '\u{2007}', '\u{2008}', '\u{2009}', '\u{200a}', '\u{2028}', '\u{2029}', '\u{202f}', '\u{205f}',
    '\u{3000}',
];

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str) -> Arg {
        Arg::Literal(s.into())
    }
    fn re(s: &str) -> Arg {
        Arg::Regex(s.into())
    }

    #[test]
    fn exact_sequences_convert() {
        assert_eq!(
            convert("^/usr/bin/foo -x [a-z]+$").unwrap(),
            [lit("/usr/bin/foo"), lit("-x"), re("[a-z]+")]
        );
        assert_eq!(
            convert(r"^/usr/bin/sha256sum --tag /srv/x/[a-z0-9_.-]+\.(tar|tgz)$").unwrap(),
            [
                lit("/usr/bin/sha256sum"),
                lit("--tag"),
                re(r"/srv/x/[a-z0-9_.-]+\.(tar|tgz)")
            ]
        );
        assert_eq!(convert(r"^/usr/bin/du -s\.x$").unwrap()[1], lit("-s.x"));
    }

    #[test]
    fn inexact_regexes_are_refused_with_a_reason() {
        for (regex, why) in [
            ("/usr/bin/foo -x$", "not anchored with `^`"),
            ("^/usr/bin/foo -x", "not anchored with `$`"),
            (r"^/usr/bin/rm\s+/tmp/\S*$", "can match whitespace"),
            ("^/usr/bin/foo .+$", "can match whitespace"),
            ("^/usr/bin/foo [a-z]*$", "empty argument"),
            ("^/usr/bin/foo (-v )?x$", "can match whitespace"),
            ("^/usr/bin/foo a|b$", "top-level `|`"),
            ("^/usr/bin/foo  a$", "two spaces"),
            ("^(?i)/usr/bin/foo$", "`(?...)` group"),
            ("^/usr/bin/foo [[:alpha:]]+$", "inside a character class"),
            ("^/usr/bin/fo[ox] x$", "not one program"),
            (
                "^/usr/bin/fo.o x$",
                "the program `/usr/bin/fo.o` can match whitespace",
            ),
            (r"^/usr/bin/foo \p{L}+$", "escape"),
            ("^/usr/bin/foo +x$", "not a regex"),
        ] {
            let error = convert(regex).unwrap_err();
            assert!(error.contains(why), "{regex}: {error}");
        }
    }

    #[test]
    fn an_escaped_dollar_is_not_an_anchor() {
        assert!(convert(r"^/usr/bin/foo a\$").is_err());
        assert_eq!(convert(r"^/usr/bin/foo a\\$").unwrap()[1], lit("a\\"));
    }
}
