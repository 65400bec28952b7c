//! `--format json`: fnguard's own versioned document (schema in
//! `schemas/fnguard-report.schema.json`). Texts are in the chosen language;
//! suppressed findings are included and marked.

use super::{ordered, RenderOptions, Report, JSON_SCHEMA_VERSION};
use serde_json::{json, Value};

pub(super) fn render(report: &Report, opts: &RenderOptions) -> String {
    let lang = opts.lang;
    let counts = report.severity_counts();
    let mut summary = serde_json::Map::new();
    for (severity, count) in counts {
        summary.insert(severity.as_str().to_string(), json!(count));
    }
    summary.insert("suppressed".into(), json!(report.suppressed_count()));
    summary.insert("errors".into(), json!(report.errors.len()));

    let findings: Vec<Value> = ordered(&report.findings)
        .into_iter()
        .map(|f| {
            let rule = report.rule(&f.rule_id);
            let mut obj = json!({
                "rule_id": f.rule_id,
                "title": rule.map(|r| r.title(lang)).unwrap_or(""),
                "severity": f.severity.as_str(),
                "message": f.message.get(lang),
                "resource": f.resource,
                "location": location(&f.location),
                "guide": f.guide,
                "attack": f.attack,
                "remediation": rule.map(|r| r.remediation(lang)).unwrap_or(""),
                "fingerprint": f.fingerprint,
                "suppressed": f.suppressed.as_ref().map(|s| json!({
                    "kind": s.kind,
                    "reason": s.reason,
                })),
            });
            if let Some(evidence) = &f.evidence {
                obj["evidence"] = json!(evidence);
            }
            if !f.related.is_empty() {
                obj["related"] = Value::Array(
                    f.related
                        .iter()
                        .map(|r| json!({"location": location(&r.location), "message": r.message.get(lang)}))
                        .collect(),
                );
            }
            obj
        })
        .collect();

    let errors: Vec<Value> = report
        .errors
        .iter()
        .map(|e| json!({"location": location(&e.location), "message": e.message}))
        .collect();

    let doc = json!({
        "schema_version": JSON_SCHEMA_VERSION,
        "tool": {"name": report.tool_name, "version": report.tool_version},
        "scan": {
            "root": report.scan_root,
            "date": report.scan_date,
            "language": match lang { crate::text::Lang::En => "en", crate::text::Lang::Zh => "zh" },
            "files_scanned": report.files_scanned,
            "deployments_scanned": report.deployments_scanned,
        },
        "summary": summary,
        "findings": findings,
        "errors": errors,
    });
    let mut out = serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".to_string());
    out.push('\n');
    out
}

fn location(loc: &crate::location::SourceRef) -> Value {
    json!({"path": loc.path, "line": loc.line, "column": loc.col})
}

#[cfg(test)]
mod tests {
    use super::super::sample;
    use super::*;
    use crate::text::Lang;

    #[test]
    fn versioned_and_complete() {
        let out = render(&sample::report(), &RenderOptions::default());
        let doc: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(doc["schema_version"], JSON_SCHEMA_VERSION);
        assert_eq!(doc["summary"]["high"], 1);
        assert_eq!(
            doc["summary"]["info"], 0,
            "suppressed findings are not counted as active"
        );
        assert_eq!(doc["summary"]["suppressed"], 1);
        let findings = doc["findings"].as_array().unwrap();
        assert_eq!(findings.len(), 2, "suppressed findings are kept, marked");
        assert_eq!(findings[0]["rule_id"], "FG-TRIG-002", "most severe first");
        assert_eq!(findings[1]["suppressed"]["kind"], "inline");
        assert_eq!(findings[0]["location"]["line"], 42);
        assert_eq!(doc["errors"][0]["location"]["path"], "broken.yaml");
    }

    #[test]
    fn chinese_texts() {
        let opts = RenderOptions {
            lang: Lang::Zh,
            ..Default::default()
        };
        let doc: Value = serde_json::from_str(&render(&sample::report(), &opts)).unwrap();
        assert_eq!(doc["findings"][0]["title"], "函数 URL 未启用身份验证");
        assert_eq!(doc["scan"]["language"], "zh");
    }
}
