//! An emulator of the AWS Lambda execution environment for the tests: the
//! Runtime API (2018-06-01) and the Extensions API (2020-01-01) served on
//! loopback, the extensions and the runtime started as real processes, and
//! the lifecycle Lambda runs around them (Init, Invoke, Shutdown, reset).
//!
//! What it follows (AWS docs `runtimes-api.md`, `runtimes-extensions-api.md`,
//! research/runtime.md §1):
//! - Init: every extension is started with `AWS_LAMBDA_RUNTIME_API`; once all
//!   have registered (`Lambda-Extension-Name` = their file name), the runtime
//!   is started (through `AWS_LAMBDA_EXEC_WRAPPER` when set: `WRAPPER
//!   RUNTIME...`); Init ends when the runtime and every extension wait in
//!   `next`. An `init/error` from anyone, a process exiting or the Init
//!   timeout fails it. (Lambda starts the runtime once the extensions have
//!   registered, before they call `next`: a guard that records the runtime
//!   at Init must not wait for it before its first `next`.)
//! - Invoke: an INVOKE event (requestId, deadlineMs, invokedFunctionArn,
//!   tracing; no body) to the extensions registered for it, the event to the
//!   runtime's `next` with the `Lambda-Runtime-*` headers; the client's answer
//!   is the runtime's response or error; the invocation ends when every
//!   extension calls `next` again. The function timeout bounds it all.
//! - Reset: an extension posting `exit/error`, an extension or the runtime
//!   exiting, or the timeout tears the environment down (SHUTDOWN with
//!   reason `failure` or `timeout` to the extensions, then SIGKILL); the next
//!   invoke runs a new Init.
//!
//! Every process runs in its own process group, killed on teardown and on
//! drop, so that nothing outlives a test; their stdout and stderr are kept,
//! line by line, for [`Emulator::logs`].
//!
//! The API is blocking (the emulator owns its Tokio runtime): call it from
//! plain `#[test]` functions, not from inside an async runtime.
//!
//! ```ignore
//! let mut config = EmulatorConfig::new(task_root, "app.handler",
//!     fixtures::python_runtime(&python, "app.handler"));
//! config.exec_wrapper = Some(layer.join("fnguard-wrapper"));
//! config.extensions.push(layer.join("extensions/fnguard-guard"));
//! let mut emulator = Emulator::start(config)?;          // Init
//! let invocation = emulator.invoke(br#"{"order": 1}"#);  // one Invoke
//! match invocation.outcome { Outcome::Response(body) => .., .. }
//! assert!(emulator.logs().iter().any(|l| l.process == "fnguard-guard"
//!     && l.text.contains(r#""control":"integrity.process""#)));
//! emulator.shutdown(ShutdownReason::Spindown);
//! ```

use std::collections::VecDeque;
use std::convert::Infallible;
use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::watch;

/// The region and account in the ARN and the variables the processes see.
pub const REGION: &str = "us-east-1";
pub const ACCOUNT_ID: &str = "123456789012";
/// Lambda's limit for a synchronous invocation's response (6 MB).
pub const MAX_RESPONSE_BYTES: usize = 6 * 1024 * 1024;
/// How long the SHUTDOWN phase lasts before SIGKILL (Lambda: 2 s with
/// external extensions).
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// The function and its environment, as Lambda would be configured.
#[derive(Clone, Debug)]
pub struct EmulatorConfig {
    /// `LAMBDA_TASK_ROOT`, the runtime's working directory.
    pub task_root: PathBuf,
    /// `_HANDLER`.
    pub handler: String,
    /// The runtime's bootstrap command, e.g. `["python3", "-m",
    /// "awslambdaric", "app.handler"]`.
    pub runtime: Vec<String>,
    /// `AWS_LAMBDA_EXEC_WRAPPER`: the runtime is started as `WRAPPER
    /// RUNTIME...`, and the variable is set for every process, as Lambda
    /// does for a function variable.
    pub exec_wrapper: Option<PathBuf>,
    /// Started like the files of `/opt/extensions`; the file name is the
    /// name each must register with.
    pub extensions: Vec<PathBuf>,
    /// The function's variables (runtime and extensions); they override
    /// the emulator's defaults, `PATH` included.
    pub env: Vec<(String, String)>,
    pub function_name: String,
    /// The function timeout: bounds each invocation.
    pub timeout: Duration,
    /// Bounds each Init (Lambda: 10 s).
    pub init_timeout: Duration,
}

impl EmulatorConfig {
    /// A function with Lambda's defaults: no extensions, 3 s timeout, 10 s
    /// Init timeout.
    pub fn new(task_root: impl Into<PathBuf>, handler: &str, runtime: Vec<String>) -> Self {
        EmulatorConfig {
            task_root: task_root.into(),
            handler: handler.to_string(),
            runtime,
            exec_wrapper: None,
            extensions: Vec::new(),
            env: Vec::new(),
            function_name: "fnguard-emulated".to_string(),
            timeout: Duration::from_secs(3),
            init_timeout: Duration::from_secs(10),
        }
    }

    pub fn function_arn(&self) -> String {
        format!(
            "arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{}",
            self.function_name
        )
    }
}

/// What the caller of the function gets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The runtime posted `/response` with this body.
    Response(Vec<u8>),
    /// The runtime posted `/error`: the `Lambda-Runtime-Function-Error-Type`
    /// header (or the body's `errorType`) and the body.
    FunctionError { error_type: String, body: Vec<u8> },
    /// The environment was torn down before the runtime answered: an
    /// extension posted `exit/error` or exited, the runtime exited, the
    /// function timed out, or the Init this invoke needed failed. The reason
    /// starts with Lambda's error type: `Extension.Crash`,
    /// `Extension.ExitError`, `Runtime.ExitError`, `Sandbox.Timedout`,
    /// `Init.Failed`.
    Reset { reason: String },
}

