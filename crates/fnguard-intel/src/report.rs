//! Abuse reports (`fnguard intel report`): what was seen of one endpoint in
//! the defender's logs, attributed to its vendor and tenant, with the
//! sensitive parts of the sample lines redacted, as text for the vendor's
//! abuse form (English or Chinese) or as an XARF v4 report (the format of
//! AWS's Abuse Signal API).

use crate::{Classification, Confidence, KnowledgeBase};
use fnguard_core::encode::{base64, hex, uuid_from_digest};
use regex::Regex;
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::sync::OnceLock;

/// Sample lines kept in a report.
const SAMPLES: usize = 5;
/// Longest sample line kept, in characters.
const SAMPLE_CHARS: usize = 400;

/// Who sends the report (XARF `reporter` and `sender`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reporter {
    pub org: String,
    pub contact: String,
    pub domain: String,
}

/// What the evidence says about the endpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sightings {
    /// Lines that name the host.
    pub count: u64,
    /// Earliest and latest timestamps found on those lines (RFC 3339 text
    /// as written; compared as text, so one log's format at a time).
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    /// Up to five lines, redacted, each with `file:line`.
    pub samples: Vec<String>,
}

/// Reads evidence lines (any text or JSON-lines log) for `host`.
pub fn sightings<'a>(host: &str, files: impl IntoIterator<Item = (&'a str, &'a str)>) -> Sightings {
    let mut seen = Sightings::default();
    let needle = host.to_ascii_lowercase();
    for (name, text) in files {
        for (index, line) in text.lines().enumerate() {
            if !line.to_ascii_lowercase().contains(&needle) {
                continue;
            }
            seen.count += 1;
            if let Some(time) = timestamp_re().find(line).map(|m| m.as_str().to_string()) {
                if seen.first_seen.as_ref().is_none_or(|f| time < *f) {
                    seen.first_seen = Some(time.clone());
                }
                if seen.last_seen.as_ref().is_none_or(|l| time > *l) {
                    seen.last_seen = Some(time);
                }
            }
            if seen.samples.len() < SAMPLES {
                let redacted = redact(line);
                let cut: String = redacted.chars().take(SAMPLE_CHARS).collect();
                seen.samples.push(format!("{name}:{}: {cut}", index + 1));
            }
        }
    }
    seen
}

fn timestamp_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?")
            .expect("constant pattern")
    })
}

