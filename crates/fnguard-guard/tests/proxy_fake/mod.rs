//! A small fake of Lambda's Runtime and Extensions APIs on loopback for the
//! proxy and extension-client tests: it hands out queued events and records
//! every request it receives (method, path, headers, body, trailers). The
//! full emulator for end-to-end tests lives in tests/support/.

#![allow(dead_code)] // each test file uses part of it

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Frame, Incoming};
use hyper::{HeaderMap, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, Notify};

pub type TestBody = BoxBody<Bytes, Infallible>;

/// An event `GET /runtime/invocation/next` answers with.
#[derive(Clone, Debug)]
pub struct FakeEvent {
    pub request_id: String,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    /// Sent chunked (no Content-Length), in pieces of this size.
    pub chunked: Option<usize>,
    /// Answered with this status instead of 200 (and no request id).
    pub status: Option<u16>,
}

impl FakeEvent {
    pub fn new(request_id: &str, body: impl Into<Bytes>) -> FakeEvent {
        FakeEvent {
            request_id: request_id.to_string(),
            headers: vec![
                ("Lambda-Runtime-Deadline-Ms".into(), "1796518800000".into()),
                (
                    "Lambda-Runtime-Invoked-Function-Arn".into(),
                    "arn:aws:lambda:us-east-1:123456789012:function:orders".into(),
                ),
                (
                    "Lambda-Runtime-Trace-Id".into(),
                    "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1"
                        .into(),
                ),
                ("Content-Type".into(), "application/json".into()),
            ],
            body: body.into(),
            chunked: None,
            status: None,
        }
    }
}

/// A request the fake received.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub trailers: Option<HeaderMap>,
}

#[derive(Default)]
struct Shared {
    events: Mutex<VecDeque<FakeEvent>>,
    extension_events: Mutex<VecDeque<serde_json::Value>>,
    event_ready: Notify,
    recorded: Mutex<Vec<Recorded>>,
    connections: AtomicUsize,
    /// Status for the answers to /invocation/{id}/error (202 unless set).
    error_status: Mutex<Option<u16>>,
    /// Status and body for every Extensions API call from now on.
    extension_failure: Mutex<Option<(u16, String)>>,
}

