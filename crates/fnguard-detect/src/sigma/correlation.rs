//! Sigma correlation rules (Sigma correlation specification v2.0.2):
//! `event_count`, `value_count`, `temporal` and `temporal_ordered` over the
//! alerts of other rules, per `group-by` group, within a `timespan`.
//!
//! Loading ([`load_file_all`]) returns the detection rules and the
//! correlations of a file; references between them (`rules:` by `name` or
//! `id`, here or in any other loaded file) are resolved when the
//! [`Correlator`] is built, where an unknown reference is refused.
//!
//! Decisions the specification leaves to the tool, as fnguard takes them:
//! - `generate` (whether the referenced rules still alert by themselves)
//!   defaults to false, as the specification says; pySigma reads it inside
//!   `correlation:`, the specification's schema at the top level: both are
//!   accepted, and two different values are refused. A rule alerts by
//!   itself when no correlation refers to it, or one that does says `true`.
//! - `aliases` are supported; an alias maps each referenced rule (by name or
//!   id) to the field that holds the group value in that rule's events.
//! - A correlation may refer to another correlation (chains): the inner
//!   correlation's alert is the event that completed it, with the inner
//!   group-by values added as fields.
//! - `timespan` takes the units the specification writes (`s`, `m`, `h`,
//!   `d`); `condition` takes `gt`, `gte`, `lt`, `lte`, `eq`, `neq` (several
//!   mean all of them), and `field` (one name or a list) for `value_count`.
//!   `temporal` and `temporal_ordered` count the referenced rules seen (in
//!   order, for the latter); without a condition, all of them.
//! - The runtime semantics (windows, groups, times, memory) are described on
//!   [`Correlator`].

mod engine;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::Path;

use yaml_rust2::{Yaml, YamlLoader};

use super::{
    compile, scalar_string, string_at, string_list, Placeholders, Problem, Rule, RuleError,
};

pub use engine::{Correlator, CorrelatorStats};

/// A count condition above this is refused: the window of one group keeps
/// up to that many entries, and groups are many.
const MAX_CONDITION_COUNT: u64 = 10_000;

/// The detection rules and correlation rules of one or more YAML documents.
#[derive(Debug, Default)]
pub struct Loaded {
    pub rules: Vec<Rule>,
    pub correlations: Vec<Correlation>,
}

impl Loaded {
    /// Adds what another file loaded.
    pub fn extend(&mut self, other: Loaded) {
        self.rules.extend(other.rules);
        self.correlations.extend(other.correlations);
    }
}

/// Every rule and correlation of a YAML file, or the first refusal.
pub fn load_file_all(path: impl AsRef<Path>) -> Result<Loaded, RuleError> {
    load_file_all_with(path, &Placeholders::new())
}

/// As [`load_file_all`], with values for `expand` placeholders.
pub fn load_file_all_with(
    path: impl AsRef<Path>,
    placeholders: &Placeholders,
) -> Result<Loaded, RuleError> {
    let path = path.as_ref();
    let display = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| RuleError::Io {
        file: display.clone(),
        source,
    })?;
    load_str_all_with(&display, &text, placeholders)
}

/// Rules and correlations from YAML text; `display` names the source.
pub fn load_str_all(display: &str, text: &str) -> Result<Loaded, RuleError> {
    load_str_all_with(display, text, &Placeholders::new())
}

/// Each YAML document of `text` is a rule, or a correlation when it has a
/// `correlation` key; empty documents are ignored.
pub fn load_str_all_with(
    display: &str,
    text: &str,
    placeholders: &Placeholders,
) -> Result<Loaded, RuleError> {
    let documents = YamlLoader::load_from_str(text).map_err(|e| RuleError::Yaml {
        file: display.to_string(),
        message: e.to_string(),
    })?;
    let mut loaded = Loaded::default();
    for (index, document) in documents.iter().enumerate() {
        if document.is_null() {
            continue;
        }
        let name = string_at(document, "title")
            .or_else(|| string_at(document, "id"))
            .unwrap_or_else(|| format!("document {}", index + 1));
        let fail = |p: Problem| p.into_error(display, &name);
        if is_correlation(document) {
            loaded
                .correlations
                .push(parse(display, document).map_err(fail)?);
        } else {
            loaded
                .rules
                .push(compile(display, document, placeholders).map_err(fail)?);
        }
    }
    Ok(loaded)
}

