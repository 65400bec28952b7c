//! One function package scanned end to end: a folder or archive the IaC
//! points at, a layer, or a package given directly. Every file is read
//! once, in a stream ([`archive::walk`]), classified, searched for secrets
//! and supply-chain indicators, and read for the dependency inventory; the
//! inventory is then checked for typosquats and, with an OSV database,
//! for advisories. Everything comes out as [`Finding`]s with full rule
//! metadata, plus input errors for what could not be read.
//!
//! The walk runs on the calling thread and hands batches of files to the
//! rayon pool, so a single 250 MB zip uses every core: inflating is
//! sequential, searching is not. At most [`MAX_IN_FLIGHT_BYTES`] of file
//! contents wait for a worker; past that the walking thread works through
//! batches itself (never blocks, so no pool deadlock).

mod integrity;
pub mod rules;

use crate::archive::{self, Entry, Issue, IssueKind, Limits, Summary};
use crate::classify::{self, Context, FileClass};
use crate::deps::osv::{group_aliases, Advisory, Db};
use crate::deps::{binary, inventory, Package, Scope};
use crate::indicators;
use crate::secrets::{Hit, Scanner};
use fnguard_core::report::InputError;
use fnguard_core::{Finding, RuleMeta, Severity, SourceRef, Suppression, SuppressionKind, Text};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Bytes of file contents collected before a batch goes to the pool.
const BATCH_BYTES: u64 = 4 << 20;
/// Files collected before a batch goes to the pool (many small files).
const BATCH_FILES: usize = 256;
/// File contents waiting for a worker at most; bounds the memory a large
/// archive needs whatever the speed of the workers.
const MAX_IN_FLIGHT_BYTES: u64 = 64 << 20;
/// Bytes of a file that classification looks at.
const HEAD_BYTES: usize = 8192;

/// What ships a package: a function or a layer declared in the IaC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    /// Logical id, Terraform address or Serverless name.
    pub resource: String,
    /// Where the IaC declares the code location.
    pub location: SourceRef,
}

/// One package to scan.
#[derive(Debug, Clone)]
pub struct Target {
    /// The folder or archive on disk.
    pub path: PathBuf,
    /// How its files are named in the report (`src/app.py`,
    /// `build/fn.zip!/app.py`).
    pub display: String,
    /// The resources that ship it, in a stable order; empty for a package
    /// given directly.
    pub owners: Vec<Owner>,
    /// The handler and whether it is a layer, for classification.
    pub context: Context,
    /// Package paths (`/`-separated, relative to a folder target) not to
    /// read: the IaC files of the scan that sit in the folder, checked by
    /// the IaC rules and left out of packages by the frameworks.
    pub skip: Vec<String>,
}

impl Target {
    /// The resource findings are about: the first owner, or the package
    /// itself when it was given directly.
    fn resource(&self) -> &str {
        self.owners
            .first()
            .map_or(self.display.as_str(), |o| o.resource.as_str())
    }
}

/// Built once per scan and shared by every package and thread.
pub struct Rules {
    secrets: Scanner,
    /// For each rule of `secrets`, its metadata.
    secret_meta: Vec<&'static RuleMeta>,
}

impl Rules {
    /// The rules shipped with fnguard; an error names the rule file that
    /// does not parse (`fnguard rules check` gives the details).
    pub fn builtin() -> Result<Rules, String> {
        let parsed = rules::parsed_secret_rules().as_ref().map_err(|errors| {
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        })?;
        let secrets = Scanner::new(parsed.clone()).map_err(|e| e.to_string())?;
        let metas = rules::secret_rules();
        let secret_meta = secrets
            .rules()
            .iter()
            .map(|rule| {
                metas
                    .iter()
                    .find(|m| m.id == rule.id)
                    .ok_or_else(|| format!("secret rule {} has no metadata", rule.id))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Rules {
            secrets,
            secret_meta,
        })
    }
}

/// What one package gave.
#[derive(Debug, Default)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    /// The dependency inventory, one entry per (ecosystem, name, version),
    /// sorted, each with the first file that listed it.
    pub packages: Vec<Package>,
    /// What could not be read: the package is only partly scanned.
    pub errors: Vec<InputError>,
    /// Parts that were read but not understood (an inventory line, a
    /// nested archive past the depth cap).
    pub warnings: Vec<InputError>,
    /// SHA-256 of each jar in the package, by display path: a jar is the
    /// artifact of the Maven package its `META-INF` describes (the SBOM's
    /// component hash).
    pub jar_sha256: BTreeMap<String, [u8; 32]>,
    /// Files read and searched (not counting nested archives as files, nor
    /// the IaC files the target skips).
    pub files: u64,
    pub bytes: u64,
}

