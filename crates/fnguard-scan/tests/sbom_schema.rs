//! The SBOMs fnguard writes validate against the official CycloneDX 1.6
//! schema, offline: `scripts/validate-cyclonedx.py` runs the strict
//! validator of cyclonedx-python-lib (installed by
//! scripts/setup-test-tools.sh), which bundles the schemas, and parses each
//! component's package URL.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use fnguard_scan::deps::binary::{GO_BUILDINFO_MAGIC, GO_INFO_END, GO_INFO_START};
use fnguard_scan::deps::osv::Db;
use fnguard_scan::deps::{binary, inventory};
use fnguard_scan::deps::{Ecosystem, Package, Scope};
use fnguard_scan::sbom::{Function, SbomBuilder};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs the validator on `documents` (name, JSON), each written to a temp
/// file of its own.
fn validate(test: &str, documents: &[(&str, String)]) -> Output {
    let dir = std::env::temp_dir().join(format!("fnguard-sbom-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut command = Command::new("python3");
    command.arg(repo_root().join("scripts/validate-cyclonedx.py"));
    for (name, json) in documents {
        let file = dir.join(format!("{name}.cdx.json"));
        std::fs::write(&file, json).expect("write SBOM");
        command.arg(file);
    }
    let output = command
        .output()
        .expect("python3 runs (install it, then scripts/setup-test-tools.sh)");
    let _ = std::fs::remove_dir_all(&dir);
    output
}

fn assert_valid(test: &str, documents: &[(&str, String)]) {
    let output = validate(test, documents);
    assert!(
        output.status.success(),
        "an SBOM does not validate against CycloneDX 1.6 (exit {:?}):\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn read(path: &str, text: &str) -> Vec<Package> {
    let found = inventory::read(path, text.as_bytes()).expect("an inventory file");
    assert!(found.issues.is_empty(), "{:?}", found.issues);
    found.packages
}

/// Packages of several ecosystems, read by the real inventory readers.
fn packages() -> Vec<Package> {
    let mut packages = read(
        "package-lock.json",
        r#"{"name":"fn","lockfileVersion":3,"packages":{
            "":{"name":"fn","dependencies":{"@aws-sdk/client-s3":"^3.0.0","lodash":"^4.17.0"}},
            "node_modules/@aws-sdk/client-s3":{"version":"3.400.0"},
            "node_modules/lodash":{"version":"4.17.15"},
            "node_modules/jest":{"version":"29.7.0","dev":true}}}"#,
    );
    packages.extend(read(
        "go.mod",
        "module example.com/fn\n\ngo 1.22\n\nrequire (\n\tgithub.com/aws/aws-lambda-go v1.41.0\n\tgolang.org/x/net v0.15.0 // indirect\n)\n",
    ));
    packages.extend(read(
        "pom.xml",
        "<project><dependencies><dependency><groupId>org.yaml</groupId>\
         <artifactId>snakeyaml</artifactId><version>1.33</version></dependency>\
         </dependencies></project>",
    ));
    packages.extend(read("requirements.txt", "Requests==2.31.0\nPyYAML==5.3\n"));
    packages.extend(go_binary_packages());
    packages.push(Package {
        ecosystem: Ecosystem::CratesIo,
        name: "serde".to_string(),
        version: "1.0.200".to_string(),
        source: "bootstrap".to_string(),
        line: None,
        scope: Some(Scope::Transitive),
        dependencies: None,
    });
    // A package whose file names no version (a bare requirement).
    packages.push(Package {
        ecosystem: Ecosystem::PyPI,
        name: "boto3".to_string(),
        version: String::new(),
        source: "requirements.txt".to_string(),
        line: Some(3),
        scope: Some(Scope::Direct),
        dependencies: None,
    });
    packages
}

/// The packages of a Go `bootstrap`: its build info blob (layout as in
/// tests/deps_binary.rs) names the toolchain and one module.
fn go_binary_packages() -> Vec<Package> {
    let version = b"go1.21.3";
    let mut module_info = GO_INFO_START.to_vec();
    module_info.extend(b"path\texample.com/orders\ndep\tgithub.com/google/uuid\tv1.3.1\th1:x=\n");
    module_info.extend(GO_INFO_END);
    let mut file = GO_BUILDINFO_MAGIC.to_vec();
    file.extend([8, 2]);
    file.extend([0; 16]);
    file.push(version.len() as u8);
    file.extend(version);
    file.push(module_info.len() as u8);
    file.extend(module_info);
    let found = binary::read("bootstrap", &file).expect("build info");
    assert!(found.issues.is_empty(), "{:?}", found.issues);
    found.packages
}

/// Real advisories, their ids, aliases, boundaries and severities as
/// github/advisory-database, golang/vulndb and pypa/advisory-database
/// publish them (checked through the search tool, see tests/osv/README.md),
/// trimmed to one affected package; and one synthetic record for the rating
/// shapes none of them has (a CVSS 3.0 vector, a CVSS 4.0 vector, CRITICAL).
fn advisories() -> Db {
    let mut db = Db::new();
    let records = [
        r#"{"id":"GHSA-p6mc-m468-83gw","aliases":["CVE-2020-8203"],"summary":"Prototype pollution in lodash",
            "details":"pick, set, setWith, update, updateWith and zipObjectDeep can modify Object.prototype.",
            "severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:H"}],
            "database_specific":{"severity":"HIGH"},
            "affected":[{"package":{"ecosystem":"npm","name":"lodash"},
                "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"3.7.0"},{"fixed":"4.17.19"}]}]}]}"#,
        r#"{"id":"GO-2023-2102","aliases":["CVE-2023-44487","CVE-2023-39325","GHSA-4374-p667-p6c8"],"summary":"HTTP/2 rapid reset",
            "affected":[{"package":{"ecosystem":"Go","name":"golang.org/x/net"},
                "ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"0.17.0"}]}]}]}"#,
        r#"{"id":"GO-2023-2185","aliases":["CVE-2023-45283"],"summary":"Insecure parsing of Windows paths with a \\??\\ prefix in path/filepath",
            "affected":[{"package":{"ecosystem":"Go","name":"stdlib"},
                "ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.20.11"},{"introduced":"1.21.0-0"},{"fixed":"1.21.4"}]}]}]}"#,
        r#"{"id":"PYSEC-2021-142","aliases":["CVE-2020-14343","GHSA-8q59-q68h-6hv4"],"details":"full_load of PyYAML runs arbitrary code",
            "affected":[{"package":{"ecosystem":"PyPI","name":"pyyaml"},
                "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"5.4"}]}]}]}"#,
        r#"{"id":"GHSA-mjmj-j48q-9wg2","aliases":["CVE-2022-1471"],"summary":"SnakeYaml Constructor deserialization",
            "severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:L"}],
            "database_specific":{"severity":"HIGH"},
            "affected":[{"package":{"ecosystem":"Maven","name":"org.yaml:snakeyaml"},
                "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.0"}]}]}]}"#,
        r#"{"id":"FNGUARD-TEST-RATINGS","summary":"Synthetic: every rating shape on one record",
            "severity":[{"type":"CVSS_V3","score":"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"},
                {"type":"CVSS_V4","score":"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"}],
            "database_specific":{"severity":"CRITICAL"},
            "affected":[{"package":{"ecosystem":"PyPI","name":"requests"},"versions":["2.31.0"]}]}"#,
    ];
    for (index, record) in records.iter().enumerate() {
        db.add_record(record.as_bytes(), &format!("osv-{index}.json"))
            .expect("test advisory");
    }
    db
}

