//! Reading a function package, a folder or a .zip (Lambda's format), into
//! the entries a manifest lists, with their digests.
//!
//! - Folders: symlinks are never followed (their target is recorded as
//!   written), directories are not entries, nothing is skipped but the
//!   manifest's own two files at the root ([`MANIFEST_FILE`],
//!   [`SIGNATURE_FILE`]).
//! - Zips: symlinks are the entries whose unix mode says `S_IFLNK` (their
//!   content is the target); directory entries are skipped; every size cap of
//!   [`Limits`] is counted as bytes come out of the decompressor, never
//!   trusted from the headers; hostile names (absolute, `..`, `\`, NUL, drive
//!   letters), duplicate names (counted in the central directory itself), a
//!   local header naming an entry differently from the central directory,
//!   an entry below a file or a symlink, and content in a folder or special
//!   file entry are errors naming the entry. Archives inside the package
//!   are files like any other (a jar is not opened).
//!
//! Files are hashed in parallel (rayon), each read once, SHA-256 and BLAKE3
//! fed from the same buffer; [`DigestChoice`] computes only what the caller
//! needs (verifying with BLAKE3 alone skips SHA-256).

use std::collections::HashSet;
use std::fmt;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use rayon::prelude::*;
use sha2::Digest as _;

/// The manifest's file name at the package root (skipped when reading).
pub const MANIFEST_FILE: &str = "fnguard.manifest.json";
/// The manifest signature's file name at the package root (skipped when
/// reading).
pub const SIGNATURE_FILE: &str = "fnguard.manifest.json.minisig";

/// The unix file-type bits of a mode (`S_IFMT`) and the types we name.
const S_IFMT: u32 = 0o170_000;
const S_IFDIR: u32 = 0o040_000;
const S_IFREG: u32 = 0o100_000;
const S_IFLNK: u32 = 0o120_000;

/// The permission bits a manifest records (`mode & 0o7777`).
pub const PERMISSION_BITS: u32 = 0o7777;

/// A symlink target is a path: longer ones are refused rather than read
/// (Linux's PATH_MAX).
const MAX_SYMLINK_TARGET: usize = 4096;
/// Paths longer than this are refused (Linux's PATH_MAX).
pub const MAX_PATH_BYTES: usize = 4096;

/// The read buffer: big enough that BLAKE3 can split one read over both
/// cores, small enough that many files in flight stay cheap.
const READ_BUFFER: usize = 1 << 20;
/// Below this, one thread hashes a buffer faster than splitting it.
const PARALLEL_HASH_MIN: usize = 256 << 10;

/// Which digests to compute (reading) or compare (verifying).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DigestChoice {
    /// BLAKE3 only: the fastest, the default for verification.
    #[default]
    Blake3,
    /// SHA-256 only (what AWS Signer and cosign users compare).
    Sha256,
    /// Both (what building a manifest needs).
    Both,
}

impl DigestChoice {
    /// Whether SHA-256 is computed.
    pub fn sha256(self) -> bool {
        matches!(self, DigestChoice::Sha256 | DigestChoice::Both)
    }

    /// Whether BLAKE3 is computed.
    pub fn blake3(self) -> bool {
        matches!(self, DigestChoice::Blake3 | DigestChoice::Both)
    }
}

/// Caps on what a package may hold, checked as bytes arrive. The defaults
/// fit Lambda (250 MB unzipped at most) with room to spare.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Entries of any kind, folders included (default 100,000).
    pub max_entries: usize,
    /// Bytes of all files together, decompressed (default 1 GiB).
    pub max_total_bytes: u64,
    /// Bytes of one file, decompressed (default 512 MiB).
    pub max_entry_bytes: u64,
    /// Decompressed bytes per compressed byte of one zip entry (default
    /// 250), checked once the entry has given more than
    /// [`Limits::ratio_floor`] bytes, so that small, very compressible files
    /// pass.
    pub max_ratio: u64,
    /// See [`Limits::max_ratio`] (default 1 MiB).
    pub ratio_floor: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_entries: 100_000,
            max_total_bytes: 1 << 30,
            max_entry_bytes: 512 << 20,
            max_ratio: 250,
            ratio_floor: 1 << 20,
        }
    }
}

/// What an entry is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntryKind {
    /// A regular file of `size` bytes (bytes actually read).
    File { size: u64 },
    /// A symbolic link, with its target as written (never followed).
    Symlink { target: String },
    /// Anything else: a FIFO, a socket, a device.
    Other,
}

impl EntryKind {
    /// "file", "symlink" or "other" (the manifest's `type`).
    pub fn name(&self) -> &'static str {
        match self {
            EntryKind::File { .. } => "file",
            EntryKind::Symlink { .. } => "symlink",
            EntryKind::Other => "other",
        }
    }
}

/// One entry of a package as read, with the digests asked for (files only;
/// lowercase hex).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedEntry {
    /// `/`-separated, relative, normalised (see [`validate_path`]).
    pub path: String,
    pub kind: EntryKind,
    /// Permission bits (`& 0o7777`); `None` when a zip entry has no unix
    /// mode.
    pub mode: Option<u32>,
    pub sha256: Option<String>,
    pub blake3: Option<String>,
}

/// Why a package could not be read. Entry names are relative to the
/// package root; the caller adds the package's own path.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    #[error("{}: {source}", display_location(path))]
    Io { path: String, source: io::Error },
    #[error("not a readable zip archive: {0}")]
    Zip(String),
    #[error("entry {name:?}: {reason}")]
    BadEntry { name: String, reason: String },
    #[error("duplicate entry {name:?}")]
    Duplicate { name: String },
    #[error("entry {name:?} is inside {ancestor:?}, which is not a folder")]
    NotAFolder { name: String, ancestor: String },
    #[error("too many entries: more than {limit}")]
    TooManyEntries { limit: usize },
    #[error("entry {name:?} is larger than the limit of {limit} bytes")]
    EntryTooLarge { name: String, limit: u64 },
    #[error("the package is larger than the limit of {limit} bytes (reached at entry {name:?})")]
    TotalTooLarge { name: String, limit: u64 },
    #[error(
        "entry {name:?} decompresses to more than {limit} times its compressed size (a zip bomb?)"
    )]
    RatioTooHigh { name: String, limit: u64 },
}

