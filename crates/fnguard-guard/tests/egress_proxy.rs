//! The egress proxy against real loopback servers: a TCP echo behind
//! CONNECT, an HTTP server behind absolute-form requests.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fnguard_guard::egress::{
    EgressEvent, EgressProxy, EgressSink, Limits, Mode, Policy, RequestKind,
};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(5);

/// A TCP echo server; `accepted` counts the connections it saw, so a test
/// can prove a denied request never reached it.
struct Echo {
    addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

async fn start_echo() -> Echo {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind echo");
    let addr = listener.local_addr().expect("echo address");
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    let task = tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let (mut read, mut write) = stream.split();
                let _ = tokio::io::copy(&mut read, &mut write).await;
            });
        }
    });
    Echo {
        addr,
        accepted,
        task,
    }
}

/// An HTTP server that answers with what it received: request line target
/// and every header, one per line.
async fn start_http_upstream() -> (SocketAddr, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind upstream");
    let addr = listener.local_addr().expect("upstream address");
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let service = service_fn(|req: Request<Incoming>| async move {
                    let mut seen = format!("{} {}\n", req.method(), req.uri());
                    for (name, value) in req.headers() {
                        seen.push_str(&format!("{}: {}\n", name, value.to_str().unwrap_or("?")));
                    }
                    let response = Response::builder()
                        .header("x-upstream", "yes")
                        .header("keep-alive", "timeout=5")
                        .body(Full::new(Bytes::from(seen)))
                        .expect("response");
                    Ok::<_, Infallible>(response)
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (addr, task)
}

struct Proxy {
    addr: SocketAddr,
    events: Arc<Mutex<Vec<EgressEvent>>>,
    task: JoinHandle<()>,
}

impl Proxy {
    fn events(&self) -> Vec<EgressEvent> {
        self.events.lock().expect("events").clone()
    }
}

async fn start_proxy(entries: &[String], mode: Mode, limits: Limits) -> Proxy {
    let policy = Arc::new(Policy::parse(entries, Some("eu-west-1")).expect("policy"));
    let events = Arc::new(Mutex::new(Vec::new()));
    let log = events.clone();
    let sink: EgressSink = Arc::new(move |event: &EgressEvent| {
        log.lock().expect("events").push(event.clone());
    });
    let (addr, task) = EgressProxy::start_with_limits(
        "127.0.0.1:0".parse().expect("listen address"),
        policy,
        mode,
        sink,
        limits,
    )
    .await
    .expect("start proxy");
    Proxy { addr, events, task }
}

async fn enforcing(entries: &[String]) -> Proxy {
    start_proxy(entries, Mode::Enforce, Limits::default()).await
}

/// Reads a response head byte by byte (so that no tunnelled byte is taken)
/// and then a `content-length` body if there is one.
async fn read_response(stream: &mut TcpStream) -> (u16, String, String) {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8];
        let n = timeout(WAIT, stream.read(&mut byte))
            .await
            .expect("response in time")
            .expect("read response");
        assert!(
            n == 1,
            "connection closed mid-head: {:?}",
            String::from_utf8_lossy(&head)
        );
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).expect("ASCII head");
    let status = head[9..12].parse().expect("status code");
    let length = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    timeout(WAIT, stream.read_exact(&mut body))
        .await
        .expect("body in time")
        .expect("read body");
    (status, head, String::from_utf8(body).expect("UTF-8 body"))
}

async fn request(proxy: SocketAddr, raw: &str) -> (TcpStream, u16, String, String) {
    let mut stream = TcpStream::connect(proxy).await.expect("connect to proxy");
    stream.write_all(raw.as_bytes()).await.expect("send");
    let (status, head, body) = read_response(&mut stream).await;
    (stream, status, head, body)
}

fn connect_request(target: &str) -> String {
    format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n")
}

async fn assert_echoes(stream: &mut TcpStream) {
    stream
        .write_all(b"ping through the tunnel")
        .await
        .expect("write");
    let mut back = [0u8; 23];
    timeout(WAIT, stream.read_exact(&mut back))
        .await
        .expect("echo in time")
        .expect("echo");
    assert_eq!(&back, b"ping through the tunnel");
}

