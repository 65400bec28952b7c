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
//! `*.example.com` only what is under it. Files hold one entry per line
//! (`#` comments, same meaning), hosts lines or Adblock `||name^` lines,
//! or are RPZ zones (`name CNAME .` that name only, `*.name CNAME .` its
//! subtree, as RPZ servers read them and `fnguard intel export --format
//! rpz` writes).

use fnguard_core::location::line_col;
use fnguard_intel::{Kind, KnowledgeBase};
use serde::Deserialize;
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
pub type PolicyError = fnguard_core::location::FileError;

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
    actions: Option<RawActions>,
}

/// Actions per rule: `[policy.actions]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawActions {
    deny: Option<Spanned<String>>,
    category: Option<Spanned<String>>,
    default: Option<Spanned<String>>,
}

/// `nxdomain`, `nodata`, `refused`, `override` (with the `override`
/// address) or an address (an override to it); errors carry their offset.
fn action_from(
    value: &Spanned<String>,
    override_address: Option<&Spanned<String>>,
) -> Result<Action, (usize, String)> {
    let start = value.span().start;
    match value.get_ref().as_str() {
        "nxdomain" => Ok(Action::NxDomain),
        "nodata" => Ok(Action::NoData),
        "refused" => Ok(Action::Refused),
        "override" => match override_address {
            Some(address) => address.get_ref().parse().map(Action::Override).map_err(|_| {
                (
                    address.span().start,
                    format!("`{}` is not an IP address", address.get_ref()),
                )
            }),
            None => Err((start, "action `override` needs `override = \"ADDRESS\"`".into())),
        },
        other => other.parse().map(Action::Override).map_err(|_| {
            (
                start,
                format!(
                    "unknown action `{other}` (nxdomain, nodata, refused, override, or an address to answer with)"
                ),
            )
        }),
    }
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

/// Names (the name and its subtree), wildcards (the subtree only) and
/// exact names (the name only: RPZ and hosts entries mean that).
#[derive(Debug, Default)]
struct NameSet {
    names: NameTable,
    wildcards: NameTable,
    exact: NameTable,
    /// The actions entries' tags stand for: tag 0 is "the policy's",
    /// tag n is `actions[n - 1]` (an RPZ entry's own: NODATA, or local
    /// data's address).
    actions: Vec<Action>,
}

/// RPZ feeds give local data to thousands of names but seldom more than a
/// few addresses; a tag is one byte.
const MAX_ENTRY_ACTIONS: usize = 255;

/// What an entry without `*.` covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// The name and everything under it (policy entries, plain lists).
    Subtree,
    /// The name only (an RPZ trigger or a hosts line, as their servers
    /// read them; RPZ writes `*.name` for the subtree).
    Exact,
}

/// A set of names sized for million-entry denylists: the names packed in
/// one buffer (a length byte, then the name), found through a map from a
/// 32-bit keyed hash to their offset. About 40 bytes a name where a
/// `HashSet<String>` takes over 80, which keeps a million names, and a
/// reload's second copy, within the firewall's memory budget. Two names
/// whose hashes collide are rare (about a hundred in a million): the
/// second goes to `overflow`, a plain map. Each name carries a one-byte
/// tag: the action its list gave it (see `NameSet::actions`).
#[derive(Default)]
struct NameTable {
    /// Per name: its length, its tag, the name.
    packed: Vec<u8>,
    offsets: fnguard_core::fast_hash::HashMap<u32, u32>,
    overflow: std::collections::HashMap<String, u8>,
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

    /// The name and tag stored at `offset`.
    fn stored(&self, offset: u32) -> (&[u8], u8) {
        let at = offset as usize;
        let len = self.packed[at] as usize;
        (&self.packed[at + 2..at + 2 + len], self.packed[at + 1])
    }

