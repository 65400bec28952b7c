//! Inventory readers on realistic samples (tests/data/deps/), written for
//! these tests.

use std::path::Path;

use fnguard_scan::deps::inventory::{detect, read, read_as, Format, Inventory};
use fnguard_scan::deps::osv::Db;
use fnguard_scan::deps::{Ecosystem, Package, Scope};

fn sample(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/deps")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Reads a sample, checking that every package has the format's ecosystem
/// and names the sample as its source.
fn read_sample(format: Format, name: &str) -> Inventory {
    let inventory = read_as(format, name, &sample(name));
    let ecosystem = match format {
        Format::RequirementsTxt
        | Format::PoetryLock
        | Format::PipfileLock
        | Format::UvLock
        | Format::PythonMetadata => Ecosystem::PyPI,
        Format::PackageLock
        | Format::NodeModulesPackageJson
        | Format::YarnLock
        | Format::PnpmLock => Ecosystem::Npm,
        Format::GoMod => Ecosystem::Go,
        Format::CargoLock => Ecosystem::CratesIo,
        Format::PomXml | Format::PomProperties | Format::JarManifest => Ecosystem::Maven,
    };
    for package in &inventory.packages {
        assert_eq!(package.ecosystem, ecosystem, "{package:?}");
        assert_eq!(package.source, name);
    }
    inventory
}

/// `name@version` of each package, in file order.
fn listed(inventory: &Inventory) -> Vec<String> {
    inventory
        .packages
        .iter()
        .map(|p| format!("{}@{}", p.name, p.version))
        .collect()
}

fn find<'a>(inventory: &'a Inventory, name: &str) -> &'a Package {
    inventory
        .packages
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("{name} not found"))
}

#[test]
fn detects_formats_by_path() {
    for (path, format) in [
        ("requirements.txt", Some(Format::RequirementsTxt)),
        ("app/requirements-prod.txt", Some(Format::RequirementsTxt)),
        ("requirements/base.txt", Some(Format::RequirementsTxt)),
        ("notes.txt", None),
        ("package-lock.json", Some(Format::PackageLock)),
        ("npm-shrinkwrap.json", Some(Format::PackageLock)),
        ("package.json", None),
        (
            "node_modules/minimist/package.json",
            Some(Format::NodeModulesPackageJson),
        ),
        (
            "a/node_modules/@smithy/types/package.json",
            Some(Format::NodeModulesPackageJson),
        ),
        ("node_modules/minimist/test/package.json", None),
        ("node_modules/@smithy/package.json", None),
        (
            "python/lib/site-packages/urllib3-1.26.5.dist-info/METADATA",
            Some(Format::PythonMetadata),
        ),
        ("six.egg-info/PKG-INFO", Some(Format::PythonMetadata)),
        ("docs/METADATA", None),
        ("poetry.lock", Some(Format::PoetryLock)),
        ("Pipfile.lock", Some(Format::PipfileLock)),
        ("uv.lock", Some(Format::UvLock)),
        ("yarn.lock", Some(Format::YarnLock)),
        ("pnpm-lock.yaml", Some(Format::PnpmLock)),
        ("go.mod", Some(Format::GoMod)),
        ("go.sum", None),
        ("Cargo.lock", Some(Format::CargoLock)),
        ("Cargo.toml", None),
        ("java\\pom.xml", Some(Format::PomXml)),
    ] {
        assert_eq!(detect(path), format, "{path}");
    }
    assert!(read("README.md", b"# hi").is_none());
}

