//! Terraform's JSON configuration syntax (`*.tf.json`, what CDK for
//! Terraform synthesizes) rewritten as native HCL text, so one evaluator
//! serves both. JSON strings are templates in that syntax (`"${var.x}"`),
//! exactly as quoted HCL strings are, so they are copied as such.
//!
//! JSON cannot tell a nested block from a map-valued argument; Terraform
//! uses the provider schema. Here an object is a block unless its key is a
//! map argument the model reads (`tags`, environment `variables`, alarm
//! `dimensions`...). Each element is written on its JSON line when the
//! JSON is laid out over lines (CDKTF pretty-prints), so findings point at
//! the right line.

use fnguard_core::{Node, NodeKind};

/// Arguments whose value is a map, not a nested block.
const MAP_ARGUMENTS: &[&str] = &[
    "tags",
    "tags_all",
    "variables",
    "dimensions",
    "response_parameters",
    "request_parameters",
    "request_models",
    "request_templates",
    "response_templates",
    "response_models",
    "triggers",
    "stage_variables",
    "default",
    "value",
    "environment_variables",
];

/// Nesting beyond this is written as `null` (the JSON parser already bounds
/// depth; this keeps the recursion bounded on its own).
const MAX_DEPTH: usize = 200;

struct Writer {
    out: String,
    line: u32,
}

impl Writer {
    fn newline(&mut self) {
        self.out.push('\n');
        self.line += 1;
    }

    /// Start an element on a fresh line, on its JSON line when that is
    /// still ahead.
    fn at(&mut self, node_line: u32) {
        self.newline();
        while self.line < node_line {
            self.newline();
        }
    }

    fn push(&mut self, text: &str) {
        for c in text.chars() {
            if c == '\n' {
                self.line += 1;
            }
            self.out.push(c);
        }
    }
}

/// The HCL text of a `.tf.json` document, or why it cannot be read.
pub(crate) fn to_hcl(root: &Node) -> Result<String, String> {
    let NodeKind::Map(entries) = &root.kind else {
        return Err("a Terraform JSON configuration must be an object".into());
    };
    let mut w = Writer {
        out: String::new(),
        line: 1,
    };
    for e in entries {
        match e.key.as_str() {
            "resource" | "data" => {
                for (rtype, by_name) in map_entries(&e.value) {
                    for (name, body) in map_entries(by_name) {
                        for body in bodies(body) {
                            w.at(body.loc.line);
                            w.push(&format!("{} {} {} {{", e.key, quote(rtype), quote(name)));
                            write_body(&mut w, body, 1)?;
                            w.newline();
                            w.push("}");
                        }
                    }
                }
            }
            "variable" => {
                for (name, body) in map_entries(&e.value) {
                    w.at(body.loc.line);
                    w.push(&format!("variable {} {{", quote(name)));
                    for (key, value) in map_entries(body) {
                        // Type constraints are not values; the evaluator
                        // does not need them.
                        if matches!(key, "type" | "validation") {
                            continue;
                        }
                        w.at(value.loc.line);
                        w.push(&format!("  {key} = "));
                        write_value(&mut w, value, 1)?;
                    }
                    w.newline();
                    w.push("}");
                }
            }
            "locals" => {
                for body in bodies(&e.value) {
                    w.at(body.loc.line);
                    w.push("locals {");
                    for (key, value) in map_entries(body) {
                        if !is_identifier(key) {
                            continue;
                        }
                        w.at(value.loc.line);
                        w.push(&format!("  {key} = "));
                        write_value(&mut w, value, 1)?;
                    }
                    w.newline();
                    w.push("}");
                }
            }
            "module" => {
                for (name, body) in map_entries(&e.value) {
                    w.at(body.loc.line);
                    w.push(&format!("module {} {{", quote(name)));
                    for (key, value) in map_entries(body) {
                        if !is_identifier(key) {
                            continue;
                        }
                        w.at(value.loc.line);
                        w.push(&format!("  {key} = "));
                        write_value(&mut w, value, 1)?;
                    }
                    w.newline();
                    w.push("}");
                }
            }
            // Outputs, providers, settings and `//` comments are not read.
            _ => {}
        }
    }
    w.newline();
    Ok(w.out)
}

