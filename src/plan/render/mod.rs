//! Renderings of a plan: text for people, JSON for machines, Markdown for pull requests.
//!
//! Rendering never computes: it only reads a [`super::Plan`]. The three renderings share
//! the helpers here, so a value looks the same everywhere: strings are shown JSON-quoted,
//! placeholders read `(known after apply: <section>.<id>.<attribute>)`, multi-line strings
//! (IAM documents) are diffed line by line, and anything that looks like a secret is
//! redacted in every format.

mod json;
mod markdown;
mod text;

pub use json::{json, json_string};
pub use markdown::{
    DIAGRAM_LIMIT, MARKDOWN_LIMIT, MERMAID_MAX_EDGES, diagram_fits, markdown, markdown_with_diagram,
};
pub use text::text;

use serde_json::Value;
use similar::{ChangeTag, TextDiff};

use super::{Action, FieldChange, ResourceChange};
use crate::kinds::refs::{Reference, placeholders_in};

/// What is shown in place of a redacted value, in every rendering.
pub const REDACTED: &str = "(sensitive value)";

/// Lines of context around each changed line of a multi-line value.
const CONTEXT_LINES: usize = 3;

/// Field names (the last path segment, or a tag key) whose values are never shown.
const SENSITIVE_NAMES: &[&str] = &[
    "token",
    "secret",
    "password",
    "passwd",
    "private_key",
    "privatekey",
    "credential",
    "access_key",
    "accesskey",
    "api_key",
    "apikey",
    "stream_key",
    "streamkey",
];

/// Whether a field path names something secret, by its last segment: `tags.api-token`,
/// `participant_token`, `secret_access_key`, ...
pub fn is_sensitive_path(path: &str) -> bool {
    let last = path.rsplit('.').next().unwrap_or(path).to_ascii_lowercase();
    let norm = last.replace('-', "_");
    SENSITIVE_NAMES
        .iter()
        .any(|n| norm.contains(n) || norm.replace('_', "").contains(n))
}

/// Whether a string value looks like a secret whatever its field: a JWT (IVS participant
/// tokens are JWTs), a PEM private key, or an AWS access key id.
pub fn looks_secret(s: &str) -> bool {
    if s.contains("PRIVATE KEY-----") {
        return true;
    }
    s.split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .any(|word| is_jwt(word) || is_access_key_id(word))
}

fn is_jwt(word: &str) -> bool {
    let parts: Vec<&str> = word.split('.').collect();
    parts.len() == 3
        && word.starts_with("eyJ")
        && parts.iter().all(|p| {
            p.len() >= 4
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

fn is_access_key_id(word: &str) -> bool {
    word.len() == 20
        && (word.starts_with("AKIA") || word.starts_with("ASIA"))
        && word
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// Whether a value (at any depth) holds a secret-looking string.
fn value_looks_secret(v: &Value) -> bool {
    match v {
        Value::String(s) => looks_secret(s),
        Value::Array(items) => items.iter().any(value_looks_secret),
        Value::Object(map) => map.values().any(value_looks_secret),
        _ => false,
    }
}

/// A field change as every rendering shows it: values redacted when the field is
/// sensitive by name or either value looks like a secret.
#[derive(Debug, Clone)]
pub(crate) struct ShownField<'a> {
    pub path: &'a str,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub forces_replacement: bool,
    pub after_unknown: bool,
    pub redacted: bool,
}

impl<'a> ShownField<'a> {
    pub fn new(f: &'a FieldChange) -> Self {
        let redacted = is_sensitive_path(&f.path)
            || f.before.as_ref().is_some_and(value_looks_secret)
            || f.after.as_ref().is_some_and(value_looks_secret);
        let hide = |v: &Option<Value>| {
            v.as_ref().map(|v| {
                if redacted {
                    Value::String(REDACTED.to_string())
                } else {
                    v.clone()
                }
            })
        };
        ShownField {
            path: &f.path,
            before: hide(&f.before),
            after: hide(&f.after),
            forces_replacement: f.forces_replacement,
            after_unknown: f.after_unknown,
            redacted,
        }
    }

    /// Whether this field is shown as a line diff (a multi-line string on either side).
    pub fn is_multiline(&self) -> bool {
        !self.redacted
            && [&self.before, &self.after]
                .into_iter()
                .flatten()
                .all(|v| v.is_string())
            && [&self.before, &self.after]
                .into_iter()
                .flatten()
                .any(|v| v.as_str().is_some_and(|s| s.contains('\n')))
    }

    /// The before side as text: the string itself for multi-line values.
    pub fn before_text(&self) -> &str {
        self.before.as_ref().and_then(Value::as_str).unwrap_or("")
    }

    /// The after side as text, with placeholders spelled "known after apply".
    pub fn after_text(&self) -> String {
        show_unknowns(self.after.as_ref().and_then(Value::as_str).unwrap_or(""))
    }
}

/// One value on one line: strings JSON-quoted, containers as compact JSON, placeholders
/// as "(known after apply: stages.main.arn)".
pub(crate) fn show_value(v: &Value) -> String {
    if let Value::String(s) = v
        && let Some(r) = whole_placeholder(s)
    {
        return known_after_apply(&r);
    }
    if v.as_str() == Some(REDACTED) {
        return REDACTED.to_string();
    }
    show_unknowns(&serde_json::to_string(&whole_numbers(v)).unwrap_or_default())
}

/// Whole floats as integers (`11.0` → `11`): the planner compares numbers by value, so
/// showing `12 → 11.0` would suggest a difference of spelling that does not count.
fn whole_numbers(v: &Value) -> Value {
    match v {
        Value::Number(n) if n.is_f64() => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Value::from(f as i64),
            _ => v.clone(),
        },
        Value::Array(items) => Value::Array(items.iter().map(whole_numbers).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), whole_numbers(v)))
                .collect(),
        ),
        _ => v.clone(),
    }
}

