//! `fnguard:ignore` comments, format-agnostic: YAML and HCL use `#`, HCL
//! also `//` and `/* */`. We look for the marker in comment text only, so a
//! string value containing it suppresses nothing.

use crate::model::InlineIgnore;
use fnguard_core::{FileId, Loc};

const MARKER: &str = "fnguard:ignore";

/// Find every `fnguard:ignore RULE[,RULE...] [reason]` comment in `text`.
pub fn scan(text: &str, file: FileId) -> Vec<InlineIgnore> {
    if !text.contains(MARKER) {
        return Vec::new();
    }
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let Some(comment_start) = comment_start(line) else {
            continue;
        };
        let comment = &line[comment_start..];
        let Some(marker_at) = comment.find(MARKER) else {
            continue;
        };
        let rest = comment[marker_at + MARKER.len()..].trim_start_matches(':');
        let rest = rest.trim().trim_end_matches("*/").trim();
        let (ids_part, reason) = match rest.find(char::is_whitespace) {
            Some(split) => (&rest[..split], rest[split..].trim()),
            None => (rest, ""),
        };
        let rule_ids: Vec<String> = ids_part
            .split(',')
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .map(str::to_ascii_uppercase)
            .collect();
        if rule_ids.is_empty() {
            continue;
        }
        let line_no = index as u32 + 1;
        let trails_code = !line[..comment_start].trim().is_empty();
        let target_line = if trails_code {
            line_no
        } else {
            lines
                .iter()
                .enumerate()
                .skip(index + 1)
                .find(|(_, l)| {
                    let t = l.trim_start();
                    !(t.is_empty() || t.starts_with('#') || t.starts_with("//"))
                })
                .map(|(i, _)| i as u32 + 1)
                .unwrap_or(line_no)
        };
        let reason = reason.trim_start_matches(['-', ':']).trim();
        found.push(InlineIgnore {
            rule_ids,
            reason: (!reason.is_empty()).then(|| reason.to_string()),
            loc: Loc::new(file, line_no, comment_start as u32 + 1),
            target_line,
        });
    }
    found
}

/// Byte offset where a comment starts on this line, skipping `#` and `//`
/// inside quoted strings.
fn comment_start(line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) => {
                if b == b'\\' && q == b'"' {
                    i += 1;
                } else if b == q {
                    quote = None;
                }
            }
            None => match b {
                b'"' | b'\'' => quote = Some(b),
                b'#' if i == 0 || bytes[i - 1].is_ascii_whitespace() => return Some(i),
                b'/' if bytes.get(i + 1) == Some(&b'/') || bytes.get(i + 1) == Some(&b'*') => {
                    return Some(i)
                }
                _ => {}
            },
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_comments_and_targets() {
        let text = "Resources:\n  # fnguard:ignore FG-TRIG-002 public by design\n\n  Fn:\n    Type: x # fnguard:ignore fg-log-001,FG-MON-001\n    Url: \"# fnguard:ignore FG-SEC-001 not a comment\"\n";
        let found = scan(text, 3);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].rule_ids, vec!["FG-TRIG-002"]);
        assert_eq!(found[0].reason.as_deref(), Some("public by design"));
        assert_eq!(found[0].target_line, 4);
        assert_eq!(found[0].loc, Loc::new(3, 2, 3));
        assert_eq!(found[1].rule_ids, vec!["FG-LOG-001", "FG-MON-001"]);
        assert_eq!(found[1].target_line, 5);
        assert_eq!(found[1].reason, None);
    }

    #[test]
    fn hcl_comment_styles() {
        let text = "// fnguard:ignore FG-NET-001 edge function\nresource \"aws_lambda_function\" \"f\" {\n  /* fnguard:ignore FG-RT-002 */\n  x = 1\n}\n";
        let found = scan(text, 0);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].target_line, 2);
        assert_eq!(found[1].rule_ids, vec!["FG-RT-002"]);
        assert_eq!(found[1].target_line, 4);
    }

    #[test]
    fn marker_without_rule_is_ignored() {
        assert!(scan("# fnguard:ignore\n", 0).is_empty());
        assert!(scan("a: b\n", 0).is_empty());
    }
}
