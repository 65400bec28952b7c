//! Principals other than function roles, and the names policies use for
//! roles: IAM users and groups (`Deployment::identities`) and `Role::name`,
//! in every loader.

use fnguard_core::Field;
use fnguard_model::terraform::{load_module, load_plan};
use fnguard_model::*;

fn cfn(text: &str) -> Deployment {
    cfn::load("t.yaml", text).expect("template loads")
}

fn sls(text: &str) -> Deployment {
    serverless::load("serverless.yml", text).expect("service loads")
}

fn tf(text: &str) -> Deployment {
    let (dep, errors) = load_module(&[("main.tf".to_string(), text.to_string())]);
    assert!(errors.is_empty(), "{errors:?}");
    dep.expect("module loads")
}

fn role_name<'d>(dep: &'d Deployment, id: &str) -> &'d Field<String> {
    &dep.role(id)
        .unwrap_or_else(|| panic!("role {id} missing"))
        .name
}

#[test]
fn cloudformation_role_names() {
    let dep = cfn(concat!(
        "Parameters:\n  Stage: {Type: String}\n",
        "Resources:\n",
        "  Named:\n    Type: AWS::IAM::Role\n    Properties:\n      RoleName: orders-fn-role\n",
        "  Regional:\n    Type: AWS::IAM::Role\n    Properties:\n      RoleName: !Sub 'orders-${AWS::Region}'\n",
        "  Open:\n    Type: AWS::IAM::Role\n    Properties:\n      RoleName: !Sub 'orders-${Stage}'\n",
        "  Generated:\n    Type: AWS::IAM::Role\n    Properties: {}\n",
        "  Pathed:\n    Type: AWS::IAM::Role\n    Properties:\n      RoleName: worker\n      Path: /orders/\n",
    ));
    assert_eq!(role_name(&dep, "Named").as_deref(), Some("orders-fn-role"));
    assert_eq!(role_name(&dep, "Named").loc().map(|l| l.line), Some(7));
    assert_eq!(
        role_name(&dep, "Regional").as_deref(),
        Some("orders-${AWS::Region}")
    );
    assert!(role_name(&dep, "Open").is_unknown());
    assert!(role_name(&dep, "Generated").is_absent());
    assert!(dep.role("Named").expect("role").path.is_absent());
    assert_eq!(
        dep.role("Pathed").expect("role").path.as_deref(),
        Some("/orders/")
    );
}

#[test]
fn sam_implicit_roles_have_no_name() {
    let dep = cfn(concat!(
        "Transform: AWS::Serverless-2016-10-31\n",
        "Resources:\n",
        "  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n",
        "      Runtime: python3.12\n      Handler: app.handler\n      CodeUri: src/\n",
        "      Policies: [AWSLambdaBasicExecutionRole]\n",
    ));
    let role = dep
        .roles
        .iter()
        .find(|r| r.implicit)
        .expect("implicit role");
    assert!(role.name.is_absent());
}

#[test]
fn serverless_role_names() {
    // The framework's own name: service, stage, region.
    let dep = sls(concat!(
        "service: orders\n",
        "provider:\n  name: aws\n  runtime: nodejs20.x\n  stage: prod\n  region: eu-west-1\n",
        "functions:\n  hello:\n    handler: h.handler\n",
    ));
    let role = dep.roles.iter().find(|r| r.implicit).expect("default role");
    assert_eq!(
        role.name.as_deref(),
        Some("orders-prod-eu-west-1-lambdaRole")
    );
    // No region in the files: the deploy's, as CloudFormation's
    // `Ref: AWS::Region` gives it.
    let dep = sls(concat!(
        "service: orders\n",
        "provider:\n  name: aws\n  runtime: nodejs20.x\n",
        "functions:\n  hello:\n    handler: h.handler\n",
    ));
    let role = dep.roles.iter().find(|r| r.implicit).expect("default role");
    assert_eq!(
        role.name.as_deref(),
        Some("orders-dev-${AWS::Region}-lambdaRole")
    );
    // `provider.iam.role.name` wins.
    let dep = sls(concat!(
        "service: orders\n",
        "provider:\n  name: aws\n  runtime: nodejs20.x\n",
        "  iam:\n    role:\n      name: orders-custom-role\n",
        "      statements:\n        - Effect: Allow\n          Action: s3:GetObject\n          Resource: '*'\n",
        "functions:\n  hello:\n    handler: h.handler\n",
    ));
    let role = dep.roles.iter().find(|r| r.implicit).expect("default role");
    assert_eq!(role.name.as_deref(), Some("orders-custom-role"));
}

