//! The graph as a Mermaid flowchart, for Markdown (GitHub and GitLab render it inline).
//!
//! Node and group ids are generated (`n3`, `g0`), never user text. Every label is a
//! quoted string in which everything but letters, digits, spaces and `.,_-:/()` is
//! written as a Mermaid entity code (`#35;` for `#`), so a name cannot close the string,
//! start a directive (`%%{init}`), add a node or a click handler, or a Markdown fence.

use std::fmt::Write as _;

use super::{Graph, Planned, What, lines};

/// The fill and stroke of each class; the same in DOT.
pub(super) fn colours(p: Planned) -> (&'static str, &'static str) {
    match p {
        Planned::Create => ("#dafbe1", "#1a7f37"),
        Planned::Import => ("#ddf4ff", "#0969da"),
        Planned::Update => ("#fff8c5", "#9a6700"),
        Planned::Replace => ("#ffe7d1", "#bc4c00"),
        Planned::Delete => ("#ffebe9", "#cf222e"),
        Planned::Refused => ("#eaeef2", "#6639ba"),
        Planned::NoOp => ("#f6f8fa", "#8c959f"),
    }
}

/// A class name Mermaid accepts (`no-op` is `noop`).
fn class(p: Planned) -> &'static str {
    match p {
        Planned::NoOp => "noop",
        other => other.as_str(),
    }
}

/// Text as the inside of a quoted Mermaid label.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || " .,_-:/()".contains(c) {
            out.push(c);
        } else {
            let _ = write!(out, "#{};", c as u32);
        }
    }
    out
}

/// The lines of a node as one label: escaped, joined with `<br>`.
fn label(parts: &[String]) -> String {
    parts
        .iter()
        .map(|l| escape(l))
        .collect::<Vec<_>>()
        .join("<br>")
}

/// The Mermaid flowchart (no fence around it).
pub fn render(g: &Graph) -> String {
    let mut out = String::from("flowchart LR\n");
    for (gi, group) in g.groups.iter().enumerate() {
        let _ = writeln!(
            out,
            "  subgraph g{gi}[\"{}\"]",
            escape(&format!("stack {} ({})", group.stack, group.region))
        );
        for (i, n) in g.nodes.iter().enumerate().filter(|(_, n)| n.group == gi) {
            let text = label(&lines(n));
            let shape = match n.what {
                What::Stack { .. } => format!("([\"{text}\"])"),
                What::Unchanged { .. } | What::Repeated { .. } => format!("[[\"{text}\"]]"),
                What::Resource { .. } => format!("[\"{text}\"]"),
            };
            let _ = writeln!(out, "    n{i}{shape}");
        }
        out.push_str("  end\n");
    }
    for e in &g.edges {
        if e.label.is_empty() {
            let _ = writeln!(out, "  n{} --> n{}", e.from, e.to);
        } else {
            let _ = writeln!(out, "  n{} -->|\"{}\"| n{}", e.from, escape(&e.label), e.to);
        }
    }
    let legend = g.legend();
    if !legend.is_empty() {
        out.push_str("  subgraph legend[\"Legend\"]\n");
        for p in &legend {
            let _ = writeln!(out, "    legend_{}[\"{}\"]", class(*p), escape(p.as_str()));
        }
        out.push_str("  end\n");
        for p in &legend {
            let (fill, stroke) = colours(*p);
            let dash = match p {
                Planned::Delete | Planned::NoOp => ",stroke-dasharray:4 3",
                _ => "",
            };
            let _ = writeln!(
                out,
                "  classDef {} fill:{fill},stroke:{stroke},color:#1f2328{dash}",
                class(*p)
            );
        }
        for p in &legend {
            let mut ids: Vec<String> = g
                .nodes
                .iter()
                .enumerate()
                .filter(|(_, n)| n.action == Some(*p))
                .map(|(i, _)| format!("n{i}"))
                .collect();
            ids.push(format!("legend_{}", class(*p)));
            let _ = writeln!(out, "  class {} {}", ids.join(","), class(*p));
        }
    }
    out
}
