//! The fast path of [`super::parse`]: reads the YAML most templates are
//! written in straight from the bytes and builds the tree directly (no
//! event stream), with the same positions and the same key rules as the
//! yaml-rust2 [`super::Builder`], so the tree is identical.
//!
//! Covered: block maps and lists (also compact `- a: b` and indentless
//! lists), one-line plain and quoted scalars, flow lists and maps (also over
//! several lines), `!Tag` local tags, literal and folded block scalars,
//! comments, one leading `---`. Anything else makes [`parse`] return `None`
//! and the caller uses yaml-rust2: anchors and aliases, multi-line plain or
//! quoted scalars, `?` keys, directives, several documents, tabs, CR line
//! ends, and every error (yaml-rust2 words them). Refusing is always safe;
//! accepting must match yaml-rust2 exactly (the tests below compare both on
//! edge cases and on every YAML file of the repository).

use super::{map_key, merge_into, plain_key, plain_scalar, same_key, INDEX_THRESHOLD, MAX_NODES};
use crate::json::{dedup_keys, run_without, space_run, take_members};
use fnguard_core::doc::MapEntry;
use fnguard_core::{FileId, Loc, Node, NodeKind};
use yaml_rust2::scanner::TScalarStyle;

/// Recursion bound of the fast path (real templates nest ~20 levels);
/// deeper documents go to yaml-rust2, which enforces `MAX_DEPTH` without
/// recursion.
const MAX_FAST_DEPTH: usize = 100;

/// A map key: text, style, position, position of its `:`.
type Key = (String, TScalarStyle, Loc, Loc);

/// A local tag's name (`Ref` for `!Ref`).
type Tag = String;

/// A map under construction, with the yaml-rust2 builder's rules:
/// duplicate keys (the later wins) and `<<` merge keys (applied at the end,
/// so that the map's own keys win).
/// Duplicates are looked for on insert in small maps, at the end in large
/// ones (`dedup_keys`), with the same result.
/// The entries are kept on the parser's shared `entry_stack` (a nested map
/// finishes before its parent's next insert), so that each map gets one
/// allocation of its exact size instead of a vector regrown entry by entry.
struct MapBuild {
    /// Where this map's entries start on the stack.
    start: usize,
    /// Entries were added past `INDEX_THRESHOLD` without a duplicate check.
    unchecked: bool,
    merged: Vec<MapEntry>,
}

impl MapBuild {
    fn new(stack: &[MapEntry]) -> Self {
        MapBuild {
            start: stack.len(),
            unchecked: false,
            merged: Vec::new(),
        }
    }

    fn insert(&mut self, stack: &mut Vec<MapEntry>, key: String, key_loc: Loc, value: Node) {
        if key == "<<" {
            merge_into(&mut self.merged, value);
            return;
        }
        let entries = &mut stack[self.start..];
        if entries.len() >= INDEX_THRESHOLD {
            self.unchecked = true;
        } else if let Some(e) = entries.iter_mut().find(|e| same_key(&e.key, &key)) {
            // Later duplicates win, as in most YAML loaders.
            e.key_loc = key_loc;
            e.value = value;
            return;
        }
        stack.push(MapEntry {
            key,
            key_loc,
            value,
        });
    }

    fn finish(self, stack: &mut Vec<MapEntry>) -> NodeKind {
        let mut entries = take_members(stack, self.start);
        if self.unchecked {
            dedup_keys(&mut entries);
        }
        for entry in self.merged {
            if !entries.iter().any(|e| e.key == entry.key) {
                entries.push(entry);
            }
        }
        NodeKind::Map(entries)
    }
}

/// The input uses something the fast path leaves to yaml-rust2.
struct Bail;

type R<T> = Result<T, Bail>;

/// `None`: not handled here (not necessarily invalid).
pub(super) fn parse(text: &str, file: FileId) -> Option<Node> {
    let ascii = scan_bytes(text.as_bytes())?;
    let mut p = Fast {
        s: text.as_bytes(),
        text,
        pos: 0,
        line: 1,
        line_start: 0,
        depth: 0,
        started: false,
        file,
        nodes: 0,
        ascii,
        entry_stack: Vec::new(),
        item_stack: Vec::new(),
    };
    let root = p.document().ok()?;
    Some(root.unwrap_or_else(|| Node::new(NodeKind::Null, Loc::new(file, 1, 1))))
}

/// Tabs, CR, NUL and byte-order marks (0xEF also starts other characters:
/// rare enough in templates to leave them all). Bitwise, not `matches!`:
/// the compiler turns a match into a bit-test that does not vectorise.
fn unsupported_flag(b: u8) -> u8 {
    u8::from(b == b'\t') | u8::from(b == b'\r') | u8::from(b == 0) | u8::from(b == 0xEF)
}

/// `None` if the text holds an unsupported byte, else whether it is ASCII.
/// One pass over every byte of every template before parsing starts, in
/// blocks of 32 bytes without branches (the high bits are gathered per
/// lane), which the compiler turns into a few vector compares per block.
fn scan_bytes(bytes: &[u8]) -> Option<bool> {
    let mut high_lanes = [0u8; 32];
    let mut blocks = bytes.chunks_exact(32);
    for block in &mut blocks {
        let mut unsupported = 0u8;
        for (high, &b) in high_lanes.iter_mut().zip(block) {
            unsupported |= unsupported_flag(b);
            *high |= b;
        }
        if unsupported != 0 {
            return None;
        }
    }
    let mut high = high_lanes.iter().fold(0, |all, &lane| all | lane);
    for &b in blocks.remainder() {
        if unsupported_flag(b) != 0 {
            return None;
        }
        high |= b;
    }
    Some(high < 0x80)
}

