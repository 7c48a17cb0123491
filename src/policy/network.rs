//! The `network` sandbox setting.

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

/// What network access the confined command gets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Network {
    /// No sockets at all (the default).
    #[default]
    None,
    /// Unrestricted network access.
    Any,
    /// TCP connect and bind limited to these ports.
    Ports {
        /// Ports the command may connect to.
        connect: Vec<u16>,
        /// Ports the command may bind.
        bind: Vec<u16>,
    },
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::None => f.write_str("none"),
            Self::Any => f.write_str("any"),
            Self::Ports { connect, bind } => {
                write!(f, "tcp connect {connect:?}, bind {bind:?}")
            }
        }
    }
}

impl<'de> Deserialize<'de> for Network {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NetworkVisitor)
    }
}

struct NetworkVisitor;

impl<'de> Visitor<'de> for NetworkVisitor {
    type Value = Network;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"none\", \"any\" or { connect = [ports], bind = [ports] }")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Network, E> {
        match value {
            "none" => Ok(Network::None),
            "any" => Ok(Network::Any),
            other => Err(E::invalid_value(de::Unexpected::Str(other), &self)),
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Network, A::Error> {
        let mut connect = None;
        let mut bind = None;
        while let Some(key) = map.next_key::<String>()? {
            let slot = match key.as_str() {
                "connect" => &mut connect,
                "bind" => &mut bind,
                other => return Err(de::Error::unknown_field(other, &["connect", "bind"])),
            };
            if slot.is_some() {
                return Err(de::Error::custom(format!("duplicate key `{key}`")));
            }
            *slot = Some(map.next_value::<Vec<u16>>()?);
        }
        Ok(Network::Ports {
            connect: connect.unwrap_or_default(),
            bind: bind.unwrap_or_default(),
        })
    }
}
