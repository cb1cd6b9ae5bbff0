//! The wire protocols, one module each, every one with the same four jobs: recognise and
//! route a request to an operation row, decode its input into a [`Document`], encode the
//! handler's output, and render errors.
//!
//! - `rest_json` — restJson1 (IVS Real-Time): routing by method + URI pattern, labels,
//!   query and header members, ISO-8601 timestamps, `x-amzn-errortype` errors.
//! - `rest_xml` — restXml (S3, path-style): routing by method + URI pattern + query
//!   literals, greedy labels, payload members, output headers / raw or XML bodies / status
//!   codes, `<Error>` documents; `aws_chunked` decodes streaming upload bodies.
//! - `aws_json` — awsJson 1.0 / 1.1 (Budgets; CloudWatch for botocore): `X-Amz-Target`,
//!   epoch-second timestamps, `__type` errors.
//! - `aws_query` — awsQuery (IAM, STS; CloudWatch for older SDKs): `Action=` form bodies
//!   decoded along the input shape, XML responses and `<ErrorResponse>` errors.
//! - `rpc_v2_cbor` — Smithy RPC v2 CBOR (CloudWatch for the Rust, Go and Java SDKs).
//! - `xml` — the XML writer awsQuery and restXml responses use.
//!
//! Modelled on smithy-rs's server: a router per protocol over the service's rows, and
//! errors rendered by the protocol the request came in.

pub mod aws_chunked;
pub mod aws_json;
pub mod aws_query;
pub mod rest_json;
pub mod rest_xml;
pub mod rpc_v2_cbor;
pub mod xml;

use std::collections::BTreeMap;

use crate::api::{ApiError, Request, Response};
use crate::document::Document;
use crate::service::{Operation, ServiceDef};
use crate::shape::Source;

pub use aws_json::JsonVersion;

/// A wire protocol a service speaks, with the service's parameters for it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Protocol {
    RestJson1,
    /// restXml, with the service's output bindings (S3).
    RestXml(&'static rest_xml::Bindings),
    AwsJson {
        version: JsonVersion,
        /// `X-Amz-Target: <target_prefix>.<Operation>`.
        target_prefix: &'static str,
        /// The member of the service's error shapes that carries the message (`message`,
        /// Budgets: `Message`).
        message_key: &'static str,
    },
    AwsQuery {
        /// The API `Version` (`2010-05-08`).
        version: &'static str,
        /// The namespace of response documents.
        xmlns: &'static str,
        /// Timestamps with milliseconds (`…:20.250Z`, CloudWatch) or without (IAM).
        timestamp_millis: bool,
    },
    RpcV2Cbor {
        /// The Smithy service shape name in `/service/<service>/operation/<Op>`.
        service: &'static str,
    },
}

impl Protocol {
    /// Whether a request has this protocol's marks. The last protocol of a service also
    /// takes requests without any (so their errors come back in its shape).
    fn claims(&self, req: &Request) -> bool {
        match self {
            Protocol::RestJson1 | Protocol::RestXml(_) => true,
            Protocol::AwsJson { .. } => req.header("x-amz-target").is_some(),
            Protocol::AwsQuery { .. } => aws_query::looks_like_query(req),
            Protocol::RpcV2Cbor { .. } => rpc_v2_cbor::is_rpc_v2_path(&req.path),
        }
    }
}

