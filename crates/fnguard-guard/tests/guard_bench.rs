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
    function_dir, install_command_as_extension, python_env, python_runtime,
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

/// The function, with or without the guard installed as its layer would.
fn config(
    python: &Path,
    task: &Path,
    key: &SecretKey,
    opt: &TempDir,
    tmp: &TempDir,
    guard: bool,
) -> EmulatorConfig {
    let mut config =
        EmulatorConfig::new(task, "app.handler", python_runtime(python, "app.handler"));
    config.env = python_env();
    config.timeout = Duration::from_secs(10);
    if guard {
        let wrapper = opt.path().join("wrapper");
        std::fs::write(&wrapper, WRAPPER).unwrap();
        set_executable(&wrapper);
        config.exec_wrapper = Some(wrapper);
        config.extensions = vec![install_command_as_extension(
            opt.path(),
            "fnguard-guard",
            Path::new(env!("CARGO_BIN_EXE_fnguard-guard")),
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

/// The guard's process (a child of this process named fnguard-guard) and
/// its peak resident memory in KiB.
fn guard_peak_rss_kib() -> Option<u64> {
    let me = std::process::id().to_string();
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        let Some(close) = stat.rfind(')') else {
            continue;
        };
        let comm = &stat[stat.find('(').map_or(0, |i| i + 1)..close];
        let ppid = stat[close + 1..].split_whitespace().nth(1).unwrap_or("");
        if comm == "fnguard-guard" && ppid == me {
            let status = std::fs::read_to_string(entry.path().join("status")).ok()?;
            return status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok());
        }
    }
    None
}

#[test]
#[ignore = "a benchmark: bench/guard/run.sh"]
fn guard_costs() {
    let Some(python) = python_with_awslambdaric() else {
        return;
    };
    let payload = br#"{"action":"echo","order":{"id":"o-1","items":[1,2,3]}}"#;

    // Latency: the same small function, alternating without and with the
    // guard (all controls enforcing), warmed up first.
    let (small, key) = package(0);
    let mut rows = Vec::new();
    let mut rss = None;
    for guard in [false, true] {
        let (opt, tmp) = (TempDir::new("bench-opt"), TempDir::new("bench-tmp"));
        let mut emulator = Emulator::start(config(&python, small.path(), &key, &opt, &tmp, guard))
            .unwrap_or_else(|e| panic!("{e}"));
        emulator.invoke_many(200, payload);
        let mut latencies = emulator.invoke_many(INVOCATIONS, payload);
        let p50 = percentile(&mut latencies, 0.50);
        let p99 = percentile(&mut latencies, 0.99);
        if guard {
            rss = guard_peak_rss_kib();
        }
        rows.push((guard, p50, p99));
    }
    let (_, base50, base99) = rows[0];
    let (_, guard50, guard99) = rows[1];

    // Init: a 50 MB signed package, a fresh environment each run.
    let (big, big_key) = package(50);
    let mut inits = [Vec::new(), Vec::new()];
    for run in 0..INIT_RUNS * 2 {
        let guard = run % 2 == 1;
        let (opt, tmp) = (TempDir::new("bench-opt"), TempDir::new("bench-tmp"));
        let emulator = Emulator::start(config(&python, big.path(), &big_key, &opt, &tmp, guard))
            .unwrap_or_else(|e| panic!("{e}"));
        inits[usize::from(guard)].push(emulator.init_duration());
    }
    let init_base = percentile(&mut inits[0], 0.5);
    let init_guard = percentile(&mut inits[1], 0.5);

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
    println!(
        "| init, 50 MB signed package (median of {INIT_RUNS}) | {:.1} ms | {:.1} ms | **{:.1} ms** |",
        init_base.as_secs_f64() * 1e3,
        init_guard.as_secs_f64() * 1e3,
        (init_guard.as_secs_f64() - init_base.as_secs_f64()) * 1e3
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
