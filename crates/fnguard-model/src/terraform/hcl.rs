//! HCL module folder: parse every file, then evaluate expressions as far as
//! the module itself determines them.
//!
//! Scope is module-local: `module` blocks are not followed (their outputs are
//! unknown), `provider` and `output` blocks are ignored, and nothing outside
//! the given files is read (`file()`/`templatefile()` are unknown).
//! Variables take their `default`, overridden by `terraform.tfvars` and
//! `*.auto.tfvars` when the caller passes those files: they are part of the
//! scanned repository, the same values `terraform plan` would use.

use super::syntax::{BinOp, Block, Body, Expr, ExprKind, Item, ObjectKeyExpr, Op, Part, Start};
use super::value::{json_text_to_v, unknown_piece, Val, HOLE, MAX_VALUE_DEPTH, V};
use super::Res;
use crate::model::{SELF_ACCOUNT, SELF_PARTITION, SELF_REGION};
use fnguard_core::fast_hash::HashMap;
use fnguard_core::{FileId, Loc};
use std::cell::{Cell, RefCell};

/// References followed in one chain before giving up (long `local` chains
/// must not overflow the stack).
const MAX_EVAL_DEPTH: u32 = 96;

/// Byte offsets to 1-based line and character column.
pub(crate) struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
    /// Index in `starts` of the line of the last lookup: the evaluator
    /// mostly asks in source order, so the next answer is usually that
    /// line or the next one.
    last: Cell<usize>,
    /// Last line of the file the user wrote, when `text` was generated from
    /// it (JSON syntax) and may run longer: positions never point past it.
    max_line: Option<u32>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> Self {
        LineIndex {
            text,
            starts: line_starts(text),
            last: Cell::new(0),
            max_line: None,
        }
    }

    /// For text generated from a file of `source_lines` lines.
    pub fn generated(text: &'a str, source_lines: u32) -> Self {
        LineIndex {
            max_line: Some(source_lines.max(1)),
            ..LineIndex::new(text)
        }
    }

    pub fn loc(&self, file: FileId, offset: usize) -> Loc {
        let contains = |i: usize| {
            self.starts.get(i).is_some_and(|&s| s <= offset)
                && self.starts.get(i + 1).is_none_or(|&next| next > offset)
        };
        let hint = self.last.get();
        let line = if contains(hint) {
            hint + 1
        } else if contains(hint + 1) {
            hint + 2
        } else {
            self.starts.partition_point(|&s| s <= offset).max(1)
        };
        self.last.set(line - 1);
        let start = self.starts[line - 1];
        let col = self
            .text
            .get(start..offset.min(self.text.len()))
            .map(|s| s.chars().count())
            .unwrap_or(0);
        match self.max_line {
            // Beyond the source (minified JSON): its last line, no column.
            Some(max) if line as u32 > max => Loc::new(file, max, 1),
            _ => Loc::new(file, line as u32, col as u32 + 1),
        }
    }
}

/// Offsets where lines start. Eight bytes at a time: this runs over every
/// byte of every module and a byte loop showed in profiles.
fn line_starts(text: &str) -> Vec<usize> {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const NEWLINES: u64 = 0x0a0a_0a0a_0a0a_0a0a;
    let bytes = text.as_bytes();
    let mut starts = Vec::with_capacity(bytes.len() / 32 + 1);
    starts.push(0);
    let mut chunks = bytes.chunks_exact(8);
    let mut base = 0;
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        // Zero bytes of `x` are the newlines; the high bit of each byte of
        // `found` marks them exactly (no carry crosses bytes).
        let x = word ^ NEWLINES;
        let mut found = !(((x & LOW7) + LOW7) | x | LOW7);
        while found != 0 {
            starts.push(base + found.trailing_zeros() as usize / 8 + 1);
            found &= found - 1;
        }
        base += 8;
    }
    for (i, &b) in chunks.remainder().iter().enumerate() {
        if b == b'\n' {
            starts.push(base + i + 1);
        }
    }
    starts
}

pub(crate) struct ParsedFile<'a> {
    pub id: FileId,
    pub lines: LineIndex<'a>,
    pub body: Body<'a>,
    pub tfvars: bool,
}

pub(crate) struct VarDef<'a> {
    pub name: &'a str,
    pub file: FileId,
    pub block: &'a Block<'a>,
    pub default: Option<&'a Expr<'a>>,
    pub sensitive: bool,
}

struct BlockRef<'a> {
    file: FileId,
    rtype: &'a str,
    block: &'a Block<'a>,
}

pub(crate) struct Module<'a> {
    files: &'a [ParsedFile<'a>],
    pub vars: Vec<VarDef<'a>>,
    var_index: HashMap<&'a str, usize>,
    tfvars: HashMap<&'a str, (FileId, &'a Expr<'a>)>,
    locals: HashMap<&'a str, (FileId, &'a Expr<'a>)>,
    blocks: HashMap<String, BlockRef<'a>>,
    /// Managed resources and data sources in source order.
    order: Vec<String>,
    /// Blocks Terraform itself would reject (wrong labels), as located
    /// messages for `Deployment::warnings`.
    pub malformed: Vec<(Loc, String)>,
    /// `module` calls: not followed, but what they are given may be
    /// configured there.
    module_calls: Vec<(FileId, &'a Block<'a>)>,
}