fn map_entries(node: &Node) -> Vec<(&str, &Node)> {
    match &node.kind {
        NodeKind::Map(entries) => entries
            .iter()
            .filter(|e| e.key != "//")
            .map(|e| (e.key.as_str(), &e.value))
            .collect(),
        _ => Vec::new(),
    }
}

/// A body, or a list of bodies (JSON syntax allows both).
fn bodies(node: &Node) -> Vec<&Node> {
    match &node.kind {
        NodeKind::Seq(items) => items.iter().filter(|i| i.as_map().is_some()).collect(),
        NodeKind::Map(_) => vec![node],
        _ => Vec::new(),
    }
}

fn write_body(w: &mut Writer, body: &Node, depth: usize) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err("configuration nested too deeply".into());
    }
    let indent = "  ".repeat(depth);
    for (key, value) in map_entries(body) {
        if !is_identifier(key) {
            continue;
        }
        let block_list = match &value.kind {
            NodeKind::Map(_) if !MAP_ARGUMENTS.contains(&key) => vec![value],
            NodeKind::Seq(items)
                if !items.is_empty()
                    && items.iter().all(|i| i.as_map().is_some())
                    && !MAP_ARGUMENTS.contains(&key) =>
            {
                items.iter().collect()
            }
            _ => Vec::new(),
        };
        if key == "dynamic" {
            // `"dynamic": {"NAME": {"for_each": ..., "content": {...}}}`
            for (name, spec) in map_entries(value) {
                w.at(spec.loc.line);
                w.push(&format!("{indent}dynamic {} {{", quote(name)));
                write_body(w, spec, depth + 1)?;
                w.newline();
                w.push(&format!("{indent}}}"));
            }
            continue;
        }
        if !block_list.is_empty() {
            for block in block_list {
                w.at(block.loc.line);
                w.push(&format!("{indent}{key} {{"));
                write_body(w, block, depth + 1)?;
                w.newline();
                w.push(&format!("{indent}}}"));
            }
            continue;
        }
        w.at(value.loc.line);
        w.push(&format!("{indent}{key} = "));
        write_value(w, value, depth)?;
    }
    Ok(())
}

fn write_value(w: &mut Writer, value: &Node, depth: usize) -> Result<(), String> {
    if depth > MAX_DEPTH {
        w.push("null");
        return Ok(());
    }
    match &value.kind {
        NodeKind::Null => w.push("null"),
        NodeKind::Bool(b) => w.push(if *b { "true" } else { "false" }),
        NodeKind::Number(n) => w.push(n),
        NodeKind::Str(s) => w.push(&quote(s)),
        NodeKind::Seq(items) => {
            w.push("[");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    w.push(",");
                }
                write_value(w, item, depth + 1)?;
            }
            w.push("]");
        }
        NodeKind::Map(entries) => {
            w.push("{");
            for e in entries.iter().filter(|e| e.key != "//") {
                w.at(e.value.loc.line);
                w.push(&quote(&e.key));
                w.push(" = ");
                write_value(w, &e.value, depth + 1)?;
            }
            w.newline();
            w.push("}");
        }
        NodeKind::Tagged(_, inner) => write_value(w, inner, depth + 1)?,
        NodeKind::Unknown(_) => w.push("null"),
    }
    Ok(())
}

/// A JSON string as a quoted HCL template: `${...}` and `%{...}` keep
/// their meaning; quotes, backslashes and control characters are escaped.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn is_identifier(key: &str) -> bool {
    let mut chars = key.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_keeps_templates_and_escapes_the_rest() {
        assert_eq!(quote("${var.x}-\"a\"\\"), "\"${var.x}-\\\"a\\\"\\\\\"");
        assert_eq!(quote("a\nb"), "\"a\\nb\"");
    }

    #[test]
    fn not_an_object_is_an_error() {
        let node = crate::parse_document("[1]", 0, "x.tf.json").expect("json");
        assert!(to_hcl(&node).is_err());
    }
}
