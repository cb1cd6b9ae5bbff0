//! The Markdown rendering, for pull-request comments: summary first, then one collapsible
//! section per changed resource, kept under [`MARKDOWN_LIMIT`] by eliding the middle.
//!
//! User values (names, tags, reasons that quote them) are HTML-escaped wherever Markdown
//! would interpret them, `@` and `#` included so a stack file cannot ping people or link
//! issues; diffs sit in fenced blocks whose fence is longer than any backtick run inside.

use std::fmt::Write as _;

use super::{DiffLine, ShownField, address, line_diff, marker, show_value, verb};
use crate::plan::grants::{GrantChanges, Resolver, grant_changes};
use crate::plan::{Action, Plan, ResourceChange};

/// Most characters (bytes, to be safe with any count) a Markdown rendering may have:
/// GitHub caps a comment at 65,535 characters; this leaves room for a wrapper's own text.
pub const MARKDOWN_LIMIT: usize = 60_000;

/// The plan as Markdown for a pull-request comment, never longer than [`MARKDOWN_LIMIT`].
pub fn markdown(plan: &Plan) -> String {
    markdown_with_diagram(plan, None)
}

/// A diagram larger than this is left out (with a note): the details come first. (Mermaid
/// itself refuses diagrams over 50,000 characters.)
pub const DIAGRAM_LIMIT: usize = MARKDOWN_LIMIT / 3;

/// Mermaid's default `maxEdges`: a flowchart with more edges is not drawn at all.
pub const MERMAID_MAX_EDGES: usize = 500;

/// Whether a Mermaid flowchart can be shown in a comment: small enough, and within what
/// Mermaid draws. Edges are counted by their arrows (`-->`), which no label can contain:
/// labels escape `>`.
pub fn diagram_fits(diagram: &str) -> bool {
    diagram.len() <= DIAGRAM_LIMIT && diagram.matches("-->").count() <= MERMAID_MAX_EDGES
}

/// [`markdown`] with a Mermaid diagram of the changes (`ivstack graph`'s), collapsed
/// above the details when there are changes. It counts towards the limit; one that does
/// not [fit](diagram_fits) gives way to a note saying how to draw it.
pub fn markdown_with_diagram(plan: &Plan, diagram: Option<&str>) -> String {
    let mut head = header(plan);
    let shown: Vec<&ResourceChange> = plan
        .changes
        .iter()
        .filter(|c| c.action != Action::NoOp)
        .collect();
    if shown.is_empty() {
        return head;
    }
    if let Some(d) = diagram {
        head.push_str(&diagram_section(d));
    }
    let resolver = Resolver::of(plan);
    let sections: Vec<String> = shown.iter().map(|c| section(c, &resolver)).collect();
    let budget = MARKDOWN_LIMIT.saturating_sub(head.len());
    let total: usize = sections.iter().map(String::len).sum();
    if total <= budget {
        return head + &sections.concat();
    }

    // Too long: keep sections from both ends, alternately, while they fit next to the note.
    let note_reserve = elision_note(sections.len()).len();
    let room = budget.saturating_sub(note_reserve);
    let (mut front, mut back) = (0usize, sections.len());
    let mut used = 0usize;
    let mut take_front = true;
    let mut stuck = (false, false);
    while front < back && !(stuck.0 && stuck.1) {
        let idx = if take_front { front } else { back - 1 };
        let len = sections[idx].len();
        if used + len <= room {
            used += len;
            if take_front {
                front += 1;
            } else {
                back -= 1;
            }
            stuck = (false, false);
        } else if take_front {
            stuck.0 = true;
        } else {
            stuck.1 = true;
        }
        take_front = !take_front;
    }
    let elided = back - front;
    let mut out = head;
    for s in &sections[..front] {
        out.push_str(s);
    }
    if elided > 0 {
        out.push_str(&elision_note(elided));
    }
    for s in &sections[back..] {
        out.push_str(s);
    }
    out
}

/// The diagram in a collapsed section, or the note that replaces one too large.
fn diagram_section(diagram: &str) -> String {
    if !diagram_fits(diagram) {
        return format!(
            "> [!NOTE]\n> The diagram of this plan ({} characters, {} edges) is left out to \
             keep this comment readable; draw it with `ivstack plan --out plan.json` and \
             `ivstack graph --plan plan.json`.\n\n",
            thousands(diagram.len()),
            thousands(diagram.matches("-->").count())
        );
    }
    // The diagram escapes every backtick of a name, so a plain fence cannot close early;
    // the fence logic of the diffs keeps that true whatever the diagram holds.
    let fence = "`".repeat(longest_backtick_run(diagram).max(2) + 1);
    format!(
        "<details><summary>Diagram of the changes</summary>\n\n{fence}mermaid\n{}\n{fence}\n\n</details>\n\n",
        diagram.trim_end()
    )
}

