//! The scan pipeline behind `fnguard scan`: discover inputs, load and audit
//! them in parallel (one bad or crashing input never stops the others),
//! apply config and baseline suppressions, and assemble the [`Report`].

#[allow(unsafe_code)]
mod alloc;
pub mod baseline;
pub mod config;
mod packages;

pub use baseline::{Baseline, BaselineFile};
pub use config::{Config, FailOn};
pub use fnguard_scan::package::Owner;
pub use packages::{is_archive_name, Inventory, PackageOptions};

use fnguard_audit::AuditOptions;
use fnguard_core::report::{InputError, InventoryItem, Report};
use fnguard_core::{Date, Finding, Lang, RuleMeta, SourceRef, Suppression, SuppressionKind};
use fnguard_model::discover::{self, Candidate, DiscoverOptions, Kind, SourceFile};
use fnguard_model::{Deployment, LoadError};
use rayon::prelude::*;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::Mutex;

/// Declared here so that every program that scans (the CLI, tests,
/// benchmarks) gets it; a binary must not declare another.
#[global_allocator]
static ALLOCATOR: alloc::MiMalloc = alloc::MiMalloc;

pub const TOOL_NAME: &str = "fnguard";
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Findings per input the shared findings vector reserves room for: the
/// benchmark corpus averages 147 per input; address space that is never
/// written costs no memory.
const FINDINGS_RESERVED_PER_INPUT: usize = 512;
/// Caps the reservation (about 300 MB of address space) on huge trees.
const MAX_FINDINGS_RESERVED: usize = 1 << 20;

/// Stack of each scanning thread.
const WORKER_STACK_SIZE: usize = 64 * 1024 * 1024;

/// A problem with one of our own settings files (config, baseline): names
/// the file and the position. 0 for line/col when there is no position.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}", self.display())]
pub struct SettingsError {
    pub path: String,
    pub line: u32,
    pub col: u32,
    pub message: String,
}

impl SettingsError {
    pub fn new(path: &str, line: u32, col: u32, message: impl Into<String>) -> Self {
        SettingsError {
            path: path.to_string(),
            line,
            col,
            message: message.into(),
        }
    }

    fn display(&self) -> String {
        if self.line == 0 {
            format!("{}: {}", self.path, self.message)
        } else {
            format!("{}:{}:{}: {}", self.path, self.line, self.col, self.message)
        }
    }
}

#[derive(Debug)]
pub struct ScanOptions {
    /// Files or folders, as given by the user.
    pub roots: Vec<PathBuf>,
    /// Exclude globs from the command line (the config's are added).
    pub excludes: Vec<String>,
    pub max_file_size: u64,
    pub scan_date: Date,
    pub config: Config,
    pub baseline: Option<Baseline>,
    /// The language the report will be rendered in, when only one will be:
    /// findings then keep their messages in that language only.
    pub lang: Option<Lang>,
    /// The code that ships: packages the IaC points at and packages given
    /// directly.
    pub packages: PackageOptions,
}

impl ScanOptions {
    pub fn new(roots: Vec<PathBuf>, scan_date: Date) -> Self {
        ScanOptions {
            roots,
            excludes: Vec::new(),
            max_file_size: discover::DEFAULT_MAX_FILE_SIZE,
            scan_date,
            config: Config::default(),
            baseline: None,
            lang: None,
            packages: PackageOptions::default(),
        }
    }
}

/// What a scan produced besides the report.
#[derive(Debug)]
pub struct ScanOutcome {
    pub report: Report,
    /// Loader warnings: the input was used, but part of it was not
    /// understood (shown with `--verbose`).
    pub warnings: Vec<InputError>,
    /// Things worth telling the user that are neither errors nor findings.
    pub notes: Vec<String>,
    /// Files seen that are not inputs.
    pub files_skipped: usize,
    /// Every package read and its dependencies, for `--sbom`.
    pub inventories: Vec<Inventory>,
    /// (function, layer version): which function runs with which layer.
    pub layer_links: Vec<(Owner, Owner)>,
}

impl ScanOutcome {
    /// Whether the findings make the run fail at `threshold`.
    pub fn fails(&self, threshold: FailOn) -> bool {
        self.report
            .active_findings()
            .any(|f| threshold.trips(f.severity))
    }
}

