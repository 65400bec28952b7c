//! Schema compilation: a JSON schema becomes an arena of nodes; `$ref`s are
//! resolved to node indices once, so validation does no lookups by pointer.

use std::collections::{BTreeMap, HashMap, VecDeque};

use regex::Regex;
use serde_json::{Map, Number, Value};

use super::format::Format;
use super::SchemaError;

/// Schemas nested deeper than this are refused (a schema built in memory
/// could otherwise overflow the stack while compiled).
const MAX_SCHEMA_DEPTH: usize = 128;

/// Compiled regular expressions are capped so a schema cannot make the guard
/// allocate without bound.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// Keywords that only annotate: accepted and ignored.
const ANNOTATIONS: &[&str] = &[
    "title",
    "description",
    "examples",
    "$schema",
    "$id",
    "$comment",
    "default",
    "deprecated",
    "readOnly",
    "writeOnly",
];

#[derive(Debug)]
pub(crate) enum Node {
    Bool(bool),
    Schema(Box<Keywords>),
}

/// JSON types as bits of a set (`integer` is also accepted by `number`).
pub(crate) mod types {
    pub const NULL: u8 = 1;
    pub const BOOLEAN: u8 = 2;
    pub const OBJECT: u8 = 4;
    pub const ARRAY: u8 = 8;
    pub const NUMBER: u8 = 16;
    pub const STRING: u8 = 32;
    pub const INTEGER: u8 = 64;
    pub const NAMES: [(&str, u8); 7] = [
        ("null", NULL),
        ("boolean", BOOLEAN),
        ("object", OBJECT),
        ("array", ARRAY),
        ("number", NUMBER),
        ("string", STRING),
        ("integer", INTEGER),
    ];
}

/// The keywords of one schema object, already checked.
#[derive(Debug, Default)]
pub(crate) struct Keywords {
    pub types: Option<u8>,
    pub enumeration: Option<Vec<Value>>,
    pub constant: Option<Value>,
    pub properties: BTreeMap<String, usize>,
    pub pattern_properties: Vec<(Regex, usize)>,
    pub additional_properties: Option<usize>,
    pub property_names: Option<usize>,
    pub required: Vec<String>,
    pub dependent_required: Vec<(String, Vec<String>)>,
    pub dependent_schemas: Vec<(String, usize)>,
    pub min_properties: Option<u64>,
    pub max_properties: Option<u64>,
    pub prefix_items: Vec<usize>,
    /// Applies to the elements after `prefix_items`.
    pub items: Option<usize>,
    pub contains: Option<usize>,
    pub min_contains: Option<u64>,
    pub max_contains: Option<u64>,
    pub min_items: Option<u64>,
    pub max_items: Option<u64>,
    pub unique_items: bool,
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    /// The compiled expression and the schema's text (for messages).
    pub pattern: Option<(Regex, String)>,
    pub format: Option<Format>,
    pub minimum: Option<Number>,
    pub maximum: Option<Number>,
    pub exclusive_minimum: Option<Number>,
    pub exclusive_maximum: Option<Number>,
    pub multiple_of: Option<Number>,
    pub all_of: Vec<usize>,
    pub any_of: Vec<usize>,
    pub one_of: Vec<usize>,
    pub not: Option<usize>,
    pub if_: Option<usize>,
    pub then_: Option<usize>,
    pub else_: Option<usize>,
    pub reference: Option<usize>,
}

/// Which rules of which draft apply where drafts differ.
#[derive(Debug, Clone, Copy)]
struct Draft {
    /// Draft-04 to draft-07: keywords beside `$ref` are ignored by the spec.
    ref_overrides_siblings: bool,
    /// Draft-04: `id` is the identifier keyword.
    draft4: bool,
}

