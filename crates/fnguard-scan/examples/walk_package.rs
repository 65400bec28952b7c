//! Walks one package with the default limits, reading every byte of every
//! file, and prints what it saw: the archive walk bench (bench/archive/run.sh).
//!
//!     cargo run --release -p fnguard-scan --example walk_package -- PACKAGE

use std::path::PathBuf;
use std::time::Instant;

use fnguard_scan::archive::{walk, Entry, Limits};

fn main() {
    let Some(package) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: walk_package PACKAGE");
        std::process::exit(2);
    };
    let start = Instant::now();
    // A sum over every byte, printed so that the reads cannot be optimised
    // away: the scanners after the walk will look at every byte too.
    let mut checksum = 0u64;
    let summary = walk(
        &package,
        &Limits::default(),
        &mut |_: &Entry<'_>, bytes: &[u8]| {
            checksum = bytes
                .iter()
                .fold(checksum, |sum, byte| sum.wrapping_add(u64::from(*byte)));
        },
    );
    let elapsed = start.elapsed();
    println!(
        "{}: {} files, {} bytes, {} issues, checksum {checksum:x}, {:.3} s",
        package.display(),
        summary.files,
        summary.bytes,
        summary.issues.len(),
        elapsed.as_secs_f64()
    );
    for issue in summary.issues.iter().take(10) {
        println!("  {issue}");
    }
}
