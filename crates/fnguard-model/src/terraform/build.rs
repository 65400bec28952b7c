//! Evaluated Terraform resources (from HCL or a plan) into the normalized
//! model.

use super::value::{json_text_to_v, render_refs, Val, V};
use super::Res;
use crate::model::*;
use fnguard_core::fast_hash::{HashMap, HashSet};
use fnguard_core::{Field, Loc};
use fnguard_iam::parse_policy;

pub(super) mod network;

/// Resource types whose presence in a function's configuration means it
/// reaches an internal (VPC-only) data store.
const INTERNAL_TYPES: &[(&str, &str)] = &[
    ("aws_db_instance", "RDS instance"),
    ("aws_rds_cluster", "RDS cluster"),
    ("aws_rds_cluster_instance", "RDS cluster instance"),
    ("aws_db_proxy", "RDS proxy"),
    ("aws_elasticache_", "ElastiCache"),
    ("aws_redshift_cluster", "Redshift cluster"),
    ("aws_docdb_cluster", "DocumentDB cluster"),
    ("aws_neptune_cluster", "Neptune cluster"),
    ("aws_memorydb_cluster", "MemoryDB cluster"),
    ("aws_opensearch_domain", "OpenSearch domain"),
    ("aws_elasticsearch_domain", "Elasticsearch domain"),
];

const SECRET_TYPES: &[&str] = &[
    "aws_secretsmanager_secret",
    "aws_secretsmanager_secret_version",
    "aws_ssm_parameter",
];

struct Index<'r> {
    by_addr: HashMap<&'r str, &'r Res>,
    /// Known `function_name` → function address.
    function_names: HashMap<String, String>,
    /// Known role `name` → role address.
    role_names: HashMap<String, String>,
    /// Shape of each function's `function_name` → the function, `None`
    /// when several share it (see `V::shape`).
    function_shapes: HashMap<String, Option<String>>,
}

impl Index<'_> {
    fn function_by_shape(&self, shape: &str) -> Option<String> {
        self.function_shapes.get(shape).cloned().flatten()
    }
}

/// The resource type of an address (`data.x.y` → `x`, `module.m.x.y` → `x`,
/// `x.y[0]` → `x`).
pub(crate) fn addr_type(addr: &str) -> &str {
    let mut parts: Vec<&str> = addr.split('.').collect();
    while parts.len() > 2 && (parts[0] == "module" || parts[0] == "data") {
        parts.drain(..if parts[0] == "module" { 2 } else { 1 });
    }
    parts.first().copied().unwrap_or("")
}

fn is_type(addr: &str, rtype: &str) -> bool {
    addr_type(addr) == rtype
}

pub(crate) fn build(dep: &mut Deployment, resources: &[Res]) {
    let mut index = Index {
        by_addr: HashMap::with_capacity_and_hasher(resources.len(), Default::default()),
        function_names: HashMap::default(),
        role_names: HashMap::default(),
        function_shapes: HashMap::default(),
    };
    for r in resources {
        index.by_addr.entry(r.addr.as_str()).or_insert(r);
        match r.rtype.as_str() {
            "aws_lambda_function" => {
                if let Some(shape) = r.body.get("function_name").and_then(V::shape) {
                    index
                        .function_shapes
                        .entry(shape)
                        .and_modify(|seen| *seen = None)
                        .or_insert_with(|| Some(r.addr.clone()));
                }
                if let Some(name) = r
                    .body
                    .get("function_name")
                    .and_then(V::as_str)
                    .filter(|n| !n.is_empty())
                {
                    index
                        .function_names
                        .insert(name.to_string(), r.addr.clone());
                }
            }
            "aws_iam_role" => {
                if let Some(name) = r
                    .body
                    .get("name")
                    .and_then(V::as_str)
                    .filter(|n| !n.is_empty())
                {
                    index.role_names.insert(name.to_string(), r.addr.clone());
                }
            }
            _ => {}
        }
    }
    let by_type = |t: &'static str| {
        resources
            .iter()
            .filter(move |r| r.rtype == t && !is_data(r))
    };

    for r in by_type("aws_iam_role") {
        let role = role(r, &mut dep.warnings);
        dep.roles.push(role);
    }
    let role_pos: HashMap<String, usize> = dep
        .roles
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.clone(), i))
        .collect();
    attach_policies(dep, resources, &index, &role_pos);
    identities(dep, resources, &index);

    for r in by_type("aws_lambda_code_signing_config") {
        let policy = first_block(&r.body, "policies")
            .map(|p| field_str(p.get("untrusted_artifact_on_deployment")))
            .unwrap_or(Field::Absent);
        dep.code_signing_configs.push(CodeSigningConfig {
            id: r.addr.clone(),
            loc: r.loc,
            untrusted_artifact_policy: policy,
            ignores: Vec::new(),
        });
    }
    for r in by_type("aws_lambda_layer_version") {
        dep.layers.push(layer_version(r));
    }
    for r in by_type("aws_lambda_function") {
        dep.functions.push(function(r, &index, &dep.layers));
    }
    let fn_pos: HashMap<String, usize> = dep
        .functions
        .iter()
        .enumerate()
        .map(|(i, f)| (f.id.clone(), i))
        .collect();
    let policy_sources = role_policy_sources(resources, &index);
    for f in dep.functions.iter_mut() {
        add_internal_refs(f, &index, &policy_sources);
    }

    triggers_and_permissions(dep, resources, &index, &fn_pos);
    apis(dep, resources, &index, &fn_pos);
    log_groups_and_alarms(dep, resources, &index);
    trails(dep, resources);
    security_groups(dep, resources);
    resource_policies(dep, resources);
    network::data_stores(dep, resources);
}

fn is_data(r: &Res) -> bool {
    r.is_data
}

pub(super) fn is_data_addr(addr: &str) -> bool {
    addr.starts_with("data.") || addr.contains(".data.")
}

// ---------- small conversions ----------

fn field_str(v: Option<&V>) -> Field<String> {
    match v {
        None => Field::Absent,
        Some(v) if v.is_null() => Field::Absent,
        Some(v) => match v.scalar() {
            Some(s) => Field::Known(s, v.loc),
            None => Field::Unknown(v.loc),
        },
    }
}

fn field_bool(v: Option<&V>) -> Field<bool> {
    match v {
        None => Field::Absent,
        Some(v) if v.is_null() => Field::Absent,
        Some(v) => match v.as_bool() {
            Some(b) => Field::Known(b, v.loc),
            None => Field::Unknown(v.loc),
        },
    }
}

fn field_i64(v: Option<&V>) -> Field<i64> {
    match v {
        None => Field::Absent,
        Some(v) if v.is_null() => Field::Absent,
        Some(v) => match v.as_i64() {
            Some(n) => Field::Known(n, v.loc),
            None => Field::Unknown(v.loc),
        },
    }
}

/// Nested blocks under `name`: `Err(loc)` when they are not determined
/// (`dynamic` block or computed in a plan).
fn blocks<'v>(body: &'v V, name: &str) -> Result<Vec<&'v V>, Loc> {
    match body.get(name) {
        None => Ok(Vec::new()),
        Some(v) if v.is_null() => Ok(Vec::new()),
        Some(v) if !v.is_known() => Err(v.loc),
        Some(v) => Ok(v
            .items()
            .into_iter()
            .filter(|i| matches!(i.kind, Val::Map(_)))
            .collect()),
    }
}

fn first_block<'v>(body: &'v V, name: &str) -> Option<&'v V> {
    blocks(body, name).ok()?.into_iter().next()
}

/// A reference to another element, by address when the expression points at
/// one of `types`, by name through `names`, else external.
fn link(v: &V, types: &[&str], names: Option<&HashMap<String, String>>) -> Ref {
    match &v.kind {
        // Data sources read existing infrastructure: never an element here.
        Val::Ref { addr, .. } if !is_data_addr(addr) && types.iter().any(|t| is_type(addr, t)) => {
            Ref::Local(addr.clone())
        }
        Val::Ref { addr, attr } => Ref::External(format!("{addr}.{attr}")),
        Val::Str(s) => {
            if let Some(names) = names {
                if let Some(addr) = names.get(s.as_str()) {
                    return Ref::Local(addr.clone());
                }
                // An ARN of a named element: the name is the last segment.
                let tail = s.rsplit([':', '/']).next().unwrap_or(s);
                if s.starts_with("arn:") {
                    if let Some(addr) = names.get(tail) {
                        return Ref::Local(addr.clone());
                    }
                }
            }
            Ref::External(s.clone())
        }
        Val::Unknown { .. } => {
            for r in v.partial_refs() {
                let addr = r.rsplit_once('.').map(|(a, _)| a).unwrap_or(r);
                if types.iter().any(|t| is_type(addr, t)) {
                    return Ref::Local(addr.to_string());
                }
            }
            Ref::Unknown
        }
        _ => Ref::Unknown,
    }
}

fn field_ref(v: Option<&V>, types: &[&str], names: Option<&HashMap<String, String>>) -> Field<Ref> {
    match v {
        None => Field::Absent,
        Some(v) if v.is_null() => Field::Absent,
        Some(v) => match link(v, types, names) {
            Ref::Unknown => Field::Unknown(v.loc),
            r => Field::Known(r, v.loc),
        },
    }
}

fn function_ref(v: &V, index: &Index) -> Ref {
    // An invoke URI or qualified ARN embeds `...:function:NAME[:qualifier]`.
    if let Some(text) = v.as_str() {
        if let Some((_, rest)) = text.split_once(":function:") {
            let name = rest.split([':', '/']).next().unwrap_or(rest);
            if let Some(addr) = index.function_names.get(name) {
                return Ref::Local(addr.clone());
            }
        }
    }
    let target = link(
        v,
        &["aws_lambda_function", "aws_lambda_alias"],
        Some(&index.function_names),
    );
    // An alias stands for its function.
    match &target {
        Ref::Local(addr) if is_type(addr, "aws_lambda_alias") => index
            .by_addr
            .get(addr.as_str())
            .and_then(|alias| alias.body.get("function_name"))
            .map(|v| link(v, &["aws_lambda_function"], Some(&index.function_names)))
            .unwrap_or(Ref::Unknown),
        _ => target,
    }
}

fn local_id(r: &Ref) -> Option<&str> {
    match r {
        Ref::Local(id) => Some(id),
        _ => None,
    }
}

