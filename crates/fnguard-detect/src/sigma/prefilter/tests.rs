//! The prefilter and the projection never change a verdict: for every
//! SigmaHQ and pack rule, on real, crafted and random events (written with
//! random escapes, spacing and number spellings), a record the prefilter
//! refuses matches no rule, and the projected event matches exactly when
//! the whole one does.

use super::*;
use crate::input::{parse_projected, Projection};
use serde_json::{json, Map, Value};
use std::path::Path;

fn data(path: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(path)
}

fn sigmahq_rules() -> Vec<Rule> {
    let mut paths: Vec<_> = std::fs::read_dir(data("sigma-aws-cloudtrail"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "yml"))
        .collect();
    paths.sort();
    paths
        .iter()
        .flat_map(|path| Rule::load_file(path).unwrap())
        .collect()
}

/// Many `contains` values on one field (merged into an automaton), which
/// the SigmaHQ AWS rules do not have.
const MANY_CONTAINS: &str = r#"
title: Many contains values (synthetic)
logsource: {product: aws, service: cloudtrail}
detection:
  tools:
    userAgent|contains: [TruffleHog, Pacu, ScoutSuite, aws-cli/1., Boto3/1.7, curl/]
  grants:
    requestParameters|contains|cased: [AdministratorAccess, 'Principal":"*', 'iam:PassRole', 'sts:AssumeRole']
  condition: tools or grants
"#;

fn all_rules() -> (Vec<Rule>, Vec<Value>) {
    let mut rules = sigmahq_rules();
    rules.extend(Rule::load_str("many_contains.yml", MANY_CONTAINS).unwrap());
    let mut examples = Vec::new();
    for entry in crate::pack::builtin().unwrap() {
        examples.extend(entry.must_match);
        examples.extend(entry.must_not_match);
        rules.push(entry.rule);
    }
    (rules, examples)
}

/// The Stratus Red Team detonations: real CloudTrail records.
fn stratus_events() -> Vec<Value> {
    let mut events = Vec::new();
    for file in crate::input::files_under(&data("stratus-red-team"), &mut |e| panic!("{e}")) {
        let text = std::fs::read(&file).unwrap();
        if let Ok(value) = serde_json::from_slice::<Value>(&text) {
            match value {
                Value::Object(mut object) => match object.remove("Records") {
                    Some(Value::Array(records)) => events.extend(records),
                    _ => events.push(Value::Object(object)),
                },
                Value::Array(items) => events.extend(items),
                _ => {}
            }
        } else {
            for line in text.split(|b| *b == b'\n') {
                if let Ok(value) = serde_json::from_slice::<Value>(line) {
                    events.push(value);
                }
            }
        }
    }
    events
}

/// xorshift64*: a deterministic generator, so that a failure replays.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// The fields and literal texts the rules compare, to build events that
/// come close to matching.
fn vocabulary(rules: &[Rule]) -> (Vec<String>, Vec<String>) {
    let mut fields = vec!["eventName".to_string(), "eventSource".to_string()];
    let mut texts = vec![
        "AssumedRole".to_string(),
        "Root".to_string(),
        "arn:aws:sts::123456789012:assumed-role/aws:ec2-instance/i-0abc".to_string(),
        "AWS Internal".to_string(),
    ];
    for rule in rules {
        for selection in &rule.selections {
            let maps: &[Vec<FieldMatcher>] = match selection {
                Selection::AllOf(fields) => std::slice::from_ref(fields),
                Selection::AnyOf(maps) => maps,
                Selection::Keywords(patterns) => {
                    texts.extend(patterns.iter().flat_map(texts_of));
                    continue;
                }
            };
            for matcher in maps.iter().flatten() {
                fields.push(matcher.field.to_string());
                if let FieldTest::Values { patterns, .. } = &matcher.test {
                    texts.extend(patterns.iter().flat_map(texts_of));
                }
            }
        }
    }
    fields.sort();
    fields.dedup();
    texts.sort();
    texts.dedup();
    (fields, texts)
}

fn texts_of(pattern: &Pattern) -> Vec<String> {
    match pattern {
        Pattern::Text { text, .. } => vec![text.to_string()],
        Pattern::AnyContains { literals, .. } => literals.iter().map(|l| l.to_string()).collect(),
        _ => Vec::new(),
    }
}

/// A value close to what a rule looks for: one of its literals (in some
/// case, inside other text), a number, an object, an array...
fn random_value(random: &mut Random, texts: &[String], depth: usize) -> Value {
    match random.below(if depth > 2 { 7 } else { 10 }) {
        0..=3 => {
            let text = random.pick(texts).clone();
            let text = match random.below(4) {
                0 => text.to_uppercase(),
                1 => text.to_lowercase(),
                _ => text,
            };
            Value::String(match random.below(4) {
                0 => format!("x{text}"),
                1 => format!("{text}/y"),
                2 => format!("a {text} b"),
                _ => text,
            })
        }
        4 => json!(random.below(300)),
        5 => [json!(true), json!(false), Value::Null][random.below(3)].clone(),
        6 => json!(random.below(1000) as f64 / 8.0),
        7 => {
            let mut object = Map::new();
            for _ in 0..random.below(4) {
                let key = random.pick(texts).clone();
                object.insert(key, random_value(random, texts, depth + 1));
            }
            Value::Object(object)
        }
        _ => Value::Array(
            (0..random.below(3))
                .map(|_| random_value(random, texts, depth + 1))
                .collect(),
        ),
    }
}

