use super::*;
use crate::alert::{Alert, AlertKind};
use crate::input::{Event, Origin};
use serde_json::{json, Value};

/// Two base rules: a failed and a successful login.
const BASE: &str = r#"
title: Failed login
id: 5638f7c0-ac70-491d-8465-2a65075e0d86
name: failed_login
logsource: {product: test}
detection:
  selection: {action: fail}
  condition: selection
level: low
---
title: Successful login
name: successful_login
logsource: {product: test}
detection:
  selection: {action: ok}
  condition: selection
---
title: Unrelated
name: unrelated
logsource: {product: test}
detection:
  selection: {action: other}
  condition: selection
"#;

const T0: i64 = 1_700_000_000_000;

fn setup(correlation: &str) -> (Vec<Rule>, Correlator) {
    let loaded = load_str_all("test.yml", &format!("{BASE}---\n{correlation}")).unwrap();
    let correlator = Correlator::new(loaded.correlations, &loaded.rules).unwrap();
    (loaded.rules, correlator)
}

/// An event `ms` milliseconds after T0.
fn at(ms: i64, action: &str, user: &str) -> Value {
    json!({"eventTime": format_time_ms(T0 + ms), "action": action, "user": user})
}

fn feed(rules: &[Rule], correlator: &mut Correlator, events: &[Value]) -> Vec<Alert> {
    let mut alerts = Vec::new();
    for (index, value) in events.iter().enumerate() {
        let matched: Vec<usize> = (0..rules.len())
            .filter(|&i| rules[i].matches(value))
            .collect();
        let event = Event {
            value: value.clone(),
            origin: Origin {
                file: "log.json".into(),
                line: None,
                index: index as u64,
            },
        };
        correlator.observe(&event, &matched, &mut alerts);
    }
    alerts
}

fn run(correlation: &str, events: &[Value]) -> Vec<Alert> {
    let (rules, mut correlator) = setup(correlation);
    let mut alerts = feed(&rules, &mut correlator, events);
    correlator.finish(&mut alerts);
    alerts
}

const THREE_FAILS: &str = r#"
title: Many failed logins
id: 0e95725d-7320-415d-80f7-004da920fc11
correlation:
  type: event_count
  rules: [failed_login]
  group-by: [user]
  timespan: 60s
  condition: {gte: 3}
level: high
tags: [attack.t1110]
"#;

#[test]
fn loads_rules_and_correlations_from_one_file() {
    let loaded = load_str_all("test.yml", &format!("{BASE}---\n{THREE_FAILS}")).unwrap();
    assert_eq!(loaded.rules.len(), 3);
    assert_eq!(loaded.rules[0].name.as_deref(), Some("failed_login"));
    let correlation = &loaded.correlations[0];
    assert_eq!(correlation.kind, CorrelationType::EventCount);
    assert_eq!(correlation.timespan_ms, 60_000);
    assert_eq!(correlation.group_by, ["user"]);
    assert_eq!(correlation.condition.text(), "gte 3");
    assert!(!correlation.generate);
    // Callers that want rules only are told where correlations load.
    let error = Rule::load_str("test.yml", THREE_FAILS)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("test.yml") && error.contains("load_file_all"),
        "{error}"
    );
}

#[test]
fn event_count_fires_at_the_count_and_not_below() {
    let events = [
        at(0, "fail", "alice"),
        at(1000, "fail", "alice"),
        at(2000, "fail", "alice"),
    ];
    let alerts = run(THREE_FAILS, &events);
    assert_eq!(alerts.len(), 1);
    let alert = &alerts[0];
    assert_eq!(alert.kind, AlertKind::Correlation);
    assert_eq!(alert.rule_id, "0e95725d-7320-415d-80f7-004da920fc11");
    assert_eq!(alert.facts["count"], 3);
    assert_eq!(alert.facts["group"], json!({"user": "alice"}));
    assert_eq!(alert.facts["first_time"], format_time_ms(T0));
    assert_eq!(alert.facts["last_time"], format_time_ms(T0 + 2000));
    assert_eq!(alert.facts["rules"], json!(["failed_login"]));
    assert_eq!(alert.origin.as_ref().unwrap().index, 2);
    assert_eq!(alert.tags, ["attack.t1110"]);
    assert!(run(THREE_FAILS, &events[..2]).is_empty());
    // Events of other rules do not count.
    let mixed = [
        at(0, "fail", "alice"),
        at(1, "ok", "alice"),
        at(2, "fail", "alice"),
    ];
    assert!(run(THREE_FAILS, &mixed).is_empty());
}

