//! The AWS SAM transform: a SAM template tree becomes a plain CloudFormation
//! template tree that the CloudFormation loader reads, as AWS's own
//! translator (aws-sam-translator) would deploy it.
//!
//! Differences from AWS's translator, all deliberate:
//! * API routes become explicit `AWS::ApiGateway::Method` /
//!   `AWS::ApiGatewayV2::Route` resources instead of an OpenAPI body, because
//!   the loader reads resources, not OpenAPI documents.
//! * Intrinsic functions are carried over untouched (also still as YAML tags):
//!   the loader resolves them afterwards with the template's own parameters.
//! * A malformed SAM resource is translated as far as it makes sense instead
//!   of failing the whole template: a scanner must still report on the rest.
//! * Every generated resource carries `Metadata.fnguard.implicit: true` plus
//!   the SAM resource's own `Metadata` (so its `fnguard.ignore` list applies),
//!   and the source location of the SAM element it comes from, so findings
//!   point at what the user wrote.
//!
//! `scripts/sam-oracle.py` runs AWS's translator offline on a template; the
//! integration tests (`tests/sam.rs`) hold its output for the fixtures and
//! check that roles, route authorization and permissions agree.

mod apis;
mod body;
mod events;
mod policies;

use crate::LoadError;
use fnguard_core::doc::MapEntry;
use fnguard_core::fast_hash::{HashMap, HashSet};
use fnguard_core::{Loc, Node, NodeKind};
use std::borrow::Cow;

/// The `Transform` value that marks a SAM template.
pub const SAM_TRANSFORM: &str = "AWS::Serverless-2016-10-31";

/// Logical ids SAM gives the APIs it creates from function events.
pub const IMPLICIT_REST_API: &str = "ServerlessRestApi";
pub const IMPLICIT_HTTP_API: &str = "ServerlessHttpApi";

/// Whether a parsed template declares the SAM transform.
pub fn is_sam(root: &Node) -> bool {
    root.get("Transform").is_some_and(|t| {
        t.one_or_many()
            .iter()
            .any(|v| v.as_str() == Some(SAM_TRANSFORM))
    })
}

/// Translate a SAM template into a CloudFormation template for
/// `cfn::load_from_root`. Only a root that is not a map is an error (its
/// `LoadError::path` is `"template"`: the caller knows the file and should
/// replace it); anything else yields a best-effort template. The SAM entry
/// is removed from `Transform`, so transforming the result again is a no-op.
pub fn transform(root: &Node) -> Result<Node, LoadError> {
    transform_owned(root.clone())
}

/// `transform` consuming the template: what SAM keeps as written (other
/// sections, non-SAM resources, properties) moves into the result.
pub fn transform_owned(root: Node) -> Result<Node, LoadError> {
    let NodeKind::Map(top) = root.kind else {
        return Err(LoadError::new(
            "template",
            root.loc.line,
            root.loc.col,
            "a SAM template must be a map with `Resources`",
        ));
    };
    // Only the first `Globals` counts (as `Node::get` reads it); every one is
    // dropped from the output.
    let mut globals_section = None;
    let mut rest = Vec::with_capacity(top.len());
    for entry in top {
        if entry.key == "Globals" {
            if globals_section.is_none() {
                globals_section = Some(entry.value);
            }
        } else {
            rest.push(entry);
        }
    }
    let globals = Globals::read(globals_section.as_ref());
    let mut out_top = Vec::with_capacity(rest.len());
    for mut entry in rest {
        match entry.key.as_str() {
            "Transform" => {
                if let Some(value) = without_sam_transform(entry.value) {
                    entry.value = value;
                    out_top.push(entry);
                }
            }
            "Resources" if entry.value.as_map().is_some() => {
                let loc = entry.value.loc;
                let NodeKind::Map(resources) = entry.value.kind else {
                    unreachable!("checked to be a map above")
                };
                let resources = transform_resources(resources, loc, &globals);
                entry.value = Node::new(NodeKind::Map(resources), loc);
                out_top.push(entry);
            }
            _ => out_top.push(entry),
        }
    }
    Ok(Node::new(NodeKind::Map(out_top), root.loc))
}

