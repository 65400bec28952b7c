//! What a rule set needs from an event before the event is parsed: the
//! literals one of which must occur in its raw JSON text for any rule to
//! match ([`Prefilter`]), and the fields the rules read
//! ([`RuleSet::fields_read`]), so that the reader builds only those.
//!
//! The prefilter is conservative: it may only say "no" for an event that
//! provably cannot match; the exact matcher decides on the parsed event.
//! The reasoning, for a literal `L` a rule compares a text with:
//! - a JSON string's decoded text appears byte for byte in the raw record
//!   except where it was escaped; a record without `\u` can escape only `"`,
//!   `\`, `/` and control characters, so a piece of `L` made of other
//!   characters occurs verbatim in the raw text (ignoring ASCII case unless
//!   the rule is `cased`: the automaton ignores ASCII case always, which
//!   only lets more events through);
//! - an object is matched on its compact JSON text, which has no whitespace
//!   outside strings and whose tokens are separated by `"` `,` `:` and
//!   brackets: a piece without those characters lies inside one token,
//!   and a string, `true`, `false`, `null` or key token is in the raw text
//!   as it is in the compact one;
//! - a number is matched on its canonical text (`1e300` for a raw `1000...`),
//!   made only of digits, `.`, `e`, `+`, `-`: a piece with any other
//!   character cannot come from a number.
//!
//! So each literal gives its longest piece of usable characters (ASCII
//! letters, digits, space and punctuation other than `" \ / , : { } [ ]`)
//! that has a character outside a number's alphabet; a literal without one,
//! a regex, CIDR, comparison, field reference, `exists`, `neq`, `null` or
//! `not` makes its part of the condition "any event". An AND keeps the most
//! selective of its parts, an OR the union of them.

use aho_corasick::{AhoCorasick, AhoCorasickKind};

use super::condition::Condition;
use super::matcher::{FieldMatcher, FieldTest, Pattern, Position, Selection};
use super::{Rule, RuleSet};

/// Decides from an event's raw JSON text whether any rule of a set could
/// match it. Built once per rule set; no allocation per event.
#[derive(Debug, Clone)]
pub struct Prefilter {
    /// The literals (and `\u`, which defeats the reasoning) of every rule;
    /// `None` when some rule can match any event, or there is no rule.
    automaton: Option<AhoCorasick>,
    every_event: bool,
}

impl Prefilter {
    /// The prefilter of `rules`: every literal of every rule in one
    /// automaton.
    pub fn new(rules: &[Rule]) -> Prefilter {
        let mut literals: Vec<String> = Vec::new();
        for rule in rules {
            match rule.condition.need(&rule.selections) {
                Need::AnyEvent => {
                    return Prefilter {
                        automaton: None,
                        every_event: true,
                    }
                }
                Need::OneOf(need) => literals.extend(need),
            }
        }
        if literals.is_empty() {
            return Prefilter {
                automaton: None,
                every_event: false,
            };
        }
        literals.sort();
        literals.dedup();
        // A `\u` escape may hide any literal: such records are always parsed.
        literals.push("\\u".to_string());
        let automaton = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&literals)
            .or_else(|_| {
                // Too many literals for a DFA: the automaton picks its kind.
                AhoCorasick::builder()
                    .ascii_case_insensitive(true)
                    .build(&literals)
            })
            .ok();
        Prefilter {
            every_event: automaton.is_none(),
            automaton,
        }
    }

    /// Whether a record with this raw JSON text could match a rule (false
    /// only when it provably cannot).
    pub fn wants(&self, raw: &[u8]) -> bool {
        if self.every_event {
            return true;
        }
        self.automaton
            .as_ref()
            .is_some_and(|automaton| automaton.is_match(raw))
    }

    /// Whether every event is wanted (some rule has no usable literal), so
    /// that a caller can skip the scan.
    pub fn wants_every_event(&self) -> bool {
        self.every_event
    }
}

impl RuleSet {
    /// The prefilter of every rule of the set.
    pub fn prefilter(&self) -> Prefilter {
        Prefilter::new(self.rules())
    }

    /// The fields (dotted paths as the rules write them) any rule of the
    /// set reads, plus `eventName` and `eventSource` (the index reads them);
    /// `None` when some rule reads the whole event (a keyword list).
    pub fn fields_read(&self) -> Option<Vec<String>> {
        let mut fields = vec!["eventName".to_string(), "eventSource".to_string()];
        for rule in self.rules() {
            for selection in &rule.selections {
                let maps: &[Vec<FieldMatcher>] = match selection {
                    Selection::AllOf(fields) => std::slice::from_ref(fields),
                    Selection::AnyOf(maps) => maps,
                    Selection::Keywords(_) => return None,
                };
                for matcher in maps.iter().flatten() {
                    fields.push(matcher.field.to_string());
                    if let FieldTest::Values { patterns, .. } = &matcher.test {
                        for pattern in patterns {
                            if let Pattern::FieldRef { field, .. } = pattern {
                                fields.push(field.to_string());
                            }
                        }
                    }
                }
            }
        }
        fields.sort();
        fields.dedup();
        Some(fields)
    }
}

