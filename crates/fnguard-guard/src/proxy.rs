//! The Runtime API proxy (research/runtime.md §1, "the proxy pattern").
//!
//! The wrapper script points the runtime's `AWS_LAMBDA_RUNTIME_API` at
//! `127.0.0.1:PORT`; the proxy forwards every `/2018-06-01/runtime/...` call
//! to the real API, headers and bodies untouched (bodies streamed, chunked
//! bodies and their trailers kept, so streamed responses pass), except one:
//! on `GET /2018-06-01/runtime/invocation/next` it fetches the event itself
//! and runs the [`InvocationGate`]s, in order, before the runtime sees it.
//!
//! - [`Verdict::Pass`] from every gate: the runtime gets the event as the
//!   API sent it.
//! - [`Verdict::Reject`]: the invocation is answered upstream with an error
//!   (`POST /invocation/{id}/error`), the runtime never sees it, and the
//!   proxy fetches the next event for it.
//! - [`Verdict::Fatal`]: the same error upstream, then the proxy stops
//!   serving the runtime (every later call gets a 500) and sends a
//!   [`FatalReport`] to [`RuntimeProxy::fatal`], whose caller posts
//!   `exit/error` and exits non-zero so that Lambda resets the environment.
//!
//! A failure of the proxy itself (the upstream down, an answer it cannot
//! read) gives the runtime a 502 with a JSON error naming the cause, never a
//! hang and never an unchecked event.
//!
//! ```no_run
//! # async fn run(gates: Vec<std::sync::Arc<dyn fnguard_guard::proxy::InvocationGate>>)
//! # -> Result<(), fnguard_guard::proxy::ProxyError> {
//! use fnguard_guard::proxy::{ProxySettings, RuntimeProxy};
//! let upstream = std::env::var("AWS_LAMBDA_RUNTIME_API").unwrap_or_default();
//! let settings = ProxySettings::new("127.0.0.1:9009".parse().unwrap(), &upstream);
//! let mut proxy = RuntimeProxy::start(settings, gates).await?;
//! if let Some(report) = proxy.fatal().await {
//!     // post exit/error with report.error_type and report.message, exit 1
//! }
//! # Ok(()) }
//! ```

pub mod upstream;

use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderName, HeaderValue, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::{HeaderMap, Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinSet;

use crate::config::{Config, FailPolicy, Mode};
use crate::log::{Control, Decision, Logger};
use upstream::{read_limited, BoxError, ProxyBody, ReadError, Upstream, UpstreamError};

/// Where every Runtime API path starts.
pub const RUNTIME_PREFIX: &str = "/2018-06-01/runtime/";
const NEXT_PATH: &str = "/2018-06-01/runtime/invocation/next";
const REQUEST_ID_HEADER: &str = "lambda-runtime-aws-request-id";
const FUNCTION_ERROR_TYPE_HEADER: &str = "lambda-runtime-function-error-type";

/// The largest event the proxy holds in memory to show the gates: above
/// Lambda's 6 MB payload limit, so that any event Lambda accepts passes.
pub const DEFAULT_MAX_EVENT_BYTES: usize = 8 * 1024 * 1024;

/// The error type posted upstream for an event above the proxy's limit.
pub const EVENT_TOO_LARGE: &str = "Fnguard.EventTooLarge";
/// The error type of the runtime's calls after a fatal verdict.
pub const STOPPED: &str = "Fnguard.Stopped";
const STOPPED_MESSAGE: &str =
    "fnguard stopped this environment after a fatal check; it is being reset";
/// The error type of the fatal verdict a panicking gate turns into when the
/// guard fails closed.
pub const GUARD_FAILURE: &str = "Fnguard.GuardFailure";

/// Hop-by-hop headers (RFC 9110 §7.6.1) are about one connection and are
/// not forwarded. `Expect` is answered by the proxy's own server (it sends
/// `100 Continue` when it starts reading the body) and `Host` is set to the
/// upstream. `Transfer-Encoding` and `Trailer` are kept: they describe the
/// body the proxy streams through unchanged.
const NOT_FORWARDED: [&str; 7] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "upgrade",
    "expect",
    "host",
    "te",
];

