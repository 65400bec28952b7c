//! Dependency inventory: which packages a function ships, read from the
//! lockfiles and installed metadata found in its files. Each reader takes
//! the bytes and the path of one file and never needs anything else, so the
//! engine can call `read` per file, in parallel.
//!
//! A file that is damaged yields the packages read before the damage (when
//! the format allows) and an issue naming the file and position.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;
use serde_json::Value;

use super::{pep503_name, Dependency, Ecosystem, Package, Scope};

/// A problem in one inventory file. The rest of the file, and the scan, go on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for Issue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.file, line, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// What one file contributed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inventory {
    pub packages: Vec<Package>,
    pub issues: Vec<Issue>,
}

/// The formats fnguard reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    RequirementsTxt,
    PackageLock,
    PoetryLock,
    PipfileLock,
    UvLock,
    /// `*.dist-info/METADATA` or `*.egg-info/PKG-INFO` of an installed package.
    PythonMetadata,
    /// `node_modules/<name>/package.json` of an installed package.
    NodeModulesPackageJson,
    YarnLock,
    PnpmLock,
    GoMod,
    CargoLock,
    PomXml,
    /// `META-INF/maven/<group>/<artifact>/pom.properties` of a jar: the
    /// coordinates Maven wrote when it built the jar.
    PomProperties,
    /// `META-INF/MANIFEST.MF` of a jar: versions and vendor ids, read
    /// only for coordinates when the jar has no `pom.properties`.
    JarManifest,
}

/// The format of the file at `path` (`/`-separated, relative or not), if
/// it is one fnguard reads.
pub fn detect(path: &str) -> Option<Format> {
    let path = path.replace('\\', "/");
    let mut segments = path.rsplit('/');
    let file = segments.next()?;
    let parent = segments.next().unwrap_or("");
    let grandparent = segments.next().unwrap_or("");
    Some(match file {
        "package-lock.json" | "npm-shrinkwrap.json" => Format::PackageLock,
        "poetry.lock" => Format::PoetryLock,
        "Pipfile.lock" => Format::PipfileLock,
        "uv.lock" => Format::UvLock,
        "yarn.lock" => Format::YarnLock,
        "pnpm-lock.yaml" => Format::PnpmLock,
        "go.mod" => Format::GoMod,
        "Cargo.lock" => Format::CargoLock,
        "pom.xml" => Format::PomXml,
        "pom.properties" if path.contains("META-INF/maven/") => Format::PomProperties,
        "MANIFEST.MF" if parent == "META-INF" && path.contains(".jar!/") => Format::JarManifest,
        "METADATA" if parent.ends_with(".dist-info") => Format::PythonMetadata,
        "PKG-INFO" if parent.ends_with(".egg-info") => Format::PythonMetadata,
        "package.json"
            if (grandparent == "node_modules" && !parent.starts_with('@'))
                || (grandparent.starts_with('@') && segments.next() == Some("node_modules")) =>
        {
            Format::NodeModulesPackageJson
        }
        _ if file.ends_with(".txt")
            && (file.starts_with("requirements") || parent == "requirements") =>
        {
            Format::RequirementsTxt
        }
        _ => return None,
    })
}

/// Reads the file at `path` if it is an inventory file (`None` otherwise).
pub fn read(path: &str, bytes: &[u8]) -> Option<Inventory> {
    detect(path).map(|format| read_as(format, path, bytes))
}

/// Reads `bytes` as `format`; `path` names the file in packages and issues.
pub fn read_as(format: Format, path: &str, bytes: &[u8]) -> Inventory {
    let mut reader = Reader {
        file: path,
        inventory: Inventory::default(),
    };
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text.strip_prefix('\u{feff}').unwrap_or(text),
        Err(e) => {
            let line = bytes[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1;
            reader.issue(Some(line), format!("not UTF-8 (byte {})", e.valid_up_to()));
            return reader.inventory;
        }
    };
    match format {
        Format::RequirementsTxt => reader.requirements_txt(text),
        Format::PackageLock => reader.package_lock(text),
        Format::PoetryLock => reader.poetry_lock(text),
        Format::PipfileLock => reader.pipfile_lock(text),
        Format::UvLock => reader.uv_lock(text),
        Format::PythonMetadata => reader.python_metadata(text),
        Format::NodeModulesPackageJson => reader.node_package_json(text),
        Format::YarnLock => reader.yarn_lock(text),
        Format::PnpmLock => reader.pnpm_lock(text),
        Format::GoMod => reader.go_mod(text),
        Format::CargoLock => reader.cargo_lock(text),
        Format::PomXml => reader.pom_xml(text),
        Format::PomProperties => reader.pom_properties(text),
        Format::JarManifest => reader.jar_manifest(text),
    }
    reader.inventory
}

struct Reader<'a> {
    file: &'a str,
    inventory: Inventory,
}

impl Reader<'_> {
    fn issue(&mut self, line: Option<usize>, message: String) {
        self.inventory.issues.push(Issue {
            file: self.file.to_string(),
            line,
            message,
        });
    }

    fn add(
        &mut self,
        ecosystem: Ecosystem,
        name: &str,
        version: &str,
        line: Option<usize>,
        scope: Option<Scope>,
    ) {
        let mut package = Package::new(ecosystem, name, version, self.file);
        package.line = line;
        package.scope = scope;
        self.inventory.packages.push(package);
    }

    /// Marks the package at `index` as depending on `dependencies` (sorted,
    /// once each), the format having recorded its edges.
    fn set_dependencies(&mut self, index: usize, mut dependencies: Vec<Dependency>) {
        dependencies.sort();
        dependencies.dedup();
        if let Some(package) = self.inventory.packages.get_mut(index) {
            package.dependencies = Some(dependencies);
        }
    }

    /// Raises the scope of the package at `index` to direct (the project
    /// names it) or, failing that, to dev; a direct package stays direct.
    fn mark_declared(&mut self, index: usize, scope: Scope) {
        if let Some(package) = self.inventory.packages.get_mut(index) {
            if package.scope != Some(Scope::Direct) {
                package.scope = Some(scope);
            }
        }
    }

    fn json(&mut self, text: &str) -> Option<Value> {
        match serde_json::from_str(text) {
            Ok(value) => Some(value),
            Err(e) => {
                self.issue(
                    Some(e.line()),
                    format!("invalid JSON at column {}: {e}", e.column()),
                );
                None
            }
        }
    }

    fn toml<T: for<'de> Deserialize<'de>>(&mut self, text: &str) -> Option<T> {
        match toml::from_str(text) {
            Ok(value) => Some(value),
            Err(e) => {
                let line = e.span().map(|span| line_of(text, span.start));
                self.issue(line, format!("invalid TOML: {}", e.message()));
                None
            }
        }
    }
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