/// One invocation as the emulator saw it.
#[derive(Clone, Debug)]
pub struct Invocation {
    pub request_id: String,
    pub outcome: Outcome,
    /// From the invoke to the runtime's answer (what the caller waits for),
    /// or to the reset; an Init run for this invoke is not included.
    pub latency: Duration,
    /// From the invoke until the extensions were all back in `next` (or the
    /// reset was done): the invocation's whole duration as Lambda bills it.
    pub duration: Duration,
    /// The environment was torn down during this invoke, with this reason,
    /// even if the runtime had answered first (an extension failing after
    /// the response); the next invoke runs a new Init.
    pub reset: Option<String>,
    /// This invoke first ran an Init (after a reset or a shutdown), which
    /// took this long.
    pub init: Option<Duration>,
}

impl Invocation {
    /// The response body; panics with the outcome when there is none
    /// (tests only).
    pub fn response(&self) -> &[u8] {
        match &self.outcome {
            Outcome::Response(body) => body,
            other => panic!("expected a response, got {other:?}"),
        }
    }

    /// The response parsed as JSON (tests only: panics otherwise).
    pub fn json(&self) -> Value {
        serde_json::from_slice(self.response()).unwrap_or_else(|e| {
            panic!(
                "response is not JSON ({e}): {}",
                String::from_utf8_lossy(self.response())
            )
        })
    }
}

/// Why the environment shuts down: the `shutdownReason` extensions get.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShutdownReason {
    Spindown,
    Timeout,
    Failure,
}

impl ShutdownReason {
    fn as_str(self) -> &'static str {
        // Lower case as in the Extensions API's OpenAPI schema.
        match self {
            ShutdownReason::Spindown => "spindown",
            ShutdownReason::Timeout => "timeout",
            ShutdownReason::Failure => "failure",
        }
    }
}

/// How the processes ended during a shutdown.
#[derive(Clone, Debug, Default)]
pub struct ShutdownReport {
    /// Extensions that exited by themselves within the grace period.
    pub exited: Vec<String>,
    /// Processes ("runtime" or an extension's name) that had to be killed.
    pub killed: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// One line a process wrote.
#[derive(Clone, Debug)]
pub struct LogLine {
    /// "runtime" or the extension's file name.
    pub process: String,
    pub stream: Stream,
    pub text: String,
}

impl fmt::Display for LogLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stream = match self.stream {
            Stream::Stdout => "out",
            Stream::Stderr => "err",
        };
        write!(f, "[{} {stream}] {}", self.process, self.text)
    }
}

/// Init failed: why, and what the processes wrote (for the test's message).
#[derive(Debug)]
pub struct InitError {
    pub reason: String,
    pub logs: Vec<LogLine>,
}

impl fmt::Display for InitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Lambda Init failed: {}", self.reason)?;
        for line in &self.logs {
            writeln!(f, "  {line}")?;
        }
        Ok(())
    }
}

impl std::error::Error for InitError {}

pub struct Emulator {
    config: EmulatorConfig,
    shared: Arc<Shared>,
    rt: tokio::runtime::Runtime,
    addr: SocketAddr,
    /// The process groups of the current environment.
    processes: Vec<Spawned>,
    init_duration: Duration,
    /// Why each environment was torn down, oldest first.
    resets: Vec<String>,
}

