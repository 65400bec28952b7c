//! The whole chain, as `fnguard verify` and `fnguard guard` run it: a
//! package signed with [`seal::seal`] and written into itself (a folder, and
//! a zip with the manifest embedded), then thousands of random single-bit
//! flips and truncations across the package's files, the manifest and the
//! signature file, each checked with [`seal::verify`]. Every one is caught
//! (an error, or a report that is not intact), none panics, and the
//! untouched package verifies each time.
//!
//! The one part of a minisign signature nobody signs is its first line, the
//! untrusted comment: flips there are allowed to verify, as with minisign,
//! and the test says so rather than skipping those bytes.

mod manifest_util;

use fnguard_sign::minisign::{PublicKey, SecretKey};
use fnguard_sign::package::{read_embedded, DigestChoice, Limits, MANIFEST_FILE, SIGNATURE_FILE};
use fnguard_sign::seal::{self, SealOptions, Sources, VerifyError};
use manifest_util::{sample, write_folder, write_zip, Rng, TempDir};
use std::path::{Path, PathBuf};

fn options() -> SealOptions {
    SealOptions {
        function_name: Some("orders".into()),
        runtime: Some("nodejs20.x".into()),
        created: "2026-12-06T03:30:00Z".into(),
        created_unix: 1_796_527_800,
        ..SealOptions::default()
    }
}

/// Whether the package at `path` verifies as intact with `keys`.
fn intact(path: &Path, sources: &Sources, keys: &[PublicKey], digest: DigestChoice) -> bool {
    match seal::verify(path, sources, keys, digest, &Limits::default()) {
        Ok(verified) => verified.report.is_intact(),
        Err(VerifyError::Input(message)) => panic!("input error on a tampered package: {message}"),
        Err(_) => false,
    }
}

/// The byte range of the signature file's first line (the untrusted
/// comment, newline included).
fn untrusted_line(signature: &[u8]) -> std::ops::Range<usize> {
    let end = signature
        .iter()
        .position(|&b| b == b'\n')
        .map_or(signature.len(), |i| i + 1);
    0..end
}

/// Flips one random bit of `bytes` or truncates them; says which byte.
fn mutate(rng: &mut Rng, bytes: &[u8]) -> (Vec<u8>, usize) {
    let mut changed = bytes.to_vec();
    if bytes.is_empty() || rng.next() % 8 == 0 {
        let keep = if bytes.is_empty() {
            0
        } else {
            (rng.next() as usize) % bytes.len()
        };
        changed.truncate(keep);
        if bytes.is_empty() {
            changed.push(b'x');
        }
        return (changed, keep);
    }
    let at = (rng.next() as usize) % bytes.len();
    changed[at] ^= 1 << (rng.next() % 8);
    (changed, at)
}

#[test]
fn every_flip_of_a_signed_folder_its_manifest_or_its_signature_is_caught() {
    let dir = TempDir::new();
    let root = dir.path().join("pkg");
    write_folder(&root, &sample());
    let key = SecretKey::generate().unwrap();
    let keys = [key.public_key()];
    let sealed = seal::seal(&root, &key, &options()).unwrap();
    seal::write_into(&sealed, &root).unwrap();
    let sources = Sources::default();
    assert!(intact(&root, &sources, &keys, DigestChoice::Blake3));

    // Another key does not verify it.
    let stranger = [SecretKey::generate().unwrap().public_key()];
    assert!(!intact(&root, &sources, &stranger, DigestChoice::Blake3));

    let files: Vec<PathBuf> = [
        "index.js",
        "bootstrap",
        "lib/util.js",
        "lib/deep/data.bin",
        MANIFEST_FILE,
        SIGNATURE_FILE,
    ]
    .iter()
    .map(|name| root.join(name))
    .collect();
    let mut rng = Rng::new(0x5ea1);
    let (mut caught, mut comment_only) = (0, 0);
    for round in 0..1500 {
        let path = &files[round % files.len()];
        let original = std::fs::read(path).unwrap();
        let (changed, at) = mutate(&mut rng, &original);
        std::fs::write(path, &changed).unwrap();
        // Both digests alternately: either alone must catch content changes.
        let digest = if round % 2 == 0 {
            DigestChoice::Blake3
        } else {
            DigestChoice::Sha256
        };
        let verified = intact(&root, &sources, &keys, digest);
        let in_untrusted_comment = path.ends_with(SIGNATURE_FILE)
            && changed.len() == original.len()
            && untrusted_line(&original).contains(&at)
            && original[at] != b'\n';
        if in_untrusted_comment {
            comment_only += 1;
        } else {
            assert!(
                !verified,
                "undetected change at byte {at} of {}",
                path.display()
            );
            caught += 1;
        }
        std::fs::write(path, &original).unwrap();
    }
    assert!(caught > 1200, "{caught}");
    assert!(
        comment_only > 0,
        "the untrusted comment was never hit: the test does not test it"
    );
    assert!(intact(&root, &sources, &keys, DigestChoice::Both));
}