fn display_location(path: &str) -> &str {
    if path.is_empty() {
        "package root"
    } else {
        path
    }
}

/// Why a path cannot be in a package or a manifest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathProblem {
    Empty,
    TooLong,
    Absolute,
    DriveLetter,
    Backslash,
    Nul,
    EmptyComponent,
    DotComponent,
    ParentComponent,
}

impl fmt::Display for PathProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PathProblem::Empty => "empty path",
            PathProblem::TooLong => "path longer than 4096 bytes",
            PathProblem::Absolute => "absolute path",
            PathProblem::DriveLetter => "path starts with a drive letter",
            PathProblem::Backslash => "path contains a backslash",
            PathProblem::Nul => "path contains a NUL byte",
            PathProblem::EmptyComponent => "path has an empty component ('//' or a trailing '/')",
            PathProblem::DotComponent => "path has a '.' component",
            PathProblem::ParentComponent => "path has a '..' component (escapes the package)",
        })
    }
}

/// Checks that `path` is relative, `/`-separated and normalised: no leading
/// `/`, no empty, `.` or `..` component, no `\`, NUL or drive letter. Such a
/// path cannot name anything outside the package root.
pub fn validate_path(path: &str) -> Result<(), PathProblem> {
    if path.is_empty() {
        return Err(PathProblem::Empty);
    }
    if path.len() > MAX_PATH_BYTES {
        return Err(PathProblem::TooLong);
    }
    if path.contains('\0') {
        return Err(PathProblem::Nul);
    }
    if path.contains('\\') {
        return Err(PathProblem::Backslash);
    }
    if path.starts_with('/') {
        return Err(PathProblem::Absolute);
    }
    let bytes = path.as_bytes();
    if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' {
        return Err(PathProblem::DriveLetter);
    }
    for component in path.split('/') {
        match component {
            "" => return Err(PathProblem::EmptyComponent),
            "." => return Err(PathProblem::DotComponent),
            ".." => return Err(PathProblem::ParentComponent),
            _ => {}
        }
    }
    Ok(())
}

/// Paths (sorted or not) where one entry sits below another that is not a
/// folder: `lib` a symlink and `lib/x.js` a file, which an unpacker would
/// write through the link. Returns the first (entry, ancestor) found.
pub fn find_non_folder_ancestor<'a>(
    paths: impl Iterator<Item = &'a str> + Clone,
) -> Option<(&'a str, &'a str)> {
    let entries: HashSet<&str> = paths.clone().collect();
    for path in paths {
        let mut end = 0;
        while let Some(slash) = path[end..].find('/') {
            let ancestor = &path[..end + slash];
            if entries.contains(ancestor) {
                return Some((path, ancestor));
            }
            end += slash + 1;
        }
    }
    None
}

/// Lowercase hex of `bytes`.
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(DIGITS[usize::from(byte >> 4)] as char);
        out.push(DIGITS[usize::from(byte & 15)] as char);
    }
    out
}

/// Reads a package: a folder, or else a zip archive.
pub fn read_package(
    source: &Path,
    limits: &Limits,
    digests: DigestChoice,
) -> Result<Vec<ObservedEntry>, PackageError> {
    let metadata = std::fs::metadata(source).map_err(|source| PackageError::Io {
        path: String::new(),
        source,
    })?;
    if metadata.is_dir() {
        read_dir(source, limits, digests)
    } else {
        read_zip(source, limits, digests)
    }
}

/// Whether a root entry is one of the manifest's own files.
fn is_manifest_file(path: &str) -> bool {
    path == MANIFEST_FILE || path == SIGNATURE_FILE
}

/// Counts bytes against the caps as they are read.
struct ByteBudget<'a> {
    limits: &'a Limits,
    total: &'a AtomicU64,
}

impl ByteBudget<'_> {
    /// Called after `more` bytes of entry `name` arrived, `entry_bytes` in
    /// all; `compressed` is the entry's compressed size (zips only).
    fn take(
        &self,
        name: &str,
        more: u64,
        entry_bytes: u64,
        compressed: Option<u64>,
    ) -> Result<(), PackageError> {
        if entry_bytes > self.limits.max_entry_bytes {
            return Err(PackageError::EntryTooLarge {
                name: name.to_owned(),
                limit: self.limits.max_entry_bytes,
            });
        }
        if let Some(compressed) = compressed {
            if entry_bytes > self.limits.ratio_floor
                && entry_bytes > compressed.saturating_mul(self.limits.max_ratio)
            {
                return Err(PackageError::RatioTooHigh {
                    name: name.to_owned(),
                    limit: self.limits.max_ratio,
                });
            }
        }
        let total = self.total.fetch_add(more, Ordering::Relaxed) + more;
        if total > self.limits.max_total_bytes {
            return Err(PackageError::TotalTooLarge {
                name: name.to_owned(),
                limit: self.limits.max_total_bytes,
            });
        }
        Ok(())
    }
}

/// Size and digests of one file's content.
struct Hashed {
    size: u64,
    sha256: Option<String>,
    blake3: Option<String>,
}

