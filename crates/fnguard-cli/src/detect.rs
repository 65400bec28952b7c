//! `fnguard detect`: Sigma rules over streamed log events; each match
//! becomes an `Alert`, handed to the sinks (the format on standard output,
//! webhooks) through `fnguard_detect::output::Outputs`, which also applies
//! --min-severity, --suppress and --dedup.

use crate::args::{DetectArgs, DetectFormat, WebhookFormatArg};
use crate::output;
use crate::ExitCode;
use fnguard_detect::detectors::anomaly::{AnomalyConfig, FunctionAnomalies};
use fnguard_detect::detectors::destinations::{DestinationConfig, Destinations, EndpointAllowList};
use fnguard_detect::detectors::function_roles::{FunctionRoles, FunctionRolesConfig};
use fnguard_detect::detectors::inventory::{self, Inventory};
use fnguard_detect::detectors::stolen_credentials::StolenCredentials;
use fnguard_detect::detectors::{Detector, RawInterest};
use fnguard_detect::input::{self, Event, Follow, Interest, Limits, Projection};
use fnguard_detect::output::dedup::DedupConfig;
use fnguard_detect::output::suppress::Suppressions;
use fnguard_detect::output::webhook::{parse_header, WebhookConfig, WebhookFormat};
use fnguard_detect::output::{Format, OutputOptions, Outputs, PackInfo};
use fnguard_detect::sigma::{self, Correlator, RuleSet};
use fnguard_detect::state::StateStore;
use std::path::{Path, PathBuf};

