//! Compiled matchers: what a selection becomes after load, and how it is run
//! against one JSON event.

use aho_corasick::AhoCorasick;
use regex::Regex;
use serde_json::Value;

use super::cidr::Cidr;

/// Where a literal must sit in the event's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Position {
    Exact,
    Contains,
    Prefix,
    Suffix,
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum CompareOp {
    Lt,
    Lte,
    Gt,
    Gte,
}

#[derive(Debug)]
pub(crate) enum Pattern {
    /// A YAML `null`: the field is missing or null.
    Null,
    /// A literal without inner wildcards. `text` is ASCII-lowercased unless
    /// `cased` (non-ASCII literals that ignore case become a `Regex`), so the
    /// comparison needs no allocation.
    Text {
        text: Box<str>,
        position: Position,
        cased: bool,
        /// The literal read as a number, so that an exact `200` also equals a
        /// JSON number `200.0`.
        number: Option<f64>,
    },
    Regex(Regex),
    /// Many `contains` literals of one field (all cased or all not, ASCII
    /// lowercase then) in one Aho-Corasick automaton: one pass over the
    /// text instead of one per literal.
    AnyContains {
        automaton: AhoCorasick,
        literals: Vec<Box<str>>,
    },
    Cidr(Cidr),
    Compare(CompareOp, f64),
    FieldRef {
        field: Box<str>,
        position: Position,
        cased: bool,
    },
}

#[derive(Debug)]
pub(crate) enum FieldTest {
    Exists(bool),
    /// Any pattern matches (every pattern with `all`); `negate` is `neq`:
    /// the field exists and no pattern matches.
    Values {
        patterns: Vec<Pattern>,
        all: bool,
        negate: bool,
    },
}

#[derive(Debug)]
pub(crate) struct FieldMatcher {
    pub(crate) field: Box<str>,
    pub(crate) test: FieldTest,
}

#[derive(Debug)]
pub(crate) enum Selection {
    /// A map: every field matcher holds.
    AllOf(Vec<FieldMatcher>),
    /// A list of maps: one of them holds.
    AnyOf(Vec<Vec<FieldMatcher>>),
    /// A keyword list: one pattern matches some string anywhere in the event.
    Keywords(Vec<Pattern>),
}

impl Selection {
    pub(crate) fn matches(&self, event: &Value) -> bool {
        match self {
            Selection::AllOf(fields) => fields.iter().all(|f| f.matches(event)),
            Selection::AnyOf(maps) => maps
                .iter()
                .any(|fields| fields.iter().all(|f| f.matches(event))),
            Selection::Keywords(patterns) => any_string(event, &mut |text| {
                patterns.iter().any(|p| p.matches_text(text, event))
            }),
        }
    }

    /// The lowercased literals one of which `field` must equal for this
    /// selection to match, if there are such.
    pub(crate) fn required_values(&self, field: &str) -> Option<Vec<String>> {
        match self {
            Selection::AllOf(fields) => required_in_map(fields, field),
            Selection::AnyOf(maps) => {
                let mut values = Vec::new();
                for fields in maps {
                    values.extend(required_in_map(fields, field)?);
                }
                Some(values)
            }
            Selection::Keywords(_) => None,
        }
    }
}

fn required_in_map(fields: &[FieldMatcher], field: &str) -> Option<Vec<String>> {
    fields.iter().find_map(|matcher| {
        if &*matcher.field != field {
            return None;
        }
        let FieldTest::Values {
            patterns,
            all: false,
            negate: false,
        } = &matcher.test
        else {
            return None;
        };
        patterns
            .iter()
            .map(|pattern| match pattern {
                // A numeric literal also equals other spellings of the number.
                Pattern::Text {
                    text,
                    position: Position::Exact,
                    number: None,
                    ..
                } if text.is_ascii() => Some(text.to_ascii_lowercase()),
                _ => None,
            })
            .collect()
    })
}

impl FieldMatcher {
    fn matches(&self, event: &Value) -> bool {
        match &self.test {
            FieldTest::Exists(expected) => field_exists(event, &self.field) == *expected,
            FieldTest::Values {
                patterns,
                all,
                negate,
            } => {
                let matches = |pattern: &Pattern| match pattern {
                    Pattern::Null => {
                        !field_exists(event, &self.field)
                            || any_at(event, &self.field, &mut |v| v.is_null())
                    }
                    _ => any_at(event, &self.field, &mut |v| pattern.matches(v, event)),
                };
                if *negate {
                    field_exists(event, &self.field) && !patterns.iter().any(matches)
                } else if *all {
                    patterns.iter().all(matches)
                } else {
                    patterns.iter().any(matches)
                }
            }
        }
    }
}

fn field_exists(event: &Value, field: &str) -> bool {
    any_at(event, field, &mut |_| true)
}

/// Calls `found` on the value(s) at `key` until it returns true. A literal key
/// (dots included) wins over a nested path; arrays on the way are searched
/// element by element, so `a.b` reaches `{"a":[{"b":1}]}`.
pub(crate) fn any_at(value: &Value, key: &str, found: &mut dyn FnMut(&Value) -> bool) -> bool {
    match value {
        Value::Array(items) => items.iter().any(|item| any_at(item, key, found)),
        Value::Object(object) => {
            if let Some(child) = object.get(key) {
                return found(child);
            }
            key.match_indices('.').any(|(dot, _)| {
                object
                    .get(&key[..dot])
                    .is_some_and(|child| any_at(child, &key[dot + 1..], found))
            })
        }
        _ => false,
    }
}

