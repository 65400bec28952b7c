//! FG-IAM-008 for IAM users and groups, and roles known by their names.

use fnguard_audit::{audit, AuditOptions};
use fnguard_core::{Date, Finding, Severity};
use fnguard_model::{cfn, terraform};

fn options() -> AuditOptions {
    AuditOptions {
        scan_date: Date::new(2026, 11, 28).expect("date"),
        lang: None,
    }
}

fn scan(template: &str) -> Vec<Finding> {
    let dep = cfn::load("template.yaml", template).expect("template loads");
    audit(&dep, &options())
}

fn scan_tf(module: &str) -> Vec<Finding> {
    let (dep, errors) = terraform::load_module(&[("main.tf".to_string(), module.to_string())]);
    assert!(errors.is_empty(), "{errors:?}");
    audit(&dep.expect("module loads"), &options())
}

/// (resource, method id from the evidence) of every FG-IAM-008 finding.
fn escalations(findings: &[Finding]) -> Vec<(String, String)> {
    findings
        .iter()
        .filter(|f| f.rule_id == "FG-IAM-008")
        .map(|f| {
            let evidence = f.evidence.as_deref().unwrap_or("");
            let method = evidence
                .strip_prefix("method=")
                .and_then(|e| e.split(' ').next())
                .unwrap_or("")
                .to_string();
            (f.resource.clone(), method)
        })
        .collect()
}

fn pair(resource: &str, method: &str) -> (String, String) {
    (resource.to_string(), method.to_string())
}

/// A user named `name` with one inline policy of `statements` (YAML list
/// items) and the extra properties `extra`.
fn user(id: &str, name: &str, statements: &str, extra: &str) -> String {
    format!(
        "  {id}:
    Type: AWS::IAM::User
    Properties:
      UserName: {name}
{extra}      Policies:
        - PolicyName: own
          PolicyDocument:
            Statement:
{statements}
"
    )
}

#[test]
fn a_user_changing_its_own_rights_escalates_one_borrowing_them_does_not() {
    let attach = "              - {Effect: Allow, Action: iam:AttachUserPolicy, Resource: !Sub 'arn:aws:iam::${AWS::AccountId}:user/ci'}";
    let keys = "              - {Effect: Allow, Action: [iam:CreateAccessKey, iam:UpdateLoginProfile], Resource: !Sub 'arn:aws:iam::${AWS::AccountId}:user/ci'}";
    let found = scan(&format!("Resources:\n{}", user("Ci", "ci", attach, "")));
    assert_eq!(
        escalations(&found),
        vec![pair("Ci", "iam-attachuserpolicy")]
    );
    let f = found.iter().find(|f| f.rule_id == "FG-IAM-008").unwrap();
    assert_eq!(f.severity, Severity::Critical);
    assert!(
        f.message.en.starts_with("IAM user `Ci` (ci) can escalate")
            && f.message.en.contains("user/ci"),
        "{}",
        f.message.en
    );
    assert!(f.message.zh.starts_with("IAM 用户 `Ci`（ci）可以通过"));
    assert_eq!(f.location.line, 10);
    // Its own keys and password give it nothing it does not have.
    assert!(escalations(&scan(&format!(
        "Resources:\n{}",
        user("Ci", "ci", keys, "")
    )))
    .is_empty());
    // Another user's keys do.
    let other = format!(
        "Resources:\n{}{}",
        user("Ci", "ci", keys, ""),
        user(
            "Admin",
            "admin",
            "              - {Effect: Allow, Action: s3:GetObject, Resource: '*'}",
            ""
        )
    )
    .replace("user/ci'}", "user/admin'}");
    let found = escalations(&scan(&other));
    assert!(
        found.contains(&pair("Ci", "iam-createaccesskey")),
        "{found:?}"
    );
    assert!(!found.iter().any(|(r, _)| r == "Admin"), "{found:?}");
}

