//! Unexpected outbound destinations (guide §3.4.3 "unexpected outbound
//! connections"), from Route 53 Resolver query logs and VPC flow logs.
//!
//! Each source (the function when the event names it, else the DNS
//! query's `srcids.instance` or `srcaddr`, the flow's `interface-id` or
//! `srcaddr`) learns its destinations for a learning period (by default
//! its first 200 contacts and first hour of log time, both; with
//! `--state` the learning happens once): DNS names (lowercase, without the
//! final dot, never shortened: `attacker-bucket.s3.amazonaws.com` is an
//! exfiltration destination of its own) and, for outbound accepted flows,
//! `address:port/protocol`. After it, each destination never seen before
//! alerts once and is then known.
//!
//! A flow is outbound when its `flow-direction` says `egress` or, in
//! formats without that field (version 2), when its destination port is
//! below its source port: the side that opens a connection uses an
//! ephemeral port, so the replies of an outbound connection (from port
//! 443 to port 50123) are not taken for destinations.
//!
//! Also, at any time: DNS queries of cloud-function and gateway endpoints
//! of any vendor (the fnguard-intel knowledge base), except the vendors,
//! tenants or function ids the allow list names (once per source and
//! host); and beacons: a destination first reached after learning and then
//! contacted at a near-constant interval (see [`DestinationConfig`]).
//!
//! The same function can be two sources: its DNS queries carry the
//! address of its network interface, its flows the interface id; both are
//! one source when the event names the `function`.
//!
//! Memory: destinations are kept as 64-bit FNV-1a hashes of their text
//! (collisions among a source's few hundred destinations are negligible),
//! at most `max_destinations` per source and `max_sources` sources (the
//! least recently seen is forgotten). A source that fills its set talks to
//! too many places for "new" to mean anything: it stops learning and
//! alerting and is listed by [`Destinations::saturated_sources`].

use super::anomaly::{detector_alert, DetectionInfo};
use crate::alert::{event_time_ms, Alert};
use crate::detectors::Detector;
use crate::input::Event;
use fnguard_core::severity::Severity;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet, VecDeque};

pub const NEW_DNS_DESTINATION: DetectionInfo = DetectionInfo {
    detector: "destinations",
    id: "FG-DET-130",
    title_en: "DNS query of a name the source never queried",
    title_zh: "来源查询了从未查询过的域名",
    guide: "3.4.3",
    attack: &["T1071.004"],
    severity: Severity::Medium,
    description_en: "After its learning period, a function (or a network source) resolved a name it had never resolved: a new dependency, or injected code reaching a command-and-control or exfiltration host.",
    description_zh: "学习期结束后，某函数（或网络来源）解析了从未解析过的域名：可能是新增依赖，也可能是注入代码在连接命令控制或数据外传主机。",
    remediation_en: "Check whether a release added the dependency; if not, inspect the function's code and layers and block the name (Route 53 Resolver DNS Firewall, egress proxy).",
    remediation_zh: "确认是否有发布引入了该依赖；若没有，检查函数代码和层，并封禁该域名（Route 53 Resolver DNS 防火墙、出站代理）。",
};

pub const NEW_FLOW_DESTINATION: DetectionInfo = DetectionInfo {
    detector: "destinations",
    id: "FG-DET-131",
    title_en: "Outbound connection to a destination the source never reached",
    title_zh: "来源向从未访问过的目的地建立出站连接",
    guide: "3.4.3",
    attack: &["T1041"],
    severity: Severity::Medium,
    description_en: "After its learning period, a network interface (or function) opened an accepted outbound connection to an address and port it had never reached: a new dependency, or a reverse shell, C2 or exfiltration channel.",
    description_zh: "学习期结束后，某网络接口（或函数）向从未访问过的地址和端口建立了被允许的出站连接：可能是新增依赖，也可能是反弹 Shell、命令控制或数据外传通道。",
    remediation_en: "Identify the process and request behind it; restrict the function's security group egress and route outbound traffic through an allow-listing proxy or NAT with filtering.",
    remediation_zh: "查明发起连接的代码和请求；收紧函数安全组的出站规则，并让出站流量经过白名单代理或带过滤的 NAT。",
};

pub const FUNCTION_ENDPOINT_QUERY: DetectionInfo = DetectionInfo {
    detector: "destinations",
    id: "FG-DET-132",
    title_en: "DNS query of a cloud-function endpoint not on the allow list",
    title_zh: "查询了不在白名单中的云函数端点",
    guide: "3.4.3",
    attack: &["T1102"],
    severity: Severity::Medium,
    description_en: "A source resolved the host of a cloud function or API gateway (of any vendor) that the allow list does not name: function URLs and gateways are cheap, trusted-looking C2 relays and exfiltration drops.",
    description_zh: "某来源解析了白名单未列出的云函数或 API 网关主机名（任意云厂商）：函数 URL 和网关是廉价且看似可信的命令控制中转和数据外传落点。",
    remediation_en: "If the endpoint is a known partner or your own, add its vendor or tenant to the allow list; otherwise treat the source as compromised and report the endpoint to its vendor (fnguard intel report).",
    remediation_zh: "若该端点属于已知合作方或你自己，将其厂商或租户加入白名单；否则视该来源已失陷，并向厂商举报该端点（fnguard intel report）。",
};

