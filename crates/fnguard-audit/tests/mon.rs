mod support;

use fnguard_core::Field;
use fnguard_model::{Alarm, AlarmMetric};
use support::*;

fn metric(name: &str, function: Option<&str>) -> AlarmMetric {
    AlarmMetric {
        namespace: s("AWS/Lambda", 101),
        metric_name: s(name, 102),
        function: function.map(str::to_string),
        function_unknown: false,
        has_function_dimension: function.is_some(),
    }
}

fn alarm(id: &str, metrics: Vec<AlarmMetric>) -> Alarm {
    Alarm {
        id: id.into(),
        loc: loc(100),
        metrics,
        ignores: Vec::new(),
    }
}

fn two_functions() -> fnguard_model::Deployment {
    let mut dep = deployment();
    dep.functions.push(hardened_function("Watched", 10));
    dep.functions.push(hardened_function("Unwatched", 30));
    dep
}

fn mon_resources(dep: &fnguard_model::Deployment) -> Vec<String> {
    of(&run(dep), "FG-MON-001")
        .iter()
        .map(|f| f.resource.clone())
        .collect()
}

#[test]
fn functions_without_alarms_are_reported() {
    let mut dep = two_functions();
    dep.alarms
        .push(alarm("Errors", vec![metric("Errors", Some("Watched"))]));
    // Wrong metric or namespace does not count.
    dep.alarms.push(alarm(
        "Invocations",
        vec![metric("Invocations", Some("Unwatched"))],
    ));
    let mut other_ns = metric("Errors", Some("Unwatched"));
    other_ns.namespace = s("AWS/SQS", 101);
    dep.alarms.push(alarm("Sqs", vec![other_ns]));
    assert_eq!(mon_resources(&dep), vec!["Unwatched"]);
}

#[test]
fn no_alarm_at_all_reports_every_function() {
    assert_eq!(
        mon_resources(&two_functions()),
        vec!["Watched", "Unwatched"]
    );
}

#[test]
fn an_alarm_on_an_unknown_function_silences_the_rule() {
    let mut dep = two_functions();
    let mut unknown = metric("Errors", None);
    unknown.function_unknown = true;
    dep.alarms.push(alarm("Computed", vec![unknown]));
    assert!(mon_resources(&dep).is_empty());
}

#[test]
fn metric_math_and_account_wide_alarms() {
    let mut dep = two_functions();
    dep.alarms.push(alarm(
        "Math",
        vec![
            metric("Throttles", Some("Watched")),
            metric("Duration", Some("Unwatched")),
        ],
    ));
    assert!(mon_resources(&dep).is_empty());
    let mut dep = two_functions();
    dep.alarms
        .push(alarm("AccountErrors", vec![metric("Errors", None)]));
    assert!(mon_resources(&dep).is_empty());
    let mut dep = two_functions();
    let mut computed_name = metric("Errors", Some("Watched"));
    computed_name.metric_name = Field::Unknown(loc(102));
    dep.alarms
        .push(alarm("ComputedMetric", vec![computed_name]));
    assert_eq!(mon_resources(&dep), vec!["Unwatched"]);
}

#[test]
fn an_alarm_on_a_function_outside_the_template_covers_none_of_ours() {
    let mut dep = two_functions();
    let mut external = metric("Errors", None);
    external.has_function_dimension = true;
    dep.alarms.push(alarm("ExternalAlarm", vec![external]));
    assert_eq!(mon_resources(&dep).len(), 2);
}