/// What one file gave, before the package's results are put in order.
#[derive(Default)]
struct FileResult {
    display: String,
    findings: Vec<Finding>,
    packages: Vec<Package>,
    warnings: Vec<InputError>,
}

/// A file's name and bytes, owned so that a worker can take it.
struct OwnedFile {
    display: String,
    package_path: String,
    bytes: Vec<u8>,
}

/// Scans one package with `limits`. Findings keep the messages of both
/// languages; the caller drops the unused one when it knows the language.
pub fn scan(target: &Target, rules: &Rules, limits: &Limits) -> Outcome {
    let queue: Mutex<VecDeque<Vec<OwnedFile>>> = Mutex::new(VecDeque::new());
    let waiting = AtomicU64::new(0);
    let results: Mutex<Vec<FileResult>> = Mutex::new(Vec::new());
    // One batch taken from the queue and scanned, by a worker or by the
    // walking thread.
    let work_one = || {
        let batch = lock(&queue).pop_front();
        if let Some(batch) = batch {
            let size: u64 = batch.iter().map(|f| f.bytes.len() as u64).sum();
            let done: Vec<FileResult> = batch
                .into_iter()
                .map(|file| scan_file(&file, target, rules))
                .collect();
            waiting.fetch_sub(size, Ordering::AcqRel);
            lock(&results).extend(done);
            true
        } else {
            false
        }
    };
    let mut skipped = 0u64;
    let mut jar_sha256 = BTreeMap::new();
    let mut signed = integrity::Found::default();
    let summary = rayon::scope(|scope| {
        let mut batch: Vec<OwnedFile> = Vec::new();
        let mut batch_bytes = 0u64;
        let send = |batch: Vec<OwnedFile>, size: u64| {
            waiting.fetch_add(size, Ordering::AcqRel);
            lock(&queue).push_back(batch);
            scope.spawn(|_| {
                work_one();
            });
            while waiting.load(Ordering::Acquire) > MAX_IN_FLIGHT_BYTES {
                if !work_one() {
                    // Every waiting batch is being scanned by a worker.
                    std::thread::yield_now();
                }
            }
        };
        let mut visit = |entry: &Entry<'_>, bytes: &[u8]| {
            // A nested archive's entries follow as their own files; its
            // compressed bytes hold nothing to search.
            if entry.is_archive {
                skipped += 1;
                if entry.package_path.to_ascii_lowercase().ends_with(".jar") {
                    jar_sha256.insert(entry.display.to_string(), Sha256::digest(bytes).into());
                }
                return;
            }
            if entry.depth == 0 && target.skip.iter().any(|p| p == entry.package_path) {
                skipped += 1;
                return;
            }
            // fnguard sign's manifest and signature: compared with the
            // package once it is read, not searched (hex digests only).
            if let Some(is_manifest) = integrity::root_file(target, entry.package_path, entry.depth)
            {
                if is_manifest {
                    signed.manifest = Some((entry.display.to_string(), bytes.to_vec()));
                } else {
                    signed.signature = Some(bytes.to_vec());
                }
                skipped += 1;
                return;
            }
            batch.push(OwnedFile {
                display: entry.display.to_string(),
                package_path: entry.package_path.to_string(),
                bytes: bytes.to_vec(),
            });
            batch_bytes += bytes.len() as u64;
            if batch_bytes >= BATCH_BYTES || batch.len() >= BATCH_FILES {
                send(
                    std::mem::take(&mut batch),
                    std::mem::replace(&mut batch_bytes, 0),
                );
            }
        };
        let summary = archive::walk_named(&target.path, &target.display, limits, &mut visit);
        if !batch.is_empty() {
            send(batch, batch_bytes);
        }
        summary
    });
    // The scope waited for every spawned worker; batches no worker took
    // (none should be left) are scanned here.
    while work_one() {}
    let mut files = results.into_inner().unwrap_or_else(|p| p.into_inner());
    files.sort_by(|a, b| a.display.cmp(&b.display));
    let mut outcome = assemble(target, files, summary);
    outcome
        .findings
        .extend(integrity::findings(target, signed, limits));
    outcome.files -= skipped.min(outcome.files);
    outcome.jar_sha256 = jar_sha256;
    outcome
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic in one file's scan must not lose the others' results.
    mutex.lock().unwrap_or_else(|poison| poison.into_inner())
}

