//! OSV records evaluated with the schema's range algorithm, end to end on
//! the hand-written fixtures of tests/osv/.

use std::path::Path;

use fnguard_scan::deps::osv::{group_aliases, Db, OsvError};
use fnguard_scan::deps::{Ecosystem, Package};

fn fixtures() -> Db {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/osv");
    Db::load_dir(&dir).expect("the fixture folder is readable")
}

fn package(ecosystem: Ecosystem, name: &str, version: &str) -> Package {
    Package::new(ecosystem, name, version, "test")
}

/// The ids of the advisories affecting `name@version`.
fn matches(db: &Db, ecosystem: Ecosystem, name: &str, version: &str) -> Vec<String> {
    db.vulnerabilities(&package(ecosystem, name, version))
        .iter()
        .map(|a| a.id.clone())
        .collect()
}

/// Asserts which versions the advisory `id` affects and which it does not.
fn check(db: &Db, ecosystem: Ecosystem, name: &str, id: &str, affected: &[&str], safe: &[&str]) {
    for version in affected {
        assert!(
            matches(db, ecosystem, name, version).contains(&id.to_string()),
            "{id} should affect {name}@{version}"
        );
    }
    for version in safe {
        assert!(
            !matches(db, ecosystem, name, version).contains(&id.to_string()),
            "{id} should not affect {name}@{version}"
        );
    }
}

#[test]
fn loads_the_fixtures_and_reports_broken_files() {
    let db = fixtures();
    // 10 records at the top (one withdrawn: counted, not indexed) and one
    // readable record under broken/.
    assert_eq!(db.len(), 10);
    assert_eq!(db.withdrawn(), 1);
    let issues: Vec<String> = db
        .issues()
        .iter()
        .map(|i| format!("{}: {}", i.source, i.message))
        .collect();
    assert_eq!(issues.len(), 3, "{issues:#?}");
    assert!(
        issues
            .iter()
            .any(|i| i.contains("truncated.json") && i.contains("not an OSV record")),
        "{issues:#?}"
    );
    assert!(
        issues
            .iter()
            .any(|i| i.contains("no-id.json") && i.contains("without an id")),
        "{issues:#?}"
    );
    assert!(
        issues
            .iter()
            .any(|i| i.contains("FNGUARD-TEST-BAD-VERSION") && i.contains("\"1.x\"")),
        "{issues:#?}"
    );
}

#[test]
fn maven_qualifiers_and_several_ranges() {
    let db = fixtures();
    check(
        &db,
        Ecosystem::Maven,
        "org.apache.logging.log4j:log4j-core",
        "GHSA-jfh8-c2jp-5v3q",
        &[
            "2.0-beta9",
            "2.0-rc1",
            "2.0",
            "2.3",
            "2.4",
            "2.12.1",
            "2.13.0",
            "2.14.1",
            "2.15.0-rc1",
        ],
        &[
            "2.0-beta8",
            "2.0-alpha1",
            "1.2.17",
            "2.3.1",
            "2.12.2",
            "2.15.0",
            "2.17.1",
            "2.3.2",
        ],
    );
    let advisory = db.get("GHSA-jfh8-c2jp-5v3q").unwrap();
    assert_eq!(advisory.database_severity.as_deref(), Some("CRITICAL"));
    assert_eq!(advisory.aliases, vec!["CVE-2021-44228"]);
    assert!(advisory.severity[0].score.starts_with("CVSS:3.1/"));
    // Another artifact of the same group is not matched.
    assert!(matches(
        &db,
        Ecosystem::Maven,
        "org.apache.logging.log4j:log4j-api",
        "2.14.1"
    )
    .is_empty());
}

#[test]
fn pypi_names_are_normalised_and_prereleases_precede_the_fix() {
    let db = fixtures();
    for name in ["requests", "Requests", "REQUESTS"] {
        check(
            &db,
            Ecosystem::PyPI,
            name,
            "GHSA-j8r2-6x86-q33q",
            &["2.3.0", "2.28.1", "2.31.0rc1", "2.31.0.dev1"],
            &["2.2.1", "2.31.0", "2.31.0.post1", "2.32.3"],
        );
    }
    // The same name is not a match in another ecosystem.
    assert!(matches(&db, Ecosystem::Npm, "requests", "2.28.1").is_empty());
}

#[test]
fn npm_range_from_zero_and_withdrawn_records() {
    let db = fixtures();
    check(
        &db,
        Ecosystem::Npm,
        "lodash",
        "GHSA-jf85-cpcp-j695",
        &["0.1.0", "4.17.11", "4.17.12-pre.1"],
        &["4.17.12", "4.17.21"],
    );
    // The withdrawn record covers every lodash version but never matches.
    assert_eq!(
        matches(&db, Ecosystem::Npm, "lodash", "4.17.21"),
        Vec::<String>::new()
    );
    assert!(db.get("FNGUARD-TEST-WITHDRAWN").is_none());
}

