//! Forwarding allowed queries: UDP first, TCP when the answer is
//! truncated, a timeout per attempt, the next upstream when one fails, and
//! a back-off for failed upstreams that ends by itself, so that the
//! firewall recovers when an upstream returns.
//!
//! Upstream answers are not trusted: hickory-proto parses each one whole
//! (a message it rejects counts as a failure), the id, question and flags
//! must match the query, and the message is re-emitted without its OPT
//! before it is cached.

use super::wire::{self, HEADER_LEN, RCODE_NOERROR, RCODE_NXDOMAIN, RCODE_REFUSED, RCODE_SERVFAIL};
use hickory_proto::op::Message;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

/// Back-off after consecutive failures: 500 ms, doubled up to this.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

pub struct Upstream {
    pub address: SocketAddr,
    /// Milliseconds since `Upstreams::epoch` before which it is skipped.
    down_until_ms: AtomicU64,
    consecutive_failures: AtomicU32,
    pub answered: AtomicU64,
    pub failed: AtomicU64,
}

impl Upstream {
    pub fn is_up(&self, now_ms: u64) -> bool {
        self.down_until_ms.load(Ordering::Relaxed) <= now_ms
    }
}

pub struct Upstreams {
    pub list: Vec<Upstream>,
    timeout: Duration,
    epoch: Instant,
    ids: RandomState,
    next_id: AtomicU64,
}

/// A checked upstream answer, ready for the cache.
pub struct Checked {
    /// Without OPT; the question as asked (lowercase).
    pub message: Vec<u8>,
    pub rcode: u8,
    pub ttl_offsets: Vec<u16>,
    /// How long it may be cached (`None`: not at all).
    pub cache_ttl: Option<u32>,
}

/// No usable answer from an upstream: an I/O error, a timeout, a refusal
/// or something malformed. Which one does not change what happens next.
#[derive(Debug)]
struct Failure;

impl Upstreams {
    pub fn new(addresses: &[SocketAddr], timeout: Duration) -> Upstreams {
        Upstreams {
            list: addresses
                .iter()
                .map(|&address| Upstream {
                    address,
                    down_until_ms: AtomicU64::new(0),
                    consecutive_failures: AtomicU32::new(0),
                    answered: AtomicU64::new(0),
                    failed: AtomicU64::new(0),
                })
                .collect(),
            timeout,
            epoch: Instant::now(),
            ids: RandomState::new(),
            next_id: AtomicU64::new(0),
        }
    }

    pub fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// A query id nobody off-path can predict (a keyed hash of a counter;
    /// the OS also picks a random source port for each query).
    fn random_id(&self) -> u16 {
        let counter = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.ids.hash_one(counter) as u16
    }

    /// The answer to `question` (lowercase name, type, class) from the
    /// first upstream that gives a usable one; `None` when none does.
    pub async fn resolve(&self, question: &[u8], max_ttl: u32) -> Option<Checked> {
        let now = self.now_ms();
        let mut servfail = None;
        for upstream in self.list.iter().filter(|u| u.is_up(now)) {
            match self.ask(upstream.address, question, max_ttl).await {
                Ok(checked) if checked.rcode == RCODE_SERVFAIL => {
                    // The upstream works; the name's servers do not. Another
                    // upstream may still reach them.
                    self.succeeded(upstream);
                    servfail = Some(checked);
                }
                Ok(checked) => {
                    self.succeeded(upstream);
                    return Some(checked);
                }
                Err(_) => self.failed(upstream),
            }
        }
        servfail
    }

    fn succeeded(&self, upstream: &Upstream) {
        upstream.answered.fetch_add(1, Ordering::Relaxed);
        if upstream.consecutive_failures.swap(0, Ordering::Relaxed) != 0 {
            upstream.down_until_ms.store(0, Ordering::Relaxed);
        }
    }

    fn failed(&self, upstream: &Upstream) {
        upstream.failed.fetch_add(1, Ordering::Relaxed);
        let failures = upstream
            .consecutive_failures
            .fetch_add(1, Ordering::Relaxed)
            + 1;
        // One lost packet is not an outage; from the second failure in a
        // row the upstream rests, then one query probes it again.
        if failures >= 2 {
            let backoff = Duration::from_millis(500)
                .saturating_mul(1 << (failures - 2).min(16))
                .min(MAX_BACKOFF);
            upstream.down_until_ms.store(
                self.now_ms() + backoff.as_millis() as u64,
                Ordering::Relaxed,
            );
        }
    }