// ------------------------------------------------------------ Python

fn is_pypi_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && name.as_bytes()[0].is_ascii_alphanumeric()
}

impl Reader<'_> {
    /// requirements.txt: only exact pins (`name[extras]==version ; marker`)
    /// name a version; ranges, URLs, editables and options (`-r`, `-c`,
    /// `--hash`) are skipped, includes are not followed.
    fn requirements_txt(&mut self, text: &str) {
        let mut logical = String::new();
        let mut start_line = 0;
        for (index, raw_line) in text.lines().enumerate() {
            if logical.is_empty() {
                start_line = index + 1;
            }
            // A comment starts at `#` at the line start or after whitespace.
            let line = match raw_line.find(" #").or_else(|| raw_line.find("\t#")) {
                Some(at) => &raw_line[..at],
                None if raw_line.trim_start().starts_with('#') => "",
                None => raw_line,
            };
            if let Some(continued) = line.strip_suffix('\\') {
                logical.push_str(continued);
                logical.push(' ');
                continue;
            }
            logical.push_str(line);
            let requirement = std::mem::take(&mut logical);
            self.requirement(requirement.trim(), start_line);
        }
        if !logical.trim().is_empty() {
            self.requirement(logical.trim(), start_line);
        }
    }

    fn requirement(&mut self, line: &str, line_number: usize) {
        if line.is_empty() || line.starts_with('-') {
            return;
        }
        // Environment markers and per-requirement options do not change the pin.
        let line = line.split(';').next().unwrap_or("");
        let line = line.split(" --").next().unwrap_or("").trim();
        let name_end = line
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
            .unwrap_or(line.len());
        let name = &line[..name_end];
        if !is_pypi_name(name) {
            // A URL, a path or an archive: nothing to match by name and version.
            return;
        }
        let mut rest = line[name_end..].trim_start();
        if rest.starts_with('[') {
            match rest.find(']') {
                Some(end) => rest = rest[end + 1..].trim_start(),
                None => {
                    self.issue(Some(line_number), format!("unclosed extras in {line:?}"));
                    return;
                }
            }
        }
        let Some(pinned) = rest.strip_prefix("===").or_else(|| rest.strip_prefix("==")) else {
            return;
        };
        let version = pinned.trim();
        // `==1.*` and `==1.0,<2` are ranges, not pins.
        if version.is_empty() || version.contains(['*', ',', ' ', '<', '>', '!', '=', '~']) {
            return;
        }
        self.add(
            Ecosystem::PyPI,
            name,
            version,
            Some(line_number),
            Some(Scope::Direct),
        );
    }

    /// poetry.lock: `[[package]]` tables; old lockfiles say `category = "dev"`.
    fn poetry_lock(&mut self, text: &str) {
        #[derive(Deserialize)]
        struct Lock {
            #[serde(default)]
            package: Vec<Entry>,
        }
        #[derive(Deserialize)]
        struct Entry {
            name: String,
            version: String,
            category: Option<String>,
            /// Name to constraint (a string or a table, also a list of
            /// tables for per-marker constraints): only the names matter.
            #[serde(default)]
            dependencies: HashMap<String, toml::Value>,
        }
        let Some(lock) = self.toml::<Lock>(text) else {
            return;
        };
        let lines = table_lines(text, "[[package]]");
        let versions = PythonVersions::new(
            lock.package
                .iter()
                .map(|entry| (entry.name.as_str(), Some(entry.version.as_str()))),
        );
        for (index, entry) in lock.package.iter().enumerate() {
            let scope = match entry.category.as_deref() {
                Some("dev") => Some(Scope::Dev),
                _ => None,
            };
            self.add(
                Ecosystem::PyPI,
                &entry.name,
                &entry.version,
                lines.get(index).copied(),
                scope,
            );
            let edges = entry
                .dependencies
                .keys()
                .filter_map(|wanted| versions.resolve(wanted, None))
                .collect();
            self.set_dependencies(self.inventory.packages.len() - 1, edges);
        }
    }

    /// uv.lock: `[[package]]` tables; the project itself (editable, virtual
    /// or a path) is not a dependency, but what it depends on is direct
    /// (its `dev-dependencies` groups: dev). An edge names the version
    /// only when the lock holds several of the package.
    fn uv_lock(&mut self, text: &str) {
        #[derive(Deserialize)]
        struct Lock {
            #[serde(default)]
            package: Vec<Entry>,
        }
        #[derive(Deserialize)]
        struct Entry {
            name: String,
            version: Option<String>,
            #[serde(default)]
            source: HashMap<String, toml::Value>,
            #[serde(default)]
            dependencies: Vec<Edge>,
            #[serde(default, rename = "optional-dependencies")]
            optional: HashMap<String, Vec<Edge>>,
            #[serde(default, rename = "dev-dependencies")]
            dev: HashMap<String, Vec<Edge>>,
        }
        #[derive(Deserialize)]
        struct Edge {
            name: String,
            version: Option<String>,
        }
        let Some(lock) = self.toml::<Lock>(text) else {
            return;
        };
        let lines = table_lines(text, "[[package]]");
        let is_local = |entry: &Entry| {
            entry.version.is_none()
                || ["editable", "virtual", "path", "directory"]
                    .iter()
                    .any(|key| entry.source.contains_key(*key))
        };
        let versions = PythonVersions::new(
            lock.package
                .iter()
                .filter(|entry| !is_local(entry))
                .map(|entry| (entry.name.as_str(), entry.version.as_deref())),
        );
        let resolve = |edges: &mut dyn Iterator<Item = &Edge>| -> Vec<Dependency> {
            edges
                .filter_map(|edge| versions.resolve(&edge.name, edge.version.as_deref()))
                .collect()
        };
        let mut declared: Vec<(Dependency, Scope)> = Vec::new();
        for (index, entry) in lock.package.iter().enumerate() {
            let edges = resolve(&mut entry.dependencies.iter());
            if is_local(entry) {
                // The project's extras are its own choice to install; a
                // package's extras are edges only for who asked for them.
                let extras = resolve(&mut entry.optional.values().flatten());
                let dev = resolve(&mut entry.dev.values().flatten());
                declared.extend(edges.into_iter().chain(extras).map(|d| (d, Scope::Direct)));
                declared.extend(dev.into_iter().map(|d| (d, Scope::Dev)));
                continue;
            }
            if let Some(version) = &entry.version {
                self.add(
                    Ecosystem::PyPI,
                    &entry.name,
                    version,
                    lines.get(index).copied(),
                    None,
                );
                self.set_dependencies(self.inventory.packages.len() - 1, edges);
            }
        }
        self.mark_declared_packages(Ecosystem::PyPI, &declared);
    }

    /// Gives the packages the project itself declares (the resolved edges
    /// of its own entry in the lockfile) their scope.
    fn mark_declared_packages(&mut self, ecosystem: Ecosystem, declared: &[(Dependency, Scope)]) {
        for (dependency, scope) in declared {
            let found = self.inventory.packages.iter().position(|package| {
                ecosystem.normalise_name(&package.name)
                    == ecosystem.normalise_name(&dependency.name)
                    && dependency
                        .version
                        .as_ref()
                        .is_none_or(|version| *version == package.version)
            });
            if let Some(index) = found {
                self.mark_declared(index, *scope);
            }
        }
    }

    /// Pipfile.lock: `default` and `develop` maps of `name: {version: "==x"}`.
    fn pipfile_lock(&mut self, text: &str) {
        let Some(lock) = self.json(text) else { return };
        for (section, scope) in [("default", None), ("develop", Some(Scope::Dev))] {
            let Some(packages) = lock.get(section).and_then(Value::as_object) else {
                continue;
            };
            for (name, entry) in packages {
                // Git and path entries carry no version.
                let Some(version) = entry.get("version").and_then(Value::as_str) else {
                    continue;
                };
                let version = version.trim_start_matches("===").trim_start_matches("==");
                self.add(Ecosystem::PyPI, name, version, None, scope);
            }
        }
    }

    /// An installed distribution's core metadata: `Name:`, `Version:` and
    /// `Requires-Dist:` headers before the first blank line. A requirement
    /// needed only for an extra (`; extra == "socks"`) is not an edge: the
    /// extra may not have been asked for.
    fn python_metadata(&mut self, text: &str) {
        let mut name = None;
        let mut version = None;
        let mut requires = Vec::new();
        for (index, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                break;
            }
            if let Some(value) = line.strip_prefix("Name:") {
                name = Some((value.trim(), index + 1));
            } else if let Some(value) = line.strip_prefix("Version:") {
                version = Some(value.trim());
            } else if let Some(value) = line.strip_prefix("Requires-Dist:") {
                let (requirement, marker) = value.split_once(';').unwrap_or((value, ""));
                let requirement = requirement.trim();
                let name_end = requirement
                    .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
                    .unwrap_or(requirement.len());
                let required = &requirement[..name_end];
                if !is_pypi_name(required) {
                    self.issue(
                        Some(index + 1),
                        format!("cannot read the package name of {:?}", value.trim()),
                    );
                } else if !marker.contains("extra") {
                    requires.push(Dependency::named(required));
                }
            }
        }
        match (name, version) {
            (Some((name, line)), Some(version)) if !name.is_empty() && !version.is_empty() => {
                self.add(Ecosystem::PyPI, name, version, Some(line), None);
                self.set_dependencies(self.inventory.packages.len() - 1, requires);
            }
            _ => self.issue(
                None,
                "metadata without Name and Version headers".to_string(),
            ),
        }
    }
}

