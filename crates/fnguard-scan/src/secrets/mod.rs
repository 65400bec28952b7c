//! Secrets in what a function ships (guide §3.2.1): rules as data
//! (`rules/secrets/*.yml`, see [`rule`]) matched behind one Aho-Corasick
//! keyword prefilter. A rule's regex runs only on windows around its
//! keywords' hits, so text without any keyword costs one automaton pass.
//! Most rules' matches can only start with a few literals (module `prefix`):
//! their regex is tried anchored at those literals' occurrences in the
//! window rather than at every byte of it.
//!
//! A [`Scanner`] is built once and shared (`Sync`, no global state); call
//! [`Scanner::scan`] per file from as many threads as wanted.

pub mod check;
pub mod filter;
mod prefix;
pub mod rule;

use aho_corasick::automaton::Automaton;
use aho_corasick::dfa::DFA;
use aho_corasick::MatchKind;
use regex_automata::{meta, Anchored, Input};
use std::collections::HashMap;
use std::ops::Range;
use std::sync::OnceLock;

pub use rule::{builtin_rules, parse_rules, Example, RuleError, SecretRule};

/// Bytes before a keyword hit that a match may start at: the name of a
/// variable before `=`, a URL scheme before the password.
const BEFORE: usize = 256;
/// How far a window grows to reach the start or end of its line, so a
/// match is not cut in the middle of a token.
const LINE_REACH: usize = 1024;
/// A window in a line longer than [`LINE_REACH`] (minified code, binaries)
/// still ends only after the token it is in, up to this far.
const TOKEN_REACH: usize = 65_536;
/// Binary input is recognised as in git: a NUL byte early on.
const BINARY_SNIFF: usize = 8192;

/// One secret found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// Index of the rule in [`Scanner::rules`].
    pub rule: usize,
    pub rule_id: String,
    /// Byte range of the secret (the rule's capture) in the input.
    pub range: Range<usize>,
    /// 1-based line of the secret's first byte.
    pub line: u32,
    /// 1-based column of the secret's first byte, in characters.
    pub column: u32,
    /// The secret with all but a short prefix and suffix cut out.
    pub redacted: String,
}

pub struct Scanner {
    rules: Vec<SecretRule>,
    /// Every keyword and every `file_contains` literal of every rule, each
    /// literal once: one pass over the input finds them all.
    keywords: DFA,
    /// For each literal of `keywords`, the rules that listed it as a
    /// keyword.
    keyword_rules: Vec<Vec<usize>>,
    /// For each literal of `keywords`, the rules it lets run because they
    /// listed it in `file_contains`.
    gate_rules: Vec<Vec<usize>>,
    /// For each literal of `keywords`, the rules whose every match starts
    /// with it or another of their [`prefix::match_prefixes`].
    start_rules: Vec<Vec<usize>>,
    /// For each rule, its regex for anchored searches when every match
    /// starts with one of a few literals ([`prefix`]): it is then tried
    /// only at their occurrences in a window, not at every byte.
    anchored: Vec<Option<LazyAnchored>>,
}

/// Rule data that does not build an automaton (e.g. too large).
#[derive(Debug, thiserror::Error)]
#[error("cannot build the secret keyword automaton: {0}")]
pub struct BuildError(String);

impl Scanner {
    /// The scanner of the rules shipped with fnguard.
    pub fn builtin() -> Result<Scanner, Vec<RuleError>> {
        let rules = builtin_rules()?;
        Scanner::new(rules).map_err(|e| {
            vec![RuleError {
                file: "rules/secrets".into(),
                at: "all".into(),
                message: e.to_string(),
            }]
        })
    }

