//! Where alerts go (guide §3.4.1: real-time alerts): every detection
//! becomes one [`Alert`]; [`Outputs`] then drops the ones below
//! `--min-severity`, the ones a suppression file names, and the duplicates
//! of a `--dedup` window, and hands the rest to the output format (table,
//! JSON lines, OCSF) and to the webhooks.
//!
//! Order and counting, as documented for users:
//! 1. below `--min-severity`: not output, counted;
//! 2. matched by a suppression (`--suppress FILE`): not output, counted per
//!    suppression;
//! 3. a duplicate inside its `--dedup` window: not output (the first
//!    occurrence was), counted per key; the summary lists the keys that
//!    repeated with their counts.
//!
//! Only alerts that are output count for `--fail-on`: an alert a user
//! chose to silence must not fail a CI job.

pub mod dedup;
pub mod ocsf;
pub mod suppress;
pub mod table;
pub mod webhook;

use crate::alert::{severity_of_level, Alert, AlertKind, AlertOrigin};
use crate::input::Event;
use crate::pack::PackRule;
use crate::sigma::Rule;
use fnguard_core::severity::Severity;
use fnguard_core::Lang;
use serde::Serialize;
use serde_json::{Map, Value};
use std::io::{self, Write};

/// Version of the JSON lines and webhook JSON shapes (`schema_version`).
pub const SCHEMA_VERSION: &str = "1";

/// fnguard's own metadata of a pack rule, kept by the CLI per rule source
/// file so that a match of that rule names its `FG-DET` id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackInfo {
    pub id: String,
    pub guide: String,
    pub title_zh: String,
}

impl From<&PackRule> for PackInfo {
    fn from(pack: &PackRule) -> Self {
        PackInfo {
            id: pack.id.clone(),
            guide: pack.guide.clone(),
            title_zh: pack.title_zh.clone(),
        }
    }
}

/// The alert of one Sigma rule matching one event: the fnguard id, guide
/// section and Chinese title for pack rules (`pack`), else the Sigma id
/// (or the rule's file when it has none); severity from the rule's level;
/// the event's facts, time and origin.
pub fn rule_alert(rule: &Rule, pack: Option<&PackInfo>, event: &Event) -> Alert {
    let rule_id = match (pack, &rule.id) {
        (Some(pack), _) => pack.id.clone(),
        (None, Some(id)) => id.clone(),
        (None, None) => rule.source.clone(),
    };
    Alert {
        kind: AlertKind::Rule,
        rule_id,
        title: rule.title.clone(),
        title_zh: pack.map(|p| p.title_zh.clone()),
        severity: severity_of_level(rule.level.as_deref()),
        tags: rule.tags.clone(),
        guide: pack.map(|p| p.guide.clone()),
        time: crate::alert::event_time_text(&event.value),
        facts: event_facts(&event.value),
        origin: Some(AlertOrigin::from(&event.origin)),
    }
}

/// The facts an analyst needs first, under the same names whatever the
/// log: `event_name`, `event_source`, `event_id`, `principal` (ARN),
/// `access_key`, `account`, `region`, `source_ip`, `user_agent`,
/// `error_code`, `function` (when the request names one), and for DNS and
/// flow logs `query_name`, `destination_ip`, `destination_port`,
/// `action`, for Lambda logs `requestId` (so named by the anomaly
/// detector's alerts too). The stateful detectors use the same names
/// (`event_name`, `principal`, `source_ip`...), so that dedup keys,
/// suppressions and OCSF mapping treat every alert alike. Absent fields are
/// left out.
/// Every event field [`event_facts`] reads, as dotted paths, for the
/// reader's projection (kept next to the function so that they change
/// together; a test holds them to it).
pub const EVENT_FIELDS: &[&str] = &[
    "eventName",
    "eventSource",
    "eventID",
    "userIdentity.arn",
    "userIdentity.accessKeyId",
    "userIdentity.accountId",
    "recipientAccountId",
    "account_id",
    "account-id",
    "awsRegion",
    "region",
    "sourceIPAddress",
    "srcaddr",
    "userAgent",
    "errorCode",
    "query_name",
    "dstaddr",
    "dstport",
    "action",
    "requestId",
    "requestParameters.functionName",
    "responseElements.functionName",
    "requestParameters.function",
];

