//! Serverless Framework variables (`${source:address, fallback}`), resolved
//! only where the service file itself determines the value.
//!
//! Security choice: external sources are never read. `${env:X}`,
//! `${file(...)}`, `${s3:}`, `${cf:}`, `${param:}` and anything unknown
//! become `Unknown`, *even when a fallback is given*: using the fallback
//! would report on a value the real deployment may not use, and reading the
//! scanner's environment or files would let an untrusted repository
//! exfiltrate or steer what the scanner sees. `${ssm:...}` inside
//! environment variables becomes a CloudFormation dynamic reference
//! (`{{resolve:ssm:NAME}}`) so that checks recognise a secret-store
//! reference rather than a literal.
//!
//! A custom `provider.variableSyntax` (v2 only) is ignored: the default
//! syntax is used.
//!
//! Hostile files are bounded: nesting depth, a global step budget and a
//! stack of `self:` paths being resolved (cycles) all end in `Unknown`.

use crate::cfn::intrinsics::has_open;
use crate::model::{SELF_ACCOUNT, SELF_REGION};
use fnguard_core::doc::MapEntry;
use fnguard_core::fast_hash::{HashMap, HashSet};
use fnguard_core::{Loc, Node, NodeKind};
use std::borrow::Cow;

/// Nested variable evaluations deeper than this are refused.
const MAX_DEPTH: usize = 32;
/// Total variable evaluations per file; real services use a few hundred.
const MAX_STEPS: usize = 100_000;
/// Tree levels plus variable levels being resolved at once: keeps the
/// recursion within a small thread stack when deep documents and variable
/// chains combine.
const MAX_NESTING: usize = 384;
/// Longest text built by interpolation; stops `${a}${a}` doubling bombs.
const MAX_TEXT: usize = 1 << 20;
const TOO_DEEP: &str = "document and variables nest too deeply";

/// The service with every variable resolved or made `Unknown`, and the
/// stage it deploys to (see `Resolver::stage`).
pub(crate) fn resolve_service(mut root: Node, stage_loc: Loc) -> (Node, Node) {
    let (values, stage) = {
        let mut resolver = Resolver::new(&root);
        let mut values = Vec::new();
        resolver.variable_values(&root, &mut values);
        let stage = resolver.stage(stage_loc);
        (values, stage)
    };
    let mut values = values.into_iter();
    apply(&mut root, 0, &mut values);
    (root, stage)
}

/// Writes the values `Resolver::variable_values` computed over the nodes
/// they came from, walking the tree in the same order with the same tests.
fn apply(node: &mut Node, depth: usize, values: &mut std::vec::IntoIter<Node>) {
    if values.len() == 0 {
        // The rest of the tree holds no variable.
        return;
    }
    let replace = depth >= MAX_NESTING
        || match &mut node.kind {
            NodeKind::Str(text) => has_open(text),
            NodeKind::Seq(items) => {
                for item in items {
                    apply(item, depth + 1, values);
                }
                false
            }
            NodeKind::Map(entries) => {
                for entry in entries {
                    apply(&mut entry.value, depth + 1, values);
                }
                false
            }
            NodeKind::Tagged(_, inner) => {
                apply(inner, depth + 1, values);
                false
            }
            _ => false,
        };
    if replace {
        if let Some(value) = values.next() {
            *node = value;
        }
    }
}

/// Outcome of one variable.
enum Val {
    Node(Node),
    /// The source has no value (CLI option not given, `self:` path absent):
    /// the next fallback applies.
    Missing,
    Unknown(String),
    /// A secret-store reference, as a CloudFormation dynamic reference.
    Secret(String),
}

pub(crate) struct Resolver<'a> {
    root: &'a Node,
    memo: HashMap<(String, bool), Node>,
    resolving: HashSet<String>,
    steps: usize,
    depth: usize,
    nesting: usize,
    /// Inside an `environment` block: `${ssm:}` becomes a dynamic reference.
    secret_refs: bool,
    stage: Option<Node>,
    stage_busy: bool,
    region: Option<Node>,
    region_busy: bool,
}

impl<'a> Resolver<'a> {
    pub(crate) fn new(root: &'a Node) -> Self {
        Resolver {
            root,
            memo: HashMap::default(),
            resolving: HashSet::default(),
            steps: 0,
            depth: 0,
            nesting: 0,
            secret_refs: false,
            stage: None,
            stage_busy: false,
            region: None,
            region_busy: false,
        }
    }

