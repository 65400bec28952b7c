//! The package scan end to end: folders and zips in, findings with their
//! rule metadata, inventory and errors out.

use fnguard_core::{Finding, Severity, SourceRef, SuppressionKind};
use fnguard_scan::archive::Limits;
use fnguard_scan::classify::{Context, Handler};
use fnguard_scan::deps::osv::Db;
use fnguard_scan::package::{self, Owner, Rules, Target};
use sha2::{Digest, Sha256};
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use zip::write::SimpleFileOptions;

const AWS_KEY: &str = "AKIAQ3EGRN2VZK7TWB5D";

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fnguard-package-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, path: &str, content: &[u8]) {
    let file = dir.join(path);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(file, content).unwrap();
}

fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default();
    for (name, data) in files {
        writer.start_file(*name, options).unwrap();
        writer.write_all(data).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

fn target(path: &Path, handler: Option<&str>) -> Target {
    Target {
        path: path.to_path_buf(),
        display: path.display().to_string(),
        owners: vec![Owner {
            resource: "OrdersFunction".into(),
            location: SourceRef::new("template.yaml", 12, 5),
        }],
        context: Context {
            handler: handler.and_then(Handler::parse),
            layer: false,
        },
        skip: Vec::new(),
    }
}

fn rules() -> Rules {
    Rules::builtin().expect("built-in rules load")
}

fn by_rule<'a>(findings: &'a [Finding], id: &str) -> Vec<&'a Finding> {
    findings.iter().filter(|f| f.rule_id == id).collect()
}

#[test]
fn a_secret_in_the_handler_is_reported_redacted_and_ranked_by_class() {
    let dir = temp_dir("secret");
    write(
        &dir,
        "app.py",
        format!("import boto3\nKEY = '{AWS_KEY}'\n").as_bytes(),
    );
    write(
        &dir,
        "node_modules/aws-sdk/test/fixtures.js",
        format!("var k = '{AWS_KEY}';\n").as_bytes(),
    );
    let out = package::scan(
        &target(&dir, Some("app.handler")),
        &rules(),
        &Limits::default(),
    );
    let hits = by_rule(&out.findings, "FG-SEC-101");
    assert_eq!(hits.len(), 2, "{:#?}", out.findings);
    let own = hits
        .iter()
        .find(|f| f.location.path.ends_with("app.py"))
        .unwrap();
    assert_eq!(own.location.line, 2);
    let rule = package::rules::secret_rules()
        .iter()
        .find(|r| r.id == "FG-SEC-101")
        .unwrap();
    assert_eq!(
        own.severity, rule.severity,
        "own code keeps the rule's severity"
    );
    assert_eq!(own.resource, "OrdersFunction");
    assert_eq!(own.related.len(), 1, "the owning function is related");
    let vendored = hits
        .iter()
        .find(|f| f.location.path.contains("node_modules"))
        .unwrap();
    assert!(
        vendored.severity < own.severity,
        "{:?} vs {:?}",
        vendored.severity,
        own.severity
    );
    for finding in &hits {
        let shown = format!(
            "{} {} {:?}",
            finding.message.en, finding.message.zh, finding.evidence
        );
        assert!(!shown.contains(AWS_KEY), "secret printed: {shown}");
        assert!(!finding.message.zh.is_empty());
    }
    assert_eq!(out.files, 2);
}

#[test]
fn inline_ignores_count_in_own_code_only() {
    let dir = temp_dir("ignore");
    write(
        &dir,
        "handler.py",
        b"import os\n# fnguard:ignore FG-SUP-007 reads its own environment for a health report\ndata = open('/proc/self/environ').read()\n",
    );
    write(
        &dir,
        "python/lib/python3.12/site-packages/evil/__init__.py",
        b"# fnguard:ignore FG-SUP-007\ndata = open('/proc/self/environ').read()\n",
    );
    let out = package::scan(
        &target(&dir, Some("handler.main")),
        &rules(),
        &Limits::default(),
    );
    let reads = by_rule(&out.findings, "FG-SUP-007");
    assert_eq!(reads.len(), 2, "{:#?}", out.findings);
    let own = reads
        .iter()
        .find(|f| f.location.path.ends_with("handler.py"))
        .unwrap();
    let suppression = own.suppressed.as_ref().expect("own code's ignore counts");
    assert_eq!(suppression.kind, SuppressionKind::Inline);
    assert_eq!(
        suppression.reason.as_deref(),
        Some("reads its own environment for a health report")
    );
    let vendored = reads
        .iter()
        .find(|f| f.location.path.contains("site-packages"))
        .unwrap();
    assert!(
        vendored.suppressed.is_none(),
        "a vendored library's ignore comment is the attacker's"
    );
}

