//! `--format sarif`: SARIF 2.1.0 for code-scanning platforms. Validated
//! against the OASIS schema by a test. Paths are relative URIs (GitHub
//! rejects other schemes), columns count Unicode code points, and
//! `security-severity` lets platforms rank results.

use super::{RenderOptions, Report};
use crate::finding::{AttackPath, Finding, PathStep, StepKind, SuppressionKind};
use crate::rule::RuleMeta;
use crate::severity::Severity;
use crate::text::Lang;
use serde::ser::{SerializeSeq, Serializer};
use serde::Serialize;
use serde_json::{json, Value};
use std::io::{self, Write};

const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const INFORMATION_URI: &str = "https://github.com/fnguard/fnguard";

/// Results are turned into JSON one at a time while they are written, so a
/// large scan does not hold a second copy of every finding.
struct Results<'a> {
    report: &'a Report,
    opts: &'a RenderOptions,
}

impl Serialize for Results<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.report.findings.len()))?;
        for f in &self.report.findings {
            seq.serialize_element(&result(self.report, f, self.opts))?;
        }
        seq.end()
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Value,
    column_kind: &'static str,
    invocations: Value,
    results: Results<'a>,
}

#[derive(Serialize)]
struct SarifLog<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

pub(super) fn render_to(
    report: &Report,
    opts: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let lang = opts.lang;
    let rules: Vec<Value> = report.rules.iter().map(|r| rule(r, opts)).collect();
    let notifications: Vec<Value> = report
        .errors
        .iter()
        .map(|e| {
            json!({
                "level": "error",
                "message": {"text": e.message},
                "locations": [physical_location(&e.location)],
            })
        })
        .collect();
    let log = SarifLog {
        schema: SARIF_SCHEMA,
        version: "2.1.0",
        runs: [Run {
            tool: json!({"driver": {
                "name": report.tool_name,
                "version": report.tool_version,
                "semanticVersion": report.tool_version,
                "informationUri": INFORMATION_URI,
                "language": match lang { crate::text::Lang::En => "en-US", crate::text::Lang::Zh => "zh-CN" },
                "rules": rules,
            }}),
            column_kind: "unicodeCodePoints",
            invocations: json!([{
                "executionSuccessful": report.errors.is_empty(),
                "toolExecutionNotifications": notifications,
            }]),
            results: Results { report, opts },
        }],
    };
    serde_json::to_writer_pretty(&mut *out, &log).map_err(io::Error::from)?;
    out.write_all(b"\n")
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub code scanning maps this score to its critical/high/medium/low.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

/// A SARIF `name`: the English title in PascalCase (an identifier, stable
/// across languages).
fn pascal_name(title: &str) -> String {
    title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

fn rule(r: &RuleMeta, opts: &RenderOptions) -> Value {
    let lang = opts.lang;
    let mut tags: Vec<String> = vec!["security".into(), r.area.code().to_ascii_lowercase()];
    tags.extend(r.guide.iter().map(|g| format!("guide-{g}")));
    tags.extend(r.attack.iter().map(|t| format!("attack-{t}")));
    let references: String = r.references.iter().map(|u| format!("- <{u}>\n")).collect();
    json!({
        "id": r.id,
        "name": pascal_name(r.title_en),
        "shortDescription": {"text": r.title(lang)},
        "fullDescription": {"text": r.description(lang)},
        "help": {
            "text": format!("{}\n\n{}", r.risk(lang), r.remediation(lang)),
            "markdown": format!("**{}**\n\n{}\n\n{}\n\n{}", r.title(lang), r.risk(lang), r.remediation(lang), references),
        },
        "helpUri": r.references.first().copied().unwrap_or(INFORMATION_URI),
        "defaultConfiguration": {"level": level(r.severity)},
        "properties": {
            "tags": tags,
            "precision": "high",
            "problem.severity": level(r.severity),
            "security-severity": security_severity(r.severity),
            "guide": r.guide,
            "attack": r.attack,
        },
    })
}

fn result(report: &Report, f: &Finding, opts: &RenderOptions) -> Value {
    let lang = opts.lang;
    let mut obj = json!({
        "ruleId": f.rule_id,
        "level": level(f.severity),
        "message": {"text": f.message.get(lang)},
        "locations": [{
            "physicalLocation": physical_location(&f.location)["physicalLocation"].clone(),
            "logicalLocations": [{"name": f.resource, "kind": "resource"}],
        }],
        "partialFingerprints": {"fnguard/v1": f.fingerprint},
        "properties": {
            "severity": f.severity.as_str(),
            "security-severity": security_severity(f.severity),
            "resource": f.resource,
        },
    });
    if let Some(index) = report.rules.iter().position(|r| r.id == f.rule_id) {
        obj["ruleIndex"] = json!(index);
    }
    if let Some(evidence) = &f.evidence {
        obj["properties"]["evidence"] = json!(evidence);
    }
    if !f.related.is_empty() {
        obj["relatedLocations"] = Value::Array(
            f.related
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let mut loc = physical_location(&r.location);
                    loc["id"] = json!(i + 1);
                    loc["message"] = json!({"text": r.message.get(lang)});
                    loc
                })
                .collect(),
        );
    }
    if let Some(flows) = f.attack_path.as_ref().and_then(|p| code_flows(f, p, lang)) {
        obj["codeFlows"] = flows;
    }
    if let Some(s) = &f.suppressed {
        let kind = match s.kind {
            SuppressionKind::Inline | SuppressionKind::Metadata => "inSource",
            SuppressionKind::Config | SuppressionKind::Baseline => "external",
        };
        let mut suppression = json!({"kind": kind, "status": "accepted"});
        if let Some(reason) = &s.reason {
            suppression["justification"] = json!(reason);
        }
        obj["suppressions"] = json!([suppression]);
    }
    obj
}

