//! Reading packages: folders and zips give the same entries, hostile zips
//! are refused with the entry named, caps hold, the embedded manifest is
//! read and written.

mod manifest_util;

use std::path::Path;

use fnguard_sign::manifest::{build, FileKind};
use fnguard_sign::package::{
    embed_in_zip, read_dir, read_embedded, read_package, read_zip, DigestChoice, EntryKind, Limits,
    PackageError, MANIFEST_FILE, SIGNATURE_FILE,
};
use manifest_util::{
    info, patch_bytes, sample, set_central_attributes, write_folder, write_zip, zip_of, Sample,
    TempDir,
};

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    fnguard_sign::package::to_hex(&sha2::Sha256::digest(bytes))
}

#[test]
fn folder_and_zip_of_the_same_content_give_the_same_manifest() {
    let temp = TempDir::new();
    let folder = temp.path().join("pkg");
    write_folder(&folder, &sample());
    let zip = temp.path().join("pkg.zip");
    write_zip(&zip, &sample(), true);

    let (from_folder, _) = build(&folder, &Limits::default(), info()).unwrap();
    let (from_zip, _) = build(&zip, &Limits::default(), info()).unwrap();
    assert_eq!(from_folder, from_zip);
    assert_eq!(from_folder.to_json(), from_zip.to_json());

    // The entries are what was written: folders are not entries, symlinks
    // keep their target as written (even one leaving the package).
    let paths: Vec<&str> = from_folder.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "bootstrap",
            "current",
            "empty.txt",
            "index.js",
            "lib/deep/data.bin",
            "lib/util.js",
            "node_modules/big/blob.bin",
            "shared"
        ]
    );
    let index = from_folder.file("index.js").unwrap();
    let content = b"exports.handler = async () => 'ok';\n";
    assert_eq!(index.mode, Some(0o644));
    match &index.kind {
        FileKind::File {
            size,
            sha256,
            blake3,
        } => {
            assert_eq!(*size, content.len() as u64);
            assert_eq!(*sha256, sha256_hex(content));
            assert_eq!(*blake3, blake3::hash(content).to_hex().as_str());
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(from_folder.file("bootstrap").unwrap().mode, Some(0o755));
    assert_eq!(
        from_folder.file("shared").unwrap().kind,
        FileKind::Symlink {
            target: "/opt/shared".to_owned()
        }
    );
    // The big file spans several read buffers and is still hashed whole.
    let big = match &from_folder.file("node_modules/big/blob.bin").unwrap().kind {
        FileKind::File { size, blake3, .. } => (*size, blake3.clone()),
        other => panic!("{other:?}"),
    };
    let Sample::File(_, big_content, _) = &sample()[5] else {
        unreachable!()
    };
    assert_eq!(
        big,
        (1_500_000, blake3::hash(big_content).to_hex().to_string())
    );
}

#[test]
fn a_zip_without_unix_modes_differs_only_by_modes() {
    let temp = TempDir::new();
    let folder = temp.path().join("pkg");
    write_folder(&folder, &sample());
    let zip = temp.path().join("windows.zip");
    // Symlinks need a unix mode to exist at all: files only here.
    let files: Vec<Sample> = sample()
        .into_iter()
        .filter(|entry| matches!(entry, Sample::File(..)))
        .collect();
    write_zip(&zip, &files, true);
    // As a DOS tool writes them: no unix mode at all.
    set_central_attributes(&zip, |_| true, 20, 0);
    let from_zip = read_zip(&zip, &Limits::default(), DigestChoice::Both).unwrap();
    let from_folder = read_dir(&folder, &Limits::default(), DigestChoice::Both).unwrap();
    let from_folder: Vec<_> = from_folder
        .into_iter()
        .filter(|entry| matches!(entry.kind, EntryKind::File { .. }))
        .map(|mut entry| {
            entry.mode = None;
            entry
        })
        .collect();
    assert_eq!(from_zip, from_folder);
}

#[test]
fn only_the_requested_digests_are_computed() {
    let temp = TempDir::new();
    write_folder(temp.path(), &sample());
    for (choice, sha, b3) in [
        (DigestChoice::Blake3, false, true),
        (DigestChoice::Sha256, true, false),
        (DigestChoice::Both, true, true),
    ] {
        let entries = read_package(temp.path(), &Limits::default(), choice).unwrap();
        let file = entries.iter().find(|e| e.path == "index.js").unwrap();
        assert_eq!(
            (file.sha256.is_some(), file.blake3.is_some()),
            (sha, b3),
            "{choice:?}"
        );
        let link = entries.iter().find(|e| e.path == "current").unwrap();
        assert_eq!((link.sha256.clone(), link.blake3.clone()), (None, None));
    }
}

#[test]
fn the_manifest_files_are_skipped_at_the_root_only() {
    let temp = TempDir::new();
    write_folder(temp.path(), &sample());
    std::fs::write(temp.path().join(MANIFEST_FILE), b"{}").unwrap();
    std::fs::write(temp.path().join(SIGNATURE_FILE), b"sig").unwrap();
    std::fs::write(temp.path().join("lib").join(MANIFEST_FILE), b"{}").unwrap();
    let entries = read_dir(temp.path(), &Limits::default(), DigestChoice::Blake3).unwrap();
    let paths: Vec<&str> = entries.iter().map(|e| e.path.as_str()).collect();
    assert!(!paths.contains(&MANIFEST_FILE));
    assert!(!paths.contains(&SIGNATURE_FILE));
    assert!(paths.contains(&"lib/fnguard.manifest.json"));
}

#[test]
fn symlinks_in_folders_are_recorded_not_followed() {
    let temp = TempDir::new();
    let outside = temp.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    std::fs::write(outside.join("secret"), b"x").unwrap();
    let package = temp.path().join("pkg");
    std::fs::create_dir(&package).unwrap();
    std::os::unix::fs::symlink(&outside, package.join("link")).unwrap();
    let entries = read_dir(&package, &Limits::default(), DigestChoice::Blake3).unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(
        entries[0].kind,
        EntryKind::Symlink {
            target: outside.to_str().unwrap().to_owned()
        }
    );
}

fn zip_error(path: &Path, limits: &Limits) -> PackageError {
    read_zip(path, limits, DigestChoice::Blake3).expect_err("the zip must be refused")
}

#[test]
fn hostile_zip_entry_names_are_refused_naming_the_entry() {
    let temp = TempDir::new();
    // Names are written with placeholders of the same length, then patched
    // in both headers: the zip writer would not write some of them.
    for (placeholder, hostile, reason) in [
        ("xetc/passwd", "/etc/passwd", "absolute"),
        ("a/xx/xx/evil", "a/../../evil", ".."),
        ("dir_file.js", "dir\\file.js", "backslash"),
        ("cxwindows.js", "c:windows.js", "drive letter"),
        ("nulxname.js", "nul\0name.js", "NUL"),
        ("a/x/b.js", "a/./b.js", "'.'"),
        ("a/xb.js", "a//b.js", "empty component"),
    ] {
        let zip = temp.path().join("hostile.zip");
        zip_of(
            &zip,
            &[("ok.js", b"1"), (placeholder, b"2")],
            zip::CompressionMethod::Deflated,
        );
        patch_bytes(&zip, placeholder.as_bytes(), hostile.as_bytes());
        let error = zip_error(&zip, &Limits::default());
        let message = error.to_string();
        assert!(
            matches!(&error, PackageError::BadEntry { name, .. } if name == hostile),
            "{hostile:?}: {message}"
        );
        assert!(message.contains(reason), "{hostile:?}: {message}");
    }
}

#[test]
fn duplicate_zip_entries_are_refused() {
    let temp = TempDir::new();
    let zip = temp.path().join("dup.zip");
    zip_of(
        &zip,
        &[("a.js", b"good"), ("b.js", b"evil")],
        zip::CompressionMethod::Stored,
    );
    patch_bytes(&zip, b"b.js", b"a.js");
    let error = zip_error(&zip, &Limits::default());
    assert!(
        matches!(&error, PackageError::Duplicate { name } if name == "a.js"),
        "{error}"
    );
}

#[test]
fn a_local_header_naming_another_file_is_refused() {
    let temp = TempDir::new();
    let zip = temp.path().join("local.zip");
    zip_of(&zip, &[("index.js", b"x")], zip::CompressionMethod::Stored);
    // Only the first occurrence (the local header) is changed.
    let mut bytes = std::fs::read(&zip).unwrap();
    let at = bytes.windows(8).position(|w| w == b"index.js").unwrap();
    bytes[at..at + 8].copy_from_slice(b"evil.so!");
    std::fs::write(&zip, bytes).unwrap();
    let error = zip_error(&zip, &Limits::default());
    assert!(error.to_string().contains("local header"), "{error}");
    assert!(error.to_string().contains("index.js"), "{error}");
}

#[test]
fn entries_below_a_file_or_a_symlink_are_refused() {
    let temp = TempDir::new();
    let zip = temp.path().join("through.zip");
    let file = std::fs::File::create(&zip).unwrap();
    let mut writer = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default();
    writer.add_symlink("lib", "/tmp", options).unwrap();
    writer.start_file("lib/x.js", options).unwrap();
    writer.finish().unwrap();
    let error = zip_error(&zip, &Limits::default());
    assert!(
        matches!(&error, PackageError::NotAFolder { name, ancestor } if name == "lib/x.js" && ancestor == "lib"),
        "{error}"
    );

    // A name used for a file and for a folder entry.
    let zip = temp.path().join("both.zip");
    let file = std::fs::File::create(&zip).unwrap();
    let mut writer = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default();
    writer.start_file("a", options).unwrap();
    writer.add_directory("a/", options).unwrap();
    writer.finish().unwrap();
    let error = zip_error(&zip, &Limits::default());
    assert!(error.to_string().contains("folder of this name"), "{error}");
}

#[test]
fn zip_bombs_and_oversized_packages_are_refused() {
    let temp = TempDir::new();
    let zeros = vec![0u8; 4 << 20];
    let bomb = temp.path().join("bomb.zip");
    zip_of(
        &bomb,
        &[("zeros.bin", &zeros)],
        zip::CompressionMethod::Deflated,
    );
    // Deflate packs zeros about 1000:1: over the default ratio cap.
    let error = zip_error(&bomb, &Limits::default());
    assert!(
        matches!(&error, PackageError::RatioTooHigh { name, .. } if name == "zeros.bin"),
        "{error}"
    );
    assert!(error.to_string().contains("zip bomb"));
    // The same file stored (ratio 1) passes.
    let stored = temp.path().join("stored.zip");
    zip_of(
        &stored,
        &[("zeros.bin", &zeros)],
        zip::CompressionMethod::Stored,
    );
    read_zip(&stored, &Limits::default(), DigestChoice::Blake3).unwrap();

    let small_entries = Limits {
        max_entry_bytes: 1 << 20,
        ..Limits::default()
    };
    let error = zip_error(&stored, &small_entries);
    assert!(
        matches!(&error, PackageError::EntryTooLarge { name, limit } if name == "zeros.bin" && *limit == 1 << 20),
        "{error}"
    );

    let two = temp.path().join("two.zip");
    let half = vec![7u8; 600_000];
    zip_of(
        &two,
        &[("a", &half), ("b", &half)],
        zip::CompressionMethod::Stored,
    );
    let small_total = Limits {
        max_total_bytes: 1_000_000,
        ..Limits::default()
    };
    let error = zip_error(&two, &small_total);
    assert!(
        matches!(error, PackageError::TotalTooLarge { .. }),
        "{error}"
    );
    read_zip(&two, &Limits::default(), DigestChoice::Blake3).unwrap();

    let few = Limits {
        max_entries: 1,
        ..Limits::default()
    };
    let error = zip_error(&two, &few);
    assert!(
        matches!(error, PackageError::TooManyEntries { limit: 1 }),
        "{error}"
    );

    // Folders: the same caps.
    let folder = temp.path().join("folder");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("a"), &half).unwrap();
    std::fs::write(folder.join("b"), &half).unwrap();
    assert!(matches!(
        read_dir(&folder, &small_total, DigestChoice::Blake3),
        Err(PackageError::TotalTooLarge { .. })
    ));
    assert!(matches!(
        read_dir(&folder, &few, DigestChoice::Blake3),
        Err(PackageError::TooManyEntries { .. })
    ));
    let tiny_entries = Limits {
        max_entry_bytes: 1000,
        ..Limits::default()
    };
    assert!(matches!(
        read_dir(&folder, &tiny_entries, DigestChoice::Blake3),
        Err(PackageError::EntryTooLarge { .. })
    ));
}

