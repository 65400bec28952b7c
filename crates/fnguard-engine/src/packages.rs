//! The second phase of a scan: the code that ships. Which folders and
//! archives to read comes from the IaC (each function's code location and
//! each layer's content, relative to the file that declares it) and from
//! the command line (an archive given directly; a folder given directly
//! in which no IaC was found). Each package is read once however many
//! functions ship it, by `fnguard_scan::package`.
//!
//! A code location written in an untrusted template must not make fnguard
//! read the scanning machine's files (`CodeUri: /home/ci/.aws`): a location
//! is read only when it resolves inside a folder the user named (or the
//! folder of a file the user named).

use fnguard_core::report::InputError;
use fnguard_core::{Field, Finding, Lang, SourceRef};
use fnguard_model::{CodeLocation, Deployment};
use fnguard_scan::archive::Limits;
use fnguard_scan::classify::{Context, Handler};
use fnguard_scan::deps::osv::Db;
use fnguard_scan::deps::Package;
use fnguard_scan::package::{self, Owner, Rules, Target};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// File names taken for packages when given directly.
const ARCHIVE_SUFFIXES: &[&str] = &[
    ".zip", ".jar", ".war", ".ear", ".whl", ".egg", ".tar", ".tar.gz", ".tgz", ".nupkg",
];

/// How `fnguard scan` treats the code that ships.
#[derive(Debug, Clone)]
pub struct PackageOptions {
    /// Read the packages at all (`--no-packages` turns it off).
    pub enabled: bool,
    pub limits: Limits,
    /// An offline OSV database (`--osv-db`): without one, the inventory is
    /// still made, and the report says matching needs it.
    pub osv_db: Option<Arc<Db>>,
}

impl Default for PackageOptions {
    fn default() -> Self {
        PackageOptions {
            enabled: true,
            limits: Limits::default(),
            osv_db: None,
        }
    }
}

/// Whether a path given on the command line names a package archive.
pub fn is_archive_name(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    ARCHIVE_SUFFIXES.iter().any(|suffix| name.ends_with(suffix))
}

/// A code location found in one deployment, before it is resolved.
#[derive(Debug, Clone)]
pub(crate) struct CodeRef {
    pub owner: Owner,
    /// The location as written, relative to `base`.
    pub code: String,
    /// The folder of the file that declares it, on disk and for display.
    pub base: PathBuf,
    pub base_display: String,
    pub handler: Option<String>,
    pub layer: bool,
}

/// The code locations of a deployment's functions and layer versions, and
/// which function runs with which layer. `files` maps the deployment's
/// display paths to paths on disk.
pub(crate) fn code_refs(dep: &Deployment, files: &[(String, PathBuf)]) -> DeploymentCode {
    let mut out = DeploymentCode::default();
    let located = |field: &Field<String>, resource: &str| -> Option<(String, CodeRefBase)> {
        let Field::Known(code, loc) = field else {
            return None;
        };
        let display = dep.file(*loc);
        let (_, on_disk) = files.iter().find(|(d, _)| d == display)?;
        Some((
            code.clone(),
            CodeRefBase {
                owner: Owner {
                    resource: resource.to_string(),
                    location: SourceRef::new(display, loc.line, loc.col),
                },
                base: on_disk.parent().map(Path::to_path_buf).unwrap_or_default(),
                base_display: parent_display(display),
            },
        ))
    };
    for layer in &dep.layers {
        if let Some((code, base)) = located(&layer.content, &layer.id) {
            out.refs.push(CodeRef::new(code, base, None, true));
        }
    }
    for function in &dep.functions {
        let image = function.package_type.eq_ignore_case("image");
        let function_ref = located(&function.code, &function.id);
        let owner = match &function_ref {
            Some((_, base)) => base.owner.clone(),
            None => Owner {
                resource: function.id.clone(),
                location: SourceRef::new(
                    dep.file(function.loc),
                    function.loc.line,
                    function.loc.col,
                ),
            },
        };
        for layer in dep.layers_of(function) {
            if let Some((_, base)) = located(&layer.content, &layer.id) {
                out.links.push((owner.clone(), base.owner));
            }
        }
        if let Some((code, base)) = function_ref {
            if !image {
                out.refs.push(CodeRef::new(
                    code,
                    base,
                    function.handler.value().cloned(),
                    false,
                ));
            }
        }
    }
    out
}

