//! Structural checking: walks the spanned YAML tree against the generated JSON Schema and
//! reports every mismatch (unknown fields, types, enums, lengths, patterns, ranges, list
//! sizes) at the exact node, in words written for a person rather than a validator dump.
//!
//! It also produces the JSON value that serde turns into the typed model, and records the
//! span of every node by field path. Walking the schema (rather than hand-coding the shape
//! again) keeps the schema, the editor experience and the checks in step.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use regex::Regex;
use serde_json::{Map, Value};

use super::diagnostics::{Diagnostic, Span};
use super::yaml::{self, Node, NodeKind, Style};

/// Spans of one node: the key that introduced it (for map values) and the value itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeSpans {
    pub key: Option<Span>,
    pub value: Span,
}

/// Field path → spans, e.g. `stages.main.recording.media_types[0]`.
///
/// Backed by the parsed YAML tree itself and resolved on lookup, rather than a map with a
/// string per node: lookups are rare (findings, plan annotations) while files can hold
/// hundreds of thousands of nodes.
#[derive(Debug, Clone, Default)]
pub struct SpanMap {
    root: Option<Arc<Node>>,
}

impl SpanMap {
    pub fn new(root: Node) -> Self {
        SpanMap {
            root: Some(Arc::new(root)),
        }
    }

    /// The spans recorded for a field path, if the field is in the file.
    pub fn get(&self, path: &str) -> Option<NodeSpans> {
        let (found, complete) = self.walk(path);
        if complete { found } else { None }
    }

    /// The value's span, or the nearest ancestor's when the field is absent (a default).
    pub fn value_span(&self, path: &str) -> Option<Span> {
        self.walk(path).0.map(|s| s.value)
    }

    /// The key's span if the field is a map entry, else the value's; falls back to the
    /// nearest ancestor. This is where "this whole thing is wrong" findings point.
    pub fn key_span(&self, path: &str) -> Option<Span> {
        self.walk(path).0.map(|s| s.key.unwrap_or(s.value))
    }

    /// Follow `path` as far as it goes: the deepest node reached, and whether it is the
    /// node the path names.
    fn walk(&self, path: &str) -> (Option<NodeSpans>, bool) {
        let Some(root) = &self.root else {
            return (None, false);
        };
        let mut node: &Node = root;
        let mut spans = NodeSpans {
            key: None,
            value: root.span,
        };
        for seg in split_segments(path) {
            let index = seg
                .strip_prefix('[')
                .and_then(|s| s.strip_suffix(']'))
                .and_then(|s| s.parse::<usize>().ok());
            let next = match (&node.kind, index) {
                (NodeKind::Seq(items), Some(i)) => items.get(i).map(|n| (None, n)),
                (NodeKind::Map(entries), None) => {
                    let key = unquote(&seg);
                    entries
                        .iter()
                        .find(|e| e.key == key)
                        .map(|e| (Some(e.key_span), &e.value))
                }
                _ => None,
            };
            match next {
                Some((key, n)) => {
                    node = n;
                    spans = NodeSpans { key, value: n.span };
                }
                None => return (Some(spans), false),
            }
        }
        (Some(spans), true)
    }
}

/// Append a map key to a field path, quoting keys that are not plain identifiers.
pub fn push_key(path: &mut String, key: &str) {
    // Quote only what would make the path ambiguous.
    let plain = !key.is_empty()
        && !key.chars().any(|c| {
            matches!(c, '.' | '[' | ']' | '"' | '\\') || c.is_whitespace() || c.is_control()
        });
    if plain {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key);
    } else {
        path.push_str(&format!("[{}]", serde_json::Value::String(key.to_string())));
    }
}

/// A field path from parts, e.g. `field_path(&["stages", "main", "name"])`.
pub fn field_path(parts: &[&str]) -> String {
    let mut p = String::new();
    for part in parts {
        push_key(&mut p, part);
    }
    p
}

