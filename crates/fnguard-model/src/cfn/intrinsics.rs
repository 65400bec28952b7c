//! CloudFormation intrinsic functions, resolved where the template itself
//! determines the value.
//!
//! Output conventions (what the model builder relies on):
//! * A value the template does not determine is `NodeKind::Unknown(why)`;
//!   unknowns propagate through `Fn::Sub`, `Fn::Join` and friends.
//! * `Ref`/`Fn::GetAtt` to a resource of the template becomes a marker node
//!   `Tagged(RESOURCE_TAG, Str("Id"))` or `Str("Id.Attr")`, so links between
//!   resources survive resolution. Inside strings built by `Fn::Sub`/`Fn::Join`
//!   the marker is written as the placeholder `${Id}` / `${Id.Attr}`.
//! * `AWS::NoValue` removes the property or list item (`resolve` returns
//!   `None`).
//!
//! Work is linear in the template size: parameter and condition values are
//! memoized, condition chains are cycle-checked and every recursion carries a
//! depth bound.

use crate::model::{SELF_ACCOUNT, SELF_PARTITION, SELF_REGION};
use fnguard_core::doc::MapEntry;
use fnguard_core::encode::base64;
use fnguard_core::fast_hash::HashMap;
use fnguard_core::{Loc, Node, NodeKind};
use std::borrow::Cow;

/// Tag of the marker node standing for a resource reference.
pub const RESOURCE_TAG: &str = "fnguard:resource";

/// Beyond this nesting the value is unknown rather than a stack overflow.
/// Resolution spends at most one level per document level, and the parsers
/// cap documents at 256 levels, so parsed templates are never cut; the
/// bound matters for trees the SAM and Serverless transforms build in code.
/// It is sized for the 2 MiB stacks of worker threads in debug builds,
/// where one level of resolution takes a few KiB of stack.
const MAX_DEPTH: usize = crate::yaml::MAX_DEPTH + 64;

/// Bytes that string building and parameter substitution may produce in one
/// template. Nested `Fn::Sub` variables can double a string per level, and a
/// long default referenced everywhere multiplies it: past this budget values
/// become unknown instead of exhausting memory.
const MAX_PRODUCED: usize = 128 << 20;
/// No single built string is longer than this in a real template.
const MAX_STRING: usize = 8 << 20;

#[derive(Clone, Copy)]
enum CondState {
    Evaluating,
    Done(Option<bool>),
}

/// A declared template parameter, as the resolver needs it.
struct ParamDecl<'a> {
    node: &'a Node,
    no_echo: bool,
    list: bool,
    /// `AWS::SSM::Parameter::Value<...>`: the default is a parameter
    /// path, the value is fetched from SSM at deploy time.
    ssm: bool,
}

pub struct Resolver<'a> {
    params: HashMap<&'a str, ParamDecl<'a>>,
    param_values: HashMap<&'a str, (Node, usize)>,
    produced: usize,
    conditions: HashMap<&'a str, &'a Node>,
    condition_values: HashMap<&'a str, CondState>,
    /// `Mappings` by (map name, top-level key), indexed because lookups
    /// repeat across the template.
    mappings: HashMap<(&'a str, &'a str), &'a Node>,
    /// Logical id → resource type, for every resource of the template.
    pub resource_types: HashMap<&'a str, &'a str>,
}

