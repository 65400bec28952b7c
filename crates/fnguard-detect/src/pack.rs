//! fnguard's own detection rules (`rules/detect/*.yml`, embedded): Sigma
//! rules for what SigmaHQ does not cover in Lambda (public permissions and
//! function URLs, code and configuration hijacks, public layers, a trail
//! blinded to function invocations, fnguard guard's own security log) and
//! Sigma correlation rules (bursts of function code downloads by one
//! principal). Each rule or
//! correlation carries, in its `fnguard:` block, the fnguard id, guide
//! section, Chinese text, remediation in both languages, and examples that
//! [`check`] proves (tests and `fnguard rules check`): events a rule must and
//! must not match, event sequences a correlation must and must not fire on.

use crate::alert::Alert;
use crate::input::{Event, Origin};
use crate::sigma::{
    format_time_ms, is_correlation, load_str_all, parse_timespan, Correlation, Correlator, Rule,
};
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
    (
        "lambda_function_code_download_burst.yml",
        include_str!("../../../rules/detect/lambda_function_code_download_burst.yml"),
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

/// A correlation of the pack with fnguard's metadata (also set on
/// `correlation`: `fnguard_id`, `title_zh`, `guide`, which its alerts carry).
#[derive(Debug)]
pub struct PackCorrelation {
    pub correlation: Correlation,
    /// `FG-DET-NNN`.
    pub id: String,
    pub guide: String,
    pub title_zh: String,
    pub description_zh: String,
    pub remediation: String,
    pub remediation_zh: String,
    /// Event sequences, in log order, on which it must fire.
    pub must_fire: Vec<Vec<Value>>,
    /// Event sequences on which it must not fire.
    pub must_not_fire: Vec<Vec<Value>>,
}

/// The whole pack.
#[derive(Debug, Default)]
pub struct Pack {
    /// Rules that alert by themselves.
    pub rules: Vec<PackRule>,
    /// Rules the correlations refer to; they have no fnguard id and do not
    /// alert by themselves (the correlations do not `generate` them).
    pub correlation_rules: Vec<Rule>,
    pub correlations: Vec<PackCorrelation>,
}

/// The pack's rules that alert by themselves, compiled; errors name the
/// file. [`builtin_pack`] also gives the correlations.
pub fn builtin() -> Result<Vec<PackRule>, Vec<String>> {
    builtin_pack().map(|pack| pack.rules)
}

/// The pack, rules and correlations, compiled; errors name the file.
pub fn builtin_pack() -> Result<Pack, Vec<String>> {
    let mut pack = Pack::default();
    let mut errors = Vec::new();
    for (name, text) in FILES {
        let display = format!("rules/detect/{name}");
        if let Err(e) = load(&display, text, &mut pack) {
            errors.push(e);
        }
    }
    if errors.is_empty() {
        Ok(pack)
    } else {
        Err(errors)
    }
}

/// The `fnguard:` block of one document.
struct Meta<'a> {
    id: String,
    guide: String,
    title_zh: String,
    description_zh: String,
    remediation: String,
    remediation_zh: String,
    examples: &'a Yaml,
}

fn meta<'a>(display: &str, document: &'a Yaml) -> Result<Meta<'a>, String> {
    let meta = &document["fnguard"];
    let required = |key: &str| {
        meta[key]
            .as_str()
            .map(|s| s.trim().to_string())
            .ok_or_else(|| format!("{display}: no fnguard.{key}"))
    };
    Ok(Meta {
        id: required("id")?,
        guide: required("guide")?,
        title_zh: required("title_zh")?,
        description_zh: required("description_zh")?,
        remediation: required("remediation")?,
        remediation_zh: required("remediation_zh")?,
        examples: &meta["examples"],
    })
}

