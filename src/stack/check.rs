//! Structural checking: walks the spanned YAML tree against the generated JSON Schema and
//! reports every mismatch (unknown fields, types, enums, lengths, patterns, ranges, list
//! sizes) at the exact node, in words written for a person rather than a validator dump.
//!
//! It also produces the JSON value that serde turns into the typed model, and records the
//! span of every node by field path. Walking the schema (rather than hand-coding the shape
//! again) keeps the schema, the editor experience and the checks in step.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::{Arc, LazyLock};

use regex_lite::Regex;
use serde::Deserialize;
use serde::de::value::BorrowedStrDeserializer;
use serde::de::{DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::diagnostics::{Diagnostic, Span};
use super::schema::stack_schema;
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
            value: root.span(),
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
                        .map(|e| (Some(e.key_span()), &e.value))
                }
                _ => None,
            };
            match next {
                Some((key, n)) => {
                    node = n;
                    spans = NodeSpans {
                        key,
                        value: n.span(),
                    };
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

/// The resource kind of a top-level section, in words (from the kind registry).
pub fn kind_of_section(section: &str) -> Option<&'static str> {
    crate::kinds::Kind::from_section(section).map(crate::kinds::Kind::noun)
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

// ---------------------------------------------------------------------------------------
// The schema, compiled once into an indexed form. The checker and the model deserializer
// both walk it: no JSON lookups, `$ref` chains or regex compilation per node.

/// Index of a compiled schema node.
pub type SchemaId = usize;

/// The "anything goes" schema (`{}`, `true`): values are typed by YAML core-schema rules.
const ANY: SchemaId = 0;

/// A JSON Schema compiled for checking YAML trees and deserializing them.
#[derive(Debug)]
pub struct Schema {
    nodes: Vec<SchemaNode>,
    root: SchemaId,
}

#[derive(Debug)]
struct SchemaNode {
    kind: SchemaKind,
    /// Whether the schema accepts null (`type: null`, a `null` in its type list, or a
    /// `null` branch of its `anyOf`).
    allows_null: bool,
    /// The schema's `enum` (or `const`) strings, if it has either.
    enum_values: Option<Vec<String>>,
    /// `type` is exactly `"null"` (such union branches only say "may be empty").
    null_type: bool,
    /// The main type, for choosing a union branch by the shape of a node.
    branch_type: String,
}

#[derive(Debug)]
enum SchemaKind {
    /// Anything: no `type`, or a `type` the checker does not know.
    Any,
    /// `false`: nothing is valid.
    Never,
    Union {
        null_ok: bool,
        /// Branches other than `type: null`.
        real: Vec<SchemaId>,
        /// All real branches are enums: one combined list.
        combined: Option<Vec<String>>,
    },
    Enum(Vec<String>),
    Typed {
        /// `null` is in the type list.
        null_ok: bool,
        ty: Type,
    },
}

#[derive(Debug)]
enum Type {
    Object(Box<Object>),
    Array {
        items: SchemaId,
        min: Option<u64>,
        max: Option<u64>,
    },
    String {
        min: Option<u64>,
        max: Option<u64>,
        pattern: Option<Pattern>,
        message: Option<String>,
    },
    Number {
        integer: bool,
        min: Option<f64>,
        max: Option<f64>,
    },
    Boolean,
    /// `null` alone, or an unknown type name: accepted as written.
    Other,
}

#[derive(Debug)]
struct Pattern {
    source: String,
    /// `None` when the regex crate cannot compile it: our bug, so never the user's error.
    regex: Option<Regex>,
}

impl Pattern {
    fn new(source: &str) -> Self {
        Pattern {
            source: source.to_string(),
            regex: Regex::new(source).ok(),
        }
    }

    fn is_match(&self, text: &str) -> bool {
        self.regex.as_ref().is_none_or(|r| r.is_match(text))
    }
}

#[derive(Debug)]
struct Object {
    /// In the schema's own order (the order "the fields here are ..." lists them).
    props: Vec<Property>,
    additional: Additional,
    names: Option<PropertyNames>,
    required: Vec<String>,
}

#[derive(Debug)]
struct Property {
    name: String,
    schema: SchemaId,
    required: bool,
    /// An empty value is the same as leaving the field out (optional, and null is not a
    /// value of its own).
    skip_null: bool,
}

#[derive(Debug)]
enum Additional {
    /// No `additionalProperties`: other keys are taken as written.
    Absent,
    /// `additionalProperties: false`: other keys are unknown fields.
    Forbidden,
    Schema(SchemaId),
}

#[derive(Debug)]
struct PropertyNames {
    pattern: Pattern,
    max_len: Option<u64>,
    message: Option<String>,
}

impl Schema {
    /// The stack-file schema, compiled once per process.
    pub fn stack() -> &'static Schema {
        static STACK: LazyLock<Schema> = LazyLock::new(|| Schema::compile(&stack_schema()));
        &STACK
    }

    /// Compile a JSON Schema (draft-07 as schemars writes it).
    pub fn compile(schema: &Value) -> Schema {
        let mut c = Compiler {
            defs: schema.get("definitions").and_then(Value::as_object),
            nodes: vec![SchemaNode {
                kind: SchemaKind::Any,
                allows_null: false,
                enum_values: None,
                null_type: false,
                branch_type: "any".into(),
            }],
            memo: HashMap::new(),
        };
        let root = c.compile(schema);
        Schema {
            nodes: c.nodes,
            root,
        }
    }

    /// The schema of the whole document.
    pub fn root(&self) -> SchemaId {
        self.root
    }

    fn get(&self, id: SchemaId) -> &SchemaNode {
        &self.nodes[id]
    }
}

struct Compiler<'v> {
    defs: Option<&'v Map<String, Value>>,
    nodes: Vec<SchemaNode>,
    /// Resolved schema (by address) → compiled node, so shared and recursive definitions
    /// compile once.
    memo: HashMap<*const Value, SchemaId>,
}