/// What one input (a file, or a Terraform module folder) produced.
#[derive(Debug, Default)]
struct UnitResult {
    files_read: usize,
    deployments: usize,
    skipped: usize,
    findings: Vec<Finding>,
    errors: Vec<InputError>,
    warnings: Vec<InputError>,
    /// Where the deployments' functions and layers take their code from.
    code: packages::DeploymentCode,
    /// Files on disk that held a deployment.
    iac_files: Vec<PathBuf>,
}

/// Run a whole scan.
pub fn scan(opts: &ScanOptions) -> ScanOutcome {
    alloc::disable_transparent_huge_pages();
    let mut excludes = opts.config.exclude.clone();
    excludes.extend(opts.excludes.iter().cloned());
    let discover_opts = DiscoverOptions {
        excludes,
        max_file_size: opts.max_file_size,
    };
    // Archives named on the command line are packages, not IaC.
    let iac_roots: Vec<PathBuf> = opts
        .roots
        .iter()
        .filter(|root| !(opts.packages.enabled && root.is_file() && is_archive_name(root)))
        .cloned()
        .collect();
    let mut walk = discover::walk(&iac_roots, &discover_opts);
    largest_first(&mut walk.candidates);
    let audit_opts = AuditOptions {
        scan_date: opts.scan_date,
        lang: opts.lang,
    };
    // Each input's findings move into one shared vector as soon as the input
    // is done, instead of waiting in per-input vectors until all are done and
    // then being copied: that copy held the findings twice at the peak
    // (~45 MB of the corpus's ~250 MB). The vector reserves address space for
    // a generous number of findings per input up front; untouched pages cost
    // no memory, and a scan that exceeds the estimate just grows it. The
    // order in which inputs finish varies between runs; `sort_findings`
    // makes the report's order independent of it.
    let estimate = walk
        .candidates
        .len()
        .saturating_mul(FINDINGS_RESERVED_PER_INPUT)
        .min(MAX_FINDINGS_RESERVED);
    let sink = Mutex::new(Vec::with_capacity(estimate));
    let run_all = || -> Vec<UnitResult> {
        walk.candidates
            .par_iter()
            .map(|candidate| {
                let mut unit =
                    process_guarded(candidate, opts.max_file_size, &audit_opts, &Loaders::REAL);
                // A poisoned lock only means another worker panicked while
                // appending; the vector itself is still valid.
                let mut all = sink.lock().unwrap_or_else(|poison| poison.into_inner());
                all.append(&mut unit.findings);
                drop(all);
                unit.findings = Vec::new();
                unit
            })
            .collect()
    };
    // Recursive loaders on deeply nested input need more stack than the
    // default 2 MB; a stack overflow aborts the process, which no
    // `catch_unwind` can turn into an input error.
    let units = match rayon::ThreadPoolBuilder::new()
        .stack_size(WORKER_STACK_SIZE)
        .build()
    {
        Ok(pool) => pool.install(run_all),
        Err(_) => run_all(),
    };

    let mut errors: Vec<InputError> = walk.errors.iter().map(input_error).collect();
    let mut warnings = Vec::new();
    let findings = sink
        .into_inner()
        .unwrap_or_else(|poison| poison.into_inner());
    let mut files_scanned = 0;
    let mut deployments_scanned = 0;
    let mut files_skipped = walk.skipped;
    let mut code = packages::DeploymentCode::default();
    let mut iac_files = Vec::new();
    for unit in units {
        files_scanned += unit.files_read;
        deployments_scanned += unit.deployments;
        files_skipped += unit.skipped;
        errors.extend(unit.errors);
        warnings.extend(unit.warnings);
        code.refs.extend(unit.code.refs);
        code.links.extend(unit.code.links);
        iac_files.extend(unit.iac_files);
    }
    let mut findings = findings;
    let mut notes = walk.notes;
    let mut inventories = Vec::new();
    let mut layer_links = Vec::new();
    if opts.packages.enabled {
        let phase = packages::run(&opts.roots, &iac_files, code, &opts.packages, opts.lang);
        files_scanned += phase.files as usize;
        findings.extend(phase.findings);
        errors.extend(phase.errors);
        warnings.extend(phase.warnings);
        notes.extend(phase.notes);
        inventories = phase.inventories;
        layer_links = phase.links;
    }
    let findings = apply_settings(findings, &opts.config, opts.baseline.as_ref());
    let rules: Vec<&'static RuleMeta> = all_rules()
        .into_iter()
        .filter(|r| opts.config.rule_enabled(r.id))
        .collect();
    let report = Report {
        tool_name: TOOL_NAME.to_string(),
        tool_version: TOOL_VERSION.to_string(),
        scan_root: opts
            .roots
            .iter()
            .map(|r| discover::display_root(r))
            .collect::<Vec<_>>()
            .join(" "),
        scan_date: opts.scan_date.to_string(),
        files_scanned,
        deployments_scanned,
        findings,
        errors,
        rules,
        inventory: inventory_items(&inventories),
        advisories_checked: opts.packages.osv_db.is_some(),
    };
    ScanOutcome {
        report,
        warnings,
        notes,
        files_skipped,
        inventories,
        layer_links,
    }
}

