//! An HTTP/1.1 client of one upstream (`AWS_LAMBDA_RUNTIME_API`) that keeps
//! its connections alive: the runtime asks for an event, answers it and asks
//! again on every invocation, and a new TCP connection each time would add
//! to the latency the guard is allowed.
//!
//! A connection goes back to the pool only once its response body has been
//! read to the end (the body hands it back), because HTTP/1.1 cannot send a
//! second request on a connection still delivering the first answer.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use http_body_util::combinators::BoxBody;
use http_body_util::BodyExt;
use hyper::body::{Body, Bytes, Frame, Incoming, SizeHint};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{HeaderValue, HOST};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// The error type of bodies that cross the proxy.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
/// A body sent to or received from either side of the proxy.
pub type ProxyBody = BoxBody<Bytes, BoxError>;

/// How long connecting to the upstream may take: it is on loopback, so
/// anything longer means it is not there.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a pooled connection may take to become ready again after its
/// previous answer was read; past that, a new connection is cheaper.
const READY_TIMEOUT: Duration = Duration::from_millis(50);
/// Idle connections kept; the runtime uses one or two at a time.
const MAX_IDLE: usize = 4;

/// Why a request could not be sent to the upstream.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    #[error("cannot connect to the upstream API at {authority}: {reason}")]
    Connect { authority: String, reason: String },
    #[error("the upstream API at {authority} failed during {method} {path}: {source}")]
    Exchange {
        authority: String,
        method: String,
        path: String,
        source: hyper::Error,
    },
}

/// Why a body could not be read whole.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("the body is larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("the body broke off: {0}")]
    Broken(BoxError),
}

/// Reads a body to the end, refusing more than `limit` bytes. (Written out
/// rather than `http_body_util::Limited`, whose boxed error type trips the
/// compiler's `Send` check of the proxy's connection futures.)
pub async fn read_limited(mut body: ProxyBody, limit: usize) -> Result<Bytes, ReadError> {
    // A known length is reserved at once: growing by doubling would hold
    // up to twice a 6 MB event in memory against the guard's RSS budget.
    let expected = usize::try_from(body.size_hint().lower()).unwrap_or(usize::MAX);
    let mut collected: Vec<u8> = Vec::with_capacity(expected.min(limit));
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(ReadError::Broken)?;
        if let Ok(data) = frame.into_data() {
            if collected.len() + data.len() > limit {
                return Err(ReadError::TooLarge { limit });
            }
            collected.extend_from_slice(&data);
        }
    }
    Ok(Bytes::from(collected))
}

/// A keep-alive client of one `host:port`.
#[derive(Clone)]
pub struct Upstream {
    inner: Arc<Inner>,
}

struct Inner {
    authority: String,
    host: HeaderValue,
    idle: Mutex<Vec<SendRequest<ProxyBody>>>,
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstream")
            .field("authority", &self.inner.authority)
            .finish_non_exhaustive()
    }
}

impl Upstream {
    /// `authority` is `host:port`, as in `AWS_LAMBDA_RUNTIME_API`.
    pub fn new(authority: &str) -> Result<Upstream, UpstreamError> {
        let bad = |reason: &str| UpstreamError::Connect {
            authority: authority.to_string(),
            reason: reason.to_string(),
        };
        let parsed: hyper::http::uri::Authority =
            authority.parse().map_err(|_| bad("expected host:port"))?;
        if parsed.host().is_empty() || parsed.port_u16().is_none_or(|p| p == 0) {
            return Err(bad("expected host:port"));
        }
        let host = HeaderValue::from_str(authority).map_err(|_| bad("not a valid host:port"))?;
        Ok(Upstream {
            inner: Arc::new(Inner {
                authority: authority.to_string(),
                host,
                idle: Mutex::new(Vec::new()),
            }),
        })
    }

    /// `host:port` of the upstream.
    pub fn authority(&self) -> &str {
        &self.inner.authority
    }

    /// Sends `request` (origin-form URI, e.g. `/2018-06-01/runtime/...`)
    /// with `Host` set to the upstream, on a pooled or a new connection.
    pub async fn send(
        &self,
        mut request: Request<ProxyBody>,
    ) -> Result<Response<ProxyBody>, UpstreamError> {
        request.headers_mut().insert(HOST, self.inner.host.clone());
        let method = request.method().to_string();
        let path = request.uri().path().to_string();
        let (sender, response) = match self.pooled().await {
            Some(mut sender) => match sender.try_send_request(request).await {
                Ok(response) => (sender, response),
                // The upstream closed the idle connection just before the
                // request went out: hyper hands the request back unsent, and
                // it goes out again on a new connection.
                Err(mut e) => match e.take_message() {
                    Some(request) => self.send_on_new_connection(request).await?,
                    None => return Err(self.exchange_error(method, path, e.into_error())),
                },
            },
            None => self.send_on_new_connection(request).await?,
        };
        let (parts, body) = response.into_parts();
        let mut body = ReturningBody {
            body,
            sender: Some(sender),
            pool: self.inner.clone(),
        };
        // An empty answer (a 202 with no body) may never be polled: the
        // connection is free already.
        if body.body.is_end_stream() {
            body.give_back();
        }
        Ok(Response::from_parts(parts, body.boxed()))
    }

