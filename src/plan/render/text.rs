//! The text rendering, for people at a terminal: Terraform-plan style, one block per
//! changed resource, field-level diffs, IAM documents diffed line by line.

use std::fmt::Write as _;

use super::{DiffLine, ShownField, address, line_diff, marker, show_value, verb};
use crate::plan::grants::{GrantRow, Resolver, grant_changes};
use crate::plan::{Action, Plan, ResourceChange};

/// Plain ANSI styles; used only when the caller asks for colour (the CLI decides from
/// the terminal, `NO_COLOR` and `--no-color`).
#[derive(Clone, Copy)]
struct Style {
    on: bool,
}

const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";
const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const CYAN: &str = "\x1b[36m";
const DIM: &str = "\x1b[2m";

impl Style {
    fn paint(self, code: &str, s: &str) -> String {
        if self.on && !s.is_empty() {
            format!("{code}{s}{RESET}")
        } else {
            s.to_string()
        }
    }

    fn action(self, a: Action) -> &'static str {
        match a {
            Action::Create | Action::Import => GREEN,
            Action::Update => YELLOW,
            Action::Replace => YELLOW,
            Action::Delete | Action::RemoveDuplicate => RED,
            Action::DeleteRefused | Action::ReplaceRefused => BOLD,
            Action::NoOp => "",
        }
    }

    fn sign(self, sign: char) -> &'static str {
        match sign {
            '+' => GREEN,
            '-' => RED,
            '~' => YELLOW,
            _ => "",
        }
    }
}