/// The versions of each PyPI package a Python lockfile holds, to resolve an
/// edge that names a package (and maybe a version) to the entry installed.
struct PythonVersions<'l> {
    by_name: HashMap<String, Vec<(&'l str, &'l str)>>,
}

impl<'l> PythonVersions<'l> {
    fn new(entries: impl Iterator<Item = (&'l str, Option<&'l str>)>) -> PythonVersions<'l> {
        let mut by_name: HashMap<String, Vec<(&str, &str)>> = HashMap::new();
        for (name, version) in entries {
            if let Some(version) = version {
                by_name
                    .entry(pep503_name(name))
                    .or_default()
                    .push((name, version));
            }
        }
        PythonVersions { by_name }
    }

    /// The entry for `name` (at `version` when given): exact when the lock
    /// holds one such entry, by name only when it holds several (the
    /// environment's markers choose, which a lockfile alone cannot), none
    /// when the package is not locked (an extra nobody asked for).
    fn resolve(&self, name: &str, version: Option<&str>) -> Option<Dependency> {
        let candidates = self.by_name.get(&pep503_name(name))?;
        let matching: Vec<&(&str, &str)> = candidates
            .iter()
            .filter(|(_, v)| version.is_none_or(|wanted| wanted == *v))
            .collect();
        match matching.as_slice() {
            [] => None,
            [(name, version)] => Some(Dependency::exact(name, version)),
            [(name, _), ..] => Some(Dependency::named(name)),
        }
    }
}

/// Lines of each occurrence of a TOML array-of-tables header, in order, to
/// give `[[package]]` entries their line.
fn table_lines(text: &str, header: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| line.trim() == header)
        .map(|(index, _)| index + 1)
        .collect()
}

// ------------------------------------------------------------ npm

/// The lines of the object keys starting with `prefix`, when written one
/// per line as npm writes its lockfiles; a key written otherwise has none.
fn json_key_lines<'t>(text: &'t str, prefix: &str) -> HashMap<&'t str, usize> {
    text.lines()
        .enumerate()
        .filter_map(|(index, line)| {
            let (key, _) = line.trim_start().strip_prefix('"')?.split_once("\":")?;
            key.starts_with(prefix).then_some((key, index + 1))
        })
        .collect()
}

/// The fields of a package.json naming dependencies, those that install
/// with the package first (a lockfile entry's edges) and `devDependencies`
/// last (only the project's own count).
const NPM_DEPENDENCY_FIELDS: [&str; 4] = [
    "dependencies",
    "optionalDependencies",
    "peerDependencies",
    "devDependencies",
];

/// The package a v2/v3 lockfile entry installs: name and version, or
/// `None` for the project, a workspace link (first-party code) or an
/// entry without a version.
fn package_lock_entry<'v>(path: &'v str, entry: &'v Value) -> Option<(&'v str, &'v str)> {
    let at = path.rfind("node_modules/")?;
    if entry.get("link").and_then(Value::as_bool) == Some(true) {
        return None;
    }
    let installed_as = &path[at + "node_modules/".len()..];
    let name = entry
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or(installed_as);
    Some((name, entry.get("version").and_then(Value::as_str)?))
}

