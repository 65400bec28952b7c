//! Function anomalies (guide §3.4.3: "sudden duration or memory spikes,
//! many errors or timeouts"), from Lambda REPORT events (text REPORT lines
//! and JSON `platform.report`, normalised by `input` to
//! `{"log":"lambda","type":"report",...}`), per function (`function`, or
//! `-` when the log does not say).
//!
//! Spikes (duration, max memory used, init duration of cold starts): each
//! metric keeps the last [`AnomalyConfig::sample_capacity`] values and an
//! EWMA. After [`AnomalyConfig::min_samples`] values, a value is a spike
//! when it clears all of: the median plus `mad_multiplier` × 1.4826 × MAD
//! (a robust standard deviation), `1 + min_increase_ratio` times both the
//! median and the EWMA, and the median plus an absolute floor (so that
//! 1 ms jitter on a 3 ms function never alerts). A spike enters the sample
//! clipped to the threshold: one attack cannot raise the baseline it is
//! measured against, yet a lasting change (a new release that is slower)
//! moves the median up within about half a ring and stops alerting.
//!
//! Error and timeout bursts: outcomes of the last `rate_window`
//! invocations (a REPORT's `status`; in text logs, a "Task timed out"
//! line, the platform's "RequestId: ID Error: Runtime exited" or Node.js's
//! "Invoke Error" line of the same request) against a decayed rate of the
//! invocations before them; a burst is at least `rate_min_count` errors, twice the baseline
//! rate and four standard deviations above it (binomial).
//!
//! Alerts of one function and check wait `cooldown_ms` (event times) or,
//! when the log has no times (text REPORT lines), `cooldown_reports`
//! reports of that function: event times are used when the event has one,
//! arrival order otherwise.

use crate::alert::{event_time_ms, Alert};
use crate::detectors::Detector;
use crate::input::Event;
use fnguard_core::severity::Severity;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap, VecDeque};

/// A detection's metadata, one per alert id: the catalog's entry.
pub use super::catalog::DetectorInfo as DetectionInfo;

pub const DURATION_SPIKE: DetectionInfo = DetectionInfo {
    detector: "function-anomalies",
    id: "FG-DET-120",
    title_en: "Function duration spike",
    title_zh: "函数执行时长突增",
    guide: "3.4.3",
    attack: &["T1496"],
    severity: Severity::Medium,
    description_en: "An invocation ran far longer than the function's recent baseline (median and MAD of its last invocations): injected code doing extra work (crypto-mining, scanning, exfiltration) or a denial of service.",
    description_zh: "某次调用的执行时长远超该函数近期基线（最近调用的中位数与 MAD）：可能是注入代码在做额外工作（挖矿、扫描、数据外传）或拒绝服务。",
    remediation_en: "Look at the invocation's logs and trace; compare the deployed code and layers with the release; check the function's outbound connections at that time.",
    remediation_zh: "查看该次调用的日志与追踪；将已部署代码和层与发布版本比对；检查该时段函数的出站连接。",
};

pub const MEMORY_SPIKE: DetectionInfo = DetectionInfo {
    detector: "function-anomalies",
    id: "FG-DET-121",
    title_en: "Function memory spike",
    title_zh: "函数内存用量突增",
    guide: "3.4.3",
    attack: &["T1496"],
    severity: Severity::Medium,
    description_en: "An invocation used far more memory than the function's recent baseline: a large payload, injected code loading tools or data, or memory exhaustion.",
    description_zh: "某次调用的内存用量远超该函数近期基线：可能是超大请求、注入代码加载工具或数据，或内存耗尽攻击。",
    remediation_en: "Check the request that caused it and the code and layers deployed; cap request sizes at the trigger.",
    remediation_zh: "检查引发该调用的请求以及已部署的代码和层；在触发器处限制请求大小。",
};

pub const INIT_SPIKE: DetectionInfo = DetectionInfo {
    detector: "function-anomalies",
    id: "FG-DET-122",
    title_en: "Function cold-start time spike",
    title_zh: "函数冷启动时长突增",
    guide: "3.4.3",
    attack: &["T1525"],
    severity: Severity::Low,
    description_en: "A cold start's init duration is far above the function's baseline: the code, a layer or the runtime changed, or initialisation now does extra work (a backdoor loaded at start).",
    description_zh: "冷启动初始化时长远超该函数基线：代码、层或运行时发生变化，或初始化阶段在做额外工作（启动时加载后门）。",
    remediation_en: "Check CloudTrail for UpdateFunctionCode / UpdateFunctionConfiguration (layers) before it and compare the deployed package with the release.",
    remediation_zh: "在 CloudTrail 中检查此前的 UpdateFunctionCode / UpdateFunctionConfiguration（层）操作，并将部署包与发布版本比对。",
};

pub const MEMORY_AT_LIMIT: DetectionInfo = DetectionInfo {
    detector: "function-anomalies",
    id: "FG-DET-123",
    title_en: "Function memory close to its limit",
    title_zh: "函数内存接近上限",
    guide: "3.4.3",
    attack: &["T1499"],
    severity: Severity::Low,
    description_en: "An invocation used 95% or more of the function's memory size: it is about to fail with out-of-memory, by growth or by a request built to exhaust it.",
    description_zh: "某次调用使用了函数内存配置的 95% 以上：即将因内存不足失败，原因可能是正常增长，也可能是构造请求耗尽内存。",
    remediation_en: "Find the requests that use the most memory; validate and cap input sizes; raise the memory size only once the cause is known.",
    remediation_zh: "找出内存用量最大的请求；校验并限制输入大小；查明原因后再考虑提高内存配置。",
};

pub const ERROR_BURST: DetectionInfo = DetectionInfo {
    detector: "function-anomalies",
    id: "FG-DET-124",
    title_en: "Burst of function errors",
    title_zh: "函数错误激增",
    guide: "3.4.3",
    attack: &["T1190"],
    severity: Severity::Medium,
    description_en: "The share of failed invocations in the last invocations is far above the function's usual rate: probing with malformed or injected input, or a broken dependency.",
    description_zh: "最近调用中失败的比例远高于该函数平常水平：可能是用畸形或注入输入进行探测，或依赖故障。",
    remediation_en: "Read the errors' messages and the requests behind them; block the sources at the trigger (WAF, authorizer) if they are probing.",
    remediation_zh: "查看错误信息及对应请求；如属探测，在触发器处（WAF、授权方）阻断来源。",
};