/// The plan as text. With `color`, actions and diff lines carry ANSI colours.
pub fn text(plan: &Plan, color: bool) -> String {
    let st = Style { on: color };
    let summary = plan.summary();
    let shown: Vec<&ResourceChange> = plan
        .changes
        .iter()
        .filter(|c| c.action != Action::NoOp)
        .collect();
    if shown.is_empty() {
        return if plan.destroy {
            format!(
                "No changes. Nothing in the live account belongs to stack {}.\n",
                plan.stack
            )
        } else {
            "No changes. The live account matches the stack file.\n".to_string()
        };
    }

    let mut out = String::new();
    let account = plan
        .account
        .as_deref()
        .map(|a| format!(", account {a}"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "{} stack {} (region {}{account})",
        if plan.destroy {
            "ivstack destroy plan for"
        } else {
            "ivstack plan for"
        },
        st.paint(BOLD, &plan.stack),
        plan.region
    );
    out.push('\n');
    legend(&mut out, &shown, st);

    let resolver = Resolver::of(plan);
    for c in &shown {
        out.push('\n');
        block(&mut out, c, &resolver, st);
    }

    out.push('\n');
    let mut line = format!("{} {}.", st.paint(BOLD, "Plan:"), summary.line());
    if summary.unchanged > 0 {
        let _ = write!(line, " {} unchanged (not shown).", summary.unchanged);
    }
    out.push_str(&line);
    out.push('\n');
    out
}

/// The symbols used by this plan, explained once at the top.
fn legend(out: &mut String, shown: &[&ResourceChange], st: Style) {
    out.push_str("Resource actions are indicated with the following symbols:\n");
    let order = [
        (
            Action::Import,
            "import (adopt the existing resource: ownership tags only)",
        ),
        (Action::Create, "create"),
        (Action::Update, "update in place"),
        (Action::Replace, "delete, then create (replace)"),
        (Action::Delete, "delete"),
        (Action::RemoveDuplicate, "delete (duplicate)"),
        (
            Action::DeleteRefused,
            "refused, left as is (protected, or still in use)",
        ),
        (
            Action::ReplaceRefused,
            "refused, left as is (cannot be replaced safely)",
        ),
    ];
    let mut printed_minus = false;
    for (action, words) in order {
        if !shown.iter().any(|c| c.action == action) {
            continue;
        }
        // Delete and duplicate removal share `-`: explain it once.
        if marker(action) == "-" {
            if printed_minus {
                continue;
            }
            printed_minus = true;
        }
        let words = if marker(action) == "-" {
            "delete"
        } else {
            words
        };
        let _ = writeln!(
            out,
            "  {} {words}",
            st.paint(st.action(action), &format!("{:>3}", marker(action)))
        );
    }
}

fn block(out: &mut String, c: &ResourceChange, resolver: &Resolver, st: Style) {
    let label = format!("{} ({})", address(c), c.name);
    let _ = writeln!(
        out,
        "  {}",
        st.paint(DIM, &format!("# {label} {}", verb(c)))
    );
    if let Some(reason) = &c.reason {
        let _ = writeln!(out, "  {}", st.paint(DIM, &format!("# ({reason})")));
    }
    let _ = writeln!(
        out,
        "{} {}",
        st.paint(st.action(c.action), &format!("{:>3}", marker(c.action))),
        st.paint(BOLD, &label)
    );
    if let Some(pid) = &c.physical_id {
        let _ = writeln!(out, "      physical id: {pid}");
    }
    // What a document change grants, before its line diff.
    for g in grant_changes(resolver, c) {
        let _ = writeln!(out, "      grants ({}):", g.path);
        for (sign, rows) in [('+', &g.added), ('-', &g.removed)] {
            for r in rows {
                let line = format!("{sign} {}", grant_line(r));
                let _ = writeln!(out, "        {}", st.paint(st.sign(sign), &line));
            }
        }
    }
    for f in &c.fields {
        field(out, &ShownField::new(f), c.action, st);
    }
}

/// `Allow ivs:DeleteStage [Write] on stages.main (arn:…) when <conditions>`.
fn grant_line(r: &GrantRow) -> String {
    let via = r
        .via
        .as_deref()
        .map(|v| format!(" (via {v})"))
        .unwrap_or_default();
    let when = if r.conditions.is_empty() {
        String::new()
    } else {
        format!(" when {}", r.conditions_label())
    };
    format!(
        "{} {}{via} [{}] on {}{when}",
        r.effect.as_str(),
        r.action,
        r.access_label(),
        r.resource.label()
    )
}

fn field(out: &mut String, f: &ShownField<'_>, action: Action, st: Style) {
    let sign = match (&f.before, &f.after) {
        _ if action == Action::Create => '+',
        (None, Some(_)) => '+',
        (Some(_), None) => '-',
        _ => '~',
    };
    let forced = if f.forces_replacement {
        format!(" {}", st.paint(RED, "# forces replacement"))
    } else {
        String::new()
    };
    let signed = st.paint(st.sign(sign), &sign.to_string());

    if f.is_multiline() {
        let _ = writeln!(out, "      {signed} {}:{forced}", f.path);
        multiline(out, f, st);
        return;
    }
    let value = match (&f.before, &f.after) {
        (Some(b), Some(a)) => format!("{} → {}", show_value(b), show_value(a)),
        (None, Some(a)) => show_value(a),
        (Some(b), None) => show_value(b),
        (None, None) => "null".to_string(),
    };
    let _ = writeln!(out, "      {signed} {}: {value}{forced}", f.path);
}

/// A multi-line string value: every line on a create or removal, otherwise a unified diff
/// with a few lines of context.
fn multiline(out: &mut String, f: &ShownField<'_>, st: Style) {
    const PAD: &str = "          ";
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
            &with_newline(f.before_text()),
            &with_newline(&f.after_text()),
        ),
    };
    for l in lines {
        let _ = match l {
            DiffLine::Hunk(h) => writeln!(out, "{PAD}{}", st.paint(CYAN, &h)),
            DiffLine::Same(s) => writeln!(out, "{PAD} {s}"),
            DiffLine::Removed(s) => writeln!(out, "{PAD}{}", st.paint(RED, &format!("-{s}"))),
            DiffLine::Added(s) => writeln!(out, "{PAD}{}", st.paint(GREEN, &format!("+{s}"))),
        };
    }
}

/// Texts end with a newline before diffing, so a last line that changed is not reported
/// as a "no newline at end" difference.
pub(super) fn with_newline(s: &str) -> String {
    if s.ends_with('\n') {
        s.to_string()
    } else {
        format!("{s}\n")
    }
}
