use std::path::{Path, PathBuf};

use fnguard_detect::sigma::{Placeholders, Rule, RuleError, RuleSet};
use serde_json::{json, Value};

fn rule(detection: &str) -> Rule {
    try_rule(detection).unwrap_or_else(|e| panic!("{e}"))
}

fn try_rule(detection: &str) -> Result<Rule, RuleError> {
    let indented: String = detection.lines().map(|l| format!("    {l}\n")).collect();
    let text = format!("title: test\nlogsource:\n    product: aws\ndetection:\n{indented}");
    Rule::load_str("test.yml", &text).map(|mut rules| rules.remove(0))
}

fn error_of(detection: &str) -> String {
    try_rule(detection).map(|_| ()).unwrap_err().to_string()
}

fn rules_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sigma-aws-cloudtrail")
}

fn sigmahq_rules() -> Vec<Rule> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(rules_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "yml"))
        .collect();
    paths.sort();
    assert_eq!(paths.len(), 57);
    paths
        .iter()
        .flat_map(|path| Rule::load_file(path).unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

#[test]
fn damaged_rules_are_refused_or_run_but_never_panic() {
    let events = [
        json!({"eventName": "CreateAccessKey", "eventSource": "iam.amazonaws.com", "requestParameters": {"a": [1, "x", null]}}),
        json!({"eventName": 5, "userIdentity": "not an object"}),
        json!([null, {"eventName": ["a"]}]),
        json!(null),
    ];
    let mut loaded = 0;
    for entry in std::fs::read_dir(rules_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "yml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let variants = (0..text.len())
            .step_by(13)
            .filter(|&cut| text.is_char_boundary(cut))
            .flat_map(|cut| {
                [
                    text[..cut].to_string(),
                    format!("{}|{}", &text[..cut], &text[cut..]),
                    format!("{}*?\\{}", &text[..cut], &text[cut..]),
                    format!("{} (not {}", &text[..cut], &text[cut..]),
                ]
            });
        for variant in variants {
            if let Ok(rules) = Rule::load_str("damaged.yml", &variant) {
                loaded += rules.len();
                let set = RuleSet::new(rules);
                for event in &events {
                    set.matching(event).count();
                }
            }
        }
    }
    assert!(loaded > 0);
}

#[test]
fn rules_can_be_shared_across_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<Rule>();
    shareable::<RuleSet>();
}

#[test]
fn every_sigmahq_cloudtrail_rule_loads_with_its_metadata() {
    let rules = sigmahq_rules();
    assert_eq!(rules.len(), 57);
    let backdoor = rules
        .iter()
        .find(|r| r.id.as_deref() == Some("0a5177f4-6ca9-44c2-aacf-d3f3d8b6e4d2"))
        .unwrap();
    assert_eq!(backdoor.title, "AWS IAM Backdoor Users Keys");
    assert_eq!(backdoor.level.as_deref(), Some("medium"));
    assert_eq!(backdoor.status.as_deref(), Some("test"));
    assert!(backdoor.tags.contains(&"attack.t1098".to_string()));
    assert_eq!(backdoor.logsource.product.as_deref(), Some("aws"));
    assert_eq!(backdoor.logsource.service.as_deref(), Some("cloudtrail"));
    assert_eq!(backdoor.falsepositives.len(), 2);
    assert_eq!(backdoor.references.len(), 1);
    assert!(backdoor
        .description
        .as_deref()
        .unwrap()
        .contains("API key creation"));
    assert!(backdoor.source.ends_with("aws_iam_backdoor_users_keys.yml"));
}

