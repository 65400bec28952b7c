//! Event validation against a JSON Schema (guide §3.3.3: validate every
//! event at the entry, before the handler sees it).
//!
//! Our own validator rather than the `jsonschema` crate: the guard must stay
//! small and start fast (whole guard: 20 ms cold start, 15 MB RSS), and
//! `jsonschema` brings about 60 crates (fancy-regex, referencing, num-*,
//! fraction, uuid-simd, ...) for drafts and remote references an event schema
//! does not need; its messages also quote instance values, which may be
//! secrets. Real event schemas use a small set of keywords; those are
//! implemented here (draft 2020-12, 2019-09, draft-07, draft-06 and draft-04),
//! and every other keyword is refused when the schema is loaded, naming the
//! keyword and its JSON pointer, so a schema never silently checks less than
//! its author wrote.
//!
//! Supported keywords: `type`, `enum`, `const`, `properties`, `required`,
//! `additionalProperties`, `patternProperties`, `propertyNames`,
//! `minProperties`, `maxProperties`, `dependentRequired`, `dependentSchemas`,
//! `dependencies` (draft-07), `items` (schema, or array as in draft-07),
//! `prefixItems`, `additionalItems`, `contains`, `minContains`,
//! `maxContains`, `minItems`, `maxItems`, `uniqueItems`, `minLength`,
//! `maxLength`, `pattern`, `format`, `minimum`, `maximum`,
//! `exclusiveMinimum`, `exclusiveMaximum` (number, or draft-04 boolean),
//! `multipleOf`, `allOf`, `anyOf`, `oneOf`, `not`, `if`/`then`/`else`,
//! `$ref` to a JSON pointer in the same document (`#`, `#/$defs/..`,
//! `#/definitions/..`, any `#/...`), `$defs`, `definitions`.
//! Annotations accepted and ignored: `title`, `description`, `examples`,
//! `$schema`, `$id` (`id` in draft-04; at the root only: below it, it would
//! change how `$ref` resolves), `$comment`, `default`, `deprecated`,
//! `readOnly`, `writeOnly`.
//!
//! `pattern` and `patternProperties` are ECMA-262 expressions, as JSON Schema
//! says: `\d`, `\w`, `\b` are ASCII and `[`, `&&` are literal in a class
//! (the regex crate's Unicode and set syntax are translated away);
//! look-around and backreferences are refused at load.
//!
//! Formats are asserted (not only annotations): `date-time`, `date`, `time`
//! (RFC 3339; second 60 only at 23:59 UTC), `email` (dot-atom local part:
//! quoted local parts are refused though valid; host name or IP literal),
//! `uuid`, `ipv4`, `ipv6`, `uri` (RFC 3986 absolute URI), `hostname`
//! (RFC 1123). Any other format is refused at load.
//!
//! Limits: the event is refused unparsed above `max_bytes` or above
//! [`DEFAULT_MAX_VALUES`] JSON values (settable; a parsed value costs up to
//! about 350 bytes, so this bounds the memory an event takes); JSON nested deeper
//! than 128 levels is malformed (serde_json's recursion limit, so deep input
//! never overflows the stack); schema evaluation is capped in depth (a `$ref`
//! cycle) and in steps (nested `anyOf` over `$ref`), which reject the event.
//! Messages never quote the event's values (they may be secrets), only the
//! schema's; property names in instance paths are cut at 64 bytes.
//!
//! ```
//! use fnguard_guard::validate::{Rejection, Validator};
//!
//! let schema = serde_json::json!({
//!     "type": "object",
//!     "required": ["orderId"],
//!     "properties": {"orderId": {"type": "string", "pattern": "^[0-9]{1,12}$"}}
//! });
//! let validator = Validator::compile(&schema)?; // or Validator::from_file(path)?
//! assert_eq!(validator.validate(br#"{"orderId": "42"}"#, 256 * 1024), Ok(()));
//! let Err(Rejection::Invalid { errors }) = validator.validate(br#"{"orderId": "x"}"#, 256 * 1024)
//! else {
//!     panic!("invalid")
//! };
//! assert_eq!(errors[0].instance_path, "/orderId");
//! assert_eq!(errors[0].keyword, "pattern");
//! # Ok::<(), fnguard_guard::validate::SchemaError>(())
//! ```

mod compile;
mod eval;
mod format;

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use compile::Node;