    /// The resolved value of every string holding a variable, in document
    /// order (`apply` writes them over the tree). Lookups must see the file as
    /// written, so the values are computed before the tree changes; collecting
    /// them instead of rebuilding the tree saves cloning every other node.
    fn variable_values(&mut self, node: &Node, values: &mut Vec<Node>) {
        if self.nesting >= MAX_NESTING {
            values.push(Node::unknown(TOO_DEEP, node.loc));
            return;
        }
        self.nesting += 1;
        match &node.kind {
            NodeKind::Str(text) if has_open(text) => {
                let value = self.resolve_string(text, node.loc);
                values.push(value);
            }
            NodeKind::Seq(items) => {
                for item in items {
                    self.variable_values(item, values);
                }
            }
            NodeKind::Map(entries) => {
                for entry in entries {
                    let outer = self.secret_refs;
                    if entry.key.eq_ignore_ascii_case("environment") {
                        self.secret_refs = true;
                    }
                    self.variable_values(&entry.value, values);
                    self.secret_refs = outer;
                }
            }
            NodeKind::Tagged(_, inner) => self.variable_values(inner, values),
            _ => {}
        }
        self.nesting -= 1;
    }

    /// The stage the service deploys to: `provider.stage` resolved, `dev`
    /// when absent (CLI options are never known to a scanner).
    pub(crate) fn stage(&mut self, loc: Loc) -> Node {
        if let Some(stage) = &self.stage {
            return stage.clone();
        }
        if self.stage_busy {
            // `stage: ${opt:stage}` with no option given: the framework's default.
            return Node::str("dev", loc);
        }
        self.stage_busy = true;
        let root = self.root;
        let stage = match root.path(&["provider", "stage"]) {
            Some(raw) => self.resolve(raw),
            None => Node::str("dev", loc),
        };
        self.stage_busy = false;
        self.stage = Some(stage.clone());
        stage
    }

    pub(crate) fn region(&mut self, loc: Loc) -> Node {
        if let Some(region) = &self.region {
            return region.clone();
        }
        if self.region_busy {
            return Node::str("us-east-1", loc);
        }
        self.region_busy = true;
        let root = self.root;
        let region = match root.path(&["provider", "region"]) {
            Some(raw) => self.resolve(raw),
            None => Node::str("us-east-1", loc),
        };
        self.region_busy = false;
        self.region = Some(region.clone());
        region
    }

    fn resolve(&mut self, node: &Node) -> Node {
        if self.nesting >= MAX_NESTING {
            return Node::unknown(TOO_DEEP, node.loc);
        }
        self.nesting += 1;
        let resolved = self.resolve_inner(node);
        self.nesting -= 1;
        resolved
    }

    fn resolve_inner(&mut self, node: &Node) -> Node {
        match &node.kind {
            NodeKind::Str(text) if has_open(text) => self.resolve_string(text, node.loc),
            NodeKind::Seq(items) => Node::new(
                NodeKind::Seq(items.iter().map(|item| self.resolve(item)).collect()),
                node.loc,
            ),
            NodeKind::Map(entries) => {
                let mut out = Vec::with_capacity(entries.len());
                for entry in entries {
                    let outer = self.secret_refs;
                    if entry.key.eq_ignore_ascii_case("environment") {
                        self.secret_refs = true;
                    }
                    let value = self.resolve(&entry.value);
                    self.secret_refs = outer;
                    out.push(MapEntry {
                        key: entry.key.clone(),
                        key_loc: entry.key_loc,
                        value,
                    });
                }
                Node::new(NodeKind::Map(out), node.loc)
            }
            NodeKind::Tagged(tag, inner) => Node::new(
                NodeKind::Tagged(tag.clone(), Box::new(self.resolve(inner))),
                node.loc,
            ),
            _ => node.clone(),
        }
    }

