//! CloudFormation (JSON and YAML, long and short intrinsic forms) and AWS SAM.
//!
//! `load` parses a template, hands SAM templates to the SAM transform, and
//! builds the model with `load_from_root`, which the SAM and Serverless
//! loaders also call with the CloudFormation trees they generate.

pub mod intrinsics;
mod openapi;
mod resources;

pub mod sam;

use crate::model::{Deployment, SourceFormat};
use crate::LoadError;
use fnguard_core::{Node, NodeKind};
use std::borrow::Cow;

const SAM_TRANSFORM: &str = "AWS::Serverless-2016-10-31";

/// Load a CloudFormation or SAM template (JSON or YAML). `path` is the
/// display path used in locations and errors.
pub fn load(path: &str, text: &str) -> Result<Deployment, LoadError> {
    let root = crate::parse_document(text, 0, path)?;
    check_root(&root, path)?;
    let (root, format) = if is_sam(&root) {
        (sam_transform(root, path)?, SourceFormat::Sam)
    } else {
        (root, SourceFormat::CloudFormation)
    };
    let mut dep = load_from_owned_root(root, vec![path.to_string()], format)?;
    dep.inline_ignores = crate::inline::scan(text, 0);
    Ok(dep)
}

fn sam_transform(root: Node, path: &str) -> Result<Node, LoadError> {
    sam::transform_owned(root).map_err(|e| LoadError::new(path, e.line, e.col, e.message))
}

/// A SAM template: declares the SAM transform or uses `AWS::Serverless::*`
/// resource types.
pub fn is_sam(root: &Node) -> bool {
    let declared = root.get("Transform").is_some_and(|t| {
        t.one_or_many()
            .iter()
            .any(|n| n.as_str() == Some(SAM_TRANSFORM))
    });
    declared
        || root
            .get("Resources")
            .and_then(Node::as_map)
            .is_some_and(|entries| {
                entries.iter().any(|e| {
                    e.value
                        .get("Type")
                        .and_then(Node::as_str)
                        .is_some_and(|t| t.starts_with("AWS::Serverless::"))
                })
            })
}

/// Only these make a template unusable; everything else is a warning.
fn check_root(root: &Node, path: &str) -> Result<(), LoadError> {
    let err = |node: &Node, msg: &str| Err(LoadError::new(path, node.loc.line, node.loc.col, msg));
    if root.as_map().is_none() {
        return err(root, "a CloudFormation template must be a map");
    }
    match root.get("Resources") {
        None => err(root, "the template has no Resources section"),
        Some(r) if r.as_map().is_none() && !matches!(r.kind, NodeKind::Null) => {
            err(r, "Resources must be a map")
        }
        Some(_) => Ok(()),
    }
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
    let path = files.first().cloned().unwrap_or_default();
    check_root(root, &path)?;
    Ok(resources::build(
        Cow::Borrowed(root),
        Deployment::new(format, files),
    ))
}

/// `load_from_root` for a tree the caller no longer needs: resolution
/// moves its properties instead of copying them.
pub fn load_from_owned_root(
    root: Node,
    files: Vec<String>,
    format: SourceFormat,
) -> Result<Deployment, LoadError> {
    let path = files.first().cloned().unwrap_or_default();
    check_root(&root, &path)?;
    Ok(resources::build(
        Cow::Owned(root),
        Deployment::new(format, files),
    ))
}

/// Rewrite short-form tags (`!Ref x`, `!GetAtt A.B`, `!Sub ...`) into the
/// long forms (`{Ref: x}`, `{"Fn::GetAtt": [A, B]}`, `{"Fn::Sub": ...}`)
/// everywhere in the tree; other tags are kept. For transforms that want to
/// inspect intrinsics in one shape; the loader itself reads both.
pub fn normalize_tags(node: &Node) -> Node {
    use fnguard_core::doc::MapEntry;
    fn walk(node: &Node, depth: usize) -> Node {
        if depth > crate::yaml::MAX_DEPTH * 2 {
            return Node::unknown("too deeply nested", node.loc);
        }
        match &node.kind {
            NodeKind::Tagged(tag, inner) if tag != intrinsics::RESOURCE_TAG => {
                let inner = walk(inner, depth + 1);
                let key = match tag.as_str() {
                    "Ref" | "Condition" => tag.clone(),
                    t if t.starts_with("Fn::") => t.to_string(),
                    t if KNOWN_FNS.contains(&t) => format!("Fn::{t}"),
                    _ => {
                        return Node::new(NodeKind::Tagged(tag.clone(), Box::new(inner)), node.loc)
                    }
                };
                let value = match (tag.as_str(), &inner.kind) {
                    ("GetAtt", NodeKind::Str(s)) => match s.split_once('.') {
                        Some((res, attr)) => Node::new(
                            NodeKind::Seq(vec![
                                Node::str(res, inner.loc),
                                Node::str(attr, inner.loc),
                            ]),
                            inner.loc,
                        ),
                        None => inner,
                    },
                    _ => inner,
                };
                Node::new(
                    NodeKind::Map(vec![MapEntry {
                        key,
                        key_loc: node.loc,
                        value,
                    }]),
                    node.loc,
                )
            }
            _ => node.map_children(|child| walk(child, depth + 1)),
        }
    }
    walk(node, 0)
}