/// What the gates see when the runtime asks for its next event, before the
/// proxy asks upstream for it.
#[derive(Clone, Copy, Debug)]
pub struct PrepareContext {
    /// The runtime's end of the connection that asks.
    pub runtime_peer: SocketAddr,
    /// The proxy's end of that connection.
    pub proxy_local: SocketAddr,
    /// The connection's number (see [`InvokeContext::connection`]).
    pub connection: u64,
}

/// Where the runtime stands, for the extension's post-invoke phase (see
/// [`RuntimeProxy::progress`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RuntimeProgress {
    /// The last invocation the proxy handed to the runtime, or answered
    /// itself (a rejected event).
    pub last_event: Option<String>,
    /// Whether, since then, the runtime asked for its next event and every
    /// gate's [`InvocationGate::prepare`] has run.
    pub prepared: bool,
}

/// What the gates see of one invocation, before the runtime does.
#[derive(Debug)]
pub struct InvokeContext<'a> {
    /// `Lambda-Runtime-Aws-Request-Id`.
    pub request_id: &'a str,
    /// The runtime's end of the connection that asked for the event
    /// (integrity::process finds the runtime process from it).
    pub runtime_peer: SocketAddr,
    /// The proxy's end of that connection.
    pub proxy_local: SocketAddr,
    /// The connection's number, unique for the proxy's life (a new
    /// connection from the same address gets a new one): what a gate may
    /// remember per connection.
    pub connection: u64,
    /// The headers of the event as the Runtime API sent them.
    pub headers: &'a HeaderMap,
    /// The event.
    pub body: &'a [u8],
}

/// A gate's decision on one invocation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    /// Answer this invocation with an error upstream; never give it to the
    /// runtime; fetch the next event for it.
    Reject {
        error_type: String,
        message: String,
    },
    /// As `Reject`, then stop: the environment must be reset.
    Fatal {
        error_type: String,
        message: String,
    },
}

/// A check run on every invocation before the runtime gets the event. Gates
/// run in the order given; the first verdict other than `Pass` ends the
/// round. A gate in report mode logs and returns `Pass`.
/// [`InvocationGate::prepare`] runs on a blocking thread and may block;
/// [`InvocationGate::before_invoke`] is on the event's path and should be
/// quick (on a current-thread runtime it runs in place and holds up every
/// other task while it runs; on a multi-thread one, in `block_in_place`).
pub trait InvocationGate: Send + Sync {
    /// Runs when the runtime asks for its next event, before the proxy
    /// forwards the request: in Lambda that is the previous invocation's
    /// post-invoke phase (its response is out, the environment not yet
    /// frozen, see [`RuntimeProxy::progress`]), so the costly part of a
    /// check belongs here, and [`InvocationGate::before_invoke`] confirms
    /// cheaply that nothing changed since. A panic here is logged and
    /// otherwise ignored: `before_invoke` must then check everything.
    fn prepare(&self, _ctx: &PrepareContext) {}

    fn before_invoke(&self, ctx: &InvokeContext<'_>) -> Verdict;
}

/// A fatal verdict (or a failure that leaves an invocation neither answered
/// nor delivered), sent once to [`RuntimeProxy::fatal`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FatalReport {
    pub request_id: String,
    pub error_type: String,
    pub message: String,
}

