//! The Serverless Framework transform: serverless.yml → CloudFormation tree.

use fnguard_core::{Node, NodeKind};
use fnguard_model::serverless::{self, Transformed};

const ORDERS: &str = include_str!("fixtures/serverless/orders-v3.yml");
const PAYMENTS: &str = include_str!("fixtures/serverless/payments-v4.yml");
const UNTRUSTED: &str = include_str!("fixtures/serverless/untrusted.yml");

fn transform(path: &str, text: &str) -> Transformed {
    let root = fnguard_model::yaml::parse(text, 0, path).expect("fixture parses");
    serverless::to_cloudformation(&root, path).expect("fixture transforms")
}

fn res<'a>(t: &'a Transformed, id: &str) -> &'a Node {
    t.template
        .path(&["Resources", id])
        .unwrap_or_else(|| panic!("resource {id} missing; have {:?}", ids(t)))
}

fn ids(t: &Transformed) -> Vec<String> {
    t.template
        .get("Resources")
        .and_then(Node::as_map)
        .map(|entries| entries.iter().map(|e| e.key.clone()).collect())
        .unwrap_or_default()
}

fn prop<'a>(t: &'a Transformed, id: &str, path: &[&str]) -> Option<&'a Node> {
    let mut full = vec!["Properties"];
    full.extend_from_slice(path);
    res(t, id).path(&full)
}

fn prop_str<'a>(t: &'a Transformed, id: &str, path: &[&str]) -> Option<&'a str> {
    prop(t, id, path).and_then(Node::as_str)
}

fn kind_of<'a>(t: &'a Transformed, id: &str) -> &'a str {
    res(t, id).get("Type").and_then(Node::as_str).unwrap_or("")
}

fn is_implicit(t: &Transformed, id: &str) -> bool {
    res(t, id)
        .path(&["Metadata", "fnguard", "implicit"])
        .and_then(Node::as_bool)
        == Some(true)
}

fn get_att(node: Option<&Node>) -> Option<(String, String)> {
    let items = node?.get("Fn::GetAtt")?.as_seq()?;
    Some((
        items.first()?.as_str()?.to_string(),
        items.get(1)?.as_str()?.to_string(),
    ))
}

fn line_of(text: &str, needle: &str) -> u32 {
    text.lines()
        .position(|l| l.contains(needle))
        .map(|i| i as u32 + 1)
        .unwrap_or_else(|| panic!("{needle} not in fixture"))
}

fn strings(node: Option<&Node>) -> Vec<String> {
    node.map(|n| {
        n.one_or_many()
            .into_iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect()
    })
    .unwrap_or_default()
}

#[test]
fn v3_functions_keep_their_key_name_and_merged_settings() {
    let t = transform("serverless.yml", ORDERS);
    let id = "CreateOrderLambdaFunction";
    assert_eq!(kind_of(&t, id), "AWS::Lambda::Function");
    assert_eq!(
        res(&t, id)
            .path(&["Metadata", "fnguard", "name"])
            .and_then(Node::as_str),
        Some("createOrder")
    );
    assert!(!is_implicit(&t, id));
    assert_eq!(res(&t, id).loc.line, line_of(ORDERS, "  createOrder:"));
    assert_eq!(
        prop_str(&t, id, &["FunctionName"]),
        Some("orders-dev-createOrder")
    );
    assert_eq!(prop_str(&t, id, &["Runtime"]), Some("nodejs18.x"));
    assert_eq!(
        prop_str(&t, id, &["Handler"]),
        Some("src/handlers/orders.create")
    );
    // The framework packs the service folder, not the handler's folder.
    assert_eq!(
        res(&t, id)
            .path(&["Metadata", "fnguard", "code"])
            .and_then(Node::as_str),
        Some(".")
    );
    assert_eq!(prop_str(&t, id, &["TracingConfig", "Mode"]), Some("Active"));
    assert_eq!(
        get_att(prop(&t, id, &["Role"])),
        Some(("IamRoleLambdaExecution".into(), "Arn".into()))
    );

    let env = |name: &str| prop(&t, id, &["Environment", "Variables", name]);
    assert_eq!(
        env("TABLE_NAME").and_then(Node::as_str),
        Some("orders-orders-dev")
    );
    assert_eq!(
        env("QUEUE_URL").and_then(Node::as_str),
        Some("https://sqs.${AWS::Region}.amazonaws.com/${AWS::AccountId}/orders-dev-payments")
    );
    assert_eq!(
        env("STRIPE_SECRET_KEY").and_then(Node::as_str),
        Some("{{resolve:ssm:/orders/dev/stripe-secret-key}}")
    );
    // ${env:} with a fallback is still unknown: the fallback is not what
    // the deployment necessarily uses.
    assert!(env("DATABASE_URL").is_some_and(Node::is_unknown));
    assert_eq!(env("STAGE").and_then(Node::as_str), Some("dev"));
    // The env var points at the line where the user wrote it.
    assert_eq!(
        env("STAGE").map(|n| n.loc.line),
        Some(line_of(ORDERS, "    STAGE: ${sls:stage}"))
    );

    // Function environment wins over the provider's.
    assert_eq!(
        prop_str(
            &t,
            "ProcessPaymentLambdaFunction",
            &["Environment", "Variables", "STRIPE_SECRET_KEY"]
        ),
        Some("sk_live_51Habcdefghijklmnopqrstuvwx")
    );
    assert_eq!(
        prop(
            &t,
            "ProcessPaymentLambdaFunction",
            &["ReservedConcurrentExecutions"]
        )
        .and_then(Node::as_i64),
        Some(5)
    );
    assert_eq!(
        prop_str(
            &t,
            "NightlyReportLambdaFunction",
            &["DeadLetterConfig", "TargetArn"]
        ),
        Some("arn:aws:sns:eu-west-1:123456789012:orders-dlq")
    );
    assert!(t.warnings.is_empty(), "{:?}", t.warnings);
    assert!(t.template.get("Outputs").is_none());
}

