//! CloudTrail's S3 delivery writes each file as one line,
//! `{"Records":[{...},{...}]}`. To refuse records from their raw text, as
//! JSON lines are, the records' byte spans are found without parsing them:
//! a scan that only tracks strings and bracket depth. Anything it does not
//! expect gives `None`, and the caller parses the line the ordinary way
//! (which reports a malformed one with its position).

/// The byte spans of the elements of the `Records` array, when `line` is a
/// `{"Records":[...]}` wrapper with no other key.
pub(super) fn record_spans(line: &[u8]) -> Option<Vec<(usize, usize)>> {
    let mut at = skip_blanks(line, 0);
    at = expect(line, at, b'{')?;
    at = skip_blanks(line, at);
    let key = b"\"Records\"";
    if !line[at..].starts_with(key) {
        return None;
    }
    at = skip_blanks(line, at + key.len());
    at = expect(line, at, b':')?;
    at = skip_blanks(line, at);
    at = expect(line, at, b'[')?;
    let mut spans = Vec::new();
    at = skip_blanks(line, at);
    if line.get(at) == Some(&b']') {
        at += 1;
    } else {
        loop {
            let start = at;
            let end = value_end(line, start)?;
            spans.push((start, end));
            at = skip_blanks(line, end);
            match line.get(at)? {
                b',' => at = skip_blanks(line, at + 1),
                b']' => {
                    at += 1;
                    break;
                }
                _ => return None,
            }
        }
    }
    at = skip_blanks(line, at);
    at = expect(line, at, b'}')?;
    (skip_blanks(line, at) == line.len()).then_some(spans)
}

fn skip_blanks(line: &[u8], mut at: usize) -> usize {
    while line
        .get(at)
        .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
    {
        at += 1;
    }
    at
}

fn expect(line: &[u8], at: usize, byte: u8) -> Option<usize> {
    (line.get(at) == Some(&byte)).then_some(at + 1)
}

/// Where the object or array starting at `start` ends (one past its
/// closing bracket); records are objects, anything else gives `None`.
fn value_end(line: &[u8], start: usize) -> Option<usize> {
    if line.get(start) != Some(&b'{') {
        return None;
    }
    let mut depth = 0usize;
    let mut at = start;
    loop {
        // Only quotes and brackets matter; the rest is skipped by memchr.
        let offset = memchr::memchr3(b'"', b'{', b'}', &line[at..])
            .into_iter()
            .chain(memchr::memchr2(b'[', b']', &line[at..]))
            .min()?;
        at += offset;
        match line[at] {
            b'"' => at = string_end(line, at + 1)?,
            b'{' | b'[' => {
                depth += 1;
                at += 1;
            }
            _ => {
                depth = depth.checked_sub(1)?;
                at += 1;
                if depth == 0 {
                    return Some(at);
                }
            }
        }
    }
}

/// One past the quote that closes a string whose text starts at `at`.
fn string_end(line: &[u8], mut at: usize) -> Option<usize> {
    loop {
        at += memchr::memchr2(b'"', b'\\', &line[at..])?;
        if line[at] == b'"' {
            return Some(at + 1);
        }
        // An escape: the next byte is taken whatever it is.
        at += 2;
        if at > line.len() {
            return None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(line: &str) -> Option<Vec<&str>> {
        record_spans(line.as_bytes())
            .map(|spans| spans.iter().map(|(s, e)| &line[*s..*e]).collect())
    }

    #[test]
    fn records_are_found_with_strings_and_nesting_respected() {
        let line = r#"{"Records":[{"a":"x}]\"{","b":[1,{"c":[]}]},{"d":"[" } , {}]}"#;
        assert_eq!(
            texts(line).unwrap(),
            [r#"{"a":"x}]\"{","b":[1,{"c":[]}]}"#, r#"{"d":"[" }"#, "{}"]
        );
        assert_eq!(
            texts(r#" { "Records" : [ ] } "#).unwrap(),
            Vec::<&str>::new()
        );
    }

    #[test]
    fn anything_unexpected_is_left_to_the_parser() {
        for line in [
            r#"{"Records":[{"a":1}]"#,          // cut short
            r#"{"Records":[{"a":1}],"x":2}"#,   // another key
            r#"{"x":2,"Records":[{"a":1}]}"#,   // Records not first
            r#"{"Records":[1,2]}"#,             // not objects
            r#"{"Records":[{"a":"open]}"#,      // unterminated string
            r#"{"Records":[{"a":1}}]}"#,        // unbalanced
            r#"{"Records":[{"a":1} {"b":2}]}"#, // no comma
            r#"{"Records":{"a":1}}"#,           // not an array
            r#"{"Records":[{"a":"\"#,           // escape at the end
        ] {
            assert_eq!(record_spans(line.as_bytes()), None, "{line}");
        }
    }
}