/// The report's list of the dependencies of every package read.
fn inventory_items(inventories: &[Inventory]) -> Vec<InventoryItem> {
    inventories
        .iter()
        .flat_map(|inventory| {
            inventory.packages.iter().map(|package| InventoryItem {
                package: inventory.display.clone(),
                ecosystem: package.ecosystem.osv_name().to_string(),
                name: package.name.clone(),
                version: package.version.clone(),
                purl: package.purl(),
                location: fnguard_scan::package::package_location(package),
                scope: package.scope.map(|scope| match scope {
                    fnguard_scan::deps::Scope::Direct => "direct",
                    fnguard_scan::deps::Scope::Transitive => "transitive",
                    fnguard_scan::deps::Scope::Dev => "dev",
                }),
            })
        })
        .collect()
}

/// Every rule `fnguard scan` can report: the IaC checks and the package
/// scan's (secrets, supply-chain indicators, dependencies).
pub fn all_rules() -> Vec<&'static RuleMeta> {
    let mut rules = fnguard_audit::all_rules();
    rules.extend(fnguard_scan::package::rules::all());
    rules
}

/// The metadata of one rule, by id (any case).
pub fn rule(id: &str) -> Option<&'static RuleMeta> {
    all_rules()
        .into_iter()
        .find(|r| r.id.eq_ignore_ascii_case(id))
}

/// Drop findings of disabled rules, apply severity overrides, then mark
/// config and baseline suppressions (in-source suppressions, already set
/// by the audit, win), and sort most severe first.
pub fn apply_settings(
    findings: Vec<Finding>,
    config: &Config,
    baseline: Option<&Baseline>,
) -> Vec<Finding> {
    let mut out: Vec<Finding> = findings
        .into_iter()
        .filter(|f| config.rule_enabled(f.rule_id))
        .map(|mut f| {
            if let Some(&severity) = config.severity.get(f.rule_id) {
                f.severity = severity;
            }
            if f.suppressed.is_none() {
                if let Some(rule) = config.ignores.iter().find(|i| i.matches(&f)) {
                    f.suppressed = Some(Suppression {
                        kind: SuppressionKind::Config,
                        reason: rule.reason.clone(),
                    });
                }
            }
            if f.suppressed.is_none()
                && baseline.is_some_and(|b| b.contains(&f.fingerprint.to_string()))
            {
                f.suppressed = Some(Suppression {
                    kind: SuppressionKind::Baseline,
                    reason: None,
                });
            }
            f
        })
        .collect();
    sort_findings(&mut out);
    out
}

/// Most severe first, then by place, then by rule: stable output for diffs.
/// The key ends with the fingerprint, so only findings with the same
/// identity tie, and an unstable sort is as deterministic as a stable one.
///
/// The findings are not sorted directly: comparing their paths string by
/// string and moving ~270-byte structs was 2 % of a corpus scan's
/// instructions. Each path gets its rank among the distinct paths once, a
/// small key array (severity, path rank, line, column, index) is sorted
/// with integer comparisons (the rest of the key only breaks ties at the
/// same place), and the findings are then moved once, into their places.
pub fn sort_findings(findings: &mut [Finding]) {
    let path_rank = path_ranks(findings);
    let rule_rank = rule_ranks(findings);
    let mut keys: Vec<SortKey> = findings
        .iter()
        .zip(path_rank.iter().zip(&rule_rank))
        .enumerate()
        .map(|(index, (f, (&path, &rule)))| SortKey {
            place: (u128::from(u8::MAX - f.severity as u8) << 112)
                | (u128::from(path) << 80)
                | (u128::from(f.location.line) << 48)
                | (u128::from(f.location.col) << 16)
                | u128::from(rule),
            index: index as u32,
        })
        .collect();
    drop(path_rank);
    drop(rule_rank);
    keys.sort_unstable_by(|a, b| {
        a.place.cmp(&b.place).then_with(|| {
            let (a, b) = (&findings[a.index as usize], &findings[b.index as usize]);
            a.resource
                .cmp(&b.resource)
                .then_with(|| a.fingerprint.cmp(&b.fingerprint))
        })
    });
    let mut order: Vec<usize> = keys.into_iter().map(|k| k.index as usize).collect();
    apply_permutation(findings, &mut order);
}

