//! Input shapes, as the botocore / Smithy models declare them, and the one validator every
//! operation's input goes through before its handler runs.
//!
//! A shape is static data (`static CREATE_STAGE: Shape = structure(&[...])`). [`validate`]
//! walks a decoded [`Document`] along its shape and
//! - keeps only the members the shape declares (AWS ignores unknown members),
//! - converts awsQuery's text values to the declared types (`"60"` → 60, `"true"` → true),
//!   and JSON numbers / ISO strings of timestamp members to [`Document::Timestamp`],
//! - checks `required`, string length, `pattern`, `enum`, numeric range, and collection
//!   length, and words every violation as AWS services do: `Value 'x' at 'budget.budgetName'
//!   failed to satisfy constraint: Member must have length less than or equal to 100`.
//!
//! So a handler can rely on every declared constraint, and reads members without further
//! type checks.

use std::collections::BTreeMap;

use crate::document::Document;

/// A model shape.
#[derive(Debug)]
pub enum Shape {
    Str(Str),
    /// `integer` and `long`, with the model's `range`.
    Int {
        min: Option<i64>,
        max: Option<i64>,
    },
    /// `double` and `float`, with the model's `range`.
    Double {
        min: Option<f64>,
        max: Option<f64>,
    },
    Bool,
    Timestamp,
    Blob,
    List(List),
    Map(MapShape),
    Struct(&'static [Member]),
    /// Kept as sent (Smithy `document`, or members newer than the model we check against).
    Any,
}

/// A `string` shape.
#[derive(Debug)]
pub struct Str {
    pub min: usize,
    pub max: Option<usize>,
    pub pattern: Option<Pattern>,
    /// `enum` values; empty = any string.
    pub values: &'static [&'static str],
    /// `sensitive`: never echoed in messages.
    pub sensitive: bool,
}

/// A model `pattern`: the regular expression as the model writes it (for messages) and a
/// function that decides it. Model patterns use Java syntax (`\p{L}`, look-ahead) that no
/// small Rust regex engine accepts, so each is decided by hand.
pub struct Pattern {
    pub regex: &'static str,
    pub test: fn(&str) -> bool,
}

impl std::fmt::Debug for Pattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.regex)
    }
}

/// A `list` shape.
#[derive(Debug)]
pub struct List {
    pub member: &'static Shape,
    pub min: usize,
    pub max: Option<usize>,
}

/// A `map` shape.
#[derive(Debug)]
pub struct MapShape {
    pub key: &'static Shape,
    pub value: &'static Shape,
    pub min: usize,
    pub max: Option<usize>,
}

/// A member of a structure.
#[derive(Debug)]
pub struct Member {
    pub name: &'static str,
    pub shape: &'static Shape,
    pub required: bool,
    /// Where the REST protocols carry the member; the body for every other protocol.
    pub location: Location,
}

/// REST HTTP bindings (restJson1, restXml) of an input member (botocore `location`, or
/// the structure's `payload`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    Body,
    /// `{name}` in the request URI.
    Label,
    /// A query-string parameter (repeated for lists).
    Query(&'static str),
    /// A request header.
    Header(&'static str),
    /// The whole request body (restXml `payload`: S3's object bytes, a bucket policy's
    /// text, an XML configuration document).
    Payload,
}

// ---------------------------------------------------------------------------------------
// Constructors, so that shape tables read like the model.

/// A string of `min..=max` characters.
pub const fn string(min: usize, max: usize) -> Shape {
    Shape::Str(Str {
        min,
        max: Some(max),
        pattern: None,
        values: &[],
        sensitive: false,
    })
}

/// A string without constraints.
pub const fn any_string() -> Shape {
    Shape::Str(Str {
        min: 0,
        max: None,
        pattern: None,
        values: &[],
        sensitive: false,
    })
}

/// A string of `min..=max` characters matching `pattern`.
pub const fn pattern(min: usize, max: Option<usize>, pattern: Pattern) -> Shape {
    Shape::Str(Str {
        min,
        max,
        pattern: Some(pattern),
        values: &[],
        sensitive: false,
    })
}

/// A string enum.
pub const fn enumeration(values: &'static [&'static str]) -> Shape {
    Shape::Str(Str {
        min: 0,
        max: None,
        pattern: None,
        values,
        sensitive: false,
    })
}

