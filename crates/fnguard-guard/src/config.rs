//! Settings of the guard: a TOML file in the layer, overlaid by `FNGUARD_*`
//! environment variables (the function's configuration wins over the
//! layer's defaults).
//!
//! ```
//! # use fnguard_guard::config::{Config, Mode};
//! let text = r#"
//! mode = "enforce"          # every control, unless its section says otherwise
//! fail = "closed"           # what happens when the guard itself fails
//!
//! [integrity]               # files: the signed manifest of /var/task and /opt
//! mode = "enforce"
//! pubkey = "RWQ..."         # base64 minisign public key(s), one per line
//! full_check_every = 100    # invocations between full re-hashes
//!
//! [process]                 # the runtime process and /tmp
//! mode = "report"
//!
//! [input]                   # the event, before the handler sees it
//! mode = "enforce"
//! schema = "/var/task/event.schema.json"
//! max_bytes = 262144
//!
//! [egress]                  # the HTTP/CONNECT allowlist proxy
//! allow = ["*.amazonaws.com", "api.example.com"]
//! port = 9010
//!
//! [proxy]                   # the Runtime API proxy
//! port = 9009
//! "#;
//! let config = Config::from_toml(text, std::path::Path::new("guard.toml")).unwrap();
//! assert_eq!(config.process.mode, Mode::Report);
//! assert_eq!(config.egress.allow, ["*.amazonaws.com", "api.example.com"]);
//! ```
//!
//! Every control defaults to `enforce`: a guard that is installed but not
//! configured protects rather than silently watching. Unknown keys and bad
//! values are errors that name `file:line:col` or the variable, never a
//! silent fallback to a default.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::integrity::process::AllowedExe;

/// Where the layer puts the configuration when `FNGUARD_CONFIG` is not set.
pub const DEFAULT_CONFIG_PATH: &str = "/opt/fnguard/guard.toml";
/// The Runtime API proxy's port when nothing else is configured (the port of
/// AWS's own Runtime API proxy example).
pub const DEFAULT_PROXY_PORT: u16 = 9009;
/// The egress proxy's port when nothing else is configured.
pub const DEFAULT_EGRESS_PORT: u16 = 9010;
/// Invocations between two full re-hashes of the package files.
pub const DEFAULT_FULL_CHECK_EVERY: u32 = 100;
/// The largest event accepted by default: Lambda's limit for a synchronous
/// invocation payload (6 MB).
pub const DEFAULT_INPUT_MAX_BYTES: u64 = 6 * 1024 * 1024;

/// What a control does with what it finds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Block and log.
    Enforce,
    /// Log what enforce would block, block nothing.
    Report,
    /// Do not run the control.
    Off,
}

impl Mode {
    /// The name used in the configuration and in the security log.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Enforce => "enforce",
            Mode::Report => "report",
            Mode::Off => "off",
        }
    }

    fn parse(value: &str) -> Option<Mode> {
        match value {
            "enforce" => Some(Mode::Enforce),
            "report" => Some(Mode::Report),
            "off" => Some(Mode::Off),
            _ => None,
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happens when the guard itself fails (a crash of a check, an
/// unreadable manifest, an upstream error it cannot recover from).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailPolicy {
    /// Refuse the invocation and reset the environment.
    Closed,
    /// Log the failure and let the invocation run unchecked.
    Open,
}

impl FailPolicy {
    fn parse(value: &str) -> Option<FailPolicy> {
        match value {
            "closed" => Some(FailPolicy::Closed),
            "open" => Some(FailPolicy::Open),
            _ => None,
        }
    }
}

/// `[integrity]`: the files of the function and its layers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IntegrityConfig {
    pub mode: Mode,
    /// Base64 minisign public key(s) the manifest must be signed with (the
    /// key lines of `.pub` files, one per line).
    pub pubkey: Option<String>,
    /// Invocations between full re-hashes; the ones in between only compare
    /// file metadata. 0 is refused (it would mean "never").
    pub full_check_every: u32,
}

/// `[process]`: the runtime process, the process list and `/tmp`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessConfig {
    pub mode: Mode,
    /// Executables accepted as processes left running between invocations
    /// and as new files in `/tmp` (`FNGUARD_PROCESS_ALLOW`, comma-separated,
    /// or `allow = [...]`): absolute paths, `DIR/*` or `DIR/**`. An entry
    /// under a writable folder accepts whatever is written there under that
    /// name: helpers shipped in a layer (`/opt/bin/*`) are the safer kind.
    pub allow: Vec<AllowedExe>,
}

