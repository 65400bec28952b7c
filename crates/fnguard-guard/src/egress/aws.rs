//! AWS service shorthands: `aws:SERVICE` (or `aws:SERVICE@REGION`) stands for
//! the hostnames the AWS SDKs use for that service in the function's region.

use super::policy::HostPattern;

/// Global endpoints (no region in the name) that `aws:*` keeps beside every
/// `*.REGION.amazonaws.com` endpoint.
const GLOBAL_SERVICES: &[&str] = &["sts", "iam", "route53", "cloudfront", "organizations"];

/// `region` like `us-east-1`, `us-gov-west-1`, `cn-north-1`: lowercase
/// words joined by `-`, the last one a number.
pub(crate) fn valid_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3
        && parts
            .last()
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        && parts[..parts.len() - 1]
            .iter()
            .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase()))
}

/// An endpoint prefix (`s3`, `dynamodb`, `secretsmanager`) or `*`.
pub(crate) fn valid_service(service: &str) -> bool {
    service == "*"
        || (!service.is_empty()
            && service.len() <= 63
            && !service.starts_with('-')
            && service
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'))
}

/// The host patterns of `service` in `region` (both already validated).
pub(crate) fn expand(service: &str, region: &str) -> Vec<HostPattern> {
    // The China partition has its own DNS suffixes.
    let (aws, api) = if region.starts_with("cn-") {
        ("amazonaws.com.cn", "api.amazonwebservices.com.cn")
    } else {
        ("amazonaws.com", "api.aws")
    };
    let exact = |name: String| HostPattern::Exact(name);
    let with_subdomains = |name: String| HostPattern::ApexAndSubdomains(name);
    if service == "*" {
        let mut all = vec![
            HostPattern::Subdomains(format!("{region}.{aws}")),
            HostPattern::Subdomains(format!("{region}.{api}")),
            with_subdomains(format!("s3.{aws}")),
        ];
        all.extend(GLOBAL_SERVICES.iter().map(|s| exact(format!("{s}.{aws}"))));
        return all;
    }
    // Every service: regional, FIPS, dual-stack (old and new style) and the
    // global form (`sts.amazonaws.com`, `iam.amazonaws.com`).
    let mut patterns = vec![
        exact(format!("{service}.{region}.{aws}")),
        exact(format!("{service}-fips.{region}.{aws}")),
        exact(format!("{service}.dualstack.{region}.{aws}")),
        exact(format!("{service}-fips.dualstack.{region}.{aws}")),
        exact(format!("{service}.{region}.{api}")),
        exact(format!("{service}-fips.{region}.{api}")),
        exact(format!("{service}.{aws}")),
    ];
    match service {
        // Virtual-hosted buckets (`BUCKET.s3.REGION.amazonaws.com`), access
        // points (`NAME-ACCOUNT.s3-accesspoint.REGION...`), S3 Control
        // (`ACCOUNT.s3-control.REGION...`) and the legacy dash-region form.
        "s3" => {
            patterns.clear();
            for prefix in [
                format!("s3.{region}"),
                format!("s3-fips.{region}"),
                format!("s3.dualstack.{region}"),
                format!("s3-fips.dualstack.{region}"),
                format!("s3-accesspoint.{region}"),
                format!("s3-accesspoint-fips.{region}"),
                format!("s3-accesspoint.dualstack.{region}"),
                format!("s3-control.{region}"),
                format!("s3-control-fips.{region}"),
                format!("s3-{region}"),
                "s3".to_string(),
            ] {
                patterns.push(with_subdomains(format!("{prefix}.{aws}")));
            }
        }
        // Account-based endpoints (`ACCOUNT.ddb.REGION.amazonaws.com`, the
        // SDK default since 2024) and DynamoDB Streams.
        "dynamodb" => {
            patterns.push(HostPattern::Subdomains(format!("ddb.{region}.{aws}")));
            patterns.push(exact(format!("streams.dynamodb.{region}.{aws}")));
        }
        // API Gateway stages: `API-ID.execute-api.REGION.amazonaws.com`.
        "execute-api" => {
            patterns.push(HostPattern::Subdomains(format!(
                "execute-api.{region}.{aws}"
            )));
        }
        _ => {}
    }
    patterns
}
