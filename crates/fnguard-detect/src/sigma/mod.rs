//! Sigma rules (<https://sigmahq.io>): loaded from YAML, compiled once into
//! matchers, run against JSON events.
//!
//! Semantics the SigmaHQ specification leaves open, as fnguard decides them:
//! - a field holding an array matches when one element matches;
//! - a field holding an object is matched on its compact JSON text;
//! - a missing field never matches (except a `null` value or `exists: false`),
//!   it is never an error;
//! - text comparisons ignore case unless `cased` (ASCII letters by byte, other
//!   literals through the regex engine's Unicode case folding); `re` follows
//!   its own `i` flag;
//! - numbers and strings compare by value (`"200"` equals `200`);
//! - `a.b` is the literal key `a.b` if present, otherwise the nested field;
//! - a keyword matches when it is contained in some string value of the event;
//! - `neq` holds when the field exists and equals none of the values.
//!
//! Anything else (an unknown modifier, `near`, aggregations) is refused at
//! load time, naming the file and the construct. Correlation rules are
//! loaded by [`load_file_all`] and run by [`Correlator`] (see `correlation`).

mod cidr;
mod condition;
mod correlation;
mod encode;
mod matcher;

use std::collections::HashMap;
use std::path::Path;

use regex::Regex;
use serde_json::Value;
use yaml_rust2::{Yaml, YamlLoader};

use cidr::Cidr;
use condition::Condition;
use encode::Utf16;
use matcher::{CompareOp, FieldMatcher, FieldTest, Pattern, Position, Selection};

pub(crate) use correlation::{format_time_ms, is_correlation, parse_timespan};
pub use correlation::{
    load_file_all, load_file_all_with, load_str_all, load_str_all_with, Correlation,
    CorrelationType, Correlator, CorrelatorStats, CountCondition, CountOp, Loaded,
};

/// Values of the `expand` modifier's `%name%` placeholders.
pub type Placeholders = HashMap<String, Vec<String>>;

/// Why a rule file was refused. Every variant names the file; rule-level
/// variants also name the rule (title, else id, else document number) and the
/// construct at fault.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("{file}: cannot read: {source}")]
    Io {
        file: String,
        source: std::io::Error,
    },
    #[error("{file}: not YAML: {message}")]
    Yaml { file: String, message: String },
    #[error("{file}: rule `{rule}`: unsupported {construct}")]
    Unsupported {
        file: String,
        rule: String,
        construct: String,
    },
    #[error("{file}: rule `{rule}`: invalid {construct}: {message}")]
    Invalid {
        file: String,
        rule: String,
        construct: String,
        message: String,
    },
}

/// A load failure before the rule's file and name are known.
#[derive(Debug)]
pub(crate) enum Problem {
    Unsupported(String),
    Invalid(String, String),
}

impl Problem {
    pub(crate) fn unsupported(construct: impl Into<String>) -> Problem {
        Problem::Unsupported(construct.into())
    }

    pub(crate) fn invalid(construct: impl Into<String>, message: String) -> Problem {
        Problem::Invalid(construct.into(), message)
    }

    fn into_error(self, file: &str, rule: &str) -> RuleError {
        let (file, rule) = (file.to_string(), rule.to_string());
        match self {
            Problem::Unsupported(construct) => RuleError::Unsupported {
                file,
                rule,
                construct,
            },
            Problem::Invalid(construct, message) => RuleError::Invalid {
                file,
                rule,
                construct,
                message,
            },
        }
    }
}

/// The rule's `logsource`: which logs it was written for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogSource {
    pub product: Option<String>,
    pub service: Option<String>,
    pub category: Option<String>,
}

/// One Sigma detection rule, compiled.
#[derive(Debug)]
pub struct Rule {
    /// The file (or name given to `load_str`) the rule came from.
    pub source: String,
    pub id: Option<String>,
    /// The Sigma `name` by which correlation rules may refer to it.
    pub name: Option<String>,
    pub title: String,
    pub status: Option<String>,
    pub level: Option<String>,
    pub description: Option<String>,
    /// ATT&CK and other tags, e.g. `attack.t1098`.
    pub tags: Vec<String>,
    pub logsource: LogSource,
    pub falsepositives: Vec<String>,
    pub references: Vec<String>,
    selections: Vec<Selection>,
    condition: Condition,
}

impl Rule {
    /// Every rule of a YAML file, or the first refusal.
    pub fn load_file(path: impl AsRef<Path>) -> Result<Vec<Rule>, RuleError> {
        Rule::load_file_with(path, &Placeholders::new())
    }

