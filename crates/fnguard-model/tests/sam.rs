//! SAM transform, end to end on fixture templates.
//!
//! `tests/fixtures/sam/expected/*.oracle.json` were produced by AWS's own
//! translator (aws-sam-translator 1.115.0) with `scripts/sam-oracle.py`;
//! `oracle_agreement` checks that our transform yields the same execution
//! roles, route authorization and invoke permissions, so that Python is
//! needed only to regenerate them. `every_policy_template_expands_like_sam`
//! compares all 81 policy templates document for document.
//!
//! Recorded on 2026-11-28 with `any_template_agrees_with_the_oracle_on_request`:
//! the examples' vulnerable and hardened SAM applications agree, and so do the
//! 43 of the first 80 benchmark-corpus SAM templates that aws-sam-translator
//! accepts (it rejects the other 37: the same method twice on a path, or an
//! Authorizer on an API that defines none). Also agreeing (aws-sam-translator
//! 1.110.0): the 19 SAM templates of the wild corpus (`tests/wild`, upstream
//! SAM examples and translator inputs, serverless-patterns) it accepts.

use fnguard_core::{Node, NodeKind};
use fnguard_model::cfn::sam;
use serde_json::map::Iter;
use serde_json::{json, Map, Value};
use std::path::PathBuf;

fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/sam")
        .join(name)
}

fn load(name: &str) -> (String, Node) {
    let text = std::fs::read_to_string(fixture_path(name)).expect("fixture");
    let root = fnguard_model::yaml::parse(&text, 0, name).expect("fixture parses");
    let out = sam::transform(&root).expect("transform");
    (text, out)
}

fn resources(out: &Node) -> &[fnguard_core::doc::MapEntry] {
    out.get("Resources")
        .and_then(Node::as_map)
        .expect("Resources")
}

fn resource<'a>(out: &'a Node, id: &str) -> &'a Node {
    out.path(&["Resources", id])
        .unwrap_or_else(|| panic!("no resource {id}"))
}

fn of_type<'a>(out: &'a Node, rtype: &str) -> Vec<(&'a str, &'a Node)> {
    resources(out)
        .iter()
        .filter(|e| e.value.get("Type").and_then(Node::as_str) == Some(rtype))
        .map(|e| (e.key.as_str(), &e.value))
        .collect()
}

/// The resource a `Ref`/`GetAtt` names, long form or (still) a YAML tag.
fn target(node: &Value) -> Option<&str> {
    node.get("Ref")
        .and_then(Value::as_str)
        .or_else(|| node.get("Fn::GetAtt")?.get(0)?.as_str())
        .or_else(|| node.get("GetAtt")?.as_str()?.split('.').next())
}

/// `{"Fn::If": [cond, {PolicyName...}, NoValue]}` -> the policy branch.
fn unwrap_if(policy: &Value) -> Option<&Value> {
    match policy.get("Fn::If").and_then(Value::as_array) {
        Some(args) => args.iter().skip(1).find(|b| b.get("PolicyName").is_some()),
        None => Some(policy),
    }
}

fn actions(document: &Value) -> Vec<Value> {
    let statements = match document.get("Statement") {
        Some(Value::Array(s)) => s.clone(),
        Some(s) => vec![s.clone()],
        None => vec![],
    };
    let mut out = Vec::new();
    for st in statements {
        match st.get("Action").or_else(|| st.get("NotAction")) {
            Some(Value::Array(a)) => out.extend(a.iter().cloned()),
            Some(a) => out.push(a.clone()),
            None => {}
        }
    }
    out
}