/// `Transform` without the SAM entry (so the result is not transformed
/// twice); `None` when nothing else remains.
fn without_sam_transform(mut value: Node) -> Option<Node> {
    match &mut value.kind {
        NodeKind::Str(s) if s == SAM_TRANSFORM => None,
        NodeKind::Seq(items) => {
            items.retain(|v| v.as_str() != Some(SAM_TRANSFORM));
            (!items.is_empty()).then_some(value)
        }
        _ => Some(value),
    }
}

/// The `Globals` section, by resource kind.
#[derive(Default)]
struct Globals<'a> {
    function: Option<&'a Node>,
    api: Option<&'a Node>,
    http_api: Option<&'a Node>,
    simple_table: Option<&'a Node>,
    layer_version: Option<&'a Node>,
}

impl<'a> Globals<'a> {
    fn read(section: Option<&'a Node>) -> Self {
        let Some(section) = section else {
            return Globals::default();
        };
        let pick = |key: &str| section.get(key).filter(|n| n.as_map().is_some());
        Globals {
            function: pick("Function"),
            api: pick("Api"),
            http_api: pick("HttpApi"),
            simple_table: pick("SimpleTable"),
            layer_version: pick("LayerVersion"),
        }
    }

    fn for_type(&self, resource_type: &str) -> Option<&'a Node> {
        match resource_type {
            "AWS::Serverless::Function" => self.function,
            "AWS::Serverless::Api" => self.api,
            "AWS::Serverless::HttpApi" => self.http_api,
            "AWS::Serverless::SimpleTable" => self.simple_table,
            "AWS::Serverless::LayerVersion" => self.layer_version,
            _ => None,
        }
    }
}

/// SAM's Globals rules: the resource's scalars win, maps merge key by key
/// (recursively), lists concatenate with the global items first. An
/// intrinsic function on either side is opaque: the resource's value wins.
pub fn merge_globals(global: &Node, local: &Node) -> Node {
    merge_globals_owned(global.clone(), local.clone())
}

/// `merge_globals` moving both sides' values into the result.
fn merge_globals_owned(global: Node, local: Node) -> Node {
    if is_intrinsic(&global) || is_intrinsic(&local) {
        return local;
    }
    let loc = local.loc;
    match (global.kind, local.kind) {
        (NodeKind::Map(mut merged), NodeKind::Map(l)) => {
            for entry in l {
                match merged.iter_mut().find(|m| m.key == entry.key) {
                    Some(existing) => {
                        let global_value =
                            std::mem::replace(&mut existing.value, Node::new(NodeKind::Null, loc));
                        existing.value = merge_globals_owned(global_value, entry.value);
                        existing.key_loc = entry.key_loc;
                    }
                    None => merged.push(entry),
                }
            }
            Node::new(NodeKind::Map(merged), loc)
        }
        (NodeKind::Seq(mut items), NodeKind::Seq(l)) => {
            items.extend(l);
            Node::new(NodeKind::Seq(items), loc)
        }
        (_, kind) => Node::new(kind, loc),
    }
}

/// A resource's `Properties` (taken out of it) with the Globals of its type
/// applied.
fn merged_properties(resource: &mut Node, global: Option<&Node>) -> Node {
    let loc = resource.loc;
    let props = match &mut resource.kind {
        NodeKind::Map(entries) => entries
            .iter_mut()
            .find(|e| e.key == "Properties")
            .filter(|e| e.value.as_map().is_some())
            .map(|e| std::mem::replace(&mut e.value, Node::new(NodeKind::Null, loc))),
        _ => None,
    };
    match (global, props) {
        (Some(g), Some(p)) => merge_globals_owned(g.clone(), p),
        (Some(g), None) => g.clone(),
        (None, Some(p)) => p,
        (None, None) => Node::new(NodeKind::Map(Vec::new()), loc),
    }
}

/// One SAM resource about to be translated.
pub(crate) struct Source<'a> {
    pub id: &'a str,
    /// Location of the logical-id key.
    pub key_loc: Loc,
    pub resource: &'a Node,
    pub props: Cow<'a, Node>,
}

