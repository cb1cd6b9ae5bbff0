//! The protocol-neutral document every request is decoded into and every response is
//! encoded from, whatever the wire protocol (restJson1, awsJson, awsQuery, RPC v2 CBOR).
//!
//! Handlers only ever see a [`Document`] that the operation's input shape has already
//! type-checked (`shape.rs`), and return one; the protocol modules turn it into bytes.
//! Timestamps are their own variant because each protocol writes them differently (CBOR
//! tag 1, JSON epoch seconds or ISO-8601, XML ISO-8601). `Null` as a handler's output means
//! "no output" (Smithy `Unit`): no body in CBOR, `{}` in JSON, no `Result` element in XML.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;

/// A protocol-neutral value.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Document {
    #[default]
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Bytes(Vec<u8>),
    /// Seconds since the Unix epoch (the fractional part is sub-second precision).
    Timestamp(f64),
    List(Vec<Document>),
    Map(BTreeMap<String, Document>),
}

impl Document {
    /// An empty structure.
    pub fn map() -> Document {
        Document::Map(BTreeMap::new())
    }

    /// The output of an operation that has none (Smithy `Unit`).
    pub fn unit() -> Document {
        Document::Null
    }

    /// A structure from `(member, value)` pairs; `Null` values are left out.
    pub fn from_pairs<K: Into<String>>(pairs: impl IntoIterator<Item = (K, Document)>) -> Document {
        Document::Map(
            pairs
                .into_iter()
                .filter(|(_, v)| !matches!(v, Document::Null))
                .map(|(k, v)| (k.into(), v))
                .collect(),
        )
    }

    /// A string value.
    pub fn str(s: impl Into<String>) -> Document {
        Document::Str(s.into())
    }

    /// A string value, or `Null` (left out of a structure) when absent.
    pub fn opt_str(s: Option<impl Into<String>>) -> Document {
        s.map_or(Document::Null, |s| Document::Str(s.into()))
    }

    /// A list of strings.
    pub fn strings<S: Into<String>>(items: impl IntoIterator<Item = S>) -> Document {
        Document::List(items.into_iter().map(|s| Document::Str(s.into())).collect())
    }

    /// A `map<string,string>`.
    pub fn string_map<'a>(m: impl IntoIterator<Item = (&'a String, &'a String)>) -> Document {
        Document::Map(
            m.into_iter()
                .map(|(k, v)| (k.clone(), Document::Str(v.clone())))
                .collect(),
        )
    }

    pub fn as_map(&self) -> Option<&BTreeMap<String, Document>> {
        match self {
            Document::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Document::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_list(&self) -> Option<&[Document]> {
        match self {
            Document::List(l) => Some(l),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Document::Int(i) => Some(*i),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Document::Float(f) | Document::Timestamp(f) => Some(*f),
            Document::Int(i) => Some(*i as f64),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Document::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// Member of a structure (`None` when absent, null, or not a structure).
    pub fn get(&self, key: &str) -> Option<&Document> {
        match self.as_map()?.get(key) {
            Some(Document::Null) | None => None,
            Some(v) => Some(v),
        }
    }

    /// A string member.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Document::as_str)
    }

    /// An integer member.
    pub fn get_i64(&self, key: &str) -> Option<i64> {
        self.get(key).and_then(Document::as_i64)
    }

    /// A boolean member.
    pub fn get_bool(&self, key: &str) -> Option<bool> {
        self.get(key).and_then(Document::as_bool)
    }

    /// A list member (empty when absent).
    pub fn get_list(&self, key: &str) -> &[Document] {
        self.get(key).and_then(Document::as_list).unwrap_or(&[])
    }

    /// A list-of-strings member (empty when absent).
    pub fn get_strings(&self, key: &str) -> Vec<String> {
        self.get_list(key)
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect()
    }

    /// A `map<string,string>` member (empty when absent).
    pub fn get_string_map(&self, key: &str) -> BTreeMap<String, String> {
        self.get(key)
            .and_then(Document::as_map)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Insert into a structure (no-op on other variants).
    pub fn insert(&mut self, key: &str, value: Document) {
        if let Document::Map(m) = self {
            m.insert(key.to_string(), value);
        }
    }

    /// Remove a member of a structure.
    pub fn take(&mut self, key: &str) -> Option<Document> {
        match self {
            Document::Map(m) => m.remove(key),
            _ => None,
        }
    }

    /// The JSON value of this document as awsJson writes it (timestamps as epoch seconds,
    /// blobs as base64). Used to hand validated input to serde-typed state structs.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// Read a JSON value: integral numbers become [`Document::Int`], others
    /// [`Document::Float`].
    pub fn from_json(json: &serde_json::Value) -> Document {
        match json {
            serde_json::Value::Null => Document::Null,
            serde_json::Value::Bool(b) => Document::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Document::Int(i),
                None => Document::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            serde_json::Value::String(s) => Document::Str(s.clone()),
            serde_json::Value::Array(a) => {
                Document::List(a.iter().map(Document::from_json).collect())
            }
            serde_json::Value::Object(o) => Document::Map(
                o.iter()
                    .map(|(k, v)| (k.clone(), Document::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// Convert into a serde type (validated input into a state struct). A failure means the
    /// struct and the input shape disagree.
    pub fn decode<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_value(self.to_json())
    }

    /// A serde value as a document (state structs into output).
    pub fn encode<T: serde::Serialize>(value: &T) -> Document {
        serde_json::to_value(value)
            .map(|v| Document::from_json(&v))
            .unwrap_or(Document::Null)
    }
}

/// How a timestamp is written in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonTimestamps {
    /// Epoch seconds, an integer when whole (awsJson, and the persisted state).
    Epoch,
    /// ISO-8601 strings (restJson1 members declared `timestampFormat: iso8601`).
    Iso8601,
}

/// A document written as JSON with a chosen timestamp format, without an intermediate
/// `serde_json::Value`.
pub struct Json<'a>(pub &'a Document, pub JsonTimestamps);

impl serde::Serialize for Json<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        let Json(doc, ts) = *self;
        match doc {
            Document::Null => s.serialize_unit(),
            Document::Bool(b) => s.serialize_bool(*b),
            Document::Int(i) => s.serialize_i64(*i),
            Document::Float(f) => serialize_float(*f, s),
            Document::Timestamp(t) => match ts {
                JsonTimestamps::Epoch if t.fract() == 0.0 && t.abs() < 9.0e15 => {
                    s.serialize_i64(*t as i64)
                }
                JsonTimestamps::Epoch => serialize_float(*t, s),
                JsonTimestamps::Iso8601 => s.serialize_str(&crate::time::iso8601(*t, false)),
            },
            Document::Str(v) => s.serialize_str(v),
            Document::Bytes(b) => {
                s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(b))
            }
            Document::List(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&Json(item, ts))?;
                }
                seq.end()
            }
            Document::Map(members) => {
                let mut map = s.serialize_map(Some(members.len()))?;
                for (k, v) in members {
                    map.serialize_entry(k, &Json(v, ts))?;
                }
                map.end()
            }
        }
    }
}

