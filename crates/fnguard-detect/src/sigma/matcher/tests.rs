use super::*;
use crate::sigma::Rule;
use serde_json::json;

const VALUES: [&str; 6] = [
    "mimikatz",
    "Invoke-Expression",
    "/etc/shadow",
    "base64 -d",
    "nc -e",
    "x",
];

fn rule(detection: &str) -> Rule {
    let text = format!("title: t\nlogsource: {{product: aws}}\ndetection:\n{detection}");
    Rule::load_str("test.yml", &text).unwrap().remove(0)
}

/// The six values in one `contains` list, and the same as six selections
/// of one value each (too few to merge): the reference.
fn merged_and_reference(modifier: &str) -> (Rule, Rule) {
    let list: String = VALUES.iter().map(|v| format!("      - '{v}'\n")).collect();
    let merged = rule(&format!(
        "  sel:\n    cmd|{modifier}:\n{list}  condition: sel"
    ));
    let singles: String = VALUES
        .iter()
        .enumerate()
        .map(|(i, v)| format!("  s{i}:\n    cmd|{modifier}: '{v}'\n"))
        .collect();
    let reference = rule(&format!("{singles}  condition: 1 of s*"));
    (merged, reference)
}

#[test]
fn many_contains_values_are_one_automaton() {
    let (merged, _) = merged_and_reference("contains");
    let Selection::AllOf(fields) = &merged.selections[0] else {
        panic!("one map");
    };
    let FieldTest::Values { patterns, .. } = &fields[0].test else {
        panic!("values");
    };
    assert!(
        matches!(patterns.as_slice(), [Pattern::AnyContains { literals, .. }] if literals.len() == 6)
    );
    // `all` keeps each literal apart: every one must be found.
    let all = rule("  sel:\n    cmd|contains|all: [a, b, c, d, e]\n  condition: sel");
    assert!(all.matches(&json!({"cmd": "edcba"})));
    assert!(!all.matches(&json!({"cmd": "abcd"})));
}

#[test]
fn merged_contains_match_exactly_as_one_by_one() {
    for modifier in ["contains", "contains|cased"] {
        let (merged, reference) = merged_and_reference(modifier);
        let cases = [
            json!({"cmd": "powershell invoke-expression (x)"}),
            json!({"cmd": "powershell INVOKE-EXPRESSION (y)"}),
            json!({"cmd": "cat /etc/shadow"}),
            json!({"cmd": "cat /etc/passwd"}),
            json!({"cmd": ["ls", "echo aGk= | base64 -d"]}),
            json!({"cmd": {"args": "nc -e /bin/sh"}}),
            json!({"cmd": 12}),
            json!({"cmd": null}),
            json!({"other": "mimikatz"}),
            json!({"cmd": "MIMIKATZ"}),
            json!({"cmd": "harmless"}),
            json!({"cmd": "X"}),
        ];
        let mut hits = 0;
        for event in &cases {
            let expected = reference.matches(event);
            hits += usize::from(expected);
            assert_eq!(merged.matches(event), expected, "{modifier} on {event}");
        }
        // Both verdicts occur, and case matters only when cased.
        assert!(hits > 3 && hits < cases.len(), "{modifier}: {hits}");
        assert_eq!(
            merged.matches(&json!({"cmd": "MIMIKATZ"})),
            modifier == "contains"
        );
    }
}