/// A finding's sort key: severity (most severe first), path rank, line,
/// column and rule rank packed into one integer, so that nearly every
/// comparison is one integer compare; only findings of the same rule at
/// the same place look at the findings themselves.
struct SortKey {
    place: u128,
    index: u32,
}

/// For each finding, the rank of its rule id among the distinct ids (a
/// scan has a few dozen rules).
fn rule_ranks(findings: &[Finding]) -> Vec<u16> {
    let mut ids: Vec<&str> = Vec::new();
    let mut last = "";
    for f in findings {
        // Findings come in runs of the same rule: most skip the search.
        if !std::ptr::eq(last, f.rule_id) && !ids.contains(&f.rule_id) {
            ids.push(f.rule_id);
        }
        last = f.rule_id;
    }
    ids.sort_unstable();
    let mut previous: Option<(&str, u16)> = None;
    findings
        .iter()
        .map(|f| match previous {
            Some((id, rank)) if std::ptr::eq(id, f.rule_id) => rank,
            _ => {
                let rank = ids.binary_search(&f.rule_id).unwrap_or(0) as u16;
                previous = Some((f.rule_id, rank));
                rank
            }
        })
        .collect()
}

/// For each finding, the rank of its path in the sorted list of distinct
/// paths. Findings arrive grouped by input, so comparing with the previous
/// finding's path avoids most lookups.
fn path_ranks(findings: &[Finding]) -> Vec<u32> {
    let mut distinct: Vec<&str> = Vec::new();
    let mut slot_of: std::collections::HashMap<&str, u32> = std::collections::HashMap::new();
    let mut slots = Vec::with_capacity(findings.len());
    let mut previous: Option<(&str, u32)> = None;
    for f in findings {
        let path = f.location.path.as_str();
        let slot = match previous {
            Some((p, slot)) if p == path => slot,
            _ => *slot_of.entry(path).or_insert_with(|| {
                distinct.push(path);
                (distinct.len() - 1) as u32
            }),
        };
        previous = Some((path, slot));
        slots.push(slot);
    }
    let mut by_name: Vec<u32> = (0..distinct.len() as u32).collect();
    by_name.sort_unstable_by(|&a, &b| distinct[a as usize].cmp(distinct[b as usize]));
    let mut rank_of_slot = vec![0u32; distinct.len()];
    for (rank, slot) in by_name.into_iter().enumerate() {
        rank_of_slot[slot as usize] = rank as u32;
    }
    slots
        .into_iter()
        .map(|slot| rank_of_slot[slot as usize])
        .collect()
}

/// Rearrange `items` so that position i holds what was at `order[i]`,
/// swapping along the permutation's cycles: each item moves about once, and
/// no second vector of items is needed. `order` is used up as scratch.
fn apply_permutation<T>(items: &mut [T], order: &mut [usize]) {
    for start in 0..items.len() {
        let mut current = start;
        while order[current] != start {
            let source = order[current];
            items.swap(current, source);
            order[current] = current;
            current = source;
        }
        order[current] = current;
    }
}

/// Order the inputs largest first, so that the last inputs the worker
/// threads pick up are small ones and no thread is left alone with one big
/// template while the others idle. (The report's order does not depend on
/// this: `sort_findings` decides it.) A file that cannot be read counts as
/// empty; reading it reports the error.
fn largest_first(candidates: &mut [Candidate]) {
    let size = |file: &SourceFile| std::fs::metadata(&file.path).map_or(0, |m| m.len());
    // Stable: equal sizes keep the walk's order, so runs are reproducible.
    candidates.sort_by_cached_key(|candidate| {
        std::cmp::Reverse(match candidate {
            Candidate::Document { file, .. } => size(file),
            Candidate::TerraformModule { files, .. } => files.iter().map(size).sum(),
        })
    });
}

fn input_error(err: &LoadError) -> InputError {
    InputError {
        location: err.source_ref(),
        message: err.message.clone(),
    }
}

fn candidate_name(candidate: &Candidate) -> &str {
    match candidate {
        Candidate::Document { file, .. } => &file.display,
        Candidate::TerraformModule { dir, .. } => dir,
    }
}