/// Where the proxy listens and what it forwards to.
#[derive(Clone, Debug)]
pub struct ProxySettings {
    /// `127.0.0.1:9009` in Lambda; port 0 in tests.
    pub listen: SocketAddr,
    /// `host:port` of the real Runtime API (`AWS_LAMBDA_RUNTIME_API` as the
    /// extension saw it).
    pub upstream: String,
    /// Events above this size are answered upstream with
    /// [`EVENT_TOO_LARGE`] and never reach the gates or the runtime.
    pub max_event_bytes: usize,
    /// What a gate that panics means: `Closed` makes it a fatal verdict,
    /// `Open` logs it and goes on to the next gate (`FNGUARD_FAIL`).
    pub fail: FailPolicy,
    /// Where the proxy logs its own failures (control `guard`, mode
    /// `enforce` when failing closed, `report` when failing open). The
    /// gates log their own decisions.
    pub logger: Option<Logger>,
}

impl ProxySettings {
    /// The settings of the guard in Lambda: `127.0.0.1:[proxy] port`, the
    /// fail policy of `FNGUARD_FAIL`, the given upstream and logger.
    pub fn from_config(config: &Config, upstream: &str, logger: Logger) -> ProxySettings {
        ProxySettings {
            fail: config.fail,
            logger: Some(logger),
            ..ProxySettings::new(
                SocketAddr::from(([127, 0, 0, 1], config.proxy.port)),
                upstream,
            )
        }
    }

    pub fn new(listen: SocketAddr, upstream: &str) -> ProxySettings {
        ProxySettings {
            listen,
            upstream: upstream.to_string(),
            max_event_bytes: DEFAULT_MAX_EVENT_BYTES,
            fail: FailPolicy::Closed,
            logger: None,
        }
    }
}

/// Why the proxy could not start.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    #[error("the Runtime API proxy cannot listen on {listen}: {source}")]
    Bind {
        listen: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
}

/// A running proxy. Dropping it (or [`RuntimeProxy::shutdown`]) stops it and
/// closes its connections.
#[derive(Debug)]
pub struct RuntimeProxy {
    local_addr: SocketAddr,
    fatal: mpsc::UnboundedReceiver<FatalReport>,
    progress: watch::Receiver<RuntimeProgress>,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

struct State {
    upstream: Upstream,
    gates: Vec<Arc<dyn InvocationGate>>,
    max_event_bytes: usize,
    fail: FailPolicy,
    logger: Option<Logger>,
    /// Set by the first fatal verdict: from then on the runtime gets nothing.
    stopped: AtomicBool,
    fatal: mpsc::UnboundedSender<FatalReport>,
    progress: watch::Sender<RuntimeProgress>,
}

impl State {
    /// Logs a failure of the proxy itself. A lost log line cannot be
    /// reported anywhere else, so its error is dropped.
    fn log_guard(&self, decision: Decision, request_id: Option<&str>, details: serde_json::Value) {
        if let Some(logger) = &self.logger {
            let mode = match self.fail {
                FailPolicy::Closed => Mode::Enforce,
                FailPolicy::Open => Mode::Report,
            };
            let _ = logger.event(Control::Guard, decision, mode, request_id, details);
        }
    }
}

impl RuntimeProxy {
    /// Binds the listener and starts serving on the current Tokio runtime.
    pub async fn start(
        settings: ProxySettings,
        gates: Vec<Arc<dyn InvocationGate>>,
    ) -> Result<RuntimeProxy, ProxyError> {
        let upstream = Upstream::new(&settings.upstream)?;
        let listener =
            TcpListener::bind(settings.listen)
                .await
                .map_err(|source| ProxyError::Bind {
                    listen: settings.listen,
                    source,
                })?;
        let local_addr = listener.local_addr().map_err(|source| ProxyError::Bind {
            listen: settings.listen,
            source,
        })?;
        let (fatal_tx, fatal_rx) = mpsc::unbounded_channel();
        let (progress_tx, progress_rx) = watch::channel(RuntimeProgress::default());
        let state = Arc::new(State {
            upstream,
            gates,
            max_event_bytes: settings.max_event_bytes,
            fail: settings.fail,
            logger: settings.logger,
            stopped: AtomicBool::new(false),
            fatal: fatal_tx,
            progress: progress_tx,
        });
        let (stop_tx, stop_rx) = oneshot::channel();
        let task = tokio::spawn(accept_loop(listener, state, stop_rx));
        Ok(RuntimeProxy {
            local_addr,
            fatal: fatal_rx,
            progress: progress_rx,
            stop: Some(stop_tx),
            task,
        })
    }

