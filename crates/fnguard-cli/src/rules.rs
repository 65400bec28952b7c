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
        RulesCommand::List { format, lang } => {
            let detections = detections();
            match format {
                ListFormat::Table => list_table(&rules, &detections, lang),
                ListFormat::Json => list_json(&rules, &detections, lang),
            }
        }
        RulesCommand::Explain { id, lang } => match fnguard_engine::rule(&id) {
            Some(rule) => explain(rule, lang),
            None if id.to_ascii_uppercase().starts_with("FG-DET-") => {
                match detections().iter().find(|d| d.id.eq_ignore_ascii_case(&id)) {
                    Some(detection) => explain_detection(detection, lang),
                    None => {
                        output::stderr_line(&format!(
                            "error: unknown rule id `{id}` (see `fnguard rules list`)"
                        ));
                        return ExitCode::Error;
                    }
                }
            }
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

fn list_table(rules: &[&'static RuleMeta], detections: &[Detection], lang: Lang) -> String {
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
    rows.extend(detections.iter().map(|d| {
        vec![
            d.id.clone(),
            match lang {
                Lang::En => d.severity.as_str(),
                Lang::Zh => d.severity.zh(),
            }
            .to_string(),
            d.guide.join(","),
            d.title(lang).to_string(),
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

fn list_json(rules: &[&'static RuleMeta], detections: &[Detection], lang: Lang) -> String {
    let detection_guides: Vec<Vec<&str>> = detections
        .iter()
        .map(|d| d.guide.iter().map(String::as_str).collect())
        .collect();
    let detection_attacks: Vec<Vec<&str>> = detections
        .iter()
        .map(|d| d.attack.iter().map(String::as_str).collect())
        .collect();
    let mut out: Vec<RuleOut> = rules
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
    for (i, d) in detections.iter().enumerate() {
        out.push(RuleOut {
            id: &d.id,
            area: "detect",
            severity: d.severity.as_str(),
            guide: &detection_guides[i],
            attack: &detection_attacks[i],
            title: d.title(lang),
            description: d.description(lang),
            // A detection's risk is what it describes: the attack seen.
            risk: d.description(lang),
            remediation: d.remediation(lang),
            references: &[],
        });
    }
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

/// A detection of `fnguard detect`: a rule or correlation of the pack, or
/// a stateful detector's alert, in the shape `rules list` shows.
struct Detection {
    id: String,
    severity: fnguard_core::Severity,
    guide: Vec<String>,
    /// Technique ids, `T1525`.
    attack: Vec<String>,
    /// English then Chinese.
    title: [String; 2],
    description: [String; 2],
    remediation: [String; 2],
}

impl Detection {
    fn pick(text: &[String; 2], lang: Lang) -> &str {
        match lang {
            Lang::En => &text[0],
            Lang::Zh => &text[1],
        }
    }
    fn title(&self, lang: Lang) -> &str {
        Self::pick(&self.title, lang)
    }
    fn description(&self, lang: Lang) -> &str {
        Self::pick(&self.description, lang)
    }
    fn remediation(&self, lang: Lang) -> &str {
        Self::pick(&self.remediation, lang)
    }
}

/// Every detection fnguard ships, in id order.
fn detections() -> Vec<Detection> {
    let guide = |text: &str| -> Vec<String> {
        text.split(',')
            .map(|g| g.trim().trim_start_matches('§').to_string())
            .filter(|g| !g.is_empty())
            .collect()
    };
    let techniques = |tags: &[String]| -> Vec<String> {
        tags.iter()
            .filter_map(|t| t.strip_prefix("attack."))
            .filter(|t| t.starts_with('t') && t[1..].starts_with(|c: char| c.is_ascii_digit()))
            .map(|t| t.to_ascii_uppercase())
            .collect()
    };
    let mut out = Vec::new();
    // The pack is embedded and proven by `rules check` and the tests; a
    // broken one lists nothing here rather than failing the listing.
    let pack = fnguard_detect::pack::builtin_pack().unwrap_or_default();
    for r in &pack.rules {
        out.push(Detection {
            id: r.id.clone(),
            severity: fnguard_detect::alert::severity_of_level(r.rule.level.as_deref()),
            guide: guide(&r.guide),
            attack: techniques(&r.rule.tags),
            title: [r.rule.title.clone(), r.title_zh.clone()],
            description: [
                r.rule.description.clone().unwrap_or_default(),
                r.description_zh.clone(),
            ],
            remediation: [r.remediation.clone(), r.remediation_zh.clone()],
        });
    }
    for c in &pack.correlations {
        out.push(Detection {
            id: c.id.clone(),
            severity: fnguard_detect::alert::severity_of_level(c.correlation.level.as_deref()),
            guide: guide(&c.guide),
            attack: techniques(&c.correlation.tags),
            title: [c.correlation.title.clone(), c.title_zh.clone()],
            description: [
                c.correlation.description.clone().unwrap_or_default(),
                c.description_zh.clone(),
            ],
            remediation: [c.remediation.clone(), c.remediation_zh.clone()],
        });
    }
    for d in fnguard_detect::detectors::catalog::CATALOG {
        out.push(Detection {
            id: d.id.to_string(),
            severity: d.severity,
            guide: guide(d.guide),
            attack: d.attack.iter().map(|t| t.to_string()).collect(),
            title: [d.title_en.to_string(), d.title_zh.to_string()],
            description: [d.description_en.to_string(), d.description_zh.to_string()],
            remediation: [d.remediation_en.to_string(), d.remediation_zh.to_string()],
        });
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

fn explain_detection(d: &Detection, lang: Lang) -> String {
    let labels = match lang {
        Lang::En => [
            "Severity",
            "Guide section",
            "MITRE ATT&CK",
            "Description",
            "Remediation",
        ],
        Lang::Zh => ["严重性", "指南章节", "MITRE ATT&CK", "描述", "修复建议"],
    };
    let mut out = String::new();
    let _ = writeln!(out, "{}  {}", d.id, d.title(lang));
    let severity = match lang {
        Lang::En => d.severity.as_str(),
        Lang::Zh => d.severity.zh(),
    };
    let _ = writeln!(out, "{}: {severity}", labels[0]);
    let guide: Vec<String> = d.guide.iter().map(|g| format!("§{g}")).collect();
    let _ = writeln!(out, "{}: {}", labels[1], guide.join(", "));
    let _ = writeln!(out, "{}: {}", labels[2], d.attack.join(", "));
    for (label, body) in [
        (labels[3], d.description(lang)),
        (labels[4], d.remediation(lang)),
    ] {
        let _ = writeln!(out, "\n{label}");
        for line in body.trim().lines() {
            let _ = writeln!(out, "  {line}");
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
