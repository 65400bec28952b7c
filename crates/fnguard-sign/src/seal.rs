//! A package's manifest signed, and checked: the glue between
//! [`manifest`](crate::manifest) and [`minisign`](crate::minisign) that the
//! CLI (`fnguard sign`, `verify`, `scan`) and `fnguard guard` share.
//!
//! What is signed is the manifest's canonical bytes, prehashed (minisign's
//! `ED`), so `minisign -Vm fnguard.manifest.json -p KEY` checks it too. The
//! trusted comment (signed as well) names the manifest's overall digest, so
//! that whoever reads only the signature file sees which package it is for.
//!
//! Verification goes signature first, then manifest, then files: nothing of
//! an unsigned or wrongly signed manifest is believed, not even its paths.

use crate::manifest::{self, CompareOptions, Manifest, ManifestInfo};
use crate::minisign::{self, Message, Prehasher, PublicKey, SecretKey, Signature};
use crate::package::{
    self, DigestChoice, EmbeddedManifest, Limits, PackageError, MANIFEST_FILE,
    MAX_EMBEDDED_MANIFEST, MAX_EMBEDDED_SIGNATURE, SIGNATURE_FILE,
};
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// The untrusted comment of a manifest's signature (not signed: minisign
/// shows it, nothing believes it).
const UNTRUSTED_COMMENT: &str = "signature of an fnguard package manifest";

/// What binds a manifest to a function, and when it was made.
#[derive(Debug, Clone, Default)]
pub struct SealOptions {
    pub function_name: Option<String>,
    pub runtime: Option<String>,
    pub runtime_version_arn: Option<String>,
    /// Layer names or ARNs the function runs with.
    pub layers: Vec<String>,
    /// RFC 3339 UTC time of signing (the caller's clock: none in here).
    pub created: String,
    /// The same time in seconds since the epoch, for the trusted comment's
    /// `timestamp:` (minisign's own field).
    pub created_unix: u64,
    pub limits: Limits,
}

/// A signed manifest, ready to be written.
#[derive(Debug, Clone)]
pub struct Sealed {
    /// The manifest's canonical bytes.
    pub manifest_json: Vec<u8>,
    pub signature: Signature,
    /// Entries listed (files, symlinks, others).
    pub files: usize,
    /// The package's overall SHA-256 (hex).
    pub digest_hex: String,
    /// What the signer should know (symlinks leaving the package, special
    /// files, world-writable files, zip entries without modes).
    pub notes: Vec<String>,
}

/// Why signing failed.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error(transparent)]
    Build(#[from] manifest::Error),
    #[error("cannot sign: {0}")]
    Sign(String),
}

/// Reads `package` (a folder or a zip), makes its manifest and signs it.
pub fn seal(package: &Path, key: &SecretKey, options: &SealOptions) -> Result<Sealed, SealError> {
    let function = options
        .function_name
        .as_ref()
        .map(|name| manifest::FunctionBinding {
            name: name.clone(),
            runtime: options.runtime.clone(),
            runtime_version_arn: options.runtime_version_arn.clone(),
        });
    let layers = (!options.layers.is_empty()).then(|| {
        options
            .layers
            .iter()
            .map(|layer| manifest::Layer {
                name_or_arn: layer.clone(),
                digest: None,
            })
            .collect()
    });
    let info = ManifestInfo {
        created: options.created.clone(),
        signer_key_id: manifest_key_id(&key.public_key()),
        function,
        layers,
    };
    let (manifest, issues) = manifest::build(package, &options.limits, info)?;
    let manifest_json = manifest.to_json();
    let trusted = trusted_comment(&manifest, options.created_unix);
    let signature = minisign::sign(
        key,
        Message::Prehashed(prehash(&manifest_json)),
        &trusted,
        UNTRUSTED_COMMENT,
    )
    .map_err(|e| SealError::Sign(e.to_string()))?;
    Ok(Sealed {
        files: manifest.files.len(),
        digest_hex: manifest.digest.sha256.clone(),
        notes: issues.iter().map(ToString::to_string).collect(),
        manifest_json,
        signature,
    })
}

/// `timestamp:… file:… prehashed` as minisign writes its own, then the
/// manifest's schema, entry count and digests.
pub fn trusted_comment(manifest: &Manifest, created_unix: u64) -> String {
    let mut comment = format!(
        "timestamp:{created_unix}\tfile:{MANIFEST_FILE}\tprehashed\tfnguard:manifest/1\tfiles:{}\tsha256:{}\tblake3:{}",
        manifest.files.len(),
        manifest.digest.sha256,
        manifest.digest.blake3
    );
    if let Some(function) = &manifest.function {
        // A comment is one line of tab-separated fields: a name that could
        // break either is left out rather than escaped.
        if !function.name.chars().any(char::is_control) {
            comment.push_str("\tfunction:");
            comment.push_str(&function.name);
        }
    }
    comment
}

