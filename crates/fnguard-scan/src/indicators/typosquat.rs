//! Typosquatting (FG-SUP-012): dependency names one Damerau-Levenshtein edit
//! away from a popular name of the same registry, from the lists shipped in
//! `data/top-packages/` (provenance in its README).

use super::rules::{RULES, TYPOSQUAT};
use crate::deps::{pep503_name, Ecosystem};
use fnguard_core::RuleMeta;
use std::collections::HashSet;
use std::sync::OnceLock;

const PYPI_TOP: &str = include_str!("../../../../data/top-packages/pypi.txt");
const NPM_TOP: &str = include_str!("../../../../data/top-packages/npm.txt");
const LEGITIMATE_PAIRS: &str = include_str!("../../../../data/top-packages/legitimate-pairs.txt");

/// Below this many characters one edit reaches too many real, unrelated
/// names (`ms`, `ws`, `six`, `pip` have dozens of one-edit neighbours).
const MIN_CHARS: usize = 4;

/// A dependency whose name looks like a slip on a popular one.
#[derive(Debug, Clone)]
pub struct Typosquat {
    pub rule: &'static RuleMeta,
    pub ecosystem: Ecosystem,
    /// The name as given.
    pub name: String,
    /// The popular name it is one edit from (normalised form), the most
    /// downloaded one when several are.
    pub resembles: String,
}

struct Popular {
    /// Normalised names, most downloaded first, with their characters.
    ranked: Vec<(String, Vec<char>)>,
    /// Indexes into `ranked` by length in characters, in rank order;
    /// names shorter than [`MIN_CHARS`] are left out.
    by_length: Vec<Vec<usize>>,
    exact: HashSet<String>,
    legitimate: HashSet<String>,
}

/// The comparable form of a name: PEP 503 for PyPI (case and `-_.` runs),
/// lower case for npm (the registry refuses new mixed-case names, and
/// `JSONStream` is the same package as `jsonstream` to a typist).
fn normalise(ecosystem: Ecosystem, name: &str) -> String {
    match ecosystem {
        Ecosystem::PyPI => pep503_name(name),
        _ => name.trim().to_lowercase(),
    }
}

fn popular(ecosystem: Ecosystem) -> Option<&'static Popular> {
    static PYPI: OnceLock<Popular> = OnceLock::new();
    static NPM: OnceLock<Popular> = OnceLock::new();
    let (cell, text, tag) = match ecosystem {
        Ecosystem::PyPI => (&PYPI, PYPI_TOP, "pypi"),
        Ecosystem::Npm => (&NPM, NPM_TOP, "npm"),
        _ => return None,
    };
    Some(cell.get_or_init(|| {
        let ranked: Vec<(String, Vec<char>)> = data_lines(text)
            .map(|line| {
                let name = normalise(ecosystem, line);
                let chars = name.chars().collect();
                (name, chars)
            })
            .collect();
        let exact = ranked.iter().map(|(name, _)| name.clone()).collect();
        let mut by_length: Vec<Vec<usize>> = Vec::new();
        for (rank, (_, chars)) in ranked.iter().enumerate() {
            if chars.len() >= MIN_CHARS {
                if by_length.len() <= chars.len() {
                    by_length.resize(chars.len() + 1, Vec::new());
                }
                by_length[chars.len()].push(rank);
            }
        }
        // `ecosystem name popular-name`: the popular name documents the
        // pair; the name is legitimate whichever popular name it is near.
        let legitimate = data_lines(LEGITIMATE_PAIRS)
            .filter_map(|line| {
                let mut fields = line.split_whitespace();
                (fields.next() == Some(tag))
                    .then(|| fields.next())
                    .flatten()
            })
            .map(|name| normalise(ecosystem, name))
            .collect();
        Popular {
            ranked,
            by_length,
            exact,
            legitimate,
        }
    }))
}

/// `@scope` of a scoped npm name (`@scope/name`); PyPI names have no `@`.
fn npm_scope(name: &str) -> Option<&str> {
    name.strip_prefix('@')?
        .split_once('/')
        .map(|(scope, _)| scope)
}

