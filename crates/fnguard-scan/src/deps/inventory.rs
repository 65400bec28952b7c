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

use super::{Ecosystem, Package, Scope};

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
        self.inventory.packages.push(Package {
            ecosystem,
            name: name.to_string(),
            version: version.to_string(),
            source: self.file.to_string(),
            line,
            scope,
        });
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
        }
        let Some(lock) = self.toml::<Lock>(text) else {
            return;
        };
        let lines = table_lines(text, "[[package]]");
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
        }
    }

    /// uv.lock: `[[package]]` tables; the project itself (editable, virtual
    /// or a path) is not a dependency.
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
        }
        let Some(lock) = self.toml::<Lock>(text) else {
            return;
        };
        let lines = table_lines(text, "[[package]]");
        for (index, entry) in lock.package.iter().enumerate() {
            let local = ["editable", "virtual", "path", "directory"]
                .iter()
                .any(|key| entry.source.contains_key(*key));
            let Some(version) = &entry.version else {
                continue;
            };
            if !local {
                self.add(
                    Ecosystem::PyPI,
                    &entry.name,
                    version,
                    lines.get(index).copied(),
                    None,
                );
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

    /// An installed distribution's core metadata: `Name:` and `Version:`
    /// headers before the first blank line.
    fn python_metadata(&mut self, text: &str) {
        let mut name = None;
        let mut version = None;
        for (index, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                break;
            }
            if let Some(value) = line.strip_prefix("Name:") {
                name = Some((value.trim(), index + 1));
            } else if let Some(value) = line.strip_prefix("Version:") {
                version = Some(value.trim());
            }
        }
        match (name, version) {
            (Some((name, line)), Some(version)) if !name.is_empty() && !version.is_empty() => {
                self.add(Ecosystem::PyPI, name, version, Some(line), None)
            }
            _ => self.issue(
                None,
                "metadata without Name and Version headers".to_string(),
            ),
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
            for field in [
                "dependencies",
                "devDependencies",
                "optionalDependencies",
                "peerDependencies",
            ] {
                if let Some(names) = root.get(field).and_then(Value::as_object) {
                    direct.extend(names.keys().cloned());
                }
            }
            let lines = json_key_lines(text, "node_modules/");
            for (path, entry) in packages {
                let Some(at) = path.rfind("node_modules/") else {
                    continue;
                };
                // Workspace links point at first-party code.
                if entry.get("link").and_then(Value::as_bool) == Some(true) {
                    continue;
                }
                let installed_as = &path[at + "node_modules/".len()..];
                let name = entry
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or(installed_as);
                let Some(version) = entry.get("version").and_then(Value::as_str) else {
                    continue;
                };
                let scope = if entry.get("dev").and_then(Value::as_bool) == Some(true) {
                    Scope::Dev
                } else if at == 0 && direct.contains(installed_as) {
                    Scope::Direct
                } else {
                    Scope::Transitive
                };
                let line = lines.get(path.as_str()).copied();
                self.add(Ecosystem::Npm, name, version, line, Some(scope));
            }
        } else if let Some(dependencies) = lock.get("dependencies").and_then(Value::as_object) {
            self.package_lock_v1(dependencies);
        } else {
            self.issue(
                None,
                "neither `packages` nor `dependencies`: not a package-lock".to_string(),
            );
        }
    }

    fn package_lock_v1(&mut self, dependencies: &serde_json::Map<String, Value>) {
        for (name, entry) in dependencies {
            if let Some(version) = entry.get("version").and_then(Value::as_str) {
                // An alias installs another package: `npm:real-name@1.2.3`.
                let (name, version) =
                    match version.strip_prefix("npm:").and_then(split_npm_descriptor) {
                        Some((real, version)) => (real, version),
                        None => (name.as_str(), version),
                    };
                let dev = entry.get("dev").and_then(Value::as_bool) == Some(true);
                self.add(
                    Ecosystem::Npm,
                    name,
                    version,
                    None,
                    dev.then_some(Scope::Dev),
                );
            }
            if let Some(nested) = entry.get("dependencies").and_then(Value::as_object) {
                self.package_lock_v1(nested);
            }
        }
    }

    /// `node_modules/<name>/package.json` of an installed package.
    fn node_package_json(&mut self, text: &str) {
        let Some(manifest) = self.json(text) else {
            return;
        };
        let name = manifest.get("name").and_then(Value::as_str);
        let version = manifest.get("version").and_then(Value::as_str);
        match (name, version) {
            (Some(name), Some(version)) => self.add(Ecosystem::Npm, name, version, None, None),
            _ => self.issue(None, "package.json without name and version".to_string()),
        }
    }

    /// yarn.lock, classic (v1) and berry: an unindented header lists the
    /// descriptors, an indented `version` line follows (`version "1.0.0"`
    /// in v1, `version: 1.0.0` in berry). Berry's `resolution` names the
    /// package actually installed (aliases); workspaces are skipped.
    fn yarn_lock(&mut self, text: &str) {
        let mut header: Option<(String, usize)> = None;
        let mut version: Option<String> = None;
        let mut resolution: Option<String> = None;
        let lines: Vec<&str> = text.lines().collect();
        for (index, line) in lines
            .iter()
            .enumerate()
            .chain(std::iter::once((lines.len(), &"")))
        {
            let starts_block =
                !line.starts_with([' ', '\t', '#']) && line.trim_end().ends_with(':');
            if starts_block || index == lines.len() {
                if let Some((descriptors, line_number)) = header.take() {
                    self.yarn_entry(&descriptors, version.take(), resolution.take(), line_number);
                }
                if starts_block && !line.starts_with("__metadata") {
                    header = Some((line.trim_end().trim_end_matches(':').to_string(), index + 1));
                }
                continue;
            }
            // Entry fields sit two spaces in; deeper lines are the entry's
            // own dependency lists, where a package may be called `version`.
            if line.len() - line.trim_start().len() != 2 {
                continue;
            }
            let field = line.trim();
            let unquote = |value: &str| value.trim().trim_matches('"').to_string();
            if let Some(value) = field
                .strip_prefix("version ")
                .or_else(|| field.strip_prefix("version:"))
            {
                version = Some(unquote(value));
            } else if let Some(value) = field.strip_prefix("resolution:") {
                resolution = Some(unquote(value));
            }
        }
    }

    fn yarn_entry(
        &mut self,
        descriptors: &str,
        version: Option<String>,
        resolution: Option<String>,
        line: usize,
    ) {
        let first = descriptors
            .split(", ")
            .next()
            .unwrap_or("")
            .trim()
            .trim_matches('"');
        let Some(version) = version else {
            self.issue(Some(line), format!("entry {first:?} without a version"));
            return;
        };
        let descriptor = resolution.as_deref().unwrap_or(first);
        let Some((name, range)) = split_npm_descriptor(descriptor) else {
            self.issue(
                Some(line),
                format!("cannot read the package name of {descriptor:?}"),
            );
            return;
        };
        if range.starts_with("workspace:")
            || range.starts_with("link:")
            || range.starts_with("portal:")
        {
            return;
        }
        self.add(Ecosystem::Npm, name, &version, Some(line), None);
    }

    /// pnpm-lock.yaml (lockfile v5, v6 and v9), read line by line: the keys
    /// two spaces in under the top-level `packages:` are `/name/1.0.0` (v5),
    /// `/name@1.0.0` (v6) or `name@1.0.0` (v9), with peer suffixes (`_peer@x`
    /// or `(peer@x)`) to drop; `dev: true` marks development packages.
    fn pnpm_lock(&mut self, text: &str) {
        let mut in_packages = false;
        let mut current: Option<usize> = None;
        for (index, line) in text.lines().enumerate() {
            if !line.starts_with(' ') && !line.trim().is_empty() {
                in_packages = line.trim_end() == "packages:";
                current = None;
                continue;
            }
            if !in_packages {
                continue;
            }
            let indent = line.len() - line.trim_start().len();
            let content = line.trim();
            if indent == 2 && content.ends_with(':') {
                current = None;
                let key = content.trim_end_matches(':').trim_matches(['\'', '"']);
                match pnpm_key(key) {
                    Some((name, version)) => {
                        self.add(Ecosystem::Npm, name, version, Some(index + 1), None);
                        current = Some(self.inventory.packages.len() - 1);
                    }
                    None => self.issue(Some(index + 1), format!("cannot read package key {key:?}")),
                }
            } else if indent == 4 && content == "dev: true" {
                if let Some(position) = current {
                    self.inventory.packages[position].scope = Some(Scope::Dev);
                }
            }
        }
    }
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
    /// are the workspace's own crates.
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
        }
        let Some(lock) = self.toml::<Lock>(text) else {
            return;
        };
        let lines = table_lines(text, "[[package]]");
        for (index, entry) in lock.package.iter().enumerate() {
            if entry.source.is_some() {
                self.add(
                    Ecosystem::CratesIo,
                    &entry.name,
                    &entry.version,
                    lines.get(index).copied(),
                    None,
                );
            }
        }
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
