//! `fnguard guard run`: the extension's life, wiring the controls together.
//!
//! Init, all of it before registering (Lambda starts the runtime once every
//! extension has registered): settings, non-dumpable, stale ready file and
//! executables left in `/tmp` removed (a reset does not clear `/tmp`), the
//! signed manifest of the code verified, the event validator compiled, the
//! Runtime API proxy and the egress proxy started, the ready file written
//! for the wrapper; then registration. Then every invocation passes the
//! [`GuardGate`] in the proxy before the handler sees it, and the extension
//! follows INVOKE and SHUTDOWN.
//!
//! Failure is never silent. A problem at init fails the environment's init
//! (`init/error`, exit 1) when failing closed (the default); with
//! `FNGUARD_FAIL=open` the guard logs it and stays registered without
//! serving, so the wrapper starts the runtime unguarded and logs that too.
//! An integrity failure in enforce mode answers the invocation with an error,
//! posts `exit/error` and exits 1: Lambda resets the environment.

use crate::config::{Config, FailPolicy, Mode};
use crate::egress::{self, EgressEvent, EgressProxy, Policy};
use crate::extension::{Event, EventKind, ExtensionClient};
use crate::integrity::files::{FileGuard, RootSpec};
use crate::integrity::process::{self as process, ProcessGuard, Scope};
use crate::integrity::Violation;
use crate::log::{Control, Decision, InvocationSummary, Logger};
use crate::proxy::{
    FatalReport, InvocationGate, InvokeContext, PrepareContext, ProxySettings, RuntimeProxy,
    Verdict,
};
use crate::validate::Validator;
use fnguard_sign::minisign::PublicKey;
use serde_json::json;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The error types the runtime's invocation gets (Lambda shows them).
pub const INTEGRITY_FAILURE: &str = "Fnguard.IntegrityFailure";
pub const INPUT_REJECTED: &str = "Fnguard.InputRejected";

/// What the guard reads from its environment besides [`Config`]: the
/// places Lambda fixes, overridable so that tests run it outside Lambda.
#[derive(Debug, Clone)]
pub struct Environment {
    /// `AWS_LAMBDA_RUNTIME_API`: Lambda's API, the proxy's upstream.
    pub runtime_api: String,
    /// The extension's file name in /opt/extensions (Lambda checks it).
    pub extension_name: String,
    /// The function's code (/var/task).
    pub task_root: PathBuf,
    /// Writable folders: /tmp (where the ready file goes) and /dev/shm.
    pub tmp_dirs: Vec<PathBuf>,
    /// Public key files shipped in the layer (/opt/fnguard/keys).
    pub key_dir: PathBuf,
    /// `AWS_REGION`, for the egress allowlist's AWS shorthands.
    pub region: Option<String>,
}

impl Environment {
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Environment {
        let tmp = PathBuf::from(env("FNGUARD_TMP").unwrap_or_else(|| "/tmp".into()));
        let mut tmp_dirs = vec![tmp];
        if env("FNGUARD_TMP").is_none() {
            tmp_dirs.push(PathBuf::from("/dev/shm"));
        }
        Environment {
            runtime_api: env("AWS_LAMBDA_RUNTIME_API").unwrap_or_else(|| "127.0.0.1:9001".into()),
            extension_name: env("FNGUARD_EXTENSION_NAME").unwrap_or_else(|| "fnguard-guard".into()),
            // Lambda does not give extensions LAMBDA_TASK_ROOT: /var/task,
            // unless FNGUARD_TASK_ROOT says otherwise (tests, custom images).
            task_root: PathBuf::from(
                env("FNGUARD_TASK_ROOT")
                    .or_else(|| env("LAMBDA_TASK_ROOT"))
                    .unwrap_or_else(|| "/var/task".into()),
            ),
            tmp_dirs,
            key_dir: PathBuf::from(
                env("FNGUARD_KEY_DIR").unwrap_or_else(|| "/opt/fnguard/keys".into()),
            ),
            region: env("AWS_REGION"),
        }
    }

    /// Where the wrapper looks for the proxy ports (layer::WRAPPER reads
    /// the same path: `$FNGUARD_TMP/.fnguard/ready`).
    pub fn ready_file(&self) -> PathBuf {
        self.tmp_dirs[0].join(".fnguard").join("ready")
    }
}

