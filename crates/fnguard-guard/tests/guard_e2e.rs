//! The proof: `fnguard-guard` as a Lambda extension in the emulator
//! (tests/support), a real runtime (Python's awslambdaric) started through
//! the layer's exec wrapper, a function whose code is signed, and the
//! attacks of guide §2.3 written for these tests (tests/data/guarded and the
//! emulator's app.py): each detected, blocked in enforce mode with its log
//! line, only logged in report mode. Also the failure behaviour: a
//! misconfigured guard fails the environment's init (closed) or lets the
//! runtime run unguarded (open), saying so either way.
//!
//! The process checks look at the descendants of the guard's parent, which
//! here is this test process: the tests run one at a time.

mod support;

use fnguard_guard::layer::WRAPPER;
use fnguard_sign::minisign::SecretKey;
use fnguard_sign::seal::{self, SealOptions};
use serde_json::{json, Value};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;
use support::emulator::{Emulator, EmulatorConfig, InitError, Invocation, Outcome, Stream};
use support::fixtures::{
    function_dir, guard_binary, install_command_as_extension, node_runtime, python_env,
    python_runtime, python_with_awslambdaric, set_executable, TempDir,
};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

struct Guarded {
    emulator: Emulator,
    task: TempDir,
    tmp: TempDir,
    _opt: TempDir,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The function under the guard: its files, its handler and the command
/// of its runtime.
struct Function {
    files: Vec<(PathBuf, &'static str)>,
    handler: &'static str,
    runtime: Vec<String>,
    env: Vec<(String, String)>,
}

/// The Python test function (attacks.py over app.py) under awslambdaric.
fn python_function(python: &Path) -> Function {
    Function {
        files: vec![
            (function_dir("python-basic").join("app.py"), "app.py"),
            (
                Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/guarded/attacks.py"),
                "attacks.py",
            ),
        ],
        handler: "attacks.handler",
        runtime: python_runtime(python, "attacks.handler"),
        env: python_env(),
    }
}

/// A signed copy of the test function, the guard installed as a layer
/// would install it, and the emulator started with `env` on top.
fn guarded(python: &Path, env: &[(&str, &str)]) -> Result<Guarded, InitError> {
    guarded_with(python_function(python), env, true)
}

/// As [`guarded`], for any function; `wrapper: false` leaves
/// AWS_LAMBDA_EXEC_WRAPPER unset (a layer added without it): the runtime
/// talks to Lambda directly.
fn guarded_with(
    function: Function,
    env: &[(&str, &str)],
    wrapper: bool,
) -> Result<Guarded, InitError> {
    let task = TempDir::new("guarded-task");
    for (from, name) in &function.files {
        std::fs::copy(from, task.path().join(name)).expect("copy the handler");
    }
    let key = SecretKey::generate().expect("a key");
    let options = SealOptions {
        created: "2026-12-06T04:00:00Z".into(),
        created_unix: 1_796_529_600,
        ..SealOptions::default()
    };
    let sealed = seal::seal(task.path(), &key, &options).expect("signed");
    seal::write_into(&sealed, task.path()).expect("manifest written");
    let tmp = TempDir::new("guarded-tmp");
    let opt = TempDir::new("guarded-opt");
    let wrapper_on = wrapper;
    let wrapper = opt.path().join("wrapper");
    std::fs::write(&wrapper, WRAPPER).expect("wrapper");
    set_executable(&wrapper);
    let extension = install_command_as_extension(opt.path(), "fnguard-guard", &guard_binary(), &[]);
    let mut config = EmulatorConfig::new(task.path(), function.handler, function.runtime);
    config.function_name = "orders".into();
    config.timeout = Duration::from_secs(10);
    config.exec_wrapper = wrapper_on.then_some(wrapper);
    config.extensions = vec![extension];
    config.env = function.env;
    let pubkey = key.public_key().to_base64();
    let proxy_port = free_port().to_string();
    let egress_port = free_port().to_string();
    let tmp_path = tmp.path().to_string_lossy().into_owned();
    let task_path = task.path().to_string_lossy().into_owned();
    let keys = opt.path().join("keys").to_string_lossy().into_owned();
    for (name, value) in [
        ("FNGUARD_PUBKEY", pubkey.as_str()),
        ("FNGUARD_TMP", &tmp_path),
        ("FNGUARD_TASK_ROOT", &task_path),
        ("FNGUARD_PROXY_PORT", &proxy_port),
        ("FNGUARD_EGRESS_PORT", &egress_port),
        ("FNGUARD_KEY_DIR", &keys),
    ]
    .iter()
    .chain(env)
    {
        config.env.push((name.to_string(), value.to_string()));
    }
    let emulator = Emulator::start(config)?;
    Ok(Guarded {
        emulator,
        task,
        tmp,
        _opt: opt,
    })
}

fn start(python: &Path, env: &[(&str, &str)]) -> Guarded {
    guarded(python, env).unwrap_or_else(|e| panic!("{e}"))
}

/// The guard's security log lines.
fn guard_log(emulator: &Emulator) -> Vec<Value> {
    emulator
        .logs()
        .iter()
        .filter(|l| l.process == "fnguard-guard" && l.stream == Stream::Stdout)
        .filter_map(|l| serde_json::from_str::<Value>(&l.text).ok())
        .filter(|v| v["schema"] == "fnguard.guard/1")
        .collect()
}

/// The guard's lines of `control`, once there are `count` of them (or after
/// 5 s: the caller's assertion then shows what came).
fn lines_of(emulator: &Emulator, control: &str, count: usize) -> Vec<Value> {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let lines: Vec<Value> = guard_log(emulator)
            .into_iter()
            .filter(|l| l["control"] == control)
            .collect();
        if lines.len() >= count || std::time::Instant::now() >= deadline {
            return lines;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Whether the guard has logged a `control` line with `decision` so far
/// (for what must not be there, checked after what must).
fn logged(emulator: &Emulator, control: &str, decision: &str) -> bool {
    guard_log(emulator)
        .iter()
        .any(|l| l["control"] == control && l["decision"] == decision)
}

/// Whether the guard logged a `control` line with `decision`, waiting a
/// little: the guard's stdout reaches the emulator through a pipe, and a
/// reset may come before its last lines are read.
fn has_line(emulator: &Emulator, control: &str, decision: &str) -> bool {
    emulator.wait_for_log(Duration::from_secs(5), |line| {
        line.process == "fnguard-guard"
            && line.stream == Stream::Stdout
            && serde_json::from_str::<Value>(&line.text)
                .is_ok_and(|l| l["control"] == control && l["decision"] == decision)
    })
}

fn invoke(emulator: &mut Emulator, event: Value) -> Invocation {
    emulator.invoke(event.to_string().as_bytes())
}

/// The invocation never reached the handler: answered with `error_type` by
/// the guard (an integrity failure also resets the environment).
fn refused_with(invocation: &Invocation, error_type: &str) -> bool {
    match &invocation.outcome {
        Outcome::FunctionError { error_type: t, .. } => t == error_type,
        Outcome::Reset { .. } => error_type == "Fnguard.IntegrityFailure",
        Outcome::Response(_) => false,
    }
}

fn handled(emulator: &Emulator, request_id: &str) -> bool {
    emulator
        .logs()
        .iter()
        .any(|l| l.process == "runtime" && l.text.contains(&format!("handling {request_id}")))
}

fn python() -> Option<std::path::PathBuf> {
    python_with_awslambdaric()
}

#[test]
fn an_untouched_function_runs_through_the_guard() {
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let Some(python) = python() else { return };
    let mut guarded = start(&python, &[]);
    let emulator = &mut guarded.emulator;
    let env = invoke(
        emulator,
        json!({"action": "env", "names": ["AWS_LAMBDA_RUNTIME_API", "HTTPS_PROXY", "FNGUARD_UPSTREAM_RUNTIME_API"]}),
    )
    .json();
    let api = env["AWS_LAMBDA_RUNTIME_API"].as_str().unwrap_or_default();
    assert_ne!(
        api,
        emulator.api_addr().to_string(),
        "the runtime talks to the guard, not to Lambda"
    );
    assert_eq!(
        env["FNGUARD_UPSTREAM_RUNTIME_API"],
        emulator.api_addr().to_string()
    );
    assert!(
        env["HTTPS_PROXY"]
            .as_str()
            .unwrap_or("")
            .starts_with("http://127.0.0.1:"),
        "{env}"
    );
    for _ in 0..3 {
        let answer = invoke(emulator, json!({"action": "echo", "n": 1}));
        assert_eq!(answer.json()["event"]["n"], 1);
        assert!(answer.reset.is_none());
    }
    let summaries = lines_of(emulator, "invocation", 4);
    assert_eq!(summaries.len(), 4, "{summaries:#?}");
    assert!(
        summaries.iter().all(|s| s["decision"] == "allow"),
        "{summaries:#?}"
    );
    assert!(!logged(emulator, "integrity.files", "deny"));
    assert!(!logged(emulator, "integrity.process", "deny"));
    let ready: Vec<Value> = guard_log(emulator)
        .into_iter()
        .filter(|l| l["control"] == "guard" && l["details"]["reason"] == "ready")
        .collect();
    assert_eq!(ready.len(), 1, "{ready:#?}");
    assert_eq!(
        ready[0]["details"]["files_guarded"], 2,
        "app.py, attacks.py"
    );
    assert!(ready[0]["details"]["init_ms"].as_f64() > Some(0.0));
    // From the second event on, the checks ran in the post-invoke phase
    // of the one before (the guard's extension waits for them before it
    // asks Lambda for its next event), and the event's path only confirms.
    for summary in &summaries[1..] {
        assert!(
            summary["details"]["prepared_us"].as_u64() > Some(0),
            "{summary}"
        );
        assert_eq!(
            summary["details"]["checks"],
            json!(["integrity.files", "integrity.process", "input"]),
            "{summary}"
        );
    }
}

#[test]
fn without_the_wrapper_the_guard_says_so_once_and_never_holds_an_invocation() {
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let Some(python) = python() else { return };
    let mut guarded =
        guarded_with(python_function(&python), &[], false).unwrap_or_else(|e| panic!("{e}"));
    let emulator = &mut guarded.emulator;
    for n in 0..3 {
        let answer = invoke(emulator, json!({"action": "echo", "n": n}));
        assert_eq!(answer.json()["event"]["n"], n);
        // Lambda ends an invocation once every extension asks for its next
        // event: a guard waiting for a runtime that never comes through its
        // proxy would hold each one to its 10 s deadline.
        assert!(
            answer.duration < Duration::from_secs(3),
            "{:?}",
            answer.duration
        );
    }
    let warnings: Vec<Value> = guard_log(emulator)
        .into_iter()
        .filter(|l| {
            l["control"] == "guard"
                && l["details"]["reason"]
                    .as_str()
                    .is_some_and(|r| r.contains("AWS_LAMBDA_EXEC_WRAPPER"))
        })
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert_eq!(warnings[0]["decision"], "report");
    assert!(lines_of(emulator, "invocation", 1).is_empty());
}

/// Attack 1: the handler, on a crafted event, writes a copy of the
/// interpreter to /tmp (or a memfd) and execs it in place of the runtime:
/// same PID, no file of the function changed.
#[test]
fn a_runtime_replaced_in_place_is_caught_and_the_environment_reset() {
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let Some(python) = python() else { return };
    for memfd in [false, true] {
        let mut guarded = start(&python, &[]);
        let dir = guarded.tmp.path().to_string_lossy().into_owned();
        let emulator = &mut guarded.emulator;
        let pid = emulator.runtime_pid();
        let replaced = invoke(
            emulator,
            json!({"action": "replace-runtime", "dir": dir, "memfd": memfd}),
        );
        assert_eq!(replaced.json()["replaced"], true, "memfd={memfd}");
        let next = invoke(emulator, json!({"action": "echo"}));
        assert!(
            refused_with(&next, "Fnguard.IntegrityFailure"),
            "memfd={memfd}: {next:?}\n{}",
            emulator.log_text()
        );
        assert!(
            !handled(emulator, &next.request_id),
            "the replaced runtime never got the event"
        );
        // The guard answers the invocation first, then posts exit/error.
        let reset = next.reset.is_some()
            || !emulator.resets().is_empty()
            || emulator.wait_for_failure(Duration::from_secs(5)).is_some();
        assert!(
            reset,
            "memfd={memfd}: the environment is reset\n{}",
            emulator.log_text()
        );
        assert!(
            has_line(emulator, "integrity.process", "deny"),
            "{}",
            emulator.log_text()
        );
        // A new init: the executable left in /tmp is removed, and the
        // function works again with a new runtime.
        let again = invoke(emulator, json!({"action": "echo", "after": true}));
        assert_eq!(
            again.json()["event"]["after"],
            true,
            "{}",
            emulator.log_text()
        );
        assert_ne!(emulator.runtime_pid(), pid);
        if !memfd {
            assert!(
                !guarded.tmp.path().join("runtime").exists(),
                "the copy in /tmp is removed at init"
            );
        }
    }
}

#[test]
fn in_report_mode_a_replaced_runtime_is_logged_and_served() {
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let Some(python) = python() else { return };
    let mut guarded = start(&python, &[("FNGUARD_MODE", "report")]);
    let dir = guarded.tmp.path().to_string_lossy().into_owned();
    let emulator = &mut guarded.emulator;
    invoke(emulator, json!({"action": "replace-runtime", "dir": dir}));
    let next = invoke(emulator, json!({"action": "echo", "n": 2}));
    assert_eq!(next.json()["event"]["n"], 2, "{}", emulator.log_text());
    assert!(
        has_line(emulator, "integrity.process", "report"),
        "{}",
        emulator.log_text()
    );
    assert!(!logged(emulator, "integrity.process", "deny"));
}

/// The guard under Node.js's runtime client (aws-lambda-ric, from npm):
/// the same proxy serves it, an untouched function passes every check, and
/// a code file changed between invocations is caught before the next event
/// reaches the handler.
#[test]
fn a_node_function_runs_through_the_guard_and_a_changed_file_is_caught() {
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let Some(runtime) = node_runtime() else {
        return;
    };
    let function = Function {
        files: vec![(function_dir("node-basic").join("app.mjs"), "app.mjs")],
        handler: "app.handler",
        runtime,
        env: Vec::new(),
    };
    let mut guarded = guarded_with(function, &[], true).unwrap_or_else(|e| panic!("{e}"));
    let emulator = &mut guarded.emulator;
    for n in 0..3 {
        let answer = invoke(emulator, json!({"n": n}));
        let body = answer.json();
        assert_eq!(body["event"]["n"], n, "{}", emulator.log_text());
        assert!(
            body["runtime"]
                .as_str()
                .is_some_and(|r| r.starts_with("node v")),
            "{body}"
        );
        assert!(answer.reset.is_none());
    }
    let summaries = lines_of(emulator, "invocation", 3);
    assert_eq!(summaries.len(), 3, "{summaries:#?}");
    assert!(
        summaries.iter().all(|s| s["decision"] == "allow"),
        "{summaries:#?}"
    );
    std::fs::write(
        guarded.task.path().join("app.mjs"),
        "export const handler = async () => ({ intercepted: true });\n",
    )
    .unwrap();
    let emulator = &mut guarded.emulator;
    let next = invoke(emulator, json!({"n": 9}));
    assert!(
        refused_with(&next, "Fnguard.IntegrityFailure"),
        "{next:?}\n{}",
        emulator.log_text()
    );
    assert!(has_line(emulator, "integrity.files", "deny"));
}

/// A helper the function keeps running between invocations is an
/// unexpected process, unless FNGUARD_PROCESS_ALLOW names it.
#[test]
fn a_helper_left_running_passes_only_when_allowed() {
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let Some(python) = python() else { return };
    for allowed in [true, false] {
        let tools = TempDir::new("guarded-tools");
        let dir = tools.path().to_string_lossy().into_owned();
        let allow = format!("{dir}/*");
        let env: &[(&str, &str)] = if allowed {
            &[("FNGUARD_PROCESS_ALLOW", allow.as_str())]
        } else {
            &[]
        };
        let mut guarded = start(&python, env);
        let emulator = &mut guarded.emulator;
        let started = invoke(emulator, json!({"action": "helper", "dir": dir}));
        let helper = started.json()["helper"].as_u64().expect("a helper pid");
        let next = invoke(emulator, json!({"action": "echo", "n": 2}));
        let _ = std::process::Command::new("kill")
            .arg(helper.to_string())
            .status();
        if allowed {
            assert_eq!(next.json()["event"]["n"], 2, "{}", emulator.log_text());
            assert!(next.reset.is_none());
            assert!(!logged(emulator, "integrity.process", "deny"));
        } else {
            assert!(
                refused_with(&next, "Fnguard.IntegrityFailure"),
                "{next:?}\n{}",
                emulator.log_text()
            );
            let denied = lines_of(emulator, "integrity.process", 1);
            assert!(
                denied
                    .iter()
                    .any(|l| l["details"]["reason"] == "unexpected process"
                        && l["details"]["exe"] == format!("{dir}/helper")),
                "{denied:#?}"
            );
        }
    }
}

/// Attack 2: a second process, started from /tmp, takes the Runtime API
/// over in the runtime's place.
#[test]
fn another_process_calling_the_runtime_api_is_caught() {
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let Some(python) = python() else { return };
    let mut guarded = start(&python, &[]);
    let dir = guarded.tmp.path().to_string_lossy().into_owned();
    let emulator = &mut guarded.emulator;
    let started = invoke(emulator, json!({"action": "hijack", "dir": dir}));
    assert!(started.json()["hijacker"].is_u64());
    let next = invoke(emulator, json!({"action": "echo"}));
    assert!(
        refused_with(&next, "Fnguard.IntegrityFailure"),
        "{next:?}\n{}",
        emulator.log_text()
    );
    assert!(
        has_line(emulator, "integrity.process", "deny"),
        "{}",
        emulator.log_text()
    );
    let reasons: Vec<String> = guard_log(emulator)
        .iter()
        .filter(|l| l["control"] == "integrity.process" && l["decision"] == "deny")
        .map(|l| l["details"]["reason"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(
        reasons.iter().any(|r| r.contains("unexpected process")
            || r.contains("other than the runtime")
            || r.contains("new executable in tmp")),
        "{reasons:?}"
    );
}

/// Attack 3: a file of the function changes between invocations.
#[test]
fn a_file_of_the_code_changed_between_invocations_is_caught() {
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let Some(python) = python() else { return };
    for mode in ["enforce", "report"] {
        let mut guarded = start(&python, &[("FNGUARD_INTEGRITY_MODE", mode)]);
        invoke(&mut guarded.emulator, json!({"action": "echo"})).json();
        let app = guarded.task.path().join("app.py");
        let mut code = std::fs::read_to_string(&app).unwrap();
        code.push_str("\n# backdoor\n");
        std::fs::write(&app, code).unwrap();
        let next = invoke(&mut guarded.emulator, json!({"action": "echo", "n": 3}));
        let emulator = &guarded.emulator;
        if mode == "enforce" {
            assert!(
                refused_with(&next, "Fnguard.IntegrityFailure"),
                "{next:?}\n{}",
                emulator.log_text()
            );
            assert!(
                has_line(emulator, "integrity.files", "deny"),
                "{}",
                emulator.log_text()
            );
        } else {
            assert_eq!(next.json()["event"]["n"], 3);
            assert!(
                has_line(emulator, "integrity.files", "report"),
                "{}",
                emulator.log_text()
            );
        }
    }
}

/// Attack 4: connections to a host not on the allowlist and to the
/// metadata address, through the egress proxy the wrapper exported.
#[test]
fn egress_to_unlisted_hosts_and_the_metadata_address_is_refused() {
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let Some(python) = python() else { return };
    let mut guarded = start(&python, &[("FNGUARD_EGRESS_ALLOW", "api.example.com")]);
    let emulator = &mut guarded.emulator;
    for url in [
        "http://evil.example.net/steal",
        "http://169.254.169.254/latest/meta-data/iam/",
    ] {
        let answer = invoke(emulator, json!({"action": "egress", "url": url})).json();
        assert_eq!(answer["status"], 403, "{url}: {answer}");
    }
    let denied: Vec<Value> = lines_of(emulator, "egress", 2)
        .into_iter()
        .filter(|l| l["decision"] == "deny")
        .collect();
    assert_eq!(denied.len(), 2, "{denied:#?}");
    assert!(
        denied.iter().all(|l| !l.to_string().contains("/steal")),
        "paths are not logged"
    );

    let mut report = start(&python, &[("FNGUARD_EGRESS_MODE", "report")]);
    let answer = invoke(
        &mut report.emulator,
        json!({"action": "egress", "url": "http://evil.example.net/x"}),
    )
    .json();
    assert_ne!(
        answer["status"], 403,
        "report mode lets it through: {answer}"
    );
    assert!(
        has_line(&report.emulator, "egress", "report"),
        "{}",
        report.emulator.log_text()
    );
}

/// Attack 5: an event the function's schema does not allow, and one that is
/// not JSON, never reach the handler in enforce mode.
#[test]
fn invalid_events_never_reach_the_handler() {
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let Some(python) = python() else { return };
    let schemas = TempDir::new("guarded-schema");
    let schema = schemas.path().join("event.json");
    std::fs::write(
        &schema,
        json!({
            "type": "object",
            "properties": {"action": {"enum": ["echo", "env"]}, "n": {"type": "integer"}},
            "required": ["action"],
            "additionalProperties": false
        })
        .to_string(),
    )
    .unwrap();
    let schema = schema.to_string_lossy().into_owned();
    let mut guarded = start(&python, &[("FNGUARD_INPUT_SCHEMA", &schema)]);
    let emulator = &mut guarded.emulator;
    let bad = invoke(emulator, json!({"action": "echo", "n": "DROP TABLE"}));
    assert!(refused_with(&bad, "Fnguard.InputRejected"), "{bad:?}");
    assert!(!handled(emulator, &bad.request_id));
    assert!(
        bad.reset.is_none(),
        "a refused event does not reset the environment"
    );
    let malformed = emulator.invoke(b"{\"action\": ");
    assert!(
        refused_with(&malformed, "Fnguard.InputRejected"),
        "{malformed:?}"
    );
    let good = invoke(emulator, json!({"action": "echo", "n": 4}));
    assert_eq!(good.json()["event"]["n"], 4);
    let input = lines_of(emulator, "input", 2);
    assert_eq!(input.len(), 2, "{input:#?}");
    assert!(input.iter().all(|l| l["decision"] == "deny"));
    assert!(
        !input.iter().any(|l| l.to_string().contains("DROP TABLE")),
        "event values are not logged"
    );

    let mut report = start(
        &python,
        &[
            ("FNGUARD_INPUT_SCHEMA", &schema),
            ("FNGUARD_INPUT_MODE", "report"),
        ],
    );
    let seen = invoke(&mut report.emulator, json!({"action": "echo", "n": "x"}));
    assert_eq!(seen.json()["event"]["n"], "x");
    assert!(has_line(&report.emulator, "input", "report"));
}

#[test]
fn a_misconfigured_guard_fails_closed_or_open_as_set_and_says_so() {
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let Some(python) = python() else { return };
    // Closed (the default): the environment's init fails.
    let closed = guarded(&python, &[("FNGUARD_MODE", "block")]);
    let error = closed.err().expect("init fails");
    let text = error
        .logs
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        text.contains("failing closed") && text.contains("FNGUARD_MODE"),
        "{text}"
    );
    // No key to check the code with, integrity on: closed as well.
    let no_key = guarded(&python, &[("FNGUARD_PUBKEY", "")]);
    assert!(
        no_key.is_err(),
        "integrity without a key is refused at init"
    );
    // Open: the runtime runs unguarded, and both the guard and the wrapper
    // say so.
    let mut open = start(
        &python,
        &[("FNGUARD_MODE", "block"), ("FNGUARD_FAIL", "open")],
    );
    let answer = invoke(
        &mut open.emulator,
        json!({"action": "env", "names": ["AWS_LAMBDA_RUNTIME_API"]}),
    );
    assert_eq!(
        answer.json()["AWS_LAMBDA_RUNTIME_API"],
        open.emulator.api_addr().to_string()
    );
    let text = open.emulator.log_text();
    assert!(
        text.contains("failing open") && text.contains("unguarded"),
        "{text}"
    );
}
