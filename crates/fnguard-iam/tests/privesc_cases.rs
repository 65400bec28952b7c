//! Labelled privilege-escalation cases.
//!
//! The cases live in `privesc_cases.json`, one object each: the identity
//! policies (inline documents and AWS managed policy names), what the IaC
//! knows (`env`), the request context, and the expected outcome per method
//! (`allowed`, `conditional` or `absent`; `exactly` lists every method that
//! may be found). Each case's `source` is the AWS documentation page the
//! case is written from. The Rust tests below cover what the data cannot
//! express (unknown values, statement provenance).

use fnguard_core::Loc;
use fnguard_iam::parse::{from_json, parse_policy};
use fnguard_iam::policy::{ResourceSet, Val};
use fnguard_iam::privesc::{
    assess, assess_as, methods, Environment, Escalation, FunctionInfo, Power, RoleInfo,
};
use fnguard_iam::{managed, Context, Decision, Policy};
use serde_json::Value;

const CASES: &str = include_str!("privesc_cases.json");

fn policy(json: &Value) -> Policy {
    parse_policy(&from_json(json, Loc::default()))
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn environment(v: Option<&Value>) -> Environment {
    let Some(v) = v else {
        return Environment::default();
    };
    let power = |p: Option<&str>| match p {
        Some("admin") => Power::Admin,
        Some("privileged") => Power::Privileged,
        Some("limited") => Power::Limited,
        _ => Power::Unknown,
    };
    Environment {
        roles: v
            .get("roles")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|r| RoleInfo {
                arn: r["arn"].as_str().unwrap().to_string(),
                trusted_services: strings(r.get("trusted_services")),
                trust_known: r
                    .get("trust_known")
                    .and_then(Value::as_bool)
                    .unwrap_or(true),
                power: power(r.get("power").and_then(Value::as_str)),
            })
            .collect(),
        functions: v
            .get("functions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|f| FunctionInfo {
                arn: f["arn"].as_str().unwrap().to_string(),
                role: f.get("role").and_then(Value::as_str).map(str::to_string),
            })
            .collect(),
        users: strings(v.get("users")),
        groups: strings(v.get("groups")),
        policies: strings(v.get("policies")),
        closed_world: v
            .get("closed_world")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    }
}

/// The strongest escalation found per method.
fn best<'e>(found: &'e [Escalation], id: &str) -> Option<&'e Escalation> {
    found
        .iter()
        .filter(|e| e.method.id == id)
        .max_by_key(|e| e.strength == Decision::Allowed)
}