/// Query-string values, credentials in headers or JSON fields, and
/// user info in URLs are cut out: a report goes to a third party and must
/// not carry the defender's secrets or users' data.
pub fn redact(line: &str) -> String {
    static RULES: OnceLock<Vec<(Regex, &'static str)>> = OnceLock::new();
    let rules = RULES.get_or_init(|| {
        [
            // user:password@ in URLs
            (r"(?i)(://)[^/@\s]+@", "${1}REDACTED@"),
            // ?a=1&b=2 -> ?a=REDACTED&b=REDACTED
            (r"([?&][^=&\s#]+=)[^&\s#]*", "${1}REDACTED"),
            // Authorization: Bearer x, Cookie: y, X-Api-Key: z (header or JSON)
            (
                r#"(?i)("?(?:authorization|proxy-authorization|cookie|set-cookie|x-api-key|x-amz-security-token|token|password|secret|session)"?\s*[:=]\s*"?)[^",;&\s]+(?:\s+[^",;&\s]+)?"#,
                "${1}REDACTED",
            ),
        ]
        .into_iter()
        .filter_map(|(pattern, replacement)| Regex::new(pattern).ok().map(|re| (re, replacement)))
        .collect()
    });
    let mut text = line.to_string();
    for (re, replacement) in rules {
        text = re.replace_all(&text, *replacement).into_owned();
    }
    text
}

/// The report as text for the vendor's abuse channel.
pub fn text(endpoint: &Classification<'_>, seen: &Sightings, zh: bool) -> String {
    let product = endpoint.product;
    let pick = |en: &'static str, zh_text: &'static str| if zh { zh_text } else { en };
    let name = if zh {
        &product.name_zh
    } else {
        &product.name_en
    };
    let none = pick("(unknown)", "（未知）");
    let field = |value: Option<&str>| value.map_or(none.to_string(), str::to_string);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: {}",
        pick("To", "收件渠道"),
        product.abuse.join(", ")
    );
    let _ = if zh {
        writeln!(out, "主题: 举报滥用的{name}端点 {}\n", endpoint.host)
    } else {
        writeln!(out, "Subject: Abuse of {name} endpoint {}\n", endpoint.host)
    };
    let _ = if zh {
        writeln!(out, "您好，\n\n我们在自己的网络中观察到以下{name}端点被用于攻击活动（例如作为代理或 C2 中转），请核查并处置。\n")
    } else {
        writeln!(out, "Hello,\n\nWe observed the following {name} endpoint taking part in attack traffic against our network (for example as a proxy or a C2 relay). Please investigate and take it down.\n")
    };
    for (en, zh_label, value) in [
        ("Endpoint", "端点", endpoint.host.clone()),
        (
            "Vendor / product",
            "厂商/产品",
            format!("{} / {name}", product.vendor_name),
        ),
        ("Tenant (account)", "租户（账号）", field(endpoint.tenant())),
        ("Region", "地域", field(endpoint.region())),
        (
            "Function / service",
            "函数/服务",
            field(endpoint.function()),
        ),
        (
            "Attribution confidence",
            "归属可信度",
            endpoint.confidence.as_str().to_string(),
        ),
        ("Times seen", "出现次数", seen.count.to_string()),
        ("First seen", "首次出现", field(seen.first_seen.as_deref())),
        ("Last seen", "最近出现", field(seen.last_seen.as_deref())),
    ] {
        let _ = writeln!(out, "{}: {value}", pick(en, zh_label));
    }
    let _ = writeln!(
        out,
        "\n{}:",
        pick(
            "Sample records (sensitive parts redacted)",
            "样例记录（敏感内容已脱敏）"
        )
    );
    for sample in &seen.samples {
        let _ = writeln!(out, "  {sample}");
    }
    if !product.abuse_verified {
        let _ = writeln!(
            out,
            "\n{}",
            pick(
                "Note: this vendor's abuse channel is not verified; confirm it before sending.",
                "注意：该厂商的举报渠道未经核实，请先确认。"
            )
        );
    }
    out
}

/// The report as an XARF v4 JSON document (category `reputation`, type
/// `threat_intelligence`). `now` is the report time, RFC 3339.
pub fn xarf(
    endpoint: &Classification<'_>,
    seen: &Sightings,
    reporter: &Reporter,
    now: &str,
) -> serde_json::Value {
    let product = endpoint.product;
    let samples = seen.samples.join("\n");
    let digest = Sha256::digest(samples.as_bytes());
    let mut tags = vec![
        format!("vendor:{}", tag_value(&product.vendor)),
        format!("product:{}", tag_value(&product.id)),
    ];
    if let Some(tenant) = endpoint.tenant() {
        tags.push(format!("tenant:{}", tag_value(tenant)));
    }
    let confidence = match endpoint.confidence {
        Confidence::High => 0.9,
        Confidence::Medium => 0.6,
        Confidence::Low => 0.3,
    };
    let contact = serde_json::json!({
        "org": reporter.org,
        "contact": reporter.contact,
        "domain": reporter.domain,
    });
    serde_json::json!({
        "xarf_version": "4.2.0",
        "report_id": report_id(&endpoint.host, seen, now),
        "timestamp": seen.last_seen.as_deref().filter(|t| is_rfc3339(t)).unwrap_or(now),
        "reporter": contact,
        "sender": contact,
        "source_identifier": endpoint.host,
        // The endpoints serve HTTPS; a port in the logs would be the
        // reporter's clients' side.
        "source_port": 443,
        "category": "reputation",
        "type": "threat_intelligence",
        "threat_type": "cloud_function_abuse",
        "evidence_source": "traffic_analysis",
        "confidence": confidence,
        "description": format!(
            "{} endpoint {} (tenant {}, region {}) seen {} time(s) from {} to {} in our traffic, used as a proxy or C2 relay.",
            product.name_en,
            endpoint.host,
            endpoint.tenant().unwrap_or("unknown"),
            endpoint.region().unwrap_or("unknown"),
            seen.count,
            seen.first_seen.as_deref().unwrap_or("unknown"),
            seen.last_seen.as_deref().unwrap_or("unknown"),
        ),
        "tags": tags,
        "evidence": [{
            "content_type": "text/plain",
            "description": "Log lines naming the endpoint, sensitive parts redacted",
            "payload": base64(samples.as_bytes()),
            "hash": format!("sha256:{}", hex(&digest)),
        }],
    })
}

