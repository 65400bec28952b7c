//! Validation of a parsed event against the compiled nodes.
//!
//! Two modes share one walk: collecting (errors are recorded, up to
//! `MAX_ERRORS`) and checking (the first failure answers; used under
//! `anyOf`, `oneOf`, `not`, `if`, `contains`, where a failing branch is not an
//! error of the event).

use std::cmp::Ordering;
use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};

use serde_json::{Number, Value};

use super::compile::{types, Keywords, Node};
use super::{ValidationError, MAX_ERRORS};

/// Schema applications nested deeper than this reject the event: a `$ref`
/// cycle that consumes no part of the event, or a very deep event under a
/// schema that applies several subschemas per level. The walk recurses, so
/// this bounds its stack: tests/validate_limits.rs runs the worst cases on a
/// 2 MiB thread stack (a tokio worker's) in a debug build; they also pass on
/// 1 MiB.
const MAX_EVAL_DEPTH: usize = 400;

/// Schema applications per event; above it the event is rejected. Bounds
/// the work an event can cause with schemas like nested `anyOf` over `$ref`
/// (exponential in the event's depth).
const MAX_STEPS: u64 = 2_000_000;

/// Property names in instance paths are cut to this many bytes (they come
/// from the event and end up in logs).
const MAX_PATH_SEGMENT: usize = 64;

/// Records a keyword's outcome: a failure makes the schema invalid and, in
/// checking mode (or with enough errors), answers at once.
macro_rules! check {
    ($walk:ident, $valid:ident, $collect:ident, $ok:expr) => {
        if !$ok {
            $valid = false;
            if !$collect || $walk.done($collect) {
                return false;
            }
        }
    };
}

/// Where in the event: a chain from the current value up to the root,
/// rendered only when an error is recorded.
#[derive(Clone, Copy)]
enum Path<'a> {
    Root,
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl Path<'_> {
    fn render(&self) -> String {
        let mut segments = Vec::new();
        let mut at = self;
        loop {
            match at {
                Path::Root => break,
                Path::Key(parent, key) => {
                    segments.push(escape_segment(key));
                    at = parent;
                }
                Path::Index(parent, index) => {
                    segments.push(index.to_string());
                    at = parent;
                }
            }
        }
        segments.iter().rev().map(|s| format!("/{s}")).collect()
    }
}

fn escape_segment(key: &str) -> String {
    let mut end = key.len().min(MAX_PATH_SEGMENT);
    while !key.is_char_boundary(end) {
        end -= 1;
    }
    let mut out = key[..end].replace('~', "~0").replace('/', "~1");
    if end < key.len() {
        out.push('…');
    }
    out
}

/// Why the walk stopped early for the whole event (not one branch).
#[derive(Clone, Copy)]
enum Abort {
    Depth,
    Steps,
}

struct Walk<'n> {
    nodes: &'n [Node],
    errors: Vec<ValidationError>,
    steps: u64,
    abort: Option<(Abort, String)>,
}

pub(crate) fn validate(nodes: &[Node], root: usize, instance: &Value) -> Vec<ValidationError> {
    let mut walk = Walk {
        nodes,
        errors: Vec::new(),
        steps: 0,
        abort: None,
    };
    walk.node(root, instance, &Path::Root, 0, true);
    // An abort overrides everything: a branch cut short under `not` or
    // `anyOf` could otherwise turn into a pass.
    if let Some((abort, path)) = walk.abort {
        let (keyword, message) = match abort {
            Abort::Depth => (
                "$ref",
                format!("schema applications nested deeper than {MAX_EVAL_DEPTH} (a $ref cycle?)"),
            ),
            Abort::Steps => (
                "$ref",
                format!("validation needs more than {MAX_STEPS} schema applications"),
            ),
        };
        return vec![ValidationError {
            instance_path: path,
            keyword,
            message,
        }];
    }
    walk.errors
}

impl<'n> Walk<'n> {
    /// Records an error when collecting; always answers `false` so callers
    /// can `return self.fail(..)` in checking mode.
    fn fail(&mut self, collect: bool, path: &Path, keyword: &'static str, message: String) -> bool {
        if collect && self.errors.len() < MAX_ERRORS {
            self.errors.push(ValidationError {
                instance_path: path.render(),
                keyword,
                message,
            });
        }
        false
    }

