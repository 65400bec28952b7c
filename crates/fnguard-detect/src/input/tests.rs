use super::*;
use std::io::Write;

fn read(text: &[u8]) -> (Vec<Event>, Vec<InputError>) {
    let mut events = Vec::new();
    let mut errors = Vec::new();
    let mut count = 0;
    read_source(
        "log.json",
        Box::new(text),
        Limits::default(),
        &mut |e| events.push(e),
        &mut |e| errors.push(e),
        &mut count,
    );
    assert_eq!(count as usize, events.len());
    (events, errors)
}

fn names(events: &[Event]) -> Vec<&str> {
    events
        .iter()
        .map(|e| e.value["eventName"].as_str().unwrap_or("?"))
        .collect()
}

const PRETTY: &str = "{\n  \"Records\": [\n    {\"eventName\": \"GetFunction20150331v2\", \"requestParameters\": {\"functionName\": \"orders\"}},\n    {\"eventName\": \"AddPermission20150331v2\"}\n  ]\n}\n";

#[test]
fn cloudtrail_files_stream_their_records_pretty_or_on_one_line() {
    let (events, errors) = read(PRETTY.as_bytes());
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        names(&events),
        ["GetFunction20150331v2", "AddPermission20150331v2"]
    );
    assert_eq!(
        events[0].value["requestParameters"]["functionName"],
        "orders"
    );
    assert_eq!((events[1].origin.index, events[1].origin.line), (1, None));
    // S3 delivery: the whole file on one line, twice (concatenated files).
    let one_line = "{\"Records\":[{\"eventName\":\"A\"},{\"eventName\":\"B\"}]}\n{\"Records\":[{\"eventName\":\"C\"}]}\n";
    let (events, errors) = read(one_line.as_bytes());
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(names(&events), ["A", "B", "C"]);
    assert_eq!(events[2].origin.line, Some(2));
    // A top-level array (CloudTrail Lake, console exports).
    let (events, _) = read(b"  \n[\n {\"eventName\": \"X\"},\n {\"eventName\": \"Y\"}\n]\n");
    assert_eq!(names(&events), ["X", "Y"]);
}

#[test]
fn gzip_is_recognised_by_its_magic_bytes() {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(PRETTY.as_bytes()).unwrap();
    let (events, errors) = read(&gz.finish().unwrap());
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(events.len(), 2);
}

#[test]
fn a_gzip_bomb_stops_at_the_limit() {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(b"[").unwrap();
    for _ in 0..100_000 {
        gz.write_all(b"{\"eventName\": \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"},")
            .unwrap();
    }
    gz.write_all(b"{}]").unwrap();
    let compressed = gz.finish().unwrap();
    let mut errors = Vec::new();
    let mut count = 0;
    read_source(
        "bomb.json.gz",
        Box::new(&compressed[..]),
        Limits {
            max_file_bytes: 1 << 20,
        },
        &mut |_| {},
        &mut |e| errors.push(e),
        &mut count,
    );
    assert!(count < 100_000, "stopped early: {count}");
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].message.contains("over the input limit"),
        "{errors:?}"
    );
}

#[test]
fn broken_lines_are_reported_with_their_number_and_the_rest_is_read() {
    let lines = b"{\"eventName\": \"A\"}\n\n{\"eventName\": \"B\"\n{\"eventName\": \"C\"}\n7\n{\"eventName\": \"D\"} trailing\n{\"eventName\": \"E\"}\n";
    let (events, errors) = read(lines);
    // D is whole, then followed by garbage: kept, and the garbage reported.
    assert_eq!(names(&events), ["A", "C", "D", "E"]);
    let positions: Vec<(u64, &str)> = errors
        .iter()
        .map(|e| (e.line, e.message.as_str()))
        .collect();
    assert_eq!(positions.len(), 3, "{errors:?}");
    assert_eq!(positions[0].0, 3);
    assert_eq!(
        positions[1],
        (5, "a number where an event object was expected: skipped")
    );
    assert_eq!(positions[2].0, 6);
    assert!(
        errors[0].to_string().starts_with("log.json:3:"),
        "{}",
        errors[0]
    );
}