/// Puts the files' results in order, dedupes the inventory, checks its
/// names, and turns the walk's issues into findings or errors.
fn assemble(target: &Target, files: Vec<FileResult>, summary: Summary) -> Outcome {
    let mut out = Outcome {
        files: summary.files,
        bytes: summary.bytes,
        ..Outcome::default()
    };
    // A jar's manifest is read for coordinates only when Maven's own
    // pom.properties is not in the same jar.
    let jars_with_pom: HashSet<String> = files
        .iter()
        .flat_map(|f| &f.packages)
        .filter_map(|p| p.source.split_once("!/META-INF/maven/"))
        .map(|(jar, _)| jar.to_string())
        .collect();
    let mut seen = HashSet::new();
    for file in files {
        out.findings.extend(file.findings);
        out.warnings.extend(file.warnings);
        for package in file.packages {
            if let Some(jar) = package.source.strip_suffix("!/META-INF/MANIFEST.MF") {
                if jars_with_pom.contains(jar) {
                    continue;
                }
            }
            let key = (
                package.ecosystem,
                package.ecosystem.normalise_name(&package.name),
                package.version.clone(),
            );
            if seen.insert(key) {
                out.packages.push(package);
            }
        }
    }
    out.packages.sort_by(|a, b| {
        (a.ecosystem.osv_name(), &a.name, &a.version, &a.source).cmp(&(
            b.ecosystem.osv_name(),
            &b.name,
            &b.version,
            &b.source,
        ))
    });
    out.findings
        .extend(typosquat_findings(target, &out.packages));
    for issue in &summary.issues {
        match archive_issue(target, issue) {
            IssueOutcome::Finding(finding) => out.findings.push(*finding),
            IssueOutcome::Error(error) => out.errors.push(error),
            IssueOutcome::Warning(warning) => out.warnings.push(warning),
        }
    }
    out
}

fn scan_file(file: &OwnedFile, target: &Target, rules: &Rules) -> FileResult {
    let bytes = &file.bytes;
    let head = &bytes[..bytes.len().min(HEAD_BYTES)];
    let class = classify::classify(&file.package_path, head, &target.context);
    let mut result = FileResult {
        display: file.display.clone(),
        ..FileResult::default()
    };
    let mut occurrences: HashMap<(usize, String), usize> = HashMap::new();
    for hit in rules.secrets.scan(bytes) {
        let n = occurrences
            .entry((hit.rule, hit.redacted.clone()))
            .or_default();
        *n += 1;
        result
            .findings
            .push(secret_finding(target, file, class, rules, &hit, *n));
    }
    for indicator in indicators::check_file(&file.package_path, bytes, class) {
        result
            .findings
            .push(indicator_finding(target, file, class, &indicator));
    }
    // The function's own authors write its ignore comments; in a vendored
    // library they would be the attacker's, so they count only in
    // first-party code and configuration.
    if matches!(class, FileClass::FirstParty | FileClass::RuntimeConfig) {
        apply_inline_ignores(bytes, &mut result.findings);
    }
    let read = if classify::is_binary(head) {
        binary::read(&file.display, bytes)
    } else {
        inventory::read(&file.display, bytes)
    };
    if let Some(found) = read {
        result.packages = found.packages;
        result.warnings = found
            .issues
            .into_iter()
            .map(|issue| InputError {
                location: SourceRef::new(
                    issue.file,
                    issue.line.map_or(0, |l| l as u32),
                    if issue.line.is_some() { 1 } else { 0 },
                ),
                message: issue.message,
            })
            .collect();
    }
    result
}