/// The package a v1 lockfile entry installs; an alias installs another
/// package: `"version": "npm:real-name@1.2.3"`.
fn package_lock_v1_entry<'v>(key: &'v str, entry: &'v Value) -> Option<(&'v str, &'v str)> {
    let version = entry.get("version").and_then(Value::as_str)?;
    Some(
        match version.strip_prefix("npm:").and_then(split_npm_descriptor) {
            Some((real, version)) => (real, version),
            None => (key, version),
        },
    )
}

/// Where Node finds `wanted` required from the package installed at
/// `from` (`node_modules/a/node_modules/b`): in `from`'s own
/// `node_modules`, then in each enclosing one up to the project's.
fn resolve_node_module<'v>(
    packages: &'v serde_json::Map<String, Value>,
    from: &str,
    wanted: &str,
) -> Option<(&'v str, &'v Value)> {
    let mut base = from;
    loop {
        let candidate = if base.is_empty() {
            format!("node_modules/{wanted}")
        } else {
            format!("{base}/node_modules/{wanted}")
        };
        if let Some((path, entry)) = packages.get_key_value(&candidate) {
            return Some((path.as_str(), entry));
        }
        if base.is_empty() {
            return None;
        }
        base = match base.rfind("node_modules/") {
            Some(at) => base[..at].trim_end_matches('/'),
            None => "",
        };
    }
}

/// Splits an npm descriptor `name@range` (the name may be `@scope/name`).
fn split_npm_descriptor(descriptor: &str) -> Option<(&str, &str)> {
    let name_start = usize::from(descriptor.starts_with('@'));
    let at = descriptor[name_start..].find('@')? + name_start;
    Some((&descriptor[..at], &descriptor[at + 1..]))
}

