//! The shipped examples do what examples/README.md promises: each
//! vulnerable variant reports the rules listed in
//! examples/expected-findings.json, each hardened variant reports nothing at
//! medium or above; and the machine outputs of a real scan validate against
//! their schemas.

mod common;

use common::{findings, fnguard};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Pinned so that date-dependent rules (runtime deprecation) do not make the
/// test change with the calendar.
const SCAN_DATE: &str = "2026-11-28";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn scan_json(variant: &str) -> Value {
    let path = repo().join("examples").join(variant);
    let run = fnguard([
        "scan".as_ref(),
        path.as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
        "--fail-on".as_ref(),
        "none".as_ref(),
        "--scan-date".as_ref(),
        SCAN_DATE.as_ref(),
    ]);
    assert_eq!(run.code, 0, "{variant}: {}", run.stderr);
    let doc = run.json();
    assert_eq!(
        doc["errors"].as_array().map(Vec::len),
        Some(0),
        "{variant}: input errors {:#}",
        doc["errors"]
    );
    doc
}

#[test]
fn examples_report_what_their_readme_promises() {
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("examples/expected-findings.json")).unwrap(),
    )
    .unwrap();
    let mut problems = Vec::new();
    for (variant, spec) in expected.as_object().unwrap() {
        if variant.starts_with('_') {
            continue;
        }
        let doc = scan_json(variant);
        let active: Vec<Value> = findings(&doc)
            .into_iter()
            .filter(|f| f["suppressed"].is_null())
            .collect();
        if let Some(rules) = spec["must_include"].as_array() {
            for rule in rules {
                if !active.iter().any(|f| &f["rule_id"] == rule) {
                    problems.push(format!("{variant}: {rule} not reported"));
                }
            }
        }
        if let Some(limit) = spec["max_severity_below"].as_str() {
            let order = ["info", "low", "medium", "high", "critical"];
            let limit_rank = order.iter().position(|s| *s == limit).unwrap();
            for f in &active {
                let rank = order.iter().position(|s| f["severity"] == *s).unwrap_or(0);
                if rank >= limit_rank {
                    problems.push(format!(
                        "{variant}: {} {} at {}:{}: {}",
                        f["severity"],
                        f["rule_id"],
                        f["location"]["path"],
                        f["location"]["line"],
                        f["message"]
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn real_scan_outputs_validate_against_their_schemas() {
    let path = repo().join("examples");
    for (format, schema) in [
        ("sarif", "schemas/sarif-schema-2.1.0.json"),
        ("json", "schemas/fnguard-report.schema.json"),
    ] {
        for lang in ["en", "zh"] {
            let run = fnguard([
                "scan".as_ref(),
                path.as_os_str(),
                "--format".as_ref(),
                format.as_ref(),
                "--lang".as_ref(),
                lang.as_ref(),
                "--scan-date".as_ref(),
                SCAN_DATE.as_ref(),
            ]);
            assert_eq!(run.code, 1, "findings expected: {}", run.stderr);
            let file = std::env::temp_dir().join(format!(
                "fnguard-examples-{}-{format}-{lang}.json",
                std::process::id()
            ));
            std::fs::write(&file, &run.stdout).unwrap();
            let out = Command::new("python3")
                .arg(repo().join("scripts/validate-json-schema.py"))
                .arg(repo().join(schema))
                .arg(&file)
                .output()
                .expect("python3 (run scripts/setup-test-tools.sh)");
            let _ = std::fs::remove_file(&file);
            assert!(
                out.status.success(),
                "{format}/{lang} output does not validate:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

/// `--graph` draws one entry edge per open attack path, in a file Graphviz
/// itself parses (DOT) and in Mermaid; a bad format is refused before the
/// scan.
#[test]
fn attack_path_graphs_of_the_examples() {
    let path = repo().join("examples");
    let json = scan_json("");
    let open_paths: Vec<&Value> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "FG-PATH-001" && f["suppressed"].is_null())
        .collect();
    assert!(open_paths.len() >= 3, "the examples have attack paths");
    for (format, entry_edge) in [("dot", "\", label=\""), ("mermaid", "-->|\"")] {
        let file =
            std::env::temp_dir().join(format!("fnguard-graph-{}.{format}", std::process::id()));
        let run = fnguard([
            "scan".as_ref(),
            path.as_os_str(),
            "--graph".as_ref(),
            format.as_ref(),
            file.as_os_str(),
            "--fail-on".as_ref(),
            "none".as_ref(),
            "--scan-date".as_ref(),
            SCAN_DATE.as_ref(),
            "-q".as_ref(),
        ]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let text = std::fs::read_to_string(&file).expect("graph written");
        assert_eq!(
            text.matches(entry_edge).count(),
            open_paths.len(),
            "{format}: one entry edge per open path\n{text}"
        );
        for f in &open_paths {
            let function = f["attack_path"]["steps"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["kind"] == "function")
                .expect("a function step");
            assert!(
                text.contains(function["label"].as_str().unwrap()),
                "{format}: {} missing",
                function["label"]
            );
        }
        if format == "dot" {
            let parsed = Command::new("dot")
                .arg("-Tplain")
                .arg(&file)
                .output()
                .expect("Graphviz dot (run scripts/setup-test-tools.sh)");
            assert!(
                parsed.status.success(),
                "Graphviz rejects the graph: {}",
                String::from_utf8_lossy(&parsed.stderr)
            );
            let plain = String::from_utf8_lossy(&parsed.stdout);
            assert_eq!(
                plain.lines().filter(|l| l.starts_with("edge ")).count(),
                text.matches(" -> ").count()
            );
        }
        let _ = std::fs::remove_file(&file);
    }
    let run = fnguard([
        "scan".as_ref(),
        path.as_os_str(),
        "--graph".as_ref(),
        "png".as_ref(),
        "out.png".as_ref(),
    ]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("invalid --graph format `png`"));
}