fn class_text(class: FileClass) -> (&'static str, &'static str) {
    match class {
        FileClass::FirstParty => ("the function's own code", "函数自有代码"),
        FileClass::VendoredDependency => ("a vendored dependency", "第三方依赖"),
        FileClass::TestOrDoc => ("a test or doc file", "测试或文档文件"),
        FileClass::RuntimeConfig => ("runtime configuration", "运行时配置"),
        FileClass::Binary => ("a binary file", "二进制文件"),
    }
}

/// Other functions and layers that ship the same package, as related
/// locations.
fn with_owners(mut finding: Finding, target: &Target) -> Finding {
    for owner in &target.owners {
        finding = finding.with_related(
            owner.location.clone(),
            Text::new(
                format!("shipped by {}", owner.resource),
                format!("由 {} 部署", owner.resource),
            ),
        );
    }
    finding
}

fn secret_finding(
    target: &Target,
    file: &OwnedFile,
    class: FileClass,
    rules: &Rules,
    hit: &Hit,
    occurrence: usize,
) -> Finding {
    let meta = rules.secret_meta[hit.rule];
    let (class_en, class_zh) = class_text(class);
    let message = Text::new(
        format!("{} `{}` in {class_en}", meta.title_en, hit.redacted),
        format!("{}`{}`，位于{class_zh}中", meta.title_zh, hit.redacted),
    );
    // The fingerprint must survive edits that move the line, and must not
    // be a hash of the secret (a weak password could be found from it):
    // the redacted form and its rank in the file tell secrets apart.
    let discriminator = format!("{}#{occurrence}", hit.redacted);
    let finding = Finding::new(
        meta,
        target.resource(),
        SourceRef::new(file.display.as_str(), hit.line, hit.column),
        message,
        &discriminator,
    )
    .with_severity(class.adjust(meta.severity))
    .with_evidence(hit.redacted.clone());
    with_owners(finding, target)
}

fn indicator_finding(
    target: &Target,
    file: &OwnedFile,
    class: FileClass,
    indicator: &indicators::Indicator,
) -> Finding {
    let rule = indicator.rule;
    let (class_en, class_zh) = class_text(class);
    // The title says what was found and the evidence shows it: the message
    // says where in the package, and what kind of file that is.
    let message = Text::new(
        format!("`{}` in the package, {class_en}", file.package_path),
        format!("包内的 `{}`，属于{class_zh}", file.package_path),
    );
    let line = indicator.line.map_or(0, |l| l as u32);
    let col = indicator.column.map_or(0, |c| c as u32);
    let finding = Finding::new(
        rule,
        target.resource(),
        SourceRef::new(file.display.as_str(), line, col),
        message,
        &indicator.evidence,
    )
    .with_severity(indicator.severity)
    .with_evidence(indicator.evidence.clone());
    with_owners(finding, target)
}

const IGNORE_MARKER: &[u8] = b"fnguard:ignore";

/// One `fnguard:ignore` comment of a package file.
struct IgnoreComment {
    /// Upper-cased rule ids.
    ids: Vec<String>,
    reason: Option<String>,
}