#[test]
fn groups_are_counted_apart() {
    let events = [
        at(0, "fail", "alice"),
        at(1, "fail", "bob"),
        at(2, "fail", "alice"),
        at(3, "fail", "bob"),
    ];
    assert!(run(THREE_FAILS, &events).is_empty());
    let mut more = events.to_vec();
    more.push(at(4, "fail", "bob"));
    let alerts = run(THREE_FAILS, &more);
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].facts["group"], json!({"user": "bob"}));
    // An event without the group-by field belongs to no group.
    let nobody = [
        json!({"eventTime": format_time_ms(T0), "action": "fail"}),
        json!({"eventTime": format_time_ms(T0), "action": "fail"}),
        json!({"eventTime": format_time_ms(T0), "action": "fail"}),
    ];
    let (rules, mut correlator) = setup(THREE_FAILS);
    assert!(feed(&rules, &mut correlator, &nobody).is_empty());
    assert_eq!(correlator.stats().ungrouped_events, 3);
}

#[test]
fn timespan_includes_both_ends() {
    let inside = [
        at(0, "fail", "a"),
        at(30_000, "fail", "a"),
        at(60_000, "fail", "a"),
    ];
    assert_eq!(run(THREE_FAILS, &inside).len(), 1);
    let outside = [
        at(0, "fail", "a"),
        at(30_000, "fail", "a"),
        at(60_001, "fail", "a"),
    ];
    assert!(run(THREE_FAILS, &outside).is_empty());
}

#[test]
fn a_group_fires_once_per_window() {
    let burst: Vec<Value> = (0..10).map(|i| at(i * 1000, "fail", "a")).collect();
    assert_eq!(run(THREE_FAILS, &burst).len(), 1);
    // After the window has rolled, a new burst fires again.
    let mut two = burst.clone();
    two.extend((0..3).map(|i| at(80_000 + i * 1000, "fail", "a")));
    let alerts = run(THREE_FAILS, &two);
    assert_eq!(alerts.len(), 2);
    assert_eq!(alerts[1].facts["count"], 3);
}

#[test]
fn out_of_order_events_count_within_the_window_and_late_ones_do_not() {
    let shuffled = [
        at(10_000, "fail", "a"),
        at(5_000, "fail", "a"),
        at(8_000, "fail", "a"),
    ];
    let alerts = run(THREE_FAILS, &shuffled);
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].facts["first_time"], format_time_ms(T0 + 5_000));
    let late = [
        at(100_000, "fail", "a"),
        at(1_000, "fail", "a"),
        at(100_001, "fail", "a"),
    ];
    let (rules, mut correlator) = setup(THREE_FAILS);
    assert!(feed(&rules, &mut correlator, &late).is_empty());
    assert_eq!(correlator.stats().late_events, 1);
}

#[test]
fn events_without_time_take_the_last_time_seen() {
    let untimed = json!({"action": "fail", "user": "a"});
    let events = [at(0, "fail", "a"), untimed.clone(), untimed];
    assert_eq!(run(THREE_FAILS, &events).len(), 1);
    // The last time seen is 120 s on: the first event is out of the window.
    let events = [
        at(0, "fail", "a"),
        at(120_000, "other", "a"),
        json!({"action": "fail", "user": "a"}),
        json!({"action": "fail", "user": "a"}),
    ];
    assert!(run(THREE_FAILS, &events).is_empty());
}

