//! `{ regex = "..." }` arguments: matched against a whole argument, and
//! bounded in what they may cost to check, compile and run.
//!
//! Matching itself is safe from catastrophic backtracking: the `regex`
//! crate runs in time linear in the argument, whatever the pattern (the
//! gate's arguments are at most 64 KiB). What needed bounds is building
//! the matchers, whose cost depends on the pattern: translating `\w` alone
//! yields about 770 Unicode ranges, so one pattern of half a million `\w`
//! (a 1 MiB policy) took 3.4 GB and 9 s to check, and 21,000 copies of
//! `\w*` reached by one request took 2 GB to compile. Hence four limits,
//! all applied when the policy is loaded, so that `lint`, `explain` and
//! forced-command mode refuse the same files with the same located error.

use std::ops::Range;
use std::sync::OnceLock;

use regex::{Regex, RegexBuilder};
use regex_syntax::ast::Ast;
use regex_syntax::hir::translate::Translator;
use regex_syntax::hir::{Class, Hir, HirKind};
use regex_syntax::utf8::Utf8Sequences;

/// Longest pattern accepted, in bytes of source. The translated pattern
/// is built whole before it can be measured, and a byte of source can
/// become kilobytes of it (`\w`): 16 KiB bounds that to about 50 MB,
/// while leaving room for an alternation of hundreds of names.
pub const MAX_REGEX_LEN: usize = 16 * 1024;

/// Largest compiled program of one pattern, in bytes: the `regex`
/// crate's `size_limit`, set explicitly at its default. A pattern over it
/// (`\w{1000}{1000}`, `(?:a{1000}){1000}`) is refused when the policy is
/// loaded.
pub const REGEX_SIZE_LIMIT: usize = 10 * 1024 * 1024;

/// Largest lazy DFA cache of one pattern, in bytes: the `regex` crate's
/// `dfa_size_limit`, set explicitly at its default. Beyond it the crate
/// clears the cache or falls back to a slower engine, still linear.
pub const REGEX_DFA_SIZE_LIMIT: usize = 2 * 1024 * 1024;

/// The most memory all of a policy's patterns together may be estimated to
/// take compiled, in bytes (see [`AnchoredRegex::check`]). A request may
/// reach every pattern of a profile, so this bounds what one request can
/// make the gate build. About 32,000 small patterns fit, or a thousand
/// `\w+`.
pub const REGEX_BUDGET: usize = 256 * 1024 * 1024;

/// Estimated cost of any compiled pattern, however small: measured at
/// 6.4 KiB of resident memory each for 87,000 one-letter patterns.
const COST_PER_PATTERN: usize = 8 * 1024;

/// Estimated cost of one unit of [`weight`]. The `regex` crate's own
/// accounting (`memory_usage`) came to between 8 and 50 bytes per unit
/// for every pattern measured, from `\w+` and `[^/]{1,255}` to an
/// alternation of 80,000 words.
const COST_PER_UNIT: usize = 64;

/// Patterns estimated above this are compiled when the policy is loaded,
/// so that one over [`REGEX_SIZE_LIMIT`] is a located load error. Below
/// it, at the worst measured cost per unit, a pattern compiles to a
/// fraction of the limit, and is compiled only when a request reaches it.
const COMPILE_AT_LOAD: usize = 1024 * 1024;

/// How much of a pattern an error message quotes.
const QUOTED_MAX_CHARS: usize = 64;

/// A regular expression that must match a whole argument.
///
/// The policy's source text is kept for display; matching always uses
/// `^(?:source)$`, so a pattern written without anchors cannot match a
/// substring of a longer, hostile argument.
///
/// Loading a policy checks every pattern ([`AnchoredRegex::check`]) but
/// compiles only large ones; the others are compiled the first time a
/// request reaches their rule, since a request reaches one rule and a
/// profile may have hundreds of patterns.
#[derive(Debug, Clone)]
pub struct AnchoredRegex {
    source: String,
    span: Option<Range<usize>>,
    /// The syntax tree `new` built, until `check` translates it: parsing
    /// it twice cost a third more time loading a profile of regex rules.
    ast: Option<Ast>,
    compiled: OnceLock<Result<Regex, String>>,
}

