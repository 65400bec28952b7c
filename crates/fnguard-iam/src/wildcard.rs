//! IAM wildcard matching: `*` (any run of characters, possibly empty) and
//! `?` (exactly one character), as used in `Action`, `Resource` and the
//! `*Like` condition operators.
//!
//! Matching is iterative with a single backtrack point, so a hostile pattern
//! such as `*a*a*a*a*b` costs at most pattern × text steps, never
//! exponential time.

/// Does `pattern` match all of `text`? `ignore_case` folds ASCII case only:
/// IAM names are ASCII, and ARNs are compared case-sensitively.
pub fn wildcard_match(pattern: &str, text: &str, ignore_case: bool) -> bool {
    let p = pattern.as_bytes();
    let t = text.as_bytes();
    // The literal head of the pattern must equal the text's head: compared
    // directly, most calls end here (an early mismatch, a literal pattern,
    // or a literal prefix with one trailing star such as `s3:Get*`).
    let mut i = 0;
    loop {
        match p.get(i) {
            None => return i == t.len(),
            Some(b'*' | b'?') => break,
            Some(&c) => {
                if !t.get(i).is_some_and(|&b| same_byte(c, b, ignore_case)) {
                    return false;
                }
                i += 1;
            }
        }
    }
    if p[i] == b'*' && i + 1 == p.len() {
        return true;
    }
    // Before the first wildcard there is no backtrack point: the rest is
    // matched on its own.
    backtracking_match(&p[i..], &t[i..], ignore_case)
}

fn same_byte(a: u8, b: u8, ignore_case: bool) -> bool {
    if ignore_case {
        a.eq_ignore_ascii_case(&b)
    } else {
        a == b
    }
}

/// The general matcher, for any pattern.
fn backtracking_match(p: &[u8], t: &[u8], ignore_case: bool) -> bool {
    let same = |a: u8, b: u8| same_byte(a, b, ignore_case);
    let (mut pi, mut ti) = (0usize, 0usize);
    // Position after the last `*` in the pattern, and where in the text that
    // star's match currently ends.
    let mut backtrack: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some(b'*') => {
                pi += 1;
                backtrack = Some((pi, ti));
                continue;
            }
            Some(b'?') => {
                pi += 1;
                ti += utf8_width(t[ti]);
                continue;
            }
            Some(&c) if same(c, t[ti]) => {
                pi += 1;
                ti += 1;
                continue;
            }
            _ => {}
        }
        match backtrack {
            Some((after_star, star_end)) => {
                // Let the star swallow one more character and retry.
                let next = star_end + utf8_width(t[star_end]);
                backtrack = Some((after_star, next));
                pi = after_star;
                ti = next;
            }
            None => return false,
        }
    }
    p[pi.min(p.len())..].iter().all(|&c| c == b'*')
}