/// A policy document given as a map (`jsonencode`, policy document data
/// source) or JSON text (heredoc, plan).
fn policy_of(v: &V) -> fnguard_iam::Policy {
    match &v.kind {
        Val::Str(text) => match json_text_to_v(text, v.loc) {
            Some(doc) => parse_policy(&doc.to_policy_node()),
            None => unknown_policy(v.loc),
        },
        Val::Unknown {
            partial: Some(text),
            ..
        } => match json_text_to_v(text, v.loc) {
            Some(doc) => parse_policy(&doc.to_policy_node()),
            None => unknown_policy(v.loc),
        },
        Val::Map(_) => parse_policy(&v.to_policy_node()),
        _ => unknown_policy(v.loc),
    }
}

fn unknown_policy(loc: Loc) -> fnguard_iam::Policy {
    fnguard_iam::Policy {
        statements: Vec::new(),
        loc,
        unknown: true,
    }
}

// ---------- IAM ----------

fn role(r: &Res, warnings: &mut Vec<LoadWarning>) -> Role {
    let mut role = Role::new(r.addr.clone(), r.loc);
    role.trust = r.body.get("assume_role_policy").map(policy_of);
    match blocks(&r.body, "inline_policy") {
        Ok(list) => {
            for p in list {
                let Some(doc) = p.get("policy") else { continue };
                let name = p
                    .get("name")
                    .and_then(V::scalar)
                    .unwrap_or_else(|| r.addr.clone());
                role.policies.push(AttachedPolicy {
                    name,
                    origin: PolicyOrigin::Inline,
                    policy: policy_of(doc),
                    loc: p.loc,
                });
            }
        }
        Err(loc) => warnings.push(LoadWarning {
            loc,
            message: format!("{}: inline policies are not determined", r.addr),
        }),
    }
    if let Some(arns) = r.body.get("managed_policy_arns") {
        if arns.is_known() {
            for arn in arns.items() {
                role.managed_policy_arns.push(field_str(Some(arn)));
            }
        } else {
            role.managed_policy_arns.push(Field::Unknown(arns.loc));
        }
    }
    role.permissions_boundary = field_str(r.body.get("permissions_boundary"));
    role.name = iam_name(&r.body);
    role.path = field_str(r.body.get("path"));
    role
}

/// `name`, or `name_prefix` as the pattern `prefix*` (Terraform appends a
/// unique suffix; a plan shows that name as not yet known); `Absent` when
/// neither is set (Terraform generates one).
fn iam_name(body: &V) -> Field<String> {
    let name = field_str(body.get("name"));
    if name.is_known() {
        return name;
    }
    match field_str(body.get("name_prefix")) {
        Field::Known(prefix, loc) => Field::Known(format!("{prefix}*"), loc),
        Field::Unknown(loc) if name.is_absent() => Field::Unknown(loc),
        _ => name,
    }
}

fn role_target(v: Option<&V>, index: &Index) -> Option<String> {
    let v = v?;
    local_id(&link(v, &["aws_iam_role"], Some(&index.role_names))).map(str::to_string)
}

fn attach_policies(
    dep: &mut Deployment,
    resources: &[Res],
    index: &Index,
    role_pos: &HashMap<String, usize>,
) {
    for r in resources.iter().filter(|r| !is_data(r)) {
        match r.rtype.as_str() {
            "aws_iam_role_policy" => {
                let Some(role) = role_target(r.body.get("role"), index) else {
                    continue;
                };
                let Some(&pos) = role_pos.get(&role) else {
                    continue;
                };
                let policy = r
                    .body
                    .get("policy")
                    .map(policy_of)
                    .unwrap_or_else(|| unknown_policy(r.loc));
                let name = r
                    .body
                    .get("name")
                    .and_then(V::scalar)
                    .unwrap_or_else(|| r.addr.clone());
                dep.roles[pos].policies.push(AttachedPolicy {
                    name,
                    origin: PolicyOrigin::Inline,
                    policy,
                    loc: r.loc,
                });
            }
            "aws_iam_role_policy_attachment" | "aws_iam_policy_attachment" => {
                let targets: Vec<String> = if r.rtype == "aws_iam_policy_attachment" {
                    r.body
                        .get("roles")
                        .map(|roles| {
                            roles
                                .items()
                                .into_iter()
                                .filter_map(|v| role_target(Some(v), index))
                                .collect()
                        })
                        .unwrap_or_default()
                } else {
                    role_target(r.body.get("role"), index).into_iter().collect()
                };
                let Some(arn) = r.body.get("policy_arn") else {
                    continue;
                };
                for role in targets {
                    let Some(&pos) = role_pos.get(&role) else {
                        continue;
                    };
                    let role = &mut dep.roles[pos];
                    attach_one(
                        &mut role.policies,
                        &mut role.managed_policy_arns,
                        arn,
                        r,
                        index,
                    );
                }
            }
            _ => {}
        }
    }
}

/// Attach the policy `arn` names to a role, user or group (`policies`,
/// `managed_policy_arns` are its lists).
fn attach_one(
    policies: &mut Vec<AttachedPolicy>,
    managed_policy_arns: &mut Vec<Field<String>>,
    arn: &V,
    attachment: &Res,
    index: &Index,
) {
    if let Val::Ref { addr, .. } = &arn.kind {
        // `data "aws_iam_policy"` looks up an existing (often AWS managed)
        // policy: what it names is the managed policy attached.
        if is_data_addr(addr) && is_type(addr, "aws_iam_policy") {
            let named = index.by_addr.get(addr.as_str()).and_then(|d| {
                d.body
                    .get("arn")
                    .filter(|v| v.is_known())
                    .or_else(|| d.body.get("name").filter(|v| v.is_known()))
            });
            managed_policy_arns.push(match named {
                Some(v) => Field::Known(v.scalar().unwrap_or_default(), arn.loc),
                None => Field::Unknown(arn.loc),
            });
            return;
        }
        if is_type(addr, "aws_iam_policy") {
            if let Some(policy) = index.by_addr.get(addr.as_str()) {
                let doc = policy
                    .body
                    .get("policy")
                    .map(policy_of)
                    .unwrap_or_else(|| unknown_policy(policy.loc));
                policies.push(AttachedPolicy {
                    name: addr.clone(),
                    origin: PolicyOrigin::CustomerManaged,
                    policy: doc,
                    loc: attachment.loc,
                });
                return;
            }
        }
    }
    managed_policy_arns.push(field_str(Some(arn)));
}

// ---------- users and groups ----------

/// `aws_iam_user` and `aws_iam_group`, with the policies, attachments and
/// memberships that name them.
fn identities(dep: &mut Deployment, resources: &[Res], index: &Index) {
    let first = dep.identities.len();
    let mut names: [HashMap<String, String>; 2] = Default::default();
    for r in resources.iter().filter(|r| !is_data(r)) {
        let kind = match r.rtype.as_str() {
            "aws_iam_user" => IdentityKind::User,
            "aws_iam_group" => IdentityKind::Group,
            _ => continue,
        };
        let mut identity = Identity::new(r.addr.clone(), r.loc, kind);
        identity.name = field_str(r.body.get("name"));
        identity.path = field_str(r.body.get("path"));
        if let Some(name) = identity.name.as_deref().filter(|n| !n.is_empty()) {
            names[kind as usize].insert(name.to_string(), r.addr.clone());
        }
        if kind == IdentityKind::User {
            identity.permissions_boundary = field_str(r.body.get("permissions_boundary"));
        }
        dep.identities.push(identity);
    }
    if dep.identities.len() == first {
        return;
    }
    let pos: HashMap<String, usize> = dep.identities[first..]
        .iter()
        .enumerate()
        .map(|(i, identity)| (identity.id.clone(), first + i))
        .collect();
    let target = |v: &V, kind: IdentityKind| -> Option<usize> {
        let types: &[&str] = match kind {
            IdentityKind::User => &["aws_iam_user"],
            IdentityKind::Group => &["aws_iam_group"],
        };
        let id = local_id(&link(v, types, Some(&names[kind as usize])))?.to_string();
        pos.get(&id).copied()
    };
    let list = |r: &Res, key: &str, kind: IdentityKind| -> Vec<usize> {
        r.body
            .get(key)
            .map(|v| {
                v.items()
                    .into_iter()
                    .filter_map(|v| target(v, kind))
                    .collect()
            })
            .unwrap_or_default()
    };
    for r in resources.iter().filter(|r| !is_data(r)) {
        let (key, kind) = match r.rtype.as_str() {
            "aws_iam_user_policy" | "aws_iam_user_policy_attachment" => {
                ("user", IdentityKind::User)
            }
            "aws_iam_group_policy" | "aws_iam_group_policy_attachment" => {
                ("group", IdentityKind::Group)
            }
            "aws_iam_policy_attachment" => {
                let mut all = list(r, "users", IdentityKind::User);
                all.extend(list(r, "groups", IdentityKind::Group));
                if let Some(arn) = r.body.get("policy_arn") {
                    for i in all {
                        let identity = &mut dep.identities[i];
                        attach_one(
                            &mut identity.policies,
                            &mut identity.managed_policy_arns,
                            arn,
                            r,
                            index,
                        );
                    }
                }
                continue;
            }
            "aws_iam_user_group_membership" => {
                let groups = group_refs(r.body.get("groups"), &names[IdentityKind::Group as usize]);
                if let Some(i) = r
                    .body
                    .get("user")
                    .and_then(|v| target(v, IdentityKind::User))
                {
                    add_groups(&mut dep.identities[i], groups);
                }
                continue;
            }
            "aws_iam_group_membership" => {
                let groups = group_refs(r.body.get("group"), &names[IdentityKind::Group as usize]);
                for i in list(r, "users", IdentityKind::User) {
                    add_groups(&mut dep.identities[i], groups.clone());
                }
                continue;
            }
            _ => continue,
        };
        let Some(i) = r.body.get(key).and_then(|v| target(v, kind)) else {
            continue;
        };
        let identity = &mut dep.identities[i];
        if r.rtype.ends_with("_attachment") {
            if let Some(arn) = r.body.get("policy_arn") {
                attach_one(
                    &mut identity.policies,
                    &mut identity.managed_policy_arns,
                    arn,
                    r,
                    index,
                );
            }
            continue;
        }
        identity.policies.push(AttachedPolicy {
            name: r
                .body
                .get("name")
                .and_then(V::scalar)
                .unwrap_or_else(|| r.addr.clone()),
            origin: PolicyOrigin::Inline,
            policy: r
                .body
                .get("policy")
                .map(policy_of)
                .unwrap_or_else(|| unknown_policy(r.loc)),
            loc: r.loc,
        });
    }
}

/// The groups a membership names (one group or a list), by address or name.
fn group_refs(v: Option<&V>, names: &HashMap<String, String>) -> Vec<Ref> {
    let Some(v) = v else { return Vec::new() };
    v.items()
        .into_iter()
        .map(|g| link(g, &["aws_iam_group"], Some(names)))
        .collect()
}