const KNOWN_FNS: &[&str] = &[
    "GetAtt",
    "Sub",
    "Join",
    "If",
    "Select",
    "Split",
    "FindInMap",
    "ImportValue",
    "Base64",
    "Cidr",
    "GetAZs",
    "Equals",
    "And",
    "Or",
    "Not",
    "ToJsonString",
    "Length",
    "Transform",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sam_detection() {
        let parse = |t: &str| crate::yaml::parse(t, 0, "t").expect("parses");
        assert!(is_sam(&parse(
            "Transform: AWS::Serverless-2016-10-31\nResources: {}"
        )));
        assert!(is_sam(&parse(
            "Transform: [AWS::LanguageExtensions, AWS::Serverless-2016-10-31]\nResources: {}"
        )));
        assert!(is_sam(&parse(
            "Resources: {F: {Type: AWS::Serverless::Function}}"
        )));
        assert!(!is_sam(&parse(
            "Resources: {F: {Type: AWS::Lambda::Function}}"
        )));
    }

    #[test]
    fn root_errors() {
        let e = load("t.yaml", "- a\n- b\n").expect_err("list root");
        assert!(e.message.contains("map"));
        let e =
            load("t.yaml", "AWSTemplateFormatVersion: '2010-09-09'\n").expect_err("no resources");
        assert!(e.message.contains("Resources"));
        let e = load("t.yaml", "Resources:\n  - a\n").expect_err("list resources");
        assert_eq!(e.line, 2);
    }

    /// Moving the properties out of a template (what the loaders do) and
    /// reading them in place (`load_from_root`) build the same model, on
    /// every CloudFormation, SAM and Serverless file of the repository.
    #[test]
    fn owned_and_borrowed_templates_build_the_same_model() {
        use std::path::{Path, PathBuf};
        fn templates(dir: &Path, out: &mut Vec<PathBuf>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    if entry.file_name() != "target" {
                        templates(&path, out);
                    }
                } else if path
                    .extension()
                    .is_some_and(|e| e == "yaml" || e == "yml" || e == "json" || e == "template")
                {
                    out.push(path);
                }
            }
        }
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut files = Vec::new();
        for top in ["examples", "tests", "crates/fnguard-model/tests"] {
            templates(&repo.join(top), &mut files);
        }
        let mut compared = 0;
        for path in &files {
            let Ok(text) = std::fs::read_to_string(path) else {
                continue;
            };
            let Ok(root) = crate::parse_document(&text, 0, "t") else {
                continue;
            };
            let (template, format) = if root.get("service").is_some() {
                match crate::serverless::to_cloudformation(&root, "t") {
                    Ok(t) => (t.template, SourceFormat::Serverless),
                    Err(_) => continue,
                }
            } else if is_sam(&root) {
                match sam::transform(&root) {
                    Ok(t) => (t, SourceFormat::Sam),
                    Err(_) => continue,
                }
            } else {
                (root, SourceFormat::CloudFormation)
            };
            if check_root(&template, "t").is_err() {
                continue;
            }
            let borrowed = load_from_root(&template, vec!["t".into()], format);
            let owned = load_from_owned_root(template, vec!["t".into()], format);
            assert_eq!(
                format!("{borrowed:?}"),
                format!("{owned:?}"),
                "{}",
                path.display()
            );
            compared += 1;
        }
        assert!(compared > 50, "compared only {compared} templates");
    }

    #[test]
    fn short_tags_normalize() {
        let root = crate::yaml::parse(
            "A: !GetAtt R.Arn\nB: !Sub x\nC: !Ref P\nD: !Custom 1\n",
            0,
            "t",
        )
        .expect("parses");
        let n = normalize_tags(&root);
        assert_eq!(
            n.get("A").map(Node::to_json),
            Some(serde_json::json!({"Fn::GetAtt": ["R", "Arn"]}))
        );
        assert_eq!(
            n.get("B").map(Node::to_json),
            Some(serde_json::json!({"Fn::Sub": "x"}))
        );
        assert_eq!(
            n.get("C").map(Node::to_json),
            Some(serde_json::json!({"Ref": "P"}))
        );
        assert!(matches!(
            n.get("D").map(|d| &d.kind),
            Some(NodeKind::Tagged(..))
        ));
    }
}
