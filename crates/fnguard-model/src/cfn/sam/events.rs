//! `AWS::Serverless::Function`: the function, its generated role, function
//! URL, asynchronous invoke config, and the resources its `Events` create.

use super::policies::{self, aws_managed, statement, RoleExtras};
use super::{
    boolean, generated, get_att, map, ref_target, ref_to, s3_location, sanitize_id, seq, set_key,
    sub_with, tag_list, translated, Ctx, Source,
};
use fnguard_core::doc::MapEntry;
use fnguard_core::fast_hash::{HashMap, HashSet};
use fnguard_core::{Loc, Node, NodeKind};

/// Lambda properties SAM passes to `AWS::Lambda::Function` unchanged.
const PASS_THROUGH: &[&str] = &[
    "Handler",
    "Runtime",
    "PackageType",
    "FunctionName",
    "Description",
    "MemorySize",
    "Timeout",
    "Environment",
    "VpcConfig",
    "Layers",
    "CodeSigningConfigArn",
    "LoggingConfig",
    "ReservedConcurrentExecutions",
    "KmsKeyArn",
    "Architectures",
    "EphemeralStorage",
    "FileSystemConfigs",
    "ImageConfig",
    "SnapStart",
    "RuntimeManagementConfig",
    "RecursiveLoop",
];

pub(crate) fn function(ctx: &mut Ctx, src: &mut Source) {
    let loc = src.props.loc;
    let role_id = match src.prop("Role") {
        Some(_) => None,
        None => Some(ctx.fresh_id(&format!("{}Role", src.id))),
    };

    let mut props: Vec<(&str, Node)> = Vec::new();
    if let Some(code) = code(src) {
        props.push(("Code", code));
    }
    for key in PASS_THROUGH {
        // The execution role reads `VpcConfig` later; the others are read
        // here only.
        let value = if *key == "VpcConfig" {
            src.prop(key).cloned()
        } else {
            src.take_prop(key)
        };
        if let Some(v) = value {
            props.push((key, v));
        }
    }
    match (&role_id, src.prop("Role")) {
        (Some(id), _) => props.push(("Role", get_att(id, "Arn", src.key_loc))),
        (None, Some(role)) => props.push(("Role", role.clone())),
        (None, None) => {}
    }
    if let Some(tracing) = src.prop("Tracing") {
        if tracing.as_str() != Some("Disabled") {
            props.push((
                "TracingConfig",
                map(tracing.loc, [("Mode", tracing.clone())]),
            ));
        }
    }
    let mut extras = RoleExtras::default();
    if let Some(dlq) = src.prop("DeadLetterQueue") {
        if let Some(target) = dlq.get("TargetArn") {
            props.push((
                "DeadLetterConfig",
                map(dlq.loc, [("TargetArn", target.clone())]),
            ));
            let action = match dlq.get("Type").and_then(Node::as_str) {
                Some("SNS") => "sns:Publish",
                _ => "sqs:SendMessage",
            };
            extras.statement_policy(
                "DeadLetterQueuePolicy",
                vec![statement(&[action], target.clone(), dlq.loc)],
                dlq.loc,
            );
        }
    }
    let empty = Node::new(NodeKind::Map(Vec::new()), loc);
    props.push((
        "Tags",
        tag_list(
            src.prop("Tags").unwrap_or(&empty),
            &[("lambda:createdBy", "SAM")],
        ),
    ));
    ctx.push(
        src.id.to_string(),
        src.key_loc,
        translated(src, "AWS::Lambda::Function", map(loc, props)),
    );

    if let Some(events) = src.prop("Events").and_then(Node::as_map) {
        // SAM handles events in name order, which decides the order of the
        // managed policies they add to the role.
        let mut sorted: Vec<&MapEntry> = events.iter().collect();
        sorted.sort_by(|a, b| a.key.cmp(&b.key));
        for entry in sorted {
            event(ctx, src, entry, &mut extras);
        }
    }
    if let Some(url) = src.prop("FunctionUrlConfig") {
        function_url(ctx, src, url);
    }
    if let Some(config) = src.prop("EventInvokeConfig") {
        event_invoke_config(ctx, src, config, &mut extras);
    }
    if let Some(role_id) = role_id {
        let role = policies::execution_role(src, &role_id, extras);
        ctx.push(role_id, src.key_loc, role);
    }
}

