//! The allowlist: parsing entries and deciding one destination.

use std::fmt;
use std::net::IpAddr;

use super::addr::{self, Cidr};
use super::aws;

/// Why an allowlist entry was refused. `index` is the entry's position in
/// the list (1-based) and `entry` its text, so the message says where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("egress entry {index}: empty")]
    Empty { index: usize },
    #[error("egress entry {index} ({entry:?}): invalid host name: {reason}")]
    InvalidHost {
        index: usize,
        entry: String,
        reason: String,
    },
    #[error("egress entry {index} ({entry:?}): invalid port (expected 1-65535)")]
    InvalidPort { index: usize, entry: String },
    #[error("egress entry {index} ({entry:?}): invalid address block: {reason}")]
    InvalidCidr {
        index: usize,
        entry: String,
        reason: &'static str,
    },
    #[error(
        "egress entry {index} ({entry:?}): a wildcard is only allowed as a leading `*.` or `.`"
    )]
    MisplacedWildcard { index: usize, entry: String },
    #[error("egress entry {index} ({entry:?}): a wildcard must cover at least two labels (`*.example.com`, not `*.com` or `*`)")]
    WildcardTooBroad { index: usize, entry: String },
    #[error("egress entry {index} ({entry:?}): invalid AWS shorthand (expected `aws:SERVICE`, `aws:SERVICE@REGION` or `aws:*`; AWS endpoints take no port, 443 is implied)")]
    InvalidAws { index: usize, entry: String },
    #[error("egress entry {index} ({entry:?}): invalid AWS region {region:?}")]
    InvalidRegion {
        index: usize,
        entry: String,
        region: String,
    },
    #[error("egress entry {index} ({entry:?}): an AWS shorthand needs a region (AWS_REGION unset; write `aws:SERVICE@REGION`)")]
    AwsRegionMissing { index: usize, entry: String },
}

/// Which names a host entry matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HostPattern {
    /// `api.example.com`: that name only.
    Exact(String),
    /// `*.example.com`: any name below `example.com` (any depth), not
    /// `example.com` itself.
    Subdomains(String),
    /// `.example.com`: `example.com` and any name below it.
    ApexAndSubdomains(String),
}

impl HostPattern {
    fn matches(&self, name: &str) -> bool {
        let below = |suffix: &str| {
            name.len() > suffix.len() + 1
                && name.ends_with(suffix)
                && name.as_bytes()[name.len() - suffix.len() - 1] == b'.'
        };
        match self {
            Self::Exact(exact) => name == exact,
            Self::Subdomains(suffix) => below(suffix),
            Self::ApexAndSubdomains(suffix) => name == suffix || below(suffix),
        }
    }
}

impl fmt::Display for HostPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Exact(name) => f.write_str(name),
            Self::Subdomains(suffix) => write!(f, "*.{suffix}"),
            Self::ApexAndSubdomains(suffix) => write!(f, ".{suffix}"),
        }
    }
}

#[derive(Debug, Clone)]
struct HostRule {
    pattern: HostPattern,
    /// `None`: any port.
    port: Option<u16>,
    /// The entry as written (`aws:s3` for its expansions), for reasons.
    entry: String,
}

#[derive(Debug, Clone)]
struct NetRule {
    net: Cidr,
    port: Option<u16>,
    entry: String,
}

/// A parsed egress allowlist. Default deny: a destination is allowed only
/// when an entry lists it, see [`Policy::decide`].
#[derive(Debug, Clone, Default)]
pub struct Policy {
    hosts: Vec<HostRule>,
    nets: Vec<NetRule>,
}

/// The verdict on one destination. `reason` names the entry that allowed it
/// or why it was denied; it never holds a path, a query or a header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EgressDecision {
    pub allowed: bool,
    pub reason: String,
}

impl EgressDecision {
    fn allow(reason: String) -> Self {
        Self {
            allowed: true,
            reason,
        }
    }

    fn deny(reason: String) -> Self {
        Self {
            allowed: false,
            reason,
        }
    }
}

/// A destination host as the proxy reads it from a request: an address
/// literal, or a normalised name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    Ip(IpAddr),
    Name(String),
}

impl Policy {
    /// Parses allowlist entries (see the module documentation for the
    /// syntax). `region` (the function's `AWS_REGION`) is the region of
    /// `aws:SERVICE` entries; `aws:SERVICE@REGION` names one.
    pub fn parse(entries: &[String], region: Option<&str>) -> Result<Policy, PolicyError> {
        let mut policy = Policy::default();
        for (i, raw) in entries.iter().enumerate() {
            policy.add(i + 1, raw.trim(), region)?;
        }
        Ok(policy)
    }

