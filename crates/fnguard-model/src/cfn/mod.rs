//! CloudFormation (JSON and YAML, long and short intrinsic forms) and AWS SAM.
//!
//! STUB: replaced by the CloudFormation/SAM loader.

pub mod sam;

use crate::model::{Deployment, SourceFormat};
use crate::LoadError;
use fnguard_core::Node;

/// Load a CloudFormation or SAM template (JSON or YAML). `path` is the
/// display path used in locations and errors.
pub fn load(path: &str, text: &str) -> Result<Deployment, LoadError> {
    let root = crate::yaml::parse(text, 0, path)?;
    load_from_root(&root, vec![path.to_string()], SourceFormat::CloudFormation)
}

/// Build the model from an already-parsed template root (a map with
/// `Resources`, optionally `Parameters`, `Conditions`, `Globals`...). The
/// Serverless loader uses this for `resources:`. `files[0]` is the file the
/// root came from.
pub fn load_from_root(
    root: &Node,
    files: Vec<String>,
    format: SourceFormat,
) -> Result<Deployment, LoadError> {
    let _ = root;
    Ok(Deployment::new(format, files))
}
