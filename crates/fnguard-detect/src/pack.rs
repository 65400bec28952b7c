//! fnguard's own detection rules (`rules/detect/*.yml`, embedded): Sigma
//! rules for what SigmaHQ does not cover in Lambda (public permissions and
//! function URLs, code and configuration hijacks, public layers, a trail
//! blinded to function invocations). Each carries, in its `fnguard:` block,
//! the fnguard id, guide section, Chinese text, remediation in both
//! languages, and events it must and must not match, which [`check`]
//! proves (tests and `fnguard rules check`).

use crate::sigma::Rule;
use serde_json::{Map, Number, Value};
use yaml_rust2::{Yaml, YamlLoader};

const FILES: &[(&str, &str)] = &[
    (
        "lambda_permission_public.yml",
        include_str!("../../../rules/detect/lambda_permission_public.yml"),
    ),
    (
        "lambda_function_url_public.yml",
        include_str!("../../../rules/detect/lambda_function_url_public.yml"),
    ),
    (
        "lambda_code_replaced.yml",
        include_str!("../../../rules/detect/lambda_code_replaced.yml"),
    ),
    (
        "lambda_configuration_hijack.yml",
        include_str!("../../../rules/detect/lambda_configuration_hijack.yml"),
    ),
    (
        "lambda_layer_shared_public.yml",
        include_str!("../../../rules/detect/lambda_layer_shared_public.yml"),
    ),
    (
        "cloudtrail_lambda_blinded.yml",
        include_str!("../../../rules/detect/cloudtrail_lambda_blinded.yml"),
    ),
    (
        "guard_runtime_tampering.yml",
        include_str!("../../../rules/detect/guard_runtime_tampering.yml"),
    ),
    (
        "guard_egress_denied.yml",
        include_str!("../../../rules/detect/guard_egress_denied.yml"),
    ),
];

/// A rule of the pack with fnguard's metadata.
#[derive(Debug)]
pub struct PackRule {
    pub rule: Rule,
    /// `FG-DET-NNN`.
    pub id: String,
    pub guide: String,
    pub title_zh: String,
    pub description_zh: String,
    pub remediation: String,
    pub remediation_zh: String,
    pub must_match: Vec<Value>,
    pub must_not_match: Vec<Value>,
}

/// The pack, compiled; errors name the file.
pub fn builtin() -> Result<Vec<PackRule>, Vec<String>> {
    let mut rules = Vec::new();
    let mut errors = Vec::new();
    for (name, text) in FILES {
        let display = format!("rules/detect/{name}");
        match load(&display, text) {
            Ok(rule) => rules.push(rule),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(rules)
    } else {
        Err(errors)
    }
}

fn load(display: &str, text: &str) -> Result<PackRule, String> {
    let mut compiled = Rule::load_str(display, text).map_err(|e| e.to_string())?;
    if compiled.len() != 1 {
        return Err(format!("{display}: one rule per file"));
    }
    let rule = compiled.remove(0);
    let documents = YamlLoader::load_from_str(text).map_err(|e| format!("{display}: {e}"))?;
    let meta = &documents[0]["fnguard"];
    let text_of = |key: &str| meta[key].as_str().map(|s| s.trim().to_string());
    let required = |key: &str| text_of(key).ok_or_else(|| format!("{display}: no fnguard.{key}"));
    let examples = |key: &str| match &meta["examples"][key] {
        Yaml::Array(items) => items.iter().map(to_json).collect(),
        _ => Vec::new(),
    };
    Ok(PackRule {
        id: required("id")?,
        guide: required("guide")?,
        title_zh: required("title_zh")?,
        description_zh: required("description_zh")?,
        remediation: required("remediation")?,
        remediation_zh: required("remediation_zh")?,
        must_match: examples("match"),
        must_not_match: examples("no_match"),
        rule,
    })
}

/// A YAML example event as the JSON CloudTrail would have written.
fn to_json(yaml: &Yaml) -> Value {
    match yaml {
        Yaml::String(s) => Value::String(s.clone()),
        Yaml::Integer(i) => Value::Number((*i).into()),
        Yaml::Real(r) => r
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map_or_else(|| Value::String(r.clone()), Value::Number),
        Yaml::Boolean(b) => Value::Bool(*b),
        Yaml::Array(items) => Value::Array(items.iter().map(to_json).collect()),
        Yaml::Hash(map) => Value::Object(
            map.iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_string(), to_json(v))))
                .collect::<Map<String, Value>>(),
        ),
        _ => Value::Null,
    }
}

