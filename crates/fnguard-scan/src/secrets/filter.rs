//! What a captured value must look like to be reported: not a placeholder,
//! not a documented example, not a reference to where the secret really
//! lives; for name-only rules, random rather than words, paths or code.

use aho_corasick::AhoCorasick;
use std::sync::LazyLock;

/// Shannon entropy of `s` in bits per byte.
pub fn shannon_entropy(s: &[u8]) -> f64 {
    if s.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in s {
        counts[b as usize] += 1;
    }
    let len = s.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / len;
            -p * p.log2()
        })
        .sum()
}

/// Substrings (any case) that mark a value as a placeholder, in one
/// automaton: this runs on every candidate, so one pass instead of one
/// search per marker.
fn placeholder_markers() -> &'static AhoCorasick {
    static MARKERS: LazyLock<AhoCorasick> = LazyLock::new(|| {
        // Templating and indirection: `${VAR}`, `{{ var }}`, `$(cmd)`,
        // `#{x}`, `%(name)s`, `process.env.X`, `os.environ[...]`.
        const INDIRECTION: &[&str] = &[
            "${",
            "{{",
            "$(",
            "#{",
            "%(",
            "process.env",
            "os.environ",
            "getenv",
            "environ[",
            "env(",
            "env.",
        ];
        // Documentation and test values. Only words long enough not to
        // occur by chance inside a long random secret (a 2 KB private key
        // body).
        const WORDS: &[&str] = &[
            "example",
            "sample",
            "dummy",
            "placeholder",
            "changeme",
            "change_me",
            "change-me",
            "replace_me",
            "replaceme",
            "replace-me",
            "your_",
            "your-",
            "yourkey",
            "yourtoken",
            "yoursecret",
            "yourpassword",
            "redacted",
            "notreal",
            "not_real",
            "not-real",
        ];
        AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(INDIRECTION.iter().chain(WORDS))
            .expect("a few short literals always build")
    });
    &MARKERS
}

/// Secrets published on purpose, for local emulators: the Azurite storage
/// emulator's well-known account key.
const PUBLISHED_FOR_EMULATORS: &[&[u8]] =
    &[b"Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="];

/// Values people write where a secret goes in documentation, templates and
/// tests: they are not leaks.
pub fn is_placeholder(secret: &[u8]) -> bool {
    if PUBLISHED_FOR_EMULATORS.contains(&secret) {
        return true;
    }
    if placeholder_markers().is_match(secret) {
        return true;
    }
    let lower = secret.to_ascii_lowercase();
    let contains = |needle: &str| memchr::memmem::find(&lower, needle.as_bytes()).is_some();
    // `$VAR`, `<your-key>`, `{password}`, `%s`, `%(pw)s`: filled in later.
    if matches!(lower.first(), Some(b'$' | b'<' | b'{' | b'%'))
        || matches!(lower.last(), Some(b'>' | b'}'))
    {
        return true;
    }
    // Default and dummy credentials of local setups (docker-compose,
    // tests): the whole value, any case.
    const DEFAULTS: &[&str] = &[
        "password", "passwd", "pass", "pwd", "secret", "postgres", "root", "admin", "mysql",
        "guest", "test", "user", "username", "changeit", "redis", "rabbitmq", "mongo", "toor",
        "default", "none", "null", "123456", "12345678", "qwerty", "letmein", "s3cr3t",
    ];
    if DEFAULTS.iter().any(|d| lower == d.as_bytes()) {
        return true;
    }
    // Masked values (`sk_live_xxxx…`, `AKIA****`, `...`): masking
    // characters make a good share of the value.
    let masking = lower
        .iter()
        .filter(|b| matches!(b, b'x' | b'*' | b'.' | b'#'))
        .count();
    if (contains("xxxx") || contains("****") || contains("....")) && masking * 4 >= lower.len() {
        return true;
    }
    repeated_run(&lower, 6) || sequential_run(&lower, 7)
}

