//! Supply-chain and persistence indicators (guide §2.2 supply-chain
//! poisoning, §2.3 persistent backdoors), rules FG-SUP-001..012.
//!
//! [`check_file`] judges one file of a package from its path inside the
//! package and its bytes; [`check_package_names`] judges dependency names
//! for typosquatting. Both are pure (no I/O, no shared mutable state beyond
//! lazily compiled patterns) so the engine can call them from any thread.
//!
//! Most files match nothing, so content rules start with one Aho-Corasick
//! pass over the bytes for the literals every rule needs; only the rules
//! whose literals occur run their regular expression, over the whole text.

mod rules;
mod typosquat;

pub use rules::RULES;
pub use typosquat::{check_package_names, Typosquat};

use crate::classify::FileClass;
use aho_corasick::dfa::DFA;
use aho_corasick::MatchKind;
use fnguard_core::{RuleMeta, Severity};
use regex::{Captures, Regex};
use rules::*;
use std::sync::OnceLock;

/// One indicator found in a file.
#[derive(Debug, Clone)]
pub struct Indicator {
    pub rule: &'static RuleMeta,
    /// The rule's severity moved by where the file is (see [`check_file`]).
    pub severity: Severity,
    /// 1-based line and column (in characters) of the evidence; `None` when
    /// the file as a whole is the indicator (an extension, a
    /// `sitecustomize.py`).
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// The matched text with a little context, at most [`EVIDENCE_CHARS`]
    /// characters, or the path for whole-file indicators.
    pub evidence: String,
}

/// Longest evidence kept: enough to recognise the code, short enough for a
/// report line even when the match sits in minified code.
pub const EVIDENCE_CHARS: usize = 160;

/// The indicators of one file. `path_in_package` is the path inside the
/// package as `archive::Entry::package_path` gives it (nested archives
/// joined with `!/`); `class` is its `classify::FileClass`.
///
/// Where the file is changes severity differently from secrets: poisoning
/// lives in vendored dependencies, so a vendored file is *not* lowered.
/// Everything found in tests, docs and examples goes one level down (a
/// fixture's package.json is never installed, a test is seldom run).
/// Content indicators in binaries go one level down too (raw bytes), but
/// a start-up hook, install script or extension keeps its severity in any
/// other class: there the file's kind and place are the finding, and an
/// extension is usually a binary.
pub fn check_file(path_in_package: &str, bytes: &[u8], class: FileClass) -> Vec<Indicator> {
    let inner_path = innermost_path(path_in_package);
    let file_name = inner_path.rsplit('/').next().unwrap_or(inner_path);
    let placement_shift = if class == FileClass::TestOrDoc { -1 } else { 0 };
    let mut found = Vec::new();
    if matches!(
        file_name,
        "sitecustomize.py" | "usercustomize.py" | "sitecustomize.pyc" | "usercustomize.pyc"
    ) {
        found.push(whole_file(STARTUP_HOOK, placement_shift, inner_path));
    }
    if is_layer_extension(inner_path) {
        found.push(whole_file(EXTENSION, placement_shift, inner_path));
    }

    if class == FileClass::VendoredDependency {
        check_function_endpoints(bytes, &mut found);
    }

    let active = prefilter_hits(bytes);
    let pth = file_name.ends_with(".pth");
    let manifest = file_name == "package.json";
    let shell = is_shell_script(file_name, bytes);
    // The common case: no literal of any content rule and no file kind
    // read line by line; the text is then never decoded nor indexed.
    if !(pth || manifest || shell || active.contains(&true)) {
        return found;
    }
    let text = String::from_utf8_lossy(bytes);
    let lines = LineIndex::new(&text);
    if pth {
        check_pth(file_name, &text, placement_shift, &mut found);
    }
    if manifest {
        check_package_json(bytes, &text, &lines, placement_shift, &mut found);
    }

    let content_shift = match class {
        FileClass::TestOrDoc | FileClass::Binary => -1,
        FileClass::FirstParty | FileClass::RuntimeConfig | FileClass::VendoredDependency => 0,
    };
    if shell {
        check_wrapper_script(&text, &lines, content_shift, &mut found);
    }
    let file = FileText {
        path: inner_path,
        text: &text,
        lines: &lines,
        shell,
    };
    check_content(&file, &active, content_shift, &mut found);
    found
}

/// Longest host name DNS allows.
const MAX_HOST: usize = 253;

