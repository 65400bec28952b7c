//! Nothing may be reported on a value the scanned files do not determine:
//! elements whose every property is `Unknown` (an unresolved intrinsic or
//! expression) yield no finding that depends on them.

mod support;

use fnguard_core::{Field, Loc};
use fnguard_iam::{
    ActionSet, Effect, Policy, PrincipalEntry, PrincipalSet, ResourceSet, Statement, Val,
};
use fnguard_model::{
    Alarm, AlarmMetric, Api, ApiKind, AttachedPolicy, AuthKind, CodeSigningConfig, Cors, EnvValue,
    EnvVar, Function, FunctionUrl, InvokePermission, LogGroup, Parameter, PolicyOrigin, Ref, Role,
    Route, SecurityGroup, SgRule, Trail, VpcConfig,
};
use support::*;

fn unknown<T>(line: u32) -> Field<T> {
    Field::Unknown(loc(line))
}

fn unknown_statement(line: u32, principals: PrincipalSet) -> Statement {
    let at = loc(line);
    Statement {
        sid: None,
        loc: at,
        effect: Effect::Allow,
        actions: ActionSet::Action(vec![Val::unknown(at)]),
        resources: ResourceSet::Resource(vec![Val::unknown(at)]),
        principals,
        conditions: Vec::new(),
        condition_unknown: false,
    }
}

fn unknown_function(id: &str, line: u32) -> Function {
    let mut f = Function::new(id, loc(line));
    f.name = unknown(line + 1);
    f.runtime = unknown(line + 2);
    f.package_type = unknown(line + 3);
    f.role = Field::Known(Ref::Local("Role".into()), loc(line + 4));
    f.environment = vec![
        EnvVar {
            name: "DB_PASSWORD".into(),
            loc: loc(line + 5),
            value: EnvValue::Unknown,
        },
        EnvVar {
            name: "AWS_SECRET_ACCESS_KEY".into(),
            loc: loc(line + 6),
            value: EnvValue::Reference("{{resolve:secretsmanager:key}}".into()),
        },
    ];
    f.vpc = unknown(line + 7);
    f.code_signing = unknown(line + 8);
    f.log_format = unknown(line + 9);
    f.log_group = unknown(line + 10);
    f.tracing = unknown(line + 11);
    f.reserved_concurrency = unknown(line + 12);
    f.dead_letter = unknown(line + 13);
    f.on_failure = unknown(line + 14);
    f
}