#[test]
fn v3_shared_role_carries_provider_statements_and_event_permissions() {
    let t = transform("serverless.yml", ORDERS);
    let role = "IamRoleLambdaExecution";
    assert_eq!(kind_of(&t, role), "AWS::IAM::Role");
    assert!(is_implicit(&t, role));
    assert_eq!(res(&t, role).loc.line, line_of(ORDERS, "    role:"));
    let trust = prop(&t, role, &["AssumeRolePolicyDocument", "Statement"])
        .and_then(Node::as_seq)
        .expect("trust");
    assert_eq!(
        strings(trust[0].path(&["Principal", "Service"])),
        vec!["lambda.amazonaws.com"]
    );
    let statements = prop(&t, role, &["Policies"])
        .and_then(Node::as_seq)
        .and_then(|p| p[0].path(&["PolicyDocument", "Statement"]))
        .and_then(Node::as_seq)
        .expect("statements");
    let actions: Vec<Vec<String>> = statements
        .iter()
        .map(|s| strings(s.get("Action")))
        .collect();
    assert!(actions
        .iter()
        .any(|a| a.contains(&"logs:PutLogEvents".into())));
    assert!(actions.iter().any(|a| a == &vec!["s3:*".to_string()]));
    assert!(actions
        .iter()
        .any(|a| a.contains(&"sqs:ReceiveMessage".into())));
    // Statements keep their serverless.yml lines.
    let s3 = statements
        .iter()
        .find(|s| strings(s.get("Action")) == vec!["s3:*"])
        .expect("s3 statement");
    assert_eq!(s3.loc.line, line_of(ORDERS, "Action: s3:*") - 1);
    assert_eq!(
        strings(prop(&t, role, &["ManagedPolicyArns"])),
        vec!["arn:aws:iam::aws:policy/AmazonSQSFullAccess"]
    );
    assert_eq!(
        prop_str(&t, role, &["RoleName"]),
        Some("orders-dev-eu-west-1-lambdaRole")
    );

    // serverless-iam-roles-per-function: a dedicated role with only its
    // statements (plus logs and its stream access).
    let own = "AuditStreamIamRoleLambdaExecution";
    assert_eq!(
        get_att(prop(&t, "AuditStreamLambdaFunction", &["Role"])),
        Some((own.into(), "Arn".into()))
    );
    let own_actions: Vec<String> = prop(&t, own, &["Policies"])
        .and_then(Node::as_seq)
        .and_then(|p| p[0].path(&["PolicyDocument", "Statement"]))
        .and_then(Node::as_seq)
        .expect("own statements")
        .iter()
        .flat_map(|s| strings(s.get("Action")))
        .collect();
    assert!(own_actions.contains(&"dynamodb:*".to_string()));
    assert!(own_actions.contains(&"dynamodb:GetRecords".to_string()));
    assert!(!own_actions.contains(&"s3:*".to_string()));
}

