//! A CycloneDX 1.6 JSON SBOM of a function, or of a whole scan: the
//! packages found in the files (`deps::inventory`, `deps::binary`), the
//! dependency graph between them and, when an advisory database is given,
//! the OSV advisories that affect them.
//!
//! Hand-rolled serde structs: the `cyclonedx-bom` crate writes 1.3 to 1.5
//! only. The output is reproducible: the caller pins the timestamp, the
//! serial number is derived from a hash of everything else, and components,
//! properties, dependencies and vulnerabilities are sorted.
//!
//! Two shapes. `SbomBuilder::new` describes one function: it is the
//! metadata component and its packages hang from it. `SbomBuilder::for_scan`
//! describes a scan: the scan is the metadata component, each function and
//! layer scanned is an `application` component (`add_part`), its packages
//! hang from it, and a package shipped by two parts is one component both
//! depend on.
//!
//! The graph (`dependencies`) follows CycloneDX's reading: a component
//! with an entry depends on exactly what the entry lists (an empty entry:
//! on nothing); a component without one has dependencies nobody knows.
//! So a package gets an entry only when the file it came from records its
//! edges (`Package::dependencies`) and every edge found its component. A
//! function or layer depends on the packages its files declare as direct
//! and on those nothing else is known to pull in (their scope not known to
//! be transitive): with lockfiles that say which are direct, the former;
//! with formats that do not, the packages at the top of what is known.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use fnguard_core::encode::{hex, uuid_from_digest};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::deps::osv::{Advisory, Db};
use crate::deps::{Ecosystem, Package, Scope};

/// The version of CycloneDX written.
pub const SPEC_VERSION: &str = "1.6";

/// The function the SBOM describes (CycloneDX `metadata.component`), or
/// the scan with `SbomBuilder::for_scan`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Function {
    pub name: String,
    /// The deployed version when the IaC or the package says (a Lambda
    /// version, an image tag); `None` otherwise.
    pub version: Option<String>,
}

/// What a part of a scan is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PartKind {
    Function,
    Layer,
}

impl PartKind {
    fn as_str(self) -> &'static str {
        match self {
            PartKind::Function => "function",
            PartKind::Layer => "layer",
        }
    }
}

/// A function or a layer of a scan's SBOM: an `application` component
/// whose bom-ref is `function:NAME` or `layer:NAME`, with `@VERSION` when
/// the version is known (two versions of one layer are two parts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub kind: PartKind,
    pub name: String,
    pub version: Option<String>,
}

impl Part {
    pub fn bom_ref(&self) -> String {
        match &self.version {
            Some(version) => format!("{}:{}@{version}", self.kind.as_str(), self.name),
            None => format!("{}:{}", self.kind.as_str(), self.name),
        }
    }
}

/// A part added to a builder, to add packages to it. `None` inside: the
/// metadata component itself (a part given with its bom-ref).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PartId(Option<usize>);

/// A package, the part that ships it (`None`: the metadata component
/// itself) and the SHA-256 of its own artifact, when known.
#[derive(Debug, Clone)]
struct Entry {
    part: Option<usize>,
    package: Package,
    hash: Option<[u8; 32]>,
}

/// Collects the packages of one function, or of the functions and layers of
/// a scan, then writes the SBOM.
#[derive(Debug, Clone)]
pub struct SbomBuilder {
    subject: Function,
    subject_ref: String,
    timestamp: u64,
    parts: Vec<Part>,
    /// (part, part it uses): a function's layers.
    uses: BTreeSet<(usize, usize)>,
    entries: Vec<Entry>,
}

impl SbomBuilder {
    /// The SBOM of one function. `timestamp` is the creation time in
    /// seconds since the Unix epoch, given by the caller so that a rerun on
    /// the same inputs (tests, `SOURCE_DATE_EPOCH`) writes the same bytes.
    pub fn new(function: Function, timestamp: u64) -> SbomBuilder {
        let subject_ref = format!("function:{}", function.name);
        SbomBuilder::with_subject(function, subject_ref, timestamp)
    }

    /// The SBOM of a scan (its metadata component, bom-ref `scan:NAME`),
    /// holding every function and layer added with `add_part`.
    pub fn for_scan(scan: Function, timestamp: u64) -> SbomBuilder {
        let subject_ref = format!("scan:{}", scan.name);
        SbomBuilder::with_subject(scan, subject_ref, timestamp)
    }

    fn with_subject(subject: Function, subject_ref: String, timestamp: u64) -> SbomBuilder {
        SbomBuilder {
            subject,
            subject_ref,
            timestamp,
            parts: Vec::new(),
            uses: BTreeSet::new(),
            entries: Vec::new(),
        }
    }

