//! Dependency edges read from each inventory format: which package depends
//! on which, resolved to the exact version the same file installs where the
//! format allows, and the project's own dependencies marked direct.

use std::path::Path;

use fnguard_scan::deps::inventory::{read_as, Format, Inventory};
use fnguard_scan::deps::{Dependency, Package, Scope};

/// A file of tests/data/deps/edges (where the robustness tests also cut
/// it at every length), read as `format`.
fn sample(format: Format, name: &str) -> Inventory {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/deps/edges")
        .join(name);
    let bytes = std::fs::read(&path).expect("sample");
    let inventory = read_as(format, name, &bytes);
    assert!(inventory.issues.is_empty(), "{:?}", inventory.issues);
    inventory
}

fn read(format: Format, path: &str, text: &str) -> Inventory {
    let inventory = read_as(format, path, text.as_bytes());
    assert!(inventory.issues.is_empty(), "{:?}", inventory.issues);
    inventory
}

fn package<'a>(inventory: &'a Inventory, name: &str, version: &str) -> &'a Package {
    inventory
        .packages
        .iter()
        .find(|p| p.name == name && p.version == version)
        .unwrap_or_else(|| panic!("{name}@{version} not in {:?}", inventory.packages))
}

/// The edges of a package as `name@version` (`name` alone when unresolved);
/// `None` when the format did not record them.
fn edges(inventory: &Inventory, name: &str, version: &str) -> Option<Vec<String>> {
    package(inventory, name, version)
        .dependencies
        .as_ref()
        .map(|list| list.iter().map(describe).collect())
}

fn describe(dependency: &Dependency) -> String {
    match &dependency.version {
        Some(version) => format!("{}@{version}", dependency.name),
        None => dependency.name.clone(),
    }
}

fn some(list: &[&str]) -> Option<Vec<String>> {
    Some(list.iter().map(|s| s.to_string()).collect())
}

#[test]
fn package_lock_v3_resolves_edges_the_way_node_does() {
    let lock = sample(Format::PackageLock, "package-lock-v3.json");
    // a's own node_modules holds b@2; c and fsevents are found one level up;
    // `absent` is not installed (an optional dependency of another platform).
    assert_eq!(
        edges(&lock, "a", "1.0.0"),
        some(&["b@2.0.0", "c@1.1.0", "fsevents@2.3.3"])
    );
    assert_eq!(edges(&lock, "b", "2.0.0"), some(&["c@1.1.0"]));
    assert_eq!(edges(&lock, "b", "1.0.0"), some(&[]));
    // An alias is recorded as the package it installs.
    assert_eq!(edges(&lock, "jest", "29.7.0"), some(&["real-name@1.0.0"]));
    assert_eq!(package(&lock, "a", "1.0.0").scope, Some(Scope::Direct));
    assert_eq!(package(&lock, "c", "1.1.0").scope, Some(Scope::Transitive));
}

#[test]
fn package_lock_v1_resolves_requires_through_the_nesting() {
    let lock = sample(Format::PackageLock, "package-lock-v1.json");
    assert_eq!(edges(&lock, "a", "1.0.0"), some(&["b@2.0.0", "c@1.1.0"]));
    assert_eq!(edges(&lock, "b", "2.0.0"), some(&["c@1.1.0"]));
    assert_eq!(edges(&lock, "c", "1.1.0"), some(&[]));
    assert_eq!(edges(&lock, "left-pad", "1.3.0"), some(&["b@1.0.0"]));
}

#[test]
fn yarn_classic_edges_follow_the_descriptors() {
    let lock = sample(Format::YarnLock, "yarn-v1.lock");
    assert_eq!(
        edges(&lock, "@babel/code-frame", "7.22.13"),
        some(&["@babel/highlight@7.22.20", "chalk@2.4.2", "version@1.0.1"])
    );
    assert_eq!(edges(&lock, "chalk", "2.4.2"), some(&[]));
    // Yarn v1 does not say what the project itself declares.
    assert_eq!(package(&lock, "chalk", "2.4.2").scope, None);
}

#[test]
fn yarn_berry_edges_and_the_workspace_dependencies_are_direct() {
    let lock = sample(Format::YarnLock, "yarn-berry.lock");
    assert_eq!(
        edges(&lock, "@types/node", "20.8.2"),
        some(&["undici-types@5.25.3"])
    );
    assert_eq!(
        package(&lock, "lodash", "4.17.4").scope,
        Some(Scope::Direct)
    );
    assert_eq!(
        package(&lock, "@types/node", "20.8.2").scope,
        Some(Scope::Direct)
    );
    assert_eq!(package(&lock, "undici-types", "5.25.3").scope, None);
    assert_eq!(lock.packages.len(), 3, "the workspace is not a package");
}

#[test]
fn pnpm_v5_edges_with_peer_suffixes() {
    let lock = sample(Format::PnpmLock, "pnpm-lock-v5.yaml");
    assert_eq!(
        edges(&lock, "react-dom", "18.2.0"),
        some(&["loose-envify@1.4.0", "react@18.2.0"])
    );
    assert_eq!(edges(&lock, "loose-envify", "1.4.0"), some(&[]));
    assert_eq!(
        package(&lock, "react-dom", "18.2.0").scope,
        Some(Scope::Direct)
    );
    assert_eq!(
        package(&lock, "typescript", "5.2.2").scope,
        Some(Scope::Dev)
    );
}

