//! A fast reader for the HCL most Terraform modules are written in: blocks,
//! attributes, quoted strings with `${}` interpolation, numbers, lists,
//! objects, function calls, references and comments. It builds the
//! [`syntax`](super::syntax) tree directly, several times faster than
//! hcl-edit (which keeps every byte of formatting and is most of a
//! Terraform scan's time).
//!
//! Whatever it does not handle (heredocs, operators, conditionals, `for`,
//! floats and negative numbers, provider functions, `...` arguments,
//! template directives, CRLF, non-ASCII identifiers, deep nesting,
//! anything malformed) makes it give up with `None`, and the caller parses the file with
//! hcl-edit instead: the result is always what hcl-edit would give, which
//! the tests check on every `.tf` of the repository and the benchmark corpus.

use super::syntax::{Attr, Block, Body, Expr, ExprKind, Item, ObjectKeyExpr, Op, Part};
use std::borrow::Cow;

/// Nesting (blocks and expressions) beyond which the reader gives up,
/// well below hcl-edit's own limit so that it never accepts what hcl-edit
/// rejects.
const MAX_DEPTH: u32 = 24;

/// The body of `text`, or `None` when hcl-edit must read it.
pub(crate) fn parse_body(text: &str) -> Option<Body<'_>> {
    // Line endings other than `\n` are rare in modules and have their own
    // rules in hcl-edit; leave them to it.
    if text.as_bytes().contains(&b'\r') {
        return None;
    }
    let mut reader = Reader {
        text,
        s: text.as_bytes(),
        pos: 0,
        depth: 0,
    };
    let body = reader.body()?;
    reader.ws()?;
    (reader.pos == reader.s.len()).then_some(body)
}