fn builder() -> SbomBuilder {
    let mut builder = SbomBuilder::new(
        Function {
            name: "orders-api".to_string(),
            version: Some("$LATEST".to_string()),
        },
        1_764_950_400,
    );
    for (index, package) in packages().iter().enumerate() {
        // A jar is the package and carries its hash; a lockfile entry or a
        // binary's embedded list does not.
        let hash = (package.ecosystem == Ecosystem::Maven).then_some([index as u8; 32]);
        builder.add(package, hash);
    }
    builder
}

#[test]
fn sboms_with_and_without_vulnerabilities_validate_against_cyclonedx_1_6() {
    let db = advisories();
    let with = builder().build(Some(&db));
    let without = builder().build(None);
    let empty = SbomBuilder::new(
        Function {
            name: "empty".to_string(),
            version: None,
        },
        0,
    )
    .build(Some(&db));

    // The documents hold what the test means them to: every ecosystem, a
    // scoped npm name, and a vulnerability per advisory that matches.
    let json = with.to_json();
    for needle in [
        "pkg:npm/%40aws-sdk/client-s3@3.400.0",
        "pkg:golang/github.com/aws/aws-lambda-go@v1.41.0",
        "pkg:golang/stdlib@1.21.3",
        "pkg:golang/github.com/google/uuid@v1.3.1",
        "pkg:maven/org.yaml/snakeyaml@1.33",
        "pkg:pypi/pyyaml@5.3",
        "pkg:cargo/serde@1.0.200",
        "\"CVSSv4\"",
        "\"CVSSv3\"",
        "\"critical\"",
    ] {
        assert!(json.contains(needle), "{needle} missing from\n{json}");
    }
    let ids: Vec<&str> = with.vulnerabilities.iter().map(|v| v.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "FNGUARD-TEST-RATINGS",
            "GHSA-mjmj-j48q-9wg2",
            "GHSA-p6mc-m468-83gw",
            "GO-2023-2102",
            "GO-2023-2185",
            "PYSEC-2021-142"
        ]
    );
    assert!(without.vulnerabilities.is_empty());

    assert_valid(
        "valid",
        &[
            ("with-vulnerabilities", json),
            ("without-vulnerabilities", without.to_json()),
            ("empty", empty.to_json()),
            ("odd-names", odd_names()),
        ],
    );
}

