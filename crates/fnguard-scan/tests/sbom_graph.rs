//! The SBOM's dependency graph: edges from the inventory readers, the
//! function (or the scan, its functions and layers) at the top, unknown
//! kept apart from none, every ref a component, reproducible, and valid
//! against the official CycloneDX 1.6 schema (scripts/validate-cyclonedx.py).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use fnguard_scan::deps::inventory;
use fnguard_scan::deps::{Dependency, Ecosystem, Package, Scope};
use fnguard_scan::sbom::{Bom, Function, Part, PartKind, SbomBuilder};

fn read(path: &str, text: &str) -> Vec<Package> {
    let found = inventory::read(path, text.as_bytes()).expect("an inventory file");
    assert!(found.issues.is_empty(), "{:?}", found.issues);
    found.packages
}

fn function(name: &str) -> Function {
    Function {
        name: name.to_string(),
        version: None,
    }
}

/// The graph as ref -> dependsOn, after checking what any consumer relies
/// on: one entry per ref, every ref (and every dependsOn) a component or
/// the metadata component, and the metadata component's entry first.
fn graph(bom: &Bom) -> BTreeMap<String, Vec<String>> {
    let mut known: BTreeSet<&str> = bom.components.iter().map(|c| c.bom_ref.as_str()).collect();
    assert_eq!(
        known.len(),
        bom.components.len(),
        "a bom-ref used twice in {}",
        bom.to_json()
    );
    known.insert(bom.metadata.component.bom_ref.as_str());
    assert_eq!(
        bom.dependencies[0].reference, bom.metadata.component.bom_ref,
        "the metadata component's entry comes first"
    );
    let mut graph = BTreeMap::new();
    for entry in &bom.dependencies {
        assert!(
            known.contains(entry.reference.as_str()),
            "{}",
            entry.reference
        );
        for target in &entry.depends_on {
            assert!(
                known.contains(target.as_str()),
                "{} depends on {target}, not a component",
                entry.reference
            );
        }
        let sorted: BTreeSet<&String> = entry.depends_on.iter().collect();
        assert_eq!(sorted.len(), entry.depends_on.len(), "dependsOn repeats");
        assert!(
            sorted.into_iter().eq(entry.depends_on.iter()),
            "dependsOn unsorted"
        );
        let previous = graph.insert(entry.reference.clone(), entry.depends_on.clone());
        assert!(previous.is_none(), "two entries for {}", entry.reference);
    }
    graph
}