/// `fnguard:ignore ID[,ID...] [reason]` on a finding's line or the line
/// above it marks the finding suppressed (inline), as in templates.
fn apply_inline_ignores(bytes: &[u8], findings: &mut [Finding]) {
    if findings.is_empty() || memchr::memmem::find(bytes, IGNORE_MARKER).is_none() {
        return;
    }
    let mut comments: HashMap<u32, Vec<IgnoreComment>> = HashMap::new();
    for at in memchr::memmem::find_iter(bytes, IGNORE_MARKER) {
        let line = memchr::memchr_iter(b'\n', &bytes[..at]).count() as u32 + 1;
        let rest_end = memchr::memchr(b'\n', &bytes[at..]).map_or(bytes.len(), |i| at + i);
        let rest = String::from_utf8_lossy(&bytes[at + IGNORE_MARKER.len()..rest_end]);
        let rest = rest.trim_start_matches(':').trim();
        let rest = rest.trim_end_matches("*/").trim_end_matches("-->").trim();
        let (ids, reason) = match rest.find(char::is_whitespace) {
            Some(split) => (&rest[..split], rest[split..].trim()),
            None => (rest, ""),
        };
        let ids: Vec<String> = ids
            .split(',')
            .map(|id| id.trim().to_ascii_uppercase())
            .filter(|id| !id.is_empty())
            .collect();
        let reason = reason.trim_start_matches(['-', ':']).trim();
        comments.entry(line).or_default().push(IgnoreComment {
            ids,
            reason: (!reason.is_empty()).then(|| reason.to_string()),
        });
    }
    for finding in findings.iter_mut() {
        let line = finding.location.line;
        let candidates = [Some(line), line.checked_sub(1)];
        let matched = candidates
            .iter()
            .flatten()
            .filter(|l| **l > 0)
            .filter_map(|l| comments.get(l))
            .flatten()
            .find(|comment| comment.ids.iter().any(|id| id == finding.rule_id));
        if let Some(comment) = matched {
            finding.suppressed = Some(Suppression {
                kind: SuppressionKind::Inline,
                reason: comment.reason.clone(),
            });
        }
    }
}

fn typosquat_findings(target: &Target, packages: &[Package]) -> Vec<Finding> {
    let mut by_ecosystem: Vec<(crate::deps::Ecosystem, Vec<&Package>)> = Vec::new();
    for package in packages {
        match by_ecosystem
            .iter_mut()
            .find(|(e, _)| *e == package.ecosystem)
        {
            Some((_, list)) => list.push(package),
            None => by_ecosystem.push((package.ecosystem, vec![package])),
        }
    }
    let mut out = Vec::new();
    for (ecosystem, list) in by_ecosystem {
        let found =
            indicators::check_package_names(ecosystem, list.iter().map(|p| p.name.as_str()));
        for squat in found {
            let Some(package) = list.iter().find(|p| p.name == squat.name) else {
                continue;
            };
            let message = Text::new(
                format!(
                    "{} dependency `{}` {} is one edit away from the popular `{}`",
                    ecosystem.osv_name(),
                    package.name,
                    package.version,
                    squat.resembles
                ),
                format!(
                    "{} 依赖 `{}` {} 与热门包 `{}` 只差一处编辑",
                    ecosystem.osv_name(),
                    package.name,
                    package.version,
                    squat.resembles
                ),
            );
            let finding = Finding::new(
                squat.rule,
                target.resource(),
                package_location(package),
                message,
                &format!("{}:{}", ecosystem.osv_name(), package.name),
            )
            .with_evidence(format!("{} ~ {}", package.name, squat.resembles));
            out.push(with_owners(finding, target));
        }
    }
    out
}

/// Where a dependency is listed: its file, and its line when the format
/// gives one (column 1 then; 0:0 for the whole file).
pub fn package_location(package: &Package) -> SourceRef {
    let line = package.line.map_or(0, |l| l as u32);
    SourceRef::new(package.source.as_str(), line, u32::from(line > 0))
}

