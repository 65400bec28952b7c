//! `fnguard detect`: Sigma rules over streamed log events; each match
//! becomes an `Alert`, handed to the sinks (the format on standard output,
//! webhooks) through `fnguard_detect::output::Outputs`, which also applies
//! --min-severity, --suppress and --dedup.

use crate::args::{DetectArgs, DetectFormat, WebhookFormatArg};
use crate::output;
use crate::ExitCode;
use fnguard_detect::input::{self, Limits};
use fnguard_detect::output::dedup::DedupConfig;
use fnguard_detect::output::suppress::Suppressions;
use fnguard_detect::output::webhook::{parse_header, WebhookConfig, WebhookFormat};
use fnguard_detect::output::{rule_alert, Format, OutputOptions, Outputs, PackInfo};
use fnguard_detect::sigma::{Rule, RuleSet};
use std::path::{Path, PathBuf};

pub fn run(args: DetectArgs) -> ExitCode {
    let mut input_errors = 0usize;
    let mut rules = Vec::new();
    // Pack rules are known by their source file; alerts name their
    // FG-DET id, guide section and Chinese title.
    let mut pack_info = std::collections::HashMap::new();
    if !args.no_builtin {
        match fnguard_detect::pack::builtin() {
            Ok(pack) => {
                for entry in pack {
                    pack_info.insert(entry.rule.source.clone(), PackInfo::from(&entry));
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
    let options = match output_options(&args) {
        Ok(options) => options,
        Err(e) => {
            output::stderr_line(&format!("error: {e}"));
            return ExitCode::Error;
        }
    };
    let format = match args.format {
        DetectFormat::Table => Format::Table,
        DetectFormat::Jsonl => Format::Jsonl,
        DetectFormat::Ocsf => Format::Ocsf,
    };
    let stdout = std::io::stdout();
    let writer = std::io::BufWriter::new(stdout.lock());
    let mut sinks = match Outputs::new(writer, format, options) {
        Ok(sinks) => sinks,
        Err(e) => {
            output::stderr_line(&format!("error: {e}"));
            return ExitCode::Error;
        }
    };
    let rule_count = rules.len();
    let set = RuleSet::new(rules);
    let mut alerts = 0usize;
    let stats = input::read_paths(
        &args.paths,
        Limits {
            max_file_bytes: args.max_file_bytes,
        },
        &mut |event| {
            for rule in set.matching(&event.value) {
                alerts += 1;
                sinks.push(rule_alert(rule, pack_info.get(&rule.source), &event));
            }
        },
        &mut |e| output::stderr_line(&format!("error: {e}")),
    );
    let (writer, summary) = sinks.finish();
    drop(writer);
    if format != Format::Table {
        // Standard output stays machine-readable.
        for line in summary.lines() {
            output::stderr_line(&line);
        }
    }
    for webhook in summary.webhooks.iter().filter(|w| w.lost() > 0) {
        output::stderr_line(&format!(
            "warning: webhook {}: {} not delivered",
            webhook.target,
            fnguard_detect::output::counted(webhook.lost(), "alert")
        ));
    }
    if let Some(e) = &summary.write_error {
        output::stderr_line(&format!("error: cannot write standard output: {e}"));
    }
    output::stderr_line(&format!(
        "{} events from {} files, {rule_count} rules, {alerts} rule matches{}",
        stats.events,
        stats.files,
        match stats.errors as usize + input_errors {
            0 => String::new(),
            n => format!(", {n} input errors"),
        }
    ));
    if stats.errors > 0 || input_errors > 0 || summary.write_error.is_some() {
        ExitCode::Error
    } else if summary.worst().is_some_and(|w| w >= args.fail_on) {
        ExitCode::Findings
    } else {
        ExitCode::Clean
    }
}

/// --min-severity, --suppress, --dedup and the webhooks; errors name the
/// file or option (never a header's value).
fn output_options(args: &DetectArgs) -> Result<OutputOptions, String> {
    let mut options = OutputOptions {
        lang: args.lang,
        min_severity: args.min_severity,
        ..OutputOptions::default()
    };
    if let Some(path) = &args.suppress {
        let loaded = Suppressions::load(path, fnguard_core::Date::today())?;
        for warning in &loaded.warnings {
            output::stderr_line(&format!("warning: {warning}"));
        }
        options.suppressions = loaded.suppressions;
    }
    if let Some(window_ms) = args.dedup {
        let mut config = DedupConfig::new(window_ms);
        if !args.dedup_key.is_empty() {
            config.key_facts = args.dedup_key.clone();
        }
        options.dedup = Some(config);
    }
    let headers = args
        .webhook_header
        .iter()
        .map(|h| parse_header(h).map_err(|e| format!("--webhook-header: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    let format = match args.webhook_format {
        WebhookFormatArg::Json => WebhookFormat::Json,
        WebhookFormatArg::Slack => WebhookFormat::Slack,
    };
    for url in &args.webhook {
        let url = match url.strip_prefix("env:") {
            Some(name) => std::env::var(name)
                .map_err(|_| format!("--webhook env:{name}: the variable is not set"))?,
            None => url.clone(),
        };
        let mut config = WebhookConfig::new(url, format);
        config.headers = headers.clone();
        options.webhooks.push(config);
    }
    Ok(options)
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
