//! What a rule set needs from an event before the event is parsed: the
//! literals one of which must occur in its raw JSON text for any rule to
//! match ([`Prefilter`]), and the fields the rules read
//! ([`RuleSet::fields_read`]), so that the reader builds only those.
//!
//! The prefilter is conservative: it may only say "no" for an event that
//! provably cannot match; the exact matcher decides on the parsed event.
//! The reasoning, for a literal `L` a rule compares a text with:
//! - a JSON string's decoded text appears byte for byte in the raw record
//!   except where it was escaped; a record without `\u` or `\/` can escape
//!   only `"`, `\` and control characters, so a piece of `L` made of other
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
//! letters, digits, space and punctuation other than `" \ , : { } [ ]`)
//! that has a character outside a number's alphabet; a regex gives the
//! literal runs every match contains (`.+:assumed-role/aws:.+` needs
//! `assumed-role/aws`); a literal without a piece, a regex without a run, CIDR,
//! comparison, field reference, `exists`, `neq`, `null` or `not` makes its
//! part of the condition "any event". An AND keeps the most selective of its
//! parts (an `eventSource` only when nothing else is required: every event of
//! that service carries it), an OR the union of them.

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use regex_syntax::hir::{Class, Hir, HirKind};

use super::condition::Condition;
use super::matcher::{FieldMatcher, FieldTest, Pattern, Position, Selection};
use super::{Rule, RuleSet};

/// Decides from an event's raw JSON text whether any rule of a set could
/// match it. Built once per rule set; no allocation per event.
#[derive(Debug, Clone)]
pub struct Prefilter {
    /// The literals (and `\u`, which defeats the reasoning) of every rule;
    /// `None` when some rule can match any event, or there is no rule.
    automaton: Option<Search>,
    every_event: bool,
}

/// The search for the literals: aho-corasick's packed (SIMD, Teddy)
/// searcher when the literals are few enough (128) and the machine has it,
/// else a DFA (which uses Teddy only as a prefilter, then verifies).
#[derive(Debug, Clone)]
enum Search {
    Packed(aho_corasick::packed::Searcher),
    Automaton(AhoCorasick),
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
                Need::OneOf { literals: need, .. } => literals.extend(need),
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
        // A `\u` escape may hide any literal, a `\/` one a slash (legal
        // JSON, though AWS never writes it): such records are always parsed.
        literals.push("\\u".to_string());
        literals.push("\\/".to_string());
        // The literals are lowercase and the record is lowercased before the
        // search: a case-sensitive automaton can use a SIMD prefilter
        // (Teddy), which aho-corasick does not offer ignoring case (that
        // scanned a byte at a time, half of the time of a run that skips).
        // Leftmost-first: aho-corasick's packed searcher serves only the
        // leftmost kinds, and any kind answers `is_match` alike.
        let automaton = aho_corasick::packed::Searcher::new(&literals)
            .map(Search::Packed)
            .or_else(|| {
                AhoCorasick::builder()
                    .kind(Some(AhoCorasickKind::DFA))
                    .match_kind(MatchKind::LeftmostFirst)
                    .build(&literals)
                    .or_else(|_| {
                        // Too many literals for a DFA: the automaton picks its kind.
                        AhoCorasick::builder()
                            .match_kind(MatchKind::LeftmostFirst)
                            .build(&literals)
                    })
                    .ok()
                    .map(Search::Automaton)
            });
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
        let Some(automaton) = &self.automaton else {
            return false;
        };
        LOWERCASED.with_borrow_mut(|lowercased| {
            lowercased.clear();
            lowercased.extend(raw.iter().map(u8::to_ascii_lowercase));
            match automaton {
                Search::Packed(searcher) => searcher.find(lowercased.as_slice()).is_some(),
                Search::Automaton(automaton) => automaton.is_match(lowercased.as_slice()),
            }
        })
    }

    /// Whether every event is wanted (some rule has no usable literal), so
    /// that a caller can skip the scan.
    pub fn wants_every_event(&self) -> bool {
        self.every_event
    }
}

thread_local! {
    /// The record being searched, lowercased: one buffer per thread, grown
    /// to the longest record, so that no event allocates.
    static LOWERCASED: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
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
    OneOf {
        literals: Vec<String>,
        /// From `eventSource`: in every event of a service, so the last
        /// choice of an AND.
        common: bool,
    },
}

impl Need {
    fn one(literal: String) -> Need {
        Need::OneOf {
            literals: vec![literal],
            common: false,
        }
    }

    /// Both hold: the more selective of the two is enough to require.
    fn and(self, other: Need) -> Need {
        match (self, other) {
            (Need::AnyEvent, need) | (need, Need::AnyEvent) => need,
            (a, b) => {
                if b.selectivity() > a.selectivity() {
                    b
                } else {
                    a
                }
            }
        }
    }