/// The resource kind of a top-level section, in words.
pub fn kind_of_section(section: &str) -> Option<&'static str> {
    match section {
        "stages" => Some("stage"),
        "policies" => Some("policy"),
        "alarms" => Some("alarm"),
        "budgets" => Some("budget"),
        _ => None,
    }
}

/// Split a path into its top-level key, the logical id (if in a resource section) and the
/// rest. Works on the strings built by [`push_key`].
fn split_path(path: &str) -> (String, Option<String>, String) {
    let parts = split_segments(path);
    let first = parts.first().cloned().unwrap_or_default();
    if kind_of_section(&first).is_some() && parts.len() >= 2 {
        let rest = join_segments(&parts[2..]);
        (first, Some(unquote(&parts[1])), rest)
    } else {
        (first, None, path.to_string())
    }
}

fn split_segments(path: &str) -> Vec<String> {
    // Segments are `key`, `.key` or `[...]`; a `[...]` holds a JSON string or an index.
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '.' => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            '[' => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                let mut seg = String::from("[");
                let mut in_str = false;
                let mut esc = false;
                for c in chars.by_ref() {
                    seg.push(c);
                    if in_str {
                        if esc {
                            esc = false;
                        } else if c == '\\' {
                            esc = true;
                        } else if c == '"' {
                            in_str = false;
                        }
                    } else if c == '"' {
                        in_str = true;
                    } else if c == ']' {
                        break;
                    }
                }
                out.push(seg);
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn join_segments(segs: &[String]) -> String {
    let mut s = String::new();
    for seg in segs {
        if seg.starts_with('[') || s.is_empty() {
            s.push_str(seg);
        } else {
            s.push('.');
            s.push_str(seg);
        }
    }
    s
}

fn unquote(seg: &str) -> String {
    if let Some(inner) = seg.strip_prefix('[').and_then(|s| s.strip_suffix(']'))
        && let Ok(Value::String(s)) = serde_json::from_str::<Value>(inner)
    {
        return s;
    }
    seg.to_string()
}

/// A field in words: "`name` of stage `main`", "stage `main`", "`region`".
pub fn describe(path: &str) -> String {
    if path.is_empty() {
        return "the stack file".to_string();
    }
    let (section, id, rest) = split_path(path);
    match (kind_of_section(&section), id) {
        (Some(kind), Some(id)) if rest.is_empty() => format!("{kind} `{id}`"),
        (Some(kind), Some(id)) => format!("`{rest}` of {kind} `{id}`"),
        _ => format!("`{rest}`"),
    }
}

/// The owner of a field in words, for "unknown field `x` in ...".
fn describe_container(path: &str) -> String {
    if path.is_empty() {
        "the top level of the stack file".to_string()
    } else {
        describe(path)
    }
}

/// The closest candidate, if it is close enough to be a plausible typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = word.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| {
            let d = strsim::damerau_levenshtein(&lower, &c.to_ascii_lowercase());
            let j = strsim::jaro_winkler(&lower, &c.to_ascii_lowercase());
            (c, d, j)
        })
        .filter(|(c, d, j)| *d <= 2.max(c.len() / 4) || *j >= 0.88 || c.eq_ignore_ascii_case(word))
        .min_by(|a, b| a.1.cmp(&b.1).then(b.2.total_cmp(&a.2)))
        .map(|(c, _, _)| c)
}

fn list_values(values: &[String]) -> String {
    let quoted: Vec<String> = values.iter().map(|v| format!("`{v}`")).collect();
    match quoted.len() {
        0 => String::new(),
        1 => quoted[0].clone(),
        n => format!("{} or {}", quoted[..n - 1].join(", "), quoted[n - 1]),
    }
}

/// Result of checking the whole tree.
pub struct Checked {
    /// The tree as JSON, with invalid parts left out (so partial models can still be built).
    pub value: Value,
    pub diagnostics: Vec<Diagnostic>,
}

