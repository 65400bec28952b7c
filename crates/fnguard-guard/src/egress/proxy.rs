//! The proxy the wrapper exports as `HTTP_PROXY`/`HTTPS_PROXY`: CONNECT
//! tunnels and absolute-form HTTP requests, each checked against the
//! [`Policy`] before any byte reaches the destination.

use std::convert::Infallible;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::{combinators::BoxBody, BodyExt, Empty, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::upgrade::OnUpgrade;
use hyper::{Method, Request, Response, StatusCode, Uri, Version};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde::Serialize;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::{JoinHandle, JoinSet};

use super::addr;
use super::policy::{parse_target, EgressDecision, Policy, Target};

/// What the proxy does with a destination the policy denies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Refuse it: `403 Forbidden`, nothing sent to the destination.
    Enforce,
    /// Let it through; the event says `would_deny: true`.
    Report,
}

/// How the function asked for the destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RequestKind {
    /// `CONNECT host:port` (HTTPS and any other TCP through the tunnel).
    Connect,
    /// `GET http://host/...` forwarded by the proxy.
    Http,
}

/// One decision of the proxy, for the security log (`control: "egress"`).
/// It holds the destination only: never a path, a query or a header, which
/// may carry secrets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EgressEvent {
    pub kind: RequestKind,
    /// The host as compared (IDNA ASCII, lower case) or, when it is not a
    /// valid host, the first 80 characters as sent.
    pub host: String,
    pub port: u16,
    /// The policy's verdict.
    pub allowed: bool,
    /// Report mode let through what enforce mode would have refused.
    pub would_deny: bool,
    pub reason: String,
    /// The addresses checked (and the only ones connected to).
    pub resolved: Vec<IpAddr>,
}

impl EgressEvent {
    /// The log contract's `decision`: `allow`, `deny` or `report`.
    pub fn decision(&self) -> &'static str {
        if self.allowed {
            "allow"
        } else if self.would_deny {
            "report"
        } else {
            "deny"
        }
    }
}

/// Receives every [`EgressEvent`] (allowed ones too), on the proxy's tasks:
/// it should only format and write the log line.
pub type EgressSink = Arc<dyn Fn(&EgressEvent) + Send + Sync>;

/// Bounds on the proxy's work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Client connections served at once (tunnels included); more wait in
    /// the listen backlog. Lambda allows 1024 open files per process.
    pub max_connections: usize,
    /// Resolving one name.
    pub resolve_timeout: Duration,
    /// Connecting to one resolved address.
    pub connect_timeout: Duration,
    /// Reading a request's headers (a client that stalls is dropped).
    pub header_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: 256,
            resolve_timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(10),
            header_timeout: Duration::from_secs(30),
        }
    }
}

/// The egress proxy. Stop it by aborting the returned task: its open
/// connections and tunnels end with it.
pub struct EgressProxy;

impl EgressProxy {
    /// Listens on `listen` (port 0: any free port) and serves until the
    /// returned task is aborted; returns the bound address.
    pub async fn start(
        listen: SocketAddr,
        policy: Arc<Policy>,
        mode: Mode,
        sink: EgressSink,
    ) -> io::Result<(SocketAddr, JoinHandle<()>)> {
        Self::start_with_limits(listen, policy, mode, sink, Limits::default()).await
    }

    /// [`EgressProxy::start`] with other [`Limits`].
    pub async fn start_with_limits(
        listen: SocketAddr,
        policy: Arc<Policy>,
        mode: Mode,
        sink: EgressSink,
        limits: Limits,
    ) -> io::Result<(SocketAddr, JoinHandle<()>)> {
        if limits.max_connections == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "egress proxy: max_connections must be at least 1",
            ));
        }
        let listener = TcpListener::bind(listen).await?;
        let bound = listener.local_addr()?;
        let shared = Arc::new(Shared {
            policy,
            mode,
            sink,
            limits,
        });
        Ok((bound, tokio::spawn(accept_loop(listener, shared))))
    }
}

struct Shared {
    policy: Arc<Policy>,
    mode: Mode,
    sink: EgressSink,
    limits: Limits,
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let permits = Arc::new(Semaphore::new(shared.limits.max_connections));
    // Owning the connections here means aborting this task ends them all.
    let mut connections = JoinSet::new();
    loop {
        while connections.try_join_next().is_some() {}
        let Ok(permit) = permits.clone().acquire_owned().await else {
            return;
        };
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            // Out of file descriptors or a connection reset before accept:
            // back off instead of spinning, keep serving.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let shared = shared.clone();
        connections.spawn(async move {
            serve_connection(stream, shared).await;
            drop(permit);
        });
    }
}

/// A CONNECT that was allowed: the client's side becomes a raw stream once
/// hyper has sent the `200`, then bytes are copied both ways.
struct PendingTunnel {
    upgrade: OnUpgrade,
    upstream: TcpStream,
}

type TunnelSlot = Arc<Mutex<Option<PendingTunnel>>>;

