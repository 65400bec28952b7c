//! Loaders: every supported input format becomes a [`model::Deployment`].

pub mod cfn;
pub mod discover;
pub mod inline;
pub mod json;
pub mod model;
pub mod serverless;
pub mod terraform;
pub mod yaml;

pub use model::*;

use fnguard_core::{FileId, Node, SourceRef};

/// Parse a JSON or YAML document. Text that looks like JSON goes to the fast
/// JSON parser; if that fails but YAML (a superset) accepts it, the YAML
/// tree is used, otherwise the JSON error is reported.
pub fn parse_document(text: &str, file: FileId, path: &str) -> Result<Node, LoadError> {
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        match json::parse(text, file, path) {
            Ok(node) => Ok(node),
            Err(json_error) => yaml::parse(text, file, path).map_err(|_| json_error),
        }
    } else {
        yaml::parse(text, file, path)
    }
}

/// An input that could not be loaded: names the file and the position.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{path}:{line}:{col}: {message}")]
pub struct LoadError {
    pub path: String,
    pub line: u32,
    pub col: u32,
    pub message: String,
}

impl LoadError {
    pub fn new(path: impl Into<String>, line: u32, col: u32, message: impl Into<String>) -> Self {
        LoadError {
            path: path.into(),
            line,
            col,
            message: message.into(),
        }
    }

    pub fn source_ref(&self) -> SourceRef {
        SourceRef::new(self.path.clone(), self.line, self.col)
    }
}