/// The key id as the manifest records it: 16 lowercase hex digits of the
/// id read as minisign reads it (a little-endian u64), zero-padded, where
/// minisign prints it in upper case without leading zeros.
pub fn manifest_key_id(key: &PublicKey) -> String {
    manifest_key_id_of(key.key_id)
}

/// [`manifest_key_id`] of a key id as a signature carries it.
pub fn manifest_key_id_of(key_id: [u8; 8]) -> String {
    format!("{:016x}", u64::from_le_bytes(key_id))
}

fn prehash(bytes: &[u8]) -> [u8; 64] {
    let mut hasher = Prehasher::new();
    hasher.update(bytes);
    hasher.finalize()
}

/// Writes the manifest and its signature into the package: the two files at
/// a folder's root, or the two entries at a zip's root (rewritten
/// atomically). Returns where, for people.
pub fn write_into(sealed: &Sealed, package: &Path) -> io::Result<String> {
    let signature = sealed.signature.to_file_string();
    if package.is_dir() {
        write_atomically(&package.join(MANIFEST_FILE), &sealed.manifest_json)?;
        write_atomically(&package.join(SIGNATURE_FILE), signature.as_bytes())?;
        Ok(format!(
            "{MANIFEST_FILE} and {SIGNATURE_FILE} written in the folder"
        ))
    } else {
        package::embed_in_zip(
            package,
            &[
                (MANIFEST_FILE, &sealed.manifest_json),
                (SIGNATURE_FILE, signature.as_bytes()),
            ],
        )?;
        Ok(format!(
            "{MANIFEST_FILE} and {SIGNATURE_FILE} added at the zip's root"
        ))
    }
}

/// Writes the manifest and its signature into `dir`, outside the package.
pub fn write_beside(sealed: &Sealed, dir: &Path) -> io::Result<String> {
    fs::create_dir_all(dir)?;
    let manifest_path = dir.join(MANIFEST_FILE);
    write_atomically(&manifest_path, &sealed.manifest_json)?;
    write_atomically(
        &dir.join(SIGNATURE_FILE),
        sealed.signature.to_file_string().as_bytes(),
    )?;
    Ok(format!(
        "{} and its .minisig written",
        manifest_path.display()
    ))
}

/// A reader of the folder sees the old file or the new one, never half.
fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(format!(".tmp{}", std::process::id()));
    let temporary = PathBuf::from(temporary);
    let result = fs::File::create(&temporary)
        .and_then(|mut file| file.write_all(bytes).and_then(|()| file.sync_all()))
        .and_then(|()| fs::rename(&temporary, path));
    if result.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    result
}

/// Where the manifest and its signature are, when not in the package.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    pub manifest: Option<PathBuf>,
    /// Defaults to the manifest's path with `.minisig` added.
    pub signature: Option<PathBuf>,
}

/// Why a package did not verify. `Input` is the user's (a path that does
/// not exist, a package that cannot be read); the others are integrity
/// failures.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("{0}")]
    Input(String),
    /// No signature, an unreadable one, an unknown key, a bad signature.
    #[error("{0}")]
    Signature(String),
    /// No manifest, or a signed manifest that is not valid.
    #[error("{0}")]
    Manifest(String),
}

/// A package whose manifest's signature holds, compared with the manifest.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The key that signed, as minisign prints it.
    pub key_id: String,
    pub trusted_comment: String,
    pub manifest: Manifest,
    pub report: manifest::Report,
}

/// Checks the signature of the package's manifest with `keys` (any may have
/// signed), then every entry of the package against it.
pub fn verify(
    package: &Path,
    sources: &Sources,
    keys: &[PublicKey],
    digest: DigestChoice,
    limits: &Limits,
) -> Result<Verified, VerifyError> {
    let (manifest_bytes, signature_bytes) = locate(package, sources, limits)?;
    let signature_text = String::from_utf8(signature_bytes)
        .map_err(|_| VerifyError::Signature("the signature file is not text".into()))?;
    let signature = Signature::parse(&signature_text).map_err(|e| {
        VerifyError::Signature(format!(
            "the signature file is not a minisign signature: {e}"
        ))
    })?;
    let key = match signature.algorithm {
        minisign::Algorithm::Prehashed => minisign::verify(
            keys,
            &signature,
            Message::Prehashed(prehash(&manifest_bytes)),
        ),
        minisign::Algorithm::Legacy => {
            minisign::verify(keys, &signature, Message::Raw(&manifest_bytes))
        }
    }
    .map_err(|e| VerifyError::Signature(format!("the manifest's signature: {e}")))?;
    let manifest = Manifest::parse(&manifest_bytes)
        .map_err(|e| VerifyError::Manifest(format!("the signed manifest is not valid: {e}")))?;
    if let Some(problem) = binding_problem(&manifest, &signature) {
        return Err(VerifyError::Manifest(problem));
    }
    let report = manifest::check(package, &manifest, limits, CompareOptions { digest }).map_err(
        |e| match e {
            manifest::Error::Package(PackageError::Io { path, source }) if path.is_empty() => {
                VerifyError::Input(format!("cannot read the package: {source}"))
            }
            // An entry that cannot be read, or that a signed package could
            // not hold (hostile names, a zip bomb): the package is not what
            // was signed.
            other => VerifyError::Manifest(format!("the package cannot be checked: {other}")),
        },
    )?;
    Ok(Verified {
        key_id: key.key_id_hex(),
        trusted_comment: signature.trusted_comment.clone(),
        manifest,
        report,
    })
}