pub const BEACON: DetectionInfo = DetectionInfo {
    detector: "destinations",
    id: "FG-DET-133",
    title_en: "Beaconing to a new destination",
    title_zh: "向新目的地周期性回连（信标）",
    guide: "3.4.3",
    attack: &["T1071"],
    severity: Severity::High,
    description_en: "A destination first reached after the learning period is contacted again and again at a near-constant interval: the check-in of an implant polling its command-and-control server.",
    description_zh: "学习期后首次出现的目的地被以几乎恒定的间隔反复访问：这是植入程序轮询命令控制服务器的典型特征。",
    remediation_en: "Treat the source as compromised: find the code that makes the calls, redeploy from a clean release, rotate the function role's credentials and block the destination.",
    remediation_zh: "视该来源已失陷：找到发起调用的代码，从干净版本重新部署，轮换函数角色凭证并封禁该目的地。",
};

/// Every check of this detector, for the catalog.
pub const DESTINATION_DETECTIONS: [&DetectionInfo; 4] = [
    &NEW_DNS_DESTINATION,
    &NEW_FLOW_DESTINATION,
    &FUNCTION_ENDPOINT_QUERY,
    &BEACON,
];

/// Cloud-function endpoints that may be queried: whole vendors
/// (`tencent`), or one tenant or function id of a vendor
/// (`tencent:1257786608`, `aws:mxkb7e6wih`), as `fnguard intel` names
/// them.
#[derive(Debug, Clone, Default)]
pub struct EndpointAllowList {
    vendors: HashSet<String>,
    ids: HashSet<(String, String)>,
}

impl EndpointAllowList {
    /// Entries as the user writes them; an empty entry or one with an
    /// empty part is an error naming it.
    pub fn parse<'a>(entries: impl IntoIterator<Item = &'a str>) -> Result<Self, String> {
        let mut allow = EndpointAllowList::default();
        for entry in entries {
            let entry = entry.trim().to_ascii_lowercase();
            match entry.split_once(':') {
                None if !entry.is_empty() => {
                    allow.vendors.insert(entry);
                }
                Some((vendor, id)) if !vendor.is_empty() && !id.is_empty() => {
                    allow.ids.insert((vendor.to_string(), id.to_string()));
                }
                _ => {
                    return Err(format!(
                    "allowed endpoint `{entry}`: expected VENDOR or VENDOR:TENANT-OR-FUNCTION-ID"
                ))
                }
            }
        }
        Ok(allow)
    }

    fn allows(&self, endpoint: &fnguard_intel::Classification<'_>) -> bool {
        let vendor = endpoint.vendor().to_ascii_lowercase();
        if self.vendors.contains(&vendor) {
            return true;
        }
        [endpoint.tenant(), endpoint.function()]
            .into_iter()
            .flatten()
            .any(|id| {
                self.ids
                    .contains(&(vendor.clone(), id.to_ascii_lowercase()))
            })
    }
}

/// Learning period, caps and beacon thresholds; [`Default`] gives the
/// documented values.
#[derive(Debug, Clone)]
pub struct DestinationConfig {
    /// A source learns until it has sent this many DNS queries or outbound
    /// flows...
    pub learning_events: u64,
    /// ...and this much log time has passed since its first one (not
    /// applied when the events have no time).
    pub learning_ms: i64,
    pub max_destinations: usize,
    pub max_sources: usize,
    /// Cloud-function endpoints that do not alert.
    pub allow: EndpointAllowList,
    /// Contacts (one per second at most) of a new destination needed to
    /// judge a beacon.
    pub beacon_min_contacts: usize,
    /// The mean interval must be at least this (bursts are not beacons).
    pub beacon_min_interval_ms: i64,
    /// Standard deviation over mean of the intervals at most this.
    pub beacon_max_jitter: f64,
    /// New destinations watched for beacons per source.
    pub beacon_watch: usize,
}

impl Default for DestinationConfig {
    fn default() -> Self {
        DestinationConfig {
            learning_events: 200,
            learning_ms: 60 * 60 * 1000,
            max_destinations: 512,
            max_sources: 2048,
            allow: EndpointAllowList::default(),
            beacon_min_contacts: 8,
            beacon_min_interval_ms: 10_000,
            beacon_max_jitter: 0.1,
            beacon_watch: 16,
        }
    }
}

const STATE_VERSION: u64 = 1;
/// Endpoint hosts remembered per source so that each alerts once.
const MAX_ENDPOINT_ALERTS: usize = 256;

/// A new destination watched for beaconing.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Watched {
    destination: u64,
    /// Contact times (ms), oldest first, at most `beacon_min_contacts`.
    contacts: VecDeque<i64>,
    alerted: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Source {
    events: u64,
    first_time_ms: Option<i64>,
    last_seen: u64,
    known: HashSet<u64>,
    saturated: bool,
    endpoint_alerts: VecDeque<u64>,
    watched: VecDeque<Watched>,
}

/// What `restore` reads: the layout `save` writes (with `json!`, borrowing
/// the maps instead of cloning them); its `version` is checked first.
#[derive(Debug, Deserialize)]
struct SavedState {
    events: u64,
    sources: HashMap<String, Source>,
}

/// The destinations detector: [`Detector`] named `destinations`.
#[derive(Debug)]
pub struct Destinations {
    config: DestinationConfig,
    events: u64,
    sources: HashMap<String, Source>,
}