#[test]
fn v3_rest_and_http_apis() {
    let t = transform("serverless.yml", ORDERS);
    assert!(is_implicit(&t, "ApiGatewayRestApi"));
    assert_eq!(kind_of(&t, "ApiGatewayRestApi"), "AWS::ApiGateway::RestApi");
    assert_eq!(
        prop_str(&t, "ApiGatewayResourceOrdersIdVar", &["PathPart"]),
        Some("{id}")
    );
    let post = "ApiGatewayMethodOrdersPost";
    assert_eq!(prop_str(&t, post, &["HttpMethod"]), Some("POST"));
    assert_eq!(prop_str(&t, post, &["AuthorizationType"]), Some("NONE"));
    // A body schema (even one from an unresolved file) means validation.
    assert_eq!(
        prop_str(&t, post, &["RequestValidatorId", "Ref"]),
        Some("ApiGatewayMethodOrdersPostValidator")
    );
    assert_eq!(
        prop(
            &t,
            "ApiGatewayMethodOrdersPostValidator",
            &["ValidateRequestBody"]
        )
        .and_then(Node::as_bool),
        Some(true)
    );
    assert!(prop(
        &t,
        "ApiGatewayMethodOrdersIdVarGet",
        &["RequestValidatorId"]
    )
    .is_none());
    // Generated from the event entry: findings point at `- http:`.
    assert_eq!(res(&t, post).loc.line, line_of(ORDERS, "      - http:"));
    let uri = prop(&t, post, &["Integration", "Uri", "Fn::Sub"]).and_then(Node::as_str);
    assert!(uri.is_some_and(|u| u.contains("${CreateOrderLambdaFunction.Arn}")));
    assert_eq!(
        prop(&t, "ApiGatewayMethodOrdersIdVarGet", &["ApiKeyRequired"]).and_then(Node::as_bool),
        Some(true)
    );
    assert_eq!(
        prop_str(&t, "ApiGatewayMethodAdminReportGet", &["AuthorizationType"]),
        Some("AWS_IAM")
    );
    assert_eq!(
        prop_str(&t, "CreateOrderLambdaPermissionApiGateway", &["Principal"]),
        Some("apigateway.amazonaws.com")
    );
    assert!(prop(
        &t,
        "ApiGatewayStage",
        &["AccessLogSetting", "DestinationArn"]
    )
    .is_some());
    assert_eq!(
        prop(&t, "ApiGatewayStage", &["TracingEnabled"]).and_then(Node::as_bool),
        Some(true)
    );
    assert_eq!(
        prop(&t, "ApiGatewayUsagePlan", &["Throttle", "RateLimit"]).and_then(Node::as_i64),
        Some(100)
    );
    assert_eq!(kind_of(&t, "ApiGatewayApiKey1"), "AWS::ApiGateway::ApiKey");

    assert!(is_implicit(&t, "HttpApi"));
    assert_eq!(
        strings(prop(&t, "HttpApi", &["CorsConfiguration", "AllowOrigins"])),
        vec!["*"]
    );
    let jwt = "HttpApiRoutePostV2Orders";
    assert_eq!(prop_str(&t, jwt, &["RouteKey"]), Some("POST /v2/orders"));
    assert_eq!(prop_str(&t, jwt, &["AuthorizationType"]), Some("JWT"));
    assert_eq!(
        prop_str(&t, jwt, &["AuthorizerId", "Ref"]),
        Some("HttpApiAuthorizerCognitoJwt")
    );
    assert_eq!(
        prop_str(&t, "HttpApiAuthorizerCognitoJwt", &["AuthorizerType"]),
        Some("JWT")
    );
    assert_eq!(
        prop_str(&t, "HttpApiRouteGetV2OrdersIdVar", &["AuthorizationType"]),
        Some("NONE")
    );
    assert_eq!(
        prop_str(&t, "HttpApiRouteGetV2OrdersIdVar", &["Target", "Fn::Sub"]),
        Some("integrations/${HttpApiIntegrationGetOrder}")
    );
    assert_eq!(
        get_att(prop(&t, "HttpApiIntegrationGetOrder", &["IntegrationUri"])),
        Some(("GetOrderLambdaFunction".into(), "Arn".into()))
    );
}

#[test]
fn v3_event_sources_logs_and_user_resources() {
    let t = transform("serverless.yml", ORDERS);
    // Log groups: provider retention (stage-dependent), function override,
    // and a user override from `resources` merged into the generated one.
    assert_eq!(
        prop(&t, "CreateOrderLogGroup", &["RetentionInDays"]).and_then(Node::as_i64),
        Some(7)
    );
    assert_eq!(
        prop(&t, "ThumbnailLogGroup", &["RetentionInDays"]).and_then(Node::as_i64),
        Some(14)
    );
    assert_eq!(
        prop(&t, "GetOrderLogGroup", &["RetentionInDays"]).and_then(Node::as_i64),
        Some(30)
    );
    assert!(is_implicit(&t, "GetOrderLogGroup"));
    // Redeclared with its own Type: the user's resource now.
    assert!(!is_implicit(&t, "NotifyLogGroup"));
    assert_eq!(
        prop(&t, "NotifyLogGroup", &["RetentionInDays"]).and_then(Node::as_i64),
        Some(60)
    );
    assert_eq!(
        prop_str(&t, "GetOrderLogGroup", &["LogGroupName"]),
        Some("/aws/lambda/orders-dev-getOrder")
    );

    let bucket = "S3BucketOrdersdevuploads";
    assert_eq!(
        prop_str(&t, bucket, &["BucketName"]),
        Some("orders-dev-uploads")
    );
    let configs = prop(
        &t,
        bucket,
        &["NotificationConfiguration", "LambdaConfigurations"],
    )
    .and_then(Node::as_seq)
    .expect("notification");
    assert_eq!(
        get_att(configs[0].get("Function")),
        Some(("ThumbnailLambdaFunction".into(), "Arn".into()))
    );
    assert_eq!(
        get_att(prop(
            &t,
            "ThumbnailLambdaPermissionOrdersdevuploadsS3",
            &["SourceArn"]
        )),
        Some((bucket.into(), "Arn".into()))
    );

    let sqs = "ProcessPaymentEventSourceMappingSQSPaymentsQueue";
    assert_eq!(kind_of(&t, sqs), "AWS::Lambda::EventSourceMapping");
    assert_eq!(
        get_att(prop(&t, sqs, &["EventSourceArn"])),
        Some(("PaymentsQueue".into(), "Arn".into()))
    );
    assert_eq!(
        get_att(prop(
            &t,
            "AuditStreamEventSourceMappingDynamodbOrdersTable",
            &["EventSourceArn"]
        )),
        Some(("OrdersTable".into(), "StreamArn".into()))
    );
    assert_eq!(
        prop_str(
            &t,
            "NightlyReportEventsRuleSchedule1",
            &["ScheduleExpression"]
        ),
        Some("rate(1 day)")
    );
    assert_eq!(
        prop_str(
            &t,
            "NightlyReportLambdaPermissionEventsRuleSchedule1",
            &["Principal"]
        ),
        Some("events.amazonaws.com")
    );
    assert_eq!(kind_of(&t, "SNSTopicOrderevents"), "AWS::SNS::Topic");
    assert_eq!(
        prop_str(&t, "NotifySnsSubscriptionOrderevents", &["TopicArn", "Ref"]),
        Some("SNSTopicOrderevents")
    );

    assert_eq!(
        prop_str(&t, "WebhookLambdaFunctionUrl", &["AuthType"]),
        Some("NONE")
    );
    assert_eq!(
        prop_str(&t, "WebhookLambdaPermissionFnUrl", &["Principal"]),
        Some("*")
    );
    assert_eq!(
        prop_str(&t, "WebhookLambdaPermissionFnUrl", &["FunctionUrlAuthType"]),
        Some("NONE")
    );

    // User resources are merged, variables resolved, tags kept.
    assert_eq!(
        prop_str(&t, "OrdersTable", &["TableName"]),
        Some("orders-orders-dev")
    );
    assert!(!is_implicit(&t, "OrdersTable"));
}

