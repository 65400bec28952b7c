use super::dedup::{parse_window, DedupConfig};
use super::suppress::Suppressions;
use super::*;
use crate::input::Origin;
use fnguard_core::date::Date;
use fnguard_core::Lang;
use serde_json::json;

mod ocsf_schema;
mod webhook_server;

fn pack_rule() -> crate::pack::PackRule {
    crate::pack::builtin()
        .unwrap()
        .into_iter()
        .find(|p| p.id == "FG-DET-002")
        .unwrap()
}

fn url_event() -> Event {
    Event {
        value: json!({
            "eventVersion": "1.08",
            "eventTime": "2024-07-01T10:00:00Z",
            "eventSource": "lambda.amazonaws.com",
            "eventName": "CreateFunctionUrlConfig20211031",
            "eventID": "0b7e6a1c-2f1d-4a55-9c52-0d1f3f3b8f01",
            "awsRegion": "us-east-1",
            "recipientAccountId": "111122223333",
            "sourceIPAddress": "203.0.113.9",
            "userAgent": "aws-cli/2.15.0",
            "userIdentity": {
                "type": "AssumedRole",
                "arn": "arn:aws:sts::111122223333:assumed-role/dev/alice",
                "accountId": "111122223333",
                "accessKeyId": "ASIAEXAMPLEKEY000001"
            },
            "requestParameters": {
                "functionName": "arn:aws:lambda:us-east-1:111122223333:function:orders:live",
                "authType": "NONE"
            }
        }),
        origin: Origin {
            file: "trail.json".into(),
            line: None,
            index: 3,
        },
    }
}

/// An alert as a rule of the pack raises it on [`url_event`].
fn pack_alert() -> Alert {
    let pack = pack_rule();
    rule_alert(&pack.rule, Some(&PackInfo::from(&pack)), &url_event())
}

fn alert(rule: &str, severity: Severity, time: &str, facts: Value) -> Alert {
    Alert {
        kind: AlertKind::Rule,
        rule_id: rule.to_string(),
        title: format!("{rule} fired"),
        title_zh: None,
        severity,
        tags: vec![],
        guide: None,
        time: Some(time.to_string()),
        facts: facts.as_object().cloned().unwrap_or_default(),
        origin: None,
    }
}

#[test]
fn a_pack_rule_match_becomes_an_alert_with_its_fnguard_metadata() {
    let alert = pack_alert();
    assert_eq!(alert.rule_id, "FG-DET-002");
    assert_eq!(alert.severity, Severity::High);
    assert_eq!(alert.guide.as_deref(), Some("3.1, 3.4.1"));
    assert!(alert.title_zh.as_deref().unwrap().contains("Lambda"));
    assert_eq!(alert.time.as_deref(), Some("2024-07-01T10:00:00Z"));
    assert_eq!(
        alert.origin,
        Some(AlertOrigin {
            file: "trail.json".into(),
            line: None,
            index: 3
        })
    );
    let facts = &alert.facts;
    assert_eq!(facts["event_name"], "CreateFunctionUrlConfig20211031");
    assert_eq!(facts["event_source"], "lambda.amazonaws.com");
    assert_eq!(
        facts["principal"],
        "arn:aws:sts::111122223333:assumed-role/dev/alice"
    );
    assert_eq!(facts["access_key"], "ASIAEXAMPLEKEY000001");
    assert_eq!(facts["account"], "111122223333");
    assert_eq!(facts["region"], "us-east-1");
    assert_eq!(facts["source_ip"], "203.0.113.9");
    assert_eq!(facts["user_agent"], "aws-cli/2.15.0");
    assert_eq!(facts["function"], "orders", "name out of a qualified ARN");
    assert!(!facts.contains_key("error_code"));
}

