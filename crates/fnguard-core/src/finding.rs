use crate::location::SourceRef;
use crate::rule::RuleMeta;
use crate::severity::Severity;
use crate::text::{Lang, Text};
use serde::{Deserialize, Serialize, Serializer};
use sha2::{Digest, Sha256};
use std::fmt;

/// One thing fnguard reports. Findings are data, never errors.
///
/// Rule id, guide sections and ATT&CK techniques point into the rule's
/// static metadata: a corpus scan holds 150k findings, and owned copies of
/// them were a third of each finding's allocations.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub rule_id: &'static str,
    pub severity: Severity,
    pub message: Text,
    /// The resource the finding is about: a CloudFormation logical id, a
    /// Terraform address, a Serverless function name, or an ARN.
    pub resource: String,
    pub location: SourceRef,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Related>,
    pub guide: &'static [&'static str],
    pub attack: &'static [&'static str],
    /// Stable across runs and unrelated edits (no line numbers in it); the
    /// key of baselines.
    pub fingerprint: Fingerprint,
    /// Supporting detail; secrets are redacted before they get here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<Suppression>,
    /// The chain of an attack-path finding, step by step; boxed because
    /// only a few findings have one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attack_path: Option<Box<AttackPath>>,
}

/// An attack path (rule area PATH) as data: SARIF renders it as code flows
/// and `--graph` draws every path of a scan as one graph.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttackPath {
    /// Exposure × impact; higher is more dangerous.
    pub score: u32,
    /// In path order: entry point, function, role (if any), then every
    /// impact. Each impact ends its own flow: entry → function → (role →)
    /// impact.
    pub steps: Vec<PathStep>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PathStep {
    pub kind: StepKind,
    /// A short name for graphs: the entry's story, a function or role id,
    /// an impact such as `secretsmanager:GetSecretValue on *`.
    pub label: Text,
    /// Index into the finding's `related` list of where this step is.
    pub related: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// How an outsider gets in (an open route, URL, permission, trigger).
    Entry,
    /// The function that runs.
    Function,
    /// The execution role whose credentials the code holds.
    Role,
    /// What the role's permissions give.
    Impact,
    /// What the function's network position reaches.
    Reach,
}

impl StepKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StepKind::Entry => "entry",
            StepKind::Function => "function",
            StepKind::Role => "role",
            StepKind::Impact => "impact",
            StepKind::Reach => "reach",
        }
    }
}

