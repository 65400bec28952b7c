//! FG-PATH-001's network reach end to end from CloudFormation text: which
//! data stores an exposed VPC function reaches through security groups,
//! subnets and internal references, certainly or possibly.

use fnguard_audit::{audit, AuditOptions};
use fnguard_core::{Date, Finding, Severity};
use fnguard_model::cfn;

fn paths(template: &str) -> Vec<Finding> {
    let dep = cfn::load("template.yaml", template).expect("template loads");
    audit(
        &dep,
        &AuditOptions {
            scan_date: Date::new(2026, 11, 28).expect("date"),
            lang: None,
        },
    )
    .into_iter()
    .filter(|f| f.rule_id == "FG-PATH-001")
    .collect()
}

/// An anonymous function URL runs `Fn`, whose role grants nothing: only its
/// network position can give the path an impact. `function_sg` is the
/// function's `SecurityGroupIds` list, `db_groups` the database's
/// `VPCSecurityGroups`, `extra` more resources (security groups, rules)
/// and `fn_extra` more function properties.
fn template(function_sg: &str, db_groups: &str, extra: &str, fn_extra: &str) -> String {
    format!(
        "Parameters:
  FnGroup: {{Type: AWS::EC2::SecurityGroup::Id}}
Resources:
  FnSg:
    Type: AWS::EC2::SecurityGroup
    Properties: {{GroupDescription: fn}}
{extra}
  Db:
    Type: AWS::RDS::DBInstance
    Properties:
      Engine: postgres
      DBSubnetGroupName: !Ref DbSubnets
      VPCSecurityGroups: {db_groups}
  DbSubnets:
    Type: AWS::RDS::DBSubnetGroup
    Properties: {{DBSubnetGroupDescription: db, SubnetIds: [subnet-1, subnet-2]}}
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{{Effect: Allow, Principal: {{Service: lambda.amazonaws.com}}, Action: sts:AssumeRole}}]
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.13
      Handler: app.handler
      Code: {{S3Bucket: b, S3Key: k}}
      Role: !GetAtt Role.Arn
      VpcConfig:
        SubnetIds: [subnet-1]
        SecurityGroupIds: {function_sg}
{fn_extra}
  Url:
    Type: AWS::Lambda::Url
    Properties: {{TargetFunctionArn: !GetAtt Fn.Arn, AuthType: NONE}}
"
    )
}

/// `DbSg` with the given inline ingress rules.
fn db_sg(ingress: &str) -> String {
    format!(
        "  DbSg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: db
      SecurityGroupIngress:
{ingress}
"
    )
}

const FROM_FN: &str =
    "        - {IpProtocol: tcp, FromPort: 5432, ToPort: 5432, SourceSecurityGroupId: !GetAtt FnSg.GroupId}";

const FROM_SHARED: &str =
    "        - {IpProtocol: tcp, FromPort: 5432, ToPort: 5432, SourceSecurityGroupId: sg-0shared}";

fn line_of(text: &str, needle: &str) -> u32 {
    text.lines()
        .position(|l| l.contains(needle))
        .expect("needle in template") as u32
        + 1
}

#[test]
fn admitted_security_group_is_a_certain_reach_at_the_ingress_rule() {
    let text = template("[!Ref FnSg]", "[!Ref DbSg]", &db_sg(FROM_FN), "");
    let found = paths(&text);
    assert_eq!(found.len(), 1);
    let path = &found[0];
    assert!(
        path.message
            .en
            .ends_with("→ network: RDS database Db (postgres:5432) via sg FnSg -> DbSg"),
        "{}",
        path.message.en
    );
    assert_eq!(path.severity, Severity::High);
    assert!(path.evidence.as_deref().unwrap().starts_with("score=6 "));
    let rule = path
        .related
        .iter()
        .find(|r| r.message.en.starts_with("network: RDS database Db"))
        .expect("impact location");
    assert_eq!(rule.location.line, line_of(&text, "SourceSecurityGroupId"));
}

