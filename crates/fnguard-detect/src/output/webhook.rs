//! `--webhook URL`: alerts POSTed as they fire, to a chat channel (Slack's
//! incoming webhooks and compatible ones: `{"text": ...}`) or to any HTTP
//! endpoint (`{"schema_version", "source", "alerts": [...]}`).
//!
//! Delivery never holds up reading logs: each webhook has its own thread
//! and a bounded queue (when full, the oldest alert is dropped and
//! counted). Alerts go in batches (up to [`WebhookConfig::batch_max`], or
//! what arrived within [`WebhookConfig::batch_wait`] of the first). A batch
//! is retried with exponential backoff and jitter on connection errors,
//! timeouts, 429 (honouring `Retry-After` in seconds) and 5xx, up to
//! [`WebhookConfig::max_attempts`]; any other status is a permanent
//! failure (a 400 will not get better by sending it again). At exit the
//! queue is flushed until [`WebhookConfig::flush_deadline`]; what is left
//! is counted as unsent. Nothing is lost silently: the report counts
//! delivered, failed, dropped and unsent alerts.
//!
//! Secrets stay out of messages: a webhook URL's path often is the token
//! (Slack's is), so reports name only the scheme, host and port; header
//! values (`--webhook-header "Authorization: Bearer ..."`) are never
//! written anywhere.

use super::{alert_json, counted};
use crate::alert::Alert;
use fnguard_core::Lang;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// `--webhook-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookFormat {
    /// `{"schema_version": "1", "source": "fnguard", "alerts": [Alert...]}`.
    Json,
    /// `{"text": "..."}`, one short line per alert.
    Slack,
}

#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// `http://` or `https://`.
    pub url: String,
    pub format: WebhookFormat,
    /// Extra headers (tokens); values are never logged.
    pub headers: Vec<(String, String)>,
    /// Language of the titles of Slack lines.
    pub lang: Lang,
    pub batch_max: usize,
    pub batch_wait: Duration,
    /// Attempts per batch, the first included.
    pub max_attempts: u32,
    /// Alerts waiting; past it the oldest is dropped.
    pub queue_max: usize,
    pub backoff_base: Duration,
    /// Cap of one wait between attempts, `Retry-After` included.
    pub backoff_max: Duration,
    pub request_timeout: Duration,
    /// How long the run may wait at exit for the queue to drain.
    pub flush_deadline: Duration,
}

impl WebhookConfig {
    /// The defaults: batches of 50 or 2 s, 5 attempts from 0.5 s doubling
    /// to 30 s, 10 000 alerts queued, 10 s per request, 15 s to flush.
    pub fn new(url: impl Into<String>, format: WebhookFormat) -> Self {
        WebhookConfig {
            url: url.into(),
            format,
            headers: Vec::new(),
            lang: Lang::En,
            batch_max: 50,
            batch_wait: Duration::from_secs(2),
            max_attempts: 5,
            queue_max: 10_000,
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
            request_timeout: Duration::from_secs(10),
            flush_deadline: Duration::from_secs(15),
        }
    }
}

/// `Name: value` as a header; the name must be an HTTP token and the value
/// a single line. The error never repeats the value (it may be a token).
pub fn parse_header(text: &str) -> Result<(String, String), String> {
    let Some((name, value)) = text.split_once(':') else {
        return Err("a header is `Name: value`".to_string());
    };
    let name = name.trim();
    let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if name.is_empty() || !name.bytes().all(token) {
        return Err(format!("`{name}` is not a header name"));
    }
    let value = value.trim();
    if value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
        return Err(format!("the value of header {name} has a line break"));
    }
    Ok((name.to_string(), value.to_string()))
}

/// `https://hooks.example.com:443` of a URL: what messages may name.
pub fn target_of(url: &str) -> Result<String, String> {
    let (scheme, rest) = url
        .split_once("://")
        .filter(|(s, _)| matches!(s.to_ascii_lowercase().as_str(), "http" | "https"))
        .ok_or_else(|| "a webhook URL starts with http:// or https://".to_string())?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    // Credentials in the URL (`user:pass@host`) are not named either.
    let host = authority.rsplit('@').next().unwrap_or("");
    if host.is_empty() {
        return Err("the webhook URL has no host".to_string());
    }
    Ok(format!("{}://{host}", scheme.to_ascii_lowercase()))
}