fn refs(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn assert_valid(test: &str, boms: &[&Bom]) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir =
        std::env::temp_dir().join(format!("fnguard-sbom-graph-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut command = Command::new("python3");
    command.arg(root.join("scripts/validate-cyclonedx.py"));
    for (index, bom) in boms.iter().enumerate() {
        let file = dir.join(format!("{index}.cdx.json"));
        std::fs::write(&file, bom.to_json()).expect("write SBOM");
        command.arg(file);
    }
    let output = command
        .output()
        .expect("python3 runs (install it, then scripts/setup-test-tools.sh)");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        output.status.success(),
        "not valid CycloneDX 1.6:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

const NPM_LOCK: &str = r#"{"name":"fn","lockfileVersion":3,"packages":{
    "":{"name":"fn","dependencies":{"a":"^1.0.0"},"devDependencies":{"jest":"^29"}},
    "node_modules/a":{"version":"1.0.0","dependencies":{"b":"^2.0.0","c":"^1.0.0"}},
    "node_modules/a/node_modules/b":{"version":"2.0.0","dependencies":{"c":"^1.0.0"}},
    "node_modules/b":{"version":"1.0.0"},
    "node_modules/c":{"version":"1.1.0","dependencies":{"a":"^1.0.0"}},
    "node_modules/jest":{"version":"29.7.0","dev":true}}}"#;

#[test]
fn a_function_depends_on_its_direct_packages_and_each_package_on_its_edges() {
    let mut builder = SbomBuilder::new(function("orders"), 0);
    for package in read("package-lock.json", NPM_LOCK) {
        builder.add(&package, None);
    }
    // requirements.txt records no edges: its package has no entry (its
    // dependencies are unknown), yet the function declares it directly.
    for package in read("requirements.txt", "requests==2.31.0\n") {
        builder.add(&package, None);
    }
    let bom = builder.build(None);
    let graph = graph(&bom);
    assert_eq!(
        graph,
        BTreeMap::from([
            (
                "function:orders".to_string(),
                // a is direct; jest is a dev dependency nothing pulls in;
                // b@1 is installed and nothing needs it, but the lockfile
                // calls it transitive: not the function's own.
                refs(&[
                    "pkg:npm/a@1.0.0",
                    "pkg:npm/jest@29.7.0",
                    "pkg:pypi/requests@2.31.0"
                ])
            ),
            (
                "pkg:npm/a@1.0.0".to_string(),
                refs(&["pkg:npm/b@2.0.0", "pkg:npm/c@1.1.0"])
            ),
            ("pkg:npm/b@1.0.0".to_string(), refs(&[])),
            ("pkg:npm/b@2.0.0".to_string(), refs(&["pkg:npm/c@1.1.0"])),
            // A cycle, as npm allows.
            ("pkg:npm/c@1.1.0".to_string(), refs(&["pkg:npm/a@1.0.0"])),
            ("pkg:npm/jest@29.7.0".to_string(), refs(&[])),
        ])
    );
    // No dependsOn at all for a package known to depend on nothing: the
    // CycloneDX "empty element".
    let json: serde_json::Value = serde_json::from_str(&bom.to_json()).unwrap();
    let leaf = json["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["ref"] == "pkg:npm/b@1.0.0")
        .unwrap();
    assert_eq!(leaf, &serde_json::json!({"ref": "pkg:npm/b@1.0.0"}));
    assert_valid("function", &[&bom]);
}

#[test]
fn name_only_edges_resolve_among_the_installed_packages() {
    let mut builder = SbomBuilder::new(function("fn"), 0);
    let files = [
        (
            "fn/node_modules/a/package.json",
            r#"{"name":"a","version":"1.0.0","dependencies":{"b":"^2","optional-absent":"^1"}}"#,
        ),
        (
            "fn/node_modules/a/node_modules/b/package.json",
            r#"{"name":"b","version":"2.0.0"}"#,
        ),
        (
            "fn/node_modules/b/package.json",
            r#"{"name":"b","version":"1.0.0"}"#,
        ),
        (
            "fn/node_modules/d/package.json",
            r#"{"name":"d","version":"1.0.0","dependencies":{"b":"^1"}}"#,
        ),
        (
            "site/requests-2.31.0.dist-info/METADATA",
            "Name: requests\nVersion: 2.31.0\nRequires-Dist: urllib3\nRequires-Dist: idna\n",
        ),
        (
            "site/urllib3-2.0.7.dist-info/METADATA",
            "Name: urllib3\nVersion: 2.0.7\n",
        ),
        (
            "site/idna-3.4.dist-info/METADATA",
            "Name: idna\nVersion: 3.4\n",
        ),
        (
            "other/idna-2.10.dist-info/METADATA",
            "Name: idna\nVersion: 2.10\n",
        ),
    ];
    for (path, text) in files {
        for package in read(path, text) {
            builder.add(&package, None);
        }
    }
    let graph = graph(&builder.build(None));
    // Two b: Node's lookup from a's folder finds its own copy, d's the top one.
    assert_eq!(graph["pkg:npm/a@1.0.0"], refs(&["pkg:npm/b@2.0.0"]));
    assert_eq!(graph["pkg:npm/d@1.0.0"], refs(&["pkg:npm/b@1.0.0"]));
    // Two idna and no layout to choose by: requests' dependencies are
    // unknown rather than half known; still, urllib3 is known to come
    // through requests, so it does not hang from the function.
    assert!(!graph.contains_key("pkg:pypi/requests@2.31.0"), "{graph:?}");
    assert_eq!(graph["pkg:pypi/urllib3@2.0.7"], refs(&[]));
    assert_eq!(
        graph["function:fn"],
        refs(&[
            "pkg:npm/a@1.0.0",
            "pkg:npm/d@1.0.0",
            "pkg:pypi/idna@2.10",
            "pkg:pypi/idna@3.4",
            "pkg:pypi/requests@2.31.0",
        ])
    );
}

#[test]
fn an_exact_edge_to_a_package_not_added_makes_the_dependencies_unknown() {
    let mut parent = Package::new(Ecosystem::CratesIo, "http", "0.2.9", "Cargo.lock");
    parent.dependencies = Some(vec![Dependency::exact("bytes", "1.5.0")]);
    let mut builder = SbomBuilder::new(function("fn"), 0);
    builder.add(&parent, None);
    let graph = graph(&builder.build(None));
    assert!(!graph.contains_key("pkg:cargo/http@0.2.9"), "{graph:?}");

    builder.add(
        &Package::new(Ecosystem::CratesIo, "bytes", "1.5.0", "Cargo.lock"),
        None,
    );
    let graph = self::graph(&builder.build(None));
    assert_eq!(
        graph["pkg:cargo/http@0.2.9"],
        refs(&["pkg:cargo/bytes@1.5.0"])
    );
    // bytes has a parent now: the function reaches it through http.
    assert_eq!(graph["function:fn"], refs(&["pkg:cargo/http@0.2.9"]));
}

#[test]
fn transitive_packages_without_a_known_parent_do_not_hang_from_the_function() {
    let mut builder = SbomBuilder::new(function("fn"), 0);
    for package in read(
        "go.mod",
        "module x\n\nrequire (\n\tgithub.com/aws/aws-lambda-go v1.41.0\n\tgolang.org/x/net v0.15.0 // indirect\n)\n",
    ) {
        builder.add(&package, None);
    }
    let graph = graph(&builder.build(None));
    assert_eq!(
        graph,
        BTreeMap::from([(
            "function:fn".to_string(),
            refs(&["pkg:golang/github.com/aws/aws-lambda-go@v1.41.0"])
        )])
    );
}

/// Two functions sharing lodash and a layer, the layer shipping its own
/// packages; the scan is the metadata component.
fn scan(order_reversed: bool) -> SbomBuilder {
    let mut builder = SbomBuilder::for_scan(
        Function {
            name: "template.yaml".to_string(),
            version: None,
        },
        1_764_950_400,
    );
    let mut parts = vec![
        Part {
            kind: PartKind::Function,
            name: "orders".to_string(),
            version: None,
        },
        Part {
            kind: PartKind::Function,
            name: "billing".to_string(),
            version: Some("3".to_string()),
        },
        Part {
            kind: PartKind::Layer,
            name: "shared".to_string(),
            version: Some("12".to_string()),
        },
    ];
    if order_reversed {
        parts.reverse();
    }
    let ids: BTreeMap<String, _> = parts
        .into_iter()
        .map(|part| (part.name.clone(), builder.add_part(part)))
        .collect();
    let lock = |direct: &str| {
        format!(
            r#"{{"lockfileVersion":3,"packages":{{"":{{"dependencies":{{"{direct}":"*","lodash":"*"}}}},
            "node_modules/{direct}":{{"version":"1.0.0"}},
            "node_modules/lodash":{{"version":"4.17.21"}}}}}}"#
        )
    };
    let mut files = vec![
        ("orders", "orders/package-lock.json", lock("uuid")),
        ("billing", "billing/package-lock.json", lock("stripe")),
        (
            "shared",
            "shared/python/requirements.txt",
            "PyYAML==6.0.1\n".to_string(),
        ),
    ];
    if order_reversed {
        files.reverse();
    }
    for (part, path, text) in files {
        for package in read(path, &text) {
            builder.add_to(ids[part], &package, None);
        }
    }
    builder.add_use(ids["orders"], ids["shared"]);
    builder.add_use(ids["billing"], ids["shared"]);
    // Adding a part again is the same part.
    let again = builder.add_part(Part {
        kind: PartKind::Layer,
        name: "shared".to_string(),
        version: Some("12".to_string()),
    });
    assert_eq!(again, ids["shared"]);
    builder
}

