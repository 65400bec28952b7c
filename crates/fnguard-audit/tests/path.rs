//! FG-PATH-001 end to end from CloudFormation and SAM text: entry points,
//! impacts, the exposure × impact matrix, ranking and deduplication.

use fnguard_audit::{audit, AuditOptions};
use fnguard_core::{Date, Finding, Severity, StepKind};
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

/// The chain as data (SARIF code flows, `--graph`): steps in path order,
/// each pointing at its related location, the score of the evidence.
#[test]
fn guide_scenario_steps_point_at_the_chain() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/rules/FG-PATH-001/cfn-positive.yaml"),
    )
    .expect("fixture");
    let findings = scan(&text);
    let f = paths(&findings)[0];
    let path = f.attack_path.as_deref().expect("an attack path");
    assert_eq!(path.score, score(f));
    let kinds: Vec<StepKind> = path.steps.iter().map(|s| s.kind).collect();
    assert_eq!(
        kinds[..3],
        [StepKind::Entry, StepKind::Function, StepKind::Role]
    );
    assert!(kinds[3..]
        .iter()
        .all(|k| matches!(k, StepKind::Impact | StepKind::Reach)));
    for step in &path.steps {
        assert!(step.related < f.related.len());
    }
    let related =
        |kind: StepKind| &f.related[path.steps.iter().find(|s| s.kind == kind).unwrap().related];
    assert!(related(StepKind::Entry)
        .message
        .en
        .starts_with("route POST /orders"));
    assert_eq!(path.steps[1].label.en, "fn OrderHandler");
    assert!(related(StepKind::Role)
        .message
        .en
        .starts_with("runs with role OrderRole"));
    assert!(related(StepKind::Reach).message.en.contains("OrdersDb"));
    let secrets = path
        .steps
        .iter()
        .find(|s| s.label.en.contains("secretsmanager:GetSecretValue"))
        .expect("secrets impact step");
    assert_eq!(secrets.kind, StepKind::Impact);
    // One flow per impact; role impacts go through the role, reach does not.
    let flows = path.flows();
    assert_eq!(flows.len(), path.steps.len() - 3);
    for flow in &flows {
        let last = flow.last().unwrap().kind;
        let through_role = flow.iter().any(|s| s.kind == StepKind::Role);
        assert_eq!(through_role, last == StepKind::Impact);
    }
    // Other rules' findings carry no path.
    assert!(findings
        .iter()
        .filter(|f| f.rule_id != "FG-PATH-001")
        .all(|f| f.attack_path.is_none()));
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

/// A function reading every secret, triggered by `trigger` (resources
/// appended as written), whose role lives in account 123456789012.
fn secrets_function_with(resources: &str) -> String {
    format!(
        "Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {{ Service: lambda.amazonaws.com }}
            Action: sts:AssumeRole
      Policies:
        - PolicyName: secrets
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: secretsmanager:GetSecretValue
                Resource: '*'
  Worker:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.13
      Handler: app.handler
      Role: !GetAtt Role.Arn
      KmsKeyArn: arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
      Code: {{ ZipFile: x }}
{resources}"
    )
}

const QUEUE_FEEDS_WORKER: &str = "  Jobs:
    Type: AWS::SQS::Queue
  Mapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      FunctionName: !Ref Worker
      EventSourceArn: !GetAtt Jobs.Arn
";

fn queue_policy(principal: &str, condition: &str) -> String {
    format!(
        "  JobsPolicy:
    Type: AWS::SQS::QueuePolicy
    Properties:
      Queues: [!Ref Jobs]
      PolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {principal}
            Action: sqs:SendMessage
            Resource: '*'
{condition}"
    )
}

#[test]
fn a_queue_anyone_may_write_to_is_an_anonymous_entry() {
    let template =
        secrets_function_with(&format!("{QUEUE_FEEDS_WORKER}{}", queue_policy("'*'", "")));
    let findings = scan(&template);
    let found = paths(&findings);
    assert_eq!(found.len(), 1, "{found:#?}");
    let f = found[0];
    assert_eq!(score(f), 9, "anonymous 3 × secrets 3");
    assert_eq!(f.severity, Severity::Critical);
    assert!(
        f.message.en.contains(
            "anyone (`*`) → sqs:SendMessage on queue Jobs (policy JobsPolicy) → Sqs trigger → fn Worker"
        ),
        "{}",
        f.message.en
    );
    let lines: Vec<&str> = template.lines().collect();
    let statement_line = lines
        .iter()
        .rposition(|l| l.contains("- Effect: Allow"))
        .expect("statement") as u32
        + 1;
    assert_eq!(
        f.location.line, statement_line,
        "the entry is the statement"
    );
    assert!(f
        .related
        .iter()
        .any(|r| r.message.en.contains("Sqs trigger from queue Jobs")));
}

#[test]
fn a_topic_another_account_may_publish_to_is_a_foreign_entry() {
    let template = secrets_function_with(
        "  Alerts:
    Type: AWS::SNS::Topic
    Properties:
      Subscription:
        - Protocol: lambda
          Endpoint: !GetAtt Worker.Arn
  AlertsPolicy:
    Type: AWS::SNS::TopicPolicy
    Properties:
      Topics: [!Ref Alerts]
      PolicyDocument:
        Statement:
          - Effect: Allow
            Principal: { AWS: 'arn:aws-us-gov:iam::210987654321:root' }
            Action: sns:*
            Resource: '*'
",
    );
    let findings = scan(&template);
    let found = paths(&findings);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(score(found[0]), 6, "foreign account 2 × secrets 3");
    assert!(found[0]
        .message
        .en
        .contains("account 210987654321 → sns:Publish on topic Alerts (policy AlertsPolicy)"));
}

