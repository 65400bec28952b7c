//! The policy of `fnguard dns` (guide §3.3.4: a DNS allowlist at egress;
//! §2.1 and §4: block the cloud-function endpoints an organisation does not
//! use). This slice decides, for one query name, whether it resolves and
//! why; `fnguard dns check` runs it offline. The server that applies it to
//! live queries comes next.
//!
//! Decision order, first match wins:
//! 1. an explicit deny entry blocks;
//! 2. an exception (vendor, and optionally tenant and product, of an
//!    endpoint the knowledge base recognises) allows: "only our own
//!    Tencent APPID's gateways", which no DNS product offers;
//! 3. a blocked intel category (`cloud-function`, `api-gateway`, `edge`)
//!    blocks the endpoints of that kind;
//! 4. an allow entry allows;
//! 5. the mode decides: `allowlist` (the default) blocks, `denylist`
//!    allows.
//!
//! List entries: `example.com` is the name and everything under it,
//! `*.example.com` only what is under it; files hold one entry per line
//! (`#` comments) or are RPZ zones (`name CNAME .` / `*.name CNAME .`, as
//! `fnguard intel export --format rpz` writes).

use fnguard_core::location::line_col;
use fnguard_intel::{Kind, KnowledgeBase};
use serde::Deserialize;
use std::collections::HashSet;
use std::fmt;
use std::path::Path;
use toml::Spanned;

/// What a blocked query is answered with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    NxDomain,
    NoData,
    Refused,
    /// An address of the operator's (a sinkhole or a block page).
    Override(std::net::IpAddr),
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::NxDomain => f.write_str("NXDOMAIN"),
            Action::NoData => f.write_str("NODATA"),
            Action::Refused => f.write_str("REFUSED"),
            Action::Override(ip) => write!(f, "override {ip}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Default deny: only allowed names resolve.
    Allowlist,
    /// Default allow: only denied names are blocked.
    Denylist,
}

/// A problem in the policy file or a list it names, with where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    pub file: String,
    /// 1-based; 0 when the problem has no position.
    pub line: u32,
    pub col: u32,
    pub message: String,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.file, self.line, self.col, self.message
            )
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    policy: RawPolicy,
    /// Read by `dns serve` ([`server::ServerConfig`]); parsed here too so
    /// that `dns check` rejects the same unknown keys.
    #[allow(dead_code)]
    server: Option<server::config::RawServer>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    mode: Option<Spanned<String>>,
    action: Option<Spanned<String>>,
    #[serde(rename = "override")]
    override_address: Option<Spanned<String>>,
    #[serde(default)]
    allow: Vec<Spanned<String>>,
    #[serde(default)]
    deny: Vec<Spanned<String>>,
    #[serde(default)]
    allow_files: Vec<Spanned<String>>,
    #[serde(default)]
    deny_files: Vec<Spanned<String>>,
    #[serde(default)]
    block: Vec<Spanned<String>>,
    #[serde(default)]
    exception: Vec<RawException>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawException {
    vendor: Spanned<String>,
    tenant: Option<String>,
    product: Option<String>,
    reason: Option<String>,
}

/// Allowed endpoints of a blocked category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exception {
    pub vendor: String,
    pub tenant: Option<String>,
    pub product: Option<String>,
    pub reason: Option<String>,
}

/// Names (the name and its subtree) and wildcards (the subtree only).
#[derive(Debug, Default)]
struct NameSet {
    names: NameTable,
    wildcards: NameTable,
}

/// A set of names sized for million-entry denylists: the names packed in
/// one buffer (a length byte, then the name), found through a map from a
/// 32-bit keyed hash to their offset. About 40 bytes a name where a
/// `HashSet<String>` takes over 80, which keeps a million names, and a
/// reload's second copy, within the firewall's memory budget. Two names
/// whose hashes collide are rare (about a hundred in a million): the
/// second goes to `overflow`, a plain set.
#[derive(Default)]
struct NameTable {
    packed: Vec<u8>,
    offsets: fnguard_core::fast_hash::HashMap<u32, u32>,
    overflow: HashSet<String>,
    hasher: fnguard_core::fast_hash::FastState,
}

impl fmt::Debug for NameTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NameTable({} names)", self.len())
    }
}

