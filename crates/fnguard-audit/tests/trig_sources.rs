//! FG-TRIG-006 end to end from CloudFormation text: who may write to a
//! bucket, queue or topic that triggers a function, evaluated with AWS
//! semantics (Deny, NotAction, NotPrincipal, wildcards, conditions).

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

fn trig6(findings: &[Finding]) -> Vec<&Finding> {
    findings
        .iter()
        .filter(|f| f.rule_id == "FG-TRIG-006")
        .collect()
}

/// A queue with `statements` as its policy, feeding functions `Worker`
/// and `Auditor`; the functions' role is a hard-coded ARN of account
/// 123456789012, which makes that account the own one.
fn queue_template(statements: &str) -> String {
    format!(
        "Resources:
  Jobs:
    Type: AWS::SQS::Queue
  JobsPolicy:
    Type: AWS::SQS::QueuePolicy
    Properties:
      Queues: [!Ref Jobs]
      PolicyDocument:
        Statement:
{statements}
  Worker:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.13
      Handler: app.handler
      Role: arn:aws:iam::123456789012:role/worker
      Code: {{ ZipFile: x }}
  WorkerMapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      FunctionName: !Ref Worker
      EventSourceArn: !GetAtt Jobs.Arn
  Auditor:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.13
      Handler: app.handler
      Role: arn:aws:iam::123456789012:role/worker
      Code: {{ ZipFile: x }}
  AuditorMapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      FunctionName: !Ref Auditor
      EventSourceArn: !GetAtt Jobs.Arn
"
    )
}

fn allow(principal: &str, action: &str) -> String {
    format!(
        "          - Effect: Allow
            Principal: {principal}
            Action: {action}
            Resource: '*'
"
    )
}

fn findings_for(statements: &str) -> Vec<Finding> {
    scan(&queue_template(statements))
}

#[test]
fn anyone_may_send_is_high_and_names_every_fed_function() {
    let findings = findings_for(&allow("'*'", "sqs:SendMessage"));
    let found = trig6(&findings);
    assert_eq!(found.len(), 1, "one finding per source: {found:#?}");
    let f = found[0];
    assert_eq!(f.severity, Severity::High);
    assert_eq!(f.resource, "Jobs");
    assert!(f.message.en.contains("Worker, Auditor"), "{}", f.message.en);
    assert!(f.message.en.contains("policy JobsPolicy"));
    assert_eq!(f.location.line, 10, "points at the granting statement");
    assert_eq!(f.related.len(), 2, "the two triggers");
}

#[test]
fn wildcards_and_not_action_count() {
    for statements in [
        allow("{ AWS: '*' }", "sqs:*"),
        allow("'*'", "'sqs:Send*'"),
        allow("'*'", "'*'"),
        "          - Effect: Allow
            Principal: '*'
            NotAction: sqs:DeleteQueue
            Resource: '*'
"
        .to_string(),
    ] {
        let findings = findings_for(&statements);
        assert_eq!(trig6(&findings).len(), 1, "{statements}");
    }
    // Granting only other actions is no way in.
    for statements in [
        allow("'*'", "sqs:ReceiveMessage"),
        "          - Effect: Allow
            Principal: '*'
            NotAction: 'sqs:Send*'
            Resource: '*'
"
        .to_string(),
    ] {
        let findings = findings_for(&statements);
        assert!(trig6(&findings).is_empty(), "{statements}");
    }
}

#[test]
fn deny_and_not_principal_deny_win() {
    let deny_all = format!(
        "{}          - Effect: Deny
            Principal: '*'
            Action: sqs:SendMessage
            Resource: '*'
",
        allow("'*'", "sqs:SendMessage")
    );
    // Everyone but the own producer role is denied.
    let deny_others = format!(
        "{}          - Effect: Deny
            NotPrincipal:
              AWS: arn:aws:iam::123456789012:role/producer
            Action: sqs:*
            Resource: '*'
",
        allow("'*'", "sqs:SendMessage")
    );
    for statements in [deny_all, deny_others] {
        let findings = findings_for(&statements);
        assert!(trig6(&findings).is_empty(), "{statements}");
    }
}

#[test]
fn restricting_conditions_keep_outsiders_out() {
    for (operator, key, value) in [
        (
            "ArnEquals",
            "aws:SourceArn",
            "arn:aws:sns:us-east-1:123456789012:feed",
        ),
        ("StringEquals", "aws:SourceAccount", "123456789012"),
        ("StringEquals", "aws:SourceOwner", "123456789012"),
        ("StringEquals", "aws:PrincipalOrgID", "o-a1b2c3"),
        ("StringEquals", "aws:PrincipalAccount", "123456789012"),
        ("StringEquals", "aws:SourceVpce", "vpce-0123"),
        // Unknown to fnguard: the request's address.
        ("IpAddress", "aws:SourceIp", "10.0.0.0/8"),
        // A key fnguard does not model stays conditional.
        ("StringEquals", "sqs:MessageAttribute", "x"),
    ] {
        let statements = format!(
            "{}            Condition:
              {operator}:
                {key}: {value}
",
            allow("'*'", "sqs:SendMessage")
        );
        let findings = findings_for(&statements);
        assert!(trig6(&findings).is_empty(), "{key}");
    }
}