    /// `name` is at most 253 bytes (checked by `NameSet::add`). A name
    /// listed twice keeps its first tag: the first entry wins.
    fn insert(&mut self, name: &str, tag: u8) {
        let key = self.key(name);
        match self.offsets.get(&key) {
            Some(&offset) if self.stored(offset).0 == name.as_bytes() => {}
            Some(_) => {
                self.overflow.entry(name.to_string()).or_insert(tag);
            }
            None => {
                let offset = self.packed.len() as u32;
                self.packed.push(name.len() as u8);
                self.packed.push(tag);
                self.packed.extend_from_slice(name.as_bytes());
                self.offsets.insert(key, offset);
            }
        }
    }

    /// The tag of `name` when it is in the table.
    fn get(&self, name: &str) -> Option<u8> {
        match self.offsets.get(&self.key(name)) {
            Some(&offset) => match self.stored(offset) {
                (stored, tag) if stored == name.as_bytes() => Some(tag),
                _ => self.overflow.get(name).copied(),
            },
            None => None,
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
    fn add(&mut self, entry: &str, scope: Scope) -> Result<(), String> {
        self.add_with_action(entry, scope, None)
    }

    /// An entry with the action its list gives it (`None`: the policy's).
    fn add_with_action(
        &mut self,
        entry: &str,
        scope: Scope,
        action: Option<Action>,
    ) -> Result<(), String> {
        let tag = match action {
            None => 0,
            Some(action) => match self.actions.iter().position(|a| *a == action) {
                Some(index) => index as u8 + 1,
                None if self.actions.len() < MAX_ENTRY_ACTIONS => {
                    self.actions.push(action);
                    self.actions.len() as u8
                }
                None => {
                    return Err(format!(
                        "more than {MAX_ENTRY_ACTIONS} different local-data answers in the lists"
                    ))
                }
            },
        };
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
        match (wildcard, scope) {
            (true, _) => self.wildcards.insert(&name, tag),
            (false, Scope::Subtree) => self.names.insert(&name, tag),
            (false, Scope::Exact) => self.exact.insert(&name, tag),
        }
        Ok(())
    }

    /// The entry that covers `name`, if any, with the action its list gave
    /// it: the name itself, then each parent (as a name, or as a wildcard
    /// when `name` is below it).
    fn matching(&self, name: &str) -> Option<(String, Option<Action>)> {
        let action = |tag: u8| tag.checked_sub(1).map(|i| self.actions[i as usize]);
        if let Some(tag) = self.names.get(name).or_else(|| self.exact.get(name)) {
            return Some((name.to_string(), action(tag)));
        }
        let mut rest = name;
        while let Some((_, parent)) = rest.split_once('.') {
            if let Some(tag) = self.names.get(parent) {
                return Some((parent.to_string(), action(tag)));
            }
            if let Some(tag) = self.wildcards.get(parent) {
                return Some((format!("*.{parent}"), action(tag)));
            }
            rest = parent;
        }
        None
    }

    fn len(&self) -> usize {
        self.names.len() + self.wildcards.len() + self.exact.len()
    }

    fn shrink(&mut self) {
        self.names.shrink();
        self.wildcards.shrink();
        self.exact.shrink();
    }
}

/// A loaded policy.
#[derive(Debug)]
pub struct Policy {
    pub mode: Mode,
    /// The answer to a blocked query unless a rule gives its own.
    pub action: Action,
    /// `[policy.actions] deny`: for every deny entry, over what an RPZ
    /// entry says (as unbound's `rpz-action-override`).
    deny_action: Option<Action>,
    category_action: Action,
    default_action: Action,
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
        let parse_action = |value: &Spanned<String>| {
            action_from(value, raw.override_address.as_ref())
                .map_err(|(offset, message)| at(offset, message))
        };
        let action = match &raw.action {
            Some(value) => parse_action(value)?,
            None => Action::NxDomain,
        };
        let actions = raw.actions.as_ref();
        let deny_action = actions
            .and_then(|a| a.deny.as_ref())
            .map(parse_action)
            .transpose()?;
        let category_action = match actions.and_then(|a| a.category.as_ref()) {
            Some(value) => parse_action(value)?,
            None => action,
        };
        let default_action = match actions.and_then(|a| a.default.as_ref()) {
            Some(value) => parse_action(value)?,
            None => action,
        };
        let mut allow = NameSet::default();
        let mut deny = NameSet::default();
        for (entries, set) in [(&raw.allow, &mut allow), (&raw.deny, &mut deny)] {
            for entry in entries {
                set.add(entry.get_ref(), Scope::Subtree)
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
            deny_action,
            category_action,
            default_action,
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
        let block = |mut d: Decision, rule: String, action: Action| {
            d.allowed = false;
            d.action = Some(action);
            d.rule = rule;
            d
        };
        let allow = |mut d: Decision, rule: String| {
            d.allowed = true;
            d.rule = rule;
            d
        };
        if let Some((entry, own_action)) = self.deny.matching(&name) {
            let action = self.deny_action.or(own_action).unwrap_or(self.action);
            return block(decision, format!("deny:{entry}"), action);
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
                return block(
                    decision,
                    format!("category:{}", found.kind().as_str()),
                    self.category_action,
                );
            }
        }
        if let Some((entry, _)) = self.allow.matching(&name) {
            return allow(decision, format!("allow:{entry}"));
        }
        decision.rule = "default".into();
        match self.mode {
            Mode::Allowlist => block(decision, "default".into(), self.default_action),
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
        line: line.into(),
        col: col.into(),
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

/// The list formats found in the wild, one entry per line (`#` and `;`
/// comments), each read as its own servers read it: plain names (the name
/// and its subtree) and `*.` wildcards (the subtree); hosts files
/// (`0.0.0.0 evil.example`, that name only; the loopback names skipped);
/// Adblock-style `||name^` (name and subtree); and RPZ zones (`fnguard
/// intel export --format rpz`, and feeds), where a trigger is that name
/// only and `*.name` its subtree:
/// - `NAME CNAME .` (NXDOMAIN), `CNAME *.` (NODATA), `CNAME rpz-drop.`,
///   a CNAME to a walled garden, or local data (`NAME A 192.0.2.1`): the
///   name is listed (answered with the policy's action);
/// - `CNAME rpz-passthru.` and `rpz-tcp-only.`: not listed (in a deny
///   file the name stays covered by the zone's other entries, which blocks
///   more rather than less);
/// - IP, NSDNAME and client-IP triggers (`rpz-ip`, `rpz-nsip`,
///   `rpz-nsdname`, `rpz-client-ip` labels) are about answers and
///   servers, not query names: skipped;
/// - `$ORIGIN` is removed from absolute names, the apex (`@`), SOA and NS
///   records and parenthesised continuations are skipped.
fn read_list(
    display: &str,
    mut reader: impl std::io::BufRead,
    set: &mut NameSet,
) -> Result<(), PolicyError> {
    let mut buffer = String::new();
    let mut origin: Option<String> = None;
    let mut in_parentheses = false;
    for index in 0.. {
        let error = |message: String| PolicyError {
            file: display.to_string(),
            line: index + 1,
            col: 1,
            message,
        };
        buffer.clear();
        match reader.read_line(&mut buffer) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => return Err(error(format!("cannot read this line: {e}"))),
        }
        let line = buffer.split(['#', ';']).next().unwrap_or("").trim();
        if in_parentheses {
            in_parentheses = !line.contains(')');
            continue;
        }
        if line.contains('(') && !line.contains(')') {
            in_parentheses = true;
        }
        if let Some(directive) = line.strip_prefix('$') {
            let mut fields = directive.split_whitespace();
            if fields
                .next()
                .is_some_and(|d| d.eq_ignore_ascii_case("ORIGIN"))
            {
                origin = fields
                    .next()
                    .map(|o| o.trim_end_matches('.').to_ascii_lowercase());
            }
            continue;
        }
        if line.is_empty() || line.starts_with('@') || line.starts_with('!') {
            continue;
        }
        // A record's owner starts the line; a line that starts with blanks
        // continues the previous owner (the apex's NS records).
        if buffer.starts_with([' ', '\t']) {
            continue;
        }
        match list_entry(line, origin.as_deref()).map_err(error)? {
            Some((entry, scope, action)) => {
                set.add_with_action(&entry, scope, action).map_err(error)?
            }
            None => continue,
        }
    }
    Ok(())
}

/// Hosts files' names for the machine itself.
const HOSTS_SELF: [&str; 6] = [
    "localhost",
    "localhost.localdomain",
    "local",
    "broadcasthost",
    "ip6-localhost",
    "ip6-loopback",
];

/// The entry a list line names, `None` when it names none (see
/// [`read_list`]).
/// A list entry: the name, what it covers, and the action its list gives
/// it (`None`: the policy's).
type ListEntry = (String, Scope, Option<Action>);

fn list_entry(line: &str, origin: Option<&str>) -> Result<Option<ListEntry>, String> {
    if let Some(rule) = line.strip_prefix("||") {
        // Adblock: `||name^` is the name and its subdomains; options after
        // `$` are about browsers.
        let name = rule.split(['^', '$']).next().unwrap_or("");
        return Ok(Some((name.to_string(), Scope::Subtree, None)));
    }
    let fields: Vec<&str> = line.split_whitespace().collect();
    let [first, rest @ ..] = fields.as_slice() else {
        return Ok(None);
    };
    if rest.is_empty() {
        return Ok(Some((first.to_string(), Scope::Subtree, None)));
    }
    if first.parse::<std::net::IpAddr>().is_ok() {
        // hosts: an address, then names.
        let name = rest[0].to_ascii_lowercase();
        let is_self = HOSTS_SELF.contains(&name.as_str())
            || name.parse::<std::net::IpAddr>().is_ok()
            || name.starts_with("ip6-");
        return Ok((!is_self).then_some((name, Scope::Exact, None)));
    }
    // A zone record: OWNER [TTL] [CLASS] TYPE RDATA...
    let mut fields = rest.iter().skip_while(|f| {
        f.bytes().all(|b| b.is_ascii_digit())
            || ["IN", "CH", "HS", "CS"]
                .iter()
                .any(|class| f.eq_ignore_ascii_case(class))
    });
    let Some(rtype) = fields.next() else {
        return Err(format!("expected a name or an RPZ record, found `{line}`"));
    };
    let rtype = rtype.to_ascii_uppercase();
    if !rtype.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(format!("expected a name or an RPZ record, found `{line}`"));
    }
    // The RPZ policy actions: `CNAME .` NXDOMAIN, `CNAME *.` NODATA, local
    // data an answer; `rpz-drop.` and a walled garden's CNAME take the
    // policy's action.
    let action = match rtype.as_str() {
        "SOA" | "NS" => return Ok(None),
        "CNAME" => {
            let target = fields
                .next()
                .map_or(String::new(), |t| t.to_ascii_lowercase());
            if target.starts_with("rpz-passthru") || target.starts_with("rpz-tcp-only") {
                return Ok(None);
            }
            match target.as_str() {
                "." => Some(Action::NxDomain),
                "*." => Some(Action::NoData),
                _ => None,
            }
        }
        "A" | "AAAA" => fields
            .next()
            .and_then(|address| address.parse().ok())
            .map(Action::Override),
        _ => None,
    };
    let mut owner = first.to_ascii_lowercase();
    if let (Some(absolute), Some(origin)) = (owner.strip_suffix('.'), origin) {
        owner = absolute
            .strip_suffix(origin)
            .map_or(absolute, |relative| relative.trim_end_matches('.'))
            .to_string();
    }
    let trigger_label = owner.split('.').any(|label| {
        matches!(
            label,
            "rpz-ip" | "rpz-nsip" | "rpz-nsdname" | "rpz-client-ip"
        )
    });
    Ok((!trigger_label && !owner.is_empty()).then_some((owner, Scope::Exact, action)))
}

pub mod server;

#[cfg(test)]
mod tests;
