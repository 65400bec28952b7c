//! `--format json`: fnguard's own versioned document (schema in
//! `schemas/fnguard-report.schema.json`). Texts are in the chosen language;
//! suppressed findings are included and marked.
//!
//! Written by hand, byte for byte what `serde_json::to_writer_pretty` wrote
//! (a test keeps that serializer as the reference): a corpus scan has 150k
//! findings, and the generic serializer spent most of the render escaping
//! the same rule titles and remediations again for every finding and
//! dispatching every small write through the `dyn Write`. Here each rule's
//! texts are escaped once, and the document is built in a large buffer
//! that goes to the writer in big chunks.

use super::{ordered, RenderOptions, Report, JSON_SCHEMA_VERSION};
use crate::finding::{Finding, SuppressionKind};
use crate::location::SourceRef;
use crate::rule::RuleMeta;
use crate::text::Lang;
use std::io::{self, Write};

/// How much is buffered before it goes to the writer.
const CHUNK: usize = 1 << 20;

pub(super) fn render_to(
    report: &Report,
    opts: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let lang = opts.lang;
    let mut w = Json {
        buf: Vec::with_capacity(CHUNK + CHUNK / 4),
        out,
        last_path: Default::default(),
    };
    let [critical, high, medium, low, info] = report.severity_counts().map(|(_, n)| n);
    w.raw("{\n  \"schema_version\": ");
    w.str(JSON_SCHEMA_VERSION);
    w.raw(",\n  \"tool\": {\n    \"name\": ");
    w.str(&report.tool_name);
    w.raw(",\n    \"version\": ");
    w.str(&report.tool_version);
    w.raw("\n  },\n  \"scan\": {\n    \"root\": ");
    w.str(&report.scan_root);
    w.raw(",\n    \"date\": ");
    w.str(&report.scan_date);
    w.raw(",\n    \"language\": ");
    w.str(match lang {
        Lang::En => "en",
        Lang::Zh => "zh",
    });
    w.raw(",\n    \"files_scanned\": ");
    w.num(report.files_scanned);
    w.raw(",\n    \"deployments_scanned\": ");
    w.num(report.deployments_scanned);
    w.raw("\n  },\n  \"summary\": {");
    for (i, (name, n)) in [
        ("critical", critical),
        ("high", high),
        ("medium", medium),
        ("low", low),
        ("info", info),
        ("suppressed", report.suppressed_count()),
        ("errors", report.errors.len()),
    ]
    .into_iter()
    .enumerate()
    {
        w.raw(if i == 0 { "\n    \"" } else { ",\n    \"" });
        w.raw(name);
        w.raw("\": ");
        w.num(n);
    }
    w.raw("\n  },\n  \"findings\": [");
    let rules = RuleTexts::new(&report.rules, lang);
    let findings = ordered(&report.findings);
    for (i, f) in findings.iter().enumerate() {
        w.raw(if i == 0 { "\n" } else { ",\n" });
        finding(&mut w, f, &rules, lang);
        w.spill()?;
    }
    w.raw(if findings.is_empty() {
        "],\n"
    } else {
        "\n  ],\n"
    });
    if !report.inventory.is_empty() {
        inventory(&mut w, report);
    }
    w.raw("  \"errors\": [");
    for (i, e) in report.errors.iter().enumerate() {
        w.raw(if i == 0 {
            "\n    {\n      \"location\": "
        } else {
            ",\n    {\n      \"location\": "
        });
        location(&mut w, &e.location, "      ");
        w.raw(",\n      \"message\": ");
        w.str(&e.message);
        w.raw("\n    }");
    }
    w.raw(if report.errors.is_empty() {
        "]\n}\n"
    } else {
        "\n  ]\n}\n"
    });
    w.finish()
}