    /// Whether the walk must stop: aborted, or enough errors collected.
    fn done(&self, collect: bool) -> bool {
        self.abort.is_some() || (collect && self.errors.len() >= MAX_ERRORS)
    }

    fn node(&mut self, id: usize, value: &Value, path: &Path, depth: usize, collect: bool) -> bool {
        if self.abort.is_some() {
            return false;
        }
        self.steps += 1;
        if depth > MAX_EVAL_DEPTH || self.steps > MAX_STEPS {
            let reason = if depth > MAX_EVAL_DEPTH {
                Abort::Depth
            } else {
                Abort::Steps
            };
            self.abort = Some((reason, path.render()));
            return false;
        }
        let nodes = self.nodes;
        match &nodes[id] {
            Node::Bool(true) => true,
            Node::Bool(false) => {
                self.fail(collect, path, "false", "no value is allowed here".into())
            }
            Node::Schema(k) => self.keywords(k, value, path, depth, collect),
        }
    }

    /// Applies every keyword; in checking mode stops at the first failure.
    fn keywords(
        &mut self,
        k: &Keywords,
        value: &Value,
        path: &Path,
        depth: usize,
        collect: bool,
    ) -> bool {
        let mut valid = true;
        if let Some(target) = k.reference {
            check!(
                self,
                valid,
                collect,
                self.node(target, value, path, depth + 1, collect)
            );
        }
        if let Some(set) = k.types {
            check!(
                self,
                valid,
                collect,
                type_matches(set, value)
                    || self.fail(
                        collect,
                        path,
                        "type",
                        format!("expected {}, found {}", type_names(set), type_of(value))
                    )
            );
        }
        if let Some(allowed) = &k.enumeration {
            check!(
                self,
                valid,
                collect,
                allowed.iter().any(|a| json_equal(a, value))
                    || self.fail(
                        collect,
                        path,
                        "enum",
                        format!("value is not one of the {} allowed values", allowed.len())
                    )
            );
        }
        if let Some(constant) = &k.constant {
            check!(
                self,
                valid,
                collect,
                json_equal(constant, value)
                    || self.fail(
                        collect,
                        path,
                        "const",
                        "value is not the required constant".into()
                    )
            );
        }
        match value {
            Value::Object(map) => {
                check!(
                    self,
                    valid,
                    collect,
                    self.object(k, value, map, path, depth, collect)
                );
            }
            Value::Array(items) => {
                check!(
                    self,
                    valid,
                    collect,
                    self.array(k, items, path, depth, collect)
                );
            }
            Value::String(s) => {
                check!(self, valid, collect, self.string(k, s, path, collect));
            }
            Value::Number(n) => {
                check!(self, valid, collect, self.number(k, n, path, collect));
            }
            Value::Null | Value::Bool(_) => {}
        }
        for &sub in &k.all_of {
            check!(
                self,
                valid,
                collect,
                self.node(sub, value, path, depth + 1, collect)
            );
        }
        if !k.any_of.is_empty() {
            let mut any = false;
            for &sub in &k.any_of {
                if self.node(sub, value, path, depth + 1, false) {
                    any = true;
                    break;
                }
            }
            check!(
                self,
                valid,
                collect,
                any || self.fail(
                    collect,
                    path,
                    "anyOf",
                    format!("value matches none of the {} anyOf schemas", k.any_of.len())
                )
            );
        }
        if !k.one_of.is_empty() {
            let mut matched = Vec::new();
            for (i, &sub) in k.one_of.iter().enumerate() {
                if self.node(sub, value, path, depth + 1, false) {
                    matched.push(i);
                    if matched.len() > 1 {
                        break;
                    }
                }
            }
            let message = match matched.as_slice() {
                [_] => None,
                [] => Some(format!(
                    "value matches none of the {} oneOf schemas",
                    k.one_of.len()
                )),
                [a, b, ..] => Some(format!(
                    "value matches more than one oneOf schema (#{a} and #{b})"
                )),
            };
            if let Some(message) = message {
                check!(
                    self,
                    valid,
                    collect,
                    self.fail(collect, path, "oneOf", message)
                );
            }
        }
        if let Some(not) = k.not {
            let matched = self.node(not, value, path, depth + 1, false);
            check!(
                self,
                valid,
                collect,
                !matched
                    || self.fail(
                        collect,
                        path,
                        "not",
                        "value matches the schema under not".into()
                    )
            );
        }
        if let Some(condition) = k.if_ {
            let branch = if self.node(condition, value, path, depth + 1, false) {
                k.then_
            } else {
                k.else_
            };
            if let Some(branch) = branch {
                check!(
                    self,
                    valid,
                    collect,
                    self.node(branch, value, path, depth + 1, collect)
                );
            }
        }
        valid && self.abort.is_none()
    }