    fn add(&mut self, index: usize, entry: &str, region: Option<&str>) -> Result<(), PolicyError> {
        if entry.is_empty() {
            return Err(PolicyError::Empty { index });
        }
        let owned = || entry.to_string();
        if let Some(rest) = entry.strip_prefix("aws:") {
            let (service, entry_region) = match rest.split_once('@') {
                Some((service, r)) => (service, Some(r)),
                None => (rest, None),
            };
            if !aws::valid_service(service) {
                return Err(PolicyError::InvalidAws {
                    index,
                    entry: owned(),
                });
            }
            let region = entry_region
                .or(region)
                .ok_or(PolicyError::AwsRegionMissing {
                    index,
                    entry: owned(),
                })?;
            if !aws::valid_region(region) {
                return Err(PolicyError::InvalidRegion {
                    index,
                    entry: owned(),
                    region: region.to_string(),
                });
            }
            // AWS endpoints are HTTPS only; the SDKs never use another port.
            self.hosts.extend(
                aws::expand(service, region)
                    .into_iter()
                    .map(|pattern| HostRule {
                        pattern,
                        port: Some(443),
                        entry: owned(),
                    }),
            );
            return Ok(());
        }

        if entry.contains("://") {
            return Err(PolicyError::InvalidHost {
                index,
                entry: owned(),
                reason: "a URL; list the host (`api.example.com`), not a URL".to_string(),
            });
        }
        let (body, port) = split_port(entry).ok_or(PolicyError::InvalidPort {
            index,
            entry: owned(),
        })?;
        let invalid_cidr = |reason| PolicyError::InvalidCidr {
            index,
            entry: owned(),
            reason,
        };
        if let Some((ip, prefix)) = body.split_once('/') {
            let looks_numeric =
                ip.contains(':') || ip.bytes().all(|b| b.is_ascii_digit() || b == b'.');
            if !looks_numeric {
                return Err(PolicyError::InvalidHost {
                    index,
                    entry: owned(),
                    reason: "`/` after a name; entries list hosts, not paths".to_string(),
                });
            }
            let ip: IpAddr = ip.parse().map_err(|_| invalid_cidr("not an IP address"))?;
            let prefix: u8 = prefix
                .parse()
                .map_err(|_| invalid_cidr("prefix length is not a number"))?;
            let net = Cidr::new(ip, prefix).map_err(invalid_cidr)?;
            self.nets.push(NetRule {
                net,
                port,
                entry: owned(),
            });
            return Ok(());
        }
        if let Ok(ip) = body.parse::<IpAddr>() {
            self.nets.push(NetRule {
                net: Cidr::single(ip),
                port,
                entry: owned(),
            });
            return Ok(());
        }

        if body == "*" {
            return Err(PolicyError::WildcardTooBroad {
                index,
                entry: owned(),
            });
        }
        let (kind, name): (fn(String) -> HostPattern, &str) =
            if let Some(suffix) = body.strip_prefix("*.") {
                (HostPattern::Subdomains, suffix)
            } else if let Some(suffix) = body.strip_prefix('.') {
                (HostPattern::ApexAndSubdomains, suffix)
            } else {
                (HostPattern::Exact, body)
            };
        if name.contains('*') {
            return Err(PolicyError::MisplacedWildcard {
                index,
                entry: owned(),
            });
        }
        let name = normalize_host(name).map_err(|reason| PolicyError::InvalidHost {
            index,
            entry: owned(),
            reason,
        })?;
        let pattern = kind(name);
        if let HostPattern::Subdomains(suffix) | HostPattern::ApexAndSubdomains(suffix) = &pattern {
            if !suffix.contains('.') {
                return Err(PolicyError::WildcardTooBroad {
                    index,
                    entry: owned(),
                });
            }
        }
        self.hosts.push(HostRule {
            pattern,
            port,
            entry: owned(),
        });
        Ok(())
    }

    /// Decides whether the function may reach `host:port`. `host` is a name
    /// or an address literal (`10.0.0.1`, `[fd00::1]`); `resolved` are the
    /// addresses the name resolved to (ignored for a literal), and the proxy
    /// connects only to them.
    ///
    /// - An address literal is allowed only when an address entry lists it.
    /// - A name is allowed when a host entry lists it for that port and each
    ///   resolved address is public unicast or listed by an address entry: a
    ///   listed name that resolves to a private, loopback, link-local,
    ///   metadata, CGNAT, multicast or otherwise special address is denied
    ///   (DNS rebinding). A name with no resolved address is denied.
    /// - The credential endpoints (169.254.169.254, 169.254.170.2,
    ///   169.254.170.23, fd00:ec2::254, fd00:ec2::23) count as listed only
    ///   by an entry naming that single address.
    pub fn decide(&self, host: &str, port: u16, resolved: &[IpAddr]) -> EgressDecision {
        match self.check_name(host, port) {
            Err(denied) => denied,
            Ok((Target::Ip(ip), _)) => self.decide_address(ip, port),
            Ok((Target::Name(name), entry)) => {
                if resolved.is_empty() {
                    return EgressDecision::deny(format!("{name} resolved to no address"));
                }
                for &ip in resolved {
                    let ip = addr::canonical(ip);
                    if let Some(range) = addr::special_range(ip) {
                        if self.net_rule(ip, port).is_none() {
                            return EgressDecision::deny(format!(
                                "{name} (listed by {entry:?}) resolves to {ip}, a {range} address not listed"
                            ));
                        }
                    }
                }
                EgressDecision::allow(format!("host listed by {entry:?}"))
            }
        }
    }

