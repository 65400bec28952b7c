//! `fnguard scan --sbom FILE`: the packages the scan read, as CycloneDX.

use fnguard_engine::{Owner, ScanOutcome};
use fnguard_scan::deps::osv::Db;
use fnguard_scan::sbom::{Function, Part, PartId, PartKind, SbomBuilder};
use std::collections::HashMap;

/// The SBOM of everything the scan read, with the advisories of `db`: the
/// scan is the metadata component, each function and layer that ships a
/// package (or a package given directly) an application component with
/// its packages, functions depending on the layers they run with. The
/// creation time is `SOURCE_DATE_EPOCH` when set (reproducible builds'
/// convention), the current time otherwise.
pub fn render(outcome: &ScanOutcome, db: Option<&Db>) -> String {
    let mut builder = SbomBuilder::for_scan(
        Function {
            name: outcome.report.scan_root.clone(),
            version: None,
        },
        timestamp(),
    );
    let mut parts: HashMap<(bool, String), PartId> = HashMap::new();
    let mut part_of = |builder: &mut SbomBuilder, layer: bool, name: String| -> PartId {
        *parts.entry((layer, name.clone())).or_insert_with(|| {
            builder.add_part(Part {
                kind: if layer {
                    PartKind::Layer
                } else {
                    PartKind::Function
                },
                name,
                version: None,
            })
        })
    };
    for inventory in &outcome.inventories {
        let names: Vec<String> = if inventory.owners.is_empty() {
            vec![inventory.display.clone()]
        } else {
            inventory.owners.iter().map(part_name).collect()
        };
        for name in names {
            let part = part_of(&mut builder, inventory.layer, name);
            for package in &inventory.packages {
                // A jar's own hash belongs to the package its META-INF
                // describes; a lockfile's hash to no package.
                let hash = package
                    .source
                    .split_once("!/META-INF/")
                    .and_then(|(jar, _)| inventory.jar_sha256.get(jar))
                    .copied();
                builder.add_to(part, package, hash);
            }
        }
    }
    for (function, layer) in &outcome.layer_links {
        let function = part_of(&mut builder, false, part_name(function));
        let layer = part_of(&mut builder, true, part_name(layer));
        builder.add_use(function, layer);
    }
    builder.build(db).to_json()
}

/// A function or layer named with the file that declares it: two
/// templates of one scan often use the same logical ids.
fn part_name(owner: &Owner) -> String {
    format!("{}#{}", owner.location.path, owner.resource)
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