#[test]
fn group_methods_are_reported_on_the_group_and_combined_ones_on_the_user() {
    let template = format!(
        "Resources:
  Builders:
    Type: AWS::IAM::Group
    Properties:
      Policies:
        - PolicyName: build
          PolicyDocument:
            Statement:
              - {{Effect: Allow, Action: [lambda:CreateFunction, lambda:InvokeFunction, iam:CreatePolicyVersion], Resource: '*'}}
  FnRole:
    Type: AWS::IAM::Role
    Properties:
      RoleName: fn-role
      AssumeRolePolicyDocument:
        Statement:
          - {{Effect: Allow, Principal: {{Service: lambda.amazonaws.com}}, Action: sts:AssumeRole}}
{}{}",
        user(
            "Passer",
            "passer",
            "              - {Effect: Allow, Action: iam:PassRole, Resource: !Sub 'arn:aws:iam::${AWS::AccountId}:role/fn-role'}",
            "      Groups: [!Ref Builders]\n"
        ),
        user(
            "Member",
            "member",
            "              - {Effect: Allow, Action: s3:GetObject, Resource: '*'}",
            "      Groups: [!Ref Builders, outside-group]\n"
        ),
    );
    let found = scan(&template);
    let mut got = escalations(&found);
    got.sort();
    assert_eq!(
        got,
        vec![
            pair("Builders", "iam-createpolicyversion"),
            // PassRole (own, scoped by the role's name) + the group's
            // CreateFunction and InvokeFunction.
            pair("Passer", "lambda-passrole-createfunction-invoke"),
        ]
    );
    let group = found.iter().find(|f| f.resource == "Builders").unwrap();
    assert!(
        group.message.en.contains("(members: Passer, Member)"),
        "{}",
        group.message.en
    );
    let passer = found.iter().find(|f| f.resource == "Passer").unwrap();
    assert!(
        passer.message.en.contains("role/fn-role"),
        "{}",
        passer.message.en
    );
    let related: Vec<&str> = passer
        .related
        .iter()
        .map(|r| r.message.en.as_str())
        .collect();
    assert!(
        related
            .iter()
            .any(|m| m.starts_with("policy `build (group Builders)` statement 1")),
        "{related:?}"
    );
}

#[test]
fn administrators_and_denied_users_are_not_reported() {
    let admin = format!(
        "Resources:\n{}",
        user(
            "Root",
            "root-like",
            "              - {Effect: Allow, Action: iam:CreatePolicyVersion, Resource: '*'}",
            "      ManagedPolicyArns: [arn:aws:iam::aws:policy/AdministratorAccess]\n"
        )
    );
    assert!(escalations(&scan(&admin)).is_empty());
    let denied = format!(
        "Resources:\n{}",
        user(
            "Ci",
            "ci",
            "              - {Effect: Allow, Action: iam:CreatePolicyVersion, Resource: '*'}\n              - {Effect: Deny, Action: 'iam:Create*', Resource: '*'}",
            ""
        )
    );
    assert!(escalations(&scan(&denied)).is_empty());
    // Unknown values never make a finding.
    let unknown = "Parameters:\n  Arn: {Type: String}\nResources:\n".to_string()
        + &user(
            "Ci",
            "ci",
            "              - {Effect: Allow, Action: iam:CreatePolicyVersion, Resource: !Ref Arn}",
            "",
        );
    assert!(escalations(&scan(&unknown)).is_empty());
}

#[test]
fn an_ignored_user_is_suppressed() {
    let template = format!(
        "Resources:\n{}",
        user(
            "Ci",
            "ci",
            "              - {Effect: Allow, Action: iam:CreatePolicyVersion, Resource: '*'}",
            ""
        )
    )
    .replace(
        "    Type: AWS::IAM::User\n",
        "    Type: AWS::IAM::User\n    Metadata:\n      fnguard:\n        ignore: [FG-IAM-008]\n",
    );
    let found = scan(&template);
    let hits: Vec<&Finding> = found.iter().filter(|f| f.rule_id == "FG-IAM-008").collect();
    assert_eq!(hits.len(), 1);
    assert!(hits[0].is_suppressed());
}