/// The intrinsic function a node is, if any: short-form tags and long-form
/// single-key maps give the same `(name, argument)`.
pub fn intrinsic(node: &Node) -> Option<(Cow<'_, str>, &Node)> {
    match &node.kind {
        NodeKind::Tagged(tag, inner) if tag == RESOURCE_TAG => {
            let _ = inner;
            None
        }
        NodeKind::Tagged(tag, inner) => {
            let name = match tag.as_str() {
                "Ref" | "Condition" => Cow::Borrowed(tag.as_str()),
                other if other.starts_with("Fn::") => Cow::Borrowed(other),
                other => match long_name(other) {
                    Some(long) => Cow::Borrowed(long),
                    None => Cow::Owned(format!("Fn::{other}")),
                },
            };
            Some((name, inner))
        }
        NodeKind::Map(entries) if entries.len() == 1 => {
            let e = &entries[0];
            if e.key == "Ref" || e.key.starts_with("Fn::") {
                Some((Cow::Borrowed(e.key.as_str()), &e.value))
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Long names of the short-form tags, without allocating per node.
fn long_name(short: &str) -> Option<&'static str> {
    Some(match short {
        "GetAtt" => "Fn::GetAtt",
        "Sub" => "Fn::Sub",
        "Join" => "Fn::Join",
        "If" => "Fn::If",
        "Select" => "Fn::Select",
        "Split" => "Fn::Split",
        "FindInMap" => "Fn::FindInMap",
        "ImportValue" => "Fn::ImportValue",
        "Base64" => "Fn::Base64",
        "Cidr" => "Fn::Cidr",
        "GetAZs" => "Fn::GetAZs",
        "Equals" => "Fn::Equals",
        "And" => "Fn::And",
        "Or" => "Fn::Or",
        "Not" => "Fn::Not",
        "ToJsonString" => "Fn::ToJsonString",
        "Length" => "Fn::Length",
        "Transform" => "Fn::Transform",
        _ => return None,
    })
}

/// The resource a marker node points at: `("Id", Some("Attr"))`.
pub fn resource_marker(node: &Node) -> Option<(&str, Option<&str>)> {
    match &node.kind {
        NodeKind::Tagged(tag, inner) if tag == RESOURCE_TAG => {
            let text = inner.as_str()?;
            Some(match split_at_dot(text) {
                Some((id, attr)) => (id, Some(attr)),
                None => (text, None),
            })
        }
        _ => None,
    }
}

/// Byte offset of the first `${` in `text`. Searching for the `$` byte
/// first is much cheaper than a substring search, which sets up a two-way
/// matcher per call; this runs on every string of every template.
pub(crate) fn find_open(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut from = 0;
    // A byte loop: `str::find(char)` sets up a searcher per call, which
    // costs more than scanning the short strings templates hold.
    while let Some(i) = position_of(&bytes[from..], b'$') {
        let at = from + i;
        if bytes.get(at + 1) == Some(&b'{') {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// Whether `text` contains `${`.
pub(crate) fn has_open(text: &str) -> bool {
    find_open(text).is_some()
}

/// Byte offset of the first `byte` (an ASCII character) in `text`: the
/// same as `text.find(char)` without setting up a searcher per call.
fn find_byte(text: &str, byte: u8) -> Option<usize> {
    debug_assert!(byte.is_ascii());
    position_of(text.as_bytes(), byte)
}

/// `bytes.iter().position(|&b| b == byte)`, eight bytes per step (the
/// word scan the YAML fast path uses): every string of every template is
/// scanned for `${` (and resolved values for host names), and a byte loop
/// costs several instructions per byte.
pub(crate) fn position_of(bytes: &[u8], byte: u8) -> Option<usize> {
    let before = crate::json::run_without(bytes, [byte]);
    (before < bytes.len()).then_some(before)
}

/// `text.split_once('.')` by bytes.
fn split_at_dot(text: &str) -> Option<(&str, &str)> {
    let at = find_byte(text, b'.')?;
    Some((&text[..at], &text[at + 1..]))
}

/// `text.trim()`, skipping the Unicode scan when both ends are printable
/// ASCII (no whitespace can be stripped then).
fn trim_names(text: &str) -> &str {
    match (text.as_bytes().first(), text.as_bytes().last()) {
        (Some(first), Some(last)) if first.is_ascii_graphic() && last.is_ascii_graphic() => text,
        _ => text.trim(),
    }
}

/// `${Id}` / `${Id.Attr}` placeholders in a resolved string, as
/// `(id, attr)` pairs. Pseudo parameters (`${AWS::...}`) are skipped.
pub fn placeholders(text: &str) -> impl Iterator<Item = (&str, Option<&str>)> {
    let mut rest = text;
    std::iter::from_fn(move || loop {
        let start = find_open(rest)?;
        let after = &rest[start + 2..];
        let end = find_byte(after, b'}')?;
        let inner = &after[..end];
        rest = &after[end + 1..];
        if inner.starts_with("AWS::") || inner.is_empty() {
            continue;
        }
        return Some(match split_at_dot(inner) {
            Some((id, attr)) => (id, Some(attr)),
            None => (inner, None),
        });
    })
}

/// The text of an unresolved string expression, with each `Ref` kept as a
/// `${Name}` placeholder: `!Sub '${AWS::StackName}-orders'` and
/// `!Join ['-', [!Ref AWS::StackName, orders]]` both give
/// `${AWS::StackName}-orders`. Two expressions with the same shape have the
/// same value at deploy time even when the template does not determine it,
/// which links a function whose name depends on a parameter to the log group
/// named after it. `None` for anything else (conditions, lookups...).
pub fn shape(node: &Node) -> Option<String> {
    shape_at(node, 0)
}

fn shape_at(node: &Node, depth: usize) -> Option<String> {
    if depth > 32 {
        return None;
    }
    if let Some((name, arg)) = intrinsic(node) {
        return match name.as_ref() {
            "Ref" => arg.as_str().map(|r| format!("${{{r}}}")),
            "Fn::Sub" => match &arg.kind {
                NodeKind::Str(template) => Some(template.clone()),
                NodeKind::Seq(items) if !items.is_empty() && items.len() <= 2 => {
                    let mut text = items[0].as_str()?.to_string();
                    for e in items.get(1).and_then(Node::as_map).unwrap_or(&[]) {
                        let value = shape_at(&e.value, depth + 1)?;
                        text = text.replace(&format!("${{{}}}", e.key), &value);
                    }
                    Some(text)
                }
                _ => None,
            },
            "Fn::Join" => {
                let items = arg.as_seq().filter(|s| s.len() == 2)?;
                let delim = items[0].scalar_text()?;
                let parts = items[1]
                    .as_seq()?
                    .iter()
                    .map(|p| shape_at(p, depth + 1))
                    .collect::<Option<Vec<_>>>()?;
                Some(parts.join(&delim))
            }
            _ => None,
        };
    }
    node.scalar_text().map(|t| t.into_owned())
}

/// A scalar or marker as text for string building; `Err(why)` when the
/// value is unknown or not a scalar.
pub fn as_text(node: &Node) -> Result<String, String> {
    if let Some(text) = node.scalar_text() {
        return Ok(text.into_owned());
    }
    let mut out = String::new();
    push_text(&mut out, node)?;
    Ok(out)
}

/// `as_text` appended to `out`: string building without a copy per part.
fn push_text(out: &mut String, node: &Node) -> Result<(), String> {
    match &node.kind {
        NodeKind::Unknown(why) => Err(why.clone()),
        NodeKind::Null => Ok(()),
        _ => {
            if let Some(text) = node.scalar_text() {
                out.push_str(&text);
                return Ok(());
            }
            match &node.kind {
                // A marker's text is `Id` or `Id.Attr`: the placeholder.
                NodeKind::Tagged(tag, inner) if tag == RESOURCE_TAG => {
                    if let Some(text) = inner.as_str() {
                        push_placeholder(out, text);
                        return Ok(());
                    }
                }
                _ => {}
            }
            Err("a list or map where a string is expected".to_string())
        }
    }
}

/// `${name}`.
fn push_placeholder(out: &mut String, name: &str) {
    out.push_str("${");
    out.push_str(name);
    out.push('}');
}

/// Replace resource markers by placeholder strings everywhere (for policy
/// documents, whose parser only knows plain values). Bounded by the tree
/// depth the YAML parser already limits. Most documents hold no marker:
/// those are borrowed as they are instead of copied.
pub fn flatten_markers(node: &Node) -> Cow<'_, Node> {
    if needs_flattening(node, 0) {
        Cow::Owned(flatten_at(node, 0))
    } else {
        Cow::Borrowed(node)
    }
}

/// Whether `flatten_at` would change anything: a marker, or nesting past
/// its bound.
fn needs_flattening(node: &Node, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return true;
    }
    match &node.kind {
        // `flatten_at` keeps other tags as they are, contents included.
        NodeKind::Tagged(..) => resource_marker(node).is_some(),
        NodeKind::Seq(items) => items.iter().any(|n| needs_flattening(n, depth + 1)),
        NodeKind::Map(entries) => entries
            .iter()
            .any(|e| needs_flattening(&e.value, depth + 1)),
        _ => false,
    }
}

fn flatten_at(node: &Node, depth: usize) -> Node {
    if depth > MAX_DEPTH {
        return Node::unknown("too deeply nested", node.loc);
    }
    match &node.kind {
        NodeKind::Tagged(..) if resource_marker(node).is_some() => match as_text(node) {
            Ok(t) => Node::str(t, node.loc),
            Err(why) => Node::unknown(why, node.loc),
        },
        _ => node.map_children(|child| flatten_at(child, depth + 1)),
    }
}

/// The value of a pseudo parameter the scan fixes (see `SELF_ACCOUNT`).
fn pseudo_text(name: &str) -> Option<&'static str> {
    Some(match name {
        "AWS::AccountId" => SELF_ACCOUNT,
        "AWS::Region" => SELF_REGION,
        "AWS::Partition" => SELF_PARTITION,
        "AWS::URLSuffix" => "amazonaws.com",
        _ => return None,
    })
}

/// A value no intrinsic can hide in.
fn is_scalar(node: &Node) -> bool {
    matches!(
        node.kind,
        NodeKind::Null
            | NodeKind::Bool(_)
            | NodeKind::Number(_)
            | NodeKind::Str(_)
            | NodeKind::Unknown(_)
    )
}

/// Structural equality ignoring locations.
fn same_value(a: &Node, b: &Node) -> bool {
    a.to_json() == b.to_json()
}

impl<'a> Resolver<'a> {
    /// Build from the template root (a map). Missing sections are empty.
    pub fn new(root: &'a Node) -> Self {
        let section = |name: &str| root.get(name).and_then(Node::as_map).unwrap_or(&[]);
        let (parameters, condition_defs, resources) = (
            section("Parameters"),
            section("Conditions"),
            section("Resources"),
        );
        let mut params = HashMap::with_capacity_and_hasher(parameters.len(), Default::default());
        for e in parameters {
            let no_echo = e
                .value
                .get("NoEcho")
                .and_then(Node::as_bool)
                .unwrap_or(false);
            let list = e
                .value
                .get("Type")
                .and_then(Node::as_str)
                .is_some_and(|t| t.starts_with("List<") || t == "CommaDelimitedList");
            let ssm = e
                .value
                .get("Type")
                .and_then(Node::as_str)
                .is_some_and(|t| t.starts_with("AWS::SSM::Parameter::Value"));
            params.insert(
                e.key.as_str(),
                ParamDecl {
                    node: &e.value,
                    no_echo,
                    list,
                    ssm,
                },
            );
        }
        let mut conditions =
            HashMap::with_capacity_and_hasher(condition_defs.len(), Default::default());
        for e in condition_defs {
            conditions.insert(e.key.as_str(), &e.value);
        }
        let mut resource_types =
            HashMap::with_capacity_and_hasher(resources.len(), Default::default());
        for e in resources {
            let ty = e.value.get("Type").and_then(Node::as_str).unwrap_or("");
            resource_types.insert(e.key.as_str(), ty);
        }
        let mut mappings = HashMap::default();
        for map in root.get("Mappings").and_then(Node::as_map).unwrap_or(&[]) {
            for top in map.value.as_map().unwrap_or(&[]) {
                mappings.insert((map.key.as_str(), top.key.as_str()), &top.value);
            }
        }
        Resolver {
            params,
            param_values: HashMap::default(),
            produced: 0,
            conditions,
            condition_values: HashMap::default(),
            mappings,
            resource_types,
        }
    }

    pub fn resource_type(&self, id: &str) -> Option<&'a str> {
        self.resource_types.get(id).copied()
    }

    /// Resolve every intrinsic in `node`. `None`: the value is
    /// `AWS::NoValue` (remove it).
    pub fn resolve(&mut self, node: &Node) -> Option<Node> {
        self.resolve_at(node, 0)
    }

    /// `resolve` for a tree the caller gives away: everything that is not
    /// an intrinsic (keys, scalars) moves into the result instead of being
    /// copied. Same result, same order of
    /// evaluation (and so the same budget charges) as `resolve`.
    pub fn resolve_owned(&mut self, node: Node) -> Option<Node> {
        self.resolve_owned_at(node, 0)
    }

    fn resolve_owned_at(&mut self, mut node: Node, depth: usize) -> Option<Node> {
        self.resolve_in_place(&mut node, depth).then_some(node)
    }

    /// Resolve `node` where it lies: maps and lists keep their buffers and
    /// only intrinsics are replaced. `false`: the value is `AWS::NoValue`
    /// (the caller removes it). Plain loops, as in `resolve_at`: iterator
    /// adapters would add stack frames per level in debug builds.
    fn resolve_in_place(&mut self, node: &mut Node, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            *node = Node::unknown("intrinsics nested too deeply", node.loc);
            return true;
        }
        if self.marker_in_place(node) {
            return true;
        }
        let applied = match intrinsic(node) {
            Some((name, arg)) => Some(self.apply(&name, arg, node.loc, depth + 1)),
            None => None,
        };
        if let Some(result) = applied {
            return match result {
                Some(value) => {
                    *node = value;
                    true
                }
                None => false,
            };
        }
        // Scalars (most nodes) stay as they are without a call, unless the
        // next level is past the depth bound, where they become unknown.
        let scalars_stay = depth < MAX_DEPTH;
        let stays = |n: &Node| scalars_stay && is_scalar(n);
        match &mut node.kind {
            NodeKind::Map(entries) => {
                let mut kept = 0;
                for i in 0..entries.len() {
                    let value = &mut entries[i].value;
                    if stays(value) || self.resolve_in_place(value, depth + 1) {
                        // Nothing removed yet (the common case): no self-swap.
                        if kept != i {
                            entries.swap(kept, i);
                        }
                        kept += 1;
                    }
                }
                entries.truncate(kept);
            }
            NodeKind::Seq(items) => {
                let mut kept = 0;
                for i in 0..items.len() {
                    if stays(&items[i]) || self.resolve_in_place(&mut items[i], depth + 1) {
                        // Nothing removed yet (the common case): no self-swap.
                        if kept != i {
                            items.swap(kept, i);
                        }
                        kept += 1;
                    }
                }
                items.truncate(kept);
            }
            _ => {}
        }
        true
    }

    /// `!Ref Id` / `!GetAtt Id.Attr` to a resource of the template, in the
    /// short form that holds the plain text (most references): the node
    /// becomes the marker `apply` would build, keeping the box and the text
    /// it already owns instead of allocating both again. `false`: anything
    /// else, left as it is for `apply`.
    fn marker_in_place(&self, node: &mut Node) -> bool {
        let loc = node.loc;
        let NodeKind::Tagged(tag, inner) = &mut node.kind else {
            return false;
        };
        let NodeKind::Str(text) = &inner.kind else {
            return false;
        };
        let is_resource = match tag.as_str() {
            // As in `reference`: pseudo parameters and parameters come first.
            "Ref" => {
                !text.starts_with("AWS::")
                    && !self.params.contains_key(text.as_str())
                    && self.resource_types.contains_key(text.as_str())
            }
            "GetAtt" | "Fn::GetAtt" => find_byte(text, b'.')
                .is_some_and(|dot| self.resource_types.contains_key(&text[..dot])),
            _ => false,
        };
        if is_resource {
            *tag = RESOURCE_TAG.to_string();
            inner.loc = loc;
        }
        is_resource
    }

    /// Like `resolve`, but `AWS::NoValue` becomes `Null`.
    pub fn value(&mut self, node: &Node) -> Node {
        self.resolve(node)
            .unwrap_or_else(|| Node::new(NodeKind::Null, node.loc))
    }

    /// Like `resolve_owned`, but `AWS::NoValue` becomes `Null`.
    pub fn value_owned(&mut self, node: Node) -> Node {
        let loc = node.loc;
        self.resolve_owned(node)
            .unwrap_or_else(|| Node::new(NodeKind::Null, loc))
    }

    /// Value of a named condition: `None` when the template does not
    /// determine it (or it is undeclared, or part of a cycle).
    pub fn condition(&mut self, name: &str) -> Option<bool> {
        self.condition_at(name, 0)
    }

    fn resolve_at(&mut self, node: &Node, depth: usize) -> Option<Node> {
        if depth > MAX_DEPTH {
            return Some(Node::unknown("intrinsics nested too deeply", node.loc));
        }
        if let Some((name, arg)) = intrinsic(node) {
            return self.apply(&name, arg, node.loc, depth + 1);
        }
        match &node.kind {
            NodeKind::Map(entries) => {
                let mut out = Vec::with_capacity(entries.len());
                for e in entries {
                    if let Some(value) = self.resolve_at(&e.value, depth + 1) {
                        out.push(MapEntry {
                            key: e.key.clone(),
                            key_loc: e.key_loc,
                            value,
                        });
                    }
                }
                Some(Node::new(NodeKind::Map(out), node.loc))
            }
            NodeKind::Seq(items) => {
                let out = items
                    .iter()
                    .filter_map(|n| self.resolve_at(n, depth + 1))
                    .collect();
                Some(Node::new(NodeKind::Seq(out), node.loc))
            }
            _ => Some(node.clone()),
        }
    }

    fn value_at(&mut self, node: &Node, depth: usize) -> Node {
        self.resolve_at(node, depth)
            .unwrap_or_else(|| Node::new(NodeKind::Null, node.loc))
    }

    /// A resolved scalar argument as text (names in `Ref`, `Fn::GetAtt`...).
    fn name_arg<'n>(&mut self, arg: &'n Node, depth: usize) -> Result<Cow<'n, str>, String> {
        if let NodeKind::Str(name) = &arg.kind {
            // What resolving and reading it back would give, without a copy.
            return Ok(Cow::Borrowed(name));
        }
        as_text(&self.value_at(arg, depth)).map(Cow::Owned)
    }

    fn apply(&mut self, name: &str, arg: &Node, loc: Loc, depth: usize) -> Option<Node> {
        let unknown = |why: String| Some(Node::unknown(why, loc));
        match name {
            "Ref" => match &arg.kind {
                // The common case, without a copy of the name.
                NodeKind::Str(target) => self.reference(target, loc),
                _ => match self.name_arg(arg, depth) {
                    Ok(target) => self.reference(&target, loc),
                    Err(why) => unknown(why),
                },
            },
            "Fn::GetAtt" => {
                // The marker's text `Id.Attr`, built once; `Id` is its
                // first `id_len` bytes.
                let (marker, id_len) = match &arg.kind {
                    NodeKind::Seq(items) if items.len() >= 2 => {
                        let res = self.name_arg(&items[0], depth);
                        let attr = self.name_arg(&items[1], depth);
                        match (res, attr) {
                            (Ok(r), Ok(a)) => ([&*r, ".", &*a].concat(), r.len()),
                            (Err(why), _) | (_, Err(why)) => return unknown(why),
                        }
                    }
                    _ => match self.name_arg(arg, depth) {
                        // Split at the first dot and joined again: the text.
                        Ok(text) => match find_byte(&text, b'.') {
                            Some(dot) => (text.into_owned(), dot),
                            None => return unknown(format!("Fn::GetAtt {text} has no attribute")),
                        },
                        Err(why) => return unknown(why),
                    },
                };
                let res = &marker[..id_len];
                if self.resource_types.contains_key(res) {
                    Some(Node::new(
                        NodeKind::Tagged(
                            RESOURCE_TAG.to_string(),
                            Box::new(Node::str(marker, loc)),
                        ),
                        loc,
                    ))
                } else {
                    unknown(format!("Fn::GetAtt to undeclared resource {res}"))
                }
            }
            "Fn::Sub" => Some(self.sub(arg, loc, depth)),
            "Fn::Join" => Some(self.join(arg, loc, depth)),
            "Fn::Select" => {
                let Some([index, list]) = arg
                    .as_seq()
                    .and_then(|s| s.get(..2))
                    .and_then(|s| <&[Node; 2]>::try_from(s).ok().map(|a| [&a[0], &a[1]]))
                else {
                    return unknown("malformed Fn::Select".to_string());
                };
                let index = self.value_at(index, depth);
                let list = self.value_at(list, depth);
                if let NodeKind::Unknown(why) = &list.kind {
                    return unknown(why.clone());
                }
                match (index.as_i64(), list.kind) {
                    (Some(i), NodeKind::Seq(items)) if i >= 0 && (i as usize) < items.len() => {
                        items.into_iter().nth(i as usize)
                    }
                    _ => unknown("Fn::Select index unknown or out of range".to_string()),
                }
            }
            "Fn::Split" => {
                let Some(items) = arg.as_seq().filter(|s| s.len() == 2) else {
                    return unknown("malformed Fn::Split".to_string());
                };
                let delim = self.name_arg(&items[0], depth);
                let source = self.name_arg(&items[1], depth);
                match (delim, source) {
                    (Ok(d), Ok(s)) if !d.is_empty() => Some(Node::new(
                        NodeKind::Seq(s.split(&*d).map(|p| Node::str(p, loc)).collect()),
                        loc,
                    )),
                    (Err(why), _) | (_, Err(why)) => unknown(why),
                    _ => unknown("Fn::Split with an empty delimiter".to_string()),
                }
            }
            "Fn::FindInMap" => self.find_in_map(arg, loc, depth),
            "Fn::If" => {
                let Some(items) = arg.as_seq().filter(|s| s.len() == 3) else {
                    return unknown("malformed Fn::If".to_string());
                };
                let cond = match self.name_arg(&items[0], depth) {
                    Ok(c) => c,
                    Err(why) => return unknown(why),
                };
                match self.condition_at(&cond, depth) {
                    Some(true) => self.resolve_at(&items[1], depth),
                    Some(false) => self.resolve_at(&items[2], depth),
                    None => {
                        let a = self.resolve_at(&items[1], depth);
                        let b = self.resolve_at(&items[2], depth);
                        match (a, b) {
                            (Some(a), Some(b)) if same_value(&a, &b) => Some(a),
                            (None, None) => None,
                            _ => unknown(format!("Fn::If on undetermined condition {cond}")),
                        }
                    }
                }
            }
            "Fn::Equals" | "Fn::And" | "Fn::Or" | "Fn::Not" | "Condition" => {
                match self.cond_expr(name, arg, depth) {
                    Some(b) => Some(Node::new(NodeKind::Bool(b), loc)),
                    None => unknown(format!("{name} not determined by the template")),
                }
            }
            "Fn::Base64" => {
                let inner = self.value_at(arg, depth);
                match as_text(&inner) {
                    Ok(text) => Some(Node::str(base64(text.as_bytes()), loc)),
                    Err(why) => unknown(why),
                }
            }
            "Fn::ToJsonString" => {
                let inner = self.value_at(arg, depth);
                if let Some(why) = first_unknown(&inner) {
                    return unknown(why);
                }
                Some(Node::str(
                    flatten_markers(&inner).to_json().to_string(),
                    loc,
                ))
            }
            "Fn::Length" => {
                let inner = self.value_at(arg, depth);
                match &inner.kind {
                    NodeKind::Seq(items) => {
                        Some(Node::new(NodeKind::Number(items.len().to_string()), loc))
                    }
                    NodeKind::Unknown(why) => unknown(why.clone()),
                    _ => unknown("Fn::Length of a non-list".to_string()),
                }
            }
            "Fn::ImportValue" | "Fn::GetAZs" | "Fn::Cidr" | "Fn::Transform" => {
                unknown(format!("{name} is not determined by the template"))
            }
            other => unknown(format!("unsupported intrinsic {other}")),
        }
    }

    fn reference(&mut self, target: &str, loc: Loc) -> Option<Node> {
        if let Some(text) = pseudo_text(target) {
            return Some(Node::str(text, loc));
        }
        match target {
            "AWS::NoValue" => None,
            t if t.starts_with("AWS::") => {
                Some(Node::unknown(format!("pseudo parameter {t}"), loc))
            }
            t => {
                if let Some(value) = self.parameter(t) {
                    let mut value = value;
                    relocate(&mut value, loc);
                    Some(value)
                } else if self.resource_types.contains_key(t) {
                    Some(Node::new(
                        NodeKind::Tagged(RESOURCE_TAG.to_string(), Box::new(Node::str(t, loc))),
                        loc,
                    ))
                } else {
                    Some(Node::unknown(format!("Ref to undeclared {t}"), loc))
                }
            }
        }
    }

    /// A parameter's value (memoized); `None` when `name` is no parameter.
    fn parameter(&mut self, name: &str) -> Option<Node> {
        if let Some((v, size)) = self.param_values.get(name) {
            let (v, size) = (v.clone(), *size);
            return Some(self.charge(size, v));
        }
        let (key, decl) = self.params.get_key_value(name)?;
        let value = if decl.no_echo {
            Node::unknown(format!("NoEcho parameter {name}"), decl.node.loc)
        } else if decl.ssm {
            Node::unknown(format!("SSM parameter {name}"), decl.node.loc)
        } else {
            match decl.node.get("Default") {
                None => Node::unknown(format!("parameter {name} has no default"), decl.node.loc),
                Some(d) => match d.scalar_text() {
                    Some(text) if decl.list => Node::new(
                        NodeKind::Seq(
                            text.split(',')
                                .map(|p| Node::str(p.trim(), d.loc))
                                .collect(),
                        ),
                        d.loc,
                    ),
                    Some(_) => d.clone(),
                    None if d.as_seq().is_some() => d.clone(),
                    None => Node::unknown(format!("parameter {name} default"), d.loc),
                },
            }
        };
        let size = approx_bytes(&value);
        self.param_values.insert(key, (value.clone(), size));
        Some(self.charge(size, value))
    }

    /// Count `size` produced bytes against the budget; over it, the value
    /// is unknown.
    fn charge(&mut self, size: usize, value: Node) -> Node {
        self.produced = self.produced.saturating_add(size);
        if self.produced > MAX_PRODUCED || size > MAX_STRING {
            Node::unknown("template expands beyond the resolution budget", value.loc)
        } else {
            value
        }
    }

    fn condition_at(&mut self, name: &str, depth: usize) -> Option<bool> {
        match self.condition_values.get(name) {
            Some(CondState::Done(v)) => return *v,
            Some(CondState::Evaluating) => return None,
            None => {}
        }
        let (key, def) = self.conditions.get_key_value(name).map(|(k, v)| (*k, *v))?;
        if depth > MAX_DEPTH {
            return None;
        }
        self.condition_values.insert(key, CondState::Evaluating);
        let value = match intrinsic(def) {
            Some((fname, arg)) => self.cond_expr(&fname, arg, depth + 1),
            None => self.value_at(def, depth + 1).as_bool(),
        };
        self.condition_values.insert(key, CondState::Done(value));
        value
    }

    /// Tri-state evaluation of a condition function.
    fn cond_expr(&mut self, name: &str, arg: &Node, depth: usize) -> Option<bool> {
        if depth > MAX_DEPTH {
            return None;
        }
        let operand = |this: &mut Self, n: &Node| -> Option<bool> {
            match intrinsic(n) {
                Some((f, a))
                    if matches!(
                        f.as_ref(),
                        "Fn::Equals" | "Fn::And" | "Fn::Or" | "Fn::Not" | "Condition"
                    ) =>
                {
                    this.cond_expr(&f, a, depth + 1)
                }
                _ => match n.get("Condition").and_then(Node::as_str) {
                    Some(c) if n.as_map().is_some_and(|m| m.len() == 1) => {
                        this.condition_at(c, depth + 1)
                    }
                    _ => this.value_at(n, depth + 1).as_bool(),
                },
            }
        };
        match name {
            "Fn::Equals" => {
                let items = arg.as_seq().filter(|s| s.len() == 2)?;
                let a = self.value_at(&items[0], depth + 1);
                let b = self.value_at(&items[1], depth + 1);
                if a.contains_unknown() || b.contains_unknown() {
                    return None;
                }
                match (as_text(&a), as_text(&b)) {
                    (Ok(x), Ok(y)) if x == y => Some(true),
                    // `${AWS::Region}`, `${AWS::AccountId}` and resource
                    // placeholders stand for values chosen at deploy time:
                    // different text does not mean a different value. The
                    // partition and URL suffix resolve to their commercial
                    // values, so a comparison with them is not decided
                    // either (`IsChina: !Equals [!Ref AWS::Partition, aws-cn]`).
                    (Ok(x), Ok(y)) => {
                        let deploy_time = |t: &str| {
                            t.contains(SELF_ACCOUNT)
                                || t.contains(SELF_REGION)
                                || placeholders(t).next().is_some()
                        };
                        let pseudo = |n: &Node| shape(n).is_some_and(|t| t.contains("${AWS::"));
                        if deploy_time(&x)
                            || deploy_time(&y)
                            || pseudo(&items[0])
                            || pseudo(&items[1])
                        {
                            None
                        } else {
                            Some(false)
                        }
                    }
                    _ => Some(same_value(&a, &b)),
                }
            }
            "Fn::Not" => {
                let inner = arg.as_seq().and_then(|s| s.first()).unwrap_or(arg);
                operand(self, inner).map(|b| !b)
            }
            "Fn::And" | "Fn::Or" => {
                let items = arg.as_seq()?;
                let is_and = name == "Fn::And";
                let mut undetermined = false;
                for item in items {
                    match operand(self, item) {
                        Some(b) if b != is_and => return Some(b),
                        Some(_) => {}
                        None => undetermined = true,
                    }
                }
                if undetermined {
                    None
                } else {
                    Some(is_and)
                }
            }
            "Condition" => {
                let c = as_text(&self.value_at(arg, depth + 1)).ok()?;
                self.condition_at(&c, depth + 1)
            }
            _ => None,
        }
    }

    fn sub(&mut self, arg: &Node, loc: Loc, depth: usize) -> Node {
        let (template, vars) = match &arg.kind {
            NodeKind::Seq(items) if !items.is_empty() && items.len() <= 2 => {
                (&items[0], items.get(1))
            }
            NodeKind::Seq(_) => return Node::unknown("malformed Fn::Sub", loc),
            _ => (arg, None),
        };
        // The variables must be a map; CloudFormation rejects anything else.
        if vars.is_some_and(|v| v.as_map().is_none() && !v.is_null()) {
            return Node::unknown("malformed Fn::Sub variables", loc);
        }
        let template = match template.as_str() {
            Some(t) => t,
            None => match as_text(&self.value_at(template, depth)) {
                Ok(_) | Err(_) => {
                    return Node::unknown("Fn::Sub template is not a string", loc);
                }
            },
        };
        // A few variables at most: a list beats hashing. Searched from the
        // end so that a repeated name takes its last value.
        let mut var_values: Vec<(&str, Node)> = Vec::new();
        if let Some(entries) = vars.and_then(Node::as_map) {
            for e in entries {
                let v = self.value_at(&e.value, depth);
                var_values.push((e.key.as_str(), v));
            }
        }
        let mut out = String::with_capacity(template.len());
        let mut rest = template;
        while let Some(start) = find_open(rest) {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            if let Some(literal) = after.strip_prefix('!') {
                // `${!Name}` writes `${Name}` literally.
                out.push_str("${");
                rest = literal;
                continue;
            }
            let Some(end) = find_byte(after, b'}') else {
                out.push_str(&rest[start..]);
                rest = "";
                break;
            };
            let name = trim_names(&after[..end]);
            rest = &after[end + 1..];
            // Variables and resources (the common cases) are written
            // straight into `out`; the rest goes through `reference`.
            let written = if let Some((_, v)) = var_values.iter().rfind(|(k, _)| *k == name) {
                push_text(&mut out, v)
            } else if let Some(text) = pseudo_text(name) {
                // What `reference` gives, without a node to carry it.
                out.push_str(text);
                Ok(())
            } else if name.starts_with("AWS::") {
                match self.reference(name, loc) {
                    Some(v) => push_text(&mut out, &v),
                    None => Ok(()),
                }
            } else if let Some((res, _)) = split_at_dot(name) {
                if self.resource_types.contains_key(res) {
                    push_placeholder(&mut out, name);
                    Ok(())
                } else {
                    Err(format!("Fn::Sub ${{{name}}} names no resource"))
                }
            } else if !self.params.contains_key(name) && self.resource_types.contains_key(name) {
                // What `reference` gives a resource: its marker, `${Id}`.
                push_placeholder(&mut out, name);
                Ok(())
            } else {
                match self.reference(name, loc) {
                    Some(v) => push_text(&mut out, &v),
                    None => Ok(()),
                }
            };
            if let Err(why) = written {
                return Node::unknown(why, loc);
            }
        }
        out.push_str(rest);
        let size = out.len();
        self.charge(size, Node::str(out, loc))
    }

    fn join(&mut self, arg: &Node, loc: Loc, depth: usize) -> Node {
        let Some(items) = arg.as_seq().filter(|s| s.len() == 2) else {
            return Node::unknown("malformed Fn::Join", loc);
        };
        let delim = match as_text(&self.value_at(&items[0], depth)) {
            Ok(d) => d,
            Err(why) => return Node::unknown(why, loc),
        };
        let list = self.value_at(&items[1], depth);
        let parts = match &list.kind {
            NodeKind::Seq(parts) => parts,
            NodeKind::Unknown(why) => return Node::unknown(why.clone(), loc),
            _ => return Node::unknown("Fn::Join of a non-list", loc),
        };
        let mut out = String::new();
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                out.push_str(&delim);
            }
            if let Err(why) = push_text(&mut out, part) {
                return Node::unknown(why, loc);
            }
        }
        let size = out.len();
        self.charge(size, Node::str(out, loc))
    }

    fn find_in_map(&mut self, arg: &Node, loc: Loc, depth: usize) -> Option<Node> {
        let unknown = |why: &str| Some(Node::unknown(why, loc));
        let Some(items) = arg.as_seq().filter(|s| s.len() >= 3) else {
            return unknown("malformed Fn::FindInMap");
        };
        let mut keys = Vec::with_capacity(3);
        for item in &items[..3] {
            match as_text(&self.value_at(item, depth)) {
                // A key chosen at deploy time (`!Ref AWS::Region`) may be
                // any entry of the map, or none (then the default).
                Ok(k)
                    if k.contains(SELF_REGION)
                        || k.contains(SELF_ACCOUNT)
                        || placeholders(&k).next().is_some() =>
                {
                    return unknown("Fn::FindInMap key chosen at deploy time");
                }
                Ok(k) => keys.push(k),
                Err(why) => return unknown(&why),
            }
        }
        let found = self
            .mappings
            .get(&(keys[0].as_str(), keys[1].as_str()))
            .and_then(|m| m.get(&keys[2]));
        match found {
            Some(v) => self.resolve_at(v, depth),
            None => match items.get(3).and_then(|d| d.get("DefaultValue")) {
                Some(default) => self.resolve_at(default, depth),
                None => unknown("Fn::FindInMap key not in Mappings"),
            },
        }
    }
}