struct Spawned {
    pid: u32,
    role: Role,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Role {
    Runtime,
    Extension(String),
}

impl Role {
    fn label(&self) -> &str {
        match self {
            Role::Runtime => "runtime",
            Role::Extension(name) => name,
        }
    }
}

impl Emulator {
    /// Starts the API on 127.0.0.1:0 and runs Init.
    pub fn start(config: EmulatorConfig) -> Result<Emulator, InitError> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(|e| InitError {
                reason: format!("cannot start the Tokio runtime: {e}"),
                logs: Vec::new(),
            })?;
        let (changed, _) = watch::channel(0u64);
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            changed,
            logs: Mutex::new(Vec::new()),
            echo: std::env::var_os("FNGUARD_EMULATOR_ECHO").is_some(),
            function_name: config.function_name.clone(),
            handler: config.handler.clone(),
        });
        let listener = rt
            .block_on(TcpListener::bind(("127.0.0.1", 0)))
            .and_then(|l| Ok((l.local_addr()?, l)))
            .map_err(|e| InitError {
                reason: format!("cannot listen on 127.0.0.1: {e}"),
                logs: Vec::new(),
            })?;
        let (addr, listener) = listener;
        rt.spawn(serve(listener, shared.clone()));
        let mut emulator = Emulator {
            config,
            shared,
            rt,
            addr,
            processes: Vec::new(),
            init_duration: Duration::ZERO,
            resets: Vec::new(),
        };
        let started = Instant::now();
        if let Err(reason) = emulator.init() {
            emulator.teardown(ShutdownReason::Failure);
            return Err(InitError {
                reason,
                logs: emulator.logs(),
            });
        }
        emulator.init_duration = started.elapsed();
        Ok(emulator)
    }

    /// `host:port` of the API (the `AWS_LAMBDA_RUNTIME_API` value).
    pub fn api_addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn config(&self) -> &EmulatorConfig {
        &self.config
    }

    /// How long the first Init took (the cold start).
    pub fn init_duration(&self) -> Duration {
        self.init_duration
    }

    /// The runtime's process id (the wrapper's, which `exec`s the runtime),
    /// while the environment is up.
    pub fn runtime_pid(&self) -> Option<u32> {
        self.processes
            .iter()
            .find(|p| p.role == Role::Runtime)
            .map(|p| p.pid)
    }

    /// Invokes the function once with this event.
    pub fn invoke(&mut self, payload: &[u8]) -> Invocation {
        let mut init = None;
        let (needs_init, failed_between) = {
            let state = self.shared.lock();
            let failed = (state.phase == Phase::Ready)
                .then(|| state.failure.clone())
                .flatten();
            (state.phase != Phase::Ready || failed.is_some(), failed)
        };
        if let Some(reason) = failed_between {
            self.resets.push(reason);
        }
        if needs_init {
            // A reset or a shutdown left the environment down, or a process
            // died between invocations: Lambda runs Init again for this
            // invoke.
            let started = Instant::now();
            self.teardown(ShutdownReason::Failure);
            if let Err(reason) = self.init() {
                self.teardown(ShutdownReason::Failure);
                let elapsed = started.elapsed();
                let reason = format!("Init.Failed: {reason}");
                self.resets.push(reason.clone());
                return Invocation {
                    request_id: String::new(),
                    outcome: Outcome::Reset {
                        reason: reason.clone(),
                    },
                    latency: Duration::ZERO,
                    duration: Duration::ZERO,
                    reset: Some(reason),
                    init: Some(elapsed),
                };
            }
            init = Some(started.elapsed());
        }
        let mut invocation = self.invoke_ready(payload);
        invocation.init = init;
        invocation
    }

    /// Invokes the function `n` times with the same small event and returns
    /// each latency (the caller-visible one); panics on anything but a
    /// response, since a benchmark of failures measures nothing.
    pub fn invoke_many(&mut self, n: usize, payload: &[u8]) -> Vec<Duration> {
        (0..n)
            .map(|i| {
                let invocation = self.invoke(payload);
                match &invocation.outcome {
                    Outcome::Response(_) if invocation.reset.is_none() => invocation.latency,
                    _ => panic!(
                        "invocation {i} of the benchmark failed: {invocation:?}\n{}",
                        self.log_text()
                    ),
                }
            })
            .collect()
    }

    /// The Shutdown phase: SHUTDOWN to the extensions registered for it,
    /// the runtime stopped, [`SHUTDOWN_GRACE`], then SIGKILL. The next
    /// invoke runs a new Init.
    pub fn shutdown(&mut self, reason: ShutdownReason) -> ShutdownReport {
        self.teardown(reason)
    }

    /// Why each environment was torn down (not counting shutdowns), oldest
    /// first: a failure between invocations is counted when the next invoke
    /// finds it.
    pub fn resets(&self) -> &[String] {
        &self.resets
    }

    /// Waits until the environment fails outside an invocation (an
    /// extension posting `exit/error` or a process exiting after the last
    /// invoke returned), and gives the reason; `None` after `timeout`.
    pub fn wait_for_failure(&self, timeout: Duration) -> Option<String> {
        self.wait_until(Instant::now() + timeout, |s| s.failure.clone())
    }

    /// Every line the processes wrote so far, in arrival order.
    pub fn logs(&self) -> Vec<LogLine> {
        self.shared.logs().clone()
    }

    /// The logs as text, one `[process stream] line` per line, for assertion
    /// messages.
    pub fn log_text(&self) -> String {
        self.shared
            .logs()
            .iter()
            .map(|l| format!("{l}\n"))
            .collect()
    }

    /// Waits until a line matching `matches` arrives (a line written just
    /// before a response may still be in a pipe when `invoke` returns).
    pub fn wait_for_log(&self, timeout: Duration, matches: impl Fn(&LogLine) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            // A snapshot: `matches` may read the logs itself.
            if self.logs().iter().any(&matches) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Runs one Init: extensions, their registration, the runtime, and
    /// everyone in `next`.
    fn init(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + self.config.init_timeout;
        let names: Vec<String> = self
            .config
            .extensions
            .iter()
            .map(|path| {
                path.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            })
            .collect();
        let generation = self.shared.update(|s| {
            s.generation += 1;
            s.phase = Phase::ExtensionInit;
            s.expected = names.clone();
            s.extensions.clear();
            s.runtime_in_next = false;
            s.invocation = None;
            s.failure = None;
            s.generation
        });
        for (path, name) in self.config.extensions.clone().iter().zip(&names) {
            let cwd = path
                .parent()
                .and_then(Path::parent)
                .unwrap_or(Path::new("/"))
                .to_path_buf();
            let command = vec![path.to_string_lossy().into_owned()];
            let env = self.env_for(Role::Extension(name.clone()));
            self.spawn(
                Role::Extension(name.clone()),
                &command,
                &cwd,
                env,
                generation,
            )
            .map_err(|e| format!("Extension.LaunchError: {}: {e}", path.display()))?;
        }
        self.wait_until(deadline, |s| {
            if let Some(failure) = &s.failure {
                return Some(Err(failure.clone()));
            }
            let all = s
                .expected
                .iter()
                .all(|name| s.extensions.iter().any(|e| &e.name == name));
            all.then_some(Ok(()))
        })
        .unwrap_or_else(|| {
            let missing: Vec<String> = self.shared.lock().unregistered();
            Err(format!(
                "Extension.InitTimeout: not registered after {:?}: {}",
                self.config.init_timeout,
                missing.join(", ")
            ))
        })?;
        self.shared.update(|s| s.phase = Phase::RuntimeInit);
        let mut command = self.config.runtime.clone();
        if let Some(wrapper) = &self.config.exec_wrapper {
            command.insert(0, wrapper.to_string_lossy().into_owned());
        }
        if command.is_empty() {
            return Err("Runtime.InvalidEntrypoint: no runtime command".to_string());
        }
        let env = self.env_for(Role::Runtime);
        let task_root = self.config.task_root.clone();
        self.spawn(Role::Runtime, &command, &task_root, env, generation)
            .map_err(|e| format!("Runtime.InvalidEntrypoint: {}: {e}", command[0]))?;
        self.wait_until(deadline, |s| {
            if let Some(failure) = &s.failure {
                return Some(Err(failure.clone()));
            }
            (s.runtime_in_next && s.extensions.iter().all(|e| e.in_next)).then_some(Ok(()))
        })
        .unwrap_or_else(|| {
            Err(format!(
                "Sandbox.Timedout: Init did not finish in {:?} (runtime or an extension never called next)",
                self.config.init_timeout
            ))
        })?;
        self.shared.update(|s| s.phase = Phase::Ready);
        Ok(())
    }

    fn invoke_ready(&mut self, payload: &[u8]) -> Invocation {
        let started = Instant::now();
        let deadline = started + self.config.timeout;
        let deadline_ms = unix_ms() + self.config.timeout.as_millis() as u64;
        let arn = self.config.function_arn();
        let request_id = self.shared.update(|s| {
            let request_id = s.new_id();
            let trace_id = format!(
                "Root=1-{:08x}-{};Parent={};Sampled=0",
                unix_ms() / 1000,
                &request_id.replace('-', "")[..24],
                &request_id.replace('-', "")[..16]
            );
            let event = json!({
                "eventType": "INVOKE",
                "deadlineMs": deadline_ms,
                "requestId": request_id,
                "invokedFunctionArn": arn,
                "tracing": {"type": "X-Amzn-Trace-Id", "value": trace_id},
            });
            for extension in s.extensions.iter_mut().filter(|e| e.invoke && !e.gone) {
                extension.queue.push_back(event.clone());
            }
            s.invocation = Some(Pending {
                request_id: request_id.clone(),
                deadline_ms,
                arn: arn.clone(),
                trace_id,
                payload: Bytes::copy_from_slice(payload),
                delivered: false,
                outcome: None,
            });
            s.phase = Phase::Invoking;
            request_id
        });
        enum Answer {
            Outcome(Outcome),
            Failure(String),
        }
        let answer = self.wait_until(deadline, |s| {
            if let Some(outcome) = s.invocation.as_ref().and_then(|p| p.outcome.clone()) {
                return Some(Answer::Outcome(outcome));
            }
            s.failure.clone().map(Answer::Failure)
        });
        let latency = started.elapsed();
        let timed_out = || {
            format!(
                "Sandbox.Timedout: Task timed out after {:.2} seconds",
                self.config.timeout.as_secs_f64()
            )
        };
        let (outcome, reset) = match answer {
            Some(Answer::Outcome(outcome)) => {
                // Lambda's invoke ends when every extension is back in next.
                let after = self.wait_until(deadline, |s| {
                    if let Some(failure) = &s.failure {
                        return Some(Some(failure.clone()));
                    }
                    s.extensions
                        .iter()
                        .all(|e| e.gone || (e.in_next && e.queue.is_empty()))
                        .then_some(None)
                });
                let reset = match after {
                    Some(None) => None,
                    Some(Some(failure)) => Some(failure),
                    None => Some(timed_out()),
                };
                (outcome, reset)
            }
            Some(Answer::Failure(reason)) => (
                Outcome::Reset {
                    reason: reason.clone(),
                },
                Some(reason),
            ),
            None => {
                let reason = timed_out();
                (
                    Outcome::Reset {
                        reason: reason.clone(),
                    },
                    Some(reason),
                )
            }
        };
        if let Some(reason) = &reset {
            self.resets.push(reason.clone());
        }
        match &reset {
            Some(reason) if reason.starts_with("Sandbox.Timedout") => {
                self.teardown(ShutdownReason::Timeout);
            }
            Some(_) => {
                self.teardown(ShutdownReason::Failure);
            }
            None => self.shared.update(|s| {
                s.invocation = None;
                s.phase = Phase::Ready;
            }),
        }
        Invocation {
            request_id,
            outcome,
            latency,
            duration: started.elapsed(),
            reset,
            init: None,
        }
    }

    /// Ends the environment: SHUTDOWN to the extensions (all but those that
    /// posted `exit/error` or are gone), SIGKILL for the runtime on a reset
    /// (SIGTERM on a spindown), the grace period, then SIGKILL for every
    /// process group; waits until every process is reaped.
    fn teardown(&mut self, reason: ShutdownReason) -> ShutdownReport {
        if self.processes.is_empty() {
            self.shared.update(|s| s.phase = Phase::Down);
            return ShutdownReport::default();
        }
        let deadline_ms = unix_ms() + SHUTDOWN_GRACE.as_millis() as u64;
        self.shared.update(|s| {
            s.phase = Phase::ShuttingDown;
            let event = json!({
                "eventType": "SHUTDOWN",
                "shutdownReason": reason.as_str(),
                "deadlineMs": deadline_ms,
            });
            for extension in s.extensions.iter_mut().filter(|e| e.shutdown && !e.gone) {
                extension.queue.push_back(event.clone());
            }
        });
        let runtime_signal = match reason {
            ShutdownReason::Spindown => rustix::process::Signal::TERM,
            ShutdownReason::Timeout | ShutdownReason::Failure => rustix::process::Signal::KILL,
        };
        for process in self.processes.iter().filter(|p| p.role == Role::Runtime) {
            signal_group(process.pid, runtime_signal);
        }
        let pids: Vec<u32> = self.processes.iter().map(|p| p.pid).collect();
        // Extensions that registered for SHUTDOWN get the grace period;
        // others have nothing to wait for.
        let grace = Instant::now() + SHUTDOWN_GRACE;
        self.wait_until(grace, |s| {
            let waiting = s.extensions.iter().any(|e| e.shutdown && !e.gone);
            let runtime_running = s
                .running
                .iter()
                .any(|(pid, role)| pids.contains(pid) && *role == Role::Runtime);
            (!waiting && !runtime_running).then_some(())
        });
        let mut report = ShutdownReport::default();
        {
            let state = self.shared.lock();
            for process in &self.processes {
                let running = state.running.iter().any(|(pid, _)| *pid == process.pid);
                match (&process.role, running) {
                    (_, true) => report.killed.push(process.role.label().to_string()),
                    (Role::Extension(name), false) => report.exited.push(name.clone()),
                    (Role::Runtime, false) => {}
                }
            }
        }
        for process in &self.processes {
            // Also reaps what a process left behind in its group.
            signal_group(process.pid, rustix::process::Signal::KILL);
        }
        let reaped = Instant::now() + Duration::from_secs(5);
        self.wait_until(reaped, |s| {
            (!s.running.iter().any(|(pid, _)| pids.contains(pid))).then_some(())
        });
        // Their last lines, for the test to read (bounded: a process that
        // escaped its group may hold a pipe open).
        let drained = Instant::now() + Duration::from_secs(1);
        self.wait_until(drained, |s| (s.open_pipes == 0).then_some(()));
        self.processes.clear();
        self.shared.update(|s| {
            s.phase = Phase::Down;
            s.invocation = None;
            // Stale waiters of this environment see the new generation.
            s.generation += 1;
        });
        report
    }

    /// The variables of one process: Lambda's reserved ones, then the
    /// function's. Extensions do not get the runtime's own (`_HANDLER`,
    /// `LAMBDA_TASK_ROOT`, `AWS_EXECUTION_ENV`, the log group and stream).
    fn env_for(&self, role: Role) -> Vec<(String, String)> {
        let config = &self.config;
        let mut env: Vec<(String, String)> = vec![
            (
                "PATH".into(),
                std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into()),
            ),
            ("LANG".into(), "en_US.UTF-8".into()),
            ("TZ".into(), ":UTC".into()),
            ("AWS_REGION".into(), REGION.into()),
            ("AWS_DEFAULT_REGION".into(), REGION.into()),
            (
                "AWS_LAMBDA_FUNCTION_NAME".into(),
                config.function_name.clone(),
            ),
            ("AWS_LAMBDA_FUNCTION_VERSION".into(), "$LATEST".into()),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE".into(), "128".into()),
            ("AWS_LAMBDA_INITIALIZATION_TYPE".into(), "on-demand".into()),
            ("AWS_LAMBDA_RUNTIME_API".into(), self.addr.to_string()),
        ];
        if let Some(wrapper) = &config.exec_wrapper {
            env.push((
                "AWS_LAMBDA_EXEC_WRAPPER".into(),
                wrapper.to_string_lossy().into_owned(),
            ));
        }
        if role == Role::Runtime {
            env.extend([
                ("_HANDLER".into(), config.handler.clone()),
                (
                    "LAMBDA_TASK_ROOT".into(),
                    config.task_root.to_string_lossy().into_owned(),
                ),
                (
                    "AWS_LAMBDA_LOG_GROUP_NAME".into(),
                    format!("/aws/lambda/{}", config.function_name),
                ),
                (
                    "AWS_LAMBDA_LOG_STREAM_NAME".into(),
                    "2026/01/01/[$LATEST]emulated".into(),
                ),
            ]);
        }
        env.extend(config.env.iter().cloned());
        env
    }

    fn spawn(
        &mut self,
        role: Role,
        command: &[String],
        cwd: &Path,
        env: Vec<(String, String)>,
        generation: u64,
    ) -> std::io::Result<()> {
        let mut child = Command::new(&command[0])
            .args(&command[1..])
            .current_dir(cwd)
            .env_clear()
            .envs(env)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own process group: teardown kills what it started too.
            .process_group(0)
            .spawn()?;
        let pid = child.id();
        let label = role.label().to_string();
        self.shared.update(|s| s.open_pipes += 2);
        if let Some(out) = child.stdout.take() {
            capture(self.shared.clone(), label.clone(), Stream::Stdout, out);
        }
        if let Some(err) = child.stderr.take() {
            capture(self.shared.clone(), label.clone(), Stream::Stderr, err);
        }
        self.shared.update(|s| s.running.push((pid, role.clone())));
        self.processes.push(Spawned {
            pid,
            role: role.clone(),
        });
        let shared = self.shared.clone();
        std::thread::spawn(move || watch_exit(shared, child, pid, role, generation));
        Ok(())
    }

    /// Blocks until `check` gives a value or the deadline passes (`None`).
    fn wait_until<R>(
        &self,
        deadline: Instant,
        check: impl FnMut(&mut State) -> Option<R>,
    ) -> Option<R> {
        let shared = self.shared.clone();
        let timeout = deadline.saturating_duration_since(Instant::now());
        self.rt.block_on(async move {
            tokio::time::timeout(timeout, shared.wait_for(check))
                .await
                .ok()
        })
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        // No grace on drop: a failed test must not leave processes behind.
        for process in &self.processes {
            signal_group(process.pid, rustix::process::Signal::KILL);
        }
        // Reaped before the next emulator starts: a port or file a killed
        // process held is free again.
        let pids: Vec<u32> = self.processes.iter().map(|p| p.pid).collect();
        self.wait_until(Instant::now() + Duration::from_secs(2), |s| {
            (!s.running.iter().any(|(pid, _)| pids.contains(pid))).then_some(())
        });
    }
}

