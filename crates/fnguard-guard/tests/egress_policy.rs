//! The egress allowlist: entry syntax, errors, wildcard semantics, AWS
//! shorthands and the private-address rules of `Policy::decide`.

use std::net::IpAddr;

use fnguard_guard::egress::{Policy, PolicyError};

fn policy(entries: &[&str]) -> Policy {
    let entries: Vec<String> = entries.iter().map(|e| e.to_string()).collect();
    Policy::parse(&entries, Some("eu-west-1")).expect("valid policy")
}

fn parse_error(entries: &[&str], region: Option<&str>) -> PolicyError {
    let entries: Vec<String> = entries.iter().map(|e| e.to_string()).collect();
    Policy::parse(&entries, region).expect_err("invalid policy")
}

fn ips(list: &[&str]) -> Vec<IpAddr> {
    list.iter()
        .map(|ip| ip.parse().expect("test address"))
        .collect()
}

/// A public address (the TEST-NET ranges count as special, so a real one).
const PUBLIC: &str = "93.184.215.14";

fn allowed(policy: &Policy, host: &str, port: u16) -> bool {
    policy.decide(host, port, &ips(&[PUBLIC])).allowed
}

#[test]
fn exact_host_matches_only_itself_on_any_port_unless_one_is_given() {
    let p = policy(&["api.example.com", "pay.example.com:443"]);
    assert!(allowed(&p, "api.example.com", 443));
    assert!(allowed(&p, "api.example.com", 8080));
    assert!(!allowed(&p, "example.com", 443));
    assert!(!allowed(&p, "x.api.example.com", 443));
    assert!(!allowed(&p, "api.example.com.evil.net", 443));
    assert!(allowed(&p, "pay.example.com", 443));
    let other_port = p.decide("pay.example.com", 80, &ips(&[PUBLIC]));
    assert!(!other_port.allowed);
    assert!(
        other_port.reason.contains("not listed"),
        "{}",
        other_port.reason
    );
    assert!(!allowed(&p, "unlisted.net", 443));
}

#[test]
fn star_dot_wildcard_matches_subdomains_only_and_dot_wildcard_adds_the_apex() {
    let p = policy(&["*.example.com", ".example.org"]);
    assert!(allowed(&p, "a.example.com", 443));
    assert!(allowed(&p, "a.b.example.com", 443));
    assert!(!allowed(&p, "example.com", 443));
    assert!(!allowed(&p, "badexample.com", 443));
    assert!(allowed(&p, "example.org", 443));
    assert!(allowed(&p, "deep.sub.example.org", 443));
    assert!(!allowed(&p, "notexample.org", 443));
}

#[test]
fn names_compare_case_insensitively_without_trailing_dot_and_after_idna() {
    let p = policy(&["API.Example.COM.", "bücher.example"]);
    assert!(allowed(&p, "api.example.com", 443));
    assert!(allowed(&p, "Api.Example.Com.", 443));
    assert!(allowed(&p, "xn--bcher-kva.example", 443));
    assert!(allowed(&p, "BÜCHER.example", 443));
    let p = policy(&["xn--bcher-kva.example"]);
    assert!(allowed(&p, "bücher.example", 443));
}

#[test]
fn hosts_that_are_not_valid_names_are_denied_not_matched() {
    let p = policy(&["*.example.com"]);
    for host in [
        "a..example.com",
        "a b.example.com",
        "",
        ".",
        "a%2e.example.com",
    ] {
        let decision = p.decide(host, 443, &ips(&[PUBLIC]));
        assert!(!decision.allowed, "{host:?} allowed");
        assert!(
            decision.reason.contains("invalid host"),
            "{host:?}: {}",
            decision.reason
        );
    }
}

#[test]
fn entry_errors_are_named_with_their_position() {
    let e = parse_error(&["ok.example.com", ""], None);
    assert_eq!(e, PolicyError::Empty { index: 2 });
    assert!(e.to_string().contains("entry 2"));
    let e = parse_error(&["example.com:0"], None);
    assert!(matches!(e, PolicyError::InvalidPort { index: 1, .. }));
    assert!(e.to_string().contains("\"example.com:0\""), "{e}");
    for bad_port in [
        "example.com:99999",
        "example.com:",
        "[fd00::1]x",
        "a.com:+80",
    ] {
        assert!(
            matches!(
                parse_error(&[bad_port], None),
                PolicyError::InvalidPort { .. }
            ),
            "{bad_port}"
        );
    }
    for bad_block in [
        "10.1.2.3/16",
        "10.0.0.0/33",
        "10.0.0.0/x",
        "10.0.0/8",
        "fd00::g/8",
    ] {
        assert!(
            matches!(
                parse_error(&[bad_block], None),
                PolicyError::InvalidCidr { .. }
            ),
            "{bad_block}"
        );
    }
    assert!(matches!(
        parse_error(&["api.*.example.com"], None),
        PolicyError::MisplacedWildcard { .. }
    ));
    for broad in ["*", "*.com", ".com"] {
        assert!(
            matches!(
                parse_error(&[broad], None),
                PolicyError::WildcardTooBroad { .. }
            ),
            "{broad}"
        );
    }
    let long_label = format!("{}.example.com", "a".repeat(64));
    for bad_name in [
        "exa mple.com",
        "xn--a.example",
        long_label.as_str(),
        "https://api.example.com",
        "api.example.com/v1",
    ] {
        assert!(
            matches!(
                parse_error(&[bad_name], None),
                PolicyError::InvalidHost { .. }
            ),
            "{bad_name}"
        );
    }
    for bad_aws in ["aws:S3", "aws:s3:443", "aws:", "aws:-s3"] {
        assert!(
            matches!(
                parse_error(&[bad_aws], Some("eu-west-1")),
                PolicyError::InvalidAws { .. }
            ),
            "{bad_aws}"
        );
    }
    assert!(matches!(
        parse_error(&["aws:s3"], None),
        PolicyError::AwsRegionMissing { .. }
    ));
    let e = parse_error(&["aws:s3@moon"], None);
    assert!(matches!(e, PolicyError::InvalidRegion { ref region, .. } if region == "moon"));
    assert!(matches!(
        parse_error(&["aws:s3"], Some("EU-WEST-1")),
        PolicyError::InvalidRegion { .. }
    ));
}

