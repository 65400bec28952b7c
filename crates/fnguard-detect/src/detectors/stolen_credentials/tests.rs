use super::*;
use crate::input::Origin;
use std::sync::Arc;

const KEY: &str = "ASIAP5CT9NN8EYVU1FXV";
const LAMBDA_AGENT: &str = "Boto3/1.34.145 md/Botocore#1.34.145 ua/2.0 os/linux#5.10.233-244.887.amzn2.x86_64 md/arch#x86_64 lang/python#3.11.10 md/pyimpl#CPython exec-env/AWS_Lambda_python3.11 cfg/retry-mode#legacy Botocore/1.34.145";
const LAMBDA_IP: &str = "100.28.222.195";
const ATTACKER_AGENT: &str = "aws-cli/2.15.30 Python/3.11.8 Darwin/23.4.0 exe/x86_64 prompt/off command/sts.get-caller-identity";
const ATTACKER_IP: &str = "203.0.113.77";

/// A CloudTrail record shaped like the Stratus Red Team
/// ec2-steal-instance-credentials GetCallerIdentity, for a Lambda
/// execution role session (the session name is the function's name).
fn record(key: &str, time: &str, ip: &str, agent: &str, name: &str) -> Value {
    json!({
        "awsRegion": "eu-west-1",
        "eventCategory": "Management",
        "eventID": "b379479b-05c9-4c3c-af4b-cbd43acf29e1",
        "eventName": name,
        "eventSource": "sts.amazonaws.com",
        "eventTime": time,
        "eventType": "AwsApiCall",
        "eventVersion": "1.08",
        "managementEvent": true,
        "readOnly": true,
        "recipientAccountId": "017622104382",
        "requestID": "e46e7e10-ae9e-4170-b205-5d327c156416",
        "requestParameters": null,
        "responseElements": null,
        "sourceIPAddress": ip,
        "tlsDetails": {
            "cipherSuite": "TLS_AES_128_GCM_SHA256",
            "clientProvidedHostHeader": "sts.eu-west-1.amazonaws.com",
            "tlsVersion": "TLSv1.3"
        },
        "userAgent": agent,
        "userIdentity": {
            "accessKeyId": key,
            "accountId": "017622104382",
            "arn": "arn:aws:sts::017622104382:assumed-role/orders-create-role-x1/orders-create-prod",
            "principalId": "AROALHCCSKSM395EGX3XN:orders-create-prod",
            "sessionContext": {
                "attributes": {"creationDate": "2024-08-02T08:20:52Z", "mfaAuthenticated": "false"},
                "sessionIssuer": {
                    "accountId": "017622104382",
                    "arn": "arn:aws:iam::017622104382:role/orders-create-role-x1",
                    "principalId": "AROALHCCSKSM395EGX3XN",
                    "type": "Role",
                    "userName": "orders-create-role-x1"
                },
                "webIdFederationData": {}
            },
            "type": "AssumedRole"
        }
    })
}

fn inside(time: &str) -> Value {
    record(KEY, time, LAMBDA_IP, LAMBDA_AGENT, "GetCallerIdentity")
}

fn outside(time: &str) -> Value {
    record(KEY, time, ATTACKER_IP, ATTACKER_AGENT, "GetCallerIdentity")
}

fn feed(detector: &mut StolenCredentials, events: &[Value]) -> Vec<Alert> {
    let mut alerts = Vec::new();
    for (index, value) in events.iter().enumerate() {
        let event = Event {
            value: value.clone(),
            origin: Origin {
                file: Arc::from("trail.json"),
                line: None,
                index: index as u64,
            },
        };
        detector.observe(&event, &mut alerts);
    }
    alerts
}

#[test]
fn a_function_key_replayed_from_outside_alerts_with_its_facts() {
    let mut detector = StolenCredentials::default();
    let alerts = feed(
        &mut detector,
        &[
            inside("2024-08-02T08:21:00Z"),
            outside("2024-08-02T08:23:55Z"),
        ],
    );
    assert_eq!(alerts.len(), 1);
    let alert = &alerts[0];
    assert_eq!(alert.rule_id, "FG-DET-101");
    assert_eq!(alert.severity, Severity::Critical);
    assert_eq!(alert.tags, ["attack.t1552.005", "attack.t1078.004"]);
    assert_eq!(alert.time.as_deref(), Some("2024-08-02T08:23:55Z"));
    let facts = &alert.facts;
    assert_eq!(facts["access_key"], KEY);
    assert_eq!(facts["role"], "orders-create-role-x1");
    assert_eq!(facts["function"], "orders-create-prod");
    assert_eq!(facts["inside_ips"], json!([LAMBDA_IP]));
    assert_eq!(facts["inside_user_agents"], json!([LAMBDA_AGENT]));
    assert_eq!(facts["outside_ip"], ATTACKER_IP);
    assert_eq!(facts["outside_user_agent"], ATTACKER_AGENT);
    assert_eq!(facts["first_inside_time"], "2024-08-02T08:21:00Z");
    assert_eq!(
        facts["outside_event"],
        "sts.amazonaws.com:GetCallerIdentity"
    );
    assert_eq!(facts["account"], "017622104382");
}