/// Runs the extension until SHUTDOWN (exit code 0) or a failure (1).
pub async fn run(env: &dyn Fn(&str) -> Option<String>) -> i32 {
    let init_started = Instant::now();
    let environment = Environment::from_env(env);
    let logger = Logger::stdout();
    // A ready file from before a reset would point the next runtime at a
    // proxy that may not be there yet.
    let _ = std::fs::remove_file(environment.ready_file());
    let config = Config::load(env);
    let fail = match &config {
        Ok(config) => config.fail,
        // Unreadable settings: only an explicit FNGUARD_FAIL=open opens.
        Err(_) => match env("FNGUARD_FAIL").as_deref() {
            Some("open") => FailPolicy::Open,
            _ => FailPolicy::Closed,
        },
    };
    // Lambda starts the runtime as soon as every extension has registered,
    // so the guard does all its init work, proxies listening and the ready
    // file written, before it registers.
    // The proxies get a thread of their own (see `ProxyThread`); the
    // extension's loop stays on this one.
    let proxy_thread = match ProxyThread::spawn() {
        Ok(thread) => thread,
        Err(e) => {
            guard_log(&logger, Decision::Deny, format!("cannot start: {e}"));
            return 1;
        }
    };
    let started = match config {
        Ok(config) => match proxy_thread.start(config, &environment, &logger).await {
            Ok(guard) => write_ready(&environment, guard.proxy.local_addr(), guard.egress_port)
                .map(|()| {
                    log_ready(&logger, &guard, init_started);
                    guard
                })
                .map_err(|e| format!("cannot write the ready file: {e}")),
            Err(problem) => Err(problem),
        },
        Err(e) => Err(format!("settings: {e}")),
    };
    let mut extension = match ExtensionClient::new(&environment.runtime_api) {
        Ok(client) => client,
        Err(e) => {
            guard_log(&logger, Decision::Deny, format!("no Extensions API: {e}"));
            return 1;
        }
    };
    if let Err(e) = extension
        .register(
            &environment.extension_name,
            &[EventKind::Invoke, EventKind::Shutdown],
        )
        .await
    {
        guard_log(&logger, Decision::Deny, format!("cannot register: {e}"));
        return 1;
    }
    let mut guard = match started {
        Ok(guard) => guard,
        Err(problem) => return init_failed(&extension, &logger, fail, &problem).await,
    };
    let mut progress = guard.proxy.progress();
    let mut warned_unproxied = false;
    loop {
        tokio::select! {
            event = extension.next_event() => match event {
                Ok(Event::Invoke { request_id, deadline_ms, .. }) => {
                    // A runtime that never came through the proxy (no
                    // AWS_LAMBDA_EXEC_WRAPPER) is not waited for: said once,
                    // loudly, and the function goes on unguarded rather than
                    // waiting out every deadline.
                    let uses_proxy = {
                        let now = progress.borrow();
                        now.prepared || now.last_event.is_some()
                    };
                    if !uses_proxy {
                        if !warned_unproxied {
                            warned_unproxied = true;
                            guard_log(
                                &logger,
                                Decision::Report,
                                "the runtime does not call the Runtime API through the guard's proxy: its invocations are not checked (set AWS_LAMBDA_EXEC_WRAPPER=/opt/fnguard/wrapper)".into(),
                            );
                        }
                        continue;
                    }
                    // The post-invoke phase: Lambda ends the invocation (and
                    // may freeze the environment) once this extension asks
                    // for its next event, so it waits until the runtime has
                    // asked for its own and the checks have run, which
                    // keeps them off the next event's path. Never past the
                    // invocation's deadline: a runtime that does not come
                    // back is Lambda's to time out.
                    let post_invoke = progress.wait_for(|p| {
                        p.prepared && p.last_event.as_deref() == Some(request_id.as_str())
                    });
                    tokio::select! {
                        _ = tokio::time::timeout(until_deadline(deadline_ms), post_invoke) => {}
                        report = guard.proxy.fatal() => {
                            return report_fatal(&extension, report).await;
                        }
                    }
                }
                Ok(Event::Shutdown { .. }) => {
                    guard.gate.flush_summary();
                    guard.proxy.shutdown().await;
                    if let Some(task) = guard.egress_task.take() {
                        task.abort();
                    }
                    return 0;
                }
                Err(e) => {
                    guard_log(&logger, Decision::Deny, format!("Extensions API: {e}"));
                    return 1;
                }
            },
            report = guard.proxy.fatal() => return report_fatal(&extension, report).await,
        }
    }
}

