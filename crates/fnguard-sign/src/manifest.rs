//! The package manifest: every file of a function package (path, type,
//! size, mode, SHA-256, BLAKE3, symlink target) as canonical JSON, and the
//! package's overall digest.
//!
//! # Format (`fnguard.manifest/1`)
//!
//! ```json
//! {"created":"2026-12-06T03:00:00Z",
//!  "digest":{"blake3":"…","sha256":"…"},
//!  "files":[{"blake3":"…","mode":420,"path":"index.js","sha256":"…","size":12,"type":"file"},
//!           {"mode":511,"path":"lib","target":"../shared","type":"symlink"}],
//!  "function":{"name":"orders","runtime":"nodejs22.x","runtime_version_arn":"arn:…"},
//!  "layers":[{"digest":{"blake3":"…","sha256":"…"},"name_or_arn":"arn:…"}],
//!  "schema":"fnguard.manifest/1",
//!  "signer_key_id":"0123456789abcdef"}
//! ```
//!
//! (shown wrapped; the real bytes are one line and a final `\n`). Canonical
//! form: keys sorted, no whitespace, integers only, strings escaped as JCS
//! (RFC 8785), `files` sorted by path (bytewise), absent optional fields
//! left out (never `null`). `type` is `file` (with `size`, `sha256`,
//! `blake3`), `symlink` (with `target`) or `other` (a FIFO, socket or
//! device); `mode` is the permission bits as an integer, absent when the
//! package did not record one. `digest` is the SHA-256 and the BLAKE3 of
//! the canonical bytes of the `files` array alone (`[` to `]`).
//!
//! # What parsing guarantees
//!
//! [`Manifest::parse`] accepts exactly the bytes [`Manifest::to_json`]
//! writes for some valid manifest, so one manifest has one byte form. It
//! refuses a changed `files` array (its digest no longer matches `digest`),
//! a changed `digest`, any non-canonical byte (whitespace, key order,
//! escapes, case of hex digits, a missing final newline), an unknown schema
//! or field, and invalid values. It cannot notice a change to `created`,
//! `function`, `layers` or `signer_key_id` that leaves a valid canonical
//! manifest: those fields are bound by the signature over the manifest
//! bytes, which the caller checks before trusting any of it.

mod canonical;
mod compare;

use fnguard_core::date::Date;
use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use serde::Deserialize;
use sha2::Digest as _;

pub use compare::{compare, Change, CompareOptions, Finding, HashAlgorithm, Report};

use crate::package::{
    self, find_non_folder_ancestor, to_hex, validate_path, DigestChoice, EntryKind, Limits,
    ObservedEntry, PackageError, PERMISSION_BITS,
};
use canonical::Value;

/// The schema this crate writes and reads.
pub const SCHEMA: &str = "fnguard.manifest/1";

/// Sizes above this are refused: JSON readers in other languages hold
/// integers as doubles, exact only up to 2^53.
pub const MAX_SIZE: u64 = 1 << 53;

/// The length of a minisign key id in hex (8 bytes).
const KEY_ID_HEX_LEN: usize = 16;

/// A package manifest (see the module documentation for its JSON).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    /// Sorted by path (bytewise), paths unique.
    pub files: Vec<FileEntry>,
    /// Digests of the canonical `files` array: the package's overall digest.
    pub digest: PackageDigest,
    pub function: Option<FunctionBinding>,
    pub layers: Option<Vec<Layer>>,
    /// RFC 3339, UTC (`Z`), given by the caller.
    pub created: String,
    /// The signing key's minisign key id: 16 lowercase hex digits.
    pub signer_key_id: String,
}

/// A SHA-256 and a BLAKE3 digest, lowercase hex.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PackageDigest {
    pub sha256: String,
    pub blake3: String,
}

/// One entry of the package.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileEntry {
    pub path: String,
    pub kind: FileKind,
    /// Permission bits (`<= 0o7777`), when the package recorded them.
    pub mode: Option<u32>,
}

/// What an entry is, with what identifies its content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileKind {
    File {
        size: u64,
        sha256: String,
        blake3: String,
    },
    Symlink {
        target: String,
    },
    Other,
}

impl FileKind {
    /// "file", "symlink" or "other".
    pub fn name(&self) -> &'static str {
        match self {
            FileKind::File { .. } => "file",
            FileKind::Symlink { .. } => "symlink",
            FileKind::Other => "other",
        }
    }
}

