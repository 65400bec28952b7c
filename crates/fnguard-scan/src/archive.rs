//! Reading what a function ships, safely: a folder, a zip or jar (with the
//! zips and jars nested inside it), a tar or a tar.gz, read as a stream of
//! regular files handed to a visitor with their bytes. Nothing is extracted
//! to disk.
//!
//! A package is untrusted input: every byte produced by a decompressor or
//! read from a file is counted against [`Limits`] as it arrives (declared
//! sizes are never trusted, and no buffer is sized from them beyond a small
//! hint), entry names that would land outside the package root are reported
//! and not visited, and links are never followed. Whatever goes wrong in one
//! archive or entry becomes an [`Issue`] and the walk goes on with the next
//! one; nothing here panics on bad input.
//!
//! There is no global state: the engine can walk many inputs in parallel,
//! one [`walk`] call per input.

use std::cell::Cell;
use std::fmt;
use std::fs;
use std::io::{self, BufReader, Cursor, Read, Seek};
use std::path::Path;
use std::rc::Rc;

/// Folders a folder walk does not enter.
const TOOL_FOLDERS: &[&str] = &[".git", ".hg", ".svn", ".aws-sam", ".serverless"];

/// Caps on what one [`walk`] may read. The defaults fit Lambda packages
/// (250 MB unzipped at most, layers included) with room to spare; a user
/// can raise any of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Bytes produced in the whole walk: file contents, and nested archives
    /// counted once as bytes and again through their entries (the work done).
    pub total_bytes: u64,
    /// Bytes of one file or entry once decompressed.
    pub entry_bytes: u64,
    /// Decompressed bytes per compressed byte, for one entry and for one
    /// archive as a whole; checked once [`Limits::ratio_floor_bytes`] have
    /// been produced, since small repetitive files legitimately compress far
    /// better than 100:1.
    pub max_ratio: u64,
    /// Output below which the ratio is not checked.
    pub ratio_floor_bytes: u64,
    /// Entries (files, folders, links) seen in the whole walk.
    pub max_entries: u64,
    /// How many archives a file may sit in, the input archive included:
    /// with 3, `a.zip!/b.jar!/c.jar!/d.class` is read and a jar inside
    /// `c.jar` is visited as a plain file, not opened. A nested archive is
    /// held in memory while it is read, so peak memory is about
    /// `max_depth` times `entry_bytes` at worst.
    pub max_depth: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            total_bytes: 1 << 30,
            entry_bytes: 256 << 20,
            max_ratio: 100,
            ratio_floor_bytes: 1 << 20,
            max_entries: 200_000,
            max_depth: 3,
        }
    }
}

/// One regular file handed to the visitor.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    /// Where it is, for people: the input as given, then the path inside
    /// it, with `!/` where an archive is entered (`layer.zip!/python/x.py`,
    /// `fn.zip!/lib/a.jar!/com/A.class`, `src/app.py` for a folder `src`).
    pub display: &'a str,
    /// The path inside the package, `/`-separated and normalised, nested
    /// archives joined with `!/` (`lib/a.jar!/com/A.class`); what
    /// classification reads.
    pub package_path: &'a str,
    /// How many archives the file sits in (0 for a file of a folder).
    pub depth: u32,
    /// The file is itself an archive that the walk opens next (its
    /// entries follow as their own files).
    pub is_archive: bool,
}

/// Something wrong with an input, an archive or an entry; the walk went on
/// without it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// The archive or folder (display path) the problem is in.
    pub archive: String,
    /// The entry's name as stored (or the path of the file in a folder),
    /// when the problem is about one entry.
    pub entry: Option<String>,
    pub kind: IssueKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssueKind {
    /// The walk stopped: its bytes reached [`Limits::total_bytes`].
    TotalBytesExceeded { limit: u64 },
    /// The walk stopped: its entries reached [`Limits::max_entries`].
    TooManyEntries { limit: u64 },
    /// This entry was skipped: it decompresses past [`Limits::entry_bytes`].
    EntryTooLarge { limit: u64 },
    /// This entry (when `entry` is set) or the rest of this archive was
    /// skipped: it decompresses past [`Limits::max_ratio`].
    RatioExceeded { limit: u64 },
    /// This nested archive was visited as a file, not opened.
    TooDeep { limit: u32 },
    /// The entry's name climbs out of the package root with `..`.
    PathTraversal,
    /// The entry's name is absolute (`/etc/passwd`, `\\server\share`).
    AbsolutePath,
    /// The entry's name starts with a Windows drive (`C:`).
    DriveLetter,
    /// The entry's name holds a NUL byte or is not a usable path.
    InvalidName,
    /// A symbolic link whose target is outside the package root (not followed).
    LinkOutside { target: String },
    /// A tar hard link whose target is outside the package root (not followed).
    HardLinkOutside { target: String },
    /// A zip entry holds another size than its header declares: the bytes
    /// read are visited, the header was made to mislead (or is broken).
    SizeMismatch { declared: u64, actual: u64 },
    /// The archive or entry cannot be read: truncated, bad checksum, bad
    /// header. `offset` is the byte offset in the (decompressed) archive
    /// stream when known.
    Corrupt { offset: Option<u64>, detail: String },
    /// Encrypted entries or compression methods that are not read here.
    Unsupported { detail: String },
    /// The file system refused a read.
    Io { detail: String },
}