#[test]
fn an_ignored_secret_is_marked_suppressed_in_own_code_and_reported_in_a_library() {
    let dir = temp_dir("secret-ignore");
    let text =
        format!("# fnguard:ignore FG-SEC-101 rotated, kept for a replay test\nKEY = '{AWS_KEY}'\n");
    write(&dir, "app.py", text.as_bytes());
    write(&dir, "node_modules/x/index.js", text.as_bytes());
    let out = package::scan(
        &target(&dir, Some("app.handler")),
        &rules(),
        &Limits::default(),
    );
    let hits = by_rule(&out.findings, "FG-SEC-101");
    assert_eq!(hits.len(), 2, "{:#?}", out.findings);
    for hit in hits {
        let own = hit.location.path.ends_with("app.py");
        assert_eq!(hit.suppressed.is_some(), own, "{hit:#?}");
    }
}

#[test]
fn a_zip_with_an_escaping_entry_is_a_finding_and_a_corrupt_one_an_error() {
    let dir = temp_dir("zips");
    let hostile = dir.join("fn.zip");
    std::fs::write(
        &hostile,
        zip_of(&[
            ("app.py", b"print(1)\n"),
            ("../../var/runtime/bootstrap", b"x"),
        ]),
    )
    .unwrap();
    let out = package::scan(&target(&hostile, None), &rules(), &Limits::default());
    let escapes = by_rule(&out.findings, "FG-SUP-013");
    assert_eq!(escapes.len(), 1, "{:#?}", out.findings);
    assert!(escapes[0]
        .message
        .en
        .contains("../../var/runtime/bootstrap"));
    assert!(!escapes[0].message.zh.is_empty());
    assert!(out.errors.is_empty(), "{:?}", out.errors);

    let corrupt = dir.join("broken.zip");
    let mut bytes = zip_of(&[("app.py", &[b'a'; 5000][..])]);
    bytes.truncate(bytes.len() / 2);
    std::fs::write(&corrupt, bytes).unwrap();
    let out = package::scan(&target(&corrupt, None), &rules(), &Limits::default());
    assert_eq!(out.errors.len(), 1, "{:?}", out.errors);
    assert!(out.errors[0].location.path.ends_with("broken.zip"));
}

#[test]
fn a_cap_stops_the_walk_with_an_error_that_names_the_option() {
    let dir = temp_dir("cap");
    for i in 0..20 {
        write(&dir, &format!("f{i}.txt"), b"hello\n");
    }
    let limits = Limits {
        max_entries: 5,
        ..Limits::default()
    };
    let out = package::scan(&target(&dir, None), &rules(), &limits);
    assert_eq!(out.errors.len(), 1, "{:?}", out.errors);
    assert!(
        out.errors[0].message.contains("--package-max-entries"),
        "{}",
        out.errors[0].message
    );
}

#[test]
fn the_inventory_is_deduplicated_and_typosquats_reported() {
    let dir = temp_dir("inventory");
    write(
        &dir,
        "requirements.txt",
        b"requests==2.30.0\nreqeusts==1.0.0\nurllib3==2.0.2\n",
    );
    write(
        &dir,
        "requests-2.30.0.dist-info/METADATA",
        b"Metadata-Version: 2.1\nName: requests\nVersion: 2.30.0\n",
    );
    let out = package::scan(&target(&dir, None), &rules(), &Limits::default());
    let names: Vec<(&str, &str)> = out
        .packages
        .iter()
        .map(|p| (p.name.as_str(), p.version.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("reqeusts", "1.0.0"),
            ("requests", "2.30.0"),
            ("urllib3", "2.0.2")
        ]
    );
    let squats = by_rule(&out.findings, "FG-SUP-012");
    assert_eq!(squats.len(), 1, "{:#?}", out.findings);
    assert!(squats[0].location.path.ends_with("requirements.txt"));
    assert_eq!(squats[0].location.line, 2);
}

