//! The outcome of a run and its renderers (table, JSON, SARIF, JUnit,
//! Markdown), and the attack-path graph (DOT, Mermaid). Renderers only
//! read a `Report`; they never decide anything.

mod graph;
mod json;
mod junit;
mod markdown;
mod sarif;
mod table;

use crate::finding::Finding;
use crate::location::SourceRef;
use crate::rule::RuleMeta;
use crate::severity::Severity;
use crate::text::Lang;
use serde::Serialize;
use std::str::FromStr;

pub use graph::{render_graph, GraphFormat};

/// Version of fnguard's JSON output: the major part changes on an
/// incompatible change, the minor part when fields are added (1.1.0:
/// `attack_path`).
pub const JSON_SCHEMA_VERSION: &str = "1.2.0";

/// An input that could not be read or parsed. The rest of the scan goes on;
/// the run exits with 2.
#[derive(Debug, Clone, Serialize)]
pub struct InputError {
    pub location: SourceRef,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub tool_name: String,
    pub tool_version: String,
    /// The path the user asked to scan, as given.
    pub scan_root: String,
    /// Date the scan ran as (YYYY-MM-DD); date-dependent rules use it.
    pub scan_date: String,
    pub files_scanned: usize,
    pub deployments_scanned: usize,
    pub findings: Vec<Finding>,
    pub errors: Vec<InputError>,
    /// Metadata of every rule that was enabled in this run (SARIF lists them
    /// in `tool.driver.rules`).
    #[serde(skip)]
    pub rules: Vec<&'static RuleMeta>,
    /// The dependencies of the packages the scan read (empty when it read
    /// none).
    pub inventory: Vec<InventoryItem>,
    /// Whether the inventory was matched against an advisory database.
    pub advisories_checked: bool,
}

/// One dependency shipped in a scanned package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InventoryItem {
    /// The package (folder or archive) it ships in, as displayed.
    pub package: String,
    /// OSV ecosystem name: `PyPI`, `npm`, `Go`, `crates.io`, `Maven`.
    pub ecosystem: String,
    pub name: String,
    pub version: String,
    pub purl: String,
    /// The file (and line, 0 when unknown) that lists it.
    pub location: SourceRef,
    /// `direct`, `transitive` or `dev`, when the file says.
    pub scope: Option<&'static str>,
}

impl Report {
    pub fn active_findings(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| !f.is_suppressed())
    }

    pub fn suppressed_count(&self) -> usize {
        self.findings.iter().filter(|f| f.is_suppressed()).count()
    }

    /// Counts of unsuppressed findings per severity, most severe first.
    pub fn severity_counts(&self) -> [(Severity, usize); 5] {
        Severity::ALL.map(|s| {
            (
                s,
                self.active_findings().filter(|f| f.severity == s).count(),
            )
        })
    }

    pub fn rule(&self, id: &str) -> Option<&'static RuleMeta> {
        self.rules.iter().copied().find(|r| r.id == id)
    }
}

/// Output formats of `fnguard scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Sarif,
    Junit,
    Markdown,
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "table" | "human" | "text" => Ok(Format::Table),
            "json" => Ok(Format::Json),
            "sarif" => Ok(Format::Sarif),
            "junit" | "junit-xml" | "xml" => Ok(Format::Junit),
            "markdown" | "md" => Ok(Format::Markdown),
            _ => Err(format!(
                "unknown format `{s}` (expected table, json, sarif, junit or markdown)"
            )),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    pub lang: Lang,
    /// ANSI colours (the CLI enables them only on a terminal).
    pub color: bool,
    /// List suppressed findings too (they are always counted).
    pub show_suppressed: bool,
}

/// Render a report. Machine formats (JSON, SARIF, JUnit) always include
/// suppressed findings, marked as such; human formats list them only with
/// `show_suppressed`.
pub fn render(report: &Report, format: Format, opts: &RenderOptions) -> String {
    let mut out = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = render_to(report, format, opts, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// Render a report into a writer. JSON and SARIF are streamed from borrowed
/// views of the findings (large scans would otherwise hold a second copy of
/// every finding as a JSON tree); the human formats are small enough to
/// build first.
pub fn render_to(
    report: &Report,
    format: Format,
    opts: &RenderOptions,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    match format {
        Format::Json => json::render_to(report, opts, out),
        Format::Sarif => sarif::render_to(report, opts, out),
        Format::Table => out.write_all(table::render(report, opts).as_bytes()),
        Format::Junit => out.write_all(junit::render(report, opts).as_bytes()),
        Format::Markdown => out.write_all(markdown::render(report, opts).as_bytes()),
    }
}

/// Findings in reading order: most severe first, then by file and line.
pub(crate) fn ordered(findings: &[Finding]) -> Vec<&Finding> {
    let mut list: Vec<&Finding> = findings.iter().collect();
    list.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.location.path.cmp(&b.location.path))
            .then_with(|| a.location.line.cmp(&b.location.line))
            .then_with(|| a.rule_id.cmp(b.rule_id))
    });
    list
}