/// One finding per package and group of aliased advisories that affect
/// it. Development dependencies are left out: a lockfile lists them, the
/// function does not ship them.
pub fn vulnerability_findings(target: &Target, packages: &[Package], db: &Db) -> Vec<Finding> {
    let mut out = Vec::new();
    for package in packages {
        if package.scope == Some(Scope::Dev) {
            continue;
        }
        let advisories = db.vulnerabilities(package);
        if advisories.is_empty() {
            continue;
        }
        for group in group_aliases(&advisories) {
            out.push(vulnerability_finding(target, package, &group));
        }
    }
    out
}

fn vulnerability_finding(target: &Target, package: &Package, group: &[&Advisory]) -> Finding {
    let malicious = group.iter().any(|a| a.id.starts_with("MAL-"));
    let rule = if malicious {
        rules::MALICIOUS_DEPENDENCY
    } else {
        rules::VULNERABLE_DEPENDENCY
    };
    let mut ids: Vec<&str> = group.iter().map(|a| a.id.as_str()).collect();
    for advisory in group {
        for alias in &advisory.aliases {
            if !ids.contains(&alias.as_str()) {
                ids.push(alias);
            }
        }
    }
    let summary = group
        .iter()
        .find_map(|a| a.summary.as_deref())
        .unwrap_or_default();
    let severity = if malicious {
        Severity::Critical
    } else {
        group
            .iter()
            .filter_map(|a| advisory_severity(a))
            .max()
            .unwrap_or(Severity::Medium)
    };
    let ids_text = ids.join(", ");
    let mut fixes: Vec<String> = Vec::new();
    for advisory in group {
        for fix in advisory.fixed_in(package) {
            if !fixes.contains(&fix) {
                fixes.push(fix);
            }
        }
    }
    let (fix_en, fix_zh) = if fixes.is_empty() {
        (
            "; no fixed version is published".to_string(),
            "；尚无修复版本".to_string(),
        )
    } else {
        (
            format!("; fixed in {}", fixes.join(", ")),
            format!("；已在 {} 中修复", fixes.join("、")),
        )
    };
    let tail_en = if summary.is_empty() {
        fix_en
    } else {
        format!("{fix_en}: {summary}")
    };
    let tail_zh = if summary.is_empty() {
        fix_zh
    } else {
        format!("{fix_zh}：{summary}")
    };
    let message = Text::new(
        format!(
            "{} {} {} is affected by {ids_text}{tail_en}",
            package.ecosystem.osv_name(),
            package.name,
            package.version
        ),
        format!(
            "{} {} {} 受 {ids_text} 影响{tail_zh}",
            package.ecosystem.osv_name(),
            package.name,
            package.version
        ),
    );
    let finding = Finding::new(
        rule,
        target.resource(),
        package_location(package),
        message,
        &format!("{}@{}#{}", package.purl(), package.version, group[0].id),
    )
    .with_severity(severity)
    .with_evidence(ids_text);
    with_owners(finding, target)
}

/// GitHub's rating when the record has one, else the CVSS base score's
/// band when the record carries a CVSS v3 vector.
fn advisory_severity(advisory: &Advisory) -> Option<Severity> {
    if let Some(text) = &advisory.database_severity {
        match text.to_ascii_uppercase().as_str() {
            "CRITICAL" => return Some(Severity::Critical),
            "HIGH" => return Some(Severity::High),
            "MODERATE" | "MEDIUM" => return Some(Severity::Medium),
            "LOW" => return Some(Severity::Low),
            _ => {}
        }
    }
    advisory
        .severity
        .iter()
        .filter(|s| s.kind == "CVSS_V3")
        .find_map(|s| cvss3_base_score(&s.score))
        .map(|score| match score {
            s if s >= 9.0 => Severity::Critical,
            s if s >= 7.0 => Severity::High,
            s if s >= 4.0 => Severity::Medium,
            s if s > 0.0 => Severity::Low,
            _ => Severity::Info,
        })
}