fn code(src: &mut Source) -> Option<Node> {
    if let Some(image) = src.take_prop("ImageUri") {
        return Some(map(image.loc, [("ImageUri", image)]));
    }
    if let Some(inline) = src.take_prop("InlineCode") {
        return Some(map(inline.loc, [("ZipFile", inline)]));
    }
    match src.prop("CodeUri") {
        Some(uri) => Some(s3_location(uri, "S3Bucket", "S3Key", "S3ObjectVersion")),
        // `sam deploy` packages the template's folder for a zip function
        // that names no code.
        None if src.prop("PackageType").and_then(Node::as_str) != Some("Image") => {
            Some(Node::str(".", src.props.loc))
        }
        None => None,
    }
}

fn function_url(ctx: &mut Ctx, src: &Source, url: &Node) {
    let loc = url.loc;
    let mut props = vec![("TargetFunctionArn", ref_to(src.id, loc))];
    for key in ["AuthType", "Cors", "InvokeMode"] {
        if let Some(v) = url.get(key) {
            props.push((key, v.clone()));
        }
    }
    let resource = generated(src, "AWS::Lambda::Url", map(loc, props), loc);
    ctx.add(&format!("{}Url", src.id), src.key_loc, resource);

    // SAM grants public invocation only for AuthType NONE: both the URL
    // permission and, since AWS split them, plain InvokeFunction limited to
    // calls through the URL.
    let Some(auth) = url.get("AuthType").filter(|a| a.as_str() == Some("NONE")) else {
        return;
    };
    let url_permission = map(
        loc,
        [
            ("Action", Node::str("lambda:InvokeFunctionUrl", loc)),
            ("FunctionName", ref_to(src.id, loc)),
            ("Principal", Node::str("*", loc)),
            ("FunctionUrlAuthType", auth.clone()),
        ],
    );
    let resource = generated(src, "AWS::Lambda::Permission", url_permission, loc);
    ctx.add(
        &format!("{}UrlPublicPermissions", src.id),
        src.key_loc,
        resource,
    );
    let invoke_permission = map(
        loc,
        [
            ("Action", Node::str("lambda:InvokeFunction", loc)),
            ("FunctionName", ref_to(src.id, loc)),
            ("Principal", Node::str("*", loc)),
            ("InvokedViaFunctionUrl", boolean(true, loc)),
        ],
    );
    let resource = generated(src, "AWS::Lambda::Permission", invoke_permission, loc);
    ctx.add(
        &format!("{}URLInvokeAllowPublicAccess", src.id),
        src.key_loc,
        resource,
    );
}

fn event_invoke_config(ctx: &mut Ctx, src: &Source, config: &Node, extras: &mut RoleExtras) {
    let loc = config.loc;
    let base = format!("{}EventInvokeConfig", src.id);
    let mut props = vec![
        ("FunctionName", ref_to(src.id, loc)),
        ("Qualifier", Node::str("$LATEST", loc)),
    ];
    for key in ["MaximumEventAgeInSeconds", "MaximumRetryAttempts"] {
        if let Some(v) = config.get(key) {
            props.push((key, v.clone()));
        }
    }
    if let Some(destinations) = config.get("DestinationConfig") {
        let mut out = Vec::new();
        for side in ["OnSuccess", "OnFailure"] {
            let Some(dest) = destinations.get(side) else {
                continue;
            };
            let kind = dest.get("Type").and_then(Node::as_str).unwrap_or("");
            let target = match dest.get("Destination") {
                Some(d) => d.clone(),
                // Without a destination SAM creates the queue or topic.
                None => match kind {
                    "SQS" => {
                        let queue = generated(src, "AWS::SQS::Queue", map(loc, []), loc);
                        let id = ctx.add(&format!("{base}{side}Queue"), src.key_loc, queue);
                        get_att(&id, "Arn", dest.loc)
                    }
                    "SNS" => {
                        let topic = generated(src, "AWS::SNS::Topic", map(loc, []), loc);
                        let id = ctx.add(&format!("{base}{side}Topic"), src.key_loc, topic);
                        ref_to(&id, dest.loc)
                    }
                    _ => continue,
                },
            };
            let actions: &[&str] = match kind {
                "SQS" => &["sqs:SendMessage"],
                "SNS" => &["sns:publish"],
                "Lambda" => &["lambda:InvokeFunction"],
                "EventBridge" => &["events:PutEvents"],
                "S3Bucket" => &["s3:PutObject", "s3:ListBucket"],
                _ => &[],
            };
            if !actions.is_empty() {
                extras.statement_policy(
                    &format!("{base}{side}{kind}Policy"),
                    vec![statement(actions, target.clone(), dest.loc)],
                    dest.loc,
                );
            }
            out.push((side, map(dest.loc, [("Destination", target)])));
        }
        props.push(("DestinationConfig", map(destinations.loc, out)));
    }
    let resource = generated(src, "AWS::Lambda::EventInvokeConfig", map(loc, props), loc);
    ctx.add(&base, src.key_loc, resource);
}

