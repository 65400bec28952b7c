//! `fnguard scan`: wire the arguments into the engine, print, pick the exit
//! code.

use crate::args::ScanArgs;
use crate::output;
use crate::sbom;
use crate::ExitCode;
use fnguard_core::report::{render_graph, render_to, GraphFormat, RenderOptions};
use fnguard_core::Date;
use fnguard_engine::{scan, Baseline, BaselineFile, Config, ScanOptions, SettingsError};
use fnguard_scan::archive::Limits;
use fnguard_scan::deps::osv::Db;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub fn run(args: ScanArgs) -> ExitCode {
    let settings_error = |e: &SettingsError| {
        output::stderr_line(&format!(
            "error: {}",
            output::located(&e.path, e.line, e.col, &e.message)
        ));
        ExitCode::Error
    };
    // A bad --graph format is a usage error: refuse it before scanning.
    let graph = match args.graph.as_deref() {
        Some([format, file]) => match GraphFormat::parse(format) {
            Some(format) => Some((format, PathBuf::from(file))),
            None => {
                output::stderr_line(&format!(
                    "error: invalid --graph format `{format}` (expected dot or mermaid)"
                ));
                return ExitCode::Error;
            }
        },
        _ => None,
    };
    let config_path = args.config.clone().or_else(|| Config::find(&args.paths));
    let config = match config_path {
        Some(path) => match Config::load(&path) {
            Ok(config) => config,
            Err(e) => return settings_error(&e),
        },
        None => Config::default(),
    };
    let baseline = match &args.baseline {
        Some(path) => match Baseline::load(path) {
            Ok(baseline) => Some(baseline),
            Err(e) => return settings_error(&e),
        },
        None => None,
    };
    let fail_on = args.fail_on.or(config.fail_on).unwrap_or_default();
    let mut opts = ScanOptions::new(
        args.paths.clone(),
        args.scan_date.unwrap_or_else(Date::today),
    );
    opts.excludes = args.exclude.clone();
    opts.max_file_size = args.max_file_size;
    opts.config = config;
    opts.baseline = baseline;
    opts.packages.enabled = !args.no_packages;
    opts.packages.limits = Limits {
        total_bytes: args.package_max_bytes,
        entry_bytes: args.package_max_file_bytes,
        max_ratio: args.package_max_ratio,
        max_entries: args.package_max_entries,
        max_depth: args.package_max_depth,
        ..Limits::default()
    };
    if let Some(dir) = &args.osv_db {
        match load_osv_db(dir, args.verbose) {
            Ok(db) => opts.packages.osv_db = Some(Arc::new(db)),
            Err(message) => {
                output::stderr_line(&format!("error: {message}"));
                return ExitCode::Error;
            }
        }
    }
    // The report is rendered once, in this language.
    opts.lang = Some(args.lang);

    let outcome = scan(&opts);
    let report = &outcome.report;

    for error in &report.errors {
        let loc = &error.location;
        output::stderr_line(&format!(
            "error: {}",
            output::located(&loc.path, loc.line, loc.col, &error.message)
        ));
    }
    if args.verbose {
        for warning in &outcome.warnings {
            let loc = &warning.location;
            output::stderr_line(&format!(
                "warning: {}",
                output::located(&loc.path, loc.line, loc.col, &warning.message)
            ));
        }
    }
    if !args.quiet && !args.verbose && !outcome.warnings.is_empty() {
        output::stderr_line(&format!(
            "note: {} part(s) of the inputs were not understood; --verbose lists them",
            outcome.warnings.len()
        ));
    }
    if !args.quiet {
        for note in &outcome.notes {
            output::stderr_line(&format!("note: {note}"));
        }
    }

    let mut failed_to_write = false;
    if let Some(path) = &args.write_baseline {
        let file = BaselineFile::from_findings(
            &report.findings,
            &format!("{} {}", report.tool_name, report.tool_version),
        );
        match std::fs::write(path, file.to_json()) {
            Ok(()) => {
                if !args.quiet {
                    output::stderr_line(&format!(
                        "note: wrote baseline {} with {} finding(s)",
                        path.display(),
                        file.findings.len()
                    ));
                }
            }
            Err(e) => {
                output::stderr_line(&format!(
                    "error: cannot write baseline {}: {e}",
                    path.display()
                ));
                failed_to_write = true;
            }
        }
    }

    let render_opts = RenderOptions {
        lang: args.lang,
        color: output::use_color(args.no_color, args.output.is_some()),
        show_suppressed: args.show_suppressed,
    };
    let written = match &args.output {
        Some(path) => std::fs::File::create(path)
            .and_then(|file| {
                let mut out = std::io::BufWriter::new(file);
                render_to(report, args.format, &render_opts, &mut out)?;
                out.flush()
            })
            .map_err(|e| (path.display().to_string(), e)),
        None => output::stdout_with(|out| render_to(report, args.format, &render_opts, out))
            .map_err(|e| ("standard output".to_string(), e)),
    };
    if let Err((target, e)) = written {
        output::stderr_line(&format!("error: cannot write {target}: {e}"));
        failed_to_write = true;
    }
    if let Some((format, path)) = &graph {
        let drawn = std::fs::File::create(path).and_then(|file| {
            let mut out = std::io::BufWriter::new(file);
            render_graph(report, *format, args.lang, &mut out)?;
            out.flush()
        });
        if let Err(e) = drawn {
            output::stderr_line(&format!("error: cannot write {}: {e}", path.display()));
            failed_to_write = true;
        }
    }
    if let Some(path) = &args.sbom {
        let bom = sbom::render(&outcome, opts.packages.osv_db.as_deref());
        let written = std::fs::write(path, bom.as_bytes());
        if let Err(e) = written {
            output::stderr_line(&format!("error: cannot write {}: {e}", path.display()));
            failed_to_write = true;
        }
    }
    if !args.quiet
        && args.output.is_some()
        && report.suppressed_count() > 0
        && !args.show_suppressed
    {
        output::stderr_line(&format!(
            "note: {} finding(s) suppressed",
            report.suppressed_count()
        ));
    }

    let code = if failed_to_write || !report.errors.is_empty() {
        ExitCode::Error
    } else if args.write_baseline.is_some() {
        ExitCode::Clean
    } else if outcome.fails(fail_on) {
        ExitCode::Findings
    } else {
        ExitCode::Clean
    };
    // The process exits right after: freeing every finding one by one was
    // 6.5% of a large scan's CPU time for nothing.
    std::mem::forget(outcome);
    code
}

/// Loads the advisory database once for the whole scan. Records that do
/// not parse are skipped and counted (listed with --verbose); a folder
/// that cannot be read, or holds no advisory at all, is an error.
fn load_osv_db(dir: &Path, verbose: bool) -> Result<Db, String> {
    let db = Db::load_dir(dir)
        .map_err(|e| format!("cannot read the OSV database {}: {e}", dir.display()))?;
    if db.is_empty() {
        return Err(format!(
            "no OSV advisory in {} (expected <DIR>/<Ecosystem>/all.zip or OSV JSON files)",
            dir.display()
        ));
    }
    if !db.issues().is_empty() {
        if verbose {
            for issue in db.issues() {
                output::stderr_line(&format!("warning: {}: {}", issue.source, issue.message));
            }
        } else {
            output::stderr_line(&format!(
                "note: {} OSV record(s) in {} could not be read and were skipped; --verbose lists them",
                db.issues().len(),
                dir.display()
            ));
        }
    }
    Ok(db)
}
