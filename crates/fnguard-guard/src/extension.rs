//! A client of the Lambda Extensions API (2020-01-01) at
//! `AWS_LAMBDA_RUNTIME_API`: register, wait for the next event, report an
//! init or exit error.
//!
//! ```no_run
//! # async fn run() -> Result<(), fnguard_guard::extension::ExtensionError> {
//! use fnguard_guard::extension::{Event, EventKind, ExtensionClient};
//! let mut client = ExtensionClient::from_env()?;
//! let registration = client.register("fnguard", &[EventKind::Invoke, EventKind::Shutdown]).await?;
//! loop {
//!     match client.next_event().await? {
//!         Event::Invoke { request_id, .. } => { /* checks */ }
//!         Event::Shutdown { .. } => break,
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! Headers and bodies as AWS documents them (`runtimes-extensions-api.md`):
//! `Lambda-Extension-Name` on register, `Lambda-Extension-Identifier` on
//! every later call, `Lambda-Extension-Function-Error-Type` on errors.

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, Request, StatusCode};
use serde::Deserialize;
use serde_json::json;

use crate::proxy::upstream::{read_limited, ProxyBody, Upstream, UpstreamError};

const REGISTER_PATH: &str = "/2020-01-01/extension/register";
const NEXT_PATH: &str = "/2020-01-01/extension/event/next";
const INIT_ERROR_PATH: &str = "/2020-01-01/extension/init/error";
const EXIT_ERROR_PATH: &str = "/2020-01-01/extension/exit/error";

const NAME_HEADER: &str = "lambda-extension-name";
const ID_HEADER: &str = "lambda-extension-identifier";
const ERROR_TYPE_HEADER: &str = "lambda-extension-function-error-type";

/// The Extensions API answers are small JSON documents; anything larger is
/// not the API talking.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// The events an extension can register for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    Invoke,
    Shutdown,
}

impl EventKind {
    fn as_str(self) -> &'static str {
        match self {
            EventKind::Invoke => "INVOKE",
            EventKind::Shutdown => "SHUTDOWN",
        }
    }
}

/// What `register` returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Registration {
    /// `Lambda-Extension-Identifier`, sent on every later call.
    pub id: String,
    pub function_name: String,
    pub function_version: String,
    pub handler: String,
}

/// An event from `GET /extension/event/next`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// An invocation began (the event body is not given to extensions).
    Invoke {
        request_id: String,
        /// Milliseconds since the Unix epoch.
        deadline_ms: u64,
        invoked_function_arn: String,
    },
    /// The environment is shutting down.
    Shutdown {
        /// `spindown`, `timeout` or `failure`.
        reason: String,
        deadline_ms: u64,
    },
}

