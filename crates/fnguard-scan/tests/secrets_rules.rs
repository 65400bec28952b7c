//! The secret rules prove themselves: the same check as `fnguard rules
//! check`, over every file in rules/secrets.

use fnguard_scan::secrets::{check, rule::BUILTIN_FILES};
use std::collections::BTreeSet;

#[test]
fn every_rule_passes_its_own_examples() {
    let problems = check::check_builtin();
    let listing: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert!(problems.is_empty(), "{}", listing.join("\n"));
}

#[test]
fn every_rule_file_is_embedded() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../rules/secrets");
    let on_disk: BTreeSet<String> = std::fs::read_dir(dir)
        .expect("rules/secrets exists")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".yml"))
        .collect();
    let embedded: BTreeSet<String> = BUILTIN_FILES.iter().map(|(n, _)| n.to_string()).collect();
    assert_eq!(on_disk, embedded);
}

#[test]
fn a_broken_rule_file_names_its_file_and_position() {
    let errors = fnguard_scan::secrets::parse_rules("bad.yml", "- id: [unclosed\n").unwrap_err();
    assert_eq!(errors[0].file, "bad.yml");
    assert!(
        errors[0].to_string().starts_with("bad.yml: 1:")
            || errors[0].to_string().starts_with("bad.yml: 2:"),
        "{}",
        errors[0]
    );
    let errors =
        fnguard_scan::secrets::parse_rules("two.yml", "- id: FG-SEC-199\n  pattern: '(a)(b)'\n")
            .unwrap_err();
    assert!(
        errors[0].to_string().contains("FG-SEC-199"),
        "{}",
        errors[0]
    );
}

#[test]
fn the_check_catches_wrong_examples_ids_and_missing_chinese() {
    let yaml = r#"
- id: FG-SEC-1x
  name: demo
  pattern: '\b(zq_[a-z0-9]{12})\b'
  keywords: [zq_]
  severity: low
  title_en: Demo
  title_zh: Demo
  description_en: d
  description_zh: 演示
  risk_en: k
  risk_zh: Demo
  remediation_en: r
  remediation_zh: 修复
  guide: ['3.2.1']
  attack: [T1552.001]
  references: [https://example.invalid/]
  examples:
    - input: 'k = zq_a8f3k2m9x7q1'
      secret: zq_a8f3k2m9x7q2
  negative_examples:
    - 'zq_b7d2k9m3x8w4'
"#;
    let rules = fnguard_scan::secrets::parse_rules("demo.yml", yaml).expect("parses");
    let scanner = fnguard_scan::secrets::Scanner::new(rules).expect("builds");
    let problems: Vec<String> = check::check(&scanner)
        .iter()
        .map(|p| p.message.clone())
        .collect();
    assert!(
        problems.iter().any(|m| m.contains("FG-SEC-1nn")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|m| m.contains("`title_zh`")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|m| m.contains("`risk_zh`")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|m| m.starts_with("example not found")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|m| m.starts_with("negative example matches")),
        "{problems:?}"
    );
}

/// A rule in `demo.yml` with every field but the risk texts, which the
/// caller adds.
fn rule_with_risk(risk: &str) -> String {
    format!(
        r#"
- id: FG-SEC-198
  name: demo
  pattern: '\b(zq_[a-z0-9]{{12}})\b'
  keywords: [zq_]
  severity: low
  title_en: Demo
  title_zh: 演示
  description_en: d
  description_zh: 演示
{risk}  remediation_en: r
  remediation_zh: 修复
  guide: ['3.2.1']
  attack: [T1552.001]
  references: [https://example.invalid/]
  examples:
    - input: 'k = zq_a8f3k2m9x7q1'
      secret: zq_a8f3k2m9x7q1
  negative_examples:
    - 'zq_...'
"#
    )
}

#[test]
fn a_rule_without_risk_text_is_rejected_naming_file_rule_and_field() {
    let complete =
        rule_with_risk("  risk_en: It bills the account.\n  risk_zh: 会让账户产生费用。\n");
    let rules = fnguard_scan::secrets::parse_rules("demo.yml", &complete).expect("parses");
    assert_eq!(rules[0].risk_en, "It bills the account.");
    assert_eq!(rules[0].risk_zh, "会让账户产生费用。");

    for (risk, field, message) in [
        ("", "risk_en", "missing `risk_en`"),
        (
            "  risk_en: It bills the account.\n",
            "risk_zh",
            "missing `risk_zh`",
        ),
        (
            "  risk_en: '  '\n  risk_zh: 会让账户产生费用。\n",
            "risk_en",
            "`risk_en` must be a non-empty string",
        ),
        (
            "  risk_en: It bills the account.\n  risk_zh: ''\n",
            "risk_zh",
            "`risk_zh` must be a non-empty string",
        ),
    ] {
        let errors =
            fnguard_scan::secrets::parse_rules("demo.yml", &rule_with_risk(risk)).expect_err(field);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(
            errors[0].to_string(),
            format!("demo.yml: FG-SEC-198: {message}")
        );
    }
}

#[test]
fn every_builtin_rule_has_risk_text_in_both_languages() {
    let rules = fnguard_scan::secrets::builtin_rules().expect("the built-in rules parse");
    assert_eq!(rules.len(), 80);
    for rule in &rules {
        assert!(!rule.risk_en.trim().is_empty(), "{}", rule.id);
        assert!(
            rule.risk_zh
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{}",
            rule.id
        );
    }
}