#[test]
fn address_literals_need_an_address_entry() {
    let p = policy(&[
        "10.1.0.0/16",
        "93.184.215.200:8443",
        "[fd00::/8]:443",
        "::ffff:192.168.0.0/112",
    ]);
    assert!(p.decide("10.1.200.3", 5432, &[]).allowed);
    assert!(!p.decide("10.2.0.1", 5432, &[]).allowed);
    assert!(p.decide("93.184.215.200", 8443, &[]).allowed);
    assert!(!p.decide("93.184.215.200", 443, &[]).allowed);
    assert!(p.decide("[fd12::1]", 443, &[]).allowed);
    assert!(!p.decide("[fd12::1]", 80, &[]).allowed);
    // A public address is not allowed merely for being public.
    let d = p.decide(PUBLIC, 443, &[]);
    assert!(!d.allowed);
    assert!(d.reason.contains("not listed"), "{}", d.reason);
    // IPv4-mapped IPv6 is the IPv4 address, in requests and in entries.
    assert!(p.decide("[::ffff:10.1.0.9]", 22, &[]).allowed);
    assert!(!p.decide("::ffff:10.2.0.9", 22, &[]).allowed);
    assert!(p.decide("192.168.4.4", 22, &[]).allowed);
}

#[test]
fn special_addresses_are_named_in_the_reason() {
    let p = policy(&[]);
    for (host, range) in [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.0.0.1", "private"),
        ("172.16.5.4", "private"),
        ("192.168.1.1", "private"),
        ("100.64.0.1", "CGNAT"),
        ("169.254.1.1", "link-local"),
        ("fe80::1", "link-local"),
        ("169.254.169.254", "metadata"),
        ("fd00:ec2::254", "metadata"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("fc00::1", "unique local"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:169.254.169.254", "metadata"),
        ("64:ff9b::a9fe:a9fe", "metadata"),
        ("2002:a9fe:a9fe::1", "metadata"),
        ("255.255.255.255", "reserved"),
    ] {
        let d = p.decide(host, 80, &[]);
        assert!(!d.allowed, "{host} allowed");
        assert!(d.reason.contains(range), "{host}: {}", d.reason);
    }
    // Public unicast, IPv4 and IPv6, is only "not listed".
    for host in [PUBLIC, "2606:4700::1111", "64:ff9b::5db8:d70e"] {
        let d = p.decide(host, 80, &[]);
        assert!(!d.allowed);
        assert!(d.reason.ends_with("not listed"), "{host}: {}", d.reason);
    }
}

#[test]
fn listed_name_resolving_to_a_special_address_is_denied_unless_that_address_is_listed() {
    let p = policy(&["internal.example.com", "db.example.com", "10.0.5.0/24"]);
    // DNS rebinding: a listed public name answered with a private address.
    let d = p.decide("internal.example.com", 443, &ips(&[PUBLIC, "10.9.9.9"]));
    assert!(!d.allowed);
    assert!(
        d.reason.contains("10.9.9.9") && d.reason.contains("private"),
        "{}",
        d.reason
    );
    let d = p.decide("internal.example.com", 443, &ips(&["::ffff:127.0.0.1"]));
    assert!(!d.allowed, "{}", d.reason);
    assert!(
        p.decide(
            "internal.example.com",
            443,
            &ips(&[PUBLIC, "2606:4700::1111"])
        )
        .allowed
    );
    // The private address is listed, so the name may use it.
    assert!(
        p.decide("db.example.com", 5432, &ips(&["10.0.5.7"]))
            .allowed
    );
    // An address entry does not list a name by itself.
    assert!(
        !p.decide("other.example.com", 5432, &ips(&["10.0.5.7"]))
            .allowed
    );
    // Nothing resolved: nothing to check, denied.
    assert!(!p.decide("db.example.com", 5432, &[]).allowed);
}

#[test]
fn localhost_is_denied_because_it_resolves_to_loopback() {
    let p = policy(&["localhost"]);
    let d = p.decide("localhost", 8080, &ips(&["127.0.0.1", "::1"]));
    assert!(!d.allowed);
    assert!(d.reason.contains("loopback"), "{}", d.reason);
    let p = policy(&["localhost", "127.0.0.1", "::1"]);
    assert!(
        p.decide("localhost", 8080, &ips(&["127.0.0.1", "::1"]))
            .allowed
    );
}

#[test]
fn metadata_endpoints_need_an_entry_naming_the_single_address() {
    let wide = policy(&["169.254.0.0/16", "fd00::/8", "metadata.internal"]);
    assert!(wide.decide("169.254.10.10", 80, &[]).allowed);
    assert!(!wide.decide("169.254.169.254", 80, &[]).allowed);
    assert!(!wide.decide("fd00:ec2::254", 80, &[]).allowed);
    assert!(
        !wide
            .decide("metadata.internal", 80, &ips(&["169.254.169.254"]))
            .allowed
    );
    let exact = policy(&["169.254.169.254:80", "metadata.internal"]);
    assert!(exact.decide("169.254.169.254", 80, &[]).allowed);
    assert!(!exact.decide("169.254.169.254", 443, &[]).allowed);
    assert!(
        exact
            .decide("metadata.internal", 80, &ips(&["169.254.169.254"]))
            .allowed
    );
}

#[test]
fn aws_service_shorthands_expand_for_the_region_on_port_443() {
    let p = policy(&["aws:dynamodb", "aws:sts", "aws:s3", "aws:sqs@us-east-1"]);
    for host in [
        "dynamodb.eu-west-1.amazonaws.com",
        "dynamodb-fips.eu-west-1.amazonaws.com",
        "dynamodb.eu-west-1.api.aws",
        "123456789012.ddb.eu-west-1.amazonaws.com",
        "streams.dynamodb.eu-west-1.amazonaws.com",
        "sts.eu-west-1.amazonaws.com",
        "sts.amazonaws.com",
        "sts-fips.eu-west-1.amazonaws.com",
        "s3.eu-west-1.amazonaws.com",
        "my-bucket.s3.eu-west-1.amazonaws.com",
        "my-bucket.s3.dualstack.eu-west-1.amazonaws.com",
        "my-bucket.s3-fips.eu-west-1.amazonaws.com",
        "s3.amazonaws.com",
        "my-bucket.s3.amazonaws.com",
        "ap-123456789012.s3-accesspoint.eu-west-1.amazonaws.com",
        "123456789012.s3-control.eu-west-1.amazonaws.com",
        "s3-eu-west-1.amazonaws.com",
        "sqs.us-east-1.amazonaws.com",
    ] {
        assert!(allowed(&p, host, 443), "{host} denied");
    }
    for host in [
        "dynamodb.us-east-1.amazonaws.com",
        "sqs.eu-west-1.amazonaws.com",
        "my-bucket.s3.us-east-1.amazonaws.com",
        "lambda.eu-west-1.amazonaws.com",
        "ec2-1-2-3-4.eu-west-1.compute.amazonaws.com",
        "dynamodb.eu-west-1.amazonaws.com.evil.net",
    ] {
        assert!(!allowed(&p, host, 443), "{host} allowed");
    }
    assert!(!allowed(&p, "dynamodb.eu-west-1.amazonaws.com", 80));
    let d = p.decide("sts.amazonaws.com", 443, &ips(&[PUBLIC]));
    assert!(d.reason.contains("aws:sts"), "{}", d.reason);
}

#[test]
fn aws_wildcard_covers_the_region_and_global_endpoints_only() {
    let p = policy(&["aws:*"]);
    for host in [
        "lambda.eu-west-1.amazonaws.com",
        "secretsmanager.eu-west-1.amazonaws.com",
        "bucket.s3.eu-west-1.amazonaws.com",
        "kms.eu-west-1.api.aws",
        "sts.amazonaws.com",
        "iam.amazonaws.com",
        "bucket.s3.amazonaws.com",
    ] {
        assert!(allowed(&p, host, 443), "{host} denied");
    }
    for host in [
        "lambda.us-east-1.amazonaws.com",
        "eu-west-1.amazonaws.com",
        "ec2-1-2-3-4.compute-1.amazonaws.com",
        "anything.amazonaws.com",
    ] {
        assert!(!allowed(&p, host, 443), "{host} allowed");
    }
    let china = Policy::parse(&["aws:s3".to_string()], Some("cn-north-1")).expect("china region");
    assert!(
        china
            .decide("b.s3.cn-north-1.amazonaws.com.cn", 443, &ips(&[PUBLIC]))
            .allowed
    );
    assert!(
        !china
            .decide("b.s3.cn-north-1.amazonaws.com", 443, &ips(&[PUBLIC]))
            .allowed
    );
}