#[test]
fn open_cidr_is_certain_a_private_cidr_only_possible() {
    let open = db_sg("        - {IpProtocol: '-1', CidrIp: 0.0.0.0/0}");
    let found = paths(&template("[!Ref FnSg]", "[!Ref DbSg]", &open, ""));
    assert_eq!(found.len(), 1);
    assert!(found[0]
        .message
        .en
        .ends_with("via sg DbSg open to 0.0.0.0/0"));
    assert_eq!(found[0].severity, Severity::High);
    let private =
        db_sg("        - {IpProtocol: tcp, FromPort: 0, ToPort: 65535, CidrIp: 10.0.0.0/16}");
    let found = paths(&template("[!Ref FnSg]", "[!Ref DbSg]", &private, ""));
    assert_eq!(found.len(), 1);
    assert!(
        found[0]
            .message
            .en
            .ends_with("via sg DbSg open to CIDR 10.0.0.0/16 (conditional)"),
        "{}",
        found[0].message.en
    );
    assert_eq!(found[0].severity, Severity::Medium);
}

#[test]
fn other_port_protocol_or_group_is_no_reach() {
    for rule in [
        "        - {IpProtocol: tcp, FromPort: 3306, ToPort: 3306, SourceSecurityGroupId: !GetAtt FnSg.GroupId}",
        "        - {IpProtocol: udp, FromPort: 5432, ToPort: 5432, SourceSecurityGroupId: !GetAtt FnSg.GroupId}",
        "        - {IpProtocol: tcp, FromPort: 5432, ToPort: 5432, SourceSecurityGroupId: sg-0other}",
        "        - {IpProtocol: tcp, FromPort: 5432, ToPort: 5432, SourcePrefixListId: pl-0123}",
        "        - {IpProtocol: '-1', CidrIp: 127.0.0.1/32}",
    ] {
        let found = paths(&template("[!Ref FnSg]", "[!Ref DbSg]", &db_sg(rule), ""));
        assert!(found.is_empty(), "{rule}: {:?}", found[0].message.en);
    }
}

#[test]
fn the_function_egress_must_let_the_traffic_out() {
    // Explicit egress to HTTPS only: the database port cannot be reached.
    let https_only = format!(
        "{}  OutSg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: out
      SecurityGroupEgress:
        - {{IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 0.0.0.0/0}}
",
        db_sg(
            "        - {IpProtocol: tcp, FromPort: 5432, ToPort: 5432, SourceSecurityGroupId: !Ref OutSg}"
        )
    );
    assert!(paths(&template("[!Ref OutSg]", "[!Ref DbSg]", &https_only, "")).is_empty());
    // The usual way to write "no egress" in CloudFormation.
    let loopback = https_only.replace(
        "{IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 0.0.0.0/0}",
        "{IpProtocol: '-1', CidrIp: 127.0.0.1/32}",
    );
    assert_ne!(loopback, https_only);
    assert!(paths(&template("[!Ref OutSg]", "[!Ref DbSg]", &loopback, "")).is_empty());
    // A private range may hold the database's address.
    let private = https_only.replace(
        "{IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 0.0.0.0/0}",
        "{IpProtocol: '-1', CidrIp: 10.0.0.0/16}",
    );
    let found = paths(&template("[!Ref OutSg]", "[!Ref DbSg]", &private, ""));
    assert_eq!(found.len(), 1);
    assert!(found[0]
        .message
        .en
        .ends_with("via sg OutSg -> DbSg (conditional)"));
    // Egress to the database's group on its port, by a standalone rule.
    let to_db = format!(
        "{}  OutSg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: out
      SecurityGroupEgress:
        - {{IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 0.0.0.0/0}}
  OutToDb:
    Type: AWS::EC2::SecurityGroupEgress
    Properties:
      GroupId: !Ref OutSg
      IpProtocol: tcp
      FromPort: 5432
      ToPort: 5432
      DestinationSecurityGroupId: !Ref DbSg
",
        db_sg(
            "        - {IpProtocol: tcp, FromPort: 5432, ToPort: 5432, SourceSecurityGroupId: !Ref OutSg}"
        )
    );
    let found = paths(&template("[!Ref OutSg]", "[!Ref DbSg]", &to_db, ""));
    assert_eq!(found.len(), 1);
    assert!(found[0].message.en.ends_with("via sg OutSg -> DbSg"));
}

