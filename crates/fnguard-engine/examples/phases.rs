//! Where a scan spends its time, per input format and per phase, on one
//! thread: `cargo run --release -p fnguard-engine --example phases -- DIR`.
//! Phases: read + sniff, parse (the generic tree of YAML/JSON documents),
//! load (parse again + transform + model), audit. Used to pick what to
//! optimise (see BENCHMARKS.md); not part of the tool.

use fnguard_audit::AuditOptions;
// The allocator the scan uses (declared by the engine).
use fnguard_core::Date;
use fnguard_engine as _;
use fnguard_model::discover::{self, Candidate, DiscoverOptions, Kind};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(Default)]
struct Row {
    inputs: usize,
    bytes: usize,
    read: Duration,
    parse: Duration,
    load: Duration,
    audit: Duration,
    findings: usize,
}

fn main() {
    let roots: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    let walk = discover::walk(&roots, &DiscoverOptions::default());
    let opts = AuditOptions {
        scan_date: Date::today(),
        lang: None,
    };
    let max = discover::DEFAULT_MAX_FILE_SIZE;
    let mut rows: BTreeMap<&str, Row> = BTreeMap::new();
    for candidate in &walk.candidates {
        let start = Instant::now();
        match candidate {
            Candidate::Document { file, .. } => {
                let Ok(Some((kind, text))) = discover::read_candidate(file, max) else {
                    continue;
                };
                let read = start.elapsed();
                let json = text.trim_start().starts_with('{');
                let name = match (kind, json) {
                    (Kind::CloudFormation, true) => "cfn-json",
                    (Kind::CloudFormation, false) => "cfn-yaml/sam",
                    (Kind::Serverless, _) => "serverless",
                    (Kind::TerraformPlan, _) => "tf-plan",
                };
                let row = rows.entry(name).or_default();
                row.inputs += 1;
                row.bytes += text.len();
                row.read += read;
                let t = Instant::now();
                let parsed = fnguard_model::parse_document(&text, 0, &file.display);
                row.parse += t.elapsed();
                drop(parsed);
                let t = Instant::now();
                let loaded = match kind {
                    Kind::CloudFormation => fnguard_model::cfn::load(&file.display, &text),
                    Kind::Serverless => fnguard_model::serverless::load(&file.display, &text),
                    Kind::TerraformPlan => {
                        fnguard_model::terraform::load_plan(&file.display, &text)
                    }
                };
                row.load += t.elapsed();
                if let Ok(dep) = loaded {
                    let t = Instant::now();
                    row.findings += fnguard_audit::audit(&dep, &opts).len();
                    row.audit += t.elapsed();
                }
            }
            Candidate::TerraformModule { files, .. } => {
                let texts: Vec<(String, String)> = files
                    .iter()
                    .filter_map(|f| {
                        discover::read_source(f, max)
                            .ok()
                            .map(|t| (f.display.clone(), t))
                    })
                    .collect();
                let row = rows.entry("terraform").or_default();
                row.read += start.elapsed();
                row.inputs += 1;
                row.bytes += texts.iter().map(|(_, t)| t.len()).sum::<usize>();
                // No parse column for Terraform: its fast reader (with
                // hcl-edit as the fallback) is internal to the loader, and
                // timing hcl-edit alone would no longer show the real parse.
                let t = Instant::now();
                let (dep, _) = fnguard_model::terraform::load_module(&texts);
                row.load += t.elapsed();
                if let Some(dep) = dep {
                    let t = Instant::now();
                    row.findings += fnguard_audit::audit(&dep, &opts).len();
                    row.audit += t.elapsed();
                }
            }
        }
    }
    println!(
        "{:<14} {:>6} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}",
        "format", "inputs", "MB", "read", "parse", "load", "audit", "MB/s", "findings"
    );
    let mut total = Row::default();
    for (name, row) in &rows {
        print_row(name, row);
        total.inputs += row.inputs;
        total.bytes += row.bytes;
        total.read += row.read;
        total.parse += row.parse;
        total.load += row.load;
        total.audit += row.audit;
        total.findings += row.findings;
    }
    print_row("total", &total);
    println!("(times in s; parse is included in load and shown for documents only, not Terraform; MB/s = bytes / (read + load + audit))");
}

fn print_row(name: &str, row: &Row) {
    let mb = row.bytes as f64 / 1e6;
    let spent = (row.read + row.load + row.audit).as_secs_f64();
    println!(
        "{:<14} {:>6} {:>8.1} {:>8.3} {:>8.3} {:>8.3} {:>8.3} {:>8.1} {:>8}",
        name,
        row.inputs,
        mb,
        row.read.as_secs_f64(),
        row.parse.as_secs_f64(),
        row.load.as_secs_f64(),
        row.audit.as_secs_f64(),
        mb / spent.max(1e-9),
        row.findings
    );
}