#[test]
fn a_broken_document_reports_its_position_after_the_records_before_it() {
    let broken =
        "{\n  \"Records\": [\n    {\"eventName\": \"A\"},\n    {\"eventName\": \"B\",,}\n  ]\n}\n";
    let (events, errors) = read(broken.as_bytes());
    assert_eq!(names(&events), ["A"]);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].line, 4, "{}", errors[0]);
    let (events, errors) = read(b"eventName=A\n");
    assert!(events.is_empty());
    assert!(
        errors[0].message.starts_with("not a log fnguard reads"),
        "{errors:?}"
    );
    let (events, errors) = read(b"");
    assert!(events.is_empty() && errors.is_empty());
}

#[test]
fn an_event_with_a_records_field_that_is_not_an_array_stays_one_event() {
    let (events, errors) = read(b"{\"eventName\": \"A\", \"Records\": {\"n\": 1}}\n");
    assert!(errors.is_empty());
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].value["Records"]["n"], 1);
}

#[test]
fn folders_are_walked_in_order_and_unreadable_paths_reported() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/stratus-red-team");
    let mut per_file: std::collections::BTreeMap<String, usize> = Default::default();
    let mut errors = Vec::new();
    let stats = read_paths(
        &[data.clone(), data.join("missing.json")],
        Limits::default(),
        &mut |e| *per_file.entry(e.origin.file.to_string()).or_default() += 1,
        &mut |e| errors.push(e),
    );
    // 35 detonation logs, each a top-level array, plus LICENSE and
    // NOTICE.md, which are not JSON.
    assert_eq!(stats.files, 37);
    assert_eq!(per_file.len(), 35, "{per_file:?}");
    assert!(per_file.values().all(|&n| n > 0));
    assert_eq!(stats.events as usize, per_file.values().sum::<usize>());
    let unreadable: Vec<&str> = errors.iter().map(|e| e.file.as_str()).collect();
    assert_eq!(unreadable.len(), 3, "{errors:?}");
    assert!(unreadable.iter().any(|f| f.ends_with("LICENSE")));
    assert!(unreadable.iter().any(|f| f.ends_with("missing.json")));
    assert_eq!(stats.errors, 3);
}

#[test]
fn vpc_flow_logs_default_and_custom_formats() {
    let default = b"2 123456789012 eni-0a1b2c3d 10.0.1.5 198.51.100.7 49152 443 6 10 840 1733390000 1733390060 ACCEPT OK\n2 123456789012 eni-0a1b2c3d - - - - - - - 1733390000 1733390060 - NODATA\n2 too short\n";
    let (events, errors) = read(default);
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].value["log"], "vpc-flow");
    assert_eq!(events[0].value["dstaddr"], "198.51.100.7");
    assert_eq!(events[0].value["dstport"], 443);
    assert_eq!(events[0].value["action"], "ACCEPT");
    assert!(events[1].value["srcaddr"].is_null());
    assert_eq!((errors.len(), errors[0].line), (1, 3), "{errors:?}");
    let custom = b"version vpc-id srcaddr dstaddr dstport pkt-dst-aws-service flow-direction\n5 vpc-0abc 10.0.1.5 52.94.1.1 443 S3 egress\n";
    let (events, errors) = read(custom);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(events.len(), 1, "the header is not an event");
    assert_eq!(events[0].value["pkt-dst-aws-service"], "S3");
    assert_eq!(events[0].value["flow-direction"], "egress");
    assert_eq!(events[0].origin.line, Some(2));
}

