//! The CloudFormation loader on templates that are valid YAML/JSON but odd:
//! wrong shapes, intrinsics with the wrong number or kind of arguments,
//! deep nesting, and very many resources. It must never panic, keep
//! loading what it understands, and stay linear in the template size.

use fnguard_core::doc::MapEntry;
use fnguard_core::{Loc, Node, NodeKind};
use fnguard_model::{cfn, Deployment, EnvValue, SourceFormat};
use std::fmt::Write;
use std::time::{Duration, Instant};

fn load(text: &str) -> Result<Deployment, fnguard_model::LoadError> {
    cfn::load("odd.yaml", text)
}

/// Every intrinsic with argument shapes CloudFormation would reject.
const BAD_INTRINSICS: &[&str] = &[
    "!If [C]",
    "!If [C, a]",
    "!If [C, a, b, c]",
    "!If 5",
    "!If [[C], a, b]",
    "!If [Missing, a, b]",
    "{'Fn::If': null}",
    "!Select [a, [x]]",
    "!Select [-1, [x]]",
    "!Select [99999999999999999999999, [x]]",
    "!Select ['1.5', [x, y]]",
    "!Select [0]",
    "!Select [0, []]",
    "!Select 5",
    "!Select [0, !Ref Missing]",
    "!Join [',']",
    "!Join [',', x]",
    "!Join [[1], [a]]",
    "!Join [',', [a, [b]]]",
    "!Join [',', [a, {b: c}]]",
    "!Join 7",
    "!Sub []",
    "!Sub [a, b, c]",
    "!Sub [x, 5]",
    "!Sub ['${A}', {A: [1, 2]}]",
    "!Sub {a: b}",
    "!Sub '${'",
    "!Sub '${}'",
    "!Sub '${!'",
    "!Sub '${ }'",
    "!Sub '${AWS::}'",
    "!Sub '${.}'",
    "!Sub '${Fn.}'",
    "!Sub '${Fn..Arn}'",
    "!Sub '$${Fn}}}'",
    "!GetAtt A",
    "!GetAtt Fn",
    "!GetAtt [Fn]",
    "!GetAtt [Fn, Arn, Extra]",
    "!GetAtt [Fn, !Ref Stage]",
    "!GetAtt 5",
    "!GetAtt ''",
    "!GetAtt .",
    "{'Fn::GetAtt': {}}",
    "!Ref [a]",
    "!Ref ''",
    "!Ref",
    "{Ref: null}",
    "{Ref: {Ref: Stage}}",
    "!FindInMap [a]",
    "!FindInMap [M, K]",
    "!FindInMap [M, K, [x]]",
    "!FindInMap [M, k, v, 5]",
    "!FindInMap [[M], k, v]",
    "!Split [',']",
    "!Split [1, 2]",
    "!Split ['', abc]",
    "!Split [',', [a]]",
    "!Equals [a]",
    "!Equals 5",
    "!Not [a, b]",
    "!Not x",
    "!And []",
    "!And [!Equals [a, a]]",
    "!Or 3",
    "!Condition [x]",
    "!Condition Missing",
    "!Base64 [a]",
    "!Base64 ''",
    "!Cidr []",
    "!GetAZs [x]",
    "!ImportValue [x]",
    "!ImportValue {a: b}",
    "!Length 3",
    "{'Fn::Length': !Ref Names}",
    "!ToJsonString",
    "!ToJsonString [1, {a: !Ref Missing}]",
    "!Transform {}",
    "!Transform {Name: AWS::Include, Parameters: {Location: s3://b/k}}",
    "{'Fn::Unheard': [1]}",
    "{'Fn::': 1}",
    "!Bogus x",
    "!!binary aGVsbG8=",
    "{'Fn::Select': ['1', {'Fn::Split': [',', 'a,b']}]}",
    "{'Fn::Join': ['', [{'Fn::If': [C, !Ref AWS::NoValue, x]}]]}",
];

