//! YAML to a spanned node tree, with the limits that keep hostile input harmless.
//!
//! We use yaml-rust2's event parser rather than a serde YAML deserializer because we need
//! positions for every node (errors point at the exact key or value), duplicate keys
//! rejected with both positions, and hard bounds on depth and alias expansion (a
//! "billion laughs" file must be an error, not a hang).

use std::collections::HashMap;

use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::diagnostics::{Diagnostic, Span};
use super::position::LineIndex;

/// Deepest nesting of maps and lists accepted.
pub const MAX_DEPTH: usize = 64;
/// Most nodes that alias expansion (`*anchor`) may produce in one file.
pub const MAX_ALIAS_NODES: usize = 100_000;
/// Largest stack file accepted, in bytes.
pub const MAX_FILE_BYTES: usize = 32 * 1024 * 1024;

/// How a scalar was written, which decides how it is typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Unquoted: may be a number, boolean or null.
    Plain,
    /// Quoted or block scalar: always a string.
    Quoted,
}

#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    Scalar { value: String, style: Style },
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

/// A [`Span`] packed into 16 bytes: a tree holds hundreds of thousands of them, and files
/// are far smaller than 4 GiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PackedSpan {
    start: u32,
    end: u32,
    line: u32,
    col: u32,
}

impl PackedSpan {
    pub fn pack(s: Span) -> Self {
        let n = |x: usize| u32::try_from(x).unwrap_or(u32::MAX);
        PackedSpan {
            start: n(s.start),
            end: n(s.end),
            line: n(s.line),
            col: n(s.col),
        }
    }

    pub fn unpack(self) -> Span {
        Span {
            start: self.start as usize,
            end: self.end as usize,
            line: self.line as usize,
            col: self.col as usize,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    span: PackedSpan,
}

/// A map entry; keys are always strings in a stack file.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    key_span: PackedSpan,
    pub value: Node,
}

impl Entry {
    /// Where the key is written.
    pub fn key_span(&self) -> Span {
        self.key_span.unpack()
    }
}

impl Node {
    pub fn new(kind: NodeKind, span: Span) -> Self {
        Node {
            kind,
            span: PackedSpan::pack(span),
        }
    }

    /// Where the node is written.
    pub fn span(&self) -> Span {
        self.span.unpack()
    }

    /// True for `~`, `null` and an empty value.
    pub fn is_null(&self) -> bool {
        matches!(&self.kind, NodeKind::Scalar { value, style: Style::Plain } if is_null_text(value))
    }

    /// What the node is, for messages: "a map", "a list", "the number `5`", ...
    pub fn describe(&self) -> String {
        match &self.kind {
            NodeKind::Map(_) => "a map".into(),
            NodeKind::Seq(_) => "a list".into(),
            NodeKind::Scalar { value, style } => {
                let shown = shorten(value);
                match style {
                    Style::Quoted => format!("the string `{shown}`"),
                    Style::Plain if is_null_text(value) => "nothing (null)".into(),
                    Style::Plain if parse_bool(value).is_some() => format!("the boolean `{shown}`"),
                    Style::Plain if parse_int(value).is_some() || parse_float(value).is_some() => {
                        format!("the number `{shown}`")
                    }
                    Style::Plain => format!("the string `{shown}`"),
                }
            }
        }
    }

    /// The node as plain JSON, typing unquoted scalars by YAML 1.2 core-schema rules.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.kind {
            NodeKind::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|e| (e.key.clone(), e.value.to_json()))
                    .collect(),
            ),
            NodeKind::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            NodeKind::Scalar { value, style } => match style {
                Style::Quoted => Value::String(value.clone()),
                Style::Plain => plain_to_json(value),
            },
        }
    }
}

pub fn plain_to_json(value: &str) -> serde_json::Value {
    use serde_json::Value;
    if is_null_text(value) {
        Value::Null
    } else if let Some(b) = parse_bool(value) {
        Value::Bool(b)
    } else if let Some(i) = parse_int(value) {
        Value::from(i)
    } else if let Some(f) = parse_float(value).and_then(serde_json::Number::from_f64) {
        Value::Number(f)
    } else {
        Value::String(value.to_string())
    }
}