/// The CVSS v3.x base score of a vector (`CVSS:3.1/AV:N/AC:L/...`), by the
/// specification's formulas; `None` when a base metric is missing.
fn cvss3_base_score(vector: &str) -> Option<f64> {
    let metrics: HashMap<&str, &str> = vector
        .split('/')
        .filter_map(|part| part.split_once(':'))
        .collect();
    let get = |name: &str| metrics.get(name).copied();
    let scope_changed = get("S")? == "C";
    let av = match get("AV")? {
        "N" => 0.85,
        "A" => 0.62,
        "L" => 0.55,
        "P" => 0.2,
        _ => return None,
    };
    let ac = match get("AC")? {
        "L" => 0.77,
        "H" => 0.44,
        _ => return None,
    };
    let pr = match (get("PR")?, scope_changed) {
        ("N", _) => 0.85,
        ("L", false) => 0.62,
        ("L", true) => 0.68,
        ("H", false) => 0.27,
        ("H", true) => 0.5,
        _ => return None,
    };
    let ui = match get("UI")? {
        "N" => 0.85,
        "R" => 0.62,
        _ => return None,
    };
    let impact_of = |name: &str| -> Option<f64> {
        match get(name)? {
            "H" => Some(0.56),
            "L" => Some(0.22),
            "N" => Some(0.0),
            _ => None,
        }
    };
    let (c, i, a) = (impact_of("C")?, impact_of("I")?, impact_of("A")?);
    let iss = 1.0 - (1.0 - c) * (1.0 - i) * (1.0 - a);
    let impact = if scope_changed {
        7.52 * (iss - 0.029) - 3.25 * (iss - 0.02).powi(15)
    } else {
        6.42 * iss
    };
    if impact <= 0.0 {
        return Some(0.0);
    }
    let exploitability = 8.22 * av * ac * pr * ui;
    let raw = if scope_changed {
        (1.08 * (impact + exploitability)).min(10.0)
    } else {
        (impact + exploitability).min(10.0)
    };
    Some(round_up(raw))
}

/// CVSS v3.1's Roundup: the smallest one-decimal number not below `x`,
/// computed on integers to avoid floating-point surprises.
fn round_up(x: f64) -> f64 {
    let scaled = (x * 100_000.0).round() as i64;
    if scaled % 10_000 == 0 {
        scaled as f64 / 100_000.0
    } else {
        ((scaled / 10_000) + 1) as f64 / 10.0
    }
}

enum IssueOutcome {
    Finding(Box<Finding>),
    Error(InputError),
    Warning(InputError),
}

/// Entries built to escape or to exhaust are findings (FG-SUP-013): a
/// legitimate build never makes them. What stops part of the package from
/// being read is an error (the scan is incomplete; the message says which
/// cap to raise). The rest is a warning.
fn archive_issue(target: &Target, issue: &Issue) -> IssueOutcome {
    let location = SourceRef::new(issue.archive.as_str(), 0, 0);
    let entry = issue.entry.as_deref().unwrap_or("");
    let hostile = matches!(
        issue.kind,
        IssueKind::PathTraversal
            | IssueKind::AbsolutePath
            | IssueKind::DriveLetter
            | IssueKind::LinkOutside { .. }
            | IssueKind::HardLinkOutside { .. }
            | IssueKind::SizeMismatch { .. }
            | IssueKind::RatioExceeded { .. }
    );
    // What went wrong, the archive being named by the location.
    let what = match &issue.entry {
        Some(entry) => format!("entry {entry:?}: {}", issue.kind),
        None => issue.kind.to_string(),
    };
    // A link in a folder on disk is the developer's own layout (a
    // Serverless service linking a shared `src`): not followed, but not an
    // attack either. In an archive someone built it.
    let in_folder = issue.archive == target.display && target.path.is_dir();
    if in_folder && matches!(issue.kind, IssueKind::LinkOutside { .. }) {
        return IssueOutcome::Warning(InputError {
            location,
            message: what,
        });
    }
    if hostile {
        let what = issue.kind.to_string();
        let message = if entry.is_empty() {
            Text::new(
                format!("archive {}: {what}", issue.archive),
                format!("归档 {}：{}", issue.archive, hostile_zh(&issue.kind)),
            )
        } else {
            Text::new(
                format!("entry {entry:?} of {}: {what}", issue.archive),
                format!(
                    "{} 中的条目 {entry:?}：{}",
                    issue.archive,
                    hostile_zh(&issue.kind)
                ),
            )
        };
        let finding = Finding::new(
            rules::HOSTILE_ARCHIVE,
            target.resource(),
            location,
            message,
            &format!("{entry}#{}", issue_kind_name(&issue.kind)),
        )
        .with_evidence(entry.to_string());
        return IssueOutcome::Finding(Box::new(with_owners(finding, target)));
    }
    let raise = match issue.kind {
        IssueKind::TotalBytesExceeded { .. } => " (raise with --package-max-bytes)",
        IssueKind::TooManyEntries { .. } => " (raise with --package-max-entries)",
        IssueKind::EntryTooLarge { .. } => " (raise with --package-max-file-bytes)",
        IssueKind::TooDeep { .. } => " (raise with --package-max-depth)",
        _ => "",
    };
    let error = InputError {
        location,
        message: format!("{what}{raise}"),
    };
    match issue.kind {
        IssueKind::TooDeep { .. } | IssueKind::InvalidName => IssueOutcome::Warning(error),
        _ => IssueOutcome::Error(error),
    }
}