#[test]
fn requirements_txt_reads_exact_pins_only() {
    let inventory = read_sample(Format::RequirementsTxt, "requirements.txt");
    assert_eq!(
        listed(&inventory),
        vec![
            "requests@2.28.1",
            "Django@3.2.12",
            "PyYAML@5.4.1",
            "cryptography@41.0.3",
            "six@1.16.0",
            "Jinja2@3.1.2",
        ]
    );
    assert_eq!(find(&inventory, "requests").line, Some(6));
    assert_eq!(find(&inventory, "cryptography").line, Some(11));
    assert_eq!(find(&inventory, "Jinja2").line, Some(19));
    assert_eq!(find(&inventory, "Django").scope, Some(Scope::Direct));
    assert!(inventory.issues.is_empty(), "{:?}", inventory.issues);
    assert_eq!(find(&inventory, "PyYAML").purl(), "pkg:pypi/pyyaml@5.4.1");

    let broken = read_as(
        Format::RequirementsTxt,
        "r.txt",
        b"ok==1.0\nbad[extra==2.0\nfine==3.0\n",
    );
    assert_eq!(listed(&broken), vec!["ok@1.0", "fine@3.0"]);
    assert_eq!(broken.issues.len(), 1);
    assert_eq!(
        broken.issues[0].to_string(),
        "r.txt:2: unclosed extras in \"bad[extra==2.0\""
    );
}

#[test]
fn package_lock_v3_scopes_aliases_and_links() {
    let inventory = read_sample(Format::PackageLock, "package-lock-v3.json");
    assert_eq!(
        listed(&inventory),
        vec![
            "@aws-sdk/client-s3@3.400.0",
            "lodash@4.17.11",
            "string-width@4.2.3",
            "jest@29.7.0",
            "tslib@2.6.2",
        ]
    );
    assert_eq!(find(&inventory, "lodash").scope, Some(Scope::Direct));
    assert_eq!(find(&inventory, "string-width").scope, Some(Scope::Direct));
    assert_eq!(find(&inventory, "jest").scope, Some(Scope::Dev));
    assert_eq!(find(&inventory, "tslib").scope, Some(Scope::Transitive));
    assert_eq!(find(&inventory, "lodash").line, Some(25));
    assert_eq!(find(&inventory, "tslib").line, Some(42));
    assert_eq!(
        find(&inventory, "@aws-sdk/client-s3").purl(),
        "pkg:npm/%40aws-sdk/client-s3@3.400.0"
    );
}

#[test]
fn package_lock_v1_nested_dev_and_alias() {
    let inventory = read_sample(Format::PackageLock, "package-lock-v1.json");
    assert_eq!(
        listed(&inventory),
        vec!["express@4.17.1", "qs@6.7.0", "mocha@8.0.1", "lodash@4.17.4"]
    );
    assert_eq!(find(&inventory, "mocha").scope, Some(Scope::Dev));
    assert_eq!(find(&inventory, "express").scope, None);
}

#[test]
fn package_lock_errors_name_the_position() {
    let inventory = read_as(
        Format::PackageLock,
        "package-lock.json",
        b"{\n  \"packages\": {\n    \"node_modules/a\": {\n",
    );
    assert!(inventory.packages.is_empty());
    assert_eq!(inventory.issues.len(), 1);
    assert!(
        inventory.issues[0]
            .to_string()
            .starts_with("package-lock.json:4: invalid JSON"),
        "{}",
        inventory.issues[0]
    );
    let other = read_as(
        Format::PackageLock,
        "package-lock.json",
        b"{\"name\": \"x\"}",
    );
    assert!(other.issues[0].message.contains("not a package-lock"));
}

#[test]
fn python_lockfiles() {
    let poetry = read_sample(Format::PoetryLock, "poetry.lock");
    assert_eq!(
        listed(&poetry),
        vec!["certifi@2023.7.22", "pytest@7.4.0", "Flask@2.2.5"]
    );
    assert_eq!(find(&poetry, "pytest").scope, Some(Scope::Dev));
    assert_eq!(find(&poetry, "certifi").scope, None);
    assert_eq!(find(&poetry, "Flask").line, Some(22));

    let pipfile = read_sample(Format::PipfileLock, "Pipfile.lock");
    assert_eq!(listed(&pipfile), vec!["requests@2.31.0", "black@23.7.0"]);
    assert_eq!(find(&pipfile, "black").scope, Some(Scope::Dev));

    let uv = read_sample(Format::UvLock, "uv.lock");
    assert_eq!(listed(&uv), vec!["pydantic@2.5.3", "annotated-types@0.6.0"]);
    assert_eq!(find(&uv, "pydantic").line, Some(12));

    let broken = read_as(
        Format::PoetryLock,
        "poetry.lock",
        b"[[package]]\nname = \"a\"\nversion = \n",
    );
    assert!(broken.packages.is_empty());
    assert_eq!(broken.issues[0].line, Some(3), "{:?}", broken.issues);
}