impl NameTable {
    fn key(&self, name: &str) -> u32 {
        use std::hash::BuildHasher;
        let hash = self.hasher.hash_one(name.as_bytes());
        (hash ^ (hash >> 32)) as u32
    }

    fn stored(&self, offset: u32) -> &[u8] {
        let at = offset as usize;
        let len = self.packed[at] as usize;
        &self.packed[at + 1..at + 1 + len]
    }

    /// `name` is at most 253 bytes (checked by `NameSet::add`).
    fn insert(&mut self, name: &str) {
        let key = self.key(name);
        match self.offsets.get(&key) {
            Some(&offset) if self.stored(offset) == name.as_bytes() => {}
            Some(_) => {
                self.overflow.insert(name.to_string());
            }
            None => {
                let offset = self.packed.len() as u32;
                self.packed.push(name.len() as u8);
                self.packed.extend_from_slice(name.as_bytes());
                self.offsets.insert(key, offset);
            }
        }
    }

    fn contains(&self, name: &str) -> bool {
        match self.offsets.get(&self.key(name)) {
            Some(&offset) if self.stored(offset) == name.as_bytes() => true,
            Some(_) => self.overflow.contains(name),
            None => false,
        }
    }

    fn len(&self) -> usize {
        self.offsets.len() + self.overflow.len()
    }

    fn shrink(&mut self) {
        self.packed.shrink_to_fit();
        self.offsets.shrink_to_fit();
    }
}

impl NameSet {
    fn add(&mut self, entry: &str) -> Result<(), String> {
        let entry = entry.trim().trim_end_matches('.').to_ascii_lowercase();
        let (wildcard, name) = match entry.strip_prefix("*.") {
            Some(rest) => (true, rest.to_string()),
            None => (false, entry),
        };
        if name.is_empty()
            || name.len() > 253
            || name.contains('*')
            || name
                .split('.')
                .any(|label| label.is_empty() || label.len() > 63)
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
        {
            return Err(format!(
                "`{name}` is not a domain name (`*.` only as the first label)"
            ));
        }
        if wildcard {
            self.wildcards.insert(&name);
        } else {
            self.names.insert(&name);
        }
        Ok(())
    }

    /// The entry that covers `name`, if any: the name itself, then each
    /// parent (as a name, or as a wildcard when `name` is below it).
    fn matching(&self, name: &str) -> Option<String> {
        if self.names.contains(name) {
            return Some(name.to_string());
        }
        let mut rest = name;
        while let Some((_, parent)) = rest.split_once('.') {
            if self.names.contains(parent) {
                return Some(parent.to_string());
            }
            if self.wildcards.contains(parent) {
                return Some(format!("*.{parent}"));
            }
            rest = parent;
        }
        None
    }

    fn len(&self) -> usize {
        self.names.len() + self.wildcards.len()
    }

    fn shrink(&mut self) {
        self.names.shrink();
        self.wildcards.shrink();
    }
}

/// A loaded policy.
#[derive(Debug)]
pub struct Policy {
    pub mode: Mode,
    pub action: Action,
    allow: NameSet,
    deny: NameSet,
    /// Endpoint kinds blocked.
    pub blocked_kinds: Vec<Kind>,
    pub exceptions: Vec<Exception>,
}

/// Why a name resolves or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    /// The answer when blocked.
    pub action: Option<Action>,
    /// The rule that decided: `deny:NAME`, `allow:NAME`, `category:KIND`,
    /// `exception:VENDOR[/TENANT]`, or `default`.
    pub rule: String,
    /// When the name is a cloud-function or gateway endpoint: vendor,
    /// product and tenant.
    pub vendor: Option<String>,
    pub product: Option<String>,
    pub tenant: Option<String>,
}

impl Policy {
    /// Reads a policy file; list files are relative to its folder.
    pub fn load(path: &Path) -> Result<Policy, PolicyError> {
        let (display, text) = read_config(path)?;
        let base = path.parent().unwrap_or(Path::new("."));
        Policy::parse(&display, &text, base)
    }

