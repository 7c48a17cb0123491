//! Capability names, as `capabilities` lists them.

use std::fmt;
use std::str::FromStr;

use caps::Capability;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A capability the policy keeps, written `"CAP_DAC_READ_SEARCH"` or
/// `"dac_read_search"`: the `CAP_` prefix and the case are optional.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CapabilityName(Capability);

impl CapabilityName {
    /// Parses a name with or without the `CAP_` prefix, in any case.
    pub fn parse(text: &str) -> Option<Self> {
        let upper = text.to_ascii_uppercase();
        let full = if upper.starts_with("CAP_") {
            upper
        } else {
            format!("CAP_{upper}")
        };
        Capability::from_str(&full).ok().map(Self)
    }

    /// The capability, for the `caps` crate.
    pub fn capability(self) -> Capability {
        self.0
    }

    /// The kernel's index of the capability (`CAP_DAC_READ_SEARCH` is 2).
    pub fn index(self) -> u8 {
        self.0.index()
    }
}

impl From<Capability> for CapabilityName {
    fn from(capability: Capability) -> Self {
        Self(capability)
    }
}

impl fmt::Display for CapabilityName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The crate prints the kernel's name, e.g. "CAP_DAC_READ_SEARCH".
        write!(f, "{}", self.0)
    }
}

impl Serialize for CapabilityName {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for CapabilityName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown capability {text:?}: see capabilities(7), e.g. \"CAP_DAC_READ_SEARCH\" or \"dac_read_search\""
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_and_case_are_optional() {
        for text in [
            "CAP_DAC_READ_SEARCH",
            "DAC_READ_SEARCH",
            "dac_read_search",
            "cap_dac_read_search",
        ] {
            let name = CapabilityName::parse(text).map(|name| name.to_string());
            assert_eq!(name.as_deref(), Some("CAP_DAC_READ_SEARCH"), "{text}");
        }
    }

    #[test]
    fn unknown_names_are_refused() {
        assert_eq!(CapabilityName::parse("CAP_FLY"), None);
        assert_eq!(CapabilityName::parse(""), None);
        assert_eq!(CapabilityName::parse("CAP_"), None);
    }
}