#[test]
fn a_sigma_rule_without_the_pack_keeps_its_own_id_or_file() {
    let rules = crate::sigma::Rule::load_str(
        "mine.yml",
        "title: Any call\nlogsource:\n  product: aws\ndetection:\n  s:\n    eventName|exists: true\n  condition: s\n",
    )
    .unwrap();
    let alert = rule_alert(&rules[0], None, &url_event());
    assert_eq!(alert.rule_id, "mine.yml", "no id: the file names it");
    assert_eq!(alert.severity, Severity::Info, "no level");
    assert_eq!(alert.title_zh, None);
    assert_eq!(alert.guide, None);
}

#[test]
fn facts_of_flow_dns_and_lambda_logs_and_times_written_from_numbers() {
    let flow = json!({"log": "vpc-flow", "account-id": "111122223333", "srcaddr": "10.0.0.5",
        "dstaddr": "198.51.100.7", "dstport": 443, "action": "ACCEPT", "start": 1_700_000_000});
    let facts = event_facts(&flow);
    assert_eq!(facts["source_ip"], "10.0.0.5");
    assert_eq!(facts["destination_ip"], "198.51.100.7");
    assert_eq!(facts["destination_port"], 443);
    assert_eq!(facts["account"], "111122223333");
    assert_eq!(
        crate::alert::event_time_text(&flow).as_deref(),
        Some("2023-11-14T22:13:20Z")
    );
    let dns = json!({"query_timestamp": "2024-07-01T10:00:00Z", "query_name": "x.lambda-url.us-east-1.on.aws.", "srcaddr": "10.0.0.5", "account_id": "111122223333", "region": "eu-west-1"});
    let facts = event_facts(&dns);
    assert_eq!(facts["query_name"], "x.lambda-url.us-east-1.on.aws.");
    assert_eq!(facts["region"], "eu-west-1");
    assert_eq!(
        event_facts(&json!({"log": "lambda", "requestId": "r-1"}))["requestId"],
        "r-1"
    );
    assert!(
        event_facts(&json!({"eventName": ""})).is_empty(),
        "empty text is no fact"
    );
}

#[test]
fn table_lines_put_severity_first_and_align() {
    let line = table::line(&pack_alert(), Lang::En);
    assert!(
        line.starts_with("HIGH      2024-07-01T10:00:00Z  FG-DET-002  "),
        "{line}"
    );
    assert!(line.contains("event=CreateFunctionUrlConfig20211031 function=orders principal=arn:aws:sts::111122223333:assumed-role/dev/alice ip=203.0.113.9"), "{line}");
    assert!(line.ends_with("trail.json#3"), "{line}");
    let other = table::line(
        &alert(
            "FG-DET-001",
            Severity::Low,
            "2024-07-01T10:00:00Z",
            json!({}),
        ),
        Lang::En,
    );
    let facts_column = |l: &str| l.find("fired").unwrap();
    assert_eq!(
        line.find("Lambda").unwrap(),
        facts_column(&other) - "FG-DET-001 ".len(),
        "titles start in the same column"
    );
    let long = alert("X", Severity::Info, "-", json!({"event_name": "E"}));
    let long = Alert {
        title: "T".repeat(100),
        ..long
    };
    let line = table::line(&long, Lang::En);
    assert!(
        line.contains(&format!("{}…  event=E", "T".repeat(59))),
        "{line}"
    );
}

