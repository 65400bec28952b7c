//! `fnguard detect`: SigmaHQ's AWS rules over Stratus Red Team detonation
//! logs (both copied into crates/fnguard-detect/tests/data with their
//! notices), gzip and standard input, exit codes, broken inputs.

mod common;

use common::{fnguard, TempDir};
use serde_json::Value;
use std::io::Write;
use std::path::PathBuf;

fn data(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fnguard-detect/tests/data")
        .join(rel)
}

fn alerts(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect()
}

#[test]
fn sigma_rules_fire_on_detonation_logs_gzip_or_not() {
    let dir = TempDir::new("detect");
    let stop = std::fs::read(data(
        "stratus-red-team/aws.defense-evasion.cloudtrail-stop.json",
    ))
    .unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&stop).unwrap();
    std::fs::create_dir_all(dir.path("logs/2024/07")).unwrap();
    std::fs::write(dir.path("logs/2024/07/stop.json.gz"), gz.finish().unwrap()).unwrap();
    std::fs::copy(
        data("stratus-red-team/aws.persistence.lambda-layer-extension.json"),
        dir.path("logs/layer.json"),
    )
    .unwrap();
    let rules = data("sigma-aws-cloudtrail");
    let run = fnguard([
        "detect".as_ref(),
        dir.path("logs").as_os_str(),
        "--rules".as_ref(),
        rules.as_os_str(),
        "--no-builtin".as_ref(),
        "--format".as_ref(),
        "jsonl".as_ref(),
    ]);
    assert_eq!(run.code, 1, "alerts fired: {}", run.stderr);
    let found = alerts(&run.stdout);
    let titles: Vec<&str> = found.iter().map(|a| a["title"].as_str().unwrap()).collect();
    assert_eq!(
        titles,
        [
            "AWS CloudTrail Important Change",
            "AWS New Lambda Layer Attached"
        ],
        "folders walked in name order (logs/2024/... before logs/layer.json): {}",
        run.stdout
    );
    assert_eq!(found[0]["facts"]["event_name"], "StopLogging");
    assert_eq!(found[0]["severity"], "medium");
    assert!(found[0]["origin"]["file"]
        .as_str()
        .unwrap()
        .ends_with("stop.json.gz"));
    assert_eq!(
        found[1]["facts"]["event_name"],
        "UpdateFunctionConfiguration20150331v2"
    );
    assert!(run.stderr.contains("2 rule matches"), "{}", run.stderr);
    assert!(
        run.stderr.contains("2 alerts: 1 medium, 1 low"),
        "{}",
        run.stderr
    );

    // Below the bar: exit 0, the alerts still printed.
    let quiet = fnguard([
        "detect".as_ref(),
        dir.path("logs").as_os_str(),
        "--rules".as_ref(),
        rules.as_os_str(),
        "--no-builtin".as_ref(),
        "--fail-on".as_ref(),
        "high".as_ref(),
    ]);
    assert_eq!(quiet.code, 0, "{}", quiet.stderr);
    assert_eq!(
        quiet.stdout.lines().count(),
        3,
        "two alerts and the summary: {}",
        quiet.stdout
    );
}