    fn object(
        &mut self,
        k: &Keywords,
        value: &Value,
        map: &serde_json::Map<String, Value>,
        path: &Path,
        depth: usize,
        collect: bool,
    ) -> bool {
        let mut valid = true;
        for name in &k.required {
            check!(
                self,
                valid,
                collect,
                map.contains_key(name)
                    || self.fail(
                        collect,
                        path,
                        "required",
                        format!("required property {name:?} is missing")
                    )
            );
        }
        for (name, needed) in &k.dependent_required {
            if map.contains_key(name) {
                for other in needed {
                    check!(
                        self,
                        valid,
                        collect,
                        map.contains_key(other)
                            || self.fail(
                                collect,
                                path,
                                "dependentRequired",
                                format!("property {other:?} is required when {name:?} is present")
                            )
                    );
                }
            }
        }
        if let Some(min) = k.min_properties {
            check!(
                self,
                valid,
                collect,
                map.len() as u64 >= min
                    || self.fail(
                        collect,
                        path,
                        "minProperties",
                        format!("object has fewer than {min} properties")
                    )
            );
        }
        if let Some(max) = k.max_properties {
            check!(
                self,
                valid,
                collect,
                map.len() as u64 <= max
                    || self.fail(
                        collect,
                        path,
                        "maxProperties",
                        format!("object has more than {max} properties")
                    )
            );
        }
        for (name, &sub) in &k.properties {
            if let Some(child) = map.get(name) {
                check!(
                    self,
                    valid,
                    collect,
                    self.node(sub, child, &Path::Key(path, name), depth + 1, collect)
                );
            }
        }
        let per_key = !k.pattern_properties.is_empty()
            || k.additional_properties.is_some()
            || k.property_names.is_some();
        if per_key {
            for (key, child) in map {
                let child_path = Path::Key(path, key);
                if let Some(names) = k.property_names {
                    let key_value = Value::String(key.clone());
                    check!(
                        self,
                        valid,
                        collect,
                        self.node(names, &key_value, &child_path, depth + 1, collect)
                    );
                }
                let mut matched = k.properties.contains_key(key);
                for (regex, sub) in &k.pattern_properties {
                    if regex.is_match(key) {
                        matched = true;
                        check!(
                            self,
                            valid,
                            collect,
                            self.node(*sub, child, &child_path, depth + 1, collect)
                        );
                    }
                }
                if let (false, Some(additional)) = (matched, k.additional_properties) {
                    let allowed = match &self.nodes[additional] {
                        Node::Bool(false) => self.fail(
                            collect,
                            &child_path,
                            "additionalProperties",
                            "property is not allowed".into(),
                        ),
                        _ => self.node(additional, child, &child_path, depth + 1, collect),
                    };
                    check!(self, valid, collect, allowed);
                }
            }
        }
        for (name, sub) in &k.dependent_schemas {
            if map.contains_key(name) {
                check!(
                    self,
                    valid,
                    collect,
                    self.node(*sub, value, path, depth + 1, collect)
                );
            }
        }
        valid
    }

