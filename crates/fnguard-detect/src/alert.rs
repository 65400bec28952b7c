//! What every detection produces, whichever part found it (a Sigma rule of
//! the pack or the user's, a correlation rule, a stateful detector): one
//! shape, so that outputs (table, JSON lines, OCSF, webhook),
//! deduplication and `--fail-on` treat them alike.

use crate::input::Origin;
use fnguard_core::severity::Severity;
use serde::Serialize;
use serde_json::{Map, Value};

/// Which part of fnguard raised the alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AlertKind {
    /// A Sigma rule matched one event.
    Rule,
    /// A Sigma correlation rule (counts, distinct values, sequences).
    Correlation,
    /// A stateful detector written in code (stolen credentials, anomalies).
    Detector,
}

#[derive(Debug, Clone, Serialize)]
pub struct Alert {
    pub kind: AlertKind,
    /// `FG-DET-NNN` for fnguard's rules and detectors, else the Sigma id
    /// (or the rule's file when it has none).
    pub rule_id: String,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title_zh: Option<String>,
    pub severity: Severity,
    /// ATT&CK and other tags as the rule gives them (`attack.t1098`).
    pub tags: Vec<String>,
    /// Guide section (`3.4.3`) for fnguard's own rules and detectors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guide: Option<String>,
    /// The time of the (last) event that raised it, as the log wrote it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    /// Facts an analyst needs first: event name, principal, source IP,
    /// function, access key, observed value and baseline...
    pub facts: Map<String, Value>,
    /// Where the (last) event was read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<AlertOrigin>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertOrigin {
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    pub index: u64,
}

impl From<&Origin> for AlertOrigin {
    fn from(origin: &Origin) -> Self {
        AlertOrigin {
            file: origin.file.to_string(),
            line: origin.line,
            index: origin.index,
        }
    }
}

/// A Sigma `level` as a severity (`informational` is `info`; an unknown or
/// missing level is `info`, the least, so it never trips `--fail-on`).
pub fn severity_of_level(level: Option<&str>) -> Severity {
    match level.map(str::to_ascii_lowercase).as_deref() {
        Some("critical") => Severity::Critical,
        Some("high") => Severity::High,
        Some("medium") => Severity::Medium,
        Some("low") => Severity::Low,
        _ => Severity::Info,
    }
}

/// Milliseconds since the epoch of an RFC 3339 / ISO 8601 UTC time as logs
/// write it (`2026-12-05T21:19:01Z`, with fractions, or with a `+hh:mm`
/// offset); `None` when it is not one.
pub fn parse_time_ms(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(range)?;
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    if bytes.len() < 19 || bytes[4] != b'-' || bytes[7] != b'-' || bytes[13] != b':' {
        return None;
    }
    if !matches!(bytes[10], b'T' | b't' | b' ') || bytes[16] != b':' {
        return None;
    }
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    let date = fnguard_core::date::Date::new(year as i32, month as u32, day as u32)?;
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut rest = &text[19..];
    let mut millis = 0i64;
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let padded = format!("{:0<3}", &fraction[..digits.min(3)]);
        millis = padded.parse().ok()?;
        rest = &fraction[digits..];
    }
    let offset_minutes = match rest {
        "" | "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let hh: i64 = rest.get(1..3)?.parse().ok()?;
            let mm: i64 = rest.get(rest.len() - 2..)?.parse().ok()?;
            if rest.len() != 6 && rest.len() != 5 {
                return None;
            }
            sign * (hh * 60 + mm)
        }
    };
    let seconds = date.days() * 86_400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
    Some(seconds * 1000 + millis)
}

/// The fields [`event_time_ms`] and [`event_time_text`] read.
pub const TIME_FIELDS: &[&str] = &[
    "eventTime",
    "query_timestamp",
    "time",
    "timestamp",
    "start",
    "log",
];

/// The time of an event in milliseconds since the epoch, from the field
/// its log uses: CloudTrail `eventTime`, Route 53 Resolver
/// `query_timestamp`, VPC flow `start` (epoch seconds), JSON logs `time` or
/// `timestamp` (text or epoch milliseconds).
pub fn event_time_ms(event: &Value) -> Option<i64> {
    for key in ["eventTime", "query_timestamp", "time", "timestamp"] {
        match event.get(key) {
            Some(Value::String(text)) => {
                if let Some(ms) = parse_time_ms(text) {
                    return Some(ms);
                }
            }
            Some(Value::Number(n)) => return n.as_i64(),
            _ => {}
        }
    }
    if event.get("log").and_then(Value::as_str) == Some("vpc-flow") {
        return event.get("start")?.as_i64().map(|s| s * 1000);
    }
    None
}

/// The event's time as its log wrote it, or as RFC 3339 when the log
/// gives epoch numbers (flow logs' `start`, CloudWatch's `timestamp`).
pub fn event_time_text(event: &Value) -> Option<String> {
    for key in ["eventTime", "query_timestamp", "time", "timestamp"] {
        if let Some(Value::String(text)) = event.get(key) {
            return Some(text.clone());
        }
    }
    let ms = event_time_ms(event)?;
    let time = std::time::UNIX_EPOCH
        .checked_add(std::time::Duration::from_millis(u64::try_from(ms).ok()?))?;
    Some(fnguard_core::date::rfc3339(time, ms % 1000 != 0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn times_as_logs_write_them() {
        assert_eq!(parse_time_ms("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_time_ms("2023-05-09T12:34:56Z"),
            Some(1_683_635_696_000)
        );
        assert_eq!(
            parse_time_ms("2023-05-09T12:34:56.5Z"),
            Some(1_683_635_696_500)
        );
        assert_eq!(
            parse_time_ms("2023-05-09T14:34:56.123456+02:00"),
            Some(1_683_635_696_123)
        );
        for bad in [
            "",
            "2023-05-09",
            "2023-13-09T12:34:56Z",
            "2023-05-09T12:34:56Q",
            "2023-05-09T12:34:56.",
        ] {
            assert_eq!(parse_time_ms(bad), None, "{bad}");
        }
    }

    #[test]
    fn event_time_from_each_log() {
        assert_eq!(
            event_time_ms(&json!({"eventTime": "1970-01-01T00:00:01Z"})),
            Some(1000)
        );
        assert_eq!(
            event_time_ms(&json!({"query_timestamp": "1970-01-01T00:00:02Z"})),
            Some(2000)
        );
        assert_eq!(
            event_time_ms(&json!({"log": "vpc-flow", "start": 3})),
            Some(3000)
        );
        assert_eq!(event_time_ms(&json!({"timestamp": 4000})), Some(4000));
        assert_eq!(event_time_ms(&json!({"log": "lambda"})), None);
    }

    #[test]
    fn levels_as_severities() {
        assert_eq!(severity_of_level(Some("High")), Severity::High);
        assert_eq!(severity_of_level(Some("informational")), Severity::Info);
        assert_eq!(severity_of_level(None), Severity::Info);
    }
}