impl<'v> Compiler<'v> {
    fn resolve(&self, schema: &'v Value) -> &'v Value {
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

    fn compile(&mut self, schema: &'v Value) -> SchemaId {
        let s = self.resolve(schema);
        let key = s as *const Value;
        if let Some(id) = self.memo.get(&key) {
            return *id;
        }
        let id = self.nodes.len();
        self.memo.insert(key, id);
        self.nodes.push(SchemaNode {
            kind: SchemaKind::Any,
            allows_null: allows_null(s),
            enum_values: enum_values(s),
            null_type: s.get("type").and_then(Value::as_str) == Some("null"),
            branch_type: branch_type(s).to_string(),
        });
        let kind = self.kind(s);
        self.nodes[id].kind = kind;
        id
    }

    fn kind(&mut self, s: &'v Value) -> SchemaKind {
        match s {
            Value::Bool(true) => return SchemaKind::Any,
            Value::Bool(false) => return SchemaKind::Never,
            _ => {}
        }
        if let Some(branches) = s
            .get("anyOf")
            .or_else(|| s.get("oneOf"))
            .and_then(Value::as_array)
        {
            let ids: Vec<SchemaId> = branches.iter().map(|b| self.compile(b)).collect();
            let null_ok = ids.iter().any(|b| self.nodes[*b].allows_null);
            let real: Vec<SchemaId> = ids
                .into_iter()
                .filter(|b| !self.nodes[*b].null_type)
                .collect();
            let combined = (!real.is_empty()
                && real.iter().all(|b| self.nodes[*b].enum_values.is_some()))
            .then(|| {
                real.iter()
                    .flat_map(|b| self.nodes[*b].enum_values.clone().unwrap_or_default())
                    .collect()
            });
            return SchemaKind::Union {
                null_ok,
                real,
                combined,
            };
        }
        if s.get("enum").is_some() || s.get("const").is_some() {
            return SchemaKind::Enum(enum_values(s).unwrap_or_default());
        }
        let types: Vec<&str> = match s.get("type") {
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
            _ => return SchemaKind::Any,
        };
        let null_ok = types.contains(&"null");
        let ty = types
            .iter()
            .copied()
            .find(|t| *t != "null")
            .unwrap_or("null");
        let u64_of = |k: &str| s.get(k).and_then(Value::as_u64);
        let ty = match ty {
            "object" => Type::Object(Box::new(self.object(s))),
            "array" => Type::Array {
                items: s.get("items").map_or(ANY, |i| self.compile(i)),
                min: u64_of("minItems"),
                max: u64_of("maxItems"),
            },
            "string" => Type::String {
                min: u64_of("minLength"),
                max: u64_of("maxLength"),
                pattern: s.get("pattern").and_then(Value::as_str).map(Pattern::new),
                message: s
                    .get("patternErrorMessage")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            },
            "integer" | "number" => Type::Number {
                integer: ty == "integer",
                min: s.get("minimum").and_then(Value::as_f64),
                max: s.get("maximum").and_then(Value::as_f64),
            },
            "boolean" => Type::Boolean,
            _ => Type::Other,
        };
        SchemaKind::Typed { null_ok, ty }
    }

    fn object(&mut self, s: &'v Value) -> Object {
        let required: Vec<String> = s
            .get("required")
            .and_then(Value::as_array)
            .map(|r| {
                r.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let mut props = Vec::new();
        if let Some(p) = s.get("properties").and_then(Value::as_object) {
            for (name, ps) in p {
                let schema = self.compile(ps);
                let is_required = required.iter().any(|r| r == name);
                props.push(Property {
                    name: name.clone(),
                    schema,
                    required: is_required,
                    skip_null: !self.nodes[schema].allows_null,
                });
            }
        }
        let additional = match s.get("additionalProperties") {
            None => Additional::Absent,
            Some(Value::Bool(false)) => Additional::Forbidden,
            Some(a) => Additional::Schema(self.compile(a)),
        };
        let names = s.get("propertyNames").and_then(|ns| {
            let pattern = ns.get("pattern").and_then(Value::as_str)?;
            Some(PropertyNames {
                pattern: Pattern::new(pattern),
                max_len: ns.get("maxLength").and_then(Value::as_u64),
                message: ns
                    .get("patternErrorMessage")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            })
        });
        Object {
            props,
            additional,
            names,
            required,
        }
    }
}

impl Object {
    fn prop(&self, key: &str) -> Option<&Property> {
        self.props.iter().find(|p| p.name == key)
    }

    /// The schema of the value of `e`, or `None` when the entry is left out of the value
    /// (an empty optional field, or an unknown field).
    fn entry_schema(&self, e: &yaml::Entry) -> Option<SchemaId> {
        match (self.prop(&e.key), &self.additional) {
            (Some(p), _) => {
                (!(p.skip_null && !p.required && e.value.is_null())).then_some(p.schema)
            }
            (None, Additional::Forbidden) => None,
            (None, Additional::Schema(a)) => Some(*a),
            (None, Additional::Absent) => Some(ANY),
        }
    }
}

// ---------------------------------------------------------------------------------------
// The checker.

/// Result of checking the whole tree.
pub struct Checked {
    pub diagnostics: Vec<Diagnostic>,
    /// Nodes that failed their check (by address). They are left out of the model, so
    /// that partial models can still be built from the rest.
    invalid: HashSet<usize>,
}

/// One step of the field path being checked; the path is spelled out only for findings.
#[derive(Clone, Copy)]
enum Seg<'t> {
    Key(&'t str),
    Index(usize),
}

/// Check `root` against `schema` (the compiled stack-file schema).
pub fn check(file: &str, root: &Node, schema: &Schema) -> Checked {
    let mut c = Checker {
        file,
        schema,
        path: Vec::new(),
        diags: Vec::new(),
        invalid: HashSet::new(),
    };
    c.node(root, schema.root(), None);
    Checked {
        diagnostics: c.diags,
        invalid: c.invalid,
    }
}

struct Checker<'s, 't> {
    file: &'s str,
    schema: &'s Schema,
    path: Vec<Seg<'t>>,
    diags: Vec<Diagnostic>,
    invalid: HashSet<usize>,
}

fn render_path(segs: &[Seg<'_>]) -> String {
    let mut p = String::new();
    for s in segs {
        match s {
            Seg::Key(k) => push_key(&mut p, k),
            Seg::Index(i) => {
                let _ = write!(p, "[{i}]");
            }
        }
    }
    p
}

impl<'s, 't> Checker<'s, 't> {
    /// The current field path, e.g. `stages.main.recording.media_types[0]`.
    fn path(&self) -> String {
        render_path(&self.path)
    }

    fn error(&mut self, code: &'static str, span: Span, message: String) -> &mut Diagnostic {
        let path = self.path();
        self.diags.push(
            Diagnostic::error(code, self.file, message)
                .at(Some(span))
                .path(path),
        );
        let last = self.diags.len() - 1;
        &mut self.diags[last]
    }

    /// Check one node; false when it is unusable (an error was reported).
    fn node(&mut self, node: &'t Node, id: SchemaId, key: Option<Span>) -> bool {
        let schema: &'s Schema = self.schema;
        let ok = match &schema.get(id).kind {
            SchemaKind::Any => true,
            SchemaKind::Never => false,
            SchemaKind::Union {
                null_ok,
                real,
                combined,
            } => self.union(node, *null_ok, real, combined.as_deref(), key),
            SchemaKind::Enum(allowed) => self.enumerated(node, allowed),
            SchemaKind::Typed { null_ok, .. } if *null_ok && node.is_null() => true,
            SchemaKind::Typed { ty, .. } => match ty {
                Type::Object(o) => self.object(node, o, key),
                Type::Array { items, min, max } => self.array(node, *items, *min, *max),
                Type::String {
                    min,
                    max,
                    pattern,
                    message,
                } => self.string(node, *min, *max, pattern.as_ref(), message.as_deref()),
                Type::Number { integer, min, max } => self.number(node, *integer, *min, *max),
                Type::Boolean => self.boolean(node),
                Type::Other => true,
            },
        };
        if !ok {
            self.invalid.insert(node as *const Node as usize);
        }
        ok
    }

    fn type_error(&mut self, node: &Node, expected: &str) {
        let what = describe(&self.path());
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
        let d = self.error("type", node.span(), message);
        d.label = Some(label);
        if quoted_number && expected != "a string" {
            d.help = Some("remove the quotes: quoted values are always strings".into());
        }
    }

    fn object(&mut self, node: &'t Node, o: &'s Object, key: Option<Span>) -> bool {
        let entries: &'t [yaml::Entry] = match &node.kind {
            NodeKind::Map(entries) => entries,
            // An empty value where a map is expected means "all defaults".
            _ if node.is_null() => &[],
            _ => {
                self.type_error(node, "a map");
                return false;
            }
        };
        for e in entries {
            self.path.push(Seg::Key(&e.key));
            if let Some(ns) = &o.names {
                self.property_name(&e.key, e.key_span(), ns);
            }
            match (o.prop(&e.key), &o.additional) {
                (Some(p), _) => {
                    // An empty optional field is the same as leaving it out.
                    if !(e.value.is_null() && !p.required && p.skip_null) {
                        self.node(&e.value, p.schema, Some(e.key_span()));
                    }
                }
                (None, Additional::Forbidden) => self.unknown_field(e, o, entries),
                (None, Additional::Schema(ads)) => {
                    self.node(&e.value, *ads, Some(e.key_span()));
                }
                (None, Additional::Absent) => {}
            }
            self.path.pop();
        }
        for r in &o.required {
            if !entries.iter().any(|e| e.key == *r) {
                let path = self.path();
                let span = key.unwrap_or(node.span());
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
                let what = if path.is_empty() {
                    "the stack file".to_string()
                } else {
                    describe_container(&path)
                };
                let example = example_for(r);
                let d = Diagnostic::error(
                    "missing-field",
                    self.file,
                    format!("{what} is missing the required field `{r}`"),
                )
                .at(Some(span))
                .path(path)
                .label(format!("add `{r}` here"))
                .help(example);
                self.diags.push(d);
            }
        }
        // Partial objects are still usable so that the rest of the file can be checked;
        // serde refuses them later where a required field is missing.
        true
    }

    fn property_name(&mut self, key: &str, span: Span, ns: &PropertyNames) {
        let too_long = ns.max_len.is_some_and(|m| key.chars().count() as u64 > m);
        if ns.pattern.is_match(key) && !too_long {
            return;
        }
        let path = self.path();
        let kind = kind_of_section(&split_path(&path).0).unwrap_or("resource");
        let help = ns
            .message
            .as_deref()
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

    fn unknown_field(&mut self, e: &yaml::Entry, o: &Object, siblings: &[yaml::Entry]) {
        let known: Vec<&str> = o.props.iter().map(|p| p.name.as_str()).collect();
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
        let container = render_path(&self.path[..self.path.len().saturating_sub(1)]);
        let d = Diagnostic::error(
            "unknown-field",
            self.file,
            format!(
                "unknown field `{}` in {}",
                e.key,
                describe_container(&container)
            ),
        )
        .at(Some(e.key_span()))
        .path(self.path())
        .label(label)
        .help(format!("the fields here are {}", list_values(&names)));
        self.diags.push(d);
    }

    fn union(
        &mut self,
        node: &'t Node,
        null_ok: bool,
        real: &'s [SchemaId],
        combined: Option<&'s [String]>,
        key: Option<Span>,
    ) -> bool {
        if node.is_null() && null_ok {
            return true;
        }
        // All branches are single values (documented enum variants): one combined enum.
        if let Some(all) = combined {
            return self.enumerated(node, all);
        }
        if let [only] = real {
            return self.node(node, *only, key);
        }
        match pick_branch(self.schema, real, node) {
            Some(b) => self.node(node, b, key),
            None => {
                let kinds: Vec<&str> = real
                    .iter()
                    .map(|b| type_words(&self.schema.get(*b).branch_type))
                    .collect();
                self.type_error(node, &kinds.join(" or "));
                false
            }
        }
    }

    fn scalar_text(
        &mut self,
        node: &'t Node,
        expected: impl FnOnce() -> String,
    ) -> Option<&'t str> {
        match &node.kind {
            NodeKind::Scalar { value, style } if *style == Style::Quoted || !node.is_null() => {
                Some(value.as_str())
            }
            _ => {
                self.type_error(node, &expected());
                None
            }
        }
    }

    fn enumerated(&mut self, node: &'t Node, allowed: &[String]) -> bool {
        let Some(text) = self.scalar_text(node, || format!("one of {}", list_values(allowed)))
        else {
            return false;
        };
        if allowed.iter().any(|a| a == text) {
            return true;
        }
        let path = self.path();
        let what = describe(&path);
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
        .at(Some(node.span()))
        .path(path)
        .label(label)
        .help(help);
        self.diags.push(d);
        false
    }

    fn string(
        &mut self,
        node: &'t Node,
        min: Option<u64>,
        max: Option<u64>,
        pattern: Option<&Pattern>,
        message: Option<&str>,
    ) -> bool {
        let Some(text) = self.scalar_text(node, || "a string".into()) else {
            return false;
        };
        // Counting characters is needed only for length limits.
        let len = if min.is_some() || max.is_some() {
            text.chars().count() as u64
        } else {
            0
        };
        if let Some(min) = min
            && len < min
        {
            let what = describe(&self.path());
            let msg = if min == 1 {
                format!("{what} must not be empty")
            } else {
                format!("{what} is too short: {len} characters, at least {min} required")
            };
            self.error("length", node.span(), msg);
            return false;
        }
        if let Some(max) = max
            && len > max
        {
            let what = describe(&self.path());
            self.error(
                "length",
                node.span(),
                format!("{what} is too long: {len} characters, at most {max} allowed"),
            );
            return false;
        }
        if let Some(pattern) = pattern
            && !pattern.is_match(text)
        {
            let what = describe(&self.path());
            let msg = match message {
                Some(m) => format!("{what} {m}"),
                None => format!("{what} does not have the expected form"),
            };
            let help = match message {
                Some(_) => None,
                None => Some(format!("it must match the pattern `{}`", pattern.source)),
            };
            let d = self.error("pattern", node.span(), msg);
            d.label = Some(format!("found `{}`", shorten(text)));
            d.help = help;
            return false;
        }
        true
    }

    fn number(
        &mut self,
        node: &'t Node,
        integer: bool,
        min: Option<f64>,
        max: Option<f64>,
    ) -> bool {
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
                        self.type_error(node, expected);
                        return false;
                    }
                }
            }
            _ => {
                self.type_error(node, expected);
                return false;
            }
        };
        if !value.is_finite() {
            let what = describe(&self.path());
            self.error(
                "type",
                node.span(),
                format!("{what} must be a finite number"),
            )
            .label = Some(format!("found `{text}`"));
            return false;
        }
        if integer && (value.fract() != 0.0 || yaml::parse_int(text).is_none()) {
            let what = describe(&self.path());
            self.error(
                "type",
                node.span(),
                format!("{what} must be a whole number"),
            )
            .label = Some(format!("found `{text}`"));
            return false;
        }
        if min.is_some_and(|m| value < m) || max.is_some_and(|m| value > m) {
            let range = match (min, max) {
                (Some(a), Some(b)) => format!("{} to {}", fmt_num(a), fmt_num(b)),
                (Some(a), None) => format!("at least {}", fmt_num(a)),
                (None, Some(b)) => format!("at most {}", fmt_num(b)),
                (None, None) => String::new(),
            };
            let what = describe(&self.path());
            self.error(
                "range",
                node.span(),
                format!("{what} is out of range: it must be {range}"),
            )
            .label = Some(format!("found {text}"));
            return false;
        }
        // The value serde sees: whole numbers as integers (which must fit), else a float.
        if integer {
            yaml::parse_int(text).is_some()
        } else {
            yaml::parse_int(text).is_some() || serde_json::Number::from_f64(value).is_some()
        }
    }