fn signal_group(pid: u32, signal: rustix::process::Signal) {
    let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return;
    };
    // ESRCH (the group is gone already) is the expected case after an exit.
    let _ = rustix::process::kill_process_group(pid, signal);
}

/// Reads one pipe of a process line by line into the shared log.
fn capture(shared: Arc<Shared>, process: String, stream: Stream, pipe: impl Read + Send + 'static) {
    std::thread::spawn(move || {
        let mut reader = BufReader::new(pipe);
        let mut line = Vec::new();
        loop {
            line.clear();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    let text = String::from_utf8_lossy(&line)
                        .trim_end_matches(['\n', '\r'])
                        .to_string();
                    let entry = LogLine {
                        process: process.clone(),
                        stream,
                        text,
                    };
                    if shared.echo {
                        eprintln!("{entry}");
                    }
                    shared.logs().push(entry);
                }
            }
        }
        shared.update(|s| s.open_pipes -= 1);
    });
}

/// Waits for one process and records its end: during Init or an
/// invocation, an exit is the environment's failure.
fn watch_exit(shared: Arc<Shared>, mut child: Child, pid: u32, role: Role, generation: u64) {
    let status = child.wait();
    shared.update(|s| {
        s.running.retain(|(p, _)| *p != pid);
        if s.generation != generation {
            return;
        }
        if let Role::Extension(name) = &role {
            for extension in s.extensions.iter_mut().filter(|e| &e.name == name) {
                extension.gone = true;
            }
        }
        if matches!(s.phase, Phase::ShuttingDown | Phase::Down) || s.failure.is_some() {
            return;
        }
        let how = match status {
            Ok(status) => describe(status),
            Err(e) => format!("could not be waited for: {e}"),
        };
        s.failure = Some(match &role {
            Role::Runtime => format!("Runtime.ExitError: the runtime {how}"),
            Role::Extension(name) => format!("Extension.Crash: extension {name} {how}"),
        });
    });
}

