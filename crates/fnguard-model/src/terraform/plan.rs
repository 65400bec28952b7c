//! `terraform show -json` plans: `planned_values` (root and child modules)
//! give the values; `resource_changes[].change.after_unknown` marks what is
//! computed at apply time, and `configuration` tells which resource such a
//! value comes from (`"references": ["aws_iam_role.x.arn", ...]`).
//! `terraform show -json` of a state (`values` instead of `planned_values`)
//! reads the same way: every value is known, links go by name and ARN.

use super::value::{Val, V};
use super::{build, Res};
use crate::model::{Deployment, Parameter, SourceFormat};
use crate::LoadError;
use fnguard_core::fast_hash::{HashMap, HashSet};
use fnguard_core::{Field, Loc, Node, NodeKind};

/// Child modules nested deeper than this are ignored (real plans stay far
/// below; hostile ones must not exhaust the stack).
const MAX_MODULE_DEPTH: usize = 32;
const MAX_VALUE_DEPTH: usize = 128;

/// Optional arguments the AWS provider fills in itself when the
/// configuration leaves them out, so a plan shows them as "known after
/// apply": `logging_config` (Text), `tracing_config` (PassThrough), a role's
/// `inline_policy`/`managed_policy_arns` (whatever other resources attach),
/// a security group's rules. Not written in the configuration, they mean
/// what their absence means in HCL, not "unknown".
const PROVIDER_DEFAULTED: &[&str] = &[
    "logging_config",
    "tracing_config",
    "inline_policy",
    "managed_policy_arns",
    "egress",
    "ingress",
    // Data stores: the engine's port.
    "port",
];