/// Byte length of the UTF-8 sequence starting with `first` (1 for a stray
/// continuation byte, which valid `&str` never starts a char with).
fn utf8_width(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

/// Does an `Action` pattern (`s3:Get*`, `*`) match an action name? Action
/// names are case-insensitive in IAM.
pub fn action_matches(pattern: &str, action: &str) -> bool {
    wildcard_match(pattern, action, true)
}

/// Does a `Resource` (or `ArnLike`) pattern match an ARN? Each of the six
/// colon-separated ARN parts is matched on its own, so a wildcard in the
/// region never swallows the account; the last part (the resource) may hold
/// further colons. Colons inside `${...}` placeholders (such as
/// `${AWS::AccountId}`) do not separate parts. Strings that are not ARNs are
/// matched as a whole. Case-sensitive, as AWS compares ARNs.
pub fn arn_matches(pattern: &str, arn: &str) -> bool {
    ArnTarget::new(arn).matched_by(pattern)
}

/// An ARN taken apart once, to be matched against many patterns (every
/// `Resource` of every statement of a role).
#[derive(Debug, Clone, Copy)]
pub struct ArnTarget<'a> {
    text: &'a str,
    parts: Option<[&'a str; 6]>,
}

impl<'a> ArnTarget<'a> {
    pub fn new(arn: &'a str) -> Self {
        ArnTarget {
            text: arn,
            parts: arn_parts(arn),
        }
    }

    /// `arn_matches(pattern, arn)`.
    pub fn matched_by(&self, pattern: &str) -> bool {
        if pattern == "*" {
            return true;
        }
        // A text that is no ARN is matched whole, whatever the pattern's
        // shape; and a pattern matches itself (each wildcard its own
        // character), so an equal ARN needs no splitting.
        let Some(a) = self.parts else {
            return wildcard_match(pattern, self.text, false);
        };
        if pattern == self.text {
            return true;
        }
        match arn_parts(pattern) {
            Some(p) => p
                .iter()
                .zip(a.iter())
                .all(|(p, a)| wildcard_match(p, a, false)),
            None => wildcard_match(pattern, self.text, false),
        }
    }
}

/// Split `arn:partition:service:region:account:resource` into its six parts;
/// `None` when the text is not shaped like an ARN.
pub fn arn_parts(text: &str) -> Option<[&str; 6]> {
    if !text.starts_with("arn:") {
        return None;
    }
    let bytes = text.as_bytes();
    let mut parts = [""; 6];
    let mut start = 0usize;
    let mut found = 0usize;
    let mut depth = 0usize;
    let mut i = 0usize;
    while i < bytes.len() && found < 5 {
        match bytes[i] {
            b'$' if bytes.get(i + 1) == Some(&b'{') => {
                depth += 1;
                i += 1;
            }
            b'}' if depth > 0 => depth -= 1,
            b':' if depth == 0 => {
                parts[found] = &text[start..i];
                found += 1;
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if found < 5 {
        return None;
    }
    parts[5] = &text[start..];
    Some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stars_and_question_marks() {
        assert!(wildcard_match("*", "", false));
        assert!(wildcard_match("*", "anything", false));
        assert!(wildcard_match("s3:Get*", "s3:GetObject", false));
        assert!(wildcard_match("s3:*Object", "s3:PutObject", false));
        assert!(!wildcard_match("s3:*Object", "s3:PutObjectAcl", false));
        assert!(wildcard_match("s3:?etObject", "s3:GetObject", false));
        assert!(!wildcard_match("s3:?etObject", "s3:etObject", false));
        assert!(wildcard_match("a*b*c", "aXXbYYc", false));
        assert!(!wildcard_match("a*b*c", "aXXbYY", false));
        assert!(wildcard_match("a**", "a", false));
        assert!(!wildcard_match("", "a", false));
        assert!(wildcard_match("", "", false));
        assert!(wildcard_match("?", "é", false));
        assert!(wildcard_match("x*é*z", "xaébz", false));
    }

    #[test]
    fn case_folding_only_when_asked() {
        assert!(action_matches("S3:getobject", "s3:GetObject"));
        assert!(action_matches("IAM:Pass*", "iam:PassRole"));
        assert!(!wildcard_match("S3:getobject", "s3:GetObject", false));
    }

    #[test]
    fn hostile_pattern_is_fast() {
        let text = "a".repeat(5000);
        let pattern = format!("{}b", "*a".repeat(50));
        let started = std::time::Instant::now();
        assert!(!wildcard_match(&pattern, &text, false));
        assert!(started.elapsed().as_secs() < 2);
    }

    #[test]
    fn arns_match_part_by_part() {
        assert!(arn_matches("*", "arn:aws:s3:::bucket"));
        assert!(arn_matches(
            "arn:aws:s3:::bucket/*",
            "arn:aws:s3:::bucket/key/x"
        ));
        assert!(!arn_matches(
            "arn:aws:s3:::bucket/*",
            "arn:aws:s3:::other/key"
        ));
        assert!(arn_matches(
            "arn:aws:dynamodb:*:*:table/Orders",
            "arn:aws:dynamodb:eu-west-1:123456789012:table/Orders"
        ));
        // A star in the region part must not eat the account part.
        assert!(!arn_matches(
            "arn:aws:logs:*:111111111111:*",
            "arn:aws:logs:eu-west-1:222222222222:log-group:x"
        ));
        // The resource part keeps its colons.
        assert!(arn_matches(
            "arn:aws:logs:*:*:log-group:/aws/lambda/*",
            "arn:aws:logs:us-east-1:1:log-group:/aws/lambda/f:*"
        ));
        // ARNs are case-sensitive.
        assert!(!arn_matches("arn:aws:s3:::Bucket", "arn:aws:s3:::bucket"));
        // `*` as a query stands for "any resource": only `*` covers it.
        assert!(!arn_matches("arn:aws:s3:::*", "*"));
    }

    /// Every pattern and text built from a small alphabet (wildcards,
    /// colons, case, a multi-byte char), up to a few bytes long.
    fn samples(len: usize) -> Vec<String> {
        const ALPHABET: [&str; 7] = ["a", "A", "b", ":", "*", "?", "é"];
        let mut all = vec![String::new()];
        let mut last = vec![String::new()];
        for _ in 0..len {
            last = last
                .iter()
                .flat_map(|s| ALPHABET.iter().map(move |c| format!("{s}{c}")))
                .collect();
            all.extend(last.iter().cloned());
        }
        all
    }

    #[test]
    fn fast_paths_equal_the_backtracking_matcher() {
        let patterns = samples(4);
        let texts: Vec<String> = samples(4)
            .into_iter()
            .filter(|t| !t.contains(['*', '?']))
            .collect();
        for p in &patterns {
            for t in &texts {
                for ignore_case in [false, true] {
                    assert_eq!(
                        wildcard_match(p, t, ignore_case),
                        backtracking_match(p.as_bytes(), t.as_bytes(), ignore_case),
                        "{p:?} {t:?} {ignore_case}"
                    );
                }
            }
        }
    }

    /// The definition `ArnTarget` must keep: part by part for two ARNs,
    /// else the whole text.
    fn arn_matches_by_definition(pattern: &str, arn: &str) -> bool {
        if pattern == "*" {
            return true;
        }
        match (arn_parts(pattern), arn_parts(arn)) {
            (Some(p), Some(a)) => p
                .iter()
                .zip(a.iter())
                .all(|(p, a)| backtracking_match(p.as_bytes(), a.as_bytes(), false)),
            _ => backtracking_match(pattern.as_bytes(), arn.as_bytes(), false),
        }
    }

    #[test]
    fn arn_target_equals_the_definition() {
        let parts = ["", "*", "a", "a*", "?", "${x:y}", "b:c", "A"];
        let mut texts = vec!["*".to_string(), "arn:".to_string(), "x".to_string()];
        for p in parts {
            for q in parts {
                texts.push(format!("arn:aws:{p}:{q}::r"));
                texts.push(format!("arn:{p}:s3:{q}:1:{p}{q}"));
                texts.push(format!("{p}:{q}"));
            }
        }
        for pattern in &texts {
            for arn in &texts {
                assert_eq!(
                    ArnTarget::new(arn).matched_by(pattern),
                    arn_matches_by_definition(pattern, arn),
                    "{pattern:?} {arn:?}"
                );
            }
        }
    }

    #[test]
    fn placeholders_keep_their_colons() {
        let arn = "arn:aws:sqs:${AWS::Region}:${AWS::AccountId}:queue";
        let parts = arn_parts(arn).unwrap();
        assert_eq!(parts[3], "${AWS::Region}");
        assert_eq!(parts[4], "${AWS::AccountId}");
        assert_eq!(parts[5], "queue");
        assert!(arn_matches("arn:aws:sqs:*:${AWS::AccountId}:*", arn));
        assert!(arn_parts("arn:aws:s3").is_none());
    }
}