/// Reports a fatal verdict (or the proxy's end) to Lambda, which resets
/// the environment; the guard's exit code.
async fn report_fatal(extension: &ExtensionClient, report: Option<FatalReport>) -> i32 {
    let (error_type, message) = report
        .map(|r| (r.error_type, r.message))
        .unwrap_or_else(|| ("Fnguard.GuardFailure".into(), "the proxy stopped".into()));
    let _ = extension.exit_error(&error_type, &message).await;
    1
}

/// The time left until an invocation's deadline (milliseconds since the
/// epoch), at most 15 minutes (Lambda's longest timeout).
fn until_deadline(deadline_ms: u64) -> std::time::Duration {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    std::time::Duration::from_millis(deadline_ms.saturating_sub(now_ms).min(15 * 60 * 1000))
}

/// The thread the Runtime API proxy and the egress proxy run on, apart from
/// the extension's loop: the INVOKE event reaches the extension at the
/// moment the event reaches the proxy, and on one thread reading it held up
/// the event by about 90 µs (bench/guard/run.sh). One thread each: no
/// wakeup crosses threads on the event's own path.
struct ProxyThread {
    handle: tokio::runtime::Handle,
    /// Dropped with the guard: the thread's runtime then ends, on its own
    /// thread (a runtime may not be dropped inside another's tasks).
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl ProxyThread {
    fn spawn() -> std::io::Result<ProxyThread> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        std::thread::Builder::new()
            .name("fnguard-proxy".into())
            .spawn(move || {
                let _ = runtime.block_on(stopped);
            })?;
        Ok(ProxyThread {
            handle,
            _stop: stop,
        })
    }

    /// [`start`] on the proxy thread.
    async fn start(
        &self,
        config: Config,
        environment: &Environment,
        logger: &Logger,
    ) -> Result<Started, String> {
        let (environment, logger) = (environment.clone(), logger.clone());
        self.handle
            .spawn(async move { start(&config, &environment, &logger).await })
            .await
            .unwrap_or_else(|e| Err(format!("the proxy thread failed: {e}")))
    }
}

/// The guard once started.
struct Started {
    proxy: RuntimeProxy,
    gate: Arc<GuardGate>,
    egress_port: Option<u16>,
    egress_task: Option<tokio::task::JoinHandle<()>>,
}