/// NaN and the infinities have no JSON number; Smithy's JSON protocols send them as strings.
fn serialize_float<S: serde::Serializer>(f: f64, s: S) -> Result<S::Ok, S::Error> {
    if f.is_finite() {
        s.serialize_f64(f)
    } else if f.is_nan() {
        s.serialize_str("NaN")
    } else if f > 0.0 {
        s.serialize_str("Infinity")
    } else {
        s.serialize_str("-Infinity")
    }
}

// The persisted state stores documents as plain JSON, timestamps as epoch seconds.
impl serde::Serialize for Document {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Json(self, JsonTimestamps::Epoch).serialize(serializer)
    }
}

impl<'de> serde::Deserialize<'de> for Document {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Document, D::Error> {
        deserializer.deserialize_any(DocumentVisitor)
    }
}

/// Reads any self-describing input (JSON bodies, state files) straight into a document.
struct DocumentVisitor;

impl<'de> serde::de::Visitor<'de> for DocumentVisitor {
    type Value = Document;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Document, E> {
        Ok(Document::Null)
    }

    fn visit_none<E>(self) -> Result<Document, E> {
        Ok(Document::Null)
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Document, D::Error> {
        d.deserialize_any(DocumentVisitor)
    }

    fn visit_bool<E>(self, b: bool) -> Result<Document, E> {
        Ok(Document::Bool(b))
    }

    fn visit_i64<E>(self, i: i64) -> Result<Document, E> {
        Ok(Document::Int(i))
    }

    fn visit_u64<E>(self, u: u64) -> Result<Document, E> {
        Ok(match i64::try_from(u) {
            Ok(i) => Document::Int(i),
            Err(_) => Document::Float(u as f64),
        })
    }

    fn visit_f64<E>(self, f: f64) -> Result<Document, E> {
        Ok(Document::Float(f))
    }

    fn visit_str<E>(self, s: &str) -> Result<Document, E> {
        Ok(Document::Str(s.to_string()))
    }

    fn visit_string<E>(self, s: String) -> Result<Document, E> {
        Ok(Document::Str(s))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Document, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Document::List(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Document, A::Error> {
        let mut members = BTreeMap::new();
        while let Some((k, v)) = map.next_entry::<String, Document>()? {
            members.insert(k, v);
        }
        Ok(Document::Map(members))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trip_keeps_ints_and_floats_apart() {
        let doc: Document =
            serde_json::from_str(r#"{"a":1,"b":2.0,"c":[true,null,"x"],"d":18446744073709551615}"#)
                .unwrap();
        assert_eq!(doc.get("a"), Some(&Document::Int(1)));
        assert_eq!(doc.get("b"), Some(&Document::Float(2.0)));
        assert_eq!(doc.get_list("c").len(), 3);
        assert!(matches!(doc.get("d"), Some(Document::Float(_))));
        let back = serde_json::to_string(&doc).unwrap();
        assert!(back.contains("\"b\":2.0"), "{back}");
    }

    #[test]
    fn timestamps_per_json_style() {
        let doc = Document::from_pairs([
            ("t", Document::Timestamp(1_700_000_000.0)),
            ("u", Document::Timestamp(1.5)),
            ("n", Document::Float(f64::NAN)),
        ]);
        let epoch = serde_json::to_string(&Json(&doc, JsonTimestamps::Epoch)).unwrap();
        assert_eq!(epoch, r#"{"n":"NaN","t":1700000000,"u":1.5}"#);
        let iso = serde_json::to_string(&Json(&doc, JsonTimestamps::Iso8601)).unwrap();
        assert!(iso.contains(r#""t":"2023-11-14T22:13:20Z""#), "{iso}");
    }

    #[test]
    fn null_members_are_absent() {
        let doc = Document::from_pairs([("a", Document::Null), ("b", Document::str("x"))]);
        assert_eq!(doc.as_map().unwrap().len(), 1);
        let mut with_null = Document::map();
        with_null.insert("a", Document::Null);
        assert_eq!(with_null.get("a"), None);
    }
}
