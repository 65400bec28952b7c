//! Benchmark: every privilege-escalation method against N policies (one
//! principal per policy), on one thread.
//!
//!     cargo run --release -p fnguard-iam --example privesc_bench -- bench/iam/out/policies.json [FLAGGED.json]
//!
//! With FLAGGED.json, also writes which policies can escalate in the open
//! world and by which methods (`{"index": [["method", "allowed"], ...]}`),
//! for bench/iam/compare.py.
//!
//! Prints the parse time, the assessment time (the figure the issue's
//! "10,000 policies x every method < 1 s" target is about), and how many
//! escalations of each strength were found. Environment: open world (no
//! roles known), and again with a small IaC-like environment.

use fnguard_core::Loc;
use fnguard_iam::parse::{from_json, parse_policy};
use fnguard_iam::privesc::{assess, methods, Environment, FunctionInfo, Power, RoleInfo};
use fnguard_iam::{Context, Decision, Policy};
use std::collections::BTreeMap;
use std::time::Instant;

fn main() {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "bench/iam/out/policies.json".to_string());
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let started = Instant::now();
    let docs: Vec<serde_json::Value> = serde_json::from_str(&text).expect("a JSON array");
    let policies: Vec<Policy> = docs
        .iter()
        .map(|d| parse_policy(&from_json(d, Loc::default())))
        .collect();
    let parse = started.elapsed();
    // Build the catalogs outside the timed part: they are parsed once per
    // process, not per policy.
    let _ = methods();
    let _ = fnguard_iam::catalog();

    let ctx = Context::new();
    let open = Environment::default();
    let account = "123456789012";
    let apps = ["orders", "billing", "users", "media", "search"];
    let iac = Environment {
        roles: apps
            .iter()
            .map(|a| RoleInfo {
                arn: format!("arn:aws:iam::{account}:role/{a}-role"),
                trusted_services: vec!["lambda.amazonaws.com".into()],
                trust_known: true,
                power: if *a == "orders" {
                    Power::Admin
                } else {
                    Power::Unknown
                },
            })
            .collect(),
        functions: apps
            .iter()
            .map(|a| FunctionInfo {
                arn: format!("arn:aws:lambda:eu-west-1:{account}:function:{a}-worker"),
                role: Some(format!("arn:aws:iam::{account}:role/{a}-role")),
            })
            .collect(),
        ..Environment::default()
    };
    for (label, env) in [("open world", &open), ("IaC environment", &iac)] {
        let started = Instant::now();
        let cpu_started = thread_cpu_ns();
        let mut allowed = 0usize;
        let mut conditional = 0usize;
        let mut principals = 0usize;
        let mut per_method: BTreeMap<&str, usize> = BTreeMap::new();
        let mut flagged = serde_json::Map::new();
        // Recording costs time: only when asked (and then the timing of
        // the open-world pass includes it).
        let record = label == "open world" && std::env::args().nth(2).is_some();
        for (index, p) in policies.iter().enumerate() {
            let found = assess(&[p], &ctx, env);
            if record && !found.is_empty() {
                let list = found
                    .iter()
                    .map(|e| serde_json::json!([e.method.id, format!("{:?}", e.strength)]))
                    .collect();
                flagged.insert(index.to_string(), serde_json::Value::Array(list));
            }
            principals += usize::from(!found.is_empty());
            for e in &found {
                match e.strength {
                    Decision::Allowed => allowed += 1,
                    _ => conditional += 1,
                }
                *per_method.entry(e.method.id.as_str()).or_default() += 1;
            }
        }
        let elapsed = started.elapsed();
        let cpu = match (cpu_started, thread_cpu_ns()) {
            (Some(a), Some(b)) => format!(", {:.4} s CPU", (b - a) as f64 / 1e9),
            _ => String::new(),
        };
        println!(
            "{label}: {} policies x {} methods assessed in {:.4} s{cpu} ({:.1} us/policy); \
             {principals} principals can escalate; {allowed} allowed + {conditional} conditional escalations",
            policies.len(),
            methods().methods.len(),
            elapsed.as_secs_f64(),
            elapsed.as_secs_f64() * 1e6 / policies.len().max(1) as f64,
        );
        if label == "open world" {
            if let Some(out) = std::env::args().nth(2) {
                let text = serde_json::Value::Object(flagged).to_string();
                std::fs::write(&out, text).unwrap_or_else(|e| panic!("{out}: {e}"));
            }
            let mut top: Vec<_> = per_method.into_iter().collect();
            top.sort_by_key(|entry| std::cmp::Reverse(entry.1));
            let shown: Vec<String> = top
                .iter()
                .take(8)
                .map(|(id, n)| format!("{id} {n}"))
                .collect();
            println!("  most found: {}", shown.join(", "));
        }
    }
    println!(
        "parse: {} policies in {:.3} s",
        policies.len(),
        parse.as_secs_f64()
    );
}

/// CPU time of this thread in nanoseconds (Linux `/proc/thread-self/schedstat`,
/// first field), so a figure taken on a shared machine is not inflated by
/// other processes. `None` elsewhere.
fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}
