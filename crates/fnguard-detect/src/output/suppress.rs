//! `--suppress FILE`: alerts a team has reviewed and accepts (the CI role
//! that deploys code every hour) are not output; each suppression counts
//! what it silenced, for the summary. TOML or YAML (by extension):
//!
//! ```toml
//! [[suppress]]
//! rule = "FG-DET-003"            # an alert's rule id, or "*" for any
//! reason = "CI deploys the code"
//! until = 2027-03-31             # optional: ignored from that day on
//! facts = { principal = "arn:aws:sts::111122223333:assumed-role/ci-deploy/*" }
//! ```
//!
//! ```yaml
//! suppress:
//!   - rule: FG-DET-003
//!     until: 2027-03-31
//!     facts: {principal: "arn:aws:sts::111122223333:assumed-role/ci-deploy/*"}
//! ```
//!
//! Every fact named must be present and match; `*` in a value matches any
//! run of characters, and matching is exact otherwise (ARNs and IDs are
//! case-sensitive). `until` is compared with today's date (the wall clock,
//! not event time): a suppression is a reviewed decision that expires and
//! must be renewed, whatever logs are read; an expired one is reported at
//! load and not applied.

use super::fact_text;
use crate::alert::Alert;
use fnguard_core::date::Date;
use serde_json::{Map, Value};
use std::path::Path;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    /// `FILE#N` (1-based entry), named in the summary.
    pub source: String,
    /// A rule id, or `*`.
    pub rule: String,
    pub facts: Vec<(String, String)>,
    pub until: Option<Date>,
    pub reason: Option<String>,
}

/// How many alerts one suppression silenced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuppressionCount {
    pub source: String,
    pub rule: String,
    pub reason: Option<String>,
    pub count: u64,
}

#[derive(Debug, Default)]
pub struct Suppressions {
    entries: Vec<(Suppression, u64)>,
}

/// What loading a file gave: the suppressions in force and warnings (the
/// expired ones).
#[derive(Debug)]
pub struct Loaded {
    pub suppressions: Suppressions,
    pub warnings: Vec<String>,
}

impl Suppressions {
    /// Reads FILE (`.toml`, `.yml`, `.yaml`); `today` decides expiry.
    /// Errors name the file and the position or entry.
    pub fn load(path: &Path, today: Date) -> Result<Loaded, String> {
        let display = path.display().to_string();
        let yaml = match path.extension().and_then(|e| e.to_str()) {
            Some("toml") => false,
            Some("yml" | "yaml") => true,
            _ => {
                return Err(format!(
                    "{display}: a suppression file is .toml, .yml or .yaml"
                ))
            }
        };
        let text = std::fs::read_to_string(path).map_err(|e| format!("{display}: {e}"))?;
        Suppressions::parse(&display, &text, yaml, today)
    }

    /// [`Suppressions::load`] on text already read.
    pub fn parse(display: &str, text: &str, yaml: bool, today: Date) -> Result<Loaded, String> {
        let document = if yaml {
            yaml_document(display, text)?
        } else {
            let table: toml::Table = text.parse().map_err(|e| format!("{display}: {e}"))?;
            toml_to_json(toml::Value::Table(table))
        };
        let Some(root) = document.as_object() else {
            return Err(format!("{display}: expected a `suppress` list at the top"));
        };
        if let Some(unknown) = root.keys().find(|k| *k != "suppress") {
            return Err(format!(
                "{display}: unknown key `{unknown}` (expected `suppress`)"
            ));
        }
        let list = match root.get("suppress") {
            Some(Value::Array(list)) => list.as_slice(),
            None => &[],
            Some(_) => return Err(format!("{display}: `suppress` must be a list")),
        };
        let mut suppressions = Suppressions::default();
        let mut warnings = Vec::new();
        for (index, entry) in list.iter().enumerate() {
            let source = format!("{display}#{}", index + 1);
            let entry = suppression(&source, entry)?;
            match entry.until {
                Some(until) if until <= today => warnings.push(format!(
                    "{source}: suppression of {} expired on {until}, not applied",
                    entry.rule
                )),
                _ => suppressions.entries.push((entry, 0)),
            }
        }
        Ok(Loaded {
            suppressions,
            warnings,
        })
    }