/// Text of a suppression for humans: "inline: reason".
pub(crate) fn suppression_note(finding: &Finding) -> Option<String> {
    let s = finding.suppressed.as_ref()?;
    let kind = match s.kind {
        crate::finding::SuppressionKind::Inline => "inline",
        crate::finding::SuppressionKind::Metadata => "metadata",
        crate::finding::SuppressionKind::Config => "config",
        crate::finding::SuppressionKind::Baseline => "baseline",
    };
    Some(match &s.reason {
        Some(reason) => format!("{kind}: {reason}"),
        None => kind.to_string(),
    })
}

#[cfg(test)]
pub(crate) mod sample {
    //! A report with one finding of each kind, shared by renderer tests.
    use super::*;
    use crate::finding::{Suppression, SuppressionKind};
    use crate::rule::{Area, RuleMeta};
    use crate::text::Text;

    pub static RULE_A: RuleMeta = RuleMeta {
        id: "FG-TRIG-002",
        area: Area::Trig,
        severity: Severity::High,
        guide: &["3.1.2", "2.2"],
        attack: &["T1190"],
        title_en: "Function URL without authentication",
        title_zh: "函数 URL 未启用身份验证",
        description_en: "The function URL uses AuthType NONE.",
        description_zh: "函数 URL 的 AuthType 为 NONE。",
        risk_en: "Anyone on the internet can invoke the function.",
        risk_zh: "互联网上任何人都可以调用该函数。",
        remediation_en: "Set AuthType to AWS_IAM.",
        remediation_zh: "将 AuthType 设置为 AWS_IAM。",
        references: &["https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html"],
    };

    pub static RULE_B: RuleMeta = RuleMeta {
        id: "FG-LOG-003",
        area: Area::Log,
        severity: Severity::Info,
        guide: &["3.4.2"],
        attack: &["T1562.008"],
        title_en: "No active tracing",
        title_zh: "未启用主动追踪",
        description_en: "Tracing is not Active.",
        description_zh: "未启用主动追踪。",
        risk_en: "Harder investigations & <escaping> | pipes.",
        risk_zh: "调查更困难。",
        remediation_en: "Set Tracing: Active.",
        remediation_zh: "设置 Tracing: Active。",
        references: &["https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html"],
    };

    pub fn report() -> Report {
        let url = Finding::new(
            &RULE_A,
            "OrdersFunction",
            SourceRef::new("sam/template.yaml", 42, 7),
            Text::new(
                "Function URL of OrdersFunction allows anyone <script> & \"quotes\" | pipe",
                "OrdersFunction 的函数 URL 允许任何人调用",
            ),
            "url",
        )
        .with_evidence("AuthType: NONE");
        let mut suppressed = Finding::new(
            &RULE_B,
            "OrdersFunction",
            SourceRef::new("dir with space/template.yaml", 10, 3),
            Text::new(
                "OrdersFunction has no active tracing",
                "OrdersFunction 未启用主动追踪",
            ),
            "tracing",
        );
        suppressed.suppressed = Some(Suppression {
            kind: SuppressionKind::Inline,
            reason: Some("tracing costs".into()),
        });
        Report {
            tool_name: "fnguard".into(),
            tool_version: "0.1.0".into(),
            scan_root: "examples".into(),
            scan_date: "2026-11-28".into(),
            files_scanned: 3,
            deployments_scanned: 2,
            findings: vec![suppressed, url],
            errors: vec![InputError {
                location: SourceRef::new("broken.yaml", 3, 9),
                message: "invalid YAML: did not find expected key".into(),
            }],
            rules: vec![&RULE_A, &RULE_B],
            inventory: vec![InventoryItem {
                package: "build/fn.zip".into(),
                ecosystem: "PyPI".into(),
                name: "requests".into(),
                version: "2.30.0".into(),
                purl: "pkg:pypi/requests@2.30.0".into(),
                location: SourceRef::new("build/fn.zip!/requirements.txt", 1, 1),
                scope: Some("direct"),
            }],
            advisories_checked: false,
        }
    }
}
