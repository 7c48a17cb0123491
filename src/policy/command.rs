//! The `command` of an `[[allow]]` rule: an absolute program followed by
//! per-argument patterns.

use std::fmt;
use std::sync::OnceLock;

use regex::Regex;
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::path::AbsolutePath;

/// `command = ["/usr/bin/pg_dump", "--format=custom", { regex = "^[a-z_]+$" }]`.
#[derive(Debug, Clone, Serialize)]
pub struct CommandPattern {
    /// The program to run; always absolute, never looked up in `PATH`.
    pub program: AbsolutePath,
    /// One pattern per argument after the program.
    pub args: Vec<ArgPattern>,
}

/// One argument of a command pattern.
#[derive(Debug, Clone)]
pub enum ArgPattern {
    /// The argument must be exactly this string.
    Literal(String),
    /// The whole argument must match this regular expression.
    Regex(AnchoredRegex),
}

/// A regular expression that must match a whole argument.
///
/// The policy's source text is kept for display; matching always uses
/// `^(?:source)$`, so a pattern written without anchors cannot match a
/// substring of a longer, hostile argument.
///
/// Loading a policy only checks the syntax; the matcher is built the first
/// time a request reaches the rule, since a request reaches one rule and a
/// profile may have hundreds of patterns.
#[derive(Debug, Clone)]
pub struct AnchoredRegex {
    source: String,
    compiled: OnceLock<Result<Regex, String>>,
}

impl AnchoredRegex {
    /// Checks the syntax of `source` on its own, then keeps it to be
    /// compiled anchored at both ends when first needed.
    ///
    /// On its own: wrapping an unbalanced pattern such as `a)|(.*` would
    /// otherwise produce `^(?:a)|(.*)$`, a valid regex whose second branch
    /// escapes the anchors.
    pub fn new(source: &str) -> Result<Self, String> {
        regex_syntax::Parser::new()
            .parse(source)
            .map_err(|error| invalid(source, &error.to_string()))?;
        Ok(Self {
            source: source.to_owned(),
            compiled: OnceLock::new(),
        })
    }

    /// The pattern as written in the policy.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether the whole of `argument` matches. A pattern the regex crate
    /// cannot compile (beyond its size limits, say) matches nothing, so the
    /// rule denies; `lint` reports it with [`AnchoredRegex::compile_error`].
    pub fn is_match(&self, argument: &str) -> bool {
        self.compiled()
            .as_ref()
            .is_ok_and(|regex| regex.is_match(argument))
    }

    /// Why the anchored pattern cannot be compiled, if it cannot.
    pub fn compile_error(&self) -> Option<&str> {
        self.compiled().as_ref().err().map(String::as_str)
    }

    fn compiled(&self) -> &Result<Regex, String> {
        self.compiled.get_or_init(|| {
            Regex::new(&format!("^(?:{})$", self.source))
                .map_err(|error| invalid(&self.source, &error.to_string()))
        })
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
    format!("invalid regex {source:?}: {problem}")
}

impl ArgPattern {
    /// Whether `argument` satisfies this pattern.
    pub fn matches(&self, argument: &str) -> bool {
        match self {
            Self::Literal(literal) => literal == argument,
            Self::Regex(regex) => regex.is_match(argument),
        }
    }

    /// Whether `self` accepts every argument that `other` accepts, so that a
    /// rule using `self` here shadows one using `other`; used by lint.
    /// Conservative: `false` when it cannot tell.
    pub fn covers(&self, other: &ArgPattern) -> bool {
        match (self, other) {
            (Self::Literal(a), Self::Literal(b)) => a == b,
            (Self::Regex(a), Self::Literal(b)) => a.is_match(b),
            (Self::Regex(a), Self::Regex(b)) => a.source == b.source,
            (Self::Literal(_), Self::Regex(_)) => false,
        }
    }
}

impl fmt::Display for ArgPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Literal(literal) => write!(f, "{literal:?}"),
            Self::Regex(regex) => write!(f, "{{ regex = {:?} }}", regex.source),
        }
    }
}

impl Serialize for ArgPattern {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Literal(literal) => serializer.serialize_str(literal),
            Self::Regex(regex) => {
                use serde::ser::SerializeMap;
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry("regex", &regex.source)?;
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for ArgPattern {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ArgPatternVisitor)
    }
}

struct ArgPatternVisitor;

impl<'de> Visitor<'de> for ArgPatternVisitor {
    type Value = ArgPattern;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a literal string or { regex = \"...\" }")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<ArgPattern, E> {
        if value.contains('\0') {
            return Err(E::custom("an argument must not contain a NUL character"));
        }
        Ok(ArgPattern::Literal(value.to_owned()))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ArgPattern, A::Error> {
        let mut source: Option<String> = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "regex" if source.is_none() => source = Some(map.next_value()?),
                "regex" => return Err(de::Error::duplicate_field("regex")),
                other => return Err(de::Error::unknown_field(other, &["regex"])),
            }
        }
        let source = source.ok_or_else(|| de::Error::missing_field("regex"))?;
        AnchoredRegex::new(&source)
            .map(ArgPattern::Regex)
            .map_err(de::Error::custom)
    }
}

impl<'de> Deserialize<'de> for CommandPattern {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(CommandVisitor)
    }
}

struct CommandVisitor;

impl<'de> Visitor<'de> for CommandVisitor {
    type Value = CommandPattern;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array whose first element is the program's absolute path")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<CommandPattern, A::Error> {
        let first: ArgPattern = seq.next_element()?.ok_or_else(|| {
            de::Error::custom(
                "`command` is empty: its first element must be the program's absolute path",
            )
        })?;
        let program = match first {
            ArgPattern::Literal(text) => AbsolutePath::parse(&text).map_err(|error| {
                de::Error::custom(format!("the program (first element of `command`): {error}"))
            })?,
            ArgPattern::Regex(_) => {
                return Err(de::Error::custom(
                    "the program (first element of `command`) must be a literal absolute path, not a regex",
                ));
            }
        };
        let mut args = Vec::new();
        while let Some(arg) = seq.next_element()? {
            args.push(arg);
        }
        Ok(CommandPattern { program, args })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regex_is_anchored_on_both_ends() {
        let regex = AnchoredRegex::new("[a-z]+").unwrap();
        assert!(regex.is_match("abc"));
        assert!(!regex.is_match("abc;rm"));
        assert!(!regex.is_match("-abc"));
        let alternation = AnchoredRegex::new("a|b").unwrap();
        assert!(
            !alternation.is_match("ab"),
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
            assert!(AnchoredRegex::new(source).is_ok(), "{source}");
            assert!(Regex::new(source).is_ok(), "regex refuses {source}");
        }
    }

    #[test]
    fn covers_is_conservative() {
        let literal = ArgPattern::Literal("-h".into());
        let regex = ArgPattern::Regex(AnchoredRegex::new("-[a-z]").unwrap());
        assert!(regex.covers(&literal));
        assert!(literal.covers(&literal));
        assert!(!literal.covers(&regex));
    }
}