fn add_groups(user: &mut Identity, groups: Vec<Ref>) {
    for g in groups {
        if !user.groups.contains(&g) {
            user.groups.push(g);
        }
    }
}

// ---------- functions ----------

/// A function's or layer's code as a code location (see `CodeLocation`):
/// `filename` (a path relative to the module folder, `path.module` being
/// `.`; an `archive_file`'s `output_path` already stands for its source),
/// `image_uri`, or `s3://bucket/key` from `s3_bucket` and `s3_key`.
fn code_location(b: &V) -> Field<String> {
    for local in ["filename", "image_uri"] {
        let field = field_str(b.get(local));
        if !field.is_absent() {
            return field;
        }
    }
    let bucket = match b.get("s3_bucket").map(|v| &v.kind) {
        Some(Val::Str(name)) => name.clone(),
        // A bucket of the module: named like CloudFormation's `${Bucket}`.
        Some(Val::Ref { addr, attr }) => format!("${{{addr}.{attr}}}"),
        _ => "?".to_string(),
    };
    field_str(b.get("s3_key")).map(|key| format!("s3://{bucket}/{key}"))
}

fn layer_version(r: &Res) -> LayerVersion {
    let b = &r.body;
    let mut layer = LayerVersion::new(r.addr.clone(), r.loc);
    layer.name = field_str(b.get("layer_name"));
    layer.content = code_location(b);
    layer.compatible_runtimes = match b.get("compatible_runtimes") {
        None => Vec::new(),
        Some(v) if v.is_null() => Vec::new(),
        Some(v) if !v.is_known() => vec![Field::Unknown(v.loc)],
        Some(v) => v.items().into_iter().map(|i| field_str(Some(i))).collect(),
    };
    layer
}

/// What one entry of a function's `layers` names: a layer version of the
/// module (by reference, or by an ARN of this account with its
/// `layer_name`), else the ARN.
fn layer_ref(v: &V, layers: &[LayerVersion]) -> Ref {
    match link(v, &["aws_lambda_layer_version"], None) {
        Ref::External(arn) => match layers.iter().find(|l| {
            l.name
                .as_deref()
                .is_some_and(|name| names_own_layer(&arn, name))
        }) {
            Some(layer) => Ref::Local(layer.id.clone()),
            None => Ref::External(arn),
        },
        other => other,
    }
}

fn function(r: &Res, index: &Index, layers_declared: &[LayerVersion]) -> Function {
    let b = &r.body;
    let mut f = Function::new(r.addr.clone(), r.loc);
    f.name = field_str(b.get("function_name"));
    f.runtime = field_str(b.get("runtime"));
    f.package_type = field_str(b.get("package_type"));
    f.handler = field_str(b.get("handler"));
    f.code = code_location(b);
    f.role = field_ref(b.get("role"), &["aws_iam_role"], Some(&index.role_names));
    f.kms_key = field_str(b.get("kms_key_arn"));
    f.code_signing = field_ref(
        b.get("code_signing_config_arn"),
        &["aws_lambda_code_signing_config"],
        None,
    );
    if let Some(layers) = b.get("layers") {
        if layers.is_known() {
            for l in layers.items() {
                f.layers.push(field_str(Some(l)));
                f.layer_refs.push(layer_ref(l, layers_declared));
            }
        } else {
            f.layers.push(Field::Unknown(layers.loc));
            f.layer_refs.push(Ref::Unknown);
        }
    }
    f.reserved_concurrency = match field_i64(b.get("reserved_concurrent_executions")) {
        // -1 is the provider's way of saying "unreserved".
        Field::Known(-1, _) => Field::Absent,
        other => other,
    };
    match blocks(b, "environment") {
        Ok(envs) => {
            for env in envs {
                environment(&mut f, env);
            }
        }
        Err(loc) => f.environment.push(EnvVar {
            name: "*".into(),
            loc,
            value: EnvValue::Unknown,
        }),
    }
    f.vpc = match blocks(b, "vpc_config") {
        Err(loc) => Field::Unknown(loc),
        Ok(list) => match list.first() {
            None => Field::Absent,
            Some(vpc) => vpc_config(vpc),
        },
    };
    match blocks(b, "logging_config") {
        Ok(list) => {
            if let Some(lc) = list.first() {
                f.log_format = field_str(lc.get("log_format"));
                f.log_group = field_str(lc.get("log_group"));
            }
        }
        Err(loc) => {
            f.log_format = Field::Unknown(loc);
            f.log_group = Field::Unknown(loc);
        }
    }
    match blocks(b, "tracing_config") {
        Ok(list) => {
            if let Some(t) = list.first() {
                f.tracing = field_str(t.get("mode"));
            }
        }
        Err(loc) => f.tracing = Field::Unknown(loc),
    }
    match blocks(b, "dead_letter_config") {
        Ok(list) => {
            if let Some(d) = list.first() {
                f.dead_letter = field_target(d.get("target_arn"));
            }
        }
        Err(loc) => f.dead_letter = Field::Unknown(loc),
    }
    f
}

/// An ARN target where a reference to a declared queue or topic counts as set.
fn field_target(v: Option<&V>) -> Field<String> {
    match v {
        Some(V {
            kind: Val::Ref { addr, attr },
            loc,
            ..
        }) => Field::Known(format!("{addr}.{attr}"), *loc),
        other => field_str(other),
    }
}

fn vpc_config(vpc: &V) -> Field<VpcConfig> {
    let list = |key: &str| -> Option<Vec<Ref>> {
        let v = vpc.get(key)?;
        if !v.is_known() {
            return Some(vec![Ref::Unknown]);
        }
        Some(
            v.items()
                .into_iter()
                // Subnets by address, as data stores name them.
                .map(|item| link(item, &["aws_security_group", "aws_subnet"], None))
                .collect(),
        )
    };
    let subnets = list("subnet_ids").unwrap_or_default();
    let security_groups = list("security_group_ids").unwrap_or_default();
    let subnets_value = vpc.get("subnet_ids");
    // `vpc_config { subnet_ids = [] }` is how modules detach a function.
    if subnets.is_empty() && security_groups.is_empty() {
        return match subnets_value {
            Some(v) if !v.is_known() => Field::Unknown(v.loc),
            _ => Field::Absent,
        };
    }
    Field::Known(
        VpcConfig {
            security_groups,
            subnets,
        },
        vpc.loc,
    )
}

fn environment(f: &mut Function, env: &V) {
    let Some(vars) = env.get("variables") else {
        return;
    };
    let Val::Map(entries) = &vars.kind else {
        if !vars.is_null() {
            f.environment.push(EnvVar {
                name: "*".into(),
                loc: vars.loc,
                value: EnvValue::Unknown,
            });
        }
        return;
    };
    for (name, value) in entries {
        let env_value = match &value.kind {
            Val::Str(s) if is_secret_arn(s) => EnvValue::Reference(s.clone()),
            Val::Str(_) | Val::Num(_) | Val::Bool(_) => {
                EnvValue::Literal(value.scalar().unwrap_or_default())
            }
            Val::Map(_) | Val::List(_) => match value.to_json_text() {
                Some(text) => EnvValue::Literal(text),
                None => EnvValue::Unknown,
            },
            Val::Null => continue,
            Val::Ref { addr, .. } if SECRET_TYPES.iter().any(|t| is_type(addr, t)) => {
                EnvValue::Reference(addr.clone())
            }
            Val::Sensitive(what) => EnvValue::Reference(format!("{what} (sensitive)")),
            Val::Unknown {
                partial: Some(_), ..
            } => {
                match value
                    .partial_refs()
                    .into_iter()
                    .find(|p| SECRET_TYPES.iter().any(|t| p.starts_with(&format!("{t}."))))
                {
                    Some(p) => EnvValue::Reference(p.to_string()),
                    None => EnvValue::Unknown,
                }
            }
            _ => EnvValue::Unknown,
        };
        if let EnvValue::Literal(text) = &env_value {
            if let Some(what) = internal_host(text) {
                f.internal_refs.push(InternalRef {
                    what: format!("{what} endpoint in {name}"),
                    loc: value.loc,
                    element: None,
                });
            }
        }
        f.environment.push(EnvVar {
            name: name.clone(),
            loc: value.loc,
            value: env_value,
        });
    }
}

fn is_secret_arn(s: &str) -> bool {
    s.starts_with("arn:")
        && (s.contains(":secretsmanager:") || s.contains(":ssm:") && s.contains(":parameter/"))
}

fn internal_host(text: &str) -> Option<&'static str> {
    let lower = text.to_ascii_lowercase();
    if lower.contains(".rds.amazonaws.com") {
        Some("RDS")
    } else if lower.contains(".cache.amazonaws.com") {
        Some("ElastiCache")
    } else {
        None
    }
}

fn internal_type(addr: &str) -> Option<&'static str> {
    let t = addr_type(addr);
    INTERNAL_TYPES
        .iter()
        .find(|(prefix, _)| {
            if prefix.ends_with('_') {
                t.starts_with(prefix)
            } else {
                t == *prefix
            }
        })
        .map(|(_, what)| *what)
}

/// Per role id, the resources whose references say what its policies
/// reach: the role itself, its role policies, attachments and the attached
/// customer-managed policies. Built once, in source order.
fn role_policy_sources<'r>(
    resources: &'r [Res],
    index: &Index<'r>,
) -> HashMap<String, Vec<&'r Res>> {
    let mut sources: HashMap<String, Vec<&'r Res>> = HashMap::default();
    for r in resources {
        match r.rtype.as_str() {
            "aws_iam_role" if !is_data(r) => sources.entry(r.addr.clone()).or_default().push(r),
            "aws_iam_role_policy" | "aws_iam_role_policy_attachment" => {
                let Some(role) = role_target(r.body.get("role"), index) else {
                    continue;
                };
                let list = sources.entry(role).or_default();
                list.push(r);
                if let Some(Val::Ref { addr, .. }) = r.body.get("policy_arn").map(|v| &v.kind) {
                    if let Some(p) = index.by_addr.get(addr.as_str()) {
                        list.push(p);
                    }
                }
            }
            _ => {}
        }
    }
    sources
}

fn add_internal_refs(f: &mut Function, index: &Index, policy_sources: &HashMap<String, Vec<&Res>>) {
    let Some(res) = index.by_addr.get(f.id.as_str()) else {
        return;
    };
    let mut seen: Vec<String> = Vec::new();
    let mut add = |addr: &str, loc: Loc, via: &str, f: &mut Function| {
        if let Some(what) = internal_type(addr) {
            if !seen.iter().any(|s| s == addr) {
                seen.push(addr.to_string());
                f.internal_refs.push(InternalRef {
                    what: format!("{what} {addr}{via}"),
                    loc,
                    element: Some(addr.to_string()),
                });
            }
        }
    };
    let env_loc = f.environment.first().map(|e| e.loc).unwrap_or(f.loc);
    for addr in &res.refs {
        add(addr, env_loc, "", f);
    }
    let Some(role_id) = f.role.value().and_then(local_id).map(str::to_string) else {
        return;
    };
    for r in policy_sources.get(&role_id).into_iter().flatten() {
        for addr in &r.refs {
            add(addr, r.loc, &format!(" (in {role_id} policy)"), f);
        }
    }
}

