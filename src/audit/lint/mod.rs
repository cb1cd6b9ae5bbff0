//! `ivstack lint`: least-privilege and operational findings about a stack file, each from a
//! rule with a stable id ([`rules`]), positioned at the field it is about, and suppressible
//! with a reasoned comment ([`suppress`]).
//!
//! Lint runs on files that load (validation errors are `validate`'s, reported as it reports
//! them). The checks ([`policy`], [`ops`]) produce [`Hit`]s with field paths; [`lint`]
//! positions them from the file's spans, applies the suppressions and adds the findings
//! about the suppressions themselves. Rendering (text, JSON, SARIF) lives elsewhere.

mod ops;
pub mod policy;
pub mod rules;
pub mod suppress;

use serde_json::{Value, json};

use crate::stack::diagnostics::{Diagnostic, Diagnostics, Severity};
use crate::stack::load::LoadedStack;
use rules::Rule;
use suppress::Suppressions;

/// What a check found, before positioning.
#[derive(Debug, Clone)]
pub struct Hit {
    pub rule: &'static Rule,
    /// Field path of what it is about.
    pub path: String,
    /// Point at the field's key (the whole thing is wrong) rather than its value.
    pub at_key: bool,
    pub message: String,
    pub label: Option<String>,
    /// Finding-specific help; the rule's fix otherwise.
    pub help: Option<String>,
}

impl Hit {
    fn new(rule: &'static Rule, path: String, at_key: bool, message: String) -> Hit {
        Hit {
            rule,
            path,
            at_key,
            message,
            label: None,
            help: None,
        }
    }

    pub fn key(rule: &'static Rule, path: String, message: String) -> Hit {
        Hit::new(rule, path, true, message)
    }

    pub fn value(rule: &'static Rule, path: String, message: String) -> Hit {
        Hit::new(rule, path, false, message)
    }

    pub fn label(mut self, label: impl Into<String>) -> Hit {
        self.label = Some(label.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Hit {
        self.help = Some(help.into());
        self
    }
}

/// A finding that a suppression comment accepted.
#[derive(Debug, Clone, PartialEq)]
pub struct Suppressed {
    pub reason: String,
    /// 1-based line of the comment.
    pub line: usize,
}

/// One finding: its rule, the positioned diagnostic (code = rule id, severity = the
/// rule's), and whether it is suppressed.
#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: &'static Rule,
    pub diagnostic: Diagnostic,
    pub suppressed: Option<Suppressed>,
}

impl Finding {
    pub fn line(&self) -> Option<usize> {
        self.diagnostic.span.map(|s| s.line)
    }

