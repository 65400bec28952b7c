//! The execution role SAM generates for a function without `Role`:
//! managed policies, inline documents and expanded policy templates.

use super::{boolean, is_intrinsic, map, seq, tag_list, Source};
use fnguard_core::doc::MapEntry;
use fnguard_core::fast_hash::HashMap;
use fnguard_core::{Loc, Node, NodeKind};
use serde_json::Value;
use std::borrow::Cow;
use std::sync::OnceLock;

const MANAGED_POLICIES_JSON: &str =
    include_str!("../../../../../data/sam/aws_managed_policies.json");
const POLICY_TEMPLATES_JSON: &str = include_str!("../../../../../data/sam/policy_templates.json");

fn managed_policies() -> &'static HashMap<String, String> {
    static MAP: OnceLock<HashMap<String, String>> = OnceLock::new();
    MAP.get_or_init(|| serde_json::from_str(MANAGED_POLICIES_JSON).unwrap_or_default())
}

/// A policy template converted to nodes once per process: expansions only
/// copy the tree with the caller's location and arguments.
struct PolicyTemplate {
    params: Vec<String>,
    /// Located at `Loc::default()`; `Expander` relocates every node.
    definition: Node,
}

fn policy_templates() -> &'static HashMap<String, PolicyTemplate> {
    static MAP: OnceLock<HashMap<String, PolicyTemplate>> = OnceLock::new();
    MAP.get_or_init(|| {
        let mut parsed: Value = serde_json::from_str(POLICY_TEMPLATES_JSON).unwrap_or(Value::Null);
        let Some(Value::Object(templates)) = parsed.get_mut("Templates").map(Value::take) else {
            return HashMap::default();
        };
        templates
            .into_iter()
            .filter_map(|(name, template)| {
                let params = match template.get("Parameters") {
                    Some(Value::Object(p)) => p.keys().cloned().collect(),
                    _ => Vec::new(),
                };
                let definition = to_node(template.get("Definition")?, 0);
                Some((name, PolicyTemplate { params, definition }))
            })
            .collect()
    })
}

fn to_node(value: &Value, depth: usize) -> Node {
    let loc = Loc::default();
    // The bundled data is shallow; the bound only guards edited data.
    if depth > 64 {
        return Node::unknown("policy template nested too deeply", loc);
    }
    match value {
        Value::Null => Node::new(NodeKind::Null, loc),
        Value::Bool(b) => boolean(*b, loc),
        Value::Number(n) => Node::new(NodeKind::Number(n.to_string()), loc),
        Value::String(s) => Node::str(s, loc),
        Value::Array(items) => seq(loc, items.iter().map(|v| to_node(v, depth + 1)).collect()),
        Value::Object(entries) => map(
            loc,
            entries
                .iter()
                .map(|(k, v)| (k.as_str(), to_node(v, depth + 1))),
        ),
    }
}

/// The ARN of an AWS managed policy by name, as SAM resolves `Policies`
/// strings.
pub fn managed_policy_arn(name: &str) -> Option<&'static str> {
    managed_policies().get(name).map(String::as_str)
}

/// Whether SAM knows a policy template of this name.
pub fn is_policy_template(name: &str) -> bool {
    policy_templates().contains_key(name)
}

pub(crate) fn aws_managed(path: &str, loc: Loc) -> Node {
    Node::str(["arn:aws:iam::aws:policy/", path].concat(), loc)
}

/// What events and destinations add to the generated role.
#[derive(Default)]
pub(crate) struct RoleExtras {
    pub managed: Vec<Node>,
    /// `{PolicyName, PolicyDocument}` entries.
    pub inline: Vec<Node>,
}

impl RoleExtras {
    pub fn statement_policy(&mut self, name: &str, statements: Vec<Node>, loc: Loc) {
        self.inline.push(map(
            loc,
            [
                ("PolicyName", Node::str(name, loc)),
                (
                    "PolicyDocument",
                    map(
                        loc,
                        [
                            ("Version", Node::str("2012-10-17", loc)),
                            ("Statement", seq(loc, statements)),
                        ],
                    ),
                ),
            ],
        ));
    }
}