impl Source<'_> {
    pub fn prop(&self, key: &str) -> Option<&Node> {
        self.props.get(key).filter(|v| !v.is_null())
    }

    /// `prop` for a value the translation reads for the last time: moved
    /// out of owned properties (it reads as absent afterwards), copied from
    /// borrowed ones.
    pub fn take_prop(&mut self, key: &str) -> Option<Node> {
        let Cow::Owned(props) = &mut self.props else {
            return self.prop(key).cloned();
        };
        let NodeKind::Map(entries) = &mut props.kind else {
            return None;
        };
        let entry = entries.iter_mut().find(|e| e.key == key)?;
        if entry.value.is_null() {
            return None;
        }
        let loc = entry.value.loc;
        Some(std::mem::replace(
            &mut entry.value,
            Node::new(NodeKind::Null, loc),
        ))
    }
}

/// Output resources under construction plus what translation of one
/// resource needs to know about the others.
pub(crate) struct Ctx {
    pub out: Vec<MapEntry>,
    /// Position of each output resource, for resources patched later (S3
    /// bucket notifications).
    index: HashMap<String, usize>,
    /// Logical ids taken, in the input or generated.
    taken: HashSet<String>,
    /// Input resource types by logical id.
    pub types: HashMap<String, String>,
    pub rest_apis: HashMap<String, apis::RestApiAuth>,
    pub http_apis: HashMap<String, apis::HttpApiAuth>,
    /// Where the first event that needs each implicit API was written.
    pub implicit_rest: Option<Loc>,
    pub implicit_http: Option<Loc>,
    /// `AWS::ApiGateway::Resource` ids by (API, path prefix).
    pub rest_paths: HashMap<(String, String), String>,
    /// Paths with methods, per REST API, in first-seen order (CORS preflight).
    pub rest_routes: Vec<apis::RestRoute>,
    /// Index into `rest_routes` by (API, path).
    pub rest_route_index: HashMap<(String, String), usize>,
    /// Bucket id -> Lambda notification configurations to add.
    pub bucket_notifications: Vec<(String, Node, String)>,
    /// API stages sharing one usage plan (`CreateUsagePlan: SHARED`).
    pub shared_usage_plan: Vec<Node>,
    pub shared_usage_plan_id: Option<String>,
    /// Events SAM merges into their API's inline `DefinitionBody`.
    pub body_merges: Vec<body::Merge>,
}

impl Ctx {
    /// Reserve a logical id, adding a numeric suffix when the wanted one is
    /// taken (AWS would refuse the template; we keep both).
    pub fn fresh_id(&mut self, wanted: &str) -> String {
        let base = sanitize_id(wanted);
        if !self.taken.contains(&base) {
            self.taken.insert(base.clone());
            return base;
        }
        let mut n = 2;
        loop {
            let id = format!("{base}{n}");
            if !self.taken.contains(&id) {
                self.taken.insert(id.clone());
                return id;
            }
            n += 1;
        }
    }

    pub fn push(&mut self, id: String, key_loc: Loc, resource: Node) {
        self.index.insert(id.clone(), self.out.len());
        // Input ids and `fresh_id`'s are taken already: no copy for them.
        if !self.taken.contains(&id) {
            self.taken.insert(id.clone());
        }
        self.out.push(MapEntry {
            key: id,
            key_loc,
            value: resource,
        });
    }

    /// Reserve `wanted` and add the resource; returns the id used.
    pub fn add(&mut self, wanted: &str, key_loc: Loc, resource: Node) -> String {
        let id = self.fresh_id(wanted);
        self.push(id.clone(), key_loc, resource);
        id
    }

    pub fn type_of(&self, id: &str) -> Option<&str> {
        self.types.get(id).map(String::as_str)
    }
}