#[test]
fn lambda_platform_lines_with_their_figures() {
    let log = "2026-12-05T10:00:00.000Z START RequestId: 6f1b-11 Version: $LATEST\n\
        2026-12-05T10:00:00.010Z\t6f1b-11\tINFO\thandling order 42\n\
        2026-12-05T10:00:03.000Z 6f1b-11 Task timed out after 3.00 seconds\n\
        2026-12-05T10:00:03.001Z END RequestId: 6f1b-11\n\
        2026-12-05T10:00:03.001Z REPORT RequestId: 6f1b-11\tDuration: 3000.52 ms\tBilled Duration: 3000 ms\tMemory Size: 128 MB\tMax Memory Used: 127 MB\tInit Duration: 412.33 ms\t\n";
    let (events, errors) = read(log.as_bytes());
    assert!(errors.is_empty(), "{errors:?}");
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e.value["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["start", "log", "timeout", "end", "report"]);
    let report = &events[4].value;
    assert_eq!(report["requestId"], "6f1b-11");
    assert_eq!(report["durationMs"], 3000.52);
    assert_eq!(report["billedDurationMs"], 3000.0);
    assert_eq!(report["memorySizeMB"], 128.0);
    assert_eq!(report["maxMemoryUsedMB"], 127.0);
    assert_eq!(report["initDurationMs"], 412.33);
    assert_eq!(
        events[1].value["message"],
        "2026-12-05T10:00:00.010Z\t6f1b-11\tINFO\thandling order 42"
    );
    assert_eq!(events[2].value["requestId"], "6f1b-11");
    let (events, _) = read(b"START RequestId: 1 Version: 1\nRESEND RequestId: 2 queued\n");
    assert_eq!(events[1].value["type"], "log", "not the platform's END");
    let (_, errors) = read(b"eventName=A\n");
    assert!(
        errors[0].message.starts_with("not a log fnguard reads"),
        "{errors:?}"
    );
}

/// Reads `text` through a filter wanting records that contain `wanted`
/// and a projection keeping `eventName` and `a.b`.
fn read_fast(text: &[u8], wanted: &'static str) -> (Vec<Event>, Vec<InputError>, Stats) {
    let mut events = Vec::new();
    let mut errors = Vec::new();
    let mut wants = |raw: &[u8]| {
        raw.windows(wanted.len())
            .any(|window| window == wanted.as_bytes())
    };
    let projection = Projection::of_paths(["eventName", "a.b"]);
    let mut interest = Interest {
        wants: &mut wants,
        projection: Some(&projection),
    };
    let mut stats = Stats::default();
    read_source_with(
        "log.json",
        Box::new(text),
        Limits::default(),
        TextHint::None,
        &mut interest,
        &mut |e| events.push(e),
        &mut |e| errors.push(e),
        &mut stats,
    );
    (events, errors, stats)
}

#[test]
fn refused_lines_are_counted_not_parsed_and_broken_ones_still_reported() {
    let text = b"{\"eventName\":\"Skip1\"}\n{\"eventName\":\"KeepMe\",\"a\":{\"b\":1,\"c\":2},\"x\":[1]}\n{\"eventName\":\"broken\n\n{\"eventName\":\"Skip2\"}\n{\"eventName\":\"KeepMe too\"}\n";
    let (events, errors, stats) = read_fast(text, "KeepMe");
    assert_eq!(names(&events), ["KeepMe", "KeepMe too"]);
    // Only the projected fields were built.
    assert_eq!(
        events[0].value,
        serde_json::json!({"eventName": "KeepMe", "a": {"b": 1}})
    );
    // Indexes and lines count the refused lines.
    assert_eq!(
        (events[0].origin.index, events[0].origin.line),
        (1, Some(2))
    );
    assert_eq!(
        (events[1].origin.index, events[1].origin.line),
        (3, Some(6))
    );
    assert_eq!(stats.skipped, 2);
    assert_eq!(stats.events, 4);
    // The broken line wanted nothing, yet it is reported where it is.
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].line, 3);
}