/// Reads `reader` to its end once, feeding both hashes from the same
/// buffer, and counting every byte against `budget`. `size_hint` only sizes
/// the buffer.
fn hash_content(
    reader: &mut dyn Read,
    name: &str,
    size_hint: u64,
    compressed: Option<u64>,
    digests: DigestChoice,
    budget: &ByteBudget<'_>,
) -> Result<Hashed, PackageError> {
    let mut sha256 = digests.sha256().then(sha2::Sha256::new);
    let mut blake3 = digests.blake3().then(blake3::Hasher::new);
    // One byte more than the hint, so that a file read to its end in one
    // buffer also sees its end without a second allocation.
    let buffer_len = usize::try_from(size_hint.saturating_add(1))
        .unwrap_or(READ_BUFFER)
        .clamp(1, READ_BUFFER);
    let mut buffer = vec![0u8; buffer_len];
    let mut size = 0u64;
    loop {
        // Fill the buffer (short reads are common in decompressors) so that
        // the hashers get big slices.
        let mut filled = 0;
        while filled < buffer.len() {
            match reader.read(&mut buffer[filled..]) {
                Ok(0) => break,
                Ok(n) => {
                    filled += n;
                    size += n as u64;
                    budget.take(name, n as u64, size, compressed)?;
                }
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(source) => {
                    return Err(PackageError::Io {
                        path: name.to_owned(),
                        source,
                    })
                }
            }
        }
        let chunk = &buffer[..filled];
        if chunk.is_empty() {
            break;
        }
        match (&mut sha256, &mut blake3) {
            (Some(sha), Some(b3)) if chunk.len() >= PARALLEL_HASH_MIN => {
                rayon::join(
                    || sha.update(chunk),
                    || {
                        b3.update_rayon(chunk);
                    },
                );
            }
            (sha, b3) => {
                if let Some(sha) = sha {
                    sha.update(chunk);
                }
                if let Some(b3) = b3 {
                    if chunk.len() >= PARALLEL_HASH_MIN {
                        b3.update_rayon(chunk);
                    } else {
                        b3.update(chunk);
                    }
                }
            }
        }
        if filled < buffer.len() {
            break;
        }
        // More than the hint said (a growing file, a zip entry declaring
        // less than it holds): read on in big buffers.
        if buffer.len() < READ_BUFFER {
            buffer.resize(READ_BUFFER, 0);
        }
    }
    Ok(Hashed {
        size,
        sha256: sha256.map(|sha| to_hex(&sha.finalize())),
        blake3: blake3.map(|b3| to_hex(b3.finalize().as_bytes())),
    })
}

/// A folder entry found by the walk, before hashing.
struct Found {
    path: String,
    absolute: PathBuf,
    kind: EntryKind,
    mode: u32,
}

/// Reads a folder: every file, symlink and special file below `root`,
/// sorted by path (bytewise), files hashed in parallel.
pub fn read_dir(
    root: &Path,
    limits: &Limits,
    digests: DigestChoice,
) -> Result<Vec<ObservedEntry>, PackageError> {
    let found = walk(root, limits)?;
    let total = AtomicU64::new(0);
    let budget = ByteBudget {
        limits,
        total: &total,
    };
    let mut entries = found
        .into_par_iter()
        .map(|found| -> Result<ObservedEntry, PackageError> {
            let mut entry = ObservedEntry {
                path: found.path,
                kind: found.kind,
                mode: Some(found.mode),
                sha256: None,
                blake3: None,
            };
            if let EntryKind::File { size } = entry.kind {
                let io_error = |source| PackageError::Io {
                    path: entry.path.clone(),
                    source,
                };
                let mut file = open_regular(&found.absolute).map_err(io_error)?;
                let hashed = hash_content(&mut file, &entry.path, size, None, digests, &budget)?;
                entry.kind = EntryKind::File { size: hashed.size };
                entry.sha256 = hashed.sha256;
                entry.blake3 = hashed.blake3;
            }
            Ok(entry)
        })
        .collect::<Result<Vec<_>, _>>()?;
    entries.sort_unstable_by(|a, b| a.path.cmp(&b.path));
    Ok(entries)
}

/// Opens a file the walk found regular, refusing what it may have become
/// since: a symlink is not followed (`O_NOFOLLOW`), a FIFO does not block
/// the open (`O_NONBLOCK`, which regular files ignore), anything but a
/// regular file is an error.
fn open_regular(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = File::options()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "no longer a regular file (changed while reading)",
        ));
    }
    Ok(file)
}

/// Lists a folder without following symlinks; directories are walked, not
/// listed. Checks names, the entry count and the declared total size (the
/// real sizes are counted again while hashing).
fn walk(root: &Path, limits: &Limits) -> Result<Vec<Found>, PackageError> {
    let mut found = Vec::new();
    let mut seen = 0usize;
    let mut declared_total = 0u64;
    let mut folders = vec![(root.to_path_buf(), String::new())];
    while let Some((folder, prefix)) = folders.pop() {
        let io_error = |source| PackageError::Io {
            path: prefix.trim_end_matches('/').to_owned(),
            source,
        };
        for item in std::fs::read_dir(&folder).map_err(io_error)? {
            let item = item.map_err(io_error)?;
            seen += 1;
            if seen > limits.max_entries {
                return Err(PackageError::TooManyEntries {
                    limit: limits.max_entries,
                });
            }
            let file_name = item.file_name();
            let Some(name) = file_name.to_str() else {
                return Err(PackageError::BadEntry {
                    name: format!("{prefix}{}", file_name.to_string_lossy()),
                    reason: "name is not valid UTF-8".to_owned(),
                });
            };
            let path = format!("{prefix}{name}");
            validate_path(&path).map_err(|problem| PackageError::BadEntry {
                name: path.clone(),
                reason: problem.to_string(),
            })?;
            let absolute = item.path();
            // `DirEntry::metadata` does not follow symlinks.
            let metadata = item.metadata().map_err(|source| PackageError::Io {
                path: path.clone(),
                source,
            })?;
            let file_type = metadata.file_type();
            if file_type.is_dir() {
                folders.push((absolute, format!("{path}/")));
                continue;
            }
            if prefix.is_empty() && is_manifest_file(&path) {
                continue;
            }
            let kind = if file_type.is_symlink() {
                let target = std::fs::read_link(&absolute).map_err(|source| PackageError::Io {
                    path: path.clone(),
                    source,
                })?;
                let target =
                    target
                        .into_os_string()
                        .into_string()
                        .map_err(|_| PackageError::BadEntry {
                            name: path.clone(),
                            reason: "symlink target is not valid UTF-8".to_owned(),
                        })?;
                EntryKind::Symlink { target }
            } else if file_type.is_file() {
                let size = metadata.len();
                if size > limits.max_entry_bytes {
                    return Err(PackageError::EntryTooLarge {
                        name: path,
                        limit: limits.max_entry_bytes,
                    });
                }
                declared_total = declared_total.saturating_add(size);
                if declared_total > limits.max_total_bytes {
                    return Err(PackageError::TotalTooLarge {
                        name: path,
                        limit: limits.max_total_bytes,
                    });
                }
                EntryKind::File { size }
            } else {
                EntryKind::Other
            };
            found.push(Found {
                path,
                absolute,
                kind,
                mode: metadata.mode() & PERMISSION_BITS,
            });
        }
    }
    Ok(found)
}