/// The function the package is for. The runtime version ARN makes a
/// runtime update visible (guide §3.2.3; research runtime.md §5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionBinding {
    pub name: String,
    pub runtime: Option<String>,
    pub runtime_version_arn: Option<String>,
}

/// A layer the function uses, with the overall digest of its own manifest
/// when known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layer {
    pub name_or_arn: String,
    pub digest: Option<PackageDigest>,
}

/// What a manifest says besides its files.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ManifestInfo {
    /// RFC 3339, UTC: `2026-12-06T03:00:00Z` (fractions of a second
    /// allowed).
    pub created: String,
    /// 16 lowercase hex digits.
    pub signer_key_id: String,
    pub function: Option<FunctionBinding>,
    pub layers: Option<Vec<Layer>>,
}

/// Why a manifest is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ManifestError {
    #[error("invalid manifest JSON at line {line}, column {column}: {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("unsupported manifest schema {0:?} (this version reads \"fnguard.manifest/1\")")]
    Schema(String),
    #[error("files[{index}] {path:?}: {reason}")]
    Entry {
        index: usize,
        path: String,
        reason: String,
    },
    #[error("duplicate path {path:?} (files[{first}] and files[{second}])")]
    Duplicate {
        path: String,
        first: usize,
        second: usize,
    },
    #[error("files are not sorted by path: files[{index}] {path:?} comes after {previous:?}")]
    Unsorted {
        index: usize,
        path: String,
        previous: String,
    },
    #[error("path {path:?} is inside {ancestor:?}, which is not a folder")]
    NotAFolder { path: String, ancestor: String },
    #[error("{field}: {reason}")]
    Field { field: String, reason: String },
    #[error("manifest digest mismatch: the files listed do not match the manifest's digest")]
    DigestMismatch,
    #[error(
        "manifest is not in canonical form (first difference at byte {offset}); it must be \
         written exactly as fnguard writes it"
    )]
    NotCanonical { offset: usize },
}

impl Manifest {
    /// A manifest of `entries` (as [`package::read_package`] gives them,
    /// with both digests): sorted, checked, digested.
    pub fn from_entries(
        entries: &[ObservedEntry],
        info: ManifestInfo,
    ) -> Result<Manifest, ManifestError> {
        let mut files = Vec::with_capacity(entries.len());
        for (index, entry) in entries.iter().enumerate() {
            let kind = match &entry.kind {
                EntryKind::File { size } => match (&entry.sha256, &entry.blake3) {
                    (Some(sha256), Some(blake3)) => FileKind::File {
                        size: *size,
                        sha256: sha256.clone(),
                        blake3: blake3.clone(),
                    },
                    _ => {
                        return Err(ManifestError::Entry {
                            index,
                            path: entry.path.clone(),
                            reason: "a manifest needs both the SHA-256 and the BLAKE3 digest \
                                     (read the package with DigestChoice::Both)"
                                .to_owned(),
                        })
                    }
                },
                EntryKind::Symlink { target } => FileKind::Symlink {
                    target: target.clone(),
                },
                EntryKind::Other => FileKind::Other,
            };
            files.push(FileEntry {
                path: entry.path.clone(),
                kind,
                mode: entry.mode,
            });
        }
        Manifest::from_files(files, info)
    }

    /// A manifest of `files` (sorted by path or not): checked, digested.
    pub fn from_files(
        mut files: Vec<FileEntry>,
        info: ManifestInfo,
    ) -> Result<Manifest, ManifestError> {
        files.sort_by(|a, b| a.path.cmp(&b.path));
        validate_files(&files)?;
        let manifest = Manifest {
            digest: files_digest(&files),
            files,
            function: info.function,
            layers: info.layers,
            created: info.created,
            signer_key_id: info.signer_key_id,
        };
        manifest.validate_info()?;
        Ok(manifest)
    }