/// A file is one rule, or correlations with the rules they refer to.
fn load(display: &str, text: &str, pack: &mut Pack) -> Result<(), String> {
    let loaded = load_str_all(display, text).map_err(|e| e.to_string())?;
    let documents = YamlLoader::load_from_str(text).map_err(|e| format!("{display}: {e}"))?;
    let documents: Vec<&Yaml> = documents.iter().filter(|d| !d.is_null()).collect();
    if loaded.correlations.is_empty() {
        let (Ok([rule]), [document]) = (<[Rule; 1]>::try_from(loaded.rules), documents.as_slice())
        else {
            return Err(format!("{display}: one rule per file"));
        };
        let meta = meta(display, document)?;
        let examples = |key: &str| match &meta.examples[key] {
            Yaml::Array(items) => items.iter().map(to_json).collect(),
            _ => Vec::new(),
        };
        pack.rules.push(PackRule {
            must_match: examples("match"),
            must_not_match: examples("no_match"),
            id: meta.id,
            guide: meta.guide,
            title_zh: meta.title_zh,
            description_zh: meta.description_zh,
            remediation: meta.remediation,
            remediation_zh: meta.remediation_zh,
            rule,
        });
        return Ok(());
    }
    let correlation_documents = documents.iter().filter(|d| is_correlation(d));
    for (mut correlation, document) in loaded.correlations.into_iter().zip(correlation_documents) {
        let meta = meta(display, document)?;
        let sequences = |key: &str| -> Result<Vec<Vec<Value>>, String> {
            match &meta.examples[key] {
                Yaml::Array(items) => items
                    .iter()
                    .enumerate()
                    .map(|(index, sequence)| {
                        expand_sequence(sequence).map_err(|e| {
                            format!("{display}: {}: example {key}[{index}]: {e}", meta.id)
                        })
                    })
                    .collect(),
                _ => Ok(Vec::new()),
            }
        };
        let (must_fire, must_not_fire) = (sequences("fire")?, sequences("no_fire")?);
        correlation.fnguard_id = Some(meta.id.clone());
        correlation.title_zh = Some(meta.title_zh.clone());
        correlation.guide = Some(meta.guide.clone());
        pack.correlations.push(PackCorrelation {
            correlation,
            id: meta.id,
            guide: meta.guide,
            title_zh: meta.title_zh,
            description_zh: meta.description_zh,
            remediation: meta.remediation,
            remediation_zh: meta.remediation_zh,
            must_fire,
            must_not_fire,
        });
    }
    if let Some(rule) = documents
        .iter()
        .find(|d| !is_correlation(d) && !d["fnguard"].is_badvalue())
    {
        let title = rule["title"].as_str().unwrap_or_default();
        return Err(format!(
            "{display}: rule `{title}` is referred to by correlations: its fnguard block belongs on them"
        ));
    }
    pack.correlation_rules.extend(loaded.rules);
    Ok(())
}

/// A correlation example: events in log order, where an item
/// `{repeat: N, from: TIME, every: 5s, event: {...}}` stands for N events
/// `every` apart from `from` (their `eventTime`), with `{n}` in any string
/// replaced by the event's number (1 to N).
fn expand_sequence(sequence: &Yaml) -> Result<Vec<Value>, String> {
    let Yaml::Array(items) = sequence else {
        return Err("not a list of events".to_string());
    };
    let mut events = Vec::new();
    for item in items {
        if item["repeat"].is_badvalue() {
            events.push(to_json(item));
            continue;
        }
        let count = item["repeat"]
            .as_i64()
            .filter(|n| (1..=10_000).contains(n))
            .ok_or("repeat: not a count from 1 to 10000")?;
        let from = item["from"]
            .as_str()
            .and_then(crate::alert::parse_time_ms)
            .ok_or("from: not an RFC 3339 time")?;
        let every = item["every"]
            .as_str()
            .and_then(parse_timespan)
            .ok_or("every: not a timespan (5s, 1m)")?;
        let template = to_json(&item["event"]);
        if !template.is_object() {
            return Err("event: not a map".to_string());
        }
        for n in 1..=count {
            let mut event = numbered(&template, n);
            let time = from.saturating_add((n - 1).saturating_mul(every));
            event["eventTime"] = Value::String(format_time_ms(time));
            events.push(event);
        }
    }
    Ok(events)
}

fn numbered(template: &Value, n: i64) -> Value {
    match template {
        Value::String(text) => Value::String(text.replace("{n}", &n.to_string())),
        Value::Array(items) => Value::Array(items.iter().map(|i| numbered(i, n)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), numbered(v, n)))
                .collect(),
        ),
        other => other.clone(),
    }
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