#[test]
fn terraform_role_names() {
    let dep = tf(concat!(
        "variable \"env\" {}\n",
        "resource \"aws_iam_role\" \"named\" {\n  name = \"orders-fn-role\"\n  assume_role_policy = \"{}\"\n}\n",
        "resource \"aws_iam_role\" \"prefixed\" {\n  name_prefix = \"orders-\"\n  assume_role_policy = \"{}\"\n}\n",
        "resource \"aws_iam_role\" \"open\" {\n  name = \"orders-${var.env}\"\n  assume_role_policy = \"{}\"\n}\n",
        "resource \"aws_iam_role\" \"generated\" {\n  assume_role_policy = \"{}\"\n  path = \"/orders/\"\n}\n",
    ));
    assert_eq!(
        role_name(&dep, "aws_iam_role.named").as_deref(),
        Some("orders-fn-role")
    );
    assert_eq!(
        role_name(&dep, "aws_iam_role.named").loc().map(|l| l.line),
        Some(3)
    );
    assert_eq!(
        role_name(&dep, "aws_iam_role.prefixed").as_deref(),
        Some("orders-*")
    );
    assert!(role_name(&dep, "aws_iam_role.open").is_unknown());
    assert!(role_name(&dep, "aws_iam_role.generated").is_absent());
    assert_eq!(
        dep.role("aws_iam_role.generated")
            .expect("role")
            .path
            .as_deref(),
        Some("/orders/")
    );
    assert!(dep
        .role("aws_iam_role.named")
        .expect("role")
        .path
        .is_absent());
}

#[test]
fn terraform_plan_role_names() {
    // A planned `name_prefix` role: the name is known only after apply.
    let plan = r#"{"format_version": "1.2", "planned_values": {"root_module": {"resources": [
      {"address": "aws_iam_role.named", "mode": "managed", "type": "aws_iam_role", "name": "named",
       "values": {"name": "orders-fn-role", "assume_role_policy": "{}"}},
      {"address": "aws_iam_role.prefixed", "mode": "managed", "type": "aws_iam_role", "name": "prefixed",
       "values": {"name_prefix": "orders-", "assume_role_policy": "{}"}}
    ]}},
    "resource_changes": [
      {"address": "aws_iam_role.prefixed", "mode": "managed", "type": "aws_iam_role", "name": "prefixed",
       "change": {"actions": ["create"], "after": {"name_prefix": "orders-"}, "after_unknown": {"name": true}}}
    ]}"#;
    let dep = load_plan("plan.json", plan).expect("plan loads");
    assert_eq!(
        role_name(&dep, "aws_iam_role.named").as_deref(),
        Some("orders-fn-role")
    );
    assert_eq!(
        role_name(&dep, "aws_iam_role.prefixed").as_deref(),
        Some("orders-*")
    );
}

fn identity<'d>(dep: &'d Deployment, id: &str) -> &'d Identity {
    dep.identity(id)
        .unwrap_or_else(|| panic!("identity {id} missing; have {:?}", ids(dep)))
}

fn ids(dep: &Deployment) -> Vec<&str> {
    dep.identities.iter().map(|i| i.id.as_str()).collect()
}

fn policy_names(i: &Identity) -> Vec<(&str, PolicyOrigin)> {
    i.policies
        .iter()
        .map(|p| (p.name.as_str(), p.origin))
        .collect()
}

fn arns(i: &Identity) -> Vec<Option<&str>> {
    i.managed_policy_arns.iter().map(|a| a.as_deref()).collect()
}

