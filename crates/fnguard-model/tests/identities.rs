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
    ));
    assert_eq!(role_name(&dep, "Named").as_deref(), Some("orders-fn-role"));
    assert_eq!(role_name(&dep, "Named").loc().map(|l| l.line), Some(7));
    assert_eq!(
        role_name(&dep, "Regional").as_deref(),
        Some("orders-${AWS::Region}")
    );
    assert!(role_name(&dep, "Open").is_unknown());
    assert!(role_name(&dep, "Generated").is_absent());
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
        "resource \"aws_iam_role\" \"generated\" {\n  assume_role_policy = \"{}\"\n}\n",
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