pub fn run(args: DetectArgs) -> ExitCode {
    let mut input_errors = 0usize;
    let mut rules = Vec::new();
    let mut correlations = Vec::new();
    // Pack rules are known by their source file; alerts name their
    // FG-DET id, guide section and Chinese title.
    let mut pack_info = std::collections::HashMap::new();
    if !args.no_builtin {
        match fnguard_detect::pack::builtin_pack() {
            Ok(pack) => {
                for entry in pack.rules {
                    pack_info.insert(entry.rule.source.clone(), PackInfo::from(&entry));
                    rules.push(entry.rule);
                }
                rules.extend(pack.correlation_rules);
                correlations.extend(pack.correlations.into_iter().map(|c| c.correlation));
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
            match sigma::load_file_all(&file) {
                Ok(loaded) => {
                    rules.extend(loaded.rules);
                    correlations.extend(loaded.correlations);
                }
                Err(e) => {
                    // One broken rule file does not stop the others.
                    output::stderr_line(&format!("error: {e}"));
                    input_errors += 1;
                }
            }
        }
    }
    let mut detectors = if args.no_builtin || args.no_detectors {
        Vec::new()
    } else {
        match detectors(&args) {
            Ok(detectors) => detectors,
            Err(e) => {
                output::stderr_line(&format!("error: {e}"));
                return ExitCode::Error;
            }
        }
    };
    if rules.is_empty() && detectors.is_empty() {
        output::stderr_line(
            "error: no Sigma rule loaded and no detector (--rules FILE or FOLDER, or drop --no-builtin)",
        );
        return ExitCode::Error;
    }
    // Rule indices are shared by the correlator and the rule set: built
    // from the same list, before the set takes it.
    let mut correlator = match Correlator::new(correlations, &rules) {
        Ok(correlator) => correlator,
        Err(e) => {
            output::stderr_line(&format!("error: {e}"));
            return ExitCode::Error;
        }
    };
    let mut store = match &args.state {
        Some(path) => match StateStore::open(path) {
            Ok(store) => Some(store),
            Err(e) => {
                output::stderr_line(&format!("error: {e}"));
                return ExitCode::Error;
            }
        },
        None => None,
    };
    if let Some(store) = &store {
        if let Err(e) = restore(store, &mut correlator, &mut detectors) {
            output::stderr_line(&format!("error: {e}"));
            return ExitCode::Error;
        }
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
    let correlation_count = correlator.len();
    let detector_count = detectors.len();
    let set = RuleSet::new(rules);
    let mut matches = 0usize;
    let mut state_errors = 0usize;
    let mut raised = Vec::new();
    let mut matched = Vec::new();
    let mut last_save = std::time::Instant::now();
    let mut raised_total = 0usize;
    // What the fast path needs of the parts, taken before the event loop
    // borrows them.
    let raw_interest = RawInterest::of(&detectors);
    let projection = projection_for(&set, &correlator, &detectors);
    let mut on_event = |event: Event| {
        let output_before = raised_total;
        matched.clear();
        matched.extend(set.matching_indices(&event.value));
        for &index in &matched {
            matches += 1;
            if correlator.rule_alerts_alone(index) {
                let rule = &set.rules()[index];
                sinks.push_rule_match(rule, pack_info.get(&rule.source), &event);
                raised_total += 1;
            }
        }
        correlator.observe(&event, &matched, &mut raised);
        for detector in &mut detectors {
            detector.observe(&event, &mut raised);
        }
        for alert in raised.drain(..) {
            sinks.push(alert);
            raised_total += 1;
        }
        if args.follow && raised_total > output_before {
            sinks.flush();
        }
        // Following, a crash or a kill loses at most a minute of what was
        // learned: saved after events, never while idle (nothing changed).
        if let Some(store) = store.as_mut().filter(|_| args.follow) {
            if last_save.elapsed() >= SAVE_EVERY {
                last_save = std::time::Instant::now();
                if let Err(e) = save(store, &correlator, &detectors) {
                    output::stderr_line(&format!("error: {e}"));
                    state_errors += 1;
                }
            }
        }
    };
    let mut on_error = |e: input::InputError| output::stderr_line(&format!("error: {e}"));
    let limits = Limits {
        max_file_bytes: args.max_file_bytes,
    };
    // The fast path: a record that no rule can match and no detector
    // wants is refused from its raw text, never parsed; the others are
    // built only as far as someone reads them (the rules, the correlations'
    // group-by fields, the detectors, the alerts' facts and times). One
    // part that reads everything turns projection off.
    let prefilter = set.prefilter();
    let mut wants = |raw: &[u8]| prefilter.wants(raw) || raw_interest.wants(raw);
    let mut interest = Interest {
        wants: &mut wants,
        projection: projection.as_ref(),
    };
    let stats = if args.follow {
        let stop = stop_on_signal();
        let mut keep_going = || !stop.load(std::sync::atomic::Ordering::Relaxed);
        let follow = Follow {
            poll: std::time::Duration::from_millis(args.poll.max(1) as u64),
            limits,
        };
        input::follow_paths(
            &args.paths,
            follow,
            &mut interest,
            &mut keep_going,
            &mut on_event,
            &mut on_error,
        )
    } else {
        input::read_paths_with(
            &args.paths,
            limits,
            &mut interest,
            &mut on_event,
            &mut on_error,
        )
    };
    if !args.follow {
        // Windows that can only be judged once closed (`lt`, `eq`...) are
        // judged at the end of a batch.
        correlator.finish(&mut raised);
        for alert in raised.drain(..) {
            sinks.push(alert);
        }
    }
    if let Some(store) = &mut store {
        if let Err(e) = save(store, &correlator, &detectors) {
            output::stderr_line(&format!("error: {e}"));
            state_errors += 1;
        }
    }
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
            "warning: webhook {}: {} alerts not delivered",
            webhook.target,
            webhook.lost()
        ));
    }
    if let Some(e) = &summary.write_error {
        output::stderr_line(&format!("error: cannot write standard output: {e}"));
    }
    output::stderr_line(&format!(
        "{} events ({} of them refused unread: no rule or detector could use them) from {} files, {rule_count} rules, {correlation_count} correlations, {detector_count} detectors, {matches} rule matches{}",
        stats.events,
        stats.skipped,
        stats.files,
        match stats.errors as usize + input_errors {
            0 => String::new(),
            n => format!(", {n} input errors"),
        }
    ));
    if stats.errors > 0 || input_errors > 0 || state_errors > 0 || summary.write_error.is_some() {
        ExitCode::Error
    } else if summary.worst().is_some_and(|w| w >= args.fail_on) {
        ExitCode::Findings
    } else {
        ExitCode::Clean
    }
}