    /// The address the proxy listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Follows the runtime: which invocation it got last, and whether it has
    /// asked for the next one since, with the gates prepared. The guard's
    /// extension waits for that before it asks Lambda for its own next
    /// event, because Lambda ends an invocation, and may freeze the
    /// environment, once the runtime and every extension are waiting: the
    /// checks then run after the response is out, not on the next event's
    /// path.
    pub fn progress(&self) -> watch::Receiver<RuntimeProgress> {
        self.progress.clone()
    }

    /// Waits for the first fatal report; `None` once the proxy has stopped
    /// without one.
    pub async fn fatal(&mut self) -> Option<FatalReport> {
        self.fatal.recv().await
    }

    /// Stops accepting, closes every connection and waits for the proxy's
    /// task to end.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

impl Drop for RuntimeProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn accept_loop(listener: TcpListener, state: Arc<State>, mut stop: oneshot::Receiver<()>) {
    // Connections live in the set so that stopping the proxy ends them too.
    let mut connections = JoinSet::new();
    let mut accepted_count = 0u64;
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    accepted_count += 1;
                    connections.spawn(serve_connection(stream, peer, accepted_count, state.clone()));
                }
                // An accept error (too many open files) concerns one
                // connection; the listener goes on after a pause, so that
                // a lasting one does not spin a core.
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(10)).await,
            },
            // Reap finished connections so the set does not grow.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn serve_connection(stream: TcpStream, peer: SocketAddr, connection: u64, state: Arc<State>) {
    let _ = stream.set_nodelay(true);
    let Ok(local) = stream.local_addr() else {
        return;
    };
    let service = hyper::service::service_fn(move |request| {
        let state = state.clone();
        async move {
            Ok::<_, std::convert::Infallible>(handle(state, peer, local, connection, request).await)
        }
    });
    // Errors here are the runtime closing its connection; nothing to do.
    // Header names keep their case both ways: HTTP says case does not
    // matter, but a runtime client that compares names exactly must see
    // what it would see without the proxy.
    let _ = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .preserve_header_case(true)
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

async fn handle(
    state: Arc<State>,
    peer: SocketAddr,
    local: SocketAddr,
    connection: u64,
    request: Request<Incoming>,
) -> Response<ProxyBody> {
    if state.stopped.load(Ordering::SeqCst) {
        return stopped_response();
    }
    let path = request.uri().path();
    if !path.starts_with(RUNTIME_PREFIX) {
        return error_response(
            StatusCode::NOT_FOUND,
            "Fnguard.NotRuntimeApi",
            &format!("the fnguard proxy serves only {RUNTIME_PREFIX}... paths"),
        );
    }
    if request.method() == Method::GET && path == NEXT_PATH {
        let (runtime, _) = request.into_parts();
        next_invocation(&state, peer, local, connection, &runtime).await
    } else {
        forward(&state, request).await
    }
}

/// Any Runtime API call but `next`: streamed both ways.
async fn forward(state: &State, request: Request<Incoming>) -> Response<ProxyBody> {
    let (parts, body) = request.into_parts();
    let mut upstream_request = Request::new(body.map_err(BoxError::from).boxed());
    *upstream_request.method_mut() = parts.method;
    *upstream_request.uri_mut() = origin_form(&parts.uri);
    *upstream_request.headers_mut() = forwarded_headers(&parts.headers);
    // The extensions carry the original case of the header names.
    *upstream_request.extensions_mut() = parts.extensions;
    match state.upstream.send(upstream_request).await {
        Ok(response) => strip_response(response),
        Err(e) => upstream_failure(state, &e),
    }
}