#[test]
fn one_alert_per_outside_source() {
    let mut detector = StolenCredentials::default();
    let second_ip = record(
        KEY,
        "2024-08-02T08:30:00Z",
        "198.51.100.9",
        "curl/8.4.0",
        "ListBuckets",
    );
    let alerts = feed(
        &mut detector,
        &[
            inside("2024-08-02T08:21:00Z"),
            outside("2024-08-02T08:23:55Z"),
            outside("2024-08-02T08:24:10Z"),
            second_ip,
        ],
    );
    let ips: Vec<_> = alerts
        .iter()
        .map(|a| a.facts["outside_ip"].clone())
        .collect();
    assert_eq!(ips, [json!(ATTACKER_IP), json!("198.51.100.9")]);
}

#[test]
fn the_function_alone_and_aws_on_its_behalf_raise_nothing() {
    let mut detector = StolenCredentials::default();
    let mut events = vec![
        inside("2024-08-02T08:21:00Z"),
        // The same function from a second execution environment.
        record(
            KEY,
            "2024-08-02T08:22:00Z",
            "3.250.1.2",
            LAMBDA_AGENT,
            "GetObject",
        ),
        // The function's own IP with a client that adds no marker.
        record(
            KEY,
            "2024-08-02T08:22:30Z",
            LAMBDA_IP,
            "python-requests/2.31",
            "GetObject",
        ),
        // Lambda creating the log group on a cold start with the role.
        record(
            KEY,
            "2024-08-02T08:20:59Z",
            "52.30.1.1",
            "awslambda-worker/1.0 rusoto/0.48.0 rust/1.94.0 linux",
            "CreateLogGroup",
        ),
        record(
            KEY,
            "2024-08-02T08:23:00Z",
            "AWS Internal",
            "AWS Internal",
            "Decrypt",
        ),
        record(
            KEY,
            "2024-08-02T08:23:01Z",
            "lambda.amazonaws.com",
            "lambda.amazonaws.com",
            "Decrypt",
        ),
        // Permanent keys and other temporary keys are not this key.
        record(
            "AKIAAM80VXLJF8NPK4VC",
            "2024-08-02T08:24:00Z",
            ATTACKER_IP,
            ATTACKER_AGENT,
            "GetCallerIdentity",
        ),
        record(
            "ASIAOTHERKEY00000000",
            "2024-08-02T08:24:00Z",
            ATTACKER_IP,
            ATTACKER_AGENT,
            "GetCallerIdentity",
        ),
    ];
    let mut invoked = outside("2024-08-02T08:25:00Z");
    invoked["userIdentity"]["invokedBy"] = json!("cloudformation.amazonaws.com");
    events.push(invoked);
    assert!(feed(&mut detector, &events).is_empty());
}

#[test]
fn a_key_never_seen_inside_a_function_raises_nothing() {
    let mut detector = StolenCredentials::default();
    let alerts = feed(
        &mut detector,
        &[
            outside("2024-08-02T08:21:00Z"),
            record(
                KEY,
                "2024-08-02T08:22:00Z",
                "198.51.100.9",
                "Boto3/1.34",
                "ListBuckets",
            ),
        ],
    );
    assert!(alerts.is_empty());
}

#[test]
fn the_window_edge_counts_and_one_millisecond_past_does_not() {
    let config = StolenCredentialsConfig {
        window_ms: 3_600_000,
        ..StolenCredentialsConfig::default()
    };
    let mut at_edge = StolenCredentials::new(config);
    let alerts = feed(
        &mut at_edge,
        &[
            inside("2024-08-02T08:00:00Z"),
            outside("2024-08-02T09:00:00Z"),
        ],
    );
    assert_eq!(alerts.len(), 1);

    let mut past_edge = StolenCredentials::new(config);
    let alerts = feed(
        &mut past_edge,
        &[
            inside("2024-08-02T08:00:00Z"),
            outside("2024-08-02T09:00:00.001Z"),
        ],
    );
    assert!(alerts.is_empty());
}

#[test]
fn an_outside_use_read_first_alerts_when_the_inside_use_shows_up() {
    let mut detector = StolenCredentials::default();
    let alerts = feed(
        &mut detector,
        &[
            outside("2024-08-02T08:19:00Z"),
            inside("2024-08-02T08:21:00Z"),
        ],
    );
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].facts["outside_time"], "2024-08-02T08:19:00Z");
    assert_eq!(alerts[0].facts["outside_origin"], "trail.json#0");
    // The alert is raised by (and dated at) the inside record that completed it.
    assert_eq!(alerts[0].origin.as_ref().unwrap().index, 1);
}

#[test]
fn an_earlier_use_from_what_turns_out_to_be_the_function_ip_is_not_outside() {
    let mut detector = StolenCredentials::default();
    let unmarked = record(
        KEY,
        "2024-08-02T08:19:00Z",
        LAMBDA_IP,
        "python-requests/2.31",
        "GetObject",
    );
    let alerts = feed(&mut detector, &[unmarked, inside("2024-08-02T08:21:00Z")]);
    assert!(alerts.is_empty());
}

