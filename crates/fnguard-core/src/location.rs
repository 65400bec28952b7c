use serde::{Deserialize, Serialize};
use std::fmt;

/// Index of a source file within one deployment unit's file table
/// (`fnguard_model::Deployment::files`). Keeping an index instead of a path
/// in every node keeps the document tree small on 50 MB templates.
pub type FileId = u32;

/// A position in a source file: 1-based line and column (column counts
/// characters, as editors and SARIF do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Loc {
    pub file: FileId,
    pub line: u32,
    pub col: u32,
}

impl Loc {
    pub const fn new(file: FileId, line: u32, col: u32) -> Self {
        Loc { file, line, col }
    }
}

/// A resolved location as shown to users: a display path (relative to the
/// scan root where possible) and a position, or a cloud resource identifier
/// for live scans.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SourceRef {
    pub path: String,
    pub line: u32,
    pub col: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_col: Option<u32>,
}

impl SourceRef {
    pub fn new(path: impl Into<String>, line: u32, col: u32) -> Self {
        SourceRef {
            path: path.into(),
            line,
            col,
            end_line: None,
            end_col: None,
        }
    }
}

impl fmt::Display for SourceRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.path)
        } else {
            write!(f, "{}:{}:{}", self.path, self.line, self.col)
        }
    }
}

/// The 1-based line and column (in characters) of byte `offset` in
/// `text`, for errors in settings files (TOML spans are byte ranges). An
/// offset past the end or inside a character is moved back to a
/// character boundary.
pub fn line_col(text: &str, offset: usize) -> (u32, u32) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.bytes().filter(|&b| b == b'\n').count() as u32 + 1;
    let line_start = before.rfind('\n').map_or(0, |p| p + 1);
    let col = before[line_start..].chars().count() as u32 + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters() {
        assert_eq!(line_col("ab\n中文x", 9), (2, 3));
        assert_eq!(line_col("", 5), (1, 1));
    }
}

/// A problem at a place in an input file (a settings file, a rule, a log
/// line), shown as `file:line:col: message`; `line` 0 when the problem
/// has no position (an unreadable file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    pub file: String,
    /// 1-based; 0 when the problem has no position.
    pub line: u64,
    pub col: u64,
    pub message: String,
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.file, self.line, self.col, self.message
            )
        }
    }
}