#[test]
fn the_backdoor_users_keys_rule_fires_on_every_create_access_key() {
    // SigmaHQ's rule writes `userIdentity.arn|contains: responseElements.accessKey.userName`:
    // without `fieldref` that is the literal text "responseElements.accessKey.userName",
    // which no ARN contains, so the filter never applies and the rule fires even
    // when users create keys for themselves. We run the rule as written.
    let rules = Rule::load_file(rules_dir().join("aws_iam_backdoor_users_keys.yml")).unwrap();
    let own_key = json!({
        "eventSource": "iam.amazonaws.com",
        "eventName": "CreateAccessKey",
        "userIdentity": {"arn": "arn:aws:iam::1:user/alice"},
        "responseElements": {"accessKey": {"userName": "alice"}}
    });
    assert!(rules[0].matches(&own_key));
    let filtered = json!({
        "eventSource": "iam.amazonaws.com",
        "eventName": "CreateAccessKey",
        "userIdentity": {"arn": "arn:aws:iam::1:user/responseElements.accessKey.userName"}
    });
    assert!(!rules[0].matches(&filtered));
}

#[test]
fn fieldref_compares_two_fields() {
    let r = rule("selection:\n    userIdentity.arn|fieldref|endswith: requestParameters.userName\ncondition: selection");
    let own = json!({"userIdentity": {"arn": "arn:aws:iam::1:user/Alice"}, "requestParameters": {"userName": "alice"}});
    let other = json!({"userIdentity": {"arn": "arn:aws:iam::1:user/bob"}, "requestParameters": {"userName": "alice"}});
    assert!(r.matches(&own));
    assert!(!r.matches(&other));
    let equal = rule("selection:\n    a|fieldref: b\ncondition: selection");
    assert!(equal.matches(&json!({"a": "x", "b": "X"})));
    assert!(!equal.matches(&json!({"a": "x", "b": "y"})));
    assert!(!equal.matches(&json!({"a": "x"})));
}

#[test]
fn plain_values_match_whole_and_ignore_case() {
    let r = rule("selection:\n    eventName: CreateUser\ncondition: selection");
    assert!(r.matches(&json!({"eventName": "createuser"})));
    assert!(!r.matches(&json!({"eventName": "CreateUserX"})));
    assert!(!r.matches(&json!({})));
}

#[test]
fn lists_are_or_and_fields_are_and() {
    let r = rule("selection:\n    eventName:\n        - A\n        - B\n    eventSource: s\ncondition: selection");
    assert!(r.matches(&json!({"eventName": "B", "eventSource": "s"})));
    assert!(!r.matches(&json!({"eventName": "C", "eventSource": "s"})));
    assert!(!r.matches(&json!({"eventName": "A", "eventSource": "t"})));
}

#[test]
fn a_list_of_maps_is_or() {
    let r = rule("selection:\n    - a: 1\n      b: 2\n    - c: 3\ncondition: selection");
    assert!(r.matches(&json!({"a": 1, "b": 2})));
    assert!(r.matches(&json!({"c": "3"})));
    assert!(!r.matches(&json!({"a": 1, "c": 4})));
}

#[test]
fn keywords_match_any_string_anywhere() {
    let r = rule("keywords:\n    - trufflehog\n    - 'evil*tool'\ncondition: keywords");
    assert!(r.matches(&json!({"deep": {"list": ["x", "TruffleHog/3.0"]}})));
    assert!(r.matches(&json!({"ua": "the evil hacking tool"})));
    assert!(!r.matches(&json!({"ua": "curl", "trufflehog": 1})));
}

#[test]
fn contains_startswith_endswith() {
    let contains = rule("selection:\n    ua|contains: Hog\ncondition: selection");
    assert!(contains.matches(&json!({"ua": "trufflehog 3"})));
    assert!(!contains.matches(&json!({"ua": "curl"})));
    let starts = rule("selection:\n    name|startswith: Update\ncondition: selection");
    assert!(starts.matches(&json!({"name": "UpdateFunctionCode20150331v2"})));
    assert!(!starts.matches(&json!({"name": "GetUpdate"})));
    let ends = rule("selection:\n    name|endswith: v2\ncondition: selection");
    assert!(ends.matches(&json!({"name": "AddPermission20150331V2"})));
    assert!(!ends.matches(&json!({"name": "v2x"})));
}

