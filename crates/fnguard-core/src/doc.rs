//! The located document tree every loader produces: YAML, JSON and HCL all
//! become `Node`s carrying their source position, so that checks can point
//! at the exact line whatever the input format.
//!
//! `Unknown` is a first-class value: an intrinsic function, a Terraform
//! expression or a Serverless variable whose value the scanned files do not
//! determine. Checks must treat it as "cannot tell" and never report a
//! finding that depends on it.

use crate::location::Loc;

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    pub loc: Loc,
}

#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    Null,
    Bool(bool),
    /// Numbers keep their source text: no float rounding, and "0755" stays
    /// what the author wrote.
    Number(String),
    Str(String),
    Seq(Vec<Node>),
    /// Keys keep source order and their own location.
    Map(Vec<MapEntry>),
    /// A YAML tag the generic parser kept (e.g. CloudFormation's `!Ref`);
    /// format loaders rewrite these into their own forms.
    Tagged(String, Box<Node>),
    /// A value the scanned input does not determine; the string says why
    /// (e.g. "Fn::ImportValue", "${env:DB_PASSWORD}", "var.x has no default").
    Unknown(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct MapEntry {
    pub key: String,
    pub key_loc: Loc,
    pub value: Node,
}

impl Node {
    pub fn new(kind: NodeKind, loc: Loc) -> Self {
        Node { kind, loc }
    }

    pub fn str(s: impl Into<String>, loc: Loc) -> Self {
        Node::new(NodeKind::Str(s.into()), loc)
    }

    pub fn unknown(why: impl Into<String>, loc: Loc) -> Self {
        Node::new(NodeKind::Unknown(why.into()), loc)
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self.kind, NodeKind::Unknown(_))
    }

    pub fn is_null(&self) -> bool {
        matches!(self.kind, NodeKind::Null)
    }

    /// Whether this value, or anything inside it, is unknown.
    pub fn contains_unknown(&self) -> bool {
        match &self.kind {
            NodeKind::Unknown(_) => true,
            NodeKind::Seq(items) => items.iter().any(Node::contains_unknown),
            NodeKind::Map(entries) => entries.iter().any(|e| e.value.contains_unknown()),
            NodeKind::Tagged(_, inner) => inner.contains_unknown(),
            _ => false,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Str(s) => Some(s),
            _ => None,
        }
    }

    /// A scalar's text: strings, numbers and booleans (IaC formats are loose
    /// about `"true"` versus `true` and `"5"` versus `5`).
    pub fn scalar_text(&self) -> Option<std::borrow::Cow<'_, str>> {
        use std::borrow::Cow;
        match &self.kind {
            NodeKind::Str(s) => Some(Cow::Borrowed(s)),
            NodeKind::Number(n) => Some(Cow::Borrowed(n)),
            NodeKind::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
            _ => None,
        }
    }

    /// Booleans, also written as strings (`"true"`, `"False"`).
    pub fn as_bool(&self) -> Option<bool> {
        match &self.kind {
            NodeKind::Bool(b) => Some(*b),
            NodeKind::Str(s) if s.eq_ignore_ascii_case("true") => Some(true),
            NodeKind::Str(s) if s.eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        }
    }

    /// Integers, also written as strings.
    pub fn as_i64(&self) -> Option<i64> {
        match &self.kind {
            NodeKind::Number(n) | NodeKind::Str(n) => n.trim().parse().ok(),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.kind {
            NodeKind::Seq(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[MapEntry]> {
        match &self.kind {
            NodeKind::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// Map lookup by exact key.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|e| e.key == key)
            .map(|e| &e.value)
    }

    /// Map lookup ignoring ASCII case (IAM policy keys such as `Statement`
    /// are case-sensitive in AWS, but Terraform and hand-written JSON vary).
    pub fn get_ci(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|e| e.key.eq_ignore_ascii_case(key))
            .map(|e| &e.value)
    }

    /// Follow a path of map keys.
    pub fn path(&self, keys: &[&str]) -> Option<&Node> {
        keys.iter().try_fold(self, |node, key| node.get(key))
    }

    /// A scalar or a list of scalars as a list (IAM `Action`, SAM `Policies`
    /// and many others accept both).
    pub fn one_or_many(&self) -> Vec<&Node> {
        match &self.kind {
            NodeKind::Seq(items) => items.iter().collect(),
            NodeKind::Null => Vec::new(),
            _ => vec![self],
        }
    }

    /// A copy whose sequence items and map values are `f` of the originals
    /// (keys and locations kept); any other node is cloned as is. The
    /// building block of tree rewrites, which recurse through `f`.
    pub fn map_children(&self, mut f: impl FnMut(&Node) -> Node) -> Node {
        let kind = match &self.kind {
            NodeKind::Seq(items) => NodeKind::Seq(items.iter().map(&mut f).collect()),
            NodeKind::Map(entries) => NodeKind::Map(
                entries
                    .iter()
                    .map(|e| MapEntry {
                        key: e.key.clone(),
                        key_loc: e.key_loc,
                        value: f(&e.value),
                    })
                    .collect(),
            ),
            other => other.clone(),
        };
        Node::new(kind, self.loc)
    }

    /// Convert to plain JSON (unknown values become `"<unknown: why>"`
    /// strings). For evidence and debugging, not for decisions.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.kind {
            NodeKind::Null => Value::Null,
            NodeKind::Bool(b) => Value::Bool(*b),
            NodeKind::Number(n) => n
                .parse::<serde_json::Number>()
                .map(Value::Number)
                .unwrap_or_else(|_| Value::String(n.clone())),
            NodeKind::Str(s) => Value::String(s.clone()),
            NodeKind::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            NodeKind::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|e| (e.key.clone(), e.value.to_json()))
                    .collect(),
            ),
            NodeKind::Tagged(tag, inner) => {
                let mut map = serde_json::Map::new();
                map.insert(tag.clone(), inner.to_json());
                Value::Object(map)
            }
            NodeKind::Unknown(why) => Value::String(format!("<unknown: {why}>")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loc() -> Loc {
        Loc::new(0, 1, 1)
    }

    fn map(entries: Vec<(&str, Node)>) -> Node {
        Node::new(
            NodeKind::Map(
                entries
                    .into_iter()
                    .map(|(k, v)| MapEntry {
                        key: k.to_string(),
                        key_loc: loc(),
                        value: v,
                    })
                    .collect(),
            ),
            loc(),
        )
    }

    #[test]
    fn lookups_and_unknowns() {
        let doc = map(vec![
            ("A", map(vec![("B", Node::str("x", loc()))])),
            ("U", Node::unknown("Fn::ImportValue", loc())),
        ]);
        assert_eq!(doc.path(&["A", "B"]).and_then(Node::as_str), Some("x"));
        assert!(doc.path(&["A", "C"]).is_none());
        assert!(doc.get("U").unwrap().is_unknown());
        assert!(doc.contains_unknown());
        assert!(!doc.get("A").unwrap().contains_unknown());
        assert!(doc.get_ci("a").is_some());
    }

    #[test]
    fn map_children_rewrites_one_level() {
        let doc = map(vec![
            ("A", Node::str("x", loc())),
            (
                "B",
                Node::new(NodeKind::Seq(vec![Node::str("y", loc())]), loc()),
            ),
        ]);
        let upper = doc.map_children(|n| match n.as_str() {
            Some(s) => Node::str(s.to_uppercase(), n.loc),
            None => n.clone(),
        });
        assert_eq!(upper.get("A").and_then(Node::as_str), Some("X"));
        assert_eq!(upper.get("B"), doc.get("B"), "only one level is rewritten");
        assert_eq!(
            Node::str("z", loc()).map_children(|_| unreachable!()),
            Node::str("z", loc())
        );
    }

    #[test]
    fn scalars_are_loose() {
        assert_eq!(Node::str("TRUE", loc()).as_bool(), Some(true));
        assert_eq!(
            Node::new(NodeKind::Number("42".into()), loc()).as_i64(),
            Some(42)
        );
        assert_eq!(Node::str(" 7 ", loc()).as_i64(), Some(7));
        assert_eq!(Node::str("x", loc()).one_or_many().len(), 1);
    }
}