    async fn ask(
        &self,
        address: SocketAddr,
        question: &[u8],
        max_ttl: u32,
    ) -> Result<Checked, Failure> {
        let id = self.random_id();
        let query = upstream_query(id, question);
        let deadline = tokio::time::Instant::now() + self.timeout;
        let answer = ask_udp(address, &query, deadline).await?;
        let answer = if answer[2] & 0x02 != 0 {
            ask_tcp(address, &query, deadline).await?
        } else {
            answer
        };
        check(&answer, id, question, max_ttl)
    }
}

/// Our query upstream: recursion desired, EDNS with our payload size, no
/// DO bit (the firewall does not validate, and does not pass signatures on
/// to clients that did not ask for them).
fn upstream_query(id: u16, question: &[u8]) -> Vec<u8> {
    let mut query = Vec::with_capacity(HEADER_LEN + question.len() + 11);
    query.extend_from_slice(&id.to_be_bytes());
    query.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1]);
    query.extend_from_slice(question);
    wire::push_opt(&mut query, 0, None);
    query
}

/// Whether `packet` claims to answer `id`: other packets on the socket
/// (late answers, spoofing attempts) are ignored, not failures.
fn answers(packet: &[u8], id: u16) -> bool {
    packet.len() >= HEADER_LEN && packet[..2] == id.to_be_bytes() && packet[2] & 0x80 != 0
}

