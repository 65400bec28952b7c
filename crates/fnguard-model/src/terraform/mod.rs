//! Terraform HCL modules and plan JSON (`terraform show -json`).
//!
//! STUB: replaced by the Terraform loader.

use crate::model::{Deployment, SourceFormat};
use crate::LoadError;

/// Load one module: every `.tf` file of one folder, as (display path,
/// text). A file that does not parse gives an error and the others are
/// still loaded.
pub fn load_module(files: &[(String, String)]) -> (Option<Deployment>, Vec<LoadError>) {
    let paths = files.iter().map(|(p, _)| p.clone()).collect();
    (
        Some(Deployment::new(SourceFormat::Terraform, paths)),
        Vec::new(),
    )
}

/// Load a plan in `terraform show -json` form.
pub fn load_plan(path: &str, text: &str) -> Result<Deployment, LoadError> {
    let _ = text;
    Ok(Deployment::new(
        SourceFormat::TerraformPlan,
        vec![path.to_string()],
    ))
}
