//! Precision and recall of `fnguard detect` with everything on (the pack,
//! correlations, stateful detectors) over a generated day of a serverless
//! account with attacks injected (`bench/detect/gen_labelled.py`): every
//! injected case must raise at least one alert, and every alert must belong
//! to an injected case (none on clean traffic).

mod common;

use common::{fnguard, TempDir};
use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

#[test]
fn every_injected_attack_is_found_and_clean_traffic_raises_nothing() {
    let dir = TempDir::new("labelled");
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../bench/detect/gen_labelled.py");
    let out = dir.path("day");
    let status = Command::new("python3")
        .arg(&script)
        .arg("--out")
        .arg(&out)
        .args(["--seed", "11", "--minutes", "120"])
        .status()
        .expect("python3 runs the generator");
    assert!(status.success());
    let truth: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("truth.json")).unwrap()).unwrap();
    let cases = truth["cases"].as_array().unwrap();
    assert!(cases.len() >= 16);

    let run = fnguard([
        "detect".as_ref(),
        out.as_os_str(),
        "--format".as_ref(),
        "jsonl".as_ref(),
    ]);
    assert_eq!(
        run.code, 1,
        "alerts at or above high: exit 1\n{}",
        run.stderr
    );
    let alerts: Vec<String> = run.stdout.lines().map(str::to_string).collect();
    let mut found = vec![0usize; cases.len()];
    let mut false_alerts = Vec::new();
    for alert in &alerts {
        let owner = cases.iter().position(|case| {
            case["keys"]
                .as_array()
                .unwrap()
                .iter()
                .any(|key| mentions(alert, key.as_str().unwrap()))
        });
        match owner {
            Some(i) => found[i] += 1,
            None => false_alerts.push(alert.clone()),
        }
    }
    let missed: Vec<&str> = cases
        .iter()
        .zip(&found)
        .filter(|(_, n)| **n == 0)
        .map(|(case, _)| case["kind"].as_str().unwrap())
        .collect();
    let true_alerts = alerts.len() - false_alerts.len();
    let precision = true_alerts as f64 / alerts.len().max(1) as f64;
    let recall = (cases.len() - missed.len()) as f64 / cases.len() as f64;
    eprintln!(
        "{} alerts, precision {precision:.3}, recall {recall:.3} ({} of {} cases)",
        alerts.len(),
        cases.len() - missed.len(),
        cases.len()
    );
    assert!(missed.is_empty(), "injected cases not found: {missed:?}");
    assert!(
        false_alerts.is_empty(),
        "alerts on clean traffic:\n{}",
        false_alerts.join("\n")
    );
    // Each case's pack rule is the one that fired, by id.
    for case in cases {
        let finds = case["finds"].as_str().unwrap();
        if finds.starts_with("FG-DET-") {
            let key = case["keys"][0].as_str().unwrap();
            assert!(
                alerts.iter().any(|a| mentions(a, key) && a.contains(finds)),
                "{finds} for {}",
                case["kind"]
            );
        }
    }
}

/// Whether `text` names `key` as a whole token (`user/case-c1` is not in
/// `user/case-c10`, nor `203.0.113.1` in `203.0.113.17`).
fn mentions(text: &str, key: &str) -> bool {
    text.match_indices(key).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + key.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '.')
            && !after.is_some_and(|c| c.is_ascii_alphanumeric())
    })
}