    fn boolean(&mut self, node: &'t Node) -> bool {
        if let NodeKind::Scalar {
            value,
            style: Style::Plain,
        } = &node.kind
        {
            if yaml::parse_bool(value).is_some() {
                return true;
            }
            if matches!(
                value.to_ascii_lowercase().as_str(),
                "yes" | "no" | "on" | "off" | "y" | "n"
            ) {
                let what = describe(&self.path());
                let d = self.error(
                    "type",
                    node.span(),
                    format!("{what} must be `true` or `false`"),
                );
                d.label = Some(format!("found the string `{value}`"));
                d.help = Some(
                    "YAML 1.2 reads `yes`/`no`/`on`/`off` as strings; write `true` or `false`"
                        .into(),
                );
                return false;
            }
        }
        self.type_error(node, "`true` or `false`");
        false
    }

    fn array(
        &mut self,
        node: &'t Node,
        item_schema: SchemaId,
        min: Option<u64>,
        max: Option<u64>,
    ) -> bool {
        let NodeKind::Seq(items) = &node.kind else {
            // A single value where a list is expected is a common slip; say so plainly.
            self.type_error(node, "a list");
            if !matches!(node.kind, NodeKind::Map(_)) && !node.is_null() {
                let last = self.diags.len() - 1;
                self.diags[last].help = Some("write a list, e.g. `[value]`".into());
            }
            return false;
        };
        let n = items.len() as u64;
        if let Some(min) = min
            && n < min
        {
            let what = describe(&self.path());
            let msg = if min == 1 {
                format!("{what} must not be empty")
            } else {
                format!("{what} needs at least {min} entries, found {n}")
            };
            self.error("items", node.span(), msg);
        }
        if let Some(max) = max
            && n > max
        {
            let what = describe(&self.path());
            let span = items
                .get(max as usize)
                .map(|i| i.span())
                .unwrap_or(node.span());
            self.error(
                "items",
                span,
                format!(
                    "{what} has {n} entries, at most {max} {} allowed",
                    if max == 1 { "is" } else { "are" }
                ),
            )
            .label = Some("one too many from here".into());
        }
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            self.path.push(Seg::Index(i));
            ok &= self.node(item, item_schema, None);
            self.path.pop();
        }
        ok
    }
}