fn describe(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with status {code}"),
        (None, Some(signal)) => format!("was killed by signal {signal}"),
        (None, None) => "ended".to_string(),
    }
}

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

// ---------------------------------------------------------------------------
// Shared state between the lifecycle (test thread) and the API (Tokio).

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Phase {
    #[default]
    Down,
    ExtensionInit,
    RuntimeInit,
    Ready,
    Invoking,
    ShuttingDown,
}

#[derive(Default)]
struct State {
    /// Bumped by every Init and teardown: identifiers and waiters of an
    /// older environment are refused.
    generation: u64,
    phase: Phase,
    /// The extension names started in this environment.
    expected: Vec<String>,
    extensions: Vec<Extension>,
    /// The runtime called `invocation/next` in this environment.
    runtime_in_next: bool,
    invocation: Option<Pending>,
    /// The first fatal problem of this environment (the reset's reason).
    failure: Option<String>,
    /// Processes not yet reaped, from any environment.
    running: Vec<(u32, Role)>,
    /// Output pipes still being read (a process's last lines may arrive
    /// after it was reaped).
    open_pipes: usize,
    ids: u64,
}

impl State {
    /// A fresh identifier in UUID form (unique within the test process).
    fn new_id(&mut self) -> String {
        self.ids += 1;
        let seed =
            (unix_ms() as u128) << 64 | (std::process::id() as u128) << 32 | self.ids as u128;
        let hex = format!("{seed:032x}");
        format!(
            "{}-{}-4{}-8{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[13..16],
            &hex[17..20],
            &hex[20..32]
        )
    }

