//! FG-IAM-001..007 over deployments built in Rust: for every rule at least
//! one case that must fire and one that must not, including the classic
//! false-positive traps (Deny with NotAction, conditions, NotAction on a
//! narrow resource, Lambda@Edge trust, PassRole limited by
//! iam:PassedToService).

use fnguard_audit::{audit, AuditOptions};
use fnguard_core::{Date, Field, Finding, Loc, Severity};
use fnguard_iam::{parse_policy, Policy};
use fnguard_model::{
    yaml, AttachedPolicy, Deployment, Function, Ignore, PolicyOrigin, Ref, Role, SourceFormat,
};

const LAMBDA_TRUST: &str = r#"
Statement:
  - Effect: Allow
    Principal: {Service: lambda.amazonaws.com}
    Action: sts:AssumeRole
"#;

fn policy(text: &str) -> Policy {
    parse_policy(&yaml::parse(text, 0, "template.yaml").expect("test policy parses"))
}

fn role(id: &str, policies: &[&str]) -> Role {
    let mut role = Role::new(id, Loc::new(0, 100, 3));
    role.trust = Some(policy(LAMBDA_TRUST));
    for (i, text) in policies.iter().enumerate() {
        role.policies.push(AttachedPolicy {
            name: format!("{id}Policy{i}"),
            origin: PolicyOrigin::Inline,
            policy: policy(text),
            loc: Loc::new(0, 110, 5),
        });
    }
    role
}

fn function(id: &str, role: Ref, line: u32) -> Function {
    let mut f = Function::new(id, Loc::new(0, line, 3));
    f.role = Field::known(role, Loc::new(0, line + 1, 7));
    f
}

fn deployment(roles: Vec<Role>, functions: Vec<Function>) -> Deployment {
    let mut dep = Deployment::new(SourceFormat::CloudFormation, vec!["template.yaml".into()]);
    dep.roles = roles;
    dep.functions = functions;
    dep
}

/// One function `Fn` using role `R` with these policies.
fn single(policies: &[&str]) -> Deployment {
    deployment(
        vec![role("R", policies)],
        vec![function("Fn", Ref::Local("R".into()), 10)],
    )
}

fn iam_findings(dep: &Deployment) -> Vec<Finding> {
    let opts = AuditOptions {
        scan_date: Date::new(2026, 11, 28).expect("date"),
        lang: None,
    };
    audit(dep, &opts)
        .into_iter()
        .filter(|f| f.rule_id.starts_with("FG-IAM-"))
        .collect()
}

fn of<'a>(findings: &'a [Finding], rule: &str) -> Vec<&'a Finding> {
    findings.iter().filter(|f| f.rule_id == rule).collect()
}

// ---------------------------------------------------------------- FG-IAM-001

