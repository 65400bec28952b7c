//! A tiny builder for deployments: the checks are tested at the model
//! level, independent of any loader.
// Each test binary uses a different part of this module.
#![allow(dead_code)]

use fnguard_audit::{audit, AuditOptions};
use fnguard_core::{Date, Field, Finding, Loc};
use fnguard_model::{
    Api, ApiKind, AuthKind, CodeSigningConfig, Deployment, EnvValue, EnvVar, Function, Ignore,
    LogGroup, Ref, Route, SourceFormat, VpcConfig,
};

pub fn loc(line: u32) -> Loc {
    Loc::new(0, line, 3)
}

pub fn known<T>(value: T, line: u32) -> Field<T> {
    Field::Known(value, loc(line))
}

pub fn s(value: &str, line: u32) -> Field<String> {
    Field::Known(value.to_string(), loc(line))
}

pub fn deployment() -> Deployment {
    Deployment::new(
        SourceFormat::CloudFormation,
        vec!["template.yaml".to_string()],
    )
}

pub fn scan_date() -> Date {
    Date::new(2026, 11, 28).expect("valid date")
}

pub fn run(dep: &Deployment) -> Vec<Finding> {
    run_on(dep, scan_date())
}

pub fn run_on(dep: &Deployment, scan_date: Date) -> Vec<Finding> {
    audit(dep, &AuditOptions { scan_date })
}

/// Unsuppressed findings of one rule.
pub fn of<'a>(findings: &'a [Finding], rule: &str) -> Vec<&'a Finding> {
    findings
        .iter()
        .filter(|f| f.rule_id == rule && f.suppressed.is_none())
        .collect()
}

/// A function with every protection fnguard checks for: tests switch one
/// off at a time.
pub fn hardened_function(id: &str, line: u32) -> Function {
    let mut f = Function::new(id, loc(line));
    f.name = s(&format!("{id}-prod"), line + 1);
    f.runtime = s("python3.13", line + 2);
    f.handler = s("app.handler", line + 3);
    f.code_signing = known(Ref::Local("Signing".into()), line + 4);
    f.reserved_concurrency = known(20, line + 5);
    f.vpc = known(
        VpcConfig {
            security_groups: vec![Ref::External("sg-0123456789abcdef0".into())],
            subnets: vec![Ref::External("subnet-0123".into())],
        },
        line + 6,
    );
    f.log_format = s("JSON", line + 7);
    f.tracing = s("Active", line + 8);
    f.dead_letter = s("arn:aws:sqs:us-east-1:111122223333:dlq", line + 9);
    f
}

pub fn env(name: &str, value: &str, line: u32) -> EnvVar {
    EnvVar {
        name: name.to_string(),
        loc: loc(line),
        value: EnvValue::Literal(value.to_string()),
    }
}

pub fn log_group_for(function: &Function, retention: Option<i64>, line: u32) -> LogGroup {
    LogGroup {
        id: format!("{}LogGroup", function.id),
        loc: loc(line),
        name: s(&format!("/aws/lambda/{}", function.id), line + 1),
        retention_days: retention.map_or(Field::Absent, |d| known(d, line + 2)),
        function: Some(function.id.clone()),
        ignores: Vec::new(),
    }
}

pub fn enforcing_signing_config(line: u32) -> CodeSigningConfig {
    CodeSigningConfig {
        id: "Signing".into(),
        loc: loc(line),
        untrusted_artifact_policy: s("Enforce", line + 1),
        ignores: Vec::new(),
    }
}

/// A REST API with every protection, and no routes.
pub fn hardened_api(id: &str, kind: ApiKind, line: u32) -> Api {
    let mut api = Api::new(id, loc(line), kind);
    api.waf = known(true, line + 1);
    api.throttling = known(true, line + 2);
    api.request_validation = known(true, line + 3);
    api.access_logging = known(true, line + 4);
    api.tracing = known(true, line + 5);
    api
}

pub fn route(
    method: &str,
    path: &str,
    auth: Field<AuthKind>,
    function: Option<&str>,
    line: u32,
) -> Route {
    Route {
        method: method.to_string(),
        path: path.to_string(),
        loc: loc(line),
        auth,
        api_key_required: Field::Absent,
        function: function.map(str::to_string),
    }
}

pub fn ignore(rule: &str) -> Ignore {
    Ignore {
        rule_id: rule.to_string(),
        reason: Some("accepted risk".to_string()),
        loc: loc(1),
    }
}

/// Every user-visible string of a finding, to check nothing leaks.
pub fn visible_text(f: &Finding) -> String {
    format!(
        "{} {} {} {}",
        f.message.en,
        f.message.zh,
        f.evidence.clone().unwrap_or_default(),
        f.related
            .iter()
            .map(|r| format!("{} {}", r.message.en, r.message.zh))
            .collect::<Vec<_>>()
            .join(" ")
    )
}
