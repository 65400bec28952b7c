//! CloudFormation loader over realistic fixture templates.

use fnguard_core::{Field, Loc};
use fnguard_model::cfn;
use fnguard_model::*;

fn fixture(name: &str) -> (String, String) {
    let path = format!("{}/tests/fixtures/cfn/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("fixture exists");
    (name.to_string(), text)
}

fn load(name: &str) -> Deployment {
    let (path, text) = fixture(name);
    cfn::load(&path, &text).expect("fixture loads")
}

fn line(loc: Option<Loc>) -> u32 {
    loc.expect("has a location").line
}

#[test]
fn orders_function_fields_and_links() {
    let dep = load("orders-api.yaml");
    assert_eq!(dep.format, SourceFormat::CloudFormation);
    let f = dep.function("OrdersFunction").expect("function");
    assert_eq!(f.loc.line, 72);
    assert_eq!(f.name.as_deref(), Some("orders-prod"));
    assert_eq!(line(f.name.loc()), 80);
    assert_eq!(f.runtime.as_deref(), Some("python3.12"));
    assert_eq!(
        f.code.as_deref(),
        Some("s3://artifacts-bucket/orders/prod/code.zip")
    );
    assert_eq!(
        f.role,
        Field::Known(Ref::Local("OrdersRole".into()), f.role.loc().unwrap())
    );
    assert_eq!(line(f.role.loc()), 87);
    // Condition IsProd is true: Active.
    assert_eq!(f.tracing.as_deref(), Some("Active"));
    assert_eq!(line(f.tracing.loc()), 103);
    assert_eq!(f.log_format.as_deref(), Some("JSON"));
    // HasBucket depends on AWS::StackName: unknown, the branches differ.
    assert!(f.dead_letter.is_unknown());
    assert_eq!(f.ignores.len(), 1);
    assert_eq!(f.ignores[0].rule_id, "FG-RT-002");
    assert!(f.reserved_concurrency.is_absent());
    let vpc = f.vpc.value().expect("vpc known");
    assert_eq!(vpc.security_groups, vec![Ref::Local("FunctionSg".into())]);
    assert_eq!(
        vpc.subnets,
        vec![
            Ref::External("subnet-1".into()),
            Ref::External("subnet-2".into())
        ]
    );
    // Triggers: the REST API (methods and permission) and the table stream.
    let kinds: Vec<_> = f
        .triggers
        .iter()
        .map(|t| (t.kind, t.source.clone()))
        .collect();
    assert!(kinds.contains(&(TriggerKind::RestApi, Ref::Local("OrdersApi".into()))));
    assert!(kinds.contains(&(
        TriggerKind::DynamoDbStream,
        Ref::Local("OrdersTable".into())
    )));
    assert_eq!(kinds.len(), 2, "{kinds:?}");
    // The RDS instance is reached through DB_HOST and the role policy.
    assert!(f.internal_refs.iter().any(|r| r.what.contains("DB_HOST")));
    assert!(f
        .internal_refs
        .iter()
        .any(|r| r.what.contains("policy of role OrdersRole")));
}

#[test]
fn orders_environment_values() {
    let dep = load("orders-api.yaml");
    let f = dep.function("OrdersFunction").expect("function");
    let env = |name: &str| {
        f.environment
            .iter()
            .find(|e| e.name == name)
            .map(|e| e.value.clone())
    };
    assert_eq!(env("TABLE_NAME"), Some(EnvValue::Unknown));
    assert_eq!(env("STAGE"), Some(EnvValue::Literal("prod".into())));
    assert_eq!(
        env("DB_PASSWORD"),
        Some(EnvValue::Reference("NoEcho parameter DbPassword".into()))
    );
    assert!(matches!(env("API_SECRET"), Some(EnvValue::Reference(_))));
    assert!(matches!(env("SECRET_ARN"), Some(EnvValue::Reference(r)) if r.contains("DbSecret")));
    assert_eq!(env("DB_HOST"), Some(EnvValue::Unknown));
    assert_eq!(
        env("LEGACY_TOKEN"),
        Some(EnvValue::Literal("abc123plain".into()))
    );
    assert_eq!(env("FROM_IMPORT"), Some(EnvValue::Unknown));
    // AWS::NoValue in prod removes the variable.
    assert_eq!(env("REGION_ONLY"), None);
    let table = f
        .environment
        .iter()
        .find(|e| e.name == "TABLE_NAME")
        .unwrap();
    assert_eq!(table.loc.line, 90);
}

#[test]
fn orders_role_policies() {
    let dep = load("orders-api.yaml");
    let role = dep.role("OrdersRole").expect("role");
    assert_eq!(role.loc.line, 39);
    assert!(!role.implicit);
    let trust = role.trust.as_ref().expect("trust");
    assert_eq!(trust.statements.len(), 1);
    assert_eq!(role.managed_policy_arns.len(), 1);
    assert_eq!(
        role.managed_policy_arns[0].as_deref(),
        Some("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
    );
    let names: Vec<_> = role
        .policies
        .iter()
        .map(|p| (p.name.as_str(), p.origin))
        .collect();
    assert!(names.contains(&("table-access", PolicyOrigin::Inline)));
    assert!(names.contains(&("OrdersExtraPolicy", PolicyOrigin::CustomerManaged)));
    let table = role
        .policies
        .iter()
        .find(|p| p.name == "table-access")
        .unwrap();
    // GetAtt Table.Arn becomes a placeholder naming the table, not unknown.
    let fnguard_iam::ResourceSet::Resource(res) = &table.policy.statements[0].resources else {
        panic!("resource set");
    };
    assert_eq!(res[0].as_str(), Some("${OrdersTable.Arn}"));
}

#[test]
fn orders_api_routes_and_settings() {
    let dep = load("orders-api.yaml");
    let api = dep.api("OrdersApi").expect("api");
    assert_eq!(api.kind, ApiKind::Rest);
    let get = api.routes.iter().find(|r| r.method == "GET").expect("GET");
    assert_eq!(get.path, "/orders/{id}");
    assert_eq!(get.loc.line, 136);
    assert_eq!(get.auth.value(), Some(&AuthKind::None));
    assert_eq!(get.function.as_deref(), Some("OrdersFunction"));
    let post = api
        .routes
        .iter()
        .find(|r| r.method == "POST")
        .expect("POST");
    assert_eq!(post.path, "/orders");
    assert_eq!(post.auth.value(), Some(&AuthKind::Iam));
    assert_eq!(api.request_validation.value(), Some(&true));
    assert_eq!(api.throttling.value(), Some(&true));
    assert_eq!(line(api.throttling.loc()), 172);
    assert_eq!(api.tracing.value(), Some(&true));
    assert!(api.access_logging.is_absent());
    assert_eq!(api.waf.value(), Some(&true));
    assert_eq!(line(api.waf.loc()), 174);
}

#[test]
fn orders_other_elements() {
    let dep = load("orders-api.yaml");
    // DevOnlyFunction's condition IsDev is false: not deployed.
    assert!(dep.function("DevOnlyFunction").is_none());
    assert_eq!(dep.functions.len(), 1);
    let lg = &dep.log_groups[0];
    assert_eq!(lg.function.as_deref(), Some("OrdersFunction"));
    assert_eq!(lg.retention_days.value(), Some(&30));
    let sg = dep.security_group("FunctionSg").expect("sg");
    assert_eq!(sg.egress.len(), 1);
    assert!(sg.egress[0].implicit);
    assert_eq!(sg.egress[0].cidr.as_deref(), Some("0.0.0.0/0"));
    let alarm = &dep.alarms[0];
    assert_eq!(alarm.metrics[0].function.as_deref(), Some("OrdersFunction"));
    assert_eq!(alarm.metrics[0].metric_name.as_deref(), Some("Errors"));
    let perm = &dep.permissions[0];
    assert_eq!(perm.function, Ref::Local("OrdersFunction".into()));
    assert_eq!(perm.principal.as_deref(), Some("apigateway.amazonaws.com"));
    assert!(perm
        .source_arn
        .as_deref()
        .is_some_and(|s| s.contains("${OrdersApi}")));
    let params: Vec<_> = dep
        .parameters
        .iter()
        .map(|p| (p.id.as_str(), p.no_echo))
        .collect();
    assert!(params.contains(&("DbPassword", true)));
    let admin = dep
        .parameters
        .iter()
        .find(|p| p.id == "AdminPassword")
        .unwrap();
    assert_eq!(admin.default.as_deref(), Some("SuperSecret123!"));
    assert!(dep.warnings.is_empty(), "{:?}", dep.warnings);
}

#[test]
fn json_template_links() {
    let dep = load("events.json");
    let f = dep.function("Worker").expect("worker");
    assert_eq!(f.name.as_deref(), Some("image-worker"));
    assert_eq!(f.package_type.as_deref(), Some("Image"));
    assert!(f.runtime.is_absent());
    assert_eq!(
        f.code.as_deref(),
        Some("111122223333.dkr.ecr.us-east-1.amazonaws.com/worker:1")
    );
    assert_eq!(f.code_signing.value(), Some(&Ref::Local("Signing".into())));
    assert_eq!(f.reserved_concurrency.value(), Some(&5));
    assert_eq!(f.layers.len(), 2);
    assert_eq!(f.layers[0].as_deref(), Some("${SharedLayer}"));
    assert!(f
        .on_failure
        .as_deref()
        .is_some_and(|d| d.contains("FailureQueue")));
    let env_cache = f
        .environment
        .iter()
        .find(|e| e.name == "CACHE_URL")
        .unwrap();
    assert!(matches!(env_cache.value, EnvValue::Literal(_)));
    let env_param = f.environment.iter().find(|e| e.name == "PARAM").unwrap();
    assert!(matches!(env_param.value, EnvValue::Reference(_)));
    assert!(f
        .internal_refs
        .iter()
        .any(|r| r.what.contains("cache.amazonaws.com")));
    assert!(f.internal_refs.iter().any(|r| r.what.contains("Cache")));
    let kinds: Vec<_> = f.triggers.iter().map(|t| t.kind).collect();
    for want in [
        TriggerKind::FunctionUrl,
        TriggerKind::S3,
        TriggerKind::Sns,
        TriggerKind::Schedule,
        TriggerKind::HttpApi,
    ] {
        assert!(kinds.contains(&want), "{want:?} in {kinds:?}");
    }
    assert!(f.is_async());
    assert!(f.has_http_trigger());
}

#[test]
fn json_template_elements() {
    let dep = load("events.json");
    let role = dep.role("WorkerRole").expect("role");
    assert!(role.implicit);
    assert_eq!(role.ignores[0].rule_id, "FG-IAM-005");
    assert_eq!(role.policies.len(), 1);
    assert_eq!(role.policies[0].name, "worker");
    assert_eq!(
        role.permissions_boundary.as_deref(),
        Some("arn:aws:iam::${AWS::AccountId}:policy/boundary")
    );
    let csc = dep.code_signing_config("Signing").expect("csc");
    assert_eq!(csc.untrusted_artifact_policy.as_deref(), Some("Warn"));
    let url = &dep.function_urls[0];
    assert_eq!(url.function, Ref::Local("Worker".into()));
    assert_eq!(url.auth_type.as_deref(), Some("NONE"));
    let cors = url.cors.as_ref().expect("cors");
    assert_eq!(cors.allow_origins[0].as_deref(), Some("*"));
    assert_eq!(cors.allow_credentials.value(), Some(&true));
    // Matched by literal function name.
    let perm = dep
        .permissions
        .iter()
        .find(|p| p.id == "PublicInvoke")
        .unwrap();
    assert_eq!(perm.function, Ref::Local("Worker".into()));
    assert!(perm.source_arn.is_absent());
    let sg = dep.security_group("WorkerSg").unwrap();
    assert_eq!(sg.egress.len(), 2);
    assert!(!sg.egress[0].implicit);
    assert_eq!(sg.egress[0].from_port.value(), Some(&443));
    assert_eq!(sg.egress[1].cidr.as_deref(), Some("::/0"));
    assert_eq!(dep.log_groups[0].function.as_deref(), Some("Worker"));
    assert!(dep.log_groups[0].retention_days.is_absent());
    let metrics = &dep.alarms[0].metrics;
    assert_eq!(metrics.len(), 2);
    assert_eq!(metrics[0].function.as_deref(), Some("Worker"));
    assert!(metrics[1].function_unknown);
    let http = dep.api("HttpApi").expect("http api");
    assert_eq!(http.kind, ApiKind::Http);
    assert_eq!(http.routes[0].method, "POST");
    assert_eq!(http.routes[0].path, "/images");
    assert_eq!(http.routes[0].auth.value(), Some(&AuthKind::Jwt));
    assert_eq!(http.routes[0].function.as_deref(), Some("Worker"));
    assert_eq!(http.access_logging.value(), Some(&true));
    assert_eq!(http.throttling.value(), Some(&true));
    assert!(http.waf.is_absent());
    let quick = dep.api("QuickApi").expect("quick");
    assert_eq!(quick.routes[0].path, "$default");
    assert_eq!(quick.routes[0].auth.value(), Some(&AuthKind::None));
    let trail = dep.trails.iter().find(|t| t.id == "Trail").unwrap();
    assert_eq!(trail.lambda_data_events.value(), Some(&true));
    let mgmt = dep
        .trails
        .iter()
        .find(|t| t.id == "ManagementTrail")
        .unwrap();
    assert_eq!(mgmt.lambda_data_events.value(), Some(&false));
    // The malformed function is a warning, the rest still loads.
    assert!(dep.warnings.iter().any(|w| w.message.contains("Weird")));
    assert!(dep.function("Weird").is_none());
}

#[test]
fn malformed_yaml_names_line_and_column() {
    let text = "Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties: {Runtime: [python3.12\n";
    let err = cfn::load("bad.yaml", text).expect_err("malformed");
    assert_eq!(err.path, "bad.yaml");
    assert!(err.line >= 4, "{err}");
    assert!(err.col >= 1);
    assert!(err.to_string().starts_with("bad.yaml:"));
}

#[test]
fn malformed_json_names_line() {
    let text = "{\n  \"Resources\": {\n    \"Fn\": {\"Type\": \"AWS::Lambda::Function\",}\n  }\n";
    let err = cfn::load("bad.json", text).expect_err("malformed");
    assert!(err.line >= 3, "{err}");
}

#[test]
fn inline_ignores_are_collected() {
    let text = "Resources:\n  # fnguard:ignore FG-TRIG-002 internal tool\n  Url:\n    Type: AWS::Lambda::Url\n    Properties: {AuthType: NONE, TargetFunctionArn: arn:aws:lambda:us-east-1:1:function:x}\n";
    let dep = cfn::load("t.yaml", text).expect("loads");
    assert_eq!(dep.inline_ignores.len(), 1);
    assert_eq!(dep.inline_ignores[0].target_line, 3);
    assert_eq!(
        dep.function_urls[0].function,
        Ref::External("arn:aws:lambda:us-east-1:1:function:x".into())
    );
}

#[test]
fn sam_templates_are_detected() {
    let text = "Transform: AWS::Serverless-2016-10-31\nResources: {}\n";
    let dep = cfn::load("t.yaml", text).expect("loads");
    assert_eq!(dep.format, SourceFormat::Sam);
}

#[test]
fn load_from_root_keeps_format_and_files() {
    let root = fnguard_model::yaml::parse(
        "Resources:\n  R:\n    Type: AWS::IAM::Role\n    Metadata: {fnguard: {implicit: true}}\n",
        0,
        "serverless.yml",
    )
    .expect("parses");
    let dep = cfn::load_from_root(
        &root,
        vec!["serverless.yml".into()],
        SourceFormat::Serverless,
    )
    .expect("loads");
    assert_eq!(dep.format, SourceFormat::Serverless);
    assert!(dep.roles[0].implicit);
    assert!(dep.roles[0].trust.is_none());
}

#[test]
fn openapi_body_routes() {
    let text = r#"
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Runtime: nodejs20.x, Handler: i.h, Code: {ZipFile: x}, Role: arn:aws:iam::1:role/r}
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties:
      EndpointConfiguration: {Types: [PRIVATE]}
      Policy:
        Statement: [{Effect: Allow, Principal: '*', Action: execute-api:Invoke, Resource: '*'}]
      Body:
        openapi: 3.0.1
        x-amazon-apigateway-request-validators: {all: {validateRequestBody: true}}
        components:
          securitySchemes:
            key: {type: apiKey, name: x-api-key, in: header}
            pool:
              type: apiKey
              name: Authorization
              in: header
              x-amazon-apigateway-authtype: cognito_user_pools
              x-amazon-apigateway-authorizer: {type: cognito_user_pools, providerARNs: [arn]}
        paths:
          /open:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations
          /keyed:
            post:
              security: [{key: []}]
              x-amazon-apigateway-request-validator: all
          /users:
            x-amazon-apigateway-any-method:
              security: [{pool: []}]
"#;
    let dep = cfn::load("t.yaml", text).expect("loads");
    let api = dep.api("Api").expect("api");
    assert_eq!(api.private_endpoint.value(), Some(&true));
    assert!(api.resource_policy.is_some());
    assert_eq!(api.routes.len(), 3);
    let open = &api.routes[0];
    assert_eq!((open.method.as_str(), open.path.as_str()), ("GET", "/open"));
    assert_eq!(open.auth.value(), Some(&AuthKind::None));
    assert_eq!(open.function.as_deref(), Some("Fn"));
    let keyed = &api.routes[1];
    assert_eq!(keyed.auth.value(), Some(&AuthKind::None));
    assert_eq!(keyed.api_key_required.value(), Some(&true));
    assert_eq!(api.routes[2].method, "ANY");
    assert_eq!(api.routes[2].auth.value(), Some(&AuthKind::Cognito));
    assert_eq!(api.request_validation.value(), Some(&true));
    let f = dep.function("Fn").unwrap();
    assert_eq!(f.triggers[0].kind, TriggerKind::RestApi);
    assert_eq!(
        f.role.value(),
        Some(&Ref::External("arn:aws:iam::1:role/r".into()))
    );
}

#[test]
fn unknown_values_stay_unknown() {
    let text = r#"
Parameters:
  RoleArn: {Type: String}
  Auth: {Type: String}
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Role: !Ref RoleArn
      Runtime: !ImportValue runtime
      Environment:
        Variables:
          X: !Sub '${AWS::StackName}-x'
  Url:
    Type: AWS::Lambda::Url
    Properties: {TargetFunctionArn: !Ref Fn, AuthType: !Ref Auth}
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties: {ProtocolType: HTTP}
  Route:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Api, RouteKey: GET /x, AuthorizationType: !Ref Auth}
"#;
    let dep = cfn::load("t.yaml", text).expect("loads");
    let f = dep.function("Fn").unwrap();
    assert!(f.role.is_unknown());
    assert!(f.runtime.is_unknown());
    assert_eq!(f.environment[0].value, EnvValue::Unknown);
    assert!(dep.function_urls[0].auth_type.is_unknown());
    assert!(dep.api("Api").unwrap().routes[0].auth.is_unknown());
}

