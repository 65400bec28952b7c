//! Secret detectors over one (name, literal value) pair. Pure functions
//! with their own examples, so every pattern is tested both ways.
//!
//! Order matters: the most specific finding wins, one per variable.

use fnguard_core::finding::redact;
use regex::Regex;
use std::cell::RefCell;
use std::sync::LazyLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    AwsAccessKey,
    AwsSecretKey,
    NamedSecret,
    UrlPassword,
    PrivateKey,
    Token(&'static str),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    pub kind: Kind,
    /// Already redacted: safe to print.
    pub evidence: String,
}

struct Patterns {
    aws_key_id: LazyLock<Regex>,
    aws_secret: LazyLock<Regex>,
    private_key: LazyLock<Regex>,
    putty: LazyLock<Regex>,
    url_userinfo: LazyLock<Regex>,
    query_password: LazyLock<Regex>,
    store_name: LazyLock<Regex>,
    pascal_name: LazyLock<Regex>,
    constant: LazyLock<Regex>,
    /// (service, a literal every match contains, pattern): the literal is
    /// looked for first, so most values never reach the regex.
    tokens: [(&'static str, &'static str, LazyLock<Regex>); 14],
}

/// The patterns are constants; a typo is caught by the unit tests, which
/// exercise every one of them.
fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("secret pattern compiles")
}