    async fn send_on_new_connection(
        &self,
        request: Request<ProxyBody>,
    ) -> Result<(SendRequest<ProxyBody>, Response<Incoming>), UpstreamError> {
        let mut sender = self.connect().await?;
        let method = request.method().to_string();
        let path = request.uri().path().to_string();
        match sender.send_request(request).await {
            Ok(response) => Ok((sender, response)),
            Err(source) => Err(self.exchange_error(method, path, source)),
        }
    }

    fn exchange_error(&self, method: String, path: String, source: hyper::Error) -> UpstreamError {
        UpstreamError::Exchange {
            authority: self.inner.authority.clone(),
            method,
            path,
            source,
        }
    }

    async fn pooled(&self) -> Option<SendRequest<ProxyBody>> {
        loop {
            let mut sender = self.inner.lock_idle().pop()?;
            if sender.is_closed() {
                continue;
            }
            if sender.is_ready() {
                return Some(sender);
            }
            if let Ok(Ok(())) = tokio::time::timeout(READY_TIMEOUT, sender.ready()).await {
                return Some(sender);
            }
        }
    }

    async fn connect(&self) -> Result<SendRequest<ProxyBody>, UpstreamError> {
        let failed = |reason: String| UpstreamError::Connect {
            authority: self.inner.authority.clone(),
            reason,
        };
        let stream =
            match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(&self.inner.authority))
                .await
            {
                Ok(Ok(stream)) => stream,
                Ok(Err(e)) => return Err(failed(e.to_string())),
                Err(_) => {
                    return Err(failed(format!(
                        "no answer within {} s",
                        CONNECT_TIMEOUT.as_secs()
                    )))
                }
            };
        // Small requests and answers: do not wait to coalesce them.
        stream
            .set_nodelay(true)
            .map_err(|e| failed(e.to_string()))?;
        // Header names keep their original case (see the proxy's server).
        let (sender, connection) = hyper::client::conn::http1::Builder::new()
            .preserve_header_case(true)
            .handshake(TokioIo::new(stream))
            .await
            .map_err(|e| failed(e.to_string()))?;
        // The connection runs on its own task until either side closes it;
        // its errors reach the request that is in flight.
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(sender)
    }
}

impl Inner {
    fn lock_idle(&self) -> std::sync::MutexGuard<'_, Vec<SendRequest<ProxyBody>>> {
        // The pool holds no invariant a panic could break.
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A response body that gives its connection back to the pool once read to
/// the end; dropped earlier, the connection is dropped with it.
struct ReturningBody {
    body: Incoming,
    sender: Option<SendRequest<ProxyBody>>,
    pool: Arc<Inner>,
}

impl ReturningBody {
    fn give_back(&mut self) {
        if let Some(sender) = self.sender.take() {
            let mut idle = self.pool.lock_idle();
            if idle.len() < MAX_IDLE {
                idle.push(sender);
            }
        }
    }
}

impl Body for ReturningBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.body).poll_frame(cx) {
            Poll::Ready(None) => {
                this.give_back();
                Poll::Ready(None)
            }
            Poll::Ready(Some(Err(e))) => {
                // The connection is broken: never reuse it.
                this.sender = None;
                Poll::Ready(Some(Err(e.into())))
            }
            Poll::Ready(Some(Ok(frame))) => {
                if this.body.is_end_stream() {
                    this.give_back();
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::Full;

    fn body(bytes: &'static [u8]) -> ProxyBody {
        Full::new(Bytes::from_static(bytes))
            .map_err(|never| match never {})
            .boxed()
    }

    #[tokio::test]
    async fn a_body_up_to_the_limit_is_read_whole_and_one_byte_more_is_refused() {
        assert_eq!(read_limited(body(b"12345"), 5).await.unwrap(), "12345");
        assert!(matches!(
            read_limited(body(b"123456"), 5).await,
            Err(ReadError::TooLarge { limit: 5 })
        ));
        assert_eq!(read_limited(body(b""), 0).await.unwrap(), "");
    }

    #[test]
    fn an_authority_must_be_host_and_port() {
        assert!(Upstream::new("127.0.0.1:9001").is_ok());
        assert!(Upstream::new("localhost:9001").is_ok());
        assert!(Upstream::new("[::1]:9001").is_ok());
        for bad in [
            "",
            "127.0.0.1",
            ":9001",
            "host:0",
            "host:99999",
            "host:port",
            "a b:1",
        ] {
            let err = Upstream::new(bad).unwrap_err();
            assert!(err.to_string().contains(&format!("at {bad}:")), "{err}");
        }
    }
}
