//! Secret rules as data: the YAML files under `rules/secrets/`, embedded in
//! the binary and parsed once. A malformed rule is an error naming its file
//! and position (or rule id), never a panic.

use fnguard_core::Severity;
use regex::bytes::Regex;
use std::fmt;
use std::sync::OnceLock;
use yaml_rust2::{Yaml, YamlLoader};

/// The rule files shipped with fnguard, one per vendor or family. A test
/// checks that this list and the folder agree.
pub const BUILTIN_FILES: &[(&str, &str)] = &[
    ("aws.yml", include_str!("../../../../rules/secrets/aws.yml")),
    (
        "alibaba.yml",
        include_str!("../../../../rules/secrets/alibaba.yml"),
    ),
    (
        "tencent.yml",
        include_str!("../../../../rules/secrets/tencent.yml"),
    ),
    (
        "huawei.yml",
        include_str!("../../../../rules/secrets/huawei.yml"),
    ),
    (
        "google.yml",
        include_str!("../../../../rules/secrets/google.yml"),
    ),
    (
        "azure.yml",
        include_str!("../../../../rules/secrets/azure.yml"),
    ),
    (
        "github.yml",
        include_str!("../../../../rules/secrets/github.yml"),
    ),
    (
        "gitlab.yml",
        include_str!("../../../../rules/secrets/gitlab.yml"),
    ),
    (
        "packages.yml",
        include_str!("../../../../rules/secrets/packages.yml"),
    ),
    (
        "slack.yml",
        include_str!("../../../../rules/secrets/slack.yml"),
    ),
    (
        "payments.yml",
        include_str!("../../../../rules/secrets/payments.yml"),
    ),
    (
        "messaging.yml",
        include_str!("../../../../rules/secrets/messaging.yml"),
    ),
    ("ai.yml", include_str!("../../../../rules/secrets/ai.yml")),
    ("jwt.yml", include_str!("../../../../rules/secrets/jwt.yml")),
    (
        "private-keys.yml",
        include_str!("../../../../rules/secrets/private-keys.yml"),
    ),
    (
        "databases.yml",
        include_str!("../../../../rules/secrets/databases.yml"),
    ),
    (
        "services.yml",
        include_str!("../../../../rules/secrets/services.yml"),
    ),
    (
        "generic.yml",
        include_str!("../../../../rules/secrets/generic.yml"),
    ),
];

/// How far past the end of a keyword hit a rule's regex may reach when the
/// rule does not say (`window`); a secret assignment fits on one line.
pub const DEFAULT_WINDOW: usize = 256;

/// An example the rule must find, with the secret it must capture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    pub input: String,
    pub secret: String,
}

#[derive(Debug, Clone)]
pub struct SecretRule {
    /// `FG-SEC-1nn`; never reused.
    pub id: String,
    /// Short machine name, e.g. `aws-access-key-id`.
    pub name: String,
    /// The regex as written; group 1 is the secret.
    pub pattern: String,
    /// `pattern` compiled, on first use; `None` inside if it does not
    /// compile (a size limit: the syntax was checked when parsing).
    regex: OnceLock<Option<Regex>>,
    /// Lowercase literals; the regex runs only near one of them.
    pub keywords: Vec<String>,
    /// Minimum Shannon entropy (bits per character) of the secret.
    pub min_entropy: Option<f64>,
    /// The secret must pass the randomness test (no words, paths,
    /// identifiers): for rules that only know a secret by its name.
    pub randomness: bool,
    /// A catch-all rule: its hits yield to a specific rule's on the same
    /// bytes.
    pub generic: bool,
    /// At least one of these literals (any case) must occur somewhere in
    /// the input, e.g. `service_account` for a service-account key.
    pub file_contains: Vec<String>,
    /// Bytes after a keyword hit that a match may reach.
    pub window: usize,
    pub examples: Vec<Example>,
    pub negative_examples: Vec<String>,
    pub severity: Severity,
    pub title_en: String,
    pub title_zh: String,
    pub description_en: String,
    pub description_zh: String,
    /// What an attacker who finds this secret in a deployed package can do
    /// with it.
    pub risk_en: String,
    pub risk_zh: String,
    pub remediation_en: String,
    pub remediation_zh: String,
    /// Guide sections, e.g. `3.2.1`.
    pub guide: Vec<String>,
    /// MITRE ATT&CK technique ids, e.g. `T1552.001`.
    pub attack: Vec<String>,
    pub references: Vec<String>,
    /// The file the rule came from, for messages.
    pub file: String,
}

impl SecretRule {
    /// The rule's regex, compiled the first time it is needed.
    pub(crate) fn regex(&self) -> Option<&Regex> {
        self.regex
            .get_or_init(|| Regex::new(&self.pattern).ok())
            .as_ref()
    }
}

/// A rule file that cannot be used, with where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct RuleError {
    pub file: String,
    /// `line:column` of a YAML syntax error, or the rule id / index.
    pub at: String,
    pub message: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.file, self.at, self.message)
    }
}

/// The rules shipped with fnguard. Errors here are bugs caught by the test
/// suite and `fnguard rules check`.
pub fn builtin_rules() -> Result<Vec<SecretRule>, Vec<RuleError>> {
    let mut rules = Vec::new();
    let mut errors = Vec::new();
    for (file, text) in BUILTIN_FILES {
        match parse_rules(file, text) {
            Ok(mut parsed) => rules.append(&mut parsed),
            Err(mut errs) => errors.append(&mut errs),
        }
    }
    if errors.is_empty() {
        Ok(rules)
    } else {
        Err(errors)
    }
}

