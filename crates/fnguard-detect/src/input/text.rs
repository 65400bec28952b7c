//! Line-based text logs as event objects, so that Sigma rules and the
//! detectors read them like JSON logs:
//! - VPC flow logs: the default version 2 format (14 fields), or the
//!   fields a header line names (custom formats, as S3 delivery writes
//!   them); numbers become numbers, `-` becomes null; each event gets
//!   `"log": "vpc-flow"`.
//! - Lambda's platform lines as CloudWatch Logs exports them (with or
//!   without a leading timestamp): START, END, REPORT (duration, billed
//!   duration, memory size, max memory used, init duration) and "Task
//!   timed out"; other lines of the function's own output become
//!   `{"type": "log", "message": ...}`. Each event gets `"log": "lambda"`.

use super::InputError;
use serde_json::{Map, Value};
use std::io::BufRead;

/// Version 2's default fields, in order.
const FLOW_V2: [&str; 14] = [
    "version",
    "account-id",
    "interface-id",
    "srcaddr",
    "dstaddr",
    "srcport",
    "dstport",
    "protocol",
    "packets",
    "bytes",
    "start",
    "end",
    "action",
    "log-status",
];

enum Format {
    Flow(Vec<String>),
    Lambda,
}

pub(super) fn read_text(
    display: &str,
    first: Vec<u8>,
    first_line: u64,
    assume_lambda: bool,
    mut reader: impl BufRead,
    emit: &mut dyn FnMut(Value, Option<u64>),
    on_error: &mut dyn FnMut(InputError),
) -> Result<(), InputError> {
    let error = |line: u64, message: String| InputError {
        file: display.to_string(),
        line,
        col: 1,
        message,
    };
    let first_text = String::from_utf8_lossy(&first).trim_end().to_string();
    let fields: Vec<&str> = first_text.split_whitespace().collect();
    let (format, first_is_header) = if fields.first() == Some(&"version")
        && fields.iter().all(|f| {
            f.bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'-' || b == b'_' || b.is_ascii_digit())
        }) {
        (
            Format::Flow(fields.iter().map(|f| f.to_string()).collect()),
            true,
        )
    } else if fields.len() == FLOW_V2.len() && fields[0] == "2" {
        (
            Format::Flow(FLOW_V2.iter().map(|f| f.to_string()).collect()),
            false,
        )
    } else if assume_lambda || lambda_line(&first_text).is_some() {
        (Format::Lambda, false)
    } else {
        return Err(error(
            first_line,
            "not a log fnguard reads: expected CloudTrail JSON, JSON lines, VPC flow logs or Lambda logs"
                .into(),
        ));
    };
    let mut line_number = first_line;
    let mut line = if first_is_header { Vec::new() } else { first };
    loop {
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end();
        if !text.is_empty() {
            match &format {
                Format::Flow(names) => match flow_record(names, text) {
                    Ok(event) => emit(event, Some(line_number)),
                    Err(message) => on_error(error(line_number, message)),
                },
                Format::Lambda => emit(
                    lambda_line(text).unwrap_or_else(|| log_line(text)),
                    Some(line_number),
                ),
            }
        }
        line.clear();
        line_number += 1;
        match reader.read_until(b'\n', &mut line) {
            Ok(0) => return Ok(()),
            Ok(_) => {}
            Err(e) => return Err(error(line_number, e.to_string())),
        }
    }
}

fn flow_record(names: &[String], text: &str) -> Result<Value, String> {
    let values: Vec<&str> = text.split_whitespace().collect();
    if values.len() != names.len() {
        return Err(format!(
            "a flow record with {} fields where the format has {}",
            values.len(),
            names.len()
        ));
    }
    let mut event = Map::new();
    event.insert("log".into(), Value::from("vpc-flow"));
    for (name, value) in names.iter().zip(values) {
        let value = if value == "-" {
            Value::Null
        } else if let Ok(number) = value.parse::<u64>() {
            Value::from(number)
        } else {
            Value::from(value)
        };
        event.insert(name.clone(), value);
    }
    Ok(event.into())
}

/// A platform line (START, END, REPORT, a timeout), with or without the
/// timestamp CloudWatch Logs exports put before it.
pub(super) fn lambda_line(text: &str) -> Option<Value> {
    // At a token boundary, so that a function printing "RESEND" is not
    // taken for the platform.
    let (at, _) = [
        "START RequestId: ",
        "END RequestId: ",
        "REPORT RequestId: ",
        "INIT_START ",
        "Task timed out after ",
    ]
    .iter()
    .filter_map(|marker| {
        text.match_indices(marker)
            .find(|(at, _)| *at == 0 || text[..*at].ends_with(char::is_whitespace))
    })
    .min_by_key(|(at, _)| *at)?;
    let body = &text[at..];
    let mut event = Map::new();
    event.insert("log".into(), Value::from("lambda"));
    let request_id = body
        .split("RequestId: ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next());
    if let Some(id) = request_id {
        event.insert("requestId".into(), Value::from(id));
    }
    let kind = if body.starts_with("REPORT ") {
        for (label, key) in [
            ("Duration: ", "durationMs"),
            ("Billed Duration: ", "billedDurationMs"),
            ("Memory Size: ", "memorySizeMB"),
            ("Max Memory Used: ", "maxMemoryUsedMB"),
            ("Init Duration: ", "initDurationMs"),
        ] {
            // "Duration: " is also the end of "Billed Duration: ": take the
            // occurrence not preceded by "Billed ".
            let value = body.match_indices(label).find_map(|(at, _)| {
                let preceded_by_billed = body[..at].ends_with("Billed ");
                (label != "Duration: " || !preceded_by_billed).then(|| {
                    body[at + label.len()..]
                        .split_whitespace()
                        .next()
                        .and_then(report_number)
                })?
            });
            if let Some(number) = value {
                event.insert(key.into(), Value::Number(number));
            }
        }
        // Newer runtimes end a failed invocation's REPORT with its status
        // (`Status: timeout`, `Status: error Error Type: Runtime.ExitError`),
        // as the JSON format's `status` and `errorType`.
        for (label, key) in [("Status: ", "status"), ("Error Type: ", "errorType")] {
            let value = body
                .split(label)
                .nth(1)
                .and_then(|rest| rest.split_whitespace().next());
            if let Some(value) = value {
                event.insert(key.into(), Value::from(value));
            }
        }
        "report"
    } else if body.starts_with("START ") {
        "start"
    } else if body.starts_with("END ") {
        "end"
    } else if body.starts_with("INIT_START ") {
        "init"
    } else if body.contains("Task timed out after") {
        "timeout"
    } else {
        return None;
    };
    event.insert("type".into(), Value::from(kind));
    if kind == "timeout" {
        event.insert("message".into(), Value::from(body.trim()));
        // CloudWatch writes the request id just before the message.
        if let Some(id) = text[..at].split_whitespace().last() {
            if !id.contains(':') {
                event.insert("requestId".into(), Value::from(id));
            }
        }
    }
    Some(event.into())
}

/// A REPORT figure: whole numbers stay integers (`128` MB, not `128.0`),
/// as Lambda's JSON-format logs write them.
fn report_number(text: &str) -> Option<serde_json::Number> {
    match text.parse::<u64>() {
        Ok(whole) => Some(whole.into()),
        Err(_) => text
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64),
    }
}

pub(super) fn log_line(text: &str) -> Value {
    let mut event = Map::new();
    event.insert("log".into(), Value::from("lambda"));
    event.insert("type".into(), Value::from("log"));
    event.insert("message".into(), Value::from(text));
    event.into()
}