#[test]
fn v4_provider_settings_and_external_roles() {
    let t = transform("serverless.yml", PAYMENTS);
    let f = "ChargeLambdaFunction";
    assert_eq!(
        prop_str(&t, f, &["Role"]),
        Some("arn:aws:iam::123456789012:role/charge-role")
    );
    assert_eq!(
        prop_str(&t, f, &["LoggingConfig", "LogFormat"]),
        Some("JSON")
    );
    assert_eq!(strings(prop(&t, f, &["VpcConfig", "SubnetIds"])).len(), 2);
    assert_eq!(
        strings(prop(&t, f, &["Layers"])),
        vec!["arn:aws:lambda:us-east-1:123456789012:layer:common:3"]
    );
    assert_eq!(
        prop_str(&t, f, &["KmsKeyArn"]),
        Some("arn:aws:kms:us-east-1:123456789012:key/abcd")
    );
    let env = |name: &str| prop(&t, f, &["Environment", "Variables", name]);
    assert!(env("TABLE_NAME").is_some_and(Node::is_unknown));
    assert!(env("HOME_DIR").is_some_and(Node::is_unknown));
    assert_eq!(
        env("API_TOKEN").and_then(Node::as_str),
        Some("{{resolve:secretsmanager:payments/api-token}}")
    );
    assert_eq!(
        prop_str(
            &t,
            "ChargeLambdaEvConf",
            &["DestinationConfig", "OnFailure", "Destination"]
        ),
        Some("arn:aws:sqs:us-east-1:123456789012:charge-failures")
    );
    assert_eq!(kind_of(&t, "ChargeEventBridgeRule1"), "AWS::Events::Rule");

    // The shared role is still generated for the functions without a role.
    let role = "IamRoleLambdaExecution";
    assert_eq!(
        prop_str(&t, role, &["RoleName"]),
        Some("payments-dev-lambda")
    );
    assert_eq!(
        prop_str(&t, role, &["PermissionsBoundary"]),
        Some("arn:aws:iam::123456789012:policy/boundary")
    );
    assert!(strings(prop(&t, role, &["ManagedPolicyArns"]))
        .iter()
        .any(|a| a.ends_with("AWSLambdaVPCAccessExecutionRole")));
    let resources: Vec<String> = prop(&t, role, &["Policies"])
        .and_then(Node::as_seq)
        .and_then(|p| p[0].path(&["PolicyDocument", "Statement"]))
        .and_then(Node::as_seq)
        .expect("statements")
        .iter()
        .flat_map(|s| strings(s.get("Resource")))
        .collect();
    assert!(resources.contains(
        &"arn:aws:dynamodb:${AWS::Region}:${AWS::AccountId}:table/payments-dev".to_string()
    ));
}

