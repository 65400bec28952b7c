//! `fnguard dns serve`: the policy applied to live queries. A forwarding
//! DNS firewall for a VPC or office egress (guide §3.3.4).
//!
//! Shape, chosen for speed on few cores:
//! - UDP queries are read by plain threads (blocking `recv_from` on the
//!   shared socket); a blocked name, a cache hit or a malformed packet is
//!   answered on that thread without a parse by a general DNS library and
//!   without allocating beyond the answer (`wire`, `cache`).
//! - Everything that waits, forwarding upstream, TCP clients, the metrics
//!   endpoint and signals, runs on a tokio runtime; a UDP thread hands a
//!   cache miss over to it and goes back to reading.
//! - The policy is swapped whole on SIGHUP: threads pick the new one up
//!   before their next query, no socket is closed, no query dropped.

mod cache;
pub mod config;
mod log;
mod metrics;
mod upstream;
pub mod wire;

pub use config::{FailMode, LogQueries, LogTarget, ServerConfig};

use crate::{Decision, Policy, PolicyError};
use cache::{Cache, Entry, Freshness};
use fnguard_intel::KnowledgeBase;
use metrics::{add, Gauges, Metrics};
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use upstream::Upstreams;
use wire::{Edns, Query, CLASS_IN, RCODE_REFUSED, RCODE_SERVFAIL};

/// Queries waiting for an upstream at most; beyond, SERVFAIL at once, so
/// that a flood of unique names cannot exhaust memory.
const MAX_FORWARDS: usize = 10_000;
/// A TCP client that sends nothing for this long is disconnected.
const TCP_IDLE: Duration = Duration::from_secs(10);
/// How often a UDP thread looks up from its socket to see if it must stop.
const STOP_POLL: Duration = Duration::from_millis(200);

#[derive(Debug)]
pub enum ServeError {
    Policy(PolicyError),
    Bind { address: SocketAddr, error: String },
    Start(String),
}

impl fmt::Display for ServeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServeError::Policy(e) => write!(f, "{e}"),
            ServeError::Bind { address, error } => write!(f, "cannot listen on {address}: {error}"),
            ServeError::Start(message) => f.write_str(message),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Proto {
    Udp,
    Tcp,
}

impl Proto {
    fn as_str(self) -> &'static str {
        match self {
            Proto::Udp => "udp",
            Proto::Tcp => "tcp",
        }
    }
}

/// A query that must go upstream, owned so that it outlives the packet.
struct Forward {
    id: u16,
    rd: bool,
    cd: bool,
    question: Vec<u8>,
    qtype: u16,
    qclass: u16,
    edns: Option<Edns>,
    /// The question, lowercased: cache key and what is asked upstream.
    key: Vec<u8>,
}

impl Forward {
    fn query(&self) -> Query<'_> {
        Query {
            id: self.id,
            rd: self.rd,
            cd: self.cd,
            question: &self.question,
            qtype: self.qtype,
            qclass: self.qclass,
            edns: self.edns,
        }
    }
}

enum Outcome {
    Reply(Vec<u8>),
    Forward(Forward),
    Nothing,
}

/// What every thread and task shares.
struct Shared {
    config: ServerConfig,
    policy_path: PathBuf,
    policy: RwLock<Arc<Policy>>,
    /// Bumped on each reload; threads compare it before each query.
    generation: AtomicU64,
    kb: &'static KnowledgeBase,
    cache: Cache,
    upstreams: Upstreams,
    metrics: Metrics,
    log: Option<log::DecisionLog>,
    forwards: AtomicUsize,
    started: Instant,
}