#[test]
fn hostile_inputs_do_not_panic() {
    // Non-map Resources entries, wrong shapes everywhere, self-referencing
    // conditions, a GetAtt to nothing.
    let text = r#"
Conditions:
  A: !Condition B
  B: !Condition A
Resources:
  Str: hello
  NoType: {Properties: {}}
  Fn:
    Type: AWS::Lambda::Function
    Condition: A
    Properties:
      Role: !GetAtt Missing.Arn
      Environment: {Variables: [a, b]}
      VpcConfig: 5
      Layers: {a: b}
  Perm:
    Type: AWS::Lambda::Permission
    Properties: {FunctionName: [1, 2], Principal: {x: 1}}
  Method:
    Type: AWS::ApiGateway::Method
    Properties: {RestApiId: !Ref Nope}
  Res:
    Type: AWS::ApiGateway::Resource
    Properties: {ParentId: !Ref Res, PathPart: loop}
  Sg: {Type: AWS::EC2::SecurityGroup, Properties: {SecurityGroupEgress: 7}}
  Trail: {Type: AWS::CloudTrail::Trail, Properties: {EventSelectors: x}}
"#;
    let dep = cfn::load("t.yaml", text).expect("loads despite shapes");
    assert!(dep.function("Fn").unwrap().role.is_unknown());
    assert!(dep.warnings.len() >= 2);
}