#[test]
fn an_outside_use_far_before_the_inside_one_is_outside_the_window() {
    let mut detector = StolenCredentials::default();
    let alerts = feed(
        &mut detector,
        &[
            outside("2024-08-01T08:00:00Z"),
            inside("2024-08-02T08:21:00Z"),
        ],
    );
    assert!(alerts.is_empty());
}

#[test]
fn state_saved_and_restored_continues_the_detection() {
    let mut before = StolenCredentials::default();
    assert!(feed(&mut before, &[inside("2024-08-02T08:21:00Z")]).is_empty());
    let saved = before.save();
    let text = serde_json::to_string(&saved).unwrap();

    let mut after = StolenCredentials::default();
    after
        .restore(&serde_json::from_str(&text).unwrap())
        .unwrap();
    assert_eq!(after.tracked_keys(), 1);
    let alerts = feed(&mut after, &[outside("2024-08-02T09:00:00Z")]);
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].facts["function"], "orders-create-prod");

    // A fresh detector, without the state, has nothing to join with.
    let mut fresh = StolenCredentials::default();
    assert!(feed(&mut fresh, &[outside("2024-08-02T09:00:00Z")]).is_empty());
}

#[test]
fn a_state_it_cannot_read_is_an_error() {
    let mut detector = StolenCredentials::default();
    assert!(detector.restore(&json!({"keys": 3})).is_err());
    assert!(detector
        .restore(&json!({"version": 99, "now_ms": 0, "expired_at_ms": 0, "keys": {}}))
        .unwrap_err()
        .contains("version 99"));
    assert!(detector.restore(&json!("nonsense")).is_err());
}

#[test]
fn memory_is_capped_and_expired_keys_are_forgotten() {
    let config = StolenCredentialsConfig {
        window_ms: 3_600_000,
        max_keys: 100,
    };
    let mut detector = StolenCredentials::new(config);
    let events: Vec<Value> = (0..1000)
        .map(|i| {
            let key = format!("ASIA{i:016}");
            record(
                &key,
                "2024-08-02T08:00:00Z",
                LAMBDA_IP,
                LAMBDA_AGENT,
                "GetObject",
            )
        })
        .collect();
    feed(&mut detector, &events);
    assert!(
        detector.tracked_keys() <= 100,
        "{}",
        detector.tracked_keys()
    );
    assert!(detector.tracked_keys() > 50);

    // Two hours later (past the one-hour window) the old keys are gone.
    feed(&mut detector, &[inside("2024-08-02T10:00:00Z")]);
    assert_eq!(detector.tracked_keys(), 1);

    // A restored state larger than the cap is cut down to it.
    let mut big = StolenCredentials::default();
    feed(&mut big, &events);
    let mut small = StolenCredentials::new(config);
    small.restore(&big.save()).unwrap();
    assert!(small.tracked_keys() <= 100);
}

#[test]
fn a_record_without_time_is_ignored() {
    let mut detector = StolenCredentials::default();
    let mut no_time = inside("2024-08-02T08:21:00Z");
    no_time.as_object_mut().unwrap().remove("eventTime");
    assert!(feed(&mut detector, &[no_time]).is_empty());
    assert_eq!(detector.tracked_keys(), 0);
}

#[test]
fn long_user_agents_are_cut_at_a_character_boundary() {
    let long = format!("{}é{}", "a".repeat(255), "b".repeat(100));
    assert_eq!(clip(&long), "a".repeat(255));
    assert_eq!(clip("short"), "short");
}

#[test]
fn pending_outside_uses_of_one_key_are_capped() {
    let mut detector = StolenCredentials::default();
    let sources: Vec<Value> = (0..10)
        .map(|i| {
            record(
                KEY,
                "2024-08-02T08:19:00Z",
                &format!("198.51.100.{i}"),
                "curl/8.4.0",
                "ListBuckets",
            )
        })
        .collect();
    feed(&mut detector, &sources);
    let alerts = feed(&mut detector, &[inside("2024-08-02T08:21:00Z")]);
    // The four latest sources were kept, each reported once.
    let ips: Vec<_> = alerts
        .iter()
        .map(|a| a.facts["outside_ip"].clone())
        .collect();
    assert_eq!(
        ips,
        [
            "198.51.100.6",
            "198.51.100.7",
            "198.51.100.8",
            "198.51.100.9"
        ]
    );
}

#[test]
fn a_cap_of_zero_keys_remembers_at_most_one_and_does_not_panic() {
    let mut detector = StolenCredentials::new(StolenCredentialsConfig {
        max_keys: 0,
        ..StolenCredentialsConfig::default()
    });
    feed(
        &mut detector,
        &[
            inside("2024-08-02T08:21:00Z"),
            outside("2024-08-02T08:22:00Z"),
        ],
    );
    assert!(detector.tracked_keys() <= 1);
}