/// An attack path as one code flow with a thread flow per impact: entry,
/// function, role (for the role's impacts), impact. Steps point at the
/// finding's related locations; the well-known SARIF kinds tell viewers
/// which step is the entry and which the danger.
fn code_flows(f: &Finding, path: &AttackPath, lang: Lang) -> Option<Value> {
    let step_location = |step: &PathStep| {
        let kinds: &[&str] = match step.kind {
            StepKind::Entry => &["enter", "taint"],
            StepKind::Function => &["function"],
            StepKind::Role => &["resource"],
            StepKind::Impact | StepKind::Reach => &["danger"],
        };
        let mut location = match f.related.get(step.related) {
            Some(r) => {
                let mut loc = physical_location(&r.location);
                loc["message"] = json!({"text": r.message.get(lang)});
                loc
            }
            None => physical_location(&f.location),
        };
        if location.get("message").is_none() {
            location["message"] = json!({"text": step.label.get(lang)});
        }
        json!({
            "location": location,
            "kinds": kinds,
            "importance": "essential",
            "properties": {"step": step.kind.as_str(), "label": step.label.get(lang)},
        })
    };
    let thread_flows: Vec<Value> = path
        .flows()
        .iter()
        .map(|flow| {
            let end = flow.last().map_or("", |s| s.label.get(lang));
            json!({
                "message": {"text": end},
                "locations": flow.iter().map(|s| step_location(s)).collect::<Vec<_>>(),
            })
        })
        .collect();
    if thread_flows.is_empty() {
        return None;
    }
    Some(json!([{
        "message": {"text": f.message.get(lang)},
        "threadFlows": thread_flows,
        "properties": {"score": path.score},
    }]))
}

fn physical_location(loc: &crate::location::SourceRef) -> Value {
    let mut physical = json!({"artifactLocation": {"uri": uri(&loc.path)}});
    if loc.line > 0 {
        let mut region = json!({"startLine": loc.line, "startColumn": loc.col.max(1)});
        if let Some(end_line) = loc.end_line {
            region["endLine"] = json!(end_line);
        }
        if let Some(end_col) = loc.end_col {
            region["endColumn"] = json!(end_col);
        }
        physical["region"] = region;
    }
    json!({"physicalLocation": physical})
}

