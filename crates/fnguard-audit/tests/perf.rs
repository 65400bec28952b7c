//! The audit of one deployment must scale linearly with its size: a
//! generated deployment of 10,000 functions (each with a role, a route, a
//! permission, a log group, environment variables and an inline ignore) is
//! audited in release mode, once at 1,000 and once at 10,000 functions, and
//! the larger run must take well under 20 times the smaller one (linear is
//! 10). Run with
//! `cargo test --release -p fnguard-audit --test perf -- --ignored --nocapture`.

use fnguard_audit::{audit, AuditOptions};
use fnguard_core::{Date, Field, Loc};
use fnguard_iam::{parse_policy, Policy};
use fnguard_model::{
    yaml, Alarm, AlarmMetric, Api, ApiKind, AttachedPolicy, AuthKind, Deployment, EnvValue, EnvVar,
    Function, InlineIgnore, InvokePermission, LogGroup, PolicyOrigin, Ref, Role, Route,
    SecurityGroup, SgRule, SourceFormat, Trigger, TriggerKind, VpcConfig,
};
use std::time::{Duration, Instant};

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

fn policy(text: &str) -> Policy {
    parse_policy(&yaml::parse(text, 0, "template.yaml").expect("policy parses"))
}

fn loc(file: u32, line: u32) -> Loc {
    Loc::new(file, line, 3)
}

