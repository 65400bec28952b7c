//! The DNS wire format on the firewall's hot path: a client's query read
//! without allocating, and the answers the firewall writes itself
//! (blocked, errors, truncated). Upstream answers, which the firewall does
//! not trust, are checked and rewritten with hickory-proto (`upstream.rs`).
//!
//! Every read is bounds-checked: a malformed packet is an error value,
//! never a panic (fuzzed by `fuzz/fuzz_targets/dns_request.rs`).

use crate::Action;

pub const TYPE_A: u16 = 1;
pub const TYPE_SOA: u16 = 6;
pub const TYPE_AAAA: u16 = 28;
pub const TYPE_OPT: u16 = 41;
pub const CLASS_IN: u16 = 1;
pub const HEADER_LEN: usize = 12;

pub const RCODE_NOERROR: u8 = 0;
pub const RCODE_FORMERR: u8 = 1;
pub const RCODE_SERVFAIL: u8 = 2;
pub const RCODE_NXDOMAIN: u8 = 3;
pub const RCODE_NOTIMP: u8 = 4;
pub const RCODE_REFUSED: u8 = 5;

/// The UDP payload the firewall offers and asks for (the DNS Flag Day 2020
/// value: no IP fragmentation on common paths).
pub const EDNS_PAYLOAD: u16 = 1232;

/// RFC 8914 Extended DNS Error 15, "Blocked": by the operator's policy.
const EDE_BLOCKED: u16 = 15;
const OPTION_EDE: u16 = 15;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edns {
    pub payload: u16,
    pub dnssec_ok: bool,
}

/// A client's query, borrowed from the packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query<'a> {
    pub id: u16,
    /// Recursion desired and checking disabled, echoed in the answer.
    pub rd: bool,
    pub cd: bool,
    /// The question as sent: name, type, class (its case is echoed back).
    pub question: &'a [u8],
    pub qtype: u16,
    pub qclass: u16,
    pub edns: Option<Edns>,
}

/// Why a packet is not a query the firewall answers normally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Malformed {
    /// Not worth an answer: shorter than a header, or itself a response
    /// (answering those would let anyone loop two servers).
    Drop,
    /// Answered with this rcode and no question.
    Reject {
        id: u16,
        opcode: u8,
        rd: bool,
        rcode: u8,
    },
    /// An EDNS version this server does not speak: BADVERS (RFC 6891).
    BadVersion { id: u16, rd: bool },
}

fn u16_at(packet: &[u8], offset: usize) -> Option<u16> {
    Some(u16::from_be_bytes([
        *packet.get(offset)?,
        *packet.get(offset + 1)?,
    ]))
}

fn u32_at(packet: &[u8], offset: usize) -> Option<u32> {
    Some(u32::from_be_bytes(
        packet.get(offset..offset + 4)?.try_into().ok()?,
    ))
}

/// The end of the uncompressed name at `start` (questions carry no
/// compression pointers), checking label and name lengths.
pub fn plain_name_end(packet: &[u8], start: usize) -> Option<usize> {
    let mut at = start;
    loop {
        let len = *packet.get(at)? as usize;
        if len == 0 {
            return (at + 1 - start <= 255).then_some(at + 1);
        }
        if len > 63 {
            return None;
        }
        at += 1 + len;
        if at - start > 255 {
            return None;
        }
    }
}

/// The end of a possibly compressed name in a record.
pub fn name_end(packet: &[u8], start: usize) -> Option<usize> {
    let mut at = start;
    loop {
        let len = *packet.get(at)?;
        match len {
            0 => return Some(at + 1),
            1..=63 => at += 1 + len as usize,
            0xC0..=0xFF => {
                packet.get(at + 1)?;
                return Some(at + 2);
            }
            _ => return None,
        }
    }
}