#[test]
fn a_lying_declared_size_does_not_get_past_the_caps() {
    let temp = TempDir::new();
    let zip = temp.path().join("liar.zip");
    let content = vec![b'a'; 5000];
    zip_of(&zip, &[("f", &content)], zip::CompressionMethod::Deflated);
    // Declare 16 bytes uncompressed (local and central headers) for 5000.
    let mut bytes = std::fs::read(&zip).unwrap();
    let declared = 5000u32.to_le_bytes();
    let mut patched = 0;
    for at in 0..bytes.len() - 4 {
        if bytes[at..at + 4] == declared {
            bytes[at..at + 4].copy_from_slice(&16u32.to_le_bytes());
            patched += 1;
        }
    }
    assert!(patched >= 2);
    std::fs::write(&zip, bytes).unwrap();
    let limits = Limits {
        max_entry_bytes: 1000,
        ..Limits::default()
    };
    // Whatever the zip crate makes of the lie, no more than the cap is
    // accepted and nothing panics.
    match read_zip(&zip, &limits, DigestChoice::Blake3) {
        Ok(entries) => match entries[0].kind {
            EntryKind::File { size } => assert!(size <= 1000, "{size}"),
            ref other => panic!("{other:?}"),
        },
        Err(error) => assert!(error.to_string().contains("\"f\""), "{error}"),
    }
}

