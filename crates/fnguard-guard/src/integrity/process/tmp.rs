//! Executables in the writable folders (`/tmp`, `/dev/shm`): what the
//! published persistence attack drops there before exec-ing it, and what a
//! Lambda reset leaves behind for the next init.
//!
//! An executable is a regular file that starts with the ELF magic or a `#!`
//! shebang, or has any execute bit. A script run through an interpreter
//! (`python3 /tmp/x.py`) is none of these: the process checks see that
//! process instead.

use std::collections::HashMap;
use std::fs::{self, File, Metadata};
use std::io::{self, Read};
use std::os::fd::OwnedFd;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use rustix::fs::{inotify, Mode, OFlags};

use super::AllowedExe;
use serde_json::json;

use crate::integrity::files::drain;
use crate::integrity::Violation;

/// Why a file counts as an executable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExecKind {
    Elf,
    Shebang,
    /// Any execute bit, whatever the content.
    ExecBit,
}

impl ExecKind {
    pub fn name(self) -> &'static str {
        match self {
            ExecKind::Elf => "elf",
            ExecKind::Shebang => "shebang",
            ExecKind::ExecBit => "exec bit",
        }
    }
}

/// Whether the regular file at `path` is an executable. Opened without
/// following a symlink and without blocking (a FIFO swapped in cannot hang
/// the guard); `Ok(None)` for anything that is not a regular file. A file
/// the guard may not read is judged by its mode alone: without an execute
/// bit nobody can run it, and adding one changes its ctime, so it is
/// judged again.
pub(crate) fn classify(path: &Path) -> io::Result<Option<ExecKind>> {
    let flags =
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC | OFlags::NOCTTY;
    let file = match rustix::fs::open(path, flags, Mode::empty()) {
        Ok(fd) => File::from(fd),
        Err(rustix::io::Errno::ACCESS) => {
            let metadata = fs::symlink_metadata(path)?;
            return Ok(
                (metadata.is_file() && metadata.mode() & 0o111 != 0).then_some(ExecKind::ExecBit)
            );
        }
        // ELOOP: the path is a symlink, not a file.
        Err(rustix::io::Errno::LOOP) => return Ok(None),
        Err(errno) => return Err(errno.into()),
    };
    let metadata = file.metadata()?;
    if !metadata.is_file() {
        return Ok(None);
    }
    let mut magic = [0u8; 4];
    let mut filled = 0;
    let mut reader = &file;
    while filled < magic.len() {
        match reader.read(&mut magic[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    let head = &magic[..filled];
    Ok(if head == b"\x7fELF" {
        Some(ExecKind::Elf)
    } else if head.starts_with(b"#!") {
        Some(ExecKind::Shebang)
    } else if metadata.mode() & 0o111 != 0 {
        Some(ExecKind::ExecBit)
    } else {
        None
    })
}

/// What walking a folder met.
enum Walked<'a> {
    File(&'a Path, &'a Metadata),
    /// A folder below the top one that could not be listed.
    Unreadable(&'a Path, io::Error),
}

/// What inotify reports on a watched tmp folder: anything that can make or
/// change an executable in it, or a folder in it.
fn watch_flags() -> inotify::WatchFlags {
    use inotify::WatchFlags as W;
    W::CREATE
        | W::MODIFY
        | W::CLOSE_WRITE
        | W::ATTRIB
        | W::MOVED_TO
        | W::MOVED_FROM
        | W::DELETE
        | W::DELETE_SELF
        | W::MOVE_SELF
        | W::DONT_FOLLOW
        | W::ONLYDIR
}

/// Visits every entry below `top` without following symlinks or leaving
/// its filesystem; stops after `max_entries` (returns false then). A
/// missing `top` is an empty folder. With `watch`, each folder is watched
/// before it is listed (so what appears after the listing raises an
/// event); a folder that cannot be watched drops inotify altogether.
fn walk(
    top: &Path,
    max_entries: usize,
    watch: &mut Option<OwnedFd>,
    mut visit: impl FnMut(Walked<'_>),
) -> bool {
    let device = match fs::symlink_metadata(top) {
        Ok(metadata) if metadata.is_dir() => metadata.dev(),
        _ => return true,
    };
    let mut pending = vec![top.to_path_buf()];
    let mut count = 0usize;
    while let Some(folder) = pending.pop() {
        if let Some(fd) = watch {
            if inotify::add_watch(&*fd, &folder, watch_flags()).is_err() {
                *watch = None;
            }
        }
        let listing = match fs::read_dir(&folder) {
            Ok(listing) => listing,
            Err(error) => {
                visit(Walked::Unreadable(&folder, error));
                continue;
            }
        };
        for item in listing.flatten() {
            count += 1;
            if count > max_entries {
                return false;
            }
            let path = item.path();
            let Ok(metadata) = fs::symlink_metadata(&path) else {
                // Gone since the listing.
                continue;
            };
            if metadata.is_dir() {
                if metadata.dev() == device {
                    pending.push(path);
                }
            } else if metadata.is_file() {
                visit(Walked::File(&path, &metadata));
            }
        }
    }
    true
}

/// What [`clean_tmp`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cleaned {
    /// Executables removed.
    pub removed: Vec<PathBuf>,
    /// Executables (or folders that could hide one) that could not be
    /// removed or read, with why.
    pub failed: Vec<(PathBuf, String)>,
}

/// Removes every executable below `tmp` (ELF, shebang or execute bit; not
/// following symlinks, not leaving its filesystem): what a previous
/// environment left there survives a Lambda reset. Other files stay (the
/// function may cache data in `/tmp`).
pub fn clean_tmp(tmp: &Path) -> Cleaned {
    let mut cleaned = Cleaned::default();
    walk(tmp, usize::MAX, &mut None, |walked| match walked {
        Walked::File(path, _) => match classify(path) {
            Ok(Some(_)) => match fs::remove_file(path) {
                Ok(()) => cleaned.removed.push(path.to_path_buf()),
                Err(error) => cleaned.failed.push((path.to_path_buf(), error.to_string())),
            },
            Ok(None) => {}
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => cleaned.failed.push((path.to_path_buf(), error.to_string())),
        },
        Walked::Unreadable(path, error) => {
            cleaned.failed.push((path.to_path_buf(), error.to_string()));
        }
    });
    cleaned
}

/// A file of a tmp folder as last judged.
#[derive(Clone, Copy, Debug)]
struct Judged {
    ctime: (i64, i64),
    size: u64,
    executable: Option<ExecKind>,
    /// There at init, unchanged since: not new.
    at_init: bool,
}

/// The executables of the tmp folders between checks. Every folder is
/// watched with inotify: a check with no event pending is one `read` and
/// repeats the last findings (so an executable is reported at every check
/// while it stays). After an event (or without inotify) the folders are
/// walked again, one `lstat` per file, and a file is read again only when
/// its ctime or size changed (a write or chmod changes the ctime). What
/// inotify does not report: writes through a shared mapping (`mmap`),
/// which cannot add an execute bit.
#[derive(Debug)]
pub(crate) struct TmpWatch {
    dirs: Vec<PathBuf>,
    max_entries: usize,
    judged: HashMap<(u64, u64), Judged>,
    watch: Option<OwnedFd>,
    last: Vec<Violation>,
    /// Executables that may appear (see [`super::AllowedExe`]).
    allow: Vec<AllowedExe>,
}

impl TmpWatch {
    /// Remembers what is in `dirs` now: executables found here are not
    /// reported later unless they change.
    pub(crate) fn new(dirs: Vec<PathBuf>, max_entries: usize, allow: Vec<AllowedExe>) -> TmpWatch {
        let mut tmp = TmpWatch {
            dirs,
            max_entries,
            judged: HashMap::new(),
            watch: inotify::init(inotify::CreateFlags::NONBLOCK | inotify::CreateFlags::CLOEXEC)
                .ok(),
            last: Vec::new(),
            allow,
        };
        tmp.last = tmp.scan(true);
        tmp
    }

    /// Whether inotify watches every tmp folder (else each check walks
    /// them all).
    pub(crate) fn watched(&self) -> bool {
        self.watch.is_some()
    }

    /// New or changed executables, folders that cannot be listed, and a
    /// folder too full to check entirely.
    pub(crate) fn check(&mut self) -> Vec<Violation> {
        if let Some(fd) = &self.watch {
            if !drain(fd) {
                return self.last.clone();
            }
        }
        self.last = self.scan(false);
        self.last.clone()
    }

    fn scan(&mut self, at_init: bool) -> Vec<Violation> {
        let mut violations = Vec::new();
        let mut judged = HashMap::with_capacity(self.judged.len());
        for dir in &self.dirs {
            let complete = walk(
                dir,
                self.max_entries,
                &mut self.watch,
                |walked| match walked {
                    Walked::File(path, metadata) => {
                        let key = (metadata.dev(), metadata.ino());
                        let ctime = (metadata.ctime(), metadata.ctime_nsec());
                        let size = metadata.size();
                        let verdict = match self.judged.get(&key) {
                            Some(seen) if seen.ctime == ctime && seen.size == size => *seen,
                            _ => Judged {
                                ctime,
                                size,
                                executable: classify(path).ok().flatten(),
                                at_init,
                            },
                        };
                        let allowed = super::allow::allowed(&self.allow, path);
                        if let (Some(kind), false, false) =
                            (verdict.executable, verdict.at_init, allowed)
                        {
                            violations.push(Violation::process(
                                "new executable in tmp",
                                json!({"path": path.display().to_string(), "kind": kind.name()}),
                            ));
                        }
                        judged.insert(key, verdict);
                    }
                    Walked::Unreadable(path, error) => violations.push(Violation::process(
                        "tmp folder cannot be listed",
                        json!({"path": path.display().to_string(), "error": error.to_string()}),
                    )),
                },
            );
            if !complete {
                violations.push(Violation::process(
                    "tmp folder too large to check",
                    json!({"path": dir.display().to_string(), "max_entries": self.max_entries}),
                ));
            }
        }
        self.judged = judged;
        violations
    }
}