    pub fn new(rules: Vec<SecretRule>) -> Result<Scanner, BuildError> {
        let mut index: HashMap<Vec<u8>, usize> = HashMap::new();
        let mut literals: Vec<Vec<u8>> = Vec::new();
        let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
        let mut gate_rules: Vec<Vec<usize>> = Vec::new();
        let mut start_rules: Vec<Vec<usize>> = Vec::new();
        let mut literal_id = |literal: &[u8]| -> usize {
            let key = literal.to_ascii_lowercase();
            *index.entry(key.clone()).or_insert_with(|| {
                literals.push(key);
                keyword_rules.push(Vec::new());
                gate_rules.push(Vec::new());
                start_rules.push(Vec::new());
                literals.len() - 1
            })
        };
        #[derive(Clone, Copy)]
        enum Role {
            Keyword,
            Gate,
            Start,
        }
        let mut wiring = Vec::new();
        let mut anchored = Vec::with_capacity(rules.len());
        for (r, rule) in rules.iter().enumerate() {
            for keyword in &rule.keywords {
                wiring.push((literal_id(keyword.as_bytes()), r, Role::Keyword));
            }
            for literal in &rule.file_contains {
                wiring.push((literal_id(literal.as_bytes()), r, Role::Gate));
            }
            let starts = prefix::match_prefixes(&rule.pattern);
            let regex = starts.as_ref().map(|_| LazyAnchored {
                pattern: rule.pattern.clone(),
                regex: OnceLock::new(),
            });
            // The starts open windows too, so that no match is missed for
            // want of a window (`auth-key` of a rule listing `auth_key`).
            for start in starts.iter().flatten() {
                let k = literal_id(start);
                wiring.push((k, r, Role::Start));
                wiring.push((k, r, Role::Keyword));
            }
            anchored.push(regex);
        }
        for (k, r, role) in wiring {
            let list = match role {
                Role::Keyword => &mut keyword_rules[k],
                Role::Gate => &mut gate_rules[k],
                Role::Start => &mut start_rules[k],
            };
            if !list.contains(&r) {
                list.push(r);
            }
        }
        // A DFA: several times faster than the default NFA on this many
        // case-insensitive literals, and built once. Walked by
        // `keyword_occurrences`, two streams at a time.
        let keywords = DFA::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&literals)
            .map_err(|e| BuildError(e.to_string()))?;
        Ok(Scanner {
            rules,
            keywords,
            keyword_rules,
            gate_rules,
            start_rules,
            anchored,
        })
    }

    pub fn rules(&self) -> &[SecretRule] {
        &self.rules
    }

    pub fn rule(&self, hit: &Hit) -> &SecretRule {
        &self.rules[hit.rule]
    }

    /// Every secret in `input`, in order, overlapping hits resolved.
    /// Inline `fnguard:ignore` comments are the caller's to apply (the
    /// package scan marks the hits they name as suppressed, in the
    /// function's own code only). Binary input (a NUL byte near the start) is scanned in its runs of
    /// printable text only.
    pub fn scan(&self, input: &[u8]) -> Vec<Hit> {
        let sniff = &input[..input.len().min(BINARY_SNIFF)];
        if memchr::memchr(0, sniff).is_some() {
            // Non-text bytes become NUL, which no rule matches, so a secret
            // cannot be stitched together across them; offsets are kept.
            let text: Vec<u8> = input
                .iter()
                .map(|&b| {
                    if b.is_ascii_graphic() || matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                        b
                    } else {
                        0
                    }
                })
                .collect();
            self.scan_text(&text)
        } else {
            self.scan_text(input)
        }
    }

    fn scan_text(&self, hay: &[u8]) -> Vec<Hit> {
        let (windows, mut starts) = self.candidate_windows(hay);
        let mut hits = Vec::new();
        for (r, spans) in windows.iter().enumerate() {
            if spans.is_empty() {
                continue;
            }
            let rule = &self.rules[r];
            if let Some(regex) = self.anchored[r].as_ref().and_then(LazyAnchored::get) {
                let starts = &mut starts[r];
                starts.sort_unstable();
                starts.dedup();
                for span in spans {
                    let (start, end) = grow_window(hay, span.clone());
                    self.search_anchored(regex, r, hay, start..end, starts, &mut hits);
                }
                continue;
            }
            let Some(regex) = rule.regex() else {
                continue;
            };
            let mut locs = regex.capture_locations();
            for span in spans {
                let (start, end) = grow_window(hay, span.clone());
                let slice = &hay[..end];
                let mut at = start;
                while at <= end {
                    let Some(whole) = regex.captures_read_at(&mut locs, slice, at) else {
                        break;
                    };
                    let accepted = match locs.get(1) {
                        Some((s, e)) if accepts(rule, &hay[s..e]) => {
                            hits.push((r, s..e));
                            true
                        }
                        _ => false,
                    };
                    // After a rejected candidate look again from its next
                    // byte: `x-password.tgz",\n"password": "…"` must not hide
                    // the real assignment behind the false start.
                    at = if accepted && whole.end() > at {
                        whole.end()
                    } else {
                        whole.start().max(at) + 1
                    };
                }
            }
        }
        let hits = self.resolve_overlaps(hits);
        self.finish(hay, hits)
    }

    /// The matches of rule `r` that start at one of `starts` inside
    /// `window`, as the window search would find them: leftmost first,
    /// the search going on after an accepted secret's end or one byte after
    /// a rejected candidate's start.
    fn search_anchored(
        &self,
        regex: &meta::Regex,
        r: usize,
        hay: &[u8],
        window: Range<usize>,
        starts: &[usize],
        hits: &mut Vec<(usize, Range<usize>)>,
    ) {
        let rule = &self.rules[r];
        let slice = &hay[..window.end];
        let first = starts.partition_point(|&s| s < window.start);
        let mut resume = window.start;
        let mut slots = [None; 4];
        for &at in &starts[first..] {
            if at > window.end {
                break;
            }
            if at < resume {
                continue;
            }
            let input = Input::new(slice)
                .range(at..window.end)
                .anchored(Anchored::Yes);
            if regex.search_slots(&input, &mut slots).is_none() {
                continue;
            }
            let (Some(whole_end), Some(s), Some(e)) = (slots[1], slots[2], slots[3]) else {
                continue;
            };
            let (s, e, whole_end) = (s.get(), e.get(), whole_end.get());
            if accepts(rule, &hay[s..e]) {
                hits.push((r, s..e));
                if whole_end > at {
                    resume = whole_end;
                }
            }
        }
    }

    /// For each rule, the merged byte ranges around its keywords' hits,
    /// and the positions where its anchored regex (if any) is to be tried.
    /// A rule with `file_contains` gets them only when one of those
    /// literals occurs somewhere in the input, before or after the hit.
    fn candidate_windows(&self, hay: &[u8]) -> (Vec<Vec<Range<usize>>>, Vec<Vec<usize>>) {
        let mut starts: Vec<Vec<usize>> = vec![Vec::new(); self.rules.len()];
        let mut windows: Vec<Vec<Range<usize>>> = vec![Vec::new(); self.rules.len()];
        let mut gate_open = vec![false; self.rules.len()];
        let mut waiting: Vec<(usize, Range<usize>)> = Vec::new();
        for m in keyword_occurrences(&self.keywords, hay) {
            let literal = m.literal;
            for &r in &self.start_rules[literal] {
                starts[r].push(m.start);
            }
            for &r in &self.gate_rules[literal] {
                gate_open[r] = true;
            }
            for &r in &self.keyword_rules[literal] {
                let start = m.start.saturating_sub(BEFORE);
                let end = (m.end + self.rules[r].window).min(hay.len());
                if self.rules[r].file_contains.is_empty() {
                    push_window(&mut windows[r], start..end);
                } else {
                    waiting.push((r, start..end));
                }
            }
        }
        for (r, span) in waiting {
            if gate_open[r] {
                push_window(&mut windows[r], span);
            }
        }
        (windows, starts)
    }

    /// Overlapping hits of the same bytes: a specific rule beats a generic
    /// one, then the longer secret wins, then the rule listed first.
    fn resolve_overlaps(&self, mut hits: Vec<(usize, Range<usize>)>) -> Vec<(usize, Range<usize>)> {
        hits.sort_by_key(|(r, range)| (range.start, std::cmp::Reverse(range.end), *r));
        hits.dedup();
        let mut kept: Vec<(usize, Range<usize>)> = Vec::with_capacity(hits.len());
        'next: for (r, range) in hits {
            let mut j = kept.len();
            while j > 0 {
                j -= 1;
                let (kr, krange) = &kept[j];
                if krange.start + TOKEN_REACH < range.start {
                    break;
                }
                if krange.end <= range.start {
                    continue;
                }
                let (generic, kept_generic) = (self.rules[r].generic, self.rules[*kr].generic);
                let better = (kept_generic && !generic)
                    || (generic == kept_generic && range.len() > krange.len());
                if better {
                    kept.remove(j);
                } else {
                    continue 'next;
                }
            }
            kept.push((r, range));
        }
        kept.sort_by_key(|(r, range)| (range.start, *r));
        kept
    }

    /// Positions and redaction.
    fn finish(&self, hay: &[u8], hits: Vec<(usize, Range<usize>)>) -> Vec<Hit> {
        let mut out = Vec::with_capacity(hits.len());
        let (mut line, mut counted_to) = (1usize, 0usize);
        for (r, range) in hits {
            line += memchr::memchr_iter(b'\n', &hay[counted_to..range.start]).count();
            counted_to = range.start;
            let line_start = memchr::memrchr(b'\n', &hay[..range.start]).map_or(0, |i| i + 1);
            let rule_id = &self.rules[r].id;
            // Continuation bytes of UTF-8 do not start a character.
            let column = hay[line_start..range.start]
                .iter()
                .filter(|&&b| b & 0xC0 != 0x80)
                .count()
                + 1;
            out.push(Hit {
                rule: r,
                rule_id: rule_id.clone(),
                redacted: fnguard_core::finding::redact(&String::from_utf8_lossy(
                    &hay[range.clone()],
                )),
                range,
                line: u32::try_from(line).unwrap_or(u32::MAX),
                column: u32::try_from(column).unwrap_or(u32::MAX),
            });
        }
        out
    }
}