    fn array(
        &mut self,
        k: &Keywords,
        items: &[Value],
        path: &Path,
        depth: usize,
        collect: bool,
    ) -> bool {
        let mut valid = true;
        let len = items.len() as u64;
        if let Some(min) = k.min_items {
            check!(
                self,
                valid,
                collect,
                len >= min
                    || self.fail(
                        collect,
                        path,
                        "minItems",
                        format!("array has fewer than {min} items")
                    )
            );
        }
        if let Some(max) = k.max_items {
            check!(
                self,
                valid,
                collect,
                len <= max
                    || self.fail(
                        collect,
                        path,
                        "maxItems",
                        format!("array has more than {max} items")
                    )
            );
        }
        if k.unique_items {
            if let Some((a, b)) = first_duplicate(items) {
                check!(
                    self,
                    valid,
                    collect,
                    self.fail(
                        collect,
                        path,
                        "uniqueItems",
                        format!("items {a} and {b} are equal")
                    )
                );
            }
        }
        for (i, item) in items.iter().enumerate() {
            let sub = k
                .prefix_items
                .get(i)
                .copied()
                .or(if i >= k.prefix_items.len() {
                    k.items
                } else {
                    None
                });
            if let Some(sub) = sub {
                check!(
                    self,
                    valid,
                    collect,
                    self.node(sub, item, &Path::Index(path, i), depth + 1, collect)
                );
            }
        }
        if let Some(contains) = k.contains {
            let mut found: u64 = 0;
            for (i, item) in items.iter().enumerate() {
                if self.node(contains, item, &Path::Index(path, i), depth + 1, false) {
                    found += 1;
                }
            }
            let min = k.min_contains.unwrap_or(1);
            check!(
                self,
                valid,
                collect,
                found >= min
                    || self.fail(
                        collect,
                        path,
                        "contains",
                        format!("fewer than {min} items match the contains schema")
                    )
            );
            if let Some(max) = k.max_contains {
                check!(
                    self,
                    valid,
                    collect,
                    found <= max
                        || self.fail(
                            collect,
                            path,
                            "maxContains",
                            format!("more than {max} items match the contains schema")
                        )
                );
            }
        }
        valid
    }

    fn string(&mut self, k: &Keywords, s: &str, path: &Path, collect: bool) -> bool {
        let mut valid = true;
        if k.min_length.is_some() || k.max_length.is_some() {
            // Lengths count Unicode code points, as JSON Schema defines.
            let length = s.chars().count() as u64;
            if let Some(min) = k.min_length {
                check!(
                    self,
                    valid,
                    collect,
                    length >= min
                        || self.fail(
                            collect,
                            path,
                            "minLength",
                            format!("string is shorter than {min} characters")
                        )
                );
            }
            if let Some(max) = k.max_length {
                check!(
                    self,
                    valid,
                    collect,
                    length <= max
                        || self.fail(
                            collect,
                            path,
                            "maxLength",
                            format!("string is longer than {max} characters")
                        )
                );
            }
        }
        if let Some((regex, source)) = &k.pattern {
            check!(
                self,
                valid,
                collect,
                regex.is_match(s)
                    || self.fail(
                        collect,
                        path,
                        "pattern",
                        format!("string does not match pattern {source:?}")
                    )
            );
        }
        if let Some(format) = k.format {
            check!(
                self,
                valid,
                collect,
                format.matches(s)
                    || self.fail(
                        collect,
                        path,
                        "format",
                        format!("string is not a valid {}", format.name())
                    )
            );
        }
        valid
    }

    fn number(&mut self, k: &Keywords, n: &Number, path: &Path, collect: bool) -> bool {
        let mut valid = true;
        if let Some(min) = &k.minimum {
            check!(
                self,
                valid,
                collect,
                compare(n, min) != Ordering::Less
                    || self.fail(
                        collect,
                        path,
                        "minimum",
                        format!("number is less than the minimum {min}")
                    )
            );
        }
        if let Some(min) = &k.exclusive_minimum {
            check!(
                self,
                valid,
                collect,
                compare(n, min) == Ordering::Greater
                    || self.fail(
                        collect,
                        path,
                        "exclusiveMinimum",
                        format!("number is not greater than {min}")
                    )
            );
        }
        if let Some(max) = &k.maximum {
            check!(
                self,
                valid,
                collect,
                compare(n, max) != Ordering::Greater
                    || self.fail(
                        collect,
                        path,
                        "maximum",
                        format!("number is greater than the maximum {max}")
                    )
            );
        }
        if let Some(max) = &k.exclusive_maximum {
            check!(
                self,
                valid,
                collect,
                compare(n, max) == Ordering::Less
                    || self.fail(
                        collect,
                        path,
                        "exclusiveMaximum",
                        format!("number is not less than {max}")
                    )
            );
        }
        if let Some(divisor) = &k.multiple_of {
            check!(
                self,
                valid,
                collect,
                is_multiple(n, divisor)
                    || self.fail(
                        collect,
                        path,
                        "multipleOf",
                        format!("number is not a multiple of {divisor}")
                    )
            );
        }
        valid
    }
}

fn type_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Object(_) => "object",
        Value::Array(_) => "array",
        Value::Number(n) if is_integer(n) => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
    }
}

