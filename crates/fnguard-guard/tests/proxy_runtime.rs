//! The Runtime API proxy between a runtime client and a fake Runtime API,
//! both on loopback: pass-through, gates, reject, fatal, upstream failures.

mod proxy_fake;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fnguard_guard::config::FailPolicy;
use fnguard_guard::log::Logger;
use fnguard_guard::proxy::{
    FatalReport, InvocationGate, InvokeContext, PrepareContext, ProxySettings, RuntimeProgress,
    RuntimeProxy, Verdict, EVENT_TOO_LARGE, GUARD_FAILURE,
};
use http_body_util::BodyExt;
use hyper::body::{Bytes, Frame};
use hyper::{HeaderMap, Request, StatusCode};
use proxy_fake::{full, FakeApi, FakeEvent, RuntimeConn, TestBody};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What a gate saw of one invocation.
#[derive(Clone, Debug)]
struct Seen {
    request_id: String,
    runtime_peer: SocketAddr,
    proxy_local: SocketAddr,
    body_len: usize,
    trace_header: Option<String>,
}

/// A gate that records what it saw and decides by request id.
#[derive(Default)]
struct ScriptedGate {
    seen: Mutex<Vec<Seen>>,
    verdicts: Mutex<Vec<(String, Verdict)>>,
}

impl ScriptedGate {
    fn on(self: &Arc<Self>, request_id: &str, verdict: Verdict) -> Arc<Self> {
        self.verdicts
            .lock()
            .unwrap()
            .push((request_id.to_string(), verdict));
        self.clone()
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl InvocationGate for ScriptedGate {
    fn before_invoke(&self, ctx: &InvokeContext<'_>) -> Verdict {
        self.seen.lock().unwrap().push(Seen {
            request_id: ctx.request_id.to_string(),
            runtime_peer: ctx.runtime_peer,
            proxy_local: ctx.proxy_local,
            body_len: ctx.body.len(),
            trace_header: ctx
                .headers
                .get("lambda-runtime-trace-id")
                .map(|v| v.to_str().unwrap().to_string()),
        });
        self.verdicts
            .lock()
            .unwrap()
            .iter()
            .find(|(id, _)| id == ctx.request_id)
            .map_or(Verdict::Pass, |(_, v)| v.clone())
    }
}

async fn start_proxy(fake: &FakeApi, gates: Vec<Arc<dyn InvocationGate>>) -> RuntimeProxy {
    RuntimeProxy::start(
        ProxySettings::new("127.0.0.1:0".parse().unwrap(), &fake.authority()),
        gates,
    )
    .await
    .unwrap()
}

/// A 6 MiB body whose every byte depends on its position (a dropped or
/// moved chunk cannot go unnoticed).
fn big_body() -> Bytes {
    let body: Vec<u8> = (0..6 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    Bytes::from(body)
}

fn reject(error_type: &str, message: &str) -> Verdict {
    Verdict::Reject {
        error_type: error_type.into(),
        message: message.into(),
    }
}

/// The headers of `a` that are not per-connection, as (name, value) pairs.
fn end_to_end(headers: &HeaderMap) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = headers
        .iter()
        .filter(|(n, _)| !matches!(n.as_str(), "date" | "connection" | "keep-alive"))
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_string()))
        .collect();
    pairs.sort();
    pairs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_reaches_the_runtime_unchanged_after_the_gates_saw_it() {
    let fake = FakeApi::start().await;
    let gate = Arc::new(ScriptedGate::default());
    let proxy = start_proxy(&fake, vec![gate.clone()]).await;
    let body = big_body();
    let mut event = FakeEvent::new("8476a536-e9f4-11e8-9739-2dfe598c3fcd", body.clone());
    event.headers.push((
        "Lambda-Runtime-Client-Context".into(),
        "{\"custom\":1}".into(),
    ));
    fake.push_event(event);

    // What the runtime would see without the proxy, for comparison.
    let direct_fake = FakeApi::start().await;
    let mut direct_event = FakeEvent::new("8476a536-e9f4-11e8-9739-2dfe598c3fcd", body.clone());
    direct_event.headers.push((
        "Lambda-Runtime-Client-Context".into(),
        "{\"custom\":1}".into(),
    ));
    direct_fake.push_event(direct_event);
    let (_, direct_headers, _) = RuntimeConn::connect(direct_fake.addr)
        .await
        .get_next()
        .await;

    let mut runtime = RuntimeConn::connect(proxy.local_addr()).await;
    let (status, headers, got) = runtime.get_next().await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got.len(), body.len());
    assert!(got == body, "the 6 MiB event changed on its way");
    assert_eq!(end_to_end(&headers), end_to_end(&direct_headers));

