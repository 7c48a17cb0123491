//! Address ranges for the profile's `from` list.

use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An IPv4 or IPv6 network in CIDR notation; a bare address is a /32 or /128.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses `192.0.2.0/24`, `2001:db8::/64`, or a single address.
    ///
    /// Host bits must be zero: `192.0.2.7/24` is refused rather than guessed,
    /// because the author may have meant the single host.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let written: IpAddr = address
            .parse()
            .map_err(|_| format!("{text:?} is not an IP address or CIDR network"))?;
        let network = normalise(written);
        // `::ffff:192.0.2.0/120` is written in IPv6 prefix lengths but
        // matched as IPv4, like every mapped address.
        let (written_max, offset) = if written.is_ipv6() && network.is_ipv4() {
            (128, 96)
        } else {
            (max_prefix(network), 0)
        };
        let prefix = match prefix {
            None => max_prefix(network),
            Some(digits) => digits
                .parse::<u8>()
                .ok()
                .filter(|prefix| {
                    (offset..=written_max).contains(prefix) && !digits.starts_with('+')
                })
                .map(|prefix| prefix - offset)
                .ok_or_else(|| {
                    format!("{text:?} has an invalid prefix length ({offset} to {written_max})")
                })?,
        };
        let max = max_prefix(network);
        if to_bits(network) & !mask(prefix, max) != 0 {
            return Err(format!(
                "{text:?} has host bits set; write the network address or a single host"
            ));
        }
        Ok(Self { network, prefix })
    }

    /// Whether `address` lies inside this network. IPv4-mapped IPv6
    /// addresses are compared as IPv4.
    pub fn contains(&self, address: IpAddr) -> bool {
        let address = normalise(address);
        if address.is_ipv4() != self.network.is_ipv4() {
            return false;
        }
        let max = max_prefix(address);
        let mask = mask(self.prefix, max);
        to_bits(address) & mask == to_bits(self.network) & mask
    }
}

/// Maps `::ffff:192.0.2.1` to `192.0.2.1`, as sshd may report either form.
pub fn normalise(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

fn max_prefix(address: IpAddr) -> u8 {
    if address.is_ipv4() { 32 } else { 128 }
}

fn to_bits(address: IpAddr) -> u128 {
    match address {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

fn mask(prefix: u8, max: u8) -> u128 {
    let width_mask = if max == 128 {
        u128::MAX
    } else {
        (1u128 << max) - 1
    };
    if prefix == 0 {
        0
    } else {
        (width_mask << (max - prefix)) & width_mask
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

impl Serialize for Cidr {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Cidr {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn matches_v4_v6_and_mapped_addresses() {
        let cases = [
            ("192.0.2.10", "192.0.2.10", true),
            ("192.0.2.10", "192.0.2.11", false),
            ("192.0.2.0/24", "192.0.2.255", true),
            ("192.0.2.0/24", "192.0.3.0", false),
            ("192.0.2.0/24", "::ffff:192.0.2.9", true),
            ("::ffff:192.0.2.9", "192.0.2.9", true),
            ("::ffff:192.0.2.0/120", "192.0.2.77", true),
            ("::ffff:192.0.2.0/120", "192.0.3.1", false),
            ("0.0.0.0/0", "203.0.113.1", true),
            ("0.0.0.0/0", "2001:db8::1", false),
            ("2001:db8::/64", "2001:db8::1", true),
            ("2001:db8::/64", "2001:db8:0:1::1", false),
            ("::/0", "2001:db8::1", true),
            ("::1", "::1", true),
            ("127.0.0.1", "::1", false),
        ];
        for (network, address, expected) in cases {
            let cidr = Cidr::parse(network).unwrap();
            assert_eq!(
                cidr.contains(ip(address)),
                expected,
                "{network} ∋ {address}"
            );
        }
    }

    #[test]
    fn refuses_malformed_networks() {
        for bad in [
            "",
            "host",
            "192.0.2.0/33",
            "192.0.2.1/24",
            "2001:db8::/129",
            "10.0.0.0/+8",
            "10.0.0.0/",
        ] {
            assert!(Cidr::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
