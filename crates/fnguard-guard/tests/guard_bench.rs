//! The guard's costs, measured in the emulator side by side with the same
//! function without the guard, in one run: added latency per invocation
//! (p50, p99), added init (cold start) for a 50 MB signed package and the
//! guard's peak RSS (the script adds the binary's size). A benchmark, not a test:
//! `#[ignore]`d, run by bench/guard/run.sh in release mode, and it prints
//! a table for BENCHMARKS.md; it asserts only that the runs worked.

mod support;

use fnguard_guard::layer::WRAPPER;
use fnguard_sign::minisign::SecretKey;
use fnguard_sign::seal::{self, SealOptions};
use std::net::TcpListener;
use std::path::Path;
use std::time::Duration;
use support::emulator::{Emulator, EmulatorConfig};
use support::fixtures::{
    function_dir, guard_binary, install_command_as_extension, python_env, python_runtime,
    python_with_awslambdaric, set_executable, TempDir,
};

const INVOCATIONS: usize = 2000;
const INIT_RUNS: usize = 7;

fn free_port() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
    listener.local_addr().expect("address").port().to_string()
}

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    let index = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[index]
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// A task root with the test function and `extra_mb` of incompressible
/// files (a dependency tree's worth), signed.
fn package(extra_mb: usize) -> (TempDir, SecretKey) {
    let task = TempDir::new("bench-task");
    std::fs::copy(
        function_dir("python-basic").join("app.py"),
        task.path().join("app.py"),
    )
    .unwrap();
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    for file in 0..extra_mb * 4 {
        let folder = task.path().join(format!("lib/pkg{}", file % 16));
        std::fs::create_dir_all(&folder).unwrap();
        let bytes: Vec<u8> = (0..256 * 1024)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        std::fs::write(folder.join(format!("f{file}.bin")), bytes).unwrap();
    }
    let key = SecretKey::generate().unwrap();
    let options = SealOptions {
        created: "2026-12-06T04:00:00Z".into(),
        created_unix: 1_796_529_600,
        ..SealOptions::default()
    };
    let sealed = seal::seal(task.path(), &key, &options).unwrap();
    seal::write_into(&sealed, task.path()).unwrap();
    (task, key)
}

/// A wrapper that puts a bare TCP relay (socat, one process per
/// connection, no HTTP parsing) between the runtime and the Runtime API:
/// the least any proxy in that place can add on this machine.
const RELAY_WRAPPER: &str = r#"#!/bin/sh
port="$FNGUARD_BENCH_RELAY_PORT"
socat "TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork,nodelay" "TCP:$AWS_LAMBDA_RUNTIME_API,nodelay" &
echo $! > "$FNGUARD_BENCH_RELAY_PID"
until socat -u /dev/null "TCP:127.0.0.1:$port" 2>/dev/null; do sleep 0.01; done
export AWS_LAMBDA_RUNTIME_API="127.0.0.1:$port"
exec "$@"
"#;

/// What stands between the runtime and the Runtime API.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Between {
    Nothing,
    Relay,
    /// The guard as an extension (following INVOKE) without its wrapper:
    /// the runtime talks to the API directly. What any extension that
    /// follows INVOKE costs here.
    ExtensionOnly,
    Guard,
}

/// The function, with or without the guard installed as its layer would.
fn config(
    python: &Path,
    task: &Path,
    key: &SecretKey,
    opt: &TempDir,
    tmp: &TempDir,
    between: Between,
) -> EmulatorConfig {
    let mut config =
        EmulatorConfig::new(task, "app.handler", python_runtime(python, "app.handler"));
    config.env = python_env();
    config.timeout = Duration::from_secs(10);
    if between == Between::Relay {
        let wrapper = opt.path().join("relay");
        std::fs::write(&wrapper, RELAY_WRAPPER).unwrap();
        set_executable(&wrapper);
        config.exec_wrapper = Some(wrapper);
        config
            .env
            .push(("FNGUARD_BENCH_RELAY_PORT".into(), free_port()));
        config.env.push((
            "FNGUARD_BENCH_RELAY_PID".into(),
            tmp.path().join("relay.pid").to_string_lossy().into_owned(),
        ));
    }
    if matches!(between, Between::Guard | Between::ExtensionOnly) {
        if between == Between::Guard {
            let wrapper = opt.path().join("wrapper");
            std::fs::write(&wrapper, WRAPPER).unwrap();
            set_executable(&wrapper);
            config.exec_wrapper = Some(wrapper);
        }
        config.extensions = vec![install_command_as_extension(
            opt.path(),
            "fnguard-guard",
            &guard_binary(),
            &[],
        )];
        for (name, value) in [
            ("FNGUARD_PUBKEY", key.public_key().to_base64()),
            ("FNGUARD_TMP", tmp.path().to_string_lossy().into_owned()),
            ("FNGUARD_TASK_ROOT", task.to_string_lossy().into_owned()),
            ("FNGUARD_PROXY_PORT", free_port()),
            ("FNGUARD_EGRESS_PORT", free_port()),
            (
                "FNGUARD_KEY_DIR",
                opt.path().join("keys").to_string_lossy().into_owned(),
            ),
        ] {
            config.env.push((name.to_string(), value));
        }
        // FNGUARD_BENCH_ENV="FNGUARD_PROCESS_MODE=off,...": the same run
        // with some controls changed, to see what each costs.
        for pair in std::env::var("FNGUARD_BENCH_ENV")
            .unwrap_or_default()
            .split(',')
        {
            if let Some((name, value)) = pair.split_once('=') {
                config.env.push((name.to_string(), value.to_string()));
            }
        }
    }
    config
}