#[test]
fn installed_python_and_node_packages() {
    let path = "site-packages/urllib3-1.26.5.dist-info/METADATA";
    let metadata = read(path, &sample(path)).expect("detected");
    assert_eq!(listed(&metadata), vec!["urllib3@1.26.5"]);
    assert_eq!(metadata.packages[0].line, Some(2));
    let empty = read_as(
        Format::PythonMetadata,
        "x.dist-info/METADATA",
        b"Metadata-Version: 2.1\n",
    );
    assert!(empty.packages.is_empty() && empty.issues.len() == 1);

    for (path, expected) in [
        ("node_modules/minimist/package.json", "minimist@1.2.5"),
        (
            "node_modules/@smithy/types/package.json",
            "@smithy/types@2.3.0",
        ),
    ] {
        let inventory = read(path, &sample(path)).expect("detected");
        assert_eq!(listed(&inventory), vec![expected]);
    }
    let nameless = read_as(
        Format::NodeModulesPackageJson,
        "node_modules/x/package.json",
        b"{\"private\": true}",
    );
    assert!(nameless.packages.is_empty() && nameless.issues.len() == 1);
}

#[test]
fn yarn_classic_and_berry() {
    let classic = read_sample(Format::YarnLock, "yarn-v1.lock");
    assert_eq!(
        listed(&classic),
        vec!["@babel/code-frame@7.22.13", "lodash@4.17.11"]
    );
    assert_eq!(find(&classic, "lodash").line, Some(13));

    let berry = read_sample(Format::YarnLock, "yarn-berry.lock");
    // The workspace itself is left out; the alias resolves to lodash.
    assert_eq!(listed(&berry), vec!["@types/node@20.8.2", "lodash@4.17.4"]);
    assert!(berry.issues.is_empty(), "{:?}", berry.issues);
}

#[test]
fn pnpm_lockfile_versions() {
    let v6 = read_sample(Format::PnpmLock, "pnpm-lock-v6.yaml");
    assert_eq!(
        listed(&v6),
        vec!["@babel/core@7.23.0", "lodash@4.17.21", "react-dom@18.2.0"]
    );
    assert_eq!(find(&v6, "@babel/core").scope, Some(Scope::Dev));
    // The project's own `dependencies:` names it.
    assert_eq!(find(&v6, "lodash").scope, Some(Scope::Direct));
    assert_eq!(find(&v6, "lodash").line, Some(18));

    let v5 = read_sample(Format::PnpmLock, "pnpm-lock-v5.yaml");
    assert_eq!(listed(&v5), vec!["@babel/core@7.23.0", "react-dom@18.2.0"]);
    assert_eq!(find(&v5, "@babel/core").scope, Some(Scope::Dev));

    let v9 = read_sample(Format::PnpmLock, "pnpm-lock-v9.yaml");
    assert_eq!(listed(&v9), vec!["@smithy/types@2.3.0", "minimist@1.2.5"]);
}

#[test]
fn go_mod_requires_indirect_and_replacements() {
    let inventory = read_sample(Format::GoMod, "go.mod");
    assert_eq!(
        listed(&inventory),
        vec![
            "github.com/aws/aws-lambda-go@v1.41.0",
            "golang.org/x/crypto@v0.0.0-20200622213623-75b288015ac9",
            "github.com/example/gin-fork@v1.9.2",
            "github.com/docker/docker@v20.10.7+incompatible",
            "github.com/pkg/errors@v0.9.1",
        ]
    );
    assert_eq!(
        find(&inventory, "golang.org/x/crypto").scope,
        Some(Scope::Transitive)
    );
    assert_eq!(
        find(&inventory, "github.com/pkg/errors").scope,
        Some(Scope::Direct)
    );
    assert_eq!(find(&inventory, "github.com/pkg/errors").line, Some(13));
    assert_eq!(
        find(&inventory, "github.com/docker/docker").purl(),
        "pkg:golang/github.com/docker/docker@v20.10.7%2Bincompatible"
    );
    let broken = read_as(
        Format::GoMod,
        "go.mod",
        b"module x\nrequire a\nreplace b c\n",
    );
    assert_eq!(broken.issues.len(), 2, "{:?}", broken.issues);
    assert_eq!(broken.issues[0].line, Some(2));
}

