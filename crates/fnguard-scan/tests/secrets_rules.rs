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