/// What the raw text of an event must contain for a part of a rule to hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Need {
    AnyEvent,
    /// One of these literals, ASCII-lowercased (matched ignoring ASCII case).
    OneOf(Vec<String>),
}

impl Need {
    /// Both hold: the more selective of the two is enough to require.
    fn and(self, other: Need) -> Need {
        match (self, other) {
            (Need::AnyEvent, need) | (need, Need::AnyEvent) => need,
            (Need::OneOf(a), Need::OneOf(b)) => {
                if selectivity(&b) > selectivity(&a) {
                    Need::OneOf(b)
                } else {
                    Need::OneOf(a)
                }
            }
        }
    }

    /// Either holds: one of either's literals.
    fn or(self, other: Need) -> Need {
        match (self, other) {
            (Need::OneOf(mut a), Need::OneOf(b)) => {
                a.extend(b);
                Need::OneOf(a)
            }
            _ => Need::AnyEvent,
        }
    }
}

/// Longer literals occur in fewer events, and fewer of them are better:
/// the shortest literal first, then the count.
fn selectivity(literals: &[String]) -> (usize, std::cmp::Reverse<usize>) {
    let shortest = literals.iter().map(String::len).min().unwrap_or(0);
    (shortest, std::cmp::Reverse(literals.len()))
}

/// Characters JSON writes as themselves (without `\u`) and that never
/// separate tokens of compact JSON.
fn usable(byte: u8) -> bool {
    (byte.is_ascii_graphic() || byte == b' ')
        && !matches!(
            byte,
            b'"' | b'\\' | b'/' | b',' | b':' | b'{' | b'}' | b'[' | b']'
        )
}

/// Characters of a number's canonical text.
fn numeric(byte: u8) -> bool {
    byte.is_ascii_digit() || matches!(byte, b'.' | b'e' | b'E' | b'+' | b'-')
}

/// The longest run of usable characters of `literal` that a number's text
/// cannot contain, lowercased; `None` when there is none.
fn usable_piece(literal: &str) -> Option<String> {
    literal
        .as_bytes()
        .split(|byte| !usable(*byte))
        .filter(|piece| piece.iter().any(|byte| !numeric(*byte)))
        .max_by_key(|piece| piece.len())
        .map(|piece| String::from_utf8_lossy(piece).to_ascii_lowercase())
}

impl Condition {
    pub(crate) fn need(&self, selections: &[Selection]) -> Need {
        match self {
            Condition::Selection(index) => selections[*index].need(),
            Condition::Not(_) => Need::AnyEvent,
            Condition::And(parts) => parts
                .iter()
                .map(|part| part.need(selections))
                .fold(Need::AnyEvent, Need::and),
            Condition::Or(parts) => parts
                .iter()
                .map(|part| part.need(selections))
                .reduce(Need::or)
                .unwrap_or(Need::AnyEvent),
        }
    }
}

impl Selection {
    fn need(&self) -> Need {
        match self {
            Selection::AllOf(fields) => map_need(fields),
            Selection::AnyOf(maps) => maps
                .iter()
                .map(|fields| map_need(fields))
                .reduce(Need::or)
                .unwrap_or(Need::AnyEvent),
            Selection::Keywords(patterns) => any_pattern_need(patterns),
        }
    }
}

fn map_need(fields: &[FieldMatcher]) -> Need {
    fields
        .iter()
        .map(|matcher| match &matcher.test {
            FieldTest::Exists(_) => Need::AnyEvent,
            FieldTest::Values { negate: true, .. } => Need::AnyEvent,
            FieldTest::Values {
                patterns,
                all: true,
                ..
            } => patterns
                .iter()
                .map(Pattern::need)
                .fold(Need::AnyEvent, Need::and),
            FieldTest::Values { patterns, .. } => any_pattern_need(patterns),
        })
        .fold(Need::AnyEvent, Need::and)
}

fn any_pattern_need(patterns: &[Pattern]) -> Need {
    patterns
        .iter()
        .map(Pattern::need)
        .reduce(Need::or)
        .unwrap_or(Need::AnyEvent)
}

impl Pattern {
    fn need(&self) -> Need {
        match self {
            Pattern::Text {
                position: Position::Exact,
                number: Some(_),
                ..
            } => Need::AnyEvent,
            Pattern::Text { text, .. } => match usable_piece(text) {
                Some(piece) => Need::OneOf(vec![piece]),
                None => Need::AnyEvent,
            },
            Pattern::Null
            | Pattern::Regex(_)
            | Pattern::Cidr(_)
            | Pattern::Compare(..)
            | Pattern::FieldRef { .. } => Need::AnyEvent,
        }
    }
}

#[cfg(test)]
mod tests;