#[test]
fn cargo_lock_registry_and_git_packages() {
    let inventory = read_sample(Format::CargoLock, "Cargo.lock");
    assert_eq!(
        listed(&inventory),
        vec!["smallvec@1.6.0", "lambda_runtime@0.8.1"]
    );
    assert_eq!(find(&inventory, "smallvec").line, Some(12));
    assert_eq!(
        find(&inventory, "smallvec").purl(),
        "pkg:cargo/smallvec@1.6.0"
    );
}

#[test]
fn pom_declared_dependencies_with_literal_versions() {
    let inventory = read_sample(Format::PomXml, "pom.xml");
    assert_eq!(
        listed(&inventory),
        vec![
            "org.apache.logging.log4j:log4j-core@2.14.1",
            "com.amazonaws:aws-lambda-java-core@1.2.2",
            "junit:junit@4.13.2",
        ]
    );
    assert_eq!(find(&inventory, "junit:junit").scope, Some(Scope::Dev));
    assert_eq!(
        find(&inventory, "org.apache.logging.log4j:log4j-core").line,
        Some(25)
    );
    assert_eq!(
        find(&inventory, "org.apache.logging.log4j:log4j-core").purl(),
        "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"
    );
    let broken = read_as(
        Format::PomXml,
        "pom.xml",
        b"<project>\n<dependencies>\n</project>",
    );
    assert_eq!(broken.issues.len(), 1);
    assert_eq!(broken.issues[0].line, Some(3));
}

#[test]
fn non_utf8_input_is_an_issue() {
    let inventory = read_as(Format::CargoLock, "Cargo.lock", b"version = 3\n\xff\xfe");
    assert!(inventory.packages.is_empty());
    assert_eq!(inventory.issues[0].line, Some(2));
}

#[test]
fn inventory_matched_against_the_fixtures() {
    let db = Db::load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/osv")).unwrap();
    let mut found = Vec::new();
    for (format, name) in [
        (Format::RequirementsTxt, "requirements.txt"),
        (Format::PackageLock, "package-lock-v3.json"),
        (Format::PackageLock, "package-lock-v1.json"),
        (Format::YarnLock, "yarn-v1.lock"),
        (Format::GoMod, "go.mod"),
        (Format::CargoLock, "Cargo.lock"),
        (Format::PomXml, "pom.xml"),
    ] {
        for package in read_sample(format, name).packages {
            for advisory in db.vulnerabilities(&package) {
                found.push(format!(
                    "{name}: {}@{} {}",
                    package.name, package.version, advisory.id
                ));
            }
        }
    }
    assert_eq!(
        found,
        vec![
            "requirements.txt: requests@2.28.1 GHSA-j8r2-6x86-q33q",
            "package-lock-v3.json: lodash@4.17.11 GHSA-jf85-cpcp-j695",
            "package-lock-v1.json: lodash@4.17.4 GHSA-jf85-cpcp-j695",
            "yarn-v1.lock: lodash@4.17.11 GHSA-jf85-cpcp-j695",
            "go.mod: golang.org/x/crypto@v0.0.0-20200622213623-75b288015ac9 GO-2021-0227",
            "Cargo.lock: smallvec@1.6.0 RUSTSEC-2021-0003",
            "pom.xml: org.apache.logging.log4j:log4j-core@2.14.1 GHSA-jfh8-c2jp-5v3q",
        ]
    );
    // Packages of a Db-less scan are still listed.
    assert_eq!(
        Db::new()
            .vulnerabilities(&read_sample(Format::GoMod, "go.mod").packages[1])
            .len(),
        0
    );
}
