//! Smithy RPC v2 CBOR (`rpc-v2-cbor`): routing by `/service/<Service>/operation/<Op>`, a
//! protocol-neutral document [`Value`] decoded from CBOR request bodies, and CBOR response and
//! error bodies as the AWS SDKs (aws-sdk-cloudwatch ≥ 1.100) expect them.
//!
//! [`Value`] is also what the JSON and query front ends of a multi-protocol service decode
//! into, so one handler serves all three protocols. Timestamps are a distinct variant because
//! each protocol renders them differently (CBOR tag 1, JSON epoch seconds, XML ISO 8601).

use std::collections::BTreeMap;

use super::super::api::{ApiError, Response};

/// Value of the `smithy-protocol` header on requests and responses.
pub const SMITHY_PROTOCOL: &str = "rpc-v2-cbor";
/// Content type of CBOR bodies.
pub const CONTENT_TYPE: &str = "application/cbor";

/// A protocol-neutral document.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Bytes(Vec<u8>),
    /// Seconds since the Unix epoch (fractional part = sub-second precision).
    Timestamp(f64),
    List(Vec<Value>),
    Map(BTreeMap<String, Value>),
}

impl Value {
    pub fn map() -> Value {
        Value::Map(BTreeMap::new())
    }

    pub fn as_map(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(l) => Some(l),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Float(f) => Some(*f),
            Value::Int(i) => Some(*i as f64),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// Member of a map value.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_map().and_then(|m| m.get(key))
    }

    /// Insert into a map value (no-op on other variants).
    pub fn insert(&mut self, key: &str, value: Value) {
        if let Value::Map(m) = self {
            m.insert(key.to_string(), value);
        }
    }

    /// The JSON rendering used by awsJson protocols: timestamps as epoch seconds, blobs as
    /// base64 strings.
    pub fn to_json(&self) -> serde_json::Value {
        use base64::Engine as _;
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Float(f) | Value::Timestamp(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                // NaN/inf have no JSON number; Smithy JSON protocols send them as strings.
                .unwrap_or_else(|| serde_json::Value::String(non_finite_name(*f).to_string())),
            Value::Str(s) => serde_json::Value::String(s.clone()),
            Value::Bytes(b) => {
                serde_json::Value::String(base64::engine::general_purpose::STANDARD.encode(b))
            }
            Value::List(l) => serde_json::Value::Array(l.iter().map(Value::to_json).collect()),
            Value::Map(m) => {
                serde_json::Value::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
            }
        }
    }

    /// Read a JSON document (request bodies of awsJson protocols, persisted state). Integral
    /// numbers become [`Value::Int`], others [`Value::Float`].
    pub fn from_json(json: &serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            serde_json::Value::String(s) => Value::Str(s.clone()),
            serde_json::Value::Array(a) => Value::List(a.iter().map(Value::from_json).collect()),
            serde_json::Value::Object(o) => Value::Map(
                o.iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            ),
        }
    }
}

fn non_finite_name(f: f64) -> &'static str {
    if f.is_nan() {
        "NaN"
    } else if f > 0.0 {
        "Infinity"
    } else {
        "-Infinity"
    }
}

// State files store documents as plain JSON.
impl serde::Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

impl<'de> serde::Deserialize<'de> for Value {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Value, D::Error> {
        let json = serde_json::Value::deserialize(deserializer)?;
        Ok(Value::from_json(&json))
    }
}

/// The operation named by an RPC v2 CBOR request path
/// `/service/<service_shape>/operation/<Op>` (no query string, no trailing parts).
pub fn operation_from_path<'a>(path: &'a str, service_shape: &str) -> Option<&'a str> {
    let rest = path.strip_prefix("/service/")?;
    let rest = rest.strip_prefix(service_shape)?;
    let op = rest.strip_prefix("/operation/")?;
    if op.is_empty() || op.contains('/') {
        return None;
    }
    Some(op)
}

/// Whether a request path has the RPC v2 CBOR shape at all (any service name).
pub fn is_rpc_v2_path(path: &str) -> bool {
    path.starts_with("/service/") && path.contains("/operation/")
}

/// Decode a request body. An empty body is an empty input structure (the protocol allows
/// clients to omit the body of operations without input members).
pub fn decode(body: &[u8]) -> Result<Value, String> {
    if body.is_empty() {
        return Ok(Value::map());
    }
    let raw: ciborium::Value =
        ciborium::de::from_reader(body).map_err(|e| format!("malformed CBOR body: {e}"))?;
    from_ciborium(raw)
}

fn from_ciborium(raw: ciborium::Value) -> Result<Value, String> {
    Ok(match raw {
        ciborium::Value::Null => Value::Null,
        ciborium::Value::Bool(b) => Value::Bool(b),
        ciborium::Value::Integer(i) => {
            let wide: i128 = i.into();
            Value::Int(i64::try_from(wide).map_err(|_| format!("integer {wide} out of range"))?)
        }
        ciborium::Value::Float(f) => Value::Float(f),
        ciborium::Value::Text(s) => Value::Str(s),
        ciborium::Value::Bytes(b) => Value::Bytes(b),
        ciborium::Value::Tag(1, inner) => match *inner {
            ciborium::Value::Integer(i) => {
                let wide: i128 = i.into();
                Value::Timestamp(wide as f64)
            }
            ciborium::Value::Float(f) => Value::Timestamp(f),
            _ => return Err("CBOR tag 1 must wrap a number".to_string()),
        },
        // Other tags carry no meaning in Smithy's data model; keep the content.
        ciborium::Value::Tag(_, inner) => from_ciborium(*inner)?,
        ciborium::Value::Array(items) => Value::List(
            items
                .into_iter()
                .map(from_ciborium)
                .collect::<Result<_, _>>()?,
        ),
        ciborium::Value::Map(entries) => {
            let mut map = BTreeMap::new();
            for (k, v) in entries {
                let ciborium::Value::Text(key) = k else {
                    return Err("CBOR map keys must be text strings".to_string());
                };
                map.insert(key, from_ciborium(v)?);
            }
            Value::Map(map)
        }
        _ => return Err("unsupported CBOR data item".to_string()),
    })
}