#[test]
fn unknown_values_yield_no_findings() {
    let mut dep = deployment();
    let mut function = unknown_function("Fn", 10);
    function.triggers.push(fnguard_model::Trigger {
        kind: fnguard_model::TriggerKind::S3,
        loc: loc(30),
        source: Ref::Unknown,
    });
    dep.functions.push(function);

    let mut role = Role::new("Role", loc(100));
    role.trust = Some(Policy {
        statements: vec![unknown_statement(
            101,
            PrincipalSet::Principal(vec![PrincipalEntry {
                kind: "AWS".into(),
                value: Val::unknown(loc(102)),
            }]),
        )],
        loc: loc(101),
        unknown: false,
    });
    role.policies.push(AttachedPolicy {
        name: "computed".into(),
        origin: PolicyOrigin::Inline,
        policy: Policy {
            statements: vec![unknown_statement(110, PrincipalSet::Absent)],
            loc: loc(110),
            unknown: false,
        },
        loc: loc(110),
    });
    role.policies.push(AttachedPolicy {
        name: "whole-document-computed".into(),
        origin: PolicyOrigin::Inline,
        policy: Policy {
            statements: Vec::new(),
            loc: loc(115),
            unknown: true,
        },
        loc: loc(115),
    });
    role.managed_policy_arns.push(unknown(120));
    role.permissions_boundary = unknown(121);
    dep.roles.push(role);

    dep.permissions.push(InvokePermission {
        id: "Perm".into(),
        loc: loc(200),
        function: Ref::Local("Fn".into()),
        action: unknown(201),
        principal: unknown(202),
        source_arn: Field::Absent,
        source_account: Field::Absent,
        principal_org_id: Field::Absent,
        function_url_auth_type: Field::Absent,
        event_source_token: Field::Absent,
        ignores: Vec::new(),
    });
    dep.permissions.push(InvokePermission {
        id: "PublicButConditioned".into(),
        loc: loc(210),
        function: Ref::Local("Fn".into()),
        action: s("lambda:InvokeFunction", 211),
        principal: s("*", 212),
        source_arn: unknown(213),
        source_account: Field::Absent,
        principal_org_id: Field::Absent,
        function_url_auth_type: unknown(214),
        event_source_token: Field::Absent,
        ignores: Vec::new(),
    });
    dep.function_urls.push(FunctionUrl {
        id: "Url".into(),
        loc: loc(220),
        function: Ref::Local("Fn".into()),
        auth_type: unknown(221),
        cors: Some(Cors {
            loc: loc(222),
            allow_origins: vec![unknown(223)],
            allow_credentials: unknown(224),
        }),
        ignores: Vec::new(),
    });

    let mut api = Api::new("Api", loc(300), ApiKind::Rest);
    api.private_endpoint = unknown(301);
    api.waf = unknown(302);
    api.throttling = unknown(303);
    api.request_validation = unknown(304);
    api.access_logging = unknown(305);
    api.tracing = unknown(306);
    api.routes.push(Route {
        method: "GET".into(),
        path: "/".into(),
        loc: loc(310),
        auth: unknown(311),
        api_key_required: unknown(312),
        function: Some("Fn".into()),
    });
    dep.apis.push(api);
    // A public API whose only route's API-key setting is unknown.
    let mut open = hardened_api("Open", ApiKind::Rest, 320);
    open.routes.push(Route {
        method: "POST".into(),
        path: "/".into(),
        loc: loc(330),
        auth: known(AuthKind::None, 331),
        api_key_required: unknown(332),
        function: Some("Fn".into()),
    });
    dep.apis.push(open);

    dep.log_groups.push(LogGroup {
        id: "Logs".into(),
        loc: loc(400),
        name: s("/aws/lambda/fn", 401),
        retention_days: unknown(402),
        function: Some("Fn".into()),
        ignores: Vec::new(),
    });
    dep.alarms.push(Alarm {
        id: "Alarm".into(),
        loc: loc(410),
        metrics: vec![AlarmMetric {
            namespace: unknown(411),
            metric_name: unknown(412),
            function: None,
            function_unknown: true,
            has_function_dimension: true,
        }],
        ignores: Vec::new(),
    });
    dep.trails.push(Trail {
        id: "Trail".into(),
        loc: loc(420),
        lambda_data_events: unknown(421),
        ignores: Vec::new(),
    });
    dep.security_groups.push(SecurityGroup {
        id: "Sg".into(),
        loc: loc(430),
        egress: vec![SgRule {
            loc: loc(431),
            cidr: unknown(432),
            protocol: s("-1", 433),
            from_port: Field::Absent,
            to_port: Field::Absent,
            peer_group: None,
            implicit: false,
        }],
        ingress: Vec::new(),
        ignores: Vec::new(),
    });
    dep.code_signing_configs.push(CodeSigningConfig {
        id: "Signing".into(),
        loc: loc(440),
        untrusted_artifact_policy: unknown(441),
        ignores: Vec::new(),
    });
    dep.parameters.push(Parameter {
        id: "DbPassword".into(),
        loc: loc(450),
        default: unknown(451),
        no_echo: false,
        ignores: Vec::new(),
    });
    // A second function in a VPC with unknown security groups and subnets.
    let mut attached = hardened_function("Attached", 500);
    attached.vpc = known(
        VpcConfig {
            security_groups: vec![Ref::Unknown],
            subnets: vec![Ref::Unknown],
        },
        506,
    );
    attached.role = Field::Unknown(Loc::new(0, 510, 3));
    dep.log_groups.push(log_group_for(&attached, Some(30), 520));
    dep.functions.push(attached);

    let findings = run(&dep);
    let active: Vec<String> = findings
        .iter()
        .filter(|f| f.suppressed.is_none())
        .map(|f| format!("{} {} line {}", f.rule_id, f.resource, f.location.line))
        .collect();
    // The alarm's function is unknown, so no function can be said to be
    // unwatched either: every finding would be a false positive here.
    assert!(active.is_empty(), "{active:#?}");
}