const ADVISORY: &str = r#"{"id":"GHSA-test-0001","aliases":["CVE-2099-0001"],"summary":"header leak",
 "affected":[{"package":{"ecosystem":"PyPI","name":"Requests"},
   "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"2.3.0"},{"fixed":"2.31.0"}]}]}],
 "database_specific":{"severity":"MODERATE"}}"#;
const ALIAS: &str = r#"{"id":"PYSEC-2099-1","aliases":["CVE-2099-0001"],
 "affected":[{"package":{"ecosystem":"PyPI","name":"requests"},
   "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.31.0"}]}]}]}"#;
const MALWARE: &str = r#"{"id":"MAL-2099-7","summary":"steals credentials",
 "affected":[{"package":{"ecosystem":"npm","name":"colourama-js"},"versions":["1.0.1"]}]}"#;
const DEV_ONLY: &str = r#"{"id":"GHSA-test-0002",
 "affected":[{"package":{"ecosystem":"npm","name":"mocha"},
   "ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}]}],
 "severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]}"#;

fn db() -> Db {
    let mut db = Db::new();
    for (i, record) in [ADVISORY, ALIAS, MALWARE, DEV_ONLY].iter().enumerate() {
        db.add_record(record.as_bytes(), &format!("r{i}.json"))
            .unwrap();
    }
    db
}

#[test]
fn advisories_give_one_finding_per_alias_group_and_malware_is_critical() {
    let dir = temp_dir("advisories");
    write(
        &dir,
        "requirements.txt",
        b"requests==2.30.0\nboto3==1.34.0\n",
    );
    write(
        &dir,
        "package-lock.json",
        br#"{"name":"fn","lockfileVersion":3,"requires":true,"packages":{
  "":{"name":"fn","dependencies":{"colourama-js":"1.0.1"},"devDependencies":{"mocha":"10.0.0"}},
  "node_modules/colourama-js":{"version":"1.0.1"},
  "node_modules/mocha":{"version":"10.0.0","dev":true}}}"#,
    );
    let scan_target = target(&dir, None);
    let out = package::scan(&scan_target, &rules(), &Limits::default());
    let findings = package::vulnerability_findings(&scan_target, &out.packages, &db());
    let vulnerable = by_rule(&findings, "FG-DEP-001");
    assert_eq!(vulnerable.len(), 1, "{findings:#?}");
    assert_eq!(vulnerable[0].severity, Severity::Medium);
    assert!(vulnerable[0].message.en.contains("GHSA-test-0001"));
    assert!(vulnerable[0].message.en.contains("PYSEC-2099-1"));
    assert!(
        vulnerable[0].message.en.contains("fixed in 2.31.0"),
        "{}",
        vulnerable[0].message.en
    );
    assert!(
        malicious_message_says_no_fix(&findings),
        "a malware record has no fix"
    );
    assert!(vulnerable[0].location.path.ends_with("requirements.txt"));
    let malicious = by_rule(&findings, "FG-DEP-002");
    assert_eq!(malicious.len(), 1, "{findings:#?}");
    assert_eq!(malicious[0].severity, Severity::Critical);
    assert!(
        !findings.iter().any(|f| f.message.en.contains("mocha")),
        "a dev dependency does not ship"
    );
}

#[test]
fn many_files_in_a_large_zip_are_all_scanned_once() {
    let dir = temp_dir("many");
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for i in 0..2000 {
        let mut body = vec![b'x'; 3000];
        body.push(b'\n');
        if i % 100 == 7 {
            body.extend_from_slice(format!("key = '{AWS_KEY}'\n").as_bytes());
        }
        files.push((format!("src/m{i:04}.py"), body));
    }
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let zip = dir.join("big.zip");
    std::fs::write(&zip, zip_of(&refs)).unwrap();
    let out = package::scan(
        &target(&zip, Some("src/m0000.handler")),
        &rules(),
        &Limits::default(),
    );
    assert_eq!(out.files, 2000);
    let hits = by_rule(&out.findings, "FG-SEC-101");
    assert_eq!(hits.len(), 20, "one per planted file, none twice");
    let mut paths: Vec<&str> = hits.iter().map(|f| f.location.path.as_str()).collect();
    paths.dedup();
    assert_eq!(paths.len(), 20);
    assert!(paths.windows(2).all(|w| w[0] < w[1]), "sorted by path");
}