impl Shared {
    fn current_policy(&self) -> Arc<Policy> {
        match self.policy.read() {
            Ok(policy) => Arc::clone(&policy),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// The answer to `packet` when it needs no upstream.
    fn respond(
        &self,
        policy: &Policy,
        packet: &[u8],
        client: SocketAddr,
        proto: Proto,
        key: &mut Vec<u8>,
    ) -> Outcome {
        let query = match wire::parse_query(packet) {
            Ok(query) => query,
            Err(malformed) => {
                return match wire::malformed_answer(malformed) {
                    Some(answer) => {
                        add(&self.metrics.malformed_answered);
                        Outcome::Reply(answer)
                    }
                    None => {
                        add(&self.metrics.malformed_dropped);
                        Outcome::Nothing
                    }
                };
            }
        };
        let (name, clean) = wire::query_name(query.question);
        let decision = if clean {
            policy.decide(self.kb, &name)
        } else {
            // A label with a dot or a control byte in it: not a name
            // anyone registers, and a way to make one name read as another.
            Decision {
                allowed: false,
                action: Some(policy.action),
                rule: "malformed-name".into(),
                vendor: None,
                product: None,
                tenant: None,
            }
        };
        self.log_decision(&decision, &name, query.qtype, client, proto);
        if !decision.allowed {
            add(&self.metrics.blocked);
            let action = decision.action.unwrap_or(policy.action);
            return Outcome::Reply(self.fit(
                wire::blocked_answer(&query, action, &decision.rule),
                &query,
                proto,
            ));
        }
        add(&self.metrics.allowed);
        if query.qclass != CLASS_IN {
            // CHAOS and HESIOD are not forwarded: they describe servers,
            // not names, and `version.bind` is nobody's business.
            return Outcome::Reply(wire::empty_answer(&query, RCODE_REFUSED, None));
        }
        wire::lowercase_question(query.question, key);
        if let Some(answer) = self
            .cache
            .answer(key, &query, Instant::now(), Freshness::Fresh)
        {
            add(&self.metrics.cache_hits);
            return Outcome::Reply(self.fit(answer, &query, proto));
        }
        add(&self.metrics.cache_misses);
        Outcome::Forward(Forward {
            id: query.id,
            rd: query.rd,
            cd: query.cd,
            question: query.question.to_vec(),
            qtype: query.qtype,
            qclass: query.qclass,
            edns: query.edns,
            key: key.clone(),
        })
    }

    /// An answer within the client's UDP size, else truncated.
    fn fit(&self, answer: Vec<u8>, query: &Query, proto: Proto) -> Vec<u8> {
        if proto == Proto::Udp && answer.len() > wire::udp_limit(query) {
            add(&self.metrics.truncated);
            return wire::truncated_answer(query, answer[3] & 0x0f);
        }
        answer
    }

    async fn forward(&self, forward: Forward, proto: Proto) -> Vec<u8> {
        let query = forward.query();
        if self.forwards.fetch_add(1, Ordering::Relaxed) >= MAX_FORWARDS {
            self.forwards.fetch_sub(1, Ordering::Relaxed);
            add(&self.metrics.servfail);
            return wire::empty_answer(&query, RCODE_SERVFAIL, None);
        }
        let resolved = self
            .upstreams
            .resolve(&forward.key, self.config.max_ttl)
            .await;
        self.forwards.fetch_sub(1, Ordering::Relaxed);
        let now = Instant::now();
        let answer = match resolved {
            Some(checked) => {
                let ttl = checked.cache_ttl;
                let entry = Arc::new(Entry::new(
                    checked.message,
                    checked.ttl_offsets,
                    ttl.unwrap_or(0),
                ));
                if ttl.is_some() {
                    self.cache.insert(&forward.key, Arc::clone(&entry));
                }
                entry.reply(&query, now, None)
            }
            None => {
                let stale = match self.config.fail {
                    FailMode::Open => {
                        self.cache
                            .answer(&forward.key, &query, now, Freshness::Stale)
                    }
                    FailMode::Closed => None,
                };
                match stale {
                    Some(answer) => {
                        add(&self.metrics.stale_answers);
                        answer
                    }
                    None => {
                        add(&self.metrics.servfail);
                        wire::empty_answer(&query, RCODE_SERVFAIL, None)
                    }
                }
            }
        };
        self.fit(answer, &query, proto)
    }

    fn log_decision(
        &self,
        decision: &Decision,
        name: &str,
        qtype: u16,
        client: SocketAddr,
        proto: Proto,
    ) {
        let Some(log) = &self.log else {
            return;
        };
        if decision.allowed && self.config.log_queries == LogQueries::Blocked {
            return;
        }
        let line = log::Line {
            time: fnguard_core::date::rfc3339(std::time::SystemTime::now(), true),
            client: client.to_string(),
            proto: proto.as_str(),
            name,
            qtype: hickory_proto::rr::RecordType::from(qtype).to_string(),
            decision: if decision.allowed { "allow" } else { "block" },
            action: decision.action.map(|a| a.to_string()),
            rule: &decision.rule,
            vendor: decision.vendor.as_deref(),
            product: decision.product.as_deref(),
            tenant: decision.tenant.as_deref(),
        };
        if !log.write(&line) {
            add(&self.metrics.log_dropped);
        }
    }

    fn render_metrics(&self) -> String {
        let now = self.upstreams.now_ms();
        let policy = self.current_policy();
        self.metrics.render(&Gauges {
            cache_entries: self.cache.len(),
            policy_entries: policy.sizes(),
            upstreams: self
                .upstreams
                .list
                .iter()
                .map(|u| {
                    (
                        u.address.to_string(),
                        u.is_up(now),
                        u.answered.load(Ordering::Relaxed),
                        u.failed.load(Ordering::Relaxed),
                    )
                })
                .collect(),
            uptime_seconds: self.started.elapsed().as_secs(),
            policy_generation: self.generation.load(Ordering::Relaxed),
        })
    }
}

/// A running firewall.
pub struct Server {
    shared: Arc<Shared>,
    runtime: Option<tokio::runtime::Runtime>,
    workers: Vec<std::thread::JoinHandle<()>>,
    stop: Arc<AtomicBool>,
    /// The addresses bound (a port 0 in the configuration is resolved).
    pub udp: Vec<SocketAddr>,
    pub tcp: Vec<SocketAddr>,
    pub metrics: Option<SocketAddr>,
}

impl Server {
    /// Loads the policy and `[server]` of `config_path`, binds every
    /// listener and starts answering.
    pub fn start(config_path: &Path) -> Result<Server, ServeError> {
        let (display, text) = crate::read_config(config_path).map_err(ServeError::Policy)?;
        let base = config_path.parent().unwrap_or(Path::new("."));
        let config = ServerConfig::parse(&display, &text, base).map_err(ServeError::Policy)?;
        let policy = Policy::parse(&display, &text, base).map_err(ServeError::Policy)?;
        let kb = fnguard_intel::builtin().map_err(|errors| {
            ServeError::Start(format!(
                "the built-in endpoint knowledge base does not load: {}",
                errors.first().map(ToString::to_string).unwrap_or_default()
            ))
        })?;
        let log = match &config.log {
            Some(target) => Some(
                log::DecisionLog::open(target)
                    .map_err(|e| ServeError::Start(format!("decision log: {e}")))?,
            ),
            None => None,
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(config.threads)
            .thread_name("fnguard-dns")
            .enable_all()
            .build()
            .map_err(|e| ServeError::Start(format!("cannot start the runtime: {e}")))?;
        let mut udp_sockets = Vec::new();
        let mut tcp_listeners = Vec::new();
        for &address in &config.listen {
            let bind_error = |e: std::io::Error| ServeError::Bind {
                address,
                error: e.to_string(),
            };
            let udp = std::net::UdpSocket::bind(address).map_err(bind_error)?;
            // Port 0 (tests): TCP on the port the kernel gave UDP.
            let bound = udp.local_addr().map_err(bind_error)?;
            udp.set_read_timeout(Some(STOP_POLL)).map_err(bind_error)?;
            let tcp = std::net::TcpListener::bind(bound).map_err(bind_error)?;
            tcp.set_nonblocking(true).map_err(bind_error)?;
            udp_sockets.push(Arc::new(udp));
            tcp_listeners.push(tcp);
        }
        let metrics_listener = match config.metrics {
            Some(address) => {
                let listener =
                    std::net::TcpListener::bind(address).map_err(|e| ServeError::Bind {
                        address,
                        error: e.to_string(),
                    })?;
                listener
                    .set_nonblocking(true)
                    .map_err(|e| ServeError::Start(e.to_string()))?;
                Some(listener)
            }
            None => None,
        };
        let upstreams = Upstreams::new(&config.upstreams, config.timeout);
        let shared = Arc::new(Shared {
            cache: Cache::new(config.cache_entries),
            upstreams,
            metrics: Metrics::default(),
            log,
            forwards: AtomicUsize::new(0),
            policy_path: config_path.to_path_buf(),
            policy: RwLock::new(Arc::new(policy)),
            generation: AtomicU64::new(1),
            kb,
            started: Instant::now(),
            config,
        });
        let mut server = Server {
            udp: udp_sockets
                .iter()
                .filter_map(|s| s.local_addr().ok())
                .collect(),
            tcp: tcp_listeners
                .iter()
                .filter_map(|l| l.local_addr().ok())
                .collect(),
            metrics: metrics_listener.as_ref().and_then(|l| l.local_addr().ok()),
            shared: Arc::clone(&shared),
            runtime: None,
            workers: Vec::new(),
            stop: Arc::new(AtomicBool::new(false)),
        };
        let tcp_permits = Arc::new(tokio::sync::Semaphore::new(shared.config.tcp_connections));
        for listener in tcp_listeners {
            let _guard = runtime.enter();
            let listener = tokio::net::TcpListener::from_std(listener)
                .map_err(|e| ServeError::Start(e.to_string()))?;
            runtime.spawn(tcp_accept(
                Arc::clone(&shared),
                listener,
                Arc::clone(&tcp_permits),
            ));
        }
        if let Some(listener) = metrics_listener {
            let _guard = runtime.enter();
            let listener = tokio::net::TcpListener::from_std(listener)
                .map_err(|e| ServeError::Start(e.to_string()))?;
            runtime.spawn(serve_metrics(Arc::clone(&shared), listener));
        }
        for socket in udp_sockets {
            for index in 0..shared.config.threads {
                let shared = Arc::clone(&shared);
                let socket = Arc::clone(&socket);
                let handle = runtime.handle().clone();
                let stop = Arc::clone(&server.stop);
                let worker = std::thread::Builder::new()
                    .name(format!("fnguard-dns-udp-{index}"))
                    .spawn(move || udp_worker(&shared, &socket, &handle, &stop))
                    .map_err(|e| ServeError::Start(format!("cannot start a thread: {e}")))?;
                server.workers.push(worker);
            }
        }
        server.runtime = Some(runtime);
        Ok(server)
    }

    /// Reads the policy file again and puts it in force; on error the
    /// current policy stays.
    pub fn reload(&self) -> Result<(), PolicyError> {
        match Policy::load(&self.shared.policy_path) {
            Ok(policy) => {
                let mut current = match self.shared.policy.write() {
                    Ok(current) => current,
                    Err(poisoned) => poisoned.into_inner(),
                };
                *current = Arc::new(policy);
                self.shared.generation.fetch_add(1, Ordering::Release);
                add(&self.shared.metrics.reloads);
                Ok(())
            }
            Err(e) => {
                add(&self.shared.metrics.reload_failures);
                Err(e)
            }
        }
    }

    /// The Prometheus exposition, as `GET /metrics` serves it.
    pub fn metrics_text(&self) -> String {
        self.shared.render_metrics()
    }

    /// Answers until SIGINT or SIGTERM; reloads the policy on SIGHUP.
    /// `on_reload` hears of each reload's outcome.
    pub fn run_until_signalled(
        self,
        on_reload: impl Fn(Result<(), PolicyError>),
    ) -> Result<(), ServeError> {
        use tokio::signal::unix::{signal, SignalKind};
        let Some(runtime) = &self.runtime else {
            return Ok(());
        };
        let outcome = runtime.block_on(async {
            let mut hangup = signal(SignalKind::hangup())?;
            let mut terminate = signal(SignalKind::terminate())?;
            let mut interrupt = signal(SignalKind::interrupt())?;
            loop {
                tokio::select! {
                    _ = hangup.recv() => {
                        // The parse of a million-name list takes a while:
                        // off the runtime, which keeps forwarding.
                        let reloaded = tokio::task::block_in_place(|| self.reload());
                        on_reload(reloaded);
                    }
                    _ = terminate.recv() => break,
                    _ = interrupt.recv() => break,
                }
            }
            Ok::<_, std::io::Error>(())
        });
        self.stop();
        outcome.map_err(|e| ServeError::Start(format!("signals: {e}")))
    }

    /// Stops answering and writes out the decision log.
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(Duration::from_secs(2));
        }
        // The last reference: dropping it closes the log's queue, and the
        // writer flushes what is left before it ends.
        if let Ok(shared) = Arc::try_unwrap(self.shared) {
            if let Some(log) = shared.log {
                log.close();
            }
        }
    }
}

fn udp_worker(
    shared: &Arc<Shared>,
    socket: &Arc<std::net::UdpSocket>,
    runtime: &tokio::runtime::Handle,
    stop: &AtomicBool,
) {
    // Big enough for any UDP datagram: a longer query cut short would be
    // misread.
    let mut buf = vec![0u8; 65_535];
    let mut key = Vec::with_capacity(260);
    let mut generation = shared.generation.load(Ordering::Acquire);
    let mut policy = shared.current_policy();
    while !stop.load(Ordering::Relaxed) {
        let (len, client) = match socket.recv_from(&mut buf) {
            Ok(received) => received,
            // The read timeout (to see `stop`), or an error about an
            // earlier packet: nothing to answer.
            Err(_) => continue,
        };
        add(&shared.metrics.queries_udp);
        let now_generation = shared.generation.load(Ordering::Acquire);
        if now_generation != generation {
            generation = now_generation;
            policy = shared.current_policy();
        }
        match shared.respond(&policy, &buf[..len], client, Proto::Udp, &mut key) {
            Outcome::Reply(answer) => {
                let _ = socket.send_to(&answer, client);
            }
            Outcome::Forward(forward) => {
                let shared = Arc::clone(shared);
                let socket = Arc::clone(socket);
                runtime.spawn(async move {
                    let answer = shared.forward(forward, Proto::Udp).await;
                    let _ = socket.send_to(&answer, client);
                });
            }
            Outcome::Nothing => {}
        }
    }
}

async fn tcp_accept(
    shared: Arc<Shared>,
    listener: tokio::net::TcpListener,
    permits: Arc<tokio::sync::Semaphore>,
) {
    loop {
        let Ok(permit) = Arc::clone(&permits).acquire_owned().await else {
            return;
        };
        let Ok((stream, client)) = listener.accept().await else {
            continue;
        };
        add(&shared.metrics.tcp_connections);
        let shared = Arc::clone(&shared);
        tokio::spawn(async move {
            tcp_client(&shared, stream, client).await;
            drop(permit);
        });
    }
}

/// Length-prefixed queries on one connection (RFC 7766), answered in
/// order, until the client closes it or stays idle.
async fn tcp_client(shared: &Shared, mut stream: tokio::net::TcpStream, client: SocketAddr) {
    let mut key = Vec::with_capacity(260);
    loop {
        let Ok(Ok(length)) = tokio::time::timeout(TCP_IDLE, stream.read_u16()).await else {
            return;
        };
        let mut packet = vec![0u8; length as usize];
        let Ok(Ok(_)) = tokio::time::timeout(TCP_IDLE, stream.read_exact(&mut packet)).await else {
            return;
        };
        add(&shared.metrics.queries_tcp);
        let policy = shared.current_policy();
        let outcome = shared.respond(&policy, &packet, client, Proto::Tcp, &mut key);
        let answer = match outcome {
            Outcome::Reply(answer) => answer,
            Outcome::Forward(forward) => shared.forward(forward, Proto::Tcp).await,
            // Not a query: nothing sensible follows on this stream.
            Outcome::Nothing => return,
        };
        let mut framed = Vec::with_capacity(answer.len() + 2);
        framed.extend_from_slice(&(answer.len() as u16).to_be_bytes());
        framed.extend_from_slice(&answer);
        if stream.write_all(&framed).await.is_err() {
            return;
        }
    }
}

/// `GET /metrics` in Prometheus' text format; anything else is a 404.
async fn serve_metrics(shared: Arc<Shared>, listener: tokio::net::TcpListener) {
    loop {
        let Ok((mut stream, _)) = listener.accept().await else {
            continue;
        };
        let shared = Arc::clone(&shared);
        tokio::spawn(async move {
            let mut request = Vec::with_capacity(1024);
            let mut chunk = [0u8; 1024];
            let read_head = async {
                while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < 8192 {
                    let n = stream.read(&mut chunk).await?;
                    if n == 0 {
                        break;
                    }
                    request.extend_from_slice(&chunk[..n]);
                }
                Ok::<_, std::io::Error>(())
            };
            if !matches!(
                tokio::time::timeout(Duration::from_secs(5), read_head).await,
                Ok(Ok(()))
            ) {
                return;
            }
            let response = if request.starts_with(b"GET /metrics ") {
                let body = shared.render_metrics();
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                )
            } else {
                "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".into()
            };
            let _ = stream.write_all(response.as_bytes()).await;
            let _ = stream.shutdown().await;
        });
    }
}