fn transform_resources(entries: Vec<MapEntry>, loc: Loc, globals: &Globals) -> Vec<MapEntry> {
    // About three output resources per input one (a function, its role,
    // an event's resources): sized once instead of rehashed as they come.
    let expected = entries.len() * 3;
    let mut taken = HashSet::with_capacity_and_hasher(expected, Default::default());
    taken.extend(entries.iter().map(|e| e.key.clone()));
    let mut ctx = Ctx {
        out: Vec::with_capacity(expected),
        index: HashMap::with_capacity_and_hasher(expected, Default::default()),
        taken,
        types: HashMap::with_capacity_and_hasher(entries.len(), Default::default()),
        rest_apis: HashMap::default(),
        http_apis: HashMap::default(),
        implicit_rest: None,
        implicit_http: None,
        rest_paths: HashMap::default(),
        rest_routes: Vec::new(),
        rest_route_index: HashMap::default(),
        bucket_notifications: Vec::new(),
        shared_usage_plan: Vec::new(),
        shared_usage_plan_id: None,
        body_merges: Vec::new(),
    };

    // SAM resources move (without `Properties`, which become `props`) into
    // `sam`; the others wait in `slots` to move into the output in place.
    let mut slots: Vec<Result<MapEntry, usize>> = Vec::with_capacity(entries.len());
    let mut sam: Vec<(MapEntry, Node)> = Vec::new();
    for mut entry in entries {
        let rtype = entry.value.get("Type").and_then(Node::as_str);
        if let Some(rtype) = rtype {
            ctx.types.insert(entry.key.clone(), rtype.to_string());
        }
        let rtype = rtype.unwrap_or("");
        if !TRANSLATED_TYPES.contains(&rtype) || entry.value.as_map().is_none() {
            slots.push(Ok(entry));
            continue;
        }
        let global = globals.for_type(rtype);
        let props = merged_properties(&mut entry.value, global);
        slots.push(Err(sam.len()));
        sam.push((entry, props));
    }

    // Routes are attached to APIs while functions are translated, so every
    // API's Auth must be known first, whatever the resource order. The
    // sources own their merged properties: translation moves what it
    // passes through instead of copying it.
    let (sam_entries, sam_props): (Vec<MapEntry>, Vec<Node>) = sam.into_iter().unzip();
    let mut sources: Vec<Source> = sam_entries
        .iter()
        .zip(sam_props)
        .map(|(entry, props)| Source {
            id: &entry.key,
            key_loc: entry.key_loc,
            resource: &entry.value,
            props: Cow::Owned(props),
        })
        .collect();
    for source in &sources {
        match resource_type(source.resource) {
            "AWS::Serverless::Api" => {
                let auth = apis::RestApiAuth::read(&source.props, source.id);
                ctx.rest_apis.insert(source.id.to_string(), auth);
            }
            "AWS::Serverless::HttpApi" => {
                let auth = apis::HttpApiAuth::read(&source.props, source.id);
                ctx.http_apis.insert(source.id.to_string(), auth);
            }
            _ => {}
        }
    }
    let implicit_rest_props = implicit_api_props(globals.api, loc);
    let implicit_http_props = implicit_api_props(globals.http_api, loc);
    if !ctx.rest_apis.contains_key(IMPLICIT_REST_API) {
        let auth = apis::RestApiAuth::read(&implicit_rest_props, IMPLICIT_REST_API);
        ctx.rest_apis.insert(IMPLICIT_REST_API.to_string(), auth);
    }
    if !ctx.http_apis.contains_key(IMPLICIT_HTTP_API) {
        let auth = apis::HttpApiAuth::read(&implicit_http_props, IMPLICIT_HTTP_API);
        ctx.http_apis.insert(IMPLICIT_HTTP_API.to_string(), auth);
    }

    for slot in slots {
        let source = match slot {
            Ok(entry) => {
                ctx.push(entry.key, entry.key_loc, entry.value);
                continue;
            }
            Err(index) => &mut sources[index],
        };
        match resource_type(source.resource) {
            "AWS::Serverless::Function" => events::function(&mut ctx, source),
            "AWS::Serverless::Api" => apis::rest_api(&mut ctx, source, false),
            "AWS::Serverless::HttpApi" => apis::http_api(&mut ctx, source, false),
            "AWS::Serverless::LayerVersion" => layer_version(&mut ctx, source),
            "AWS::Serverless::SimpleTable" => simple_table(&mut ctx, source),
            _ => unreachable!("only translated types have a source"),
        }
    }

    // A template may declare the implicit API itself (SAM then uses that
    // declaration); never emit a second resource under the same id.
    if let Some(loc) = ctx
        .implicit_rest
        .filter(|_| !ctx.types.contains_key(IMPLICIT_REST_API))
    {
        let resource = implicit_resource("AWS::Serverless::Api", &implicit_rest_props, loc);
        let source = Source {
            id: IMPLICIT_REST_API,
            key_loc: loc,
            resource: &resource,
            props: Cow::Borrowed(&implicit_rest_props),
        };
        ctx.taken.insert(IMPLICIT_REST_API.to_string());
        apis::rest_api(&mut ctx, &source, true);
    }
    if let Some(loc) = ctx
        .implicit_http
        .filter(|_| !ctx.types.contains_key(IMPLICIT_HTTP_API))
    {
        let resource = implicit_resource("AWS::Serverless::HttpApi", &implicit_http_props, loc);
        let source = Source {
            id: IMPLICIT_HTTP_API,
            key_loc: loc,
            resource: &resource,
            props: Cow::Borrowed(&implicit_http_props),
        };
        ctx.taken.insert(IMPLICIT_HTTP_API.to_string());
        apis::http_api(&mut ctx, &source, true);
    }
    body::finish(&mut ctx);
    apis::finish_rest(&mut ctx);
    events::attach_bucket_notifications(&mut ctx);
    ctx.out
}

