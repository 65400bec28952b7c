//! Dependency edges read from each inventory format: which package depends
//! on which, resolved to the exact version the same file installs where the
//! format allows, and the project's own dependencies marked direct.

use fnguard_scan::deps::inventory::{read_as, Format, Inventory};
use fnguard_scan::deps::{Dependency, Package, Scope};

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
    let lock = read(
        Format::PackageLock,
        "package-lock.json",
        r#"{"name":"fn","lockfileVersion":3,"packages":{
            "":{"name":"fn","dependencies":{"a":"^1.0.0","ws-lib":"*"},"devDependencies":{"jest":"^29"}},
            "node_modules/a":{"version":"1.0.0","dependencies":{"b":"^2.0.0","c":"^1.0.0","absent":"^1"},
                "optionalDependencies":{"fsevents":"^2"}},
            "node_modules/a/node_modules/b":{"version":"2.0.0","dependencies":{"c":"^1.0.0"}},
            "node_modules/b":{"version":"1.0.0"},
            "node_modules/c":{"version":"1.1.0"},
            "node_modules/fsevents":{"version":"2.3.3","optional":true},
            "node_modules/jest":{"version":"29.7.0","dev":true,"dependencies":{"real":"^1"}},
            "node_modules/real":{"name":"real-name","version":"1.0.0","dev":true},
            "node_modules/ws-lib":{"resolved":"packages/ws-lib","link":true},
            "packages/ws-lib":{"version":"0.1.0","dependencies":{"c":"^1.0.0"}}}}"#,
    );
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
    let lock = read(
        Format::PackageLock,
        "package-lock.json",
        r#"{"name":"fn","lockfileVersion":1,"dependencies":{
            "a":{"version":"1.0.0","requires":{"b":"^2.0.0","c":"^1.0.0"},
                "dependencies":{"b":{"version":"2.0.0","requires":{"c":"^1.0.0"}}}},
            "b":{"version":"1.0.0"},
            "c":{"version":"1.1.0","requires":{"gone":"^1"}},
            "old":{"version":"npm:left-pad@1.3.0","requires":{"b":"^1"}}}}"#,
    );
    assert_eq!(edges(&lock, "a", "1.0.0"), some(&["b@2.0.0", "c@1.1.0"]));
    assert_eq!(edges(&lock, "b", "2.0.0"), some(&["c@1.1.0"]));
    assert_eq!(edges(&lock, "c", "1.1.0"), some(&[]));
    assert_eq!(edges(&lock, "left-pad", "1.3.0"), some(&["b@1.0.0"]));
}