    pub fn parse(display: &str, text: &str, base: &Path) -> Result<Policy, PolicyError> {
        let at = |offset: usize, message: String| error_at(display, text, offset, message);
        let raw: RawFile = toml::from_str(text).map_err(|e| toml_error(display, text, &e))?;
        let raw = raw.policy;
        let mode = match raw.mode.as_ref().map(|m| (m.get_ref().as_str(), m.span())) {
            None | Some(("allowlist", _)) => Mode::Allowlist,
            Some(("denylist", _)) => Mode::Denylist,
            Some((other, span)) => {
                return Err(at(
                    span.start,
                    format!("unknown mode `{other}` (allowlist or denylist)"),
                ))
            }
        };
        let action = match raw
            .action
            .as_ref()
            .map(|a| (a.get_ref().as_str(), a.span()))
        {
            None | Some(("nxdomain", _)) => Action::NxDomain,
            Some(("nodata", _)) => Action::NoData,
            Some(("refused", _)) => Action::Refused,
            Some(("override", span)) => match &raw.override_address {
                Some(address) => Action::Override(address.get_ref().parse().map_err(|_| {
                    at(
                        address.span().start,
                        format!("`{}` is not an IP address", address.get_ref()),
                    )
                })?),
                None => {
                    return Err(at(
                        span.start,
                        "action `override` needs `override = \"ADDRESS\"`".into(),
                    ))
                }
            },
            Some((other, span)) => {
                return Err(at(
                    span.start,
                    format!("unknown action `{other}` (nxdomain, nodata, refused or override)"),
                ))
            }
        };
        let mut allow = NameSet::default();
        let mut deny = NameSet::default();
        for (entries, set) in [(&raw.allow, &mut allow), (&raw.deny, &mut deny)] {
            for entry in entries {
                set.add(entry.get_ref())
                    .map_err(|m| at(entry.span().start, m))?;
            }
        }
        for (files, set) in [(&raw.allow_files, &mut allow), (&raw.deny_files, &mut deny)] {
            for file in files {
                let path = base.join(file.get_ref());
                let list = std::fs::File::open(&path).map_err(|e| {
                    at(
                        file.span().start,
                        format!("cannot read {}: {e}", path.display()),
                    )
                })?;
                // Line by line: a million-name zone is never in memory
                // twice, as text and as a set.
                read_list(
                    &path.display().to_string(),
                    std::io::BufReader::with_capacity(256 * 1024, list),
                    set,
                )?;
            }
        }
        allow.shrink();
        deny.shrink();
        let mut blocked_kinds = Vec::new();
        for category in &raw.block {
            let kinds: &[Kind] = match category.get_ref().as_str() {
                "cloud-function" => &[Kind::Function],
                "api-gateway" => &[Kind::Gateway],
                "edge" => &[Kind::Edge],
                "cloud-endpoints" => &[Kind::Function, Kind::Gateway, Kind::Edge],
                other => {
                    return Err(at(
                        category.span().start,
                        format!(
                            "unknown category `{other}` (cloud-function, api-gateway, edge or cloud-endpoints)"
                        ),
                    ))
                }
            };
            blocked_kinds.extend_from_slice(kinds);
        }
        let mut exceptions = Vec::new();
        for exception in raw.exception {
            let vendor = exception.vendor.get_ref().to_ascii_lowercase();
            let known = fnguard_intel::builtin()
                .map(|kb| kb.products().iter().any(|p| p.vendor == vendor))
                .unwrap_or(false);
            if !known {
                return Err(at(
                    exception.vendor.span().start,
                    format!("unknown vendor `{vendor}` (see rules/intel/endpoints.yml)"),
                ));
            }
            exceptions.push(Exception {
                vendor,
                tenant: exception.tenant,
                product: exception.product,
                reason: exception.reason,
            });
        }
        Ok(Policy {
            mode,
            action,
            allow,
            deny,
            blocked_kinds,
            exceptions,
        })
    }

    /// Number of list entries loaded (allow, deny).
    pub fn sizes(&self) -> (usize, usize) {
        (self.allow.len(), self.deny.len())
    }