/// The `inventory` object: whether advisories were checked, and every
/// dependency of the packages read.
fn inventory(w: &mut Json<'_>, report: &Report) {
    w.raw("  \"inventory\": {\n    \"advisories_checked\": ");
    w.raw(if report.advisories_checked {
        "true"
    } else {
        "false"
    });
    w.raw(",\n    \"packages\": [");
    for (i, item) in report.inventory.iter().enumerate() {
        w.raw(if i == 0 { "\n" } else { ",\n" });
        w.raw("      {\n        \"package\": ");
        w.str(&item.package);
        w.raw(",\n        \"ecosystem\": ");
        w.str(&item.ecosystem);
        w.raw(",\n        \"name\": ");
        w.str(&item.name);
        w.raw(",\n        \"version\": ");
        w.str(&item.version);
        w.raw(",\n        \"purl\": ");
        w.str(&item.purl);
        w.raw(",\n        \"location\": ");
        location(w, &item.location, "        ");
        if let Some(scope) = item.scope {
            w.raw(",\n        \"scope\": ");
            w.str(scope);
        }
        w.raw("\n      }");
    }
    w.raw("\n    ]\n  },\n");
}

/// One finding, indented as an element of the top-level `findings` list.
fn finding(w: &mut Json<'_>, f: &Finding, rules: &RuleTexts, lang: Lang) {
    let rule = rules.get(f.rule_id);
    w.raw("    {\n      \"rule_id\": ");
    w.str(f.rule_id);
    w.raw(",\n      \"title\": ");
    w.escaped(rule.map_or(b"\"\"", |r| &r.title));
    w.raw(",\n      \"severity\": ");
    w.str(f.severity.as_str());
    w.raw(",\n      \"message\": ");
    w.str(f.message.get(lang));
    w.raw(",\n      \"resource\": ");
    w.str(&f.resource);
    w.raw(",\n      \"location\": ");
    location(w, &f.location, "      ");
    if !f.related.is_empty() {
        w.raw(",\n      \"related\": [");
        for (i, r) in f.related.iter().enumerate() {
            w.raw(if i == 0 { "\n" } else { ",\n" });
            w.raw("        {\n          \"location\": ");
            location(w, &r.location, "          ");
            w.raw(",\n          \"message\": ");
            w.str(r.message.get(lang));
            w.raw("\n        }");
        }
        w.raw("\n      ]");
    }
    w.raw(",\n      \"guide\": ");
    match rule {
        Some(r) if std::ptr::eq(f.guide, r.guide) => w.escaped(&r.guide_json),
        _ => list(w, f.guide),
    }
    w.raw(",\n      \"attack\": ");
    match rule {
        Some(r) if std::ptr::eq(f.attack, r.attack) => w.escaped(&r.attack_json),
        _ => list(w, f.attack),
    }
    w.raw(",\n      \"remediation\": ");
    w.escaped(rule.map_or(b"\"\"", |r| &r.remediation));
    w.raw(",\n      \"fingerprint\": \"");
    w.buf.extend_from_slice(&f.fingerprint.hex());
    w.raw("\"");
    if let Some(evidence) = &f.evidence {
        w.raw(",\n      \"evidence\": ");
        w.str(evidence);
    }
    w.raw(",\n      \"suppressed\": ");
    match &f.suppressed {
        None => w.raw("null"),
        Some(s) => {
            w.raw("{\n        \"kind\": ");
            w.str(match s.kind {
                SuppressionKind::Inline => "inline",
                SuppressionKind::Metadata => "metadata",
                SuppressionKind::Config => "config",
                SuppressionKind::Baseline => "baseline",
            });
            w.raw(",\n        \"reason\": ");
            match &s.reason {
                Some(reason) => w.str(reason),
                None => w.raw("null"),
            }
            w.raw("\n      }");
        }
    }
    if let Some(path) = &f.attack_path {
        w.raw(",\n      \"attack_path\": {\n        \"score\": ");
        w.num(path.score as usize);
        w.raw(",\n        \"steps\": [");
        for (i, step) in path.steps.iter().enumerate() {
            w.raw(if i == 0 { "\n" } else { ",\n" });
            w.raw("          {\n            \"kind\": ");
            w.str(step.kind.as_str());
            w.raw(",\n            \"label\": ");
            w.str(step.label.get(lang));
            w.raw(",\n            \"related\": ");
            w.num(step.related);
            w.raw("\n          }");
        }
        w.raw(if path.steps.is_empty() {
            "]"
        } else {
            "\n        ]"
        });
        w.raw("\n      }");
    }
    w.raw("\n    }");
}