#[test]
fn broken_rules_and_logs_are_errors_that_name_their_place_and_the_rest_runs() {
    let dir = TempDir::new("detect-broken");
    let rules = dir.write(
        "rules/lambda.yml",
        "title: Function URL without auth\nid: 9d0c5c1e-7c1a-4a55-9a52-0d1f3f3b8f01\nlevel: high\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n  selection:\n    eventName|startswith: CreateFunctionUrlConfig\n    requestParameters.authType: NONE\n  condition: selection\n",
    );
    dir.write(
        "rules/broken.yml",
        "title: Near\nlogsource:\n  product: aws\ndetection:\n  a:\n    eventName: X\n  b:\n    eventName: Y\n  condition: a | near b\n",
    );
    let logs = dir.write(
        "trail.jsonl",
        "{\"eventName\": \"CreateFunctionUrlConfig20211031\", \"requestParameters\": {\"authType\": \"NONE\"}}\n{\"eventName\": \"CreateFunctionUrlConfig20211031\", \"requestParameters\": {\"authType\": \"AWS_IAM\"}}\n{broken\n",
    );
    let run = fnguard([
        "detect".as_ref(),
        logs.as_os_str(),
        "--rules".as_ref(),
        rules.parent().unwrap().as_os_str(),
        "--format".as_ref(),
        "jsonl".as_ref(),
    ]);
    assert_eq!(run.code, 2, "input errors: {}", run.stderr);
    assert_eq!(
        alerts(&run.stdout).len(),
        1,
        "the good rule ran: {}",
        run.stdout
    );
    assert!(run.stderr.contains("broken.yml"), "{}", run.stderr);
    assert!(
        run.stderr.contains("unsupported aggregation"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("trail.jsonl:3:"), "{}", run.stderr);

    let none = fnguard([
        "detect",
        "-",
        "--no-builtin",
        "--rules",
        "/nonexistent/rules",
    ]);
    assert_eq!(none.code, 2);
    assert!(
        none.stderr.contains("no Sigma rule loaded"),
        "{}",
        none.stderr
    );
}

#[test]
fn the_builtin_pack_runs_by_default_and_names_its_ids() {
    let logs = data("stratus-red-team/aws.persistence.lambda-backdoor-function.json");
    let run = fnguard([
        "detect".as_ref(),
        logs.as_os_str(),
        "--format".as_ref(),
        "jsonl".as_ref(),
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let found = alerts(&run.stdout);
    assert_eq!(found.len(), 1, "{}", run.stdout);
    assert_eq!(found[0]["rule_id"], "FG-DET-001");
    assert_eq!(found[0]["severity"], "high");
    assert_eq!(found[0]["facts"]["event_name"], "AddPermission20150331v2");
    let check = fnguard(["rules", "check"]);
    assert_eq!(check.code, 0, "{}", check.stderr);
    let pack = fnguard_detect::pack::builtin().unwrap().len();
    let detectors = fnguard_detect::detectors::catalog::CATALOG.len();
    assert!(
        check
            .stdout
            .contains(&format!("{pack} detection rules checked"))
            && check
                .stdout
                .contains(&format!("{detectors} detector alerts checked")),
        "{}",
        check.stdout
    );
}

#[test]
fn rules_list_and_explain_know_every_detection() {
    let list = fnguard(["rules", "list", "--format", "json"]);
    assert_eq!(list.code, 0, "{}", list.stderr);
    let rules: Vec<Value> = serde_json::from_str(&list.stdout).unwrap();
    let detections: Vec<&Value> = rules.iter().filter(|r| r["area"] == "detect").collect();
    let ids: Vec<&str> = detections
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    // A rule of the pack, a correlation of the pack, a stateful detector.
    for id in ["FG-DET-001", "FG-DET-007", "FG-DET-101", "FG-DET-120"] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    assert_eq!(
        ids.len(),
        fnguard_detect::pack::builtin_pack().unwrap().rules.len()
            + fnguard_detect::pack::builtin_pack()
                .unwrap()
                .correlations
                .len()
            + fnguard_detect::detectors::catalog::CATALOG.len()
    );
    for detection in &detections {
        assert!(
            !detection["attack"].as_array().unwrap().is_empty(),
            "{detection}"
        );
        assert!(
            !detection["guide"].as_array().unwrap().is_empty(),
            "{detection}"
        );
    }
    let explain = fnguard(["rules", "explain", "fg-det-007", "--lang", "zh"]);
    assert_eq!(explain.code, 0, "{}", explain.stderr);
    assert!(
        explain.stdout.starts_with("FG-DET-007  "),
        "{}",
        explain.stdout
    );
    assert!(explain.stdout.contains("修复建议"), "{}", explain.stdout);
    let unknown = fnguard(["rules", "explain", "FG-DET-999"]);
    assert_eq!(unknown.code, 2);
}