#[test]
fn roles_reach_declared_users_by_name() {
    // A function role that may create access keys for one named user: that
    // user exists in the files, so the method has a target.
    let module = r#"
resource "aws_iam_user" "ops" {
  name = "ops"
}

resource "aws_iam_role" "fn" {
  name               = "rotator"
  assume_role_policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "lambda.amazonaws.com" } }] })
}

resource "aws_iam_role_policy" "fn" {
  role   = aws_iam_role.fn.id
  policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "iam:CreateAccessKey", Resource = "arn:aws:iam::*:user/ops" }] })
}
"#;
    let found = scan_tf(module);
    assert_eq!(
        escalations(&found),
        vec![pair("aws_iam_role.fn", "iam-createaccesskey")]
    );
    let f = found.iter().find(|f| f.rule_id == "FG-IAM-008").unwrap();
    assert!(
        f.message.en.starts_with("Role `aws_iam_role.fn`")
            && f.message
                .en
                .contains("reaches arn:aws:iam::${AWS::AccountId}:user/ops."),
        "{}",
        f.message.en
    );
    // Scoped to a user the files do not declare: nothing.
    let other = module.replace("user/ops\"", "user/someone-else\"");
    assert!(escalations(&scan_tf(&other)).is_empty());
    // The declared user has a path: its ARN is user/team/ops, which the
    // policy does not name.
    let pathed = module.replace("name = \"ops\"", "name = \"ops\"\n  path = \"/team/\"");
    assert!(pathed.contains("/team/"));
    assert!(escalations(&scan_tf(&pathed)).is_empty());
    let found = escalations(&scan_tf(&pathed.replace("user/ops\"", "user/team/ops\"")));
    assert_eq!(found, vec![pair("aws_iam_role.fn", "iam-createaccesskey")]);
}

#[test]
fn role_paths_are_part_of_the_arn() {
    let template = |resource: &str| {
        format!(
            "Resources:
  Worker:
    Type: AWS::IAM::Role
    Properties:
      RoleName: worker
      Path: /orders/
      AssumeRolePolicyDocument:
        Statement:
          - {{Effect: Allow, Principal: {{Service: lambda.amazonaws.com}}, Action: sts:AssumeRole}}
{}",
            user(
                "Ci",
                "ci",
                &format!("              - {{Effect: Allow, Action: [iam:PassRole, lambda:CreateFunction, lambda:InvokeFunction], Resource: ['{resource}', 'arn:aws:lambda:*:*:function:*']}}"),
                ""
            )
        )
    };
    let found = escalations(&scan(&template("arn:aws:iam::*:role/orders/*")));
    assert_eq!(
        found,
        vec![pair("Ci", "lambda-passrole-createfunction-invoke")]
    );
    // Without the path the pattern names no role of the files.
    assert!(escalations(&scan(&template("arn:aws:iam::*:role/worker"))).is_empty());
}

#[test]
fn joining_ones_own_group_is_no_escalation_changing_it_is() {
    let template = |action: &str, group: &str| {
        format!(
            "Resources:
  Team:
    Type: AWS::IAM::Group
    Properties:
      GroupName: team
  Admins:
    Type: AWS::IAM::Group
    Properties:
      GroupName: admins
{}",
            user(
                "Dev",
                "dev",
                &format!("              - {{Effect: Allow, Action: {action}, Resource: !Sub 'arn:aws:iam::${{AWS::AccountId}}:group/{group}'}}"),
                "      Groups: [!Ref Team]\n"
            )
        )
    };
    assert!(escalations(&scan(&template("iam:AddUserToGroup", "team"))).is_empty());
    assert_eq!(
        escalations(&scan(&template("iam:AddUserToGroup", "admins"))),
        vec![pair("Dev", "iam-addusertogroup")]
    );
    assert_eq!(
        escalations(&scan(&template("iam:PutGroupPolicy", "team"))),
        vec![pair("Dev", "iam-putgrouppolicy")]
    );
}