fn actions(i: &Identity, policy: &str) -> Vec<String> {
    let p = i
        .policies
        .iter()
        .find(|p| p.name == policy)
        .unwrap_or_else(|| panic!("policy {policy} missing on {}", i.id));
    p.policy
        .statements
        .iter()
        .flat_map(|s| match &s.actions {
            fnguard_iam::ActionSet::Action(v) => v
                .iter()
                .filter_map(|a| a.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        })
        .collect()
}

const CFN_IDENTITIES: &str = r#"Parameters:
  Team: {Type: String}
Resources:
  Deployers:
    Type: AWS::IAM::Group
    Properties:
      GroupName: deployers
      Path: /ci/
      Policies:
        - PolicyName: deploy
          PolicyDocument:
            Statement:
              - {Effect: Allow, Action: lambda:UpdateFunctionCode, Resource: '*'}
  Auditors:
    Type: AWS::IAM::Group
    Properties:
      ManagedPolicyArns: [arn:aws:iam::aws:policy/SecurityAudit]
  CiUser:
    Type: AWS::IAM::User
    Properties:
      UserName: ci-bot
      Groups: [!Ref Deployers, late-group]
      PermissionsBoundary: arn:aws:iam::aws:policy/PowerUserAccess
      ManagedPolicyArns:
        - arn:aws:iam::aws:policy/ReadOnlyAccess
        - !Ref SharedPolicy
      Policies:
        - PolicyName: keys
          PolicyDocument:
            Statement:
              - {Effect: Allow, Action: 'iam:CreateAccessKey', Resource: 'arn:aws:iam::*:user/${aws:username}'}
  OpsUser:
    Type: AWS::IAM::User
    Properties:
      Groups: [!Sub '${Team}-ops']
  Late:
    Type: AWS::IAM::Group
    Properties:
      GroupName: late-group
  SharedPolicy:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      ManagedPolicyName: shared
      Users: [!Ref OpsUser]
      PolicyDocument:
        Statement:
          - {Effect: Allow, Action: 'iam:CreatePolicyVersion', Resource: '*'}
  InlineForBoth:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: both
      Users: [ci-bot]
      Groups: [!Ref Auditors]
      PolicyDocument:
        Statement:
          - {Effect: Allow, Action: 'iam:PassRole', Resource: '*'}
  OpsPolicy:
    Type: AWS::IAM::UserPolicy
    Properties:
      UserName: !Ref OpsUser
      PolicyName: ops
      PolicyDocument:
        Statement:
          - {Effect: Allow, Action: 's3:GetObject', Resource: '*'}
  AuditorsPolicy:
    Type: AWS::IAM::GroupPolicy
    Properties:
      GroupName: !Ref Auditors
      PolicyName: audit-extra
      PolicyDocument:
        Statement:
          - {Effect: Allow, Action: 'logs:GetLogEvents', Resource: '*'}
  Addition:
    Type: AWS::IAM::UserToGroupAddition
    Properties:
      GroupName: !Ref Auditors
      Users: [!Ref OpsUser, ci-bot]
"#;

#[test]
fn cloudformation_users_and_groups() {
    let dep = cfn(CFN_IDENTITIES);
    assert_eq!(
        ids(&dep),
        vec!["Deployers", "Auditors", "CiUser", "OpsUser", "Late"]
    );

    let group = identity(&dep, "Deployers");
    assert_eq!(group.kind, IdentityKind::Group);
    assert_eq!(group.name.as_deref(), Some("deployers"));
    assert_eq!(group.path.as_deref(), Some("/ci/"));
    assert_eq!(group.loc.line, 4);
    assert_eq!(policy_names(group), vec![("deploy", PolicyOrigin::Inline)]);
    assert_eq!(actions(group, "deploy"), vec!["lambda:UpdateFunctionCode"]);

    let auditors = identity(&dep, "Auditors");
    assert!(auditors.name.is_absent());
    assert_eq!(
        arns(auditors),
        vec![Some("arn:aws:iam::aws:policy/SecurityAudit")]
    );
    assert_eq!(
        policy_names(auditors),
        vec![
            ("both", PolicyOrigin::Inline),
            ("audit-extra", PolicyOrigin::Inline)
        ]
    );

    let ci = identity(&dep, "CiUser");
    assert_eq!(ci.kind, IdentityKind::User);
    assert_eq!(ci.name.as_deref(), Some("ci-bot"));
    assert_eq!(
        ci.permissions_boundary.as_deref(),
        Some("arn:aws:iam::aws:policy/PowerUserAccess")
    );
    // `!Ref Group` gives its name; a group declared later is linked too;
    // the addition adds Auditors.
    assert_eq!(
        ci.groups,
        vec![
            Ref::Local("Deployers".into()),
            Ref::Local("Late".into()),
            Ref::Local("Auditors".into())
        ]
    );
    assert_eq!(
        arns(ci),
        vec![Some("arn:aws:iam::aws:policy/ReadOnlyAccess")]
    );
    assert_eq!(
        policy_names(ci),
        vec![
            ("keys", PolicyOrigin::Inline),
            ("shared", PolicyOrigin::CustomerManaged),
            ("both", PolicyOrigin::Inline)
        ]
    );
    assert_eq!(actions(ci, "shared"), vec!["iam:CreatePolicyVersion"]);

    let ops = identity(&dep, "OpsUser");
    assert!(ops.name.is_absent());
    // A group name built from a parameter without a value is unknown.
    assert_eq!(
        ops.groups,
        vec![Ref::Unknown, Ref::Local("Auditors".into())]
    );
    assert_eq!(
        policy_names(ops),
        vec![
            ("SharedPolicy", PolicyOrigin::CustomerManaged),
            ("ops", PolicyOrigin::Inline)
        ]
    );
}

const TF_IDENTITIES: &str = r#"
resource "aws_iam_user" "ci" {
  name                 = "ci-bot"
  path                 = "/ci/"
  permissions_boundary = "arn:aws:iam::aws:policy/PowerUserAccess"
}

resource "aws_iam_user" "ops" {
  name = "ops"
}

resource "aws_iam_group" "deployers" {
  name = "deployers"
}

resource "aws_iam_group" "auditors" {
  name = "auditors"
}

resource "aws_iam_policy" "shared" {
  name   = "shared"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "iam:CreatePolicyVersion", Resource = "*" }]
  })
}