pub(crate) fn load(path: &str, root: &Node) -> Result<Deployment, LoadError> {
    if root.as_map().is_none()
        || (root.get("planned_values").is_none() && root.get("format_version").is_none())
    {
        return Err(LoadError::new(
            path,
            root.loc.line,
            root.loc.col,
            "not a Terraform plan in `terraform show -json` form (no planned_values)",
        ));
    }
    let mut dep = Deployment::new(SourceFormat::TerraformPlan, vec![path.to_string()]);

    let mut after_unknown: HashMap<&str, &Node> = HashMap::default();
    if let Some(changes) = root.get("resource_changes").and_then(Node::as_seq) {
        for change in changes {
            if let (Some(addr), Some(unknown)) = (
                change.get("address").and_then(Node::as_str),
                change.path(&["change", "after_unknown"]),
            ) {
                after_unknown.insert(addr, unknown);
            }
        }
    }

    // Configuration expressions by plain address (module path included).
    let mut config: HashMap<String, &Node> = HashMap::default();
    if let Some(module) = root.path(&["configuration", "root_module"]) {
        collect_config(module, "", &mut config, 0);
        if let Some(vars) = module.get("variables").and_then(Node::as_map) {
            for entry in vars {
                let default = match entry.value.get("default") {
                    None => Field::Absent,
                    Some(d) if d.is_null() => Field::Absent,
                    Some(d) => match d.scalar_text() {
                        Some(s) => Field::Known(s.into_owned(), d.loc),
                        None => Field::Unknown(d.loc),
                    },
                };
                dep.parameters.push(Parameter {
                    id: format!("var.{}", entry.key),
                    loc: entry.value.loc,
                    default,
                    no_echo: entry
                        .value
                        .get("sensitive")
                        .and_then(Node::as_bool)
                        .unwrap_or(false),
                    ignores: Vec::new(),
                });
            }
        }
    }

    let mut raw: Vec<Planned> = Vec::new();
    // `terraform show -json` of a state (no plan file) has `values`
    // instead of `planned_values`: what is deployed now.
    let planned = root
        .path(&["planned_values", "root_module"])
        .or_else(|| root.path(&["values", "root_module"]));
    if let Some(module) = planned {
        let mut nodes = Vec::new();
        collect_resources(module, &mut nodes, 0);
        raw.extend(nodes.into_iter().map(|n| {
            Planned {
                node: n,
                values: n.get("values"),
                unknown: n
                    .get("address")
                    .and_then(Node::as_str)
                    .and_then(|a| after_unknown.get(a).copied()),
                sensitive: n.get("sensitive_values"),
            }
        }));
    }
    // Data sources read during planning live in the prior state.
    if let Some(module) = root.path(&["prior_state", "values", "root_module"]) {
        let mut prior = Vec::new();
        collect_resources(module, &mut prior, 0);
        raw.extend(
            prior
                .into_iter()
                .filter(|r| r.get("mode").and_then(Node::as_str) == Some("data"))
                .map(|n| Planned {
                    node: n,
                    values: n.get("values"),
                    unknown: None,
                    sensitive: n.get("sensitive_values"),
                }),
        );
    }
    // A data source whose arguments are known only after apply (a policy
    // document naming a role being created) is read then: only its planned
    // change says what it holds.
    if let Some(changes) = root.get("resource_changes").and_then(Node::as_seq) {
        for change in changes {
            if change.get("mode").and_then(Node::as_str) != Some("data") {
                continue;
            }
            raw.push(Planned {
                node: change,
                values: change.path(&["change", "after"]),
                unknown: change.path(&["change", "after_unknown"]),
                sensitive: change.path(&["change", "after_sensitive"]),
            });
        }
    }

    // `count`/`for_each` instances are addressed `x.y[0]`/`x.y["k"]`;
    // configuration references name `x.y` (often without the index, as in
    // `x.y[each.key].arn`): they go to the instance with the same key in
    // the same module instance when there is one, else the first instance.
    let mut first_instance: HashMap<String, String> = HashMap::default();
    let mut addresses: HashSet<String> = HashSet::default();
    for r in &raw {
        if let Some(addr) = r.node.get("address").and_then(Node::as_str) {
            first_instance
                .entry(plain_address(addr))
                .or_insert_with(|| addr.to_string());
            addresses.insert(addr.to_string());
        }
    }

    let mut resources: Vec<Res> = Vec::new();
    let mut seen: HashSet<String> = HashSet::default();
    for r in raw {
        let (Some(addr), Some(rtype)) = (
            r.node.get("address").and_then(Node::as_str),
            r.node.get("type").and_then(Node::as_str),
        ) else {
            dep.warnings.push(crate::model::LoadWarning {
                loc: r.node.loc,
                message: "plan resource without address or type".into(),
            });
            continue;
        };
        if !seen.insert(addr.to_string()) {
            continue;
        }
        let plain = plain_address(addr);
        let module_prefix = module_prefix(&plain);
        let (instance_prefix, own_key) = instance_parts(addr);
        let ctx = Ctx {
            prefix: &module_prefix,
            instance_prefix,
            own_key,
            first_instance: &first_instance,
            addresses: &addresses,
            config: &config,
            loc: r.node.loc,
        };
        let mut refs = Vec::new();
        let expressions = config.get(&plain).and_then(|c| c.get("expressions"));
        if let Some(e) = expressions {
            collect_refs(e, &ctx, &mut refs, 0);
        }
        let marks = Marks {
            unknown: r.unknown,
            sensitive: r.sensitive,
        };
        let body = merge(r.values, marks, expressions, &ctx, 0)
            .unwrap_or_else(|| V::new(Val::Map(Vec::new()), r.node.loc));
        let mut body = match body.kind {
            Val::Map(_) => body,
            _ => V::new(Val::Map(Vec::new()), r.node.loc),
        };
        if let (Some(c), Val::Map(entries)) = (config.get(&plain), &mut body.kind) {
            let configured = |key: &str| c.get("expressions").and_then(|e| e.get(key)).is_some();
            entries.retain(|(key, v)| {
                v.is_known() || !PROVIDER_DEFAULTED.contains(&key.as_str()) || configured(key)
            });
        }
        resources.push(Res {
            addr: addr.to_string(),
            rtype: rtype.to_string(),
            is_data: super::build::is_data_addr(addr),
            loc: r.node.loc,
            body,
            refs,
        });
    }
    resolve_policy_documents(&mut resources);
    build::build(&mut dep, &resources);
    Ok(dep)
}

