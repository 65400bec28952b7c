//! Log input for `fnguard detect`: events streamed one by one from files,
//! folders (walked recursively) and standard input, gzip or not.
//!
//! JSON inputs as they come in the wild, told apart by their first line:
//! - CloudTrail's S3 delivery, `{"Records":[...]}`: the records are
//!   streamed as the array is parsed, never built into one document (a
//!   pretty-printed file is read as a stream; a one-line file is held as
//!   its bytes, not as a tree);
//! - a top-level array of events (CloudTrail Lake and console exports);
//! - JSON lines (CloudWatch Logs subscriptions, Route 53 Resolver query
//!   logs, fnguard guard's own log): each line on its own, so that a broken
//!   line is counted and reported with its number and the next is read.
//!
//! Text logs too (`text`): VPC flow logs (the default version 2 format, or
//! any field list given by a header line) and Lambda's platform lines
//! (START, END, REPORT with its durations and memory, timeouts), each line
//! an event object.
//!
//! Nothing is fatal but an unreadable file, and even then the other files
//! are read; a gzip file is capped in decompressed size (a bomb is an
//! error, not an outage).

use serde::de::value::MapAccessDeserializer;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::cell::Cell;
use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

mod follow;
mod lambda;
mod project;
mod records;
mod text;

pub use follow::{follow_paths, Follow};
pub use project::{parse_projected, ProjectedValue, Projection};

/// One event and where it came from.
#[derive(Debug, Clone)]
pub struct Event {
    pub value: Value,
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The file, or `-` for standard input.
    pub file: Arc<str>,
    /// The line, for JSON lines.
    pub line: Option<u64>,
    /// 0-based index of the event in its file.
    pub index: u64,
}

/// A problem with one input, with where it is; the reading goes on.
pub type InputError = fnguard_core::location::FileError;

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Bytes read from one file after decompression.
    pub max_file_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        // CloudTrail delivers files of a few MB; 4 GiB leaves room for
        // concatenated exports and stops a gzip bomb long before memory.
        Limits {
            max_file_bytes: 4 << 30,
        }
    }
}

/// What was read.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    pub files: u64,
    /// Events read, skipped ones included.
    pub events: u64,
    pub errors: u64,
    /// JSON lines the caller's [`Interest::wants`] refused: checked to be
    /// well-formed, counted, never parsed into a value.
    pub skipped: u64,
}

/// What the caller needs of each event, so that the reader does no more:
/// the fast path of `fnguard detect`.
pub struct Interest<'a> {
    /// Whether a record can matter, judged on its raw JSON text (a
    /// [`crate::sigma::Prefilter`], possibly combined with detectors'
    /// own tests). Asked for each JSON line that is one object; a line it
    /// refuses is not handed over (records of `{"Records":[...]}` files and
    /// arrays are all handed over).
    pub wants: &'a mut dyn FnMut(&[u8]) -> bool,
    /// The fields to build of each event; every field when `None`.
    pub projection: Option<&'a Projection>,
}

/// Reads every path (files, folders recursively, `-` for standard input)
/// and hands each event to `on_event`, each problem to `on_error`.
pub fn read_paths(
    paths: &[PathBuf],
    limits: Limits,
    on_event: &mut dyn FnMut(Event),
    on_error: &mut dyn FnMut(InputError),
) -> Stats {
    let mut every = |_: &[u8]| true;
    let mut interest = Interest {
        wants: &mut every,
        projection: None,
    };
    read_paths_with(paths, limits, &mut interest, on_event, on_error)
}

/// As [`read_paths`], handing over only the events `interest` wants, built
/// only as far as it needs them. Malformed records are reported as by
/// [`read_paths`], wanted or not.
pub fn read_paths_with(
    paths: &[PathBuf],
    limits: Limits,
    interest: &mut Interest,
    on_event: &mut dyn FnMut(Event),
    on_error: &mut dyn FnMut(InputError),
) -> Stats {
    let mut stats = Stats::default();
    let mut errors = 0u64;
    let mut report = |e: InputError| {
        errors += 1;
        on_error(e);
    };
    for path in paths {
        if path.as_os_str() == "-" {
            stats.files += 1;
            let stdin = std::io::stdin().lock();
            read_source_with(
                "-",
                Box::new(stdin),
                limits,
                TextHint::None,
                interest,
                on_event,
                &mut report,
                &mut stats,
            );
            continue;
        }
        for file in files_under(path, &mut report) {
            stats.files += 1;
            let display = file.display().to_string();
            match std::fs::File::open(&file) {
                Ok(handle) => read_source_with(
                    &display,
                    Box::new(handle),
                    limits,
                    TextHint::None,
                    interest,
                    on_event,
                    &mut report,
                    &mut stats,
                ),
                Err(e) => report(InputError {
                    file: display,
                    line: 0,
                    col: 0,
                    message: format!("cannot read: {e}"),
                }),
            }
        }
    }
    stats.errors = errors;
    stats
}