/// Every problem of the pack: loading, metadata (unique well-formed ids,
/// a level, ATT&CK technique tags, both languages, a guide section),
/// examples (at least one of each kind, each behaving as declared).
pub fn check() -> Vec<String> {
    let rules = match builtin() {
        Ok(rules) => rules,
        Err(errors) => return errors,
    };
    let mut problems = Vec::new();
    let mut ids = std::collections::HashSet::new();
    for pack in &rules {
        let name = &pack.rule.source;
        let well_formed = pack.id.len() == 10
            && pack.id.starts_with("FG-DET-")
            && pack.id[7..].bytes().all(|b| b.is_ascii_digit());
        if !well_formed {
            problems.push(format!("{name}: id `{}` is not FG-DET-NNN", pack.id));
        }
        if !ids.insert(pack.id.clone()) {
            problems.push(format!("{name}: id {} used twice", pack.id));
        }
        if pack.rule.level.is_none() || pack.rule.description.is_none() {
            problems.push(format!("{name}: no level or description"));
        }
        if !pack.rule.tags.iter().any(|t| t.starts_with("attack.t")) {
            problems.push(format!("{name}: no ATT&CK technique tag (attack.tNNNN)"));
        }
        if pack.must_match.is_empty() || pack.must_not_match.is_empty() {
            problems.push(format!(
                "{name}: needs at least one example that matches and one that does not"
            ));
        }
        for (index, event) in pack.must_match.iter().enumerate() {
            if !pack.rule.matches(event) {
                problems.push(format!("{name}: example match[{index}] does not match"));
            }
        }
        for (index, event) in pack.must_not_match.iter().enumerate() {
            if pack.rule.matches(event) {
                problems.push(format!("{name}: example no_match[{index}] matches"));
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pack_loads_and_every_example_behaves() {
        let problems = check();
        assert!(problems.is_empty(), "{problems:#?}");
        assert_eq!(builtin().unwrap().len(), FILES.len());
    }

    #[test]
    fn check_reports_an_example_that_misbehaves() {
        let text = FILES[1]
            .1
            .replace("authType: AWS_IAM}}", "authType: NONE}}");
        let pack = load("broken.yml", &text).unwrap();
        assert!(pack.must_not_match.iter().any(|e| pack.rule.matches(e)));
    }
}

#[cfg(test)]
mod stratus {
    use super::*;
    use crate::input::{read_paths, Limits};
    use std::collections::BTreeSet;
    use std::path::PathBuf;

    /// The fnguard ids that fire on one Stratus Red Team detonation log.
    fn fired(technique: &str) -> BTreeSet<String> {
        let pack = builtin().unwrap();
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/stratus-red-team")
            .join(format!("{technique}.json"));
        let mut ids = BTreeSet::new();
        let stats = read_paths(
            &[path],
            Limits::default(),
            &mut |event| {
                for rule in &pack {
                    if rule.rule.matches(&event.value) {
                        ids.insert(rule.id.clone());
                    }
                }
            },
            &mut |e| panic!("{e}"),
        );
        assert!(stats.events > 0, "{technique}");
        ids
    }

    #[test]
    fn every_lambda_technique_of_stratus_red_team_is_detected() {
        assert_eq!(
            fired("aws.persistence.lambda-backdoor-function"),
            BTreeSet::from(["FG-DET-001".to_string()])
        );
        assert_eq!(
            fired("aws.persistence.lambda-overwrite-code"),
            BTreeSet::from(["FG-DET-003".to_string()])
        );
        assert_eq!(
            fired("aws.persistence.lambda-layer-extension"),
            BTreeSet::from(["FG-DET-004".to_string()])
        );
        for trail in [
            "aws.defense-evasion.cloudtrail-stop",
            "aws.defense-evasion.cloudtrail-delete",
            "aws.defense-evasion.cloudtrail-event-selectors",
        ] {
            assert_eq!(
                fired(trail),
                BTreeSet::from(["FG-DET-006".to_string()]),
                "{trail}"
            );
        }
    }

    #[test]
    fn techniques_outside_lambda_and_the_trail_fire_nothing_of_the_pack() {
        for technique in [
            "aws.credential-access.ec2-get-password-data",
            "aws.persistence.iam-backdoor-user",
            "aws.exfiltration.ec2-share-ami",
        ] {
            assert!(fired(technique).is_empty(), "{technique}");
        }
    }
}