/// `{"path", "line", "column"}` opened at the current position; `indent`
/// is that of the line holding its key.
fn location(w: &mut Json<'_>, loc: &SourceRef, indent: &str) {
    w.raw("{\n  ");
    w.raw(indent);
    w.raw("\"path\": ");
    w.path(&loc.path);
    w.raw(",\n  ");
    w.raw(indent);
    w.raw("\"line\": ");
    w.num(loc.line as usize);
    w.raw(",\n  ");
    w.raw(indent);
    w.raw("\"column\": ");
    w.num(loc.col as usize);
    w.raw("\n");
    w.raw(indent);
    w.raw("}");
}

/// A list of strings as a finding's member (8 spaces for its items).
fn list(w: &mut Json<'_>, items: &[&str]) {
    if items.is_empty() {
        w.raw("[]");
        return;
    }
    w.raw("[");
    for (i, item) in items.iter().enumerate() {
        w.raw(if i == 0 { "\n        " } else { ",\n        " });
        w.str(item);
    }
    w.raw("\n      ]");
}

/// A rule's title and remediation in the report's language, as JSON
/// strings (quoted and escaped), and its guide and ATT&CK lists as a
/// finding's members. Findings share their rule's lists (`Finding::new`),
/// so a pointer comparison tells when the rendered ones apply.
struct Escaped {
    id: &'static str,
    title: Vec<u8>,
    remediation: Vec<u8>,
    guide: &'static [&'static str],
    guide_json: Vec<u8>,
    attack: &'static [&'static str],
    attack_json: Vec<u8>,
}

struct RuleTexts(Vec<Escaped>);

impl RuleTexts {
    fn new(rules: &[&'static RuleMeta], lang: Lang) -> Self {
        RuleTexts(
            rules
                .iter()
                .map(|r| {
                    let quoted = |text: &str| {
                        let mut buf = Vec::with_capacity(text.len() + 2);
                        escape_into(&mut buf, text);
                        buf
                    };
                    let listed = |items: &[&str]| {
                        let mut w = Json {
                            buf: Vec::new(),
                            out: &mut io::sink(),
                            last_path: Default::default(),
                        };
                        list(&mut w, items);
                        w.buf
                    };
                    Escaped {
                        id: r.id,
                        title: quoted(r.title(lang)),
                        remediation: quoted(r.remediation(lang)),
                        guide: r.guide,
                        guide_json: listed(r.guide),
                        attack: r.attack,
                        attack_json: listed(r.attack),
                    }
                })
                .collect(),
        )
    }

    /// The rule's texts. A finding's id is its rule's own `&'static str`,
    /// so comparing pointers settles almost every lookup; ids are unique
    /// (the registry tests check it), so either way it is the same rule.
    fn get(&self, id: &str) -> Option<&Escaped> {
        self.0
            .iter()
            .find(|r| std::ptr::eq(r.id, id))
            .or_else(|| self.0.iter().find(|r| r.id == id))
    }
}

/// The output buffer in front of the writer.
struct Json<'a> {
    buf: Vec<u8>,
    out: &'a mut dyn Write,
    /// The last path written and its escaped form: findings come sorted
    /// by place, so runs of them (and their related locations) repeat it.
    last_path: (String, Vec<u8>),
}

