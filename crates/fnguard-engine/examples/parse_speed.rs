//! YAML parsing speed, fast path versus yaml-rust2 alone, on every YAML
//! file under the given folders, in CPU time (user+sys of this process, so
//! other load on the machine does not count):
//! `cargo run --release -p fnguard-engine --example parse_speed -- bench/corpus`.

// The allocator the scan uses (declared by the engine).
use fnguard_engine as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn cpu_time() -> Duration {
    // utime and stime of this process, in clock ticks (fields 14 and 15).
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, s)| s).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i).and_then(|f| f.parse::<u64>().ok()))
        .sum();
    Duration::from_millis(ticks * 10)
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

fn main() {
    let mut files = Vec::new();
    for dir in std::env::args().skip(1) {
        collect(Path::new(&dir), &mut files);
    }
    let texts: Vec<String> = files
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect();
    let bytes: usize = texts.iter().map(String::len).sum();
    let rounds = 3;
    for (name, parse) in [
        (
            "fast path",
            fnguard_model::yaml::parse as fn(&str, u32, &str) -> _,
        ),
        ("yaml-rust2", fnguard_model::yaml::parse_slow),
    ] {
        let start = cpu_time();
        let mut nodes = 0usize;
        for _ in 0..rounds {
            for text in &texts {
                if let Ok(node) = parse(text, 0, "x") {
                    nodes += node.as_map().map_or(1, |m| m.len());
                }
            }
        }
        let spent = (cpu_time() - start).as_secs_f64().max(1e-3);
        println!(
            "{name:<10} {} files, {:.1} MB x {rounds}: {:.2} s CPU, {:.0} MB/s ({nodes})",
            texts.len(),
            bytes as f64 / 1e6,
            spent,
            bytes as f64 * rounds as f64 / 1e6 / spent
        );
    }
}
