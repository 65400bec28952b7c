//! Counters, and their Prometheus text exposition (format 0.0.4) on
//! `GET /metrics`.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Default)]
pub struct Metrics {
    pub queries_udp: AtomicU64,
    pub queries_tcp: AtomicU64,
    pub allowed: AtomicU64,
    pub blocked: AtomicU64,
    pub cache_hits: AtomicU64,
    pub cache_misses: AtomicU64,
    pub stale_answers: AtomicU64,
    pub servfail: AtomicU64,
    pub truncated: AtomicU64,
    pub malformed_answered: AtomicU64,
    pub malformed_dropped: AtomicU64,
    pub log_dropped: AtomicU64,
    pub reloads: AtomicU64,
    pub reload_failures: AtomicU64,
    pub tcp_connections: AtomicU64,
}

pub fn add(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// Values the server adds at render time (gauges and per-upstream counts).
pub struct Gauges {
    pub cache_entries: usize,
    pub policy_entries: (usize, usize),
    pub upstreams: Vec<(String, bool, u64, u64)>,
    pub uptime_seconds: u64,
    pub policy_generation: u64,
}

impl Metrics {
    pub fn render(&self, gauges: &Gauges) -> String {
        let mut out = String::with_capacity(4096);
        let counter = |out: &mut String, name: &str, help: &str, value: &AtomicU64| {
            let _ = writeln!(out, "# HELP fnguard_dns_{name} {help}");
            let _ = writeln!(out, "# TYPE fnguard_dns_{name} counter");
            let _ = writeln!(out, "fnguard_dns_{name} {}", value.load(Ordering::Relaxed));
        };
        let _ = writeln!(
            out,
            "# HELP fnguard_dns_queries_total Queries received, by transport.\n# TYPE fnguard_dns_queries_total counter"
        );
        for (proto, value) in [("udp", &self.queries_udp), ("tcp", &self.queries_tcp)] {
            let _ = writeln!(
                out,
                "fnguard_dns_queries_total{{proto=\"{proto}\"}} {}",
                value.load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(
            out,
            "# HELP fnguard_dns_decisions_total Policy decisions.\n# TYPE fnguard_dns_decisions_total counter"
        );
        for (decision, value) in [("allow", &self.allowed), ("block", &self.blocked)] {
            let _ = writeln!(
                out,
                "fnguard_dns_decisions_total{{decision=\"{decision}\"}} {}",
                value.load(Ordering::Relaxed)
            );
        }
        for (name, help, value) in [
            (
                "cache_hits_total",
                "Allowed queries answered from the cache.",
                &self.cache_hits,
            ),
            (
                "cache_misses_total",
                "Allowed queries forwarded upstream.",
                &self.cache_misses,
            ),
            (
                "stale_answers_total",
                "Expired answers served while every upstream was down (fail open).",
                &self.stale_answers,
            ),
            (
                "servfail_total",
                "SERVFAIL answers because no upstream answered (fail closed).",
                &self.servfail,
            ),
            (
                "truncated_total",
                "UDP answers truncated to the client's size (TC set).",
                &self.truncated,
            ),
            (
                "malformed_answered_total",
                "Malformed queries answered with FORMERR, NOTIMP or BADVERS.",
                &self.malformed_answered,
            ),
            (
                "malformed_dropped_total",
                "Packets dropped unanswered (too short, or responses).",
                &self.malformed_dropped,
            ),
            (
                "log_dropped_total",
                "Decision-log lines dropped because the writer fell behind.",
                &self.log_dropped,
            ),
            (
                "reloads_total",
                "Policy reloads (SIGHUP) that succeeded.",
                &self.reloads,
            ),
            (
                "reload_failures_total",
                "Policy reloads that failed (the previous policy stays).",
                &self.reload_failures,
            ),
            (
                "tcp_connections_total",
                "TCP connections accepted.",
                &self.tcp_connections,
            ),
        ] {
            counter(&mut out, name, help, value);
        }
        let _ = writeln!(
            out,
            "# HELP fnguard_dns_upstream_up Whether the upstream is in use (0 while it backs off).\n# TYPE fnguard_dns_upstream_up gauge"
        );
        for (address, up, _, _) in &gauges.upstreams {
            let _ = writeln!(
                out,
                "fnguard_dns_upstream_up{{upstream=\"{address}\"}} {}",
                u8::from(*up)
            );
        }
        let _ = writeln!(
            out,
            "# HELP fnguard_dns_upstream_answers_total Upstream exchanges, by result.\n# TYPE fnguard_dns_upstream_answers_total counter"
        );
        for (address, _, answered, failed) in &gauges.upstreams {
            let _ = writeln!(
                out,
                "fnguard_dns_upstream_answers_total{{upstream=\"{address}\",result=\"answered\"}} {answered}\nfnguard_dns_upstream_answers_total{{upstream=\"{address}\",result=\"failed\"}} {failed}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP fnguard_dns_cache_entries Answers in the cache.\n# TYPE fnguard_dns_cache_entries gauge\nfnguard_dns_cache_entries {}",
            gauges.cache_entries
        );
        let _ = writeln!(
            out,
            "# HELP fnguard_dns_policy_entries List entries of the policy in force.\n# TYPE fnguard_dns_policy_entries gauge\nfnguard_dns_policy_entries{{list=\"allow\"}} {}\nfnguard_dns_policy_entries{{list=\"deny\"}} {}",
            gauges.policy_entries.0, gauges.policy_entries.1
        );
        let _ = writeln!(
            out,
            "# HELP fnguard_dns_policy_generation Policies loaded since start (1 is the first).\n# TYPE fnguard_dns_policy_generation gauge\nfnguard_dns_policy_generation {}",
            gauges.policy_generation
        );
        let _ = writeln!(
            out,
            "# HELP fnguard_dns_uptime_seconds Seconds since start.\n# TYPE fnguard_dns_uptime_seconds gauge\nfnguard_dns_uptime_seconds {}",
            gauges.uptime_seconds
        );
        out
    }
}