#[test]
fn caller_chosen_and_if_exists_conditions_do_not_restrict() {
    for (operator, key, value) in [
        ("Bool", "aws:SecureTransport", "'true'"),
        ("StringLike", "aws:Referer", "'https://example.com/*'"),
        // An outsider's request carries no SourceArn, so IfExists holds.
        (
            "ArnEqualsIfExists",
            "aws:SourceArn",
            "arn:aws:sns:us-east-1:123456789012:feed",
        ),
    ] {
        let statements = format!(
            "{}            Condition:
              {operator}:
                {key}: {value}
",
            allow("'*'", "sqs:SendMessage")
        );
        let findings = findings_for(&statements);
        assert_eq!(trig6(&findings).len(), 1, "{key}");
    }
    // A Deny on plain HTTP is avoided by using TLS.
    let statements = format!(
        "{}          - Effect: Deny
            Principal: '*'
            Action: sqs:*
            Resource: '*'
            Condition:
              Bool:
                aws:SecureTransport: 'false'
",
        allow("'*'", "sqs:SendMessage")
    );
    assert_eq!(trig6(&findings_for(&statements)).len(), 1);
}

#[test]
fn foreign_accounts_in_every_partition_are_medium_own_account_is_fine() {
    for principal in [
        "{ AWS: 'arn:aws:iam::210987654321:root' }",
        "{ AWS: 'arn:aws-cn:iam::210987654321:root' }",
        "{ AWS: 'arn:aws-us-gov:iam::210987654321:role/producer' }",
        "{ AWS: '210987654321' }",
    ] {
        let findings = findings_for(&allow(principal, "sqs:SendMessage"));
        let found = trig6(&findings);
        assert_eq!(found.len(), 1, "{principal}");
        assert_eq!(found[0].severity, Severity::Medium);
        assert!(found[0].message.en.contains("account 210987654321"));
    }
    for principal in [
        // Hard-coded in the functions' role ARN: the own account.
        "{ AWS: 'arn:aws:iam::123456789012:root' }",
        "{ AWS: !Sub 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root' }",
        "{ Service: sns.amazonaws.com }",
        "{ AWS: !ImportValue ProducerRoleArn }",
    ] {
        let findings = findings_for(&allow(principal, "sqs:SendMessage"));
        assert!(trig6(&findings).is_empty(), "{principal}");
    }
}

#[test]
fn unresolved_policies_and_sources_are_not_judged() {
    let template = queue_template(&allow("'*'", "sqs:SendMessage")).replace(
        "      PolicyDocument:
        Statement:",
        "      PolicyDocument: !ImportValue SharedPolicy
      Unused:",
    );
    assert!(trig6(&scan(&template)).is_empty());
    let template = queue_template(&allow("'*'", "sqs:SendMessage"))
        .replace("Queues: [!Ref Jobs]", "Queues: [!ImportValue JobsUrl]");
    assert!(trig6(&scan(&template)).is_empty());
}

/// A bucket feeding `Worker`, its Block Public Access and its policy.
fn bucket_template(block: &str, statements: &str) -> String {
    format!(
        "Resources:
  Inbox:
    Type: AWS::S3::Bucket
    Properties:
      PublicAccessBlockConfiguration:
        RestrictPublicBuckets: {block}
      NotificationConfiguration:
        LambdaConfigurations:
          - Event: s3:ObjectCreated:*
            Function: !GetAtt Worker.Arn
  InboxPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Inbox
      PolicyDocument:
        Statement:
{statements}
  Worker:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.13
      Handler: app.handler
      Role: arn:aws:iam::123456789012:role/worker
      Code: {{ ZipFile: x }}
"
    )
}

#[test]
fn block_public_access_neutralizes_public_bucket_policies() {
    let public_and_partner = format!(
        "{}{}",
        allow("'*'", "s3:PutObject"),
        allow("{ AWS: '210987654321' }", "s3:PutObject")
    );
    let open = scan(&bucket_template("false", &public_and_partner));
    let found = trig6(&open);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].severity, Severity::High);
    // A public policy behind RestrictPublicBuckets grants no outsider
    // anything, not even the named partner.
    let restricted = scan(&bucket_template("true", &public_and_partner));
    assert!(trig6(&restricted).is_empty());
    // A policy naming only the partner is not public: it still works.
    let partner_only = scan(&bucket_template(
        "true",
        &allow("{ AWS: '210987654321' }", "s3:PutObject"),
    ));
    let found = trig6(&partner_only);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].severity, Severity::Medium);
}