pub const TIMEOUT_BURST: DetectionInfo = DetectionInfo {
    detector: "function-anomalies",
    id: "FG-DET-125",
    title_en: "Burst of function timeouts",
    title_zh: "函数超时激增",
    guide: "3.4.3",
    attack: &["T1499"],
    severity: Severity::Medium,
    description_en: "The share of invocations that timed out in the last invocations is far above the function's usual rate: a denial of service (slow or huge requests), code stuck on an outbound connection, or a dependency down.",
    description_zh: "最近调用中超时的比例远高于该函数平常水平：可能是拒绝服务（慢速或超大请求）、代码卡在出站连接，或依赖不可用。",
    remediation_en: "Check what the timed-out invocations waited for; set reserved concurrency and request limits; look for unexpected outbound connections.",
    remediation_zh: "检查超时调用在等待什么；设置预留并发和请求限制；排查异常出站连接。",
};

/// Every check of this detector, for the catalog.
pub const ANOMALY_DETECTIONS: [&DetectionInfo; 6] = [
    &DURATION_SPIKE,
    &MEMORY_SPIKE,
    &INIT_SPIKE,
    &MEMORY_AT_LIMIT,
    &ERROR_BURST,
    &TIMEOUT_BURST,
];

/// Thresholds and caps; [`Default`] gives the documented values.
#[derive(Debug, Clone)]
pub struct AnomalyConfig {
    /// Values kept per function and metric (the median/MAD window).
    pub sample_capacity: usize,
    /// Values needed before a metric can alert.
    pub min_samples: usize,
    /// How many robust standard deviations (1.4826 × MAD) above the median.
    pub mad_multiplier: f64,
    /// A spike is at least this much above the median and the EWMA (0.5:
    /// 50% more).
    pub min_increase_ratio: f64,
    /// Absolute floors above the median, per metric.
    pub duration_floor_ms: f64,
    pub memory_floor_mb: f64,
    pub init_floor_ms: f64,
    /// Weight of a new value in the EWMA.
    pub ewma_alpha: f64,
    /// Max memory used over memory size that counts as at the limit.
    pub memory_limit_ratio: f64,
    /// Invocations in the error/timeout window.
    pub rate_window: usize,
    /// Invocations before the window needed for a baseline rate.
    pub rate_min_baseline: u64,
    /// Errors (or timeouts) in the window needed to alert.
    pub rate_min_count: usize,
    /// Per-invocation decay of the baseline counts (0.995: the baseline
    /// remembers about the last 200 invocations before the window).
    pub rate_decay: f64,
    pub cooldown_ms: i64,
    pub cooldown_reports: u64,
    /// Functions remembered; the least recently seen one is forgotten to
    /// make room.
    pub max_functions: usize,
}

impl Default for AnomalyConfig {
    fn default() -> Self {
        AnomalyConfig {
            sample_capacity: 256,
            min_samples: 30,
            mad_multiplier: 6.0,
            min_increase_ratio: 0.5,
            duration_floor_ms: 100.0,
            memory_floor_mb: 32.0,
            init_floor_ms: 250.0,
            ewma_alpha: 0.05,
            memory_limit_ratio: 0.95,
            rate_window: 50,
            rate_min_baseline: 50,
            rate_min_count: 5,
            rate_decay: 0.995,
            cooldown_ms: 15 * 60 * 1000,
            cooldown_reports: 100,
            max_functions: 4096,
        }
    }
}

/// Scale of the MAD that estimates a normal distribution's standard
/// deviation.
const MAD_TO_SIGMA: f64 = 1.4826;
/// Failures (timeout or error lines) waiting for their REPORT, per function.
const PENDING_FAILURES: usize = 16;
/// Version of the saved state's layout.
const STATE_VERSION: u64 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum Outcome {
    #[serde(rename = "s")]
    Success,
    #[serde(rename = "e")]
    Error,
    #[serde(rename = "t")]
    Timeout,
}

/// The recent values of one metric and their EWMA.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Baseline {
    /// Oldest first; `f32` halves the memory and keeps 0.01 ms precision
    /// for durations up to Lambda's 15 minutes.
    #[serde(serialize_with = "samples_to_hundredths")]
    samples: VecDeque<f32>,
    ewma: Option<f64>,
}

/// Saves samples with the two decimals REPORT lines have: widened to
/// `f64` as they are, JSON would spell out the `f32` rounding error
/// (`201.3699951171875`) and double the state's size.
fn samples_to_hundredths<S: serde::Serializer>(
    samples: &VecDeque<f32>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(samples.iter().map(|&s| round2(f64::from(s))))
}

struct Spike {
    median: f64,
    mad: f64,
    ewma: f64,
    threshold: f64,
}

impl Baseline {
    /// The spike `value` is, if it is one; `None` too while the baseline
    /// has too few values.
    fn spike(&self, value: f64, floor: f64, config: &AnomalyConfig) -> Option<Spike> {
        if self.samples.len() < config.min_samples.max(1) {
            return None;
        }
        // The threshold is at least this: most values stop here, without
        // sorting the ring.
        if self
            .ewma
            .is_some_and(|ewma| value <= ewma * (1.0 + config.min_increase_ratio))
        {
            return None;
        }
        let mut sorted: Vec<f64> = self.samples.iter().map(|&s| f64::from(s)).collect();
        let median = median_in_place(&mut sorted);
        for sample in sorted.iter_mut() {
            *sample = (*sample - median).abs();
        }
        let mad = median_in_place(&mut sorted);
        let ewma = self.ewma.unwrap_or(median);
        let threshold = (median + config.mad_multiplier * MAD_TO_SIGMA * mad)
            .max(median.max(ewma) * (1.0 + config.min_increase_ratio))
            .max(median + floor);
        (value > threshold).then_some(Spike {
            median,
            mad,
            ewma,
            threshold,
        })
    }