#[test]
fn undetermined_groups_and_rules_make_a_possible_reach() {
    // The function's group is a parameter: it may be the admitted group
    // from outside the template...
    let found = paths(&template(
        "[!Ref FnGroup]",
        "[!Ref DbSg]",
        &db_sg(FROM_SHARED),
        "",
    ));
    assert_eq!(found.len(), 1);
    assert!(found[0].message.en.contains(
        "via sg DbSg, which admits sg-0shared (the function's groups are not all determined) (conditional)"
    ));
    assert_eq!(found[0].severity, Severity::Medium);
    // ...but not a group the template creates, which no parameter can name.
    assert!(paths(&template(
        "[!Ref FnGroup]",
        "[!Ref DbSg]",
        &db_sg(FROM_FN),
        ""
    ))
    .is_empty());
    // An ingress list the template does not determine.
    let unknown = "  DbSg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: db
      SecurityGroupIngress: !Ref FnGroup
";
    let found = paths(&template("[!Ref FnSg]", "[!Ref DbSg]", unknown, ""));
    assert_eq!(found.len(), 1);
    assert!(found[0]
        .message
        .en
        .contains("via sg DbSg, whose rule the files do not determine (conditional)"));
}

#[test]
fn store_with_groups_outside_the_files_is_reached_only_through_a_shared_subnet() {
    let found = paths(&template("[!Ref FnSg]", "[sg-0db]", "", ""));
    assert_eq!(found.len(), 1);
    assert!(found[0]
        .message
        .en
        .ends_with("network: RDS database Db (postgres:5432) in subnet subnet-1 with the function (conditional)"));
    // Groups the template does not determine say no more.
    let found = paths(&template("[!Ref FnSg]", "[!Ref FnGroup]", "", ""));
    assert_eq!(found.len(), 1);
    assert!(found[0]
        .message
        .en
        .ends_with("in subnet subnet-1 with the function (conditional)"));
    let elsewhere = template("[!Ref FnSg]", "[sg-0db]", "", "")
        .replace("SubnetIds: [subnet-1]\n", "SubnetIds: [subnet-9]\n");
    assert!(paths(&elsewhere).is_empty());
}

#[test]
fn a_named_endpoint_is_evidence_on_the_same_store_not_a_second_impact() {
    let env = "      Environment:
        Variables:
          DB_HOST: !GetAtt Db.Endpoint.Address";
    let text = template("[!Ref FnGroup]", "[!Ref DbSg]", &db_sg(FROM_SHARED), env);
    let found = paths(&text);
    assert_eq!(found.len(), 1);
    let message = &found[0].message.en;
    assert!(
        message.ends_with(
            "→ network: RDS database Db (postgres:5432) via sg DbSg, which admits sg-0shared (the function's groups are not all determined); named in environment variable DB_HOST"
        ),
        "{message}"
    );
    // The function connects to the endpoint it names: certain.
    assert_eq!(found[0].severity, Severity::High);
    assert_eq!(message.matches("network:").count(), 1);
    // Without a network reach the references give the store one impact of
    // their own, however many name it.
    let blocked = template(
        "[!Ref FnSg]",
        "[!Ref DbSg]",
        &db_sg("        - {IpProtocol: tcp, FromPort: 5432, ToPort: 5432, SourceSecurityGroupId: sg-0other}"),
        &format!("{env}\n          DB_PORT: !GetAtt Db.Endpoint.Port"),
    );
    let found = paths(&blocked);
    assert_eq!(found.len(), 1);
    assert!(found[0].message.en.ends_with(
        "network: in VPC, reaches RDS database Db (postgres:5432), named in environment variable DB_HOST"
    ), "{}", found[0].message.en);
    assert_eq!(found[0].message.en.matches("network:").count(), 1);
}

#[test]
fn functions_outside_a_vpc_reach_no_store_by_security_group() {
    let open = db_sg("        - {IpProtocol: '-1', CidrIp: 0.0.0.0/0}");
    let text = template("[!Ref FnSg]", "[!Ref DbSg]", &open, "").replace(
        "      VpcConfig:
        SubnetIds: [subnet-1]
        SecurityGroupIds: [!Ref FnSg]
",
        "",
    );
    assert!(paths(&text).is_empty());
}