pub fn parse_query(packet: &[u8]) -> Result<Query<'_>, Malformed> {
    if packet.len() < HEADER_LEN {
        return Err(Malformed::Drop);
    }
    let id = u16::from_be_bytes([packet[0], packet[1]]);
    let flags = packet[2];
    if flags & 0x80 != 0 {
        return Err(Malformed::Drop);
    }
    let opcode = (flags >> 3) & 0x0f;
    let rd = flags & 0x01 != 0;
    let reject = |rcode| Malformed::Reject {
        id,
        opcode,
        rd,
        rcode,
    };
    if opcode != 0 {
        return Err(reject(RCODE_NOTIMP));
    }
    let count = |at| u16::from_be_bytes([packet[at], packet[at + 1]]);
    let (qdcount, ancount, nscount, arcount) = (count(4), count(6), count(8), count(10));
    if qdcount != 1 || ancount != 0 || nscount != 0 {
        return Err(reject(RCODE_FORMERR));
    }
    let name_end = plain_name_end(packet, HEADER_LEN).ok_or(reject(RCODE_FORMERR))?;
    let question_end = name_end + 4;
    let qtype = u16_at(packet, name_end).ok_or(reject(RCODE_FORMERR))?;
    let qclass = u16_at(packet, name_end + 2).ok_or(reject(RCODE_FORMERR))?;
    let mut edns = None;
    let mut at = question_end;
    for _ in 0..arcount {
        let end = self::name_end(packet, at).ok_or(reject(RCODE_FORMERR))?;
        let rtype = u16_at(packet, end).ok_or(reject(RCODE_FORMERR))?;
        let class = u16_at(packet, end + 2).ok_or(reject(RCODE_FORMERR))?;
        let ttl = u32_at(packet, end + 4).ok_or(reject(RCODE_FORMERR))?;
        let rdlen = u16_at(packet, end + 8).ok_or(reject(RCODE_FORMERR))? as usize;
        let next = end + 10 + rdlen;
        if next > packet.len() {
            return Err(reject(RCODE_FORMERR));
        }
        if rtype == TYPE_OPT {
            // One OPT, owned by the root (RFC 6891 §6.1.1).
            if edns.is_some() || end != at + 1 {
                return Err(reject(RCODE_FORMERR));
            }
            if (ttl >> 16) & 0xff != 0 {
                return Err(Malformed::BadVersion { id, rd });
            }
            edns = Some(Edns {
                payload: class.max(512),
                dnssec_ok: ttl & 0x8000 != 0,
            });
        }
        at = next;
    }
    Ok(Query {
        id,
        rd,
        cd: packet[3] & 0x10 != 0,
        question: &packet[HEADER_LEN..question_end],
        qtype,
        qclass,
        edns,
    })
}

/// The query name in presentation form, lowercased, without the final dot
/// (`""` for the root). Bytes that are not printable, and dots or
/// backslashes inside a label, are escaped (`\046`); `clean` is false when
/// there were any, so that a label `evil.com` cannot pass for two.
pub fn query_name(question: &[u8]) -> (String, bool) {
    let mut name = String::with_capacity(question.len());
    let mut clean = true;
    let mut at = 0;
    while let Some(&len) = question.get(at) {
        if len == 0 {
            break;
        }
        let label = question.get(at + 1..at + 1 + len as usize).unwrap_or(&[]);
        if at > 0 {
            name.push('.');
        }
        for &byte in label {
            let byte = byte.to_ascii_lowercase();
            if byte.is_ascii_graphic() && byte != b'.' && byte != b'\\' {
                name.push(byte as char);
            } else {
                clean = false;
                name.push_str(&format!("\\{byte:03}"));
            }
        }
        at += 1 + len as usize;
    }
    (name, clean)
}

/// The question with its name lowercased: the cache key, and what is asked
/// upstream.
pub fn lowercase_question(question: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(question);
    let name_len = question.len().saturating_sub(4);
    out[..name_len].make_ascii_lowercase();
}