struct Compiler<'s> {
    nodes: Vec<Node>,
    /// Schemas given a node index but not compiled yet: compilation walks a
    /// work list, not the call stack, so a deep schema cannot overflow it.
    queue: VecDeque<(usize, &'s Value, String, usize)>,
    by_pointer: HashMap<String, usize>,
    /// (node holding the `$ref`, decoded target pointer, pointer of the `$ref`)
    pending_refs: Vec<(usize, String, String)>,
    draft: Draft,
}

pub(crate) fn compile(schema: &Value) -> Result<(Vec<Node>, usize), SchemaError> {
    let draft = detect_draft(schema)?;
    let mut compiler = Compiler {
        nodes: Vec::new(),
        queue: VecDeque::new(),
        by_pointer: HashMap::new(),
        pending_refs: Vec::new(),
        draft,
    };
    let root = compiler.schema(schema, "", 0)?;
    while let Some((id, schema, pointer, depth)) = compiler.queue.pop_front() {
        compiler.build(id, schema, &pointer, depth)?;
    }
    for (node, target, at) in std::mem::take(&mut compiler.pending_refs) {
        let Some(&resolved) = compiler.by_pointer.get(&target) else {
            return Err(problem(
                &at,
                format!("$ref target #{target} is not a schema in this document"),
            ));
        };
        if let Node::Schema(keywords) = &mut compiler.nodes[node] {
            keywords.reference = Some(resolved);
        }
    }
    Ok((compiler.nodes, root))
}

fn detect_draft(schema: &Value) -> Result<Draft, SchemaError> {
    let uri = match schema.get("$schema") {
        None => {
            return Ok(Draft {
                ref_overrides_siblings: false,
                draft4: false,
            })
        }
        Some(Value::String(uri)) => uri.as_str(),
        Some(_) => return Err(problem("/$schema", "$schema must be a string".into())),
    };
    let known = |name: &str| uri.contains("json-schema.org") && uri.contains(name);
    if known("draft/2020-12") || known("draft/2019-09") {
        Ok(Draft {
            ref_overrides_siblings: false,
            draft4: false,
        })
    } else if known("draft-07") || known("draft-06") {
        Ok(Draft {
            ref_overrides_siblings: true,
            draft4: false,
        })
    } else if known("draft-04") {
        Ok(Draft {
            ref_overrides_siblings: true,
            draft4: true,
        })
    } else {
        Err(problem(
            "/$schema",
            "unsupported $schema: expected draft 2020-12, 2019-09, 07, 06 or 04 of json-schema.org"
                .into(),
        ))
    }
}

fn problem(pointer: &str, problem: String) -> SchemaError {
    SchemaError::Keyword {
        file: None,
        pointer: pointer.to_string(),
        problem,
    }
}

/// Appends a property name to a JSON pointer (RFC 6901 escapes).
fn child(pointer: &str, name: &str) -> String {
    let mut out = String::with_capacity(pointer.len() + name.len() + 1);
    out.push_str(pointer);
    out.push('/');
    for c in name.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c => out.push(c),
        }
    }
    out
}

impl<'s> Compiler<'s> {
    /// Gives a schema its node index and queues it for compilation.
    fn schema(
        &mut self,
        schema: &'s Value,
        pointer: &str,
        depth: usize,
    ) -> Result<usize, SchemaError> {
        if depth > MAX_SCHEMA_DEPTH {
            return Err(problem(
                pointer,
                format!("schema nested deeper than {MAX_SCHEMA_DEPTH} levels"),
            ));
        }
        let id = self.nodes.len();
        self.by_pointer.insert(pointer.to_string(), id);
        self.nodes.push(Node::Bool(true));
        self.queue
            .push_back((id, schema, pointer.to_string(), depth));
        Ok(id)
    }

    fn build(
        &mut self,
        id: usize,
        schema: &'s Value,
        pointer: &str,
        depth: usize,
    ) -> Result<(), SchemaError> {
        self.nodes[id] = match schema {
            Value::Bool(b) => Node::Bool(*b),
            Value::Object(map) => Node::Schema(Box::new(self.keywords(id, map, pointer, depth)?)),
            _ => {
                return Err(problem(
                    pointer,
                    "a schema must be an object or a boolean".into(),
                ))
            }
        };
        Ok(())
    }