#[test]
fn dedup_windows_run_on_event_time_and_key_on_principal_event_and_ip() {
    let mut dedup = dedup::Dedup::new(DedupConfig::new(parse_window("10m").unwrap()));
    let facts = json!({"principal": "arn:a", "event_name": "E", "source_ip": "1.1.1.1"});
    let at = |t: &str| alert("R1", Severity::High, t, facts.clone());
    assert!(dedup.first_in_window(&at("2024-07-01T10:00:00Z")));
    assert!(!dedup.first_in_window(&at("2024-07-01T10:05:00Z")));
    assert!(!dedup.first_in_window(&at("2024-07-01T10:09:59Z")));
    // Another IP, another rule: other keys.
    let other_ip = alert(
        "R1",
        Severity::High,
        "2024-07-01T10:06:00Z",
        json!({"principal": "arn:a", "event_name": "E", "source_ip": "2.2.2.2"}),
    );
    assert!(dedup.first_in_window(&other_ip));
    assert!(dedup.first_in_window(&alert(
        "R2",
        Severity::High,
        "2024-07-01T10:06:00Z",
        facts.clone()
    )));
    // A fact outside the key does not split it.
    let mut with_agent = at("2024-07-01T10:07:00Z");
    with_agent.facts.insert("user_agent".into(), json!("curl"));
    assert!(!dedup.first_in_window(&with_agent));
    // The window closed: output again, a new window.
    assert!(dedup.first_in_window(&at("2024-07-01T10:10:00Z")));
    assert!(!dedup.first_in_window(&at("2024-07-01T10:11:00Z")));
    let report = dedup.finish();
    assert_eq!(report.duplicates, 4);
    assert_eq!(report.groups.len(), 2);
    assert_eq!(report.groups[0].repeats, 3, "largest first");
    assert_eq!(
        report.groups[0].first_time.as_deref(),
        Some("2024-07-01T10:00:00Z")
    );
    assert_eq!(
        report.groups[0].key,
        vec![
            ("principal".to_string(), "arn:a".to_string()),
            ("event_name".to_string(), "E".to_string()),
            ("source_ip".to_string(), "1.1.1.1".to_string())
        ]
    );
    assert!(
        report.lines()[0].starts_with("4 repeated alerts"),
        "{:?}",
        report.lines()
    );
}

#[test]
fn dedup_memory_is_bounded_and_custom_keys_apply() {
    let mut config = DedupConfig::new(60_000);
    config.max_keys = 4;
    config.key_facts = vec!["function".into()];
    let mut dedup = dedup::Dedup::new(config);
    for i in 0..100 {
        let a = alert(
            "R",
            Severity::Low,
            &format!("2024-07-01T10:00:{:02}Z", i % 60),
            json!({"function": format!("f{i}")}),
        );
        assert!(dedup.first_in_window(&a));
        assert!(dedup.open_windows() <= 4);
    }
    // Same function, other principals: one key.
    let a = alert(
        "R",
        Severity::Low,
        "2024-07-01T10:00:59Z",
        json!({"function": "f99", "principal": "p2"}),
    );
    assert!(!dedup.first_in_window(&a));
    assert_eq!(dedup.finish().duplicates, 1);
}

#[test]
fn a_dedup_bound_of_zero_acts_as_one() {
    let mut config = DedupConfig::new(60_000);
    config.max_keys = 0;
    let mut dedup = dedup::Dedup::new(config);
    let a = alert("R", Severity::Low, "2024-07-01T10:00:00Z", json!({}));
    let b = alert("S", Severity::Low, "2024-07-01T10:00:00Z", json!({}));
    assert!(dedup.first_in_window(&a));
    assert!(!dedup.first_in_window(&a));
    assert!(dedup.first_in_window(&b));
    assert_eq!(dedup.open_windows(), 1);
    assert!(
        dedup.first_in_window(&a),
        "its window was closed to make room"
    );
}

#[test]
fn windows_parse_with_units_and_refuse_nonsense() {
    assert_eq!(parse_window("10m"), Ok(600_000));
    assert_eq!(parse_window("30s"), Ok(30_000));
    assert_eq!(parse_window("45"), Ok(45_000));
    assert_eq!(parse_window("2h"), Ok(7_200_000));
    assert_eq!(parse_window("1d"), Ok(86_400_000));
    assert_eq!(parse_window("500ms"), Ok(500));
    for bad in ["", "m", "0s", "10x", "-5m", "99999999999999999999d"] {
        assert!(parse_window(bad).is_err(), "{bad}");
    }
}

const TODAY: Date = Date {
    year: 2026,
    month: 12,
    day: 6,
};