/// The union branch whose shape matches the node, e.g. a string or a list of strings.
fn pick_branch(schema: &Schema, real: &[SchemaId], node: &Node) -> Option<SchemaId> {
    let want = match &node.kind {
        NodeKind::Map(_) => "object",
        NodeKind::Seq(_) => "array",
        NodeKind::Scalar { .. } => "scalar",
    };
    real.iter().copied().find(|b| {
        let t = schema.get(*b).branch_type.as_str();
        t == want || (want == "scalar" && !matches!(t, "object" | "array"))
    })
}

// ---------------------------------------------------------------------------------------
// Deserializing the model straight from the checked tree, without building a JSON copy of
// a 5 MB file first. Each node is read as the checker typed it: a plain `123` where the
// schema wants a string is the string "123"; empty optional fields and nodes that failed
// their check are left out.

/// A model type could not be built from a checked tree.
#[derive(Debug)]
pub struct DeError(String);

impl std::fmt::Display for DeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DeError {}

impl serde::de::Error for DeError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        DeError(msg.to_string())
    }
}

impl Checked {
    /// Build `T` from `node`, checked against schema node `id`.
    pub fn deserialize<'t, T: Deserialize<'t>>(
        &self,
        schema: &Schema,
        node: &'t Node,
        id: SchemaId,
    ) -> Result<T, DeError> {
        T::deserialize(TreeDe {
            node,
            id,
            schema,
            invalid: &self.invalid,
        })
    }