/// A relative URI reference: forward slashes, reserved and non-ASCII bytes
/// percent-encoded, no leading `./`.
fn uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    let path = path.strip_prefix("./").unwrap_or(&path);
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::sample;
    use super::*;

    #[test]
    fn results_rules_and_suppressions() {
        let text = super::super::render(
            &sample::report(),
            super::super::Format::Sarif,
            &RenderOptions::default(),
        );
        let doc: Value = serde_json::from_str(&text).unwrap();
        let run = &doc["runs"][0];
        assert_eq!(doc["version"], "2.1.0");
        assert_eq!(run["tool"]["driver"]["rules"][0]["id"], "FG-TRIG-002");
        assert_eq!(
            run["tool"]["driver"]["rules"][0]["name"],
            "FunctionURLWithoutAuthentication"
        );
        let results = run["results"].as_array().unwrap();
        assert_eq!(results.len(), 2);
        let url = results
            .iter()
            .find(|r| r["ruleId"] == "FG-TRIG-002")
            .unwrap();
        assert_eq!(url["level"], "error");
        assert_eq!(url["ruleIndex"], 0);
        let region = &url["locations"][0]["physicalLocation"]["region"];
        assert_eq!(
            (region["startLine"].as_u64(), region["startColumn"].as_u64()),
            (Some(42), Some(7))
        );
        let tracing = results
            .iter()
            .find(|r| r["ruleId"] == "FG-LOG-003")
            .unwrap();
        assert_eq!(tracing["suppressions"][0]["kind"], "inSource");
        assert_eq!(
            tracing["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "dir%20with%20space/template.yaml"
        );
        assert_eq!(run["invocations"][0]["executionSuccessful"], false);
    }

    #[test]
    fn attack_paths_become_code_flows() {
        use crate::finding::{AttackPath, PathStep, StepKind};
        use crate::location::SourceRef;
        use crate::text::Text;
        let step = |kind, label: &str, related| PathStep {
            kind,
            label: Text::new(label, label),
            related,
        };
        let mut report = sample::report();
        let path = report.findings[0]
            .clone()
            .with_related(
                SourceRef::new("t.yaml", 5, 3),
                Text::new("open route", "开放路由"),
            )
            .with_related(
                SourceRef::new("t.yaml", 20, 3),
                Text::new("function", "函数"),
            )
            .with_related(SourceRef::new("t.yaml", 40, 3), Text::new("role", "角色"))
            .with_related(SourceRef::new("t.yaml", 44, 9), Text::new("grant", "授权"))
            .with_related(
                SourceRef::new("t.yaml", 60, 3),
                Text::new("database", "数据库"),
            )
            .with_attack_path(AttackPath {
                score: 12,
                steps: vec![
                    step(StepKind::Entry, "anonymous HTTP", 0),
                    step(StepKind::Function, "fn", 1),
                    step(StepKind::Role, "role", 2),
                    step(StepKind::Impact, "s3:* on *", 3),
                    step(StepKind::Reach, "db", 4),
                ],
            });
        report.findings = vec![path];
        let text = super::super::render(
            &report,
            super::super::Format::Sarif,
            &RenderOptions {
                lang: crate::text::Lang::Zh,
                ..RenderOptions::default()
            },
        );
        let doc: Value = serde_json::from_str(&text).unwrap();
        let flows = &doc["runs"][0]["results"][0]["codeFlows"];
        assert_eq!(flows.as_array().map(Vec::len), Some(1));
        let threads = flows[0]["threadFlows"].as_array().unwrap();
        // One thread per impact: through the role to the grant, and from
        // the function straight to the database.
        assert_eq!(threads.len(), 2);
        let lines = |t: &Value| -> Vec<u64> {
            t["locations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| {
                    l["location"]["physicalLocation"]["region"]["startLine"]
                        .as_u64()
                        .unwrap()
                })
                .collect()
        };
        assert_eq!(lines(&threads[0]), [5, 20, 40, 44]);
        assert_eq!(lines(&threads[1]), [5, 20, 60]);
        let first = &threads[0]["locations"][0];
        assert_eq!(first["kinds"], serde_json::json!(["enter", "taint"]));
        assert_eq!(first["location"]["message"]["text"], "开放路由");
        assert_eq!(threads[1]["locations"][2]["kinds"][0], "danger");
        assert_eq!(flows[0]["properties"]["score"], 12);
        // Findings without a path have no code flow.
        let plain = super::super::render(
            &sample::report(),
            super::super::Format::Sarif,
            &RenderOptions::default(),
        );
        assert!(!plain.contains("codeFlows"));
    }

    #[test]
    fn uris_are_relative_references() {
        assert_eq!(uri("./a\\b c.yaml"), "a/b%20c.yaml");
        assert_eq!(uri("模板.yaml"), "%E6%A8%A1%E6%9D%BF.yaml");
    }
}
