//! OSV advisories (https://ossf.github.io/osv-schema/): the fields fnguard
//! needs, read with serde, and the schema's evaluation of "is P@V affected".
//!
//! Ranges of type SEMVER and ECOSYSTEM are evaluated; GIT ranges name
//! commits, which a shipped package does not carry, so they are skipped (an
//! advisory with only GIT ranges matches through its `versions` list alone).
//! Withdrawn advisories are kept out of the index.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;
use thiserror::Error;

use super::version::{SemVer, Version};
use super::{Ecosystem, Package};

/// Why an OSV record could not be added.
#[derive(Debug, Error)]
pub enum OsvError {
    #[error("{source_name}:{line}:{column}: not an OSV record: {message}")]
    Json {
        source_name: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{source_name}: OSV record without an id")]
    MissingId { source_name: String },
}

/// A problem met while loading a database that did not stop the load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadIssue {
    /// The file (or archive member) the record came from.
    pub source: String,
    pub message: String,
}

/// One severity score of an advisory (`CVSS_V3`, `CVSS_V4`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SeverityScore {
    #[serde(rename = "type")]
    pub kind: String,
    pub score: String,
}

/// An advisory, as much of it as matching and reporting need.
#[derive(Debug, Clone)]
pub struct Advisory {
    pub id: String,
    pub aliases: Vec<String>,
    pub summary: Option<String>,
    pub details: Option<String>,
    pub severity: Vec<SeverityScore>,
    /// `database_specific.severity` (GitHub's LOW/MODERATE/HIGH/CRITICAL).
    pub database_severity: Option<String>,
    /// Where the record was read from.
    pub source: String,
    pub affected: Vec<Affected>,
}

/// One `affected[]` entry of an ecosystem fnguard reads.
#[derive(Debug, Clone)]
pub struct Affected {
    pub ecosystem: Ecosystem,
    /// The name as the advisory writes it.
    pub name: String,
    pub purl: Option<String>,
    ranges: Vec<Range>,
    /// The explicit `versions` list, each parsed when it can be.
    versions: Vec<(String, Option<Version>)>,
}

/// A SEMVER or ECOSYSTEM range, its events parsed and sorted.
#[derive(Debug, Clone)]
struct Range {
    /// SEMVER ranges read versions as SemVer whatever the ecosystem.
    semver: bool,
    events: Vec<Event>,
    /// Upper limits (`limit`); `None` in the list is `*`, no limit.
    limits: Vec<Option<Version>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EventKind {
    Introduced,
    Fixed,
    LastAffected,
}

#[derive(Debug, Clone)]
struct Event {
    kind: EventKind,
    /// `None` for `introduced: "0"`, before every version.
    version: Option<Version>,
    /// The version as the record writes it, for messages.
    text: String,
}

#[derive(Deserialize)]
struct RawRecord {
    #[serde(default)]
    id: String,
    #[serde(default)]
    aliases: Vec<String>,
    summary: Option<String>,
    details: Option<String>,
    #[serde(default)]
    severity: Vec<SeverityScore>,
    #[serde(default)]
    affected: Vec<RawAffected>,
    withdrawn: Option<String>,
    database_specific: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct RawAffected {
    package: Option<RawPackage>,
    #[serde(default)]
    ranges: Vec<RawRange>,
    #[serde(default)]
    versions: Vec<String>,
}

#[derive(Deserialize)]
struct RawPackage {
    ecosystem: String,
    name: String,
    purl: Option<String>,
}

#[derive(Deserialize)]
struct RawRange {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    events: Vec<HashMap<String, String>>,
}

/// Reads a range version with the range's scheme: SEMVER ranges are SemVer
/// (Go's written without `v`, but accepted with it), ECOSYSTEM ranges use
/// the package ecosystem's semantics.
fn parse_with(ecosystem: Ecosystem, semver: bool, text: &str) -> Result<Version, String> {
    let parsed = if semver {
        SemVer::parse_go(text).map(Version::Sem)
    } else {
        Version::parse(ecosystem, text)
    };
    parsed.map_err(|e| e.to_string())
}

impl Range {
    fn read(ecosystem: Ecosystem, semver: bool, raw: &RawRange) -> Result<Range, String> {
        let mut events = Vec::new();
        let mut limits = Vec::new();
        for event in &raw.events {
            for (key, value) in event {
                let kind = match key.as_str() {
                    "introduced" => EventKind::Introduced,
                    "fixed" => EventKind::Fixed,
                    "last_affected" => EventKind::LastAffected,
                    "limit" => {
                        limits.push(if value == "*" {
                            None
                        } else {
                            Some(parse_with(ecosystem, semver, value)?)
                        });
                        continue;
                    }
                    other => return Err(format!("unknown range event {other:?}")),
                };
                let version = if kind == EventKind::Introduced && value == "0" {
                    None
                } else {
                    Some(parse_with(ecosystem, semver, value)?)
                };
                events.push(Event {
                    kind,
                    version,
                    text: value.clone(),
                });
            }
        }
        // The schema's algorithm walks the events in version order; "0"
        // (None) sorts first, and the sort is stable for equal versions.
        events.sort_by(|a, b| a.version.cmp(&b.version));
        Ok(Range {
            semver,
            events,
            limits,
        })
    }