    /// Adds a function or layer (with `new`, the function's layers; with
    /// `for_scan`, every function and layer). Adding an equal part again
    /// returns the same id, so a layer met through two functions is one
    /// component; a part that is `new`'s own function is the metadata
    /// component, not a second one.
    pub fn add_part(&mut self, part: Part) -> PartId {
        if part.bom_ref() == self.subject_ref {
            return PartId(None);
        }
        match self.parts.iter().position(|known| *known == part) {
            Some(index) => PartId(Some(index)),
            None => {
                self.parts.push(part);
                PartId(Some(self.parts.len() - 1))
            }
        }
    }

    /// Records that `part` runs with `used` (a function with its layer):
    /// the part's component depends on the used one's. A use of or by the
    /// metadata component needs no record: it depends on every part no
    /// other part uses.
    pub fn add_use(&mut self, part: PartId, used: PartId) {
        if let (Some(part), Some(used)) = (part.0, used.0) {
            if part != used {
                self.uses.insert((part, used));
            }
        }
    }

    /// Adds one package to the metadata component itself. `artifact_sha256`
    /// is the SHA-256 of the file that *is* the package (a jar, a wheel, a
    /// binary), when the caller has it: CycloneDX reads `hashes` as the
    /// component's own, so the hash of a lockfile that merely lists the
    /// package does not belong here (its path is recorded as evidence
    /// instead).
    pub fn add(&mut self, package: &Package, artifact_sha256: Option<[u8; 32]>) {
        self.push(None, package, artifact_sha256);
    }

    /// Adds one package shipped by `part` (see `add` for the hash). Two
    /// parts' packages resolve their edges separately: a name-only edge is
    /// looked for among the packages of the same part.
    pub fn add_to(&mut self, part: PartId, package: &Package, artifact_sha256: Option<[u8; 32]>) {
        self.push(part.0, package, artifact_sha256);
    }

    fn push(&mut self, part: Option<usize>, package: &Package, hash: Option<[u8; 32]>) {
        self.entries.push(Entry {
            part,
            package: package.clone(),
            hash,
        });
    }

    /// The SBOM. With `advisories`, each advisory affecting a component is
    /// a `vulnerabilities[]` entry naming every component it affects.
    pub fn build(&self, advisories: Option<&Db>) -> Bom {
        let libraries = self.components();
        let vulnerabilities = match advisories {
            Some(db) => vulnerabilities(db, &libraries),
            None => Vec::new(),
        };
        let dependencies = self.dependencies(&libraries);
        let mut parts: Vec<Component> = self.parts.iter().map(part_component).collect();
        parts.sort_by(|a, b| a.bom_ref.cmp(&b.bom_ref));
        let mut bom = Bom {
            bom_format: "CycloneDX",
            spec_version: SPEC_VERSION,
            serial_number: String::new(),
            version: 1,
            metadata: Metadata {
                timestamp: rfc3339_utc(self.timestamp),
                tools: Tools {
                    components: vec![ToolComponent {
                        kind: "application",
                        name: "fnguard",
                        version: env!("CARGO_PKG_VERSION"),
                    }],
                },
                component: MetadataComponent {
                    kind: "application",
                    bom_ref: self.subject_ref.clone(),
                    name: self.subject.name.clone(),
                    version: self.subject.version.clone(),
                },
            },
            components: parts
                .into_iter()
                .chain(libraries.into_iter().map(|c| c.component))
                .collect(),
            dependencies,
            vulnerabilities,
        };
        // Everything but the serial number is hashed, so the number changes
        // exactly when the content does.
        let content = serde_json::to_vec(&bom).unwrap_or_default();
        bom.serial_number = uuid_urn(&Sha256::digest(&content));
        bom
    }

    /// One component per package URL; a purl met with several different
    /// artifact hashes (two copies of a jar that differ) stays one component
    /// per hash, since they are not the same artifact.
    fn components(&self) -> Vec<Built> {
        let mut by_purl: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (index, entry) in self.entries.iter().enumerate() {
            by_purl.entry(entry.package.purl()).or_default().push(index);
        }
        let mut built = Vec::new();
        for (purl, indices) in by_purl {
            let hashes: BTreeSet<[u8; 32]> = indices
                .iter()
                .filter_map(|&i| self.entries[i].hash)
                .collect();
            if hashes.len() <= 1 {
                built.push(self.built(purl.clone(), indices, hashes.first().copied()));
                continue;
            }
            let unhashed: Vec<usize> = indices
                .iter()
                .copied()
                .filter(|&i| self.entries[i].hash.is_none())
                .collect();
            if !unhashed.is_empty() {
                built.push(self.built(format!("{purl}#unhashed"), unhashed, None));
            }
            for hash in hashes {
                let same: Vec<usize> = indices
                    .iter()
                    .copied()
                    .filter(|&i| self.entries[i].hash == Some(hash))
                    .collect();
                let bom_ref = format!("{purl}#sha256:{}", hex(&hash[..6]));
                built.push(self.built(bom_ref, same, Some(hash)));
            }
        }
        built
    }