/// Puts `value` at the dotted `path`: nested, or under the literal dotted
/// key, or inside an array on the way.
fn place(event: &mut Map<String, Value>, path: &str, value: Value, random: &mut Random) {
    if random.chance(5) || !path.contains('.') {
        event.insert(path.to_string(), value);
        return;
    }
    let (head, rest) = path.split_once('.').unwrap();
    let mut inner = Map::new();
    place(&mut inner, rest, value, random);
    let child = if random.chance(4) {
        Value::Array(vec![json!({"other": 1}), Value::Object(inner)])
    } else {
        Value::Object(inner)
    };
    match event.get_mut(head) {
        Some(Value::Object(existing)) => {
            if let Value::Object(inner) = child {
                existing.extend(inner);
            }
        }
        _ => {
            event.insert(head.to_string(), child);
        }
    }
}

/// An event aimed at one rule: the fields of some of its selections given
/// values their patterns accept (so that most such events match, and some
/// hit the rule's filters too).
fn aimed_event(random: &mut Random, rule: &Rule, texts: &[String]) -> Value {
    let mut event = Map::new();
    for selection in &rule.selections {
        if random.chance(4) {
            continue;
        }
        let fields: &[FieldMatcher] = match selection {
            Selection::AllOf(fields) => fields,
            Selection::AnyOf(maps) => random.pick(maps).as_slice(),
            Selection::Keywords(_) => continue,
        };
        for matcher in fields {
            let value = match &matcher.test {
                FieldTest::Values { patterns, .. } => match random.pick(patterns) {
                    Pattern::Text { text, position, .. } => {
                        let text = if random.chance(2) {
                            text.to_uppercase()
                        } else {
                            text.to_string()
                        };
                        Value::String(match position {
                            Position::Exact => text,
                            Position::Contains => format!("<{text}>"),
                            Position::Prefix => format!("{text}>"),
                            Position::Suffix => format!("<{text}"),
                        })
                    }
                    Pattern::AnyContains { literals, .. } => {
                        Value::String(format!("<{}>", random.pick(literals)))
                    }
                    _ => random_value(random, texts, 0),
                },
                FieldTest::Exists(_) => random_value(random, texts, 0),
            };
            place(&mut event, &matcher.field, value, random);
        }
    }
    Value::Object(event)
}

fn random_event(random: &mut Random, fields: &[String], texts: &[String]) -> Value {
    let mut event = Map::new();
    for _ in 0..1 + random.below(6) {
        let field = random.pick(fields).clone();
        let value = random_value(random, texts, 0);
        place(&mut event, &field, value, random);
    }
    Value::Object(event)
}

/// JSON text of `value` as any writer may produce it: random spacing,
/// `\uXXXX` and `\/` escapes, numbers in other spellings.
fn write_json(value: &Value, random: &mut Random, out: &mut String) {
    let space = |random: &mut Random, out: &mut String| {
        if random.chance(4) {
            out.push_str([" ", "\n ", "\t"][random.below(3)]);
        }
    };
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(flag) => out.push_str(if *flag { "true" } else { "false" }),
        Value::Number(number) => {
            match (number.as_u64(), random.below(3)) {
                (Some(n), 0) => out.push_str(&format!("{n}.0")),
                (Some(n), 1) => out.push_str(&format!("{n}e0")),
                _ => out.push_str(&number.to_string()),
            };
        }
        Value::String(text) => write_string(text, random, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                space(random, out);
                write_json(item, random, out);
            }
            out.push(']');
        }
        Value::Object(object) => {
            out.push('{');
            for (i, (key, item)) in object.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                space(random, out);
                write_string(key, random, out);
                space(random, out);
                out.push(':');
                space(random, out);
                write_json(item, random, out);
            }
            out.push('}');
        }
    }
}

fn write_string(text: &str, random: &mut Random, out: &mut String) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' if random.chance(2) => out.push_str("\\/"),
            c if (c as u32) < 0x20 || random.chance(30) => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04X}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Checks one event against every rule: a refused record matches nothing
/// (per rule and for the whole set), the projection changes no verdict.
fn check(
    rules: &[Rule],
    per_rule: &[Prefilter],
    whole_set: &Prefilter,
    projection: &Projection,
    raw: &str,
) -> (usize, usize) {
    let Ok(full) = serde_json::from_str::<Value>(raw) else {
        return (0, 0);
    };
    let projected = parse_projected(raw.as_bytes(), Some(projection)).unwrap();
    let (mut matched, mut refused) = (0, 0);
    for (rule, prefilter) in rules.iter().zip(per_rule) {
        let matches = rule.matches(&full);
        if !prefilter.wants(raw.as_bytes()) {
            refused += 1;
        }
        if matches {
            matched += 1;
            assert!(
                prefilter.wants(raw.as_bytes()),
                "prefilter of `{}` refused a matching event: {raw}",
                rule.title
            );
            assert!(whole_set.wants(raw.as_bytes()), "{raw}");
        }
        assert_eq!(
            rule.matches(&projected),
            matches,
            "projection changed the verdict of `{}` on {raw}\nprojected: {projected}",
            rule.title
        );
    }
    (matched, refused)
}