// ---------- invocation ----------

fn function_index(r: &Ref, fn_pos: &HashMap<String, usize>) -> Option<usize> {
    local_id(r).and_then(|id| fn_pos.get(id).copied())
}

fn push_trigger(f: &mut Function, trigger: Trigger) {
    if !f
        .triggers
        .iter()
        .any(|t| t.kind == trigger.kind && t.source == trigger.source)
    {
        f.triggers.push(trigger);
    }
}

fn principal_kind(principal: &str, source: &Ref) -> TriggerKind {
    let service = principal.split('.').next().unwrap_or("");
    match service {
        "apigateway" => match source {
            Ref::Local(addr) if addr_type(addr).starts_with("aws_apigatewayv2_") => {
                TriggerKind::HttpApi
            }
            _ => TriggerKind::RestApi,
        },
        "s3" => TriggerKind::S3,
        "sns" => TriggerKind::Sns,
        "sqs" => TriggerKind::Sqs,
        "events" => TriggerKind::EventBridge,
        "logs" => TriggerKind::CloudWatchLogs,
        "iot" => TriggerKind::Iot,
        "cognito-idp" => TriggerKind::Cognito,
        "alexa-appkit" | "alexa-connectedhome" => TriggerKind::Alexa,
        "scheduler" => TriggerKind::Schedule,
        _ => TriggerKind::Other,
    }
}

fn source_ref(v: Option<&V>) -> Ref {
    match v {
        None => Ref::Unknown,
        Some(v) => match &v.kind {
            Val::Ref { addr, attr } if is_data_addr(addr) => {
                Ref::External(format!("{addr}.{attr}"))
            }
            Val::Ref { addr, .. } => Ref::Local(addr.clone()),
            Val::Str(s) => Ref::External(s.clone()),
            _ => {
                let refs = v.partial_refs();
                match refs.first() {
                    Some(r) => Ref::Local(r.rsplit_once('.').map(|(a, _)| a).unwrap_or(r).into()),
                    None => Ref::Unknown,
                }
            }
        },
    }
}

fn triggers_and_permissions(
    dep: &mut Deployment,
    resources: &[Res],
    index: &Index,
    fn_pos: &HashMap<String, usize>,
) {
    for r in resources.iter().filter(|r| !is_data(r)) {
        let b = &r.body;
        match r.rtype.as_str() {
            "aws_lambda_permission" => {
                let function = b
                    .get("function_name")
                    .map(|v| function_ref(v, index))
                    .unwrap_or(Ref::Unknown);
                let perm = InvokePermission {
                    id: r.addr.clone(),
                    loc: r.loc,
                    function: function.clone(),
                    action: field_str(b.get("action")),
                    principal: field_str(b.get("principal")),
                    source_arn: field_str_or_ref(b.get("source_arn")),
                    source_account: field_str(b.get("source_account")),
                    principal_org_id: field_str(b.get("principal_org_id")),
                    function_url_auth_type: field_str(b.get("function_url_auth_type")),
                    event_source_token: field_str(b.get("event_source_token")),
                    ignores: Vec::new(),
                };
                if let (Some(i), Some(principal)) =
                    (function_index(&function, fn_pos), perm.principal.value())
                {
                    let source = source_ref(b.get("source_arn"));
                    let kind = if perm.function_url_auth_type.is_known() {
                        TriggerKind::FunctionUrl
                    } else {
                        principal_kind(principal, &source)
                    };
                    push_trigger(
                        &mut dep.functions[i],
                        Trigger {
                            kind,
                            loc: r.loc,
                            source,
                        },
                    );
                }
                dep.permissions.push(perm);
            }
            "aws_lambda_function_url" => {
                let function = b
                    .get("function_name")
                    .map(|v| function_ref(v, index))
                    .unwrap_or(Ref::Unknown);
                let cors = match blocks(b, "cors") {
                    Ok(list) => list
                        .first()
                        .map(|c| cors_of(c, "allow_origins", "allow_credentials")),
                    Err(loc) => Some(Cors {
                        loc,
                        allow_origins: vec![Field::Unknown(loc)],
                        allow_credentials: Field::Unknown(loc),
                    }),
                };
                if let Some(i) = function_index(&function, fn_pos) {
                    push_trigger(
                        &mut dep.functions[i],
                        Trigger {
                            kind: TriggerKind::FunctionUrl,
                            loc: r.loc,
                            source: Ref::Local(r.addr.clone()),
                        },
                    );
                }
                dep.function_urls.push(FunctionUrl {
                    id: r.addr.clone(),
                    loc: r.loc,
                    function,
                    auth_type: field_str(b.get("authorization_type")),
                    cors,
                    ignores: Vec::new(),
                });
            }
            "aws_lambda_event_source_mapping" => {
                let function = b
                    .get("function_name")
                    .map(|v| function_ref(v, index))
                    .unwrap_or(Ref::Unknown);
                let Some(i) = function_index(&function, fn_pos) else {
                    continue;
                };
                let source_v = b.get("event_source_arn");
                let kind = match source_v.map(|v| &v.kind) {
                    Some(Val::Ref { addr, .. }) => match addr_type(addr) {
                        "aws_sqs_queue" => TriggerKind::Sqs,
                        "aws_kinesis_stream" => TriggerKind::Kinesis,
                        "aws_dynamodb_table" => TriggerKind::DynamoDbStream,
                        "aws_msk_cluster" | "aws_msk_serverless_cluster" => TriggerKind::Kafka,
                        "aws_mq_broker" => TriggerKind::Mq,
                        _ => TriggerKind::Other,
                    },
                    Some(Val::Str(arn)) => arn_kind(arn),
                    _ if b.get("self_managed_event_source").is_some() => TriggerKind::Kafka,
                    _ => TriggerKind::Other,
                };
                push_trigger(
                    &mut dep.functions[i],
                    Trigger {
                        kind,
                        loc: r.loc,
                        source: source_ref(source_v),
                    },
                );
            }
            // EventBridge Scheduler invokes through a role, without a
            // resource-based permission: the schedule itself is the trigger.
            "aws_scheduler_schedule" => {
                for target in first_block(b, "target").into_iter() {
                    let Some(arn) = target.get("arn") else {
                        continue;
                    };
                    let function = link(arn, &["aws_lambda_function"], None);
                    if let Some(i) = function_index(&function, fn_pos) {
                        push_trigger(
                            &mut dep.functions[i],
                            Trigger {
                                kind: TriggerKind::Schedule,
                                loc: r.loc,
                                source: Ref::Local(r.addr.clone()),
                            },
                        );
                    }
                }
            }
            "aws_lambda_function_event_invoke_config" => {
                let function = b
                    .get("function_name")
                    .map(|v| function_ref(v, index))
                    .unwrap_or(Ref::Unknown);
                let Some(i) = function_index(&function, fn_pos) else {
                    continue;
                };
                let on_failure = match first_block(b, "destination_config") {
                    Some(dc) => match blocks(dc, "on_failure") {
                        Ok(list) => list
                            .first()
                            .map(|of| field_target(of.get("destination")))
                            .unwrap_or(Field::Absent),
                        Err(loc) => Field::Unknown(loc),
                    },
                    None => match b.get("destination_config") {
                        Some(v) if !v.is_known() => Field::Unknown(v.loc),
                        _ => Field::Absent,
                    },
                };
                if !on_failure.is_absent() {
                    dep.functions[i].on_failure = on_failure;
                }
            }
            "aws_lambda_layer_version_permission"
                if b.get("principal").and_then(V::as_str) == Some("*")
                    && b.get("organization_id").is_none() =>
            {
                dep.warnings.push(LoadWarning {
                    loc: r.loc,
                    message: format!("{}: layer version shared with every AWS account", r.addr),
                });
            }
            _ => {}
        }
    }
}

fn field_str_or_ref(v: Option<&V>) -> Field<String> {
    match v {
        Some(V {
            kind: Val::Ref { addr, attr },
            loc,
            ..
        }) => Field::Known(format!("{addr}.{attr}"), *loc),
        Some(
            v @ V {
                kind:
                    Val::Unknown {
                        partial: Some(text),
                        ..
                    },
                ..
            },
        ) => match render_refs(text) {
            Some(rendered) => Field::Known(rendered, v.loc),
            None => Field::Unknown(v.loc),
        },
        other => field_str(other),
    }
}

fn arn_kind(arn: &str) -> TriggerKind {
    let service = arn.split(':').nth(2).unwrap_or("");
    match service {
        "sqs" => TriggerKind::Sqs,
        "kinesis" => TriggerKind::Kinesis,
        "dynamodb" => TriggerKind::DynamoDbStream,
        "kafka" => TriggerKind::Kafka,
        "mq" => TriggerKind::Mq,
        _ => TriggerKind::Other,
    }
}

fn cors_of(c: &V, origins_key: &str, credentials_key: &str) -> Cors {
    let allow_origins = match c.get(origins_key) {
        None => Vec::new(),
        Some(v) if !v.is_known() => vec![Field::Unknown(v.loc)],
        Some(v) => v.items().into_iter().map(|o| field_str(Some(o))).collect(),
    };
    Cors {
        loc: c.loc,
        allow_origins,
        allow_credentials: field_bool(c.get(credentials_key)),
    }
}

// ---------- APIs ----------

fn auth_kind(text: &str) -> AuthKind {
    match text.to_ascii_uppercase().as_str() {
        "NONE" => AuthKind::None,
        "AWS_IAM" => AuthKind::Iam,
        "COGNITO_USER_POOLS" => AuthKind::Cognito,
        "CUSTOM" => AuthKind::Lambda,
        "JWT" => AuthKind::Jwt,
        _ => AuthKind::Other(text.to_string()),
    }
}

fn api_of(v: Option<&V>, rtype: &str, api_pos: &HashMap<String, usize>) -> Option<usize> {
    let v = v?;
    match &v.kind {
        Val::Ref { addr, .. } if is_type(addr, rtype) => api_pos.get(addr).copied(),
        _ => None,
    }
}

fn set_true(field: &mut Field<bool>, loc: Loc) {
    if !field.is_known() || field.value() == Some(&false) {
        *field = Field::Known(true, loc);
    }
}