/// A file read at positions of its own: clones share the open file but not
/// the position, so that each rayon worker reads its own zip entries.
#[derive(Clone)]
struct SharedFile {
    file: Arc<File>,
    position: u64,
    len: u64,
}

impl SharedFile {
    fn open(path: &Path) -> io::Result<SharedFile> {
        let file = File::open(path)?;
        let len = file.metadata()?.len();
        Ok(SharedFile {
            file: Arc::new(file),
            position: 0,
            len,
        })
    }
}

impl Read for SharedFile {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read_at(buffer, self.position)?;
        self.position += n as u64;
        Ok(n)
    }
}

impl Seek for SharedFile {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let position = match to {
            SeekFrom::Start(offset) => Some(offset),
            SeekFrom::End(delta) => self.len.checked_add_signed(delta),
            SeekFrom::Current(delta) => self.position.checked_add_signed(delta),
        };
        let Some(position) = position else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the start of the file",
            ));
        };
        self.position = position;
        Ok(position)
    }
}

type Archive = zip::ZipArchive<SharedFile>;

fn open_archive(path: &Path) -> Result<Archive, PackageError> {
    let file = SharedFile::open(path).map_err(|source| PackageError::Io {
        path: String::new(),
        source,
    })?;
    zip::ZipArchive::new(file).map_err(|error| PackageError::Zip(error.to_string()))
}

const CENTRAL_HEADER_SIGNATURE: u32 = 0x0201_4b50;
const CENTRAL_HEADER_LEN: usize = 46;

/// The central directory and what follows it are read in one piece, up
/// to this size (100,000 entries with long names take about 20 MB).
const MAX_CENTRAL_DIRECTORY: u64 = 256 << 20;

/// The entry names as the central directory lists them, every one. The zip
/// crate keeps one entry per name (the last), so a second entry of the same
/// name, which another unzipper may extract instead, would go unseen: this
/// walk finds it.
fn central_directory_names(
    reader: &mut SharedFile,
    start: u64,
    limit: usize,
) -> Result<Vec<Vec<u8>>, PackageError> {
    let corrupt = |what: &str| PackageError::Zip(format!("central directory: {what}"));
    let tail_len = reader.len.saturating_sub(start);
    if tail_len > MAX_CENTRAL_DIRECTORY {
        return Err(corrupt("larger than 256 MiB"));
    }
    let mut tail = vec![0u8; tail_len as usize];
    reader.position = start;
    if read_full(reader, &mut tail).map_err(|e| corrupt(&e.to_string()))? < tail.len() {
        return Err(corrupt("truncated"));
    }
    let mut names = Vec::new();
    let mut at = 0usize;
    while let Some(header) = tail.get(at..at + CENTRAL_HEADER_LEN) {
        if u32::from_le_bytes([header[0], header[1], header[2], header[3]])
            != CENTRAL_HEADER_SIGNATURE
        {
            break;
        }
        if names.len() >= limit {
            return Err(PackageError::TooManyEntries { limit });
        }
        let u16_at =
            |offset: usize| usize::from(u16::from_le_bytes([header[offset], header[offset + 1]]));
        let (name_len, extra_len, comment_len) = (u16_at(28), u16_at(30), u16_at(32));
        let name_start = at + CENTRAL_HEADER_LEN;
        let name = tail
            .get(name_start..name_start + name_len)
            .ok_or_else(|| corrupt("truncated entry name"))?;
        names.push(name.to_vec());
        at = name_start + name_len + extra_len + comment_len;
    }
    Ok(names)
}

/// The name in the local header at `header_start` (`None` if unreadable).
/// The zip crate goes by the central directory's names only; a streaming
/// unzipper goes by these, so the two must agree.
fn local_name(reader: &mut SharedFile, header_start: u64) -> Option<Vec<u8>> {
    const LOCAL_HEADER_LEN: u64 = 30;
    let mut header = [0u8; LOCAL_HEADER_LEN as usize];
    reader.position = header_start;
    if read_full(reader, &mut header).ok()? < header.len()
        || u32::from_le_bytes([header[0], header[1], header[2], header[3]])
            != LOCAL_HEADER_SIGNATURE
    {
        return None;
    }
    let mut name = vec![0u8; usize::from(u16::from_le_bytes([header[26], header[27]]))];
    reader.position = header_start + LOCAL_HEADER_LEN;
    (read_full(reader, &mut name).ok()? == name.len()).then_some(name)
}

