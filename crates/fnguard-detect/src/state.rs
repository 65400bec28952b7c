//! The state store of `fnguard detect --state FILE`: one SQLite file
//! (compiled in, nothing to install) holding each detector's memory as
//! JSON, so that baselines, learned destinations and windows survive a
//! restart.
//!
//! - `schema`: one row, the store's kind and schema version; a file
//!   without it is refused (it is not ours), and so is a newer version
//!   (an older fnguard must not rewrite a newer one's state).
//! - `detector_state`: one row per detector name, its JSON state and when
//!   it was saved. [`StateStore::save_all`] writes every detector in one
//!   transaction: a crash or an error mid-write leaves the previous
//!   states, never a mix.
//! - `position`: small key/value pairs (for example how far `--follow`
//!   has read a file).
//!
//! Size: the store holds what the detectors hand it, and each detector
//! bounds its own state (see their `Config` caps). Measured at the caps
//! with the defaults: `function-anomalies` about 5.4 KB of JSON per
//! function (three rings of 256 values), at most 4,096 functions, so
//! about 22 MB; `destinations` about 10.6 KB per source with 512 known
//! destinations, at most 2,048 sources, so about 22 MB. Real sources
//! know a few dozen destinations and the store stays far smaller.

use crate::detectors::Detector;
use rusqlite::{params, Connection, ErrorCode, OptionalExtension};
use serde_json::Value;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// The version of the tables this build writes and reads.
pub const SCHEMA_VERSION: i64 = 1;
/// What the `schema` table names, so that another program's SQLite file
/// with a `schema` table is not taken for ours.
const STORE_KIND: &str = "fnguard-detect-state";

#[derive(Debug)]
pub struct StateError {
    pub file: PathBuf,
    pub kind: StateErrorKind,
}

#[derive(Debug, PartialEq, Eq)]
pub enum StateErrorKind {
    /// Not an SQLite database, or an SQLite database of something else.
    NotAStateFile(String),
    /// Written by a newer fnguard.
    NewerSchema { found: i64, supported: i64 },
    /// A stored state that is not JSON (the row is named).
    BadState { name: String, message: String },
    /// Anything SQLite reports (cannot open, disk full, locked...).
    Sqlite(String),
}

impl fmt::Display for StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = self.file.display();
        match &self.kind {
            StateErrorKind::NotAStateFile(why) => {
                write!(f, "{file}: not an fnguard state file ({why})")
            }
            StateErrorKind::NewerSchema { found, supported } => write!(
                f,
                "{file}: state schema version {found} is newer than this fnguard reads ({supported}); use a newer fnguard or another --state file"
            ),
            StateErrorKind::BadState { name, message } => {
                write!(f, "{file}: state of `{name}` is not JSON: {message}")
            }
            StateErrorKind::Sqlite(message) => write!(f, "{file}: {message}"),
        }
    }
}

impl std::error::Error for StateError {}

/// An open state file.
pub struct StateStore {
    file: PathBuf,
    connection: Connection,
}

impl fmt::Debug for StateStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StateStore")
            .field("file", &self.file)
            .finish()
    }
}

impl StateStore {
    /// The file it keeps the state in.
    pub fn path(&self) -> &Path {
        &self.file
    }

    /// Opens the state file, creating it (and its tables) when it does not
    /// exist or is empty.
    pub fn open(file: &Path) -> Result<StateStore, StateError> {
        let store = StateStore {
            file: file.to_path_buf(),
            connection: Connection::open(file).map_err(|e| sqlite_error(file, e))?,
        };
        // Another fnguard saving at the same moment holds the lock briefly.
        store
            .connection
            .busy_timeout(std::time::Duration::from_secs(5))
            .map_err(|e| store.error(e))?;
        store.check_or_create_schema()?;
        Ok(store)
    }

    /// The file this store reads and writes.
    pub fn file(&self) -> &Path {
        &self.file
    }

    fn error(&self, error: rusqlite::Error) -> StateError {
        sqlite_error(&self.file, error)
    }