#[test]
fn contains_all_needs_every_value() {
    let r = rule("selection:\n    p|contains|all:\n        - '\"Allow\"'\n        - 's3:\\*'\ncondition: selection");
    assert!(r.matches(&json!({"p": {"Effect": "Allow", "Action": "s3:*"}})));
    assert!(!r.matches(&json!({"p": {"Effect": "Allow", "Action": "s3:Get"}})));
}

#[test]
fn wildcards_and_escapes() {
    let r = rule("selection:\n    a: 'ab*ef?h'\ncondition: selection");
    assert!(r.matches(&json!({"a": "ABcdEFgh"})));
    assert!(!r.matches(&json!({"a": "abcdefh"})));
    let escaped = rule("selection:\n    a: 'x\\*y\\?z\\\\'\ncondition: selection");
    assert!(escaped.matches(&json!({"a": "x*y?z\\"})));
    assert!(!escaped.matches(&json!({"a": "xAyBz\\"})));
    let other_backslash = rule("selection:\n    a: 'C:\\Windows'\ncondition: selection");
    assert!(other_backslash.matches(&json!({"a": "c:\\windows"})));
}

#[test]
fn regex_with_flags() {
    let r = rule("selection:\n    arn|re: ':assumed-role/.*/i-[0-9a-f]+$'\ncondition: selection");
    assert!(r.matches(&json!({"arn": "arn:aws:sts::1:assumed-role/r/i-0abc"})));
    assert!(!r.matches(&json!({"arn": "arn:aws:sts::1:assumed-role/r/I-0ABC"})));
    let insensitive = rule("selection:\n    arn|re|i: 'i-[0-9a-f]+$'\ncondition: selection");
    assert!(insensitive.matches(&json!({"arn": "I-0ABC"})));
    let multiline = rule("selection:\n    t|re|m: '^b$'\ncondition: selection");
    assert!(multiline.matches(&json!({"t": "a\nb\nc"})));
    assert!(!rule("selection:\n    t|re: '^b$'\ncondition: selection")
        .matches(&json!({"t": "a\nb\nc"})));
    let dotall = rule("selection:\n    t|re|s: 'a.b'\ncondition: selection");
    assert!(dotall.matches(&json!({"t": "a\nb"})));
    assert!(
        !rule("selection:\n    t|re: 'a.b'\ncondition: selection").matches(&json!({"t": "a\nb"}))
    );
}

#[test]
fn cidr_v4_and_v6() {
    let r = rule("selection:\n    ip|cidr:\n        - 10.0.0.0/8\n        - '2001:db8::/32'\ncondition: selection");
    assert!(r.matches(&json!({"ip": "10.1.2.3"})));
    assert!(r.matches(&json!({"ip": "2001:db8:1::5"})));
    assert!(!r.matches(&json!({"ip": "11.0.0.1"})));
    assert!(!r.matches(&json!({"ip": "2001:db9::1"})));
    assert!(!r.matches(&json!({"ip": "lambda.amazonaws.com"})));
    let any = rule("selection:\n    ip|cidr: 0.0.0.0/0\ncondition: selection");
    assert!(any.matches(&json!({"ip": "1.2.3.4"})));
    assert!(!any.matches(&json!({"ip": "::1"})));
    assert!(
        error_of("selection:\n    ip|cidr: 10.0.0.0/33\ncondition: selection").contains("CIDR")
    );
}

#[test]
fn base64_and_base64offset() {
    // "secret" in base64 is c2VjcmV0.
    let plain = rule("selection:\n    b|base64|contains: secret\ncondition: selection");
    assert!(plain.matches(&json!({"b": "xxc2VjcmV0yy"})));
    assert!(!plain.matches(&json!({"b": "C2VJCMV0"})));
    // "a secret!" = YSBzZWNyZXQh: "secret" sits at offset 2.
    let offset = rule("selection:\n    b|base64offset|contains: secret\ncondition: selection");
    assert!(offset.matches(&json!({"b": "YSBzZWNyZXQh"})));
    assert!(offset.matches(&json!({"b": "c2VjcmV0"})));
    assert!(!offset.matches(&json!({"b": "cHVibGlj"})));
}