    fn add(&mut self, value: f64, config: &AnomalyConfig) {
        while self.samples.len() >= config.sample_capacity.max(1) {
            self.samples.pop_front();
        }
        self.samples.push_back(value as f32);
        self.ewma = Some(match self.ewma {
            Some(ewma) => ewma + config.ewma_alpha * (value - ewma),
            None => value,
        });
    }
}

/// The median of a non-empty slice, reordering it.
fn median_in_place(values: &mut [f64]) -> f64 {
    let middle = values.len() / 2;
    let odd = values.len() % 2 == 1;
    let (lower, upper, _) = values.select_nth_unstable_by(middle, f64::total_cmp);
    if odd {
        *upper
    } else {
        let below = lower.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (below + *upper) / 2.0
    }
}

/// When a check of a function last alerted.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct LastAlert {
    time_ms: Option<i64>,
    report: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct FunctionState {
    /// REPORT events seen.
    reports: u64,
    /// Detector-wide event counter when last seen, for forgetting the
    /// least recently seen function.
    last_seen: u64,
    duration: Baseline,
    memory: Baseline,
    init: Baseline,
    outcomes: VecDeque<Outcome>,
    /// Decayed counts of the invocations that left the window.
    baseline_invocations: f64,
    /// Invocations that left the window, not decayed.
    #[serde(default)]
    left_window: u64,
    baseline_errors: f64,
    baseline_timeouts: f64,
    /// Request ids whose timeout or error line came before their REPORT.
    pending: VecDeque<(String, Outcome)>,
    /// By detection id.
    last_alerts: BTreeMap<String, LastAlert>,
}

/// What `restore` reads: the layout `save` writes (with `json!`, borrowing
/// the maps instead of cloning them); its `version` is checked first.
#[derive(Debug, Deserialize)]
struct SavedState {
    events: u64,
    functions: HashMap<String, FunctionState>,
}

/// The anomaly detector: [`Detector`] named `function-anomalies`.
#[derive(Debug)]
pub struct FunctionAnomalies {
    config: AnomalyConfig,
    /// Events seen, the clock of `last_seen`.
    events: u64,
    functions: HashMap<String, FunctionState>,
}

impl FunctionAnomalies {
    pub fn new(config: AnomalyConfig) -> FunctionAnomalies {
        FunctionAnomalies {
            config,
            events: 0,
            functions: HashMap::new(),
        }
    }

    /// Functions currently remembered.
    pub fn function_count(&self) -> usize {
        self.functions.len()
    }
}

impl Default for FunctionAnomalies {
    fn default() -> Self {
        FunctionAnomalies::new(AnomalyConfig::default())
    }
}

/// What one REPORT event carries.
struct Report<'a> {
    request_id: Option<&'a str>,
    duration: Option<f64>,
    memory_used: Option<f64>,
    memory_size: Option<f64>,
    init: Option<f64>,
    status: Option<&'a str>,
}

impl Detector for FunctionAnomalies {
    fn name(&self) -> &'static str {
        "function-anomalies"
    }

    fn observe(&mut self, event: &Event, alerts: &mut Vec<Alert>) {
        let value = &event.value;
        if value.get("log").and_then(Value::as_str) != Some("lambda") {
            return;
        }
        let kind = value.get("type").and_then(Value::as_str);
        let mut request_id = value.get("requestId").and_then(Value::as_str);
        let failure = match kind {
            Some("report") => None,
            Some("timeout") => Some(Outcome::Timeout),
            // JSON-format logs' platform.runtimeDone with status error.
            Some("error") => Some(Outcome::Error),
            Some("log") => {
                let message = value.get("message").and_then(Value::as_str).unwrap_or("");
                let Some(id) = failed_invocation_line(message) else {
                    return;
                };
                request_id = request_id.or(id);
                Some(Outcome::Error)
            }
            _ => return,
        };
        self.events += 1;
        let function = value
            .get("function")
            .and_then(Value::as_str)
            .unwrap_or("-")
            .to_string();
        let config = &self.config;
        let state = super::recent_entry(
            &mut self.functions,
            config.max_functions,
            self.events,
            &function,
        );
        if let Some(failure) = failure {
            // The REPORT of the same request follows; remember how it
            // ended (an unnamed failure applies to the next REPORT).
            if state.pending.len() >= PENDING_FAILURES {
                state.pending.pop_front();
            }
            state
                .pending
                .push_back((request_id.unwrap_or_default().to_string(), failure));
            return;
        }
        let number = |key: &str| value.get(key).and_then(Value::as_f64);
        let report = Report {
            request_id,
            duration: number("durationMs"),
            memory_used: number("maxMemoryUsedMB"),
            memory_size: number("memorySizeMB"),
            init: number("initDurationMs"),
            status: value.get("status").and_then(Value::as_str),
        };
        let now = event_time_ms(value);
        state.reports += 1;
        let mut raised = Vec::new();
        check_spikes(state, &report, config, &mut raised);
        check_memory_limit(&report, config, &mut raised);
        check_outcome(state, &report, config, &mut raised);
        for (info, mut facts) in raised {
            let last = state.last_alerts.get(info.id);
            let is_rate = info.id == ERROR_BURST.id || info.id == TIMEOUT_BURST.id;
            let cooling = last.is_some_and(|last| {
                let reports_since = state.reports.saturating_sub(last.report);
                // A burst stays in the window after its alert: it may
                // alert again only once the window has moved past it.
                let same_burst = is_rate && reports_since < config.rate_window as u64;
                same_burst
                    || match (now, last.time_ms) {
                        (Some(now), Some(then)) => now.saturating_sub(then) < config.cooldown_ms,
                        _ => reports_since < config.cooldown_reports,
                    }
            });
            if cooling {
                continue;
            }
            state.last_alerts.insert(
                info.id.to_string(),
                LastAlert {
                    time_ms: now,
                    report: state.reports,
                },
            );
            facts.insert("function".into(), Value::from(function.as_str()));
            if let Some(id) = report.request_id {
                facts.insert("requestId".into(), Value::from(id));
            }
            alerts.push(detector_alert(info, event, facts));
        }
    }

    fn save(&self) -> Value {
        serde_json::json!({
            "version": STATE_VERSION,
            "events": self.events,
            "functions": &self.functions,
        })
    }

    fn raw_needles(&self) -> Option<&'static [&'static str]> {
        // Lambda's JSON system records and events already marked as
        // Lambda's (`"log"`); not "lambda", which every Lambda API call in
        // CloudTrail holds and this detector ignores.
        Some(&["\"log\"", "platform."])
    }

    fn fields_read(&self) -> Option<&'static [&'static str]> {
        Some(&[
            "log",
            "type",
            "function",
            "requestId",
            "status",
            "errorType",
            "message",
            "durationMs",
            "billedDurationMs",
            "memorySizeMB",
            "maxMemoryUsedMB",
            "initDurationMs",
        ])
    }

    fn restore(&mut self, state: &Value) -> Result<(), String> {
        let saved: SavedState = super::read_state(self.name(), state, STATE_VERSION)?;
        self.events = saved.events;
        self.functions = saved.functions;
        // A state saved with larger caps is cut down to this config's.
        while self.functions.len() > self.config.max_functions.max(1) {
            super::forget_least_recent(&mut self.functions);
        }
        let capacity = self.config.sample_capacity.max(1);
        for state in self.functions.values_mut() {
            for baseline in [&mut state.duration, &mut state.memory, &mut state.init] {
                while baseline.samples.len() > capacity {
                    baseline.samples.pop_front();
                }
            }
            while state.outcomes.len() > self.config.rate_window.max(1) {
                state.outcomes.pop_front();
            }
            while state.pending.len() > PENDING_FAILURES {
                state.pending.pop_front();
            }
        }
        Ok(())
    }
}