/// An integer in `min..=max` (either bound optional).
pub const fn int(min: Option<i64>, max: Option<i64>) -> Shape {
    Shape::Int { min, max }
}

/// A list of `member`, at most `max` long.
pub const fn list(member: &'static Shape, min: usize, max: Option<usize>) -> Shape {
    Shape::List(List { member, min, max })
}

/// A map from `key` to `value`, at most `max` entries.
pub const fn map(key: &'static Shape, value: &'static Shape, max: Option<usize>) -> Shape {
    Shape::Map(MapShape {
        key,
        value,
        min: 0,
        max,
    })
}

/// An optional member in the body.
pub const fn member(name: &'static str, shape: &'static Shape) -> Member {
    Member {
        name,
        shape,
        required: false,
        location: Location::Body,
    }
}

/// A required member in the body.
pub const fn required(name: &'static str, shape: &'static Shape) -> Member {
    Member {
        name,
        shape,
        required: true,
        location: Location::Body,
    }
}

impl Member {
    /// The member is the URI label `{name}`.
    pub const fn label(self) -> Member {
        Member {
            location: Location::Label,
            ..self
        }
    }

    /// The member is the query-string parameter `key`.
    pub const fn query(self, key: &'static str) -> Member {
        Member {
            location: Location::Query(key),
            ..self
        }
    }

    /// The member is the header `name` (lowercase).
    pub const fn header(self, name: &'static str) -> Member {
        Member {
            location: Location::Header(name),
            ..self
        }
    }

    /// The member is the request body.
    pub const fn payload(self) -> Member {
        Member {
            location: Location::Payload,
            ..self
        }
    }
}

impl Shape {
    /// The members of a structure shape (none for other shapes).
    pub fn members(&self) -> &'static [Member] {
        match self {
            Shape::Struct(m) => m,
            _ => &[],
        }
    }

    fn type_name(&self) -> &'static str {
        match self {
            Shape::Str(_) => "string",
            Shape::Int { .. } => "integer",
            Shape::Double { .. } => "double",
            Shape::Bool => "boolean",
            Shape::Timestamp => "timestamp",
            Shape::Blob => "blob",
            Shape::List(_) => "list",
            Shape::Map(_) => "map",
            Shape::Struct(_) => "structure",
            Shape::Any => "document",
        }
    }
}

// ---------------------------------------------------------------------------------------
// Validation

/// Where the document came from, which decides how types are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// JSON or CBOR: values carry their types; a wrong type is a serialization error.
    Typed,
    /// awsQuery: every scalar is text, read as the shape's type.
    Text,
}

/// Why an input was refused.
#[derive(Debug, Clone, PartialEq)]
pub enum Invalid {
    /// A value of the wrong type (JSON / CBOR): AWS answers `SerializationException`.
    Type(String),
    /// Model constraint violations, each worded `Value … at '…' failed to satisfy
    /// constraint: …`.
    Constraints(Vec<String>),
}

/// Validate `input` against the structure `shape`, returning the typed document the handler
/// gets.
pub fn validate(input: Document, shape: &Shape, source: Source) -> Result<Document, Invalid> {
    let mut v = Validator {
        source,
        violations: Vec::new(),
        type_error: None,
    };
    let out = v.coerce(input, shape, "");
    if let Some(e) = v.type_error {
        return Err(Invalid::Type(e));
    }
    if !v.violations.is_empty() {
        return Err(Invalid::Constraints(v.violations));
    }
    Ok(out.unwrap_or_else(Document::map))
}

/// `1 validation error detected: …` / `N validation errors detected: a; b`.
pub fn validation_message(violations: &[String]) -> String {
    match violations.len() {
        1 => format!("1 validation error detected: {}", violations[0]),
        n => format!("{n} validation errors detected: {}", violations.join("; ")),
    }
}

/// One violation, worded as AWS services do. `value: None` prints as `null`.
pub fn violation(value: Option<&str>, path: &str, constraint: &str) -> String {
    match value {
        Some(v) => format!("Value '{v}' at '{path}' failed to satisfy constraint: {constraint}"),
        None => format!("Value null at '{path}' failed to satisfy constraint: {constraint}"),
    }
}

