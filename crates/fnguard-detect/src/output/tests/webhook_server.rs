//! The webhook sink against a real HTTP server on loopback (our own, on
//! std::net) that answers from a script: failures first, then success.

use super::{alert, pack_alert};
use crate::output::webhook::{
    body, parse_header, slack_line, target_of, Webhook, WebhookConfig, WebhookFormat,
};
use fnguard_core::severity::Severity;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
struct Received {
    headers: Vec<(String, String)>,
    body: Value,
    at: Instant,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A status and extra header lines.
type Reply = (u16, &'static str);

struct Server {
    addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Answers the requests with `script` in order, then 200; stops when
    /// dropped, or after 30 s whatever happens.
    fn start(script: Vec<Reply>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (received, stop) = (Arc::clone(&received), Arc::clone(&stop));
            std::thread::spawn(move || {
                let end = Instant::now() + Duration::from_secs(30);
                let mut script = script.into_iter();
                while !stop.load(Ordering::SeqCst) && Instant::now() < end {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            let reply = script.next().unwrap_or((200, ""));
                            answer(stream, reply, &received);
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(2)),
                    }
                }
            })
        };
        Server {
            addr,
            received,
            stop,
            thread: Some(thread),
        }
    }

    fn url(&self) -> String {
        format!("http://{}/services/T000/B000/secret-token", self.addr)
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Reads one request (headers, then Content-Length bytes), keeps it, and
/// replies: kept first, so that a client that got its answer finds it.
fn answer(
    stream: TcpStream,
    (status, extra): Reply,
    received: &Mutex<Vec<Received>>,
) -> Option<()> {
    stream.set_nonblocking(false).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    if !line.starts_with("POST ") {
        return None;
    }
    let mut headers = Vec::new();
    loop {
        line.clear();
        reader.read_line(&mut line).ok()?;
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    let length: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())?;
    let mut bytes = vec![0; length];
    reader.read_exact(&mut bytes).ok()?;
    received.lock().unwrap().push(Received {
        headers,
        body: serde_json::from_slice(&bytes).ok()?,
        at: Instant::now(),
    });
    let mut stream = stream;
    let extra = if extra.is_empty() {
        String::new()
    } else {
        format!("{extra}\r\n")
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {status} Scripted\r\nContent-Length: 0\r\nConnection: close\r\n{extra}\r\n"
    );
    let _ = stream.flush();
    Some(())
}

/// Quick timings for tests. A batch waits long for company: `finish`
/// ends the wait, so what a test sends before it is one batch even on a
/// loaded machine.
fn config(url: String, format: WebhookFormat) -> WebhookConfig {
    WebhookConfig {
        batch_wait: Duration::from_secs(10),
        backoff_base: Duration::from_millis(20),
        backoff_max: Duration::from_secs(2),
        request_timeout: Duration::from_secs(2),
        flush_deadline: Duration::from_secs(5),
        ..WebhookConfig::new(url, format)
    }
}

fn numbered(count: usize) -> Vec<crate::alert::Alert> {
    (0..count)
        .map(|i| {
            alert(
                &format!("R{i}"),
                Severity::High,
                "2024-07-01T10:00:00Z",
                json!({}),
            )
        })
        .collect()
}

fn rule_ids(request: &Received) -> Vec<String> {
    request.body["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["rule_id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_batch_is_retried_after_500_and_429_with_retry_after_then_delivered() {
    let server = Server::start(vec![(500, ""), (429, "Retry-After: 1")]);
    let mut config = config(server.url(), WebhookFormat::Json);
    config.headers = vec![parse_header("Authorization: Bearer s3cr3t").unwrap()];
    let webhook = Webhook::start(config).unwrap();
    for a in numbered(3) {
        webhook.send(&a);
    }
    let report = webhook.finish();
    assert_eq!(report.delivered, 3, "{report:?}");
    assert_eq!(
        (report.requests_ok, report.retries, report.lost()),
        (1, 2, 0)
    );
    assert_eq!(
        report.target,
        format!("http://{}", server.addr),
        "no path: it holds the token"
    );
    let received = server.received();
    assert_eq!(received.len(), 3);
    for request in &received {
        assert_eq!(
            rule_ids(request),
            ["R0", "R1", "R2"],
            "the same batch each time"
        );
        assert_eq!(request.header("content-type"), Some("application/json"));
        assert_eq!(request.header("authorization"), Some("Bearer s3cr3t"));
        assert_eq!(request.body["schema_version"], "1");
        assert_eq!(request.body["source"], "fnguard");
    }
    let after_429 = received[2].at - received[1].at;
    assert!(
        after_429 >= Duration::from_millis(900),
        "Retry-After: 1 honoured: {after_429:?}"
    );
    assert!(!report.line().contains("secret-token"), "{}", report.line());
}

#[test]
fn alerts_go_in_batches_of_at_most_batch_max() {
    let server = Server::start(vec![]);
    let mut config = config(server.url(), WebhookFormat::Json);
    config.batch_max = 2;
    let webhook = Webhook::start(config).unwrap();
    for a in numbered(5) {
        webhook.send(&a);
    }
    let report = webhook.finish();
    assert_eq!(report.delivered, 5, "{report:?}");
    let batches: Vec<Vec<String>> = server.received().iter().map(rule_ids).collect();
    assert_eq!(batches, [vec!["R0", "R1"], vec!["R2", "R3"], vec!["R4"]]);
}

#[test]
fn a_partial_batch_goes_when_its_wait_is_over() {
    let server = Server::start(vec![]);
    let mut config = config(server.url(), WebhookFormat::Json);
    config.batch_wait = Duration::from_millis(100);
    let webhook = Webhook::start(config).unwrap();
    webhook.send(&pack_alert());
    let end = Instant::now() + Duration::from_secs(10);
    while server.received().is_empty() && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(server.received().len(), 1, "sent before the run ends");
    assert_eq!(webhook.finish().delivered, 1);
}

#[test]
fn slack_payloads_are_one_text_of_short_lines() {
    let server = Server::start(vec![]);
    let webhook = Webhook::start(config(server.url(), WebhookFormat::Slack)).unwrap();
    webhook.send(&pack_alert());
    let mut tricky = alert(
        "R<1>",
        Severity::Low,
        "2024-07-01T10:00:01Z",
        json!({"source_ip": "1.2.3.4"}),
    );
    tricky.title = "a & b".into();
    webhook.send(&tricky);
    assert_eq!(webhook.finish().delivered, 2);
    let received = server.received();
    assert_eq!(received.len(), 1);
    let body = received[0].body.as_object().unwrap();
    assert_eq!(body.keys().collect::<Vec<_>>(), ["text"]);
    let text = body["text"].as_str().unwrap();
    assert_eq!(
        text,
        "[HIGH] FG-DET-002 Lambda function URL created or changed without authentication | principal arn:aws:sts::111122223333:assumed-role/dev/alice | ip 203.0.113.9 | function orders | 2024-07-01T10:00:00Z\n\
         [LOW] R&lt;1&gt; a &amp; b | ip 1.2.3.4 | 2024-07-01T10:00:01Z"
    );
}

#[test]
fn a_400_is_not_retried() {
    let server = Server::start(vec![(400, "")]);
    let webhook = Webhook::start(config(server.url(), WebhookFormat::Json)).unwrap();
    for a in numbered(2) {
        webhook.send(&a);
    }
    let report = webhook.finish();
    assert_eq!(
        (report.delivered, report.failed, report.retries),
        (0, 2, 0),
        "{report:?}"
    );
    assert_eq!(report.last_error.as_deref(), Some("HTTP 400, not retried"));
    assert_eq!(server.received().len(), 1);
    assert!(report.line().contains("2 failed"), "{}", report.line());
}

#[test]
fn a_dead_endpoint_ends_the_run_after_the_capped_attempts() {
    // A port nobody listens on: connections are refused.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut config = config(format!("http://127.0.0.1:{port}/hook"), WebhookFormat::Json);
    config.max_attempts = 3;
    let started = Instant::now();
    let webhook = Webhook::start(config).unwrap();
    for a in numbered(4) {
        webhook.send(&a);
    }
    let report = webhook.finish();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        (report.delivered, report.failed, report.retries),
        (0, 4, 2),
        "{report:?}"
    );
    assert!(report.last_error.unwrap().contains("after 3 attempts"));
}

#[test]
fn a_server_that_never_answers_is_bounded_by_the_flush_deadline() {
    // Accepted by the kernel, never answered.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut config = config(
        format!("http://{}/hook", silent.local_addr().unwrap()),
        WebhookFormat::Json,
    );
    config.request_timeout = Duration::from_millis(300);
    config.flush_deadline = Duration::from_millis(800);
    config.max_attempts = 100;
    let started = Instant::now();
    let webhook = Webhook::start(config).unwrap();
    for a in numbered(3) {
        webhook.send(&a);
    }
    let report = webhook.finish();
    let took = started.elapsed();
    assert!(took < Duration::from_secs(3), "{took:?}");
    assert_eq!(report.delivered, 0);
    assert_eq!(report.failed + report.unsent, 3, "{report:?}");
    assert!(report.retries >= 1, "{report:?}");
}

#[test]
fn a_full_queue_drops_the_oldest_and_counts_them() {
    let server = Server::start(vec![]);
    let mut config = config(server.url(), WebhookFormat::Json);
    config.queue_max = 3;
    config.batch_max = 100;
    let webhook = Webhook::start(config).unwrap();
    for a in numbered(10) {
        webhook.send(&a);
    }
    let report = webhook.finish();
    assert_eq!((report.delivered, report.dropped), (3, 7), "{report:?}");
    let received = server.received();
    assert_eq!(rule_ids(&received[0]), ["R7", "R8", "R9"]);
    assert!(
        report.line().contains("7 dropped (queue full)"),
        "{}",
        report.line()
    );
}

#[test]
fn https_urls_open_a_tls_handshake() {
    // A server that only looks at the first bytes: a TLS ClientHello
    // starts with a handshake record (0x16, version 3.x).
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let hellos = std::thread::spawn(move || {
        listener.set_nonblocking(true).unwrap();
        let (mut hellos, end) = (0, Instant::now() + Duration::from_secs(5));
        while hellos < 2 && Instant::now() < end {
            let Ok((mut stream, _)) = listener.accept() else {
                std::thread::sleep(Duration::from_millis(2));
                continue;
            };
            stream.set_nonblocking(false).unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(2)))
                .unwrap();
            let mut first = [0u8; 2];
            if stream.read_exact(&mut first).is_ok() && first == [0x16, 0x03] {
                hellos += 1;
            }
        }
        hellos
    });
    let mut config = config(format!("https://{addr}/hook"), WebhookFormat::Json);
    config.max_attempts = 2;
    let webhook = Webhook::start(config).unwrap();
    webhook.send(&pack_alert());
    let report = webhook.finish();
    assert_eq!(hellos.join().unwrap(), 2, "one handshake per attempt");
    assert_eq!((report.delivered, report.failed), (0, 1), "{report:?}");
    assert_eq!(report.target, format!("https://{addr}"));
}