/// Why a call to the Extensions API failed.
#[derive(Debug, thiserror::Error)]
pub enum ExtensionError {
    #[error("AWS_LAMBDA_RUNTIME_API is not set: not running as a Lambda extension")]
    NoRuntimeApi,
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
    #[error("{call}: the Extensions API answered {status}: {body}")]
    Status {
        call: &'static str,
        status: StatusCode,
        /// The start of the API's error text.
        body: String,
    },
    #[error("{call}: the Extensions API answered something unexpected: {what}")]
    Protocol { call: &'static str, what: String },
    #[error("{call}: call register first")]
    NotRegistered { call: &'static str },
}

/// A client of the Extensions API.
#[derive(Debug)]
pub struct ExtensionClient {
    upstream: Upstream,
    id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RegisterAnswer {
    function_name: String,
    function_version: String,
    handler: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EventAnswer {
    event_type: String,
    #[serde(default)]
    deadline_ms: u64,
    request_id: Option<String>,
    invoked_function_arn: Option<String>,
    shutdown_reason: Option<String>,
}

impl ExtensionClient {
    /// A client of the API at `authority` (`host:port`).
    pub fn new(authority: &str) -> Result<ExtensionClient, ExtensionError> {
        Ok(ExtensionClient {
            upstream: Upstream::new(authority)?,
            id: None,
        })
    }

    /// A client of the API named by `AWS_LAMBDA_RUNTIME_API`.
    pub fn from_env() -> Result<ExtensionClient, ExtensionError> {
        let authority =
            std::env::var("AWS_LAMBDA_RUNTIME_API").map_err(|_| ExtensionError::NoRuntimeApi)?;
        ExtensionClient::new(&authority)
    }

    /// The identifier Lambda gave at registration.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// Registers as extension `name` (the extension's file name, as Lambda
    /// requires) for `events`.
    pub async fn register(
        &mut self,
        name: &str,
        events: &[EventKind],
    ) -> Result<Registration, ExtensionError> {
        const CALL: &str = "register";
        let events: Vec<&str> = events.iter().map(|e| e.as_str()).collect();
        let request = Request::builder()
            .method(Method::POST)
            .uri(REGISTER_PATH)
            .header(NAME_HEADER, name)
            .header("content-type", "application/json")
            .body(json_body(&json!({ "events": events })))
            .map_err(|e| protocol(CALL, format!("extension name {name:?}: {e}")))?;
        let (headers, body) = self.call(CALL, request, StatusCode::OK).await?;
        let id = headers
            .get(ID_HEADER)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
            .ok_or_else(|| protocol(CALL, "no Lambda-Extension-Identifier header".into()))?
            .to_string();
        let answer: RegisterAnswer = serde_json::from_slice(&body)
            .map_err(|e| protocol(CALL, format!("the answer is not the documented JSON: {e}")))?;
        self.id = Some(id.clone());
        Ok(Registration {
            id,
            function_name: answer.function_name,
            function_version: answer.function_version,
            handler: answer.handler,
        })
    }

    /// Waits (without a time limit, as the API blocks until there is one)
    /// for the next event.
    pub async fn next_event(&self) -> Result<Event, ExtensionError> {
        const CALL: &str = "event/next";
        let request = Request::builder()
            .method(Method::GET)
            .uri(NEXT_PATH)
            .header(ID_HEADER, self.registered(CALL)?)
            .body(empty_body())
            .map_err(|e| protocol(CALL, e.to_string()))?;
        let (_, body) = self.call(CALL, request, StatusCode::OK).await?;
        let answer: EventAnswer = serde_json::from_slice(&body)
            .map_err(|e| protocol(CALL, format!("the event is not the documented JSON: {e}")))?;
        match answer.event_type.as_str() {
            "INVOKE" => Ok(Event::Invoke {
                request_id: answer
                    .request_id
                    .ok_or_else(|| protocol(CALL, "an INVOKE event without requestId".into()))?,
                deadline_ms: answer.deadline_ms,
                invoked_function_arn: answer.invoked_function_arn.unwrap_or_default(),
            }),
            "SHUTDOWN" => Ok(Event::Shutdown {
                reason: answer.shutdown_reason.unwrap_or_default(),
                deadline_ms: answer.deadline_ms,
            }),
            other => Err(protocol(CALL, format!("unknown eventType {other:?}"))),
        }
    }

    /// Reports a failure during init (`kind` like `Extension.ConfigInvalid`);
    /// Lambda then fails the init and no further call succeeds.
    pub async fn init_error(&self, kind: &str, message: &str) -> Result<(), ExtensionError> {
        self.error("init/error", INIT_ERROR_PATH, kind, message)
            .await
    }

    /// Reports a failure before exiting (`kind` like
    /// `Extension.IntegrityFailure`); Lambda resets the environment.
    pub async fn exit_error(&self, kind: &str, message: &str) -> Result<(), ExtensionError> {
        self.error("exit/error", EXIT_ERROR_PATH, kind, message)
            .await
    }

    async fn error(
        &self,
        call: &'static str,
        path: &'static str,
        kind: &str,
        message: &str,
    ) -> Result<(), ExtensionError> {
        let request = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(ID_HEADER, self.registered(call)?)
            .header(ERROR_TYPE_HEADER, kind)
            .header("content-type", "application/json")
            .body(json_body(&json!({
                "errorMessage": message,
                "errorType": kind,
                "stackTrace": [],
            })))
            .map_err(|e| protocol(call, format!("error type {kind:?}: {e}")))?;
        self.call(call, request, StatusCode::ACCEPTED).await?;
        Ok(())
    }

    fn registered(&self, call: &'static str) -> Result<&str, ExtensionError> {
        self.id
            .as_deref()
            .ok_or(ExtensionError::NotRegistered { call })
    }

    async fn call(
        &self,
        call: &'static str,
        request: Request<ProxyBody>,
        expected: StatusCode,
    ) -> Result<(hyper::HeaderMap, Bytes), ExtensionError> {
        let response = self.upstream.send(request).await?;
        let (parts, body) = response.into_parts();
        let body = read_limited(body, MAX_ANSWER_BYTES)
            .await
            .map_err(|e| protocol(call, format!("reading the answer: {e}")))?;
        if parts.status != expected {
            let text = String::from_utf8_lossy(&body);
            return Err(ExtensionError::Status {
                call,
                status: parts.status,
                body: text.chars().take(300).collect(),
            });
        }
        Ok((parts.headers, body))
    }
}

fn protocol(call: &'static str, what: String) -> ExtensionError {
    ExtensionError::Protocol { call, what }
}

fn json_body(value: &serde_json::Value) -> ProxyBody {
    let bytes = serde_json::to_vec(value).unwrap_or_default();
    Full::new(Bytes::from(bytes))
        .map_err(|never| match never {})
        .boxed()
}

fn empty_body() -> ProxyBody {
    Full::new(Bytes::new())
        .map_err(|never| match never {})
        .boxed()
}