/// An occurrence of keyword `literal` at `start..end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Occurrence {
    pub literal: usize,
    pub start: usize,
    pub end: usize,
}

/// Inputs shorter than this are read as one stream.
const TWO_STREAMS_FROM: usize = 8192;

/// Every occurrence of `dfa`'s literals in `hay`, overlapping ones too, in
/// the order aho-corasick's overlapping search reports them (by end).
/// Also the indicators' literal prefilter.
///
/// Each step of a DFA waits for the state the previous step loaded, so one
/// walk leaves the CPU mostly idle. The two halves of the input are walked
/// at once instead, in one loop: two independent chains of loads. The
/// second half starts a literal's length early, so that an occurrence
/// across the middle is seen whole, and reports only those ending after
/// the middle.
pub(crate) fn keyword_occurrences(dfa: &DFA, hay: &[u8]) -> Vec<Occurrence> {
    let mut first = Vec::new();
    let Ok(start) = dfa.start_state(aho_corasick::Anchored::No) else {
        return first;
    };
    let report = |sid, end: usize, from: usize, out: &mut Vec<Occurrence>| {
        if end <= from || !dfa.is_match(sid) {
            return;
        }
        for i in 0..dfa.match_len(sid) {
            let pattern = dfa.match_pattern(sid, i);
            out.push(Occurrence {
                literal: pattern.as_usize(),
                start: end - dfa.pattern_len(pattern),
                end,
            });
        }
    };
    let step = |sid, byte| dfa.next_state(aho_corasick::Anchored::No, sid, byte);
    let n = hay.len();
    if n < TWO_STREAMS_FROM {
        let mut sid = start;
        for (at, &byte) in hay.iter().enumerate() {
            sid = step(sid, byte);
            if dfa.is_special(sid) {
                report(sid, at + 1, 0, &mut first);
            }
        }
        return first;
    }
    let middle = n / 2;
    let second_from = middle - dfa.max_pattern_len().saturating_sub(1).min(middle);
    let (front, back) = (&hay[..middle], &hay[second_from..]);
    let mut second = Vec::new();
    let (mut a, mut b) = (start, start);
    for (k, (&x, &y)) in front.iter().zip(back).enumerate() {
        a = step(a, x);
        b = step(b, y);
        if dfa.is_special(a) {
            report(a, k + 1, 0, &mut first);
        }
        if dfa.is_special(b) {
            report(b, second_from + k + 1, middle, &mut second);
        }
    }
    for (k, &y) in back.iter().enumerate().skip(front.len()) {
        b = step(b, y);
        if dfa.is_special(b) {
            report(b, second_from + k + 1, middle, &mut second);
        }
    }
    first.append(&mut second);
    first
}