    pub fn severity(&self) -> Severity {
        self.rule.severity
    }
}

/// The findings about one file, in file order.
#[derive(Debug, Clone)]
pub struct FileReport {
    /// The file's display name (as given).
    pub name: String,
    pub path: std::path::PathBuf,
    pub source: std::sync::Arc<str>,
    pub findings: Vec<Finding>,
}

impl FileReport {
    /// The unsuppressed findings as renderable diagnostics (with the file's source).
    pub fn diagnostics(&self) -> Diagnostics {
        let mut ds: Diagnostics = self
            .findings
            .iter()
            .filter(|f| f.suppressed.is_none())
            .map(|f| f.diagnostic.clone())
            .collect();
        ds.add_source(&self.name, self.source.clone());
        ds
    }
}

/// Lint one loaded stack file.
pub fn lint(stack: &LoadedStack) -> FileReport {
    let mut hits = Vec::new();
    for (id, policy) in &stack.model.policies {
        policy::check(&mut hits, &stack.model, id, policy);
    }
    ops::check(&mut hits, &stack.model);
    let mut findings: Vec<Finding> = hits.into_iter().map(|h| position(stack, h)).collect();
    let allows = Suppressions::parse(&stack.source);
    let mut used = vec![Vec::<&str>::new(); allows.allows.len()];
    for f in &mut findings {
        let Some(line) = f.line() else { continue };
        for i in allows.for_finding(f.rule, line) {
            let allow = &allows.allows[i];
            if let Some(reason) = &allow.reason {
                used[i].push(f.rule.id);
                f.suppressed.get_or_insert_with(|| Suppressed {
                    reason: reason.clone(),
                    line: allow.line,
                });
            }
        }
    }
    for (allow, used) in allows.allows.iter().zip(&used) {
        findings.extend(about_suppression(stack, allow, used));
    }
    findings.sort_by(|a, b| {
        let key = |f: &Finding| (f.diagnostic.span.map(|s| s.start), f.rule.id);
        key(a).cmp(&key(b))
    });
    FileReport {
        name: stack.name.clone(),
        path: stack.path.clone(),
        source: stack.source.clone(),
        findings,
    }
}

fn position(stack: &LoadedStack, hit: Hit) -> Finding {
    let span = if hit.at_key {
        stack.spans.key_span(&hit.path)
    } else {
        stack.spans.value_span(&hit.path)
    };
    let mut d = Diagnostic {
        severity: hit.rule.severity,
        ..Diagnostic::error(hit.rule.id, &stack.name, hit.message)
    }
    .at(span)
    .path(hit.path)
    .help(hit.help.unwrap_or_else(|| hit.rule.fix.to_string()));
    d.label = hit.label;
    Finding {
        rule: hit.rule,
        diagnostic: d,
        suppressed: None,
    }
}

/// IVS017 for a suppression without a reason or rule, IVS018 for each rule it names that
/// it suppressed nothing of.
fn about_suppression(stack: &LoadedStack, allow: &suppress::Allow, used: &[&str]) -> Vec<Finding> {
    let finding = |rule: &'static Rule, message: String, label: &str| {
        let d = Diagnostic {
            severity: rule.severity,
            ..Diagnostic::error(rule.id, &stack.name, message)
        }
        .at(Some(allow.span))
        .label(label)
        .help(rule.fix);
        Finding {
            rule,
            diagnostic: d,
            suppressed: None,
        }
    };
    let mut out = Vec::new();
    if !allow.unknown.is_empty() {
        out.push(finding(
            rules::SUPPRESSION_WITHOUT_REASON,
            format!(
                "the suppression on line {} names {}, which {} no rule",
                allow.line,
                allow.unknown.join(", "),
                if allow.unknown.len() == 1 {
                    "is"
                } else {
                    "are"
                }
            ),
            "unknown rule id",
        ));
    }
    if allow.rules.is_empty() && allow.unknown.is_empty() {
        out.push(finding(
            rules::SUPPRESSION_WITHOUT_REASON,
            format!("the suppression on line {} names no rule", allow.line),
            "expected `# ivstack:allow IVS0xx <reason>`",
        ));
    } else if allow.reason.is_none() && !allow.rules.is_empty() {
        let ids: Vec<&str> = allow.rules.iter().map(|r| r.id).collect();
        out.push(finding(
            rules::SUPPRESSION_WITHOUT_REASON,
            format!(
                "the suppression of {} on line {} gives no reason, so it suppresses nothing",
                ids.join(", "),
                allow.line
            ),
            "add the reason after the rule id",
        ));
    }
    if allow.effective() {
        for r in allow.rules.iter().filter(|r| !used.contains(&r.id)) {
            out.push(finding(
                rules::UNUSED_SUPPRESSION,
                format!(
                    "the suppression of {} on line {} suppresses nothing",
                    r.id, allow.line
                ),
                "no such finding on the next line",
            ));
        }
    }
    out
}

/// The threshold of `--fail-on`.
pub fn fails(findings: &[Finding], fail_on: Severity) -> bool {
    findings
        .iter()
        .any(|f| f.suppressed.is_none() && f.severity() <= fail_on)
}

/// The findings as JSON (the `lint --format json` items), in order: validate's fields
/// (severity, code, message, file, line, column, end_line, end_column, path, label, help)
/// plus the rule's id and name and the suppression.
pub fn findings_json(report: &FileReport) -> Vec<Value> {
    let mut all: Diagnostics = report
        .findings
        .iter()
        .map(|f| f.diagnostic.clone())
        .collect();
    all.add_source(&report.name, report.source.clone());
    let items = match all.to_json() {
        Value::Array(items) => items,
        _ => Vec::new(),
    };
    items
        .into_iter()
        .zip(&report.findings)
        .map(|(mut v, f)| {
            v["rule"] = json!(f.rule.id);
            v["name"] = json!(f.rule.name);
            v["suppressed"] = match &f.suppressed {
                Some(s) => json!({"reason": s.reason, "line": s.line}),
                None => Value::Null,
            };
            v
        })
        .collect()
}