pub fn event_facts(event: &Value) -> Map<String, Value> {
    let mut facts = Map::new();
    visit_facts(event, &mut |name, fact| {
        let value = match fact {
            FactRef::Value(value) => value.clone(),
            FactRef::Text(text) => Value::String(text.to_string()),
        };
        facts.insert(name.to_string(), value);
    });
    facts
}

/// An event's facts, serialised as [`event_facts`]' map would be, without
/// building it.
struct FactsView<'a>(&'a Value);

impl serde::Serialize for FactsView<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        let mut result = Ok(());
        visit_facts(self.0, &mut |name, fact| {
            if result.is_ok() {
                result = match fact {
                    FactRef::Value(value) => map.serialize_entry(name, value),
                    FactRef::Text(text) => map.serialize_entry(name, text),
                };
            }
        });
        result?;
        map.end()
    }
}

/// A rule's alert as a JSON line, borrowed from the rule and the event:
/// the same text as [`rule_alert`] then the JSON-lines writer give (a test
/// holds them to it), without the copies, for the runs where nothing but
/// the writer reads the alert.
#[derive(serde::Serialize)]
struct RuleAlertLine<'a> {
    schema_version: &'static str,
    kind: AlertKind,
    rule_id: &'a str,
    title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    title_zh: Option<&'a str>,
    severity: Severity,
    tags: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    guide: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    time: Option<String>,
    facts: FactsView<'a>,
    origin: OriginLine<'a>,
}

#[derive(serde::Serialize)]
struct OriginLine<'a> {
    file: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u64>,
    index: u64,
}

/// A fact as the event holds it (text or number), or a name cut out of
/// it.
#[derive(Clone, Copy)]
enum FactRef<'a> {
    Value(&'a Value),
    Text(&'a str),
}

/// Each fact of `event`, in order: the one definition of the facts, for
/// [`event_facts`] and for alerts written without building them.
fn visit_facts<'a>(event: &'a Value, visit: &mut dyn FnMut(&'static str, FactRef<'a>)) {
    let mut take = |name: &'static str, pointers: &[&str]| {
        for pointer in pointers {
            match at_pointer(event, pointer) {
                Some(text @ Value::String(s)) if !s.is_empty() => {
                    visit(name, FactRef::Value(text));
                    return;
                }
                Some(number @ Value::Number(_)) => {
                    visit(name, FactRef::Value(number));
                    return;
                }
                _ => {}
            }
        }
    };
    take("event_name", &["/eventName"]);
    take("event_source", &["/eventSource"]);
    take("event_id", &["/eventID"]);
    take("principal", &["/userIdentity/arn"]);
    take("access_key", &["/userIdentity/accessKeyId"]);
    take(
        "account",
        &[
            "/recipientAccountId",
            "/userIdentity/accountId",
            "/account_id",
            "/account-id",
        ],
    );
    take("region", &["/awsRegion", "/region"]);
    take("source_ip", &["/sourceIPAddress", "/srcaddr"]);
    take("user_agent", &["/userAgent"]);
    take("error_code", &["/errorCode"]);
    take("query_name", &["/query_name"]);
    take("destination_ip", &["/dstaddr"]);
    take("destination_port", &["/dstport"]);
    take("action", &["/action"]);
    take("requestId", &["/requestId"]);
    let function = [
        "/requestParameters/functionName",
        "/responseElements/functionName",
        "/requestParameters/function",
    ]
    .iter()
    .find_map(|p| at_pointer(event, p).and_then(Value::as_str))
    .map(function_name);
    if let Some(name) = function {
        visit("function", FactRef::Text(name));
    }
}