    fn check_or_create_schema(&self) -> Result<(), StateError> {
        let tables: Vec<String> = {
            let mut statement = self
                .connection
                .prepare("SELECT name FROM sqlite_schema WHERE type = 'table'")
                .map_err(|e| self.error(e))?;
            let rows = statement
                .query_map([], |row| row.get(0))
                .map_err(|e| self.error(e))?;
            rows.collect::<Result<_, _>>().map_err(|e| self.error(e))?
        };
        if tables.is_empty() {
            return self.create_schema();
        }
        if !tables.iter().any(|t| t == "schema") {
            return Err(self.not_ours("an SQLite database without fnguard's tables"));
        }
        let row: Option<(String, i64)> = self
            .connection
            .query_row("SELECT kind, version FROM schema", [], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .optional()
            .map_err(|_| self.not_ours("its `schema` table is not fnguard's"))?;
        match row {
            Some((kind, version)) if kind == STORE_KIND => {
                if version > SCHEMA_VERSION {
                    Err(StateError {
                        file: self.file.clone(),
                        kind: StateErrorKind::NewerSchema {
                            found: version,
                            supported: SCHEMA_VERSION,
                        },
                    })
                } else {
                    Ok(())
                }
            }
            _ => Err(self.not_ours("its `schema` table is not fnguard's")),
        }
    }

    fn not_ours(&self, why: &str) -> StateError {
        StateError {
            file: self.file.clone(),
            kind: StateErrorKind::NotAStateFile(why.to_string()),
        }
    }

    fn create_schema(&self) -> Result<(), StateError> {
        self.connection
            .execute_batch(&format!(
                "BEGIN;
                 CREATE TABLE schema (kind TEXT NOT NULL, version INTEGER NOT NULL);
                 INSERT INTO schema (kind, version) VALUES ('{STORE_KIND}', {SCHEMA_VERSION});
                 CREATE TABLE detector_state (
                     name TEXT PRIMARY KEY CHECK (name <> ''),
                     state TEXT NOT NULL,
                     saved_at_ms INTEGER NOT NULL
                 );
                 CREATE TABLE position (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                 COMMIT;"
            ))
            .map_err(|e| self.error(e))
    }

    /// The state a detector saved last, or `None` when it never saved.
    pub fn load(&self, name: &str) -> Result<Option<Value>, StateError> {
        Ok(self.load_with_time(name)?.map(|(state, _)| state))
    }

    /// The state and when it was saved (milliseconds since the epoch).
    pub fn load_with_time(&self, name: &str) -> Result<Option<(Value, i64)>, StateError> {
        let row: Option<(String, i64)> = self
            .connection
            .query_row(
                "SELECT state, saved_at_ms FROM detector_state WHERE name = ?1",
                params![name],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()
            .map_err(|e| self.error(e))?;
        let Some((text, saved_at)) = row else {
            return Ok(None);
        };
        let state = serde_json::from_str(&text).map_err(|e| StateError {
            file: self.file.clone(),
            kind: StateErrorKind::BadState {
                name: name.to_string(),
                message: e.to_string(),
            },
        })?;
        Ok(Some((state, saved_at)))
    }

    /// Writes every detector's state in one transaction: all or nothing.
    pub fn save_all(&mut self, states: &[(&str, Value)]) -> Result<(), StateError> {
        let saved_at = now_ms();
        let transaction = self
            .connection
            .transaction()
            .map_err(|e| sqlite_error(&self.file, e))?;
        for (name, state) in states {
            transaction
                .execute(
                    "INSERT INTO detector_state (name, state, saved_at_ms) VALUES (?1, ?2, ?3)
                     ON CONFLICT (name) DO UPDATE
                     SET state = excluded.state, saved_at_ms = excluded.saved_at_ms",
                    params![name, state.to_string(), saved_at],
                )
                .map_err(|e| sqlite_error(&self.file, e))?;
        }
        // Dropping the transaction on an error above rolls it back.
        transaction
            .commit()
            .map_err(|e| sqlite_error(&self.file, e))
    }

    /// Saves every detector's state, by its name, in one transaction.
    pub fn save_detectors<'a, D: Detector + ?Sized + 'a>(
        &mut self,
        detectors: impl IntoIterator<Item = &'a D>,
    ) -> Result<(), StateError> {
        let states: Vec<(&str, Value)> = detectors
            .into_iter()
            .map(|detector| (detector.name(), detector.save()))
            .collect();
        self.save_all(&states)
    }

    /// Gives each detector the state it saved last. A detector whose
    /// saved state cannot be read starts fresh: the problems come back as
    /// messages (naming the file and the detector) for the caller to
    /// report; only a failing file is an error.
    pub fn restore_detectors<'a, D: Detector + ?Sized + 'a>(
        &self,
        detectors: impl IntoIterator<Item = &'a mut D>,
    ) -> Result<Vec<String>, StateError> {
        let mut problems = Vec::new();
        for detector in detectors {
            let state = match self.load(detector.name()) {
                Ok(Some(state)) => state,
                Ok(None) => continue,
                Err(
                    error @ StateError {
                        kind: StateErrorKind::BadState { .. },
                        ..
                    },
                ) => {
                    problems.push(format!("{error}; `{}` starts afresh", detector.name()));
                    continue;
                }
                Err(error) => return Err(error),
            };
            if let Err(message) = detector.restore(&state) {
                problems.push(format!(
                    "{}: state of `{}` not restored ({message}); it starts afresh",
                    self.file.display(),
                    detector.name()
                ));
            }
        }
        Ok(problems)
    }

    /// A value of the key/value table (for example `--follow` positions).
    pub fn position(&self, key: &str) -> Result<Option<String>, StateError> {
        self.connection
            .query_row(
                "SELECT value FROM position WHERE key = ?1",
                params![key],
                |row| row.get(0),
            )
            .optional()
            .map_err(|e| self.error(e))
    }

    pub fn set_position(&mut self, key: &str, value: &str) -> Result<(), StateError> {
        self.connection
            .execute(
                "INSERT INTO position (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )
            .map(drop)
            .map_err(|e| self.error(e))
    }
}

fn sqlite_error(file: &Path, error: rusqlite::Error) -> StateError {
    let kind = match error.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => {
            StateErrorKind::NotAStateFile("not an SQLite database".into())
        }
        _ => StateErrorKind::Sqlite(error.to_string()),
    };
    StateError {
        file: file.to_path_buf(),
        kind,
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A fresh folder under the system's temporary folder, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> TempDir {
            let dir = std::env::temp_dir().join(format!(
                "fnguard-state-{name}-{}-{}",
                std::process::id(),
                now_ms()
            ));
            std::fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn states_survive_reopening() {
        let dir = TempDir::new("reopen");
        let file = dir.0.join("state.db");
        {
            let mut store = StateStore::open(&file).unwrap();
            assert_eq!(store.load("anomalies").unwrap(), None);
            store
                .save_all(&[
                    ("anomalies", json!({"functions": {"f": [1, 2]}})),
                    ("destinations", json!({"sources": {}})),
                ])
                .unwrap();
            store.set_position("follow:/var/log/x", "1234").unwrap();
        }
        let mut store = StateStore::open(&file).unwrap();
        assert_eq!(
            store.load("anomalies").unwrap(),
            Some(json!({"functions": {"f": [1, 2]}}))
        );
        let (_, saved_at) = store.load_with_time("destinations").unwrap().unwrap();
        assert!(saved_at > 1_700_000_000_000);
        assert_eq!(
            store.position("follow:/var/log/x").unwrap().as_deref(),
            Some("1234")
        );
        // A later save replaces the row.
        store.save_all(&[("anomalies", json!(2))]).unwrap();
        assert_eq!(store.load("anomalies").unwrap(), Some(json!(2)));
        assert_eq!(
            store.load("destinations").unwrap(),
            Some(json!({"sources": {}}))
        );
    }

    #[test]
    fn detectors_continue_where_they_stopped() {
        use crate::detectors::anomaly::FunctionAnomalies;
        use crate::detectors::destinations::Destinations;
        use crate::input::{Event, Origin};

        let report = |duration: f64| Event {
            value: json!({"log": "lambda", "type": "report", "function": "orders",
                "durationMs": duration, "memorySizeMB": 512, "maxMemoryUsedMB": 90}),
            origin: Origin {
                file: "lambda.log".into(),
                line: None,
                index: 0,
            },
        };
        let dir = TempDir::new("detectors");
        let file = dir.0.join("state.db");
        let mut alerts = Vec::new();
        {
            let mut detectors: Vec<Box<dyn Detector>> = vec![
                Box::new(FunctionAnomalies::default()),
                Box::new(Destinations::default()),
            ];
            for i in 0..100 {
                detectors[0].observe(&report(200.0 + f64::from(i % 7)), &mut alerts);
            }
            let mut store = StateStore::open(&file).unwrap();
            store
                .save_detectors(detectors.iter().map(|d| d.as_ref()))
                .unwrap();
        }
        let store = StateStore::open(&file).unwrap();
        let mut detectors: Vec<Box<dyn Detector>> = vec![
            Box::new(FunctionAnomalies::default()),
            Box::new(Destinations::default()),
        ];
        let problems = store
            .restore_detectors(detectors.iter_mut().map(|d| d.as_mut()))
            .unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        // The baseline of 100 reports came back: a spike is judged at once.
        detectors[0].observe(&report(5000.0), &mut alerts);
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].rule_id, "FG-DET-120");

        // A state the detector cannot read is reported and skipped.
        let mut store = store;
        store
            .save_all(&[("function-anomalies", json!({"version": 1}))])
            .unwrap();
        let mut fresh: Vec<Box<dyn Detector>> = vec![Box::new(FunctionAnomalies::default())];
        let problems = store
            .restore_detectors(fresh.iter_mut().map(|d| d.as_mut()))
            .unwrap();
        assert_eq!(problems.len(), 1);
        assert!(problems[0].contains("function-anomalies"), "{problems:?}");
        assert!(problems[0].contains("state.db"), "{problems:?}");
    }

    #[test]
    fn a_failed_save_leaves_the_previous_states() {
        let dir = TempDir::new("atomic");
        let file = dir.0.join("state.db");
        let mut store = StateStore::open(&file).unwrap();
        store
            .save_all(&[("a", json!("old a")), ("b", json!("old b"))])
            .unwrap();
        // The empty name breaks the table's check after `a` was written in
        // the same transaction: nothing of this save may remain.
        let failed = store.save_all(&[("a", json!("new a")), ("", json!("bad"))]);
        assert!(matches!(
            failed.unwrap_err().kind,
            StateErrorKind::Sqlite(_)
        ));
        drop(store);
        let store = StateStore::open(&file).unwrap();
        assert_eq!(store.load("a").unwrap(), Some(json!("old a")));
        assert_eq!(store.load("b").unwrap(), Some(json!("old b")));
    }

    #[test]
    fn a_file_that_is_not_a_database_is_refused_by_name() {
        let dir = TempDir::new("garbage");
        let file = dir.0.join("notes.txt");
        std::fs::write(&file, "these are my notes, not a database\n".repeat(200)).unwrap();
        let error = StateStore::open(&file).unwrap_err();
        assert!(matches!(error.kind, StateErrorKind::NotAStateFile(_)));
        let text = error.to_string();
        assert!(text.contains("notes.txt"), "{text}");
        assert!(text.contains("not an fnguard state file"), "{text}");
        // And it was not overwritten.
        assert!(std::fs::read_to_string(&file)
            .unwrap()
            .starts_with("these are my notes"));
    }

    #[test]
    fn another_programs_database_is_refused() {
        let dir = TempDir::new("other");
        let file = dir.0.join("other.db");
        let other = Connection::open(&file).unwrap();
        other
            .execute_batch("CREATE TABLE customers (id INTEGER); CREATE TABLE schema (x TEXT);")
            .unwrap();
        drop(other);
        let error = StateStore::open(&file).unwrap_err();
        assert!(
            matches!(error.kind, StateErrorKind::NotAStateFile(_)),
            "{error}"
        );
        let file = dir.0.join("other2.db");
        let other = Connection::open(&file).unwrap();
        other
            .execute_batch("CREATE TABLE customers (id INTEGER);")
            .unwrap();
        drop(other);
        let error = StateStore::open(&file).unwrap_err();
        assert!(
            error.to_string().contains("without fnguard's tables"),
            "{error}"
        );
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let dir = TempDir::new("newer");
        let file = dir.0.join("state.db");
        drop(StateStore::open(&file).unwrap());
        let raw = Connection::open(&file).unwrap();
        raw.execute(
            "UPDATE schema SET version = ?1",
            params![SCHEMA_VERSION + 1],
        )
        .unwrap();
        drop(raw);
        let error = StateStore::open(&file).unwrap_err();
        assert_eq!(
            error.kind,
            StateErrorKind::NewerSchema {
                found: SCHEMA_VERSION + 1,
                supported: SCHEMA_VERSION
            }
        );
        assert!(error.to_string().contains("state.db"));
    }

    #[test]
    fn a_corrupt_state_row_names_the_detector() {
        let dir = TempDir::new("badrow");
        let file = dir.0.join("state.db");
        drop(StateStore::open(&file).unwrap());
        let raw = Connection::open(&file).unwrap();
        raw.execute(
            "INSERT INTO detector_state VALUES ('anomalies', '{not json', 0)",
            [],
        )
        .unwrap();
        drop(raw);
        let store = StateStore::open(&file).unwrap();
        let error = store.load("anomalies").unwrap_err();
        assert!(
            matches!(&error.kind, StateErrorKind::BadState { name, .. } if name == "anomalies"),
            "{error}"
        );
    }

    #[test]
    fn an_unopenable_path_is_an_error_naming_it() {
        let dir = TempDir::new("missing");
        let file = dir.0.join("no/such/folder/state.db");
        let error = StateStore::open(&file).unwrap_err();
        assert!(error.to_string().contains("no/such/folder"), "{error}");
    }
}