enum Memo {
    InProgress,
    Done(V, Vec<String>),
}

/// Resource types and data sources the model builder reads; others are only
/// evaluated when something references them.
fn is_modelled(rtype: &str) -> bool {
    rtype.starts_with("aws_lambda_")
        || rtype.starts_with("aws_iam_")
        || rtype.starts_with("aws_api_gateway_")
        || rtype.starts_with("aws_apigatewayv2_")
        || rtype.starts_with("aws_wafv2_web_acl_association")
        || rtype.starts_with("aws_wafregional_web_acl_association")
        || matches!(
            rtype,
            "aws_cloudwatch_log_group"
                | "aws_cloudwatch_metric_alarm"
                | "aws_cloudtrail"
                | "aws_security_group"
                | "aws_security_group_rule"
                | "aws_vpc_security_group_egress_rule"
                | "aws_scheduler_schedule"
        )
        || is_trigger_source_policy_type(rtype)
        || super::build::network::is_network_type(rtype)
}

/// Buckets, queues and topics with their policies and ACLs: who may put
/// events into a function's trigger source.
fn is_trigger_source_policy_type(rtype: &str) -> bool {
    matches!(
        rtype,
        "aws_s3_bucket"
            | "aws_s3_bucket_policy"
            | "aws_s3_bucket_acl"
            | "aws_s3_bucket_ownership_controls"
            | "aws_s3_bucket_public_access_block"
            | "aws_sqs_queue"
            | "aws_sqs_queue_policy"
            | "aws_sns_topic"
            | "aws_sns_topic_policy"
    )
}

impl<'a> Module<'a> {
    pub fn new(files: &'a [ParsedFile<'a>]) -> Module<'a> {
        let mut module = Module {
            files,
            vars: Vec::new(),
            var_index: HashMap::default(),
            tfvars: HashMap::default(),
            locals: HashMap::default(),
            blocks: HashMap::default(),
            order: Vec::new(),
            malformed: Vec::new(),
            module_calls: Vec::new(),
        };
        for file in files {
            for item in &file.body.items {
                match item {
                    Item::Attr(attr) if file.tfvars => {
                        module.tfvars.insert(&*attr.key, (file.id, &attr.value));
                    }
                    Item::Attr(_) => {}
                    Item::Block(block) if !file.tfvars => module.add_block(file.id, block),
                    Item::Block(_) => {}
                }
            }
        }
        module
    }

    fn add_block(&mut self, file: FileId, block: &'a Block<'a>) {
        let labels: Vec<&'a str> = block.labels.iter().map(|l| &**l).collect();
        match (&*block.ident, labels.as_slice()) {
            ("resource", [rtype, name]) => {
                let addr = format!("{rtype}.{name}");
                self.insert_block(addr, file, rtype, block);
            }
            ("data", [rtype, name]) => {
                let addr = format!("data.{rtype}.{name}");
                self.insert_block(addr, file, rtype, block);
            }
            ("variable", [name]) => {
                let default = block.body.get_attribute("default").map(|a| &a.value);
                let sensitive = block
                    .body
                    .get_attribute("sensitive")
                    .and_then(|a| a.value.as_bool())
                    .unwrap_or(false);
                self.var_index.insert(name, self.vars.len());
                self.vars.push(VarDef {
                    name,
                    file,
                    block,
                    default,
                    sensitive,
                });
            }
            ("module", [_]) => self.module_calls.push((file, block)),
            ("locals", []) => {
                for attr in block.body.attributes() {
                    self.locals.insert(&*attr.key, (file, &attr.value));
                }
            }
            ("resource" | "data", _) | ("variable", _) => {
                let loc = self.loc_of(file, block.start);
                self.malformed.push((
                    loc,
                    format!(
                        "`{}` block with {} label(s) is not valid Terraform; skipped",
                        block.ident,
                        labels.len()
                    ),
                ));
            }
            _ => {}
        }
    }

    fn insert_block(&mut self, addr: String, file: FileId, rtype: &'a str, block: &'a Block<'a>) {
        // A duplicate address is a Terraform error; keep the first.
        if self.blocks.contains_key(&addr) {
            return;
        }
        self.order.push(addr.clone());
        self.blocks.insert(addr, BlockRef { file, rtype, block });
    }

    pub fn file(&self, id: FileId) -> Option<&ParsedFile<'a>> {
        self.files.iter().find(|f| f.id == id)
    }

    pub fn loc_of(&self, file: FileId, start: Start) -> Loc {
        match (self.file(file), start) {
            (Some(f), Some(start)) => f.lines.loc(file, start),
            _ => Loc::new(file, 0, 0),
        }
    }
}

pub(crate) struct Eval<'a, 'm> {
    m: &'m Module<'a>,
    memo: RefCell<HashMap<String, Memo>>,
    depth: Cell<u32>,
}

impl<'a, 'm> Eval<'a, 'm> {
    pub fn new(m: &'m Module<'a>) -> Self {
        Eval {
            m,
            memo: RefCell::new(HashMap::default()),
            depth: Cell::new(0),
        }
    }