    /// A string holding variables: one whole variable keeps the referenced
    /// value's type (a map, a list, a number); mixed text is concatenated and
    /// becomes `Unknown` as soon as one part is.
    fn resolve_string(&mut self, text: &str, loc: Loc) -> Node {
        let spans = variable_spans(text);
        if spans.is_empty() {
            return Node::str(text, loc);
        }
        if spans.len() == 1 && spans[0].0 == 0 && spans[0].1 == text.len() {
            let content = &text[2..text.len() - 1];
            return match self.eval(content, loc) {
                Val::Node(mut node) => {
                    node.loc = loc;
                    node
                }
                Val::Missing => Node::unknown(format!("{text} has no value"), loc),
                Val::Unknown(why) => Node::unknown(why, loc),
                Val::Secret(reference) if self.secret_refs => Node::str(reference, loc),
                Val::Secret(_) => Node::unknown(format!("{text} is read from a secret store"), loc),
            };
        }
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for (start, end) in spans {
            out.push_str(&text[last..start]);
            last = end;
            let content = &text[start + 2..end - 1];
            match self.eval(content, loc) {
                Val::Node(node) => match scalar_text(&node) {
                    Some(piece) => out.push_str(&piece),
                    None => {
                        return Node::unknown(
                            format!("${{{content}}} is not a scalar or is unknown"),
                            loc,
                        )
                    }
                },
                Val::Missing => return Node::unknown(format!("${{{content}}} has no value"), loc),
                Val::Unknown(why) => return Node::unknown(why, loc),
                Val::Secret(reference) if self.secret_refs => out.push_str(&reference),
                Val::Secret(_) => {
                    return Node::unknown(
                        format!("${{{content}}} is read from a secret store"),
                        loc,
                    )
                }
            }
            if out.len() > MAX_TEXT {
                return Node::unknown("interpolated value too long", loc);
            }
        }
        out.push_str(&text[last..]);
        Node::str(out, loc)
    }

    /// `source:address, fallback, fallback...` (the text between `${` and `}`).
    fn eval(&mut self, content: &str, loc: Loc) -> Val {
        self.steps += 1;
        if self.steps > MAX_STEPS {
            return Val::Unknown("variable resolution budget exceeded".into());
        }
        if self.depth >= MAX_DEPTH {
            return Val::Unknown(format!("${{{content}}} nests too deeply"));
        }
        self.depth += 1;
        let parts = split_top_level(content);
        let mut result = Val::Missing;
        for (index, part) in parts.iter().enumerate() {
            let part = part.trim();
            result = if index == 0 {
                self.eval_source(part, loc)
            } else {
                self.eval_fallback(part, loc)
            };
            if !matches!(result, Val::Missing) {
                break;
            }
        }
        if matches!(result, Val::Missing) && parts.len() == 1 {
            // Without a fallback the framework itself supplies the stage and
            // region when no CLI option is given.
            match parts[0].trim() {
                "opt:stage" => result = Val::Node(self.stage(loc)),
                "opt:region" => result = Val::Node(self.region(loc)),
                _ => {}
            }
        }
        self.depth -= 1;
        result
    }

    fn eval_fallback(&mut self, part: &str, loc: Loc) -> Val {
        if let Some(literal) = unquote(part) {
            return Val::Node(Node::str(literal, loc));
        }
        if part.starts_with("${") {
            let node = self.resolve_string(part, loc);
            return match node.kind {
                NodeKind::Unknown(why) => Val::Unknown(why),
                _ => Val::Node(node),
            };
        }
        if part.is_empty() {
            return Val::Missing;
        }
        if part.parse::<f64>().is_ok() {
            return Val::Node(Node::new(NodeKind::Number(part.to_string()), loc));
        }
        match part {
            "true" => return Val::Node(Node::new(NodeKind::Bool(true), loc)),
            "false" => return Val::Node(Node::new(NodeKind::Bool(false), loc)),
            "null" => return Val::Node(Node::new(NodeKind::Null, loc)),
            _ => {}
        }
        if is_variable(part) {
            // Old syntax: `${opt:stage, self:provider.stage}`.
            return self.eval_source(part, loc);
        }
        Val::Node(Node::str(part, loc))
    }