#[tokio::test]
async fn connect_to_a_listed_address_tunnels_to_it() {
    let echo = start_echo().await;
    let proxy = enforcing(&[echo.addr.to_string()]).await;
    let (mut stream, status, _, _) =
        request(proxy.addr, &connect_request(&echo.addr.to_string())).await;
    assert_eq!(status, 200);
    assert_echoes(&mut stream).await;
    let events = proxy.events();
    assert_eq!(events.len(), 1);
    let event = &events[0];
    assert_eq!(event.kind, RequestKind::Connect);
    assert_eq!(event.host, "127.0.0.1");
    assert_eq!(event.port, echo.addr.port());
    assert!(event.allowed && !event.would_deny);
    assert_eq!(event.decision(), "allow");
    assert_eq!(event.resolved, vec![echo.addr.ip()]);
    proxy.task.abort();
    echo.task.abort();
}

#[tokio::test]
async fn listed_name_tunnels_when_its_loopback_addresses_are_listed_too() {
    let echo = start_echo().await;
    let entries = ["localhost", "127.0.0.1", "::1"].map(String::from);
    let proxy = enforcing(&entries).await;
    let target = format!("LocalHost.:{}", echo.addr.port());
    let (mut stream, status, _, _) = request(proxy.addr, &connect_request(&target)).await;
    assert_eq!(status, 200);
    assert_echoes(&mut stream).await;
    let event = &proxy.events()[0];
    assert_eq!(event.host, "localhost");
    assert!(event.allowed);
    assert!(event.resolved.contains(&echo.addr.ip()), "{event:?}");
    proxy.task.abort();
    echo.task.abort();
}

#[tokio::test]
async fn localhost_name_is_denied_because_it_resolves_to_loopback() {
    let echo = start_echo().await;
    let proxy = enforcing(&["localhost".to_string()]).await;
    let target = format!("localhost:{}", echo.addr.port());
    let (_stream, status, _, body) = request(proxy.addr, &connect_request(&target)).await;
    assert_eq!(status, 403);
    assert!(body.contains("loopback"), "{body}");
    let event = &proxy.events()[0];
    assert!(!event.allowed && !event.would_deny);
    assert_eq!(event.decision(), "deny");
    assert!(
        event.resolved.iter().all(|ip| ip.is_loopback()),
        "{event:?}"
    );
    assert_eq!(echo.accepted.load(Ordering::SeqCst), 0);
    proxy.task.abort();
    echo.task.abort();
}

#[tokio::test]
async fn loopback_private_and_metadata_targets_are_denied_unless_listed() {
    let echo = start_echo().await;
    let proxy = enforcing(&["10.9.0.0/16".to_string()]).await;
    for target in [
        echo.addr.to_string(),
        "169.254.169.254:80".to_string(),
        "[fd00:ec2::254]:80".to_string(),
        "10.0.0.1:443".to_string(),
        "[::ffff:127.0.0.1]:80".to_string(),
    ] {
        let (_stream, status, _, body) = request(proxy.addr, &connect_request(&target)).await;
        assert_eq!(status, 403, "{target}: {body}");
        assert!(body.contains("denied"), "{target}: {body}");
    }
    let (_stream, status, _, body) = request(
        proxy.addr,
        "GET http://169.254.169.254/latest/meta-data/ HTTP/1.1\r\nHost: 169.254.169.254\r\n\r\n",
    )
    .await;
    assert_eq!(status, 403);
    assert!(body.contains("metadata"), "{body}");
    assert_eq!(echo.accepted.load(Ordering::SeqCst), 0);
    let events = proxy.events();
    assert_eq!(events.len(), 6);
    assert!(events.iter().all(|e| !e.allowed && e.decision() == "deny"));
    // The event holds the destination, never the path.
    let logged = serde_json::to_string(&events[5]).expect("event as JSON");
    assert!(!logged.contains("meta-data"), "{logged}");
    proxy.task.abort();
    echo.task.abort();
}

#[tokio::test]
async fn unlisted_name_is_refused_without_a_dns_lookup() {
    let proxy = enforcing(&["allowed.example.com".to_string()]).await;
    let (_stream, status, _, body) = request(
        proxy.addr,
        "GET http://Denied.Example.COM./x HTTP/1.1\r\nHost: denied.example.com\r\n\r\n",
    )
    .await;
    assert_eq!(status, 403);
    assert!(
        body.contains("denied.example.com:80 denied: host denied.example.com port 80 not listed"),
        "{body}"
    );
    let event = &proxy.events()[0];
    assert_eq!(event.kind, RequestKind::Http);
    assert_eq!(event.host, "denied.example.com");
    assert!(event.resolved.is_empty(), "{event:?}");
    proxy.task.abort();
}

