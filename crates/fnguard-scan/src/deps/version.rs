//! Version semantics per ecosystem, written from the specifications:
//! SemVer 2.0.0 §11 (npm, crates.io, Go modules), PEP 440 (PyPI) and Maven's
//! ComparableVersion as its documentation describes it. Each parser turns a
//! version string into a value whose `Ord` is the ecosystem's precedence;
//! anything the grammar does not allow is a `VersionError`, never a panic.

use std::cmp::Ordering;

use thiserror::Error;

use super::Ecosystem;

/// Why a version string could not be read, with the byte offset where the
/// grammar stopped matching.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("invalid {scheme} version {input:?} at byte {offset}: {reason}")]
pub struct VersionError {
    pub scheme: &'static str,
    pub input: String,
    pub offset: usize,
    pub reason: &'static str,
}

fn error(scheme: &'static str, input: &str, offset: usize, reason: &'static str) -> VersionError {
    VersionError {
        scheme,
        input: input.to_string(),
        offset,
        reason,
    }
}

/// A parsed version of one ecosystem. Versions of different schemes never
/// meet (an advisory range is always read with its package's ecosystem), so
/// comparing them is a caller bug; `Ord` puts them in scheme order to stay
/// total.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Version {
    Sem(SemVer),
    Pep440(Pep440),
    Maven(MavenVersion),
}

impl Version {
    /// Reads `text` with the semantics of `ecosystem`.
    pub fn parse(ecosystem: Ecosystem, text: &str) -> Result<Version, VersionError> {
        match ecosystem {
            Ecosystem::Npm | Ecosystem::CratesIo => SemVer::parse(text).map(Version::Sem),
            Ecosystem::Go => SemVer::parse_go(text).map(Version::Sem),
            Ecosystem::PyPI => Pep440::parse(text).map(Version::Pep440),
            Ecosystem::Maven => MavenVersion::parse(text).map(Version::Maven),
        }
    }

    /// Compares as `cmp` does, except that a PEP 440 local label is left
    /// out, as PEP 440 specifiers do (`1.0+ubuntu1` is a build of 1.0).
    pub fn cmp_public(&self, other: &Version) -> Ordering {
        match (self, other) {
            (Version::Pep440(a), Version::Pep440(b)) => {
                let (mut a, mut b) = (a.key(), b.key());
                (a.5, b.5) = (None, None);
                a.cmp(&b)
            }
            _ => self.cmp(other),
        }
    }
}

/// Compares digit strings as unbounded naturals (leading zeros ignored), so
/// no identifier is too large to order.
fn cmp_digits(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

// ---------------------------------------------------------------- SemVer

/// A SemVer 2.0.0 version. Build metadata is kept for display but, as §10
/// says, ignored for precedence and equality.
#[derive(Debug, Clone)]
pub struct SemVer {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
    pub pre: Vec<PreId>,
    pub build: String,
}

/// One dot-separated pre-release identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PreId {
    /// Digits only, without leading zeros (kept as text: no size limit).
    Numeric(String),
    AlphaNumeric(String),
}

impl Ord for PreId {
    // §11.4: numeric identifiers compare numerically, alphanumeric ones in
    // ASCII order, and numeric ones have lower precedence.
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (PreId::Numeric(a), PreId::Numeric(b)) => cmp_digits(a, b),
            (PreId::Numeric(_), PreId::AlphaNumeric(_)) => Ordering::Less,
            (PreId::AlphaNumeric(_), PreId::Numeric(_)) => Ordering::Greater,
            (PreId::AlphaNumeric(a), PreId::AlphaNumeric(b)) => a.as_bytes().cmp(b.as_bytes()),
        }
    }
}

impl PartialOrd for PreId {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl SemVer {
    /// Strict SemVer 2.0.0 (`1.2.3-rc.1+build.5`).
    pub fn parse(text: &str) -> Result<SemVer, VersionError> {
        Self::parse_scheme(text, text, 0, "SemVer")
    }

    /// A Go module version: SemVer with an optional `v` prefix (go.mod
    /// writes it, OSV does not). `+incompatible` is build metadata and
    /// pseudo-versions (`v0.0.0-20191109021931-daa7c04131f5`,
    /// `v1.2.4-0.2019...`) are pre-releases whose 14-digit timestamp
    /// identifiers sort in time order under §11's ASCII rule.
    pub fn parse_go(text: &str) -> Result<SemVer, VersionError> {
        let rest = text.strip_prefix('v').unwrap_or(text);
        Self::parse_scheme(text, rest, text.len() - rest.len(), "Go")
    }