/// A function event, its name, and where it was written.
pub(crate) struct Event<'a> {
    pub name: &'a str,
    pub loc: Loc,
    pub props: &'a Node,
    /// `{Function}{Event}`: SAM's prefix for everything the event creates.
    pub base: String,
}

fn event(ctx: &mut Ctx, src: &Source, entry: &MapEntry, extras: &mut RoleExtras) {
    let empty = Node::new(NodeKind::Map(Vec::new()), entry.value.loc);
    let ev = Event {
        name: &entry.key,
        loc: entry.key_loc,
        props: entry.value.get("Properties").unwrap_or(&empty),
        base: format!("{}{}", src.id, sanitize_id(&entry.key)),
    };
    let Some(kind) = entry.value.get("Type").and_then(Node::as_str) else {
        return;
    };
    match kind {
        "Api" => super::apis::rest_event(ctx, src, &ev),
        "HttpApi" => super::apis::http_event(ctx, src, &ev),
        "S3" => s3(ctx, src, &ev),
        "SNS" => sns(ctx, src, &ev, extras),
        "SQS" | "Kinesis" | "DynamoDB" | "MSK" | "MQ" | "SelfManagedKafka" | "DocumentDB" => {
            event_source_mapping(ctx, src, &ev, kind, extras)
        }
        "Schedule" | "ScheduleV2" | "CloudWatchEvent" | "EventBridgeRule" => {
            events_rule(ctx, src, &ev, kind)
        }
        "CloudWatchLogs" => cloudwatch_logs(ctx, src, &ev),
        "IoTRule" => iot_rule(ctx, src, &ev),
        "Cognito" => {
            let source_arn = match ev.props.get("UserPool").and_then(ref_target) {
                Some(pool) => get_att(pool, "Arn", ev.loc),
                None => Node::unknown("Cognito event without a user pool reference", ev.loc),
            };
            // SAM names this one after the event type, not the event.
            permission_named(
                ctx,
                src,
                &format!("{}CognitoPermission", src.id),
                ev.loc,
                "cognito-idp.amazonaws.com",
                vec![("SourceArn", source_arn)],
            );
        }
        "AlexaSkill" => {
            let extra = match ev.props.get("SkillId") {
                Some(skill) => vec![("EventSourceToken", skill.clone())],
                None => vec![],
            };
            permission(ctx, src, &ev, "alexa-appkit.amazon.com", extra);
        }
        // Unknown event types add nothing SAM would deploy for us to read.
        _ => {}
    }
}

/// `AWS::Lambda::Permission` `{Function}{Event}Permission` letting a service
/// invoke the function.
pub(crate) fn permission_named(
    ctx: &mut Ctx,
    src: &Source,
    id: &str,
    loc: Loc,
    principal: &str,
    extra: Vec<(&str, Node)>,
) -> String {
    let mut props = vec![
        ("Action", Node::str("lambda:InvokeFunction", loc)),
        ("FunctionName", ref_to(src.id, loc)),
        ("Principal", Node::str(principal, loc)),
    ];
    props.extend(extra);
    let resource = generated(src, "AWS::Lambda::Permission", map(loc, props), loc);
    ctx.add(id, loc, resource)
}

fn permission(
    ctx: &mut Ctx,
    src: &Source,
    ev: &Event,
    principal: &str,
    extra: Vec<(&str, Node)>,
) -> String {
    permission_named(
        ctx,
        src,
        &format!("{}Permission", ev.base),
        ev.loc,
        principal,
        extra,
    )
}

fn copy_keys<'a>(from: &Node, keys: &[&'a str], into: &mut Vec<(&'a str, Node)>) {
    for key in keys {
        if let Some(v) = from.get(key) {
            into.push((key, v.clone()));
        }
    }
}

