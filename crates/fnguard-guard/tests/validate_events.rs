//! Real-shaped events against the schemas a function owner would write:
//! an API Gateway REST proxy event (draft 2020-12) and an S3 notification
//! (draft-07), both read with `Validator::from_file`; then one change at a
//! time that each schema must catch, and the time a 6 KB event takes.

use std::path::PathBuf;
use std::time::Instant;

use fnguard_guard::validate::{Rejection, Validator};
use serde_json::{json, Value};

const LIMIT: usize = 256 * 1024;

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/schemas")
        .join(name)
}

fn load(name: &str) -> (Validator, Value) {
    let validator =
        Validator::from_file(data(&format!("{name}.schema.json"))).expect("schema loads");
    let event = std::fs::read(data(&format!("{name}.event.json"))).unwrap();
    (validator, serde_json::from_slice(&event).unwrap())
}

/// Applies `change` to a copy of the event at the JSON pointer `at` and
/// asserts the first error is `keyword` at `path`.
fn refused(
    validator: &Validator,
    event: &Value,
    at: &str,
    change: Option<Value>,
    keyword: &str,
    path: &str,
) {
    let mut changed = event.clone();
    match change {
        Some(value) => {
            *changed
                .pointer_mut(at)
                .unwrap_or_else(|| panic!("{at} exists")) = value
        }
        None => {
            let (parent, key) = at.rsplit_once('/').unwrap();
            changed
                .pointer_mut(parent)
                .unwrap()
                .as_object_mut()
                .unwrap()
                .remove(key)
                .unwrap();
        }
    }
    match validator.validate(changed.to_string().as_bytes(), LIMIT) {
        Err(Rejection::Invalid { errors }) => {
            assert_eq!(
                (errors[0].keyword, errors[0].instance_path.as_str()),
                (keyword, path),
                "{at}: {errors:?}"
            );
        }
        other => panic!("{at}: {other:?}"),
    }
}

#[test]
fn api_gateway_proxy_event() {
    let (validator, event) = load("apigw-proxy");
    assert_eq!(
        validator.validate(event.to_string().as_bytes(), LIMIT),
        Ok(())
    );
    // A GET without a body is fine (the if/then applies to PUT and POST).
    let mut get = event.clone();
    get["httpMethod"] = json!("GET");
    get["body"] = Value::Null;
    assert_eq!(
        validator.validate(get.to_string().as_bytes(), LIMIT),
        Ok(())
    );

    let v = &validator;
    refused(
        v,
        &event,
        "/httpMethod",
        Some(json!("TRACE")),
        "enum",
        "/httpMethod",
    );
    refused(
        v,
        &event,
        "/pathParameters/id",
        Some(json!("42 OR 1=1")),
        "pattern",
        "/pathParameters/id",
    );
    refused(
        v,
        &event,
        "/path",
        Some(json!("/orders/../admin")),
        "pattern",
        "/path",
    );
    refused(v, &event, "/body", Some(Value::Null), "type", "/body");
    refused(
        v,
        &event,
        "/body",
        Some(json!("x".repeat(16385))),
        "maxLength",
        "/body",
    );
    refused(
        v,
        &event,
        "/headers/Content-Type",
        Some(json!("text/xml")),
        "enum",
        "/headers/Content-Type",
    );
    refused(
        v,
        &event,
        "/queryStringParameters",
        Some(json!({"debug": "1"})),
        "enum",
        "/queryStringParameters/debug",
    );
    refused(
        v,
        &event,
        "/requestContext/requestId",
        Some(json!("not-a-uuid")),
        "format",
        "/requestContext/requestId",
    );
    refused(
        v,
        &event,
        "/requestContext/identity/sourceIp",
        Some(json!("999.1.1.1")),
        "anyOf",
        "/requestContext/identity/sourceIp",
    );
    refused(
        v,
        &event,
        "/requestContext/accountId",
        Some(json!(123456789012u64)),
        "type",
        "/requestContext/accountId",
    );
    refused(
        v,
        &event,
        "/isBase64Encoded",
        Some(json!(true)),
        "const",
        "/isBase64Encoded",
    );
    refused(
        v,
        &event,
        "/requestContext/identity",
        None,
        "required",
        "/requestContext",
    );
    refused(
        v,
        &event,
        "/stageVariables",
        Some(json!({"a": 1})),
        "type",
        "/stageVariables/a",
    );
    // A key the schema does not list at the top level.
    let mut extra = event.clone();
    extra["injected"] = json!(true);
    let errors = match validator.validate(extra.to_string().as_bytes(), LIMIT) {
        Err(Rejection::Invalid { errors }) => errors,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        (errors[0].keyword, errors[0].instance_path.as_str()),
        ("additionalProperties", "/injected")
    );
}