/// The same summary `scripts/sam-oracle.py` prints.
fn summarize(out: &Node) -> Value {
    let res = out.get("Resources").expect("Resources").to_json();
    let res = res.as_object().expect("map");
    fn of<'v>(
        res: &'v Map<String, Value>,
        t: &'static str,
    ) -> impl Iterator<Item = (&'v String, &'v Value)> {
        let it: Iter<'v> = res.iter();
        it.filter(move |(_, r)| r.get("Type").and_then(Value::as_str) == Some(t))
    }
    let mut functions = Map::new();
    for (id, f) in of(res, "AWS::Lambda::Function") {
        let role_ref = &f["Properties"]["Role"];
        let role_id = target(role_ref).filter(|r| res.contains_key(*r));
        let mut entry = Map::new();
        match role_id {
            Some(role_id) => {
                entry.insert("role".into(), json!(role_id));
                let props = &res[role_id]["Properties"];
                let managed = &props["ManagedPolicyArns"];
                let managed = if managed.is_null() {
                    json!([])
                } else {
                    plain_arns(managed)
                };
                entry.insert("managed".into(), managed);
                let mut inline = Map::new();
                for p in props["Policies"].as_array().into_iter().flatten() {
                    let Some(p) = unwrap_if(p) else {
                        continue;
                    };
                    let name = p["PolicyName"].as_str().unwrap_or("?").to_string();
                    inline.insert(name, Value::Array(actions(&p["PolicyDocument"])));
                }
                entry.insert("inline".into(), Value::Object(inline));
                let mut services: Vec<Value> = props["AssumeRolePolicyDocument"]["Statement"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .flat_map(|st| match &st["Principal"]["Service"] {
                        Value::Array(list) => list.clone(),
                        Value::Null => vec![],
                        one => vec![one.clone()],
                    })
                    .collect();
                services.sort_by_key(|s| s.to_string());
                entry.insert("trust_services".into(), Value::Array(services));
            }
            None => {
                entry.insert("role".into(), role_ref.clone());
            }
        }
        functions.insert(id.clone(), Value::Object(entry));
    }

    let mut apis: Map<String, Value> = Map::new();
    for (_, m) in of(res, "AWS::ApiGateway::Method") {
        let p = &m["Properties"];
        let api = target(&p["RestApiId"]).unwrap_or("?").to_string();
        let key = format!(
            "{} {}",
            p["HttpMethod"].as_str().unwrap_or("?"),
            path_of(res, &p["ResourceId"])
        );
        let route = json!({
            "auth": p["AuthorizationType"],
            "api_key": p.get("ApiKeyRequired").cloned().unwrap_or(json!(false)),
        });
        apis.entry(api)
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .expect("map")
            .insert(key, route);
    }
    for (_, r) in of(res, "AWS::ApiGatewayV2::Route") {
        let p = &r["Properties"];
        let api = target(&p["ApiId"]).unwrap_or("?").to_string();
        let key = p["RouteKey"].as_str().unwrap_or("?").to_string();
        apis.entry(api)
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .expect("map")
            .insert(key, json!({"auth": p["AuthorizationType"]}));
    }
    for (id, api) in res {
        let body = &api["Properties"]["Body"];
        let rest = match api.get("Type").and_then(Value::as_str) {
            Some("AWS::ApiGateway::RestApi") => true,
            Some("AWS::ApiGatewayV2::Api") => false,
            _ => continue,
        };
        let Some(paths) = body.get("paths").and_then(Value::as_object) else {
            continue;
        };
        let routes = apis
            .entry(id.clone())
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .expect("map");
        for (path, ops) in paths {
            for (method, op) in ops.as_object().into_iter().flatten() {
                let method = if method == "x-amazon-apigateway-any-method" {
                    "ANY".to_string()
                } else {
                    method.to_ascii_uppercase()
                };
                if rest {
                    let defs = &body["securityDefinitions"];
                    let api_key = op["security"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .any(|req| req.get("api_key").is_some());
                    routes.insert(
                        format!("{method} {path}"),
                        json!({"auth": body_auth(op, defs, true), "api_key": api_key}),
                    );
                } else {
                    let defs = &body["components"]["securitySchemes"];
                    let key = if path == "$default" {
                        path.clone()
                    } else {
                        format!("{method} {path}")
                    };
                    routes.insert(key, json!({"auth": body_auth(op, defs, false)}));
                }
            }
        }
    }
    let permissions: Map<String, Value> = of(res, "AWS::Lambda::Permission")
        .map(|(id, p)| (id.clone(), p["Properties"]["Principal"].clone()))
        .collect();
    json!({"functions": functions, "apis": apis, "permissions": permissions})
}

/// Managed policy ARNs written as `!Sub arn:${AWS::Partition}:...`, as the
/// oracle script prints them (plain `arn:aws:...`).
fn plain_arns(list: &Value) -> Value {
    let plain = |v: &Value| {
        let sub = v
            .get("Fn::Sub")
            .or_else(|| v.get("Sub"))
            .and_then(Value::as_str);
        match sub {
            Some(text) => json!(text.replace("${AWS::Partition}", "aws")),
            None => v.clone(),
        }
    };
    match list {
        Value::Array(items) => Value::Array(items.iter().map(plain).collect()),
        other => other.clone(),
    }
}

/// An OpenAPI operation's authorization as `scripts/sam-oracle.py` names
/// it: the first scheme of its `security` other than the API key.
fn body_auth(op: &Value, defs: &Value, rest: bool) -> &'static str {
    let names: Vec<&String> = op["security"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .flat_map(|req| req.keys())
        .filter(|name| name.as_str() != "api_key")
        .collect();
    let Some(name) = names.first() else {
        return "NONE";
    };
    let def = &defs[name.as_str()];
    let authtype = def["x-amazon-apigateway-authtype"].as_str().unwrap_or("");
    let authorizer = def["x-amazon-apigateway-authorizer"]["type"]
        .as_str()
        .unwrap_or("");
    match (name.as_str(), authtype, authorizer) {
        ("NONE", _, _) => "NONE",
        ("AWS_IAM", _, _) | (_, "awsSigv4", _) => "AWS_IAM",
        (_, "cognito_user_pools", _) => "COGNITO_USER_POOLS",
        (_, "custom", _) if rest => "CUSTOM",
        _ if def["type"].as_str() == Some("oauth2") => "JWT",
        (_, _, "request") => "CUSTOM",
        _ => "OTHER",
    }
}

/// A Method's path, from its `AWS::ApiGateway::Resource` chain.
fn path_of(res: &Map<String, Value>, resource_id: &Value) -> String {
    let mut parts = Vec::new();
    let mut current = resource_id;
    while let Some(id) = current.get("Ref").and_then(Value::as_str) {
        let Some(props) = res.get(id).map(|r| &r["Properties"]) else {
            break;
        };
        parts.push(props["PathPart"].as_str().unwrap_or("?").to_string());
        current = &props["ParentId"];
    }
    parts.reverse();
    format!("/{}", parts.join("/"))
}

fn oracle(name: &str) -> Value {
    let text = std::fs::read_to_string(fixture_path(&format!("expected/{name}.oracle.json")))
        .expect("oracle output");
    serde_json::from_str(&text).expect("oracle json")
}

fn assert_agrees(fixture: &str) {
    let (_, out) = load(&format!("{fixture}.yaml"));
    compare_summaries(fixture, &summarize(&out), &oracle(fixture));
}

fn compare_summaries(fixture: &str, ours: &Value, theirs: &Value) {
    // An API without routes is listed by the oracle only when SAM wrote it
    // an OpenAPI body; routes are what matters.
    let without_empty_apis = |summary: &Value| {
        let mut summary = summary.clone();
        if let Some(apis) = summary.get_mut("apis").and_then(Value::as_object_mut) {
            apis.retain(|_, routes| routes.as_object().is_some_and(|r| !r.is_empty()));
        }
        summary
    };
    let (ours, theirs) = (&without_empty_apis(ours), &without_empty_apis(theirs));
    for section in ["functions", "apis", "permissions"] {
        // Values compare maps whatever their key order (serde_json may
        // keep insertion order); the texts only show the difference.
        assert!(
            ours[section] == theirs[section],
            "{fixture}: {section} differ from aws-sam-translator\nours: {}\noracle: {}",
            serde_json::to_string_pretty(&sorted(&ours[section])).unwrap_or_default(),
            serde_json::to_string_pretty(&sorted(&theirs[section])).unwrap_or_default(),
        );
    }
}

/// `value` with every map's keys in order, so that two printed summaries
/// can be compared line by line.
fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), sorted(&map[k])))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

