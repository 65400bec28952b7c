//! `fnguard detect`: Sigma rules over streamed log events; one alert per
//! rule that matches an event, as it is read.

use crate::args::{level_rank, DetectArgs, DetectFormat};
use crate::output;
use crate::ExitCode;
use fnguard_detect::input::{self, Event, Interest, Limits, Projection};
use fnguard_detect::sigma::{Rule, RuleSet};
use serde::Serialize;
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};

pub fn run(args: DetectArgs) -> ExitCode {
    let mut input_errors = 0usize;
    let mut rules = Vec::new();
    // Pack rules are known by their source file; alerts name their
    // FG-DET id.
    let mut fnguard_ids = std::collections::HashMap::new();
    if !args.no_builtin {
        match fnguard_detect::pack::builtin() {
            Ok(pack) => {
                for entry in pack {
                    fnguard_ids.insert(entry.rule.source.clone(), entry.id);
                    rules.push(entry.rule);
                }
            }
            Err(errors) => {
                for e in errors {
                    output::stderr_line(&format!("error: {e}"));
                }
                return ExitCode::Error;
            }
        }
    }
    for path in &args.rules {
        for file in rule_files(path, &mut input_errors) {
            match Rule::load_file(&file) {
                Ok(loaded) => rules.extend(loaded),
                Err(e) => {
                    // One broken rule file does not stop the others.
                    output::stderr_line(&format!("error: {e}"));
                    input_errors += 1;
                }
            }
        }
    }
    if rules.is_empty() {
        output::stderr_line(
            "error: no Sigma rule loaded (--rules FILE or FOLDER, or drop --no-builtin)",
        );
        return ExitCode::Error;
    }
    let rule_count = rules.len();
    let set = RuleSet::new(rules);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut alerts = 0usize;
    let mut worst = None::<u8>;
    // The fast path: events no rule can match are not parsed, and the
    // others only as far as the rules and the alert read them.
    let prefilter = set.prefilter();
    let projection = set.fields_read().map(|fields| {
        let mut projection = Projection::of_paths(fields.iter().map(String::as_str));
        for field in ALERT_FIELDS {
            projection.add(field);
        }
        projection
    });
    let mut wants = |raw: &[u8]| prefilter.wants(raw);
    let mut interest = Interest {
        wants: &mut wants,
        projection: projection.as_ref(),
    };
    let stats = input::read_paths_with(
        &args.paths,
        Limits {
            max_file_bytes: args.max_file_bytes,
        },
        &mut interest,
        &mut |event| {
            for rule in set.matching(&event.value) {
                alerts += 1;
                let rank = level_rank(rule.level.as_deref().unwrap_or(""));
                worst = worst.max(Some(rank));
                let fnguard_id = fnguard_ids.get(&rule.source).map(String::as_str);
                let _ = write_alert(&mut out, args.format, rule, fnguard_id, &event);
            }
        },
        &mut |e| output::stderr_line(&format!("error: {e}")),
    );
    let _ = out.flush();
    drop(out);
    output::stderr_line(&format!(
        "{} events from {} files, {rule_count} rules, {alerts} alerts{}",
        stats.events,
        stats.files,
        match stats.errors as usize + input_errors {
            0 => String::new(),
            n => format!(", {n} input errors"),
        }
    ));
    if stats.errors > 0 || input_errors > 0 {
        ExitCode::Error
    } else if worst.is_some_and(|w| w >= args.fail_on) {
        ExitCode::Findings
    } else {
        ExitCode::Clean
    }
}

/// The rule files under `path` (.yml, .yaml; `path` itself when it is a
/// file), walked as log folders are.
fn rule_files(path: &Path, errors: &mut usize) -> Vec<PathBuf> {
    let mut report = |e: input::InputError| {
        output::stderr_line(&format!("error: {e}"));
        *errors += 1;
    };
    let files = input::files_under(path, &mut report);
    if !path.is_dir() {
        return files;
    }
    files
        .into_iter()
        .filter(|f| f.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .collect()
}

#[derive(Serialize)]
struct AlertRule<'a> {
    /// `FG-DET-NNN` for fnguard's own rules.
    #[serde(skip_serializing_if = "Option::is_none")]
    fnguard_id: Option<&'a str>,
    id: Option<&'a str>,
    title: &'a str,
    level: Option<&'a str>,
    tags: &'a [String],
    source: &'a str,
}

#[derive(Serialize)]
struct AlertOrigin<'a> {
    file: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u64>,
    index: u64,
}

#[derive(Serialize)]
struct Alert<'a> {
    rule: AlertRule<'a>,
    time: Option<&'a str>,
    event_source: Option<&'a str>,
    event_name: Option<&'a str>,
    principal: Option<&'a str>,
    source_ip: Option<&'a str>,
    origin: AlertOrigin<'a>,
}

/// The event fields `write_alert` reads (as projection paths).
const ALERT_FIELDS: [&str; 5] = [
    "eventTime",
    "eventSource",
    "eventName",
    "userIdentity.arn",
    "sourceIPAddress",
];

fn text<'a>(event: &'a Value, pointer: &str) -> Option<&'a str> {
    event.pointer(pointer).and_then(Value::as_str)
}

fn write_alert(
    out: &mut impl Write,
    format: DetectFormat,
    rule: &Rule,
    fnguard_id: Option<&str>,
    event: &Event,
) -> std::io::Result<()> {
    let value = &event.value;
    let alert = Alert {
        rule: AlertRule {
            fnguard_id,
            id: rule.id.as_deref(),
            title: &rule.title,
            level: rule.level.as_deref(),
            tags: &rule.tags,
            source: &rule.source,
        },
        time: text(value, "/eventTime"),
        event_source: text(value, "/eventSource"),
        event_name: text(value, "/eventName"),
        principal: text(value, "/userIdentity/arn"),
        source_ip: text(value, "/sourceIPAddress"),
        origin: AlertOrigin {
            file: &event.origin.file,
            line: event.origin.line,
            index: event.origin.index,
        },
    };
    match format {
        DetectFormat::Jsonl => {
            serde_json::to_writer(&mut *out, &alert)?;
            writeln!(out)
        }
        DetectFormat::Table => {
            let location = match alert.origin.line {
                Some(line) => format!("{}:{line}", alert.origin.file),
                None => format!("{}#{}", alert.origin.file, alert.origin.index),
            };
            let title = match fnguard_id {
                Some(id) => format!("{id} {}", alert.rule.title),
                None => alert.rule.title.to_string(),
            };
            writeln!(
                out,
                "{:<13} {title}  {}  {}  {}  {}  {location}",
                alert.rule.level.unwrap_or("-"),
                alert.time.unwrap_or("-"),
                alert.event_name.unwrap_or("-"),
                alert.principal.unwrap_or("-"),
                alert.source_ip.unwrap_or("-"),
            )
        }
    }
}
