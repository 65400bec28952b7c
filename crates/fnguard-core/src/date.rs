//! Calendar dates without a time-zone library: date-dependent rules
//! (runtime deprecation) compare whole days, and tests pin the scan date.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Date {
    pub fn new(year: i32, month: u32, day: u32) -> Option<Date> {
        let valid = (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month);
        valid.then_some(Date { year, month, day })
    }

    /// Today in UTC.
    pub fn today() -> Date {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        Date::from_days((secs / 86_400) as i64)
    }

    /// Days since 1970-01-01 (Howard Hinnant's civil-from-days algorithm).
    pub fn days(self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = if y >= 0 { y } else { y - 399 } / 400;
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    pub fn from_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let y = yoe + era * 400;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        Date {
            year: (y + i64::from(m <= 2)) as i32,
            month: m,
            day: d,
        }
    }

    /// Whole days from `self` to `other` (negative when `other` is earlier).
    pub fn days_until(self, other: Date) -> i64 {
        other.days() - self.days()
    }
}

/// `time` in RFC 3339, UTC (`2026-12-05T21:19:01Z`), with milliseconds
/// when `millis` (`...01.250Z`).
pub fn rfc3339(time: std::time::SystemTime, millis: bool) -> String {
    let since = time
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = since.as_secs();
    let date = Date::from_days((secs / 86_400) as i64);
    let rest = secs % 86_400;
    let (h, m, s) = (rest / 3600, rest % 3600 / 60, rest % 60);
    if millis {
        format!("{date}T{h:02}:{m:02}:{s:02}.{:03}Z", since.subsec_millis())
    } else {
        format!("{date}T{h:02}:{m:02}:{s:02}Z")
    }
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

#[derive(Debug, thiserror::Error)]
#[error("invalid date `{0}` (expected YYYY-MM-DD)")]
pub struct ParseDateError(pub String);

impl FromStr for Date {
    type Err = ParseDateError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseDateError(s.to_string());
        let mut parts = s.trim().splitn(3, '-');
        let year = parts.next().and_then(|p| p.parse().ok()).ok_or_else(err)?;
        let month = parts.next().and_then(|p| p.parse().ok()).ok_or_else(err)?;
        let day = parts.next().and_then(|p| p.parse().ok()).ok_or_else(err)?;
        Date::new(year, month, day).ok_or_else(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_arithmetic() {
        let d: Date = "2026-11-28".parse().unwrap();
        assert_eq!(d.to_string(), "2026-11-28");
        assert_eq!(Date::from_days(d.days()), d);
        assert_eq!(Date::from_days(0).to_string(), "1970-01-01");
        let leap: Date = "2024-02-29".parse().unwrap();
        assert_eq!(leap.days_until("2024-03-01".parse().unwrap()), 1);
        assert!("2023-02-29".parse::<Date>().is_err());
        assert!("2023-13-01".parse::<Date>().is_err());
        assert!("yesterday".parse::<Date>().is_err());
        assert!(Date::today().year >= 2024);
    }

    #[test]
    fn timestamps_in_rfc3339() {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(1_764_969_541_250);
        assert_eq!(rfc3339(t, false), "2025-12-05T21:19:01Z");
        assert_eq!(rfc3339(t, true), "2025-12-05T21:19:01.250Z");
    }
}
