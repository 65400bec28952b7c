//! `fnguard rules list`, `fnguard rules explain ID` and `fnguard rules check`.

use crate::args::{ListFormat, RulesCommand};
use crate::output;
use crate::ExitCode;
use fnguard_core::{Lang, RuleMeta};
use serde::Serialize;
use std::fmt::Write as _;

pub fn run(command: RulesCommand) -> ExitCode {
    let rules = fnguard_engine::all_rules();
    let text = match command {
        RulesCommand::Check => return check_secret_rules(),
        RulesCommand::List { format, lang } => match format {
            ListFormat::Table => list_table(&rules, lang),
            ListFormat::Json => list_json(&rules, lang),
        },
        RulesCommand::Explain { id, lang } => match fnguard_engine::rule(&id) {
            Some(rule) => explain(rule, lang),
            None => {
                output::stderr_line(&format!(
                    "error: unknown rule id `{id}` (see `fnguard rules list`)"
                ));
                return ExitCode::Error;
            }
        },
    };
    output::print(&text)
}

fn list_table(rules: &[&'static RuleMeta], lang: Lang) -> String {
    let headers = match lang {
        Lang::En => ["ID", "SEVERITY", "GUIDE", "TITLE"],
        Lang::Zh => ["编号", "严重性", "指南", "标题"],
    };
    let mut rows = vec![headers.map(String::from).to_vec()];
    rows.extend(rules.iter().map(|r| {
        vec![
            r.id.to_string(),
            severity_name(r, lang).to_string(),
            r.guide.join(","),
            r.title(lang).to_string(),
        ]
    }));
    output::columns(&rows)
}

fn severity_name(rule: &RuleMeta, lang: Lang) -> &'static str {
    match lang {
        Lang::En => rule.severity.as_str(),
        Lang::Zh => rule.severity.zh(),
    }
}

/// One rule in one language, for scripts.
#[derive(Serialize)]
struct RuleOut<'a> {
    id: &'a str,
    area: &'a str,
    severity: &'a str,
    guide: &'a [&'a str],
    attack: &'a [&'a str],
    title: &'a str,
    description: &'a str,
    risk: &'a str,
    remediation: &'a str,
    references: &'a [&'a str],
}

fn list_json(rules: &[&'static RuleMeta], lang: Lang) -> String {
    let out: Vec<RuleOut> = rules
        .iter()
        .map(|r| RuleOut {
            id: r.id,
            area: r.area.code(),
            severity: r.severity.as_str(),
            guide: r.guide,
            attack: r.attack,
            title: r.title(lang),
            description: r.description(lang),
            risk: r.risk(lang),
            remediation: r.remediation(lang),
            references: r.references,
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&out).unwrap_or_else(|_| "[]".to_string());
    text.push('\n');
    text
}

fn explain(rule: &RuleMeta, lang: Lang) -> String {
    let labels = match lang {
        Lang::En => [
            "Severity",
            "Guide section",
            "MITRE ATT&CK",
            "Description",
            "Risk",
            "Remediation",
            "References",
        ],
        Lang::Zh => [
            "严重性",
            "指南章节",
            "MITRE ATT&CK",
            "描述",
            "风险",
            "修复建议",
            "参考资料",
        ],
    };
    let mut out = String::new();
    let _ = writeln!(out, "{}  {}", rule.id, rule.title(lang));
    let _ = writeln!(out, "{}: {}", labels[0], severity_name(rule, lang));
    let guide: Vec<String> = rule.guide.iter().map(|g| format!("§{g}")).collect();
    let _ = writeln!(out, "{}: {}", labels[1], guide.join(", "));
    let _ = writeln!(out, "{}: {}", labels[2], rule.attack.join(", "));
    for (label, body) in [
        (labels[3], rule.description(lang)),
        (labels[4], rule.risk(lang)),
        (labels[5], rule.remediation(lang)),
    ] {
        let _ = writeln!(out, "\n{label}");
        for line in body.trim().lines() {
            let _ = writeln!(out, "  {line}");
        }
    }
    if !rule.references.is_empty() {
        let _ = writeln!(out, "\n{}", labels[6]);
        for reference in rule.references {
            let _ = writeln!(out, "  - {reference}");
        }
    }
    out
}

/// Prove the secret rules against their own examples; exit 2 when any
/// rule is wrong, listing every problem with its file and rule id.
fn check_secret_rules() -> ExitCode {
    let problems = fnguard_scan::secrets::check::check_builtin();
    if !problems.is_empty() {
        for problem in &problems {
            output::stderr_line(&format!("error: {problem}"));
        }
        output::stderr_line(&format!(
            "error: {} problem(s) in the secret rules",
            problems.len()
        ));
        return ExitCode::Error;
    }
    let (rules, examples, negatives) = match fnguard_scan::secrets::builtin_rules() {
        Ok(rules) => (
            rules.len(),
            rules.iter().map(|r| r.examples.len()).sum::<usize>(),
            rules
                .iter()
                .map(|r| r.negative_examples.len())
                .sum::<usize>(),
        ),
        Err(_) => (0, 0, 0),
    };
    let kb = match crate::intel::knowledge_base() {
        Ok(kb) => kb,
        Err(code) => return code,
    };
    let intel = match kb.check() {
        Ok(summary) => summary,
        Err(failures) => {
            for failure in &failures {
                output::stderr_line(&format!("error: {failure}"));
            }
            output::stderr_line(&format!(
                "error: {} problem(s) in the endpoint knowledge base",
                failures.len()
            ));
            return ExitCode::Error;
        }
    };
    let mut detect_problems = fnguard_detect::pack::check();
    detect_problems.extend(fnguard_detect::detectors::catalog::check());
    if !detect_problems.is_empty() {
        for problem in &detect_problems {
            output::stderr_line(&format!("error: {problem}"));
        }
        output::stderr_line(&format!(
            "error: {} problem(s) in the detection rules",
            detect_problems.len()
        ));
        return ExitCode::Error;
    }
    let detect = fnguard_detect::pack::builtin().unwrap_or_default();
    let text = format!(
        "{rules} secret rules checked: {examples} examples found with their secrets, {negatives} negative examples not reported, ids unique, title, description, risk and remediation in en and zh\n{} endpoint products checked: {} example hosts classified with their captures, {} negative examples not classified\n{} detection rules checked: {} example events matched, {} not matched, ids unique, ATT&CK tags, text in en and zh\n{} detector alerts checked: ids unique and apart from the rules', ATT&CK ids, text in en and zh\n",
        intel.products,
        intel.positive_examples,
        intel.negative_examples,
        detect.len(),
        detect.iter().map(|r| r.must_match.len()).sum::<usize>(),
        detect.iter().map(|r| r.must_not_match.len()).sum::<usize>(),
        fnguard_detect::detectors::catalog::CATALOG.len(),
    );
    output::print(&text)
}