    fn unregistered(&self) -> Vec<String> {
        self.expected
            .iter()
            .filter(|name| !self.extensions.iter().any(|e| &e.name == *name))
            .cloned()
            .collect()
    }
}

struct Extension {
    id: String,
    name: String,
    invoke: bool,
    shutdown: bool,
    queue: VecDeque<Value>,
    /// Waiting in `event/next` with nothing left to handle.
    in_next: bool,
    /// Posted `exit/error`, `init/error`, or its process ended.
    gone: bool,
}

struct Pending {
    request_id: String,
    deadline_ms: u64,
    arn: String,
    trace_id: String,
    payload: Bytes,
    delivered: bool,
    outcome: Option<Outcome>,
}

struct Shared {
    state: Mutex<State>,
    /// Bumped after every change of `state`: waiters re-check.
    changed: watch::Sender<u64>,
    logs: Mutex<Vec<LogLine>>,
    echo: bool,
    function_name: String,
    handler: String,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panicking test thread must not hide the state from Drop.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn logs(&self) -> MutexGuard<'_, Vec<LogLine>> {
        self.logs.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn update<R>(&self, change: impl FnOnce(&mut State) -> R) -> R {
        let result = change(&mut self.lock());
        self.changed.send_modify(|v| *v = v.wrapping_add(1));
        result
    }

    /// Waits until `check` (which may change the state) gives a value.
    async fn wait_for<R>(&self, mut check: impl FnMut(&mut State) -> Option<R>) -> R {
        let mut changes = self.changed.subscribe();
        loop {
            changes.borrow_and_update();
            let found = check(&mut self.lock());
            if let Some(result) = found {
                self.changed.send_modify(|v| *v = v.wrapping_add(1));
                return result;
            }
            // The sender lives as long as `self`: this cannot fail.
            let _ = changes.changed().await;
        }
    }
}

// ---------------------------------------------------------------------------
// The HTTP API.

type Reply = Response<Full<Bytes>>;

async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let shared = shared.clone();
                async move { Ok::<_, Infallible>(route(&shared, request).await) }
            });
            // A client that goes away mid-request is not the emulator's
            // problem.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn route(shared: &Shared, request: Request<Incoming>) -> Reply {
    let path = request.uri().path().to_string();
    let method = request.method().clone();
    match (method, path.as_str()) {
        (Method::POST, "/2020-01-01/extension/register") => register(shared, request).await,
        (Method::GET, "/2020-01-01/extension/event/next") => extension_next(shared, &request).await,
        (Method::POST, "/2020-01-01/extension/init/error") => {
            extension_error(shared, request, "init").await
        }
        (Method::POST, "/2020-01-01/extension/exit/error") => {
            extension_error(shared, request, "exit").await
        }
        (Method::GET, "/2018-06-01/runtime/invocation/next") => runtime_next(shared).await,
        (Method::POST, "/2018-06-01/runtime/init/error") => {
            runtime_init_error(shared, request).await
        }
        (Method::POST, _) => match path
            .strip_prefix("/2018-06-01/runtime/invocation/")
            .and_then(|rest| rest.split_once('/'))
        {
            Some((id, "response")) => {
                let id = id.to_string();
                runtime_answer(shared, request, &id, false).await
            }
            Some((id, "error")) => {
                let id = id.to_string();
                runtime_answer(shared, request, &id, true).await
            }
            _ => not_found(&path),
        },
        _ => not_found(&path),
    }
}

