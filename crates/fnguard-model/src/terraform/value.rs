//! Values of Terraform expressions as far as the scanned module determines
//! them. HCL and plan JSON both become these, so one model builder serves
//! both inputs.

use fnguard_core::doc::MapEntry;
use fnguard_core::{Loc, Node, NodeKind};

/// Marks the place of an unevaluated piece inside a partially known string
/// (a private-use character: valid inside JSON strings, absent from real
/// templates).
pub(crate) const HOLE: char = '\u{E000}';

/// Starts a hole that is not a reference (`HOLE ? why HOLE`).
pub(crate) const UNKNOWN_MARK: char = '?';

/// The hole for a piece that is unknown for the reason `why`.
pub(crate) fn unknown_piece(why: &str) -> String {
    // Holes may land inside JSON strings (heredoc policies): keep them
    // free of quotes, escapes and control characters.
    let why: String = why
        .chars()
        .map(|c| match c {
            '"' | '\\' | HOLE => ' ',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    format!("{HOLE}{UNKNOWN_MARK}{why}{HOLE}")
}

/// `"${aws_x.y.arn}/*"` as text when every unknown piece of a partially
/// known string is a reference to a resource or data source: the value is
/// set and scoped, only computed. `None` when a piece is otherwise unknown.
pub(crate) fn render_refs(partial: &str) -> Option<String> {
    let mut out = String::with_capacity(partial.len());
    for (i, piece) in partial.split(HOLE).enumerate() {
        if i % 2 == 0 {
            out.push_str(piece);
        } else if piece.is_empty() || piece.starts_with(UNKNOWN_MARK) {
            return None;
        } else {
            out.push_str("${");
            out.push_str(piece);
            out.push('}');
        }
    }
    Some(out)
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Val {
    Null,
    Bool(bool),
    Num(String),
    Str(String),
    List(Vec<V>),
    Map(Vec<(String, V)>),
    /// A computed attribute of another resource or data source of the
    /// module (`aws_iam_role.x.arn`): `addr` is `aws_iam_role.x`.
    Ref {
        addr: String,
        attr: String,
    },
    /// The default of a `sensitive` variable: never shown, and a secret
    /// reference when it lands in an environment variable.
    Sensitive(String),
    /// Not determined by the module. `partial` keeps the text of a string
    /// template with [`HOLE`]-delimited pieces for what is unknown (a
    /// reference is kept as `HOLE addr.attr HOLE`), so a heredoc policy or
    /// `"integrations/${aws_apigatewayv2_integration.x.id}"` stays usable.
    Unknown {
        why: String,
        partial: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct V {
    pub kind: Val,
    pub loc: Loc,
    /// Nesting depth of lists and maps: references can build values deeper
    /// than any one expression, and everything that walks a value recurses.
    depth: u32,
}

/// Values nested deeper than this become unknown.
pub(crate) const MAX_VALUE_DEPTH: u32 = 160;

impl V {
    pub fn new(kind: Val, loc: Loc) -> V {
        let depth = match &kind {
            Val::List(items) => 1 + items.iter().map(|v| v.depth).max().unwrap_or(0),
            Val::Map(entries) => 1 + entries.iter().map(|(_, v)| v.depth).max().unwrap_or(0),
            _ => 0,
        };
        V { kind, loc, depth }
    }

    pub fn depth(&self) -> u32 {
        self.depth
    }

    pub fn unknown(why: impl Into<String>, loc: Loc) -> V {
        V::new(
            Val::Unknown {
                why: why.into(),
                partial: None,
            },
            loc,
        )
    }

    pub fn get(&self, key: &str) -> Option<&V> {
        match &self.kind {
            Val::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Val::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Text of a known scalar.
    pub fn scalar(&self) -> Option<String> {
        match &self.kind {
            Val::Str(s) | Val::Num(s) => Some(s.clone()),
            Val::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match &self.kind {
            Val::Bool(b) => Some(*b),
            Val::Str(s) if s.eq_ignore_ascii_case("true") => Some(true),
            Val::Str(s) if s.eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match &self.kind {
            Val::Num(s) | Val::Str(s) => {
                let t = s.trim();
                t.parse::<i64>()
                    .ok()
                    .or_else(|| t.parse::<f64>().ok().map(|f| f as i64))
            }
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.kind, Val::Null)
    }

    pub fn is_known(&self) -> bool {
        !matches!(
            self.kind,
            Val::Unknown { .. } | Val::Ref { .. } | Val::Sensitive(_)
        )
    }

    /// Whether this value or anything inside it is not determined.
    pub fn contains_unknown(&self) -> bool {
        match &self.kind {
            Val::Unknown { .. } | Val::Ref { .. } | Val::Sensitive(_) => true,
            Val::List(items) => items.iter().any(V::contains_unknown),
            Val::Map(entries) => entries.iter().any(|(_, v)| v.contains_unknown()),
            _ => false,
        }
    }

    /// The items of a list; a single value counts as a one-item list
    /// (`toset`, splats and plan JSON vary).
    pub fn items(&self) -> Vec<&V> {
        match &self.kind {
            Val::List(items) => items.iter().collect(),
            Val::Null => Vec::new(),
            _ => vec![self],
        }
    }

    /// The addresses of references inside a partially known string.
    pub fn partial_refs(&self) -> Vec<&str> {
        let Val::Unknown {
            partial: Some(text),
            ..
        } = &self.kind
        else {
            return Vec::new();
        };
        text.split(HOLE)
            .skip(1)
            .step_by(2)
            .filter(|piece| !piece.is_empty() && !piece.starts_with(UNKNOWN_MARK))
            .collect()
    }

    /// A text standing for this value whatever it is: the string itself,
    /// or the partial text with holes naming what is unknown. Two values
    /// with the same shape come from the same expression (the log group
    /// `"/aws/lambda/${var.name}"` of the function named `var.name`), which
    /// links elements whose names the module leaves open.
    pub fn shape(&self) -> Option<String> {
        match &self.kind {
            Val::Str(s) | Val::Num(s) => Some(s.clone()),
            Val::Unknown {
                partial: Some(p), ..
            } => Some(p.clone()),
            Val::Unknown { why, partial: None } => Some(unknown_piece(why)),
            Val::Ref { addr, attr } => Some(format!("{HOLE}{addr}.{attr}{HOLE}")),
            Val::Sensitive(name) => Some(unknown_piece(name)),
            _ => None,
        }
    }

    /// Structural equality ignoring locations (for `c ? a : a`).
    pub fn same(&self, other: &V) -> bool {
        match (&self.kind, &other.kind) {
            (Val::List(a), Val::List(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same(y))
            }
            (Val::Map(a), Val::Map(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .zip(b)
                        .all(|((ka, va), (kb, vb))| ka == kb && va.same(vb))
            }
            (Val::Unknown { .. }, _) | (_, Val::Unknown { .. }) => false,
            (a, b) => a == b,
        }
    }

    /// Into the shared document tree (for `fnguard_iam::parse_policy`).
    /// References and unknowns become `NodeKind::Unknown`; strings with holes
    /// too.
    pub fn to_node(&self) -> Node {
        let kind = match &self.kind {
            Val::Null => NodeKind::Null,
            Val::Bool(b) => NodeKind::Bool(*b),
            Val::Num(n) => NodeKind::Number(n.clone()),
            Val::Str(s) if s.contains(HOLE) => NodeKind::Unknown("partly unknown string".into()),
            Val::Str(s) => NodeKind::Str(s.clone()),
            Val::List(items) => NodeKind::Seq(items.iter().map(V::to_node).collect()),
            Val::Map(entries) => NodeKind::Map(
                entries
                    .iter()
                    .map(|(k, v)| MapEntry {
                        key: k.clone(),
                        key_loc: v.loc,
                        value: v.to_node(),
                    })
                    .collect(),
            ),
            Val::Ref { addr, attr } => NodeKind::Unknown(format!("{addr}.{attr}")),
            Val::Sensitive(name) => NodeKind::Unknown(format!("sensitive {name}")),
            Val::Unknown { why, .. } => NodeKind::Unknown(why.clone()),
        };
        Node::new(kind, self.loc)
    }

    /// As a policy document for `fnguard_iam::parse_policy`. A reference to
    /// an attribute of a resource or data source (`aws_iam_role.job.arn`,
    /// `"${aws_s3_bucket.b.arn}/*"`) is one specific, computed value, never
    /// a wildcard: it becomes the placeholder text `${aws_iam_role.job.arn}`,
    /// as CloudFormation's `${Role.Arn}`, so a statement scoped to it reads
    /// as scoped. Holes that are not references (variables without
    /// defaults...) stay unknown.
    pub fn to_policy_node(&self) -> Node {
        let kind = match &self.kind {
            Val::Str(s) if s.contains(HOLE) => match render_refs(s) {
                Some(text) => NodeKind::Str(text),
                None => NodeKind::Unknown("partly unknown string".into()),
            },
            Val::Ref { addr, attr } if attr.is_empty() => NodeKind::Str(format!("${{{addr}}}")),
            Val::Ref { addr, attr } => NodeKind::Str(format!("${{{addr}.{attr}}}")),
            Val::Unknown {
                partial: Some(text),
                why,
            } => match render_refs(text) {
                Some(text) => NodeKind::Str(text),
                None => NodeKind::Unknown(why.clone()),
            },
            Val::List(items) => NodeKind::Seq(items.iter().map(V::to_policy_node).collect()),
            Val::Map(entries) => NodeKind::Map(
                entries
                    .iter()
                    .map(|(k, v)| MapEntry {
                        key: k.clone(),
                        key_loc: v.loc,
                        value: v.to_policy_node(),
                    })
                    .collect(),
            ),
            _ => return self.to_node(),
        };
        Node::new(kind, self.loc)
    }

    /// From the shared document tree (plan JSON).
    pub fn from_node(node: &Node) -> V {
        let kind = match &node.kind {
            NodeKind::Null => Val::Null,
            NodeKind::Bool(b) => Val::Bool(*b),
            NodeKind::Number(n) => Val::Num(n.clone()),
            NodeKind::Str(s) => Val::Str(s.clone()),
            NodeKind::Seq(items) => Val::List(items.iter().map(V::from_node).collect()),
            NodeKind::Map(entries) => Val::Map(
                entries
                    .iter()
                    .map(|e| (e.key.clone(), V::from_node(&e.value)))
                    .collect(),
            ),
            NodeKind::Tagged(_, inner) => return V::from_node(inner),
            NodeKind::Unknown(why) => Val::Unknown {
                why: why.clone(),
                partial: None,
            },
        };
        V::new(kind, node.loc)
    }

    /// JSON text of a fully known value (`jsonencode` of an env value).
    pub fn to_json_text(&self) -> Option<String> {
        if self.contains_unknown() {
            return None;
        }
        Some(self.to_node().to_json().to_string())
    }
}

/// Parse a JSON document held in a string (a heredoc or `file`-less
/// policy), all located at the string. Holes become unknown strings.
pub(crate) fn json_text_to_v(text: &str, loc: Loc) -> Option<V> {
    let value: serde_json::Value = serde_json::from_str(text.trim()).ok()?;
    Some(json_to_v(&value, loc, 0))
}

fn json_to_v(value: &serde_json::Value, loc: Loc, depth: usize) -> V {
    use serde_json::Value;
    if depth > 64 {
        return V::unknown("JSON nested too deeply", loc);
    }
    let kind = match value {
        Value::Null => Val::Null,
        Value::Bool(b) => Val::Bool(*b),
        Value::Number(n) => Val::Num(n.to_string()),
        Value::String(s) if s.contains(HOLE) => Val::Unknown {
            why: "string with unknown parts".into(),
            partial: Some(s.clone()),
        },
        Value::String(s) => Val::Str(s.clone()),
        Value::Array(items) => Val::List(
            items
                .iter()
                .map(|item| json_to_v(item, loc, depth + 1))
                .collect(),
        ),
        Value::Object(map) => Val::Map(
            map.iter()
                .map(|(k, v)| (k.clone(), json_to_v(v, loc, depth + 1)))
                .collect(),
        ),
    };
    V::new(kind, loc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_refs_are_extracted() {
        let v = V::new(
            Val::Unknown {
                why: "x".into(),
                partial: Some(format!(
                    "integrations/{HOLE}aws_apigatewayv2_integration.i.id{HOLE}"
                )),
            },
            Loc::default(),
        );
        assert_eq!(v.partial_refs(), vec!["aws_apigatewayv2_integration.i.id"]);
    }

    #[test]
    fn json_with_holes_keeps_known_parts() {
        let text = format!(
            "{{\"Statement\":[{{\"Action\":\"s3:GetObject\",\"Resource\":\"{HOLE}aws_s3_bucket.b.arn{HOLE}/*\"}}]}}"
        );
        let v = json_text_to_v(&text, Loc::default()).unwrap();
        let node = v.to_node();
        let stmt = &node.get("Statement").unwrap().as_seq().unwrap()[0];
        assert_eq!(stmt.get("Action").unwrap().as_str(), Some("s3:GetObject"));
        assert!(stmt.get("Resource").unwrap().is_unknown());
    }
}