/// `orders` from `orders`, `arn:aws:lambda:r:a:function:orders` or
/// `...:function:orders:live` (a qualified ARN).
/// The value at a JSON pointer of plain keys (`/userIdentity/arn`), without
/// the allocations of `Value::pointer` (which unescapes `~0`/`~1` in every
/// token: none of these keys have them), once per fact of every alert.
fn at_pointer<'a>(event: &'a Value, pointer: &str) -> Option<&'a Value> {
    pointer
        .split('/')
        .skip(1)
        .try_fold(event, |value, key| value.get(key))
}

fn function_name(reference: &str) -> &str {
    match reference.split_once(":function:") {
        Some((_, rest)) => rest.split(':').next().unwrap_or(rest),
        None => reference,
    }
}

/// A fact as text (numbers written as JSON writes them).
pub fn fact_text<'a>(alert: &'a Alert, name: &str) -> Option<std::borrow::Cow<'a, str>> {
    match alert.facts.get(name)? {
        Value::String(s) => Some(std::borrow::Cow::Borrowed(s)),
        Value::Null => None,
        other => Some(std::borrow::Cow::Owned(other.to_string())),
    }
}

/// `1 alert`, `2 alerts` (nouns with a plain `s` plural; `retry` gives
/// `retries`).
pub fn counted(count: u64, noun: &str) -> String {
    match (count, noun.strip_suffix('y')) {
        (1, _) => format!("1 {noun}"),
        (_, Some(stem)) => format!("{count} {stem}ies"),
        (_, None) => format!("{count} {noun}s"),
    }
}

/// The alert's title in `lang`: the Chinese one when asked for and the
/// rule has it (fnguard's own rules do), else the English one.
pub fn title_in(alert: &Alert, lang: Lang) -> &str {
    match (lang, &alert.title_zh) {
        (Lang::Zh, Some(title)) => title,
        _ => &alert.title,
    }
}

/// The event time of an alert in milliseconds, when it has one.
pub fn alert_time_ms(alert: &Alert) -> Option<i64> {
    alert.time.as_deref().and_then(crate::alert::parse_time_ms)
}

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// For people: one aligned line per alert, severity first, then a
    /// summary.
    Table,
    /// One [`Alert`] JSON object per line, with `schema_version`.
    Jsonl,
    /// One OCSF Detection Finding (class 2004) JSON object per line.
    Ocsf,
}

/// What [`Outputs`] does besides writing.
#[derive(Debug, Default)]
pub struct OutputOptions {
    /// Titles of the table and of Slack lines (`--lang`); JSON and OCSF
    /// carry both languages.
    pub lang: Lang,
    /// Alerts below are not output.
    pub min_severity: Option<Severity>,
    pub suppressions: suppress::Suppressions,
    pub dedup: Option<dedup::DedupConfig>,
    pub webhooks: Vec<webhook::WebhookConfig>,
}

/// One alert as a JSON line: the alert with the shape's version.
#[derive(Serialize)]
struct JsonLine<'a> {
    schema_version: &'static str,
    #[serde(flatten)]
    alert: &'a Alert,
}

/// An alert as the JSON text of one line of `--format jsonl` (and an
/// element of the webhook's JSON payload).
pub fn alert_json(alert: &Alert) -> Value {
    serde_json::to_value(JsonLine {
        schema_version: SCHEMA_VERSION,
        alert,
    })
    .unwrap_or(Value::Null)
}

/// The alert sinks of one run: filters, then the format on `writer`, then
/// the webhooks (each on its own thread: a slow or dead endpoint never
/// holds up reading).
pub struct Outputs<W: Write> {
    writer: W,
    format: Format,
    lang: Lang,
    min_severity: Option<Severity>,
    suppressions: suppress::Suppressions,
    dedup: Option<dedup::Dedup>,
    webhooks: Vec<webhook::Webhook>,
    summary: Summary,
    /// A closed pipe (`| head`): stop writing, keep counting.
    writer_closed: bool,
}

/// What a run output, silenced and sent, for the closing summary and the
/// exit code.
#[derive(Debug, Default)]
pub struct Summary {
    /// Alerts output, per severity (info, low, medium, high, critical).
    pub output_by_severity: [u64; 5],
    pub below_min_severity: u64,
    pub min_severity: Option<Severity>,
    /// Suppressed alerts per suppression that matched at least once.
    pub suppressed: Vec<suppress::SuppressionCount>,
    pub dedup: Option<dedup::DedupReport>,
    pub webhooks: Vec<webhook::WebhookReport>,
    /// Writing the format failed (other than a closed pipe).
    pub write_error: Option<String>,
}