struct Reader<'a> {
    text: &'a str,
    s: &'a [u8],
    pos: usize,
    depth: u32,
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_ident_continue(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<u8> {
        self.s.get(self.pos + offset).copied()
    }

    fn starts_with(&self, prefix: &[u8]) -> bool {
        self.s[self.pos..].starts_with(prefix)
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        (self.peek() == Some(b)).then(|| self.pos += 1)
    }

    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// `/* ... */` at the current position, skipped; `None` when unclosed.
    fn inline_comment(&mut self) -> Option<()> {
        let rest = &self.text[self.pos + 2..];
        let end = rest.find("*/")?;
        self.pos += 2 + end + 2;
        Some(())
    }

    /// `#` or `//` comment up to (not including) the line end.
    fn line_comment(&mut self) {
        self.pos = match self.s[self.pos..].iter().position(|&b| b == b'\n') {
            Some(n) => self.pos + n,
            None => self.s.len(),
        };
    }

    fn at_line_comment(&self) -> bool {
        self.peek() == Some(b'#') || self.starts_with(b"//")
    }

    /// Spaces, tabs and inline comments (hcl-edit's `sp`).
    fn sp(&mut self) -> Option<()> {
        loop {
            match self.peek() {
                Some(b' ' | b'\t') => self.pos += 1,
                Some(b'/') if self.peek_at(1) == Some(b'*') => self.inline_comment()?,
                _ => return Some(()),
            }
        }
    }

    /// Any whitespace and comments (hcl-edit's `ws`).
    fn ws(&mut self) -> Option<()> {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\n') => self.pos += 1,
                Some(b'#') => self.line_comment(),
                Some(b'/') if self.peek_at(1) == Some(b'/') => self.line_comment(),
                Some(b'/') if self.peek_at(1) == Some(b'*') => self.inline_comment()?,
                _ => return Some(()),
            }
        }
    }

    /// An ASCII identifier; `None` when one continues with a non-ASCII
    /// character (Unicode identifiers are hcl-edit's).
    fn ident(&mut self) -> Option<&'a str> {
        let start = self.pos;
        if !self.peek().is_some_and(is_ident_start) {
            return None;
        }
        self.pos += 1;
        let rest = &self.s[self.pos..];
        self.pos += rest
            .iter()
            .position(|&b| !is_ident_continue(b))
            .unwrap_or(rest.len());
        if self.peek().is_some_and(|b| !b.is_ascii()) {
            return None;
        }
        Some(&self.text[start..self.pos])
    }

    /// Structures until the next one fails to start; `start` is where
    /// hcl-edit's span of the body begins.
    fn body(&mut self) -> Option<Body<'a>> {
        let start = self.pos;
        let mut items: Vec<Item<'a>> = Vec::new();
        loop {
            let before = self.pos;
            self.ws()?;
            match self.peek() {
                Some(b) if is_ident_start(b) => {}
                Some(b) if !b.is_ascii() => return None,
                _ => {
                    self.pos = before;
                    break;
                }
            }
            let item = self.structure()?;
            if let Item::Attr(attr) = &item {
                // A redefined attribute is an error hcl-edit reports.
                if items
                    .iter()
                    .any(|i| matches!(i, Item::Attr(a) if a.key == attr.key))
                {
                    return None;
                }
            }
            items.push(item);
            self.sp()?;
            if self.at_line_comment() {
                self.line_comment();
            }
            match self.peek() {
                Some(b'\n') => self.pos += 1,
                None => break,
                Some(_) => return None,
            }
        }
        Some(Body {
            start: Some(start),
            items,
        })
    }

    fn structure(&mut self) -> Option<Item<'a>> {
        let start = self.pos;
        let ident = self.ident()?;
        self.sp()?;
        match self.peek()? {
            b'=' => {
                self.pos += 1;
                self.sp()?;
                let value = self.expr()?;
                Some(Item::Attr(Attr {
                    key: Cow::Borrowed(ident),
                    value,
                }))
            }
            _ => {
                let mut labels = Vec::new();
                loop {
                    match self.peek()? {
                        b'"' => {
                            self.pos += 1;
                            let (text, parts) = self.string_contents()?;
                            if parts.is_some() {
                                return None;
                            }
                            labels.push(text);
                        }
                        b if is_ident_start(b) => labels.push(Cow::Borrowed(self.ident()?)),
                        b'{' => break,
                        _ => return None,
                    }
                    self.sp()?;
                }
                let body = self.block_body()?;
                Some(Item::Block(Block {
                    start: Some(start),
                    ident: Cow::Borrowed(ident),
                    labels,
                    body,
                }))
            }
        }
    }

    /// From `{` to `}`.
    fn block_body(&mut self) -> Option<Body<'a>> {
        self.eat(b'{')?;
        self.enter()?;
        let open = self.pos;
        self.sp()?;
        if self.at_line_comment() {
            self.line_comment();
        }
        // hcl-edit's span of a multi-line body starts at the line end.
        let line_end = self.pos;
        let body = if self.eat(b'\n').is_some() {
            let mut body = self.body()?;
            body.start = Some(line_end);
            self.ws()?;
            body
        } else {
            // One-line block: at most one attribute, and no span.
            self.pos = open;
            self.sp()?;
            let mut items = Vec::new();
            if self.peek().is_some_and(is_ident_start) {
                let key = self.ident()?;
                self.sp()?;
                self.eat(b'=')?;
                self.sp()?;
                let value = self.expr()?;
                self.sp()?;
                items.push(Item::Attr(Attr {
                    key: Cow::Borrowed(key),
                    value,
                }));
            }
            Body { start: None, items }
        };
        self.eat(b'}')?;
        self.leave();
        Some(body)
    }

    /// An expression: a term and its traversal. Operators, conditionals
    /// and anything that may continue it on the next line give up.
    fn expr(&mut self) -> Option<Expr<'a>> {
        self.enter()?;
        let start = self.pos;
        let mut expr = self.term()?;
        let mut ops = Vec::new();
        loop {
            let end = self.pos;
            self.sp()?;
            match self.peek() {
                Some(b'.') if self.peek_at(1) != Some(b'.') => {
                    self.pos += 1;
                    ops.push(self.get_attr()?);
                }
                Some(b'[') => {
                    self.pos += 1;
                    ops.push(self.index()?);
                }
                _ => {
                    self.pos = end;
                    break;
                }
            }
        }
        if !ops.is_empty() {
            expr = Expr {
                start: Some(start),
                kind: ExprKind::Traversal {
                    root: Box::new(expr),
                    ops,
                },
            };
        }
        self.check_expr_end()?;
        self.leave();
        Some(expr)
    }

    /// After an expression: give up where hcl-edit would read an operator
    /// or a conditional, here or (in lists, arguments and after some terms
    /// it may) on a following line.
    fn check_expr_end(&mut self) -> Option<()> {
        let end = self.pos;
        self.sp()?;
        let same_line = self.pos;
        let continues = |r: &Reader| match r.peek() {
            Some(b'?' | b'!' | b'<' | b'>' | b'+' | b'-' | b'*' | b'%' | b'&' | b'|' | b'.') => {
                true
            }
            Some(b'=') => r.peek_at(1) == Some(b'='),
            Some(b'/') => !matches!(r.peek_at(1), Some(b'/' | b'*')),
            _ => false,
        };
        if continues(self) {
            return None;
        }
        self.ws()?;
        if self.pos != same_line && (continues(self) || matches!(self.peek(), Some(b'[' | b'('))) {
            return None;
        }
        self.pos = end;
        Some(())
    }

    /// After `.`: an attribute name, a legacy index or `*`.
    fn get_attr(&mut self) -> Option<Op<'a>> {
        match self.peek()? {
            b'*' => {
                self.pos += 1;
                Some(Op::Splat)
            }
            b'0'..=b'9' => {
                let start = self.pos;
                while self.peek().is_some_and(|b| b.is_ascii_digit()) {
                    self.pos += 1;
                }
                self.text[start..self.pos].parse().ok().map(Op::LegacyIndex)
            }
            _ => Some(Op::GetAttr(Cow::Borrowed(self.ident()?))),
        }
    }

    /// After `[`: an index expression or `*`, then `]`.
    fn index(&mut self) -> Option<Op<'a>> {
        self.ws()?;
        let op = if self.eat(b'*').is_some() {
            Op::Splat
        } else {
            Op::Index(self.expr()?)
        };
        self.ws()?;
        self.eat(b']')?;
        Some(op)
    }

    fn term(&mut self) -> Option<Expr<'a>> {
        let start = Some(self.pos);
        let kind = match self.peek()? {
            b'"' => {
                self.pos += 1;
                match self.string_contents()? {
                    (text, None) => ExprKind::Str(text),
                    (_, Some(parts)) => ExprKind::StringTemplate(parts),
                }
            }
            b'[' => {
                self.pos += 1;
                ExprKind::Array(self.array()?)
            }
            b'{' => {
                self.pos += 1;
                ExprKind::Object(self.object()?)
            }
            b'(' => {
                self.pos += 1;
                self.ws()?;
                let inner = self.expr()?;
                self.ws()?;
                self.eat(b')')?;
                ExprKind::Parenthesis(Box::new(inner))
            }
            b'0'..=b'9' => {
                let begin = self.pos;
                while self.peek().is_some_and(|b| b.is_ascii_digit()) {
                    self.pos += 1;
                }
                // Floats, exponents and `1.x` are hcl-edit's.
                if matches!(self.peek(), Some(b'.' | b'e' | b'E')) {
                    return None;
                }
                let n: u64 = self.text[begin..self.pos].parse().ok()?;
                ExprKind::Number(n.to_string())
            }
            b if is_ident_start(b) => {
                let ident = self.ident()?;
                let after = self.pos;
                self.sp()?;
                if self.peek() == Some(b'(') {
                    self.pos += 1;
                    ExprKind::Call {
                        name: Cow::Borrowed(ident),
                        namespaced: false,
                        args: self.args()?,
                    }
                } else {
                    if self.starts_with(b"::") {
                        return None;
                    }
                    self.pos = after;
                    match ident {
                        "null" => ExprKind::Null,
                        "true" => ExprKind::Bool(true),
                        "false" => ExprKind::Bool(false),
                        _ => ExprKind::Variable(Cow::Borrowed(ident)),
                    }
                }
            }
            _ => return None,
        };
        Some(Expr { start, kind })
    }

    /// `for` right after an opening bracket (a `for` expression).
    fn at_for(&mut self) -> Option<bool> {
        let here = self.pos;
        self.ws()?;
        let is_for = self.starts_with(b"for")
            && matches!(self.peek_at(3), Some(b' ' | b'\t' | b'#' | b'/' | b'\n'));
        self.pos = here;
        Some(is_for)
    }

    /// After `[`: items up to `]`.
    fn array(&mut self) -> Option<Vec<Expr<'a>>> {
        if self.at_for()? {
            return None;
        }
        let mut items = Vec::new();
        loop {
            self.ws()?;
            if self.eat(b']').is_some() {
                return Some(items);
            }
            items.push(self.expr()?);
            self.ws()?;
            if self.eat(b',').is_none() {
                self.eat(b']')?;
                return Some(items);
            }
        }
    }

    /// After `(`: arguments up to `)`.
    fn args(&mut self) -> Option<Vec<Expr<'a>>> {
        let mut args = Vec::new();
        loop {
            self.ws()?;
            if self.eat(b')').is_some() {
                return Some(args);
            }
            args.push(self.expr()?);
            self.ws()?;
            if self.eat(b',').is_none() {
                self.eat(b')')?;
                return Some(args);
            }
        }
    }

    /// After `{`: items up to `}`.
    fn object(&mut self) -> Option<Vec<(ObjectKeyExpr<'a>, Expr<'a>)>> {
        if self.at_for()? {
            return None;
        }
        let mut items: Vec<(ObjectKeyExpr<'a>, Expr<'a>)> = Vec::new();
        loop {
            self.ws()?;
            if self.eat(b'}').is_some() {
                return Some(items);
            }
            let key = match self.expr()? {
                Expr {
                    kind: ExprKind::Variable(name),
                    ..
                } => ObjectKeyExpr::Ident(name),
                key @ Expr {
                    kind: ExprKind::Str(_),
                    ..
                } => ObjectKeyExpr::Expr(key),
                // Other keys: their equality (redefinition) is hcl-edit's.
                _ => return None,
            };
            // A redefined key is an error hcl-edit reports.
            if items.iter().any(|(k, _)| same_key(k, &key)) {
                return None;
            }
            self.sp()?;
            match self.peek()? {
                b'=' | b':' => self.pos += 1,
                _ => return None,
            }
            self.sp()?;
            let value = self.expr()?;
            self.sp()?;
            items.push((key, value));
            match self.peek()? {
                b'}' => {
                    self.pos += 1;
                    return Some(items);
                }
                b'\n' | b',' => self.pos += 1,
                b'#' | b'/' if self.at_line_comment() => {
                    self.line_comment();
                    self.eat(b'\n')?;
                }
                _ => return None,
            }
        }
    }

    /// After the opening `"`: the text up to the closing one, with the
    /// template parts when it interpolates (`None` for a plain string).
    fn string_contents(&mut self) -> Option<(Cow<'a, str>, Option<Vec<Part<'a>>>)> {
        // Borrowed from the source while it is one run without escapes.
        let mut literal: Cow<'a, str> = Cow::Borrowed("");
        let mut parts: Option<Vec<Part<'a>>> = None;
        loop {
            let run_start = self.pos;
            while let Some(b) = self.peek() {
                if matches!(b, b'"' | b'\\' | b'$' | b'%') {
                    break;
                }
                self.pos += 1;
            }
            let run = &self.text[run_start..self.pos];
            if literal.is_empty() {
                literal = Cow::Borrowed(run);
            } else {
                literal.to_mut().push_str(run);
            }
            match self.peek()? {
                b'"' => {
                    self.pos += 1;
                    if let Some(parts) = &mut parts {
                        if !literal.is_empty() {
                            parts.push(Part::Literal(std::mem::take(&mut literal)));
                        }
                    }
                    return Some((literal, parts));
                }
                b'\\' => {
                    self.pos += 1;
                    let c = self.escape()?;
                    literal.to_mut().push(c);
                }
                b'$' if self.starts_with(b"$${") => {
                    self.pos += 3;
                    literal.to_mut().push_str("${");
                }
                b'%' if self.starts_with(b"%%{") => {
                    self.pos += 3;
                    literal.to_mut().push_str("%{");
                }
                b'$' if self.starts_with(b"${") => {
                    self.pos += 2;
                    // Strip markers (`${~`, `~}`) are hcl-edit's.
                    if self.peek() == Some(b'~') {
                        return None;
                    }
                    self.ws()?;
                    let expr = self.expr()?;
                    self.ws()?;
                    self.eat(b'}')?;
                    let parts = parts.get_or_insert_with(Vec::new);
                    if !literal.is_empty() {
                        parts.push(Part::Literal(std::mem::take(&mut literal)));
                    }
                    parts.push(Part::Interpolation(expr));
                }
                // Template directives are hcl-edit's.
                b'%' if self.starts_with(b"%{") => return None,
                _ => {
                    // A lone `$` or `%`.
                    let c = self.peek()? as char;
                    literal.to_mut().push(c);
                    self.pos += 1;
                }
            }
        }
    }

    /// After `\`: the escaped character.
    fn escape(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += 1;
        let digits = match c {
            b'n' => return Some('\n'),
            b'r' => return Some('\r'),
            b't' => return Some('\t'),
            b'\\' => return Some('\\'),
            b'"' => return Some('"'),
            b'u' => 4,
            b'U' => 8,
            _ => return None,
        };
        let hex = self.text.get(self.pos..self.pos + digits)?;
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        self.pos += digits;
        char::from_u32(u32::from_str_radix(hex, 16).ok()?)
    }
}

