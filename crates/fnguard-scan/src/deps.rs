//! The dependency inventory of a function package and its offline matching
//! against OSV advisories (guide §3.2.2).
//!
//! * `version`: each ecosystem's version semantics (SemVer, Go, PEP 440,
//!   Maven), our own code written from the specifications.
//! * `osv`: OSV records, a `Db` indexed by (ecosystem, normalised name), and
//!   the schema's range evaluation.
//! * `inventory`: lockfile and installed-metadata parsers, bytes + file name
//!   to `Package`s, usable without any database.
//! * `binary`: the modules and crates Go build info and cargo-auditable
//!   record inside executables (`bootstrap` of the `provided` runtimes).

pub mod binary;
pub mod inventory;
pub mod osv;
pub mod version;

use std::fmt;

/// The package ecosystems fnguard reads, named as OSV names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ecosystem {
    PyPI,
    Npm,
    Go,
    CratesIo,
    Maven,
}

impl Ecosystem {
    /// The ecosystem of an OSV `affected[].package.ecosystem` value. OSV
    /// allows a `:suffix` (a release of a distribution); none of these
    /// ecosystems uses one, so a suffixed name is not ours.
    pub fn from_osv(name: &str) -> Option<Ecosystem> {
        Some(match name {
            "PyPI" => Ecosystem::PyPI,
            "npm" => Ecosystem::Npm,
            "Go" => Ecosystem::Go,
            "crates.io" => Ecosystem::CratesIo,
            "Maven" => Ecosystem::Maven,
            _ => return None,
        })
    }

    pub fn osv_name(self) -> &'static str {
        match self {
            Ecosystem::PyPI => "PyPI",
            Ecosystem::Npm => "npm",
            Ecosystem::Go => "Go",
            Ecosystem::CratesIo => "crates.io",
            Ecosystem::Maven => "Maven",
        }
    }

    /// The package-url type of the ecosystem.
    pub fn purl_type(self) -> &'static str {
        match self {
            Ecosystem::PyPI => "pypi",
            Ecosystem::Npm => "npm",
            Ecosystem::Go => "golang",
            Ecosystem::CratesIo => "cargo",
            Ecosystem::Maven => "maven",
        }
    }

    /// The name under which a package is indexed and matched. PyPI names
    /// follow PEP 503 (case-insensitive, runs of `-_.` are one `-`); the
    /// other registries compare names exactly (npm and Go paths are
    /// case-sensitive, Maven is `group:artifact`).
    pub fn normalise_name(self, name: &str) -> String {
        match self {
            Ecosystem::PyPI => pep503_name(name),
            _ => name.trim().to_string(),
        }
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.osv_name())
    }
}

/// PEP 503 normalisation: lower case, every run of `-`, `_`, `.` becomes `-`.
pub fn pep503_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_separator = false;
    for ch in name.trim().chars() {
        if matches!(ch, '-' | '_' | '.') {
            if !in_separator {
                out.push('-');
            }
            in_separator = true;
        } else {
            out.extend(ch.to_lowercase());
            in_separator = false;
        }
    }
    out
}

/// How a package came to be in the inventory, when the format says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Declared by the project itself.
    Direct,
    /// Pulled in by another package.
    Transitive,
    /// A development dependency (test, build tooling): shipped only by mistake.
    Dev,
}

/// One package found in a function's files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    pub ecosystem: Ecosystem,
    /// The name as the file writes it (Maven: `group:artifact`).
    pub name: String,
    pub version: String,
    /// The file it was read from, as given to the parser.
    pub source: String,
    /// 1-based line in `source`, when the format makes it cheap to know.
    pub line: Option<usize>,
    /// `None` when the format does not say.
    pub scope: Option<Scope>,
    /// The packages this one depends on, when the format records them:
    /// `Some(vec![])` is a package known to depend on nothing, `None` one
    /// whose dependencies the file does not tell (CycloneDX keeps the two
    /// apart: no dependency entry means unknown, not none).
    pub dependencies: Option<Vec<Dependency>>,
}

/// An edge of the dependency graph, from the package that holds it to a
/// package of the same ecosystem.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Dependency {
    /// The name of the package depended on as the inventory names it (an
    /// npm alias is already resolved to the package it installs).
    pub name: String,
    /// The exact version installed beside the dependent, when the file
    /// resolves it (lockfiles); `None` when it names only the package
    /// (installed metadata), left to be found among the packages shipped
    /// alongside.
    pub version: Option<String>,
}

impl Dependency {
    /// A dependency resolved to the exact version installed.
    pub fn exact(name: &str, version: &str) -> Dependency {
        Dependency {
            name: name.to_string(),
            version: Some(version.to_string()),
        }
    }

    /// A dependency known by name only.
    pub fn named(name: &str) -> Dependency {
        Dependency {
            name: name.to_string(),
            version: None,
        }
    }
}

impl Package {
    /// A package read from `source`, with nothing else known: no line, no
    /// scope, dependencies unknown. The other fields are public to set.
    pub fn new(ecosystem: Ecosystem, name: &str, version: &str, source: &str) -> Package {
        Package {
            ecosystem,
            name: name.to_string(),
            version: version.to_string(),
            source: source.to_string(),
            line: None,
            scope: None,
            dependencies: None,
        }
    }

    /// The package URL (purl spec): PyPI names normalised, npm scopes as
    /// `%40scope`, Go module paths and Maven groups as namespaces.
    pub fn purl(&self) -> String {
        let (namespace, name): (Vec<&str>, String) = match self.ecosystem {
            Ecosystem::PyPI => (Vec::new(), pep503_name(&self.name)),
            Ecosystem::Npm => match self.name.split_once('/') {
                Some((scope, name)) if scope.starts_with('@') => (vec![scope], name.to_string()),
                _ => (Vec::new(), self.name.clone()),
            },
            Ecosystem::Go => {
                let mut segments: Vec<&str> = self.name.split('/').collect();
                let last = segments.pop().unwrap_or_default().to_string();
                (segments, last)
            }
            Ecosystem::CratesIo => (Vec::new(), self.name.clone()),
            Ecosystem::Maven => match self.name.split_once(':') {
                Some((group, artifact)) => (vec![group], artifact.to_string()),
                None => (Vec::new(), self.name.clone()),
            },
        };
        let mut purl = format!("pkg:{}/", self.ecosystem.purl_type());
        for segment in namespace {
            purl.push_str(&percent_encode(segment));
            purl.push('/');
        }
        purl.push_str(&percent_encode(&name));
        if !self.version.is_empty() {
            purl.push('@');
            purl.push_str(&percent_encode(&self.version));
        }
        purl
    }
}

/// Percent-encodes everything but the purl spec's unreserved characters.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}
