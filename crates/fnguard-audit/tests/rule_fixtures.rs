//! Every rule, every input format: `tests/rules/<RULE-ID>/` holds fixture
//! files named `<format>-<positive|negative>[-label].<ext>`, where format is
//! `cfn` (CloudFormation, .yaml/.json), `sam` (.yaml/.json), `sls`
//! (Serverless Framework, .yml) or `tf` (Terraform, one .tf file as a
//! module). A positive fixture must produce the rule (unsuppressed), a
//! negative one must not. Each rule needs at least one positive and one
//! negative fixture for every format it applies to.

use fnguard_audit::{all_rules, audit, AuditOptions};
use fnguard_core::Date;
use fnguard_model::{cfn, serverless, terraform, Deployment};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const FORMATS: [&str; 4] = ["cfn", "sam", "sls", "tf"];

/// Formats a rule cannot apply to, with the reason. Everything else must
/// have fixtures.
fn not_applicable(rule: &str, format: &str) -> Option<&'static str> {
    match (rule, format) {
        // serverless.yml has no template parameters; variables with defaults
        // are resolved in place and reported as env secrets instead.
        ("FG-SEC-005", "sls") => Some("Serverless Framework has no parameters with defaults"),
        _ => None,
    }
}

fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/rules")
}

fn load(format: &str, path: &Path) -> Deployment {
    let text = std::fs::read_to_string(path).expect("fixture readable");
    let display = path.display().to_string();
    let loaded = match format {
        "cfn" | "sam" => cfn::load(&display, &text),
        "sls" => serverless::load(&display, &text),
        "tf" => {
            let (dep, errors) = terraform::load_module(&[(display.clone(), text)]);
            assert!(errors.is_empty(), "{display}: {errors:?}");
            dep.ok_or_else(|| fnguard_model::LoadError::new(&display, 0, 0, "no deployment"))
        }
        other => panic!("unknown fixture format {other} in {display}"),
    };
    loaded.unwrap_or_else(|e| panic!("fixture does not load: {e}"))
}

#[test]
fn every_rule_fixture_behaves() {
    let opts = AuditOptions {
        scan_date: Date::new(2026, 11, 28).expect("valid date"),
        lang: None,
    };
    let mut seen: BTreeMap<(String, String), BTreeSet<&'static str>> = BTreeMap::new();
    let mut failures = Vec::new();
    let root = fixtures_root();
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .expect("tests/rules exists")
        .flatten()
        .collect();
    dirs.sort_by_key(|d| d.file_name());
    for dir in dirs {
        let rule_id = dir.file_name().to_string_lossy().to_string();
        let mut files: Vec<_> = std::fs::read_dir(dir.path())
            .expect("rule dir")
            .flatten()
            .collect();
        files.sort_by_key(|f| f.file_name());
        for file in files {
            let name = file.file_name().to_string_lossy().to_string();
            let Some((format, rest)) = name.split_once('-') else {
                failures.push(format!(
                    "{rule_id}/{name}: name must be <format>-<positive|negative>..."
                ));
                continue;
            };
            let kind = if rest.starts_with("positive") {
                "positive"
            } else if rest.starts_with("negative") {
                "negative"
            } else {
                failures.push(format!("{rule_id}/{name}: expected positive or negative"));
                continue;
            };
            let dep = load(format, &file.path());
            let findings = audit(&dep, &opts);
            let fired = findings
                .iter()
                .any(|f| f.rule_id == rule_id && !f.is_suppressed());
            match (kind, fired) {
                ("positive", false) => {
                    failures.push(format!("{rule_id}/{name}: rule did not fire"))
                }
                ("negative", true) => failures.push(format!(
                    "{rule_id}/{name}: rule fired: {:?}",
                    findings
                        .iter()
                        .filter(|f| f.rule_id == rule_id)
                        .map(|f| &f.message.en)
                        .collect::<Vec<_>>()
                )),
                _ => {}
            }
            seen.entry((rule_id.clone(), format.to_string()))
                .or_default()
                .insert(kind);
        }
    }
    for rule in all_rules() {
        for format in FORMATS {
            if not_applicable(rule.id, format).is_some() {
                continue;
            }
            let kinds = seen
                .get(&(rule.id.to_string(), format.to_string()))
                .cloned()
                .unwrap_or_default();
            for kind in ["positive", "negative"] {
                if !kinds.contains(kind) {
                    failures.push(format!("{}: no {format} {kind} fixture", rule.id));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
