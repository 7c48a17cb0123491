//! Values of the `rlimits` table.
//!
//! Byte limits accept human sizes (`"10G"`, binary multiples); count and
//! time limits accept integers only. Every limit also accepts
//! `"unlimited"`.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A limit on a count (`nofile`, `nproc`) or on CPU seconds (`cpu`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count(pub Option<u64>);

/// A limit in bytes (`fsize`, `as`, `data`, `stack`, `memlock`):
/// an integer, or a size with a `K`, `M`, `G` or `T` suffix (powers of
/// 1024).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bytes(pub Option<u64>);

/// What `"unlimited"` means: `RLIM_INFINITY`, written as `None`.
const UNLIMITED: &str = "unlimited";

struct LimitVisitor {
    sizes: bool,
}

impl Visitor<'_> for LimitVisitor {
    type Value = Option<u64>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.sizes {
            f.write_str("a byte count, a size such as \"512M\" or \"10G\", or \"unlimited\"")
        } else {
            f.write_str("a non-negative integer or \"unlimited\"")
        }
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Option<u64>, E> {
        u64::try_from(value)
            .map(Some)
            .map_err(|_| E::invalid_value(de::Unexpected::Signed(value), &self))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Option<u64>, E> {
        Ok(Some(value))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Option<u64>, E> {
        if text == UNLIMITED {
            return Ok(None);
        }
        if !self.sizes {
            return Err(E::invalid_value(de::Unexpected::Str(text), &self));
        }
        parse_size(text)
            .map(Some)
            .ok_or_else(|| E::invalid_value(de::Unexpected::Str(text), &self))
    }
}

/// `"10G"` → 10 × 1024³; `"4096"` → 4096. `None` on anything else,
/// including an overflow.
fn parse_size(text: &str) -> Option<u64> {
    let (digits, shift) = match text.as_bytes().last()? {
        b'K' | b'k' => (&text[..text.len() - 1], 10),
        b'M' | b'm' => (&text[..text.len() - 1], 20),
        b'G' | b'g' => (&text[..text.len() - 1], 30),
        b'T' | b't' => (&text[..text.len() - 1], 40),
        _ => (text, 0),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let number: u64 = digits.parse().ok()?;
    number.checked_mul(1u64 << shift)
}

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_any(LimitVisitor { sizes: false })
            .map(Self)
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_any(LimitVisitor { sizes: true })
            .map(Self)
    }
}

fn serialize_limit<S: Serializer>(value: Option<u64>, serializer: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(value) => serializer.serialize_u64(value),
        None => serializer.serialize_str(UNLIMITED),
    }
}

impl Serialize for Count {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_limit(self.0, serializer)
    }
}

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_limit(self.0, serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Limits {
        bytes: Option<Bytes>,
        count: Option<Count>,
    }

    fn parse(text: &str) -> Result<Limits, toml::de::Error> {
        toml::from_str(text)
    }

    #[test]
    fn sizes_use_binary_multiples() {
        let cases = [
            ("4096", Some(4096)),
            ("\"4096\"", Some(4096)),
            ("\"1K\"", Some(1024)),
            ("\"512M\"", Some(512 << 20)),
            ("\"10G\"", Some(10 << 30)),
            ("\"2t\"", Some(2 << 40)),
            ("\"unlimited\"", None),
        ];
        for (text, expected) in cases {
            let limits = parse(&format!("bytes = {text}")).unwrap();
            assert_eq!(limits.bytes, Some(Bytes(expected)), "{text}");
        }
    }

    #[test]
    fn malformed_sizes_are_refused() {
        for text in [
            "-1",
            "\"\"",
            "\"G\"",
            "\"10GB\"",
            "\"1.5G\"",
            "\"99999999999T\"",
            "\"-1K\"",
            "1.5",
        ] {
            assert!(parse(&format!("bytes = {text}")).is_err(), "{text}");
        }
    }

    #[test]
    fn counts_take_no_suffix() {
        assert_eq!(parse("count = 64").unwrap().count, Some(Count(Some(64))));
        assert_eq!(
            parse("count = \"unlimited\"").unwrap().count,
            Some(Count(None))
        );
        assert!(parse("count = \"10K\"").is_err());
        assert!(parse("count = -3").is_err());
    }
}