/// The reference of a value that is one placeholder and nothing else.
fn whole_placeholder(s: &str) -> Option<Reference> {
    match placeholders_in(s).as_slice() {
        [(range, r)] if range.start == 0 && range.end == s.len() => Some(r.clone()),
        _ => None,
    }
}

/// How every rendering shows a value that waits for a reference.
fn known_after_apply(r: &Reference) -> String {
    format!("(known after apply: {r})")
}

/// Spell every placeholder inside a text as "(known after apply: stages.main.arn)",
/// dropping the JSON quotes around it, so a reader sees which resource it waits for.
pub(crate) fn show_unknowns(text: &str) -> String {
    let found = placeholders_in(text);
    if found.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (range, r) in found {
        let before = &text[last..range.start];
        let after_quote = text[range.end..].starts_with('"');
        // A placeholder that is a whole JSON string loses its quotes: it is not a string yet.
        let unquote = after_quote && before.ends_with('"') && range.start > last;
        out.push_str(if unquote {
            &before[..before.len() - 1]
        } else {
            before
        });
        out.push_str(&known_after_apply(&r));
        last = if unquote { range.end + 1 } else { range.end };
    }
    out.push_str(&text[last..]);
    out
}

/// One line of a line-by-line diff of a multi-line value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DiffLine {
    /// `@@ -a,b +c,d @@`: where the next lines sit in the old and new text.
    Hunk(String),
    Same(String),
    Removed(String),
    Added(String),
}

/// Unified-diff lines (with a few lines of context) between two multi-line texts.
pub(crate) fn line_diff(before: &str, after: &str) -> Vec<DiffLine> {
    let diff = TextDiff::from_lines(before, after);
    let mut out = Vec::new();
    for group in diff.grouped_ops(CONTEXT_LINES) {
        let (Some(first), Some(last)) = (group.first(), group.last()) else {
            continue;
        };
        let old = first.old_range().start..last.old_range().end;
        let new = first.new_range().start..last.new_range().end;
        out.push(DiffLine::Hunk(format!(
            "@@ -{} +{} @@",
            hunk_range(old.start, old.len()),
            hunk_range(new.start, new.len())
        )));
        for op in &group {
            for change in diff.iter_changes(op) {
                let line = change.value().trim_end_matches(['\n', '\r']).to_string();
                out.push(match change.tag() {
                    ChangeTag::Equal => DiffLine::Same(line),
                    ChangeTag::Delete => DiffLine::Removed(line),
                    ChangeTag::Insert => DiffLine::Added(line),
                });
            }
        }
    }
    out
}

/// `start,len` as unified diffs write it (1-based; an empty range names the line before).
fn hunk_range(start: usize, len: usize) -> String {
    match len {
        0 => format!("{start},0"),
        1 => format!("{}", start + 1),
        _ => format!("{},{len}", start + 1),
    }
}

/// Whether the live resource of a change carries the protect tag.
fn protected(c: &ResourceChange) -> bool {
    c.observed.as_ref().is_none_or(|o| o.protected())
}

/// The resource's label: `kind.id`.
pub(crate) fn address(c: &ResourceChange) -> String {
    format!("{}.{}", c.kind, c.id)
}