    /// As `load_file`, with values for `expand` placeholders.
    pub fn load_file_with(
        path: impl AsRef<Path>,
        placeholders: &Placeholders,
    ) -> Result<Vec<Rule>, RuleError> {
        let path = path.as_ref();
        let display = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| RuleError::Io {
            file: display.clone(),
            source,
        })?;
        Rule::load_str_with(&display, &text, placeholders)
    }

    /// Rules from YAML text; `display` names the source in errors and in `Rule::source`.
    pub fn load_str(display: &str, text: &str) -> Result<Vec<Rule>, RuleError> {
        Rule::load_str_with(display, text, &Placeholders::new())
    }

    /// Every YAML document of `text` is one rule; empty documents are ignored.
    pub fn load_str_with(
        display: &str,
        text: &str,
        placeholders: &Placeholders,
    ) -> Result<Vec<Rule>, RuleError> {
        let documents = YamlLoader::load_from_str(text).map_err(|e| RuleError::Yaml {
            file: display.to_string(),
            message: e.to_string(),
        })?;
        documents
            .iter()
            .enumerate()
            .filter(|(_, document)| !document.is_null())
            .map(|(index, document)| {
                let name = string_at(document, "title")
                    .or_else(|| string_at(document, "id"))
                    .unwrap_or_else(|| format!("document {}", index + 1));
                compile(display, document, placeholders).map_err(|p| p.into_error(display, &name))
            })
            .collect()
    }

    /// Whether the rule's condition holds for one event (a JSON object).
    pub fn matches(&self, event: &Value) -> bool {
        self.condition.matches(&self.selections, event)
    }
}

fn string_at(document: &Yaml, key: &str) -> Option<String> {
    scalar_string(&document[key])
}

fn scalar_string(value: &Yaml) -> Option<String> {
    match value {
        Yaml::String(text) | Yaml::Real(text) => Some(text.clone()),
        Yaml::Integer(number) => Some(number.to_string()),
        Yaml::Boolean(flag) => Some(flag.to_string()),
        _ => None,
    }
}

fn string_list(document: &Yaml, key: &str) -> Vec<String> {
    match &document[key] {
        Yaml::Array(items) => items.iter().filter_map(scalar_string).collect(),
        other => scalar_string(other).into_iter().collect(),
    }
}

fn compile(source: &str, document: &Yaml, placeholders: &Placeholders) -> Result<Rule, Problem> {
    let Yaml::Hash(top) = document else {
        return Err(Problem::invalid(
            "document",
            "a rule is a YAML map".to_string(),
        ));
    };
    for (key, construct) in [
        (
            "correlation",
            "correlation rule here (load the file with `sigma::load_file_all`)",
        ),
        ("filter", "filter rule"),
        ("action", "rule collection `action`"),
    ] {
        if top.contains_key(&Yaml::String(key.to_string())) {
            return Err(Problem::unsupported(construct));
        }
    }
    let Yaml::Hash(detection) = &document["detection"] else {
        return Err(Problem::invalid(
            "detection",
            "missing or not a map".to_string(),
        ));
    };
    let mut names = Vec::new();
    let mut selections = Vec::new();
    let mut conditions = Vec::new();
    for (key, value) in detection {
        let Some(name) = key.as_str() else {
            return Err(Problem::invalid(
                "detection",
                "a selection name is not a string".to_string(),
            ));
        };
        match name {
            "condition" => match value {
                Yaml::Array(items) => {
                    for item in items {
                        conditions.push(item.as_str().map(str::to_string).ok_or_else(|| {
                            Problem::invalid("condition", "not a string".to_string())
                        })?)
                    }
                }
                other => conditions.push(
                    other
                        .as_str()
                        .ok_or_else(|| Problem::invalid("condition", "not a string".to_string()))?
                        .to_string(),
                ),
            },
            "timeframe" => return Err(Problem::unsupported("`timeframe` (aggregation)")),
            _ => {
                names.push(name.to_string());
                selections.push(
                    compile_selection(value, placeholders).map_err(|p| in_selection(p, name))?,
                );
            }
        }
    }
    if conditions.is_empty() {
        return Err(Problem::invalid("condition", "missing".to_string()));
    }
    let mut parsed = conditions
        .iter()
        .map(|text| condition::parse(text, &names))
        .collect::<Result<Vec<_>, _>>()?;
    // A list of conditions means any of them.
    let condition = if parsed.len() == 1 {
        parsed.remove(0)
    } else {
        Condition::Or(parsed)
    };
    let logsource = &document["logsource"];
    Ok(Rule {
        source: source.to_string(),
        id: string_at(document, "id"),
        name: string_at(document, "name"),
        title: string_at(document, "title").unwrap_or_default(),
        status: string_at(document, "status"),
        level: string_at(document, "level"),
        description: string_at(document, "description"),
        tags: string_list(document, "tags"),
        logsource: LogSource {
            product: string_at(logsource, "product"),
            service: string_at(logsource, "service"),
            category: string_at(logsource, "category"),
        },
        falsepositives: string_list(document, "falsepositives"),
        references: string_list(document, "references"),
        selections,
        condition,
    })
}

