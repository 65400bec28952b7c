//! The human report: findings grouped by file and by resource (usually a
//! function), most severe first within each, with the guide section, then a
//! summary line. Colour only when the caller says the output is a terminal.

use super::{suppression_note, RenderOptions, Report};
use crate::finding::Finding;
use crate::severity::Severity;
use crate::text::Lang;
use std::fmt::Write;

struct Style {
    on: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn severity(&self, severity: Severity, lang: Lang) -> String {
        let label = match lang {
            Lang::En => format!("{:<8}", severity.as_str()),
            // Chinese labels are double width: pad to the same visual width.
            Lang::Zh => format!(
                "{:<width$}",
                severity.zh(),
                width = 8 - severity.zh().chars().count()
            ),
        };
        self.paint(severity_colour(severity), &label)
    }
}

fn severity_colour(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "1;91",
        Severity::High => "31",
        Severity::Medium => "33",
        Severity::Low => "34",
        Severity::Info => "2",
    }
}

pub(super) fn render(report: &Report, opts: &RenderOptions) -> String {
    let style = Style { on: opts.color };
    let lang = opts.lang;
    let zh = lang == Lang::Zh;
    let mut out = String::new();

    let mut shown: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| opts.show_suppressed || !f.is_suppressed())
        .collect();
    shown.sort_by(|a, b| {
        a.location
            .path
            .cmp(&b.location.path)
            .then_with(|| a.resource.cmp(&b.resource))
            .then_with(|| b.severity.cmp(&a.severity))
            .then_with(|| a.location.line.cmp(&b.location.line))
            .then_with(|| a.rule_id.cmp(b.rule_id))
    });

    let mut current_path: Option<&str> = None;
    let mut current_resource: Option<&str> = None;
    for f in &shown {
        if current_path != Some(f.location.path.as_str()) {
            if current_path.is_some() {
                out.push('\n');
            }
            let _ = writeln!(out, "{}", style.paint("1;4", &f.location.path));
            current_path = Some(&f.location.path);
            current_resource = None;
        }
        if current_resource != Some(f.resource.as_str()) {
            let _ = writeln!(out, "  {}", style.paint("1", &f.resource));
            current_resource = Some(&f.resource);
        }
        let title = report.rule(f.rule_id).map(|r| r.title(lang)).unwrap_or("");
        let guide = if f.guide.is_empty() {
            String::new()
        } else {
            format!(" §{}", f.guide.join(" §"))
        };
        let _ = writeln!(
            out,
            "    {} {} {}{}  {}",
            style.severity(f.severity, lang),
            style.paint("1", f.rule_id),
            title,
            style.paint("2", &guide),
            style.paint("2", &format!("{}:{}", f.location.line, f.location.col)),
        );
        let _ = writeln!(out, "             {}", f.message.get(lang));
        if let Some(evidence) = &f.evidence {
            let _ = writeln!(
                out,
                "             {} {}",
                style.paint("2", if zh { "证据:" } else { "evidence:" }),
                evidence
            );
        }
        if let Some(note) = suppression_note(f) {
            let _ = writeln!(
                out,
                "             {}",
                style.paint(
                    "2",
                    &format!("{} {note}", if zh { "已抑制:" } else { "suppressed:" })
                )
            );
        }
    }
    if !shown.is_empty() {
        out.push('\n');
    }

    if !report.errors.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            style.paint("1;31", if zh { "输入错误:" } else { "input errors:" })
        );
        for e in &report.errors {
            let _ = writeln!(out, "  {}: {}", e.location, e.message);
        }
        out.push('\n');
    }

    let active = report.active_findings().count();
    let counts: Vec<String> = report
        .severity_counts()
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| {
            let label = if zh { s.zh() } else { s.as_str() };
            style.paint(severity_colour(*s), &format!("{n} {label}"))
        })
        .collect();
    let suppressed = report.suppressed_count();
    if zh {
        let _ = write!(out, "{active} 个问题");
        if !counts.is_empty() {
            let _ = write!(out, ": {}", counts.join(", "));
        }
        if suppressed > 0 {
            let _ = write!(out, " · 已抑制 {suppressed} 个");
            if !opts.show_suppressed {
                out.push_str(" (--show-suppressed 可列出)");
            }
        }
        let _ = write!(
            out,
            " · 扫描了 {} 个文件, {} 个部署单元",
            report.files_scanned, report.deployments_scanned
        );
        if !report.inventory.is_empty() {
            let _ = write!(
                out,
                " · {} 个依赖{}",
                report.inventory.len(),
                if report.advisories_checked {
                    "（已比对漏洞通告）"
                } else {
                    "（未比对漏洞通告：需要 --osv-db）"
                }
            );
        }
        out.push('\n');
    } else {
        let _ = write!(
            out,
            "{active} finding{}",
            if active == 1 { "" } else { "s" }
        );
        if !counts.is_empty() {
            let _ = write!(out, ": {}", counts.join(", "));
        }
        if suppressed > 0 {
            let _ = write!(out, " · {suppressed} suppressed");
            if !opts.show_suppressed {
                out.push_str(" (--show-suppressed to list)");
            }
        }
        let _ = write!(
            out,
            " · {} file{} and {} deployment{} scanned",
            report.files_scanned,
            if report.files_scanned == 1 { "" } else { "s" },
            report.deployments_scanned,
            if report.deployments_scanned == 1 {
                ""
            } else {
                "s"
            },
        );
        if !report.inventory.is_empty() {
            let _ = write!(
                out,
                " · {} dependenc{} {}",
                report.inventory.len(),
                if report.inventory.len() == 1 {
                    "y"
                } else {
                    "ies"
                },
                if report.advisories_checked {
                    "checked against advisories"
                } else {
                    "not checked against advisories (--osv-db)"
                }
            );
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::sample;
    use super::*;

    #[test]
    fn grouped_and_plain_without_colour() {
        let text = render(&sample::report(), &RenderOptions::default());
        assert!(!text.contains('\x1b'));
        assert!(text.contains("sam/template.yaml\n  OrdersFunction\n    high     FG-TRIG-002 Function URL without authentication §3.1.2 §2.2  42:7"));
        assert!(!text.contains("FG-LOG-003"));
        assert!(text.contains("input errors:\n  broken.yaml:3:9: invalid YAML"));
        assert!(text.ends_with("1 finding: 1 high · 1 suppressed (--show-suppressed to list) · 3 files and 2 deployments scanned · 1 dependency not checked against advisories (--osv-db)\n"));
    }

    #[test]
    fn colour_and_chinese() {
        let opts = RenderOptions {
            lang: Lang::Zh,
            color: true,
            show_suppressed: true,
        };
        let text = render(&sample::report(), &opts);
        assert!(text.contains("\x1b[31m"));
        assert!(text.contains("已抑制: inline: tracing costs"));
        assert!(text.contains("函数 URL 未启用身份验证"));
    }
}