/// The peak resident memory, in KiB, of the guard processes (children of
/// this process named fnguard-guard*): the largest, when the extension-only
/// environment runs one too.
fn guard_peak_rss_kib() -> Option<u64> {
    let me = std::process::id().to_string();
    let mut largest = None;
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        let Some(close) = stat.rfind(')') else {
            continue;
        };
        let comm = &stat[stat.find('(').map_or(0, |i| i + 1)..close];
        let ppid = stat[close + 1..].split_whitespace().nth(1).unwrap_or("");
        // comm is cut at 15 bytes: `fnguard-guard-x` for the static
        // build's dist/fnguard-guard-x86_64.
        if comm.starts_with("fnguard-guard") && ppid == me {
            let status = std::fs::read_to_string(entry.path().join("status")).unwrap_or_default();
            let peak: Option<u64> = status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok());
            largest = largest.max(peak);
        }
    }
    largest
}

#[test]
#[ignore = "a benchmark: bench/guard/run.sh"]
fn guard_costs() {
    let Some(python) = python_with_awslambdaric() else {
        return;
    };
    let payload = br#"{"action":"echo","order":{"id":"o-1","items":[1,2,3]}}"#;

    // Latency: the same small function with and without the guard (all
    // controls enforcing), both environments up at once and invoked in
    // turn, so that the machine's drift touches both alike; warmed up first.
    let (small, key) = package(0);
    let relay = std::process::Command::new("socat")
        .arg("-V")
        .output()
        .is_ok_and(|out| out.status.success());
    // The guard last: processes that start after it are unexpected to it
    // (the scope here is every descendant of this test).
    let mut setups = vec![Between::Nothing];
    if relay {
        setups.push(Between::Relay);
    }
    setups.push(Between::ExtensionOnly);
    setups.push(Between::Guard);
    let dirs: Vec<(TempDir, TempDir)> = setups
        .iter()
        .map(|_| (TempDir::new("bench-opt"), TempDir::new("bench-tmp")))
        .collect();
    let mut emulators: Vec<Emulator> = setups
        .iter()
        .zip(&dirs)
        .map(|(between, (opt, tmp))| {
            Emulator::start(config(&python, small.path(), &key, opt, tmp, *between))
                .unwrap_or_else(|e| panic!("{e}"))
        })
        .collect();
    let mut latencies = vec![Vec::new(); setups.len()];
    for round in 0..200 + INVOCATIONS {
        for (which, emulator) in emulators.iter_mut().enumerate() {
            let latency = emulator.invoke_many(1, payload)[0];
            if round >= 200 {
                latencies[which].push(latency);
            }
        }
    }
    let rss = guard_peak_rss_kib();
    // The checks' own time, from each invocation's summary line: on the
    // event's path, and in the post-invoke phase before it.
    let summaries: Vec<serde_json::Value> = emulators[setups.len() - 1]
        .logs()
        .iter()
        .filter_map(|line| serde_json::from_str(&line.text).ok())
        .filter(|line: &serde_json::Value| line["control"] == "invocation")
        .collect();
    let mut checks_us: Vec<u64> = summaries
        .iter()
        .filter_map(|line| line["details"]["guard_us"].as_u64())
        .collect();
    let mut prepared_us: Vec<u64> = summaries
        .iter()
        .filter_map(|line| line["details"]["prepared_us"].as_u64())
        .collect();
    drop(emulators);
    for (_, tmp) in &dirs {
        // The relay outlives its runtime (its parent): stopped here.
        if let Ok(pid) = std::fs::read_to_string(tmp.path().join("relay.pid")) {
            let _ = std::process::Command::new("kill").arg(pid.trim()).status();
        }
    }
    let rows: Vec<(Duration, Duration)> = latencies
        .iter_mut()
        .map(|samples| (percentile(samples, 0.50), percentile(samples, 0.99)))
        .collect();
    let (base50, base99) = rows[0];
    let (guard50, guard99) = rows[setups.len() - 1];
    let relay_row = relay.then(|| rows[1]);
    let extension_row = rows[setups.len() - 2];

    // Init: a 50 MB signed package, a fresh environment each run.
    let (big, big_key) = package(50);
    let mut inits = [Vec::new(), Vec::new()];
    let mut guard_init_ms: Vec<f64> = Vec::new();
    for run in 0..INIT_RUNS * 2 {
        let guard = run % 2 == 1;
        let (opt, tmp) = (TempDir::new("bench-opt"), TempDir::new("bench-tmp"));
        let between = if guard {
            Between::Guard
        } else {
            Between::Nothing
        };
        let emulator = Emulator::start(config(&python, big.path(), &big_key, &opt, &tmp, between))
            .unwrap_or_else(|e| panic!("{e}"));
        inits[usize::from(guard)].push(emulator.init_duration());
        if guard {
            // The guard's own count, from its ready line.
            let ready = emulator.wait_for_log(Duration::from_secs(5), |line| {
                line.text.contains(r#""reason":"ready""#)
            });
            assert!(ready, "the guard said it was ready");
            if let Some(ms) = emulator.logs().iter().find_map(|line| {
                let value: serde_json::Value = serde_json::from_str(&line.text).ok()?;
                (value["details"]["reason"] == "ready")
                    .then(|| value["details"]["init_ms"].as_f64())
                    .flatten()
            }) {
                guard_init_ms.push(ms);
            }
        }
    }
    let init_base = percentile(&mut inits[0], 0.5);
    let init_guard = percentile(&mut inits[1], 0.5);
    guard_init_ms.sort_by(f64::total_cmp);

    println!("| measure | without the guard | with the guard | added |");
    println!("|---|---|---|---|");
    println!(
        "| invocation latency p50 ({INVOCATIONS} warm invocations) | {:.0} µs | {:.0} µs | **{:.0} µs** |",
        micros(base50),
        micros(guard50),
        micros(guard50) - micros(base50)
    );
    println!(
        "| invocation latency p99 | {:.0} µs | {:.0} µs | **{:.0} µs** |",
        micros(base99),
        micros(guard99),
        micros(guard99) - micros(base99)
    );
    if let Some((relay50, relay99)) = relay_row {
        println!(
            "| the floor: a bare TCP relay (socat) in the proxy's place, p50 / p99 | | {:.0} / {:.0} µs | **{:.0} / {:.0} µs** |",
            micros(relay50),
            micros(relay99),
            micros(relay50) - micros(base50),
            micros(relay99) - micros(base99)
        );
    }
    println!(
        "| the guard's extension alone (following INVOKE, no wrapper: the runtime talks to the API directly), p50 / p99 | | {:.0} / {:.0} µs | **{:.0} / {:.0} µs** |",
        micros(extension_row.0),
        micros(extension_row.1),
        micros(extension_row.0) - micros(base50),
        micros(extension_row.1) - micros(base99)
    );
    for (what, samples) in [
        ("on the event's path", &mut checks_us),
        ("in the post-invoke phase", &mut prepared_us),
    ] {
        samples.sort_unstable();
        println!(
            "| the checks {what}, p50 / p99 | | {} / {} µs | |",
            samples.get(samples.len() / 2).copied().unwrap_or_default(),
            samples
                .get(samples.len() * 99 / 100)
                .copied()
                .unwrap_or_default()
        );
    }
    println!(
        "| init, 50 MB signed package (median of {INIT_RUNS}) | {:.1} ms | {:.1} ms | **{:.1} ms** |",
        init_base.as_secs_f64() * 1e3,
        init_guard.as_secs_f64() * 1e3,
        (init_guard.as_secs_f64() - init_base.as_secs_f64()) * 1e3
    );
    println!(
        "| of which the guard's own init (its ready line: settings, manifest verified, 50 MB hashed, proxies up), median | | {:.1} ms | |",
        guard_init_ms
            .get(guard_init_ms.len() / 2)
            .copied()
            .unwrap_or_default()
    );
    println!(
        "| guard peak RSS (VmHWM) after {} invocations | | {} | |",
        INVOCATIONS + 200,
        rss.map_or("not found".to_string(), |kib| format!(
            "{:.1} MB",
            kib as f64 / 1024.0
        ))
    );
    assert!(rss.is_some(), "the guard's process was found");
}