fn in_selection(problem: Problem, selection: &str) -> Problem {
    match problem {
        Problem::Unsupported(construct) => {
            Problem::Unsupported(format!("{construct} in selection `{selection}`"))
        }
        Problem::Invalid(construct, message) => {
            Problem::Invalid(format!("{construct} in selection `{selection}`"), message)
        }
    }
}

fn compile_selection(value: &Yaml, placeholders: &Placeholders) -> Result<Selection, Problem> {
    match value {
        Yaml::Hash(_) => Ok(Selection::AllOf(compile_map(value, placeholders)?)),
        Yaml::Array(items)
            if !items.is_empty() && items.iter().all(|i| matches!(i, Yaml::Hash(_))) =>
        {
            Ok(Selection::AnyOf(
                items
                    .iter()
                    .map(|item| compile_map(item, placeholders))
                    .collect::<Result<_, _>>()?,
            ))
        }
        Yaml::Array(items) if !items.is_empty() => {
            let mut patterns = Vec::new();
            for item in items {
                let text = scalar_string(item).ok_or_else(|| {
                    Problem::invalid("keyword list", "a keyword is not a scalar".to_string())
                })?;
                patterns.push(
                    plain_pattern(&text, Position::Contains, false)
                        .map_err(|message| Problem::invalid("keyword", message))?,
                );
            }
            Ok(Selection::Keywords(patterns))
        }
        _ => Err(Problem::invalid(
            "selection",
            "neither a map nor a non-empty list".to_string(),
        )),
    }
}

fn compile_map(value: &Yaml, placeholders: &Placeholders) -> Result<Vec<FieldMatcher>, Problem> {
    let Yaml::Hash(map) = value else {
        return Err(Problem::invalid("selection", "not a map".to_string()));
    };
    if map.is_empty() {
        return Err(Problem::invalid("selection", "empty map".to_string()));
    }
    map.iter()
        .map(|(key, values)| {
            let key = scalar_string(key).ok_or_else(|| {
                Problem::invalid("selection", "a field name is not a string".to_string())
            })?;
            compile_field(&key, values, placeholders)
        })
        .collect()
}

#[derive(Clone, Copy)]
enum Base64 {
    /// `base64`: the value encoded on its own.
    Whole,
    /// `base64offset`: the value as it appears inside a longer encoded text.
    Offsets,
}

/// The modifiers of one `field|mod|mod` key.
#[derive(Default)]
struct Modifiers {
    position: Option<Position>,
    all: bool,
    cased: bool,
    regex_flags: Option<String>,
    cidr: bool,
    base64: Option<Base64>,
    utf16: Option<Utf16>,
    exists: bool,
    fieldref: bool,
    compare: Option<CompareOp>,
    neq: bool,
    expand: bool,
}

