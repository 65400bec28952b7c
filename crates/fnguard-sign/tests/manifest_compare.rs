//! The manifest's strict reading and the comparison: every change kind is
//! found, an untouched package is intact.

mod manifest_util;

use std::os::unix::fs::PermissionsExt;

use fnguard_sign::manifest::{
    build, check, compare, Change, CompareOptions, FileEntry, FileKind, FunctionBinding,
    HashAlgorithm, Layer, Manifest, ManifestError, ManifestInfo, PackageDigest,
};
use fnguard_sign::package::{read_dir, DigestChoice, EntryKind, Limits, ObservedEntry};
use manifest_util::{info, sample, write_folder, write_zip, TempDir};

fn built(temp: &TempDir) -> Manifest {
    write_folder(temp.path(), &sample());
    build(temp.path(), &Limits::default(), info()).unwrap().0
}

fn changes(temp: &TempDir, manifest: &Manifest, digest: DigestChoice) -> Vec<(String, Change)> {
    let report = check(
        temp.path(),
        manifest,
        &Limits::default(),
        CompareOptions { digest },
    )
    .unwrap();
    report
        .findings
        .into_iter()
        .map(|finding| (finding.path, finding.change))
        .collect()
}

#[test]
fn an_untouched_package_is_intact_with_every_digest_choice() {
    let temp = TempDir::new();
    let manifest = built(&temp);
    for digest in [
        DigestChoice::Blake3,
        DigestChoice::Sha256,
        DigestChoice::Both,
    ] {
        let report = check(
            temp.path(),
            &manifest,
            &Limits::default(),
            CompareOptions { digest },
        )
        .unwrap();
        assert!(report.is_intact(), "{digest:?}: {:?}", report.findings);
        assert_eq!(report.checked, manifest.files.len());
        assert_eq!(report.intact, manifest.files.len());
    }
    // The zip of the same content is intact against the folder's manifest.
    let zip_temp = TempDir::new();
    let zip = zip_temp.path().join("pkg.zip");
    write_zip(&zip, &sample(), true);
    let report = check(
        &zip,
        &manifest,
        &Limits::default(),
        CompareOptions::default(),
    )
    .unwrap();
    assert!(report.is_intact(), "{:?}", report.findings);
}