/// At most this many errors are reported for one event.
pub const MAX_ERRORS: usize = 10;

/// A schema file larger than this is refused (a schema is a few KB; this
/// keeps a wrong path, say a log file, from being read whole).
pub const MAX_SCHEMA_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// A compiled schema, reused for every event.
#[derive(Debug)]
pub struct Validator {
    nodes: Vec<Node>,
    root: usize,
    max_values: usize,
}

/// Default for [`Validator::with_max_values`]. A parsed JSON value costs up
/// to about 350 bytes (serde_json with `preserve_order`, measured: `{"a":1}`
/// objects), so 20,000 values stay under about 7 MB beside the event's
/// string bytes, while a 1 MB event of `{"a":1},` would take 60 MB. Real
/// events have hundreds (API Gateway) to a few thousand values (an S3 or
/// DynamoDB batch of 100 records); a Kinesis batch of thousands of records
/// needs more.
pub const DEFAULT_MAX_VALUES: usize = 20_000;

/// Why a schema could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// The schema file could not be read.
    #[error("cannot read schema file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The schema file is larger than [`MAX_SCHEMA_FILE_BYTES`].
    #[error("schema file {} is {size} bytes, more than the limit of {limit}", path.display())]
    TooLarge {
        path: PathBuf,
        size: u64,
        limit: u64,
    },
    /// The schema file is not JSON.
    #[error("schema file {}:{line}:{col}: {message}", path.display())]
    Syntax {
        path: PathBuf,
        line: usize,
        col: usize,
        message: String,
    },
    /// A keyword is unknown, unsupported or has a wrong value. `pointer` is
    /// the RFC 6901 JSON pointer of the keyword in the schema ("" is the
    /// root); `file` is set when the schema came from a file.
    #[error("{}schema at #{pointer}: {problem}", file.as_ref().map(|f| format!("{}: ", f.display())).unwrap_or_default())]
    Keyword {
        file: Option<PathBuf>,
        pointer: String,
        problem: String,
    },
}

/// Why an event was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// The event is larger than the limit; it was not parsed.
    TooLarge { size: usize, limit: usize },
    /// The event is not JSON (or nests deeper than 128 levels). `line` and
    /// `col` are 1-based.
    Malformed {
        line: usize,
        col: usize,
        message: String,
    },
    /// The event holds more JSON values (scalars, arrays and objects) than
    /// the limit ([`Validator::with_max_values`]); counted before parsing,
    /// so the memory a parsed event takes stays bounded.
    TooManyValues { limit: usize },
    /// The event is JSON but does not match the schema: at most
    /// [`MAX_ERRORS`] errors, in the order the keywords were checked.
    Invalid { errors: Vec<ValidationError> },
}

/// One way an event does not match the schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidationError {
    /// RFC 6901 JSON pointer into the event ("" is the whole event).
    pub instance_path: String,
    /// The schema keyword that failed, e.g. `required`.
    pub keyword: &'static str,
    /// What is wrong, without the event's values.
    pub message: String,
}

impl Validator {
    /// Compiles a schema (a JSON value). Unknown keywords, wrong keyword
    /// values, bad regular expressions and unresolvable `$ref`s are refused.
    pub fn compile(schema: &Value) -> Result<Validator, SchemaError> {
        let (nodes, root) = compile::compile(schema)?;
        Ok(Validator {
            nodes,
            root,
            max_values: DEFAULT_MAX_VALUES,
        })
    }

    /// Sets how many JSON values an event may hold (default
    /// [`DEFAULT_MAX_VALUES`]); above it the event is refused unparsed.
    pub fn with_max_values(mut self, limit: usize) -> Validator {
        self.max_values = limit;
        self
    }

    /// Reads and compiles a JSON schema file; errors name the file (and the
    /// line and column of a syntax error).
    pub fn from_file(path: impl AsRef<Path>) -> Result<Validator, SchemaError> {
        let path = path.as_ref();
        let read_error = |source| SchemaError::Read {
            path: path.to_path_buf(),
            source,
        };
        let size = std::fs::metadata(path).map_err(read_error)?.len();
        if size > MAX_SCHEMA_FILE_BYTES {
            return Err(SchemaError::TooLarge {
                path: path.to_path_buf(),
                size,
                limit: MAX_SCHEMA_FILE_BYTES,
            });
        }
        let bytes = std::fs::read(path).map_err(read_error)?;
        let schema: Value = serde_json::from_slice(&bytes).map_err(|e| SchemaError::Syntax {
            path: path.to_path_buf(),
            line: e.line(),
            col: e.column(),
            message: message_without_position(&e),
        })?;
        Validator::compile(&schema).map_err(|e| match e {
            SchemaError::Keyword {
                pointer, problem, ..
            } => SchemaError::Keyword {
                file: Some(path.to_path_buf()),
                pointer,
                problem,
            },
            other => other,
        })
    }