fn shorten(s: &str) -> String {
    if s.chars().count() > 40 {
        let head: String = s.chars().take(37).collect();
        format!("{head}...")
    } else {
        s.to_string()
    }
}

pub fn is_null_text(s: &str) -> bool {
    matches!(s, "" | "~" | "null" | "Null" | "NULL")
}

pub fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

pub fn parse_int(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// YAML 1.2 core-schema floats; `.inf` and `.nan` parse (validation rejects them later).
pub fn parse_float(s: &str) -> Option<f64> {
    match s {
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return Some(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Some(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Some(f64::NAN),
        _ => {}
    }
    let ok = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
        && s.bytes().any(|b| b.is_ascii_digit());
    if ok { s.parse().ok() } else { None }
}

/// Maps yaml-rust2 markers (character index) to byte offsets in O(n) total, because events
/// arrive in source order. A 5 MB single-line file must not turn quadratic. Lines and
/// columns come from the [`LineIndex`] that the renderings use too (yaml-rust2's own
/// markers disagree with it at the end of a file without a final line break).
struct Positions<'a> {
    src: &'a str,
    ascii: bool,
    char_idx: usize,
    byte_idx: usize,
    lines: LineIndex,
}

impl<'a> Positions<'a> {
    fn new(src: &'a str) -> Self {
        Positions {
            src,
            ascii: src.is_ascii(),
            char_idx: 0,
            byte_idx: 0,
            lines: LineIndex::new(src),
        }
    }

    fn byte_of(&mut self, char_index: usize) -> usize {
        if self.ascii {
            return char_index.min(self.src.len());
        }
        if char_index < self.char_idx {
            self.char_idx = 0;
            self.byte_idx = 0;
        }
        let rest = &self.src[self.byte_idx..];
        let mut chars = rest.char_indices();
        while self.char_idx < char_index {
            match chars.next() {
                Some((_, c)) => {
                    self.char_idx += 1;
                    self.byte_idx += c.len_utf8();
                }
                None => break,
            }
        }
        self.byte_idx
    }

    fn span_at(&mut self, m: &Marker) -> Span {
        let start = self.byte_of(m.index());
        // After `byte_of`, the character offset of `start` is known without counting.
        let chars = if self.ascii { start } else { self.char_idx };
        let (line, col) = self.lines.line_col_of_char(self.src, start, chars);
        Span {
            start,
            end: start,
            line,
            col,
        }
    }
}

/// Where a scalar written at `start` ends in the source.
fn scalar_end(src: &str, start: usize, value: &str, style: TScalarStyle) -> usize {
    let rest = src.get(start..).unwrap_or("");
    let end = match style {
        TScalarStyle::DoubleQuoted => {
            let mut escaped = false;
            let mut end = rest.len();
            for (i, c) in rest.char_indices().skip(1) {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    end = i + 1;
                    break;
                }
            }
            end
        }
        TScalarStyle::SingleQuoted => {
            let b = rest.as_bytes();
            let mut i = 1;
            let mut end = rest.len();
            while i < b.len() {
                if b[i] == b'\'' {
                    if b.get(i + 1) == Some(&b'\'') {
                        i += 2;
                        continue;
                    }
                    end = i + 1;
                    break;
                }
                i += 1;
            }
            end
        }
        TScalarStyle::Plain if !value.is_empty() && rest.starts_with(value) => value.len(),
        _ => rest[..line_break(rest.as_bytes())].trim_end().len(),
    };
    // Keep carets on the first line: a multi-line underline helps nobody. Only the
    // scalar's own bytes are searched for a line break: scanning to the end of the line
    // for every item of a long flow list would be quadratic.
    let end = end.min(rest.len());
    let first_break = line_break(&rest.as_bytes()[..end]);
    start + end.min(first_break.max(1))
}

/// Offset of the first line break in `bytes`, or its length.
fn line_break(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .position(|b| matches!(b, b'\n' | b'\r'))
        .unwrap_or(bytes.len())
}

/// End of a map or list for display: through the closing bracket of a flow collection,
/// but never past the first line, so carets stay on one line.
fn collection_end(src: &str, start: usize, end_marker: usize) -> usize {
    let rest = src.get(start..).unwrap_or("");
    let line_end = start + line_break(rest.as_bytes());
    let closing = matches!(src.as_bytes().get(end_marker), Some(b']' | b'}'));
    let end = if closing { end_marker + 1 } else { end_marker };
    let first_line = src.get(start..line_end).unwrap_or("").trim_end().len();
    end.min(start + first_line).max(start)
}

/// An open collection. Children wait in scratch stacks shared by all frames (`items` for
/// lists, `entries` for maps) and move into a vector of exactly the right size when the
/// collection ends: no growth slack and no reallocation per collection.
enum Frame {
    Seq {
        span: Span,
        anchor: usize,
        /// Where this list's items start in the item stack.
        start: usize,
    },
    Map {
        span: Span,
        anchor: usize,
        /// Where this map's entries start in the entry stack.
        start: usize,
        key: Option<(String, Span)>,
        /// A key that is not a string (a list or map used as a key); its value is skipped.
        bad_key: bool,
        /// Key hash → entry index, built only once a map is large (small maps scan
        /// linearly). Hashes only, so that no key is copied.
        index: Option<HashMap<u64, usize, BuildKeyHasher>>,
    },
}

/// FNV-1a: keys are short, and a collision only costs a linear scan.
#[derive(Default, Clone, Copy)]
struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

type BuildKeyHasher = std::hash::BuildHasherDefault<KeyHasher>;

fn key_hash(key: &str) -> u64 {
    use std::hash::Hasher;
    let mut h = KeyHasher::default();
    h.write(key.as_bytes());
    h.finish()
}

/// Maps from this size on get a hash index.
const INDEX_FROM: usize = 16;

/// Parse one YAML document into a node tree. `file` names the file in findings.
/// Returns the tree (None for an empty document) and every finding; a fatal syntax error
/// or limit stops parsing, duplicate keys do not.
pub fn parse(file: &str, src: &str) -> (Option<Node>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let mut pos = Positions::new(src);
    let mut parser = Parser::new_from_str(src);
    let mut stack: Vec<Frame> = Vec::new();
    let mut items: Vec<Node> = Vec::new();
    let mut entries: Vec<Entry> = Vec::new();
    let mut anchors: HashMap<usize, Node> = HashMap::new();
    let mut alias_nodes = 0usize;
    let mut root: Option<Node> = None;
    let mut documents = 0usize;
    let one_char = |span: Span| Span {
        end: (span.start + 1).min(src.len()).max(span.start),
        ..span
    };

    loop {
        let (event, mark) = match parser.next_token() {
            Ok(x) => x,
            Err(e) => {
                let span = one_char(pos.span_at(e.marker()));
                diags.push(
                    Diagnostic::error("yaml-syntax", file, format!("invalid YAML: {}", e.info()))
                        .at(Some(span))
                        .label("the YAML parser stopped here"),
                );
                return (None, diags);
            }
        };
        // Each arm yields a finished node (with its anchor id) or continues.
        let (node, anchor) = match event {
            Event::StreamEnd => break,
            Event::StreamStart | Event::Nothing | Event::DocumentEnd => continue,
            Event::DocumentStart => {
                documents += 1;
                if documents > 1 {
                    let span = pos.span_at(&mark);
                    diags.push(
                        Diagnostic::error(
                            "multiple-documents",
                            file,
                            "a stack file holds exactly one YAML document",
                        )
                        .at(Some(Span {
                            end: (span.start + 3).min(src.len()),
                            ..span
                        }))
                        .label("a second document starts here")
                        .help("put each stack in its own file"),
                    );
                    return (None, diags);
                }
                continue;
            }
            Event::SequenceStart(anchor, tag) | Event::MappingStart(anchor, tag)
                if stack.len() >= MAX_DEPTH =>
            {
                let _ = (anchor, tag);
                diags.push(
                    Diagnostic::error(
                        "too-deep",
                        file,
                        format!("the YAML is nested more than {MAX_DEPTH} levels deep"),
                    )
                    .at(Some(one_char(pos.span_at(&mark))))
                    .label("too deep here")
                    .help("a stack file needs only a few levels; is this the right file?"),
                );
                return (None, diags);
            }
            Event::SequenceStart(anchor, tag) => {
                if let Some(d) = check_tag(file, &tag, one_char(pos.span_at(&mark))) {
                    diags.push(d);
                }
                stack.push(Frame::Seq {
                    span: pos.span_at(&mark),
                    anchor,
                    start: items.len(),
                });
                continue;
            }
            Event::MappingStart(anchor, tag) => {
                if let Some(d) = check_tag(file, &tag, one_char(pos.span_at(&mark))) {
                    diags.push(d);
                }
                stack.push(Frame::Map {
                    span: pos.span_at(&mark),
                    anchor,
                    start: entries.len(),
                    key: None,
                    bad_key: false,
                    index: None,
                });
                continue;
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq {
                    mut span,
                    anchor,
                    start,
                }) => {
                    // An exact-size vector: growth slack adds up over many nodes.
                    let children: Vec<Node> = items.drain(start..).collect();
                    span.end = collection_end(src, span.start, pos.byte_of(mark.index()));
                    (Node::new(NodeKind::Seq(children), span), anchor)
                }
                _ => continue,
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map {
                    mut span,
                    anchor,
                    start,
                    ..
                }) => {
                    let children: Vec<Entry> = entries.drain(start..).collect();
                    // yaml-rust2 marks a block map at its first `:`; start at the first key.
                    if let Some(first) = children.first()
                        && first.key_span().start < span.start
                    {
                        span = Span {
                            end: span.end,
                            ..first.key_span()
                        };
                    }
                    span.end = collection_end(src, span.start, pos.byte_of(mark.index()));
                    (Node::new(NodeKind::Map(children), span), anchor)
                }
                _ => continue,
            },
            Event::Scalar(value, style, anchor, tag) => {
                let mut span = pos.span_at(&mark);
                span.end = scalar_end(src, span.start, &value, style);
                if let Some(d) = check_tag(file, &tag, span) {
                    diags.push(d);
                }
                let quoted =
                    style != TScalarStyle::Plain || tag.as_ref().is_some_and(|t| t.suffix == "str");
                // yaml-rust2 reports an empty value as a plain `~`; keep its span empty so
                // carets point at the key instead.
                let style = if quoted { Style::Quoted } else { Style::Plain };
                (Node::new(NodeKind::Scalar { value, style }, span), anchor)
            }
            Event::Alias(id) => {
                let span = pos.span_at(&mark);
                let Some(target) = anchors.get(&id) else {
                    diags.push(
                        Diagnostic::error("yaml-syntax", file, "alias to an unknown anchor")
                            .at(Some(one_char(span))),
                    );
                    return (None, diags);
                };
                alias_nodes += count_nodes(target, MAX_ALIAS_NODES + 1);
                if alias_nodes > MAX_ALIAS_NODES {
                    diags.push(
                        Diagnostic::error(
                            "alias-bomb",
                            file,
                            format!(
                                "YAML aliases expand to more than {MAX_ALIAS_NODES} nodes"
                            ),
                        )
                        .at(Some(one_char(span)))
                        .label("expansion limit reached at this alias")
                        .help("this looks like a \"billion laughs\" file; stack files rarely need aliases"),
                    );
                    return (None, diags);
                }
                (target.clone(), 0)
            }
        };
        if anchor > 0 {
            anchors.insert(anchor, node.clone());
        }
        // Attach the finished node to its parent, or make it the document root.
        let depth = stack.len();
        match stack.last_mut() {
            None => root = Some(node),
            Some(Frame::Seq { .. }) => items.push(node),
            Some(Frame::Map {
                start,
                key,
                bad_key,
                index,
                ..
            }) => match key.take() {
                None if *bad_key => *bad_key = false,
                None => match node.kind {
                    NodeKind::Scalar { value, .. } => *key = Some((value, node.span.unpack())),
                    _ => {
                        diags.push(
                            Diagnostic::error(
                                "complex-key",
                                file,
                                "map keys must be plain strings",
                            )
                            .at(Some(one_char(node.span.unpack())))
                            .label("this key is a list or a map"),
                        );
                        *bad_key = true;
                    }
                },
                Some((k, key_span)) => {
                    let start = *start;
                    let mine = &entries[start..];
                    let hash = index.as_ref().map(|_| key_hash(&k));
                    if let Some(i) = find_key(mine, index.as_ref(), hash, &k) {
                        let first = mine[i].key_span();
                        let path = frames_path(&stack[..depth - 1], &items, &k);
                        diags.push(
                            Diagnostic::error(
                                "duplicate-key",
                                file,
                                format!("duplicate key `{k}`"),
                            )
                            .at(Some(key_span))
                            .path(path)
                            .label("defined again here")
                            .related(first, "first defined here")
                            .help("YAML keys must be unique within a map; remove one of them"),
                        );
                    } else {
                        let n = mine.len();
                        if let (Some(ix), Some(h)) = (index.as_mut(), hash) {
                            ix.entry(h).or_insert(n);
                        }
                        entries.push(Entry {
                            key: k,
                            key_span: PackedSpan::pack(key_span),
                            value: node,
                        });
                        if index.is_none() && n + 1 >= INDEX_FROM {
                            let mut ix = HashMap::with_hasher(BuildKeyHasher::default());
                            for (i, e) in entries[start..].iter().enumerate() {
                                ix.entry(key_hash(&e.key)).or_insert(i);
                            }
                            *index = Some(ix);
                        }
                    }
                }
            },
        }
    }
    (root, diags)
}