#[test]
fn cloudtrail_files_on_one_line_have_each_record_refused_or_projected() {
    let text = b"{\"Records\":[{\"eventName\":\"A\",\"z\":1},{\"eventName\":\"B\",\"s\":\"}]\\\"\"},{\"eventName\":\"C\"}]}\n";
    let (events, errors, stats) = read_fast(text, "\"B\"");
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(names(&events), ["B"]);
    assert_eq!(events[0].value, serde_json::json!({"eventName": "B"}));
    assert_eq!(
        (events[0].origin.index, events[0].origin.line),
        (1, Some(1))
    );
    assert_eq!((stats.skipped, stats.events), (2, 3));
    // A broken record is reported with its column in the line, and the
    // others are still read.
    let text = b"{\"Records\":[{\"eventName\":\"B\",\"x\":tru},{\"eventName\":\"B\"}]}\n";
    let (events, errors, _) = read_fast(text, "\"B\"");
    assert_eq!(names(&events), ["B"]);
    assert_eq!((errors.len(), errors[0].line), (1, 1), "{errors:?}");
    assert!(errors[0].col > 30, "{errors:?}");
    // Pretty files and arrays are projected too.
    let (events, _, _) = read_fast(PRETTY.as_bytes(), "nothing here");
    assert_eq!(
        events[0].value,
        serde_json::json!({"eventName": "GetFunction20150331v2"})
    );
    // A line that is not an object is parsed, so that it is reported.
    let (events, errors, _) = read_fast(b"{\"eventName\":\"A\"}\n\"text\"\n", "nothing here");
    assert!(events.is_empty());
    assert_eq!((errors.len(), errors[0].line), (1, 2), "{errors:?}");
}

#[test]
fn a_projection_keeps_dotted_keys_nested_fields_and_array_elements() {
    let projection = Projection::of_paths(["a.b.c", "d"]);
    let text = br#"{"a":[{"b":{"c":1,"x":2}},{"b.c":3,"y":4}],"a.b":{"c":5,"z":6},"a.b.c":7,"d":{"e":[8]},"f":9}"#;
    let value = parse_projected(text, Some(&projection)).unwrap();
    assert_eq!(
        value,
        serde_json::json!({"a":[{"b":{"c":1}},{"b.c":3}],"a.b":{"c":5},"a.b.c":7,"d":{"e":[8]}})
    );
    assert!(parse_projected(b"{\"a\":1} x", Some(&projection)).is_err());
}

fn read_as(display: &str, text: &[u8]) -> (Vec<Value>, Vec<InputError>) {
    let mut events = Vec::new();
    let mut errors = Vec::new();
    let mut count = 0;
    read_source(
        display,
        Box::new(text),
        Limits::default(),
        &mut |e| events.push(e.value),
        &mut |e| errors.push(e),
        &mut count,
    );
    (events, errors)
}