/// Places where a value is read: properties of every kind the builder
/// interprets, policy documents, conditions and resource attributes.
fn template_with(value: &str) -> String {
    format!(
        r#"Parameters:
  Stage: {{Type: String, Default: prod}}
  Names: {{Type: CommaDelimitedList, Default: 'a,b'}}
Mappings:
  M: {{k: {{v: 1}}}}
Conditions:
  C: !Equals [!Ref Stage, prod]
  D: {value}
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Condition: D
    Properties:
      FunctionName: {value}
      Runtime: {value}
      Role: {value}
      CodeSigningConfigArn: {value}
      ReservedConcurrentExecutions: {value}
      Environment:
        Variables:
          A: {value}
          B: [{value}]
      VpcConfig:
        SubnetIds: {value}
        SecurityGroupIds: [{value}, {value}]
      Layers: [{value}]
      TracingConfig: {{Mode: {value}}}
      LoggingConfig: {value}
  Role:
    Type: AWS::IAM::Role
    Properties:
      RoleName: {value}
      AssumeRolePolicyDocument:
        Statement: [{{Effect: {value}, Principal: {{Service: {value}}}, Action: {value}}}]
      Policies:
        - PolicyName: {value}
          PolicyDocument:
            Statement:
              - {{Effect: Allow, Action: {value}, Resource: {value}, Condition: {{StringEquals: {{k: {value}}}}}}}
      ManagedPolicyArns: {value}
  Perm:
    Type: AWS::Lambda::Permission
    Properties: {{FunctionName: {value}, Principal: {value}, SourceArn: {value}}}
  Url:
    Type: AWS::Lambda::Url
    Properties: {{TargetFunctionArn: {value}, AuthType: {value}, Cors: {{AllowOrigins: {value}, AllowCredentials: {value}}}}}
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties: {{Name: {value}, EndpointConfiguration: {{Types: {value}}}, Policy: {value}, Body: {value}}}
  Res:
    Type: AWS::ApiGateway::Resource
    Properties: {{RestApiId: {value}, ParentId: {value}, PathPart: {value}}}
  Method:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: {value}
      HttpMethod: {value}
      AuthorizationType: {value}
      ApiKeyRequired: {value}
      Integration:
        Uri: {value}
        IntegrationResponses: [{{ResponseParameters: {{method.response.header.Access-Control-Allow-Origin: {value}}}}}]
  Stage1:
    Type: AWS::ApiGateway::Stage
    Properties: {{RestApiId: !Ref Api, MethodSettings: {value}, AccessLogSetting: {value}}}
  Http:
    Type: AWS::ApiGatewayV2::Api
    Properties: {{ProtocolType: {value}, Target: {value}, CorsConfiguration: {value}}}
  Route:
    Type: AWS::ApiGatewayV2::Route
    Properties: {{ApiId: !Ref Http, RouteKey: {value}, Target: {value}}}
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties: {{SecurityGroupEgress: [{{CidrIp: {value}, IpProtocol: {value}, FromPort: {value}}}]}}
  Egress:
    Type: AWS::EC2::SecurityGroupEgress
    Properties: {{GroupId: {value}, CidrIp: {value}}}
  Logs:
    Type: AWS::Logs::LogGroup
    Properties: {{LogGroupName: {value}, RetentionInDays: {value}}}
  Alarm:
    Type: AWS::CloudWatch::Alarm
    Properties: {{Namespace: {value}, MetricName: {value}, Dimensions: [{{Name: FunctionName, Value: {value}}}], Metrics: {value}}}
  Trail:
    Type: AWS::CloudTrail::Trail
    Properties: {{EventSelectors: [{{DataResources: [{{Type: {value}}}]}}], AdvancedEventSelectors: [{{FieldSelectors: [{{Field: resources.type, Equals: {value}}}]}}]}}
  Bucket:
    Type: AWS::S3::Bucket
    Properties: {{NotificationConfiguration: {{LambdaConfigurations: [{{Function: {value}}}]}}}}
  Mapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties: {{FunctionName: {value}, EventSourceArn: {value}}}
  Invoke:
    Type: AWS::Lambda::EventInvokeConfig
    Properties: {{FunctionName: {value}, DestinationConfig: {{OnFailure: {{Destination: {value}}}}}}}
  Csc:
    Type: AWS::Lambda::CodeSigningConfig
    Properties: {{CodeSigningPolicies: {{UntrustedArtifactOnDeployment: {value}}}}}
  Rule:
    Type: AWS::Events::Rule
    Properties: {{ScheduleExpression: {value}, Targets: [{{Arn: {value}}}]}}
  Waf:
    Type: AWS::WAFv2::WebACLAssociation
    Properties: {{ResourceArn: {value}}}
Outputs:
  O: {{Value: {value}}}
"#
    )
}