    /// The entries of a map node that make it into the model, each with its schema; empty
    /// unless the node is read as a map.
    pub fn fields<'t>(
        &self,
        schema: &Schema,
        node: &'t Node,
        id: SchemaId,
    ) -> Vec<(&'t str, &'t Node, SchemaId)> {
        let NodeKind::Map(entries) = &node.kind else {
            return Vec::new();
        };
        match &schema.get(id).kind {
            SchemaKind::Typed {
                ty: Type::Object(o),
                ..
            } => entries
                .iter()
                .filter(|e| !self.invalid.contains(&(&e.value as *const Node as usize)))
                .filter_map(|e| o.entry_schema(e).map(|s| (e.key.as_str(), &e.value, s)))
                .collect(),
            SchemaKind::Any
            | SchemaKind::Typed {
                ty: Type::Other, ..
            } => entries
                .iter()
                .map(|e| (e.key.as_str(), &e.value, ANY))
                .collect(),
            _ => Vec::new(),
        }
    }
}

#[derive(Clone, Copy)]
struct TreeDe<'t, 's> {
    node: &'t Node,
    id: SchemaId,
    schema: &'s Schema,
    invalid: &'s HashSet<usize>,
}

impl<'t, 's> TreeDe<'t, 's> {
    fn at(self, node: &'t Node, id: SchemaId) -> Self {
        TreeDe { node, id, ..self }
    }

