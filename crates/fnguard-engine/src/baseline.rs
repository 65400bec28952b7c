//! Baselines: accept today's findings so that only new ones fail a build.
//! Keyed by the findings' fingerprints, which carry no line numbers, so
//! unrelated edits do not resurrect accepted findings.

use crate::SettingsError;
use fnguard_core::{Finding, SuppressionKind};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::path::Path;

/// Version of the baseline file format; the major part must match to read.
pub const BASELINE_SCHEMA_VERSION: &str = "1.0.0";

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineFile {
    pub schema_version: String,
    pub generated_by: String,
    pub findings: Vec<BaselineEntry>,
}

/// Rule, resource and path are there for people reviewing the file; only
/// the fingerprint is matched.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineEntry {
    pub fingerprint: String,
    pub rule_id: String,
    pub resource: String,
    pub path: String,
}

/// The fingerprints of a loaded baseline.
#[derive(Debug, Default)]
pub struct Baseline {
    pub source: String,
    fingerprints: HashSet<String>,
}

impl Baseline {
    pub fn load(path: &Path) -> Result<Baseline, SettingsError> {
        let display = path.to_string_lossy().replace('\\', "/");
        let text = std::fs::read_to_string(path)
            .map_err(|e| SettingsError::new(&display, 0, 0, format!("cannot read: {e}")))?;
        Baseline::parse(&text, &display)
    }

    pub fn parse(text: &str, display: &str) -> Result<Baseline, SettingsError> {
        let file: BaselineFile = serde_json::from_str(text).map_err(|e| {
            SettingsError::new(
                display,
                e.line() as u32,
                e.column() as u32,
                format!("not a fnguard baseline: {e}"),
            )
        })?;
        let major = |v: &str| v.split('.').next().unwrap_or("").to_string();
        if major(&file.schema_version) != major(BASELINE_SCHEMA_VERSION) {
            return Err(SettingsError::new(
                display,
                0,
                0,
                format!(
                    "baseline schema_version {} is not supported (expected {})",
                    file.schema_version, BASELINE_SCHEMA_VERSION
                ),
            ));
        }
        Ok(Baseline {
            source: display.to_string(),
            fingerprints: file.findings.into_iter().map(|f| f.fingerprint).collect(),
        })
    }

    pub fn contains(&self, fingerprint: &str) -> bool {
        self.fingerprints.contains(fingerprint)
    }

    pub fn len(&self) -> usize {
        self.fingerprints.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fingerprints.is_empty()
    }
}

impl BaselineFile {
    /// The baseline accepting `findings`: those not suppressed, plus those
    /// an earlier baseline accepted (rewriting a baseline keeps the debt it
    /// already recorded). Sorted so rewrites give small diffs.
    pub fn from_findings<'a>(
        findings: impl IntoIterator<Item = &'a Finding>,
        generated_by: &str,
    ) -> BaselineFile {
        let mut entries: Vec<BaselineEntry> = findings
            .into_iter()
            .filter(|f| {
                f.suppressed
                    .as_ref()
                    .is_none_or(|s| s.kind == SuppressionKind::Baseline)
            })
            .map(|f| BaselineEntry {
                fingerprint: f.fingerprint.to_string(),
                rule_id: f.rule_id.to_string(),
                resource: f.resource.clone(),
                path: f.location.path.clone(),
            })
            .collect();
        entries.sort();
        entries.dedup_by(|a, b| a.fingerprint == b.fingerprint);
        BaselineFile {
            schema_version: BASELINE_SCHEMA_VERSION.to_string(),
            generated_by: generated_by.to_string(),
            findings: entries,
        }
    }

    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".to_string());
        text.push('\n');
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;
    use fnguard_core::{SourceRef, Suppression, Text};

    fn finding(resource: &str, suppressed: Option<SuppressionKind>) -> Finding {
        let mut f = Finding::new(
            testing::rule("FG-TRIG-002"),
            resource,
            SourceRef::new("t.yaml", 1, 1),
            Text::new("m", "m"),
            "",
        );
        f.suppressed = suppressed.map(|kind| Suppression { kind, reason: None });
        f
    }

    #[test]
    fn round_trip_keeps_active_and_baselined_findings() {
        let findings = [
            finding("B", None),
            finding("A", None),
            finding("A", None),
            finding("Inline", Some(SuppressionKind::Inline)),
            finding("Old", Some(SuppressionKind::Baseline)),
        ];
        let file = BaselineFile::from_findings(&findings, "fnguard 0.1.0");
        let resources: Vec<&str> = file.findings.iter().map(|e| e.resource.as_str()).collect();
        assert_eq!(resources.len(), 3);
        assert!(resources.contains(&"Old") && !resources.contains(&"Inline"));
        let json = file.to_json();
        let back = Baseline::parse(&json, "b.json").expect("parse");
        assert_eq!(back.len(), 3);
        assert!(back.contains(&findings[0].fingerprint.to_string()));
        assert!(!back.contains(&findings[3].fingerprint.to_string()));
    }

    #[test]
    fn bad_baselines_are_errors_with_position() {
        let err = Baseline::parse("{\n  \"schema_version\": \"1.0.0\",\n  oops\n}", "b.json")
            .expect_err("syntax");
        assert_eq!(err.line, 3);
        let err = Baseline::parse(
            r#"{"schema_version":"1.0.0","generated_by":"x","findings":[],"extra":1}"#,
            "b.json",
        )
        .expect_err("unknown field");
        assert!(err.message.contains("extra"), "{err}");
        let err = Baseline::parse(
            r#"{"schema_version":"2.0.0","generated_by":"x","findings":[]}"#,
            "b.json",
        )
        .expect_err("version");
        assert!(err.message.contains("2.0.0"));
    }
}
