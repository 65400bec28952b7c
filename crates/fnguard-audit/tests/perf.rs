//! The audit of one deployment must scale linearly with its size: a
//! generated deployment of 10,000 functions (each with a role, a route, a
//! permission, a log group, environment variables and an inline ignore) is
//! audited in release mode, once at 1,000 and once at 10,000 functions, and
//! the larger run must take well under 20 times the smaller one (linear is
//! 10). Run with
//! `cargo test --release -p fnguard-audit --test perf -- --ignored --nocapture`.

mod support;

use fnguard_audit::{audit, AuditOptions};
use fnguard_core::Date;
use fnguard_model::Deployment;
use std::time::{Duration, Instant};
use support::synthetic;

fn generate(n: u32) -> Deployment {
    synthetic(n, 100)
}

fn timed_audit(dep: &Deployment) -> (Duration, usize) {
    let opts = AuditOptions {
        scan_date: Date::new(2026, 11, 28).expect("date"),
        lang: None,
    };
    // The best of three, so a busy shared machine distorts less.
    let mut best = Duration::MAX;
    let mut count = 0;
    for _ in 0..3 {
        let start = Instant::now();
        let findings = audit(dep, &opts);
        best = best.min(start.elapsed());
        count = findings.len();
    }
    (best, count)
}

#[test]
#[ignore = "release-mode timing: cargo test --release -p fnguard-audit --test perf -- --ignored"]
fn audit_of_10k_functions_is_linear_and_fast() {
    let small = generate(1_000);
    let large = generate(10_000);
    let (t_small, n_small) = timed_audit(&small);
    let (t_large, n_large) = timed_audit(&large);
    let ratio = t_large.as_secs_f64() / t_small.as_secs_f64().max(1e-6);
    println!(
        "audit: 1k functions {:.1} ms ({n_small} findings), 10k functions {:.1} ms ({n_large} findings), ratio {ratio:.1}",
        t_small.as_secs_f64() * 1e3,
        t_large.as_secs_f64() * 1e3,
    );
    // Every generated function yields findings, and the ignores work.
    assert!(n_large > 9 * n_small, "{n_small} vs {n_large}");
    let findings = audit(
        &large,
        &AuditOptions {
            scan_date: Date::new(2026, 11, 28).expect("date"),
            lang: None,
        },
    );
    let suppressed = findings
        .iter()
        .filter(|f| f.rule_id == "FG-RT-002" && f.suppressed.is_some())
        .count();
    assert_eq!(suppressed, 10_000, "every inline ignore applies");
    assert!(
        ratio < 20.0,
        "10x the functions took {ratio:.1}x the time: something is quadratic"
    );
    assert!(
        t_large < Duration::from_secs(5),
        "10k functions took {t_large:?}"
    );
}

#[test]
#[ignore = "release-mode timing breakdown per area"]
fn audit_time_per_area() {
    for n in [1_000, 10_000] {
        println!("-- {n} functions");
        time_per_area(&generate(n));
    }
}

fn time_per_area(dep: &Deployment) {
    let opts = AuditOptions {
        scan_date: Date::new(2026, 11, 28).expect("date"),
        lang: None,
    };
    let ctx = fnguard_audit::Ctx { dep, opts: &opts };
    type Check = fn(&fnguard_audit::Ctx, &mut Vec<fnguard_audit::Raw>);
    let areas: [(&str, Check); 9] = [
        ("iam", fnguard_audit::iam::check),
        ("trig", fnguard_audit::trig::check),
        ("sec", fnguard_audit::sec::check),
        ("sign", fnguard_audit::sign::check),
        ("rt", fnguard_audit::rt::check),
        ("net", fnguard_audit::net::check),
        ("api", fnguard_audit::api::check),
        ("log", fnguard_audit::log::check),
        ("mon", fnguard_audit::mon::check),
    ];
    let mut checks_total = Duration::ZERO;
    for (name, check) in areas {
        let mut out = Vec::new();
        let start = Instant::now();
        check(&ctx, &mut out);
        let took = start.elapsed();
        checks_total += took;
        println!(
            "{name:5} {:8.1} ms {:6} findings",
            took.as_secs_f64() * 1e3,
            out.len()
        );
    }
    let start = Instant::now();
    let findings = audit(dep, &opts);
    let total = start.elapsed();
    println!(
        "audit {:8.1} ms {:6} findings; suppression pass ~{:.1} ms",
        total.as_secs_f64() * 1e3,
        findings.len(),
        (total.saturating_sub(checks_total)).as_secs_f64() * 1e3
    );
}