    /// The decision for a query name (any case, trailing dot or not).
    pub fn decide(&self, kb: &KnowledgeBase, query: &str) -> Decision {
        let name = query.trim().trim_end_matches('.').to_ascii_lowercase();
        let endpoint = kb.classify(&name);
        let mut decision = Decision {
            allowed: false,
            action: None,
            rule: String::new(),
            vendor: endpoint.as_ref().map(|e| e.vendor().to_string()),
            product: endpoint.as_ref().map(|e| e.product.id.clone()),
            tenant: endpoint
                .as_ref()
                .and_then(|e| e.tenant().map(str::to_string)),
        };
        let block = |mut d: Decision, rule: String| {
            d.allowed = false;
            d.action = Some(self.action);
            d.rule = rule;
            d
        };
        let allow = |mut d: Decision, rule: String| {
            d.allowed = true;
            d.rule = rule;
            d
        };
        if let Some(entry) = self.deny.matching(&name) {
            return block(decision, format!("deny:{entry}"));
        }
        if let Some(found) = &endpoint {
            let excepted = self.exceptions.iter().find(|x| {
                x.vendor == found.vendor()
                    && x.tenant
                        .as_deref()
                        .is_none_or(|t| Some(t) == found.tenant())
                    && x.product.as_deref().is_none_or(|p| p == found.product.id)
            });
            if let Some(x) = excepted {
                let rule = match &x.tenant {
                    Some(tenant) => format!("exception:{}/{tenant}", x.vendor),
                    None => format!("exception:{}", x.vendor),
                };
                return allow(decision, rule);
            }
            if self.blocked_kinds.contains(&found.kind()) {
                return block(decision, format!("category:{}", found.kind().as_str()));
            }
        }
        if let Some(entry) = self.allow.matching(&name) {
            return allow(decision, format!("allow:{entry}"));
        }
        decision.rule = "default".into();
        match self.mode {
            Mode::Allowlist => block(decision, "default".into()),
            Mode::Denylist => allow(decision, "default".into()),
        }
    }
}

/// A policy file's name as shown in errors, and its text.
pub(crate) fn read_config(path: &Path) -> Result<(String, String), PolicyError> {
    let display = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(text) => Ok((display, text)),
        Err(e) => Err(PolicyError {
            file: display,
            line: 0,
            col: 0,
            message: format!("cannot read: {e}"),
        }),
    }
}

/// A problem at a byte offset of a file.
fn error_at(display: &str, text: &str, offset: usize, message: String) -> PolicyError {
    let (line, col) = line_col(text, offset);
    PolicyError {
        file: display.to_string(),
        line,
        col,
        message,
    }
}

/// A TOML syntax or type error, with its position when TOML knows it.
fn toml_error(display: &str, text: &str, e: &toml::de::Error) -> PolicyError {
    let message = e.message().trim().to_string();
    match e.span() {
        Some(span) => error_at(display, text, span.start, message),
        None => PolicyError {
            file: display.to_string(),
            line: 0,
            col: 0,
            message,
        },
    }
}

/// One entry per line (`#` and `;` comments), or an RPZ zone: lines
/// `NAME CNAME .` (directives, SOA and NS records skipped).
fn read_list(
    display: &str,
    mut reader: impl std::io::BufRead,
    set: &mut NameSet,
) -> Result<(), PolicyError> {
    let mut buffer = String::new();
    for index in 0.. {
        buffer.clear();
        match reader.read_line(&mut buffer) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                return Err(PolicyError {
                    file: display.to_string(),
                    line: index as u32 + 1,
                    col: 1,
                    message: format!("cannot read this line: {e}"),
                })
            }
        }
        let line = buffer.split(['#', ';']).next().unwrap_or("").trim();
        if line.is_empty() || line.starts_with('$') || line.starts_with('@') {
            continue;
        }
        let mut fields = line.split_whitespace();
        let first = fields.next().unwrap_or("");
        let rest: Vec<&str> = fields.collect();
        let entry = if rest.is_empty() || rest.iter().any(|f| f.eq_ignore_ascii_case("CNAME")) {
            first
        } else if rest
            .iter()
            .any(|f| f.eq_ignore_ascii_case("NS") || f.eq_ignore_ascii_case("SOA"))
            || first.eq_ignore_ascii_case("IN")
        {
            continue;
        } else {
            return Err(PolicyError {
                file: display.to_string(),
                line: index as u32 + 1,
                col: 1,
                message: format!("expected a name or an RPZ `NAME CNAME .` record, found `{line}`"),
            });
        };
        set.add(entry).map_err(|message| PolicyError {
            file: display.to_string(),
            line: index as u32 + 1,
            col: 1,
            message,
        })?;
    }
    Ok(())
}

pub mod server;

#[cfg(test)]
mod tests;
