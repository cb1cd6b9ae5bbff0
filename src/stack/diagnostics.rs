//! Findings about stack files, and how they are shown: compiler-style text (codespan-reporting,
//! `file:line:col`, the source line and a caret, colour only on a terminal) and JSON.
//!
//! Every finding carries the field path (`stages.main.recording.media_types[0]`) so that a
//! person, an editor and a CI annotation can all find the spot. Both renderings take their
//! lines and columns from one [`LineIndex`] per file, so they always agree.

use std::fmt;
use std::io::IsTerminal;
use std::ops::Range;
use std::sync::Arc;

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label, Severity as CsSeverity};
use codespan_reporting::files::{Error as FilesError, Files};
use codespan_reporting::term::{self, Chars, Config, termcolor};
use serde::Serialize;
use serde_json::json;

use super::position::LineIndex;

/// A region of a source file. `start`/`end` are byte offsets; `line`/`col` are 1-based, the
/// column counted in characters (what an editor shows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub line: usize,
    pub col: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable machine-readable code, e.g. `unknown-field`.
    pub code: &'static str,
    /// The headline, written for the person at the terminal.
    pub message: String,
    /// Display name of the file (as given on the command line).
    pub file: String,
    /// Where; `None` for findings about a file as a whole (cannot read it, empty).
    pub span: Option<Span>,
    /// Field path, e.g. `alarms.hot.period_seconds`.
    pub path: Option<String>,
    /// Short text under the caret.
    pub label: Option<String>,
    /// How to fix it.
    pub help: Option<String>,
    /// Other places that matter (e.g. the first occurrence of a duplicate key).
    pub related: Vec<(Span, String)>,
    /// The source at `span` is a secret (a private key pasted into the file): say where
    /// it is, never show the lines.
    #[serde(skip)]
    pub hide_source: bool,
}