const MANY_USERS: &str = r#"
title: Password spraying
correlation:
  type: value_count
  rules: [failed_login]
  group-by: [ip]
  timespan: 10m
  condition: {field: user, gte: 3}
"#;

fn from_ip(ms: i64, user: &str, ip: &str) -> Value {
    let mut event = at(ms, "fail", user);
    event["ip"] = json!(ip);
    event
}

#[test]
fn value_count_counts_distinct_values() {
    let three = [
        from_ip(0, "alice", "10.0.0.1"),
        from_ip(1, "bob", "10.0.0.1"),
        from_ip(2, "carol", "10.0.0.1"),
    ];
    let alerts = run(MANY_USERS, &three);
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].facts["count"], 3);
    assert_eq!(alerts[0].facts["values"], json!(["alice", "bob", "carol"]));
    assert_eq!(alerts[0].facts["group"], json!({"ip": "10.0.0.1"}));
    assert_eq!(alerts[0].rule_id, "test.yml#Password spraying");
    let repeated = [
        from_ip(0, "alice", "10.0.0.1"),
        from_ip(1, "bob", "10.0.0.1"),
        from_ip(2, "alice", "10.0.0.1"),
        from_ip(3, "carol", "10.0.0.2"),
    ];
    assert!(run(MANY_USERS, &repeated).is_empty());
}

const FAIL_AND_OK: &str = r#"
title: Failed and successful login
correlation:
  type: temporal
  rules: [failed_login, successful_login]
  group-by: [user]
  timespan: 1m
"#;

#[test]
fn temporal_needs_every_rule_in_any_order() {
    let either = [at(0, "ok", "a"), at(1000, "fail", "a")];
    let alerts = run(FAIL_AND_OK, &either);
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].facts["count"], 2);
    assert_eq!(
        alerts[0].facts["rules"],
        json!(["failed_login", "successful_login"])
    );
    assert!(run(FAIL_AND_OK, &[at(0, "fail", "a"), at(1, "fail", "a")]).is_empty());
    assert!(run(FAIL_AND_OK, &[at(0, "fail", "a"), at(1, "ok", "b")]).is_empty());
    assert!(run(FAIL_AND_OK, &[at(0, "fail", "a"), at(60_001, "ok", "a")]).is_empty());
}

const FAIL_THEN_OK: &str = r#"
title: Failed then successful login
correlation:
  type: temporal_ordered
  rules: [failed_login, successful_login]
  group-by: [user]
  timespan: 1m
"#;

#[test]
fn temporal_ordered_needs_the_listed_order() {
    assert_eq!(
        run(FAIL_THEN_OK, &[at(0, "fail", "a"), at(1000, "ok", "a")]).len(),
        1
    );
    assert!(run(FAIL_THEN_OK, &[at(0, "ok", "a"), at(1000, "fail", "a")]).is_empty());
    assert!(run(FAIL_THEN_OK, &[at(0, "fail", "a"), at(60_001, "ok", "a")]).is_empty());
    // A fresher first step restarts the chain inside the window.
    let restarted = [
        at(0, "fail", "a"),
        at(50_000, "fail", "a"),
        at(100_000, "ok", "a"),
    ];
    let alerts = run(FAIL_THEN_OK, &restarted);
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].facts["first_time"], format_time_ms(T0 + 50_000));
    // A later first step does not hide the chain already made.
    let three = FAIL_THEN_OK.replace("successful_login]", "successful_login, unrelated]");
    let chained = [
        at(0, "fail", "a"),
        at(1000, "ok", "a"),
        at(2000, "fail", "a"),
        at(3000, "other", "a"),
    ];
    let alerts = run(&three, &chained);
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].facts["count"], 3);
    assert_eq!(alerts[0].facts["first_time"], format_time_ms(T0));
}

