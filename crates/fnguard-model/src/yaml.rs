//! YAML (and therefore JSON, a subset) into the located document tree.
//!
//! Tags are kept (`!Ref x` becomes `Tagged("Ref", x)`) for the CloudFormation
//! loader; anchors, aliases and `<<` merge keys are expanded. Hostile input
//! is bounded: nesting depth and the number of nodes (alias bombs) are capped,
//! and the tree is built without recursion.

use crate::LoadError;
use fnguard_core::doc::MapEntry;
use fnguard_core::{FileId, Loc, Node, NodeKind};
use std::collections::HashMap;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// Deeper documents are refused: real templates stay far below this, and
/// recursive consumers of the tree must not overflow the stack.
pub const MAX_DEPTH: usize = 256;
/// Upper bound on nodes produced, counting alias expansions; stops
/// "billion laughs" documents.
pub const MAX_NODES: usize = 20_000_000;
/// Upper bound on nodes copied by alias expansion; real templates alias a
/// few small blocks, bombs alias exponentially.
pub const MAX_ALIAS_NODES: usize = 1_000_000;

mod fast;

/// Parse the first document of `text`. `path` names the file in errors.
///
/// Most templates use a plain subset of YAML (block maps and lists, one-line
/// scalars, tags, flow lists, literal blocks): the fast path reads those
/// straight from the bytes, about four times faster than yaml-rust2's
/// character-by-character scanner. Anything else (anchors, multi-line plain
/// or quoted scalars, several documents, errors...) goes to yaml-rust2,
/// which also reports every error.
pub fn parse(text: &str, file: FileId, path: &str) -> Result<Node, LoadError> {
    if let Some(node) = fast::parse(text, file) {
        return Ok(node);
    }
    parse_slow(text, file, path)
}

/// yaml-rust2 only: the reference the fast path is tested against (and
/// benchmarked against: the engine's `parse_speed` example).
pub fn parse_slow(text: &str, file: FileId, path: &str) -> Result<Node, LoadError> {
    let mut builder = Builder::new(file);
    let mut parser = Parser::new_from_str(text);
    let outcome = parser.load(&mut builder, false);
    if let Some(err) = builder.error.take() {
        return Err(LoadError::new(path, err.0, err.1, err.2));
    }
    if let Err(err) = outcome {
        let mark = err.marker();
        return Err(LoadError::new(
            path,
            mark.line() as u32,
            mark.col() as u32 + 1,
            format!("invalid YAML: {}", err.info()),
        ));
    }
    Ok(builder
        .root
        .unwrap_or_else(|| Node::new(NodeKind::Null, Loc::new(file, 1, 1))))
}

enum Frame {
    Seq {
        items: Vec<Node>,
        loc: Loc,
        anchor: usize,
        tag: Option<String>,
    },
    Map {
        entries: Vec<MapEntry>,
        pending_key: Option<(String, Loc)>,
        /// Entries from `<<` merge keys, applied when the map closes so that
        /// the map's own keys win, as YAML specifies.
        merged: Vec<MapEntry>,
        index: Option<KeyIndex>,
        loc: Loc,
        anchor: usize,
        tag: Option<String>,
    },
}

/// Below this many entries a linear scan beats hashing.
const INDEX_THRESHOLD: usize = 16;

/// Key → entry index of a map under construction, built once the map grows
/// past a few entries so that the duplicate-key check stays linear on huge
/// `Resources` maps (a plain scan made a 50 MB template take minutes).
type KeyIndex = HashMap<String, usize>;

/// The key a scalar node makes: plain `null`/`~` is the empty key, plain
/// booleans their canonical text; `None` for anything else (complex keys).
fn map_key(kind: NodeKind) -> Option<String> {
    match kind {
        NodeKind::Str(s) | NodeKind::Number(s) => Some(s),
        NodeKind::Bool(b) => Some(b.to_string()),
        NodeKind::Null => Some(String::new()),
        _ => None,
    }
}