/// Header flags of an answer to `query`: QR, the query's RD and CD, RA.
fn answer_flags(rd: bool, cd: bool, rcode: u8) -> [u8; 2] {
    [
        0x80 | u8::from(rd),
        0x80 | if cd { 0x10 } else { 0 } | (rcode & 0x0f),
    ]
}

fn push_header(out: &mut Vec<u8>, id: u16, flags: [u8; 2], counts: [u16; 4]) {
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&flags);
    for count in counts {
        out.extend_from_slice(&count.to_be_bytes());
    }
}

/// An OPT record offering our payload size, with an Extended DNS Error
/// when `ede` is given; `extended_rcode` holds the upper 8 bits of a
/// 12-bit rcode (1 for BADVERS).
pub fn push_opt(out: &mut Vec<u8>, extended_rcode: u8, ede: Option<&str>) {
    out.push(0);
    out.extend_from_slice(&TYPE_OPT.to_be_bytes());
    out.extend_from_slice(&EDNS_PAYLOAD.to_be_bytes());
    out.extend_from_slice(&[extended_rcode, 0, 0, 0]);
    match ede {
        None => out.extend_from_slice(&0u16.to_be_bytes()),
        Some(text) => {
            // Extra text is for people; keep it within a small packet.
            let text = &text.as_bytes()[..text.len().min(200)];
            let option_len = 2 + text.len() as u16;
            out.extend_from_slice(&(4 + option_len).to_be_bytes());
            out.extend_from_slice(&OPTION_EDE.to_be_bytes());
            out.extend_from_slice(&option_len.to_be_bytes());
            out.extend_from_slice(&EDE_BLOCKED.to_be_bytes());
            out.extend_from_slice(text);
        }
    }
}

/// An answer with no records: an error, NXDOMAIN or NODATA.
pub fn empty_answer(query: &Query, rcode: u8, ede: Option<&str>) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + query.question.len() + 64);
    let arcount = u16::from(query.edns.is_some());
    push_header(
        &mut out,
        query.id,
        answer_flags(query.rd, query.cd, rcode),
        [1, 0, 0, arcount],
    );
    out.extend_from_slice(query.question);
    if query.edns.is_some() {
        push_opt(&mut out, 0, ede);
    }
    out
}

/// The answer to a blocked query.
pub fn blocked_answer(query: &Query, action: Action, rule: &str) -> Vec<u8> {
    let text = format!("fnguard: {rule}");
    let rcode = match action {
        Action::NxDomain => RCODE_NXDOMAIN,
        Action::Refused => RCODE_REFUSED,
        Action::NoData | Action::Override(_) => RCODE_NOERROR,
    };
    let mut out = empty_answer(query, rcode, Some(&text));
    // The override address answers its own family's type; other types get
    // NODATA, as a real name with only that address would.
    let rdata: Option<Vec<u8>> = match action {
        Action::Override(std::net::IpAddr::V4(ip)) if query.qtype == TYPE_A => {
            Some(ip.octets().to_vec())
        }
        Action::Override(std::net::IpAddr::V6(ip)) if query.qtype == TYPE_AAAA => {
            Some(ip.octets().to_vec())
        }
        _ => None,
    };
    if let Some(rdata) = rdata {
        let opt_start = HEADER_LEN + query.question.len();
        let opt = out.split_off(opt_start);
        // Owner: a pointer to the question's name at offset 12.
        out.extend_from_slice(&[0xC0, 0x0C]);
        out.extend_from_slice(&query.qtype.to_be_bytes());
        out.extend_from_slice(&CLASS_IN.to_be_bytes());
        out.extend_from_slice(&60u32.to_be_bytes());
        out.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        out.extend_from_slice(&rdata);
        out.extend_from_slice(&opt);
        out[6..8].copy_from_slice(&1u16.to_be_bytes());
    }
    out
}