    fn sub(
        &mut self,
        map: &'s Map<String, Value>,
        key: &str,
        pointer: &str,
        depth: usize,
    ) -> Result<Option<usize>, SchemaError> {
        match map.get(key) {
            None => Ok(None),
            Some(value) => self
                .schema(value, &child(pointer, key), depth + 1)
                .map(Some),
        }
    }

    fn schema_list(
        &mut self,
        value: &'s Value,
        pointer: &str,
        depth: usize,
        allow_empty: bool,
    ) -> Result<Vec<usize>, SchemaError> {
        let Value::Array(list) = value else {
            return Err(problem(pointer, "must be an array of schemas".into()));
        };
        if list.is_empty() && !allow_empty {
            return Err(problem(
                pointer,
                "must be a non-empty array of schemas".into(),
            ));
        }
        list.iter()
            .enumerate()
            .map(|(i, s)| self.schema(s, &format!("{pointer}/{i}"), depth + 1))
            .collect()
    }

    fn schema_map(
        &mut self,
        value: &'s Value,
        pointer: &str,
        depth: usize,
    ) -> Result<Vec<(String, usize)>, SchemaError> {
        let Value::Object(map) = value else {
            return Err(problem(pointer, "must be an object of schemas".into()));
        };
        map.iter()
            .map(|(name, s)| {
                Ok((
                    name.clone(),
                    self.schema(s, &child(pointer, name), depth + 1)?,
                ))
            })
            .collect()
    }