    /// Every modelled resource and data source, evaluated, in source order.
    pub fn resources(&self) -> Vec<Res> {
        let mut out = Vec::new();
        for addr in &self.m.order {
            let Some(b) = self.m.blocks.get(addr) else {
                continue;
            };
            let is_data = addr.starts_with("data.");
            if !(is_modelled(b.rtype) || is_data && b.rtype == "aws_iam_policy_document") {
                continue;
            }
            let mut refs = Vec::new();
            if self.never_created(b.block, b.file, &mut refs) {
                continue;
            }
            let body = self.body_value(&b.block.body, b.file, &mut refs);
            out.push(Res {
                addr: addr.clone(),
                rtype: b.rtype.to_string(),
                is_data,
                loc: self.m.loc_of(b.file, b.block.start),
                body,
                refs,
            });
        }
        out
    }

    /// Per `module` call, where it is and the resources and data sources
    /// its arguments reference (an API id handed to a module that adds
    /// stages or WAF associations to it).
    pub fn module_call_refs(&self) -> Vec<(Loc, Vec<String>)> {
        let mut out = Vec::new();
        for (file, block) in &self.m.module_calls {
            let mut refs = Vec::new();
            for attr in block.body.attributes() {
                if matches!(
                    &*attr.key,
                    "source" | "version" | "providers" | "depends_on"
                ) {
                    continue;
                }
                self.expr(&attr.value, *file, &mut refs);
            }
            out.push((self.m.loc_of(*file, block.start), refs));
        }
        out
    }

    /// `count = 0` or an empty `for_each` that the module determines (a
    /// feature switched off by a variable default): Terraform creates
    /// nothing, so there is nothing to report on.
    fn never_created(&self, block: &Block, file: FileId, refs: &mut Vec<String>) -> bool {
        if let Some(count) = block.body.get_attribute("count") {
            return self.expr(&count.value, file, refs).as_i64() == Some(0);
        }
        if let Some(each) = block.body.get_attribute("for_each") {
            let v = self.expr(&each.value, file, refs);
            return match &v.kind {
                Val::List(items) => items.is_empty(),
                Val::Map(entries) => entries.is_empty(),
                _ => false,
            };
        }
        false
    }

    /// Variable value as a string, for `Parameter::default`.
    pub fn var_default(&self, var: &VarDef<'a>) -> Option<V> {
        let expr = var.default?;
        let mut refs = Vec::new();
        Some(self.expr(expr, var.file, &mut refs))
    }

    /// A block body as a map: attributes evaluated, nested blocks as lists of
    /// maps under their name; a `dynamic` block makes its name unknown.
    fn body_value(&self, body: &Body, file: FileId, refs: &mut Vec<String>) -> V {
        let loc = self.m.loc_of(file, body.start);
        let mut entries: Vec<(String, V)> = Vec::new();
        for item in &body.items {
            match item {
                Item::Attr(attr) => {
                    let value = self.expr(&attr.value, file, refs);
                    entries.push((attr.key.to_string(), value));
                }
                Item::Block(block) => {
                    let name = &*block.ident;
                    let block_loc = self.m.loc_of(file, block.start);
                    if name == "dynamic" {
                        let Some(label) = block.labels.first() else {
                            continue;
                        };
                        let key = label.to_string();
                        entries.retain(|(k, _)| *k != key);
                        entries.push((key, V::unknown("dynamic block", block_loc)));
                        continue;
                    }
                    if matches!(
                        name,
                        "lifecycle" | "provisioner" | "connection" | "timeouts"
                    ) {
                        continue;
                    }
                    let item = self.body_value(&block.body, file, refs);
                    let item = V::new(item.kind, block_loc);
                    match entries.iter_mut().find(|(k, _)| k == name) {
                        Some((
                            _,
                            V {
                                kind: Val::List(items),
                                ..
                            },
                        )) => items.push(item),
                        Some(_) => {}
                        None => entries
                            .push((name.to_string(), V::new(Val::List(vec![item]), block_loc))),
                    }
                }
            }
        }
        V::new(Val::Map(entries), loc)
    }

    fn enter(&self) -> bool {
        let d = self.depth.get();
        if d >= MAX_EVAL_DEPTH {
            return false;
        }
        self.depth.set(d + 1);
        true
    }

    fn leave(&self) {
        self.depth.set(self.depth.get().saturating_sub(1));
    }

    pub fn expr(&self, e: &Expr, file: FileId, refs: &mut Vec<String>) -> V {
        if !self.enter() {
            return V::unknown("expression too deep", self.m.loc_of(file, e.start));
        }
        let v = self.expr_inner(e, file, refs);
        self.leave();
        if v.depth() > MAX_VALUE_DEPTH {
            return V::unknown("value nested too deeply", v.loc);
        }
        v
    }