/// The answer to a malformed packet, if it gets one.
pub fn malformed_answer(malformed: Malformed) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(HEADER_LEN + 11);
    match malformed {
        Malformed::Drop => return None,
        Malformed::Reject {
            id,
            opcode,
            rd,
            rcode,
        } => {
            let mut flags = answer_flags(rd, false, rcode);
            flags[0] |= opcode << 3;
            push_header(&mut out, id, flags, [0, 0, 0, 0]);
        }
        Malformed::BadVersion { id, rd } => {
            // BADVERS is 16: rcode 0 in the header, 1 in the OPT's upper bits.
            push_header(
                &mut out,
                id,
                answer_flags(rd, false, RCODE_NOERROR),
                [0, 0, 0, 1],
            );
            push_opt(&mut out, 1, None);
        }
    }
    Some(out)
}

/// The largest answer `query` may receive over UDP.
pub fn udp_limit(query: &Query) -> usize {
    match query.edns {
        None => 512,
        Some(edns) => edns.payload.min(EDNS_PAYLOAD) as usize,
    }
}

/// A truncated answer (TC set, no records): the client retries over TCP.
pub fn truncated_answer(query: &Query, rcode: u8) -> Vec<u8> {
    let mut out = empty_answer(query, rcode, None);
    out[2] |= 0x02;
    out
}