    fn eval_source(&mut self, part: &str, loc: Loc) -> Val {
        let expanded: Cow<'_, str> = if has_open(part) {
            match self.resolve_string(part, loc).kind {
                NodeKind::Str(text) => Cow::Owned(text),
                NodeKind::Unknown(why) => return Val::Unknown(why),
                _ => return Val::Unknown(format!("${{{part}}} has a non-text address")),
            }
        } else {
            Cow::Borrowed(part)
        };
        let text = expanded.as_ref();
        let source_end = text.find([':', '(']).unwrap_or(text.len());
        let source = &text[..source_end];
        let address = match text.find(':') {
            Some(colon) if !text[..colon].contains('(') || text[..colon].ends_with(')') => {
                text[colon + 1..].trim()
            }
            _ => "",
        };
        let external = || Val::Unknown(format!("${{{text}}} is not resolved offline"));
        match source {
            "self" => self.lookup_self(address, loc),
            "opt" => Val::Missing,
            "sls" => match address {
                "stage" => Val::Node(self.stage(loc)),
                _ => external(),
            },
            "aws" => match address {
                "accountId" => Val::Node(Node::str(SELF_ACCOUNT, loc)),
                "region" => Val::Node(Node::str(SELF_REGION, loc)),
                _ => match secret_manager_name(address) {
                    Some(name) => Val::Secret(format!("{{{{resolve:secretsmanager:{name}}}}}")),
                    None => external(),
                },
            },
            "ssm" => Val::Secret(ssm_reference(address)),
            "secretsmanager" => Val::Secret(format!(
                "{{{{resolve:secretsmanager:{}}}}}",
                address.trim_start_matches(':')
            )),
            "env" => Val::Unknown(format!(
                "${{{text}}}: environment variables of the scanning machine are never read"
            )),
            _ => external(),
        }
    }

    /// `self:a.b.c`, following variables met on the way.
    fn lookup_self(&mut self, address: &str, loc: Loc) -> Val {
        let address = address.trim().trim_start_matches(':');
        let key = (address.to_string(), self.secret_refs);
        if let Some(found) = self.memo.get(&key) {
            return Val::Node(found.clone());
        }
        if !self.resolving.insert(address.to_string()) {
            return Val::Unknown(format!("${{self:{address}}} refers to itself (cycle)"));
        }
        let result = self.walk_self(address, loc);
        self.resolving.remove(address);
        if let Val::Node(node) = &result {
            self.memo.insert(key, node.clone());
        }
        result
    }

    fn walk_self(&mut self, address: &str, loc: Loc) -> Val {
        let root = self.root;
        let mut current: Cow<'a, Node> = Cow::Borrowed(root);
        if !address.is_empty() {
            for step in address.split('.') {
                if let NodeKind::Str(text) = &current.kind {
                    if has_open(text) {
                        let text = text.clone();
                        let resolved = self.resolve_string(&text, current.loc);
                        current = Cow::Owned(resolved);
                    }
                }
                if let NodeKind::Unknown(why) = &current.kind {
                    return Val::Unknown(why.clone());
                }
                // Nodes of the file are borrowed; only values built by
                // resolving a variable on the way are owned (and cloned).
                let next = match current {
                    Cow::Borrowed(node) => child(node, step).map(Cow::Borrowed),
                    Cow::Owned(ref node) => child(node, step).cloned().map(Cow::Owned),
                };
                match next {
                    Some(node) => current = node,
                    None => {
                        return match address {
                            "provider.stage" => Val::Node(self.stage(loc)),
                            "provider.region" => Val::Node(self.region(loc)),
                            _ => Val::Missing,
                        }
                    }
                }
            }
        }
        Val::Node(self.resolve(&current))
    }
}

fn child<'n>(node: &'n Node, step: &str) -> Option<&'n Node> {
    match &node.kind {
        NodeKind::Map(_) => node.get(step),
        NodeKind::Seq(items) => step.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => None,
    }
}

fn scalar_text(node: &Node) -> Option<Cow<'_, str>> {
    match &node.kind {
        NodeKind::Null => Some(Cow::Borrowed("null")),
        _ => node.scalar_text(),
    }
}

/// `'dev'` or `"dev"` → `dev`.
fn unquote(part: &str) -> Option<&str> {
    let bytes = part.as_bytes();
    if bytes.len() >= 2 {
        let (first, last) = (bytes[0], bytes[bytes.len() - 1]);
        if (first == b'\'' || first == b'"') && first == last {
            return Some(&part[1..part.len() - 1]);
        }
    }
    None
}

/// `ssm:/path`, `ssm(raw):/path`, `ssm:/path~true`, and the Secrets Manager
/// passthrough `/aws/reference/secretsmanager/NAME`.
fn ssm_reference(address: &str) -> String {
    let name = address.trim();
    let name = name.split('~').next().unwrap_or(name);
    match name.strip_prefix("/aws/reference/secretsmanager/") {
        Some(secret) => format!("{{{{resolve:secretsmanager:{secret}}}}}"),
        None => format!("{{{{resolve:ssm:{name}}}}}"),
    }
}