#[test]
fn intrinsics_with_wrong_arguments_never_panic() {
    for bad in BAD_INTRINSICS {
        let text = template_with(bad);
        // Some shapes are not even valid YAML for the parser (a bare `!Ref`
        // key); those must be a located error, the rest must load.
        match load(&text) {
            Ok(dep) => {
                // Whatever was understood is there; nothing was invented.
                assert!(dep.functions.len() <= 1, "{bad}");
                for f in &dep.functions {
                    for v in &f.environment {
                        if let EnvValue::Literal(text) = &v.value {
                            assert!(!text.contains("fnguard:resource"), "{bad}: {text}");
                        }
                    }
                }
            }
            Err(e) => {
                assert!(e.line > 0, "{bad}: error without a position: {e}");
            }
        }
    }
}

#[test]
fn odd_template_shapes_load_or_fail_cleanly() {
    let cases: &[(&str, bool)] = &[
        ("Resources:\n", true),
        ("Resources: ~\n", true),
        ("Resources: {}\n", true),
        ("Resources: []\n", false),
        ("Resources: 5\n", false),
        ("Resources: {A: {Properties: {}}}\n", true),
        ("Resources: {A: {Type: [AWS::Lambda::Function]}}\n", true),
        ("Resources: {A: {Type: ~}}\n", true),
        ("Resources: {A: {Type: 5}}\n", true),
        ("Resources: {A: {Type: !Ref X}}\n", true),
        ("Resources: {A: {Type: AWS::Lambda::Function, Properties: [1, 2]}}\n", true),
        ("Resources: {A: {Type: AWS::Lambda::Function, Properties: ~}}\n", true),
        ("Resources: {A: {Type: AWS::Lambda::Function, Properties: text}}\n", true),
        ("Resources: {A: {Type: AWS::Lambda::Function, Properties: !Ref P}}\n", true),
        ("Resources: {A: {Type: AWS::Lambda::Function, Condition: [x]}}\n", true),
        ("Resources: {A: {Type: AWS::Lambda::Function, Condition: Missing}}\n", true),
        ("Resources: {A: {Type: AWS::Lambda::Function, Metadata: {fnguard: {ignore: 5}}}}\n", true),
        ("Resources: {A: {Type: AWS::Lambda::Function, Metadata: {fnguard: {ignore: [{}, {id: [x]}, 7, ~]}}}}\n", true),
        ("Resources: {A: {Type: AWS::Lambda::Function, Metadata: {fnguard: 5}}}\n", true),
        ("Resources: {A: 5, B: [x], C: ~, '': {Type: AWS::IAM::Role}}\n", true),
        ("Resources: {A: {Type: AWS::IAM::Role, Properties: {Policies: 5, ManagedPolicyArns: {a: b}, AssumeRolePolicyDocument: [1]}}}\n", true),
        ("Resources: {A: {Type: AWS::IAM::Role, Properties: {Policies: [5, {PolicyDocument: 7}, {PolicyName: [x], PolicyDocument: {Statement: 5}}]}}}\n", true),
        ("Resources: {P: {Type: AWS::IAM::Policy, Properties: {Roles: 5, PolicyDocument: {}}}}\n", true),
        ("Resources: {P: {Type: AWS::IAM::ManagedPolicy, Properties: {Roles: [!Ref P], PolicyDocument: x}}}\n", true),
        ("Parameters: [x]\nResources: {}\n", true),
        ("Parameters: {P: 5, Q: ~, R: {Default: [1, {a: b}]}, S: {Type: CommaDelimitedList, Default: {a: 1}}, T: {NoEcho: [x]}}\nResources: {}\n", true),
        ("Conditions: [a]\nResources: {A: {Type: AWS::Lambda::Function, Condition: a}}\n", true),
        ("Conditions: {C: 5, D: ~, E: !Equals [!Condition E, x]}\nResources: {A: {Type: AWS::Lambda::Function, Condition: E}}\n", true),
        ("Mappings: [1]\nResources: {A: {Type: AWS::Lambda::Function, Properties: {Runtime: !FindInMap [M, a, b]}}}\n", true),
        ("Mappings: {M: 5, N: {a: 5}}\nResources: {A: {Type: AWS::Lambda::Function, Properties: {Runtime: !FindInMap [N, a, b]}}}\n", true),
        ("Transform: 5\nResources: {}\n", true),
        ("Transform: [{a: b}, 5]\nResources: {}\n", true),
        ("Outputs: 5\nResources: {}\n", true),
        ("Resources:\n  Fn::ForEach::X: 5\n", true),
        ("Resources:\n  Fn::ForEach::X: [a, [b], {'R${a}': {Type: AWS::SNS::Topic}}]\n", true),
        ("'Resources': {\"A\": {\"Type\": \"AWS::Lambda::Function\", \"Properties\": {\"Environment\": {\"Variables\": {\"\": \"\"}}}}}\n", true),
        ("{\"Resources\": {\"A\": {\"Type\": \"AWS::Lambda::Function\", \"Properties\": {\"Role\": {\"Fn::GetAtt\": []}}}}}", true),
        ("{\"Resources\": null}", true),
        ("{\"Resources\": {\"A\": {\"Type\": \"AWS::ApiGateway::Method\", \"Properties\": {\"RestApiId\": {\"Ref\": \"A\"}}}}}", true),
    ];
    for (text, loads) in cases {
        match load(text) {
            Ok(_) => assert!(loads, "{text:?} should be rejected"),
            Err(e) => {
                assert!(!loads, "{text:?} should load: {e}");
                assert!(e.line > 0, "{text:?}: error without a position");
            }
        }
    }
}