/// Check `root` against `schema` (the generated stack-file schema).
pub fn check(file: &str, root: &Node, schema: &Value) -> Checked {
    let mut c = Checker {
        file,
        defs: schema.get("definitions").and_then(Value::as_object),
        regexes: HashMap::new(),
        diags: Vec::new(),
    };
    let mut path = String::new();
    let value = c.node(root, schema, &mut path, None).unwrap_or(Value::Null);
    Checked {
        value,
        diagnostics: c.diags,
    }
}

struct Checker<'a> {
    file: &'a str,
    defs: Option<&'a Map<String, Value>>,
    regexes: HashMap<String, Option<Regex>>,
    diags: Vec<Diagnostic>,
}

impl<'a> Checker<'a> {
    fn resolve(&self, schema: &'a Value) -> &'a Value {
        let mut s = schema;
        // Follow `$ref` chains (bounded: the schema is ours, but stay defensive).
        for _ in 0..8 {
            // draft-07 output wraps a `$ref` that has a description in a one-element allOf.
            if let Some([only]) = s.get("allOf").and_then(Value::as_array).map(Vec::as_slice)
                && s.get("type").is_none()
            {
                s = only;
                continue;
            }
            match s.get("$ref").and_then(Value::as_str) {
                Some(r) => {
                    let name = r.rsplit('/').next().unwrap_or(r);
                    match self.defs.and_then(|d| d.get(name)) {
                        Some(t) => s = t,
                        None => return s,
                    }
                }
                None => return s,
            }
        }
        s
    }

    fn error(
        &mut self,
        code: &'static str,
        span: Span,
        path: &str,
        message: String,
    ) -> &mut Diagnostic {
        self.diags.push(
            Diagnostic::error(code, self.file, message)
                .at(Some(span))
                .path(path),
        );
        let last = self.diags.len() - 1;
        &mut self.diags[last]
    }

    /// Check one node; `None` when it is unusable (an error was reported).
    fn node(
        &mut self,
        node: &Node,
        schema: &'a Value,
        path: &mut String,
        key: Option<Span>,
    ) -> Option<Value> {
        let schema = self.resolve(schema);
        match schema {
            Value::Bool(true) => return Some(node.to_json()),
            Value::Bool(false) => return None,
            _ => {}
        }
        if let Some(branches) = schema
            .get("anyOf")
            .or_else(|| schema.get("oneOf"))
            .and_then(Value::as_array)
        {
            return self.union(node, branches, path, key);
        }
        if schema.get("enum").is_some() || schema.get("const").is_some() {
            let allowed = enum_values(schema).unwrap_or_default();
            return self.enumerated(node, &allowed, path);
        }
        let types: Vec<&str> = match schema.get("type") {
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
            _ => return Some(node.to_json()),
        };
        if node.is_null() && types.contains(&"null") {
            return Some(Value::Null);
        }
        let ty = types
            .iter()
            .copied()
            .find(|t| *t != "null")
            .unwrap_or("null");
        match ty {
            "object" => self.object(node, schema, path, key),
            "array" => self.array(node, schema, path),
            "string" => self.string(node, schema, path),
            "integer" | "number" => self.number(node, schema, path, ty == "integer"),
            "boolean" => self.boolean(node, path),
            _ => Some(node.to_json()),
        }
    }

    fn type_error(&mut self, node: &Node, path: &str, expected: &str) {
        let what = describe(path);
        let (message, label) = if node.is_null() {
            (
                format!("{what} has no value"),
                format!("expected {expected}"),
            )
        } else {
            (
                format!("{what} must be {expected}"),
                format!("found {}", node.describe()),
            )
        };
        let quoted_number = matches!(&node.kind, NodeKind::Scalar { value, style: Style::Quoted }
            if yaml::parse_float(value).is_some() || yaml::parse_bool(value).is_some());
        let d = self.error("type", node.span, path, message);
        d.label = Some(label);
        if quoted_number && expected != "a string" {
            d.help = Some("remove the quotes: quoted values are always strings".into());
        }
    }

    fn object(
        &mut self,
        node: &Node,
        schema: &'a Value,
        path: &mut String,
        key: Option<Span>,
    ) -> Option<Value> {
        let empty = Vec::new();
        let entries = match &node.kind {
            NodeKind::Map(entries) => entries,
            // An empty value where a map is expected means "all defaults".
            _ if node.is_null() => &empty,
            _ => {
                self.type_error(node, path, "a map");
                return None;
            }
        };
        let props = schema.get("properties").and_then(Value::as_object);
        let additional = schema.get("additionalProperties");
        let names_schema = schema.get("propertyNames");
        let mut out = Map::new();
        let mut ok = true;
        for e in entries {
            let saved = path.len();
            push_key(path, &e.key);
            if let Some(ns) = names_schema {
                self.property_name(&e.key, e.key_span, ns, path);
            }
            let prop_schema = props.and_then(|p| p.get(&e.key));
            let result = match (prop_schema, additional) {
                (Some(ps), _) => {
                    // An empty optional field is the same as leaving it out.
                    let required = is_required(schema, &e.key);
                    if e.value.is_null() && !required && !allows_null(self.resolve(ps)) {
                        path.truncate(saved);
                        continue;
                    }
                    self.node(&e.value, ps, path, Some(e.key_span))
                }
                (None, Some(Value::Bool(false))) => {
                    self.unknown_field(e, props, entries, &path[..saved], path);
                    None
                }
                (None, Some(ads)) => self.node(&e.value, ads, path, Some(e.key_span)),
                (None, None) => Some(e.value.to_json()),
            };
            match result {
                Some(v) => {
                    out.insert(e.key.clone(), v);
                }
                None => ok = false,
            }
            path.truncate(saved);
        }
        if let Some(required) = schema.get("required").and_then(Value::as_array) {
            for r in required.iter().filter_map(Value::as_str) {
                if !entries.iter().any(|e| e.key == r) {
                    let span = key.unwrap_or(node.span);
                    // The root has no key: point at the start of the file.
                    let span = if path.is_empty() {
                        Span {
                            start: 0,
                            end: 0,
                            line: 1,
                            col: 1,
                        }
                    } else {
                        span
                    };
                    let what = describe_container(path);
                    let what = if path.is_empty() {
                        "the stack file".to_string()
                    } else {
                        what
                    };
                    let example = example_for(r);
                    let d = Diagnostic::error(
                        "missing-field",
                        self.file,
                        format!("{what} is missing the required field `{r}`"),
                    )
                    .at(Some(span))
                    .path(path.clone())
                    .label(format!("add `{r}` here"))
                    .help(example);
                    self.diags.push(d);
                    ok = false;
                }
            }
        }
        // Partial objects are still returned so that the rest of the file can be checked;
        // serde refuses them later where a required field is missing.
        let _ = ok;
        Some(Value::Object(out))
    }

    fn property_name(&mut self, key: &str, span: Span, schema: &'a Value, path: &str) {
        let Some(pattern) = schema.get("pattern").and_then(Value::as_str) else {
            return;
        };
        let too_long = schema
            .get("maxLength")
            .and_then(Value::as_u64)
            .is_some_and(|m| key.chars().count() as u64 > m);
        if self.matches(pattern, key) && !too_long {
            return;
        }
        let kind = kind_of_section(&split_path(path).0).unwrap_or("resource");
        let help = schema
            .get("patternErrorMessage")
            .and_then(Value::as_str)
            .unwrap_or("use letters, digits, `-` and `_`");
        let d = Diagnostic::error(
            "invalid-id",
            self.file,
            format!("invalid {kind} id `{key}`"),
        )
        .at(Some(span))
        .path(path)
        .label("not a valid logical id")
        .help(help.to_string());
        self.diags.push(d);
    }

    fn unknown_field(
        &mut self,
        e: &yaml::Entry,
        props: Option<&Map<String, Value>>,
        siblings: &[yaml::Entry],
        container: &str,
        path: &str,
    ) {
        let known: Vec<&str> = props
            .map(|p| p.keys().map(String::as_str).collect())
            .unwrap_or_default();
        // Suggest only fields not already present.
        let free: Vec<&str> = known
            .iter()
            .copied()
            .filter(|k| !siblings.iter().any(|s| s.key == *k))
            .collect();
        let suggestion = did_you_mean(&e.key, free.iter().copied());
        let label = match suggestion {
            Some(s) => format!("did you mean `{s}`?"),
            None => "unknown field".to_string(),
        };
        let names: Vec<String> = known.iter().map(|s| s.to_string()).collect();
        let d = Diagnostic::error(
            "unknown-field",
            self.file,
            format!(
                "unknown field `{}` in {}",
                e.key,
                describe_container(container)
            ),
        )
        .at(Some(e.key_span))
        .path(path)
        .label(label)
        .help(format!("the fields here are {}", list_values(&names)));
        self.diags.push(d);
    }

    fn union(
        &mut self,
        node: &Node,
        branches: &'a [Value],
        path: &mut String,
        key: Option<Span>,
    ) -> Option<Value> {
        let resolved: Vec<&'a Value> = branches.iter().map(|b| self.resolve(b)).collect();
        let null_ok = resolved.iter().any(|b| allows_null(b));
        if node.is_null() && null_ok {
            return Some(Value::Null);
        }
        let real: Vec<&'a Value> = resolved
            .into_iter()
            .filter(|b| b.get("type").and_then(Value::as_str) != Some("null"))
            .collect();
        // All branches are single values (documented enum variants): one combined enum.
        if !real.is_empty() && real.iter().all(|b| enum_values(b).is_some()) {
            let all: Vec<String> = real
                .iter()
                .flat_map(|b| enum_values(b).unwrap_or_default())
                .collect();
            return self.enumerated(node, &all, path);
        }
        if real.len() == 1 {
            return self.node(node, real[0], path, key);
        }
        // Pick the branch whose shape matches the node, e.g. a string or a list of strings.
        let want = match &node.kind {
            NodeKind::Map(_) => "object",
            NodeKind::Seq(_) => "array",
            NodeKind::Scalar { .. } => "scalar",
        };
        let pick = real.iter().find(|b| {
            let t = branch_type(b);
            t == want || (want == "scalar" && !matches!(t, "object" | "array"))
        });
        match pick {
            Some(b) => self.node(node, b, path, key),
            None => {
                let kinds: Vec<&str> = real.iter().map(|b| type_words(branch_type(b))).collect();
                self.type_error(node, path, &kinds.join(" or "));
                None
            }
        }
    }

    fn scalar_text<'n>(&mut self, node: &'n Node, path: &str, expected: &str) -> Option<&'n str> {
        match &node.kind {
            NodeKind::Scalar { value, style } if *style == Style::Quoted || !node.is_null() => {
                Some(value.as_str())
            }
            _ => {
                self.type_error(node, path, expected);
                None
            }
        }
    }

    fn enumerated(&mut self, node: &Node, allowed: &[String], path: &str) -> Option<Value> {
        let text = self.scalar_text(node, path, &format!("one of {}", list_values(allowed)))?;
        if allowed.iter().any(|a| a == text) {
            return Some(Value::String(text.to_string()));
        }
        let what = describe(path);
        let suggestion = did_you_mean(text, allowed.iter().map(String::as_str));
        let label = match suggestion {
            Some(s) => format!("did you mean `{s}`?"),
            None => "not an accepted value".to_string(),
        };
        let mut help = format!("expected {}", list_values(allowed));
        if path.ends_with("statistic") {
            help.push_str("; IVS publishes only Average, Maximum and Minimum for its metrics");
        }
        let d = Diagnostic::error(
            "invalid-value",
            self.file,
            format!("unknown value `{text}` for {what}"),
        )
        .at(Some(node.span))
        .path(path)
        .label(label)
        .help(help);
        self.diags.push(d);
        None
    }

    fn string(&mut self, node: &Node, schema: &Value, path: &str) -> Option<Value> {
        let text = self.scalar_text(node, path, "a string")?;
        let len = text.chars().count() as u64;
        // `what` is described only where a finding is reported: most nodes are fine.
        if let Some(min) = schema.get("minLength").and_then(Value::as_u64)
            && len < min
        {
            let msg = if min == 1 {
                let what = describe(path);
                format!("{what} must not be empty")
            } else {
                let what = describe(path);
                format!("{what} is too short: {len} characters, at least {min} required")
            };
            self.error("length", node.span, path, msg);
            return None;
        }
        if let Some(max) = schema.get("maxLength").and_then(Value::as_u64)
            && len > max
        {
            let what = describe(path);
            self.error(
                "length",
                node.span,
                path,
                format!("{what} is too long: {len} characters, at most {max} allowed"),
            );
            return None;
        }
        if let Some(pattern) = schema.get("pattern").and_then(Value::as_str)
            && !self.matches(pattern, text)
        {
            let custom = schema.get("patternErrorMessage").and_then(Value::as_str);
            let what = describe(path);
            let msg = match custom {
                Some(m) => format!("{what} {m}"),
                None => format!("{what} does not have the expected form"),
            };
            let help = match custom {
                Some(_) => None,
                None => Some(format!("it must match the pattern `{pattern}`")),
            };
            let d = self.error("pattern", node.span, path, msg);
            d.label = Some(format!("found `{}`", shorten(text)));
            d.help = help;
            return None;
        }
        Some(Value::String(text.to_string()))
    }

    fn number(&mut self, node: &Node, schema: &Value, path: &str, integer: bool) -> Option<Value> {
        let expected = if integer {
            "a whole number"
        } else {
            "a number"
        };
        let (value, text) = match &node.kind {
            NodeKind::Scalar {
                value,
                style: Style::Plain,
            } if !node.is_null() => {
                let v = yaml::parse_int(value)
                    .map(|i| i as f64)
                    .or_else(|| yaml::parse_float(value));
                match v {
                    Some(v) => (v, value.as_str()),
                    None => {
                        self.type_error(node, path, expected);
                        return None;
                    }
                }
            }
            _ => {
                self.type_error(node, path, expected);
                return None;
            }
        };
        // `what` is described only where a finding is reported: most nodes are fine.
        if !value.is_finite() {
            let what = describe(path);
            self.error(
                "type",
                node.span,
                path,
                format!("{what} must be a finite number"),
            )
            .label = Some(format!("found `{text}`"));
            return None;
        }
        if integer && (value.fract() != 0.0 || yaml::parse_int(text).is_none()) {
            let what = describe(path);
            self.error(
                "type",
                node.span,
                path,
                format!("{what} must be a whole number"),
            )
            .label = Some(format!("found `{text}`"));
            return None;
        }
        let min = schema.get("minimum").and_then(Value::as_f64);
        let max = schema.get("maximum").and_then(Value::as_f64);
        let range = match (min, max) {
            (Some(a), Some(b)) => format!("{} to {}", fmt_num(a), fmt_num(b)),
            (Some(a), None) => format!("at least {}", fmt_num(a)),
            (None, Some(b)) => format!("at most {}", fmt_num(b)),
            (None, None) => String::new(),
        };
        if min.is_some_and(|m| value < m) || max.is_some_and(|m| value > m) {
            let what = describe(path);
            self.error(
                "range",
                node.span,
                path,
                format!("{what} is out of range: it must be {range}"),
            )
            .label = Some(format!("found {text}"));
            return None;
        }
        if integer {
            yaml::parse_int(text).map(Value::from)
        } else {
            match yaml::parse_int(text) {
                Some(i) => Some(Value::from(i)),
                None => serde_json::Number::from_f64(value).map(Value::Number),
            }
        }
    }

    fn boolean(&mut self, node: &Node, path: &str) -> Option<Value> {
        if let NodeKind::Scalar {
            value,
            style: Style::Plain,
        } = &node.kind
        {
            if let Some(b) = yaml::parse_bool(value) {
                return Some(Value::Bool(b));
            }
            if matches!(
                value.to_ascii_lowercase().as_str(),
                "yes" | "no" | "on" | "off" | "y" | "n"
            ) {
                let what = describe(path);
                let d = self.error(
                    "type",
                    node.span,
                    path,
                    format!("{what} must be `true` or `false`"),
                );
                d.label = Some(format!("found the string `{value}`"));
                d.help = Some(
                    "YAML 1.2 reads `yes`/`no`/`on`/`off` as strings; write `true` or `false`"
                        .into(),
                );
                return None;
            }
        }
        self.type_error(node, path, "`true` or `false`");
        None
    }

    fn array(&mut self, node: &Node, schema: &'a Value, path: &mut String) -> Option<Value> {
        let NodeKind::Seq(items) = &node.kind else {
            // A single value where a list is expected is a common slip; say so plainly.
            self.type_error(node, path, "a list");
            if !matches!(node.kind, NodeKind::Map(_)) && !node.is_null() {
                let last = self.diags.len() - 1;
                self.diags[last].help = Some("write a list, e.g. `[value]`".into());
            }
            return None;
        };
        // `what` is described only where a finding is reported: most nodes are fine.
        let n = items.len() as u64;
        if let Some(min) = schema.get("minItems").and_then(Value::as_u64)
            && n < min
        {
            let msg = if min == 1 {
                let what = describe(path);
                format!("{what} must not be empty")
            } else {
                let what = describe(path);
                format!("{what} needs at least {min} entries, found {n}")
            };
            self.error("items", node.span, path, msg);
        }
        if let Some(max) = schema.get("maxItems").and_then(Value::as_u64)
            && n > max
        {
            let what = describe(path);
            let span = items.get(max as usize).map(|i| i.span).unwrap_or(node.span);
            self.error(
                "items",
                span,
                path,
                format!(
                    "{what} has {n} entries, at most {max} {} allowed",
                    if max == 1 { "is" } else { "are" }
                ),
            )
            .label = Some("one too many from here".into());
        }
        let item_schema = schema.get("items");
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            let saved = path.len();
            let _ = write!(path, "[{i}]");
            let v = match item_schema {
                Some(s) => self.node(item, s, path, None),
                None => Some(item.to_json()),
            };
            match v {
                Some(v) => out.push(v),
                None => ok = false,
            }
            path.truncate(saved);
        }
        if ok { Some(Value::Array(out)) } else { None }
    }

    fn matches(&mut self, pattern: &str, text: &str) -> bool {
        if !self.regexes.contains_key(pattern) {
            self.regexes
                .insert(pattern.to_string(), Regex::new(pattern).ok());
        }
        let re = &self.regexes[pattern];
        // A pattern the regex crate cannot compile is our bug; do not blame the user.
        re.as_ref().is_none_or(|r| r.is_match(text))
    }
}

