//! `fnguard scan --graph dot|mermaid FILE`: every attack path of a scan as
//! one graph (guide §2.2), for reviews and threat-model documents. Nodes
//! are the steps of the paths (entry points, functions, roles, impacts,
//! network reach); a step shared by several paths (one role behind two
//! functions, one function behind two entry points) is one node. Edges are
//! coloured by the most severe path that uses them, and the edge out of an
//! entry point is labelled with that path's score.
//!
//! Suppressed paths are left out: they are accepted risks, and a graph for
//! a review should show what is still open.

use super::Report;
use crate::finding::{Finding, PathStep, StepKind};
use crate::severity::Severity;
use crate::text::Lang;
use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphFormat {
    Dot,
    Mermaid,
}

impl GraphFormat {
    pub fn parse(s: &str) -> Option<GraphFormat> {
        match s.to_ascii_lowercase().as_str() {
            "dot" | "graphviz" => Some(GraphFormat::Dot),
            "mermaid" | "mmd" => Some(GraphFormat::Mermaid),
            _ => None,
        }
    }
}

struct Node {
    kind: StepKind,
    /// Label, then where it is (`path:line`).
    label: String,
    place: String,
}

struct Edge {
    severity: Severity,
    /// The highest score of a path that starts with this edge (entry edges).
    score: Option<u32>,
}

#[derive(Default)]
struct Graph {
    nodes: Vec<Node>,
    by_key: HashMap<(StepKind, String, String), usize>,
    /// (from, to) -> edge, ordered for a stable output.
    edges: BTreeMap<(usize, usize), Edge>,
}

impl Graph {
    fn node(&mut self, f: &Finding, step: &PathStep, lang: Lang) -> usize {
        let location = f
            .related
            .get(step.related)
            .map_or(&f.location, |r| &r.location);
        let place = if location.line > 0 {
            format!("{}:{}", location.path, location.line)
        } else {
            location.path.clone()
        };
        let label = step.label.get(lang).to_string();
        // Functions and roles are one node per deployment file whatever
        // line a path points at; entries and impacts per place.
        let key_place = match step.kind {
            StepKind::Function | StepKind::Role => location.path.clone(),
            _ => place.clone(),
        };
        let key = (step.kind, label.clone(), key_place);
        if let Some(&id) = self.by_key.get(&key) {
            return id;
        }
        self.nodes.push(Node {
            kind: step.kind,
            label,
            place,
        });
        self.by_key.insert(key, self.nodes.len() - 1);
        self.nodes.len() - 1
    }

    fn edge(&mut self, from: usize, to: usize, severity: Severity, score: Option<u32>) {
        let edge = self
            .edges
            .entry((from, to))
            .or_insert(Edge { severity, score });
        edge.severity = edge.severity.max(severity);
        edge.score = edge.score.max(score);
    }

    fn build(report: &Report, lang: Lang) -> Graph {
        let mut graph = Graph::default();
        for f in report.findings.iter().filter(|f| !f.is_suppressed()) {
            let Some(path) = &f.attack_path else { continue };
            for flow in path.flows() {
                let ids: Vec<usize> = flow.iter().map(|s| graph.node(f, s, lang)).collect();
                for (i, pair) in ids.windows(2).enumerate() {
                    let score = (i == 0 && flow[0].kind == StepKind::Entry).then_some(path.score);
                    graph.edge(pair[0], pair[1], f.severity, score);
                }
            }
        }
        graph
    }
}

fn color(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "#b30000",
        Severity::High => "#e65c00",
        Severity::Medium => "#c79100",
        Severity::Low | Severity::Info => "#5f6b7a",
    }
}

pub fn render_graph(
    report: &Report,
    format: GraphFormat,
    lang: Lang,
    out: &mut dyn Write,
) -> io::Result<()> {
    let graph = Graph::build(report, lang);
    let text = match format {
        GraphFormat::Dot => dot(&graph),
        GraphFormat::Mermaid => mermaid(&graph),
    };
    out.write_all(text.as_bytes())
}