#[test]
fn warnings_name_what_was_skipped() {
    let text = "Resources:\n  NoType: {Properties: {}}\n  ListProps:\n    Type: AWS::Lambda::Function\n    Properties: [1]\n  Good:\n    Type: AWS::Lambda::Function\n    Properties: {Runtime: python3.13}\n";
    let dep = load(text).expect("loads");
    assert_eq!(dep.functions.len(), 1);
    assert_eq!(dep.functions[0].id, "Good");
    let lines: Vec<u32> = dep.warnings.iter().map(|w| w.loc.line).collect();
    assert!(lines.contains(&2), "{:?}", dep.warnings);
    assert!(lines.contains(&3), "{:?}", dep.warnings);
}

/// `!If [C, !If [C, ... x], y]` and `!Sub ['${A}', {A: !Sub [...]}]` as deep
/// as the parsers allow, in flow style on one line.
#[test]
fn deep_if_and_sub_chains_resolve_or_give_up() {
    for depth in [50, 120, 250, 400, 2000] {
        let mut ifs = String::from("x");
        let mut subs = String::from("!Ref Stage");
        for _ in 0..depth {
            ifs = format!("{{'Fn::If': [C, {ifs}, y]}}");
            subs = format!("{{'Fn::Sub': ['${{A}}', {{A: {subs}}}]}}");
        }
        let text = format!(
            "Parameters:\n  Stage: {{Type: String, Default: prod}}\nConditions:\n  C: !Equals [!Ref Stage, prod]\nResources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n      Runtime: {ifs}\n      Environment:\n        Variables:\n          STAGE: {subs}\n"
        );
        match load(&text) {
            Ok(dep) => {
                let f = dep.function("Fn").expect("function");
                // Resolved fully, or unknown when past the resolver's bound.
                if let Some(rt) = f.runtime.value() {
                    assert_eq!(rt, "x");
                }
                match &f.environment[0].value {
                    EnvValue::Literal(v) => assert_eq!(v, "prod"),
                    EnvValue::Unknown => {}
                    other => panic!("depth {depth}: {other:?}"),
                }
            }
            Err(e) => {
                assert!(depth > 100, "depth {depth} should load: {e}");
                assert!(
                    e.message.contains("nest") || e.message.contains("recursion"),
                    "{e}"
                );
                assert!(e.line > 0);
            }
        }
    }
}

