//! The Lambda emulator (tests/support/emulator.rs) with a real runtime:
//! Python handlers under awslambdaric, and an extension written in Python
//! (tests/support/extensions/probe.py) that registers and follows INVOKE
//! and SHUTDOWN or fails on purpose. Skipped loudly without python3 and
//! awslambdaric unless FNGUARD_REQUIRE_TOOLS is set.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{json, Value};
use support::emulator::{Emulator, EmulatorConfig, Invocation, Outcome, ShutdownReason, Stream};
use support::fixtures::{
    function_dir, install_extension, python_env, python_runtime, python_with_awslambdaric, TempDir,
};

fn config(python: &Path) -> EmulatorConfig {
    let mut config = EmulatorConfig::new(
        function_dir("python-basic"),
        "app.handler",
        python_runtime(python, "app.handler"),
    );
    config.env = python_env();
    config
}

/// The config with the probe extension installed as `opt/extensions/probe`.
fn with_probe(python: &Path, opt: &TempDir, env: &[(&str, &str)]) -> EmulatorConfig {
    let mut config = config(python);
    config
        .extensions
        .push(install_extension(opt.path(), "probe.py", "probe", python));
    config
        .env
        .extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    config
}

fn start(config: EmulatorConfig) -> Emulator {
    Emulator::start(config).unwrap_or_else(|e| panic!("{e}"))
}

fn invoke_json(emulator: &mut Emulator, event: Value) -> Invocation {
    emulator.invoke(event.to_string().as_bytes())
}

/// The JSON lines the probe extension printed.
fn probe_lines(emulator: &Emulator) -> Vec<Value> {
    emulator
        .logs()
        .iter()
        .filter(|l| l.process == "probe" && l.stream == Stream::Stdout)
        .filter_map(|l| serde_json::from_str(&l.text).ok())
        .collect()
}

fn probe_states(emulator: &Emulator, state: &str) -> Vec<Value> {
    probe_lines(emulator)
        .into_iter()
        .filter(|v| v["state"] == state)
        .collect()
}

/// Waits for the probe to print `count` lines with this state.
fn wait_probe(emulator: &Emulator, state: &str, count: usize) -> Vec<Value> {
    let pattern = format!("\"state\": \"{state}\"");
    emulator.wait_for_log(Duration::from_secs(5), |_| {
        emulator
            .logs()
            .iter()
            .filter(|l| l.process == "probe" && l.text.contains(&pattern))
            .count()
            >= count
    });
    probe_states(emulator, state)
}

#[test]
fn python_handler_answers_invocations_in_a_warm_environment() {
    let Some(python) = python_with_awslambdaric() else {
        return;
    };
    let mut emulator = start(config(&python));
    assert!(emulator.init_duration() > Duration::ZERO);
    let first = invoke_json(&mut emulator, json!({"hello": "world"}));
    let answer = first.json();
    assert_eq!(answer["event"], json!({"hello": "world"}), "{answer}");
    assert_eq!(answer["request_id"], json!(first.request_id));
    assert_eq!(answer["function_name"], json!("fnguard-emulated"));
    assert_eq!(answer["arn"], json!(emulator.config().function_arn()));
    let remaining = answer["remaining_ms"].as_i64().unwrap();
    assert!(remaining > 0 && remaining <= 3000, "{remaining}");
    let task_root: PathBuf = function_dir("python-basic");
    assert_eq!(answer["cwd"], json!(task_root.to_string_lossy()));
    assert_eq!(first.reset, None);
    assert_eq!(first.init, None);
    assert!(first.latency <= first.duration);

    // Warm: the same process answers the next invocation, under a new id.
    let second = invoke_json(&mut emulator, json!({"n": 2}));
    assert_eq!(second.json()["pid"], answer["pid"]);
    assert_ne!(second.request_id, first.request_id);
    assert_eq!(
        Some(second.json()["pid"].as_u64().unwrap() as u32),
        emulator.runtime_pid()
    );
    // The handler's own print reaches the logs, attributed to the runtime.
    let marker = format!("handling {} echo", second.request_id);
    assert!(
        emulator.wait_for_log(Duration::from_secs(5), |l| l.process == "runtime"
            && l.text.contains(&marker)),
        "{}",
        emulator.log_text()
    );
}

