//! AWS managed policies: name ↔ ARN (from `data/sam/aws_managed_policies.json`,
//! the list AWS SAM itself uses to resolve `Policies: [Name]`) and which of
//! them grant broad privileges.

use crate::parse::{from_json, parse_policy};
use crate::policy::Policy;
use crate::wildcard::arn_parts;
use fnguard_core::Loc;
use std::collections::HashMap;
use std::sync::OnceLock;

const MANAGED_POLICIES_JSON: &str = include_str!("../../../data/sam/aws_managed_policies.json");

/// AWS managed policy documents compiled into the binary (see
/// `data/iam/managed/NOTICE.md` for source, date and version of each), so a
/// scan needs no data files at run time.
const DOCUMENTS: [(&str, &str); 21] = [
    (
        "AdministratorAccess",
        include_str!("../../../data/iam/managed/AdministratorAccess.json"),
    ),
    (
        "PowerUserAccess",
        include_str!("../../../data/iam/managed/PowerUserAccess.json"),
    ),
    (
        "ReadOnlyAccess",
        include_str!("../../../data/iam/managed/ReadOnlyAccess.json"),
    ),
    (
        "IAMFullAccess",
        include_str!("../../../data/iam/managed/IAMFullAccess.json"),
    ),
    (
        "AmazonS3FullAccess",
        include_str!("../../../data/iam/managed/AmazonS3FullAccess.json"),
    ),
    (
        "AmazonS3ReadOnlyAccess",
        include_str!("../../../data/iam/managed/AmazonS3ReadOnlyAccess.json"),
    ),
    (
        "AmazonDynamoDBFullAccess",
        include_str!("../../../data/iam/managed/AmazonDynamoDBFullAccess.json"),
    ),
    (
        "AmazonDynamoDBReadOnlyAccess",
        include_str!("../../../data/iam/managed/AmazonDynamoDBReadOnlyAccess.json"),
    ),
    (
        "AmazonSQSFullAccess",
        include_str!("../../../data/iam/managed/AmazonSQSFullAccess.json"),
    ),
    (
        "AmazonSNSFullAccess",
        include_str!("../../../data/iam/managed/AmazonSNSFullAccess.json"),
    ),
    (
        "AWSLambda_FullAccess",
        include_str!("../../../data/iam/managed/AWSLambda_FullAccess.json"),
    ),
    (
        "AWSLambdaFullAccess",
        include_str!("../../../data/iam/managed/AWSLambdaFullAccess.json"),
    ),
    (
        "AmazonSESFullAccess",
        include_str!("../../../data/iam/managed/AmazonSESFullAccess.json"),
    ),
    (
        "CloudWatchLogsFullAccess",
        include_str!("../../../data/iam/managed/CloudWatchLogsFullAccess.json"),
    ),
    (
        "AmazonKinesisFullAccess",
        include_str!("../../../data/iam/managed/AmazonKinesisFullAccess.json"),
    ),
    (
        "SecretsManagerReadWrite",
        include_str!("../../../data/iam/managed/SecretsManagerReadWrite.json"),
    ),
    (
        "AmazonRDSFullAccess",
        include_str!("../../../data/iam/managed/AmazonRDSFullAccess.json"),
    ),
    (
        "AWSLambdaBasicExecutionRole",
        include_str!("../../../data/iam/managed/AWSLambdaBasicExecutionRole.json"),
    ),
    (
        "AWSLambdaVPCAccessExecutionRole",
        include_str!("../../../data/iam/managed/AWSLambdaVPCAccessExecutionRole.json"),
    ),
    (
        "AWSLambdaRole",
        include_str!("../../../data/iam/managed/AWSLambdaRole.json"),
    ),
    (
        "AWSXRayDaemonWriteAccess",
        include_str!("../../../data/iam/managed/AWSXRayDaemonWriteAccess.json"),
    ),
];

/// Each document is parsed on first use, once.
static PARSED: [OnceLock<Policy>; DOCUMENTS.len()] = [const { OnceLock::new() }; DOCUMENTS.len()];

/// The policy document of an AWS managed policy, given its name
/// (`AWSLambda_FullAccess`, any case) or ARN (any partition or path).
/// `None` for policies fnguard does not carry and for customer managed
/// policies (an ARN in another account), whose content is theirs.
pub fn document(name_or_arn: &str) -> Option<&'static Policy> {
    let text = name_or_arn.trim();
    let name = if text.starts_with("arn:") {
        aws_managed_name(text)?
    } else {
        text.to_string()
    };
    let index = DOCUMENTS
        .iter()
        .position(|(n, _)| n.eq_ignore_ascii_case(&name))?;
    Some(PARSED[index].get_or_init(|| parse_document(DOCUMENTS[index].1)))
}