pub(crate) fn statement(actions: &[&str], resource: Node, loc: Loc) -> Node {
    map(
        loc,
        [
            ("Effect", Node::str("Allow", loc)),
            (
                "Action",
                seq(loc, actions.iter().map(|a| Node::str(*a, loc)).collect()),
            ),
            ("Resource", resource),
        ],
    )
}

/// The `AWS::IAM::Role` SAM generates for `src`, with the policies its
/// events and destinations need (`extras`, applied after `Policies` as SAM
/// does for managed ARNs; inline ones come first, also as SAM orders them).
pub(crate) fn execution_role(src: &mut Source, role_id: &str, extras: RoleExtras) -> Node {
    let loc = src.key_loc;
    let mut managed: Vec<Node> = vec![aws_managed("service-role/AWSLambdaBasicExecutionRole", loc)];
    let tracing = src.prop("Tracing");
    // SAM adds the X-Ray policy for any Tracing value except `Disabled`
    // (also PassThrough), and for intrinsics it cannot resolve.
    if tracing.is_some_and(|t| t.as_str() != Some("Disabled")) {
        managed.push(aws_managed("AWSXrayWriteOnlyAccess", loc));
    }
    if src.prop("VpcConfig").is_some() {
        managed.push(aws_managed(
            "service-role/AWSLambdaVPCAccessExecutionRole",
            loc,
        ));
    }
    let mut inline = extras.inline;
    // Read here only: the documents move into the role.
    if let Some(policies) = src.take_prop("Policies") {
        let items = match policies.kind {
            NodeKind::Seq(items) => items,
            _ => vec![policies],
        };
        for (index, item) in items.into_iter().enumerate() {
            add_policy(
                item,
                &|| format!("{role_id}Policy{index}"),
                &mut managed,
                &mut inline,
            );
        }
    }
    for arn in extras.managed {
        push_managed(&mut managed, arn);
    }

    let mut props = vec![
        (
            "AssumeRolePolicyDocument",
            src.prop("AssumeRolePolicyDocument")
                .cloned()
                .unwrap_or_else(|| lambda_trust_policy(loc)),
        ),
        ("ManagedPolicyArns", seq(loc, managed)),
    ];
    if !inline.is_empty() {
        props.push(("Policies", seq(loc, inline)));
    }
    if let Some(boundary) = src.prop("PermissionsBoundary") {
        props.push(("PermissionsBoundary", boundary.clone()));
    }
    if let Some(path) = src.prop("RolePath") {
        props.push(("Path", path.clone()));
    }
    let empty = Node::new(NodeKind::Map(Vec::new()), loc);
    props.push((
        "Tags",
        tag_list(
            src.prop("Tags").unwrap_or(&empty),
            &[("lambda:createdBy", "SAM")],
        ),
    ));
    super::generated(src, "AWS::IAM::Role", map(loc, props), loc)
}

fn lambda_trust_policy(loc: Loc) -> Node {
    map(
        loc,
        [
            ("Version", Node::str("2012-10-17", loc)),
            (
                "Statement",
                seq(
                    loc,
                    vec![map(
                        loc,
                        [
                            ("Effect", Node::str("Allow", loc)),
                            (
                                "Principal",
                                map(
                                    loc,
                                    [(
                                        "Service",
                                        seq(loc, vec![Node::str("lambda.amazonaws.com", loc)]),
                                    )],
                                ),
                            ),
                            ("Action", seq(loc, vec![Node::str("sts:AssumeRole", loc)])),
                        ],
                    )],
                ),
            ),
        ],
    )
}

/// SAM de-duplicates managed ARNs (a user listing
/// AWSLambdaBasicExecutionRole again gets it once).
fn push_managed(managed: &mut Vec<Node>, arn: Node) {
    let duplicate = arn
        .as_str()
        .is_some_and(|a| managed.iter().any(|m| m.as_str() == Some(a)));
    if !duplicate {
        managed.push(arn);
    }
}

