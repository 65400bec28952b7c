//! The knowledge-base file format (see the header of
//! `rules/intel/endpoints.yml`) and its validation.

use std::collections::HashSet;
use std::fmt;

use regex::Regex;

use crate::yaml::{self, Node, Value};
use crate::{Confidence, Kind, Role};

/// One product: a vendor's family of function or gateway hostnames.
#[derive(Debug, Clone)]
pub struct Product {
    pub id: String,
    /// Short vendor key (`tencent`, `aws`, ...), for filters.
    pub vendor: String,
    pub vendor_name: String,
    pub name_en: String,
    pub name_zh: String,
    pub kind: Kind,
    /// Registrable suffixes the pattern lives under (dispatch keys).
    pub suffixes: Vec<String>,
    /// Names whose whole subtree is this product's, for blocklists
    /// (`fnguard intel export`): the `block` field, or the suffixes when a
    /// suffix is itself the product's (`fcapp.run`); a shared suffix such
    /// as `amazonaws.com` needs per-region names here.
    pub block: Vec<String>,
    pub pattern: String,
    pub(crate) regex: Regex,
    /// Optional anchored-at-start regex over the URL path, for products
    /// whose function or stage is in the path.
    pub path_pattern: Option<String>,
    pub(crate) path_regex: Option<Regex>,
    /// One per named group of the pattern, in pattern order.
    pub captures: Vec<CaptureSpec>,
    pub verified: bool,
    pub abuse: Vec<String>,
    pub abuse_verified: bool,
    pub references: Vec<String>,
    pub examples: Vec<Example>,
    pub negative_examples: Vec<String>,
    /// Where the entry is: file and 1-based line.
    pub file: String,
    pub line: usize,
}

impl PartialEq for Product {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id && self.file == other.file && self.line == other.line
    }
}

impl Product {
    /// Unverified patterns are low; verified generic edge/PaaS hosts are
    /// medium; verified function and gateway patterns are high.
    pub fn confidence(&self) -> Confidence {
        match (self.verified, self.kind) {
            (false, _) => Confidence::Low,
            (true, Kind::Edge) => Confidence::Medium,
            (true, _) => Confidence::High,
        }
    }
}

/// The meaning of one named capture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureSpec {
    pub name: String,
    pub role: Role,
    pub en: String,
    pub zh: String,
    /// The group's index in its pattern: a lookup by index is cheaper than
    /// by name on every match.
    pub(crate) group: usize,
    /// The group is in the path pattern, not the host pattern.
    pub in_path: bool,
}

/// A host that must classify as its product with exactly these captures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    pub host: String,
    pub captures: Vec<(String, String)>,
}

/// A problem in a knowledge-base file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataError {
    pub file: String,
    pub line: usize,
    pub col: usize,
    /// The entry's id, or `entry #N` when it has none; empty for file-level
    /// errors.
    pub entry: String,
    pub message: String,
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.file, self.line, self.col)?;
        if !self.entry.is_empty() {
            write!(f, "{}: ", self.entry)?;
        }
        f.write_str(&self.message)
    }
}

/// A field error before the entry is known: position and message.
struct FieldError {
    line: usize,
    col: usize,
    message: String,
}

fn error_at(node: &Node, message: impl Into<String>) -> FieldError {
    FieldError {
        line: node.line,
        col: node.col,
        message: message.into(),
    }
}

const FIELDS: &[&str] = &[
    "id",
    "vendor",
    "vendor_name",
    "name_en",
    "name_zh",
    "kind",
    "suffixes",
    "block",
    "pattern",
    "path_pattern",
    "captures",
    "verified",
    "abuse",
    "abuse_verified",
    "references",
    "examples",
    "negative_examples",
];

/// Parse a knowledge-base file: a YAML list of products. Every bad entry
/// is reported; products are returned only when the whole file is good.
pub(crate) fn parse_knowledge_base(file: &str, text: &str) -> Result<Vec<Product>, Vec<DataError>> {
    let file_error = |line, col, message: String| DataError {
        file: file.to_string(),
        line,
        col,
        entry: String::new(),
        message,
    };
    let root = match yaml::parse(text) {
        Ok(Some(root)) => root,
        Ok(None) => {
            return Err(vec![file_error(
                1,
                1,
                "empty file: expected a list of products".into(),
            )])
        }
        Err(e) => return Err(vec![file_error(e.line, e.col, e.message)]),
    };
    let Value::Seq(items) = &root.value else {
        return Err(vec![file_error(
            root.line,
            root.col,
            "expected a list of products".into(),
        )]);
    };
    let mut products = Vec::new();
    let mut errors = Vec::new();
    let mut seen_ids = HashSet::new();
    for (index, item) in items.iter().enumerate() {
        let entry = match item.get("id").map(|n| &n.value) {
            Some(Value::Scalar { text, .. }) if !text.trim().is_empty() => text.trim().to_string(),
            _ => format!("entry #{}", index + 1),
        };
        let result = parse_product(file, item).and_then(|product| {
            if seen_ids.insert(product.id.clone()) {
                Ok(product)
            } else {
                Err(error_at(item, format!("duplicate id `{}`", product.id)))
            }
        });
        match result {
            Ok(product) => products.push(product),
            Err(e) => errors.push(DataError {
                file: file.to_string(),
                line: e.line,
                col: e.col,
                entry,
                message: e.message,
            }),
        }
    }
    if products.is_empty() && errors.is_empty() {
        errors.push(file_error(root.line, root.col, "no products".into()));
    }
    if errors.is_empty() {
        Ok(products)
    } else {
        Err(errors)
    }
}