/// Index of `key` among a map's entries.
fn find_key(
    entries: &[Entry],
    index: Option<&HashMap<u64, usize, BuildKeyHasher>>,
    hash: Option<u64>,
    key: &str,
) -> Option<usize> {
    let scan = || entries.iter().position(|e| e.key == key);
    match (index, hash) {
        (Some(ix), Some(h)) => match ix.get(&h) {
            None => None,
            Some(i) if entries[*i].key == key => Some(*i),
            // Another key with the same hash.
            Some(_) => scan(),
        },
        _ => scan(),
    }
}

/// The field path of `key` inside the innermost map, given the enclosing frames and the
/// item stack (a list's items run up to the start of the next list frame).
fn frames_path(frames: &[Frame], items: &[Node], key: &str) -> String {
    let mut path = String::new();
    for (i, f) in frames.iter().enumerate() {
        match f {
            Frame::Seq { start, .. } => {
                let end = frames[i + 1..]
                    .iter()
                    .find_map(|g| match g {
                        Frame::Seq { start, .. } => Some(*start),
                        Frame::Map { .. } => None,
                    })
                    .unwrap_or(items.len());
                path.push_str(&format!("[{}]", end - start));
            }
            Frame::Map {
                key: Some((k, _)), ..
            } => crate::stack::check::push_key(&mut path, k),
            Frame::Map { .. } => {}
        }
    }
    crate::stack::check::push_key(&mut path, key);
    path
}

