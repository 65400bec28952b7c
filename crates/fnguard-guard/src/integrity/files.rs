//! Integrity of the function's files: the signed manifest of each root
//! (`/var/task`, `/opt`) verified at init, then re-checked before each
//! invocation.
//!
//! - [`FileGuard::init`] walks each root and records cheap metadata of every
//!   entry and folder (device, inode, size, mtime, ctime, mode), then
//!   verifies the root with [`fnguard_sign::seal::verify`] (signature first,
//!   then every file's BLAKE3), then compares the tree with the walk made
//!   before hashing: a file changed while it was being hashed is caught too.
//! - [`FileGuard::quick_check`] compares that metadata. An `lstat` costs
//!   about 2 µs on this machine, so 2,000 files would cost 4 ms per
//!   invocation: instead every folder is watched with inotify from init
//!   (write, attribute change, create, delete, rename), and a check with no
//!   event pending is one `read` that returns at once, plus the `lstat` of a
//!   rotating slice of [`SWEEP_PER_CHECK`] entries (what inotify cannot see:
//!   writes through a shared mapping, or through a hard link outside the
//!   root; files with several links at init are looked at every time). Once
//!   any event arrives (or inotify is unavailable, or a slice finds a
//!   change), every entry and folder is compared on every check from then
//!   on, so a change is reported again at each check, not once. A folder
//!   whose metadata changed has its listing read again to name what was
//!   added or removed. The ctime cannot be set back by an unprivileged
//!   process (`utimensat` sets mtime and atime, and updates ctime to now),
//!   so a write with its mtime restored is still seen.
//! - [`FileGuard::full_check`] hashes every file again against the manifest:
//!   what metadata cannot show (a change below the filesystem, a clock set
//!   back by root).
//!
//! ```no_run
//! use fnguard_guard::integrity::files::{FileGuard, RootSpec};
//! use fnguard_sign::minisign::PublicKey;
//!
//! fn start(key: PublicKey) {
//!     let roots = [
//!         RootSpec { path: "/var/task".into(), manifest: None, required: true },
//!         RootSpec { path: "/opt".into(), manifest: None, required: false },
//!     ];
//!     match FileGuard::init(&roots, &[key], 100) {
//!         Ok(mut guard) => {
//!             // Log guard.notes(). Before each invocation (quick, and
//!             // full every 100th call):
//!             for violation in guard.check() {
//!                 // log; enforce mode: fail closed
//!             }
//!         }
//!         Err(violations) => { /* log each; enforce mode: init error */ }
//!     }
//! }
//! ```

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fs;
use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use fnguard_sign::manifest::{self, CompareOptions, FileKind, Manifest};
use fnguard_sign::minisign::PublicKey;
use fnguard_sign::package::{DigestChoice, Limits, MANIFEST_FILE, SIGNATURE_FILE};
use fnguard_sign::seal::{self, Sources, VerifyError};
use rustix::fs::inotify;
use serde_json::{json, Value};

/// Entries and folders compared per [`FileGuard::quick_check`] while no
/// inotify event has arrived: the whole tree every `n / 32` checks.
pub const SWEEP_PER_CHECK: usize = 32;

/// The `control` of a file integrity violation in the security log.
pub const CONTROL_FILES: &str = "integrity.files";
/// The `control` of a process integrity violation in the security log.
pub const CONTROL_PROCESS: &str = "integrity.process";

/// One integrity failure, ready for the security log: `details` names
/// paths, pids and reasons, never file contents, environment values or
/// command lines beyond the program name.
#[derive(Clone, Debug, PartialEq)]
pub struct Violation {
    /// [`CONTROL_FILES`] or [`CONTROL_PROCESS`].
    pub control: &'static str,
    /// A short sentence, stable enough to match on.
    pub reason: String,
    pub details: Value,
}

impl Violation {
    pub(crate) fn files(reason: impl Into<String>, details: Value) -> Violation {
        Violation {
            control: CONTROL_FILES,
            reason: reason.into(),
            details,
        }
    }

    pub(crate) fn process(reason: impl Into<String>, details: Value) -> Violation {
        Violation {
            control: CONTROL_PROCESS,
            reason: reason.into(),
            details,
        }
    }
}

