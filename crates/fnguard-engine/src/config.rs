//! `fnguard.toml`: which rules run, severity overrides, excludes, the
//! failure threshold and suppressions. Strict on purpose: a typo in a
//! security tool's config must not silently turn a check off, so unknown
//! keys, bad values and unknown rule ids are errors with their position.

use crate::SettingsError;
use fnguard_core::location::line_col;
use fnguard_core::{Finding, RuleMeta, Severity};
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use toml::Spanned;

/// Name of the config file looked up at the scan root.
pub const CONFIG_FILE_NAME: &str = "fnguard.toml";

/// Lowest severity that makes the run fail (exit 1), or never.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    AtLeast(Severity),
    Never,
}

impl Default for FailOn {
    fn default() -> Self {
        FailOn::AtLeast(Severity::High)
    }
}

impl FromStr for FailOn {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("none") || s.eq_ignore_ascii_case("never") {
            return Ok(FailOn::Never);
        }
        s.parse::<Severity>().map(FailOn::AtLeast).map_err(|_| {
            format!("unknown threshold `{s}` (expected critical, high, medium, low, info or none)")
        })
    }
}

impl fmt::Display for FailOn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FailOn::AtLeast(s) => write!(f, "{s}"),
            FailOn::Never => f.write_str("none"),
        }
    }
}