    fn expr_inner(&self, e: &Expr, file: FileId, refs: &mut Vec<String>) -> V {
        let loc = self.m.loc_of(file, e.start);
        match &e.kind {
            ExprKind::Null => V::new(Val::Null, loc),
            ExprKind::Bool(b) => V::new(Val::Bool(*b), loc),
            ExprKind::Number(n) => V::new(Val::Num(n.clone()), loc),
            ExprKind::Str(s) => V::new(Val::Str(s.to_string()), loc),
            ExprKind::Array(items) => V::new(
                Val::List(items.iter().map(|i| self.expr(i, file, refs)).collect()),
                loc,
            ),
            ExprKind::Object(obj) => {
                let mut entries = Vec::new();
                for (key, value) in obj {
                    let key = match key {
                        ObjectKeyExpr::Ident(ident)
                        | ObjectKeyExpr::Expr(Expr {
                            kind: ExprKind::Variable(ident),
                            ..
                        }) => Some(ident.to_string()),
                        ObjectKeyExpr::Expr(k) => self.expr(k, file, refs).scalar(),
                    };
                    let value = self.expr(value, file, refs);
                    match key {
                        Some(key) => entries.push((key, value)),
                        None => return V::unknown("object key not determined", loc),
                    }
                }
                V::new(Val::Map(entries), loc)
            }
            ExprKind::StringTemplate(parts) | ExprKind::Heredoc(parts) => {
                self.template(parts, file, loc, refs)
            }
            ExprKind::Parenthesis(inner) => self.expr(inner, file, refs),
            ExprKind::Variable(v) => V::unknown(format!("{v} is not a value"), loc),
            ExprKind::Conditional(c) => {
                let [cond_expr, true_expr, false_expr] = &**c;
                let cond = self.expr(cond_expr, file, refs);
                match cond.as_bool() {
                    Some(true) => self.expr(true_expr, file, refs),
                    Some(false) => self.expr(false_expr, file, refs),
                    None => {
                        let a = self.expr(true_expr, file, refs);
                        let b = self.expr(false_expr, file, refs);
                        if a.same(&b) {
                            a
                        } else {
                            V::unknown("condition not determined", loc)
                        }
                    }
                }
            }
            ExprKind::Call {
                name,
                namespaced,
                args,
            } => self.call(name, *namespaced, args, file, loc, refs),
            ExprKind::Traversal { root, ops } => self.traversal(root, ops, file, loc, refs),
            ExprKind::Binary(op, operands) => self.binary(*op, operands, file, loc, refs),
            ExprKind::Not(operand) => match self.expr(operand, file, refs).as_bool() {
                Some(b) => V::new(Val::Bool(!b), loc),
                None => V::unknown("operation not evaluated", loc),
            },
            ExprKind::Unary(operand) => {
                self.expr(operand, file, refs);
                V::unknown("operation not evaluated", loc)
            }
            ExprKind::For => V::unknown("for expression", loc),
        }
    }

    fn binary(
        &self,
        op: BinOp,
        [lhs, rhs]: &[Expr; 2],
        file: FileId,
        loc: Loc,
        refs: &mut Vec<String>,
    ) -> V {
        use BinOp as B;
        let a = self.expr(lhs, file, refs);
        let b = self.expr(rhs, file, refs);
        let result = match op {
            B::Eq | B::NotEq if a.is_known() && b.is_known() && !a.contains_unknown() => {
                let equal = match (a.scalar(), b.scalar()) {
                    (Some(x), Some(y)) => x == y,
                    _ => a.same(&b),
                };
                Some(Val::Bool(equal == (op == B::Eq)))
            }
            B::And => match (a.as_bool(), b.as_bool()) {
                (Some(false), _) | (_, Some(false)) => Some(Val::Bool(false)),
                (Some(true), Some(true)) => Some(Val::Bool(true)),
                _ => None,
            },
            B::Or => match (a.as_bool(), b.as_bool()) {
                (Some(true), _) | (_, Some(true)) => Some(Val::Bool(true)),
                (Some(false), Some(false)) => Some(Val::Bool(false)),
                _ => None,
            },
            _ => None,
        };
        match result {
            Some(kind) => V::new(kind, loc),
            None => V::unknown("operation not evaluated", loc),
        }
    }

    fn template(&self, parts: &[Part], file: FileId, loc: Loc, refs: &mut Vec<String>) -> V {
        // `"${x}"` alone is `x` itself, whatever its type (Terraform 0.11
        // style and JSON syntax write every reference this way).
        if let [Part::Interpolation(i)] = parts {
            return self.expr(i, file, refs);
        }
        let mut text = String::new();
        let mut complete = true;
        for part in parts {
            match part {
                Part::Literal(s) => text.push_str(s),
                Part::Interpolation(i) => {
                    let v = self.expr(i, file, refs);
                    match (&v.kind, v.scalar()) {
                        (_, Some(s)) => text.push_str(&s),
                        (Val::Ref { addr, attr }, None) => {
                            complete = false;
                            text.push(HOLE);
                            text.push_str(addr);
                            text.push('.');
                            text.push_str(attr);
                            text.push(HOLE);
                        }
                        (
                            Val::Unknown {
                                partial: Some(p), ..
                            },
                            None,
                        ) => {
                            complete = false;
                            text.push_str(p);
                        }
                        _ => {
                            complete = false;
                            match v.shape() {
                                Some(shape) => text.push_str(&shape),
                                None => text.push_str(&unknown_piece("value")),
                            }
                        }
                    }
                }
                Part::Directive => {
                    complete = false;
                    text.push_str(&unknown_piece("template directive"));
                }
            }
        }
        if complete {
            V::new(Val::Str(text), loc)
        } else {
            V::new(
                Val::Unknown {
                    why: "template with unknown parts".into(),
                    partial: Some(text),
                },
                loc,
            )
        }
    }