impl Diagnostic {
    pub fn error(code: &'static str, file: &str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            file: file.to_string(),
            span: None,
            path: None,
            label: None,
            help: None,
            related: Vec::new(),
            hide_source: false,
        }
    }

    pub fn warning(code: &'static str, file: &str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, file, message)
        }
    }

    pub fn at(mut self, span: Option<Span>) -> Self {
        self.span = span;
        self
    }

    pub fn path(mut self, path: impl Into<String>) -> Self {
        let p = path.into();
        self.path = if p.is_empty() { None } else { Some(p) };
        self
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn related(mut self, span: Span, message: impl Into<String>) -> Self {
        self.related.push((span, message.into()));
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// A set of findings over one or more source files, with the sources needed to show them.
#[derive(Debug, Clone, Default)]
pub struct Diagnostics {
    sources: Vec<(String, Arc<str>)>,
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn new() -> Self {
        Self::default()
    }

    /// Register a file's text so findings in it can show source lines.
    pub fn add_source(&mut self, name: &str, source: Arc<str>) {
        if !self.sources.iter().any(|(n, _)| n == name) {
            self.sources.push((name.to_string(), source));
        }
    }

    pub fn push(&mut self, d: Diagnostic) {
        self.items.push(d);
    }

    pub fn extend(&mut self, other: Diagnostics) {
        for (n, s) in other.sources {
            self.add_source(&n, s);
        }
        self.items.extend(other.items);
    }

    pub fn items(&self) -> &[Diagnostic] {
        &self.items
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }

    pub fn error_count(&self) -> usize {
        self.items.iter().filter(|d| d.is_error()).count()
    }

    pub fn warning_count(&self) -> usize {
        self.items.len() - self.error_count()
    }

    /// Order findings by file, then position, so output is stable and reads top to bottom.
    pub fn sort(&mut self) {
        self.items.sort_by(|a, b| {
            (&a.file, a.span.map(|s| s.start), a.severity, &a.message).cmp(&(
                &b.file,
                b.span.map(|s| s.start),
                b.severity,
                &b.message,
            ))
        });
        self.items.dedup();
    }

    /// Render every finding compiler-style, with ANSI colour when `color` is true.
    pub fn render(&self, color: bool) -> String {
        let files = Sources::new(&self.sources);
        let config = Config {
            chars: Chars::ascii(),
            ..Config::default()
        };
        let mut buffer = if color {
            termcolor::Buffer::ansi()
        } else {
            termcolor::Buffer::no_color()
        };
        for d in &self.items {
            let file_id = self.sources.iter().position(|(n, _)| *n == d.file);
            let cs = if d.hide_source {
                hidden_source(d, file_id.and_then(|id| files.get(id).ok()))
            } else {
                to_codespan(d, file_id)
            };
            if term::emit_to_write_style(&mut buffer, &config, &files, &cs).is_err() {
                // A span outside the file would be our bug; still show the message.
                let _ = std::io::Write::write_all(
                    &mut buffer,
                    format!("{}: {}\n", d.severity.as_str(), d.message).as_bytes(),
                );
            }
        }
        String::from_utf8_lossy(buffer.as_slice()).into_owned()
    }

    /// A one-line summary such as `2 errors, 1 warning`.
    pub fn summary(&self) -> String {
        let e = self.error_count();
        let w = self.warning_count();
        let plural = |n: usize, s: &str| format!("{n} {s}{}", if n == 1 { "" } else { "s" });
        match (e, w) {
            (0, 0) => "no findings".to_string(),
            (e, 0) => plural(e, "error"),
            (0, w) => plural(w, "warning"),
            (e, w) => format!("{}, {}", plural(e, "error"), plural(w, "warning")),
        }
    }

    /// Findings as JSON values (one object per finding).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Array(self.items.iter().map(|d| self.item_json(d)).collect())
    }

    fn item_json(&self, d: &Diagnostic) -> serde_json::Value {
        let source = self
            .sources
            .iter()
            .find(|(n, _)| *n == d.file)
            .map(|(_, s)| (s.clone(), LineIndex::new(s)));
        // The same computation as the text rendering's; the span's own line and column
        // only when the source is unknown.
        let line_col = |byte: usize, span: &Span| match &source {
            Some((src, index)) => index.line_col(src, byte),
            None => (span.line, span.col),
        };
        let mut v = json!({
            "severity": d.severity,
            "code": d.code,
            "message": d.message,
            "file": d.file,
        });
        if let Some(s) = &d.span {
            let (line, col) = line_col(s.start, s);
            v["line"] = json!(line);
            v["column"] = json!(col);
            if source.is_some() {
                let (el, ec) = line_col(s.end.max(s.start), s);
                v["end_line"] = json!(el);
                v["end_column"] = json!(ec);
            }
        }
        if let Some(p) = &d.path {
            v["path"] = json!(p);
        }
        if let Some(l) = &d.label {
            v["label"] = json!(l);
        }
        if let Some(h) = &d.help {
            v["help"] = json!(h);
        }
        if !d.related.is_empty() {
            v["related"] = d
                .related
                .iter()
                .map(|(s, m)| {
                    let (line, col) = line_col(s.start, s);
                    json!({"line": line, "column": col, "message": m})
                })
                .collect();
        }
        v
    }

    /// Print to standard error, in colour when it is a terminal and `NO_COLOR` is unset.
    pub fn eprint(&self) {
        // Nowhere to report a failure to write to standard error.
        let text = self.render(color_for_stderr());
        let _ = std::io::Write::write_all(&mut std::io::stderr(), text.as_bytes());
    }
}

/// Whether to colour output on standard error: only on a terminal, and never when
/// `NO_COLOR` is set to a non-empty value (https://no-color.org).
pub fn color_for_stderr() -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    !no_color && std::io::stderr().is_terminal()
}

/// Same rule for standard output.
pub fn color_for_stdout() -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    !no_color && std::io::stdout().is_terminal()
}