#[test]
fn urls_and_headers_are_checked_without_echoing_secrets() {
    assert_eq!(
        target_of("https://hooks.slack.com/services/T0/B0/XYZ").unwrap(),
        "https://hooks.slack.com"
    );
    assert_eq!(
        target_of("http://user:pw@h:8080?x").unwrap(),
        "http://h:8080"
    );
    for bad in ["ftp://h/x", "hooks.slack.com/x", "https:///x"] {
        assert!(target_of(bad).is_err(), "{bad}");
        assert!(Webhook::start(WebhookConfig::new(bad, WebhookFormat::Json)).is_err());
    }
    assert_eq!(
        parse_header("X-Token:  abc:def ").unwrap(),
        ("X-Token".to_string(), "abc:def".to_string())
    );
    for bad in ["NoColon", "Bad Name: v", ": v"] {
        assert!(parse_header(bad).is_err(), "{bad}");
    }
    let error = parse_header("X-Token: sec\nret").unwrap_err();
    assert!(!error.contains("sec"), "{error}");
    let mut config = WebhookConfig::new("https://h/x", WebhookFormat::Json);
    config.headers = vec![("X-Token".into(), "a\r\nInjected: 1".into())];
    assert!(Webhook::start(config).is_err());
}

#[test]
fn bodies_and_lines_have_their_shapes() {
    let items = vec![json!({"rule_id": "A"})];
    assert_eq!(
        body(WebhookFormat::Json, &items),
        json!({"schema_version": "1", "source": "fnguard", "alerts": [{"rule_id": "A"}]})
    );
    assert_eq!(
        body(WebhookFormat::Slack, &[json!("one"), json!("two")]),
        json!({"text": "one\ntwo"})
    );
    assert!(slack_line(&pack_alert(), fnguard_core::Lang::En).starts_with("[HIGH] FG-DET-002 "));
}
