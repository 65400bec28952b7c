use crate::location::SourceRef;
use crate::rule::RuleMeta;
use crate::severity::Severity;
use crate::text::Text;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// One thing fnguard reports. Findings are data, never errors.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Finding {
    pub rule_id: String,
    pub severity: Severity,
    pub message: Text,
    /// The resource the finding is about: a CloudFormation logical id, a
    /// Terraform address, a Serverless function name, or an ARN.
    pub resource: String,
    pub location: SourceRef,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Related>,
    pub guide: Vec<String>,
    pub attack: Vec<String>,
    /// Stable across runs and unrelated edits (no line numbers in it); the
    /// key of baselines.
    pub fingerprint: String,
    /// Supporting detail; secrets are redacted before they get here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<Suppression>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Related {
    pub location: SourceRef,
    pub message: Text,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuppressionKind {
    /// `# fnguard:ignore FG-XXX-NNN reason` in the source.
    Inline,
    /// CloudFormation `Metadata: {fnguard: {ignore: [...]}}`.
    Metadata,
    /// `fnguard.toml`.
    Config,
    /// A baseline file written by `--write-baseline`.
    Baseline,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suppression {
    pub kind: SuppressionKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Finding {
    /// Build a finding from a rule's metadata. `discriminator` separates
    /// several findings of the same rule on the same resource (a variable
    /// name, a statement id, a route); it feeds the fingerprint.
    pub fn new(
        rule: &RuleMeta,
        resource: impl Into<String>,
        location: SourceRef,
        message: Text,
        discriminator: &str,
    ) -> Self {
        let resource = resource.into();
        let fingerprint = fingerprint(rule.id, &location.path, &resource, discriminator);
        Finding {
            rule_id: rule.id.to_string(),
            severity: rule.severity,
            message,
            resource,
            location,
            related: Vec::new(),
            guide: rule.guide.iter().map(|s| s.to_string()).collect(),
            attack: rule.attack.iter().map(|s| s.to_string()).collect(),
            fingerprint,
            evidence: None,
            suppressed: None,
        }
    }

    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    pub fn with_evidence(mut self, evidence: impl Into<String>) -> Self {
        self.evidence = Some(evidence.into());
        self
    }

    pub fn with_related(mut self, location: SourceRef, message: Text) -> Self {
        self.related.push(Related { location, message });
        self
    }

    pub fn is_suppressed(&self) -> bool {
        self.suppressed.is_some()
    }
}

/// SHA-256 over the parts that identify a finding, hex, first 32 chars.
/// Paths use forward slashes so a baseline written on one OS works on another.
pub fn fingerprint(rule_id: &str, path: &str, resource: &str, discriminator: &str) -> String {
    let mut hasher = Sha256::new();
    for part in [rule_id, &path.replace('\\', "/"), resource, discriminator] {
        hasher.update(part.as_bytes());
        hasher.update([0u8]);
    }
    let digest = hasher.finalize();
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// Redact a secret for display: keep at most four leading and two trailing
/// characters, and only when the value is long enough that this reveals
/// little.
pub fn redact(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    if chars.len() < 12 {
        return "*****".to_string();
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 2..].iter().collect();
    format!("{head}*****{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_is_stable_and_discriminating() {
        let a = fingerprint("FG-SEC-001", "a/b.yaml", "Fn", "DB_PASSWORD");
        assert_eq!(
            a,
            fingerprint("FG-SEC-001", "a\\b.yaml", "Fn", "DB_PASSWORD")
        );
        assert_ne!(a, fingerprint("FG-SEC-001", "a/b.yaml", "Fn", "API_KEY"));
        assert_ne!(
            a,
            fingerprint("FG-SEC-002", "a/b.yaml", "Fn", "DB_PASSWORD")
        );
        assert_eq!(a.len(), 32);
    }

    #[test]
    fn redaction_hides_most_of_the_secret() {
        assert_eq!(redact("AKIAZ7EXAMPLEKEY1234"), "AKIA*****34");
        assert_eq!(redact("short"), "*****");
        let r = redact("wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzzzzzzzzz");
        assert!(!r.contains("XUtnFEMI"));
    }
}
