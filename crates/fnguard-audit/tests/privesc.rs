//! FG-IAM-008 end to end from CloudFormation text: the model's roles and
//! functions become fnguard-iam's Environment, and each (role, method) is
//! one finding with its enabling statements.

use fnguard_audit::{audit, AuditOptions};
use fnguard_core::{Date, Finding, Severity};
use fnguard_model::cfn;

fn scan(template: &str) -> Vec<Finding> {
    let dep = cfn::load("template.yaml", template).expect("template loads");
    audit(
        &dep,
        &AuditOptions {
            scan_date: Date::new(2026, 11, 28).expect("date"),
            lang: None,
        },
    )
}

fn of<'a>(findings: &'a [Finding], rule: &str) -> Vec<&'a Finding> {
    findings.iter().filter(|f| f.rule_id == rule).collect()
}

const TRUST: &str = "
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {Service: lambda.amazonaws.com}
            Action: sts:AssumeRole";

/// A template with one function whose role has `statements` (YAML list
/// items indented for a PolicyDocument) and an administrator role.
fn template(statements: &str, extra_role_props: &str) -> String {
    format!(
        "Resources:
  AdminRole:
    Type: AWS::IAM::Role
    Properties:{TRUST}
      ManagedPolicyArns: [arn:aws:iam::aws:policy/AdministratorAccess]
  AppRole:
    Type: AWS::IAM::Role
    Properties:{TRUST}
{extra_role_props}      Policies:
        - PolicyName: app
          PolicyDocument:
            Statement:
{statements}
  AppFunction:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.13
      Handler: app.handler
      Code: {{S3Bucket: b, S3Key: k}}
      Role: !GetAtt AppRole.Arn
"
    )
}

const PASS_CREATE_INVOKE: &str = "              - Sid: Pass
                Effect: Allow
                Action: iam:PassRole
                Resource: '*'
              - Sid: Functions
                Effect: Allow
                Action: [lambda:CreateFunction, lambda:InvokeFunction]
                Resource: '*'";

#[test]
fn passrole_create_invoke_names_method_statements_and_target() {
    let findings = scan(&template(PASS_CREATE_INVOKE, ""));
    let hits = of(&findings, "FG-IAM-008");
    let f = hits
        .iter()
        .find(|f| {
            f.message
                .en
                .contains("lambda-passrole-createfunction-invoke")
        })
        .expect("method reported");
    assert_eq!(f.resource, "AppRole");
    assert_eq!(f.severity, Severity::Critical);
    assert!(f.message.en.contains("role/AdminRole"), "{}", f.message.en);
    assert!(f.message.en.contains("used by AppFunction"));
    assert!(!f.message.zh.is_empty());
    // PassRole statement, then the lambda statement for both actions.
    let rel: Vec<&str> = f.related.iter().map(|r| r.message.en.as_str()).collect();
    assert!(rel[0].contains("(Pass) allows iam:PassRole"), "{rel:?}");
    assert!(rel
        .iter()
        .any(|r| r.contains("(Functions) allows lambda:InvokeFunction")));
    // One finding per (role, method): no duplicates of a method id.
    let mut keys: Vec<String> = hits
        .iter()
        .map(|f| format!("{} {}", f.resource, f.evidence.as_deref().unwrap_or("")))
        .collect();
    let n = keys.len();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), n);
    // The administrator role is FG-IAM-001/004's business, not 44 methods.
    assert!(hits.iter().all(|f| f.resource != "AdminRole"));
}