#[test]
fn env_values_built_from_resources() {
    let text = r#"
Resources:
  Db: {Type: AWS::RDS::DBCluster}
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Environment:
        Variables:
          DATABASE_URL: !Sub 'postgres://app:hunter2@${Db.Endpoint.Address}:5432/app'
          DB_ENDPOINT: !Sub '${Db.Endpoint.Address}:${Db.Endpoint.Port}'
          DB_PORT: !GetAtt Db.Endpoint.Port
"#;
    let dep = cfn::load("t.yaml", text).expect("loads");
    let f = dep.function("Fn").unwrap();
    assert_eq!(
        f.environment[0].value,
        EnvValue::Literal("postgres://app:hunter2@${Db.Endpoint.Address}:5432/app".into())
    );
    assert_eq!(f.environment[1].value, EnvValue::Unknown);
    assert_eq!(f.environment[2].value, EnvValue::Unknown);
    assert_eq!(f.internal_refs.len(), 3);
    assert!(f.vpc.is_absent());
}

#[test]
fn more_event_sources_and_policies() {
    let text = r#"
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      RoleName: worker-role
      AssumeRolePolicyDocument: {Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]}
  ByName:
    Type: AWS::IAM::RolePolicy
    Properties:
      RoleName: worker-role
      PolicyName: extra
      PolicyDocument: {Statement: [{Effect: Allow, Action: iam:PassRole, Resource: '*'}]}
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: worker
      Role: !Sub 'arn:aws:iam::${AWS::AccountId}:role/worker-role'
  Live:
    Type: AWS::Lambda::Alias
    Properties: {FunctionName: !Ref Fn, FunctionVersion: '1', Name: live}
  Queue: {Type: AWS::SQS::Queue}
  FromQueue:
    Type: AWS::Lambda::EventSourceMapping
    Properties: {FunctionName: !Ref Live, EventSourceArn: !GetAtt Queue.Arn}
  FromKinesis:
    Type: AWS::Lambda::EventSourceMapping
    Properties: {FunctionName: worker, EventSourceArn: 'arn:aws:kinesis:us-east-1:111122223333:stream/s'}
  Sub:
    Type: AWS::SNS::Subscription
    Properties: {Protocol: lambda, Endpoint: !GetAtt Fn.Arn, TopicArn: 'arn:aws:sns:us-east-1:111122223333:t'}
  Every:
    Type: AWS::Scheduler::Schedule
    Properties: {ScheduleExpression: rate(5 minutes), FlexibleTimeWindow: {Mode: 'OFF'}, Target: {Arn: !GetAtt Fn.Arn, RoleArn: x}}
  Cron:
    Type: AWS::Events::Rule
    Properties: {ScheduleExpression: cron(0 1 * * ? *)}
  CronPerm:
    Type: AWS::Lambda::Permission
    Properties: {FunctionName: !Ref Fn, Action: lambda:InvokeFunction, Principal: events.amazonaws.com, SourceArn: !GetAtt Cron.Arn}
  LogsPerm:
    Type: AWS::Lambda::Permission
    Properties: {FunctionName: !Ref Fn, Action: lambda:InvokeFunction, Principal: logs.amazonaws.com}
  Api: {Type: AWS::ApiGateway::RestApi, Properties: {Name: a}}
  Plan:
    Type: AWS::ApiGateway::UsagePlan
    Properties:
      ApiStages: [{ApiId: !Ref Api, Stage: prod}]
      Throttle: {RateLimit: 10, BurstLimit: 5}
  Deploy:
    Type: AWS::ApiGateway::Deployment
    Properties:
      RestApiId: !Ref Api
      StageDescription: {AccessLogSetting: {DestinationArn: arn:aws:logs:us-east-1:1:log-group:x}}
  Ws:
    Type: AWS::ApiGatewayV2::Api
    Properties: {ProtocolType: WEBSOCKET, RouteSelectionExpression: $request.body.action}
  WsInt:
    Type: AWS::ApiGatewayV2::Integration
    Properties: {ApiId: !Ref Ws, IntegrationType: AWS_PROXY, IntegrationUri: !Sub 'arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations'}
  WsConnect:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Ws, RouteKey: $connect, AuthorizationType: CUSTOM, Target: !Sub 'integrations/${WsInt}'}
"#;
    let dep = cfn::load("t.yaml", text).expect("loads");
    let f = dep.function("Fn").unwrap();
    assert_eq!(f.role.value(), Some(&Ref::Local("Role".into())));
    let role = dep.role("Role").unwrap();
    assert_eq!(role.policies.len(), 1);
    assert_eq!(role.policies[0].name, "extra");
    let triggers: Vec<_> = f
        .triggers
        .iter()
        .map(|t| (t.kind, t.source.clone()))
        .collect();
    let want = [
        (TriggerKind::Sqs, Ref::Local("Queue".into())),
        (
            TriggerKind::Kinesis,
            Ref::External("arn:aws:kinesis:us-east-1:111122223333:stream/s".into()),
        ),
        (
            TriggerKind::Sns,
            Ref::External("arn:aws:sns:us-east-1:111122223333:t".into()),
        ),
        (TriggerKind::Schedule, Ref::Local("Every".into())),
        (TriggerKind::Schedule, Ref::Local("Cron".into())),
        (TriggerKind::CloudWatchLogs, Ref::Unknown),
        (TriggerKind::WebSocketApi, Ref::Local("Ws".into())),
    ];
    for w in &want {
        assert!(triggers.contains(w), "{w:?} in {triggers:?}");
    }
    assert_eq!(triggers.len(), want.len(), "{triggers:?}");
    let api = dep.api("Api").unwrap();
    assert_eq!(api.throttling.value(), Some(&true));
    assert_eq!(api.access_logging.value(), Some(&true));
    assert!(api.waf.is_absent());
    let ws = dep.api("Ws").unwrap();
    assert_eq!(ws.kind, ApiKind::WebSocket);
    assert_eq!(ws.routes[0].path, "$connect");
    assert_eq!(ws.routes[0].auth.value(), Some(&AuthKind::Lambda));
    assert_eq!(ws.routes[0].function.as_deref(), Some("Fn"));
}