impl fmt::Display for IssueKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IssueKind::TotalBytesExceeded { limit } => {
                write!(f, "walk stopped: more than {limit} bytes in total")
            }
            IssueKind::TooManyEntries { limit } => {
                write!(f, "walk stopped: more than {limit} entries")
            }
            IssueKind::EntryTooLarge { limit } => {
                write!(f, "skipped: larger than {limit} bytes")
            }
            IssueKind::RatioExceeded { limit } => {
                write!(f, "skipped: decompresses more than {limit}:1 (a zip bomb?)")
            }
            IssueKind::TooDeep { limit } => {
                write!(f, "not opened: archives nested more than {limit} deep")
            }
            IssueKind::PathTraversal => f.write_str("name escapes the root with `..`"),
            IssueKind::AbsolutePath => f.write_str("absolute name"),
            IssueKind::DriveLetter => f.write_str("name starts with a drive letter"),
            IssueKind::InvalidName => f.write_str("unusable name"),
            IssueKind::LinkOutside { target } => {
                write!(
                    f,
                    "symbolic link to {target:?} outside the root, not followed"
                )
            }
            IssueKind::HardLinkOutside { target } => {
                write!(f, "hard link to {target:?} outside the root, not followed")
            }
            IssueKind::SizeMismatch { declared, actual } => {
                write!(f, "declares {declared} bytes but holds {actual}")
            }
            IssueKind::Corrupt {
                offset: Some(offset),
                detail,
            } => write!(f, "corrupt at offset {offset}: {detail}"),
            IssueKind::Corrupt {
                offset: None,
                detail,
            } => write!(f, "corrupt: {detail}"),
            IssueKind::Unsupported { detail } => write!(f, "not read: {detail}"),
            IssueKind::Io { detail } => write!(f, "cannot read: {detail}"),
        }
    }
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.entry {
            Some(entry) => write!(f, "{}: entry {entry:?}: {}", self.archive, self.kind),
            None => write!(f, "{}: {}", self.archive, self.kind),
        }
    }
}

/// What one walk did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Regular files handed to the visitor.
    pub files: u64,
    /// Bytes counted against [`Limits::total_bytes`].
    pub bytes: u64,
    /// Problems met, in the order met.
    pub issues: Vec<Issue>,
}

