//! Damaged input never panics: every prefix of every sample through every
//! reader, and odd strings through every version parser.

use std::path::Path;

use fnguard_scan::deps::inventory::{read_as, Format};
use fnguard_scan::deps::osv::Db;
use fnguard_scan::deps::version::Version;
use fnguard_scan::deps::Ecosystem;

const FORMATS: [Format; 12] = [
    Format::RequirementsTxt,
    Format::PackageLock,
    Format::PoetryLock,
    Format::PipfileLock,
    Format::UvLock,
    Format::PythonMetadata,
    Format::NodeModulesPackageJson,
    Format::YarnLock,
    Format::PnpmLock,
    Format::GoMod,
    Format::CargoLock,
    Format::PomXml,
];

fn samples() -> Vec<(String, Vec<u8>)> {
    let mut found = Vec::new();
    let mut pending = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/deps")];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                found.push((path.display().to_string(), std::fs::read(&path).unwrap()));
            }
        }
    }
    assert!(found.len() >= 17, "samples missing: {}", found.len());
    found
}

#[test]
fn every_prefix_of_every_sample_through_every_reader() {
    for (name, bytes) in samples() {
        // Every prefix for the small files, a stride for the others; then
        // one byte turned into half a multi-byte character.
        let step = (bytes.len() / 400).max(1);
        for end in (0..=bytes.len()).step_by(step) {
            for format in FORMATS {
                let inventory = read_as(format, &name, &bytes[..end]);
                for package in &inventory.packages {
                    assert!(
                        !package.name.is_empty(),
                        "{name}[..{end}] as {format:?}: {package:?}"
                    );
                    let _ = package.purl();
                }
            }
        }
        let mut mangled = bytes.clone();
        if let Some(middle) = mangled.get_mut(bytes.len() / 2) {
            *middle = 0xc3;
        }
        if std::str::from_utf8(&mangled).is_err() {
            for format in FORMATS {
                let inventory = read_as(format, &name, &mangled);
                assert!(inventory.packages.is_empty(), "{name}");
                assert!(
                    inventory.issues[0].message.starts_with("not UTF-8"),
                    "{name}"
                );
            }
        }
    }
}

#[test]
fn odd_versions_are_errors_or_values_never_panics() {
    let odd = [
        "",
        " ",
        "v",
        "vv",
        "-",
        ".",
        "..",
        "+",
        "1.",
        ".1",
        "1..2",
        "1.2.3-",
        "1.2.3+",
        "1!",
        "!1",
        "1!!2",
        "1.0+",
        "1.0++",
        "é",
        "1.é",
        "1-é",
        "1.0-ǅ",
        "𝟙.0",
        "1\u{0}",
        "99999999999999999999999999",
        "1.99999999999999999999999999",
        "1-a-b-c-d-1-2-3",
        "1.0.dev.post",
        "1.0rcpost",
        "1.0-",
        "1.0_",
        "a1",
        "ß",
        "1.0\n",
        "\t1.0",
        "${version}",
        "[1.0,2.0)",
        "*",
    ];
    for text in odd {
        for ecosystem in [
            Ecosystem::Npm,
            Ecosystem::CratesIo,
            Ecosystem::Go,
            Ecosystem::PyPI,
            Ecosystem::Maven,
        ] {
            if let Ok(version) = Version::parse(ecosystem, text) {
                assert_eq!(version.cmp(&version), std::cmp::Ordering::Equal, "{text:?}");
            }
        }
    }
}

#[test]
fn odd_osv_records_are_errors_or_issues() {
    let mut db = Db::new();
    let records: [&[u8]; 8] = [
        b"",
        b"[]",
        b"{\"id\": \"A\", \"affected\": 5}",
        b"{\"id\": \"B\", \"affected\": [{\"package\": {\"ecosystem\": \"npm\", \"name\": \"x\"}, \"ranges\": [{\"type\": \"SEMVER\", \"events\": [{\"introduced\": 1}]}]}]}",
        b"{\"id\": \"C\", \"affected\": [{\"package\": {\"ecosystem\": \"npm\", \"name\": \"x\"}, \"ranges\": [{\"type\": \"SEMVER\", \"events\": [{\"broken\": \"1.0.0\"}]}]}]}",
        b"{\"id\": \"D\", \"affected\": [{\"ranges\": [{\"type\": \"SEMVER\", \"events\": []}]}]}",
        b"{\"id\": \"E\", \"affected\": [{\"package\": {\"ecosystem\": \"PyPI\", \"name\": \"x\"}, \"ranges\": [{\"type\": \"ECOSYSTEM\", \"events\": [{\"fixed\": \"1.0\"}]}]}]}",
        b"\xff\xfe{}",
    ];
    let mut errors = 0;
    for (index, record) in records.iter().enumerate() {
        if db.add_record(record, &format!("record-{index}")).is_err() {
            errors += 1;
        }
    }
    assert_eq!(errors, 5);
    // C's unknown event is an issue; D (no package) and E (no introduced)
    // load and match nothing.
    assert_eq!(db.len(), 3);
    assert_eq!(db.issues().len(), 1, "{:?}", db.issues());
}

#[test]
fn the_database_can_be_shared_across_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<Db>();
}