/// Names and versions as hostile or unusual files write them: quotes,
/// spaces, control characters, non-ASCII, a Maven name without a group.
fn odd_names() -> String {
    let odd = [
        (Ecosystem::Npm, "@scope/na me\"x\"", "1.0.0+build.1"),
        (Ecosystem::PyPI, "Zope.Interface__x", "5.0.post1"),
        (Ecosystem::Maven, "justartifact", "1.0-SNAPSHOT"),
        (
            Ecosystem::Go,
            "example.com/пакет/v2",
            "v2.0.0-20230101000000-abcdefabcdef",
        ),
        (Ecosystem::CratesIo, "tab\there\u{0}", "0.0.1"),
    ];
    let mut builder = SbomBuilder::new(
        Function {
            name: "fn \"quoted\"\n".to_string(),
            version: None,
        },
        u64::from(u32::MAX),
    );
    for (ecosystem, name, version) in odd {
        builder.add(
            &Package {
                ecosystem,
                name: name.to_string(),
                version: version.to_string(),
                source: format!("dir with spaces/{name}"),
                line: Some(0),
                scope: Some(Scope::Dev),
                dependencies: None,
            },
            None,
        );
    }
    builder.build(None).to_json()
}

#[test]
fn the_validator_rejects_a_broken_sbom_and_says_where() {
    // Guards against a validator that accepts everything: a real SBOM with
    // one field broken in each copy.
    let good: serde_json::Value = serde_json::from_str(&builder().build(None).to_json()).unwrap();
    let mut bad_hash = good.clone();
    let component = bad_hash["components"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|c| c.get("hashes").is_some())
        .expect("a hashed component");
    component["hashes"][0]["content"] = "not-hex".into();
    let mut bad_serial = good.clone();
    bad_serial["serialNumber"] = "urn:uuid:NOT-A-UUID".into();
    let mut bad_purl = good.clone();
    bad_purl["components"][0]["purl"] = "npm/lodash".into();
    let mut other_version = good.clone();
    other_version["components"][1]["version"] = "0.0.0".into();
    let mut unknown_field = good.clone();
    unknown_field["metadata"]["component"]["flavour"] = "vanilla".into();

    let broken = [
        ("hash", bad_hash, "components/"),
        ("serial", bad_serial, "serialNumber"),
        (
            "purl",
            bad_purl,
            "components/0/purl: 'npm/lodash' is not a package URL",
        ),
        ("version", other_version, "components/1/purl"),
        ("unknown", unknown_field, "metadata/component"),
    ];
    let documents: Vec<(&str, String)> = broken
        .iter()
        .map(|(name, document, _)| (*name, document.to_string()))
        .collect();
    let output = validate("broken", &documents);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "accepted: {stderr}");
    for (name, _, place) in broken {
        assert!(
            stderr.contains(&format!("{name}.cdx.json: {place}")),
            "{name} not rejected at {place}: {stderr}"
        );
    }
}