/// A resource object of the plan with the trees that describe its values.
struct Planned<'n> {
    node: &'n Node,
    values: Option<&'n Node>,
    unknown: Option<&'n Node>,
    sensitive: Option<&'n Node>,
}

struct Ctx<'a> {
    /// `module.a.` (no instance keys) of the resource being read.
    prefix: &'a str,
    /// `module.a["k"].` as in the resource's own address.
    instance_prefix: &'a str,
    /// The resource's own `[key]`, empty when it has none.
    own_key: &'a str,
    first_instance: &'a HashMap<String, String>,
    addresses: &'a HashSet<String>,
    /// Configuration by plain address, and module calls by `module.a.`.
    config: &'a HashMap<String, &'a Node>,
    loc: Loc,
}

fn collect_resources<'n>(module: &'n Node, out: &mut Vec<&'n Node>, depth: usize) {
    if depth > MAX_MODULE_DEPTH {
        return;
    }
    if let Some(list) = module.get("resources").and_then(Node::as_seq) {
        out.extend(list.iter());
    }
    if let Some(children) = module.get("child_modules").and_then(Node::as_seq) {
        for child in children {
            collect_resources(child, out, depth + 1);
        }
    }
}

fn collect_config<'n>(
    module: &'n Node,
    prefix: &str,
    out: &mut HashMap<String, &'n Node>,
    depth: usize,
) {
    if depth > MAX_MODULE_DEPTH {
        return;
    }
    if let Some(list) = module.get("resources").and_then(Node::as_seq) {
        for r in list {
            if let Some(addr) = r.get("address").and_then(Node::as_str) {
                out.insert(format!("{prefix}{addr}"), r);
            }
        }
    }
    if let Some(calls) = module.get("module_calls").and_then(Node::as_map) {
        for call in calls {
            let child_prefix = format!("{prefix}module.{}.", call.key);
            // The call itself, under its prefix (resource keys never end
            // with a dot): its `expressions` feed the module's variables.
            out.insert(child_prefix.clone(), &call.value);
            if let Some(child) = call.value.get("module") {
                collect_config(child, &child_prefix, out, depth + 1);
            }
        }
    }
}