async fn start(
    config: &Config,
    environment: &Environment,
    logger: &Logger,
) -> Result<Started, String> {
    if let Err(e) = process::make_non_dumpable() {
        guard_log(
            logger,
            Decision::Report,
            format!("cannot make the guard non-dumpable: {e}"),
        );
    }
    if config.process.mode == Mode::Enforce {
        for tmp in &environment.tmp_dirs {
            let cleaned = process::clean_tmp(tmp);
            for path in &cleaned.removed {
                let _ = logger.event(
                    Control::IntegrityProcess,
                    Decision::Deny,
                    Mode::Enforce,
                    None,
                    json!({"reason": "executable left in tmp removed at init", "path": path}),
                );
            }
        }
    }
    let files = start_files(config, environment, logger)?;
    let validator = start_validator(config)?;
    let settings = ProxySettings::from_config(config, &environment.runtime_api, logger.clone());
    // The gate is built before the proxy listens; the process guard needs
    // the proxy's address, so it is filled in right after.
    let gate = Arc::new(GuardGate {
        files: files.map(Mutex::new),
        processes: Mutex::new(None),
        process_mode: config.process.mode,
        files_mode: config.integrity.mode,
        input_mode: config.input.mode,
        validator,
        max_bytes: usize::try_from(config.input.max_bytes).unwrap_or(usize::MAX),
        callers: Mutex::new(Vec::new()),
        prepared: Mutex::new(None),
        summary: Mutex::new(None),
        logger: logger.clone(),
    });
    let proxy = RuntimeProxy::start(settings, vec![Arc::clone(&gate) as Arc<dyn InvocationGate>])
        .await
        .map_err(|e| e.to_string())?;
    if config.process.mode != Mode::Off {
        let mut process_config = process::ProcessConfig::lambda(proxy.local_addr().to_string());
        process_config.tmp_dirs = environment.tmp_dirs.clone();
        process_config.allow = config.process.allow.clone();
        // Lambda's sandbox is a pid namespace whose processes all descend
        // from its init, the guard's parent: the same scope as All there,
        // and one environment's processes only where several share a host.
        process_config.scope = Scope::DescendantsOf(parent_pid());
        *lock(&gate.processes) = Some(ProcessGuard::init(std::process::id(), process_config));
    }
    let (egress_port, egress_task) = if config.egress.mode == Mode::Off {
        (None, None)
    } else {
        let policy = Policy::parse(&config.egress.allow, environment.region.as_deref())
            .map_err(|e| format!("egress allowlist: {e}"))?;
        let mode = match config.egress.mode {
            Mode::Enforce => egress::Mode::Enforce,
            _ => egress::Mode::Report,
        };
        let sink_logger = logger.clone();
        let guard_mode = config.egress.mode;
        let sink: egress::EgressSink = Arc::new(move |event: &EgressEvent| {
            let decision = match event.decision() {
                "allow" => Decision::Allow,
                "report" => Decision::Report,
                _ => Decision::Deny,
            };
            let details = serde_json::to_value(event).unwrap_or_default();
            let _ = sink_logger.event(Control::Egress, decision, guard_mode, None, details);
        });
        let listen = SocketAddr::from(([127, 0, 0, 1], config.egress.port));
        let (address, task) = EgressProxy::start(listen, Arc::new(policy), mode, sink)
            .await
            .map_err(|e| format!("egress proxy on {listen}: {e}"))?;
        (Some(address.port()), Some(task))
    };
    Ok(Started {
        proxy,
        gate,
        egress_port,
        egress_task,
    })
}

fn start_files(
    config: &Config,
    environment: &Environment,
    logger: &Logger,
) -> Result<Option<FileGuard>, String> {
    if config.integrity.mode == Mode::Off {
        return Ok(None);
    }
    let keys = trusted_keys(config, environment)?;
    if keys.is_empty() {
        return Err(
            "integrity is on but no key may sign the manifest: set FNGUARD_PUBKEY or ship keys in the layer (fnguard guard package --pubkey)"
                .into(),
        );
    }
    let roots = [
        RootSpec {
            path: environment.task_root.clone(),
            manifest: None,
            required: true,
        },
        // /opt holds the layers (this one included); checked when a layer
        // build put a manifest at its root (FileGuard skips an optional
        // root without one).
        RootSpec {
            path: PathBuf::from("/opt"),
            manifest: None,
            required: false,
        },
    ];
    match FileGuard::init(&roots, &keys, config.integrity.full_check_every) {
        Ok(files) => Ok(Some(files)),
        Err(violations) => {
            let enforce = config.integrity.mode == Mode::Enforce;
            for violation in &violations {
                log_violation(logger, violation, config.integrity.mode, None);
            }
            if enforce {
                Err(format!(
                    "the function's code does not verify: {}",
                    violations.first().map_or("", |v| v.reason.as_str())
                ))
            } else {
                Ok(None)
            }
        }
    }
}

/// FNGUARD_PUBKEY's lines, then the key files of the layer.
fn trusted_keys(config: &Config, environment: &Environment) -> Result<Vec<PublicKey>, String> {
    let mut keys = Vec::new();
    if let Some(text) = &config.integrity.pubkey {
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            keys.push(PublicKey::parse(line).map_err(|e| format!("FNGUARD_PUBKEY: {e}"))?);
        }
    }
    if let Ok(entries) = std::fs::read_dir(&environment.key_dir) {
        let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        paths.sort();
        for path in paths
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "pub"))
        {
            let text =
                std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            keys.push(PublicKey::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?);
        }
    }
    Ok(keys)
}

fn start_validator(config: &Config) -> Result<Option<Arc<Validator>>, String> {
    if config.input.mode == Mode::Off {
        return Ok(None);
    }
    let validator = if let Some(path) = &config.input.schema {
        Validator::from_file(path).map_err(|e| format!("input schema: {e}"))?
    } else if let Some(schema) = &config.input.inline_schema {
        Validator::compile(schema).map_err(|e| format!("input schema: {e}"))?
    } else {
        // No schema: events must still be JSON within the size limit.
        Validator::compile(&json!(true)).map_err(|e| format!("input schema: {e}"))?
    };
    Ok(Some(Arc::new(validator)))
}