#[test]
fn oracle_agreement_app() {
    assert_agrees("app");
}

#[test]
fn oracle_agreement_apis() {
    assert_agrees("apis");
}

#[test]
fn oracle_agreement_events() {
    assert_agrees("events");
}

fn loc_line(node: &Node) -> u32 {
    node.loc.line
}

/// The line of `needle` (first occurrence) in `text`, 1-based.
fn line_of(text: &str, needle: &str) -> u32 {
    text.lines()
        .position(|l| l.contains(needle))
        .map(|i| i as u32 + 1)
        .unwrap_or_else(|| panic!("{needle} not in fixture"))
}

#[test]
fn globals_merge_into_functions() {
    let (_, out) = load("app.yaml");
    let create = resource(&out, "CreateOrder");
    let vars = create
        .path(&["Properties", "Environment", "Variables"])
        .expect("vars");
    assert_eq!(vars.get("TABLE").and_then(Node::as_str), Some("orders"));
    assert_eq!(vars.get("LOG_LEVEL").and_then(Node::as_str), Some("debug"));
    let layers = create
        .path(&["Properties", "Layers"])
        .and_then(Node::as_seq)
        .expect("layers");
    assert_eq!(layers.len(), 2, "global layer first, then the function's");
    assert_eq!(
        layers[0].as_str(),
        Some("arn:aws:lambda:us-east-1:123456789012:layer:common:1")
    );
    assert!(matches!(layers[1].kind, NodeKind::Tagged(ref t, _) if t == "Ref"));
    assert_eq!(
        create
            .path(&["Properties", "TracingConfig", "Mode"])
            .and_then(Node::as_str),
        Some("Active")
    );
    // ProcessOrder overrides the global Tracing.
    assert_eq!(
        resource(&out, "ProcessOrder")
            .path(&["Properties", "TracingConfig", "Mode"])
            .and_then(Node::as_str),
        Some("PassThrough")
    );
    assert!(out.get("Globals").is_none());
    // Globals.Api configured the implicit API's authorizer.
    assert_eq!(
        resource(&out, "ServerlessRestApiCognitoAuthAuthorizer")
            .path(&["Properties", "Type"])
            .and_then(Node::as_str),
        Some("COGNITO_USER_POOLS")
    );
}