#[test]
fn restricted_or_policy_less_local_sources_are_no_entry() {
    for resources in [
        QUEUE_FEEDS_WORKER.to_string(),
        format!(
            "{QUEUE_FEEDS_WORKER}{}",
            queue_policy(
                "'*'",
                "            Condition:
              ArnEquals:
                aws:SourceArn: arn:aws:sns:us-east-1:123456789012:feed
"
            )
        ),
        // The account the files place the function in is the own one.
        format!(
            "{QUEUE_FEEDS_WORKER}{}",
            queue_policy("{ AWS: 'arn:aws:iam::123456789012:root' }", "")
        ),
    ] {
        let findings = scan(&secrets_function_with(&resources));
        assert!(paths(&findings).is_empty(), "{resources}");
    }
}

#[test]
fn invoke_permissions_for_other_partitions_accounts_are_foreign_entries() {
    for principal in [
        "arn:aws-cn:iam::210987654321:root",
        "arn:aws-us-gov:iam::210987654321:role/partner",
    ] {
        let template = secrets_function_with(&format!(
            "  Partner:
    Type: AWS::Lambda::Permission
    Properties:
      Action: lambda:InvokeFunction
      FunctionName: !Ref Worker
      Principal: {principal}
"
        ));
        let findings = scan(&template);
        let found = paths(&findings);
        assert_eq!(found.len(), 1, "{principal}");
        assert_eq!(score(found[0]), 6);
        assert!(found[0]
            .message
            .en
            .contains("account 210987654321 → invoke permission Partner"));
    }
    // The account of the function's own KMS key is the own account.
    let template = secrets_function_with(
        "  Own:
    Type: AWS::Lambda::Permission
    Properties:
      Action: lambda:InvokeFunction
      FunctionName: !Ref Worker
      Principal: arn:aws-cn:iam::123456789012:root
",
    );
    assert!(paths(&scan(&template)).is_empty());
}

/// The permissions every SQS consumer needs on its queue (the SAM
/// SQSPollerPolicy) are no impact: a public queue in front of a consumer
/// that can do nothing else is no path; what else the role can do still is,
/// and `sqs:*` (sending to any queue) remains a data write.
#[test]
fn consuming_the_trigger_queue_is_no_impact() {
    let consumer = |extra: &str| {
        format!(
            "Transform: AWS::Serverless-2016-10-31
Resources:
  Jobs:
    Type: AWS::SQS::Queue
  JobsPolicy:
    Type: AWS::SQS::QueuePolicy
    Properties:
      Queues: [!Ref Jobs]
      PolicyDocument:
        Statement:
          - Effect: Allow
            Principal: '*'
            Action: sqs:SendMessage
            Resource: '*'
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.13
      Handler: app.handler
      CodeUri: src/
      Policies:
        - SQSPollerPolicy:
            QueueName: !GetAtt Jobs.QueueName
{extra}
      Events:
        Jobs:
          Type: SQS
          Properties:
            Queue: !GetAtt Jobs.Arn
"
        )
    };
    assert!(paths(&scan(&consumer(""))).is_empty());
    let findings = scan(&consumer(
        "        - Statement:
            - Effect: Allow
              Action: sqs:*
              Resource: '*'",
    ));
    let found = paths(&findings);
    assert_eq!(found.len(), 1);
    assert!(
        found[0].message.en.contains("sqs:* on *"),
        "{}",
        found[0].message.en
    );
    assert!(!found[0].message.en.contains("sqs:DeleteMessage"));
}

/// An API resource policy that only allows everyone restricts nothing: its
/// open routes are entry points, as FG-TRIG-003 says; a policy with a
/// condition (here, a source VPC) keeps the API out of the paths.
#[test]
fn api_resource_policy_open_to_everyone_is_still_an_entry() {
    let api = |condition: &str| {
        format!(
            "Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      Auth:
        ResourcePolicy:
          CustomStatements:
            - Effect: Allow
              Principal: '*'
              Action: execute-api:Invoke
              Resource: execute-api:/*
{condition}
{}",
            sam_function(
                "Reader",
                SECRETS,
                "      Events:
        Get:
          Type: Api
          Properties:
            RestApiId: !Ref Api
            Path: /items
            Method: get"
            )
        )
    };
    let open = scan(&api(""));
    assert_eq!(paths(&open).len(), 1, "{open:#?}");
    let restricted = scan(&api("              Condition:
                StringEquals:
                  aws:SourceVpc: vpc-1234"));
    assert!(paths(&restricted).is_empty());
}

/// The role's permissions boundary caps its impacts: a boundary that does
/// not allow the write leaves no impact (no path), one fnguard cannot read
/// makes the grant conditional (one level less).
#[test]
fn permissions_boundary_caps_the_impacts() {
    const WRITE_TABLE: &str = "            - Effect: Allow
              Action: dynamodb:PutItem
              Resource: '*'";
    let function = |boundary: &str| {
        sam(&[sam_function(
            "Hook",
            WRITE_TABLE,
            &format!("{boundary}      FunctionUrlConfig:\n        AuthType: NONE\n"),
        )])
    };
    let open = scan(&function(""));
    assert_eq!(score(paths(&open)[0]), 9, "anonymous 3 × data write 3");
    let read_only = scan(&function(
        "      PermissionsBoundary: arn:aws:iam::aws:policy/ReadOnlyAccess\n",
    ));
    assert!(paths(&read_only).is_empty());
    let opaque = scan(&function(
        "      PermissionsBoundary: arn:aws:iam::123456789012:policy/dev-boundary\n",
    ));
    let p = paths(&opaque);
    assert_eq!(score(p[0]), 6, "conditional write counts 2");
    assert!(
        p[0].message.en.contains("(conditional)"),
        "{}",
        p[0].message.en
    );
}