/// The SAM types translated; other `AWS::Serverless::*` resources are kept
/// as written: the loader ignores types it does not model. StateMachine and
/// GraphQLApi roles are not function execution roles; Application is a
/// nested stack we cannot read offline; Connector only adds policies between
/// resources SAM knows.
const TRANSLATED_TYPES: [&str; 5] = [
    "AWS::Serverless::Function",
    "AWS::Serverless::Api",
    "AWS::Serverless::HttpApi",
    "AWS::Serverless::LayerVersion",
    "AWS::Serverless::SimpleTable",
];

fn resource_type(resource: &Node) -> &str {
    resource.get("Type").and_then(Node::as_str).unwrap_or("")
}

/// SAM applies `Globals.Api` / `Globals.HttpApi` to the APIs it creates.
fn implicit_api_props(global: Option<&Node>, loc: Loc) -> Node {
    global
        .cloned()
        .unwrap_or_else(|| Node::new(NodeKind::Map(Vec::new()), loc))
}

fn implicit_resource(rtype: &str, props: &Node, loc: Loc) -> Node {
    map(
        loc,
        [
            ("Type", Node::str(rtype, loc)),
            ("Properties", props.clone()),
        ],
    )
}

fn layer_version(ctx: &mut Ctx, src: &Source) {
    let mut props = Vec::new();
    let content = match src.prop("ContentUri") {
        Some(content) => s3_location(content, "S3Bucket", "S3Key", "S3ObjectVersion"),
        // `sam deploy` packages the template's folder when it is not set.
        None => Node::str(".", src.props.loc),
    };
    props.push(("Content", content));
    for key in [
        "LayerName",
        "Description",
        "CompatibleRuntimes",
        "CompatibleArchitectures",
        "LicenseInfo",
    ] {
        if let Some(v) = src.prop(key) {
            props.push((key, v.clone()));
        }
    }
    let mut resource = translated(src, "AWS::Lambda::LayerVersion", map(src.props.loc, props));
    // SAM turns RetentionPolicy into the CloudFormation DeletionPolicy.
    if let Some(policy) = src.prop("RetentionPolicy") {
        set_key(&mut resource, "DeletionPolicy", policy.clone());
    }
    ctx.push(src.id.to_string(), src.key_loc, resource);
}

fn simple_table(ctx: &mut Ctx, src: &Source) {
    let loc = src.props.loc;
    let key = src.prop("PrimaryKey");
    let key_name = key
        .and_then(|k| k.get("Name"))
        .cloned()
        .unwrap_or_else(|| Node::str("id", loc));
    let key_type = match key.and_then(|k| k.get("Type")).and_then(Node::as_str) {
        Some("Number") => "N",
        Some("Binary") => "B",
        _ => "S",
    };
    let mut props = vec![
        (
            "AttributeDefinitions",
            seq(
                loc,
                vec![map(
                    loc,
                    [
                        ("AttributeName", key_name.clone()),
                        ("AttributeType", Node::str(key_type, loc)),
                    ],
                )],
            ),
        ),
        (
            "KeySchema",
            seq(
                loc,
                vec![map(
                    loc,
                    [
                        ("AttributeName", key_name),
                        ("KeyType", Node::str("HASH", loc)),
                    ],
                )],
            ),
        ),
    ];
    match src.prop("ProvisionedThroughput") {
        Some(pt) => props.push(("ProvisionedThroughput", pt.clone())),
        None => props.push(("BillingMode", Node::str("PAY_PER_REQUEST", loc))),
    }
    for key in [
        "TableName",
        "SSESpecification",
        "PointInTimeRecoverySpecification",
    ] {
        if let Some(v) = src.prop(key) {
            props.push((key, v.clone()));
        }
    }
    if let Some(tags) = src.prop("Tags") {
        props.push(("Tags", tag_list(tags, &[])));
    }
    let resource = translated(src, "AWS::DynamoDB::Table", map(loc, props));
    ctx.push(src.id.to_string(), src.key_loc, resource);
}

