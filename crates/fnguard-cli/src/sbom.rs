//! `fnguard scan --sbom FILE`: the packages the scan read, as CycloneDX.

use fnguard_engine::ScanOutcome;
use fnguard_scan::deps::osv::Db;
use fnguard_scan::sbom::{Function, SbomBuilder};

/// The SBOM of everything the scan read, with the advisories of `db`.
/// The creation time is `SOURCE_DATE_EPOCH` when set (reproducible
/// builds' convention), the current time otherwise.
pub fn render(outcome: &ScanOutcome, db: Option<&Db>) -> String {
    let mut builder = SbomBuilder::new(
        Function {
            name: outcome.report.scan_root.clone(),
            version: None,
        },
        timestamp(),
    );
    for inventory in &outcome.inventories {
        for package in &inventory.packages {
            builder.add(package, None);
        }
    }
    builder.build(db).to_json()
}

fn timestamp() -> u64 {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
        })
}