#[test]
fn a_scan_holds_every_function_and_layer_with_shared_packages_once() {
    let bom = scan(false).build(None);
    assert_eq!(bom.metadata.component.bom_ref, "scan:template.yaml");
    let components: Vec<(&str, &str)> = bom
        .components
        .iter()
        .map(|c| (c.kind, c.bom_ref.as_str()))
        .collect();
    assert_eq!(
        components,
        [
            ("application", "function:billing@3"),
            ("application", "function:orders"),
            ("application", "layer:shared@12"),
            ("library", "pkg:npm/lodash@4.17.21"),
            ("library", "pkg:npm/stripe@1.0.0"),
            ("library", "pkg:npm/uuid@1.0.0"),
            ("library", "pkg:pypi/pyyaml@6.0.1"),
        ]
    );
    let graph = graph(&bom);
    assert_eq!(
        graph["scan:template.yaml"],
        refs(&["function:billing@3", "function:orders"])
    );
    assert_eq!(
        graph["function:orders"],
        refs(&[
            "layer:shared@12",
            "pkg:npm/lodash@4.17.21",
            "pkg:npm/uuid@1.0.0"
        ])
    );
    assert_eq!(
        graph["function:billing@3"],
        refs(&[
            "layer:shared@12",
            "pkg:npm/lodash@4.17.21",
            "pkg:npm/stripe@1.0.0"
        ])
    );
    assert_eq!(graph["layer:shared@12"], refs(&["pkg:pypi/pyyaml@6.0.1"]));

    // lodash's evidence names both files and the function each belongs to.
    let lodash = &bom.components[3];
    let places: Vec<(&str, Option<&str>)> = lodash
        .evidence
        .occurrences
        .iter()
        .map(|o| (o.location.as_str(), o.additional_context.as_deref()))
        .collect();
    assert_eq!(
        places,
        [
            ("billing/package-lock.json", Some("function:billing@3")),
            ("orders/package-lock.json", Some("function:orders")),
        ]
    );
    assert_eq!(lodash.properties[2].name, "fnguard:scope");
    assert_eq!(lodash.properties[2].value, "direct");

    // Whatever order the parts and files came in, the same bytes.
    assert_eq!(bom.to_json(), scan(true).build(None).to_json());
    assert_valid("scan", &[&bom]);
}

