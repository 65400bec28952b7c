//! `--format table`: one line per alert for a person reading a terminal or
//! a CI log. Alerts stream (a live run never ends), so columns have fixed
//! widths rather than widths measured over all lines: severity, time, rule
//! id and title line up; the facts that follow are `name=value` pairs.

use super::{fact_text, title_in};
use crate::alert::Alert;
use fnguard_core::Lang;

/// Widest Sigma level name, `critical`.
const SEVERITY_WIDTH: usize = 8;
/// `2026-12-05T21:19:01Z`; longer times (fractions) push the rest right.
const TIME_WIDTH: usize = 20;
/// `FG-DET-NNN`; Sigma UUIDs are longer and push the rest right.
const RULE_WIDTH: usize = 10;
/// Titles are cut here (with an ellipsis) so that facts start aligned.
const TITLE_WIDTH: usize = 60;

/// Facts shown, in order, when the alert has them.
const SHOWN_FACTS: [(&str, &str); 6] = [
    ("event_name", "event"),
    ("function", "function"),
    ("principal", "principal"),
    ("source_ip", "ip"),
    ("query_name", "query"),
    ("destination_ip", "dst"),
];

/// The table line of one alert:
/// `HIGH      2024-07-01T10:00:00Z  FG-DET-002  Title…  event=X principal=Y ip=Z  file:line`.
pub fn line(alert: &Alert, lang: Lang) -> String {
    let severity = alert.severity.as_str().to_ascii_uppercase();
    let time = alert.time.as_deref().unwrap_or("-");
    let mut out = format!(
        "{severity:<SEVERITY_WIDTH$}  {time:<TIME_WIDTH$}  {:<RULE_WIDTH$}  {}",
        alert.rule_id,
        padded_title(title_in(alert, lang))
    );
    let facts: Vec<String> = SHOWN_FACTS
        .iter()
        .filter_map(|(name, label)| Some(format!("{label}={}", fact_text(alert, name)?)))
        .collect();
    if !facts.is_empty() {
        out.push_str("  ");
        out.push_str(&facts.join(" "));
    }
    if let Some(origin) = &alert.origin {
        out.push_str("  ");
        match origin.line {
            Some(line) => out.push_str(&format!("{}:{line}", origin.file)),
            None => out.push_str(&format!("{}#{}", origin.file, origin.index)),
        }
    }
    out.trim_end().to_string()
}

/// The title cut to [`TITLE_WIDTH`] characters or padded to it (a Chinese
/// title is counted in characters too: it lines up with other Chinese
/// titles, which is what a `--lang zh` table shows for fnguard's rules).
fn padded_title(title: &str) -> String {
    let count = title.chars().count();
    if count > TITLE_WIDTH {
        let mut cut: String = title.chars().take(TITLE_WIDTH - 1).collect();
        cut.push('…');
        cut
    } else {
        format!("{title}{}", " ".repeat(TITLE_WIDTH - count))
    }
}