/// Reads until `buffer` is full or the input ends; returns the bytes read.
fn read_full(reader: &mut dyn Read, buffer: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match reader.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(filled)
}

/// Opens a zip and checks what the zip crate does not: the entry cap and
/// duplicate names (counted from the central directory itself).
fn open_checked_archive(path: &Path, limits: &Limits) -> Result<Archive, PackageError> {
    let archive = open_archive(path)?;
    if archive.len() > limits.max_entries {
        return Err(PackageError::TooManyEntries {
            limit: limits.max_entries,
        });
    }
    let mut reader = archive.clone().into_inner();
    let names = central_directory_names(
        &mut reader,
        archive.central_directory_start(),
        limits.max_entries,
    )?;
    if names.len() != archive.len() {
        let mut seen = HashSet::new();
        for name in &names {
            if !seen.insert(name.as_slice()) {
                return Err(PackageError::Duplicate {
                    name: String::from_utf8_lossy(name).into_owned(),
                });
            }
        }
        return Err(PackageError::Zip(format!(
            "the central directory lists {} entries, the archive {}",
            names.len(),
            archive.len()
        )));
    }
    Ok(archive)
}

/// What one zip entry turned out to be.
enum ZipItem {
    /// A directory entry or one of the manifest's own files.
    Skipped {
        path: String,
    },
    Entry(ObservedEntry),
}

/// Reads a zip archive: every entry but directories and the manifest's own
/// two files at the root, sorted by path, files hashed in parallel.
pub fn read_zip(
    path: &Path,
    limits: &Limits,
    digests: DigestChoice,
) -> Result<Vec<ObservedEntry>, PackageError> {
    let archive = open_checked_archive(path, limits)?;
    let total = AtomicU64::new(0);
    let budget = ByteBudget {
        limits,
        total: &total,
    };
    let items = (0..archive.len())
        .into_par_iter()
        .map_init(
            || (archive.clone(), archive.clone().into_inner()),
            |(archive, raw), index| read_zip_entry(archive, raw, index, digests, &budget),
        )
        .collect::<Result<Vec<_>, _>>()?;
    let mut entries = Vec::with_capacity(items.len());
    let mut folders = HashSet::new();
    for item in items {
        match item {
            ZipItem::Entry(entry) => entries.push(entry),
            ZipItem::Skipped { path } => {
                folders.insert(path);
            }
        }
    }
    entries.sort_unstable_by(|a, b| a.path.cmp(&b.path));
    for pair in entries.windows(2) {
        if pair[0].path == pair[1].path {
            return Err(PackageError::Duplicate {
                name: pair[0].path.clone(),
            });
        }
    }
    if let Some(entry) = entries.iter().find(|entry| folders.contains(&entry.path)) {
        return Err(PackageError::BadEntry {
            name: entry.path.clone(),
            reason: "the archive also has a folder of this name".to_owned(),
        });
    }
    if let Some((name, ancestor)) =
        find_non_folder_ancestor(entries.iter().map(|e| e.path.as_str()))
    {
        return Err(PackageError::NotAFolder {
            name: name.to_owned(),
            ancestor: ancestor.to_owned(),
        });
    }
    Ok(entries)
}

fn read_zip_entry(
    archive: &mut Archive,
    raw: &mut SharedFile,
    index: usize,
    digests: DigestChoice,
    budget: &ByteBudget<'_>,
) -> Result<ZipItem, PackageError> {
    let zip_error = |name: &str, error: zip::result::ZipError| PackageError::BadEntry {
        name: name.to_owned(),
        reason: error.to_string(),
    };
    let name = archive.name_for_index(index).unwrap_or_default().to_owned();
    let mut file = archive
        .by_index(index)
        .map_err(|error| zip_error(&name, error))?;
    let bad = |reason: &str| PackageError::BadEntry {
        name: name.clone(),
        reason: reason.to_owned(),
    };
    if local_name(raw, file.header_start()).as_deref() != Some(file.name_raw()) {
        return Err(bad(
            "its local header names it differently (an unzipper reading local headers would \
             extract something else)",
        ));
    }
    let unix_mode = file.unix_mode();
    let file_type = unix_mode.map_or(0, |mode| mode & S_IFMT);
    if let Some(folder) = name.strip_suffix('/') {
        validate_path(folder).map_err(|problem| bad(&problem.to_string()))?;
        // A folder has no content; reading to the end also checks its CRC,
        // so that a corrupted folder entry is not silently passed over.
        let mut content = Vec::new();
        (&mut file)
            .take(1)
            .read_to_end(&mut content)
            .map_err(|error| bad(&error.to_string()))?;
        if !content.is_empty() {
            return Err(bad("a folder entry with content"));
        }
        return Ok(ZipItem::Skipped {
            path: folder.to_owned(),
        });
    }
    validate_path(&name).map_err(|problem| bad(&problem.to_string()))?;
    if file_type == S_IFDIR {
        return Err(bad(
            "folder mode on an entry whose name does not end in '/'",
        ));
    }
    if is_manifest_file(&name) {
        return Ok(ZipItem::Skipped { path: name });
    }
    let mode = unix_mode.map(|mode| mode & PERMISSION_BITS);
    let mut entry = ObservedEntry {
        path: name.clone(),
        kind: EntryKind::Other,
        mode,
        sha256: None,
        blake3: None,
    };
    match file_type {
        S_IFLNK => {
            let mut target = Vec::new();
            (&mut file)
                .take(MAX_SYMLINK_TARGET as u64 + 1)
                .read_to_end(&mut target)
                .map_err(|error| bad(&error.to_string()))?;
            budget.take(&name, target.len() as u64, target.len() as u64, None)?;
            if target.len() > MAX_SYMLINK_TARGET {
                return Err(bad("symlink target longer than 4096 bytes"));
            }
            let target =
                String::from_utf8(target).map_err(|_| bad("symlink target is not valid UTF-8"))?;
            if target.is_empty() || target.contains('\0') {
                return Err(bad("symlink target is empty or contains a NUL byte"));
            }
            entry.kind = EntryKind::Symlink { target };
        }
        0 | S_IFREG => {
            let size_hint = file.size();
            let compressed = file.compressed_size();
            let hashed = hash_content(
                &mut file,
                &name,
                size_hint,
                Some(compressed),
                digests,
                budget,
            )
            .map_err(|error| match error {
                // The decompressor's and CRC's errors come back as I/O
                // errors: they are the entry's, not the file's.
                PackageError::Io { source, .. } => bad(&source.to_string()),
                other => other,
            })?;
            entry.kind = EntryKind::File { size: hashed.size };
            entry.sha256 = hashed.sha256;
            entry.blake3 = hashed.blake3;
        }
        _ => {
            // A FIFO, device or socket entry: some unzippers write it as a
            // regular file with its content, which no manifest field covers,
            // so it must have none.
            let mut content = Vec::new();
            (&mut file)
                .take(1)
                .read_to_end(&mut content)
                .map_err(|error| bad(&error.to_string()))?;
            if !content.is_empty() {
                return Err(bad(
                    "a special file (FIFO, device or socket) entry with content",
                ));
            }
        }
    }
    Ok(ZipItem::Entry(entry))
}