impl Summary {
    /// Alerts output.
    pub fn output(&self) -> u64 {
        self.output_by_severity.iter().sum()
    }

    /// The most severe alert output, for `--fail-on`.
    pub fn worst(&self) -> Option<Severity> {
        Severity::ALL
            .into_iter()
            .find(|s| self.output_by_severity[*s as usize] > 0)
    }

    /// Alerts silenced by suppressions.
    pub fn suppressed_total(&self) -> u64 {
        self.suppressed.iter().map(|s| s.count).sum()
    }

    /// The summary for people, one line each: alerts by severity, then
    /// what was left out and why, then each webhook's delivery.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        let by_severity: Vec<String> = Severity::ALL
            .into_iter()
            .filter(|s| self.output_by_severity[*s as usize] > 0)
            .map(|s| format!("{} {s}", self.output_by_severity[s as usize]))
            .collect();
        lines.push(match by_severity.is_empty() {
            true => "0 alerts".to_string(),
            false => format!(
                "{}: {}",
                counted(self.output(), "alert"),
                by_severity.join(", ")
            ),
        });
        if self.below_min_severity > 0 {
            lines.push(format!(
                "{} below --min-severity {} not shown",
                counted(self.below_min_severity, "alert"),
                self.min_severity.unwrap_or(Severity::Info)
            ));
        }
        for s in &self.suppressed {
            lines.push(format!(
                "{} suppressed by {} (rule {}{})",
                counted(s.count, "alert"),
                s.source,
                s.rule,
                s.reason
                    .as_deref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            ));
        }
        if let Some(dedup) = &self.dedup {
            lines.extend(dedup.lines());
        }
        for report in &self.webhooks {
            lines.push(report.line());
        }
        lines
    }
}