#[test]
fn deeply_nested_properties_do_not_overflow() {
    // Block-style nesting close to the parser's depth cap, inside a policy
    // document and inside intrinsics, on a normal test thread.
    let mut text = String::from(
        "Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      Policies:\n        - PolicyName: p\n          PolicyDocument:\n",
    );
    let mut indent = 12;
    for _ in 0..80 {
        text.push_str(&" ".repeat(indent));
        text.push_str("Fn::Join:\n");
        text.push_str(&" ".repeat(indent + 2));
        text.push_str("- ''\n");
        text.push_str(&" ".repeat(indent + 2));
        text.push_str("-\n");
        indent += 4;
        text.push_str(&" ".repeat(indent));
        text.push_str("- \n");
        indent += 2;
        if indent > 900 {
            break;
        }
    }
    text.push_str(&" ".repeat(indent));
    text.push_str("x: 1\n");
    let dep = cfn::load("deep.yaml", &text).expect("loads below the depth cap");
    assert_eq!(dep.roles.len(), 1);
    assert_eq!(dep.roles[0].policies.len(), 1);
}

#[test]
fn for_each_is_a_warning() {
    let text = "Transform: AWS::LanguageExtensions\nResources:\n  Fn::ForEach::Topics:\n    - Name\n    - [a, b]\n    - Topic${Name}: {Type: AWS::SNS::Topic}\n";
    let dep = cfn::load("t.yaml", text).expect("loads");
    assert!(dep.warnings[0].message.contains("Fn::ForEach"));
    assert_eq!(dep.warnings[0].loc.line, 3);
}

#[test]
fn ssm_typed_parameters_are_references() {
    let text = "Parameters:\n  ApiKeyParam:\n    Type: AWS::SSM::Parameter::Value<String>\n    Default: /orders/api-key\nResources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n      Environment:\n        Variables:\n          API_KEY: !Ref ApiKeyParam\n";
    let dep = cfn::load("t.yaml", text).expect("loads");
    let f = dep.function("Fn").unwrap();
    assert_eq!(
        f.environment[0].value,
        EnvValue::Reference("SSM parameter ApiKeyParam".into())
    );
    assert_eq!(
        dep.parameters[0].default.as_deref(),
        Some("/orders/api-key")
    );
}

#[test]
fn log_groups_named_by_logging_config_and_waf_by_stage() {
    let text = r#"
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      LoggingConfig: {LogGroup: !Ref Custom, LogFormat: Text}
  Custom:
    Type: AWS::Logs::LogGroup
    Properties: {RetentionInDays: 7}
  Other:
    Type: AWS::Logs::LogGroup
    Properties: {LogGroupName: shared-logs}
  Api: {Type: AWS::ApiGateway::RestApi, Properties: {Name: a}}
  Prod:
    Type: AWS::ApiGateway::Stage
    Properties: {RestApiId: !Ref Api, StageName: prod}
  Waf:
    Type: AWS::WAFRegional::WebACLAssociation
    Properties:
      ResourceArn: !Join ['', ['arn:aws:apigateway:', !Ref 'AWS::Region', '::/restapis/x/stages/', !Ref Prod]]
      WebACLId: abc
"#;
    let dep = cfn::load("t.yaml", text).expect("loads");
    let custom = dep.log_groups.iter().find(|l| l.id == "Custom").unwrap();
    assert_eq!(custom.function.as_deref(), Some("Fn"));
    let other = dep.log_groups.iter().find(|l| l.id == "Other").unwrap();
    assert_eq!(other.function, None);
    assert_eq!(
        dep.function("Fn").unwrap().log_format.as_deref(),
        Some("Text")
    );
    assert_eq!(dep.api("Api").unwrap().waf.value(), Some(&true));
}

#[test]
fn basic_trail_selectors_and_service_principals() {
    let text = r#"
Resources:
  Trail:
    Type: AWS::CloudTrail::Trail
    Properties:
      IsLogging: true
      EventSelectors:
        - ReadWriteType: All
          DataResources:
            - Type: AWS::S3::Object
              Values: ['arn:aws:s3']
            - Type: AWS::Lambda::Function
              Values: ['arn:aws:lambda']
  S3Only:
    Type: AWS::CloudTrail::Trail
    Properties:
      EventSelectors: [{DataResources: [{Type: AWS::S3::Object, Values: ['arn:aws:s3']}]}]
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Code: {ZipFile: 'def handler(e, c): pass'}, Runtime: python3.9, Handler: index.handler}
  Alexa:
    Type: AWS::Lambda::Permission
    Properties: {FunctionName: !Ref Fn, Action: lambda:InvokeFunction, Principal: alexa-appkit.amazon.com, EventSourceToken: amzn1.ask.skill.x}
  Pool:
    Type: AWS::Lambda::Permission
    Properties: {FunctionName: !GetAtt Fn.Arn, Action: lambda:InvokeFunction, Principal: cognito-idp.amazonaws.com, SourceArn: !GetAtt UserPool.Arn}
  UserPool: {Type: AWS::Cognito::UserPool}
  Cross:
    Type: AWS::Lambda::Permission
    Properties: {FunctionName: !Ref Fn, Action: lambda:InvokeFunction, Principal: '444455556666'}
"#;
    let dep = cfn::load("t.yaml", text).expect("loads");
    let trail = dep.trails.iter().find(|t| t.id == "Trail").unwrap();
    assert_eq!(trail.lambda_data_events.value(), Some(&true));
    assert_eq!(line(trail.lambda_data_events.loc()), 12);
    let s3 = dep.trails.iter().find(|t| t.id == "S3Only").unwrap();
    assert_eq!(s3.lambda_data_events.value(), Some(&false));
    let f = dep.function("Fn").unwrap();
    assert_eq!(f.code.as_deref(), Some("<inline ZipFile>"));
    let triggers: Vec<_> = f
        .triggers
        .iter()
        .map(|t| (t.kind, t.source.clone()))
        .collect();
    assert_eq!(
        triggers,
        vec![
            (TriggerKind::Alexa, Ref::Unknown),
            (TriggerKind::Cognito, Ref::Local("UserPool".into())),
        ]
    );
    let alexa = dep.permissions.iter().find(|p| p.id == "Alexa").unwrap();
    assert_eq!(
        alexa.event_source_token.as_deref(),
        Some("amzn1.ask.skill.x")
    );
    let cross = dep.permissions.iter().find(|p| p.id == "Cross").unwrap();
    assert_eq!(cross.principal.as_deref(), Some("444455556666"));
    assert_eq!(cross.function, Ref::Local("Fn".into()));
}

/// Regression: an unknown `SubnetIds` (a list parameter without default)
/// made the whole `VpcConfig` unknown, so the function's security groups
/// were lost and their open egress (FG-NET-002) went unreported.
#[test]
fn vpc_config_with_unknown_subnets_keeps_security_groups() {
    let text = r#"
Parameters:
  Subnets: {Type: 'List<AWS::EC2::Subnet::Id>'}
  Groups: {Type: 'List<AWS::EC2::SecurityGroup::Id>'}
Resources:
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties: {GroupDescription: fn, VpcId: vpc-1}
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      VpcConfig:
        SubnetIds: !Ref Subnets
        SecurityGroupIds: [!Ref Sg]
  Both:
    Type: AWS::Lambda::Function
    Properties:
      VpcConfig:
        SubnetIds: !Ref Subnets
        SecurityGroupIds: !Ref Groups
  Imported:
    Type: AWS::Lambda::Function
    Properties:
      VpcConfig:
        SubnetIds: [!ImportValue net-subnet-a, subnet-2]
        SecurityGroupIds: [!GetAtt Sg.GroupId]
"#;
    let dep = cfn::load("t.yaml", text).expect("loads");
    let vpc = dep.function("Fn").unwrap().vpc.value().expect("known vpc");
    assert_eq!(vpc.security_groups, vec![Ref::Local("Sg".into())]);
    assert_eq!(vpc.subnets, vec![Ref::Unknown]);
    // Both lists unknown: still attached, nothing known about the groups.
    let vpc = dep
        .function("Both")
        .unwrap()
        .vpc
        .value()
        .expect("known vpc");
    assert_eq!(vpc.security_groups, vec![Ref::Unknown]);
    assert_eq!(vpc.subnets, vec![Ref::Unknown]);
    let vpc = dep
        .function("Imported")
        .unwrap()
        .vpc
        .value()
        .expect("known vpc");
    assert_eq!(vpc.security_groups, vec![Ref::Local("Sg".into())]);
    assert_eq!(
        vpc.subnets,
        vec![Ref::Unknown, Ref::External("subnet-2".into())]
    );
}