#[test]
fn generated_resources_point_at_what_the_user_wrote() {
    let (text, out) = load("app.yaml");
    let entries = resources(&out);
    let key_line = |id: &str| {
        entries
            .iter()
            .find(|e| e.key == id)
            .map(|e| e.key_loc.line)
            .unwrap_or_else(|| panic!("no {id}"))
    };
    assert_eq!(
        key_line("CreateOrderRole"),
        line_of(&text, "  CreateOrder:")
    );
    assert_eq!(
        key_line("CreateOrderCreateMethod"),
        line_of(&text, "        Create:")
    );
    assert_eq!(
        loc_line(resource(&out, "CreateOrderCreateMethod")),
        line_of(&text, "        Create:")
    );
    assert_eq!(
        key_line("ProcessOrderQueue"),
        line_of(&text, "        Queue:")
    );
    assert_eq!(key_line("WebhookUrl"), line_of(&text, "  Webhook:"));
    assert_eq!(
        loc_line(resource(&out, "WebhookUrl")),
        line_of(&text, "      FunctionUrlConfig:") + 1
    );
    // The implicit API sits at the first Api event.
    assert_eq!(
        key_line("ServerlessRestApi"),
        line_of(&text, "        Create:")
    );
    assert_eq!(
        key_line("ServerlessHttpApi"),
        line_of(&text, "        Http:")
    );
    // The function's ignore list travels with what it generates.
    let ignore = resource(&out, "CreateOrderRole")
        .path(&["Metadata", "fnguard", "ignore"])
        .and_then(Node::as_seq)
        .expect("ignores copied");
    assert_eq!(
        ignore[0].get("id").and_then(Node::as_str),
        Some("FG-RT-002")
    );
    // And every generated resource says it was generated; declared ones do not.
    for (id, r) in of_type(&out, "AWS::Lambda::Permission") {
        assert_eq!(
            r.path(&["Metadata", "fnguard", "implicit"])
                .and_then(Node::as_bool),
            Some(true),
            "{id}"
        );
    }
    assert!(resource(&out, "CreateOrder")
        .path(&["Metadata", "fnguard", "implicit"])
        .is_none());
}