fn type_names(set: u8) -> String {
    let names: Vec<&str> = types::NAMES
        .iter()
        .filter(|(_, bit)| set & bit != 0)
        .map(|(name, _)| *name)
        .collect();
    names.join(" or ")
}

fn type_matches(set: u8, value: &Value) -> bool {
    let bit = match value {
        Value::Null => types::NULL,
        Value::Bool(_) => types::BOOLEAN,
        Value::Object(_) => types::OBJECT,
        Value::Array(_) => types::ARRAY,
        Value::String(_) => types::STRING,
        // An integer is also a number; 1.0 is an integer (draft-06 on).
        Value::Number(n) if is_integer(n) => types::INTEGER | types::NUMBER,
        Value::Number(_) => types::NUMBER,
    };
    set & bit != 0
}

fn is_integer(n: &Number) -> bool {
    n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
}

/// An integer JSON number exactly, when it is one.
fn as_i128(n: &Number) -> Option<i128> {
    n.as_i64()
        .map(i128::from)
        .or_else(|| n.as_u64().map(i128::from))
}

/// Mathematical order: exact for integers, f64 otherwise.
fn compare(a: &Number, b: &Number) -> Ordering {
    match (as_i128(a), as_i128(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        _ => {
            let (x, y) = (
                a.as_f64().unwrap_or(f64::NAN),
                b.as_f64().unwrap_or(f64::NAN),
            );
            x.partial_cmp(&y).unwrap_or(Ordering::Equal)
        }
    }
}

/// Exact for integers; for fractions, the quotient must be an integer
/// within a relative 1e-9 (so 0.3 is a multiple of 0.1 despite binary
/// floating point).
fn is_multiple(n: &Number, divisor: &Number) -> bool {
    if let (Some(x), Some(d)) = (as_i128(n), as_i128(divisor)) {
        return d != 0 && x % d == 0;
    }
    let (Some(x), Some(d)) = (n.as_f64(), divisor.as_f64()) else {
        return false;
    };
    let quotient = x / d;
    if !quotient.is_finite() {
        return false;
    }
    (quotient - quotient.round()).abs() <= 1e-9 * quotient.abs().max(1.0)
}

/// Equality as JSON Schema defines it: numbers by value (1 equals 1.0),
/// objects regardless of key order.
pub(crate) fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => compare(x, y) == Ordering::Equal,
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_equal(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(key, p)| y.get(key).is_some_and(|q| json_equal(p, q)))
        }
        _ => a == b,
    }
}

/// The first pair of equal items, found through hashes (values equal under
/// [`json_equal`] hash the same), so a long array is not compared pairwise.
fn first_duplicate(items: &[Value]) -> Option<(usize, usize)> {
    let state = RandomState::new();
    let mut seen: HashMap<u64, Vec<usize>> = HashMap::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let mut hasher = state.build_hasher();
        hash_value(item, &state, &mut hasher);
        let bucket = seen.entry(hasher.finish()).or_default();
        if let Some(&j) = bucket.iter().find(|&&j| json_equal(&items[j], item)) {
            return Some((j, i));
        }
        bucket.push(i);
    }
    None
}

fn hash_value(value: &Value, state: &RandomState, hasher: &mut impl Hasher) {
    match value {
        Value::Null => 0u8.hash(hasher),
        Value::Bool(b) => (1u8, b).hash(hasher),
        Value::Number(n) => {
            // Every number as its f64 (0.0 for -0.0): equal numbers get equal
            // bits; different integers that round alike only collide.
            let f = n.as_f64().unwrap_or(0.0);
            let f = if f == 0.0 { 0.0 } else { f };
            (2u8, f.to_bits()).hash(hasher);
        }
        Value::String(s) => (3u8, s).hash(hasher),
        Value::Array(items) => {
            (4u8, items.len()).hash(hasher);
            for item in items {
                hash_value(item, state, hasher);
            }
        }
        Value::Object(map) => {
            // Key order does not matter: the entries' hashes are summed.
            let mut sum: u64 = 0;
            for (key, item) in map {
                let mut entry = state.build_hasher();
                key.hash(&mut entry);
                hash_value(item, state, &mut entry);
                sum = sum.wrapping_add(entry.finish());
            }
            (5u8, map.len(), sum).hash(hasher);
        }
    }
}