/// Lowercase, and characters a tag may not hold replaced by `-`.
fn tag_value(value: &str) -> String {
    let cleaned: String = value
        .to_ascii_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let trimmed = cleaned.trim_start_matches(['-', '_', '+']);
    if trimmed.is_empty() {
        "unknown".into()
    } else {
        trimmed.to_string()
    }
}

fn is_rfc3339(text: &str) -> bool {
    text.len() >= 20
        && text.as_bytes()[10] == b'T'
        && (text.ends_with('Z') || text.contains('+') || text[19..].contains('-'))
}

/// A UUID v4 (version and variant bits set) from a hash of what the report
/// says: reports of the same sightings at the same time get the same id.
fn report_id(host: &str, seen: &Sightings, now: &str) -> String {
    let mut hasher = Sha256::new();
    for part in [
        host,
        now,
        seen.first_seen.as_deref().unwrap_or(""),
        seen.last_seen.as_deref().unwrap_or(""),
    ] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hasher.update(seen.count.to_le_bytes());
    uuid_from_digest(&hasher.finalize(), 4)
}

/// Classifies `target` with `kb`, or says why it cannot be reported.
pub fn endpoint<'kb>(kb: &'kb KnowledgeBase, target: &str) -> Result<Classification<'kb>, String> {
    kb.classify(target)
        .ok_or_else(|| format!("`{target}` is not a known cloud-function or gateway endpoint: nothing to attribute a report to"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_ids_are_version_4_uuids() {
        let id = report_id("h", &Sightings::default(), "2026-01-01T00:00:00Z");
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"));
    }

    #[test]
    fn sensitive_parts_of_samples_are_redacted() {
        let line = r#"2026-12-01T10:00:00Z GET https://bob:pw@x.fcapp.run/a?token=abc&user=alice "Authorization: Bearer eyJhbGciOi" cookie=sid123"#;
        let out = redact(line);
        for secret in ["pw@", "abc", "alice", "eyJhbGciOi", "sid123"] {
            assert!(!out.contains(secret), "{secret} in {out}");
        }
        assert!(
            out.contains("x.fcapp.run/a?token=REDACTED&user=REDACTED"),
            "{out}"
        );
    }

    #[test]
    fn sightings_count_and_date_the_lines_naming_the_host() {
        let log = "2026-12-01T10:00:00Z a.example.com\n2026-12-02T09:00:00Z POST https://X.fcapp.run/\n2026-11-30T08:00:00Z x.fcapp.run again\n";
        let seen = sightings("x.fcapp.run", [("proxy.log", log)]);
        assert_eq!(seen.count, 2);
        assert_eq!(seen.first_seen.as_deref(), Some("2026-11-30T08:00:00Z"));
        assert_eq!(seen.last_seen.as_deref(), Some("2026-12-02T09:00:00Z"));
        assert!(seen.samples[0].starts_with("proxy.log:2: "));
    }
}