    fn built(&self, bom_ref: String, entries: Vec<usize>, hash: Option<[u8; 32]>) -> Built {
        let package = self.entries[entries[0]].package.clone();
        let mut sources = BTreeSet::new();
        let mut occurrences = BTreeSet::new();
        for &index in &entries {
            let entry = &self.entries[index];
            sources.insert(entry.package.source.clone());
            let part = entry.part.map(|part| self.parts[part].bom_ref());
            occurrences.insert((entry.package.source.clone(), entry.package.line, part));
        }
        let mut properties: Vec<Property> = sources
            .into_iter()
            .map(|source| Property {
                name: "fnguard:source",
                value: source,
            })
            .collect();
        let scopes = entries.iter().map(|&i| self.entries[i].package.scope);
        if let Some(scope) = merged_scope(scopes) {
            properties.push(Property {
                name: "fnguard:scope",
                value: scope.to_string(),
            });
        }
        properties.push(Property {
            name: "fnguard:ecosystem",
            value: package.ecosystem.osv_name().to_string(),
        });
        let (group, name) = group_and_name(&package);
        Built {
            component: Component {
                kind: "library",
                bom_ref,
                group,
                name,
                version: (!package.version.is_empty()).then(|| package.version.clone()),
                purl: package.purl(),
                hashes: hash
                    .map(|hash| {
                        vec![Hash {
                            alg: "SHA-256",
                            content: hex(&hash),
                        }]
                    })
                    .unwrap_or_default(),
                evidence: Evidence {
                    occurrences: occurrences
                        .into_iter()
                        .map(|(location, line, part)| Occurrence {
                            location,
                            line,
                            additional_context: part,
                        })
                        .collect(),
                },
                properties,
            },
            package,
            entries,
        }
    }

    /// The graph: the metadata component first, then the parts and the
    /// packages whose edges are known, by bom-ref.
    fn dependencies(&self, libraries: &[Built]) -> Vec<Dependency> {
        let mut lookup = Lookup {
            ref_of_entry: vec![""; self.entries.len()],
            purl_of_entry: vec![""; self.entries.len()],
            refs_of_purl: HashMap::new(),
            by_name: HashMap::new(),
        };
        for built in libraries {
            let bom_ref = built.component.bom_ref.as_str();
            let purl = built.component.purl.as_str();
            lookup.refs_of_purl.entry(purl).or_default().push(bom_ref);
            for &index in &built.entries {
                lookup.ref_of_entry[index] = bom_ref;
                lookup.purl_of_entry[index] = purl;
            }
        }
        for (index, entry) in self.entries.iter().enumerate() {
            let ecosystem = entry.package.ecosystem;
            let name = ecosystem.normalise_name(&entry.package.name);
            lookup
                .by_name
                .entry((entry.part, ecosystem, name))
                .or_default()
                .push(index);
        }
        let ref_of_entry = &lookup.ref_of_entry;
        let edges: Vec<Option<Edges>> = (0..self.entries.len())
            .map(|index| self.edges_of(index, &lookup))
            .collect();

        let part_refs: Vec<String> = self.parts.iter().map(Part::bom_ref).collect();
        let roots = |part: Option<usize>| -> BTreeSet<String> {
            let mut targets = BTreeSet::new();
            let mut shipped: BTreeMap<&str, Vec<Option<Scope>>> = BTreeMap::new();
            for (index, entry) in self.entries.iter().enumerate() {
                if entry.part != part {
                    continue;
                }
                shipped
                    .entry(ref_of_entry[index])
                    .or_default()
                    .push(entry.package.scope);
                // Even a partial list tells who is not at the top.
                if let Some(found) = &edges[index] {
                    targets.extend(found.targets.iter().copied());
                }
            }
            shipped
                .into_iter()
                .filter(|(bom_ref, scopes)| {
                    scopes.contains(&Some(Scope::Direct))
                        || (!targets.contains(bom_ref)
                            && !scopes.iter().all(|s| *s == Some(Scope::Transitive)))
                })
                .map(|(bom_ref, _)| bom_ref.to_string())
                .collect()
        };

        let mut subject = roots(None);
        let used: BTreeSet<usize> = self.uses.iter().map(|&(_, used)| used).collect();
        subject.extend(
            (0..self.parts.len())
                .filter(|part| !used.contains(part))
                .map(|part| part_refs[part].clone()),
        );
        let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (part, bom_ref) in part_refs.iter().enumerate() {
            let mut depends_on = roots(Some(part));
            depends_on.extend(
                self.uses
                    .iter()
                    .filter(|(user, _)| *user == part)
                    .map(|&(_, used)| part_refs[used].clone()),
            );
            graph.insert(bom_ref.clone(), depends_on);
        }
        for built in libraries {
            let known: Vec<&BTreeSet<&str>> = built
                .entries
                .iter()
                .filter_map(|&index| edges[index].as_ref())
                .filter(|found| found.complete)
                .map(|found| &found.targets)
                .collect();
            if known.is_empty() {
                continue;
            }
            let bom_ref = built.component.bom_ref.as_str();
            let depends_on = known
                .into_iter()
                .flatten()
                .filter(|target| **target != bom_ref)
                .map(|target| target.to_string())
                .collect();
            graph.insert(bom_ref.to_string(), depends_on);
        }
        std::iter::once((self.subject_ref.clone(), subject))
            .chain(graph)
            .map(|(reference, depends_on)| Dependency {
                reference,
                depends_on: depends_on.into_iter().collect(),
            })
            .collect()
    }

