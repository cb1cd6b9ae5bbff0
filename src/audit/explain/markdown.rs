//! `explain` for a pull request: a Markdown section per stack with a grant table per
//! policy, wildcards expanded in collapsed sections, and the stack's figures (if any)
//! collapsed above the details.

use std::fmt::Write as _;

use super::{AlarmView, Explanation, Row, StackExplanation};

/// The whole explanation.
pub fn render(ex: &Explanation) -> String {
    let parts: Vec<String> = ex
        .stacks
        .iter()
        .map(|s| {
            let mut out = String::new();
            stack(&mut out, s);
            out.trim_end().to_string()
        })
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("{}\n", parts.join("\n\n"))
    }
}

/// Text for a table cell: no line breaks, no cell separators.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn stack(out: &mut String, s: &StackExplanation) {
    let _ = writeln!(out, "## Stack `{}`\n", s.stack);
    let account = s
        .account
        .as_deref()
        .map(|a| format!(" · account `{a}`"))
        .unwrap_or_default();
    let _ = writeln!(out, "`{}` · region `{}`{account}\n", s.file, s.region);
    for f in &s.figures {
        let _ = writeln!(
            out,
            "<details><summary>{}</summary>\n\n```{}\n{}\n```\n\n</details>\n",
            f.title,
            f.language,
            f.body.trim_end()
        );
    }
    if !s.policies.is_empty() {
        let _ = writeln!(out, "### Policies\n");
    }
    for p in &s.policies {
        let raw = if p.raw { ", raw IAM document" } else { "" };
        let _ = writeln!(out, "#### `{}` (IAM name `{}`{raw})\n", p.id, p.name);
        if let Some(d) = &p.description {
            let _ = writeln!(out, "{d}\n");
        }
        if p.rows.is_empty() {
            let _ = writeln!(out, "Grants nothing.\n");
        } else {
            let _ = writeln!(
                out,
                "| Effect | Action | Access level | Resources | Conditions |"
            );
            let _ = writeln!(out, "|---|---|---|---|---|");
            for r in &p.rows {
                row(out, r);
            }
            out.push('\n');
        }
        for r in p.rows.iter().filter(|r| !r.expanded.is_empty()) {
            let total: usize = r.expanded.values().map(Vec::len).sum();
            let _ = writeln!(
                out,
                "<details><summary><code>{}</code>: the {total} actions it grants here</summary>\n",
                r.action
            );
            for (level, actions) in r.expanded.iter().rev() {
                let list: Vec<String> = actions.iter().map(|a| format!("`{a}`")).collect();
                let _ = writeln!(out, "- **{level}:** {}", list.join(", "));
            }
            let _ = writeln!(out, "\n</details>\n");
        }
        if !p.risks.is_empty() {
            let _ = writeln!(out, "**Risky capabilities:**\n");
            for r in &p.risks {
                let _ = writeln!(out, "- :warning: {r}");
            }
            out.push('\n');
        }
    }
    if !s.stages.is_empty() {
        let _ = writeln!(out, "### Stages\n");
    }
    for st in &s.stages {
        let protected = if st.protected { ", protected" } else { "" };
        let _ = writeln!(out, "#### `{}` (name `{}`{protected})\n", st.id, st.name);
        if st.granted.is_empty() {
            let _ = writeln!(out, "- **Granted:** by no policy of this stack");
        }
        for g in &st.granted {
            let _ = writeln!(out, "- **Granted:** {g}");
        }
        let _ = writeln!(out, "- **Recording:** {}", st.recording);
        if st.alarms.is_empty() {
            let _ = writeln!(out, "- **Alarms:** none");
        }
        for a in &st.alarms {
            alarm(out, a);
        }
        for i in &st.ingest {
            let _ = writeln!(out, "- **Ingest:** {i}");
        }
        out.push('\n');
    }
    if !s.others.is_empty() {
        let _ = writeln!(out, "### Other IVS resources\n");
        for r in &s.others {
            let _ = writeln!(
                out,
                "- **{}** `{}` (name `{}`): {}",
                r.kind.noun(),
                r.id,
                r.name,
                r.summary
            );
        }
        out.push('\n');
    }
    if !s.region_alarms.is_empty() {
        let _ = writeln!(out, "### Region-wide alarms\n");
        for a in &s.region_alarms {
            alarm(out, a);
        }
        out.push('\n');
    }
    if !s.budgets.is_empty() {
        let _ = writeln!(out, "### Budgets\n");
    }
    for b in &s.budgets {
        let _ = writeln!(out, "#### `{}` (name `{}`): {}\n", b.id, b.name, b.limit);
        let _ = writeln!(out, "- **Covers:** {}", b.covers);
        if b.thresholds.is_empty() {
            let _ = writeln!(out, "- **Notifies:** never (no thresholds)");
        }
        for t in &b.thresholds {
            let _ = writeln!(out, "- **Notifies when** {t}");
        }
        let who = if b.subscribers.is_empty() {
            "nobody".to_string()
        } else {
            b.subscribers.join(", ")
        };
        let _ = writeln!(out, "- **Tells:** {who}\n");
    }
}

fn row(out: &mut String, r: &Row) {
    let resources = match &r.nothing {
        Some(why) => format!("*nothing:* {why}"),
        None => r
            .resources
            .iter()
            .map(|x| cell(x))
            .collect::<Vec<_>>()
            .join("<br>"),
    };
    let conditions = if r.conditions.is_empty() {
        "—".to_string()
    } else {
        r.conditions
            .iter()
            .map(|c| cell(c))
            .collect::<Vec<_>>()
            .join("<br>")
    };
    let _ = writeln!(
        out,
        "| {} | `{}` | {} | {} | {} |",
        r.effect.as_str(),
        cell(&r.action),
        cell(&r.access),
        resources,
        conditions
    );
}

fn alarm(out: &mut String, a: &AlarmView) {
    let who = if a.notifies.is_empty() {
        "notifies **nobody**".to_string()
    } else {
        let list: Vec<String> = a.notifies.iter().map(|n| format!("`{n}`")).collect();
        format!("notifies {}", list.join(", "))
    };
    let _ = writeln!(out, "- **Alarm** `{}`: {}; {who}", a.id, a.condition);
}