/// URLs in a vendored library that point at a cloud-function or API
/// gateway endpoint (issue 5's knowledge base): a library has no business
/// calling somebody's function, while a poisoned one sends what it steals
/// there (guide §2.1: functions as relays behind the vendors' domains).
/// FG-SUP-010 one level down: a small SDK may front its own service with
/// a gateway. The function's own code calls its APIs legitimately and is
/// not searched.
fn check_function_endpoints(bytes: &[u8], found: &mut Vec<Indicator>) {
    let mut seen: Vec<String> = Vec::new();
    for at in memchr::memmem::find_iter(bytes, b"://") {
        let scheme_start = bytes[..at]
            .iter()
            .rposition(|b| !b.is_ascii_alphabetic())
            .map_or(0, |i| i + 1);
        let scheme = &bytes[scheme_start..at];
        if !(scheme.eq_ignore_ascii_case(b"https")
            || scheme.eq_ignore_ascii_case(b"http")
            || scheme.eq_ignore_ascii_case(b"wss")
            || scheme.eq_ignore_ascii_case(b"ws"))
        {
            continue;
        }
        let host_start = at + 3;
        let host_len = bytes[host_start..]
            .iter()
            .take(MAX_HOST + 1)
            .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-'))
            .count();
        if host_len == 0 || host_len > MAX_HOST {
            continue;
        }
        let Ok(host) = std::str::from_utf8(&bytes[host_start..host_start + host_len]) else {
            continue;
        };
        let Some(endpoint) = fnguard_intel::classify(host) else {
            continue;
        };
        if endpoint.kind() == fnguard_intel::Kind::Edge || seen.contains(&endpoint.host) {
            continue;
        }
        let line = memchr::memchr_iter(b'\n', &bytes[..scheme_start]).count() + 1;
        let line_start = memchr::memrchr(b'\n', &bytes[..scheme_start]).map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(&bytes[line_start..scheme_start])
            .chars()
            .count()
            + 1;
        let tenant = endpoint
            .tenant()
            .map(|t| format!(", tenant {t}"))
            .unwrap_or_default();
        found.push(Indicator {
            rule: &RULES[EXFIL_ENDPOINT],
            severity: shifted(RULES[EXFIL_ENDPOINT].severity, -1),
            line: Some(line),
            column: Some(column),
            evidence: truncate_chars(
                &format!("{} ({}{tenant})", endpoint.host, endpoint.product.name_en),
                EVIDENCE_CHARS,
            ),
        });
        seen.push(endpoint.host);
    }
}

/// The path inside the innermost archive: `layer.zip!/extensions/agent`
/// is `extensions/agent` to the layer that mounts it.
fn innermost_path(path: &str) -> &str {
    let inner = path.rsplit("!/").next().unwrap_or(path);
    inner.trim_start_matches("./").trim_start_matches('/')
}

fn whole_file(rule: usize, shift: i8, path: &str) -> Indicator {
    Indicator {
        rule: &RULES[rule],
        severity: shifted(RULES[rule].severity, shift),
        line: None,
        column: None,
        evidence: truncate_chars(path, EVIDENCE_CHARS),
    }
}

/// `site.py` executes a `.pth` line that starts with `import ` or
/// `import\t` exactly (no leading blanks); other lines are paths.
fn check_pth(file_name: &str, text: &str, shift: i8, found: &mut Vec<Indicator>) {
    // setuptools installs this hook itself to choose its distutils; it is in
    // most environments, so it is shown but not raised.
    let severity = if file_name == "distutils-precedence.pth" {
        Severity::Info
    } else {
        shifted(RULES[STARTUP_HOOK].severity, shift)
    };
    for (index, line) in text.lines().enumerate() {
        if line.starts_with("import ") || line.starts_with("import\t") {
            found.push(Indicator {
                rule: &RULES[STARTUP_HOOK],
                severity,
                line: Some(index + 1),
                column: Some(1),
                evidence: truncate_chars(line.trim_end(), EVIDENCE_CHARS),
            });
        }
    }
}

/// npm's install-time hooks; `prepare`, `test` and the rest do not run when
/// a dependency is installed from the registry.
const INSTALL_HOOKS: [&str; 3] = ["preinstall", "install", "postinstall"];

