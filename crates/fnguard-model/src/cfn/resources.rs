//! CloudFormation resources into the normalized model.
//!
//! Each resource's `Properties` are resolved once; links between resources
//! go through the resolver's markers (`Ref`/`Fn::GetAtt`) or `${Id}`
//! placeholders in built strings. Elements are built first (functions,
//! roles, APIs...), then the resources that attach to them (policies,
//! permissions, methods, stages, triggers), through id → index maps so that
//! every lookup is constant time.

use super::intrinsics::{
    as_text, find_open, flatten_markers, has_open, placeholders, position_of, resource_marker,
    shape, Resolver,
};
use super::openapi;
use crate::model::*;
use fnguard_core::fast_hash::{HashMap, HashSet};
use fnguard_core::{Field, Loc, Node, NodeKind};
use std::borrow::Cow;

mod network;

struct Res<'a> {
    id: &'a str,
    loc: Loc,
    ty: &'a str,
    /// The resource as written; without its `Properties` when the
    /// template was given away (they were moved into `props`).
    raw: &'a Node,
    /// The unresolved properties: all of them from a borrowed template,
    /// from an owned one only those some builders read (see `kept_raw`).
    raw_props: Option<Cow<'a, Node>>,
    props: Node,
}

impl Res<'_> {
    fn raw_prop(&self, key: &str) -> Option<&Node> {
        self.raw_props.as_ref()?.get(key)
    }
}

/// The unresolved properties a type's builder reads, copied before
/// resolution consumes them: the name shapes of functions and log groups,
/// alarm metrics.
fn kept_raw(ty: &str, props: &Node) -> Option<Node> {
    let keep = |key: &str| {
        let entry = props.as_map()?.iter().find(|e| e.key == key)?;
        Some(Node::new(NodeKind::Map(vec![entry.clone()]), props.loc))
    };
    match ty {
        "AWS::Lambda::Function" => keep("FunctionName"),
        "AWS::Logs::LogGroup" => keep("LogGroupName"),
        "AWS::CloudWatch::Alarm" => Some(props.clone()),
        _ => None,
    }
}

/// Move every resource's `Properties` out of the template, one slot per
/// `Resources` entry: resolution then consumes them instead of copying
/// them (it reads parameters, conditions, mappings and resource types,
/// never properties).
fn take_properties(root: &mut Node) -> Vec<Option<Node>> {
    let NodeKind::Map(top) = &mut root.kind else {
        return Vec::new();
    };
    let Some(resources) = top.iter_mut().find(|e| e.key == "Resources") else {
        return Vec::new();
    };
    let NodeKind::Map(entries) = &mut resources.value.kind else {
        return Vec::new();
    };
    entries
        .iter_mut()
        .map(|e| match &mut e.value.kind {
            NodeKind::Map(fields) => {
                let at = fields.iter().position(|f| f.key == "Properties")?;
                Some(fields.remove(at).value)
            }
            _ => None,
        })
        .collect()
}

pub(super) struct Builder<'a> {
    pub r: Resolver<'a>,
    pub dep: Deployment,
    functions: HashMap<String, usize>,
    function_names: HashMap<String, String>,
    /// Shape (see `intrinsics::shape`) of each function name the template
    /// does not determine → function id.
    function_name_shapes: HashMap<String, String>,
    roles: HashMap<String, usize>,
    role_names: HashMap<String, String>,
    apis: HashMap<String, usize>,
    sgs: HashMap<String, usize>,
    /// Role id → internal resources its policies reach.
    role_internal: HashMap<String, Vec<InternalRef>>,
    /// Managed policy id → (name, document) for roles that list it in
    /// `ManagedPolicyArns`.
    managed_docs: HashMap<String, Vec<(String, Node)>>,
    /// REST API resource id → its path.
    rest_paths: HashMap<String, String>,
    /// HTTP API integration id → function id.
    integrations: HashMap<String, Option<String>>,
    /// Lambda alias/version id → the function it belongs to.
    alias_targets: HashMap<String, String>,
    /// EventBridge rules that run on a schedule.
    schedule_rules: HashSet<String>,
    /// REST API stage id → its API id.
    stage_apis: HashMap<String, String>,
    /// (role id, managed policy id, location) from `ManagedPolicyArns`.
    managed_refs: Vec<(String, String, Loc)>,
    /// Resources whose type the template does not say (a body that is not
    /// a map, such as a Serverless `${file(...)}`, or no `Type`), by id.
    untyped: HashMap<String, Loc>,
    /// (function index, trigger kind, source) of every trigger added.
    trigger_keys: HashSet<(usize, u8, String)>,
    /// (type, name given in the template) → id of buckets, topics and
    /// event rules.
    source_names: HashMap<(&'static str, String), String>,
}

const HANDLED: &[&str] = &[
    "AWS::Lambda::Function",
    "AWS::IAM::Role",
    "AWS::IAM::Policy",
    "AWS::IAM::ManagedPolicy",
    "AWS::IAM::RolePolicy",
    "AWS::IAM::User",
    "AWS::IAM::Group",
    "AWS::IAM::UserToGroupAddition",
    "AWS::IAM::UserPolicy",
    "AWS::IAM::GroupPolicy",
    "AWS::Lambda::Permission",
    "AWS::Lambda::Url",
    "AWS::Lambda::EventSourceMapping",
    "AWS::Lambda::EventInvokeConfig",
    "AWS::Lambda::CodeSigningConfig",
    "AWS::Lambda::LayerVersion",
    "AWS::Lambda::Alias",
    "AWS::Lambda::Version",
    "AWS::ApiGateway::RestApi",
    "AWS::ApiGateway::Resource",
    "AWS::ApiGateway::Method",
    "AWS::ApiGateway::Stage",
    "AWS::ApiGateway::Deployment",
    "AWS::ApiGateway::UsagePlan",
    "AWS::ApiGateway::GatewayResponse",
    "AWS::ApiGatewayV2::Api",
    "AWS::ApiGatewayV2::Route",
    "AWS::ApiGatewayV2::Integration",
    "AWS::ApiGatewayV2::Stage",
    "AWS::WAFv2::WebACLAssociation",
    "AWS::WAFRegional::WebACLAssociation",
    "AWS::Logs::LogGroup",
    "AWS::CloudWatch::Alarm",
    "AWS::CloudTrail::Trail",
    "AWS::EC2::SecurityGroup",
    "AWS::EC2::SecurityGroupEgress",
    "AWS::S3::Bucket",
    "AWS::SNS::Subscription",
    "AWS::SNS::Topic",
    "AWS::Events::Rule",
    "AWS::Scheduler::Schedule",
    "AWS::S3::BucketPolicy",
    "AWS::SQS::QueuePolicy",
    "AWS::SNS::TopicPolicy",
];

fn is_internal_type(ty: &str) -> bool {
    ty.starts_with("AWS::RDS::")
        || ty.starts_with("AWS::ElastiCache::")
        || ty.starts_with("AWS::Redshift::")
        || ty.starts_with("AWS::DocDB::")
        || ty.starts_with("AWS::Neptune::")
        || ty.starts_with("AWS::MemoryDB::")
        || ty == "AWS::OpenSearchService::Domain"
        || ty == "AWS::Elasticsearch::Domain"
}

/// Build from a template given away (its properties are moved, not copied,
/// by resolution) or borrowed.
pub(super) fn build(root: Cow<'_, Node>, dep: Deployment) -> Deployment {
    let owned;
    let (root, mut properties) = match root {
        Cow::Owned(mut template) => {
            let properties = take_properties(&mut template);
            owned = template;
            (&owned, properties)
        }
        Cow::Borrowed(template) => (template, Vec::new()),
    };
    let mut b = Builder::new(root, dep);
    b.parameters(root);
    let resources = root.get("Resources").and_then(Node::as_map).unwrap_or(&[]);
    let mut res = Vec::with_capacity(resources.len());
    for (i, e) in resources.iter().enumerate() {
        if e.key.starts_with("Fn::ForEach") {
            b.warn(
                e.key_loc,
                format!(
                    "{} is not expanded: the resources it generates are not scanned",
                    e.key
                ),
            );
            continue;
        }
        if e.value.as_map().is_none() {
            b.warn(e.key_loc, format!("resource {} is not a map", e.key));
            b.untyped.insert(e.key.clone(), e.key_loc);
            continue;
        }
        let Some(ty) = e.value.get("Type").and_then(Node::as_str) else {
            b.warn(e.key_loc, format!("resource {} has no Type", e.key));
            b.untyped.insert(e.key.clone(), e.key_loc);
            continue;
        };
        if !HANDLED.contains(&ty) && !network::is_network_type(ty) {
            continue;
        }
        if let Some(cond) = e.value.get("Condition").and_then(Node::as_str) {
            if b.r.condition(cond) == Some(false) {
                continue;
            }
        }
        let taken = properties.get_mut(i).and_then(Option::take);
        let (raw_props, props) = match (taken, e.value.get("Properties")) {
            (Some(p), _) => (kept_raw(ty, &p).map(Cow::Owned), b.r.value_owned(p)),
            (None, Some(p)) => (Some(Cow::Borrowed(p)), b.r.value(p)),
            (None, None) => (None, Node::new(NodeKind::Map(Vec::new()), e.value.loc)),
        };
        if props.as_map().is_none() {
            b.warn(e.key_loc, format!("Properties of {} is not a map", e.key));
            continue;
        }
        res.push(Res {
            id: &e.key,
            loc: e.key_loc,
            ty,
            raw: &e.value,
            raw_props,
            props,
        });
    }
    b.index(&res);
    // Layer versions before the functions that name them by ARN.
    for x in res.iter().filter(|x| x.ty == "AWS::Lambda::LayerVersion") {
        b.layer_version(x);
    }
    // Elements first, then what attaches to them.
    for x in &res {
        match x.ty {
            "AWS::Lambda::Function" => b.function(x),
            "AWS::IAM::Role" => b.role(x),
            "AWS::IAM::ManagedPolicy" => b.managed_policy_doc(x),
            "AWS::ApiGateway::RestApi" => b.rest_api(x),
            "AWS::ApiGatewayV2::Api" => b.http_api(x),
            "AWS::EC2::SecurityGroup" => b.security_group(x),
            "AWS::Lambda::CodeSigningConfig" => b.code_signing(x),
            _ => {}
        }
    }
    b.data_stores(&res);
    b.untyped_roles();
    b.attach_managed_docs();
    // Users and groups once every managed policy document is known.
    for x in &res {
        if let "AWS::IAM::User" | "AWS::IAM::Group" = x.ty {
            b.identity(x);
        }
    }
    b.link_user_groups();
    b.rest_resource_paths(&res);
    for x in &res {
        match x.ty {
            "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" => b.policy(x),
            "AWS::IAM::RolePolicy" => b.role_policy(x),
            "AWS::IAM::UserPolicy" | "AWS::IAM::GroupPolicy" => b.identity_policy(x),
            "AWS::IAM::UserToGroupAddition" => b.user_to_group(x),
            "AWS::ApiGatewayV2::Integration" => b.integration(x),
            _ => {}
        }
    }
    for x in &res {
        match x.ty {
            "AWS::Lambda::Permission" => b.permission(x),
            "AWS::Lambda::Url" => b.function_url(x),
            "AWS::Lambda::EventSourceMapping" => b.event_source_mapping(x),
            "AWS::Lambda::EventInvokeConfig" => b.event_invoke_config(x),
            "AWS::ApiGateway::Method" => b.rest_method(x),
            "AWS::ApiGateway::Stage" => b.rest_stage(&x.props),
            "AWS::ApiGateway::Deployment" => {
                if let Some(desc) = x.props.get("StageDescription") {
                    let mut p = desc.clone();
                    if let (NodeKind::Map(entries), Some(api)) =
                        (&mut p.kind, x.props.get("RestApiId"))
                    {
                        entries.push(fnguard_core::doc::MapEntry {
                            key: "RestApiId".into(),
                            key_loc: api.loc,
                            value: api.clone(),
                        });
                    }
                    b.rest_stage(&p);
                }
            }
            "AWS::ApiGateway::UsagePlan" => b.usage_plan(x),
            "AWS::ApiGateway::GatewayResponse" => b.gateway_response(x),
            "AWS::ApiGatewayV2::Route" => b.http_route(x),
            "AWS::ApiGatewayV2::Stage" => b.http_stage(x),
            "AWS::WAFv2::WebACLAssociation" | "AWS::WAFRegional::WebACLAssociation" => {
                b.waf_association(x)
            }
            "AWS::Logs::LogGroup" => b.log_group(x),
            "AWS::CloudWatch::Alarm" => b.alarm(x),
            "AWS::CloudTrail::Trail" => b.trail(x),
            "AWS::EC2::SecurityGroupEgress" => b.sg_egress(x),
            "AWS::EC2::SecurityGroupIngress" => b.sg_ingress(x),
            "AWS::S3::Bucket" => b.bucket(x),
            "AWS::SNS::Subscription" => b.sns_subscription(x),
            "AWS::SNS::Topic" => b.sns_topic(x),
            "AWS::Events::Rule" => b.events_rule(x),
            "AWS::Scheduler::Schedule" => b.schedule(x),
            _ => {}
        }
    }
    // Who may put events into buckets, queues and topics.
    let blocked: HashSet<&str> = res
        .iter()
        .filter(|x| x.ty == "AWS::S3::Bucket" && public_policy_blocked(&x.props))
        .map(|x| x.id)
        .collect();
    for x in &res {
        match x.ty {
            "AWS::S3::BucketPolicy" | "AWS::SQS::QueuePolicy" | "AWS::SNS::TopicPolicy" => {
                b.resource_policy(x, &blocked)
            }
            "AWS::S3::Bucket" => b.bucket_acl(x),
            _ => {}
        }
    }
    b.finish();
    b.point_members_at_clusters(&res);
    b.dep
}