/// The protocol of a request to `service`: the first of its protocols that claims it,
/// else its last one.
pub fn detect(service: &'static ServiceDef, req: &Request) -> &'static Protocol {
    static FALLBACK: Protocol = Protocol::RestJson1;
    service
        .protocols
        .iter()
        .find(|p| p.claims(req))
        .or(service.protocols.last())
        .unwrap_or(&FALLBACK)
}

/// A request matched to its operation row, with what routing already read of it.
#[derive(Debug)]
pub struct Routed {
    pub op: &'static Operation,
    /// restJson1 URI labels, percent-decoded.
    pub labels: Vec<(&'static str, String)>,
    /// awsQuery parameters (URL query string and form body).
    pub params: BTreeMap<String, String>,
}

/// The row `req` names in `protocol`, or the protocol's "unknown operation" error.
pub fn route(
    service: &'static ServiceDef,
    protocol: &Protocol,
    req: &Request,
) -> Result<Routed, ApiError> {
    let by_name = |name: Option<&str>, unknown: ApiError| match name {
        Some(n) => match service.operation(n) {
            Some(op) => Ok(Routed {
                op,
                labels: Vec::new(),
                params: BTreeMap::new(),
            }),
            None if service.not_emulated.contains(&n) => Err(not_emulated(n)),
            None => Err(unknown),
        },
        None => Err(unknown),
    };
    match protocol {
        Protocol::RestJson1 => rest_json::route(service, req),
        Protocol::RestXml(bindings) => rest_xml::route(service, bindings, req),
        Protocol::AwsJson { target_prefix, .. } => {
            let name = aws_json::target_operation(req, target_prefix);
            let unknown = aws_json::unknown_operation(req);
            if req.method != http::Method::POST {
                return Err(unknown);
            }
            by_name(name, unknown)
        }
        Protocol::AwsQuery { version, .. } => {
            let params = aws_query::params(req);
            let action = params.get("Action").map(String::as_str);
            let routed = by_name(action, aws_query::invalid_action(action, version))?;
            Ok(Routed { params, ..routed })
        }
        Protocol::RpcV2Cbor { service: shape } => {
            let name = rpc_v2_cbor::operation_from_path(&req.path, shape);
            by_name(name, rpc_v2_cbor::unknown_operation(&req.path))
        }
    }
}

/// Recognised but not emulated: a clear 501 instead of "unknown operation".
fn not_emulated(name: &str) -> ApiError {
    ApiError::new(
        501,
        "NotImplementedException",
        format!("{name} is not emulated by ivstack local"),
    )
}

/// Decode the routed request's input, and say how its scalars are typed.
pub fn decode(
    protocol: &Protocol,
    routed: &Routed,
    req: &Request,
) -> Result<(Document, Source), ApiError> {
    match protocol {
        Protocol::RestJson1 => {
            rest_json::decode(routed.op.input, &routed.labels, req).map(|d| (d, Source::Typed))
        }
        Protocol::RestXml(_) => {
            rest_xml::decode(routed.op.input, &routed.labels, req).map(|d| (d, Source::Text))
        }
        Protocol::AwsJson { .. } => aws_json::decode(&req.body).map(|d| (d, Source::Typed)),
        Protocol::AwsQuery { .. } => Ok((
            aws_query::decode(&routed.params, routed.op.input),
            Source::Text,
        )),
        Protocol::RpcV2Cbor { .. } => rpc_v2_cbor::decode(&req.body)
            .map(|d| (d, Source::Typed))
            .map_err(serialization_error),
    }
}

/// The success response for `output` (`Document::Null`: the operation has no output).
pub fn encode(
    protocol: &Protocol,
    op: &Operation,
    output: &Document,
    request_id: &str,
) -> Response {
    match protocol {
        Protocol::RestJson1 => rest_json::response(output),
        Protocol::RestXml(bindings) => rest_xml::response(bindings, op, output)
            .with_header("x-amz-id-2", rest_xml::host_id(request_id)),
        Protocol::AwsJson { version, .. } => aws_json::response(output, *version),
        Protocol::AwsQuery {
            xmlns,
            timestamp_millis,
            ..
        } => aws_query::response(op.name, xmlns, *timestamp_millis, output, request_id),
        Protocol::RpcV2Cbor { .. } => rpc_v2_cbor::response(output),
    }
}

/// `err` in `protocol`'s error shape. awsQuery-compatible services also send the awsQuery
/// code in `x-amzn-query-error` (the SDKs take the code from there when present).
pub fn render_error(
    service: &ServiceDef,
    protocol: &Protocol,
    err: &ApiError,
    request_id: &str,
) -> Response {
    let mut resp = match protocol {
        Protocol::RestJson1 => rest_json::error_response(err),
        Protocol::RestXml(_) => rest_xml::error_response(err, request_id)
            .with_header("x-amz-id-2", rest_xml::host_id(request_id)),
        Protocol::AwsJson {
            version,
            message_key,
            ..
        } => aws_json::error_response(err, *version, message_key),
        Protocol::AwsQuery { xmlns, .. } => aws_query::error_response(err, xmlns, request_id),
        Protocol::RpcV2Cbor { .. } => rpc_v2_cbor::error_response(err),
    };
    for (name, value) in err.headers() {
        resp = resp.with_header(name, value);
    }
    // awsQuery renders the query code itself.
    if matches!(protocol, Protocol::AwsQuery { .. }) {
        return resp;
    }
    match (&err.query_code, service.query_compatible) {
        (Some(q), true) => {
            let fault = if err.sender_fault {
                "Sender"
            } else {
                "Receiver"
            };
            resp.with_header("x-amzn-query-error", format!("{q};{fault}"))
        }
        _ => resp,
    }
}

/// A body that cannot be read as the protocol's format.
pub fn serialization_error(message: impl Into<String>) -> ApiError {
    ApiError::new(400, "SerializationException", message)
}

/// Requests for a row in each protocol, as an SDK would send them (table checks).
#[cfg(test)]
pub mod testing {
    use super::*;

    pub fn request_for(protocol: &Protocol, op: &Operation) -> Request {
        let mut headers = BTreeMap::new();
        let (method, path, body) = match protocol {
            Protocol::RestXml(_) => {
                let http = op.http.expect("restXml rows have a binding");
                let (path, literals) = rest_xml::split_uri(http.uri);
                let path: Vec<&str> = path
                    .split('/')
                    .map(|s| if s.starts_with('{') { "b-1" } else { s })
                    .collect();
                let query: Vec<String> = literals
                    .iter()
                    .map(|(k, v)| match v {
                        Some(v) => format!("{k}={v}"),
                        None => format!("{k}="),
                    })
                    .collect();
                return Request {
                    method: http.method.parse().expect("method"),
                    path: path.join("/"),
                    query: query.join("&"),
                    headers,
                    body: bytes::Bytes::new(),
                    region: "us-east-1".into(),
                };
            }
            Protocol::RestJson1 => {
                let http = op.http.expect("restJson1 rows have a binding");
                let path: Vec<String> = http
                    .uri
                    .split('/')
                    .map(|s| {
                        if s.starts_with('{') {
                            "arn%3Aaws%3Aivs%3Aus-east-1%3A1%3Astage%2Fx".to_string()
                        } else {
                            s.to_string()
                        }
                    })
                    .collect();
                headers.insert("content-type".into(), "application/json".into());
                (http.method, path.join("/"), "{}".to_string())
            }
            Protocol::AwsJson {
                target_prefix,
                version,
                ..
            } => {
                headers.insert(
                    "x-amz-target".into(),
                    format!("{target_prefix}.{}", op.name),
                );
                headers.insert("content-type".into(), version.content_type().into());
                ("POST", "/".to_string(), "{}".to_string())
            }
            Protocol::AwsQuery { version, .. } => {
                headers.insert(
                    "content-type".into(),
                    "application/x-www-form-urlencoded; charset=utf-8".into(),
                );
                (
                    "POST",
                    "/".to_string(),
                    format!("Action={}&Version={version}", op.name),
                )
            }
            Protocol::RpcV2Cbor { service: shape } => {
                headers.insert("smithy-protocol".into(), "rpc-v2-cbor".into());
                (
                    "POST",
                    format!("/service/{shape}/operation/{}", op.name),
                    String::new(),
                )
            }
        };
        Request {
            method: method.parse().expect("method"),
            path,
            query: String::new(),
            headers,
            body: bytes::Bytes::from(body),
            region: "us-east-1".into(),
        }
    }
}