fn any_string(value: &Value, found: &mut dyn FnMut(&str) -> bool) -> bool {
    match value {
        Value::String(text) => found(text),
        Value::Array(items) => items.iter().any(|item| any_string(item, found)),
        Value::Object(object) => object.values().any(|item| any_string(item, found)),
        _ => false,
    }
}

impl Pattern {
    /// An array matches when one element does; an object is matched on its
    /// compact JSON text (rules treat `requestParameters` as a string).
    fn matches(&self, value: &Value, event: &Value) -> bool {
        match value {
            Value::Null => false,
            Value::Array(items) => items.iter().any(|item| self.matches(item, event)),
            Value::String(text) => self.matches_text(text, event),
            Value::Bool(flag) => self.matches_text(if *flag { "true" } else { "false" }, event),
            Value::Number(number) => match self {
                Pattern::Text {
                    position: Position::Exact,
                    number: Some(expected),
                    ..
                } => number.as_f64() == Some(*expected),
                Pattern::Compare(op, bound) => {
                    number.as_f64().is_some_and(|n| compare(*op, n, *bound))
                }
                _ => self.matches_text(&number.to_string(), event),
            },
            Value::Object(_) => self.matches_text(&value.to_string(), event),
        }
    }

    fn matches_text(&self, text: &str, event: &Value) -> bool {
        match self {
            Pattern::Null => false,
            Pattern::Text {
                text: literal,
                position,
                cased,
                number,
            } => {
                text_matches(text, literal, *position, *cased)
                    || (*position == Position::Exact
                        && number.is_some()
                        && text.trim().parse::<f64>().ok() == *number)
            }
            Pattern::Regex(regex) => regex.is_match(text),
            Pattern::AnyContains { automaton, .. } => automaton.is_match(text),
            Pattern::Cidr(cidr) => cidr.contains(text),
            Pattern::Compare(op, bound) => text
                .trim()
                .parse::<f64>()
                .is_ok_and(|n| compare(*op, n, *bound)),
            Pattern::FieldRef {
                field,
                position,
                cased,
            } => any_at(event, field, &mut |other| {
                scalar_text(other).is_some_and(|other| {
                    if *cased {
                        text_matches(text, &other, *position, true)
                    } else {
                        text_matches(&text.to_lowercase(), &other.to_lowercase(), *position, true)
                    }
                })
            }),
        }
    }
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

fn compare(op: CompareOp, value: f64, bound: f64) -> bool {
    match op {
        CompareOp::Lt => value < bound,
        CompareOp::Lte => value <= bound,
        CompareOp::Gt => value > bound,
        CompareOp::Gte => value >= bound,
    }
}

/// `literal` is already lowercased when `cased` is false, and ASCII then.
fn text_matches(text: &str, literal: &str, position: Position, cased: bool) -> bool {
    let (haystack, needle) = (text.as_bytes(), literal.as_bytes());
    let same = |a: &[u8], b: &[u8]| {
        if cased {
            a == b
        } else {
            a.eq_ignore_ascii_case(b)
        }
    };
    match position {
        Position::Exact => haystack.len() == needle.len() && same(haystack, needle),
        Position::Prefix => {
            haystack.len() >= needle.len() && same(&haystack[..needle.len()], needle)
        }
        Position::Suffix => {
            haystack.len() >= needle.len()
                && same(&haystack[haystack.len() - needle.len()..], needle)
        }
        Position::Contains => {
            needle.is_empty()
                || haystack
                    .windows(needle.len())
                    .any(|window| same(window, needle))
        }
    }
}

/// From this many `contains` literals on one field, they are searched
/// together (fewer are as fast one by one).
const CONTAINS_SET_MIN: usize = 4;

/// Merges the `contains` literals of a field's value list into automata
/// (one for those that ignore case, one for `cased` ones). Not for `all`,
/// where each literal must be found on its own.
pub(crate) fn merge_contains(patterns: Vec<Pattern>, all: bool) -> Vec<Pattern> {
    if all {
        return patterns;
    }
    let mut patterns = patterns;
    for cased in [false, true] {
        let is_member = |pattern: &Pattern| matches!(pattern, Pattern::Text { position: Position::Contains, cased: c, .. } if *c == cased);
        if patterns.iter().filter(|p| is_member(p)).count() < CONTAINS_SET_MIN {
            continue;
        }
        let (members, rest): (Vec<Pattern>, Vec<Pattern>) =
            patterns.into_iter().partition(|p| is_member(p));
        let literals: Vec<Box<str>> = members
            .iter()
            .filter_map(|pattern| match pattern {
                Pattern::Text { text, .. } => Some(text.clone()),
                _ => None,
            })
            .collect();
        patterns = rest;
        match AhoCorasick::builder()
            .ascii_case_insensitive(!cased)
            .build(literals.iter().map(|literal| literal.as_bytes()))
        {
            Ok(automaton) => patterns.push(Pattern::AnyContains {
                automaton,
                literals,
            }),
            // Too large for an automaton: as they were.
            Err(_) => patterns.extend(members),
        }
    }
    patterns
}

#[cfg(test)]
mod tests;