    fn call(
        &self,
        name: &str,
        namespaced: bool,
        call_args: &[Expr],
        file: FileId,
        loc: Loc,
        refs: &mut Vec<String>,
    ) -> V {
        if namespaced {
            return V::unknown("provider function", loc);
        }
        // Never read files, even inside the module: the content is not
        // HCL we evaluate and the path may point anywhere.
        if matches!(
            name,
            "file" | "templatefile" | "filebase64" | "filemd5" | "filesha256" | "fileexists"
        ) {
            return V::unknown(format!("{name}() is not read"), loc);
        }
        let args: Vec<V> = call_args.iter().map(|a| self.expr(a, file, refs)).collect();
        let arg = |i: usize| args.get(i);
        let unknown = || V::unknown(format!("{name}() not evaluated"), loc);
        match name {
            "jsonencode" | "tolist" | "toset" | "tomap" | "sensitive" | "nonsensitive" => arg(0)
                .map(|a| V::new(a.kind.clone(), loc))
                .unwrap_or_else(unknown),
            "jsondecode" => match arg(0).and_then(V::as_str) {
                Some(text) => json_text_to_v(text, loc).unwrap_or_else(unknown),
                None => unknown(),
            },
            "tostring" => match arg(0).and_then(V::scalar) {
                Some(s) => V::new(Val::Str(s), loc),
                None => unknown(),
            },
            "tonumber" => match arg(0).and_then(V::scalar) {
                Some(s) => V::new(Val::Num(s), loc),
                None => unknown(),
            },
            "lower" | "upper" | "trimspace" => match arg(0).and_then(V::as_str) {
                Some(s) => V::new(
                    Val::Str(match name {
                        "lower" => s.to_lowercase(),
                        "upper" => s.to_uppercase(),
                        _ => s.trim().to_string(),
                    }),
                    loc,
                ),
                None => unknown(),
            },
            "format" => format_fn(&args, loc).unwrap_or_else(unknown),
            "join" => {
                let (Some(sep), Some(list)) = (arg(0).and_then(V::as_str), arg(1)) else {
                    return unknown();
                };
                let mut parts = Vec::new();
                for item in list.items() {
                    match item.scalar() {
                        Some(s) => parts.push(s),
                        None => return unknown(),
                    }
                }
                V::new(Val::Str(parts.join(sep)), loc)
            }
            "concat" | "flatten" => {
                let mut items = Vec::new();
                for a in &args {
                    match &a.kind {
                        Val::List(list) => items.extend(list.iter().cloned()),
                        _ => return unknown(),
                    }
                }
                V::new(Val::List(items), loc)
            }
            "merge" => {
                let mut entries: Vec<(String, V)> = Vec::new();
                for a in &args {
                    match &a.kind {
                        Val::Map(map) => {
                            for (k, v) in map {
                                entries.retain(|(key, _)| key != k);
                                entries.push((k.clone(), v.clone()));
                            }
                        }
                        Val::Null => {}
                        _ => return unknown(),
                    }
                }
                V::new(Val::Map(entries), loc)
            }
            "lookup" => match (arg(0), arg(1).and_then(V::scalar)) {
                (
                    Some(
                        map @ V {
                            kind: Val::Map(_), ..
                        },
                    ),
                    Some(key),
                ) => map.get(&key).or(arg(2)).cloned().unwrap_or_else(unknown),
                _ => unknown(),
            },
            "coalesce" => {
                for a in &args {
                    if !a.is_known() {
                        return unknown();
                    }
                    if !a.is_null() && a.as_str() != Some("") {
                        return a.clone();
                    }
                }
                unknown()
            }
            _ => unknown(),
        }
    }

    fn traversal(
        &self,
        root: &Expr,
        ops: &[Op],
        file: FileId,
        loc: Loc,
        refs: &mut Vec<String>,
    ) -> V {
        let names: Vec<Option<&str>> = ops
            .iter()
            .map(|op| match op {
                Op::GetAttr(ident) => Some(&**ident),
                _ => None,
            })
            .collect();
        let ExprKind::Variable(root_ident) = &root.kind else {
            let base = self.expr(root, file, refs);
            return self.apply_ops(base, ops, file, loc, refs);
        };
        match &**root_ident {
            "var" => {
                let Some(Some(name)) = names.first() else {
                    return V::unknown("var", loc);
                };
                let base = self.variable(name, loc, refs);
                at_reference(self.apply_ops(base, &ops[1..], file, loc, refs), loc)
            }
            "local" => {
                let Some(Some(name)) = names.first() else {
                    return V::unknown("local", loc);
                };
                let base = match self.m.locals.get(name) {
                    Some(&(f, expr)) => self.memoized(&format!("local.{name}"), loc, refs, |r| {
                        self.expr(expr, f, r)
                    }),
                    None => V::unknown(format!("local.{name} is not defined"), loc),
                };
                at_reference(self.apply_ops(base, &ops[1..], file, loc, refs), loc)
            }
            "path" => match names.first() {
                Some(Some("module")) | Some(Some("root")) => V::new(Val::Str(".".into()), loc),
                _ => V::unknown("path", loc),
            },
            "data" => {
                let (Some(Some(rtype)), Some(Some(name))) = (names.first(), names.get(1)) else {
                    return V::unknown("data", loc);
                };
                let addr = format!("data.{rtype}.{name}");
                self.resource_attr(&addr, rtype, &ops[2..], file, loc, refs)
            }
            "module" => V::unknown("module output (modules are not followed)", loc),
            "each" | "count" | "self" | "terraform" => {
                V::unknown(format!("{root_ident} is not evaluated"), loc)
            }
            rtype => {
                let Some(Some(name)) = names.first() else {
                    return V::unknown(rtype.to_string(), loc);
                };
                let addr = format!("{rtype}.{name}");
                self.resource_attr(&addr, rtype, &ops[1..], file, loc, refs)
            }
        }
    }