fn apis(dep: &mut Deployment, resources: &[Res], index: &Index, fn_pos: &HashMap<String, usize>) {
    let mut api_pos: HashMap<String, usize> = HashMap::default();
    for r in resources.iter().filter(|r| !is_data(r)) {
        let b = &r.body;
        match r.rtype.as_str() {
            "aws_api_gateway_rest_api" => {
                let mut api = Api::new(r.addr.clone(), r.loc, ApiKind::Rest);
                match blocks(b, "endpoint_configuration") {
                    Ok(list) => {
                        if let Some(ec) = list.first() {
                            api.private_endpoint = match ec.get("types") {
                                Some(t) if t.is_known() => Field::Known(
                                    t.items().iter().any(|x| {
                                        x.as_str()
                                            .is_some_and(|s| s.eq_ignore_ascii_case("PRIVATE"))
                                    }),
                                    t.loc,
                                ),
                                Some(t) => Field::Unknown(t.loc),
                                None => Field::Absent,
                            };
                        }
                    }
                    Err(loc) => api.private_endpoint = Field::Unknown(loc),
                }
                if let Some(p) = b.get("policy") {
                    api.resource_policy = Some(policy_of(p));
                }
                if let Some(body) = b.get("body") {
                    openapi_routes(&mut api, body, index);
                }
                api_pos.insert(r.addr.clone(), dep.apis.len());
                dep.apis.push(api);
            }
            "aws_apigatewayv2_api" => {
                let protocol = b.get("protocol_type").and_then(V::as_str).unwrap_or("HTTP");
                let kind = if protocol.eq_ignore_ascii_case("WEBSOCKET") {
                    ApiKind::WebSocket
                } else {
                    ApiKind::Http
                };
                let mut api = Api::new(r.addr.clone(), r.loc, kind);
                if let Some(body) = b.get("body") {
                    openapi_routes(&mut api, body, index);
                    // Request validation is a REST API feature.
                    api.request_validation = Field::Absent;
                }
                match blocks(b, "cors_configuration") {
                    Ok(list) => {
                        api.cors = list
                            .first()
                            .map(|c| cors_of(c, "allow_origins", "allow_credentials"))
                    }
                    Err(loc) => {
                        api.cors = Some(Cors {
                            loc,
                            allow_origins: vec![Field::Unknown(loc)],
                            allow_credentials: Field::Unknown(loc),
                        })
                    }
                }
                // Quick create: `target` makes a `$default` route with no auth.
                if let Some(target) = b.get("target") {
                    let function = local_id(&function_ref(target, index)).map(str::to_string);
                    api.routes.push(Route {
                        method: "ANY".into(),
                        path: "$default".into(),
                        loc: target.loc,
                        auth: Field::Known(AuthKind::None, target.loc),
                        api_key_required: Field::Absent,
                        function: function.clone(),
                    });
                    if let Some(&i) = function.as_ref().and_then(|f| fn_pos.get(f)) {
                        push_trigger(
                            &mut dep.functions[i],
                            Trigger {
                                kind: TriggerKind::HttpApi,
                                loc: target.loc,
                                source: Ref::Local(r.addr.clone()),
                            },
                        );
                    }
                }
                api_pos.insert(r.addr.clone(), dep.apis.len());
                dep.apis.push(api);
            }
            _ => {}
        }
    }
    rest_routes(dep, resources, index, fn_pos, &api_pos);
    http_routes(dep, resources, index, fn_pos, &api_pos);
    stages_and_protection(dep, resources, &api_pos);
}

/// Routes of an inline OpenAPI `body` (best effort: paths, methods and
/// `security`; anything undetermined is skipped).
fn openapi_routes(api: &mut Api, body: &V, index: &Index) {
    let doc;
    let body = match &body.kind {
        Val::Str(text) => match json_text_to_v(text, body.loc) {
            Some(v) => {
                doc = v;
                &doc
            }
            None => {
                // YAML or templated: what it declares is not known.
                api.request_validation = Field::Unknown(body.loc);
                return;
            }
        },
        Val::Map(_) => body,
        _ => {
            api.request_validation = Field::Unknown(body.loc);
            return;
        }
    };
    // OpenAPI 3 `components.securitySchemes`, Swagger 2 `securityDefinitions`.
    let schemes = body
        .get("components")
        .and_then(|c| c.get("securitySchemes"))
        .or_else(|| body.get("securityDefinitions"));
    if let Some(v) = body.get("x-amazon-apigateway-request-validator") {
        set_true(&mut api.request_validation, v.loc);
    }
    let global_security = body.get("security");
    let Some(Val::Map(paths)) = body.get("paths").map(|p| &p.kind) else {
        return;
    };
    for (path, ops) in paths {
        let Val::Map(methods) = &ops.kind else {
            continue;
        };
        for (method, op) in methods {
            let method = method.to_ascii_uppercase();
            if !matches!(
                method.as_str(),
                "GET"
                    | "PUT"
                    | "POST"
                    | "DELETE"
                    | "PATCH"
                    | "HEAD"
                    | "OPTIONS"
                    | "X-AMAZON-APIGATEWAY-ANY-METHOD"
            ) {
                continue;
            }
            if let Some(v) = op.get("x-amazon-apigateway-request-validator") {
                set_true(&mut api.request_validation, v.loc);
            }
            let security = op.get("security").or(global_security);
            let (auth, api_key) = openapi_auth(security, schemes, op.loc);
            let function = op
                .get("x-amazon-apigateway-integration")
                .and_then(|i| i.get("uri"))
                .and_then(|u| local_id(&function_ref(u, index)).map(str::to_string));
            api.routes.push(Route {
                method: if method.starts_with("X-") {
                    "ANY".into()
                } else {
                    method
                },
                path: path.clone(),
                loc: op.loc,
                auth,
                api_key_required: api_key,
                function,
            });
        }
    }
}

/// The authorization an OpenAPI `security` requirement puts on an
/// operation, from the API Gateway extensions of the schemes it names. An
/// API key scheme alone is not authorization: it is `api_key_required`.
fn openapi_auth(
    security: Option<&V>,
    schemes: Option<&V>,
    loc: Loc,
) -> (Field<AuthKind>, Field<bool>) {
    let Some(security) = security else {
        return (Field::Known(AuthKind::None, loc), Field::Absent);
    };
    if !security.is_known() {
        return (Field::Unknown(security.loc), Field::Unknown(security.loc));
    }
    let mut auth: Option<AuthKind> = None;
    let mut api_key = false;
    for requirement in security.items() {
        let Val::Map(names) = &requirement.kind else {
            continue;
        };
        for (name, _) in names {
            let scheme = schemes.and_then(|s| s.get(name));
            let kind = scheme.and_then(|s| {
                let authorizer = s.get("x-amazon-apigateway-authorizer");
                let authorizer_type = authorizer
                    .and_then(|a| a.get("type"))
                    .and_then(V::as_str)
                    .map(str::to_ascii_lowercase);
                match authorizer_type.as_deref() {
                    Some("cognito_user_pools") => Some(AuthKind::Cognito),
                    Some("token" | "request") => Some(AuthKind::Lambda),
                    Some("jwt") => Some(AuthKind::Jwt),
                    Some(other) => Some(AuthKind::Other(other.to_string())),
                    None => None,
                }
                .or_else(|| {
                    let authtype = s.get("x-amazon-apigateway-authtype").and_then(V::as_str);
                    if authtype.is_some_and(|t| t.eq_ignore_ascii_case("awsSigv4")) {
                        Some(AuthKind::Iam)
                    } else {
                        None
                    }
                })
            });
            match kind {
                Some(k) => auth = Some(k),
                None if scheme
                    .and_then(|s| s.get("type"))
                    .and_then(V::as_str)
                    .is_some_and(|t| t.eq_ignore_ascii_case("apiKey")) =>
                {
                    api_key = true
                }
                None => auth = Some(AuthKind::Other(name.clone())),
            }
        }
    }
    let auth = auth.unwrap_or(AuthKind::None);
    (
        Field::Known(auth, security.loc),
        if api_key {
            Field::Known(true, security.loc)
        } else {
            Field::Absent
        },
    )
}

fn rest_routes(
    dep: &mut Deployment,
    resources: &[Res],
    index: &Index,
    fn_pos: &HashMap<String, usize>,
    api_pos: &HashMap<String, usize>,
) {
    // Paths of `aws_api_gateway_resource`s, following `parent_id`.
    let rest_resources: HashMap<&str, &Res> = resources
        .iter()
        .filter(|r| r.rtype == "aws_api_gateway_resource")
        .map(|r| (r.addr.as_str(), r))
        .collect();
    let mut paths: HashMap<String, Option<String>> = HashMap::default();
    let mut resource_path = |v: Option<&V>| -> String {
        match v.map(|v| &v.kind) {
            Some(Val::Ref { attr, .. }) if attr == "root_resource_id" => "/".into(),
            Some(Val::Ref { addr, .. }) if is_type(addr, "aws_api_gateway_resource") => {
                path_of(addr, &rest_resources, &mut paths, 0).unwrap_or_else(|| "?".into())
            }
            _ => "?".into(),
        }
    };
    // (api, resource path, method) → route index, for integrations.
    let mut route_at: HashMap<(usize, String, String), usize> = HashMap::default();
    for r in resources
        .iter()
        .filter(|r| r.rtype == "aws_api_gateway_method")
    {
        let b = &r.body;
        let Some(api) = api_of(b.get("rest_api_id"), "aws_api_gateway_rest_api", api_pos) else {
            continue;
        };
        let path = resource_path(b.get("resource_id"));
        let method = b
            .get("http_method")
            .and_then(V::scalar)
            .unwrap_or_else(|| "?".into())
            .to_ascii_uppercase();
        let auth = match b.get("authorization") {
            Some(v) => match v.scalar() {
                Some(s) => Field::Known(auth_kind(&s), v.loc),
                None => Field::Unknown(v.loc),
            },
            None => Field::Absent,
        };
        let validator = b.get("request_validator_id");
        let a = &mut dep.apis[api];
        if let Some(v) = validator.filter(|v| !v.is_null()) {
            set_true(&mut a.request_validation, v.loc);
        }
        route_at.insert((api, path.clone(), method.clone()), a.routes.len());
        a.routes.push(Route {
            method,
            path,
            loc: r.loc,
            auth,
            api_key_required: field_bool(b.get("api_key_required")),
            function: None,
        });
    }
    for r in resources
        .iter()
        .filter(|r| r.rtype == "aws_api_gateway_integration")
    {
        let b = &r.body;
        let Some(api) = api_of(b.get("rest_api_id"), "aws_api_gateway_rest_api", api_pos) else {
            continue;
        };
        let Some(uri) = b.get("uri") else { continue };
        let Some(function) = local_id(&function_ref(uri, index)).map(str::to_string) else {
            continue;
        };
        let path = resource_path(b.get("resource_id"));
        let method = b
            .get("http_method")
            .and_then(V::scalar)
            .unwrap_or_else(|| "?".into())
            .to_ascii_uppercase();
        if let Some(&ri) = route_at.get(&(api, path, method)) {
            dep.apis[api].routes[ri].function = Some(function.clone());
        }
        if let Some(&i) = fn_pos.get(&function) {
            push_trigger(
                &mut dep.functions[i],
                Trigger {
                    kind: TriggerKind::RestApi,
                    loc: r.loc,
                    source: Ref::Local(dep.apis[api].id.clone()),
                },
            );
        }
    }
}