/// A run of `n` identical alphanumeric bytes: `aaaaaa`, `000000`.
fn repeated_run(s: &[u8], n: usize) -> bool {
    let mut run = 1;
    for w in s.windows(2) {
        if w[0] == w[1] && w[0].is_ascii_alphanumeric() {
            run += 1;
            if run >= n {
                return true;
            }
        } else {
            run = 1;
        }
    }
    false
}

/// A run of `n` ascending or descending neighbours: `1234567`, `abcdefg`,
/// `9876543`. A random 40-character token has essentially no such run.
fn sequential_run(s: &[u8], n: usize) -> bool {
    let (mut up, mut down) = (1, 1);
    for w in s.windows(2) {
        let alnum = w[0].is_ascii_alphanumeric() && w[1].is_ascii_alphanumeric();
        up = if alnum && w[1] == w[0].wrapping_add(1) {
            up + 1
        } else {
            1
        };
        down = if alnum && w[1].wrapping_add(1) == w[0] {
            down + 1
        } else {
            1
        };
        if up >= n || down >= n {
            return true;
        }
    }
    false
}

/// Whether a value found only by its name (`password = ...`) looks like a
/// real secret: long enough, several kinds of characters, varied, and not
/// made of words, a path, a URL, a number or an identifier.
pub fn is_random(secret: &[u8]) -> bool {
    let len = secret.len();
    if !(8..=256).contains(&len) {
        return false;
    }
    if secret.iter().any(|b| !b.is_ascii_graphic()) {
        return false;
    }
    let lower = secret.to_ascii_lowercase();
    let starts = |p: &str| lower.starts_with(p.as_bytes());
    // Paths, URLs, ARNs, dotted or namespaced identifiers (`os.path.join`,
    // `self.config.token`, `Foo::bar`).
    if starts("/") || starts("./") || starts("../") || starts("~/") || starts("arn:") {
        return false;
    }
    if memchr::memmem::find(&lower, b"://").is_some()
        || memchr::memmem::find(&lower, b"::").is_some()
    {
        return false;
    }
    let is_identifier_path = secret
        .split(|&b| b == b'.')
        .all(|part| !part.is_empty() && part.iter().all(|b| b.is_ascii_alphabetic() || *b == b'_'));
    if is_identifier_path {
        return false;
    }
    if secret
        .iter()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'_' | b'+' | b','))
    {
        return false;
    }
    // `my-auth-token-here`, `bpki-ct-setpwd-req`, `MSV1_0_KEY_TYPE`: names
    // in one case joined by separators. Generated secrets mix cases or
    // digits into letters without such structure.
    let one_case_name = |upper: bool| {
        secret.iter().all(|&b| {
            (if upper {
                b.is_ascii_uppercase() || b.is_ascii_digit()
            } else {
                b.is_ascii_lowercase()
            }) || matches!(b, b'-' | b'_' | b'.')
        }) && secret.iter().any(|b| matches!(b, b'-' | b'_' | b'.'))
    };
    if one_case_name(false) || one_case_name(true) {
        return false;
    }
    let classes = [
        secret.iter().any(u8::is_ascii_lowercase),
        secret.iter().any(u8::is_ascii_uppercase),
        secret.iter().any(u8::is_ascii_digit),
        secret.iter().any(|b| !b.is_ascii_alphanumeric()),
    ]
    .into_iter()
    .filter(|&c| c)
    .count();
    if classes < 2 {
        return false;
    }
    let mut seen = [false; 256];
    let distinct = secret
        .iter()
        .filter(|&&b| !std::mem::replace(&mut seen[b as usize], true))
        .count();
    if distinct < len.min(16) * 5 / 8 {
        return false;
    }
    if shannon_entropy(secret) < 2.5 {
        return false;
    }
    // Words: `SUPER_SECRET_VALUE`, `getDatabasePassword`,
    // `my-app-secret-name`. Letters in pronounceable runs of five or more
    // covering much of the value mean a person wrote words.
    word_coverage(secret) * 5 < len * 2
}