/// A rule's anchored regex, compiled the first time a window of the rule
/// opens: compiling all 80 took ~0.1 s, more than scanning a small
/// package, and most packages open windows for a few rules only.
struct LazyAnchored {
    pattern: String,
    /// `None` inside when the pattern does not build as a meta regex (the
    /// rule then runs unanchored; the built-in rules all build, a test
    /// checks).
    regex: OnceLock<Option<meta::Regex>>,
}

impl LazyAnchored {
    fn get(&self) -> Option<&meta::Regex> {
        self.regex
            .get_or_init(|| anchored_regex(&self.pattern).ok())
            .as_ref()
    }
}

/// A rule's regex for searches anchored at a position, built as the regex
/// crate builds a `regex::bytes::Regex`, so both match the same.
fn anchored_regex(pattern: &str) -> Result<meta::Regex, BuildError> {
    meta::Builder::new()
        .configure(
            meta::Config::new()
                .match_kind(regex_automata::MatchKind::LeftmostFirst)
                .utf8_empty(false),
        )
        .syntax(regex_automata::util::syntax::Config::new().utf8(false))
        .build(pattern)
        .map_err(|e| BuildError(e.to_string()))
}

/// Add a window, merged into the previous one when they overlap (hits
/// come in order of their end, so starts are nearly sorted).
fn push_window(spans: &mut Vec<Range<usize>>, span: Range<usize>) {
    match spans.last_mut() {
        Some(last) if span.start <= last.end && span.start >= last.start => {
            last.end = last.end.max(span.end);
        }
        _ => spans.push(span),
    }
}