/// `[input]`: event validation.
#[derive(Clone, Debug, PartialEq)]
pub struct InputConfig {
    pub mode: Mode,
    /// A JSON Schema file.
    pub schema: Option<PathBuf>,
    /// A JSON Schema written inline in the TOML file (`[input.inline_schema]`);
    /// `schema` and `inline_schema` together are refused.
    pub inline_schema: Option<serde_json::Value>,
    /// Events larger than this are refused before parsing.
    pub max_bytes: u64,
}

/// `[egress]`: the allowlist proxy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EgressConfig {
    pub mode: Mode,
    /// Host names (`api.example.com`), wildcards (`*.amazonaws.com`) or
    /// addresses; the egress module gives them meaning.
    pub allow: Vec<String>,
    pub port: u16,
}

/// `[proxy]`: the Runtime API proxy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxyConfig {
    pub port: u16,
}

/// Everything the guard is configured with.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// The file the settings came from, `None` when there was none.
    pub source: Option<PathBuf>,
    pub fail: FailPolicy,
    pub integrity: IntegrityConfig,
    pub process: ProcessConfig,
    pub input: InputConfig,
    pub egress: EgressConfig,
    pub proxy: ProxyConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            source: None,
            fail: FailPolicy::Closed,
            integrity: IntegrityConfig {
                mode: Mode::Enforce,
                pubkey: None,
                full_check_every: DEFAULT_FULL_CHECK_EVERY,
            },
            process: ProcessConfig {
                mode: Mode::Enforce,
                allow: Vec::new(),
            },
            input: InputConfig {
                mode: Mode::Enforce,
                schema: None,
                inline_schema: None,
                max_bytes: DEFAULT_INPUT_MAX_BYTES,
            },
            egress: EgressConfig {
                mode: Mode::Enforce,
                allow: Vec::new(),
                port: DEFAULT_EGRESS_PORT,
            },
            proxy: ProxyConfig {
                port: DEFAULT_PROXY_PORT,
            },
        }
    }
}

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read the configuration: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A syntax error, an unknown key or a bad value in the file.
    #[error("{path}:{line}:{column}: {message}")]
    File {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    /// A bad value in an environment variable.
    #[error("{variable}={value:?}: {message}")]
    Env {
        variable: &'static str,
        value: String,
        message: String,
    },
}