/// Add an entry to a map under construction. A later duplicate wins (with
/// its key location), as in most YAML loaders.
fn insert_entry(
    entries: &mut Vec<MapEntry>,
    index: &mut Option<KeyIndex>,
    key: String,
    key_loc: Loc,
    value: Node,
) {
    if index.is_none() && entries.len() >= INDEX_THRESHOLD {
        *index = Some(
            entries
                .iter()
                .enumerate()
                .map(|(i, e)| (e.key.clone(), i))
                .collect(),
        );
    }
    let existing = match index {
        Some(index) => index.get(&key).copied(),
        None => entries.iter().position(|e| same_key(&e.key, &key)),
    };
    if let Some(i) = existing {
        entries[i].key_loc = key_loc;
        entries[i].value = value;
    } else {
        if let Some(index) = index {
            index.insert(key.clone(), entries.len());
        }
        entries.push(MapEntry {
            key,
            key_loc,
            value,
        });
    }
}

struct Builder {
    file: FileId,
    stack: Vec<Frame>,
    root: Option<Node>,
    anchors: HashMap<usize, Node>,
    nodes: usize,
    alias_nodes: usize,
    /// First error met while building (line, column, message); later events
    /// are ignored.
    error: Option<(u32, u32, String)>,
    documents: usize,
}

impl Builder {
    fn new(file: FileId) -> Self {
        Builder {
            file,
            stack: Vec::new(),
            root: None,
            anchors: HashMap::new(),
            nodes: 0,
            alias_nodes: 0,
            error: None,
            documents: 0,
        }
    }

    fn loc(&self, mark: Marker) -> Loc {
        Loc::new(self.file, mark.line() as u32, mark.col() as u32 + 1)
    }

    fn fail(&mut self, loc: Loc, message: String) {
        if self.error.is_none() {
            self.error = Some((loc.line, loc.col, message));
        }
    }

    fn count(&mut self, n: usize, loc: Loc) -> bool {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > MAX_NODES {
            self.fail(
                loc,
                format!("document expands to more than {MAX_NODES} nodes (alias bomb?)"),
            );
            return false;
        }
        true
    }

    fn push_value(&mut self, node: Node) {
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
            }
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries,
                pending_key,
                merged,
                index,
                ..
            }) => match pending_key.take() {
                None => {
                    // A value in key position: only scalars make usable keys.
                    // The key node is consumed: its string moves into the entry.
                    let key_loc = node.loc;
                    let Some(key) = map_key(node.kind) else {
                        self.fail(key_loc, "complex mapping keys are not supported".into());
                        return;
                    };
                    *pending_key = Some((key, key_loc));
                }
                Some((key, key_loc)) => {
                    if key == "<<" {
                        merge_into(merged, node);
                        return;
                    }
                    insert_entry(entries, index, key, key_loc, node);
                }
            },
        }
    }

    fn finish(&mut self, node: Node, anchor: usize) {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        self.push_value(node);
    }
}

/// `a == b`, with the first bytes compared inline: keys of one map mostly
/// differ there, and this check runs for every pair of keys of small maps.
pub(crate) fn same_key(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.as_bytes().first() == b.as_bytes().first() && a == b
}

fn merge_into(merged: &mut Vec<MapEntry>, node: Node) {
    match node.kind {
        NodeKind::Map(entries) => {
            for entry in entries {
                if !merged.iter().any(|e| e.key == entry.key) {
                    merged.push(entry);
                }
            }
        }
        NodeKind::Seq(items) => {
            for item in items {
                merge_into(merged, item);
            }
        }
        _ => {}
    }
}

fn tag_name(tag: Option<Tag>) -> Option<String> {
    let tag = tag?;
    if tag.handle == "!!" || tag.handle.starts_with("tag:yaml.org") {
        // Standard tags (`!!str`) change nothing we model.
        None
    } else if tag.handle == "!" {
        Some(tag.suffix)
    } else {
        Some(format!("{}{}", tag.handle, tag.suffix))
    }
}