/// `module.a["k"].aws_x.y[0]` → `module.a.aws_x.y`.
fn plain_address(addr: &str) -> String {
    let mut out = String::with_capacity(addr.len());
    let mut depth = 0;
    for c in addr.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// The `module.x.` prefix of a plain address (empty at the root).
fn module_prefix(plain: &str) -> String {
    let parts: Vec<&str> = plain.split('.').collect();
    let mut i = 0;
    let mut prefix = String::new();
    while i + 1 < parts.len() && parts[i] == "module" {
        prefix.push_str("module.");
        prefix.push_str(parts[i + 1]);
        prefix.push('.');
        i += 2;
    }
    prefix
}

/// `module.a["k"].aws_x.y["z"]` → (`module.a["k"].`, `["z"]`).
fn instance_parts(addr: &str) -> (&str, &str) {
    let segments = segments(addr);
    let mut i = 0;
    let mut prefix_end = 0;
    while i + 1 < segments.len() && segment_name(segments[i].1) == "module" {
        prefix_end = segments[i + 1].0 + segments[i + 1].1.len() + 1;
        i += 2;
    }
    let prefix = addr.get(..prefix_end.min(addr.len())).unwrap_or("");
    let key = match addr.rfind('[') {
        Some(open) if addr.ends_with(']') && open >= prefix_end => &addr[open..],
        _ => "",
    };
    (prefix, key)
}

/// Dot-separated segments of a reference with their byte offsets; dots
/// inside `[...]` keys do not split.
fn segments(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut in_string = false;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '"' => in_string = !in_string,
            '[' if !in_string => depth += 1,
            ']' if !in_string => depth -= 1,
            '.' if depth == 0 && !in_string => {
                out.push((start, &text[start..i]));
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push((start, &text[start..]));
    out
}

/// A segment without its `[key]`.
fn segment_name(segment: &str) -> &str {
    segment.split('[').next().unwrap_or(segment)
}

/// A configuration reference (`aws_iam_role.x.arn`, `data.t.n.json`,
/// `aws_x.y[0].arn`) as the address of the planned instance it means and
/// the attribute; variables, locals and the like are not resources.
fn parse_reference(text: &str, ctx: &Ctx) -> Option<(String, String)> {
    let segments = segments(text);
    let addr_len = match segment_name(segments.first()?.1) {
        "var" => return module_input(segments.get(1).map(|(_, s)| segment_name(s))?, ctx),
        "local" | "each" | "count" | "path" | "self" | "terraform" | "module" => return None,
        "data" => 3,
        _ => 2,
    };
    if segments.len() < addr_len {
        return None;
    }
    let written: Vec<&str> = segments[..addr_len].iter().map(|(_, s)| *s).collect();
    let written = written.join(".");
    let plain_local = plain_address(&written);
    let attr: Vec<&str> = segments[addr_len..]
        .iter()
        .map(|(_, s)| segment_name(s))
        .collect();
    let attr = attr.join(".");
    let candidates = [
        // As written, in this module instance (`aws_x.y[0]`).
        format!("{}{written}", ctx.instance_prefix),
        // The instance with this resource's own key (`for_each` pairs).
        format!("{}{plain_local}{}", ctx.instance_prefix, ctx.own_key),
        format!("{}{plain_local}", ctx.instance_prefix),
    ];
    let addr = candidates
        .into_iter()
        .find(|c| ctx.addresses.contains(c))
        .unwrap_or_else(|| {
            let plain = format!("{}{plain_local}", ctx.prefix);
            ctx.first_instance.get(&plain).cloned().unwrap_or(plain)
        });
    Some((addr, attr))
}

/// Inside a child module, `var.x` is what the calling module passes as
/// `x` (`lambda_role = aws_iam_role.shared.arn`): that reference, resolved
/// in the caller, with the module instance's own key for `each.key`.
fn module_input(name: &str, ctx: &Ctx) -> Option<(String, String)> {
    if ctx.prefix.is_empty() {
        return None;
    }
    let expr = ctx.config.get(ctx.prefix)?.get("expressions")?.get(name)?;
    let parent_prefix = strip_last_module(ctx.prefix);
    let instance = strip_last_module(ctx.instance_prefix);
    // `module.a["k"].` → `["k"]`
    let module_key = ctx
        .instance_prefix
        .get(instance.len()..)
        .map(|last| last.trim_end_matches('.'))
        .and_then(|last| last.find('[').and_then(|i| last.get(i..)))
        .unwrap_or("");
    let parent = Ctx {
        prefix: parent_prefix,
        instance_prefix: instance,
        own_key: module_key,
        first_instance: ctx.first_instance,
        addresses: ctx.addresses,
        config: ctx.config,
        loc: ctx.loc,
    };
    expr.get("references")?
        .as_seq()?
        .iter()
        .filter_map(Node::as_str)
        .find_map(|r| parse_reference(r, &parent))
}

/// `module.a["k"].module.b.` → `module.a["k"].`
fn strip_last_module(prefix: &str) -> &str {
    let body = prefix.trim_end_matches('.');
    let segments = segments(body);
    if segments.len() < 2 {
        return "";
    }
    let (start, _) = segments[segments.len() - 2];
    &prefix[..start]
}

fn first_reference(expr: Option<&Node>, ctx: &Ctx) -> Option<(String, String)> {
    let refs = expr?.get("references")?.as_seq()?;
    // Terraform lists the most specific form first (`x.y.arn`, then `x.y`).
    refs.iter()
        .filter_map(Node::as_str)
        .find_map(|r| parse_reference(r, ctx))
}

/// The i-th distinct resource attribute a list expression references
/// (Terraform lists `x.arn` before `x`), or its first when the count does
/// not match the list.
fn nth_reference(expr: &Node, i: usize, ctx: &Ctx) -> Option<(String, String)> {
    let mut specific: Vec<(String, String)> = Vec::new();
    for r in expr
        .get("references")?
        .as_seq()?
        .iter()
        .filter_map(Node::as_str)
    {
        if let Some((addr, attr)) = parse_reference(r, ctx) {
            if !attr.is_empty() && !specific.iter().any(|(a, t)| *a == addr && *t == attr) {
                specific.push((addr, attr));
            }
        }
    }
    specific
        .get(i)
        .or_else(|| specific.first())
        .cloned()
        .or_else(|| first_reference(Some(expr), ctx))
}

fn collect_refs(expr: &Node, ctx: &Ctx, out: &mut Vec<String>, depth: usize) {
    if depth > MAX_VALUE_DEPTH {
        return;
    }
    match &expr.kind {
        NodeKind::Map(entries) => {
            for e in entries {
                if e.key == "references" {
                    for r in e.value.as_seq().unwrap_or(&[]) {
                        if let Some((addr, _)) = r.as_str().and_then(|t| parse_reference(t, ctx)) {
                            if !out.contains(&addr) {
                                out.push(addr);
                            }
                        }
                    }
                } else {
                    collect_refs(&e.value, ctx, out, depth + 1);
                }
            }
        }
        NodeKind::Seq(items) => {
            for item in items {
                collect_refs(item, ctx, out, depth + 1);
            }
        }
        _ => {}
    }
}

fn child<'n>(node: Option<&'n Node>, key: &str) -> Option<&'n Node> {
    node?.get(key)
}