#[test]
fn labelled_cases() {
    let cases: Vec<Value> = serde_json::from_str(CASES).unwrap();
    assert!(cases.len() >= 60);
    let all_ids: Vec<&str> = methods().methods.iter().map(|m| m.id.as_str()).collect();
    let mut covered: Vec<&str> = Vec::new();
    let mut failures = Vec::new();
    for case in &cases {
        let name = case["name"].as_str().unwrap();
        assert!(
            case["source"]
                .as_str()
                .is_some_and(|s| s.starts_with("https://docs.aws.amazon.com/")),
            "{name}: every case cites an AWS documentation page"
        );
        let inline: Vec<Policy> = case["policies"]
            .as_array()
            .unwrap()
            .iter()
            .map(policy)
            .collect();
        let mut policies: Vec<&Policy> = inline.iter().collect();
        let mut names: Vec<String> = (0..inline.len()).map(|i| format!("inline-{i}")).collect();
        for m in strings(case.get("managed")) {
            policies.push(managed::document(&m).unwrap_or_else(|| panic!("{name}: {m}")));
            names.push(m);
        }
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let mut ctx = Context::new();
        if let Some(c) = case.get("context").and_then(Value::as_object) {
            for (k, v) in c {
                ctx.set(k, strings(Some(v)));
            }
        }
        let env = environment(case.get("env"));
        let principal = case.get("principal").and_then(Value::as_str);
        let found = assess_as(&policies, &names, principal, &ctx, &env);
        let mut expect: Vec<(String, String)> = Vec::new();
        for (id, want) in case["expect"].as_object().unwrap() {
            let want = want.as_str().unwrap().to_string();
            if id == "*all*" {
                expect.extend(all_ids.iter().map(|i| (i.to_string(), want.clone())));
            } else {
                assert!(
                    all_ids.contains(&id.as_str()),
                    "{name}: unknown method {id}"
                );
                expect.push((id.clone(), want));
            }
        }
        for (id, want) in &expect {
            let got = match best(&found, id) {
                Some(e) if e.strength == Decision::Allowed => "allowed",
                Some(_) => "conditional",
                None => "absent",
            };
            if got != want {
                failures.push(format!("{name}: {id} is {got}, expected {want}"));
            }
            if want == "allowed" || want == "conditional" {
                covered.push(all_ids.iter().find(|i| *i == id).unwrap());
            }
        }
        if let Some(exactly) = case.get("exactly") {
            let allowed = strings(Some(exactly));
            for e in &found {
                if !allowed.contains(&e.method.id) {
                    failures.push(format!(
                        "{name}: unexpected {} ({:?}) on {}",
                        e.method.id, e.strength, e.target.description
                    ));
                }
            }
        }
        if let Some(t) = case.get("targets").and_then(Value::as_object) {
            for (id, arns) in t {
                let mut got: Vec<String> = found
                    .iter()
                    .filter(|e| &e.method.id == id)
                    .filter_map(|e| e.target.arn.clone())
                    .collect();
                got.sort();
                let mut want = strings(Some(arns));
                want.sort();
                if got != want {
                    failures.push(format!("{name}: {id} targets {got:?}, expected {want:?}"));
                }
            }
        }
        if let Some(u) = case.get("unresolved").and_then(Value::as_object) {
            for (id, keys) in u {
                let got = best(&found, id).map(|e| e.unresolved.clone());
                for key in strings(Some(keys)) {
                    if !got.as_ref().is_some_and(|g| g.contains(&key)) {
                        failures.push(format!("{name}: {id} unresolved {got:?} lacks {key}"));
                    }
                }
            }
        }
        // Every reported step names the statements that enable it.
        for e in &found {
            for step in &e.steps {
                if step.statements.is_empty()
                    && !step.by_resource_policy
                    && !policies.iter().any(|p| p.unknown)
                {
                    failures.push(format!(
                        "{name}: {} step {} has no statement",
                        e.method.id, step.action
                    ));
                }
            }
        }
    }
    for id in &all_ids {
        if !covered.contains(id) {
            failures.push(format!("no positive case for {id}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn doc(json: &str) -> Policy {
    policy(&serde_json::from_str(json).unwrap())
}

/// Provenance: the escalation names the policy, statement index and Sid
/// behind each step (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_sid.html).
#[test]
fn escalation_names_its_statements_and_target() {
    let a = doc(
        r#"{"Statement":[{"Sid":"Logs","Effect":"Allow","Action":"logs:*","Resource":"*"},
        {"Sid":"Pass","Effect":"Allow","Action":"iam:PassRole","Resource":"*",
         "Condition":{"StringEquals":{"iam:PassedToService":"lambda.amazonaws.com"}}}]}"#,
    );
    let b = doc(
        r#"{"Statement":{"Sid":"Fn","Effect":"Allow","Action":["lambda:Create*","lambda:InvokeFunction"],"Resource":"*"}}"#,
    );
    let env = Environment {
        roles: vec![RoleInfo {
            arn: "arn:aws:iam::123456789012:role/admin".into(),
            trusted_services: vec!["lambda.amazonaws.com".into()],
            trust_known: true,
            power: Power::Admin,
        }],
        ..Environment::default()
    };
    let found = assess_as(
        &[&a, &b],
        &["BasePolicy", "FnPolicy"],
        None,
        &Context::new(),
        &env,
    );
    let e = found
        .iter()
        .find(|e| e.method.id == "lambda-passrole-createfunction-invoke")
        .unwrap();
    assert_eq!(e.strength, Decision::Allowed);
    assert_eq!(
        e.target.arn.as_deref(),
        Some("arn:aws:iam::123456789012:role/admin")
    );
    assert!(e.target.description.contains("lambda.amazonaws.com"));
    let pass = e.steps.iter().find(|s| s.action == "iam:PassRole").unwrap();
    assert_eq!(pass.resource, "arn:aws:iam::123456789012:role/admin");
    assert_eq!(pass.statements.len(), 1);
    assert_eq!(pass.statements[0].policy, 0);
    assert_eq!(
        pass.statements[0].policy_name.as_deref(),
        Some("BasePolicy")
    );
    assert_eq!(pass.statements[0].statement, 1);
    assert_eq!(pass.statements[0].sid.as_deref(), Some("Pass"));
    let create = e
        .steps
        .iter()
        .find(|s| s.action == "lambda:CreateFunction")
        .unwrap();
    assert_eq!(
        create.statements[0].policy_name.as_deref(),
        Some("FnPolicy")
    );
    // The event source method also matches through lambda:Create*.
    assert!(found
        .iter()
        .any(|e| e.method.id == "lambda-passrole-createfunction-eventsource"));
}

/// An unresolved value (e.g. `!ImportValue` as the PassRole resource) is
/// never read as allow or deny: the method is conditional
/// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
#[test]
fn unknown_resource_value_is_conditional() {
    let mut p = doc(
        r#"{"Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":"x"},
        {"Effect":"Allow","Action":["lambda:CreateFunction","lambda:InvokeFunction"],"Resource":"*"}]}"#,
    );
    if let ResourceSet::Resource(r) = &mut p.statements[0].resources {
        r[0] = Val::unknown(Loc::default());
    }
    let found = assess(&[&p], &Context::new(), &Environment::default());
    let e = found
        .iter()
        .find(|e| e.method.id == "lambda-passrole-createfunction-invoke")
        .unwrap();
    assert_eq!(e.strength, Decision::Conditional);
    assert!(e.unresolved.contains(&"(unresolved value)".to_string()));
    // An unreadable policy may allow anything: every method is conditional.
    let unreadable = Policy {
        unknown: true,
        ..Policy::default()
    };
    let found = assess(&[&unreadable], &Context::new(), &Environment::default());
    assert_eq!(found.len(), methods().methods.len());
    assert!(found.iter().all(|e| e.strength == Decision::Conditional));
    // No policy at all: nothing.
    assert!(assess(&[], &Context::new(), &Environment::default()).is_empty());
}