/// Regression: REST API CORS was never read (only HTTP API
/// `CorsConfiguration` was), so FG-TRIG-005 could not fire for REST APIs.
/// REST APIs declare it as response headers of the OPTIONS preflight
/// integration, in a method or in an OpenAPI body.
#[test]
fn rest_api_cors_from_preflight_integration_responses() {
    let text = r#"
Parameters:
  AllowOrigin: {Type: String, Default: "'*'"}
  Unset: {Type: String}
Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: a}
  Preflight:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !GetAtt Api.RootResourceId
      HttpMethod: options
      AuthorizationType: NONE
      Integration:
        Type: MOCK
        IntegrationResponses:
          - StatusCode: '200'
            ResponseParameters:
              method.response.header.Access-Control-Allow-Origin: !Ref AllowOrigin
              method.response.header.Access-Control-Allow-Credentials: "'true'"
              method.response.header.Access-Control-Allow-Methods: "'GET,OPTIONS'"
  # A second preflight answering with a fixed origin must not hide the
  # first one, nor be mixed with it.
  Narrow:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !GetAtt Api.RootResourceId
      HttpMethod: OPTIONS
      Integration:
        IntegrationResponses:
          - ResponseParameters:
              method.response.header.access-control-allow-origin: "'https://shop.example.com'"
  Mixed:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: b}
  StarNoCreds:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Mixed
      ResourceId: !GetAtt Mixed.RootResourceId
      HttpMethod: OPTIONS
      Integration:
        IntegrationResponses:
          - ResponseParameters: {method.response.header.Access-Control-Allow-Origin: "'*'"}
  ShopWithCreds:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Mixed
      ResourceId: !GetAtt Mixed.RootResourceId
      HttpMethod: OPTIONS
      Integration:
        IntegrationResponses:
          - ResponseParameters:
              method.response.header.Access-Control-Allow-Origin: "'https://shop.example.com'"
              method.response.header.Access-Control-Allow-Credentials: !Ref Unset
  NotPreflight:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Plain
      ResourceId: !GetAtt Plain.RootResourceId
      HttpMethod: GET
      Integration:
        IntegrationResponses:
          - ResponseParameters: {method.response.header.Access-Control-Allow-Origin: "'*'"}
  Plain:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: c}
  Body:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Body:
        openapi: 3.0.1
        paths:
          /orders:
            options:
              x-amazon-apigateway-integration:
                type: mock
                responses:
                  default:
                    statusCode: '200'
                    responseParameters:
                      method.response.header.Access-Control-Allow-Origin: "'*'"
                      method.response.header.Access-Control-Allow-Credentials: "'true'"
  Http:
    Type: AWS::ApiGatewayV2::Api
    Properties:
      Body:
        openapi: 3.0.1
        x-amazon-apigateway-cors: {allowOrigins: ['*'], allowCredentials: true}
        paths: {}
  Errors:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: d}
  Default4xx:
    Type: AWS::ApiGateway::GatewayResponse
    Properties:
      RestApiId: !Ref Errors
      ResponseType: DEFAULT_4XX
      ResponseParameters:
        gatewayresponse.header.Access-Control-Allow-Origin: "'*'"
        gatewayresponse.header.Access-Control-Allow-Credentials: "'true'"
"#;
    let dep = cfn::load("t.yaml", text).expect("loads");
    let cors = dep.api("Api").unwrap().cors.as_ref().expect("cors read");
    assert_eq!(
        cors.allow_origins
            .iter()
            .map(|o| o.as_deref())
            .collect::<Vec<_>>(),
        vec![Some("'*'")]
    );
    assert_eq!(cors.allow_credentials.value(), Some(&true));
    assert_eq!(cors.loc.line, 21);
    // The most open answer wins; the other one is not merged into it.
    let mixed = dep.api("Mixed").unwrap().cors.as_ref().expect("cors read");
    assert_eq!(mixed.allow_origins.len(), 1);
    assert!(!mixed.allow_credentials.value().copied().unwrap_or(false));
    assert!(dep.api("Plain").unwrap().cors.is_none());
    let body = dep.api("Body").unwrap().cors.as_ref().expect("body cors");
    assert_eq!(body.allow_credentials.value(), Some(&true));
    assert_eq!(body.allow_origins[0].as_deref(), Some("'*'"));
    let http = dep.api("Http").unwrap().cors.as_ref().expect("http cors");
    assert_eq!(http.allow_origins[0].as_deref(), Some("*"));
    assert_eq!(http.allow_credentials.value(), Some(&true));
    let errors = dep
        .api("Errors")
        .unwrap()
        .cors
        .as_ref()
        .expect("gateway response cors");
    assert_eq!(errors.allow_origins[0].as_deref(), Some("'*'"));
    assert_eq!(errors.allow_credentials.value(), Some(&true));
}

/// Regression: a function named from a parameter without default (or the
/// stack name) had no link to the log group named after it, so FG-LOG-001
/// reported "no log group declared" for a group the template declares.
#[test]
fn log_group_named_after_an_undetermined_function_name_is_linked() {
    let text = r#"
Parameters:
  FunctionName: {Type: String}
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties: {FunctionName: !Ref FunctionName}
  FnLogs:
    Type: AWS::Logs::LogGroup
    Properties: {LogGroupName: !Sub '/aws/lambda/${FunctionName}', RetentionInDays: 30}
  Stacked:
    Type: AWS::Lambda::Function
    Properties: {FunctionName: !Sub '${AWS::StackName}-worker'}
  StackedLogs:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Join ['', [/aws/lambda/, !Ref AWS::StackName, -worker]]
  Other:
    Type: AWS::Logs::LogGroup
    Properties: {LogGroupName: !Sub '/aws/lambda/${AWS::StackName}-other'}
  Suffixed:
    Type: AWS::Logs::LogGroup
    Properties: {LogGroupName: !Sub '/aws/lambda/${Stacked}-audit'}
"#;
    let dep = cfn::load("t.yaml", text).expect("loads");
    let group = |id: &str| dep.log_groups.iter().find(|g| g.id == id).unwrap();
    assert_eq!(group("FnLogs").function.as_deref(), Some("Fn"));
    assert_eq!(group("StackedLogs").function.as_deref(), Some("Stacked"));
    assert_eq!(group("Other").function, None);
    // Only the exact `/aws/lambda/${Fn}` is that function's group.
    assert_eq!(group("Suffixed").function, None);
}

/// Regression: an alarm on a function named from a parameter without
/// default was "unknown function", which silenced FG-MON-001 for every
/// function of the template.
#[test]
fn alarm_on_an_undetermined_function_name_is_linked() {
    let text = r#"
Parameters:
  Name: {Type: String}
  Other: {Type: String}
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties: {FunctionName: !Sub '${Name}-api'}
  Errors:
    Type: AWS::CloudWatch::Alarm
    Properties:
      Namespace: AWS/Lambda
      MetricName: Errors
      Dimensions: [{Name: FunctionName, Value: !Join ['-', [!Ref Name, api]]}]
  Rate:
    Type: AWS::CloudWatch::Alarm
    Properties:
      Metrics:
        - Id: e
          MetricStat:
            Metric:
              Namespace: AWS/Lambda
              MetricName: Throttles
              Dimensions: [{Name: FunctionName, Value: !Sub '${Name}-api'}]
        - Id: o
          MetricStat:
            Metric:
              Namespace: AWS/Lambda
              MetricName: Errors
              Dimensions: [{Name: FunctionName, Value: !Ref Other}]
"#;
    let dep = cfn::load("t.yaml", text).expect("loads");
    let errors = dep.alarms.iter().find(|a| a.id == "Errors").unwrap();
    assert_eq!(errors.metrics[0].function.as_deref(), Some("Fn"));
    assert!(!errors.metrics[0].function_unknown);
    let rate = dep.alarms.iter().find(|a| a.id == "Rate").unwrap();
    assert_eq!(rate.metrics[0].function.as_deref(), Some("Fn"));
    // A name that matches no function stays unknown.
    assert!(rate.metrics[1].function_unknown);
}

