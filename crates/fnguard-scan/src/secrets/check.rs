//! The self-check of the secret rules (`fnguard rules check`, and a test
//! over `rules/secrets`): every example is found with its declared secret,
//! every negative example is not, ids are unique and well-formed, every
//! text is there in English and Chinese.

use super::{RuleError, Scanner, SecretRule};
use std::collections::HashSet;

/// One thing wrong with a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub rule_id: String,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}: {}", self.file, self.rule_id, self.message)
    }
}

impl From<RuleError> for Problem {
    fn from(e: RuleError) -> Problem {
        Problem {
            file: e.file,
            rule_id: e.at,
            message: e.message,
        }
    }
}

/// Check the built-in rules; an empty list means all is well.
pub fn check_builtin() -> Vec<Problem> {
    match Scanner::builtin() {
        Ok(scanner) => check(&scanner),
        Err(errors) => errors.into_iter().map(Problem::from).collect(),
    }
}

/// Check the rules of `scanner` against their own examples, scanned with
/// every rule at once as real input would be (prefilter, windows,
/// placeholder filters, overlaps between rules all take part).
pub fn check(scanner: &Scanner) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut seen = HashSet::new();
    for (index, rule) in scanner.rules().iter().enumerate() {
        let mut problem = |message: String| {
            problems.push(Problem {
                file: rule.file.clone(),
                rule_id: rule.id.clone(),
                message,
            })
        };
        if !is_well_formed_id(&rule.id) {
            problem("id must look like FG-SEC-1nn".into());
        }
        if !seen.insert(rule.id.clone()) {
            problem("id is used by another rule".into());
        }
        for message in missing_metadata(rule) {
            problem(message);
        }
        if rule.regex().is_none() {
            problem("pattern does not compile (too large?)".into());
        }
        if rule.examples.is_empty() {
            problem("no example".into());
        }
        if rule.negative_examples.is_empty() {
            problem("no negative example".into());
        }
        for example in &rule.examples {
            let input = example.input.as_bytes();
            let found: Vec<&str> = scanner
                .scan(input)
                .into_iter()
                .filter(|hit| hit.rule == index)
                .filter_map(|hit| std::str::from_utf8(&input[hit.range]).ok())
                .collect();
            if !found.contains(&example.secret.as_str()) {
                problem(format!(
                    "example not found with secret `{}` (found {:?}) in: {}",
                    example.secret, found, example.input
                ));
            }
        }
        for negative in &rule.negative_examples {
            if scanner
                .scan(negative.as_bytes())
                .iter()
                .any(|hit| hit.rule == index)
            {
                problem(format!("negative example matches: {negative}"));
            }
        }
    }
    problems
}

fn is_well_formed_id(id: &str) -> bool {
    id.strip_prefix("FG-SEC-1")
        .is_some_and(|n| n.len() == 2 && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Texts in both languages (the parser already requires them non-empty),
/// Chinese text actually in Chinese, and the guide, ATT&CK and references.
fn missing_metadata(rule: &SecretRule) -> Vec<String> {
    let mut out = Vec::new();
    for (field, text) in [
        ("title_zh", &rule.title_zh),
        ("description_zh", &rule.description_zh),
        ("risk_zh", &rule.risk_zh),
        ("remediation_zh", &rule.remediation_zh),
    ] {
        if !text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) {
            out.push(format!("`{field}` has no Chinese text"));
        }
    }
    if rule.guide.is_empty() {
        out.push("no `guide` section".into());
    }
    if !rule
        .attack
        .iter()
        .all(|t| t.starts_with('T') && t.len() >= 5)
        || rule.attack.is_empty()
    {
        out.push("`attack` must list ATT&CK technique ids".into());
    }
    if rule.references.is_empty() || !rule.references.iter().all(|r| r.starts_with("https://")) {
        out.push("`references` must list https links".into());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_checked() {
        assert!(is_well_formed_id("FG-SEC-101"));
        assert!(!is_well_formed_id("FG-SEC-001"));
        assert!(!is_well_formed_id("FG-SEC-1000"));
        assert!(!is_well_formed_id("FG-IAM-101"));
    }
}
