//! Timestamps for records, computed from `SystemTime` without a time crate.
//!
//! Records are always in UTC: the gate never reads the time zone database,
//! which keeps the output identical on every host of a fleet and independent
//! of what the sandbox still lets the process read.

use std::time::{SystemTime, UNIX_EPOCH};

/// A UTC calendar time, broken down.
///
/// `i128` throughout so that no `SystemTime` the platform can represent
/// overflows the arithmetic, whatever its distance from the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Civil {
    year: i128,
    month: i128,
    day: i128,
    hour: i128,
    minute: i128,
    second: i128,
    millis: i128,
}

impl Civil {
    fn from_system_time(t: SystemTime) -> Civil {
        // Nanoseconds since the epoch, negative before it; flooring below
        // keeps 1ms before the epoch on 1969-12-31T23:59:59.999.
        let nanos: i128 = match t.duration_since(UNIX_EPOCH) {
            Ok(d) => d.as_nanos() as i128,
            Err(e) => -(e.duration().as_nanos() as i128),
        };
        let total_ms = nanos.div_euclid(1_000_000);
        let secs = total_ms.div_euclid(1000);
        let days = secs.div_euclid(86_400);
        let sod = secs.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        Civil {
            year,
            month,
            day,
            hour: sod / 3600,
            minute: sod % 3600 / 60,
            second: sod % 60,
            millis: total_ms.rem_euclid(1000),
        }
    }
}

/// Converts days since 1970-01-01 to a proleptic Gregorian (year, month, day).
///
/// Howard Hinnant's `civil_from_days`: it shifts the year to start on March 1
/// so that the leap day is the last day of the shifted year, then works in
/// 400-year eras, which repeat exactly (146097 days each).
fn civil_from_days(days: i128) -> (i128, i128, i128) {
    let z = days + 719_468; // days since 0000-03-01
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097; // day of era, [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // day of March-based year, [0, 365]
    let mp = (5 * doy + 2) / 153; // March-based month, [0, 11]
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i128::from(month <= 2);
    (year, month, day)
}

/// Formats `t` as RFC 3339 in UTC with milliseconds, e.g.
/// `2026-11-26T13:04:05.123Z`.
///
/// Sub-millisecond precision is truncated (floored), never rounded up, so a
/// record never claims a time later than the one it was taken at.
pub fn rfc3339_utc(t: SystemTime) -> String {
    let c = Civil::from_system_time(t);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        c.year, c.month, c.day, c.hour, c.minute, c.second, c.millis
    )
}

/// Formats `t` as the RFC 3164 header timestamp `Mmm dd hh:mm:ss` (day
/// space-padded, as glibc's `syslog()` writes `%h %e %T`), in UTC.
pub(crate) fn syslog_timestamp(t: SystemTime) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let c = Civil::from_system_time(t);
    // month is in 1..=12 by construction of civil_from_days; the fallback
    // only keeps this free of a panic path.
    let month = usize::try_from(c.month - 1)
        .ok()
        .and_then(|i| MONTHS.get(i))
        .copied()
        .unwrap_or("???");
    format!(
        "{month} {:>2} {:02}:{:02}:{:02}",
        c.day, c.hour, c.minute, c.second
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(secs: i64, millis: u64) -> SystemTime {
        let base = if secs >= 0 {
            UNIX_EPOCH + Duration::from_secs(secs.unsigned_abs())
        } else {
            UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs())
        };
        base + Duration::from_millis(millis)
    }

    #[test]
    fn known_rfc3339_values() {
        // Expected values cross-checked with `date -u -d @SECS`.
        let cases = [
            (at(0, 0), "1970-01-01T00:00:00.000Z"),
            (at(1_709_164_800, 0), "2024-02-29T00:00:00.000Z"),
            (at(951_827_696, 789), "2000-02-29T12:34:56.789Z"),
            (at(1_795_698_245, 123), "2026-11-26T13:04:05.123Z"),
            (at(1_773_040_089, 7), "2026-03-09T07:08:09.007Z"),
            // 2100 is not a leap year: Feb 28 is followed by Mar 1.
            (at(4_107_542_400, 0), "2100-03-01T00:00:00.000Z"),
            (at(4_107_542_399, 999), "2100-02-28T23:59:59.999Z"),
            (at(-1, 0), "1969-12-31T23:59:59.000Z"),
            (at(-2_203_891_201, 0), "1900-02-28T23:59:59.000Z"),
        ];
        for (t, want) in cases {
            assert_eq!(rfc3339_utc(t), want);
        }
    }

    #[test]
    fn sub_millisecond_is_floored() {
        let t = at(1_795_698_245, 123) + Duration::from_micros(999);
        assert_eq!(rfc3339_utc(t), "2026-11-26T13:04:05.123Z");
        // Half a millisecond before the epoch is still the previous day.
        let t = UNIX_EPOCH - Duration::from_micros(500);
        assert_eq!(rfc3339_utc(t), "1969-12-31T23:59:59.999Z");
    }

    /// The inverse (Hinnant's `days_from_civil`), used only to check that
    /// every day in a wide range maps to a distinct, valid, consecutive date.
    fn days_from_civil(y: i128, m: i128, d: i128) -> i128 {
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = if m > 2 { m - 3 } else { m + 9 };
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    #[test]
    fn civil_from_days_round_trips() {
        let mut prev = civil_from_days(-800_000);
        for days in -799_999..800_000i128 {
            let (y, m, d) = civil_from_days(days);
            assert!((1..=12).contains(&m) && (1..=31).contains(&d));
            assert_eq!(days_from_civil(y, m, d), days);
            // Consecutive days: same month and next day, or first of a month.
            assert!(
                (y, m, d - 1) == prev || (d == 1 && (prev.1 != m || prev.0 != y)),
                "{prev:?} -> {:?}",
                (y, m, d)
            );
            prev = (y, m, d);
        }
    }

    #[test]
    fn syslog_timestamps() {
        assert_eq!(syslog_timestamp(at(1_795_698_245, 123)), "Nov 26 13:04:05");
        assert_eq!(syslog_timestamp(at(1_773_040_089, 0)), "Mar  9 07:08:09");
        assert_eq!(syslog_timestamp(at(0, 0)), "Jan  1 00:00:00");
        assert_eq!(syslog_timestamp(at(1_709_164_800, 0)), "Feb 29 00:00:00");
    }
}
