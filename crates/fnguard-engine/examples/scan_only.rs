//! A scan without rendering the report, to tell the engine's cost from the
//! renderer's: `cargo run --release -p fnguard-engine --example scan_only -- DIR`.

use fnguard_core::Date;
use fnguard_engine::{scan, ScanOptions};
use std::path::PathBuf;

fn main() {
    let roots: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    let outcome = scan(&ScanOptions::new(roots, Date::today()));
    println!(
        "{} files, {} deployments, {} findings, {} errors",
        outcome.report.files_scanned,
        outcome.report.deployments_scanned,
        outcome.report.findings.len(),
        outcome.report.errors.len()
    );
}
