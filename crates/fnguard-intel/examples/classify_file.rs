//! Benchmark driver: classify every line of a file with the built-in
//! knowledge base on one thread and print hosts per second.
//!
//!     classify_file HOSTS_FILE [PASSES]

use std::time::Instant;

fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .ok_or("usage: classify_file HOSTS_FILE [PASSES]")?;
    let passes: usize = match args.next() {
        Some(n) => n.parse().map_err(|e| format!("PASSES: {e}"))?,
        None => 5,
    };
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    let lines: Vec<&str> = text.lines().collect();
    let kb = fnguard_intel::builtin().map_err(|errors| {
        errors
            .iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    for pass in 1..=passes {
        let start = Instant::now();
        let mut matched = 0usize;
        let mut with_tenant = 0usize;
        for line in &lines {
            if let Some(found) = kb.classify(line) {
                matched += 1;
                with_tenant += usize::from(found.tenant().is_some());
            }
        }
        let seconds = start.elapsed().as_secs_f64();
        println!(
            "pass {pass}: {} hosts in {:.3} s = {:.2} M hosts/s; {matched} classified, {with_tenant} with a tenant id",
            lines.len(),
            seconds,
            lines.len() as f64 / seconds / 1e6
        );
    }
    Ok(())
}