/// The registered sources as codespan sees them, with lines and columns from the same
/// [`LineIndex`] as the JSON rendering (codespan's own files know only LF line breaks).
struct Sources<'a> {
    files: Vec<(&'a str, &'a str, LineIndex)>,
}

impl<'a> Sources<'a> {
    fn new(sources: &'a [(String, Arc<str>)]) -> Self {
        Sources {
            files: sources
                .iter()
                .map(|(n, s)| (n.as_str(), &**s, LineIndex::new(s)))
                .collect(),
        }
    }

    fn get(&self, id: usize) -> Result<&(&'a str, &'a str, LineIndex), FilesError> {
        self.files.get(id).ok_or(FilesError::FileMissing)
    }
}

impl<'a> Files<'a> for Sources<'a> {
    type FileId = usize;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: usize) -> Result<&'a str, FilesError> {
        Ok(self.get(id)?.0)
    }

    fn source(&'a self, id: usize) -> Result<&'a str, FilesError> {
        Ok(self.get(id)?.1)
    }

    fn line_index(&'a self, id: usize, byte_index: usize) -> Result<usize, FilesError> {
        Ok(self.get(id)?.2.line_of(byte_index))
    }

    fn column_number(
        &'a self,
        id: usize,
        _line_index: usize,
        byte_index: usize,
    ) -> Result<usize, FilesError> {
        let (_, src, index) = self.get(id)?;
        Ok(index.line_col(src, byte_index).1)
    }

    fn line_range(&'a self, id: usize, line_index: usize) -> Result<Range<usize>, FilesError> {
        let (_, _, index) = self.get(id)?;
        index
            .line_range(line_index)
            .ok_or(FilesError::LineTooLarge {
                given: line_index,
                max: index.line_count().saturating_sub(1),
            })
    }
}

fn to_codespan(d: &Diagnostic, file_id: Option<usize>) -> CsDiagnostic<usize> {
    let severity = match d.severity {
        Severity::Error => CsSeverity::Error,
        Severity::Warning => CsSeverity::Warning,
    };
    let mut cs = CsDiagnostic::new(severity).with_message(&d.message);
    if let (Some(id), Some(span)) = (file_id, d.span) {
        let mut labels = vec![
            Label::primary(id, span.start..span.end)
                .with_message(d.label.clone().unwrap_or_default()),
        ];
        for (s, m) in &d.related {
            labels.push(Label::secondary(id, s.start..s.end).with_message(m));
        }
        cs = cs.with_labels(labels);
    }
    let mut notes = Vec::new();
    if d.span.is_none() || file_id.is_none() {
        notes.push(format!("file: {}", d.file));
    }
    if let Some(p) = &d.path {
        notes.push(format!("field: {p}"));
    }
    if let Some(h) = &d.help {
        notes.push(format!("help: {h}"));
    }
    cs.with_notes(notes)
}

/// A finding whose source lines must not be shown: the position in a note instead of
/// the lines under a caret.
fn hidden_source(d: &Diagnostic, file: Option<&(&str, &str, LineIndex)>) -> CsDiagnostic<usize> {
    let bare = Diagnostic {
        span: None,
        related: Vec::new(),
        ..d.clone()
    };
    let mut cs = to_codespan(&bare, None);
    if let (Some(span), Some((_, src, index))) = (d.span, file) {
        let (line, col) = index.line_col(src, span.start);
        cs.notes.insert(
            0,
            format!(
                "at {}:{line}:{col} (the source is not shown: it holds a secret)",
                d.file
            ),
        );
        cs.notes.retain(|n| !n.starts_with("file: "));
    }
    cs
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.render(false).trim_end())
    }
}

impl std::error::Error for Diagnostics {}

impl FromIterator<Diagnostic> for Diagnostics {
    fn from_iter<T: IntoIterator<Item = Diagnostic>>(iter: T) -> Self {
        Diagnostics {
            sources: Vec::new(),
            items: iter.into_iter().collect(),
        }
    }
}