/// SAM and Serverless build trees in code and hand them to
/// `load_from_root`, bypassing the parsers' depth cap.
#[test]
fn deep_trees_built_in_code_do_not_overflow() {
    let loc = Loc::new(0, 1, 1);
    let map = |key: &str, value: Node| {
        Node::new(
            NodeKind::Map(vec![MapEntry {
                key: key.to_string(),
                key_loc: loc,
                value,
            }]),
            loc,
        )
    };
    let seq = |items: Vec<Node>| Node::new(NodeKind::Seq(items), loc);
    for depth in [300, 700, 1_000] {
        // Built afresh for each use: cloning is itself recursive.
        let deep = || {
            let mut value = Node::str("x", loc);
            for i in 0..depth {
                value = match i % 3 {
                    0 => map("Fn::Join", seq(vec![Node::str("", loc), seq(vec![value])])),
                    1 => map(
                        "Fn::If",
                        seq(vec![Node::str("C", loc), value, Node::str("y", loc)]),
                    ),
                    _ => map("Nested", value),
                };
            }
            value
        };
        let cond = map(
            "Fn::Equals",
            seq(vec![Node::str("a", loc), Node::str("a", loc)]),
        );
        let props = Node::new(
            NodeKind::Map(vec![
                MapEntry {
                    key: "Runtime".into(),
                    key_loc: loc,
                    value: deep(),
                },
                MapEntry {
                    key: "Environment".into(),
                    key_loc: loc,
                    value: map("Variables", map("V", deep())),
                },
            ]),
            loc,
        );
        let role_props = map(
            "Policies",
            seq(vec![map("PolicyDocument", map("Statement", deep()))]),
        );
        let resource = |ty: &str, props: Node| {
            Node::new(
                NodeKind::Map(vec![
                    MapEntry {
                        key: "Type".into(),
                        key_loc: loc,
                        value: Node::str(ty, loc),
                    },
                    MapEntry {
                        key: "Properties".into(),
                        key_loc: loc,
                        value: props,
                    },
                ]),
                loc,
            )
        };
        let root = Node::new(
            NodeKind::Map(vec![
                MapEntry {
                    key: "Conditions".into(),
                    key_loc: loc,
                    value: map("C", cond),
                },
                MapEntry {
                    key: "Resources".into(),
                    key_loc: loc,
                    value: Node::new(
                        NodeKind::Map(vec![
                            MapEntry {
                                key: "Fn".into(),
                                key_loc: loc,
                                value: resource("AWS::Lambda::Function", props),
                            },
                            MapEntry {
                                key: "Role".into(),
                                key_loc: loc,
                                value: resource("AWS::IAM::Role", role_props),
                            },
                        ]),
                        loc,
                    ),
                },
            ]),
            loc,
        );
        let dep =
            cfn::load_from_root(&root, vec!["built".into()], SourceFormat::Sam).expect("loads");
        assert_eq!(dep.functions.len(), 1);
        assert!(dep.functions[0].runtime.is_unknown() || dep.functions[0].runtime.is_known());
    }
}