async fn serve_connection(stream: TcpStream, shared: Arc<Shared>) {
    let _ = stream.set_nodelay(true);
    let slot = TunnelSlot::default();
    let service = {
        let slot = slot.clone();
        let shared = shared.clone();
        service_fn(move |req| {
            let slot = slot.clone();
            let shared = shared.clone();
            async move { Ok::<_, Infallible>(handle(req, &shared, &slot).await) }
        })
    };
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(shared.limits.header_timeout);
    // A client that breaks HTTP gets hyper's 400 and ends only its own
    // connection, so the result carries nothing to act on.
    let _ = builder
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades()
        .await;
    // The tunnel runs in this task so that it holds the connection permit
    // and is aborted with the proxy.
    let pending = slot.lock().ok().and_then(|mut slot| slot.take());
    if let Some(PendingTunnel {
        upgrade,
        mut upstream,
    }) = pending
    {
        if let Ok(upgraded) = upgrade.await {
            let mut client = TokioIo::new(upgraded);
            let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
        }
    }
}

type ProxyBody = BoxBody<Bytes, hyper::Error>;

async fn handle(
    mut req: Request<Incoming>,
    shared: &Shared,
    slot: &TunnelSlot,
) -> Response<ProxyBody> {
    let kind = if req.method() == Method::CONNECT {
        RequestKind::Connect
    } else {
        RequestKind::Http
    };
    let (host, port) = match destination(&req) {
        Ok(destination) => destination,
        Err(message) => {
            return plain(
                StatusCode::BAD_REQUEST,
                format!("fnguard egress: {message}\n"),
            )
        }
    };
    let (decision, resolved, shown_host) = shared.check(&host, port).await;
    let event = EgressEvent {
        kind,
        host: shown_host,
        port,
        allowed: decision.allowed,
        would_deny: !decision.allowed && shared.mode == Mode::Report,
        reason: decision.reason,
        resolved,
    };
    (shared.sink)(&event);
    if !event.allowed && shared.mode == Mode::Enforce {
        return plain(
            StatusCode::FORBIDDEN,
            format!(
                "fnguard egress: {}:{} denied: {}\n",
                event.host, event.port, event.reason
            ),
        );
    }
    let upstream = match connect(&event.resolved, port, shared.limits.connect_timeout).await {
        Ok(upstream) => upstream,
        Err(message) => {
            return plain(
                StatusCode::BAD_GATEWAY,
                format!("fnguard egress: {}:{}: {message}\n", event.host, port),
            )
        }
    };
    match kind {
        RequestKind::Connect => {
            let upgrade = hyper::upgrade::on(&mut req);
            match slot.lock() {
                Ok(mut slot) => *slot = Some(PendingTunnel { upgrade, upstream }),
                // Only a panic while the slot was held poisons it; answer
                // so the client does not wait on a tunnel that never opens.
                Err(_) => {
                    return plain(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "fnguard egress: tunnel unavailable\n".to_string(),
                    )
                }
            }
            Response::new(Empty::new().map_err(|never| match never {}).boxed())
        }
        RequestKind::Http => forward(req, upstream, &host, port).await,
    }
}

impl Shared {
    /// The decision, the addresses to connect to, and the host as logged.
    async fn check(&self, host: &str, port: u16) -> (EgressDecision, Vec<IpAddr>, String) {
        let (target, denied_by_name) = match self.policy.check_name(host, port) {
            Ok((target, _)) => (target, None),
            // Enforce mode never resolves a name it denies: the lookup
            // alone would carry the name (or data encoded in it) to DNS.
            Err(denied) if self.mode == Mode::Enforce => {
                let shown = match parse_target(host) {
                    Ok(Target::Name(name)) => name,
                    Ok(Target::Ip(ip)) => ip.to_string(),
                    Err(_) => shown_host(host),
                };
                return (denied, Vec::new(), shown);
            }
            Err(denied) => match parse_target(host) {
                Ok(target) => (target, Some(denied)),
                Err(_) => return (denied, Vec::new(), shown_host(host)),
            },
        };
        let (resolved, shown) = match target {
            Target::Ip(ip) => (vec![ip], ip.to_string()),
            Target::Name(name) => match self.resolve(&name, port).await {
                Ok(resolved) => (resolved, name),
                Err(reason) => {
                    let reason = denied_by_name.map_or(reason, |denied| denied.reason);
                    return (
                        EgressDecision {
                            allowed: false,
                            reason,
                        },
                        Vec::new(),
                        name,
                    );
                }
            },
        };
        let decision = denied_by_name.unwrap_or_else(|| self.policy.decide(host, port, &resolved));
        (decision, resolved, shown)
    }