// ---------------------------------------------------------------- values

/// A resolved value as a string field (markers become placeholders).
fn str_field(node: Option<&Node>) -> Field<String> {
    match node {
        None => Field::Absent,
        Some(n) if n.is_null() => Field::Absent,
        Some(n) => match as_text(n) {
            Ok(text) => Field::Known(text, n.loc),
            Err(_) => Field::Unknown(n.loc),
        },
    }
}

fn bool_field(node: Option<&Node>) -> Field<bool> {
    match node {
        None => Field::Absent,
        Some(n) if n.is_null() => Field::Absent,
        Some(n) => match n.as_bool() {
            Some(b) => Field::Known(b, n.loc),
            None => Field::Unknown(n.loc),
        },
    }
}

fn int_field(node: Option<&Node>) -> Field<i64> {
    match node {
        None => Field::Absent,
        Some(n) if n.is_null() => Field::Absent,
        Some(n) => match n.as_i64() {
            Some(v) => Field::Known(v, n.loc),
            None => Field::Unknown(n.loc),
        },
    }
}

fn seq(node: Option<&Node>) -> &[Node] {
    node.and_then(Node::as_seq).unwrap_or(&[])
}

/// A bucket whose Block Public Access neutralizes public bucket policies.
fn public_policy_blocked(props: &Node) -> bool {
    ["RestrictPublicBuckets", "BlockPublicPolicy"]
        .iter()
        .any(|key| {
            props
                .path(&["PublicAccessBlockConfiguration", key])
                .and_then(Node::as_bool)
                == Some(true)
        })
}

/// Lambda function name from an ARN (`...:function:NAME[:qualifier]`).
fn function_name_from_arn(text: &str) -> &str {
    match text.split_once(":function:") {
        Some((_, rest)) => rest.split([':', '/']).next().unwrap_or(rest),
        None => text,
    }
}

impl<'a> Builder<'a> {
    fn new(root: &'a Node, dep: Deployment) -> Self {
        Builder {
            r: Resolver::new(root),
            dep,
            functions: HashMap::default(),
            function_names: HashMap::default(),
            function_name_shapes: HashMap::default(),
            roles: HashMap::default(),
            role_names: HashMap::default(),
            apis: HashMap::default(),
            sgs: HashMap::default(),
            role_internal: HashMap::default(),
            managed_docs: HashMap::default(),
            rest_paths: HashMap::default(),
            integrations: HashMap::default(),
            alias_targets: HashMap::default(),
            schedule_rules: HashSet::default(),
            stage_apis: HashMap::default(),
            managed_refs: Vec::new(),
            untyped: HashMap::default(),
            trigger_keys: HashSet::default(),
            source_names: HashMap::default(),
        }
    }

    fn warn(&mut self, loc: Loc, message: String) {
        self.dep.warnings.push(LoadWarning { loc, message });
    }