    /// Whether one suppression covers `alert` (the first that does counts
    /// it).
    pub fn suppresses(&mut self, alert: &Alert) -> bool {
        for (entry, count) in &mut self.entries {
            if covers(entry, alert) {
                *count += 1;
                return true;
            }
        }
        false
    }

    /// The suppressions that silenced something, in file order.
    pub fn counts(&self) -> Vec<SuppressionCount> {
        self.entries
            .iter()
            .filter(|(_, count)| *count > 0)
            .map(|(entry, count)| SuppressionCount {
                source: entry.source.clone(),
                rule: entry.rule.clone(),
                reason: entry.reason.clone(),
                count: *count,
            })
            .collect()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

fn covers(entry: &Suppression, alert: &Alert) -> bool {
    (entry.rule == "*" || entry.rule == alert.rule_id)
        && entry.facts.iter().all(|(name, pattern)| {
            fact_text(alert, name).is_some_and(|value| glob(pattern, &value))
        })
}

/// `*` matches any run of characters (including none); the rest is exact.
fn glob(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

fn suppression(source: &str, entry: &Value) -> Result<Suppression, String> {
    let Some(map) = entry.as_object() else {
        return Err(format!("{source}: a suppression is a table of keys"));
    };
    const KEYS: [&str; 4] = ["rule", "facts", "until", "reason"];
    if let Some(unknown) = map.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(format!(
            "{source}: unknown key `{unknown}` (rule, facts, until, reason)"
        ));
    }
    let text = |key: &str| -> Result<Option<String>, String> {
        match map.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(format!("{source}: `{key}` must be text")),
        }
    };
    let rule = text("rule")?
        .filter(|r| !r.trim().is_empty())
        .ok_or_else(|| format!("{source}: `rule` is required (a rule id, or \"*\")"))?;
    let until = match text("until")? {
        None => None,
        Some(day) => Some(
            day.parse::<Date>()
                .map_err(|_| format!("{source}: `until` `{day}` is not a date (YYYY-MM-DD)"))?,
        ),
    };
    let facts = match map.get("facts") {
        None => Vec::new(),
        Some(Value::Object(facts)) => facts
            .iter()
            .map(|(name, value)| match value {
                Value::String(s) => Ok((name.clone(), s.clone())),
                Value::Number(n) => Ok((name.clone(), n.to_string())),
                _ => Err(format!("{source}: fact `{name}` must be text")),
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(format!("{source}: `facts` must be a table")),
    };
    if rule == "*" && facts.is_empty() {
        return Err(format!(
            "{source}: rule \"*\" without facts would silence every alert"
        ));
    }
    Ok(Suppression {
        source: source.to_string(),
        rule,
        facts,
        until,
        reason: text("reason")?,
    })
}

fn toml_to_json(value: toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::from(i),
        toml::Value::Float(f) => Value::from(f),
        toml::Value::Boolean(b) => Value::Bool(b),
        // `until = 2027-03-31` unquoted is a TOML date.
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(items) => Value::Array(items.into_iter().map(toml_to_json).collect()),
        toml::Value::Table(table) => Value::Object(
            table
                .into_iter()
                .map(|(k, v)| (k, toml_to_json(v)))
                .collect::<Map<_, _>>(),
        ),
    }
}

fn yaml_document(display: &str, text: &str) -> Result<Value, String> {
    use yaml_rust2::{Yaml, YamlLoader};
    let documents = YamlLoader::load_from_str(text).map_err(|e| format!("{display}: {e}"))?;
    fn convert(yaml: &Yaml) -> Value {
        match yaml {
            Yaml::String(s) | Yaml::Real(s) => Value::String(s.clone()),
            Yaml::Integer(i) => Value::from(*i),
            Yaml::Boolean(b) => Value::Bool(*b),
            Yaml::Array(items) => Value::Array(items.iter().map(convert).collect()),
            Yaml::Hash(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| {
                        let key = match k {
                            Yaml::String(s) | Yaml::Real(s) => s.clone(),
                            Yaml::Integer(i) => i.to_string(),
                            Yaml::Boolean(b) => b.to_string(),
                            _ => String::new(),
                        };
                        (key, convert(v))
                    })
                    .collect(),
            ),
            _ => Value::Null,
        }
    }
    Ok(documents
        .first()
        .map(convert)
        .unwrap_or_else(|| Value::Object(Map::new())))
}