    /// The components the package added at `index` depends on; `None` when
    /// its file does not record edges. The list is incomplete when an exact
    /// edge names a package that was not added, or a name-only edge matches
    /// several versions of the part's packages and the installed layout
    /// does not tell which. A name-only edge matching nothing is a package
    /// not installed (an optional one): no edge.
    fn edges_of<'b>(&self, index: usize, lookup: &Lookup<'b>) -> Option<Edges<'b>> {
        let entry = &self.entries[index];
        let ecosystem = entry.package.ecosystem;
        let mut found = Edges {
            targets: BTreeSet::new(),
            complete: true,
        };
        for dependency in entry.package.dependencies.as_ref()? {
            if let Some(version) = &dependency.version {
                let purl = Package::new(ecosystem, &dependency.name, version, "").purl();
                match lookup.refs_of_purl.get(purl.as_str()) {
                    Some(refs) => found.targets.extend(refs.iter().copied()),
                    None => found.complete = false,
                }
                continue;
            }
            let wanted = (
                entry.part,
                ecosystem,
                ecosystem.normalise_name(&dependency.name),
            );
            let candidates = lookup.by_name.get(&wanted).map_or(&[][..], Vec::as_slice);
            let purls: BTreeSet<&str> = candidates
                .iter()
                .map(|&other| lookup.purl_of_entry[other])
                .collect();
            match purls.len() {
                0 => {}
                1 => found
                    .targets
                    .extend(candidates.iter().map(|&other| lookup.ref_of_entry[other])),
                _ => {
                    let installed = node_lookup(&entry.package.source, &dependency.name, |path| {
                        candidates
                            .iter()
                            .copied()
                            .find(|&other| self.entries[other].package.source == path)
                    });
                    match installed {
                        Some(other) => {
                            found.targets.insert(lookup.ref_of_entry[other]);
                        }
                        None => found.complete = false,
                    }
                }
            }
        }
        Some(found)
    }
}

/// The builder's entries indexed for resolving edges.
struct Lookup<'b> {
    ref_of_entry: Vec<&'b str>,
    purl_of_entry: Vec<&'b str>,
    refs_of_purl: HashMap<&'b str, Vec<&'b str>>,
    /// (part, ecosystem, normalised name) to the entries of that package.
    by_name: HashMap<(Option<usize>, Ecosystem, String), Vec<usize>>,
}

/// What one package was found to depend on.
struct Edges<'b> {
    targets: BTreeSet<&'b str>,
    /// Every edge found its component.
    complete: bool,
}

/// Where Node finds `wanted` required from the package whose manifest is
/// `from` (`…/node_modules/a/package.json`): `find` is asked for the
/// manifest path in `a`'s own `node_modules`, then in each enclosing one.
fn node_lookup(from: &str, wanted: &str, find: impl Fn(&str) -> Option<usize>) -> Option<usize> {
    let mut base = from.rsplit_once('/').map_or("", |(dir, _)| dir);
    loop {
        let candidate = if base.is_empty() {
            format!("node_modules/{wanted}/package.json")
        } else {
            format!("{base}/node_modules/{wanted}/package.json")
        };
        if let Some(found) = find(&candidate) {
            return Some(found);
        }
        let at = base.rfind("node_modules/")?;
        base = base[..at].trim_end_matches('/');
    }
}

