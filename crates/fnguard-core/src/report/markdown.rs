//! `--format markdown`: a report for pull-request comments and job
//! summaries: a count table, then the findings grouped by severity.

use super::{ordered, suppression_note, RenderOptions, Report};
use crate::text::Lang;
use std::fmt::Write;

pub(super) fn render(report: &Report, opts: &RenderOptions) -> String {
    let zh = opts.lang == Lang::Zh;
    let lang = opts.lang;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# fnguard {}\n",
        if zh { "扫描报告" } else { "scan report" }
    );
    let _ = writeln!(
        out,
        "{} `{}` · {} {} · {} {}\n",
        if zh { "扫描路径" } else { "Scanned" },
        md_inline(&report.scan_root),
        report.files_scanned,
        if zh { "个文件" } else { "files" },
        report.deployments_scanned,
        if zh { "个部署单元" } else { "deployments" },
    );
    let _ = writeln!(
        out,
        "| {} | {} |\n|---|---:|",
        if zh { "严重性" } else { "Severity" },
        if zh { "数量" } else { "Count" }
    );
    for (severity, count) in report.severity_counts() {
        let label = if zh { severity.zh() } else { severity.as_str() };
        let _ = writeln!(out, "| {label} | {count} |");
    }
    let _ = writeln!(
        out,
        "| {} | {} |\n",
        if zh { "已抑制" } else { "suppressed" },
        report.suppressed_count()
    );

    let findings: Vec<_> = ordered(&report.findings)
        .into_iter()
        .filter(|f| opts.show_suppressed || !f.is_suppressed())
        .collect();
    if findings.is_empty() {
        let _ = writeln!(
            out,
            "{}\n",
            if zh {
                "没有发现问题。"
            } else {
                "No findings."
            }
        );
    } else {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |\n|---|---|---|---|---|",
            if zh { "严重性" } else { "Severity" },
            if zh { "规则" } else { "Rule" },
            if zh { "资源" } else { "Resource" },
            if zh { "位置" } else { "Location" },
            if zh { "说明" } else { "Message" },
        );
        for f in &findings {
            let severity = if zh {
                f.severity.zh()
            } else {
                f.severity.as_str()
            };
            let mut message = md_cell(f.message.get(lang));
            if let Some(note) = suppression_note(f) {
                message = format!(
                    "~~{message}~~ ({} {})",
                    if zh { "已抑制:" } else { "suppressed:" },
                    md_cell(&note)
                );
            }
            let _ = writeln!(
                out,
                "| {severity} | `{}` | `{}` | `{}` | {message} |",
                f.rule_id,
                md_inline(&f.resource),
                md_inline(&f.location.to_string()),
            );
        }
        out.push('\n');
        let _ = writeln!(out, "## {}\n", if zh { "修复建议" } else { "How to fix" });
        let mut seen = Vec::new();
        for f in &findings {
            if seen.contains(&f.rule_id) {
                continue;
            }
            seen.push(f.rule_id);
            if let Some(rule) = report.rule(f.rule_id) {
                let _ = writeln!(
                    out,
                    "- **{}** {} ({} §{}): {}",
                    rule.id,
                    md_cell(rule.title(lang)),
                    if zh { "指南" } else { "guide" },
                    rule.guide.join(", §"),
                    md_cell(rule.remediation(lang))
                );
            }
        }
        out.push('\n');
    }
    if !report.errors.is_empty() {
        let _ = writeln!(out, "## {}\n", if zh { "输入错误" } else { "Input errors" });
        for e in &report.errors {
            let _ = writeln!(
                out,
                "- `{}`: {}",
                md_inline(&e.location.to_string()),
                md_cell(&e.message)
            );
        }
        out.push('\n');
    }
    out
}

/// Text inside a table cell: pipes and newlines would break the row, and
/// HTML in a message must not render.
fn md_cell(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace(['\n', '\r'], " ")
}

/// Text inside backticks: a backtick would end the code span.
fn md_inline(text: &str) -> String {
    text.replace('`', "'")
        .replace('|', "\\|")
        .replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::super::sample;
    use super::*;

    #[test]
    fn table_rows_are_escaped() {
        let md = render(&sample::report(), &RenderOptions::default());
        assert!(md.contains("| high | 1 |"));
        assert!(md.contains("| suppressed | 1 |"));
        assert!(md.contains("&lt;script&gt;"));
        assert!(md.contains("\\| pipe"));
        assert!(!md.contains("FG-LOG-003"), "suppressed hidden by default");
        assert!(md.contains("`broken.yaml:3:9`"));
    }

    #[test]
    fn suppressed_on_request_and_chinese() {
        let opts = RenderOptions {
            lang: Lang::Zh,
            show_suppressed: true,
            ..Default::default()
        };
        let md = render(&sample::report(), &opts);
        assert!(md.contains("FG-LOG-003"));
        assert!(md.contains("已抑制"));
        assert!(md.contains("| 高 | 1 |"));
    }
}
