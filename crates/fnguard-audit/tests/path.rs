//! FG-PATH-001 end to end from CloudFormation and SAM text: entry points,
//! impacts, the exposure × impact matrix, ranking and deduplication.

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

fn paths(findings: &[Finding]) -> Vec<&Finding> {
    findings
        .iter()
        .filter(|f| f.rule_id == "FG-PATH-001")
        .collect()
}

fn score(f: &Finding) -> u32 {
    let ev = f.evidence.as_deref().expect("evidence");
    ev.strip_prefix("score=")
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("score in evidence")
}

/// A SAM function with `policy` statements and `events`.
fn sam_function(id: &str, statements: &str, events: &str) -> String {
    format!(
        "  {id}:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.13
      Handler: app.handler
      CodeUri: src/
      Policies:
        - Statement:
{statements}
{events}"
    )
}

fn sam(functions: &[String]) -> String {
    format!(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n{}",
        functions.join("")
    )
}

const SECRETS: &str = "            - Effect: Allow
              Action: secretsmanager:GetSecretValue
              Resource: '*'";
const READ_TABLE: &str = "            - Effect: Allow
              Action: dynamodb:GetItem
              Resource: arn:aws:dynamodb:eu-west-1:123456789012:table/t";
const LOGS_ONLY: &str = "            - Effect: Allow
              Action: logs:PutLogEvents
              Resource: '*'";

fn api_events(routes: &[(&str, &str)]) -> String {
    let mut out = String::from("      Events:\n");
    for (i, (method, path)) in routes.iter().enumerate() {
        out.push_str(&format!(
            "        R{i}:\n          Type: Api\n          Properties:\n            Path: {path}\n            Method: {method}\n"
        ));
    }
    out
}

#[test]
fn guide_scenario_is_critical_with_the_chain_in_order() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/rules/FG-PATH-001/cfn-positive.yaml"),
    )
    .expect("fixture");
    let findings = scan(&text);
    let p = paths(&findings);
    assert_eq!(p.len(), 1);
    let f = p[0];
    assert_eq!(f.severity, Severity::Critical);
    assert_eq!(f.resource, "OrderHandler");
    assert!(
        f.message.en.contains("anonymous HTTP → POST /orders")
            && f.message
                .en
                .contains("→ fn OrderHandler (role OrderRole) →")
            && f.message.en.contains("secretsmanager:GetSecretValue on *")
            && f.message
                .en
                .contains("network: in VPC, reaches RDS database OrdersDb (postgres:5432), named in environment variable DB_HOST"),
        "{}",
        f.message.en
    );
    // Entry, function, role, then impacts: lines ascend along the path
    // only where the template happens to; check the kinds instead.
    let kinds: Vec<&str> = f.related.iter().map(|r| r.message.en.as_str()).collect();
    assert!(kinds[0].starts_with("route POST /orders"), "{kinds:?}");
    assert!(kinds[1].starts_with("function OrderHandler"));
    assert!(kinds[2].starts_with("runs with role OrderRole"));
    assert!(kinds[3..].iter().any(|k| k.contains("GetSecretValue")));
    assert!(kinds[3..].iter().any(|k| k.contains("OrdersDb")));
    assert_eq!(f.location.line, f.related[0].location.line);
    assert!(f.message.zh.contains("攻击路径"));
}

#[test]
fn one_finding_per_api_and_function_listing_every_route() {
    let t = sam(&[sam_function(
        "Orders",
        SECRETS,
        &api_events(&[("post", "/orders"), ("get", "/orders/{id}")]),
    )]);
    let findings = scan(&t);
    let p = paths(&findings);
    assert_eq!(
        p.len(),
        1,
        "{:#?}",
        p.iter().map(|f| &f.message.en).collect::<Vec<_>>()
    );
    assert!(
        p[0].message.en.contains("(+1 more routes)"),
        "{}",
        p[0].message.en
    );
    assert_eq!(
        p[0].related
            .iter()
            .filter(|r| r.message.en.starts_with("route "))
            .count(),
        2
    );
}