/// Encode a document. Floats are always 64-bit (the SDK decoders read doubles with
/// `f64()`), timestamps are tag 1 around an integer or a double, lengths are definite.
pub fn encode(value: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    encode_into(value, &mut out);
    out
}

fn head(major: u8, n: u64, out: &mut Vec<u8>) {
    let m = major << 5;
    if n < 24 {
        out.push(m | n as u8);
    } else if n <= 0xff {
        out.push(m | 24);
        out.push(n as u8);
    } else if n <= 0xffff {
        out.push(m | 25);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else if n <= 0xffff_ffff {
        out.push(m | 26);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    } else {
        out.push(m | 27);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn encode_int(i: i64, out: &mut Vec<u8>) {
    if i >= 0 {
        head(0, i as u64, out);
    } else {
        // Major type 1 encodes -1 - n.
        head(1, (-1 - i) as u64, out);
    }
}

fn encode_into(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.push(0xf6),
        Value::Bool(true) => out.push(0xf5),
        Value::Bool(false) => out.push(0xf4),
        Value::Int(i) => encode_int(*i, out),
        Value::Float(f) => {
            out.push(0xfb);
            out.extend_from_slice(&f.to_be_bytes());
        }
        Value::Timestamp(t) => {
            out.push(0xc1);
            if t.fract() == 0.0 && t.abs() < 9.0e15 {
                encode_int(*t as i64, out);
            } else {
                out.push(0xfb);
                out.extend_from_slice(&t.to_be_bytes());
            }
        }
        Value::Str(s) => {
            head(3, s.len() as u64, out);
            out.extend_from_slice(s.as_bytes());
        }
        Value::Bytes(b) => {
            head(2, b.len() as u64, out);
            out.extend_from_slice(b);
        }
        Value::List(items) => {
            head(4, items.len() as u64, out);
            for item in items {
                encode_into(item, out);
            }
        }
        Value::Map(m) => {
            head(5, m.len() as u64, out);
            for (k, v) in m {
                head(3, k.len() as u64, out);
                out.extend_from_slice(k.as_bytes());
                encode_into(v, out);
            }
        }
    }
}

/// A successful response. `None` = the operation has no output (Smithy `Unit`): empty body
/// and no content type, as the RPC v2 protocol tests expect.
pub fn response(output: Option<&Value>) -> Response {
    let resp = match output {
        Some(v) => Response::new(200, CONTENT_TYPE, encode(v)),
        None => Response {
            status: 200,
            headers: Vec::new(),
            body: bytes::Bytes::new(),
        },
    };
    resp.with_header("smithy-protocol", SMITHY_PROTOCOL)
}

/// An error response: a CBOR map with `__type` (the error shape name) and `message`. For
/// awsQuery-compatible services the legacy code goes into `x-amzn-query-error` as
/// `Code;Sender|Receiver`; the SDKs take the error code from that header when present.
pub fn error_response(err: &ApiError) -> Response {
    let mut body = Value::map();
    body.insert("__type", Value::Str(err.code.clone()));
    body.insert("message", Value::Str(err.message.clone()));
    let mut resp = Response::new(err.status, CONTENT_TYPE, encode(&body))
        .with_header("smithy-protocol", SMITHY_PROTOCOL);
    if let Some(q) = &err.query_code {
        let fault = if err.sender_fault {
            "Sender"
        } else {
            "Receiver"
        };
        resp = resp.with_header("x-amzn-query-error", format!("{q};{fault}"));
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_through_ciborium() {
        let mut m = Value::map();
        m.insert("A", Value::Int(-300));
        m.insert("B", Value::Float(80.0));
        m.insert(
            "C",
            Value::List(vec![Value::Str("x".into()), Value::Bool(true)]),
        );
        m.insert("T", Value::Timestamp(1_700_000_000.5));
        m.insert("U", Value::Timestamp(1_700_000_000.0));
        m.insert("big", Value::Int(1 << 40));
        let bytes = encode(&m);
        assert_eq!(decode(&bytes).unwrap(), m);
    }

    #[test]
    fn indefinite_length_map_from_sdk_is_decoded() {
        // {_ "AlarmName": "a"} as minicbor's begin_map() writes it.
        let mut bytes = vec![0xbf, 0x69];
        bytes.extend_from_slice(b"AlarmName");
        bytes.extend_from_slice(&[0x61, b'a', 0xff]);
        let v = decode(&bytes).unwrap();
        assert_eq!(v.get("AlarmName"), Some(&Value::Str("a".into())));
    }

    #[test]
    fn empty_body_is_empty_input() {
        assert_eq!(decode(b"").unwrap(), Value::map());
        assert!(decode(&[0xff, 0x00]).is_err());
    }

    #[test]
    fn path_routing() {
        let svc = "GraniteServiceVersion20100801";
        assert_eq!(
            operation_from_path(
                "/service/GraniteServiceVersion20100801/operation/DescribeAlarms",
                svc
            ),
            Some("DescribeAlarms")
        );
        assert_eq!(operation_from_path("/service/Other/operation/X", svc), None);
        assert_eq!(
            operation_from_path("/service/GraniteServiceVersion20100801/operation/", svc),
            None
        );
        assert!(is_rpc_v2_path("/service/Other/operation/X"));
        assert!(!is_rpc_v2_path("/"));
    }
}
