//! `--format junit`: JUnit XML for CI systems that only read test reports.
//! One test suite per enabled rule; each finding is a failed test case,
//! each suppressed one a skipped case, and a rule without findings passes
//! as one case. Unreadable inputs form an `input errors` suite.

use super::{ordered, suppression_note, RenderOptions, Report};
use crate::finding::Finding;
use std::fmt::Write;

pub(super) fn render(report: &Report, opts: &RenderOptions) -> String {
    let lang = opts.lang;
    let mut suites = String::new();
    let mut total_tests = 0usize;
    let mut total_failures = 0usize;
    let mut total_errors = 0usize;
    let mut total_skipped = 0usize;
    let findings = ordered(&report.findings);

    for rule in &report.rules {
        let of_rule: Vec<&&Finding> = findings.iter().filter(|f| f.rule_id == rule.id).collect();
        let failures = of_rule.iter().filter(|f| !f.is_suppressed()).count();
        let skipped = of_rule.len() - failures;
        let tests = of_rule.len().max(1);
        total_tests += tests;
        total_failures += failures;
        total_skipped += skipped;
        let _ = writeln!(
            suites,
            "  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">",
            esc(&format!("{} {}", rule.id, rule.title(lang)))
        );
        if of_rule.is_empty() {
            let _ = writeln!(
                suites,
                "    <testcase classname=\"{}\" name=\"no findings\"/>",
                esc(rule.id)
            );
        }
        for f in of_rule {
            let name = format!("{} ({})", f.resource, f.location);
            let _ = writeln!(
                suites,
                "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\" line=\"{}\">",
                esc(rule.id),
                esc(&name),
                esc(&f.location.path),
                f.location.line
            );
            match suppression_note(f) {
                Some(note) => {
                    let _ = writeln!(
                        suites,
                        "      <skipped message=\"suppressed ({})\"/>",
                        esc(&note)
                    );
                }
                None => {
                    let mut body = format!(
                        "{}\n{}: {}\n{}",
                        f.message.get(lang),
                        f.severity,
                        f.location,
                        rule.remediation(lang)
                    );
                    if let Some(evidence) = &f.evidence {
                        body.push_str(&format!("\nevidence: {evidence}"));
                    }
                    let _ = writeln!(
                        suites,
                        "      <failure message=\"{}\" type=\"{}\">{}</failure>",
                        esc(f.message.get(lang)),
                        f.severity,
                        esc(&body)
                    );
                }
            }
            suites.push_str("    </testcase>\n");
        }
        suites.push_str("  </testsuite>\n");
    }

    if !report.errors.is_empty() {
        let n = report.errors.len();
        total_tests += n;
        total_errors += n;
        let _ = writeln!(
            suites,
            "  <testsuite name=\"input errors\" tests=\"{n}\" failures=\"0\" errors=\"{n}\" skipped=\"0\">"
        );
        for e in &report.errors {
            let _ = writeln!(
                suites,
                "    <testcase classname=\"input\" name=\"{}\" file=\"{}\" line=\"{}\">\n      <error message=\"{}\" type=\"input-error\"/>\n    </testcase>",
                esc(&e.location.to_string()),
                esc(&e.location.path),
                e.location.line,
                esc(&e.message)
            );
        }
        suites.push_str("  </testsuite>\n");
    }

    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"fnguard {}\" tests=\"{total_tests}\" failures=\"{total_failures}\" errors=\"{total_errors}\" skipped=\"{total_skipped}\">\n{suites}</testsuites>\n",
        esc(&report.tool_version)
    )
}

/// XML attribute/text escaping; characters XML 1.0 forbids are dropped
/// (a corrupted JUnit file is a known peer bug).
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::sample;
    use super::*;

    #[test]
    fn suites_cases_and_escaping() {
        let xml = render(&sample::report(), &RenderOptions::default());
        assert!(xml.starts_with("<?xml version=\"1.0\""));
        assert!(xml.contains("<testsuites name=\"fnguard 0.1.0\" tests=\"3\" failures=\"1\" errors=\"1\" skipped=\"1\">"));
        assert!(xml.contains("&lt;script&gt; &amp; &quot;quotes&quot;"));
        assert!(!xml.contains("<script>"));
        assert!(xml.contains("<skipped message=\"suppressed (inline: tracing costs)\"/>"));
        assert!(xml.contains("type=\"input-error\""));
        assert_eq!(xml.matches("<testsuite ").count(), 3);
    }

    #[test]
    fn control_characters_are_dropped() {
        assert_eq!(esc("a\u{1}b\u{0}c"), "abc");
    }
}