impl AttackPath {
    /// The flows of the path: for every impact or reach step, the steps
    /// leading to it (entry, function, and the role for role impacts).
    pub fn flows(&self) -> Vec<Vec<&PathStep>> {
        let head: Vec<&PathStep> = self
            .steps
            .iter()
            .filter(|s| matches!(s.kind, StepKind::Entry | StepKind::Function))
            .collect();
        let role = self.steps.iter().find(|s| s.kind == StepKind::Role);
        self.steps
            .iter()
            .filter(|s| matches!(s.kind, StepKind::Impact | StepKind::Reach))
            .map(|end| {
                let mut flow = head.clone();
                if end.kind == StepKind::Impact {
                    flow.extend(role);
                }
                flow.push(end);
                flow
            })
            .collect()
    }
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
        rule: &'static RuleMeta,
        resource: impl Into<String>,
        location: SourceRef,
        message: Text,
        discriminator: &str,
    ) -> Self {
        let resource = resource.into();
        let fingerprint = fingerprint(rule.id, &location.path, &resource, discriminator);
        Finding {
            rule_id: rule.id,
            severity: rule.severity,
            message,
            resource,
            location,
            related: Vec::new(),
            guide: rule.guide,
            attack: rule.attack,
            fingerprint,
            evidence: None,
            suppressed: None,
            attack_path: None,
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

    pub fn with_attack_path(mut self, path: AttackPath) -> Self {
        self.attack_path = Some(Box::new(path));
        self
    }

    /// Keeps the messages (its own and its related locations') in `lang`
    /// only, when the report will show that language alone.
    pub fn keep_only(&mut self, lang: Lang) {
        self.message.keep_only(lang);
        for related in &mut self.related {
            related.message.keep_only(lang);
        }
    }

    pub fn is_suppressed(&self) -> bool {
        self.suppressed.is_some()
    }
}

/// The first 16 bytes of a SHA-256 over the parts that identify a finding,
/// shown as 32 lowercase hex digits. Kept as bytes (no allocation per
/// finding); ordering the bytes orders the hex text the same way.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fingerprint(pub [u8; 16]);

impl Fingerprint {
    /// The 32 hex digits, without allocating.
    pub fn hex(&self) -> [u8; 32] {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut out = [0u8; 32];
        for (i, b) in self.0.iter().enumerate() {
            out[2 * i] = DIGITS[usize::from(b >> 4)];
            out[2 * i + 1] = DIGITS[usize::from(b & 0xf)];
        }
        out
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hex = self.hex();
        // Hex digits are ASCII.
        f.write_str(std::str::from_utf8(&hex).unwrap_or_default())
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

impl PartialEq<str> for Fingerprint {
    fn eq(&self, other: &str) -> bool {
        self.hex() == other.as_bytes()
    }
}

impl Serialize for Fingerprint {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// SHA-256 over the parts that identify a finding, each followed by a NUL.
/// Paths use forward slashes so a baseline written on one OS works on another.
pub fn fingerprint(rule_id: &str, path: &str, resource: &str, discriminator: &str) -> Fingerprint {
    let mut hasher = Sha256::new();
    hasher.update(rule_id.as_bytes());
    hasher.update([0u8]);
    // Each backslash hashed as a slash, without building the replaced path.
    let mut parts = path.split('\\');
    if let Some(first) = parts.next() {
        hasher.update(first.as_bytes());
    }
    for part in parts {
        hasher.update(b"/");
        hasher.update(part.as_bytes());
    }
    hasher.update([0u8]);
    for part in [resource, discriminator] {
        hasher.update(part.as_bytes());
        hasher.update([0u8]);
    }
    let digest = hasher.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    Fingerprint(bytes)
}

/// Redact a secret for display, the one way fnguard shows any secret (IaC
/// values and secrets found in code alike): nothing of a value shorter
/// than 12 characters; otherwise at most a quarter of it as prefix (4
/// characters at most) and an eighth as suffix (2 at most), so a printed
/// finding never gives the secret away but still tells two keys apart.
pub fn redact(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    let n = chars.len();
    if n < 12 {
        return "*****".to_string();
    }
    let head: String = chars[..(n / 4).min(4)].iter().collect();
    let tail: String = chars[n - (n / 8).min(2)..].iter().collect();
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
        assert_eq!(a.to_string().len(), 32);
    }

    /// The old definition: hex of the first 16 bytes of SHA-256 over the
    /// NUL-terminated parts, backslashes replaced first. Baselines written
    /// with it must keep matching.
    fn reference(rule_id: &str, path: &str, resource: &str, discriminator: &str) -> String {
        let mut hasher = Sha256::new();
        for part in [rule_id, &path.replace('\\', "/"), resource, discriminator] {
            hasher.update(part.as_bytes());
            hasher.update([0u8]);
        }
        let digest = hasher.finalize();
        digest[..16].iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn fingerprint_equals_the_reference_definition() {
        for (rule, path, resource, disc) in [
            ("FG-SEC-001", "a/b.yaml", "Fn", "DB_PASSWORD"),
            ("FG-IAM-003", "c:\\x\\y.tf", "aws_iam_role.r", ""),
            ("FG-RT-002", "\\", "", ""),
            ("FG-RT-002", "", "", "x\\y"),
            ("FG-LOG-001", "dir\\\\double/mixed\\", "函数", "路由 /a"),
        ] {
            let fp = fingerprint(rule, path, resource, disc);
            let expected = reference(rule, path, resource, disc);
            assert_eq!(fp.to_string(), expected);
            assert!(fp == *expected.as_str());
        }
    }

    #[test]
    fn fingerprint_order_is_the_order_of_its_hex() {
        let mut fps: Vec<Fingerprint> = (0..200)
            .map(|i| fingerprint("FG-X-001", "p", &i.to_string(), ""))
            .collect();
        let mut hex: Vec<String> = fps.iter().map(ToString::to_string).collect();
        fps.sort();
        hex.sort();
        assert_eq!(fps.iter().map(ToString::to_string).collect::<Vec<_>>(), hex);
    }

    #[test]
    fn redaction_hides_most_of_the_secret() {
        assert_eq!(redact("AKIAZ7EXAMPLEKEY1234"), "AKIA*****34");
        assert_eq!(redact("short"), "*****");
        assert_eq!(redact("elevenchars"), "*****");
        assert_eq!(
            redact("Orders#Prod24"),
            "Ord*****4",
            "13 characters: 3 and 1"
        );
        let r = redact("wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzzzzzzzzz");
        assert!(!r.contains("XUtnFEMI"));
    }
}