#[test]
fn lambda_json_format_system_logs_become_the_text_lines_events() {
    // As Lambda writes them when the function's log format is JSON.
    let log = br#"{"time":"2026-12-01T10:00:00.000Z","type":"platform.start","record":{"requestId":"r1","version":"$LATEST"}}
{"time":"2026-12-01T10:00:00.120Z","type":"platform.report","record":{"requestId":"r1","metrics":{"durationMs":118.52,"billedDurationMs":119,"memorySizeMB":128,"maxMemoryUsedMB":71,"initDurationMs":230.4},"status":"success"}}
{"time":"2026-12-01T10:00:03.000Z","type":"platform.runtimeDone","record":{"requestId":"r2","status":"timeout"}}
{"time":"2026-12-01T10:00:04.000Z","type":"platform.runtimeDone","record":{"requestId":"r3","status":"error","errorType":"Runtime.ExitError"}}
{"timestamp":"2026-12-01T10:00:05Z","level":"INFO","message":"hello","requestId":"r4"}
"#;
    let (events, errors) = read_as("logs/aws/lambda/orders/2026-12-01.json", log);
    assert!(errors.is_empty(), "{errors:?}");
    let types: Vec<&str> = events
        .iter()
        .map(|e| e["type"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(types, ["start", "report", "timeout", "error", "?"]);
    let report = &events[1];
    assert_eq!(report["log"], "lambda");
    assert_eq!(report["function"], "orders");
    assert_eq!(report["durationMs"], 118.52);
    assert_eq!(report["maxMemoryUsedMB"], 71);
    assert_eq!(report["initDurationMs"], 230.4);
    assert_eq!(report["status"], "success");
    assert_eq!(report["time"], "2026-12-01T10:00:00.120Z");
    assert_eq!(events[3]["errorType"], "Runtime.ExitError");
    // The function's own JSON lines are left as they are.
    assert_eq!(events[4]["message"], "hello");
    assert!(events[4].get("function").is_none());
}

#[test]
fn cloudwatch_subscription_payloads_are_opened_and_name_the_function() {
    let payload = br#"{"messageType":"DATA_MESSAGE","owner":"111122223333","logGroup":"/aws/lambda/payments","logStream":"2026/12/01/[$LATEST]abc","subscriptionFilters":["fnguard"],"logEvents":[
 {"id":"1","timestamp":1764583200000,"message":"START RequestId: r1 Version: $LATEST\n"},
 {"id":"2","timestamp":1764583200100,"message":"REPORT RequestId: r1\tDuration: 2.50 ms\tBilled Duration: 3 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\t\n"},
 {"id":"3","timestamp":1764583200200,"message":"{\"time\":\"2026-12-01T10:00:00.200Z\",\"type\":\"platform.runtimeDone\",\"record\":{\"requestId\":\"r2\",\"status\":\"timeout\"}}"},
 {"id":"4","timestamp":1764583200300,"message":"processing order 42\n"}
]}"#;
    let (events, errors) = read_as("firehose/part-0001", payload);
    assert!(errors.is_empty(), "{errors:?}");
    let types: Vec<&str> = events
        .iter()
        .map(|e| e["type"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(types, ["start", "report", "timeout", "log"]);
    for event in &events {
        assert_eq!(event["function"], "payments", "{event}");
    }
    assert_eq!(events[1]["durationMs"], 2.5);
    assert_eq!(events[1]["timestamp"], 1_764_583_200_100u64);
    // The JSON message keeps its own time.
    assert_eq!(events[2]["time"], "2026-12-01T10:00:00.200Z");
    assert!(events[2].get("timestamp").is_none());
}

#[test]
fn get_log_events_output_is_read_message_by_message() {
    let listing = br#"{"events":[{"timestamp":1764583200000,"message":"REPORT RequestId: r9 Duration: 900.00 ms Billed Duration: 900 ms Memory Size: 256 MB Max Memory Used: 250 MB","ingestionTime":1764583201000}],"nextForwardToken":"f/1","nextBackwardToken":"b/1"}"#;
    let (events, errors) = read_as("exports/aws/lambda/thumbs/stream.json", listing);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["type"], "report");
    assert_eq!(events[0]["function"], "thumbs");
    assert_eq!(events[0]["maxMemoryUsedMB"], 250);
    // An ordinary event with an `events` field of another shape is left alone.
    let (events, _) = read_as(
        "x.json",
        br#"{"eventName":"PutEventSelectors","events":["a"]}"#,
    );
    assert_eq!(events[0]["events"][0], "a");
}

#[test]
fn text_lambda_lines_name_the_function_from_the_path() {
    let text = b"2026-12-01T10:00:00.000Z START RequestId: r1 Version: $LATEST\n";
    let (events, errors) = read_as("/var/log/aws/lambda/orders/000000", text);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(events[0]["function"], "orders");
    let (events, _) = read_as("/var/log/other/000000", text);
    assert!(events[0].get("function").is_none());
}

#[test]
fn route53_resolver_query_logs_read_as_json_lines() {
    // The shape AWS documents for Resolver query logs.
    let log = br#"{"version":"1.100000","account_id":"111122223333","region":"us-east-1","vpc_id":"vpc-0abc","query_timestamp":"2026-12-01T10:00:00Z","query_name":"abcdefghij.lambda-url.us-east-1.on.aws.","query_type":"A","query_class":"IN","rcode":"NOERROR","answers":[{"Rdata":"3.5.140.2","Type":"A","Class":"IN"}],"srcaddr":"10.0.1.25","srcport":"53211","transport":"UDP","srcids":{"instance":"i-0123456789abcdef0"}}
{"version":"1.100000","account_id":"111122223333","region":"us-east-1","vpc_id":"vpc-0abc","query_timestamp":"2026-12-01T10:00:01Z","query_name":"example.com.","query_type":"AAAA","query_class":"IN","rcode":"NOERROR","answers":[],"srcaddr":"10.0.1.25","srcport":"53212","transport":"UDP","srcids":{"instance":"i-0123456789abcdef0"}}
"#;
    let (events, errors) = read_as("resolver/r53.log", log);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["answers"][0]["Rdata"], "3.5.140.2");
    assert_eq!(
        crate::alert::event_time_ms(&events[1]),
        crate::alert::parse_time_ms("2026-12-01T10:00:01Z")
    );
}