/// What one event says about an outbound contact.
struct Contact {
    source: String,
    destination: String,
    /// The DNS name, for the endpoint check.
    query: Option<String>,
    info: &'static DetectionInfo,
    /// The event's fields an alert shows, copied only when one is raised.
    fact_keys: &'static [&'static str],
}

const DNS_FACTS: &[&str] = &[
    "srcaddr",
    "query_type",
    "rcode",
    "firewall_rule_action",
    "vpc_id",
    "account_id",
];
const FLOW_FACTS: &[&str] = &[
    "interface-id",
    "srcaddr",
    "dstaddr",
    "dstport",
    "protocol",
    "bytes",
    "account-id",
];

impl Destinations {
    pub fn new(config: DestinationConfig) -> Destinations {
        Destinations {
            config,
            events: 0,
            sources: HashMap::new(),
        }
    }

    pub fn source_count(&self) -> usize {
        self.sources.len()
    }

    /// Sources that reached `max_destinations`: no longer judged.
    pub fn saturated_sources(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .sources
            .iter()
            .filter(|(_, s)| s.saturated)
            .map(|(n, _)| n.as_str())
            .collect();
        names.sort_unstable();
        names
    }
}

impl Default for Destinations {
    fn default() -> Self {
        Destinations::new(DestinationConfig::default())
    }
}

