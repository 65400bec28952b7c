//! Secret-scanning throughput and recall on a generated corpus
//! (bench/secrets/gen_corpus.py): every file is read into memory first,
//! then scanned on this one thread; the time is the scan alone.
//!
//!     cargo run --release -p fnguard-scan --example secrets_bench -- OUT [--hits FILE]
//!     cargo run --release -p fnguard-scan --example secrets_bench -- --dir DIR [--hits FILE]
//!
//! OUT holds corpus/ and planted.tsv (file, offset, length, kind). Prints
//! MB/s on one core, recall on the planted secrets (per kind), and the
//! hits that are not planted ones (by rule), for a look at false positives.
//! With `--dir`, every file under DIR (real code, say) is scanned and all
//! hits are "other". `--hits FILE` writes every hit (file, rule, start,
//! end; sorted) so that two versions of the scanner can be compared with
//! `cmp`.

use fnguard_scan::secrets::Scanner;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::time::Instant;

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let hits_file = match args.iter().position(|a| a == "--hits") {
        Some(i) if i + 1 < args.len() => {
            let file = args.remove(i + 1);
            args.remove(i);
            Some(file)
        }
        Some(_) => {
            eprintln!("--hits needs a file");
            std::process::exit(2);
        }
        None => None,
    };
    let (root, planted_text) = match args.as_slice() {
        [flag, dir] if flag == "--dir" => (Path::new(dir).to_path_buf(), String::new()),
        [out] => (
            Path::new(out).join("corpus"),
            std::fs::read_to_string(Path::new(out).join("planted.tsv"))
                .expect("OUT/planted.tsv is readable"),
        ),
        _ => {
            eprintln!("usage: secrets_bench OUT | --dir DIR [--hits FILE]");
            std::process::exit(2);
        }
    };
    let mut files = Vec::new();
    read_tree(&root, &root, &mut files);
    files.sort();
    // (file, offset, length) -> kind
    let planted: HashMap<(String, usize, usize), String> = planted_text
        .lines()
        .filter_map(|line| {
            let mut f = line.split('\t');
            let file = f.next()?.to_string();
            let offset = f.next()?.parse().ok()?;
            let len = f.next()?.parse().ok()?;
            Some(((file, offset, len), f.next()?.to_string()))
        })
        .collect();

    let build = Instant::now();
    let scanner = Scanner::builtin().expect("built-in rules");
    let build_time = build.elapsed();
    let bytes: usize = files.iter().map(|(_, d)| d.len()).sum();

    // One warm-up pass over a slice, then the timed pass.
    for (_, data) in files.iter().take(2) {
        std::hint::black_box(scanner.scan(data));
    }
    // Three passes: the best and the median are printed (the machine may
    // be shared).
    let mut times = Vec::new();
    let mut results: Vec<(String, Vec<fnguard_scan::secrets::Hit>)> = Vec::new();
    for _ in 0..3 {
        let start = Instant::now();
        results = files
            .iter()
            .map(|(name, data)| (name.clone(), scanner.scan(data)))
            .collect();
        times.push(start.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let (best, median) = (times[0], times[times.len() / 2]);

    if let Some(path) = &hits_file {
        let mut listing = String::new();
        for (name, hits) in &results {
            for hit in hits {
                listing.push_str(&format!(
                    "{name}\t{}\t{}\t{}\n",
                    hit.rule_id, hit.range.start, hit.range.end
                ));
            }
        }
        std::fs::write(path, listing).expect("the hits file is writable");
    }

    let mut found: HashSet<(String, usize, usize)> = HashSet::new();
    let mut extra: BTreeMap<String, usize> = BTreeMap::new();
    for (name, hits) in &results {
        for hit in hits {
            let key = (name.clone(), hit.range.start, hit.range.len());
            if planted.contains_key(&key) {
                found.insert(key);
            } else {
                *extra.entry(hit.rule_id.clone()).or_default() += 1;
            }
        }
    }
    let mut per_kind: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for (key, kind) in &planted {
        let entry = per_kind.entry(kind.as_str()).or_default();
        entry.1 += 1;
        if found.contains(key) {
            entry.0 += 1;
        }
    }
    let mb = bytes as f64 / 1e6;
    println!(
        "{} rules (automaton built in {:.1} ms); {} files, {:.1} MB",
        scanner.rules().len(),
        build_time.as_secs_f64() * 1e3,
        files.len(),
        mb
    );
    println!(
        "scan: {best:.3} s on one thread (best of 3) = {:.0} MB/s per core; median {median:.3} s = {:.0} MB/s",
        mb / best,
        mb / median
    );
    println!(
        "recall: {}/{} planted secrets found exactly",
        found.len(),
        planted.len()
    );
    for (kind, (hit, total)) in &per_kind {
        println!("  {kind:<16} {hit}/{total}");
    }
    let mut missed: Vec<_> = planted
        .iter()
        .filter(|(key, _)| !found.contains(*key))
        .collect();
    missed.sort();
    for ((file, offset, _), kind) in missed {
        println!("  missed {kind} in {file} at byte {offset}");
    }
    println!(
        "other hits (not planted): {}",
        extra.values().sum::<usize>()
    );
    for (rule, count) in &extra {
        println!("  {rule} {count}");
    }
}

/// Every regular file under `dir`, named relative to `root`; symlinks are
/// not followed.
fn read_tree(root: &Path, dir: &Path, files: &mut Vec<(String, Vec<u8>)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let path = entry.path();
        if kind.is_dir() {
            read_tree(root, &path, files);
        } else if kind.is_file() {
            if let Ok(data) = std::fs::read(&path) {
                let name = path.strip_prefix(root).unwrap_or(&path);
                files.push((name.to_string_lossy().into_owned(), data));
            }
        }
    }
}
