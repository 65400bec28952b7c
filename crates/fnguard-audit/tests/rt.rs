mod support;

use fnguard_core::{Date, Field, Severity};
use fnguard_model::{Ref, Trigger, TriggerKind};
use support::*;

fn date(text: &str) -> Date {
    text.parse().expect("valid date")
}

fn with_runtime(runtime: &str) -> fnguard_model::Deployment {
    let mut dep = deployment();
    let mut f = hardened_function("Orders", 10);
    f.runtime = s(runtime, 12);
    dep.functions.push(f);
    dep
}

fn rt001(runtime: &str, on: &str) -> Option<Severity> {
    let findings = run_on(&with_runtime(runtime), date(on));
    let rt = of(&findings, "FG-RT-001");
    assert!(rt.len() <= 1);
    rt.first().map(|f| f.severity)
}

#[test]
fn severity_grows_with_the_scan_date() {
    let table = fnguard_audit::rt::runtime_table();
    let row = table.get("nodejs20.x").expect("nodejs20.x in the table");
    let (dep, create, update) = (
        row.deprecation.expect("date"),
        row.block_create.expect("date"),
        row.block_update.expect("date"),
    );
    let day = |d: Date, offset: i64| Date::from_days(d.days() + offset).to_string();
    assert_eq!(rt001("nodejs20.x", &day(dep, -400)), None);
    assert_eq!(rt001("nodejs20.x", &day(dep, -100)), Some(Severity::Low));
    assert_eq!(rt001("nodejs20.x", &day(dep, 0)), Some(Severity::Medium));
    assert_eq!(rt001("nodejs20.x", &day(create, 0)), Some(Severity::High));
    assert_eq!(
        rt001("nodejs20.x", &day(update, 1)),
        Some(Severity::Critical)
    );
}

#[test]
fn long_dead_runtimes_are_critical_and_current_ones_are_fine() {
    assert_eq!(rt001("python2.7", "2026-11-28"), Some(Severity::Critical));
    assert_eq!(rt001("go1.x", "2026-11-28"), Some(Severity::Critical));
    assert_eq!(rt001("PYTHON2.7", "2026-11-28"), Some(Severity::Critical));
    assert_eq!(rt001("python3.13", "2026-11-28"), None);
    assert_eq!(rt001("provided.al2023", "2026-11-28"), None);
    // Not in the table: no opinion.
    assert_eq!(rt001("cobol85", "2026-11-28"), None);
}

#[test]
fn message_states_the_dates() {
    let findings = run_on(&with_runtime("python2.7"), date("2026-11-28"));
    let rt = of(&findings, "FG-RT-001");
    assert_eq!(rt[0].location.line, 12);
    assert!(
        rt[0].message.en.contains("2021-07-15"),
        "{}",
        rt[0].message.en
    );
    assert!(rt[0].message.en.contains("2022-05-30"));
    assert!(rt[0].message.zh.contains("2022-05-30"));
}

#[test]
fn unknown_runtime_is_not_reported() {
    let mut dep = with_runtime("nodejs");
    dep.functions[0].runtime = Field::Unknown(loc(12));
    assert!(of(&run(&dep), "FG-RT-001").is_empty());
}

#[test]
fn reserved_concurrency() {
    let mut dep = deployment();
    let mut absent = hardened_function("Absent", 10);
    absent.reserved_concurrency = Field::Absent;
    let mut zero = hardened_function("Off", 30);
    zero.reserved_concurrency = known(0, 35);
    let mut unknown = hardened_function("Computed", 50);
    unknown.reserved_concurrency = Field::Unknown(loc(55));
    dep.functions
        .extend([absent, zero, unknown, hardened_function("Set", 70)]);
    let findings = run(&dep);
    let rt = of(&findings, "FG-RT-002");
    assert_eq!(rt.len(), 1);
    assert_eq!(rt[0].resource, "Absent");
    assert_eq!(rt[0].severity, Severity::Low);
}

#[test]
fn async_functions_need_a_failure_target() {
    let trigger = |kind| Trigger {
        kind,
        loc: loc(90),
        source: Ref::External("bucket".into()),
    };
    let mut dep = deployment();
    let mut lost = hardened_function("S3Handler", 10);
    lost.dead_letter = Field::Absent;
    lost.triggers.push(trigger(TriggerKind::S3));
    lost.triggers.push(trigger(TriggerKind::S3));
    lost.triggers.push(trigger(TriggerKind::Sns));
    let mut destination = hardened_function("WithDestination", 30);
    destination.dead_letter = Field::Absent;
    destination.on_failure = s("arn:aws:sqs:us-east-1:1:failures", 35);
    destination.triggers.push(trigger(TriggerKind::Sns));
    let mut sync = hardened_function("QueueWorker", 50);
    sync.dead_letter = Field::Absent;
    sync.triggers.push(trigger(TriggerKind::Sqs));
    let mut computed = hardened_function("Computed", 70);
    computed.dead_letter = Field::Unknown(loc(75));
    computed.triggers.push(trigger(TriggerKind::EventBridge));
    dep.functions.extend([lost, destination, sync, computed]);
    let findings = run(&dep);
    let rt = of(&findings, "FG-RT-003");
    assert_eq!(rt.len(), 1, "{rt:#?}");
    assert_eq!(rt[0].resource, "S3Handler");
    // Sources named once each, as the docs name them, each trigger related.
    assert!(
        rt[0].message.en.contains("(S3, SNS)"),
        "{}",
        rt[0].message.en
    );
    assert_eq!(rt[0].related.len(), 3);
}