    fn variable(&self, name: &str, loc: Loc, refs: &mut Vec<String>) -> V {
        let Some(&index) = self.m.var_index.get(name) else {
            return V::unknown(format!("var.{name} is not declared"), loc);
        };
        let Some(var) = self.m.vars.get(index) else {
            return V::unknown(format!("var.{name}"), loc);
        };
        if var.sensitive {
            return V::new(Val::Sensitive(format!("var.{name}")), loc);
        }
        if let Some(&(f, expr)) = self.m.tfvars.get(name) {
            return self.memoized(&format!("tfvars.{name}"), loc, refs, |r| {
                self.expr(expr, f, r)
            });
        }
        match var.default {
            Some(expr) => self.memoized(&format!("var.{name}"), loc, refs, |r| {
                self.expr(expr, var.file, r)
            }),
            None => V::unknown(format!("var.{name} has no default"), loc),
        }
    }

    /// `TYPE.NAME[.ATTR...]` or `data.TYPE.NAME[.ATTR...]`; `ops` starts
    /// after the name.
    fn resource_attr(
        &self,
        addr: &str,
        rtype: &str,
        ops: &[Op],
        file: FileId,
        loc: Loc,
        refs: &mut Vec<String>,
    ) -> V {
        // `count`/`for_each` instances share the plain address.
        let mut ops = ops;
        let mut splat = false;
        while let Some(op) = ops.first() {
            match op {
                Op::Index(_) | Op::LegacyIndex(_) => {}
                Op::Splat => splat = true,
                Op::GetAttr(_) => break,
            }
            ops = &ops[1..];
        }
        if !refs.iter().any(|r| r == addr) {
            refs.push(addr.to_string());
        }
        let attr = match ops.first() {
            Some(Op::GetAttr(ident)) => &**ident,
            _ => "",
        };
        let is_data = addr.starts_with("data.");
        let fixed = if is_data {
            match (rtype, attr) {
                ("aws_caller_identity", "account_id") => Some(SELF_ACCOUNT),
                ("aws_region", "name" | "region" | "id") => Some(SELF_REGION),
                ("aws_partition", "partition") => Some(SELF_PARTITION),
                ("aws_partition", "dns_suffix") => Some("amazonaws.com"),
                _ => None,
            }
        } else {
            None
        };
        if let Some(text) = fixed {
            return V::new(Val::Str(text.to_string()), loc);
        }
        let Some(block) = self.m.blocks.get(addr) else {
            return V::unknown(format!("{addr} is not in this module"), loc);
        };
        let rest = if attr.is_empty() { ops } else { &ops[1..] };
        let base = if is_data && rtype == "aws_iam_policy_document" && attr.contains("json") {
            self.memoized(&format!("{addr}.json"), loc, refs, |r| {
                self.policy_document(block.block, block.file, r)
            })
        } else if rtype == "archive_file" && attr == "output_path" {
            // The model's `code` is where the code comes from, which is the
            // archive's source rather than the zip it writes (data source or
            // the archive provider's resource alike).
            let body = &block.block.body;
            let expr = body
                .get_attribute("source_dir")
                .or_else(|| body.get_attribute("source_file"))
                .or_else(|| body.get_attribute("output_path"));
            match expr {
                Some(a) => self.expr(&a.value, block.file, refs),
                None => V::unknown("archive path", loc),
            }
        } else if attr.is_empty() {
            V::new(
                Val::Ref {
                    addr: addr.to_string(),
                    attr: String::new(),
                },
                loc,
            )
        } else if let Some(a) = block.block.body.get_attribute(attr) {
            let key = format!("{addr}.{attr}");
            let v = self.memoized(&key, loc, refs, |r| self.expr(&a.value, block.file, r));
            // Written but not determined here (`function_name = var.name`):
            // still a reference to that resource, which is what links
            // permissions, alarms and log groups to it.
            match v.kind {
                Val::Unknown { .. } | Val::Sensitive(_) => V::new(
                    Val::Ref {
                        addr: addr.to_string(),
                        attr: attr.to_string(),
                    },
                    loc,
                ),
                _ => v,
            }
        } else {
            V::new(
                Val::Ref {
                    addr: addr.to_string(),
                    attr: attr.to_string(),
                },
                loc,
            )
        };
        let base = V::new(base.kind, loc);
        let value = if matches!(base.kind, Val::Ref { .. }) {
            base
        } else {
            self.apply_ops(base, rest, file, loc, refs)
        };
        if splat {
            V::new(Val::List(vec![value]), loc)
        } else {
            value
        }
    }

