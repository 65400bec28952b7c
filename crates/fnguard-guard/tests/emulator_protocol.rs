//! The emulator's HTTP side: a custom runtime in sh and curl posts its
//! responses chunked after `Expect: 100-continue`; the API refuses calls
//! Lambda refuses (unknown routes, late registration, unknown ids) and
//! answers an oversized response with Lambda's error. Skipped loudly
//! without curl unless FNGUARD_REQUIRE_TOOLS is set.

mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use support::emulator::{Emulator, EmulatorConfig, Outcome, MAX_RESPONSE_BYTES};
use support::fixtures::{curl, function_dir, TempDir};

/// The echo runtime of tests/data/functions/curl-runtime, its scratch files
/// in `scratch`.
fn curl_runtime(scratch: &TempDir) -> Emulator {
    let bootstrap = function_dir("curl-runtime").join("bootstrap");
    let mut config = EmulatorConfig::new(
        scratch.path(),
        "echo",
        vec![bootstrap.to_string_lossy().into_owned()],
    );
    config.env.push((
        "CURL_RUNTIME_SCRATCH".to_string(),
        scratch.path().to_string_lossy().into_owned(),
    ));
    Emulator::start(config).unwrap_or_else(|e| panic!("{e}"))
}

/// One HTTP/1.1 exchange on a fresh connection: the status and the body.
fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {answer:?}"));
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn chunked_responses_after_expect_100_continue_are_read_whole() {
    if curl().is_none() {
        return;
    }
    let scratch = TempDir::new("emu-curl");
    let mut emulator = curl_runtime(&scratch);
    // 2 MB: several chunks, and larger than any single read.
    let payload = format!("{{\"blob\":\"{}\"}}", "x".repeat(2 * 1024 * 1024));
    let echoed = emulator.invoke(payload.as_bytes());
    assert_eq!(
        echoed.response(),
        payload.as_bytes(),
        "{}",
        emulator.log_text()
    );
    // curl waits a full second for `100 Continue` before sending anyway:
    // well under that, the emulator did answer it.
    assert!(echoed.latency < Duration::from_millis(900), "{echoed:?}");
    let small = emulator.invoke(b"{\"n\":1}");
    assert_eq!(small.response(), b"{\"n\":1}");
}

#[test]
fn a_response_over_6_mb_is_refused_with_lambdas_error() {
    if curl().is_none() {
        return;
    }
    let scratch = TempDir::new("emu-curl");
    let mut emulator = curl_runtime(&scratch);
    let payload = format!("\"{}\"", "y".repeat(MAX_RESPONSE_BYTES));
    let refused = emulator.invoke(payload.as_bytes());
    assert_eq!(
        refused.outcome,
        Outcome::FunctionError {
            error_type: "Function.ResponseSizeTooLarge".to_string(),
            body: Vec::new()
        }
    );
}

#[test]
fn the_api_refuses_what_lambda_refuses() {
    if curl().is_none() {
        return;
    }
    let scratch = TempDir::new("emu-curl");
    let emulator = curl_runtime(&scratch);
    let addr = emulator.api_addr();

    let (status, body) = http(addr, "GET", "/2018-06-01/runtime/nowhere", &[], "");
    assert_eq!(status, 404, "{body}");

    // Registration is over once Init is done, and a name is required.
    let (status, body) = http(
        addr,
        "POST",
        "/2020-01-01/extension/register",
        &[("Lambda-Extension-Name", "late")],
        r#"{"events":["INVOKE"]}"#,
    );
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("Extension.InvalidState"), "{body}");
    let (status, body) = http(
        addr,
        "POST",
        "/2020-01-01/extension/register",
        &[],
        r#"{"events":[]}"#,
    );
    assert_eq!(status, 400, "{body}");

    let (status, body) = http(
        addr,
        "GET",
        "/2020-01-01/extension/event/next",
        &[("Lambda-Extension-Identifier", "not-an-extension")],
        "",
    );
    assert_eq!(status, 403, "{body}");
    assert!(
        body.contains("Extension.InvalidExtensionIdentifier"),
        "{body}"
    );

    // No invocation is running: an answer for any id is refused.
    let (status, body) = http(
        addr,
        "POST",
        "/2018-06-01/runtime/invocation/0000-unknown/response",
        &[],
        "{}",
    );
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("InvalidRequestID"), "{body}");
    let (status, body) = http(
        addr,
        "POST",
        "/2020-01-01/extension/exit/error",
        &[("Lambda-Extension-Identifier", "not-an-extension")],
        "{}",
    );
    assert_eq!(status, 400, "missing error type header: {body}");
}

/// An executable shell script in `dir` (an extension or a runtime).
fn script(dir: &TempDir, name: &str, body: &str) -> std::path::PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    support::fixtures::set_executable(&path);
    path
}

#[test]
fn init_fails_on_an_extension_that_never_registers_and_kills_it() {
    let dir = TempDir::new("emu-init");
    let pid_file = dir.path().join("silent.pid");
    let silent = script(
        &dir,
        "silent",
        &format!("echo $$ > {}\nexec sleep 30", pid_file.display()),
    );
    let runtime = script(&dir, "bootstrap", "exec sleep 30");
    let mut config = EmulatorConfig::new(
        dir.path(),
        "none",
        vec![runtime.to_string_lossy().into_owned()],
    );
    config.extensions.push(silent);
    config.init_timeout = Duration::from_millis(500);
    let started = std::time::Instant::now();
    let error = match Emulator::start(config) {
        Ok(_) => panic!("Init must time out"),
        Err(error) => error,
    };
    assert!(
        error.reason.starts_with("Extension.InitTimeout") && error.reason.contains("silent"),
        "{error}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    let pid = std::fs::read_to_string(&pid_file).unwrap();
    assert!(
        !std::path::Path::new(&format!("/proc/{}", pid.trim())).exists(),
        "the extension outlived its failed Init"
    );
}

#[test]
fn init_fails_when_the_runtime_exits_or_never_calls_next() {
    let dir = TempDir::new("emu-init");
    let exits = script(&dir, "exits", "echo 'no handler here' >&2\nexit 7");
    let mut config = EmulatorConfig::new(
        dir.path(),
        "none",
        vec![exits.to_string_lossy().into_owned()],
    );
    config.init_timeout = Duration::from_secs(5);
    let error = Emulator::start(config.clone())
        .err()
        .expect("Init must fail");
    assert_eq!(
        error.reason,
        "Runtime.ExitError: the runtime exited with status 7"
    );
    assert!(
        error
            .logs
            .iter()
            .any(|l| l.process == "runtime" && l.text == "no handler here"),
        "{error}"
    );

    let idle = script(&dir, "idle", "exec sleep 30");
    config.runtime = vec![idle.to_string_lossy().into_owned()];
    config.init_timeout = Duration::from_millis(300);
    let error = Emulator::start(config).err().expect("Init must time out");
    assert!(error.reason.starts_with("Sandbox.Timedout"), "{error}");
}