/// A DOT string literal: backslashes and quotes escaped, line breaks as
/// DOT's centred `\n`.
fn dot_quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn dot(graph: &Graph) -> String {
    let mut out = String::from(
        "digraph attack_paths {\n  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=10];\n  edge [fontname=\"Helvetica\", fontsize=9];\n",
    );
    if graph.nodes.is_empty() {
        out.push_str("  // no attack paths\n");
    }
    for (i, node) in graph.nodes.iter().enumerate() {
        let (shape, fill) = match node.kind {
            StepKind::Entry => ("box", "#fde2e2"),
            StepKind::Function => ("ellipse", "#e3ecfa"),
            StepKind::Role => ("hexagon", "#ece3fa"),
            StepKind::Impact => ("note", "#fff1cc"),
            StepKind::Reach => ("cylinder", "#fff1cc"),
        };
        let label = format!("{}\n{}", node.label, node.place);
        out.push_str(&format!(
            "  n{i} [label={}, shape={shape}, style=filled, fillcolor=\"{fill}\"];\n",
            dot_quote(&label)
        ));
    }
    for (&(from, to), edge) in &graph.edges {
        let color = color(edge.severity);
        match edge.score {
            Some(score) => out.push_str(&format!(
                "  n{from} -> n{to} [color=\"{color}\", fontcolor=\"{color}\", label=\"{} {score}\"];\n",
                edge.severity.as_str()
            )),
            None => out.push_str(&format!("  n{from} -> n{to} [color=\"{color}\"];\n")),
        }
    }
    out.push_str("}\n");
    out
}