fn scalar<'a>(node: &'a Node, key: &str) -> Result<&'a str, FieldError> {
    match &node.value {
        Value::Scalar { text, .. } if !text.trim().is_empty() => Ok(text.trim()),
        _ => Err(error_at(
            node,
            format!("`{key}` must be a non-empty string"),
        )),
    }
}

fn required<'a>(item: &'a Node, key: &str) -> Result<&'a Node, FieldError> {
    item.get(key)
        .ok_or_else(|| error_at(item, format!("missing `{key}`")))
}

fn text(item: &Node, key: &str) -> Result<String, FieldError> {
    scalar(required(item, key)?, key).map(str::to_string)
}

fn list<'a>(
    item: &'a Node,
    key: &str,
    required_non_empty: bool,
) -> Result<Vec<(String, &'a Node)>, FieldError> {
    let Some(node) = item.get(key) else {
        return if required_non_empty {
            Err(error_at(item, format!("missing `{key}`")))
        } else {
            Ok(Vec::new())
        };
    };
    let Value::Seq(values) = &node.value else {
        return Err(error_at(node, format!("`{key}` must be a list")));
    };
    if required_non_empty && values.is_empty() {
        return Err(error_at(node, format!("`{key}` must not be empty")));
    }
    values
        .iter()
        .map(|v| scalar(v, key).map(|s| (s.to_string(), v)))
        .collect()
}

fn flag(item: &Node, key: &str, default: bool) -> Result<bool, FieldError> {
    match item.get(key) {
        None => Ok(default),
        Some(node) => match &node.value {
            Value::Scalar { text, plain: true } if text == "true" => Ok(true),
            Value::Scalar { text, plain: true } if text == "false" => Ok(false),
            _ => Err(error_at(node, format!("`{key}` must be true or false"))),
        },
    }
}

fn parse_product(file: &str, item: &Node) -> Result<Product, FieldError> {
    let Value::Map(entries) = &item.value else {
        return Err(error_at(item, "a product is a mapping"));
    };
    for (key, _) in entries {
        let Value::Scalar { text: name, .. } = &key.value else {
            return Err(error_at(key, "keys must be strings"));
        };
        if !FIELDS.contains(&name.as_str()) {
            return Err(error_at(key, format!("unknown field `{name}`")));
        }
    }
    let id = text(item, "id")?;
    let kind_node = required(item, "kind")?;
    let kind = match scalar(kind_node, "kind")? {
        "function" => Kind::Function,
        "gateway" => Kind::Gateway,
        "edge" => Kind::Edge,
        other => {
            return Err(error_at(
                kind_node,
                format!("unknown kind `{other}` (function, gateway or edge)"),
            ))
        }
    };
    let mut suffixes = Vec::new();
    for (suffix, node) in list(item, "suffixes", true)? {
        let valid = !suffix.starts_with('.')
            && !suffix.ends_with('.')
            && suffix.contains('.')
            && crate::normalize_host(&suffix).as_deref() == Some(suffix.as_str());
        if !valid {
            return Err(error_at(
                node,
                format!("suffix `{suffix}` must be a lowercase name with at least two labels, no leading or trailing dot"),
            ));
        }
        suffixes.push(suffix);
    }
    let mut block = Vec::new();
    if item.get("block").is_some() {
        for (name, node) in list(item, "block", true)? {
            let valid = !name.starts_with('.')
                && !name.ends_with('.')
                && name.contains('.')
                && crate::normalize_host(&name).as_deref() == Some(name.as_str());
            if !valid {
                return Err(error_at(
                    node,
                    format!("block name `{name}` must be a lowercase name with at least two labels, no leading or trailing dot"),
                ));
            }
            block.push(name);
        }
    } else {
        block = suffixes.clone();
    }
    let pattern_node = required(item, "pattern")?;
    let pattern = scalar(pattern_node, "pattern")?.to_string();
    if !pattern.starts_with('^') || !pattern.ends_with('$') {
        return Err(error_at(
            pattern_node,
            "the pattern must be anchored (`^...$`) so lookalike hosts do not match",
        ));
    }
    let regex =
        Regex::new(&pattern).map_err(|e| error_at(pattern_node, format!("bad pattern: {e}")))?;
    let (path_pattern, path_regex) = match item.get("path_pattern") {
        None => (None, None),
        Some(node) => {
            let path_pattern = scalar(node, "path_pattern")?.to_string();
            if !path_pattern.starts_with("^/") {
                return Err(error_at(node, "the path pattern must start with `^/`"));
            }
            let path_regex = Regex::new(&path_pattern)
                .map_err(|e| error_at(node, format!("bad path pattern: {e}")))?;
            if let Some(twice) = path_regex
                .capture_names()
                .flatten()
                .find(|name| regex.capture_names().flatten().any(|n| n == *name))
            {
                return Err(error_at(
                    node,
                    format!("group `{twice}` is in both the host and the path pattern"),
                ));
            }
            (Some(path_pattern), Some(path_regex))
        }
    };
    let groups: Vec<&str> = regex
        .capture_names()
        .chain(path_regex.iter().flat_map(|r| r.capture_names()))
        .flatten()
        .collect();
    let mut captures = parse_captures(item, &groups)?;
    for spec in &mut captures {
        let name = Some(spec.name.as_str());
        match regex.capture_names().position(|n| n == name) {
            Some(group) => spec.group = group,
            None => {
                spec.in_path = true;
                spec.group = path_regex
                    .iter()
                    .flat_map(|r| r.capture_names())
                    .position(|n| n == name)
                    .unwrap_or_default();
            }
        }
    }
    let abuse: Vec<String> = list(item, "abuse", true)?
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    let references: Vec<String> = list(item, "references", true)?
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    let examples = parse_examples(item, &groups)?;
    let negative_examples: Vec<String> = list(item, "negative_examples", true)?
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    Ok(Product {
        id,
        vendor: text(item, "vendor")?,
        vendor_name: text(item, "vendor_name")?,
        name_en: text(item, "name_en")?,
        name_zh: text(item, "name_zh")?,
        kind,
        suffixes,
        block,
        pattern,
        regex,
        path_pattern,
        path_regex,
        captures,
        verified: flag(item, "verified", true)?,
        abuse,
        abuse_verified: flag(item, "abuse_verified", true)?,
        references,
        examples,
        negative_examples,
        file: file.to_string(),
        line: item.line,
    })
}