fn elision_note(elided: usize) -> String {
    format!(
        "> [!NOTE]\n> **{elided} resource change{} elided** here to keep this comment under \
         {} characters. The full plan is in the JSON report \
         (`ivstack plan --output json`) and in the saved plan (`ivstack plan --out FILE`).\n\n",
        if elided == 1 { " is" } else { "s are" },
        thousands(MARKDOWN_LIMIT)
    )
}

/// `60000` → `60,000`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

fn header(plan: &Plan) -> String {
    let s = plan.summary();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "### ivstack {}: <code>{}</code>\n",
        if plan.destroy { "destroy plan" } else { "plan" },
        escape(&plan.stack)
    );
    let account = plan
        .account
        .as_deref()
        .map(|a| format!(", account <code>{}</code>", escape(a)))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "Region <code>{}</code>{account}.\n",
        escape(&plan.region)
    );
    if !plan.changes.iter().any(|c| c.action != Action::NoOp) {
        let _ = writeln!(
            out,
            "**No changes.** The live account matches the stack file ({} unchanged).",
            s.unchanged
        );
        return out;
    }
    let _ = writeln!(out, "**Plan: {}.**\n", s.line());
    // The Import column only when something is imported: older plans render as before.
    let (head, rule, cell) = if s.import > 0 {
        ("| Import ", "|---:", format!("| {} ", s.import))
    } else {
        ("", "", String::new())
    };
    let _ = writeln!(
        out,
        "{head}| Create | Update | Replace | Delete | Refused (protected) | Unchanged |"
    );
    let _ = writeln!(out, "{rule}|---:|---:|---:|---:|---:|---:|");
    let _ = writeln!(
        out,
        "{cell}| {} | {} | {} | {} | {} | {} |\n",
        s.create, s.update, s.replace, s.delete, s.refused, s.unchanged
    );
    out
}

fn section(c: &ResourceChange, resolver: &Resolver) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<details><summary><code>{}</code> <b>{}</b> (<code>{}</code>) {}</summary>",
        escape(marker(c.action)),
        escape(&address(c)),
        escape(&c.name),
        escape(verb(c)),
    );
    if c.physical_id.is_some() || c.reason.is_some() {
        out.push('\n');
    }
    if let Some(pid) = &c.physical_id {
        let _ = writeln!(out, "Physical id: <code>{}</code><br>", escape(pid));
    }
    if let Some(reason) = &c.reason {
        let _ = writeln!(out, "Reason: {}<br>", escape(reason));
    }
    // What a document change grants, before any diff.
    for g in grant_changes(resolver, c) {
        grant_table(&mut out, &g);
    }
    let shown: Vec<ShownField<'_>> = c.fields.iter().map(ShownField::new).collect();
    let scalars = scalar_fields(c.action, &shown);
    if !scalars.is_empty() {
        fenced(&mut out, &scalars);
    }
    // Each multi-line value (the IAM document) gets its own diff block, line by line.
    for f in shown.iter().filter(|f| f.is_multiline()) {
        let forced = if f.forces_replacement {
            " (forces replacement)"
        } else {
            ""
        };
        let _ = writeln!(out, "\n<code>{}</code>{forced}:", escape(f.path));
        fenced(&mut out, &multiline(f));
    }
    out.push_str("\n</details>\n\n");
    out
}