fn issue_kind_name(kind: &IssueKind) -> &'static str {
    match kind {
        IssueKind::PathTraversal => "path-traversal",
        IssueKind::AbsolutePath => "absolute-path",
        IssueKind::DriveLetter => "drive-letter",
        IssueKind::LinkOutside { .. } => "link-outside",
        IssueKind::HardLinkOutside { .. } => "hard-link-outside",
        IssueKind::SizeMismatch { .. } => "size-mismatch",
        IssueKind::RatioExceeded { .. } => "ratio",
        _ => "other",
    }
}

fn hostile_zh(kind: &IssueKind) -> String {
    match kind {
        IssueKind::PathTraversal => "名称用 `..` 跳出根目录".into(),
        IssueKind::AbsolutePath => "名称为绝对路径".into(),
        IssueKind::DriveLetter => "名称以盘符开头".into(),
        IssueKind::LinkOutside { target } => {
            format!("指向根目录之外 {target:?} 的符号链接，未跟随")
        }
        IssueKind::HardLinkOutside { target } => {
            format!("指向根目录之外 {target:?} 的硬链接，未跟随")
        }
        IssueKind::SizeMismatch { declared, actual } => {
            format!("声明 {declared} 字节，实际为 {actual} 字节")
        }
        IssueKind::RatioExceeded { limit } => {
            format!("已跳过：解压比超过 {limit}:1（压缩炸弹？）")
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cvss3_base_scores_follow_the_specification() {
        for (vector, score) in [
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0),
            ("CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N", 3.1),
            ("CVSS:3.0/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N", 5.5),
            ("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N", 6.4),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0),
        ] {
            assert_eq!(cvss3_base_score(vector), Some(score), "{vector}");
        }
        assert_eq!(cvss3_base_score("CVSS:3.1/AV:N/AC:L"), None);
    }

    #[test]
    fn inline_ignores_mark_the_named_rule_on_the_line_or_below() {
        let rule = &rules::RULES[1];
        let at = |line| {
            Finding::new(
                rule,
                "f",
                SourceRef::new("a.py", line, 1),
                Text::default(),
                "x",
            )
        };
        let mut findings = vec![at(3), at(4), at(6)];
        let text = b"x\n# fnguard:ignore FG-DEP-001 pinned on purpose\ny\nz  # fnguard:ignore fg-dep-001\n\n# fnguard:ignore FG-SEC-101\n";
        apply_inline_ignores(text, &mut findings);
        assert_eq!(
            findings[0]
                .suppressed
                .as_ref()
                .and_then(|s| s.reason.as_deref()),
            Some("pinned on purpose"),
            "the comment on the line above names the rule"
        );
        assert!(findings[1].suppressed.is_some(), "same line, lower case id");
        assert!(findings[2].suppressed.is_none(), "another rule");
    }
}