impl Reader<'_> {
    /// package-lock.json / npm-shrinkwrap.json: v2 and v3 list every
    /// installed path under `packages`; v1 nests `dependencies`.
    fn package_lock(&mut self, text: &str) {
        let Some(lock) = self.json(text) else { return };
        if let Some(packages) = lock.get("packages").and_then(Value::as_object) {
            let root = packages.get("").cloned().unwrap_or(Value::Null);
            let mut direct = HashSet::new();
            for field in NPM_DEPENDENCY_FIELDS {
                if let Some(names) = root.get(field).and_then(Value::as_object) {
                    direct.extend(names.keys().cloned());
                }
            }
            let lines = json_key_lines(text, "node_modules/");
            for (path, entry) in packages {
                let Some((name, version)) = package_lock_entry(path, entry) else {
                    continue;
                };
                let at = path.rfind("node_modules/").unwrap_or(0);
                let installed_as = &path[at + "node_modules/".len()..];
                let scope = if entry.get("dev").and_then(Value::as_bool) == Some(true) {
                    Scope::Dev
                } else if at == 0 && direct.contains(installed_as) {
                    Scope::Direct
                } else {
                    Scope::Transitive
                };
                let line = lines.get(path.as_str()).copied();
                self.add(Ecosystem::Npm, name, version, line, Some(scope));
                let edges = NPM_DEPENDENCY_FIELDS[..3]
                    .iter()
                    .filter_map(|field| entry.get(field).and_then(Value::as_object))
                    .flat_map(|names| names.keys())
                    .filter_map(|wanted| {
                        let (target_path, target) = resolve_node_module(packages, path, wanted)?;
                        let (name, version) = package_lock_entry(target_path, target)?;
                        Some(Dependency::exact(name, version))
                    })
                    .collect();
                self.set_dependencies(self.inventory.packages.len() - 1, edges);
            }
        } else if let Some(dependencies) = lock.get("dependencies").and_then(Value::as_object) {
            self.package_lock_v1(dependencies, &mut Vec::new());
        } else {
            self.issue(
                None,
                "neither `packages` nor `dependencies`: not a package-lock".to_string(),
            );
        }
    }

    /// One level of a v1 lockfile's nested `dependencies`; `outer` holds
    /// the enclosing levels, innermost last, where a `requires` entry is
    /// looked up the way Node resolves a module: nearest level first.
    fn package_lock_v1<'v>(
        &mut self,
        level: &'v serde_json::Map<String, Value>,
        outer: &mut Vec<&'v serde_json::Map<String, Value>>,
    ) {
        outer.push(level);
        for (key, entry) in level {
            let nested = entry.get("dependencies").and_then(Value::as_object);
            if let Some((name, version)) = package_lock_v1_entry(key, entry) {
                let dev = entry.get("dev").and_then(Value::as_bool) == Some(true);
                self.add(
                    Ecosystem::Npm,
                    name,
                    version,
                    None,
                    dev.then_some(Scope::Dev),
                );
                let requires = entry.get("requires").and_then(Value::as_object);
                let edges = requires
                    .into_iter()
                    .flat_map(|names| names.keys())
                    .filter_map(|wanted| {
                        nested
                            .into_iter()
                            .chain(outer.iter().rev().copied())
                            .find_map(|scope| scope.get(wanted))
                            .and_then(|target| package_lock_v1_entry(wanted, target))
                            .map(|(name, version)| Dependency::exact(name, version))
                    })
                    .collect();
                self.set_dependencies(self.inventory.packages.len() - 1, edges);
            }
            if let Some(nested) = nested {
                self.package_lock_v1(nested, outer);
            }
        }
        outer.pop();
    }

    /// `node_modules/<name>/package.json` of an installed package.
    fn node_package_json(&mut self, text: &str) {
        let Some(manifest) = self.json(text) else {
            return;
        };
        let name = manifest.get("name").and_then(Value::as_str);
        let version = manifest.get("version").and_then(Value::as_str);
        let (Some(name), Some(version)) = (name, version) else {
            self.issue(None, "package.json without name and version".to_string());
            return;
        };
        self.add(Ecosystem::Npm, name, version, None, None);
        // Ranges only: which version answers is for whoever sees the other
        // node_modules folders. An alias (`"x": "npm:real@^1"`) installs
        // the package it names.
        let edges = NPM_DEPENDENCY_FIELDS[..2]
            .iter()
            .filter_map(|field| manifest.get(field).and_then(Value::as_object))
            .flatten()
            .map(|(key, range)| {
                let aliased = range
                    .as_str()
                    .and_then(|range| range.strip_prefix("npm:"))
                    .and_then(split_npm_descriptor);
                Dependency::named(aliased.map_or(key.as_str(), |(real, _)| real))
            })
            .collect();
        self.set_dependencies(self.inventory.packages.len() - 1, edges);
    }

    /// yarn.lock, classic (v1) and berry: an unindented header lists the
    /// descriptors, an indented `version` line follows (`version "1.0.0"`
    /// in v1, `version: 1.0.0` in berry). Berry's `resolution` names the
    /// package actually installed (aliases); workspaces are not packages,
    /// but what they depend on is direct. An entry's `dependencies` and
    /// `optionalDependencies` are descriptors (`name "range"` in v1,
    /// `name: npm:range` in berry) that some header lists: the edges.
    fn yarn_lock(&mut self, text: &str) {
        let mut entries: Vec<YarnEntry> = Vec::new();
        let mut block = "";
        for (index, line) in text.lines().enumerate() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            if !line.starts_with([' ', '\t']) {
                block = "";
                if line.trim_end().ends_with(':') && !line.starts_with("__metadata") {
                    entries.push(YarnEntry::new(line, index + 1));
                } else {
                    // A top-level line that opens no entry (`__metadata`)
                    // ends the previous one.
                    entries.push(YarnEntry::skipped());
                }
                continue;
            }
            let Some(entry) = entries.last_mut() else {
                continue;
            };
            let indent = line.len() - line.trim_start().len();
            let field = line.trim();
            let unquote = |value: &str| value.trim().trim_matches('"').to_string();
            // Entry fields sit two spaces in; deeper lines belong to the
            // field above them, where a package may be called `version`.
            if indent == 2 {
                block = field.strip_suffix(':').unwrap_or("");
                if let Some(value) = field
                    .strip_prefix("version ")
                    .or_else(|| field.strip_prefix("version:"))
                {
                    entry.version = Some(unquote(value));
                } else if let Some(value) = field.strip_prefix("resolution:") {
                    entry.resolution = Some(unquote(value));
                }
            } else if indent == 4 && matches!(block, "dependencies" | "optionalDependencies") {
                match yarn_dependency(field) {
                    Some(descriptor) => entry.requires.push(descriptor),
                    None => self.issue(
                        Some(index + 1),
                        format!("cannot read the dependency {field:?}"),
                    ),
                }
            }
        }
        let mut by_descriptor: HashMap<&str, usize> = HashMap::new();
        let mut resolved: Vec<Option<YarnResolved>> = Vec::new();
        for (position, entry) in entries.iter().enumerate() {
            let result = self.yarn_resolve(entry);
            if result.is_some() {
                for descriptor in &entry.descriptors {
                    by_descriptor.insert(descriptor.as_str(), position);
                }
            }
            resolved.push(result);
        }
        let package_of = |descriptor: &str| -> Option<&YarnResolved> {
            let position = by_descriptor.get(descriptor).or_else(|| {
                // Berry writes `npm:` in headers but not always in the
                // dependency lists of older lockfiles.
                let (name, range) = split_npm_descriptor(descriptor)?;
                by_descriptor.get(format!("{name}@npm:{range}").as_str())
            })?;
            resolved[*position].as_ref()
        };
        let mut declared = Vec::new();
        for (entry, result) in entries.iter().zip(&resolved) {
            let Some(result) = result else { continue };
            let edges: Vec<Dependency> = entry
                .requires
                .iter()
                .filter_map(|descriptor| package_of(descriptor))
                .filter(|target| !target.workspace)
                .map(|target| Dependency::exact(&target.name, &target.version))
                .collect();
            if result.workspace {
                declared.extend(edges.into_iter().map(|d| (d, Scope::Direct)));
                continue;
            }
            self.add(
                Ecosystem::Npm,
                &result.name,
                &result.version,
                Some(entry.line),
                None,
            );
            self.set_dependencies(self.inventory.packages.len() - 1, edges);
        }
        self.mark_declared_packages(Ecosystem::Npm, &declared);
    }

    /// The package a yarn.lock entry installs, or `None` with an issue.
    fn yarn_resolve(&mut self, entry: &YarnEntry) -> Option<YarnResolved> {
        let first = entry.descriptors.first()?;
        let Some(version) = entry.version.clone() else {
            self.issue(
                Some(entry.line),
                format!("entry {first:?} without a version"),
            );
            return None;
        };
        let descriptor = entry.resolution.as_deref().unwrap_or(first);
        let Some((name, range)) = split_npm_descriptor(descriptor) else {
            self.issue(
                Some(entry.line),
                format!("cannot read the package name of {descriptor:?}"),
            );
            return None;
        };
        Some(YarnResolved {
            name: name.to_string(),
            version,
            // A workspace of the project, or a link to a folder: first-party.
            workspace: range.starts_with("workspace:")
                || range.starts_with("link:")
                || range.starts_with("portal:"),
        })
    }

    /// pnpm-lock.yaml (lockfile v5, v6 and v9), read line by line: the keys
    /// two spaces in under the top-level `packages:` are `/name/1.0.0` (v5),
    /// `/name@1.0.0` (v6) or `name@1.0.0` (v9), with peer suffixes (`_peer@x`
    /// or `(peer@x)`) to drop; `dev: true` marks development packages.
    ///
    /// Edges: a package's `dependencies` and `optionalDependencies` (under
    /// `packages:` before v9, under `snapshots:` in v9) map names to the
    /// version installed. The project's own are under `importers:` (one per
    /// workspace folder) or, in a single-project v5/v6 lock, at the top
    /// level; each is `name: version` (v5) or `name:` then `version:` two
    /// spaces further in (v6, v9).
    fn pnpm_lock(&mut self, text: &str) {
        let mut section = "";
        // The key of the entry being read under `packages:`, `snapshots:`
        // or `importers:`, and the package it added, if any.
        let mut owner: Option<(String, Option<usize>)> = None;
        let mut field = "";
        let mut pending_name: Option<(usize, String)> = None;
        let mut edges: Vec<(String, String, String)> = Vec::new();
        let mut declared: Vec<(Scope, String, String)> = Vec::new();
        let mut by_key: HashMap<(String, String), usize> = HashMap::new();
        for (index, line) in text.lines().enumerate() {
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            let indent = line.len() - line.trim_start().len();
            let content = line.trim();
            if indent == 0 {
                section = content.trim_end_matches(':');
                owner = None;
                field = "";
                pending_name = None;
                continue;
            }
            let (key, value) = match content.split_once(": ") {
                Some((key, value)) => (key, value.trim()),
                None => (content.trim_end_matches(':'), ""),
            };
            let key = key.trim_matches(['\'', '"']);
            let value = value.trim_matches(['\'', '"']);
            // Where a declaration (`name: version`, or `name:` then
            // `version:`) sits, by section: the project's own lists, or a
            // package's.
            let declaration_indent = match section {
                "dependencies" | "devDependencies" | "optionalDependencies" => Some(2),
                "importers" | "packages" | "snapshots" => Some(6),
                _ => None,
            };
            if section == "packages" || section == "snapshots" || section == "importers" {
                if indent == 2 {
                    field = "";
                    pending_name = None;
                    let mut added = None;
                    if section == "packages" {
                        match pnpm_key(key) {
                            Some((name, version)) => {
                                self.add(Ecosystem::Npm, name, version, Some(index + 1), None);
                                let position = self.inventory.packages.len() - 1;
                                self.set_dependencies(position, Vec::new());
                                by_key.insert((name.to_string(), version.to_string()), position);
                                added = Some(position);
                            }
                            None => self
                                .issue(Some(index + 1), format!("cannot read package key {key:?}")),
                        }
                    }
                    owner = Some((key.to_string(), added));
                    continue;
                }
                if indent == 4 {
                    field = key;
                    pending_name = None;
                    if let (Some((_, Some(position))), "dev: true") = (&owner, content) {
                        self.inventory.packages[*position].scope = Some(Scope::Dev);
                    }
                    continue;
                }
            } else {
                field = section;
            }
            let Some(declaration_indent) = declaration_indent else {
                continue;
            };
            let listed = match field {
                "dependencies" | "optionalDependencies" => Scope::Direct,
                "devDependencies" if section != "packages" && section != "snapshots" => Scope::Dev,
                _ => continue,
            };
            let (name, version) = if indent == declaration_indent {
                if value.is_empty() {
                    pending_name = Some((indent, key.to_string()));
                    continue;
                }
                (key.to_string(), value.to_string())
            } else if key == "version"
                && pending_name
                    .as_ref()
                    .is_some_and(|(at, _)| indent == at + 2)
            {
                match pending_name.take() {
                    Some((_, name)) => (name, value.to_string()),
                    None => continue,
                }
            } else {
                continue;
            };
            match (section, &owner) {
                ("packages" | "snapshots", Some((owner, _))) => {
                    edges.push((owner.clone(), name, version))
                }
                ("packages" | "snapshots", None) => {}
                _ => declared.push((listed, name, version)),
            }
        }
        let target = |name: &str, version: &str| -> Option<usize> {
            let (name, version) = pnpm_dependency(name, version)?;
            by_key
                .get(&(name.to_string(), version.to_string()))
                .copied()
        };
        let mut resolved: HashMap<usize, Vec<Dependency>> = HashMap::new();
        for (owner, name, version) in &edges {
            let from =
                pnpm_key(owner).and_then(|(n, v)| by_key.get(&(n.to_string(), v.to_string())));
            if let (Some(&from), Some(to)) = (from, target(name, version)) {
                let to = &self.inventory.packages[to];
                resolved
                    .entry(from)
                    .or_default()
                    .push(Dependency::exact(&to.name, &to.version));
            }
        }
        for (from, dependencies) in resolved {
            self.set_dependencies(from, dependencies);
        }
        for (scope, name, version) in &declared {
            if let Some(position) = target(name, version) {
                self.mark_declared(position, *scope);
            }
        }
    }
}

