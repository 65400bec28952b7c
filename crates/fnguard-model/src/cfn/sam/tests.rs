use super::*;

fn parse(text: &str) -> Node {
    crate::yaml::parse(text, 0, "t.yaml").expect("test template parses")
}

fn run(text: &str) -> Node {
    transform(&parse(text)).expect("transform")
}

fn res<'a>(out: &'a Node, id: &str) -> &'a Node {
    out.path(&["Resources", id])
        .unwrap_or_else(|| panic!("no resource {id} in {:#}", out.to_json()))
}

fn prop<'a>(out: &'a Node, id: &str, path: &[&str]) -> &'a Node {
    let mut full = vec!["Properties"];
    full.extend_from_slice(path);
    res(out, id)
        .path(&full)
        .unwrap_or_else(|| panic!("{id}: no {path:?} in {:#}", res(out, id).to_json()))
}

fn strings(node: &Node) -> Vec<String> {
    node.one_or_many()
        .into_iter()
        .map(|n| match n.as_str() {
            Some(s) => s.to_string(),
            None => n.to_json().to_string(),
        })
        .collect()
}

#[test]
fn globals_merge_scalars_maps_and_lists() {
    let global = parse("A: 1\nM: {x: 1, y: 2}\nL: [g1]\nI: {k: v}\n");
    let local = parse("A: 2\nM: {y: 3, z: 4}\nL: [l1]\nI: !Ref P\n");
    let merged = merge_globals(&global, &local).to_json();
    assert_eq!(
        merged,
        serde_json::json!({"A": 2, "M": {"x": 1, "y": 3, "z": 4}, "L": ["g1", "l1"], "I": {"Ref": "P"}})
    );
}

