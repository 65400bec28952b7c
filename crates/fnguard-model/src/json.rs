//! JSON into the located document tree, without going through the YAML
//! scanner: CloudFormation JSON and Terraform plans can be tens of megabytes,
//! and a byte scanner is an order of magnitude faster than a YAML event
//! stream.
//!
//! The tree is the one `yaml::parse` builds for the same text (strings are
//! `Str`, numbers keep their source text, later duplicate keys win), so the
//! loaders don't care which parser read a file. The parser keeps an explicit
//! stack instead of recursing, so hostile nesting is refused by a depth cap,
//! never by a stack overflow.

use crate::yaml::same_key;
use crate::LoadError;
use fnguard_core::doc::MapEntry;
use fnguard_core::{FileId, Loc, Node, NodeKind};

/// Same cap as the YAML parser: the tree's recursive consumers rely on it.
pub const MAX_DEPTH: usize = 256;

/// Up to this many entries a map's keys are checked for duplicates as they
/// come; past it once, when the map closes (`dedup_keys`), so that huge
/// `Resources` maps stay linear.
const CHECKED_ENTRIES: usize = 24;

/// Collapse the duplicate keys of a map built without checking them: the
/// entry keeps the place of its key's first occurrence and takes the value
/// and key location of the last, what checking every insert gives. Sorting
/// positions by key needs no copy of the keys and no hashing.
pub(crate) fn dedup_keys(entries: &mut Vec<MapEntry>) {
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_unstable_by(|&a, &b| entries[a].key.cmp(&entries[b].key).then(a.cmp(&b)));
    if !order
        .windows(2)
        .any(|w| entries[w[0]].key == entries[w[1]].key)
    {
        return;
    }
    let mut removed = vec![false; entries.len()];
    let mut group = 0;
    while group < order.len() {
        let first = order[group];
        let mut end = group + 1;
        while end < order.len() && entries[order[end]].key == entries[first].key {
            end += 1;
        }
        if end - group > 1 {
            let last = order[end - 1];
            let key_loc = entries[last].key_loc;
            let value =
                std::mem::replace(&mut entries[last].value, Node::new(NodeKind::Null, key_loc));
            entries[first].key_loc = key_loc;
            entries[first].value = value;
            for &dup in &order[group + 1..end] {
                removed[dup] = true;
            }
        }
        group = end;
    }
    let mut at = 0;
    entries.retain(|_| {
        at += 1;
        !removed[at - 1]
    });
}

/// Parse one JSON document. `path` names the file in errors.
pub fn parse(text: &str, file: FileId, path: &str) -> Result<Node, LoadError> {
    let mut parser = Parser::new(text, file);
    parser
        .document()
        .map_err(|(line, col, message)| LoadError::new(path, line, col, message))
}

type Failure = (u32, u32, String);

/// An open array or object. Its items and entries are kept on the parser's
/// shared stacks (`Members`) from `start` on: a nested container closes
/// before its parent takes the next member, and each container then gets
/// one allocation of its exact size instead of a vector regrown member by
/// member.
enum Frame {
    Seq {
        start: usize,
        loc: Loc,
    },
    Map {
        start: usize,
        /// Entries were added past `CHECKED_ENTRIES` (duplicates unchecked).
        unchecked: bool,
        /// The key whose value is being parsed.
        key: String,
        key_loc: Loc,
        loc: Loc,
    },
}

/// Items and entries of the open containers, innermost last.
#[derive(Default)]
struct Members {
    items: Vec<Node>,
    entries: Vec<MapEntry>,
}

impl Frame {
    fn insert(&mut self, members: &mut Members, value: Node) {
        match self {
            Frame::Seq { .. } => members.items.push(value),
            Frame::Map {
                start,
                unchecked,
                key,
                key_loc,
                ..
            } => {
                let key = std::mem::take(key);
                let entries = &mut members.entries[*start..];
                if entries.len() >= CHECKED_ENTRIES {
                    *unchecked = true;
                } else if let Some(e) = entries.iter_mut().find(|e| same_key(&e.key, &key)) {
                    // Later duplicates win, as in the YAML parser and most
                    // JSON libraries.
                    e.key_loc = *key_loc;
                    e.value = value;
                    return;
                }
                members.entries.push(MapEntry {
                    key,
                    key_loc: *key_loc,
                    value,
                });
            }
        }
    }