data "aws_iam_policy_document" "deploy" {
  statement {
    actions   = ["lambda:UpdateFunctionCode"]
    resources = ["*"]
  }
}

resource "aws_iam_user_policy" "keys" {
  name = "keys"
  user = aws_iam_user.ci.name
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "iam:CreateAccessKey", Resource = "*" }]
  })
}

resource "aws_iam_group_policy" "deploy" {
  name   = "deploy"
  group  = aws_iam_group.deployers.id
  policy = data.aws_iam_policy_document.deploy.json
}

resource "aws_iam_user_policy_attachment" "ci_shared" {
  user       = aws_iam_user.ci.name
  policy_arn = aws_iam_policy.shared.arn
}

resource "aws_iam_group_policy_attachment" "audit" {
  group      = "auditors"
  policy_arn = "arn:aws:iam::aws:policy/SecurityAudit"
}

resource "aws_iam_policy_attachment" "everyone" {
  name       = "everyone"
  users      = [aws_iam_user.ops.name, "ci-bot"]
  groups     = [aws_iam_group.auditors.name]
  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}

resource "aws_iam_user_group_membership" "ci" {
  user   = aws_iam_user.ci.name
  groups = [aws_iam_group.deployers.name, "external-group"]
}

resource "aws_iam_group_membership" "auditors" {
  name  = "auditors"
  group = aws_iam_group.auditors.name
  users = [aws_iam_user.ops.name, aws_iam_user.ci.name]
}
"#;

#[test]
fn terraform_users_and_groups() {
    let dep = tf(TF_IDENTITIES);
    assert_eq!(
        ids(&dep),
        vec![
            "aws_iam_user.ci",
            "aws_iam_user.ops",
            "aws_iam_group.deployers",
            "aws_iam_group.auditors"
        ]
    );
    let ci = identity(&dep, "aws_iam_user.ci");
    assert_eq!(ci.kind, IdentityKind::User);
    assert_eq!(ci.name.as_deref(), Some("ci-bot"));
    assert_eq!(ci.path.as_deref(), Some("/ci/"));
    assert_eq!(ci.loc.line, 2);
    assert_eq!(
        ci.permissions_boundary.as_deref(),
        Some("arn:aws:iam::aws:policy/PowerUserAccess")
    );
    assert_eq!(
        policy_names(ci),
        vec![
            ("keys", PolicyOrigin::Inline),
            ("aws_iam_policy.shared", PolicyOrigin::CustomerManaged)
        ]
    );
    assert_eq!(actions(ci, "keys"), vec!["iam:CreateAccessKey"]);
    assert_eq!(
        actions(ci, "aws_iam_policy.shared"),
        vec!["iam:CreatePolicyVersion"]
    );
    assert_eq!(
        arns(ci),
        vec![Some("arn:aws:iam::aws:policy/ReadOnlyAccess")]
    );
    assert_eq!(
        ci.groups,
        vec![
            Ref::Local("aws_iam_group.deployers".into()),
            Ref::External("external-group".into()),
            Ref::Local("aws_iam_group.auditors".into())
        ]
    );

    let ops = identity(&dep, "aws_iam_user.ops");
    assert_eq!(
        arns(ops),
        vec![Some("arn:aws:iam::aws:policy/ReadOnlyAccess")]
    );
    assert_eq!(
        ops.groups,
        vec![Ref::Local("aws_iam_group.auditors".into())]
    );

    let deployers = identity(&dep, "aws_iam_group.deployers");
    assert_eq!(deployers.kind, IdentityKind::Group);
    assert_eq!(
        actions(deployers, "deploy"),
        vec!["lambda:UpdateFunctionCode"]
    );

    let auditors = identity(&dep, "aws_iam_group.auditors");
    assert_eq!(
        arns(auditors),
        vec![
            Some("arn:aws:iam::aws:policy/SecurityAudit"),
            Some("arn:aws:iam::aws:policy/ReadOnlyAccess")
        ]
    );
}