// The file as written: every field optional so that "absent" and "set" can
// be told apart when the environment is laid over it.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawFile {
    mode: Option<Mode>,
    fail: Option<FailPolicy>,
    #[serde(default)]
    integrity: RawIntegrity,
    #[serde(default)]
    process: RawProcess,
    #[serde(default)]
    input: RawInput,
    #[serde(default)]
    egress: RawEgress,
    #[serde(default)]
    proxy: RawProxy,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawIntegrity {
    mode: Option<Mode>,
    pubkey: Option<String>,
    full_check_every: Option<toml::Spanned<u32>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawProcess {
    mode: Option<Mode>,
    allow: Option<Vec<toml::Spanned<String>>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawInput {
    mode: Option<Mode>,
    schema: Option<toml::Spanned<PathBuf>>,
    inline_schema: Option<BTreeMap<String, serde_json::Value>>,
    max_bytes: Option<toml::Spanned<u64>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawEgress {
    mode: Option<Mode>,
    allow: Option<Vec<toml::Spanned<String>>>,
    port: Option<toml::Spanned<u16>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawProxy {
    port: Option<toml::Spanned<u16>>,
}

impl Config {
    /// Reads the file named by `FNGUARD_CONFIG` (or
    /// [`DEFAULT_CONFIG_PATH`]), then lays the `FNGUARD_*` variables over
    /// it. `env` looks a variable up (`|k| std::env::var(k).ok()` in the
    /// extension, a map in tests).
    ///
    /// The default file may be absent (defaults apply); a file named by
    /// `FNGUARD_CONFIG` must exist, since a typo there must not quietly
    /// drop the function's settings.
    pub fn load(env: &dyn Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let (path, explicit) = match env("FNGUARD_CONFIG") {
            Some(p) if !p.is_empty() => (PathBuf::from(p), true),
            Some(_) => {
                return Err(ConfigError::Env {
                    variable: "FNGUARD_CONFIG",
                    value: String::new(),
                    message: "empty; unset it to use the default path".into(),
                })
            }
            None => (PathBuf::from(DEFAULT_CONFIG_PATH), false),
        };
        let mut config = match std::fs::read_to_string(&path) {
            Ok(text) => Config::from_toml(&text, &path)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => Config::default(),
            Err(source) => return Err(ConfigError::Read { path, source }),
        };
        config.apply_env(env)?;
        Ok(config)
    }

    /// Parses a TOML configuration; `path` names it in errors.
    pub fn from_toml(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let file_error = |span: Option<std::ops::Range<usize>>, message: String| {
            let (line, column) = line_column(text, span.map_or(0, |s| s.start));
            ConfigError::File {
                path: path.to_path_buf(),
                line,
                column,
                message,
            }
        };
        let raw: RawFile =
            toml::from_str(text).map_err(|e| file_error(e.span(), e.message().to_string()))?;

        let mut config = Config {
            source: Some(path.to_path_buf()),
            ..Config::default()
        };
        if let Some(fail) = raw.fail {
            config.fail = fail;
        }
        if let Some(mode) = raw.mode {
            config.set_all_modes(mode);
        }
        let i = raw.integrity;
        if let Some(mode) = i.mode {
            config.integrity.mode = mode;
        }
        config.integrity.pubkey = i.pubkey;
        if let Some(every) = i.full_check_every {
            if *every.get_ref() == 0 {
                return Err(file_error(
                    Some(every.span()),
                    "full_check_every must be at least 1".into(),
                ));
            }
            config.integrity.full_check_every = every.into_inner();
        }
        if let Some(mode) = raw.process.mode {
            config.process.mode = mode;
        }
        for entry in raw.process.allow.unwrap_or_default() {
            let allowed = AllowedExe::parse(entry.get_ref())
                .map_err(|message| file_error(Some(entry.span()), message))?;
            config.process.allow.push(allowed);
        }
        let input = raw.input;
        if let Some(mode) = input.mode {
            config.input.mode = mode;
        }
        if let (Some(schema), Some(_)) = (&input.schema, &input.inline_schema) {
            return Err(file_error(
                Some(schema.span()),
                "give the input schema either as `schema` (a file) or as `inline_schema`, not both"
                    .into(),
            ));
        }
        config.input.schema = input.schema.map(toml::Spanned::into_inner);
        config.input.inline_schema = input
            .inline_schema
            .map(|table| serde_json::Value::Object(table.into_iter().collect()));
        if let Some(max) = input.max_bytes {
            if *max.get_ref() == 0 {
                return Err(file_error(
                    Some(max.span()),
                    "max_bytes must be at least 1".into(),
                ));
            }
            config.input.max_bytes = max.into_inner();
        }
        let egress = raw.egress;
        if let Some(mode) = egress.mode {
            config.egress.mode = mode;
        }
        if let Some(allow) = egress.allow {
            config.egress.allow = Vec::with_capacity(allow.len());
            for entry in allow {
                let value = entry.get_ref().trim();
                if value.is_empty() {
                    return Err(file_error(
                        Some(entry.span()),
                        "an empty allowlist entry".into(),
                    ));
                }
                config.egress.allow.push(value.to_string());
            }
        }
        if let Some(port) = egress.port {
            config.egress.port =
                nonzero_port(&port).map_err(|m| file_error(Some(port.span()), m))?;
        }
        if let Some(port) = raw.proxy.port {
            config.proxy.port =
                nonzero_port(&port).map_err(|m| file_error(Some(port.span()), m))?;
        }
        if config.proxy.port == config.egress.port {
            return Err(file_error(
                None,
                format!(
                    "the Runtime API proxy and the egress proxy cannot share port {}",
                    config.proxy.port
                ),
            ));
        }
        Ok(config)
    }

    fn set_all_modes(&mut self, mode: Mode) {
        self.integrity.mode = mode;
        self.process.mode = mode;
        self.input.mode = mode;
        self.egress.mode = mode;
    }

    /// Lays the `FNGUARD_*` variables over the settings. `FNGUARD_MODE`
    /// sets every control first; the per-control variables then win.
    pub fn apply_env(&mut self, env: &dyn Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        fn bad(variable: &'static str, value: &str, message: impl Into<String>) -> ConfigError {
            ConfigError::Env {
                variable,
                value: value.to_string(),
                message: message.into(),
            }
        }
        let mode = |variable: &'static str| -> Result<Option<Mode>, ConfigError> {
            match env(variable) {
                None => Ok(None),
                Some(v) => Mode::parse(v.trim())
                    .map(Some)
                    .ok_or_else(|| bad(variable, &v, "expected enforce, report or off")),
            }
        };
        let number = |variable: &'static str| -> Result<Option<u64>, ConfigError> {
            match env(variable) {
                None => Ok(None),
                Some(v) => match v.trim().parse::<u64>() {
                    Ok(n) if n > 0 => Ok(Some(n)),
                    _ => Err(bad(variable, &v, "expected a whole number of at least 1")),
                },
            }
        };
        let port = |variable: &'static str| -> Result<Option<u16>, ConfigError> {
            match number(variable)? {
                None => Ok(None),
                Some(n) => u16::try_from(n).map(Some).map_err(|_| {
                    bad(
                        variable,
                        &n.to_string(),
                        "expected a port between 1 and 65535",
                    )
                }),
            }
        };

        if let Some(m) = mode("FNGUARD_MODE")? {
            self.set_all_modes(m);
        }
        if let Some(m) = mode("FNGUARD_INTEGRITY_MODE")? {
            self.integrity.mode = m;
        }
        if let Some(m) = mode("FNGUARD_PROCESS_MODE")? {
            self.process.mode = m;
        }
        if let Some(m) = mode("FNGUARD_INPUT_MODE")? {
            self.input.mode = m;
        }
        if let Some(m) = mode("FNGUARD_EGRESS_MODE")? {
            self.egress.mode = m;
        }
        if let Some(v) = env("FNGUARD_FAIL") {
            self.fail = FailPolicy::parse(v.trim())
                .ok_or_else(|| bad("FNGUARD_FAIL", &v, "expected closed or open"))?;
        }
        if let Some(v) = env("FNGUARD_INPUT_SCHEMA") {
            if v.trim().is_empty() {
                return Err(bad("FNGUARD_INPUT_SCHEMA", &v, "expected a file path"));
            }
            // The variable names a file: it replaces whatever schema the
            // layer's file gave, inline or not.
            self.input.schema = Some(PathBuf::from(v.trim()));
            self.input.inline_schema = None;
        }
        if let Some(n) = number("FNGUARD_INPUT_MAX_BYTES")? {
            self.input.max_bytes = n;
        }
        if let Some(v) = env("FNGUARD_PROCESS_ALLOW") {
            // Replaces the file's list; an empty variable empties it.
            self.process.allow = v
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|entry| {
                    AllowedExe::parse(entry).map_err(|m| bad("FNGUARD_PROCESS_ALLOW", &v, m))
                })
                .collect::<Result<_, _>>()?;
        }
        if let Some(v) = env("FNGUARD_EGRESS_ALLOW") {
            // An empty variable is an empty allowlist: nothing goes out.
            self.egress.allow = v
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
        }
        if let Some(p) = port("FNGUARD_PROXY_PORT")? {
            self.proxy.port = p;
        }
        if let Some(p) = port("FNGUARD_EGRESS_PORT")? {
            self.egress.port = p;
        }
        if self.proxy.port == self.egress.port {
            return Err(bad(
                "FNGUARD_PROXY_PORT",
                &self.proxy.port.to_string(),
                "the Runtime API proxy and the egress proxy (FNGUARD_EGRESS_PORT) cannot share a port",
            ));
        }
        if let Some(v) = env("FNGUARD_PUBKEY") {
            if v.trim().is_empty() {
                return Err(bad(
                    "FNGUARD_PUBKEY",
                    &v,
                    "expected a base64 minisign public key",
                ));
            }
            self.integrity.pubkey = Some(v.trim().to_string());
        }
        if let Some(n) = number("FNGUARD_FULL_CHECK_EVERY")? {
            self.integrity.full_check_every = u32::try_from(n).map_err(|_| {
                bad(
                    "FNGUARD_FULL_CHECK_EVERY",
                    &n.to_string(),
                    "expected at most 4294967295",
                )
            })?;
        }
        Ok(())
    }
}

