//! Lambda's logs in the shapes they leave CloudWatch Logs, made into the
//! one event shape the detectors read (`"log": "lambda"`, `type` start /
//! end / report / timeout / error / log, the REPORT metrics under the same
//! keys as the text lines, and `function` when the log says which):
//! - JSON-format system logs (`{"time", "type": "platform.report",
//!   "record": {"requestId", "metrics": {...}, "status"}}` and the other
//!   `platform.*` types), as Lambda writes them when the function's log
//!   format is JSON;
//! - CloudWatch Logs subscription payloads (`{"logGroup":
//!   "/aws/lambda/NAME", "logEvents": [{"timestamp", "message"}]}`), as
//!   Firehose and subscription filters deliver them, and the output of
//!   `aws logs get-log-events` / `filter-log-events` (`{"events": [...]}`):
//!   each message is read as a line of its own, text or JSON.
//!
//! The function's name comes from the log group, else from a path
//! `.../aws/lambda/NAME/...` (how exports are usually laid out).

use super::text;
use serde_json::{Map, Value};

/// The function a file's path names (`/logs/aws/lambda/orders/2026.log`
/// gives `orders`).
pub(super) fn function_from_path(display: &str) -> Option<String> {
    let parts: Vec<&str> = display.split(['/', '\\']).collect();
    parts
        .windows(3)
        .find(|w| w[0] == "aws" && w[1] == "lambda" && !w[2].is_empty())
        .map(|w| w[2].to_string())
}

/// Turns one read value into the events it holds, each handed to `out`:
/// wrappers are opened, JSON-format platform records normalised, and a
/// Lambda event gets `function` when known. Anything else passes as is.
pub(super) fn normalize(value: Value, function: Option<&str>, out: &mut dyn FnMut(Value)) {
    let Value::Object(object) = value else {
        return out(value);
    };
    if let Some(Value::Array(_)) = object.get("logEvents") {
        return open_subscription(object, function, out);
    }
    if is_log_events_listing(&object) {
        let Some(Value::Array(events)) = object
            .into_iter()
            .find_map(|(k, v)| (k == "events").then_some(v))
        else {
            return;
        };
        for event in events {
            from_log_event(event, function, out);
        }
        return;
    }
    let platform = object
        .get("type")
        .and_then(Value::as_str)
        .is_some_and(|t| t.starts_with("platform."))
        && object.get("record").is_some();
    let mut event = if platform {
        platform_record(object)
    } else {
        object
    };
    if let Some(name) = function {
        if event.get("log").and_then(Value::as_str) == Some("lambda")
            && !event.contains_key("function")
        {
            event.insert("function".into(), Value::from(name));
        }
    }
    out(Value::Object(event))
}

/// `aws logs get-log-events` / `filter-log-events` output: an `events`
/// array of `{timestamp, message}` and the paging keys around it.
fn is_log_events_listing(object: &Map<String, Value>) -> bool {
    let Some(Value::Array(events)) = object.get("events") else {
        return false;
    };
    let paging = [
        "nextForwardToken",
        "nextBackwardToken",
        "searchedLogStreams",
        "nextToken",
    ]
    .iter()
    .any(|k| object.contains_key(*k));
    paging
        || events
            .first()
            .and_then(Value::as_object)
            .is_some_and(|e| e.contains_key("message") && e.contains_key("timestamp"))
}

fn open_subscription(
    mut object: Map<String, Value>,
    function: Option<&str>,
    out: &mut dyn FnMut(Value),
) {
    let from_group = object
        .get("logGroup")
        .and_then(Value::as_str)
        .and_then(|group| group.strip_prefix("/aws/lambda/"))
        .map(str::to_string);
    let function = from_group.as_deref().or(function);
    if let Some(Value::Array(events)) = object.remove("logEvents") {
        for event in events {
            from_log_event(event, function, out);
        }
    }
}

/// One `{timestamp, message}` of CloudWatch Logs: the message read as a
/// line (JSON if it is an object, else text), the time kept when the
/// message has none.
fn from_log_event(event: Value, function: Option<&str>, out: &mut dyn FnMut(Value)) {
    let Value::Object(mut event) = event else {
        return;
    };
    let timestamp = event.remove("timestamp");
    let Some(Value::String(message)) = event.remove("message") else {
        return;
    };
    let trimmed = message.trim();
    let parsed = if trimmed.starts_with('{') {
        serde_json::from_str::<Value>(trimmed).ok()
    } else {
        None
    };
    let mut line = match parsed {
        Some(Value::Object(json)) => {
            let mut normalized = None;
            normalize(Value::Object(json), function, &mut |v| normalized = Some(v));
            match normalized {
                Some(Value::Object(object)) => object,
                _ => return,
            }
        }
        _ => match text::lambda_line(trimmed) {
            Some(Value::Object(object)) => object,
            _ => match text::log_line(trimmed) {
                Value::Object(object) => object,
                _ => return,
            },
        },
    };
    if let Some(name) = function {
        line.entry("function").or_insert_with(|| Value::from(name));
    }
    if !line.contains_key("time") && !line.contains_key("timestamp") {
        if let Some(timestamp) = timestamp {
            line.insert("timestamp".into(), timestamp);
        }
    }
    out(Value::Object(line))
}

/// A JSON-format system log record as the text lines' event.
fn platform_record(mut object: Map<String, Value>) -> Map<String, Value> {
    let kind = object
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let record = match object.remove("record") {
        Some(Value::Object(record)) => record,
        _ => Map::new(),
    };
    let mut event = Map::new();
    event.insert("log".into(), Value::from("lambda"));
    let status = record.get("status").and_then(Value::as_str);
    let normalized_type = match kind.as_str() {
        "platform.report" => "report",
        "platform.start" => "start",
        "platform.initStart" => "init",
        // A runtime that ended badly says how; one that succeeded ends.
        "platform.runtimeDone" => match status {
            Some("timeout") => "timeout",
            Some("error" | "failure") => "error",
            _ => "end",
        },
        other => other.strip_prefix("platform.").unwrap_or(other),
    };
    event.insert("type".into(), Value::from(normalized_type));
    if let Some(time) = object.remove("time") {
        event.insert("time".into(), time);
    }
    for key in [
        "requestId",
        "status",
        "errorType",
        "version",
        "runtimeVersionArn",
    ] {
        if let Some(value) = record.get(key) {
            event.insert(key.into(), value.clone());
        }
    }
    if let Some(Value::Object(metrics)) = record.get("metrics") {
        for key in [
            "durationMs",
            "billedDurationMs",
            "memorySizeMB",
            "maxMemoryUsedMB",
            "initDurationMs",
        ] {
            if let Some(value @ Value::Number(_)) = metrics.get(key) {
                event.insert(key.into(), value.clone());
            }
        }
    }
    event.insert("platform".into(), Value::from(kind));
    event
}