    let seen = gate.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].request_id, "8476a536-e9f4-11e8-9739-2dfe598c3fcd");
    assert_eq!(seen[0].body_len, body.len());
    assert_eq!(seen[0].runtime_peer, runtime.local);
    assert_eq!(seen[0].proxy_local, proxy.local_addr());
    assert!(seen[0]
        .trace_header
        .as_deref()
        .unwrap()
        .starts_with("Root=1-"));
    // The runtime's own headers went upstream (the Host is the upstream's).
    let asked = &fake.recorded_to("/invocation/next")[0];
    assert_eq!(asked.headers["user-agent"], "aws-lambda-ric/2.0");
    assert_eq!(asked.headers["host"], fake.authority().as_str());
    proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunked_event_reaches_the_runtime_whole() {
    let fake = FakeApi::start().await;
    let proxy = start_proxy(&fake, vec![]).await;
    let mut event = FakeEvent::new("r-chunked", big_body());
    event.chunked = Some(64 * 1024 + 7);
    fake.push_event(event);
    let (status, _, got) = RuntimeConn::connect(proxy.local_addr())
        .await
        .get_next()
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(got == big_body());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_response_goes_upstream_byte_for_byte_with_its_headers() {
    let mut fake = FakeApi::start().await;
    let proxy = start_proxy(&fake, vec![]).await;
    let body = big_body();
    let request = Request::post("/2018-06-01/runtime/invocation/r1/response")
        .header("host", "127.0.0.1")
        .header("content-type", "application/octet-stream")
        .header("x-custom", "kept")
        .body(full(body.clone()))
        .unwrap();
    let (status, headers, answer, _) = RuntimeConn::connect(proxy.local_addr())
        .await
        .send(request)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(answer, Bytes::from_static(br#"{"status":"OK"}"#));
    let got = fake.wait_for("/invocation/r1/response").await;
    assert_eq!(got.method, "POST");
    assert!(got.body == body);
    assert_eq!(got.headers["content-type"], "application/octet-stream");
    assert_eq!(got.headers["x-custom"], "kept");
    assert_eq!(
        got.headers["content-length"],
        body.len().to_string().as_str()
    );
}

/// A body sent in chunks, then trailers, as a streaming runtime does.
struct StreamedResponse {
    frames: std::collections::VecDeque<Frame<Bytes>>,
}

impl hyper::body::Body for StreamedResponse {
    type Data = Bytes;
    type Error = std::convert::Infallible;
    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        std::task::Poll::Ready(self.frames.pop_front().map(Ok))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamed_response_keeps_its_chunks_mode_header_and_trailers() {
    let mut fake = FakeApi::start().await;
    let proxy = start_proxy(&fake, vec![]).await;
    let mut trailers = HeaderMap::new();
    trailers.insert(
        "lambda-runtime-function-error-type",
        "Runtime.StreamError".parse().unwrap(),
    );
    trailers.insert(
        "lambda-runtime-function-error-body",
        "eyJlcnJvck1lc3NhZ2UiOiJib29tIn0=".parse().unwrap(),
    );
    let body: TestBody = StreamedResponse {
        frames: vec![
            Frame::data(Bytes::from_static(b"first chunk\n")),
            Frame::data(Bytes::from_static(b"second chunk\n")),
            Frame::trailers(trailers),
        ]
        .into(),
    }
    .boxed();
    let request = Request::post("/2018-06-01/runtime/invocation/r2/response")
        .header("host", "127.0.0.1")
        .header("lambda-runtime-function-response-mode", "streaming")
        .header("transfer-encoding", "chunked")
        .header(
            "trailer",
            "Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body",
        )
        .body(body)
        .unwrap();
    let (status, ..) = RuntimeConn::connect(proxy.local_addr())
        .await
        .send(request)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let got = fake.wait_for("/invocation/r2/response").await;
    assert_eq!(got.body, Bytes::from_static(b"first chunk\nsecond chunk\n"));
    assert_eq!(
        got.headers["lambda-runtime-function-response-mode"],
        "streaming"
    );
    assert_eq!(got.headers["transfer-encoding"], "chunked");
    assert!(got.headers.get("content-length").is_none());
    let trailers = got.trailers.expect("the trailers were dropped");
    assert_eq!(
        trailers["lambda-runtime-function-error-type"],
        "Runtime.StreamError"
    );
    assert_eq!(
        trailers["lambda-runtime-function-error-body"],
        "eyJlcnJvck1lc3NhZ2UiOiJib29tIn0="
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expect_100_continue_is_answered_then_the_body_forwarded() {
    let mut fake = FakeApi::start().await;
    let proxy = start_proxy(&fake, vec![]).await;
    // Raw bytes, as libcurl sends a large response: headers, wait for 100,
    // then the body.
    let mut stream = tokio::net::TcpStream::connect(proxy.local_addr())
        .await
        .unwrap();
    let body = vec![b'x'; 2 * 1024 * 1024];
    let head = format!(
        "POST /2018-06-01/runtime/invocation/r3/response HTTP/1.1\r\nHost: 127.0.0.1:9009\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut buf = [0u8; 25];
    tokio::time::timeout(Duration::from_secs(5), stream.read_exact(&mut buf))
        .await
        .expect("no 100 Continue within 5 s")
        .unwrap();
    assert_eq!(&buf, b"HTTP/1.1 100 Continue\r\n\r\n");
    stream.write_all(&body).await.unwrap();
    let mut answer = Vec::new();
    let mut chunk = [0u8; 4096];
    while !String::from_utf8_lossy(&answer).contains(r#"{"status":"OK"}"#) {
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut chunk))
            .await
            .expect("no answer within 5 s")
            .unwrap();
        assert!(n > 0, "the proxy closed the connection");
        answer.extend_from_slice(&chunk[..n]);
    }
    assert!(answer.starts_with(b"HTTP/1.1 202 Accepted\r\n"));
    let got = fake.wait_for("/invocation/r3/response").await;
    assert_eq!(got.body.len(), body.len());
    assert!(got.body.iter().all(|&b| b == b'x'));
    assert!(got.headers.get("expect").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invocations_reuse_the_connections_on_both_sides() {
    let mut fake = FakeApi::start().await;
    let proxy = start_proxy(&fake, vec![]).await;
    let mut runtime = RuntimeConn::connect(proxy.local_addr()).await;
    for i in 0..20 {
        let id = format!("r{i}");
        fake.push_event(FakeEvent::new(&id, format!("{{\"n\":{i}}}")));
        let (status, headers, body) = runtime.get_next().await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["lambda-runtime-aws-request-id"], id.as_str());
        assert_eq!(body, format!("{{\"n\":{i}}}"));
        let request = Request::post(format!("/2018-06-01/runtime/invocation/{id}/response"))
            .header("host", "127.0.0.1")
            .body(full(Bytes::from_static(b"\"ok\"")))
            .unwrap();
        let (status, ..) = runtime.send(request).await;
        assert_eq!(status, StatusCode::ACCEPTED);
        fake.wait_for(&format!("/invocation/{id}/response")).await;
    }
    // One runtime connection (this one); upstream a handful, not one per
    // request.
    assert!(
        fake.connections() <= 3,
        "{} upstream connections for 40 requests",
        fake.connections()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_event_is_answered_upstream_and_the_runtime_gets_the_next() {
    let mut fake = FakeApi::start().await;
    let gate = Arc::new(ScriptedGate::default()).on(
        "bad-1",
        reject(
            "Fnguard.InputInvalid",
            "the event does not match the schema: /id is required",
        ),
    );
    let after = Arc::new(ScriptedGate::default());
    let proxy = start_proxy(&fake, vec![gate.clone(), after.clone()]).await;
    fake.push_event(FakeEvent::new("bad-1", "{\"no\":\"id\"}"));
    fake.push_event(FakeEvent::new("good-2", "{\"id\":2}"));

    let (status, headers, body) = RuntimeConn::connect(proxy.local_addr())
        .await
        .get_next()
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["lambda-runtime-aws-request-id"], "good-2");
    assert_eq!(body, "{\"id\":2}");

    let error = fake.wait_for("/invocation/bad-1/error").await;
    assert_eq!(error.method, "POST");
    assert_eq!(
        error.headers["lambda-runtime-function-error-type"],
        "Fnguard.InputInvalid"
    );
    let json: serde_json::Value = serde_json::from_slice(&error.body).unwrap();
    assert_eq!(json["errorType"], "Fnguard.InputInvalid");
    assert_eq!(
        json["errorMessage"],
        "the event does not match the schema: /id is required"
    );
    // The first gate's reject ended the round: the second never saw bad-1.
    let later: Vec<String> = after.seen().into_iter().map(|s| s.request_id).collect();
    assert_eq!(later, ["good-2"]);
    assert!(fake.recorded_to("/invocation/good-2/error").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fatal_verdict_answers_upstream_stops_the_runtime_and_reports() {
    let mut fake = FakeApi::start().await;
    let gate = Arc::new(ScriptedGate::default()).on(
        "r-tampered",
        Verdict::Fatal {
            error_type: "Fnguard.IntegrityFailure".into(),
            message: "runtime executable in /tmp".into(),
        },
    );
    let mut proxy = start_proxy(&fake, vec![gate]).await;
    fake.push_event(FakeEvent::new("r-tampered", "{}"));
    fake.push_event(FakeEvent::new("r-next", "{}"));

    let mut runtime = RuntimeConn::connect(proxy.local_addr()).await;
    let (status, _, body) = runtime.get_next().await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(json["errorType"], "Fnguard.Stopped");

    let report = tokio::time::timeout(Duration::from_secs(5), proxy.fatal())
        .await
        .unwrap();
    assert_eq!(
        report,
        Some(FatalReport {
            request_id: "r-tampered".into(),
            error_type: "Fnguard.IntegrityFailure".into(),
            message: "runtime executable in /tmp".into(),
        })
    );
    let error = fake.wait_for("/invocation/r-tampered/error").await;
    assert_eq!(
        error.headers["lambda-runtime-function-error-type"],
        "Fnguard.IntegrityFailure"
    );
    // Nothing more reaches the runtime, and the next event stays upstream.
    let (status, ..) = runtime.get_next().await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(fake.queued_events(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_too_large_for_the_proxy_is_refused_upstream() {
    let mut fake = FakeApi::start().await;
    let gate = Arc::new(ScriptedGate::default());
    let mut settings = ProxySettings::new("127.0.0.1:0".parse().unwrap(), &fake.authority());
    settings.max_event_bytes = 1024;
    let proxy = RuntimeProxy::start(settings, vec![gate.clone()])
        .await
        .unwrap();
    fake.push_event(FakeEvent::new("huge", vec![b'a'; 1025]));
    let mut chunked = FakeEvent::new("huge-chunked", vec![b'a'; 4000]);
    chunked.chunked = Some(100);
    fake.push_event(chunked);
    fake.push_event(FakeEvent::new("fits", vec![b'a'; 1024]));

    let (status, headers, _) = RuntimeConn::connect(proxy.local_addr())
        .await
        .get_next()
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["lambda-runtime-aws-request-id"], "fits");
    for id in ["huge", "huge-chunked"] {
        let error = fake.wait_for(&format!("/invocation/{id}/error")).await;
        assert_eq!(
            error.headers["lambda-runtime-function-error-type"],
            EVENT_TOO_LARGE
        );
    }
    let seen: Vec<String> = gate.seen().into_iter().map(|s| s.request_id).collect();
    assert_eq!(seen, ["fits"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_that_is_down_gives_a_clear_error_not_a_hang() {
    // A port that was just free: nothing listens there.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let proxy = RuntimeProxy::start(
        ProxySettings::new("127.0.0.1:0".parse().unwrap(), &closed.to_string()),
        vec![],
    )
    .await
    .unwrap();
    let started = Instant::now();
    let mut runtime = RuntimeConn::connect(proxy.local_addr()).await;
    let (status, _, body) = runtime.get_next().await;
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(json["errorType"], "Fnguard.UpstreamUnavailable");
    let message = json["errorMessage"].as_str().unwrap();
    assert!(message.contains(&closed.to_string()), "{message}");
    // A forwarded call fails the same way.
    let request = Request::post("/2018-06-01/runtime/init/error")
        .header("host", "127.0.0.1")
        .body(full(Bytes::from_static(b"{}")))
        .unwrap();
    let (status, ..) = runtime.send(request).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_the_upstream_does_not_accept_is_fatal() {
    let fake = FakeApi::start().await;
    fake.set_error_status(500);
    let gate = Arc::new(ScriptedGate::default()).on("r1", reject("Fnguard.InputInvalid", "bad"));
    let mut proxy = start_proxy(&fake, vec![gate]).await;
    fake.push_event(FakeEvent::new("r1", "{}"));
    fake.push_event(FakeEvent::new("r2", "{}"));
    let (status, _, body) = RuntimeConn::connect(proxy.local_addr())
        .await
        .get_next()
        .await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert!(String::from_utf8_lossy(&body).contains("500"));
    let report = tokio::time::timeout(Duration::from_secs(5), proxy.fatal())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.request_id, "r1");
    assert_eq!(report.error_type, "Fnguard.UpstreamUnavailable");
    assert_eq!(fake.queued_events(), 1, "r2 must not be fetched");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_event_answer_to_next_reaches_the_runtime_as_it_is() {
    let fake = FakeApi::start().await;
    let gate = Arc::new(ScriptedGate::default());
    let proxy = start_proxy(&fake, vec![gate.clone()]).await;
    let mut event = FakeEvent::new("unused", "");
    event.status = Some(500);
    fake.push_event(event);
    let (status, _, body) = RuntimeConn::connect(proxy.local_addr())
        .await
        .get_next()
        .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body, r#"{"errorType":"ServiceException"}"#);
    assert!(gate.seen().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_runtime_api_paths_are_served() {
    let fake = FakeApi::start().await;
    let proxy = start_proxy(&fake, vec![]).await;
    let request = Request::post("/2020-01-01/extension/register")
        .header("host", "127.0.0.1")
        .body(full(Bytes::from_static(b"{}")))
        .unwrap();
    let (status, _, body, _) = RuntimeConn::connect(proxy.local_addr())
        .await
        .send(request)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(String::from_utf8_lossy(&body).contains("/2018-06-01/runtime/"));
    assert!(fake.recorded().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_closes_the_listener() {
    let fake = FakeApi::start().await;
    let proxy = start_proxy(&fake, vec![]).await;
    let addr = proxy.local_addr();
    proxy.shutdown().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

/// A log sink the test reads back.
#[derive(Clone, Default)]
struct LogLines(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogLines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl LogLines {
    fn lines(&self) -> Vec<serde_json::Value> {
        String::from_utf8(self.0.lock().unwrap().clone())
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

struct Panicking;

impl InvocationGate for Panicking {
    fn before_invoke(&self, ctx: &InvokeContext<'_>) -> Verdict {
        panic!(
            "secret-looking event text {}",
            String::from_utf8_lossy(ctx.body)
        );
    }
}

async fn proxy_failing(
    fake: &FakeApi,
    fail: FailPolicy,
    gates: Vec<Arc<dyn InvocationGate>>,
) -> (RuntimeProxy, LogLines) {
    let log = LogLines::default();
    let mut settings = ProxySettings::new("127.0.0.1:0".parse().unwrap(), &fake.authority());
    settings.fail = fail;
    settings.logger = Some(Logger::new(log.clone(), Some("orders".into())));
    (RuntimeProxy::start(settings, gates).await.unwrap(), log)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_gate_is_fatal_when_failing_closed() {
    let mut fake = FakeApi::start().await;
    let after = Arc::new(ScriptedGate::default());
    let (mut proxy, log) = proxy_failing(
        &fake,
        FailPolicy::Closed,
        vec![Arc::new(Panicking), after.clone()],
    )
    .await;
    fake.push_event(FakeEvent::new("r1", "{\"password\":\"hunter2\"}"));
    let (status, ..) = RuntimeConn::connect(proxy.local_addr())
        .await
        .get_next()
        .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    let report = tokio::time::timeout(Duration::from_secs(5), proxy.fatal())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.error_type, GUARD_FAILURE);
    assert_eq!(report.request_id, "r1");
    let error = fake.wait_for("/invocation/r1/error").await;
    assert_eq!(
        error.headers["lambda-runtime-function-error-type"],
        GUARD_FAILURE
    );
    assert!(after.seen().is_empty());
    let lines = log.lines();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["control"], "guard");
    assert_eq!(lines[0]["decision"], "deny");
    assert_eq!(lines[0]["mode"], "enforce");
    assert_eq!(lines[0]["request_id"], "r1");
    assert_eq!(lines[0]["function"], "orders");
    // Neither the panic's text nor the event reaches the log or the API.
    let all = format!("{lines:?}{}", String::from_utf8_lossy(&error.body));
    assert!(
        !all.contains("hunter2") && !all.contains("secret-looking"),
        "{all}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_gate_is_skipped_and_logged_when_failing_open() {
    let fake = FakeApi::start().await;
    let after = Arc::new(ScriptedGate::default());
    let (proxy, log) = proxy_failing(
        &fake,
        FailPolicy::Open,
        vec![Arc::new(Panicking), after.clone()],
    )
    .await;
    fake.push_event(FakeEvent::new("r1", "{}"));
    let (status, headers, _) = RuntimeConn::connect(proxy.local_addr())
        .await
        .get_next()
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["lambda-runtime-aws-request-id"], "r1");
    assert_eq!(after.seen().len(), 1, "the next gate still ran");
    let lines = log.lines();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["control"], "guard");
    assert_eq!(lines[0]["decision"], "allow");
    assert_eq!(lines[0]["mode"], "report");
    assert!(fake.recorded_to("/error").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_failure_is_logged() {
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let log = LogLines::default();
    let mut settings = ProxySettings::new("127.0.0.1:0".parse().unwrap(), &closed.to_string());
    settings.logger = Some(Logger::new(log.clone(), None));
    let proxy = RuntimeProxy::start(settings, vec![]).await.unwrap();
    let (status, ..) = RuntimeConn::connect(proxy.local_addr())
        .await
        .get_next()
        .await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    let lines = log.lines();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["control"], "guard");
    assert_eq!(lines[0]["decision"], "deny");
    assert_eq!(lines[0]["details"]["reason"], "upstream failure");
    let error = lines[0]["details"]["error"].as_str().unwrap();
    assert!(error.contains(&closed.to_string()), "{error}");
}

/// Reads one HTTP/1.1 message: its head (up to the blank line, as text) and
/// a body of `Content-Length` bytes.
async fn read_message(stream: &mut tokio::net::TcpStream) -> Option<(String, Vec<u8>)> {
    let mut data = Vec::new();
    let mut byte = [0u8; 1];
    while !data.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).await.ok()? == 0 {
            return None;
        }
        data.push(byte[0]);
    }
    let head = String::from_utf8(data).unwrap();
    let length = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse::<usize>().unwrap())
        })
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).await.ok()?;
    Some((head, body))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn header_names_keep_their_case_both_ways() {
    // An upstream that writes raw bytes and records the heads it receives.
    let upstream = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream_addr = upstream.local_addr().unwrap();
    let (heads_tx, mut heads) = tokio::sync::mpsc::unbounded_channel();
    let server = tokio::spawn(async move {
        loop {
            let (mut stream, _) = upstream.accept().await.unwrap();
            let heads_tx = heads_tx.clone();
            tokio::spawn(async move {
                while let Some((head, _)) = read_message(&mut stream).await {
                    heads_tx.send(head).unwrap();
                    let answer = "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: r1\r\n\
                                  Lambda-Runtime-Deadline-Ms: 1796518800000\r\n\
                                  Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
                    stream.write_all(answer.as_bytes()).await.unwrap();
                }
            });
        }
    });
    let proxy = RuntimeProxy::start(
        ProxySettings::new("127.0.0.1:0".parse().unwrap(), &upstream_addr.to_string()),
        vec![],
    )
    .await
    .unwrap();
    let mut runtime = tokio::net::TcpStream::connect(proxy.local_addr())
        .await
        .unwrap();
    runtime
        .write_all(
            b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: 127.0.0.1:9009\r\n\
              User-Agent: aws-lambda-ric/2.0\r\nX-Mixed-Case: 1\r\n\r\n",
        )
        .await
        .unwrap();
    let (head, body) = tokio::time::timeout(Duration::from_secs(5), read_message(&mut runtime))
        .await
        .unwrap()
        .unwrap();
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(
        head.contains("\r\nLambda-Runtime-Aws-Request-Id: r1\r\n"),
        "{head}"
    );
    assert!(
        head.contains("\r\nLambda-Runtime-Deadline-Ms: 1796518800000\r\n"),
        "{head}"
    );
    assert_eq!(body, b"{}");
    let sent = heads.recv().await.unwrap();
    assert!(
        sent.contains("\r\nUser-Agent: aws-lambda-ric/2.0\r\n"),
        "{sent}"
    );
    assert!(sent.contains("\r\nX-Mixed-Case: 1\r\n"), "{sent}");
    server.abort();
}

/// Holds `held_id` in its check until the test releases it; fatal on
/// `fatal_id`.
struct HoldingGate {
    held_id: &'static str,
    fatal_id: &'static str,
    release: Arc<std::sync::atomic::AtomicBool>,
}

impl InvocationGate for HoldingGate {
    fn before_invoke(&self, ctx: &InvokeContext<'_>) -> Verdict {
        if ctx.request_id == self.fatal_id {
            return Verdict::Fatal {
                error_type: "Fnguard.IntegrityFailure".into(),
                message: "runtime replaced".into(),
            };
        }
        if ctx.request_id == self.held_id {
            let until = Instant::now() + Duration::from_secs(10);
            while !self.release.load(std::sync::atomic::Ordering::SeqCst) && Instant::now() < until
            {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        Verdict::Pass
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 3)]
async fn an_event_checked_while_another_connection_went_fatal_is_refused() {
    let mut fake = FakeApi::start().await;
    let release = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let gate = Arc::new(HoldingGate {
        held_id: "r-held",
        fatal_id: "r-bad",
        release: release.clone(),
    });
    let mut proxy = start_proxy(&fake, vec![gate]).await;
    fake.push_event(FakeEvent::new("r-held", "{}"));
    let first = {
        let addr = proxy.local_addr();
        tokio::spawn(async move { RuntimeConn::connect(addr).await.get_next().await })
    };
    fake.wait_for("/invocation/next").await;
    // r-held is taken and held in its check; a second connection gets the
    // fatal one.
    while fake.queued_events() > 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    fake.push_event(FakeEvent::new("r-bad", "{}"));
    let (status, ..) = RuntimeConn::connect(proxy.local_addr())
        .await
        .get_next()
        .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(proxy.fatal().await.is_some());
    release.store(true, std::sync::atomic::Ordering::SeqCst);
    let (status, _, body) = first.await.unwrap();
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(String::from_utf8_lossy(&body).contains("Fnguard.Stopped"));
    let refused = fake.wait_for("/invocation/r-held/error").await;
    assert_eq!(
        refused.headers["lambda-runtime-function-error-type"],
        "Fnguard.Stopped"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_that_closes_idle_connections_fails_no_request() {
    // Keeps a connection while it is used, closes it after 20 ms idle (as a
    // server's idle timeout does): the proxy must notice the closed pooled
    // connection and use a new one, and no request may fail. (An upstream
    // that closes at the very moment a request is written is a race no
    // HTTP client can win for a POST; Lambda's API does not do that.)
    let upstream = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream_addr = upstream.local_addr().unwrap();
    let server = tokio::spawn(async move {
        loop {
            let (mut stream, _) = upstream.accept().await.unwrap();
            tokio::spawn(async move {
                while let Ok(Some(_)) =
                    tokio::time::timeout(Duration::from_millis(20), read_message(&mut stream)).await
                {
                    let answer =
                        "HTTP/1.1 202 Accepted\r\nContent-Length: 15\r\n\r\n{\"status\":\"OK\"}";
                    if stream.write_all(answer.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    let proxy = RuntimeProxy::start(
        ProxySettings::new("127.0.0.1:0".parse().unwrap(), &upstream_addr.to_string()),
        vec![],
    )
    .await
    .unwrap();
    let mut runtime = RuntimeConn::connect(proxy.local_addr()).await;
    for i in 0..30 {
        let request = Request::post(format!("/2018-06-01/runtime/invocation/r{i}/response"))
            .header("host", "127.0.0.1")
            .body(full(Bytes::from_static(b"{}")))
            .unwrap();
        let (status, ..) = runtime.send(request).await;
        assert_eq!(status, StatusCode::ACCEPTED, "request {i}");
        if i % 3 == 0 {
            // Idle past the upstream's timeout, as between two invocations.
            tokio::time::sleep(Duration::from_millis(80)).await;
        }
    }
    server.abort();
}

/// Records the order of `prepare` and `before_invoke` calls, with the
/// connection each was for; panics in `prepare` when told to.
#[derive(Default)]
struct PreparingGate {
    calls: Mutex<Vec<(String, u64)>>,
    panic_in_prepare: bool,
}

impl InvocationGate for PreparingGate {
    fn prepare(&self, ctx: &PrepareContext) {
        self.calls
            .lock()
            .unwrap()
            .push(("prepare".into(), ctx.connection));
        assert!(!self.panic_in_prepare, "a gate that fails to prepare");
    }

    fn before_invoke(&self, ctx: &InvokeContext<'_>) -> Verdict {
        self.calls
            .lock()
            .unwrap()
            .push((format!("invoke {}", ctx.request_id), ctx.connection));
        Verdict::Pass
    }
}

#[tokio::test(flavor = "current_thread")]
async fn gates_prepare_when_the_runtime_asks_and_the_progress_follows_it() {
    let fake = FakeApi::start().await;
    let gate = Arc::new(PreparingGate::default());
    let proxy = start_proxy(&fake, vec![gate.clone()]).await;
    let mut progress = proxy.progress();
    assert_eq!(*progress.borrow(), RuntimeProgress::default());
    let mut runtime = RuntimeConn::connect(proxy.local_addr()).await;

    fake.push_event(FakeEvent::new("r1", "{}"));
    let (status, ..) = runtime.get_next().await;
    assert_eq!(status, StatusCode::OK);
    // Handed to the runtime, which has not asked again yet.
    assert_eq!(
        *progress.borrow_and_update(),
        RuntimeProgress {
            last_event: Some("r1".into()),
            prepared: false
        }
    );
    let respond = Request::post("/2018-06-01/runtime/invocation/r1/response")
        .header("host", "127.0.0.1")
        .body(full(Bytes::from_static(b"{}")))
        .unwrap();
    assert_eq!(runtime.send(respond).await.0, StatusCode::ACCEPTED);

    // The runtime asks for the next event: the gates prepare before the
    // proxy has anything to give it, and the progress says so.
    let next = tokio::spawn(async move { runtime.get_next().await });
    tokio::time::timeout(
        Duration::from_secs(5),
        progress.wait_for(|p| p.prepared && p.last_event.as_deref() == Some("r1")),
    )
    .await
    .expect("prepared after r1")
    .unwrap();
    fake.push_event(FakeEvent::new("r2", "{}"));
    assert_eq!(next.await.unwrap().0, StatusCode::OK);

    let calls = gate.calls.lock().unwrap().clone();
    let names: Vec<&str> = calls.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["prepare", "invoke r1", "prepare", "invoke r2"]);
    assert!(
        calls
            .iter()
            .all(|(_, connection)| *connection == calls[0].1),
        "one connection: {calls:?}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_gate_that_panics_while_preparing_is_logged_and_still_checks_the_event() {
    let fake = FakeApi::start().await;
    let log = LogLines::default();
    let gate = Arc::new(PreparingGate {
        panic_in_prepare: true,
        ..PreparingGate::default()
    });
    let mut settings = ProxySettings::new("127.0.0.1:0".parse().unwrap(), &fake.authority());
    settings.logger = Some(Logger::new(log.clone(), None));
    let proxy = RuntimeProxy::start(settings, vec![gate.clone()])
        .await
        .unwrap();
    fake.push_event(FakeEvent::new("r1", "{}"));
    let (status, ..) = RuntimeConn::connect(proxy.local_addr())
        .await
        .get_next()
        .await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<String> = gate
        .calls
        .lock()
        .unwrap()
        .iter()
        .map(|(name, _)| name.clone())
        .collect();
    assert_eq!(names, ["prepare", "invoke r1"]);
    let lines = log.lines();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["control"], "guard");
    let reason = lines[0]["details"]["reason"].as_str().unwrap();
    assert!(reason.contains("panicked while preparing"), "{reason}");
    assert!(!reason.contains("a gate that fails"), "{reason}");
}