/// Lambda function targets carry the execution role whose power is gained
/// (https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html).
#[test]
fn function_targets_name_their_role() {
    let p = doc(
        r#"{"Statement":{"Effect":"Allow","Action":"lambda:UpdateFunctionCode","Resource":"arn:aws:lambda:*:*:function:*"}}"#,
    );
    let env = Environment {
        functions: vec![
            FunctionInfo {
                arn: "arn:aws:lambda:eu-west-1:1:function:a".into(),
                role: Some("arn:aws:iam::1:role/a-role".into()),
            },
            FunctionInfo {
                arn: "arn:aws:lambda:eu-west-1:1:function:self".into(),
                role: Some("arn:aws:iam::1:role/self".into()),
            },
        ],
        ..Environment::default()
    };
    let found = assess_as(
        &[&p],
        &[],
        Some("arn:aws:iam::1:role/self"),
        &Context::new(),
        &env,
    );
    let targets: Vec<_> = found
        .iter()
        .filter(|e| e.method.id == "lambda-updatefunctioncode")
        .map(|e| (e.target.arn.clone(), e.target.role.clone()))
        .collect();
    // The function running as the principal itself gains nothing.
    assert_eq!(
        targets,
        [(
            Some("arn:aws:lambda:eu-west-1:1:function:a".to_string()),
            Some("arn:aws:iam::1:role/a-role".to_string())
        )]
    );
}
