//! `--dedup WINDOW`: the same rule firing for the same key (by default the
//! principal, event name and source IP; `--dedup-key` names other facts)
//! within WINDOW gives one alert, output at the first occurrence; the
//! repeats are counted and the summary lists the keys that repeated, with
//! their counts and the time of the first occurrence.
//!
//! Windows run on event time (the alert's `time`), not the wall clock, so
//! a batch run over last month's logs folds exactly as the live run would
//! have. An alert without a time takes the latest event time seen.
//! A window opens at the first occurrence and lasts WINDOW; the next
//! occurrence after it is output again and opens a new window.
//!
//! Memory is bounded: at most [`DedupConfig::max_keys`] open windows (past
//! that, expired windows are closed first, then the oldest: a key closed
//! early may be output again), and at most [`MAX_REPORTED_GROUPS`] repeated
//! keys kept for the summary (the largest; the totals stay exact).

use super::{alert_time_ms, fact_text};
use crate::alert::Alert;
use std::collections::HashMap;

/// Repeated keys kept for the summary.
pub const MAX_REPORTED_GROUPS: usize = 1000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DedupConfig {
    pub window_ms: i64,
    /// The facts that, with the rule id, make the key.
    pub key_facts: Vec<String>,
    pub max_keys: usize,
}

impl DedupConfig {
    /// The default key (principal, event name, source IP) and bound.
    pub fn new(window_ms: i64) -> Self {
        DedupConfig {
            window_ms,
            key_facts: DEFAULT_KEY.iter().map(|s| s.to_string()).collect(),
            max_keys: 100_000,
        }
    }
}

/// Facts of the default key.
pub const DEFAULT_KEY: [&str; 3] = ["principal", "event_name", "source_ip"];

/// A window as `10m`, `30s`, `2h`, `1d` or `500ms`, in milliseconds; a
/// bare number is seconds.
pub fn parse_window(text: &str) -> Result<i64, String> {
    let text = text.trim();
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = text.split_at(digits);
    let number: i64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (10m, 30s, 2h, 1d)"))?;
    let scale = match unit {
        "ms" => 1,
        "" | "s" => 1000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(format!("`{text}`: unit must be ms, s, m, h or d")),
    };
    match number.checked_mul(scale) {
        Some(ms) if ms > 0 => Ok(ms),
        _ => Err(format!(
            "`{text}`: the window must be positive and under i64 ms"
        )),
    }
}

#[derive(Debug)]
struct Window {
    start_ms: i64,
    first_time: Option<String>,
    rule_id: String,
    key: Vec<(String, String)>,
    repeats: u64,
}

/// A key that repeated within its window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateGroup {
    pub rule_id: String,
    /// The key's facts (`principal`, value), missing facts left out.
    pub key: Vec<(String, String)>,
    /// The time of the occurrence that was output.
    pub first_time: Option<String>,
    /// Occurrences not output.
    pub repeats: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DedupReport {
    pub window_ms: i64,
    /// Alerts not output as repeats.
    pub duplicates: u64,
    /// The largest repeated keys, most repeats first.
    pub groups: Vec<DuplicateGroup>,
}

impl DedupReport {
    /// Summary lines: the total, then the ten largest keys.
    pub fn lines(&self) -> Vec<String> {
        if self.duplicates == 0 {
            return Vec::new();
        }
        let mut lines = vec![format!(
            "{} folded into their first occurrence (--dedup {} s)",
            super::counted(self.duplicates, "repeated alert"),
            self.window_ms / 1000
        )];
        for group in self.groups.iter().take(10) {
            let key: Vec<String> = group.key.iter().map(|(k, v)| format!("{k}={v}")).collect();
            lines.push(format!(
                "  {} {} repeated {} more times after {}",
                group.rule_id,
                key.join(" "),
                group.repeats,
                group.first_time.as_deref().unwrap_or("-")
            ));
        }
        lines
    }
}

pub struct Dedup {
    config: DedupConfig,
    /// Latest event time seen: the clock of the windows.
    clock_ms: i64,
    open: HashMap<String, Window>,
    duplicates: u64,
    groups: Vec<DuplicateGroup>,
}

