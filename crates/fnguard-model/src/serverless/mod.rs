//! Serverless Framework v3/v4 `serverless.yml` (AWS provider).
//!
//! STUB: replaced by the Serverless Framework loader.

use crate::model::{Deployment, SourceFormat};
use crate::LoadError;

pub fn load(path: &str, text: &str) -> Result<Deployment, LoadError> {
    let _ = crate::yaml::parse(text, 0, path)?;
    Ok(Deployment::new(
        SourceFormat::Serverless,
        vec![path.to_string()],
    ))
}