    fn apply_ops(
        &self,
        mut value: V,
        ops: &[Op],
        file: FileId,
        loc: Loc,
        refs: &mut Vec<String>,
    ) -> V {
        for op in ops {
            value = match op {
                Op::GetAttr(ident) => match value.get(ident) {
                    Some(v) => v.clone(),
                    None if matches!(value.kind, Val::Ref { .. }) => value,
                    None => return V::unknown(format!("attribute {ident}"), loc),
                },
                Op::Index(index) => {
                    let key = self.expr(index, file, refs);
                    match (&value.kind, key.scalar()) {
                        (Val::List(items), Some(k)) => match k.parse::<usize>() {
                            Ok(i) if i < items.len() => items[i].clone(),
                            _ => return V::unknown("index", loc),
                        },
                        (Val::Map(_), Some(k)) => match value.get(&k) {
                            Some(v) => v.clone(),
                            None => return V::unknown("key", loc),
                        },
                        _ => return V::unknown("index", loc),
                    }
                }
                Op::LegacyIndex(i) => match &value.kind {
                    Val::List(items) if (*i as usize) < items.len() => items[*i as usize].clone(),
                    _ => return V::unknown("index", loc),
                },
                _ => return V::unknown("splat", loc),
            };
        }
        value
    }

    /// Evaluate once per key; a reference cycle evaluates to unknown.
    fn memoized(
        &self,
        key: &str,
        loc: Loc,
        refs: &mut Vec<String>,
        compute: impl FnOnce(&mut Vec<String>) -> V,
    ) -> V {
        match self.memo.borrow().get(key) {
            Some(Memo::InProgress) => return V::unknown("reference cycle", loc),
            Some(Memo::Done(v, touched)) => {
                for t in touched {
                    if !refs.contains(t) {
                        refs.push(t.clone());
                    }
                }
                return v.clone();
            }
            None => {}
        }
        self.memo
            .borrow_mut()
            .insert(key.to_string(), Memo::InProgress);
        let mut touched = Vec::new();
        let v = compute(&mut touched);
        for t in &touched {
            if !refs.contains(t) {
                refs.push(t.clone());
            }
        }
        self.memo
            .borrow_mut()
            .insert(key.to_string(), Memo::Done(v.clone(), touched));
        v
    }

    /// `data "aws_iam_policy_document"` as the JSON document Terraform
    /// renders.
    fn policy_document(&self, block: &Block, file: FileId, refs: &mut Vec<String>) -> V {
        let loc = self.m.loc_of(file, block.start);
        let mut statements: Vec<V> = Vec::new();
        let body = &block.body;
        let mut any_unknown = false;
        for source_key in ["source_policy_documents", "source_json"] {
            if let Some(attr) = body.get_attribute(source_key) {
                let v = self.expr(&attr.value, file, refs);
                any_unknown |= !extend_statements(&mut statements, &v, false);
            }
        }
        for item in &body.items {
            let Item::Block(b) = item else {
                continue;
            };
            let bloc = self.m.loc_of(file, b.start);
            if b.ident == "dynamic" {
                if b.labels.first().is_some_and(|l| l == "statement") {
                    any_unknown = true;
                }
                continue;
            }
            if b.ident != "statement" {
                continue;
            }
            let sv = self.body_value(&b.body, file, refs);
            statements.push(V::new(statement_json(&sv, bloc), bloc));
        }
        for override_key in ["override_policy_documents", "override_json"] {
            if let Some(attr) = body.get_attribute(override_key) {
                let v = self.expr(&attr.value, file, refs);
                any_unknown |= !extend_statements(&mut statements, &v, true);
            }
        }
        if any_unknown {
            statements.push(V::unknown("statement not determined", loc));
        }
        let version = body
            .get_attribute("version")
            .map(|a| self.expr(&a.value, file, refs))
            .unwrap_or_else(|| V::new(Val::Str("2012-10-17".into()), loc));
        V::new(
            Val::Map(vec![
                ("Version".into(), version),
                ("Statement".into(), V::new(Val::List(statements), loc)),
            ]),
            loc,
        )
    }
}

/// Add the statements of other documents (`source_policy_documents`, or
/// with `replace_sid` the `override_policy_documents` whose Sids replace
/// ours). Returns false when a document is not determined.
fn extend_statements(statements: &mut Vec<V>, docs: &V, replace_sid: bool) -> bool {
    let mut complete = true;
    for doc in docs.items() {
        let parsed;
        let doc = match &doc.kind {
            Val::Str(text) => match json_text_to_v(text, doc.loc) {
                Some(v) => {
                    parsed = v;
                    &parsed
                }
                None => {
                    complete = false;
                    continue;
                }
            },
            Val::Map(_) => doc,
            _ => {
                complete = false;
                continue;
            }
        };
        let Some(list) = doc.get("Statement") else {
            continue;
        };
        for stmt in list.items() {
            let sid = stmt
                .get("Sid")
                .and_then(V::as_str)
                .filter(|s| !s.is_empty());
            if replace_sid {
                if let Some(sid) = sid {
                    if let Some(existing) = statements
                        .iter_mut()
                        .find(|s| s.get("Sid").and_then(V::as_str) == Some(sid))
                    {
                        *existing = stmt.clone();
                        continue;
                    }
                }
            }
            statements.push(stmt.clone());
        }
    }
    complete
}

