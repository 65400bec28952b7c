//! A scan without rendering the report, to tell the engine's cost from the
//! renderer's: `cargo run --release -p fnguard-engine --example scan_only -- DIR`.

use fnguard_core::{Date, Finding};
use fnguard_engine::{scan, ScanOptions};
use std::path::PathBuf;

/// Heap bytes one finding holds (its struct plus what its strings and
/// lists own), to tell how much of the RSS the findings are.
fn finding_bytes(f: &Finding) -> usize {
    let strings = [&f.message.en, &f.message.zh, &f.resource, &f.location.path];
    std::mem::size_of::<Finding>()
        + strings.iter().map(|s| s.capacity()).sum::<usize>()
        + f.evidence.as_ref().map_or(0, String::capacity)
        + f.related
            .iter()
            .map(|r| {
                64 + r.location.path.capacity() + r.message.en.capacity() + r.message.zh.capacity()
            })
            .sum::<usize>()
}

fn main() {
    let roots: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    let outcome = scan(&ScanOptions::new(roots, Date::today()));
    let held: usize = outcome.report.findings.iter().map(finding_bytes).sum();
    println!(
        "findings hold {:.1} MB ({} bytes each on average, struct {} bytes)",
        held as f64 / 1e6,
        held / outcome.report.findings.len().max(1),
        std::mem::size_of::<Finding>()
    );
    println!(
        "{} files, {} deployments, {} findings, {} errors",
        outcome.report.files_scanned,
        outcome.report.deployments_scanned,
        outcome.report.findings.len(),
        outcome.report.errors.len()
    );
}