/// A folder to guard and where its signed manifest is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RootSpec {
    pub path: PathBuf,
    /// The manifest (its signature beside it, `.minisig` added); default
    /// `ROOT/fnguard.manifest.json`.
    pub manifest: Option<PathBuf>,
    /// A required root must exist and carry a manifest. An optional one
    /// that is absent, or present without any manifest, is skipped (see
    /// [`FileGuard::notes`]); one with a manifest that does not verify is
    /// a violation either way.
    pub required: bool,
}

/// Metadata that changes when an entry is written, replaced, renamed over,
/// chmod-ed or re-linked. A symlink's target is not read: a symlink cannot
/// be changed in place (only replaced, which changes its inode), and
/// full_check compares the target with the manifest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Meta {
    dev: u64,
    ino: u64,
    /// File type and permission bits.
    mode: u32,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl Meta {
    fn of(metadata: &fs::Metadata) -> Meta {
        Meta {
            dev: metadata.dev(),
            ino: metadata.ino(),
            mode: metadata.mode(),
            size: metadata.size(),
            mtime: (metadata.mtime(), metadata.mtime_nsec()),
            ctime: (metadata.ctime(), metadata.ctime_nsec()),
        }
    }

    /// The names of the fields that differ, for the log.
    fn differences(&self, now: &Meta) -> Vec<&'static str> {
        let mut fields = Vec::new();
        if (self.dev, self.ino) != (now.dev, now.ino) {
            fields.push("inode");
        }
        if self.mode & 0o170_000 != now.mode & 0o170_000 {
            fields.push("type");
        }
        if self.mode & 0o7777 != now.mode & 0o7777 {
            fields.push("mode");
        }
        if self.size != now.size {
            fields.push("size");
        }
        if self.mtime != now.mtime {
            fields.push("mtime");
        }
        if self.ctime != now.ctime {
            fields.push("ctime");
        }
        fields
    }
}

/// A file, symlink or special file of a root, as found at init. Its path
/// is that of the manifest's entry at the same index (both are sorted by
/// path): paths are held once, in the manifest.
#[derive(Clone, Copy, Debug)]
struct Entry {
    meta: Meta,
    /// A regular file with more than one link at init: it can be written
    /// through a name inotify does not watch.
    shared: bool,
}

/// A folder of a root. What it should list is derived from the manifest
/// and the other folders when its metadata changes.
#[derive(Debug)]
struct Folder {
    /// Relative to the root, `/`-separated; empty for the root itself.
    relative: String,
    meta: Meta,
}

/// A root as walked.
#[derive(Debug, Default)]
struct Tree {
    folders: Vec<Folder>,
    /// Aligned with the manifest's files.
    entries: Vec<Entry>,
    /// Names at the root that are not entries: the manifest's own files.
    root_extras: Vec<OsString>,
}

/// One verified root.
#[derive(Debug)]
struct GuardedRoot {
    path: PathBuf,
    manifest: Manifest,
    tree: Tree,
}

/// The guard of the function's files (see the module documentation).
#[derive(Debug)]
pub struct FileGuard {
    roots: Vec<GuardedRoot>,
    full_every: u32,
    checks_since_full: u32,
    notes: Vec<String>,
    /// The inotify instance watching every folder; `None` when inotify is
    /// unavailable (every check is then a full comparison).
    watch: Option<OwnedFd>,
    /// An event arrived or a change was seen: compare everything from now.
    tainted: bool,
    /// Where the next rotating slice starts.
    cursor: usize,
}

