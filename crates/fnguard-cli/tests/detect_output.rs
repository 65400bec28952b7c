//! `fnguard detect` outputs: table, JSON lines, OCSF; --min-severity and
//! --fail-on; --suppress; --dedup; webhooks to a real HTTP server on
//! loopback.

mod common;

use common::{fnguard, TempDir};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A CloudTrail event of the pack's rules: a public function URL (high)
/// or replaced code (medium), by `who` from `ip` at `time`.
fn event(name: &str, who: &str, ip: &str, time: &str) -> Value {
    let request = if name.starts_with("CreateFunctionUrlConfig") {
        json!({"functionName": "orders", "authType": "NONE"})
    } else {
        json!({"functionName": "orders", "zipFile": "****"})
    };
    json!({
        "eventTime": time,
        "eventSource": "lambda.amazonaws.com",
        "eventName": name,
        "eventID": format!("{name}-{who}-{time}"),
        "awsRegion": "us-east-1",
        "recipientAccountId": "111122223333",
        "sourceIPAddress": ip,
        "userAgent": "aws-cli/2.15.0",
        "userIdentity": {"arn": format!("arn:aws:sts::111122223333:assumed-role/{who}")},
        "requestParameters": request,
    })
}

const URL: &str = "CreateFunctionUrlConfig20211031";
const CODE: &str = "UpdateFunctionCode20150331v2";

/// Five events: the URL made public three times by dev/alice within
/// minutes, once by ci-deploy; code replaced once by ci-deploy.
fn trail(dir: &TempDir) -> PathBuf {
    let records = json!({"Records": [
        event(URL, "dev/alice", "203.0.113.9", "2024-07-01T10:00:00Z"),
        event(URL, "dev/alice", "203.0.113.9", "2024-07-01T10:03:00Z"),
        event(URL, "dev/alice", "203.0.113.9", "2024-07-01T10:06:00Z"),
        event(URL, "ci-deploy/run-7", "198.51.100.7", "2024-07-01T10:07:00Z"),
        event(CODE, "ci-deploy/run-7", "198.51.100.7", "2024-07-01T10:08:00Z"),
    ]});
    dir.write("trail.json", &records.to_string())
}

fn lines(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect()
}

fn detect(args: &[&str], dir: &TempDir) -> common::Run {
    let trail = trail(dir);
    let mut all = vec!["detect", trail.to_str().unwrap()];
    all.extend_from_slice(args);
    fnguard(all)
}

#[test]
fn table_lines_are_severity_first_with_a_summary() {
    let dir = TempDir::new("detect-table");
    let run = detect(&[], &dir);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let out: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(out.len(), 6, "{}", run.stdout);
    assert!(
        out[0].starts_with("HIGH      2024-07-01T10:00:00Z  FG-DET-002  Lambda function URL"),
        "{}",
        out[0]
    );
    assert!(out[0]
        .contains("principal=arn:aws:sts::111122223333:assumed-role/dev/alice ip=203.0.113.9"));
    assert!(
        out[4].starts_with("MEDIUM    2024-07-01T10:08:00Z  FG-DET-003  "),
        "{}",
        out[4]
    );
    assert_eq!(out[5], "5 alerts: 4 high, 1 medium");

    let zh = detect(&["--lang", "zh"], &dir);
    assert!(
        zh.stdout
            .lines()
            .next()
            .unwrap()
            .contains("FG-DET-002  创建或修改了无需认证的 Lambda 函数 URL"),
        "{}",
        zh.stdout
    );
}