    fn parse_scheme(
        input: &str,
        text: &str,
        base: usize,
        scheme: &'static str,
    ) -> Result<SemVer, VersionError> {
        let err = |at: usize, reason| error(scheme, input, base + at, reason);
        let (core_and_pre, build) = match text.find('+') {
            Some(at) => (&text[..at], Some((at + 1, &text[at + 1..]))),
            None => (text, None),
        };
        let (core, pre) = match core_and_pre.find('-') {
            Some(at) => (&core_and_pre[..at], Some((at + 1, &core_and_pre[at + 1..]))),
            None => (core_and_pre, None),
        };
        let mut numbers = [0u64; 3];
        let mut offset = 0;
        let mut parts = core.split('.');
        for slot in numbers.iter_mut() {
            let Some(part) = parts.next() else {
                return Err(err(core.len(), "expected MAJOR.MINOR.PATCH"));
            };
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err(offset, "version numbers are digits only"));
            }
            if part.len() > 1 && part.starts_with('0') {
                return Err(err(offset, "leading zero in a version number"));
            }
            *slot = part
                .parse()
                .map_err(|_| err(offset, "version number too large"))?;
            offset += part.len() + 1;
        }
        if parts.next().is_some() {
            return Err(err(offset - 1, "more than three version numbers"));
        }
        let mut pre_ids = Vec::new();
        if let Some((start, pre)) = pre {
            let mut at = start;
            for id in pre.split('.') {
                if id.is_empty() {
                    return Err(err(at, "empty pre-release identifier"));
                }
                if !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                    return Err(err(at, "pre-release identifiers are [0-9A-Za-z-]"));
                }
                if id.bytes().all(|b| b.is_ascii_digit()) {
                    if id.len() > 1 && id.starts_with('0') {
                        return Err(err(at, "leading zero in a numeric pre-release identifier"));
                    }
                    pre_ids.push(PreId::Numeric(id.to_string()));
                } else {
                    pre_ids.push(PreId::AlphaNumeric(id.to_string()));
                }
                at += id.len() + 1;
            }
        }
        let build = match build {
            Some((start, build)) => {
                let mut at = start;
                for id in build.split('.') {
                    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    {
                        return Err(err(at, "build identifiers are non-empty [0-9A-Za-z-]"));
                    }
                    at += id.len() + 1;
                }
                build.to_string()
            }
            None => String::new(),
        };
        Ok(SemVer {
            major: numbers[0],
            minor: numbers[1],
            patch: numbers[2],
            pre: pre_ids,
            build,
        })
    }
}

impl Ord for SemVer {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                // §11.3: a pre-release sorts before its release.
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                // §11.4: identifier by identifier, a longer list wins ties.
                (false, false) => self.pre.cmp(&other.pre),
            })
    }
}

impl PartialOrd for SemVer {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for SemVer {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for SemVer {}

// ---------------------------------------------------------------- PEP 440

/// A PEP 440 public version with its optional local label, normalised
/// (`1.0RC1` reads as `1.0rc1`, `1.0-1` as `1.0.post1`, `v` dropped).
#[derive(Debug, Clone)]
pub struct Pep440 {
    pub epoch: u64,
    pub release: Vec<u64>,
    pub pre: Option<(PreKind, u64)>,
    pub post: Option<u64>,
    pub dev: Option<u64>,
    pub local: Vec<LocalSegment>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PreKind {
    Alpha,
    Beta,
    ReleaseCandidate,
}

/// A local version label segment: PEP 440 orders numeric segments after
/// alphanumeric ones, alphanumeric ones lexicographically (lower case).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum LocalSegment {
    Text(String),
    Number(u64),
}

/// The cursor of the PEP 440 parser over the lower-cased input.
struct Cursor<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Cursor<'a> {
    fn rest(&self) -> &'a str {
        &self.text[self.at..]
    }

    fn eat(&mut self, word: &str) -> bool {
        if self.rest().starts_with(word) {
            self.at += word.len();
            true
        } else {
            false
        }
    }

    fn eat_separator(&mut self) -> bool {
        self.eat(".") || self.eat("-") || self.eat("_")
    }

    fn digits(&mut self) -> Option<&'a str> {
        let len = self.rest().bytes().take_while(u8::is_ascii_digit).count();
        if len == 0 {
            return None;
        }
        let digits = &self.text[self.at..self.at + len];
        self.at += len;
        Some(digits)
    }
}