#[test]
fn handler_exception_is_a_function_error_and_keeps_the_environment() {
    let Some(python) = python_with_awslambdaric() else {
        return;
    };
    let mut emulator = start(config(&python));
    let pid = invoke_json(&mut emulator, json!({})).json()["pid"].clone();
    let failed = invoke_json(
        &mut emulator,
        json!({"action": "fail", "message": "no such order"}),
    );
    let Outcome::FunctionError { error_type, body } = &failed.outcome else {
        panic!("expected a function error: {failed:?}");
    };
    // awslambdaric names the exception's class as the error type.
    assert_eq!(error_type, "ValueError");
    let body: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(body["errorType"], json!("ValueError"));
    assert_eq!(body["errorMessage"], json!("no such order"));
    assert_eq!(failed.reset, None);
    // A function error does not reset the environment.
    let after = invoke_json(&mut emulator, json!({}));
    assert_eq!(after.json()["pid"], pid);
    assert_eq!(after.init, None);
}

#[test]
fn extension_registers_and_follows_invoke_and_shutdown() {
    let Some(python) = python_with_awslambdaric() else {
        return;
    };
    let opt = TempDir::new("emu-opt");
    let mut emulator = start(with_probe(&python, &opt, &[]));
    let registered = wait_probe(&emulator, "registered", 1);
    assert_eq!(registered.len(), 1, "{}", emulator.log_text());
    assert_eq!(registered[0]["function_name"], json!("fnguard-emulated"));
    assert_eq!(registered[0]["handler"], json!("app.handler"));

    let first = invoke_json(&mut emulator, json!({"secret": "not for extensions"}));
    let second = invoke_json(&mut emulator, json!({}));
    assert!(matches!(first.outcome, Outcome::Response(_)));
    // Each invocation ends only when the extension is back in next, so it
    // has written both INVOKE lines (they may still be in the pipe).
    let invokes = wait_probe(&emulator, "invoke", 2);
    assert_eq!(invokes.len(), 2, "{}", emulator.log_text());
    assert_eq!(invokes[0]["request_id"], json!(first.request_id));
    assert_eq!(invokes[1]["request_id"], json!(second.request_id));
    assert_eq!(invokes[0]["arn"], json!(emulator.config().function_arn()));
    assert!(invokes[0]["deadline_ms"].as_u64().unwrap() > 0);
    // INVOKE events carry no event body.
    assert_eq!(invokes[0]["has_payload"], json!(false));
    assert!(!emulator.log_text().contains("not for extensions"));

    let report = emulator.shutdown(ShutdownReason::Spindown);
    assert_eq!(report.exited, vec!["probe".to_string()], "{report:?}");
    assert!(report.killed.is_empty(), "{report:?}");
    let shutdown = wait_probe(&emulator, "shutdown", 1);
    assert_eq!(shutdown[0]["reason"], json!("spindown"));
    assert_eq!(emulator.runtime_pid(), None);

    // After a shutdown the next invoke runs a new Init.
    let again = invoke_json(&mut emulator, json!({}));
    assert!(again.init.is_some());
    assert!(matches!(again.outcome, Outcome::Response(_)), "{again:?}");
    assert_eq!(wait_probe(&emulator, "registered", 2).len(), 2);
}

#[test]
fn extension_exit_error_resets_the_environment_and_the_next_invoke_reinitialises() {
    let Some(python) = python_with_awslambdaric() else {
        return;
    };
    let opt = TempDir::new("emu-opt");
    let mut emulator = start(with_probe(&python, &opt, &[("PROBE_EXIT_ERROR_AT", "2")]));
    let first = invoke_json(&mut emulator, json!({}));
    let first_pid = first.json()["pid"].clone();
    assert_eq!(first.reset, None);

    // The runtime may answer before the extension fails: either way the
    // environment is reset with the extension's error.
    let failed = invoke_json(&mut emulator, json!({}));
    let reason = failed.reset.clone().unwrap_or_default();
    assert!(
        reason.starts_with("Extension.ExitError") && reason.contains("Extension.ProbeFailure"),
        "{failed:?}\n{}",
        emulator.log_text()
    );
    assert_eq!(emulator.runtime_pid(), None, "torn down");

    let third = invoke_json(&mut emulator, json!({}));
    assert!(third.init.is_some(), "{third:?}");
    assert_eq!(third.reset, None);
    assert_ne!(third.json()["pid"], first_pid, "a new runtime process");
    assert_eq!(emulator.resets(), [reason]);
    assert_eq!(wait_probe(&emulator, "registered", 2).len(), 2);
}