/// The package a pnpm dependency entry points at: `name: 1.0.0` with a
/// peer suffix (`1.0.0_react@18.2.0` in v5, `1.0.0(react@18.2.0)` later),
/// or an alias naming another package (`/other/1.0.0`, `/other@1.0.0`,
/// `other@1.0.0`). A `link:` or `file:` points at first-party code.
fn pnpm_dependency<'a>(name: &'a str, version: &'a str) -> Option<(&'a str, &'a str)> {
    if version.starts_with("link:") || version.starts_with("file:") {
        return None;
    }
    let plain = version.split('(').next()?;
    let aliased = plain.get(1..).is_some_and(|rest| rest.contains('@')) && !plain.contains('_');
    if plain.starts_with('/') || aliased {
        return pnpm_key(plain);
    }
    let plain = plain.split('_').next()?;
    (!plain.is_empty()).then_some((name, plain))
}

/// One entry of a yarn.lock as read, before resolving.
struct YarnEntry {
    /// The header's descriptors (`name@range`), unquoted.
    descriptors: Vec<String>,
    line: usize,
    version: Option<String>,
    resolution: Option<String>,
    /// The descriptors it depends on.
    requires: Vec<String>,
}

impl YarnEntry {
    fn new(header: &str, line: usize) -> YarnEntry {
        YarnEntry {
            descriptors: header
                .trim_end()
                .trim_end_matches(':')
                .split(", ")
                .map(|d| d.trim().trim_matches('"').to_string())
                .filter(|d| !d.is_empty())
                .collect(),
            line,
            version: None,
            resolution: None,
            requires: Vec::new(),
        }
    }

    /// A top-level block that is not a package (`__metadata`).
    fn skipped() -> YarnEntry {
        YarnEntry::new("", 0)
    }
}

struct YarnResolved {
    name: String,
    version: String,
    workspace: bool,
}

/// The descriptor of one line of a yarn.lock dependency list: `name
/// "range"` (v1) or `name: range` (berry), either part maybe quoted.
fn yarn_dependency(line: &str) -> Option<String> {
    let (name, range) = if let Some(rest) = line.strip_prefix('"') {
        let (name, rest) = rest.split_once('"')?;
        (name, rest.trim_start_matches(':'))
    } else {
        let end = line.find([' ', ':'])?;
        (&line[..end], line[end..].trim_start_matches(':'))
    };
    let range = range.trim().trim_matches('"');
    (!name.is_empty() && !range.is_empty()).then(|| format!("{name}@{range}"))
}

fn pnpm_key(key: &str) -> Option<(&str, &str)> {
    let key = key.trim_start_matches('/');
    let key = key.split('(').next()?;
    // Names hold neither `/` nor `@` past the scope, so the first of them
    // after the scope ends the name: `@` in v6/v9, `/` in v5.
    let name_start = if key.starts_with('@') {
        key.find('/')? + 1
    } else {
        0
    };
    let end = name_start + key[name_start..].find(['@', '/'])?;
    let (name, version) = (&key[..end], &key[end + 1..]);
    let version = if key.as_bytes()[end] == b'/' {
        version.split('_').next()?
    } else {
        version
    };
    (!name.is_empty() && !version.is_empty()).then_some((name, version))
}

