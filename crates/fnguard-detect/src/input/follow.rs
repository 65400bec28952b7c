//! `fnguard detect --follow`: logs read as they grow, like `tail -F`.
//! Every file is read from its start, then polled: lines appended are
//! read once they are whole (a half-written line waits for its end), a
//! file truncated in place is read again from its start, a file replaced
//! under the same name (rotation) is read from its start, and new files in
//! a followed folder are picked up. Files that are not written line by line
//! (gzip, a pretty-printed CloudTrail document) are read whole when they
//! appear, as CloudTrail delivers them whole. Standard input is read to its
//! end (a pipe from `aws logs tail --follow` is followed by nature).
//!
//! Memory is bounded: a file is read in chunks, never whole.

use super::{files_under, read_source_with, Event, InputError, Interest, Limits, Stats, TextHint};
use std::collections::{HashMap, HashSet};
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How to follow.
#[derive(Debug, Clone, Copy)]
pub struct Follow {
    /// Time between looks at the files.
    pub poll: Duration,
    pub limits: Limits,
}

/// Bytes read at once; lines longer than this are read whole all the same.
const CHUNK: usize = 8 << 20;

#[derive(Debug)]
struct Tracked {
    /// Device and inode: a new file under the same name is read anew.
    identity: (u64, u64),
    offset: u64,
    lines_before: u64,
    events_before: u64,
    kind: Kind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// Nothing read yet.
    Unknown,
    /// Line by line; flow logs keep their header line for later chunks.
    Lines {
        hint: TextHint,
        header: Option<Vec<u8>>,
    },
    /// Read whole once.
    Whole,
}

/// Reads every path, then keeps reading what is appended, every
/// `follow.poll`, until `keep_going` says no (it is asked after each look).
pub fn follow_paths(
    paths: &[PathBuf],
    follow: Follow,
    interest: &mut Interest,
    keep_going: &mut dyn FnMut() -> bool,
    on_event: &mut dyn FnMut(Event),
    on_error: &mut dyn FnMut(InputError),
) -> Stats {
    let mut stats = Stats::default();
    let mut tracked: HashMap<PathBuf, Tracked> = HashMap::new();
    // Files replaced under their name during this look, by identity, in
    // case they show up under another name (rotation).
    let mut orphans: HashMap<(u64, u64), Tracked> = HashMap::new();
    // A folder that cannot be read is reported once, not at every look.
    let mut reported: HashSet<String> = HashSet::new();
    let mut first_look = true;
    loop {
        for path in paths {
            if path.as_os_str() == "-" {
                if first_look {
                    let single = std::slice::from_ref(path);
                    let read =
                        super::read_paths_with(single, follow.limits, interest, on_event, on_error);
                    stats.files += read.files;
                    stats.events += read.events;
                    stats.errors += read.errors;
                    stats.skipped += read.skipped;
                }
                continue;
            }
            let mut walk_errors = Vec::new();
            let files = files_under(path, &mut |e| walk_errors.push(e));
            for e in walk_errors {
                if reported.insert(e.to_string()) {
                    stats.errors += 1;
                    on_error(e);
                }
            }
            for file in files {
                let known = tracked.contains_key(&file);
                let (events, errors) = look(
                    &file,
                    &mut tracked,
                    &mut orphans,
                    follow.limits,
                    &mut Reading {
                        interest: &mut *interest,
                        skipped: &mut stats.skipped,
                    },
                    on_event,
                    on_error,
                );
                if !known && tracked.contains_key(&file) {
                    stats.files += 1;
                }
                stats.events += events;
                stats.errors += errors;
            }
        }
        // A replaced file not seen under another name was deleted.
        orphans.clear();
        first_look = false;
        if !keep_going() {
            return stats;
        }
        std::thread::sleep(follow.poll);
    }
}

