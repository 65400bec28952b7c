//! Machine outputs validate against their schemas (SARIF 2.1.0 from OASIS,
//! fnguard's own JSON schema). The validator is Python's `jsonschema`,
//! installed by scripts/setup-test-tools.sh (the README's test command runs
//! it); a missing validator fails the test rather than skipping it.

use fnguard_core::report::{render, Format, InputError, RenderOptions, Report};
use fnguard_core::{
    Area, Finding, Lang, RuleMeta, Severity, SourceRef, Suppression, SuppressionKind, Text,
};
use std::path::{Path, PathBuf};
use std::process::Command;

static RULE: RuleMeta = RuleMeta {
    id: "FG-SEC-001",
    area: Area::Sec,
    severity: Severity::Critical,
    guide: &["3.2.1"],
    attack: &["T1552.001"],
    title_en: "AWS access key in an environment variable",
    title_zh: "环境变量中存在 AWS 访问密钥",
    description_en: "d",
    description_zh: "描述",
    risk_en: "r",
    risk_zh: "风险",
    remediation_en: "Use Secrets Manager.",
    remediation_zh: "使用 Secrets Manager。",
    references: &["https://docs.aws.amazon.com/secretsmanager/"],
};

fn report() -> Report {
    let key = Finding::new(
        &RULE,
        "PaymentsFunction",
        SourceRef::new("examples/sam/vulnerable/template.yaml", 88, 11),
        Text::new(
            "AWS_ACCESS_KEY_ID holds an access key",
            "AWS_ACCESS_KEY_ID 含有访问密钥",
        ),
        "AWS_ACCESS_KEY_ID",
    )
    .with_evidence("AKIA*****XZ")
    .with_related(
        SourceRef::new("examples/sam/vulnerable/template.yaml", 70, 3),
        Text::new("function declared here", "函数定义处"),
    );
    let mut baselined = Finding::new(
        &RULE,
        "Other",
        SourceRef::new("a b/模板.yaml", 1, 1),
        Text::new("m", "消息"),
        "x",
    );
    baselined.suppressed = Some(Suppression {
        kind: SuppressionKind::Baseline,
        reason: None,
    });
    Report {
        tool_name: "fnguard".into(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        scan_root: "examples".into(),
        scan_date: "2026-11-28".into(),
        files_scanned: 2,
        deployments_scanned: 1,
        findings: vec![key, baselined],
        errors: vec![InputError {
            location: SourceRef::new("broken.json", 4, 2),
            message: "expected `,` or `}`".into(),
        }],
        rules: vec![&RULE],
        inventory: Vec::new(),
        advisories_checked: false,
    }
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Validate `document` against `schema` with the repo's validator script.
pub fn assert_valid(schema: &Path, document: &str, name: &str) {
    let dir = std::env::temp_dir().join(format!("fnguard-schema-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join(format!("{name}.json"));
    std::fs::write(&file, document).expect("write document");
    let output = Command::new("python3")
        .arg(repo_root().join("scripts/validate-json-schema.py"))
        .arg(schema)
        .arg(&file)
        .output()
        .expect("python3 runs (install it, then scripts/setup-test-tools.sh)");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        output.status.success(),
        "{name} does not validate against {}:\n{}",
        schema.display(),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn sarif_validates_against_the_oasis_schema() {
    let schema = repo_root().join("schemas/sarif-schema-2.1.0.json");
    for lang in [Lang::En, Lang::Zh] {
        let opts = RenderOptions {
            lang,
            ..Default::default()
        };
        assert_valid(&schema, &render(&report(), Format::Sarif, &opts), "sarif");
    }
}

#[test]
fn json_validates_against_our_schema() {
    let schema = repo_root().join("schemas/fnguard-report.schema.json");
    assert_valid(
        &schema,
        &render(&report(), Format::Json, &RenderOptions::default()),
        "json",
    );
}

#[test]
fn the_validator_rejects_an_invalid_document() {
    // Guards against a validator that accepts everything.
    let schema = repo_root().join("schemas/sarif-schema-2.1.0.json");
    let dir = std::env::temp_dir().join(format!("fnguard-schema-neg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.json");
    std::fs::write(&file, r#"{"version": "2.1.0", "runs": [{"results": []}]}"#).unwrap();
    let status = Command::new("python3")
        .arg(repo_root().join("scripts/validate-json-schema.py"))
        .arg(&schema)
        .arg(&file)
        .status()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(
        status.code(),
        Some(1),
        "a run without a tool must be rejected"
    );
}