fn tf_paths(text: &str) -> Vec<Finding> {
    let (dep, errors) =
        fnguard_model::terraform::load_module(&[("main.tf".to_string(), text.to_string())]);
    assert!(errors.is_empty(), "{errors:?}");
    audit(
        &dep.expect("deployment"),
        &AuditOptions {
            scan_date: Date::new(2026, 11, 28).expect("date"),
            lang: None,
        },
    )
    .into_iter()
    .filter(|f| f.rule_id == "FG-PATH-001")
    .collect()
}

/// An open function URL runs a VPC function with no role; `fn_egress` are
/// the function group's egress blocks, `rules` more resources.
fn tf_module(fn_egress: &str, rules: &str) -> String {
    format!(
        r#"
resource "aws_iam_role" "fn" {{ name = "fn" }}
resource "aws_security_group" "fn" {{
  name = "fn"
{fn_egress}
}}
{rules}
resource "aws_elasticache_replication_group" "cache" {{
  description        = "sessions"
  security_group_ids = [aws_security_group.cache.id]
}}
resource "aws_lambda_function" "fn" {{
  function_name = "fn"
  role          = aws_iam_role.fn.arn
  vpc_config {{
    subnet_ids         = ["subnet-1"]
    security_group_ids = [aws_security_group.fn.id]
  }}
}}
resource "aws_lambda_function_url" "fn" {{
  function_name      = aws_lambda_function.fn.function_name
  authorization_type = "NONE"
}}
"#
    )
}

const TF_ALL_OUT: &str = r#"  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }"#;

#[test]
fn terraform_inline_blocks_and_rule_resources_admit_the_function() {
    let inline = r#"resource "aws_security_group" "cache" {
  name = "cache"
  ingress {
    from_port       = 6379
    to_port         = 6379
    protocol        = "tcp"
    security_groups = [aws_security_group.fn.id]
  }
}"#;
    let found = tf_paths(&tf_module(TF_ALL_OUT, inline));
    assert_eq!(found.len(), 1);
    assert!(found[0].message.en.ends_with(
        "network: ElastiCache cluster aws_elasticache_replication_group.cache (redis:6379) via sg aws_security_group.fn -> aws_security_group.cache"
    ), "{}", found[0].message.en);
    let rule = r#"resource "aws_security_group" "cache" { name = "cache" }
resource "aws_security_group_rule" "cache_from_fn" {
  type                     = "ingress"
  security_group_id        = aws_security_group.cache.id
  source_security_group_id = aws_security_group.fn.id
  protocol                 = "tcp"
  from_port                = 6379
  to_port                  = 6379
}"#;
    let found = tf_paths(&tf_module(TF_ALL_OUT, rule));
    assert_eq!(found.len(), 1);
    assert!(found[0]
        .message
        .en
        .ends_with("via sg aws_security_group.fn -> aws_security_group.cache"));
    // Terraform removes the default egress rule: a group without egress
    // lets nothing out, however open the cache is.
    assert!(tf_paths(&tf_module("", rule)).is_empty());
    // Egress to the cache's group only, by a standalone rule.
    let to_cache = format!(
        r#"{rule}
resource "aws_vpc_security_group_egress_rule" "fn_to_cache" {{
  security_group_id            = aws_security_group.fn.id
  referenced_security_group_id = aws_security_group.cache.id
  ip_protocol                  = "tcp"
  from_port                    = 6379
  to_port                      = 6379
}}"#
    );
    assert_eq!(tf_paths(&tf_module("", &to_cache)).len(), 1);
    // The function also names the cache: evidence on the same impact.
    let named = tf_module(TF_ALL_OUT, rule).replace(
        "  vpc_config {",
        "  environment {\n    variables = { CACHE = aws_elasticache_replication_group.cache.primary_endpoint_address }\n  }\n  vpc_config {",
    );
    let found = tf_paths(&named);
    assert_eq!(found.len(), 1);
    assert!(found[0].message.en.ends_with(
        "via sg aws_security_group.fn -> aws_security_group.cache; named in the function's configuration"
    ), "{}", found[0].message.en);
    assert_eq!(found[0].message.en.matches("network:").count(), 1);
}