#[test]
fn min_severity_hides_and_fail_on_counts_only_what_is_output() {
    let dir = TempDir::new("detect-min");
    let run = detect(&["--format", "jsonl", "--min-severity", "high"], &dir);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let alerts = lines(&run.stdout);
    assert_eq!(alerts.len(), 4);
    assert!(alerts.iter().all(|a| a["rule_id"] == "FG-DET-002"));
    assert_eq!(alerts[0]["schema_version"], "1");
    assert_eq!(alerts[0]["guide"], "3.1, 3.4.1");
    assert_eq!(alerts[0]["facts"]["function"], "orders");
    assert!(alerts[0]["title_zh"].as_str().is_some());
    assert!(
        run.stderr
            .contains("1 alert below --min-severity high not shown"),
        "{}",
        run.stderr
    );

    // Only the medium one is left, and --fail-on high: exit 0.
    let suppress = dir.write(
        "s.toml",
        "[[suppress]]\nrule = \"FG-DET-002\"\nfacts = { principal = \"*\" }\n",
    );
    let run = detect(
        &[
            "--format",
            "jsonl",
            "--suppress",
            suppress.to_str().unwrap(),
            "--fail-on",
            "high",
        ],
        &dir,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(lines(&run.stdout).len(), 1);
    assert!(
        run.stderr.contains("4 alerts suppressed by"),
        "{}",
        run.stderr
    );
}

#[test]
fn suppressions_name_rule_and_facts_and_expired_ones_are_reported() {
    let dir = TempDir::new("detect-suppress");
    let suppress = dir.write(
        "suppress.yml",
        "suppress:\n  - rule: FG-DET-002\n    reason: CI previews\n    facts:\n      principal: \"arn:aws:sts::111122223333:assumed-role/ci-deploy/*\"\n  - rule: FG-DET-003\n    until: 2020-01-01\n    facts:\n      principal: \"*\"\n",
    );
    let run = detect(
        &[
            "--format",
            "jsonl",
            "--suppress",
            suppress.to_str().unwrap(),
        ],
        &dir,
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let principals: Vec<String> = lines(&run.stdout)
        .iter()
        .map(|a| format!("{} {}", a["rule_id"], a["facts"]["principal"]))
        .collect();
    assert_eq!(principals.len(), 4, "{principals:?}");
    assert!(!principals
        .iter()
        .any(|p| p.contains("FG-DET-002") && p.contains("ci-deploy")));
    assert!(
        run.stderr
            .contains("suppress.yml#2: suppression of FG-DET-003 expired on 2020-01-01"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("1 alert suppressed by"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("CI previews"), "{}", run.stderr);

    let broken = dir.write("broken.toml", "[[suppress]]\nrule = \"X\"\nfacts = 3\n");
    let run = detect(&["--suppress", broken.to_str().unwrap()], &dir);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("broken.toml#1: `facts` must be a table"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty());
}

#[test]
fn dedup_folds_repeats_within_the_window_of_event_time() {
    let dir = TempDir::new("detect-dedup");
    let run = detect(&["--format", "jsonl", "--dedup", "5m"], &dir);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let times: Vec<String> = lines(&run.stdout)
        .iter()
        .map(|a| {
            format!(
                "{} {}",
                a["rule_id"].as_str().unwrap(),
                a["time"].as_str().unwrap()
            )
        })
        .collect();
    // alice at 10:00 opens a 5-minute window (10:03 folded); 10:06 opens
    // the next.
    assert_eq!(
        times,
        [
            "FG-DET-002 2024-07-01T10:00:00Z",
            "FG-DET-002 2024-07-01T10:06:00Z",
            "FG-DET-002 2024-07-01T10:07:00Z",
            "FG-DET-003 2024-07-01T10:08:00Z"
        ]
    );
    assert!(
        run.stderr.contains("1 repeated alert folded"),
        "{}",
        run.stderr
    );

    // Keyed on the function only: the ci-deploy URL alert folds too.
    let run = detect(
        &[
            "--format",
            "jsonl",
            "--dedup",
            "1h",
            "--dedup-key",
            "function",
        ],
        &dir,
    );
    assert_eq!(lines(&run.stdout).len(), 2, "{}", run.stdout);
    let bad = detect(&["--dedup", "soon"], &dir);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("not a duration"), "{}", bad.stderr);
}

#[test]
fn ocsf_lines_are_detection_findings() {
    let dir = TempDir::new("detect-ocsf");
    let run = detect(&["--format", "ocsf"], &dir);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let findings = lines(&run.stdout);
    assert_eq!(findings.len(), 5);
    let first = &findings[0];
    assert_eq!(first["class_uid"], 2004);
    assert_eq!(first["type_uid"], 200401);
    assert_eq!(first["severity_id"], 4);
    assert_eq!(first["finding_info"]["analytic"]["uid"], "FG-DET-002");
    assert_eq!(first["cloud"]["account"]["uid"], "111122223333");
    assert_eq!(findings[4]["severity_id"], 3);
    let uids: std::collections::HashSet<&str> = findings
        .iter()
        .map(|f| f["finding_info"]["uid"].as_str().unwrap())
        .collect();
    assert_eq!(uids.len(), 5, "one uid per event");
    let again = detect(&["--format", "ocsf"], &dir);
    assert_eq!(
        lines(&again.stdout)[0]["finding_info"]["uid"],
        first["finding_info"]["uid"],
        "stable"
    );
    assert!(
        run.stderr.contains("5 alerts: 4 high, 1 medium"),
        "summary on stderr: {}",
        run.stderr
    );
}

/// A loopback server that fails the first request with 503 and accepts
/// the rest; it keeps each body and the headers.
struct Hook {
    url: String,
    received: Arc<Mutex<Vec<(String, Value)>>>,
    stop: Arc<AtomicBool>,
}

impl Drop for Hook {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn hook() -> Hook {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://{}/services/T/B/secret-path",
        listener.local_addr().unwrap()
    );
    listener.set_nonblocking(true).unwrap();
    let received = Arc::new(Mutex::new(Vec::new()));
    let keep = Arc::clone(&received);
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = Arc::clone(&stop);
    std::thread::spawn(move || {
        let end = Instant::now() + Duration::from_secs(20);
        let mut served = 0;
        while Instant::now() < end && !stopped.load(Ordering::SeqCst) {
            let Ok((stream, _)) = listener.accept() else {
                std::thread::sleep(Duration::from_millis(2));
                continue;
            };
            stream.set_nonblocking(false).unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let (mut head, mut line) = (String::new(), String::new());
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                head.push_str(&line);
                line.clear();
            }
            let length: usize = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap())
                })
                .unwrap_or(0);
            let mut body = vec![0; length];
            if reader.read_exact(&mut body).is_err() {
                continue;
            }
            // Kept before the reply: a client that got its answer finds it.
            keep.lock()
                .unwrap()
                .push((head, serde_json::from_slice(&body).unwrap_or(Value::Null)));
            let status = if served == 0 { 503 } else { 200 };
            served += 1;
            let mut stream = stream;
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
    });
    Hook {
        url,
        received,
        stop,
    }
}