    fn close(self, members: &mut Members) -> Node {
        match self {
            Frame::Seq { start, loc } => {
                Node::new(NodeKind::Seq(take_members(&mut members.items, start)), loc)
            }
            Frame::Map {
                start,
                unchecked,
                loc,
                ..
            } => {
                let mut entries = take_members(&mut members.entries, start);
                if unchecked {
                    dedup_keys(&mut entries);
                }
                Node::new(NodeKind::Map(entries), loc)
            }
        }
    }
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    file: FileId,
    line: u32,
    line_start: usize,
    /// Columns are counted in characters; this caches the last counted
    /// position on the current line so that a one-line (minified) document
    /// is still counted in linear time.
    col_pos: usize,
    col: u32,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str, file: FileId) -> Self {
        let start = if text.starts_with('\u{feff}') { 3 } else { 0 };
        Parser {
            text,
            bytes: text.as_bytes(),
            pos: start,
            file,
            line: 1,
            line_start: start,
            col_pos: start,
            col: 1,
        }
    }

    fn col_at(&mut self, pos: usize) -> u32 {
        if self.col_pos < self.line_start || self.col_pos > pos {
            self.col_pos = self.line_start;
            self.col = 1;
        }
        let chars = count_chars(&self.bytes[self.col_pos..pos]);
        self.col = self.col.saturating_add(chars as u32);
        self.col_pos = pos;
        self.col
    }

    fn loc_at(&mut self, pos: usize) -> Loc {
        let col = self.col_at(pos);
        Loc::new(self.file, self.line, col)
    }

    fn fail_at(&mut self, pos: usize, message: String) -> Failure {
        let col = self.col_at(pos);
        (self.line, col, message)
    }

    /// What stands at `pos`, for error messages.
    fn found(&self, pos: usize) -> String {
        match self.text.get(pos..).and_then(|rest| rest.chars().next()) {
            None => "end of input".to_string(),
            Some(c) if c.is_control() => format!("{:?}", c),
            Some(c) => format!("'{c}'"),
        }
    }

    fn expected(&mut self, what: &str) -> Failure {
        let found = self.found(self.pos);
        self.fail_at(self.pos, format!("expected {what}, found {found}"))
    }

    /// Most calls find a token right away (after a key, before a value):
    /// that test is inlined, the loop is not.
    #[inline]
    fn skip_ws(&mut self) {
        if self.bytes.get(self.pos).is_some_and(|&b| b > b' ') {
            return;
        }
        self.skip_ws_run();
    }

    fn skip_ws_run(&mut self) {
        while let Some(&b) = self.bytes.get(self.pos) {
            match b {
                b' ' => self.pos += 1 + space_run(&self.bytes[self.pos + 1..]),
                b'\t' | b'\r' => self.pos += 1,
                b'\n' => {
                    self.pos += 1;
                    self.line += 1;
                    self.line_start = self.pos;
                }
                _ => break,
            }
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn document(&mut self) -> Result<Node, Failure> {
        let mut stack: Vec<Frame> = Vec::new();
        let mut members = Members::default();
        'value: loop {
            self.skip_ws();
            let start = self.pos;
            let loc = self.loc_at(start);
            let mut node = match self.peek() {
                Some(b'{') | Some(b'[') => {
                    if stack.len() >= MAX_DEPTH {
                        return Err(
                            self.fail_at(start, format!("nesting deeper than {MAX_DEPTH} levels"))
                        );
                    }
                    let is_map = self.peek() == Some(b'{');
                    self.pos += 1;
                    self.skip_ws();
                    if is_map {
                        if self.peek() == Some(b'}') {
                            self.pos += 1;
                            Node::new(NodeKind::Map(Vec::new()), loc)
                        } else {
                            let (key, key_loc) = self.key()?;
                            stack.push(Frame::Map {
                                start: members.entries.len(),
                                unchecked: false,
                                key,
                                key_loc,
                                loc,
                            });
                            continue 'value;
                        }
                    } else if self.peek() == Some(b']') {
                        self.pos += 1;
                        Node::new(NodeKind::Seq(Vec::new()), loc)
                    } else {
                        stack.push(Frame::Seq {
                            start: members.items.len(),
                            loc,
                        });
                        continue 'value;
                    }
                }
                Some(b'"') => Node::new(NodeKind::Str(self.string()?), loc),
                Some(b'-' | b'0'..=b'9') => Node::new(NodeKind::Number(self.number()?), loc),
                Some(b't') => self.literal("true", NodeKind::Bool(true), loc)?,
                Some(b'f') => self.literal("false", NodeKind::Bool(false), loc)?,
                Some(b'n') => self.literal("null", NodeKind::Null, loc)?,
                _ => return Err(self.expected("a JSON value")),
            };
            // A value is complete: hand it to its container, closing every
            // container that ends right after it.
            loop {
                let Some(frame) = stack.last_mut() else {
                    self.skip_ws();
                    if self.pos < self.bytes.len() {
                        let found = self.found(self.pos);
                        return Err(self.fail_at(
                            self.pos,
                            format!("expected end of input after the JSON document, found {found}"),
                        ));
                    }
                    return Ok(node);
                };
                frame.insert(&mut members, node);
                let is_map = matches!(frame, Frame::Map { .. });
                self.skip_ws();
                match (self.peek(), is_map) {
                    (Some(b','), _) => {
                        self.pos += 1;
                        if is_map {
                            self.skip_ws();
                            let (key, key_loc) = self.key()?;
                            if let Some(Frame::Map {
                                key: pending,
                                key_loc: pending_loc,
                                ..
                            }) = stack.last_mut()
                            {
                                *pending = key;
                                *pending_loc = key_loc;
                            }
                        }
                        continue 'value;
                    }
                    (Some(b'}'), true) | (Some(b']'), false) => {
                        self.pos += 1;
                        let Some(frame) = stack.pop() else {
                            return Err(self.expected("a JSON value"));
                        };
                        node = frame.close(&mut members);
                    }
                    (_, true) => return Err(self.expected("',' or '}' after an object member")),
                    (_, false) => return Err(self.expected("',' or ']' after an array element")),
                }
            }
        }
    }

    /// An object key and the ':' after it.
    fn key(&mut self) -> Result<(String, Loc), Failure> {
        if self.peek() != Some(b'"') {
            return Err(self.expected("a string key in double quotes"));
        }
        let loc = self.loc_at(self.pos);
        let key = self.string()?;
        self.skip_ws();
        if self.peek() != Some(b':') {
            return Err(self.expected("':' after an object key"));
        }
        self.pos += 1;
        Ok((key, loc))
    }

    fn literal(&mut self, word: &str, kind: NodeKind, loc: Loc) -> Result<Node, Failure> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(Node::new(kind, loc))
        } else {
            Err(self.expected("a JSON value"))
        }
    }

    fn digits(&mut self) -> usize {
        let from = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        self.pos - from
    }

    fn number(&mut self) -> Result<String, Failure> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.expected("a digit")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.expected("a digit after the decimal point"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.expected("a digit in the exponent"));
            }
        }
        Ok(self.text[start..self.pos].to_string())
    }

    /// A string starting at the opening quote; leaves `pos` after the
    /// closing one. Strings without escapes are copied in one slice.
    fn string(&mut self) -> Result<String, Failure> {
        let open = self.pos;
        self.pos += 1;
        let start = self.pos;
        loop {
            self.pos += plain_run(&self.bytes[self.pos..]);
            match self.bytes.get(self.pos) {
                None => return Err(self.fail_at(open, "unterminated string".to_string())),
                Some(b'"') => {
                    let s = self.text[start..self.pos].to_string();
                    self.pos += 1;
                    return Ok(s);
                }
                Some(b'\\') => break,
                Some(&b) if b < 0x20 && b != b'\t' => {
                    return Err(self.control_in_string(b));
                }
                Some(_) => self.pos += 1,
            }
        }
        let mut out = String::with_capacity(self.pos - start + 16);
        out.push_str(&self.text[start..self.pos]);
        loop {
            // Copy the run up to the next quote or backslash in one go.
            let run = self.pos;
            self.pos += plain_run(&self.bytes[self.pos..]);
            while let Some(&b) = self.bytes.get(self.pos) {
                if b == b'"' || b == b'\\' {
                    break;
                }
                if b < 0x20 && b != b'\t' {
                    return Err(self.control_in_string(b));
                }
                self.pos += 1;
            }
            out.push_str(&self.text[run..self.pos]);
            match self.bytes.get(self.pos) {
                None => return Err(self.fail_at(open, "unterminated string".to_string())),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(_) => {
                    let escape = self.pos;
                    self.pos += 1;
                    let c = match self.bytes.get(self.pos) {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.pos += 1;
                            out.push(self.unicode_escape(escape)?);
                            continue;
                        }
                        _ => {
                            let found = self.found(self.pos);
                            return Err(self.fail_at(
                                escape,
                                format!("invalid escape in string: expected one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u, found {found}"),
                            ));
                        }
                    };
                    self.pos += 1;
                    out.push(c);
                }
            }
        }
    }

    fn control_in_string(&mut self, b: u8) -> Failure {
        let what = if b == b'\n' {
            "a line break".to_string()
        } else {
            format!("control character U+{b:04X}")
        };
        self.fail_at(
            self.pos,
            format!("{what} inside a string; expected it escaped or the closing '\"'"),
        )
    }

    fn hex4(&mut self, escape: usize) -> Result<u32, Failure> {
        let Some(digits) = self.bytes.get(self.pos..self.pos + 4) else {
            return Err(self.fail_at(escape, "expected 4 hex digits after \\u".to_string()));
        };
        let mut value = 0u32;
        for &d in digits {
            let v = match d {
                b'0'..=b'9' => d - b'0',
                b'a'..=b'f' => d - b'a' + 10,
                b'A'..=b'F' => d - b'A' + 10,
                _ => {
                    return Err(self.fail_at(escape, "expected 4 hex digits after \\u".to_string()))
                }
            };
            value = value * 16 + u32::from(v);
        }
        self.pos += 4;
        Ok(value)
    }

    /// The code point of `\uXXXX` (pos is after the `u`), joining UTF-16
    /// surrogate pairs. An unpaired surrogate becomes U+FFFD rather than an
    /// error: one odd description must not make a template unscannable.
    fn unicode_escape(&mut self, escape: usize) -> Result<char, Failure> {
        let first = self.hex4(escape)?;
        if (0xD800..0xDC00).contains(&first) {
            if self.bytes.get(self.pos..self.pos + 2) == Some(b"\\u") {
                let second_escape = self.pos;
                let saved = self.pos;
                self.pos += 2;
                let second = self.hex4(second_escape)?;
                if (0xDC00..0xE000).contains(&second) {
                    let c = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                    return Ok(char::from_u32(c).unwrap_or('\u{fffd}'));
                }
                // Not a low surrogate: leave it to be decoded on its own.
                self.pos = saved;
            }
            return Ok('\u{fffd}');
        }
        Ok(char::from_u32(first).unwrap_or('\u{fffd}'))
    }
}

