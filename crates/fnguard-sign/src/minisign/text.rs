//! The line structure shared by minisign's three file kinds: comment lines
//! with a fixed prefix and base64 lines of a fixed decoded length.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::FormatError;

pub(crate) const UNTRUSTED_PREFIX: &str = "untrusted comment: ";
pub(crate) const TRUSTED_PREFIX: &str = "trusted comment: ";

/// The longest untrusted comment (after its prefix) that `minisign -V`
/// 0.11 reads: its line buffer holds 1024 bytes with the prefix, the line
/// feed and the terminating NUL.
pub const UNTRUSTED_COMMENT_MAX: usize = 1024 - UNTRUSTED_PREFIX.len() - 2;
/// The longest trusted comment (after its prefix), on the same rule with
/// minisign's 8192-byte buffer.
pub const TRUSTED_COMMENT_MAX: usize = 8192 - TRUSTED_PREFIX.len() - 2;

/// A file's lines, numbered from 1, with `\n` or `\r\n` endings removed.
pub(crate) struct Lines<'a> {
    lines: Vec<&'a str>,
}

impl<'a> Lines<'a> {
    pub(crate) fn new(text: &'a str) -> Lines<'a> {
        let mut lines: Vec<&str> = text
            .split('\n')
            .map(|line| line.strip_suffix('\r').unwrap_or(line))
            .collect();
        // Blank lines at the end (the final line feed gives one) carry nothing.
        while lines.last().is_some_and(|line| line.trim().is_empty()) {
            lines.pop();
        }
        Lines { lines }
    }

    pub(crate) fn len(&self) -> usize {
        self.lines.len()
    }

    /// Line `number` (1-based), or an error naming what was expected there.
    pub(crate) fn get(&self, number: usize, expected: &str) -> Result<&'a str, FormatError> {
        self.lines
            .get(number - 1)
            .copied()
            .ok_or_else(|| FormatError::new(number, format!("missing: expected {expected}")))
    }

    /// Refuses anything after the `used` lines the format has.
    pub(crate) fn expect_end(&self, used: usize, what: &str) -> Result<(), FormatError> {
        if self.lines.len() > used {
            return Err(FormatError::new(
                used + 1,
                format!("unexpected text after the {used} lines of {what}"),
            ));
        }
        Ok(())
    }
}

/// The comment text of a line that must start with `prefix`, at most `max`
/// bytes long.
pub(crate) fn comment<'a>(
    line: &'a str,
    number: usize,
    prefix: &str,
    max: usize,
) -> Result<&'a str, FormatError> {
    let text = line.strip_prefix(prefix).ok_or_else(|| {
        FormatError::new(
            number,
            format!(
                "expected a line starting with {:?}, found {:?}",
                prefix,
                excerpt(line)
            ),
        )
    })?;
    check_comment(text, prefix.trim_end_matches([':', ' ']), max)
        .map_err(|message| FormatError::new(number, message))?;
    Ok(text)
}

/// Why `text` cannot be a comment of this kind: too long, or a line break
/// (which would end the line in the file and change the format).
pub(crate) fn check_comment(text: &str, kind: &str, max: usize) -> Result<(), String> {
    if text.len() > max {
        return Err(format!(
            "{kind} is {} bytes long, the limit is {max} (minisign reads no more)",
            text.len()
        ));
    }
    if let Some(position) = text.find(['\n', '\r']) {
        return Err(format!("{kind} contains a line break at byte {position}"));
    }
    Ok(())
}

/// `text` as one comment line: line breaks become spaces, and the text is
/// cut (on a character boundary) to `max` bytes.
pub(crate) fn one_line(text: &str, max: usize) -> String {
    let mut line: String = text.replace(['\n', '\r'], " ");
    if line.len() > max {
        let mut end = max;
        while !line.is_char_boundary(end) {
            end -= 1;
        }
        line.truncate(end);
    }
    line
}

/// The base64 line `number`, decoded to exactly `N` bytes.
pub(crate) fn decode_fixed<const N: usize>(
    line: &str,
    number: usize,
    what: &str,
) -> Result<[u8; N], FormatError> {
    let trimmed = line.trim_matches([' ', '\t']);
    if trimmed.is_empty() {
        return Err(FormatError::new(
            number,
            format!("empty line, expected {what} in base64"),
        ));
    }
    // A valid line encodes at most N bytes: refuse long lines before
    // decoding them.
    let max_chars = N.div_ceil(3) * 4;
    if trimmed.len() > max_chars {
        return Err(FormatError::new(
            number,
            format!(
                "{} characters of base64, {what} takes {max_chars} ({N} bytes)",
                trimmed.len()
            ),
        ));
    }
    let bytes = STANDARD.decode(trimmed).map_err(|error| {
        FormatError::new(number, format!("{what} is not valid base64: {error}"))
    })?;
    bytes.as_slice().try_into().map_err(|_| {
        FormatError::new(
            number,
            format!("{what} decodes to {} bytes, expected {N}", bytes.len()),
        )
    })
}

pub(crate) fn encode(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// The start of a line for an error message: no more than 40 characters.
pub(crate) fn excerpt(line: &str) -> String {
    match line.char_indices().nth(40) {
        Some((end, _)) => format!("{}...", &line[..end]),
        None => line.to_string(),
    }
}

/// A two-byte algorithm tag for error messages: text when printable.
pub(crate) fn tag(bytes: [u8; 2]) -> String {
    if bytes.iter().all(|b| b.is_ascii_graphic()) {
        format!("{:?}", String::from_utf8_lossy(&bytes))
    } else {
        format!("0x{:02x}{:02x}", bytes[0], bytes[1])
    }
}