fn s3(ctx: &mut Ctx, src: &Source, ev: &Event) {
    let loc = ev.loc;
    let permission_id = permission(
        ctx,
        src,
        ev,
        "s3.amazonaws.com",
        vec![("SourceAccount", ref_to("AWS::AccountId", loc))],
    );
    let Some(bucket) = ev.props.get("Bucket").and_then(ref_target) else {
        return;
    };
    if ctx.type_of(bucket) != Some("AWS::S3::Bucket") {
        return;
    }
    let events = ev
        .props
        .get("Events")
        .map(Node::one_or_many)
        .unwrap_or_default();
    for s3_event in events {
        let mut config = vec![
            ("Event", s3_event.clone()),
            ("Function", get_att(src.id, "Arn", loc)),
        ];
        copy_keys(ev.props, &["Filter"], &mut config);
        ctx.bucket_notifications.push((
            bucket.to_string(),
            map(loc, config),
            permission_id.clone(),
        ));
    }
}

/// Adds the Lambda notifications S3 events asked for to their buckets, as
/// SAM edits the bucket resource itself. Grouped per bucket so that a bucket
/// feeding thousands of functions is patched once, not once per event.
pub(crate) fn attach_bucket_notifications(ctx: &mut Ctx) {
    let pending = std::mem::take(&mut ctx.bucket_notifications);
    let mut per_bucket: Vec<(String, Vec<Node>, Vec<String>)> = Vec::new();
    let mut slot: HashMap<String, usize> = HashMap::default();
    for (bucket, config, permission_id) in pending {
        let i = *slot.entry(bucket.clone()).or_insert_with(|| {
            per_bucket.push((bucket, Vec::new(), Vec::new()));
            per_bucket.len() - 1
        });
        per_bucket[i].1.push(config);
        if per_bucket[i].2.last() != Some(&permission_id) {
            per_bucket[i].2.push(permission_id);
        }
    }
    for (bucket, configs, permission_ids) in per_bucket {
        let Some(&index) = ctx.index.get(&bucket) else {
            continue;
        };
        let resource = &mut ctx.out[index].value;
        let loc = resource.loc;
        add_lambda_notifications(resource, configs, loc);
        add_depends_on(resource, permission_ids, loc);
    }
}

fn entry_mut<'n>(node: &'n mut Node, key: &str, loc: Loc) -> Option<&'n mut Node> {
    if node.get(key).is_none() {
        set_key(node, key, map(loc, []));
    }
    match &mut node.kind {
        NodeKind::Map(entries) => entries
            .iter_mut()
            .find(|e| e.key == key)
            .map(|e| &mut e.value),
        _ => None,
    }
}

fn add_lambda_notifications(bucket: &mut Node, configs: Vec<Node>, loc: Loc) {
    let Some(props) = entry_mut(bucket, "Properties", loc) else {
        return;
    };
    let Some(notification) = entry_mut(props, "NotificationConfiguration", loc) else {
        return;
    };
    if notification
        .get("LambdaConfigurations")
        .and_then(Node::as_seq)
        .is_none()
    {
        set_key(notification, "LambdaConfigurations", seq(loc, vec![]));
    }
    if let NodeKind::Map(entries) = &mut notification.kind {
        if let Some(e) = entries.iter_mut().find(|e| e.key == "LambdaConfigurations") {
            if let NodeKind::Seq(items) = &mut e.value.kind {
                items.extend(configs);
            }
        }
    }
}

fn add_depends_on(resource: &mut Node, ids: Vec<String>, loc: Loc) {
    let mut items: Vec<Node> = resource
        .get("DependsOn")
        .map(|d| d.one_or_many().into_iter().cloned().collect())
        .unwrap_or_default();
    let mut seen: HashSet<String> = items
        .iter()
        .filter_map(|i| i.as_str().map(str::to_string))
        .collect();
    for id in ids {
        if seen.insert(id.clone()) {
            items.push(Node::str(id, loc));
        }
    }
    set_key(resource, "DependsOn", seq(loc, items));
}

