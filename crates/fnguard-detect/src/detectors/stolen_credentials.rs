//! Stolen function credentials (guide §2.2; ATT&CK T1552.005, T1078.004):
//! the temporary key of a function's execution role, taken out of the
//! function (`/proc/self/environ`, an SSRF, a malicious dependency) and
//! replayed from the attacker's machine. GuardDuty's credential
//! exfiltration findings cover EC2 only.
//!
//! A CloudTrail record is an *inside* use of its temporary key
//! (`userIdentity.accessKeyId` starting `ASIA`) when its user agent carries
//! the Lambda runtime marker the AWS SDKs add from `AWS_EXECUTION_ENV`
//! (`exec-env/AWS_Lambda_python3.12`), or when it comes from a source IP
//! already seen for that key from inside (the same function calling with
//! a client that adds no marker). Records made by AWS itself with the role
//! are neither inside nor outside: a service host as source IP or user
//! agent (`lambda.amazonaws.com`, `AWS Internal`), `invokedBy`, or the
//! Lambda worker creating the function's log group on a cold start
//! (`awslambda-worker/...`). Every other record with the key is an
//! *outside* use.
//!
//! An outside use alerts when it falls within the window (default 12 h,
//! the longest life of the credentials) of the key's inside uses:
//! between the first inside use minus the window and the last inside use
//! plus the window. Logs are not in time order (CloudTrail delivers files
//! every few minutes, from every region), so an outside use read *before*
//! any inside use of its key is kept (a few per key) and alerts when the
//! inside use shows up, unless that inside use came from the same IP.
//! One alert per key and outside source IP. AWS IP ranges are not
//! consulted: a key replayed from an EC2 instance is still a stolen key.
//!
//! Memory: at most `max_keys` keys (default 20,000; the least recently
//! seen are dropped first), and per key at most 8 inside IPs, 4 inside
//! user agents and 4 pending outside uses (agents cut to 256 bytes) and 16
//! reported IPs: about 4.5 KB per key at worst, a few hundred bytes for
//! the usual key (one function, one IP), so under 100 MB at worst with the
//! default cap. Keys are forgotten once the window has passed since they
//! were last seen. Records without a readable `eventTime` cannot be placed
//! in the window and are ignored.
//!
//! Limits: the user agent is the caller's to write, so an attacker who
//! copies the Lambda marker (or replays the key from a Lambda function of
//! their own) is taken for the function; and a function whose SDK adds no
//! marker (a custom runtime without `AWS_EXECUTION_ENV`) is never seen
//! inside, so its key never alerts.

use super::catalog::DetectorInfo;
use super::cloudtrail::{assumed_role, text};
use super::Detector;
use crate::alert::{event_time_ms, Alert};
use crate::input::Event;
use fnguard_core::severity::Severity;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

pub const INFO: DetectorInfo = DetectorInfo {
    id: "FG-DET-101",
    detector: NAME,
    severity: Severity::Critical,
    guide: "2.2, 3.4.3",
    attack: &["T1552.005", "T1078.004"],
    title_en: "Function credentials used outside the function",
    title_zh: "函数凭证在函数之外被使用",
    description_en: "The temporary access key of a Lambda execution role was used from inside the \
        function (Lambda runtime user agent) and, within the credentials' lifetime, from another \
        source IP without the Lambda runtime marker: the key has left the function (environment \
        dump, SSRF, malicious dependency) and someone is replaying it.",
    description_zh:
        "Lambda 执行角色的临时访问密钥先在函数内部（带 Lambda 运行时 User-Agent）被使用，\
        又在凭证有效期内从另一个不带 Lambda 运行时标记的源 IP 被使用：密钥已离开函数\
        （环境变量泄露、SSRF、恶意依赖），有人正在重放它。",
    remediation_en: "Revoke the role's active sessions now (IAM console: Revoke active sessions, \
        which denies tokens issued before now), review what the key did from the outside IP in \
        CloudTrail, find how it leaked (the function's code, dependencies and inputs), and \
        narrow the role to what the function needs.",
    remediation_zh: "立即撤销该角色的活动会话（IAM 控制台“撤销活动会话”，拒绝此前签发的令牌），\
        在 CloudTrail 中审查该密钥从外部 IP 做了什么，查明泄露途径（函数代码、依赖和输入），\
        并把角色权限收窄到函数所需。",
};