/// Walks `input` (a folder, an archive, or a single file) and hands every
/// regular file inside, nested archives opened, to `visitor` with its bytes.
/// `input` itself may be a link (the user named it); links inside it are
/// never followed.
pub fn walk<V>(input: &Path, limits: &Limits, visitor: &mut V) -> Summary
where
    V: FnMut(&Entry<'_>, &[u8]),
{
    let shown = input.display().to_string();
    // `fn/` and `fn` name the same folder: `fn/app.py`, not `fn//app.py`.
    let display = match shown.trim_end_matches('/') {
        "" => shown.as_str(),
        trimmed => trimmed,
    };
    walk_named(input, display, limits, visitor)
}

/// [`walk`], with the files named after `display` instead of `input` (a
/// code location `../../src/fn` shown as `src/fn`).
pub fn walk_named<V>(input: &Path, display: &str, limits: &Limits, visitor: &mut V) -> Summary
where
    V: FnMut(&Entry<'_>, &[u8]),
{
    let mut walker = Walker::new(limits, visitor);
    let display = display.to_string();
    match fs::metadata(input) {
        Ok(meta) if meta.is_dir() => walker.folder(input, &display),
        Ok(meta) if meta.is_file() => walker.file_input(input, &display, meta.len()),
        Ok(_) => walker.issue(
            &display,
            None,
            IssueKind::Unsupported {
                detail: "neither a regular file nor a folder".into(),
            },
        ),
        Err(err) => walker.issue(
            &display,
            None,
            IssueKind::Io {
                detail: err.to_string(),
            },
        ),
    }
    walker.summary
}

/// Walks a package already in memory (`name` is its display name, and its
/// format is told by its content, then by the extension of `name`).
pub fn walk_bytes<V>(name: &str, bytes: &[u8], limits: &Limits, visitor: &mut V) -> Summary
where
    V: FnMut(&Entry<'_>, &[u8]),
{
    let mut walker = Walker::new(limits, visitor);
    match ArchiveFormat::sniff(name, bytes) {
        Some(format) => walker.archive(
            format,
            Cursor::new(bytes),
            bytes.len() as u64,
            &Place::root(name),
            1,
        ),
        None => {
            if walker.count_entry(name) && walker.count_bytes(name, None, bytes.len() as u64) {
                walker.hand(&Place::root(name), 0, false, bytes);
            }
        }
    }
    walker.summary
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ArchiveFormat {
    Zip,
    Tar,
    TarGz,
}

impl ArchiveFormat {
    /// Tells the format from the first bytes; the name only settles old
    /// tars, which have no magic.
    fn sniff(name: &str, head: &[u8]) -> Option<ArchiveFormat> {
        if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
            Some(ArchiveFormat::Zip)
        } else if head.starts_with(&[0x1f, 0x8b]) && is_tar_gz_name(name) {
            Some(ArchiveFormat::TarGz)
        } else if (head.len() >= 262 && &head[257..262] == b"ustar")
            || (name.to_ascii_lowercase().ends_with(".tar") && head.len() >= 512)
        {
            Some(ArchiveFormat::Tar)
        } else {
            None
        }
    }

    /// Nested files are opened only when their name says archive and their
    /// content agrees, so that an office document or a lone `.gz` is read
    /// as the file it is.
    fn nested(name: &str, bytes: &[u8]) -> Option<ArchiveFormat> {
        let lower = name.to_ascii_lowercase();
        let zip_like = [".zip", ".jar", ".war", ".ear", ".whl", ".nupkg", ".egg"]
            .iter()
            .any(|ext| lower.ends_with(ext));
        if zip_like || lower.ends_with(".tar") || is_tar_gz_name(&lower) {
            ArchiveFormat::sniff(&lower, bytes)
        } else {
            None
        }
    }
}

fn is_tar_gz_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".tar.gz") || lower.ends_with(".tgz")
}

/// Where an archive sits: its display path and its path inside the package.
struct Place {
    display: String,
    package: String,
}

impl Place {
    fn root(display: &str) -> Place {
        Place {
            display: display.to_string(),
            package: String::new(),
        }
    }

    /// The place of a member, `entry` being its normalised name; `!/` when
    /// `self` is an archive, `/` when it is a folder.
    fn member(&self, entry: &str, inside_archive: bool) -> Place {
        let join = |base: &str, sep: &str| {
            if base.is_empty() {
                entry.to_string()
            } else {
                format!("{base}{sep}{entry}")
            }
        };
        if inside_archive {
            Place {
                display: format!("{}!/{entry}", self.display),
                package: join(&self.package, "!/"),
            }
        } else {
            Place {
                display: format!("{}/{entry}", self.display),
                package: join(&self.package, "/"),
            }
        }
    }
}

/// Why the reading of one entry stopped short.
enum Cut {
    /// The reader failed (not yet reported: the caller knows the context).
    Read(io::Error),
    /// Reported; skip this entry.
    Entry,
    /// Reported; the whole walk stops.
    Walk,
}

struct Walker<'l, 'v, V> {
    limits: &'l Limits,
    visitor: &'v mut V,
    summary: Summary,
    entries: u64,
    stopped: bool,
}

/// Read size between two checks of the caps.
const CHUNK: u64 = 1 << 20;

impl<'l, 'v, V> Walker<'l, 'v, V>
where
    V: FnMut(&Entry<'_>, &[u8]),
{
    fn new(limits: &'l Limits, visitor: &'v mut V) -> Self {
        Walker {
            limits,
            visitor,
            summary: Summary::default(),
            entries: 0,
            stopped: false,
        }
    }

    fn issue(&mut self, archive: &str, entry: Option<&str>, kind: IssueKind) {
        self.summary.issues.push(Issue {
            archive: archive.to_string(),
            entry: entry.map(str::to_string),
            kind,
        });
    }

    /// Counts one entry; false (reported once) when the walk must stop.
    fn count_entry(&mut self, archive: &str) -> bool {
        if self.stopped {
            return false;
        }
        self.entries += 1;
        if self.entries > self.limits.max_entries {
            self.stopped = true;
            self.issue(
                archive,
                None,
                IssueKind::TooManyEntries {
                    limit: self.limits.max_entries,
                },
            );
            return false;
        }
        true
    }

    /// Counts bytes already read; false (reported once) when the walk must stop.
    fn count_bytes(&mut self, archive: &str, entry: Option<&str>, bytes: u64) -> bool {
        self.summary.bytes += bytes;
        if self.summary.bytes > self.limits.total_bytes {
            if !self.stopped {
                self.stopped = true;
                self.issue(
                    archive,
                    entry,
                    IssueKind::TotalBytesExceeded {
                        limit: self.limits.total_bytes,
                    },
                );
            }
            return false;
        }
        true
    }

    /// Reads one entry into `buf`, checking the caps every [`CHUNK`]:
    /// `compressed` is what the entry occupies in its archive (None for a
    /// file or a stored tar member, where no ratio applies).
    fn read_entry(
        &mut self,
        reader: &mut dyn Read,
        buf: &mut Vec<u8>,
        size_hint: u64,
        compressed: Option<u64>,
        archive: &str,
        entry: &str,
    ) -> Result<(), Cut> {
        buf.clear();
        buf.reserve(size_hint.min(CHUNK * 16).min(self.limits.entry_bytes) as usize);
        loop {
            let read = match reader.take(CHUNK).read_to_end(buf) {
                Ok(read) => read as u64,
                Err(err) => return Err(Cut::Read(err)),
            };
            if read == 0 {
                return Ok(());
            }
            if !self.count_bytes(archive, Some(entry), read) {
                return Err(Cut::Walk);
            }
            let out = buf.len() as u64;
            if out > self.limits.entry_bytes {
                self.issue(
                    archive,
                    Some(entry),
                    IssueKind::EntryTooLarge {
                        limit: self.limits.entry_bytes,
                    },
                );
                return Err(Cut::Entry);
            }
            if let Some(compressed) = compressed {
                if self.over_ratio(out, compressed) {
                    self.issue(
                        archive,
                        Some(entry),
                        IssueKind::RatioExceeded {
                            limit: self.limits.max_ratio,
                        },
                    );
                    return Err(Cut::Entry);
                }
            }
        }
    }

    fn over_ratio(&self, out: u64, compressed: u64) -> bool {
        out > self.limits.ratio_floor_bytes
            && out > compressed.max(1).saturating_mul(self.limits.max_ratio)
    }

    /// Hands a file to the visitor, then opens it when it is an archive
    /// (or reports that it is nested too deep).
    fn hand(&mut self, place: &Place, depth: u32, may_open: bool, bytes: &[u8]) {
        let format = if may_open {
            ArchiveFormat::nested(&place.package, bytes)
        } else {
            None
        };
        let open = format.filter(|_| {
            if depth < self.limits.max_depth {
                true
            } else {
                self.issue(
                    &place.display,
                    None,
                    IssueKind::TooDeep {
                        limit: self.limits.max_depth,
                    },
                );
                false
            }
        });
        self.summary.files += 1;
        (self.visitor)(
            &Entry {
                display: &place.display,
                package_path: &place.package,
                depth,
                is_archive: open.is_some(),
            },
            bytes,
        );
        if let Some(format) = open {
            self.archive(
                format,
                Cursor::new(bytes),
                bytes.len() as u64,
                place,
                depth + 1,
            );
        }
    }

    fn file_input(&mut self, path: &Path, display: &str, len: u64) {
        let mut file = match fs::File::open(path) {
            Ok(file) => file,
            Err(err) => {
                return self.issue(
                    display,
                    None,
                    IssueKind::Io {
                        detail: err.to_string(),
                    },
                )
            }
        };
        let mut head = Vec::with_capacity(512);
        if let Err(err) = (&mut file).take(512).read_to_end(&mut head) {
            return self.issue(display, None, io_issue(&err, None));
        }
        if let Err(err) = file.rewind() {
            return self.issue(display, None, io_issue(&err, None));
        }
        let root = Place::root(display);
        match ArchiveFormat::sniff(display, &head) {
            Some(format) => self.archive(format, BufReader::new(file), len, &root, 1),
            None => {
                if !self.count_entry(display) {
                    return;
                }
                let mut buf = Vec::new();
                match self.read_entry(&mut file, &mut buf, len, None, display, display) {
                    Ok(()) => self.hand(&root, 0, false, &buf),
                    Err(Cut::Read(err)) => {
                        self.issue(display, None, io_issue(&err, Some(buf.len() as u64)))
                    }
                    Err(_) => {}
                }
            }
        }
    }

    /// Opens one archive; `depth` is how many archives its entries sit in.
    fn archive<R: Read + Seek>(
        &mut self,
        format: ArchiveFormat,
        reader: R,
        len: u64,
        place: &Place,
        depth: u32,
    ) {
        match format {
            ArchiveFormat::Zip => self.zip(reader, len, place, depth),
            ArchiveFormat::Tar => self.tar(reader, None, place, depth),
            ArchiveFormat::TarGz => {
                let gz = flate2::read::MultiGzDecoder::new(reader);
                self.tar(gz, Some(len), place, depth)
            }
        }
    }

    fn zip<R: Read + Seek>(&mut self, mut reader: R, len: u64, place: &Place, depth: u32) {
        // The zip reader builds its whole directory up front, one record
        // per declared entry: an archive declaring more entries than the
        // walk has left is refused before that allocation.
        let room = self.limits.max_entries.saturating_sub(self.entries);
        if let Some(declared) = declared_zip_entries(&mut reader, len) {
            if declared > room {
                return self.issue(
                    &place.display,
                    None,
                    IssueKind::TooManyEntries {
                        limit: self.limits.max_entries,
                    },
                );
            }
        }
        let mut zip = match zip::ZipArchive::new(reader) {
            Ok(zip) => zip,
            Err(err) => {
                return self.issue(&place.display, None, zip_issue(&err, None));
            }
        };
        let mut buf = Vec::new();
        let mut archive_out = 0u64;
        for index in 0..zip.len() {
            if !self.count_entry(&place.display) {
                return;
            }
            let stored = zip.name_for_index(index).unwrap_or_default().to_string();
            let mut file = match zip.by_index(index) {
                Ok(file) => file,
                Err(err) => {
                    let kind = zip_issue(&err, None);
                    self.issue(&place.display, Some(&stored), kind);
                    continue;
                }
            };
            let name = match check_name(&stored) {
                Ok(name) => name,
                Err(kind) => {
                    self.issue(&place.display, Some(&stored), kind);
                    continue;
                }
            };
            if file.is_dir() || name.is_empty() {
                continue;
            }
            if file.is_symlink() {
                // A zip link's target is its content, a short path.
                let mut target = Vec::new();
                if let Err(err) = (&mut file).take(4096).read_to_end(&mut target) {
                    let kind = zip_issue(&zip::result::ZipError::Io(err), None);
                    self.issue(&place.display, Some(&stored), kind);
                    continue;
                }
                let target = String::from_utf8_lossy(&target).into_owned();
                if link_escapes(&name, &target) {
                    self.issue(
                        &place.display,
                        Some(&stored),
                        IssueKind::LinkOutside { target },
                    );
                }
                continue;
            }
            let compressed = file.compressed_size().min(len);
            let size = file.size();
            let ratio =
                (file.compression() != zip::CompressionMethod::Stored).then_some(compressed);
            let read = self.read_entry(&mut file, &mut buf, size, ratio, &place.display, &stored);
            drop(file);
            match read {
                Ok(()) => {
                    // The whole archive's ratio counts the entries read in
                    // full: many entries each below the ratio floor make a
                    // bomb too, while one entry already cut for its ratio
                    // does not condemn the rest.
                    let actual = buf.len() as u64;
                    if actual != size {
                        self.issue(
                            &place.display,
                            Some(&stored),
                            IssueKind::SizeMismatch {
                                declared: size,
                                actual,
                            },
                        );
                    }
                    archive_out += actual;
                    if self.over_ratio(archive_out, len) {
                        return self.issue(
                            &place.display,
                            None,
                            IssueKind::RatioExceeded {
                                limit: self.limits.max_ratio,
                            },
                        );
                    }
                    let member = place.member(&name, true);
                    self.hand(&member, depth, true, &buf);
                }
                Err(Cut::Read(err)) => {
                    let kind = zip_issue(&zip::result::ZipError::Io(err), None);
                    self.issue(&place.display, Some(&stored), kind);
                }
                Err(Cut::Entry) => {}
                Err(Cut::Walk) => return,
            }
            if self.stopped {
                return;
            }
        }
    }

    /// Reads a tar stream; `compressed` is the size of the gzip file it is
    /// decompressed from, if any (the ratio then applies to the whole stream).
    fn tar<R: Read>(&mut self, reader: R, compressed: Option<u64>, place: &Place, depth: u32) {
        let stream_cap = match compressed {
            Some(len) => len
                .max(1)
                .saturating_mul(self.limits.max_ratio)
                .max(self.limits.ratio_floor_bytes),
            None => u64::MAX,
        };
        let capped = Rc::new(Cell::new(false));
        let mut counted = CountingReader {
            inner: reader,
            read: 0,
            cap: stream_cap,
            capped: Rc::clone(&capped),
        };
        let mut archive = tar::Archive::new(&mut counted);
        let entries = match archive.entries() {
            Ok(entries) => entries,
            Err(err) => return self.issue(&place.display, None, io_issue(&err, Some(0))),
        };
        let mut buf = Vec::new();
        let mut last_offset = 0u64;
        for entry in entries {
            if !self.count_entry(&place.display) {
                return;
            }
            let mut entry = match entry {
                Ok(entry) => entry,
                Err(err) => {
                    if capped.get() {
                        return self.ratio_stop(place);
                    }
                    return self.issue(&place.display, None, io_issue(&err, Some(last_offset)));
                }
            };
            last_offset = entry.raw_header_position();
            let stored = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let name = match check_name(&stored) {
                Ok(name) => name,
                Err(kind) => {
                    self.issue(&place.display, Some(&stored), kind);
                    continue;
                }
            };
            let kind = entry.header().entry_type();
            if kind.is_symlink() || kind.is_hard_link() {
                let target = entry
                    .link_name_bytes()
                    .map(|t| String::from_utf8_lossy(&t).into_owned())
                    .unwrap_or_default();
                // A hard link's target is a path from the archive root, a
                // symbolic link's is relative to the link's folder.
                let escapes = if kind.is_hard_link() {
                    check_name(&target).is_err()
                } else {
                    link_escapes(&name, &target)
                };
                if escapes {
                    let issue = if kind.is_hard_link() {
                        IssueKind::HardLinkOutside { target }
                    } else {
                        IssueKind::LinkOutside { target }
                    };
                    self.issue(&place.display, Some(&stored), issue);
                }
                continue;
            }
            if !(kind.is_file() || kind.is_contiguous()) || name.is_empty() {
                continue;
            }
            let size = entry.size();
            let read = self.read_entry(&mut entry, &mut buf, size, None, &place.display, &stored);
            match read {
                Ok(()) => {
                    let member = place.member(&name, true);
                    self.hand(&member, depth, true, &buf);
                }
                Err(Cut::Read(err)) => {
                    // A read cut short by the ratio of the whole stream
                    // means the stream is a bomb: stop here. Otherwise the
                    // stream is broken past this point.
                    if capped.get() {
                        return self.ratio_stop(place);
                    }
                    let offset = entry.raw_file_position() + buf.len() as u64;
                    return self.issue(&place.display, Some(&stored), io_issue(&err, Some(offset)));
                }
                Err(Cut::Entry) => {}
                Err(Cut::Walk) => return,
            }
            if self.stopped {
                return;
            }
        }
    }

    fn ratio_stop(&mut self, place: &Place) {
        self.issue(
            &place.display,
            None,
            IssueKind::RatioExceeded {
                limit: self.limits.max_ratio,
            },
        );
    }

    fn folder(&mut self, root: &Path, display: &str) {
        // An explicit stack: deep trees cannot overflow the call stack, and
        // with links never followed there are no cycles.
        let mut stack = vec![(root.to_path_buf(), String::new())];
        let mut buf = Vec::new();
        while let Some((dir, rel)) = stack.pop() {
            let here = if rel.is_empty() {
                display.to_string()
            } else {
                format!("{display}/{rel}")
            };
            let mut children: Vec<(String, fs::DirEntry)> = match fs::read_dir(&dir) {
                Ok(read) => read
                    .filter_map(|child| match child {
                        Ok(child) => {
                            Some((child.file_name().to_string_lossy().into_owned(), child))
                        }
                        Err(err) => {
                            self.issue(
                                &here,
                                None,
                                IssueKind::Io {
                                    detail: err.to_string(),
                                },
                            );
                            None
                        }
                    })
                    .collect(),
                Err(err) => {
                    self.issue(
                        &here,
                        None,
                        IssueKind::Io {
                            detail: err.to_string(),
                        },
                    );
                    continue;
                }
            };
            // Sorted, so that walks and their reports are reproducible;
            // reversed, so that the stack pops folders in name order.
            children.sort_by(|a, b| b.0.cmp(&a.0));
            let mut files = Vec::new();
            for (name, child) in children {
                if !self.count_entry(display) {
                    return;
                }
                let child_rel = if rel.is_empty() {
                    name.clone()
                } else {
                    format!("{rel}/{name}")
                };
                match child.file_type() {
                    Ok(kind) if kind.is_symlink() => {
                        let target = fs::read_link(child.path())
                            .map(|t| t.to_string_lossy().into_owned())
                            .unwrap_or_default();
                        if link_escapes(&child_rel, &target) {
                            self.issue(
                                display,
                                Some(&child_rel),
                                IssueKind::LinkOutside { target },
                            );
                        }
                    }
                    // Version-control and build-tool state is never part
                    // of a deployed package (SAM and the Serverless
                    // Framework leave their own folders out too); `.aws-sam`
                    // holds copies of the code, reported once from source.
                    Ok(kind) if kind.is_dir() && TOOL_FOLDERS.contains(&name.as_str()) => {}
                    Ok(kind) if kind.is_dir() => stack.push((child.path(), child_rel)),
                    Ok(kind) if kind.is_file() => files.push((child.path(), child_rel)),
                    Ok(_) => {}
                    Err(err) => self.issue(
                        display,
                        Some(&child_rel),
                        IssueKind::Io {
                            detail: err.to_string(),
                        },
                    ),
                }
            }
            files.reverse();
            let base = Place::root(display);
            for (path, child_rel) in files {
                let mut file = match fs::File::open(&path) {
                    Ok(file) => file,
                    Err(err) => {
                        self.issue(
                            display,
                            Some(&child_rel),
                            IssueKind::Io {
                                detail: err.to_string(),
                            },
                        );
                        continue;
                    }
                };
                let size = file.metadata().map(|m| m.len()).unwrap_or(0);
                match self.read_entry(&mut file, &mut buf, size, None, display, &child_rel) {
                    Ok(()) => {
                        let member = base.member(&child_rel, false);
                        self.hand(&member, 0, true, &buf);
                    }
                    Err(Cut::Read(err)) => self.issue(
                        display,
                        Some(&child_rel),
                        IssueKind::Io {
                            detail: err.to_string(),
                        },
                    ),
                    Err(Cut::Entry) => {}
                    Err(Cut::Walk) => return,
                }
                if self.stopped {
                    return;
                }
            }
        }
    }
}

/// The entry count a zip's end of central directory declares (the zip64
/// one when the classic field is saturated), if the record is found; the
/// zip reader reports a missing or broken one itself.
fn declared_zip_entries<R: Read + Seek>(reader: &mut R, len: u64) -> Option<u64> {
    const EOCD: &[u8] = b"PK\x05\x06";
    const EOCD_LEN: u64 = 22;
    // The record ends the file, after a comment of at most 65,535 bytes.
    let tail_len = len.min(EOCD_LEN + 65_535);
    let mut tail = Vec::with_capacity(tail_len as usize);
    reader.seek(io::SeekFrom::Start(len - tail_len)).ok()?;
    reader.take(tail_len).read_to_end(&mut tail).ok()?;
    let at = tail
        .windows(4)
        .rposition(|window| window == EOCD)
        .filter(|at| tail.len() - at >= EOCD_LEN as usize)?;
    let classic = u64::from(u16::from_le_bytes([tail[at + 10], tail[at + 11]]));
    if classic != 0xffff {
        return Some(classic);
    }
    // Zip64: a locator just before the record points at the zip64 record,
    // whose entry count is 8 bytes at offset 32.
    let locator = at.checked_sub(20)?;
    if &tail[locator..locator + 4] != b"PK\x06\x07" {
        return Some(classic);
    }
    let mut offset = [0u8; 8];
    offset.copy_from_slice(&tail[locator + 8..locator + 16]);
    let record = u64::from_le_bytes(offset);
    let mut head = [0u8; 40];
    reader.seek(io::SeekFrom::Start(record)).ok()?;
    reader.read_exact(&mut head).ok()?;
    if &head[..4] != b"PK\x06\x06" {
        return None;
    }
    let mut count = [0u8; 8];
    count.copy_from_slice(&head[32..40]);
    Some(u64::from_le_bytes(count))
}

/// Counts the bytes a decompressed stream produces and fails it past `cap`,
/// setting `capped` so that the failure is told from a broken stream.
struct CountingReader<R> {
    inner: R,
    read: u64,
    cap: u64,
    capped: Rc<Cell<bool>>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.read >= self.cap {
            self.capped.set(true);
            return Err(io::Error::other("decompression ratio cap reached"));
        }
        let room = (self.cap - self.read).min(out.len() as u64) as usize;
        let read = self.inner.read(&mut out[..room])?;
        self.read += read as u64;
        Ok(read)
    }
}

fn io_issue(err: &io::Error, offset: Option<u64>) -> IssueKind {
    match err.kind() {
        io::ErrorKind::UnexpectedEof
        | io::ErrorKind::InvalidData
        | io::ErrorKind::InvalidInput
        | io::ErrorKind::Other => IssueKind::Corrupt {
            offset,
            detail: err.to_string(),
        },
        _ => IssueKind::Io {
            detail: err.to_string(),
        },
    }
}

fn zip_issue(err: &zip::result::ZipError, offset: Option<u64>) -> IssueKind {
    use zip::result::ZipError;
    match err {
        ZipError::UnsupportedArchive(detail) => IssueKind::Unsupported {
            detail: detail.to_string(),
        },
        ZipError::Io(io) => io_issue(io, offset),
        other => IssueKind::Corrupt {
            offset,
            detail: other.to_string(),
        },
    }
}

/// The normalised, `/`-separated form of an entry name that stays inside
/// the package root, or what is wrong with it. Backslashes count as
/// separators: zips made on Windows use them, and `..\` climbs there.
fn check_name(stored: &str) -> Result<String, IssueKind> {
    if stored.contains('\0') {
        return Err(IssueKind::InvalidName);
    }
    let name = stored.replace('\\', "/");
    if name.starts_with('/') {
        return Err(IssueKind::AbsolutePath);
    }
    let bytes = name.as_bytes();
    if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' {
        return Err(IssueKind::DriveLetter);
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in name.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(IssueKind::PathTraversal);
                }
            }
            part => parts.push(part),
        }
    }
    Ok(parts.join("/"))
}