/// `GET .../invocation/next`: fetch events until one passes every gate.
async fn next_invocation(
    state: &Arc<State>,
    peer: SocketAddr,
    local: SocketAddr,
    connection: u64,
    runtime: &hyper::http::request::Parts,
) -> Response<ProxyBody> {
    let prepare = PrepareContext {
        runtime_peer: peer,
        proxy_local: local,
        connection,
    };
    // The prepares may block a while (reading /proc, hashing files on
    // schedule): on a blocking thread, so that the egress proxy and other
    // connections go on meanwhile. A prepare that panics is caught inside.
    let preparing = state.clone();
    if tokio::task::spawn_blocking(move || run_prepares(&preparing, &prepare))
        .await
        .is_err()
    {
        // The blocking pool is gone (the runtime is shutting down).
        return stopped_response();
    }
    loop {
        // A fatal verdict on another connection stops this one too.
        if state.stopped.load(Ordering::SeqCst) {
            return stopped_response();
        }
        let mut request = Request::new(empty_body());
        *request.uri_mut() = hyper::Uri::from_static(NEXT_PATH);
        *request.headers_mut() = forwarded_headers(&runtime.headers);
        // The extensions carry the original case of the header names.
        *request.extensions_mut() = runtime.extensions.clone();
        let response = match state.upstream.send(request).await {
            Ok(response) => response,
            Err(e) => return upstream_failure(state, &e),
        };
        let (parts, body) = response.into_parts();
        if parts.status != StatusCode::OK {
            // Not an event (Lambda's 500 "exit now", for one): the runtime
            // must see it as it is.
            return strip_response(Response::from_parts(parts, body));
        }
        let Some(request_id) = request_id_of(&parts.headers) else {
            let message = "the Runtime API sent an event without Lambda-Runtime-Aws-Request-Id";
            state.log_guard(Decision::Deny, None, json!({ "reason": message }));
            return error_response(StatusCode::BAD_GATEWAY, "Fnguard.UpstreamProtocol", message);
        };

        let event = match read_event(body, &parts.headers, state.max_event_bytes).await {
            Ok(event) => event,
            Err(ReadError::TooLarge { .. }) => {
                let message = format!(
                    "the event is larger than the {} bytes fnguard accepts",
                    state.max_event_bytes
                );
                state.log_guard(
                    Decision::Deny,
                    Some(&request_id),
                    json!({ "reason": "event too large", "limit_bytes": state.max_event_bytes }),
                );
                match post_error(state, &request_id, EVENT_TOO_LARGE, &message).await {
                    Ok(()) => continue,
                    Err(e) => return undeliverable(state, &request_id, &e),
                }
            }
            Err(e @ ReadError::Broken(_)) => {
                let message = format!(
                    "reading event {request_id} from the Runtime API at {} failed: {e}",
                    state.upstream.authority()
                );
                state.log_guard(
                    Decision::Deny,
                    Some(&request_id),
                    json!({ "reason": "upstream failure", "error": message }),
                );
                return error_response(
                    StatusCode::BAD_GATEWAY,
                    "Fnguard.UpstreamUnavailable",
                    &message,
                );
            }
        };

        let ctx = InvokeContext {
            request_id: &request_id,
            runtime_peer: peer,
            proxy_local: local,
            connection,
            headers: &parts.headers,
            body: &event,
        };
        // On a current-thread runtime (the guard's) in place: after a
        // prepare the gates confirm cheaply (tens of microseconds), less
        // than a hand-over to another thread costs on the event's path. On
        // a multi-thread runtime a gate that blocks would hold up the tasks
        // queued on its worker: `block_in_place` hands them over.
        let verdict = if tokio::runtime::Handle::current().runtime_flavor()
            == tokio::runtime::RuntimeFlavor::MultiThread
        {
            tokio::task::block_in_place(|| run_gates(state, &ctx))
        } else {
            run_gates(state, &ctx)
        };
        match verdict {
            Verdict::Pass if state.stopped.load(Ordering::SeqCst) => {
                // Stopped while this event was being fetched or checked:
                // refuse it rather than hand it to the runtime.
                let _ = post_error(state, &request_id, STOPPED, STOPPED_MESSAGE).await;
                return stopped_response();
            }
            Verdict::Pass => {
                state.progress.send_replace(RuntimeProgress {
                    last_event: Some(request_id),
                    prepared: false,
                });
                let mut response = Response::new(Full::new(event).map_err(|n| match n {}).boxed());
                *response.status_mut() = parts.status;
                *response.headers_mut() = parts.headers;
                *response.extensions_mut() = parts.extensions;
                strip_hop_by_hop(response.headers_mut());
                return response;
            }
            Verdict::Reject {
                error_type,
                message,
            } => {
                if let Err(e) = post_error(state, &request_id, &error_type, &message).await {
                    return undeliverable(state, &request_id, &e);
                }
                // Answered here: no handler ran, nothing to prepare for.
                state.progress.send_replace(RuntimeProgress {
                    last_event: Some(request_id),
                    prepared: true,
                });
            }
            Verdict::Fatal {
                error_type,
                message,
            } => {
                state.stopped.store(true, Ordering::SeqCst);
                // The report goes out whether or not the error reached the
                // API: either way the environment must be reset.
                let posted = post_error(state, &request_id, &error_type, &message).await;
                let message = match posted {
                    Ok(()) => message,
                    Err(e) => format!("{message} (and answering the invocation failed: {e})"),
                };
                let _ = state.fatal.send(FatalReport {
                    request_id,
                    error_type: error_type.clone(),
                    message,
                });
                return stopped_response();
            }
        }
    }
}