#[derive(Clone, Copy, PartialEq)]
enum PolicyKind {
    Managed,
    Document,
    Template,
    NoValue,
    Unrecognised,
}

fn kind_of(item: &Node) -> PolicyKind {
    match &item.kind {
        NodeKind::Str(_) => PolicyKind::Managed,
        _ if super::ref_target(item) == Some("AWS::NoValue") => PolicyKind::NoValue,
        _ if is_intrinsic(item) => PolicyKind::Managed,
        NodeKind::Map(entries) if entries.iter().any(|e| e.key == "Statement") => {
            PolicyKind::Document
        }
        NodeKind::Map(entries) if entries.len() == 1 && is_policy_template(&entries[0].key) => {
            PolicyKind::Template
        }
        _ => PolicyKind::Unrecognised,
    }
}

/// `Fn::If` arguments `[condition, if_true, if_false]`, in either form.
fn if_arguments(item: &Node) -> Option<(&Node, &Node, &Node)> {
    let args = match &item.kind {
        NodeKind::Tagged(tag, inner) if tag == "If" => inner.as_ref(),
        NodeKind::Map(entries) if entries.len() == 1 && entries[0].key == "Fn::If" => {
            &entries[0].value
        }
        _ => return None,
    };
    match args.as_seq()? {
        [c, t, f] => Some((c, t, f)),
        _ => None,
    }
}

/// `name` gives the inline policy name, formatted only for inline ones.
fn add_policy(
    item: Node,
    name: &dyn Fn() -> String,
    managed: &mut Vec<Node>,
    inline: &mut Vec<Node>,
) {
    if let Some((cond, when_true, when_false)) = if_arguments(&item) {
        let kinds = [kind_of(when_true), kind_of(when_false)];
        let kind = if kinds[0] == PolicyKind::NoValue {
            kinds[1]
        } else {
            kinds[0]
        };
        let convert = |branch: &Node| match kind_of(branch) {
            PolicyKind::NoValue => branch.clone(),
            _ if kind == PolicyKind::Managed => managed_arn_node(branch),
            _ => inline_policy(Cow::Borrowed(branch), name).unwrap_or_else(|| branch.clone()),
        };
        let loc = item.loc;
        let rebuilt = map(
            loc,
            [(
                "Fn::If",
                seq(
                    loc,
                    vec![cond.clone(), convert(when_true), convert(when_false)],
                ),
            )],
        );
        match kind {
            PolicyKind::Managed => managed.push(rebuilt),
            PolicyKind::Document | PolicyKind::Template => inline.push(rebuilt),
            PolicyKind::NoValue | PolicyKind::Unrecognised => {}
        }
        return;
    }
    match kind_of(&item) {
        PolicyKind::Managed => push_managed(managed, managed_arn_node(&item)),
        PolicyKind::Document | PolicyKind::Template => {
            if let Some(policy) = inline_policy(Cow::Owned(item), name) {
                inline.push(policy);
            }
        }
        // SAM refuses the template; a scanner skips the entry.
        PolicyKind::NoValue | PolicyKind::Unrecognised => {}
    }
}

/// A managed policy name becomes its ARN; ARNs, unknown names and
/// intrinsics stay as written (SAM does the same).
fn managed_arn_node(item: &Node) -> Node {
    match item.as_str().and_then(managed_policy_arn) {
        Some(arn) => Node::str(arn, item.loc),
        None => item.clone(),
    }
}

/// `{PolicyName, PolicyDocument}` for a policy document or a policy
/// template.
fn inline_policy(item: Cow<'_, Node>, name: &dyn Fn() -> String) -> Option<Node> {
    let loc = item.loc;
    let document = match kind_of(&item) {
        PolicyKind::Document => item.into_owned(),
        PolicyKind::Template => {
            let entry = item.as_map()?.first()?;
            expand_template(&entry.key, &entry.value, entry.key_loc)?
        }
        _ => return None,
    };
    Some(map(
        loc,
        [
            ("PolicyName", Node::str(name(), loc)),
            ("PolicyDocument", document),
        ],
    ))
}