fn patterns() -> &'static Patterns {
    // Each pattern is compiled on its first use: the prefilters keep most
    // of them from ever running, and compiling all 23 cost every process
    // ~9 M instructions at its first variable.
    static PATTERNS: Patterns = Patterns {
        aws_key_id: LazyLock::new(|| re(r"\b((?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\b")),
        aws_secret: LazyLock::new(|| re(r"^[A-Za-z0-9/+=]{40}$")),
        private_key: LazyLock::new(|| {
            re(r"-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY(?: BLOCK)?-----")
        }),
        putty: LazyLock::new(|| re(r"PuTTY-User-Key-File-\d+:")),
        // RFC 3986 forbids an unescaped `/` in userinfo; allowing it
        // would read `https://host:8080/a@b` as a password. An
        // unescaped `@` is common in real passwords, so the password
        // runs to the last `@` before the host.
        url_userinfo: LazyLock::new(|| {
            re(
                r"(?i)\b((?:jdbc:)?(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|sqlserver|oracle|cockroachdb|clickhouse|neo4j(?:\+s)?|bolt|couchbases?|cassandra|nats|ftps?|sftp|smtps?|ldaps?|https?)://)([^:/?#@\s]*):([^\s/]+)@([^\s/?#;@]*)",
            )
        }),
        query_password: LazyLock::new(|| {
            re(r"(?i)(?:[?&;]|^)\s*(?:password|pwd)\s*=\s*([^&;\s]+)")
        }),
        store_name: LazyLock::new(|| re(r"^[a-z0-9]+(?:[-_/.][a-z0-9]+)+$")),
        pascal_name: LazyLock::new(|| re(r"^(?:[A-Z][a-z]+){2,}$")),
        constant: LazyLock::new(|| re(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")),
        tokens: [
            (
                "GitHub",
                "gh",
                LazyLock::new(|| re(r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}\b")),
            ),
            (
                "GitHub",
                "github_pat_",
                LazyLock::new(|| re(r"\bgithub_pat_[A-Za-z0-9_]{60,}")),
            ),
            (
                "GitLab",
                "glpat-",
                LazyLock::new(|| re(r"\bglpat-[A-Za-z0-9_-]{20,}")),
            ),
            (
                "Slack",
                "xox",
                LazyLock::new(|| re(r"\bxox[baprs]-[A-Za-z0-9-]{10,}")),
            ),
            (
                "Slack webhook",
                "hooks.slack.com",
                LazyLock::new(|| {
                    re(r"https://hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]{16,}")
                }),
            ),
            (
                "Stripe",
                "_live_",
                LazyLock::new(|| re(r"\b(?:sk|rk)_live_[0-9A-Za-z]{20,}")),
            ),
            (
                "SendGrid",
                "SG.",
                LazyLock::new(|| re(r"\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}")),
            ),
            ("Twilio", "SK", LazyLock::new(|| re(r"\bSK[0-9a-f]{32}\b"))),
            (
                "npm",
                "npm_",
                LazyLock::new(|| re(r"\bnpm_[A-Za-z0-9]{36}\b")),
            ),
            (
                "PyPI",
                "pypi-AgEIcHlwaS5vcmc",
                LazyLock::new(|| re(r"\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}")),
            ),
            (
                "Anthropic",
                "sk-ant-",
                LazyLock::new(|| re(r"\bsk-ant-[a-z]+\d*-[A-Za-z0-9_-]{40,}")),
            ),
            (
                "OpenAI",
                "sk-",
                LazyLock::new(|| re(r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{32,}")),
            ),
            (
                "Google API",
                "AIza",
                LazyLock::new(|| re(r"\bAIza[0-9A-Za-z_-]{35}")),
            ),
            (
                "JSON Web Token",
                "eyJ",
                LazyLock::new(|| {
                    re(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{20,}")
                }),
            ),
        ],
    };
    &PATTERNS
}

/// The most specific secret in `value`, a literal assigned to `name`.
pub fn detect(name: &str, value: &str) -> Option<Detection> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    private_key(value)
        .or_else(|| aws_access_key(value))
        .or_else(|| aws_secret_key(name, value))
        .or_else(|| known_token(value))
        .or_else(|| url_password(value))
        .or_else(|| named_secret(name, value))
}

fn private_key(value: &str) -> Option<Detection> {
    // Cheap literal gates keep the regexes off the common, harmless values.
    // Both markers hold a `P`, which a memchr finds cheaply.
    if !value.contains('P')
        || (!value.contains("PRIVATE KEY") && !value.contains("PuTTY-User-Key-File"))
    {
        return None;
    }
    let p = patterns();
    if let Some(m) = p.private_key.find(value) {
        // Documentation snippets show the header with `...` as body; a
        // real key has kilobytes of base64 after it.
        let body = &value[m.end()..];
        let body = body.split("-----END").next().unwrap_or("");
        let base64_chars = body
            .replace("\\n", "")
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '='))
            .count();
        if base64_chars >= 32 {
            return Some(Detection {
                kind: Kind::PrivateKey,
                evidence: format!("{} *****", m.as_str()),
            });
        }
    }
    if let Some(m) = p.putty.find(value) {
        if value.contains("Private-Lines:") {
            return Some(Detection {
                kind: Kind::PrivateKey,
                evidence: format!("{} *****", m.as_str()),
            });
        }
    }
    None
}

fn aws_access_key(value: &str) -> Option<Detection> {
    // Every key ID starts with one of four prefixes: a byte scan for them
    // keeps the regex off nearly every value.
    let has_prefix = value
        .as_bytes()
        .windows(4)
        .any(|w| matches!(w, b"AKIA" | b"ASIA" | b"ABIA" | b"ACCA"));
    if value.len() < 20 || !has_prefix {
        return None;
    }
    patterns()
        .aws_key_id
        .captures_iter(value)
        .filter_map(|c| c.get(1))
        .map(|m| m.as_str())
        .find(|key| !key.ends_with("EXAMPLE") && distinct_chars(&key[4..]) >= 6)
        .map(|key| Detection {
            kind: Kind::AwsAccessKey,
            evidence: redact(key),
        })
}

fn aws_secret_key(name: &str, value: &str) -> Option<Detection> {
    // Every variable comes here and few names hold a K: the upper-cased
    // copy and the regex are only for those that may say SECRET and KEY.
    let may_say_key = name.bytes().any(|b| b.eq_ignore_ascii_case(&b'k'));
    if !may_say_key {
        return None;
    }
    let upper: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let named = upper.contains("SECRET")
        && upper.contains("KEY")
        && (upper.contains("ACCESS") || upper.contains("AWS"));
    let looks_like_key = || {
        patterns().aws_secret.is_match(value)
            && !value.to_ascii_uppercase().contains("EXAMPLE")
            && distinct_chars(value) >= 10
    };
    (named && looks_like_key()).then(|| Detection {
        kind: Kind::AwsSecretKey,
        evidence: redact(value),
    })
}

fn known_token(value: &str) -> Option<Detection> {
    if value.len() < 20 {
        return None;
    }
    for (service, literal, re) in &patterns().tokens {
        if !value.contains(literal) {
            continue;
        }
        for m in re.find_iter(value) {
            let token = m.as_str();
            let lower = token.to_ascii_lowercase();
            let fake = lower.contains("example")
                || lower.contains("xxxx")
                || lower.contains("0000000")
                || distinct_chars(token) < 10;
            if !fake {
                return Some(Detection {
                    kind: Kind::Token(service),
                    evidence: redact(token),
                });
            }
        }
    }
    None
}

fn url_password(value: &str) -> Option<Detection> {
    let p = patterns();
    let has_scheme = value.contains("://");
    let userinfo_candidates = if has_scheme && value.contains('@') {
        p.url_userinfo.captures_iter(value).collect()
    } else {
        Vec::new()
    };
    for c in userinfo_candidates {
        let (Some(scheme), Some(user), Some(password), Some(host)) =
            (c.get(1), c.get(2), c.get(3), c.get(4))
        else {
            continue;
        };
        let password = password.as_str();
        if is_placeholder(&percent_decode(password)) {
            continue;
        }
        return Some(Detection {
            kind: Kind::UrlPassword,
            evidence: format!(
                "{}{}:{}@{}",
                scheme.as_str(),
                user.as_str(),
                redact(password),
                host.as_str()
            ),
        });
    }
    // Every marker but `jdbc:` holds `://` or `=`: most values have
    // neither and are not lower-cased at all.
    let jdbc = value
        .get(..5)
        .is_some_and(|head| head.eq_ignore_ascii_case("jdbc:"));
    let connection_string = has_scheme
        || jdbc
        || (value.contains('=') && {
            let lower = value.to_ascii_lowercase();
            lower.contains("server=") || lower.contains("data source=") || lower.contains("host=")
        });
    if connection_string {
        for c in p.query_password.captures_iter(value) {
            let Some(password) = c.get(1) else { continue };
            if is_placeholder(&percent_decode(password.as_str())) {
                continue;
            }
            return Some(Detection {
                kind: Kind::UrlPassword,
                evidence: format!("password={}", redact(password.as_str())),
            });
        }
    }
    None
}

fn named_secret(name: &str, value: &str) -> Option<Detection> {
    if !is_secret_name(name) || !looks_like_secret_value(value) {
        return None;
    }
    Some(Detection {
        kind: Kind::NamedSecret,
        evidence: redact(value),
    })
}

/// A literal that is plausibly a real credential rather than a placeholder,
/// a flag, a reference or the name of a secret kept elsewhere.
fn looks_like_secret_value(value: &str) -> bool {
    let v = value.trim();
    let lower = v.to_ascii_lowercase();
    if is_placeholder(v) {
        return false;
    }
    if matches!(
        lower.as_str(),
        "true" | "false" | "yes" | "no" | "on" | "off" | "enabled" | "disabled"
    ) {
        return false;
    }
    if v.chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | '_' | ','))
    {
        return false;
    }
    if lower.starts_with("arn:") || v.contains("://") {
        return false;
    }
    let is_path = v.starts_with('/')
        || v.starts_with("./")
        || v.starts_with("../")
        || v.starts_with("~/")
        || (v.len() > 2 && v.as_bytes()[1] == b':' && matches!(v.as_bytes()[2], b'\\' | b'/'));
    if is_path {
        return false;
    }
    if v.split_whitespace().count() >= 3 {
        return false;
    }
    let p = patterns();
    // `prod/db/password`, `my-secret-name`: the name of a secret in a store.
    if p.store_name.is_match(v) {
        const STORE_WORDS: &[&str] = &[
            "secret",
            "secrets",
            "password",
            "pass",
            "token",
            "key",
            "keys",
            "cred",
            "creds",
            "credential",
            "credentials",
            "name",
            "param",
            "parameter",
            "ssm",
            "vault",
            "prod",
            "production",
            "dev",
            "staging",
            "stage",
            "test",
            "api",
            "db",
        ];
        let has_store_word = v
            .split(['-', '_', '/', '.'])
            .any(|seg| STORE_WORDS.contains(&seg));
        if v.contains('/') || has_store_word {
            return false;
        }
    }
    // `OrdersDbSecret`, `ApiTokenParameter`: a logical or store name.
    if p.pascal_name.is_match(v) {
        let lower = v.to_ascii_lowercase();
        let names_a_secret = ["secret", "password", "token", "key", "cred", "param"]
            .iter()
            .any(|w| lower.contains(w));
        if names_a_secret {
            return false;
        }
    }
    // `USER_PASSWORD_AUTH`, `CLIENT_CREDENTIALS`: enum constants.
    if p.constant.is_match(v) {
        return false;
    }
    let len = v.chars().count();
    let classes = [
        v.chars().any(|c| c.is_ascii_lowercase()),
        v.chars().any(|c| c.is_ascii_uppercase()),
        v.chars().any(|c| c.is_ascii_digit()),
        v.chars().any(|c| !c.is_ascii_alphanumeric()),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    let distinct = distinct_chars(v);
    (len >= 6 && classes >= 2 && distinct >= 5) || (len >= 12 && distinct >= 6)
}

/// Values people write instead of a secret: they are not leaks.
pub fn is_placeholder(value: &str) -> bool {
    let v = value.trim();
    if v.is_empty() {
        return true;
    }
    let lower = v.to_ascii_lowercase();
    let templated = v.contains("${")
        || v.contains("{{")
        || v.contains("$(")
        || v.contains("#{")
        || (v.starts_with('<') && v.ends_with('>'))
        || (v.starts_with('%') && v.ends_with('%') && v.len() > 2)
        || (v.starts_with("__") && v.ends_with("__") && v.len() > 4)
        || (v.len() > 2
            && v.starts_with('{')
            && v.ends_with('}')
            && v[1..v.len() - 1]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_'))
        || (v.starts_with('$')
            && v.len() > 1
            && v[1..]
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
        || lower == "%s";
    if templated {
        return true;
    }
    const WORDS: &[&str] = &[
        "changeme",
        "change_me",
        "change-me",
        "changeit",
        "replaceme",
        "replace_me",
        "replace-me",
        "todo",
        "tbd",
        "fixme",
        "none",
        "null",
        "nil",
        "undefined",
        "empty",
        "dummy",
        "sample",
        "placeholder",
        "test",
        "testing",
        "secret",
        "password",
        "passwd",
        "pass",
        "pwd",
        "token",
        "apikey",
        "api_key",
        "api-key",
        "default",
        "redacted",
        "notset",
        "not_set",
        "unset",
        "n/a",
        "na",
        "mysecret",
        "mypassword",
        "mytoken",
        "secretpassword",
        "supersecret",
    ];
    if WORDS.contains(&lower.as_str()) {
        return true;
    }
    if lower.starts_with("your")
        || lower.contains("example")
        || lower.contains("placeholder")
        || lower.contains("changeme")
        || lower.contains("change_me")
        || lower.contains("replace_me")
        || lower.contains("replaceme")
        || lower.contains("dummy")
        || lower.contains("<redacted>")
    {
        return true;
    }
    if is_instruction(&lower) {
        return true;
    }
    // `sk_live_51HXXXXXXXX`, `AKIA****`: a value masked for documentation.
    let masked_run = ["xxxx", "****", "...."]
        .iter()
        .any(|run| lower.contains(run));
    if masked_run {
        return true;
    }
    // `xxxx`, `****`, `xxxx-xxxx`, `...`: masking characters only.
    if v.chars()
        .all(|c| matches!(c, 'x' | 'X' | '*' | '.' | '-' | '_' | '#'))
    {
        return true;
    }
    distinct_chars(v) == 1
}

/// `REPLACE-WITH-YOUR-SECRET-HERE`, `insert_your_token`, `put-key-here`:
/// an instruction to the reader written where the secret goes. Judged by
/// words, so a real password merely containing "here" is not excused.
fn is_instruction(lower: &str) -> bool {
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    if words.len() < 2 {
        return false;
    }
    let has = |set: &[&str]| words.iter().any(|w| set.contains(w));
    let verb = has(&[
        "replace", "insert", "enter", "fill", "put", "paste", "add", "set", "use", "change",
    ]);
    let filler = has(&[
        "your", "here", "with", "me", "this", "real", "actual", "own",
    ]);
    // `your-secret`, `your_api_token`: "your" names what belongs there.
    has(&["your", "yours"]) || (verb && filler)
}

/// Whether a variable or parameter name says it holds a credential.
pub fn is_secret_name(name: &str) -> bool {
    // Most names end in a word that rules them out (`TABLE_NAME`,
    // `QUEUE_URL`): that word is found from the end and upper-cased on the
    // stack before the whole name is split into words.
    let Some(last) = last_word(name) else {
        return false;
    };
    let mut upper = [0u8; 16];
    if let Some(word) = upper.get_mut(..last.len()) {
        word.copy_from_slice(&name.as_bytes()[last]);
        word.make_ascii_uppercase();
        if is_not_a_secret_suffix(word) {
            return false;
        }
    }
    // Every variable name of every function comes here: the word buffers
    // are reused per thread instead of allocated per name.
    thread_local! {
        static WORDS: RefCell<Words> = const { RefCell::new(Words::EMPTY) };
    }
    WORDS.with_borrow_mut(|words| {
        words.fill(name);
        words_name_a_secret(words)
    })
}

/// Where the last word `Words::fill` makes of `name` lies in it (not yet
/// upper-cased); `None` when the name has no ASCII letter or digit.
fn last_word(name: &str) -> Option<std::ops::Range<usize>> {
    let bytes = name.as_bytes();
    let end = bytes.iter().rposition(u8::is_ascii_alphanumeric)? + 1;
    let run_start = bytes[..end]
        .iter()
        .rposition(|b| !b.is_ascii_alphanumeric())
        .map_or(0, |i| i + 1);
    // The same camel-case boundary as `fill`'s, looked for from the end.
    let start = (run_start + 1..end)
        .rev()
        .find(|&i| {
            let (prev, b) = (bytes[i - 1], bytes[i]);
            let next_lower = bytes.get(i + 1).is_some_and(u8::is_ascii_lowercase);
            b.is_ascii_uppercase()
                && ((prev.is_ascii_lowercase() || prev.is_ascii_digit())
                    || (prev.is_ascii_uppercase() && next_lower))
        })
        .unwrap_or(run_start);
    Some(start..end)
}

fn words_name_a_secret(words: &Words) -> bool {
    let Some(last) = words.iter().last() else {
        return false;
    };
    if is_not_a_secret_suffix(last.as_bytes()) {
        return false;
    }
    names_a_secret_by_words(words)
}

/// An upper-cased last word that says the variable holds something about
/// a secret (its name, ARN, length), not the secret.
fn is_not_a_secret_suffix(last: &[u8]) -> bool {
    // A `match` rather than a list scan: every variable name of every
    // function comes here, and the compiler dispatches on length first.
    matches!(
        last,
        b"ARN"
            | b"ARNS"
            | b"NAME"
            | b"NAMES"
            | b"ID"
            | b"IDS"
            | b"PATH"
            | b"PARAM"
            | b"PARAMS"
            | b"PARAMETER"
            | b"URL"
            | b"URLS"
            | b"URI"
            | b"ENDPOINT"
            | b"HOST"
            | b"HOSTNAME"
            | b"PORT"
            | b"FILE"
            | b"FILENAME"
            | b"DIR"
            | b"REGION"
            | b"TTL"
            | b"EXPIRY"
            | b"EXPIRES"
            | b"EXPIRE"
            | b"EXPIRATION"
            | b"LENGTH"
            | b"LEN"
            | b"SIZE"
            | b"HEADER"
            | b"TYPE"
            | b"MODE"
            | b"ENABLED"
            | b"DISABLED"
            | b"ENABLE"
            | b"VERSION"
            | b"TIMEOUT"
            | b"SECONDS"
            | b"MINUTES"
            | b"HOURS"
            | b"DAYS"
            | b"COUNT"
            | b"USER"
            | b"USERNAME"
            | b"LOGIN"
            | b"ALGORITHM"
            | b"ALG"
            | b"ISSUER"
            | b"AUDIENCE"
            | b"SCOPE"
            | b"SCOPES"
            | b"TABLE"
            | b"BUCKET"
            | b"QUEUE"
            | b"TOPIC"
            | b"STREAM"
            | b"PROVIDER"
            | b"DOMAIN"
            | b"METHOD"
            | b"FLOW"
            | b"POOL"
            | b"LOCATION"
            | b"PREFIX"
            | b"SUFFIX"
            | b"FORMAT"
            | b"POLICY"
            | b"ROLE"
            | b"ACCOUNT"
            | b"STORE"
            | b"VAULT"
            | b"FIELD"
            | b"PROPERTY"
            | b"COLUMN"
            | b"LABEL"
            | b"REF"
            | b"REFERENCE"
            | b"ALIAS"
            | b"KMS"
            | b"INTERVAL"
            | b"RETRIES"
            | b"LIMIT"
            | b"RATE"
            | b"SOURCE"
            | b"FUNCTION"
            | b"SERVICE"
            | b"SERVER"
            | b"STAGE"
            | b"ENV"
            | b"ROTATION"
            | b"DURATION"
            | b"LEVEL"
            | b"MILLIS"
            | b"MS"
            | b"ATTEMPTS"
            | b"THRESHOLD"
            | b"WINDOW"
            | b"BYTES"
            | b"POLICIES"
            | b"RULES"
            | b"AGE"
            | b"STRATEGY"
            | b"LOCATOR"
            | b"KEYS"
            | b"COOKIE"
            | b"NAMESPACE"
            | b"VAR"
    )
}

/// The rest of `words_name_a_secret`, once the last word is not a suffix
/// that rules the name out.
fn names_a_secret_by_words(words: &Words) -> bool {
    let joined = &words.joined;
    if names_a_secret(joined.as_bytes()) {
        return true;
    }
    if words.iter().any(|w| {
        matches!(
            w,
            "PWD" | "PASS" | "CREDS" | "AUTH" | "AUTHORIZATION" | "BASICAUTH"
        ) || w.ends_with("TOKEN")
    }) {
        return true;
    }
    let key_of_kind = words.iter().zip(words.iter().skip(1)).any(|(kind, key)| {
        key == "KEY"
            && matches!(
                kind,
                "API"
                    | "PRIVATE"
                    | "SECRET"
                    | "ACCESS"
                    | "SIGNING"
                    | "ENCRYPTION"
                    | "MASTER"
                    | "HMAC"
                    | "JWT"
                    | "SESSION"
                    | "APP"
                    | "AUTH"
                    | "CLIENT"
            )
    });
    key_of_kind
}

/// Whether the upper-cased words of a name, joined, contain PASSWORD,
/// PASSWD, SECRET, APIKEY, PRIVATEKEY, CREDENTIAL, PASSPHRASE or
/// CLIENTSECRET: one pass dispatching on the first letter, as every
/// variable name comes here. (CLIENTSECRET holds SECRET.)
fn names_a_secret(joined: &[u8]) -> bool {
    (0..joined.len()).any(|i| {
        let rest = &joined[i..];
        match rest[0] {
            b'S' => rest.starts_with(b"SECRET"),
            b'A' => rest.starts_with(b"APIKEY"),
            b'C' => rest.starts_with(b"CREDENTIAL"),
            b'P' => {
                rest.starts_with(b"PRIVATEKEY")
                    || rest.starts_with(b"PASSWORD")
                    || rest.starts_with(b"PASSWD")
                    || rest.starts_with(b"PASSPHRASE")
            }
            _ => false,
        }
    })
}

/// The words of a name, upper-cased, in one buffer: `dbPassword` → DB,
/// PASSWORD; `APIKey` → API, KEY; `db-pass` → DB, PASS. Every variable of
/// every function is asked about, so the words are not separate strings.
struct Words {
    /// The words one after the other (ASCII: only ASCII letters and digits
    /// make words).
    joined: String,
    /// Where each word ends in `joined`.
    ends: Vec<usize>,
}

impl Words {
    const EMPTY: Words = Words {
        joined: String::new(),
        ends: Vec::new(),
    };

    #[cfg(test)]
    fn split(name: &str) -> Words {
        let mut words = Words::EMPTY;
        words.fill(name);
        words
    }

    /// Split `name` into these buffers, replacing what they held.
    fn fill(&mut self, name: &str) {
        // Byte by byte: the bytes of a non-ASCII character are neither
        // letters nor digits, as the character itself is not.
        let bytes = name.as_bytes();
        let Words { joined, ends } = self;
        joined.clear();
        ends.clear();
        let mut start = 0;
        for (i, &b) in bytes.iter().enumerate() {
            if !b.is_ascii_alphanumeric() {
                if joined.len() > start {
                    ends.push(joined.len());
                    start = joined.len();
                }
                continue;
            }
            if let Some(&prev) = i.checked_sub(1).and_then(|j| bytes.get(j)) {
                let next_lower = bytes.get(i + 1).is_some_and(u8::is_ascii_lowercase);
                let boundary = b.is_ascii_uppercase()
                    && ((prev.is_ascii_lowercase() || prev.is_ascii_digit())
                        || (prev.is_ascii_uppercase() && next_lower));
                if boundary && joined.len() > start {
                    ends.push(joined.len());
                    start = joined.len();
                }
            }
            joined.push(char::from(b.to_ascii_uppercase()));
        }
        if joined.len() > start {
            ends.push(joined.len());
        }
    }

    fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(self.ends.iter().copied())
            .map(|(start, end)| &self.joined[start..end])
    }
}

fn distinct_chars(s: &str) -> usize {
    let mut seen: Vec<char> = s.chars().collect();
    seen.sort_unstable();
    seen.dedup();
    seen.len()
}

/// `%40` → `@` for placeholder checks; malformed escapes stay as written.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Connection strings are recognised by their markers in any case,
    /// with or without `://`; without a marker a `password=` is not read.
    #[test]
    fn connection_string_markers_gate_query_passwords() {
        for value in [
            "Server=db.internal;Database=app;Password=Xy7pQ2zzK",
            "DATA SOURCE=db;pwd=Xy7pQ2zzK",
            "Host=db;Password=Xy7pQ2zzK",
            "JDBC:oracle:thin:@db;password=Xy7pQ2zzK",
        ] {
            assert!(
                matches!(
                    url_password(value),
                    Some(Detection {
                        kind: Kind::UrlPassword,
                        ..
                    })
                ),
                "{value}"
            );
        }
        assert_eq!(url_password("user=app;password=Xy7pQ2zzK"), None);
        assert_eq!(url_password("jdbc"), None);
    }

    /// The one-pass scan must agree with searching each word.
    #[test]
    fn names_a_secret_equals_searching_each_word() {
        const WORDS: &[&str] = &[
            "PASSWORD",
            "PASSWD",
            "SECRET",
            "APIKEY",
            "PRIVATEKEY",
            "CREDENTIAL",
            "PASSPHRASE",
            "CLIENTSECRET",
        ];
        for joined in [
            "",
            "P",
            "PASS",
            "DBPASSWORD",
            "PASSWDX",
            "XSECRE",
            "SSECRET",
            "MYAPIKEYS",
            "AAPIKEY",
            "PRIVATEKE",
            "PRIVATEKEYS",
            "CREDENTIALS",
            "CREDENTIA",
            "APASSPHRASE",
            "CLIENTSECRET",
            "PPASSWORD",
            "TOKEN",
            "SECRE",
        ] {
            let expected = WORDS.iter().any(|w| joined.contains(w));
            assert_eq!(names_a_secret(joined.as_bytes()), expected, "{joined}");
        }
    }

    /// The char-by-char splitter `Words::split` replaced.
    fn split_words_reference(name: &str) -> Vec<String> {
        let chars: Vec<char> = name.chars().collect();
        let mut words = Vec::new();
        let mut current = String::new();
        for (i, &c) in chars.iter().enumerate() {
            if !c.is_ascii_alphanumeric() {
                if !current.is_empty() {
                    words.push(std::mem::take(&mut current));
                }
                continue;
            }
            if let Some(&prev) = i.checked_sub(1).and_then(|j| chars.get(j)) {
                let next_lower = chars.get(i + 1).is_some_and(char::is_ascii_lowercase);
                let boundary = c.is_ascii_uppercase()
                    && ((prev.is_ascii_lowercase() || prev.is_ascii_digit())
                        || (prev.is_ascii_uppercase() && next_lower));
                if boundary && !current.is_empty() {
                    words.push(std::mem::take(&mut current));
                }
            }
            current.push(c.to_ascii_uppercase());
        }
        if !current.is_empty() {
            words.push(current);
        }
        words
    }

    #[test]
    fn words_split_as_the_reference_does() {
        let pieces = [
            "",
            "a",
            "A",
            "db",
            "DB",
            "Password",
            "APIKey",
            "api",
            "_",
            "-",
            "9",
            "x9",
            "\u{e9}",
            "\u{4e2d}",
            "\u{1f600}",
            "Éa",
            "aÉ",
            "ÀB",
            "Ab",
            "KEY",
            "ß",
        ];
        let mut names = Vec::new();
        for a in pieces {
            for b in pieces {
                for c in ["", "a", "B", "_", "é", "Cd"] {
                    names.push(format!("{a}{b}{c}"));
                }
            }
        }
        names.extend(
            [
                "dbPassword",
                "APIKey",
                "db-pass",
                "MY_APIKey2Value",
                "aBCd",
                "ABCdef",
                "x\u{301}Y",
                "ÉTÉPassword",
                "a\u{4e2d}B",
                "SECRET__KEY",
                "jwtSigningKEY",
            ]
            .map(String::from),
        );
        for name in &names {
            let words = Words::split(name);
            let ours: Vec<&str> = words.iter().collect();
            assert_eq!(ours, split_words_reference(name), "{name:?}");
            assert_eq!(
                words.joined,
                split_words_reference(name).concat(),
                "{name:?}"
            );
        }
    }

    fn kind(name: &str, value: &str) -> Option<Kind> {
        detect(name, value).map(|d| d.kind)
    }

    #[test]
    fn secret_names() {
        for name in [
            "DB_PASSWORD",
            "dbPassword",
            "db-pass",
            "STRIPE_SECRET",
            "GITHUB_TOKEN",
            "accessToken",
            "API_KEY",
            "apiKey",
            "APIKey",
            "PRIVATE_KEY",
            "CLIENT_SECRET",
            "BASIC_AUTH",
            "SERVICE_CREDENTIALS",
            "MYSQL_PWD",
            "JWT_SIGNING_KEY",
            "SIGNING_KEY",
        ] {
            assert!(is_secret_name(name), "{name} should be secret-like");
        }
        for name in [
            "DB_PASSWORD_ARN",
            "DB_SECRET_NAME",
            "API_KEY_ID",
            "TOKEN_TTL",
            "SECRET_PATH",
            "SSM_PASSWORD_PARAM",
            "AUTH_TYPE",
            "TOKEN_URL",
            "TABLE_NAME",
            "AUTHOR",
            "PASSWORD_LENGTH",
            "S3_KEY",
            "PARTITION_KEY",
            "TOKENIZER",
            "",
        ] {
            assert!(!is_secret_name(name), "{name} should not be secret-like");
        }
    }

    /// The early answer from the last word alone equals the full split:
    /// `last_word` finds the split's last word, and `is_secret_name`
    /// answers as `words_name_a_secret` on names built from camel-case,
    /// upper-case, digit, separator and non-ASCII pieces.
    #[test]
    fn last_word_shortcut_equals_the_full_split() {
        let pieces = [
            "",
            "db",
            "Db",
            "DB",
            "_",
            "-",
            ".",
            "NAME",
            "Name",
            "name",
            "ARN",
            "Password",
            "PASS",
            "API",
            "Key",
            "KEY",
            "1",
            "é",
            "token",
            "URL",
            "X",
            "aB",
            "Parameter",
            "AUTHORIZATIONX",
        ];
        for a in pieces {
            for b in pieces {
                for c in pieces {
                    let name = format!("{a}{b}{c}");
                    let words = Words::split(&name);
                    let last = words.iter().last().map(str::to_string);
                    let found = last_word(&name).map(|r| name[r].to_ascii_uppercase());
                    assert_eq!(found, last, "{name}");
                    assert_eq!(is_secret_name(&name), words_name_a_secret(&words), "{name}");
                }
            }
        }
    }

    #[test]
    fn placeholders() {
        for v in [
            "",
            "changeme",
            "CHANGEME",
            "xxx",
            "xxxx-xxxx",
            "********",
            "<your-password>",
            "${DB_PASSWORD}",
            "{{resolve:secretsmanager:db}}",
            "$(DB_PASS)",
            "$DB_PASS",
            "%DB_PASS%",
            "your_api_key_here",
            "password",
            "example-password",
            "aaaaaaaa",
            "REPLACE-WITH-YOUR-SECRET-HERE",
            "replace_with_real_token",
            "insert-your-key",
            "put_token_here",
            "my-your-secret",
        ] {
            assert!(is_placeholder(v), "{v:?} is a placeholder");
        }
        for v in [
            "S3cr3t!Pass",
            "hunter2",
            "p@ss#word!",
            "here-Is-7kQ!vX",
            "Replace9Zq!x",
        ] {
            assert!(!is_placeholder(v), "{v:?} is not a placeholder");
        }
    }

    #[test]
    fn named_secrets_need_a_real_looking_value() {
        assert_eq!(kind("DB_PASSWORD", "S3cr3t!Pass"), Some(Kind::NamedSecret));
        assert_eq!(kind("DB_PASSWORD", "hunter2"), Some(Kind::NamedSecret));
        assert_eq!(
            kind("DB_PASSWORD", "MySecretPassword1"),
            Some(Kind::NamedSecret)
        );
        assert_eq!(kind("DB_PASSWORD", "CorrectHorse"), Some(Kind::NamedSecret));
        assert_eq!(
            kind("API_KEY", "4f9a1c7e2b8d4e6fa0c3b5d7e9f1a2c4"),
            Some(Kind::NamedSecret)
        );
        for (name, value) in [
            ("DB_PASSWORD", "changeme"),
            ("DB_PASSWORD", "${ssm:/prod/db/password}"),
            ("DB_PASSWORD", "<set me>"),
            ("DB_PASSWORD_ARN", "S3cr3t!Pass"),
            (
                "DB_PASSWORD",
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:db",
            ),
            ("DB_SECRET", "prod/db/password"),
            ("DB_SECRET", "my-secret-name"),
            ("DB_SECRET", "OrdersDbSecret"),
            ("API_TOKEN", "true"),
            ("AUTH", "3600"),
            ("AUTH_SERVER", "https://auth.example.org/token"),
            ("TOKEN", "https://api.internal/v1"),
            ("PRIVATE_KEY", "/opt/keys/private.pem"),
            ("SECRET", "C:\\keys\\app.pem"),
            ("AUTH", "USER_PASSWORD_AUTH"),
            ("PASSWORD", "Please ask the platform team"),
            ("PASSWORD", ""),
        ] {
            assert_eq!(kind(name, value), None, "{name}={value}");
        }
    }

    #[test]
    fn aws_keys() {
        assert_eq!(
            kind("ANY", "AKIAZ3MHQW7XPL4KJ5RB"),
            Some(Kind::AwsAccessKey)
        );
        assert_eq!(
            kind("KEY", "id=ASIAQ2RST3UVW4XYZ5AB;"),
            Some(Kind::AwsAccessKey)
        );
        assert_eq!(kind("ANY", "AKIAIOSFODNN7EXAMPLE"), None);
        assert_eq!(kind("ANY", "AKIAAAAAAAAAAAAAAAAA"), None);
        assert_eq!(
            kind(
                "AWS_SECRET_ACCESS_KEY",
                "k8Jd7Hs2Lq9Zp4Xv1Nc6Bm3Tr5Yw0Ae/FgHiJkLm"
            ),
            Some(Kind::AwsSecretKey)
        );
        assert_eq!(
            kind(
                "AWS_SECRET_ACCESS_KEY",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
            ),
            None
        );
        let d = detect("K", "AKIAZ3MHQW7XPL4KJ5RB").unwrap();
        assert!(!d.evidence.contains("Z3MHQW7XPL4KJ5"));
    }

    #[test]
    fn private_keys() {
        let key = "-----BEGIN RSA PRIVATE KEY-----\\nMIIEowIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi8hYv1pQ3Zr2bF7Gk\\n-----END RSA PRIVATE KEY-----";
        assert_eq!(kind("CERT", key), Some(Kind::PrivateKey));
        let openssh = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----";
        assert_eq!(kind("SSH", openssh), Some(Kind::PrivateKey));
        let pgp = "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBF3vH4kBCADJ2Y9k3mP7qW1xZ8vN5tR2sL4uB6cE0aF9gH3jK7mO1pQ\n-----END PGP PRIVATE KEY BLOCK-----";
        assert_eq!(kind("PGP", pgp), Some(Kind::PrivateKey));
        let putty =
            "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nPrivate-Lines: 1\nAAAAIE";
        assert_eq!(kind("PPK", putty), Some(Kind::PrivateKey));
        let doc = "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----";
        assert_eq!(kind("KEY_DOC", doc), None);
        let d = detect("CERT", key).unwrap();
        assert!(!d.evidence.contains("MIIEow"));
    }

    /// The prefilter is sound: each literal is spelled out in its pattern
    /// (dots escaped), and every match of every token pattern on the token
    /// examples, with and without surrounding text, holds its literal.
    #[test]
    fn token_literals_are_in_every_match() {
        let values = [
            "ghp_R7dK2mQ9xL4vB8nT1pW6sY3cF5hJ0gZaE2uI",
            "token=github_pat_11ABCDEFG0aB3cD5eF7gH9_iJ2kL4mN6oP8qR0sT2uV4wX6yZ8aB0cD2eF4gH6iJ8kL0mN2oP4qR6sT8uV0w",
            "glpat-Xy7Rk2Lm9Pq4Tv8Wz1Bc xoxb-2048163782-4092837465123-Ab3Cd5Ef7Gh9Ij1Kl3Mn5Op",
            "https://hooks.slack.com/services/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",
            "sk_live_51Hx7Lm2Kq9Rt4Vw8Yz1Bc3Df5 rk_live_51Hx7Lm2Kq9Rt4Vw8Yz1Bc3Df5",
            "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",
            "SK1f3a5c7e9b2d4f6a8c0e1b3d5f7a9c2e npm_R7dK2mQ9xL4vB8nT1pW6sY3cF5hJ0gZaE2uI",
            "pypi-AgEIcHlwaS5vcmcCJDk3ZjFhMmI0LWMzZDUtNGU2Zi04YTdiLTljMGQxZTJmM2E0YgACKlszLCJk",
            "sk-ant-api03-Ab3Cd5Ef7Gh9Ij1Kl3Mn5Op7Qr9St1Uv3Wx5Yz7Ab9Cd1Ef3",
            "sk-proj-Ab3Cd5Ef7Gh9Ij1Kl3Mn5Op7Qr9St1Uv3Wx5Yz7Ab9Cd1Ef3",
            "AIzaSyB3cD5eF7gH9iJ1kL3mN5oP7qR9sT1uV3w",
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIiwiaWF0IjoxNzAwMDAwMDAwfQ.Zk3Lq9Xv1Nc6Bm3Tr5Yw0AeFgHiJkLm2Op",
        ];
        let mut matched = 0;
        for (service, literal, re) in &patterns().tokens {
            assert!(
                re.as_str().contains(&literal.replace('.', r"\.")),
                "{service}: {literal}"
            );
            for value in values {
                for m in re.find_iter(value) {
                    assert!(m.as_str().contains(literal), "{service}: {value}");
                    matched += 1;
                }
            }
        }
        assert!(matched >= patterns().tokens.len(), "only {matched} matches");
    }

    #[test]
    fn tokens() {
        let cases = [
            ("ghp_R7dK2mQ9xL4vB8nT1pW6sY3cF5hJ0gZaE2uI", "GitHub"),
            ("github_pat_11ABCDEFG0aB3cD5eF7gH9_iJ2kL4mN6oP8qR0sT2uV4wX6yZ8aB0cD2eF4gH6iJ8kL0mN2oP4qR6sT8uV0w", "GitHub"),
            ("glpat-Xy7Rk2Lm9Pq4Tv8Wz1Bc", "GitLab"),
            ("xoxb-2048163782-4092837465123-Ab3Cd5Ef7Gh9Ij1Kl3Mn5Op", "Slack"),
            ("https://hooks.slack.com/services/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", "Slack webhook"),
            ("sk_live_51Hx7Lm2Kq9Rt4Vw8Yz1Bc3Df5", "Stripe"),
            ("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", "SendGrid"),
            ("SK1f3a5c7e9b2d4f6a8c0e1b3d5f7a9c2e", "Twilio"),
            ("npm_R7dK2mQ9xL4vB8nT1pW6sY3cF5hJ0gZaE2uI", "npm"),
            ("pypi-AgEIcHlwaS5vcmcCJDk3ZjFhMmI0LWMzZDUtNGU2Zi04YTdiLTljMGQxZTJmM2E0YgACKlszLCJk", "PyPI"),
            ("sk-proj-Ab3Cd5Ef7Gh9Ij1Kl3Mn5Op7Qr9St1Uv3Wx5Yz7Ab9Cd1Ef3", "OpenAI"),
            ("AIzaSyB3cD5eF7gH9iJ1kL3mN5oP7qR9sT1uV3w", "Google API"),
            ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIiwiaWF0IjoxNzAwMDAwMDAwfQ.Zk3Lq9Xv1Nc6Bm3Tr5Yw0AeFgHiJkLm2Op", "JSON Web Token"),
        ];
        for (value, service) in cases {
            assert_eq!(kind("X", value), Some(Kind::Token(service)), "{value}");
            let d = detect("X", value).unwrap();
            assert!(!d.evidence.contains(&value[6..value.len() - 2]));
        }
        assert_eq!(kind("X", "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"), None);
        assert_eq!(kind("X", "sk_live_EXAMPLE0000000000000000000"), None);
        assert_eq!(
            kind("STRIPE_API_KEY", "sk_live_51HXXXXXXXXXXXXXXXXXXXXXXXX"),
            None
        );
        assert_eq!(kind("DB_PASSWORD", "Pa55****"), None);
        assert_eq!(kind("GREETING", "skipping the long run"), None);
    }

    #[test]
    fn connection_urls() {
        for value in [
            "postgres://app:Tr0ub4dor3@db.internal:5432/orders",
            "postgresql://app:p@ss!w0rd#9@db.internal/orders",
            "mysql://root:S3cr%40t99@10.0.0.5:3306/app",
            "mongodb+srv://svc:Zx9!kQ2#pL@cluster0.abcd.mongodb.net/db",
            "redis://:R3d1sP4ss@cache.internal:6379",
            "rediss://default:R3d1sP4ss@cache.internal:6379",
            "amqps://user:Qu3u3P4ss@mq.internal/vhost",
            "jdbc:mysql://app:Jd8cP4ss@db.internal:3306/app",
            "jdbc:postgresql://db.internal/app?user=app&password=Jd8cP4ss",
            "jdbc:sqlserver://db.internal:1433;databaseName=app;user=app;password=Ms5qlP4ss",
        ] {
            assert_eq!(
                kind("DATABASE_URL", value),
                Some(Kind::UrlPassword),
                "{value}"
            );
            let d = detect("DATABASE_URL", value).unwrap();
            for secret in [
                "Tr0ub4dor3",
                "p@ss!w0rd",
                "S3cr%40t99",
                "Zx9!kQ2",
                "R3d1sP4ss",
                "Qu3u3P4ss",
                "Jd8cP4ss",
                "Ms5qlP4ss",
            ] {
                assert!(
                    !d.evidence.contains(secret),
                    "{} leaks {secret}",
                    d.evidence
                );
            }
        }
        for value in [
            "postgres://app:${DB_PASSWORD}@db.internal/orders",
            "postgres://app:password@localhost/orders",
            "postgres://app:<password>@db.internal/orders",
            "postgres://db.internal:5432/orders",
            "https://example.org:8443/path@v2",
            "mysql://app:{{resolve:secretsmanager:db}}@db/app",
            "mysql://app:%24%7BPW%7D@db/app",
        ] {
            assert_eq!(kind("DATABASE_URL", value), None, "{value}");
        }
    }

    #[test]
    fn odd_input_never_panics() {
        let long = "a".repeat(100_000);
        let odd = [
            "",
            "$",
            "{}",
            "{",
            "}",
            "%",
            "%4",
            "%é9",
            "é",
            "ключ-секрет",
            "🔑🔑🔑🔑🔑🔑🔑🔑",
            "C:",
            "a:",
            "://",
            "://@",
            "postgres://:@",
            "postgres://é:é@é",
            "-----BEGIN PRIVATE KEY-----",
            "PuTTY-User-Key-File-2:",
            "AKIA",
            "sk-",
            long.as_str(),
        ];
        for name in ["", "é", "PASSWORD", "dbPassWORD_é", "__", "API_KEY"] {
            for value in odd {
                let _ = detect(name, value);
                let _ = is_placeholder(value);
            }
        }
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%40b"), "a@b");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
    }
}