/// Marker of an action, Terraform-style.
pub(crate) fn marker(a: Action) -> &'static str {
    match a {
        Action::NoOp => " ",
        Action::Create => "+",
        Action::Update => "~",
        Action::Replace => "-/+",
        Action::Delete | Action::RemoveDuplicate => "-",
        Action::DeleteRefused | Action::ReplaceRefused => "!",
        Action::Import => "<=",
    }
}

/// What happens, as the end of "<address> ...".
pub(crate) fn verb(c: &ResourceChange) -> &'static str {
    match c.action {
        Action::NoOp => "is unchanged",
        Action::Create => "will be created",
        Action::Update => "will be updated in place",
        Action::Replace => "must be replaced",
        Action::Delete => "will be deleted",
        Action::RemoveDuplicate => "will be removed as a duplicate",
        Action::DeleteRefused if c.fields.iter().any(|f| f.forces_replacement) => {
            "must be replaced, but that is refused (protected)"
        }
        Action::DeleteRefused if protected(c) => "will NOT be deleted (protected)",
        Action::DeleteRefused => "will NOT be deleted (still in use)",
        Action::ReplaceRefused => "must be replaced, but that is refused (in use)",
        Action::Import if c.fields.is_empty() => "will be imported (adopted as it is)",
        Action::Import => "will be imported (adopted as it is), then updated in place",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknowns_are_spelled_out_without_quotes() {
        assert_eq!(
            show_unknowns(r#""Resource": "${stages.main.arn}","#),
            r#""Resource": (known after apply: stages.main.arn),"#
        );
        assert_eq!(
            show_value(&json!([{"name": "Stage", "value": "${stages.a.id}"}])),
            r#"[{"name":"Stage","value":(known after apply: stages.a.id)}]"#
        );
        assert_eq!(
            show_value(&json!("${stages.a.arn}")),
            "(known after apply: stages.a.arn)"
        );
        // IAM policy variables are not placeholders.
        assert_eq!(
            show_value(&json!("arn:aws:s3:::b/${aws:username}")),
            r#""arn:aws:s3:::b/${aws:username}""#
        );
        assert_eq!(
            show_unknowns(r#"["${stages.a.arn}","${stages.b.arn}"]"#),
            "[(known after apply: stages.a.arn),(known after apply: stages.b.arn)]"
        );
        assert_eq!(show_value(&json!("plain")), r#""plain""#);
        assert_eq!(show_value(&json!(11.0)), "11");
        assert_eq!(show_value(&json!([80.0, 2.5])), "[80,2.5]");
    }

    #[test]
    fn secrets_are_recognised() {
        assert!(is_sensitive_path("tags.api-token"));
        assert!(is_sensitive_path("secret_access_key"));
        assert!(is_sensitive_path("tags.DB_Password"));
        assert!(!is_sensitive_path("tags.team"));
        assert!(!is_sensitive_path("recording.storage_configuration_arn"));
        assert!(looks_secret(
            "Bearer eyJhbGciOiJFUzM4NCJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
        ));
        assert!(looks_secret("AKIAIOSFODNN7EXAMPLE"));
        assert!(looks_secret("-----BEGIN PRIVATE KEY-----\nabc"));
        assert!(!looks_secret(
            "arn:aws:ivs:us-west-2:123456789012:stage/AbCdEf"
        ));
        assert!(!looks_secret("live-events-main"));
    }

    #[test]
    fn redaction_hides_both_sides() {
        let f = FieldChange {
            path: "tags.note".into(),
            before: Some(json!("x")),
            after: Some(json!("AKIAIOSFODNN7EXAMPLE")),
            forces_replacement: false,
            after_unknown: false,
        };
        let s = ShownField::new(&f);
        assert!(s.redacted);
        assert_eq!(s.before, Some(json!(REDACTED)));
        assert_eq!(s.after, Some(json!(REDACTED)));
    }

    #[test]
    fn line_diff_has_hunks_and_context() {
        let old = "a\nb\nc\nd\ne\nf\ng\nh\n";
        let new = "a\nb\nc\nd\nE\nf\ng\nh\n";
        let lines = line_diff(old, new);
        assert_eq!(
            lines,
            vec![
                DiffLine::Hunk("@@ -2,7 +2,7 @@".into()),
                DiffLine::Same("b".into()),
                DiffLine::Same("c".into()),
                DiffLine::Same("d".into()),
                DiffLine::Removed("e".into()),
                DiffLine::Added("E".into()),
                DiffLine::Same("f".into()),
                DiffLine::Same("g".into()),
                DiffLine::Same("h".into()),
            ]
        );
        let created = line_diff("", "x\ny\n");
        assert_eq!(created[0], DiffLine::Hunk("@@ -0,0 +1,2 @@".into()));
        assert_eq!(created[1], DiffLine::Added("x".into()));
    }
}
