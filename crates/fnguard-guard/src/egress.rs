//! Default-deny egress (guide §3.3.4): an HTTP forward and CONNECT proxy in
//! the extension, exported by the wrapper as `HTTP_PROXY`/`HTTPS_PROXY`, that
//! lets the function reach only listed destinations (after Stripe's
//! Smokescreen). The control is cooperative: code that ignores the proxy
//! variables is not stopped by it.
//!
//! # Allowlist entries ([`Policy::parse`])
//!
//! | Entry | Allows |
//! |---|---|
//! | `api.example.com` | that name |
//! | `*.example.com` | names below `example.com`, any depth, not `example.com` itself (Smokescreen's syntax) |
//! | `.example.com` | `example.com` and every name below it (AWS Network Firewall's syntax) |
//! | `10.0.0.5`, `fd00::5`, `[fd00::5]` | that address |
//! | `10.1.0.0/16`, `fd00::/8`, `[fd00::/8]` | addresses in the block (host bits must be zero) |
//! | `ENTRY:443`, `[fd00::5]:443` | the same, on that port only (otherwise any port) |
//! | `aws:SERVICE` | the SDK endpoints of `SERVICE` in the function's region, port 443 (see below) |
//! | `aws:SERVICE@REGION` | the same in another region |
//! | `aws:*` | `*.REGION.amazonaws.com`, `*.REGION.api.aws`, S3's global names and the global endpoints of STS, IAM, Route 53, CloudFront, Organizations, port 443 |
//!
//! Names are compared after IDNA (UTS #46) mapping to ASCII, so case and
//! Unicode forms do not matter, and without one trailing dot; a name IDNA
//! cannot map is refused. A wildcard needs at least two labels (`*.com` and
//! `*` are refused) and only stands first.
//!
//! `aws:SERVICE` is `SERVICE.REGION.amazonaws.com`, its `-fips` and
//! `.dualstack` variants, `SERVICE.REGION.api.aws` (dual-stack, with its
//! FIPS form) and the global `SERVICE.amazonaws.com`; China regions use
//! `amazonaws.com.cn`/`api.amazonwebservices.com.cn`. `aws:s3` is the
//! regional, FIPS, dual-stack, access point, S3 Control and legacy
//! `s3-REGION` names with every subdomain (virtual-hosted buckets), plus
//! `s3.amazonaws.com` and its subdomains; `aws:dynamodb` adds account-based
//! endpoints (`*.ddb.REGION.amazonaws.com`) and DynamoDB Streams;
//! `aws:execute-api` is `*.execute-api.REGION.amazonaws.com`. A host allowlist
//! cannot tell whose bucket or API a name belongs to: `aws:s3`,
//! `aws:execute-api` and `aws:*` also reach resources an attacker owns (use
//! VPC endpoint policies for that).
//!
//! # Decisions ([`Policy::decide`])
//!
//! A name must be listed by a host entry, and every address it resolves to
//! must be public unicast unless an address entry lists it: private,
//! loopback, link-local, CGNAT, unspecified, multicast, documentation,
//! benchmarking and reserved ranges, in IPv4, IPv6 and the IPv6 forms that
//! carry an IPv4 address (mapped, NAT64, 6to4), are refused, so `localhost`
//! and a listed name rebound to `10.0.0.1` are denied. An address literal
//! must be listed by an address entry. The metadata and credential endpoints
//! (`169.254.169.254`, `fd00:ec2::254`, ...) count as listed only by an entry
//! naming that single address.
//!
//! # The proxy ([`EgressProxy::start`])
//!
//! `CONNECT host:port` opens a tunnel after the check; `GET http://host/...`
//! is forwarded with hop-by-hop headers removed. The proxy resolves a name
//! once, checks every address, and connects only to those addresses. Denied
//! in [`Mode::Enforce`]: `403` with a one-line reason; [`Mode::Report`] lets
//! it through with `would_deny: true`. Each decision goes to the sink as an
//! [`EgressEvent`]: host, port, verdict, reason and addresses, never a path,
//! a query or a header.
//!
//! The wrapper exports the proxy in both spellings (`HTTP_PROXY`,
//! `HTTPS_PROXY`, `http_proxy`, `https_proxy`: libcurl, used by
//! `awslambdaric`, reads only the lower-case `http_proxy`) together with
//! `NO_PROXY`/`no_proxy` covering `localhost` and `127.0.0.1`, or the runtime
//! would send its Runtime API calls through the egress proxy and have them
//! refused as loopback. Clients that ignore these variables (the AWS SDK for
//! JavaScript v3 without a proxy agent, raw sockets) are not covered.

mod addr;
mod aws;
mod policy;
mod proxy;

pub use policy::{EgressDecision, Policy, PolicyError};
pub use proxy::{EgressEvent, EgressProxy, EgressSink, Limits, Mode, RequestKind};