fn text_of(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.is_empty() && s != "-" => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The contact a Route 53 Resolver query or an outbound accepted flow is.
fn contact(value: &Value) -> Option<Contact> {
    let function = value.get("function").and_then(Value::as_str);
    if let Some(Value::String(name)) = value.get("query_name") {
        let query = name.trim_end_matches('.').to_ascii_lowercase();
        if query.is_empty() {
            return None;
        }
        let instance = value.pointer("/srcids/instance").and_then(Value::as_str);
        let address = text_of(value.get("srcaddr"));
        let source = match (function, instance, &address) {
            (Some(f), _, _) => format!("function:{f}"),
            (None, Some(i), _) => format!("instance:{i}"),
            (None, None, Some(a)) => format!("ip:{a}"),
            _ => return None,
        };
        return Some(Contact {
            source,
            destination: query.clone(),
            query: Some(query),
            info: &NEW_DNS_DESTINATION,
            fact_keys: DNS_FACTS,
        });
    }
    if value.get("log").and_then(Value::as_str) != Some("vpc-flow") {
        return None;
    }
    let accepted = value
        .get("action")
        .and_then(Value::as_str)
        .is_some_and(|a| a.eq_ignore_ascii_case("accept"));
    let port = |key: &str| value.get(key).and_then(Value::as_u64);
    let outbound = match value.get("flow-direction").and_then(Value::as_str) {
        Some(direction) => direction.eq_ignore_ascii_case("egress"),
        None => matches!((port("srcport"), port("dstport")), (Some(s), Some(d)) if d < s),
    };
    if !accepted || !outbound {
        return None;
    }
    let destination_address = text_of(value.get("dstaddr"))?;
    let interface = value.get("interface-id").and_then(Value::as_str);
    let source_address = text_of(value.get("srcaddr"));
    let source = match (function, interface, &source_address) {
        (Some(f), _, _) => format!("function:{f}"),
        (None, Some(i), _) if i != "-" => format!("eni:{i}"),
        (None, _, Some(a)) => format!("ip:{a}"),
        _ => return None,
    };
    let protocol = match value.get("protocol").and_then(Value::as_u64) {
        Some(6) => "tcp".to_string(),
        Some(17) => "udp".to_string(),
        Some(1) => "icmp".to_string(),
        Some(n) => n.to_string(),
        None => "-".to_string(),
    };
    let destination = match port("dstport") {
        Some(p) => format!("{destination_address}:{p}/{protocol}"),
        None => format!("{destination_address}/{protocol}"),
    };
    Some(Contact {
        source,
        destination,
        query: None,
        info: &NEW_FLOW_DESTINATION,
        fact_keys: FLOW_FACTS,
    })
}

impl Detector for Destinations {
    fn name(&self) -> &'static str {
        "destinations"
    }

    fn observe(&mut self, event: &Event, alerts: &mut Vec<Alert>) {
        let Some(contact) = contact(&event.value) else {
            return;
        };
        self.events += 1;
        let now = event_time_ms(&event.value);
        let config = &self.config;
        let source = super::recent_entry(
            &mut self.sources,
            config.max_sources,
            self.events,
            &contact.source,
        );
        source.events += 1;
        if source.first_time_ms.is_none() {
            source.first_time_ms = now;
        }
        let alert = |info: &DetectionInfo, extra: Map<String, Value>| {
            let mut facts = Map::new();
            for &key in contact.fact_keys {
                if let Some(v) = event.value.get(key) {
                    facts.insert(key.into(), v.clone());
                }
            }
            if let Some(query) = &contact.query {
                facts.insert("query_name".into(), Value::from(query.as_str()));
            }
            facts.extend(extra);
            facts.insert("source".into(), Value::from(contact.source.as_str()));
            facts.insert(
                "destination".into(),
                Value::from(contact.destination.as_str()),
            );
            detector_alert(info, event, facts)
        };

        if let Some(query) = &contact.query {
            if let Some(endpoint) = fnguard_intel::classify(query) {
                let host = fnguard_core::fast_hash::fnv1a(query.as_bytes());
                if !config.allow.allows(&endpoint) && !source.endpoint_alerts.contains(&host) {
                    if source.endpoint_alerts.len() >= MAX_ENDPOINT_ALERTS {
                        source.endpoint_alerts.pop_front();
                    }
                    source.endpoint_alerts.push_back(host);
                    let mut facts = Map::new();
                    facts.insert("vendor".into(), Value::from(endpoint.vendor()));
                    facts.insert("product".into(), Value::from(endpoint.product.id.as_str()));
                    facts.insert("kind".into(), Value::from(endpoint.kind().as_str()));
                    facts.insert(
                        "confidence".into(),
                        Value::from(endpoint.confidence.as_str()),
                    );
                    for (key, capture) in [
                        ("tenant", endpoint.tenant()),
                        ("functionId", endpoint.function()),
                        ("region", endpoint.region()),
                    ] {
                        if let Some(capture) = capture {
                            facts.insert(key.into(), Value::from(capture));
                        }
                    }
                    let mut raised = alert(&FUNCTION_ENDPOINT_QUERY, facts);
                    // An unverified pattern only says the host has the shape.
                    if endpoint.confidence == fnguard_intel::Confidence::Low {
                        raised.severity = Severity::Low;
                    }
                    alerts.push(raised);
                }
            }
        }

        if source.saturated {
            return;
        }
        let destination = fnguard_core::fast_hash::fnv1a(contact.destination.as_bytes());
        let learning = source.events <= config.learning_events
            || matches!((now, source.first_time_ms), (Some(now), Some(first)) if now.saturating_sub(first) < config.learning_ms);
        if !source.known.contains(&destination) {
            if source.known.len() >= config.max_destinations.max(1) {
                source.saturated = true;
                source.watched.clear();
                return;
            }
            source.known.insert(destination);
            if !learning {
                let mut facts = Map::new();
                facts.insert(
                    "knownDestinations".into(),
                    Value::from(source.known.len() - 1),
                );
                alerts.push(alert(contact.info, facts));
                if config.beacon_watch > 0 {
                    if source.watched.len() >= config.beacon_watch {
                        source.watched.pop_front();
                    }
                    source.watched.push_back(Watched {
                        destination,
                        contacts: VecDeque::new(),
                        alerted: false,
                    });
                }
            }
        }
        let (Some(now), Some(watched)) = (
            now,
            source
                .watched
                .iter_mut()
                .find(|w| w.destination == destination),
        ) else {
            return;
        };
        if let Some(facts) = beacon(watched, now, config) {
            alerts.push(alert(&BEACON, facts));
        }
    }

    fn save(&self) -> Value {
        serde_json::json!({
            "version": STATE_VERSION,
            "events": self.events,
            "sources": &self.sources,
        })
    }

    fn raw_needles(&self) -> Option<&'static [&'static str]> {
        Some(&["query_name", "dstaddr"])
    }

    fn fields_read(&self) -> Option<&'static [&'static str]> {
        Some(&[
            "function",
            "query_name",
            "srcids.instance",
            "srcaddr",
            "log",
            "action",
            "flow-direction",
            "dstaddr",
            "dstport",
            "srcport",
            "interface-id",
            "protocol",
            "bytes",
            "account-id",
            "query_type",
            "rcode",
            "firewall_rule_action",
            "vpc_id",
            "account_id",
        ])
    }

    fn restore(&mut self, state: &Value) -> Result<(), String> {
        let saved: SavedState = super::read_state(self.name(), state, STATE_VERSION)?;
        self.events = saved.events;
        self.sources = saved.sources;
        while self.sources.len() > self.config.max_sources.max(1) {
            super::forget_least_recent(&mut self.sources);
        }
        let max_destinations = self.config.max_destinations.max(1);
        for source in self.sources.values_mut() {
            if source.known.len() > max_destinations {
                // Which ones to drop is arbitrary; the source is past its
                // cap either way and no longer judged.
                let keep: HashSet<u64> = source
                    .known
                    .iter()
                    .copied()
                    .take(max_destinations)
                    .collect();
                source.known = keep;
                source.saturated = true;
            }
            while source.endpoint_alerts.len() > MAX_ENDPOINT_ALERTS {
                source.endpoint_alerts.pop_front();
            }
            while source.watched.len() > self.config.beacon_watch {
                source.watched.pop_front();
            }
            for watched in source.watched.iter_mut() {
                while watched.contacts.len() > self.config.beacon_min_contacts {
                    watched.contacts.pop_front();
                }
            }
        }
        Ok(())
    }
}

/// Records a contact of a watched destination; the facts of a beacon when
/// its last contacts are evenly spaced.
fn beacon(
    watched: &mut Watched,
    now: i64,
    config: &DestinationConfig,
) -> Option<Map<String, Value>> {
    // One connection can log several records (and a lookup A and AAAA
    // queries) within the same second: one contact.
    if watched
        .contacts
        .back()
        .is_some_and(|&last| now.saturating_sub(last) < 1000)
    {
        return None;
    }
    if watched.contacts.len() >= config.beacon_min_contacts.max(3) {
        watched.contacts.pop_front();
    }
    watched.contacts.push_back(now);
    if watched.alerted || watched.contacts.len() < config.beacon_min_contacts.max(3) {
        return None;
    }
    let intervals: Vec<f64> = watched
        .contacts
        .iter()
        .zip(watched.contacts.iter().skip(1))
        .map(|(a, b)| b.saturating_sub(*a) as f64)
        .collect();
    let mean = intervals.iter().sum::<f64>() / intervals.len() as f64;
    let variance =
        intervals.iter().map(|i| (i - mean).powi(2)).sum::<f64>() / intervals.len() as f64;
    let jitter = variance.sqrt() / mean;
    if mean < config.beacon_min_interval_ms as f64 || jitter > config.beacon_max_jitter {
        return None;
    }
    watched.alerted = true;
    let mut facts = Map::new();
    facts.insert("contacts".into(), Value::from(watched.contacts.len()));
    facts.insert(
        "intervalSeconds".into(),
        Value::from((mean / 10.0).round() / 100.0),
    );
    facts.insert(
        "jitter".into(),
        Value::from((jitter * 1000.0).round() / 1000.0),
    );
    Some(facts)
}