#[test]
fn ranked_most_dangerous_first_and_matrix_applied() {
    let t = sam(&[
        sam_function("Reader", READ_TABLE, &api_events(&[("get", "/r")])),
        sam_function("Secrets", SECRETS, &api_events(&[("get", "/s")])),
        sam_function("Quiet", LOGS_ONLY, &api_events(&[("get", "/q")])),
    ]);
    let findings = scan(&t);
    let p = paths(&findings);
    let got: Vec<(&str, u32, Severity)> = p
        .iter()
        .map(|f| (f.resource.as_str(), score(f), f.severity))
        .collect();
    // anonymous (3) × secrets (3) = 9 critical; × data read (2) = 6 high;
    // logs only: no impact, no path.
    assert_eq!(
        got,
        vec![
            ("Secrets", 9, Severity::Critical),
            ("Reader", 6, Severity::High)
        ]
    );
}

#[test]
fn authorized_routes_and_denied_impacts_make_no_path() {
    let denied = format!(
        "{SECRETS}
            - Effect: Deny
              Action: secretsmanager:*
              Resource: '*'"
    );
    let t = sam(&[sam_function(
        "Orders",
        &denied,
        &api_events(&[("post", "/o")]),
    )]);
    assert!(paths(&scan(&t)).is_empty());
    let authed = format!(
        "Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      Auth:
        DefaultAuthorizer: AWS_IAM
{}",
        sam_function(
            "Orders",
            SECRETS,
            "      Events:\n        R:\n          Type: Api\n          Properties:\n            RestApiId: !Ref Api\n            Path: /o\n            Method: post\n"
        )
    );
    assert!(paths(&scan(&authed)).is_empty());
}

#[test]
fn function_url_and_its_permission_are_one_entry_point() {
    let t = sam(&[sam_function(
        "Hook",
        SECRETS,
        "      FunctionUrlConfig:\n        AuthType: NONE\n",
    )]);
    let findings = scan(&t);
    let p = paths(&findings);
    assert_eq!(
        p.len(),
        1,
        "{:#?}",
        p.iter().map(|f| &f.message.en).collect::<Vec<_>>()
    );
    assert!(p[0].message.en.contains("function URL"));
}

#[test]
fn conditional_impact_counts_one_level_less() {
    let conditional = "            - Effect: Allow
              Action: secretsmanager:GetSecretValue
              Resource: '*'
              Condition: {StringEquals: {aws:ResourceTag/app: orders}}";
    let t = sam(&[sam_function(
        "Orders",
        conditional,
        &api_events(&[("post", "/o")]),
    )]);
    let findings = scan(&t);
    let p = paths(&findings);
    assert_eq!(p.len(), 1);
    assert_eq!(score(p[0]), 6);
    assert_eq!(p[0].severity, Severity::High);
    assert!(p[0].message.en.contains("(conditional)"));
}

#[test]
fn foreign_account_permission_is_a_lower_exposure() {
    let t = format!(
        "{}  Cross:
    Type: AWS::Lambda::Permission
    Properties:
      Action: lambda:InvokeFunction
      FunctionName: !Ref Orders
      Principal: '999988887777'
",
        sam(&[sam_function("Orders", SECRETS, "")])
    );
    let findings = scan(&t);
    let p = paths(&findings);
    assert_eq!(p.len(), 1);
    // foreign account (2) × secrets (3) = 6.
    assert_eq!(score(p[0]), 6);
    assert!(p[0].message.en.contains("account 999988887777"));
}

#[test]
fn actions_on_another_services_resources_are_no_impact() {
    // s3:GetObject on a DynamoDB table ARN grants nothing.
    let mismatched = "            - Effect: Allow
              Action: s3:GetObject
              Resource: arn:aws:dynamodb:eu-west-1:123456789012:table/t";
    let t = sam(&[sam_function(
        "Orders",
        mismatched,
        &api_events(&[("post", "/o")]),
    )]);
    assert!(paths(&scan(&t)).is_empty());
}