/// Reads what is new in one file; returns the events and errors.
fn look(
    file: &Path,
    tracked: &mut HashMap<PathBuf, Tracked>,
    orphans: &mut HashMap<(u64, u64), Tracked>,
    limits: Limits,
    reading: &mut Reading,
    on_event: &mut dyn FnMut(Event),
    on_error: &mut dyn FnMut(InputError),
) -> (u64, u64) {
    let display = file.display().to_string();
    let mut errors = 0u64;
    let metadata = match std::fs::metadata(file) {
        Ok(m) => m,
        // Gone between the walk and now (rotated away): nothing to read.
        Err(_) => return (0, 0),
    };
    let identity = (metadata.dev(), metadata.ino());
    if !tracked.contains_key(file) {
        // A file renamed (rotated: `app.log` to `app.log.1`) is the same
        // file under a new name: it goes on from where it was, not again
        // from its start.
        let moved = tracked
            .iter()
            .find(|(old, state)| {
                state.identity == identity
                    && std::fs::metadata(old).map_or(true, |m| (m.dev(), m.ino()) != identity)
            })
            .map(|(old, _)| old.clone());
        let state = match orphans.remove(&identity) {
            Some(state) => Some(state),
            None => moved.and_then(|old| tracked.remove(&old)),
        };
        if let Some(state) = state {
            tracked.insert(file.to_path_buf(), state);
        }
    }
    let state = tracked.entry(file.to_path_buf()).or_insert(Tracked {
        identity,
        offset: 0,
        lines_before: 0,
        events_before: 0,
        kind: Kind::Unknown,
    });
    let replaced = state.identity != identity;
    let truncated = metadata.len() < state.offset;
    if replaced || truncated {
        let kind = if replaced {
            Kind::Unknown
        } else {
            state.kind.clone()
        };
        let old = std::mem::replace(
            state,
            Tracked {
                identity,
                offset: 0,
                lines_before: 0,
                events_before: 0,
                kind,
            },
        );
        if replaced {
            orphans.insert(old.identity, old);
        }
    }
    if state.kind == Kind::Whole || metadata.len() == state.offset {
        return (0, 0);
    }
    if state.offset >= limits.max_file_bytes {
        return (0, 0);
    }
    let mut handle = match std::fs::File::open(file) {
        Ok(h) => h,
        Err(e) => {
            errors += report(on_error, &display, format!("cannot read: {e}"));
            return (0, errors);
        }
    };
    if state.kind == Kind::Unknown {
        state.kind = match first_kind(&mut handle) {
            Ok(kind) => kind,
            Err(e) => {
                errors += report(on_error, &display, format!("cannot read: {e}"));
                return (0, errors);
            }
        };
        if state.kind == Kind::Whole {
            let mut events = 0;
            let mut counted = |e: InputError| {
                errors += 1;
                on_error(e);
            };
            if handle.seek(SeekFrom::Start(0)).is_ok() {
                events = reading.read(
                    &display,
                    Box::new(handle),
                    limits,
                    TextHint::None,
                    on_event,
                    &mut counted,
                );
            }
            return (events, errors);
        }
    }
    let mut events = 0u64;
    loop {
        let mut chunk = Vec::new();
        let read = handle
            .seek(SeekFrom::Start(state.offset))
            .and_then(|_| (&mut handle).take(CHUNK as u64).read_to_end(&mut chunk));
        if let Err(e) = read {
            errors += report(on_error, &display, format!("cannot read: {e}"));
            break;
        }
        let whole = match chunk.iter().rposition(|b| *b == b'\n') {
            Some(end) => end + 1,
            // A line longer than a chunk is taken whole; a short one
            // without its end is still being written.
            None if chunk.len() == CHUNK => CHUNK,
            None => break,
        };
        chunk.truncate(whole);
        let (new_events, new_errors) =
            read_chunk(&display, &chunk, state, limits, reading, on_event, on_error);
        events += new_events;
        errors += new_errors;
        state.offset += whole as u64;
        state.lines_before += chunk.iter().filter(|b| **b == b'\n').count() as u64;
        state.events_before += new_events;
        if state.offset >= limits.max_file_bytes {
            errors += report(
                on_error,
                &display,
                format!(
                    "more than {} bytes: over the input limit, no longer followed",
                    limits.max_file_bytes
                ),
            );
            break;
        }
        if whole < CHUNK {
            break;
        }
    }
    (events, errors)
}

/// How a file that was never read is to be followed.
fn first_kind(handle: &mut std::fs::File) -> std::io::Result<Kind> {
    let mut head = Vec::new();
    handle.take(CHUNK as u64).read_to_end(&mut head)?;
    if head.starts_with(&[0x1f, 0x8b]) {
        return Ok(Kind::Whole);
    }
    let start = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(head.len());
    let first_line = head[start..]
        .split(|b| *b == b'\n')
        .next()
        .unwrap_or_default();
    if matches!(first_line.first(), Some(b'{' | b'[')) {
        let whole_line = serde_json::from_slice::<serde::de::IgnoredAny>(first_line).is_ok();
        return Ok(if whole_line {
            Kind::Lines {
                hint: TextHint::None,
                header: None,
            }
        } else {
            Kind::Whole
        });
    }
    let text = String::from_utf8_lossy(first_line);
    let fields: Vec<&str> = text.split_whitespace().collect();
    Ok(if fields.first() == Some(&"version") {
        let mut header = first_line.to_vec();
        header.push(b'\n');
        Kind::Lines {
            hint: TextHint::None,
            header: Some(header),
        }
    } else if fields.len() == 14 && fields[0] == "2" {
        Kind::Lines {
            hint: TextHint::None,
            header: None,
        }
    } else {
        Kind::Lines {
            hint: TextHint::Lambda,
            header: None,
        }
    })
}