/// Bytes of `s` inside letter runs that read like words: five letters or
/// more, a vowel share of a natural language, no cluster of four
/// consonants. Camel case splits runs (`getDatabase` is `get` `Database`).
fn word_coverage(s: &[u8]) -> usize {
    let mut covered = 0;
    let mut start = 0;
    let mut i = 0;
    while i <= s.len() {
        let boundary = i == s.len()
            || !s[i].is_ascii_alphabetic()
            || (i > start && s[i].is_ascii_uppercase() && s[i - 1].is_ascii_lowercase());
        if boundary {
            if i - start >= 5 && reads_like_a_word(&s[start..i]) {
                covered += i - start;
            }
            start = if i < s.len() && s[i].is_ascii_alphabetic() {
                i
            } else {
                i + 1
            };
        }
        i += 1;
    }
    covered
}

fn reads_like_a_word(run: &[u8]) -> bool {
    let is_vowel = |b: &u8| {
        matches!(
            b.to_ascii_lowercase(),
            b'a' | b'e' | b'i' | b'o' | b'u' | b'y'
        )
    };
    let vowels = run.iter().filter(|b| is_vowel(b)).count();
    if vowels * 5 < run.len() || vowels * 5 > run.len() * 3 {
        return false;
    }
    let mut consonants = 0;
    for b in run {
        consonants = if is_vowel(b) { 0 } else { consonants + 1 };
        if consonants >= 4 {
            return false;
        }
    }
    // Mixed case inside one run (`xQzTr`) is generated, not written.
    let upper = run
        .iter()
        .skip(1)
        .filter(|b| b.is_ascii_uppercase())
        .count();
    upper == 0 || upper == run.len() - 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_recognised() {
        for value in [
            "AKIAIOSFODNN7EXAMPLE",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "${DB_PASSWORD}",
            "{{ secret }}",
            "<your-key>",
            "changeme",
            "sk_live_xxxxxxxxxxxxxxxxxxxx",
            "aaaaaaaaaaaaaaaa",
            "ghp_0123456789abcdef",
            "process.env.API_TOKEN",
            "os.environ['X']",
            "$PASSWORD",
        ] {
            assert!(is_placeholder(value.as_bytes()), "{value}");
        }
        for value in [
            "AKIAQ3EGRN2VZK7TWB5D",
            "S3cr3tP4ssw0rd!",
            "ghp_4Fq9ZL2mVx7bRt1NcKp8WsYh3JdGe6TuAoQi",
        ] {
            assert!(!is_placeholder(value.as_bytes()), "{value}");
        }
    }

    #[test]
    fn randomness_separates_secrets_from_words_and_code() {
        for value in [
            "S3cr3tP4ssw0rd!",
            "q8Zr2LxV7mKp4TnW",
            "c2a1f09e8b7d4f3a9e6b5c4d3e2f1a0b",
            "Xk9#mP2$vL7@qR4",
        ] {
            assert!(is_random(value.as_bytes()), "{value}");
        }
        for value in [
            "hunter2",
            "SUPER_SECRET_VALUE",
            "getDatabasePassword",
            "/etc/secrets/db",
            "https://vault.internal/token",
            "self.config.token",
            "12345678901",
            "correcthorsebatterystaple",
            "my-application-secret-name",
            "my-auth-token-here",
            "MSV1_0_CREDENTIAL_KEY_TYPE",
            "bpki-ct-setpwd-req",
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:x",
        ] {
            assert!(!is_random(value.as_bytes()), "{value}");
        }
    }

    #[test]
    fn entropy_of_uniform_and_constant_input() {
        assert_eq!(shannon_entropy(b"aaaa"), 0.0);
        assert!((shannon_entropy(b"abcd") - 2.0).abs() < 1e-9);
    }
}