/// What one webhook did, for the summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebhookReport {
    /// Scheme, host and port only.
    pub target: String,
    pub delivered: u64,
    pub requests_ok: u64,
    /// Attempts after the first, over all batches.
    pub retries: u64,
    /// Alerts of batches that failed for good (attempts used up, or a
    /// status that is not retried).
    pub failed: u64,
    /// Alerts dropped because the queue was full.
    pub dropped: u64,
    /// Alerts still queued (or in a batch being retried) at the flush
    /// deadline.
    pub unsent: u64,
    pub last_error: Option<String>,
}

impl WebhookReport {
    /// Alerts that did not reach the endpoint.
    pub fn lost(&self) -> u64 {
        self.failed + self.dropped + self.unsent
    }

    pub fn line(&self) -> String {
        let mut line = format!(
            "webhook {}: {} delivered in {}",
            self.target,
            counted(self.delivered, "alert"),
            counted(self.requests_ok, "request")
        );
        if self.retries > 0 {
            line.push_str(&format!(", {}", counted(self.retries, "retry")));
        }
        if self.lost() > 0 {
            line.push_str(&format!(
                "; {} failed, {} dropped (queue full), {} unsent at exit",
                self.failed, self.dropped, self.unsent
            ));
        }
        if let Some(error) = &self.last_error {
            line.push_str(&format!(" (last error: {error})"));
        }
        line
    }
}

struct State {
    queue: VecDeque<Value>,
    /// Set by [`Webhook::finish`]: deliver what is left until then.
    deadline: Option<Instant>,
    report: WebhookReport,
    /// Alerts of the batch being delivered (counted as unsent if the run
    /// gives up waiting for it).
    in_flight: u64,
    /// The worker has returned.
    done: bool,
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic in the worker would poison the lock; the counts are still
        // the best there is.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// One running webhook sink.
pub struct Webhook {
    shared: Arc<Shared>,
    config: WebhookConfig,
}

impl Webhook {
    /// Checks the URL and headers and starts the delivery thread. Errors
    /// name the target, never the full URL.
    pub fn start(config: WebhookConfig) -> Result<Webhook, String> {
        let target = check(&config)?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                deadline: None,
                report: WebhookReport {
                    target: target.clone(),
                    ..WebhookReport::default()
                },
                in_flight: 0,
                done: false,
            }),
            wake: Condvar::new(),
        });
        let worker = Worker {
            shared: Arc::clone(&shared),
            agent: agent(&config),
            config: config.clone(),
        };
        std::thread::Builder::new()
            .name(format!("webhook {target}"))
            .spawn(move || worker.run())
            .map_err(|e| format!("webhook {target}: cannot start its thread: {e}"))?;
        Ok(Webhook { shared, config })
    }

    /// Queues one alert (never blocks on the network).
    pub fn send(&self, alert: &Alert) {
        let item = match self.config.format {
            WebhookFormat::Json => alert_json(alert),
            WebhookFormat::Slack => Value::String(slack_line(alert, self.config.lang)),
        };
        let mut state = self.shared.lock();
        if state.queue.len() >= self.config.queue_max.max(1) {
            state.queue.pop_front();
            state.report.dropped += 1;
        }
        state.queue.push_back(item);
        drop(state);
        self.shared.wake.notify_all();
    }

    /// Delivers what is queued until the flush deadline and reports.
    pub fn finish(self) -> WebhookReport {
        let deadline = Instant::now() + self.config.flush_deadline;
        self.shared.lock().deadline = Some(deadline);
        self.shared.wake.notify_all();
        // The worker checks the deadline between attempts; one request
        // under way may outlast it by its own timeout.
        let give_up = deadline + self.config.request_timeout + Duration::from_secs(1);
        let mut state = self.shared.lock();
        while !state.done {
            let now = Instant::now();
            if now >= give_up {
                break;
            }
            state = self
                .shared
                .wake
                .wait_timeout(state, give_up - now)
                .map(|(s, _)| s)
                .unwrap_or_else(|p| p.into_inner().0);
        }
        let mut report = state.report.clone();
        if !state.done {
            report.unsent += state.queue.len() as u64 + state.in_flight;
            report.last_error = Some("delivery still under way at the flush deadline".into());
        }
        report
    }
}