/// Resources of every handled kind, `n` of each shape, with the links a
/// real template has (roles, permissions, log groups, methods, alarms).
fn many_resources(n: usize, one_target: bool) -> String {
    let mut t = String::with_capacity(n * 700);
    t.push_str("Parameters:\n  Stage: {Type: String, Default: prod}\nConditions:\n  IsProd: !Equals [!Ref Stage, prod]\nResources:\n  Api: {Type: AWS::ApiGateway::RestApi, Properties: {Name: big}}\n  Sg: {Type: AWS::EC2::SecurityGroup, Properties: {GroupDescription: g}}\n");
    let per = n / 6;
    for i in 0..per {
        let target = if one_target { 0 } else { i };
        let parent = if i == 0 {
            "!GetAtt Api.RootResourceId".to_string()
        } else {
            format!("!Ref Res{}", i - 1)
        };
        let _ = write!(
            t,
            "  Fn{i}:\n    Type: AWS::Lambda::Function\n    Properties: {{FunctionName: !Sub 'f{i}-${{Stage}}', Runtime: python3.13, Role: !GetAtt Role{target}.Arn, VpcConfig: {{SubnetIds: [s], SecurityGroupIds: [!Ref Sg]}}, TracingConfig: {{Mode: !If [IsProd, Active, PassThrough]}}}}\n  Role{i}:\n    Type: AWS::IAM::Role\n    Properties: {{Policies: [{{PolicyName: p, PolicyDocument: {{Statement: [{{Effect: Allow, Action: 's3:GetObject', Resource: !Sub 'arn:aws:s3:::b{i}/*'}}]}}}}]}}\n  Perm{i}:\n    Type: AWS::Lambda::Permission\n    Properties: {{FunctionName: !Ref Fn{target}, Action: lambda:InvokeFunction, Principal: s3.amazonaws.com, SourceArn: !Sub 'arn:aws:s3:::b{i}'}}\n  Res{i}:\n    Type: AWS::ApiGateway::Resource\n    Properties: {{RestApiId: !Ref Api, ParentId: {parent}, PathPart: p{i}}}\n  Method{i}:\n    Type: AWS::ApiGateway::Method\n    Properties: {{RestApiId: !Ref Api, ResourceId: !Ref Res{i}, HttpMethod: GET, AuthorizationType: NONE, Integration: {{Uri: !Sub 'arn:aws:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{Fn{target}.Arn}}/invocations'}}}}\n  Egress{i}:\n    Type: AWS::EC2::SecurityGroupEgress\n    Properties: {{GroupId: !Ref Sg, IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 10.{}.0.0/16}}\n",
            i % 256
        );
    }
    t
}

/// `n` permissions and event rules for one function, all attached to one
/// role through separate policies that name the same database.
fn many_sources_for_one_function(n: usize) -> String {
    let mut t = String::with_capacity(n * 400);
    t.push_str("Resources:\n  Db: {Type: AWS::RDS::DBInstance}\n  Role: {Type: AWS::IAM::Role}\n  Fn: {Type: AWS::Lambda::Function, Properties: {Runtime: python3.13, Role: !GetAtt Role.Arn}}\n  Fn2: {Type: AWS::Lambda::Function, Properties: {Runtime: python3.13, Role: !GetAtt Role.Arn}}\n");
    for i in 0..n / 3 {
        let _ = write!(
            t,
            "  P{i}: {{Type: AWS::Lambda::Permission, Properties: {{FunctionName: !Ref Fn, Action: lambda:InvokeFunction, Principal: s3.amazonaws.com, SourceArn: 'arn:aws:s3:::b{i}'}}}}\n  R{i}: {{Type: AWS::Events::Rule, Properties: {{EventPattern: {{source: [s{i}]}}, Targets: [{{Id: t, Arn: !GetAtt Fn.Arn}}]}}}}\n  Pol{i}: {{Type: AWS::IAM::Policy, Properties: {{PolicyName: p{i}, Roles: [!Ref Role], PolicyDocument: {{Statement: [{{Effect: Allow, Action: rds-db:connect, Resource: !Sub 'arn:aws:rds-db:${{AWS::Region}}:${{AWS::AccountId}}:dbuser:${{Db}}/u{i}'}}]}}}}}}\n"
        );
    }
    t
}

