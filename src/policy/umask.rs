//! The sandbox's `umask`: the file mode creation mask of the command.

use serde::de;
use serde::{Deserialize, Deserializer};

/// The file mode creation mask, written as an octal string (`"0077"`):
/// TOML integers have no leading-zero octal, and a decimal `77` would
/// silently mean something else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Umask(pub u32);

impl<'de> Deserialize<'de> for Umask {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let octal =
            (3..=4).contains(&text.len()) && text.bytes().all(|b| (b'0'..=b'7').contains(&b));
        match u32::from_str_radix(&text, 8) {
            Ok(mask) if octal && mask <= 0o777 => Ok(Self(mask)),
            _ => Err(de::Error::custom(format!(
                "umask {text:?} must be three or four octal digits, e.g. \"0077\""
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Sandbox {
        umask: Option<Umask>,
    }

    fn parse(text: &str) -> Result<Sandbox, toml::de::Error> {
        toml::from_str(text)
    }

    #[test]
    fn umask_is_an_octal_string() {
        assert_eq!(parse("umask = \"0077\"").unwrap().umask, Some(Umask(0o077)));
        assert_eq!(parse("umask = \"027\"").unwrap().umask, Some(Umask(0o027)));
        for text in ["77", "\"77\"", "\"0778\"", "\"01777\"", "\"u=rwx\""] {
            assert!(parse(&format!("umask = {text}")).is_err(), "{text}");
        }
    }
}