async fn ask_udp(
    address: SocketAddr,
    query: &[u8],
    deadline: tokio::time::Instant,
) -> Result<Vec<u8>, Failure> {
    let local: SocketAddr = if address.is_ipv4() {
        ([0, 0, 0, 0], 0).into()
    } else {
        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let socket = UdpSocket::bind(local).await.map_err(|_| Failure)?;
    socket.connect(address).await.map_err(|_| Failure)?;
    socket.send(query).await.map_err(|_| Failure)?;
    let id = u16::from_be_bytes([query[0], query[1]]);
    let mut buf = vec![0u8; 65_535];
    loop {
        let received = tokio::time::timeout_at(deadline, socket.recv(&mut buf))
            .await
            .map_err(|_| Failure)?
            .map_err(|_| Failure)?;
        if answers(&buf[..received], id) {
            buf.truncate(received);
            return Ok(buf);
        }
    }
}

async fn ask_tcp(
    address: SocketAddr,
    query: &[u8],
    deadline: tokio::time::Instant,
) -> Result<Vec<u8>, Failure> {
    let exchange = async {
        let mut stream = TcpStream::connect(address).await?;
        let mut framed = Vec::with_capacity(query.len() + 2);
        framed.extend_from_slice(&(query.len() as u16).to_be_bytes());
        framed.extend_from_slice(query);
        stream.write_all(&framed).await?;
        let length = stream.read_u16().await? as usize;
        let mut answer = vec![0u8; length];
        stream.read_exact(&mut answer).await?;
        Ok::<_, std::io::Error>(answer)
    };
    let answer = tokio::time::timeout_at(deadline, exchange)
        .await
        .map_err(|_| Failure)?
        .map_err(|_| Failure)?;
    let id = u16::from_be_bytes([query[0], query[1]]);
    if answers(&answer, id) {
        Ok(answer)
    } else {
        Err(Failure /* TCP answer for another query */)
    }
}

/// Checks an upstream answer to our query `id` for `question`, and makes it
/// cacheable: parsed whole by hickory-proto, the question must be ours,
/// REFUSED and truncated answers are failures, and the message is
/// re-emitted without OPT (each client gets its own).
fn check(answer: &[u8], id: u16, question: &[u8], max_ttl: u32) -> Result<Checked, Failure> {
    let mut message = Message::from_vec(answer).map_err(|_| Failure /* malformed */)?;
    let metadata = &message.metadata;
    if metadata.id != id || metadata.truncation {
        return Err(Failure /* truncated or for another query */);
    }
    let asked = answer
        .get(HEADER_LEN..HEADER_LEN + question.len())
        .ok_or(Failure /* no question */)?;
    if message.queries.len() != 1 || !asked.eq_ignore_ascii_case(question) {
        return Err(Failure /* answer to another question */);
    }
    let rcode = u16::from(metadata.response_code);
    if rcode > 15 || rcode as u8 == RCODE_REFUSED {
        return Err(Failure /* refused */);
    }
    let rcode = rcode as u8;
    message.edns = None;
    message.signature = None;
    let mut canonical = message.to_vec().map_err(|_| Failure /* not re-emitted */)?;
    // The question in our (lowercase) form, so that each hit can splice
    // in the client's: it must have been re-emitted at the same length.
    match canonical.get_mut(HEADER_LEN..HEADER_LEN + question.len()) {
        Some(q) if q.eq_ignore_ascii_case(question) => q.copy_from_slice(question),
        _ => return Err(Failure /* question re-emitted differently */),
    }
    let (ttl_offsets, smallest, soa_minimum) =
        wire::record_ttls(&canonical).ok_or(Failure /* records do not walk */)?;
    let answer_count = u16::from_be_bytes([canonical[6], canonical[7]]);
    let cache_ttl = match rcode {
        RCODE_NOERROR if answer_count > 0 => Some(smallest),
        // Negative answers: as long as their SOA says (RFC 2308), and not
        // at all without one.
        RCODE_NOERROR | RCODE_NXDOMAIN => soa_minimum.map(|m| m.min(smallest)),
        _ => None,
    }
    .map(|ttl| ttl.min(max_ttl))
    .filter(|&ttl| ttl > 0);
    Ok(Checked {
        message: canonical,
        rcode,
        ttl_offsets,
        cache_ttl,
    })
}

/// [`check`] for the fuzz entry points.
pub(super) fn check_for_fuzz(answer: &[u8], id: u16, question: &[u8]) -> Option<Checked> {
    check(answer, id, question, 86_400).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::op::{MessageType, OpCode, Query as HQuery, ResponseCode};
    use hickory_proto::rr::{rdata, Name, RData, Record, RecordType};

    fn question(name: &str, qtype: u16) -> Vec<u8> {
        let mut out = Vec::new();
        for label in name.split('.') {
            out.push(label.len() as u8);
            out.extend_from_slice(label.as_bytes());
        }
        out.push(0);
        out.extend_from_slice(&qtype.to_be_bytes());
        out.extend_from_slice(&[0, 1]);
        out
    }

    fn answer(id: u16, name: &str, ttls: &[u32], rcode: ResponseCode) -> Vec<u8> {
        let mut message = Message::new(id, MessageType::Response, OpCode::Query);
        message.metadata.response_code = rcode;
        let owner = Name::from_ascii(name).unwrap();
        message.add_query(HQuery::query(owner.clone(), RecordType::A));
        for (i, &ttl) in ttls.iter().enumerate() {
            message.add_answer(Record::from_rdata(
                owner.clone(),
                ttl,
                RData::A(rdata::A::new(192, 0, 2, i as u8)),
            ));
        }
        message.to_vec().unwrap()
    }

    #[test]
    fn answers_are_checked_and_cacheable_for_their_smallest_ttl() {
        let q = question("www.example.com", 1);
        let checked = check(
            &answer(42, "WWW.example.com.", &[300, 60], ResponseCode::NoError),
            42,
            &q,
            86_400,
        )
        .unwrap();
        assert_eq!(checked.rcode, RCODE_NOERROR);
        assert_eq!(checked.cache_ttl, Some(60));
        assert_eq!(checked.ttl_offsets.len(), 2);
        assert_eq!(&checked.message[HEADER_LEN..HEADER_LEN + q.len()], &q[..]);
        let capped = check(
            &answer(42, "www.example.com.", &[300], ResponseCode::NoError),
            42,
            &q,
            10,
        )
        .unwrap();
        assert_eq!(capped.cache_ttl, Some(10));
    }

    #[test]
    fn wrong_ids_questions_and_refusals_are_failures() {
        let q = question("www.example.com", 1);
        let good = answer(42, "www.example.com.", &[300], ResponseCode::NoError);
        assert!(check(&good, 43, &q, 60).is_err(), "another id");
        assert!(
            check(&good, 42, &question("www.example.org", 1), 60).is_err(),
            "another question"
        );
        let refused = answer(42, "www.example.com.", &[], ResponseCode::Refused);
        assert!(check(&refused, 42, &q, 60).is_err());
        assert!(check(&good[..good.len() - 3], 42, &q, 60).is_err(), "cut");
        let nx = check(
            &answer(42, "www.example.com.", &[], ResponseCode::NXDomain),
            42,
            &q,
            60,
        )
        .unwrap();
        assert_eq!(nx.cache_ttl, None, "negative without SOA: not cached");
    }
}
