//! `--format json`: fnguard's own versioned document (schema in
//! `schemas/fnguard-report.schema.json`). Texts are in the chosen language;
//! suppressed findings are included and marked.
//!
//! Serialized straight from borrowed views of the report into the writer:
//! a corpus scan can have 150k findings, and building a JSON value tree of
//! them first cost a gigabyte of memory.

use super::{ordered, InputError, RenderOptions, Report, JSON_SCHEMA_VERSION};
use crate::finding::{Finding, Fingerprint, Related, SuppressionKind};
use crate::location::SourceRef;
use crate::text::Lang;
use serde::ser::{SerializeSeq, Serializer};
use serde::Serialize;
use std::io::{self, Write};

#[derive(Serialize)]
struct Document<'a> {
    schema_version: &'static str,
    tool: Tool<'a>,
    scan: Scan<'a>,
    summary: Summary,
    findings: Findings<'a>,
    errors: Vec<ErrorOut<'a>>,
}

#[derive(Serialize)]
struct Tool<'a> {
    name: &'a str,
    version: &'a str,
}

#[derive(Serialize)]
struct Scan<'a> {
    root: &'a str,
    date: &'a str,
    language: &'static str,
    files_scanned: usize,
    deployments_scanned: usize,
}

#[derive(Serialize)]
struct Summary {
    critical: usize,
    high: usize,
    medium: usize,
    low: usize,
    info: usize,
    suppressed: usize,
    errors: usize,
}

#[derive(Serialize)]
struct LocationOut<'a> {
    path: &'a str,
    line: u32,
    column: u32,
}

impl<'a> From<&'a SourceRef> for LocationOut<'a> {
    fn from(loc: &'a SourceRef) -> Self {
        LocationOut {
            path: &loc.path,
            line: loc.line,
            column: loc.col,
        }
    }
}

#[derive(Serialize)]
struct ErrorOut<'a> {
    location: LocationOut<'a>,
    message: &'a str,
}

impl<'a> From<&'a InputError> for ErrorOut<'a> {
    fn from(e: &'a InputError) -> Self {
        ErrorOut {
            location: (&e.location).into(),
            message: &e.message,
        }
    }
}

#[derive(Serialize)]
struct RelatedOut<'a> {
    location: LocationOut<'a>,
    message: &'a str,
}

#[derive(Serialize)]
struct SuppressedOut<'a> {
    kind: SuppressionKind,
    reason: Option<&'a str>,
}

#[derive(Serialize)]
struct FindingOut<'a> {
    rule_id: &'a str,
    title: &'a str,
    severity: &'static str,
    message: &'a str,
    resource: &'a str,
    location: LocationOut<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related: Vec<RelatedOut<'a>>,
    guide: &'static [&'static str],
    attack: &'static [&'static str],
    remediation: &'a str,
    fingerprint: Fingerprint,
    #[serde(skip_serializing_if = "Option::is_none")]
    evidence: Option<&'a str>,
    suppressed: Option<SuppressedOut<'a>>,
}

fn related_out(r: &Related, lang: Lang) -> RelatedOut<'_> {
    RelatedOut {
        location: (&r.location).into(),
        message: r.message.get(lang),
    }
}

/// The findings, most severe first, each turned into its borrowed view only
/// while it is written.
struct Findings<'a> {
    report: &'a Report,
    ordered: Vec<&'a Finding>,
    lang: Lang,
}

impl Serialize for Findings<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.ordered.len()))?;
        for f in &self.ordered {
            let rule = self.report.rule(f.rule_id);
            seq.serialize_element(&FindingOut {
                rule_id: f.rule_id,
                title: rule.map(|r| r.title(self.lang)).unwrap_or(""),
                severity: f.severity.as_str(),
                message: f.message.get(self.lang),
                resource: &f.resource,
                location: (&f.location).into(),
                related: f
                    .related
                    .iter()
                    .map(|r| related_out(r, self.lang))
                    .collect(),
                guide: f.guide,
                attack: f.attack,
                remediation: rule.map(|r| r.remediation(self.lang)).unwrap_or(""),
                fingerprint: f.fingerprint,
                evidence: f.evidence.as_deref(),
                suppressed: f.suppressed.as_ref().map(|s| SuppressedOut {
                    kind: s.kind,
                    reason: s.reason.as_deref(),
                }),
            })?;
        }
        seq.end()
    }
}

pub(super) fn render_to(
    report: &Report,
    opts: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let [critical, high, medium, low, info] = report.severity_counts().map(|(_, n)| n);
    let doc = Document {
        schema_version: JSON_SCHEMA_VERSION,
        tool: Tool {
            name: &report.tool_name,
            version: &report.tool_version,
        },
        scan: Scan {
            root: &report.scan_root,
            date: &report.scan_date,
            language: match opts.lang {
                Lang::En => "en",
                Lang::Zh => "zh",
            },
            files_scanned: report.files_scanned,
            deployments_scanned: report.deployments_scanned,
        },
        summary: Summary {
            critical,
            high,
            medium,
            low,
            info,
            suppressed: report.suppressed_count(),
            errors: report.errors.len(),
        },
        findings: Findings {
            report,
            ordered: ordered(&report.findings),
            lang: opts.lang,
        },
        errors: report.errors.iter().map(ErrorOut::from).collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &doc).map_err(io::Error::from)?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::super::{render, sample, Format};
    use super::*;
    use serde_json::Value;

    fn render_json(opts: &RenderOptions) -> Value {
        serde_json::from_str(&render(&sample::report(), Format::Json, opts)).unwrap()
    }

    #[test]
    fn versioned_and_complete() {
        let doc = render_json(&RenderOptions::default());
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
        assert_eq!(findings[0]["evidence"], "AuthType: NONE");
        assert!(findings[0]["suppressed"].is_null());
        assert_eq!(findings[1]["suppressed"]["kind"], "inline");
        assert_eq!(findings[1]["suppressed"]["reason"], "tracing costs");
        assert_eq!(findings[0]["location"]["line"], 42);
        assert_eq!(findings[0]["location"]["column"], 7);
        assert_eq!(doc["errors"][0]["location"]["path"], "broken.yaml");
        let keys: Vec<&String> = doc.as_object().unwrap().keys().collect();
        assert_eq!(keys[0], "schema_version");
    }

    #[test]
    fn chinese_texts() {
        let doc = render_json(&RenderOptions {
            lang: Lang::Zh,
            ..Default::default()
        });
        assert_eq!(doc["findings"][0]["title"], "函数 URL 未启用身份验证");
        assert_eq!(
            doc["findings"][0]["message"],
            "OrdersFunction 的函数 URL 允许任何人调用"
        );
        assert_eq!(doc["scan"]["language"], "zh");
    }
}