#[test]
fn rule_set_indices_feed_the_correlator() {
    let loaded = load_str_all("test.yml", &format!("{BASE}---\n{THREE_FAILS}")).unwrap();
    let mut correlator = Correlator::new(loaded.correlations, &loaded.rules).unwrap();
    let set = crate::sigma::RuleSet::new(loaded.rules);
    let mut alerts = Vec::new();
    for (index, value) in [
        at(0, "fail", "a"),
        at(1, "other", "a"),
        at(2, "fail", "a"),
        at(3, "fail", "a"),
    ]
    .into_iter()
    .enumerate()
    {
        let matched: Vec<usize> = set.matching_indices(&value).collect();
        let event = Event {
            value,
            origin: Origin {
                file: "log.json".into(),
                line: Some(index as u64 + 1),
                index: index as u64,
            },
        };
        correlator.observe(&event, &matched, &mut alerts);
    }
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].origin.as_ref().unwrap().line, Some(4));
}

#[test]
fn upper_bounds_are_judged_when_the_window_closes() {
    let few = r#"
title: Few failures
correlation:
  type: event_count
  rules: [failed_login]
  group-by: [user]
  timespan: 1m
  condition: {lt: 3}
"#;
    let events = [
        at(0, "fail", "a"),
        at(1, "fail", "a"),
        at(2, "fail", "b"),
        at(3, "fail", "b"),
        at(4, "fail", "b"),
    ];
    let (rules, mut correlator) = setup(few);
    // Nothing while the windows are open.
    let mut alerts = feed(&rules, &mut correlator, &events);
    assert!(alerts.is_empty());
    // Time passing the window's end (an unrelated event) closes them.
    alerts.extend(feed(&rules, &mut correlator, &[at(120_000, "other", "c")]));
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].facts["group"], json!({"user": "a"}));
    assert_eq!(alerts[0].facts["count"], 2);
    // At the end of the input too.
    let alerts = run(few, &events[..2]);
    assert_eq!(alerts.len(), 1);
    let exactly = few.replace("lt: 3", "eq: 3");
    let alerts = run(&exactly, &events);
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].facts["group"], json!({"user": "b"}));
    let range = few.replace("lt: 3", "gt: 1, lte: 2");
    assert_eq!(run(&range, &events).len(), 1);
    let not_two = few.replace("lt: 3", "neq: 2");
    assert_eq!(run(&not_two, &events).len(), 1);
}

#[test]
fn generate_says_whether_referenced_rules_alert_alone() {
    let (_, correlator) = setup(THREE_FAILS);
    assert!(
        !correlator.rule_alerts_alone(0),
        "referenced, generate false"
    );
    assert!(correlator.rule_alerts_alone(1), "not referenced");
    assert!(correlator.rule_alerts_alone(99), "unknown index");
    let (_, correlator) = setup(&format!("{THREE_FAILS}generate: true\n"));
    assert!(correlator.rule_alerts_alone(0));
    // pySigma's place for it, inside `correlation:`, is read too.
    let inside = THREE_FAILS.replace("  timespan:", "  generate: true\n  timespan:");
    let (_, correlator) = setup(&inside);
    assert!(correlator.rule_alerts_alone(0));
    let both = format!("{}generate: false\n", inside);
    let error = load_str_all("test.yml", &both).unwrap_err().to_string();
    assert!(error.contains("generate"), "{error}");
}