/// The files under `path` (itself when it is a file) in a stable order;
/// symbolic links to folders are not followed (a loop would never end). An
/// unreadable folder is reported and the walk goes on. Log inputs and rule
/// folders are both walked this way.
pub fn files_under(path: &Path, on_error: &mut dyn FnMut(InputError)) -> Vec<PathBuf> {
    let mut files = Vec::new();
    collect_files(path, &mut files, on_error);
    files
}

fn collect_files(path: &Path, files: &mut Vec<PathBuf>, on_error: &mut dyn FnMut(InputError)) {
    let error = |e: std::io::Error| InputError {
        file: path.display().to_string(),
        line: 0,
        col: 0,
        message: format!("cannot read: {e}"),
    };
    let metadata = match std::fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(e) => return on_error(error(e)),
    };
    if !metadata.is_dir() {
        files.push(path.to_path_buf());
        return;
    }
    let mut entries: Vec<PathBuf> = match std::fs::read_dir(path) {
        Ok(entries) => entries
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .collect(),
        Err(e) => return on_error(error(e)),
    };
    entries.sort();
    for entry in entries {
        let is_link_to_dir = std::fs::symlink_metadata(&entry)
            .is_ok_and(|m| m.file_type().is_symlink())
            && entry.is_dir();
        if !is_link_to_dir {
            collect_files(&entry, files, on_error);
        }
    }
}

/// A reader that fails once more than `left` bytes have come through.
struct Capped<R> {
    inner: R,
    left: u64,
    limit: u64,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.left = self.left.checked_sub(n as u64).ok_or_else(|| {
            std::io::Error::other(format!(
                "more than {} bytes (decompressed): over the input limit",
                self.limit
            ))
        })?;
        Ok(n)
    }
}

/// One file or stream, every event wanted and built whole.
#[cfg(test)]
fn read_source(
    display: &str,
    raw: Box<dyn Read + '_>,
    limits: Limits,
    on_event: &mut dyn FnMut(Event),
    on_error: &mut dyn FnMut(InputError),
    events: &mut u64,
) {
    let mut every = |_: &[u8]| true;
    let mut interest = Interest {
        wants: &mut every,
        projection: None,
    };
    let mut stats = Stats::default();
    read_source_with(
        display,
        raw,
        limits,
        TextHint::None,
        &mut interest,
        on_event,
        on_error,
        &mut stats,
    );
    *events += stats.events;
}

/// What a followed file was found to be, for the lines appended later
/// (which lack the header or the platform line that told it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TextHint {
    None,
    /// Lambda text: any line is a Lambda line, platform or the function's.
    Lambda,
}