/// The offsets of the TTLs of every record after the question (OPT
/// excluded), and the smallest of them; `None` when the message does not
/// walk (hickory-proto has already accepted it, so this is a bug guard).
pub fn record_ttls(message: &[u8]) -> Option<(Vec<u16>, u32, Option<u32>)> {
    let count = |at| u16_at(message, at);
    let qdcount = count(4)?;
    let records = count(6)? as usize + count(8)? as usize + count(10)? as usize;
    let mut at = HEADER_LEN;
    for _ in 0..qdcount {
        at = name_end(message, at)? + 4;
    }
    let mut offsets = Vec::with_capacity(records);
    let mut smallest = u32::MAX;
    let mut soa_minimum = None;
    for _ in 0..records {
        let end = name_end(message, at)?;
        let rtype = u16_at(message, end)?;
        let ttl = u32_at(message, end + 4)?;
        let rdlen = u16_at(message, end + 8)? as usize;
        let next = end + 10 + rdlen;
        if next > message.len() {
            return None;
        }
        if rtype != TYPE_OPT {
            offsets.push(u16::try_from(end + 4).ok()?);
            smallest = smallest.min(ttl);
            if rtype == TYPE_SOA && rdlen >= 4 {
                soa_minimum = u32_at(message, next - 4);
            }
        }
        at = next;
    }
    Some((offsets, smallest, soa_minimum))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A query for `name` of `qtype`, with an OPT when `edns`.
    pub(crate) fn query(id: u16, name: &str, qtype: u16, edns: bool) -> Vec<u8> {
        let mut out = Vec::new();
        push_header(&mut out, id, [0x01, 0x00], [1, 0, 0, u16::from(edns)]);
        for label in name.split('.').filter(|l| !l.is_empty()) {
            out.push(label.len() as u8);
            out.extend_from_slice(label.as_bytes());
        }
        out.push(0);
        out.extend_from_slice(&qtype.to_be_bytes());
        out.extend_from_slice(&CLASS_IN.to_be_bytes());
        if edns {
            out.extend_from_slice(&[0, 0, 41, 0x10, 0, 0, 0, 0x80, 0, 0, 0]);
        }
        out
    }

    #[test]
    fn queries_parse_with_their_edns() {
        let packet = query(0x1234, "WWW.Example.com", TYPE_AAAA, true);
        let q = parse_query(&packet).unwrap();
        assert_eq!(q.id, 0x1234);
        assert!(q.rd);
        assert_eq!(q.qtype, TYPE_AAAA);
        assert_eq!(
            q.edns,
            Some(Edns {
                payload: 4096,
                dnssec_ok: true
            })
        );
        assert_eq!(
            query_name(q.question),
            ("www.example.com".to_string(), true)
        );
        let mut key = Vec::new();
        lowercase_question(q.question, &mut key);
        assert_eq!(&key[..4], b"\x03www");
        assert_eq!(&key[key.len() - 4..], &[0, 28, 0, 1], "type and class kept");
    }

    #[test]
    fn malformed_packets_are_dropped_or_rejected() {
        assert_eq!(parse_query(b"\x12\x34"), Err(Malformed::Drop));
        let mut response = query(7, "example.com", TYPE_A, false);
        response[2] |= 0x80;
        assert_eq!(parse_query(&response), Err(Malformed::Drop));
        let mut truncated = query(7, "example.com", TYPE_A, false);
        truncated.truncate(20);
        let rejected = parse_query(&truncated).unwrap_err();
        assert_eq!(
            rejected,
            Malformed::Reject {
                id: 7,
                opcode: 0,
                rd: true,
                rcode: RCODE_FORMERR
            }
        );
        let answer = malformed_answer(rejected).unwrap();
        assert_eq!(answer[3] & 0x0f, RCODE_FORMERR);
        assert_eq!(&answer[..2], &[0, 7]);
        let mut notify = query(8, "example.com", TYPE_SOA, false);
        notify[2] |= 4 << 3;
        assert!(matches!(
            parse_query(&notify),
            Err(Malformed::Reject {
                rcode: RCODE_NOTIMP,
                ..
            })
        ));
        let mut version1 = query(9, "example.com", TYPE_A, true);
        let ttl_version = version1.len() - 5;
        version1[ttl_version] = 1;
        let badvers = malformed_answer(parse_query(&version1).unwrap_err()).unwrap();
        assert_eq!(badvers[badvers.len() - 6], 1, "extended rcode 1: BADVERS");
        let mut pointer = query(10, "example.com", TYPE_A, false);
        pointer[12] = 0xC0;
        assert!(parse_query(&pointer).is_err(), "no pointers in questions");
    }

    #[test]
    fn dots_and_binary_inside_labels_are_escaped_and_flagged() {
        let mut packet = query(1, "evil.com.example.com", TYPE_A, false);
        // Merge "evil" and "com" into one 8-byte label "evil.com".
        packet[12] = 8;
        packet[17] = b'.';
        let q = parse_query(&packet).unwrap();
        let (name, clean) = query_name(q.question);
        assert_eq!(name, "evil\\046com.example.com");
        assert!(!clean);
    }

    #[test]
    fn blocked_answers_carry_the_rule_and_the_override_address() {
        let packet = query(0x0102, "evil.example", TYPE_A, true);
        let q = parse_query(&packet).unwrap();
        let nx = blocked_answer(&q, Action::NxDomain, "deny:evil.example");
        let message = hickory_proto::op::Message::from_vec(&nx).unwrap();
        assert_eq!(
            message.metadata.response_code,
            hickory_proto::op::ResponseCode::NXDomain
        );
        assert!(String::from_utf8_lossy(&nx).contains("fnguard: deny:evil.example"));
        let sinkhole = blocked_answer(
            &q,
            Action::Override("192.0.2.53".parse().unwrap()),
            "deny:evil.example",
        );
        let message = hickory_proto::op::Message::from_vec(&sinkhole).unwrap();
        assert_eq!(message.answers.len(), 1);
        assert_eq!(
            message.answers[0].data.to_string(),
            "192.0.2.53",
            "{message:?}"
        );
        let aaaa = parse_query(&query(3, "evil.example", TYPE_AAAA, false))
            .map(|q| blocked_answer(&q, Action::Override("192.0.2.53".parse().unwrap()), "r"))
            .unwrap();
        let message = hickory_proto::op::Message::from_vec(&aaaa).unwrap();
        assert!(message.answers.is_empty(), "NODATA for the other family");
        assert!(message.edns.is_none(), "no OPT when the query had none");
    }
}