#[test]
fn go_fix_at_a_pseudo_version() {
    let db = fixtures();
    check(
        &db,
        Ecosystem::Go,
        "golang.org/x/crypto",
        "GO-2021-0227",
        &[
            "v0.0.0-20200622213623-75b288015ac9",
            "v0.0.0-20201216223049-8b5274cf687e",
        ],
        &[
            "v0.0.0-20201216223049-8b5274cf687f",
            "v0.0.0-20210921155107-089bfa567519",
            "v0.1.0",
            "v0.31.0",
        ],
    );
}

#[test]
fn crates_io_two_ranges_in_one() {
    let db = fixtures();
    check(
        &db,
        Ecosystem::CratesIo,
        "smallvec",
        "RUSTSEC-2021-0003",
        &["0.6.3", "0.6.13", "1.0.0", "1.6.0"],
        &["0.6.2", "0.6.14", "0.7.0", "1.6.1", "1.13.2"],
    );
}

#[test]
fn last_affected_is_inclusive() {
    let db = fixtures();
    check(
        &db,
        Ecosystem::PyPI,
        "fnguard-fixture-last-affected",
        "FNGUARD-TEST-LAST-AFFECTED",
        &["1.2", "1.2.0", "1.3", "1.4.2", "1.4.2+local"],
        &["1.1.9", "1.2rc1", "1.4.2.post1", "1.4.3", "2.0"],
    );
}

#[test]
fn limit_caps_a_range_without_fix() {
    let db = fixtures();
    check(
        &db,
        Ecosystem::Npm,
        "@fnguard-fixture/limit",
        "FNGUARD-TEST-LIMIT",
        &["2.0.0", "2.9.9"],
        &["1.9.9", "2.0.0-rc.1", "3.0.0", "3.0.1"],
    );
}

#[test]
fn pep440_epochs_and_local_versions() {
    let db = fixtures();
    check(
        &db,
        Ecosystem::PyPI,
        "fnguard_fixture_epoch",
        "FNGUARD-TEST-EPOCH-LOCAL",
        &["1!1.0", "1!1.4", "1!1.4+ubuntu.2", "1!1.5rc1"],
        // Without the epoch, 2023.1 is older than every 1! version.
        &["2023.1", "1.2", "1!0.9", "1!1.5", "1!1.5+local", "2!0.1"],
    );
}

#[test]
fn explicit_versions_and_ignored_git_ranges() {
    let db = fixtures();
    check(
        &db,
        Ecosystem::PyPI,
        "fnguard-fixture-versions",
        "FNGUARD-TEST-VERSIONS-ONLY",
        // PEP 440 equality: 1.0 is 1.0.0.
        &["0.9", "1.0.0", "1.0", "0.9.0"],
        &["0.8", "1.0.1", "1.1", "not a version"],
    );
}

#[test]
fn a_dropped_range_leaves_the_others() {
    let db = fixtures();
    check(
        &db,
        Ecosystem::CratesIo,
        "fnguard-fixture-bad-version",
        "FNGUARD-TEST-BAD-VERSION",
        &["3.0.0"],
        &["1.5.0", "3.1.0"],
    );
}

#[test]
fn unparseable_package_versions_match_nothing_by_range() {
    let db = fixtures();
    assert!(matches(&db, Ecosystem::Npm, "lodash", "latest").is_empty());
    assert!(matches(
        &db,
        Ecosystem::Maven,
        "org.apache.logging.log4j:log4j-core",
        ""
    )
    .is_empty());
}