#[test]
fn pnpm_v6_and_v9_edges_aliases_and_importers() {
    let v6 = sample(Format::PnpmLock, "pnpm-lock-v6.yaml");
    assert_eq!(edges(&v6, "react-dom", "18.2.0"), some(&["react@18.2.0"]));
    assert_eq!(
        package(&v6, "string-width", "4.2.3").scope,
        Some(Scope::Direct)
    );

    let v9 = sample(Format::PnpmLock, "pnpm-lock-v9.yaml");
    assert_eq!(
        edges(&v9, "@smithy/types", "2.3.0"),
        some(&["tslib@2.6.2", "wrap@1.0.0"])
    );
    assert_eq!(edges(&v9, "tslib", "2.6.2"), some(&[]));
    assert_eq!(
        package(&v9, "@smithy/types", "2.3.0").scope,
        Some(Scope::Direct)
    );
    assert_eq!(package(&v9, "minimist", "1.2.5").scope, Some(Scope::Dev));
    assert_eq!(package(&v9, "tslib", "2.6.2").scope, None);
}

#[test]
fn poetry_lock_edges_by_name() {
    let lock = sample(Format::PoetryLock, "poetry.lock");
    // PySocks is an extra nobody locked; charset-normalizer matches by
    // PEP 503 name and keeps the lock's spelling.
    assert_eq!(
        edges(&lock, "requests", "2.31.0"),
        some(&["certifi@2023.7.22", "charset_normalizer@3.3.0"])
    );
    // Two numpys: which one the markers pick is not the lockfile's to say.
    assert_eq!(edges(&lock, "pandas", "2.0.3"), some(&["numpy"]));
    assert_eq!(edges(&lock, "certifi", "2023.7.22"), some(&[]));
}

#[test]
fn uv_lock_edges_and_the_project_dependencies() {
    let lock = sample(Format::UvLock, "uv.lock");
    // h2 is installed only for whoever asks httpx for its extra.
    assert_eq!(
        edges(&lock, "httpx", "0.25.0"),
        some(&["anyio@4.0.0", "idna@3.4"])
    );
    assert_eq!(package(&lock, "httpx", "0.25.0").scope, Some(Scope::Direct));
    assert_eq!(package(&lock, "pytest", "7.4.2").scope, Some(Scope::Dev));
    assert_eq!(package(&lock, "anyio", "4.0.0").scope, None);
    assert!(lock.packages.iter().all(|p| p.name != "fn"));
}

#[test]
fn cargo_lock_edges_by_name_or_name_and_version() {
    let lock = sample(Format::CargoLock, "Cargo.lock");
    assert_eq!(
        edges(&lock, "lambda_runtime", "0.8.1"),
        some(&["bytes@1.5.0", "http@0.2.9"])
    );
    assert_eq!(edges(&lock, "bytes", "0.4.12"), some(&[]));
    // What the workspace's crates (bootstrap, helper) use is direct.
    assert_eq!(
        package(&lock, "lambda_runtime", "0.8.1").scope,
        Some(Scope::Direct)
    );
    assert_eq!(
        package(&lock, "serde", "1.0.188").scope,
        Some(Scope::Direct)
    );
    assert_eq!(package(&lock, "http", "0.2.9").scope, None);
}

#[test]
fn installed_metadata_names_its_dependencies() {
    let metadata = sample(Format::PythonMetadata, "requests-2.31.0.dist-info/METADATA");
    assert_eq!(
        edges(&metadata, "requests", "2.31.0"),
        some(&["charset-normalizer", "idna", "urllib3"])
    );
    let bad = read_as(
        Format::PythonMetadata,
        "x.dist-info/METADATA",
        b"Name: x\nVersion: 1\nRequires-Dist: (broken)\n",
    );
    assert_eq!(bad.issues.len(), 1, "{:?}", bad.issues);
    assert_eq!(bad.issues[0].line, Some(3));
    assert_eq!(bad.packages.len(), 1);

    let manifest = sample(
        Format::NodeModulesPackageJson,
        "node_modules/a/package.json",
    );
    assert_eq!(
        edges(&manifest, "a", "1.0.0"),
        some(&["b", "c", "left-pad"])
    );
}

#[test]
fn formats_without_edges_leave_them_unknown() {
    let requirements = read(
        Format::RequirementsTxt,
        "requirements.txt",
        "requests==2.31.0\n",
    );
    assert_eq!(edges(&requirements, "requests", "2.31.0"), None);
    let go = read(
        Format::GoMod,
        "go.mod",
        "module x\n\nrequire github.com/aws/aws-lambda-go v1.41.0\n",
    );
    assert_eq!(edges(&go, "github.com/aws/aws-lambda-go", "v1.41.0"), None);
    let pipfile = read(
        Format::PipfileLock,
        "Pipfile.lock",
        r#"{"default":{"requests":{"version":"==2.31.0"}},"develop":{}}"#,
    );
    assert_eq!(edges(&pipfile, "requests", "2.31.0"), None);
}

#[test]
fn an_unreadable_dependency_line_is_an_issue_and_the_rest_is_read() {
    let lock = read_as(
        Format::YarnLock,
        "yarn.lock",
        b"a@^1.0.0:\n  version \"1.0.0\"\n  dependencies:\n    \"b \"^1.0.0\"\n    \"unterminated\n    c \"^1.0.0\"\n\nc@^1.0.0:\n  version \"1.2.0\"\n",
    );
    assert_eq!(lock.issues.len(), 1, "{:?}", lock.issues);
    assert_eq!(lock.issues[0].line, Some(5));
    assert!(
        lock.issues[0].message.contains("unterminated"),
        "{}",
        lock.issues[0]
    );
    assert_eq!(edges(&lock, "a", "1.0.0"), some(&["c@1.2.0"]));
}
