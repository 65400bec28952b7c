//! Terraform HCL modules and plan JSON (`terraform show -json`).
//!
//! Both inputs become evaluated resources (`Res`): HCL through the
//! module-local evaluator in `hcl`, plans from `planned_values` completed
//! with `configuration` references in `plan`. One builder turns them into
//! the model, so a rule sees the same thing whichever the user scans.
//!
//! Choices worth knowing:
//! * Module-local: `module` blocks are not followed; their outputs are unknown.
//! * Variables use their `default`; `terraform.tfvars` and `*.auto.tfvars`
//!   given among the files override it (they are part of the scanned repo).
//! * `file()`/`templatefile()` are unknown: no file is read.
//! * `count`/`for_each` resources are one element with the plain address
//!   (`each.*`/`count.index` are unknown); one whose `count` is 0 or whose
//!   `for_each` is empty by the module's own values is not created and not
//!   modelled.
//! * A `dynamic` block makes that block unknown, whatever its `for_each`.
//! * Module calls are not followed; an API handed to one has unknown WAF,
//!   throttling, validation and access logging (they may be set there).
//! * Plans: sensitive values (`sensitive_values`) are never kept; `null`
//!   means unset; instances (`x.y["k"]`, `module.m[0].x.y`) are separate
//!   elements and references go to the instance with the same key in the
//!   same module instance; a child module's `var.x` follows its call; blocks
//!   the provider fills in when the configuration omits them
//!   (`logging_config`, `tracing_config`...) read as absent; a policy
//!   document read at apply time is rebuilt from its planned statements.
//!   State JSON (`values` instead of `planned_values`) reads the same way.

mod build;
mod fast;
mod hcl;
mod json_syntax;
mod plan;
mod syntax;
mod value;

use crate::model::{Deployment, Parameter, SourceFormat};
use crate::LoadError;
use fnguard_core::{Field, FileId, Loc};
use value::V;

/// One resource or data source, evaluated.
#[derive(Debug, Clone)]
pub(crate) struct Res {
    /// `aws_lambda_function.f`, `data.aws_iam_policy_document.p`,
    /// `module.m.aws_iam_role.r` (plans).
    pub addr: String,
    pub rtype: String,
    /// A data source (`data.` or `module.m.data.`): read, never created.
    /// Known once here; the builder filters on it over every resource
    /// many times.
    pub is_data: bool,
    pub loc: Loc,
    /// Attributes; nested blocks are lists of maps under their name.
    pub body: V,
    /// Addresses of the resources and data sources the body refers to.
    pub refs: Vec<String>,
}

/// Load one module: every `.tf` (and `.tf.json`) file of one folder, as (display path,
/// text). A file that does not parse gives an error and the others are
/// still loaded. `terraform.tfvars`/`*.auto.tfvars` among `files` set
/// variable values; other files are ignored.
pub fn load_module(files: &[(String, String)]) -> (Option<Deployment>, Vec<LoadError>) {
    let mut errors = Vec::new();
    // JSON-syntax files (`*.tf.json`, CDK for Terraform output) are read
    // as the native HCL they stand for.
    let converted: Vec<Option<String>> = files
        .iter()
        .enumerate()
        .map(|(i, (path, text))| {
            if !path.ends_with(".tf.json") {
                return None;
            }
            let node = match crate::parse_document(text, i as FileId, path) {
                Ok(node) => node,
                Err(err) => {
                    errors.push(err);
                    return None;
                }
            };
            match json_syntax::to_hcl(&node) {
                Ok(hcl) => Some(hcl),
                Err(why) => {
                    errors.push(LoadError::new(
                        path.clone(),
                        node.loc.line,
                        node.loc.col,
                        why,
                    ));
                    None
                }
            }
        })
        .collect();
    let mut parsed = Vec::with_capacity(files.len());
    for (i, (path, text)) in files.iter().enumerate() {
        let id = i as FileId;
        let tfvars = path.ends_with("terraform.tfvars") || path.ends_with(".auto.tfvars");
        let (text, lines): (&str, _) = match (&converted[i], path.ends_with(".tf.json")) {
            (Some(hcl), _) => (
                hcl,
                hcl::LineIndex::generated(hcl, text.lines().count() as u32),
            ),
            // Unreadable JSON: already reported.
            (None, true) => continue,
            (None, false) => (text.as_str(), hcl::LineIndex::new(text)),
        };
        // The fast reader covers common HCL; hcl-edit reads the rest and
        // reports errors.
        let body = match fast::parse_body(text) {
            Some(body) => Ok(body),
            None => hcl_edit::parser::parse_body(text).map(|b| syntax::Body::from_hcl(&b)),
        };
        match body {
            Ok(body) => parsed.push(hcl::ParsedFile {
                id,
                lines,
                body,
                tfvars,
            }),
            Err(err) => {
                let location = err.location();
                errors.push(LoadError::new(
                    path.clone(),
                    location.line() as u32,
                    location.column() as u32,
                    format!("invalid HCL: {}", err.message()),
                ));
            }
        }
    }
    if parsed.is_empty() && !files.is_empty() && !errors.is_empty() {
        return (None, errors);
    }
    let paths: Vec<String> = files.iter().map(|(p, _)| p.clone()).collect();
    let mut dep = Deployment::new(SourceFormat::Terraform, paths);
    let module = hcl::Module::new(&parsed);
    let eval = hcl::Eval::new(&module);
    let resources = eval.resources();
    build::build(&mut dep, &resources);
    // An API handed to a module may get its stage, throttling, logging or
    // WAF association there: what this folder does not set is unknown.
    for (loc, refs) in eval.module_call_refs() {
        for api in dep.apis.iter_mut().filter(|a| refs.contains(&a.id)) {
            for field in [
                &mut api.waf,
                &mut api.throttling,
                &mut api.request_validation,
                &mut api.access_logging,
            ] {
                if field.is_absent() {
                    *field = Field::Unknown(loc);
                }
            }
        }
    }
    for (loc, message) in &module.malformed {
        dep.warnings.push(crate::model::LoadWarning {
            loc: *loc,
            message: message.clone(),
        });
    }
    for var in &module.vars {
        let default = match eval.var_default(var) {
            None => Field::Absent,
            Some(v) => match v.scalar() {
                Some(s) => Field::Known(s, v.loc),
                None if v.is_null() => Field::Absent,
                None => Field::Unknown(v.loc),
            },
        };
        dep.parameters.push(Parameter {
            id: format!("var.{}", var.name),
            loc: module.loc_of(var.file, var.block.start),
            default,
            no_echo: var.sensitive,
            ignores: Vec::new(),
        });
    }
    for (i, (_, text)) in files.iter().enumerate() {
        dep.inline_ignores
            .extend(crate::inline::scan(text, i as FileId));
    }
    (Some(dep), errors)
}

/// Load a plan in `terraform show -json` form.
pub fn load_plan(path: &str, text: &str) -> Result<Deployment, LoadError> {
    let root = crate::parse_document(text, 0, path)?;
    plan::load(path, &root)
}
