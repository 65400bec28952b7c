//! `--format ocsf`: each alert as an OCSF 1.3.0 Detection Finding (class
//! 2004, category 2 Findings, activity 1 Create), one JSON object per
//! line, for Security Lake, SIEMs and other OCSF consumers.
//!
//! Mapping: the rule is the finding's analytic (type Rule; Behavioral for
//! stateful detectors); ATT&CK tags (`attack.t1098`, `attack.persistence`)
//! become `finding_info.attacks`; the principal, access key, API call,
//! source IP become `evidences` and `observables` (the user agent an
//! observable only: 1.3.0 has no evidence attribute for it); the
//! function is the affected resource; account and region make `cloud`
//! (provider AWS). What OCSF has no place for (fnguard's guide section,
//! Chinese title, all facts, the log position) is kept under `unmapped`.

use super::{alert_time_ms, fact_text};
use crate::alert::{Alert, AlertKind};
use fnguard_core::severity::Severity;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

/// The OCSF schema version written in `metadata.version`.
pub const OCSF_VERSION: &str = "1.3.0";
pub const CLASS_UID: u64 = 2004;
pub const CATEGORY_UID: u64 = 2;
/// Create: a detection is a new finding.
pub const ACTIVITY_CREATE: u64 = 1;

/// OCSF `severity_id` and its caption.
pub fn severity_id(severity: Severity) -> (u64, &'static str) {
    match severity {
        Severity::Info => (1, "Informational"),
        Severity::Low => (2, "Low"),
        Severity::Medium => (3, "Medium"),
        Severity::High => (4, "High"),
        Severity::Critical => (5, "Critical"),
    }
}

/// ATT&CK tactics as Sigma tags name them, with their ids.
const TACTICS: [(&str, &str, &str); 14] = [
    ("reconnaissance", "TA0043", "Reconnaissance"),
    ("resource-development", "TA0042", "Resource Development"),
    ("initial-access", "TA0001", "Initial Access"),
    ("execution", "TA0002", "Execution"),
    ("persistence", "TA0003", "Persistence"),
    ("privilege-escalation", "TA0004", "Privilege Escalation"),
    ("defense-evasion", "TA0005", "Defense Evasion"),
    ("credential-access", "TA0006", "Credential Access"),
    ("discovery", "TA0007", "Discovery"),
    ("lateral-movement", "TA0008", "Lateral Movement"),
    ("collection", "TA0009", "Collection"),
    ("command-and-control", "TA0011", "Command and Control"),
    ("exfiltration", "TA0010", "Exfiltration"),
    ("impact", "TA0040", "Impact"),
];

/// Names of the techniques fnguard's own rules and detectors use (others
/// are written with their id only; the name is only recommended).
const TECHNIQUES: [(&str, &str); 9] = [
    ("T1190", "Exploit Public-Facing Application"),
    ("T1525", "Implant Internal Image"),
    ("T1537", "Transfer Data to Cloud Account"),
    ("T1546", "Event Triggered Execution"),
    ("T1562.008", "Impair Defenses: Disable or Modify Cloud Logs"),
    ("T1574", "Hijack Execution Flow"),
    ("T1098", "Account Manipulation"),
    ("T1078.004", "Valid Accounts: Cloud Accounts"),
    (
        "T1552.005",
        "Unsecured Credentials: Cloud Instance Metadata API",
    ),
];

/// The ATT&CK entries of an alert's tags: one per technique, with the
/// rule's first tactic; a rule with tactics only gives one entry per
/// tactic.
pub fn attacks(tags: &[String]) -> Vec<Value> {
    let tactics: Vec<Value> = tags
        .iter()
        .filter_map(|t| t.strip_prefix("attack."))
        .filter_map(|name| TACTICS.iter().find(|(tag, _, _)| *tag == name))
        .map(|(_, uid, name)| json!({"uid": uid, "name": name}))
        .collect();
    let techniques: Vec<Value> = tags
        .iter()
        .filter_map(|t| t.strip_prefix("attack.t"))
        .filter(|rest| rest.bytes().next().is_some_and(|b| b.is_ascii_digit()))
        .map(|rest| {
            let uid = format!("T{}", rest.to_ascii_uppercase());
            let mut technique = json!({ "uid": uid });
            if let Some((_, name)) = TECHNIQUES.iter().find(|(id, _)| *id == uid) {
                technique["name"] = json!(name);
            }
            technique
        })
        .collect();
    if techniques.is_empty() {
        return tactics.into_iter().map(|t| json!({"tactic": t})).collect();
    }
    techniques
        .into_iter()
        .map(|technique| {
            let mut attack = json!({ "technique": technique });
            if let Some(tactic) = tactics.first() {
                attack["tactic"] = tactic.clone();
            }
            attack
        })
        .collect()
}