impl FileGuard {
    /// Verifies every root (see the module documentation); on any failure,
    /// every violation found (all roots are tried). `keys`: any of them may
    /// have signed. `full_every`: [`FileGuard::check`] hashes everything
    /// again every `full_every` calls (0: never).
    pub fn init(
        roots: &[RootSpec],
        keys: &[PublicKey],
        full_every: u32,
    ) -> Result<FileGuard, Vec<Violation>> {
        let mut guard = FileGuard {
            roots: Vec::with_capacity(roots.len()),
            full_every,
            checks_since_full: 0,
            notes: Vec::new(),
            watch: None,
            tainted: false,
            cursor: 0,
        };
        match inotify::init(inotify::CreateFlags::NONBLOCK | inotify::CreateFlags::CLOEXEC) {
            Ok(fd) => guard.watch = Some(fd),
            Err(error) => guard.notes.push(format!(
                "inotify unavailable ({error}): every check compares every file"
            )),
        }
        let mut violations = Vec::new();
        for spec in roots {
            match guard_root(spec, keys, &mut guard.watch) {
                Ok(Some(root)) => guard.roots.push(root),
                Ok(None) => guard.notes.push(format!(
                    "{}: optional root absent or without a manifest, not guarded",
                    spec.path.display()
                )),
                Err(mut found) => violations.append(&mut found),
            }
        }
        if guard.watch.is_none() && !guard.notes.iter().any(|n| n.starts_with("inotify")) {
            guard.notes.push(
                "a folder could not be watched with inotify: every check compares every file"
                    .to_owned(),
            );
        }
        if violations.is_empty() {
            Ok(guard)
        } else {
            Err(violations)
        }
    }

    /// What the log should say about how the files are guarded: optional
    /// roots left unguarded, inotify unavailable. One sentence each.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// How many entries (files, symlinks, others) are guarded in all.
    pub fn entries(&self) -> usize {
        self.roots.iter().map(|root| root.tree.entries.len()).sum()
    }

    /// Metadata of entries and folders against init: changed, added,
    /// removed, replaced or chmod-ed entries (see the module documentation
    /// for what is compared when).
    pub fn quick_check(&mut self) -> Vec<Violation> {
        let mut violations = Vec::new();
        let quiet = match &self.watch {
            Some(fd) => !drain(fd),
            None => false,
        };
        if quiet && !self.tainted {
            self.sweep_slice(&mut violations);
            if violations.is_empty() {
                return violations;
            }
        }
        self.tainted = true;
        violations.clear();
        for root in &self.roots {
            quick_check_root(root, &mut violations);
        }
        violations
    }

    /// What may have changed since the last [`FileGuard::quick_check`],
    /// cheaply: with inotify quiet (and nothing seen before), one `read`;
    /// otherwise every entry and folder, as `quick_check` does then. The
    /// guard runs `check` in the post-invoke phase and this as the event
    /// arrives.
    pub fn recheck(&mut self) -> Vec<Violation> {
        let quiet = match &self.watch {
            Some(fd) => !drain(fd),
            None => false,
        };
        let mut violations = Vec::new();
        if quiet && !self.tainted {
            return violations;
        }
        self.tainted = true;
        for root in &self.roots {
            quick_check_root(root, &mut violations);
        }
        violations
    }

    /// The next [`SWEEP_PER_CHECK`] entries and folders in turn, and every
    /// file shared by hard links.
    fn sweep_slice(&mut self, violations: &mut Vec<Violation>) {
        let total: usize = self
            .roots
            .iter()
            .map(|root| root.tree.folders.len() + root.tree.entries.len())
            .sum();
        if total == 0 {
            return;
        }
        for step in 0..SWEEP_PER_CHECK.min(total) {
            let mut index = (self.cursor + step) % total;
            for root in &self.roots {
                let folders = root.tree.folders.len();
                if index < folders {
                    check_folder(root, &root.tree.folders[index], violations);
                    break;
                }
                index -= folders;
                if index < root.tree.entries.len() {
                    check_entry(root, index, violations);
                    break;
                }
                index -= root.tree.entries.len();
            }
        }
        self.cursor = (self.cursor + SWEEP_PER_CHECK) % total;
        for root in &self.roots {
            for (index, entry) in root.tree.entries.iter().enumerate() {
                if entry.shared {
                    check_entry(root, index, violations);
                }
            }
        }
    }

    /// Every file hashed again (BLAKE3) and compared with the signed
    /// manifest.
    pub fn full_check(&mut self) -> Vec<Violation> {
        let mut violations = Vec::new();
        for root in &self.roots {
            let options = CompareOptions {
                digest: DigestChoice::Blake3,
            };
            match manifest::check(&root.path, &root.manifest, &Limits::default(), options) {
                Ok(report) => {
                    for finding in report.findings {
                        violations.push(Violation::files(
                            "file differs from the signed manifest",
                            json!({
                                "root": root.path.display().to_string(),
                                "path": finding.path,
                                "change": finding.change.to_string(),
                                "check": "full",
                            }),
                        ));
                    }
                }
                Err(error) => violations.push(Violation::files(
                    "root cannot be read again",
                    json!({
                        "root": root.path.display().to_string(),
                        "error": error.to_string(),
                        "check": "full",
                    }),
                )),
            }
        }
        violations
    }