#[tokio::test]
async fn absolute_form_http_is_forwarded_in_origin_form_without_hop_by_hop_headers() {
    let (upstream, upstream_task) = start_http_upstream().await;
    let proxy = enforcing(&[upstream.to_string()]).await;
    let raw = format!(
        "GET http://user:secret@{upstream}/path?token=abc HTTP/1.1\r\n\
         Host: evil.example\r\n\
         Proxy-Authorization: Basic c2VjcmV0\r\n\
         Proxy-Connection: keep-alive\r\n\
         Connection: keep-alive, x-private-hop\r\n\
         X-Private-Hop: 1\r\n\
         X-End-To-End: kept\r\n\r\n"
    );
    let (_stream, status, head, body) = request(proxy.addr, &raw).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.starts_with("GET /path?token=abc\n"), "{body}");
    assert!(body.contains(&format!("host: {upstream}\n")), "{body}");
    assert!(body.contains("x-end-to-end: kept"), "{body}");
    for gone in [
        "proxy-authorization",
        "proxy-connection",
        "x-private-hop",
        "secret",
    ] {
        assert!(!body.contains(gone), "{gone} forwarded: {body}");
    }
    let head = head.to_ascii_lowercase();
    assert!(head.contains("x-upstream: yes"), "{head}");
    assert!(!head.contains("keep-alive: timeout"), "{head}");
    let event = &proxy.events()[0];
    assert!(event.allowed);
    let logged = serde_json::to_string(event).expect("event as JSON");
    for secret in ["token", "abc", "path", "secret", "Basic"] {
        assert!(!logged.contains(secret), "{secret} logged: {logged}");
    }
    proxy.task.abort();
    upstream_task.abort();
}