    /// One entry of a role's, user's or group's `Policies` list, parsed,
    /// with its document; a warning naming `owner` when it has none.
    fn inline_policy<'n>(
        &mut self,
        pol: &'n Node,
        owner: &dyn std::fmt::Display,
    ) -> Option<(AttachedPolicy, &'n Node)> {
        let Some(doc) = pol.get("PolicyDocument") else {
            self.warn(
                pol.loc,
                format!("a policy of {owner} has no PolicyDocument"),
            );
            return None;
        };
        let attached = AttachedPolicy {
            name: pol
                .get("PolicyName")
                .and_then(|n| as_text(n).ok())
                .unwrap_or_default(),
            origin: PolicyOrigin::Inline,
            policy: fnguard_iam::parse_policy(&flatten_markers(doc)),
            loc: pol.loc,
        };
        Some((attached, doc))
    }

    /// The local resource of one of `types` that a resolved value names:
    /// a marker, or a string whose placeholders name one.
    fn local_target(&self, node: &Node, types: &[&str]) -> Option<String> {
        let fits = |id: &str| self.r.resource_type(id).is_some_and(|t| types.contains(&t));
        if let Some((id, _)) = resource_marker(node) {
            return fits(id).then(|| id.to_string());
        }
        let text = node.as_str()?;
        placeholders(text)
            .find(|(id, _)| fits(id))
            .map(|(id, _)| id.to_string())
    }

    /// Every local resource a resolved value names (markers and
    /// placeholders), with its type.
    fn named_resources(&self, node: &Node, out: &mut Vec<(String, &'a str, Loc)>) {
        self.each_named_resource(node, |id, ty, loc| out.push((id.to_string(), ty, loc)));
    }

    /// `named_resources` without collecting: callers that keep few of the
    /// names allocate only for those.
    fn each_named_resource(&self, node: &Node, mut found: impl FnMut(&str, &'a str, Loc)) {
        let mut todo = vec![node];
        while let Some(n) = todo.pop() {
            if let Some((id, _)) = resource_marker(n) {
                if let Some(ty) = self.r.resource_type(id) {
                    found(id, ty, n.loc);
                }
                continue;
            }
            match &n.kind {
                NodeKind::Str(s) if has_open(s) => {
                    for (id, _) in placeholders(s) {
                        if let Some(ty) = self.r.resource_type(id) {
                            found(id, ty, n.loc);
                        }
                    }
                }
                NodeKind::Seq(items) => todo.extend(items.iter()),
                NodeKind::Map(entries) => todo.extend(entries.iter().map(|e| &e.value)),
                _ => {}
            }
        }
    }

    /// Internal resources (databases, caches) a resolved value reaches:
    /// the named resources of internal types first, then data stores of
    /// undetermined type, then database and cache hosts written out.
    /// `context` is only formatted for what is found: most values reach
    /// nothing, and this runs on every environment variable and policy.
    fn internal_refs(&self, node: &Node, context: &dyn std::fmt::Display) -> Vec<InternalRef> {
        let mut out = Vec::new();
        let mut hosts = Vec::new();
        self.internal_walk(node, context, &mut out, &mut hosts);
        if !self.untyped.is_empty() {
            out.extend(self.untyped_data_stores(node, context));
        }
        out.extend(hosts);
        out
    }

    /// One walk for both lists of `internal_refs`, in the order of
    /// `each_named_resource` (children last to first, as its stack pops
    /// them); recursion instead of a stack allocates nothing for the
    /// scalars most values are. Resolved values are depth-bounded.
    fn internal_walk(
        &self,
        n: &Node,
        context: &dyn std::fmt::Display,
        named: &mut Vec<InternalRef>,
        hosts: &mut Vec<InternalRef>,
    ) {
        let mut found = |id: &str, loc: Loc| {
            if let Some(ty) = self.r.resource_type(id).filter(|ty| is_internal_type(ty)) {
                named.push(InternalRef {
                    what: format!("{ty} {id} in {context}"),
                    loc,
                    element: Some(id.to_string()),
                });
            }
        };
        if let Some((id, _)) = resource_marker(n) {
            found(id, n.loc);
            return;
        }
        match &n.kind {
            NodeKind::Str(s) => {
                if has_open(s) {
                    for (id, _) in placeholders(s) {
                        found(id, n.loc);
                    }
                }
                if s.len() > 18 && contains_ascii(s, ".amazonaws.com") {
                    let lower = s.to_ascii_lowercase();
                    for suffix in [".rds.amazonaws.com", ".cache.amazonaws.com"] {
                        if lower.contains(suffix) {
                            hosts.push(InternalRef {
                                what: format!("{} host in {context}", &suffix[1..]),
                                loc: n.loc,
                                element: None,
                            });
                        }
                    }
                }
            }
            NodeKind::Seq(items) => {
                for item in items.iter().rev() {
                    self.internal_walk(item, context, named, hosts);
                }
            }
            NodeKind::Map(entries) => {
                for e in entries.iter().rev() {
                    self.internal_walk(&e.value, context, named, hosts);
                }
            }
            _ => {}
        }
    }

    /// Attributes of resources of undetermined type that only databases
    /// and caches have (`Endpoint.Address`, `RedisEndpoint.Port`...).
    fn untyped_data_stores(
        &self,
        node: &Node,
        context: &dyn std::fmt::Display,
    ) -> Vec<InternalRef> {
        const DATA_STORE_ATTRS: &[&str] = &[
            "Endpoint.Address",
            "Endpoint.Port",
            "ReadEndpoint.Address",
            "RedisEndpoint.Address",
            "RedisEndpoint.Port",
            "ConfigurationEndpoint.Address",
            "ConfigurationEndpoint.Port",
            "ClusterEndpoint.Address",
            "ClusterEndpoint.Port",
            "PrimaryEndPoint.Address",
            "PrimaryEndPoint.Port",
            "ReaderEndPoint.Address",
        ];
        let mut out = Vec::new();
        let mut found = |id: &str, attr: Option<&str>, loc: Loc| {
            if let Some(attr) = attr.filter(|a| DATA_STORE_ATTRS.contains(a)) {
                if self.untyped.contains_key(id) {
                    out.push(InternalRef {
                        what: format!("data store {id} ({attr}) in {context}"),
                        loc,
                        element: Some(id.to_string()),
                    });
                }
            }
        };
        let mut todo = vec![node];
        while let Some(n) = todo.pop() {
            if let Some((id, attr)) = resource_marker(n) {
                found(id, attr, n.loc);
                continue;
            }
            match &n.kind {
                NodeKind::Str(s) if has_open(s) => {
                    for (id, attr) in placeholders(s) {
                        found(id, attr, n.loc);
                    }
                }
                NodeKind::Seq(items) => todo.extend(items.iter()),
                NodeKind::Map(entries) => todo.extend(entries.iter().map(|e| &e.value)),
                _ => {}
            }
        }
        out
    }

    /// The function a resolved value designates (`Ref`, `GetAtt .Arn`, an
    /// ARN or name of a declared function, an alias or version of one).
    fn function_ref(&self, node: Option<&Node>) -> Ref {
        let Some(node) = node else {
            return Ref::Unknown;
        };
        if let Some(id) = self.local_target(node, &["AWS::Lambda::Function"]) {
            return Ref::Local(id);
        }
        if let Some(id) = self.local_target(node, &["AWS::Lambda::Alias", "AWS::Lambda::Version"]) {
            // One hop: the alias's own FunctionName.
            if let Some(fid) = self.alias_function(&id) {
                return Ref::Local(fid);
            }
            return Ref::Unknown;
        }
        match as_text(node) {
            Ok(text) => {
                let name = function_name_from_arn(&text);
                match self.function_names.get(name) {
                    Some(id) => Ref::Local(id.clone()),
                    None if has_placeholder(&text) => Ref::Unknown,
                    None => Ref::External(text),
                }
            }
            Err(_) => Ref::Unknown,
        }
    }

    fn alias_function(&self, alias_id: &str) -> Option<String> {
        self.alias_targets.get(alias_id).cloned()
    }

    /// Names and links every later step looks up, whatever the order of
    /// resources in the template.
    fn index(&mut self, res: &[Res]) {
        // Functions and roles are large: growing their lists copies them.
        let count = |ty: &str| res.iter().filter(|x| x.ty == ty).count();
        self.dep.functions.reserve(count("AWS::Lambda::Function"));
        self.dep.roles.reserve(count("AWS::IAM::Role"));
        for x in res {
            let p = &x.props;
            match x.ty {
                "AWS::Lambda::Function" => match p.get("FunctionName").map(as_text) {
                    Some(Ok(name)) => {
                        self.function_names.insert(name, x.id.to_string());
                    }
                    Some(Err(_)) => {
                        if let Some(s) = x.raw_prop("FunctionName").and_then(shape) {
                            self.function_name_shapes.insert(s, x.id.to_string());
                        }
                    }
                    None => {}
                },
                "AWS::IAM::Role" => {
                    if let Some(name) = p.get("RoleName").and_then(|n| as_text(n).ok()) {
                        self.role_names.insert(name, x.id.to_string());
                    }
                }
                "AWS::Lambda::Alias" | "AWS::Lambda::Version" => {
                    if let Some(f) = p
                        .get("FunctionName")
                        .and_then(|n| self.local_target(n, &["AWS::Lambda::Function"]))
                    {
                        self.alias_targets.insert(x.id.to_string(), f);
                    }
                }
                "AWS::ApiGateway::Stage" => {
                    if let Some(api) = p
                        .get("RestApiId")
                        .and_then(|n| self.local_target(n, &["AWS::ApiGateway::RestApi"]))
                    {
                        self.stage_apis.insert(x.id.to_string(), api);
                    }
                }
                "AWS::Events::Rule" if p.get("ScheduleExpression").is_some() => {
                    self.schedule_rules.insert(x.id.to_string());
                }
                _ => {}
            }
            // Event sources named in permissions by ARN rather than by `Ref`.
            let name_key = match x.ty {
                "AWS::S3::Bucket" => Some(("AWS::S3::Bucket", "BucketName")),
                "AWS::SNS::Topic" => Some(("AWS::SNS::Topic", "TopicName")),
                "AWS::Events::Rule" => Some(("AWS::Events::Rule", "Name")),
                _ => None,
            };
            if let Some((ty, name)) = name_key.and_then(|(ty, k)| {
                let name = as_text(p.get(k)?).ok()?;
                Some((ty, name))
            }) {
                self.source_names
                    .insert((ty, without_pseudo_colons(&name)), x.id.to_string());
            }
        }
    }

    fn function_idx(&self, r: &Ref) -> Option<usize> {
        match r {
            Ref::Local(id) => self.functions.get(id).copied(),
            _ => None,
        }
    }

    fn add_trigger(&mut self, function: &Ref, trigger: Trigger) {
        if let Some(i) = self.function_idx(function) {
            // One trigger per (kind, source): a permission and the method
            // or rule it serves describe the same event source. Indexed so
            // that thousands of sources for one function stay linear.
            let source = match &trigger.source {
                Ref::Local(id) => format!("L{id}"),
                Ref::External(text) => format!("E{text}"),
                Ref::Unknown => "U".to_string(),
            };
            if self.trigger_keys.insert((i, trigger.kind as u8, source)) {
                self.dep.functions[i].triggers.push(trigger);
            }
        }
    }

    fn source_ref(&self, node: Option<&Node>) -> Ref {
        let Some(node) = node else {
            return Ref::Unknown;
        };
        if let Some((id, _)) = resource_marker(node) {
            return Ref::Local(id.to_string());
        }
        match as_text(node) {
            Ok(text) => {
                let local = placeholders(&text)
                    .find(|(id, _)| self.r.resource_type(id).is_some())
                    .map(|(id, _)| id.to_string());
                match local.or_else(|| self.source_by_arn(&text)) {
                    Some(id) => Ref::Local(id),
                    None => Ref::External(text),
                }
            }
            Err(_) => Ref::Unknown,
        }
    }

    /// The bucket, topic or rule of this template an ARN names by the name
    /// the template gives it.
    fn source_by_arn(&self, arn: &str) -> Option<String> {
        if self.source_names.is_empty() {
            return None;
        }
        let arn = without_pseudo_colons(arn);
        let rest = arn.strip_prefix("arn:")?;
        let mut parts = rest.splitn(5, ':');
        let (_partition, service, _region, _account) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        let resource = parts.next()?;
        let (ty, name) = match service {
            "s3" => ("AWS::S3::Bucket", resource.split('/').next()?),
            "sns" => ("AWS::SNS::Topic", resource),
            "events" => ("AWS::Events::Rule", resource.strip_prefix("rule/")?),
            _ => return None,
        };
        self.source_names.get(&(ty, name.to_string())).cloned()
    }

    // ------------------------------------------------------------ params

    fn parameters(&mut self, root: &Node) {
        for e in root.get("Parameters").and_then(Node::as_map).unwrap_or(&[]) {
            let default = match e.value.get("Default") {
                None => Field::Absent,
                Some(d) => match d.scalar_text() {
                    Some(t) => Field::Known(t.into_owned(), d.loc),
                    None => match d.as_seq() {
                        Some(items) => {
                            let parts: Vec<String> = items
                                .iter()
                                .filter_map(|i| i.scalar_text().map(|t| t.into_owned()))
                                .collect();
                            Field::Known(parts.join(","), d.loc)
                        }
                        None => Field::Unknown(d.loc),
                    },
                },
            };
            self.dep.parameters.push(Parameter {
                id: e.key.clone(),
                loc: e.key_loc,
                default,
                no_echo: e
                    .value
                    .get("NoEcho")
                    .and_then(Node::as_bool)
                    .unwrap_or(false),
                ignores: ignores(&e.value),
            });
        }
    }

    // --------------------------------------------------------- functions

    fn function(&mut self, x: &Res) {
        let p = &x.props;
        let mut f = Function::new(x.id, x.loc);
        f.ignores = ignores(x.raw);
        f.name = str_field(p.get("FunctionName"));
        f.runtime = str_field(p.get("Runtime"));
        f.package_type = str_field(p.get("PackageType"));
        f.handler = str_field(p.get("Handler"));
        f.code = match x.raw.path(&["Metadata", "fnguard", "code"]) {
            // A Serverless function: the compiled `Code` names the
            // deployment bucket, the metadata the local package.
            Some(local) => str_field(Some(local)),
            None => code_field(p.get("Code")),
        };
        f.role = match p.get("Role") {
            None => Field::Absent,
            Some(n) => Field::Known(self.role_ref(n), n.loc),
        };
        if let Some(Ref::Unknown) = f.role.value() {
            f.role = Field::Unknown(p.get("Role").map_or(x.loc, |n| n.loc));
        }
        if let Some(vars) = p.path(&["Environment", "Variables"]) {
            match vars.as_map() {
                Some(entries) => {
                    f.environment.reserve(entries.len());
                    for e in entries {
                        let value = self.env_value(&e.value);
                        f.internal_refs.extend(self.internal_refs(
                            &e.value,
                            &format_args!("environment variable {}", e.key),
                        ));
                        f.environment.push(EnvVar {
                            name: e.key.clone(),
                            loc: e.key_loc,
                            value,
                        });
                    }
                }
                None => self.warn(
                    vars.loc,
                    format!(
                        "Environment.Variables of {} is not a map the template determines",
                        x.id
                    ),
                ),
            }
        }
        f.kms_key = str_field(p.get("KmsKeyArn"));
        if let Some(vpc) = p.get("VpcConfig") {
            f.vpc = if vpc.as_map().is_some() {
                // A list the template does not determine (a parameter
                // without default, an import) is one unknown entry: the
                // function stays attached and the other list keeps what
                // the template says, so its security groups are still
                // checked.
                let refs = |this: &Self, key: &str, ty: &str| -> Vec<Ref> {
                    match vpc.get(key) {
                        Some(list) if list.is_unknown() => vec![Ref::Unknown],
                        list => seq(list)
                            .iter()
                            .map(|n| match this.local_target(n, &[ty]) {
                                Some(id) => Ref::Local(id),
                                None => match as_text(n) {
                                    Ok(t) if !has_placeholder(&t) => Ref::External(t),
                                    _ => Ref::Unknown,
                                },
                            })
                            .collect(),
                    }
                };
                let security_groups = refs(self, "SecurityGroupIds", "AWS::EC2::SecurityGroup");
                let subnets = refs(self, "SubnetIds", "AWS::EC2::Subnet");
                if subnets.is_empty() && security_groups.is_empty() {
                    // `VpcConfig: {SubnetIds: [], ...}` detaches the function.
                    Field::Absent
                } else {
                    Field::Known(
                        VpcConfig {
                            security_groups,
                            subnets,
                        },
                        vpc.loc,
                    )
                }
            } else {
                Field::Unknown(vpc.loc)
            };
        }
        match p.get("Layers") {
            Some(n) if n.is_unknown() => {
                f.layers.push(Field::Unknown(n.loc));
                f.layer_refs.push(Ref::Unknown);
            }
            other => {
                for n in seq(other) {
                    f.layers.push(str_field(Some(n)));
                    f.layer_refs.push(self.layer_ref(n));
                }
            }
        }
        f.code_signing = match p.get("CodeSigningConfigArn") {
            None => Field::Absent,
            Some(n) if n.is_null() => Field::Absent,
            Some(n) => match self.local_target(n, &["AWS::Lambda::CodeSigningConfig"]) {
                Some(id) => Field::Known(Ref::Local(id), n.loc),
                None => match as_text(n) {
                    Ok(t) if !has_placeholder(&t) => Field::Known(Ref::External(t), n.loc),
                    _ => Field::Unknown(n.loc),
                },
            },
        };
        f.log_format = str_field(p.path(&["LoggingConfig", "LogFormat"]));
        f.log_group = str_field(p.path(&["LoggingConfig", "LogGroup"]));
        f.tracing = str_field(p.path(&["TracingConfig", "Mode"]));
        f.reserved_concurrency = int_field(p.get("ReservedConcurrentExecutions"));
        f.dead_letter = str_field(p.path(&["DeadLetterConfig", "TargetArn"]));
        self.functions
            .insert(x.id.to_string(), self.dep.functions.len());
        self.dep.functions.push(f);
    }

    /// What one entry of a function's `Layers` names: a layer version of
    /// the template (by `Ref`/`GetAtt`, or an ARN of this account with its
    /// layer name), else the ARN as written.
    fn layer_ref(&self, n: &Node) -> Ref {
        if let Some(id) = self.local_target(n, &["AWS::Lambda::LayerVersion"]) {
            return Ref::Local(id);
        }
        match as_text(n) {
            Ok(text) => {
                let own = self.dep.layers.iter().find(|l| {
                    l.name
                        .as_deref()
                        .is_some_and(|name| names_own_layer(&text, name))
                });
                match own {
                    Some(layer) => Ref::Local(layer.id.clone()),
                    None if has_placeholder(&text) => Ref::Unknown,
                    None => Ref::External(text),
                }
            }
            Err(_) => Ref::Unknown,
        }
    }

    fn layer_version(&mut self, x: &Res) {
        let p = &x.props;
        let mut layer = LayerVersion::new(x.id, x.loc);
        layer.ignores = ignores(x.raw);
        layer.name = str_field(p.get("LayerName"));
        layer.content = match x.raw.path(&["Metadata", "fnguard", "code"]) {
            Some(local) => str_field(Some(local)),
            None => code_field(p.get("Content")),
        };
        layer.compatible_runtimes = match p.get("CompatibleRuntimes") {
            Some(n) if n.is_unknown() => vec![Field::Unknown(n.loc)],
            other => seq(other).iter().map(|n| str_field(Some(n))).collect(),
        };
        self.dep.layers.push(layer);
    }

    fn role_ref(&self, n: &Node) -> Ref {
        if let Some(id) = self.local_target(n, &["AWS::IAM::Role"]) {
            return Ref::Local(id);
        }
        if let Some(id) = self.untyped_target(n) {
            return Ref::Local(id);
        }
        match as_text(n) {
            Ok(text) if has_placeholder(&text) => Ref::Unknown,
            Ok(text) => {
                let name = text.rsplit('/').next().unwrap_or(&text);
                match self.role_names.get(name) {
                    Some(id) => Ref::Local(id.clone()),
                    None => Ref::External(text),
                }
            }
            Err(_) => Ref::Unknown,
        }
    }

    /// The resource of undetermined type a resolved value names, if any.
    fn untyped_target(&self, n: &Node) -> Option<String> {
        if self.untyped.is_empty() {
            return None;
        }
        if let Some((id, _)) = resource_marker(n) {
            return self.untyped.contains_key(id).then(|| id.to_string());
        }
        placeholders(n.as_str()?)
            .find(|(id, _)| self.untyped.contains_key(*id))
            .map(|(id, _)| id.to_string())
    }

    /// A resource of undetermined type that functions use as their `Role`
    /// is a role: it becomes one whose policies are unknown, so that what is
    /// known about it (which functions share it) is still checked.
    fn untyped_roles(&mut self) {
        let mut wanted: Vec<String> = Vec::new();
        for f in &self.dep.functions {
            if let Some(Ref::Local(id)) = f.role.value() {
                if self.untyped.contains_key(id)
                    && !self.roles.contains_key(id)
                    && !wanted.contains(id)
                {
                    wanted.push(id.clone());
                }
            }
        }
        for id in wanted {
            let loc = self.untyped.get(&id).copied().unwrap_or_default();
            let mut role = Role::new(id.clone(), loc);
            role.managed_policy_arns.push(Field::Unknown(loc));
            role.permissions_boundary = Field::Unknown(loc);
            self.roles.insert(id, self.dep.roles.len());
            self.dep.roles.push(role);
        }
    }

    fn env_value(&self, n: &Node) -> EnvValue {
        match &n.kind {
            NodeKind::Unknown(why)
                if why.starts_with("NoEcho parameter") || why.starts_with("SSM parameter") =>
            {
                EnvValue::Reference(why.clone())
            }
            NodeKind::Unknown(_) => EnvValue::Unknown,
            _ => {
                if let Some((id, _)) = resource_marker(n) {
                    return match self.r.resource_type(id) {
                        Some(ty @ ("AWS::SecretsManager::Secret" | "AWS::SSM::Parameter")) => {
                            EnvValue::Reference(format!("{ty} {id}"))
                        }
                        _ => EnvValue::Unknown,
                    };
                }
                let Some(text) = n.scalar_text() else {
                    return EnvValue::Unknown;
                };
                if let Some(kind) = secret_reference(&text) {
                    return EnvValue::Reference(kind.to_string());
                }
                if has_open(&text) {
                    let mut names_resource = false;
                    for (id, _) in placeholders(&text) {
                        match self.r.resource_type(id) {
                            Some(ty @ ("AWS::SecretsManager::Secret" | "AWS::SSM::Parameter")) => {
                                return EnvValue::Reference(format!("{ty} {id}"));
                            }
                            Some(_) => names_resource = true,
                            None => {}
                        }
                    }
                    // A value built only from other resources' attributes is
                    // not written here; one with literal text around them
                    // (`postgres://app:pw@${Db.Endpoint.Address}/x`) still is,
                    // and the secret checks must see that text.
                    if names_resource && !literal_text_besides_placeholders(&text) {
                        return EnvValue::Unknown;
                    }
                }
                EnvValue::Literal(text.into_owned())
            }
        }
    }

    // ------------------------------------------------------------- roles

    fn role(&mut self, x: &Res) {
        let p = &x.props;
        let mut role = Role::new(x.id, x.loc);
        role.ignores = ignores(x.raw);
        role.implicit = is_implicit(x.raw);
        role.trust = p
            .get("AssumeRolePolicyDocument")
            .map(|d| fnguard_iam::parse_policy(&flatten_markers(d)));
        let mut internal = Vec::new();
        for pol in seq(p.get("Policies")) {
            let Some((attached, doc)) = self.inline_policy(pol, &format_args!("role {}", x.id))
            else {
                continue;
            };
            internal.extend(self.internal_refs(doc, &format_args!("policy of role {}", x.id)));
            role.policies.push(attached);
        }
        match p.get("ManagedPolicyArns") {
            Some(n) if n.is_unknown() => role.managed_policy_arns.push(Field::Unknown(n.loc)),
            other => {
                for arn in seq(other) {
                    if let Some(id) = self.local_target(arn, &["AWS::IAM::ManagedPolicy"]) {
                        self.managed_docs.entry(id).or_default();
                        // Attached once the managed policy is read.
                        self.managed_refs
                            .push((x.id.to_string(), resource_id_of(arn), arn.loc));
                        continue;
                    }
                    role.managed_policy_arns.push(str_field(Some(arn)));
                }
            }
        }
        role.permissions_boundary = str_field(p.get("PermissionsBoundary"));
        role.name = str_field(p.get("RoleName"));
        role.path = str_field(p.get("Path"));
        if !internal.is_empty() {
            self.role_internal.insert(x.id.to_string(), internal);
        }
        self.roles.insert(x.id.to_string(), self.dep.roles.len());
        self.dep.roles.push(role);
    }

    fn managed_policy_doc(&mut self, x: &Res) {
        if let Some(doc) = x.props.get("PolicyDocument") {
            let name = x
                .props
                .get("ManagedPolicyName")
                .and_then(|n| as_text(n).ok())
                .unwrap_or_else(|| x.id.to_string());
            self.managed_docs
                .entry(x.id.to_string())
                .or_default()
                .push((name, doc.clone()));
        }
    }

    fn attach_managed_docs(&mut self) {
        let refs = std::mem::take(&mut self.managed_refs);
        for (role_id, policy_id, loc) in refs {
            let docs = self
                .managed_docs
                .get(&policy_id)
                .cloned()
                .unwrap_or_default();
            for (name, doc) in docs {
                self.attach(&role_id, name, PolicyOrigin::CustomerManaged, &doc, loc);
            }
        }
    }

    fn attach(&mut self, role_id: &str, name: String, origin: PolicyOrigin, doc: &Node, loc: Loc) {
        let Some(&i) = self.roles.get(role_id) else {
            return;
        };
        let internal = self.internal_refs(doc, &format_args!("policy {name}"));
        self.role_internal
            .entry(role_id.to_string())
            .or_default()
            .extend(internal);
        self.dep.roles[i].policies.push(AttachedPolicy {
            name,
            origin,
            policy: fnguard_iam::parse_policy(&flatten_markers(doc)),
            loc,
        });
    }

    /// Role ids a `Roles` list names (by `Ref` or by `RoleName`).
    fn role_ids(&self, node: Option<&Node>) -> Vec<String> {
        seq(node)
            .iter()
            .filter_map(|n| match self.role_ref(n) {
                Ref::Local(id) => Some(id),
                _ => as_text(n)
                    .ok()
                    .and_then(|t| self.role_names.get(&t).cloned()),
            })
            .collect()
    }

    fn policy(&mut self, x: &Res) {
        let Some(doc) = x.props.get("PolicyDocument") else {
            self.warn(x.loc, format!("{} has no PolicyDocument", x.id));
            return;
        };
        let (origin, name) = if x.ty == "AWS::IAM::ManagedPolicy" {
            (PolicyOrigin::CustomerManaged, x.id.to_string())
        } else {
            (
                PolicyOrigin::Inline,
                x.props
                    .get("PolicyName")
                    .and_then(|n| as_text(n).ok())
                    .unwrap_or_else(|| x.id.to_string()),
            )
        };
        for role in self.role_ids(x.props.get("Roles")) {
            self.attach(&role, name.clone(), origin, doc, x.loc);
        }
        self.attach_to_identities(x, &name, origin, doc);
    }

    fn role_policy(&mut self, x: &Res) {
        let Some(doc) = x.props.get("PolicyDocument") else {
            self.warn(x.loc, format!("{} has no PolicyDocument", x.id));
            return;
        };
        let name = x
            .props
            .get("PolicyName")
            .and_then(|n| as_text(n).ok())
            .unwrap_or_else(|| x.id.to_string());
        let role = x.props.get("RoleName").map(|n| self.role_ref(n));
        let role = match role {
            Some(Ref::Local(id)) => Some(id),
            _ => x
                .props
                .get("RoleName")
                .and_then(|n| as_text(n).ok())
                .and_then(|t| self.role_names.get(&t).cloned()),
        };
        if let Some(role) = role {
            self.attach(&role, name, PolicyOrigin::Inline, doc, x.loc);
        }
    }

    // ------------------------------------------------- users and groups

    /// `AWS::IAM::User` / `AWS::IAM::Group` with their inline policies and
    /// managed policies; a user's `Groups` are linked by
    /// `link_user_groups` once every group is known.
    fn identity(&mut self, x: &Res) {
        let p = &x.props;
        let (kind, name_key) = match x.ty {
            "AWS::IAM::User" => (IdentityKind::User, "UserName"),
            _ => (IdentityKind::Group, "GroupName"),
        };
        let mut identity = Identity::new(x.id, x.loc, kind);
        identity.name = str_field(p.get(name_key));
        identity.path = str_field(p.get("Path"));
        identity.ignores = ignores(x.raw);
        for pol in seq(p.get("Policies")) {
            if let Some((attached, _)) = self.inline_policy(pol, &x.id) {
                identity.policies.push(attached);
            }
        }
        match p.get("ManagedPolicyArns") {
            Some(n) if n.is_unknown() => identity.managed_policy_arns.push(Field::Unknown(n.loc)),
            other => {
                for arn in seq(other) {
                    let Some(id) = self.local_target(arn, &["AWS::IAM::ManagedPolicy"]) else {
                        identity.managed_policy_arns.push(str_field(Some(arn)));
                        continue;
                    };
                    for (name, doc) in self.managed_docs.get(&id).into_iter().flatten() {
                        identity.policies.push(AttachedPolicy {
                            name: name.clone(),
                            origin: PolicyOrigin::CustomerManaged,
                            policy: fnguard_iam::parse_policy(&flatten_markers(doc)),
                            loc: arn.loc,
                        });
                    }
                }
            }
        }
        if kind == IdentityKind::User {
            identity.permissions_boundary = str_field(p.get("PermissionsBoundary"));
            match p.get("Groups") {
                Some(n) if n.is_unknown() => identity.groups.push(Ref::Unknown),
                other => {
                    for g in seq(other) {
                        identity.groups.push(self.group_ref(g));
                    }
                }
            }
        }
        self.dep.identities.push(identity);
    }

    /// A group named by `Ref` (which gives its name) or by its name. Names
    /// of groups declared later stay `External` until `link_user_groups`.
    fn group_ref(&self, n: &Node) -> Ref {
        if let Some(id) = self.local_target(n, &["AWS::IAM::Group"]) {
            return Ref::Local(id);
        }
        match as_text(n) {
            Ok(text) if has_placeholder(&text) => Ref::Unknown,
            Ok(text) => match self.identity_named(IdentityKind::Group, &text) {
                Some(id) => Ref::Local(id),
                None => Ref::External(text),
            },
            Err(_) => Ref::Unknown,
        }
    }

    /// The user or group of this template whose id or name is `text` (a
    /// group's ARN ends in its name). Users and groups are few: a scan of
    /// the list is cheaper than an index.
    fn identity_named(&self, kind: IdentityKind, text: &str) -> Option<String> {
        let name = text.rsplit('/').next().unwrap_or(text);
        self.dep
            .identities
            .iter()
            .find(|i| i.kind == kind && i.name.as_deref() == Some(name))
            .map(|i| i.id.clone())
    }

    fn link_user_groups(&mut self) {
        let mut linked: Vec<(usize, usize, String)> = Vec::new();
        for (u, user) in self.dep.identities.iter().enumerate() {
            for (g, group) in user.groups.iter().enumerate() {
                if let Ref::External(name) = group {
                    if let Some(id) = self.identity_named(IdentityKind::Group, name) {
                        linked.push((u, g, id));
                    }
                }
            }
        }
        for (u, g, id) in linked {
            self.dep.identities[u].groups[g] = Ref::Local(id);
        }
    }

    /// The user or group a `UserName` / `GroupName` / `Users` / `Groups`
    /// entry names: by `Ref` or by name.
    fn identity_id(&self, n: &Node, kind: IdentityKind) -> Option<String> {
        let ty = match kind {
            IdentityKind::User => "AWS::IAM::User",
            IdentityKind::Group => "AWS::IAM::Group",
        };
        if let Some(id) = self.local_target(n, &[ty]) {
            return Some(id);
        }
        let text = as_text(n).ok()?;
        self.identity_named(kind, &text)
    }

    fn attach_to_identity(
        &mut self,
        id: &str,
        name: String,
        origin: PolicyOrigin,
        doc: &Node,
        loc: Loc,
    ) {
        if let Some(identity) = self.dep.identities.iter_mut().find(|i| i.id == id) {
            identity.policies.push(AttachedPolicy {
                name,
                origin,
                policy: fnguard_iam::parse_policy(&flatten_markers(doc)),
                loc,
            });
        }
    }

    /// The `Users` and `Groups` of an `AWS::IAM::Policy` or
    /// `AWS::IAM::ManagedPolicy`.
    fn attach_to_identities(&mut self, x: &Res, name: &str, origin: PolicyOrigin, doc: &Node) {
        let mut ids = Vec::new();
        for (key, kind) in [
            ("Users", IdentityKind::User),
            ("Groups", IdentityKind::Group),
        ] {
            for n in seq(x.props.get(key)) {
                ids.extend(self.identity_id(n, kind));
            }
        }
        for id in ids {
            self.attach_to_identity(&id, name.to_string(), origin, doc, x.loc);
        }
    }

    /// `AWS::IAM::UserPolicy` / `AWS::IAM::GroupPolicy`.
    fn identity_policy(&mut self, x: &Res) {
        let Some(doc) = x.props.get("PolicyDocument") else {
            self.warn(x.loc, format!("{} has no PolicyDocument", x.id));
            return;
        };
        let (key, kind) = match x.ty {
            "AWS::IAM::UserPolicy" => ("UserName", IdentityKind::User),
            _ => ("GroupName", IdentityKind::Group),
        };
        let name = x
            .props
            .get("PolicyName")
            .and_then(|n| as_text(n).ok())
            .unwrap_or_else(|| x.id.to_string());
        if let Some(id) = x.props.get(key).and_then(|n| self.identity_id(n, kind)) {
            self.attach_to_identity(&id, name, PolicyOrigin::Inline, doc, x.loc);
        }
    }

    /// `AWS::IAM::UserToGroupAddition`: `Users` join `GroupName`.
    fn user_to_group(&mut self, x: &Res) {
        let Some(group) = x.props.get("GroupName") else {
            return;
        };
        let group = self.group_ref(group);
        let users: Vec<String> = seq(x.props.get("Users"))
            .iter()
            .filter_map(|n| self.identity_id(n, IdentityKind::User))
            .collect();
        for user in users {
            if let Some(identity) = self.dep.identities.iter_mut().find(|i| i.id == user) {
                if !identity.groups.contains(&group) {
                    identity.groups.push(group.clone());
                }
            }
        }
    }

    // ------------------------------------------------------ lambda extras

    fn permission(&mut self, x: &Res) {
        let p = &x.props;
        let function = self.function_ref(p.get("FunctionName"));
        let perm = InvokePermission {
            id: x.id.to_string(),
            loc: x.loc,
            function: function.clone(),
            action: str_field(p.get("Action")),
            principal: str_field(p.get("Principal")),
            source_arn: str_field(p.get("SourceArn")),
            source_account: str_field(p.get("SourceAccount")),
            principal_org_id: str_field(p.get("PrincipalOrgID")),
            function_url_auth_type: str_field(p.get("FunctionUrlAuthType")),
            event_source_token: str_field(p.get("EventSourceToken")),
            ignores: ignores(x.raw),
        };
        let principal = perm.principal.as_deref().unwrap_or("").to_string();
        self.dep.permissions.push(perm);
        // Accounts and `*` are no event source; only service principals are.
        if !(principal.ends_with(".amazonaws.com") || principal.ends_with(".amazon.com")) {
            return;
        }
        let service = principal.split('.').next().unwrap_or("");
        let kind = match service {
            "apigateway" => {
                let source = self.source_ref(p.get("SourceArn"));
                let kind = match &source {
                    Ref::Local(id) => match self.r.resource_type(id) {
                        Some("AWS::ApiGatewayV2::Api") => self.v2_kind(id),
                        _ => TriggerKind::RestApi,
                    },
                    _ => TriggerKind::RestApi,
                };
                self.add_trigger(
                    &function,
                    Trigger {
                        kind,
                        loc: x.loc,
                        source,
                    },
                );
                return;
            }
            "s3" => TriggerKind::S3,
            "sns" => TriggerKind::Sns,
            "sqs" => TriggerKind::Sqs,
            "events" => TriggerKind::EventBridge,
            "scheduler" => TriggerKind::Schedule,
            "logs" => TriggerKind::CloudWatchLogs,
            "iot" => TriggerKind::Iot,
            "cognito-idp" => TriggerKind::Cognito,
            "alexa-appkit" | "alexa-connectedhome" => TriggerKind::Alexa,
            "" => return,
            _ => TriggerKind::Other,
        };
        let source = self.source_ref(p.get("SourceArn"));
        let kind = if kind == TriggerKind::EventBridge && self.is_schedule_rule(&source) {
            TriggerKind::Schedule
        } else {
            kind
        };
        self.add_trigger(
            &function,
            Trigger {
                kind,
                loc: x.loc,
                source,
            },
        );
    }

    fn is_schedule_rule(&self, source: &Ref) -> bool {
        match source {
            Ref::Local(id) => self.schedule_rules.contains(id),
            _ => false,
        }
    }

    fn v2_kind(&self, api_id: &str) -> TriggerKind {
        match self.apis.get(api_id).map(|&i| self.dep.apis[i].kind) {
            Some(ApiKind::WebSocket) => TriggerKind::WebSocketApi,
            _ => TriggerKind::HttpApi,
        }
    }

    fn function_url(&mut self, x: &Res) {
        let p = &x.props;
        let function = self.function_ref(p.get("TargetFunctionArn"));
        let url = FunctionUrl {
            id: x.id.to_string(),
            loc: x.loc,
            function: function.clone(),
            auth_type: str_field(p.get("AuthType")),
            cors: p.get("Cors").map(cors),
            ignores: ignores(x.raw),
        };
        self.dep.function_urls.push(url);
        self.add_trigger(
            &function,
            Trigger {
                kind: TriggerKind::FunctionUrl,
                loc: x.loc,
                source: Ref::Local(x.id.to_string()),
            },
        );
    }

    fn event_source_mapping(&mut self, x: &Res) {
        let p = &x.props;
        let function = self.function_ref(p.get("FunctionName"));
        let source_node = p.get("EventSourceArn");
        let by_type = source_node.and_then(|n| {
            let mut named = Vec::new();
            self.named_resources(n, &mut named);
            named.into_iter().find_map(|(_, ty, _)| match ty {
                "AWS::SQS::Queue" => Some(TriggerKind::Sqs),
                "AWS::Kinesis::Stream" => Some(TriggerKind::Kinesis),
                "AWS::DynamoDB::Table" | "AWS::DynamoDB::GlobalTable" => {
                    Some(TriggerKind::DynamoDbStream)
                }
                "AWS::MSK::Cluster" | "AWS::MSK::ServerlessCluster" => Some(TriggerKind::Kafka),
                "AWS::AmazonMQ::Broker" => Some(TriggerKind::Mq),
                _ => None,
            })
        });
        let by_arn = source_node.and_then(|n| n.as_str()).and_then(|arn| {
            let service = arn.split(':').nth(2)?;
            Some(match service {
                "sqs" => TriggerKind::Sqs,
                "kinesis" => TriggerKind::Kinesis,
                "dynamodb" => TriggerKind::DynamoDbStream,
                "kafka" => TriggerKind::Kafka,
                "mq" => TriggerKind::Mq,
                _ => TriggerKind::Other,
            })
        });
        let kind = by_type
            .or(by_arn)
            .unwrap_or(if p.get("SelfManagedEventSource").is_some() {
                TriggerKind::Kafka
            } else {
                TriggerKind::Other
            });
        let source = self.source_ref(source_node);
        self.add_trigger(
            &function,
            Trigger {
                kind,
                loc: x.loc,
                source,
            },
        );
    }

    fn event_invoke_config(&mut self, x: &Res) {
        let function = self.function_ref(x.props.get("FunctionName"));
        let dest = str_field(
            x.props
                .path(&["DestinationConfig", "OnFailure", "Destination"]),
        );
        if let Some(i) = self.function_idx(&function) {
            if !dest.is_absent() {
                self.dep.functions[i].on_failure = dest;
            }
        }
    }

    fn code_signing(&mut self, x: &Res) {
        self.dep.code_signing_configs.push(CodeSigningConfig {
            id: x.id.to_string(),
            loc: x.loc,
            untrusted_artifact_policy: str_field(
                x.props
                    .path(&["CodeSigningPolicies", "UntrustedArtifactOnDeployment"]),
            ),
            ignores: ignores(x.raw),
        });
    }

    // -------------------------------------------------------------- APIs

    fn api_idx(&self, node: Option<&Node>) -> Option<usize> {
        let id = self.local_target(
            node?,
            &["AWS::ApiGateway::RestApi", "AWS::ApiGatewayV2::Api"],
        )?;
        self.apis.get(&id).copied()
    }

    fn push_api(&mut self, api: Api) -> usize {
        self.apis.insert(api.id.clone(), self.dep.apis.len());
        self.dep.apis.push(api);
        self.dep.apis.len() - 1
    }

    fn rest_api(&mut self, x: &Res) {
        let p = &x.props;
        let mut api = Api::new(x.id, x.loc, ApiKind::Rest);
        api.implicit = is_implicit(x.raw);
        api.ignores = ignores(x.raw);
        if let Some(types) = p.path(&["EndpointConfiguration", "Types"]) {
            api.private_endpoint = if types.contains_unknown() {
                Field::Unknown(types.loc)
            } else {
                Field::Known(
                    types.one_or_many().iter().any(|t| {
                        t.as_str()
                            .is_some_and(|s| s.eq_ignore_ascii_case("PRIVATE"))
                    }),
                    types.loc,
                )
            };
        }
        api.resource_policy = p
            .get("Policy")
            .map(|d| fnguard_iam::parse_policy(&flatten_markers(d)));
        let body = p.get("Body");
        let i = self.push_api(api);
        if let Some(body) = body {
            self.openapi_body(i, body, TriggerKind::RestApi);
        } else if let Some(loc) = p.get("BodyS3Location").map(|n| n.loc) {
            self.warn(
                loc,
                format!(
                    "API {}: BodyS3Location is not read; its routes are unknown",
                    x.id
                ),
            );
        }
    }

    fn openapi_body(&mut self, api: usize, body: &Node, kind: TriggerKind) {
        let mut routes = Vec::new();
        let openapi::BodySettings {
            validation,
            cors,
            policy,
        } = openapi::routes(body, &mut routes);
        for c in cors {
            keep_most_open_cors(&mut self.dep.apis[api].cors, c);
        }
        // The `Policy` property, when both are set, is the one deployed.
        if let (Some(doc), None) = (policy, &self.dep.apis[api].resource_policy) {
            self.dep.apis[api].resource_policy =
                Some(fnguard_iam::parse_policy(&flatten_markers(&doc)));
        }
        let api_id = self.dep.apis[api].id.clone();
        for (route, fn_node) in routes {
            let function = fn_node.map(|n| self.function_ref(Some(&n)));
            let mut route = route;
            if let Some(f @ Ref::Local(id)) = &function {
                route.function = Some(id.clone());
                self.add_trigger(
                    f,
                    Trigger {
                        kind,
                        loc: route.loc,
                        source: Ref::Local(api_id.clone()),
                    },
                );
            }
            self.dep.apis[api].routes.push(route);
        }
        if let Some(v) = validation {
            self.dep.apis[api].request_validation = v;
        }
    }

    fn rest_resource_paths(&mut self, res: &[Res]) {
        // Parent links, then each path walked with a bound so that a cycle
        // written by mistake cannot loop.
        let mut parent: HashMap<&str, (Option<String>, String)> = HashMap::default();
        for x in res.iter().filter(|x| x.ty == "AWS::ApiGateway::Resource") {
            let part = x
                .props
                .get("PathPart")
                .map(|n| as_text(n).unwrap_or_else(|_| "{unknown}".to_string()))
                .unwrap_or_default();
            let up = x
                .props
                .get("ParentId")
                .and_then(|n| self.local_target(n, &["AWS::ApiGateway::Resource"]));
            parent.insert(x.id, (up, part));
        }
        for (&id, _) in parent.iter() {
            let mut parts = Vec::new();
            let mut cur = Some(id.to_string());
            let mut steps = 0;
            while let Some(c) = cur {
                steps += 1;
                if steps > 64 {
                    break;
                }
                match parent.get(c.as_str()) {
                    Some((up, part)) => {
                        parts.push(part.clone());
                        cur = up.clone();
                    }
                    None => break,
                }
            }
            parts.reverse();
            self.rest_paths
                .insert(id.to_string(), format!("/{}", parts.join("/")));
        }
    }

    fn rest_method(&mut self, x: &Res) {
        let p = &x.props;
        let Some(api) = self.api_idx(p.get("RestApiId")) else {
            return;
        };
        let path = match p.get("ResourceId") {
            Some(n) => match self.local_target(n, &["AWS::ApiGateway::Resource"]) {
                Some(id) => self
                    .rest_paths
                    .get(&id)
                    .cloned()
                    .unwrap_or_else(|| "/".into()),
                None => {
                    if resource_marker(n).is_some_and(|(_, a)| a == Some("RootResourceId")) {
                        "/".to_string()
                    } else {
                        "{unknown}".to_string()
                    }
                }
            },
            None => "{unknown}".to_string(),
        };
        let method = p
            .get("HttpMethod")
            .and_then(|n| as_text(n).ok())
            .unwrap_or_else(|| "{unknown}".to_string())
            .to_ascii_uppercase();
        let auth = match p.get("AuthorizationType") {
            None => Field::Known(AuthKind::None, x.loc),
            Some(n) => match as_text(n) {
                Ok(t) => Field::Known(auth_kind(&t), n.loc),
                Err(_) => Field::Unknown(n.loc),
            },
        };
        let function = p
            .path(&["Integration", "Uri"])
            .map(|n| self.function_ref(Some(n)));
        let validated = p.get("RequestValidatorId").is_some_and(|n| !n.is_null())
            || p.get("RequestModels")
                .and_then(Node::as_map)
                .is_some_and(|m| !m.is_empty());
        let api_id = self.dep.apis[api].id.clone();
        let route = Route {
            method,
            path,
            loc: x.loc,
            auth,
            api_key_required: bool_field(p.get("ApiKeyRequired")),
            function: match &function {
                Some(Ref::Local(id)) => Some(id.clone()),
                _ => None,
            },
        };
        let preflight_cors = if method_is_options(&route.method) {
            p.path(&["Integration", "IntegrationResponses"])
                .map(Node::one_or_many)
                .unwrap_or_default()
                .into_iter()
                .filter_map(|r| r.get("ResponseParameters"))
                .filter_map(|params| cors_from_headers(params, "method.response.header."))
                .collect()
        } else {
            Vec::new()
        };
        let a = &mut self.dep.apis[api];
        a.routes.push(route);
        for c in preflight_cors {
            keep_most_open_cors(&mut a.cors, c);
        }
        if validated {
            a.request_validation = Field::Known(true, x.loc);
        }
        if let Some(f) = function {
            self.add_trigger(
                &f,
                Trigger {
                    kind: TriggerKind::RestApi,
                    loc: x.loc,
                    source: Ref::Local(api_id),
                },
            );
        }
    }

    fn rest_stage(&mut self, p: &Node) {
        let Some(api) = self.api_idx(p.get("RestApiId")) else {
            return;
        };
        let a = &mut self.dep.apis[api];
        if let Some(dest) = p.path(&["AccessLogSetting", "DestinationArn"]) {
            a.access_logging = Field::Known(true, dest.loc);
        }
        for ms in seq(p.get("MethodSettings")) {
            if let Some(n) = ms
                .get("ThrottlingRateLimit")
                .or(ms.get("ThrottlingBurstLimit"))
            {
                a.throttling = Field::Known(true, n.loc);
            }
        }
        if let Some(n) = p
            .get("ThrottlingRateLimit")
            .or(p.get("ThrottlingBurstLimit"))
        {
            a.throttling = Field::Known(true, n.loc);
        }
        if let Some(n) = p.get("TracingEnabled") {
            let t = bool_field(Some(n));
            if !matches!(a.tracing, Field::Known(true, _)) {
                a.tracing = t;
            }
        }
    }

    fn usage_plan(&mut self, x: &Res) {
        let p = &x.props;
        let throttle = p
            .get("Throttle")
            .filter(|t| t.get("RateLimit").is_some() || t.get("BurstLimit").is_some());
        for stage in seq(p.get("ApiStages")) {
            let per_method = stage
                .get("Throttle")
                .and_then(Node::as_map)
                .is_some_and(|m| !m.is_empty());
            if throttle.is_none() && !per_method {
                continue;
            }
            if let Some(api) = self.api_idx(stage.get("ApiId")) {
                let loc = throttle.map_or(stage.loc, |t| t.loc);
                self.dep.apis[api].throttling = Field::Known(true, loc);
            }
        }
    }

    /// CORS headers added to API Gateway's own responses (4XX, 5XX...):
    /// browsers read them like a preflight's.
    fn gateway_response(&mut self, x: &Res) {
        let Some(api) = self.api_idx(x.props.get("RestApiId")) else {
            return;
        };
        if let Some(c) = x
            .props
            .get("ResponseParameters")
            .and_then(|p| cors_from_headers(p, "gatewayresponse.header."))
        {
            keep_most_open_cors(&mut self.dep.apis[api].cors, c);
        }
    }

    fn http_api(&mut self, x: &Res) {
        let p = &x.props;
        let kind = match p.get("ProtocolType").and_then(Node::as_str) {
            Some(t) if t.eq_ignore_ascii_case("WEBSOCKET") => ApiKind::WebSocket,
            _ => ApiKind::Http,
        };
        let mut api = Api::new(x.id, x.loc, kind);
        api.implicit = is_implicit(x.raw);
        api.ignores = ignores(x.raw);
        api.cors = p.get("CorsConfiguration").map(cors);
        let target = p.get("Target").map(|n| self.function_ref(Some(n)));
        let trigger_kind = if kind == ApiKind::WebSocket {
            TriggerKind::WebSocketApi
        } else {
            TriggerKind::HttpApi
        };
        if let Some(target) = target {
            // Quick create: a `$default` route to the target, no auth.
            let loc = p.get("Target").map_or(x.loc, |n| n.loc);
            api.routes.push(Route {
                method: "ANY".into(),
                path: "$default".into(),
                loc,
                auth: Field::Known(AuthKind::None, loc),
                api_key_required: Field::Absent,
                function: match &target {
                    Ref::Local(id) => Some(id.clone()),
                    _ => None,
                },
            });
            self.add_trigger(
                &target,
                Trigger {
                    kind: trigger_kind,
                    loc,
                    source: Ref::Local(x.id.to_string()),
                },
            );
        }
        let body = p.get("Body").cloned();
        let i = self.push_api(api);
        if let Some(body) = body {
            self.openapi_body(i, &body, trigger_kind);
        }
    }

    fn integration(&mut self, x: &Res) {
        let uri = x.props.get("IntegrationUri");
        let f = match uri.map(|n| self.function_ref(Some(n))) {
            Some(Ref::Local(id)) => Some(id),
            _ => None,
        };
        self.integrations.insert(x.id.to_string(), f);
    }

    fn http_route(&mut self, x: &Res) {
        let p = &x.props;
        let Some(api) = self.api_idx(p.get("ApiId")) else {
            return;
        };
        let key = p
            .get("RouteKey")
            .and_then(|n| as_text(n).ok())
            .unwrap_or_else(|| "{unknown}".into());
        let (method, path) = match key.split_once(' ') {
            Some((m, path)) => (m.to_ascii_uppercase(), path.to_string()),
            None => ("ANY".to_string(), key.clone()),
        };
        let auth = match p.get("AuthorizationType") {
            None => Field::Known(AuthKind::None, x.loc),
            Some(n) => match as_text(n) {
                Ok(t) => Field::Known(auth_kind(&t), n.loc),
                Err(_) => Field::Unknown(n.loc),
            },
        };
        let function = p.get("Target").and_then(|t| {
            let text = as_text(t).ok()?;
            let (id, _) = placeholders(&text).next()?;
            self.integrations.get(id).cloned().flatten()
        });
        let kind = self.dep.apis[api].kind;
        let api_id = self.dep.apis[api].id.clone();
        self.dep.apis[api].routes.push(Route {
            method,
            path,
            loc: x.loc,
            auth,
            api_key_required: bool_field(p.get("ApiKeyRequired")),
            function: function.clone(),
        });
        if let Some(f) = function {
            let kind = if kind == ApiKind::WebSocket {
                TriggerKind::WebSocketApi
            } else {
                TriggerKind::HttpApi
            };
            self.add_trigger(
                &Ref::Local(f),
                Trigger {
                    kind,
                    loc: x.loc,
                    source: Ref::Local(api_id),
                },
            );
        }
    }

    fn http_stage(&mut self, x: &Res) {
        let p = &x.props;
        let Some(api) = self.api_idx(p.get("ApiId")) else {
            return;
        };
        let a = &mut self.dep.apis[api];
        if let Some(dest) = p.path(&["AccessLogSettings", "DestinationArn"]) {
            a.access_logging = Field::Known(true, dest.loc);
        }
        let throttled = |s: &Node| {
            s.get("ThrottlingRateLimit")
                .or(s.get("ThrottlingBurstLimit"))
                .map(|n| n.loc)
        };
        if let Some(loc) = p.get("DefaultRouteSettings").and_then(throttled) {
            a.throttling = Field::Known(true, loc);
        }
        for e in p.get("RouteSettings").and_then(Node::as_map).unwrap_or(&[]) {
            if let Some(loc) = throttled(&e.value) {
                a.throttling = Field::Known(true, loc);
            }
        }
    }

    fn waf_association(&mut self, x: &Res) {
        let Some(arn) = x.props.get("ResourceArn") else {
            return;
        };
        let mut named = Vec::new();
        self.named_resources(arn, &mut named);
        for (id, ty, _) in named {
            let api_id = match ty {
                "AWS::ApiGateway::RestApi" | "AWS::ApiGatewayV2::Api" => Some(id),
                "AWS::ApiGateway::Stage" => self.stage_apis.get(&id).cloned(),
                _ => None,
            };
            if let Some(&i) = api_id.as_ref().and_then(|id| self.apis.get(id)) {
                self.dep.apis[i].waf = Field::Known(true, x.loc);
            }
        }
    }

    // ------------------------------------------------- logs, alarms, trails

    fn log_group(&mut self, x: &Res) {
        let name_node = x.props.get("LogGroupName");
        let name = str_field(name_node);
        let by_value = name.as_deref().and_then(|n| {
            let rest = n.strip_prefix("/aws/lambda/")?;
            if let Some(id) = self.function_names.get(rest) {
                return Some(id.clone());
            }
            // `/aws/lambda/${Fn}`: the generated name of function Fn.
            let id = rest.strip_prefix("${")?.strip_suffix('}')?;
            self.functions.contains_key(id).then(|| id.to_string())
        });
        // Both names built from the same undetermined value (a parameter
        // without default, the stack name).
        let by_shape = || {
            if !name.is_unknown() || self.function_name_shapes.is_empty() {
                return None;
            }
            let text = shape(x.raw_prop("LogGroupName")?)?;
            let rest = text.strip_prefix("/aws/lambda/")?;
            self.function_name_shapes.get(rest).cloned()
        };
        // Transforms that generate a function's log group say whose it is
        // (`Metadata.fnguard.function`), even when neither name is known.
        let declared = x
            .raw
            .path(&["Metadata", "fnguard", "function"])
            .and_then(Node::as_str)
            .filter(|id| self.functions.contains_key(*id))
            .map(str::to_string);
        let function = declared.or(by_value).or_else(by_shape);
        self.dep.log_groups.push(LogGroup {
            id: x.id.to_string(),
            loc: x.loc,
            name,
            retention_days: int_field(x.props.get("RetentionInDays")),
            function,
            ignores: ignores(x.raw),
        });
    }

    /// `raw` is the same metric before resolution, to link a `FunctionName`
    /// dimension the template does not determine by its shape.
    fn alarm_metric(&self, m: &Node, raw: Option<&Node>) -> AlarmMetric {
        let mut metric = AlarmMetric {
            namespace: str_field(m.get("Namespace")),
            metric_name: str_field(m.get("MetricName")),
            function: None,
            function_unknown: false,
            has_function_dimension: false,
        };
        for d in seq(m.get("Dimensions")) {
            if d.get("Name").and_then(Node::as_str) != Some("FunctionName") {
                continue;
            }
            metric.has_function_dimension = true;
            match self.function_ref(d.get("Value")) {
                Ref::Local(id) => metric.function = Some(id),
                Ref::Unknown => match self.function_by_name_shape(raw) {
                    Some(id) => metric.function = Some(id),
                    None => metric.function_unknown = true,
                },
                Ref::External(_) => {}
            }
        }
        metric
    }

    /// The function whose undetermined name has the shape of the raw
    /// metric's `FunctionName` dimension value.
    fn function_by_name_shape(&self, raw_metric: Option<&Node>) -> Option<String> {
        if self.function_name_shapes.is_empty() {
            return None;
        }
        let dims = raw_metric?.get("Dimensions")?.as_seq()?;
        let value = dims
            .iter()
            .find(|d| d.get("Name").and_then(Node::as_str) == Some("FunctionName"))?
            .get("Value")?;
        self.function_name_shapes.get(&shape(value)?).cloned()
    }

    fn alarm(&mut self, x: &Res) {
        let p = &x.props;
        let raw = x.raw_props.as_deref();
        let mut metrics = Vec::new();
        if p.get("MetricName").is_some() {
            metrics.push(self.alarm_metric(p, raw));
        }
        // Raw and resolved lists line up unless `AWS::NoValue` removed items.
        let raw_metrics = raw
            .and_then(|r| r.get("Metrics"))
            .and_then(Node::as_seq)
            .filter(|r| r.len() == seq(p.get("Metrics")).len());
        for (i, m) in seq(p.get("Metrics")).iter().enumerate() {
            if let Some(stat) = m.path(&["MetricStat", "Metric"]) {
                let raw_stat = raw_metrics
                    .and_then(|r| r.get(i))
                    .and_then(|r| r.path(&["MetricStat", "Metric"]));
                metrics.push(self.alarm_metric(stat, raw_stat));
            }
        }
        self.dep.alarms.push(Alarm {
            id: x.id.to_string(),
            loc: x.loc,
            metrics,
            ignores: ignores(x.raw),
        });
    }

    fn trail(&mut self, x: &Res) {
        let p = &x.props;
        let mut found = false;
        let mut unknown: Option<Loc> = None;
        let mut found_loc = x.loc;
        for sel in seq(p.get("EventSelectors")) {
            for dr in seq(sel.get("DataResources")) {
                match dr.get("Type").map(as_text) {
                    Some(Ok(t)) if t == "AWS::Lambda::Function" => {
                        found = true;
                        found_loc = dr.loc;
                    }
                    Some(Err(_)) => unknown = Some(dr.loc),
                    _ => {}
                }
            }
        }
        for sel in seq(p.get("AdvancedEventSelectors")) {
            for fs in seq(sel.get("FieldSelectors")) {
                if fs.get("Field").and_then(Node::as_str) != Some("resources.type") {
                    continue;
                }
                let eq = fs.get("Equals");
                if eq.is_some_and(Node::contains_unknown) {
                    unknown = Some(fs.loc);
                }
                if seq(eq)
                    .iter()
                    .any(|v| v.as_str() == Some("AWS::Lambda::Function"))
                {
                    found = true;
                    found_loc = fs.loc;
                }
            }
        }
        for key in ["EventSelectors", "AdvancedEventSelectors"] {
            if let Some(n) = p.get(key).filter(|n| n.is_unknown()) {
                unknown = Some(n.loc);
            }
        }
        let lambda_data_events = if found {
            Field::Known(true, found_loc)
        } else if let Some(loc) = unknown {
            Field::Unknown(loc)
        } else {
            Field::Known(false, x.loc)
        };
        self.dep.trails.push(Trail {
            id: x.id.to_string(),
            loc: x.loc,
            lambda_data_events,
            ignores: ignores(x.raw),
        });
    }

    // ----------------------------------------------------------- network

    fn security_group(&mut self, x: &Res) {
        let mut egress: Vec<SgRule> = seq(x.props.get("SecurityGroupEgress"))
            .iter()
            .map(|n| self.sg_egress_rule(n))
            .collect();
        if x.props
            .get("SecurityGroupEgress")
            .is_some_and(Node::is_unknown)
        {
            let loc = x.props.get("SecurityGroupEgress").map_or(x.loc, |n| n.loc);
            egress.push(SgRule {
                loc,
                cidr: Field::Unknown(loc),
                protocol: Field::Unknown(loc),
                from_port: Field::Unknown(loc),
                to_port: Field::Unknown(loc),
                peer_group: None,
                implicit: false,
            });
        }
        if egress.is_empty() {
            egress.push(SgRule {
                loc: x.loc,
                cidr: Field::Known("0.0.0.0/0".into(), x.loc),
                protocol: Field::Known("-1".into(), x.loc),
                from_port: Field::Absent,
                to_port: Field::Absent,
                peer_group: None,
                implicit: true,
            });
        }
        self.sgs
            .insert(x.id.to_string(), self.dep.security_groups.len());
        self.dep.security_groups.push(SecurityGroup {
            id: x.id.to_string(),
            loc: x.loc,
            egress,
            ingress: self.sg_inline_ingress(x),
            ignores: ignores(x.raw),
        });
    }

    fn sg_egress(&mut self, x: &Res) {
        let Some(group) = x
            .props
            .get("GroupId")
            .and_then(|n| self.local_target(n, &["AWS::EC2::SecurityGroup"]))
        else {
            return;
        };
        if let Some(&i) = self.sgs.get(&group) {
            let mut rule = self.sg_egress_rule(&x.props);
            rule.loc = x.loc;
            self.dep.security_groups[i].egress.push(rule);
        }
    }

    // ---------------------------------------------------------- triggers

    fn bucket(&mut self, x: &Res) {
        for c in seq(x
            .props
            .path(&["NotificationConfiguration", "LambdaConfigurations"]))
        {
            let f = self.function_ref(c.get("Function"));
            self.add_trigger(
                &f,
                Trigger {
                    kind: TriggerKind::S3,
                    loc: c.loc,
                    source: Ref::Local(x.id.to_string()),
                },
            );
        }
    }

    fn sns_subscription(&mut self, x: &Res) {
        let p = &x.props;
        if !p
            .get("Protocol")
            .and_then(Node::as_str)
            .is_some_and(|s| s.eq_ignore_ascii_case("lambda"))
        {
            return;
        }
        let f = self.function_ref(p.get("Endpoint"));
        let source = self.source_ref(p.get("TopicArn"));
        self.add_trigger(
            &f,
            Trigger {
                kind: TriggerKind::Sns,
                loc: x.loc,
                source,
            },
        );
    }

    fn sns_topic(&mut self, x: &Res) {
        for s in seq(x.props.get("Subscription")) {
            if !s
                .get("Protocol")
                .and_then(Node::as_str)
                .is_some_and(|p| p.eq_ignore_ascii_case("lambda"))
            {
                continue;
            }
            let f = self.function_ref(s.get("Endpoint"));
            self.add_trigger(
                &f,
                Trigger {
                    kind: TriggerKind::Sns,
                    loc: s.loc,
                    source: Ref::Local(x.id.to_string()),
                },
            );
        }
    }

    fn events_rule(&mut self, x: &Res) {
        let kind = if x.props.get("ScheduleExpression").is_some() {
            TriggerKind::Schedule
        } else {
            TriggerKind::EventBridge
        };
        for t in seq(x.props.get("Targets")) {
            let f = self.function_ref(t.get("Arn"));
            self.add_trigger(
                &f,
                Trigger {
                    kind,
                    loc: t.loc,
                    source: Ref::Local(x.id.to_string()),
                },
            );
        }
    }

    fn schedule(&mut self, x: &Res) {
        let f = self.function_ref(x.props.path(&["Target", "Arn"]));
        self.add_trigger(
            &f,
            Trigger {
                kind: TriggerKind::Schedule,
                loc: x.loc,
                source: Ref::Local(x.id.to_string()),
            },
        );
    }

    // ------------------------------------------------ resource policies

    fn resource_policy(&mut self, x: &Res, blocked: &HashSet<&str>) {
        let (kind, key, target_type) = match x.ty {
            "AWS::S3::BucketPolicy" => (ResourcePolicyKind::Bucket, "Bucket", "AWS::S3::Bucket"),
            "AWS::SQS::QueuePolicy" => (ResourcePolicyKind::Queue, "Queues", "AWS::SQS::Queue"),
            _ => (ResourcePolicyKind::Topic, "Topics", "AWS::SNS::Topic"),
        };
        let Some(doc) = x.props.get("PolicyDocument") else {
            self.warn(x.loc, format!("{} has no PolicyDocument", x.id));
            return;
        };
        // `Bucket` is one value, `Queues`/`Topics` lists (a single value is
        // accepted the same way); an unresolved value is an unknown target.
        let targets = x
            .props
            .get(key)
            .map(Node::one_or_many)
            .unwrap_or_default()
            .into_iter()
            .map(|t| self.policy_target(t, target_type))
            .collect::<Vec<_>>();
        let public_policy_blocked = targets
            .iter()
            .any(|t| matches!(t, Ref::Local(id) if blocked.contains(id.as_str())));
        self.dep.resource_policies.push(ResourcePolicy {
            id: x.id.to_string(),
            loc: x.loc,
            kind,
            targets,
            policy: fnguard_iam::parse_policy(&flatten_markers(doc)),
            canned_acl: None,
            public_policy_blocked,
            ignores: ignores(x.raw),
        });
    }

    /// The bucket, queue or topic a resource policy names: `!Ref` (a
    /// bucket's name, a queue's URL, a topic's ARN), `!GetAtt`, a `!Sub`
    /// placeholder, or the name/ARN the template gives it.
    fn policy_target(&self, node: &Node, target_type: &str) -> Ref {
        if let Some(id) = self.local_target(node, &[target_type]) {
            return Ref::Local(id);
        }
        let Ok(text) = as_text(node) else {
            return Ref::Unknown;
        };
        let by_name = match target_type {
            "AWS::S3::Bucket" => self
                .source_names
                .get(&("AWS::S3::Bucket", without_pseudo_colons(&text)))
                .cloned()
                .or_else(|| self.source_by_arn(&text)),
            "AWS::SNS::Topic" => self.source_by_arn(&text),
            _ => None,
        };
        by_name.map_or(Ref::External(text), Ref::Local)
    }

    /// A bucket whose canned ACL lets everyone write. With ACLs disabled
    /// (`ObjectOwnership: BucketOwnerEnforced`) or public ACLs ignored
    /// (`IgnorePublicAcls: true`) S3 does not honour the grant.
    fn bucket_acl(&mut self, x: &Res) {
        let Field::Known(acl, loc) = str_field(x.props.get("AccessControl")) else {
            return;
        };
        if !is_public_write_acl(&acl) {
            return;
        }
        let enforced = seq(x.props.path(&["OwnershipControls", "Rules"]))
            .iter()
            .any(|r| {
                r.get("ObjectOwnership")
                    .and_then(Node::as_str)
                    .is_some_and(|o| o == "BucketOwnerEnforced")
            });
        let ignored = x
            .props
            .path(&["PublicAccessBlockConfiguration", "IgnorePublicAcls"])
            .and_then(Node::as_bool)
            == Some(true);
        if enforced || ignored {
            return;
        }
        let mut acl_policy = ResourcePolicy::public_write_acl(
            x.id.to_string(),
            Ref::Local(x.id.to_string()),
            acl,
            loc,
        );
        acl_policy.ignores = ignores(x.raw);
        self.dep.resource_policies.push(acl_policy);
    }

    fn finish(&mut self) {
        // A function may name its log group in `LoggingConfig.LogGroup`
        // (by `Ref` or by name) instead of the `/aws/lambda/<name>` default.
        let mut by_group: HashMap<&str, &str> = HashMap::default();
        for f in &self.dep.functions {
            if let Some(group) = f.log_group.as_deref() {
                by_group.insert(group, f.id.as_str());
            }
        }
        if !by_group.is_empty() {
            let mut links = Vec::new();
            for (i, lg) in self.dep.log_groups.iter().enumerate() {
                if lg.function.is_some() {
                    continue;
                }
                let by_ref = by_group.get(format!("${{{}}}", lg.id).as_str());
                let by_name = lg.name.as_deref().and_then(|n| by_group.get(n));
                if let Some(fid) = by_ref.or(by_name) {
                    links.push((i, fid.to_string()));
                }
            }
            for (i, fid) in links {
                self.dep.log_groups[i].function = Some(fid);
            }
        }
        // A permission without SourceArn says "some bucket" (or queue,
        // topic...): when the template also names the source of that kind,
        // the permission is for it, not a second source.
        for f in &mut self.dep.functions {
            let named: HashSet<u8> = f
                .triggers
                .iter()
                .filter(|t| t.source != Ref::Unknown)
                .map(|t| t.kind as u8)
                .collect();
            f.triggers
                .retain(|t| t.source != Ref::Unknown || !named.contains(&(t.kind as u8)));
        }
        // Each role's list once without repeats, before it is copied into
        // every function that uses the role.
        for refs in self.role_internal.values_mut() {
            let mut seen = HashSet::default();
            refs.retain(|r| seen.insert(internal_key(&r.what).to_string()));
        }
        for f in &mut self.dep.functions {
            if let Some(Ref::Local(role)) = f.role.value() {
                if let Some(refs) = self.role_internal.get(role) {
                    f.internal_refs.extend(refs.iter().cloned());
                }
            }
            let mut seen = HashSet::default();
            f.internal_refs.retain(|r| seen.insert(r.what.clone()));
        }
    }
}

/// The pseudo-parameter placeholders contain colons: replaced by colon-free
/// stand-ins so that ARNs split on `:`, the same way in names and ARNs.
/// `text.contains(needle)` for an ASCII needle, without the substring
/// searcher's set-up cost on the short strings of templates.
fn contains_ascii(text: &str, needle: &str) -> bool {
    let (hay, needle) = (text.as_bytes(), needle.as_bytes());
    let Some((&first, _)) = needle.split_first() else {
        return true;
    };
    let mut from = 0;
    while let Some(i) = position_of(&hay[from..], first) {
        if hay[from + i..].starts_with(needle) {
            return true;
        }
        from += i + 1;
    }
    false
}

fn without_pseudo_colons(text: &str) -> String {
    text.replace(SELF_ACCOUNT, "self-account")
        .replace(SELF_REGION, "self-region")
}

/// What an internal reference names, without where it was seen
/// (`AWS::RDS::DBInstance Db` of `AWS::RDS::DBInstance Db in policy p1`):
/// for a role, one entry per database is enough, however many of its
/// policies mention it (a function keeps one per variable: each is a place
/// to fix).
fn internal_key(what: &str) -> &str {
    what.split_once(" in ").map_or(what, |(key, _)| key)
}

fn resource_id_of(n: &Node) -> String {
    if let Some((id, _)) = resource_marker(n) {
        return id.to_string();
    }
    n.as_str()
        .and_then(|s| placeholders(s).next().map(|(id, _)| id.to_string()))
        .unwrap_or_default()
}

fn sg_rule(n: &Node) -> SgRule {
    let cidr = match n.get("CidrIp").or(n.get("CidrIpv6")) {
        Some(c) => str_field(Some(c)),
        None => Field::Absent,
    };
    SgRule {
        loc: n.loc,
        cidr,
        protocol: str_field(n.get("IpProtocol")),
        from_port: int_field(n.get("FromPort")),
        to_port: int_field(n.get("ToPort")),
        peer_group: None,
        implicit: false,
    }
}

fn cors(n: &Node) -> Cors {
    let allow_origins = match n.get("AllowOrigins") {
        Some(o) if o.is_unknown() => vec![Field::Unknown(o.loc)],
        other => seq(other).iter().map(|o| str_field(Some(o))).collect(),
    };
    Cors {
        loc: n.loc,
        allow_origins,
        allow_credentials: bool_field(n.get("AllowCredentials")),
    }
}

fn method_is_options(method: &str) -> bool {
    method.eq_ignore_ascii_case("OPTIONS")
}

/// CORS as REST APIs express it: response headers of the preflight
/// (`OPTIONS`) integration, `{prefix}Access-Control-Allow-Origin` /
/// `-Allow-Credentials`, whose values are quoted header literals (`"'*'"`).
/// `None` when neither header is set.
pub(super) fn cors_from_headers(params: &Node, prefix: &str) -> Option<Cors> {
    let header = |name: &str| {
        params.as_map()?.iter().find_map(|e| {
            let key = e.key.get(..prefix.len())?;
            let rest = e.key.get(prefix.len()..)?;
            (key.eq_ignore_ascii_case(prefix) && rest.eq_ignore_ascii_case(name))
                .then_some(&e.value)
        })
    };
    let origin = header("Access-Control-Allow-Origin");
    let credentials = header("Access-Control-Allow-Credentials");
    if origin.is_none() && credentials.is_none() {
        return None;
    }
    let allow_credentials = match credentials {
        None => Field::Absent,
        Some(n) => match as_text(n) {
            Ok(t) => Field::Known(
                t.trim().trim_matches('\'').eq_ignore_ascii_case("true"),
                n.loc,
            ),
            Err(_) => Field::Unknown(n.loc),
        },
    };
    Some(Cors {
        loc: params.loc,
        allow_origins: origin.map(|o| vec![str_field(Some(o))]).unwrap_or_default(),
        allow_credentials,
    })
}

/// Whether a CORS setting lets any origin in with credentials.
fn cors_is_open(c: &Cors) -> bool {
    matches!(c.allow_credentials, Field::Known(true, _))
        && c.allow_origins.iter().any(|o| {
            o.as_deref()
                .is_some_and(|v| v.trim().trim_matches('\'') == "*")
        })
}

/// Several preflight methods of one API may answer differently; the API
/// keeps the most permissive answer, never a mix of two (which could pair
/// one method's `*` with another's credentials).
pub(super) fn keep_most_open_cors(slot: &mut Option<Cors>, new: Cors) {
    let replace = match slot {
        None => true,
        Some(old) => !cors_is_open(old) && cors_is_open(&new),
    };
    if replace {
        *slot = Some(new);
    }
}

/// A function's `Code` or a layer's `Content` as a code location string
/// (see `CodeLocation`): a local path (`aws cloudformation package` and SAM
/// `CodeUri`/`ContentUri`), `s3://bucket/key`, an image URI or inline code.
fn code_field(n: Option<&Node>) -> Field<String> {
    let Some(n) = n else {
        return Field::Absent;
    };
    if n.as_map().is_none() {
        return str_field(Some(n));
    }
    if let Some(image) = n.get("ImageUri") {
        return str_field(Some(image));
    }
    if let Some(zip) = n.get("ZipFile") {
        return Field::Known(INLINE_CODE.into(), zip.loc);
    }
    match (n.get("S3Bucket").map(as_text), n.get("S3Key")) {
        (Some(Ok(bucket)), Some(key)) => match as_text(key) {
            Ok(k) => Field::Known(format!("s3://{bucket}/{k}"), key.loc),
            Err(_) => Field::Unknown(key.loc),
        },
        (_, Some(key)) => str_field(Some(key)).map(|k| format!("s3://?/{k}")),
        _ => Field::Unknown(n.loc),
    }
}

pub(super) fn auth_kind(t: &str) -> AuthKind {
    match t.to_ascii_uppercase().as_str() {
        "NONE" => AuthKind::None,
        "AWS_IAM" => AuthKind::Iam,
        "CUSTOM" => AuthKind::Lambda,
        "COGNITO_USER_POOLS" => AuthKind::Cognito,
        "JWT" => AuthKind::Jwt,
        _ => AuthKind::Other(t.to_string()),
    }
}

/// A `${Name}` left in a resolved string (pseudo parameters aside): the
/// value depends on another resource.
fn has_placeholder(text: &str) -> bool {
    placeholders(text).next().is_some()
}

/// Whether `text` has letters or digits outside its `${...}` placeholders.
fn literal_text_besides_placeholders(text: &str) -> bool {
    let mut rest = text;
    loop {
        let (before, after) = match find_open(rest) {
            Some(i) => (&rest[..i], Some(&rest[i + 2..])),
            None => (rest, None),
        };
        if before.chars().any(char::is_alphanumeric) {
            return true;
        }
        match after.and_then(|a| a.find('}').map(|end| &a[end + 1..])) {
            Some(next) => rest = next,
            None => return false,
        }
    }
}

/// What kind of secret-store reference a string is, if it is one.
fn secret_reference(text: &str) -> Option<&'static str> {
    let t = text.trim();
    if t.contains("{{resolve:secretsmanager:") {
        Some("{{resolve:secretsmanager}}")
    } else if t.contains("{{resolve:ssm-secure:") {
        Some("{{resolve:ssm-secure}}")
    } else if t.contains("{{resolve:ssm:") {
        Some("{{resolve:ssm}}")
    } else if t.starts_with("arn:") && t.split(':').nth(2) == Some("secretsmanager") {
        Some("Secrets Manager ARN")
    } else if t.starts_with("arn:") && t.split(':').nth(2) == Some("ssm") {
        Some("SSM parameter ARN")
    } else {
        None
    }
}