#[test]
fn yarn_classic_edges_follow_the_descriptors() {
    let lock = read(
        Format::YarnLock,
        "yarn.lock",
        r#"# yarn lockfile v1


"@babel/code-frame@^7.0.0":
  version "7.22.13"
  dependencies:
    "@babel/highlight" "^7.22.13"
    chalk "^2.4.2"
  optionalDependencies:
    version "^1.0.0"

"@babel/highlight@^7.22.13":
  version "7.22.20"

chalk@^2.0.0, chalk@^2.4.2:
  version "2.4.2"

version@^1.0.0:
  version "1.0.1"
"#,
    );
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
    let lock = read(
        Format::YarnLock,
        "yarn.lock",
        r#"__metadata:
  version: 6
  cacheKey: 8

"my-fn@workspace:.":
  version: 0.0.0-use.local
  resolution: "my-fn@workspace:."
  dependencies:
    left: "npm:lodash@4.17.4"
    "@types/node": "npm:^20.0.0"
  languageName: unknown
  linkType: soft

"@types/node@npm:*, @types/node@npm:^20.0.0":
  version: 20.8.2
  resolution: "@types/node@npm:20.8.2"
  dependencies:
    undici-types: ~5.25.1
  languageName: node
  linkType: hard

"left@npm:lodash@4.17.4":
  version: 4.17.4
  resolution: "lodash@npm:4.17.4"
  languageName: node
  linkType: hard

"undici-types@npm:~5.25.1":
  version: 5.25.3
  resolution: "undici-types@npm:5.25.3"
  languageName: node
  linkType: hard
"#,
    );
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
    let lock = read(
        Format::PnpmLock,
        "pnpm-lock.yaml",
        "lockfileVersion: 5.4\n\nspecifiers:\n  react-dom: ^18.2.0\n\ndependencies:\n  react-dom: 18.2.0_react@18.2.0\n\ndevDependencies:\n  typescript: 5.2.2\n\npackages:\n\n  /react-dom/18.2.0_react@18.2.0:\n    resolution: {integrity: sha512-CCCC}\n    dependencies:\n      loose-envify: 1.4.0\n      react: 18.2.0\n    dev: false\n\n  /react/18.2.0:\n    resolution: {integrity: sha512-DDDD}\n    dependencies:\n      loose-envify: 1.4.0\n    dev: false\n\n  /loose-envify/1.4.0:\n    resolution: {integrity: sha512-EEEE}\n    dev: false\n\n  /typescript/5.2.2:\n    resolution: {integrity: sha512-FFFF}\n    dev: true\n",
    );
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
    let v6 = read(
        Format::PnpmLock,
        "pnpm-lock.yaml",
        "lockfileVersion: '6.0'\n\ndependencies:\n  lodash:\n    specifier: ^4.17.21\n    version: 4.17.21\n  string-width-cjs:\n    specifier: npm:string-width@^4.2.0\n    version: /string-width@4.2.3\n\npackages:\n\n  /lodash@4.17.21:\n    resolution: {integrity: sha512-BBBB}\n    dev: false\n\n  /react-dom@18.2.0(react@18.2.0):\n    resolution: {integrity: sha512-CCCC}\n    dependencies:\n      react: 18.2.0\n      shim: link:../shim\n    dev: false\n\n  /react@18.2.0:\n    resolution: {integrity: sha512-DDDD}\n    dev: false\n\n  /string-width@4.2.3:\n    resolution: {integrity: sha512-EEEE}\n    dev: false\n",
    );
    assert_eq!(edges(&v6, "react-dom", "18.2.0"), some(&["react@18.2.0"]));
    assert_eq!(
        package(&v6, "string-width", "4.2.3").scope,
        Some(Scope::Direct)
    );

    let v9 = read(
        Format::PnpmLock,
        "pnpm-lock.yaml",
        "lockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    dependencies:\n      '@smithy/types':\n        specifier: ^2.3.0\n        version: 2.3.0\n    devDependencies:\n      minimist:\n        specifier: ^1.2.5\n        version: 1.2.5\n\npackages:\n\n  '@smithy/types@2.3.0':\n    resolution: {integrity: sha512-AAAA}\n\n  minimist@1.2.5:\n    resolution: {integrity: sha512-BBBB}\n\n  tslib@2.6.2:\n    resolution: {integrity: sha512-CCCC}\n\n  wrap@1.0.0:\n    resolution: {integrity: sha512-DDDD}\n\nsnapshots:\n\n  '@smithy/types@2.3.0':\n    dependencies:\n      tslib: 2.6.2\n      wrapped: wrap@1.0.0\n\n  minimist@1.2.5: {}\n\n  tslib@2.6.2: {}\n\n  wrap@1.0.0: {}\n",
    );
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
    let lock = read(
        Format::PoetryLock,
        "poetry.lock",
        r#"[[package]]
name = "requests"
version = "2.31.0"

[package.dependencies]
certifi = ">=2017.4.17"
charset-normalizer = ">=2,<4"
PySocks = {version = ">=1.5.6, !=1.5.7", optional = true}

[[package]]
name = "certifi"
version = "2023.7.22"

[[package]]
name = "charset_normalizer"
version = "3.3.0"

[[package]]
name = "numpy"
version = "1.24.4"

[[package]]
name = "numpy"
version = "1.26.0"

[[package]]
name = "pandas"
version = "2.0.3"

[package.dependencies]
numpy = [
    {version = ">=1.20.3", markers = "python_version < \"3.10\""},
    {version = ">=1.21.0", markers = "python_version >= \"3.10\""},
]
"#,
    );
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
    let lock = read(
        Format::UvLock,
        "uv.lock",
        r#"version = 1
requires-python = ">=3.11"

[[package]]
name = "fn"
version = "0.1.0"
source = { virtual = "." }
dependencies = [{ name = "httpx" }]

[package.dev-dependencies]
dev = [{ name = "pytest" }]

[[package]]
name = "httpx"
version = "0.25.0"
source = { registry = "https://pypi.org/simple" }
dependencies = [
    { name = "anyio" },
    { name = "idna", version = "3.4", source = { registry = "https://pypi.org/simple" } },
]

[package.optional-dependencies]
http2 = [{ name = "h2" }]

[[package]]
name = "anyio"
version = "4.0.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "idna"
version = "3.4"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "idna"
version = "2.10"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "h2"
version = "4.1.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "pytest"
version = "7.4.2"
source = { registry = "https://pypi.org/simple" }
"#,
    );
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
    let lock = read(
        Format::CargoLock,
        "Cargo.lock",
        r#"version = 3

[[package]]
name = "bootstrap"
version = "0.1.0"
dependencies = [
 "helper",
 "lambda_runtime",
]

[[package]]
name = "helper"
version = "0.1.0"
dependencies = [
 "serde",
]

[[package]]
name = "lambda_runtime"
version = "0.8.1"
source = "registry+https://github.com/rust-lang/crates.io-index"
dependencies = [
 "bytes 1.5.0",
 "http 0.2.9",
]

[[package]]
name = "bytes"
version = "1.5.0"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "bytes"
version = "0.4.12"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "http"
version = "0.2.9"
source = "registry+https://github.com/rust-lang/crates.io-index"
dependencies = [
 "bytes 1.5.0",
]

[[package]]
name = "serde"
version = "1.0.188"
source = "registry+https://github.com/rust-lang/crates.io-index"
"#,
    );
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
    let metadata = read(
        Format::PythonMetadata,
        "site-packages/requests-2.31.0.dist-info/METADATA",
        "Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\nRequires-Dist: charset-normalizer (<4,>=2)\nRequires-Dist: idna<4,>=2.5\nRequires-Dist: urllib3 ; python_version >= \"3.8\"\nRequires-Dist: PySocks!=1.5.7,>=1.5.6 ; extra == 'socks'\n\nRequires-Dist: not-a-header\n",
    );
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

    let manifest = read(
        Format::NodeModulesPackageJson,
        "node_modules/a/package.json",
        r#"{"name":"a","version":"1.0.0","dependencies":{"b":"^1","old":"npm:left-pad@^1"},
            "optionalDependencies":{"c":"*"},"devDependencies":{"jest":"*"},"peerDependencies":{"react":"*"}}"#,
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