impl AnchoredRegex {
    /// Checks the length and the syntax of `source` on its own, then keeps
    /// it to be checked in full by [`AnchoredRegex::check`].
    ///
    /// Only the syntax tree is built here, which costs little whatever the
    /// pattern; translating it (Unicode classes and all) waits for
    /// `check`, which can stop at the first pattern over the budget.
    ///
    /// On its own: wrapping an unbalanced pattern such as `a)|(.*` would
    /// otherwise produce `^(?:a)|(.*)$`, a valid regex whose second branch
    /// escapes the anchors.
    pub fn new(source: &str) -> Result<Self, String> {
        if source.len() > MAX_REGEX_LEN {
            return Err(invalid(
                source,
                &format!(
                    "the pattern is {} bytes, over the {MAX_REGEX_LEN}-byte limit",
                    source.len()
                ),
            ));
        }
        let ast = regex_syntax::ast::parse::Parser::new()
            .parse(source)
            .map_err(|error| invalid(source, &error.to_string()))?;
        Ok(Self {
            source: source.to_owned(),
            span: None,
            ast: Some(ast),
            compiled: OnceLock::new(),
        })
    }

    /// The pattern as written in the policy.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Where the pattern's `{ regex = ... }` is in the policy text, when
    /// it was read from one.
    pub fn span(&self) -> Option<Range<usize>> {
        self.span.clone()
    }

    pub(super) fn set_span(&mut self, span: Range<usize>) {
        self.span = Some(span);
    }

    /// Translates the pattern in full and estimates what it will take
    /// compiled, in bytes; a pattern estimated over [`COMPILE_AT_LOAD`] is
    /// compiled now, so that one over [`REGEX_SIZE_LIMIT`] is refused here
    /// rather than when a request reaches it.
    ///
    /// The estimate is [`COST_PER_PATTERN`] plus [`COST_PER_UNIT`] for
    /// each unit of [`weight`]: an upper bound on the `regex` crate's own
    /// accounting for every pattern measured.
    pub fn check(&mut self) -> Result<usize, String> {
        let hir = match self.ast.take() {
            Some(ast) => Translator::new()
                .translate(&self.source, &ast)
                .map_err(|error| error.to_string()),
            None => regex_syntax::Parser::new()
                .parse(&self.source)
                .map_err(|error| error.to_string()),
        }
        .map_err(|error| invalid(&self.source, &error))?;
        let estimate = weight(&hir)
            .saturating_mul(COST_PER_UNIT)
            .saturating_add(COST_PER_PATTERN);
        drop(hir);
        if estimate > COMPILE_AT_LOAD {
            if let Err(error) = self.compiled() {
                return Err(error.clone());
            }
        }
        Ok(estimate)
    }

    /// Whether the whole of `argument` matches, or why the pattern cannot
    /// be compiled (a pattern that passed [`AnchoredRegex::check`] can).
    pub fn is_match(&self, argument: &str) -> Result<bool, &str> {
        match self.compiled() {
            Ok(regex) => Ok(regex.is_match(argument)),
            Err(error) => Err(error),
        }
    }

    /// Why the anchored pattern cannot be compiled, if it cannot.
    pub fn compile_error(&self) -> Option<&str> {
        self.compiled().as_ref().err().map(String::as_str)
    }

    fn compiled(&self) -> &Result<Regex, String> {
        self.compiled.get_or_init(|| {
            RegexBuilder::new(&format!("^(?:{})$", self.source))
                .size_limit(REGEX_SIZE_LIMIT)
                .dfa_size_limit(REGEX_DFA_SIZE_LIMIT)
                .build()
                .map_err(|error| invalid(&self.source, &error.to_string()))
        })
    }
}