fn secret_manager_name(address: &str) -> Option<&str> {
    let rest = address.strip_prefix("secretsmanager")?;
    Some(rest.trim_start_matches([':', '/']))
}

/// Byte ranges of `${...}` occurrences that are Serverless variables (not
/// CloudFormation `${AWS::Region}` / `${Resource.Arn}` Fn::Sub placeholders).
fn variable_spans(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut i = 0;
    while i + 1 < bytes.len() {
        if bytes[i] == b'$' && bytes[i + 1] == b'{' {
            let Some(end) = matching_brace(bytes, i + 1) else {
                break;
            };
            if is_variable(&text[i + 2..end]) {
                spans.push((i, end + 1));
                i = end + 1;
                continue;
            }
            i += 2;
            continue;
        }
        i += 1;
    }
    spans
}

/// Index of the `}` closing the `{` at `open`.
fn matching_brace(bytes: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (offset, &b) in bytes[open..].iter().enumerate() {
        match b {
            b'{' => depth += 1,
            b'}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(open + offset);
                }
            }
            _ => {}
        }
    }
    None
}

/// `source:...`, `source(...)` or `source(...):...` where the source is a
/// word; `AWS::Region` (a double colon) and `Res.Arn` are not variables.
fn is_variable(content: &str) -> bool {
    let content = content.trim_start();
    let name_len = content
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-')
        .count();
    if name_len == 0 || !content.as_bytes()[0].is_ascii_alphabetic() {
        return false;
    }
    let rest = &content[name_len..];
    if let Some(after) = rest.strip_prefix(':') {
        return !after.starts_with(':');
    }
    rest.starts_with('(')
}