fn data_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
}

/// Reports each name of `names` (one registry's dependencies) that is one
/// edit from a popular name of that registry. Registries without a shipped
/// list (Go, crates.io, Maven) report nothing.
pub fn check_package_names<'a>(
    ecosystem: Ecosystem,
    names: impl IntoIterator<Item = &'a str>,
) -> Vec<Typosquat> {
    let Some(popular) = popular(ecosystem) else {
        return Vec::new();
    };
    let mut seen = HashSet::new();
    let mut found = Vec::new();
    for name in names {
        let normalised = normalise(ecosystem, name);
        if !seen.insert(normalised.clone())
            || popular.exact.contains(normalised.as_str())
            || popular.legitimate.contains(&normalised)
        {
            continue;
        }
        let chars: Vec<char> = normalised.chars().collect();
        if chars.len() < MIN_CHARS {
            continue;
        }
        let scope = npm_scope(&normalised);
        // Only names of a neighbouring length can be one edit away; the
        // lowest rank among them is the most downloaded.
        let lengths = chars.len() - 1..=chars.len() + 1;
        let resembles = lengths
            .filter_map(|length| popular.by_length.get(length))
            .flat_map(|ranks| {
                ranks.iter().find(|rank| {
                    let (target, target_chars) = &popular.ranked[**rank];
                    // A scope belongs to one npm account: a neighbour inside
                    // the popular package's own scope (`@aws-sdk/client-sms`
                    // next to `@aws-sdk/client-sts`) is published by its
                    // owner, not a squatter.
                    (scope.is_none() || npm_scope(target) != scope)
                        && one_edit_apart(&chars, target_chars)
                })
            })
            .min()
            .map(|rank| &popular.ranked[*rank].0);
        if let Some(resembles) = resembles {
            found.push(Typosquat {
                rule: &RULES[TYPOSQUAT],
                ecosystem,
                name: name.to_string(),
                resembles: resembles.clone(),
            });
        }
    }
    found
}

/// Whether two different strings are exactly one insertion, deletion,
/// substitution or transposition of neighbours apart (optimal string
/// alignment distance 1). Linear: skip the common prefix, then the rest
/// must line up under one of the four edits.
pub(crate) fn one_edit_apart(a: &[char], b: &[char]) -> bool {
    if a == b {
        return false;
    }
    let (shorter, longer) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let prefix = shorter
        .iter()
        .zip(longer)
        .take_while(|(x, y)| x == y)
        .count();
    match longer.len() - shorter.len() {
        0 => {
            let rest = prefix + 1;
            shorter[rest..] == longer[rest..]
                || (rest < shorter.len()
                    && shorter[prefix] == longer[rest]
                    && shorter[rest] == longer[prefix]
                    && shorter[rest + 1..] == longer[rest + 1..])
        }
        1 => shorter[prefix..] == longer[prefix + 1..],
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::one_edit_apart;

    fn apart(a: &str, b: &str) -> bool {
        let a: Vec<char> = a.chars().collect();
        let b: Vec<char> = b.chars().collect();
        one_edit_apart(&a, &b) && one_edit_apart(&b, &a)
    }

    #[test]
    fn one_edit_means_exactly_one_of_the_four_edits() {
        assert!(apart("requests", "reqeusts")); // swap
        assert!(apart("requests", "request")); // deletion at the end
        assert!(apart("requests", "rrequests")); // insertion at the start
        assert!(apart("requests", "requezts")); // substitution
        assert!(apart("ab", "ba"));
        assert!(!apart("requests", "requests"));
        assert!(!apart("requests", "reuqetss")); // two swaps
        assert!(!apart("abc", "cba")); // not neighbours
        assert!(!apart("requests", "requ")); // four deletions
        assert!(!apart("lodash", "lodahsx")); // swap and insertion
        assert!(apart("naïve", "naive"));
    }
}
