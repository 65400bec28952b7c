//! `terraform show -json` plans: `planned_values` (root and child modules)
//! give the values; `resource_changes[].change.after_unknown` marks what is
//! computed at apply time, and `configuration` tells which resource such a
//! value comes from (`"references": ["aws_iam_role.x.arn", ...]`).

use super::value::{Val, V};
use super::{build, Res};
use crate::model::{Deployment, Parameter, SourceFormat};
use crate::LoadError;
use fnguard_core::{Field, Loc, Node, NodeKind};
use std::collections::HashMap;

/// Child modules nested deeper than this are ignored (real plans stay far
/// below; hostile ones must not exhaust the stack).
const MAX_MODULE_DEPTH: usize = 32;
const MAX_VALUE_DEPTH: usize = 128;

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

    let mut after_unknown: HashMap<&str, &Node> = HashMap::new();
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
    let mut config: HashMap<String, &Node> = HashMap::new();
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

    let mut raw: Vec<&Node> = Vec::new();
    if let Some(module) = root.path(&["planned_values", "root_module"]) {
        collect_resources(module, &mut raw, 0);
    }
    // Data sources read during planning live in the prior state.
    if let Some(module) = root.path(&["prior_state", "values", "root_module"]) {
        let mut prior = Vec::new();
        collect_resources(module, &mut prior, 0);
        raw.extend(
            prior
                .into_iter()
                .filter(|r| r.get("mode").and_then(Node::as_str) == Some("data")),
        );
    }

    // `count`/`for_each` instances are addressed `x.y[0]`; references name
    // `x.y`, which we point at the first instance.
    let mut first_instance: HashMap<String, String> = HashMap::new();
    for r in &raw {
        if let Some(addr) = r.get("address").and_then(Node::as_str) {
            first_instance
                .entry(plain_address(addr))
                .or_insert_with(|| addr.to_string());
        }
    }

    let mut resources: Vec<Res> = Vec::new();
    let mut seen: HashMap<String, ()> = HashMap::new();
    for r in raw {
        let (Some(addr), Some(rtype)) = (
            r.get("address").and_then(Node::as_str),
            r.get("type").and_then(Node::as_str),
        ) else {
            dep.warnings.push(crate::model::LoadWarning {
                loc: r.loc,
                message: "plan resource without address or type".into(),
            });
            continue;
        };
        if seen.insert(addr.to_string(), ()).is_some() {
            continue;
        }
        let plain = plain_address(addr);
        let module_prefix = module_prefix(&plain);
        let ctx = Ctx {
            prefix: &module_prefix,
            first_instance: &first_instance,
            loc: r.loc,
        };
        let mut refs = Vec::new();
        let expressions = config.get(&plain).and_then(|c| c.get("expressions"));
        if let Some(e) = expressions {
            collect_refs(e, &ctx, &mut refs, 0);
        }
        let values = r.get("values");
        let marks = Marks {
            unknown: after_unknown.get(addr).copied(),
            sensitive: r.get("sensitive_values"),
        };
        let body = merge(values, marks, expressions, &ctx, 0)
            .unwrap_or_else(|| V::new(Val::Map(Vec::new()), r.loc));
        let body = match body.kind {
            Val::Map(_) => body,
            _ => V::new(Val::Map(Vec::new()), r.loc),
        };
        resources.push(Res {
            addr: addr.to_string(),
            rtype: rtype.to_string(),
            loc: r.loc,
            body,
            refs,
        });
    }
    resolve_policy_documents(&mut resources);
    build::build(&mut dep, &resources);
    Ok(dep)
}

struct Ctx<'a> {
    prefix: &'a str,
    first_instance: &'a HashMap<String, String>,
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
            if let Some(child) = call.value.get("module") {
                let child_prefix = format!("{prefix}module.{}.", call.key);
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

/// A configuration reference (`aws_iam_role.x.arn`, `data.t.n.json`) as an
/// address and attribute; variables, locals and the like are not resources.
fn parse_reference(text: &str, ctx: &Ctx) -> Option<(String, String)> {
    let plain = plain_address(text);
    let parts: Vec<&str> = plain.split('.').collect();
    let addr_len = match parts.first().copied()? {
        "var" | "local" | "each" | "count" | "path" | "self" | "terraform" | "module" => {
            return None
        }
        "data" => 3,
        _ => 2,
    };
    if parts.len() < addr_len {
        return None;
    }
    let addr = format!("{}{}", ctx.prefix, parts[..addr_len].join("."));
    let attr = parts[addr_len..].join(".");
    let addr = ctx.first_instance.get(&addr).cloned().unwrap_or(addr);
    Some((addr, attr))
}

fn first_reference(expr: Option<&Node>, ctx: &Ctx) -> Option<(String, String)> {
    let refs = expr?.get("references")?.as_seq()?;
    // Terraform lists the most specific form first (`x.y.arn`, then `x.y`).
    refs.iter()
        .filter_map(Node::as_str)
        .find_map(|r| parse_reference(r, ctx))
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
                    out.push((e.key.clone(), v));
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
            for (i, it) in items.iter().enumerate() {
                let e = item(expr, i).or_else(|| item(expr, 0));
                if let Some(v) = merge(Some(it), marks.index(i), e, ctx, depth + 1) {
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
/// data source whose rendered JSON the plan holds.
fn resolve_policy_documents(resources: &mut [Res]) {
    let docs: HashMap<String, V> = resources
        .iter()
        .filter(|r| r.rtype == "aws_iam_policy_document")
        .filter_map(|r| {
            let json = r.body.get("json")?;
            json.as_str()?;
            Some((r.addr.clone(), json.clone()))
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
                if attr.contains("json") {
                    if let Some(doc) = docs.get(addr) {
                        *v = V::new(doc.kind.clone(), v.loc);
                    }
                }
            }
        }
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
        let first = HashMap::new();
        let ctx = Ctx {
            prefix: "module.m.",
            first_instance: &first,
            loc: Loc::default(),
        };
        assert_eq!(
            parse_reference("aws_iam_role.r.arn", &ctx),
            Some(("module.m.aws_iam_role.r".into(), "arn".into()))
        );
        assert_eq!(parse_reference("var.x", &ctx), None);
    }
}