/// What one deployment says about its code.
#[derive(Debug, Default)]
pub(crate) struct DeploymentCode {
    pub refs: Vec<CodeRef>,
    /// (function, layer version) for each layer of the files a function
    /// runs with.
    pub links: Vec<(Owner, Owner)>,
}

/// Who declares a code location and where.
struct CodeRefBase {
    owner: Owner,
    base: PathBuf,
    base_display: String,
}

impl CodeRef {
    fn new(code: String, base: CodeRefBase, handler: Option<String>, layer: bool) -> CodeRef {
        CodeRef {
            owner: base.owner,
            code,
            base: base.base,
            base_display: base.base_display,
            handler,
            layer,
        }
    }
}

fn parent_display(display: &str) -> String {
    match display.rsplit_once('/') {
        Some((parent, _)) => parent.to_string(),
        None => String::new(),
    }
}

/// Whether a code string can name a local file at all: not an S3 object,
/// an image, inline code, or an expression the loader could not evaluate.
fn is_local(code: &str) -> bool {
    matches!(CodeLocation::parse(code, false), CodeLocation::Local(_))
        && !(code.is_empty()
            || code.contains("://")
            || code.starts_with('<')
            || code.contains("${")
            || code.contains("$(")
            || code.contains(".dkr.ecr."))
}

/// `base/rel` for display, with `.` segments dropped and `..` applied where
/// the base allows.
fn join_display(base: &str, rel: &str) -> String {
    let mut parts: Vec<&str> = if rel.starts_with('/') {
        Vec::new()
    } else {
        base.split('/')
            .filter(|p| !p.is_empty() && *p != ".")
            .collect()
    };
    for part in rel.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    if rel.starts_with('/') {
        format!("/{joined}")
    } else if joined.is_empty() {
        ".".to_string()
    } else {
        joined
    }
}

/// What the package phase found.
#[derive(Debug, Default)]
pub struct PackagePhase {
    pub findings: Vec<Finding>,
    pub errors: Vec<InputError>,
    pub warnings: Vec<InputError>,
    pub notes: Vec<String>,
    pub files: u64,
    /// Each package scanned and its dependency inventory, in display order:
    /// what `--sbom` writes.
    pub inventories: Vec<Inventory>,
    /// (function, layer version) pairs: which function runs with which
    /// layer of the files.
    pub links: Vec<(Owner, Owner)>,
}

/// One package and what it contains.
#[derive(Debug, Clone)]
pub struct Inventory {
    pub display: String,
    pub owners: Vec<Owner>,
    pub layer: bool,
    pub packages: Vec<Package>,
    /// SHA-256 of each jar, by display path (see `package::Outcome`).
    pub jar_sha256: std::collections::BTreeMap<String, [u8; 32]>,
}