#[test]
fn utf16_variants_with_base64() {
    // "ab" in UTF-16LE is 61 00 62 00 = YQBiAA==; UTF-16BE 00 61 00 62 = AGEAYg==.
    let le = rule("selection:\n    b|utf16le|base64: ab\ncondition: selection");
    assert!(le.matches(&json!({"b": "YQBiAA=="})));
    assert!(!le.matches(&json!({"b": "AGEAYg=="})));
    let wide = rule("selection:\n    b|wide|base64: ab\ncondition: selection");
    assert!(wide.matches(&json!({"b": "YQBiAA=="})));
    let be = rule("selection:\n    b|utf16be|base64: ab\ncondition: selection");
    assert!(be.matches(&json!({"b": "AGEAYg=="})));
    assert!(!be.matches(&json!({"b": "YQBiAA=="})));
    let offset = rule("selection:\n    b|wide|base64offset|contains: ab\ncondition: selection");
    assert!(offset.matches(&json!({"b": "zzYQBiAAzz"})));
    assert!(error_of("selection:\n    b|utf16le: ab\ncondition: selection").contains("utf16"));
}

#[test]
fn exists_true_and_false() {
    let present = rule("selection:\n    a.b|exists: true\ncondition: selection");
    assert!(present.matches(&json!({"a": {"b": null}})));
    assert!(!present.matches(&json!({"a": {}})));
    let absent = rule("selection:\n    a.b|exists: false\ncondition: selection");
    assert!(absent.matches(&json!({"a": 1})));
    assert!(!absent.matches(&json!({"a": {"b": 0}})));
}

#[test]
fn null_matches_missing_or_null() {
    let r = rule("selection:\n    errorCode: null\ncondition: selection");
    assert!(r.matches(&json!({})));
    assert!(r.matches(&json!({"errorCode": null})));
    assert!(!r.matches(&json!({"errorCode": "AccessDenied"})));
}

#[test]
fn numeric_comparisons() {
    let r = rule("selection:\n    d|gt: 100\n    m|lte: 5\ncondition: selection");
    assert!(r.matches(&json!({"d": 100.5, "m": "5"})));
    assert!(!r.matches(&json!({"d": 100, "m": 5})));
    assert!(!r.matches(&json!({"d": "x", "m": 1})));
    let lt = rule("selection:\n    d|lt: 0\ncondition: selection");
    assert!(lt.matches(&json!({"d": -1})));
    assert!(!lt.matches(&json!({"d": 0})));
    let gte = rule("selection:\n    d|gte: 7\ncondition: selection");
    assert!(gte.matches(&json!({"d": 7})));
    assert!(!gte.matches(&json!({"d": 6.9})));
}

#[test]
fn neq_needs_the_field_and_another_value() {
    let r = rule("selection:\n    type|neq: Root\ncondition: selection");
    assert!(r.matches(&json!({"type": "IAMUser"})));
    assert!(!r.matches(&json!({"type": "root"})));
    assert!(!r.matches(&json!({})));
}

#[test]
fn cased_compares_exactly() {
    let r = rule("selection:\n    a|cased: Foo\n    b|contains|cased: Bar\ncondition: selection");
    assert!(r.matches(&json!({"a": "Foo", "b": "xBarx"})));
    assert!(!r.matches(&json!({"a": "foo", "b": "xBarx"})));
    assert!(!r.matches(&json!({"a": "Foo", "b": "xbarx"})));
}