impl Drop for Webhook {
    /// A webhook dropped without [`Webhook::finish`] (the run is being torn
    /// down) stops its thread at once instead of leaving it waiting.
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        if state.deadline.is_none() {
            state.deadline = Some(Instant::now());
        }
        drop(state);
        self.shared.wake.notify_all();
    }
}

/// The URL and headers of a webhook, checked; its target (scheme and host)
/// when they are sound.
pub fn check(config: &WebhookConfig) -> Result<String, String> {
    let target = target_of(&config.url)?;
    for (name, value) in &config.headers {
        parse_header(&format!("{name}: {value}")).map_err(|e| format!("webhook {target}: {e}"))?;
    }
    Ok(target)
}

fn agent(config: &WebhookConfig) -> ureq::Agent {
    ureq::Agent::config_builder()
        // Statuses are decided here (retry or not), with Retry-After.
        .http_status_as_error(false)
        // A redirect would resend alerts (and headers) elsewhere.
        .max_redirects(0)
        .timeout_global(Some(config.request_timeout))
        .user_agent(format!("fnguard/{}", env!("CARGO_PKG_VERSION")))
        .build()
        .into()
}

/// A Slack mrkdwn line: `[HIGH] FG-DET-002 Title | principal ... | ip ... | time`.
pub fn slack_line(alert: &Alert, lang: Lang) -> String {
    let mut parts = vec![format!(
        "[{}] {} {}",
        alert.severity.as_str().to_ascii_uppercase(),
        alert.rule_id,
        super::title_in(alert, lang)
    )];
    for (fact, label) in [
        ("principal", "principal"),
        ("source_ip", "ip"),
        ("function", "function"),
    ] {
        if let Some(value) = super::fact_text(alert, fact) {
            parts.push(format!("{label} {value}"));
        }
    }
    if let Some(time) = &alert.time {
        parts.push(time.clone());
    }
    // Slack reads <...> as links and &...; as entities.
    parts
        .join(" | ")
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The request body of a batch.
pub fn body(format: WebhookFormat, items: &[Value]) -> Value {
    match format {
        WebhookFormat::Json => json!({
            "schema_version": super::SCHEMA_VERSION,
            "source": "fnguard",
            "alerts": items,
        }),
        WebhookFormat::Slack => {
            let lines: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
            json!({ "text": lines.join("\n") })
        }
    }
}

struct Worker {
    shared: Arc<Shared>,
    agent: ureq::Agent,
    config: WebhookConfig,
}

enum Outcome {
    Delivered,
    /// Worth another attempt, after at least this long (Retry-After).
    Retry(Option<Duration>, String),
    Fail(String),
}

impl Worker {
    fn run(self) {
        while let Some(batch) = self.next_batch() {
            self.deliver(batch);
        }
        let mut state = self.shared.lock();
        state.report.unsent += state.queue.len() as u64;
        state.queue.clear();
        state.done = true;
        drop(state);
        self.shared.wake.notify_all();
    }

    /// Waits for alerts, then for the batch to fill (or its wait to pass,
    /// or the exit); `None` when there is nothing more to do.
    fn next_batch(&self) -> Option<Vec<Value>> {
        let mut state = self.shared.lock();
        loop {
            if state.deadline.is_some_and(|d| Instant::now() >= d) {
                return None;
            }
            if !state.queue.is_empty() {
                break;
            }
            if state.deadline.is_some() {
                return None;
            }
            state = self
                .shared
                .wake
                .wait(state)
                .unwrap_or_else(|p| p.into_inner());
        }
        let first_seen = Instant::now();
        while state.queue.len() < self.config.batch_max && state.deadline.is_none() {
            let left = self.config.batch_wait.saturating_sub(first_seen.elapsed());
            if left.is_zero() {
                break;
            }
            state = self
                .shared
                .wake
                .wait_timeout(state, left)
                .map(|(s, _)| s)
                .unwrap_or_else(|p| p.into_inner().0);
        }
        let take = state.queue.len().min(self.config.batch_max.max(1));
        state.in_flight = take as u64;
        Some(state.queue.drain(..take).collect())
    }

    fn deliver(&self, batch: Vec<Value>) {
        let count = batch.len() as u64;
        let payload = body(self.config.format, &batch).to_string();
        for attempt in 1..=self.config.max_attempts.max(1) {
            let deadline = self.shared.lock().deadline;
            let mut timeout = self.config.request_timeout;
            if let Some(deadline) = deadline {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    self.settle(|r| r.unsent += count);
                    return;
                }
                timeout = timeout.min(left);
            }
            let (wait_at_least, error) = match self.post(&payload, timeout) {
                Outcome::Delivered => {
                    self.settle(|r| {
                        r.delivered += count;
                        r.requests_ok += 1;
                    });
                    return;
                }
                Outcome::Fail(error) => {
                    self.settle(|r| {
                        r.failed += count;
                        r.last_error = Some(error);
                    });
                    return;
                }
                Outcome::Retry(wait, error) => (wait, error),
            };
            if attempt == self.config.max_attempts.max(1) {
                self.settle(|r| {
                    r.failed += count;
                    r.last_error = Some(format!("{error} (after {attempt} attempts)"));
                });
                return;
            }
            let wait = wait_at_least
                .unwrap_or_else(|| self.backoff(attempt))
                .min(self.config.backoff_max);
            self.record(|r| {
                r.retries += 1;
                r.last_error = Some(error);
            });
            if !self.pause(wait) {
                self.settle(|r| r.unsent += count);
                return;
            }
        }
    }

    fn record(&self, change: impl FnOnce(&mut WebhookReport)) {
        change(&mut self.shared.lock().report);
    }

    /// Records how the batch in flight ended.
    fn settle(&self, change: impl FnOnce(&mut WebhookReport)) {
        let mut state = self.shared.lock();
        change(&mut state.report);
        state.in_flight = 0;
    }

    /// Base × 2^(attempt-1), capped, with jitter in its upper half so that
    /// many senders do not retry in step.
    fn backoff(&self, attempt: u32) -> Duration {
        let exponential = self
            .config
            .backoff_base
            .saturating_mul(1u32 << (attempt - 1).min(16))
            .min(self.config.backoff_max);
        let half = exponential / 2;
        let spread = half.as_millis() as u64;
        let jitter = if spread == 0 {
            0
        } else {
            random_u64() % (spread + 1)
        };
        half + Duration::from_millis(jitter)
    }

    /// Sleeps `wait`, or until the flush deadline if that comes first
    /// (then `false`: no time left for another attempt).
    fn pause(&self, wait: Duration) -> bool {
        let until = Instant::now() + wait;
        let mut state = self.shared.lock();
        loop {
            let now = Instant::now();
            if state.deadline.is_some_and(|d| d < until) {
                return false;
            }
            if now >= until {
                return true;
            }
            state = self
                .shared
                .wake
                .wait_timeout(state, until - now)
                .map(|(s, _)| s)
                .unwrap_or_else(|p| p.into_inner().0);
        }
    }

    fn post(&self, payload: &str, timeout: Duration) -> Outcome {
        let mut request = self
            .agent
            .post(&self.config.url)
            .config()
            .timeout_global(Some(timeout))
            .build()
            .header("Content-Type", "application/json");
        for (name, value) in &self.config.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        match request.send(payload.as_bytes()) {
            Ok(response) => {
                let status = response.status().as_u16();
                match status {
                    200..=299 => Outcome::Delivered,
                    429 | 500..=599 => {
                        let retry_after = response
                            .headers()
                            .get("retry-after")
                            .and_then(|v| v.to_str().ok())
                            .and_then(|v| v.trim().parse::<u64>().ok())
                            .map(Duration::from_secs);
                        Outcome::Retry(retry_after, format!("HTTP {status}"))
                    }
                    _ => Outcome::Fail(format!("HTTP {status}, not retried")),
                }
            }
            Err(error) => {
                let retryable = matches!(
                    error,
                    ureq::Error::Io(_)
                        | ureq::Error::Timeout(_)
                        | ureq::Error::ConnectionFailed
                        | ureq::Error::HostNotFound
                        | ureq::Error::Protocol(_)
                );
                let message = match error {
                    // Its message would repeat the URL, token and all.
                    ureq::Error::BadUri(_) => "the webhook URL is not valid".to_string(),
                    other => other.to_string(),
                };
                if retryable {
                    Outcome::Retry(None, message)
                } else {
                    Outcome::Fail(message)
                }
            }
        }
    }
}

/// A random number for jitter, from the standard library's randomly keyed
/// hasher (no generator crate for one number per retry).
fn random_u64() -> u64 {
    use std::hash::BuildHasher;
    std::collections::hash_map::RandomState::new().hash_one(Instant::now())
}