    fn keywords(
        &mut self,
        id: usize,
        map: &'s Map<String, Value>,
        pointer: &str,
        depth: usize,
    ) -> Result<Keywords, SchemaError> {
        let mut k = Keywords::default();
        let has_ref = map.contains_key("$ref");
        for (key, value) in map {
            let at = child(pointer, key);
            let is_id = key == "$id" || (self.draft.draft4 && key == "id");
            if is_id && !pointer.is_empty() {
                // An embedded identifier changes the base `$ref`s below it
                // resolve against; references here always resolve in the
                // whole document, so refuse rather than resolve wrongly.
                return Err(problem(
                    &at,
                    format!("{key} below the root is not supported ($ref resolves against the whole document)"),
                ));
            }
            if is_id || ANNOTATIONS.contains(&key.as_str()) {
                continue;
            }
            if has_ref
                && self.draft.ref_overrides_siblings
                && !matches!(key.as_str(), "$ref" | "$defs" | "definitions")
            {
                return Err(problem(
                    &at,
                    format!("in draft-04 to draft-07 a keyword beside $ref is ignored; move `{key}` and the $ref into an allOf"),
                ));
            }
            match key.as_str() {
                "type" => k.types = Some(type_set(value, &at)?),
                "enum" => match value {
                    Value::Array(values) => k.enumeration = Some(values.clone()),
                    _ => return Err(problem(&at, "enum must be an array".into())),
                },
                "const" => k.constant = Some(value.clone()),
                "properties" => {
                    k.properties = self.schema_map(value, &at, depth)?.into_iter().collect()
                }
                "patternProperties" => {
                    for (source, node) in self.schema_map(value, &at, depth)? {
                        let regex = regex(&source, &child(&at, &source))?;
                        k.pattern_properties.push((regex, node));
                    }
                }
                "additionalProperties" => {
                    k.additional_properties = self.sub(map, key, pointer, depth)?
                }
                "propertyNames" => k.property_names = self.sub(map, key, pointer, depth)?,
                "required" => k.required = string_list(value, &at)?,
                "dependentRequired" => {
                    let Value::Object(deps) = value else {
                        return Err(problem(&at, "dependentRequired must be an object".into()));
                    };
                    for (name, list) in deps {
                        k.dependent_required
                            .push((name.clone(), string_list(list, &child(&at, name))?));
                    }
                }
                "dependentSchemas" => k.dependent_schemas = self.schema_map(value, &at, depth)?,
                "dependencies" => {
                    let Value::Object(deps) = value else {
                        return Err(problem(&at, "dependencies must be an object".into()));
                    };
                    for (name, dep) in deps {
                        let dep_at = child(&at, name);
                        if dep.is_array() {
                            k.dependent_required
                                .push((name.clone(), string_list(dep, &dep_at)?));
                        } else {
                            let node = self.schema(dep, &dep_at, depth + 1)?;
                            k.dependent_schemas.push((name.clone(), node));
                        }
                    }
                }
                "minProperties" => k.min_properties = Some(count(value, &at)?),
                "maxProperties" => k.max_properties = Some(count(value, &at)?),
                "prefixItems" => k.prefix_items = self.schema_list(value, &at, depth, false)?,
                "items" => {
                    if value.is_array() {
                        // Draft-07 tuple form: the same as `prefixItems`.
                        if map.contains_key("prefixItems") {
                            return Err(problem(
                                &at,
                                "items as an array cannot be used with prefixItems".into(),
                            ));
                        }
                        k.prefix_items = self.schema_list(value, &at, depth, true)?;
                    } else {
                        if map.contains_key("additionalItems") {
                            return Err(problem(
                                &at,
                                "additionalItems needs items to be an array".into(),
                            ));
                        }
                        k.items = self.sub(map, key, pointer, depth)?;
                    }
                }
                "additionalItems" => {
                    // Only meaningful after array-form `items` (checked above);
                    // draft-07 ignores it otherwise, we refuse to stay explicit.
                    if !map.get("items").is_some_and(Value::is_array) {
                        return Err(problem(
                            &at,
                            "additionalItems needs items to be an array".into(),
                        ));
                    }
                    k.items = self.sub(map, key, pointer, depth)?;
                }
                "contains" => k.contains = self.sub(map, key, pointer, depth)?,
                "minContains" => k.min_contains = Some(count(value, &at)?),
                "maxContains" => k.max_contains = Some(count(value, &at)?),
                "minItems" => k.min_items = Some(count(value, &at)?),
                "maxItems" => k.max_items = Some(count(value, &at)?),
                "uniqueItems" => match value {
                    Value::Bool(b) => k.unique_items = *b,
                    _ => return Err(problem(&at, "uniqueItems must be a boolean".into())),
                },
                "minLength" => k.min_length = Some(count(value, &at)?),
                "maxLength" => k.max_length = Some(count(value, &at)?),
                "pattern" => match value {
                    Value::String(source) => {
                        k.pattern = Some((regex(source, &at)?, source.clone()))
                    }
                    _ => return Err(problem(&at, "pattern must be a string".into())),
                },
                "format" => match value {
                    Value::String(name) => {
                        k.format = Some(Format::from_name(name).ok_or_else(|| {
                            problem(
                                &at,
                                format!(
                                    "unsupported format {name:?} (supported: {})",
                                    Format::NAMES.join(", ")
                                ),
                            )
                        })?)
                    }
                    _ => return Err(problem(&at, "format must be a string".into())),
                },
                "minimum" | "maximum" => {
                    let Value::Number(n) = value else {
                        return Err(problem(&at, format!("{key} must be a number")));
                    };
                    // Draft-04: `exclusiveMinimum: true` makes `minimum` exclusive.
                    let (flag, inclusive, exclusive) = if key == "minimum" {
                        ("exclusiveMinimum", &mut k.minimum, &mut k.exclusive_minimum)
                    } else {
                        ("exclusiveMaximum", &mut k.maximum, &mut k.exclusive_maximum)
                    };
                    if map.get(flag) == Some(&Value::Bool(true)) {
                        *exclusive = Some(n.clone());
                    } else {
                        *inclusive = Some(n.clone());
                    }
                }
                "exclusiveMinimum" | "exclusiveMaximum" => {
                    match value {
                        Value::Bool(_) => {
                            let base = if key == "exclusiveMinimum" {
                                "minimum"
                            } else {
                                "maximum"
                            };
                            if !map.contains_key(base) {
                                return Err(problem(
                                    &at,
                                    format!("{key} as a boolean needs {base}"),
                                ));
                            }
                            if !self.draft.draft4 {
                                return Err(problem(&at, format!("{key} as a boolean is draft-04; since draft-06 it is a number")));
                            }
                        }
                        Value::Number(n) => {
                            if self.draft.draft4 {
                                return Err(problem(
                                    &at,
                                    format!("{key} must be a boolean in draft-04"),
                                ));
                            }
                            let slot = if key == "exclusiveMinimum" {
                                &mut k.exclusive_minimum
                            } else {
                                &mut k.exclusive_maximum
                            };
                            *slot = Some(n.clone());
                        }
                        _ => return Err(problem(&at, format!("{key} must be a number"))),
                    }
                }
                "multipleOf" => match value {
                    Value::Number(n) if n.as_f64().is_some_and(|f| f > 0.0) => {
                        k.multiple_of = Some(n.clone())
                    }
                    _ => {
                        return Err(problem(
                            &at,
                            "multipleOf must be a number greater than 0".into(),
                        ))
                    }
                },
                "allOf" => k.all_of = self.schema_list(value, &at, depth, false)?,
                "anyOf" => k.any_of = self.schema_list(value, &at, depth, false)?,
                "oneOf" => k.one_of = self.schema_list(value, &at, depth, false)?,
                "not" => k.not = self.sub(map, key, pointer, depth)?,
                "if" => k.if_ = self.sub(map, key, pointer, depth)?,
                "then" => k.then_ = self.sub(map, key, pointer, depth)?,
                "else" => k.else_ = self.sub(map, key, pointer, depth)?,
                "$ref" => {
                    let Value::String(target) = value else {
                        return Err(problem(&at, "$ref must be a string".into()));
                    };
                    let decoded = local_ref(target).ok_or_else(|| {
                        problem(&at, "only local references are supported ($ref \"#\" or \"#/...\" in the same document)".into())
                    })?;
                    self.pending_refs.push((id, decoded, at));
                }
                "$defs" | "definitions" => {
                    // Compiled so their errors show at load and `$ref`s find them.
                    self.schema_map(value, &at, depth)?;
                }
                _ => {
                    return Err(problem(&at, format!("unsupported keyword `{key}`")));
                }
            }
        }
        Ok(k)
    }
}

