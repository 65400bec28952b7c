//! Which literals every match of a rule's regex starts with, read from the
//! regex itself.
//!
//! When each match must start with one of a few literals, the regex need
//! not be run across a whole window: it is tried, anchored, only where one
//! of those literals occurs. That finds exactly the matches the window
//! search finds (a match always starts at such an occurrence), at a
//! fraction of the cost, because in code the keywords of the generic rules
//! (`token`, `secret`, `password`) sit on nearly every line and their
//! windows would otherwise cover the whole text.

use regex_syntax::hir::{Class, Hir, HirKind};

/// Prefixes longer than this are cut: the keyword search needs only a
/// start.
const MAX_LEN: usize = 24;
/// More alternatives than this and the prefix set is cut where it is.
const MAX_SET: usize = 128;
/// A class with more members than this ends a prefix (`[a-z0-9]`).
const MAX_CLASS: usize = 4;
/// Prefixes shorter than this would occur everywhere.
const MIN_LEN: usize = 3;

/// A possible start of a match: its bytes (ASCII lowercased) and whether
/// they are the whole of what the sub-pattern matched (so more may be
/// appended).
type Prefix = (Vec<u8>, bool);

/// Lowercase byte strings such that every match of `pattern` starts with
/// one of them (in any ASCII case), each at least [`MIN_LEN`] bytes; `None`
/// when the pattern can start otherwise (a class, an empty match).
pub(crate) fn match_prefixes(pattern: &str) -> Option<Vec<Vec<u8>>> {
    // As the regex crate parses a `regex::bytes` pattern.
    let hir = regex_syntax::ParserBuilder::new()
        .utf8(false)
        .build()
        .parse(pattern)
        .ok()?;
    let set = prefixes(&hir)?;
    let mut out: Vec<Vec<u8>> = Vec::new();
    for (bytes, _) in set {
        if bytes.len() < MIN_LEN {
            return None;
        }
        out.push(bytes);
    }
    // A prefix that starts with another is covered by the shorter one.
    out.sort();
    out.dedup();
    let all = out.clone();
    out.retain(|p| !all.iter().any(|q| q != p && p.starts_with(q)));
    Some(out)
}

fn inexact(set: Vec<Prefix>) -> Vec<Prefix> {
    set.into_iter().map(|(bytes, _)| (bytes, false)).collect()
}

fn prefixes(hir: &Hir) -> Option<Vec<Prefix>> {
    Some(match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => vec![(Vec::new(), true)],
        HirKind::Literal(literal) => vec![(literal.0.to_ascii_lowercase(), true)],
        HirKind::Class(class) => match class_members(class) {
            Some(members) => members.into_iter().map(|m| (m, true)).collect(),
            // Too wide to list: the prefix ends before it.
            None => vec![(Vec::new(), false)],
        },
        HirKind::Capture(capture) => prefixes(&capture.sub)?,
        HirKind::Repetition(rep) => {
            let sub = prefixes(&rep.sub)?;
            // `x?` and `x` keep what follows joinable; `x+`, `x{2,}` do
            // not (the next byte may be another `x`).
            let at_most_once = rep.max == Some(1);
            let sub = if at_most_once { sub } else { inexact(sub) };
            if rep.min == 0 {
                let mut set = vec![(Vec::new(), true)];
                set.extend(sub);
                set
            } else {
                sub
            }
        }
        HirKind::Alternation(subs) => {
            let mut set = Vec::new();
            for sub in subs {
                set.extend(prefixes(sub)?);
            }
            set.sort();
            set.dedup();
            if set.len() > MAX_SET {
                return None;
            }
            set
        }
        HirKind::Concat(subs) => {
            let mut set: Vec<Prefix> = vec![(Vec::new(), true)];
            for sub in subs {
                if set.iter().all(|(_, exact)| !exact) {
                    break;
                }
                let next = prefixes(sub)?;
                let mut grown = Vec::new();
                for (bytes, exact) in &set {
                    if !exact {
                        grown.push((bytes.clone(), false));
                        continue;
                    }
                    for (more, more_exact) in &next {
                        let mut joined = bytes.clone();
                        joined.extend_from_slice(more);
                        grown.push((joined, *more_exact));
                    }
                }
                for (bytes, exact) in &mut grown {
                    if bytes.len() > MAX_LEN {
                        bytes.truncate(MAX_LEN);
                        *exact = false;
                    }
                }
                grown.sort();
                grown.dedup();
                if grown.len() > MAX_SET {
                    // Stop here: what is known so far still starts every
                    // match.
                    set = inexact(set);
                    break;
                }
                set = grown;
            }
            set
        }
    })
}

