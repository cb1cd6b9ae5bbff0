//! `ivstack lint [PATH...] [--format text|json|sarif] [--fail-on error|warning|note]`:
//! least-privilege and operational findings about stack files, offline. Exit 1 when a
//! finding at or above `--fail-on` remains unsuppressed, or when a file does not validate
//! (its findings are shown as `validate` shows them, on standard error); 0 otherwise.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use serde_json::json;

use super::output::with_stdout_closed;
use super::validate::stack_files;
use crate::audit::lint::{self, FileReport};
use crate::audit::sarif;
use crate::stack::diagnostics::{Diagnostics, Severity, color_for_stdout};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LintFormat {
    /// Compiler-style findings with source lines, then the suppressed ones.
    Text,
    /// One JSON document: files, findings (suppressed ones marked), summary.
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Note,
}

impl FailOn {
    fn severity(self) -> Severity {
        match self {
            FailOn::Error => Severity::Error,
            FailOn::Warning => Severity::Warning,
            FailOn::Note => Severity::Note,
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct LintArgs {
    /// Stack files or directories (all *.yaml / *.yml within, sorted). Default: ./stacks
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = LintFormat::Text)]
    pub format: LintFormat,
    /// Exit 1 when an unsuppressed finding of this severity or a higher one remains.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
}

/// The environment variable that overrides where SARIF's `helpUri` points (the README's
/// rule table of the ivstack you run).
pub const RULES_URL_ENV: &str = "IVSTACK_RULES_URL";

/// Where the README's rule table is, when known: [`RULES_URL_ENV`], or the package's
/// repository when the build knows it.
pub fn rules_url() -> Option<String> {
    if let Some(url) = std::env::var(RULES_URL_ENV).ok().filter(|u| !u.is_empty()) {
        return Some(url);
    }
    let repo = env!("CARGO_PKG_REPOSITORY");
    (!repo.is_empty()).then(|| format!("{repo}/blob/main/README.md#lint-rules"))
}

/// Run `lint`, printing to standard output (findings of invalid files to standard error).
pub fn run(args: &LintArgs, no_color: bool) -> anyhow::Result<i32> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut err = std::io::stderr();
    let color = !no_color && color_for_stdout();
    run_to(args, &mut out, &mut err, color).map_err(with_stdout_closed)
}

/// Run `lint`, writing to `out` and `err` (tests use buffers).
pub fn run_to(
    args: &LintArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
    color: bool,
) -> anyhow::Result<i32> {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from("stacks")]
    } else {
        args.paths.clone()
    };
    let files = stack_files(&paths)?;
    let mut reports = Vec::new();
    let mut invalid: Vec<(PathBuf, Diagnostics)> = Vec::new();
    for f in &files {
        match crate::stack::load_file(f) {
            Ok(loaded) => reports.push(lint::lint(&loaded)),
            Err(diags) => invalid.push((f.clone(), diags)),
        }
    }
    for (_, diags) in &invalid {
        // As `validate` shows them; the output format is for the lint findings.
        write!(err, "{}", diags.render(color))?;
    }
    let fail_on = args.fail_on.severity();
    let failed = reports.iter().any(|r| lint::fails(&r.findings, fail_on));
    match args.format {
        LintFormat::Text => text(out, &reports, &invalid, color)?,
        LintFormat::Json => {
            let doc = json_report(&reports, &invalid, args.fail_on, failed);
            writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
        }
        LintFormat::Sarif => {
            let cwd = std::env::current_dir()?;
            let root = sarif::repository_root(&cwd);
            let url = rules_url();
            let doc = sarif::log(&sarif::Input {
                root: &root,
                cwd: &cwd,
                reports: &reports,
                invalid: &invalid,
                rules_url: url.as_deref(),
            });
            writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
        }
    }
    Ok(if failed || !invalid.is_empty() { 1 } else { 0 })
}

#[derive(Default)]
struct Counts {
    errors: usize,
    warnings: usize,
    notes: usize,
    suppressed: usize,
}

fn counts(reports: &[FileReport]) -> Counts {
    let mut c = Counts::default();
    for f in reports.iter().flat_map(|r| &r.findings) {
        if f.suppressed.is_some() {
            c.suppressed += 1;
            continue;
        }
        match f.severity() {
            Severity::Error => c.errors += 1,
            Severity::Warning => c.warnings += 1,
            Severity::Note => c.notes += 1,
        }
    }
    c
}

fn text(
    out: &mut dyn Write,
    reports: &[FileReport],
    invalid: &[(PathBuf, Diagnostics)],
    color: bool,
) -> anyhow::Result<()> {
    for r in reports {
        write!(out, "{}", r.diagnostics().render_with_codes(color))?;
    }
    let suppressed: Vec<(&FileReport, &lint::Finding)> = reports
        .iter()
        .flat_map(|r| r.findings.iter().map(move |f| (r, f)))
        .filter(|(_, f)| f.suppressed.is_some())
        .collect();
    if !suppressed.is_empty() {
        writeln!(out, "suppressed:")?;
        for (r, f) in suppressed {
            let at = match f.diagnostic.span {
                Some(s) => format!("{}:{}:{}", r.name, s.line, s.col),
                None => r.name.clone(),
            };
            let reason = f.suppressed.as_ref().map_or("", |s| s.reason.as_str());
            writeln!(
                out,
                "  {at}: {}[{}] {}\n    reason: {reason}",
                f.severity().as_str(),
                f.rule.id,
                f.diagnostic.message
            )?;
        }
        writeln!(out)?;
    }
    let c = counts(reports);
    let plural = |n: usize, s: &str| format!("{n} {s}{}", if n == 1 { "" } else { "s" });
    let mut parts: Vec<String> = [
        (c.errors, "error"),
        (c.warnings, "warning"),
        (c.notes, "note"),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, s)| plural(n, s))
    .collect();
    if parts.is_empty() {
        parts.push("no findings".into());
    }
    if c.suppressed > 0 {
        parts.push(format!("{} suppressed", c.suppressed));
    }
    let files = reports.len() + invalid.len();
    let mut line = format!("{} linted: {}", plural(files, "file"), parts.join(", "));
    if !invalid.is_empty() {
        line.push_str(&format!(
            "; {} invalid (see `ivstack validate`)",
            plural(invalid.len(), "file")
        ));
    }
    writeln!(out, "{line}")?;
    Ok(())
}

fn json_report(
    reports: &[FileReport],
    invalid: &[(PathBuf, Diagnostics)],
    fail_on: FailOn,
    failed: bool,
) -> serde_json::Value {
    let mut files = Vec::new();
    let mut findings = Vec::new();
    for r in reports {
        files.push(json!({"path": r.name, "valid": true, "findings": r.findings.len()}));
        findings.extend(lint::findings_json(r));
    }
    let mut invalid_findings = Vec::new();
    for (p, diags) in invalid {
        files.push(json!({"path": display(p), "valid": false, "findings": 0}));
        if let serde_json::Value::Array(items) = diags.to_json() {
            invalid_findings.extend(items);
        }
    }
    let c = counts(reports);
    json!({
        "fail_on": fail_on.severity().as_str(),
        "failed": failed || !invalid.is_empty(),
        "summary": {
            "errors": c.errors,
            "warnings": c.warnings,
            "notes": c.notes,
            "suppressed": c.suppressed,
            "invalid_files": invalid.len(),
        },
        "files": files,
        "findings": findings,
        "invalid": invalid_findings,
    })
}

fn display(p: &Path) -> String {
    p.display().to_string()
}