/// The type of a plain untagged scalar. Most values start with a letter
/// that begins no null, boolean or number: the first byte decides that
/// without comparing the text.
fn plain_scalar(value: String) -> NodeKind {
    match value.as_bytes().first() {
        None | Some(b'~' | b'n' | b'N' | b't' | b'T' | b'f' | b'F') => match value.as_str() {
            "" | "~" | "null" | "Null" | "NULL" => NodeKind::Null,
            "true" | "True" | "TRUE" => NodeKind::Bool(true),
            "false" | "False" | "FALSE" => NodeKind::Bool(false),
            _ => NodeKind::Str(value),
        },
        // `looks_numeric` needs a sign, a digit or a dot first.
        Some(b'0'..=b'9' | b'.' | b'+' | b'-') if looks_numeric(&value) => NodeKind::Number(value),
        _ => NodeKind::Str(value),
    }
}

/// `map_key(plain_scalar(text))`: the key a plain scalar makes. Only null
/// and boolean keys change their text (numbers keep theirs), so keys that
/// cannot be either skip building a node.
fn plain_key(text: String) -> String {
    match text.as_bytes().first() {
        None | Some(b'~' | b'n' | b'N' | b't' | b'T' | b'f' | b'F') => {
            map_key(plain_scalar(text)).unwrap_or_default()
        }
        _ => text,
    }
}

fn looks_numeric(s: &str) -> bool {
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    if body.is_empty() {
        return false;
    }
    if let Some(hex) = body.strip_prefix("0x") {
        return !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit());
    }
    if let Some(oct) = body.strip_prefix("0o") {
        return !oct.is_empty() && oct.bytes().all(|b| (b'0'..=b'7').contains(&b));
    }
    let mut digits = 0;
    let mut dot = false;
    let mut exp = false;
    let bytes = body.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'0'..=b'9' => digits += 1,
            b'.' if !dot && !exp => dot = true,
            b'e' | b'E' if digits > 0 && !exp => {
                exp = true;
                if matches!(bytes.get(i + 1), Some(b'+' | b'-')) {
                    i += 1;
                }
                if i + 1 >= bytes.len() {
                    return false;
                }
            }
            _ => return false,
        }
        i += 1;
    }
    digits > 0
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let loc = self.loc(mark);
        self.event(ev, loc);
    }
}

impl Builder {
    /// One parser event at `loc`; shared by yaml-rust2 and the fast path,
    /// so both build exactly the same tree.
    fn event(&mut self, ev: Event, loc: Loc) {
        if self.error.is_some() {
            return;
        }
        match ev {
            Event::DocumentStart => {
                self.documents += 1;
            }
            Event::Scalar(value, style, anchor, tag) => {
                if !self.count(1, loc) {
                    return;
                }
                let tag = tag_name(tag);
                let kind = if style == TScalarStyle::Plain && tag.is_none() {
                    plain_scalar(value)
                } else {
                    NodeKind::Str(value)
                };
                let node = match tag {
                    Some(tag) => {
                        Node::new(NodeKind::Tagged(tag, Box::new(Node::new(kind, loc))), loc)
                    }
                    None => Node::new(kind, loc),
                };
                self.finish(node, anchor);
            }
            Event::Alias(id) => {
                match self.anchors.get(&id).cloned() {
                    // Cloning before the size check is bounded: an anchor's tree
                    // is itself capped by MAX_ALIAS_NODES of earlier expansions.
                    Some(node) => {
                        let size = approx_size(&node);
                        self.alias_nodes = self.alias_nodes.saturating_add(size);
                        if self.alias_nodes > MAX_ALIAS_NODES {
                            self.fail(
                            loc,
                            format!("aliases expand to more than {MAX_ALIAS_NODES} nodes (alias bomb?)"),
                        );
                        } else if self.count(size, loc) {
                            self.push_value(node);
                        }
                    }
                    None => self.fail(loc, format!("unknown alias (anchor id {id})")),
                }
            }
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                let is_seq = matches!(ev, Event::SequenceStart(..));
                let (Event::SequenceStart(anchor, tag) | Event::MappingStart(anchor, tag)) = ev
                else {
                    return;
                };
                if self.stack.len() >= MAX_DEPTH {
                    self.fail(loc, format!("nesting deeper than {MAX_DEPTH} levels"));
                    return;
                }
                if !self.count(1, loc) {
                    return;
                }
                let tag = tag_name(tag);
                let frame = if is_seq {
                    Frame::Seq {
                        items: Vec::new(),
                        loc,
                        anchor,
                        tag,
                    }
                } else {
                    Frame::Map {
                        entries: Vec::new(),
                        pending_key: None,
                        merged: Vec::new(),
                        index: None,
                        loc,
                        anchor,
                        tag,
                    }
                };
                self.stack.push(frame);
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.stack.pop() else {
                    return;
                };
                let (kind, loc, anchor, tag) = match frame {
                    Frame::Seq {
                        items,
                        loc,
                        anchor,
                        tag,
                    } => (NodeKind::Seq(items), loc, anchor, tag),
                    Frame::Map {
                        mut entries,
                        merged,
                        loc,
                        anchor,
                        tag,
                        ..
                    } => {
                        for entry in merged {
                            if !entries.iter().any(|e| e.key == entry.key) {
                                entries.push(entry);
                            }
                        }
                        (NodeKind::Map(entries), loc, anchor, tag)
                    }
                };
                let node = match tag {
                    Some(tag) => {
                        Node::new(NodeKind::Tagged(tag, Box::new(Node::new(kind, loc))), loc)
                    }
                    None => Node::new(kind, loc),
                };
                self.finish(node, anchor);
            }
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {}
        }
    }
}