fn not_found(path: &str) -> Reply {
    error_reply(
        StatusCode::NOT_FOUND,
        "InvalidRequest",
        &format!("no such endpoint: {path}"),
    )
}

fn error_reply(status: StatusCode, error_type: &str, message: &str) -> Reply {
    json_reply(
        status,
        &json!({"errorMessage": message, "errorType": error_type}),
    )
}

fn json_reply(status: StatusCode, body: &Value) -> Reply {
    let mut reply = Response::new(Full::new(Bytes::from(body.to_string())));
    *reply.status_mut() = status;
    reply
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    reply
}

fn accepted() -> Reply {
    json_reply(StatusCode::ACCEPTED, &json!({"status": "OK"}))
}

fn header(request: &Request<Incoming>, name: &str) -> Option<String> {
    request
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// The whole body (chunked or not; hyper answers `Expect: 100-continue`
/// when it is first read), at most `limit` bytes.
async fn read_body(request: Request<Incoming>, limit: usize) -> Result<Bytes, Reply> {
    match Limited::new(request.into_body(), limit).collect().await {
        Ok(body) => Ok(body.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => Err(error_reply(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestEntityTooLarge",
            &format!("body larger than {limit} bytes"),
        )),
        Err(e) => Err(error_reply(
            StatusCode::BAD_REQUEST,
            "InvalidRequest",
            &format!("cannot read the body: {e}"),
        )),
    }
}

async fn register(shared: &Shared, request: Request<Incoming>) -> Reply {
    let Some(name) = header(&request, "Lambda-Extension-Name") else {
        return error_reply(
            StatusCode::BAD_REQUEST,
            "InvalidRequest",
            "missing Lambda-Extension-Name header",
        );
    };
    let wants_account = header(&request, "Lambda-Extension-Accept-Feature")
        .is_some_and(|features| features.split(',').any(|f| f.trim() == "accountId"));
    let body = match read_body(request, 64 * 1024).await {
        Ok(body) => body,
        Err(reply) => return reply,
    };
    let events: Vec<String> = match serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| serde_json::from_value(v.get("events")?.clone()).ok())
    {
        Some(events) => events,
        None => {
            return error_reply(
                StatusCode::BAD_REQUEST,
                "InvalidRequest",
                r#"the body must be {"events": [...]}"#,
            )
        }
    };
    if let Some(unknown) = events.iter().find(|e| *e != "INVOKE" && *e != "SHUTDOWN") {
        return error_reply(
            StatusCode::BAD_REQUEST,
            "InvalidEventType",
            &format!("unknown event type {unknown:?}"),
        );
    }
    let registered = shared.update(|s| {
        if s.phase != Phase::ExtensionInit {
            return Err(error_reply(
                StatusCode::FORBIDDEN,
                "Extension.InvalidState",
                "registration is only possible during extension Init",
            ));
        }
        if !s.expected.contains(&name) {
            return Err(error_reply(
                StatusCode::FORBIDDEN,
                "Extension.UnknownExtension",
                &format!("{name:?} is not the file name of a started extension"),
            ));
        }
        if s.extensions.iter().any(|e| e.name == name) {
            return Err(error_reply(
                StatusCode::FORBIDDEN,
                "Extension.AlreadyRegistered",
                &format!("{name} is already registered"),
            ));
        }
        let id = s.new_id();
        s.extensions.push(Extension {
            id: id.clone(),
            name: name.clone(),
            invoke: events.iter().any(|e| e == "INVOKE"),
            shutdown: events.iter().any(|e| e == "SHUTDOWN"),
            queue: VecDeque::new(),
            in_next: false,
            gone: false,
        });
        Ok(id)
    });
    let id = match registered {
        Ok(id) => id,
        Err(reply) => return reply,
    };
    let mut body = json!({
        "functionName": shared.function_name,
        "functionVersion": "$LATEST",
        "handler": shared.handler,
    });
    if wants_account {
        body["accountId"] = json!(ACCOUNT_ID);
    }
    let mut reply = json_reply(StatusCode::OK, &body);
    if let Ok(value) = HeaderValue::from_str(&id) {
        reply
            .headers_mut()
            .insert("Lambda-Extension-Identifier", value);
    }
    reply
}

/// The extension calling, by its identifier, in the current environment.
fn find_extension<'a>(state: &'a mut State, id: Option<&str>) -> Result<&'a mut Extension, Reply> {
    let Some(id) = id else {
        return Err(error_reply(
            StatusCode::FORBIDDEN,
            "Extension.MissingExtensionIdentifier",
            "missing Lambda-Extension-Identifier header",
        ));
    };
    match state.extensions.iter_mut().find(|e| e.id == id) {
        Some(extension) if !extension.gone => Ok(extension),
        Some(extension) => Err(error_reply(
            StatusCode::FORBIDDEN,
            "Extension.InvalidState",
            &format!("{} reported an error: no further calls", extension.name),
        )),
        None => Err(error_reply(
            StatusCode::FORBIDDEN,
            "Extension.InvalidExtensionIdentifier",
            &format!("unknown extension identifier {id}"),
        )),
    }
}