/// Whole lines of a followed file, numbered as in the file.
fn read_chunk(
    display: &str,
    chunk: &[u8],
    state: &Tracked,
    limits: Limits,
    reading: &mut Reading,
    on_event: &mut dyn FnMut(Event),
    on_error: &mut dyn FnMut(InputError),
) -> (u64, u64) {
    let Kind::Lines { hint, header } = &state.kind else {
        return (0, 0);
    };
    // The header line goes before later chunks so that the fields are
    // named; it is not a line of the chunk.
    let (bytes, extra_line): (Vec<u8>, u64) = match header {
        Some(header) if state.offset > 0 => ([header.as_slice(), chunk].concat(), 1),
        _ => (chunk.to_vec(), 0),
    };
    let shift_line = |line: u64| line + state.lines_before - extra_line;
    let mut errors = 0u64;
    let events = reading.read(
        display,
        Box::new(bytes.as_slice()),
        limits,
        *hint,
        &mut |mut event| {
            event.origin.line = event.origin.line.map(shift_line);
            event.origin.index += state.events_before;
            on_event(event);
        },
        &mut |mut e| {
            errors += 1;
            if e.line > 0 {
                e.line = shift_line(e.line);
            }
            on_error(e);
        },
    );
    (events, errors)
}

/// What the caller wants of the records (the fast path), and the count of
/// those it refused.
struct Reading<'a, 'b, 'c> {
    interest: &'a mut Interest<'b>,
    skipped: &'c mut u64,
}

impl Reading<'_, '_, '_> {
    /// Reads one source through the interest; returns its events (refused
    /// ones included, as indexes count them).
    fn read(
        &mut self,
        display: &str,
        raw: Box<dyn Read + '_>,
        limits: Limits,
        hint: TextHint,
        on_event: &mut dyn FnMut(Event),
        on_error: &mut dyn FnMut(InputError),
    ) -> u64 {
        let mut stats = Stats::default();
        read_source_with(
            display,
            raw,
            limits,
            hint,
            self.interest,
            on_event,
            on_error,
            &mut stats,
        );
        *self.skipped += stats.skipped;
        stats.events
    }
}

