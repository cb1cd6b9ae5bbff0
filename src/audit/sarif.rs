//! Lint findings as SARIF 2.1.0, the format GitHub code scanning (and most CI security
//! dashboards) read: one run, the rules with their help, one result per finding with its
//! physical location (path relative to the repository root, line and column range), a
//! fingerprint that survives lines moving, and `inSource` suppressions with their reasons.
//! Files that do not validate become tool execution notifications.
//!
//! Columns count Unicode code points (`columnKind`), as every ivstack position does.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::lint::rules::{self, Category, Rule};
use super::lint::{FileReport, Finding};
use crate::stack::position::LineIndex;
use crate::stack::{Diagnostic, Diagnostics, Severity};

/// The official schema's address (`$schema`).
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// The base every artifact URI is relative to.
pub const SRCROOT: &str = "%SRCROOT%";
/// The `partialFingerprints` key: the rule, the file and the field path, hashed.
pub const FINGERPRINT: &str = "ivstackFieldPath/v1";

/// What the SARIF log is made of.
pub struct Input<'a> {
    /// The repository root: artifact URIs are relative to it.
    pub root: &'a Path,
    /// The current directory, to resolve relative file names.
    pub cwd: &'a Path,
    pub reports: &'a [FileReport],
    /// Files that did not load, with validate's findings.
    pub invalid: &'a [(PathBuf, Diagnostics)],
    /// Where the README's rule table is, when known (`helpUri`).
    pub rules_url: Option<&'a str>,
}

/// The SARIF log.
pub fn log(input: &Input<'_>) -> Value {
    let rules: Vec<Value> = rules::ALL
        .iter()
        .map(|r| rule(r, input.rules_url))
        .collect();
    let mut results = Vec::new();
    for report in input.reports {
        let uri = artifact(&report.path, input.root, input.cwd);
        let index = LineIndex::new(&report.source);
        let mut seen: HashMap<String, usize> = HashMap::new();
        for f in &report.findings {
            results.push(result(f, &uri, &report.source, &index, &mut seen));
        }
    }
    let mut notifications = Vec::new();
    for (path, diags) in input.invalid {
        let uri = artifact(path, input.root, input.cwd);
        let json = diags.to_json();
        for (d, j) in diags
            .items()
            .iter()
            .zip(json.as_array().into_iter().flatten())
        {
            notifications.push(notification(d, j, &uri));
        }
    }
    let mut driver = json!({
        "name": "ivstack",
        "semanticVersion": env!("CARGO_PKG_VERSION"),
        "version": env!("CARGO_PKG_VERSION"),
        "rules": rules,
    });
    if let Some(url) = input.rules_url {
        driver["informationUri"] = json!(url);
    }
    json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": driver},
            "columnKind": "unicodeCodePoints",
            "invocations": [{
                "executionSuccessful": input.invalid.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
        }],
    })
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

fn rule(r: &Rule, rules_url: Option<&str>) -> Value {
    // GitHub ranks security findings by `security-severity`.
    let security = r.category == Category::Security;
    let tags: &[&str] = match r.category {
        Category::Security => &["security"],
        Category::Operations => &["reliability"],
        Category::Comments => &["maintainability"],
    };
    let mut properties = json!({"tags": tags, "precision": "high"});
    if security {
        let score = match r.severity {
            Severity::Error => "8.0",
            Severity::Warning => "5.0",
            Severity::Note => "2.0",
        };
        properties["security-severity"] = json!(score);
    }
    let mut v = json!({
        "id": r.id,
        "name": r.name,
        "shortDescription": {"text": r.summary},
        "fullDescription": {"text": format!("{} {}", r.summary, r.why)},
        "help": {
            "text": format!("{}\n\nWhy: {}\n\nFix: {}", r.summary, r.why, r.fix),
            "markdown": format!("{}\n\n**Why:** {}\n\n**Fix:** {}\n\nSuppress with `# ivstack:allow {} <reason>` on the line before the finding.", r.summary, r.why, r.fix, r.id),
        },
        "defaultConfiguration": {"level": level(r.severity)},
        "properties": properties,
    });
    if let Some(url) = rules_url {
        v["helpUri"] = json!(url);
    }
    v
}

fn region(d: &Diagnostic, source: &str, index: &LineIndex) -> Option<Value> {
    let span = d.span?;
    let (sl, sc) = index.line_col(source, span.start);
    let (el, ec) = index.line_col(source, span.end.max(span.start));
    Some(json!({"startLine": sl, "startColumn": sc, "endLine": el, "endColumn": ec}))
}

fn location(uri: &(String, bool), region: Option<Value>) -> Value {
    let mut artifact = json!({"uri": uri.0});
    if uri.1 {
        artifact["uriBaseId"] = json!(SRCROOT);
    }
    let mut physical = json!({"artifactLocation": artifact});
    if let Some(r) = region {
        physical["region"] = r;
    }
    json!({"physicalLocation": physical})
}