#[test]
fn a_folder_mode_on_a_file_name_is_refused() {
    let temp = TempDir::new();
    let zip = temp.path().join("dirmode.zip");
    let file = std::fs::File::create(&zip).unwrap();
    let mut writer = zip::ZipWriter::new(file);
    writer
        .start_file("sneaky", zip::write::SimpleFileOptions::default())
        .unwrap();
    std::io::Write::write_all(&mut writer, b"content").unwrap();
    writer.finish().unwrap();
    set_central_attributes(&zip, |_| true, (3 << 8) | 20, 0o040_755 << 16);
    let error = zip_error(&zip, &Limits::default());
    assert!(error.to_string().contains("sneaky"), "{error}");
}

#[test]
fn garbage_and_missing_packages_are_errors() {
    let temp = TempDir::new();
    let garbage = temp.path().join("garbage.zip");
    std::fs::write(&garbage, b"PK\x03\x04 not really a zip").unwrap();
    assert!(matches!(
        zip_error(&garbage, &Limits::default()),
        PackageError::Zip(_)
    ));
    let missing = temp.path().join("missing");
    assert!(matches!(
        read_package(&missing, &Limits::default(), DigestChoice::Blake3),
        Err(PackageError::Io { .. })
    ));
}

#[test]
fn embedding_adds_then_replaces_and_keeps_other_entries_raw() {
    let temp = TempDir::new();
    let zip = temp.path().join("pkg.zip");
    write_zip(&zip, &sample(), true);
    {
        // A zip comment survives the rewrite.
        let mut bytes = std::fs::read(&zip).unwrap();
        let len = bytes.len();
        bytes[len - 2..].copy_from_slice(&7u16.to_le_bytes());
        bytes.extend_from_slice(b"comment");
        std::fs::write(&zip, bytes).unwrap();
    }
    let raw_entries = |path: &Path| -> Vec<(String, Vec<u8>)> {
        let mut archive = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
        (0..archive.len())
            .map(|index| {
                let mut file = archive.by_index_raw(index).unwrap();
                let mut raw = Vec::new();
                std::io::Read::read_to_end(&mut file, &mut raw).unwrap();
                (file.name().to_owned(), raw)
            })
            .filter(|(name, _)| name != MANIFEST_FILE && name != SIGNATURE_FILE)
            .collect()
    };
    let before = raw_entries(&zip);
    let entries_before = read_zip(&zip, &Limits::default(), DigestChoice::Both).unwrap();
    assert_eq!(
        read_embedded(&zip, &Limits::default()).unwrap(),
        Default::default()
    );

    embed_in_zip(
        &zip,
        &[(MANIFEST_FILE, b"first"), (SIGNATURE_FILE, b"sig1")],
    )
    .unwrap();
    embed_in_zip(
        &zip,
        &[(MANIFEST_FILE, b"second"), (SIGNATURE_FILE, b"sig2")],
    )
    .unwrap();

    let embedded = read_embedded(&zip, &Limits::default()).unwrap();
    assert_eq!(embedded.manifest.as_deref(), Some(&b"second"[..]));
    assert_eq!(embedded.signature.as_deref(), Some(&b"sig2"[..]));
    let archive = zip::ZipArchive::new(std::fs::File::open(&zip).unwrap()).unwrap();
    let names: Vec<&str> = archive.file_names().collect();
    assert_eq!(names.iter().filter(|n| **n == MANIFEST_FILE).count(), 1);
    assert_eq!(archive.comment(), b"comment");
    assert_eq!(raw_entries(&zip), before);
    // The package read is unchanged: the manifest files are not entries.
    assert_eq!(
        read_zip(&zip, &Limits::default(), DigestChoice::Both).unwrap(),
        entries_before
    );
    // Info-ZIP, an independent reader, finds the archive sound and sees the
    // symlinks as symlinks (where it is installed, as on this project's
    // machines).
    if let Ok(output) = std::process::Command::new("zipinfo").arg(&zip).output() {
        let listing = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{listing}");
        let line = listing.lines().find(|l| l.ends_with(" current")).unwrap();
        assert!(line.starts_with("lrwxrwxrwx"), "{line}");
        let test = std::process::Command::new("unzip")
            .arg("-tq")
            .arg(&zip)
            .output()
            .unwrap();
        assert!(
            test.status.success(),
            "{}",
            String::from_utf8_lossy(&test.stdout)
        );
    }
    // No temporary file left behind.
    let left: Vec<_> = std::fs::read_dir(temp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["pkg.zip"]);
}