fn path_of(
    addr: &str,
    rest: &HashMap<&str, &Res>,
    memo: &mut HashMap<String, Option<String>>,
    depth: u32,
) -> Option<String> {
    if let Some(p) = memo.get(addr) {
        return p.clone();
    }
    if depth > 64 {
        return None;
    }
    // Guards against `parent_id` cycles.
    memo.insert(addr.to_string(), None);
    let r = rest.get(addr)?;
    let part = r.body.get("path_part").and_then(V::scalar);
    let parent = match r.body.get("parent_id").map(|v| &v.kind) {
        Some(Val::Ref { attr, .. }) if attr == "root_resource_id" => Some(String::new()),
        Some(Val::Ref { addr: p, .. }) if is_type(p, "aws_api_gateway_resource") => {
            path_of(p, rest, memo, depth + 1)
        }
        _ => None,
    };
    let path = match (parent, part) {
        (Some(parent), Some(part)) => Some(format!("{parent}/{part}")),
        _ => None,
    };
    memo.insert(addr.to_string(), path.clone());
    path
}

fn http_routes(
    dep: &mut Deployment,
    resources: &[Res],
    index: &Index,
    fn_pos: &HashMap<String, usize>,
    api_pos: &HashMap<String, usize>,
) {
    let integration_fn: HashMap<&str, Option<String>> = resources
        .iter()
        .filter(|r| r.rtype == "aws_apigatewayv2_integration")
        .map(|r| {
            let f = r
                .body
                .get("integration_uri")
                .and_then(|u| local_id(&function_ref(u, index)).map(str::to_string));
            (r.addr.as_str(), f)
        })
        .collect();
    for r in resources
        .iter()
        .filter(|r| r.rtype == "aws_apigatewayv2_route")
    {
        let b = &r.body;
        let Some(api) = api_of(b.get("api_id"), "aws_apigatewayv2_api", api_pos) else {
            continue;
        };
        let key = b
            .get("route_key")
            .and_then(V::scalar)
            .unwrap_or_else(|| "?".into());
        let websocket = dep.apis[api].kind == ApiKind::WebSocket;
        let (method, path) = match key.split_once(' ') {
            Some((m, p)) if !websocket => (m.to_ascii_uppercase(), p.to_string()),
            // WebSocket route keys (`$connect`, `sendMessage`) are the method.
            _ if websocket => (key.clone(), String::new()),
            _ => ("ANY".into(), key.clone()),
        };
        let auth = match b.get("authorization_type") {
            Some(v) => match v.scalar() {
                Some(s) => Field::Known(auth_kind(&s), v.loc),
                None => Field::Unknown(v.loc),
            },
            // The provider default is NONE.
            None => Field::Known(AuthKind::None, r.loc),
        };
        let function = b.get("target").and_then(|t| {
            let integration = match &t.kind {
                // Plans: the whole target is known after apply.
                Val::Ref { addr, .. } if is_type(addr, "aws_apigatewayv2_integration") => {
                    Some(addr.as_str())
                }
                Val::Unknown { .. } => t
                    .partial_refs()
                    .into_iter()
                    .map(|p| p.rsplit_once('.').map(|(a, _)| a).unwrap_or(p))
                    .find(|a| is_type(a, "aws_apigatewayv2_integration")),
                _ => None,
            }?;
            integration_fn.get(integration).cloned().flatten()
        });
        let api_id = dep.apis[api].id.clone();
        let kind = if dep.apis[api].kind == ApiKind::WebSocket {
            TriggerKind::WebSocketApi
        } else {
            TriggerKind::HttpApi
        };
        dep.apis[api].routes.push(Route {
            method,
            path,
            loc: r.loc,
            auth,
            api_key_required: field_bool(b.get("api_key_required")),
            function: function.clone(),
        });
        if let Some(&i) = function.as_ref().and_then(|f| fn_pos.get(f)) {
            push_trigger(
                &mut dep.functions[i],
                Trigger {
                    kind,
                    loc: r.loc,
                    source: Ref::Local(api_id),
                },
            );
        }
    }
}

/// CORS headers among REST response parameters (`<prefix>Access-Control-
/// Allow-Origin` = `"'*'"`); `None` without an Allow-Origin header.
fn rest_cors(params: &V, prefix: &str) -> Option<Cors> {
    if !params.is_known() {
        return Some(Cors {
            loc: params.loc,
            allow_origins: vec![Field::Unknown(params.loc)],
            allow_credentials: Field::Unknown(params.loc),
        });
    }
    let header = |name: &str| {
        let Val::Map(entries) = &params.kind else {
            return None;
        };
        entries
            .iter()
            .find(|(k, _)| {
                k.strip_prefix(prefix)
                    .is_some_and(|h| h.eq_ignore_ascii_case(name))
            })
            .map(|(_, v)| v)
    };
    let origin = header("Access-Control-Allow-Origin")?;
    let allow_credentials = match header("Access-Control-Allow-Credentials") {
        None => Field::Absent,
        Some(v) if v.is_null() => Field::Absent,
        Some(v) => match v.scalar() {
            Some(text) => Field::Known(text.trim().trim_matches('\'') == "true", v.loc),
            None => Field::Unknown(v.loc),
        },
    };
    Some(Cors {
        loc: origin.loc,
        allow_origins: vec![field_str(Some(origin))],
        allow_credentials,
    })
}

fn throttled(settings: &V, burst: &str, rate: &str) -> Field<bool> {
    let mut result = Field::Absent;
    for key in [burst, rate] {
        if let Some(v) = settings.get(key) {
            match v.as_i64() {
                // -1 (the provider default) disables throttling.
                Some(n) if n >= 0 => return Field::Known(true, v.loc),
                Some(_) => {}
                None if v.is_null() => {}
                None => result = Field::Unknown(v.loc),
            }
        }
    }
    result
}

fn merge_field(target: &mut Field<bool>, value: Field<bool>) {
    match (&*target, &value) {
        (_, Field::Known(true, _)) => *target = value,
        (Field::Absent, Field::Unknown(_)) => *target = value,
        _ => {}
    }
}

fn stages_and_protection(
    dep: &mut Deployment,
    resources: &[Res],
    api_pos: &HashMap<String, usize>,
) {
    // Stage address → API index, for WAF associations and usage plans.
    let mut stage_api: HashMap<&str, usize> = HashMap::default();
    let mut unresolved_waf: Option<Loc> = None;
    for r in resources.iter().filter(|r| !is_data(r)) {
        let b = &r.body;
        match r.rtype.as_str() {
            "aws_api_gateway_stage" => {
                let Some(api) = api_of(b.get("rest_api_id"), "aws_api_gateway_rest_api", api_pos)
                else {
                    continue;
                };
                stage_api.insert(r.addr.as_str(), api);
                let a = &mut dep.apis[api];
                match blocks(b, "access_log_settings") {
                    Ok(list) if !list.is_empty() => set_true(&mut a.access_logging, list[0].loc),
                    Ok(_) => {}
                    Err(loc) => merge_field(&mut a.access_logging, Field::Unknown(loc)),
                }
                merge_field(&mut a.tracing, field_bool(b.get("xray_tracing_enabled")));
            }
            "aws_apigatewayv2_stage" => {
                let Some(api) = api_of(b.get("api_id"), "aws_apigatewayv2_api", api_pos) else {
                    continue;
                };
                stage_api.insert(r.addr.as_str(), api);
                let a = &mut dep.apis[api];
                match blocks(b, "access_log_settings") {
                    Ok(list) if !list.is_empty() => set_true(&mut a.access_logging, list[0].loc),
                    Ok(_) => {}
                    Err(loc) => merge_field(&mut a.access_logging, Field::Unknown(loc)),
                }
                for key in ["default_route_settings", "route_settings"] {
                    match blocks(b, key) {
                        Ok(list) => {
                            for s in list {
                                merge_field(
                                    &mut a.throttling,
                                    throttled(s, "throttling_burst_limit", "throttling_rate_limit"),
                                );
                            }
                        }
                        Err(loc) => merge_field(&mut a.throttling, Field::Unknown(loc)),
                    }
                }
            }
            _ => {}
        }
    }
    for r in resources.iter().filter(|r| !is_data(r)) {
        let b = &r.body;
        match r.rtype.as_str() {
            // REST APIs answer CORS with headers set on integration
            // responses (the OPTIONS preflight's MOCK integration) or on
            // gateway responses, as quoted literals: `"'*'"`.
            "aws_api_gateway_integration_response" | "aws_api_gateway_gateway_response" => {
                let Some(api) = api_of(b.get("rest_api_id"), "aws_api_gateway_rest_api", api_pos)
                else {
                    continue;
                };
                let prefix = if r.rtype == "aws_api_gateway_gateway_response" {
                    "gatewayresponse.header."
                } else {
                    "method.response.header."
                };
                if let Some(cors) = b
                    .get("response_parameters")
                    .and_then(|p| rest_cors(p, prefix))
                {
                    let a = &mut dep.apis[api];
                    let open = |c: &Cors| {
                        c.allow_credentials.value() == Some(&true)
                            && c.allow_origins
                                .iter()
                                .any(|o| o.as_deref().is_some_and(|v| v.trim_matches('\'') == "*"))
                    };
                    if a.cors.as_ref().is_none_or(|old| !open(old) && open(&cors)) {
                        a.cors = Some(cors);
                    }
                }
            }
            "aws_api_gateway_rest_api_policy" => {
                let Some(api) = api_of(b.get("rest_api_id"), "aws_api_gateway_rest_api", api_pos)
                else {
                    continue;
                };
                if let Some(p) = b.get("policy") {
                    dep.apis[api].resource_policy = Some(policy_of(p));
                }
            }
            "aws_api_gateway_method_settings" => {
                let Some(api) = api_of(b.get("rest_api_id"), "aws_api_gateway_rest_api", api_pos)
                else {
                    continue;
                };
                match blocks(b, "settings") {
                    Ok(list) => {
                        for s in list {
                            merge_field(
                                &mut dep.apis[api].throttling,
                                throttled(s, "throttling_burst_limit", "throttling_rate_limit"),
                            );
                        }
                    }
                    Err(loc) => merge_field(&mut dep.apis[api].throttling, Field::Unknown(loc)),
                }
            }
            "aws_api_gateway_usage_plan" => {
                let throttle = match blocks(b, "throttle_settings") {
                    Ok(list) => list
                        .first()
                        .map(|t| throttled(t, "burst_limit", "rate_limit"))
                        .unwrap_or(Field::Absent),
                    Err(loc) => Field::Unknown(loc),
                };
                if throttle.is_absent() {
                    continue;
                }
                let Ok(stages) = blocks(b, "api_stages") else {
                    continue;
                };
                for s in stages {
                    if let Some(api) = api_of(s.get("api_id"), "aws_api_gateway_rest_api", api_pos)
                    {
                        merge_field(&mut dep.apis[api].throttling, throttle.clone());
                    }
                }
            }
            "aws_wafv2_web_acl_association" | "aws_wafregional_web_acl_association" => {
                let target = b.get("resource_arn");
                let api_at = |addr: &str| {
                    stage_api
                        .get(addr)
                        .copied()
                        .or_else(|| api_pos.get(addr).copied())
                };
                let api = match target.map(|v| &v.kind) {
                    Some(Val::Ref { addr, .. }) => api_at(addr),
                    // "arn:aws:apigateway:${region}::/restapis/${api.id}/stages/..."
                    Some(Val::Unknown { .. }) => target.and_then(|t| {
                        t.partial_refs()
                            .into_iter()
                            .filter_map(|p| p.rsplit_once('.').map(|(a, _)| a))
                            .find_map(api_at)
                    }),
                    _ => None,
                };
                match api {
                    Some(api) => set_true(&mut dep.apis[api].waf, r.loc),
                    None => unresolved_waf = Some(r.loc),
                }
            }
            _ => {}
        }
    }
    // An association we cannot place may protect any API: say unknown
    // rather than "no WAF".
    if let Some(loc) = unresolved_waf {
        for a in dep.apis.iter_mut() {
            if a.waf.is_absent() {
                a.waf = Field::Unknown(loc);
            }
        }
    }
}

