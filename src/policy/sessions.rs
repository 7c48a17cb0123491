//! Values of the profile's session limit: `max_concurrent` and `wait`.
//!
//! `max_concurrent = 1` is "one backup at a time": a session over the
//! limit is denied, or queues for at most `wait` (`"30s"`, `"500ms"`,
//! `"2m"`, `"1h"`).

use std::fmt;
use std::time::Duration;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer};

/// How many sessions of a profile may run at once: 1 to [`MaxConcurrent::MAX`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaxConcurrent(u32);

impl MaxConcurrent {
    /// The largest accepted value. Each session tries the slots one by
    /// one, so the bound keeps that walk short; a limit this high is no
    /// longer a limit a host needs.
    pub const MAX: u32 = 1024;

    /// The number of sessions allowed at once.
    pub fn get(self) -> u32 {
        self.0
    }
}

impl fmt::Display for MaxConcurrent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<'de> Deserialize<'de> for MaxConcurrent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = i64::deserialize(deserializer)?;
        u32::try_from(value)
            .ok()
            .filter(|count| (1..=Self::MAX).contains(count))
            .map(Self)
            .ok_or_else(|| {
                de::Error::invalid_value(
                    de::Unexpected::Signed(value),
                    &"an integer from 1 to 1024",
                )
            })
    }
}

/// How long a session over `max_concurrent` queues before it is denied:
/// at most [`WaitTime::MAX`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitTime(Duration);

impl WaitTime {
    /// The longest accepted wait. A queued session keeps its SSH
    /// connection open and does nothing; an hour is already a long queue,
    /// and a longer value is more likely a typo than a plan.
    pub const MAX: Duration = Duration::from_secs(3600);

    /// The wait.
    pub fn get(self) -> Duration {
        self.0
    }
}

impl fmt::Display for WaitTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let millis = self.0.as_millis();
        if millis % 1000 == 0 {
            write!(f, "{}s", millis / 1000)
        } else {
            write!(f, "{millis}ms")
        }
    }
}

struct WaitVisitor;

const EXPECTED_WAIT: &str =
    "a duration such as \"30s\", \"500ms\", \"2m\" or \"1h\", at most \"1h\"";

impl Visitor<'_> for WaitVisitor {
    type Value = WaitTime;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(EXPECTED_WAIT)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<WaitTime, E> {
        parse_wait(text).ok_or_else(|| E::invalid_value(de::Unexpected::Str(text), &self))
    }
}

impl<'de> Deserialize<'de> for WaitTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(WaitVisitor)
    }
}

/// `"<digits><unit>"` with unit `ms`, `s`, `m` or `h`. A bare number is
/// refused: seconds or milliseconds would both be a plausible reading.
fn parse_wait(text: &str) -> Option<WaitTime> {
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (digits, unit) = text.split_at(split);
    if digits.is_empty() {
        return None;
    }
    let amount: u64 = digits.parse().ok()?;
    let millis_per_unit = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        _ => return None,
    };
    let wait = Duration::from_millis(amount.checked_mul(millis_per_unit)?);
    (wait <= WaitTime::MAX).then_some(WaitTime(wait))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_are_read_with_their_unit() {
        let cases = [
            ("30s", Some(30_000u32)),
            ("500ms", Some(500)),
            ("2m", Some(120_000)),
            ("1h", Some(3_600_000)),
            ("0s", Some(0)),
            ("3600s", Some(3_600_000)),
            ("3601s", None),
            ("2h", None),
            ("30", None),
            ("s", None),
            ("-1s", None),
            ("1.5s", None),
            ("30 s", None),
            ("30S", None),
            ("99999999999999999999h", None),
        ];
        for (text, millis) in cases {
            let parsed = parse_wait(text).map(|wait| wait.get().as_millis());
            assert_eq!(parsed, millis.map(u128::from), "{text:?}");
        }
    }

    #[test]
    fn waits_display_as_written() {
        for text in ["30s", "500ms", "0s", "1500ms"] {
            let wait = parse_wait(text).map(|wait| wait.to_string());
            assert_eq!(wait.as_deref(), Some(text));
        }
    }
}