#[test]
fn embedding_refuses_bad_names_and_bad_zips_without_touching_them() {
    let temp = TempDir::new();
    let zip = temp.path().join("pkg.zip");
    zip_of(&zip, &[("a.js", b"1")], zip::CompressionMethod::Deflated);
    let before = std::fs::read(&zip).unwrap();
    assert!(embed_in_zip(&zip, &[("../evil", b"x")]).is_err());
    assert_eq!(std::fs::read(&zip).unwrap(), before);
    let garbage = temp.path().join("garbage.zip");
    std::fs::write(&garbage, b"nope").unwrap();
    assert!(embed_in_zip(&garbage, &[(MANIFEST_FILE, b"x")]).is_err());
    assert_eq!(std::fs::read(&garbage).unwrap(), b"nope");
    let left = std::fs::read_dir(temp.path()).unwrap().count();
    assert_eq!(left, 2);
}

#[test]
fn a_fifo_in_a_folder_is_recorded_by_type_and_never_opened() {
    let temp = TempDir::new();
    std::fs::write(temp.path().join("a.js"), b"1").unwrap();
    let status = std::process::Command::new("mkfifo")
        .arg(temp.path().join("pipe"))
        .status()
        .unwrap();
    assert!(status.success());
    // Opening the FIFO for reading would block this test forever.
    let entries = read_dir(temp.path(), &Limits::default(), DigestChoice::Blake3).unwrap();
    assert_eq!(entries[1].path, "pipe");
    assert_eq!(entries[1].kind, EntryKind::Other);
    let (manifest, issues) = build(temp.path(), &Limits::default(), info()).unwrap();
    assert_eq!(manifest.file("pipe").unwrap().kind, FileKind::Other);
    assert_eq!(
        issues.iter().map(ToString::to_string).collect::<Vec<_>>(),
        ["pipe: not a file, folder or symlink; recorded by type only"]
    );
}