#[test]
fn every_event_kind_becomes_its_cloudformation_resources() {
    let (_, out) = load("app.yaml");
    let kind = |id: &str| {
        resource(&out, id)
            .get("Type")
            .and_then(Node::as_str)
            .map(str::to_string)
    };
    let expect = [
        ("ProcessOrderQueue", "AWS::Lambda::EventSourceMapping"),
        ("ProcessOrderStream", "AWS::Lambda::EventSourceMapping"),
        ("ProcessOrderTopic", "AWS::SNS::Subscription"),
        ("ProcessOrderTopicPermission", "AWS::Lambda::Permission"),
        ("ProcessOrderNightly", "AWS::Events::Rule"),
        ("ProcessOrderNightlyPermission", "AWS::Lambda::Permission"),
        ("ProcessOrderBus", "AWS::Events::Rule"),
        ("ProcessOrderUploadPermission", "AWS::Lambda::Permission"),
        (
            "ProcessOrderEventInvokeConfig",
            "AWS::Lambda::EventInvokeConfig",
        ),
        ("WebhookHttpRoute", "AWS::ApiGatewayV2::Route"),
        ("WebhookHttpIntegration", "AWS::ApiGatewayV2::Integration"),
        ("WebhookLogs", "AWS::Logs::SubscriptionFilter"),
        ("WebhookLogsPermission", "AWS::Lambda::Permission"),
        ("WebhookAlexaPermission", "AWS::Lambda::Permission"),
        ("WebhookUrl", "AWS::Lambda::Url"),
        ("OrdersTable", "AWS::DynamoDB::Table"),
        ("SharedLayer", "AWS::Lambda::LayerVersion"),
        (
            "ServerlessHttpApiApiGatewayDefaultStage",
            "AWS::ApiGatewayV2::Stage",
        ),
    ];
    for (id, rtype) in expect {
        assert_eq!(kind(id).as_deref(), Some(rtype), "{id}");
    }
    let rule = resource(&out, "ProcessOrderNightly");
    assert_eq!(
        rule.path(&["Properties", "ScheduleExpression"])
            .and_then(Node::as_str),
        Some("rate(1 day)")
    );
    let targets = rule
        .path(&["Properties", "Targets"])
        .expect("targets")
        .to_json();
    assert_eq!(
        targets[0]["Arn"],
        json!({"Fn::GetAtt": ["ProcessOrder", "Arn"]})
    );
    let sub = resource(&out, "ProcessOrderTopic")
        .get("Properties")
        .expect("props")
        .to_json();
    assert_eq!(sub["Protocol"], json!("lambda"));
    let bucket = resource(&out, "Uploads").to_json();
    assert_eq!(
        bucket["Properties"]["NotificationConfiguration"]["LambdaConfigurations"][0]["Event"],
        json!("s3:ObjectCreated:*")
    );
    let alexa = resource(&out, "WebhookAlexaPermission")
        .get("Properties")
        .expect("props")
        .to_json();
    assert_eq!(alexa["EventSourceToken"], json!("amzn1.ask.skill.1"));

    let (_, out) = load("events.yaml");
    for (id, rtype) in [
        ("ConsumerKinesis", "AWS::Lambda::EventSourceMapping"),
        ("ConsumerBroker", "AWS::Lambda::EventSourceMapping"),
        ("ConsumerKafka", "AWS::Lambda::EventSourceMapping"),
        ("ConsumerBuffered", "AWS::SNS::Subscription"),
        (
            "ConsumerBufferedEventSourceMapping",
            "AWS::Lambda::EventSourceMapping",
        ),
        ("ReactorIot", "AWS::IoT::TopicRule"),
        ("ReactorEvery", "AWS::Events::Rule"),
        ("ReactorLegacy", "AWS::Events::Rule"),
    ] {
        assert_eq!(
            resource(&out, id).get("Type").and_then(Node::as_str),
            Some(rtype),
            "{id}"
        );
    }
}