/// `n` functions spread over 10 files, 40 lines apart.
fn generate(n: u32) -> Deployment {
    let files: Vec<String> = (0..10).map(|i| format!("stack/part{i}.yaml")).collect();
    let mut dep = Deployment::new(SourceFormat::CloudFormation, files);
    let trust = policy(TRUST);
    let scoped = policy(SCOPED);
    let sloppy = policy(SLOPPY);
    let mut api = Api::new("ServerlessRestApi", loc(0, 1), ApiKind::Rest);
    api.implicit = true;
    let shared_role = Role::new("SharedRole", loc(0, 2));
    dep.roles.push(Role {
        trust: Some(trust.clone()),
        ..shared_role
    });
    dep.security_groups.push(SecurityGroup {
        id: "LambdaSg".into(),
        loc: loc(0, 3),
        egress: vec![SgRule {
            loc: loc(0, 4),
            cidr: Field::Known("0.0.0.0/0".into(), loc(0, 4)),
            protocol: Field::Known("-1".into(), loc(0, 4)),
            from_port: Field::Absent,
            to_port: Field::Absent,
            implicit: false,
        }],
        ignores: Vec::new(),
    });
    for i in 0..n {
        let file = i % 10;
        let line = 100 + (i / 10) * 40;
        let id = format!("Fn{i}");
        let mut f = Function::new(&id, loc(file, line));
        f.name = Field::Known(format!("fn-{i}"), loc(file, line + 1));
        f.runtime = Field::Known(
            if i % 3 == 0 {
                "python3.8"
            } else {
                "python3.13"
            }
            .into(),
            loc(file, line + 2),
        );
        // Every tenth function shares one role, the rest have their own.
        let role_id = if i % 10 == 0 {
            "SharedRole".to_string()
        } else {
            let role_id = format!("Fn{i}Role");
            let mut role = Role::new(&role_id, loc(file, line + 20));
            role.trust = Some(trust.clone());
            role.policies.push(AttachedPolicy {
                name: format!("Fn{i}Policy"),
                origin: PolicyOrigin::Inline,
                policy: if i % 7 == 0 {
                    sloppy.clone()
                } else {
                    scoped.clone()
                },
                loc: loc(file, line + 22),
            });
            role.managed_policy_arns.push(Field::Known(
                "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole".into(),
                loc(file, line + 30),
            ));
            dep.roles.push(role);
            role_id
        };
        f.role = Field::Known(Ref::Local(role_id), loc(file, line + 3));
        f.environment = vec![
            EnvVar {
                name: "TABLE_NAME".into(),
                loc: loc(file, line + 4),
                value: EnvValue::Literal("orders".into()),
            },
            EnvVar {
                name: "DB_PASSWORD".into(),
                loc: loc(file, line + 5),
                value: EnvValue::Literal(format!("S3cr3t-{i}-Xq9vLr2mT")),
            },
            EnvVar {
                name: "API_TOKEN".into(),
                loc: loc(file, line + 6),
                value: EnvValue::Reference("{{resolve:secretsmanager:token}}".into()),
            },
        ];
        if i % 2 == 0 {
            f.vpc = Field::Known(
                VpcConfig {
                    security_groups: vec![Ref::Local("LambdaSg".into())],
                    subnets: vec![Ref::External("subnet-1".into())],
                },
                loc(file, line + 7),
            );
        }
        f.triggers.push(Trigger {
            kind: TriggerKind::RestApi,
            loc: loc(file, line + 8),
            source: Ref::Local("ServerlessRestApi".into()),
        });
        f.triggers.push(Trigger {
            kind: TriggerKind::S3,
            loc: loc(file, line + 9),
            source: Ref::External("arn:aws:s3:::uploads".into()),
        });
        api.routes.push(Route {
            method: "POST".into(),
            path: format!("/orders/{i}"),
            loc: loc(file, line + 10),
            auth: Field::Known(AuthKind::None, loc(file, line + 11)),
            api_key_required: Field::Absent,
            function: Some(id.clone()),
        });
        dep.permissions.push(InvokePermission {
            id: format!("Fn{i}Permission"),
            loc: loc(file, line + 12),
            function: Ref::Local(id.clone()),
            action: Field::Known("lambda:InvokeFunction".into(), loc(file, line + 13)),
            principal: Field::Known("s3.amazonaws.com".into(), loc(file, line + 14)),
            source_arn: Field::Absent,
            source_account: Field::Absent,
            principal_org_id: Field::Absent,
            function_url_auth_type: Field::Absent,
            event_source_token: Field::Absent,
            ignores: Vec::new(),
        });
        dep.log_groups.push(LogGroup {
            id: format!("Fn{i}LogGroup"),
            loc: loc(file, line + 15),
            name: Field::Known(format!("/aws/lambda/fn-{i}"), loc(file, line + 16)),
            retention_days: Field::Absent,
            function: Some(id.clone()),
            ignores: Vec::new(),
        });
        if i % 2 == 1 {
            dep.alarms.push(Alarm {
                id: format!("Fn{i}Errors"),
                loc: loc(file, line + 17),
                metrics: vec![AlarmMetric {
                    namespace: Field::Known("AWS/Lambda".into(), loc(file, line + 18)),
                    metric_name: Field::Known("Errors".into(), loc(file, line + 18)),
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
            loc: loc(file, line - 1),
            target_line: line,
        });
        dep.functions.push(f);
    }
    dep.apis.push(api);
    dep
}

fn timed_audit(dep: &Deployment) -> (Duration, usize) {
    let opts = AuditOptions {
        scan_date: Date::new(2026, 11, 28).expect("date"),
    };
    // The best of three, so a busy shared machine distorts less.
    let mut best = Duration::MAX;
    let mut count = 0;
    for _ in 0..3 {
        let start = Instant::now();
        let findings = audit(dep, &opts);
        best = best.min(start.elapsed());
        count = findings.len();
    }
    (best, count)
}

#[test]
#[ignore = "release-mode timing: cargo test --release -p fnguard-audit --test perf -- --ignored"]
fn audit_of_10k_functions_is_linear_and_fast() {
    let small = generate(1_000);
    let large = generate(10_000);
    let (t_small, n_small) = timed_audit(&small);
    let (t_large, n_large) = timed_audit(&large);
    let ratio = t_large.as_secs_f64() / t_small.as_secs_f64().max(1e-6);
    println!(
        "audit: 1k functions {:.1} ms ({n_small} findings), 10k functions {:.1} ms ({n_large} findings), ratio {ratio:.1}",
        t_small.as_secs_f64() * 1e3,
        t_large.as_secs_f64() * 1e3,
    );
    // Every generated function yields findings, and the ignores work.
    assert!(n_large > 9 * n_small, "{n_small} vs {n_large}");
    let findings = audit(
        &large,
        &AuditOptions {
            scan_date: Date::new(2026, 11, 28).expect("date"),
        },
    );
    let suppressed = findings
        .iter()
        .filter(|f| f.rule_id == "FG-RT-002" && f.suppressed.is_some())
        .count();
    assert_eq!(suppressed, 10_000, "every inline ignore applies");
    assert!(
        ratio < 20.0,
        "10x the functions took {ratio:.1}x the time: something is quadratic"
    );
    assert!(
        t_large < Duration::from_secs(5),
        "10k functions took {t_large:?}"
    );
}

#[test]
#[ignore = "release-mode timing breakdown per area"]
fn audit_time_per_area() {
    let dep = generate(10_000);
    let opts = AuditOptions {
        scan_date: Date::new(2026, 11, 28).expect("date"),
    };
    let ctx = fnguard_audit::Ctx {
        dep: &dep,
        opts: &opts,
    };
    type Check = fn(&fnguard_audit::Ctx, &mut Vec<fnguard_audit::Raw>);
    let areas: [(&str, Check); 9] = [
        ("iam", fnguard_audit::iam::check),
        ("trig", fnguard_audit::trig::check),
        ("sec", fnguard_audit::sec::check),
        ("sign", fnguard_audit::sign::check),
        ("rt", fnguard_audit::rt::check),
        ("net", fnguard_audit::net::check),
        ("api", fnguard_audit::api::check),
        ("log", fnguard_audit::log::check),
        ("mon", fnguard_audit::mon::check),
    ];
    let mut checks_total = Duration::ZERO;
    for (name, check) in areas {
        let mut out = Vec::new();
        let start = Instant::now();
        check(&ctx, &mut out);
        let took = start.elapsed();
        checks_total += took;
        println!(
            "{name:5} {:8.1} ms {:6} findings",
            took.as_secs_f64() * 1e3,
            out.len()
        );
    }
    let start = Instant::now();
    let findings = audit(&dep, &opts);
    let total = start.elapsed();
    println!(
        "audit {:8.1} ms {:6} findings; suppression pass ~{:.1} ms",
        total.as_secs_f64() * 1e3,
        findings.len(),
        (total.saturating_sub(checks_total)).as_secs_f64() * 1e3
    );
}