/// Regression (from a Serverless example whose resources are
/// `${file(...)}` includes): a resource of undetermined type that functions
/// use as `Role` was dropped, so its sharing (FG-IAM-007) went unseen, and
/// its data-store attributes (`Endpoint.Address`) did not count as internal
/// resources for FG-NET-001.
#[test]
fn resources_of_undetermined_type_used_as_role_or_data_store() {
    let text = r#"
Resources:
  LambdaRole: ${file(./resource/LambdaRole.yml)}
  AuroraCluster: ${file(./resource/AuroraCluster.yml)}
  Queue: ${file(./resource/Queue.yml)}
  NoType: {Properties: {}}
  A:
    Type: AWS::Lambda::Function
    Properties:
      Role: !GetAtt LambdaRole.Arn
      Environment:
        Variables:
          DB_HOST: !GetAtt AuroraCluster.Endpoint.Address
          QUEUE_URL: !Ref Queue
  B:
    Type: AWS::Lambda::Function
    Properties:
      Role: !Sub 'arn:aws:iam::${AWS::AccountId}:role/${LambdaRole}'
      Environment: {Variables: {QUEUE_ARN: !GetAtt Queue.Arn}}
  C:
    Type: AWS::Lambda::Function
    Properties: {Role: !GetAtt NoType.Arn}
"#;
    let dep = cfn::load("t.yaml", text).expect("loads");
    let local = |id: &str| Some(Ref::Local(id.to_string()));
    assert_eq!(
        dep.function("A").unwrap().role.value().cloned(),
        local("LambdaRole")
    );
    assert_eq!(
        dep.function("B").unwrap().role.value().cloned(),
        local("LambdaRole")
    );
    assert_eq!(
        dep.function("C").unwrap().role.value().cloned(),
        local("NoType")
    );
    let role = dep.role("LambdaRole").expect("placeholder role");
    assert_eq!(role.loc.line, 3);
    assert!(role.policies.is_empty() && role.trust.is_none());
    assert!(role.managed_policy_arns.iter().all(|a| a.is_unknown()));
    assert_eq!(dep.roles.len(), 2);
    // Only the data-store attribute makes an internal reference.
    let a = dep.function("A").unwrap();
    assert_eq!(a.internal_refs.len(), 1, "{:?}", a.internal_refs);
    assert!(a.internal_refs[0].what.contains("AuroraCluster"));
    assert!(dep.function("B").unwrap().internal_refs.is_empty());
}

/// Regression: a bucket notification and its invoke permission gave the
/// function two S3 triggers (the permission's without SourceArn, or with
/// the bucket's ARN written out), so FG-RT-003 listed "S3, S3".
#[test]
fn one_trigger_per_source_whether_named_by_permission_or_notification() {
    let text = r#"
Resources:
  Fn: {Type: AWS::Lambda::Function}
  Other: {Type: AWS::Lambda::Function}
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub 'receipts-${AWS::AccountId}'
      NotificationConfiguration:
        LambdaConfigurations: [{Event: 's3:ObjectCreated:*', Function: !GetAtt Fn.Arn}]
  NoSourceArn:
    Type: AWS::Lambda::Permission
    Properties: {FunctionName: !Ref Fn, Action: lambda:InvokeFunction, Principal: s3.amazonaws.com, SourceAccount: !Ref AWS::AccountId}
  ArnWrittenOut:
    Type: AWS::Lambda::Permission
    Properties: {FunctionName: !Ref Fn, Action: lambda:InvokeFunction, Principal: s3.amazonaws.com, SourceArn: !Sub 'arn:${AWS::Partition}:s3:::receipts-${AWS::AccountId}'}
  Topic:
    Type: AWS::SNS::Topic
    Properties: {TopicName: alerts}
  TopicPermission:
    Type: AWS::Lambda::Permission
    Properties: {FunctionName: !Ref Other, Action: lambda:InvokeFunction, Principal: sns.amazonaws.com, SourceArn: !Sub 'arn:aws:sns:${AWS::Region}:${AWS::AccountId}:alerts'}
  SomeBucket:
    Type: AWS::Lambda::Permission
    Properties: {FunctionName: !Ref Other, Action: lambda:InvokeFunction, Principal: s3.amazonaws.com, SourceAccount: !Ref AWS::AccountId}
"#;
    let dep = cfn::load("t.yaml", text).expect("loads");
    let triggers = |id: &str| -> Vec<(TriggerKind, Ref)> {
        dep.function(id)
            .unwrap()
            .triggers
            .iter()
            .map(|t| (t.kind, t.source.clone()))
            .collect()
    };
    assert_eq!(
        triggers("Fn"),
        vec![(TriggerKind::S3, Ref::Local("Bucket".into()))]
    );
    // No named S3 source for Other: the permission's unknown bucket stays.
    assert_eq!(
        triggers("Other"),
        vec![
            (TriggerKind::Sns, Ref::Local("Topic".into())),
            (TriggerKind::S3, Ref::Unknown)
        ]
    );
}