/// `PolicyName` → `policyName`: how AWS names members in validation messages.
pub fn lower_camel(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

const SENSITIVE: &str = "*** sensitive data ***";

struct Validator {
    source: Source,
    violations: Vec<String>,
    type_error: Option<String>,
}

impl Validator {
    fn add(&mut self, value: Option<&str>, path: &str, constraint: &str) {
        self.violations.push(violation(value, path, constraint));
    }

    /// A value of the wrong type. JSON / CBOR input is a serialization error (the first one
    /// is reported); awsQuery text that does not parse is a constraint violation.
    fn mismatch(&mut self, v: &Document, shape: &Shape, path: &str) -> Option<Document> {
        match self.source {
            Source::Text => {
                let shown = describe(v, shape);
                let what = match shape {
                    Shape::Int { .. } => "Member must be a valid integer",
                    Shape::Double { .. } => "Member must be a valid number",
                    Shape::Bool => "Member must be a valid boolean",
                    Shape::Timestamp => "Member must be a valid timestamp",
                    Shape::Blob => "Member must be valid base64",
                    _ => "Member must be a structure, list or map",
                };
                self.add(Some(&shown), path, what);
            }
            Source::Typed => {
                if self.type_error.is_none() {
                    let at = if path.is_empty() { "the input" } else { path };
                    self.type_error = Some(format!(
                        "Expected a {} at '{at}', found {}",
                        shape.type_name(),
                        kind_of(v)
                    ));
                }
            }
        }
        None
    }

    fn coerce(&mut self, v: Document, shape: &Shape, path: &str) -> Option<Document> {
        match shape {
            Shape::Any => Some(v),
            Shape::Str(s) => {
                let Document::Str(text) = v else {
                    return self.mismatch(&v, shape, path);
                };
                self.check_string(&text, s, path);
                Some(Document::Str(text))
            }
            Shape::Int { min, max } => {
                let i = match v {
                    Document::Int(i) => i,
                    // Some encoders write whole numbers as floats (CBOR half/single floats).
                    Document::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => f as i64,
                    Document::Str(ref s) if self.source == Source::Text => {
                        match s.trim().parse::<i64>() {
                            Ok(i) => i,
                            Err(_) => return self.mismatch(&v, shape, path),
                        }
                    }
                    _ => return self.mismatch(&v, shape, path),
                };
                if let Some(min) = min.filter(|m| i < *m) {
                    self.add(
                        Some(&i.to_string()),
                        path,
                        &format!("Member must have value greater than or equal to {min}"),
                    );
                } else if let Some(max) = max.filter(|m| i > *m) {
                    self.add(
                        Some(&i.to_string()),
                        path,
                        &format!("Member must have value less than or equal to {max}"),
                    );
                }
                Some(Document::Int(i))
            }
            Shape::Double { min, max } => {
                let f = match v {
                    Document::Float(f) => f,
                    Document::Int(i) => i as f64,
                    Document::Str(ref s) => match parse_double(s, self.source) {
                        Some(f) => f,
                        None => return self.mismatch(&v, shape, path),
                    },
                    _ => return self.mismatch(&v, shape, path),
                };
                if let Some(min) = min.filter(|m| f < *m) {
                    self.add(
                        Some(&f.to_string()),
                        path,
                        &format!("Member must have value greater than or equal to {min}"),
                    );
                } else if let Some(max) = max.filter(|m| f > *m) {
                    self.add(
                        Some(&f.to_string()),
                        path,
                        &format!("Member must have value less than or equal to {max}"),
                    );
                }
                Some(Document::Float(f))
            }
            Shape::Bool => match v {
                Document::Bool(b) => Some(Document::Bool(b)),
                Document::Str(ref s) if self.source == Source::Text => {
                    if s.eq_ignore_ascii_case("true") {
                        Some(Document::Bool(true))
                    } else if s.eq_ignore_ascii_case("false") {
                        Some(Document::Bool(false))
                    } else {
                        self.mismatch(&v, shape, path)
                    }
                }
                _ => self.mismatch(&v, shape, path),
            },
            Shape::Timestamp => match v {
                Document::Timestamp(t) | Document::Float(t) => Some(Document::Timestamp(t)),
                Document::Int(i) => Some(Document::Timestamp(i as f64)),
                Document::Str(ref s) => match crate::time::parse_text(s) {
                    Some(t) => Some(Document::Timestamp(t)),
                    None => self.mismatch(&v, shape, path),
                },
                _ => self.mismatch(&v, shape, path),
            },
            Shape::Blob => match v {
                Document::Bytes(b) => Some(Document::Bytes(b)),
                Document::Str(ref s) => {
                    use base64::Engine as _;
                    match base64::engine::general_purpose::STANDARD.decode(s.trim()) {
                        Ok(b) => Some(Document::Bytes(b)),
                        Err(_) => self.mismatch(&v, shape, path),
                    }
                }
                _ => self.mismatch(&v, shape, path),
            },
            Shape::List(l) => {
                let items = match v {
                    Document::List(items) => items,
                    // awsQuery writes an empty list as a bare `Name=`.
                    Document::Str(ref s) if self.source == Source::Text && s.is_empty() => {
                        Vec::new()
                    }
                    _ => return self.mismatch(&v, shape, path),
                };
                self.check_count(items.len(), l.min, l.max, path, || {
                    describe(&Document::List(items.clone()), shape)
                });
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.into_iter().enumerate() {
                    if matches!(item, Document::Null) {
                        continue;
                    }
                    let item_path = format!("{path}.{}.member", i + 1);
                    if let Some(c) = self.coerce(item, l.member, &item_path) {
                        out.push(c);
                    }
                }
                Some(Document::List(out))
            }
            Shape::Map(m) => {
                let Document::Map(entries) = v else {
                    return self.mismatch(&v, shape, path);
                };
                self.check_count(entries.len(), m.min, m.max, path, || {
                    describe(&Document::Map(entries.clone()), shape)
                });
                let mut out = BTreeMap::new();
                for (k, value) in entries {
                    if let Shape::Str(ks) = m.key {
                        self.check_map_key(&k, ks, path);
                    }
                    if matches!(value, Document::Null) {
                        continue;
                    }
                    let value_path = format!("{path}.{k}");
                    if let Some(c) = self.coerce(value, m.value, &value_path) {
                        out.insert(k, c);
                    }
                }
                Some(Document::Map(out))
            }
            Shape::Struct(members) => {
                let Document::Map(mut given) = v else {
                    return self.mismatch(&v, shape, path);
                };
                let mut out = BTreeMap::new();
                for m in members.iter() {
                    let member_path = if path.is_empty() {
                        lower_camel(m.name)
                    } else {
                        format!("{path}.{}", lower_camel(m.name))
                    };
                    match given.remove(m.name) {
                        None | Some(Document::Null) => {
                            if m.required {
                                self.add(None, &member_path, "Member must not be null");
                            }
                        }
                        Some(value) => {
                            if let Some(c) = self.coerce(value, m.shape, &member_path) {
                                out.insert(m.name.to_string(), c);
                            }
                        }
                    }
                }
                // Unknown members are ignored, as AWS services do.
                Some(Document::Map(out))
            }
        }
    }

    fn check_string(&mut self, text: &str, s: &Str, path: &str) {
        let shown = if s.sensitive { SENSITIVE } else { text };
        if !s.values.is_empty() {
            if !s.values.contains(&text) {
                self.add(
                    Some(shown),
                    path,
                    &format!(
                        "Member must satisfy enum value set: [{}]",
                        s.values.join(", ")
                    ),
                );
            }
            return;
        }
        for constraint in string_constraints(text, s) {
            self.add(Some(shown), path, &constraint);
        }
    }

    fn check_map_key(&mut self, key: &str, s: &Str, path: &str) {
        let mut broken = string_constraints(key, s);
        if !s.values.is_empty() && !s.values.contains(&key) {
            broken.push(format!(
                "Member must satisfy enum value set: [{}]",
                s.values.join(", ")
            ));
        }
        if !broken.is_empty() {
            self.add(
                Some(key),
                path,
                &format!("Map keys must satisfy constraint: [{}]", broken.join(", ")),
            );
        }
    }

    fn check_count(
        &mut self,
        n: usize,
        min: usize,
        max: Option<usize>,
        path: &str,
        shown: impl FnOnce() -> String,
    ) {
        if n < min {
            self.add(
                Some(&shown()),
                path,
                &format!("Member must have length greater than or equal to {min}"),
            );
        } else if let Some(max) = max.filter(|m| n > *m) {
            self.add(
                Some(&shown()),
                path,
                &format!("Member must have length less than or equal to {max}"),
            );
        }
    }
}

/// The length and pattern constraints `text` breaks (each reported, as AWS does).
fn string_constraints(text: &str, s: &Str) -> Vec<String> {
    let mut out = Vec::new();
    let len = text.chars().count();
    if len < s.min {
        out.push(format!(
            "Member must have length greater than or equal to {}",
            s.min
        ));
    } else if let Some(max) = s.max.filter(|m| len > *m) {
        out.push(format!(
            "Member must have length less than or equal to {max}"
        ));
    }
    if let Some(p) = &s.pattern
        && !(p.test)(text)
    {
        out.push(format!(
            "Member must satisfy regular expression pattern: {}",
            p.regex
        ));
    }
    out
}

fn parse_double(s: &str, source: Source) -> Option<f64> {
    match s {
        // The JSON protocols send non-finite doubles as strings.
        "NaN" => Some(f64::NAN),
        "Infinity" => Some(f64::INFINITY),
        "-Infinity" => Some(f64::NEG_INFINITY),
        _ if source == Source::Text => s.trim().parse::<f64>().ok(),
        _ => None,
    }
}

fn kind_of(v: &Document) -> &'static str {
    match v {
        Document::Null => "null",
        Document::Bool(_) => "a boolean",
        Document::Int(_) | Document::Float(_) => "a number",
        Document::Str(_) => "a string",
        Document::Bytes(_) => "a blob",
        Document::Timestamp(_) => "a timestamp",
        Document::List(_) => "a list",
        Document::Map(_) => "an object",
    }
}

