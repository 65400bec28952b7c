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

use fnguard_core::SourceRef;

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