#[test]
fn extension_crash_during_an_invocation_resets() {
    let Some(python) = python_with_awslambdaric() else {
        return;
    };
    let opt = TempDir::new("emu-opt");
    let mut emulator = start(with_probe(&python, &opt, &[("PROBE_CRASH_AT", "1")]));
    let crashed = invoke_json(&mut emulator, json!({}));
    let reason = crashed.reset.clone().unwrap_or_default();
    assert!(
        reason.starts_with("Extension.Crash: extension probe exited with status 3"),
        "{crashed:?}"
    );
}

#[test]
fn extension_init_error_fails_init() {
    let Some(python) = python_with_awslambdaric() else {
        return;
    };
    let opt = TempDir::new("emu-opt");
    let error = match Emulator::start(with_probe(&python, &opt, &[("PROBE_INIT_ERROR", "1")])) {
        Ok(_) => panic!("Init must fail after init/error"),
        Err(error) => error,
    };
    assert!(
        error.reason.starts_with("Extension.InitError") && error.reason.contains("ProbeFailure"),
        "{error}"
    );
    assert!(
        error.logs.iter().any(|l| l.text.contains("init-error")),
        "{error}"
    );
}

#[test]
fn runtime_killed_mid_invocation_resets_and_the_next_invoke_reinitialises() {
    let Some(python) = python_with_awslambdaric() else {
        return;
    };
    let mut emulator = start(config(&python));
    let died = invoke_json(&mut emulator, json!({"action": "die"}));
    assert_eq!(
        died.outcome,
        Outcome::Reset {
            reason: "Runtime.ExitError: the runtime was killed by signal 9".to_string()
        }
    );
    let next = invoke_json(&mut emulator, json!({}));
    assert!(next.init.is_some());
    assert_eq!(next.json()["event"], json!({}));
}

#[test]
fn handler_running_past_the_timeout_is_reset_and_extensions_hear_timeout() {
    let Some(python) = python_with_awslambdaric() else {
        return;
    };
    let opt = TempDir::new("emu-opt");
    let mut config = with_probe(&python, &opt, &[]);
    config.timeout = Duration::from_secs(1);
    let mut emulator = start(config);
    let slow = invoke_json(&mut emulator, json!({"action": "sleep", "seconds": 30}));
    let Outcome::Reset { reason } = &slow.outcome else {
        panic!("expected a reset: {slow:?}");
    };
    assert_eq!(
        reason,
        "Sandbox.Timedout: Task timed out after 1.00 seconds"
    );
    assert!(slow.latency >= Duration::from_secs(1), "{slow:?}");
    assert!(slow.duration < Duration::from_secs(5), "{slow:?}");
    assert_eq!(
        wait_probe(&emulator, "shutdown", 1)[0]["reason"],
        json!("timeout")
    );
    // A quick invocation in the new environment is within the timeout.
    let quick = invoke_json(&mut emulator, json!({"action": "sleep", "seconds": 0.1}));
    assert_eq!(quick.json(), json!({"slept": 0.1}));
}