fn nonzero_port(port: &toml::Spanned<u16>) -> Result<u16, String> {
    match *port.get_ref() {
        0 => Err("a port between 1 and 65535 is expected".into()),
        p => Ok(p),
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k: &str| map.get(k).cloned()
    }

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::from_toml(text, Path::new("guard.toml"))
    }

    #[test]
    fn an_empty_file_gives_the_defaults_all_enforcing() {
        let config = parse("").unwrap();
        assert_eq!(config.integrity.mode, Mode::Enforce);
        assert_eq!(config.process.mode, Mode::Enforce);
        assert_eq!(config.input.mode, Mode::Enforce);
        assert_eq!(config.egress.mode, Mode::Enforce);
        assert_eq!(config.fail, FailPolicy::Closed);
        assert_eq!(config.proxy.port, 9009);
        assert_eq!(config.egress.port, 9010);
        assert_eq!(config.integrity.full_check_every, 100);
        assert_eq!(config.input.max_bytes, 6 * 1024 * 1024);
        assert!(config.egress.allow.is_empty());
    }

    #[test]
    fn the_file_sets_every_section_and_a_section_mode_beats_the_global_one() {
        let config = parse(
            r#"
mode = "report"
fail = "open"
[integrity]
pubkey = "RWQkey"
full_check_every = 7
[process]
mode = "off"
[input]
mode = "enforce"
max_bytes = 1024
[input.inline_schema]
type = "object"
required = ["id"]
[egress]
allow = ["*.amazonaws.com", " api.example.com "]
port = 8111
[proxy]
port = 8110
"#,
        )
        .unwrap();
        assert_eq!(config.fail, FailPolicy::Open);
        assert_eq!(config.integrity.mode, Mode::Report);
        assert_eq!(config.integrity.pubkey.as_deref(), Some("RWQkey"));
        assert_eq!(config.integrity.full_check_every, 7);
        assert_eq!(config.process.mode, Mode::Off);
        assert_eq!(config.input.mode, Mode::Enforce);
        assert_eq!(config.input.max_bytes, 1024);
        assert_eq!(
            config.input.inline_schema,
            Some(serde_json::json!({"type": "object", "required": ["id"]}))
        );
        assert_eq!(config.egress.mode, Mode::Report);
        assert_eq!(config.egress.allow, ["*.amazonaws.com", "api.example.com"]);
        assert_eq!(config.egress.port, 8111);
        assert_eq!(config.proxy.port, 8110);
    }

    #[test]
    fn an_unknown_key_is_an_error_naming_its_line_and_column() {
        let err = parse("[input]\nmode = \"report\"\n  maxbytes = 3\n").unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("guard.toml:3:3: "), "{text}");
        assert!(text.contains("maxbytes"), "{text}");
    }

    #[test]
    fn the_process_allowlist_comes_from_the_file_or_the_variable_and_bad_entries_are_placed() {
        let config = parse("[process]\nallow = [\"/opt/bin/*\", \"/tmp/chromium/**\"]\n").unwrap();
        assert_eq!(
            config.process.allow,
            [
                AllowedExe::InFolder("/opt/bin".into()),
                AllowedExe::Below("/tmp/chromium".into())
            ]
        );
        let err = parse("[process]\nallow = [\"/opt/bin/*\", \"helper\"]\n").unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("guard.toml:2:24: "), "{text}");
        assert!(text.contains("absolute path"), "{text}");

        let mut config = config;
        config
            .apply_env(&env_of(&[(
                "FNGUARD_PROCESS_ALLOW",
                "/opt/ffmpeg, /var/task/bin/*",
            )]))
            .unwrap();
        assert_eq!(
            config.process.allow,
            [
                AllowedExe::Exact("/opt/ffmpeg".into()),
                AllowedExe::InFolder("/var/task/bin".into())
            ]
        );
        let err = config
            .apply_env(&env_of(&[("FNGUARD_PROCESS_ALLOW", "/opt/*/x")]))
            .unwrap_err();
        assert!(
            err.to_string().starts_with("FNGUARD_PROCESS_ALLOW="),
            "{err}"
        );
        assert!(err.to_string().contains("wildcard"), "{err}");
        config
            .apply_env(&env_of(&[("FNGUARD_PROCESS_ALLOW", "")]))
            .unwrap();
        assert!(config.process.allow.is_empty());
    }

    #[test]
    fn a_bad_mode_in_the_file_names_its_position() {
        let err = parse("[egress]\nmode = \"block\"\n").unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("guard.toml:2:8: "), "{text}");
        assert!(text.contains("block"), "{text}");
    }

    #[test]
    fn zero_values_and_a_shared_port_are_refused() {
        let err = parse("[integrity]\nfull_check_every = 0\n").unwrap_err();
        assert!(err.to_string().starts_with("guard.toml:2:20: "), "{err}");
        let err = parse("[proxy]\nport = 0\n").unwrap_err();
        assert!(err.to_string().starts_with("guard.toml:2:8: "), "{err}");
        let err = parse("[proxy]\nport = 9010\n").unwrap_err();
        assert!(err.to_string().contains("cannot share port 9010"), "{err}");
        let err = parse("[proxy]\nport = 70000\n").unwrap_err();
        assert!(err.to_string().starts_with("guard.toml:2:8: "), "{err}");
        let err = parse("[input]\nschema = \"s.json\"\n[input.inline_schema]\ntype = \"object\"\n")
            .unwrap_err();
        assert!(err.to_string().contains("not both"), "{err}");
    }

    #[test]
    fn a_syntax_error_names_its_line() {
        let err = parse("mode = \"report\"\n[egress\n").unwrap_err();
        assert!(err.to_string().starts_with("guard.toml:2:"), "{err}");
    }

    #[test]
    fn the_environment_overlays_the_file_and_a_control_variable_beats_fnguard_mode() {
        let mut config = parse("[egress]\nallow = [\"a.example\"]\n").unwrap();
        config
            .apply_env(&env_of(&[
                ("FNGUARD_MODE", "report"),
                ("FNGUARD_PROCESS_MODE", "enforce"),
                ("FNGUARD_INPUT_MODE", "off"),
                ("FNGUARD_FAIL", "open"),
                ("FNGUARD_INPUT_SCHEMA", "/var/task/schema.json"),
                ("FNGUARD_INPUT_MAX_BYTES", "4096"),
                ("FNGUARD_EGRESS_ALLOW", "b.example, *.amazonaws.com,,"),
                ("FNGUARD_PROXY_PORT", "7001"),
                ("FNGUARD_EGRESS_PORT", "7002"),
                ("FNGUARD_PUBKEY", "RWQkey"),
                ("FNGUARD_FULL_CHECK_EVERY", "5"),
            ]))
            .unwrap();
        assert_eq!(config.integrity.mode, Mode::Report);
        assert_eq!(config.process.mode, Mode::Enforce);
        assert_eq!(config.input.mode, Mode::Off);
        assert_eq!(config.egress.mode, Mode::Report);
        assert_eq!(config.fail, FailPolicy::Open);
        assert_eq!(
            config.input.schema.as_deref(),
            Some(Path::new("/var/task/schema.json"))
        );
        assert_eq!(config.input.max_bytes, 4096);
        assert_eq!(config.egress.allow, ["b.example", "*.amazonaws.com"]);
        assert_eq!(config.proxy.port, 7001);
        assert_eq!(config.egress.port, 7002);
        assert_eq!(config.integrity.pubkey.as_deref(), Some("RWQkey"));
        assert_eq!(config.integrity.full_check_every, 5);
    }

    #[test]
    fn a_bad_variable_is_an_error_naming_it() {
        for (variable, value, expect) in [
            (
                "FNGUARD_MODE",
                "block",
                "FNGUARD_MODE=\"block\": expected enforce",
            ),
            ("FNGUARD_EGRESS_MODE", "", "FNGUARD_EGRESS_MODE=\"\""),
            (
                "FNGUARD_FAIL",
                "maybe",
                "FNGUARD_FAIL=\"maybe\": expected closed or open",
            ),
            (
                "FNGUARD_PROXY_PORT",
                "70000",
                "FNGUARD_PROXY_PORT=\"70000\"",
            ),
            ("FNGUARD_PROXY_PORT", "9010", "cannot share a port"),
            (
                "FNGUARD_INPUT_MAX_BYTES",
                "-1",
                "FNGUARD_INPUT_MAX_BYTES=\"-1\"",
            ),
            (
                "FNGUARD_FULL_CHECK_EVERY",
                "0",
                "FNGUARD_FULL_CHECK_EVERY=\"0\"",
            ),
            ("FNGUARD_PUBKEY", " ", "FNGUARD_PUBKEY"),
        ] {
            let err = Config::default()
                .apply_env(&env_of(&[(variable, value)]))
                .unwrap_err();
            assert!(err.to_string().contains(expect), "{variable}: {err}");
        }
        let err = Config::load(&env_of(&[("FNGUARD_CONFIG", "")])).unwrap_err();
        assert!(err.to_string().contains("FNGUARD_CONFIG"), "{err}");
    }

    #[test]
    fn load_reads_the_named_file_and_refuses_a_named_file_that_is_missing() {
        let dir = std::env::temp_dir().join(format!("fnguard-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("guard.toml");
        std::fs::write(&file, "[process]\nmode = \"report\"\n").unwrap();
        let path = file.to_str().unwrap();
        let config = Config::load(&env_of(&[("FNGUARD_CONFIG", path)])).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(config.process.mode, Mode::Report);
        assert_eq!(config.source.as_deref(), Some(file.as_path()));

        let err = Config::load(&env_of(&[("FNGUARD_CONFIG", path)])).unwrap_err();
        assert!(
            matches!(err, ConfigError::Read { .. }) && err.to_string().contains("guard.toml"),
            "{err}"
        );
    }
}
