//! The outcome of a run and its renderers (table, JSON, SARIF, JUnit,
//! Markdown). Renderers only read a `Report`; they never decide anything.

use crate::finding::Finding;
use crate::location::SourceRef;
use crate::rule::RuleMeta;
use crate::severity::Severity;
use crate::text::Lang;
use serde::Serialize;
use std::str::FromStr;

/// Version of fnguard's JSON output; bump on any incompatible change.
pub const JSON_SCHEMA_VERSION: &str = "1.0.0";

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
    // STUB: replaced by the renderers.
    let _ = (format, opts);
    serde_json::to_string_pretty(report).unwrap_or_default()
}