impl Json<'_> {
    fn raw(&mut self, text: &str) {
        self.buf.extend_from_slice(text.as_bytes());
    }

    fn escaped(&mut self, json: &[u8]) {
        self.buf.extend_from_slice(json);
    }

    fn str(&mut self, text: &str) {
        escape_into(&mut self.buf, text);
    }

    fn path(&mut self, path: &str) {
        if self.last_path.0 != path {
            self.last_path.0.clear();
            self.last_path.0.push_str(path);
            self.last_path.1.clear();
            escape_into(&mut self.last_path.1, path);
        }
        self.buf.extend_from_slice(&self.last_path.1);
    }

    fn num(&mut self, n: usize) {
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        let mut n = n;
        loop {
            at -= 1;
            digits[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.buf.extend_from_slice(&digits[at..]);
    }

    /// Hand a full chunk to the writer.
    fn spill(&mut self) -> io::Result<()> {
        if self.buf.len() >= CHUNK {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    fn finish(mut self) -> io::Result<()> {
        self.out.write_all(&self.buf)?;
        self.buf.clear();
        Ok(())
    }
}

/// `text` as a JSON string, escaped as serde_json does: `"` and `\`, the
/// short escapes for backspace, tab, newline, form feed and carriage
/// return, `\u00XX` (lowercase hex) for other control characters, and
/// everything else (non-ASCII included) as it is.
fn escape_into(buf: &mut Vec<u8>, text: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = text.as_bytes();
    buf.reserve(bytes.len() + 2);
    buf.push(b'"');
    let mut start = 0;
    let mut at = 0;
    while at < bytes.len() {
        let end = (at + ESCAPE_CHUNK).min(bytes.len());
        let chunk = &bytes[at..end];
        // The (overwhelmingly common) chunks that need no escape are
        // skipped whole; the test has no early exit, so it compiles to a
        // few vector compares. A last, shorter chunk is tested in a copy
        // padded with spaces.
        let clean = if chunk.len() == ESCAPE_CHUNK {
            !chunk.iter().fold(false, |any, &b| any | needs_escape(b))
        } else {
            let mut padded = [b' '; ESCAPE_CHUNK];
            padded[..chunk.len()].copy_from_slice(chunk);
            !padded.iter().fold(false, |any, &b| any | needs_escape(b))
        };
        if !clean {
            for (offset, &b) in chunk.iter().enumerate() {
                if !needs_escape(b) {
                    continue;
                }
                let i = at + offset;
                buf.extend_from_slice(&bytes[start..i]);
                start = i + 1;
                match b {
                    b'"' => buf.extend_from_slice(b"\\\""),
                    b'\\' => buf.extend_from_slice(b"\\\\"),
                    0x08 => buf.extend_from_slice(b"\\b"),
                    b'\t' => buf.extend_from_slice(b"\\t"),
                    b'\n' => buf.extend_from_slice(b"\\n"),
                    0x0c => buf.extend_from_slice(b"\\f"),
                    b'\r' => buf.extend_from_slice(b"\\r"),
                    _ => buf.extend_from_slice(&[
                        b'\\',
                        b'u',
                        b'0',
                        b'0',
                        HEX[usize::from(b >> 4)],
                        HEX[usize::from(b & 0xf)],
                    ]),
                }
            }
        }
        at = end;
    }
    buf.extend_from_slice(&bytes[start..]);
    buf.push(b'"');
}

/// Bytes tested at once by `escape_into`: two SSE2 vectors.
const ESCAPE_CHUNK: usize = 32;

/// A control character, `"` or `\`.
#[inline(always)]
fn needs_escape(b: u8) -> bool {
    (b < 0x20) | (b == b'"') | (b == b'\\')
}

#[cfg(test)]
mod tests {
    use super::super::{render, sample, Format};
    use super::*;
    use serde_json::Value;

    /// The serde_json rendering this module replaced: the reference the
    /// hand-written output must equal byte for byte.
    mod reference {
        use super::super::super::{
            ordered, InputError, RenderOptions, Report, JSON_SCHEMA_VERSION,
        };
        use crate::finding::{Finding, Fingerprint, Related, SuppressionKind};
        use crate::location::SourceRef;
        use crate::text::Lang;
        use serde::ser::{SerializeSeq, Serializer};
        use serde::Serialize;

        #[derive(Serialize)]
        struct Document<'a> {
            schema_version: &'static str,
            tool: Tool<'a>,
            scan: Scan<'a>,
            summary: Summary,
            findings: Findings<'a>,
            #[serde(skip_serializing_if = "Option::is_none")]
            inventory: Option<InventoryOut<'a>>,
            errors: Vec<ErrorOut<'a>>,
        }

        #[derive(Serialize)]
        struct InventoryOut<'a> {
            advisories_checked: bool,
            packages: Vec<ItemOut<'a>>,
        }

        #[derive(Serialize)]
        struct ItemOut<'a> {
            package: &'a str,
            ecosystem: &'a str,
            name: &'a str,
            version: &'a str,
            purl: &'a str,
            location: LocationOut<'a>,
            #[serde(skip_serializing_if = "Option::is_none")]
            scope: Option<&'a str>,
        }

        #[derive(Serialize)]
        struct Tool<'a> {
            name: &'a str,
            version: &'a str,
        }

        #[derive(Serialize)]
        struct Scan<'a> {
            root: &'a str,
            date: &'a str,
            language: &'static str,
            files_scanned: usize,
            deployments_scanned: usize,
        }

        #[derive(Serialize)]
        struct Summary {
            critical: usize,
            high: usize,
            medium: usize,
            low: usize,
            info: usize,
            suppressed: usize,
            errors: usize,
        }

        #[derive(Serialize)]
        struct LocationOut<'a> {
            path: &'a str,
            line: u32,
            column: u32,
        }

        impl<'a> From<&'a SourceRef> for LocationOut<'a> {
            fn from(loc: &'a SourceRef) -> Self {
                LocationOut {
                    path: &loc.path,
                    line: loc.line,
                    column: loc.col,
                }
            }
        }

        #[derive(Serialize)]
        struct ErrorOut<'a> {
            location: LocationOut<'a>,
            message: &'a str,
        }

        impl<'a> From<&'a InputError> for ErrorOut<'a> {
            fn from(e: &'a InputError) -> Self {
                ErrorOut {
                    location: (&e.location).into(),
                    message: &e.message,
                }
            }
        }

        #[derive(Serialize)]
        struct RelatedOut<'a> {
            location: LocationOut<'a>,
            message: &'a str,
        }

        #[derive(Serialize)]
        struct SuppressedOut<'a> {
            kind: SuppressionKind,
            reason: Option<&'a str>,
        }

        #[derive(Serialize)]
        struct FindingOut<'a> {
            rule_id: &'a str,
            title: &'a str,
            severity: &'static str,
            message: &'a str,
            resource: &'a str,
            location: LocationOut<'a>,
            #[serde(skip_serializing_if = "Vec::is_empty")]
            related: Vec<RelatedOut<'a>>,
            guide: &'static [&'static str],
            attack: &'static [&'static str],
            remediation: &'a str,
            fingerprint: Fingerprint,
            #[serde(skip_serializing_if = "Option::is_none")]
            evidence: Option<&'a str>,
            suppressed: Option<SuppressedOut<'a>>,
            #[serde(skip_serializing_if = "Option::is_none")]
            attack_path: Option<PathOut<'a>>,
        }

        #[derive(Serialize)]
        struct PathOut<'a> {
            score: u32,
            steps: Vec<StepOut<'a>>,
        }

        #[derive(Serialize)]
        struct StepOut<'a> {
            kind: crate::finding::StepKind,
            label: &'a str,
            related: usize,
        }

        fn related_out(r: &Related, lang: Lang) -> RelatedOut<'_> {
            RelatedOut {
                location: (&r.location).into(),
                message: r.message.get(lang),
            }
        }

        struct Findings<'a> {
            report: &'a Report,
            ordered: Vec<&'a Finding>,
            lang: Lang,
        }

        impl Serialize for Findings<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut seq = serializer.serialize_seq(Some(self.ordered.len()))?;
                for f in &self.ordered {
                    let rule = self.report.rule(f.rule_id);
                    seq.serialize_element(&FindingOut {
                        rule_id: f.rule_id,
                        title: rule.map(|r| r.title(self.lang)).unwrap_or(""),
                        severity: f.severity.as_str(),
                        message: f.message.get(self.lang),
                        resource: &f.resource,
                        location: (&f.location).into(),
                        related: f
                            .related
                            .iter()
                            .map(|r| related_out(r, self.lang))
                            .collect(),
                        guide: f.guide,
                        attack: f.attack,
                        remediation: rule.map(|r| r.remediation(self.lang)).unwrap_or(""),
                        fingerprint: f.fingerprint,
                        evidence: f.evidence.as_deref(),
                        suppressed: f.suppressed.as_ref().map(|s| SuppressedOut {
                            kind: s.kind,
                            reason: s.reason.as_deref(),
                        }),
                        attack_path: f.attack_path.as_deref().map(|p| PathOut {
                            score: p.score,
                            steps: p
                                .steps
                                .iter()
                                .map(|s| StepOut {
                                    kind: s.kind,
                                    label: s.label.get(self.lang),
                                    related: s.related,
                                })
                                .collect(),
                        }),
                    })?;
                }
                seq.end()
            }
        }

        pub fn render(report: &Report, opts: &RenderOptions) -> String {
            let [critical, high, medium, low, info] = report.severity_counts().map(|(_, n)| n);
            let doc = Document {
                schema_version: JSON_SCHEMA_VERSION,
                tool: Tool {
                    name: &report.tool_name,
                    version: &report.tool_version,
                },
                scan: Scan {
                    root: &report.scan_root,
                    date: &report.scan_date,
                    language: match opts.lang {
                        Lang::En => "en",
                        Lang::Zh => "zh",
                    },
                    files_scanned: report.files_scanned,
                    deployments_scanned: report.deployments_scanned,
                },
                summary: Summary {
                    critical,
                    high,
                    medium,
                    low,
                    info,
                    suppressed: report.suppressed_count(),
                    errors: report.errors.len(),
                },
                findings: Findings {
                    report,
                    ordered: ordered(&report.findings),
                    lang: opts.lang,
                },
                inventory: (!report.inventory.is_empty()).then(|| InventoryOut {
                    advisories_checked: report.advisories_checked,
                    packages: report
                        .inventory
                        .iter()
                        .map(|item| ItemOut {
                            package: &item.package,
                            ecosystem: &item.ecosystem,
                            name: &item.name,
                            version: &item.version,
                            purl: &item.purl,
                            location: (&item.location).into(),
                            scope: item.scope,
                        })
                        .collect(),
                }),
                errors: report.errors.iter().map(ErrorOut::from).collect(),
            };
            serde_json::to_string_pretty(&doc).unwrap() + "\n"
        }
    }

    /// Reports covering every branch of the writer: related locations,
    /// evidence, each suppression kind with and without a reason, rules
    /// missing from the report, empty lists, strings needing every escape.
    fn edge_reports() -> Vec<Report> {
        use crate::finding::{Finding, Suppression, SuppressionKind};
        use crate::location::SourceRef;
        use crate::text::Text;
        static NO_LISTS: crate::rule::RuleMeta = crate::rule::RuleMeta {
            id: "FG-MON-009",
            area: crate::rule::Area::Mon,
            severity: crate::severity::Severity::Medium,
            guide: &[],
            attack: &[],
            title_en: "quote \" backslash \\ tab \t nl \n cr \r ff \u{c} bs \u{8} nul \u{0} us \u{1f} del \u{7f} é 中",
            title_zh: "标题",
            description_en: "d",
            description_zh: "描述",
            risk_en: "r",
            risk_zh: "风险",
            remediation_en: "fix \\ it",
            remediation_zh: "修复 \"引号\"",
            references: &[],
        };
        let mut with_all = sample::report();
        with_all.rules.push(&NO_LISTS);
        let weird = "a\"b\\c\u{1}d\te\nf/g\u{7f}h中</script>";
        let mut f = Finding::new(
            &NO_LISTS,
            weird,
            SourceRef::new(weird, 0, 0),
            Text::new(weird, weird),
            weird,
        )
        .with_evidence(weird)
        .with_related(SourceRef::new("r1.yaml", 1, 2), Text::new("one", "一"))
        .with_related(SourceRef::new(weird, 3, 4), Text::new(weird, "二"));
        with_all.findings.push(f.clone());
        // An attack path, and one without steps.
        let step = |kind, label: &str, related| crate::finding::PathStep {
            kind,
            label: Text::new(label, format!("{label}（中）")),
            related,
        };
        let mut path = crate::finding::AttackPath {
            score: 12,
            steps: vec![
                step(crate::finding::StepKind::Entry, weird, 0),
                step(crate::finding::StepKind::Function, "Fn", 1),
                step(crate::finding::StepKind::Role, "Role", 1),
                step(crate::finding::StepKind::Impact, "s3:* on *", 0),
                step(crate::finding::StepKind::Reach, "db", 1),
            ],
        };
        with_all
            .findings
            .push(f.clone().with_attack_path(path.clone()));
        path.steps.clear();
        with_all.findings.push(f.clone().with_attack_path(path));
        for (kind, reason) in [
            (SuppressionKind::Metadata, None),
            (SuppressionKind::Config, Some(weird.to_string())),
            (SuppressionKind::Baseline, None),
            (SuppressionKind::Inline, Some(String::new())),
        ] {
            f.suppressed = Some(Suppression { kind, reason });
            f.resource.push('x');
            with_all.findings.push(f.clone());
        }
        // A rule that is not in the report: empty title and remediation.
        let mut orphan = sample::report();
        orphan.rules.clear();
        orphan.scan_root = weird.into();
        orphan.files_scanned = usize::MAX;
        let mut empty = sample::report();
        empty.findings.clear();
        empty.errors.clear();
        empty.files_scanned = 0;
        let mut many_errors = empty.clone();
        many_errors.errors = sample::report().errors;
        many_errors.errors.push(crate::report::InputError {
            location: SourceRef::new(weird, 7, 1),
            message: weird.into(),
        });
        vec![sample::report(), with_all, orphan, empty, many_errors]
    }

    #[test]
    fn byte_identical_to_the_serde_rendering() {
        for (i, report) in edge_reports().iter().enumerate() {
            for lang in [Lang::En, Lang::Zh] {
                let opts = RenderOptions {
                    lang,
                    ..Default::default()
                };
                let ours = render(report, Format::Json, &opts);
                assert_eq!(
                    ours,
                    reference::render(report, &opts),
                    "report {i}, {lang:?}"
                );
            }
        }
    }

    #[test]
    fn every_escape_matches_serde_json() {
        // Every character at every offset of two chunk steps, alone,
        // twice, and among others.
        for c in (0u32..0x300).chain([0x2028, 0x2029, 0x4e2d, 0x1f600]) {
            let Some(c) = char::from_u32(c) else { continue };
            for pad in 0..2 * ESCAPE_CHUNK + 1 {
                let lead = "x".repeat(pad);
                for text in [
                    format!("{lead}{c}"),
                    format!("{lead}{c}{c}tail-after-it"),
                    format!("{lead}a{c}b\"c\\d{c}{lead}"),
                ] {
                    let mut ours = Vec::new();
                    escape_into(&mut ours, &text);
                    assert_eq!(
                        String::from_utf8(ours).unwrap(),
                        serde_json::to_string(&text).unwrap(),
                        "{c:?} after {pad}"
                    );
                }
            }
        }
    }

    fn render_json(opts: &RenderOptions) -> Value {
        serde_json::from_str(&render(&sample::report(), Format::Json, opts)).unwrap()
    }

    #[test]
    fn versioned_and_complete() {
        let doc = render_json(&RenderOptions::default());
        assert_eq!(doc["schema_version"], JSON_SCHEMA_VERSION);
        assert_eq!(doc["summary"]["high"], 1);
        assert_eq!(
            doc["summary"]["info"], 0,
            "suppressed findings are not counted as active"
        );
        assert_eq!(doc["summary"]["suppressed"], 1);
        let findings = doc["findings"].as_array().unwrap();
        assert_eq!(findings.len(), 2, "suppressed findings are kept, marked");
        assert_eq!(findings[0]["rule_id"], "FG-TRIG-002", "most severe first");
        assert_eq!(findings[0]["evidence"], "AuthType: NONE");
        assert!(findings[0]["suppressed"].is_null());
        assert_eq!(findings[1]["suppressed"]["kind"], "inline");
        assert_eq!(findings[1]["suppressed"]["reason"], "tracing costs");
        assert_eq!(findings[0]["location"]["line"], 42);
        assert_eq!(findings[0]["location"]["column"], 7);
        assert_eq!(doc["errors"][0]["location"]["path"], "broken.yaml");
        let keys: Vec<&String> = doc.as_object().unwrap().keys().collect();
        assert_eq!(keys[0], "schema_version");
    }

    #[test]
    fn chinese_texts() {
        let doc = render_json(&RenderOptions {
            lang: Lang::Zh,
            ..Default::default()
        });
        assert_eq!(doc["findings"][0]["title"], "函数 URL 未启用身份验证");
        assert_eq!(
            doc["findings"][0]["message"],
            "OrdersFunction 的函数 URL 允许任何人调用"
        );
        assert_eq!(doc["scan"]["language"], "zh");
    }
}
