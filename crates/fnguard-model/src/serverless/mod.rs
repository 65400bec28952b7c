//! Serverless Framework v3/v4 `serverless.yml` (AWS provider).
//!
//! Built as a transform, like the framework itself: variables are resolved
//! (only from the file: see the `vars` module for why external sources never are),
//! the service is compiled into the CloudFormation template the framework
//! would package, `resources:` is merged over it, and the CloudFormation
//! loader builds the model. Generated resources carry
//! `Metadata.fnguard.implicit` and the location of the serverless.yml
//! element they come from; each function carries its serverless key in
//! `Metadata.fnguard.name`.
//!
//! Where the model differs from what the framework deploys, on purpose:
//! * CLI options are never known: `${opt:stage}` is its fallback, else
//!   `provider.stage`, else `dev`; `${env:}`, `${file()}`, `${ssm:}`,
//!   `${s3:}`, `${cf:}`, `${param:}` stay unknown even with a fallback
//!   (see the `vars` module); `provider.variableSyntax` is ignored.
//! * A function without `runtime` anywhere gets an unknown runtime (the
//!   framework's default changes with its version).
//! * A function's code (`Function::code`) is its `package.artifact`, else
//!   the service's, else the service folder `.` the framework zips (also
//!   with `package.individually`); `package.patterns`, which leave files
//!   out of that zip, are not applied. A layer's content is its
//!   `package.artifact`, else its `path`.
//! * REST `cors` adds one OPTIONS MOCK method per path, as deployed, with
//!   the settings of every event on that path merged (credentials allowed
//!   by one are allowed for all); SNS topics given by ARN and generated topics both get an
//!   `AWS::SNS::Subscription`; integration URIs and source ARNs use
//!   `Fn::Sub` where the framework uses `Fn::Join`.
//! * `resources` merges maps key by key and replaces lists (lodash merges
//!   lists index by index); a resource the user redeclares with a `Type` is
//!   no longer marked implicit.
//! * Common plugins are honoured when listed in `plugins`:
//!   serverless-iam-roles-per-function (function `iamRoleStatements`, also
//!   without the plugin line), serverless-plugin-aws-alerts,
//!   serverless-api-gateway-throttling, serverless-associate-waf,
//!   serverless-plugin-log-retention.

mod build;
mod compile;
mod vars;

use crate::model::{Deployment, LoadWarning, SourceFormat};
use crate::LoadError;
use fnguard_core::{Node, NodeKind};

/// The CloudFormation form of a service, with what could not be modelled.
#[derive(Debug, Clone)]
pub struct Transformed {
    pub template: Node,
    pub warnings: Vec<LoadWarning>,
}

pub fn load(path: &str, text: &str) -> Result<Deployment, LoadError> {
    let root = crate::parse_document(text, 0, path)?;
    let Transformed { template, warnings } = transform(root, path)?;
    let mut deployment = crate::cfn::load_from_owned_root(
        template,
        vec![path.to_string()],
        SourceFormat::Serverless,
    )?;
    deployment.warnings.extend(warnings);
    deployment.inline_ignores = crate::inline::scan(text, 0);
    Ok(deployment)
}

/// Resolve variables and compile the service into a CloudFormation
/// template tree.
pub fn to_cloudformation(root: &Node, path: &str) -> Result<Transformed, LoadError> {
    transform(root.clone(), path)
}

/// `to_cloudformation` of a tree it may resolve in place.
fn transform(root: Node, path: &str) -> Result<Transformed, LoadError> {
    let not_a_service = |message: &str| {
        LoadError::new(
            path,
            root.loc.line.max(1),
            root.loc.col.max(1),
            format!("not a Serverless Framework service: {message}"),
        )
    };
    if root.as_map().is_none() {
        return Err(not_a_service("the document is not a map"));
    }
    if root.get("service").is_none() {
        return Err(not_a_service("no `service`"));
    }
    let Some(provider) = root.get("provider") else {
        return Err(not_a_service("no `provider`"));
    };
    let provider_loc = provider.loc;
    let root_loc = root.loc;
    let (resolved, stage) = vars::resolve_service(root, provider_loc);
    let provider_name = resolved
        .path(&["provider", "name"])
        .and_then(Node::as_str)
        .unwrap_or("aws");
    if !provider_name.eq_ignore_ascii_case("aws") {
        let template = Node::new(NodeKind::Map(Vec::new()), root_loc);
        return Ok(Transformed {
            template,
            warnings: vec![LoadWarning {
                loc: provider_loc,
                message: format!(
                    "provider `{provider_name}` is not supported; only aws is scanned"
                ),
            }],
        });
    }
    // v1 allowed `service: {name: x}`.
    let service = match resolved.get("service") {
        Some(node) if node.as_map().is_some() => node
            .get("name")
            .cloned()
            .unwrap_or_else(|| Node::unknown("service name not given", node.loc)),
        Some(node) => node.clone(),
        None => Node::unknown("service name not given", root_loc),
    };
    let null = Node::new(NodeKind::Null, root_loc);
    let (template, warnings) = compile::Compiler::new(&resolved, &null, service, stage).compile();
    Ok(Transformed { template, warnings })
}