    /// Either holds: one of either's literals.
    fn or(self, other: Need) -> Need {
        match (self, other) {
            (
                Need::OneOf {
                    literals: mut a,
                    common: common_a,
                },
                Need::OneOf {
                    literals: b,
                    common: common_b,
                },
            ) => {
                a.extend(b);
                Need::OneOf {
                    literals: a,
                    common: common_a || common_b,
                }
            }
            _ => Need::AnyEvent,
        }
    }

    fn common(self) -> Need {
        match self {
            Need::OneOf { literals, .. } => Need::OneOf {
                literals,
                common: true,
            },
            any => any,
        }
    }

    /// Rarer first: not from `eventSource`, then longer literals (they occur
    /// in fewer events), then fewer of them.
    fn selectivity(&self) -> (bool, usize, std::cmp::Reverse<usize>) {
        match self {
            Need::AnyEvent => (false, 0, std::cmp::Reverse(usize::MAX)),
            Need::OneOf { literals, common } => {
                let shortest = literals.iter().map(String::len).min().unwrap_or(0);
                (!common, shortest, std::cmp::Reverse(literals.len()))
            }
        }
    }
}

/// Characters JSON writes as themselves (without `\u`) and that never
/// separate tokens of compact JSON.
fn usable(byte: u8) -> bool {
    (byte.is_ascii_graphic() || byte == b' ')
        && !matches!(byte, b'"' | b'\\' | b',' | b':' | b'{' | b'}' | b'[' | b']')
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
        .map(|matcher| {
            let need = field_need(matcher);
            if &*matcher.field == "eventSource" {
                need.common()
            } else {
                need
            }
        })
        .fold(Need::AnyEvent, Need::and)
}

fn field_need(matcher: &FieldMatcher) -> Need {
    match &matcher.test {
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
    }
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
                Some(piece) => Need::one(piece),
                None => Need::AnyEvent,
            },
            Pattern::AnyContains { literals, .. } => literals
                .iter()
                .map(|literal| match usable_piece(literal) {
                    Some(piece) => Need::one(piece),
                    None => Need::AnyEvent,
                })
                .reduce(Need::or)
                .unwrap_or(Need::AnyEvent),
            Pattern::Regex(regex) => match regex_syntax::parse(regex.as_str()) {
                Ok(hir) => hir_need(&hir),
                Err(_) => Need::AnyEvent,
            },
            Pattern::Null | Pattern::Cidr(_) | Pattern::Compare(..) | Pattern::FieldRef { .. } => {
                Need::AnyEvent
            }
        }
    }
}

/// The literal runs one of which every match of a regex contains.
fn hir_need(hir: &Hir) -> Need {
    match hir.kind() {
        HirKind::Literal(literal) => text_need(&literal.0),
        HirKind::Repetition(repetition) if repetition.min > 0 => hir_need(&repetition.sub),
        HirKind::Capture(capture) => hir_need(&capture.sub),
        HirKind::Concat(items) => {
            // Adjacent exact characters form one run; each run, and what
            // each other item needs, is required.
            let mut need = Need::AnyEvent;
            let mut run = Vec::new();
            for item in items {
                match exact_bytes(item) {
                    Some(bytes) => run.extend_from_slice(&bytes),
                    None => {
                        need = need.and(text_need(&run)).and(hir_need(item));
                        run.clear();
                    }
                }
            }
            need.and(text_need(&run))
        }
        HirKind::Alternation(items) => items
            .iter()
            .map(hir_need)
            .reduce(Need::or)
            .unwrap_or(Need::AnyEvent),
        _ => Need::AnyEvent,
    }
}

fn text_need(bytes: &[u8]) -> Need {
    match std::str::from_utf8(bytes).ok().and_then(usable_piece) {
        Some(piece) => Need::one(piece),
        None => Need::AnyEvent,
    }
}

/// The text an item always matches, ignoring ASCII case: a literal, or a
/// class that is one ASCII letter in both cases (`(?i)a`; a class that
/// also holds a Unicode fold such as the Kelvin sign for `k` is not).
fn exact_bytes(hir: &Hir) -> Option<Vec<u8>> {
    match hir.kind() {
        HirKind::Literal(literal) => Some(literal.0.to_vec()),
        HirKind::Class(Class::Unicode(class)) => match class.ranges() {
            [one] if one.start() == one.end() && one.start().is_ascii() => {
                Some(vec![one.start() as u8])
            }
            [upper, lower]
                if upper.start() == upper.end()
                    && lower.start() == lower.end()
                    && upper.start().is_ascii_uppercase()
                    && lower.start() == upper.start().to_ascii_lowercase() =>
            {
                Some(vec![lower.start() as u8])
            }
            _ => None,
        },
        HirKind::Class(Class::Bytes(class)) => match class.ranges() {
            [one] if one.start() == one.end() && one.start().is_ascii() => Some(vec![one.start()]),
            [upper, lower]
                if upper.start() == upper.end()
                    && lower.start() == lower.end()
                    && upper.start().is_ascii_uppercase()
                    && lower.start() == upper.start().to_ascii_lowercase() =>
            {
                Some(vec![lower.start()])
            }
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests;