fn check_package_json(
    bytes: &[u8],
    text: &str,
    lines: &LineIndex,
    shift: i8,
    found: &mut Vec<Indicator>,
) {
    // npm refuses a package.json it cannot parse, and so runs none of its
    // scripts: an unparsable file has no install hook to report.
    let Ok(manifest) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        return;
    };
    let Some(scripts) = manifest.get("scripts").and_then(|s| s.as_object()) else {
        return;
    };
    let scripts_at = text.find("\"scripts\"").unwrap_or(0);
    for hook in INSTALL_HOOKS {
        let Some(command) = scripts.get(hook).and_then(|c| c.as_str()) else {
            continue;
        };
        let fetches = patterns()
            .fetching_script
            .as_ref()
            .is_some_and(|regex| regex.is_match(command));
        let rule = if fetches {
            INSTALL_SCRIPT_FETCH
        } else {
            INSTALL_SCRIPT
        };
        let key = format!("\"{hook}\"");
        let (line, column) = match text[scripts_at..].find(&key) {
            Some(offset) => {
                let (line, column) = lines.position(text, scripts_at + offset);
                (Some(line), Some(column))
            }
            None => (None, None),
        };
        found.push(Indicator {
            rule: &RULES[rule],
            severity: shifted(RULES[rule].severity, shift),
            line,
            column,
            evidence: truncate_chars(&format!("{hook}: {command}"), EVIDENCE_CHARS),
        });
    }
}

/// Lambda starts every file directly in `/opt/extensions`, where the
/// layer's top-level `extensions/` folder is mounted; files deeper down
/// are the extensions' own data.
fn is_layer_extension(inner_path: &str) -> bool {
    match inner_path.split_once('/') {
        Some(("extensions", name)) => !name.is_empty() && !name.contains('/'),
        _ => false,
    }
}

fn is_shell_script(file_name: &str, bytes: &[u8]) -> bool {
    if file_name.ends_with(".sh") {
        return true;
    }
    let first_line = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
    first_line.starts_with(b"#!")
        && [&b"sh"[..], b"bash", b"dash", b"zsh", b"ksh"]
            .iter()
            .any(|shell| {
                first_line
                    .split(|b| *b == b'/' || *b == b' ')
                    .any(|word| word.trim_ascii_end() == *shell)
            })
}

/// A shell script that ends by `exec "$@"` is shaped as a Lambda exec
/// wrapper; it matters when it does something first (a bare pass-through
/// changes nothing).
fn check_wrapper_script(text: &str, lines: &LineIndex, shift: i8, found: &mut Vec<Indicator>) {
    let Some(exec_all) = &patterns().exec_all_arguments else {
        return;
    };
    let Some(exec) = exec_all.find(text) else {
        return;
    };
    let does_something = text.lines().any(|line| {
        let line = line.trim();
        !(line.is_empty()
            || line.starts_with('#')
            || line.starts_with("set ")
            || exec_all.is_match(line))
    });
    if does_something {
        found.push(at_match(
            EXEC_WRAPPER,
            shift,
            text,
            lines,
            exec.start(),
            exec.end(),
        ));
    }
}

/// A rule judged on content: the literals that must occur in the file for
/// the pattern to have a chance, the pattern, and an optional check of each
/// match with the file's path.
struct ContentRule {
    rule: usize,
    literals: &'static [&'static str],
    pattern: &'static str,
    accept: fn(&Captures, &str) -> bool,
    /// Run only on shell scripts.
    shell_only: bool,
}