#[tokio::test]
async fn report_mode_lets_a_denied_destination_through_and_says_so() {
    let echo = start_echo().await;
    let proxy = start_proxy(&[], Mode::Report, Limits::default()).await;
    let (mut stream, status, _, _) =
        request(proxy.addr, &connect_request(&echo.addr.to_string())).await;
    assert_eq!(status, 200);
    assert_echoes(&mut stream).await;
    let (upstream, upstream_task) = start_http_upstream().await;
    let (_stream, status, _, body) = request(
        proxy.addr,
        &format!("GET http://localhost:{}/ HTTP/1.1\r\n\r\n", upstream.port()),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let events = proxy.events();
    assert_eq!(events.len(), 2);
    for event in &events {
        assert!(!event.allowed && event.would_deny, "{event:?}");
        assert_eq!(event.decision(), "report");
    }
    assert!(events[0].reason.contains("loopback"), "{:?}", events[0]);
    assert!(events[1].reason.contains("not listed"), "{:?}", events[1]);
    assert_eq!(events[1].host, "localhost");
    assert!(!events[1].resolved.is_empty());
    proxy.task.abort();
    echo.task.abort();
    upstream_task.abort();
}

#[tokio::test]
async fn malformed_requests_get_400_and_the_proxy_keeps_serving() {
    let echo = start_echo().await;
    let proxy = enforcing(&[echo.addr.to_string()]).await;
    for raw in [
        "GET /relative HTTP/1.1\r\nHost: example.com\r\n\r\n",
        "GET https://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n",
        "CONNECT example.com HTTP/1.1\r\nHost: example.com\r\n\r\n",
        "CONNECT example.com:0 HTTP/1.1\r\nHost: example.com\r\n\r\n",
        "NOT HTTP AT ALL\r\n\r\n",
        "GET http://exa mple.com/ HTTP/1.1\r\n\r\n",
        "GET http://[::1/ HTTP/1.1\r\n\r\n",
    ] {
        let (_stream, status, _, _) = request(proxy.addr, raw).await;
        assert_eq!(status, 400, "{raw:?}");
    }
    // No decision was taken on any of them, and the proxy still works.
    assert!(proxy.events().is_empty(), "{:?}", proxy.events());
    let (mut stream, status, _, _) =
        request(proxy.addr, &connect_request(&echo.addr.to_string())).await;
    assert_eq!(status, 200);
    assert_echoes(&mut stream).await;
    proxy.task.abort();
    echo.task.abort();
}

#[tokio::test]
async fn invalid_host_names_are_denied_with_an_event() {
    let proxy = enforcing(&["*.example.com".to_string()]).await;
    let (_stream, status, _, body) =
        request(proxy.addr, &connect_request("a..example.com:443")).await;
    assert_eq!(status, 403);
    assert!(body.contains("invalid host"), "{body}");
    assert_eq!(proxy.events()[0].host, "a..example.com");
    proxy.task.abort();
}

#[tokio::test]
async fn connections_beyond_the_limit_wait_for_a_free_slot() {
    let echo = start_echo().await;
    let limits = Limits {
        max_connections: 1,
        ..Limits::default()
    };
    let proxy = start_proxy(&[echo.addr.to_string()], Mode::Enforce, limits).await;
    let connect = connect_request(&echo.addr.to_string());
    let (mut first, status, _, _) = request(proxy.addr, &connect).await;
    assert_eq!(status, 200);
    assert_echoes(&mut first).await;
    let mut second = TcpStream::connect(proxy.addr).await.expect("connect");
    second.write_all(connect.as_bytes()).await.expect("send");
    let mut byte = [0u8];
    let waiting = timeout(Duration::from_millis(300), second.read(&mut byte)).await;
    assert!(
        waiting.is_err(),
        "second connection served while the first holds the only slot"
    );
    drop(first);
    let (status, _, _) = read_response(&mut second).await;
    assert_eq!(status, 200);
    assert_echoes(&mut second).await;
    proxy.task.abort();
    echo.task.abort();
}

#[tokio::test]
async fn aborting_the_proxy_ends_its_tunnels_and_stops_listening() {
    let echo = start_echo().await;
    let proxy = enforcing(&[echo.addr.to_string()]).await;
    let (mut stream, status, _, _) =
        request(proxy.addr, &connect_request(&echo.addr.to_string())).await;
    assert_eq!(status, 200);
    assert_echoes(&mut stream).await;
    proxy.task.abort();
    let _ = proxy.task.await;
    let mut rest = Vec::new();
    let read = timeout(WAIT, stream.read_to_end(&mut rest))
        .await
        .expect("tunnel closed in time");
    assert!(read.is_err() || rest.is_empty());
    assert!(TcpStream::connect(proxy.addr).await.is_err());
    echo.task.abort();
}

#[tokio::test]
async fn zero_connection_limit_is_refused() {
    let sink: EgressSink = Arc::new(|_: &EgressEvent| {});
    let result = EgressProxy::start_with_limits(
        "127.0.0.1:0".parse().expect("listen address"),
        Arc::new(Policy::default()),
        Mode::Enforce,
        sink,
        Limits {
            max_connections: 0,
            ..Limits::default()
        },
    )
    .await;
    let error = result.expect_err("zero connections refused");
    assert!(error.to_string().contains("max_connections"), "{error}");
}

#[tokio::test]
async fn allowed_destination_that_refuses_the_connection_gets_502() {
    let closed = {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        listener.local_addr().expect("address")
    };
    let proxy = enforcing(&[closed.to_string()]).await;
    let (_stream, status, _, body) =
        request(proxy.addr, &connect_request(&closed.to_string())).await;
    assert_eq!(status, 502);
    assert!(body.contains("connecting to 127.0.0.1 failed"), "{body}");
    assert!(proxy.events()[0].allowed);
    proxy.task.abort();
}

#[tokio::test]
async fn a_client_that_stalls_in_its_headers_is_dropped() {
    let limits = Limits {
        header_timeout: Duration::from_millis(200),
        ..Limits::default()
    };
    let proxy = start_proxy(&[], Mode::Enforce, limits).await;
    let mut stream = TcpStream::connect(proxy.addr).await.expect("connect");
    stream
        .write_all(b"CONNECT example.com:443 HTTP/1.1\r\nHost: exa")
        .await
        .expect("send");
    let mut rest = Vec::new();
    timeout(WAIT, stream.read_to_end(&mut rest))
        .await
        .expect("dropped after the header timeout")
        .expect("read");
    let rest = String::from_utf8_lossy(&rest);
    assert!(
        rest.is_empty() || rest.starts_with("HTTP/1.1 408"),
        "{rest}"
    );
    assert!(proxy.events().is_empty());
    proxy.task.abort();
}