#[test]
fn refused_constructs_are_named() {
    let cases = [
        (
            "  timespan: 60s",
            "  timespan: 60s\n  window: 2",
            "correlation key `window`",
        ),
        (
            "type: event_count",
            "type: value_sum",
            "correlation type `value_sum`",
        ),
        ("timespan: 60s", "timespan: 2w", "timespan"),
        (
            "condition: {gte: 3}",
            "condition: {more: 3}",
            "condition `more`",
        ),
        (
            "condition: {gte: 3}",
            "condition: {field: user, gte: 3}",
            "only value_count",
        ),
        (
            "condition: {gte: 3}",
            "condition: {gte: 99999}",
            "counts above",
        ),
        ("  condition: {gte: 3}\n", "", "condition: missing"),
        (
            "rules: [failed_login]",
            "rules: []",
            "rules: missing or empty",
        ),
        (
            "level: high",
            "level: high\ndetection: {}",
            "key `detection`",
        ),
    ];
    for (from, to, expected) in cases {
        let text = format!("{BASE}---\n{}", THREE_FAILS.replace(from, to));
        let error = load_str_all("bad.yml", &text).unwrap_err().to_string();
        assert!(
            error.starts_with("bad.yml: rule `Many failed logins`") && error.contains(expected),
            "{to}: {error}"
        );
    }
}

#[test]
fn references_must_resolve() {
    let unknown = THREE_FAILS.replace("[failed_login]", "[no_such_rule]");
    let loaded = load_str_all("test.yml", &format!("{BASE}---\n{unknown}")).unwrap();
    let error = Correlator::new(loaded.correlations, &loaded.rules)
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with("test.yml: rule `Many failed logins`") && error.contains("no_such_rule"),
        "{error}"
    );
    // By id as well as by name, in another file.
    let by_id = THREE_FAILS.replace("[failed_login]", "[5638f7c0-ac70-491d-8465-2a65075e0d86]");
    let mut loaded = load_str_all("base.yml", BASE).unwrap();
    loaded.extend(load_str_all("corr.yml", &by_id).unwrap());
    let correlator = Correlator::new(loaded.correlations, &loaded.rules).unwrap();
    assert!(!correlator.rule_alerts_alone(0));
    // Two loaded rules with the name are ambiguous.
    let mut twice = load_str_all("base.yml", BASE).unwrap();
    twice.extend(load_str_all("copy.yml", BASE).unwrap());
    twice.extend(load_str_all("corr.yml", THREE_FAILS).unwrap());
    let error = Correlator::new(twice.correlations, &twice.rules)
        .unwrap_err()
        .to_string();
    assert!(error.contains("base.yml, copy.yml"), "{error}");
    // Correlations referring to each other in a loop.
    let looped = r#"
title: A
name: corr_a
correlation: {type: event_count, rules: [corr_b], group-by: [user], timespan: 1m, condition: {gte: 1}}
---
title: B
name: corr_b
correlation: {type: event_count, rules: [corr_a], group-by: [user], timespan: 1m, condition: {gte: 1}}
"#;
    let loaded = load_str_all("loop.yml", looped).unwrap();
    let error = Correlator::new(loaded.correlations, &loaded.rules)
        .unwrap_err()
        .to_string();
    assert!(error.contains("loop"), "{error}");
}

#[test]
fn chained_correlations_follow_the_specification_example() {
    let chain = r#"
title: Many failed logins then a successful one
correlation:
  type: temporal_ordered
  rules: [many_failed, successful_login]
  group-by: [user]
  timespan: 10m
level: high
---
title: Many failed logins
name: many_failed
correlation:
  type: event_count
  rules: [failed_login]
  group-by: [user]
  timespan: 10m
  condition: {gte: 3}
"#;
    let (rules, mut correlator) = setup(chain);
    let titles: Vec<&str> = correlator
        .correlations()
        .map(|c| c.title.as_str())
        .collect();
    assert_eq!(titles[0], "Many failed logins", "inner first");
    let events = [
        at(0, "fail", "a"),
        at(1000, "fail", "a"),
        at(2000, "fail", "a"),
        at(3000, "ok", "a"),
    ];
    let alerts = feed(&rules, &mut correlator, &events);
    // The inner correlation is referenced without generate: only the outer alerts.
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(alerts[0].title, "Many failed logins then a successful one");
    assert_eq!(alerts[0].facts["group"], json!({"user": "a"}));
    // Success first, or too few failures: nothing.
    let early = [
        at(0, "ok", "a"),
        at(1, "fail", "a"),
        at(2, "fail", "a"),
        at(3, "fail", "a"),
    ];
    assert!(run(chain, &early).is_empty());
    assert!(run(
        chain,
        &[at(0, "fail", "a"), at(1, "fail", "a"), at(2, "ok", "a")]
    )
    .is_empty());
}

