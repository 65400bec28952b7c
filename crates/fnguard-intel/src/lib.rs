//! Cloud-function and API-gateway endpoint intelligence (issue 5, guide §2.1
//! and §4): a knowledge base of the hostnames under which vendors publish
//! functions and gateways, and a classifier that turns a host or URL into
//! vendor, product, kind, region, tenant id and function/service id.
//!
//! The knowledge base is data (`rules/intel/endpoints.yml`, embedded); its
//! examples are checked by [`KnowledgeBase::check`]. Classification looks
//! the host's suffixes up in a map and runs only the patterns of the
//! products registered under them, so a host of an unrelated site costs a
//! few hash lookups and no regex.

mod data;
pub mod export;
mod host;
pub mod report;
mod yaml;

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::sync::OnceLock;

use data::parse_knowledge_base;
pub use data::{CaptureSpec, DataError, Example, Product};
pub use host::{normalize_host, punycode_encode, url_path};

/// What a product's hosts run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// The host runs the tenant's function code.
    Function,
    /// An API gateway: it may front a function or any other backend.
    Gateway,
    /// An edge or PaaS platform hosting anything, functions included.
    Edge,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Function => "function",
            Kind::Gateway => "gateway",
            Kind::Edge => "edge",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a pattern's named capture means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Region,
    /// Account, APPID, UID, project: whom to report.
    Tenant,
    /// Function, service, gateway or app id inside the tenant.
    Function,
    /// Anything else (hashes, zones, intranet markers).
    Detail,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Region => "region",
            Role::Tenant => "tenant",
            Role::Function => "function",
            Role::Detail => "detail",
        }
    }
}

/// How sure a classification is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Confidence {
    /// The pattern is unverified: the host has the shape, the research found
    /// no source confirming it.
    Low,
    /// A verified pattern of a generic edge/PaaS platform: the host is the
    /// vendor's, but it may serve anything.
    Medium,
    /// A verified pattern specific to a function or gateway product.
    High,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

impl fmt::Display for Confidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A host attributed to a product. Capture values are slices of `host`,
/// so a classification allocates only the host and one small vector.
#[derive(Debug, Clone, PartialEq)]
pub struct Classification<'kb> {
    /// The normalised host that matched.
    pub host: String,
    /// The input's path, kept when the product's path pattern matched it
    /// (e.g. the service and function of a legacy Alibaba FC URL).
    pub path: Option<String>,
    pub product: &'kb Product,
    pub confidence: Confidence,
    /// Every named capture that matched, host pattern first, each in
    /// pattern order: its spec (name, role, meaning) and its byte range in
    /// `host` or, for path captures, in `path`.
    spans: Vec<(&'kb CaptureSpec, Range<usize>)>,
}

impl<'kb> Classification<'kb> {
    pub fn vendor(&self) -> &'kb str {
        &self.product.vendor
    }

    pub fn kind(&self) -> Kind {
        self.product.kind
    }

    pub fn region(&self) -> Option<&str> {
        self.by_role(Role::Region)
    }

    /// Account, APPID, UID or project: whom the endpoint belongs to.
    pub fn tenant(&self) -> Option<&str> {
        self.by_role(Role::Tenant)
    }

    /// Function, service, gateway or app id.
    pub fn function(&self) -> Option<&str> {
        self.by_role(Role::Function)
    }

    /// The value of the named capture, when it matched.
    pub fn capture(&self, name: &str) -> Option<&str> {
        self.captures()
            .find(|(spec, _)| spec.name == name)
            .map(|(_, value)| value)
    }

    /// Every capture that matched, host pattern first, with its meaning.
    pub fn captures(&self) -> impl Iterator<Item = (&'kb CaptureSpec, &str)> + '_ {
        self.spans.iter().map(|(spec, range)| {
            let source = if spec.in_path {
                self.path.as_deref().unwrap_or_default()
            } else {
                &self.host
            };
            (*spec, &source[range.clone()])
        })
    }

    fn by_role(&self, role: Role) -> Option<&str> {
        self.captures()
            .find(|(spec, _)| spec.role == role)
            .map(|(_, value)| value)
    }
}

/// The products and the suffix map that picks candidates for a host.
#[derive(Debug)]
pub struct KnowledgeBase {
    products: Vec<Product>,
    /// Suffix (e.g. `fcapp.run`) to the indexes of the products under it,
    /// in file order.
    by_suffix: HashMap<String, Vec<usize>, FnvBuild>,
}

/// Result of a successful [`KnowledgeBase::check`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckSummary {
    pub products: usize,
    pub positive_examples: usize,
    pub negative_examples: usize,
}

/// An example that does not classify as the data says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckFailure {
    pub file: String,
    pub product: String,
    pub example: String,
    pub message: String,
}

impl fmt::Display for CheckFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}: example `{}`: {}",
            self.file, self.product, self.example, self.message
        )
    }
}

/// The embedded knowledge base's file name, as errors name it.
pub const BUILTIN_FILE: &str = "rules/intel/endpoints.yml";
const BUILTIN_TEXT: &str = include_str!("../../../rules/intel/endpoints.yml");

/// The knowledge base shipped with fnguard, parsed once. Errors here are
/// bugs caught by the test suite and `fnguard rules check`.
pub fn builtin() -> Result<&'static KnowledgeBase, &'static [DataError]> {
    static BUILTIN: OnceLock<Result<KnowledgeBase, Vec<DataError>>> = OnceLock::new();
    match BUILTIN.get_or_init(|| KnowledgeBase::parse(BUILTIN_FILE, BUILTIN_TEXT)) {
        Ok(kb) => Ok(kb),
        Err(errors) => Err(errors),
    }
}