    /// The part of [`Policy::decide`] that needs no resolution: the host's
    /// syntax and, for a name, whether an entry lists it. The proxy calls it
    /// first so that it never resolves a name the policy denies anyway (the
    /// lookup itself would leak the name to DNS).
    pub(crate) fn check_name(
        &self,
        host: &str,
        port: u16,
    ) -> Result<(Target, String), EgressDecision> {
        let target = parse_target(host)
            .map_err(|reason| EgressDecision::deny(format!("invalid host: {reason}")))?;
        let Target::Name(name) = &target else {
            return Ok((target, String::new()));
        };
        match self
            .hosts
            .iter()
            .find(|rule| rule.port.is_none_or(|p| p == port) && rule.pattern.matches(name))
        {
            Some(rule) => {
                let entry = rule.entry.clone();
                Ok((target, entry))
            }
            None => Err(EgressDecision::deny(format!(
                "host {name} port {port} not listed"
            ))),
        }
    }

    fn decide_address(&self, ip: IpAddr, port: u16) -> EgressDecision {
        let ip = addr::canonical(ip);
        if let Some(rule) = self.net_rule(ip, port) {
            return EgressDecision::allow(format!("address listed by {:?}", rule.entry));
        }
        match addr::special_range(ip) {
            Some(range) => {
                EgressDecision::deny(format!("address {ip} is a {range} address, not listed"))
            }
            None => EgressDecision::deny(format!("address {ip} port {port} not listed")),
        }
    }

    fn net_rule(&self, ip: IpAddr, port: u16) -> Option<&NetRule> {
        self.nets.iter().find(|rule| {
            rule.port.is_none_or(|p| p == port)
                && rule.net.contains(ip)
                && (!addr::is_credential_endpoint(ip) || rule.net.is_single())
        })
    }
}

/// Splits an optional `:port` off an entry. Bare IPv6 (more than one `:`)
/// has no port; `[v6]:port` and `[v6/len]:port` do. `None`: a bad port.
fn split_port(entry: &str) -> Option<(&str, Option<u16>)> {
    if let Some(rest) = entry.strip_prefix('[') {
        let (inner, after) = rest.split_once(']')?;
        return match after {
            "" => Some((inner, None)),
            _ => Some((inner, Some(parse_port(after.strip_prefix(':')?)?))),
        };
    }
    match entry.matches(':').count() {
        1 => {
            let (body, port) = entry.split_once(':')?;
            Some((body, Some(parse_port(port)?)))
        }
        _ => Some((entry, None)),
    }
}

fn parse_port(text: &str) -> Option<u16> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok().filter(|&p| p != 0)
}

/// A request's host: `[v6]` or a bare address is a literal, anything else a
/// name (normalised).
pub(crate) fn parse_target(host: &str) -> Result<Target, String> {
    let unbracketed = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if let Ok(ip) = unbracketed.parse::<IpAddr>() {
        return Ok(Target::Ip(addr::canonical(ip)));
    }
    normalize_host(host).map(Target::Name)
}

/// Longest host name written out (RFC 1035: 253 characters without the
/// trailing dot).
const MAX_NAME: usize = 253;

/// A host name in the form entries and requests are compared in: IDNA
/// (UTS #46) to ASCII, so `BÜCHER.example` is `xn--bcher-kva.example` and
/// upper case is lower case; one trailing dot removed; then only letters,
/// digits, `-` and `_` in labels of 1-63 characters. A name IDNA cannot
/// map (disallowed code points, bad punycode) is refused.
pub(crate) fn normalize_host(raw: &str) -> Result<String, String> {
    let trimmed = raw.strip_suffix('.').unwrap_or(raw);
    if trimmed.is_empty() {
        return Err("empty name".to_string());
    }
    if trimmed.len() > 4 * MAX_NAME {
        return Err("name too long".to_string());
    }
    let ascii = idna::domain_to_ascii_cow(trimmed.as_bytes(), idna::AsciiDenyList::URL)
        .map_err(|_| format!("{:?} is not a valid internationalised name", clip(trimmed)))?;
    if ascii.len() > MAX_NAME {
        return Err("name longer than 253 characters".to_string());
    }
    for label in ascii.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err(format!(
                "{:?}: labels must be 1-63 characters",
                clip(&ascii)
            ));
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        {
            return Err(format!(
                "{:?}: only letters, digits, `-` and `_` are allowed",
                clip(&ascii)
            ));
        }
    }
    Ok(ascii.into_owned())
}

/// At most 80 characters of untrusted text in a message.
fn clip(text: &str) -> &str {
    match text.char_indices().nth(80) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}