fn sns(ctx: &mut Ctx, src: &Source, ev: &Event, extras: &mut RoleExtras) {
    let loc = ev.loc;
    let Some(topic) = ev.props.get("Topic") else {
        return;
    };
    let mut props = Vec::new();
    let via_queue = ev
        .props
        .get("SqsSubscription")
        .is_some_and(|s| s.as_bool() != Some(false));
    if via_queue {
        // SAM puts a queue between the topic and the function.
        let queue = generated(src, "AWS::SQS::Queue", map(loc, []), loc);
        let queue_id = ctx.add(&format!("{}Queue", ev.base), loc, queue);
        props.push(("Endpoint", get_att(&queue_id, "Arn", loc)));
        props.push(("Protocol", Node::str("sqs", loc)));
        let mapping = map(
            loc,
            [
                ("FunctionName", ref_to(src.id, loc)),
                ("EventSourceArn", get_att(&queue_id, "Arn", loc)),
            ],
        );
        let resource = generated(src, "AWS::Lambda::EventSourceMapping", mapping, loc);
        ctx.add(&format!("{}EventSourceMapping", ev.base), loc, resource);
        extras.managed.push(aws_managed(
            "service-role/AWSLambdaSQSQueueExecutionRole",
            loc,
        ));
    } else {
        props.push(("Endpoint", get_att(src.id, "Arn", loc)));
        props.push(("Protocol", Node::str("lambda", loc)));
    }
    props.push(("TopicArn", topic.clone()));
    copy_keys(
        ev.props,
        &[
            "FilterPolicy",
            "FilterPolicyScope",
            "Region",
            "RedrivePolicy",
        ],
        &mut props,
    );
    let resource = generated(src, "AWS::SNS::Subscription", map(loc, props), loc);
    ctx.add(&ev.base, loc, resource);
    if !via_queue {
        permission(
            ctx,
            src,
            ev,
            "sns.amazonaws.com",
            vec![("SourceArn", topic.clone())],
        );
    }
}

/// Event source mapping properties SAM passes through.
const MAPPING_KEYS: &[&str] = &[
    "BatchSize",
    "Enabled",
    "StartingPosition",
    "StartingPositionTimestamp",
    "MaximumBatchingWindowInSeconds",
    "FilterCriteria",
    "FunctionResponseTypes",
    "BisectBatchOnFunctionError",
    "MaximumRecordAgeInSeconds",
    "MaximumRetryAttempts",
    "ParallelizationFactor",
    "TumblingWindowInSeconds",
    "ScalingConfig",
    "Topics",
    "Queues",
    "SourceAccessConfigurations",
    "KmsKeyArn",
    "MetricsConfig",
    "ProvisionedPollerConfig",
];