/// Regression: a REST API's resource policy written inside its OpenAPI body
/// (`x-amazon-apigateway-policy`) was ignored, so a route restricted to a
/// VPC endpoint or source IP looked open to FG-TRIG-003.
#[test]
fn resource_policy_in_the_openapi_body() {
    let text = r#"
Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Body:
        swagger: '2.0'
        x-amazon-apigateway-policy:
          Version: '2012-10-17'
          Statement:
            - Effect: Allow
              Principal: '*'
              Action: execute-api:Invoke
              Resource: execute-api:/*
              Condition: {IpAddress: {aws:SourceIp: [203.0.113.0/24]}}
        paths:
          /orders:
            get: {}
  Both:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Policy: {Statement: [{Effect: Deny, Principal: '*', Action: '*', Resource: '*'}]}
      Body:
        x-amazon-apigateway-policy: {Statement: [{Effect: Allow, Principal: '*', Action: '*', Resource: '*'}]}
        paths: {}
"#;
    let dep = cfn::load("t.yaml", text).expect("loads");
    let policy = dep
        .api("Api")
        .unwrap()
        .resource_policy
        .as_ref()
        .expect("policy");
    assert_eq!(policy.statements.len(), 1);
    assert!(policy.statements[0].has_conditions());
    // The `Policy` property wins over the body's.
    let both = dep.api("Both").unwrap().resource_policy.as_ref().unwrap();
    assert_eq!(both.statements[0].effect, fnguard_iam::Effect::Deny);
}

/// Regression: `!Equals [!Ref AWS::Region, us-east-1]` compared the
/// `${AWS::Region}` placeholder with the text and decided "false", so the
/// resources of a region (or partition, or account) condition were dropped
/// and never checked.
#[test]
fn pseudo_parameter_conditions_are_undetermined_not_false() {
    let text = r#"
Conditions:
  IsUsEast1: !Equals [!Ref 'AWS::Region', us-east-1]
  IsChina: !Equals [!Ref 'AWS::Partition', aws-cn]
  NotProdAccount: !Not [!Equals [!Ref 'AWS::AccountId', '111122223333']]
Resources:
  EdgeFn:
    Type: AWS::Lambda::Function
    Condition: IsUsEast1
    Properties: {Runtime: nodejs20.x}
  ChinaFn:
    Type: AWS::Lambda::Function
    Condition: IsChina
    Properties: {Runtime: python3.9}
  DebugFn:
    Type: AWS::Lambda::Function
    Condition: NotProdAccount
    Properties:
      Runtime: !If [IsUsEast1, python3.12, python3.13]
"#;
    let dep = cfn::load("t.yaml", text).expect("loads");
    for id in ["EdgeFn", "ChinaFn", "DebugFn"] {
        assert!(dep.function(id).is_some(), "{id} dropped");
    }
    assert!(dep.function("DebugFn").unwrap().runtime.is_unknown());
}

/// Regression (Serverless service whose name comes from `${file(...)}`):
/// the generated function and log group names were both unknown, so the
/// group's missing retention was not reported for its function. Transforms
/// now name the function in `Metadata.fnguard.function`.
#[test]
fn generated_log_groups_name_their_function_in_metadata() {
    let text = r#"
Resources:
  GraphqlLambdaFunction:
    Type: AWS::Lambda::Function
    Properties: {FunctionName: !ImportValue unknown-name}
  GraphqlLogGroup:
    Type: AWS::Logs::LogGroup
    Metadata: {fnguard: {implicit: true, function: GraphqlLambdaFunction}}
    Properties: {LogGroupName: !ImportValue unknown-name}
  Stray:
    Type: AWS::Logs::LogGroup
    Metadata: {fnguard: {function: NoSuchFunction}}
    Properties: {LogGroupName: x}
"#;
    let dep = cfn::load("t.yaml", text).expect("loads");
    let group = |id: &str| dep.log_groups.iter().find(|g| g.id == id).unwrap();
    assert_eq!(
        group("GraphqlLogGroup").function.as_deref(),
        Some("GraphqlLambdaFunction")
    );
    assert_eq!(group("Stray").function, None);
}

/// Bucket, queue and topic policies and a public-write ACL become
/// `resource_policies`, each naming its local target however the template
/// refers to it.
#[test]
fn resource_policies_of_buckets_queues_and_topics() {
    let template = r#"
Resources:
  Inbox:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: inbox-bucket
      AccessControl: PublicReadWrite
  Locked:
    Type: AWS::S3::Bucket
    Properties:
      AccessControl: PublicReadWrite
      OwnershipControls:
        Rules:
          - ObjectOwnership: BucketOwnerEnforced
  Ignored:
    Type: AWS::S3::Bucket
    Properties:
      AccessControl: PublicReadWrite
      PublicAccessBlockConfiguration:
        IgnorePublicAcls: true
  Jobs:
    Type: AWS::SQS::Queue
  Retries:
    Type: AWS::SQS::Queue
  Alerts:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: alerts
  InboxPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: inbox-bucket
      PolicyDocument:
        Statement:
          - Effect: Allow
            Principal: "*"
            Action: s3:PutObject
            Resource: !Sub "${Inbox.Arn}/*"
  QueuesPolicy:
    Type: AWS::SQS::QueuePolicy
    Metadata:
      fnguard:
        ignore: [FG-TRIG-006]
    Properties:
      Queues:
        - !Ref Jobs
        - !GetAtt Retries.QueueUrl
        - https://sqs.us-east-1.amazonaws.com/210987654321/elsewhere
        - !ImportValue SharedQueueUrl
      PolicyDocument:
        Statement:
          - Effect: Allow
            Principal: { AWS: "arn:aws-us-gov:iam::210987654321:root" }
            Action: sqs:SendMessage
            Resource: "*"
  AlertsPolicy:
    Type: AWS::SNS::TopicPolicy
    Properties:
      Topics: !Sub "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:alerts"
      PolicyDocument: !ImportValue SharedPolicy
"#;
    let dep = cfn::load("t.yaml", template).expect("loads");
    let by_id = |id: &str| {
        dep.resource_policies
            .iter()
            .find(|p| p.id == id && p.canned_acl.is_none())
            .unwrap_or_else(|| panic!("{id}"))
    };
    let inbox = by_id("InboxPolicy");
    assert_eq!(inbox.kind, ResourcePolicyKind::Bucket);
    assert_eq!(inbox.targets, vec![Ref::Local("Inbox".into())]);
    assert_eq!(inbox.policy.statements.len(), 1);
    assert_eq!(inbox.loc.line, 29);
    let queues = by_id("QueuesPolicy");
    assert_eq!(queues.kind, ResourcePolicyKind::Queue);
    assert_eq!(
        queues.targets,
        vec![
            Ref::Local("Jobs".into()),
            Ref::Local("Retries".into()),
            Ref::External("https://sqs.us-east-1.amazonaws.com/210987654321/elsewhere".into()),
            Ref::Unknown,
        ]
    );
    assert_eq!(queues.ignores.len(), 1);
    let alerts = by_id("AlertsPolicy");
    assert_eq!(alerts.kind, ResourcePolicyKind::Topic);
    assert_eq!(alerts.targets, vec![Ref::Local("Alerts".into())]);
    assert!(alerts.policy.unknown, "an imported document is unknown");
    assert_eq!(dep.resource_policies_of("Jobs").count(), 1);
    // Only the bucket whose ACL S3 honours gets the ACL's Allow for `*`.
    let acls: Vec<_> = dep
        .resource_policies
        .iter()
        .filter(|p| p.canned_acl.is_some())
        .collect();
    assert_eq!(acls.len(), 1, "{acls:?}");
    assert_eq!(acls[0].id, "Inbox");
    assert_eq!(acls[0].canned_acl.as_deref(), Some("PublicReadWrite"));
    assert_eq!(acls[0].targets, vec![Ref::Local("Inbox".into())]);
    assert_eq!(acls[0].loc.line, 7);
    let st = &acls[0].policy.statements[0];
    assert_eq!(st.effect, fnguard_iam::Effect::Allow);
}

/// A bucket policy knows whether its bucket's Block Public Access
/// neutralizes public policies.
#[test]
fn bucket_policies_carry_block_public_access() {
    let template = r#"
Resources:
  Restricted:
    Type: AWS::S3::Bucket
    Properties:
      PublicAccessBlockConfiguration:
        RestrictPublicBuckets: true
  PolicyLocked:
    Type: AWS::S3::Bucket
    Properties:
      PublicAccessBlockConfiguration:
        BlockPublicPolicy: true
  Open:
    Type: AWS::S3::Bucket
    Properties:
      PublicAccessBlockConfiguration:
        BlockPublicPolicy: false
        RestrictPublicBuckets: false
  RestrictedPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Restricted
      PolicyDocument: { Statement: [] }
  PolicyLockedPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref PolicyLocked
      PolicyDocument: { Statement: [] }
  OpenPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Open
      PolicyDocument: { Statement: [] }
"#;
    let dep = cfn::load("t.yaml", template).expect("loads");
    let blocked: Vec<(&str, bool)> = dep
        .resource_policies
        .iter()
        .map(|p| (p.id.as_str(), p.public_policy_blocked))
        .collect();
    assert_eq!(
        blocked,
        vec![
            ("RestrictedPolicy", true),
            ("PolicyLockedPolicy", true),
            ("OpenPolicy", false)
        ]
    );
}

/// Databases, caches and domains become data stores: engine, the port
/// written or the engine's default, security groups, and the subnets of
/// the subnet group they name (by `Ref` or by name). Members of a cluster
/// are not stores of their own; what the template does not determine stays
/// unknown.
#[test]
fn data_stores_with_ports_groups_and_subnet_groups() {
    let text = r#"
Parameters:
  Engine: {Type: String}
  Groups: {Type: 'List<AWS::EC2::SecurityGroup::Id>'}
Resources:
  DbSg:
    Type: AWS::EC2::SecurityGroup
    Properties: {GroupDescription: db, VpcId: vpc-1}
  SubnetA:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: vpc-1, CidrBlock: 10.0.1.0/24}
  DbSubnets:
    Type: AWS::RDS::DBSubnetGroup
    Properties:
      DBSubnetGroupDescription: private
      DBSubnetGroupName: Orders-Private
      SubnetIds: [!Ref SubnetA, subnet-2]
  CacheSubnets:
    Type: AWS::ElastiCache::SubnetGroup
    Properties: {Description: cache, SubnetIds: [subnet-3]}
  Orders:
    Type: AWS::RDS::DBInstance
    Properties:
      Engine: postgres
      DBSubnetGroupName: !Ref DbSubnets
      VPCSecurityGroups: [!GetAtt DbSg.GroupId, sg-0123]
      PubliclyAccessible: false
  Ledger:
    Type: AWS::RDS::DBCluster
    Properties:
      Engine: aurora-mysql
      Port: '3307'
      DBSubnetGroupName: orders-private
      VpcSecurityGroupIds: !Ref Groups
  LedgerWriter:
    Type: AWS::RDS::DBInstance
    Properties:
      Engine: aurora-mysql
      DBClusterIdentifier: !Ref Ledger
  Unknown:
    Type: AWS::RDS::DBInstance
    Properties:
      Engine: !Ref Engine
      DBSubnetGroupName: shared-elsewhere
  Proxy:
    Type: AWS::RDS::DBProxy
    Properties:
      EngineFamily: POSTGRESQL
      VpcSubnetIds: [subnet-6]
      VpcSecurityGroupIds: [!Ref DbSg]
  Memcached:
    Type: AWS::ElastiCache::CacheCluster
    Properties:
      Engine: memcached
      CacheSubnetGroupName: !Ref CacheSubnets
      VpcSecurityGroupIds: !GetAtt DbSg.GroupId
  Sessions:
    Type: AWS::ElastiCache::ReplicationGroup
    Properties: {ReplicationGroupDescription: s, SecurityGroupIds: [!Ref DbSg]}
  Serverless:
    Type: AWS::ElastiCache::ServerlessCache
    Properties: {Engine: valkey, SubnetIds: [subnet-4], SecurityGroupIds: [!Ref DbSg]}
  Memory:
    Type: AWS::MemoryDB::Cluster
    Properties: {ACLName: open-access, NodeType: db.t4g.small}
  Warehouse:
    Type: AWS::Redshift::Cluster
    Properties: {Port: 5440, PubliclyAccessible: true}
  Search:
    Type: AWS::OpenSearchService::Domain
    Properties:
      VPCOptions: {SubnetIds: [subnet-5], SecurityGroupIds: [!Ref DbSg]}
  Legacy:
    Type: AWS::Elasticsearch::Domain
    Properties: {}
  Docs:
    Type: AWS::DocDB::DBCluster
    Properties: {}
  Graph:
    Type: AWS::Neptune::DBCluster
    Properties: {}
  Dax:
    Type: AWS::DAX::Cluster
    Properties: {IAMRoleARN: arn:aws:iam::1:role/dax, NodeType: dax.t3.small, ReplicationFactor: 1}
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Environment:
        Variables:
          DB_HOST: !GetAtt Orders.Endpoint.Address
          LEGACY: legacy.abc123.eu-west-1.rds.amazonaws.com
          WRITER: !GetAtt LedgerWriter.Endpoint.Address
"#;
    let dep = cfn::load("t.yaml", text).expect("loads");
    // A reference to a store names it as an element, a host name does not,
    // one to an instance of a cluster names the cluster.
    let f = dep.function("Fn").expect("function");
    let elements: Vec<Option<&str>> = f
        .internal_refs
        .iter()
        .map(|r| r.element.as_deref())
        .collect();
    assert_eq!(elements, [Some("Orders"), None, Some("Ledger")]);
    let ids: Vec<&str> = dep.data_stores.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "Orders",
            "Ledger",
            "Unknown",
            "Proxy",
            "Memcached",
            "Sessions",
            "Serverless",
            "Memory",
            "Warehouse",
            "Search",
            "Legacy",
            "Docs",
            "Graph",
            "Dax"
        ]
    );
    let store = |id: &str| dep.data_store(id).expect("store");
    let orders = store("Orders");
    assert_eq!(orders.kind, DataStoreKind::Rds);
    assert_eq!(orders.engine.as_deref(), Some("postgres"));
    assert_eq!(orders.port.value(), Some(&5432));
    assert_eq!(
        orders.security_groups,
        [Ref::Local("DbSg".into()), Ref::External("sg-0123".into())]
    );
    assert_eq!(
        orders.subnets,
        [
            Ref::Local("SubnetA".into()),
            Ref::External("subnet-2".into())
        ]
    );
    assert_eq!(orders.publicly_accessible.value(), Some(&false));
    // By name, in any case; a written port wins over the engine's.
    let ledger = store("Ledger");
    assert_eq!(ledger.port.value(), Some(&3307));
    assert_eq!(ledger.subnets.len(), 2);
    assert_eq!(ledger.security_groups, [Ref::Unknown]);
    let unknown = store("Unknown");
    assert!(unknown.engine.is_unknown());
    assert!(unknown.port.is_unknown());
    assert_eq!(unknown.subnets, [Ref::Unknown]);
    let proxy = store("Proxy");
    assert_eq!(proxy.port.value(), Some(&5432));
    assert_eq!(proxy.security_groups, [Ref::Local("DbSg".into())]);
    assert_eq!(proxy.subnets, [Ref::External("subnet-6".into())]);
    let memcached = store("Memcached");
    assert_eq!(memcached.kind, DataStoreKind::ElastiCache);
    assert_eq!(memcached.port.value(), Some(&11211));
    assert_eq!(memcached.security_groups, [Ref::Local("DbSg".into())]);
    assert_eq!(memcached.subnets, [Ref::External("subnet-3".into())]);
    assert_eq!(store("Sessions").engine.as_deref(), Some("redis"));
    assert_eq!(store("Sessions").port.value(), Some(&6379));
    assert_eq!(store("Serverless").port.value(), Some(&6379));
    assert_eq!(
        store("Serverless").subnets,
        [Ref::External("subnet-4".into())]
    );
    assert_eq!(store("Memory").kind, DataStoreKind::MemoryDb);
    assert_eq!(store("Memory").port.value(), Some(&6379));
    assert_eq!(store("Warehouse").port.value(), Some(&5440));
    assert_eq!(store("Warehouse").publicly_accessible.value(), Some(&true));
    let search = store("Search");
    assert_eq!(search.kind, DataStoreKind::OpenSearch);
    assert_eq!(search.port.value(), Some(&443));
    assert_eq!(search.security_groups, [Ref::Local("DbSg".into())]);
    assert_eq!(search.subnets, [Ref::External("subnet-5".into())]);
    assert!(store("Legacy").security_groups.is_empty());
    assert_eq!(store("Docs").port.value(), Some(&27017));
    assert_eq!(store("Graph").port.value(), Some(&8182));
    assert_eq!(store("Dax").port.value(), Some(&8111));
}

/// Inbound rules: inline `SecurityGroupIngress` and standalone
/// `AWS::EC2::SecurityGroupIngress`, with the source group as the peer;
/// egress rules name their destination group; an ingress list the template
/// does not determine is one unknown rule.
#[test]
fn security_group_ingress_and_peer_groups() {
    let text = r#"
Parameters:
  Open: {Type: String}
Conditions:
  IsOpen: !Equals [!Ref Open, 'yes']
Resources:
  FnSg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: fn
      SecurityGroupEgress:
        - {IpProtocol: tcp, FromPort: 5432, ToPort: 5432, DestinationSecurityGroupId: !GetAtt DbSg.GroupId}
  DbSg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: db
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 5432, ToPort: 5432, SourceSecurityGroupId: !GetAtt FnSg.GroupId}
        - {IpProtocol: tcp, FromPort: 5432, ToPort: 5432, CidrIp: 10.0.0.0/16}
  FromLegacy:
    Type: AWS::EC2::SecurityGroupIngress
    Properties:
      GroupId: !Ref DbSg
      IpProtocol: tcp
      FromPort: 5432
      ToPort: 5432
      SourceSecurityGroupId: sg-0legacy
  DefaultVpcRule:
    Type: AWS::EC2::SecurityGroupIngress
    Properties:
      GroupName: !Ref CacheSg
      IpProtocol: tcp
      FromPort: 6379
      ToPort: 6379
      SourceSecurityGroupName: !Ref FnSg
  FnToCache:
    Type: AWS::EC2::SecurityGroupEgress
    Properties:
      GroupId: !GetAtt FnSg.GroupId
      IpProtocol: tcp
      FromPort: 6379
      ToPort: 6379
      DestinationSecurityGroupId: !Ref CacheSg
  CacheSg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: cache
      SecurityGroupIngress: !If [IsOpen, [{IpProtocol: '-1', CidrIp: 0.0.0.0/0}], !Ref AWS::NoValue]
"#;
    let dep = cfn::load("t.yaml", text).expect("loads");
    let fn_sg = dep.security_group("FnSg").unwrap();
    assert!(fn_sg.ingress.is_empty());
    assert_eq!(fn_sg.egress.len(), 2);
    assert_eq!(fn_sg.egress[0].peer_group, Some(Ref::Local("DbSg".into())));
    assert!(fn_sg.egress[0].cidr.is_absent());
    assert_eq!(
        fn_sg.egress[1].peer_group,
        Some(Ref::Local("CacheSg".into()))
    );
    let db = dep.security_group("DbSg").unwrap();
    assert_eq!(db.ingress.len(), 3);
    assert_eq!(db.ingress[0].peer_group, Some(Ref::Local("FnSg".into())));
    assert_eq!(db.ingress[0].from_port.value(), Some(&5432));
    assert_eq!(db.ingress[0].protocol.as_deref(), Some("tcp"));
    assert_eq!(db.ingress[1].peer_group, None);
    assert_eq!(db.ingress[1].cidr.as_deref(), Some("10.0.0.0/16"));
    // The standalone rule points at its resource.
    assert_eq!(
        db.ingress[2].peer_group,
        Some(Ref::External("sg-0legacy".into()))
    );
    assert_eq!(db.ingress[2].loc.line, 20);
    // Not determined: one rule that may admit anything; then the default
    // VPC's rule by group names.
    let cache = dep.security_group("CacheSg").unwrap();
    assert_eq!(cache.ingress.len(), 2);
    assert!(cache.ingress[0].cidr.is_unknown());
    assert_eq!(cache.ingress[0].peer_group, Some(Ref::Unknown));
    assert_eq!(cache.ingress[1].peer_group, Some(Ref::Local("FnSg".into())));
    // Egress stays as before: the implicit allow-all rule.
    assert!(cache.egress[0].implicit);
}