    /// The schema's evaluation: introduced switches on, fixed switches off
    /// at its version, last_affected switches off after its version (local
    /// labels aside); a
    /// version at or past every limit is outside the range.
    fn contains(&self, version: &Version) -> bool {
        let mut affected = false;
        for event in &self.events {
            match (event.kind, &event.version) {
                (EventKind::Introduced, None) => affected = true,
                (EventKind::Introduced, Some(v)) if version >= v => affected = true,
                (EventKind::Fixed, Some(v)) if version >= v => affected = false,
                // A local build of the last affected release (`1.4.2+ubuntu1`)
                // is that release, so it stays affected.
                (EventKind::LastAffected, Some(v)) if version.cmp_public(v).is_gt() => {
                    affected = false
                }
                _ => {}
            }
        }
        let below_limit = self.limits.is_empty()
            || self
                .limits
                .iter()
                .any(|limit| limit.as_ref().is_none_or(|l| version < l));
        affected && below_limit
    }
}

impl Range {
    /// The first `fixed` version above `version`, as written.
    fn fix_after(&self, version: &Version) -> Option<&str> {
        self.events
            .iter()
            .filter(|e| e.kind == EventKind::Fixed)
            .find(|e| e.version.as_ref().is_some_and(|v| v > version))
            .map(|e| e.text.as_str())
    }
}

impl Affected {
    /// The versions that fix `version`, as the record writes them: for
    /// each range that affects it, its next `fixed` event.
    pub fn fixed_in(&self, version: &str) -> Vec<String> {
        let ecosystem_version = Version::parse(self.ecosystem, version).ok();
        let semver_version = SemVer::parse_go(version).ok().map(Version::Sem);
        let mut fixes: Vec<String> = Vec::new();
        for range in &self.ranges {
            let ours = if range.semver {
                &semver_version
            } else {
                &ecosystem_version
            };
            if let Some(ours) = ours.as_ref().filter(|v| range.contains(v)) {
                if let Some(fix) = range.fix_after(ours) {
                    if !fixes.iter().any(|f| f == fix) {
                        fixes.push(fix.to_string());
                    }
                }
            }
        }
        fixes
    }

    /// Whether `version` (as the package's file writes it) is affected.
    pub fn contains(&self, version: &str) -> bool {
        let ecosystem_version = Version::parse(self.ecosystem, version).ok();
        let explicit =
            self.versions
                .iter()
                .any(|(text, parsed)| match (parsed, &ecosystem_version) {
                    (Some(listed), Some(ours)) => listed == ours,
                    _ => text == version,
                });
        if explicit {
            return true;
        }
        // A version our parser cannot read is matched by the explicit list only.
        let semver_version = SemVer::parse_go(version).ok().map(Version::Sem);
        self.ranges.iter().any(|range| {
            let ours = if range.semver {
                &semver_version
            } else {
                &ecosystem_version
            };
            ours.as_ref().is_some_and(|v| range.contains(v))
        })
    }
}

impl Advisory {
    /// The versions that fix `package`'s version, as the record writes
    /// them (empty when no range names a fix).
    pub fn fixed_in(&self, package: &Package) -> Vec<String> {
        let name = package.ecosystem.normalise_name(&package.name);
        let mut fixes: Vec<String> = Vec::new();
        for affected in &self.affected {
            if affected.ecosystem == package.ecosystem
                && affected.ecosystem.normalise_name(&affected.name) == name
            {
                for fix in affected.fixed_in(&package.version) {
                    if !fixes.contains(&fix) {
                        fixes.push(fix);
                    }
                }
            }
        }
        fixes
    }

