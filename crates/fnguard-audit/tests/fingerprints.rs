//! Fingerprints key baselines: every finding of a run has its own, and
//! moving code around (every line shifted) changes none of them.

mod support;

use fnguard_core::finding::Fingerprint;
use std::collections::{HashMap, HashSet};
use support::{run, synthetic};

#[test]
fn fingerprints_are_unique_within_a_run() {
    let findings = run(&synthetic(60, 100));
    assert!(findings.len() > 500, "{}", findings.len());
    let mut seen: HashMap<Fingerprint, &fnguard_core::Finding> = HashMap::new();
    for f in &findings {
        if let Some(other) = seen.insert(f.fingerprint, f) {
            panic!(
                "two findings share a fingerprint:\n{} {} {}\n{} {} {}",
                other.rule_id,
                other.resource,
                other.message.en,
                f.rule_id,
                f.resource,
                f.message.en
            );
        }
    }
}

#[test]
fn fingerprints_do_not_depend_on_line_numbers() {
    let set = |line_base| -> HashSet<Fingerprint> {
        run(&synthetic(60, line_base))
            .into_iter()
            .map(|f| f.fingerprint)
            .collect()
    };
    let before = set(100);
    let after = set(137);
    assert_eq!(before.len(), after.len());
    assert_eq!(before, after, "shifting every line changed fingerprints");
}

#[test]
fn every_rule_shows_up_in_the_synthetic_deployment_for_the_rules_it_covers() {
    // Guards the two tests above against testing nothing: the synthetic
    // deployment exercises most areas.
    let findings = run(&synthetic(60, 100));
    let rules: HashSet<&str> = findings.iter().map(|f| f.rule_id).collect();
    for rule in [
        "FG-IAM-003",
        "FG-IAM-006",
        "FG-IAM-007",
        "FG-TRIG-001",
        "FG-TRIG-003",
        "FG-SEC-002",
        "FG-SIGN-001",
        "FG-RT-001",
        "FG-RT-002",
        "FG-RT-003",
        "FG-NET-001",
        "FG-NET-002",
        "FG-API-001",
        "FG-LOG-001",
        "FG-MON-001",
    ] {
        assert!(rules.contains(rule), "{rule} missing: {rules:?}");
    }
}
