//! Rule metadata is what `fnguard rules explain`, SARIF `tool.driver.rules`
//! and every report show: it must be complete, point at real guide
//! sections, cite only https documentation, and tell users of each input
//! format which property to change.

use fnguard_audit::all_rules;
use std::collections::HashSet;
use std::path::Path;

/// Sections of the cloud function security guide (guide.en.md / guide.zh.md):
/// chapters, sections, and the numbered practices within §3.
const GUIDE_SECTIONS: &[&str] = &[
    "2", "2.1", "2.2", "2.3", "3", "3.1", "3.1.1", "3.1.2", "3.1.3", "3.2", "3.2.1", "3.2.2",
    "3.2.3", "3.2.4", "3.3", "3.3.1", "3.3.2", "3.3.3", "3.3.4", "3.4", "3.4.1", "3.4.2", "3.4.3",
    "4",
];

#[test]
fn references_are_https_urls() {
    let mut problems = Vec::new();
    for rule in all_rules() {
        if rule.references.is_empty() {
            problems.push(format!("{}: no reference", rule.id));
        }
        let mut seen = HashSet::new();
        for url in rule.references {
            let host = url
                .strip_prefix("https://")
                .and_then(|rest| rest.split('/').next())
                .unwrap_or("");
            let well_formed = !host.is_empty()
                && host.contains('.')
                && !url.contains(char::is_whitespace)
                && !url.contains(['<', '>', '"', '`']);
            if !well_formed {
                problems.push(format!("{}: not an https URL: {url:?}", rule.id));
            }
            if !seen.insert(url) {
                problems.push(format!("{}: {url} listed twice", rule.id));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn guide_sections_exist() {
    let mut problems = Vec::new();
    for rule in all_rules() {
        if rule.guide.is_empty() {
            problems.push(format!("{}: no guide section", rule.id));
        }
        for section in rule.guide {
            if !GUIDE_SECTIONS.contains(section) {
                problems.push(format!("{}: no guide section {section:?}", rule.id));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// The section list above is checked against the guide itself when the
/// guide is available next to the repository (it lives outside it).
#[test]
fn section_list_matches_the_guide_when_present() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let guide = manifest
        .ancestors()
        .map(|dir| dir.join("shared/mission/guide.en.md"))
        .find(|p| p.is_file());
    let Some(guide) = guide else {
        return;
    };
    let text = std::fs::read_to_string(&guide).expect("guide readable");
    let mut present: HashSet<String> = HashSet::new();
    let mut section = String::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        if let Some(heading) = trimmed.strip_prefix('#') {
            let number = heading
                .trim_start_matches('#')
                .split_whitespace()
                .next()
                .unwrap_or("")
                .trim_end_matches('.');
            if number.starts_with(|c: char| c.is_ascii_digit()) {
                present.insert(number.to_string());
                section = number.to_string();
            }
        } else if line.starts_with(|c: char| c.is_ascii_digit())
            && section.matches('.').count() == 1
        {
            // `1. **Least privilege.**` inside §3.1 is §3.1.1.
            if let Some((n, _)) = line.split_once(". ") {
                if n.bytes().all(|b| b.is_ascii_digit()) {
                    present.insert(format!("{section}.{n}"));
                }
            }
        }
    }
    let missing: Vec<&&str> = GUIDE_SECTIONS
        .iter()
        .filter(|s| !present.contains(**s))
        .collect();
    assert!(
        missing.is_empty(),
        "not in {}: {missing:?}",
        guide.display()
    );
}

/// Every remediation names what to change in each input format the rule
/// applies to, in both languages.
#[test]
fn remediations_name_each_iac_format() {
    // FG-SEC-005 is about template parameters and Terraform variables: the
    // Serverless Framework has no parameter defaults of that kind.
    let not_serverless: &[&str] = &["FG-SEC-005"];
    let mut problems = Vec::new();
    for rule in all_rules() {
        for (lang, text) in [("en", rule.remediation_en), ("zh", rule.remediation_zh)] {
            let mut formats = vec![
                (
                    "CloudFormation/SAM",
                    text.contains("CloudFormation") || text.contains("SAM"),
                ),
                ("Terraform", text.contains("Terraform")),
            ];
            if !not_serverless.contains(&rule.id) {
                formats.push(("Serverless", text.contains("Serverless")));
            }
            for (format, named) in formats {
                if !named {
                    problems.push(format!(
                        "{} remediation_{lang}: nothing for {format}",
                        rule.id
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// The default severity of every rule, as the rule table of issue P1 sets
/// it (variations by circumstance are documented in each description).
#[test]
fn default_severities_follow_the_rule_table() {
    use fnguard_core::Severity::{Critical, High, Info, Low, Medium};
    let table = [
        ("FG-IAM-001", Critical),
        ("FG-IAM-002", High),
        ("FG-IAM-003", Medium),
        ("FG-IAM-004", High),
        ("FG-IAM-005", High),
        ("FG-IAM-006", High),
        ("FG-IAM-007", Medium),
        ("FG-IAM-008", Critical),
        ("FG-TRIG-001", Critical),
        ("FG-TRIG-002", High),
        ("FG-TRIG-003", High),
        ("FG-TRIG-004", Medium),
        ("FG-TRIG-005", Medium),
        ("FG-TRIG-006", High),
        ("FG-SEC-001", Critical),
        ("FG-SEC-002", High),
        ("FG-SEC-003", High),
        ("FG-SEC-004", Critical),
        ("FG-SEC-005", Medium),
        ("FG-SEC-006", High),
        ("FG-SIGN-001", Medium),
        ("FG-SIGN-002", Medium),
        ("FG-RT-001", Medium),
        ("FG-RT-002", Low),
        ("FG-RT-003", Low),
        ("FG-NET-001", Low),
        ("FG-NET-002", Medium),
        ("FG-API-001", Medium),
        ("FG-API-002", Medium),
        ("FG-API-003", Low),
        ("FG-API-004", Medium),
        ("FG-LOG-001", Low),
        ("FG-LOG-002", Low),
        ("FG-LOG-003", Info),
        ("FG-LOG-004", Medium),
        ("FG-MON-001", Low),
        ("FG-PATH-001", Critical),
    ];
    let rules = all_rules();
    assert_eq!(rules.len(), table.len(), "a rule is missing from the table");
    for (id, severity) in table {
        let rule = rules
            .iter()
            .find(|r| r.id == id)
            .unwrap_or_else(|| panic!("{id} is not defined"));
        assert_eq!(rule.severity, severity, "{id}");
    }
}
