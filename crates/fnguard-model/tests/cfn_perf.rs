//! Load time of a large generated template. Run with
//! `cargo test -p fnguard-model --release --test cfn_perf -- --ignored --nocapture`.

use fnguard_model::cfn;
use std::fmt::Write;
use std::time::Instant;

/// A template of about `target` bytes: functions with roles, environment,
/// permissions, log groups, alarms and API methods, written with the
/// short-form intrinsics real templates use.
fn generate(target: usize) -> String {
    let mut t = String::with_capacity(target + 4096);
    t.push_str("AWSTemplateFormatVersion: '2010-09-09'\nParameters:\n  Stage: {Type: String, Default: prod}\nConditions:\n  IsProd: !Equals [!Ref Stage, prod]\nResources:\n");
    t.push_str("  Api:\n    Type: AWS::ApiGateway::RestApi\n    Properties: {Name: big}\n");
    let mut i = 0;
    while t.len() < target {
        let _ = write!(
            t,
            r#"  Role{i}:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{{Effect: Allow, Principal: {{Service: lambda.amazonaws.com}}, Action: sts:AssumeRole}}]
      Policies:
        - PolicyName: p{i}
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: [dynamodb:GetItem, dynamodb:PutItem]
                Resource: !Sub 'arn:aws:dynamodb:${{AWS::Region}}:${{AWS::AccountId}}:table/t{i}-${{Stage}}'
  Fn{i}:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: !Sub 'fn-{i}-${{Stage}}'
      Runtime: python3.12
      Handler: app.handler
      Code: {{S3Bucket: b, S3Key: k{i}.zip}}
      Role: !GetAtt Role{i}.Arn
      TracingConfig: {{Mode: !If [IsProd, Active, PassThrough]}}
      Environment:
        Variables: {{STAGE: !Ref Stage, TABLE: !Join ['-', [t, '{i}']], SECRET: '{{{{resolve:secretsmanager:s{i}}}}}'}}
  Perm{i}:
    Type: AWS::Lambda::Permission
    Properties:
      FunctionName: !Ref Fn{i}
      Action: lambda:InvokeFunction
      Principal: apigateway.amazonaws.com
      SourceArn: !Sub 'arn:aws:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{Api}}/*'
  Logs{i}:
    Type: AWS::Logs::LogGroup
    Properties: {{LogGroupName: !Sub '/aws/lambda/${{Fn{i}}}', RetentionInDays: 14}}
  Res{i}:
    Type: AWS::ApiGateway::Resource
    Properties: {{RestApiId: !Ref Api, ParentId: !GetAtt Api.RootResourceId, PathPart: r{i}}}
  Method{i}:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Res{i}
      HttpMethod: GET
      AuthorizationType: NONE
      Integration: {{Type: AWS_PROXY, Uri: !Sub 'arn:aws:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{Fn{i}.Arn}}/invocations'}}
"#
        );
        i += 1;
    }
    t
}

#[test]
#[ignore = "benchmark: run explicitly"]
fn fifty_megabytes_load_in_seconds() {
    let mb_wanted: usize = std::env::var("CFN_PERF_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let text = generate(mb_wanted * 1024 * 1024);
    let start = Instant::now();
    let root = fnguard_model::yaml::parse(&text, 0, "big.yaml").expect("parses");
    let parsed = start.elapsed();
    let start = Instant::now();
    let dep = cfn::load_from_root(
        &root,
        vec!["big.yaml".into()],
        fnguard_model::SourceFormat::CloudFormation,
    )
    .expect("loads");
    let elapsed = start.elapsed();
    println!(
        "YAML parse: {:.2} s; model from the parsed tree: {:.2} s",
        parsed.as_secs_f64(),
        elapsed.as_secs_f64()
    );
    let mb = text.len() as f64 / (1024.0 * 1024.0);
    println!(
        "{mb:.1} MB, {} functions: model built in {:.2} s ({:.1} MB/s)",
        dep.functions.len(),
        elapsed.as_secs_f64(),
        mb / elapsed.as_secs_f64()
    );
    assert!(dep.functions.iter().all(|f| f.triggers.len() == 1));
    assert!(dep.log_groups.iter().all(|l| l.function.is_some()));
    assert!(elapsed.as_secs() < 30);
}

/// The same generator at 1 MB, in the normal test run, checks the links
/// of the generated shape (so the benchmark measures a correct load).
#[test]
fn generated_template_links() {
    let text = generate(200 * 1024);
    let dep = cfn::load("gen.yaml", &text).expect("loads");
    let n = dep.functions.len();
    assert!(n > 50);
    assert_eq!(dep.roles.len(), n);
    assert_eq!(dep.permissions.len(), n);
    assert_eq!(dep.apis[0].routes.len(), n);
    let f = &dep.functions[7];
    assert_eq!(f.name.as_deref(), Some("fn-7-prod"));
    assert_eq!(f.tracing.as_deref(), Some("Active"));
    assert_eq!(f.triggers.len(), 1);
    assert_eq!(dep.apis[0].routes[7].path, "/r7");
    assert!(dep.warnings.is_empty());
}