#[test]
fn explicit_api_settings_reach_stage_usage_plan_and_authorizers() {
    let (_, out) = load("apis.yaml");
    let api = resource(&out, "PaymentsApi")
        .get("Properties")
        .expect("props")
        .to_json();
    assert_eq!(api["EndpointConfiguration"]["Types"], json!(["REGIONAL"]));
    assert!(api["Policy"]["Statement"]
        .to_string()
        .contains("NotIpAddress"));
    let stage = resource(&out, "PaymentsApiliveStage")
        .get("Properties")
        .expect("props")
        .to_json();
    assert_eq!(stage["StageName"], json!("live"));
    assert_eq!(stage["TracingEnabled"], json!(true));
    assert_eq!(stage["MethodSettings"][0]["ThrottlingRateLimit"], json!(5));
    assert!(stage["AccessLogSetting"]["DestinationArn"].is_string());
    let plan = resource(&out, "PaymentsApiUsagePlan")
        .get("Properties")
        .expect("props")
        .to_json();
    assert_eq!(plan["Throttle"]["BurstLimit"], json!(20));
    assert_eq!(
        plan["ApiStages"][0]["Stage"],
        json!({"Ref": "PaymentsApiliveStage"})
    );
    let token = resource(&out, "PaymentsApiTokenAuthAuthorizer")
        .get("Properties")
        .expect("props")
        .to_json();
    assert_eq!(token["Type"], json!("TOKEN"));
    let pool = resource(&out, "PaymentsApiPoolAuthorizer")
        .get("Properties")
        .expect("props")
        .to_json();
    assert_eq!(pool["Type"], json!("COGNITO_USER_POOLS"));
    // CORS preflight methods carry the CORS headers.
    let preflight: Vec<_> = of_type(&out, "AWS::ApiGateway::Method")
        .into_iter()
        .filter(|(_, m)| {
            m.path(&["Properties", "HttpMethod"]).and_then(Node::as_str) == Some("OPTIONS")
        })
        .collect();
    assert_eq!(preflight.len(), 3);
    let headers = preflight[0].1.to_json()["Properties"]["Integration"]["IntegrationResponses"][0]
        ["ResponseParameters"]
        .clone();
    assert_eq!(
        headers["method.response.header.Access-Control-Allow-Origin"],
        json!("'https://app.example.com'")
    );
    assert_eq!(
        headers["method.response.header.Access-Control-Allow-Credentials"],
        json!("'true'")
    );
    // HTTP API: CORS, throttling defaults, JWT and Lambda authorizers.
    let http = resource(&out, "PaymentsHttp")
        .get("Properties")
        .expect("props")
        .to_json();
    assert_eq!(http["CorsConfiguration"]["AllowCredentials"], json!(true));
    let http_stage = resource(&out, "PaymentsHttpApiGatewayDefaultStage").to_json();
    assert_eq!(
        http_stage["Properties"]["DefaultRouteSettings"]["ThrottlingBurstLimit"],
        json!(50)
    );
    let jwt = resource(&out, "PaymentsHttpJwtAuthorizer").to_json();
    assert_eq!(
        jwt["Properties"]["JwtConfiguration"]["Audience"],
        json!(["payments"])
    );
    let lambda = resource(&out, "PaymentsHttpLambdaAuthAuthorizer").to_json();
    assert_eq!(
        lambda["Properties"]["IdentitySource"],
        json!(["$request.header.Authorization"])
    );
}

#[test]
fn oracle_agreement_globals() {
    assert_agrees("globals");
}

#[test]
fn oracle_agreement_every_policy_template() {
    assert_agrees("policy_templates");
}

/// Every template's full document, arguments substituted, equals what
/// aws-sam-translator deploys (`expected/policy_templates.documents.json`
/// is its output for the fixture's role).
#[test]
fn every_policy_template_expands_like_sam() {
    let (_, out) = load("policy_templates.yaml");
    let ours = resource(&out, "EverythingRole")
        .path(&["Properties", "Policies"])
        .expect("policies")
        .to_json();
    let text = std::fs::read_to_string(fixture_path("expected/policy_templates.documents.json"))
        .expect("expected documents");
    let theirs: Value = serde_json::from_str(&text).expect("json");
    let (ours, theirs) = (
        ours.as_array().expect("list"),
        theirs.as_array().expect("list"),
    );
    assert_eq!(ours.len(), theirs.len());
    for (a, b) in ours.iter().zip(theirs) {
        assert_eq!(a, b, "policy template document differs");
    }
    assert!(!out.contains_unknown(), "every argument was given");
}

/// Positions of every node, as child indexes from the root.
fn node_paths(node: &Node, prefix: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
    out.push(prefix.clone());
    let children: Vec<&Node> = match &node.kind {
        NodeKind::Seq(items) => items.iter().collect(),
        NodeKind::Map(entries) => entries.iter().map(|e| &e.value).collect(),
        NodeKind::Tagged(_, inner) => vec![inner.as_ref()],
        _ => vec![],
    };
    for (i, child) in children.into_iter().enumerate() {
        prefix.push(i);
        node_paths(child, prefix, out);
        prefix.pop();
    }
}