/// osv-scanner's offline layout, `<dir>/<Ecosystem>/all.zip`, loads as it
/// is: every JSON member is a record; a broken member, and a corrupt zip,
/// are load issues naming the member or the archive, and the rest loads.
#[test]
fn osv_scanner_all_zip_layout_loads() {
    use std::io::Write;
    use zip::write::SimpleFileOptions;
    let fixture = |name: &str| {
        std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/osv")
                .join(name),
        )
        .expect("fixture")
    };
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in [
        (
            "GHSA-jfh8-c2jp-5v3q.json",
            fixture("GHSA-jfh8-c2jp-5v3q.json"),
        ),
        ("RUSTSEC-2021-0003.json", fixture("RUSTSEC-2021-0003.json")),
        ("bad.json", b"{\"id\": ".to_vec()),
        ("README.txt", b"not a record".to_vec()),
    ] {
        writer.start_file(name, options).unwrap();
        writer.write_all(&bytes).unwrap();
    }
    let zipped = writer.finish().unwrap().into_inner();

    let dir = std::env::temp_dir().join(format!("fnguard-osv-zip-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("Maven")).unwrap();
    std::fs::create_dir_all(dir.join("crates.io")).unwrap();
    std::fs::write(dir.join("Maven/all.zip"), &zipped).unwrap();
    // A download cut short.
    std::fs::write(dir.join("crates.io/all.zip"), &zipped[..zipped.len() / 2]).unwrap();
    let db = Db::load_dir(&dir);
    std::fs::remove_dir_all(&dir).unwrap();
    let db = db.unwrap();

    assert_eq!(db.len(), 2, "the two records of the whole zip");
    assert_eq!(
        matches(
            &db,
            Ecosystem::Maven,
            "org.apache.logging.log4j:log4j-core",
            "2.14.1"
        ),
        ["GHSA-jfh8-c2jp-5v3q"]
    );
    assert_eq!(
        matches(&db, Ecosystem::CratesIo, "smallvec", "1.6.0"),
        ["RUSTSEC-2021-0003"]
    );
    let sources: Vec<&str> = db.issues().iter().map(|i| i.source.as_str()).collect();
    assert!(
        sources
            .iter()
            .any(|s| s.ends_with("Maven/all.zip!/bad.json")),
        "{sources:?}"
    );
    assert!(
        sources.iter().any(|s| s.ends_with("crates.io/all.zip")),
        "the truncated zip is an issue: {sources:?}"
    );
    assert!(Db::load_dir(Path::new("/nonexistent/fnguard/osv")).is_err());
}

#[test]
fn add_record_reports_position_and_ignores_duplicates() {
    let mut db = Db::new();
    let error = db
        .add_record(b"{\n  \"id\": 5\n}", "inline.json")
        .unwrap_err();
    match &error {
        OsvError::Json {
            source_name, line, ..
        } => {
            assert_eq!(source_name, "inline.json");
            assert_eq!(*line, 2);
        }
        other => panic!("unexpected {other:?}"),
    }
    let record =
        br#"{"id": "X-1", "affected": [{"package": {"ecosystem": "crates.io", "name": "a"},
        "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}]}]}"#;
    db.add_record(record, "one.json").unwrap();
    db.add_record(record, "two.json").unwrap();
    assert_eq!(db.len(), 1);
    assert_eq!(db.issues().len(), 1);
    assert!(db.issues()[0].message.contains("X-1 already loaded"));
    // Ecosystems fnguard does not read are skipped, not errors.
    db.add_record(
        br#"{"id": "DSA-1", "affected": [{"package": {"ecosystem": "Debian:12", "name": "a"}, "versions": ["1"]}]}"#,
        "debian.json",
    )
    .unwrap();
    assert_eq!(matches(&db, Ecosystem::CratesIo, "a", "1.0.0"), vec!["X-1"]);
}

#[test]
fn advisories_of_one_flaw_group_through_aliases() {
    let mut db = Db::new();
    let record = |id: &str, aliases: &str| {
        format!(
            r#"{{"id": "{id}", "aliases": [{aliases}], "affected": [{{"package": {{"ecosystem": "PyPI", "name": "pkg"}},
            "ranges": [{{"type": "ECOSYSTEM", "events": [{{"introduced": "0"}}]}}]}}]}}"#
        )
    };
    // PYSEC and GHSA records of one CVE; a second GHSA linked only through
    // the first one's alias; an unrelated advisory.
    for (id, aliases) in [
        ("PYSEC-2099-1", r#""CVE-2099-0001""#),
        ("GHSA-aaaa-bbbb-cccc", r#""CVE-2099-0001""#),
        ("FNGUARD-TEST-OTHER", ""),
        ("GHSA-dddd-eeee-ffff", r#""GHSA-aaaa-bbbb-cccc""#),
    ] {
        db.add_record(record(id, aliases).as_bytes(), id).unwrap();
    }
    let package = package(Ecosystem::PyPI, "pkg", "1.0");
    let found = db.vulnerabilities(&package);
    assert_eq!(found.len(), 4);
    let groups: Vec<Vec<&str>> = group_aliases(&found)
        .iter()
        .map(|group| group.iter().map(|a| a.id.as_str()).collect())
        .collect();
    assert_eq!(
        groups,
        vec![
            vec!["PYSEC-2099-1", "GHSA-aaaa-bbbb-cccc", "GHSA-dddd-eeee-ffff"],
            vec!["FNGUARD-TEST-OTHER"]
        ]
    );
    assert!(group_aliases(&[]).is_empty());
}