/// Checks every pattern of a policy, in order, against
/// [`AnchoredRegex::check`] and the [`REGEX_BUDGET`] they share, stopping
/// at the first that fails: its error, and where the pattern is.
pub fn check_all<'a>(
    patterns: impl IntoIterator<Item = &'a mut AnchoredRegex>,
) -> Result<(), (String, Option<Range<usize>>)> {
    let mut total: usize = 0;
    for pattern in patterns {
        let estimate = pattern.check().map_err(|error| (error, pattern.span()))?;
        total = total.saturating_add(estimate);
        if total > REGEX_BUDGET {
            return Err((
                format!(
                    "regex {}: the profile's patterns up to this one would take about {} MiB compiled (estimated), over the {} MiB limit",
                    quoted(&pattern.source),
                    total.div_ceil(1024 * 1024),
                    REGEX_BUDGET / (1024 * 1024)
                ),
                pattern.span(),
            ));
        }
    }
    Ok(())
}

/// A measure of the automaton a pattern compiles to: one unit per byte
/// a transition matches, with counted repetitions (`x{n}`) multiplied
/// out as the compiler does. Unicode classes count their UTF-8 byte
/// sequences, which is what the compiler builds from them.
///
/// Recursion is bounded by the parser's nesting limit (250).
fn weight(hir: &Hir) -> usize {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => 1,
        HirKind::Literal(literal) => literal.0.len(),
        HirKind::Class(Class::Unicode(class)) => class
            .iter()
            .map(|range| {
                Utf8Sequences::new(range.start(), range.end())
                    .map(|sequence| sequence.len())
                    .sum::<usize>()
            })
            .fold(0, usize::saturating_add),
        HirKind::Class(Class::Bytes(class)) => class.ranges().len(),
        HirKind::Repetition(repetition) => {
            let copies = repetition
                .max
                .unwrap_or(repetition.min)
                .max(repetition.min)
                .max(1);
            weight(&repetition.sub).saturating_mul(usize::try_from(copies).unwrap_or(usize::MAX))
        }
        HirKind::Capture(capture) => weight(&capture.sub).saturating_add(1),
        HirKind::Concat(parts) | HirKind::Alternation(parts) => {
            parts.iter().map(weight).fold(1, usize::saturating_add)
        }
    }
}

/// One line naming what is wrong with a regex: the regex crates draw a
/// multi-line caret diagram, of which a lint line wants only the last line.
fn invalid(source: &str, text: &str) -> String {
    let problem = text
        .lines()
        .last()
        .unwrap_or(text)
        .trim_start_matches("error: ");
    format!("invalid regex {}: {problem}", quoted(source))
}