/// Whether a link at `link` (normalised, from the root) pointing to
/// `target` resolves outside the root, judged on the names alone.
fn link_escapes(link: &str, target: &str) -> bool {
    let target = target.replace('\\', "/");
    if target.starts_with('/') || (target.len() >= 2 && target.as_bytes()[1] == b':') {
        return true;
    }
    let folder = link
        .rsplit_once('/')
        .map(|(folder, _)| folder)
        .unwrap_or("");
    let joined = if folder.is_empty() {
        target
    } else {
        format!("{folder}/{target}")
    };
    check_name(&joined).is_err()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_inside_the_root_are_normalised() {
        assert_eq!(check_name("a/./b//c").unwrap(), "a/b/c");
        assert_eq!(check_name("a/../b").unwrap(), "b");
        assert_eq!(check_name("python\\lib\\x.py").unwrap(), "python/lib/x.py");
    }

    #[test]
    fn names_outside_the_root_are_refused() {
        assert_eq!(
            check_name("../../etc/passwd"),
            Err(IssueKind::PathTraversal)
        );
        assert_eq!(check_name("a/../../b"), Err(IssueKind::PathTraversal));
        assert_eq!(check_name("..\\x"), Err(IssueKind::PathTraversal));
        assert_eq!(check_name("/etc/passwd"), Err(IssueKind::AbsolutePath));
        assert_eq!(
            check_name("\\\\server\\share"),
            Err(IssueKind::AbsolutePath)
        );
        assert_eq!(check_name("C:\\Windows\\x"), Err(IssueKind::DriveLetter));
        assert_eq!(check_name("a\0b"), Err(IssueKind::InvalidName));
    }

    #[test]
    fn links_are_judged_from_their_folder() {
        assert!(!link_escapes("a/b/link", "../c"));
        assert!(link_escapes("a/link", "../../c"));
        assert!(link_escapes("link", "/etc"));
        assert!(!link_escapes("link", "lib/x"));
    }

    #[test]
    fn the_ratio_needs_the_floor_and_the_factor() {
        let limits = Limits::default();
        let mut visit = |_: &Entry<'_>, _: &[u8]| {};
        let walker = Walker::new(&limits, &mut visit);
        assert!(!walker.over_ratio(1000 * 100, 10));
        assert!(walker.over_ratio(4 << 20, 1000));
        assert!(!walker.over_ratio(4 << 20, 1 << 20));
    }
}