#[test]
fn expand_takes_placeholders_from_the_caller() {
    let mut placeholders = Placeholders::new();
    placeholders.insert("admins".into(), vec!["alice".into(), "bob".into()]);
    let text = "title: t\ndetection:\n    selection:\n        user|expand: 'arn:aws:iam::1:user/%admins%'\n    condition: selection\n";
    let rules = Rule::load_str_with("t.yml", text, &placeholders).unwrap();
    assert!(rules[0].matches(&json!({"user": "arn:aws:iam::1:user/bob"})));
    assert!(!rules[0].matches(&json!({"user": "arn:aws:iam::1:user/eve"})));
    let error = Rule::load_str("t.yml", text).unwrap_err().to_string();
    assert!(
        error.contains("t.yml") && error.contains("%admins%"),
        "{error}"
    );
}

#[test]
fn unicode_literals_ignore_case() {
    let r = rule("selection:\n    a|contains: ÄRGER\ncondition: selection");
    assert!(r.matches(&json!({"a": "viel ärger hier"})));
    assert!(!r.matches(&json!({"a": "arger"})));
}

#[test]
fn conditions_and_or_not_parentheses_precedence() {
    let sels = "a:\n    x: 1\nb:\n    y: 1\nc:\n    z: 1\n";
    let run = |condition: &str, event: Value| {
        rule(&format!("{sels}condition: {condition}")).matches(&event)
    };
    // not > and > or: `a or b and not c` is `a or (b and (not c))`.
    assert!(run("a or b and not c", json!({"x": 1, "z": 1})));
    assert!(run("a or b and not c", json!({"y": 1})));
    assert!(!run("a or b and not c", json!({"y": 1, "z": 1})));
    assert!(!run("(a or b) and not c", json!({"x": 1, "z": 1})));
    assert!(run("not (a and b)", json!({"x": 1})));
    assert!(!run("not (a and b)", json!({"x": 1, "y": 1})));
    assert!(run("a AND NOT b", json!({"x": 1})));
}

#[test]
fn quantified_conditions() {
    let sels = "sel_a:\n    x: 1\nsel_b:\n    y: 1\n_hidden:\n    h: 1\n";
    let run = |condition: &str, event: Value| {
        rule(&format!("{sels}condition: {condition}")).matches(&event)
    };
    assert!(run("1 of sel_*", json!({"y": 1})));
    assert!(!run("1 of sel_*", json!({"h": 1})));
    assert!(run("all of sel_*", json!({"x": 1, "y": 1})));
    assert!(!run("all of sel_*", json!({"x": 1})));
    assert!(run("1 of them", json!({"x": 1})));
    // Names beginning with `_` are not part of `them`.
    assert!(!run("1 of them", json!({"h": 1})));
    assert!(run("all of them", json!({"x": 1, "y": 1})));
    assert!(!run("all of them", json!({"y": 1})));
    assert!(run("not 1 of sel_*", json!({"h": 1})));
}

#[test]
fn a_condition_list_is_or() {
    let r = rule("a:\n    x: 1\nb:\n    y: 1\ncondition:\n    - a\n    - b");
    assert!(r.matches(&json!({"y": 1})));
    assert!(!r.matches(&json!({"z": 1})));
}

#[test]
fn arrays_match_on_any_element() {
    let r = rule("selection:\n    requestParameters.layers|contains: '*'\ncondition: selection");
    assert!(r.matches(&json!({"requestParameters": {"layers": ["arn:aws:lambda:x:1:layer:l:1"]}})));
    assert!(!r.matches(&json!({"requestParameters": {"layers": []}})));
    let nested =
        rule("selection:\n    r.defs.command|contains: '169.254.170.2'\ncondition: selection");
    assert!(nested.matches(
        &json!({"r": {"defs": [{"command": ["sh"]}, {"command": ["curl", "169.254.170.2/v2"]}]}})
    ));
    assert!(!nested.matches(&json!({"r": {"defs": [{"command": ["sh"]}]}})));
}

#[test]
fn objects_match_contains_on_compact_json() {
    let r = rule(
        "selection:\n    requestParameters|contains: '\"principal\":\"\\*\"'\ncondition: selection",
    );
    assert!(r.matches(&json!({"requestParameters": {"functionName": "f", "principal": "*"}})));
    assert!(!r.matches(&json!({"requestParameters": {"principal": "s3.amazonaws.com"}})));
}