/// Rough size of a resolved value (strings dominate).
fn approx_bytes(node: &Node) -> usize {
    match &node.kind {
        NodeKind::Str(s) | NodeKind::Number(s) => s.len(),
        NodeKind::Seq(items) => items.iter().map(|i| 16 + approx_bytes(i)).sum(),
        _ => 16,
    }
}

/// The first unknown's reason inside `node`.
fn first_unknown(node: &Node) -> Option<String> {
    let mut todo = vec![node];
    while let Some(n) = todo.pop() {
        match &n.kind {
            NodeKind::Unknown(why) => return Some(why.clone()),
            NodeKind::Seq(items) => todo.extend(items.iter()),
            NodeKind::Map(entries) => todo.extend(entries.iter().map(|e| &e.value)),
            NodeKind::Tagged(_, inner) => todo.push(inner),
            _ => {}
        }
    }
    None
}

/// A parameter's value takes the location of the `Ref` that uses it, so
/// findings point at the use (the parameter itself is reported separately).
fn relocate(node: &mut Node, loc: Loc) {
    node.loc = loc;
    if let NodeKind::Seq(items) = &mut node.kind {
        for item in items {
            item.loc = loc;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(body: &str) -> Node {
        crate::yaml::parse(body, 0, "t.yaml").expect("test template parses")
    }

    /// Resolve `Outputs.V` of a template (a convenient spot for a value).
    fn eval(body: &str) -> Option<Node> {
        let root = template(body);
        let mut r = Resolver::new(&root);
        let v = root.path(&["Outputs", "V"]).expect("Outputs.V");
        r.resolve(v)
    }

    fn eval_str(body: &str) -> String {
        match eval(body).map(|n| n.kind) {
            Some(NodeKind::Str(s)) => s,
            other => panic!("expected a string, got {other:?}"),
        }
    }

    fn eval_unknown(body: &str) -> String {
        match eval(body).map(|n| n.kind) {
            Some(NodeKind::Unknown(why)) => why,
            other => panic!("expected unknown, got {other:?}"),
        }
    }

    const HEAD: &str = "Parameters:\n  Stage: {Type: String, Default: prod}\n  NoDefault: {Type: String}\n  Secret: {Type: String, NoEcho: true, Default: hunter2}\n  Names: {Type: CommaDelimitedList, Default: 'a, b,c'}\n  Ami: {Type: 'AWS::SSM::Parameter::Value<String>', Default: /app/key}\nMappings:\n  Env: {prod: {Size: 512}, dev: {Size: 128}}\nConditions:\n  IsProd: !Equals [!Ref Stage, prod]\n  IsDev: !Not [!Condition IsProd]\n  Unknown: !Equals [!Ref NoDefault, x]\n  Both: !And [!Condition IsProd, !Condition Unknown]\n  Either: !Or [!Condition IsProd, !Condition Unknown]\n  LoopA: !Condition LoopB\n  LoopB: !Condition LoopA\nResources:\n  Fn: {Type: AWS::Lambda::Function}\n  Role: {Type: AWS::IAM::Role}\n";

    fn with(value: &str) -> String {
        format!("{HEAD}Outputs:\n  V: {value}\n")
    }

    /// Owned resolution turns short-form references to resources into
    /// markers in place: the result must be what borrowed resolution builds,
    /// locations included, for every kind of reference target.
    #[test]
    fn owned_references_match_borrowed_resolution() {
        for value in [
            "!Ref Fn",
            "!Ref Role",
            "!Ref Stage",
            "!Ref Names",
            "!Ref Secret",
            "!Ref AWS::Region",
            "!Ref AWS::StackName",
            "!Ref AWS::NoValue",
            "!Ref Missing",
            "!GetAtt Role.Arn",
            "!GetAtt Fn.Arn.Deep",
            "!GetAtt Missing.Arn",
            "!GetAtt Role",
            "!GetAtt [Role, Arn]",
            "{Ref: Fn}",
            "{'Fn::GetAtt': Role.Arn}",
            "[!Ref Fn, !GetAtt Role.Arn, {k: !Ref Stage}, !Ref AWS::NoValue, x]",
            "{a: !Ref AWS::NoValue, b: !GetAtt Fn.Arn, c: !Sub '${Fn}-${Role.Arn}'}",
        ] {
            let root = template(&with(value));
            let v = root.path(&["Outputs", "V"]).expect("Outputs.V");
            let borrowed = Resolver::new(&root).resolve(v);
            let owned = Resolver::new(&root).resolve_owned(v.clone());
            assert_eq!(owned, borrowed, "{value}");
        }
    }

    /// `Fn::Sub` writes variables and resources straight into the string;
    /// the result must be what `Ref`/`Fn::GetAtt` joined together give.
    #[test]
    fn sub_placeholders_match_joined_references() {
        for (sub, parts) in [
            ("${Stage}", "!Ref Stage"),
            ("${Fn}", "!Ref Fn"),
            ("${Fn.Arn}", "!GetAtt Fn.Arn"),
            ("${AWS::Region}", "!Ref AWS::Region"),
            ("${AWS::NoValue}", "''"),
            ("${ Fn }", "!Ref Fn"),
            ("${V}", "!Ref Fn"),
            ("${Names}", "!Ref Names"),
            ("${Secret}", "!Ref Secret"),
            ("${Nope}", "!Ref Nope"),
        ] {
            let sub_value = eval(&with(&format!("!Sub ['{sub}', {{V: !Ref Fn}}]")));
            let join_value = eval(&with(&format!("!Join ['', [{parts}]]")));
            assert_eq!(
                sub_value.map(|n| n.kind),
                join_value.map(|n| n.kind),
                "{sub}"
            );
        }
        assert!(eval_unknown(&with("!Sub '${Nope.Arn}'")).contains("names no resource"));
    }

    #[test]
    fn ref_parameters_and_pseudo() {
        assert_eq!(eval_str(&with("!Ref Stage")), "prod");
        assert_eq!(eval_str(&with("{Ref: Stage}")), "prod");
        assert!(eval_unknown(&with("!Ref NoDefault")).contains("no default"));
        assert_eq!(
            eval_unknown(&with("!Ref Secret")),
            "NoEcho parameter Secret"
        );
        assert_eq!(eval_str(&with("!Ref AWS::AccountId")), SELF_ACCOUNT);
        assert_eq!(eval_str(&with("!Ref AWS::Region")), SELF_REGION);
        assert_eq!(eval_str(&with("!Ref AWS::Partition")), "aws");
        assert_eq!(eval_str(&with("!Ref AWS::URLSuffix")), "amazonaws.com");
        assert!(eval_unknown(&with("!Ref AWS::StackName")).contains("StackName"));
        assert_eq!(eval_unknown(&with("!Ref Ami")), "SSM parameter Ami");
        assert!(eval(&with("!Ref AWS::NoValue")).is_none());
        let names = eval(&with("!Ref Names")).expect("list");
        let items: Vec<_> = names
            .as_seq()
            .expect("seq")
            .iter()
            .filter_map(Node::as_str)
            .collect();
        assert_eq!(items, ["a", "b", "c"]);
    }

    #[test]
    fn ref_and_getatt_to_resources_are_markers() {
        let n = eval(&with("!Ref Fn")).expect("value");
        assert_eq!(resource_marker(&n), Some(("Fn", None)));
        let n = eval(&with("!GetAtt Role.Arn")).expect("value");
        assert_eq!(resource_marker(&n), Some(("Role", Some("Arn"))));
        let n = eval(&with("{'Fn::GetAtt': [Role, Arn]}")).expect("value");
        assert_eq!(resource_marker(&n), Some(("Role", Some("Arn"))));
        assert!(eval_unknown(&with("!GetAtt Nope.Arn")).contains("Nope"));
        assert!(eval_unknown(&with("!Ref Nope")).contains("undeclared"));
        // The marker text keeps everything after the first dot, in both
        // forms, and names built from parameters resolve first.
        let n = eval(&with("!GetAtt Role.Endpoint.Address")).expect("value");
        assert_eq!(
            resource_marker(&n),
            Some(("Role", Some("Endpoint.Address")))
        );
        let n = eval(&with("{'Fn::GetAtt': [Role, Endpoint.Address]}")).expect("value");
        assert_eq!(
            resource_marker(&n),
            Some(("Role", Some("Endpoint.Address")))
        );
        let n = eval(&with("{'Fn::GetAtt': [Role, !Ref Stage]}")).expect("value");
        assert_eq!(resource_marker(&n), Some(("Role", Some("prod"))));
        assert_eq!(
            eval_unknown(&with("{'Fn::GetAtt': [Role.Arn, Arn]}")),
            "Fn::GetAtt to undeclared resource Role.Arn"
        );
        assert_eq!(
            eval_unknown(&with("!GetAtt RoleArn")),
            "Fn::GetAtt RoleArn has no attribute"
        );
    }

    #[test]
    fn sub_forms() {
        assert_eq!(
            eval_str(&with("!Sub 'arn:${AWS::Partition}:s3:::b-${Stage}/*'")),
            "arn:aws:s3:::b-prod/*"
        );
        assert_eq!(
            eval_str(&with("!Sub '/aws/lambda/${Fn}'")),
            "/aws/lambda/${Fn}"
        );
        assert_eq!(eval_str(&with("!Sub '${Role.Arn}'")), "${Role.Arn}");
        assert_eq!(
            eval_str(&with("!Sub ['${X}-${Stage}', {X: !Ref Stage}]")),
            "prod-prod"
        );
        assert_eq!(eval_str(&with("!Sub '${!Literal}-x'")), "${Literal}-x");
        assert_eq!(
            eval_str(&with("!Sub 'arn:aws:iam::${AWS::AccountId}:root'")),
            format!("arn:aws:iam::{SELF_ACCOUNT}:root")
        );
        assert!(eval_unknown(&with("!Sub 'x-${NoDefault}'")).contains("no default"));
        assert!(eval_unknown(&with("!Sub '${AWS::StackName}-x'")).contains("StackName"));
        assert!(eval_unknown(&with("!Sub '${Nope.Arn}'")).contains("Nope"));
        assert!(eval_unknown(&with("!Sub [a, b, c]")).contains("malformed"));
        assert!(eval_unknown(&with("!Sub [x, 5]")).contains("malformed"));
        assert!(eval_unknown(&with("!Sub []")).contains("malformed"));
    }

    #[test]
    fn join_select_split_findinmap() {
        assert_eq!(
            eval_str(&with("!Join ['-', [a, !Ref Stage, !Ref Fn]]")),
            "a-prod-${Fn}"
        );
        assert!(eval_unknown(&with("!Join ['-', [a, !Ref NoDefault]]")).contains("no default"));
        assert_eq!(eval_str(&with("!Select [1, [x, y, z]]")), "y");
        assert_eq!(eval_str(&with("!Select [2, !Ref Names]")), "c");
        assert!(eval_unknown(&with("!Select [5, [x]]")).contains("range"));
        assert_eq!(eval_str(&with("!Select [1, !Split ['/', 'a/b/c']]")), "b");
        assert_eq!(
            eval(&with("!FindInMap [Env, !Ref Stage, Size]")).and_then(|n| n.as_i64()),
            Some(512)
        );
        assert!(eval_unknown(&with("!FindInMap [Env, qa, Size]")).contains("Mappings"));
        assert!(
            eval_unknown(&with("!FindInMap [Env, !Ref NoDefault, Size]")).contains("no default")
        );
        assert_eq!(
            eval_str(&with("!FindInMap [Env, qa, Size, {DefaultValue: tiny}]")),
            "tiny"
        );
        assert!(eval_unknown(&with(
            "!FindInMap [Env, !Ref 'AWS::Region', Size, {DefaultValue: tiny}]"
        ))
        .contains("deploy time"));
    }

    #[test]
    fn conditions_and_if() {
        let root = template(&with("x"));
        let mut r = Resolver::new(&root);
        assert_eq!(r.condition("IsProd"), Some(true));
        assert_eq!(r.condition("IsDev"), Some(false));
        assert_eq!(r.condition("Unknown"), None);
        assert_eq!(r.condition("Both"), None);
        assert_eq!(r.condition("Either"), Some(true));
        assert_eq!(r.condition("LoopA"), None);
        assert_eq!(r.condition("Missing"), None);
        assert_eq!(eval_str(&with("!If [IsProd, big, small]")), "big");
        // Pseudo parameters are chosen at deploy time.
        let root = template(
            "Parameters:\n  Stage: {Type: String, Default: prod}\nConditions:\n  East: !Equals [!Ref AWS::Region, us-east-1]\n  China: !Equals [aws-cn, !Ref AWS::Partition]\n  Mine: !Equals [!Sub '${AWS::AccountId}', '123456789012']\n  Same: !Equals [!Ref AWS::Region, !Ref AWS::Region]\n  Named: !Equals [!Ref Fn, orders]\n  NotEast: !Not [!Condition East]\n  ProdOrEast: !Or [!Condition IsProd, !Condition East]\n  IsProd: !Equals [!Ref Stage, prod]\nResources:\n  Fn: {Type: AWS::Lambda::Function}\n",
        );
        let mut r = Resolver::new(&root);
        assert_eq!(r.condition("East"), None);
        assert_eq!(r.condition("China"), None);
        assert_eq!(r.condition("Mine"), None);
        assert_eq!(r.condition("Same"), Some(true));
        assert_eq!(r.condition("Named"), None);
        assert_eq!(r.condition("NotEast"), None);
        assert_eq!(r.condition("ProdOrEast"), Some(true));
        assert_eq!(eval_str(&with("!If [IsDev, big, small]")), "small");
        assert!(eval_unknown(&with("!If [Unknown, big, small]")).contains("Unknown"));
        assert_eq!(eval_str(&with("!If [Unknown, same, same]")), "same");
        assert!(eval(&with("!If [IsDev, x, !Ref AWS::NoValue]")).is_none());
        assert_eq!(
            eval(&with("!Equals [a, a]")).and_then(|n| n.as_bool()),
            Some(true)
        );
    }

    #[test]
    fn no_value_removes_entries_and_items() {
        let n = eval(&with(
            "{A: !Ref AWS::NoValue, B: 1, L: [x, !Ref AWS::NoValue]}",
        ))
        .expect("map");
        assert!(n.get("A").is_none());
        assert_eq!(
            n.get("L").and_then(Node::as_seq).map(<[Node]>::len),
            Some(1)
        );
    }

    #[test]
    fn other_functions() {
        assert!(eval_unknown(&with("!ImportValue Shared")).contains("ImportValue"));
        assert!(eval_unknown(&with("!GetAZs ''")).contains("GetAZs"));
        assert!(eval_unknown(&with("!Cidr [x, 1, 2]")).contains("Cidr"));
        assert_eq!(eval_str(&with("!Base64 'hello'")), "aGVsbG8=");
        assert_eq!(eval_str(&with("!Base64 'hi!'")), "aGkh");
        assert_eq!(
            eval_str(&with("!ToJsonString {a: !Ref Stage}")),
            r#"{"a":"prod"}"#
        );
        assert_eq!(
            eval(&with("!Length [1, 2, 3]")).and_then(|n| n.as_i64()),
            Some(3)
        );
        assert!(eval_unknown(&with("{'Fn::Bogus': 1}")).contains("Fn::Bogus"));
    }

    #[test]
    fn doubling_subs_hit_the_budget() {
        // Each level doubles the string: 2^40 bytes if nothing stopped it.
        let mut body = String::from("Parameters:\n  P0: {Type: String, Default: xxxxxxxxxxxxxxxx}\nResources: {}\nOutputs:\n  V: ");
        let mut value = String::from("!Ref P0");
        for _ in 0..40 {
            value = format!("{{'Fn::Sub': ['${{A}}${{A}}', {{A: {value}}}]}}");
        }
        body.push_str(&value);
        body.push('\n');
        let why = eval_unknown(&body);
        assert!(why.contains("budget"), "{why}");
    }

    #[test]
    fn shapes_of_unresolved_names() {
        let root = template(
            "A: !Sub '${AWS::StackName}-orders'\nB: !Join ['-', [!Ref AWS::StackName, orders]]\nC: {'Fn::Sub': ['${S}-orders', {S: !Ref AWS::StackName}]}\nD: !Ref Name\nE: !If [C, a, b]\nF: !Join ['', [x, !GetAtt R.Arn]]\n",
        );
        let shape_of = |k: &str| shape(root.get(k).expect("key"));
        let stack = Some("${AWS::StackName}-orders".to_string());
        assert_eq!(shape_of("A"), stack);
        assert_eq!(shape_of("B"), stack);
        assert_eq!(shape_of("C"), stack);
        assert_eq!(shape_of("D").as_deref(), Some("${Name}"));
        assert_eq!(shape_of("E"), None);
        assert_eq!(shape_of("F"), None);
    }

    #[test]
    fn find_open_matches_substring_search() {
        for text in [
            "", "$", "{", "${", "$${", "$ {", "a$b${c}", "${x}${y}", "é${x}", "$$$", "x$", "$é{",
        ] {
            assert_eq!(find_open(text), text.find("${"), "{text:?}");
            assert_eq!(has_open(text), text.contains("${"), "{text:?}");
        }
    }

    #[test]
    fn byte_scans_match_the_str_methods() {
        for text in [
            "",
            ".",
            "}",
            "a.b.c",
            "Db.Endpoint.Address",
            "é.}",
            " x ",
            "\tx",
            "x\u{a0}",
            "\u{2003}y",
            "AWS::Region",
            "a }",
            "日本.x",
        ] {
            assert_eq!(find_byte(text, b'}'), text.find('}'), "{text:?}");
            assert_eq!(find_open(text), text.find("${"), "{text:?}");
            assert_eq!(split_at_dot(text), text.split_once('.'), "{text:?}");
            assert_eq!(trim_names(text), text.trim(), "{text:?}");
        }
    }

    /// The word-at-a-time search finds the first match at every position
    /// and alignment, next to bytes just below and above the one searched
    /// for and bytes with the high bit set (where a borrow could mislead).
    #[test]
    fn position_of_matches_a_byte_loop() {
        let fill = [b'a', b'#', b'%', 0x00, 0x7f, 0x80, 0xa4, 0xff];
        for len in 0..40 {
            for &other in &fill {
                let base = vec![other; len];
                assert_eq!(position_of(&base, b'$'), None, "{len} {other}");
                for at in 0..len {
                    let mut bytes = base.clone();
                    bytes[at] = b'$';
                    if at + 3 < len {
                        bytes[at + 3] = b'$';
                    }
                    assert_eq!(position_of(&bytes, b'$'), Some(at), "{len} {other} {at}");
                    assert_eq!(
                        position_of(&bytes[at..], b'$'),
                        Some(0),
                        "{len} {other} {at}"
                    );
                }
            }
        }
        for byte in [0u8, b'.', b'z', 0x80, 0xff] {
            let bytes: Vec<u8> = (0..=255u8).rev().chain(0..=255u8).collect();
            for start in 0..16 {
                let expected = bytes[start..].iter().position(|&b| b == byte);
                assert_eq!(
                    position_of(&bytes[start..], byte),
                    expected,
                    "{byte} {start}"
                );
            }
        }
    }

    /// Borrowing a document without markers gives what copying it with
    /// `flatten_at` gives; documents with markers, other tags or nesting
    /// past the bound still go through the copy.
    #[test]
    fn flatten_markers_borrows_only_what_it_would_not_change() {
        let root = template(&format!(
            "{HEAD}Outputs:\n  Plain: {{Statement: [{{Effect: Allow, Action: 's3:*', Resource: '*'}}]}}\n  Marker: {{Statement: [{{Resource: [!GetAtt Role.Arn, x]}}]}}\n  Tag: {{A: !Custom {{B: !Ref Fn}}}}\n"
        ));
        let mut r = Resolver::new(&root);
        for key in ["Plain", "Marker", "Tag"] {
            let raw = root.path(&["Outputs", key]).expect("output");
            for node in [raw.clone(), r.value(raw)] {
                let flattened = flatten_markers(&node);
                assert_eq!(*flattened, flatten_at(&node, 0), "{key}");
                let borrowed = matches!(flattened, Cow::Borrowed(_));
                assert_eq!(borrowed, *flattened == node, "{key}");
            }
        }
        let mut deep = Node::str("x", Loc::default());
        for _ in 0..MAX_DEPTH + 2 {
            deep = Node::new(NodeKind::Seq(vec![deep]), Loc::default());
        }
        assert!(matches!(flatten_markers(&deep), Cow::Owned(_)));
        assert_eq!(*flatten_markers(&deep), flatten_at(&deep, 0));
    }

    #[test]
    fn placeholder_scan() {
        let found: Vec<_> =
            placeholders("arn:${AWS::Region}:${Db.Endpoint.Address}/${Api}").collect();
        assert_eq!(found, [("Db", Some("Endpoint.Address")), ("Api", None)]);
    }

    #[test]
    fn deep_nesting_is_bounded() {
        // Nested Fn::Join lists up to what the YAML parser accepts.
        let mut v = String::from("x");
        for _ in 0..40 {
            v = format!("{{'Fn::Join': ['', [{v}]]}}");
        }
        assert_eq!(eval_str(&with(&v)), "x");
        // A long chain of conditions.
        let mut body = String::from("Conditions:\n  C0: !Equals [a, a]\n");
        for i in 1..5000 {
            body.push_str(&format!("  C{i}: !Condition C{}\n", i - 1));
        }
        body.push_str("Resources: {}\n");
        let root = template(&body);
        let mut r = Resolver::new(&root);
        // Either the value or "undetermined", but no stack overflow.
        let _ = r.condition("C4999");
    }
}