    async fn resolve(&self, name: &str, port: u16) -> Result<Vec<IpAddr>, String> {
        let lookup = tokio::net::lookup_host((name, port));
        match tokio::time::timeout(self.limits.resolve_timeout, lookup).await {
            Err(_) => Err(format!("resolving {name} timed out")),
            Ok(Err(error)) => Err(format!("resolving {name} failed: {error}")),
            Ok(Ok(addrs)) => {
                let mut ips = Vec::new();
                for ip in addrs.map(|a| addr::canonical(a.ip())) {
                    if !ips.contains(&ip) {
                        ips.push(ip);
                    }
                }
                Ok(ips)
            }
        }
    }
}

/// Host and port of a proxy request: `CONNECT host:port` or an absolute
/// `http://` URL. Anything else is a client error.
fn destination(req: &Request<Incoming>) -> Result<(String, u16), &'static str> {
    let uri = req.uri();
    let (authority, port) = if req.method() == Method::CONNECT {
        let authority = uri.authority().ok_or("CONNECT needs host:port")?;
        (
            authority,
            authority.port_u16().ok_or("CONNECT needs host:port")?,
        )
    } else {
        match uri.scheme_str() {
            Some("http") => {}
            Some(_) => return Err("only http:// URLs are forwarded; use CONNECT for https"),
            None => return Err("a proxy request needs an absolute http:// URL or CONNECT"),
        }
        let authority = uri.authority().ok_or("the URL has no host")?;
        (authority, authority.port_u16().unwrap_or(80))
    };
    if port == 0 {
        return Err("port 0");
    }
    Ok((authority.host().to_string(), port))
}

/// What the event shows for a host that is not valid: a bounded prefix.
fn shown_host(host: &str) -> String {
    host.chars().take(80).collect()
}

/// Connects to the first of `addrs` that answers: only addresses the policy
/// checked, never a new lookup (DNS rebinding).
async fn connect(addrs: &[IpAddr], port: u16, timeout: Duration) -> Result<TcpStream, String> {
    let mut last = "no address to connect to".to_string();
    for &ip in addrs {
        match tokio::time::timeout(timeout, TcpStream::connect((ip, port))).await {
            Ok(Ok(stream)) => {
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Ok(Err(error)) => last = format!("connecting to {ip} failed: {error}"),
            Err(_) => last = format!("connecting to {ip} timed out"),
        }
    }
    Err(last)
}

/// Sends an absolute-form request to the destination in origin form, its
/// `Host` rebuilt from the URL (userinfo dropped) and hop-by-hop headers
/// removed both ways.
async fn forward(
    req: Request<Incoming>,
    upstream: TcpStream,
    host: &str,
    port: u16,
) -> Response<ProxyBody> {
    let (mut parts, body) = req.into_parts();
    let path = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
    parts.uri = match Uri::try_from(path) {
        Ok(uri) => uri,
        Err(_) => {
            return plain(
                StatusCode::BAD_REQUEST,
                "fnguard egress: bad path\n".to_string(),
            )
        }
    };
    parts.version = Version::HTTP_11;
    remove_hop_by_hop(&mut parts.headers);
    let host_header = if port == 80 {
        host.to_string()
    } else {
        format!("{host}:{port}")
    };
    match HeaderValue::from_str(&host_header) {
        Ok(value) => parts.headers.insert(header::HOST, value),
        Err(_) => {
            return plain(
                StatusCode::BAD_REQUEST,
                "fnguard egress: bad host\n".to_string(),
            )
        }
    };
    let (mut sender, connection) =
        match hyper::client::conn::http1::handshake(TokioIo::new(upstream)).await {
            Ok(pair) => pair,
            Err(error) => {
                return plain(
                    StatusCode::BAD_GATEWAY,
                    format!("fnguard egress: {error}\n"),
                )
            }
        };
    // Drives the upstream connection; it ends when the response body has
    // been read or dropped.
    tokio::spawn(async move {
        let _ = connection.await;
    });
    match sender.send_request(Request::from_parts(parts, body)).await {
        Ok(response) => {
            let (mut parts, body) = response.into_parts();
            remove_hop_by_hop(&mut parts.headers);
            Response::from_parts(parts, body.boxed())
        }
        Err(error) => plain(
            StatusCode::BAD_GATEWAY,
            format!("fnguard egress: {host}:{port}: {error}\n"),
        ),
    }
}

/// RFC 9110 §7.6.1: `Connection`, the headers it names, and the classic
/// hop-by-hop set (plus `Proxy-Connection`, which some clients still send).
fn remove_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    for name in [
        header::CONNECTION,
        HeaderName::from_static("keep-alive"),
        header::PROXY_AUTHENTICATE,
        header::PROXY_AUTHORIZATION,
        HeaderName::from_static("proxy-connection"),
        header::TE,
        header::TRAILER,
        header::TRANSFER_ENCODING,
        header::UPGRADE,
    ] {
        headers.remove(name);
    }
}

fn plain(status: StatusCode, text: String) -> Response<ProxyBody> {
    let mut response = Response::new(
        Full::new(Bytes::from(text))
            .map_err(|never| match never {})
            .boxed(),
    );
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}