/// The fake; stopped when dropped.
pub struct FakeApi {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    recorded_rx: mpsc::UnboundedReceiver<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeApi {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeApi {
    pub async fn start() -> FakeApi {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared::default());
        let (tx, rx) = mpsc::unbounded_channel();
        let task = {
            let shared = shared.clone();
            tokio::spawn(async move {
                let mut connections = tokio::task::JoinSet::new();
                loop {
                    let (stream, _) = listener.accept().await.unwrap();
                    shared.connections.fetch_add(1, Ordering::SeqCst);
                    let shared = shared.clone();
                    let tx = tx.clone();
                    connections.spawn(async move {
                        let service = hyper::service::service_fn(move |req| {
                            let shared = shared.clone();
                            let tx = tx.clone();
                            async move { Ok::<_, Infallible>(answer(&shared, &tx, req).await) }
                        });
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
            })
        };
        FakeApi {
            addr,
            shared,
            recorded_rx: rx,
            task,
        }
    }

    pub fn authority(&self) -> String {
        self.addr.to_string()
    }

    pub fn push_event(&self, event: FakeEvent) {
        self.shared.events.lock().unwrap().push_back(event);
        self.shared.event_ready.notify_waiters();
        self.shared.event_ready.notify_one();
    }

    pub fn push_extension_event(&self, event: serde_json::Value) {
        self.shared
            .extension_events
            .lock()
            .unwrap()
            .push_back(event);
        self.shared.event_ready.notify_waiters();
        self.shared.event_ready.notify_one();
    }

    pub fn queued_events(&self) -> usize {
        self.shared.events.lock().unwrap().len()
    }

    pub fn set_error_status(&self, status: u16) {
        *self.shared.error_status.lock().unwrap() = Some(status);
    }

    /// Makes every later Extensions API call answer `status` and `body`.
    pub fn fail_extension_calls(&self, status: u16, body: &str) {
        *self.shared.extension_failure.lock().unwrap() = Some((status, body.to_string()));
    }

    /// Every request received so far.
    pub fn recorded(&self) -> Vec<Recorded> {
        self.shared.recorded.lock().unwrap().clone()
    }

    /// Requests to paths ending with `suffix`.
    pub fn recorded_to(&self, suffix: &str) -> Vec<Recorded> {
        self.recorded()
            .into_iter()
            .filter(|r| r.path.ends_with(suffix))
            .collect()
    }

    /// Waits until a request to a path ending with `suffix` was recorded.
    pub async fn wait_for(&mut self, suffix: &str) -> Recorded {
        loop {
            if let Some(r) = self.recorded_to(suffix).pop() {
                return r;
            }
            tokio::time::timeout(std::time::Duration::from_secs(10), self.recorded_rx.recv())
                .await
                .expect("the fake API waited 10 s for a request")
                .unwrap();
        }
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }
}

async fn answer(
    shared: &Shared,
    recorded: &mpsc::UnboundedSender<()>,
    request: Request<Incoming>,
) -> Response<TestBody> {
    let (parts, body) = request.into_parts();
    let mut data = Vec::new();
    let mut trailers = None;
    let mut body = body;
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else { break };
        match frame.into_data() {
            Ok(d) => data.extend_from_slice(&d),
            Err(frame) => trailers = frame.into_trailers().ok(),
        }
    }
    let path = parts.uri.path().to_string();
    shared.recorded.lock().unwrap().push(Recorded {
        method: parts.method.to_string(),
        path: path.clone(),
        headers: parts.headers.clone(),
        body: Bytes::from(data),
        trailers,
    });
    let _ = recorded.send(());

    if path.starts_with("/2020-01-01/extension/") {
        if let Some((status, body)) = shared.extension_failure.lock().unwrap().clone() {
            return json(status, &body);
        }
    }
    match (parts.method.as_str(), path.as_str()) {
        ("GET", "/2018-06-01/runtime/invocation/next") => {
            let event = loop {
                let notified = shared.event_ready.notified();
                if let Some(event) = shared.events.lock().unwrap().pop_front() {
                    break event;
                }
                notified.await;
            };
            event_response(event)
        }
        ("POST", p)
            if p.starts_with("/2018-06-01/runtime/invocation/") && p.ends_with("/error") =>
        {
            let status = shared.error_status.lock().unwrap().unwrap_or(202);
            json(status, r#"{"status":"OK"}"#)
        }
        ("POST", p) if p.starts_with("/2018-06-01/runtime/") => json(202, r#"{"status":"OK"}"#),
        ("POST", "/2020-01-01/extension/register") => {
            let mut response = json(
                200,
                r#"{"functionName":"orders","functionVersion":"$LATEST","handler":"app.handler"}"#,
            );
            response
                .headers_mut()
                .insert("lambda-extension-identifier", "ext-8a1f".parse().unwrap());
            response
        }
        ("GET", "/2020-01-01/extension/event/next") => {
            if parts.headers.get("lambda-extension-identifier").is_none() {
                return json(403, r#"{"errorType":"Extension.Forbidden"}"#);
            }
            let event = loop {
                let notified = shared.event_ready.notified();
                if let Some(event) = shared.extension_events.lock().unwrap().pop_front() {
                    break event;
                }
                notified.await;
            };
            json(200, &event.to_string())
        }
        ("POST", "/2020-01-01/extension/init/error" | "/2020-01-01/extension/exit/error") => {
            json(202, r#"{"status":"OK"}"#)
        }
        _ => json(404, r#"{"errorType":"NotFound"}"#),
    }
}

fn json(status: u16, text: &str) -> Response<TestBody> {
    let mut response = Response::new(full(Bytes::from(text.to_string())));
    *response.status_mut() = StatusCode::from_u16(status).unwrap();
    response
        .headers_mut()
        .insert("content-type", "application/json".parse().unwrap());
    response
}

fn event_response(event: FakeEvent) -> Response<TestBody> {
    if let Some(status) = event.status {
        return json(status, r#"{"errorType":"ServiceException"}"#);
    }
    let body = match event.chunked {
        None => full(event.body.clone()),
        Some(size) => {
            let chunks: Vec<Result<Frame<Bytes>, Infallible>> = event
                .body
                .chunks(size)
                .map(|c| Ok(Frame::data(Bytes::copy_from_slice(c))))
                .collect();
            ChunkedBody {
                frames: chunks.into(),
            }
            .boxed()
        }
    };
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(
        "lambda-runtime-aws-request-id",
        event.request_id.parse().unwrap(),
    );
    for (name, value) in &event.headers {
        headers.append(
            hyper::header::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            value.parse().unwrap(),
        );
    }
    response
}

pub fn full(bytes: Bytes) -> TestBody {
    Full::new(bytes).boxed()
}

/// A body of ready frames of unknown total length: hyper sends it chunked.
struct ChunkedBody {
    frames: VecDeque<Result<Frame<Bytes>, Infallible>>,
}

impl hyper::body::Body for ChunkedBody {
    type Data = Bytes;
    type Error = Infallible;
    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        std::task::Poll::Ready(self.frames.pop_front())
    }
}

/// A runtime's keep-alive connection to the proxy (or straight to the fake).
pub struct RuntimeConn {
    sender: hyper::client::conn::http1::SendRequest<TestBody>,
    pub local: SocketAddr,
}

impl RuntimeConn {
    pub async fn connect(addr: SocketAddr) -> RuntimeConn {
        let stream = TcpStream::connect(addr).await.unwrap();
        stream.set_nodelay(true).unwrap();
        let local = stream.local_addr().unwrap();
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(async move {
            let _ = conn.await;
        });
        RuntimeConn { sender, local }
    }

    /// Sends a request and reads the whole answer: status, headers, body,
    /// trailers.
    pub async fn send(
        &mut self,
        request: Request<TestBody>,
    ) -> (StatusCode, HeaderMap, Bytes, Option<HeaderMap>) {
        self.sender.ready().await.unwrap();
        let response = self.sender.send_request(request).await.unwrap();
        let (parts, mut body) = response.into_parts();
        let mut data = Vec::new();
        let mut trailers = None;
        while let Some(frame) = body.frame().await {
            match frame.unwrap().into_data() {
                Ok(d) => data.extend_from_slice(&d),
                Err(frame) => trailers = frame.into_trailers().ok(),
            }
        }
        (parts.status, parts.headers, Bytes::from(data), trailers)
    }

    pub async fn get_next(&mut self) -> (StatusCode, HeaderMap, Bytes) {
        let request = Request::get("/2018-06-01/runtime/invocation/next")
            .header("host", "127.0.0.1")
            .header("user-agent", "aws-lambda-ric/2.0")
            .body(full(Bytes::new()))
            .unwrap();
        let (status, headers, body, _) = self.send(request).await;
        (status, headers, body)
    }
}