/// Resolves the targets and scans them in parallel.
pub(crate) fn run(
    roots: &[PathBuf],
    iac_files: &[PathBuf],
    code: DeploymentCode,
    opts: &PackageOptions,
    lang: Option<Lang>,
) -> PackagePhase {
    let mut phase = PackagePhase::default();
    let allowed = allowed_folders(roots);
    // Each IaC file resolved once, for the roots that hold IaC and for the
    // folder packages that must leave it out.
    let iac: Vec<PathBuf> = iac_files
        .iter()
        .filter_map(|f| f.canonicalize().ok())
        .collect();

    // Canonical path -> target, so that a package shipped by several
    // functions is read once.
    let mut targets: BTreeMap<PathBuf, Target> = BTreeMap::new();
    for root in roots {
        let Ok(canonical) = root.canonicalize() else {
            continue;
        };
        let given_package = (root.is_file() && is_archive_name(root))
            || (root.is_dir() && !iac.iter().any(|file| file.starts_with(&canonical)));
        if !given_package {
            continue;
        }
        targets.entry(canonical).or_insert_with(|| Target {
            path: root.clone(),
            display: fnguard_model::discover::display_root(root),
            owners: Vec::new(),
            context: Context::default(),
            skip: Vec::new(),
        });
    }
    let mut missing = 0usize;
    phase.links = code.links;
    let mut refs = code.refs;
    refs.sort_by(|a, b| a.owner.resource.cmp(&b.owner.resource));
    for code_ref in refs {
        if !is_local(&code_ref.code) {
            continue;
        }
        let relative = code_ref.code.trim();
        let path = code_ref.base.join(relative);
        let display = join_display(&code_ref.base_display, relative);
        // One `stat` tells most missing build outputs apart before the
        // dozen `readlink`s of a canonicalisation.
        let found = if path.exists() {
            path.canonicalize().ok()
        } else {
            None
        };
        let canonical = match found {
            Some(canonical) => canonical,
            None => {
                missing += 1;
                phase.warnings.push(InputError {
                    location: code_ref.owner.location.clone(),
                    message: format!(
                        "code of {} at {display} is not on disk (not built yet?): not scanned",
                        code_ref.owner.resource
                    ),
                });
                continue;
            }
        };
        if !allowed.iter().any(|folder| canonical.starts_with(folder)) {
            phase.warnings.push(InputError {
                location: code_ref.owner.location.clone(),
                message: format!(
                    "code of {} at {display} is outside the scanned folders and their repository: not read (scan a folder that contains it)",
                    code_ref.owner.resource
                ),
            });
            continue;
        }
        let target = targets.entry(canonical).or_insert_with(|| Target {
            path: path.clone(),
            display: display.clone(),
            owners: Vec::new(),
            context: Context {
                handler: None,
                layer: code_ref.layer,
            },
            skip: Vec::new(),
        });
        if target.context.handler.is_none() {
            target.context.handler = code_ref.handler.as_deref().and_then(Handler::parse);
        }
        if !target.owners.contains(&code_ref.owner) {
            target.owners.push(code_ref.owner);
        }
    }
    if missing > 0 {
        phase.notes.push(format!(
            "{missing} code location(s) named by the IaC are not on disk and were not scanned; --verbose lists them"
        ));
    }

    skip_iac_files(&mut targets, &iac);
    let targets: Vec<Target> = targets.into_values().collect();
    if targets.is_empty() {
        return phase;
    }
    // Built only when there is code to read: compiling the secret rules
    // costs more than a small IaC-only scan.
    let rules = match Rules::builtin() {
        Ok(rules) => rules,
        Err(message) => {
            phase.errors.push(InputError {
                location: SourceRef::new("rules/secrets", 0, 0),
                message: format!("the secret rules do not load, packages not scanned: {message}"),
            });
            return phase;
        }
    };

    let results: Vec<(Target, package::Outcome, Vec<Finding>)> = targets
        .into_par_iter()
        .map(|target| {
            let outcome = package::scan(&target, &rules, &opts.limits);
            let vulnerabilities = match &opts.osv_db {
                Some(db) => package::vulnerability_findings(&target, &outcome.packages, db),
                None => Vec::new(),
            };
            (target, outcome, vulnerabilities)
        })
        .collect();

    let mut dependencies = 0usize;
    for (target, outcome, vulnerabilities) in results {
        phase.files += outcome.files;
        dependencies += outcome.packages.len();
        phase.findings.extend(outcome.findings);
        phase.findings.extend(vulnerabilities);
        phase.errors.extend(outcome.errors);
        phase.warnings.extend(outcome.warnings);
        phase.inventories.push(Inventory {
            display: target.display,
            owners: target.owners,
            layer: target.context.layer,
            packages: outcome.packages,
            jar_sha256: outcome.jar_sha256,
        });
    }
    if let Some(lang) = lang {
        for finding in &mut phase.findings {
            finding.keep_only(lang);
        }
    }
    if opts.osv_db.is_none() && dependencies > 0 {
        phase.notes.push(format!(
            "{dependencies} dependenc{} inventoried in {} package(s) but not checked for vulnerabilities: matching needs --osv-db DIR (osv-scanner's offline layout <DIR>/<Ecosystem>/all.zip, or a folder of OSV JSON files); --sbom FILE writes the inventory",
            if dependencies == 1 { "y" } else { "ies" },
            phase.inventories.iter().filter(|i| !i.packages.is_empty()).count()
        ));
    }
    phase
}

