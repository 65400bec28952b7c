//! The security log: one JSON object per line (schema `fnguard.guard/1`),
//! read by `fnguard detect` (rules/detect/guard_*.yml) and by CloudWatch
//! from the extension's stdout.
//!
//! ```json
//! {"schema":"fnguard.guard/1","time":"2026-12-06T01:00:00.123Z","control":"input",
//!  "decision":"deny","mode":"enforce","request_id":"r1","function":"orders",
//!  "details":{"reason":"schema"}}
//! ```
//!
//! A line is built whole in memory and written with one `write_all` under a
//! lock, so lines from several threads never interleave, and `serde_json`
//! escapes every control character, so a detail holding a newline cannot
//! start a forged line. Callers must never put an event body, a header value
//! or a secret in `details`.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use serde_json::{json, Map, Value};

use crate::config::Mode;

/// The `schema` field of every line.
pub const SCHEMA: &str = "fnguard.guard/1";

/// Which control made a decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    IntegrityFiles,
    IntegrityProcess,
    Input,
    Egress,
    /// The guard itself: start, configuration, its own failures.
    Guard,
    /// The per-invocation summary.
    Invocation,
}

impl Control {
    pub fn as_str(self) -> &'static str {
        match self {
            Control::IntegrityFiles => "integrity.files",
            Control::IntegrityProcess => "integrity.process",
            Control::Input => "input",
            Control::Egress => "egress",
            Control::Guard => "guard",
            Control::Invocation => "invocation",
        }
    }
}

/// What a control decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Deny,
    /// Enforce would have denied; the mode is report, so it went through.
    Report,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::Deny => "deny",
            Decision::Report => "report",
        }
    }
}

/// What the guard did for one invocation, logged as its summary line.
/// Owned, so that the guard can keep it and write it after the event went
/// out.
#[derive(Clone, Debug)]
pub struct InvocationSummary {
    pub request_id: String,
    /// The strictest decision of the checks (deny > report > allow).
    pub decision: Decision,
    /// The strictest mode among the checks that ran.
    pub mode: Mode,
    /// The controls that ran, e.g. `["integrity.files", "input"]`.
    pub checks: Vec<&'static str>,
    /// Time the checks took once the event had arrived (the latency they
    /// add), in microseconds.
    pub guard_us: u64,
    /// Time the checks took in the previous invocation's post-invoke phase,
    /// for this event, in microseconds (0 when they all ran on the event).
    pub prepared_us: u64,
}

type Sink = Box<dyn Write + Send>;

/// Writes security log lines. Cheap to clone; every clone writes to the same
/// sink.
#[derive(Clone)]
pub struct Logger {
    sink: Arc<Mutex<Sink>>,
    function: Option<Arc<str>>,
}

impl std::fmt::Debug for Logger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Logger")
            .field("function", &self.function)
            .finish_non_exhaustive()
    }
}

impl Logger {
    /// Logs to stdout (CloudWatch), naming the function from
    /// `AWS_LAMBDA_FUNCTION_NAME`.
    pub fn stdout() -> Logger {
        Logger::new(
            std::io::stdout(),
            std::env::var("AWS_LAMBDA_FUNCTION_NAME").ok(),
        )
    }

    /// Logs to any writer; `function` fills the `function` field (`null`
    /// when `None`).
    pub fn new(sink: impl Write + Send + 'static, function: Option<String>) -> Logger {
        Logger {
            sink: Arc::new(Mutex::new(Box::new(sink))),
            function: function.map(Arc::from),
        }
    }

    /// Writes one decision. An error means the line was lost (stdout
    /// closed); the caller decides whether that is fatal.
    pub fn event(
        &self,
        control: Control,
        decision: Decision,
        mode: Mode,
        request_id: Option<&str>,
        details: Value,
    ) -> std::io::Result<()> {
        self.write_line(&self.line(
            SystemTime::now(),
            control,
            decision,
            mode,
            request_id,
            details,
        ))
    }