fn item(node: Option<&Node>, i: usize) -> Option<&Node> {
    node?.as_seq()?.get(i)
}

/// The `after_unknown` and `sensitive_values` trees at the same place as a
/// value.
#[derive(Clone, Copy)]
struct Marks<'n> {
    unknown: Option<&'n Node>,
    sensitive: Option<&'n Node>,
}

impl<'n> Marks<'n> {
    fn key(self, key: &str) -> Marks<'n> {
        Marks {
            unknown: child(self.unknown, key),
            sensitive: child(self.sensitive, key),
        }
    }

    fn index(self, i: usize) -> Marks<'n> {
        Marks {
            unknown: item(self.unknown, i),
            sensitive: item(self.sensitive, i),
        }
    }
}

/// A planned value completed with what is unknown until apply. Sensitive
/// values (from sensitive variables or secret data sources) are never kept.
fn merge(
    value: Option<&Node>,
    marks: Marks,
    expr: Option<&Node>,
    ctx: &Ctx,
    depth: usize,
) -> Option<V> {
    let loc = value.map(|v| v.loc).unwrap_or(ctx.loc);
    if depth > MAX_VALUE_DEPTH {
        return Some(V::unknown("value nested too deeply", loc));
    }
    if value.is_some() && marks.sensitive.and_then(Node::as_bool) == Some(true) {
        return Some(V::new(Val::Sensitive("sensitive value".into()), loc));
    }
    let unknown = marks.unknown;
    if unknown.and_then(Node::as_bool) == Some(true) {
        return Some(match first_reference(expr, ctx) {
            Some((addr, attr)) => V::new(Val::Ref { addr, attr }, loc),
            None => V::unknown("known after apply", loc),
        });
    }
    match value.map(|v| &v.kind) {
        Some(NodeKind::Map(entries)) => {
            let mut out: Vec<(String, V)> = Vec::with_capacity(entries.len());
            for e in entries {
                if let Some(v) = merge(
                    Some(&e.value),
                    marks.key(&e.key),
                    child(expr, &e.key),
                    ctx,
                    depth + 1,
                ) {
                    // Plans write every unset argument as `null`: absent,
                    // as in HCL (a null `target` is no quick-create route).
                    if !v.is_null() {
                        out.push((e.key.clone(), v));
                    }
                }
            }
            if let Some(extra) = unknown.and_then(Node::as_map) {
                for e in extra {
                    if out.iter().any(|(k, _)| *k == e.key) {
                        continue;
                    }
                    if let Some(v) =
                        merge(None, marks.key(&e.key), child(expr, &e.key), ctx, depth + 1)
                    {
                        out.push((e.key.clone(), v));
                    }
                }
            }
            Some(V::new(Val::Map(out), loc))
        }
        Some(NodeKind::Seq(items)) => {
            let mut out = Vec::with_capacity(items.len());
            // One expression for the whole list (`[aws_x.a.arn, aws_x.b.arn]`
            // gives only `references`): its i-th reference for item i.
            let whole = expr.filter(|e| e.get("references").is_some());
            for (i, it) in items.iter().enumerate() {
                let item_marks = marks.index(i);
                if let Some(whole) = whole {
                    if item_marks.unknown.and_then(Node::as_bool) == Some(true) {
                        out.push(match nth_reference(whole, i, ctx) {
                            Some((addr, attr)) => V::new(Val::Ref { addr, attr }, it.loc),
                            None => V::unknown("known after apply", it.loc),
                        });
                        continue;
                    }
                }
                let e = item(expr, i).or_else(|| item(expr, 0));
                if let Some(v) = merge(Some(it), item_marks, e, ctx, depth + 1) {
                    out.push(v);
                }
            }
            Some(V::new(Val::List(out), loc))
        }
        Some(_) => value.map(V::from_node),
        None => {
            // Only present in after_unknown: a nested structure with
            // unknown leaves.
            match unknown.map(|u| &u.kind) {
                Some(NodeKind::Map(_)) => merge(
                    Some(&Node::new(NodeKind::Map(Vec::new()), loc)),
                    marks,
                    expr,
                    ctx,
                    depth + 1,
                ),
                Some(NodeKind::Seq(items)) if !items.is_empty() => {
                    Some(V::unknown("known after apply", loc))
                }
                _ => None,
            }
        }
    }
}