/// Names of the AWS managed policies whose documents fnguard carries.
pub fn document_names() -> impl Iterator<Item = &'static str> {
    DOCUMENTS.iter().map(|(name, _)| *name)
}

/// The data is ours and a test parses every document, so a failure here is
/// a build defect; it still yields an unknown policy rather than a panic.
fn parse_document(json: &str) -> Policy {
    match serde_json::from_str::<serde_json::Value>(json) {
        Ok(value) => parse_policy(&from_json(&value, Loc::default())),
        Err(_) => Policy {
            unknown: true,
            ..Policy::default()
        },
    }
}

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
    fn every_document_parses_and_is_a_known_managed_policy() {
        for name in document_names() {
            let policy = document(name).unwrap();
            assert!(!policy.unknown, "{name}");
            assert!(!policy.statements.is_empty(), "{name}");
            // The ARN resolves to the same document (SAM's list lacks the
            // deprecated AWSLambdaFullAccess, so build its ARN).
            let arn = arn_for(name)
                .map(str::to_string)
                .unwrap_or_else(|| format!("arn:aws:iam::aws:policy/{name}"));
            assert!(std::ptr::eq(document(&arn).unwrap(), policy), "{name}");
        }
        assert!(document_names().count() >= 21);
    }

    #[test]
    fn documents_by_name_and_arn() {
        use crate::{evaluate, Context, Decision};
        let ctx = Context::new();
        let admin = document("arn:aws:iam::aws:policy/AdministratorAccess").unwrap();
        assert_eq!(
            evaluate(&[admin], "iam:CreateUser", "*", &ctx),
            Decision::Allowed
        );
        let power = document("poweruseraccess").unwrap();
        assert_eq!(
            evaluate(&[power], "iam:CreateUser", "*", &ctx),
            Decision::NotAllowed
        );
        assert_eq!(
            evaluate(&[power], "iam:ListRoles", "*", &ctx),
            Decision::Allowed
        );
        assert_eq!(
            evaluate(&[power], "lambda:CreateFunction", "*", &ctx),
            Decision::Allowed
        );
        let basic = document("arn:aws-cn:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
            .unwrap();
        assert_eq!(
            evaluate(&[basic], "logs:PutLogEvents", "*", &ctx),
            Decision::Allowed
        );
        assert_eq!(
            evaluate(&[basic], "s3:GetObject", "*", &ctx),
            Decision::NotAllowed
        );
        // The Lambda console policy passes roles only to Lambda.
        let lambda = document("AWSLambda_FullAccess").unwrap();
        let to_lambda = Context::new().with("iam:PassedToService", &["lambda.amazonaws.com"]);
        let to_ec2 = Context::new().with("iam:PassedToService", &["ec2.amazonaws.com"]);
        let role = "arn:aws:iam::123456789012:role/admin";
        assert_eq!(
            evaluate(&[lambda], "iam:PassRole", role, &to_lambda),
            Decision::Allowed
        );
        assert_eq!(
            evaluate(&[lambda], "iam:PassRole", role, &to_ec2),
            Decision::NotAllowed
        );
        assert_eq!(
            evaluate(&[lambda], "iam:PassRole", role, &ctx),
            Decision::Conditional
        );
        // The legacy one passes any role to anything.
        let legacy = document("AWSLambdaFullAccess").unwrap();
        assert_eq!(
            evaluate(&[legacy], "iam:PassRole", role, &to_ec2),
            Decision::Allowed
        );
        // Customer policies are never resolved by name.
        assert!(document("arn:aws:iam::123456789012:policy/AdministratorAccess").is_none());
        assert!(document("NoSuchPolicy").is_none());
    }

    #[test]
    fn read_only_reduction_grants_no_write() {
        use crate::catalog::{catalog, AccessLevel};
        use crate::{access_summary, Context};
        let ro = document("ReadOnlyAccess").unwrap();
        let summary = access_summary(&[ro], "*", "*", &Context::new());
        assert_eq!(summary.allowed.get(AccessLevel::Write), 0);
        assert_eq!(summary.allowed.get(AccessLevel::PermissionsManagement), 0);
        assert_eq!(summary.allowed.get(AccessLevel::Tagging), 0);
        let reads = catalog()
            .actions()
            .iter()
            .filter(|a| matches!(a.level, AccessLevel::Read | AccessLevel::List))
            .count();
        assert_eq!(
            summary.allowed.get(AccessLevel::Read) + summary.allowed.get(AccessLevel::List),
            reads
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