impl FailOn {
    /// Does a finding of this severity make the run fail?
    pub fn trips(self, severity: Severity) -> bool {
        match self {
            FailOn::AtLeast(threshold) => severity >= threshold,
            FailOn::Never => false,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    rules: RawRules,
    #[serde(default)]
    scan: RawScan,
    #[serde(default)]
    ignore: Vec<RawIgnore>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    enable: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    disable: Vec<Spanned<String>>,
    #[serde(default)]
    severity: BTreeMap<String, Spanned<Severity>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScan {
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
    fail_on: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIgnore {
    id: Spanned<String>,
    path: Option<Spanned<String>>,
    resource: Option<String>,
    reason: Option<String>,
}

/// A loaded, validated configuration. `Config::default()` is "no file".
#[derive(Debug, Default)]
pub struct Config {
    /// The file it came from, for messages.
    pub source: Option<String>,
    /// When set, only these rules run.
    pub enabled: Option<HashSet<String>>,
    pub disabled: HashSet<String>,
    pub severity: HashMap<String, Severity>,
    pub exclude: Vec<String>,
    pub fail_on: Option<FailOn>,
    pub ignores: Vec<IgnoreRule>,
}

/// One `[[ignore]]` entry: suppresses findings of `rule_id` whose path
/// matches `path` (gitignore-style glob) and whose resource is `resource`,
/// each when given.
#[derive(Debug)]
pub struct IgnoreRule {
    pub rule_id: String,
    pub path: Option<PathGlob>,
    pub resource: Option<String>,
    pub reason: Option<String>,
}

impl IgnoreRule {
    pub fn matches(&self, finding: &Finding) -> bool {
        finding.rule_id.eq_ignore_ascii_case(&self.rule_id)
            && self
                .resource
                .as_ref()
                .is_none_or(|r| *r == finding.resource)
            && self
                .path
                .as_ref()
                .is_none_or(|p| p.matches(&finding.location.path))
    }
}

/// A gitignore-style glob over display paths: `legacy/` or `legacy`
/// matches everything below that folder, `*.json` any JSON file.
#[derive(Debug)]
pub struct PathGlob {
    pattern: String,
    matcher: Gitignore,
}

impl PathGlob {
    pub fn new(pattern: &str) -> Result<PathGlob, String> {
        let mut builder = GitignoreBuilder::new(".");
        builder
            .add_line(None, pattern)
            .map_err(|e| format!("bad path pattern `{pattern}`: {e}"))?;
        let matcher = builder
            .build()
            .map_err(|e| format!("bad path pattern `{pattern}`: {e}"))?;
        Ok(PathGlob {
            pattern: pattern.to_string(),
            matcher,
        })
    }

    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    pub fn matches(&self, display_path: &str) -> bool {
        // The matcher insists on relative paths; display paths are relative
        // unless the user scanned an absolute file path.
        let relative = display_path.trim_start_matches(['/', '\\']);
        if relative.is_empty() {
            return false;
        }
        self.matcher
            .matched_path_or_any_parents(relative, false)
            .is_ignore()
    }
}

impl Config {
    /// Read and validate a config file.
    pub fn load(path: &Path) -> Result<Config, SettingsError> {
        let display = path.to_string_lossy().replace('\\', "/");
        let text = std::fs::read_to_string(path)
            .map_err(|e| SettingsError::new(&display, 0, 0, format!("cannot read: {e}")))?;
        Config::parse(&text, &display)
    }

    /// The config file that applies to a scan of `roots` when none is given:
    /// `fnguard.toml` in the first root (or beside it, when it is a file).
    pub fn find(roots: &[PathBuf]) -> Option<PathBuf> {
        let root = roots.first()?;
        let dir = if root.is_dir() {
            root.as_path()
        } else {
            root.parent().unwrap_or(Path::new("."))
        };
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        let candidate = dir.join(CONFIG_FILE_NAME);
        candidate.is_file().then_some(candidate)
    }

    /// Parse against the rules of this build.
    pub fn parse(text: &str, display: &str) -> Result<Config, SettingsError> {
        Config::parse_with_rules(text, display, &crate::all_rules())
    }

    /// Parse against a given rule registry (rule ids are validated).
    pub fn parse_with_rules(
        text: &str,
        display: &str,
        rules: &[&'static RuleMeta],
    ) -> Result<Config, SettingsError> {
        let lookup = |id: &str| {
            rules
                .iter()
                .find(|r| r.id.eq_ignore_ascii_case(id))
                .map(|r| r.id)
        };
        let at = |span: std::ops::Range<usize>, message: String| {
            let (line, col) = line_col(text, span.start);
            SettingsError::new(display, line, col, message)
        };
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let message = e.message().trim().to_string();
            match e.span() {
                Some(span) => at(span, message),
                None => SettingsError::new(display, 0, 0, message),
            }
        })?;
        let known_id = |id: &Spanned<String>| {
            lookup(id.get_ref()).map(str::to_string).ok_or_else(|| {
                at(
                    id.span(),
                    format!(
                        "unknown rule id `{}` (see `fnguard rules list`)",
                        id.get_ref()
                    ),
                )
            })
        };
        let enabled = match &raw.rules.enable {
            Some(ids) => Some(
                ids.iter()
                    .map(known_id)
                    .collect::<Result<HashSet<_>, _>>()?,
            ),
            None => None,
        };
        let disabled = raw
            .rules
            .disable
            .iter()
            .map(known_id)
            .collect::<Result<HashSet<_>, _>>()?;
        let mut severity = HashMap::new();
        for (id, level) in &raw.rules.severity {
            // The key's own span is not kept by serde maps; the value sits
            // on the same line, which is what a user needs.
            let rule_id = lookup(id).ok_or_else(|| {
                at(
                    level.span(),
                    format!(
                        "unknown rule id `{id}` in [rules.severity] (see `fnguard rules list`)"
                    ),
                )
            })?;
            severity.insert(rule_id.to_string(), *level.get_ref());
        }
        let mut exclude = Vec::new();
        for glob in &raw.scan.exclude {
            PathGlob::new(glob.get_ref()).map_err(|m| at(glob.span(), m))?;
            exclude.push(glob.get_ref().clone());
        }
        let fail_on = match &raw.scan.fail_on {
            Some(value) => Some(
                value
                    .get_ref()
                    .parse::<FailOn>()
                    .map_err(|m| at(value.span(), m))?,
            ),
            None => None,
        };
        let mut ignores = Vec::new();
        for entry in raw.ignore {
            let rule_id = known_id(&entry.id)?;
            let path = match &entry.path {
                Some(p) => Some(PathGlob::new(p.get_ref()).map_err(|m| at(p.span(), m))?),
                None => None,
            };
            ignores.push(IgnoreRule {
                rule_id,
                path,
                resource: entry.resource,
                reason: entry.reason,
            });
        }
        Ok(Config {
            source: Some(display.to_string()),
            enabled,
            disabled,
            severity,
            exclude,
            fail_on,
            ignores,
        })
    }

    pub fn rule_enabled(&self, id: &str) -> bool {
        !self.disabled.contains(id) && self.enabled.as_ref().is_none_or(|set| set.contains(id))
    }
}

/// 1-based line and column (in characters) of a byte offset.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;
    use fnguard_core::{SourceRef, Text};

    fn parse(text: &str, display: &str) -> Result<Config, SettingsError> {
        Config::parse_with_rules(text, display, &testing::rules())
    }

    /// Every example config we document must load, and every one of them
    /// with a misspelt key anywhere must be rejected at that key.
    pub(crate) const EXAMPLES: &[&str] = &[
        "",
        r#"
[rules]
disable = ["FG-RT-002", "FG-LOG-003"]

[rules.severity]
"FG-NET-001" = "medium"

[scan]
exclude = ["legacy/**", "*.generated.yaml"]
fail_on = "medium"

[[ignore]]
id = "FG-TRIG-002"
path = "services/public-*/template.yaml"
resource = "WebhookFunction"
reason = "public webhook, verified by HMAC in the handler"
"#,
        r#"
[rules]
enable = ["FG-IAM-001", "FG-TRIG-001", "fg-sec-001"]

[scan]
fail_on = "none"
"#,
    ];

    #[test]
    fn example_configs_load() {
        for (i, text) in EXAMPLES.iter().enumerate() {
            if let Err(e) = parse(text, "fnguard.toml") {
                panic!("example {i}: {e}");
            }
        }
        let cfg = parse(EXAMPLES[1], "fnguard.toml").expect("example");
        assert!(!cfg.rule_enabled("FG-RT-002"));
        assert!(cfg.rule_enabled("FG-IAM-001"));
        assert_eq!(cfg.severity.get("FG-NET-001"), Some(&Severity::Medium));
        assert_eq!(cfg.fail_on, Some(FailOn::AtLeast(Severity::Medium)));
        assert_eq!(cfg.exclude.len(), 2);
        assert_eq!(cfg.ignores.len(), 1);
        let only = parse(EXAMPLES[2], "fnguard.toml").expect("example");
        assert!(only.rule_enabled("FG-SEC-001"));
        assert!(!only.rule_enabled("FG-RT-002"));
        assert_eq!(only.fail_on, Some(FailOn::Never));
    }

    #[test]
    fn every_example_with_a_bogus_key_is_rejected_at_that_key() {
        for (i, text) in EXAMPLES.iter().enumerate() {
            // A bogus key in each table the example has, one at a time.
            let mut variants = vec![format!("bogus = 1\n{text}")];
            for table in ["[rules]", "[rules.severity]", "[scan]", "[[ignore]]"] {
                if text.contains(table) {
                    variants.push(text.replacen(table, &format!("{table}\nbogus = 1"), 1));
                }
            }
            for variant in variants {
                let err = parse(&variant, "cfg/fnguard.toml")
                    .err()
                    .unwrap_or_else(|| panic!("example {i} accepted a bogus key:\n{variant}"));
                let expected_line = variant
                    .lines()
                    .position(|l| l.starts_with("bogus"))
                    .map(|p| p as u32 + 1);
                assert_eq!(Some(err.line), expected_line, "{err}");
                assert_eq!(err.path, "cfg/fnguard.toml");
                assert!(err.line > 0 && err.col > 0, "{err}");
            }
        }
    }

    #[test]
    fn bad_values_and_unknown_rules_name_their_position() {
        let err =
            parse("[rules]\ndisable = [\"FG-NOPE-001\"]\n", "f.toml").expect_err("unknown rule");
        assert_eq!((err.line, err.col), (2, 12));
        assert!(err.message.contains("FG-NOPE-001"), "{err}");

        let err = parse("[rules.severity]\n\"FG-XX-001\" = \"low\"\n", "f.toml")
            .expect_err("unknown rule in severity");
        assert_eq!(err.line, 2);

        let err = parse("[rules.severity]\n\"FG-RT-002\" = \"severe\"\n", "f.toml")
            .expect_err("bad severity");
        assert_eq!(err.line, 2, "{err}");

        let err = parse("[scan]\nfail_on = \"sometimes\"\n", "f.toml").expect_err("bad fail_on");
        assert_eq!((err.line, err.col), (2, 11));

        let err = parse("[scan]\nexclude = \"one\"\n", "f.toml").expect_err("type");
        assert_eq!(err.line, 2, "{err}");

        let err = parse("[[ignore]]\npath = \"x\"\n", "f.toml").expect_err("no id");
        assert!(err.message.contains("id"), "{err}");

        let err = parse("[rules\n", "f.toml").expect_err("syntax");
        assert_eq!(err.line, 1);
    }

    fn finding(path: &str, resource: &str) -> Finding {
        Finding::new(
            testing::rule("FG-TRIG-002"),
            resource,
            SourceRef::new(path, 3, 5),
            Text::new("m", "m"),
            "",
        )
    }

    #[test]
    fn ignore_rules_match_on_id_path_and_resource() {
        let cfg = parse(
            "[[ignore]]\nid = \"fg-trig-002\"\npath = \"services/\"\nresource = \"Hook\"\n",
            "f.toml",
        )
        .expect("config");
        let rule = &cfg.ignores[0];
        assert!(rule.matches(&finding("services/a/template.yaml", "Hook")));
        assert!(!rule.matches(&finding("services/a/template.yaml", "Other")));
        assert!(!rule.matches(&finding("other/template.yaml", "Hook")));

        let glob = PathGlob::new("*.json").expect("glob");
        assert!(glob.matches("a/b/plan.json"));
        assert!(glob.matches("/abs/plan.json"));
        assert!(!glob.matches("a/b/plan.yaml"));
        let anchored = PathGlob::new("/top.yaml").expect("glob");
        assert!(anchored.matches("top.yaml"));
        assert!(!anchored.matches("sub/top.yaml"));
    }

    #[test]
    fn fail_on_parses_and_trips() {
        assert_eq!("none".parse::<FailOn>(), Ok(FailOn::Never));
        let medium: FailOn = "Medium".parse().expect("medium");
        assert!(medium.trips(Severity::High));
        assert!(medium.trips(Severity::Medium));
        assert!(!medium.trips(Severity::Low));
        assert!(!FailOn::Never.trips(Severity::Critical));
        assert!("often".parse::<FailOn>().is_err());
    }
}