fn report(on_error: &mut dyn FnMut(InputError), display: &str, message: String) -> u64 {
    on_error(InputError {
        file: display.to_string(),
        line: 0,
        col: 0,
        message,
    });
    1
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("fnguard-follow-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn append(path: &Path, text: &str) {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap();
        file.write_all(text.as_bytes()).unwrap();
    }

    /// An event read: its name-ish field, line and index.
    type Seen = (String, Option<u64>, u64);

    /// Follows `paths`, running each step between looks; returns every
    /// event as (name-ish field, line) and the errors.
    fn run(paths: &[PathBuf], steps: Vec<Box<dyn FnMut()>>) -> (Vec<Seen>, Vec<InputError>, Stats) {
        let mut steps = steps.into_iter();
        let mut events = Vec::new();
        let mut errors = Vec::new();
        let mut every = |_: &[u8]| true;
        let stats = follow_paths(
            paths,
            Follow {
                poll: Duration::from_millis(1),
                limits: Limits::default(),
            },
            &mut Interest {
                wants: &mut every,
                projection: None,
            },
            &mut || match steps.next() {
                Some(mut step) => {
                    step();
                    true
                }
                None => false,
            },
            &mut |e| {
                let v = &e.value;
                let label = ["eventName", "type", "dstaddr"]
                    .iter()
                    .find_map(|k| v.get(*k).and_then(|x| x.as_str()))
                    .unwrap_or("?")
                    .to_string();
                events.push((label, e.origin.line, e.origin.index));
            },
            &mut |e| errors.push(e),
        );
        (events, errors, stats)
    }

    #[test]
    fn appended_lines_are_read_once_whole_and_numbered_as_in_the_file() {
        let dir = temp_dir("lines");
        let log = dir.join("trail.jsonl");
        append(&log, "{\"eventName\":\"A\"}\n{\"eventName\":\"B\"}\n");
        let (l1, l2, l3) = (log.clone(), log.clone(), log.clone());
        let (events, errors, stats) = run(
            std::slice::from_ref(&dir),
            vec![
                // A line still being written is not read yet.
                Box::new(move || append(&l1, "{\"eventName\":\"C\"}\n{\"eventNa")),
                Box::new(move || append(&l2, "me\":\"D\"}\nnot json\n")),
                // Truncated in place (copytruncate): read from the start.
                Box::new(move || std::fs::write(&l3, "{\"eventName\":\"E\"}\n").unwrap()),
            ],
        );
        let names: Vec<&str> = events.iter().map(|e| e.0.as_str()).collect();
        assert_eq!(names, ["A", "B", "C", "D", "E"]);
        let lines: Vec<Option<u64>> = events.iter().map(|e| e.1).collect();
        assert_eq!(lines, [Some(1), Some(2), Some(3), Some(4), Some(1)]);
        let indexes: Vec<u64> = events.iter().map(|e| e.2).collect();
        assert_eq!(indexes, [0, 1, 2, 3, 0]);
        // The broken line is reported at its own line, once.
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].line, 5);
        assert_eq!(stats.files, 1);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn new_files_rotation_and_whole_documents() {
        let dir = temp_dir("rotate");
        let log = dir.join("a.log");
        append(&log, "{\"eventName\":\"A\"}\n");
        let (d1, l1) = (dir.clone(), log.clone());
        let (events, errors, stats) = run(
            std::slice::from_ref(&dir),
            vec![
                // A CloudTrail file delivered whole, pretty-printed.
                Box::new(move || {
                    std::fs::write(
                        d1.join("b.json"),
                        "{\n \"Records\": [\n  {\"eventName\": \"B1\"},\n  {\"eventName\": \"B2\"}\n ]\n}\n",
                    )
                    .unwrap()
                }),
                // Rotated: renamed away and a new file under the name.
                Box::new(move || {
                    std::fs::rename(&l1, l1.with_extension("old")).unwrap();
                    append(&l1, "{\"eventName\":\"C\"}\n");
                }),
                Box::new(|| {}),
            ],
        );
        let mut names: Vec<&str> = events.iter().map(|e| e.0.as_str()).collect();
        names.sort();
        // a.old is the renamed file, not read again; the document is read
        // once, not at every look.
        assert_eq!(names, ["A", "B1", "B2", "C"]);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(stats.files, 3);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn text_logs_keep_their_format_across_chunks() {
        let dir = temp_dir("text");
        let flow = dir.join("flow.log");
        append(
            &flow,
            "version srcaddr dstaddr action\n2 10.0.0.1 1.1.1.1 ACCEPT\n",
        );
        let lambda = dir.join("lambda.log");
        append(&lambda, "START RequestId: r1 Version: $LATEST\n");
        let (f, l) = (flow.clone(), lambda.clone());
        let (events, errors, _) = run(
            &[flow.clone(), lambda.clone()],
            vec![Box::new(move || {
                append(&f, "2 10.0.0.1 8.8.8.8 ACCEPT\n");
                // The function's own line first: still a Lambda log.
                append(&l, "fetching secrets\nREPORT RequestId: r1 Duration: 1.00 ms Billed Duration: 1 ms Memory Size: 128 MB Max Memory Used: 30 MB\n");
            })],
        );
        assert!(errors.is_empty(), "{errors:?}");
        let seen: Vec<(&str, Option<u64>)> = events.iter().map(|e| (e.0.as_str(), e.1)).collect();
        assert_eq!(
            seen,
            [
                ("1.1.1.1", Some(2)),
                ("start", Some(1)),
                ("8.8.8.8", Some(3)),
                ("log", Some(2)),
                ("report", Some(3)),
            ]
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn followed_lines_go_through_the_callers_interest() {
        let dir = temp_dir("interest");
        let log = dir.join("trail.jsonl");
        append(&log, "{\"eventName\":\"A\"}\n{\"eventName\":\"B\"}\n");
        let mut wants = |raw: &[u8]| raw.windows(3).any(|w| w == b"\"B\"");
        let mut names = Vec::new();
        let mut indexes = Vec::new();
        let mut looks = 0;
        let l = log.clone();
        let stats = follow_paths(
            std::slice::from_ref(&log),
            Follow {
                poll: Duration::from_millis(1),
                limits: Limits::default(),
            },
            &mut Interest {
                wants: &mut wants,
                projection: None,
            },
            &mut || {
                looks += 1;
                if looks == 1 {
                    append(&l, "{\"eventName\":\"C\"}\n{\"eventName\":\"B\"}\n");
                }
                looks < 3
            },
            &mut |e| {
                names.push(e.value["eventName"].as_str().unwrap_or("?").to_string());
                indexes.push(e.origin.index);
            },
            &mut |e| panic!("{e}"),
        );
        // A and C refused unread, yet counted: indexes stay those of the file.
        assert_eq!(names, ["B", "B"]);
        assert_eq!(indexes, [1, 3]);
        assert_eq!((stats.events, stats.skipped), (4, 2));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