fn content_rules() -> Vec<ContentRule> {
    vec![
        ContentRule {
            rule: EXEC_WRAPPER,
            literals: &["AWS_LAMBDA_EXEC_WRAPPER"],
            pattern: r"AWS_LAMBDA_EXEC_WRAPPER",
            accept: |_, _| true,
            shell_only: false,
        },
        ContentRule {
            rule: DECODED_EXEC,
            literals: &[
                "b64decode",
                "b32decode",
                "b16decode",
                "b85decode",
                "a85decode",
                "decodebytes",
                "codecs.decode",
                "fromhex",
                "unhexlify",
                "a2b_base64",
                "zlib.decompress",
                "marshal.loads",
                "buffer.from",
                "atob",
                "unescape",
                "fromcharcode",
            ],
            pattern: r#"(?x)
                \b(?:exec|eval)\s*\(\s*(?:compile\s*\(\s*)?
                  (?:base64\.\w*decode\w*|codecs\.decode|bytes\.fromhex|binascii\.(?:unhexlify|a2b_base64)
                    |zlib\.decompress|marshal\.loads
                    |__import__\s*\(\s*['"](?:base64|codecs|zlib|marshal|binascii)['"]\s*\)\.\w+)\s*\(
              | \bFunctionType\s*\(\s*marshal\.loads\s*\(
              | \beval\s*\(\s*(?:Buffer\.from|atob|unescape|decodeURIComponent|String\.fromCharCode)\s*\(
              | (?:\bnew\s+)?\bFunction\s*\(\s*(?:Buffer\.from|atob|unescape|String\.fromCharCode)\s*\(
            "#,
            accept: |_, _| true,
            shell_only: false,
        },
        ContentRule {
            rule: CREDENTIAL_READ,
            literals: &["/environ", "/mem", ".aws"],
            pattern: r#"(?x)
                /proc/(?:self|thread-self|\d+|\$\{?\w+\}?|%[ds]|\{[^}/\n]*\})/(?:task/\d+/)?(?:environ|mem)\b
              | (?P<aws>\.aws[/\\]credentials\b|['"]\.aws['"]\s*,\s*['"]credentials['"])
            "#,
            accept: |captures, path| captures.name("aws").is_none() || !is_aws_sdk(path),
            shell_only: false,
        },
        ContentRule {
            rule: RUNTIME_WRITE,
            literals: &["/var/runtime", "/var/task", "/opt"],
            pattern: RUNTIME_WRITE_PATTERN,
            accept: |_, _| true,
            shell_only: false,
        },
        ContentRule {
            rule: TMP_EXEC,
            literals: &["/tmp/", "'/tmp'", "\"/tmp\""],
            pattern: r#"(?xm)
                \bchmod\s+(?:-\w+\s+)*(?:[ugoa]*\+[rw]*x\w*|0?[0-7]*[1357][0-7]*)\s+['"]?/tmp/
              | \bos\.chmod\s*\(\s*[rbf]?['"]/tmp/
              | \bchmod(?:Sync)?\s*\(\s*['"`]/tmp/
              | (?:\bsubprocess\.\w+|\bos\.(?:system|popen|exec\w*|spawn\w*)|\bexec(?:Sync|File|FileSync)?
                  |\bspawn(?:Sync)?|\bexecve?)\s*\(\s*\[?\s*[rbf]?['"`]/tmp/
              | \b(?:exec|nohup|sh|bash)\s+/tmp/[\w.\-/]+
            "#,
            accept: |_, _| true,
            shell_only: false,
        },
        ContentRule {
            rule: TMP_EXEC,
            literals: &["/tmp/"],
            // A command that is a path under /tmp: only shell scripts have
            // commands at the start of a line (elsewhere it is prose, or a
            // line break inside binary data).
            pattern: r"(?m)(?:^[ \t]*|[;&|][ \t]*)/tmp/[\w.\-/]+",
            accept: |_, _| true,
            shell_only: true,
        },
        ContentRule {
            rule: EXFIL_ENDPOINT,
            literals: &[
                "pastebin.com",
                "paste.ee",
                "hastebin.com",
                "rentry.co",
                "transfer.sh",
                "webhook.site",
                "requestbin",
                "pipedream.net",
                "interact.sh",
                "oast.",
                "oastify.com",
                "burpcollaborator",
                "ngrok",
                "/api/webhooks/",
                "api.telegram.org",
            ],
            pattern: r#"(?ix)
                \b(?:pastebin\.com|paste\.ee|hastebin\.com|rentry\.co|webhook\.site|requestbin\.(?:com|net)
                  |(?:[a-z0-9-]+\.)*pipedream\.net
                  |(?:[a-z0-9-]+\.)*oast\.(?:pro|live|site|online|fun|me)
                  |(?:[a-z0-9-]+\.)*oastify\.com|(?:[a-z0-9-]+\.)*burpcollaborator\.net
                  |(?:[a-z0-9-]+\.)*ngrok(?:-free)?\.(?:io|app|dev))\b
              | (?:https?://|\b[a-z0-9-]+\.)interact\.sh\b
              | https?://transfer\.sh\b
              | \bdiscord(?:app)?\.com/api/webhooks/\d{5,}/[\w-]{20,}
              | \bapi\.telegram\.org/bot\d{5,}:[\w-]{20,}
            "#,
            accept: |_, _| true,
            shell_only: false,
        },
        ContentRule {
            rule: RAW_IP_URL,
            literals: &[
                "://0", "://1", "://2", "://3", "://4", "://5", "://6", "://7", "://8", "://9",
            ],
            pattern: r"(?i)\b(?:https?|wss?|ftp|tcp|udp)://(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\b",
            accept: |captures, _| {
                let octet = |i: usize| captures.get(i).and_then(|m| m.as_str().parse::<u8>().ok());
                match (octet(1), octet(2), octet(3), octet(4)) {
                    (Some(a), Some(b), Some(c), Some(d)) => is_public_ipv4([a, b, c, d]),
                    _ => false,
                }
            },
            shell_only: false,
        },
    ]
}

/// Writing, copying, moving, linking or redirecting to a path under the
/// runtime, task or layer folders, in Python, JavaScript or shell.
const RUNTIME_WRITE_PATTERN: &str = r#"(?xm)
            \bopen\s*\(\s*[rbf]?['"](?:/var/runtime|/var/task|/opt)/[^'"]*['"]\s*,\s*(?:mode\s*=\s*)?[rbf]?['"][^'"]*[wax+]
          | \b(?:writeFile|writeFileSync|appendFile|appendFileSync|createWriteStream|copyFile|copyFileSync
              |rename|renameSync|symlink|symlinkSync|cpSync)\s*\([^)]*?['"`](?:/var/runtime|/var/task|/opt)/
          | \bshutil\.(?:copy|copy2|copyfile|copytree|move)\s*\([^)]*?['"](?:/var/runtime|/var/task|/opt)/
          | \bos\.(?:rename|replace|symlink|link)\s*\([^)]*?['"](?:/var/runtime|/var/task|/opt)/
          | \bPath\s*\(\s*[rbf]?['"](?:/var/runtime|/var/task|/opt)/[^'"]*['"]\s*\)\s*\.(?:write_text|write_bytes|symlink_to)
          | (?:^|[\s\d&])>>?\s*['"]?(?:/var/runtime|/var/task|/opt)/
          | \btee\s+(?:-a\s+)?['"]?(?:/var/runtime|/var/task|/opt)/
          | \b(?:cp|mv|ln|install)\s+(?:-\w+\s+)*\S+\s+['"]?(?:/var/runtime|/var/task|/opt)/
        "#;

/// The AWS SDKs and tools that read the shared credentials file by design.
const AWS_SDK_DIRS: &[&str] = &[
    "botocore",
    "boto3",
    "aiobotocore",
    "awscli",
    "s3transfer",
    "aws-sdk",
    "@aws-sdk",
    "@smithy",
    "aws-cdk-lib",
    "awswrangler",
    "moto",
];

/// Whether a path lies in one of [`AWS_SDK_DIRS`], as a package folder
/// (`botocore/`, `node_modules/@aws-sdk/`) or as its installed metadata
/// (`botocore-1.35.0.dist-info/`).
fn is_aws_sdk(path: &str) -> bool {
    path.split(['/', '!']).any(|segment| {
        let name = match segment
            .strip_suffix(".dist-info")
            .or_else(|| segment.strip_suffix(".egg-info"))
        {
            Some(versioned) => versioned.split('-').next().unwrap_or(versioned),
            None => segment,
        };
        AWS_SDK_DIRS.contains(&name)
    })
}

/// Public unicast: not in IANA's special-purpose ranges (this network,
/// private, shared, loopback, link-local with the metadata address,
/// protocol assignments, documentation, benchmarking, multicast, reserved).
fn is_public_ipv4([a, b, c, _]: [u8; 4]) -> bool {
    !(a == 0
        || a == 10
        || a == 127
        || a >= 224
        || (a == 100 && (64..128).contains(&b))
        || (a == 169 && b == 254)
        || (a == 172 && (16..32).contains(&b))
        || (a == 192 && b == 168)
        || (a == 192 && b == 0 && (c == 0 || c == 2))
        || (a == 198 && (b == 18 || b == 19))
        || (a == 198 && b == 51 && c == 100)
        || (a == 203 && b == 0 && c == 113))
}

struct Patterns {
    prefilter: Option<DFA>,
    /// For each prefilter pattern, the indexes in `content` of the rules
    /// that need it.
    literal_rules: Vec<Vec<usize>>,
    content: Vec<(ContentRule, Option<Regex>)>,
    /// `None` only if a constant pattern failed to compile (a test compiles
    /// them all): the check is then off rather than a panic.
    fetching_script: Option<Regex>,
    exec_all_arguments: Option<Regex>,
    /// `name = "/tmp/..."` (also `os.path.join("/tmp", ...)`, shell
    /// `NAME=/tmp/...`): the name is group 1.
    tmp_assignment: Option<Regex>,
    /// The token of a Discord webhook or Telegram bot URL; `keep` is what a
    /// report may show.
    token_in_url: Option<Regex>,
}

/// Compiles a pattern with ASCII word boundaries. A Unicode `\b` stops
/// the regex engine's fast DFA on any non-ASCII text, and a binary decoded
/// with replacement characters then ran at 3 MB/s instead of hundreds; the
/// words these patterns bound (function names, hosts, commands) are ASCII.
fn compile(pattern: &str) -> Option<Regex> {
    Regex::new(&pattern.replace(r"\b", r"(?-u:\b)")).ok()
}

fn patterns() -> &'static Patterns {
    static PATTERNS: OnceLock<Patterns> = OnceLock::new();
    PATTERNS.get_or_init(|| {
        let content: Vec<(ContentRule, Option<Regex>)> = content_rules()
            .into_iter()
            .map(|rule| {
                // The patterns are constants (a test compiles every one); a
                // pattern that failed would only switch its rule off.
                let regex = compile(rule.pattern);
                (rule, regex)
            })
            .collect();
        // One automaton pattern per distinct literal, naming every content
        // rule that needs it (two entries of FG-SUP-009 share `/tmp/`).
        let mut literals: Vec<String> = Vec::new();
        let mut literal_rules: Vec<Vec<usize>> = Vec::new();
        for (index, (rule, _)) in content.iter().enumerate() {
            for literal in rule.literals {
                let literal = literal.to_ascii_lowercase();
                match literals.iter().position(|known| *known == literal) {
                    Some(at) => literal_rules[at].push(index),
                    None => {
                        literals.push(literal);
                        literal_rules.push(vec![index]);
                    }
                }
            }
        }
        let prefilter = DFA::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&literals)
            .ok();
        Patterns {
            prefilter,
            literal_rules,
            content,
            fetching_script: compile(
                r"(?i)\b(?:curl|wget|fetch|Invoke-WebRequest|iwr)\b|https?://|\bnode\s+(?:-e|--eval|-p|--print)\b|\bbase64\b|\beval\b|\|\s*(?:ba|z|da)?sh\b|\bpowershell\b|/dev/tcp/",
            ),
            token_in_url: compile(
                r"(?i)(?P<keep>/api/webhooks/\d+/[\w-]{4}|/bot\d+:[\w-]{4})[\w-]+",
            ),
            tmp_assignment: compile(
                r#"(?m)(?:^|[^\w.])(?:export\s+|const\s+|let\s+|var\s+)?([A-Za-z_]\w*)\s*=\s*(?:os\.path\.join\s*\(\s*|path\.join\s*\(\s*|Path\s*\(\s*)?[rbf]?['"`]?/tmp(?:/|['"`])"#,
            ),
            exec_all_arguments: compile(
                r#"(?m)^[ \t]*exec[ \t]+(?:env[ \t]+(?:-\S+[ \t]+|\w+=\S*[ \t]+)*)?(?:"\$@"|"\$\{@\}"|\$@|\$\{@\})[ \t]*(?:#.*)?$"#,
            ),
        }
    })
}

/// A file as the content rules see it.
struct FileText<'a> {
    /// The path inside the innermost archive.
    path: &'a str,
    text: &'a str,
    lines: &'a LineIndex,
    shell: bool,
}

/// For each content rule, whether one of its literals occurs in `bytes`
/// (ASCII case-insensitive).
fn prefilter_hits(bytes: &[u8]) -> Vec<bool> {
    let patterns = patterns();
    let mut active = vec![false; patterns.content.len()];
    let Some(prefilter) = &patterns.prefilter else {
        return active;
    };
    // Every occurrence, overlapping ones too, by the secret scanner's
    // two-stream DFA walk: a literal that is a prefix of another is still
    // seen.
    for occurrence in crate::secrets::keyword_occurrences(prefilter, bytes) {
        for &rule in patterns
            .literal_rules
            .get(occurrence.literal)
            .map_or(&[][..], Vec::as_slice)
        {
            active[rule] = true;
        }
    }
    active
}

/// Runs the content rules whose literals occur (`active`, from
/// [`prefilter_hits`]).
fn check_content(file: &FileText, active: &[bool], shift: i8, found: &mut Vec<Indicator>) {
    let patterns = patterns();
    let mentions_tmp = patterns
        .content
        .iter()
        .zip(active)
        .any(|((rule, _), on)| *on && rule.rule == TMP_EXEC);
    if mentions_tmp {
        check_tmp_variables(file, shift, found);
    }
    for ((rule, regex), _) in patterns.content.iter().zip(active).filter(|(_, on)| **on) {
        let Some(regex) = regex else { continue };
        if rule.shell_only && !file.shell {
            continue;
        }
        for captures in regex.captures_iter(file.text) {
            if !(rule.accept)(&captures, file.path) {
                continue;
            }
            let Some(whole) = captures.get(0) else {
                continue;
            };
            // A pattern may consume the character before the match (the
            // shell redirect); point at the match proper.
            let start = whole.start()
                + whole
                    .as_str()
                    .find(|c: char| !c.is_whitespace() && !matches!(c, ';' | '&' | '|'))
                    .unwrap_or(0);
            found.push(at_match(
                rule.rule,
                shift,
                file.text,
                file.lines,
                start,
                whole.end(),
            ));
        }
    }
}

/// More names than this assigned a /tmp path in one file are not followed
/// (each costs a pattern compiled for the file).
const MAX_TMP_VARIABLES: usize = 16;

/// The dropper written over several lines: a variable (Python, JavaScript
/// or shell) holds a /tmp path, and a later line makes it executable or
/// runs it. Only the names assigned a /tmp path are followed, so a chmod of
/// anything else is not reported.
fn check_tmp_variables(file: &FileText, shift: i8, found: &mut Vec<Indicator>) {
    let Some(assignment) = &patterns().tmp_assignment else {
        return;
    };
    let mut names: Vec<&str> = assignment
        .captures_iter(file.text)
        .filter_map(|c| c.get(1).map(|m| m.as_str()))
        .collect();
    names.sort_unstable();
    names.dedup();
    for name in names.into_iter().take(MAX_TMP_VARIABLES) {
        let v = regex::escape(name);
        let pattern = [
            r"(?m)\bchmod(?:Sync)?\s*\(\s*",
            &v,
            r"\s*,|\bchmod\s+(?:-\w+\s+)*(?:[ugoa]*\+[rw]*x\w*|0?[0-7]*[1357][0-7]*)\s+\x22?\$\{?",
            &v,
            r"\b|(?:\bsubprocess\.\w+|\bos\.(?:system|popen|exec\w*|spawn\w*)|\bexec(?:Sync|File|FileSync)?|\bspawn(?:Sync)?|\bexecve?)\s*\(\s*\[?\s*",
            &v,
            r"\b|(?:^[ \t]*|[;&|][ \t]*|\b(?:exec|nohup|sh|bash)[ \t]+)\x22?\$\{?",
            &v,
            r"\b",
        ]
        .concat();
        let Some(use_of_name) = compile(&pattern) else {
            continue;
        };
        for hit in use_of_name.find_iter(file.text) {
            let start = hit.start()
                + hit
                    .as_str()
                    .find(|c: char| !c.is_whitespace() && !matches!(c, ';' | '&' | '|'))
                    .unwrap_or(0);
            found.push(at_match(
                TMP_EXEC,
                shift,
                file.text,
                file.lines,
                start,
                hit.end(),
            ));
        }
    }
}

fn at_match(
    rule: usize,
    shift: i8,
    text: &str,
    lines: &LineIndex,
    start: usize,
    end: usize,
) -> Indicator {
    let (line, column) = lines.position(text, start);
    // Commented out, the code or address does not run: one level lower
    // (still shown, as a comment can document what another file does).
    let comment_shift = if lines.in_line_comment(text, start) {
        -1
    } else {
        0
    };
    Indicator {
        rule: &RULES[rule],
        severity: shifted(RULES[rule].severity, shift + comment_shift),
        line: Some(line),
        column: Some(column),
        evidence: redact_tokens(&lines.evidence(text, start, end)),
    }
}

/// A Discord webhook URL and a Telegram bot URL carry the credential that
/// lets anyone post as the attacker's (or the developer's) bot: a report
/// keeps the id and the token's first four characters only.
fn redact_tokens(evidence: &str) -> String {
    match &patterns().token_in_url {
        Some(token) => token.replace_all(evidence, "${keep}…").into_owned(),
        None => evidence.to_string(),
    }
}

fn shifted(severity: Severity, shift: i8) -> Severity {
    let rank = Severity::ALL
        .iter()
        .rev()
        .position(|s| *s == severity)
        .unwrap_or(0) as i8;
    let moved = (rank + shift).clamp(0, Severity::ALL.len() as i8 - 1) as usize;
    Severity::ALL[Severity::ALL.len() - 1 - moved]
}

/// Byte offsets of line starts, for turning match offsets into positions.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(at, _)| at + 1));
        LineIndex { starts }
    }

    fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|start| *start <= offset).max(1) - 1
    }

    /// 1-based line and character column of a byte offset.
    fn position(&self, text: &str, offset: usize) -> (usize, usize) {
        let index = self.line_of(offset);
        let line_start = self.starts[index];
        let column = text
            .get(line_start..offset)
            .map_or(0, |s| s.chars().count())
            + 1;
        (index + 1, column)
    }

    /// Whether the text before `offset` on its line opens a line comment
    /// (`//`, `#` but not a `#!` shebang, `/*`, a `*` doc line, `<!--`).
    fn in_line_comment(&self, text: &str, offset: usize) -> bool {
        let line_start = self.starts[self.line_of(offset)];
        let before = text
            .get(line_start..offset)
            .unwrap_or_default()
            .trim_start();
        ["//", "/*", "*", "<!--"]
            .iter()
            .any(|opener| before.starts_with(opener))
            || (before.starts_with('#') && !before.starts_with("#!"))
    }

    /// The match with up to 40 characters of its line on each side, so a
    /// hit in a minified one-line bundle stays readable.
    fn evidence(&self, text: &str, start: usize, end: usize) -> String {
        let index = self.line_of(start);
        let line_start = self.starts[index];
        let line_end = self
            .starts
            .get(index + 1)
            .map_or(text.len(), |next| next - 1);
        let end = end.min(line_end).max(start);
        let before: String = {
            let head = text.get(line_start..start).unwrap_or_default();
            let skip = head.chars().count().saturating_sub(40);
            head.chars().skip(skip).collect()
        };
        let matched = text.get(start..end).unwrap_or_default();
        let after: String = text
            .get(end..line_end)
            .unwrap_or_default()
            .chars()
            .take(40)
            .collect();
        truncate_chars(format!("{before}{matched}{after}").trim(), EVIDENCE_CHARS)
    }
}

fn truncate_chars(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_compiles_and_every_rule_constant_names_its_rule() {
        let patterns = patterns();
        assert!(patterns.prefilter.is_some());
        assert!(patterns.fetching_script.is_some());
        assert!(patterns.exec_all_arguments.is_some());
        assert!(patterns.tmp_assignment.is_some());
        assert!(patterns.token_in_url.is_some());
        for (rule, regex) in &patterns.content {
            assert!(regex.is_some(), "{} does not compile", RULES[rule.rule].id);
        }
        let constants = [
            (STARTUP_HOOK, "FG-SUP-001"),
            (INSTALL_SCRIPT, "FG-SUP-002"),
            (INSTALL_SCRIPT_FETCH, "FG-SUP-003"),
            (EXTENSION, "FG-SUP-004"),
            (EXEC_WRAPPER, "FG-SUP-005"),
            (DECODED_EXEC, "FG-SUP-006"),
            (CREDENTIAL_READ, "FG-SUP-007"),
            (RUNTIME_WRITE, "FG-SUP-008"),
            (TMP_EXEC, "FG-SUP-009"),
            (EXFIL_ENDPOINT, "FG-SUP-010"),
            (RAW_IP_URL, "FG-SUP-011"),
            (TYPOSQUAT, "FG-SUP-012"),
        ];
        for (index, id) in constants {
            assert_eq!(RULES[index].id, id);
        }
    }

    #[test]
    fn every_rule_is_seen_by_the_prefilter_even_when_literals_overlap() {
        // `/tmp/` inside `"/tmp"`-like runs, a URL right after `.aws`, two
        // literals sharing bytes: each rule is still marked.
        let active = prefilter_hits(b"x='/tmp/'.aws://9.9.9.9/mem");
        let rules: Vec<usize> = patterns()
            .content
            .iter()
            .zip(&active)
            .filter(|(_, on)| **on)
            .map(|((rule, _), _)| rule.rule)
            .collect();
        for rule in [TMP_EXEC, CREDENTIAL_READ, RAW_IP_URL] {
            assert!(rules.contains(&rule), "{}", RULES[rule].id);
        }
    }

    #[test]
    fn severity_shift_stays_within_bounds() {
        assert_eq!(shifted(Severity::High, -1), Severity::Medium);
        assert_eq!(shifted(Severity::Info, -1), Severity::Info);
        assert_eq!(shifted(Severity::Critical, 1), Severity::Critical);
        assert_eq!(shifted(Severity::Low, 0), Severity::Low);
    }

    #[test]
    fn special_ipv4_ranges_are_not_public() {
        for private in [
            [10, 1, 2, 3],
            [127, 0, 0, 1],
            [169, 254, 169, 254],
            [172, 31, 255, 1],
            [192, 168, 0, 1],
            [100, 64, 0, 1],
            [198, 18, 0, 1],
            [203, 0, 113, 5],
            [224, 0, 0, 1],
            [0, 0, 0, 0],
        ] {
            assert!(!is_public_ipv4(private), "{private:?}");
        }
        for public in [
            [8, 8, 8, 8],
            [172, 32, 0, 1],
            [100, 128, 0, 1],
            [192, 0, 1, 1],
        ] {
            assert!(is_public_ipv4(public), "{public:?}");
        }
    }
}