impl Pep440 {
    pub fn parse(input: &str) -> Result<Pep440, VersionError> {
        let lowered = input.trim().to_ascii_lowercase();
        let lead = input.len() - input.trim_start().len();
        let err = |at: usize, reason| error("PEP 440", input, lead + at, reason);
        let number = |digits: &str, at: usize| -> Result<u64, VersionError> {
            digits.parse().map_err(|_| err(at, "number too large"))
        };
        let mut c = Cursor {
            text: &lowered,
            at: 0,
        };
        c.eat("v");

        // Epoch: digits followed by `!`, otherwise those digits start the release.
        let start = c.at;
        let mut epoch = 0;
        if let Some(digits) = c.digits() {
            if c.eat("!") {
                epoch = number(digits, start)?;
            } else {
                c.at = start;
            }
        }

        let mut release = Vec::new();
        loop {
            let at = c.at;
            let Some(digits) = c.digits() else {
                return Err(err(at, "expected a release number"));
            };
            release.push(number(digits, at)?);
            let before_dot = c.at;
            if !(c.eat(".") && c.rest().starts_with(|ch: char| ch.is_ascii_digit())) {
                c.at = before_dot;
                break;
            }
        }

        let pre = Self::parse_pre(&mut c, &err)?;
        let post = Self::parse_post(&mut c, &err)?;
        let dev = {
            let before = c.at;
            c.eat_separator();
            if c.eat("dev") {
                c.eat_separator_before_digits();
                Some(Self::optional_number(&mut c, &err)?)
            } else {
                c.at = before;
                None
            }
        };

        let mut local = Vec::new();
        if c.eat("+") {
            loop {
                let at = c.at;
                let len = c
                    .rest()
                    .bytes()
                    .take_while(u8::is_ascii_alphanumeric)
                    .count();
                if len == 0 {
                    return Err(err(at, "empty local version segment"));
                }
                let segment = &lowered[at..at + len];
                c.at += len;
                local.push(if segment.bytes().all(|b| b.is_ascii_digit()) {
                    LocalSegment::Number(number(segment, at)?)
                } else {
                    LocalSegment::Text(segment.to_string())
                });
                if !c.eat_separator() {
                    break;
                }
            }
        }
        if c.at != lowered.len() {
            return Err(err(c.at, "unexpected text"));
        }
        Ok(Pep440 {
            epoch,
            release,
            pre,
            post,
            dev,
            local,
        })
    }

    fn parse_pre(
        c: &mut Cursor,
        err: &dyn Fn(usize, &'static str) -> VersionError,
    ) -> Result<Option<(PreKind, u64)>, VersionError> {
        let before = c.at;
        c.eat_separator();
        // Longer spellings first so `alpha` is not read as `a` + `lpha`.
        const SPELLINGS: [(&str, PreKind); 8] = [
            ("alpha", PreKind::Alpha),
            ("a", PreKind::Alpha),
            ("beta", PreKind::Beta),
            ("b", PreKind::Beta),
            ("preview", PreKind::ReleaseCandidate),
            ("pre", PreKind::ReleaseCandidate),
            ("rc", PreKind::ReleaseCandidate),
            ("c", PreKind::ReleaseCandidate),
        ];
        for (word, kind) in SPELLINGS {
            if c.eat(word) {
                c.eat_separator_before_digits();
                return Ok(Some((kind, Self::optional_number(c, err)?)));
            }
        }
        c.at = before;
        Ok(None)
    }

    fn parse_post(
        c: &mut Cursor,
        err: &dyn Fn(usize, &'static str) -> VersionError,
    ) -> Result<Option<u64>, VersionError> {
        let before = c.at;
        // The implicit form `1.0-1` is a post-release.
        if c.eat("-") {
            let at = c.at;
            if let Some(digits) = c.digits() {
                return digits
                    .parse()
                    .map(Some)
                    .map_err(|_| err(at, "number too large"));
            }
            c.at = before;
        }
        c.eat_separator();
        for word in ["post", "rev", "r"] {
            if c.eat(word) {
                c.eat_separator_before_digits();
                return Self::optional_number(c, err).map(Some);
            }
        }
        c.at = before;
        Ok(None)
    }

    /// The number after a pre, post or dev marker; PEP 440 makes it 0 when absent.
    fn optional_number(
        c: &mut Cursor,
        err: &dyn Fn(usize, &'static str) -> VersionError,
    ) -> Result<u64, VersionError> {
        let at = c.at;
        match c.digits() {
            Some(digits) => digits.parse().map_err(|_| err(at, "number too large")),
            None => Ok(0),
        }
    }

    /// The ordering key of PEP 440's rules: trailing zeros of the release do
    /// not count; a dev release of a final sorts before its pre-releases; no
    /// post sorts before any post; no dev sorts after any dev; no local label
    /// sorts before any local label.
    fn key(&self) -> Pep440Key<'_> {
        let mut release = self.release.as_slice();
        while let [rest @ .., 0] = release {
            release = rest;
        }
        let pre = match (self.pre, self.post, self.dev) {
            (None, None, Some(_)) => Bound::Low,
            (None, _, _) => Bound::High,
            (Some(pre), _, _) => Bound::At(pre),
        };
        let post = self.post.map_or(Bound::Low, Bound::At);
        let dev = self.dev.map_or(Bound::High, Bound::At);
        let local = if self.local.is_empty() {
            None
        } else {
            Some(self.local.as_slice())
        };
        (self.epoch, release, pre, post, dev, local)
    }
}

type Pep440Key<'a> = (
    u64,
    &'a [u64],
    Bound<(PreKind, u64)>,
    Bound<u64>,
    Bound<u64>,
    Option<&'a [LocalSegment]>,
);

/// A value with explicit minus and plus infinity, for the absent parts of a
/// PEP 440 version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Bound<T> {
    Low,
    At(T),
    High,
}

