//! A rule's alert written straight from the rule and the event
//! (`Outputs::push_rule_match`, the fast writer) is byte for byte the line
//! that building the `Alert` and writing it gives, for fnguard's pack and
//! SigmaHQ's rules over the Stratus Red Team detonation logs.

use fnguard_detect::input::{files_under, read_paths, Limits};
use fnguard_detect::output::{rule_alert, Format, OutputOptions, Outputs, PackInfo};
use fnguard_detect::sigma::{Rule, RuleSet};
use std::collections::HashMap;
use std::path::PathBuf;

#[test]
fn direct_lines_are_the_built_alerts_lines() {
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let mut rules = Vec::new();
    let mut packs = HashMap::new();
    for entry in fnguard_detect::pack::builtin().unwrap() {
        packs.insert(entry.rule.source.clone(), PackInfo::from(&entry));
        rules.push(entry.rule);
    }
    for file in files_under(&data.join("sigma-aws-cloudtrail"), &mut |e| panic!("{e}")) {
        if file.extension().is_some_and(|e| e == "yml") {
            rules.extend(Rule::load_file(&file).unwrap());
        }
    }
    let set = RuleSet::new(rules);
    let mut direct = Outputs::new(Vec::new(), Format::Jsonl, OutputOptions::default()).unwrap();
    let mut built = Outputs::new(Vec::new(), Format::Jsonl, OutputOptions::default()).unwrap();
    let mut matches = 0;
    read_paths(
        &[data.join("stratus-red-team")],
        Limits::default(),
        &mut |event| {
            for rule in set.matching(&event.value) {
                matches += 1;
                let pack = packs.get(&rule.source);
                direct.push_rule_match(rule, pack, &event);
                built.push(rule_alert(rule, pack, &event));
            }
        },
        &mut |_| {},
    );
    let (direct, direct_summary) = direct.finish();
    let (built, built_summary) = built.finish();
    assert!(matches > 20, "{matches}");
    // Pack alerts (Chinese title, guide) and SigmaHQ's (id) both among them.
    let text = String::from_utf8(direct.clone()).unwrap();
    assert!(text.contains("\"rule_id\":\"FG-DET-") && text.contains("\"title_zh\""));
    assert_eq!(text.lines().count(), matches);
    assert_eq!(String::from_utf8(built).unwrap(), text);
    assert_eq!(direct_summary.lines(), built_summary.lines());
}