#[test]
fn variables_reach_the_runtime_through_the_wrapper_and_the_extensions() {
    let Some(python) = python_with_awslambdaric() else {
        return;
    };
    let opt = TempDir::new("emu-opt");
    let mut config = with_probe(&python, &opt, &[("PROBE_GREETING", "hello")]);
    config.exec_wrapper = Some(function_dir("wrapper").join("wrapper"));
    let mut emulator = start(config);
    let names = [
        "PROBE_GREETING",
        "FNGUARD_WRAPPED",
        "_HANDLER",
        "LAMBDA_TASK_ROOT",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_RUNTIME_API",
        "AWS_LAMBDA_EXEC_WRAPPER",
    ];
    let seen = invoke_json(&mut emulator, json!({"action": "env", "names": names})).json();
    assert_eq!(seen["PROBE_GREETING"], json!("hello"));
    assert_eq!(seen["FNGUARD_WRAPPED"], json!("by-wrapper"));
    assert_eq!(seen["_HANDLER"], json!("app.handler"));
    assert_eq!(
        seen["LAMBDA_TASK_ROOT"],
        json!(function_dir("python-basic").to_string_lossy())
    );
    assert_eq!(seen["AWS_LAMBDA_FUNCTION_NAME"], json!("fnguard-emulated"));
    assert_eq!(
        seen["AWS_LAMBDA_RUNTIME_API"],
        json!(emulator.api_addr().to_string())
    );
    assert_eq!(
        seen["AWS_LAMBDA_EXEC_WRAPPER"],
        json!(function_dir("wrapper").join("wrapper").to_string_lossy())
    );
    // The wrapper execs the runtime: the process the emulator started is
    // the one that runs the handler.
    let pid = invoke_json(&mut emulator, json!({})).json()["pid"].as_u64();
    assert_eq!(pid.map(|p| p as u32), emulator.runtime_pid());
    // Extensions get the function's variables but not the runtime's own.
    let env = &wait_probe(&emulator, "registered", 1)[0]["env"];
    assert_eq!(env["PROBE_GREETING"], json!("hello"));
    assert_eq!(env["AWS_LAMBDA_FUNCTION_NAME"], json!("fnguard-emulated"));
    assert_eq!(env["_HANDLER"], Value::Null);
    assert_eq!(env["LAMBDA_TASK_ROOT"], Value::Null);
}

#[test]
fn invoke_many_measures_each_invocation() {
    let Some(python) = python_with_awslambdaric() else {
        return;
    };
    let mut emulator = start(config(&python));
    let mut latencies = emulator.invoke_many(20, b"{}");
    assert_eq!(latencies.len(), 20);
    assert!(latencies
        .iter()
        .all(|l| *l > Duration::ZERO && *l < Duration::from_secs(3)));
    latencies.sort();
    // For the record (cargo test -- --nocapture): the baseline without a
    // guard, in a debug build.
    eprintln!(
        "awslambdaric through the emulator: p50 {:?}, max {:?}, cold start {:?}",
        latencies[10],
        latencies[19],
        emulator.init_duration()
    );
}

#[test]
fn dropping_the_emulator_kills_every_process() {
    let Some(python) = python_with_awslambdaric() else {
        return;
    };
    let opt = TempDir::new("emu-opt");
    let emulator = start(with_probe(&python, &opt, &[]));
    let runtime = emulator.runtime_pid().unwrap();
    let probe_pid = probe_pid(&emulator);
    drop(emulator);
    for pid in [runtime, probe_pid] {
        let proc = PathBuf::from(format!("/proc/{pid}"));
        let gone = (0..200).any(|_| {
            std::thread::sleep(Duration::from_millis(10));
            !proc.exists()
        });
        assert!(gone, "process {pid} outlived the emulator");
    }
}

/// The probe's pid, from /proc: the process whose command line names it.
fn probe_pid(emulator: &Emulator) -> u32 {
    let path = emulator.config().extensions[0]
        .to_string_lossy()
        .into_owned();
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .find(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .map(|c| String::from_utf8_lossy(&c).contains(&path))
                .unwrap_or(false)
        })
        .expect("the probe extension runs")
}