fn replace_at(node: &mut Node, path: &[usize], with: &Node) {
    let Some((first, rest)) = path.split_first() else {
        *node = with.clone();
        return;
    };
    let child = match &mut node.kind {
        NodeKind::Seq(items) => items.get_mut(*first),
        NodeKind::Map(entries) => entries.get_mut(*first).map(|e| &mut e.value),
        NodeKind::Tagged(_, inner) => Some(inner.as_mut()),
        _ => None,
    };
    if let Some(child) = child {
        replace_at(child, rest, with);
    }
}

/// Templates from the wild are often half-written: whatever node of a valid
/// template is replaced by a value of another shape, the transform still
/// returns a template and never panics.
#[test]
fn any_node_of_any_shape_never_panics() {
    let loc = fnguard_core::Loc::new(0, 1, 1);
    let replacements = [
        Node::new(NodeKind::Null, loc),
        Node::str("x", loc),
        Node::new(NodeKind::Number("-1".into()), loc),
        Node::new(NodeKind::Seq(vec![Node::str("y", loc)]), loc),
        Node::new(NodeKind::Map(vec![]), loc),
        Node::unknown("fuzz", loc),
    ];
    for fixture in [
        "app.yaml",
        "apis.yaml",
        "events.yaml",
        "globals.yaml",
        "preflight.yaml",
    ] {
        let text = std::fs::read_to_string(fixture_path(fixture)).expect("fixture");
        let root = fnguard_model::yaml::parse(&text, 0, fixture).expect("parses");
        let mut paths = Vec::new();
        node_paths(&root, &mut Vec::new(), &mut paths);
        for path in paths.iter().skip(1) {
            for with in &replacements {
                let mut mutated = root.clone();
                replace_at(&mut mutated, path, with);
                let out = sam::transform(&mutated);
                assert!(out.is_ok(), "{fixture} {path:?}: {out:?}");
            }
        }
    }
}

/// APIs with an inline DefinitionBody: REST events on them add no route
/// (unless MergeDefinitions), HttpApi events merge into the body, and the
/// default authorizer reaches body operations. Oracle output from
/// aws-sam-translator 1.110.0.
#[test]
fn oracle_agreement_definition_body() {
    assert_agrees("definition_body");
}

/// The same template through the loader: each route once, linked to its
/// function, the merged `$default` route located at the event that gave it
/// its function.
#[test]
fn definition_body_routes_exist_once_with_sams_authorization() {
    use fnguard_core::Field;
    use fnguard_model::AuthKind;
    let name = "definition_body.yaml";
    let text = std::fs::read_to_string(fixture_path(name)).expect("fixture");
    let dep = fnguard_model::cfn::load(name, &text).expect("loads");
    let routes = |api: &str| -> Vec<(String, Option<AuthKind>, Option<String>, u32)> {
        let api = dep.apis.iter().find(|a| a.id == api).expect("api");
        let mut out: Vec<_> = api
            .routes
            .iter()
            .map(|r| {
                let auth = match &r.auth {
                    Field::Known(kind, _) => Some(kind.clone()),
                    _ => None,
                };
                (
                    format!("{} {}", r.method, r.path),
                    auth,
                    r.function.clone(),
                    r.loc.line,
                )
            })
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    };
    let orders = routes("OrdersApi");
    let keys: Vec<&str> = orders.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(
        keys,
        [
            "GET /orders",
            "GET /public",
            "GET /status",
            "OPTIONS /admin",
            "OPTIONS /orders",
            "OPTIONS /public",
            "OPTIONS /status",
            "POST /admin"
        ],
        "a preflight per body path, no route for the unlisted event"
    );
    let auth_of = |routes: &[(String, Option<AuthKind>, Option<String>, u32)], key: &str| {
        routes.iter().find(|r| r.0 == key).and_then(|r| r.1.clone())
    };
    assert_eq!(auth_of(&orders, "GET /orders"), Some(AuthKind::Cognito));
    assert_eq!(auth_of(&orders, "GET /public"), Some(AuthKind::None));
    assert_eq!(auth_of(&orders, "POST /admin"), Some(AuthKind::Iam));

    let merged = routes("MergedApi");
    assert_eq!(merged.len(), 2, "{merged:?}");
    assert!(merged
        .iter()
        .all(|r| r.1 == Some(AuthKind::Iam) && r.2.as_deref() == Some("OrdersFunction")));

    let open = routes("OpenHttpApi");
    assert_eq!(open.len(), 1, "one $default route, not two: {open:?}");
    assert_eq!(open[0].1, Some(AuthKind::None));
    assert_eq!(open[0].2.as_deref(), Some("OrdersFunction"));
    assert_eq!(open[0].3, line_of(&text, "Anything:"));

    let jwt = routes("JwtHttpApi");
    let keys: Vec<&str> = jwt.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(
        keys,
        ["GET /catalog", "GET /me", "OPTIONS /orders", "POST /orders"]
    );
    assert_eq!(auth_of(&jwt, "OPTIONS /orders"), Some(AuthKind::None));
    assert!(
        dep.apis
            .iter()
            .find(|a| a.id == "NoPathsApi")
            .is_some_and(|a| a.routes.is_empty()),
        "SAM merges nothing into a body without paths"
    );
    assert_eq!(auth_of(&jwt, "GET /me"), Some(AuthKind::Jwt));
    assert_eq!(auth_of(&jwt, "GET /catalog"), Some(AuthKind::None));
    assert_eq!(auth_of(&jwt, "POST /orders"), Some(AuthKind::Jwt));
}

