//! The function-credential and function-role detectors over a CloudTrail
//! file as S3 delivers it (`{"Records":[...]}`), read by the crate's own
//! reader: an attacker steals a function's key, makes its role an
//! administrator with it, and passes the role to a new function.

use fnguard_detect::alert::Alert;
use fnguard_detect::detectors::function_roles::{FunctionRoles, FunctionRolesConfig};
use fnguard_detect::detectors::inventory;
use fnguard_detect::detectors::stolen_credentials::StolenCredentials;
use fnguard_detect::detectors::Detector;
use fnguard_detect::input::{read_paths, Limits};
use std::path::PathBuf;

fn data(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(path)
}

fn run(detectors: &mut [Box<dyn Detector>]) -> Vec<Alert> {
    let mut alerts = Vec::new();
    let stats = read_paths(
        &[data("detectors/function-credentials-stolen.json")],
        Limits::default(),
        &mut |event| {
            for detector in detectors.iter_mut() {
                detector.observe(&event, &mut alerts);
            }
        },
        &mut |e| panic!("{e}"),
    );
    assert_eq!(stats.events, 5);
    alerts
}

fn summary(alerts: &[Alert]) -> Vec<(String, String)> {
    alerts
        .iter()
        .map(|a| (a.rule_id.clone(), a.time.clone().unwrap_or_default()))
        .collect()
}

#[test]
fn the_attack_is_told_step_by_step() {
    let mut detectors: Vec<Box<dyn Detector>> = vec![
        Box::new(StolenCredentials::default()),
        Box::new(FunctionRoles::default()),
    ];
    let alerts = run(&mut detectors);
    let expected = [
        ("FG-DET-101", "2026-11-30T08:20:00Z"),
        ("FG-DET-103", "2026-11-30T08:22:00Z"),
        ("FG-DET-104", "2026-11-30T08:30:00Z"),
    ];
    assert_eq!(
        summary(&alerts),
        expected.map(|(id, t)| (id.to_string(), t.to_string()))
    );
    assert_eq!(alerts[0].facts["function"], "orders-create-prod");
    assert_eq!(alerts[0].facts["outside_ip"], "203.0.113.77");
    assert_eq!(alerts[1].facts["functions"][0], "orders-create-prod");
    assert_eq!(alerts[2].facts["function"], "orders-sync");
    let origin = alerts[2].origin.as_ref().unwrap();
    assert!(origin.file.ends_with("function-credentials-stolen.json"));
    assert_eq!(origin.index, 4);
}

#[test]
fn with_the_inventory_the_first_deployment_of_an_admin_role_is_reported_too() {
    let inventory = inventory::load(&data("inventory/sam-vulnerable.json")).unwrap();
    let mut detectors: Vec<Box<dyn Detector>> = vec![Box::new(FunctionRoles::new(
        FunctionRolesConfig::default(),
        inventory,
    ))];
    let alerts = run(&mut detectors);
    let ids: Vec<&str> = alerts.iter().map(|a| a.rule_id.as_str()).collect();
    assert_eq!(ids, ["FG-DET-104", "FG-DET-103", "FG-DET-104"]);
    assert_eq!(
        alerts[0].facts["privileged_because"][0],
        "inventory:FG-IAM-001 allows every action on every resource"
    );
    // The role change names the function seen in the log and the
    // inventory's functions of the same role.
    assert_eq!(
        alerts[1].facts["functions"],
        serde_json::json!([
            "orders-create-prod",
            "CreateOrderFunction",
            "GetOrderFunction"
        ])
    );
}

/// Stratus Red Team's detonations, EC2 credential theft included (an
/// instance key used from outside, never from inside a function), touch
/// no function's key or role: the detectors stay quiet on all of them.
#[test]
fn stratus_red_team_detonations_raise_nothing() {
    let mut detectors: Vec<Box<dyn Detector>> = vec![
        Box::new(StolenCredentials::default()),
        Box::new(FunctionRoles::default()),
    ];
    let mut logs: Vec<PathBuf> = std::fs::read_dir(data("stratus-red-team"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    logs.sort();
    let mut alerts = Vec::new();
    let stats = read_paths(
        &logs,
        Limits::default(),
        &mut |event| {
            for detector in detectors.iter_mut() {
                detector.observe(&event, &mut alerts);
            }
        },
        &mut |e| panic!("{e}"),
    );
    assert!(stats.files >= 35, "{}", stats.files);
    assert!(alerts.is_empty(), "{alerts:#?}");
}

/// Records of the wrong shape (numbers for names, arrays for ARNs, broken
/// times and ARNs, non-ASCII where ASCII is expected) are skipped, never a
/// panic.
#[test]
fn odd_records_never_panic() {
    use fnguard_detect::input::{Event, Origin};
    use serde_json::json;
    let odd = [
        json!(null),
        json!([1, 2]),
        json!({"userIdentity": {"accessKeyId": "ASIA"}, "eventTime": "2024-13-99T99:99:99Z"}),
        json!({"userIdentity": {"accessKeyId": "ASIAé", "arn": "arn:aws:sts::1:assumed-role/é"},
               "eventTime": "2024-08-02T08:21:00Z", "userAgent": "é".repeat(400) + "exec-env/AWS_Lambda_x",
               "sourceIPAddress": 7}),
        json!({"userIdentity": {"accessKeyId": "ASIAé"}, "eventTime": "2024-08-02T08:22:00Z",
               "userAgent": ["x"], "sourceIPAddress": "é"}),
        json!({"eventSource": "lambda.amazonaws.com", "eventName": "CreateFunction20150331v",
               "requestParameters": {"role": "arn:", "functionName": ":function:"}}),
        json!({"eventSource": "lambda.amazonaws.com", "eventName": "UpdateFunctionConfiguration99999999v9é",
               "requestParameters": {"role": ["arn"], "functionName": 3}}),
        json!({"eventSource": "iam.amazonaws.com", "eventName": "PutRolePolicy",
               "requestParameters": {"roleName": "é", "policyName": "p", "policyDocument": "%E9%Z%"}}),
        json!({"eventSource": "iam.amazonaws.com", "eventName": "AttachRolePolicy",
               "requestParameters": {"roleName": "r", "policyArn": "arn:aws:iam::aws:policy"}}),
        json!({"eventSource": "iam.amazonaws.com", "eventName": "PutRolePolicy",
               "requestParameters": {"roleName": "r", "policyName": "p",
                                     "policyDocument": "{\"Statement\": 5}"}}),
    ];
    let mut detectors: Vec<Box<dyn Detector>> = vec![
        Box::new(StolenCredentials::default()),
        Box::new(FunctionRoles::default()),
    ];
    let mut alerts = Vec::new();
    for (index, value) in odd.into_iter().enumerate() {
        let event = Event {
            value,
            origin: Origin {
                file: "odd.json".into(),
                line: Some(index as u64 + 1),
                index: index as u64,
            },
        };
        for detector in detectors.iter_mut() {
            detector.observe(&event, &mut alerts);
        }
    }
    // The one key used inside (the Lambda marker) and then from another
    // source without it is still told, whatever its odd fields.
    let ids: Vec<&str> = alerts.iter().map(|a| a.rule_id.as_str()).collect();
    assert_eq!(ids, ["FG-DET-101"]);
    for detector in &mut detectors {
        let saved = detector.save();
        detector.restore(&saved).unwrap();
    }
}