#[test]
fn v4_apis_urls_and_images() {
    let t = transform("serverless.yml", PAYMENTS);
    let cors = prop(&t, "HttpApi", &["CorsConfiguration"]).expect("cors");
    // Stage-dependent origin resolved through ${self:custom.${sls:stage}...}.
    assert_eq!(strings(cors.get("AllowOrigins")), vec!["*"]);
    assert_eq!(
        cors.get("AllowCredentials").and_then(Node::as_bool),
        Some(true)
    );
    assert!(prop(&t, "HttpApiStage", &["AccessLogSettings", "DestinationArn"]).is_some());
    assert_eq!(
        prop_str(&t, "HttpApiRoutePostCharge", &["AuthorizationType"]),
        Some("CUSTOM")
    );
    assert_eq!(
        prop_str(&t, "HttpApiAuthorizerCustomAuth", &["AuthorizerType"]),
        Some("REQUEST")
    );
    assert_eq!(
        prop_str(&t, "HttpApiRouteDefault", &["RouteKey"]),
        Some("$default")
    );

    let refund = "RefundLambdaFunction";
    assert_eq!(prop_str(&t, refund, &["PackageType"]), Some("Image"));
    assert!(prop(&t, refund, &["Runtime"]).is_none());
    assert_eq!(
        prop_str(&t, "RefundLambdaFunctionUrl", &["AuthType"]),
        Some("AWS_IAM")
    );
    assert!(t
        .template
        .path(&["Resources", "RefundLambdaPermissionFnUrl"])
        .is_none());
    assert_eq!(
        strings(prop(
            &t,
            "RefundLambdaFunctionUrl",
            &["Cors", "AllowOrigins"]
        )),
        vec!["https://admin.example.com"]
    );

    assert_eq!(
        prop_str(&t, "WebsocketsApi", &["ProtocolType"]),
        Some("WEBSOCKET")
    );
    assert_eq!(
        prop_str(&t, "ConnectWebsocketsRoute", &["AuthorizationType"]),
        Some("CUSTOM")
    );
    assert_eq!(
        prop_str(&t, "DefaultWebsocketsRoute", &["AuthorizationType"]),
        Some("NONE")
    );

    // Malformed entries are skipped with warnings, the rest still loads.
    let messages: Vec<&str> = t.warnings.iter().map(|w| w.message.as_str()).collect();
    assert!(messages.iter().any(|m| m.contains("`bad`")), "{messages:?}");
    assert!(
        messages.iter().any(|m| m.contains("unknownEventType")),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("not a map")),
        "{messages:?}"
    );
    assert_eq!(kind_of(&t, "WorseLambdaFunction"), "AWS::Lambda::Function");
}

#[test]
fn scanner_environment_and_files_are_never_read() {
    let t = transform("fixtures/serverless/untrusted.yml", UNTRUSTED);
    let dump = t.template.to_json().to_string();
    assert!(!dump.contains("FNGUARD-MARKER"), "file content leaked");
    if let Ok(home) = std::env::var("HOME") {
        if home.len() > 1 {
            assert!(!dump.contains(&home), "HOME leaked into {dump}");
        }
    }
    // Not even the fallbacks: the deployed value may differ.
    assert!(!dump.contains("fallback-home"));
    assert!(!dump.contains("fallback-file"));
    for name in [
        "LEAK_HOME",
        "LEAK_HOME_PARTIAL",
        "LEAK_FILE",
        "LEAK_FILE_WHOLE",
        "LEAK_S3",
        "LEAK_CF",
    ] {
        let value = prop(
            &t,
            "ProbeLambdaFunction",
            &["Environment", "Variables", name],
        );
        assert!(value.is_some_and(Node::is_unknown), "{name}: {value:?}");
    }
}