#[test]
fn oracle_agreement_preflight() {
    assert_agrees("preflight");
}

/// Compare any template with the oracle while developing:
/// `scripts/sam-oracle.py T.yaml > /tmp/o.json` then
/// `FNGUARD_SAM_TEMPLATE=T.yaml FNGUARD_SAM_ORACLE=/tmp/o.json cargo test -p fnguard-model --test sam any_template`.
#[test]
fn any_template_agrees_with_the_oracle_on_request() {
    let (Ok(template), Ok(expected)) = (
        std::env::var("FNGUARD_SAM_TEMPLATE"),
        std::env::var("FNGUARD_SAM_ORACLE"),
    ) else {
        return;
    };
    let text = std::fs::read_to_string(&template).expect("template");
    let root = fnguard_model::yaml::parse(&text, 0, &template).expect("parses");
    let out = sam::transform(&root).expect("transform");
    let theirs: Value =
        serde_json::from_str(&std::fs::read_to_string(&expected).expect("oracle")).expect("json");
    compare_summaries(&template, &summarize(&out), &theirs);
}

/// SAM takes a plain string `RestApiId`/`ApiId` naming a resource of the
/// template as that API (its own translator tests do): the route belongs to
/// it, not to an API outside the template.
#[test]
fn plain_string_api_ids_name_the_templates_api() {
    let text = r#"
Transform: AWS::Serverless-2016-10-31
Resources:
  HtmlApi:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
  EventsApi:
    Type: AWS::Serverless::HttpApi
  HtmlFunction:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.13
      Handler: app.handler
      CodeUri: src/
      Events:
        GetHtml:
          Type: Api
          Properties:
            RestApiId: HtmlApi
            Path: /
            Method: get
            RequestModel:
              Model: User
              ValidateBody: true
        PostEvent:
          Type: HttpApi
          Properties:
            ApiId: EventsApi
            Path: /events
            Method: POST
        Elsewhere:
          Type: Api
          Properties:
            RestApiId: a1b2c3d4e5
            Path: /other
            Method: get
"#;
    let dep = fnguard_model::cfn::load("string_ids.yaml", text).expect("loads");
    let api = |id: &str| dep.apis.iter().find(|a| a.id == id).expect("api");
    let html = api("HtmlApi");
    assert_eq!(html.routes.len(), 1, "{:?}", html.routes);
    assert_eq!(html.routes[0].function.as_deref(), Some("HtmlFunction"));
    assert!(
        matches!(html.request_validation, fnguard_core::Field::Known(true, _)),
        "the route's validator belongs to HtmlApi"
    );
    let events = api("EventsApi");
    assert_eq!(events.routes.len(), 1, "{:?}", events.routes);
    assert_eq!(events.routes[0].path, "/events");
    // An id that names nothing in the template is an API we cannot see.
    assert!(dep
        .apis
        .iter()
        .all(|a| a.routes.iter().all(|r| r.path != "/other")));
}
