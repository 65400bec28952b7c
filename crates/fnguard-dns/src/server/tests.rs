//! The firewall on loopback, between a real client (`dig`, from Debian's
//! bind9-dnsutils, installed by scripts/setup-test-tools.sh) and a small
//! upstream of our own that the tests can stop and restart.

use super::*;
use hickory_proto::op::{Message, MessageType, OpCode, ResponseCode};
use hickory_proto::rr::{rdata, Name, RData, Record, RecordType};
use std::net::{TcpListener, UdpSocket};
use std::process::Command;
use std::sync::atomic::AtomicU64;
use std::thread::JoinHandle;

/// An upstream answering every name on 127.0.0.1 (UDP and TCP):
/// `nx.*` NXDOMAIN with a SOA; `huge.*` 100 A records (truncated over
/// UDP: the firewall must retry over TCP); `short.*` an A with TTL 1;
/// anything else an A 192.0.2.1 with TTL 300.
struct TestUpstream {
    port: u16,
    udp_queries: Arc<AtomicU64>,
    tcp_queries: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

fn upstream_answer(query: &[u8], tcp: bool) -> Option<Vec<u8>> {
    let query = Message::from_vec(query).ok()?;
    let question = query.queries.first()?.clone();
    let name = question.name().to_ascii().to_ascii_lowercase();
    let mut answer = Message::new(query.metadata.id, MessageType::Response, OpCode::Query);
    answer.metadata.recursion_desired = query.metadata.recursion_desired;
    answer.metadata.recursion_available = true;
    answer.add_query(question.clone());
    let owner = question.name().clone();
    let a = |ttl: u32, last: u8| {
        Record::from_rdata(owner.clone(), ttl, RData::A(rdata::A::new(192, 0, 2, last)))
    };
    if name.starts_with("nx.") {
        answer.metadata.response_code = ResponseCode::NXDomain;
        let soa = rdata::SOA::new(
            Name::from_ascii("ns.example.").ok()?,
            Name::from_ascii("hostmaster.example.").ok()?,
            1,
            3600,
            600,
            86_400,
            30,
        );
        answer.add_authority(Record::from_rdata(
            Name::from_ascii("example.com.").ok()?,
            60,
            RData::SOA(soa),
        ));
    } else if name.starts_with("huge.") {
        if tcp {
            for last in 0..100 {
                answer.add_answer(a(300, last));
            }
        } else {
            answer.metadata.truncation = true;
        }
    } else if name.starts_with("short.") {
        answer.add_answer(a(1, 7));
    } else if question.query_type() == RecordType::A {
        answer.add_answer(a(300, 1));
    }
    answer.to_vec().ok()
}

impl TestUpstream {
    fn start(port: u16) -> TestUpstream {
        let udp = UdpSocket::bind(("127.0.0.1", port)).expect("upstream UDP");
        let port = udp.local_addr().unwrap().port();
        let tcp = TcpListener::bind(("127.0.0.1", port)).expect("upstream TCP");
        udp.set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        tcp.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let udp_queries = Arc::new(AtomicU64::new(0));
        let tcp_queries = Arc::new(AtomicU64::new(0));
        let udp_thread = {
            let (stop, count) = (Arc::clone(&stop), Arc::clone(&udp_queries));
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while !stop.load(Ordering::Relaxed) {
                    if let Ok((n, from)) = udp.recv_from(&mut buf) {
                        count.fetch_add(1, Ordering::Relaxed);
                        if let Some(answer) = upstream_answer(&buf[..n], false) {
                            let _ = udp.send_to(&answer, from);
                        }
                    }
                }
            })
        };
        let tcp_thread = {
            let (stop, count) = (Arc::clone(&stop), Arc::clone(&tcp_queries));
            std::thread::spawn(move || {
                use std::io::{Read, Write};
                while !stop.load(Ordering::Relaxed) {
                    let Ok((mut stream, _)) = tcp.accept() else {
                        std::thread::sleep(Duration::from_millis(10));
                        continue;
                    };
                    let _ = stream.set_nonblocking(false);
                    let mut length = [0u8; 2];
                    if stream.read_exact(&mut length).is_err() {
                        continue;
                    }
                    let mut query = vec![0u8; u16::from_be_bytes(length) as usize];
                    if stream.read_exact(&mut query).is_err() {
                        continue;
                    }
                    count.fetch_add(1, Ordering::Relaxed);
                    if let Some(answer) = upstream_answer(&query, true) {
                        let _ = stream.write_all(&(answer.len() as u16).to_be_bytes());
                        let _ = stream.write_all(&answer);
                    }
                }
            })
        };
        TestUpstream {
            port,
            udp_queries,
            tcp_queries,
            stop,
            threads: vec![udp_thread, tcp_thread],
        }
    }

    fn queries(&self) -> u64 {
        self.udp_queries.load(Ordering::Relaxed) + self.tcp_queries.load(Ordering::Relaxed)
    }

    fn stop(mut self) -> u16 {
        self.stop.store(true, Ordering::Relaxed);
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
        self.port
    }
}

struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let dir = std::env::temp_dir().join(format!("fnguard-dns-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Dir(dir)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const POLICY: &str = "[policy]\nmode = \"denylist\"\ndeny = [\"evil.example\"]\nblock = [\"cloud-function\", \"api-gateway\"]\n\
    [[policy.exception]]\nvendor = \"tencent\"\ntenant = \"1300814016\"\n";

fn start(dir: &Dir, policy: &str, server: &str) -> (Server, PathBuf) {
    let path = dir.write(
        "fw.toml",
        &format!("{policy}[server]\nlisten = [\"127.0.0.1:0\"]\nthreads = 2\n{server}"),
    );
    (Server::start(&path).expect("server starts"), path)
}

/// A firewall with the test policy in front of a fresh test upstream;
/// `extra` adds to its [server] table.
fn with_upstream(name: &str, extra: &str) -> (Dir, TestUpstream, Server) {
    let dir = Dir::new(name);
    let upstream = TestUpstream::start(0);
    let table = format!("upstreams = [\"127.0.0.1:{}\"]\n{extra}", upstream.port);
    let (server, _) = start(&dir, POLICY, &table);
    (dir, upstream, server)
}

/// `dig` against the firewall: its full output (header, flags, sections).
fn dig(server: &Server, args: &[&str]) -> String {
    let output = Command::new("dig")
        .arg("@127.0.0.1")
        .arg("-p")
        .arg(server.udp[0].port().to_string())
        .args(["+tries=1", "+time=5"])
        .args(args)
        .output()
        .expect("dig runs (scripts/setup-test-tools.sh installs bind9-dnsutils)");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn status(output: &str) -> &str {
    output
        .split("status: ")
        .nth(1)
        .and_then(|s| s.split(',').next())
        .unwrap_or("none")
}

#[test]
fn answers_from_upstream_then_from_the_cache_and_blocks_what_the_policy_denies() {
    let (_dir, upstream, server) = with_upstream("basic", "");
    let first = dig(&server, &["www.example.com", "A"]);
    assert_eq!(status(&first), "NOERROR", "{first}");
    assert!(first.contains("192.0.2.1"), "{first}");
    assert_eq!(upstream.queries(), 1);
    // Same name, other case: from the cache, the client's case echoed.
    let cached = dig(&server, &["WwW.ExAmPle.CoM", "A"]);
    assert!(cached.contains("WwW.ExAmPle.CoM."), "{cached}");
    assert!(cached.contains("192.0.2.1"), "{cached}");
    assert_eq!(upstream.queries(), 1, "second answer from the cache");
    let ttl: u32 = cached
        .lines()
        .find(|l| l.contains("192.0.2.1") && !l.starts_with(';'))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|t| t.parse().ok())
        .expect("an answer line with a TTL");
    assert!(ttl <= 300 && ttl > 250, "TTL {ttl}");

    let denied = dig(&server, &["www.evil.example", "A"]);
    assert_eq!(status(&denied), "NXDOMAIN", "{denied}");
    assert!(denied.contains("EDE: 15 (Blocked)"), "{denied}");
    assert!(denied.contains("deny:evil.example"), "{denied}");
    let function = dig(&server, &["savesurvey-wdzwrthfoe.cn-hangzhou.fcapp.run"]);
    assert_eq!(status(&function), "NXDOMAIN", "{function}");
    assert!(function.contains("category:function"), "{function}");
    let ours = dig(
        &server,
        &["service-h0jbiq9b-1300814016.sh.apigw.tencentcs.com"],
    );
    assert_eq!(status(&ours), "NOERROR", "our tenant's gateway: {ours}");
    let theirs = dig(
        &server,
        &["service-69kfaex1-1312645837.bj.apigw.tencentcs.com"],
    );
    assert_eq!(status(&theirs), "NXDOMAIN", "{theirs}");
    assert_eq!(upstream.queries(), 2, "blocked names never go upstream");

    let negative = dig(&server, &["nx.example.com"]);
    assert_eq!(status(&negative), "NXDOMAIN", "{negative}");
    assert!(negative.contains("SOA"), "{negative}");
    let again = dig(&server, &["nx.example.com"]);
    assert_eq!(status(&again), "NXDOMAIN");
    assert_eq!(upstream.queries(), 3, "NXDOMAIN cached for its SOA minimum");

    let tcp = dig(&server, &["+tcp", "tcp.example.com"]);
    assert!(tcp.contains("192.0.2.1"), "{tcp}");
    let metrics = server.metrics_text();
    assert!(
        metrics.contains("fnguard_dns_decisions_total{decision=\"block\"} 3"),
        "{metrics}"
    );
    assert!(
        metrics.contains("fnguard_dns_cache_hits_total 2"),
        "{metrics}"
    );
    assert!(
        metrics.contains("fnguard_dns_queries_total{proto=\"tcp\"} 1"),
        "{metrics}"
    );
    server.stop();
    upstream.stop();
}

#[test]
fn large_answers_come_over_tcp_from_upstream_and_truncate_for_small_clients() {
    let (_dir, upstream, server) = with_upstream("tcp", "");
    // dig retries over TCP by itself when the answer is truncated.
    let full = dig(&server, &["huge.example.com"]);
    assert_eq!(full.matches("\tA\t192.0.2.").count(), 100, "{full}");
    assert!(
        upstream.tcp_queries.load(Ordering::Relaxed) >= 1,
        "UDP answer truncated: TCP upstream"
    );
    let truncated = dig(&server, &["+noedns", "+ignore", "huge.example.com"]);
    assert!(
        truncated.contains(" tc"),
        "TC over UDP without EDNS: {truncated}"
    );
    assert_eq!(truncated.matches("\tA\t192.0.2.").count(), 0, "{truncated}");
    server.stop();
    upstream.stop();
}

#[test]
fn fails_over_fails_closed_and_recovers_when_an_upstream_returns() {
    let dir = Dir::new("failover");
    // A port nothing listens on: the first upstream refuses at once.
    let dead = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let upstream = TestUpstream::start(0);
    let port = upstream.port;
    let (server, _) = start(
        &dir,
        POLICY,
        &format!("upstreams = [\"127.0.0.1:{dead}\", \"127.0.0.1:{port}\"]\ntimeout_ms = 300\n"),
    );
    let answer = dig(&server, &["one.example.com"]);
    assert!(
        answer.contains("192.0.2.1"),
        "second upstream answers: {answer}"
    );
    let port = upstream.stop();
    let closed = dig(&server, &["two.example.com"]);
    assert_eq!(status(&closed), "SERVFAIL", "fail closed: {closed}");
    let cached = dig(&server, &["one.example.com"]);
    assert!(
        cached.contains("192.0.2.1"),
        "the cache still answers: {cached}"
    );
    let upstream = TestUpstream::start(port);
    let mut recovered = false;
    for _ in 0..40 {
        if dig(&server, &["three.example.com"]).contains("192.0.2.1") {
            recovered = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    assert!(recovered, "the upstream back, the firewall resolves again");
    let metrics = server.metrics_text();
    assert!(metrics.contains("fnguard_dns_servfail_total"), "{metrics}");
    assert!(
        !metrics.contains("fnguard_dns_servfail_total 0"),
        "{metrics}"
    );
    server.stop();
    upstream.stop();
}

#[test]
fn fail_open_serves_expired_answers_while_upstreams_are_down() {
    let (_dir, upstream, server) = with_upstream("failopen", "timeout_ms = 300\nfail = \"open\"\n");
    assert!(dig(&server, &["short.example.com"]).contains("192.0.2.7"));
    upstream.stop();
    std::thread::sleep(Duration::from_millis(1100));
    let stale = dig(&server, &["short.example.com"]);
    assert_eq!(status(&stale), "NOERROR", "{stale}");
    assert!(
        stale.contains("30\tIN\tA\t192.0.2.7"),
        "stale TTL 30: {stale}"
    );
    let unknown = dig(&server, &["never.example.com"]);
    assert_eq!(
        status(&unknown),
        "SERVFAIL",
        "nothing stale to serve: {unknown}"
    );
    assert!(server
        .metrics_text()
        .contains("fnguard_dns_stale_answers_total 1"));
    server.stop();
}

#[test]
fn malformed_packets_are_answered_or_dropped_and_counted_never_fatal() {
    let (_dir, upstream, server) = with_upstream("malformed", "");
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    client
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut buf = [0u8; 512];
    // Too short; a response; both dropped.
    for packet in [
        &b"\x01\x02\x03"[..],
        &[0xab, 0xcd, 0x81, 0x80, 0, 0, 0, 0, 0, 0, 0, 0],
    ] {
        client.send_to(packet, server.udp[0]).unwrap();
        assert!(
            client.recv_from(&mut buf).is_err(),
            "no answer to {packet:?}"
        );
    }
    // Two questions: FORMERR with the id.
    client
        .send_to(
            &[0x12, 0x34, 1, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1],
            server.udp[0],
        )
        .unwrap();
    let (n, _) = client.recv_from(&mut buf).expect("FORMERR");
    assert_eq!((&buf[..2], buf[3] & 0x0f, n), (&[0x12, 0x34][..], 1, 12));
    // A name that runs past the end: FORMERR, over TCP too.
    let cut = [0x55, 0x66, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 40, b'a', b'b'];
    client.send_to(&cut, server.udp[0]).unwrap();
    let (_, _) = client.recv_from(&mut buf).expect("FORMERR");
    assert_eq!(buf[3] & 0x0f, 1);
    assert!(
        dig(&server, &["still.example.com"]).contains("192.0.2.1"),
        "still answering"
    );
    let metrics = server.metrics_text();
    assert!(
        metrics.contains("fnguard_dns_malformed_dropped_total 2"),
        "{metrics}"
    );
    assert!(
        metrics.contains("fnguard_dns_malformed_answered_total 2"),
        "{metrics}"
    );
    server.stop();
    upstream.stop();
}

#[test]
fn the_decision_log_and_the_metrics_endpoint() {
    let (dir, upstream, server) = with_upstream(
        "log",
        "metrics = \"127.0.0.1:0\"\nlog = \"decisions.jsonl\"\nlog_queries = \"all\"\n",
    );
    dig(&server, &["www.example.com", "AAAA"]);
    dig(
        &server,
        &["service-69kfaex1-1312645837.bj.apigw.tencentcs.com"],
    );
    let http = |request: &str| {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(server.metrics.unwrap()).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        response
    };
    let metrics = http("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(metrics.starts_with("HTTP/1.1 200 OK"), "{metrics}");
    assert!(metrics.contains("text/plain; version=0.0.4"), "{metrics}");
    assert!(
        metrics.contains("fnguard_dns_decisions_total{decision=\"allow\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains(&format!(
            "fnguard_dns_upstream_up{{upstream=\"127.0.0.1:{}\"}} 1",
            upstream.port
        )),
        "{metrics}"
    );
    assert!(http("GET / HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 404"));
    server.stop();
    let log = std::fs::read_to_string(dir.0.join("decisions.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 2, "{log}");
    assert_eq!(lines[0]["name"], "www.example.com");
    assert_eq!(lines[0]["type"], "AAAA");
    assert_eq!(lines[0]["decision"], "allow");
    assert_eq!(lines[0]["proto"], "udp");
    assert!(lines[0]["client"]
        .as_str()
        .unwrap()
        .starts_with("127.0.0.1:"));
    assert_eq!(lines[1]["decision"], "block");
    assert_eq!(lines[1]["rule"], "category:gateway");
    assert_eq!(lines[1]["vendor"], "tencent");
    assert_eq!(lines[1]["tenant"], "1312645837");
    assert_eq!(lines[1]["action"], "NXDOMAIN");
    assert!(lines[1]["time"].as_str().unwrap().ends_with('Z'));
    upstream.stop();
}

#[test]
fn a_reload_changes_the_policy_without_dropping_queries() {
    let dir = Dir::new("reload");
    let upstream = TestUpstream::start(0);
    let server_table = format!("upstreams = [\"127.0.0.1:{}\"]\n", upstream.port);
    let (server, path) = start(&dir, POLICY, &server_table);
    assert_eq!(status(&dig(&server, &["new.example.org"])), "NOERROR");
    let address = server.udp[0];
    let sent = Arc::new(AtomicU64::new(0));
    let answered = Arc::new(AtomicU64::new(0));
    let running = Arc::new(AtomicBool::new(true));
    let client = {
        let (sent, answered, running) = (sent.clone(), answered.clone(), running.clone());
        std::thread::spawn(move || {
            let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
            socket
                .set_read_timeout(Some(Duration::from_secs(2)))
                .unwrap();
            let mut buf = [0u8; 512];
            let mut id = 0u16;
            while running.load(Ordering::Relaxed) {
                id = id.wrapping_add(1);
                let query = wire::tests::query(id, "www.example.com", wire::TYPE_A, false);
                socket.send_to(&query, address).unwrap();
                sent.fetch_add(1, Ordering::Relaxed);
                if let Ok((n, _)) = socket.recv_from(&mut buf) {
                    if n >= 2 && buf[..2] == id.to_be_bytes() {
                        answered.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        })
    };
    for round in 0..5 {
        let deny = if round % 2 == 0 {
            "example.org"
        } else {
            "evil.example"
        };
        std::fs::write(
            &path,
            format!(
                "{}[server]\nlisten = [\"127.0.0.1:0\"]\n{server_table}",
                POLICY.replace("evil.example", deny)
            ),
        )
        .unwrap();
        server.reload().expect("reloads");
        std::thread::sleep(Duration::from_millis(100));
    }
    running.store(false, Ordering::Relaxed);
    client.join().unwrap();
    assert!(sent.load(Ordering::Relaxed) > 100);
    assert_eq!(
        sent.load(Ordering::Relaxed),
        answered.load(Ordering::Relaxed),
        "no query lost"
    );
    // Round 4 denied example.org.
    assert_eq!(status(&dig(&server, &["new.example.org"])), "NXDOMAIN");
    std::fs::write(&path, "[policy]\nmode = \"sideways\"\n").unwrap();
    let error = server.reload().unwrap_err();
    assert_eq!(error.line, 2, "{error}");
    assert_eq!(
        status(&dig(&server, &["new.example.org"])),
        "NXDOMAIN",
        "old policy stays"
    );
    let metrics = server.metrics_text();
    assert!(metrics.contains("fnguard_dns_reloads_total 5"), "{metrics}");
    assert!(
        metrics.contains("fnguard_dns_reload_failures_total 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("fnguard_dns_policy_generation 6"),
        "{metrics}"
    );
    server.stop();
    upstream.stop();
}

/// The fuzz target's two paths on mutated packets, deterministically, so
/// that every test run fuzzes a little on the stable toolchain.
#[test]
fn mutated_packets_never_panic() {
    let seeds = [
        wire::tests::query(1, "www.example.com", wire::TYPE_A, true),
        wire::tests::query(2, "bad.example.com", wire::TYPE_AAAA, false),
        wire::tests::query(3, "x.cn-hangzhou.fcapp.run", 16, true),
        upstream_answer(&wire::tests::query(4, "nx.example.com", 1, true), false).unwrap(),
        upstream_answer(&wire::tests::query(5, "www.example.com", 1, true), false).unwrap(),
    ];
    // xorshift: reproducible without a random-number crate.
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut answered = 0;
    for round in 0..60_000 {
        let mut packet = seeds[round % seeds.len()].clone();
        for _ in 0..1 + next() % 4 {
            let at = next() as usize % (packet.len() + 1);
            match next() % 4 {
                0 if at < packet.len() => packet[at] = next() as u8,
                1 => packet.insert(at, next() as u8),
                2 if at < packet.len() => {
                    packet.remove(at);
                }
                _ => packet.truncate(at),
            }
        }
        if fuzz::request(&packet).is_some() {
            answered += 1;
        }
        let _ = fuzz::upstream_answer(&packet);
    }
    assert!(
        answered > 10_000,
        "most mutants still get an answer: {answered}"
    );
}