impl super::Recent for Source {
    fn last_seen(&self) -> u64 {
        self.last_seen
    }
    fn set_last_seen(&mut self, clock: u64) {
        self.last_seen = clock;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::Origin;
    use serde_json::json;

    fn event(value: Value) -> Event {
        Event {
            value,
            origin: Origin {
                file: "resolver.log".into(),
                line: Some(3),
                index: 2,
            },
        }
    }

    /// A Route 53 Resolver query log record as AWS writes it, `second`
    /// seconds after 2026-12-05T10:00:00Z.
    fn dns(srcaddr: &str, name: &str, second: i64) -> Event {
        let time =
            std::time::UNIX_EPOCH + std::time::Duration::from_secs((1_796_464_800 + second) as u64);
        event(json!({
            "version": "1.100000", "account_id": "111122223333", "region": "us-east-1",
            "vpc_id": "vpc-7example", "query_timestamp": fnguard_core::date::rfc3339(time, false),
            "query_name": format!("{name}."), "query_type": "A", "query_class": "IN",
            "rcode": "NOERROR", "answers": [{"Rdata": "203.0.113.9", "Type": "A", "Class": "IN"}],
            "srcaddr": srcaddr, "srcport": "56067", "transport": "UDP",
            "srcids": {"resolver_endpoint": "rslvr-in-0123456789abcdef"},
        }))
    }

    fn flow(
        interface: &str,
        dst: &str,
        srcport: u64,
        dstport: u64,
        action: &str,
        start: i64,
    ) -> Event {
        event(json!({
            "log": "vpc-flow", "version": 2, "account-id": "111122223333", "interface-id": interface,
            "srcaddr": "10.0.1.5", "dstaddr": dst, "srcport": srcport, "dstport": dstport,
            "protocol": 6, "packets": 10, "bytes": 840, "start": 1_796_464_800 + start,
            "end": 1_796_464_860 + start, "action": action, "log-status": "OK",
        }))
    }

    fn quick(allow: &[&str]) -> Destinations {
        Destinations::new(DestinationConfig {
            learning_events: 20,
            learning_ms: 0,
            allow: EndpointAllowList::parse(allow.iter().copied()).unwrap(),
            ..DestinationConfig::default()
        })
    }

    fn feed(detector: &mut Destinations, events: impl IntoIterator<Item = Event>) -> Vec<Alert> {
        let mut alerts = Vec::new();
        for event in events {
            detector.observe(&event, &mut alerts);
        }
        alerts
    }

    fn ids(alerts: &[Alert]) -> Vec<&str> {
        alerts.iter().map(|a| a.rule_id.as_str()).collect()
    }

    const USUAL: [&str; 4] = [
        "dynamodb.us-east-1.amazonaws.com",
        "sts.amazonaws.com",
        "api.stripe.com",
        "sqs.us-east-1.amazonaws.com",
    ];

    fn usual(srcaddr: &str, count: i64) -> Vec<Event> {
        (0..count)
            .map(|i| dns(srcaddr, USUAL[i as usize % USUAL.len()], i))
            .collect()
    }

    #[test]
    fn a_new_name_after_learning_fires_once_and_known_names_do_not() {
        let mut detector = quick(&[]);
        // A name first seen during learning is known afterwards.
        let mut learning = usual("10.0.1.5", 19);
        learning.push(dns("10.0.1.5", "rarely.example.com", 19));
        assert!(feed(&mut detector, learning).is_empty());
        assert!(feed(&mut detector, usual("10.0.1.5", 50)).is_empty());
        assert!(feed(&mut detector, [dns("10.0.1.5", "RARELY.example.com", 70)]).is_empty());
        let alerts = feed(&mut detector, [dns("10.0.1.5", "c2.attacker.example", 71)]);
        assert_eq!(ids(&alerts), ["FG-DET-130"]);
        let facts = &alerts[0].facts;
        assert_eq!(facts["source"], "ip:10.0.1.5");
        assert_eq!(facts["destination"], "c2.attacker.example");
        assert_eq!(facts["knownDestinations"], 5);
        assert_eq!(alerts[0].time.as_deref(), Some("2026-12-05T10:01:11Z"));
        assert_eq!(alerts[0].origin.as_ref().unwrap().line, Some(3));
        // Once.
        assert!(feed(&mut detector, [dns("10.0.1.5", "c2.attacker.example", 72)]).is_empty());
        // Another source is still learning: the same name is its first.
        assert!(feed(&mut detector, [dns("10.0.9.9", "c2.attacker.example", 73)]).is_empty());
    }

    #[test]
    fn learning_lasts_its_time_too() {
        let mut detector = Destinations::new(DestinationConfig {
            learning_events: 5,
            learning_ms: 3_600_000,
            ..DestinationConfig::default()
        });
        // 100 events in the first hour: still learning.
        let events = (0..100).map(|i| dns("10.0.1.5", &format!("host{i}.example.com"), i * 30));
        assert!(feed(&mut detector, events).is_empty());
        let alerts = feed(&mut detector, [dns("10.0.1.5", "late.example.com", 3600)]);
        assert_eq!(ids(&alerts), ["FG-DET-130"]);
    }

    #[test]
    fn the_function_or_the_instance_is_the_source_when_the_log_says() {
        let mut detector = quick(&[]);
        let named = |name: &str, second: i64| {
            let mut e = dns("10.0.1.5", name, second);
            e.value["function"] = json!("orders");
            e
        };
        feed(
            &mut detector,
            (0..20).map(|i| named(USUAL[i as usize % 4], i)),
        );
        let alerts = feed(&mut detector, [named("new.example.com", 30)]);
        assert_eq!(alerts[0].facts["source"], "function:orders");
        let mut instance = dns("10.0.1.6", "x.example.com", 0);
        instance.value["srcids"] = json!({"instance": "i-0d15cd0d3example"});
        let mut detector = quick(&[]);
        feed(&mut detector, [instance]);
        assert_eq!(
            detector.sources.keys().next().unwrap(),
            "instance:i-0d15cd0d3example"
        );
    }

    #[test]
    fn outbound_accepted_flows_are_destinations_and_replies_are_not() {
        let mut detector = quick(&[]);
        let learning =
            (0..20).map(|i| flow("eni-0a1", "52.94.0.10", 40000 + i, 443, "ACCEPT", i as i64));
        assert!(feed(&mut detector, learning).is_empty());
        // Replies of the connections (from 443 to the ephemeral port), a
        // rejected attempt: not destinations.
        let ignored = [
            flow("eni-0a1", "198.51.100.7", 443, 51000, "ACCEPT", 30),
            flow("eni-0a1", "198.51.100.7", 51000, 4444, "REJECT", 31),
        ];
        assert!(feed(&mut detector, ignored).is_empty());
        let alerts = feed(
            &mut detector,
            [flow("eni-0a1", "198.51.100.7", 51000, 4444, "ACCEPT", 32)],
        );
        assert_eq!(ids(&alerts), ["FG-DET-131"]);
        assert_eq!(alerts[0].facts["source"], "eni:eni-0a1");
        assert_eq!(alerts[0].facts["destination"], "198.51.100.7:4444/tcp");
        assert_eq!(alerts[0].time.as_deref(), Some("2026-12-05T10:00:32Z"));
        // The known service on a new port is a new destination; the known
        // one is not.
        assert!(feed(
            &mut detector,
            [flow("eni-0a1", "52.94.0.10", 40100, 443, "ACCEPT", 33)]
        )
        .is_empty());
        // Version 5's flow-direction decides when present.
        let mut ingress = flow("eni-0a1", "203.0.113.80", 50000, 22, "ACCEPT", 34);
        ingress.value["flow-direction"] = json!("ingress");
        assert!(feed(&mut detector, [ingress]).is_empty());
        let mut egress = flow("eni-0a1", "203.0.113.81", 80, 60000, "ACCEPT", 35);
        egress.value["flow-direction"] = json!("egress");
        assert_eq!(ids(&feed(&mut detector, [egress])), ["FG-DET-131"]);
    }

    const TENCENT_URL: &str = "1257786608-9i9j1kpa67.ap-guangzhou.tencentscf.com";
    const LAMBDA_URL: &str = "jb6uzlmmok5wxyr2nzdci3wdfi0rcush.lambda-url.us-west-2.on.aws";

    #[test]
    fn cloud_function_endpoints_fire_unless_allowed() {
        // Even while learning, once per source and host.
        let mut detector = quick(&[]);
        let alerts = feed(
            &mut detector,
            [
                dns("10.0.1.5", TENCENT_URL, 0),
                dns("10.0.1.5", TENCENT_URL, 1),
            ],
        );
        assert_eq!(ids(&alerts), ["FG-DET-132"]);
        let facts = &alerts[0].facts;
        assert_eq!(facts["vendor"], "tencent");
        assert_eq!(facts["kind"], "function");
        assert_eq!(facts["tenant"], "1257786608");
        assert_eq!(facts["functionId"], "9i9j1kpa67");
        assert_eq!(alerts[0].severity, Severity::Medium);
        assert_eq!(
            ids(&feed(&mut detector, [dns("10.0.1.5", LAMBDA_URL, 2)])),
            ["FG-DET-132"]
        );
        // An ordinary AWS service name is no endpoint.
        assert!(feed(
            &mut detector,
            [dns("10.0.1.5", "s3.us-east-1.amazonaws.com", 3)]
        )
        .is_empty());

        for allow in [
            &["tencent", "aws"][..],
            &["Tencent:1257786608", "aws:jb6uzlmmok5wxyr2nzdci3wdfi0rcush"],
        ] {
            let mut detector = quick(allow);
            let events = [
                dns("10.0.1.5", TENCENT_URL, 0),
                dns("10.0.1.5", LAMBDA_URL, 1),
            ];
            assert!(feed(&mut detector, events).is_empty(), "{allow:?}");
        }
        // Another tenant of an allowed vendor's id list is not allowed.
        let mut detector = quick(&["tencent:1257786608"]);
        let other = "1468764621-lg1ve1o8np.ap-hongkong.tencentscf.com";
        assert_eq!(
            ids(&feed(&mut detector, [dns("10.0.1.5", other, 0)])),
            ["FG-DET-132"]
        );
    }

    #[test]
    fn allow_list_entries_are_checked() {
        assert!(EndpointAllowList::parse(["aws", "tencent:125"]).is_ok());
        for bad in ["", ":123", "aws:", " "] {
            let error = EndpointAllowList::parse([bad]).unwrap_err();
            assert!(error.contains("VENDOR"), "{error}");
        }
    }

    #[test]
    fn a_new_destination_contacted_at_a_regular_interval_is_a_beacon() {
        let mut detector = quick(&[]);
        feed(&mut detector, usual("10.0.1.5", 40));
        // Every 60 s ± 2 s.
        let offsets = [0, 61, 119, 181, 240, 302, 359, 421, 480, 541];
        let events = offsets
            .iter()
            .map(|s| dns("10.0.1.5", "beacon.example.net", 100 + s));
        let alerts = feed(&mut detector, events);
        assert_eq!(ids(&alerts), ["FG-DET-130", "FG-DET-133"]);
        let facts = &alerts[1].facts;
        assert_eq!(facts["contacts"], 8);
        let interval = facts["intervalSeconds"].as_f64().unwrap();
        assert!((59.0..61.0).contains(&interval), "{interval}");

        // Irregular contacts, bursts, and a regular known destination: no beacon.
        let mut detector = quick(&[]);
        feed(&mut detector, usual("10.0.1.5", 40));
        let irregular = [0, 5, 200, 230, 600, 610, 1500, 1530, 2400, 2410];
        let burst = (0..20).map(|i| dns("10.0.1.5", "burst.example.net", 3000 + i * 2));
        let mut events: Vec<Event> = irregular
            .iter()
            .map(|s| dns("10.0.1.5", "irregular.example.net", 100 + s))
            .collect();
        events.extend(burst);
        events.extend((0..20).map(|i| dns("10.0.1.5", USUAL[0], 4000 + i * 60)));
        assert_eq!(
            ids(&feed(&mut detector, events)),
            ["FG-DET-130", "FG-DET-130"]
        );
    }

    #[test]
    fn a_beacon_over_flows() {
        let mut detector = quick(&[]);
        feed(
            &mut detector,
            (0..20).map(|i| flow("eni-0a1", "52.94.0.10", 40000 + i, 443, "ACCEPT", i as i64)),
        );
        // A new connection every 5 minutes, each from its own port.
        let events = (0..9).map(|i| {
            flow(
                "eni-0a1",
                "198.51.100.7",
                50000 + i,
                8443,
                "ACCEPT",
                100 + i as i64 * 300,
            )
        });
        let alerts = feed(&mut detector, events);
        assert_eq!(ids(&alerts), ["FG-DET-131", "FG-DET-133"]);
        assert_eq!(alerts[1].facts["intervalSeconds"], 300.0);
        assert_eq!(alerts[1].facts["jitter"], 0.0);
        assert_eq!(alerts[1].severity, Severity::High);
        // Without times there are no intervals to judge.
        let mut detector = quick(&[]);
        let untimed = |dst: &str, port: u64| {
            let mut e = flow("eni-0a1", dst, port, 443, "ACCEPT", 0);
            e.value.as_object_mut().unwrap().remove("start");
            e
        };
        feed(
            &mut detector,
            (0..20).map(|i| untimed("52.94.0.10", 40000 + i)),
        );
        let alerts = feed(
            &mut detector,
            (0..20).map(|i| untimed("198.51.100.8", 50000 + i)),
        );
        assert_eq!(ids(&alerts), ["FG-DET-131"]);
    }

    /// Route 53 Resolver JSON lines and a version 2 flow log, read by
    /// `input` like any log.
    #[test]
    fn resolver_and_flow_logs_through_the_reader() {
        let dir = std::env::temp_dir().join(format!("fnguard-destinations-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let resolver: String = (0..30)
            .map(|i| {
                let name = if i == 29 {
                    "exfil.attacker.example"
                } else {
                    USUAL[i % 4]
                };
                format!("{}\n", dns("10.0.1.5", name, i as i64).value)
            })
            .collect();
        std::fs::write(dir.join("resolver.jsonl"), resolver).unwrap();
        let mut flows = String::from(
            "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n",
        );
        for i in 0..25 {
            let (dst, port) = if i == 24 {
                ("198.51.100.7", 4444)
            } else {
                ("52.94.0.10", 443)
            };
            flows.push_str(&format!(
                "2 111122223333 eni-0a1 10.0.1.5 {dst} {} {port} 6 10 840 {} {} ACCEPT OK\n",
                40000 + i,
                1_796_464_800 + i,
                1_796_464_860 + i
            ));
            // The reply of the same connection.
            flows.push_str(&format!(
                "2 111122223333 eni-0a1 {dst} 10.0.1.5 {port} {} 6 10 840 {} {} ACCEPT OK\n",
                40000 + i,
                1_796_464_800 + i,
                1_796_464_860 + i
            ));
        }
        std::fs::write(dir.join("flows.log"), flows).unwrap();
        let mut detector = quick(&[]);
        let mut alerts = Vec::new();
        let mut errors = Vec::new();
        crate::input::read_paths(
            std::slice::from_ref(&dir),
            crate::input::Limits::default(),
            &mut |event| detector.observe(&event, &mut alerts),
            &mut |error| errors.push(error.to_string()),
        );
        let _ = std::fs::remove_dir_all(&dir);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(ids(&alerts), ["FG-DET-131", "FG-DET-130"]);
        assert_eq!(alerts[0].facts["destination"], "198.51.100.7:4444/tcp");
        assert_eq!(alerts[0].origin.as_ref().unwrap().line, Some(50));
        assert_eq!(alerts[1].facts["destination"], "exfil.attacker.example");
        assert_eq!(alerts[1].facts["rcode"], "NOERROR");
        assert_eq!(alerts[1].facts["vpc_id"], "vpc-7example");
        assert_eq!(alerts[0].facts["interface-id"], "eni-0a1");
        assert_eq!(alerts[0].facts["bytes"], 840);
        assert_eq!(alerts[1].origin.as_ref().unwrap().line, Some(30));
    }

    #[test]
    fn save_and_restore_keep_what_was_learned() {
        let mut first = quick(&[]);
        feed(&mut first, usual("10.0.1.5", 30));
        feed(&mut first, [dns("10.0.1.5", TENCENT_URL, 31)]);
        let saved: Value = serde_json::from_str(&first.save().to_string()).unwrap();
        let mut second = quick(&[]);
        second.restore(&saved).unwrap();
        // Learning is over, known names stay known, the endpoint alerted already.
        assert!(feed(&mut second, usual("10.0.1.5", 8)).is_empty());
        assert!(feed(&mut second, [dns("10.0.1.5", TENCENT_URL, 40)]).is_empty());
        assert_eq!(
            ids(&feed(&mut second, [dns("10.0.1.5", "new.example.org", 41)])),
            ["FG-DET-130"]
        );
        assert!(second
            .restore(&json!({"version": 1, "sources": []}))
            .is_err());
        assert!(second.restore(&json!("garbage")).is_err());
        assert_eq!(second.source_count(), 1);
    }

    #[test]
    fn sources_and_destinations_are_capped() {
        let mut detector = Destinations::new(DestinationConfig {
            learning_events: 5,
            learning_ms: 0,
            max_sources: 8,
            max_destinations: 10,
            ..DestinationConfig::default()
        });
        for source in 0..30 {
            feed(
                &mut detector,
                [dns(&format!("10.0.2.{source}"), "a.example.com", source)],
            );
        }
        assert_eq!(detector.source_count(), 8);
        assert!(detector.sources.contains_key("ip:10.0.2.29"));
        // A source past its cap stops being judged instead of alerting on
        // every name it resolves.
        let names = (0..40).map(|i| dns("10.0.3.1", &format!("cdn{i}.example.net"), 100 + i));
        let alerts = feed(&mut detector, names);
        assert_eq!(alerts.len(), 5, "alerts from the 6th name to the 10th");
        assert_eq!(detector.saturated_sources(), ["ip:10.0.3.1"]);
        assert!(detector.sources["ip:10.0.3.1"].known.len() <= 10);
        // Restoring into smaller caps cuts the state down.
        let mut small = Destinations::new(DestinationConfig {
            max_sources: 2,
            max_destinations: 3,
            ..DestinationConfig::default()
        });
        small.restore(&detector.save()).unwrap();
        assert_eq!(small.source_count(), 2);
        assert!(small.sources.values().all(|s| s.known.len() <= 3));
    }

    #[test]
    fn every_detection_has_its_metadata() {
        let all = super::super::anomaly::ANOMALY_DETECTIONS
            .iter()
            .chain(DESTINATION_DETECTIONS.iter());
        let mut seen = HashSet::new();
        for info in all {
            let number: u32 = info.id.strip_prefix("FG-DET-").unwrap().parse().unwrap();
            assert!((120..=139).contains(&number), "{}", info.id);
            assert!(seen.insert(info.id), "{} twice", info.id);
            for text in [
                info.title_en,
                info.title_zh,
                info.description_en,
                info.description_zh,
                info.remediation_en,
                info.remediation_zh,
            ] {
                assert!(!text.trim().is_empty(), "{}", info.id);
            }
            // The Chinese texts are Chinese.
            assert!(info.title_zh.chars().any(|c| c > '\u{2e80}'), "{}", info.id);
            assert_eq!(info.guide, "3.4.3");
            assert!(
                info.tags().iter().any(|t| t.starts_with("attack.t")),
                "{}",
                info.id
            );
        }
        assert_eq!(seen.len(), 10);
    }

    #[test]
    fn other_events_are_ignored() {
        let mut detector = quick(&[]);
        let events = [
            event(json!({"eventName": "GetObject", "eventSource": "s3.amazonaws.com"})),
            event(json!({"log": "lambda", "type": "report", "durationMs": 3})),
            event(json!({"query_name": ".", "srcaddr": "10.0.0.1"})),
            event(json!({"query_name": "x.example.com"})),
            event(json!({"log": "vpc-flow", "action": "ACCEPT", "srcport": 5000, "dstport": 443})),
            event(
                json!({"log": "vpc-flow", "log-status": "NODATA", "srcaddr": null, "dstaddr": null}),
            ),
        ];
        assert!(feed(&mut detector, events).is_empty());
        assert_eq!(detector.source_count(), 0);
    }
}