impl Cursor<'_> {
    /// `1.0a.1`, `1.0-dev-2`: a separator before the number is allowed, but
    /// only consumed if digits follow (otherwise it belongs to what comes next).
    fn eat_separator_before_digits(&mut self) {
        let before = self.at;
        if self.eat_separator() && !self.rest().starts_with(|ch: char| ch.is_ascii_digit()) {
            self.at = before;
        }
    }
}

impl Ord for Pep440 {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key())
    }
}

impl PartialOrd for Pep440 {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Pep440 {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Pep440 {}

// ---------------------------------------------------------------- Maven

/// A Maven version with ComparableVersion's ordering, as documented: items
/// split at `.`, `-` and digit/letter transitions (a transition acts as `-`);
/// a `-` (and a qualifier, since `.qualifier` equals `-qualifier`) opens a
/// nested list; trailing "null" items (`0`, `""`, `ga`, `final`, `release`)
/// are trimmed in each list.
#[derive(Debug, Clone)]
pub struct MavenVersion {
    items: Vec<MavenItem>,
}

#[derive(Debug, Clone)]
enum MavenItem {
    /// Digits, kept as text (no size limit), leading zeros dropped.
    Number(String),
    /// A qualifier, lower-cased, aliases resolved (`a1` is `alpha-1`).
    Qualifier(String),
    List(Vec<MavenItem>),
}

/// Rank of a qualifier: the well-known ones in their documented order, with
/// the release (empty) between `snapshot` and `sp`; unknown ones after all
/// of them, among themselves in lexical order.
fn qualifier_rank(q: &str) -> (u8, &str) {
    match q {
        "alpha" => (0, ""),
        "beta" => (1, ""),
        "milestone" => (2, ""),
        "rc" | "cr" => (3, ""),
        "snapshot" => (4, ""),
        "" | "ga" | "final" | "release" => (5, ""),
        "sp" => (6, ""),
        other => (7, other),
    }
}

impl MavenItem {
    fn is_null(&self) -> bool {
        match self {
            MavenItem::Number(n) => n.is_empty(),
            MavenItem::Qualifier(q) => qualifier_rank(q).0 == 5,
            MavenItem::List(items) => items.is_empty(),
        }
    }