/// One file or stream: gzip unwrapped, then the JSON form told apart.
#[allow(clippy::too_many_arguments)]
fn read_source_with(
    display: &str,
    raw: Box<dyn Read + '_>,
    limits: Limits,
    hint: TextHint,
    interest: &mut Interest,
    on_event: &mut dyn FnMut(Event),
    on_error: &mut dyn FnMut(InputError),
    stats: &mut Stats,
) {
    let file: Arc<str> = Arc::from(display);
    let mut raw = BufReader::with_capacity(256 * 1024, raw);
    let gzip = matches!(raw.fill_buf(), Ok([0x1f, 0x8b, ..]));
    let decoded: Box<dyn Read + '_> = if gzip {
        Box::new(flate2::read::MultiGzDecoder::new(raw))
    } else {
        Box::new(raw)
    };
    let reader = BufReader::with_capacity(
        256 * 1024,
        Capped {
            inner: decoded,
            left: limits.max_file_bytes,
            limit: limits.max_file_bytes,
        },
    );
    // Shared with the skipping of refused lines, which counts them too.
    let index = Cell::new(0);
    let function = lambda::function_from_path(display);
    let mut emit = |value: Value, line: Option<u64>| {
        lambda::normalize(value, function.as_deref(), &mut |value| {
            on_event(Event {
                value,
                origin: Origin {
                    file: Arc::clone(&file),
                    line,
                    index: index.get(),
                },
            });
            index.set(index.get() + 1);
        });
    };
    let mut skip = Skip {
        wants: &mut *interest.wants,
        index: &index,
        skipped: 0,
        // Every event of a file whose path names a function gets that name
        // (`function`), which its raw text need not contain.
        never: function.is_some(),
    };
    // What Lambda's normalisation reads is kept too, so that it makes the
    // same events of a projected value as of the whole one.
    let projection = interest.projection.map(|projection| {
        let mut projection = projection.clone();
        for key in lambda::READS {
            projection.add(key);
        }
        projection
    });
    if let Err(e) = read_json(
        display,
        reader,
        hint,
        &mut emit,
        &mut skip,
        projection.as_ref(),
        on_error,
    ) {
        on_error(e);
    }
    stats.events += index.get();
    stats.skipped += skip.skipped;
}

/// Refusing JSON lines the caller does not want, cheaply.
struct Skip<'a, 'b> {
    wants: &'a mut (dyn FnMut(&[u8]) -> bool + 'b),
    index: &'a Cell<u64>,
    skipped: u64,
    /// Nothing is refused (the reader adds to the events what their text
    /// does not say).
    never: bool,
}

/// Lines holding several events (`{"Records":[...]}`, CloudWatch Logs
/// payloads and listings) or that Lambda's normalisation rewrites (JSON
/// platform records, `"log"` events that get their function's name): never
/// refused, since their events say more than their raw text.
static NOT_ONE_PLAIN_EVENT: std::sync::LazyLock<NotOnePlainEvent> =
    std::sync::LazyLock::new(NotOnePlainEvent::new);

const NOT_ONE_PLAIN_EVENT_MARKS: [&str; 5] = [
    "\"Records\"",
    "\"logEvents\"",
    "\"events\"",
    "platform.",
    "\"log\"",
];

/// The marks searched for together: aho-corasick's packed (SIMD) searcher
/// when the machine has it; an automaton would use `"` as a start byte, in
/// every few bytes of JSON.
enum NotOnePlainEvent {
    Packed(aho_corasick::packed::Searcher),
    Automaton(aho_corasick::AhoCorasick),
}

impl NotOnePlainEvent {
    fn new() -> NotOnePlainEvent {
        match aho_corasick::packed::Searcher::new(NOT_ONE_PLAIN_EVENT_MARKS) {
            Some(searcher) => NotOnePlainEvent::Packed(searcher),
            None => NotOnePlainEvent::Automaton(
                aho_corasick::AhoCorasick::new(NOT_ONE_PLAIN_EVENT_MARKS)
                    .expect("five short fixed literals always build"),
            ),
        }
    }

    fn is_in(&self, line: &[u8]) -> bool {
        match self {
            NotOnePlainEvent::Packed(searcher) => searcher.find(line).is_some(),
            NotOnePlainEvent::Automaton(automaton) => automaton.is_match(line),
        }
    }
}

impl Skip<'_, '_> {
    /// Whether the line (one JSON object, one plain event) is refused and
    /// well-formed; then it is counted as one event and not parsed. A
    /// malformed line is never skipped, so that it is reported.
    fn skips(&mut self, line: &[u8]) -> bool {
        let refused = !self.never
            && line.first() == Some(&b'{')
            && !(self.wants)(line)
            && !NOT_ONE_PLAIN_EVENT.is_in(line)
            && serde_json::from_slice::<IgnoredAny>(line).is_ok();
        if refused {
            self.skipped += 1;
            self.index.set(self.index.get() + 1);
        }
        refused
    }
}