struct Fast<'a> {
    s: &'a [u8],
    text: &'a str,
    pos: usize,
    /// 1-based line of `pos`, and where that line starts.
    line: u32,
    line_start: usize,
    depth: usize,
    /// A node was started: a later `---` is a second document.
    started: bool,
    file: FileId,
    /// Nodes built, bounded by `MAX_NODES` as in the yaml-rust2 builder.
    nodes: usize,
    /// No multi-byte characters: columns are byte offsets.
    ascii: bool,
    /// Entries of the maps under construction (see `MapBuild`), and items
    /// of the lists, innermost last.
    entry_stack: Vec<MapEntry>,
    item_stack: Vec<Node>,
}

#[derive(Clone, Copy, PartialEq)]
enum Chomp {
    Clip,
    Strip,
    Keep,
}

fn is_blank_or_end(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | 0)
}

fn is_flow_indicator(b: u8) -> bool {
    matches!(b, b',' | b'[' | b']' | b'{' | b'}')
}

impl Fast<'_> {
    #[inline]
    fn peek(&self) -> u8 {
        self.s.get(self.pos).copied().unwrap_or(0)
    }

    fn peek_at(&self, offset: usize) -> u8 {
        self.s.get(self.pos + offset).copied().unwrap_or(0)
    }

    fn eof(&self) -> bool {
        self.pos >= self.s.len()
    }

    /// Column of `pos` on its line, as yaml-rust2 counts it (characters).
    // Called for every key, value and colon: the call itself cost as much
    // as the body.
    #[inline(always)]
    fn loc(&self, pos: usize) -> Loc {
        let col = if self.ascii {
            pos - self.line_start
        } else {
            let before = &self.text[self.line_start..pos];
            if before.is_ascii() {
                before.len()
            } else {
                before.chars().count()
            }
        };
        Loc::new(self.file, self.line, col as u32 + 1)
    }

    /// Indentation of the current line; valid when `pos` is its first token.
    fn indent(&self) -> isize {
        (self.pos - self.line_start) as isize
    }

    /// One more node; past the limit yaml-rust2's run reports it.
    fn count(&mut self) -> R<()> {
        self.started = true;
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(Bail);
        }
        Ok(())
    }

    /// A scalar node as the yaml-rust2 builder makes it: plain untagged
    /// text is typed (null, booleans, numbers), tagged text stays a string.
    fn scalar(
        &mut self,
        value: String,
        style: TScalarStyle,
        tag: Option<Tag>,
        loc: Loc,
    ) -> R<Node> {
        self.count()?;
        Ok(match tag {
            Some(tag) => Node::new(
                NodeKind::Tagged(tag, Box::new(Node::new(NodeKind::Str(value), loc))),
                loc,
            ),
            None if style == TScalarStyle::Plain => Node::new(plain_scalar(value), loc),
            None => Node::new(NodeKind::Str(value), loc),
        })
    }

    fn null(&mut self, loc: Loc) -> R<Node> {
        self.scalar(String::new(), TScalarStyle::Plain, None, loc)
    }

    /// A finished list or map, wrapped in its tag.
    fn collection(kind: NodeKind, tag: Option<Tag>, loc: Loc) -> Node {
        match tag {
            Some(tag) => Node::new(NodeKind::Tagged(tag, Box::new(Node::new(kind, loc))), loc),
            None => Node::new(kind, loc),
        }
    }

    /// A map key from its scalar node.
    fn key_text(node: Node) -> R<String> {
        map_key(node.kind).ok_or(Bail)
    }

    fn enter(&mut self) -> R<()> {
        self.depth += 1;
        if self.depth > MAX_FAST_DEPTH {
            return Err(Bail);
        }
        Ok(())
    }

    fn newline(&mut self) -> R<()> {
        self.pos += 1;
        self.line += 1;
        self.line_start = self.pos;
        // Most lines start with a space or a letter: no marker to check.
        if matches!(self.s.get(self.pos), Some(b'%' | b'-' | b'.')) {
            self.line_start_check()?;
        }
        Ok(())
    }

    /// Document markers and directives start at column 0.
    fn line_start_check(&mut self) -> R<()> {
        let rest = &self.s[self.pos..];
        match rest.first() {
            Some(b'%') => return Err(Bail),
            Some(b'-' | b'.') => {}
            _ => return Ok(()),
        }
        if (rest.starts_with(b"---") || rest.starts_with(b"..."))
            && rest.get(3).is_none_or(|&b| is_blank_or_end(b))
        {
            // Only a bare `---` before any content is ours.
            if self.started || rest[0] == b'.' || rest.get(3).is_some_and(|&b| b == b' ') {
                return Err(Bail);
            }
            self.started = true;
            self.pos += 3;
            if !self.eof() {
                self.newline()?;
            }
        }
        Ok(())
    }

    /// Skip spaces, comments and line breaks; whether a break was crossed.
    fn skip_to_next_token(&mut self) -> R<bool> {
        let mut crossed = false;
        loop {
            match self.peek() {
                b' ' => self.skip_spaces(),
                b'#' => {
                    if self.pos > self.line_start && self.s[self.pos - 1] != b' ' {
                        return Err(Bail);
                    }
                    self.skip_comment();
                }
                b'\n' => {
                    crossed = true;
                    self.newline()?;
                }
                _ => return Ok(crossed),
            }
        }
    }

    fn skip_spaces(&mut self) {
        self.pos += space_run(&self.s[self.pos.min(self.s.len())..]);
    }

    fn skip_comment(&mut self) {
        let rest = &self.s[self.pos.min(self.s.len())..];
        self.pos += run_without(rest, [b'\n']);
    }

    fn document(&mut self) -> R<Option<Node>> {
        self.line_start_check()?;
        self.skip_to_next_token()?;
        if self.eof() {
            return Ok(None);
        }
        let root = self.block_node(-1, false)?;
        if !self.eof() {
            return Err(Bail);
        }
        Ok(Some(root))
    }

    /// A node in block context at `pos`; `parent` is the column of the
    /// enclosing block collection (-1 at the root), `inline` whether it
    /// follows a key on the same line (then it cannot start a map or list).
    /// Leaves `pos` at the next token, which starts a line, or at the end.
    fn block_node(&mut self, parent: isize, inline: bool) -> R<Node> {
        self.enter()?;
        let result = self.block_node_inner(parent, inline);
        self.depth -= 1;
        result
    }

    fn block_node_inner(&mut self, parent: isize, inline: bool) -> R<Node> {
        let mut tag = None;
        if self.peek() == b'!' {
            tag = Some(self.tag()?);
            self.skip_spaces();
            if matches!(self.peek(), b'\n' | b'#' | 0) {
                // `Key: !If` with the list or map on the next lines.
                self.skip_to_next_token()?;
                if self.eof() || self.indent() <= parent {
                    return Err(Bail);
                }
                return self.block_collection(tag);
            }
        }
        let start = self.pos;
        match self.peek() {
            b'-' if is_blank_or_end(self.peek_at(1)) => {
                if inline {
                    return Err(Bail);
                }
                self.block_seq(tag, false)
            }
            b'[' | b'{' => {
                let node = self.flow_node(tag, parent + 1)?;
                self.after_inline_value(parent)?;
                Ok(node)
            }
            b'|' | b'>' => self.block_scalar(parent, tag),
            b'"' | b'\'' => {
                let value = self.quoted()?;
                let style = if self.s[start] == b'"' {
                    TScalarStyle::DoubleQuoted
                } else {
                    TScalarStyle::SingleQuoted
                };
                let loc = self.loc(start);
                self.skip_spaces();
                if self.peek() == b':' && is_blank_or_end(self.peek_at(1)) {
                    if inline || tag.is_some() {
                        return Err(Bail);
                    }
                    let colon = self.loc(self.pos);
                    self.pos += 1;
                    return self.block_map(None, (value, style, loc, colon));
                }
                let node = self.scalar(value, style, tag, loc)?;
                self.after_inline_value(parent)?;
                Ok(node)
            }
            b if Self::plain_may_start(b, self.peek_at(1)) => {
                let (end, is_key) = self.plain_block();
                let value = self.text[start..end].to_string();
                let loc = self.loc(start);
                if is_key {
                    if inline || tag.is_some() {
                        return Err(Bail);
                    }
                    let colon = self.loc(self.pos);
                    self.pos += 1;
                    return self.block_map(None, (value, TScalarStyle::Plain, loc, colon));
                }
                let node = self.scalar(value, TScalarStyle::Plain, tag, loc)?;
                self.after_inline_value(parent)?;
                Ok(node)
            }
            _ => Err(Bail),
        }
    }

    /// Characters that may start a plain scalar (YAML's indicators may not).
    fn plain_may_start(b: u8, next: u8) -> bool {
        match b {
            b'-' => !is_blank_or_end(next),
            b'?' | b':' | b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|'
            | b'>' | b'\'' | b'"' | b'%' | b'@' | b'`' | b' ' | b'\n' | 0 => false,
            _ => true,
        }
    }

    /// A list or a map starting on a new line at `pos`.
    fn block_collection(&mut self, tag: Option<Tag>) -> R<Node> {
        if self.peek() == b'-' && is_blank_or_end(self.peek_at(1)) {
            return self.block_seq(tag, false);
        }
        let key = self.key()?;
        self.block_map(tag, key)
    }

    /// After a one-line value: only a comment may follow on the line, and
    /// the next line must not be more indented than the collection (that
    /// would be a continuation line, or an error).
    fn after_inline_value(&mut self, parent: isize) -> R<()> {
        self.skip_spaces();
        if !matches!(self.peek(), b'\n' | b'#' | 0) {
            return Err(Bail);
        }
        self.skip_to_next_token()?;
        if !self.eof() && self.indent() > parent {
            return Err(Bail);
        }
        Ok(())
    }

    /// A map key at `pos`, with its `:` consumed.
    fn key(&mut self) -> R<Key> {
        let start = self.pos;
        let loc = self.loc(start);
        match self.peek() {
            b'"' | b'\'' => {
                let style = if self.peek() == b'"' {
                    TScalarStyle::DoubleQuoted
                } else {
                    TScalarStyle::SingleQuoted
                };
                let value = self.quoted()?;
                self.skip_spaces();
                if self.peek() == b':' && is_blank_or_end(self.peek_at(1)) {
                    let colon = self.loc(self.pos);
                    self.pos += 1;
                    return Ok((value, style, loc, colon));
                }
                Err(Bail)
            }
            b if Self::plain_may_start(b, self.peek_at(1)) => {
                let (end, is_key) = self.plain_block();
                if !is_key {
                    return Err(Bail);
                }
                let colon = self.loc(self.pos);
                self.pos += 1;
                Ok((
                    self.text[start..end].to_string(),
                    TScalarStyle::Plain,
                    loc,
                    colon,
                ))
            }
            _ => Err(Bail),
        }
    }

    /// A plain scalar in block context, on this line: ends before `: `,
    /// ` #` or the line end. Returns the end (trailing spaces trimmed) and
    /// whether a `:` indicator follows (then `pos` is on it).
    fn plain_block(&mut self) -> (usize, bool) {
        let is_key = loop {
            // `pos` is on the scalar's first byte, never a `#` or `:`.
            self.pos += 1;
            self.pos += run_without(&self.s[self.pos.min(self.s.len())..], [b':', b'#', b'\n']);
            match self.peek() {
                b'\n' | 0 => break false,
                b':' if is_blank_or_end(self.peek_at(1)) => break true,
                b'#' if self.s[self.pos - 1] == b' ' => break false,
                _ => {}
            }
        };
        let mut end = self.pos;
        while self.s[end - 1] == b' ' {
            end -= 1;
        }
        (end, is_key)
    }

    /// A block map whose first key is read; yaml-rust2 places the map at
    /// that key's `:`.
    fn block_map(&mut self, tag: Option<Tag>, first: Key) -> R<Node> {
        // Keys start lines or follow `- `/spaces: ASCII before them, so the
        // character column is the byte column `indent` compares with.
        let col = (first.2.col - 1) as isize;
        let map_loc = first.3;
        self.count()?;
        let mut map = MapBuild::new(&self.entry_stack);
        let mut key = first;
        loop {
            let (text, style, key_loc, _) = key;
            // The key's node is counted but never built.
            self.count()?;
            let text = if style == TScalarStyle::Plain {
                plain_key(text)
            } else {
                text
            };
            self.skip_spaces();
            let value = if matches!(self.peek(), b'\n' | b'#' | 0) {
                self.skip_to_next_token()?;
                if self.eof() {
                    let end = self.loc(self.pos);
                    self.null(end)?
                } else if self.indent() > col {
                    self.block_node(col, false)?
                } else if self.indent() == col
                    && self.peek() == b'-'
                    && is_blank_or_end(self.peek_at(1))
                {
                    self.block_seq(None, true)?
                } else {
                    let here = self.loc(self.pos);
                    self.null(here)?
                }
            } else {
                self.block_node(col, true)?
            };
            map.insert(&mut self.entry_stack, text, key_loc, value);
            if self.eof() || self.indent() < col {
                break;
            }
            if self.indent() > col {
                return Err(Bail);
            }
            key = self.key()?;
        }
        Ok(Self::collection(
            map.finish(&mut self.entry_stack),
            tag,
            map_loc,
        ))
    }

    /// A block list at its first `-`. yaml-rust2 places a list at its
    /// first `-`, an indentless one (`key:` then `- x` at the key's
    /// column) at its first entry's content.
    fn block_seq(&mut self, tag: Option<Tag>, indentless: bool) -> R<Node> {
        let col = self.indent();
        let start = if indentless {
            let content = self.pos
                + 1
                + self.s[self.pos + 1..]
                    .iter()
                    .take_while(|&&b| b == b' ')
                    .count();
            if matches!(self.s.get(content), None | Some(b'\n' | b'#')) {
                return Err(Bail);
            }
            self.loc(content)
        } else {
            self.loc(self.pos)
        };
        self.count()?;
        let first_item = self.item_stack.len();
        loop {
            // On the `-`.
            self.pos += 1;
            self.skip_spaces();
            if matches!(self.peek(), b'\n' | b'#' | 0) {
                self.skip_to_next_token()?;
                if self.eof() || self.indent() <= col {
                    // An empty entry: yaml-rust2 places its null oddly.
                    return Err(Bail);
                }
            }
            // Also `- a: b` and `- - x`: the compact map or list sits at
            // its own column.
            let item = self.block_node(col, false)?;
            self.item_stack.push(item);
            if self.eof() || self.indent() < col {
                break;
            }
            if self.indent() > col {
                return Err(Bail);
            }
            if !(self.peek() == b'-' && is_blank_or_end(self.peek_at(1))) {
                break;
            }
        }
        let items = take_members(&mut self.item_stack, first_item);
        Ok(Self::collection(NodeKind::Seq(items), tag, start))
    }

    fn tag(&mut self) -> R<Tag> {
        // On `!`.
        self.pos += 1;
        let start = self.pos;
        self.pos += self.s[start..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'-'))
            .count();
        if self.pos == start || !is_blank_or_end(self.peek()) {
            return Err(Bail);
        }
        Ok(self.text[start..self.pos].to_string())
    }

    /// A one-line quoted scalar at `pos`; `pos` ends after the closing quote.
    fn quoted(&mut self) -> R<String> {
        let quote = self.peek();
        let escape = if quote == b'"' { b'\\' } else { quote };
        self.pos += 1;
        let mut out = String::new();
        let mut run = self.pos;
        loop {
            self.pos += run_without(
                &self.s[self.pos.min(self.s.len())..],
                [quote, escape, b'\n'],
            );
            match self.peek() {
                0 | b'\n' => return Err(Bail),
                // Most quoted scalars hold no escape: one exact allocation.
                b if b == quote && out.is_empty() && self.peek_at(1) != quote => {
                    let value = self.text[run..self.pos].to_string();
                    self.pos += 1;
                    return Ok(value);
                }
                b'\'' if quote == b'\'' => {
                    out.push_str(&self.text[run..self.pos]);
                    if self.peek_at(1) == b'\'' {
                        out.push('\'');
                        self.pos += 2;
                        run = self.pos;
                    } else {
                        self.pos += 1;
                        return Ok(out);
                    }
                }
                b'"' if quote == b'"' => {
                    out.push_str(&self.text[run..self.pos]);
                    self.pos += 1;
                    return Ok(out);
                }
                b'\\' if quote == b'"' => {
                    out.push_str(&self.text[run..self.pos]);
                    self.escape(&mut out)?;
                    run = self.pos;
                }
                // Unreachable: the run stops only at the bytes above.
                _ => return Err(Bail),
            }
        }
    }

    fn escape(&mut self, out: &mut String) -> R<()> {
        // On `\`.
        let c = self.peek_at(1);
        self.pos += 2;
        let simple = match c {
            b'0' => '\0',
            b'a' => '\u{7}',
            b'b' => '\u{8}',
            b't' => '\t',
            b'n' => '\n',
            b'v' => '\u{b}',
            b'f' => '\u{c}',
            b'r' => '\r',
            b'e' => '\u{1b}',
            b' ' => ' ',
            b'"' => '"',
            b'/' => '/',
            b'\\' => '\\',
            b'N' => '\u{85}',
            b'_' => '\u{a0}',
            b'L' => '\u{2028}',
            b'P' => '\u{2029}',
            b'x' | b'u' | b'U' => {
                let len = match c {
                    b'x' => 2,
                    b'u' => 4,
                    _ => 8,
                };
                let hex = self.text.get(self.pos..self.pos + len).ok_or(Bail)?;
                let code = u32::from_str_radix(hex, 16).map_err(|_| Bail)?;
                if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(Bail);
                }
                self.pos += len;
                char::from_u32(code).ok_or(Bail)?
            }
            _ => return Err(Bail),
        };
        out.push(simple);
        Ok(())
    }

    /// `|` or `>` at `pos`: the scalar is the more-indented lines below.
    fn block_scalar(&mut self, parent: isize, tag: Option<Tag>) -> R<Node> {
        // yaml-rust2 places the scalar at its first content line.
        let mut loc = self.loc(self.pos);
        let literal = self.peek() == b'|';
        self.pos += 1;
        let chomp = match self.peek() {
            b'-' => Chomp::Strip,
            b'+' => Chomp::Keep,
            _ => Chomp::Clip,
        };
        if chomp != Chomp::Clip {
            self.pos += 1;
        }
        self.skip_spaces();
        if self.peek() == b'#' && self.s[self.pos - 1] == b' ' {
            self.skip_comment();
        }
        if self.peek() != b'\n' {
            // Indentation indicators, or text after the indicator.
            return Err(Bail);
        }
        self.pos += 1;
        self.line += 1;
        self.line_start = self.pos;

        // The first non-empty line sets the indentation.
        let mut probe = self.pos;
        let mut max_blank = 0;
        let indent = loop {
            let spaces = self.s[probe..].iter().take_while(|&&b| b == b' ').count();
            match self.s.get(probe + spaces) {
                None => return Err(Bail),
                Some(b'\n') => {
                    max_blank = max_blank.max(spaces);
                    probe += spaces + 1;
                }
                Some(_) => break spaces,
            }
        };
        if indent as isize <= parent || max_blank > indent {
            // Empty scalars and over-indented leading blanks: rare, and
            // subtle; yaml-rust2 decides.
            return Err(Bail);
        }

        let mut value = String::new();
        // Line breaks seen since the last content line (not yet emitted).
        let mut breaks = 0usize;
        let mut any_content = false;
        loop {
            if self.eof() {
                // Content must end with a line break here: a last line
                // without one is left to yaml-rust2.
                if any_content && breaks == 0 {
                    return Err(Bail);
                }
                break;
            }
            let line = self.pos;
            let spaces = self.s[line..].iter().take_while(|&&b| b == b' ').count();
            let after = self.s.get(line + spaces).copied().unwrap_or(0);
            let blank = after == b'\n' || after == 0;
            if blank && spaces <= indent {
                if after == 0 {
                    // Trailing spaces at the very end of the text.
                    self.pos = line + spaces;
                    break;
                }
                breaks += 1;
                self.pos = line + spaces;
                self.newline_in_scalar();
                continue;
            }
            if spaces < indent {
                // Less indented: the scalar ended at the previous line.
                break;
            }
            // A content line (possibly only spaces beyond the indentation).
            let content_start = line + indent;
            let line_end = self.s[content_start..]
                .iter()
                .position(|&b| b == b'\n')
                .map(|i| content_start + i);
            let content_end = line_end.unwrap_or(self.s.len());
            if !literal && self.s[content_start] == b' ' {
                // Folded "more indented" lines keep their breaks: leave
                // those rules to yaml-rust2.
                return Err(Bail);
            }
            if any_content {
                if literal {
                    value.extend(std::iter::repeat_n('\n', breaks));
                } else if breaks == 1 {
                    value.push(' ');
                } else {
                    value.extend(std::iter::repeat_n('\n', breaks - 1));
                }
            } else {
                value.extend(std::iter::repeat_n('\n', breaks));
                loc = Loc::new(self.file, self.line, indent as u32 + 1);
            }
            value.push_str(&self.text[content_start..content_end]);
            any_content = true;
            self.pos = content_end;
            match line_end {
                Some(_) => {
                    breaks = 1;
                    self.newline_in_scalar();
                }
                None => {
                    return Err(Bail);
                }
            }
        }
        if !any_content {
            return Err(Bail);
        }
        match chomp {
            Chomp::Strip => {}
            Chomp::Clip => value.push('\n'),
            Chomp::Keep => value.extend(std::iter::repeat_n('\n', breaks)),
        }
        let style = if literal {
            TScalarStyle::Literal
        } else {
            TScalarStyle::Folded
        };
        let node = self.scalar(value, style, tag, loc)?;
        // `pos` is at the start of a line (or the end): on to its token.
        self.line_start_check()?;
        self.skip_to_next_token()?;
        if !self.eof() && self.indent() > parent {
            return Err(Bail);
        }
        Ok(node)
    }

    fn newline_in_scalar(&mut self) {
        self.pos += 1;
        self.line += 1;
        self.line_start = self.pos;
    }

    /// Skip spaces, comments and breaks inside a flow collection; a token
    /// on a new line must stay right of the enclosing block's column.
    fn flow_skip(&mut self, min_col: isize) -> R<()> {
        if self.skip_to_next_token()? && !self.eof() && self.indent() < min_col {
            return Err(Bail);
        }
        Ok(())
    }

    fn flow_node(&mut self, tag: Option<Tag>, min_col: isize) -> R<Node> {
        self.enter()?;
        let result = self.flow_node_inner(tag, min_col);
        self.depth -= 1;
        result
    }

    fn flow_node_inner(&mut self, mut tag: Option<Tag>, min_col: isize) -> R<Node> {
        if self.peek() == b'!' {
            if tag.is_some() {
                return Err(Bail);
            }
            tag = Some(self.tag()?);
            if self.peek() != b' ' {
                return Err(Bail);
            }
            self.skip_spaces();
        }
        let start = self.pos;
        let loc = self.loc(start);
        match self.peek() {
            b'[' => {
                self.count()?;
                let first_item = self.item_stack.len();
                self.pos += 1;
                let mut after_comma = false;
                loop {
                    self.flow_skip(min_col)?;
                    if self.peek() == b']' && !after_comma {
                        self.pos += 1;
                        break;
                    }
                    let item = self.flow_node(None, min_col)?;
                    self.item_stack.push(item);
                    self.flow_skip(min_col)?;
                    if self.peek() == b':' {
                        // `[a: b]`: a one-pair map inside a list.
                        return Err(Bail);
                    }
                    match self.peek() {
                        b',' => {
                            self.pos += 1;
                            after_comma = true;
                        }
                        b']' => {
                            self.pos += 1;
                            break;
                        }
                        _ => return Err(Bail),
                    }
                }
                let items = take_members(&mut self.item_stack, first_item);
                Ok(Self::collection(NodeKind::Seq(items), tag, loc))
            }
            b'{' => {
                self.count()?;
                let mut map = MapBuild::new(&self.entry_stack);
                self.pos += 1;
                let mut after_comma = false;
                loop {
                    self.flow_skip(min_col)?;
                    if self.peek() == b'}' && !after_comma {
                        self.pos += 1;
                        break;
                    }
                    let key_node = self.flow_scalar(None, true)?;
                    let key_loc = key_node.loc;
                    let key = Self::key_text(key_node)?;
                    self.flow_skip(min_col)?;
                    if !(self.peek() == b':' && is_blank_or_end(self.peek_at(1))) {
                        return Err(Bail);
                    }
                    self.pos += 1;
                    self.flow_skip(min_col)?;
                    if matches!(self.peek(), b',' | b'}') {
                        return Err(Bail);
                    }
                    let value = self.flow_node(None, min_col)?;
                    map.insert(&mut self.entry_stack, key, key_loc, value);
                    self.flow_skip(min_col)?;
                    match self.peek() {
                        b',' => {
                            self.pos += 1;
                            after_comma = true;
                        }
                        b'}' => {
                            self.pos += 1;
                            break;
                        }
                        _ => return Err(Bail),
                    }
                }
                Ok(Self::collection(
                    map.finish(&mut self.entry_stack),
                    tag,
                    loc,
                ))
            }
            _ => self.flow_scalar(tag, false),
        }
    }

    /// A quoted or plain scalar in a flow collection (plain ones end at a
    /// flow indicator, `: `, ` #` or the line end).
    fn flow_scalar(&mut self, tag: Option<Tag>, is_key: bool) -> R<Node> {
        let start = self.pos;
        let loc = self.loc(start);
        match self.peek() {
            b'"' | b'\'' => {
                let style = if self.peek() == b'"' {
                    TScalarStyle::DoubleQuoted
                } else {
                    TScalarStyle::SingleQuoted
                };
                let value = self.quoted()?;
                self.scalar(value, style, tag, loc)
            }
            b if Self::plain_may_start(b, self.peek_at(1))
                && !(b == b'-' && is_flow_indicator(self.peek_at(1))) =>
            {
                loop {
                    match self.peek() {
                        b'\n' | 0 => break,
                        b':' if is_blank_or_end(self.peek_at(1))
                            || is_flow_indicator(self.peek_at(1)) =>
                        {
                            break
                        }
                        b if is_flow_indicator(b) => break,
                        b'#' if self.s[self.pos - 1] == b' ' => break,
                        _ => self.pos += 1,
                    }
                }
                let mut end = self.pos;
                while self.s[end - 1] == b' ' {
                    end -= 1;
                }
                if self.peek() == b'\n' {
                    // A plain scalar may go on over the next line: only
                    // when the next token closes or separates is it done.
                    let (pos, line, line_start) = (self.pos, self.line, self.line_start);
                    self.skip_to_next_token()?;
                    let next = self.peek();
                    (self.pos, self.line, self.line_start) = (pos, line, line_start);
                    let done = if is_key {
                        next == b':'
                    } else {
                        matches!(next, b',' | b']' | b'}')
                    };
                    if !done {
                        return Err(Bail);
                    }
                }
                let value = self.text[start..end].to_string();
                self.scalar(value, TScalarStyle::Plain, tag, loc)
            }
            _ => Err(Bail),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse_slow;
    use super::*;
    use std::path::{Path, PathBuf};

    #[test]
    fn byte_scan_matches_the_bytewise_tests() {
        let slow = |b: &[u8]| {
            if b.iter().any(|&c| matches!(c, b'\t' | b'\r' | 0 | 0xEF)) {
                None
            } else {
                Some(b.is_ascii())
            }
        };
        let ascii =
            b"Resources:\n  A: {Type: x}  # \x7f 0123456789 and more text to fill 64+ bytes";
        let mut mixed = ascii.to_vec();
        mixed.extend_from_slice(b"\x80\xee\xf0");
        for base in [ascii.to_vec(), mixed] {
            for bad in [
                b'\t', b'\r', 0, 0xEF, 0x0E, 0x08, 0x8D, 0x89, 0xFF, 0x01, b'x',
            ] {
                for at in 0..base.len() {
                    for len in [at + 1, base.len()] {
                        let mut text = base.clone();
                        text[at] = bad;
                        let text = &text[..len];
                        assert_eq!(
                            scan_bytes(text),
                            slow(text),
                            "byte {bad:#x} at {at} of {len}"
                        );
                    }
                }
            }
            assert_eq!(scan_bytes(&base), slow(&base));
        }
        assert_eq!(scan_bytes(b""), Some(true));
    }

    /// The fast path either declines or builds exactly yaml-rust2's tree.
    fn same(text: &str) -> bool {
        let fast = parse(text, 0);
        let slow = parse_slow(text, 0, "t.yaml");
        match (fast, slow) {
            (None, _) => false,
            (Some(f), Ok(s)) => {
                assert_eq!(f, s, "fast and yaml-rust2 differ on:\n{text}");
                true
            }
            (Some(f), Err(e)) => {
                panic!("fast accepted what yaml-rust2 refuses ({e}):\n{text}\n{f:?}")
            }
        }
    }

    fn handled(text: &str) {
        assert!(same(text), "expected the fast path to handle:\n{text}");
    }

    fn declined_or_same(text: &str) {
        same(text);
    }

    #[test]
    fn block_maps_lists_and_scalars() {
        handled("a: 1\nb: 'x'\nc: true\nd: ~\ne: hello world\nf: '1'\ng: \"q\\\"t\\n\\u00e9\"\n");
        handled("Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n      Runtime: python3.12\n");
        handled("k:\n  - a\n  - b: 1\n    c: 2\n  - - x\n    - y\n");
        handled("k:\n- a\n- b\nz: 1\n");
        handled("a:\nb: 1\nc:\n");
        handled("a:\n  # only a comment\nb: 1\n");
        declined_or_same("- a\n-\n- c\n");
        handled("url: http://x.example/a#b\nv: a #comment\ns: 'it''s'\n");
        handled("'quoted key': 1\n\"dq\": 2\n");
        handled("a: 1\n  # indented comment\nb: 2\n");
        handled("# head\n---\na: 1\n");
        handled("k: -1\nl: -x\nm: 'a: b'\nn: a:b\no: ä ö\np: x\n");
        handled("ünï: cödé\nb: 1\n");
        handled("true: 1\nnull: 2\n1.5: 3\n");
        handled("dup: 1\ndup: 2\n");
        handled("");
        handled("# only comments\n");
        handled("just a scalar\n");
        handled("<<: {a: 1}\nb: 2\n");
    }

    /// Large maps check duplicate keys when they close: same result as the
    /// yaml-rust2 builder's per-insert index (first place, last value).
    #[test]
    fn duplicate_keys_in_large_maps() {
        let mut block = String::new();
        let mut flow = String::from("F: {");
        for (i, k) in [3, 30, 5, 3, 41, 30, 2, 30, 17]
            .into_iter()
            .chain(0..40)
            .enumerate()
        {
            block.push_str(&format!("k{k}: v{i}\n"));
            flow.push_str(&format!("k{k}: v{i}, "));
        }
        flow.push_str("last: x}\n");
        handled(&block);
        handled(&flow);
        handled(&format!(
            "M:\n  <<: {{k1: merged, z: merged}}\n{}",
            block.replace("k", "  k")
        ));
    }

    #[test]
    fn tags_and_flow() {
        handled(
            "Role: !GetAtt FnRole.Arn\nList: !Split [',', !Ref P]\nM: !If\n  - C\n  - a\n  - b\n",
        );
        handled("a: [1, two, 'three', \"four\", [x], {k: v}]\nb: {a: 1, b: [2, 3], 'c': !Ref X}\nc: []\nd: {}\n");
        handled("a: [\n  one,\n  two\n  ]\nb: 1\n");
        handled("Action: [s3:GetObject, 'arn:aws:s3:::b/*']\n");
        handled("S: !Sub\n  - '${A}-x'\n  - A: !Ref B\n");
        handled("- !Ref A\n- !Join ['', [a, !Ref B]]\n");
        handled("t: !Base64 |\n  #!/bin/bash\n  echo hi\n");
        declined_or_same("a: [1, 2, ]\n");
        declined_or_same("a: [a: b]\n");
        declined_or_same("a: {a: }\n");
        declined_or_same("a: [multi\n  line]\n");
    }

    #[test]
    fn block_scalars() {
        handled("a: |\n  line 1\n\n  line 3\n    indented\nb: 2\n");
        handled("a: |-\n  x\n  y\n\n\nb: 2\n");
        handled("a: |+\n  x\n\n\nb: 2\n");
        handled("a: >\n  folded\n  text\n\n  para\nb: 2\n");
        handled("a: >-\n  folded\n  text\n");
        handled("- |\n  in a list\n- x\n");
        handled("a: |\n\n  leading blank\n");
        handled("a: | # comment\n  x\n");
        declined_or_same("a: |2\n   x\n");
        declined_or_same("a: >\n  x\n    more\n  y\n");
        declined_or_same("a: |\n  no final break");
        declined_or_same("a: |\nb: 1\n");
    }

    #[test]
    fn declines_what_it_does_not_cover() {
        for text in [
            "a: &x 1\nb: *x\n",
            "? complex\n: key\n",
            "%YAML 1.2\n---\na: 1\n",
            "a: 1\n---\nb: 2\n",
            "a: plain\n  continued\n",
            "a: 'multi\n  line'\n",
            "a:\tb\n",
            "a: 1\r\n",
            "a: !!str 1\n",
            "a: b: c\n",
            "a:\n  - b\n c: d\n",
            "a: [1, 2\nc: 3\n",
            "- a\nb: 1\n",
        ] {
            assert!(!same(text), "fast path should decline:\n{text}");
        }
    }

    #[test]
    fn errors_are_left_to_yaml_rust2() {
        for text in [
            "a: [unclosed\n",
            "a:\n  b: 1\n c: 2\n",
            "a: 'x\n",
            "a: \"\\q\"\n",
        ] {
            assert!(parse(text, 0).is_none(), "{text}");
        }
    }

    fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            if path.is_dir() {
                if name != "target" && name != ".git" && name != ".venv" && name != "node_modules" {
                    yaml_files(&path, out);
                }
            } else if path
                .extension()
                .is_some_and(|e| e == "yaml" || e == "yml" || e == "template")
            {
                out.push(path);
            }
        }
    }

    /// Every YAML file of the repository (examples, fixtures, rule tests,
    /// the generated benchmark corpus when present): the fast path must
    /// give yaml-rust2's tree, and handle most of them.
    #[test]
    fn repository_yaml_files_match_yaml_rust2() {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut files = Vec::new();
        for top in ["examples", "tests", "crates", "bench/corpus"] {
            yaml_files(&repo.join(top), &mut files);
        }
        // More folders to compare on (e.g. other checkouts, real-world
        // templates), separated by `:`.
        if let Ok(extra) = std::env::var("FNGUARD_YAML_DIRS") {
            for dir in extra.split(':').filter(|d| !d.is_empty()) {
                yaml_files(Path::new(dir), &mut files);
            }
        }
        assert!(files.len() > 50, "found only {} YAML files", files.len());
        let mut handled = 0;
        let mut declined = Vec::new();
        for path in &files {
            let Ok(text) = std::fs::read_to_string(path) else {
                continue;
            };
            let fast = parse(&text, 0);
            let slow = parse_slow(&text, 0, "t.yaml");
            match (fast, slow) {
                (None, _) => declined.push(path.display().to_string()),
                (Some(f), Ok(s)) => {
                    if f != s {
                        panic!("{}: fast path differs from yaml-rust2", path.display());
                    }
                    handled += 1;
                }
                (Some(_), Err(e)) => {
                    panic!("{}: fast path accepted invalid YAML ({e})", path.display())
                }
            }
        }
        eprintln!(
            "fast path: {handled} of {} files; declined: {declined:#?}",
            files.len()
        );
        assert!(
            handled * 10 >= files.len() * 7,
            "{handled} of {} handled",
            files.len()
        );
    }

    /// Small random edits of real templates (the YAML indicators, spaces,
    /// breaks): whatever the fast path accepts, yaml-rust2 must accept and
    /// build the same tree from. Deterministic (fixed seed).
    #[test]
    fn mutated_templates_never_diverge() {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut files = Vec::new();
        yaml_files(&repo.join("examples"), &mut files);
        files.sort();
        assert!(!files.is_empty());
        let alphabet = b" \n:-#'\"[]{},|>!&*a1?";
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut compared = 0;
        for path in &files {
            let Ok(text) = std::fs::read_to_string(path) else {
                continue;
            };
            let bytes = text.as_bytes();
            let rounds: usize = std::env::var("FNGUARD_MUTATIONS")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(300);
            for _ in 0..rounds {
                let mut edited = bytes.to_vec();
                for _ in 0..1 + next() % 3 {
                    let at = (next() as usize) % edited.len().max(1);
                    match next() % 3 {
                        0 => {
                            edited.remove(at.min(edited.len().saturating_sub(1)));
                        }
                        1 => edited.insert(at, alphabet[(next() as usize) % alphabet.len()]),
                        _ => edited[at] = alphabet[(next() as usize) % alphabet.len()],
                    }
                }
                let Ok(edited) = String::from_utf8(edited) else {
                    continue;
                };
                if let Some(fast) = parse(&edited, 0) {
                    match parse_slow(&edited, 0, "m.yaml") {
                        Ok(slow) => assert_eq!(fast, slow, "differ after edit:\n{edited}"),
                        Err(e) => panic!("fast accepted invalid YAML ({e}):\n{edited}"),
                    }
                    compared += 1;
                }
            }
        }
        eprintln!("{compared} edited texts compared");
        assert!(
            compared > 100,
            "only {compared} edited texts reached the comparison"
        );
    }
}