fn event_source_mapping(
    ctx: &mut Ctx,
    src: &Source,
    ev: &Event,
    kind: &str,
    extras: &mut RoleExtras,
) {
    let loc = ev.loc;
    let mut props = vec![("FunctionName", ref_to(src.id, loc))];
    let source_key = match kind {
        "SQS" => Some("Queue"),
        "Kinesis" | "DynamoDB" | "MSK" => Some("Stream"),
        "MQ" => Some("Broker"),
        "DocumentDB" => Some("Cluster"),
        _ => None,
    };
    let source = source_key.and_then(|k| ev.props.get(k));
    if let Some(source) = source {
        props.push(("EventSourceArn", source.clone()));
    }
    copy_keys(ev.props, MAPPING_KEYS, &mut props);
    if kind == "SelfManagedKafka" {
        if let Some(servers) = ev.props.get("KafkaBootstrapServers") {
            props.push((
                "SelfManagedEventSource",
                map(
                    loc,
                    [(
                        "Endpoints",
                        map(loc, [("KafkaBootstrapServers", servers.clone())]),
                    )],
                ),
            ));
        }
    }
    if kind == "DocumentDB" {
        let mut config = Vec::new();
        copy_keys(
            ev.props,
            &["DatabaseName", "CollectionName", "FullDocument"],
            &mut config,
        );
        props.push(("DocumentDBEventSourceConfig", map(loc, config)));
    }
    if let Some(destinations) = ev.props.get("DestinationConfig") {
        props.push((
            "DestinationConfig",
            mapping_destinations(destinations, ev, extras),
        ));
    }
    let resource = generated(src, "AWS::Lambda::EventSourceMapping", map(loc, props), loc);
    ctx.add(&ev.base, loc, resource);

    let managed = match kind {
        "SQS" => Some("service-role/AWSLambdaSQSQueueExecutionRole"),
        "Kinesis" => Some("service-role/AWSLambdaKinesisExecutionRole"),
        "DynamoDB" => Some("service-role/AWSLambdaDynamoDBExecutionRole"),
        "MSK" => Some("service-role/AWSLambdaMSKExecutionRole"),
        _ => None,
    };
    if let Some(path) = managed {
        extras.managed.push(aws_managed(path, loc));
    }
    let secret = secret_uri(ev.props, loc);
    match kind {
        "MQ" => {
            let broker = source
                .cloned()
                .unwrap_or_else(|| Node::unknown("MQ event without Broker", loc));
            extras.statement_policy(
                &mq_policy_name(ev),
                vec![
                    statement(&["secretsmanager:GetSecretValue"], secret, loc),
                    statement(&["mq:DescribeBroker"], broker, loc),
                ],
                loc,
            );
        }
        "SelfManagedKafka" => extras.statement_policy(
            "SelfManagedKafkaExecutionRolePolicy",
            vec![statement(&["secretsmanager:GetSecretValue"], secret, loc)],
            loc,
        ),
        "DocumentDB" => {
            let cluster = source
                .cloned()
                .unwrap_or_else(|| Node::unknown("DocumentDB event without Cluster", loc));
            extras.statement_policy(
                "SamAutoGeneratedDocumentDBPolicy",
                vec![
                    statement(&["secretsmanager:GetSecretValue"], secret, loc),
                    statement(&["rds:DescribeDBClusters"], cluster, loc),
                    statement(
                        &[
                            "ec2:CreateNetworkInterface",
                            "ec2:DescribeNetworkInterfaces",
                            "ec2:DeleteNetworkInterface",
                            "ec2:DescribeVpcs",
                            "ec2:DescribeSubnets",
                            "ec2:DescribeSecurityGroups",
                        ],
                        Node::str("*", loc),
                        loc,
                    ),
                ],
                loc,
            );
        }
        _ => {}
    }
}

fn mq_policy_name(ev: &Event) -> String {
    if ev.props.get("DynamicPolicyName").and_then(Node::as_bool) == Some(true) {
        format!("{}AMQPolicy", sanitize_id(ev.name))
    } else {
        "SamAutoGeneratedAMQPolicy".to_string()
    }
}

/// The secret of a broker's `SourceAccessConfigurations` (`BASIC_AUTH` or
/// similar), unknown when none is given.
fn secret_uri(props: &Node, loc: Loc) -> Node {
    props
        .get("SourceAccessConfigurations")
        .and_then(Node::as_seq)
        .and_then(|confs| {
            confs.iter().find(|c| {
                c.get("Type")
                    .and_then(Node::as_str)
                    .is_some_and(|t| t.contains("AUTH"))
            })
        })
        .and_then(|c| c.get("URI"))
        .cloned()
        .unwrap_or_else(|| Node::unknown("no authentication secret given", loc))
}

/// SAM's `DestinationConfig.OnFailure.Type` only selects the policy it
/// adds; CloudFormation gets the destination alone.
fn mapping_destinations(destinations: &Node, ev: &Event, extras: &mut RoleExtras) -> Node {
    let mut out = destinations.clone();
    let Some(on_failure) = destinations.get("OnFailure") else {
        return out;
    };
    let target = on_failure.get("Destination").cloned();
    let actions: &[&str] = match on_failure.get("Type").and_then(Node::as_str) {
        Some("SQS") => &["sqs:SendMessage"],
        Some("SNS") => &["sns:publish"],
        Some("S3") => &["s3:PutObject", "s3:ListBucket"],
        _ => &[],
    };
    if let (Some(target), false) = (&target, actions.is_empty()) {
        extras.statement_policy(
            &format!("{}DestinationPolicy", sanitize_id(ev.name)),
            vec![statement(actions, target.clone(), on_failure.loc)],
            on_failure.loc,
        );
    }
    let mut cleaned = on_failure.clone();
    if let NodeKind::Map(entries) = &mut cleaned.kind {
        entries.retain(|e| e.key != "Type");
    }
    set_key(&mut out, "OnFailure", cleaned);
    out
}