// ---------------------------------------------------------------------------
// Building output nodes.

/// A map node with the keys in the given order; takes arrays as well as
/// vectors, so that fixed shapes need no list of their own.
pub(crate) fn map<'k>(loc: Loc, entries: impl IntoIterator<Item = (&'k str, Node)>) -> Node {
    Node::new(
        NodeKind::Map(
            entries
                .into_iter()
                .map(|(k, v)| MapEntry {
                    key: k.to_string(),
                    key_loc: loc,
                    value: v,
                })
                .collect(),
        ),
        loc,
    )
}

pub(crate) fn seq(loc: Loc, items: Vec<Node>) -> Node {
    Node::new(NodeKind::Seq(items), loc)
}

pub(crate) fn boolean(value: bool, loc: Loc) -> Node {
    Node::new(NodeKind::Bool(value), loc)
}

pub(crate) fn ref_to(id: &str, loc: Loc) -> Node {
    map(loc, [("Ref", Node::str(id, loc))])
}

pub(crate) fn get_att(id: &str, attribute: &str, loc: Loc) -> Node {
    map(
        loc,
        [(
            "Fn::GetAtt",
            seq(loc, vec![Node::str(id, loc), Node::str(attribute, loc)]),
        )],
    )
}

pub(crate) fn sub(text: &str, loc: Loc) -> Node {
    map(loc, [("Fn::Sub", Node::str(text, loc))])
}

pub(crate) fn sub_with(text: &str, vars: Vec<(&str, Node)>, loc: Loc) -> Node {
    map(
        loc,
        [(
            "Fn::Sub",
            seq(loc, vec![Node::str(text, loc), map(loc, vars)]),
        )],
    )
}

/// Set (or replace) a key of a map node.
pub(crate) fn set_key(node: &mut Node, key: &str, value: Node) {
    let loc = node.loc;
    if let NodeKind::Map(entries) = &mut node.kind {
        match entries.iter_mut().find(|e| e.key == key) {
            Some(e) => e.value = value,
            None => entries.push(MapEntry {
                key: key.to_string(),
                key_loc: loc,
                value,
            }),
        }
    }
}

/// The direct translation of a SAM resource: same logical id, its resource
/// attributes and Metadata kept as written.
pub(crate) fn translated(src: &Source, rtype: &str, props: Node) -> Node {
    let loc = src.resource.loc;
    let mut entries = vec![("Type", Node::str(rtype, loc)), ("Properties", props)];
    for key in [
        "Metadata",
        "Condition",
        "DependsOn",
        "DeletionPolicy",
        "UpdateReplacePolicy",
    ] {
        if let Some(v) = src.resource.get(key) {
            entries.push((key, v.clone()));
        }
    }
    map(loc, entries)
}

/// A resource generated from a SAM element: flagged implicit, with the SAM
/// resource's Metadata (its ignores apply) and Condition.
pub(crate) fn generated(src: &Source, rtype: &str, props: Node, loc: Loc) -> Node {
    let mut entries = vec![
        ("Type", Node::str(rtype, loc)),
        ("Properties", props),
        (
            "Metadata",
            implicit_metadata(src.resource.get("Metadata"), loc),
        ),
    ];
    if let Some(cond) = src.resource.get("Condition") {
        entries.push(("Condition", cond.clone()));
    }
    map(loc, entries)
}

