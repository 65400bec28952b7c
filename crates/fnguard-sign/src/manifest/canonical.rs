//! The canonical JSON writer: object keys sorted (bytewise), no whitespace,
//! integers only, strings escaped as RFC 8785 (JCS) does: `"` and `\`, the
//! short forms `\b \f \n \r \t`, other control characters as `\u00xx`
//! (lowercase hex), everything else as raw UTF-8. Two equal values always
//! give the same bytes, and different values different bytes, so that the
//! signed bytes have one meaning.

/// A JSON value as the manifest needs them: no floats, no null, no
/// booleans.
pub(crate) enum Value<'a> {
    Str(&'a str),
    Int(u64),
    Array(Vec<Value<'a>>),
    /// Fields in any order: written sorted by key. Keys are unique.
    Object(Vec<(&'static str, Value<'a>)>),
}

impl Value<'_> {
    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        match self {
            Value::Str(text) => write_string(text, out),
            Value::Int(number) => out.extend_from_slice(number.to_string().as_bytes()),
            Value::Array(items) => {
                out.push(b'[');
                for (index, item) in items.iter().enumerate() {
                    if index > 0 {
                        out.push(b',');
                    }
                    item.write(out);
                }
                out.push(b']');
            }
            Value::Object(fields) => {
                let mut sorted: Vec<&(&str, Value)> = fields.iter().collect();
                sorted.sort_unstable_by_key(|(key, _)| key.as_bytes());
                out.push(b'{');
                for (index, (key, value)) in sorted.into_iter().enumerate() {
                    if index > 0 {
                        out.push(b',');
                    }
                    write_string(key, out);
                    out.push(b':');
                    value.write(out);
                }
                out.push(b'}');
            }
        }
    }
}

fn write_string(text: &str, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    for &byte in text.as_bytes() {
        match byte {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0..=0x1f => {
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(byte >> 4)]);
                out.push(HEX[usize::from(byte & 15)]);
            }
            // UTF-8 bytes of any other character, copied as they are.
            _ => out.push(byte),
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(value: &Value) -> String {
        let mut out = Vec::new();
        value.write(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn keys_are_sorted_and_output_is_compact() {
        let value = Value::Object(vec![
            ("zeta", Value::Int(1)),
            ("alpha", Value::Array(vec![Value::Str("x"), Value::Int(0)])),
            (
                "mid",
                Value::Object(vec![("b", Value::Int(2)), ("a", Value::Int(3))]),
            ),
        ]);
        assert_eq!(
            written(&value),
            r#"{"alpha":["x",0],"mid":{"a":3,"b":2},"zeta":1}"#
        );
    }

    #[test]
    fn strings_are_escaped_as_jcs_and_read_back_by_serde_json() {
        let text = "q\" b\\ \u{8}\u{c}\n\r\t \u{1} \u{1f} \u{7f} é \u{2028} 😀";
        let out = written(&Value::Str(text));
        assert_eq!(
            out,
            "\"q\\\" b\\\\ \\b\\f\\n\\r\\t \\u0001 \\u001f \u{7f} é \u{2028} 😀\""
        );
        let back: String = serde_json::from_str(&out).unwrap();
        assert_eq!(back, text);
    }

    #[test]
    fn large_integers_are_written_exactly() {
        assert_eq!(written(&Value::Int(1 << 53)), "9007199254740992");
        assert_eq!(written(&Value::Int(0)), "0");
    }
}