/// Keys hcl-edit would take for the same (a redefinition).
fn same_key(a: &ObjectKeyExpr, b: &ObjectKeyExpr) -> bool {
    match (a, b) {
        (ObjectKeyExpr::Ident(x), ObjectKeyExpr::Ident(y)) => x == y,
        (ObjectKeyExpr::Expr(x), ObjectKeyExpr::Expr(y)) => x.kind == y.kind,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};

    /// What hcl-edit reads, in the evaluator's tree; `None` when it rejects
    /// the text.
    fn slow(text: &str) -> Option<Body<'static>> {
        hcl_edit::parser::parse_body(text)
            .ok()
            .map(|b| Body::from_hcl(&b))
    }

    /// The fast reader either gives up or agrees with hcl-edit exactly
    /// (locations included); returns whether it read the text.
    fn check(text: &str, what: &str) -> bool {
        match parse_body(text) {
            Some(fast) => {
                // Not `assert_eq!`: the trees of a whole file are too long to print.
                let same = slow(text).is_some_and(|slow| slow == fast);
                assert!(same, "fast reader differs from hcl-edit on {what}");
                true
            }
            None => false,
        }
    }

    fn tf_files(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                tf_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "tf" || e == "tfvars") {
                out.push(path);
            }
        }
    }

    #[test]
    fn equal_to_hcl_edit_on_every_repository_and_corpus_file() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        for (dir, must_read_all) in [
            ("tests", false),
            ("examples", false),
            ("crates", false),
            // The benchmark corpus (a link in a worktree, absent in a plain
            // checkout): the common HCL the reader exists for, all of it.
            ("bench/corpus", true),
        ] {
            let mut files = Vec::new();
            tf_files(&root.join(dir), &mut files);
            let mut read = 0;
            for file in &files {
                let text = std::fs::read_to_string(file).unwrap_or_default();
                if check(&text, &file.display().to_string()) {
                    read += 1;
                } else if must_read_all {
                    panic!("fast reader gave up on {}", file.display());
                }
            }
            eprintln!("{dir}: fast reader read {read} of {} files", files.len());
        }
    }

    #[test]
    fn equal_to_hcl_edit_on_tricky_text() {
        let read = [
            "",
            "\n\n",
            "a = 1",
            "a = 1\n",
            "# c\na = 1 # t\nb = \"x\" // t\n/* m\n */ c = true\n",
            "resource \"aws_x\" \"y\" {\n  a = var.b\n}\n",
            "locals {}\nx {   }\ny { a = 1 }\nz \"l\" {a=1}\n",
            "b {\n}\nc { # c\n  d = null\n\n  e {\n    f = [1, 2,]\n  }\n}\n",
            "a = \"p-${var.x}-${local.y[0]}/*\"\n",
            "a = \"${aws_iam_role.r.arn}\"\n",
            "a = \"esc \\\" \\\\ \\n \\t \\u00e9 \\U0001F600 $${x} %%{y} $ % $$\"\n",
            "a = \"é ${ x } ü\"\n",
            "a = jsonencode({\n  Version = \"2012\"\n  Statement = [\n    {\n      Effect = \"Allow\",\n      \"Action\" : [\"s3:*\"], # c\n    },\n  ]\n})\n",
            "a = f()\nb = f(1,)\nc = g(a, [b], {c = d})\nd = f (x)\n",
            "a = x.y[\"k\"].z[*].w.0\nb = x.*.y\nc = (x)\n",
            "a = [ # c\n  1, /* c */ 2\n]\n",
            "a = {}\nb = { a = 1, b = 2 }\nc = {\n}\n",
            "a = true\nb = false\nc = null\nd = 0123\n",
            "a-b = c-d\n",
        ];
        for text in read {
            assert!(check(text, text), "fast reader gave up on {text:?}");
        }
        // Left to hcl-edit (whether it accepts them or not).
        let given_up = [
            "a = 1\r\n",
            "a = 1.5\n",
            "a = -1\n",
            "a = x ? 1 : 2\n",
            "a = x == 1\n",
            "a = !x\n",
            "a = <<EOF\nx\nEOF\n",
            "a = [for x in y : x]\n",
            "a = [\n  for\n]\n",
            "a = \"%{if x}y%{endif}\"\n",
            "a = \"${~x}\"\n",
            "a = 1\na = 2\n",
            "a = { b = 1, b = 2 }\n",
            "a = { (k) = 1 }\n",
            "a = f(x...)\n",
            "a = p::f(x)\n",
            "a = \"\\q\"\n",
            "a = \"open\n",
            "a = x\n  .y\n",
            "a = [x\n  .y]\n",
            "é = 1\n",
            "b \"${x}\" {\n}\n",
            "a = 1 b = 2\n",
            "a = /* open\n",
            "b {\n",
        ];
        for text in given_up {
            assert!(parse_body(text).is_none(), "fast reader read {text:?}");
        }
    }

    #[test]
    fn deep_nesting_is_left_to_hcl_edit() {
        let deep = format!("a = {}1{}\n", "[".repeat(40), "]".repeat(40));
        assert!(parse_body(&deep).is_none());
    }
}