#[test]
fn prefilter_refuses_and_projection_drops_nothing_a_rule_needs() {
    let (rules, examples) = all_rules();
    let (fields, texts) = vocabulary(&rules);
    let per_rule: Vec<Prefilter> = rules
        .iter()
        .map(|rule| Prefilter::new(std::slice::from_ref(rule)))
        .collect();
    let whole_set = Prefilter::new(&rules);
    // The projection `fnguard detect` uses: what the set reads.
    let fields_read = RuleSet::new(all_rules().0)
        .fields_read()
        .expect("no keyword rule in these sets");
    let projection = Projection::of_paths(fields_read.iter().map(String::as_str));
    let mut random = Random(0x5eed_1234_abcd_9876);
    let (mut events, mut matched, mut refused) = (0, 0, 0);
    let mut run = |value: &Value, random: &mut Random| {
        for spelling in 0..3 {
            let raw = if spelling == 0 {
                value.to_string()
            } else {
                let mut raw = String::new();
                write_json(value, random, &mut raw);
                raw
            };
            events += 1;
            let (rules_matched, rules_refused) =
                check(&rules, &per_rule, &whole_set, &projection, &raw);
            matched += rules_matched;
            refused += rules_refused;
        }
    };
    for value in examples.iter().chain(&stratus_events()) {
        run(value, &mut random);
    }
    for _ in 0..10_000 {
        let value = random_event(&mut random, &fields, &texts);
        run(&value, &mut random);
        let rule = random.pick(&rules);
        let value = aimed_event(&mut random, rule, &texts);
        run(&value, &mut random);
    }
    // The test means something only if both sides were exercised.
    assert!(matched > 2_000, "{matched} matches in {events} events");
    assert!(refused > 100_000, "{refused} (rule, event) refused");
}

fn need_of(yaml: &str) -> Need {
    let rule = Rule::load_str("test.yml", yaml).unwrap().remove(0);
    rule.condition.need(&rule.selections)
}

fn literals(need: Need) -> Vec<String> {
    match need {
        Need::OneOf { literals, .. } => literals,
        Need::AnyEvent => Vec::new(),
    }
}

#[test]
fn literals_come_from_values_regexes_and_the_rarest_conjunct() {
    let rule =
        |detection: &str| format!("title: t\nlogsource: {{product: aws}}\ndetection:\n{detection}");
    // A regex gives its literal runs; `(?i)` letters count, but not `s`
    // and `k` (they also match the long s and the Kelvin sign).
    assert_eq!(
        literals(need_of(&rule(
            "  sel:\n    userIdentity.arn|re: '.+:assumed-role/aws:.+'\n  condition: sel"
        ))),
        ["assumed-role/aws"]
    );
    assert_eq!(
        literals(need_of(&rule(
            "  sel:\n    a|re: '(?i)ab(cd|ef)+gh'\n  condition: sel"
        ))),
        ["ab"]
    );
    assert_eq!(
        literals(need_of(&rule(
            "  sel:\n    a|re: '(?i)mask'\n  condition: sel"
        ))),
        ["ma"]
    );
    assert_eq!(
        need_of(&rule("  sel:\n    a|re: '^[0-9]{12}$'\n  condition: sel")),
        Need::AnyEvent
    );
    // eventSource is in every event of its service: the event name wins
    // even when shorter.
    assert_eq!(
        literals(need_of(&rule("  sel:\n    eventSource: ec2.amazonaws.com\n    eventName: RunInstances\n  condition: sel"))),
        ["runinstances"]
    );
    // Pieces stop at characters JSON may escape or that separate tokens
    // (a slash is kept: records with `\/` are always parsed), numbers and
    // `not` need any event, an OR needs all its literals.
    assert_eq!(
        literals(need_of(&rule(
            "  sel:\n    a|contains: 'x/long-piece:y'\n  condition: sel"
        ))),
        ["x/long-piece"]
    );
    assert_eq!(
        literals(need_of(&rule(
            "  sel:\n    a|contains: 'x\"long-piece:y'\n  condition: sel"
        ))),
        ["long-piece"]
    );
    assert_eq!(
        need_of(&rule("  sel:\n    a: 200\n  condition: sel")),
        Need::AnyEvent
    );
    assert_eq!(
        need_of(&rule("  sel:\n    a: b\n  condition: not sel")),
        Need::AnyEvent
    );
    assert_eq!(
        literals(need_of(&rule(
            "  s1:\n    a: one\n  s2:\n    b: two\n  condition: s1 or s2"
        ))),
        ["one", "two"]
    );
    // The whole SigmaHQ set and the pack refuse events: no rule of theirs
    // is left without a literal.
    assert!(!Prefilter::new(&all_rules().0).wants_every_event());
}
