//! Small constructors for the CloudFormation tree the transform emits. Every
//! node carries the location of the serverless.yml element it comes from.

use fnguard_core::doc::MapEntry;
use fnguard_core::fast_hash::HashMap;
use fnguard_core::{Loc, Node, NodeKind};

pub(crate) struct Obj {
    entries: Vec<MapEntry>,
    loc: Loc,
}

impl Obj {
    pub(crate) fn new(loc: Loc) -> Self {
        Obj {
            entries: Vec::new(),
            loc,
        }
    }

    /// For objects whose usual size is known: no regrowth while filling.
    pub(crate) fn with_capacity(capacity: usize, loc: Loc) -> Self {
        Obj {
            entries: Vec::with_capacity(capacity),
            loc,
        }
    }

    pub(crate) fn set(mut self, key: &str, value: Node) -> Self {
        self.put(key, value);
        self
    }

    pub(crate) fn set_opt(mut self, key: &str, value: Option<Node>) -> Self {
        if let Some(value) = value {
            self.put(key, value);
        }
        self
    }

    pub(crate) fn put(&mut self, key: &str, value: Node) {
        self.entries.push(MapEntry {
            key: key.to_string(),
            key_loc: value.loc,
            value,
        });
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub(crate) fn build(self) -> Node {
        Node::new(NodeKind::Map(self.entries), self.loc)
    }
}

pub(crate) fn text(value: impl Into<String>, loc: Loc) -> Node {
    Node::str(value, loc)
}

pub(crate) fn boolean(value: bool, loc: Loc) -> Node {
    Node::new(NodeKind::Bool(value), loc)
}

pub(crate) fn list(items: Vec<Node>, loc: Loc) -> Node {
    Node::new(NodeKind::Seq(items), loc)
}

pub(crate) fn texts(items: &[&str], loc: Loc) -> Node {
    list(items.iter().map(|item| text(*item, loc)).collect(), loc)
}

pub(crate) fn get_att(resource: &str, attribute: &str, loc: Loc) -> Node {
    Obj::new(loc)
        .set(
            "Fn::GetAtt",
            list(vec![text(resource, loc), text(attribute, loc)], loc),
        )
        .build()
}

pub(crate) fn reference(target: &str, loc: Loc) -> Node {
    Obj::new(loc).set("Ref", text(target, loc)).build()
}

pub(crate) fn sub(template: impl Into<String>, loc: Loc) -> Node {
    Obj::new(loc).set("Fn::Sub", text(template, loc)).build()
}

/// A resource. `implicit` marks what the framework generates on its own.
pub(crate) fn resource(kind: &str, properties: Node, implicit: bool, loc: Loc) -> Node {
    let mut obj = Obj::new(loc)
        .set("Type", text(kind, loc))
        .set("Properties", properties);
    if implicit {
        obj.put(
            "Metadata",
            fnguard_metadata(vec![("implicit", boolean(true, loc))], loc),
        );
    }
    obj.build()
}

pub(crate) fn fnguard_metadata(entries: Vec<(&str, Node)>, loc: Loc) -> Node {
    let mut inner = Obj::with_capacity(entries.len(), loc);
    for (key, value) in entries {
        inner.put(key, value);
    }
    Obj::with_capacity(1, loc)
        .set("fnguard", inner.build())
        .build()
}

/// Concatenate scalar parts; `Unknown` as soon as one part is not known text.
pub(crate) fn concat(parts: &[&Node], loc: Loc) -> Node {
    let mut out = String::new();
    for part in parts {
        match part.scalar_text() {
            Some(piece) => out.push_str(&piece),
            None => {
                let why = match &part.kind {
                    NodeKind::Unknown(why) => why.clone(),
                    _ => "name built from a non-text value".to_string(),
                };
                return Node::unknown(why, loc);
            }
        }
    }
    text(out, loc)
}

/// Deep merge as the framework merges `resources` over what it generated:
/// maps merge key by key, anything else is replaced by the user's value.
pub(crate) fn merge_into(base: &mut Node, overlay: &Node) {
    match (&mut base.kind, &overlay.kind) {
        (NodeKind::Map(base_entries), NodeKind::Map(overlay_entries)) => {
            // Indexed: `Resources` of big services hold thousands of ids.
            let mut index: HashMap<String, usize> = base_entries
                .iter()
                .enumerate()
                .map(|(i, e)| (e.key.clone(), i))
                .collect();
            for entry in overlay_entries {
                match index.get(&entry.key) {
                    Some(&i) => merge_into(&mut base_entries[i].value, &entry.value),
                    None => {
                        index.insert(entry.key.clone(), base_entries.len());
                        base_entries.push(entry.clone());
                    }
                }
            }
        }
        _ => *base = overlay.clone(),
    }
}

/// `Capitalised` first letter (the framework's `normalizeName`).
pub(crate) fn capitalise(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Function key → logical-id prefix: `create-order` → `CreateDashorder`.
/// One pass: every function of a service goes through here.
pub(crate) fn normalise_function(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 8);
    for c in key.chars() {
        match c {
            '-' => out.push_str("Dash"),
            '_' => out.push_str("Underscore"),
            c if out.is_empty() => out.extend(c.to_uppercase()),
            c => out.push(c),
        }
    }
    out
}

/// Only letters and digits, capitalised (bucket, topic, queue names).
pub(crate) fn alphanumeric(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars().filter(char::is_ascii_alphanumeric) {
        out.push(if out.is_empty() {
            c.to_ascii_uppercase()
        } else {
            c
        });
    }
    out
}

/// One REST path segment: `{id}` → `IdVar`, `{proxy+}` → `ProxyVar`,
/// `order-items` → `OrderDashitems`.
pub(crate) fn normalise_path_segment(segment: &str) -> String {
    if let Some(inner) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
        return format!("{}Var", alphanumeric(inner.trim_end_matches('+')));
    }
    alphanumeric(&segment.replace('-', "Dash"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_framework() {
        assert_eq!(normalise_function("hello"), "Hello");
        assert_eq!(
            normalise_function("create-order_v2"),
            "CreateDashorderUnderscorev2"
        );
        assert_eq!(normalise_path_segment("{id}"), "IdVar");
        assert_eq!(normalise_path_segment("{proxy+}"), "ProxyVar");
        assert_eq!(normalise_path_segment("order-items"), "OrderDashitems");
        assert_eq!(alphanumeric("my-bucket.uploads"), "Mybucketuploads");
    }

    #[test]
    fn one_pass_names_equal_the_framework_formulas() {
        for name in [
            "",
            "-",
            "_",
            "a",
            "-a",
            "_a",
            "ßx-y",
            "éclair_1",
            "Ab-_-c",
            "9lives",
            "x.y/z{w}",
            "\u{1f600}a",
        ] {
            assert_eq!(
                normalise_function(name),
                capitalise(&name.replace('-', "Dash").replace('_', "Underscore")),
                "{name}"
            );
            assert_eq!(
                alphanumeric(name),
                capitalise(
                    &name
                        .chars()
                        .filter(char::is_ascii_alphanumeric)
                        .collect::<String>()
                ),
                "{name}"
            );
        }
    }

    #[test]
    fn merge_is_deep_for_maps() {
        let loc = Loc::new(0, 1, 1);
        let mut base = Obj::new(loc)
            .set("A", Obj::new(loc).set("x", text("1", loc)).build())
            .build();
        let overlay = Obj::new(loc)
            .set("A", Obj::new(loc).set("y", text("2", loc)).build())
            .set("B", text("3", loc))
            .build();
        merge_into(&mut base, &overlay);
        assert_eq!(base.path(&["A", "x"]).and_then(Node::as_str), Some("1"));
        assert_eq!(base.path(&["A", "y"]).and_then(Node::as_str), Some("2"));
        assert_eq!(base.get("B").and_then(Node::as_str), Some("3"));
    }
}