#[test]
fn s3_notification_event() {
    let (validator, event) = load("s3-event");
    assert_eq!(
        validator.validate(event.to_string().as_bytes(), LIMIT),
        Ok(())
    );
    let v = &validator;
    let record = "/Records/0";
    refused(
        v,
        &event,
        "/Records",
        Some(json!([])),
        "minItems",
        "/Records",
    );
    refused(
        v,
        &event,
        &format!("{record}/eventSource"),
        Some(json!("aws:sqs")),
        "const",
        "/Records/0/eventSource",
    );
    refused(
        v,
        &event,
        &format!("{record}/eventName"),
        Some(json!("ObjectRemoved:Delete")),
        "pattern",
        "/Records/0/eventName",
    );
    refused(
        v,
        &event,
        &format!("{record}/eventTime"),
        Some(json!("2026-12-06 03:30")),
        "format",
        "/Records/0/eventTime",
    );
    refused(
        v,
        &event,
        &format!("{record}/s3/object/key"),
        Some(json!("uploads/../../etc/passwd")),
        "not",
        "/Records/0/s3/object/key",
    );
    refused(
        v,
        &event,
        &format!("{record}/s3/object/size"),
        Some(json!(-1)),
        "minimum",
        "/Records/0/s3/object/size",
    );
    refused(
        v,
        &event,
        &format!("{record}/s3/object/size"),
        Some(json!(1.5)),
        "type",
        "/Records/0/s3/object/size",
    );
    refused(
        v,
        &event,
        &format!("{record}/s3/bucket/name"),
        Some(json!("attacker-bucket")),
        "enum",
        "/Records/0/s3/bucket/name",
    );
    refused(
        v,
        &event,
        &format!("{record}/s3"),
        None,
        "required",
        "/Records/0",
    );
    // The source address may also be an AWS service name.
    let mut service = event.clone();
    service["Records"][0]["requestParameters"]["sourceIPAddress"] = json!("s3.amazonaws.com");
    assert_eq!(
        validator.validate(service.to_string().as_bytes(), LIMIT),
        Ok(())
    );
}

#[test]
fn six_kilobyte_event_takes_microseconds() {
    let (validator, mut event) = load("apigw-proxy");
    // Pad the body (a JSON document, as the schema wants) to about 6 KB.
    let padding = "x".repeat(6 * 1024 - event.to_string().len() - 20);
    event["body"] = json!(format!("{{\"note\":\"{padding}\"}}"));
    let bytes = event.to_string().into_bytes();
    assert!((6000..6300).contains(&bytes.len()), "{}", bytes.len());
    assert_eq!(validator.validate(&bytes, LIMIT), Ok(()));
    let rounds = 200;
    let started = Instant::now();
    for _ in 0..rounds {
        assert!(validator.validate(&bytes, LIMIT).is_ok());
    }
    let per_event = started.elapsed() / rounds;
    // Parse and validate. About 90 µs in the debug build on the 2-core
    // development machine (December 2026); the bound is loose because the
    // machine is shared.
    eprintln!("6 KB API Gateway event: {per_event:?} per validation (parse included)");
    assert!(per_event.as_millis() < 20, "{per_event:?}");
}

#[test]
fn loading_a_schema_fits_the_cold_start_budget() {
    // The guard loads its schema at init, inside the 20 ms cold-start
    // budget of the whole guard: reading, parsing and compiling the API
    // Gateway schema (eight regular expressions) takes about 1 ms in the
    // debug build.
    let started = Instant::now();
    let rounds = 20;
    for _ in 0..rounds {
        Validator::from_file(data("apigw-proxy.schema.json")).unwrap();
    }
    let per_load = started.elapsed() / rounds;
    eprintln!("API Gateway schema: {per_load:?} to load and compile");
    assert!(per_load.as_millis() < 20, "{per_load:?}");
}