#[test]
fn every_flip_of_a_signed_zip_with_its_embedded_manifest_is_caught() {
    let dir = TempDir::new();
    let zip_path = dir.path().join("function.zip");
    write_zip(&zip_path, &sample(), true);
    let key = SecretKey::generate().unwrap();
    let keys = [key.public_key()];
    let sealed = seal::seal(&zip_path, &key, &options()).unwrap();
    seal::write_into(&sealed, &zip_path).unwrap();
    let embedded = read_embedded(&zip_path, &Limits::default()).unwrap();
    assert_eq!(
        embedded.manifest.as_deref(),
        Some(&sealed.manifest_json[..])
    );
    let sources = Sources::default();
    assert!(intact(&zip_path, &sources, &keys, DigestChoice::Blake3));

    let original = std::fs::read(&zip_path).unwrap();
    let mut rng = Rng::new(0x21b);
    let mut still_intact = 0;
    for _ in 0..1500 {
        let (changed, _) = mutate(&mut rng, &original);
        std::fs::write(&zip_path, &changed).unwrap();
        if intact(&zip_path, &sources, &keys, DigestChoice::Blake3) {
            // Only bytes nothing covers may change without notice (entry
            // times, version fields, the untrusted comment): whatever the
            // zip now holds must be exactly what was signed.
            let again = seal::verify(
                &zip_path,
                &sources,
                &keys,
                DigestChoice::Both,
                &Limits::default(),
            )
            .expect("verified once, verifies with both digests");
            assert!(again.report.is_intact());
            still_intact += 1;
        }
    }
    // Nearly every flip breaks a CRC or a signed byte.
    assert!(
        still_intact < 300,
        "{still_intact} of 1500 flips left the zip intact"
    );
    std::fs::write(&zip_path, &original).unwrap();
    assert!(intact(&zip_path, &sources, &keys, DigestChoice::Blake3));
}

#[test]
fn a_manifest_kept_beside_the_package_is_found_by_path_and_must_be_signed() {
    let dir = TempDir::new();
    let root = dir.path().join("pkg");
    write_folder(&root, &sample());
    let out = dir.path().join("out");
    let key = SecretKey::generate().unwrap();
    let keys = [key.public_key()];
    let sealed = seal::seal(&root, &key, &options()).unwrap();
    seal::write_beside(&sealed, &out).unwrap();
    let sources = Sources {
        manifest: Some(out.join(MANIFEST_FILE)),
        signature: None,
    };
    assert!(intact(&root, &sources, &keys, DigestChoice::Blake3));
    // No signature beside it: refused as unsigned, not an input error.
    std::fs::remove_file(out.join(SIGNATURE_FILE)).unwrap();
    assert!(matches!(
        seal::verify(
            &root,
            &sources,
            &keys,
            DigestChoice::Blake3,
            &Limits::default()
        ),
        Err(VerifyError::Signature(_))
    ));
    // A package without any manifest is unsigned, not intact.
    assert!(matches!(
        seal::verify(
            &root,
            &Sources::default(),
            &keys,
            DigestChoice::Blake3,
            &Limits::default()
        ),
        Err(VerifyError::Manifest(_))
    ));
    // A manifest path that does not exist is the user's error.
    let missing = Sources {
        manifest: Some(dir.path().join("nope.json")),
        signature: None,
    };
    assert!(matches!(
        seal::verify(
            &root,
            &missing,
            &keys,
            DigestChoice::Blake3,
            &Limits::default()
        ),
        Err(VerifyError::Input(_))
    ));
}

#[test]
fn the_trusted_comment_names_the_manifest_and_a_swapped_signature_is_refused() {
    let dir = TempDir::new();
    let first = dir.path().join("a");
    let second = dir.path().join("b");
    write_folder(&first, &sample());
    write_folder(&second, &sample());
    std::fs::write(second.join("index.js"), "exports.handler = () => 'evil';\n").unwrap();
    let key = SecretKey::generate().unwrap();
    let keys = [key.public_key()];
    let sealed_first = seal::seal(&first, &key, &options()).unwrap();
    let sealed_second = seal::seal(&second, &key, &options()).unwrap();
    let comment = &sealed_first.signature.trusted_comment;
    assert!(
        comment.contains(&format!("sha256:{}", sealed_first.digest_hex)),
        "{comment}"
    );
    assert!(comment.contains("function:orders"), "{comment}");
    // The first package's manifest with the second's signature: the
    // signature covers other bytes.
    seal::write_into(&sealed_first, &first).unwrap();
    std::fs::write(
        first.join(SIGNATURE_FILE),
        sealed_second.signature.to_file_string(),
    )
    .unwrap();
    assert!(!intact(
        &first,
        &Sources::default(),
        &keys,
        DigestChoice::Blake3
    ));
}