    /// What the guard runs before each invocation: [`FileGuard::quick_check`],
    /// and every `full_every`-th call [`FileGuard::full_check`] as well.
    pub fn check(&mut self) -> Vec<Violation> {
        let mut violations = self.quick_check();
        if self.full_every > 0 {
            self.checks_since_full += 1;
            if self.checks_since_full >= self.full_every {
                self.checks_since_full = 0;
                violations.extend(self.full_check());
            }
        }
        violations
    }
}

/// Verifies one root: `Ok(None)` for an optional root that is not there.
fn guard_root(
    spec: &RootSpec,
    keys: &[PublicKey],
    watch: &mut Option<OwnedFd>,
) -> Result<Option<GuardedRoot>, Vec<Violation>> {
    let root_name = spec.path.display().to_string();
    let refuse = |reason: &str, error: String| {
        vec![Violation::files(
            reason,
            json!({"root": root_name, "error": error, "check": "init"}),
        )]
    };
    match fs::metadata(&spec.path) {
        Ok(metadata) if metadata.is_dir() => {}
        Ok(_) => return Err(refuse("root is not a folder", String::new())),
        Err(error) if error.kind() == io::ErrorKind::NotFound && !spec.required => return Ok(None),
        Err(error) => return Err(refuse("root cannot be read", error.to_string())),
    }
    let manifest_path = spec
        .manifest
        .clone()
        .unwrap_or_else(|| spec.path.join(MANIFEST_FILE));
    match fs::symlink_metadata(&manifest_path) {
        Ok(_) => {}
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            return if spec.required {
                Err(refuse(
                    "manifest missing",
                    format!("{}: {error}", manifest_path.display()),
                ))
            } else {
                Ok(None)
            };
        }
        Err(error) => {
            return Err(refuse(
                "manifest cannot be read",
                format!("{}: {error}", manifest_path.display()),
            ))
        }
    }
    let limits = Limits::default();
    // Walked before hashing, compared after: see the module documentation.
    let (mut tree, walked) = walk(&spec.path, limits.max_entries, watch)
        .map_err(|error| refuse("root cannot be read", error))?;
    let sources = Sources {
        manifest: Some(manifest_path),
        signature: None,
    };
    let verified = seal::verify(&spec.path, &sources, keys, DigestChoice::Blake3, &limits)
        .map_err(|error| {
            let reason = match error {
                VerifyError::Input(_) => "root cannot be read",
                VerifyError::Signature(_) => "manifest signature not valid",
                VerifyError::Manifest(_) => "manifest not valid",
            };
            refuse(reason, error.to_string())
        })?;
    let mut violations: Vec<Violation> = verified
        .report
        .findings
        .iter()
        .map(|finding| {
            Violation::files(
                "file differs from the signed manifest",
                json!({
                    "root": root_name,
                    "path": finding.path,
                    "change": finding.change.to_string(),
                    "check": "init",
                }),
            )
        })
        .collect();
    if !violations.is_empty() {
        return Err(violations);
    }
    // The walk must list exactly the manifest's entries, and nothing may
    // have changed since: else something moved while it was hashed.
    let walked_paths: BTreeSet<&str> = walked.iter().map(|(path, _)| path.as_str()).collect();
    let listed: BTreeSet<&str> = verified
        .manifest
        .files
        .iter()
        .map(|f| f.path.as_str())
        .collect();
    for path in walked_paths.symmetric_difference(&listed) {
        violations.push(Violation::files(
            "root changed while it was verified",
            json!({"root": root_name, "path": path, "check": "init"}),
        ));
    }
    if !violations.is_empty() {
        return Err(violations);
    }
    // Same paths, both sorted bytewise: aligned.
    tree.entries = walked.into_iter().map(|(_, entry)| entry).collect();
    let mut manifest = verified.manifest;
    // full_check compares BLAKE3 only: the SHA-256 digests kept would cost
    // about 90 bytes per file of the guard's memory (capped at 15 MB).
    for file in &mut manifest.files {
        if let FileKind::File { sha256, .. } = &mut file.kind {
            *sha256 = String::new();
        }
    }
    let root = GuardedRoot {
        path: spec.path.clone(),
        manifest,
        tree,
    };
    quick_check_root(&root, &mut violations);
    if violations.is_empty() {
        Ok(Some(root))
    } else {
        Err(violations)
    }
}

