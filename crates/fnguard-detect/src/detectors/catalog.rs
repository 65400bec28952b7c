//! What every stateful detector reports, as data: id, titles and texts in
//! English and Chinese, guide section, ATT&CK techniques, default severity
//! and remediation. `fnguard rules list` prints it and `fnguard rules
//! check` runs [`check`]; the detectors build their alerts from it so that
//! the text an analyst reads and the text the catalog lists are the same.
//!
//! A new detector adds one `DetectorInfo` constant (next to its code) and
//! one line to [`CATALOG`].

use super::{anomaly, destinations, function_roles, stolen_credentials};
use crate::alert::{Alert, AlertKind, AlertOrigin};
use crate::input::Event;
use fnguard_core::severity::Severity;
use fnguard_core::text::Lang;
use serde::Serialize;
use serde_json::{Map, Value};

/// One kind of alert a detector raises. A detector may raise several
/// (the function-role detector has four), each with its own id.
#[derive(Debug, Clone, Serialize)]
pub struct DetectorInfo {
    /// `FG-DET-NNN`, never reused.
    pub id: &'static str,
    /// [`super::Detector::name`] of the detector that raises it.
    pub detector: &'static str,
    /// Default severity; a detector may raise or lower one alert's
    /// severity when its facts say so (and the description says when).
    pub severity: Severity,
    /// Guide sections, `2.2` or `2.2, 3.4.3`.
    pub guide: &'static str,
    /// MITRE ATT&CK technique ids (`T1552.005`).
    pub attack: &'static [&'static str],
    pub title_en: &'static str,
    pub title_zh: &'static str,
    pub description_en: &'static str,
    pub description_zh: &'static str,
    pub remediation_en: &'static str,
    pub remediation_zh: &'static str,
}

/// Every detector alert fnguard knows, in id order.
pub const CATALOG: &[DetectorInfo] = &[
    stolen_credentials::INFO,
    function_roles::ROLE_CHANGED,
    function_roles::ADMIN_GRANTED,
    function_roles::PRIVILEGED_ROLE_PASSED,
    function_roles::ADMIN_NAMED_ROLE_PASSED,
    anomaly::DURATION_SPIKE,
    anomaly::MEMORY_SPIKE,
    anomaly::INIT_SPIKE,
    anomaly::MEMORY_AT_LIMIT,
    anomaly::ERROR_BURST,
    anomaly::TIMEOUT_BURST,
    destinations::NEW_DNS_DESTINATION,
    destinations::NEW_FLOW_DESTINATION,
    destinations::FUNCTION_ENDPOINT_QUERY,
    destinations::BEACON,
];

/// The entry of one id.
pub fn find(id: &str) -> Option<&'static DetectorInfo> {
    CATALOG.iter().find(|info| info.id.eq_ignore_ascii_case(id))
}

impl DetectorInfo {
    pub fn title(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::En => self.title_en,
            Lang::Zh => self.title_zh,
        }
    }

    pub fn description(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::En => self.description_en,
            Lang::Zh => self.description_zh,
        }
    }

    pub fn remediation(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::En => self.remediation_en,
            Lang::Zh => self.remediation_zh,
        }
    }

    /// ATT&CK techniques as Sigma-style tags (`attack.t1552.005`), the
    /// form rule alerts carry, so that outputs treat both alike.
    pub fn tags(&self) -> Vec<String> {
        self.attack
            .iter()
            .map(|t| format!("attack.{}", t.to_ascii_lowercase()))
            .collect()
    }

    /// An alert of this kind raised by `event` (its time and origin).
    pub fn alert(&self, event: &Event, severity: Severity, facts: Map<String, Value>) -> Alert {
        Alert {
            kind: AlertKind::Detector,
            rule_id: self.id.to_string(),
            title: self.title_en.to_string(),
            title_zh: Some(self.title_zh.to_string()),
            severity,
            tags: self.tags(),
            guide: Some(self.guide.to_string()),
            time: crate::alert::event_time_text(&event.value),
            facts,
            origin: Some(AlertOrigin::from(&event.origin)),
        }
    }
}

/// Problems of the catalog: malformed or repeated ids (also against the
/// Sigma pack's ids), empty texts, Chinese texts without Chinese, no guide
/// section, techniques that are not ATT&CK ids, no detector name.
pub fn check() -> Vec<String> {
    let mut problems = Vec::new();
    let mut ids = std::collections::HashSet::new();
    let pack_ids: Vec<String> = crate::pack::builtin()
        .map(|rules| rules.into_iter().map(|r| r.id).collect())
        .unwrap_or_default();
    for info in CATALOG {
        let id = info.id;
        let well_formed = id.len() == 10
            && id.starts_with("FG-DET-")
            && id[7..].bytes().all(|b| b.is_ascii_digit());
        if !well_formed {
            problems.push(format!("{id}: id is not FG-DET-NNN"));
        }
        if !ids.insert(id) {
            problems.push(format!("{id}: id used twice in the detector catalog"));
        }
        if pack_ids.iter().any(|p| p == id) {
            problems.push(format!("{id}: id also used by a rule of the pack"));
        }
        if info.detector.trim().is_empty() {
            problems.push(format!("{id}: no detector name"));
        }
        for (name, value) in [
            ("title_en", info.title_en),
            ("title_zh", info.title_zh),
            ("description_en", info.description_en),
            ("description_zh", info.description_zh),
            ("remediation_en", info.remediation_en),
            ("remediation_zh", info.remediation_zh),
            ("guide", info.guide),
        ] {
            if value.trim().is_empty() {
                problems.push(format!("{id}: {name} is empty"));
            }
        }
        for (name, value) in [
            ("title_zh", info.title_zh),
            ("description_zh", info.description_zh),
            ("remediation_zh", info.remediation_zh),
        ] {
            if !value
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
            {
                problems.push(format!("{id}: {name} has no Chinese text"));
            }
        }
        if info.attack.is_empty() {
            problems.push(format!("{id}: no ATT&CK technique"));
        }
        for technique in info.attack {
            if !is_attack_technique(technique) {
                problems.push(format!("{id}: `{technique}` is not an ATT&CK technique id"));
            }
        }
    }
    problems
}

/// `T1234` or `T1234.567`.
fn is_attack_technique(text: &str) -> bool {
    let Some(rest) = text.strip_prefix('T') else {
        return false;
    };
    let (main, sub) = match rest.split_once('.') {
        Some((main, sub)) => (main, Some(sub)),
        None => (rest, None),
    };
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    digits(main, 4) && sub.is_none_or(|s| digits(s, 3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_is_complete_and_ids_are_unique() {
        let problems = check();
        assert!(problems.is_empty(), "{problems:#?}");
        assert!(find("fg-det-101").is_some());
        assert!(find("FG-DET-199").is_none());
    }

    #[test]
    fn technique_ids_are_checked() {
        assert!(is_attack_technique("T1552.005"));
        assert!(is_attack_technique("T1098"));
        for bad in ["T15", "1098", "T1098.5", "T1098.", "t1098"] {
            assert!(!is_attack_technique(bad), "{bad}");
        }
    }
}