#[test]
fn suppressions_from_toml_match_rule_and_facts_with_globs_and_expire() {
    let text = r#"
[[suppress]]
rule = "FG-DET-002"
reason = "CI creates preview URLs"
facts = { principal = "arn:aws:sts::111122223333:assumed-role/ci-*/*" }

[[suppress]]
rule = "FG-DET-003"
until = 2026-12-01
facts = { principal = "*" }

[[suppress]]
rule = "*"
until = "2027-01-31"
facts = { source_ip = "198.51.100.7" }
"#;
    let loaded = Suppressions::parse("s.toml", text, false, TODAY).unwrap();
    assert_eq!(
        loaded.suppressions.len(),
        2,
        "the expired one is not applied"
    );
    assert_eq!(loaded.warnings.len(), 1);
    assert!(
        loaded.warnings[0].contains("s.toml#2")
            && loaded.warnings[0].contains("expired on 2026-12-01")
    );
    let mut s = loaded.suppressions;
    let ci = alert(
        "FG-DET-002",
        Severity::High,
        "2024-07-01T10:00:00Z",
        json!({"principal": "arn:aws:sts::111122223333:assumed-role/ci-deploy/run-7"}),
    );
    assert!(s.suppresses(&ci));
    let dev = alert(
        "FG-DET-002",
        Severity::High,
        "2024-07-01T10:00:00Z",
        json!({"principal": "arn:aws:sts::111122223333:assumed-role/dev/alice"}),
    );
    assert!(!s.suppresses(&dev));
    let no_principal = alert(
        "FG-DET-002",
        Severity::High,
        "2024-07-01T10:00:00Z",
        json!({}),
    );
    assert!(!s.suppresses(&no_principal), "a fact named must be present");
    let other_rule = alert(
        "FG-DET-003",
        Severity::High,
        "2024-07-01T10:00:00Z",
        json!({"principal": "arn:aws:sts::111122223333:assumed-role/ci-deploy/run-7"}),
    );
    assert!(
        !s.suppresses(&other_rule),
        "rule must match; its own entry expired"
    );
    let any_rule = alert(
        "FG-DET-005",
        Severity::High,
        "2024-07-01T10:00:00Z",
        json!({"source_ip": "198.51.100.7"}),
    );
    assert!(s.suppresses(&any_rule));
    let counts = s.counts();
    assert_eq!(counts.len(), 2);
    assert_eq!(
        (counts[0].source.as_str(), counts[0].count),
        ("s.toml#1", 1)
    );
    assert_eq!(counts[0].reason.as_deref(), Some("CI creates preview URLs"));
    assert_eq!(
        (counts[1].source.as_str(), counts[1].count),
        ("s.toml#3", 1)
    );
}

#[test]
fn suppressions_from_yaml_and_errors_that_name_file_and_entry() {
    let yaml = "suppress:\n  - rule: FG-DET-001\n    until: 2027-03-31\n    facts:\n      function: orders\n";
    let mut s = Suppressions::parse("s.yml", yaml, true, TODAY)
        .unwrap()
        .suppressions;
    assert!(s.suppresses(&alert(
        "FG-DET-001",
        Severity::High,
        "-",
        json!({"function": "orders"})
    )));
    assert!(!s.suppresses(&alert(
        "FG-DET-001",
        Severity::High,
        "-",
        json!({"function": "orders-2"})
    )));

    for (text, yaml, expected) in [
        (
            "[[suppress]]\nrule = \"X\"\nfacts = { a = \"b\" \n",
            false,
            "s.toml",
        ),
        (
            "[[suppress]]\nfacts = { a = \"b\" }\n",
            false,
            "s.toml#1: `rule` is required",
        ),
        (
            "[[suppress]]\nrule = \"*\"\n",
            false,
            "would silence every alert",
        ),
        (
            "[[suppress]]\nrule = \"X\"\nuntil = \"tomorrow\"\n",
            false,
            "`until` `tomorrow` is not a date",
        ),
        (
            "[[suppress]]\nrule = \"X\"\nowner = \"me\"\n",
            false,
            "unknown key `owner`",
        ),
        (
            "[[suppress]]\nrule = \"X\"\n[[suppress]]\nrule = \"Y\"\nfacts = [1]\n",
            false,
            "s.toml#2: `facts` must be a table",
        ),
        ("suppress:\n  - rule: [x\n", true, "s.toml"),
        ("rules: []\n", true, "unknown key `rules`"),
    ] {
        let error = Suppressions::parse("s.toml", text, yaml, TODAY).unwrap_err();
        assert!(error.contains(expected), "{text:?}: {error}");
    }
    let position = Suppressions::parse(
        "s.toml",
        "[[suppress]]\nrule = \"X\"\nfacts = { a = \"b\" \n",
        false,
        TODAY,
    )
    .unwrap_err();
    assert!(
        position.contains("line 3"),
        "TOML errors carry the position: {position}"
    );
    let missing =
        Suppressions::load(std::path::Path::new("/nonexistent/s.toml"), TODAY).unwrap_err();
    assert!(missing.starts_with("/nonexistent/s.toml: "), "{missing}");
    let odd = Suppressions::load(std::path::Path::new("s.json"), TODAY).unwrap_err();
    assert!(odd.contains(".toml, .yml or .yaml"), "{odd}");
}