/// The component of a function or layer.
fn part_component(part: &Part) -> Component {
    Component {
        kind: "application",
        bom_ref: part.bom_ref(),
        group: None,
        name: part.name.clone(),
        version: part.version.clone(),
        hashes: Vec::new(),
        purl: String::new(),
        evidence: Evidence {
            occurrences: Vec::new(),
        },
        properties: vec![Property {
            name: "fnguard:part",
            value: part.kind.as_str().to_string(),
        }],
    }
}

/// A component, a package standing for it in advisory matching (all the
/// packages merged into it share the purl, so any one matches alike), and
/// the builder's entries merged into it.
struct Built {
    component: Component,
    package: Package,
    entries: Vec<usize>,
}

/// CycloneDX's `group` where the ecosystem has one: a Maven groupId, an
/// npm `@scope`. Go module paths stay whole in `name`, as Go tools write them.
fn group_and_name(package: &Package) -> (Option<String>, String) {
    let split = match package.ecosystem {
        Ecosystem::Maven => package.name.split_once(':'),
        Ecosystem::Npm => package
            .name
            .split_once('/')
            .filter(|(scope, _)| scope.starts_with('@')),
        _ => None,
    };
    match split {
        Some((group, name)) => (Some(group.to_string()), name.to_string()),
        None => (None, package.name.clone()),
    }
}

/// The scope of a package met in several files: direct if any file says
/// so (it ships as a runtime dependency), dev only if every file that says
/// anything says dev, else transitive.
fn merged_scope(scopes: impl Iterator<Item = Option<Scope>>) -> Option<&'static str> {
    let known: Vec<Scope> = scopes.flatten().collect();
    if known.is_empty() {
        None
    } else if known.contains(&Scope::Direct) {
        Some("direct")
    } else if known.iter().all(|s| *s == Scope::Dev) {
        Some("dev")
    } else {
        Some("transitive")
    }
}

fn vulnerabilities(db: &Db, components: &[Built]) -> Vec<Vulnerability> {
    let mut affected: BTreeMap<&str, (&Advisory, BTreeSet<&str>)> = BTreeMap::new();
    for built in components {
        for advisory in db.vulnerabilities(&built.package) {
            affected
                .entry(advisory.id.as_str())
                .or_insert_with(|| (advisory, BTreeSet::new()))
                .1
                .insert(built.component.bom_ref.as_str());
        }
    }
    affected
        .into_values()
        .map(|(advisory, refs)| Vulnerability {
            id: advisory.id.clone(),
            source: source_of(&advisory.id),
            references: advisory
                .aliases
                .iter()
                .filter(|alias| **alias != advisory.id)
                .collect::<BTreeSet<_>>()
                .into_iter()
                .map(|alias| Reference {
                    id: alias.clone(),
                    source: source_of(alias),
                })
                .collect(),
            ratings: ratings(advisory),
            description: advisory.summary.clone(),
            detail: advisory.details.clone(),
            affects: refs
                .into_iter()
                .map(|r| Affect {
                    reference: r.to_string(),
                })
                .collect(),
        })
        .collect()
}

/// Where an advisory id is published: CVEs at NVD, GHSAs at GitHub, every
/// other id (PYSEC, GO, RUSTSEC...) at OSV, which serves them all.
fn source_of(id: &str) -> Source {
    if id.starts_with("CVE-") {
        Source {
            name: "NVD",
            url: format!("https://nvd.nist.gov/vuln/detail/{id}"),
        }
    } else if id.starts_with("GHSA-") {
        Source {
            name: "GitHub Advisories",
            url: format!("https://github.com/advisories/{id}"),
        }
    } else {
        Source {
            name: "OSV",
            url: format!("https://osv.dev/vulnerability/{id}"),
        }
    }
}

/// The advisory's CVSS vectors (no score: computing one is a CVSS
/// calculator's job) and GitHub's textual severity when the record has it.
fn ratings(advisory: &Advisory) -> Vec<Rating> {
    let mut ratings: Vec<Rating> = advisory
        .severity
        .iter()
        .map(|score| Rating {
            severity: None,
            method: Some(match score.kind.as_str() {
                "CVSS_V2" => "CVSSv2",
                "CVSS_V3" if score.score.starts_with("CVSS:3.0/") => "CVSSv3",
                "CVSS_V3" => "CVSSv31",
                "CVSS_V4" => "CVSSv4",
                _ => "other",
            }),
            vector: Some(score.score.clone()),
        })
        .collect();
    let severity = advisory.database_severity.as_deref().and_then(|text| {
        match text.to_ascii_uppercase().as_str() {
            "CRITICAL" => Some("critical"),
            "HIGH" => Some("high"),
            "MODERATE" | "MEDIUM" => Some("medium"),
            "LOW" => Some("low"),
            _ => None,
        }
    });
    if let Some(severity) = severity {
        ratings.push(Rating {
            severity: Some(severity),
            method: None,
            vector: None,
        });
    }
    ratings
}