// ---------- logs, alarms, trails ----------

fn function_by_name(v: &V, index: &Index) -> (Option<String>, bool) {
    match function_ref(v, index) {
        Ref::Local(id) => (Some(id), false),
        Ref::External(_) => (None, false),
        Ref::Unknown => match v.shape().and_then(|s| index.function_by_shape(&s)) {
            Some(id) => (Some(id), false),
            None => (None, true),
        },
    }
}

fn log_groups_and_alarms(dep: &mut Deployment, resources: &[Res], index: &Index) {
    // Functions that name their log group (`logging_config.log_group`).
    let custom_groups: HashMap<String, String> = dep
        .functions
        .iter()
        .filter_map(|f| Some((f.log_group.as_deref()?.to_string(), f.id.clone())))
        .collect();
    for r in resources.iter().filter(|r| !is_data(r)) {
        let b = &r.body;
        match r.rtype.as_str() {
            "aws_cloudwatch_log_group" => {
                let name_v = b.get("name");
                let function = name_v.and_then(|v| match &v.kind {
                    Val::Str(s) => s
                        .strip_prefix("/aws/lambda/")
                        .and_then(|n| index.function_names.get(n).cloned())
                        .or_else(|| custom_groups.get(s).cloned()),
                    Val::Unknown { .. } => v
                        .partial_refs()
                        .into_iter()
                        .map(|p| p.rsplit_once('.').map(|(a, _)| a).unwrap_or(p))
                        .find(|a| is_type(a, "aws_lambda_function"))
                        .map(str::to_string),
                    _ => None,
                });
                let function = function.or_else(|| {
                    let shape = name_v?.shape()?;
                    log_group_function_by_shape(shape.strip_prefix("/aws/lambda/")?, index)
                });
                dep.log_groups.push(LogGroup {
                    id: r.addr.clone(),
                    loc: r.loc,
                    name: field_str(name_v),
                    retention_days: match field_i64(b.get("retention_in_days")) {
                        // 0 is the provider's "never expire".
                        Field::Known(0, _) => Field::Absent,
                        other => other,
                    },
                    function,
                    ignores: Vec::new(),
                });
            }
            "aws_cloudwatch_metric_alarm" => {
                let mut metrics = Vec::new();
                if b.get("metric_name").is_some() || b.get("namespace").is_some() {
                    metrics.push(alarm_metric(b, index));
                }
                if let Ok(queries) = blocks(b, "metric_query") {
                    for q in queries {
                        if let Some(m) = first_block(q, "metric") {
                            metrics.push(alarm_metric(m, index));
                        }
                    }
                }
                dep.alarms.push(Alarm {
                    id: r.addr.clone(),
                    loc: r.loc,
                    metrics,
                    ignores: Vec::new(),
                });
            }
            _ => {}
        }
    }
}

/// The function whose open name ends the log group name: the exact shape,
/// or that shape after a prefix made only of unknown pieces, as modules
/// write `"/aws/lambda/${var.lambda_at_edge ? "us-east-1." : ""}${var.function_name}"`
/// for Lambda@Edge's region-prefixed groups.
fn log_group_function_by_shape(rest: &str, index: &Index) -> Option<String> {
    if let Some(id) = index.function_by_shape(rest) {
        return Some(id);
    }
    let hole = super::value::HOLE;
    // Byte offsets of the HOLE characters; holes are pairs (open, close).
    let marks: Vec<usize> = rest.match_indices(hole).map(|(i, _)| i).collect();
    let mut expected_start = 0;
    for pair in marks.chunks_exact(2) {
        let (open, close) = (pair[0], pair[1]);
        // Literal text before this hole: the prefix is not only unknown.
        if open != expected_start {
            return None;
        }
        let next = close + hole.len_utf8();
        if next >= rest.len() {
            return None;
        }
        if let Some(id) = index.function_by_shape(&rest[next..]) {
            return Some(id);
        }
        expected_start = next;
    }
    None
}

fn alarm_metric(m: &V, index: &Index) -> AlarmMetric {
    let (function, function_unknown, has_function_dimension) = match m.get("dimensions") {
        Some(d) if d.is_known() => match d.get("FunctionName") {
            Some(v) => {
                let (function, unknown) = function_by_name(v, index);
                (function, unknown, true)
            }
            None => (None, false, false),
        },
        Some(_) => (None, true, true),
        None => (None, false, false),
    };
    AlarmMetric {
        namespace: field_str(m.get("namespace")),
        metric_name: field_str(m.get("metric_name")),
        function,
        function_unknown,
        has_function_dimension,
    }
}

fn trails(dep: &mut Deployment, resources: &[Res]) {
    for r in resources
        .iter()
        .filter(|r| r.rtype == "aws_cloudtrail" && !is_data(r))
    {
        let b = &r.body;
        let mut records: Field<bool> = Field::Known(false, r.loc);
        match blocks(b, "event_selector") {
            Ok(list) => {
                for sel in list {
                    match blocks(sel, "data_resource") {
                        Ok(drs) => {
                            for dr in drs {
                                match dr.get("type").map(|t| (t.scalar(), t.loc)) {
                                    Some((Some(t), loc)) if t == "AWS::Lambda::Function" => {
                                        records = Field::Known(true, loc)
                                    }
                                    Some((None, loc)) => {
                                        merge_field(&mut records, Field::Unknown(loc))
                                    }
                                    _ => {}
                                }
                            }
                        }
                        Err(loc) => unknown_unless_true(&mut records, loc),
                    }
                }
            }
            Err(loc) => unknown_unless_true(&mut records, loc),
        }
        match blocks(b, "advanced_event_selector") {
            Ok(list) => {
                for sel in list {
                    match blocks(sel, "field_selector") {
                        Ok(fields) => {
                            for fs in fields {
                                if fs.get("field").and_then(V::as_str) != Some("resources.type") {
                                    continue;
                                }
                                match fs.get("equals") {
                                    Some(eq)
                                        if eq.is_known()
                                            && eq.items().iter().any(|e| {
                                                e.as_str() == Some("AWS::Lambda::Function")
                                            }) =>
                                    {
                                        records = Field::Known(true, eq.loc);
                                    }
                                    Some(eq) if eq.is_known() => {}
                                    Some(eq) => unknown_unless_true(&mut records, eq.loc),
                                    None => {}
                                }
                            }
                        }
                        Err(loc) => unknown_unless_true(&mut records, loc),
                    }
                }
            }
            Err(loc) => unknown_unless_true(&mut records, loc),
        }
        dep.trails.push(Trail {
            id: r.addr.clone(),
            loc: r.loc,
            lambda_data_events: records,
            ignores: Vec::new(),
        });
    }
}

fn unknown_unless_true(field: &mut Field<bool>, loc: Loc) {
    if field.value() != Some(&true) {
        *field = Field::Unknown(loc);
    }
}

// ---------- security groups ----------

fn sg_rules(rule: &V, cidr_keys: &[&str], protocol_key: &str, out: &mut Vec<SgRule>) {
    let protocol = field_str(rule.get(protocol_key));
    let from_port = field_i64(rule.get("from_port"));
    let to_port = field_i64(rule.get("to_port"));
    let mut any = false;
    for key in cidr_keys {
        let Some(cidrs) = rule.get(key) else { continue };
        if cidrs.is_null() {
            continue;
        }
        if !cidrs.is_known() {
            any = true;
            out.push(SgRule {
                loc: cidrs.loc,
                cidr: Field::Unknown(cidrs.loc),
                protocol: protocol.clone(),
                from_port: from_port.clone(),
                to_port: to_port.clone(),
                peer_group: None,
                implicit: false,
            });
            continue;
        }
        for c in cidrs.items() {
            any = true;
            out.push(SgRule {
                loc: c.loc,
                cidr: field_str(Some(c)),
                protocol: protocol.clone(),
                from_port: from_port.clone(),
                to_port: to_port.clone(),
                peer_group: None,
                implicit: false,
            });
        }
    }
    if !any {
        // To another security group or a prefix list: no CIDR.
        out.push(SgRule {
            loc: rule.loc,
            cidr: Field::Absent,
            protocol,
            from_port,
            to_port,
            peer_group: None,
            implicit: false,
        });
    }
}