/// A policy that is only known after apply but comes from a policy document
/// data source: its rendered JSON when the plan has read it, else the
/// document its planned `statement` blocks describe (read at apply time
/// because they name resources being created).
fn resolve_policy_documents(resources: &mut [Res]) {
    let docs: HashMap<String, V> = resources
        .iter()
        .filter(|r| r.rtype == "aws_iam_policy_document")
        .filter_map(|r| {
            let json = r.body.get("json");
            if let Some(json) = json.filter(|j| j.as_str().is_some()) {
                return Some((r.addr.clone(), json.clone()));
            }
            Some((r.addr.clone(), document_from_statements(&r.body, r.loc)?))
        })
        .collect();
    if docs.is_empty() {
        return;
    }
    for r in resources.iter_mut() {
        let Val::Map(entries) = &mut r.body.kind else {
            continue;
        };
        for (key, v) in entries.iter_mut() {
            if !matches!(key.as_str(), "policy" | "assume_role_policy") {
                continue;
            }
            if let Val::Ref { addr, attr } = &v.kind {
                // `data.x.y[each.key].json` is referenced without its attribute.
                if attr.contains("json") || attr.is_empty() {
                    if let Some(doc) = docs.get(addr) {
                        *v = V::new(doc.kind.clone(), v.loc);
                    }
                }
            }
        }
    }
}