async fn init_failed(
    extension: &ExtensionClient,
    logger: &Logger,
    fail: FailPolicy,
    problem: &str,
) -> i32 {
    match fail {
        FailPolicy::Closed => {
            guard_log(
                logger,
                Decision::Deny,
                format!("init failed, failing closed: {problem}"),
            );
            let _ = extension
                .init_error("Extension.FnguardInitFailed", problem)
                .await;
            1
        }
        FailPolicy::Open => {
            // Stay registered without serving: no ready file, so the
            // wrapper runs the runtime unguarded and logs it too.
            guard_log(
                logger,
                Decision::Report,
                format!("init failed, failing open (the function runs unguarded): {problem}"),
            );
            loop {
                match extension.next_event().await {
                    Ok(Event::Invoke { .. }) => {}
                    Ok(Event::Shutdown { .. }) | Err(_) => return 0,
                }
            }
        }
    }
}

fn write_ready(
    environment: &Environment,
    proxy: SocketAddr,
    egress_port: Option<u16>,
) -> std::io::Result<()> {
    let path = environment.ready_file();
    let folder = path.parent().unwrap_or(Path::new("/tmp"));
    std::fs::create_dir_all(folder)?;
    let mut text = format!("proxy_port={}\n", proxy.port());
    if let Some(port) = egress_port {
        text.push_str(&format!("egress_port={port}\n"));
    }
    let temporary = folder.join(format!("ready.{}", std::process::id()));
    std::fs::write(&temporary, text)?;
    std::fs::rename(&temporary, &path)
}

/// The line that says the guard serves: how long its init took (the cold
/// start it adds, most of it hashing the code) and how many files it
/// guards.
fn log_ready(logger: &Logger, guard: &Started, init_started: Instant) {
    let gate = &guard.gate;
    let mode = gate.mode();
    let files = gate.files.as_ref().map(|files| lock(files).entries());
    let init_ms = (init_started.elapsed().as_secs_f64() * 10_000.0).round() / 10.0;
    let _ = logger.event(
        Control::Guard,
        Decision::Allow,
        mode,
        None,
        json!({"reason": "ready", "init_ms": init_ms, "files_guarded": files}),
    );
}

fn guard_log(logger: &Logger, decision: Decision, reason: String) {
    let mode = if decision == Decision::Deny {
        Mode::Enforce
    } else {
        Mode::Report
    };
    let _ = logger.event(
        Control::Guard,
        decision,
        mode,
        None,
        json!({ "reason": reason }),
    );
}

fn log_violation(logger: &Logger, violation: &Violation, mode: Mode, request_id: Option<&str>) {
    let control = if violation.control == crate::integrity::CONTROL_PROCESS {
        Control::IntegrityProcess
    } else {
        Control::IntegrityFiles
    };
    let decision = if mode == Mode::Enforce {
        Decision::Deny
    } else {
        Decision::Report
    };
    let mut details = json!({ "reason": violation.reason });
    if let (Some(map), Some(extra)) = (details.as_object_mut(), violation.details.as_object()) {
        for (key, value) in extra {
            map.entry(key.clone()).or_insert_with(|| value.clone());
        }
    }
    let _ = logger.event(control, decision, mode, request_id, details);
}

fn parent_pid() -> u32 {
    process::procfs::stat(std::process::id()).map_or(1, |stat| stat.ppid)
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poison| poison.into_inner())
}

/// Every check before an invocation: the code's files, the runtime process
/// and `/tmp`, then the event.
struct GuardGate {
    files: Option<Mutex<FileGuard>>,
    processes: Mutex<Option<ProcessGuard>>,
    files_mode: Mode,
    process_mode: Mode,
    input_mode: Mode,
    validator: Option<Arc<Validator>>,
    max_bytes: usize,
    /// The process behind each recent proxy connection (by its number).
    callers: Mutex<Vec<(u64, Option<u32>)>>,
    /// What the checks found in the post-invoke phase, for the next event
    /// on that connection.
    prepared: Mutex<Option<Prepared>>,
    /// The last passed invocation's summary, written after the event went
    /// out.
    summary: Mutex<Option<(std::time::SystemTime, InvocationSummary)>>,
    logger: Logger,
}