async fn extension_next(shared: &Shared, request: &Request<Incoming>) -> Reply {
    let id = header(request, "Lambda-Extension-Identifier");
    let generation = match shared.update(|s| {
        let generation = s.generation;
        find_extension(s, id.as_deref()).map(|e| {
            e.in_next = true;
            generation
        })
    }) {
        Ok(generation) => generation,
        Err(reply) => return reply,
    };
    let event = shared
        .wait_for(|s| {
            if s.generation != generation {
                return Some(Err(error_reply(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Extension.EnvironmentGone",
                    "the execution environment was reset",
                )));
            }
            match find_extension(s, id.as_deref()) {
                Err(reply) => Some(Err(reply)),
                Ok(extension) => {
                    let event = extension.queue.pop_front()?;
                    extension.in_next = false;
                    Some(Ok(event))
                }
            }
        })
        .await;
    match event {
        Ok(event) => {
            let mut reply = json_reply(StatusCode::OK, &event);
            let event_id = shared.lock().new_id();
            if let Ok(value) = HeaderValue::from_str(&event_id) {
                reply
                    .headers_mut()
                    .insert("Lambda-Extension-Event-Identifier", value);
            }
            reply
        }
        Err(reply) => reply,
    }
}

async fn extension_error(shared: &Shared, request: Request<Incoming>, kind: &str) -> Reply {
    let id = header(&request, "Lambda-Extension-Identifier");
    let Some(error_type) = header(&request, "Lambda-Extension-Function-Error-Type") else {
        return error_reply(
            StatusCode::BAD_REQUEST,
            "InvalidRequest",
            "missing Lambda-Extension-Function-Error-Type header",
        );
    };
    if let Err(reply) = read_body(request, 1024 * 1024).await {
        return reply;
    }
    shared.update(|s| {
        let phase = s.phase;
        let extension = match find_extension(s, id.as_deref()) {
            Ok(extension) => extension,
            Err(reply) => return reply,
        };
        extension.gone = true;
        let name = extension.name.clone();
        if s.failure.is_none() && phase != Phase::ShuttingDown {
            let lambda_type = if kind == "init" {
                "Extension.InitError"
            } else {
                "Extension.ExitError"
            };
            s.failure = Some(format!(
                "{lambda_type}: extension {name} posted {kind}/error {error_type}"
            ));
        }
        accepted()
    })
}

async fn runtime_next(shared: &Shared) -> Reply {
    let generation = shared.update(|s| {
        s.runtime_in_next = true;
        s.generation
    });
    let next = shared
        .wait_for(|s| {
            if s.generation != generation {
                return Some(Err(error_reply(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Runtime.EnvironmentGone",
                    "the execution environment was reset",
                )));
            }
            let pending = s.invocation.as_mut().filter(|p| !p.delivered)?;
            pending.delivered = true;
            Some(Ok((
                pending.request_id.clone(),
                pending.deadline_ms,
                pending.arn.clone(),
                pending.trace_id.clone(),
                pending.payload.clone(),
            )))
        })
        .await;
    let (request_id, deadline_ms, arn, trace_id, payload) = match next {
        Ok(next) => next,
        Err(reply) => return reply,
    };
    let mut reply = Response::new(Full::new(payload));
    let headers = reply.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    for (name, value) in [
        ("Lambda-Runtime-Aws-Request-Id", request_id),
        ("Lambda-Runtime-Deadline-Ms", deadline_ms.to_string()),
        ("Lambda-Runtime-Invoked-Function-Arn", arn),
        ("Lambda-Runtime-Trace-Id", trace_id),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    reply
}

async fn runtime_answer(
    shared: &Shared,
    request: Request<Incoming>,
    id: &str,
    is_error: bool,
) -> Reply {
    let error_type = header(&request, "Lambda-Runtime-Function-Error-Type");
    let body = match read_body(request, MAX_RESPONSE_BYTES).await {
        Ok(body) => body,
        Err(reply) => {
            if reply.status() == StatusCode::PAYLOAD_TOO_LARGE {
                // Lambda answers the caller with an error for a response
                // over the limit.
                shared.update(|s| {
                    if let Some(pending) = s
                        .invocation
                        .as_mut()
                        .filter(|p| p.request_id == id && p.outcome.is_none())
                    {
                        pending.outcome = Some(Outcome::FunctionError {
                            error_type: "Function.ResponseSizeTooLarge".to_string(),
                            body: Vec::new(),
                        });
                    }
                });
            }
            return reply;
        }
    };
    shared.update(|s| {
        let Some(pending) = s.invocation.as_mut().filter(|p| p.request_id == id) else {
            return error_reply(
                StatusCode::BAD_REQUEST,
                "InvalidRequestID",
                &format!("{id} is not the current invocation"),
            );
        };
        if !pending.delivered || pending.outcome.is_some() {
            return error_reply(
                StatusCode::BAD_REQUEST,
                "InvalidStateTransition",
                &format!("invocation {id} is not waiting for an answer"),
            );
        }
        pending.outcome = Some(if is_error {
            let error_type = error_type
                .or_else(|| {
                    serde_json::from_slice::<Value>(&body)
                        .ok()?
                        .get("errorType")?
                        .as_str()
                        .map(str::to_string)
                })
                .unwrap_or_else(|| "Unhandled".to_string());
            Outcome::FunctionError {
                error_type,
                body: body.to_vec(),
            }
        } else {
            Outcome::Response(body.to_vec())
        });
        accepted()
    })
}

async fn runtime_init_error(shared: &Shared, request: Request<Incoming>) -> Reply {
    let error_type = header(&request, "Lambda-Runtime-Function-Error-Type")
        .unwrap_or_else(|| "Unknown".to_string());
    if let Err(reply) = read_body(request, 1024 * 1024).await {
        return reply;
    }
    shared.update(|s| {
        if s.failure.is_none() {
            s.failure = Some(format!(
                "Runtime.InitError: the runtime posted init/error {error_type}"
            ));
        }
        accepted()
    })
}