/// The manifest and its signature as stored at a zip's root, when there.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EmbeddedManifest {
    pub manifest: Option<Vec<u8>>,
    pub signature: Option<Vec<u8>>,
}

/// The embedded manifest is refused past this size (a manifest of 100,000
/// entries is about 25 MB).
pub const MAX_EMBEDDED_MANIFEST: u64 = 64 << 20;
/// Minisign caps its comments at 9 KiB in all; this leaves room.
pub const MAX_EMBEDDED_SIGNATURE: u64 = 64 << 10;

/// Reads [`MANIFEST_FILE`] and [`SIGNATURE_FILE`] from a zip's root.
pub fn read_embedded(zip: &Path, limits: &Limits) -> Result<EmbeddedManifest, PackageError> {
    let mut archive = open_checked_archive(zip, limits)?;
    let mut read = |name: &str, cap: u64| -> Result<Option<Vec<u8>>, PackageError> {
        let Some(index) = archive.index_for_name(name) else {
            return Ok(None);
        };
        let bad = |reason: String| PackageError::BadEntry {
            name: name.to_owned(),
            reason,
        };
        let file = archive
            .by_index(index)
            .map_err(|error| bad(error.to_string()))?;
        let mut content = Vec::new();
        file.take(cap + 1)
            .read_to_end(&mut content)
            .map_err(|error| bad(error.to_string()))?;
        if content.len() as u64 > cap {
            return Err(PackageError::EntryTooLarge {
                name: name.to_owned(),
                limit: cap,
            });
        }
        Ok(Some(content))
    };
    Ok(EmbeddedManifest {
        manifest: read(MANIFEST_FILE, MAX_EMBEDDED_MANIFEST)?,
        signature: read(SIGNATURE_FILE, MAX_EMBEDDED_SIGNATURE)?,
    })
}

/// Adds `files` (name, content) to an existing zip, replacing entries of
/// the same names. Every other entry is kept byte for byte: its local
/// record (header, data, data descriptor) and its central record are copied
/// as they are, only the central record's offset updated (the zip crate's
/// own raw copy rewrites headers and loses symlink modes). The archive is
/// written to a temporary file next to it, then renamed over the original,
/// so that a reader sees the old or the new archive, never half of one.
/// Zip64 archives and archives with data before the first entry are
/// refused (Lambda zips are neither).
pub fn embed_in_zip(zip: &Path, files: &[(&str, &[u8])]) -> io::Result<()> {
    let invalid = |message: String| io::Error::new(io::ErrorKind::InvalidInput, message);
    let mut names = HashSet::new();
    for (name, _) in files {
        validate_path(name).map_err(|problem| invalid(format!("{name:?}: {problem}")))?;
        if !names.insert(name.as_bytes()) {
            return Err(invalid(format!("{name:?} given twice")));
        }
    }
    // The duplicate check matters here too: a hidden second entry of a
    // name would survive the rewrite unseen.
    let archive = open_checked_archive(zip, &Limits::default())
        .map_err(|error| io::Error::new(io::ErrorKind::InvalidData, error.to_string()))?;
    let file_name = zip
        .file_name()
        .ok_or_else(|| invalid(format!("{} is not a file name", zip.display())))?;
    let folder = zip.parent().unwrap_or(Path::new("."));
    let (temporary_path, temporary) = create_temporary(folder, &file_name.to_string_lossy())?;
    let written = write_embedded(archive, &names, files, temporary).and_then(|temporary| {
        temporary.sync_all()?;
        std::fs::set_permissions(&temporary_path, std::fs::metadata(zip)?.permissions())?;
        std::fs::rename(&temporary_path, zip)
    });
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary_path);
    }
    written
}

/// Where one entry's records are in the source archive.
struct RecordSpan {
    header_start: u64,
    central_start: u64,
    replaced: bool,
}

const LOCAL_HEADER_SIGNATURE: u32 = 0x0403_4b50;
const END_OF_CENTRAL_DIRECTORY_SIGNATURE: u32 = 0x0605_4b50;
/// Version 2.0 (deflate), as made by a unix system (3).
const VERSION_NEEDED: u16 = 20;
const VERSION_MADE_BY_UNIX: u16 = (3 << 8) | VERSION_NEEDED;
/// General purpose flag 11: the name is UTF-8.
const FLAG_UTF8: u16 = 1 << 11;
const METHOD_DEFLATE: u16 = 8;
/// 1980-01-01 00:00, the earliest DOS date: the embedded files carry no
/// time (no clock inside this crate).
const DOS_DATE_1980: u16 = (1 << 5) | 1;