/// The alerts of `correlation` alone over `events`, its rules matched as
/// the CLI matches them.
fn correlation_alerts(
    correlation: &Correlation,
    rules: &[Rule],
    events: &[Value],
) -> Result<Vec<Alert>, String> {
    let mut correlator =
        Correlator::new(vec![correlation.clone()], rules).map_err(|e| e.to_string())?;
    let mut alerts = Vec::new();
    for (index, value) in events.iter().enumerate() {
        let matched: Vec<usize> = (0..rules.len())
            .filter(|&i| rules[i].matches(value))
            .collect();
        let event = Event {
            value: value.clone(),
            origin: Origin {
                file: "example".into(),
                line: None,
                index: index as u64,
            },
        };
        correlator.observe(&event, &matched, &mut alerts);
    }
    correlator.finish(&mut alerts);
    Ok(alerts)
}

fn well_formed(id: &str) -> bool {
    id.len() == 10 && id.starts_with("FG-DET-") && id[7..].bytes().all(|b| b.is_ascii_digit())
}

/// Every problem of the pack: loading, metadata (unique well-formed ids,
/// a level, ATT&CK technique tags, both languages, a guide section),
/// examples (at least one of each kind, each behaving as declared).
pub fn check() -> Vec<String> {
    let pack = match builtin_pack() {
        Ok(pack) => pack,
        Err(errors) => return errors,
    };
    let mut problems = Vec::new();
    let mut ids = std::collections::HashSet::new();
    let mut metadata = |name: &str, id: &str, described: bool, tags: &[String], examples: bool| {
        if !well_formed(id) {
            problems.push(format!("{name}: id `{id}` is not FG-DET-NNN"));
        }
        if !ids.insert(id.to_string()) {
            problems.push(format!("{name}: id {id} used twice"));
        }
        if !described {
            problems.push(format!("{name}: no level or description"));
        }
        if !tags.iter().any(|t| t.starts_with("attack.t")) {
            problems.push(format!("{name}: no ATT&CK technique tag (attack.tNNNN)"));
        }
        if !examples {
            problems.push(format!(
                "{name}: needs at least one example that matches and one that does not"
            ));
        }
    };
    for pack_rule in &pack.rules {
        let rule = &pack_rule.rule;
        metadata(
            &rule.source,
            &pack_rule.id,
            rule.level.is_some() && rule.description.is_some(),
            &rule.tags,
            !pack_rule.must_match.is_empty() && !pack_rule.must_not_match.is_empty(),
        );
    }
    for entry in &pack.correlations {
        let c = &entry.correlation;
        metadata(
            &format!("{} ({})", c.source, entry.id),
            &entry.id,
            c.level.is_some() && c.description.is_some(),
            &c.tags,
            !entry.must_fire.is_empty() && !entry.must_not_fire.is_empty(),
        );
    }
    for pack_rule in &pack.rules {
        let name = &pack_rule.rule.source;
        for (index, event) in pack_rule.must_match.iter().enumerate() {
            if !pack_rule.rule.matches(event) {
                problems.push(format!("{name}: example match[{index}] does not match"));
            }
        }
        for (index, event) in pack_rule.must_not_match.iter().enumerate() {
            if pack_rule.rule.matches(event) {
                problems.push(format!("{name}: example no_match[{index}] matches"));
            }
        }
    }
    for entry in &pack.correlations {
        let name = format!("{} ({})", entry.correlation.source, entry.id);
        for (expected, key, sequences) in [
            (true, "fire", &entry.must_fire),
            (false, "no_fire", &entry.must_not_fire),
        ] {
            for (index, events) in sequences.iter().enumerate() {
                match correlation_alerts(&entry.correlation, &pack.correlation_rules, events) {
                    Err(e) => problems.push(e),
                    Ok(alerts) => {
                        let fired = alerts.iter().any(|a| a.rule_id == entry.id);
                        if fired != expected {
                            let verb = if fired { "fires" } else { "does not fire" };
                            problems.push(format!("{name}: example {key}[{index}] {verb}"));
                        }
                    }
                }
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loaded(display: &str, text: &str) -> Pack {
        let mut pack = Pack::default();
        load(display, text, &mut pack).unwrap();
        pack
    }

    #[test]
    fn the_pack_loads_and_every_example_behaves() {
        let problems = check();
        assert!(problems.is_empty(), "{problems:#?}");
        let pack = builtin_pack().unwrap();
        assert_eq!(pack.rules.len(), FILES.len() - 1);
        let ids: Vec<&str> = pack.correlations.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["FG-DET-007", "FG-DET-008"]);
        assert_eq!(pack.correlation_rules.len(), 1);
        assert_eq!(builtin().unwrap().len(), pack.rules.len());
    }

    #[test]
    fn check_reports_an_example_that_misbehaves() {
        let text = FILES[1]
            .1
            .replace("authType: AWS_IAM}}", "authType: NONE}}");
        let pack = loaded("broken.yml", &text);
        let rule = &pack.rules[0];
        assert!(rule.must_not_match.iter().any(|e| rule.rule.matches(e)));
    }

    const BURST: &str =
        include_str!("../../../rules/detect/lambda_function_code_download_burst.yml");

    fn fires(pack: &Pack, index: usize, events: &[Value]) -> bool {
        let entry = &pack.correlations[index];
        correlation_alerts(&entry.correlation, &pack.correlation_rules, events)
            .unwrap()
            .iter()
            .any(|a| a.rule_id == entry.id)
    }

    #[test]
    fn correlation_examples_are_proven_both_ways() {
        let pack = loaded("burst.yml", BURST);
        for entry in &pack.correlations {
            assert!(!entry.must_fire.is_empty() && !entry.must_not_fire.is_empty());
        }
        let burst = &pack.correlations[0];
        assert_eq!(burst.must_fire[0].len(), 20);
        assert_eq!(burst.must_fire[0][19]["eventTime"], "2026-12-05T10:01:35Z");
        assert!(fires(&pack, 0, &burst.must_fire[0]));
        assert!(!fires(&pack, 0, &burst.must_not_fire[0]));
        // The value_count one fires on distinct function names only.
        let spray = &pack.correlations[1];
        assert_eq!(
            spray.must_fire[0][2]["requestParameters"]["functionName"],
            "fn-3"
        );
        assert!(fires(&pack, 1, &spray.must_fire[0]));
        assert!(!fires(&pack, 1, &spray.must_not_fire[0]));
        // A threshold raised past the examples makes check's comparison fail.
        let raised = loaded("raised.yml", &BURST.replace("gte: 20", "gte: 21"));
        assert!(!fires(&raised, 0, &raised.correlations[0].must_fire[0]));
    }

    #[test]
    fn pack_correlation_alerts_carry_fnguard_metadata() {
        let pack = loaded("burst.yml", BURST);
        let entry = &pack.correlations[0];
        let alerts = correlation_alerts(
            &entry.correlation,
            &pack.correlation_rules,
            &entry.must_fire[0],
        )
        .unwrap();
        let alert = &alerts[0];
        assert_eq!(alert.rule_id, "FG-DET-007");
        assert_eq!(alert.guide.as_deref(), Some("2.2, 3.2.1, 3.4.1"));
        assert!(alert.title_zh.is_some());
        assert_eq!(
            alert.facts["group"],
            serde_json::json!({"userIdentity.arn": "arn:aws:iam::123456789012:user/dev"})
        );
        assert_eq!(alert.facts["count"], 20);
    }

    #[test]
    fn bad_correlation_examples_are_named() {
        let mut pack = Pack::default();
        let broken = BURST.replacen("every: 5s", "every: 5 seconds", 1);
        let error = load("burst.yml", &broken, &mut pack).unwrap_err();
        assert!(
            error.contains("burst.yml: FG-DET-007: example fire[0]: every"),
            "{error}"
        );
        let misplaced = BURST.replacen(
            "level: informational",
            "level: informational\nfnguard: {id: FG-DET-099}",
            1,
        );
        let error = load("burst.yml", &misplaced, &mut Pack::default()).unwrap_err();
        assert!(error.contains("fnguard block belongs on them"), "{error}");
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