fn request_id_of(headers: &HeaderMap) -> Option<String> {
    let id = headers.get(REQUEST_ID_HEADER)?.to_str().ok()?;
    (!id.is_empty()).then(|| id.to_string())
}

/// Every gate's [`InvocationGate::prepare`], then the progress says so.
fn run_prepares(state: &State, ctx: &PrepareContext) {
    for (index, gate) in state.gates.iter().enumerate() {
        if std::panic::catch_unwind(AssertUnwindSafe(|| gate.prepare(ctx))).is_err() {
            state.log_guard(
                Decision::Report,
                None,
                json!({
                    "reason": format!("check {index} of the Runtime API proxy panicked while preparing; it checks everything on the event instead")
                }),
            );
        }
    }
    state
        .progress
        .send_modify(|progress| progress.prepared = true);
}

/// The first verdict other than `Pass`, in the gates' order. A gate that
/// panics is a failure of the guard: fatal when failing closed, skipped
/// (and logged) when failing open.
fn run_gates(state: &State, ctx: &InvokeContext<'_>) -> Verdict {
    for (index, gate) in state.gates.iter().enumerate() {
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| gate.before_invoke(ctx)));
        let verdict = match outcome {
            Ok(verdict) => verdict,
            Err(_) => {
                // The panic's text is not logged: it could quote the event.
                let reason = format!("check {index} of the Runtime API proxy panicked");
                match state.fail {
                    FailPolicy::Closed => {
                        state.log_guard(
                            Decision::Deny,
                            Some(ctx.request_id),
                            json!({ "reason": reason, "fail": "closed" }),
                        );
                        Verdict::Fatal {
                            error_type: GUARD_FAILURE.into(),
                            message: reason,
                        }
                    }
                    FailPolicy::Open => {
                        state.log_guard(
                            Decision::Allow,
                            Some(ctx.request_id),
                            json!({ "reason": reason, "fail": "open" }),
                        );
                        Verdict::Pass
                    }
                }
            }
        };
        if verdict != Verdict::Pass {
            return verdict;
        }
    }
    Verdict::Pass
}

