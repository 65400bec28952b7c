//! A tiny builder for deployments: the checks are tested at the model
//! level, independent of any loader.
// Each test binary uses a different part of this module.
#![allow(dead_code)]

use fnguard_audit::{audit, AuditOptions};
use fnguard_core::{Date, Field, Finding, Loc};
use fnguard_iam::{parse_policy, Policy};
use fnguard_model::{
    yaml, Alarm, AlarmMetric, Api, ApiKind, AttachedPolicy, AuthKind, CodeSigningConfig,
    Deployment, EnvValue, EnvVar, Function, Ignore, InlineIgnore, InvokePermission, LogGroup,
    PolicyOrigin, Ref, Role, Route, SecurityGroup, SgRule, SourceFormat, Trigger, TriggerKind,
    VpcConfig,
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
    audit(
        dep,
        &AuditOptions {
            scan_date,
            lang: None,
        },
    )
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

const TRUST: &str = r#"
Statement:
  - Effect: Allow
    Principal: {Service: lambda.amazonaws.com}
    Action: sts:AssumeRole
"#;

/// What a typical generated or hand-written function role holds: scoped
/// data access, logs, and (for some functions) a sloppy write on `*`.
const SCOPED: &str = r#"
Statement:
  - Sid: Logs
    Effect: Allow
    Action: [logs:CreateLogGroup, logs:CreateLogStream, logs:PutLogEvents]
    Resource: "*"
  - Sid: Table
    Effect: Allow
    Action: [dynamodb:GetItem, dynamodb:PutItem, dynamodb:Query, dynamodb:UpdateItem]
    Resource: arn:aws:dynamodb:us-east-1:111122223333:table/orders
  - Sid: Bucket
    Effect: Allow
    Action: s3:*
    Resource: arn:aws:s3:::orders-bucket/*
"#;

const SLOPPY: &str = r#"
Statement:
  - Sid: Queue
    Effect: Allow
    Action: [sqs:SendMessage, sqs:DeleteMessage, sns:Publish]
    Resource: "*"
  - Sid: Pass
    Effect: Allow
    Action: iam:PassRole
    Resource: "*"
"#;

fn parsed_policy(text: &str) -> Policy {
    parse_policy(&yaml::parse(text, 0, "template.yaml").expect("policy parses"))
}

fn at(file: u32, line: u32) -> Loc {
    Loc::new(file, line, 3)
}

/// A deployment of `n` functions spread over 10 files, 40 lines apart from
/// `line_base` on, each with a role (every tenth shares one), environment
/// variables (one a literal secret), a route, a permission, a log group, an
/// alarm for every other one and an inline ignore: something for every area
/// at a scale where quadratic work shows.
pub fn synthetic(n: u32, line_base: u32) -> Deployment {
    let files: Vec<String> = (0..10).map(|i| format!("stack/part{i}.yaml")).collect();
    let mut dep = Deployment::new(SourceFormat::CloudFormation, files);
    let trust = parsed_policy(TRUST);
    let scoped = parsed_policy(SCOPED);
    let sloppy = parsed_policy(SLOPPY);
    let mut api = Api::new("ServerlessRestApi", at(0, 1), ApiKind::Rest);
    api.implicit = true;
    let shared_role = Role::new("SharedRole", at(0, 2));
    dep.roles.push(Role {
        trust: Some(trust.clone()),
        ..shared_role
    });
    dep.security_groups.push(SecurityGroup {
        id: "LambdaSg".into(),
        loc: at(0, 3),
        egress: vec![SgRule {
            loc: at(0, 4),
            cidr: Field::Known("0.0.0.0/0".into(), at(0, 4)),
            protocol: Field::Known("-1".into(), at(0, 4)),
            from_port: Field::Absent,
            to_port: Field::Absent,
            peer_group: None,
            implicit: false,
        }],
        ingress: Vec::new(),
        ignores: Vec::new(),
    });
    for i in 0..n {
        let file = i % 10;
        let line = line_base + (i / 10) * 40;
        let id = format!("Fn{i}");
        let mut f = Function::new(&id, at(file, line));
        f.name = Field::Known(format!("fn-{i}"), at(file, line + 1));
        f.runtime = Field::Known(
            if i % 3 == 0 {
                "python3.8"
            } else {
                "python3.13"
            }
            .into(),
            at(file, line + 2),
        );
        // Every tenth function shares one role, the rest have their own.
        let role_id = if i % 10 == 0 {
            "SharedRole".to_string()
        } else {
            let role_id = format!("Fn{i}Role");
            let mut role = Role::new(&role_id, at(file, line + 20));
            role.trust = Some(trust.clone());
            role.policies.push(AttachedPolicy {
                name: format!("Fn{i}Policy"),
                origin: PolicyOrigin::Inline,
                policy: if i % 7 == 0 {
                    sloppy.clone()
                } else {
                    scoped.clone()
                },
                loc: at(file, line + 22),
            });
            role.managed_policy_arns.push(Field::Known(
                "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole".into(),
                at(file, line + 30),
            ));
            dep.roles.push(role);
            role_id
        };
        f.role = Field::Known(Ref::Local(role_id), at(file, line + 3));
        f.environment = vec![
            EnvVar {
                name: "TABLE_NAME".into(),
                loc: at(file, line + 4),
                value: EnvValue::Literal("orders".into()),
            },
            EnvVar {
                name: "DB_PASSWORD".into(),
                loc: at(file, line + 5),
                value: EnvValue::Literal(format!("S3cr3t-{i}-Xq9vLr2mT")),
            },
            EnvVar {
                name: "API_TOKEN".into(),
                loc: at(file, line + 6),
                value: EnvValue::Reference("{{resolve:secretsmanager:token}}".into()),
            },
        ];
        if i % 2 == 0 {
            f.vpc = Field::Known(
                VpcConfig {
                    security_groups: vec![Ref::Local("LambdaSg".into())],
                    subnets: vec![Ref::External("subnet-1".into())],
                },
                at(file, line + 7),
            );
        }
        f.triggers.push(Trigger {
            kind: TriggerKind::RestApi,
            loc: at(file, line + 8),
            source: Ref::Local("ServerlessRestApi".into()),
        });
        f.triggers.push(Trigger {
            kind: TriggerKind::S3,
            loc: at(file, line + 9),
            source: Ref::External("arn:aws:s3:::uploads".into()),
        });
        api.routes.push(Route {
            method: "POST".into(),
            path: format!("/orders/{i}"),
            loc: at(file, line + 10),
            auth: Field::Known(AuthKind::None, at(file, line + 11)),
            api_key_required: Field::Absent,
            function: Some(id.clone()),
        });
        dep.permissions.push(InvokePermission {
            id: format!("Fn{i}Permission"),
            loc: at(file, line + 12),
            function: Ref::Local(id.clone()),
            action: Field::Known("lambda:InvokeFunction".into(), at(file, line + 13)),
            principal: Field::Known("s3.amazonaws.com".into(), at(file, line + 14)),
            source_arn: Field::Absent,
            source_account: Field::Absent,
            principal_org_id: Field::Absent,
            function_url_auth_type: Field::Absent,
            event_source_token: Field::Absent,
            ignores: Vec::new(),
        });
        dep.log_groups.push(LogGroup {
            id: format!("Fn{i}LogGroup"),
            loc: at(file, line + 15),
            name: Field::Known(format!("/aws/lambda/fn-{i}"), at(file, line + 16)),
            retention_days: Field::Absent,
            function: Some(id.clone()),
            ignores: Vec::new(),
        });
        if i % 2 == 1 {
            dep.alarms.push(Alarm {
                id: format!("Fn{i}Errors"),
                loc: at(file, line + 17),
                metrics: vec![AlarmMetric {
                    namespace: Field::Known("AWS/Lambda".into(), at(file, line + 18)),
                    metric_name: Field::Known("Errors".into(), at(file, line + 18)),
                    function: Some(id.clone()),
                    function_unknown: false,
                    has_function_dimension: true,
                }],
                ignores: Vec::new(),
            });
        }
        // An ignore comment above every function, for the rule it most
        // likely wants silenced.
        dep.inline_ignores.push(InlineIgnore {
            rule_ids: vec!["FG-RT-002".into()],
            reason: Some("capacity managed elsewhere".into()),
            loc: at(file, line - 1),
            target_line: line,
        });
        dep.functions.push(f);
    }
    dep.apis.push(api);
    dep
}