/// Classify with the built-in knowledge base; `None` when the input has no
/// hostname, no product matches, or the built-in data is broken (which
/// `builtin()` reports).
pub fn classify(input: &str) -> Option<Classification<'static>> {
    builtin().ok()?.classify(input)
}

impl KnowledgeBase {
    /// Parse a knowledge-base file. Every bad entry is reported (file,
    /// line:column, entry id); nothing is kept unless the whole file is good.
    pub fn parse(file: &str, text: &str) -> Result<KnowledgeBase, Vec<DataError>> {
        let products = parse_knowledge_base(file, text)?;
        let mut by_suffix: HashMap<String, Vec<usize>, FnvBuild> = HashMap::default();
        for (index, product) in products.iter().enumerate() {
            for suffix in &product.suffixes {
                by_suffix.entry(suffix.clone()).or_default().push(index);
            }
        }
        Ok(KnowledgeBase {
            products,
            by_suffix,
        })
    }

    pub fn products(&self) -> &[Product] {
        &self.products
    }

    pub fn product(&self, id: &str) -> Option<&Product> {
        self.products.iter().find(|p| p.id == id)
    }

    /// Classify a host, `host:port`, URL or Host/SNI value.
    /// A URL's path also feeds the product's path pattern, when it has one.
    pub fn classify(&self, input: &str) -> Option<Classification<'_>> {
        let (authority, path) = host::split_url(input);
        self.classify_normalized(host::normalize_authority(authority)?, path)
    }

    /// Classify a host already normalised by [`normalize_host`], with the
    /// request path when known (see [`url_path`]).
    pub fn classify_normalized(
        &self,
        host: String,
        path: Option<&str>,
    ) -> Option<Classification<'_>> {
        // Longest suffix first: each dot starts a candidate suffix.
        let starts = host.match_indices('.').map(|(dot, _)| dot + 1);
        for start in starts {
            let Some(candidates) = self.by_suffix.get(&host[start..]) else {
                continue;
            };
            for &index in candidates {
                let product = &self.products[index];
                if let Some(found) = product.regex.captures(&host) {
                    let mut spans: Vec<_> = product
                        .captures
                        .iter()
                        .filter(|spec| !spec.in_path)
                        .filter_map(|spec| Some((spec, found.get(spec.group)?.range())))
                        .collect();
                    drop(found);
                    let path_found = product
                        .path_regex
                        .as_ref()
                        .zip(path)
                        .and_then(|(regex, path)| Some((regex.captures(path)?, path)));
                    let mut kept_path = None;
                    if let Some((found, path)) = path_found {
                        spans.extend(
                            product
                                .captures
                                .iter()
                                .filter(|spec| spec.in_path)
                                .filter_map(|spec| Some((spec, found.get(spec.group)?.range()))),
                        );
                        kept_path = Some(path.to_string());
                    }
                    return Some(Classification {
                        host,
                        path: kept_path,
                        product,
                        confidence: product.confidence(),
                        spans,
                    });
                }
            }
        }
        None
    }

    /// Prove the data: every positive example classifies as its product
    /// with exactly its captures, no negative example classifies as its
    /// product. All failures are returned.
    pub fn check(&self) -> Result<CheckSummary, Vec<CheckFailure>> {
        let mut failures = Vec::new();
        let mut summary = CheckSummary {
            products: self.products.len(),
            positive_examples: 0,
            negative_examples: 0,
        };
        for product in &self.products {
            let fail = |example: &str, message: String| CheckFailure {
                file: product.file.clone(),
                product: product.id.clone(),
                example: example.to_string(),
                message,
            };
            for example in &product.examples {
                summary.positive_examples += 1;
                match self.classify(&example.host) {
                    None => failures.push(fail(&example.host, "does not classify".into())),
                    Some(got) if got.product.id != product.id => failures.push(fail(
                        &example.host,
                        format!("classifies as `{}`", got.product.id),
                    )),
                    Some(got) => {
                        let mut want: Vec<(&str, &str)> = example
                            .captures
                            .iter()
                            .map(|(k, v)| (k.as_str(), v.as_str()))
                            .collect();
                        let mut have: Vec<(&str, &str)> = got
                            .captures()
                            .map(|(spec, value)| (spec.name.as_str(), value))
                            .collect();
                        want.sort_unstable();
                        have.sort_unstable();
                        if want != have {
                            failures.push(fail(
                                &example.host,
                                format!("captures {have:?}, the data says {want:?}"),
                            ));
                        }
                    }
                }
            }
            for example in &product.examples {
                let covered = crate::normalize_host(&example.host).is_some_and(|host| {
                    product
                        .block
                        .iter()
                        .any(|name| host == *name || host.ends_with(&format!(".{name}")))
                });
                if !covered {
                    failures.push(fail(
                        &example.host,
                        "not under any of the product's block names (blocklists would miss it)"
                            .into(),
                    ));
                }
            }
            for negative in &product.negative_examples {
                summary.negative_examples += 1;
                if let Some(got) = self.classify(negative) {
                    if got.product.id == product.id {
                        failures.push(fail(
                            negative,
                            "negative example classifies as this product".into(),
                        ));
                    }
                }
            }
        }
        if failures.is_empty() {
            Ok(summary)
        } else {
            Err(failures)
        }
    }
}

/// FNV-1a: the suffix map is hit once per label of every host with short
/// keys; it classified the bench/intel mix about 10 % faster than SipHash.
/// The keys are our own data, so hash flooding is not a concern.
type FnvBuild = fnguard_core::fast_hash::BuildFnv1a;