#[test]
fn missing_fields_are_false_never_errors() {
    let r = rule("selection:\n    a.b.c|contains: x\n    d|gt: 1\ncondition: selection");
    assert!(!r.matches(&json!({"a": "string, not an object"})));
    assert!(!r.matches(&json!(null)));
    assert!(!r.matches(&json!([1, 2])));
    let negated = rule("selection:\n    a.b: x\ncondition: not selection");
    assert!(negated.matches(&json!({})));
}

#[test]
fn numbers_and_strings_compare_by_value() {
    let number_rule = rule("selection:\n    status: 200\ncondition: selection");
    assert!(number_rule.matches(&json!({"status": "200"})));
    assert!(number_rule.matches(&json!({"status": 200})));
    assert!(number_rule.matches(&json!({"status": 200.0})));
    assert!(!number_rule.matches(&json!({"status": 404})));
    let infinite = rule("selection:\n    status: inf\ncondition: selection");
    assert!(!infinite.matches(&json!({"status": "Infinity"})));
    let string_rule = rule("selection:\n    status: '200'\ncondition: selection");
    assert!(string_rule.matches(&json!({"status": 200})));
    let boolean = rule("selection:\n    flag: true\ncondition: selection");
    assert!(boolean.matches(&json!({"flag": true})));
    assert!(boolean.matches(&json!({"flag": "True"})));
    assert!(!boolean.matches(&json!({"flag": false})));
}

#[test]
fn dotted_names_prefer_a_literal_key() {
    let r = rule("selection:\n    userIdentity.arn: literal\ncondition: selection");
    assert!(r.matches(&json!({"userIdentity.arn": "literal", "userIdentity": {"arn": "nested"}})));
    assert!(r.matches(&json!({"userIdentity": {"arn": "literal"}})));
    assert!(!r.matches(&json!({"userIdentity.arn": "nested", "userIdentity": {"arn": "literal"}})));
    let deeper = rule("selection:\n    a.b.c: v\ncondition: selection");
    assert!(deeper.matches(&json!({"a": {"b.c": "v"}})));
}

#[test]
fn unsupported_constructs_are_refused_naming_file_and_construct() {
    for (detection, construct) in [
        (
            "selection:\n    a|windash: x\ncondition: selection",
            "modifier `windash`",
        ),
        (
            "selection:\n    a: x\ncondition: selection | count() > 5",
            "aggregation",
        ),
        ("a:\n    x: 1\nb:\n    y: 1\ncondition: a near b", "near"),
        (
            "selection:\n    a: x\ntimeframe: 5m\ncondition: selection",
            "timeframe",
        ),
        ("selection:\n    a: x\ncondition: 2 of selection", "`2 of`"),
        (
            "selection:\n    a|re|contains: x\ncondition: selection",
            "modifier combination `re|contains`",
        ),
        (
            "selection:\n    a|cidr|base64: x\ncondition: selection",
            "modifier combination",
        ),
        (
            "selection:\n    a|i: x\ncondition: selection",
            "modifier `i`",
        ),
    ] {
        let error = error_of(detection);
        assert!(
            error.starts_with("test.yml: rule `test`: unsupported"),
            "{error}"
        );
        assert!(error.contains(construct), "{error}");
    }
    let correlation = "title: many\ncorrelation:\n    type: event_count\n    rules: [x]\n";
    let error = Rule::load_str("c.yml", correlation)
        .unwrap_err()
        .to_string();
    assert_eq!(
        error,
        "c.yml: rule `many`: unsupported correlation rule here (load the file with `sigma::load_file_all`)"
    );
}

