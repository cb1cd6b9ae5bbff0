//! `explain` for the terminal: one indented section per policy, stage, alarm and budget.
//! Grants read as "Allow <action> (<level>) on <resources> when <conditions>", which stays
//! legible however long the ARNs are.

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

fn stack(out: &mut String, s: &StackExplanation) {
    let account = s
        .account
        .as_deref()
        .map(|a| format!(", account {a}"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "Stack `{}` ({}) in {}{account}",
        s.stack, s.file, s.region
    );
    if s.policies.is_empty()
        && s.stages.is_empty()
        && s.others.is_empty()
        && s.region_alarms.is_empty()
        && s.budgets.is_empty()
    {
        let _ = writeln!(out, "  (declares no resources)");
    }
    if !s.policies.is_empty() {
        let _ = writeln!(out, "\nPolicies");
    }
    for p in &s.policies {
        let raw = if p.raw { ", raw IAM document" } else { "" };
        let _ = writeln!(out, "  {} (IAM name {}{raw})", p.id, p.name);
        if let Some(d) = &p.description {
            let _ = writeln!(out, "    {d}");
        }
        for r in &p.rows {
            row(out, r);
        }
        if p.rows.is_empty() {
            let _ = writeln!(out, "    grants nothing");
        }
        for risk in &p.risks {
            let _ = writeln!(out, "    ! {risk}");
        }
    }
    if !s.stages.is_empty() {
        let _ = writeln!(out, "\nStages");
    }
    for st in &s.stages {
        let protected = if st.protected { ", protected" } else { "" };
        let _ = writeln!(out, "  {} (name {}{protected})", st.id, st.name);
        if st.granted.is_empty() {
            let _ = writeln!(out, "    granted: by no policy of this stack");
        }
        for g in &st.granted {
            let _ = writeln!(out, "    granted: {g}");
        }
        let _ = writeln!(out, "    recording: {}", st.recording);
        if st.alarms.is_empty() {
            let _ = writeln!(out, "    alarms: none");
        }
        for a in &st.alarms {
            alarm(out, a, "    alarm");
        }
        for i in &st.ingest {
            let _ = writeln!(out, "    ingest: {i}");
        }
    }
    if !s.others.is_empty() {
        let _ = writeln!(out, "\nOther IVS resources");
        for r in &s.others {
            let _ = writeln!(
                out,
                "  {} {} (name {}): {}",
                r.kind.noun(),
                r.id,
                r.name,
                r.summary
            );
        }
    }
    if !s.region_alarms.is_empty() {
        let _ = writeln!(out, "\nRegion-wide alarms");
        for a in &s.region_alarms {
            alarm(out, a, "  alarm");
        }
    }
    if !s.budgets.is_empty() {
        let _ = writeln!(out, "\nBudgets");
    }
    for b in &s.budgets {
        let _ = writeln!(out, "  {} (name {}): {}", b.id, b.name, b.limit);
        let _ = writeln!(out, "    covers: {}", b.covers);
        if b.thresholds.is_empty() {
            let _ = writeln!(out, "    notifies: never (no thresholds)");
        }
        for t in &b.thresholds {
            let _ = writeln!(out, "    notifies when {t}");
        }
        let who = if b.subscribers.is_empty() {
            "nobody".to_string()
        } else {
            b.subscribers.join(", ")
        };
        let _ = writeln!(out, "    tells: {who}");
    }
}

fn row(out: &mut String, r: &Row) {
    let _ = writeln!(out, "    {} {} ({})", r.effect.as_str(), r.action, r.access);
    match &r.nothing {
        Some(why) => {
            let _ = writeln!(out, "      grants nothing: {why}");
        }
        None => {
            for (i, res) in r.resources.iter().enumerate() {
                let lead = if i == 0 { "on" } else { "  " };
                let _ = writeln!(out, "      {lead} {res}");
            }
        }
    }
    for (i, c) in r.conditions.iter().enumerate() {
        let lead = if i == 0 { "when" } else { " and" };
        let _ = writeln!(out, "      {lead} {c}");
    }
}

fn alarm(out: &mut String, a: &AlarmView, lead: &str) {
    let who = if a.notifies.is_empty() {
        "notifies nobody".to_string()
    } else {
        format!("notifies {}", a.notifies.join(", "))
    };
    let _ = writeln!(out, "{lead} {}: {}; {who}", a.id, a.condition);
}