    /// Writes the summary of one invocation (`control: "invocation"`).
    pub fn invocation(&self, summary: &InvocationSummary) -> std::io::Result<()> {
        self.invocation_at(SystemTime::now(), summary)
    }

    /// The summary of an invocation decided at `time`, written later (the
    /// guard writes it once the runtime has the event): the line's time
    /// stays the decision's.
    pub fn invocation_at(
        &self,
        time: SystemTime,
        summary: &InvocationSummary,
    ) -> std::io::Result<()> {
        self.write_line(&self.line(
            time,
            Control::Invocation,
            summary.decision,
            summary.mode,
            Some(&summary.request_id),
            json!({
                "checks": summary.checks,
                "guard_us": summary.guard_us,
                "prepared_us": summary.prepared_us,
            }),
        ))
    }

    fn line(
        &self,
        now: SystemTime,
        control: Control,
        decision: Decision,
        mode: Mode,
        request_id: Option<&str>,
        details: Value,
    ) -> Vec<u8> {
        let details = match details {
            Value::Object(map) => Value::Object(map),
            Value::Null => Value::Object(Map::new()),
            // The contract says `details` is an object: anything else is
            // wrapped rather than dropped.
            other => json!({ "value": other }),
        };
        let record = json!({
            "schema": SCHEMA,
            "time": rfc3339_millis(now),
            "control": control.as_str(),
            "decision": decision.as_str(),
            "mode": mode.as_str(),
            "request_id": request_id,
            "function": self.function.as_deref(),
            "details": details,
        });
        // Serialising a `Value` cannot fail (its keys are strings).
        let mut line = serde_json::to_vec(&record).unwrap_or_default();
        line.push(b'\n');
        line
    }

    fn write_line(&self, line: &[u8]) -> std::io::Result<()> {
        // A panic elsewhere while holding the lock leaves the sink usable:
        // lines are written whole, so there is no half state to protect.
        let mut sink = self.sink.lock().unwrap_or_else(|e| e.into_inner());
        sink.write_all(line)?;
        sink.flush()
    }
}