/// A stable id for the finding: the rule and the event (CloudTrail's
/// `event_id` when the alert has it, else where the event was read), so the
/// same detection over the same log gives the same uid in every run.
pub fn finding_uid(alert: &Alert) -> String {
    let mut hasher = Sha256::new();
    hasher.update(alert.rule_id.as_bytes());
    hasher.update([0]);
    match (fact_text(alert, "event_id"), &alert.origin) {
        (Some(event_id), _) => hasher.update(event_id.as_bytes()),
        (None, Some(origin)) => {
            hasher.update(origin.file.as_bytes());
            hasher.update(origin.index.to_le_bytes());
        }
        (None, None) => {
            hasher.update(alert.time.as_deref().unwrap_or("").as_bytes());
            for (name, value) in &alert.facts {
                hasher.update(name.as_bytes());
                hasher.update(value.to_string().as_bytes());
            }
        }
    }
    fnguard_core::encode::uuid_from_digest(&hasher.finalize(), 8)
}

/// Wall-clock milliseconds, for an alert whose event has no time (OCSF
/// requires `time`).
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The alert as an OCSF Detection Finding.
pub fn finding(alert: &Alert) -> Value {
    let (severity_id, severity) = severity_id(alert.severity);
    let time = alert_time_ms(alert).unwrap_or_else(now_ms);
    let fact = |name: &str| fact_text(alert, name).map(|v| v.into_owned());
    let (analytic_type_id, analytic_type) = match alert.kind {
        AlertKind::Rule | AlertKind::Correlation => (1, "Rule"),
        AlertKind::Detector => (2, "Behavioral"),
    };

    let mut finding_info = json!({
        "uid": finding_uid(alert),
        "title": alert.title,
        "desc": description(alert),
        "types": [match alert.kind {
            AlertKind::Rule => "Sigma rule match",
            AlertKind::Correlation => "Sigma correlation",
            AlertKind::Detector => "Stateful detector",
        }],
        "analytic": {
            "uid": alert.rule_id,
            "name": alert.title,
            "type_id": analytic_type_id,
            "type": analytic_type,
        },
        "first_seen_time": time,
        "last_seen_time": time,
    });
    let attacks = attacks(&alert.tags);
    if !attacks.is_empty() {
        finding_info["attacks"] = Value::Array(attacks);
    }

    // Evidence of the call that raised the alert, and the same values as
    // observables (pivots for the consumer), each naming where it sits.
    let mut evidence = Map::new();
    let mut observables = Vec::new();
    let mut observe = |name: &str, type_id: u64, type_name: &str, value: &str| {
        observables.push(json!({
            "name": name, "type_id": type_id, "type": type_name, "value": value,
        }));
    };
    if let Some(principal) = fact("principal") {
        let mut user = json!({ "uid": principal });
        observe(
            "evidences[0].actor.user.uid",
            10,
            "Resource UID",
            &principal,
        );
        if let Some(key) = fact("access_key") {
            observe(
                "evidences[0].actor.user.credential_uid",
                19,
                "User Credential ID",
                &key,
            );
            user["credential_uid"] = json!(key);
        }
        evidence.insert("actor".into(), json!({ "user": user }));
    }
    if let Some(operation) = fact("event_name") {
        let mut api = json!({ "operation": operation });
        if let Some(service) = fact("event_source") {
            api["service"] = json!({ "name": service });
        }
        if let Some(error) = fact("error_code") {
            api["response"] = json!({ "error": error });
        }
        evidence.insert("api".into(), api);
    }
    if let Some(ip) = fact("source_ip") {
        let mut endpoint = json!({ "ip": ip });
        observe("evidences[0].src_endpoint.ip", 2, "IP Address", &ip);
        if ip.parse::<std::net::IpAddr>().is_err() {
            // CloudTrail writes a service name (`lambda.amazonaws.com`)
            // when a service made the call.
            endpoint = json!({ "domain": ip });
        }
        evidence.insert("src_endpoint".into(), endpoint);
    }
    if let Some(ip) = fact("destination_ip") {
        let mut endpoint = json!({ "ip": ip });
        observe("evidences[0].dst_endpoint.ip", 2, "IP Address", &ip);
        if let Some(Value::Number(port)) = alert.facts.get("destination_port") {
            endpoint["port"] = Value::Number(port.clone());
        }
        evidence.insert("dst_endpoint".into(), endpoint);
    }
    if let Some(agent) = fact("user_agent") {
        // 1.3.0 has no evidence attribute for a user agent (`http_request`
        // joined the evidences in 1.4.0): it stays in the facts, and the
        // observable points there.
        observe(
            "unmapped.fnguard.facts.user_agent",
            16,
            "HTTP User-Agent",
            &agent,
        );
    }
    if let Some(query) = fact("query_name") {
        observe("evidences[0].query.hostname", 1, "Hostname", &query);
        evidence.insert("query".into(), json!({ "hostname": query }));
    }
    if evidence.is_empty() {
        // The class asks for at least one evidence attribute; `data`
        // carries the facts when none of the typed ones applies.
        evidence.insert("data".into(), Value::Object(alert.facts.clone()));
    }

    let mut finding = json!({
        "activity_id": ACTIVITY_CREATE,
        "activity_name": "Create",
        "category_uid": CATEGORY_UID,
        "category_name": "Findings",
        "class_uid": CLASS_UID,
        "class_name": "Detection Finding",
        "type_uid": CLASS_UID * 100 + ACTIVITY_CREATE,
        "type_name": "Detection Finding: Create",
        "severity_id": severity_id,
        "severity": severity,
        "status_id": 1,
        "status": "New",
        "time": time,
        "message": alert.title,
        "metadata": {
            "version": OCSF_VERSION,
            "product": {
                "name": "fnguard",
                "vendor_name": "fnguard",
                "version": env!("CARGO_PKG_VERSION"),
            },
        },
        "finding_info": finding_info,
        "evidences": [Value::Object(evidence)],
    });
    if !observables.is_empty() {
        finding["observables"] = Value::Array(observables);
    }
    if let Some(function) = fact("function") {
        let mut resource = json!({ "type": "AWS::Lambda::Function", "name": function });
        if let Some(region) = fact("region") {
            resource["region"] = json!(region);
        }
        finding["resources"] = json!([resource]);
    }
    let (account, region) = (fact("account"), fact("region"));
    if account.is_some() || region.is_some() {
        let mut cloud = json!({ "provider": "AWS" });
        if let Some(region) = region {
            cloud["region"] = json!(region);
        }
        if let Some(account) = account {
            cloud["account"] = json!({ "uid": account });
        }
        finding["cloud"] = cloud;
        finding["metadata"]["profiles"] = json!(["cloud"]);
    }
    let mut unmapped = json!({
        "rule_id": alert.rule_id,
        "kind": alert.kind,
        "tags": alert.tags,
        "facts": alert.facts,
    });
    if let Some(guide) = &alert.guide {
        unmapped["guide"] = json!(guide);
    }
    if let Some(title_zh) = &alert.title_zh {
        unmapped["title_zh"] = json!(title_zh);
    }
    if let Some(origin) = &alert.origin {
        unmapped["origin"] = json!(origin);
    }
    if let Some(time) = &alert.time {
        unmapped["event_time"] = json!(time);
    }
    finding["unmapped"] = json!({ "fnguard": unmapped });
    finding
}

/// One sentence of what happened: `UpdateFunctionCode20150331v2 by
/// arn:... from 203.0.113.9 on function orders`.
fn description(alert: &Alert) -> String {
    let mut text = fact_text(alert, "event_name")
        .map(|e| e.into_owned())
        .unwrap_or_else(|| alert.title.clone());
    for (fact, word) in [
        ("principal", "by"),
        ("source_ip", "from"),
        ("function", "on function"),
        ("query_name", "query"),
        ("destination_ip", "to"),
    ] {
        if let Some(value) = fact_text(alert, fact) {
            text.push_str(&format!(" {word} {value}"));
        }
    }
    text
}