#[test]
fn globals_apply_to_functions_and_are_removed() {
    let out = run(r"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.12
    Timeout: 3
    Environment: {Variables: {A: global, B: global}}
    Layers: [arn:aws:lambda:us-east-1:1:layer:g:1]
Resources:
  F:
    Type: AWS::Serverless::Function
    Properties:
      Handler: h
      Timeout: 9
      Environment: {Variables: {B: local}}
      Layers: [arn:aws:lambda:us-east-1:1:layer:l:1]
");
    assert!(out.get("Globals").is_none());
    assert!(
        out.get("Transform").is_none(),
        "SAM transform must not run twice"
    );
    assert_eq!(
        res(&out, "F").get("Type").and_then(Node::as_str),
        Some("AWS::Lambda::Function")
    );
    assert_eq!(prop(&out, "F", &["Runtime"]).as_str(), Some("python3.12"));
    assert_eq!(prop(&out, "F", &["Timeout"]).as_i64(), Some(9));
    assert_eq!(
        prop(&out, "F", &["Environment", "Variables", "A"]).as_str(),
        Some("global")
    );
    assert_eq!(
        prop(&out, "F", &["Environment", "Variables", "B"]).as_str(),
        Some("local")
    );
    assert_eq!(
        strings(prop(&out, "F", &["Layers"])),
        [
            "arn:aws:lambda:us-east-1:1:layer:g:1",
            "arn:aws:lambda:us-east-1:1:layer:l:1"
        ]
    );
}

#[test]
fn only_a_non_map_root_is_an_error() {
    assert!(transform(&parse("- a\n- b\n")).is_err());
    assert!(transform(&parse("just text")).is_err());
    // No Resources, odd Resources, odd resources: best effort, no panic.
    assert!(transform(&parse("Transform: AWS::Serverless-2016-10-31\n")).is_ok());
    assert!(transform(&parse("Resources: [1, 2]\n")).is_ok());
    let out = run(r"
Resources:
  A: {Type: AWS::Serverless::Function, Properties: [not, a, map]}
  B: {Type: AWS::Serverless::Function, Properties: {Events: text, Policies: 7, FunctionUrlConfig: [x]}}
  C: {Type: AWS::Serverless::Function, Properties: {Events: {E: {Type: Api, Properties: {Path: !Ref P, Method: [x], RestApiId: !ImportValue api}}}}}
  D: {Type: AWS::Serverless::Function, Properties: {Events: {E: {Type: S3}, G: {Type: SNS}, H: {Type: SQS}, I: {Type: Nope}, J: 5}}}
  E: {Type: AWS::Serverless::Api, Properties: {Auth: {Authorizers: [1], UsagePlan: x}, Cors: 3, EndpointConfiguration: {}}}
  F: {Type: AWS::Serverless::HttpApi, Properties: {Auth: {Authorizers: {X: 1}}, CorsConfiguration: true}}
  G: {Type: AWS::Serverless::Function, Properties: {Policies: [{S3CrudPolicy: [x]}, {Fn::If: [c]}, {}], DeadLetterQueue: x, EventInvokeConfig: {DestinationConfig: {OnFailure: {Type: SQS}}}}}
  H: 42
  I: {Type: AWS::Serverless::SimpleTable}
  J: {Type: AWS::Serverless::LayerVersion, Properties: {ContentUri: {Bucket: b, Key: k}}}
");
    for id in ["A", "B", "C", "D", "E", "F", "G", "H", "I", "J"] {
        res(&out, id);
    }
    // The malformed on-failure destination still got SAM's generated queue.
    assert!(res(&out, "GEventInvokeConfigOnFailureQueue")
        .get("Type")
        .is_some());
}

#[test]
fn generated_role_carries_policies_and_the_function_location() {
    let text = r"Resources:
  Fn:
    Type: AWS::Serverless::Function
    Metadata:
      fnguard:
        ignore: [FG-IAM-002]
    Properties:
      Tracing: Active
      VpcConfig: {SubnetIds: [s], SecurityGroupIds: [g]}
      PermissionsBoundary: arn:aws:iam::1:policy/boundary
      Policies:
        - AmazonDynamoDBFullAccess
        - arn:aws:iam::1:policy/custom
        - NotAKnownPolicyName
        - !Ref PolicyParam
        - AWSLambdaBasicExecutionRole
        - S3CrudPolicy:
            BucketName: !Ref Bucket
        - SQSPollerPolicy: {}
        - Statement: [{Effect: Allow, Action: 'sns:*', Resource: '*'}]
";
    let root = parse(text);
    let fn_key_loc = root
        .path(&["Resources"])
        .and_then(Node::as_map)
        .map(|m| m[0].key_loc);
    let out = transform(&root).expect("transform");
    let role = res(&out, "FnRole");
    assert_eq!(
        role.get("Type").and_then(Node::as_str),
        Some("AWS::IAM::Role")
    );
    let role_entry = out
        .get("Resources")
        .and_then(Node::as_map)
        .and_then(|m| m.iter().find(|e| e.key == "FnRole"))
        .expect("role entry");
    assert_eq!(
        Some(role_entry.key_loc),
        fn_key_loc,
        "role points at the function"
    );
    assert_eq!(
        role.path(&["Metadata", "fnguard", "implicit"])
            .and_then(Node::as_bool),
        Some(true)
    );
    assert_eq!(
        strings(
            role.path(&["Metadata", "fnguard", "ignore"])
                .expect("ignore copied")
        ),
        ["FG-IAM-002"]
    );
    // Function points at its role.
    assert_eq!(
        prop(&out, "Fn", &["Role"]).to_json(),
        serde_json::json!({"Fn::GetAtt": ["FnRole", "Arn"]})
    );
    let managed = strings(prop(&out, "FnRole", &["ManagedPolicyArns"]));
    assert_eq!(
        managed,
        [
            "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
            "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
            "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole",
            "arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess",
            "arn:aws:iam::1:policy/custom",
            "NotAKnownPolicyName",
            "{\"Ref\":\"PolicyParam\"}",
        ]
    );
    assert_eq!(
        prop(&out, "FnRole", &["PermissionsBoundary"]).as_str(),
        Some("arn:aws:iam::1:policy/boundary")
    );
    let policies = prop(&out, "FnRole", &["Policies"])
        .as_seq()
        .expect("policies");
    let names: Vec<_> = policies
        .iter()
        .filter_map(|p| p.get("PolicyName").and_then(Node::as_str))
        .collect();
    assert_eq!(names, ["FnRolePolicy5", "FnRolePolicy6", "FnRolePolicy7"]);
    // S3CrudPolicy: the user's `!Ref Bucket` replaces the template parameter.
    let crud = policies[0]
        .get("PolicyDocument")
        .expect("doc")
        .to_json()
        .to_string();
    assert!(crud.contains("s3:PutObject"), "{crud}");
    assert!(crud.contains(r#"{"Ref":"Bucket"}"#), "{crud}");
    assert!(!crud.contains(r#""Ref":"BucketName""#), "{crud}");
    // SQSPollerPolicy without QueueName: unknown, never a guess.
    let poller = policies[1].get("PolicyDocument").expect("doc");
    assert!(poller.contains_unknown());
    assert!(poller.to_json().to_string().contains("sqs:ReceiveMessage"));
}

#[test]
fn policies_as_a_single_string_or_map_and_with_fn_if() {
    let out = run(r"
Resources:
  One:
    Type: AWS::Serverless::Function
    Properties: {Policies: AdministratorAccess}
  Two:
    Type: AWS::Serverless::Function
    Properties:
      Policies: {Statement: {Effect: Allow, Action: 's3:GetObject', Resource: '*'}}
  Three:
    Type: AWS::Serverless::Function
    Properties:
      Policies:
        - !If [IsProd, AmazonS3ReadOnlyAccess, !Ref AWS::NoValue]
        - Fn::If: [IsProd, {DynamoDBReadPolicy: {TableName: t}}, !Ref AWS::NoValue]
");
    assert!(strings(prop(&out, "OneRole", &["ManagedPolicyArns"]))
        .contains(&"arn:aws:iam::aws:policy/AdministratorAccess".to_string()));
    assert_eq!(
        prop(&out, "TwoRole", &["Policies"])
            .as_seq()
            .map(<[Node]>::len),
        Some(1)
    );
    let managed = prop(&out, "ThreeRole", &["ManagedPolicyArns"])
        .to_json()
        .to_string();
    assert!(
        managed.contains("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"),
        "{managed}"
    );
    let inline = prop(&out, "ThreeRole", &["Policies"]).to_json().to_string();
    assert!(
        inline.contains("dynamodb:GetItem") && inline.contains("ThreeRolePolicy1"),
        "{inline}"
    );
}

#[test]
fn role_given_means_no_generated_role_and_custom_trust_is_kept() {
    let out = run(r"
Resources:
  Own:
    Type: AWS::Serverless::Function
    Properties: {Role: !GetAtt R.Arn}
  Trusting:
    Type: AWS::Serverless::Function
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {AWS: '*'}, Action: 'sts:AssumeRole'}]
");
    assert!(out.path(&["Resources", "OwnRole"]).is_none());
    assert!(
        matches!(prop(&out, "Own", &["Role"]).kind, NodeKind::Tagged(ref t, _) if t == "GetAtt")
    );
    let trust = prop(&out, "TrustingRole", &["AssumeRolePolicyDocument"])
        .to_json()
        .to_string();
    assert!(trust.contains(r#""AWS":"*""#), "{trust}");
}

#[test]
fn function_properties_are_mapped() {
    let out = run(r"
Resources:
  F:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: s3://bucket/key.zip?versionId=3
      Handler: h
      Runtime: nodejs20.x
      CodeSigningConfigArn: !Ref Signing
      LoggingConfig: {LogFormat: JSON}
      ReservedConcurrentExecutions: 5
      KmsKeyArn: arn:aws:kms:us-east-1:1:key/k
      Tracing: Disabled
      DeadLetterQueue: {Type: SNS, TargetArn: !Ref Topic}
  G:
    Type: AWS::Serverless::Function
    Properties: {PackageType: Image, ImageUri: 1.dkr.ecr.us-east-1.amazonaws.com/x:1, CodeUri: ignored/}
  H:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: src/h/, Handler: h, Runtime: go1.x}
");
    assert_eq!(
        prop(&out, "F", &["Code"]).to_json(),
        serde_json::json!({"S3Bucket": "bucket", "S3Key": "key.zip", "S3ObjectVersion": "3"})
    );
    assert_eq!(
        prop(&out, "F", &["LoggingConfig", "LogFormat"]).as_str(),
        Some("JSON")
    );
    assert_eq!(
        prop(&out, "F", &["ReservedConcurrentExecutions"]).as_i64(),
        Some(5)
    );
    assert!(
        prop(&out, "F", &["CodeSigningConfigArn"]).is_unknown()
            || ref_target(prop(&out, "F", &["CodeSigningConfigArn"])) == Some("Signing")
    );
    // Tracing Disabled: no TracingConfig and no X-Ray policy.
    assert!(res(&out, "F")
        .path(&["Properties", "TracingConfig"])
        .is_none());
    assert!(!strings(prop(&out, "FRole", &["ManagedPolicyArns"]))
        .iter()
        .any(|a| a.contains("Xray")));
    assert_eq!(
        ref_target(prop(&out, "F", &["DeadLetterConfig", "TargetArn"])),
        Some("Topic")
    );
    let dlq = prop(&out, "FRole", &["Policies"]).to_json().to_string();
    assert!(
        dlq.contains("DeadLetterQueuePolicy") && dlq.contains("sns:Publish"),
        "{dlq}"
    );
    assert_eq!(
        prop(&out, "G", &["Code", "ImageUri"]).as_str(),
        Some("1.dkr.ecr.us-east-1.amazonaws.com/x:1")
    );
    assert_eq!(prop(&out, "H", &["Code"]).as_str(), Some("src/h/"));
}

#[test]
fn function_url_and_event_invoke_config() {
    let out = run(r"
Resources:
  F:
    Type: AWS::Serverless::Function
    Properties:
      FunctionUrlConfig:
        AuthType: NONE
        Cors: {AllowOrigins: ['*'], AllowCredentials: true}
      EventInvokeConfig:
        MaximumRetryAttempts: 0
        DestinationConfig:
          OnFailure: {Type: SQS, Destination: !GetAtt Dlq.Arn}
  G:
    Type: AWS::Serverless::Function
    Properties:
      FunctionUrlConfig: {AuthType: AWS_IAM}
");
    assert_eq!(prop(&out, "FUrl", &["AuthType"]).as_str(), Some("NONE"));
    assert_eq!(
        ref_target(prop(&out, "FUrl", &["TargetFunctionArn"])),
        Some("F")
    );
    assert_eq!(
        strings(prop(&out, "FUrl", &["Cors", "AllowOrigins"])),
        ["*"]
    );
    assert_eq!(
        prop(&out, "FUrlPublicPermissions", &["Principal"]).as_str(),
        Some("*")
    );
    assert_eq!(
        prop(&out, "FUrlPublicPermissions", &["FunctionUrlAuthType"]).as_str(),
        Some("NONE")
    );
    assert_eq!(
        prop(&out, "FUrlPublicPermissions", &["Action"]).as_str(),
        Some("lambda:InvokeFunctionUrl")
    );
    assert_eq!(
        prop(
            &out,
            "FURLInvokeAllowPublicAccess",
            &["InvokedViaFunctionUrl"]
        )
        .as_bool(),
        Some(true)
    );
    // AWS_IAM URLs get no public permission.
    assert_eq!(prop(&out, "GUrl", &["AuthType"]).as_str(), Some("AWS_IAM"));
    assert!(out.path(&["Resources", "GUrlPublicPermissions"]).is_none());

    let config = res(&out, "FEventInvokeConfig");
    assert_eq!(
        config.get("Type").and_then(Node::as_str),
        Some("AWS::Lambda::EventInvokeConfig")
    );
    assert!(matches!(
        prop(&out, "FEventInvokeConfig", &["DestinationConfig", "OnFailure", "Destination"]).kind,
        NodeKind::Tagged(ref t, _) if t == "GetAtt"
    ));
    let policies = prop(&out, "FRole", &["Policies"]).to_json().to_string();
    assert!(
        policies.contains("FEventInvokeConfigOnFailureSQSPolicy"),
        "{policies}"
    );
}

#[test]
fn implicit_rest_api_with_default_authorizer_and_overrides() {
    let text = r"Globals:
  Api:
    Auth:
      DefaultAuthorizer: MyLambda
      ApiKeyRequired: true
      Authorizers:
        MyLambda: {FunctionArn: !GetAtt Auth.Arn}
Resources:
  F:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Secure: {Type: Api, Properties: {Path: '/a/{id}', Method: get}}
        Open:
          Type: Api
          Properties: {Path: /a, Method: ANY, Auth: {Authorizer: NONE, ApiKeyRequired: false}}
        Bad: {Type: Api, Properties: {Path: /b, Method: get, Auth: {Authorizer: Missing}}}
";
    let root = parse(text);
    let out = transform(&root).expect("transform");
    let api = res(&out, IMPLICIT_REST_API);
    assert_eq!(
        api.get("Type").and_then(Node::as_str),
        Some("AWS::ApiGateway::RestApi")
    );
    assert_eq!(
        api.path(&["Metadata", "fnguard", "implicit"])
            .and_then(Node::as_bool),
        Some(true)
    );
    // Located at the first event that asked for it.
    let events = root
        .path(&["Resources", "F", "Properties", "Events"])
        .and_then(Node::as_map);
    let first_event = events.map(|e| e[0].key_loc).expect("events");
    assert_eq!(api.loc, first_event);
    // SAM's default stage: no logging, no throttling.
    let stage = res(&out, "ServerlessRestApiProdStage");
    assert_eq!(
        stage
            .path(&["Properties", "StageName"])
            .and_then(Node::as_str),
        Some("Prod")
    );
    assert!(stage.path(&["Properties", "AccessLogSetting"]).is_none());
    assert!(stage.path(&["Properties", "MethodSettings"]).is_none());

    assert_eq!(
        prop(&out, "FSecureMethod", &["AuthorizationType"]).as_str(),
        Some("CUSTOM")
    );
    assert_eq!(
        ref_target(prop(&out, "FSecureMethod", &["AuthorizerId"])),
        Some("ServerlessRestApiMyLambdaAuthorizer")
    );
    assert_eq!(
        prop(&out, "FSecureMethod", &["ApiKeyRequired"]).as_bool(),
        Some(true)
    );
    assert_eq!(res(&out, "FSecureMethod").loc, first_event);
    assert_eq!(
        prop(&out, "FOpenMethod", &["AuthorizationType"]).as_str(),
        Some("NONE")
    );
    assert_eq!(
        prop(&out, "FOpenMethod", &["ApiKeyRequired"]).as_bool(),
        Some(false)
    );
    assert_eq!(
        prop(&out, "FOpenMethod", &["HttpMethod"]).as_str(),
        Some("ANY")
    );
    assert!(prop(&out, "FBadMethod", &["AuthorizationType"]).is_unknown());
    // /a/{id} hangs under /a, which hangs under the API root.
    let leaf = ref_target(prop(&out, "FSecureMethod", &["ResourceId"])).expect("resource");
    assert_eq!(prop(&out, leaf, &["PathPart"]).as_str(), Some("{id}"));
    let parent = ref_target(prop(&out, leaf, &["ParentId"])).expect("parent");
    assert_eq!(prop(&out, parent, &["PathPart"]).as_str(), Some("a"));
    assert_eq!(
        prop(&out, parent, &["ParentId"]).to_json(),
        serde_json::json!({"Fn::GetAtt": ["ServerlessRestApi", "RootResourceId"]})
    );
    // The integration invokes F; the permission is scoped to the route.
    let uri = prop(&out, "FSecureMethod", &["Integration", "Uri"])
        .to_json()
        .to_string();
    assert!(uri.contains("${F.Arn}"), "{uri}");
    let arn = prop(&out, "FSecurePermissionProd", &["SourceArn"])
        .to_json()
        .to_string();
    assert!(arn.contains("/GET/a/*"), "{arn}");
    assert_eq!(
        prop(&out, "FSecurePermissionProd", &["Principal"]).as_str(),
        Some("apigateway.amazonaws.com")
    );
    // The authorizer resource and its invoke permission exist.
    assert_eq!(
        prop(&out, "ServerlessRestApiMyLambdaAuthorizer", &["Type"]).as_str(),
        Some("TOKEN")
    );
    res(&out, "ServerlessRestApiMyLambdaAuthorizerPermission");
}

#[test]
fn no_api_events_means_no_implicit_api() {
    let out = run("Resources:\n  F: {Type: AWS::Serverless::Function, Properties: {Handler: h}}\n");
    assert!(out.path(&["Resources", IMPLICIT_REST_API]).is_none());
    assert!(out.path(&["Resources", IMPLICIT_HTTP_API]).is_none());
}

#[test]
fn implicit_http_api_routes() {
    let out = run(r"
Globals:
  HttpApi:
    Auth:
      DefaultAuthorizer: Oidc
      Authorizers:
        Oidc:
          JwtConfiguration: {issuer: 'https://i', audience: [a]}
          IdentitySource: $request.header.Authorization
Resources:
  F:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Any: {Type: HttpApi}
        Get: {Type: HttpApi, Properties: {Path: /x, Method: get, Auth: {Authorizer: NONE}}}
");
    assert_eq!(
        res(&out, IMPLICIT_HTTP_API)
            .get("Type")
            .and_then(Node::as_str),
        Some("AWS::ApiGatewayV2::Api")
    );
    assert_eq!(
        prop(
            &out,
            "ServerlessHttpApiApiGatewayDefaultStage",
            &["StageName"]
        )
        .as_str(),
        Some("$default")
    );
    assert_eq!(
        prop(&out, "FAnyRoute", &["RouteKey"]).as_str(),
        Some("$default")
    );
    assert_eq!(
        prop(&out, "FAnyRoute", &["AuthorizationType"]).as_str(),
        Some("JWT")
    );
    assert_eq!(
        prop(&out, "FGetRoute", &["RouteKey"]).as_str(),
        Some("GET /x")
    );
    assert_eq!(
        prop(&out, "FGetRoute", &["AuthorizationType"]).as_str(),
        Some("NONE")
    );
    assert_eq!(
        prop(
            &out,
            "ServerlessHttpApiOidcAuthorizer",
            &["JwtConfiguration", "Issuer"]
        )
        .as_str(),
        Some("https://i")
    );
    let target = prop(&out, "FGetRoute", &["Target"]).to_json().to_string();
    assert!(target.contains("FGetIntegration"), "{target}");
}

#[test]
fn s3_event_adds_bucket_notification_and_permission() {
    let out = run(r"
Resources:
  F:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Up:
          Type: S3
          Properties:
            Bucket: !Ref B
            Events: [s3:ObjectCreated:*, s3:ObjectRemoved:*]
            Filter: {S3Key: {Rules: [{Name: prefix, Value: in/}]}}
  B:
    Type: AWS::S3::Bucket
    Properties:
      NotificationConfiguration:
        QueueConfigurations: [{Event: s3:ObjectCreated:*, Queue: q}]
");
    let configs = prop(
        &out,
        "B",
        &["NotificationConfiguration", "LambdaConfigurations"],
    )
    .as_seq()
    .expect("lambda configurations");
    assert_eq!(configs.len(), 2);
    assert_eq!(
        configs[0].get("Function").map(Node::to_json),
        Some(serde_json::json!({"Fn::GetAtt": ["F", "Arn"]}))
    );
    assert!(configs[0].path(&["Filter", "S3Key"]).is_some());
    // Existing notifications are kept.
    assert!(prop(
        &out,
        "B",
        &["NotificationConfiguration", "QueueConfigurations"]
    )
    .as_seq()
    .is_some());
    assert_eq!(
        strings(res(&out, "B").get("DependsOn").expect("depends")),
        ["FUpPermission"]
    );
    assert_eq!(
        prop(&out, "FUpPermission", &["Principal"]).as_str(),
        Some("s3.amazonaws.com")
    );
    assert_eq!(
        ref_target(prop(&out, "FUpPermission", &["SourceAccount"])),
        Some("AWS::AccountId")
    );
}

#[test]
fn logical_id_collisions_get_a_suffix() {
    let out = run(r"
Resources:
  FRole: {Type: AWS::IAM::Role}
  F: {Type: AWS::Serverless::Function, Properties: {Handler: h}}
");
    assert_eq!(
        res(&out, "FRole").get("Type").and_then(Node::as_str),
        Some("AWS::IAM::Role")
    );
    assert!(
        res(&out, "FRole").path(&["Properties"]).is_none(),
        "user's role untouched"
    );
    assert_eq!(
        prop(&out, "F", &["Role"]).to_json(),
        serde_json::json!({"Fn::GetAtt": ["FRole2", "Arn"]})
    );
    res(&out, "FRole2");
}

#[test]
fn intrinsics_are_carried_over_untouched() {
    let out = run(r"
Resources:
  F:
    Type: AWS::Serverless::Function
    Condition: IsProd
    Properties:
      Environment:
        Variables:
          URL: !Sub 'https://${Api}.execute-api.${AWS::Region}.amazonaws.com'
          IMPORTED: !ImportValue shared-secret
      Events:
        Q: {Type: SQS, Properties: {Queue: !GetAtt Q.Arn}}
");
    assert!(matches!(
        prop(&out, "F", &["Environment", "Variables", "URL"]).kind,
        NodeKind::Tagged(ref t, _) if t == "Sub"
    ));
    assert!(matches!(
        prop(&out, "FQ", &["EventSourceArn"]).kind,
        NodeKind::Tagged(ref t, _) if t == "GetAtt"
    ));
    // Generated resources follow their function's Condition.
    assert_eq!(
        res(&out, "FQ").get("Condition").and_then(Node::as_str),
        Some("IsProd")
    );
    assert_eq!(
        res(&out, "FRole").get("Condition").and_then(Node::as_str),
        Some("IsProd")
    );
}

#[test]
fn deeply_nested_globals_do_not_overflow() {
    let depth = 200;
    let mut nested = String::from("v");
    for _ in 0..depth {
        nested = format!("{{a: {nested}}}");
    }
    let text = format!(
        "Globals:\n  Function:\n    Environment: {nested}\nResources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Environment: {nested}\n"
    );
    let out = run(&text);
    res(&out, "F");
}

#[test]
fn a_declared_serverless_rest_api_is_not_duplicated() {
    let out = run(r"
Resources:
  ServerlessRestApi:
    Type: AWS::Serverless::Api
    Properties:
      StageName: v1
      Auth: {DefaultAuthorizer: AWS_IAM}
  F:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        E: {Type: Api, Properties: {Path: /x, Method: get}}
");
    let count = out
        .get("Resources")
        .and_then(Node::as_map)
        .map(|m| m.iter().filter(|e| e.key == IMPLICIT_REST_API).count());
    assert_eq!(count, Some(1));
    assert_eq!(
        prop(&out, "FEMethod", &["AuthorizationType"]).as_str(),
        Some("AWS_IAM")
    );
    res(&out, "ServerlessRestApiv1Stage");
    res(&out, "FEPermissionv1");
}

#[test]
fn routes_given_by_expressions_stay_unknown() {
    let out = run(r"
Resources:
  F:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        R: {Type: Api, Properties: {Path: !Ref RoutePath, Method: !Ref Verb}}
        H: {Type: HttpApi, Properties: {Path: !Sub '/${Stage}/x', Method: get}}
");
    assert!(prop(&out, "FRMethod", &["ResourceId"]).is_unknown());
    assert!(prop(&out, "FRMethod", &["HttpMethod"]).is_unknown());
    assert_eq!(
        prop(&out, "FRMethod", &["AuthorizationType"]).as_str(),
        Some("NONE")
    );
    assert!(prop(&out, "FHRoute", &["RouteKey"]).is_unknown());
}

#[test]
fn shared_usage_plan_lists_every_api_stage() {
    let out = run(r"
Resources:
  ServerlessUsagePlan: {Type: AWS::SNS::Topic}
  A:
    Type: AWS::Serverless::Api
    Properties:
      StageName: a
      Auth: {UsagePlan: {CreateUsagePlan: SHARED, Throttle: {RateLimit: 5}}}
  B:
    Type: AWS::Serverless::Api
    Properties:
      StageName: b
      Auth: {UsagePlan: {CreateUsagePlan: SHARED}}
");
    assert!(
        res(&out, "ServerlessUsagePlan").get("Properties").is_none(),
        "user's resource untouched"
    );
    let stages = prop(&out, "ServerlessUsagePlan2", &["ApiStages"]).to_json();
    assert_eq!(stages[0]["Stage"], serde_json::json!({"Ref": "AaStage"}));
    assert_eq!(stages[1]["Stage"], serde_json::json!({"Ref": "BbStage"}));
    assert_eq!(
        prop(&out, "ServerlessUsagePlan2", &["Throttle", "RateLimit"]).as_i64(),
        Some(5)
    );
}

#[test]
fn untranslated_resources_and_sections_move_out_as_written() {
    let text = "\
Transform: [AWS::Serverless-2016-10-31, Other]
Globals:
  Function: {Timeout: 9, Tags: {team: a}}
Parameters:
  P: {Type: String}
Resources:
  Machine:
    Type: AWS::Serverless::StateMachine
    Properties: {Definition: {StartAt: A}, Tags: {x: y}}
  Odd:
    Type: AWS::Serverless::Function
    Properties: not a map
  Queue:
    Type: AWS::SQS::Queue
    Properties: {QueueName: !Ref P}
Outputs:
  Q: {Value: !Ref Queue}
";
    let input = parse(text);
    let out = run(text);
    for id in ["Machine", "Queue"] {
        assert_eq!(
            res(&out, id),
            input.path(&["Resources", id]).unwrap(),
            "{id}"
        );
    }
    for section in ["Parameters", "Outputs"] {
        assert_eq!(out.get(section), input.get(section), "{section}");
    }
    assert_eq!(strings(out.get("Transform").unwrap()), ["Other"]);
    assert!(out.get("Globals").is_none());
    // A function whose Properties are not a map gets only its Globals.
    assert_eq!(
        prop(&out, "Odd", &["Timeout"]).to_json(),
        serde_json::json!(9)
    );
}

#[test]
fn sanitized_ids_keep_the_ascii_alphanumeric_characters() {
    for text in [
        "",
        "Plain1",
        "with-dash_and.dot",
        "é1ü2",
        "日本Api",
        "a b\tc",
        "ß/x",
    ] {
        let by_chars: String = text.chars().filter(char::is_ascii_alphanumeric).collect();
        assert_eq!(sanitize_id(text), by_chars, "{text:?}");
    }
}

#[test]
fn take_prop_moves_from_owned_and_copies_from_borrowed_properties() {
    let props = parse("Runtime: python3.12\nLayers: [a, b]\nTimeout: null\n");
    let resource = parse("Type: AWS::Serverless::Function\n");
    fn source<'a>(resource: &'a Node, props: Cow<'a, Node>) -> Source<'a> {
        Source {
            id: "F",
            key_loc: Loc::default(),
            resource,
            props,
        }
    }
    let mut owned = source(&resource, Cow::Owned(props.clone()));
    let mut borrowed = source(&resource, Cow::Borrowed(&props));
    for key in ["Runtime", "Layers", "Timeout", "Missing"] {
        let expected = props.get(key).filter(|v| !v.is_null()).cloned();
        assert_eq!(borrowed.take_prop(key), expected, "{key}");
        assert_eq!(
            borrowed.prop(key),
            expected.as_ref(),
            "{key} still readable"
        );
        assert_eq!(owned.take_prop(key), expected, "{key}");
        assert_eq!(owned.prop(key), None, "{key} reads as absent once taken");
    }
}