#[test]
fn a_layer_no_function_uses_hangs_from_the_scan_and_the_scan_has_packages_of_its_own() {
    let mut builder = SbomBuilder::for_scan(function("scan"), 0);
    let layer = builder.add_part(Part {
        kind: PartKind::Layer,
        name: "orphan".to_string(),
        version: None,
    });
    let mut yaml = Package::new(Ecosystem::PyPI, "PyYAML", "6.0.1", "requirements.txt");
    yaml.scope = Some(Scope::Direct);
    builder.add_to(layer, &yaml, None);
    builder.add(
        &Package::new(Ecosystem::Npm, "left-pad", "1.3.0", "package.json"),
        None,
    );
    let bom = builder.build(None);
    let graph = graph(&bom);
    assert_eq!(
        graph["scan:scan"],
        refs(&["layer:orphan", "pkg:npm/left-pad@1.3.0"])
    );
    // A package met only outside any part carries no part in its evidence.
    let left_pad = bom
        .components
        .iter()
        .find(|c| c.name == "left-pad")
        .unwrap();
    assert_eq!(left_pad.evidence.occurrences[0].additional_context, None);
    assert_valid("orphan-layer", &[&bom]);
}

#[test]
fn an_edge_to_a_package_split_by_artifact_hash_reaches_every_copy() {
    let mut parent = Package::new(Ecosystem::Maven, "com.acme:app", "1.0", "pom.xml");
    parent.dependencies = Some(vec![Dependency::exact("org.yaml:snakeyaml", "1.33")]);
    let jar = Package::new(
        Ecosystem::Maven,
        "org.yaml:snakeyaml",
        "1.33",
        "lib/snakeyaml.jar",
    );
    let mut builder = SbomBuilder::new(function("fn"), 0);
    builder.add(&parent, None);
    builder.add(&jar, Some([1; 32]));
    builder.add(&jar, Some([2; 32]));
    let bom = builder.build(None);
    let graph = graph(&bom);
    assert_eq!(
        graph["pkg:maven/com.acme/app@1.0"],
        refs(&[
            "pkg:maven/org.yaml/snakeyaml@1.33#sha256:010101010101",
            "pkg:maven/org.yaml/snakeyaml@1.33#sha256:020202020202",
        ])
    );
    assert_valid("split", &[&bom]);
}

#[test]
fn a_function_with_its_layer_and_a_part_naming_the_function_itself() {
    let mut builder = SbomBuilder::new(function("orders"), 0);
    let layer = builder.add_part(Part {
        kind: PartKind::Layer,
        name: "deps".to_string(),
        version: Some("4".to_string()),
    });
    let own = builder.add_part(Part {
        kind: PartKind::Function,
        name: "orders".to_string(),
        version: None,
    });
    builder.add_use(own, layer);
    builder.add_to(
        layer,
        &Package::new(
            Ecosystem::PyPI,
            "PyYAML",
            "6.0.1",
            "python/requirements.txt",
        ),
        None,
    );
    builder.add_to(
        own,
        &Package::new(Ecosystem::Npm, "uuid", "9.0.1", "package.json"),
        None,
    );
    let bom = builder.build(None);
    let graph = graph(&bom);
    // One orders component, the metadata one, above its layer and its own
    // package.
    assert_eq!(
        graph["function:orders"],
        refs(&["layer:deps@4", "pkg:npm/uuid@9.0.1"])
    );
    assert_eq!(graph["layer:deps@4"], refs(&["pkg:pypi/pyyaml@6.0.1"]));
    assert_eq!(
        bom.components
            .iter()
            .filter(|c| c.kind == "application")
            .count(),
        1
    );
    assert_valid("function-with-layer", &[&bom]);
}
