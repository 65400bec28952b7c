//! Blocklists from the knowledge base (`fnguard intel export`): each
//! product's block names (whole subtrees that are the product's) in the
//! format of a DNS server, a DNS firewall, a proxy, an IDS or a SIEM.
//!
//! None of these formats takes the products' regular expressions whole
//! (RPZ, Route 53, hosts, dnsmasq and unbound have no regex at all; the
//! others would need the patterns rewritten per dialect), so every format
//! blocks the names and everything under them, and the header says so.

use crate::{Kind, KnowledgeBase, Product};
use std::fmt::Write as _;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A BIND/unbound Response Policy Zone: `name CNAME .` and
    /// `*.name CNAME .` (NXDOMAIN).
    Rpz,
    /// Route 53 Resolver DNS Firewall domain list: one domain per line,
    /// `*.` only as a leading label.
    Route53,
    /// `/etc/hosts`: no wildcards exist, so only the names themselves.
    Hosts,
    /// dnsmasq `local=/name/`: the name and everything under it answer
    /// NXDOMAIN, never forwarded.
    Dnsmasq,
    /// unbound `local-zone: "name." always_nxdomain` under `server:`.
    Unbound,
    /// Squid `acl ... dstdomain .name` and a deny rule.
    Squid,
    /// Suricata DNS rules: `dns.query; dotprefix; content:".name"; endswith;`.
    Suricata,
    /// A Sigma rule over DNS query logs (`query|endswith`).
    Sigma,
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "rpz" => Format::Rpz,
            "route53" => Format::Route53,
            "hosts" => Format::Hosts,
            "dnsmasq" => Format::Dnsmasq,
            "unbound" => Format::Unbound,
            "squid" => Format::Squid,
            "suricata" => Format::Suricata,
            "sigma" => Format::Sigma,
            _ => {
                return Err(format!(
                "unknown format `{s}` (rpz, route53, hosts, dnsmasq, unbound, squid, suricata, sigma)"
            ))
            }
        })
    }
}

/// Which products to export: all when a list is empty.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub vendors: Vec<String>,
    pub kinds: Vec<Kind>,
}

impl Filter {
    fn keeps(&self, product: &Product) -> bool {
        (self.vendors.is_empty()
            || self
                .vendors
                .iter()
                .any(|v| v.eq_ignore_ascii_case(&product.vendor)))
            && (self.kinds.is_empty() || self.kinds.contains(&product.kind))
    }
}

/// The products kept by `filter` and their block names, each name once
/// (two products may share one, as Azure's two App Service forms do).
fn selected<'kb>(kb: &'kb KnowledgeBase, filter: &Filter) -> Vec<(&'kb Product, Vec<&'kb str>)> {
    let mut seen: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for product in kb.products().iter().filter(|p| filter.keeps(p)) {
        let names: Vec<&str> = product
            .block
            .iter()
            .map(String::as_str)
            .filter(|name| {
                let new = !seen.contains(name);
                if new {
                    seen.push(name);
                }
                new
            })
            .collect();
        if !names.is_empty() {
            out.push((product, names));
        }
    }
    out
}

/// The blocklist in `format`; an error when the filter keeps nothing.
pub fn export(kb: &KnowledgeBase, format: Format, filter: &Filter) -> Result<String, String> {
    let products = selected(kb, filter);
    if products.is_empty() {
        return Err("no product matches the filter".into());
    }
    // RPZ (zone-file comments) and Sigma (a YAML document) write their own
    // headers; the other formats all take `#` comments.
    let comment = "#";
    let mut out = String::new();
    if format != Format::Sigma && format != Format::Rpz {
        let _ = writeln!(
            out,
            "{comment} fnguard intel export: cloud-function, API-gateway and edge endpoints ({})",
            count(products.len())
        );
        let why = match format {
            Format::Squid | Format::Suricata => {
                "the products' patterns are not rewritten into this format's regex dialect, so the"
            }
            _ => "this format has no regular expressions, so the",
        };
        let _ = writeln!(out, "{comment} Whole subtrees are blocked: {why}");
        let _ = writeln!(
            out,
            "{comment} vendors' names are listed with wildcards (`fnguard intel classify` attributes hosts)."
        );
    }
    match format {
        Format::Rpz => rpz(&mut out, &products),
        Format::Route53 => {
            for (product, names) in &products {
                let _ = writeln!(out, "# {}", product.name_en);
                for name in names {
                    let _ = writeln!(out, "{name}\n*.{name}");
                }
            }
        }
        Format::Hosts => {
            let _ = writeln!(
                out,
                "# hosts files have no wildcards: only these exact names are blocked, not the\n# endpoints under them; use another format to block the endpoints."
            );
            for (product, names) in &products {
                let _ = writeln!(out, "# {}", product.name_en);
                for name in names {
                    let _ = writeln!(out, "0.0.0.0 {name}");
                }
            }
        }
        Format::Dnsmasq => {
            for (product, names) in &products {
                let _ = writeln!(out, "# {}", product.name_en);
                for name in names {
                    let _ = writeln!(out, "local=/{name}/");
                }
            }
        }
        Format::Unbound => {
            let _ = writeln!(out, "server:");
            for (product, names) in &products {
                let _ = writeln!(out, "    # {}", product.name_en);
                for name in names {
                    let _ = writeln!(out, "    local-zone: \"{name}.\" always_nxdomain");
                }
            }
        }
        Format::Squid => {
            for (product, names) in &products {
                let _ = writeln!(out, "# {}", product.name_en);
                for name in names {
                    let _ = writeln!(out, "acl fnguard_cloud_functions dstdomain .{name}");
                }
            }
            let _ = writeln!(out, "http_access deny fnguard_cloud_functions");
        }
        Format::Suricata => {
            let mut sid = 9_100_000u32;
            for (product, names) in &products {
                for name in names {
                    sid += 1;
                    let _ = writeln!(
                        out,
                        "alert dns any any -> any any (msg:\"fnguard: {} endpoint lookup ({name})\"; dns.query; dotprefix; content:\".{name}\"; nocase; endswith; classtype:policy-violation; sid:{sid}; rev:1;)",
                        product.name_en.replace(['"', ';'], " ")
                    );
                }
            }
        }
        Format::Sigma => sigma(&mut out, &products),
    }
    Ok(out)
}