/// Entry points for `fuzz/` and the mutation tests: the request path and
/// the upstream-answer path, in memory, no sockets.
#[doc(hidden)]
pub mod fuzz {
    use super::*;
    use std::sync::OnceLock;

    fn shared() -> &'static Shared {
        static SHARED: OnceLock<Shared> = OnceLock::new();
        SHARED.get_or_init(|| {
            let text = "[policy]\nmode = \"allowlist\"\nallow = [\"example.com\"]\ndeny = [\"bad.example.com\"]\nblock = [\"cloud-function\"]\n[server]\nupstreams = [\"127.0.0.1:9\"]\n";
            let base = Path::new(".");
            let config = ServerConfig::parse("fuzz.toml", text, base).expect("fuzz config");
            let policy = Policy::parse("fuzz.toml", text, base).expect("fuzz policy");
            Shared {
                cache: Cache::new(1024),
                upstreams: Upstreams::new(&config.upstreams, config.timeout),
                metrics: Metrics::default(),
                log: None,
                forwards: AtomicUsize::new(0),
                policy_path: PathBuf::from("fuzz.toml"),
                policy: RwLock::new(Arc::new(policy)),
                generation: AtomicU64::new(1),
                kb: fnguard_intel::builtin().expect("knowledge base"),
                started: Instant::now(),
                config,
            }
        })
    }

    /// A client's packet through parsing, policy and the cache: a miss is
    /// answered from a cached copy of `canned` (an upstream answer to the
    /// same question) when that answer checks, as a later hit would be.
    pub fn request(packet: &[u8]) -> Option<Vec<u8>> {
        let shared = shared();
        let policy = shared.current_policy();
        let client = SocketAddr::from(([192, 0, 2, 1], 5353));
        let mut key = Vec::new();
        match shared.respond(&policy, packet, client, Proto::Udp, &mut key) {
            Outcome::Reply(answer) => Some(answer),
            Outcome::Nothing => None,
            Outcome::Forward(forward) => {
                let query = forward.query();
                let mut canned = forward.key.clone();
                // An answer with one A record pointing at the question.
                let mut answer = vec![0u8; 12];
                answer[..2].copy_from_slice(&7u16.to_be_bytes());
                answer[2] = 0x81;
                answer[3] = 0x80;
                answer[5] = 1;
                answer[7] = 1;
                answer.append(&mut canned);
                answer
                    .extend_from_slice(&[0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1]);
                let checked = upstream::check_for_fuzz(&answer, 7, &forward.key)?;
                let entry = Arc::new(Entry::new(checked.message, checked.ttl_offsets, 60));
                shared.cache.insert(&forward.key, Arc::clone(&entry));
                Some(shared.fit(
                    entry.reply(&query, Instant::now(), None),
                    &query,
                    Proto::Udp,
                ))
            }
        }
    }

    /// Bytes from an upstream through the checks, the cache entry and the
    /// answer assembled from it.
    pub fn upstream_answer(packet: &[u8]) -> Option<Vec<u8>> {
        let id = u16::from_be_bytes([*packet.first()?, *packet.get(1)?]);
        let name_end = wire::plain_name_end(packet, wire::HEADER_LEN)?;
        let question = packet.get(wire::HEADER_LEN..name_end + 4)?;
        let checked = upstream::check_for_fuzz(packet, id, question)?;
        let entry = Entry::new(checked.message, checked.ttl_offsets, 60);
        let query = Query {
            id: 1,
            rd: true,
            cd: false,
            question,
            qtype: 1,
            qclass: 1,
            edns: Some(Edns {
                payload: 1232,
                dnssec_ok: false,
            }),
        };
        Some(entry.reply(&query, Instant::now(), None))
    }
}

#[cfg(test)]
mod tests;