/// The IAM document of planned `statement` blocks. Plans write unset
/// arguments as `null` or `[]`; those are dropped so they read as absent.
/// `None` when the statements themselves are not determined.
fn document_from_statements(body: &V, loc: Loc) -> Option<V> {
    let statements = body.get("statement")?;
    if !statements.is_known() {
        return None;
    }
    if [
        "source_policy_documents",
        "override_policy_documents",
        "source_json",
        "override_json",
    ]
    .iter()
    .any(|k| body.get(k).is_some_and(|v| !is_unset(v)))
    {
        // Merged documents are rendered only in `json`.
        return None;
    }
    let mut out = Vec::new();
    for stmt in statements.items() {
        let Val::Map(entries) = &stmt.kind else {
            return None;
        };
        let kept: Vec<(String, V)> = entries
            .iter()
            .filter(|(_, v)| !is_unset(v))
            .cloned()
            .collect();
        let kept = V::new(Val::Map(kept), stmt.loc);
        out.push(V::new(
            super::hcl::statement_json(&kept, stmt.loc),
            stmt.loc,
        ));
    }
    let version = body
        .get("version")
        .filter(|v| !is_unset(v))
        .cloned()
        .unwrap_or_else(|| V::new(Val::Str("2012-10-17".into()), loc));
    Some(V::new(
        Val::Map(vec![
            ("Version".into(), version),
            ("Statement".into(), V::new(Val::List(out), loc)),
        ]),
        loc,
    ))
}

fn is_unset(v: &V) -> bool {
    match &v.kind {
        Val::Null => true,
        Val::List(items) => items.is_empty(),
        Val::Str(s) => s.is_empty(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert_eq!(
            plain_address("module.a[\"k\"].aws_x.y[0]"),
            "module.a.aws_x.y"
        );
        assert_eq!(
            module_prefix("module.a.module.b.aws_x.y"),
            "module.a.module.b."
        );
        assert_eq!(module_prefix("aws_x.y"), "");
        let first = HashMap::default();
        let config = HashMap::default();
        let addresses: HashSet<String> = [
            "module.m[\"k\"].aws_iam_role.r",
            "module.m[\"k\"].aws_lambda_function.f[\"a\"]",
            "module.m[\"k\"].aws_lambda_function.f[\"b\"]",
        ]
        .into_iter()
        .map(String::from)
        .collect();
        let ctx = Ctx {
            prefix: "module.m.",
            instance_prefix: "module.m[\"k\"].",
            own_key: "[\"b\"]",
            first_instance: &first,
            addresses: &addresses,
            config: &config,
            loc: Loc::default(),
        };
        // Same module instance.
        assert_eq!(
            parse_reference("aws_iam_role.r.arn", &ctx),
            Some(("module.m[\"k\"].aws_iam_role.r".into(), "arn".into()))
        );
        // `aws_lambda_function.f[each.key]` is listed without its key: the
        // instance with our own key.
        assert_eq!(
            parse_reference("aws_lambda_function.f", &ctx),
            Some((
                "module.m[\"k\"].aws_lambda_function.f[\"b\"]".into(),
                String::new()
            ))
        );
        assert_eq!(
            parse_reference("aws_lambda_function.f[\"a\"].arn", &ctx),
            Some((
                "module.m[\"k\"].aws_lambda_function.f[\"a\"]".into(),
                "arn".into()
            ))
        );
        // Not planned: the plain address under the module path.
        assert_eq!(
            parse_reference("aws_sqs_queue.q.arn", &ctx),
            Some(("module.m.aws_sqs_queue.q".into(), "arn".into()))
        );
        assert_eq!(
            instance_parts("module.a[\"x.y\"].module.b[0].aws_x.y[\"k\"]"),
            ("module.a[\"x.y\"].module.b[0].", "[\"k\"]")
        );
        assert_eq!(instance_parts("aws_x.y"), ("", ""));
        assert_eq!(
            strip_last_module("module.a[\"k\"].module.b."),
            "module.a[\"k\"]."
        );
        assert_eq!(strip_last_module("module.a."), "");
        // Hostile addresses do not panic.
        for addr in [
            "]]].[[",
            "module.",
            "module.[",
            "module..x",
            "\"",
            "module.a[\"]\"].x.y",
        ] {
            let (prefix, _) = instance_parts(addr);
            let _ = strip_last_module(prefix);
            let _ = parse_reference(addr, &ctx);
        }
        assert_eq!(parse_reference("var.x", &ctx), None);
    }
}