#[test]
fn a_zip_with_data_before_it_reads_or_is_refused_cleanly() {
    // Self-extracting archives carry a program before the zip. Reading one
    // must not misplace the central directory walk; embedding refuses it.
    let temp = TempDir::new();
    let zip = temp.path().join("plain.zip");
    zip_of(
        &zip,
        &[("a.js", b"1"), ("b.js", b"2")],
        zip::CompressionMethod::Deflated,
    );
    let mut bytes = b"#!/bin/sh\nexit 0\n".repeat(10);
    bytes.extend(std::fs::read(&zip).unwrap());
    let prefixed = temp.path().join("prefixed.zip");
    std::fs::write(&prefixed, bytes).unwrap();
    let entries = read_zip(&prefixed, &Limits::default(), DigestChoice::Blake3).unwrap();
    assert_eq!(
        entries.iter().map(|e| e.path.as_str()).collect::<Vec<_>>(),
        ["a.js", "b.js"]
    );
    let error = embed_in_zip(&prefixed, &[(MANIFEST_FILE, b"x")]).unwrap_err();
    assert!(
        error.to_string().contains("data before its first entry"),
        "{error}"
    );
}

#[test]
fn special_file_entries_in_zips_must_be_empty() {
    let temp = TempDir::new();
    let zip = temp.path().join("fifo.zip");
    zip_of(
        &zip,
        &[("empty-pipe", b""), ("full-pipe", b"#!/bin/sh\nevil\n")],
        zip::CompressionMethod::Deflated,
    );
    set_central_attributes(
        &zip,
        |name| name.ends_with("pipe"),
        (3 << 8) | 20,
        0o010_644 << 16,
    );
    let error = zip_error(&zip, &Limits::default());
    assert!(
        matches!(&error, PackageError::BadEntry { name, reason } if name == "full-pipe" && reason.contains("special file")),
        "{error}"
    );
    let zip = temp.path().join("empty-fifo.zip");
    zip_of(&zip, &[("pipe", b"")], zip::CompressionMethod::Deflated);
    set_central_attributes(&zip, |_| true, (3 << 8) | 20, 0o010_644 << 16);
    let entries = read_zip(&zip, &Limits::default(), DigestChoice::Blake3).unwrap();
    assert_eq!(entries[0].kind, EntryKind::Other);
    assert_eq!(entries[0].mode, Some(0o644));
}

#[test]
fn embedding_into_an_empty_zip_works() {
    let temp = TempDir::new();
    let zip = temp.path().join("empty.zip");
    zip_of(&zip, &[], zip::CompressionMethod::Deflated);
    embed_in_zip(&zip, &[(MANIFEST_FILE, b"{}\n")]).unwrap();
    let embedded = read_embedded(&zip, &Limits::default()).unwrap();
    assert_eq!(embedded.manifest.as_deref(), Some(&b"{}\n"[..]));
    assert_eq!(embedded.signature, None);
    assert!(read_zip(&zip, &Limits::default(), DigestChoice::Both)
        .unwrap()
        .is_empty());
}