/// A loader or check that panics on some input must not take the scan
/// down: the input becomes an error and the others go on.
fn process_guarded(
    candidate: &Candidate,
    max_file_size: u64,
    opts: &AuditOptions,
    loaders: &Loaders,
) -> UnitResult {
    match catch_unwind(AssertUnwindSafe(|| {
        process(candidate, max_file_size, opts, loaders)
    })) {
        Ok(result) => result,
        Err(panic) => UnitResult {
            errors: vec![panic_error(candidate_name(candidate), panic.as_ref())],
            ..UnitResult::default()
        },
    }
}

fn panic_error(name: &str, panic: &(dyn std::any::Any + Send)) -> InputError {
    let detail = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    let mut message = format!("internal error while reading {name} (please report)");
    if !detail.is_empty() {
        message.push_str(": ");
        message.push_str(&detail);
    }
    InputError {
        location: SourceRef::new(name, 0, 0),
        message,
    }
}

type LoadOne = fn(&str, &str) -> Result<Deployment, LoadError>;
type LoadModule = fn(&[(String, String)]) -> (Option<Deployment>, Vec<LoadError>);

/// The loader entry points, swappable so tests can make one misbehave.
struct Loaders {
    cloudformation: LoadOne,
    serverless: LoadOne,
    plan: LoadOne,
    module: LoadModule,
}

impl Loaders {
    const REAL: Loaders = Loaders {
        cloudformation: fnguard_model::cfn::load,
        serverless: fnguard_model::serverless::load,
        plan: fnguard_model::terraform::load_plan,
        module: fnguard_model::terraform::load_module,
    };
}

fn process(
    candidate: &Candidate,
    max_file_size: u64,
    opts: &AuditOptions,
    loaders: &Loaders,
) -> UnitResult {
    let mut out = UnitResult::default();
    match candidate {
        Candidate::Document { file, explicit } => {
            match discover::read_candidate(file, max_file_size) {
                Ok(Some((kind, text))) => {
                    out.files_read = 1;
                    let load = match kind {
                        Kind::CloudFormation => loaders.cloudformation,
                        Kind::Serverless => loaders.serverless,
                        Kind::TerraformPlan => loaders.plan,
                    };
                    match load(&file.display, &text) {
                        Ok(dep) => {
                            let files = [(file.display.clone(), file.path.clone())];
                            let found = packages::code_refs(&dep, &files);
                            out.code.refs.extend(found.refs);
                            out.code.links.extend(found.links);
                            out.iac_files.push(file.path.clone());
                            audit_into(&dep, opts, &mut out)
                        }
                        Err(err) => out.errors.push(input_error(&err)),
                    }
                }
                Ok(None) if *explicit => {
                    out.errors.push(input_error(&discover::not_an_input(file)))
                }
                Ok(None) => out.skipped = 1,
                Err(err) => out.errors.push(input_error(&err)),
            }
        }
        Candidate::TerraformModule { files, .. } => {
            let texts = read_module(files, max_file_size, &mut out);
            if texts.is_empty() {
                return out;
            }
            let (dep, load_errors) = (loaders.module)(&texts);
            out.errors.extend(load_errors.iter().map(input_error));
            if let Some(dep) = dep {
                let on_disk: Vec<(String, PathBuf)> = files
                    .iter()
                    .map(|f| (f.display.clone(), f.path.clone()))
                    .collect();
                let found = packages::code_refs(&dep, &on_disk);
                out.code.refs.extend(found.refs);
                out.code.links.extend(found.links);
                out.iac_files.extend(files.iter().map(|f| f.path.clone()));
                audit_into(&dep, opts, &mut out);
            }
        }
    }
    out
}

fn read_module(
    files: &[SourceFile],
    max_file_size: u64,
    out: &mut UnitResult,
) -> Vec<(String, String)> {
    let mut texts = Vec::with_capacity(files.len());
    for file in files {
        match discover::read_source(file, max_file_size) {
            Ok(text) => {
                out.files_read += 1;
                texts.push((file.display.clone(), text));
            }
            Err(err) => out.errors.push(input_error(&err)),
        }
    }
    texts
}

fn audit_into(dep: &Deployment, opts: &AuditOptions, out: &mut UnitResult) {
    out.deployments += 1;
    out.findings.extend(fnguard_audit::audit(dep, opts));
    out.warnings.extend(dep.warnings.iter().map(|w| InputError {
        location: SourceRef::new(dep.file(w.loc), w.loc.line, w.loc.col),
        message: w.message.clone(),
    }));
}