/// One `statement` block as an IAM JSON statement.
pub(crate) fn statement_json(block: &V, loc: Loc) -> Val {
    let mut out: Vec<(String, V)> = Vec::new();
    if let Some(sid) = block.get("sid") {
        out.push(("Sid".into(), sid.clone()));
    }
    out.push((
        "Effect".into(),
        block
            .get("effect")
            .cloned()
            .unwrap_or_else(|| V::new(Val::Str("Allow".into()), loc)),
    ));
    for (tf, iam) in [
        ("actions", "Action"),
        ("not_actions", "NotAction"),
        ("resources", "Resource"),
        ("not_resources", "NotResource"),
    ] {
        if let Some(v) = block.get(tf) {
            out.push((iam.into(), v.clone()));
        }
    }
    for (tf, iam) in [
        ("principals", "Principal"),
        ("not_principals", "NotPrincipal"),
    ] {
        if let Some(p) = block.get(tf) {
            out.push((iam.into(), principals_json(p)));
        }
    }
    if let Some(conditions) = block.get("condition") {
        let mut by_test: Vec<(String, V)> = Vec::new();
        let mut unknown = None;
        for c in conditions.items() {
            let (Some(test), Some(variable)) = (
                c.get("test").and_then(V::scalar),
                c.get("variable").and_then(V::scalar),
            ) else {
                unknown = Some(V::unknown("condition not determined", c.loc));
                continue;
            };
            let values = c
                .get("values")
                .cloned()
                .unwrap_or_else(|| V::new(Val::List(Vec::new()), c.loc));
            match by_test.iter_mut().find(|(t, _)| *t == test) {
                Some((
                    _,
                    V {
                        kind: Val::Map(m), ..
                    },
                )) => m.push((variable, values)),
                _ => by_test.push((test, V::new(Val::Map(vec![(variable, values)]), c.loc))),
            }
        }
        let cond = match unknown {
            Some(u) => u,
            None => V::new(Val::Map(by_test), conditions.loc),
        };
        out.push(("Condition".into(), cond));
    }
    Val::Map(out)
}

fn principals_json(blocks: &V) -> V {
    let mut by_type: Vec<(String, V)> = Vec::new();
    for p in blocks.items() {
        let Some(kind) = p.get("type").and_then(V::scalar) else {
            return V::unknown("principal type not determined", p.loc);
        };
        let ids = p
            .get("identifiers")
            .cloned()
            .unwrap_or_else(|| V::new(Val::List(Vec::new()), p.loc));
        if kind == "*" {
            // Terraform renders `type = "*"` as the bare `"Principal": "*"`.
            return V::new(Val::Str("*".into()), p.loc);
        }
        match by_type.iter_mut().find(|(t, _)| *t == kind) {
            Some((
                _,
                V {
                    kind: Val::List(list),
                    ..
                },
            )) => list.extend(ids.items().into_iter().cloned()),
            _ => by_type.push((kind, ids)),
        }
    }
    V::new(Val::Map(by_type), blocks.loc)
}

/// A scalar reached through `var.x`/`local.x` is reported where the
/// reference is written (the environment variable, the attribute), not at
/// the default far away; collections keep their items' own places.
fn at_reference(v: V, loc: Loc) -> V {
    match v.kind {
        Val::List(_) | Val::Map(_) => v,
        kind => V::new(kind, loc),
    }
}

fn format_fn(args: &[V], loc: Loc) -> Option<V> {
    let spec = args.first()?.as_str()?;
    let mut out = String::new();
    let mut next = 1;
    let mut chars = spec.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            '%' => out.push('%'),
            's' | 'd' | 'v' | 'q' => {
                let v = args.get(next)?.scalar()?;
                next += 1;
                out.push_str(&v);
            }
            _ => return None,
        }
    }
    Some(V::new(Val::Str(out), loc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_index_counts_characters() {
        let text = "a\nbé = 1\n";
        let idx = LineIndex::new(text);
        assert_eq!(idx.loc(0, 0), Loc::new(0, 1, 1));
        let eq = text.find('=').unwrap();
        assert_eq!(idx.loc(0, eq), Loc::new(0, 2, 4));
    }

    #[test]
    fn line_lookups_in_any_order() {
        let text = "a\nbb\n\nccc\nd";
        let idx = LineIndex::new(text);
        let expected: Vec<Loc> = (0..=text.len())
            .map(|o| {
                let line = text[..o].matches('\n').count() + 1;
                let col = o - text[..o].rfind('\n').map_or(0, |n| n + 1) + 1;
                Loc::new(0, line as u32, col as u32)
            })
            .collect();
        let mut order: Vec<usize> = (0..=text.len()).collect();
        order.extend((0..=text.len()).rev());
        order.extend([9, 0, 5, 5, 1, 11, 3]);
        for o in order {
            assert_eq!(idx.loc(0, o), expected[o], "offset {o}");
        }
    }

    #[test]
    fn line_starts_match_a_byte_loop() {
        for text in [
            "",
            "\n",
            "a\n\x0b\x0b\n\n\x01\x0bé\nxxxxxxxxxxxxxxxx\nyy",
            "0123456\n89abcde\nf\n\n\n\n\n\n\n\n",
        ] {
            let mut expected = vec![0];
            expected.extend(
                text.bytes()
                    .enumerate()
                    .filter(|(_, b)| *b == b'\n')
                    .map(|(i, _)| i + 1),
            );
            assert_eq!(line_starts(text), expected, "{text:?}");
        }
    }

    #[test]
    fn format_substitutes() {
        let l = Loc::default();
        let args = vec![
            V::new(Val::Str("%s-%d%%".into()), l),
            V::new(Val::Str("a".into()), l),
            V::new(Val::Num("3".into()), l),
        ];
        assert_eq!(format_fn(&args, l).unwrap().as_str(), Some("a-3%"));
    }
}