#[test]
fn every_change_kind_is_found() {
    let temp = TempDir::new();
    let manifest = built(&temp);
    let root = temp.path();
    // Same size, one byte different: only the digest tells.
    std::fs::write(
        root.join("index.js"),
        b"exports.handler = async () => 'OK';\n",
    )
    .unwrap();
    // Longer.
    std::fs::write(root.join("lib/util.js"), b"module.exports = 43; // more\n").unwrap();
    std::fs::remove_file(root.join("empty.txt")).unwrap();
    std::fs::write(root.join("lib/added.js"), b"evil()").unwrap();
    std::fs::set_permissions(
        root.join("bootstrap"),
        std::fs::Permissions::from_mode(0o777),
    )
    .unwrap();
    std::fs::remove_file(root.join("current")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", root.join("current")).unwrap();
    std::fs::remove_file(root.join("shared")).unwrap();
    std::fs::write(root.join("shared"), b"now a file").unwrap();

    let found = changes(&temp, &manifest, DigestChoice::Blake3);
    assert_eq!(
        found,
        vec![
            (
                "bootstrap".to_owned(),
                Change::ModeChanged {
                    expected: 0o755,
                    actual: 0o777
                }
            ),
            (
                "current".to_owned(),
                Change::SymlinkChanged {
                    expected: "lib/util.js".to_owned(),
                    actual: "/etc/passwd".to_owned()
                }
            ),
            ("empty.txt".to_owned(), Change::Missing),
            (
                "index.js".to_owned(),
                Change::Modified {
                    expected_size: 36,
                    actual_size: 36,
                    digests: vec![HashAlgorithm::Blake3]
                }
            ),
            ("lib/added.js".to_owned(), Change::Added { kind: "file" }),
            (
                "lib/util.js".to_owned(),
                Change::Modified {
                    expected_size: 21,
                    actual_size: 29,
                    digests: vec![HashAlgorithm::Blake3]
                }
            ),
            (
                "shared".to_owned(),
                Change::KindChanged {
                    expected: "symlink",
                    actual: "file"
                }
            ),
        ]
    );
    let report = check(
        root,
        &manifest,
        &Limits::default(),
        CompareOptions::default(),
    )
    .unwrap();
    assert!(!report.is_intact());
    // 8 listed + 1 added; 2 untouched (lib/deep/data.bin, the big blob).
    assert_eq!(report.checked, 9);
    assert_eq!(report.intact, 2);
    assert!(report.findings[3]
        .change
        .to_string()
        .contains("blake3 differs"));
    assert!(report.findings[5].change.size_differs());
    assert_eq!(
        report.findings[0].to_string(),
        "bootstrap: mode changed from 0755 to 0777"
    );
    assert_eq!(
        report.findings[5].to_string(),
        "lib/util.js: modified (size 21 -> 29, blake3 differs)"
    );
    assert_eq!(report.findings[2].to_string(), "empty.txt: missing");
    assert_eq!(report.findings[4].to_string(), "lib/added.js: added (file)");
    assert_eq!(
        report.findings[6].to_string(),
        "shared: changed from a symlink to a file"
    );

    // With both digests, both are named.
    let found = changes(&temp, &manifest, DigestChoice::Both);
    assert!(found.contains(&(
        "index.js".to_owned(),
        Change::Modified {
            expected_size: 36,
            actual_size: 36,
            digests: vec![HashAlgorithm::Sha256, HashAlgorithm::Blake3]
        }
    )));
}

#[test]
fn a_digest_the_reader_did_not_compute_counts_as_different() {
    let temp = TempDir::new();
    let manifest = built(&temp);
    // Read with SHA-256 only, compared with BLAKE3: fail closed.
    let entries = read_dir(temp.path(), &Limits::default(), DigestChoice::Sha256).unwrap();
    let report = compare(&manifest, &entries, CompareOptions::default());
    assert!(!report.is_intact());
    assert!(report
        .findings
        .iter()
        .all(|finding| matches!(&finding.change, Change::Modified { digests, .. } if digests == &[HashAlgorithm::Blake3])));
}

#[test]
fn modes_are_compared_only_when_both_sides_have_one() {
    let temp = TempDir::new();
    let manifest = built(&temp);
    let mut entries = read_dir(temp.path(), &Limits::default(), DigestChoice::Blake3).unwrap();
    for entry in &mut entries {
        entry.mode = None;
    }
    // Order does not matter to the comparison either.
    entries.reverse();
    assert!(compare(&manifest, &entries, CompareOptions::default()).is_intact());
}

#[test]
fn other_kinds_compare_by_kind_and_mode() {
    let info = info();
    let manifest = Manifest::from_files(
        vec![FileEntry {
            path: "fifo".to_owned(),
            kind: FileKind::Other,
            mode: Some(0o600),
        }],
        info,
    )
    .unwrap();
    let observed = |kind, mode| {
        vec![ObservedEntry {
            path: "fifo".to_owned(),
            kind,
            mode: Some(mode),
            sha256: None,
            blake3: None,
        }]
    };
    assert!(compare(
        &manifest,
        &observed(EntryKind::Other, 0o600),
        Default::default()
    )
    .is_intact());
    let report = compare(
        &manifest,
        &observed(EntryKind::File { size: 0 }, 0o644),
        Default::default(),
    );
    assert_eq!(
        report
            .findings
            .iter()
            .map(|f| f.change.clone())
            .collect::<Vec<_>>(),
        vec![Change::KindChanged {
            expected: "other",
            actual: "file"
        }]
    );
    let report = compare(
        &manifest,
        &observed(EntryKind::Other, 0o644),
        Default::default(),
    );
    assert_eq!(
        report
            .findings
            .iter()
            .map(|f| f.change.clone())
            .collect::<Vec<_>>(),
        vec![Change::ModeChanged {
            expected: 0o600,
            actual: 0o644
        }]
    );
    assert_eq!((report.checked, report.intact), (1, 0));
}

fn full_manifest() -> Manifest {
    let temp = TempDir::new();
    write_folder(temp.path(), &sample());
    let digest = PackageDigest {
        sha256: "a".repeat(64),
        blake3: "b".repeat(64),
    };
    build(
        temp.path(),
        &Limits::default(),
        ManifestInfo {
            created: "2026-12-06T03:00:00.5Z".to_owned(),
            signer_key_id: "fedcba9876543210".to_owned(),
            function: Some(FunctionBinding {
                name: "orders \"prod\"\n".to_owned(),
                runtime: Some("nodejs22.x".to_owned()),
                runtime_version_arn: Some(
                    "arn:aws:lambda:eu-west-1::runtime:0123456789abcdef".to_owned(),
                ),
            }),
            layers: Some(vec![
                Layer {
                    name_or_arn: "arn:aws:lambda:eu-west-1:123456789012:layer:deps:3".to_owned(),
                    digest: Some(digest),
                },
                Layer {
                    name_or_arn: "tools".to_owned(),
                    digest: None,
                },
            ]),
        },
    )
    .unwrap()
    .0
}

#[test]
fn the_canonical_json_reads_back_to_the_same_manifest() {
    let manifest = full_manifest();
    let json = manifest.to_json();
    assert_eq!(Manifest::parse(&json).unwrap(), manifest);
    let text = String::from_utf8(json.clone()).unwrap();
    assert!(text.ends_with("}\n"));
    assert_eq!(text.matches('\n').count(), 1, "one line");
    assert!(text.starts_with("{\"created\":\"2026-12-06T03:00:00.5Z\",\"digest\":{\"blake3\":\""));
    assert!(text.contains(
        r#""function":{"name":"orders \"prod\"\n","runtime":"nodejs22.x","runtime_version_arn":"#
    ));
    assert!(
        text.contains(r#"{"mode":511,"path":"current","target":"lib/util.js","type":"symlink"}"#)
    );
    assert!(text.contains(r#"{"name_or_arn":"tools"}"#));
    assert!(text.contains(r#""schema":"fnguard.manifest/1","signer_key_id":"fedcba9876543210"}"#));
    // The digest is that of the canonical `files` array.
    let start = text.find("\"files\":").unwrap() + "\"files\":".len();
    let end = text.find(",\"function\"").unwrap();
    let files = &text.as_bytes()[start..end];
    assert_eq!(
        manifest.digest.blake3,
        blake3::hash(files).to_hex().as_str()
    );
    // serde_json agrees on the content.
    let value: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(
        value["files"].as_array().unwrap().len(),
        manifest.files.len()
    );
}

/// Replaces the first `from` in the manifest's JSON by `to`.
fn edited(manifest: &Manifest, from: &str, to: &str) -> Vec<u8> {
    let text = String::from_utf8(manifest.to_json()).unwrap();
    assert!(text.contains(from), "{from}");
    text.replacen(from, to, 1).into_bytes()
}

/// Rebuilds a manifest's JSON around edited files, with a digest that
/// matches them, so that only the edit is wrong.
fn with_files(manifest: &Manifest, files_json: &str) -> Vec<u8> {
    let sha = {
        use sha2::Digest as _;
        fnguard_sign::package::to_hex(&sha2::Sha256::digest(files_json.as_bytes()))
    };
    let b3 = blake3::hash(files_json.as_bytes()).to_hex().to_string();
    format!(
        "{{\"created\":\"{}\",\"digest\":{{\"blake3\":\"{b3}\",\"sha256\":\"{sha}\"}},\"files\":{files_json},\"schema\":\"fnguard.manifest/1\",\"signer_key_id\":\"{}\"}}\n",
        manifest.created, manifest.signer_key_id
    )
    .into_bytes()
}

#[test]
fn path_escapes_and_bad_entries_are_refused_naming_the_path() {
    let manifest = full_manifest();
    let file = |path: &str| {
        format!(
            r#"{{"blake3":"{b}","path":"{path}","sha256":"{s}","size":1,"type":"file"}}"#,
            b = "b".repeat(64),
            s = "a".repeat(64)
        )
    };
    for (path, reason) in [
        ("../etc/passwd", "'..'"),
        ("/etc/passwd", "absolute"),
        ("a/../../b", "'..'"),
        ("a\\\\b", "backslash"),
        ("C:evil", "drive letter"),
        ("a\\u0000b", "NUL"),
        ("a//b", "empty component"),
        ("./a", "'.'"),
        ("", "empty path"),
    ] {
        let json = with_files(&manifest, &format!("[{}]", file(path)));
        let error = Manifest::parse(&json).unwrap_err();
        let message = error.to_string();
        assert!(
            matches!(error, ManifestError::Entry { index: 0, .. }),
            "{path}: {message}"
        );
        assert!(message.contains(reason), "{path}: {message}");
    }
    let json = with_files(&manifest, &format!("[{},{}]", file("a"), file("a")));
    assert!(matches!(
        Manifest::parse(&json),
        Err(ManifestError::Duplicate {
            first: 0,
            second: 1,
            ..
        })
    ));
    let json = with_files(&manifest, &format!("[{},{}]", file("b"), file("a")));
    assert!(matches!(
        Manifest::parse(&json),
        Err(ManifestError::Unsorted { index: 1, .. })
    ));
    let json = with_files(
        &manifest,
        r#"[{"path":"lib","target":"/tmp","type":"symlink"},{"path":"lib/x","type":"other"}]"#,
    );
    assert!(matches!(
        Manifest::parse(&json),
        Err(ManifestError::NotAFolder { .. })
    ));
    for (entry, reason) in [
        (
            r#"{"path":"a","size":1,"type":"file"}"#.to_owned(),
            "a file has size",
        ),
        (
            r#"{"path":"a","target":"b","type":"socket"}"#.to_owned(),
            "type is not",
        ),
        (
            r#"{"path":"a","size":1,"target":"b","type":"symlink"}"#.to_owned(),
            "a symlink has a target",
        ),
        (
            r#"{"mode":4096,"path":"a","type":"other"}"#.to_owned(),
            "permission bits",
        ),
        (
            file("a").replace("\"size\":1", "\"size\":9007199254740993"),
            "2^53",
        ),
        (
            file("a").replace(&"a".repeat(64), &"A".repeat(64)),
            "sha256",
        ),
        (
            file("a").replace(&"b".repeat(64), &"b".repeat(63)),
            "blake3",
        ),
    ] {
        let json = with_files(&manifest, &format!("[{entry}]"));
        let message = Manifest::parse(&json).unwrap_err().to_string();
        assert!(message.contains(reason), "{entry}: {message}");
    }
}

#[test]
fn malformed_and_non_canonical_manifests_are_refused() {
    let manifest = full_manifest();
    let json = manifest.to_json();
    let check = |bytes: &[u8], expected: &str| {
        let message = Manifest::parse(bytes).unwrap_err().to_string();
        assert!(message.contains(expected), "{expected}: {message}");
    };
    check(b"", "line 1, column 0");
    check(b"{\"schema\":", "invalid manifest JSON");
    check(b"[1,2]", "invalid manifest JSON");
    check(
        &edited(&manifest, "fnguard.manifest/1", "fnguard.manifest/2"),
        "unsupported manifest schema \"fnguard.manifest/2\"",
    );
    check(
        &edited(&manifest, "\"schema\"", "\"extra\":1,\"schema\""),
        "unknown field `extra`",
    );
    check(
        &edited(&manifest, "\"schema\"", "\"schema\":\"x\",\"schema\""),
        "duplicate field `schema`",
    );
    check(
        &edited(&manifest, "\"size\":36", "\"size\":36.0"),
        "invalid type",
    );
    check(&edited(&manifest, "\"size\":36", "\"size\":-36"), "invalid");
    check(
        &edited(&manifest, "\"size\":36", "\"size\":37"),
        "manifest digest mismatch",
    );
    check(
        &edited(&manifest, "index.js", "index.jS"),
        "manifest digest mismatch",
    );
    let digest = manifest.digest.blake3.clone();
    let mut other_digest = digest.clone().into_bytes();
    other_digest[0] = if other_digest[0] == b'0' { b'1' } else { b'0' };
    check(
        &edited(
            &manifest,
            &digest,
            std::str::from_utf8(&other_digest).unwrap(),
        ),
        "manifest digest mismatch",
    );
    check(
        &edited(&manifest, &digest, &digest.to_uppercase()),
        "digest.blake3: not 64 lowercase hex",
    );
    check(
        &edited(
            &manifest,
            "2026-12-06T03:00:00.5Z",
            "2026-12-06 03:00:00Z  ",
        ),
        "created",
    );
    check(
        &edited(&manifest, "fedcba9876543210", "FEDCBA9876543210"),
        "signer_key_id",
    );
    check(
        &edited(
            &manifest,
            "\"name_or_arn\":\"tools\"",
            "\"name_or_arn\":\"\"",
        ),
        "layers[1].name_or_arn",
    );
    // Valid JSON of the same meaning, but not the signed bytes' form.
    check(&json[..json.len() - 1], "not in canonical form");
    let mut spaced = json.clone();
    spaced.insert(1, b' ');
    check(
        &spaced,
        "not in canonical form (first difference at byte 1)",
    );
    check(
        &edited(&manifest, "\"function\":{", "\"function\": {"),
        "not in canonical form",
    );
    check(
        &edited(&manifest, "nodejs22.x", "nodejs22\\u002ex"),
        "not in canonical form",
    );
    check(
        &edited(
            &manifest,
            "\"name_or_arn\":\"tools\"",
            "\"digest\":null,\"name_or_arn\":\"tools\"",
        ),
        "not in canonical form",
    );
}

#[test]
fn building_tells_what_the_signer_should_know() {
    let temp = TempDir::new();
    write_folder(temp.path(), &sample());
    std::fs::write(temp.path().join("open.txt"), b"x").unwrap();
    std::fs::set_permissions(
        temp.path().join("open.txt"),
        std::fs::Permissions::from_mode(0o666),
    )
    .unwrap();
    let (_, issues) = build(temp.path(), &Limits::default(), info()).unwrap();
    let issues: Vec<String> = issues.iter().map(ToString::to_string).collect();
    assert_eq!(
        issues,
        [
            "open.txt: world-writable (mode 0666)",
            "shared: symlink to \"/opt/shared\" points outside the package; only the link is signed"
        ]
    );
    // A bad `created` is refused before anything is signed.
    let mut bad = info();
    bad.created = "yesterday".to_owned();
    assert!(build(temp.path(), &Limits::default(), bad)
        .unwrap_err()
        .to_string()
        .contains("created"));
}