fn events_rule(ctx: &mut Ctx, src: &Source, ev: &Event, kind: &str) {
    let loc = ev.loc;
    let mut props = Vec::new();
    let scheduled = matches!(kind, "Schedule" | "ScheduleV2");
    if scheduled {
        copy_keys(ev.props, &["Description", "Name"], &mut props);
        if let Some(schedule) = ev
            .props
            .get("Schedule")
            .or_else(|| ev.props.get("ScheduleExpression"))
        {
            props.push(("ScheduleExpression", schedule.clone()));
        }
    } else {
        copy_keys(
            ev.props,
            &["EventBusName", "Description", "Name"],
            &mut props,
        );
        if let Some(pattern) = ev.props.get("Pattern") {
            props.push(("EventPattern", pattern.clone()));
        }
    }
    if let Some(state) = ev.props.get("State") {
        props.push(("State", state.clone()));
    } else if let Some(enabled) = ev.props.get("Enabled").and_then(Node::as_bool) {
        let state = if enabled { "ENABLED" } else { "DISABLED" };
        props.push(("State", Node::str(state, loc)));
    }
    let target_id = ev
        .props
        .path(&["Target", "Id"])
        .cloned()
        .unwrap_or_else(|| Node::str(format!("{}LambdaTarget", ev.base), loc));
    let mut target = vec![("Arn", get_att(src.id, "Arn", loc)), ("Id", target_id)];
    copy_keys(
        ev.props,
        &[
            "Input",
            "InputPath",
            "InputTransformer",
            "DeadLetterConfig",
            "RetryPolicy",
        ],
        &mut target,
    );
    props.push(("Targets", seq(loc, vec![map(loc, target)])));
    // ScheduleV2 deploys an EventBridge Scheduler schedule that invokes the
    // function through a role; modelled as a rule so the loader sees the
    // scheduled trigger.
    let resource = generated(src, "AWS::Events::Rule", map(loc, props), loc);
    let rule_id = ctx.add(&ev.base, loc, resource);
    if kind != "ScheduleV2" {
        permission(
            ctx,
            src,
            ev,
            "events.amazonaws.com",
            vec![("SourceArn", get_att(&rule_id, "Arn", loc))],
        );
    }
}

fn cloudwatch_logs(ctx: &mut Ctx, src: &Source, ev: &Event) {
    let loc = ev.loc;
    let log_group = ev
        .props
        .get("LogGroupName")
        .cloned()
        .unwrap_or_else(|| Node::unknown("CloudWatchLogs event without LogGroupName", loc));
    let permission_id = permission(
        ctx,
        src,
        ev,
        "logs.amazonaws.com",
        vec![(
            "SourceArn",
            sub_with(
                "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:${__LogGroupName__}:*",
                vec![("__LogGroupName__", log_group.clone())],
                loc,
            ),
        )],
    );
    let mut props = vec![
        ("DestinationArn", get_att(src.id, "Arn", loc)),
        ("LogGroupName", log_group),
    ];
    copy_keys(ev.props, &["FilterPattern"], &mut props);
    let mut resource = generated(src, "AWS::Logs::SubscriptionFilter", map(loc, props), loc);
    set_key(
        &mut resource,
        "DependsOn",
        seq(loc, vec![Node::str(permission_id, loc)]),
    );
    ctx.add(&ev.base, loc, resource);
}

fn iot_rule(ctx: &mut Ctx, src: &Source, ev: &Event) {
    let loc = ev.loc;
    let mut payload = vec![
        ("RuleDisabled", boolean(false, loc)),
        (
            "Actions",
            seq(
                loc,
                vec![map(
                    loc,
                    [(
                        "Lambda",
                        map(loc, [("FunctionArn", get_att(src.id, "Arn", loc))]),
                    )],
                )],
            ),
        ),
    ];
    copy_keys(ev.props, &["Sql", "AwsIotSqlVersion"], &mut payload);
    let resource = generated(
        src,
        "AWS::IoT::TopicRule",
        map(loc, [("TopicRulePayload", map(loc, payload))]),
        loc,
    );
    let rule_id = ctx.add(&ev.base, loc, resource);
    permission(
        ctx,
        src,
        ev,
        "iot.amazonaws.com",
        vec![
            ("SourceAccount", ref_to("AWS::AccountId", loc)),
            (
                "SourceArn",
                sub_with(
                    "arn:${AWS::Partition}:iot:${AWS::Region}:${AWS::AccountId}:rule/${RuleName}",
                    vec![("RuleName", ref_to(&rule_id, loc))],
                    loc,
                ),
            ),
        ],
    );
}
