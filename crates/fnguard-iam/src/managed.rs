//! AWS managed policies: name ↔ ARN (from `data/sam/aws_managed_policies.json`,
//! the list AWS SAM itself uses to resolve `Policies: [Name]`) and which of
//! them grant broad privileges.

use crate::wildcard::arn_parts;
use std::collections::HashMap;
use std::sync::OnceLock;

const MANAGED_POLICIES_JSON: &str = include_str!("../../../data/sam/aws_managed_policies.json");

/// How much an AWS managed policy grants, judged by its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Privilege {
    /// `AdministratorAccess`: every action on every resource.
    Admin,
    /// `PowerUserAccess`: everything except IAM and Organizations management.
    PowerUser,
    /// `IAMFullAccess`: can grant itself anything.
    IamFull,
    /// Any other `*FullAccess` (or `AdministratorAccess-<service>`) policy:
    /// every action of one service. Holds the policy name.
    FullAccess(String),
}

struct ManagedPolicies {
    /// Exact name → ARN.
    by_name: HashMap<String, String>,
    /// Lower-case name → exact name, for names written with another case.
    by_lower: HashMap<String, String>,
}

static MANAGED: OnceLock<ManagedPolicies> = OnceLock::new();

fn managed() -> &'static ManagedPolicies {
    MANAGED.get_or_init(|| {
        let by_name: HashMap<String, String> =
            serde_json::from_str(MANAGED_POLICIES_JSON).unwrap_or_default();
        let by_lower = by_name
            .keys()
            .map(|k| (k.to_ascii_lowercase(), k.clone()))
            .collect();
        ManagedPolicies { by_name, by_lower }
    })
}

/// The ARN of an AWS managed policy given its name (`AmazonS3FullAccess`).
pub fn arn_for(name: &str) -> Option<&'static str> {
    let m = managed();
    m.by_name
        .get(name)
        .or_else(|| {
            m.by_lower
                .get(&name.to_ascii_lowercase())
                .and_then(|exact| m.by_name.get(exact))
        })
        .map(String::as_str)
}

/// The policy name when `arn_or_name` is an AWS managed policy: an ARN in
/// the `aws` account (`arn:aws:iam::aws:policy/service-role/X`, any
/// partition), or a bare name AWS publishes. Customer managed policies
/// (another account, or an unpublished name) give `None`: their content is
/// theirs, whatever their name.
pub fn aws_managed_name(arn_or_name: &str) -> Option<String> {
    let text = arn_or_name.trim();
    if text.starts_with("arn:") {
        // arn:partition:iam::aws:policy/path/Name
        let [_, _, service, _, account, resource] = arn_parts(text)?;
        if service != "iam" || account != "aws" {
            return None;
        }
        let path = resource.strip_prefix("policy/")?;
        let name = path.rsplit('/').next()?;
        return (!name.is_empty()).then(|| name.to_string());
    }
    let m = managed();
    if m.by_name.contains_key(text) {
        return Some(text.to_string());
    }
    m.by_lower.get(&text.to_ascii_lowercase()).cloned()
}

/// Classify a managed policy attached to a role. `None` for AWS managed
/// policies that are not broad (AWSLambdaBasicExecutionRole,
/// AmazonS3ReadOnlyAccess...) and for customer managed ones.
pub fn classify(arn_or_name: &str) -> Option<Privilege> {
    let name = aws_managed_name(arn_or_name)?;
    match name.as_str() {
        "AdministratorAccess" => return Some(Privilege::Admin),
        "PowerUserAccess" => return Some(Privilege::PowerUser),
        "IAMFullAccess" => return Some(Privilege::IamFull),
        _ => {}
    }
    if name.contains("FullAccess") || name.starts_with("AdministratorAccess-") {
        return Some(Privilege::FullAccess(name));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_arns() {
        assert_eq!(
            arn_for("AmazonS3FullAccess"),
            Some("arn:aws:iam::aws:policy/AmazonS3FullAccess")
        );
        assert_eq!(
            arn_for("awslambdabasicexecutionrole"),
            Some("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
        );
        assert_eq!(arn_for("NoSuchPolicyName"), None);
        assert_eq!(
            aws_managed_name("arn:aws-cn:iam::aws:policy/service-role/AWSLambdaRole").as_deref(),
            Some("AWSLambdaRole")
        );
        assert_eq!(
            aws_managed_name("arn:aws:iam::123456789012:policy/AdministratorAccess"),
            None
        );
        assert_eq!(
            aws_managed_name("arn:${AWS::Partition}:iam::aws:policy/ReadOnlyAccess").as_deref(),
            Some("ReadOnlyAccess")
        );
    }

    #[test]
    fn classification() {
        assert_eq!(classify("AdministratorAccess"), Some(Privilege::Admin));
        assert_eq!(
            classify("arn:aws:iam::aws:policy/AdministratorAccess"),
            Some(Privilege::Admin)
        );
        assert_eq!(
            classify("arn:aws:iam::aws:policy/PowerUserAccess"),
            Some(Privilege::PowerUser)
        );
        assert_eq!(classify("IAMFullAccess"), Some(Privilege::IamFull));
        assert_eq!(
            classify("AmazonDynamoDBFullAccess"),
            Some(Privilege::FullAccess("AmazonDynamoDBFullAccess".into()))
        );
        assert_eq!(
            classify("arn:aws:iam::aws:policy/AWSLambda_FullAccess"),
            Some(Privilege::FullAccess("AWSLambda_FullAccess".into()))
        );
        assert_eq!(classify("AWSLambdaBasicExecutionRole"), None);
        assert_eq!(
            classify("arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"),
            None
        );
        assert_eq!(classify("AmazonS3ReadOnlyAccess"), None);
        // A customer policy merely named like a managed one is not judged by name.
        assert_eq!(
            classify("arn:aws:iam::123456789012:policy/MyFullAccess"),
            None
        );
        assert_eq!(classify("MyOwnFullAccess"), None);
    }
}