/// What inotify reports on a watched folder: any change to it or to what
/// it holds.
fn watch_flags() -> inotify::WatchFlags {
    use inotify::WatchFlags as W;
    W::MODIFY
        | W::ATTRIB
        | W::CLOSE_WRITE
        | W::CREATE
        | W::DELETE
        | W::DELETE_SELF
        | W::MOVE_SELF
        | W::MOVED_FROM
        | W::MOVED_TO
        | W::DONT_FOLLOW
        | W::ONLYDIR
}

/// Reads every pending inotify event: whether there was any (an overflow
/// and a read error count as events: fail closed).
pub(crate) fn drain(fd: &OwnedFd) -> bool {
    let mut buffer = [0u8; 4096];
    let mut any = false;
    loop {
        match rustix::io::read(fd, &mut buffer) {
            Ok(0) => return true,
            Ok(_) => any = true,
            Err(rustix::io::Errno::AGAIN) => return any,
            Err(rustix::io::Errno::INTR) => {}
            Err(_) => return true,
        }
    }
}

/// Walks `root` without following symlinks: every folder (watched with
/// inotify before it is listed, so that nothing changed after the listing
/// goes unseen) and every other entry with its metadata, sorted by path.
/// The manifest's own two files at the root are not entries (the manifest
/// does not list itself). A folder that cannot be watched drops inotify
/// altogether.
fn walk(
    root: &Path,
    max_entries: usize,
    watch: &mut Option<OwnedFd>,
) -> Result<(Tree, Vec<(String, Entry)>), String> {
    let mut tree = Tree::default();
    let mut entries = Vec::new();
    let mut pending = vec![(String::new(), root.to_path_buf())];
    let mut count = 0usize;
    while let Some((relative, absolute)) = pending.pop() {
        if let Some(fd) = watch {
            if inotify::add_watch(&*fd, &absolute, watch_flags()).is_err() {
                *watch = None;
            }
        }
        let metadata =
            fs::symlink_metadata(&absolute).map_err(|e| format!("{}: {e}", absolute.display()))?;
        let listing =
            fs::read_dir(&absolute).map_err(|e| format!("{}: {e}", absolute.display()))?;
        for item in listing {
            let item = item.map_err(|e| format!("{}: {e}", absolute.display()))?;
            count += 1;
            if count > max_entries {
                return Err(format!("more than {max_entries} entries"));
            }
            let name = item.file_name();
            let child_relative = if relative.is_empty() {
                name.to_string_lossy().into_owned()
            } else {
                format!("{relative}/{}", name.to_string_lossy())
            };
            let child_absolute = item.path();
            let child = fs::symlink_metadata(&child_absolute)
                .map_err(|e| format!("{}: {e}", child_absolute.display()))?;
            if child.is_dir() {
                pending.push((child_relative, child_absolute));
            } else if relative.is_empty()
                && (child_relative == MANIFEST_FILE || child_relative == SIGNATURE_FILE)
            {
                tree.root_extras.push(name);
            } else {
                entries.push((
                    child_relative,
                    Entry {
                        meta: Meta::of(&child),
                        shared: child.is_file() && child.nlink() > 1,
                    },
                ));
            }
        }
        tree.folders.push(Folder {
            relative,
            meta: Meta::of(&metadata),
        });
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    Ok((tree, entries))
}

fn quick_check_root(root: &GuardedRoot, violations: &mut Vec<Violation>) {
    for folder in &root.tree.folders {
        check_folder(root, folder, violations);
    }
    for index in 0..root.tree.entries.len() {
        check_entry(root, index, violations);
    }
}

impl GuardedRoot {
    fn name(&self) -> String {
        self.path.display().to_string()
    }

    fn absolute(&self, relative: &str) -> PathBuf {
        if relative.is_empty() {
            self.path.clone()
        } else {
            self.path.join(relative)
        }
    }

    /// What `folder` listed at init: the first component of every entry
    /// below it, its subfolders (empty ones too), and at the root the
    /// manifest's own files.
    fn expected_names(&self, folder: &str) -> BTreeSet<OsString> {
        let prefix = if folder.is_empty() {
            String::new()
        } else {
            format!("{folder}/")
        };
        let mut names: BTreeSet<OsString> = self
            .manifest
            .files
            .iter()
            .filter_map(|file| file.path.strip_prefix(prefix.as_str()))
            .filter_map(|rest| rest.split('/').next())
            .map(OsString::from)
            .collect();
        for other in &self.tree.folders {
            let parent_and_name = match other.relative.rsplit_once('/') {
                Some((parent, name)) => Some((parent, name)),
                None if !other.relative.is_empty() => Some(("", other.relative.as_str())),
                None => None,
            };
            if let Some((parent, name)) = parent_and_name {
                if parent == folder {
                    names.insert(OsString::from(name));
                }
            }
        }
        if folder.is_empty() {
            names.extend(self.tree.root_extras.iter().cloned());
        }
        names
    }
}

fn check_folder(root: &GuardedRoot, folder: &Folder, violations: &mut Vec<Violation>) {
    let root_name = root.name();
    let absolute = root.absolute(&folder.relative);
    let now = match fs::symlink_metadata(&absolute) {
        Ok(metadata) => Meta::of(&metadata),
        Err(error) => {
            violations.push(Violation::files(
                "folder removed or unreadable",
                json!({"root": root_name, "path": folder.relative, "error": error.to_string(), "check": "quick"}),
            ));
            return;
        }
    };
    if now == folder.meta {
        return;
    }
    // Something happened in this folder: name what, if the listing shows
    // it; else report the folder itself (an entry added then removed, a
    // chmod, a folder replaced by an identical one).
    let mut named = false;
    match fs::read_dir(&absolute) {
        Ok(listing) => {
            let names: BTreeSet<OsString> = listing
                .filter_map(|item| item.ok().map(|item| item.file_name()))
                .collect();
            let expected = root.expected_names(&folder.relative);
            for (reason, name) in names
                .difference(&expected)
                .map(|name| ("entry added", name))
                .chain(
                    expected
                        .difference(&names)
                        .map(|name| ("entry removed", name)),
                )
            {
                named = true;
                let path = if folder.relative.is_empty() {
                    name.to_string_lossy().into_owned()
                } else {
                    format!("{}/{}", folder.relative, name.to_string_lossy())
                };
                violations.push(Violation::files(
                    reason,
                    json!({"root": root_name, "path": path, "check": "quick"}),
                ));
            }
        }
        Err(error) => {
            named = true;
            violations.push(Violation::files(
                "folder removed or unreadable",
                json!({"root": root_name, "path": folder.relative, "error": error.to_string(), "check": "quick"}),
            ));
        }
    }
    if !named {
        violations.push(Violation::files(
            "folder metadata changed",
            json!({"root": root_name, "path": folder.relative, "fields": folder.meta.differences(&now), "check": "quick"}),
        ));
    }
}

/// The entry at `index` (of the tree and of the manifest).
fn check_entry(root: &GuardedRoot, index: usize, violations: &mut Vec<Violation>) {
    let (Some(entry), Some(file)) = (root.tree.entries.get(index), root.manifest.files.get(index))
    else {
        return;
    };
    match fs::symlink_metadata(root.absolute(&file.path)) {
        Ok(metadata) => {
            let now = Meta::of(&metadata);
            if now != entry.meta {
                violations.push(Violation::files(
                    "file metadata changed",
                    json!({"root": root.name(), "path": file.path, "fields": entry.meta.differences(&now), "check": "quick"}),
                ));
            }
        }
        // Reported by its folder's listing (whose ctime changed): once.
        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
        Err(error) => violations.push(Violation::files(
            "file unreadable",
            json!({"root": root.name(), "path": file.path, "error": error.to_string(), "check": "quick"}),
        )),
    }
}