/// Mermaid label text inside `"..."`: quotes and the characters Mermaid
/// reads as markup become its `#...;` entity codes, line breaks `<br/>`.
fn mermaid_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            '\n' => out.push_str("<br/>"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

fn mermaid(graph: &Graph) -> String {
    let mut out = String::from("flowchart LR\n");
    if graph.nodes.is_empty() {
        out.push_str("  %% no attack paths\n");
    }
    let mut by_kind: BTreeMap<StepKind, Vec<String>> = BTreeMap::new();
    for (i, node) in graph.nodes.iter().enumerate() {
        let text = mermaid_text(&format!("{}\n{}", node.label, node.place));
        let shaped = match node.kind {
            StepKind::Entry => format!("[/\"{text}\"/]"),
            StepKind::Function => format!("([\"{text}\"])"),
            StepKind::Role => format!("{{{{\"{text}\"}}}}"),
            StepKind::Impact => format!("[\"{text}\"]"),
            StepKind::Reach => format!("[(\"{text}\")]"),
        };
        out.push_str(&format!("  n{i}{shaped}\n"));
        by_kind.entry(node.kind).or_default().push(format!("n{i}"));
    }
    let mut styles = String::new();
    for (index, (&(from, to), edge)) in graph.edges.iter().enumerate() {
        match edge.score {
            Some(score) => out.push_str(&format!(
                "  n{from} -->|\"{} {score}\"| n{to}\n",
                edge.severity.as_str()
            )),
            None => out.push_str(&format!("  n{from} --> n{to}\n")),
        }
        styles.push_str(&format!(
            "  linkStyle {index} stroke:{},stroke-width:2px\n",
            color(edge.severity)
        ));
    }
    out.push_str(&styles);
    for (kind, fill) in [
        (StepKind::Entry, "#fde2e2"),
        (StepKind::Function, "#e3ecfa"),
        (StepKind::Role, "#ece3fa"),
        (StepKind::Impact, "#fff1cc"),
        (StepKind::Reach, "#fff1cc"),
    ] {
        if let Some(ids) = by_kind.get(&kind) {
            out.push_str(&format!(
                "  classDef {} fill:{fill}\n  class {} {}\n",
                kind.as_str(),
                ids.join(","),
                kind.as_str()
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{AttackPath, Suppression, SuppressionKind};
    use crate::location::SourceRef;
    use crate::report::sample;
    use crate::text::Text;

    fn step(kind: StepKind, label: &str, related: usize) -> PathStep {
        PathStep {
            kind,
            label: Text::new(label, format!("{label}（中）")),
            related,
        }
    }

    /// Two paths into one function (an API route and a URL), its role with
    /// two impacts and a database it reaches; plus a suppressed path.
    fn report() -> Report {
        let mut report = sample::report();
        report.findings.clear();
        let base = |discriminator: &str, severity, entry: &str, score| {
            Finding::new(
                &sample::RULE_A,
                "Orders",
                SourceRef::new("t.yaml", 5, 3),
                Text::new("path", "路径"),
                discriminator,
            )
            .with_severity(severity)
            .with_related(SourceRef::new("t.yaml", 5, 3), Text::new("entry", "入口"))
            .with_related(SourceRef::new("t.yaml", 20, 3), Text::new("fn", "函数"))
            .with_related(SourceRef::new("t.yaml", 40, 3), Text::new("role", "角色"))
            .with_related(SourceRef::new("t.yaml", 44, 9), Text::new("imp", "影响"))
            .with_related(SourceRef::new("t.yaml", 60, 3), Text::new("db", "数据库"))
            .with_attack_path(AttackPath {
                score,
                steps: vec![
                    step(StepKind::Entry, entry, 0),
                    step(StepKind::Function, "fn Orders", 1),
                    step(StepKind::Role, "role \"Orders\" <x> #1", 2),
                    step(StepKind::Impact, "secretsmanager:GetSecretValue on *", 3),
                    step(StepKind::Reach, "RDS database Db", 4),
                ],
            })
        };
        report
            .findings
            .push(base("a", Severity::Critical, "anonymous HTTP → GET /", 12));
        report
            .findings
            .push(base("b", Severity::High, "account 111122223333", 8));
        let mut hidden = base("c", Severity::Critical, "suppressed entry", 12);
        hidden.suppressed = Some(Suppression {
            kind: SuppressionKind::Config,
            reason: None,
        });
        report.findings.push(hidden);
        report
    }

    fn render(format: GraphFormat, lang: Lang) -> String {
        let mut out = Vec::new();
        render_graph(&report(), format, lang, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn shared_steps_are_one_node_and_suppressed_paths_are_left_out() {
        let graph = Graph::build(&report(), Lang::En);
        // 2 entries, function, role, impact, reach.
        assert_eq!(graph.nodes.len(), 6);
        assert!(!graph.nodes.iter().any(|n| n.label == "suppressed entry"));
        // entry->fn twice, fn->role, role->impact, fn->reach.
        assert_eq!(graph.edges.len(), 5);
        let entry_edges: Vec<_> = graph.edges.values().filter(|e| e.score.is_some()).collect();
        assert_eq!(entry_edges.len(), 2);
        // The shared fn->role edge takes the most severe path's colour.
        let function = graph
            .nodes
            .iter()
            .position(|n| n.kind == StepKind::Function);
        let role = graph.nodes.iter().position(|n| n.kind == StepKind::Role);
        let shared = &graph.edges[&(function.unwrap(), role.unwrap())];
        assert_eq!(shared.severity, Severity::Critical);
    }

    #[test]
    fn dot_is_escaped_and_complete() {
        let text = render(GraphFormat::Dot, Lang::En);
        assert!(text.starts_with("digraph attack_paths {\n"));
        assert!(text.ends_with("}\n"));
        assert!(text.contains(r#"label="role \"Orders\" <x> #1\nt.yaml:40""#));
        assert!(text.contains("label=\"critical 12\""));
        assert!(text.contains("label=\"high 8\""));
        assert_eq!(text.matches(" -> ").count(), 5);
        assert!(text.contains("shape=cylinder"));
    }

    #[test]
    fn mermaid_is_escaped_and_complete() {
        let text = render(GraphFormat::Mermaid, Lang::Zh);
        assert!(text.starts_with("flowchart LR\n"));
        assert!(
            text.contains("{{\"role #quot;Orders#quot; #lt;x#gt; #35;1（中）<br/>t.yaml:40\"}}")
        );
        assert!(text.contains("-->|\"critical 12\"|"));
        assert_eq!(text.matches("linkStyle").count(), 5);
        assert!(text.contains("  class n0,n5 entry\n"), "{text}");
        // No raw quote inside a label.
        for line in text.lines().filter(|l| l.contains("[\"")) {
            let inner = &line[line.find('"').unwrap() + 1..line.rfind('"').unwrap()];
            assert!(!inner.contains('"'), "{line}");
        }
    }

    #[test]
    fn no_paths_is_still_a_valid_graph() {
        let mut empty = sample::report();
        empty.findings.clear();
        let mut out = Vec::new();
        render_graph(&empty, GraphFormat::Dot, Lang::En, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap().matches("->").count(),
            0,
            "no edges"
        );
        assert_eq!(GraphFormat::parse("Mermaid"), Some(GraphFormat::Mermaid));
        assert_eq!(GraphFormat::parse("svg"), None);
    }
}