/// The members of a small class, ASCII lowercased and deduplicated, as
/// bytes (a non-ASCII character as its UTF-8 encoding); `None` if there are
/// more than [`MAX_CLASS`].
fn class_members(class: &Class) -> Option<Vec<Vec<u8>>> {
    let mut members: Vec<Vec<u8>> = Vec::new();
    match class {
        Class::Unicode(class) => {
            for range in class.ranges() {
                let (start, end) = (u32::from(range.start()), u32::from(range.end()));
                if end - start >= MAX_CLASS as u32 * 2 {
                    return None;
                }
                for c in (start..=end).filter_map(char::from_u32) {
                    let mut buf = [0u8; 4];
                    let encoded = c
                        .to_ascii_lowercase()
                        .encode_utf8(&mut buf)
                        .as_bytes()
                        .to_vec();
                    if !members.contains(&encoded) {
                        members.push(encoded);
                    }
                }
                if members.len() > MAX_CLASS {
                    return None;
                }
            }
        }
        Class::Bytes(class) => {
            for range in class.ranges() {
                if usize::from(range.end() - range.start()) >= MAX_CLASS * 2 {
                    return None;
                }
                for b in range.start()..=range.end() {
                    let lowered = vec![b.to_ascii_lowercase()];
                    if !members.contains(&lowered) {
                        members.push(lowered);
                    }
                }
                if members.len() > MAX_CLASS {
                    return None;
                }
            }
        }
    }
    Some(members)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(pattern: &str) -> Option<Vec<String>> {
        match_prefixes(pattern).map(|set| {
            set.into_iter()
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .collect()
        })
    }

    #[test]
    fn literal_starts_are_found_in_any_case() {
        assert_eq!(
            strings(r"\b((?:AKIA|ASIA)[A-Z2-7]{16})\b").unwrap(),
            ["akia", "asia"]
        );
        assert_eq!(
            strings(r"(?i:api[_-]?key|token)\s*=\s*(\w+)").unwrap(),
            [
                "api-key",
                "api-\u{212a}ey",
                "api_key",
                "api_\u{212a}ey",
                "apikey",
                "api\u{212a}ey",
                "token",
                "to\u{212a}en"
            ]
        );
        // Long literals are cut: the start is enough to search for.
        assert_eq!(
            strings(r"-----BEGIN RSA PRIVATE KEY-----\s*(\S+)").unwrap(),
            ["-----begin rsa private k"]
        );
    }

    #[test]
    fn unicode_case_variants_are_kept() {
        // (?i)k also matches the Kelvin sign: a match can start with it, so
        // it must be searched for too.
        assert_eq!(
            strings(r"(?i:token)=(\w+)").unwrap(),
            ["token=", "to\u{212a}en="]
        );
    }

    #[test]
    fn patterns_that_may_start_anywhere_have_none() {
        assert_eq!(strings(r"(?:^|[^A-Za-z0-9])(\d{8}:AA\w{33})"), None);
        assert_eq!(strings(r"\b([0-9a-f]{32}-us\d)"), None);
        assert_eq!(strings(r"(x?)ab"), None);
        assert_eq!(strings(r"(x?)abc").unwrap(), ["abc", "xabc"]);
        assert_eq!(strings(r"(sk)[0-9a-f]{32}"), None);
    }
}