/// Split on commas outside nested `${}`, parentheses and quotes.
fn split_top_level(content: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut quote: Option<u8> = None;
    let mut start = 0;
    for (i, b) in content.bytes().enumerate() {
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None => match b {
                b'\'' | b'"' => quote = Some(b),
                b'{' | b'(' => depth += 1,
                b'}' | b')' => depth = depth.saturating_sub(1),
                b',' if depth == 0 => {
                    parts.push(&content[start..i]);
                    start = i + 1;
                }
                _ => {}
            },
        }
    }
    parts.push(&content[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(yaml: &str) -> Node {
        let root = crate::yaml::parse(yaml, 0, "serverless.yml").expect("valid yaml");
        resolve_service(root, Loc::default()).0
    }

    fn text<'n>(root: &'n Node, path: &[&str]) -> Option<&'n str> {
        root.path(path).and_then(Node::as_str)
    }

    #[test]
    fn self_opt_sls_and_aws_resolve() {
        let root = resolve(
            "service: orders\nprovider:\n  stage: ${opt:stage, 'prod'}\ncustom:\n  table: ${self:service}-${sls:stage}\n  prod:\n    size: 5\n  size: ${self:custom.${opt:stage, 'prod'}.size}\n  arn: arn:aws:sqs:${aws:region}:${aws:accountId}:q\n  st: ${self:provider.stage}\n  r: ${opt:region, self:custom.fallbackRegion}\n  fallbackRegion: eu-west-1\n",
        );
        assert_eq!(text(&root, &["custom", "table"]), Some("orders-prod"));
        assert_eq!(
            root.path(&["custom", "size"]).and_then(Node::as_i64),
            Some(5)
        );
        assert_eq!(
            text(&root, &["custom", "arn"]),
            Some("arn:aws:sqs:${AWS::Region}:${AWS::AccountId}:q")
        );
        assert_eq!(text(&root, &["custom", "st"]), Some("prod"));
        assert_eq!(text(&root, &["custom", "r"]), Some("eu-west-1"));
    }

    #[test]
    fn stage_without_fallback_or_self_referencing_is_the_default() {
        let root = resolve("provider:\n  stage: ${opt:stage}\n  region: ${opt:region}\nx: ${sls:stage}-${opt:region}\nall: ${self:}\n");
        assert_eq!(text(&root, &["x"]), Some("dev-us-east-1"));
        assert_eq!(text(&root, &["all", "provider", "stage"]), Some("dev"));
    }

    #[test]
    fn stage_defaults_to_dev() {
        let root = resolve("service: s\nprovider:\n  name: aws\nx: ${sls:stage}\ny: ${opt:stage}\nz: ${self:provider.stage}\n");
        assert_eq!(text(&root, &["x"]), Some("dev"));
        assert_eq!(text(&root, &["y"]), Some("dev"));
        assert_eq!(text(&root, &["z"]), Some("dev"));
    }

    #[test]
    fn external_sources_stay_unknown_even_with_fallbacks() {
        let root = resolve(
            "a: ${env:HOME, 'fallback'}\nb: ${file(./secrets.json)}\nc: ${file(./c.yml):key, 'x'}\nd: pre-${env:HOME}\ne: ${s3:bucket/key}\nf: ${cf:stack.Out}\ng: ${param:x, 'y'}\nh: ${aws:partition}\ni: ${unknownsrc:x}\n",
        );
        for key in ["a", "b", "c", "d", "e", "f", "g", "h", "i"] {
            assert!(root.get(key).is_some_and(Node::is_unknown), "{key}");
        }
        if let Some(NodeKind::Unknown(why)) = root.get("a").map(|n| &n.kind) {
            assert!(why.contains("never read"), "{why}");
        }
    }

    #[test]
    fn ssm_is_a_reference_only_in_environment() {
        let root = resolve(
            "provider:\n  environment:\n    DB: ${ssm:/orders/db-password}\n    S: ${ssm:/aws/reference/secretsmanager/orders/api~true}\n    URL: https://${ssm(raw):/host}/x\ncustom:\n  pw: ${ssm:/orders/pw}\n",
        );
        assert_eq!(
            text(&root, &["provider", "environment", "DB"]),
            Some("{{resolve:ssm:/orders/db-password}}")
        );
        assert_eq!(
            text(&root, &["provider", "environment", "S"]),
            Some("{{resolve:secretsmanager:orders/api}}")
        );
        assert_eq!(
            text(&root, &["provider", "environment", "URL"]),
            Some("https://{{resolve:ssm:/host}}/x")
        );
        assert!(root.path(&["custom", "pw"]).is_some_and(Node::is_unknown));
    }

    #[test]
    fn cycles_and_self_reference_terminate() {
        let root = resolve("custom:\n  a: ${self:custom.b}\n  b: ${self:custom.a}\n  c: ${self:custom}\n  d: ${self:}\n");
        assert!(root.path(&["custom", "a"]).is_some_and(Node::is_unknown));
        assert!(root.path(&["custom", "b"]).is_some_and(Node::is_unknown));
        assert!(root
            .path(&["custom", "c"])
            .is_some_and(Node::contains_unknown));
    }

    #[test]
    fn exponential_references_are_bounded() {
        let mut yaml = String::from("custom:\n  v0: x\n");
        for i in 1..40 {
            yaml.push_str(&format!(
                "  v{i}: ${{self:custom.v{p}}}${{self:custom.v{p}}}${{self:custom.v{p}}}\n",
                p = i - 1
            ));
        }
        // Memoised, and the tripling text is capped: finishes, ends unknown.
        let root = resolve(&yaml);
        assert!(root.path(&["custom", "v39"]).is_some_and(Node::is_unknown));
        assert_eq!(text(&root, &["custom", "v2"]), Some("xxxxxxxxx"));
    }

    #[test]
    fn deep_documents_with_variable_chains_fit_a_small_stack() {
        // Each of 30 variables points at a 200-level deep map whose leaf is
        // the next variable: tree and variable recursion combine.
        let mut yaml = String::from("custom:\n");
        for i in 0..30 {
            yaml.push_str(&format!("  v{i}: "));
            for _ in 0..200 {
                yaml.push_str("{a: ");
            }
            yaml.push_str(&format!("'${{self:custom.v{}}}'", i + 1));
            yaml.push_str(&"}".repeat(200));
            yaml.push('\n');
        }
        yaml.push_str("x: ${self:custom.v0}\n");
        let root = crate::yaml::parse(&yaml, 0, "s.yml").expect("yaml");
        let handle = std::thread::Builder::new()
            .stack_size(1 << 20)
            .spawn(move || resolve_service(root, Loc::default()).0.contains_unknown())
            .expect("thread");
        assert!(handle.join().expect("no stack overflow"));
    }

    #[test]
    fn odd_variable_text_never_panics() {
        let odd = [
            "${",
            "}",
            "${}",
            "${${${",
            "$${self:x}",
            "${self:ü}",
            "${é:x}",
            "ü${self:custom.ü}ü",
            "${self:custom.${}}",
            "${self:custom., }",
            "${opt:stage,}",
            "${opt:stage, }",
            "${opt:stage, 'unterminated}",
            "${opt:stage, \"dq\"}",
            "${file(}",
            "${file()):x}",
            "${self:custom.list.99}",
            "${self:custom.list.-1}",
            "${ssm:}",
            "${aws:secretsmanager}",
            "${opt:x, ${opt:y, ${opt:z, 7}}}",
            "${self:custom.list.0}${self:custom.list}",
        ];
        let mut yaml = String::from("custom:\n  list: [a, b]\n  \u{fc}: u\n");
        for (i, value) in odd.iter().enumerate() {
            yaml.push_str(&format!(
                "  k{i}: {}\n",
                serde_json::to_string(value).unwrap_or_default()
            ));
        }
        yaml.push_str("environment:\n");
        for (i, value) in odd.iter().enumerate() {
            yaml.push_str(&format!(
                "  E{i}: {}\n",
                serde_json::to_string(value).unwrap_or_default()
            ));
        }
        let root = resolve(&yaml);
        assert_eq!(
            root.path(&["custom", "k20"]).and_then(Node::as_i64),
            Some(7)
        );
        assert_eq!(text(&root, &["custom", "k7"]), Some("\u{fc}u\u{fc}"));
    }

    #[test]
    fn values_land_on_the_nodes_they_were_computed_for() {
        // Variables in lists, tags and environment blocks between plain
        // values: each resolved value replaces its own string, in place.
        let root = resolve(
            "custom:\n  s: prod\nlist: [a, '${self:custom.s}', 3, '${opt:x, ${self:custom.s}}-y']\ntagged: !Sub '${self:custom.s}'\nfunctions:\n  f:\n    environment:\n      A: ${ssm:/a}\n      B: plain\n    other: ${ssm:/b}\nlast: ${self:list.1}\n",
        );
        let items: Vec<_> = root
            .get("list")
            .and_then(Node::as_seq)
            .map(|items| items.iter().map(|item| item.scalar_text()).collect())
            .unwrap_or_default();
        assert_eq!(
            items,
            [
                Some("a".into()),
                Some("prod".into()),
                Some("3".into()),
                Some("prod-y".into())
            ]
        );
        match root.get("tagged").map(|node| &node.kind) {
            Some(NodeKind::Tagged(tag, inner)) => {
                assert_eq!(tag, "Sub");
                assert_eq!(inner.as_str(), Some("prod"));
            }
            other => panic!("not a tag: {other:?}"),
        }
        let env = ["functions", "f", "environment"];
        assert_eq!(
            text(&root, &[env[0], env[1], env[2], "A"]),
            Some("{{resolve:ssm:/a}}")
        );
        assert_eq!(text(&root, &[env[0], env[1], env[2], "B"]), Some("plain"));
        assert!(root
            .path(&["functions", "f", "other"])
            .is_some_and(Node::is_unknown));
        assert_eq!(text(&root, &["last"]), Some("prod"));
    }

    #[test]
    fn cloudformation_placeholders_are_not_variables() {
        let root = resolve(
            "a: arn:${AWS::Partition}:s3:::${Bucket}/${Fn.Arn}-${self:custom.x}\ncustom:\n  x: y\n",
        );
        assert_eq!(
            text(&root, &["a"]),
            Some("arn:${AWS::Partition}:s3:::${Bucket}/${Fn.Arn}-y")
        );
    }

    #[test]
    fn whole_variable_keeps_structure_and_missing_self_is_unknown() {
        let root = resolve("custom:\n  vpc:\n    subnetIds: [a, b]\nx: ${self:custom.vpc}\ny: ${self:custom.nope}\nz: ${self:custom.nope, 'd'}\n");
        assert_eq!(
            root.path(&["x", "subnetIds"])
                .and_then(Node::as_seq)
                .map(<[Node]>::len),
            Some(2)
        );
        assert!(root.get("y").is_some_and(Node::is_unknown));
        assert_eq!(text(&root, &["z"]), Some("d"));
    }
}