fn type_set(value: &Value, at: &str) -> Result<u8, SchemaError> {
    let one = |name: &Value| -> Result<u8, SchemaError> {
        let bit = name
            .as_str()
            .and_then(|n| types::NAMES.iter().find(|(known, _)| *known == n))
            .map(|(_, bit)| *bit);
        bit.ok_or_else(|| {
            problem(
                at,
                "type must be null, boolean, object, array, number, string or integer".into(),
            )
        })
    };
    match value {
        Value::Array(names) if !names.is_empty() => {
            names.iter().try_fold(0, |set, n| Ok(set | one(n)?))
        }
        Value::Array(_) => Err(problem(at, "type must not be an empty array".into())),
        name => one(name),
    }
}

fn string_list(value: &Value, at: &str) -> Result<Vec<String>, SchemaError> {
    let error = || problem(at, "must be an array of strings".into());
    let Value::Array(list) = value else {
        return Err(error());
    };
    list.iter()
        .map(|v| v.as_str().map(str::to_string).ok_or_else(error))
        .collect()
}

/// A non-negative integer (`2.0` is accepted as draft 2020-12 allows).
fn count(value: &Value, at: &str) -> Result<u64, SchemaError> {
    let n = value.as_u64().or_else(|| {
        value
            .as_f64()
            .filter(|f| *f >= 0.0 && f.fract() == 0.0 && *f <= u64::MAX as f64)
            .map(|f| f as u64)
    });
    n.ok_or_else(|| problem(at, "must be a non-negative integer".into()))
}

