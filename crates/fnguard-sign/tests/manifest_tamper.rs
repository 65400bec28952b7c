//! The tamper suite: thousands of random single-bit flips and truncations
//! across the files of a package (as a folder and as a zip) and across the
//! manifest's bytes. Every change to what a manifest covers is detected,
//! nothing panics.
//!
//! What this layer guarantees, precisely:
//! - package files: any change to an entry's content, size, type, symlink
//!   target, permission bits, or any entry added or removed, makes `check`
//!   report the package not intact (or fail to read it);
//! - zips: a flipped bit either makes the archive unreadable (CRC,
//!   structure, names), or changes an entry (reported), or changes only
//!   bytes no manifest covers (times, "version needed", extra fields...),
//!   which the test confirms by extracting every entry directly; and a
//!   re-zipped package with one file flipped or truncated (CRCs consistent,
//!   as an attacker would make it) is always reported;
//! - manifest bytes: a flip either makes `Manifest::parse` fail (bad JSON,
//!   schema, field, digest mismatch, non-canonical bytes) or gives a valid
//!   manifest with the same files and digest and different metadata
//!   (`created`, `function`, `layers`, `signer_key_id`): only the signature
//!   over the manifest bytes, which the caller checks first, catches those.
//!   A truncated manifest never parses.

mod manifest_util;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use fnguard_sign::manifest::{
    build, check, CompareOptions, FunctionBinding, Layer, Manifest, ManifestInfo,
};
use fnguard_sign::package::{DigestChoice, Limits};
use manifest_util::{write_folder, write_zip, Rng, Sample, TempDir};

/// Files small enough for thousands of checks, of varied sizes, with
/// compressible and incompressible content.
fn tamper_package(rng: &mut Rng) -> Vec<Sample> {
    let names = [
        "index.js",
        "bootstrap",
        "lib/a.js",
        "lib/b.json",
        "lib/deep/c.bin",
        "node_modules/x/index.js",
        "node_modules/x/package.json",
        "data/random.bin",
        "data/zeros.bin",
        "one",
    ];
    let mut entries: Vec<Sample> = names
        .iter()
        .enumerate()
        .map(|(index, name)| {
            let len = [300, 40, 2000, 900, 7000, 5000, 120, 9000, 4000, 1][index];
            let content: Vec<u8> = match *name {
                "data/random.bin" | "lib/deep/c.bin" => {
                    (0..len).map(|_| rng.next() as u8).collect()
                }
                "data/zeros.bin" => vec![0; len],
                _ => {
                    let line = b"function handler(event) { return 42; }\n";
                    (0..len).map(|i| line[i % line.len()]).collect()
                }
            };
            Sample::File(
                name,
                content,
                if *name == "bootstrap" { 0o755 } else { 0o644 },
            )
        })
        .collect();
    entries.push(Sample::Symlink("current", "lib/a.js"));
    entries
}

fn file_names(entries: &[Sample]) -> Vec<&'static str> {
    entries
        .iter()
        .filter_map(|entry| match entry {
            Sample::File(name, ..) => Some(*name),
            Sample::Symlink(..) => None,
        })
        .collect()
}

fn info() -> ManifestInfo {
    ManifestInfo {
        created: "2026-12-06T03:00:00Z".to_owned(),
        signer_key_id: "0123456789abcdef".to_owned(),
        function: Some(FunctionBinding {
            name: "orders".to_owned(),
            runtime: Some("python3.13".to_owned()),
            runtime_version_arn: Some("arn:aws:lambda:eu-west-1::runtime:abc123".to_owned()),
        }),
        layers: Some(vec![Layer {
            name_or_arn: "arn:aws:lambda:eu-west-1:123456789012:layer:deps:7".to_owned(),
            digest: None,
        }]),
    }
}