fn shorten(s: &str) -> String {
    if s.chars().count() > 60 {
        let head: String = s.chars().take(57).collect();
        format!("{head}...")
    } else {
        s.to_string()
    }
}

fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

fn enum_values(schema: &Value) -> Option<Vec<String>> {
    if let Some(e) = schema.get("enum").and_then(Value::as_array) {
        return Some(
            e.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
        );
    }
    schema
        .get("const")
        .and_then(Value::as_str)
        .map(|c| vec![c.to_string()])
}

fn allows_null(schema: &Value) -> bool {
    match schema.get("type") {
        Some(Value::String(t)) => t == "null",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "null"),
        _ => schema
            .get("anyOf")
            .and_then(Value::as_array)
            .is_some_and(|bs| {
                bs.iter()
                    .any(|b| b.get("type").and_then(Value::as_str) == Some("null"))
            }),
    }
}

fn is_required(schema: &Value, key: &str) -> bool {
    schema
        .get("required")
        .and_then(Value::as_array)
        .is_some_and(|r| r.iter().any(|v| v == key))
}

fn branch_type(schema: &Value) -> &str {
    match schema.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null"),
        _ if schema.get("properties").is_some() => "object",
        _ => "any",
    }
}

fn type_words(t: &str) -> &'static str {
    match t {
        "object" => "a map",
        "array" => "a list",
        "string" => "a string",
        "integer" => "a whole number",
        "number" => "a number",
        "boolean" => "`true` or `false`",
        _ => "a value",
    }
}