/// `source` as a quoted string, cut after [`QUOTED_MAX_CHARS`] characters:
/// a 16 KiB pattern would otherwise fill the error line.
fn quoted(source: &str) -> String {
    match source.char_indices().nth(QUOTED_MAX_CHARS) {
        None => format!("{source:?}"),
        Some((cut, _)) => format!(
            "{:?}... ({} bytes)",
            source.get(..cut).unwrap_or_default(),
            source.len()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regex_is_anchored_on_both_ends() {
        let regex = AnchoredRegex::new("[a-z]+").unwrap();
        assert_eq!(regex.is_match("abc"), Ok(true));
        assert_eq!(regex.is_match("abc;rm"), Ok(false));
        assert_eq!(regex.is_match("-abc"), Ok(false));
        let alternation = AnchoredRegex::new("a|b").unwrap();
        assert_eq!(
            alternation.is_match("ab"),
            Ok(false),
            "alternation must not escape the anchors"
        );
    }

    #[test]
    fn the_syntax_check_refuses_what_would_escape_the_anchors() {
        // Wrapped as ^(?:a)|(.*)$ this would be valid and match anything;
        // on its own it is unbalanced, and both crates say so.
        for source in ["a)|(.*", "(a", "[a-", "a{2,1}"] {
            assert!(AnchoredRegex::new(source).is_err(), "{source}");
            assert!(Regex::new(source).is_err(), "regex accepts {source}");
        }
        for source in ["a|b", "[[:alpha:]]+", r"\d{1,3}", "(?i)abc"] {
            let mut pattern = AnchoredRegex::new(source).unwrap();
            assert!(pattern.check().is_ok(), "{source}");
            assert!(Regex::new(source).is_ok(), "regex refuses {source}");
        }
    }

    #[test]
    fn what_only_translation_finds_is_refused_by_check() {
        let mut pattern = AnchoredRegex::new(r"\p{NoSuchClass}").unwrap();
        assert_eq!(
            pattern.check(),
            Err("invalid regex \"\\\\p{NoSuchClass}\": Unicode property not found".to_owned())
        );
    }

    #[test]
    fn a_pattern_over_the_length_limit_is_refused() {
        let longest = "a".repeat(MAX_REGEX_LEN);
        assert!(AnchoredRegex::new(&longest).is_ok());
        let error = AnchoredRegex::new(&format!("{longest}a")).unwrap_err();
        assert_eq!(
            error,
            format!(
                "invalid regex {:?}... (16385 bytes): the pattern is 16385 bytes, over the 16384-byte limit",
                "a".repeat(QUOTED_MAX_CHARS)
            )
        );
    }

    #[test]
    fn a_pattern_over_the_size_limit_is_refused_by_check() {
        let mut pattern = AnchoredRegex::new(r"\w{1000}{1000}").unwrap();
        let error = pattern.check().unwrap_err();
        assert!(
            error.ends_with("exceeds size limit of 10485760 bytes."),
            "{error}"
        );
        assert_eq!(pattern.is_match("a"), Err(error.as_str()));
    }

    /// The estimate must stay above what the regex crate reports building,
    /// or the budget would not bound memory; measured with regex-automata's
    /// `memory_usage` for the same patterns (see COST_PER_UNIT).
    #[test]
    fn estimates_of_typical_patterns() {
        let estimate = |source: &str| AnchoredRegex::new(source).unwrap().check().unwrap();
        // Checked twice, the second time from the source: the same estimate.
        let mut twice = AnchoredRegex::new(r"\w+").unwrap();
        assert_eq!(twice.check(), twice.check());
        assert_eq!(estimate("a"), COST_PER_PATTERN + COST_PER_UNIT);
        assert_eq!(estimate("[0-9]+"), COST_PER_PATTERN + COST_PER_UNIT);
        // memory_usage: 57,404 bytes.
        assert_eq!(estimate(r"\w+"), COST_PER_PATTERN + 3388 * COST_PER_UNIT);
        // memory_usage: 270,616 bytes.
        assert_eq!(
            estimate("[^/]{1,255}"),
            COST_PER_PATTERN + 7140 * COST_PER_UNIT
        );
        // memory_usage: 3,588,992 bytes; compiled at load, and fits.
        assert!(estimate(r"\w{1,64}") > COMPILE_AT_LOAD);
    }

    #[test]
    fn the_budget_is_shared_by_all_patterns() {
        let fit = REGEX_BUDGET / (COST_PER_PATTERN + COST_PER_UNIT);
        let small = || (0..fit).map(|_| AnchoredRegex::new("a").unwrap());
        assert!(check_all(&mut small().collect::<Vec<_>>()).is_ok());
        let mut over: Vec<AnchoredRegex> = small().collect();
        let mut one_more = AnchoredRegex::new("b").unwrap();
        one_more.set_span(7..10);
        over.push(one_more);
        let (error, at) = check_all(&mut over).unwrap_err();
        assert_eq!(at, Some(7..10));
        assert_eq!(
            error,
            "regex \"b\": the profile's patterns up to this one would take about 257 MiB compiled (estimated), over the 256 MiB limit"
        );
    }

    #[test]
    fn long_patterns_are_quoted_cut() {
        let source = "é".repeat(100);
        assert_eq!(
            quoted(&source),
            format!("{:?}... (200 bytes)", "é".repeat(QUOTED_MAX_CHARS))
        );
        assert_eq!(quoted("ab"), "\"ab\"");
    }
}