/// Java-style rendering of a value in validation messages (`[a, b]`, `{Key=k, Value=v}`),
/// with the members the model marks `sensitive` replaced.
pub fn describe(v: &Document, shape: &Shape) -> String {
    if let Shape::Str(Str {
        sensitive: true, ..
    }) = shape
    {
        return SENSITIVE.to_string();
    }
    match v {
        Document::Str(s) => s.clone(),
        Document::Int(i) => i.to_string(),
        Document::Float(f) | Document::Timestamp(f) => f.to_string(),
        Document::Bool(b) => b.to_string(),
        Document::List(l) => {
            let member = match shape {
                Shape::List(l) => l.member,
                _ => &Shape::Any,
            };
            format!(
                "[{}]",
                l.iter()
                    .map(|x| describe(x, member))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
        Document::Map(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, x)| {
                    let inner = match shape {
                        Shape::Map(ms) => ms.value,
                        Shape::Struct(members) => members
                            .iter()
                            .find(|mm| mm.name == k)
                            .map_or(&Shape::Any, |mm| mm.shape),
                        _ => &Shape::Any,
                    };
                    format!("{k}={}", describe(x, inner))
                })
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Document::Null => "null".to_string(),
        Document::Bytes(_) => "<blob>".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static NAME: Shape = string(1, 5);
    static CODE: Shape = pattern(
        0,
        None,
        Pattern {
            regex: "[a-z]*",
            test: |s| s.chars().all(|c| c.is_ascii_lowercase()),
        },
    );
    static COLOR: Shape = enumeration(&["RED", "BLUE"]);
    static COUNT: Shape = int(Some(1), Some(10));
    static RATIO: Shape = Shape::Double {
        min: Some(0.0),
        max: None,
    };
    static SECRET: Shape = Shape::Str(Str {
        min: 3,
        max: None,
        pattern: None,
        values: &[],
        sensitive: true,
    });
    static ITEM: Shape = Shape::Struct(&[required("Name", &NAME), member("Secret", &SECRET)]);
    static ITEMS: Shape = list(&ITEM, 0, Some(2));
    static TAGS: Shape = map(&NAME, &NAME, Some(1));
    static WHEN: Shape = Shape::Timestamp;
    static INPUT: Shape = Shape::Struct(&[
        required("Name", &NAME),
        member("Code", &CODE),
        member("Color", &COLOR),
        member("Count", &COUNT),
        member("Ratio", &RATIO),
        member("Items", &ITEMS),
        member("Tags", &TAGS),
        member("When", &WHEN),
    ]);

    fn json(s: &str) -> Document {
        serde_json::from_str(s).unwrap()
    }

    fn violations(r: Result<Document, Invalid>) -> Vec<String> {
        match r {
            Err(Invalid::Constraints(v)) => v,
            other => panic!("expected violations, got {other:?}"),
        }
    }

    #[test]
    fn typed_input_passes_and_unknown_members_are_dropped() {
        let out = validate(
            json(r#"{"Name":"abc","Count":3,"Ratio":2,"When":1700000000,"Extra":1}"#),
            &INPUT,
            Source::Typed,
        )
        .unwrap();
        assert_eq!(out.get("Count"), Some(&Document::Int(3)));
        assert_eq!(out.get("Ratio"), Some(&Document::Float(2.0)));
        assert_eq!(out.get("When"), Some(&Document::Timestamp(1.7e9)));
        assert_eq!(out.get("Extra"), None);
    }

    #[test]
    fn every_violation_is_worded_like_aws() {
        let v = violations(validate(
            json(
                r#"{"Code":"AB","Color":"GREEN","Count":0,"Ratio":-1,
                    "Items":[{"Secret":"x"},{"Name":"a"},{"Name":"b"}],"Tags":{"k":"v","toolong":"x"}}"#,
            ),
            &INPUT,
            Source::Typed,
        ));
        assert_eq!(
            v,
            vec![
                "Value null at 'name' failed to satisfy constraint: Member must not be null",
                "Value 'AB' at 'code' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-z]*",
                "Value 'GREEN' at 'color' failed to satisfy constraint: Member must satisfy enum value set: [RED, BLUE]",
                "Value '0' at 'count' failed to satisfy constraint: Member must have value greater than or equal to 1",
                "Value '-1' at 'ratio' failed to satisfy constraint: Member must have value greater than or equal to 0",
                "Value '[{Secret=*** sensitive data ***}, {Name=a}, {Name=b}]' at 'items' failed to satisfy constraint: Member must have length less than or equal to 2",
                "Value null at 'items.1.member.name' failed to satisfy constraint: Member must not be null",
                "Value '*** sensitive data ***' at 'items.1.member.secret' failed to satisfy constraint: Member must have length greater than or equal to 3",
                "Value '{k=v, toolong=x}' at 'tags' failed to satisfy constraint: Member must have length less than or equal to 1",
                "Value 'toolong' at 'tags' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 5]",
            ]
        );
        assert!(validation_message(&v[..1]).starts_with("1 validation error detected: Value null"));
        assert!(validation_message(&v).starts_with("10 validation errors detected: "));
    }

    #[test]
    fn wrong_json_types_are_serialization_errors() {
        let r = validate(json(r#"{"Name":5}"#), &INPUT, Source::Typed);
        assert_eq!(
            r,
            Err(Invalid::Type(
                "Expected a string at 'name', found a number".into()
            ))
        );
        assert!(matches!(
            validate(json("[1]"), &INPUT, Source::Typed),
            Err(Invalid::Type(_))
        ));
    }

    #[test]
    fn text_input_is_read_as_the_declared_types() {
        let mut m = BTreeMap::new();
        m.insert("Name".to_string(), Document::str("abc"));
        m.insert("Count".to_string(), Document::str("7"));
        m.insert("Ratio".to_string(), Document::str("0.5"));
        m.insert("When".to_string(), Document::str("2023-11-14T22:13:20Z"));
        m.insert("Items".to_string(), Document::str(""));
        let out = validate(Document::Map(m.clone()), &INPUT, Source::Text).unwrap();
        assert_eq!(out.get("Count"), Some(&Document::Int(7)));
        assert_eq!(out.get("Ratio"), Some(&Document::Float(0.5)));
        assert_eq!(out.get("When"), Some(&Document::Timestamp(1.7e9)));
        assert_eq!(out.get("Items"), Some(&Document::List(vec![])));
        m.insert("Count".to_string(), Document::str("x"));
        assert_eq!(
            violations(validate(Document::Map(m), &INPUT, Source::Text)),
            vec![
                "Value 'x' at 'count' failed to satisfy constraint: Member must be a valid integer"
            ]
        );
    }
}