fn security_groups(dep: &mut Deployment, resources: &[Res]) {
    let mut sg_pos: HashMap<String, usize> = HashMap::default();
    for r in resources
        .iter()
        .filter(|r| r.rtype == "aws_security_group" && !is_data(r))
    {
        let mut sg = SecurityGroup {
            id: r.addr.clone(),
            loc: r.loc,
            egress: Vec::new(),
            ingress: network::inline_ingress(r),
            ignores: Vec::new(),
        };
        // Unlike CloudFormation, Terraform removes the default allow-all
        // egress rule: no `egress` means no egress.
        match r.body.get("egress") {
            Some(v) if !v.is_known() => sg.egress.push(SgRule {
                loc: v.loc,
                cidr: Field::Unknown(v.loc),
                protocol: Field::Unknown(v.loc),
                from_port: Field::Unknown(v.loc),
                to_port: Field::Unknown(v.loc),
                peer_group: None,
                implicit: false,
            }),
            Some(v) => {
                for rule in v.items() {
                    if matches!(rule.kind, Val::Map(_)) {
                        network::sg_rules_with_peers(
                            rule,
                            &["cidr_blocks", "ipv6_cidr_blocks"],
                            "protocol",
                            &["security_groups"],
                            &r.addr,
                            &mut sg.egress,
                        );
                    }
                }
            }
            None => {}
        }
        sg_pos.insert(r.addr.clone(), dep.security_groups.len());
        dep.security_groups.push(sg);
    }
    network::standalone_rules(dep, resources, &sg_pos, network::Direction::Egress);
    network::standalone_rules(dep, resources, &sg_pos, network::Direction::Ingress);
}

// ---------- resource policies of buckets, queues and topics ----------

/// The bucket, queue or topic resource types, with the argument that names
/// each (bucket name, queue name, topic name).
const POLICY_TARGET_TYPES: &[(&str, &str)] = &[
    ("aws_s3_bucket", "bucket"),
    ("aws_sqs_queue", "name"),
    ("aws_sns_topic", "name"),
];

/// The element a policy's `bucket` / `queue_url` / `arn` names: by
/// reference, or by the name the module gives it (a bucket name, the last
/// segment of a queue URL or topic ARN).
fn policy_target(v: &V, rtype: &str, names: &HashMap<(&str, &str), &str>) -> Ref {
    match link(v, &[rtype], None) {
        Ref::External(text) => {
            let name = text.rsplit([':', '/']).next().unwrap_or(&text);
            match names.get(&(rtype, name)) {
                Some(addr) if !name.is_empty() => Ref::Local(addr.to_string()),
                _ => Ref::External(text),
            }
        }
        other => other,
    }
}

fn resource_policies(dep: &mut Deployment, resources: &[Res]) {
    let relevant = |r: &&Res| {
        !is_data(r)
            && (POLICY_TARGET_TYPES.iter().any(|(t, _)| r.rtype == *t)
                || matches!(
                    r.rtype.as_str(),
                    "aws_s3_bucket_policy"
                        | "aws_sqs_queue_policy"
                        | "aws_sns_topic_policy"
                        | "aws_s3_bucket_acl"
                        | "aws_s3_bucket_ownership_controls"
                        | "aws_s3_bucket_public_access_block"
                ))
    };
    let resources: Vec<&Res> = resources.iter().filter(relevant).collect();
    if resources.is_empty() {
        return;
    }
    let mut names: HashMap<(&str, &str), &str> = HashMap::default();
    for r in &resources {
        if let Some((rtype, key)) = POLICY_TARGET_TYPES.iter().find(|(t, _)| r.rtype == *t) {
            if let Some(name) = r.body.get(key).and_then(V::as_str) {
                names.insert((rtype, name), r.addr.as_str());
            }
        }
    }
    // Buckets whose ACLs S3 does not honour: ACLs disabled
    // (`BucketOwnerEnforced`) or public ACLs ignored; and buckets whose
    // Block Public Access neutralizes public policies.
    // By address: a lookup per bucket, policy and trigger keeps large
    // modules linear.
    let mut acls_off: HashSet<String> = HashSet::default();
    let mut policies_blocked: HashSet<String> = HashSet::default();
    let names_in =
        |set: &HashSet<String>, target: &Ref| local_id(target).is_some_and(|id| set.contains(id));
    for r in &resources {
        let b = &r.body;
        let set = |key: &str| b.get(key).and_then(V::as_bool) == Some(true);
        let (acl_off, policy_blocked) = match r.rtype.as_str() {
            "aws_s3_bucket_ownership_controls" => (
                first_block(b, "rule")
                    .and_then(|rule| rule.get("object_ownership"))
                    .and_then(V::as_str)
                    == Some("BucketOwnerEnforced"),
                false,
            ),
            "aws_s3_bucket_public_access_block" => (
                set("ignore_public_acls"),
                set("restrict_public_buckets") || set("block_public_policy"),
            ),
            _ => (false, false),
        };
        if let Some(bucket) = b.get("bucket").filter(|_| acl_off || policy_blocked) {
            if let Ref::Local(id) = policy_target(bucket, "aws_s3_bucket", &names) {
                if acl_off {
                    acls_off.insert(id.clone());
                }
                if policy_blocked {
                    policies_blocked.insert(id);
                }
            }
        }
    }
    for r in &resources {
        let b = &r.body;
        let (kind, target_key, target_type) = match r.rtype.as_str() {
            "aws_s3_bucket_policy" => (ResourcePolicyKind::Bucket, "bucket", "aws_s3_bucket"),
            "aws_sqs_queue_policy" => (ResourcePolicyKind::Queue, "queue_url", "aws_sqs_queue"),
            "aws_sns_topic_policy" => (ResourcePolicyKind::Topic, "arn", "aws_sns_topic"),
            // The legacy inline arguments of the element itself.
            "aws_s3_bucket" | "aws_sqs_queue" | "aws_sns_topic" => {
                let kind = match r.rtype.as_str() {
                    "aws_s3_bucket" => ResourcePolicyKind::Bucket,
                    "aws_sqs_queue" => ResourcePolicyKind::Queue,
                    _ => ResourcePolicyKind::Topic,
                };
                let target = Ref::Local(r.addr.clone());
                if let Some(policy) = b.get("policy").filter(|p| !is_empty_policy(p)) {
                    dep.resource_policies.push(ResourcePolicy {
                        id: r.addr.clone(),
                        loc: policy.loc,
                        kind,
                        targets: vec![target.clone()],
                        policy: policy_of(policy),
                        canned_acl: None,
                        public_policy_blocked: names_in(&policies_blocked, &target),
                        ignores: Vec::new(),
                    });
                }
                if r.rtype == "aws_s3_bucket" && !names_in(&acls_off, &target) {
                    push_public_acl(dep, r, target);
                }
                continue;
            }
            "aws_s3_bucket_acl" => {
                let target = b
                    .get("bucket")
                    .map(|v| policy_target(v, "aws_s3_bucket", &names))
                    .unwrap_or(Ref::Unknown);
                if !names_in(&acls_off, &target) {
                    push_public_acl(dep, r, target);
                }
                continue;
            }
            _ => continue,
        };
        let Some(policy) = b.get("policy") else {
            continue;
        };
        let targets: Vec<Ref> = b
            .get(target_key)
            .map(|v| vec![policy_target(v, target_type, &names)])
            .unwrap_or_default();
        let public_policy_blocked = targets.iter().any(|t| names_in(&policies_blocked, t));
        dep.resource_policies.push(ResourcePolicy {
            id: r.addr.clone(),
            loc: r.loc,
            kind,
            targets,
            policy: policy_of(policy),
            canned_acl: None,
            public_policy_blocked,
            ignores: Vec::new(),
        });
    }
    local_trigger_sources(dep, &names);
}

/// A permission's `source_arn` often spells out the ARN of a bucket, queue
/// or topic of the module (`"arn:aws:s3:::${aws_s3_bucket.b.bucket}"`
/// evaluates to text): such a trigger's source is that element, which is
/// what its resource policies apply to. Only sources that have a resource
/// policy are relinked: elsewhere who may write is not in question.
fn local_trigger_sources(dep: &mut Deployment, names: &HashMap<(&str, &str), &str>) {
    let with_policy: HashSet<&str> = dep
        .resource_policies
        .iter()
        .flat_map(|p| &p.targets)
        .filter_map(local_id)
        .collect();
    if with_policy.is_empty() {
        return;
    }
    for f in &mut dep.functions {
        for t in &mut f.triggers {
            let Ref::External(arn) = &t.source else {
                continue;
            };
            let rtype = match t.kind {
                TriggerKind::S3 => "aws_s3_bucket",
                TriggerKind::Sqs => "aws_sqs_queue",
                TriggerKind::Sns => "aws_sns_topic",
                _ => continue,
            };
            // `arn:aws:s3:::NAME`, `arn:aws:sqs:REGION:ACCOUNT:NAME`,
            // `arn:aws:sns:REGION:ACCOUNT:NAME`.
            let Some(name) = arn.strip_prefix("arn:").and_then(|r| r.rsplit(':').next()) else {
                continue;
            };
            if let Some(addr) = names
                .get(&(rtype, name))
                .filter(|addr| with_policy.contains(*addr))
            {
                t.source = Ref::Local(addr.to_string());
            }
        }
    }
}

/// `policy = ""` or `null`: the argument is there but sets nothing.
fn is_empty_policy(v: &V) -> bool {
    v.is_null() || v.as_str().is_some_and(|s| s.trim().is_empty())
}

/// The `acl` of an `aws_s3_bucket` (legacy) or `aws_s3_bucket_acl`, when it
/// lets everyone write.
fn push_public_acl(dep: &mut Deployment, r: &Res, target: Ref) {
    let Some(acl) = r.body.get("acl") else {
        return;
    };
    let Some(text) = acl.as_str().filter(|a| is_public_write_acl(a)) else {
        return;
    };
    dep.resource_policies.push(ResourcePolicy::public_write_acl(
        r.addr.clone(),
        target,
        text.to_string(),
        acl.loc,
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_types() {
        assert_eq!(addr_type("aws_iam_role.x"), "aws_iam_role");
        assert_eq!(
            addr_type("data.aws_iam_policy_document.p"),
            "aws_iam_policy_document"
        );
        assert_eq!(
            addr_type("module.m.aws_lambda_function.f"),
            "aws_lambda_function"
        );
        assert_eq!(addr_type("module.m.data.aws_region.r"), "aws_region");
    }

    #[test]
    fn secret_arns() {
        assert!(is_secret_arn(
            "arn:aws:secretsmanager:eu-west-1:1:secret:db"
        ));
        assert!(is_secret_arn("arn:aws:ssm:eu-west-1:1:parameter/db"));
        assert!(!is_secret_arn("arn:aws:s3:::bucket"));
    }
}