    /// The canonical bytes (one line, `\n` at the end): what is signed.
    pub fn to_json(&self) -> Vec<u8> {
        let mut fields = vec![
            ("created", Value::Str(&self.created)),
            ("digest", digest_value(&self.digest)),
            ("files", files_value(&self.files)),
            ("schema", Value::Str(SCHEMA)),
            ("signer_key_id", Value::Str(&self.signer_key_id)),
        ];
        if let Some(function) = &self.function {
            let mut binding = vec![("name", Value::Str(&function.name))];
            if let Some(runtime) = &function.runtime {
                binding.push(("runtime", Value::Str(runtime)));
            }
            if let Some(arn) = &function.runtime_version_arn {
                binding.push(("runtime_version_arn", Value::Str(arn)));
            }
            fields.push(("function", Value::Object(binding)));
        }
        if let Some(layers) = &self.layers {
            let layers = layers
                .iter()
                .map(|layer| {
                    let mut fields = vec![("name_or_arn", Value::Str(&layer.name_or_arn))];
                    if let Some(digest) = &layer.digest {
                        fields.push(("digest", digest_value(digest)));
                    }
                    Value::Object(fields)
                })
                .collect();
            fields.push(("layers", Value::Array(layers)));
        }
        let mut out = Vec::with_capacity(self.files.len() * 256 + 512);
        Value::Object(fields).write(&mut out);
        out.push(b'\n');
        out
    }

    /// Reads a manifest strictly (see the module documentation): the
    /// result's [`Manifest::to_json`] is exactly `bytes`.
    pub fn parse(bytes: &[u8]) -> Result<Manifest, ManifestError> {
        let raw: RawManifest =
            serde_json::from_slice(bytes).map_err(|error| ManifestError::Json {
                line: error.line(),
                column: error.column(),
                message: error.to_string(),
            })?;
        if raw.schema != SCHEMA {
            return Err(ManifestError::Schema(raw.schema));
        }
        let files = raw
            .files
            .into_iter()
            .enumerate()
            .map(|(index, file)| file.into_entry(index))
            .collect::<Result<Vec<_>, _>>()?;
        validate_files(&files)?;
        let manifest = Manifest {
            files,
            digest: raw.digest.into_digest("digest")?,
            function: raw.function.map(|function| FunctionBinding {
                name: function.name,
                runtime: function.runtime,
                runtime_version_arn: function.runtime_version_arn,
            }),
            layers: raw
                .layers
                .map(|layers| {
                    layers
                        .into_iter()
                        .enumerate()
                        .map(|(index, layer)| {
                            Ok(Layer {
                                name_or_arn: layer.name_or_arn,
                                digest: layer
                                    .digest
                                    .map(|digest| digest.into_digest(&format!("layers[{index}]")))
                                    .transpose()?,
                            })
                        })
                        .collect::<Result<Vec<_>, ManifestError>>()
                })
                .transpose()?,
            created: raw.created,
            signer_key_id: raw.signer_key_id,
        };
        manifest.validate_info()?;
        if files_digest(&manifest.files) != manifest.digest {
            return Err(ManifestError::DigestMismatch);
        }
        let canonical = manifest.to_json();
        if canonical != bytes {
            let offset = canonical
                .iter()
                .zip(bytes)
                .position(|(a, b)| a != b)
                .unwrap_or(canonical.len().min(bytes.len()));
            return Err(ManifestError::NotCanonical { offset });
        }
        Ok(manifest)
    }

    /// The manifest's entry for `path`.
    pub fn file(&self, path: &str) -> Option<&FileEntry> {
        self.files
            .binary_search_by(|file| file.path.as_str().cmp(path))
            .ok()
            .map(|index| &self.files[index])
    }

    fn validate_info(&self) -> Result<(), ManifestError> {
        let field = |field: &str, reason: &str| ManifestError::Field {
            field: field.to_owned(),
            reason: reason.to_owned(),
        };
        if !is_rfc3339_utc(&self.created) {
            return Err(field(
                "created",
                "not an RFC 3339 UTC time such as 2026-12-06T03:00:00Z",
            ));
        }
        if self.signer_key_id.len() != KEY_ID_HEX_LEN || !is_lower_hex(&self.signer_key_id) {
            return Err(field("signer_key_id", "not 16 lowercase hex digits"));
        }
        if let Some(function) = &self.function {
            if function.name.is_empty() {
                return Err(field("function.name", "empty"));
            }
            if function.runtime.as_deref() == Some("") {
                return Err(field("function.runtime", "empty"));
            }
            if function.runtime_version_arn.as_deref() == Some("") {
                return Err(field("function.runtime_version_arn", "empty"));
            }
        }
        for (index, layer) in self.layers.iter().flatten().enumerate() {
            if layer.name_or_arn.is_empty() {
                return Err(field(&format!("layers[{index}].name_or_arn"), "empty"));
            }
            if let Some(digest) = &layer.digest {
                check_digest(digest, &format!("layers[{index}].digest"))?;
            }
        }
        check_digest(&self.digest, "digest")
    }
}