fn rpz(out: &mut String, products: &[(&Product, Vec<&str>)]) {
    let _ = writeln!(
        out,
        "; fnguard intel export: cloud-function, API-gateway and edge endpoints ({}).\n; Whole subtrees answer NXDOMAIN (RPZ has no regular expressions).",
        count(products.len())
    );
    let _ = writeln!(
        out,
        "$TTL 300\n@ IN SOA localhost. root.localhost. 1 3600 600 86400 300\n  IN NS localhost."
    );
    for (product, names) in products {
        let _ = writeln!(out, "; {}", product.name_en);
        for name in names {
            let _ = writeln!(out, "{name} CNAME .\n*.{name} CNAME .");
        }
    }
}

fn sigma(out: &mut String, products: &[(&Product, Vec<&str>)]) {
    let _ = writeln!(
        out,
        "title: DNS query for a cloud-function, API-gateway or edge endpoint\n\
id: 4b7d1f8e-2c1a-4e0f-9a55-6f1c2b3d9e01\n\
status: experimental\n\
description: >-\n  A host resolved a name of a serverless function, API gateway or edge platform\n  ({} from fnguard's knowledge base). Attackers use these as IP-hopping\n  proxies and C2 relays behind the vendors' domains (guide §2.1). Generated by\n  `fnguard intel export --format sigma`; whole subtrees, as Sigma has no shared\n  regex dialect.\n\
author: fnguard\n\
tags:\n  - attack.command-and-control\n  - attack.t1090.004\n  - attack.t1102\n\
logsource:\n  category: dns\n\
detection:\n  selection:\n    query|endswith:",
        count(products.len())
    );
    for (_, names) in products {
        for name in names {
            let _ = writeln!(out, "      - '.{name}'");
        }
    }
    let _ = writeln!(
        out,
        "  condition: selection\nfalsepositives:\n  - Functions, gateways and sites the organisation uses itself: except them by name or tenant\nlevel: medium"
    );
}

fn count(products: usize) -> String {
    if products == 1 {
        "1 product".into()
    } else {
        format!("{products} products")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kb() -> &'static KnowledgeBase {
        crate::builtin().expect("built-in data")
    }

    #[test]
    fn formats_block_the_names_and_their_subtrees() {
        let filter = Filter {
            vendors: vec!["alibaba".into()],
            kinds: vec![Kind::Function],
        };
        let rpz = export(kb(), Format::Rpz, &filter).unwrap();
        assert!(
            rpz.contains("fcapp.run CNAME .\n*.fcapp.run CNAME ."),
            "{rpz}"
        );
        assert!(
            !rpz.contains("alicloudapi.com"),
            "a gateway is filtered out"
        );
        let route53 = export(kb(), Format::Route53, &filter).unwrap();
        for line in route53.lines().filter(|l| !l.starts_with('#')) {
            assert!(
                !line.contains('*') || (line.starts_with("*.") && line.matches('*').count() == 1),
                "Route 53 takes a leading `*.` only: {line}"
            );
        }
        let unbound = export(kb(), Format::Unbound, &filter).unwrap();
        assert!(unbound.starts_with("#") && unbound.contains("server:\n"));
        assert!(unbound.contains("local-zone: \"fc.aliyuncs.com.\" always_nxdomain"));
        let suricata = export(kb(), Format::Suricata, &filter).unwrap();
        assert!(suricata.contains("content:\".fcapp.run\"; nocase; endswith;"));
        let sigma = export(kb(), Format::Sigma, &Filter::default()).unwrap();
        assert!(sigma.contains("      - '.execute-api.us-east-1.amazonaws.com'"));
        assert!(
            !sigma.contains("'.amazonaws.com'"),
            "never a whole shared suffix"
        );
    }

    #[test]
    fn shared_suffixes_are_never_blocked_whole() {
        let all = export(kb(), Format::Route53, &Filter::default()).unwrap();
        for broad in [
            "amazonaws.com",
            "on.aws",
            "baidubce.com",
            "huaweicloudapis.com",
            "volceapi.com",
        ] {
            assert!(
                !all.lines().any(|l| l == broad || l == format!("*.{broad}")),
                "{broad}"
            );
        }
        assert!(export(
            kb(),
            Format::Hosts,
            &Filter {
                vendors: vec!["nobody".into()],
                kinds: Vec::new()
            }
        )
        .is_err());
    }
}