/// A policy template's document with the user's arguments in place of its
/// parameter references. An argument the user did not give becomes unknown
/// (AWS would refuse the template), so no check decides on it.
pub fn expand_template(name: &str, args: &Node, loc: Loc) -> Option<Node> {
    let template = policy_templates().get(name)?;
    let expander = Expander {
        name,
        params: &template.params,
        args,
        loc,
    };
    Some(expander.node(&template.definition))
}

struct Expander<'a> {
    name: &'a str,
    params: &'a [String],
    args: &'a Node,
    loc: Loc,
}

impl Expander<'_> {
    fn node(&self, template: &Node) -> Node {
        let loc = self.loc;
        let kind = match &template.kind {
            NodeKind::Seq(items) => NodeKind::Seq(items.iter().map(|v| self.node(v)).collect()),
            NodeKind::Map(entries) => {
                if let [entry] = entries.as_slice() {
                    if let (true, NodeKind::Str(target)) = (entry.key == "Ref", &entry.value.kind) {
                        if self.params.contains(target) {
                            return self.argument(target);
                        }
                    }
                }
                NodeKind::Map(
                    entries
                        .iter()
                        .map(|e| MapEntry {
                            key: e.key.clone(),
                            key_loc: loc,
                            value: self.node(&e.value),
                        })
                        .collect(),
                )
            }
            other => other.clone(),
        };
        Node::new(kind, loc)
    }

    fn argument(&self, param: &str) -> Node {
        match self.args.get(param) {
            Some(value) => value.clone(),
            None => Node::unknown(
                format!("policy template {}: argument {param} not given", self.name),
                self.loc,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The expansion straight from the JSON data (how it was done before the
    /// converted templates were cached).
    fn expand_from_json(value: &Value, params: &[&str], name: &str, args: &Node, loc: Loc) -> Node {
        match value {
            Value::Null => Node::new(NodeKind::Null, loc),
            Value::Bool(b) => boolean(*b, loc),
            Value::Number(n) => Node::new(NodeKind::Number(n.to_string()), loc),
            Value::String(s) => Node::str(s, loc),
            Value::Array(items) => seq(
                loc,
                items
                    .iter()
                    .map(|v| expand_from_json(v, params, name, args, loc))
                    .collect(),
            ),
            Value::Object(entries) => {
                if let (1, Some(Value::String(target))) = (entries.len(), entries.get("Ref")) {
                    if params.contains(&target.as_str()) {
                        return match args.get(target) {
                            Some(value) => value.clone(),
                            None => Node::unknown(
                                format!("policy template {name}: argument {target} not given"),
                                loc,
                            ),
                        };
                    }
                }
                let items = entries
                    .iter()
                    .map(|(k, v)| (k.as_str(), expand_from_json(v, params, name, args, loc)))
                    .collect::<Vec<_>>();
                map(loc, items)
            }
        }
    }

    #[test]
    fn cached_templates_expand_like_the_json_data() {
        let parsed: Value = serde_json::from_str(POLICY_TEMPLATES_JSON).unwrap();
        let templates = parsed["Templates"].as_object().unwrap();
        assert_eq!(templates.len(), policy_templates().len());
        let loc = Loc {
            line: 7,
            col: 3,
            ..Loc::default()
        };
        for (name, template) in templates {
            let params: Vec<&str> = template["Parameters"]
                .as_object()
                .map(|p| p.keys().map(String::as_str).collect())
                .unwrap_or_default();
            // Every argument given except the last, so both paths are taken.
            let given = params.len().saturating_sub(1);
            let args = map(
                loc,
                params[..given]
                    .iter()
                    .map(|p| (*p, Node::str(format!("value of {p}"), loc)))
                    .collect::<Vec<_>>(),
            );
            let expected = expand_from_json(&template["Definition"], &params, name, &args, loc);
            assert_eq!(expand_template(name, &args, loc), Some(expected), "{name}");
        }
        assert!(expand_template("NoSuchPolicy", &Node::str("x", loc), loc).is_none());
    }
}