#[test]
fn admin_star_on_star_is_critical_and_points_at_the_action() {
    let findings = iam_findings(&single(&[r#"
Statement:
  - Sid: Everything
    Effect: Allow
    Action: "*"
    Resource: "*"
"#]));
    let admin = of(&findings, "FG-IAM-001");
    assert_eq!(admin.len(), 1, "{findings:#?}");
    assert_eq!(admin[0].severity, Severity::Critical);
    assert_eq!(admin[0].resource, "R");
    assert_eq!(admin[0].location.line, 5, "points at the `*` action");
    assert!(admin[0].message.en.contains("`Fn`") && admin[0].message.en.contains("`R`"));
    assert!(admin[0].message.zh.contains("执行角色 `R`") && admin[0].message.zh.contains("`Fn`"));
    let related: Vec<u32> = admin[0].related.iter().map(|r| r.location.line).collect();
    assert_eq!(related, [11], "the function's Role line");
    // `*` on `*` is reported as admin, not again as a service wildcard,
    // write-on-`*` or PassRole finding.
    assert!(of(&findings, "FG-IAM-002").is_empty(), "{findings:#?}");
    assert!(of(&findings, "FG-IAM-003").is_empty(), "{findings:#?}");
    assert!(of(&findings, "FG-IAM-006").is_empty(), "{findings:#?}");
}

#[test]
fn admin_through_not_action_on_star() {
    let findings = iam_findings(&single(&[r#"
Statement:
  - Effect: Allow
    NotAction: ["iam:*", "organizations:*"]
    Resource: "*"
"#]));
    let admin = of(&findings, "FG-IAM-001");
    assert_eq!(admin.len(), 1, "{findings:#?}");
    assert!(admin[0].message.en.contains("NotAction"));
}

#[test]
fn trap_allow_star_cut_down_by_deny_not_action_is_not_admin() {
    let findings = iam_findings(&single(&[r#"
Statement:
  - Effect: Allow
    Action: "*"
    Resource: "*"
  - Effect: Deny
    NotAction: ["s3:GetObject", "s3:PutObject", "dynamodb:GetItem"]
    Resource: "*"
"#]));
    assert!(of(&findings, "FG-IAM-001").is_empty(), "{findings:#?}");
    assert!(of(&findings, "FG-IAM-002").is_empty(), "{findings:#?}");
    // What is left is still a write on every bucket.
    let write = of(&findings, "FG-IAM-003");
    assert_eq!(write.len(), 1, "{findings:#?}");
    assert_eq!(write[0].severity, Severity::Medium);
    assert!(write[0].message.en.contains("s3:PutObject"));
    assert!(!write[0].message.en.contains("iam:"));
}

#[test]
fn trap_allow_star_with_condition_is_conditional_one_level_lower() {
    let findings = iam_findings(&single(&[r#"
Statement:
  - Effect: Allow
    Action: "*"
    Resource: "*"
    Condition:
      StringEquals:
        aws:SourceVpc: vpc-0123
"#]));
    let admin = of(&findings, "FG-IAM-001");
    assert_eq!(admin.len(), 1);
    assert_eq!(admin[0].severity, Severity::High);
    assert!(admin[0].message.en.contains("conditions"));
    assert!(admin[0].message.zh.contains("条件"));
}

#[test]
fn deny_without_tls_never_applies_to_lambda() {
    // Lambda calls AWS over TLS, so this Deny cannot take the grant back.
    let findings = iam_findings(&single(&[r#"
Statement:
  - Effect: Allow
    Action: "*"
    Resource: "*"
  - Effect: Deny
    Action: "*"
    Resource: "*"
    Condition: {Bool: {aws:SecureTransport: "false"}}
"#]));
    let admin = of(&findings, "FG-IAM-001");
    assert_eq!(admin.len(), 1);
    assert_eq!(admin[0].severity, Severity::Critical);
}

#[test]
fn deny_with_unknown_condition_makes_admin_conditional() {
    let findings = iam_findings(&single(&[r#"
Statement:
  - Effect: Allow
    Action: "*"
    Resource: "*"
  - Effect: Deny
    Action: "*"
    Resource: "*"
    Condition: {StringNotEquals: {aws:RequestedRegion: eu-west-1}}
"#]));
    let admin = of(&findings, "FG-IAM-001");
    assert_eq!(admin.len(), 1);
    assert_eq!(admin[0].severity, Severity::High);
}

#[test]
fn deny_everything_in_another_policy_wins() {
    let findings = iam_findings(&single(&[
        "Statement: [{Effect: Allow, Action: '*', Resource: '*'}]",
        "Statement: [{Effect: Deny, Action: '*', Resource: '*'}]",
    ]));
    assert!(findings.is_empty(), "{findings:#?}");
}

#[test]
fn trap_not_action_on_a_narrow_resource_is_not_admin() {
    let findings = iam_findings(&single(&[r#"
Statement:
  - Effect: Allow
    NotAction: "iam:*"
    Resource: "arn:aws:s3:::orders-bucket/*"
"#]));
    assert!(of(&findings, "FG-IAM-001").is_empty(), "{findings:#?}");
    assert!(of(&findings, "FG-IAM-003").is_empty(), "{findings:#?}");
    // It is still every S3 action on that bucket.
    let wildcard = of(&findings, "FG-IAM-002");
    assert_eq!(wildcard.len(), 1, "{findings:#?}");
    assert!(wildcard[0].message.en.contains("orders-bucket"));
}

// ---------------------------------------------------------------- FG-IAM-002

#[test]
fn service_wildcard_on_a_bucket() {
    let findings = iam_findings(&single(&[r#"
Statement:
  - Effect: Allow
    Action: ["s3:GetObject", "s3:*"]
    Resource: "arn:aws:s3:::orders-bucket/*"
"#]));
    let wildcard = of(&findings, "FG-IAM-002");
    assert_eq!(wildcard.len(), 1, "{findings:#?}");
    assert_eq!(wildcard[0].severity, Severity::High);
    assert_eq!(wildcard[0].location.line, 4);
    assert!(wildcard[0].message.en.contains("`s3:*`"));
}

#[test]
fn star_on_a_specific_resource() {
    let findings = iam_findings(&single(&[r#"
Statement:
  - Effect: Allow
    Action: "*"
    Resource: "arn:aws:dynamodb:eu-west-1:123456789012:table/Orders"
"#]));
    assert!(of(&findings, "FG-IAM-001").is_empty());
    assert_eq!(of(&findings, "FG-IAM-002").len(), 1, "{findings:#?}");
}

#[test]
fn narrow_actions_are_not_service_wildcards() {
    let findings = iam_findings(&single(&[r#"
Statement:
  - Effect: Allow
    Action: ["s3:Get*", "s3:List*", "dynamodb:GetItem"]
    Resource: "arn:aws:s3:::orders-bucket/*"
"#]));
    assert!(findings.is_empty(), "{findings:#?}");
}

#[test]
fn trap_service_wildcard_cut_down_by_deny_not_action() {
    let findings = iam_findings(&single(&[r#"
Statement:
  - Effect: Allow
    Action: "dynamodb:*"
    Resource: "arn:aws:dynamodb:*:*:table/Orders"
  - Effect: Deny
    NotAction: ["dynamodb:GetItem", "dynamodb:Query"]
    Resource: "*"
"#]));
    assert!(findings.is_empty(), "{findings:#?}");
}

#[test]
fn trap_service_wildcard_with_restrictive_condition_is_lowered() {
    let findings = iam_findings(&single(&[r#"
Statement:
  - Effect: Allow
    Action: "s3:*"
    Resource: "arn:aws:s3:::orders-bucket/*"
    Condition:
      StringEquals:
        s3:ExistingObjectTag/owner: orders
"#]));
    let wildcard = of(&findings, "FG-IAM-002");
    assert_eq!(wildcard.len(), 1);
    assert_eq!(wildcard[0].severity, Severity::Medium);
    assert!(wildcard[0].message.en.contains("conditions"));
}

#[test]
fn secure_transport_condition_does_not_lower_severity() {
    let findings = iam_findings(&single(&[r#"
Statement:
  - Effect: Allow
    Action: "sqs:*"
    Resource: "arn:aws:sqs:*:*:orders"
    Condition: {Bool: {aws:SecureTransport: "true"}}
"#]));
    let wildcard = of(&findings, "FG-IAM-002");
    assert_eq!(wildcard.len(), 1);
    assert_eq!(wildcard[0].severity, Severity::High);
}

/// `dynamodb:*` on `aws_dynamodb_table.orders.arn` (computed, unknown): the
/// grant is service-wide whatever the ARN turns out to be.
fn unresolved_resource(policies: &[&str]) -> Deployment {
    let mut r = role("R", policies);
    if let fnguard_iam::ResourceSet::Resource(resources) =
        &mut r.policies[0].policy.statements[0].resources
    {
        resources[0] = fnguard_iam::Val::unknown(Loc::new(0, 5, 15));
    }
    deployment(vec![r], vec![function("Fn", Ref::Local("R".into()), 10)])
}

#[test]
fn service_wildcard_on_an_unresolved_resource() {
    let findings = iam_findings(&unresolved_resource(&[
        "Statement: [{Effect: Allow, Action: 'dynamodb:*', Resource: 'x'}]",
    ]));
    let wildcard = of(&findings, "FG-IAM-002");
    assert_eq!(wildcard.len(), 1, "{findings:#?}");
    assert_eq!(wildcard[0].severity, Severity::High);
    assert!(wildcard[0].message.en.contains("not resolved"));
    let denied = iam_findings(&unresolved_resource(&[
        "Statement: [{Effect: Allow, Action: 'dynamodb:*', Resource: 'x'}, {Effect: Deny, NotAction: 'dynamodb:GetItem', Resource: '*'}]",
    ]));
    assert!(denied.is_empty(), "{denied:#?}");
    let narrow = iam_findings(&unresolved_resource(&[
        "Statement: [{Effect: Allow, Action: ['dynamodb:GetItem', 'dynamodb:PutItem'], Resource: 'x'}]",
    ]));
    assert!(narrow.is_empty(), "{narrow:#?}");
}

// ---------------------------------------------------------------- FG-IAM-003

#[test]
fn write_actions_on_star_are_medium() {
    let findings = iam_findings(&single(&[r#"
Statement:
  - Effect: Allow
    Action: ["dynamodb:PutItem", "dynamodb:GetItem", "sqs:SendMessage"]
    Resource: "*"
"#]));
    let write = of(&findings, "FG-IAM-003");
    assert_eq!(
        write.len(),
        1,
        "one finding per statement, naming every offending action: {findings:#?}"
    );
    assert_eq!(write[0].severity, Severity::Medium);
    assert_eq!(write[0].location.line, 4, "the first offending action");
    assert!(write[0].message.en.contains("2 write action(s)"));
    assert!(write[0]
        .message
        .en
        .contains("`dynamodb:PutItem`, `sqs:SendMessage`"));
    assert!(!write[0].message.en.contains("GetItem"));
    assert!(
        !write[0].message.en.contains("through"),
        "plain names are not repeated"
    );
    // Two statements are two grants: two findings, two fingerprints.
    let findings = iam_findings(&single(&[r#"
Statement:
  - Effect: Allow
    Action: ["dynamodb:PutItem"]
    Resource: "*"
  - Effect: Allow
    Action: ["sqs:Send*"]
    Resource: "*"
"#]));
    let write = of(&findings, "FG-IAM-003");
    assert_eq!(write.len(), 2, "{findings:#?}");
    assert_ne!(write[0].fingerprint, write[1].fingerprint);
    assert!(write[1].message.en.contains("through `sqs:Send*`"));
}

#[test]
fn permissions_management_on_star_is_high() {
    let findings = iam_findings(&single(&[r#"
Statement:
  - Effect: Allow
    Action: "iam:Attach*"
    Resource: "*"
"#]));
    let write = of(&findings, "FG-IAM-003");
    assert_eq!(write.len(), 1, "{findings:#?}");
    assert_eq!(write[0].severity, Severity::High);
    assert!(write[0].message.en.contains("iam:AttachRolePolicy"));
}

#[test]
fn star_only_actions_reads_and_lambda_essentials_are_fine() {
    let findings = iam_findings(&single(&[r#"
Statement:
  - Effect: Allow
    Action:
      - xray:PutTraceSegments
      - xray:PutTelemetryRecords
      - cloudwatch:PutMetricData
      - logs:CreateLogGroup
      - logs:CreateLogStream
      - logs:PutLogEvents
      - ec2:CreateNetworkInterface
      - ec2:DescribeNetworkInterfaces
      - ec2:DeleteNetworkInterface
      - ec2:DetachNetworkInterface
      - s3:GetObject
      - dynamodb:Query
    Resource: "*"
"#]));
    assert!(findings.is_empty(), "{findings:#?}");
}

#[test]
fn write_on_specific_resources_is_fine() {
    let findings = iam_findings(&single(&[r#"
Statement:
  - Effect: Allow
    Action: ["dynamodb:PutItem", "dynamodb:DeleteItem"]
    Resource: "arn:aws:dynamodb:${AWS::Region}:${AWS::AccountId}:table/Orders"
"#]));
    assert!(findings.is_empty(), "{findings:#?}");
}

#[test]
fn write_on_star_denied_elsewhere_is_fine() {
    let findings = iam_findings(&single(&[
        "Statement: [{Effect: Allow, Action: 'dynamodb:PutItem', Resource: '*'}]",
        "Statement: [{Effect: Deny, Action: 'dynamodb:*', NotResource: 'arn:aws:dynamodb:*:*:table/Orders'}]",
    ]));
    assert!(findings.is_empty(), "{findings:#?}");
}

#[test]
fn unknown_action_values_are_not_reported() {
    let mut role = role(
        "R",
        &["Statement: [{Effect: Allow, Action: x, Resource: '*'}]"],
    );
    if let fnguard_iam::ActionSet::Action(actions) =
        &mut role.policies[0].policy.statements[0].actions
    {
        actions[0] = fnguard_iam::Val::unknown(Loc::new(0, 1, 1));
    }
    let dep = deployment(vec![role], vec![function("Fn", Ref::Local("R".into()), 10)]);
    assert!(iam_findings(&dep).is_empty());
}

// ---------------------------------------------------------------- FG-IAM-004

#[test]
fn privileged_managed_policies() {
    let mut r = role("R", &[]);
    r.managed_policy_arns = vec![
        Field::known(
            "arn:aws:iam::aws:policy/AdministratorAccess".to_string(),
            Loc::new(0, 20, 9),
        ),
        Field::known("AmazonS3FullAccess".to_string(), Loc::new(0, 21, 9)),
        Field::known(
            "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole".to_string(),
            Loc::new(0, 22, 9),
        ),
        Field::known(
            "arn:aws:iam::123456789012:policy/TeamFullAccess".to_string(),
            Loc::new(0, 23, 9),
        ),
        Field::Unknown(Loc::new(0, 24, 9)),
    ];
    let dep = deployment(vec![r], vec![function("Fn", Ref::Local("R".into()), 10)]);
    let findings = iam_findings(&dep);
    let managed = of(&findings, "FG-IAM-004");
    assert_eq!(managed.len(), 2, "{findings:#?}");
    assert_eq!(managed[0].severity, Severity::Critical);
    assert_eq!(managed[0].location.line, 20);
    assert!(managed[0].message.en.contains("AdministratorAccess"));
    assert_eq!(managed[1].severity, Severity::High);
    assert!(managed[1].message.en.contains("AmazonS3FullAccess"));
}

#[test]
fn admin_managed_policy_mostly_denied_is_lowered() {
    let mut r = role(
        "R",
        &["Statement: [{Effect: Deny, NotAction: 's3:GetObject', Resource: '*'}]"],
    );
    r.managed_policy_arns = vec![Field::known(
        "AdministratorAccess".to_string(),
        Loc::new(0, 20, 9),
    )];
    let dep = deployment(vec![r], vec![function("Fn", Ref::Local("R".into()), 10)]);
    let findings = iam_findings(&dep);
    let managed = of(&findings, "FG-IAM-004");
    assert_eq!(managed.len(), 1);
    assert_eq!(managed[0].severity, Severity::High);
    assert!(managed[0].message.en.contains("Deny"));
}

// ---------------------------------------------------------------- FG-IAM-005

fn with_trust(trust: &str) -> Deployment {
    let mut r = role("R", &[]);
    r.trust = Some(policy(trust));
    deployment(vec![r], vec![function("Fn", Ref::Local("R".into()), 10)])
}

#[test]
fn trust_other_principals() {
    let findings = iam_findings(&with_trust(
        r#"
Statement:
  - Effect: Allow
    Principal:
      Service: [lambda.amazonaws.com, ec2.amazonaws.com]
    Action: sts:AssumeRole
  - Effect: Allow
    Principal: {AWS: "arn:aws:iam::999999999999:root"}
    Action: "sts:*"
    Condition: {StringEquals: {sts:ExternalId: partner-1}}
  - Effect: Allow
    Principal: "*"
    Action: sts:AssumeRole
"#,
    ));
    let trust = of(&findings, "FG-IAM-005");
    assert_eq!(trust.len(), 3, "{findings:#?}");
    assert_eq!(trust[0].resource, "R");
    assert_eq!(trust[0].severity, Severity::High);
    assert_eq!(trust[0].location.line, 5, "points at ec2.amazonaws.com");
    assert!(trust[0].message.en.contains("ec2.amazonaws.com"));
    assert_eq!(trust[1].severity, Severity::Medium, "ExternalId condition");
    assert!(trust[1].message.en.contains("999999999999"));
    assert_eq!(trust[2].severity, Severity::Critical);
    assert!(trust[2].message.en.contains("anyone"));
    assert!(trust[2].message.zh.contains("任何人"));
}

#[test]
fn trap_lambda_and_edge_lambda_trust_is_fine() {
    let findings = iam_findings(&with_trust(
        r#"
Statement:
  - Effect: Allow
    Principal:
      Service: [lambda.amazonaws.com, edgelambda.amazonaws.com]
    Action: sts:AssumeRole
    Condition: {StringEquals: {aws:SourceAccount: "${AWS::AccountId}"}}
  - Effect: Allow
    Principal: {Service: ec2.amazonaws.com}
    Action: s3:GetObject
"#,
    ));
    assert!(findings.is_empty(), "{findings:#?}");
}

#[test]
fn trust_of_roles_no_function_uses_is_not_judged() {
    let mut api_role = role("ApiGatewayLogsRole", &[]);
    api_role.trust = Some(policy(
        "Statement: [{Effect: Allow, Principal: {Service: apigateway.amazonaws.com}, Action: 'sts:AssumeRole'}]",
    ));
    let dep = deployment(
        vec![api_role, role("R", &[])],
        vec![function("Fn", Ref::Local("R".into()), 10)],
    );
    assert!(iam_findings(&dep).is_empty());
}

// ---------------------------------------------------------------- FG-IAM-006

#[test]
fn pass_role_on_star() {
    let findings = iam_findings(&single(&[r#"
Statement:
  - Effect: Allow
    Action: ["iam:PassRole", "lambda:CreateFunction"]
    Resource: "*"
"#]));
    let pass = of(&findings, "FG-IAM-006");
    assert_eq!(pass.len(), 1, "{findings:#?}");
    assert_eq!(pass[0].severity, Severity::High);
    assert_eq!(pass[0].location.line, 4);
    let write = of(&findings, "FG-IAM-003");
    assert_eq!(write.len(), 1, "lambda:CreateFunction: {findings:#?}");
    assert!(!write[0].message.en.contains("PassRole"));
}

#[test]
fn trap_pass_role_limited_by_passed_to_service_is_medium() {
    let findings = iam_findings(&single(&[r#"
Statement:
  - Effect: Allow
    Action: iam:PassRole
    Resource: "*"
    Condition:
      StringEquals:
        iam:PassedToService: lambda.amazonaws.com
"#]));
    let pass = of(&findings, "FG-IAM-006");
    assert_eq!(pass.len(), 1, "{findings:#?}");
    assert_eq!(pass[0].severity, Severity::Medium);
    assert!(pass[0].message.en.contains("lambda.amazonaws.com"));
    // PassRole is FG-IAM-006's alone, never also a write-on-`*` finding.
    assert!(of(&findings, "FG-IAM-003").is_empty(), "{findings:#?}");
}

#[test]
fn pass_role_on_specific_roles_is_fine() {
    let findings = iam_findings(&single(&[r#"
Statement:
  - Effect: Allow
    Action: iam:PassRole
    Resource: "arn:aws:iam::${AWS::AccountId}:role/orders-worker"
"#]));
    assert!(findings.is_empty(), "{findings:#?}");
}

// ---------------------------------------------------------------- FG-IAM-007

#[test]
fn shared_role_is_one_finding_with_each_function_related() {
    let dep = deployment(
        vec![role("Shared", &[]), role("Own", &[])],
        vec![
            function("A", Ref::Local("Shared".into()), 10),
            function("B", Ref::Local("Shared".into()), 20),
            function("C", Ref::Local("Own".into()), 30),
        ],
    );
    let findings = iam_findings(&dep);
    let shared = of(&findings, "FG-IAM-007");
    assert_eq!(shared.len(), 1, "{findings:#?}");
    assert_eq!(shared[0].resource, "Shared");
    assert_eq!(shared[0].severity, Severity::Medium);
    assert_eq!(shared[0].location.line, 100);
    let related: Vec<u32> = shared[0].related.iter().map(|r| r.location.line).collect();
    assert_eq!(related, [11, 21]);
    assert!(shared[0].message.en.contains("`A`") && shared[0].message.en.contains("`B`"));
}

/// Roles the files name but do not declare: what they allow is unknown,
/// so only their sharing (FG-IAM-007) can be reported. Asked for by fx-sls:
/// `provider.iam.role: arn:...` is how Serverless services usually share
/// one role.
#[test]
fn external_and_unknown_roles_are_judged_only_for_sharing() {
    let dep = deployment(
        vec![],
        vec![
            function(
                "A",
                Ref::External("arn:aws:iam::123456789012:role/x".into()),
                10,
            ),
            function(
                "B",
                Ref::External("arn:aws:iam::123456789012:role/x".into()),
                20,
            ),
            function("C", Ref::Unknown, 30),
            function("D", Ref::Local("NotDeclared".into()), 40),
            function("E", Ref::Local("NotDeclared".into()), 50),
            function(
                "F",
                Ref::External("arn:aws:iam::${AWS::AccountId}:role/own".into()),
                60,
            ),
            function(
                "G",
                Ref::External("arn:aws:iam::${AWS::AccountId}:role/own".into()),
                70,
            ),
            // Left open by the files: never grouped.
            function("H", Ref::External("${ssm:/roles/lambda}".into()), 80),
            function("I", Ref::External("${ssm:/roles/lambda}".into()), 90),
            function(
                "J",
                Ref::External("arn:aws:iam::${AccountParam}:role/x".into()),
                100,
            ),
            function(
                "K",
                Ref::External("arn:aws:iam::${AccountParam}:role/x".into()),
                110,
            ),
            // Used once: nothing shared.
            function(
                "L",
                Ref::External("arn:aws:iam::123456789012:role/alone".into()),
                120,
            ),
        ],
    );
    let findings = iam_findings(&dep);
    let rules: Vec<&str> = findings.iter().map(|f| f.rule_id).collect();
    assert_eq!(rules, ["FG-IAM-007"; 3], "{findings:#?}");
    let resources: Vec<&str> = findings.iter().map(|f| f.resource.as_str()).collect();
    assert_eq!(
        resources,
        [
            "arn:aws:iam::123456789012:role/x",
            "NotDeclared",
            "arn:aws:iam::${AWS::AccountId}:role/own"
        ]
    );
    assert_eq!(findings[0].location.line, 11, "the first function's Role");
    let related: Vec<u32> = findings[0]
        .related
        .iter()
        .map(|r| r.location.line)
        .collect();
    assert_eq!(related, [11, 21]);
    assert!(findings[0]
        .message
        .en
        .contains("not declared in the scanned files"));
    assert!(findings[0].message.en.contains("`A`, `B`"));
}

// ------------------------------------------------------------ cross-cutting

#[test]
fn findings_of_a_shared_role_are_reported_once_with_every_function_related() {
    let admin = "Statement: [{Effect: Allow, Action: '*', Resource: '*'}]";
    let dep = deployment(
        vec![role("Shared", &[admin])],
        vec![
            function("A", Ref::Local("Shared".into()), 10),
            function("B", Ref::Local("Shared".into()), 20),
        ],
    );
    let findings = iam_findings(&dep);
    let admin: Vec<&Finding> = of(&findings, "FG-IAM-001");
    assert_eq!(admin.len(), 1, "one problem, one finding: {findings:#?}");
    assert_eq!(admin[0].resource, "Shared");
    assert!(admin[0].message.en.contains("used by `A`, `B`"));
    assert!(admin[0].message.zh.contains("`A`, `B`"));
    let related: Vec<u32> = admin[0].related.iter().map(|r| r.location.line).collect();
    assert_eq!(related, [11, 21]);
    // Adding a third function changes neither the count nor the
    // fingerprint (baselines stay valid).
    let mut more = dep.clone();
    more.functions
        .push(function("C", Ref::Local("Shared".into()), 30));
    let again = iam_findings(&more);
    let admin_again = of(&again, "FG-IAM-001");
    assert_eq!(admin_again.len(), 1);
    assert_eq!(admin[0].fingerprint, admin_again[0].fingerprint);
    // Distinct problems of one role have distinct fingerprints.
    let two = deployment(
        vec![role(
            "R",
            &["Statement: [{Sid: A, Effect: Allow, Action: 's3:*', Resource: 'arn:aws:s3:::a/*'}, {Sid: B, Effect: Allow, Action: 'sqs:*', Resource: 'arn:aws:sqs:us-east-1:111122223333:q'}]"],
        )],
        vec![function("Fn", Ref::Local("R".into()), 10)],
    );
    let found = iam_findings(&two);
    let wildcards = of(&found, "FG-IAM-002");
    assert_eq!(wildcards.len(), 2, "{found:#?}");
    assert_ne!(wildcards[0].fingerprint, wildcards[1].fingerprint);
}

#[test]
fn a_function_ignore_suppresses_role_findings_only_when_every_user_has_it() {
    let admin = "Statement: [{Effect: Allow, Action: '*', Resource: '*'}]";
    let ignoring = |id: &str, line: u32| {
        let mut f = function(id, Ref::Local("R".into()), line);
        f.ignores.push(Ignore {
            rule_id: "FG-IAM-001".into(),
            reason: Some("break-glass function".into()),
            loc: Loc::new(0, line + 2, 5),
        });
        f
    };
    let alone = deployment(vec![role("R", &[admin])], vec![ignoring("Fn", 10)]);
    let findings = iam_findings(&alone);
    assert!(of(&findings, "FG-IAM-001")[0].is_suppressed());

    let mixed = deployment(
        vec![role("R", &[admin])],
        vec![
            ignoring("Fn", 10),
            function("Other", Ref::Local("R".into()), 20),
        ],
    );
    let findings = iam_findings(&mixed);
    let admin = of(&findings, "FG-IAM-001");
    assert!(!admin[0].is_suppressed(), "Other is still exposed");
}

#[test]
fn role_metadata_ignore_suppresses_its_findings() {
    let mut r = role(
        "R",
        &["Statement: [{Effect: Allow, Action: 'dynamodb:PutItem', Resource: '*'}]"],
    );
    r.ignores.push(Ignore {
        rule_id: "FG-IAM-003".into(),
        reason: Some("legacy table naming".into()),
        loc: Loc::new(0, 101, 5),
    });
    let dep = deployment(vec![r], vec![function("Fn", Ref::Local("R".into()), 10)]);
    let findings = iam_findings(&dep);
    assert_eq!(findings.len(), 1);
    assert!(findings[0].is_suppressed());
}

#[test]
fn permissions_boundary_lowers_severity() {
    let mut r = role(
        "R",
        &["Statement: [{Effect: Allow, Action: '*', Resource: '*'}]"],
    );
    r.permissions_boundary = Field::known(
        "arn:aws:iam::123456789012:policy/boundary".to_string(),
        Loc::new(0, 102, 5),
    );
    let dep = deployment(vec![r], vec![function("Fn", Ref::Local("R".into()), 10)]);
    let findings = iam_findings(&dep);
    let admin = of(&findings, "FG-IAM-001");
    assert_eq!(admin[0].severity, Severity::High);
    assert!(admin[0].message.en.contains("permissions boundary"));
}

#[test]
fn rule_metadata_is_complete() {
    let ids: Vec<&str> = fnguard_audit::iam::RULES.iter().map(|r| r.id).collect();
    assert_eq!(
        ids,
        [
            "FG-IAM-001",
            "FG-IAM-002",
            "FG-IAM-003",
            "FG-IAM-004",
            "FG-IAM-005",
            "FG-IAM-006",
            "FG-IAM-007"
        ]
    );
    for rule in fnguard_audit::iam::RULES {
        assert!(rule.lint().is_empty(), "{:?}", rule.lint());
        assert!(rule
            .references
            .iter()
            .all(|r| r.starts_with("https://docs.aws.amazon.com/")));
    }
}

#[test]
fn huge_hostile_policy_finishes_quickly() {
    let mut text = String::from("Statement:\n");
    for i in 0..5_000 {
        text.push_str(&format!(
            "  - {{Sid: S{i}, Effect: Allow, Action: ['dynamodb:Put*', 's3:*', '*'], Resource: ['*', 'arn:aws:s3:::b{i}']}}\n  - {{Effect: Deny, NotAction: 'x{i}:*', Resource: '*'}}\n"
        ));
    }
    let mut r = role("R", &[text.as_str()]);
    r.trust = Some(policy(&text.replace("Resource", "Principal")));
    let dep = deployment(vec![r], vec![function("Fn", Ref::Local("R".into()), 10)]);
    let started = std::time::Instant::now();
    let _ = iam_findings(&dep);
    assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
}

/// Found with fx-tf's FG-IAM-006 negative fixture: `iam:PassRole` on a role
/// ARN the files do not determine (`aws_iam_role.job.arn`, `!ImportValue`)
/// is not "PassRole on `*`": the finding would depend on an unknown value.
#[test]
fn pass_role_on_an_unresolved_role_arn_is_not_reported() {
    let findings = iam_findings(&unresolved_resource(&[r#"
Statement:
  - Effect: Allow
    Action: iam:PassRole
    Resource: arn:aws:iam::111122223333:role/placeholder
    Condition:
      StringEquals: {iam:PassedToService: glue.amazonaws.com}
"#]));
    assert!(of(&findings, "FG-IAM-006").is_empty(), "{findings:#?}");
    // The same grant on a known `*` is reported, one level lower for the
    // condition.
    let findings = iam_findings(&single(&[r#"
Statement:
  - Effect: Allow
    Action: iam:PassRole
    Resource: "*"
    Condition:
      StringEquals: {iam:PassedToService: glue.amazonaws.com}
"#]));
    let pass = of(&findings, "FG-IAM-006");
    assert_eq!(pass.len(), 1, "{findings:#?}");
    assert_eq!(pass[0].severity, Severity::Medium);
    // An unconditional grant next to an unresolved one stays high.
    let findings = iam_findings(&unresolved_resource(&[r#"
Statement:
  - Effect: Allow
    Action: iam:PassRole
    Resource: arn:aws:iam::111122223333:role/placeholder
  - Effect: Allow
    Action: iam:PassRole
    Resource: "*"
"#]));
    let pass = of(&findings, "FG-IAM-006");
    assert_eq!(pass.len(), 1, "{findings:#?}");
    assert_eq!(pass[0].severity, Severity::High);
}

/// Unnamed (or same-named) policies and repeated Sids must not make two
/// different statements share a fingerprint.
#[test]
fn same_named_policies_and_repeated_sids_keep_fingerprints_distinct() {
    let mut r = role(
        "R",
        &[
            "Statement: [{Sid: S, Effect: Allow, Action: 'sqs:*', Resource: 'arn:aws:sqs:us-east-1:111122223333:a'}, {Sid: S, Effect: Allow, Action: 'sns:*', Resource: 'arn:aws:sns:us-east-1:111122223333:t'}]",
            "Statement: [{Effect: Allow, Action: 'sqs:*', Resource: 'arn:aws:sqs:us-east-1:111122223333:b'}]",
            "Statement: [{Effect: Allow, Action: 'sqs:*', Resource: 'arn:aws:sqs:us-east-1:111122223333:c'}]",
        ],
    );
    for p in &mut r.policies {
        p.name = String::new();
    }
    let dep = deployment(vec![r], vec![function("Fn", Ref::Local("R".into()), 10)]);
    let findings = iam_findings(&dep);
    let wildcards = of(&findings, "FG-IAM-002");
    assert_eq!(wildcards.len(), 4, "{findings:#?}");
    let distinct: std::collections::HashSet<fnguard_core::finding::Fingerprint> =
        wildcards.iter().map(|f| f.fingerprint).collect();
    assert_eq!(distinct.len(), 4);
}