async fn read_event(
    body: ProxyBody,
    headers: &HeaderMap,
    limit: usize,
) -> Result<Bytes, ReadError> {
    // A declared length above the limit is refused before reading a byte.
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(ReadError::TooLarge { limit });
    }
    read_limited(body, limit).await
}

/// Why answering an invocation upstream failed.
#[derive(Debug, thiserror::Error)]
enum PostError {
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
    #[error("the Runtime API answered {0} to the error")]
    Status(StatusCode),
}

/// `POST /2018-06-01/runtime/invocation/{id}/error`, as a runtime reports a
/// handler error.
async fn post_error(
    state: &State,
    request_id: &str,
    error_type: &str,
    message: &str,
) -> Result<(), PostError> {
    let body = serde_json::to_vec(&json!({
        "errorMessage": message,
        "errorType": error_type,
        "stackTrace": [],
    }))
    .unwrap_or_default();
    let mut request = Request::new(Full::new(Bytes::from(body)).map_err(|n| match n {}).boxed());
    *request.method_mut() = Method::POST;
    // The id came from the API in a header, so it is a valid header value,
    // but it goes into a path: percent-encode anything that is not plain.
    let uri = format!(
        "/2018-06-01/runtime/invocation/{}/error",
        path_segment(request_id)
    );
    *request.uri_mut() = uri
        .parse()
        .unwrap_or_else(|_| hyper::Uri::from_static("/2018-06-01/runtime/invocation/-/error"));
    let headers = request.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(
        HeaderName::from_static(FUNCTION_ERROR_TYPE_HEADER),
        header_text(error_type),
    );
    let response = state.upstream.send(request).await?;
    let status = response.status();
    // Read the short answer to the end so the connection is reused.
    let _ = read_limited(response.into_body(), 64 * 1024).await;
    if status.is_success() {
        Ok(())
    } else {
        Err(PostError::Status(status))
    }
}

/// An invocation that could be neither delivered nor refused upstream: the
/// environment is in an unknown state, which is fatal.
fn undeliverable(state: &State, request_id: &str, error: &PostError) -> Response<ProxyBody> {
    state.stopped.store(true, Ordering::SeqCst);
    let message = format!(
        "invocation {request_id} was refused but the refusal could not be sent to the Runtime API: {error}"
    );
    state.log_guard(
        Decision::Deny,
        Some(request_id),
        json!({ "reason": "upstream failure", "error": message }),
    );
    let _ = state.fatal.send(FatalReport {
        request_id: request_id.to_string(),
        error_type: "Fnguard.UpstreamUnavailable".into(),
        message: message.clone(),
    });
    error_response(
        StatusCode::BAD_GATEWAY,
        "Fnguard.UpstreamUnavailable",
        &message,
    )
}

/// The answer to every runtime call once a fatal verdict stopped the proxy.
fn stopped_response() -> Response<ProxyBody> {
    error_response(StatusCode::INTERNAL_SERVER_ERROR, STOPPED, STOPPED_MESSAGE)
}

fn upstream_failure(state: &State, error: &UpstreamError) -> Response<ProxyBody> {
    state.log_guard(
        Decision::Deny,
        None,
        json!({ "reason": "upstream failure", "error": error.to_string() }),
    );
    error_response(
        StatusCode::BAD_GATEWAY,
        "Fnguard.UpstreamUnavailable",
        &error.to_string(),
    )
}