    /// Whether the checker reads this node as null.
    fn is_null(&self) -> bool {
        if !self.node.is_null() {
            return false;
        }
        match &self.schema.get(self.id).kind {
            SchemaKind::Any => true,
            SchemaKind::Union { null_ok, real, .. } => {
                *null_ok || matches!(real.as_slice(), [only] if self.at(self.node, *only).is_null())
            }
            SchemaKind::Typed { null_ok, ty } => *null_ok || matches!(ty, Type::Other),
            SchemaKind::Never | SchemaKind::Enum(_) => false,
        }
    }

    fn text(&self) -> &'t str {
        match &self.node.kind {
            NodeKind::Scalar { value, .. } => value,
            _ => "",
        }
    }

    /// A node read by YAML core-schema rules (a schema that says nothing).
    fn any<V: Visitor<'t>>(self, visitor: V) -> Result<V::Value, DeError> {
        match &self.node.kind {
            NodeKind::Map(entries) => visitor.visit_map(MapDe {
                de: self,
                entries: entries.iter(),
                object: None,
                value: None,
            }),
            NodeKind::Seq(items) => visitor.visit_seq(SeqDe {
                de: self,
                items: items.iter(),
                item: ANY,
            }),
            NodeKind::Scalar {
                value,
                style: Style::Quoted,
            } => visitor.visit_borrowed_str(value),
            NodeKind::Scalar { value, .. } => {
                if yaml::is_null_text(value) {
                    visitor.visit_unit()
                } else if let Some(b) = yaml::parse_bool(value) {
                    visitor.visit_bool(b)
                } else if let Some(i) = yaml::parse_int(value) {
                    visitor.visit_i64(i)
                } else if let Some(f) = yaml::parse_float(value).filter(|f| f.is_finite()) {
                    visitor.visit_f64(f)
                } else {
                    visitor.visit_borrowed_str(value)
                }
            }
        }
    }
}