/// Skips leading blanks (counting newlines), then reads JSON lines when the
/// first line is a whole value, else one stream of values.
fn read_json(
    display: &str,
    mut reader: impl BufRead,
    hint: TextHint,
    emit: &mut dyn FnMut(Value, Option<u64>),
    skip: &mut Skip,
    projection: Option<&Projection>,
    on_error: &mut dyn FnMut(InputError),
) -> Result<(), InputError> {
    let io_error = |e: std::io::Error, line: u64| InputError {
        file: display.to_string(),
        line,
        col: 0,
        message: e.to_string(),
    };
    let mut skipped_lines = 0u64;
    loop {
        let buffer = reader.fill_buf().map_err(|e| io_error(e, 0))?;
        if buffer.is_empty() {
            return Ok(());
        }
        let blanks = buffer
            .iter()
            .take_while(|b| b.is_ascii_whitespace() || **b == 0xEF || **b == 0xBB || **b == 0xBF)
            .count();
        skipped_lines += buffer[..blanks].iter().filter(|b| **b == b'\n').count() as u64;
        let done = blanks < buffer.len();
        reader.consume(blanks);
        if done {
            break;
        }
    }
    let mut first = Vec::new();
    reader
        .read_until(b'\n', &mut first)
        .map_err(|e| io_error(e, skipped_lines + 1))?;
    if !matches!(first.first(), Some(b'{' | b'[')) {
        let assume_lambda = hint == TextHint::Lambda;
        return text::read_text(
            display,
            first,
            skipped_lines + 1,
            assume_lambda,
            reader,
            emit,
            on_error,
        );
    }
    // A one-line CloudTrail file with a broken record is still read line
    // by line, so that its other records are read.
    let first_is_whole = serde_json::from_slice::<IgnoredAny>(&first).is_ok()
        || records::record_spans(first.trim_ascii_end()).is_some();
    if first_is_whole {
        let mut line_number = skipped_lines + 1;
        let mut line = first;
        loop {
            let spans = if skip.never {
                None
            } else {
                records::record_spans(line.trim_ascii_end())
            };
            if let Some(spans) = spans {
                // A one-line CloudTrail file: each record refused or parsed
                // on its own, as a JSON line would be.
                for (start, end) in spans {
                    let record = &line[start..end];
                    if skip.skips(record) {
                        continue;
                    }
                    match project::parse_projected(record, projection) {
                        Ok(value @ Value::Object(_)) => emit(value, Some(line_number)),
                        Ok(_) => {}
                        Err(e) => {
                            let mut error = json_error(display, &e, line_number - 1);
                            if e.line() == 1 {
                                error.col += start as u64;
                            }
                            on_error(error);
                        }
                    }
                }
            } else if !line.iter().all(u8::is_ascii_whitespace) && !skip.skips(line.trim_ascii()) {
                // Without its line end, so that a value cut short is an
                // error on this line, not the next.
                let mut de = serde_json::Deserializer::from_slice(line.trim_ascii_end());
                let mut not_events = Vec::new();
                let result = TopLevel {
                    emit: &mut |value| emit(value, Some(line_number)),
                    not_events: &mut not_events,
                    started: &mut false,
                    projection,
                }
                .deserialize(&mut de)
                .and_then(|()| de.end());
                if let Err(e) = result {
                    on_error(json_error(display, &e, line_number - 1));
                }
                for message in not_events {
                    on_error(InputError {
                        file: display.to_string(),
                        line: line_number,
                        col: 1,
                        message,
                    });
                }
            }
            line.clear();
            line_number += 1;
            match reader.read_until(b'\n', &mut line) {
                Ok(0) => return Ok(()),
                Ok(_) => {}
                Err(e) => return Err(io_error(e, line_number)),
            }
        }
    }
    // A document over several lines: one stream of values.
    let mut de = serde_json::Deserializer::from_reader(std::io::Cursor::new(first).chain(reader));
    loop {
        let mut started = false;
        let mut not_events = Vec::new();
        let result = TopLevel {
            emit: &mut |value| emit(value, None),
            not_events: &mut not_events,
            started: &mut started,
            projection,
        }
        .deserialize(&mut de);
        for message in not_events {
            on_error(InputError {
                file: display.to_string(),
                line: 0,
                col: 0,
                message,
            });
        }
        match result {
            Ok(()) => {}
            Err(e) if e.is_eof() && !started => return Ok(()),
            Err(e) => return Err(json_error(display, &e, skipped_lines)),
        }
    }
}