/// Grants added and removed, one table row each.
fn grant_table(out: &mut String, g: &GrantChanges) {
    let _ = writeln!(
        out,
        "\nGrant changes in <code>{}</code>:\n",
        escape(&g.path)
    );
    out.push_str("| | Effect | Action | Access level | Resource | Condition |\n");
    out.push_str("|---|---|---|---|---|---|\n");
    for (sign, rows) in [("+ adds", &g.added), ("− removes", &g.removed)] {
        for r in rows {
            let via = r
                .via
                .as_deref()
                .map(|v| format!(" (via <code>{}</code>)", escape(v)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "| {sign} | {} | <code>{}</code>{via} | {} | {} | {} |",
                r.effect.as_str(),
                escape(&r.action),
                escape(r.access_label()),
                escape(&r.resource.label()),
                escape(&r.conditions_label()),
            );
        }
    }
}

/// A `diff` block whose fence is longer than any backtick run inside, so no value can
/// close it early.
fn fenced(out: &mut String, body: &str) {
    let fence = "`".repeat(longest_backtick_run(body).max(2) + 1);
    let _ = write!(out, "\n{fence}diff\n{body}{fence}\n");
}

/// The single-line field changes of a resource, `-` old and `+` new.
fn scalar_fields(action: Action, fields: &[ShownField<'_>]) -> String {
    let mut out = String::new();
    for f in fields.iter().filter(|f| !f.is_multiline()) {
        let forced = if f.forces_replacement {
            "  # forces replacement"
        } else {
            ""
        };
        if let Some(b) = &f.before
            && action != Action::Create
        {
            let _ = writeln!(out, "- {}: {}", f.path, show_value(b));
        }
        if let Some(a) = &f.after {
            let _ = writeln!(out, "+ {}: {}{forced}", f.path, show_value(a));
        } else if !forced.is_empty() {
            let _ = writeln!(out, "# {}{forced}", f.path);
        }
    }
    out
}

/// A multi-line value as diff lines: all added, all removed, or a unified diff.
fn multiline(f: &ShownField<'_>) -> String {
    let lines: Vec<DiffLine> = match (&f.before, &f.after) {
        (None, Some(_)) => f
            .after_text()
            .lines()
            .map(|l| DiffLine::Added(l.to_string()))
            .collect(),
        (Some(_), None) => f
            .before_text()
            .lines()
            .map(|l| DiffLine::Removed(l.to_string()))
            .collect(),
        _ => line_diff(
            &super::text::with_newline(f.before_text()),
            &super::text::with_newline(&f.after_text()),
        ),
    };
    let mut out = String::new();
    for l in lines {
        let _ = match l {
            DiffLine::Hunk(h) => writeln!(out, "{h}"),
            DiffLine::Same(s) => writeln!(out, " {s}"),
            DiffLine::Removed(s) => writeln!(out, "-{s}"),
            DiffLine::Added(s) => writeln!(out, "+{s}"),
        };
    }
    out
}

fn longest_backtick_run(s: &str) -> usize {
    let (mut best, mut run) = (0, 0);
    for ch in s.chars() {
        if ch == '`' {
            run += 1;
            best = best.max(run);
        } else {
            run = 0;
        }
    }
    best
}

/// Escape text for HTML and Markdown inline contexts (inside `<summary>`, `<code>`, table
/// cells): entities render as the same characters but are not interpreted.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '`' | '*' | '_' | '[' | ']' | '\\' | '|' | '~' | '#' | '@' | '!' | '$' => {
                let _ = write!(out, "&#{};", ch as u32);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_neutralises_markdown_and_html() {
        let e = escape("<script>*x* @team #12 `a|b`");
        assert_eq!(
            e,
            "&lt;script&gt;&#42;x&#42; &#64;team &#35;12 &#96;a&#124;b&#96;"
        );
        assert_eq!(escape("live-events-main"), "live-events-main");
    }

    #[test]
    fn one_oversized_resource_is_elided_too() {
        use crate::kinds::Kind;
        use crate::plan::{FieldChange, ResourceChange};
        let big: String = (0..10_000).map(|i| format!("line {i}\n")).collect();
        let change = |id: &str, doc: &str| ResourceChange {
            kind: Kind::Policy,
            id: id.into(),
            name: id.into(),
            action: Action::Create,
            physical_id: None,
            reason: None,
            fields: vec![FieldChange {
                path: "document".into(),
                before: None,
                after: Some(serde_json::Value::String(doc.into())),
                forces_replacement: false,
                after_unknown: false,
            }],
            desired: None,
            observed: None,
        };
        let plan = Plan {
            format_version: crate::plan::FORMAT_VERSION.into(),
            stack: "s".into(),
            region: "us-west-2".into(),
            account: None,
            destroy: false,
            changes: vec![change("small", "a\nb\n"), change("huge", &big)],
            observed: Vec::new(),
        };
        let md = markdown(&plan);
        assert!(md.len() < MARKDOWN_LIMIT, "{}", md.len());
        assert!(md.contains("policy.small"));
        assert!(!md.contains("policy.huge"));
        assert!(md.contains("**1 resource change is elided**"));
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(60_000), "60,000");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn fence_outgrows_backticks_in_values() {
        assert_eq!(longest_backtick_run("a ```` b ` c"), 4);
    }
}