#[test]
fn invalid_rules_are_refused_naming_file_and_construct() {
    assert!(
        error_of("selection:\n    a: x\ncondition: selection and other")
            .contains("unknown selection `other`")
    );
    assert!(error_of("selection:\n    a: x\ncondition: 1 of filter_*")
        .contains("no selection matches `filter_*`"));
    assert!(error_of("selection:\n    a: x\ncondition: (selection").contains("missing `)`"));
    assert!(error_of("selection:\n    a: x\ncondition: selection and").contains("condition"));
    assert!(error_of("selection:\n    a: x").contains("condition"));
    assert!(error_of("selection:\n    a|re: '(?<=x)y'\ncondition: selection").contains("regex"));
    assert!(
        error_of("selection:\n    a|exists: yes please\ncondition: selection").contains("exists")
    );
    assert!(error_of("selection:\n    a|gt: many\ncondition: selection").contains("not a number"));
    let error = Rule::load_str("broken.yml", "title: [")
        .unwrap_err()
        .to_string();
    assert!(error.starts_with("broken.yml: not YAML"), "{error}");
    let error = Rule::load_file(Path::new("/nonexistent/rule.yml"))
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with("/nonexistent/rule.yml: cannot read"),
        "{error}"
    );
}

#[test]
fn several_rules_per_file() {
    let text = "title: one\ndetection:\n    s:\n        a: 1\n    condition: s\n---\ntitle: two\ndetection:\n    s:\n        a: 2\n    condition: s\n---\n";
    let rules = Rule::load_str("multi.yml", text).unwrap();
    assert_eq!(
        rules.iter().map(|r| r.title.as_str()).collect::<Vec<_>>(),
        ["one", "two"]
    );
    let broken = "title: one\ndetection:\n    s:\n        a: 1\n    condition: s\n---\ntitle: two\ndetection:\n    condition: s\n";
    let error = Rule::load_str("multi.yml", broken).unwrap_err().to_string();
    assert!(error.contains("multi.yml: rule `two`"), "{error}");
}

#[test]
fn ruleset_indexes_by_event_name_and_source_and_keeps_the_rest() {
    let load = |text: &str| Rule::load_str("r.yml", text).unwrap();
    let mut rules = Vec::new();
    rules.extend(load("title: by-name\ndetection:\n    s:\n        eventName: [CreateUser, DeleteUser]\n    condition: s\n"));
    rules.extend(load("title: by-source\ndetection:\n    s:\n        eventSource: iam.amazonaws.com\n        eventName|startswith: Put\n    condition: s\n"));
    rules.extend(load("title: fallback\ndetection:\n    s:\n        eventName: CreateUser\n    t:\n        userAgent|contains: curl\n    condition: s or t\n"));
    let set = RuleSet::new(rules);
    let titles = |event: Value| {
        let mut titles: Vec<String> = set.matching(&event).map(|r| r.title.clone()).collect();
        titles.sort();
        titles
    };
    assert_eq!(
        titles(json!({"eventName": "createuser"})),
        ["by-name", "fallback"]
    );
    assert_eq!(
        titles(json!({"eventName": "PutUserPolicy", "eventSource": "IAM.amazonaws.com"})),
        ["by-source"]
    );
    assert_eq!(
        titles(json!({"eventName": "GetUser", "userAgent": "curl/8"})),
        ["fallback"]
    );
    assert!(titles(json!({"eventName": "GetUser"})).is_empty());
    // Shapes the index cannot key on run every rule.
    assert_eq!(
        titles(json!({"eventName": ["GetUser", "CreateUser"]})),
        ["by-name", "fallback"]
    );
    assert_eq!(
        titles(json!([{"eventName": "CreateUser"}])),
        ["by-name", "fallback"]
    );
    assert_eq!(set.rules().len(), 3);
}

#[test]
fn ruleset_gives_the_same_hits_as_running_every_rule() {
    let set = RuleSet::new(sigmahq_rules());
    for event in stratus_events() {
        let mut indexed: Vec<&str> = set.matching(&event).map(|r| r.title.as_str()).collect();
        let mut every: Vec<&str> = set
            .rules()
            .iter()
            .filter(|r| r.matches(&event))
            .map(|r| r.title.as_str())
            .collect();
        indexed.sort();
        every.sort();
        assert_eq!(indexed, every);
    }
}