#[test]
fn lambda_records_the_reader_rewrites_are_never_refused_nor_cut_short() {
    // A JSON platform record and a CloudWatch Logs payload: their events
    // carry values their raw text does not (`type: timeout`, `function`).
    let text = br#"{"time":"2026-12-05T10:00:00Z","type":"platform.runtimeDone","record":{"requestId":"r1","status":"timeout","metrics":{"durationMs":3000.5}}}
{"logGroup":"/aws/lambda/orders","logEvents":[{"timestamp":1,"message":"Task timed out after 3.00 seconds"}]}
{"log":"lambda","type":"report","durationMs":12}
"#;
    let (whole, errors) = read(text);
    assert!(errors.is_empty(), "{errors:?}");
    let (fast, errors, stats) = read_fast(text, "nothing here");
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(stats.skipped, 0);
    let values = |events: &[Event]| events.iter().map(|e| e.value.clone()).collect::<Vec<_>>();
    assert_eq!(whole.len(), 3);
    // The projection keeps what the normalisation reads: the same events
    // but for the fields nobody asked for (none here).
    assert_eq!(values(&fast)[0]["type"], "timeout");
    assert_eq!(values(&fast)[1]["function"], "orders");
    assert_eq!(values(&fast)[2]["log"], "lambda");
    // A file whose path names a function: every event gets its name.
    let mut events = Vec::new();
    let mut never = |_: &[u8]| false;
    let mut interest = Interest {
        wants: &mut never,
        projection: None,
    };
    read_source_with(
        "logs/aws/lambda/orders/1.json",
        Box::new(&b"{\"message\":\"hello\"}\n"[..]),
        Limits::default(),
        TextHint::None,
        &mut interest,
        &mut |e| events.push(e),
        &mut |e| panic!("{e}"),
        &mut Stats::default(),
    );
    assert_eq!(events.len(), 1);
}

#[test]
fn report_lines_carry_the_status_of_a_failed_invocation() {
    let log = b"2026-12-01T10:00:00.000Z REPORT RequestId: r1\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\tMemory Size: 128 MB\tMax Memory Used: 64 MB\tStatus: timeout\n\
REPORT RequestId: r2\tDuration: 12.10 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 64 MB\tStatus: error\tError Type: Runtime.ExitError\n\
REPORT RequestId: r3\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 64 MB\t\n";
    let (events, errors) = read_as("lambda.log", log);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(events[0]["status"], "timeout");
    assert_eq!(events[0]["durationMs"], 3000.0);
    assert_eq!(events[1]["status"], "error");
    assert_eq!(events[1]["errorType"], "Runtime.ExitError");
    assert!(events[2].get("status").is_none());
}