const NAME: &str = "stolen-credentials";
const STATE_VERSION: u64 = 1;
const MAX_INSIDE_IPS: usize = 8;
const MAX_INSIDE_AGENTS: usize = 4;
const MAX_PENDING: usize = 4;
/// User agents are kept to this many bytes (some SDKs write 300 and more).
const MAX_AGENT_BYTES: usize = 256;
const MAX_REPORTED: usize = 16;

#[derive(Debug, Clone, Copy)]
pub struct StolenCredentialsConfig {
    /// How far apart an inside and an outside use may be.
    pub window_ms: i64,
    /// Keys remembered at most.
    pub max_keys: usize,
}

impl Default for StolenCredentialsConfig {
    fn default() -> Self {
        StolenCredentialsConfig {
            window_ms: 12 * 3600 * 1000,
            max_keys: 20_000,
        }
    }
}

pub struct StolenCredentials {
    config: StolenCredentialsConfig,
    state: State,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct State {
    version: u64,
    /// Latest event time seen: the clock of expiry.
    now_ms: i64,
    /// `now_ms` at the last walk that forgot expired keys.
    expired_at_ms: i64,
    keys: BTreeMap<String, KeyState>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct KeyState {
    role: Option<String>,
    session: Option<String>,
    account: Option<String>,
    first_inside_ms: Option<i64>,
    last_inside_ms: Option<i64>,
    first_inside_time: Option<String>,
    inside_ips: Vec<String>,
    inside_agents: Vec<String>,
    /// Outside uses not yet matched with an inside use.
    pending: Vec<OutsideUse>,
    /// Outside source IPs already alerted on.
    reported: Vec<String>,
    last_seen_ms: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct OutsideUse {
    ms: i64,
    time: String,
    ip: String,
    agent: String,
    event_name: String,
    event_source: String,
    /// `file:line` or `file#index` where it was read.
    origin: String,
}

impl StolenCredentials {
    pub fn new(config: StolenCredentialsConfig) -> Self {
        StolenCredentials {
            config,
            state: State {
                version: STATE_VERSION,
                ..State::default()
            },
        }
    }

    /// Keys currently remembered (for tests and `--verbose`).
    pub fn tracked_keys(&self) -> usize {
        self.state.keys.len()
    }

    fn forget_expired(&mut self) {
        let horizon = self.state.now_ms.saturating_sub(self.config.window_ms);
        self.state.keys.retain(|_, key| key.last_seen_ms >= horizon);
    }

    /// Makes room for one more key: expired keys first, then the
    /// sixteenth least recently seen (dropping a batch keeps this rare).
    fn make_room(&mut self) {
        self.forget_expired();
        if self.state.keys.len() < self.config.max_keys {
            return;
        }
        let mut seen: Vec<i64> = self.state.keys.values().map(|k| k.last_seen_ms).collect();
        if seen.is_empty() {
            return;
        }
        let drop = (seen.len() / 16).max(1);
        let (_, cutoff, _) = seen.select_nth_unstable(drop - 1);
        let cutoff = *cutoff;
        let mut dropped = 0;
        self.state.keys.retain(|_, key| {
            if dropped < drop && key.last_seen_ms <= cutoff {
                dropped += 1;
                false
            } else {
                true
            }
        });
    }
}

impl Default for StolenCredentials {
    fn default() -> Self {
        StolenCredentials::new(StolenCredentialsConfig::default())
    }
}

/// The runtime marker AWS SDKs put in the user agent inside Lambda
/// (`exec-env/AWS_Lambda_nodejs20.x`); the AWS CLI run inside a function
/// writes `exec-env/AWS_Lambda_python3.12` too.
fn lambda_runtime_agent(agent: &str) -> bool {
    agent.contains("exec-env/AWS_Lambda") || agent.contains("AWS_Lambda_")
}

/// A call AWS made with the role on the function's behalf, not code
/// holding the key.
fn made_by_aws(event: &Value, ip: &str, agent: &str) -> bool {
    let service = |s: &str| s.ends_with(".amazonaws.com") || s.eq_ignore_ascii_case("AWS Internal");
    service(ip)
        || service(agent)
        || agent.starts_with("awslambda-worker")
        || text(event, "userIdentity.invokedBy").is_some()
}

fn origin_text(event: &Event) -> String {
    match event.origin.line {
        Some(line) => format!("{}:{line}", event.origin.file),
        None => format!("{}#{}", event.origin.file, event.origin.index),
    }
}

/// `agent` cut to [`MAX_AGENT_BYTES`] at a character boundary.
fn clip(agent: &str) -> &str {
    if agent.len() <= MAX_AGENT_BYTES {
        return agent;
    }
    let mut end = MAX_AGENT_BYTES;
    while !agent.is_char_boundary(end) {
        end -= 1;
    }
    &agent[..end]
}

fn push_capped(list: &mut Vec<String>, value: &str, cap: usize) {
    if !list.iter().any(|v| v == value) {
        if list.len() == cap {
            list.remove(0);
        }
        list.push(value.to_string());
    }
}

impl KeyState {
    fn within_window(&self, ms: i64, window: i64) -> bool {
        match (self.first_inside_ms, self.last_inside_ms) {
            (Some(first), Some(last)) => {
                ms >= first.saturating_sub(window) && ms <= last.saturating_add(window)
            }
            _ => false,
        }
    }

    fn facts(&self, key: &str, outside: &OutsideUse, account: Option<&str>) -> Map<String, Value> {
        let mut facts = Map::new();
        facts.insert("access_key".into(), json!(key));
        if let Some(role) = &self.role {
            facts.insert("role".into(), json!(role));
        }
        if let Some(session) = &self.session {
            // The session of a Lambda execution role is the function name.
            facts.insert("function".into(), json!(session));
        }
        if let Some(account) = account.or(self.account.as_deref()) {
            facts.insert("account".into(), json!(account));
        }
        facts.insert("inside_ips".into(), json!(self.inside_ips));
        facts.insert("inside_user_agents".into(), json!(self.inside_agents));
        if let Some(time) = &self.first_inside_time {
            facts.insert("first_inside_time".into(), json!(time));
        }
        facts.insert("outside_ip".into(), json!(outside.ip));
        facts.insert("outside_user_agent".into(), json!(outside.agent));
        facts.insert("outside_time".into(), json!(outside.time));
        facts.insert(
            "outside_event".into(),
            json!(format!("{}:{}", outside.event_source, outside.event_name)),
        );
        facts.insert("outside_origin".into(), json!(outside.origin));
        facts
    }
}

/// What the detector reads of a CloudTrail record.
const CLOUDTRAIL_FIELDS: &[&str] = &[
    "eventTime",
    "eventSource",
    "eventName",
    "eventID",
    "awsRegion",
    "recipientAccountId",
    "sourceIPAddress",
    "userAgent",
    "userIdentity.accessKeyId",
    "userIdentity.accountId",
    "userIdentity.arn",
    "userIdentity.invokedBy",
    "errorCode",
];

impl Detector for StolenCredentials {
    fn name(&self) -> &'static str {
        NAME
    }

    fn observe(&mut self, event: &Event, alerts: &mut Vec<Alert>) {
        let value = &event.value;
        let Some(key) = text(value, "userIdentity.accessKeyId").filter(|k| k.starts_with("ASIA"))
        else {
            return;
        };
        let Some(ms) = event_time_ms(value) else {
            return;
        };
        let ip = text(value, "sourceIPAddress").unwrap_or("");
        let agent = text(value, "userAgent").unwrap_or("");
        if made_by_aws(value, ip, agent) {
            return;
        }
        self.state.now_ms = self.state.now_ms.max(ms);
        // Expiring on every event would walk every key per event; a walk
        // per tenth of the window bounds memory the same way.
        if self.state.now_ms - self.state.expired_at_ms >= (self.config.window_ms / 10).max(1) {
            self.state.expired_at_ms = self.state.now_ms;
            self.forget_expired();
        }
        if !self.state.keys.contains_key(key) {
            if self.state.keys.len() >= self.config.max_keys {
                self.make_room();
            }
            self.state.keys.insert(key.to_string(), KeyState::default());
        }
        let window = self.config.window_ms;
        let Some(state) = self.state.keys.get_mut(key) else {
            return;
        };
        state.last_seen_ms = state.last_seen_ms.max(ms);
        let account =
            text(value, "recipientAccountId").or_else(|| text(value, "userIdentity.accountId"));
        let inside = lambda_runtime_agent(agent) || state.inside_ips.iter().any(|i| i == ip);
        if inside {
            // A function calls often: allocate only what is new.
            if state.session.is_none() {
                if let Some((role, session)) =
                    text(value, "userIdentity.arn").and_then(assumed_role)
                {
                    state.role = Some(role.to_string());
                    state.session = Some(session.to_string());
                }
            }
            if state.account.is_none() {
                state.account = account.map(str::to_string);
            }
            if state.first_inside_ms.is_none_or(|first| ms < first) {
                state.first_inside_ms = Some(ms);
                state.first_inside_time = text(value, "eventTime").map(str::to_string);
            }
            state.last_inside_ms = Some(state.last_inside_ms.map_or(ms, |last| last.max(ms)));
            push_capped(&mut state.inside_ips, ip, MAX_INSIDE_IPS);
            push_capped(&mut state.inside_agents, clip(agent), MAX_INSIDE_AGENTS);
            if state.pending.is_empty() {
                return;
            }
            // Outside uses read before this one: those from an IP now
            // known to be the function's were the function itself.
            let pending = std::mem::take(&mut state.pending);
            for outside in pending {
                if state.inside_ips.contains(&outside.ip) {
                    continue;
                }
                if !state.within_window(outside.ms, window) {
                    // An inside use read later (logs are out of order) may
                    // still bring it into the window.
                    state.pending.push(outside);
                    continue;
                }
                if !state.reported.contains(&outside.ip) {
                    push_capped(&mut state.reported, &outside.ip, MAX_REPORTED);
                    let facts = state.facts(key, &outside, account);
                    alerts.push(INFO.alert(event, INFO.severity, facts));
                }
            }
            return;
        }
        let within = state.within_window(ms, window);
        let known = if within {
            state.reported.iter().any(|r| r == ip)
        } else {
            // Not (yet) near an inside use: the first use of each source
            // waits for an inside use (or the key's expiry).
            state.pending.iter().any(|p| p.ip == ip)
        };
        if known {
            return;
        }
        let outside = OutsideUse {
            ms,
            time: text(value, "eventTime").unwrap_or("").to_string(),
            ip: ip.to_string(),
            agent: clip(agent).to_string(),
            event_name: text(value, "eventName").unwrap_or("").to_string(),
            event_source: text(value, "eventSource").unwrap_or("").to_string(),
            origin: origin_text(event),
        };
        if within {
            push_capped(&mut state.reported, ip, MAX_REPORTED);
            let facts = state.facts(key, &outside, account);
            alerts.push(INFO.alert(event, INFO.severity, facts));
        } else {
            if state.pending.len() == MAX_PENDING {
                state.pending.remove(0);
            }
            state.pending.push(outside);
        }
    }

    fn save(&self) -> Value {
        serde_json::to_value(&self.state).unwrap_or(Value::Null)
    }

    fn raw_needles(&self) -> Option<&'static [&'static str]> {
        // Only temporary keys are followed.
        Some(&["ASIA"])
    }

    fn fields_read(&self) -> Option<&'static [&'static str]> {
        Some(CLOUDTRAIL_FIELDS)
    }

    fn restore(&mut self, state: &Value) -> Result<(), String> {
        let restored: State = super::read_state(NAME, state, STATE_VERSION)?;
        self.state = restored;
        while self.state.keys.len() > self.config.max_keys {
            self.make_room();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