#[test]
fn variable_cycles_terminate_as_unknown() {
    let t = transform("serverless.yml", UNTRUSTED);
    for name in ["CYCLE", "SELF_LOOP"] {
        let value = prop(
            &t,
            "ProbeLambdaFunction",
            &["Environment", "Variables", name],
        );
        match value.map(|v| &v.kind) {
            Some(NodeKind::Unknown(why)) => assert!(why.contains("cycle"), "{why}"),
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn load_sets_inline_ignores_and_keeps_the_format() {
    let dep = serverless::load("untrusted.yml", UNTRUSTED).expect("loads");
    assert_eq!(dep.format, fnguard_model::SourceFormat::Serverless);
    assert_eq!(dep.files, vec!["untrusted.yml".to_string()]);
    assert_eq!(dep.inline_ignores.len(), 1);
    assert_eq!(
        dep.inline_ignores[0].rule_ids,
        vec!["FG-RT-002".to_string()]
    );
}

#[test]
fn a_yaml_file_that_is_not_a_service_is_an_error_naming_it() {
    for text in [
        "foo: bar\n",
        "- a\n- b\n",
        "service: x\n",
        "provider:\n  name: aws\n",
    ] {
        let err = serverless::load("config/other.yml", text).expect_err(text);
        assert_eq!(err.path, "config/other.yml");
        assert!(
            err.message.contains("not a Serverless Framework service"),
            "{err}"
        );
    }
    let err = serverless::load("bad.yml", "service: [unclosed\n").expect_err("invalid yaml");
    assert_eq!(err.path, "bad.yml");
}

#[test]
fn hostile_and_odd_services_do_not_panic() {
    let odd = [
        "service: s\nprovider: aws\nfunctions: 5\n",
        "service: s\nprovider:\n  name: aws\nfunctions:\n  f:\n    events: {http: x}\n",
        "service: s\nprovider:\n  name: aws\nfunctions:\n  f:\n    events:\n      - http: 42\n      - httpApi: 7\n      - sqs: ~\n      - s3: ~\n      - sns: ~\n      - schedule: ~\n      - stream: ~\n      - websocket: ~\n      - cognitoUserPool: ~\n      - iot: ~\n      - cloudwatchLog: ~\n      - eventBridge: ~\n      - alexaSkill: ~\n",
        "service: s\nprovider:\n  name: aws\n  iam:\n    role: ${file(./role.yml)}\nfunctions:\n  - ${file(./fns.yml)}\n  - f:\n      handler: h.h\nresources:\n  - ${file(./res.yml)}\n  - Resources:\n      Q:\n        Type: AWS::SQS::Queue\n",
        "service: s\nprovider:\n  name: aws\n  environment: ${file(./env.yml):${sls:stage}}\nfunctions:\n  f:\n    handler: h.h\n    url: {authorizer: '${env:AUTH}'}\n",
        "service: ${self:service}\nprovider:\n  name: aws\n  stage: ${self:provider.stage}\nfunctions:\n  f:\n    handler: h.h\n",
        "service: s\nprovider:\n  name: google\nfunctions:\n  f:\n    handler: h\n",
        "service: s\nprovider:\n  name: aws\ncustom:\n  x: ${self:custom.x, ${self:custom.x, ${self:custom.x}}}\n  y: ${unterminated\n  z: ${}\n  w: ${self:custom..a}\nfunctions:\n  f:\n    handler: h.h\n    environment:\n      A: ${self:custom.x}\n      B: ${self:custom.y}\n",
    ];
    for text in odd {
        let root = fnguard_model::yaml::parse(text, 0, "s.yml").expect("yaml");
        let _ = serverless::to_cloudformation(&root, "s.yml");
        let _ = serverless::load("s.yml", text);
    }
    // A file include for functions: the included ones are unknown, the
    // rest still load, resources merge.
    let t = transform("s.yml", odd[3]);
    assert_eq!(kind_of(&t, "FLambdaFunction"), "AWS::Lambda::Function");
    assert_eq!(kind_of(&t, "Q"), "AWS::SQS::Queue");
    assert!(prop(&t, "FLambdaFunction", &["Role"]).is_some_and(Node::is_unknown));
    assert!(t.warnings.len() >= 2, "{:?}", t.warnings);
    // Another provider is not scanned, with a warning instead of an error.
    let t = transform("s.yml", odd[6]);
    assert!(ids(&t).is_empty());
    assert_eq!(t.warnings.len(), 1);
}

#[test]
fn deep_variable_chains_are_bounded() {
    let mut text = String::from("service: s\nprovider:\n  name: aws\ncustom:\n  v0: end\n");
    for i in 1..2000 {
        text.push_str(&format!("  v{i}: ${{self:custom.v{}}}\n", i - 1));
    }
    text.push_str("functions:\n  f:\n    handler: h.h\n    environment:\n      DEEP: ${self:custom.v1999}\n      SHALLOW: ${self:custom.v5}\n");
    let t = transform("s.yml", &text);
    let env = |name: &str| prop(&t, "FLambdaFunction", &["Environment", "Variables", name]);
    assert_eq!(env("SHALLOW").and_then(Node::as_str), Some("end"));
    assert!(env("DEEP").is_some_and(Node::is_unknown));
}

#[test]
fn short_form_intrinsics_name_sources_like_the_framework() {
    let text = "service: s\nprovider:\n  name: aws\n  runtime: nodejs20.x\n  iam:\n    role: !GetAtt CustomRole.Arn\nfunctions:\n  worker:\n    handler: w.h\n    events:\n      - sqs:\n          arn: !GetAtt JobsQueue.Arn\n      - stream:\n          arn: !GetAtt Orders.StreamArn\n      - s3:\n          bucket: existing-bucket\n          existing: true\n      - sns:\n          arn: !Ref AlertsTopic\n          topicName: alerts\n";
    let t = transform("s.yml", text);
    assert_eq!(
        kind_of(&t, "WorkerEventSourceMappingSQSJobsQueue"),
        "AWS::Lambda::EventSourceMapping"
    );
    assert_eq!(
        kind_of(&t, "WorkerEventSourceMappingDynamodbOrders"),
        "AWS::Lambda::EventSourceMapping"
    );
    // Existing bucket: no bucket generated, the permission names its ARN.
    assert!(!ids(&t).iter().any(|id| id.starts_with("S3Bucket")));
    assert_eq!(
        prop_str(&t, "WorkerLambdaPermissionExistingbucketS3", &["SourceArn"]),
        Some("arn:aws:s3:::existing-bucket")
    );
    assert!(matches!(
        prop(&t, "WorkerSnsSubscriptionAlerts", &["TopicArn"]).map(|n| &n.kind),
        Some(NodeKind::Tagged(tag, _)) if tag == "Ref"
    ));
    // A provider role given as a reference: no generated role at all.
    assert!(matches!(
        prop(&t, "WorkerLambdaFunction", &["Role"]).map(|n| &n.kind),
        Some(NodeKind::Tagged(tag, _)) if tag == "GetAtt"
    ));
    assert!(t
        .template
        .path(&["Resources", "IamRoleLambdaExecution"])
        .is_none());
}

#[test]
fn alerts_plugin_alarms_become_cloudwatch_alarms() {
    let text = "service: s\nplugins:\n  - serverless-plugin-aws-alerts\ncustom:\n  alerts:\n    stages: [dev, prod]\n    alarms:\n      - functionErrors\n      - functionThrottles\nprovider:\n  name: aws\nfunctions:\n  api:\n    handler: a.h\n    alarms:\n      - name: functionThrottles\n        enabled: false\n      - functionDuration\n";
    let t = transform("s.yml", text);
    let alarm = "ApiFunctionErrorsAlarm";
    assert_eq!(kind_of(&t, alarm), "AWS::CloudWatch::Alarm");
    assert_eq!(prop_str(&t, alarm, &["MetricName"]), Some("Errors"));
    assert_eq!(prop_str(&t, alarm, &["Namespace"]), Some("AWS/Lambda"));
    let dims = prop(&t, alarm, &["Dimensions"])
        .and_then(Node::as_seq)
        .expect("dims");
    assert_eq!(
        dims[0].path(&["Value", "Ref"]).and_then(Node::as_str),
        Some("ApiLambdaFunction")
    );
    assert_eq!(
        kind_of(&t, "ApiFunctionDurationAlarm"),
        "AWS::CloudWatch::Alarm"
    );
    assert!(t
        .template
        .path(&["Resources", "ApiFunctionThrottlesAlarm"])
        .is_none());

    // Not deployed to this stage, or the plugin not loaded: no alarms.
    for other in [
        text.replace("[dev, prod]", "[prod]"),
        text.replace("serverless-plugin-aws-alerts", "serverless-offline"),
    ] {
        let t = transform("s.yml", &other);
        assert!(!ids(&t).iter().any(|id| id.ends_with("Alarm")));
    }
}

#[test]
fn common_plugins_for_throttling_waf_and_log_retention() {
    let text = "service: s\nplugins:\n  - serverless-api-gateway-throttling\n  - serverless-associate-waf\n  - serverless-plugin-log-retention\ncustom:\n  apiGatewayThrottling:\n    maxRequestsPerSecond: 100\n    maxConcurrentRequests: 50\n  associateWaf:\n    name: shared-acl\n    version: V2\n  logRetentionInDays: 14\nprovider:\n  name: aws\n  logs:\n    restApi: true\nfunctions:\n  api:\n    handler: a.h\n    events:\n      - http: GET items\n";
    let t = transform("s.yml", text);
    let settings = prop(&t, "ApiGatewayStage", &["MethodSettings"])
        .and_then(Node::as_seq)
        .expect("method settings");
    assert_eq!(settings.len(), 1);
    assert_eq!(
        settings[0]
            .get("ThrottlingRateLimit")
            .and_then(Node::as_i64),
        Some(100)
    );
    assert_eq!(
        settings[0].get("LoggingLevel").and_then(Node::as_str),
        Some("INFO")
    );
    assert_eq!(
        prop_str(&t, "ApiGatewayWafAssociation", &["ResourceArn", "Fn::Sub"]),
        Some("arn:${AWS::Partition}:apigateway:${AWS::Region}::/restapis/${ApiGatewayRestApi}/stages/dev")
    );
    assert_eq!(
        prop(&t, "ApiLogGroup", &["RetentionInDays"]).and_then(Node::as_i64),
        Some(14)
    );
    assert_eq!(
        prop_str(&t, "ApiGatewayMethodItemsGet", &["HttpMethod"]),
        Some("GET")
    );

    // The same settings without the plugins mean nothing.
    let bare = text.replace("serverless-", "other-");
    let t = transform("s.yml", &bare);
    assert!(prop(&t, "ApiGatewayStage", &["MethodSettings"])
        .and_then(Node::as_seq)
        .is_some_and(|s| s[0].get("ThrottlingRateLimit").is_none()));
    assert!(t
        .template
        .path(&["Resources", "ApiGatewayWafAssociation"])
        .is_none());
    assert!(prop(&t, "ApiLogGroup", &["RetentionInDays"]).is_none());
}

#[test]
fn rest_cors_becomes_an_options_preflight_per_path() {
    let text = r#"
service: shop
provider:
  name: aws
  runtime: nodejs20.x
functions:
  create:
    handler: h.create
    events:
      - http:
          path: orders
          method: post
          cors:
            origin: "*"
            headers: [Content-Type, Authorization]
            allowCredentials: true
  list:
    handler: h.list
    events:
      - http:
          path: orders
          method: get
          cors: true
  get:
    handler: h.get
    events:
      - http:
          path: orders/{id}
          method: get
          cors:
            origins: [https://a.example.com, https://b.example.com]
            allowCredentials: ${env:ALLOW_CREDENTIALS}
  plain:
    handler: h.plain
    events:
      - http: GET health
  proxy:
    handler: h.proxy
    events:
      - http:
          path: "{proxy+}"
          method: any
          cors: true
"#;
    let t = transform("serverless.yml", text);
    let header = |id: &str, name: &str| {
        prop(&t, id, &["Integration", "IntegrationResponses"])
            .and_then(Node::as_seq)
            .and_then(|items| items.first())
            .and_then(|r| {
                r.path(&[
                    "ResponseParameters",
                    &format!("method.response.header.Access-Control-{name}"),
                ])
            })
            .cloned()
    };
    let orders = "ApiGatewayMethodOrdersOptions";
    assert_eq!(kind_of(&t, orders), "AWS::ApiGateway::Method");
    assert!(is_implicit(&t, orders));
    assert_eq!(prop_str(&t, orders, &["HttpMethod"]), Some("OPTIONS"));
    assert_eq!(prop_str(&t, orders, &["AuthorizationType"]), Some("NONE"));
    assert_eq!(prop_str(&t, orders, &["Integration", "Type"]), Some("MOCK"));
    assert_eq!(
        header(orders, "Allow-Origin").and_then(|n| n.as_str().map(str::to_string)),
        Some("'*'".to_string())
    );
    // Both events on the path merge: credentials from the first stay.
    let credentials = header(orders, "Allow-Credentials").expect("credentials header");
    assert_eq!(credentials.as_str(), Some("'true'"));
    assert_eq!(
        credentials.loc.line,
        line_of(text, "allowCredentials: true")
    );
    assert_eq!(
        header(orders, "Allow-Methods").and_then(|n| n.as_str().map(str::to_string)),
        Some("'OPTIONS,POST,GET'".to_string())
    );
    assert_eq!(
        header(orders, "Allow-Headers").and_then(|n| n.as_str().map(str::to_string)),
        Some("'Content-Type,Authorization'".to_string())
    );

    let by_id = "ApiGatewayMethodOrdersIdVarOptions";
    assert_eq!(
        header(by_id, "Allow-Origin").and_then(|n| n.as_str().map(str::to_string)),
        Some("'https://a.example.com,https://b.example.com'".to_string())
    );
    assert!(
        header(by_id, "Allow-Credentials").is_some_and(|n| n.is_unknown()),
        "an ${{env:}} credentials flag stays unknown"
    );
    let proxy = "ApiGatewayMethodProxyVarOptions";
    assert_eq!(
        header(proxy, "Allow-Methods").and_then(|n| n.as_str().map(str::to_string)),
        Some("'OPTIONS,DELETE,GET,HEAD,PATCH,POST,PUT'".to_string())
    );
    assert!(header(proxy, "Allow-Credentials").is_none());
    // No cors, no preflight.
    assert!(!ids(&t)
        .iter()
        .any(|id| id == "ApiGatewayMethodHealthOptions"));
}

#[test]
fn generated_log_groups_name_their_function() {
    // A service name read from a file leaves every function and log group
    // name unknown, all for the same reason: only the metadata tells which
    // group is whose.
    let text = r#"
service: ${file(./secrets.json):ApiName}
provider:
  name: aws
  runtime: nodejs20.x
functions:
  graphql:
    handler: handler.server
  playground:
    handler: handler.playground
"#;
    let t = transform("serverless.yml", text);
    for (group, function) in [
        ("GraphqlLogGroup", "GraphqlLambdaFunction"),
        ("PlaygroundLogGroup", "PlaygroundLambdaFunction"),
    ] {
        assert!(is_implicit(&t, group));
        assert!(prop(&t, group, &["LogGroupName"]).is_some_and(Node::is_unknown));
        assert_eq!(
            res(&t, group)
                .path(&["Metadata", "fnguard", "function"])
                .and_then(Node::as_str),
            Some(function)
        );
        assert_eq!(kind_of(&t, function), "AWS::Lambda::Function");
    }
}

#[test]
fn an_unresolved_private_flag_stays_unknown() {
    let text = r#"
service: partner
provider:
  name: aws
  runtime: nodejs20.x
functions:
  quote:
    handler: h.quote
    events:
      - http:
          path: quotes
          method: post
          private: ${env:QUOTES_PRIVATE}
      - http:
          path: quotes
          method: get
          private: true
"#;
    let t = transform("serverless.yml", text);
    assert!(
        prop(&t, "ApiGatewayMethodQuotesPost", &["ApiKeyRequired"]).is_some_and(Node::is_unknown)
    );
    assert_eq!(
        prop(&t, "ApiGatewayMethodQuotesGet", &["ApiKeyRequired"]).and_then(Node::as_bool),
        Some(true)
    );
}

#[test]
fn unresolved_url_and_rest_logs_settings_stay_unknown_or_on() {
    let text = r#"
service: flags
provider:
  name: aws
  runtime: nodejs20.x
  logs:
    restApi: ${param:restApiLogs}
functions:
  hook:
    handler: h.hook
    url: ${param:hookUrl}
    events:
      - http:
          path: hook
          method: post
"#;
    let t = transform("serverless.yml", text);
    let url = "HookLambdaFunctionUrl";
    assert!(prop(&t, url, &["AuthType"]).is_some_and(Node::is_unknown));
    assert!(
        !ids(&t).iter().any(|id| id == "HookLambdaPermissionFnUrl"),
        "no public-URL permission for an unknown url setting"
    );
    assert!(prop(
        &t,
        "ApiGatewayStage",
        &["AccessLogSetting", "DestinationArn"]
    )
    .is_some());
}
