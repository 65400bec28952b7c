mod support;

use fnguard_core::{Field, Severity};
use fnguard_model::{LogGroup, Trail};
use support::*;

#[test]
fn log_group_retention() {
    let mut dep = deployment();
    let kept = hardened_function("Kept", 10);
    let forever = hardened_function("Forever", 30);
    let mut none = hardened_function("NoGroup", 50);
    none.name = s("orders-no-group", 51);
    let mut explicit = hardened_function("Explicit", 70);
    explicit.log_group = s("/shared/app-logs", 75);
    let mut external = hardened_function("External", 90);
    external.log_group = s("/managed/elsewhere", 95);
    dep.log_groups.push(log_group_for(&kept, Some(90), 200));
    dep.log_groups.push(log_group_for(&forever, None, 210));
    dep.log_groups.push(LogGroup {
        id: "SharedLogs".into(),
        loc: loc(220),
        name: s("/shared/app-logs", 221),
        retention_days: Field::Absent,
        function: None,
        ignores: Vec::new(),
    });
    dep.functions
        .extend([kept, forever, none, explicit, external]);
    let findings = run(&dep);
    let log = of(&findings, "FG-LOG-001");
    let summary: Vec<(&str, u32)> = log
        .iter()
        .map(|f| (f.resource.as_str(), f.location.line))
        .collect();
    assert_eq!(
        summary,
        vec![("Forever", 210), ("NoGroup", 50), ("Explicit", 220)],
        "{log:#?}"
    );
    assert!(log[1].message.en.contains("/aws/lambda/orders-no-group"));
    assert!(log.iter().all(|f| f.severity == Severity::Low));
}

#[test]
fn log_format_and_tracing() {
    let mut dep = deployment();
    let mut text = hardened_function("Text", 10);
    text.log_format = s("Text", 17);
    let mut absent = hardened_function("Absent", 30);
    absent.log_format = Field::Absent;
    absent.tracing = s("PassThrough", 38);
    let mut unknown = hardened_function("Computed", 50);
    unknown.log_format = Field::Unknown(loc(57));
    unknown.tracing = Field::Unknown(loc(58));
    let mut json_lower = hardened_function("Lower", 70);
    json_lower.log_format = s("json", 77);
    dep.functions.extend([text, absent, unknown, json_lower]);
    let findings = run(&dep);
    let format: Vec<(&str, u32)> = of(&findings, "FG-LOG-002")
        .iter()
        .map(|f| (f.resource.as_str(), f.location.line))
        .collect();
    assert_eq!(format, vec![("Text", 17), ("Absent", 30)]);
    // The message says what is there: the value, or that nothing is set.
    let messages: Vec<&str> = of(&findings, "FG-LOG-002")
        .iter()
        .map(|f| f.message.en.as_str())
        .collect();
    assert!(messages[0].contains("LogFormat is `Text`"), "{messages:?}");
    assert!(messages[1].contains("not set"), "{messages:?}");
    let tracing = of(&findings, "FG-LOG-003");
    assert_eq!(tracing.len(), 1);
    assert_eq!(tracing[0].resource, "Absent");
    assert_eq!(tracing[0].severity, Severity::Info);
    assert!(tracing[0].message.en.contains("`PassThrough`"));
    assert!(tracing[0].message.zh.contains("`PassThrough`"));
}

#[test]
fn trails_without_lambda_data_events() {
    let trail = |id: &str, line: u32, events: Field<bool>| Trail {
        id: id.into(),
        loc: loc(line),
        lambda_data_events: events,
        ignores: Vec::new(),
    };
    let mut dep = deployment();
    dep.trails.push(trail("Selectors", 10, known(false, 12)));
    dep.trails.push(trail("NoSelectors", 20, Field::Absent));
    dep.trails
        .push(trail("Computed", 40, Field::Unknown(loc(42))));
    let findings = run(&dep);
    let trails: Vec<(&str, u32)> = of(&findings, "FG-LOG-004")
        .iter()
        .map(|f| (f.resource.as_str(), f.location.line))
        .collect();
    assert_eq!(trails, vec![("Selectors", 12), ("NoSelectors", 20)]);
}

/// Reported from the wild (terraform-aws-modules/terraform-aws-lambda): a
/// log group whose name is computed and linked to no function may be the
/// function's own, so "no log group is declared" would be a guess.
#[test]
fn an_undetermined_log_group_name_is_not_a_missing_log_group() {
    for name in [
        Field::Unknown(loc(201)),
        s("/aws/lambda/${var.prefix}${var.function_name}", 201),
    ] {
        let mut dep = deployment();
        dep.functions.push(hardened_function("Fn", 10));
        dep.log_groups.push(LogGroup {
            id: "aws_cloudwatch_log_group.lambda".into(),
            loc: loc(200),
            name,
            retention_days: Field::Unknown(loc(202)),
            function: None,
            ignores: Vec::new(),
        });
        let findings = run(&dep);
        assert!(of(&findings, "FG-LOG-001").is_empty(), "{findings:#?}");
    }
    // A group with a determined name for something else does not excuse it.
    let mut dep = deployment();
    dep.functions.push(hardened_function("Fn", 10));
    dep.log_groups.push(LogGroup {
        id: "Audit".into(),
        loc: loc(200),
        name: s("/app/audit", 201),
        retention_days: known(30, 202),
        function: None,
        ignores: Vec::new(),
    });
    let findings = run(&dep);
    assert_eq!(of(&findings, "FG-LOG-001").len(), 1, "{findings:#?}");
}

/// Two trails, one recording Lambda data events: no gap, no finding.
#[test]
fn one_recording_trail_is_enough() {
    let trail = |id: &str, line: u32, events: Field<bool>| Trail {
        id: id.into(),
        loc: loc(line),
        lambda_data_events: events,
        ignores: Vec::new(),
    };
    let mut dep = deployment();
    dep.trails.push(trail("Management", 10, Field::Absent));
    dep.trails.push(trail("DataEvents", 20, known(true, 22)));
    let findings = run(&dep);
    assert!(of(&findings, "FG-LOG-004").is_empty(), "{findings:#?}");
}

/// A Lambda log group whose function cannot be told (named after the stack
/// or a variable) still has a known missing retention.
#[test]
fn an_unlinked_lambda_log_group_without_retention_is_reported() {
    let mut dep = deployment();
    dep.functions.push(hardened_function("Fn", 10));
    dep.log_groups.push(LogGroup {
        id: "OrdersLogGroup".into(),
        loc: loc(200),
        name: s("/aws/lambda/${AWS::StackName}-orders-api", 201),
        retention_days: Field::Absent,
        function: None,
        ignores: Vec::new(),
    });
    dep.log_groups.push(LogGroup {
        id: "AppLogs".into(),
        loc: loc(210),
        name: s("/app/${AWS::StackName}", 211),
        retention_days: Field::Absent,
        function: None,
        ignores: Vec::new(),
    });
    let findings = run(&dep);
    let log = of(&findings, "FG-LOG-001");
    let summary: Vec<(&str, u32)> = log
        .iter()
        .map(|f| (f.resource.as_str(), f.location.line))
        .collect();
    // The group itself; and no guess that Fn has none (it may be this one).
    assert_eq!(summary, vec![("OrdersLogGroup", 200)], "{log:#?}");
    assert!(log[0]
        .message
        .en
        .contains("/aws/lambda/${AWS::StackName}-orders-api"));
}