impl<'t, 's> serde::Deserializer<'t> for TreeDe<'t, 's> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'t>>(self, visitor: V) -> Result<V::Value, DeError> {
        let schema: &'s Schema = self.schema;
        match &schema.get(self.id).kind {
            SchemaKind::Any => self.any(visitor),
            SchemaKind::Never => Err(DeError("a value that no schema accepts".into())),
            SchemaKind::Union {
                null_ok,
                real,
                combined,
            } => {
                if *null_ok && self.node.is_null() {
                    visitor.visit_unit()
                } else if combined.is_some() {
                    visitor.visit_borrowed_str(self.text())
                } else if let [only] = real.as_slice() {
                    self.at(self.node, *only).deserialize_any(visitor)
                } else {
                    match pick_branch(schema, real, self.node) {
                        Some(b) => self.at(self.node, b).deserialize_any(visitor),
                        None => Err(DeError(format!("unexpected {}", self.node.describe()))),
                    }
                }
            }
            SchemaKind::Enum(_) => visitor.visit_borrowed_str(self.text()),
            SchemaKind::Typed { null_ok: true, .. } if self.node.is_null() => visitor.visit_unit(),
            SchemaKind::Typed { ty, .. } => match ty {
                Type::Object(o) => {
                    let entries: &'t [yaml::Entry] = match &self.node.kind {
                        NodeKind::Map(entries) => entries,
                        _ => &[],
                    };
                    visitor.visit_map(MapDe {
                        de: self,
                        entries: entries.iter(),
                        object: Some(o),
                        value: None,
                    })
                }
                Type::Array { items, .. } => match &self.node.kind {
                    NodeKind::Seq(nodes) => visitor.visit_seq(SeqDe {
                        de: self,
                        items: nodes.iter(),
                        item: *items,
                    }),
                    _ => Err(DeError(format!(
                        "invalid type: {}, expected a list",
                        self.node.describe()
                    ))),
                },
                Type::String { .. } => visitor.visit_borrowed_str(self.text()),
                Type::Number { .. } => {
                    let text = self.text();
                    match yaml::parse_int(text) {
                        Some(i) => visitor.visit_i64(i),
                        None => visitor.visit_f64(yaml::parse_float(text).unwrap_or(f64::NAN)),
                    }
                }
                Type::Boolean => visitor.visit_bool(yaml::parse_bool(self.text()).unwrap_or(false)),
                Type::Other => self.any(visitor),
            },
        }
    }

    fn deserialize_option<V: Visitor<'t>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.is_null() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_enum<V: Visitor<'t>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match &self.node.kind {
            NodeKind::Scalar { value, .. } if !self.is_null() => {
                visitor.visit_enum(BorrowedStrDeserializer::<DeError>::new(value))
            }
            _ => Err(DeError(format!(
                "invalid type: {}, expected an enum variant",
                self.node.describe()
            ))),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'t>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_ignored_any<V: Visitor<'t>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        <W: Visitor<'t>>
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier
    }
}