/// The Stratus Red Team detonation logs (Apache-2.0, copied with their
/// notice).
fn stratus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/stratus-red-team")
}

fn stratus_events() -> Vec<Value> {
    let entries = std::fs::read_dir(stratus_dir())
        .unwrap_or_else(|e| panic!("{}: {e}", stratus_dir().display()));
    let mut events = Vec::new();
    for entry in entries {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            events.extend(read_records(&path));
        }
    }
    assert!(events.len() > 100);
    events
}

/// A `{"Records":[...]}` file or a top-level array, read whole.
fn read_records(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let document: Value = serde_json::from_str(&text).unwrap();
    let records = match document {
        Value::Object(mut object) => object.remove("Records").unwrap_or(Value::Null),
        other => other,
    };
    match records {
        Value::Array(records) => records,
        _ => panic!("{}: no records", path.display()),
    }
}

/// Rule title -> number of events it fired on, for one Stratus Red Team detonation.
fn stratus_hits(set: &RuleSet, technique: &str) -> Vec<(String, usize)> {
    let mut hits = std::collections::BTreeMap::<String, usize>::new();
    for event in read_records(&stratus_dir().join(format!("{technique}.json"))) {
        for rule in set.matching(&event) {
            *hits.entry(rule.title.clone()).or_default() += 1;
        }
    }
    hits.into_iter().collect()
}

#[test]
fn stratus_red_team_detonations_fire_the_rules_their_logic_says() {
    let set = RuleSet::new(sigmahq_rules());
    let hits = |technique| stratus_hits(&set, technique);
    let one = |title: &str| vec![(title.to_string(), 1)];
    assert_eq!(
        hits("aws.defense-evasion.cloudtrail-stop"),
        one("AWS CloudTrail Important Change")
    );
    assert_eq!(
        hits("aws.defense-evasion.cloudtrail-delete"),
        one("AWS CloudTrail Important Change")
    );
    assert_eq!(
        hits("aws.defense-evasion.vpc-remove-flow-logs"),
        one("AWS VPC Flow Logs Deleted")
    );
    assert_eq!(
        hits("aws.exfiltration.ec2-share-ebs-snapshot"),
        one("AWS Snapshot Backup Exfiltration")
    );
    assert_eq!(
        hits("aws.initial-access.console-login-without-mfa"),
        one("AWS Successful Console Login Without MFA")
    );
    assert_eq!(
        hits("aws.execution.ssm-send-command"),
        one("Potential Malicious Usage of CloudTrail System Manager")
    );
    assert_eq!(
        hits("aws.exfiltration.ec2-security-group-open-port-22-ingress"),
        one("Ingress/Egress Security Group Modification")
    );
    // The layer rule's `contains: '*'` on the `layers` array needs array matching.
    assert_eq!(
        hits("aws.persistence.lambda-layer-extension"),
        one("AWS New Lambda Layer Attached")
    );
    // `fieldref` in a `filter_main_*` selection, behind `not 1 of filter_main_*`.
    assert_eq!(
        hits("aws.privilege-escalation.iam-update-user-login-profile"),
        one("AWS User Login Profile Was Modified")
    );
    // The broken backdoor rule (see above) fires on the CreateAccessKey of both.
    assert_eq!(
        hits("aws.persistence.iam-backdoor-user"),
        one("AWS IAM Backdoor Users Keys")
    );
    assert_eq!(
        hits("aws.persistence.iam-create-admin-user"),
        one("AWS IAM Backdoor Users Keys")
    );
    // SigmaHQ has no rule for these Lambda techniques: fnguard's own pack must.
    assert!(hits("aws.persistence.lambda-backdoor-function").is_empty());
    assert!(hits("aws.persistence.lambda-overwrite-code").is_empty());
}
