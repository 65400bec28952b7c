//! Prints, for a JSON-lines corpus, the events per second of the parts of
//! work every CloudTrail detector must do whatever its rules, on one core:
//! parsing each event (serde_json validating into nothing, serde_json
//! building a `Value`, simd-json building its tape) and writing an
//! alert-sized JSON string per alerting event. The corpus is read into
//! memory first, split into lines, so that disk and line splitting are not
//! counted: these are upper bounds.
use std::io::Write;
use std::time::Instant;

fn rate(label: &str, events: usize, bytes: usize, seconds: f64) {
    println!(
        "| {label} | {seconds:.3} | **{:.0}** | {:.0} |",
        events as f64 / seconds,
        bytes as f64 / seconds / 1e6
    );
}

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: detect-floor CORPUS.jsonl ALERT_FRACTION");
    let alert_fraction: f64 = args.next().map_or(1.0, |a| a.parse().expect("a fraction"));
    let data = std::fs::read(&path).expect("readable corpus");
    let lines: Vec<Vec<u8>> =
        data.split(|b| *b == b'\n').filter(|l| !l.is_empty()).map(<[u8]>::to_vec).collect();
    let (events, bytes) = (lines.len(), data.len());
    println!("| work (one core, in memory) | seconds | events/s | MB/s |");
    println!("|---|---|---|---|");

    let start = Instant::now();
    for line in &lines {
        let _: serde::de::IgnoredAny = serde_json::from_slice(line).expect("valid JSON");
    }
    rate("serde_json: validate only (IgnoredAny)", events, bytes, start.elapsed().as_secs_f64());

    let start = Instant::now();
    for line in &lines {
        let value: serde_json::Value = serde_json::from_slice(line).expect("valid JSON");
        std::hint::black_box(value);
    }
    rate("serde_json: whole Value", events, bytes, start.elapsed().as_secs_f64());

    let mut buffers = simd_json::Buffers::default();
    let mut work = lines.clone();
    let start = Instant::now();
    for line in work.iter_mut() {
        let tape = simd_json::to_tape_with_buffers(line, &mut buffers).expect("valid JSON");
        std::hint::black_box(tape.0.len());
    }
    rate("simd-json: tape", events, bytes, start.elapsed().as_secs_f64());

    // One alert per alerting event, as fnguard's JSON lines alert is about
    // 800 bytes: the first 800 bytes of the event written as an escaped JSON
    // string stands in for its text.
    let alerting = (events as f64 * alert_fraction) as usize;
    let sink = std::fs::File::create("/dev/null").expect("/dev/null");
    let mut out = std::io::BufWriter::with_capacity(1 << 16, sink);
    let start = Instant::now();
    for line in lines.iter().take(alerting) {
        let text = String::from_utf8_lossy(&line[..800.min(line.len())]);
        serde_json::to_writer(&mut out, text.as_ref()).expect("written");
        out.write_all(b"\n").expect("written");
    }
    out.flush().expect("flushed");
    let label = format!("serde_json: write {alerting} alert-sized strings ({:.0}% of events)", alert_fraction * 100.0);
    rate(&label, events, bytes, start.elapsed().as_secs_f64());
}