fn digest_value(digest: &PackageDigest) -> Value<'_> {
    Value::Object(vec![
        ("blake3", Value::Str(&digest.blake3)),
        ("sha256", Value::Str(&digest.sha256)),
    ])
}

fn files_value(files: &[FileEntry]) -> Value<'_> {
    Value::Array(
        files
            .iter()
            .map(|file| {
                let mut fields = vec![
                    ("path", Value::Str(&file.path)),
                    ("type", Value::Str(file.kind.name())),
                ];
                if let Some(mode) = file.mode {
                    fields.push(("mode", Value::Int(u64::from(mode))));
                }
                match &file.kind {
                    FileKind::File {
                        size,
                        sha256,
                        blake3,
                    } => {
                        fields.push(("size", Value::Int(*size)));
                        fields.push(("sha256", Value::Str(sha256)));
                        fields.push(("blake3", Value::Str(blake3)));
                    }
                    FileKind::Symlink { target } => fields.push(("target", Value::Str(target))),
                    FileKind::Other => {}
                }
                Value::Object(fields)
            })
            .collect(),
    )
}

/// The package's overall digest: SHA-256 and BLAKE3 of the canonical bytes
/// of the `files` array.
pub fn files_digest(files: &[FileEntry]) -> PackageDigest {
    let mut bytes = Vec::with_capacity(files.len() * 256 + 2);
    files_value(files).write(&mut bytes);
    PackageDigest {
        sha256: to_hex(&sha2::Sha256::digest(&bytes)),
        blake3: to_hex(blake3::hash(&bytes).as_bytes()),
    }
}

fn is_lower_hex(text: &str) -> bool {
    text.bytes()
        .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
}

fn is_digest_hex(text: &str) -> bool {
    text.len() == 64 && is_lower_hex(text)
}

fn check_digest(digest: &PackageDigest, field: &str) -> Result<(), ManifestError> {
    for (name, value) in [("sha256", &digest.sha256), ("blake3", &digest.blake3)] {
        if !is_digest_hex(value) {
            return Err(ManifestError::Field {
                field: format!("{field}.{name}"),
                reason: "not 64 lowercase hex digits".to_owned(),
            });
        }
    }
    Ok(())
}