/// The checks' findings when the runtime asked for its next event.
struct Prepared {
    connection: u64,
    /// `None` for a control that is off.
    files: Option<Vec<Violation>>,
    processes: Option<Vec<Violation>>,
    /// Microseconds the checks took then.
    took_us: u64,
}

/// A runtime keeps one or two connections open; a bound keeps a caller
/// opening many from growing the guard's memory.
const MAX_REMEMBERED_CONNECTIONS: usize = 16;

impl GuardGate {
    /// The process behind the proxy connection, looked up once per
    /// connection (the proxy numbers them; a number is never reused), not
    /// per address: another process could bind the port of a closed
    /// runtime connection.
    fn caller(
        &self,
        processes: &ProcessGuard,
        connection: u64,
        local: SocketAddr,
        peer: SocketAddr,
    ) -> Option<u32> {
        let mut callers = lock(&self.callers);
        if let Some((_, pid)) = callers.iter().find(|(known, _)| *known == connection) {
            return *pid;
        }
        let first: Vec<u32> = processes.runtime_pid().into_iter().collect();
        let pid = process::pid_of_peer(local, peer, &first);
        if callers.len() >= MAX_REMEMBERED_CONNECTIONS {
            callers.remove(0);
        }
        callers.push((connection, pid));
        pid
    }

    /// The process checks: the whole of them, or (`quick`, after a
    /// [`GuardGate::prepare`] on this connection) what changed since.
    fn check_processes(
        &self,
        connection: u64,
        local: SocketAddr,
        peer: SocketAddr,
        quick: bool,
    ) -> Option<Vec<Violation>> {
        let mut guard = lock(&self.processes);
        let processes = guard.as_mut()?;
        let caller = self.caller(processes, connection, local, peer);
        let mut violations = Vec::new();
        if processes.runtime_pid().is_none() {
            // The first caller of `next` is the runtime: recorded once.
            match caller {
                Some(pid) => {
                    if let Err(v) = processes.record_runtime(pid) {
                        violations.push(v);
                    }
                }
                None => violations.push(Violation {
                    control: crate::integrity::CONTROL_PROCESS,
                    reason: "the process calling the runtime api cannot be identified".into(),
                    details: json!({}),
                }),
            }
        }
        if quick {
            violations.extend(processes.recheck(caller));
        } else {
            violations.extend(processes.check(caller));
        }
        Some(violations)
    }

    /// The mode its lines report: enforce when any of its controls
    /// enforces, else report.
    fn mode(&self) -> Mode {
        [self.files_mode, self.process_mode, self.input_mode]
            .into_iter()
            .find(|m| *m == Mode::Enforce)
            .unwrap_or(Mode::Report)
    }

    /// Writes the last invocation's summary line if it waits.
    fn flush_summary(&self) {
        if let Some((time, summary)) = lock(&self.summary).take() {
            let _ = self.logger.invocation_at(time, &summary);
        }
    }

    fn check_files(&self, quick: bool) -> Option<Vec<Violation>> {
        let mut files = lock(self.files.as_ref()?);
        Some(if quick {
            files.recheck()
        } else {
            files.check()
        })
    }
}

impl InvocationGate for GuardGate {
    fn prepare(&self, ctx: &PrepareContext) {
        self.flush_summary();
        let started = Instant::now();
        let files = self.check_files(false);
        let processes =
            self.check_processes(ctx.connection, ctx.proxy_local, ctx.runtime_peer, false);
        *lock(&self.prepared) = Some(Prepared {
            connection: ctx.connection,
            files,
            processes,
            took_us: u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        });
    }