/// `2026-12-06T01:02:03.456Z`.
pub fn rfc3339_millis(time: SystemTime) -> String {
    fnguard_core::date::rfc3339(time, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    /// A writer the test can read back.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Shared {
        fn lines(&self) -> Vec<Value> {
            let bytes = self.0.lock().unwrap().clone();
            let text = String::from_utf8(bytes).unwrap();
            assert!(text.ends_with('\n'), "every line ends with a newline");
            text.lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect()
        }
    }

    fn assert_contract(line: &Value) {
        let obj = line.as_object().unwrap();
        let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "schema",
                "time",
                "control",
                "decision",
                "mode",
                "request_id",
                "function",
                "details"
            ]
        );
        assert_eq!(obj["schema"], "fnguard.guard/1");
        let time = obj["time"].as_str().unwrap();
        assert_eq!(time.len(), 24, "{time}");
        assert!(time.ends_with('Z') && time.as_bytes()[19] == b'.', "{time}");
        assert!([
            "integrity.files",
            "integrity.process",
            "input",
            "egress",
            "guard",
            "invocation"
        ]
        .contains(&obj["control"].as_str().unwrap()));
        assert!(["allow", "deny", "report"].contains(&obj["decision"].as_str().unwrap()));
        assert!(["enforce", "report", "off"].contains(&obj["mode"].as_str().unwrap()));
        assert!(obj["details"].is_object());
    }

    #[test]
    fn time_is_rfc3339_utc_with_milliseconds() {
        assert_eq!(rfc3339_millis(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        // 2024-02-29T23:59:59.987Z: a leap day, end of day.
        let t = UNIX_EPOCH + Duration::from_millis(1_709_251_199_987);
        assert_eq!(rfc3339_millis(t), "2024-02-29T23:59:59.987Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_796_518_800);
        assert_eq!(rfc3339_millis(t), "2026-12-06T01:00:00.000Z");
        let t = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(rfc3339_millis(t), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn a_decision_is_one_line_that_follows_the_contract() {
        let out = Shared::default();
        let log = Logger::new(out.clone(), Some("orders".into()));
        log.event(
            Control::Egress,
            Decision::Deny,
            Mode::Enforce,
            Some("r2"),
            json!({"host": "169.254.169.254", "port": 80}),
        )
        .unwrap();
        log.event(
            Control::Guard,
            Decision::Allow,
            Mode::Report,
            None,
            Value::Null,
        )
        .unwrap();
        let lines = out.lines();
        assert_eq!(lines.len(), 2);
        for line in &lines {
            assert_contract(line);
        }
        assert_eq!(lines[0]["control"], "egress");
        assert_eq!(lines[0]["decision"], "deny");
        assert_eq!(lines[0]["mode"], "enforce");
        assert_eq!(lines[0]["request_id"], "r2");
        assert_eq!(lines[0]["function"], "orders");
        assert_eq!(lines[0]["details"]["host"], "169.254.169.254");
        assert_eq!(lines[1]["request_id"], Value::Null);
        assert_eq!(lines[1]["details"], json!({}));
    }

    #[test]
    fn a_detail_with_a_newline_cannot_forge_a_line() {
        let out = Shared::default();
        let log = Logger::new(out.clone(), None);
        let forged =
            "x\n{\"schema\":\"fnguard.guard/1\",\"control\":\"input\",\"decision\":\"allow\"}\r\n";
        log.event(
            Control::Input,
            Decision::Deny,
            Mode::Enforce,
            Some("r\n1"),
            json!({ "reason": forged, "unicode": "\u{2028}\u{0}" }),
        )
        .unwrap();
        let lines = out.lines();
        assert_eq!(lines.len(), 1);
        assert_contract(&lines[0]);
        assert_eq!(lines[0]["details"]["reason"], forged);
        assert_eq!(lines[0]["request_id"], "r\n1");
    }

    #[test]
    fn a_non_object_detail_is_wrapped() {
        let out = Shared::default();
        let log = Logger::new(out.clone(), None);
        log.event(
            Control::Guard,
            Decision::Allow,
            Mode::Off,
            None,
            json!("started"),
        )
        .unwrap();
        assert_eq!(out.lines()[0]["details"], json!({"value": "started"}));
    }

    #[test]
    fn the_invocation_summary_names_checks_and_time_spent() {
        let out = Shared::default();
        let log = Logger::new(out.clone(), Some("orders".into()));
        log.invocation(&InvocationSummary {
            request_id: "r9".into(),
            decision: Decision::Report,
            mode: Mode::Report,
            checks: vec!["integrity.files", "input"],
            guard_us: 42,
            prepared_us: 310,
        })
        .unwrap();
        let line = &out.lines()[0];
        assert_contract(line);
        assert_eq!(line["control"], "invocation");
        assert_eq!(line["decision"], "report");
        assert_eq!(line["request_id"], "r9");
        assert_eq!(
            line["details"],
            json!({"checks": ["integrity.files", "input"], "guard_us": 42, "prepared_us": 310})
        );
    }

    #[test]
    fn clones_on_many_threads_never_interleave_lines() {
        let out = Shared::default();
        let log = Logger::new(out.clone(), None);
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let log = log.clone();
                std::thread::spawn(move || {
                    for i in 0..200 {
                        let padding = "p".repeat(1000 + i);
                        log.event(
                            Control::Egress,
                            Decision::Allow,
                            Mode::Enforce,
                            None,
                            json!({"thread": t, "i": i, "padding": padding}),
                        )
                        .unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let lines = out.lines();
        assert_eq!(lines.len(), 800);
        lines.iter().for_each(assert_contract);
    }

    #[test]
    fn a_failing_sink_is_an_error_not_a_panic() {
        struct Closed;
        impl Write for Closed {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::ErrorKind::BrokenPipe.into())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let log = Logger::new(Closed, None);
        let err = log
            .event(
                Control::Guard,
                Decision::Allow,
                Mode::Enforce,
                None,
                json!({}),
            )
            .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::BrokenPipe);
    }
}