fn write_embedded(
    mut archive: Archive,
    replaced_names: &HashSet<&[u8]>,
    files: &[(&str, &[u8])],
    output: File,
) -> io::Result<File> {
    let unsupported = |what: &str| {
        io::Error::new(
            io::ErrorKind::Unsupported,
            format!("cannot embed into this zip: {what}"),
        )
    };
    if archive.offset() != 0 {
        return Err(unsupported("it has data before its first entry"));
    }
    let central_directory_start = archive.central_directory_start();
    let comment = archive.comment().to_vec();
    let mut spans = Vec::with_capacity(archive.len());
    for index in 0..archive.len() {
        let entry = archive.by_index_raw(index)?;
        spans.push(RecordSpan {
            header_start: entry.header_start(),
            central_start: entry.central_header_start(),
            replaced: replaced_names.contains(entry.name_raw()),
        });
    }
    let mut source = archive.into_inner();
    let mut output = CountingWriter {
        inner: io::BufWriter::with_capacity(READ_BUFFER, output),
        written: 0,
    };
    // Local records in file order: each runs to the next one (or to the
    // central directory), data descriptor included.
    let mut by_position: Vec<usize> = (0..spans.len()).collect();
    by_position.sort_by_key(|&index| spans[index].header_start);
    let first_header = by_position
        .first()
        .map_or(central_directory_start, |&index| spans[index].header_start);
    copy_range(&mut source, 0, first_header, &mut output)?;
    let mut new_offsets = vec![0u64; spans.len()];
    for (rank, &index) in by_position.iter().enumerate() {
        let end = by_position
            .get(rank + 1)
            .map_or(central_directory_start, |&next| spans[next].header_start);
        if !spans[index].replaced {
            new_offsets[index] = output.written;
            copy_range(&mut source, spans[index].header_start, end, &mut output)?;
        }
    }
    // The new entries' local records.
    let mut added = Vec::with_capacity(files.len());
    for (name, content) in files {
        let mut crc = flate2::Crc::new();
        crc.update(content);
        let mut encoder =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(content)?;
        let compressed = encoder.finish()?;
        let (Ok(compressed_size), Ok(size), Ok(name_len)) = (
            u32::try_from(compressed.len()),
            u32::try_from(content.len()),
            u16::try_from(name.len()),
        ) else {
            return Err(unsupported("an embedded file is too large"));
        };
        added.push((output.written, crc.sum(), compressed_size, size, name_len));
        let mut header = Vec::with_capacity(30 + name.len());
        header.extend_from_slice(&LOCAL_HEADER_SIGNATURE.to_le_bytes());
        for field in [VERSION_NEEDED, FLAG_UTF8, METHOD_DEFLATE, 0, DOS_DATE_1980] {
            header.extend_from_slice(&field.to_le_bytes());
        }
        for field in [crc.sum(), compressed_size, size] {
            header.extend_from_slice(&field.to_le_bytes());
        }
        header.extend_from_slice(&name_len.to_le_bytes());
        header.extend_from_slice(&0u16.to_le_bytes());
        header.extend_from_slice(name.as_bytes());
        output.write_all(&header)?;
        output.write_all(&compressed)?;
    }
    // The central directory: the kept records in their order, offsets
    // updated, then the new ones.
    let directory_start = output.written;
    let mut count = 0usize;
    for (index, span) in spans.iter().enumerate() {
        if span.replaced {
            continue;
        }
        let mut record = [0u8; CENTRAL_HEADER_LEN];
        source.position = span.central_start;
        if read_full(&mut source, &mut record)? < CENTRAL_HEADER_LEN {
            return Err(unsupported("truncated central directory"));
        }
        let u16_at = |at: usize| u64::from(u16::from_le_bytes([record[at], record[at + 1]]));
        let u32_at = |at: usize| {
            u32::from_le_bytes([record[at], record[at + 1], record[at + 2], record[at + 3]])
        };
        if [u32_at(20), u32_at(24), u32_at(42)].contains(&u32::MAX) {
            return Err(unsupported("it is a zip64 archive"));
        }
        let Ok(offset) = u32::try_from(new_offsets[index]) else {
            return Err(unsupported("it would need zip64"));
        };
        let rest = u16_at(28) + u16_at(30) + u16_at(32);
        record[42..46].copy_from_slice(&offset.to_le_bytes());
        output.write_all(&record)?;
        let rest_start = span.central_start + CENTRAL_HEADER_LEN as u64;
        copy_range(&mut source, rest_start, rest_start + rest, &mut output)?;
        count += 1;
    }
    for ((name, _), (offset, crc, compressed_size, size, name_len)) in files.iter().zip(added) {
        let Ok(offset) = u32::try_from(offset) else {
            return Err(unsupported("it would need zip64"));
        };
        let mut record = Vec::with_capacity(CENTRAL_HEADER_LEN + name.len());
        record.extend_from_slice(&CENTRAL_HEADER_SIGNATURE.to_le_bytes());
        for field in [
            VERSION_MADE_BY_UNIX,
            VERSION_NEEDED,
            FLAG_UTF8,
            METHOD_DEFLATE,
            0,
            DOS_DATE_1980,
        ] {
            record.extend_from_slice(&field.to_le_bytes());
        }
        for field in [crc, compressed_size, size] {
            record.extend_from_slice(&field.to_le_bytes());
        }
        // Name length, no extra field, no comment, disk 0, no internal
        // attributes; a regular file, mode 0644.
        for field in [name_len, 0, 0, 0, 0] {
            record.extend_from_slice(&field.to_le_bytes());
        }
        record.extend_from_slice(&((S_IFREG | 0o644) << 16).to_le_bytes());
        record.extend_from_slice(&offset.to_le_bytes());
        record.extend_from_slice(name.as_bytes());
        output.write_all(&record)?;
        count += 1;
    }
    let (Ok(count), Ok(directory_size), Ok(directory_start), Ok(comment_len)) = (
        u16::try_from(count),
        u32::try_from(output.written - directory_start),
        u32::try_from(directory_start),
        u16::try_from(comment.len()),
    ) else {
        return Err(unsupported("it would need zip64"));
    };
    if count == u16::MAX {
        return Err(unsupported("it would need zip64"));
    }
    let mut end = Vec::with_capacity(22 + comment.len());
    end.extend_from_slice(&END_OF_CENTRAL_DIRECTORY_SIGNATURE.to_le_bytes());
    for field in [0u16, 0, count, count] {
        end.extend_from_slice(&field.to_le_bytes());
    }
    end.extend_from_slice(&directory_size.to_le_bytes());
    end.extend_from_slice(&directory_start.to_le_bytes());
    end.extend_from_slice(&comment_len.to_le_bytes());
    end.extend_from_slice(&comment);
    output.write_all(&end)?;
    output
        .inner
        .into_inner()
        .map_err(|error| error.into_error())
}

