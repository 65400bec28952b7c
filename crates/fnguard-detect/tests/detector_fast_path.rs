//! The reader's fast path must not change what the detectors find: a
//! record their needles refuse is one they would ignore, and the fields
//! they declare are all they read. Every detector runs over the same logs
//! twice, every record parsed whole and through the fast path, and raises
//! the same alerts.

use fnguard_detect::alert::{Alert, TIME_FIELDS};
use fnguard_detect::detectors::anomaly::FunctionAnomalies;
use fnguard_detect::detectors::destinations::{DestinationConfig, Destinations};
use fnguard_detect::detectors::function_roles::FunctionRoles;
use fnguard_detect::detectors::stolen_credentials::StolenCredentials;
use fnguard_detect::detectors::{Detector, RawInterest};
use fnguard_detect::input::{
    files_under, read_paths, read_paths_with, Interest, Limits, Projection,
};
use serde_json::json;
use std::path::PathBuf;

fn detectors() -> Vec<Box<dyn Detector>> {
    vec![
        Box::new(StolenCredentials::default()),
        Box::new(FunctionRoles::default()),
        Box::new(FunctionAnomalies::default()),
        // Learning from the first contact, so that a short log alerts.
        Box::new(Destinations::new(DestinationConfig {
            learning_events: 2,
            learning_ms: 0,
            ..DestinationConfig::default()
        })),
    ]
}

fn alerts_as_json(alerts: &[Alert]) -> Vec<String> {
    alerts
        .iter()
        .map(|a| serde_json::to_string(a).unwrap())
        .collect()
}

#[test]
fn detectors_find_the_same_through_the_fast_path() {
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let dir = std::env::temp_dir().join(format!("fnguard-fast-detectors-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // Route 53 Resolver records: a usual name, then two new ones, one a
    // cloud-function endpoint, with a \u escape in one name.
    let query = |time: &str, name: &str| {
        json!({"version": "1.100000", "account_id": "111122223333", "region": "us-east-1",
            "vpc_id": "vpc-1", "query_timestamp": time, "query_name": name, "query_type": "A",
            "query_class": "IN", "rcode": "NOERROR", "answers": [], "srcaddr": "10.0.1.5",
            "srcport": "5353", "transport": "UDP", "srcids": {"instance": "i-0abc"}})
        .to_string()
    };
    let resolver = [
        query("2026-12-05T10:00:00Z", "dynamodb.us-east-1.amazonaws.com."),
        query("2026-12-05T10:00:01Z", "dynamodb.us-east-1.amazonaws.com."),
        query(
            "2026-12-05T11:00:00Z",
            "k3x9vq2m7hdw4zfqe5l6ytn8ca0ogbrs.lambda-url.us-east-1.on.aws.",
        ),
        query("2026-12-05T11:00:05Z", "evil.example.").replace("evil", "\\u0065vil"),
    ]
    .join("\n");
    std::fs::write(dir.join("resolver.jsonl"), resolver + "\n").unwrap();
    // Every CloudTrail record of the test data as JSON lines, which the
    // fast path refuses record by record.
    let mut lines = String::new();
    for folder in ["detectors", "stratus-red-team"] {
        for file in files_under(&data.join(folder), &mut |e| panic!("{e}")) {
            if file.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let document: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
            let records = match &document {
                serde_json::Value::Array(records) => records,
                _ => document["Records"].as_array().unwrap(),
            };
            for record in records {
                lines.push_str(&record.to_string());
                lines.push('\n');
            }
        }
    }
    assert!(lines.lines().count() > 100);
    std::fs::write(dir.join("cloudtrail.jsonl"), lines).unwrap();
    let logs = vec![dir.join("cloudtrail.jsonl"), dir.join("resolver.jsonl")];

    let mut full = detectors();
    let mut whole = Vec::new();
    read_paths(
        &logs,
        Limits::default(),
        &mut |event| {
            for d in full.iter_mut() {
                d.observe(&event, &mut whole);
            }
        },
        &mut |_| {},
    );
    assert!(
        whole.iter().any(|a| a.rule_id == "FG-DET-101")
            && whole.iter().any(|a| a.rule_id == "FG-DET-132")
            && whole.iter().any(|a| a.rule_id == "FG-DET-130"),
        "the logs exercise the detectors: {:?}",
        whole.iter().map(|a| &a.rule_id).collect::<Vec<_>>()
    );

    let mut fast = detectors();
    let interest = RawInterest::of(&fast);
    let mut projection = Projection::of_paths(TIME_FIELDS.iter().copied());
    for d in &fast {
        for field in d.fields_read().expect("every detector names its fields") {
            projection.add(field);
        }
    }
    // As the command's prefilter does: escaped records are always parsed.
    let mut wants = |raw: &[u8]| interest.wants(raw) || memchr_contains(raw, b"\\u");
    let mut through = Vec::new();
    let stats = read_paths_with(
        &logs,
        Limits::default(),
        &mut Interest {
            wants: &mut wants,
            projection: Some(&projection),
        },
        &mut |event| {
            for d in fast.iter_mut() {
                d.observe(&event, &mut through);
            }
        },
        &mut |_| {},
    );
    assert!(stats.skipped > 0, "some records were refused");
    // Facts the detectors copy from the event are among their fields: the
    // alerts are the same to the byte.
    assert_eq!(alerts_as_json(&whole), alerts_as_json(&through));
    let _ = std::fs::remove_dir_all(&dir);
}

fn memchr_contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
