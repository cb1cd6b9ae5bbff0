//! The graph in Graphviz DOT (`ivstack graph --format dot | dot -Tsvg`).
//!
//! Node ids are generated (`n3`, `cluster_0`), never user text. Labels are quoted
//! strings with `\` and `"` escaped and line breaks and other control characters turned
//! into Graphviz's own `\n` or dropped, so a name cannot end the string or add
//! statements, and no backslash of a name reaches Graphviz as an escape sequence
//! (`\N`, `\G`, `\l`).

use std::fmt::Write as _;

use super::mermaid::colours;
use super::{Graph, What, lines};

/// Text as the inside of a quoted DOT string.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A node's lines as one label, centred.
fn label(parts: &[String]) -> String {
    parts
        .iter()
        .map(|l| escape(l))
        .collect::<Vec<_>>()
        .join("\\n")
}

/// The DOT digraph.
pub fn render(g: &Graph) -> String {
    let mut out = String::from("digraph ivstack {\n");
    out.push_str("  graph [rankdir=LR, fontname=\"Helvetica\", fontsize=12];\n");
    out.push_str(
        "  node [shape=box, style=\"rounded,filled\", fillcolor=\"#ffffff\", \
         fontname=\"Helvetica\", fontsize=11];\n",
    );
    out.push_str("  edge [fontname=\"Helvetica\", fontsize=10];\n");
    for (gi, group) in g.groups.iter().enumerate() {
        let _ = writeln!(out, "  subgraph cluster_{gi} {{");
        let _ = writeln!(
            out,
            "    label=\"{}\";",
            escape(&format!("stack {} ({})", group.stack, group.region))
        );
        for (i, n) in g.nodes.iter().enumerate().filter(|(_, n)| n.group == gi) {
            let mut attrs = vec![format!("label=\"{}\"", label(&lines(n)))];
            match n.what {
                What::Stack { .. } => attrs.push("shape=ellipse".into()),
                What::Unchanged { .. } | What::Repeated { .. } => {
                    attrs.push("peripheries=2".into())
                }
                What::Resource { .. } => {}
            }
            if let Some(p) = n.action {
                let (fill, stroke) = colours(p);
                attrs.push(format!("fillcolor=\"{fill}\", color=\"{stroke}\""));
                attrs.push(format!("class=\"{}\"", p.as_str()));
            }
            let _ = writeln!(out, "    n{i} [{}];", attrs.join(", "));
        }
        out.push_str("  }\n");
    }
    for e in &g.edges {
        if e.label.is_empty() {
            let _ = writeln!(out, "  n{} -> n{};", e.from, e.to);
        } else {
            let _ = writeln!(
                out,
                "  n{} -> n{} [label=\"{}\"];",
                e.from,
                e.to,
                escape(&e.label)
            );
        }
    }
    let legend = g.legend();
    if !legend.is_empty() {
        out.push_str("  subgraph cluster_legend {\n    label=\"Legend\";\n");
        for p in &legend {
            let (fill, stroke) = colours(*p);
            let _ = writeln!(
                out,
                "    legend_{} [label=\"{}\", fillcolor=\"{fill}\", color=\"{stroke}\"];",
                p.as_str().replace('-', "_"),
                p.as_str()
            );
        }
        out.push_str("  }\n");
    }
    out.push_str("}\n");
    out
}