// ------------------------------------------------------------ Go, Rust

/// A go.mod `replace`: the module (one version of it, or all), and the
/// module version it becomes (`None`: a local directory).
struct GoReplace {
    module: String,
    version: Option<String>,
    target: Option<(String, String)>,
}

impl Reader<'_> {
    /// go.mod: `require` lines and blocks (`// indirect` marks transitive
    /// modules), with `replace` directives applied: a module replaced by
    /// another module version is that version; one replaced by a local
    /// path is first-party code and left out.
    fn go_mod(&mut self, text: &str) {
        let mut requires: Vec<(String, String, usize, bool)> = Vec::new();
        let mut replaces: Vec<GoReplace> = Vec::new();
        let mut block: Option<&str> = None;
        for (index, raw) in text.lines().enumerate() {
            let indirect = raw.contains("// indirect");
            let line = raw.split("//").next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let (verb, body) = match block {
                Some(_) if line == ")" => {
                    block = None;
                    continue;
                }
                Some(verb) => (verb, line),
                None => {
                    let (verb, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
                    let rest = rest.trim();
                    if rest == "(" {
                        block = Some(match verb {
                            "require" => "require",
                            "replace" => "replace",
                            _ => "other",
                        });
                        continue;
                    }
                    (verb, rest)
                }
            };
            let words: Vec<&str> = body
                .split_whitespace()
                .map(|w| w.trim_matches('"'))
                .collect();
            match verb {
                "require" => match words.as_slice() {
                    [module, version] => requires.push((
                        module.to_string(),
                        version.to_string(),
                        index + 1,
                        indirect,
                    )),
                    _ => self.issue(Some(index + 1), format!("cannot read require {body:?}")),
                },
                "replace" => {
                    let Some(arrow) = words.iter().position(|w| *w == "=>") else {
                        self.issue(Some(index + 1), format!("replace without => in {body:?}"));
                        continue;
                    };
                    let (old, new) = words.split_at(arrow);
                    let target = match &new[1..] {
                        [module, version] => Some((module.to_string(), version.to_string())),
                        _ => None,
                    };
                    match old {
                        [module] => replaces.push(GoReplace {
                            module: module.to_string(),
                            version: None,
                            target,
                        }),
                        [module, version] => replaces.push(GoReplace {
                            module: module.to_string(),
                            version: Some(version.to_string()),
                            target,
                        }),
                        _ => self.issue(Some(index + 1), format!("cannot read replace {body:?}")),
                    }
                }
                _ => {}
            }
        }
        'modules: for (module, version, line, indirect) in requires {
            let scope = Some(if indirect {
                Scope::Transitive
            } else {
                Scope::Direct
            });
            for replace in &replaces {
                if replace.module == module
                    && replace.version.as_ref().is_none_or(|v| *v == version)
                {
                    if let Some((new_module, new_version)) = &replace.target {
                        self.add(Ecosystem::Go, new_module, new_version, Some(line), scope);
                    }
                    continue 'modules;
                }
            }
            self.add(Ecosystem::Go, &module, &version, Some(line), scope);
        }
    }

    /// Cargo.lock: registry and git packages; packages without a source
    /// are the workspace's own crates, and what they depend on is direct.
    /// An edge is `"name"`, or `"name version"` (and `(source)`) when the
    /// lock holds several versions of the crate.
    fn cargo_lock(&mut self, text: &str) {
        #[derive(Deserialize)]
        struct Lock {
            #[serde(default)]
            package: Vec<Entry>,
        }
        #[derive(Deserialize)]
        struct Entry {
            name: String,
            version: String,
            source: Option<String>,
            #[serde(default)]
            dependencies: Vec<String>,
        }
        let Some(lock) = self.toml::<Lock>(text) else {
            return;
        };
        let lines = table_lines(text, "[[package]]");
        let resolve = |edge: &str| -> Option<&Entry> {
            let mut words = edge.split_whitespace();
            let name = words.next()?;
            let version = words.next();
            let mut matching = lock
                .package
                .iter()
                .filter(|e| e.name == name && version.is_none_or(|v| v == e.version));
            let first = matching.next();
            // Several matches differ by source only; the first is as good
            // as any for a name and version, which is what an edge records.
            first.filter(|target| target.source.is_some())
        };
        let mut declared = Vec::new();
        for (index, entry) in lock.package.iter().enumerate() {
            let edges: Vec<Dependency> = entry
                .dependencies
                .iter()
                .filter_map(|edge| resolve(edge))
                .map(|target| Dependency::exact(&target.name, &target.version))
                .collect();
            if entry.source.is_none() {
                declared.extend(edges.into_iter().map(|d| (d, Scope::Direct)));
                continue;
            }
            self.add(
                Ecosystem::CratesIo,
                &entry.name,
                &entry.version,
                lines.get(index).copied(),
                None,
            );
            self.set_dependencies(self.inventory.packages.len() - 1, edges);
        }
        self.mark_declared_packages(Ecosystem::CratesIo, &declared);
    }
}

// ------------------------------------------------------------ Maven

/// Element text without its XML comments (`<version>1.0<!-- why --></version>`).
fn without_comments(raw: &str) -> String {
    let mut out = String::new();
    let mut rest = raw;
    while let Some(start) = rest.find("<!--") {
        out.push_str(&rest[..start]);
        rest = match rest[start..].find("-->") {
            Some(end) => &rest[start + end + 3..],
            None => "",
        };
    }
    out.push_str(rest);
    out
}

/// One element of a pom.xml being read.
struct PomDependency {
    line: usize,
    fields: HashMap<String, String>,
}