fn options() -> OutputOptions {
    OutputOptions::default()
}

fn jsonl_lines(bytes: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn outputs_filter_min_severity_then_suppressions_then_duplicates() {
    let yaml = "suppress:\n  - rule: S\n";
    let mut opts = options();
    opts.min_severity = Some(Severity::Medium);
    opts.suppressions = Suppressions::parse("s.yml", yaml, true, TODAY)
        .unwrap()
        .suppressions;
    opts.dedup = Some(DedupConfig::new(60_000));
    let mut out = Outputs::new(Vec::new(), Format::Jsonl, opts).unwrap();
    let facts = json!({"principal": "p", "event_name": "E", "source_ip": "1.1.1.1"});
    out.push(alert(
        "LOW",
        Severity::Low,
        "2024-07-01T10:00:00Z",
        facts.clone(),
    ));
    out.push(alert(
        "S",
        Severity::Critical,
        "2024-07-01T10:00:00Z",
        facts.clone(),
    ));
    out.push(alert(
        "D",
        Severity::High,
        "2024-07-01T10:00:00Z",
        facts.clone(),
    ));
    out.push(alert(
        "D",
        Severity::High,
        "2024-07-01T10:00:30Z",
        facts.clone(),
    ));
    out.push(alert(
        "M",
        Severity::Medium,
        "2024-07-01T10:00:40Z",
        facts.clone(),
    ));
    let (bytes, summary) = out.finish();
    let lines = jsonl_lines(&bytes);
    let ids: Vec<&str> = lines
        .iter()
        .map(|l| l["rule_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["D", "M"]);
    assert_eq!(lines[0]["schema_version"], "1");
    assert_eq!(lines[0]["severity"], "high");
    assert_eq!(lines[0]["facts"]["principal"], "p");
    assert_eq!(summary.output(), 2);
    assert_eq!(
        summary.worst(),
        Some(Severity::High),
        "the suppressed critical does not count"
    );
    assert_eq!(summary.below_min_severity, 1);
    assert_eq!(summary.suppressed_total(), 1);
    assert_eq!(summary.dedup.as_ref().unwrap().duplicates, 1);
    let text = summary.lines().join("\n");
    assert!(text.starts_with("2 alerts: 1 high, 1 medium"), "{text}");
    assert!(
        text.contains("1 alert below --min-severity medium not shown"),
        "{text}"
    );
    assert!(
        text.contains("1 alert suppressed by s.yml#1 (rule S)"),
        "{text}"
    );
    assert!(text.contains("1 repeated alert folded"), "{text}");
}

#[test]
fn table_output_ends_with_the_summary_and_json_formats_do_not() {
    let mut out = Outputs::new(Vec::new(), Format::Table, options()).unwrap();
    out.push(pack_alert());
    let (bytes, summary) = out.finish();
    let text = String::from_utf8(bytes).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].starts_with("HIGH"));
    assert_eq!(lines[1], "1 alert: 1 high");
    assert_eq!(summary.worst(), Some(Severity::High));

    let mut out = Outputs::new(Vec::new(), Format::Ocsf, options()).unwrap();
    out.push(pack_alert());
    let (bytes, _) = out.finish();
    let lines = jsonl_lines(&bytes);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["class_uid"], 2004);

    let (bytes, summary) = Outputs::new(Vec::new(), Format::Table, options())
        .unwrap()
        .finish();
    assert_eq!(String::from_utf8(bytes).unwrap(), "0 alerts\n");
    assert_eq!(summary.worst(), None);
}