#[test]
fn aliases_group_different_fields_together() {
    let aliased = r#"
title: Failure on one account then success on the same
correlation:
  type: temporal
  rules: [failed_login, successful_login]
  group-by: [account]
  timespan: 1m
  aliases:
    account:
      failed_login: user
      successful_login: target.name
"#;
    let ok_for = |ms, name: &str| json!({"eventTime": format_time_ms(T0 + ms), "action": "ok", "target": {"name": name}});
    let alerts = run(aliased, &[at(0, "fail", "a"), ok_for(1, "a")]);
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].facts["group"], json!({"account": "a"}));
    assert!(run(aliased, &[at(0, "fail", "a"), ok_for(1, "b")]).is_empty());
    let unknown = aliased.replace("successful_login: target.name", "other: target.name");
    let error = load_str_all("a.yml", &unknown).unwrap_err().to_string();
    assert!(
        error.contains("alias `account`") && error.contains("`other`"),
        "{error}"
    );
}

#[test]
fn state_survives_a_restart_mid_window() {
    let (rules, mut before) = setup(THREE_FAILS);
    assert!(feed(
        &rules,
        &mut before,
        &[at(0, "fail", "a"), at(1000, "fail", "a")]
    )
    .is_empty());
    let saved = before.save().to_string();
    let (rules, mut after) = setup(THREE_FAILS);
    after
        .restore(&serde_json::from_str(&saved).unwrap())
        .unwrap();
    let alerts = feed(&rules, &mut after, &[at(2000, "fail", "a")]);
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].facts["first_time"], format_time_ms(T0));
    // Without the state, the third event alone is not enough.
    let (rules, mut fresh) = setup(THREE_FAILS);
    assert!(feed(&rules, &mut fresh, &[at(2000, "fail", "a")]).is_empty());
    // A changed definition starts afresh; an unreadable state is refused.
    let (rules, mut changed) = setup(&THREE_FAILS.replace("60s", "61s"));
    changed
        .restore(&serde_json::from_str(&saved).unwrap())
        .unwrap();
    assert!(feed(&rules, &mut changed, &[at(2000, "fail", "a")]).is_empty());
    let (_, mut other) = setup(THREE_FAILS);
    assert!(other.restore(&json!({"version": 99})).is_err());
    let broken = saved.replace("\"times\"", "\"nonsense\"");
    assert!(other
        .restore(&serde_json::from_str(&broken).unwrap())
        .is_err());
}

#[test]
fn memory_is_bounded_by_the_group_cap_and_by_time() {
    let (rules, correlator) = setup(THREE_FAILS);
    let mut correlator = correlator.with_max_groups(100);
    let many: Vec<Value> = (0..1000)
        .map(|i| at(i, "fail", &format!("user{i}")))
        .collect();
    assert!(feed(&rules, &mut correlator, &many).is_empty());
    assert!(correlator.group_count() <= 100);
    assert!(correlator.stats().groups_dropped >= 900);
    // The newest groups are the ones kept: user999 still counts.
    let alerts = feed(
        &rules,
        &mut correlator,
        &[at(1000, "fail", "user999"), at(1001, "fail", "user999")],
    );
    assert_eq!(alerts.len(), 1);
    // Once time moves past every window, the groups are gone.
    feed(&rules, &mut correlator, &[at(10 * 60_000, "other", "x")]);
    assert_eq!(correlator.group_count(), 0);
    // A group keeps only the entries that decide its condition.
    let burst: Vec<Value> = (0..1000).map(|i| at(i, "fail", "a")).collect();
    let (rules, mut correlator) = setup(THREE_FAILS);
    feed(&rules, &mut correlator, &burst);
    assert!(correlator.entry_count() <= 4);
}