impl Reader<'_> {
    /// pom.xml: `project/dependencies/dependency` (and the same under
    /// `profiles/profile`) with a literal version, or a `${property}` the
    /// pom's own `<properties>` defines. Managed versions, parent poms and
    /// plugins are not resolved: they need the rest of the build.
    /// `groupId`, `artifactId` and `version` of a Java properties file.
    fn pom_properties(&mut self, text: &str) {
        let mut values: HashMap<&str, (&str, usize)> = HashMap::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
                continue;
            }
            let Some(split) = line.find(['=', ':']) else {
                continue;
            };
            values.insert(line[..split].trim(), (line[split + 1..].trim(), index + 1));
        }
        match (
            values.get("groupId"),
            values.get("artifactId"),
            values.get("version"),
        ) {
            (Some((group, _)), Some((artifact, _)), Some((version, line)))
                if !group.is_empty() && !artifact.is_empty() && !version.is_empty() =>
            {
                let name = format!("{group}:{artifact}");
                self.add(Ecosystem::Maven, &name, version, Some(*line), None);
            }
            _ => self.issue(
                None,
                "pom.properties without groupId, artifactId and version".to_string(),
            ),
        }
    }

    /// A jar's `MANIFEST.MF`: the version (`Implementation-Version`, else
    /// `Bundle-Version`), the artifact from the jar's file name
    /// (`jackson-databind-2.13.0.jar` with version 2.13.0), the group from
    /// `Implementation-Vendor-Id`, else from `Bundle-SymbolicName` minus
    /// the artifact. Nothing when any part is missing: a guessed name
    /// would match nothing, or the wrong advisories.
    fn jar_manifest(&mut self, text: &str) {
        // Continuation lines (a leading space) belong to the previous one.
        let mut attributes: Vec<(String, String)> = Vec::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix(' ') {
                if let Some((_, value)) = attributes.last_mut() {
                    value.push_str(rest);
                }
                continue;
            }
            if line.is_empty() {
                // The main section ends at the first blank line.
                break;
            }
            if let Some((key, value)) = line.split_once(':') {
                attributes.push((key.trim().to_string(), value.trim().to_string()));
            }
        }
        let get = |key: &str| {
            attributes
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v.as_str())
                .filter(|v| !v.is_empty())
        };
        let Some(version) = get("Implementation-Version").or_else(|| get("Bundle-Version")) else {
            return;
        };
        let jar = self
            .file
            .rsplit_once(".jar!/")
            .map(|(jar, _)| jar.rsplit(['/', '!']).next().unwrap_or(jar))
            .unwrap_or("");
        let Some(artifact) = jar
            .strip_suffix(version)
            .and_then(|rest| rest.strip_suffix('-'))
            .filter(|a| !a.is_empty())
        else {
            return;
        };
        let group = get("Implementation-Vendor-Id")
            .map(str::to_string)
            .or_else(|| {
                get("Bundle-SymbolicName")
                    .map(|symbolic| symbolic.split(';').next().unwrap_or(symbolic).trim())
                    .and_then(|symbolic| symbolic.strip_suffix(artifact))
                    .and_then(|group| group.strip_suffix('.'))
                    .filter(|group| !group.is_empty())
                    .map(str::to_string)
            });
        if let Some(group) = group {
            let name = format!("{group}:{artifact}");
            self.add(Ecosystem::Maven, &name, version, None, None);
        }
    }

    fn pom_xml(&mut self, text: &str) {
        let mut stack: Vec<String> = Vec::new();
        let mut properties: HashMap<String, String> = HashMap::new();
        let mut dependencies: Vec<PomDependency> = Vec::new();
        let mut current: Option<PomDependency> = None;
        let mut text_start = 0;
        let mut at = 0;
        while let Some(offset) = text[at..].find('<') {
            let open = at + offset;
            let skip_to = |end_marker: &str| {
                text[open..]
                    .find(end_marker)
                    .map(|end| open + end + end_marker.len())
            };
            let next = if text[open..].starts_with("<!--") {
                skip_to("-->")
            } else if text[open..].starts_with("<![CDATA[") {
                skip_to("]]>")
            } else if text[open..].starts_with("<?") {
                skip_to("?>")
            } else {
                skip_to(">")
            };
            let Some(next) = next else {
                self.issue(Some(line_of(text, open)), "unterminated markup".to_string());
                break;
            };
            let tag = &text[open + 1..next - 1];
            if tag.starts_with('!') || tag.starts_with('?') {
                at = next;
                continue;
            }
            if let Some(name) = tag.strip_prefix('/') {
                let name = name.trim();
                if stack.last().map(String::as_str) != Some(name) {
                    self.issue(
                        Some(line_of(text, open)),
                        format!(
                            "</{name}> does not close <{}>",
                            stack.last().map_or("", |s| s)
                        ),
                    );
                    break;
                }
                let value = without_comments(&text[text_start..open]);
                let value = value.trim();
                let path: Vec<&str> = stack.iter().map(String::as_str).collect();
                match path.as_slice() {
                    ["project", "properties", property] => {
                        properties.insert(property.to_string(), value.to_string());
                    }
                    [.., "dependencies", "dependency", field] if current.is_some() => {
                        if let Some(dependency) = current.as_mut() {
                            dependency
                                .fields
                                .insert(field.to_string(), value.to_string());
                        }
                    }
                    [.., "dependencies", "dependency"] => {
                        if let Some(dependency) = current.take() {
                            dependencies.push(dependency);
                        }
                    }
                    _ => {}
                }
                stack.pop();
            } else {
                let self_closing = tag.ends_with('/');
                let name = tag
                    .trim_end_matches('/')
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .to_string();
                if !self_closing {
                    stack.push(name);
                    let path: Vec<&str> = stack.iter().map(String::as_str).collect();
                    if matches!(
                        path.as_slice(),
                        ["project", "dependencies", "dependency"]
                            | [
                                "project",
                                "profiles",
                                "profile",
                                "dependencies",
                                "dependency"
                            ]
                    ) {
                        current = Some(PomDependency {
                            line: line_of(text, open),
                            fields: HashMap::new(),
                        });
                    }
                }
            }
            text_start = next;
            at = next;
        }
        for dependency in dependencies {
            let field = |name: &str| {
                dependency
                    .fields
                    .get(name)
                    .map(String::as_str)
                    .unwrap_or("")
            };
            let (group, artifact) = (field("groupId"), field("artifactId"));
            let version = match field("version")
                .strip_prefix("${")
                .and_then(|v| v.strip_suffix('}'))
            {
                Some(property) => properties.get(property).map(String::as_str).unwrap_or(""),
                None => field("version"),
            };
            if group.is_empty()
                || artifact.is_empty()
                || version.is_empty()
                || version.contains("${")
            {
                continue;
            }
            let scope = if field("scope") == "test" {
                Scope::Dev
            } else {
                Scope::Direct
            };
            self.add(
                Ecosystem::Maven,
                &format!("{group}:{artifact}"),
                version,
                Some(dependency.line),
                Some(scope),
            );
        }
    }
}