#[test]
fn serverless_users_in_resources() {
    let dep = sls(concat!(
        "service: orders\n",
        "provider:\n  name: aws\n  runtime: nodejs20.x\n",
        "functions:\n  hello:\n    handler: h.handler\n",
        "resources:\n  Resources:\n",
        "    CiUser:\n      Type: AWS::IAM::User\n      Properties:\n",
        "        UserName: ${self:service}-ci\n",
        "        Policies:\n          - PolicyName: deploy\n            PolicyDocument:\n",
        "              Statement:\n                - {Effect: Allow, Action: 'iam:CreatePolicyVersion', Resource: '*'}\n",
    ));
    let ci = identity(&dep, "CiUser");
    assert_eq!(ci.kind, IdentityKind::User);
    assert_eq!(ci.name.as_deref(), Some("orders-ci"));
    assert_eq!(actions(ci, "deploy"), vec!["iam:CreatePolicyVersion"]);
}

#[test]
fn serverless_per_function_role_names() {
    let service = |region: &str, function: &str| {
        format!(
            "service: orders\nplugins: [serverless-iam-roles-per-function]\nprovider:\n  name: aws\n  runtime: nodejs20.x\n  stage: prod\n{region}functions:\n  {function}:\n    handler: h.handler\n    iamRoleStatements:\n      - {{Effect: Allow, Action: s3:GetObject, Resource: '*'}}\n"
        )
    };
    let name_of = |text: &str| {
        let dep = sls(text);
        let role = dep
            .roles
            .iter()
            .find(|r| r.id.ends_with("IamRoleLambdaExecution") && r.id != "IamRoleLambdaExecution")
            .unwrap_or_else(|| {
                panic!(
                    "per-function role; have {:?}",
                    dep.roles.iter().map(|r| &r.id).collect::<Vec<_>>()
                )
            })
            .name
            .clone();
        role
    };
    // The plugin's name: service, stage, function, region, lambdaRole.
    assert_eq!(
        name_of(&service("  region: eu-west-1\n", "audit")).as_deref(),
        Some("orders-prod-audit-eu-west-1-lambdaRole")
    );
    assert_eq!(
        name_of(&service("", "audit")).as_deref(),
        Some("orders-prod-audit-${AWS::Region}-lambdaRole")
    );
    // Over 64 characters: newer versions drop `-lambdaRole`.
    let long = "a-function-with-a-long-name-for-its-role";
    assert_eq!(
        name_of(&service("  region: eu-west-1\n", long)).as_deref(),
        Some(format!("orders-prod-{long}-eu-west-1").as_str())
    );
    // Without a region its length, and so the name, is not determined.
    assert!(name_of(&service("", long)).is_unknown());
    // `iamRoleStatementsName` wins.
    let named = service("", "audit").replace(
        "    iamRoleStatements:",
        "    iamRoleStatementsName: audit-role\n    iamRoleStatements:",
    );
    assert_eq!(name_of(&named).as_deref(), Some("audit-role"));
}

#[test]
fn terraform_plan_users_and_groups() {
    // In a plan, references are already values: users and groups are named.
    let plan = r#"{"format_version": "1.2", "planned_values": {"root_module": {"resources": [
      {"address": "aws_iam_group.ops", "mode": "managed", "type": "aws_iam_group", "name": "ops",
       "values": {"name": "ops", "path": "/"}},
      {"address": "aws_iam_group_policy.ops", "mode": "managed", "type": "aws_iam_group_policy", "name": "ops",
       "values": {"name": "ops", "group": "ops",
                  "policy": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"iam:PutUserPolicy\",\"Resource\":\"*\"}]}"}},
      {"address": "aws_iam_user.bob", "mode": "managed", "type": "aws_iam_user", "name": "bob",
       "values": {"name": "bob", "path": "/"}},
      {"address": "aws_iam_user_group_membership.bob", "mode": "managed", "type": "aws_iam_user_group_membership", "name": "bob",
       "values": {"user": "bob", "groups": ["ops"]}}
    ]}}}"#;
    let dep = load_plan("plan.json", plan).expect("plan loads");
    let ops = identity(&dep, "aws_iam_group.ops");
    assert_eq!(ops.kind, IdentityKind::Group);
    assert_eq!(actions(ops, "ops"), vec!["iam:PutUserPolicy"]);
    let bob = identity(&dep, "aws_iam_user.bob");
    assert_eq!(bob.path.as_deref(), Some("/"));
    assert_eq!(bob.groups, vec![Ref::Local("aws_iam_group.ops".into())]);
}