#[test]
fn deny_notaction_scoping_and_passedtoservice_remove_the_method() {
    let deny = format!(
        "{PASS_CREATE_INVOKE}
              - Effect: Deny
                Action: iam:PassRole
                Resource: '*'"
    );
    let scoped = PASS_CREATE_INVOKE.replacen(
        "Resource: '*'",
        "Resource: arn:aws:iam::123456789012:role/other-app-*",
        1,
    );
    let to_states = PASS_CREATE_INVOKE.replacen(
        "Resource: '*'",
        "Resource: '*'
                Condition: {StringEquals: {iam:PassedToService: states.amazonaws.com}}",
        1,
    );
    let not_action = "              - Effect: Allow
                NotAction: ['iam:*', 'lambda:*']
                Resource: arn:aws:s3:::bucket/*";
    for statements in [deny.as_str(), &scoped, &to_states, not_action] {
        let findings = scan(&template(statements, ""));
        let hits: Vec<&str> = of(&findings, "FG-IAM-008")
            .iter()
            .map(|f| f.message.en.as_str())
            .collect();
        assert!(hits.is_empty(), "{statements}\n{hits:#?}");
    }
}

#[test]
fn unresolved_values_do_not_produce_findings() {
    let unknown =
        PASS_CREATE_INVOKE.replacen("Resource: '*'", "Resource: !ImportValue some-role-arn", 1);
    let findings = scan(&template(&unknown, ""));
    assert!(of(&findings, "FG-IAM-008").is_empty());
}

#[test]
fn condition_keys_make_it_conditional_and_one_level_lower() {
    let conditional = PASS_CREATE_INVOKE.replacen(
        "Resource: '*'",
        "Resource: '*'
                Condition: {StringEquals: {aws:RequestedRegion: eu-west-1}}",
        1,
    );
    let findings = scan(&template(&conditional, ""));
    let f = of(&findings, "FG-IAM-008")
        .into_iter()
        .find(|f| {
            f.message
                .en
                .contains("lambda-passrole-createfunction-invoke")
        })
        .expect("still reported");
    assert_eq!(f.severity, Severity::High);
    assert!(
        f.message.en.contains("Conditional on aws:RequestedRegion"),
        "{}",
        f.message.en
    );
}

#[test]
fn aws_managed_policies_are_expanded() {
    // IAMFullAccess attached by ARN: its document grants iam:*.
    let statements = "              - Effect: Allow
                Action: s3:GetObject
                Resource: arn:aws:s3:::bucket/*";
    let managed = "      ManagedPolicyArns: [arn:aws:iam::aws:policy/IAMFullAccess]\n";
    let findings = scan(&template(statements, managed));
    let hits = of(&findings, "FG-IAM-008");
    assert!(
        hits.iter()
            .any(|f| f.resource == "AppRole" && f.message.en.contains("iam-attachrolepolicy")),
        "{:#?}",
        hits.iter().map(|f| &f.message.en).collect::<Vec<_>>()
    );
    // Related locations point into the template (the ARN line), never
    // into fnguard's data files.
    for f in hits {
        assert!(f.related.iter().all(|r| r.location.path == "template.yaml"));
    }
}

#[test]
fn ignores_on_the_role_suppress() {
    let t = template(PASS_CREATE_INVOKE, "").replace(
        "  AppRole:\n    Type: AWS::IAM::Role\n",
        "  AppRole:\n    Type: AWS::IAM::Role\n    Metadata:\n      fnguard:\n        ignore: [FG-IAM-008]\n",
    );
    let findings = scan(&t);
    let hits = of(&findings, "FG-IAM-008");
    assert!(!hits.is_empty());
    assert!(hits.iter().all(|f| f.is_suppressed()));
}

/// A permissions boundary caps the role (AWS allows a request only when
/// identity policies and boundary both allow it): a boundary fnguard has
/// the document of removes the methods it does not allow and keeps the
/// others; one it cannot read makes every method conditional on it.
#[test]
fn permissions_boundaries_cap_the_methods() {
    let method = |findings: &[Finding], id: &str| {
        of(findings, "FG-IAM-008")
            .into_iter()
            .find(|f| f.message.en.contains(id))
            .cloned()
    };
    let unbounded = scan(&template(PASS_CREATE_INVOKE, ""));
    let f = method(&unbounded, "lambda-passrole-createfunction-invoke").expect("reported");
    assert_eq!(f.severity, Severity::Critical);

    // ReadOnlyAccess allows none of iam:PassRole, lambda:CreateFunction.
    let read_only = scan(&template(
        PASS_CREATE_INVOKE,
        "      PermissionsBoundary: arn:aws:iam::aws:policy/ReadOnlyAccess\n",
    ));
    assert!(of(&read_only, "FG-IAM-008").is_empty(), "{read_only:#?}");

    // PowerUserAccess allows Lambda but not iam:PassRole: the PassRole
    // methods go, a Lambda-only method stays.
    let lambda_too = format!(
        "{PASS_CREATE_INVOKE}
              - Effect: Allow
                Action: lambda:UpdateFunctionCode
                Resource: '*'"
    );
    let power_user = scan(&template(
        &lambda_too,
        "      PermissionsBoundary: arn:aws:iam::aws:policy/PowerUserAccess\n",
    ));
    assert!(method(&power_user, "lambda-passrole-createfunction-invoke").is_none());
    let kept = method(&power_user, "(lambda-updatefunctioncode)").expect("kept");
    let before = method(
        &scan(&template(&lambda_too, "")),
        "(lambda-updatefunctioncode)",
    )
    .expect("reported without a boundary");
    assert_eq!(kept.severity, before.severity);
    assert_eq!(
        kept.message.en, before.message.en,
        "unchanged, not conditional"
    );

    // A customer-managed boundary fnguard cannot read: conditional on it.
    let opaque = scan(&template(
        PASS_CREATE_INVOKE,
        "      PermissionsBoundary: arn:aws:iam::123456789012:policy/dev-boundary\n",
    ));
    let f = method(&opaque, "lambda-passrole-createfunction-invoke").expect("still reported");
    assert_eq!(f.severity, Severity::High);
    assert!(
        f.message.en.contains(
            "Conditional on (permissions boundary arn:aws:iam::123456789012:policy/dev-boundary)"
        ),
        "{}",
        f.message.en
    );
}