impl Modifiers {
    fn parse(names: &[&str]) -> Result<Modifiers, Problem> {
        let mut m = Modifiers::default();
        for name in names {
            let in_regex = m.regex_flags.is_some();
            match *name {
                "contains" => m.position = Some(Position::Contains),
                "startswith" => m.position = Some(Position::Prefix),
                "endswith" => m.position = Some(Position::Suffix),
                "all" => m.all = true,
                "cased" => m.cased = true,
                "re" => m.regex_flags = Some(String::new()),
                "i" | "m" | "s" if in_regex => {
                    if let Some(flags) = &mut m.regex_flags {
                        flags.push_str(name);
                    }
                }
                "cidr" => m.cidr = true,
                "base64" => m.base64 = Some(Base64::Whole),
                "base64offset" => m.base64 = Some(Base64::Offsets),
                "utf16le" | "wide" => m.utf16 = Some(Utf16::Le),
                "utf16be" => m.utf16 = Some(Utf16::Be),
                "utf16" => m.utf16 = Some(Utf16::LeWithBom),
                "exists" => m.exists = true,
                "fieldref" => m.fieldref = true,
                "lt" => m.compare = Some(CompareOp::Lt),
                "lte" => m.compare = Some(CompareOp::Lte),
                "gt" => m.compare = Some(CompareOp::Gt),
                "gte" => m.compare = Some(CompareOp::Gte),
                "neq" => m.neq = true,
                "expand" => m.expand = true,
                other => return Err(Problem::unsupported(format!("modifier `{other}`"))),
            }
        }
        if m.utf16.is_some() && m.base64.is_none() {
            return Err(Problem::unsupported(
                "utf16 modifier without base64 or base64offset",
            ));
        }
        let kinds = [
            m.regex_flags.is_some(),
            m.cidr,
            m.base64.is_some(),
            m.exists,
            m.fieldref,
            m.compare.is_some(),
        ];
        let takes_position =
            !(m.regex_flags.is_some() || m.cidr || m.exists || m.compare.is_some());
        if kinds.iter().filter(|k| **k).count() > 1 || (m.position.is_some() && !takes_position) {
            return Err(Problem::unsupported(format!(
                "modifier combination `{}`",
                names.join("|")
            )));
        }
        Ok(m)
    }
}

fn compile_field(
    key: &str,
    values: &Yaml,
    placeholders: &Placeholders,
) -> Result<FieldMatcher, Problem> {
    let mut parts = key.split('|');
    let field = parts.next().unwrap_or_default();
    let modifier_names: Vec<&str> = parts.collect();
    if field.is_empty() {
        return Err(Problem::unsupported(format!(
            "keyword with modifiers `{key}`"
        )));
    }
    let modifiers = Modifiers::parse(&modifier_names)?;
    let raw: Vec<&Yaml> = match values {
        Yaml::Array(items) => items.iter().collect(),
        single => vec![single],
    };
    let construct = || format!("value of `{key}`");
    if modifiers.exists {
        let [Yaml::Boolean(expected)] = raw.as_slice() else {
            return Err(Problem::invalid(
                construct(),
                "`exists` takes true or false".to_string(),
            ));
        };
        return Ok(FieldMatcher {
            field: field.into(),
            test: FieldTest::Exists(*expected),
        });
    }
    let mut patterns = Vec::new();
    for value in raw {
        if value.is_null() {
            patterns.push(Pattern::Null);
            continue;
        }
        let text = scalar_string(value)
            .ok_or_else(|| Problem::invalid(construct(), "not a scalar".to_string()))?;
        let texts = if modifiers.expand {
            expand(&text, placeholders)?
        } else {
            vec![text]
        };
        for text in texts {
            compile_value(&text, &modifiers, &mut patterns)
                .map_err(|message| Problem::invalid(construct(), message))?;
        }
    }
    if patterns.is_empty() {
        return Err(Problem::invalid(construct(), "empty list".to_string()));
    }
    Ok(FieldMatcher {
        field: field.into(),
        test: FieldTest::Values {
            patterns,
            all: modifiers.all,
            negate: modifiers.neq,
        },
    })
}

const MAX_EXPANSIONS: usize = 10_000;

/// Replaces every `%name%` by each of its values (a value list multiplies the
/// patterns); an unknown placeholder is a load error.
fn expand(text: &str, placeholders: &Placeholders) -> Result<Vec<String>, Problem> {
    let Some(start) = text.find('%') else {
        return Ok(vec![text.to_string()]);
    };
    let after = &text[start + 1..];
    let Some(length) = after.find('%') else {
        return Ok(vec![text.to_string()]);
    };
    let name = &after[..length];
    let values = placeholders
        .get(name)
        .ok_or_else(|| Problem::invalid("expand", format!("unknown placeholder `%{name}%`")))?;
    let rest = expand(&after[length + 1..], placeholders)?;
    if values.len().saturating_mul(rest.len()) > MAX_EXPANSIONS {
        return Err(Problem::invalid(
            "expand",
            format!("more than {MAX_EXPANSIONS} values"),
        ));
    }
    let mut out = Vec::new();
    for value in values {
        for tail in &rest {
            out.push(format!("{}{value}{tail}", &text[..start]));
        }
    }
    Ok(out)
}