pub(crate) fn is_correlation(document: &Yaml) -> bool {
    matches!(document, Yaml::Hash(map) if map.contains_key(&Yaml::String("correlation".into())))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CorrelationType {
    /// Events matched by the referenced rules, per group.
    EventCount,
    /// Distinct values of the condition's `field`, per group.
    ValueCount,
    /// Referenced rules seen, in any order, per group.
    Temporal,
    /// Referenced rules seen in the listed order, per group.
    TemporalOrdered,
}

impl CorrelationType {
    pub fn as_str(self) -> &'static str {
        match self {
            CorrelationType::EventCount => "event_count",
            CorrelationType::ValueCount => "value_count",
            CorrelationType::Temporal => "temporal",
            CorrelationType::TemporalOrdered => "temporal_ordered",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountOp {
    Gt,
    Gte,
    Lt,
    Lte,
    Eq,
    Neq,
}

impl CountOp {
    fn as_str(self) -> &'static str {
        match self {
            CountOp::Gt => "gt",
            CountOp::Gte => "gte",
            CountOp::Lt => "lt",
            CountOp::Lte => "lte",
            CountOp::Eq => "eq",
            CountOp::Neq => "neq",
        }
    }
}

/// The `condition` of a correlation: every bound must hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountCondition {
    pub bounds: Vec<(CountOp, u64)>,
}

impl CountCondition {
    pub fn holds(&self, count: u64) -> bool {
        self.bounds.iter().all(|&(op, bound)| match op {
            CountOp::Gt => count > bound,
            CountOp::Gte => count >= bound,
            CountOp::Lt => count < bound,
            CountOp::Lte => count <= bound,
            CountOp::Eq => count == bound,
            CountOp::Neq => count != bound,
        })
    }

    /// Whether the condition can only be judged on a finished window: a
    /// count that is below a bound now may pass it later in the window.
    pub fn needs_closed_window(&self) -> bool {
        self.bounds
            .iter()
            .any(|(op, _)| matches!(op, CountOp::Lt | CountOp::Lte | CountOp::Eq | CountOp::Neq))
    }

    /// How many entries of a window decide the condition: past the largest
    /// bound plus one, more entries change no outcome.
    pub(crate) fn entries_needed(&self) -> usize {
        self.bounds
            .iter()
            .map(|&(_, bound)| bound as usize + 1)
            .max()
            .unwrap_or(1)
    }

    /// `gte 20`, `gt 1 and lte 5`.
    pub fn text(&self) -> String {
        self.bounds
            .iter()
            .map(|(op, bound)| format!("{} {bound}", op.as_str()))
            .collect::<Vec<_>>()
            .join(" and ")
    }
}

/// One Sigma correlation rule, as written; references are resolved by
/// [`Correlator::new`].
#[derive(Debug, Clone)]
pub struct Correlation {
    /// The file (or name given to `load_str_all`) it came from.
    pub source: String,
    pub id: Option<String>,
    /// The Sigma `name` other correlations may refer to it by.
    pub name: Option<String>,
    pub title: String,
    pub status: Option<String>,
    pub level: Option<String>,
    pub description: Option<String>,
    pub tags: Vec<String>,
    pub falsepositives: Vec<String>,
    pub references: Vec<String>,
    pub kind: CorrelationType,
    /// The referenced rules (`name` or `id`), in the order written.
    pub rules: Vec<String>,
    /// Fields (dotted paths allowed) or alias names; empty is one group.
    pub group_by: Vec<String>,
    /// The `timespan` as written (`5m`).
    pub timespan: String,
    pub timespan_ms: i64,
    /// For `temporal` without a condition: every referenced rule.
    pub condition: CountCondition,
    /// The `value_count` field(s); several count distinct combinations.
    pub value_fields: Vec<String>,
    /// alias → referenced rule (name or id) → field in that rule's events.
    pub aliases: BTreeMap<String, BTreeMap<String, String>>,
    /// Whether the referenced rules also alert by themselves.
    pub generate: bool,
    /// fnguard's id (`FG-DET-007`) for the pack's correlations; alerts use
    /// it as their `rule_id`.
    pub fnguard_id: Option<String>,
    pub title_zh: Option<String>,
    pub guide: Option<String>,
}

impl Correlation {
    /// What alerts call the rule: fnguard's id, else the Sigma id, else the
    /// file and title.
    pub fn alert_id(&self) -> String {
        self.fnguard_id
            .clone()
            .or_else(|| self.id.clone())
            .unwrap_or_else(|| format!("{}#{}", self.source, self.title))
    }
}

const TOP_LEVEL_KEYS: &[&str] = &[
    "title",
    "id",
    "name",
    "status",
    "description",
    "author",
    "references",
    "date",
    "modified",
    "correlation",
    "falsepositives",
    "level",
    "generate",
    "tags",
    "license",
    "related",
    "taxonomy",
    "fnguard",
];

const CORRELATION_KEYS: &[&str] = &[
    "type",
    "rules",
    "group-by",
    "timespan",
    "condition",
    "aliases",
    "generate",
];

fn keys_of(map: &yaml_rust2::yaml::Hash, construct: &str) -> Result<Vec<String>, Problem> {
    map.keys()
        .map(|key| {
            key.as_str()
                .map(str::to_string)
                .ok_or_else(|| Problem::invalid(construct, "a key is not a string".to_string()))
        })
        .collect()
}

fn parse(source: &str, document: &Yaml) -> Result<Correlation, Problem> {
    let Yaml::Hash(top) = document else {
        return Err(Problem::invalid(
            "document",
            "a rule is a YAML map".to_string(),
        ));
    };
    for key in keys_of(top, "document")? {
        if !TOP_LEVEL_KEYS.contains(&key.as_str()) {
            return Err(Problem::unsupported(format!(
                "key `{key}` in a correlation rule"
            )));
        }
    }
    let title = string_at(document, "title")
        .ok_or_else(|| Problem::invalid("title", "missing".to_string()))?;
    let body = &document["correlation"];
    let Yaml::Hash(section) = body else {
        return Err(Problem::invalid("correlation", "not a map".to_string()));
    };
    for key in keys_of(section, "correlation")? {
        if !CORRELATION_KEYS.contains(&key.as_str()) {
            return Err(Problem::unsupported(format!("correlation key `{key}`")));
        }
    }
    let kind = match string_at(body, "type").as_deref() {
        Some("event_count") => CorrelationType::EventCount,
        Some("value_count") => CorrelationType::ValueCount,
        Some("temporal") => CorrelationType::Temporal,
        Some("temporal_ordered") => CorrelationType::TemporalOrdered,
        Some(other) => return Err(Problem::unsupported(format!("correlation type `{other}`"))),
        None => return Err(Problem::invalid("correlation type", "missing".to_string())),
    };
    let rules = references(&body["rules"])?;
    let group_by = match &body["group-by"] {
        Yaml::BadValue | Yaml::Null => Vec::new(),
        Yaml::Array(items) => items
            .iter()
            .map(|item| {
                scalar_string(item)
                    .ok_or_else(|| Problem::invalid("group-by", "a field is not a string".into()))
            })
            .collect::<Result<_, _>>()?,
        other => vec![scalar_string(other)
            .ok_or_else(|| Problem::invalid("group-by", "not a list of fields".to_string()))?],
    };
    let timespan = string_at(body, "timespan")
        .ok_or_else(|| Problem::invalid("timespan", "missing".to_string()))?;
    let timespan_ms = parse_timespan(&timespan).ok_or_else(|| {
        Problem::invalid(
            "timespan",
            format!("`{timespan}` is not a number followed by s, m, h or d"),
        )
    })?;
    let (condition, value_fields) = parse_condition(&body["condition"], kind, rules.len())?;
    let aliases = parse_aliases(&body["aliases"], &rules, &group_by)?;
    let generate = match (&document["generate"], &body["generate"]) {
        (Yaml::Boolean(a), Yaml::Boolean(b)) if a != b => {
            return Err(Problem::invalid(
                "generate",
                "given twice with different values".to_string(),
            ))
        }
        (Yaml::Boolean(flag), _) | (_, Yaml::Boolean(flag)) => *flag,
        (Yaml::BadValue, Yaml::BadValue) => false,
        _ => {
            return Err(Problem::invalid(
                "generate",
                "not true or false".to_string(),
            ))
        }
    };
    Ok(Correlation {
        source: source.to_string(),
        id: string_at(document, "id"),
        name: string_at(document, "name"),
        title,
        status: string_at(document, "status"),
        level: string_at(document, "level"),
        description: string_at(document, "description"),
        tags: string_list(document, "tags"),
        falsepositives: string_list(document, "falsepositives"),
        references: string_list(document, "references"),
        kind,
        rules,
        group_by,
        timespan,
        timespan_ms,
        condition,
        value_fields,
        aliases,
        generate,
        fnguard_id: None,
        title_zh: None,
        guide: None,
    })
}

fn references(value: &Yaml) -> Result<Vec<String>, Problem> {
    let items: Vec<&Yaml> = match value {
        Yaml::Array(items) => items.iter().collect(),
        Yaml::BadValue | Yaml::Null => Vec::new(),
        single => vec![single],
    };
    let mut rules = Vec::new();
    for item in items {
        let reference = scalar_string(item)
            .ok_or_else(|| Problem::invalid("rules", "a reference is not a string".to_string()))?;
        if rules.contains(&reference) {
            return Err(Problem::invalid(
                "rules",
                format!("`{reference}` listed twice"),
            ));
        }
        rules.push(reference);
    }
    if rules.is_empty() {
        return Err(Problem::invalid("rules", "missing or empty".to_string()));
    }
    Ok(rules)
}

/// `30s`, `5m`, `1h`, `7d` in milliseconds.
pub(crate) fn parse_timespan(text: &str) -> Option<i64> {
    let unit = text.chars().last()?;
    let number = &text[..text.len() - unit.len_utf8()];
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let scale = match unit {
        's' => 1_000,
        'm' => 60_000,
        'h' => 3_600_000,
        'd' => 86_400_000,
        _ => return None,
    };
    let ms = number.parse::<i64>().ok()?.checked_mul(scale)?;
    (ms > 0).then_some(ms)
}

fn parse_condition(
    value: &Yaml,
    kind: CorrelationType,
    rule_count: usize,
) -> Result<(CountCondition, Vec<String>), Problem> {
    let temporal = matches!(
        kind,
        CorrelationType::Temporal | CorrelationType::TemporalOrdered
    );
    let map = match value {
        Yaml::Hash(map) => map,
        Yaml::BadValue | Yaml::Null if temporal => {
            let every = CountCondition {
                bounds: vec![(CountOp::Gte, rule_count as u64)],
            };
            return Ok((every, Vec::new()));
        }
        Yaml::BadValue | Yaml::Null => {
            return Err(Problem::invalid("condition", "missing".to_string()))
        }
        _ => return Err(Problem::invalid("condition", "not a map".to_string())),
    };
    let mut bounds = Vec::new();
    let mut fields = Vec::new();
    for (key, bound) in map {
        let key = key.as_str().unwrap_or_default();
        let op = match key {
            "gt" => CountOp::Gt,
            "gte" => CountOp::Gte,
            "lt" => CountOp::Lt,
            "lte" => CountOp::Lte,
            "eq" => CountOp::Eq,
            "neq" => CountOp::Neq,
            "field" => {
                fields = match bound {
                    Yaml::Array(items) => items.iter().filter_map(scalar_string).collect(),
                    other => scalar_string(other).into_iter().collect(),
                };
                if fields.is_empty() {
                    return Err(Problem::invalid("condition field", "empty".to_string()));
                }
                continue;
            }
            other => return Err(Problem::unsupported(format!("condition `{other}`"))),
        };
        let count = match bound {
            Yaml::Integer(n) if *n >= 0 => *n as u64,
            _ => {
                return Err(Problem::invalid(
                    format!("condition `{key}`"),
                    "not a whole number".to_string(),
                ))
            }
        };
        if count > MAX_CONDITION_COUNT {
            return Err(Problem::unsupported(format!(
                "condition `{key}: {count}` (counts above {MAX_CONDITION_COUNT})"
            )));
        }
        bounds.push((op, count));
    }
    if bounds.is_empty() {
        return Err(Problem::invalid(
            "condition",
            "no gt, gte, lt, lte, eq or neq".to_string(),
        ));
    }
    match (kind, fields.is_empty()) {
        (CorrelationType::ValueCount, true) => Err(Problem::invalid(
            "condition",
            "value_count needs `field`".to_string(),
        )),
        (CorrelationType::ValueCount, false) | (_, true) => Ok((CountCondition { bounds }, fields)),
        (other, false) => Err(Problem::invalid(
            "condition field",
            format!("only value_count counts a field, not {}", other.as_str()),
        )),
    }
}

fn parse_aliases(
    value: &Yaml,
    rules: &[String],
    group_by: &[String],
) -> Result<BTreeMap<String, BTreeMap<String, String>>, Problem> {
    let map = match value {
        Yaml::BadValue | Yaml::Null => return Ok(BTreeMap::new()),
        Yaml::Hash(map) => map,
        _ => return Err(Problem::invalid("aliases", "not a map".to_string())),
    };
    let mut aliases = BTreeMap::new();
    for (alias, mapping) in map {
        let alias = scalar_string(alias)
            .ok_or_else(|| Problem::invalid("aliases", "an alias is not a string".to_string()))?;
        let construct = || format!("alias `{alias}`");
        if !group_by.contains(&alias) {
            return Err(Problem::invalid(
                construct(),
                "not used in group-by".to_string(),
            ));
        }
        let Yaml::Hash(mapping) = mapping else {
            return Err(Problem::invalid(
                construct(),
                "not a map of rule to field".into(),
            ));
        };
        let mut fields = BTreeMap::new();
        for (rule, field) in mapping {
            let (Some(rule), Some(field)) = (scalar_string(rule), scalar_string(field)) else {
                return Err(Problem::invalid(
                    construct(),
                    "not a map of rule to field".into(),
                ));
            };
            if !rules.contains(&rule) {
                return Err(Problem::invalid(
                    construct(),
                    format!("`{rule}` is not one of the correlation's rules"),
                ));
            }
            fields.insert(rule, field);
        }
        if fields.len() != rules.len() {
            return Err(Problem::invalid(
                construct(),
                "must name a field for every referenced rule".to_string(),
            ));
        }
        aliases.insert(alias, fields);
    }
    Ok(aliases)
}

/// An epoch time in milliseconds as RFC 3339 UTC text, with milliseconds
/// when it has them.
pub(crate) fn format_time_ms(ms: i64) -> String {
    let since = std::time::Duration::from_millis(ms.max(0) as u64);
    fnguard_core::date::rfc3339(std::time::UNIX_EPOCH + since, ms % 1000 != 0)
}