/// Checks every entry, the order, uniqueness, and that nothing sits below
/// a file or a symlink.
fn validate_files(files: &[FileEntry]) -> Result<(), ManifestError> {
    let mut first_index: HashMap<&str, usize> = HashMap::with_capacity(files.len());
    for (index, file) in files.iter().enumerate() {
        let entry_error = |reason: String| ManifestError::Entry {
            index,
            path: file.path.clone(),
            reason,
        };
        validate_path(&file.path).map_err(|problem| entry_error(problem.to_string()))?;
        if let Some(&first) = first_index.get(file.path.as_str()) {
            return Err(ManifestError::Duplicate {
                path: file.path.clone(),
                first,
                second: index,
            });
        }
        first_index.insert(&file.path, index);
        if let Some(mode) = file.mode {
            if mode > PERMISSION_BITS {
                return Err(entry_error(format!(
                    "mode {mode:o} has more than permission bits (0o7777)"
                )));
            }
        }
        match &file.kind {
            FileKind::File {
                size,
                sha256,
                blake3,
            } => {
                if *size > MAX_SIZE {
                    return Err(entry_error(format!("size {size} is above 2^53")));
                }
                if !is_digest_hex(sha256) {
                    return Err(entry_error(
                        "sha256 is not 64 lowercase hex digits".to_owned(),
                    ));
                }
                if !is_digest_hex(blake3) {
                    return Err(entry_error(
                        "blake3 is not 64 lowercase hex digits".to_owned(),
                    ));
                }
            }
            FileKind::Symlink { target } => {
                if target.is_empty() || target.contains('\0') {
                    return Err(entry_error(
                        "symlink target is empty or contains a NUL byte".to_owned(),
                    ));
                }
                if target.len() > package::MAX_PATH_BYTES {
                    return Err(entry_error(
                        "symlink target longer than 4096 bytes".to_owned(),
                    ));
                }
            }
            FileKind::Other => {}
        }
    }
    for (index, pair) in files.windows(2).enumerate() {
        if pair[0].path > pair[1].path {
            return Err(ManifestError::Unsorted {
                index: index + 1,
                path: pair[1].path.clone(),
                previous: pair[0].path.clone(),
            });
        }
    }
    if let Some((path, ancestor)) = find_non_folder_ancestor(files.iter().map(|f| f.path.as_str()))
    {
        return Err(ManifestError::NotAFolder {
            path: path.to_owned(),
            ancestor: ancestor.to_owned(),
        });
    }
    Ok(())
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction]Z` with a real date and time (leap
/// second allowed).
fn is_rfc3339_utc(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.len() < 20 || bytes[bytes.len() - 1] != b'Z' {
        return false;
    }
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = bytes.get(range)?;
        if part.iter().all(u8::is_ascii_digit) {
            part.iter().try_fold(0u32, |value, digit| {
                Some(value * 10 + u32::from(digit - b'0'))
            })
        } else {
            None
        }
    };
    let separators = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
    if separators.iter().any(|&(at, byte)| bytes[at] != byte) {
        return false;
    }
    let (Some(year), Some(month), Some(day), Some(hour), Some(minute), Some(second)) = (
        digits(0..4),
        digits(5..7),
        digits(8..10),
        digits(11..13),
        digits(14..16),
        digits(17..19),
    ) else {
        return false;
    };
    let fraction = &bytes[19..bytes.len() - 1];
    let fraction_ok = fraction.is_empty()
        || (fraction.len() >= 2
            && fraction[0] == b'.'
            && fraction[1..].iter().all(u8::is_ascii_digit));
    let real_date = i32::try_from(year).is_ok_and(|year| Date::new(year, month, day).is_some());
    real_date && hour < 24 && minute < 60 && second <= 60 && fraction_ok
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    schema: String,
    files: Vec<RawFile>,
    digest: RawDigest,
    function: Option<RawFunction>,
    layers: Option<Vec<RawLayer>>,
    created: String,
    signer_key_id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    path: String,
    #[serde(rename = "type")]
    kind: String,
    mode: Option<u32>,
    size: Option<u64>,
    sha256: Option<String>,
    blake3: Option<String>,
    target: Option<String>,
}

impl RawFile {
    fn into_entry(self, index: usize) -> Result<FileEntry, ManifestError> {
        let path = self.path;
        let error = |reason: &str| ManifestError::Entry {
            index,
            path: path.clone(),
            reason: reason.to_owned(),
        };
        let kind = match (
            self.kind.as_str(),
            self.size,
            self.sha256,
            self.blake3,
            self.target,
        ) {
            ("file", Some(size), Some(sha256), Some(blake3), None) => FileKind::File {
                size,
                sha256,
                blake3,
            },
            ("file", ..) => return Err(error("a file has size, sha256 and blake3, and no target")),
            ("symlink", None, None, None, Some(target)) => FileKind::Symlink { target },
            ("symlink", ..) => return Err(error("a symlink has a target and nothing else")),
            ("other", None, None, None, None) => FileKind::Other,
            ("other", ..) => {
                return Err(error(
                    "an entry of type other has no size, digest or target",
                ))
            }
            _ => return Err(error("type is not file, symlink or other")),
        };
        Ok(FileEntry {
            path,
            kind,
            mode: self.mode,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDigest {
    sha256: String,
    blake3: String,
}

impl RawDigest {
    fn into_digest(self, field: &str) -> Result<PackageDigest, ManifestError> {
        let digest = PackageDigest {
            sha256: self.sha256,
            blake3: self.blake3,
        };
        check_digest(&digest, field)?;
        Ok(digest)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFunction {
    name: String,
    runtime: Option<String>,
    runtime_version_arn: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLayer {
    name_or_arn: String,
    digest: Option<RawDigest>,
}

/// Something worth telling the signer about a package that still gets a
/// manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BuildIssue {
    /// A symlink whose target is absolute or climbs above the package root:
    /// the manifest records the link, not what it points at.
    SymlinkLeavesPackage { path: String, target: String },
    /// A FIFO, socket or device: recorded by type only.
    SpecialFile { path: String },
    /// Anyone may write to this file once deployed.
    WorldWritable { path: String, mode: u32 },
    /// Zip entries without a unix mode (made on Windows): modes are not
    /// recorded for them, so mode changes go unseen.
    ModesMissing { count: usize },
}

impl fmt::Display for BuildIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildIssue::SymlinkLeavesPackage { path, target } => write!(
                f,
                "{path}: symlink to {target:?} points outside the package; only the link is signed"
            ),
            BuildIssue::SpecialFile { path } => {
                write!(
                    f,
                    "{path}: not a file, folder or symlink; recorded by type only"
                )
            }
            BuildIssue::WorldWritable { path, mode } => {
                write!(f, "{path}: world-writable (mode {mode:04o})")
            }
            BuildIssue::ModesMissing { count } => write!(
                f,
                "{count} zip entries have no unix mode: their permissions are not recorded"
            ),
        }
    }
}

/// Whether a symlink at `path` with `target` leaves the package root
/// (lexically, as the link would resolve inside an unpacked package).
fn symlink_leaves_package(path: &str, target: &str) -> bool {
    if target.starts_with('/') {
        return true;
    }
    // Depth of the link's folder below the root.
    let mut depth = path.matches('/').count() as i64;
    for component in target.split('/') {
        match component {
            "" | "." => {}
            ".." => {
                depth -= 1;
                if depth < 0 {
                    return true;
                }
            }
            _ => depth += 1,
        }
    }
    false
}

fn build_issues(manifest: &Manifest) -> Vec<BuildIssue> {
    let mut issues = Vec::new();
    let mut modes_missing = 0;
    for file in &manifest.files {
        match &file.kind {
            FileKind::Symlink { target } if symlink_leaves_package(&file.path, target) => issues
                .push(BuildIssue::SymlinkLeavesPackage {
                    path: file.path.clone(),
                    target: target.clone(),
                }),
            FileKind::Other => issues.push(BuildIssue::SpecialFile {
                path: file.path.clone(),
            }),
            _ => {}
        }
        match file.mode {
            None => modes_missing += 1,
            Some(mode) if mode & 0o002 != 0 && !matches!(file.kind, FileKind::Symlink { .. }) => {
                issues.push(BuildIssue::WorldWritable {
                    path: file.path.clone(),
                    mode,
                })
            }
            Some(_) => {}
        }
    }
    if modes_missing > 0 {
        issues.push(BuildIssue::ModesMissing {
            count: modes_missing,
        });
    }
    issues
}

/// Why [`build`] or [`check`] failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Package(#[from] PackageError),
    #[error(transparent)]
    Manifest(#[from] ManifestError),
}

/// Reads the package at `source` (a folder or a zip) with both digests and
/// makes its manifest (not signed: the caller signs [`Manifest::to_json`]),
/// with what the signer should know about it.
pub fn build(
    source: &Path,
    limits: &Limits,
    info: ManifestInfo,
) -> Result<(Manifest, Vec<BuildIssue>), Error> {
    let entries = package::read_package(source, limits, DigestChoice::Both)?;
    let manifest = Manifest::from_entries(&entries, info)?;
    let issues = build_issues(&manifest);
    Ok((manifest, issues))
}

/// Reads the package at `source` hashing only what `options` compares, and
/// compares it with `manifest` (whose signature the caller has checked).
pub fn check(
    source: &Path,
    manifest: &Manifest,
    limits: &Limits,
    options: CompareOptions,
) -> Result<Report, Error> {
    let entries = package::read_package(source, limits, options.digest)?;
    Ok(compare(manifest, &entries, options))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_utc_times_are_checked_for_real_dates() {
        for good in [
            "2026-12-06T03:00:00Z",
            "2024-02-29T23:59:60Z",
            "2026-01-31T00:00:00.123456Z",
        ] {
            assert!(is_rfc3339_utc(good), "{good}");
        }
        for bad in [
            "2026-12-06T03:00:00",
            "2026-12-06T03:00:00+00:00",
            "2025-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "2026-12-06T24:00:00Z",
            "2026-12-06 03:00:00Z",
            "2026-12-06T03:00:00.Z",
            "2026-12-06T03:0a:00Z",
            "",
        ] {
            assert!(!is_rfc3339_utc(bad), "{bad}");
        }
    }

    #[test]
    fn symlinks_leaving_the_root_are_told_apart_from_inner_ones() {
        assert!(symlink_leaves_package("a", "/etc/passwd"));
        assert!(symlink_leaves_package("a", "../x"));
        assert!(symlink_leaves_package("d/a", "../../x"));
        assert!(symlink_leaves_package("d/a", "x/../../../y"));
        assert!(!symlink_leaves_package("d/a", "../x"));
        assert!(!symlink_leaves_package("a", "./b/c"));
        assert!(!symlink_leaves_package("d/e/a", "../../x"));
    }
}