/// Node count of a subtree, without recursion.
fn approx_size(node: &Node) -> usize {
    let mut count = 0usize;
    let mut todo = vec![node];
    while let Some(n) = todo.pop() {
        count += 1;
        match &n.kind {
            NodeKind::Seq(items) => todo.extend(items.iter()),
            NodeKind::Map(entries) => todo.extend(entries.iter().map(|e| &e.value)),
            NodeKind::Tagged(_, inner) => todo.push(inner),
            _ => {}
        }
        if count > MAX_NODES {
            break;
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Node {
        parse(text, 0, "t.yaml").expect("parses")
    }

    #[test]
    fn scalars_and_positions() {
        let doc = p("a: 1\nb: 'x'\nc: true\nd: ~\ne: hello\nf: '1'\n");
        assert_eq!(doc.get("a").unwrap().kind, NodeKind::Number("1".into()));
        assert_eq!(doc.get("b").unwrap().as_str(), Some("x"));
        assert_eq!(doc.get("c").unwrap().as_bool(), Some(true));
        assert!(doc.get("d").unwrap().is_null());
        assert_eq!(doc.get("f").unwrap().as_str(), Some("1"));
        let e = doc.get("e").unwrap();
        assert_eq!((e.loc.line, e.loc.col), (5, 4));
        let entry = &doc.as_map().unwrap()[1];
        assert_eq!((entry.key_loc.line, entry.key_loc.col), (2, 1));
    }

    #[test]
    fn cloudformation_tags_are_kept() {
        let doc = p(
            "Role: !GetAtt FnRole.Arn\nList: !Split [',', !Ref P]\nM: !If\n  - C\n  - a\n  - b\n",
        );
        match &doc.get("Role").unwrap().kind {
            NodeKind::Tagged(tag, inner) => {
                assert_eq!(tag, "GetAtt");
                assert_eq!(inner.as_str(), Some("FnRole.Arn"));
            }
            other => panic!("expected tag, got {other:?}"),
        }
        match &doc.get("List").unwrap().kind {
            NodeKind::Tagged(tag, inner) => {
                assert_eq!(tag, "Split");
                assert!(
                    matches!(inner.as_seq().unwrap()[1].kind, NodeKind::Tagged(ref t, _) if t == "Ref")
                );
            }
            other => panic!("expected tag, got {other:?}"),
        }
        assert!(matches!(doc.get("M").unwrap().kind, NodeKind::Tagged(ref t, _) if t == "If"));
    }

    #[test]
    fn anchors_aliases_and_merge_keys() {
        let doc = p("base: &b\n  runtime: python3.12\n  memory: 128\nfn:\n  <<: *b\n  memory: 256\ncopy: *b\n");
        let f = doc.get("fn").unwrap();
        assert_eq!(f.get("runtime").unwrap().as_str(), Some("python3.12"));
        assert_eq!(f.get("memory").unwrap().as_i64(), Some(256));
        assert_eq!(
            doc.get("copy").unwrap().get("memory").unwrap().as_i64(),
            Some(128)
        );
    }

    #[test]
    fn json_is_yaml() {
        let doc = p("{\"Resources\": {\"F\": {\"Type\": \"AWS::Lambda::Function\", \"N\": 5}}}");
        assert_eq!(
            doc.path(&["Resources", "F", "Type"]).unwrap().as_str(),
            Some("AWS::Lambda::Function")
        );
    }

    #[test]
    fn errors_name_the_position() {
        let err = parse("a: 1\nb: [1, 2\nc: 3\n", 0, "bad.yaml").unwrap_err();
        assert_eq!(err.path, "bad.yaml");
        assert!(err.line >= 2, "{err}");
        let err = parse("a:\n  - b\n c: d\n", 0, "bad2.yaml").unwrap_err();
        assert!(err.line >= 2, "{err}");
    }

    #[test]
    fn deep_nesting_is_refused_without_overflow() {
        let deep = "[".repeat(100_000);
        let err = parse(&deep, 0, "deep.yaml").unwrap_err();
        assert!(
            err.message.contains("nesting") || err.message.contains("recursion"),
            "{err}"
        );
    }

    #[test]
    fn alias_bomb_is_refused() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let prev = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
            ));
        }
        let err = parse(&text, 0, "bomb.yaml").unwrap_err();
        assert!(err.message.contains("alias"), "{err}");
    }

    #[test]
    fn duplicate_keys_in_big_maps_keep_the_last_value() {
        let mut text = String::new();
        for i in 0..40 {
            text.push_str(&format!("k{i}: {i}\n"));
        }
        text.push_str("k3: last\nk30: last\n");
        let doc = p(&text);
        assert_eq!(doc.as_map().unwrap().len(), 40);
        assert_eq!(doc.get("k3").unwrap().as_str(), Some("last"));
        assert_eq!(doc.get("k30").unwrap().as_str(), Some("last"));
        assert_eq!(doc.get("k31").unwrap().as_i64(), Some(31));
    }

    /// Every string of up to three characters from an alphabet of the
    /// bytes typing looks at, plus the words it knows.
    fn typing_samples() -> Vec<String> {
        let alphabet = [
            "", "0", "1", "9", ".", "+", "-", "e", "E", "x", "o", "~", "n", "t", "F", "a", " ", "_",
        ];
        let mut samples = Vec::new();
        for a in alphabet {
            for b in alphabet {
                for c in alphabet {
                    samples.push(format!("{a}{b}{c}"));
                }
            }
        }
        for word in [
            "null",
            "Null",
            "NULL",
            "nul",
            "nulls",
            "true",
            "True",
            "TRUE",
            "tRUE",
            "false",
            "False",
            "FALSE",
            "falsey",
            "0x1F",
            "0o17",
            "0o8",
            "-0x1",
            "+.5",
            "1e+5",
            ".inf",
            "Type",
            "AWS::Lambda::Function",
            "2010-09-09",
            "ñ",
            "~x",
        ] {
            samples.push(word.to_string());
        }
        samples
    }

    /// The typing before the first-byte switch: the reference it must equal.
    fn plain_scalar_by_comparison(value: String) -> NodeKind {
        match value.as_str() {
            "" | "~" | "null" | "Null" | "NULL" => NodeKind::Null,
            "true" | "True" | "TRUE" => NodeKind::Bool(true),
            "false" | "False" | "FALSE" => NodeKind::Bool(false),
            _ if looks_numeric(&value) => NodeKind::Number(value),
            _ => NodeKind::Str(value),
        }
    }

    #[test]
    fn first_byte_typing_equals_full_typing() {
        for text in typing_samples() {
            assert_eq!(
                plain_scalar(text.clone()),
                plain_scalar_by_comparison(text.clone()),
                "{text:?}"
            );
            assert_eq!(
                Some(plain_key(text.clone())),
                map_key(plain_scalar_by_comparison(text.clone())),
                "{text:?}"
            );
        }
    }

    #[test]
    fn numbers() {
        for n in ["1", "-2", "3.5", "1e5", "0x1F", "+7"] {
            assert!(looks_numeric(n), "{n}");
        }
        for s in ["1.2.3", "e5", "-", "12ab", "0x", "1e"] {
            assert!(!looks_numeric(s), "{s}");
        }
    }
}