fn is_implicit(raw: &Node) -> bool {
    raw.path(&["Metadata", "fnguard", "implicit"])
        .and_then(Node::as_bool)
        .unwrap_or(false)
}

/// `Metadata.fnguard.ignore`: `[{id, reason}]` or `[id, ...]`.
fn ignores(raw: &Node) -> Vec<Ignore> {
    let Some(list) = raw.path(&["Metadata", "fnguard", "ignore"]) else {
        return Vec::new();
    };
    list.one_or_many()
        .into_iter()
        .filter_map(|item| match item.as_str() {
            Some(id) => Some(Ignore {
                rule_id: id.to_string(),
                reason: None,
                loc: item.loc,
            }),
            None => Some(Ignore {
                rule_id: item.get("id").or(item.get("Id"))?.as_str()?.to_string(),
                reason: item
                    .get("reason")
                    .or(item.get("Reason"))
                    .and_then(Node::as_str)
                    .map(str::to_string),
                loc: item.loc,
            }),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `internal_refs` as it was written before its single recursive walk:
    /// two stack walks, named resources collected then filtered.
    fn internal_refs_by_stacks(b: &Builder, node: &Node, context: &str) -> Vec<InternalRef> {
        let mut named = Vec::new();
        b.named_resources(node, &mut named);
        let mut out: Vec<InternalRef> = named
            .into_iter()
            .filter(|(_, ty, _)| is_internal_type(ty))
            .map(|(id, ty, loc)| InternalRef {
                what: format!("{ty} {id} in {context}"),
                loc,
                element: Some(id),
            })
            .collect();
        if !b.untyped.is_empty() {
            out.extend(b.untyped_data_stores(node, &context));
        }
        let mut todo = vec![node];
        while let Some(n) = todo.pop() {
            match &n.kind {
                NodeKind::Str(s) if s.len() > 18 && s.contains(".amazonaws.com") => {
                    let lower = s.to_ascii_lowercase();
                    for suffix in [".rds.amazonaws.com", ".cache.amazonaws.com"] {
                        if lower.contains(suffix) {
                            out.push(InternalRef {
                                what: format!("{} host in {context}", &suffix[1..]),
                                loc: n.loc,
                                element: None,
                            });
                        }
                    }
                }
                NodeKind::Seq(items) => todo.extend(items.iter()),
                NodeKind::Map(entries) => todo.extend(entries.iter().map(|e| &e.value)),
                _ => {}
            }
        }
        out
    }

    #[test]
    fn internal_refs_match_the_two_walks() {
        let root = crate::yaml::parse(
            "Resources:
  Db: {Type: AWS::RDS::DBInstance}
  Cache: {Type: AWS::ElastiCache::CacheCluster}
  Queue: {Type: AWS::SQS::Queue}
  Legacy: {Type: AWS::DocDB::DBCluster}
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      A: !GetAtt Db.Endpoint.Address
      B: !Sub 'postgres://${Db.Endpoint.Address}:${Cache.RedisEndpoint.Port}/${Queue}'
      C: [!Ref Queue, x.cache.amazonaws.com, {D: [!Ref Legacy, !Ref Db]}, 'db.abc.eu-west-1.RDS.amazonaws.com']
      E: {F: !GetAtt Other.Endpoint.Address, G: 'h-${Other.RedisEndpoint.Port}.cache.amazonaws.com'}
      H: short.amazonaws.com
      I: 'no host here, just a long sentence'
",
            0,
            "t.yaml",
        )
        .expect("parses");
        let props = root
            .path(&["Resources", "Fn", "Properties"])
            .expect("props");
        for untyped in [false, true] {
            let mut b = Builder::new(&root, Deployment::new(SourceFormat::CloudFormation, vec![]));
            if untyped {
                b.untyped.insert("Other".to_string(), Loc::default());
            }
            let resolved = b.r.value(props);
            let mut values: Vec<&Node> = vec![&resolved];
            values.extend(resolved.as_map().unwrap_or(&[]).iter().map(|e| &e.value));
            for value in values {
                assert_eq!(
                    b.internal_refs(value, &"ctx"),
                    internal_refs_by_stacks(&b, value, "ctx"),
                    "{value:?}"
                );
            }
            assert!(b.internal_refs(&resolved, &"ctx").len() >= 6);
        }
    }

    #[test]
    fn contains_ascii_matches_str_contains() {
        for (text, needle) in [
            ("", ".amazonaws.com"),
            ("x.amazonaws.com", ".amazonaws.com"),
            ("..amazonaws.co", ".amazonaws.com"),
            ("é.amazonaws.comé", ".amazonaws.com"),
            ("abc", ""),
            ("a.b.c.amazonaws.com.cn", ".amazonaws.com"),
        ] {
            assert_eq!(
                contains_ascii(text, needle),
                text.contains(needle),
                "{text:?}"
            );
        }
    }
}
