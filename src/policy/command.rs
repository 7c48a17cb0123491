//! The `command` of an `[[allow]]` rule: an absolute program followed by
//! per-argument patterns.

use std::fmt;

use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use toml::Spanned;

use super::anchored_regex::AnchoredRegex;
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

impl ArgPattern {
    /// Whether `argument` satisfies this pattern, or why a regex cannot
    /// be compiled to tell.
    pub fn matches(&self, argument: &str) -> Result<bool, &str> {
        match self {
            Self::Literal(literal) => Ok(literal == argument),
            Self::Regex(regex) => regex.is_match(argument),
        }
    }

    /// Whether `self` accepts every argument that `other` accepts, so that a
    /// rule using `self` here shadows one using `other`; used by lint.
    /// Conservative: `false` when it cannot tell.
    pub fn covers(&self, other: &ArgPattern) -> bool {
        match (self, other) {
            (Self::Literal(a), Self::Literal(b)) => a == b,
            (Self::Regex(a), Self::Literal(b)) => a.is_match(b) == Ok(true),
            (Self::Regex(a), Self::Regex(b)) => a.source() == b.source(),
            (Self::Literal(_), Self::Regex(_)) => false,
        }
    }
}

impl fmt::Display for ArgPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Literal(literal) => write!(f, "{literal:?}"),
            Self::Regex(regex) => write!(f, "{{ regex = {:?} }}", regex.source()),
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
                map.serialize_entry("regex", regex.source())?;
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
        while let Some(arg) = seq.next_element::<Spanned<ArgPattern>>()? {
            let span = arg.span();
            let mut arg = arg.into_inner();
            // Kept for the load-time check, which needs to say which
            // pattern of the command it refuses.
            if let ArgPattern::Regex(regex) = &mut arg {
                regex.set_span(span);
            }
            args.push(arg);
        }
        Ok(CommandPattern { program, args })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covers_is_conservative() {
        let literal = ArgPattern::Literal("-h".into());
        let regex = ArgPattern::Regex(AnchoredRegex::new("-[a-z]").unwrap());
        assert!(regex.covers(&literal));
        assert!(literal.covers(&literal));
        assert!(!literal.covers(&regex));
    }
}