/// The members of a closing container, from `start` to the top of a shared
/// member stack, moved into a vector of their exact size in one block copy
/// (collecting a `drain` moved them one by one).
pub(crate) fn take_members<T>(stack: &mut Vec<T>, start: usize) -> Vec<T> {
    if start == 0 {
        // `split_off(0)` would hand over the stack's whole buffer.
        let mut members = Vec::with_capacity(stack.len());
        members.append(stack);
        members
    } else {
        stack.split_off(start)
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Length of the prefix of `bytes` that holds no '"', no '\\' and no control
/// character, eight bytes at a time: string bodies are most of a template.
fn plain_run(bytes: &[u8]) -> usize {
    let mut i = 0;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        let quote = x ^ (ONES * u64::from(b'"'));
        let backslash = x ^ (ONES * u64::from(b'\\'));
        // A byte is flagged when it is zero (for the XORed words) or below
        // 0x20; borrows only ever flag bytes above a truly flagged one, so
        // the lowest flag is exact.
        let flags = (quote.wrapping_sub(ONES) & !quote
            | backslash.wrapping_sub(ONES) & !backslash
            | x.wrapping_sub(ONES * 0x20) & !x)
            & HIGHS;
        if flags != 0 {
            return i + (flags.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&b) = bytes.get(i) {
        if b == b'"' || b == b'\\' || b < 0x20 {
            break;
        }
        i += 1;
    }
    i
}

/// Length of the run of spaces `bytes` starts with, eight bytes at a time:
/// indentation is a large share of pretty-printed JSON and of YAML.
pub(crate) fn space_run(bytes: &[u8]) -> usize {
    let mut i = 0;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        // XOR leaves no borrows: the lowest non-zero byte is the first
        // byte that is not a space.
        let diff = u64::from_le_bytes(word) ^ (ONES * u64::from(b' '));
        if diff != 0 {
            return i + (diff.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i + bytes[i..].iter().take_while(|&&b| b == b' ').count()
}

/// Length of the prefix of `bytes` that holds none of the `stops`, eight
/// bytes at a time: the YAML fast path finds the end of plain and quoted
/// scalars, comments and block-scalar lines with it, the CloudFormation
/// loader its `${` and host-name searches (one stop). `N` is a constant at
/// every call, so the loop over the stops unrolls.
pub(crate) fn run_without<const N: usize>(bytes: &[u8], stops: [u8; N]) -> usize {
    let zero_flags = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    let mut words = bytes.chunks_exact(8);
    let mut i = 0;
    for chunk in &mut words {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        // Borrows only ever flag bytes above a truly flagged one, so the
        // lowest flag of all the stops is exact.
        let flags = stops.iter().fold(0, |flags, &stop| {
            flags | zero_flags(x ^ (ONES * u64::from(stop)))
        });
        if flags != 0 {
            return i + (flags.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i + words
        .remainder()
        .iter()
        .take_while(|x| !stops.contains(x))
        .count()
}

/// Characters in a UTF-8 slice: bytes minus continuation bytes (10xxxxxx).
fn count_chars(bytes: &[u8]) -> usize {
    let mut continuations = 0usize;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        continuations += (x & !(x << 1) & HIGHS).count_ones() as usize;
    }
    continuations += chunks
        .remainder()
        .iter()
        .filter(|&&b| (b & 0xC0) == 0x80)
        .count();
    bytes.len() - continuations
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Node {
        parse(text, 0, "t.json").expect("parses")
    }

    fn err(text: &str) -> LoadError {
        parse(text, 0, "bad.json").unwrap_err()
    }

    enum Item<'a> {
        Node(&'a Node),
        Text(String),
    }

    /// The tree without locations, for comparing parsers.
    fn shape(node: &Node) -> String {
        let mut out = String::new();
        let mut todo = vec![Item::Node(node)];
        while let Some(item) = todo.pop() {
            let n = match item {
                Item::Text(text) => {
                    out.push_str(&text);
                    continue;
                }
                Item::Node(n) => n,
            };
            match &n.kind {
                NodeKind::Map(entries) => {
                    out.push('{');
                    todo.push(Item::Text("}".into()));
                    for e in entries.iter().rev() {
                        todo.push(Item::Text(",".into()));
                        todo.push(Item::Node(&e.value));
                        todo.push(Item::Text(format!("{:?}:", e.key)));
                    }
                }
                NodeKind::Seq(items) => {
                    out.push('[');
                    todo.push(Item::Text("]".into()));
                    for i in items.iter().rev() {
                        todo.push(Item::Text(",".into()));
                        todo.push(Item::Node(i));
                    }
                }
                other => out.push_str(&format!("{other:?}")),
            }
        }
        out
    }

    #[test]
    fn space_run_matches_the_bytewise_count() {
        for len in 0..40 {
            for stop in 0..=len {
                for other in [b'x', b'\t', b'\n', 0x80, 0x00, b'!'] {
                    let mut bytes = vec![b' '; len];
                    if stop < len {
                        bytes[stop] = other;
                    }
                    let expected = bytes.iter().take_while(|&&b| b == b' ').count();
                    assert_eq!(space_run(&bytes), expected, "{len} {stop} {other}");
                }
            }
        }
    }

    #[test]
    fn take_members_moves_the_top_of_the_stack() {
        for start in 0..=5 {
            let mut stack: Vec<String> = (0..5).map(|i| i.to_string()).collect();
            let expected: Vec<String> = stack[start..].to_vec();
            let members = take_members(&mut stack, start);
            assert_eq!(members, expected);
            assert_eq!(members.capacity(), members.len());
            assert_eq!(stack.len(), start);
        }
    }

    #[test]
    fn run_without_matches_the_bytewise_scan() {
        let base = b"Resource: arn:aws:s3:::b/* # note\n  'q''s' \\ \x80\xff\x00 end".to_vec();
        for len in 0..=base.len() {
            for from in 0..=len {
                let bytes = &base[from..len];
                for (a, b, c) in [
                    (b':', b'#', b'\n'),
                    (b'\'', b'\'', b'\n'),
                    (b'"', b'\\', b'\n'),
                    (b'\n', b'\n', b'\n'),
                    (0x80, 0xff, 0x00),
                    (0x01, 0x7f, 0xfe),
                ] {
                    let expected = bytes
                        .iter()
                        .take_while(|&&x| x != a && x != b && x != c)
                        .count();
                    assert_eq!(run_without(bytes, [a, b, c]), expected, "{from}..{len} {a}");
                    let expected = bytes.iter().take_while(|&&x| x != a).count();
                    assert_eq!(run_without(bytes, [a]), expected, "{from}..{len} {a}");
                }
            }
        }
    }

    #[test]
    fn word_scanners_match_the_byte_definitions() {
        let samples: [&[u8]; 6] = [
            b"plain ascii text that runs on\"",
            "caf\u{e9} \u{4e2d}\u{6587} \u{1f600} and more".as_bytes(),
            b"0123456\\x",
            b"tab\tinside then quote\"",
            b"\x1f",
            b"",
        ];
        for sample in samples {
            for start in 0..sample.len() {
                let rest = &sample[start..];
                let expected = rest
                    .iter()
                    .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
                    .unwrap_or(rest.len());
                assert_eq!(plain_run(rest), expected, "{rest:?}");
                let chars = rest.iter().filter(|&&b| (b & 0xC0) != 0x80).count();
                assert_eq!(count_chars(rest), chars, "{rest:?}");
            }
        }
    }

    #[test]
    fn scalars_and_kinds() {
        let doc = p(
            r#"{"s": "x", "n": -12.5e3, "z": 0, "t": true, "f": false, "u": null, "a": [1, "2"], "o": {}}"#,
        );
        assert_eq!(doc.get("s").unwrap().as_str(), Some("x"));
        assert_eq!(
            doc.get("n").unwrap().kind,
            NodeKind::Number("-12.5e3".into())
        );
        assert_eq!(doc.get("z").unwrap().kind, NodeKind::Number("0".into()));
        assert_eq!(doc.get("t").unwrap().as_bool(), Some(true));
        assert_eq!(doc.get("f").unwrap().as_bool(), Some(false));
        assert!(doc.get("u").unwrap().is_null());
        let a = doc.get("a").unwrap().as_seq().unwrap();
        assert_eq!(a[0].kind, NodeKind::Number("1".into()));
        assert_eq!(a[1].as_str(), Some("2"));
        assert_eq!(doc.get("o").unwrap().as_map().unwrap().len(), 0);
    }

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let doc = p("{\n  \"Résumé\": \"é\", \"b\": [true,\n    7]\n}");
        assert_eq!((doc.loc.line, doc.loc.col), (1, 1));
        let entries = doc.as_map().unwrap();
        assert_eq!((entries[0].key_loc.line, entries[0].key_loc.col), (2, 3));
        // `"Résumé": ` is 10 characters but 12 bytes.
        assert_eq!(
            (entries[0].value.loc.line, entries[0].value.loc.col),
            (2, 13)
        );
        assert_eq!((entries[1].key_loc.line, entries[1].key_loc.col), (2, 18));
        let b = entries[1].value.as_seq().unwrap();
        assert_eq!((b[0].loc.line, b[0].loc.col), (2, 24));
        assert_eq!((b[1].loc.line, b[1].loc.col), (3, 5));
    }

    #[test]
    fn escapes_including_surrogate_pairs() {
        let doc = p(
            r#"["a\"b\\c\/d\b\f\n\r\t", "\u00e9\u4e2d", "\ud83d\ude00!", "\ud800x", "\udc00", "tab	raw"]"#,
        );
        let s: Vec<&str> = doc
            .as_seq()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap())
            .collect();
        assert_eq!(s[0], "a\"b\\c/d\u{8}\u{c}\n\r\t");
        assert_eq!(s[1], "é中");
        assert_eq!(s[2], "😀!");
        assert_eq!(s[3], "\u{fffd}x");
        assert_eq!(s[4], "\u{fffd}");
        assert_eq!(s[5], "tab\traw");
    }

    #[test]
    fn duplicate_keys_last_wins_small_and_large_maps() {
        let doc = p(r#"{"a": 1, "b": 2, "a": 3}"#);
        let entries = doc.as_map().unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(doc.get("a").unwrap().as_i64(), Some(3));
        assert_eq!(entries[0].key, "a");

        let mut big = String::from("{");
        for i in 0..100 {
            big.push_str(&format!("\"k{i}\": {i},"));
        }
        big.push_str("\"k5\": \"again\", \"k99\": null, \"last\": 1}");
        let doc = p(&big);
        let entries = doc.as_map().unwrap();
        assert_eq!(entries.len(), 101);
        assert_eq!(doc.get("k5").unwrap().as_str(), Some("again"));
        assert!(doc.get("k99").unwrap().is_null());
        assert_eq!(entries[100].key, "last");
    }

    #[test]
    fn bom_is_tolerated() {
        let doc = p("\u{feff}{\"a\": 1}");
        assert_eq!(doc.get("a").unwrap().as_i64(), Some(1));
        assert_eq!(doc.loc.col, 1);
    }

    #[test]
    fn errors_name_line_column_and_expectation() {
        let e = err("{\n  \"a\": 1,\n  \"b\" 2\n}");
        assert_eq!((e.line, e.col), (3, 7), "{e}");
        assert!(e.message.contains("expected ':'"), "{e}");
        assert_eq!(e.path, "bad.json");

        let e = err("{\"a\": [1, 2}");
        assert_eq!((e.line, e.col), (1, 12), "{e}");
        assert!(e.message.contains("',' or ']'"), "{e}");

        let e = err("{\"a\": 1,}");
        assert!(e.message.contains("string key"), "{e}");
        assert_eq!(e.col, 9);

        let e = err("{\"a\": 1} x");
        assert!(e.message.contains("end of input"), "{e}");
        assert_eq!(e.col, 10);

        let e = err("[\"abc");
        assert!(e.message.contains("unterminated"), "{e}");
        assert_eq!(e.col, 2);

        let e = err("[\"a\nb\"]");
        assert!(e.message.contains("line break"), "{e}");

        let e = err("[\"\\x\"]");
        assert!(e.message.contains("invalid escape"), "{e}");

        let e = err("[\"\\u12G4\"]");
        assert!(e.message.contains("hex"), "{e}");

        for bad in [
            "", "   ", "[01]", "[1.]", "[1e]", "[-]", "[tru]", "[nul", "{", "[", "{\"a\"", "'x'",
            "[1 2]",
        ] {
            let e = parse(bad, 0, "bad.json");
            assert!(e.is_err(), "{bad:?} should fail");
        }
        assert!(err("").message.contains("found end of input"));
    }

    #[test]
    fn deep_nesting_is_refused_without_overflow() {
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(&ok, 0, "ok.json").is_ok());
        let deep = "[".repeat(1_000_000);
        let e = err(&deep);
        assert!(e.message.contains("nesting"), "{e}");
        assert_eq!(e.col as usize, MAX_DEPTH + 1);
        let deep_maps = "{\"a\":".repeat(100_000);
        assert!(err(&deep_maps).message.contains("nesting"));
    }

    #[test]
    fn long_single_line_positions_stay_linear() {
        // A minified 2 MB document: column counting must not be quadratic.
        let mut text = String::from("[");
        for i in 0..200_000 {
            text.push_str(&format!("\"é{i}\","));
        }
        text.push_str("1]");
        let doc = p(&text);
        let items = doc.as_seq().unwrap();
        assert_eq!(items.len(), 200_001);
        assert_eq!(items[1].loc.col, 7);
    }

    #[test]
    fn parity_with_the_yaml_parser() {
        let samples = [
            r#"{"AWSTemplateFormatVersion": "2010-09-09", "Transform": "AWS::Serverless-2016-10-31",
               "Parameters": {"Stage": {"Type": "String", "Default": "prod", "AllowedValues": ["dev", "prod"]}},
               "Resources": {"Fn": {"Type": "AWS::Serverless::Function", "Properties": {
                  "Runtime": "python3.13", "MemorySize": 512, "Timeout": 2.5, "Tracing": null, "Enabled": true,
                  "Environment": {"Variables": {"TABLE": {"Ref": "Table"}, "MSG": "line\nnext \"q\" \u00e9"}},
                  "Policies": [{"Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": {"Fn::Sub": "arn:aws:s3:::${B}/*"}}]}],
                  "Empty": {}, "None": []}}},
               "Outputs": {"Arn": {"Value": {"Fn::GetAtt": ["Fn", "Arn"]}}}}"#,
            r#"[1, -0.5, 1E+3, "x", [], [[{"a": [false]}]], {"k": "v", "k": "w"}]"#,
            r#"{"format_version": "1.2", "planned_values": {"root_module": {"resources": [
               {"address": "aws_lambda_function.f", "values": {"runtime": "nodejs22.x", "timeout": 30,
                "environment": [{"variables": {"A": "b"}}]}}]}}}"#,
        ];
        for sample in samples {
            let ours = p(sample);
            let theirs = crate::yaml::parse(sample, 0, "t.yaml").expect("yaml parses JSON");
            assert_eq!(shape(&ours), shape(&theirs), "{sample}");
        }
    }

    /// Containers share the member stacks: nested ones, duplicates at every
    /// level and maps past `CHECKED_ENTRIES` must still build yaml-rust2's
    /// tree, positions included.
    #[test]
    fn nested_containers_match_yaml_rust2_exactly() {
        let mut big = String::from("{\n");
        for i in 0..60 {
            big.push_str(&format!(
                "  \"k{}\": {{\"a\": [{i}, [], {{}}, {{\"x\": 1, \"x\": [2]}}], \"a\": {{\"in\": [[{i}]]}}}},\n",
                i % 45
            ));
        }
        big.push_str("  \"end\": [{\"k\": 1}, {\"k\": 2, \"j\": [3, {\"k\": 4}]}]\n}");
        for sample in [
            big.as_str(),
            "[[1, [2, [3]], {\"a\": [4]}], {\"b\": {\"c\": {}}}, []]",
        ] {
            let ours = p(sample);
            let theirs = crate::yaml::parse_slow(sample, 0, "t.yaml").expect("yaml parses JSON");
            assert_eq!(ours, theirs, "{sample}");
        }
    }

    /// `cargo test --release -p fnguard-model json::tests::throughput -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn throughput() {
        let mut resources = String::new();
        for i in 0..20_000 {
            if i > 0 {
                resources.push(',');
            }
            resources.push_str(&format!(
                r#"
    "Function{i}": {{
      "Type": "AWS::Lambda::Function",
      "Properties": {{
        "FunctionName": {{"Fn::Sub": "${{AWS::StackName}}-fn-{i}"}},
        "Runtime": "python3.12",
        "Handler": "app.handler",
        "MemorySize": 512,
        "Timeout": 30,
        "Role": {{"Fn::GetAtt": ["Role{i}", "Arn"]}},
        "Environment": {{"Variables": {{"TABLE_NAME": {{"Ref": "Table"}}, "STAGE": "prod", "NOTE": "caf\u00e9 \"quoted\""}}}},
        "Tags": [{{"Key": "team", "Value": "payments"}}, {{"Key": "cost-center", "Value": "cc-{i}"}}]
      }}
    }}"#
            ));
        }
        let text = format!("{{\n  \"AWSTemplateFormatVersion\": \"2010-09-09\",\n  \"Resources\": {{{resources}\n  }}\n}}\n");
        // Best of five: the machine is shared, the minimum is the signal.
        let mut secs = f64::MAX;
        for _ in 0..5 {
            let start = std::time::Instant::now();
            let doc = p(&text);
            secs = secs.min(start.elapsed().as_secs_f64());
            let resources = doc.get("Resources").and_then(Node::as_map);
            assert_eq!(resources.map(<[MapEntry]>::len), Some(20_000));
        }
        let mb = text.len() as f64 / 1e6;
        println!(
            "json::parse: {mb:.1} MB in {secs:.3} s = {:.0} MB/s",
            mb / secs
        );
    }
}