    /// Compares with an item, or with the absent item past the end of the
    /// shorter list (`None`), which equals a null of any kind.
    fn compare(&self, other: Option<&MavenItem>) -> Ordering {
        use MavenItem::*;
        match (self, other) {
            (Number(a), None) => cmp_digits(a, ""),
            (Qualifier(a), None) => qualifier_rank(a).cmp(&qualifier_rank("")),
            (List(a), None) => a
                .first()
                .map_or(Ordering::Equal, |first| first.compare(None)),
            (Number(a), Some(Number(b))) => cmp_digits(a, b),
            (Qualifier(a), Some(Qualifier(b))) => qualifier_rank(a).cmp(&qualifier_rank(b)),
            (List(a), Some(List(b))) => compare_lists(a, b),
            // `.number` > `-number` > `-qualifier`.
            (Number(_), Some(_)) => Ordering::Greater,
            (Qualifier(_), Some(_)) => Ordering::Less,
            (List(_), Some(Number(_))) => Ordering::Less,
            (List(_), Some(Qualifier(_))) => Ordering::Greater,
        }
    }
}

fn compare_lists(a: &[MavenItem], b: &[MavenItem]) -> Ordering {
    for index in 0..a.len().max(b.len()) {
        let ordering = match (a.get(index), b.get(index)) {
            (Some(x), y) => x.compare(y),
            (None, Some(y)) => y.compare(None).reverse(),
            (None, None) => Ordering::Equal,
        };
        if ordering != Ordering::Equal {
            return ordering;
        }
    }
    Ordering::Equal
}

/// Trims trailing nulls, innermost list first: a null item is dropped when
/// only lists (or nothing) follow it, so `1.0-alpha` equals `1-alpha`.
fn normalise_list(items: &mut Vec<MavenItem>) {
    if let Some(MavenItem::List(last)) = items.last_mut() {
        normalise_list(last);
    }
    let mut index = items.len();
    while index > 0 {
        index -= 1;
        if items[index].is_null() {
            items.remove(index);
        } else if !matches!(items[index], MavenItem::List(_)) {
            break;
        }
    }
}

impl MavenVersion {
    pub fn parse(input: &str) -> Result<MavenVersion, VersionError> {
        let text = input.trim();
        if text.is_empty() {
            return Err(error("Maven", input, 0, "empty version"));
        }
        if let Some(at) = text.find(|c: char| c.is_whitespace() || c.is_control()) {
            let lead = input.len() - input.trim_start().len();
            return Err(error(
                "Maven",
                input,
                lead + at,
                "whitespace inside a version",
            ));
        }
        let lowered = text.to_lowercase();
        // Tokens with the separator before them ('.' or '-'; a digit/letter
        // transition counts as '-') and whether that was a transition.
        let mut tokens: Vec<MavenToken> = Vec::new();
        let mut separator = '.';
        let mut transition = false;
        let mut current = String::new();
        let mut previous_digit: Option<bool> = None;
        for ch in lowered.chars() {
            match ch {
                '.' | '-' => {
                    tokens.push(MavenToken {
                        separator,
                        transition,
                        text: std::mem::take(&mut current),
                    });
                    separator = ch;
                    transition = false;
                    previous_digit = None;
                }
                _ => {
                    let digit = ch.is_ascii_digit();
                    if previous_digit.is_some_and(|was| was != digit) {
                        tokens.push(MavenToken {
                            separator,
                            transition,
                            text: std::mem::take(&mut current),
                        });
                        separator = '-';
                        transition = true;
                    }
                    previous_digit = Some(digit);
                    current.push(ch);
                }
            }
        }
        tokens.push(MavenToken {
            separator,
            transition,
            text: current,
        });

        // Build the nested lists: every '-' token (and every qualifier)
        // starts a list holding everything after it.
        let mut lists: Vec<Vec<MavenItem>> = vec![Vec::new()];
        for (index, token) in tokens.iter().enumerate() {
            let is_number = token.text.bytes().all(|b| b.is_ascii_digit());
            let item = if is_number {
                MavenItem::Number(token.text.trim_start_matches('0').to_string())
            } else {
                // `a1`, `b2`, `m3` are alpha, beta, milestone only when the
                // number follows directly (`a-1` keeps the qualifier `a`).
                let number_follows = tokens.get(index + 1).is_some_and(|next| next.transition);
                let name = match token.text.as_str() {
                    "a" if number_follows => "alpha",
                    "b" if number_follows => "beta",
                    "m" if number_follows => "milestone",
                    other => other,
                };
                MavenItem::Qualifier(name.to_string())
            };
            if index > 0 && (token.separator == '-' || !is_number) {
                lists.push(Vec::new());
            }
            if let Some(list) = lists.last_mut() {
                list.push(item);
            }
        }
        // Fold the lists inside out; normalising the root trims every level.
        let mut nested: Option<Vec<MavenItem>> = None;
        while let Some(mut list) = lists.pop() {
            if let Some(inner) = nested.take() {
                list.push(MavenItem::List(inner));
            }
            nested = Some(list);
        }
        let mut items = nested.unwrap_or_default();
        normalise_list(&mut items);
        Ok(MavenVersion { items })
    }
}

/// One token of a Maven version, with the separator before it.
struct MavenToken {
    separator: char,
    /// The separator was a digit/letter transition, not a written `.`/`-`.
    transition: bool,
    text: String,
}

impl Ord for MavenVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        compare_lists(&self.items, &other.items)
    }
}

impl PartialOrd for MavenVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for MavenVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for MavenVersion {}