#[test]
fn alerts_reach_a_slack_webhook_after_a_retry() {
    let dir = TempDir::new("detect-webhook");
    let hook = hook();
    let run = detect(
        &[
            "--min-severity",
            "high",
            "--webhook",
            &hook.url,
            "--webhook-format",
            "slack",
            "--webhook-header",
            "X-Token: hunter2",
        ],
        &dir,
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let received = hook.received.lock().unwrap().clone();
    assert_eq!(
        received.len(),
        2,
        "a 503, then the same batch: {received:?}"
    );
    assert_eq!(received[0].1, received[1].1);
    let (head, body) = &received[1];
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{head}"
    );
    assert!(
        head.to_ascii_lowercase().contains("x-token: hunter2"),
        "{head}"
    );
    let text = body["text"].as_str().unwrap();
    assert_eq!(text.lines().count(), 4, "{text}");
    assert!(text.starts_with("[HIGH] FG-DET-002 "), "{text}");
    // The table's summary (on standard output) ends with the delivery.
    assert!(
        run.stdout
            .contains("4 alerts delivered in 1 request, 1 retry"),
        "{}",
        run.stdout
    );
    assert!(
        !run.stderr.contains("secret-path") && !run.stderr.contains("hunter2"),
        "{}",
        run.stderr
    );
    assert!(!run.stdout.contains("secret-path"), "{}", run.stdout);
}

#[test]
fn a_dead_webhook_is_reported_and_does_not_hang_the_run() {
    let dir = TempDir::new("detect-dead");
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/x");
    let started = Instant::now();
    let run = detect(&["--format", "jsonl", "--webhook", &url], &dir);
    // Five attempts with backoff from 0.5 s: about 4 s, well within the
    // 15 s flush deadline.
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(run.code, 1, "exit codes are about alerts: {}", run.stderr);
    assert_eq!(lines(&run.stdout).len(), 5, "stdout is not held up");
    assert!(
        run.stderr.contains("warning: webhook http://127.0.0.1:"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("5 alerts not delivered"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_webhook_url_can_come_from_the_environment() {
    let dir = TempDir::new("detect-webhook-env");
    let hook = hook();
    let trail = trail(&dir);
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_fnguard"))
        .args(["detect", trail.to_str().unwrap(), "--format", "jsonl"])
        .args(["--webhook", "env:FNGUARD_TEST_HOOK"])
        .env("FNGUARD_TEST_HOOK", &hook.url)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("5 alerts delivered"), "{stderr}");
    assert_eq!(
        hook.received.lock().unwrap().len(),
        2,
        "a 503, then the batch"
    );

    let run = detect(&["--webhook", "env:FNGUARD_TEST_HOOK_UNSET"], &dir);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("env:FNGUARD_TEST_HOOK_UNSET: the variable is not set"),
        "{}",
        run.stderr
    );
}

#[test]
fn webhook_options_are_checked_without_echoing_secrets() {
    let dir = TempDir::new("detect-webhook-args");
    let run = detect(&["--webhook", "ftp://h/x"], &dir);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("http:// or https://"), "{}", run.stderr);
    let run = detect(
        &[
            "--webhook",
            "https://h/x",
            "--webhook-header",
            "Bad Name: topsecret",
        ],
        &dir,
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--webhook-header"), "{}", run.stderr);
    assert!(!run.stderr.contains("topsecret"), "{}", run.stderr);
    let run = detect(&["--webhook-format", "slack"], &dir);
    assert_eq!(run.code, 2, "needs --webhook: {}", run.stderr);
}