/// A window grown to whole lines, or past the token it ends in when the
/// line is very long, so a regex does not see a cut-off secret.
fn grow_window(hay: &[u8], span: Range<usize>) -> (usize, usize) {
    let reach_back = span.start.saturating_sub(LINE_REACH);
    let start = memchr::memrchr(b'\n', &hay[reach_back..span.start])
        .map_or(reach_back, |i| reach_back + i + 1);
    let reach = (span.end + LINE_REACH).min(hay.len());
    let end = match memchr::memchr(b'\n', &hay[span.end..reach]) {
        Some(i) => span.end + i,
        None => {
            let limit = (reach + TOKEN_REACH).min(hay.len());
            hay[reach..limit]
                .iter()
                .position(|&b| !is_token_byte(b))
                .map_or(limit, |i| reach + i)
        }
    };
    (start, end)
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'_' | b'-' | b'.' | b'~')
}

/// The rule's own conditions on the captured secret.
fn accepts(rule: &SecretRule, secret: &[u8]) -> bool {
    if secret.is_empty() || filter::is_placeholder(secret) {
        return false;
    }
    if let Some(min) = rule.min_entropy {
        if filter::shannon_entropy(secret) < min {
            return false;
        }
    }
    !rule.randomness || filter::is_random(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scanner() -> Scanner {
        Scanner::builtin().expect("the built-in rules parse")
    }

    #[test]
    fn two_stream_walk_reports_what_the_overlapping_search_does() {
        let words = [
            "secret",
            "secret_access_key",
            "access_key",
            "token",
            "tok",
            "ent=x",
        ];
        let dfa = DFA::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(words)
            .unwrap();
        let ac = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(words)
            .unwrap();
        let unit = "x SECRET_ACCESS_KEY=y tokent=x, Token ";
        for len in [0, 5, 8191, 8192, 8193, 20_000, 20_001] {
            // Several phases of the repeated text, so that occurrences
            // straddle the middle at different offsets.
            for shift in [0, 1, 3, 7, 11, 17] {
                let hay: Vec<u8> = unit.bytes().cycle().skip(shift).take(len).collect();
                let expected: Vec<Occurrence> = ac
                    .find_overlapping_iter(&hay)
                    .map(|m| Occurrence {
                        literal: m.pattern().as_usize(),
                        start: m.start(),
                        end: m.end(),
                    })
                    .collect();
                assert_eq!(keyword_occurrences(&dfa, &hay), expected, "{len} {shift}");
            }
        }
    }

    #[test]
    fn builtin_rules_build_a_scanner() {
        assert!(scanner().rules().len() >= 20);
    }

    #[test]
    fn the_generic_rules_run_anchored() {
        // Their keywords are on nearly every line of code: tried across
        // whole windows, their regexes would read most of the input.
        let s = scanner();
        for id in ["FG-SEC-165", "FG-SEC-166", "FG-SEC-101", "FG-SEC-151"] {
            let r = s
                .rules()
                .iter()
                .position(|r| r.id == id)
                .expect("rule exists");
            assert!(s.anchored[r].is_some(), "{id}");
        }
        // Compiled lazily, each anchored regex of the built-in rules builds.
        for (r, lazy) in s.anchored.iter().enumerate() {
            if let Some(lazy) = lazy {
                assert!(lazy.get().is_some(), "{}", s.rules()[r].id);
            }
        }
    }

    #[test]
    fn anchored_search_finds_what_no_keyword_names() {
        // `auth-key` is not among the generic rule's keywords, but its
        // regex accepts it: the anchored search starts there too.
        let hits = scanner().scan(b"auth-key = \"q8Zr2LxV7mKp4TnWc2a1\"\n");
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert_eq!(hits[0].rule_id, "FG-SEC-166");
    }

    #[test]
    fn after_an_accepted_secret_the_search_goes_on_past_it() {
        let text = b"token = \"q8Zr2LxV7mKp4TnWc2a1\" token=\"Xk9mP2vL7qR4hT8w\"\n";
        let hits = scanner().scan(text);
        let secrets: Vec<&[u8]> = hits.iter().map(|h| &text[h.range.clone()]).collect();
        assert_eq!(
            secrets,
            [&b"q8Zr2LxV7mKp4TnWc2a1"[..], &b"Xk9mP2vL7qR4hT8w"[..]],
            "{hits:?}"
        );
    }

    #[test]
    fn hits_have_positions_and_redaction() {
        let text = b"x = 1\n  key = \"AKIAQ3EGRN2VZK7TWB5D\"\n";
        let hits = scanner().scan(text);
        assert_eq!(hits.len(), 1, "{hits:?}");
        let hit = &hits[0];
        assert_eq!(hit.rule_id, "FG-SEC-101");
        assert_eq!((hit.line, hit.column), (2, 10));
        assert_eq!(&text[hit.range.clone()], b"AKIAQ3EGRN2VZK7TWB5D");
        assert_eq!(hit.redacted, "AKIA*****5D");
    }

    #[test]
    fn binary_input_is_scanned_in_printable_runs() {
        let mut data = vec![0u8, 1, 2, 3, 0xff];
        data.extend_from_slice(b"AKIAQ3EGRN2VZK7TWB5D");
        data.extend_from_slice(&[0, 0x80, 0x90]);
        // A key split by a non-text byte is not a key.
        data.extend_from_slice(b"AKIAQ3EGRN2V\x01ZK7TWB5D");
        let hits = scanner().scan(&data);
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert_eq!(hits[0].range, 5..25);
    }

    #[test]
    fn a_specific_rule_beats_a_generic_one_on_the_same_bytes() {
        let text = b"api_token = \"ghp_4Fq9ZL2mVx7bRt1NcKp8WsYh3JdGe6TuAoQi\"\n";
        let s = scanner();
        let hits = s.scan(text);
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert!(!s.rule(&hits[0]).generic);
    }

    #[test]
    fn scanner_is_shared_across_threads() {
        fn shareable<T: Send + Sync>() {}
        shareable::<Scanner>();
    }

    #[test]
    fn secrets_deep_in_a_minified_line_are_found_with_their_column() {
        let mut line = "var a=1;".repeat(20_000);
        let at = line.len();
        line.push_str("var k=\"ghp_4Fq9ZL2mVx7bRt1NcKp8WsYh3JdGe6TuAoQi\";");
        line.push_str(&"b++;".repeat(20_000));
        let hits = scanner().scan(line.as_bytes());
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert_eq!(hits[0].range.start, at + 7);
        assert_eq!((hits[0].line, hits[0].column as usize), (1, at + 8));
    }

    #[test]
    fn a_4096_bit_pem_key_fits_its_window() {
        // 2,400 bytes of base64 in 64-column lines: the size of an RSA
        // 4096 key body.
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut state = 0x2545_f491_u32;
        let body: Vec<u8> = (0..2400)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                alphabet[(state % 64) as usize]
            })
            .collect();
        let lines: Vec<&[u8]> = body.chunks(64).collect();
        let body = lines.join(&b"\r\n"[..]);
        let mut pem = b"-----BEGIN RSA PRIVATE KEY-----\r\n".to_vec();
        pem.extend_from_slice(&body);
        pem.extend_from_slice(b"\r\n-----END RSA PRIVATE KEY-----\r\n");
        let hits = scanner().scan(&pem);
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert_eq!(&pem[hits[0].range.clone()], &body[..]);
        assert_eq!(hits[0].rule_id, "FG-SEC-151");
    }

    #[test]
    fn a_service_account_key_is_one_hit_not_also_a_pem_key() {
        let json = r#"{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\nMAStAaC7Pzmx4FhPIRpigJZOKhDSC0zySnS6hZiGVm/jr/4iV//mfVvAMCry6OvPZwQ6Obr8ITa7BZaBKx9dtqbKCWDgo0HFiJ8MmP4Mq\n-----END PRIVATE KEY-----\n", "client_email": "fn@p.iam.gserviceaccount.com"}"#;
        let hits = scanner().scan(json.as_bytes());
        let ids: Vec<&str> = hits.iter().map(|h| h.rule_id.as_str()).collect();
        assert_eq!(ids, ["FG-SEC-110"]);
        // The same key outside a service-account file is a PKCS#8 key.
        let bare = json.replace("service_account", "authorized_user");
        let hits = scanner().scan(bare.as_bytes());
        let ids: Vec<&str> = hits.iter().map(|h| h.rule_id.as_str()).collect();
        assert_eq!(ids, ["FG-SEC-155"]);
    }

    #[test]
    fn odd_input_never_panics() {
        let s = scanner();
        for input in [
            &b""[..],
            b"\n",
            b"password",
            b"password=",
            b"AKIA",
            b"-----BEGIN RSA PRIVATE KEY-----",
            b"postgres://:@",
            "密码 = \"密码密码密码密码\"".as_bytes(),
            &[0xff; 300],
        ] {
            let _ = s.scan(input);
        }
        let long = "token=".repeat(50_000);
        let _ = s.scan(long.as_bytes());
    }
}
