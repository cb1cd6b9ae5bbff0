//! Smithy RPC v2 CBOR (`rpc-v2-cbor`), which the AWS SDKs for Rust, Go and Java use for
//! CloudWatch (aws-sdk-cloudwatch ≥ 1.100): routing by `/service/<Service>/operation/<Op>`,
//! CBOR request bodies decoded into a [`Document`], CBOR responses and errors (`__type` +
//! `message`, `smithy-protocol: rpc-v2-cbor` on every response). Timestamps are CBOR tag 1
//! around epoch seconds.

use std::collections::BTreeMap;

use crate::api::{ApiError, Response};
use crate::document::Document;

/// Value of the `smithy-protocol` header on requests and responses.
pub const SMITHY_PROTOCOL: &str = "rpc-v2-cbor";
/// Content type of CBOR bodies.
pub const CONTENT_TYPE: &str = "application/cbor";

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
pub fn decode(body: &[u8]) -> Result<Document, String> {
    if body.is_empty() {
        return Ok(Document::map());
    }
    let raw: ciborium::Value =
        ciborium::de::from_reader(body).map_err(|e| format!("malformed CBOR body: {e}"))?;
    from_ciborium(raw)
}

fn from_ciborium(raw: ciborium::Value) -> Result<Document, String> {
    Ok(match raw {
        ciborium::Value::Null => Document::Null,
        ciborium::Value::Bool(b) => Document::Bool(b),
        ciborium::Value::Integer(i) => {
            let wide: i128 = i.into();
            Document::Int(i64::try_from(wide).map_err(|_| format!("integer {wide} out of range"))?)
        }
        ciborium::Value::Float(f) => Document::Float(f),
        ciborium::Value::Text(s) => Document::Str(s),
        ciborium::Value::Bytes(b) => Document::Bytes(b),
        ciborium::Value::Tag(1, inner) => match *inner {
            ciborium::Value::Integer(i) => {
                let wide: i128 = i.into();
                Document::Timestamp(wide as f64)
            }
            ciborium::Value::Float(f) => Document::Timestamp(f),
            _ => return Err("CBOR tag 1 must wrap a number".to_string()),
        },
        // Other tags carry no meaning in Smithy's data model; keep the content.
        ciborium::Value::Tag(_, inner) => from_ciborium(*inner)?,
        ciborium::Value::Array(items) => Document::List(
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
            Document::Map(map)
        }
        _ => return Err("unsupported CBOR data item".to_string()),
    })
}

/// Encode a document. Floats are always 64-bit (the SDK decoders read doubles with
/// `f64()`), timestamps are tag 1 around an integer or a double, lengths are definite.
pub fn encode(value: &Document) -> Vec<u8> {
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

fn encode_into(value: &Document, out: &mut Vec<u8>) {
    match value {
        Document::Null => out.push(0xf6),
        Document::Bool(true) => out.push(0xf5),
        Document::Bool(false) => out.push(0xf4),
        Document::Int(i) => encode_int(*i, out),
        Document::Float(f) => {
            out.push(0xfb);
            out.extend_from_slice(&f.to_be_bytes());
        }
        Document::Timestamp(t) => {
            out.push(0xc1);
            if t.fract() == 0.0 && t.abs() < 9.0e15 {
                encode_int(*t as i64, out);
            } else {
                out.push(0xfb);
                out.extend_from_slice(&t.to_be_bytes());
            }
        }
        Document::Str(s) => {
            head(3, s.len() as u64, out);
            out.extend_from_slice(s.as_bytes());
        }
        Document::Bytes(b) => {
            head(2, b.len() as u64, out);
            out.extend_from_slice(b);
        }
        Document::List(items) => {
            head(4, items.len() as u64, out);
            for item in items {
                encode_into(item, out);
            }
        }
        Document::Map(m) => {
            head(5, m.len() as u64, out);
            for (k, v) in m {
                head(3, k.len() as u64, out);
                out.extend_from_slice(k.as_bytes());
                encode_into(v, out);
            }
        }
    }
}

/// A successful response. Operations without output (Smithy `Unit`) get an empty body and
/// no content type, as the RPC v2 protocol tests expect.
pub fn response(output: &Document) -> Response {
    let resp = match output {
        Document::Null => Response {
            status: 200,
            headers: Vec::new(),
            body: bytes::Bytes::new(),
        },
        v => Response::new(200, CONTENT_TYPE, encode(v)),
    };
    resp.with_header("smithy-protocol", SMITHY_PROTOCOL)
}

/// An error response: a CBOR map with `__type` (the error shape name) and `message`.
pub fn error_response(err: &ApiError) -> Response {
    let mut body = Document::map();
    body.insert("__type", Document::Str(err.code.clone()));
    body.insert("message", Document::Str(err.message.clone()));
    Response::new(err.status, CONTENT_TYPE, encode(&body))
        .with_header("smithy-protocol", SMITHY_PROTOCOL)
}

/// AWS's answer to an operation path it does not know.
pub fn unknown_operation(path: &str) -> ApiError {
    ApiError::new(
        404,
        "UnknownOperationException",
        format!("The operation at {path} is not supported by this endpoint."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_through_ciborium() {
        let mut m = Document::map();
        m.insert("A", Document::Int(-300));
        m.insert("B", Document::Float(80.0));
        m.insert(
            "C",
            Document::List(vec![Document::Str("x".into()), Document::Bool(true)]),
        );
        m.insert("T", Document::Timestamp(1_700_000_000.5));
        m.insert("U", Document::Timestamp(1_700_000_000.0));
        m.insert("big", Document::Int(1 << 40));
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
        assert_eq!(v.get("AlarmName"), Some(&Document::Str("a".into())));
    }

    #[test]
    fn empty_body_is_empty_input() {
        assert_eq!(decode(b"").unwrap(), Document::map());
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