fn regex(source: &str, at: &str) -> Result<Regex, SchemaError> {
    let translated = ecma_to_rust(source).ok_or_else(|| {
        problem(
            at,
            format!("pattern {source:?} has an empty class `[]` or `[^]` (ECMA-262), which the regex crate reads differently; for any character use `[\\s\\S]`"),
        )
    })?;
    regex::RegexBuilder::new(&translated)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| {
            let reason = match e {
                regex::Error::Syntax(text) => text.lines().last().unwrap_or_default().to_string(),
                other => other.to_string(),
            };
            problem(
                at,
                format!("pattern {source:?} is not a supported regular expression (no look-around or backreferences): {reason}"),
            )
        })
}

/// JSON Schema patterns are ECMA-262 regular expressions; the regex crate
/// differs where it matters for validation: its `\d`, `\w` and `\b` are
/// Unicode (`^\d+$` would accept Arabic-Indic digits), and inside a class
/// `[` opens a nested class and `&&`, `~~` are set operations. Those are
/// rewritten to ECMA-262's meaning; the rest of the syntax is shared (and
/// `$` matches only at the end of the input in both, never before a final
/// newline). `None` for an empty class (`[]`, `[^]`), which the regex crate
/// would read differently.
fn ecma_to_rust(source: &str) -> Option<String> {
    let mut out = String::with_capacity(source.len() + 16);
    let mut in_class = false;
    let mut chars = source.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('d') => out.push_str("[0-9]"),
                Some('D') => out.push_str("[^0-9]"),
                Some('w') => out.push_str("[0-9A-Za-z_]"),
                Some('W') => out.push_str("[^0-9A-Za-z_]"),
                // In a class `\b` is a backspace in ECMA-262.
                Some('b') if in_class => out.push_str("\\x08"),
                Some('b') => out.push_str("(?-u:\\b)"),
                Some('B') if !in_class => out.push_str("(?-u:\\B)"),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            },
            '[' if in_class => out.push_str("\\["),
            '&' | '~' if in_class => {
                out.push('\\');
                out.push(c);
            }
            '[' => {
                in_class = true;
                out.push(c);
                let mut ahead = chars.clone();
                if ahead.clone().next() == Some('^') {
                    out.push('^');
                    chars.next();
                    ahead.next();
                }
                if ahead.next() == Some(']') {
                    return None;
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    Some(out)
}

/// The JSON pointer of a local `$ref` ("#" or "#/..."), percent-decoded; the
/// RFC 6901 escapes (~0, ~1) are kept, as in the compiler's pointers.
fn local_ref(target: &str) -> Option<String> {
    let fragment = target.strip_prefix('#')?;
    if !(fragment.is_empty() || fragment.starts_with('/')) {
        return None;
    }
    let bytes = fragment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = fragment.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::ecma_to_rust;

    #[test]
    fn ecma_classes_become_ascii_and_class_syntax_literal() {
        assert_eq!(ecma_to_rust(r"^\d+$").unwrap(), "^[0-9]+$");
        assert_eq!(ecma_to_rust(r"\W\D").unwrap(), "[^0-9A-Za-z_][^0-9]");
        assert_eq!(ecma_to_rust(r"\bx\B").unwrap(), r"(?-u:\b)x(?-u:\B)");
        assert_eq!(ecma_to_rust(r"[\b\d]").unwrap(), r"[\x08[0-9]]");
        assert_eq!(ecma_to_rust(r"[[a&&b~~c]").unwrap(), r"[\[a\&\&b\~\~c]");
        // Escapes are kept whole: `\\d` is a backslash then `d`.
        assert_eq!(ecma_to_rust(r"\\d\[").unwrap(), r"\\d\[");
        assert_eq!(ecma_to_rust("[^]]"), None);
        assert_eq!(ecma_to_rust("a[]"), None);
    }
}