/// The fields every part reads, or `None` when one reads them all.
fn projection_for(
    set: &RuleSet,
    correlator: &Correlator,
    detectors: &[Box<dyn Detector>],
) -> Option<Projection> {
    let mut projection = Projection::of_paths(
        fnguard_detect::output::EVENT_FIELDS
            .iter()
            .chain(fnguard_detect::alert::TIME_FIELDS)
            .copied(),
    );
    for field in set.fields_read()? {
        projection.add(&field);
    }
    for field in correlator.fields_read() {
        projection.add(&field);
    }
    for detector in detectors {
        for field in detector.fields_read()? {
            projection.add(field);
        }
    }
    Some(projection)
}

/// How often --follow saves --state.
const SAVE_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// The stateful detectors, configured from the options.
fn detectors(args: &DetectArgs) -> Result<Vec<Box<dyn Detector>>, String> {
    let inventory = match &args.inventory {
        Some(path) => inventory::load(path).map_err(|e| e.to_string())?,
        None => Inventory::default(),
    };
    let allow = EndpointAllowList::parse(args.allow_endpoint.iter().map(String::as_str))
        .map_err(|e| format!("--allow-endpoint: {e}"))?;
    Ok(vec![
        Box::new(StolenCredentials::default()),
        Box::new(FunctionRoles::new(
            FunctionRolesConfig::default(),
            inventory,
        )),
        Box::new(FunctionAnomalies::new(AnomalyConfig::default())),
        Box::new(Destinations::new(DestinationConfig {
            allow,
            ..DestinationConfig::default()
        })),
    ])
}

/// Takes back what the last run learned; a part that cannot be read is
/// reported and starts afresh (the file is not ours to fix).
fn restore(
    store: &StateStore,
    correlator: &mut Correlator,
    detectors: &mut [Box<dyn Detector>],
) -> Result<(), String> {
    if let Some(state) = store.load(correlator.name()).map_err(|e| e.to_string())? {
        if let Err(e) = correlator.restore(&state) {
            output::stderr_line(&format!(
                "warning: {}: state of {} not restored ({e}); starting afresh",
                store.path().display(),
                correlator.name()
            ));
        }
    }
    for detector in detectors {
        if let Some(state) = store.load(detector.name()).map_err(|e| e.to_string())? {
            if let Err(e) = detector.restore(&state) {
                output::stderr_line(&format!(
                    "warning: {}: state of {} not restored ({e}); starting afresh",
                    store.path().display(),
                    detector.name()
                ));
            }
        }
    }
    Ok(())
}

/// Everything learned, in one transaction.
fn save(
    store: &mut StateStore,
    correlator: &Correlator,
    detectors: &[Box<dyn Detector>],
) -> Result<(), String> {
    let mut states = vec![(correlator.name(), correlator.save())];
    states.extend(detectors.iter().map(|d| (d.name(), d.save())));
    store.save_all(&states).map_err(|e| e.to_string())
}

/// A flag raised by Ctrl-C or SIGTERM, so that --follow ends cleanly
/// (state saved, outputs flushed) instead of being killed mid-write.
fn stop_on_signal() -> std::sync::Arc<std::sync::atomic::AtomicBool> {
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = std::sync::Arc::clone(&stop);
    let watcher = std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async {
                let Ok(mut term) =
                    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                else {
                    return;
                };
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            });
            flag.store(true, std::sync::atomic::Ordering::Relaxed);
        });
    if watcher.is_err() {
        output::stderr_line("warning: cannot watch for signals: Ctrl-C will not save --state");
    }
    stop
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