impl Dedup {
    pub fn new(config: DedupConfig) -> Self {
        Dedup {
            config,
            clock_ms: i64::MIN,
            open: HashMap::new(),
            duplicates: 0,
            groups: Vec::new(),
        }
    }

    /// Windows open now (the memory in use).
    pub fn open_windows(&self) -> usize {
        self.open.len()
    }

    /// Whether `alert` is the first of its key in the current window (and
    /// so is output); a repeat is counted.
    pub fn first_in_window(&mut self, alert: &Alert) -> bool {
        let time = match alert_time_ms(alert) {
            Some(ms) => {
                self.clock_ms = self.clock_ms.max(ms);
                ms
            }
            None if self.clock_ms == i64::MIN => 0,
            None => self.clock_ms,
        };
        let key: Vec<(String, String)> = self
            .config
            .key_facts
            .iter()
            .filter_map(|name| Some((name.clone(), fact_text(alert, name)?.into_owned())))
            .collect();
        let mut id = alert.rule_id.clone();
        for name in &self.config.key_facts {
            // Unit separators keep `a`+`bc` and `ab`+`c` apart.
            id.push('\u{1f}');
            if let Some(value) = fact_text(alert, name) {
                id.push_str(&value);
            }
        }
        if let Some(window) = self.open.get_mut(&id) {
            if (time - window.start_ms).abs() < self.config.window_ms {
                window.repeats += 1;
                self.duplicates += 1;
                return false;
            }
            let closed = self.open.remove(&id);
            self.close(closed);
        }
        if self.open.len() >= self.config.max_keys.max(1) {
            self.make_room();
        }
        self.open.insert(
            id,
            Window {
                start_ms: time,
                first_time: alert.time.clone(),
                rule_id: alert.rule_id.clone(),
                key,
                repeats: 0,
            },
        );
        true
    }

    /// Closes the expired windows, then, if still full, the oldest half.
    fn make_room(&mut self) {
        let (clock, window) = (self.clock_ms, self.config.window_ms);
        let expired: Vec<String> = self
            .open
            .iter()
            .filter(|(_, w)| clock.saturating_sub(w.start_ms) >= window)
            .map(|(k, _)| k.clone())
            .collect();
        for key in expired {
            let closed = self.open.remove(&key);
            self.close(closed);
        }
        if self.open.len() >= self.config.max_keys.max(1) {
            let mut starts: Vec<i64> = self.open.values().map(|w| w.start_ms).collect();
            starts.sort_unstable();
            let Some(&cut) = starts.get(starts.len() / 2) else {
                return;
            };
            let oldest: Vec<String> = self
                .open
                .iter()
                .filter(|(_, w)| w.start_ms <= cut)
                .map(|(k, _)| k.clone())
                .collect();
            for key in oldest {
                let closed = self.open.remove(&key);
                self.close(closed);
            }
        }
    }

    fn close(&mut self, window: Option<Window>) {
        let Some(window) = window else { return };
        if window.repeats == 0 {
            return;
        }
        self.groups.push(DuplicateGroup {
            rule_id: window.rule_id,
            key: window.key,
            first_time: window.first_time,
            repeats: window.repeats,
        });
        if self.groups.len() >= 2 * MAX_REPORTED_GROUPS {
            self.keep_largest();
        }
    }

    fn keep_largest(&mut self) {
        self.groups.sort_by(|a, b| {
            b.repeats
                .cmp(&a.repeats)
                .then_with(|| a.first_time.cmp(&b.first_time))
        });
        self.groups.truncate(MAX_REPORTED_GROUPS);
    }

    /// Closes every window and reports.
    pub fn finish(mut self) -> DedupReport {
        let open: Vec<Window> = self.open.drain().map(|(_, w)| w).collect();
        for window in open {
            self.close(Some(window));
        }
        self.keep_largest();
        DedupReport {
            window_ms: self.config.window_ms,
            duplicates: self.duplicates,
            groups: self.groups,
        }
    }
}