/// A JSON error in the Runtime API's own shape.
fn error_response(status: StatusCode, error_type: &str, message: &str) -> Response<ProxyBody> {
    let body = serde_json::to_vec(&json!({ "errorType": error_type, "errorMessage": message }))
        .unwrap_or_default();
    let mut response = Response::new(Full::new(Bytes::from(body)).map_err(|n| match n {}).boxed());
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn strip_response(response: Response<ProxyBody>) -> Response<ProxyBody> {
    let (mut parts, body) = response.into_parts();
    strip_hop_by_hop(&mut parts.headers);
    Response::from_parts(parts, body)
}

fn forwarded_headers(headers: &HeaderMap) -> HeaderMap {
    let mut headers = headers.clone();
    strip_hop_by_hop(&mut headers);
    headers
}

fn strip_hop_by_hop(headers: &mut HeaderMap) {
    // Headers the `Connection` header names are hop-by-hop too.
    let named: Vec<HeaderName> = headers
        .get_all("connection")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect();
    for name in NOT_FORWARDED {
        headers.remove(name);
    }
    for name in named {
        headers.remove(name);
    }
}

fn origin_form(uri: &hyper::Uri) -> hyper::Uri {
    uri.path_and_query()
        .and_then(|pq| pq.as_str().parse().ok())
        .unwrap_or_else(|| hyper::Uri::from_static("/"))
}

fn empty_body() -> ProxyBody {
    Full::new(Bytes::new()).map_err(|n| match n {}).boxed()
}

/// Keeps unreserved characters and percent-encodes the rest (request ids are
/// UUIDs, but the proxy does not rely on it).
fn path_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A header value from a gate's text: characters a header cannot carry
/// become `?`.
fn header_text(text: &str) -> HeaderValue {
    let clean: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect();
    HeaderValue::from_str(&clean).unwrap_or_else(|_| HeaderValue::from_static("Fnguard.Error"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_by_hop_headers_and_those_connection_names_are_dropped() {
        let mut headers = HeaderMap::new();
        headers.insert("connection", HeaderValue::from_static("keep-alive, x-hop"));
        headers.insert("x-hop", HeaderValue::from_static("1"));
        headers.insert("keep-alive", HeaderValue::from_static("timeout=5"));
        headers.insert("expect", HeaderValue::from_static("100-continue"));
        headers.insert("host", HeaderValue::from_static("127.0.0.1:9009"));
        headers.insert("transfer-encoding", HeaderValue::from_static("chunked"));
        headers.insert(
            "trailer",
            HeaderValue::from_static("lambda-runtime-function-error-type"),
        );
        headers.insert(
            "lambda-runtime-function-response-mode",
            HeaderValue::from_static("streaming"),
        );
        let kept = forwarded_headers(&headers);
        let mut names: Vec<&str> = kept.keys().map(|k| k.as_str()).collect();
        names.sort_unstable();
        assert_eq!(
            names,
            [
                "lambda-runtime-function-response-mode",
                "trailer",
                "transfer-encoding"
            ]
        );
    }

    #[test]
    fn settings_from_the_config_listen_on_loopback_with_its_port_and_policy() {
        let mut config = Config::default();
        config.proxy.port = 7777;
        config.fail = FailPolicy::Open;
        let settings =
            ProxySettings::from_config(&config, "127.0.0.1:9001", Logger::new(Vec::new(), None));
        assert_eq!(
            settings.listen,
            "127.0.0.1:7777".parse::<SocketAddr>().unwrap()
        );
        assert_eq!(settings.upstream, "127.0.0.1:9001");
        assert_eq!(settings.fail, FailPolicy::Open);
        assert!(settings.logger.is_some());
        assert_eq!(settings.max_event_bytes, DEFAULT_MAX_EVENT_BYTES);
    }

    #[test]
    fn request_ids_and_error_types_cannot_break_the_request() {
        assert_eq!(path_segment("8476a536-e9f4-11e8"), "8476a536-e9f4-11e8");
        assert_eq!(path_segment("a/../b?x"), "a%2F..%2Fb%3Fx");
        assert_eq!(header_text("Bad\r\nX-Injected: 1"), "Bad??X-Injected: 1");
        assert_eq!(header_text("Fnguard.Input"), "Fnguard.Input");
    }
}