    /// Validates a raw event payload: size first (not parsed above
    /// `max_bytes`), then the number of values, then JSON syntax, then the
    /// schema.
    pub fn validate(&self, event: &[u8], max_bytes: usize) -> Result<(), Rejection> {
        if event.len() > max_bytes {
            return Err(Rejection::TooLarge {
                size: event.len(),
                limit: max_bytes,
            });
        }
        if too_many_values(event, self.max_values) {
            return Err(Rejection::TooManyValues {
                limit: self.max_values,
            });
        }
        let instance: Value = serde_json::from_slice(event).map_err(|e| Rejection::Malformed {
            line: e.line(),
            col: e.column(),
            message: message_without_position(&e),
        })?;
        // Only parsed events reach the walk: serde_json's depth limit (128)
        // is what keeps the recursive helpers (equality, hashing) shallow.
        let errors = eval::validate(&self.nodes, self.root, &instance);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Rejection::Invalid { errors })
        }
    }
}

impl Rejection {
    /// A short name for the security log (`details.reason`).
    pub fn reason(&self) -> &'static str {
        match self {
            Rejection::TooLarge { .. } => "too_large",
            Rejection::TooManyValues { .. } => "too_many_values",
            Rejection::Malformed { .. } => "malformed",
            Rejection::Invalid { .. } => "invalid",
        }
    }

    /// The `details` object of the security log line for this rejection:
    /// the reason and its numbers, positions or errors, never event text.
    pub fn details(&self) -> Value {
        match self {
            Rejection::TooLarge { size, limit } => {
                serde_json::json!({"reason": self.reason(), "size": size, "limit": limit})
            }
            Rejection::TooManyValues { limit } => {
                serde_json::json!({"reason": self.reason(), "limit": limit})
            }
            Rejection::Malformed { line, col, message } => serde_json::json!({
                "reason": self.reason(), "line": line, "col": col, "message": message
            }),
            Rejection::Invalid { errors } => {
                serde_json::json!({"reason": self.reason(), "errors": errors})
            }
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::TooLarge { size, limit } => {
                write!(f, "event is {size} bytes, more than the limit of {limit}")
            }
            Rejection::TooManyValues { limit } => {
                write!(f, "event holds more than {limit} JSON values")
            }
            Rejection::Malformed { line, col, message } => {
                write!(f, "event is not valid JSON at {line}:{col}: {message}")
            }
            Rejection::Invalid { errors } => {
                write!(f, "event does not match the schema: ")?;
                for (i, error) in errors.iter().enumerate() {
                    if i > 0 {
                        write!(f, "; ")?;
                    }
                    write!(f, "{error}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for Rejection {}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "at #{} ({}): {}",
            self.instance_path, self.keyword, self.message
        )
    }
}

/// Whether `event` holds more than `limit` JSON values, counted without
/// parsing: one, plus each `,`, `[` and `{` outside strings (exact for valid
/// JSON, one more per empty array or object). Each value takes at least one
/// byte and a separator, so a short event is not scanned.
fn too_many_values(event: &[u8], limit: usize) -> bool {
    if event.len() < limit {
        return false;
    }
    let mut count: usize = 1;
    let mut in_string = false;
    let mut escaped = false;
    for &byte in event {
        if in_string {
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                in_string = false;
            }
        } else {
            match byte {
                b'"' => in_string = true,
                b',' | b'[' | b'{' => {
                    count += 1;
                    if count > limit {
                        return true;
                    }
                }
                _ => {}
            }
        }
    }
    false
}

/// serde_json's message without its " at line L column C" suffix (the
/// position is kept in separate fields). Syntax messages never contain input
/// text.
fn message_without_position(error: &serde_json::Error) -> String {
    let full = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    full.strip_suffix(&suffix).unwrap_or(&full).to_string()
}