    /// Whether `package` is affected by this advisory.
    pub fn affects(&self, package: &Package) -> bool {
        let name = package.ecosystem.normalise_name(&package.name);
        self.affected.iter().any(|affected| {
            affected.ecosystem == package.ecosystem
                && affected.ecosystem.normalise_name(&affected.name) == name
                && affected.contains(&package.version)
        })
    }
}

/// An offline advisory database indexed by (ecosystem, normalised name).
/// Immutable once loaded, so scans may share it across threads.
#[derive(Debug, Default)]
pub struct Db {
    advisories: Vec<Advisory>,
    index: HashMap<(Ecosystem, String), Vec<usize>>,
    ids: HashMap<String, usize>,
    withdrawn: usize,
    issues: Vec<LoadIssue>,
}

impl Db {
    pub fn new() -> Db {
        Db::default()
    }

    /// Adds one OSV record (the JSON of one advisory). `source` names where
    /// it came from, for errors and reports: a file path, or an archive and
    /// member for the osv-scanner `all.zip` layout. Ranges that cannot be
    /// read (an unparseable version) are dropped and noted in `issues`; a
    /// second record with an id already loaded is ignored and noted.
    pub fn add_record(&mut self, json: &[u8], source: &str) -> Result<(), OsvError> {
        let raw: RawRecord = serde_json::from_slice(json).map_err(|e| OsvError::Json {
            source_name: source.to_string(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        if raw.id.trim().is_empty() {
            return Err(OsvError::MissingId {
                source_name: source.to_string(),
            });
        }
        if raw.withdrawn.is_some() {
            self.withdrawn += 1;
            return Ok(());
        }
        if self.ids.contains_key(&raw.id) {
            self.issues.push(LoadIssue {
                source: source.to_string(),
                message: format!("{} already loaded; this copy is ignored", raw.id),
            });
            return Ok(());
        }
        let mut affected = Vec::new();
        for entry in &raw.affected {
            let Some(package) = &entry.package else {
                continue;
            };
            // Other ecosystems (Debian, Alpine, ...) are not read by fnguard.
            let Some(ecosystem) = Ecosystem::from_osv(&package.ecosystem) else {
                continue;
            };
            let mut ranges = Vec::new();
            for range in &entry.ranges {
                let semver = match range.kind.as_str() {
                    "SEMVER" => true,
                    "ECOSYSTEM" => false,
                    _ => continue,
                };
                match Range::read(ecosystem, semver, range) {
                    Ok(range) => ranges.push(range),
                    Err(message) => self.issues.push(LoadIssue {
                        source: source.to_string(),
                        message: format!(
                            "{}: {} range of {} dropped: {message}",
                            raw.id, range.kind, package.name
                        ),
                    }),
                }
            }
            let versions = entry
                .versions
                .iter()
                .map(|text| (text.clone(), Version::parse(ecosystem, text).ok()))
                .collect();
            affected.push(Affected {
                ecosystem,
                name: package.name.clone(),
                purl: package.purl.clone(),
                ranges,
                versions,
            });
        }
        let database_severity = raw
            .database_specific
            .as_ref()
            .and_then(|specific| specific.get("severity"))
            .and_then(|severity| severity.as_str())
            .map(str::to_string);
        let position = self.advisories.len();
        for entry in &affected {
            let key = (entry.ecosystem, entry.ecosystem.normalise_name(&entry.name));
            let slot = self.index.entry(key).or_default();
            if slot.last() != Some(&position) {
                slot.push(position);
            }
        }
        self.ids.insert(raw.id.clone(), position);
        self.advisories.push(Advisory {
            id: raw.id,
            aliases: raw.aliases,
            summary: raw.summary,
            details: raw.details,
            severity: raw.severity,
            database_severity,
            source: source.to_string(),
            affected,
        });
        Ok(())
    }

    /// Loads every `*.json` file under `dir` (recursively, in name order so
    /// loads are reproducible), and the records of every `*.zip` in it:
    /// osv-scanner's offline layout `<dir>/<Ecosystem>/all.zip` works as it
    /// is. A file that is not an OSV record is noted in `issues` and the
    /// load goes on; only an unreadable folder is an error.
    pub fn load_dir(dir: &Path) -> std::io::Result<Db> {
        let mut db = Db::new();
        let mut pending = vec![dir.to_path_buf()];
        while let Some(folder) = pending.pop() {
            let mut entries: Vec<_> = std::fs::read_dir(&folder)?.collect::<Result<_, _>>()?;
            entries.sort_by_key(|entry| entry.file_name());
            for entry in entries {
                let path = entry.path();
                let file_type = entry.file_type()?;
                if file_type.is_dir() {
                    pending.push(path);
                } else if file_type.is_file() && path.extension().is_some_and(|ext| ext == "json") {
                    let source = path.display().to_string();
                    let outcome = match std::fs::read(&path) {
                        Ok(bytes) => db.add_record(&bytes, &source).map_err(|e| e.to_string()),
                        Err(e) => Err(format!("{source}: {e}")),
                    };
                    if let Err(message) = outcome {
                        db.issues.push(LoadIssue { source, message });
                    }
                } else if file_type.is_file() && path.extension().is_some_and(|ext| ext == "zip") {
                    db.load_zip(&path);
                }
            }
        }
        Ok(db)
    }

    /// The `*.json` members of an OSV zip (osv-scanner's `all.zip`), read
    /// with the archive walker's caps sized for the largest published
    /// databases; the walker's problems (a corrupt archive, a cap reached)
    /// become load issues.
    fn load_zip(&mut self, path: &Path) {
        let limits = crate::archive::Limits {
            // npm's all.zip holds a few hundred thousand records and about
            // 2 GB of JSON; ten times that is still bounded.
            total_bytes: 16 << 30,
            entry_bytes: 64 << 20,
            max_entries: 5_000_000,
            // Records inside are plain JSON: no archive is opened inside.
            max_depth: 1,
            ..crate::archive::Limits::default()
        };
        let mut visit = |entry: &crate::archive::Entry<'_>, bytes: &[u8]| {
            if !entry.display.ends_with(".json") {
                return;
            }
            if let Err(e) = self.add_record(bytes, entry.display) {
                self.issues.push(LoadIssue {
                    source: entry.display.to_string(),
                    message: e.to_string(),
                });
            }
        };
        let summary = crate::archive::walk(path, &limits, &mut visit);
        for issue in summary.issues {
            self.issues.push(LoadIssue {
                source: path.display().to_string(),
                message: issue.to_string(),
            });
        }
    }

    /// The advisories affecting `package`, in load order, each once.
    pub fn vulnerabilities(&self, package: &Package) -> Vec<&Advisory> {
        let key = (
            package.ecosystem,
            package.ecosystem.normalise_name(&package.name),
        );
        self.index
            .get(&key)
            .into_iter()
            .flatten()
            .map(|&position| &self.advisories[position])
            .filter(|advisory| advisory.affects(package))
            .collect()
    }

    /// The advisory with this id, if loaded.
    pub fn get(&self, id: &str) -> Option<&Advisory> {
        self.ids.get(id).map(|&position| &self.advisories[position])
    }

    /// Number of advisories indexed (withdrawn ones excluded).
    pub fn len(&self) -> usize {
        self.advisories.len()
    }

    pub fn is_empty(&self) -> bool {
        self.advisories.is_empty()
    }

    /// Number of withdrawn records seen and left out.
    pub fn withdrawn(&self) -> usize {
        self.withdrawn
    }

    pub fn issues(&self) -> &[LoadIssue] {
        &self.issues
    }
}

/// Groups advisories that describe the same flaw: two advisories are one
/// when an id or alias of one is an id or alias of the other (a PYSEC and a
/// GHSA record of one CVE), transitively. Groups keep the order of their
/// first advisory, advisories their order within a group, so a report can
/// show one finding per flaw with every id.
pub fn group_aliases<'a>(advisories: &[&'a Advisory]) -> Vec<Vec<&'a Advisory>> {
    // Union-find over positions; each name points at the first position using it.
    let mut parent: Vec<usize> = (0..advisories.len()).collect();
    fn root(parent: &mut [usize], mut at: usize) -> usize {
        while parent[at] != at {
            parent[at] = parent[parent[at]];
            at = parent[at];
        }
        at
    }
    let mut first_use: HashMap<&str, usize> = HashMap::new();
    for (position, advisory) in advisories.iter().enumerate() {
        for name in std::iter::once(&advisory.id).chain(&advisory.aliases) {
            match first_use.get(name.as_str()) {
                Some(&other) => {
                    let (a, b) = (root(&mut parent, position), root(&mut parent, other));
                    parent[a.max(b)] = a.min(b);
                }
                None => {
                    first_use.insert(name, position);
                }
            }
        }
    }
    let mut groups: Vec<Vec<&'a Advisory>> = Vec::new();
    let mut group_of_root: HashMap<usize, usize> = HashMap::new();
    for (position, advisory) in advisories.iter().enumerate() {
        let group_root = root(&mut parent, position);
        let group = *group_of_root.entry(group_root).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[group].push(advisory);
    }
    groups
}