/// `captures:` maps every named group of the pattern, and only those, to a
/// role and its meaning; at most one group per role other than detail.
fn parse_captures(item: &Node, groups: &[&str]) -> Result<Vec<CaptureSpec>, FieldError> {
    let node = required(item, "captures")?;
    let Value::Map(entries) = &node.value else {
        return Err(error_at(
            node,
            "`captures` must map group names to {role, en, zh}",
        ));
    };
    let mut specs = Vec::new();
    for (key, spec) in entries {
        let name = scalar(key, "captures")?;
        if !groups.contains(&name) {
            return Err(error_at(key, format!("the pattern has no group `{name}`")));
        }
        if !matches!(spec.value, Value::Map(_)) {
            return Err(error_at(
                spec,
                format!("capture `{name}` must be {{role, en, zh}}"),
            ));
        }
        let role_node = required(spec, "role")?;
        let role = match scalar(role_node, "role")? {
            "region" => Role::Region,
            "tenant" => Role::Tenant,
            "function" => Role::Function,
            "detail" => Role::Detail,
            other => {
                return Err(error_at(
                    role_node,
                    format!("unknown role `{other}` (region, tenant, function or detail)"),
                ))
            }
        };
        if role != Role::Detail && specs.iter().any(|s: &CaptureSpec| s.role == role) {
            return Err(error_at(
                role_node,
                format!("a second `{}` capture", role.as_str()),
            ));
        }
        specs.push(CaptureSpec {
            name: name.to_string(),
            role,
            en: text(spec, "en")?,
            zh: text(spec, "zh")?,
            group: 0,
            in_path: false,
        });
    }
    if let Some(missing) = groups.iter().find(|g| !specs.iter().any(|s| s.name == **g)) {
        return Err(error_at(
            node,
            format!("group `{missing}` is not described"),
        ));
    }
    // Pattern order, so classifications list captures as the host reads.
    specs.sort_by_key(|s| groups.iter().position(|g| *g == s.name));
    Ok(specs)
}

fn parse_examples(item: &Node, groups: &[&str]) -> Result<Vec<Example>, FieldError> {
    let node = required(item, "examples")?;
    let Value::Seq(values) = &node.value else {
        return Err(error_at(
            node,
            "`examples` must be a list of {host, captures}",
        ));
    };
    if values.is_empty() {
        return Err(error_at(node, "`examples` must not be empty"));
    }
    let mut examples = Vec::new();
    for value in values {
        if !matches!(value.value, Value::Map(_)) {
            return Err(error_at(value, "an example is {host, captures}"));
        }
        let host = text(value, "host")?;
        let mut captures = Vec::new();
        if let Some(map) = value.get("captures") {
            let Value::Map(entries) = &map.value else {
                return Err(error_at(map, "example `captures` must be a mapping"));
            };
            for (key, expected) in entries {
                let name = scalar(key, "captures")?;
                if !groups.contains(&name) {
                    return Err(error_at(key, format!("the pattern has no group `{name}`")));
                }
                captures.push((name.to_string(), scalar(expected, name)?.to_string()));
            }
        }
        examples.push(Example { host, captures });
    }
    Ok(examples)
}