#[cfg(test)]
pub(crate) mod testing {
    use fnguard_core::{Area, RuleMeta, Severity};

    /// Rule metadata for tests, independent of which checks exist.
    pub fn rule(id: &str) -> &'static RuleMeta {
        let id: &'static str = Box::leak(id.to_string().into_boxed_str());
        Box::leak(Box::new(RuleMeta {
            id,
            area: Area::Trig,
            severity: Severity::High,
            guide: &["3.1.2"],
            attack: &["T1190"],
            title_en: "title",
            title_zh: "标题",
            description_en: "d",
            description_zh: "描述",
            risk_en: "r",
            risk_zh: "风险",
            remediation_en: "m",
            remediation_zh: "修复",
            references: &["https://example.invalid"],
        }))
    }

    pub fn rules() -> Vec<&'static RuleMeta> {
        [
            "FG-IAM-001",
            "FG-TRIG-001",
            "FG-TRIG-002",
            "FG-SEC-001",
            "FG-RT-002",
            "FG-LOG-003",
            "FG-NET-001",
        ]
        .into_iter()
        .map(rule)
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fnguard_core::{Severity, Text};
    use std::path::Path;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn inputs_are_processed_largest_first_and_ties_keep_their_order() {
        let dir = std::env::temp_dir().join(format!("fnguard-largest-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = |name: &str, bytes: usize| {
            let path = dir.join(name);
            std::fs::write(&path, "x".repeat(bytes)).unwrap();
            SourceFile {
                path,
                display: name.to_string(),
            }
        };
        let doc = |file: SourceFile| Candidate::Document {
            file,
            explicit: false,
        };
        let mut candidates = vec![
            doc(file("small-a.yaml", 10)),
            doc(file("big.yaml", 500)),
            Candidate::TerraformModule {
                dir: "tf".to_string(),
                files: vec![file("a.tf", 200), file("b.tf", 200)],
            },
            doc(file("small-b.yaml", 10)),
            doc(SourceFile {
                path: dir.join("missing.yaml"),
                display: "missing.yaml".to_string(),
            }),
        ];
        largest_first(&mut candidates);
        let names: Vec<&str> = candidates.iter().map(candidate_name).collect();
        assert_eq!(
            names,
            [
                "big.yaml",
                "tf",
                "small-a.yaml",
                "small-b.yaml",
                "missing.yaml"
            ]
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn apply_permutation_moves_each_item_to_its_place() {
        // Every permutation of five items, against the obvious version.
        let mut order: Vec<usize> = (0..5).collect();
        let mut count = 0;
        loop {
            let items: Vec<char> = "abcde".chars().collect();
            let expected: Vec<char> = order.iter().map(|&i| items[i]).collect();
            let mut moved = items.clone();
            apply_permutation(&mut moved, &mut order.clone());
            assert_eq!(moved, expected, "order {order:?}");
            count += 1;
            // Next permutation in lexicographic order.
            let Some(i) = (0..4).rev().find(|&i| order[i] < order[i + 1]) else {
                break;
            };
            let j = (i + 1..5).rev().find(|&j| order[j] > order[i]).unwrap();
            order.swap(i, j);
            order[i + 1..].reverse();
        }
        assert_eq!(count, 120);
    }

    #[test]
    fn sort_findings_matches_the_plain_comparison() {
        let paths = ["b/t.yaml", "a/t.yaml", "a/x.tf", "a/t.yaml.bak", "a/t"];
        let severities = [Severity::Low, Severity::Critical, Severity::Medium];
        let mut findings = Vec::new();
        let mut seed = 7u32;
        let mut next = |n: u32| {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (seed >> 16) % n
        };
        // Lines and columns include values that use every bit of the
        // packed key's fields.
        let lines = [0, 1, 5, 70_000, u32::MAX];
        let columns = [1, 2, 65_536, u32::MAX];
        for _ in 0..400 {
            let mut f = finding(
                ["FG-A-001", "FG-B-002", "FG-AA-003"][next(3) as usize],
                paths[next(5) as usize],
                lines[next(5) as usize],
                ["r1", "r2", "r10"][next(3) as usize],
                severities[next(3) as usize],
            );
            f.location.col = columns[next(4) as usize];
            findings.push(f);
        }
        let mut expected = findings.clone();
        expected.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.location.path.cmp(&b.location.path))
                .then_with(|| a.location.line.cmp(&b.location.line))
                .then_with(|| a.location.col.cmp(&b.location.col))
                .then_with(|| a.rule_id.cmp(b.rule_id))
                .then_with(|| a.resource.cmp(&b.resource))
                .then_with(|| a.fingerprint.cmp(&b.fingerprint))
        });
        sort_findings(&mut findings);
        let key = |f: &Finding| {
            (
                f.severity,
                f.location.path.clone(),
                f.location.line,
                f.location.col,
                f.rule_id,
                f.resource.clone(),
                f.fingerprint.to_string(),
            )
        };
        let got: Vec<_> = findings.iter().map(key).collect();
        let want: Vec<_> = expected.iter().map(key).collect();
        assert_eq!(got, want);
    }

    fn finding(id: &str, path: &str, line: u32, resource: &str, severity: Severity) -> Finding {
        Finding::new(
            testing::rule(id),
            resource,
            SourceRef::new(path, line, 1),
            Text::new("m", "m"),
            "",
        )
        .with_severity(severity)
    }

    fn config(text: &str) -> Config {
        Config::parse_with_rules(text, "fnguard.toml", &testing::rules()).expect("config")
    }

    #[test]
    fn settings_disable_override_suppress_and_sort() {
        let cfg = config(
            r#"
[rules]
disable = ["FG-LOG-003"]
[rules.severity]
"FG-RT-002" = "critical"
[[ignore]]
id = "FG-TRIG-002"
resource = "Hook"
reason = "signed webhook"
"#,
        );
        let findings = vec![
            finding("FG-LOG-003", "a.yaml", 1, "F", Severity::Info),
            finding("FG-TRIG-002", "a.yaml", 9, "Hook", Severity::High),
            finding("FG-TRIG-002", "a.yaml", 5, "Api", Severity::High),
            finding("FG-RT-002", "b.yaml", 2, "F", Severity::Low),
            finding("FG-SEC-001", "a.yaml", 7, "F", Severity::Critical),
        ];
        let baseline_json = BaselineFile::from_findings(&[findings[4].clone()], "t").to_json();
        let baseline = Baseline::parse(&baseline_json, "b.json").expect("baseline");
        let out = apply_settings(findings, &cfg, Some(&baseline));
        let summary: Vec<(String, Severity, Option<SuppressionKind>)> = out
            .iter()
            .map(|f| {
                (
                    format!("{}@{}:{}", f.rule_id, f.location.path, f.location.line),
                    f.severity,
                    f.suppressed.as_ref().map(|s| s.kind),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (
                    "FG-SEC-001@a.yaml:7".to_string(),
                    Severity::Critical,
                    Some(SuppressionKind::Baseline)
                ),
                ("FG-RT-002@b.yaml:2".to_string(), Severity::Critical, None),
                ("FG-TRIG-002@a.yaml:5".to_string(), Severity::High, None),
                (
                    "FG-TRIG-002@a.yaml:9".to_string(),
                    Severity::High,
                    Some(SuppressionKind::Config)
                ),
            ]
        );
        assert_eq!(
            out[3].suppressed.as_ref().and_then(|s| s.reason.as_deref()),
            Some("signed webhook")
        );
    }

    #[test]
    fn in_source_suppressions_are_kept() {
        let mut inline = finding("FG-TRIG-002", "a.yaml", 1, "Hook", Severity::High);
        inline.suppressed = Some(Suppression {
            kind: SuppressionKind::Inline,
            reason: Some("why".into()),
        });
        let cfg = config("[[ignore]]\nid = \"FG-TRIG-002\"\n");
        let out = apply_settings(vec![inline], &cfg, None);
        assert_eq!(
            out[0].suppressed.as_ref().map(|s| s.kind),
            Some(SuppressionKind::Inline)
        );
    }

    #[test]
    fn fail_threshold_ignores_suppressed_findings() {
        let mut outcome = ScanOutcome {
            report: Report {
                tool_name: TOOL_NAME.into(),
                tool_version: TOOL_VERSION.into(),
                scan_root: ".".into(),
                scan_date: "2026-01-01".into(),
                files_scanned: 0,
                deployments_scanned: 0,
                findings: vec![finding("FG-RT-002", "a", 1, "F", Severity::Medium)],
                errors: Vec::new(),
                rules: Vec::new(),
                inventory: Vec::new(),
                advisories_checked: false,
            },
            warnings: Vec::new(),
            notes: Vec::new(),
            files_skipped: 0,
            inventories: Vec::new(),
            layer_links: Vec::new(),
        };
        assert!(outcome.fails(FailOn::AtLeast(Severity::Medium)));
        assert!(!outcome.fails(FailOn::AtLeast(Severity::High)));
        assert!(!outcome.fails(FailOn::Never));
        outcome.report.findings[0].suppressed = Some(Suppression {
            kind: SuppressionKind::Baseline,
            reason: None,
        });
        assert!(!outcome.fails(FailOn::AtLeast(Severity::Info)));
    }

    fn temp_dir(name: &str) -> PathBuf {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "fnguard-engine-{name}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    fn write(dir: &Path, rel: &str, text: &str) {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }

    const CFN: &str = "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Fn:\n    Type: AWS::Lambda::Function\n";

    #[test]
    fn a_bad_file_is_an_error_and_the_good_one_is_still_scanned() {
        let dir = temp_dir("bad");
        write(&dir, "good.yaml", CFN);
        write(
            &dir,
            "bad.yaml",
            "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Fn: [unclosed\n",
        );
        write(&dir, "notes.yaml", "just: notes\n");
        let outcome = scan(&ScanOptions::new(vec![dir.clone()], Date::today()));
        let report = &outcome.report;
        assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
        let err = &report.errors[0];
        assert!(
            err.location.path.ends_with("/bad.yaml"),
            "errors use the same display paths as findings: {err:?}"
        );
        assert!(err.location.line >= 3, "{err:?}");
        assert_eq!(report.files_scanned, 2);
        assert_eq!(report.deployments_scanned, 1);
        assert_eq!(outcome.files_skipped, 1);
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn panicking_load(_: &str, _: &str) -> Result<Deployment, LoadError> {
        panic!("loader bug")
    }

    #[test]
    fn a_panicking_loader_becomes_an_input_error() {
        let dir = temp_dir("panic");
        write(&dir, "t.yaml", CFN);
        let candidate = Candidate::Document {
            file: SourceFile {
                path: dir.join("t.yaml"),
                display: "t.yaml".into(),
            },
            explicit: false,
        };
        let loaders = Loaders {
            cloudformation: panicking_load,
            ..Loaders::REAL
        };
        let opts = AuditOptions {
            scan_date: Date::today(),
            lang: None,
        };
        let result = process_guarded(&candidate, u64::MAX, &opts, &loaders);
        assert_eq!(result.errors.len(), 1, "{:?}", result.errors);
        let err = &result.errors[0];
        assert_eq!(err.location.path, "t.yaml");
        assert!(err
            .message
            .contains("internal error while reading t.yaml (please report)"));
        assert!(err.message.contains("loader bug"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Every `fnguard.toml` shipped in the repository loads, and rejects a
    /// misspelt key (vector's habit: examples are tested, strictness too).
    #[test]
    fn shipped_configs_load_and_reject_a_bogus_key() {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut found = Vec::new();
        for top in ["examples", "docs", "tests"] {
            collect_configs(&repo.join(top), &mut found);
        }
        for path in found {
            let text = std::fs::read_to_string(&path).expect("read config");
            let name = path.display().to_string();
            if let Err(e) = Config::parse(&text, &name) {
                panic!("{e}");
            }
            let bogus = format!("{text}\n[scan]\nbogus_key = 1\n");
            assert!(Config::parse(&bogus, &name).is_err(), "{name}");
            let bogus = format!("bogus_key = 1\n{text}");
            let err = Config::parse(&bogus, &name).expect_err("bogus key");
            assert_eq!(err.line, 1, "{err}");
        }
    }

    fn collect_configs(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                collect_configs(&path, out);
            } else if path
                .file_name()
                .is_some_and(|n| n == config::CONFIG_FILE_NAME)
            {
                out.push(path);
            }
        }
    }

    #[test]
    fn config_excludes_apply_to_discovery() {
        let dir = temp_dir("exclude");
        write(&dir, "keep/t.yaml", CFN);
        write(
            &dir,
            "legacy/t.yaml",
            "AWSTemplateFormatVersion: x\nResources: [\n",
        );
        let mut opts = ScanOptions::new(vec![dir.clone()], Date::today());
        opts.config = config("[scan]\nexclude = [\"legacy/\"]\n");
        let outcome = scan(&opts);
        assert!(
            outcome.report.errors.is_empty(),
            "{:?}",
            outcome.report.errors
        );
        assert_eq!(outcome.report.files_scanned, 1);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