#[test]
fn level_and_pack_metadata_reach_the_alert() {
    let loaded = load_str_all("test.yml", &format!("{BASE}---\n{THREE_FAILS}")).unwrap();
    let mut correlations = loaded.correlations;
    correlations[0].fnguard_id = Some("FG-DET-999".into());
    correlations[0].title_zh = Some("多次登录失败".into());
    correlations[0].guide = Some("3.4.1".into());
    let mut correlator = Correlator::new(correlations, &loaded.rules).unwrap();
    let events = [at(0, "fail", "a"), at(1, "fail", "a"), at(2, "fail", "a")];
    let alerts = feed(&loaded.rules, &mut correlator, &events);
    assert_eq!(alerts[0].rule_id, "FG-DET-999");
    assert_eq!(alerts[0].title_zh.as_deref(), Some("多次登录失败"));
    assert_eq!(alerts[0].guide.as_deref(), Some("3.4.1"));
    assert_eq!(alerts[0].severity, fnguard_core::severity::Severity::High);
}

#[test]
fn correlations_sharing_an_id_keep_their_own_state() {
    let twins = r#"
title: Twin
correlation: {type: event_count, rules: [failed_login], group-by: [user], timespan: 1m, condition: {gte: 2}}
---
title: Twin
correlation: {type: event_count, rules: [failed_login], group-by: [user], timespan: 1m, condition: {gte: 3}}
"#;
    let (rules, mut before) = setup(twins);
    feed(&rules, &mut before, &[at(0, "fail", "a")]);
    let saved = before.save();
    let keys: Vec<&String> = saved["correlations"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["test.yml#Twin", "test.yml#Twin#2"]);
    let (rules, mut after) = setup(twins);
    after.restore(&saved).unwrap();
    let alerts = feed(
        &rules,
        &mut after,
        &[at(1, "fail", "a"), at(2, "fail", "a")],
    );
    let counts: Vec<&Value> = alerts.iter().map(|a| &a.facts["count"]).collect();
    assert_eq!(counts, [&json!(2), &json!(3)]);
}

#[test]
fn an_outer_correlation_groups_by_its_own_fields() {
    // The inner counts failures per source address; the outer follows one
    // user from the failure that completed it to a success.
    let chain = r#"
title: Spray then success
correlation:
  type: temporal_ordered
  rules: [failures_from_ip, successful_login]
  group-by: [user]
  timespan: 10m
---
title: Failures from one address
name: failures_from_ip
correlation:
  type: event_count
  rules: [failed_login]
  group-by: [ip]
  timespan: 10m
  condition: {gte: 3}
"#;
    let events = [
        from_ip(0, "alice", "10.0.0.1"),
        from_ip(1, "bob", "10.0.0.1"),
        from_ip(2, "carol", "10.0.0.1"),
        at(3, "ok", "carol"),
    ];
    let alerts = run(chain, &events);
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(alerts[0].facts["group"], json!({"user": "carol"}));
    let mut other = events.to_vec();
    other[3] = at(3, "ok", "alice");
    assert!(run(chain, &other).is_empty());
}

#[test]
fn files_load_with_their_name_in_errors() {
    let dir = std::env::temp_dir().join(format!("fnguard-corr-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("mr_failed_logins.yml");
    std::fs::write(&path, format!("{BASE}---\n{THREE_FAILS}")).unwrap();
    let loaded = load_file_all(&path).unwrap();
    assert_eq!((loaded.rules.len(), loaded.correlations.len()), (3, 1));
    assert_eq!(loaded.correlations[0].source, path.display().to_string());
    let missing = dir.join("missing.yml");
    let error = load_file_all(&missing).unwrap_err().to_string();
    assert!(error.starts_with(&missing.display().to_string()), "{error}");
    std::fs::remove_dir_all(&dir).unwrap();
}