/// Count nodes up to `limit` (so counting a huge alias target stays cheap).
fn count_nodes(node: &Node, limit: usize) -> usize {
    let mut n = 0;
    let mut todo = vec![node];
    while let Some(x) = todo.pop() {
        n += 1;
        if n >= limit {
            return n;
        }
        match &x.kind {
            NodeKind::Seq(items) => todo.extend(items.iter()),
            NodeKind::Map(entries) => todo.extend(entries.iter().map(|e| &e.value)),
            NodeKind::Scalar { .. } => {}
        }
    }
    n
}

/// Core-schema tags (`!!str`, `!!int`, ...) are fine; custom tags (`!Ref`) mean something we
/// do not implement, so they are an error rather than silently ignored.
fn check_tag(file: &str, tag: &Option<Tag>, span: Span) -> Option<Diagnostic> {
    let t = tag.as_ref()?;
    if t.handle == "tag:yaml.org,2002:" || t.handle == "!!" {
        return None;
    }
    Some(
        Diagnostic::error(
            "yaml-tag",
            file,
            format!("YAML tag `{}{}` is not supported", t.handle, t.suffix),
        )
        .at(Some(span))
        .label("remove this tag")
        .help("stack files are plain YAML: no CloudFormation-style `!Ref` or custom tags"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map_keys(n: &Node) -> Vec<String> {
        match &n.kind {
            NodeKind::Map(e) => e.iter().map(|e| e.key.clone()).collect(),
            _ => vec![],
        }
    }

    #[test]
    fn spans_point_at_keys_and_values() {
        let src = "a: 1\nb:\n  c: \"x y\"\n  d: [1, 2]\n";
        let (root, diags) = parse("t.yaml", src);
        assert!(diags.is_empty(), "{diags:?}");
        let root = root.unwrap();
        assert_eq!(map_keys(&root), vec!["a", "b"]);
        let NodeKind::Map(e) = &root.kind else {
            panic!()
        };
        let NodeKind::Map(inner) = &e[1].value.kind else {
            panic!()
        };
        assert_eq!(inner[0].key_span().line, 3);
        assert_eq!(inner[0].key_span().col, 3);
        let v = inner[0].value.span();
        assert_eq!(&src[v.start..v.end], "\"x y\"");
    }

    #[test]
    fn non_ascii_offsets_are_bytes() {
        let src = "é: ünïcode\nk: v\n";
        let (root, _) = parse("t.yaml", src).clone();
        let root = root.unwrap();
        let NodeKind::Map(e) = &root.kind else {
            panic!()
        };
        assert_eq!(
            &src[e[0].value.span().start..e[0].value.span().end],
            "ünïcode"
        );
        assert_eq!(&src[e[1].key_span().start..e[1].key_span().end], "k");
        assert_eq!(e[1].key_span().line, 2);
    }

    #[test]
    fn duplicate_keys_report_both_positions() {
        let (_, diags) = parse("t.yaml", "a: 1\nb: 2\na: 3\n");
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].code, "duplicate-key");
        assert_eq!(diags[0].span.unwrap().line, 3);
        assert_eq!(diags[0].related[0].0.line, 1);
    }

    #[test]
    fn duplicate_keys_in_lists_and_large_maps_have_paths() {
        let src = "a:\n  - x: 1\n  - - p\n    - q: 1\n      q: 2\n  - y: 1\n    y: 2\n";
        let (root, diags) = parse("t.yaml", src);
        let paths: Vec<_> = diags.iter().map(|d| d.path.clone().unwrap()).collect();
        assert_eq!(paths, vec!["a[1][1].q", "a[2].y"]);
        let NodeKind::Map(e) = &root.unwrap().kind else {
            panic!()
        };
        let NodeKind::Seq(items) = &e[0].value.kind else {
            panic!()
        };
        assert_eq!(items.len(), 3);
        // Past the size where maps get a hash index.
        let mut src = String::new();
        for i in 0..40 {
            src.push_str(&format!("k{i}: {i}\n"));
        }
        src.push_str("k7: again\nk39: again\nk40: new\n");
        let (root, diags) = parse("t.yaml", &src);
        let lines: Vec<_> = diags
            .iter()
            .map(|d| (d.path.clone().unwrap(), d.related[0].0.line))
            .collect();
        assert_eq!(lines, vec![("k7".to_string(), 8), ("k39".to_string(), 40)]);
        assert_eq!(map_keys(&root.unwrap()).len(), 41);
    }

    #[test]
    fn alias_bomb_is_an_error() {
        let mut src = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            src.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let (root, diags) = parse("t.yaml", &src);
        assert!(root.is_none());
        assert_eq!(diags[0].code, "alias-bomb");
    }

    #[test]
    fn depth_is_bounded() {
        // Flow style: yaml-rust2's own recursion limit or ours, an error either way.
        let src = "[".repeat(10_000) + &"]".repeat(10_000);
        let (root, diags) = parse("t.yaml", &src);
        assert!(root.is_none());
        assert!(diags[0].is_error());
        // Block style goes through our limit.
        let mut src = String::new();
        for i in 0..200 {
            src.push_str(&" ".repeat(i));
            src.push_str("k:\n");
        }
        let (root, diags) = parse("t.yaml", &src);
        assert!(root.is_none());
        assert_eq!(diags[0].code, "too-deep");
        assert_eq!(diags[0].span.unwrap().line, 65);
    }
}