fn compile_value(text: &str, m: &Modifiers, out: &mut Vec<Pattern>) -> Result<(), String> {
    let position = m.position.unwrap_or(Position::Exact);
    if let Some(flags) = &m.regex_flags {
        let regex = if flags.is_empty() {
            Regex::new(text)
        } else {
            Regex::new(&format!("(?{flags}){text}"))
        };
        out.push(Pattern::Regex(regex.map_err(|e| format!("regex: {e}"))?));
    } else if m.cidr {
        out.push(Pattern::Cidr(
            Cidr::parse(text).ok_or_else(|| format!("`{text}` is not a CIDR range"))?,
        ));
    } else if let Some(op) = m.compare {
        let bound = text
            .trim()
            .parse::<f64>()
            .map_err(|_| format!("`{text}` is not a number"))?;
        out.push(Pattern::Compare(op, bound));
    } else if m.fieldref {
        out.push(Pattern::FieldRef {
            field: text.into(),
            position,
            cased: m.cased,
        });
    } else if let Some(base64) = m.base64 {
        let bytes = match m.utf16 {
            Some(form) => encode::utf16(text, form),
            None => text.as_bytes().to_vec(),
        };
        let encoded = match base64 {
            Base64::Whole => vec![encode::base64(&bytes)],
            Base64::Offsets => encode::base64_offsets(&bytes),
        };
        // Base64 is case-sensitive by nature.
        for literal in encoded {
            out.push(literal_pattern(literal, position, true));
        }
    } else {
        out.push(plain_pattern(text, position, m.cased)?);
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq)]
enum Piece {
    Char(char),
    AnyRun,
    AnyOne,
}

/// A plain value: `*` and `?` are wildcards, `\*`, `\?` and `\\` their
/// literals, any other backslash is itself. Leading and trailing `*` become a
/// literal comparison; inner wildcards a regex.
fn plain_pattern(text: &str, position: Position, cased: bool) -> Result<Pattern, String> {
    let mut pieces = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        pieces.push(match c {
            '\\' => match chars.peek() {
                Some(&next @ ('*' | '?' | '\\')) => {
                    chars.next();
                    Piece::Char(next)
                }
                _ => Piece::Char('\\'),
            },
            '*' => Piece::AnyRun,
            '?' => Piece::AnyOne,
            other => Piece::Char(other),
        });
    }
    if matches!(position, Position::Contains | Position::Suffix) {
        pieces.insert(0, Piece::AnyRun);
    }
    if matches!(position, Position::Contains | Position::Prefix) {
        pieces.push(Piece::AnyRun);
    }
    let leading = pieces.iter().take_while(|p| **p == Piece::AnyRun).count();
    let trailing = pieces[leading..]
        .iter()
        .rev()
        .take_while(|p| **p == Piece::AnyRun)
        .count();
    let middle = &pieces[leading..pieces.len() - trailing];
    if middle.iter().all(|p| matches!(p, Piece::Char(_))) {
        let literal: String = middle
            .iter()
            .filter_map(|p| match p {
                Piece::Char(c) => Some(*c),
                _ => None,
            })
            .collect();
        let position = match (leading > 0, trailing > 0) {
            (true, true) => Position::Contains,
            (true, false) => Position::Suffix,
            (false, true) => Position::Prefix,
            (false, false) => Position::Exact,
        };
        return Ok(literal_pattern(literal, position, cased));
    }
    let mut source = String::from(if cased { "(?s)^" } else { "(?si)^" });
    for piece in &pieces {
        match piece {
            Piece::Char(c) => source.push_str(&regex::escape(c.encode_utf8(&mut [0; 4]))),
            Piece::AnyRun => source.push_str(".*"),
            Piece::AnyOne => source.push('.'),
        }
    }
    source.push('$');
    Regex::new(&source)
        .map(Pattern::Regex)
        .map_err(|e| format!("wildcard value: {e}"))
}

fn literal_pattern(literal: String, position: Position, cased: bool) -> Pattern {
    if !cased && !literal.is_ascii() {
        // Unicode case folding is left to the regex engine.
        let mut source = String::from("(?i)");
        if matches!(position, Position::Exact | Position::Prefix) {
            source.push('^');
        }
        source.push_str(&regex::escape(&literal));
        if matches!(position, Position::Exact | Position::Suffix) {
            source.push('$');
        }
        if let Ok(regex) = Regex::new(&source) {
            return Pattern::Regex(regex);
        }
    }
    let number = match position {
        // Finite only: a rule value `inf` is not the number infinity.
        Position::Exact => literal.trim().parse::<f64>().ok().filter(|n| n.is_finite()),
        _ => None,
    };
    let text = if cased {
        literal
    } else {
        literal.to_ascii_lowercase()
    };
    Pattern::Text {
        text: text.into(),
        position,
        cased,
        number,
    }
}