/// The best of four loads: the test binary runs other tests on the same
/// two cores, and a single slow run must not look like a quadratic step.
fn best_load_time(text: &str) -> Duration {
    (0..4)
        .map(|_| {
            let start = Instant::now();
            let dep = load(text).expect("loads");
            assert!(!dep.functions.is_empty());
            start.elapsed()
        })
        .min()
        .unwrap_or_default()
}

/// 10,000 resources load, and four times the resources take about four
/// times as long (a quadratic step would take sixteen). Two shapes: many
/// independent functions, and everything attached to one function and one
/// API (the shape that exposes per-element linear scans).
#[test]
fn ten_thousand_resources_load_in_linear_time() {
    let dep = load(&many_sources_for_one_function(10_000)).expect("loads");
    let f = dep.function("Fn").expect("function");
    assert_eq!(f.triggers.len(), 2 * (10_000 / 3));
    assert_eq!(
        f.internal_refs.len(),
        1,
        "one database, however many policies"
    );
    let small = many_sources_for_one_function(2_500);
    let large = many_sources_for_one_function(10_000);
    let (t_small, t_large) = (best_load_time(&small), best_load_time(&large));
    eprintln!("one function, many sources: {t_small:?} {t_large:?}");
    assert!(
        t_large < t_small * 9 + Duration::from_millis(200),
        "many sources: 2.5k resources {t_small:?}, 10k resources {t_large:?}"
    );
    for one_target in [false, true] {
        let small = many_resources(2_500, one_target);
        let large = many_resources(10_000, one_target);
        let dep = load(&large).expect("loads");
        assert_eq!(dep.functions.len(), 10_000 / 6);
        assert_eq!(dep.apis[0].routes.len(), 10_000 / 6);
        let t_small = best_load_time(&small);
        let t_large = best_load_time(&large);
        eprintln!("one_target={one_target}: {t_small:?} {t_large:?}");
        // Linear is 4x; allow noise from a shared machine, not 16x.
        assert!(
            t_large < t_small * 9 + Duration::from_millis(200),
            "one_target={one_target}: 2.5k resources {t_small:?}, 10k resources {t_large:?}"
        );
    }
}

/// Intrinsics CloudFormation would reject give an unknown value, never a
/// made-up literal a check could report on.
#[test]
fn malformed_intrinsics_are_unknown_values() {
    for bad in [
        "!If [C]",
        "!If [C, a]",
        "!If [C, a, b, c]",
        "!Select [a, [x]]",
        "!Select [-1, [x]]",
        "!Select [0]",
        "!Join [',']",
        "!Join [',', x]",
        "!Join [',', [a, [b]]]",
        "!Sub []",
        "!Sub [a, b, c]",
        "!Sub [x, 5]",
        "!Sub ['${A}', {A: [1, 2]}]",
        "!GetAtt [Fn, Arn, Extra]",
        "!GetAtt Fn",
        "!Ref [a]",
        "!FindInMap [M, K]",
        "!Split [',']",
        "!Base64 [a]",
        "!ImportValue [x]",
        "{'Fn::Unheard': [1]}",
    ] {
        let text = format!(
            "Parameters:\n  Stage: {{Type: String, Default: prod}}\nConditions:\n  C: !Equals [!Ref Stage, prod]\nMappings:\n  M: {{K: {{v: 1}}}}\nResources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n      Environment:\n        Variables:\n          DB_PASSWORD: {bad}\n"
        );
        let dep = load(&text).expect("loads");
        assert_eq!(
            dep.functions[0].environment[0].value,
            EnvValue::Unknown,
            "{bad}"
        );
    }
}
