//! Shared by the manifest tests: temporary folders, a sample package as a
//! folder and as a zip, zip byte surgery, and a seeded random generator.
#![allow(dead_code)] // Each test file uses a different part.

use std::io::Write;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use fnguard_sign::manifest::ManifestInfo;

/// A folder under the system's temporary folder, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "fnguard-sign-test-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One entry of a sample package.
pub enum Sample {
    File(&'static str, Vec<u8>, u32),
    Symlink(&'static str, &'static str),
}

/// A small but varied package: nested folders, an empty file, a binary
/// file, an executable, a file larger than one read buffer, symlinks inside
/// and outside the package.
pub fn sample() -> Vec<Sample> {
    let big: Vec<u8> = (0..1_500_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    vec![
        Sample::File(
            "index.js",
            b"exports.handler = async () => 'ok';\n".to_vec(),
            0o644,
        ),
        Sample::File(
            "bootstrap",
            b"#!/bin/sh\nexec node index.js\n".to_vec(),
            0o755,
        ),
        Sample::File("empty.txt", Vec::new(), 0o644),
        Sample::File("lib/util.js", b"module.exports = 42;\n".to_vec(), 0o644),
        Sample::File(
            "lib/deep/data.bin",
            (0..=255u8).cycle().take(5000).collect(),
            0o600,
        ),
        Sample::File("node_modules/big/blob.bin", big, 0o644),
        Sample::Symlink("current", "lib/util.js"),
        Sample::Symlink("shared", "/opt/shared"),
    ]
}

pub fn write_folder(root: &Path, entries: &[Sample]) {
    for entry in entries {
        match entry {
            Sample::File(path, content, mode) => {
                let path = root.join(path);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, content).unwrap();
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(*mode)).unwrap();
            }
            Sample::Symlink(path, target) => {
                let path = root.join(path);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                symlink(target, path).unwrap();
            }
        }
    }
}

/// A zip of `entries` (folders listed as entries too, as `zip -r` does);
/// `with_modes: false` writes no unix mode (as Windows tools do).
pub fn write_zip(path: &Path, entries: &[Sample], with_modes: bool) {
    let file = std::fs::File::create(path).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut folders = std::collections::BTreeSet::new();
    for entry in entries {
        let name = match entry {
            Sample::File(name, ..) | Sample::Symlink(name, _) => *name,
        };
        let mut end = 0;
        while let Some(slash) = name[end..].find('/') {
            end += slash + 1;
            if folders.insert(name[..end].to_owned()) {
                zip.add_directory(&name[..end], options).unwrap();
            }
        }
        match entry {
            Sample::File(name, content, mode) => {
                let options = if with_modes {
                    options.unix_permissions(*mode)
                } else {
                    options
                };
                zip.start_file(*name, options).unwrap();
                zip.write_all(content).unwrap();
            }
            Sample::Symlink(name, target) => {
                zip.add_symlink(*name, *target, options.unix_permissions(0o777))
                    .unwrap();
            }
        }
    }
    zip.finish().unwrap();
}

/// Writes a zip of raw (name, content) pairs, stored or deflated.
pub fn zip_of(path: &Path, files: &[(&str, &[u8])], compression: zip::CompressionMethod) {
    let file = std::fs::File::create(path).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(compression)
        .unix_permissions(0o644);
    for (name, content) in files {
        zip.start_file(*name, options).unwrap();
        zip.write_all(content).unwrap();
    }
    zip.finish().unwrap();
}

/// Replaces every occurrence of `from` by `to` (same length) in a file: a
/// zip entry name is in its local header and in the central directory.
pub fn patch_bytes(path: &Path, from: &[u8], to: &[u8]) {
    assert_eq!(from.len(), to.len());
    let mut bytes = std::fs::read(path).unwrap();
    let mut found = 0;
    let mut at = 0;
    while let Some(offset) = bytes[at..].windows(from.len()).position(|w| w == from) {
        bytes[at + offset..at + offset + to.len()].copy_from_slice(to);
        at += offset + to.len();
        found += 1;
    }
    assert!(found > 0, "{:?} not found", String::from_utf8_lossy(from));
    std::fs::write(path, bytes).unwrap();
}

pub fn info() -> ManifestInfo {
    ManifestInfo {
        created: "2026-12-06T03:00:00Z".to_owned(),
        signer_key_id: "0123456789abcdef".to_owned(),
        function: None,
        layers: None,
    }
}

/// xorshift64*: deterministic, so that a failing case can be replayed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Sets the "version made by" and external attributes of the central
/// record of every entry `select` picks (by name): what decides the unix
/// mode a reader sees, and what zip writers will not set freely.
pub fn set_central_attributes(
    path: &Path,
    select: impl Fn(&str) -> bool,
    made_by: u16,
    external: u32,
) {
    let offsets: Vec<u64> = {
        let mut archive = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
        (0..archive.len())
            .filter_map(|index| {
                let file = archive.by_index_raw(index).unwrap();
                select(file.name()).then(|| file.central_header_start())
            })
            .collect()
    };
    assert!(!offsets.is_empty());
    let mut bytes = std::fs::read(path).unwrap();
    for offset in offsets {
        let at = offset as usize;
        bytes[at + 4..at + 6].copy_from_slice(&made_by.to_le_bytes());
        bytes[at + 38..at + 42].copy_from_slice(&external.to_le_bytes());
    }
    std::fs::write(path, bytes).unwrap();
}