fn result(
    f: &Finding,
    uri: &(String, bool),
    source: &str,
    index: &LineIndex,
    seen: &mut HashMap<String, usize>,
) -> Value {
    let d = &f.diagnostic;
    let mut text = d.message.clone();
    if let Some(h) = d.help.as_deref().filter(|h| *h != f.rule.fix) {
        text.push_str(&format!("\n\n{h}"));
    }
    let mut loc = location(uri, region(d, source, index));
    if let Some(path) = &d.path {
        loc["logicalLocations"] = json!([{"fullyQualifiedName": path, "kind": "member"}]);
    }
    // The field path, not the line: findings keep their identity when lines move. The
    // same rule twice on one field is told apart by its order.
    let key = format!(
        "{}\0{}\0{}",
        f.rule.id,
        uri.0,
        d.path.as_deref().unwrap_or("")
    );
    let count = seen.entry(key.clone()).or_default();
    let nth = *count;
    *count += 1;
    let fingerprint = hex::encode(Sha256::digest(format!("{key}\0{nth}").as_bytes()));
    let rule_index = rules::ALL
        .iter()
        .position(|r| r.id == f.rule.id)
        .unwrap_or(0);
    let mut v = json!({
        "ruleId": f.rule.id,
        "ruleIndex": rule_index,
        "level": level(f.rule.severity),
        "message": {"text": text},
        "locations": [loc],
        "partialFingerprints": {FINGERPRINT: fingerprint},
    });
    if let Some(s) = &f.suppressed {
        v["suppressions"] = json!([{
            "kind": "inSource",
            "status": "accepted",
            "justification": s.reason,
        }]);
    }
    v
}

fn notification(d: &Diagnostic, j: &Value, uri: &(String, bool)) -> Value {
    let region = d.span.map(|_| {
        let mut r = json!({"startLine": j["line"], "startColumn": j["column"]});
        if j.get("end_line").is_some() {
            r["endLine"] = j["end_line"].clone();
            r["endColumn"] = j["end_column"].clone();
        }
        r
    });
    let mut text = d.message.clone();
    if let Some(h) = &d.help {
        text.push_str(&format!("\n\nhelp: {h}"));
    }
    json!({
        "level": level(d.severity),
        "message": {"text": text},
        "descriptor": {"id": d.code},
        "locations": [location(uri, region)],
    })
}

/// The artifact URI of a file: relative to `root` (with [`SRCROOT`] as its base, the
/// flag) when the file is inside it, else an absolute `file://` URI.
pub fn artifact(path: &Path, root: &Path, cwd: &Path) -> (String, bool) {
    let abs = normalize(&cwd.join(path));
    let root = normalize(&cwd.join(root));
    match abs.strip_prefix(&root) {
        Ok(rel) => (encode(rel), true),
        Err(_) => (format!("file://{}", encode(&abs)), false),
    }
}

/// `a/./b/../c` → `a/c`, without touching the file system (symlinks stay as written).
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            c => out.push(c.as_os_str()),
        }
    }
    out
}

/// A path as a URI path: `/` separators, each segment percent-encoded.
fn encode(p: &Path) -> String {
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
    // RFC 3986 unreserved characters stay as they are.
    const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    let mut parts = Vec::new();
    let mut absolute = false;
    for c in p.components() {
        match c {
            Component::RootDir => absolute = true,
            Component::Normal(s) => {
                parts.push(utf8_percent_encode(&s.to_string_lossy(), SEGMENT).to_string())
            }
            _ => {}
        }
    }
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else {
        joined
    }
}

/// The repository root for `cwd`: the nearest directory (itself included) holding
/// `.git` (a directory, or a file in a worktree), else `cwd` itself.
pub fn repository_root(cwd: &Path) -> PathBuf {
    cwd.ancestors()
        .find(|d| d.join(".git").exists())
        .unwrap_or(cwd)
        .to_path_buf()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn artifact_uris_are_relative_to_the_root_and_encoded() {
        let root = Path::new("/repo");
        assert_eq!(
            artifact(Path::new("stacks/demo.yaml"), root, Path::new("/repo")),
            ("stacks/demo.yaml".into(), true)
        );
        assert_eq!(
            artifact(
                Path::new("../stacks/a b.yaml"),
                root,
                Path::new("/repo/sub")
            ),
            ("stacks/a%20b.yaml".into(), true)
        );
        assert_eq!(
            artifact(Path::new("/elsewhere/x.yaml"), root, Path::new("/repo")),
            ("file:///elsewhere/x.yaml".into(), false)
        );
        assert_eq!(
            artifact(Path::new("./ü.yaml"), root, Path::new("/repo")),
            ("%C3%BC.yaml".into(), true)
        );
    }
}