/// A writer whose reader went away (`fnguard detect ... | head -1`).
struct ClosedPipe;
impl Write for ClosedPipe {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Err(io::ErrorKind::BrokenPipe.into())
    }
    fn flush(&mut self) -> io::Result<()> {
        Err(io::ErrorKind::BrokenPipe.into())
    }
}

#[test]
fn a_closed_pipe_stops_writing_but_not_counting() {
    let mut out = Outputs::new(ClosedPipe, Format::Jsonl, options()).unwrap();
    out.push(pack_alert());
    out.push(pack_alert());
    let (_, summary) = out.finish();
    assert_eq!(summary.output(), 2);
    assert_eq!(summary.write_error, None);
}

#[test]
fn ocsf_findings_carry_every_required_attribute_and_valid_enums() {
    let finding = ocsf::finding(&pack_alert());
    let problems = ocsf_schema::problems(&finding);
    assert!(problems.is_empty(), "{problems:#?}\n{finding:#}");
    assert_eq!(finding["severity_id"], 4);
    assert_eq!(finding["type_uid"], 200401);
    assert_eq!(finding["time"], 1_719_828_000_000i64);
    assert_eq!(finding["metadata"]["version"], "1.3.0");
    assert_eq!(finding["metadata"]["product"]["name"], "fnguard");
    let info = &finding["finding_info"];
    assert_eq!(info["analytic"]["uid"], "FG-DET-002");
    assert_eq!(info["analytic"]["type_id"], 1);
    assert_eq!(
        info["attacks"],
        json!([{"technique": {"uid": "T1190", "name": "Exploit Public-Facing Application"},
                "tactic": {"uid": "TA0003", "name": "Persistence"}}])
    );
    assert_eq!(
        finding["cloud"],
        json!({"provider": "AWS", "region": "us-east-1", "account": {"uid": "111122223333"}})
    );
    assert_eq!(finding["resources"][0]["name"], "orders");
    let evidence = &finding["evidences"][0];
    assert_eq!(
        evidence["actor"]["user"]["uid"],
        "arn:aws:sts::111122223333:assumed-role/dev/alice"
    );
    assert_eq!(evidence["src_endpoint"]["ip"], "203.0.113.9");
    assert_eq!(
        evidence["api"]["operation"],
        "CreateFunctionUrlConfig20211031"
    );
    let observed: Vec<(u64, &str)> = finding["observables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["type_id"].as_u64().unwrap(), o["value"].as_str().unwrap()))
        .collect();
    assert!(observed.contains(&(2, "203.0.113.9")));
    assert!(observed.contains(&(16, "aws-cli/2.15.0")));
    assert_eq!(finding["unmapped"]["fnguard"]["guide"], "3.1, 3.4.1");

    // Stable: same rule and event, same uid; another event, another uid.
    assert_eq!(
        ocsf::finding(&pack_alert())["finding_info"]["uid"],
        info["uid"]
    );
    let mut other = pack_alert();
    other.facts.insert("event_id".into(), json!("another"));
    assert_ne!(ocsf::finding(&other)["finding_info"]["uid"], info["uid"]);
}

#[test]
fn ocsf_findings_of_bare_alerts_stay_valid() {
    // No facts, no time, a detector: evidence falls back to `data`, time
    // to now, the analytic is behavioural.
    let bare = Alert {
        kind: AlertKind::Detector,
        time: None,
        tags: vec!["attack.credential-access".into(), "attack.t1552.005".into()],
        ..alert("FG-DET-050", Severity::Critical, "-", json!({}))
    };
    let finding = ocsf::finding(&bare);
    let problems = ocsf_schema::problems(&finding);
    assert!(problems.is_empty(), "{problems:#?}\n{finding:#}");
    assert_eq!(finding["severity_id"], 5);
    assert_eq!(finding["finding_info"]["analytic"]["type_id"], 2);
    assert!(finding["time"].as_i64().unwrap() > 1_700_000_000_000);
    assert!(finding.get("cloud").is_none());
    assert_eq!(
        finding["finding_info"]["attacks"][0]["technique"]["uid"],
        "T1552.005"
    );
    assert_eq!(
        finding["finding_info"]["attacks"][0]["tactic"]["uid"],
        "TA0006"
    );
    // Tactics alone.
    assert_eq!(
        ocsf::attacks(&[
            "attack.impact".into(),
            "attack.discovery".into(),
            "cve.2024".into()
        ])
        .len(),
        2
    );
}

#[test]
fn the_ocsf_check_itself_catches_broken_findings() {
    let good = ocsf::finding(&pack_alert());
    let mut broken = good.clone();
    broken["type_uid"] = json!(200402);
    broken["severity_id"] = json!(7);
    broken.as_object_mut().unwrap().remove("metadata");
    broken["finding_info"]
        .as_object_mut()
        .unwrap()
        .remove("uid");
    broken["observables"][0]
        .as_object_mut()
        .unwrap()
        .remove("type_id");
    broken["surprise"] = json!(1);
    broken["evidences"][0]["http_request"] = json!({"user_agent": "x"});
    let problems = ocsf_schema::problems(&broken);
    for expected in [
        "type_uid",
        "severity_id",
        "metadata",
        "finding_info.uid",
        "observables[0].type_id",
        "evidences[0].http_request",
        "surprise",
    ] {
        assert!(
            problems.iter().any(|p| p.contains(expected)),
            "{expected}: {problems:#?}"
        );
    }
}

#[test]
fn the_documented_suppression_file_loads_and_works() {
    let text = include_str!("../../../../docs/detect-suppress.toml");
    let loaded = Suppressions::parse("docs/detect-suppress.toml", text, false, TODAY).unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let mut s = loaded.suppressions;
    let ci = alert(
        "FG-DET-003",
        Severity::Medium,
        "2026-07-01T10:00:00Z",
        json!({"principal": "arn:aws:sts::111122223333:assumed-role/ci-deploy/build-42"}),
    );
    assert!(s.suppresses(&ci));
    let red_team = alert(
        "FG-DET-006",
        Severity::High,
        "2026-07-01T10:00:00Z",
        json!({"account": "444455556666", "user_agent": "stratus-red-team_83a7"}),
    );
    assert!(s.suppresses(&red_team));
    let real = alert(
        "FG-DET-006",
        Severity::High,
        "2026-07-01T10:00:00Z",
        json!({"account": "444455556666", "user_agent": "aws-cli/2"}),
    );
    assert!(!s.suppresses(&real));
}

#[test]
fn counts_read_as_english() {
    assert_eq!(counted(1, "alert"), "1 alert");
    assert_eq!(counted(0, "alert"), "0 alerts");
    assert_eq!(counted(3, "retry"), "3 retries");
    assert_eq!(counted(1, "retry"), "1 retry");
}

#[test]
fn chinese_titles_for_the_table_and_slack_when_the_rule_has_one() {
    let pack = pack_alert();
    let zh = pack.title_zh.clone().unwrap();
    assert!(table::line(&pack, Lang::Zh).contains(&zh));
    assert!(webhook::slack_line(&pack, Lang::Zh).contains(&zh));
    let sigma = alert("R", Severity::Low, "2024-07-01T10:00:00Z", json!({}));
    assert!(
        table::line(&sigma, Lang::Zh).contains("R fired"),
        "English when there is no Chinese"
    );
}