    fn before_invoke(&self, ctx: &InvokeContext<'_>) -> Verdict {
        self.flush_summary();
        let started = Instant::now();
        let mut checks: Vec<&'static str> = Vec::new();
        let mut fatal: Option<String> = None;
        let mut strictest = Decision::Allow;
        // The post-invoke phase's findings when it ran for this connection
        // (else everything is checked now), then what changed since.
        let prepared = lock(&self.prepared)
            .take()
            .filter(|prepared| prepared.connection == ctx.connection);
        let quick = prepared.is_some();
        let (mut files, mut processes, prepared_us) = match prepared {
            Some(p) => (p.files, p.processes, p.took_us),
            None => (None, None, 0),
        };
        // A finding both passes made (a file still changed) is logged once.
        let merge = |earlier: &mut Option<Vec<Violation>>, found: Vec<Violation>| {
            let all = earlier.get_or_insert_with(Vec::new);
            for violation in found {
                if !all.contains(&violation) {
                    all.push(violation);
                }
            }
        };
        if let Some(found) = self.check_files(quick) {
            merge(&mut files, found);
        }
        if let Some(found) =
            self.check_processes(ctx.connection, ctx.proxy_local, ctx.runtime_peer, quick)
        {
            merge(&mut processes, found);
        }
        for (control, mode, violations) in [
            (crate::integrity::CONTROL_FILES, self.files_mode, files),
            (
                crate::integrity::CONTROL_PROCESS,
                self.process_mode,
                processes,
            ),
        ] {
            let Some(violations) = violations else {
                continue;
            };
            checks.push(control);
            for violation in &violations {
                log_violation(&self.logger, violation, mode, Some(ctx.request_id));
                strictest = stricter(strictest, mode);
                if mode == Mode::Enforce && fatal.is_none() {
                    fatal = Some(violation.reason.clone());
                }
            }
        }
        let mut rejected: Option<String> = None;
        if fatal.is_none() {
            if let Some(validator) = &self.validator {
                checks.push("input");
                if let Err(rejection) = validator.validate(ctx.body, self.max_bytes) {
                    let decision = if self.input_mode == Mode::Enforce {
                        Decision::Deny
                    } else {
                        Decision::Report
                    };
                    let _ = self.logger.event(
                        Control::Input,
                        decision,
                        self.input_mode,
                        Some(ctx.request_id),
                        rejection.details(),
                    );
                    strictest = stricter(strictest, self.input_mode);
                    if self.input_mode == Mode::Enforce {
                        rejected = Some(rejection.to_string());
                    }
                }
            }
        }
        let mode = self.mode();
        let summary = InvocationSummary {
            request_id: ctx.request_id.to_string(),
            decision: strictest,
            mode,
            checks,
            guard_us: u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
            prepared_us,
        };
        // The summary of a passed event is written once the runtime has it
        // (at the next prepare, or shutdown): making the line and writing
        // it to stdout, which wakes whoever reads it, cost the event about
        // 40 µs (bench/guard/run.sh). Lines about a denial went out at
        // once, above, and so does the summary of a refused event.
        *lock(&self.summary) = Some((std::time::SystemTime::now(), summary));
        if fatal.is_some() || rejected.is_some() {
            self.flush_summary();
        }
        if let Some(reason) = fatal {
            return Verdict::Fatal {
                error_type: INTEGRITY_FAILURE.into(),
                message: format!(
                    "fnguard guard: integrity failure ({reason}); the environment is reset"
                ),
            };
        }
        if let Some(reason) = rejected {
            return Verdict::Reject {
                error_type: INPUT_REJECTED.into(),
                message: format!(
                    "fnguard guard: the event was refused before the handler: {reason}"
                ),
            };
        }
        Verdict::Pass
    }
}

fn stricter(current: Decision, mode: Mode) -> Decision {
    match (current, mode) {
        (Decision::Deny, _) | (_, Mode::Enforce) => Decision::Deny,
        (_, Mode::Report) => Decision::Report,
        (current, Mode::Off) => current,
    }
}

/// The process entry point of `fnguard guard run` and of the
/// `fnguard-guard` binary: a panic's message could quote an event, so the
/// hook prints only where it happened.
pub fn main() -> i32 {
    std::panic::set_hook(Box::new(|info| {
        let place = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("fnguard guard: internal error at {place}");
    }));
    // One thread for the extension, the proxy and the egress proxy: no
    // wakeup crosses threads on an event's path (measured: about 30 µs
    // less per invocation than a multi-thread runtime with one worker,
    // bench/guard/run.sh). What blocks (the checks of the post-invoke
    // phase) runs on Tokio's blocking threads.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("fnguard guard: cannot start: {e}");
            return 1;
        }
    };
    runtime.block_on(run(&|name| std::env::var(name).ok()))
}