/// What, if anything, unbinds `signature` from `manifest`: the manifest
/// names the key that signed it, and the trusted comment, when it names
/// digests (fnguard's does; a manifest signed with plain minisign carries
/// minisign's comment), names this manifest's. `fnguard scan` asks the same
/// without a trusted key.
pub fn binding_problem(manifest: &Manifest, signature: &Signature) -> Option<String> {
    let signer = manifest_key_id_of(signature.key_id);
    if signer != manifest.signer_key_id {
        return Some(format!(
            "signed by key {signer}, but the manifest names key {}",
            manifest.signer_key_id
        ));
    }
    signature.trusted_comment.split('\t').find_map(|field| {
        let (named, actual) = if let Some(value) = field.strip_prefix("sha256:") {
            (value, &manifest.digest.sha256)
        } else if let Some(value) = field.strip_prefix("blake3:") {
            (value, &manifest.digest.blake3)
        } else {
            return None;
        };
        (named != actual).then(|| {
            format!("the trusted comment names another manifest ({field}; this one's is {actual})")
        })
    })
}

/// The manifest's and the signature's bytes: from the paths given, else
/// beside the given manifest, else inside the package (a folder's root or a
/// zip's root).
fn locate(
    package: &Path,
    sources: &Sources,
    limits: &Limits,
) -> Result<(Vec<u8>, Vec<u8>), VerifyError> {
    let given = |path: &Path, cap: u64| {
        read_capped(path, cap).map_err(|e| VerifyError::Input(format!("{}: {e}", path.display())))
    };
    let (manifest, manifest_path) = match &sources.manifest {
        Some(path) => (
            Some(given(path, MAX_EMBEDDED_MANIFEST)?),
            Some(path.clone()),
        ),
        None => (None, None),
    };
    let signature = match (&sources.signature, &manifest_path) {
        (Some(path), _) => Some(given(path, MAX_EMBEDDED_SIGNATURE)?),
        (None, Some(manifest_path)) => {
            let mut beside = manifest_path.as_os_str().to_owned();
            beside.push(".minisig");
            let beside = PathBuf::from(beside);
            if beside.exists() {
                Some(given(&beside, MAX_EMBEDDED_SIGNATURE)?)
            } else {
                None
            }
        }
        (None, None) => None,
    };
    let (manifest, signature) = match (manifest, signature) {
        (Some(m), Some(s)) => (Some(m), Some(s)),
        (manifest, signature) => {
            let inner = embedded(package, limits)?;
            (manifest.or(inner.manifest), signature.or(inner.signature))
        }
    };
    let manifest = manifest.ok_or_else(|| {
        VerifyError::Manifest(format!(
            "no {MANIFEST_FILE} in the package: it was not signed with fnguard sign, or the manifest was removed (give --manifest if it is kept elsewhere)"
        ))
    })?;
    let signature = signature.ok_or_else(|| {
        VerifyError::Signature(format!(
            "no signature for the manifest ({SIGNATURE_FILE} beside it or in the package, or --signature)"
        ))
    })?;
    Ok((manifest, signature))
}

/// The manifest and signature stored in the package, when there.
fn embedded(package: &Path, limits: &Limits) -> Result<EmbeddedManifest, VerifyError> {
    if package.is_dir() {
        let read = |name: &str, cap: u64| -> Result<Option<Vec<u8>>, VerifyError> {
            let path = package.join(name);
            match fs::symlink_metadata(&path) {
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
                // A symlink in its place could point anywhere: refused.
                Ok(meta) if !meta.file_type().is_file() => Err(VerifyError::Manifest(format!(
                    "{name} in the package is not a regular file"
                ))),
                _ => read_capped(&path, cap)
                    .map(Some)
                    .map_err(|e| VerifyError::Input(format!("{}: {e}", path.display()))),
            }
        };
        return Ok(EmbeddedManifest {
            manifest: read(MANIFEST_FILE, MAX_EMBEDDED_MANIFEST)?,
            signature: read(SIGNATURE_FILE, MAX_EMBEDDED_SIGNATURE)?,
        });
    }
    package::read_embedded(package, limits).map_err(|e| match e {
        PackageError::Io { source, .. } => {
            VerifyError::Input(format!("cannot read the package: {source}"))
        }
        other => VerifyError::Manifest(format!("the package cannot be read: {other}")),
    })
}

/// A file read whole, refused past `cap` bytes without reading further
/// (key, signature and manifest files are small; a huge one is not one).
pub fn read_capped(path: &Path, cap: u64) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    fs::File::open(path)?
        .take(cap + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("larger than {cap} bytes"),
        ));
    }
    Ok(bytes)
}