/// A one-line example for a missing required field.
fn example_for(field: &str) -> String {
    match field {
        "stack" => "e.g. `stack: live-events` (lowercase letters, digits and `-`)".into(),
        "region" => "e.g. `region: us-west-2`".into(),
        "metric" => "e.g. `metric: Publishers`".into(),
        "statistic" => "e.g. `statistic: Maximum` (Average, Maximum or Minimum)".into(),
        "comparison" => "e.g. `comparison: \">=\"`".into(),
        "threshold" => "e.g. `threshold: 11`".into(),
        "limit_usd" => "e.g. `limit_usd: 500`".into(),
        "allow" => "e.g. `allow: [ivs:GetStage]`".into(),
        "storage_configuration_arn" => {
            "e.g. `storage_configuration_arn: arn:aws:ivs:us-west-2:123456789012:storage-configuration/AbCd` (or \"\" to disable)".into()
        }
        _ => format!("add `{field}: ...`"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_paths() {
        assert_eq!(describe("stages.main"), "stage `main`");
        assert_eq!(
            describe("stages.main.recording.media_types[0]"),
            "`recording.media_types[0]` of stage `main`"
        );
        assert_eq!(describe("region"), "`region`");
        assert_eq!(describe("tags[\"a.b\"]"), "`tags[\"a.b\"]`");
        assert_eq!(describe("stages[\"x y\"].name"), "`name` of stage `x y`");
    }

    #[test]
    fn suggestions() {
        assert_eq!(
            did_you_mean("nmae", ["name", "tags", "protect"]),
            Some("name")
        );
        assert_eq!(
            did_you_mean("Publisher", ["Publishers", "Subscribers"]),
            Some("Publishers")
        );
        assert_eq!(did_you_mean("zzzzzz", ["name", "tags"]), None);
    }

    #[test]
    fn span_map_resolves_paths_and_falls_back_to_ancestors() {
        let src = "stages:\n  main:\n    tags: {\"a.b\": x}\n    recording:\n      media_types: [AUDIO_ONLY]\n";
        let (root, _) = yaml::parse("t.yaml", src);
        let m = SpanMap::new(root.unwrap());
        let text = |s: Span| &src[s.start..s.end];
        assert_eq!(text(m.key_span("stages.main").unwrap()), "main");
        assert_eq!(
            text(m.get("stages.main.recording.media_types[0]").unwrap().value),
            "AUDIO_ONLY"
        );
        assert_eq!(text(m.get("stages.main.tags[\"a.b\"]").unwrap().value), "x");
        assert!(m.get("stages.main.name").is_none());
        assert_eq!(text(m.key_span("stages.main.name").unwrap()), "main");
        assert_eq!(
            text(m.key_span("stages.main.recording.media_types[3]").unwrap()),
            "media_types"
        );
    }
}