type Raised = Vec<(&'static DetectionInfo, Map<String, Value>)>;

fn check_spikes(
    state: &mut FunctionState,
    report: &Report<'_>,
    config: &AnomalyConfig,
    raised: &mut Raised,
) {
    let metrics = [
        (
            &DURATION_SPIKE,
            "durationMs",
            report.duration,
            config.duration_floor_ms,
            &mut state.duration,
        ),
        (
            &MEMORY_SPIKE,
            "maxMemoryUsedMB",
            report.memory_used,
            config.memory_floor_mb,
            &mut state.memory,
        ),
        // Only cold starts carry an init duration.
        (
            &INIT_SPIKE,
            "initDurationMs",
            report.init,
            config.init_floor_ms,
            &mut state.init,
        ),
    ];
    for (info, metric, value, floor, baseline) in metrics {
        let Some(value) = value.filter(|v| v.is_finite() && *v >= 0.0) else {
            continue;
        };
        // Far above any real Lambda value (15 minutes, 10 GB), and within
        // `f32` and JSON numbers so that a forged line cannot break the
        // saved state.
        let value = value.min(1e9);
        match baseline.spike(value, floor, config) {
            Some(spike) => {
                let mut facts = Map::new();
                facts.insert("metric".into(), Value::from(metric));
                facts.insert("value".into(), Value::from(value));
                facts.insert("median".into(), Value::from(round2(spike.median)));
                facts.insert("mad".into(), Value::from(round2(spike.mad)));
                facts.insert("ewma".into(), Value::from(round2(spike.ewma)));
                facts.insert("threshold".into(), Value::from(round2(spike.threshold)));
                facts.insert("samples".into(), Value::from(baseline.samples.len()));
                raised.push((info, facts));
                baseline.add(spike.threshold, config);
            }
            None => baseline.add(value, config),
        }
    }
}

fn check_memory_limit(report: &Report<'_>, config: &AnomalyConfig, raised: &mut Raised) {
    let (Some(used), Some(size)) = (report.memory_used, report.memory_size) else {
        return;
    };
    if size > 0.0 && used >= config.memory_limit_ratio * size {
        let mut facts = Map::new();
        facts.insert("metric".into(), Value::from("maxMemoryUsedMB"));
        facts.insert("value".into(), Value::from(used));
        facts.insert("memorySizeMB".into(), Value::from(size));
        facts.insert("ratio".into(), Value::from(round2(used / size)));
        raised.push((&MEMORY_AT_LIMIT, facts));
    }
}

fn check_outcome(
    state: &mut FunctionState,
    report: &Report<'_>,
    config: &AnomalyConfig,
    raised: &mut Raised,
) {
    // A timeout also logs "Runtime exited" on some runtimes: the timeout
    // is what happened.
    let mut pending = None;
    state.pending.retain(|(id, failure)| {
        let same = id.is_empty() || Some(id.as_str()) == report.request_id;
        if same && pending != Some(Outcome::Timeout) {
            pending = Some(*failure);
        }
        !same
    });
    let outcome = match report.status {
        Some(status) if status.eq_ignore_ascii_case("success") => Outcome::Success,
        Some(status) if status.eq_ignore_ascii_case("timeout") => Outcome::Timeout,
        Some(_) => Outcome::Error,
        None => pending.unwrap_or(Outcome::Success),
    };
    state.outcomes.push_back(outcome);
    while state.outcomes.len() > config.rate_window.max(1) {
        let left = state.outcomes.pop_front().expect("not empty");
        state.left_window += 1;
        state.baseline_invocations = state.baseline_invocations * config.rate_decay + 1.0;
        state.baseline_errors =
            state.baseline_errors * config.rate_decay + f64::from(u8::from(left == Outcome::Error));
        state.baseline_timeouts = state.baseline_timeouts * config.rate_decay
            + f64::from(u8::from(left == Outcome::Timeout));
    }
    if state.left_window < config.rate_min_baseline {
        return;
    }
    for (info, kind, baseline_count) in [
        (&ERROR_BURST, Outcome::Error, state.baseline_errors),
        (&TIMEOUT_BURST, Outcome::Timeout, state.baseline_timeouts),
    ] {
        let window = state.outcomes.len() as f64;
        let count = state.outcomes.iter().filter(|&&o| o == kind).count();
        let baseline_rate = baseline_count / state.baseline_invocations;
        // A floor so that one error after a spotless history is not "infinitely" more.
        let expected_rate = baseline_rate.max(0.02);
        let expected = window * expected_rate;
        let deviation = (window * expected_rate * (1.0 - expected_rate)).sqrt();
        let rate = count as f64 / window;
        if count >= config.rate_min_count
            && count as f64 > expected + 4.0 * deviation
            && rate >= 2.0 * expected_rate
        {
            let mut facts = Map::new();
            let metric = match kind {
                Outcome::Timeout => "timeouts",
                _ => "errors",
            };
            facts.insert("metric".into(), Value::from(metric));
            facts.insert("value".into(), Value::from(count));
            facts.insert("invocations".into(), Value::from(state.outcomes.len()));
            facts.insert("rate".into(), Value::from(round2(rate)));
            facts.insert("baselineRate".into(), Value::from(round2(baseline_rate)));
            raised.push((info, facts));
        }
    }
}

/// Whether a line of a text Lambda log says that its invocation failed,
/// and the request id when the line names it: the platform's
/// `RequestId: ID Error: Runtime exited ...` and the Node.js runtime's
/// `TIME<TAB>ID<TAB>ERROR<TAB>Invoke Error ...`. (Python's `[ERROR]` lines
/// are not used: its `logging.error` writes the same prefix for errors the
/// code handled.)
fn failed_invocation_line(message: &str) -> Option<Option<&str>> {
    if let Some((_, rest)) = message.split_once("RequestId: ") {
        let mut words = rest.split_whitespace();
        let id = words.next()?;
        return (words.next() == Some("Error:")).then_some(Some(id));
    }
    let fields: Vec<&str> = message.split('\t').map(str::trim).collect();
    let error_at = fields
        .windows(2)
        .position(|pair| pair[0] == "ERROR" && pair[1].starts_with("Invoke Error"))?;
    Some(error_at.checked_sub(1).map(|at| fields[at]))
}

fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// An alert of a detection of this module or of `destinations`.
pub(super) fn detector_alert(
    info: &DetectionInfo,
    event: &Event,
    facts: Map<String, Value>,
) -> Alert {
    info.alert(event, info.severity, facts)
}

impl super::Recent for FunctionState {
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
                file: "test.log".into(),
                line: Some(1),
                index: 0,
            },
        }
    }

    fn report(function: &str, duration: f64, memory: f64) -> Event {
        event(json!({
            "log": "lambda", "type": "report", "function": function,
            "requestId": "r", "durationMs": duration, "billedDurationMs": duration.ceil(),
            "memorySizeMB": 512, "maxMemoryUsedMB": memory,
        }))
    }

    /// Deterministic jitter in [-1, 1].
    struct Jitter(u64);

    impl Jitter {
        fn next(&mut self) -> f64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((self.0 >> 33) as f64 / (1u64 << 31) as f64) * 2.0 - 1.0
        }
    }

    fn feed(
        detector: &mut FunctionAnomalies,
        events: impl IntoIterator<Item = Event>,
    ) -> Vec<Alert> {
        let mut alerts = Vec::new();
        for event in events {
            detector.observe(&event, &mut alerts);
        }
        alerts
    }

    fn stable(count: usize, seed: u64) -> Vec<Event> {
        let mut jitter = Jitter(seed);
        (0..count)
            .map(|_| {
                report(
                    "orders",
                    200.0 + 20.0 * jitter.next(),
                    90.0 + 4.0 * jitter.next(),
                )
            })
            .collect()
    }

    fn ids(alerts: &[Alert]) -> Vec<&str> {
        alerts.iter().map(|a| a.rule_id.as_str()).collect()
    }

    #[test]
    fn a_duration_spike_after_a_stable_baseline_fires() {
        let mut detector = FunctionAnomalies::default();
        assert!(feed(&mut detector, stable(100, 1)).is_empty());
        let alerts = feed(&mut detector, [report("orders", 9000.0, 92.0)]);
        assert_eq!(ids(&alerts), ["FG-DET-120"]);
        let alert = &alerts[0];
        assert_eq!(alert.facts["function"], "orders");
        assert_eq!(alert.facts["metric"], "durationMs");
        assert_eq!(alert.facts["value"], 9000.0);
        assert_eq!(alert.facts["samples"], 100);
        let median = alert.facts["median"].as_f64().unwrap();
        assert!((190.0..210.0).contains(&median), "{median}");
        assert!(alert.facts["mad"].as_f64().unwrap() > 0.0);
        assert_eq!(alert.guide.as_deref(), Some("3.4.3"));
        assert_eq!(alert.title_zh.as_deref(), Some("函数执行时长突增"));
        assert_eq!(alert.origin.as_ref().unwrap().file, "test.log");
        // Another function's baseline is its own: the same value there is
        // too early to judge.
        assert!(feed(&mut detector, [report("billing", 9000.0, 92.0)]).is_empty());
    }

    #[test]
    fn jitter_on_a_fast_function_does_not_fire() {
        let mut detector = FunctionAnomalies::default();
        let mut jitter = Jitter(7);
        // 3 ms ± 1.5 ms with an occasional tripling: far above the median
        // in relative terms, but under the 100 ms floor.
        let events = (0..2000).map(|i| {
            let duration = if i % 97 == 0 {
                9.0
            } else {
                3.0 + 1.5 * jitter.next()
            };
            report("fast", duration, 40.0 + jitter.next())
        });
        assert!(feed(&mut detector, events).is_empty());
    }

    #[test]
    fn too_few_samples_do_not_fire() {
        let mut detector = FunctionAnomalies::default();
        let mut alerts = feed(&mut detector, stable(29, 2));
        alerts.extend(feed(&mut detector, [report("orders", 9000.0, 400.0)]));
        assert!(alerts.is_empty(), "{:?}", ids(&alerts));
        // The 31st report may: 30 values are a baseline.
        assert_eq!(
            ids(&feed(&mut detector, [report("orders", 9000.0, 400.0)])),
            ["FG-DET-120", "FG-DET-121"]
        );
    }

    #[test]
    fn a_slow_steady_drift_does_not_fire() {
        let mut detector = FunctionAnomalies::default();
        let mut jitter = Jitter(3);
        // Duration triples and memory doubles over 3,000 invocations.
        let events = (0..3000).map(|i| {
            let step = f64::from(i);
            report(
                "growing",
                200.0 + step * 0.2 + 15.0 * jitter.next(),
                100.0 + step / 30.0 + 3.0 * jitter.next(),
            )
        });
        assert!(feed(&mut detector, events).is_empty());
    }

    #[test]
    fn memory_spike_and_memory_at_the_limit() {
        let mut detector = FunctionAnomalies::default();
        feed(&mut detector, stable(60, 4));
        let alerts = feed(&mut detector, [report("orders", 205.0, 300.0)]);
        assert_eq!(ids(&alerts), ["FG-DET-121"]);
        assert_eq!(alerts[0].facts["metric"], "maxMemoryUsedMB");
        // 490 of 512 MB is 95.7%: at the limit, and a spike too.
        let alerts = feed(&mut detector, [report("other", 100.0, 490.0)]);
        assert_eq!(ids(&alerts), ["FG-DET-123"]);
        assert_eq!(alerts[0].facts["memorySizeMB"], 512.0);
        assert_eq!(alerts[0].facts["ratio"], 0.96);
        // 480 of 512 is 93.75%: not yet.
        assert!(feed(&mut detector, [report("third", 100.0, 480.0)]).is_empty());
    }

    #[test]
    fn init_duration_is_judged_on_cold_starts_only() {
        let mut detector = FunctionAnomalies::default();
        let mut jitter = Jitter(5);
        let mut alerts = Vec::new();
        for i in 0..400 {
            let mut value = report("orders", 200.0 + 10.0 * jitter.next(), 90.0).value;
            if i % 10 == 0 {
                value["initDurationMs"] = json!(400.0 + 30.0 * jitter.next());
            }
            detector.observe(&event(value), &mut alerts);
        }
        assert!(alerts.is_empty());
        let mut cold = report("orders", 200.0, 90.0).value;
        cold["initDurationMs"] = json!(2500.0);
        let alerts = feed(&mut detector, [event(cold)]);
        assert_eq!(ids(&alerts), ["FG-DET-122"]);
        assert_eq!(alerts[0].facts["samples"], 40);
    }

    #[test]
    fn cooldown_per_function_and_check_by_reports_and_by_time() {
        let config = AnomalyConfig {
            cooldown_reports: 10,
            ..AnomalyConfig::default()
        };
        let mut detector = FunctionAnomalies::new(config);
        feed(&mut detector, stable(100, 6));
        let spikes = || (0..5).map(|_| report("orders", 9000.0, 90.0));
        assert_eq!(feed(&mut detector, spikes()).len(), 1);
        // Ten reports after the alert the check may fire again.
        feed(&mut detector, stable(5, 8));
        assert_eq!(feed(&mut detector, spikes()).len(), 1);

        // With event times, the cooldown is 15 minutes of log time.
        let mut detector = FunctionAnomalies::default();
        let timed = |minute: u32, duration: f64| {
            let mut value = report("timed", duration, 90.0).value;
            value["time"] = json!(format!("2026-12-05T10:{minute:02}:00Z"));
            event(value)
        };
        let mut jitter = Jitter(9);
        for _ in 0..100 {
            feed(&mut detector, [timed(0, 200.0 + 10.0 * jitter.next())]);
        }
        assert_eq!(feed(&mut detector, [timed(1, 9000.0)]).len(), 1);
        assert!(feed(&mut detector, [timed(15, 9000.0)]).is_empty());
        let again = feed(&mut detector, [timed(16, 9000.0)]);
        assert_eq!(ids(&again), ["FG-DET-120"]);
        assert_eq!(again[0].time.as_deref(), Some("2026-12-05T10:16:00Z"));
    }

    #[test]
    fn spikes_do_not_poison_the_baseline() {
        let config = AnomalyConfig {
            cooldown_reports: 1,
            ..AnomalyConfig::default()
        };
        let mut detector = FunctionAnomalies::new(config);
        feed(&mut detector, stable(100, 10));
        // Forty spikes in a row among 140 samples: each enters the ring
        // clipped to the threshold, so the median stays put and every one
        // is still a spike.
        let alerts = feed(
            &mut detector,
            (0..40).map(|_| report("orders", 9000.0, 90.0)),
        );
        assert_eq!(alerts.len(), 40);
        let median = alerts[39].facts["median"].as_f64().unwrap();
        assert!(median < 260.0, "{median}");
    }

    fn with_status(function: &str, status: &str) -> Event {
        let mut value = report(function, 200.0, 90.0).value;
        value["status"] = json!(status);
        event(value)
    }

    #[test]
    fn an_error_burst_fires_and_a_steady_error_rate_does_not() {
        let mut detector = FunctionAnomalies::default();
        // 5% errors for 1,000 invocations: the function's normal.
        let normal =
            (0..1000).map(|i| with_status("api", if i % 20 == 0 { "error" } else { "success" }));
        assert!(feed(&mut detector, normal).is_empty());
        // Then 12 of 20 fail.
        let burst =
            (0..20).map(|i| with_status("api", if i % 5 < 3 { "error" } else { "success" }));
        let alerts = feed(&mut detector, burst);
        assert_eq!(ids(&alerts), ["FG-DET-124"]);
        let facts = &alerts[0].facts;
        assert_eq!(facts["metric"], "errors");
        assert_eq!(facts["invocations"], 50);
        assert_eq!(facts["baselineRate"], 0.05);
        // Four standard deviations above 2.5 expected errors in 50.
        assert!(facts["value"].as_u64().unwrap() >= 9);
        // A later burst alerts again (the same burst staying in the window
        // past the cooldown does not: see the JSON log test).
        let calm =
            (0..150).map(|i| with_status("api", if i % 20 == 0 { "error" } else { "success" }));
        assert!(feed(&mut detector, calm).is_empty());
        let burst =
            (0..20).map(|i| with_status("api", if i % 5 < 3 { "error" } else { "success" }));
        assert_eq!(ids(&feed(&mut detector, burst)), ["FG-DET-124"]);
    }

    #[test]
    fn too_few_errors_or_too_little_history_do_not_fire() {
        let mut detector = FunctionAnomalies::default();
        // Four errors after a clean history: under the minimum count.
        feed(
            &mut detector,
            (0..200).map(|_| with_status("api", "success")),
        );
        assert!(feed(&mut detector, (0..4).map(|_| with_status("api", "error"))).is_empty());
        // A new function failing from its first invocation has no baseline.
        assert!(feed(&mut detector, (0..60).map(|_| with_status("new", "error"))).is_empty());
    }

    #[test]
    fn timeouts_from_timeout_lines_and_from_status() {
        let mut detector = FunctionAnomalies::default();
        feed(&mut detector, (0..200).map(|_| report("slow", 200.0, 90.0)));
        let mut alerts = Vec::new();
        for i in 0..6 {
            let id = format!("req-{i}");
            let timeout = json!({"log": "lambda", "type": "timeout", "function": "slow", "requestId": id,
                "message": "Task timed out after 3.00 seconds"});
            detector.observe(&event(timeout), &mut alerts);
            let mut value = report("slow", 3000.0, 90.0).value;
            value["requestId"] = json!(id);
            detector.observe(&event(value), &mut alerts);
        }
        // The 3 s durations are spikes too; the sixth timeout is the burst.
        assert!(ids(&alerts).contains(&"FG-DET-125"), "{:?}", ids(&alerts));
        let burst = alerts.iter().find(|a| a.rule_id == "FG-DET-125").unwrap();
        assert_eq!(burst.facts["value"], 5);
        assert_eq!(burst.facts["requestId"], "req-4");

        let mut detector = FunctionAnomalies::default();
        feed(
            &mut detector,
            (0..200).map(|_| with_status("json", "success")),
        );
        let alerts = feed(
            &mut detector,
            (0..5).map(|_| with_status("json", "timeout")),
        );
        assert_eq!(ids(&alerts), ["FG-DET-125"]);
    }

    #[test]
    fn errors_from_the_lines_of_text_logs() {
        assert_eq!(
            failed_invocation_line(
                "2026-12-05T10:00:00.000Z\tc0ffee-1\tERROR\tInvoke Error \t{\"errorType\":\"TypeError\"}"
            ),
            Some(Some("c0ffee-1"))
        );
        assert_eq!(
            failed_invocation_line(
                "RequestId: c0ffee-2 Error: Runtime exited with error: signal: killed"
            ),
            Some(Some("c0ffee-2"))
        );
        for fine in [
            "[ERROR] 2026-12-05T10:00:00Z c0ffee-3 payment declined, retrying",
            "RequestId: c0ffee-4 is slow",
            "2026-12-05T10:00:00.000Z\tc0ffee-5\tINFO\tInvoke Error handling is on",
        ] {
            assert_eq!(failed_invocation_line(fine), None, "{fine}");
        }

        let mut detector = FunctionAnomalies::default();
        let line = |message: String| {
            event(json!({"log": "lambda", "type": "log", "function": "api", "message": message}))
        };
        // Ordinary output lines do not make functions.
        feed(&mut detector, [line("hello".into())]);
        assert_eq!(detector.function_count(), 0);
        feed(&mut detector, (0..200).map(|_| report("api", 200.0, 90.0)));
        let mut alerts = Vec::new();
        for i in 0..6 {
            let id = format!("req-{i}");
            let message = if i % 2 == 0 {
                format!("2026-12-05T10:00:00.000Z\t{id}\tERROR\tInvoke Error \t{{}}")
            } else {
                format!("RequestId: {id} Error: Runtime exited with error: exit status 1")
            };
            detector.observe(&line(message), &mut alerts);
            let mut value = report("api", 200.0, 90.0).value;
            value["requestId"] = json!(id);
            detector.observe(&event(value), &mut alerts);
        }
        assert_eq!(ids(&alerts), ["FG-DET-124"]);
        assert_eq!(alerts[0].facts["value"], 5);
    }

    /// Text as CloudWatch Logs exports it, read by `input` like any log.
    #[test]
    fn text_lambda_logs_through_the_reader() {
        let mut text = String::new();
        let mut jitter = Jitter(13);
        for i in 0..120 {
            let id = format!("8f5e2b1c-0000-4000-8000-{i:012}");
            let duration = if i == 110 {
                8123.45
            } else {
                180.0 + 15.0 * jitter.next()
            };
            text.push_str(&format!(
                "2026-12-05T10:{:02}:00.000Z START RequestId: {id} Version: $LATEST\n",
                i / 2
            ));
            if (100..107).contains(&i) {
                text.push_str(&format!(
                    "2026-12-05T10:{:02}:03.000Z {id} Task timed out after 3.00 seconds\n",
                    i / 2
                ));
            }
            text.push_str(&format!(
                "2026-12-05T10:{:02}:01.000Z REPORT RequestId: {id}\tDuration: {duration:.2} ms\tBilled Duration: {:.0} ms\tMemory Size: 512 MB\tMax Memory Used: 91 MB\n",
                i / 2,
                duration.ceil()
            ));
        }
        let file = std::env::temp_dir().join(format!(
            "fnguard-anomaly-{}-{}.log",
            std::process::id(),
            line!()
        ));
        std::fs::write(&file, text).unwrap();
        let mut detector = FunctionAnomalies::default();
        let mut alerts = Vec::new();
        let mut errors = Vec::new();
        crate::input::read_paths(
            std::slice::from_ref(&file),
            crate::input::Limits::default(),
            &mut |event| detector.observe(&event, &mut alerts),
            &mut |error| errors.push(error.to_string()),
        );
        let _ = std::fs::remove_file(&file);
        assert!(errors.is_empty(), "{errors:?}");
        // Five timeouts out of the window make the burst (the durations of
        // timed-out requests are not in these lines: 3 s would be spikes).
        assert_eq!(ids(&alerts), ["FG-DET-125", "FG-DET-120"]);
        assert_eq!(alerts[0].facts["function"], "-");
        assert_eq!(alerts[0].facts["value"], 5);
        assert_eq!(alerts[1].facts["value"], 8123.45);
        assert_eq!(
            alerts[1].facts["requestId"],
            "8f5e2b1c-0000-4000-8000-000000000110"
        );
        assert!(alerts[1].origin.as_ref().unwrap().line.unwrap() > 200);
    }

    /// JSON-format system logs as Lambda writes them, in a folder laid
    /// out like exports (`aws/lambda/NAME/`), read by `input`.
    #[test]
    fn json_lambda_logs_through_the_reader() {
        let dir = std::env::temp_dir().join(format!(
            "fnguard-anomaly-json-{}/aws/lambda/orders",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let mut text = String::new();
        for i in 0..220 {
            let id = format!("r{i}");
            let status = if (200..206).contains(&i) {
                "error"
            } else {
                "success"
            };
            let time = format!("2026-12-05T{:02}:{:02}:00.000Z", 10 + i / 60, i % 60);
            text.push_str(&format!(
                "{}\n{}\n{}\n",
                json!({"time": time, "type": "platform.start", "record": {"requestId": id, "version": "$LATEST"}}),
                json!({"time": time, "type": "platform.runtimeDone", "record": {"requestId": id, "status": status}}),
                json!({"time": time, "type": "platform.report", "record": {"requestId": id, "status": status,
                    "metrics": {"durationMs": 120.5, "billedDurationMs": 121, "memorySizeMB": 256, "maxMemoryUsedMB": 80}}}),
            ));
        }
        std::fs::write(dir.join("2026-12-05.log"), text).unwrap();
        let mut detector = FunctionAnomalies::default();
        let mut alerts = Vec::new();
        let mut errors = Vec::new();
        crate::input::read_paths(
            std::slice::from_ref(&dir),
            crate::input::Limits::default(),
            &mut |event| detector.observe(&event, &mut alerts),
            &mut |error| errors.push(error.to_string()),
        );
        let _ = std::fs::remove_dir_all(dir.parent().unwrap().parent().unwrap().parent().unwrap());
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(ids(&alerts), ["FG-DET-124"]);
        assert_eq!(alerts[0].facts["function"], "orders");
        assert_eq!(alerts[0].facts["requestId"], "r204");
        assert_eq!(alerts[0].time.as_deref(), Some("2026-12-05T13:24:00.000Z"));
    }

    #[test]
    fn save_and_restore_continue_the_baselines() {
        let mut first = FunctionAnomalies::default();
        feed(&mut first, stable(100, 11));
        feed(&mut first, (0..200).map(|_| with_status("api", "success")));
        let saved = first.save();
        // Through text, as the state store keeps it.
        let saved: Value = serde_json::from_str(&saved.to_string()).unwrap();
        let mut second = FunctionAnomalies::default();
        second.restore(&saved).unwrap();
        assert_eq!(second.function_count(), 2);
        assert_eq!(
            ids(&feed(&mut second, [report("orders", 9000.0, 91.0)])),
            ["FG-DET-120"]
        );
        assert_eq!(
            ids(&feed(
                &mut second,
                (0..5).map(|_| with_status("api", "error"))
            )),
            ["FG-DET-124"]
        );
        // What the detector cannot read is an error, and leaves it as it was.
        assert!(second
            .restore(&json!({"version": 1, "functions": 3}))
            .is_err());
        assert!(second
            .restore(&json!({"version": 99, "events": 0, "functions": {}}))
            .is_err());
        assert_eq!(second.function_count(), 2);
    }

    #[test]
    fn forged_huge_values_alert_and_keep_the_state_savable() {
        let mut detector = FunctionAnomalies::default();
        feed(&mut detector, stable(40, 12));
        let alerts = feed(&mut detector, [report("orders", 1e300, 1e300)]);
        assert_eq!(ids(&alerts), ["FG-DET-120", "FG-DET-121", "FG-DET-123"]);
        let saved: Value = serde_json::from_str(&detector.save().to_string()).unwrap();
        let mut restored = FunctionAnomalies::default();
        restored.restore(&saved).unwrap();
        assert_eq!(restored.function_count(), 1);
    }

    #[test]
    fn functions_and_samples_are_capped() {
        let config = AnomalyConfig {
            max_functions: 10,
            sample_capacity: 64,
            ..AnomalyConfig::default()
        };
        let mut detector = FunctionAnomalies::new(config.clone());
        for i in 0..50 {
            feed(
                &mut detector,
                (0..100).map(|_| report(&format!("f{i}"), 200.0, 90.0)),
            );
        }
        assert_eq!(detector.function_count(), 10);
        // The most recent ones are kept.
        assert!(detector.functions.contains_key("f49"));
        assert!(!detector.functions.contains_key("f0"));
        assert!(detector
            .functions
            .values()
            .all(|f| f.duration.samples.len() == 64));
        // A state saved with bigger caps is cut down on restore.
        let big = FunctionAnomalies::default();
        let mut big = big;
        for i in 0..20 {
            feed(
                &mut big,
                (0..100).map(|_| report(&format!("g{i}"), 200.0, 90.0)),
            );
        }
        let mut small = FunctionAnomalies::new(config);
        small.restore(&big.save()).unwrap();
        assert_eq!(small.function_count(), 10);
        assert!(small
            .functions
            .values()
            .all(|f| f.duration.samples.len() == 64));
    }

    #[test]
    fn other_events_are_ignored() {
        let mut detector = FunctionAnomalies::default();
        let events = [
            event(json!({"eventName": "Invoke", "durationMs": 5})),
            event(json!({"log": "lambda", "type": "start", "requestId": "x"})),
            event(json!({"log": "lambda", "type": "log", "message": "REPORT nothing"})),
            event(json!({"log": "lambda", "type": "report", "durationMs": "fast"})),
        ];
        assert!(feed(&mut detector, events).is_empty());
        assert_eq!(detector.function_count(), 1);
    }
}