impl<W: Write> Outputs<W> {
    /// Starts the webhook threads; a webhook that cannot start (bad URL or
    /// header) is an error naming it.
    pub fn new(writer: W, format: Format, options: OutputOptions) -> Result<Self, String> {
        // All checked before any thread starts.
        for config in &options.webhooks {
            webhook::check(config)?;
        }
        let lang = options.lang;
        let webhooks = options
            .webhooks
            .into_iter()
            .map(|config| webhook::Webhook::start(webhook::WebhookConfig { lang, ..config }))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Outputs {
            writer,
            format,
            lang,
            min_severity: options.min_severity,
            suppressions: options.suppressions,
            dedup: options.dedup.map(dedup::Dedup::new),
            webhooks,
            summary: Summary {
                min_severity: options.min_severity,
                ..Summary::default()
            },
            writer_closed: false,
        })
    }

    /// A rule's match: as [`Outputs::push`] of [`rule_alert`], but written
    /// straight from the rule and the event when only the JSON-lines writer
    /// reads it (no suppression, deduplication or webhook): the common case
    /// of a batch run, where most of the time went into copying facts.
    pub fn push_rule_match(&mut self, rule: &Rule, pack: Option<&PackInfo>, event: &Event) {
        let direct = self.format == Format::Jsonl
            && self.suppressions.is_empty()
            && self.dedup.is_none()
            && self.webhooks.is_empty();
        if !direct {
            return self.push(rule_alert(rule, pack, event));
        }
        let severity = severity_of_level(rule.level.as_deref());
        if self.min_severity.is_some_and(|min| severity < min) {
            self.summary.below_min_severity += 1;
            return;
        }
        self.summary.output_by_severity[severity as usize] += 1;
        if self.writer_closed || self.summary.write_error.is_some() {
            return;
        }
        let line = RuleAlertLine {
            schema_version: SCHEMA_VERSION,
            kind: AlertKind::Rule,
            rule_id: match (pack, &rule.id) {
                (Some(pack), _) => &pack.id,
                (None, Some(id)) => id,
                (None, None) => &rule.source,
            },
            title: &rule.title,
            title_zh: pack.map(|p| p.title_zh.as_str()),
            severity,
            tags: &rule.tags,
            guide: pack.map(|p| p.guide.as_str()),
            time: crate::alert::event_time_text(&event.value),
            facts: FactsView(&event.value),
            origin: OriginLine {
                file: &event.origin.file,
                line: event.origin.line,
                index: event.origin.index,
            },
        };
        let written = serde_json::to_writer(&mut self.writer, &line)
            .map_err(io::Error::from)
            .and_then(|()| writeln!(self.writer));
        if let Err(e) = written {
            if e.kind() == io::ErrorKind::BrokenPipe {
                self.writer_closed = true;
            } else {
                self.summary.write_error = Some(e.to_string());
            }
        }
    }

    /// One alert through the filters to the sinks.
    pub fn push(&mut self, alert: Alert) {
        if self.min_severity.is_some_and(|min| alert.severity < min) {
            self.summary.below_min_severity += 1;
            return;
        }
        if self.suppressions.suppresses(&alert) {
            return;
        }
        if let Some(dedup) = &mut self.dedup {
            if !dedup.first_in_window(&alert) {
                return;
            }
        }
        self.summary.output_by_severity[alert.severity as usize] += 1;
        if !self.writer_closed && self.summary.write_error.is_none() {
            if let Err(e) = self.write(&alert) {
                if e.kind() == io::ErrorKind::BrokenPipe {
                    self.writer_closed = true;
                } else {
                    self.summary.write_error = Some(e.to_string());
                }
            }
        }
        for webhook in &self.webhooks {
            webhook.send(&alert);
        }
    }

    /// Sends what the format holds to its writer now: following a log, an
    /// alert must not wait in a buffer for the next ones.
    pub fn flush(&mut self) {
        if self.writer_closed || self.summary.write_error.is_some() {
            return;
        }
        if let Err(e) = self.writer.flush() {
            if e.kind() == io::ErrorKind::BrokenPipe {
                self.writer_closed = true;
            } else {
                self.summary.write_error = Some(e.to_string());
            }
        }
    }

    fn write(&mut self, alert: &Alert) -> io::Result<()> {
        match self.format {
            Format::Table => writeln!(self.writer, "{}", table::line(alert, self.lang)),
            Format::Jsonl => {
                // Straight to the writer: no tree built per alert.
                serde_json::to_writer(
                    &mut self.writer,
                    &JsonLine {
                        schema_version: SCHEMA_VERSION,
                        alert,
                    },
                )?;
                writeln!(self.writer)
            }
            Format::Ocsf => {
                serde_json::to_writer(&mut self.writer, &ocsf::finding(alert))?;
                writeln!(self.writer)
            }
        }
    }

    /// Flushes the format, lets each webhook deliver what it holds (within
    /// its flush deadline), and returns the summary with the writer. The
    /// table format ends with the summary lines; the JSON formats keep
    /// their output machine-readable and leave the summary to the caller
    /// (standard error).
    pub fn finish(mut self) -> (W, Summary) {
        let mut summary = std::mem::take(&mut self.summary);
        summary.suppressed = self.suppressions.counts();
        summary.dedup = self.dedup.take().map(dedup::Dedup::finish);
        summary.webhooks = self
            .webhooks
            .drain(..)
            .map(webhook::Webhook::finish)
            .collect();
        if self.format == Format::Table && !self.writer_closed && summary.write_error.is_none() {
            let mut text = String::new();
            for line in summary.lines() {
                text.push_str(&line);
                text.push('\n');
            }
            if let Err(e) = self.writer.write_all(text.as_bytes()) {
                if e.kind() != io::ErrorKind::BrokenPipe {
                    summary.write_error = Some(e.to_string());
                }
            }
        }
        if let Err(e) = self.writer.flush() {
            if e.kind() != io::ErrorKind::BrokenPipe && summary.write_error.is_none() {
                summary.write_error = Some(e.to_string());
            }
        }
        (self.writer, summary)
    }
}

#[cfg(test)]
mod tests;