/// `Metadata` of a generated resource: the source's, with
/// `fnguard.implicit: true` added.
pub(crate) fn implicit_metadata(source: Option<&Node>, loc: Loc) -> Node {
    let flag = MapEntry {
        key: "implicit".to_string(),
        key_loc: loc,
        value: boolean(true, loc),
    };
    let mut metadata = source
        .filter(|m| m.as_map().is_some())
        .cloned()
        .unwrap_or_else(|| Node::new(NodeKind::Map(Vec::new()), loc));
    if let NodeKind::Map(entries) = &mut metadata.kind {
        match entries.iter_mut().find(|e| e.key == "fnguard") {
            Some(e) => match &mut e.value.kind {
                NodeKind::Map(inner) => {
                    inner.retain(|i| i.key != "implicit");
                    inner.push(flag);
                }
                _ => {
                    e.value = Node::new(NodeKind::Map(vec![flag]), loc);
                }
            },
            None => entries.push(MapEntry {
                key: "fnguard".to_string(),
                key_loc: loc,
                value: Node::new(NodeKind::Map(vec![flag]), loc),
            }),
        }
    }
    metadata
}

/// SAM `Tags` (a map) as a CloudFormation tag list.
pub(crate) fn tag_list(tags: &Node, extra: &[(&str, &str)]) -> Node {
    let loc = tags.loc;
    let mut items: Vec<Node> = extra
        .iter()
        .map(|(k, v)| {
            map(
                loc,
                [("Key", Node::str(*k, loc)), ("Value", Node::str(*v, loc))],
            )
        })
        .collect();
    match &tags.kind {
        NodeKind::Map(entries) if !is_intrinsic(tags) => {
            for e in entries {
                items.push(map(
                    e.key_loc,
                    [
                        ("Key", Node::str(&e.key, e.key_loc)),
                        ("Value", e.value.clone()),
                    ],
                ));
            }
        }
        NodeKind::Seq(list) => items.extend(list.iter().cloned()),
        _ => {}
    }
    seq(loc, items)
}

/// `s3://bucket/key?versionId=v`, `{Bucket, Key, Version}` or a local path
/// (what `sam package` would upload; kept as the string, a form
/// `aws cloudformation package` also accepts) as a code location.
pub(crate) fn s3_location(value: &Node, bucket: &str, key: &str, version: &str) -> Node {
    let loc = value.loc;
    if let Some(text) = value.as_str() {
        if let Some(rest) = text.strip_prefix("s3://") {
            let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
            let (b, k) = path.split_once('/').unwrap_or((path, ""));
            let mut entries = vec![(bucket, Node::str(b, loc)), (key, Node::str(k, loc))];
            if let Some(v) = query.strip_prefix("versionId=") {
                entries.push((version, Node::str(v, loc)));
            }
            return map(loc, entries);
        }
        return value.clone();
    }
    if value.as_map().is_some() && !is_intrinsic(value) {
        let mut entries = Vec::new();
        for (from, to) in [("Bucket", bucket), ("Key", key), ("Version", version)] {
            if let Some(v) = value.get(from) {
                entries.push((to, v.clone()));
            }
        }
        return map(loc, entries);
    }
    value.clone()
}

// ---------------------------------------------------------------------------
// Reading input nodes.

/// An intrinsic function, in long form (`{Ref: x}`, `{"Fn::Sub": ...}`) or as
/// a YAML tag.
pub(crate) fn is_intrinsic(node: &Node) -> bool {
    match &node.kind {
        NodeKind::Tagged(..) | NodeKind::Unknown(_) => true,
        NodeKind::Map(entries) => {
            entries.len() == 1
                && (entries[0].key == "Ref"
                    || entries[0].key == "Condition"
                    || entries[0].key.starts_with("Fn::"))
        }
        _ => false,
    }
}

/// The target of `!Ref x` / `{Ref: x}`.
pub(crate) fn ref_target(node: &Node) -> Option<&str> {
    match &node.kind {
        NodeKind::Tagged(tag, inner) if tag == "Ref" => inner.as_str(),
        NodeKind::Map(entries) if entries.len() == 1 && entries[0].key == "Ref" => {
            entries[0].value.as_str()
        }
        _ => None,
    }
}

/// Logical ids are alphanumeric. By bytes: no byte of a non-ASCII
/// character is ASCII alphanumeric, so this keeps what a filter over the
/// characters keeps.
pub(crate) fn sanitize_id(text: &str) -> String {
    text.bytes()
        .filter(u8::is_ascii_alphanumeric)
        .map(char::from)
        .collect()
}

#[cfg(test)]
mod tests;