/// Leaves the scan's IaC files out of the folder packages that hold them
/// (`CodeUri: .`, a Serverless service folder): the IaC rules check them,
/// and a second report of each secret as "in code" would be noise.
/// `iac` holds canonical paths.
fn skip_iac_files(targets: &mut BTreeMap<PathBuf, Target>, iac: &[PathBuf]) {
    if !targets.values().any(|t| t.path.is_dir()) {
        return;
    }
    for file in iac {
        // Every folder target that holds the file, found by walking up its
        // folders rather than comparing each file with each target.
        for folder in file.ancestors().skip(1) {
            if let Some(target) = targets.get_mut(folder) {
                if let Ok(rel) = file.strip_prefix(folder) {
                    let rel: Vec<String> = rel
                        .components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .collect();
                    target.skip.push(rel.join("/"));
                }
            }
        }
    }
}

/// Where code locations may point: each folder named on the command line
/// (or the folder of a file named), widened to the Git work tree around it
/// (a template may deploy `../../src/fn` of its own repository, and whoever
/// writes the template controls that tree anyway). Canonical paths, so a
/// link inside the tree cannot lead out of it.
fn allowed_folders(roots: &[PathBuf]) -> Vec<PathBuf> {
    let mut allowed = Vec::new();
    for root in roots {
        let folder = if root.is_dir() {
            root.clone()
        } else {
            match root.parent() {
                Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
                _ => PathBuf::from("."),
            }
        };
        let Ok(folder) = folder.canonicalize() else {
            continue;
        };
        let work_tree = folder
            .ancestors()
            .find(|dir| dir.join(".git").exists())
            .map(Path::to_path_buf);
        allowed.push(work_tree.unwrap_or(folder));
    }
    allowed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_locations_join_their_template_folder() {
        assert_eq!(join_display("examples/sam", "src/"), "examples/sam/src");
        assert_eq!(join_display("examples/sam", "./src"), "examples/sam/src");
        assert_eq!(join_display("", "src"), "src");
        assert_eq!(join_display("a/b", "../build/fn.zip"), "a/build/fn.zip");
        assert_eq!(join_display("a", "."), "a");
        assert_eq!(join_display("", "../x"), "../x");
        assert_eq!(join_display("a", "/abs/x"), "/abs/x");
    }

    #[test]
    fn only_local_code_strings_are_followed() {
        for local in ["src/", "./build/fn.zip", "hello_world", "."] {
            assert!(is_local(local), "{local}");
        }
        for remote in [
            "s3://bucket/key.zip",
            "<inline ZipFile>",
            "${path.module}/src",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/fn:1",
            "",
        ] {
            assert!(!is_local(remote), "{remote}");
        }
    }

    #[test]
    fn archives_given_directly_are_known_by_their_names() {
        for name in [
            "fn.zip",
            "layer.TAR.GZ",
            "app.jar",
            "x.tgz",
            "w-1.0-py3-none-any.whl",
        ] {
            assert!(is_archive_name(Path::new(name)), "{name}");
        }
        for name in ["template.yaml", "main.tf", "zip", "fn.zip.sha256"] {
            assert!(!is_archive_name(Path::new(name)), "{name}");
        }
    }
}