/// Copies bytes `start..end` of `source` to `output`.
fn copy_range(
    source: &mut SharedFile,
    start: u64,
    end: u64,
    output: &mut dyn Write,
) -> io::Result<()> {
    source.position = start;
    let wanted = end.saturating_sub(start);
    let copied = io::copy(&mut (&mut *source).take(wanted), output)?;
    if copied != wanted {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the zip ends inside an entry",
        ));
    }
    Ok(())
}

/// Counts the bytes written, for the offsets of the records.
struct CountingWriter<W> {
    inner: W,
    written: u64,
}

impl<W: Write> Write for CountingWriter<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(bytes)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A new file `.NAME.fnguard-PID-N.tmp` in `folder` (never an existing one).
fn create_temporary(folder: &Path, name: &str) -> io::Result<(PathBuf, File)> {
    let pid = std::process::id();
    let mut attempt = 0u32;
    loop {
        let path = folder.join(format!(".{name}.fnguard-{pid}-{attempt}.tmp"));
        match File::options()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(file) => return Ok((path, file)),
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists && attempt < 1000 => {
                attempt += 1;
            }
            Err(error) => return Err(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_longer_than_its_hint_is_hashed_whole() {
        let content: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        let (limits, total) = (Limits::default(), AtomicU64::new(0));
        let budget = ByteBudget {
            limits: &limits,
            total: &total,
        };
        for hint in [0, 10, content.len() as u64, u64::MAX] {
            let hashed = hash_content(
                &mut content.as_slice(),
                "f",
                hint,
                None,
                DigestChoice::Both,
                &budget,
            )
            .unwrap();
            assert_eq!(hashed.size, content.len() as u64);
            assert_eq!(
                hashed.blake3.as_deref(),
                Some(blake3::hash(&content).to_hex().as_str())
            );
            assert_eq!(hashed.sha256, Some(to_hex(&sha2::Sha256::digest(&content))));
        }
    }

    #[test]
    fn the_ratio_cap_applies_past_its_floor_only() {
        let limits = Limits {
            max_ratio: 10,
            ratio_floor: 100,
            ..Limits::default()
        };
        let total = AtomicU64::new(0);
        let budget = ByteBudget {
            limits: &limits,
            total: &total,
        };
        // 100 bytes from 1 compressed byte: under the floor.
        assert!(budget.take("a", 100, 100, Some(1)).is_ok());
        // 1000 from 100: exactly 10:1, allowed; 1001 is over.
        assert!(budget.take("b", 0, 1000, Some(100)).is_ok());
        assert!(matches!(
            budget.take("b", 1, 1001, Some(100)),
            Err(PackageError::RatioTooHigh { .. })
        ));
    }

    #[test]
    fn paths_are_checked_component_by_component() {
        for good in ["a", "a/b.js", "..a", "a..", "a/.b", "é/ü", "ab:c", "1:x"] {
            assert_eq!(validate_path(good), Ok(()), "{good}");
        }
        for (bad, problem) in [
            ("", PathProblem::Empty),
            ("/a", PathProblem::Absolute),
            ("a/", PathProblem::EmptyComponent),
            ("a//b", PathProblem::EmptyComponent),
            ("./a", PathProblem::DotComponent),
            ("a/..", PathProblem::ParentComponent),
            ("..", PathProblem::ParentComponent),
            ("a\\b", PathProblem::Backslash),
            ("a\0b", PathProblem::Nul),
            ("C:/x", PathProblem::DriveLetter),
            ("z:", PathProblem::DriveLetter),
            ("a:b", PathProblem::DriveLetter),
        ] {
            assert_eq!(validate_path(bad), Err(problem), "{bad:?}");
        }
        assert_eq!(
            validate_path(&"a/".repeat(2049)[..4097]),
            Err(PathProblem::TooLong)
        );
    }

    #[test]
    fn an_entry_below_a_non_folder_is_found() {
        let found = find_non_folder_ancestor(["a", "a-b", "a.c", "a/x"].into_iter());
        assert_eq!(found, Some(("a/x", "a")));
        assert_eq!(
            find_non_folder_ancestor(["a/b", "a/c/d", "b"].into_iter()),
            None
        );
        assert_eq!(
            find_non_folder_ancestor(["x/y/z", "x/y"].into_iter()),
            Some(("x/y/z", "x/y"))
        );
    }

    #[test]
    fn hex_is_lowercase_and_complete() {
        assert_eq!(to_hex(&[0x00, 0x0f, 0xa0, 0xff]), "000fa0ff");
        assert_eq!(to_hex(&[]), "");
    }
}