struct MapDe<'t, 's> {
    de: TreeDe<'t, 's>,
    entries: std::slice::Iter<'t, yaml::Entry>,
    /// The object schema; `None` reads every entry as written.
    object: Option<&'s Object>,
    value: Option<(&'t Node, SchemaId)>,
}

impl<'t, 's> MapAccess<'t> for MapDe<'t, 's> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'t>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        for e in self.entries.by_ref() {
            let schema = match self.object {
                None => ANY,
                Some(o) => {
                    if self
                        .de
                        .invalid
                        .contains(&(&e.value as *const Node as usize))
                    {
                        continue;
                    }
                    match o.entry_schema(e) {
                        Some(s) => s,
                        None => continue,
                    }
                }
            };
            self.value = Some((&e.value, schema));
            return seed
                .deserialize(BorrowedStrDeserializer::<DeError>::new(&e.key))
                .map(Some);
        }
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'t>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        match self.value.take() {
            Some((node, id)) => seed.deserialize(self.de.at(node, id)),
            None => Err(DeError("a map value without a key".into())),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

struct SeqDe<'t, 's> {
    de: TreeDe<'t, 's>,
    items: std::slice::Iter<'t, Node>,
    item: SchemaId,
}

impl<'t, 's> SeqAccess<'t> for SeqDe<'t, 's> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'t>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        match self.items.next() {
            Some(n) => seed.deserialize(self.de.at(n, self.item)).map(Some),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
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

    /// A pattern that does not compile would silently check nothing (`Pattern::new`).
    #[test]
    fn every_schema_pattern_compiles() {
        fn walk(v: &serde_json::Value, found: &mut Vec<String>) {
            match v {
                serde_json::Value::Object(m) => {
                    if let Some(serde_json::Value::String(p)) = m.get("pattern") {
                        found.push(p.clone());
                    }
                    m.values().for_each(|v| walk(v, found));
                }
                serde_json::Value::Array(a) => a.iter().for_each(|v| walk(v, found)),
                _ => {}
            }
        }
        let mut found = Vec::new();
        walk(&crate::stack::schema::stack_schema(), &mut found);
        assert!(found.len() > 5, "{found:?}");
        for p in found {
            assert!(
                Regex::new(&p).is_ok(),
                "schema pattern does not compile: {p}"
            );
        }
    }

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