/// A CycloneDX 1.6 BOM, in the order the specification lists its fields.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Bom {
    pub bom_format: &'static str,
    pub spec_version: &'static str,
    pub serial_number: String,
    pub version: u32,
    pub metadata: Metadata,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<Component>,
    /// The metadata component's entry always; see the module text for
    /// which others.
    pub dependencies: Vec<Dependency>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub vulnerabilities: Vec<Vulnerability>,
}

impl Bom {
    /// The BOM as indented JSON, newline-terminated.
    pub fn to_json(&self) -> String {
        // Serialising plain structs of strings and integers cannot fail.
        let mut json = serde_json::to_string_pretty(self).unwrap_or_default();
        json.push('\n');
        json
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Metadata {
    pub timestamp: String,
    pub tools: Tools,
    pub component: MetadataComponent,
}

#[derive(Debug, Clone, Serialize)]
pub struct Tools {
    pub components: Vec<ToolComponent>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ToolComponent {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub name: &'static str,
    pub version: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct MetadataComponent {
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(rename = "bom-ref")]
    pub bom_ref: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Component {
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(rename = "bom-ref")]
    pub bom_ref: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hashes: Vec<Hash>,
    /// Empty (and not written) for a function or layer.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub purl: String,
    #[serde(skip_serializing_if = "Evidence::is_empty")]
    pub evidence: Evidence,
    pub properties: Vec<Property>,
}

/// One node of the dependency graph: the components `reference` depends
/// on directly.
#[derive(Debug, Clone, Serialize)]
pub struct Dependency {
    #[serde(rename = "ref")]
    pub reference: String,
    #[serde(rename = "dependsOn", skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Hash {
    pub alg: &'static str,
    pub content: String,
}

/// Where the package was found: each file (and line, when known).
#[derive(Debug, Clone, Serialize)]
pub struct Evidence {
    pub occurrences: Vec<Occurrence>,
}

impl Evidence {
    fn is_empty(&self) -> bool {
        self.occurrences.is_empty()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Occurrence {
    pub location: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// The bom-ref of the function or layer the file belongs to, in a
    /// scan's SBOM (two functions' `package-lock.json` are two files).
    #[serde(rename = "additionalContext", skip_serializing_if = "Option::is_none")]
    pub additional_context: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Property {
    pub name: &'static str,
    pub value: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Vulnerability {
    pub id: String,
    pub source: Source,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ratings: Vec<Rating>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    pub affects: Vec<Affect>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Source {
    pub name: &'static str,
    pub url: String,
}

/// Another id of the same vulnerability (an OSV alias).
#[derive(Debug, Clone, Serialize)]
pub struct Reference {
    pub id: String,
    pub source: Source,
}

#[derive(Debug, Clone, Serialize)]
pub struct Rating {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vector: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Affect {
    #[serde(rename = "ref")]
    pub reference: String,
}

/// An RFC 9562 version 8 (custom) UUID from the first 16 bytes of a hash:
/// a name-based UUID whose name is the BOM's content.
fn uuid_urn(digest: &[u8]) -> String {
    format!("urn:uuid:{}", uuid_from_digest(digest, 8))
}

/// `YYYY-MM-DDThh:mm:ssZ` of seconds since the Unix epoch.
fn rfc3339_utc(seconds: u64) -> String {
    fnguard_core::date::rfc3339(
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(seconds),
        false,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(ecosystem: Ecosystem, name: &str, version: &str, source: &str) -> Package {
        Package::new(ecosystem, name, version, source)
    }

    fn function() -> Function {
        Function {
            name: "orders".to_string(),
            version: Some("7".to_string()),
        }
    }

    #[test]
    fn timestamps_are_utc_calendar_dates() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339_utc(1_798_761_599), "2026-12-31T23:59:59Z");
        assert_eq!(rfc3339_utc(4_107_542_400), "2100-03-01T00:00:00Z");
    }

    #[test]
    fn serial_number_is_a_v8_uuid_that_follows_the_content() {
        let mut builder = SbomBuilder::new(function(), 1_700_000_000);
        builder.add(
            &package(Ecosystem::Npm, "left-pad", "1.3.0", "package-lock.json"),
            None,
        );
        let first = builder.build(None);
        let again = builder.build(None);
        assert_eq!(first.to_json(), again.to_json());
        let serial = &first.serial_number;
        assert!(serial.starts_with("urn:uuid:"), "{serial}");
        assert_eq!(serial.len(), "urn:uuid:".len() + 36);
        assert_eq!(&serial[23..24], "8", "version nibble in {serial}");
        assert!(
            matches!(&serial[28..29], "8" | "9" | "a" | "b"),
            "variant in {serial}"
        );

        builder.add(
            &package(Ecosystem::Npm, "right-pad", "1.0.0", "package-lock.json"),
            None,
        );
        assert_ne!(builder.build(None).serial_number, first.serial_number);
        let later = SbomBuilder::new(function(), 1_700_000_001).build(None);
        assert_ne!(
            later.serial_number,
            SbomBuilder::new(function(), 1_700_000_000)
                .build(None)
                .serial_number
        );
    }

    #[test]
    fn components_are_sorted_and_one_per_purl_whatever_the_input_order() {
        let mut lock = package(
            Ecosystem::Npm,
            "@aws-sdk/client-s3",
            "3.1.0",
            "package-lock.json",
        );
        lock.line = Some(12);
        lock.scope = Some(Scope::Transitive);
        let mut installed = package(
            Ecosystem::Npm,
            "@aws-sdk/client-s3",
            "3.1.0",
            "node_modules/@aws-sdk/client-s3/package.json",
        );
        installed.scope = Some(Scope::Direct);
        let other = package(Ecosystem::PyPI, "Requests", "2.31.0", "requirements.txt");

        let mut forward = SbomBuilder::new(function(), 0);
        for p in [&lock, &installed, &other] {
            forward.add(p, None);
        }
        let mut backward = SbomBuilder::new(function(), 0);
        for p in [&other, &installed, &lock] {
            backward.add(p, None);
        }
        let bom = forward.build(None);
        assert_eq!(bom.to_json(), backward.build(None).to_json());
        let refs: Vec<&str> = bom.components.iter().map(|c| c.bom_ref.as_str()).collect();
        assert_eq!(
            refs,
            [
                "pkg:npm/%40aws-sdk/client-s3@3.1.0",
                "pkg:pypi/requests@2.31.0"
            ]
        );
        let s3 = &bom.components[0];
        let props: Vec<(&str, &str)> = s3
            .properties
            .iter()
            .map(|p| (p.name, p.value.as_str()))
            .collect();
        assert_eq!(
            props,
            [
                (
                    "fnguard:source",
                    "node_modules/@aws-sdk/client-s3/package.json"
                ),
                ("fnguard:source", "package-lock.json"),
                ("fnguard:scope", "direct"),
                ("fnguard:ecosystem", "npm"),
            ]
        );
        let lines: Vec<(&str, Option<usize>)> = s3
            .evidence
            .occurrences
            .iter()
            .map(|o| (o.location.as_str(), o.line))
            .collect();
        assert_eq!(
            lines,
            [
                ("node_modules/@aws-sdk/client-s3/package.json", None),
                ("package-lock.json", Some(12))
            ]
        );
        assert_eq!(s3.group.as_deref(), Some("@aws-sdk"));
        assert_eq!(s3.name, "client-s3");
        // The name as the file wrote it; the purl normalised.
        assert_eq!(bom.components[1].name, "Requests");
        assert_eq!(bom.components[1].group, None);
    }

    #[test]
    fn scopes_merge_direct_first_and_dev_only_when_unanimous() {
        use Scope::*;
        assert_eq!(merged_scope([None, None].into_iter()), None);
        assert_eq!(merged_scope([Some(Dev), None].into_iter()), Some("dev"));
        assert_eq!(
            merged_scope([Some(Dev), Some(Transitive)].into_iter()),
            Some("transitive")
        );
        assert_eq!(
            merged_scope([Some(Dev), Some(Direct)].into_iter()),
            Some("direct")
        );
    }

    #[test]
    fn a_purl_with_two_different_artifacts_stays_two_components() {
        let jar = package(
            Ecosystem::Maven,
            "org.yaml:snakeyaml",
            "1.33",
            "lib/snakeyaml-1.33.jar",
        );
        let copy = package(
            Ecosystem::Maven,
            "org.yaml:snakeyaml",
            "1.33",
            "shaded/snakeyaml.jar",
        );
        let pom = package(Ecosystem::Maven, "org.yaml:snakeyaml", "1.33", "pom.xml");
        let mut builder = SbomBuilder::new(function(), 0);
        builder.add(&jar, Some([1; 32]));
        builder.add(&copy, Some([2; 32]));
        builder.add(&pom, None);
        let bom = builder.build(None);
        let refs: Vec<&str> = bom.components.iter().map(|c| c.bom_ref.as_str()).collect();
        assert_eq!(
            refs,
            [
                "pkg:maven/org.yaml/snakeyaml@1.33#unhashed",
                "pkg:maven/org.yaml/snakeyaml@1.33#sha256:010101010101",
                "pkg:maven/org.yaml/snakeyaml@1.33#sha256:020202020202",
            ]
        );
        assert_eq!(bom.components[1].hashes[0].content, "01".repeat(32));
        assert_eq!(bom.components[1].group.as_deref(), Some("org.yaml"));
        assert_eq!(bom.components[1].name, "snakeyaml");

        // One hash: the lockfile's mention joins the artifact's component.
        let mut single = SbomBuilder::new(function(), 0);
        single.add(&jar, Some([1; 32]));
        single.add(&pom, None);
        let bom = single.build(None);
        assert_eq!(bom.components.len(), 1);
        assert_eq!(
            bom.components[0].bom_ref,
            "pkg:maven/org.yaml/snakeyaml@1.33"
        );
        assert_eq!(bom.components[0].evidence.occurrences.len(), 2);
    }

    fn db(records: &[&str]) -> Db {
        let mut db = Db::new();
        for (index, record) in records.iter().enumerate() {
            db.add_record(record.as_bytes(), &format!("record-{index}.json"))
                .expect("test record");
        }
        db
    }

    #[test]
    fn vulnerabilities_name_every_affected_component_with_ratings_and_aliases() {
        let db = db(&[
            r#"{"id":"GHSA-aaaa-bbbb-cccc","aliases":["CVE-2099-0001"],"summary":"prototype pollution",
               "details":"long text","severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
               "database_specific":{"severity":"MODERATE"},
               "affected":[{"package":{"ecosystem":"npm","name":"lodash"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"4.17.21"}]}]}]}"#,
            r#"{"id":"PYSEC-2099-1","affected":[{"package":{"ecosystem":"PyPI","name":"requests"},"versions":["2.30.0"]}]}"#,
        ]);
        let mut builder = SbomBuilder::new(function(), 0);
        builder.add(
            &package(Ecosystem::Npm, "lodash", "4.17.20", "a/package-lock.json"),
            None,
        );
        builder.add(
            &package(Ecosystem::Npm, "lodash", "4.17.15", "b/package-lock.json"),
            None,
        );
        builder.add(
            &package(Ecosystem::Npm, "lodash", "4.17.21", "c/package-lock.json"),
            None,
        );
        builder.add(
            &package(Ecosystem::PyPI, "requests", "2.31.0", "requirements.txt"),
            None,
        );
        let bom = builder.build(Some(&db));
        assert_eq!(bom.vulnerabilities.len(), 1, "{}", bom.to_json());
        let vulnerability = &bom.vulnerabilities[0];
        assert_eq!(vulnerability.id, "GHSA-aaaa-bbbb-cccc");
        assert_eq!(
            vulnerability.source.url,
            "https://github.com/advisories/GHSA-aaaa-bbbb-cccc"
        );
        assert_eq!(vulnerability.references[0].id, "CVE-2099-0001");
        assert_eq!(vulnerability.references[0].source.name, "NVD");
        let affects: Vec<&str> = vulnerability
            .affects
            .iter()
            .map(|a| a.reference.as_str())
            .collect();
        assert_eq!(
            affects,
            ["pkg:npm/lodash@4.17.15", "pkg:npm/lodash@4.17.20"]
        );
        assert_eq!(vulnerability.ratings.len(), 2);
        assert_eq!(vulnerability.ratings[0].method, Some("CVSSv31"));
        assert_eq!(vulnerability.ratings[1].severity, Some("medium"));
        assert_eq!(
            vulnerability.description.as_deref(),
            Some("prototype pollution")
        );

        // Without a database no vulnerabilities key is written at all.
        let json: serde_json::Value = serde_json::from_str(&builder.build(None).to_json()).unwrap();
        assert!(json.get("vulnerabilities").is_none());
    }

    #[test]
    fn metadata_names_the_function_and_fnguard() {
        let bom = SbomBuilder::new(function(), 1_764_950_400).build(None);
        let json: serde_json::Value = serde_json::from_str(&bom.to_json()).unwrap();
        assert_eq!(json["bomFormat"], "CycloneDX");
        assert_eq!(json["specVersion"], "1.6");
        assert_eq!(json["version"], 1);
        assert_eq!(json["metadata"]["timestamp"], "2025-12-05T16:00:00Z");
        assert_eq!(
            json["metadata"]["tools"]["components"][0]["name"],
            "fnguard"
        );
        assert_eq!(json["metadata"]["component"]["type"], "application");
        assert_eq!(json["metadata"]["component"]["name"], "orders");
        assert_eq!(json["metadata"]["component"]["version"], "7");
        assert!(json.get("components").is_none());
        // Nothing found: the function is declared to depend on nothing.
        assert_eq!(
            json["dependencies"],
            serde_json::json!([{"ref": "function:orders"}])
        );
    }
}