#[test]
fn every_bit_flip_and_truncation_of_a_folder_package_is_detected() {
    let mut rng = Rng::new(0x5eed_f01d);
    let temp = TempDir::new();
    let entries = tamper_package(&mut rng);
    write_folder(temp.path(), &entries);
    let (manifest, _) = build(temp.path(), &Limits::default(), info()).unwrap();
    let names = file_names(&entries);
    let mut cases = 0;
    for round in 0..2000 {
        let name = names[rng.below(names.len())];
        let path = temp.path().join(name);
        let original = std::fs::read(&path).unwrap();
        let mut tampered = original.clone();
        if round % 4 == 3 {
            tampered.truncate(rng.below(original.len()));
        } else {
            let bit = rng.below(original.len() * 8);
            tampered[bit / 8] ^= 1 << (bit % 8);
        }
        std::fs::write(&path, &tampered).unwrap();
        // Each digest on its own must see it.
        let digest = [DigestChoice::Blake3, DigestChoice::Sha256][round % 2];
        let report = check(
            temp.path(),
            &manifest,
            &Limits::default(),
            CompareOptions { digest },
        )
        .unwrap();
        assert!(!report.is_intact(), "round {round}: {name} changed unseen");
        assert_eq!(report.findings.len(), 1, "round {round}");
        assert_eq!(report.findings[0].path, name, "round {round}");
        std::fs::write(&path, &original).unwrap();
        cases += 1;
    }
    assert_eq!(cases, 2000);
    assert!(check(
        temp.path(),
        &manifest,
        &Limits::default(),
        CompareOptions::default()
    )
    .unwrap()
    .is_intact());
}

/// Every entry of a zip as the zip crate extracts it directly (name,
/// unix mode, content), or the first entry that does not read.
type Extracted = BTreeMap<String, (Option<u32>, Vec<u8>)>;
fn extract_all(path: &Path) -> Result<Extracted, String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut archive = zip::ZipArchive::new(file).map_err(|e| e.to_string())?;
    let mut all = BTreeMap::new();
    for index in 0..archive.len() {
        let mut file = archive
            .by_index(index)
            .map_err(|e| format!("#{index}: {e}"))?;
        let mut content = Vec::new();
        file.read_to_end(&mut content)
            .map_err(|e| format!("{}: {e}", file.name()))?;
        // A file-type of 0 is read as a regular file by unzippers (and by
        // fnguard): the same meaning as S_IFREG.
        let mode = file.unix_mode().map(|mode| {
            if mode & 0o170_000 == 0 {
                mode | 0o100_000
            } else {
                mode
            }
        });
        all.insert(file.name().to_owned(), (mode, content));
    }
    Ok(all)
}

#[test]
fn every_bit_flip_and_truncation_of_a_zip_package_is_detected_or_harmless() {
    let mut rng = Rng::new(0x2122_0b0b);
    let temp = TempDir::new();
    let entries = tamper_package(&mut rng);
    let zip = temp.path().join("pkg.zip");
    write_zip(&zip, &entries, true);
    let (manifest, _) = build(&zip, &Limits::default(), info()).unwrap();
    let original = std::fs::read(&zip).unwrap();
    let original_entries = extract_all(&zip).unwrap();
    let tampered_path = temp.path().join("tampered.zip");
    let (mut unreadable, mut reported, mut harmless) = (0, 0, 0);
    for round in 0..2000 {
        let mut tampered = original.clone();
        if round % 8 == 7 {
            tampered.truncate(rng.below(original.len()));
        } else {
            let bit = rng.below(original.len() * 8);
            tampered[bit / 8] ^= 1 << (bit % 8);
        }
        std::fs::write(&tampered_path, &tampered).unwrap();
        match check(
            &tampered_path,
            &manifest,
            &Limits::default(),
            CompareOptions::default(),
        ) {
            Err(_) => unreadable += 1,
            Ok(report) if !report.is_intact() => reported += 1,
            Ok(_) => {
                // Intact: then every entry must extract exactly as before.
                let extracted = extract_all(&tampered_path).unwrap_or_else(|error| {
                    panic!("round {round}: a zip that does not extract passed: {error}")
                });
                for (name, (mode, content)) in &original_entries {
                    let now = extracted.get(name);
                    assert!(
                        now == Some(&(*mode, content.clone())),
                        "round {round}: {name} changed unseen: mode {mode:?} -> {:?}",
                        now.map(|(mode, _)| mode)
                    );
                }
                assert_eq!(extracted.len(), original_entries.len(), "round {round}");
                harmless += 1;
            }
        }
    }
    println!("zip flips: {unreadable} unreadable, {reported} reported, {harmless} harmless");
    assert_eq!(unreadable + reported + harmless, 2000);
    // Nearly every random flip breaks a CRC or a structure: the zip itself
    // catches accidents. The manifest is for deliberate changes, below.
    assert!(unreadable > 1500, "{unreadable}");
}