fn json_error(display: &str, e: &serde_json::Error, line_offset: u64) -> InputError {
    let message = e.to_string();
    // serde_json appends " at line L column C"; the position is given apart.
    let message = match message.rfind(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message,
    };
    InputError {
        file: display.to_string(),
        line: e.line() as u64 + line_offset,
        col: e.column() as u64,
        message,
    }
}

/// One top-level JSON value: an event object, a `{"Records": [...]}`
/// wrapper whose records are streamed, or an array of either.
struct TopLevel<'a, 'b> {
    emit: &'a mut (dyn FnMut(Value) + 'b),
    /// Array elements that were not objects (reported, then skipped).
    not_events: &'a mut Vec<String>,
    /// Whether any of the value was seen: EOF before it is a clean end.
    started: &'a mut bool,
    /// The fields of each event to build (all when `None`).
    projection: Option<&'a Projection>,
}

impl<'de> DeserializeSeed<'de> for TopLevel<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl TopLevel<'_, '_> {
    fn not_an_event(self, what: &str) {
        *self.started = true;
        self.not_events.push(format!(
            "{what} where an event object was expected: skipped"
        ));
    }
}

impl<'de> Visitor<'de> for TopLevel<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("CloudTrail records, an array of events, or an event object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        *self.started = true;
        let mut object = Map::new();
        let mut streamed = false;
        while let Some(key) = map.next_key_seed(project::Key)? {
            if streamed {
                map.next_value::<IgnoredAny>()?;
            } else if key == "Records" {
                let records = RecordsField {
                    emit: &mut *self.emit,
                    not_events: &mut *self.not_events,
                    projection: self.projection,
                };
                match map.next_value_seed(records)? {
                    None => streamed = true,
                    // Not an array: an ordinary field (kept whole when the
                    // projection reads any of it).
                    Some(value) => {
                        if self.projection.is_none_or(|p| p.keeps(&key)) {
                            object.insert(key.into_owned(), value);
                        }
                    }
                }
            } else if let Some(value) = project::next_field(self.projection, &key, &mut map)? {
                object.insert(key.into_owned(), value);
            }
        }
        if !streamed {
            (self.emit)(Value::Object(object));
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        *self.started = true;
        loop {
            let element = TopLevel {
                emit: &mut *self.emit,
                not_events: &mut *self.not_events,
                started: &mut false,
                projection: self.projection,
            };
            if seq.next_element_seed(element)?.is_none() {
                return Ok(());
            }
        }
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        self.not_an_event("a string");
        Ok(())
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        self.not_an_event("a boolean");
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        self.not_an_event("a number");
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        self.not_an_event("a number");
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        self.not_an_event("a number");
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        self.not_an_event("null");
        Ok(())
    }
}

/// The value of a `Records` key: an array is streamed (`None`), anything
/// else is kept as the field of an ordinary event.
struct RecordsField<'a, 'b> {
    emit: &'a mut (dyn FnMut(Value) + 'b),
    not_events: &'a mut Vec<String>,
    projection: Option<&'a Projection>,
}

impl<'de> DeserializeSeed<'de> for RecordsField<'_, '_> {
    type Value = Option<Value>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<Value>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for RecordsField<'_, '_> {
    type Value = Option<Value>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Option<Value>, A::Error> {
        TopLevel {
            emit: self.emit,
            not_events: self.not_events,
            started: &mut false,
            projection: self.projection,
        }
        .visit_seq(seq)?;
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Option<Value>, A::Error> {
        Value::deserialize(MapAccessDeserializer::new(map)).map(Some)
    }

    fn visit_str<E>(self, v: &str) -> Result<Option<Value>, E> {
        Ok(Some(Value::from(v)))
    }

    fn visit_bool<E>(self, v: bool) -> Result<Option<Value>, E> {
        Ok(Some(Value::from(v)))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Option<Value>, E> {
        Ok(Some(Value::from(v)))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Option<Value>, E> {
        Ok(Some(Value::from(v)))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Option<Value>, E> {
        Ok(Some(Value::from(v)))
    }

    fn visit_unit<E>(self) -> Result<Option<Value>, E> {
        Ok(Some(Value::Null))
    }
}

#[cfg(test)]
mod tests;