fn malicious_message_says_no_fix(findings: &[Finding]) -> bool {
    by_rule(findings, "FG-DEP-002")
        .iter()
        .all(|f| f.message.en.contains("no fixed version"))
}

#[test]
fn the_fix_named_is_the_next_one_in_the_range_that_matches() {
    let mut db = Db::new();
    db.add_record(
        br#"{"id":"RUSTSEC-2099-0001","affected":[{"package":{"ecosystem":"crates.io","name":"smallvec"},
          "ranges":[{"type":"SEMVER","events":[{"introduced":"0.6.3"},{"fixed":"0.6.14"},
                                                {"introduced":"1.0.0"},{"fixed":"1.6.1"}]}]}]}"#,
        "r.json",
    )
    .unwrap();
    let fixed = |version: &str| {
        let package = fnguard_scan::deps::Package::new(
            fnguard_scan::deps::Ecosystem::CratesIo,
            "smallvec",
            version,
            "Cargo.lock",
        );
        let advisories = db.vulnerabilities(&package);
        advisories
            .first()
            .map(|a| a.fixed_in(&package))
            .unwrap_or_default()
    };
    assert_eq!(fixed("0.6.5"), ["0.6.14"]);
    assert_eq!(fixed("1.4.0"), ["1.6.1"]);
    assert!(fixed("1.6.1").is_empty(), "not affected, nothing to fix");
}

#[test]
fn jars_are_inventoried_from_pom_properties_or_else_their_manifest() {
    let dir = temp_dir("jars");
    let with_pom = zip_of(&[
        (
            "META-INF/MANIFEST.MF",
            b"Manifest-Version: 1.0\r\nImplementation-Version: 2.14.1\r\nBundle-SymbolicName: org.apache.logging.log4j.core\r\n",
        ),
        (
            "META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties",
            b"#Created by Apache Maven\nversion=2.14.1\ngroupId=org.apache.logging.log4j\nartifactId=log4j-core\n",
        ),
    ]);
    let manifest_only = zip_of(&[(
        "META-INF/MANIFEST.MF",
        b"Manifest-Version: 1.0\nBundle-SymbolicName: com.fasterxml.jackson.core.jackson-da\n tabind\nBundle-Version: 2.13.0\n\nName: x\nImplementation-Version: 9\n",
    )]);
    let unknowable = zip_of(&[(
        "META-INF/MANIFEST.MF",
        b"Manifest-Version: 1.0\nImplementation-Title: Some Tool\nImplementation-Version: 1.0\n",
    )]);
    let function = zip_of(&[
        ("lib/log4j-core-2.14.1.jar", &with_pom),
        ("lib/jackson-databind-2.13.0.jar", &manifest_only),
        ("lib/tool.jar", &unknowable),
        ("com/example/Handler.class", b"\xca\xfe\xba\xbe"),
    ]);
    let path = dir.join("fn.zip");
    std::fs::write(&path, function).unwrap();
    let out = package::scan(&target(&path, None), &rules(), &Limits::default());
    let found: Vec<(&str, &str)> = out
        .packages
        .iter()
        .map(|p| (p.name.as_str(), p.version.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            ("com.fasterxml.jackson.core:jackson-databind", "2.13.0"),
            ("org.apache.logging.log4j:log4j-core", "2.14.1"),
        ]
    );
    let log4j = &out.packages[1];
    assert!(log4j.source.ends_with(
        "log4j-core-2.14.1.jar!/META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties"
    ));
    assert_eq!(
        log4j.purl(),
        "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"
    );
    let (jar, _) = log4j.source.split_once("!/META-INF/").unwrap();
    let digest = out.jar_sha256.get(jar).expect("the jar's hash");
    assert_eq!(digest, &<[u8; 32]>::from(Sha256::digest(&with_pom)));
    assert_eq!(out.jar_sha256.len(), 3, "every jar hashed");
}