#[test]
fn every_bit_flip_and_truncation_in_a_rezipped_package_is_detected() {
    // An attacker re-zips: CRCs and headers are consistent, only the
    // manifest can tell.
    let mut rng = Rng::new(0xa77a_c4e5);
    let temp = TempDir::new();
    let entries = tamper_package(&mut rng);
    let zip = temp.path().join("pkg.zip");
    write_zip(&zip, &entries, true);
    let (manifest, _) = build(&zip, &Limits::default(), info()).unwrap();
    let names = file_names(&entries);
    for round in 0..300 {
        let name = names[rng.below(names.len())];
        let tampered: Vec<Sample> = entries
            .iter()
            .map(|entry| match entry {
                Sample::File(path, content, mode) if *path == name => {
                    let mut content = content.clone();
                    if round % 4 == 3 {
                        content.truncate(rng.below(content.len()));
                    } else {
                        let bit = rng.below(content.len() * 8);
                        content[bit / 8] ^= 1 << (bit % 8);
                    }
                    Sample::File(path, content, *mode)
                }
                Sample::File(path, content, mode) => Sample::File(path, content.clone(), *mode),
                Sample::Symlink(path, target) => Sample::Symlink(path, target),
            })
            .collect();
        write_zip(&zip, &tampered, true);
        let digest = [DigestChoice::Blake3, DigestChoice::Sha256][round % 2];
        let report = check(
            &zip,
            &manifest,
            &Limits::default(),
            CompareOptions { digest },
        )
        .unwrap();
        assert_eq!(report.findings.len(), 1, "round {round}: {name}");
        assert_eq!(report.findings[0].path, name, "round {round}");
    }
}

#[test]
fn every_bit_flip_and_truncation_of_the_manifest_fails_or_only_changes_signed_metadata() {
    let mut rng = Rng::new(0x0dd_ba11);
    let temp = TempDir::new();
    let entries = tamper_package(&mut rng);
    write_folder(temp.path(), &entries);
    let (manifest, _) = build(temp.path(), &Limits::default(), info()).unwrap();
    let json = manifest.to_json();
    let files_start = find(&json, b"\"files\":");
    let files_end = find(&json, b",\"function\":");
    let digest_start = find(&json, b"\"digest\":");
    let (mut refused, mut metadata_only) = (0, 0);
    for _ in 0..5000 {
        let bit = rng.below(json.len() * 8);
        let mut flipped = json.clone();
        flipped[bit / 8] ^= 1 << (bit % 8);
        match Manifest::parse(&flipped) {
            Err(_) => refused += 1,
            Ok(parsed) => {
                let at = bit / 8;
                assert!(
                    !(files_start..files_end).contains(&at)
                        && !(digest_start..files_start).contains(&at),
                    "a flip at byte {at} of files/digest parsed"
                );
                assert_eq!(parsed.files, manifest.files);
                assert_eq!(parsed.digest, manifest.digest);
                assert_ne!(parsed, manifest, "a flip gave the same manifest");
                assert_eq!(parsed.to_json(), flipped, "one manifest, one byte form");
                metadata_only += 1;
            }
        }
    }
    println!("manifest flips: {refused} refused, {metadata_only} changed metadata only");
    assert!(refused > 0 && metadata_only > 0);
    for len in 0..json.len() {
        assert!(
            Manifest::parse(&json[..len]).is_err(),
            "truncated to {len} parsed"
        );
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
        .unwrap()
}