/// Rules indexed by the `eventName` or `eventSource` literal their condition
/// requires, so that an event runs only the rules that could match it.
#[derive(Debug, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
    by_event_name: HashMap<String, Vec<usize>>,
    by_event_source: HashMap<String, Vec<usize>>,
    unindexed: Vec<usize>,
}

const NAME_FIELD: &str = "eventName";
const SOURCE_FIELD: &str = "eventSource";

impl RuleSet {
    /// Indexes each rule on `eventName` if every branch of its condition
    /// requires a literal one, else on `eventSource` likewise, else keeps it
    /// in the list every event runs.
    pub fn new(rules: Vec<Rule>) -> RuleSet {
        let mut set = RuleSet::default();
        for (index, rule) in rules.iter().enumerate() {
            let required = |field| rule.condition.required_values(&rule.selections, field);
            if let Some(names) = required(NAME_FIELD) {
                for name in dedup(names) {
                    set.by_event_name.entry(name).or_default().push(index);
                }
            } else if let Some(sources) = required(SOURCE_FIELD) {
                for source in dedup(sources) {
                    set.by_event_source.entry(source).or_default().push(index);
                }
            } else {
                set.unindexed.push(index);
            }
        }
        set.rules = rules;
        set
    }

    /// Every rule, in the order given to `new`.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The rules that match `event`, each once.
    pub fn matching<'a>(&'a self, event: &'a Value) -> impl Iterator<Item = &'a Rule> + 'a {
        self.matching_indices(event).map(|index| &self.rules[index])
    }

    /// The positions in [`RuleSet::rules`] of the rules that match `event`,
    /// each once (what a [`Correlator`] is fed).
    pub fn matching_indices<'a>(&'a self, event: &'a Value) -> impl Iterator<Item = usize> + 'a {
        // The index keys on top-level strings; an event shaped otherwise (an
        // array, or an `eventName` that is a list) could still match through
        // the array rules, so it runs every rule.
        let indexable = event.as_object().is_some_and(|object| {
            [NAME_FIELD, SOURCE_FIELD]
                .iter()
                .all(|field| object.get(*field).is_none_or(Value::is_string))
        });
        let (by_name, by_source, unindexed, every) = if indexable {
            (
                indexed(&self.by_event_name, event, NAME_FIELD),
                indexed(&self.by_event_source, event, SOURCE_FIELD),
                self.unindexed.as_slice(),
                0..0,
            )
        } else {
            (&[][..], &[][..], &[][..], 0..self.rules.len())
        };
        by_name
            .iter()
            .chain(by_source)
            .chain(unindexed)
            .copied()
            .chain(every)
            .filter(move |&index| self.rules[index].matches(event))
    }
}

fn dedup(mut values: Vec<String>) -> Vec<String> {
    values.sort();
    values.dedup();
    values
}

/// Looks the event's top-level string field up, lowercased in a stack buffer
/// so that the lookup does not allocate (but for unusually long values).
fn indexed<'a>(index: &'a HashMap<String, Vec<usize>>, event: &Value, field: &str) -> &'a [usize] {
    let Some(text) = event.get(field).and_then(Value::as_str) else {
        return &[];
    };
    let mut buffer = [0u8; 128];
    let found = match buffer.get_mut(..text.len()) {
        Some(slot) => {
            slot.copy_from_slice(text.as_bytes());
            slot.make_ascii_lowercase();
            std::str::from_utf8(slot)
                .ok()
                .and_then(|key| index.get(key))
        }
        None => index.get(&text.to_ascii_lowercase()),
    };
    found.map_or(&[], Vec::as_slice)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sigmahq_rule_naming_an_api_is_indexed() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sigma-aws-cloudtrail");
        let mut rules = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "yml") {
                rules.extend(Rule::load_file(&path).unwrap());
            }
        }
        let set = RuleSet::new(rules);
        let mut unindexed: Vec<&str> = set
            .unindexed
            .iter()
            .map(|&i| set.rules[i].title.as_str())
            .collect();
        unindexed.sort();
        // These four match on the caller (user type, user agent, ARN), not on an API.
        assert_eq!(
            unindexed,
            [
                "AWS Root Credentials",
                "AWS STS AssumeRole Misuse",
                "Malicious Usage Of IMDS Credentials Outside Of AWS Infrastructure",
                "PUA - AWS TruffleHog Execution",
            ]
        );
        assert_eq!(set.by_event_source.len(), 1);
    }
}