#[test]
fn an_extension_dying_between_invocations_is_a_reset_before_the_next_invoke() {
    let Some(python) = python_with_awslambdaric() else {
        return;
    };
    let opt = TempDir::new("emu-opt");
    let mut emulator = start(with_probe(&python, &opt, &[]));
    let first = invoke_json(&mut emulator, json!({}));
    assert_eq!(first.reset, None);
    assert_eq!(emulator.wait_for_failure(Duration::from_millis(100)), None);
    let probe = probe_pid(&emulator);
    let killed = std::process::Command::new("kill")
        .args(["-KILL", &probe.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    assert_eq!(
        emulator.wait_for_failure(Duration::from_secs(5)).as_deref(),
        Some("Extension.Crash: extension probe was killed by signal 9")
    );
    let next = invoke_json(&mut emulator, json!({}));
    assert!(next.init.is_some(), "{next:?}");
    assert_eq!(next.reset, None);
    assert_ne!(next.json()["pid"], first.json()["pid"]);
    assert_eq!(
        emulator.resets(),
        ["Extension.Crash: extension probe was killed by signal 9"]
    );
}

/// The attack the guard must catch, shown to work without it: the handler
/// answers, then execs a copy of the interpreter from /tmp (or a memfd) in
/// place of the runtime; the same PID goes on serving invocations.
#[test]
fn without_a_guard_a_runtime_replaced_in_place_keeps_serving() {
    let Some(python) = python_with_awslambdaric() else {
        return;
    };
    for memfd in [false, true] {
        let dropzone = TempDir::new("emu-attack");
        let mut emulator = start(config(&python));
        let before = invoke_json(&mut emulator, json!({})).json();
        let attack = invoke_json(
            &mut emulator,
            json!({"action": "replace-runtime", "dir": dropzone.path(), "memfd": memfd}),
        );
        assert_eq!(attack.json()["replaced"], json!(true), "{attack:?}");
        assert_eq!(attack.reset, None);
        let after = invoke_json(&mut emulator, json!({})).json();
        assert_eq!(after["pid"], before["pid"], "same process");
        assert_eq!(after["event"], json!({}), "still serving");
        let exe = after["exe"].as_str().unwrap();
        if memfd {
            assert!(exe.starts_with("/memfd:runtime"), "{exe}");
        } else {
            assert_eq!(exe, dropzone.path().join("runtime").to_string_lossy());
        }
        assert_ne!(after["exe"], before["exe"]);
        assert!(emulator.resets().is_empty());
    }
}

#[test]
fn a_command_installed_as_an_extension_runs_with_its_arguments() {
    let Some(python) = python_with_awslambdaric() else {
        return;
    };
    let opt = TempDir::new("emu-opt");
    let probe =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/extensions/probe.py");
    // A quote in the name: the launcher must pass it through intact.
    let name = "it's-probe";
    let mut config = config(&python);
    config
        .extensions
        .push(support::fixtures::install_command_as_extension(
            opt.path(),
            name,
            &python,
            &[&probe.to_string_lossy(), name],
        ));
    let mut emulator = start(config);
    let invocation = invoke_json(&mut emulator, json!({}));
    assert_eq!(invocation.reset, None);
    assert!(
        emulator.wait_for_log(Duration::from_secs(5), |l| l.process == name
            && l.text.contains("\"state\": \"invoke\"")),
        "{}",
        emulator.log_text()
    );
}

/// As Lambda (and its runtime interface emulator) does: the runtime starts
/// once every extension has registered, without waiting for their first
/// `next`; Init ends when all are in `next`. An extension that must be
/// ready before the runtime (a Runtime API proxy) has to be ready before it
/// registers.
#[test]
fn the_runtime_starts_once_extensions_registered_before_their_first_next() {
    let Some(python) = python_with_awslambdaric() else {
        return;
    };
    let opt = TempDir::new("emu-opt");
    let emulator = start(with_probe(
        &python,
        &opt,
        &[("PROBE_READY_AFTER_MS", "700")],
    ));
    wait_probe(&emulator, "ready", 1);
    let order: Vec<String> = emulator
        .logs()
        .iter()
        .filter_map(|l| {
            if l.text == "function init" {
                Some("function init".to_string())
            } else if l.process == "probe" {
                serde_json::from_str::<Value>(&l.text)
                    .ok()
                    .map(|v| v["state"].as_str().unwrap_or_default().to_string())
            } else {
                None
            }
        })
        .collect();
    assert_eq!(
        order,
        ["registered", "function init", "ready"],
        "{}",
        emulator.log_text()
    );
    // Init waited for the extension's next.
    assert!(emulator.init_duration() >= Duration::from_millis(700));
}