/// Parse one rule file: a YAML sequence of rules, or a mapping with a
/// `rules` sequence. Every bad rule is reported; good ones are kept only
/// when the whole file is good.
pub fn parse_rules(file: &str, text: &str) -> Result<Vec<SecretRule>, Vec<RuleError>> {
    let docs = YamlLoader::load_from_str(text).map_err(|e| {
        vec![RuleError {
            file: file.to_string(),
            at: format!("{}:{}", e.marker().line(), e.marker().col() + 1),
            message: e.info().to_string(),
        }]
    })?;
    let error = |at: String, message: String| RuleError {
        file: file.to_string(),
        at,
        message,
    };
    let items = match docs.first() {
        Some(Yaml::Array(items)) => items.as_slice(),
        Some(doc @ Yaml::Hash(_)) => match &doc["rules"] {
            Yaml::Array(items) => items.as_slice(),
            _ => return Err(vec![error("top".into(), "expected a `rules` list".into())]),
        },
        _ => return Err(vec![error("top".into(), "expected a list of rules".into())]),
    };
    let mut rules = Vec::new();
    let mut errors = Vec::new();
    for (index, item) in items.iter().enumerate() {
        match parse_rule(file, item) {
            Ok(rule) => rules.push(rule),
            Err(message) => {
                let at = item["id"]
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("rule #{}", index + 1));
                errors.push(error(at, message));
            }
        }
    }
    if errors.is_empty() {
        Ok(rules)
    } else {
        Err(errors)
    }
}

fn parse_rule(file: &str, item: &Yaml) -> Result<SecretRule, String> {
    if !matches!(item, Yaml::Hash(_)) {
        return Err("a rule is a mapping".into());
    }
    let text = |key: &str| -> Result<String, String> {
        match &item[key] {
            Yaml::String(s) if !s.trim().is_empty() => Ok(s.trim().to_string()),
            Yaml::BadValue => Err(format!("missing `{key}`")),
            _ => Err(format!("`{key}` must be a non-empty string")),
        }
    };
    let list = |key: &str| -> Result<Vec<String>, String> {
        match &item[key] {
            Yaml::BadValue => Ok(Vec::new()),
            Yaml::Array(values) => values
                .iter()
                .map(|v| match v {
                    Yaml::String(s) => Ok(s.clone()),
                    _ => Err(format!("`{key}` must list strings")),
                })
                .collect(),
            _ => Err(format!("`{key}` must be a list")),
        }
    };
    let flag = |key: &str| -> Result<bool, String> {
        match &item[key] {
            Yaml::BadValue => Ok(false),
            Yaml::Boolean(b) => Ok(*b),
            _ => Err(format!("`{key}` must be true or false")),
        }
    };
    let id = text("id")?;
    let pattern = text("pattern")?;
    // Parsed here, compiled on first use (`SecretRule::regex`): the
    // syntax and the capture count are checked now, and a scan that never
    // opens a window for the rule never pays for its compilation.
    let hir = regex_syntax::ParserBuilder::new()
        .utf8(false)
        .build()
        .parse(&pattern)
        .map_err(|e| format!("bad pattern: {e}"))?;
    // Exactly one explicit group: the secret.
    let groups = hir.properties().explicit_captures_len();
    if groups != 1 {
        return Err(format!(
            "pattern must have exactly one capture group (the secret), it has {groups}"
        ));
    }
    let keywords = list("keywords")?;
    if keywords.is_empty() {
        return Err("`keywords` must list at least one literal".into());
    }
    if let Some(k) = keywords
        .iter()
        .find(|k| k.is_empty() || **k != k.to_ascii_lowercase())
    {
        return Err(format!("keyword `{k}` must be non-empty and lowercase"));
    }
    let min_entropy = match &item["min_entropy"] {
        Yaml::BadValue => None,
        Yaml::Real(_) | Yaml::Integer(_) => {
            let value = item["min_entropy"]
                .as_f64()
                .or_else(|| item["min_entropy"].as_i64().map(|i| i as f64))
                .ok_or("`min_entropy` must be a number")?;
            if !(0.0..=8.0).contains(&value) {
                return Err("`min_entropy` must be between 0 and 8 bits".into());
            }
            Some(value)
        }
        _ => return Err("`min_entropy` must be a number".into()),
    };
    let window = match &item["window"] {
        Yaml::BadValue => DEFAULT_WINDOW,
        Yaml::Integer(n) if (16..=65_536).contains(n) => *n as usize,
        _ => return Err("`window` must be a byte count between 16 and 65536".into()),
    };
    let examples = match &item["examples"] {
        Yaml::Array(values) => values
            .iter()
            .map(|v| match (&v["input"], &v["secret"]) {
                (Yaml::String(input), Yaml::String(secret)) => Ok(Example {
                    input: input.clone(),
                    secret: secret.clone(),
                }),
                _ => Err("each example needs `input` and `secret` strings".to_string()),
            })
            .collect::<Result<Vec<_>, _>>()?,
        _ => return Err("`examples` must be a list".into()),
    };
    let negative_examples = list("negative_examples")?;
    let severity: Severity = text("severity")?
        .parse()
        .map_err(|e| format!("bad severity: {e}"))?;
    Ok(SecretRule {
        name: text("name")?,
        pattern,
        regex: OnceLock::new(),
        keywords,
        min_entropy,
        randomness: flag("randomness")?,
        generic: flag("generic")?,
        file_contains: list("file_contains")?,
        window,
        examples,
        negative_examples,
        severity,
        title_en: text("title_en")?,
        title_zh: text("title_zh")?,
        description_en: text("description_en")?,
        description_zh: text("description_zh")?,
        risk_en: text("risk_en")?,
        risk_zh: text("risk_zh")?,
        remediation_en: text("remediation_en")?,
        remediation_zh: text("remediation_zh")?,
        guide: list("guide")?,
        attack: list("attack")?,
        references: list("references")?,
        file: file.to_string(),
        id,
    })
}
