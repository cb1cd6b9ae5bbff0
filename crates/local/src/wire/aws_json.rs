//! The awsJson 1.0 / 1.1 protocols (Budgets: 1.1; CloudWatch for botocore: 1.0).
//!
//! Every request is `POST /` with `X-Amz-Target: <TargetPrefix>.<Operation>`, content type
//! `application/x-amz-json-1.x` and a JSON object body (possibly empty). Success is 200 with a
//! JSON object; errors carry `{"__type": "<Code>", "<message key>": "..."}`. The SDKs read the
//! code from `__type` (or the `x-amzn-errortype` header), stripping any `namespace#` prefix and
//! `:suffix`; the message key differs per service model (`Message` for Budgets, `message` for
//! most), so callers choose it. Timestamps in these protocols are epoch seconds (numbers).
//! The server adds the `x-amzn-RequestId` header to every response.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::api::{ApiError, Request, Response};

/// The protocol version, which only changes the content type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonVersion {
    V1_0,
    V1_1,
}

impl JsonVersion {
    pub fn content_type(self) -> &'static str {
        match self {
            JsonVersion::V1_0 => "application/x-amz-json-1.0",
            JsonVersion::V1_1 => "application/x-amz-json-1.1",
        }
    }
}

/// The member name that carries the error message in a service's error shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKey {
    /// `"message"` (most services, e.g. CloudWatch).
    Lower,
    /// `"Message"` (e.g. Budgets, whose error shapes name the member `Message`).
    Upper,
}

/// Whether the request looks like awsJson (has an `X-Amz-Target` header).
pub fn is_aws_json(req: &Request) -> bool {
    req.header("x-amz-target").is_some()
}

/// The operation named by `X-Amz-Target: {target_prefix}.{Operation}`, if it is one of
/// `operations`. Anything else is AWS's `UnknownOperationException`.
pub fn route(req: &Request, target_prefix: &str, operations: &[&str]) -> Result<String, ApiError> {
    let target = req.header("x-amz-target").unwrap_or_default();
    let op = target
        .strip_prefix(target_prefix)
        .and_then(|rest| rest.strip_prefix('.'))
        .filter(|op| operations.contains(op));
    match op {
        Some(op) if req.method == http::Method::POST => Ok(op.to_string()),
        _ => Err(ApiError::new(400, "UnknownOperationException", "")),
    }
}

/// The request body as a JSON object. An empty body counts as `{}`; anything that is not a
/// JSON object is a `SerializationException`, as AWS answers it.
pub fn parse_body(req: &Request) -> Result<Map<String, Value>, ApiError> {
    if req.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(&req.body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::new(
            400,
            "SerializationException",
            "Start of structure or map found where not expected.",
        )),
        Err(e) => Err(ApiError::new(
            400,
            "SerializationException",
            format!("Malformed JSON request body: {e}"),
        )),
    }
}

/// A 200 response with `value` serialised as the body.
pub fn ok<T: Serialize>(value: &T, version: JsonVersion) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => Response::new(200, version.content_type(), body),
        // Serialising our own plain data cannot fail in practice; answer in-shape anyway.
        Err(e) => error(
            &ApiError::new(
                500,
                "InternalFailure",
                format!("failed to serialise response: {e}"),
            ),
            version,
            MessageKey::Lower,
        ),
    }
}

/// The empty-structure success `{}`.
pub fn empty(version: JsonVersion) -> Response {
    Response::new(200, version.content_type(), "{}")
}

/// The error response: status from the error, body `{"__type": code, <key>: message}`, and
/// for awsQuery-compatible services the `x-amzn-query-error: Code;Sender` header.
pub fn error(err: &ApiError, version: JsonVersion, key: MessageKey) -> Response {
    let mut body = Map::new();
    body.insert("__type".into(), Value::String(err.code.clone()));
    let key = match key {
        MessageKey::Lower => "message",
        MessageKey::Upper => "Message",
    };
    body.insert(key.into(), Value::String(err.message.clone()));
    let mut resp = Response::new(
        err.status,
        version.content_type(),
        Value::Object(body).to_string(),
    );
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

/// An epoch-seconds timestamp as awsJson writes it: an integer when whole, else a float.
pub fn epoch_value(secs: f64) -> Value {
    if secs.fract() == 0.0 && secs.abs() < 9.0e15 {
        Value::from(secs as i64)
    } else {
        Value::from(secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use std::collections::BTreeMap;

    fn req(target: Option<&str>, body: &str) -> Request {
        let mut headers = BTreeMap::new();
        headers.insert("content-type".into(), "application/x-amz-json-1.1".into());
        if let Some(t) = target {
            headers.insert("x-amz-target".into(), t.into());
        }
        Request {
            method: http::Method::POST,
            path: "/".into(),
            query: String::new(),
            headers,
            body: Bytes::from(body.to_string()),
            region: "us-east-1".into(),
        }
    }

    #[test]
    fn routes_by_target() {
        let ops = ["CreateBudget", "DeleteBudget"];
        let r = req(Some("AWSBudgetServiceGateway.CreateBudget"), "{}");
        assert_eq!(
            route(&r, "AWSBudgetServiceGateway", &ops).unwrap(),
            "CreateBudget"
        );
        for bad in [
            Some("AWSBudgetServiceGateway.Nope"),
            Some("Other.CreateBudget"),
            Some("AWSBudgetServiceGatewayCreateBudget"),
            None,
        ] {
            let e = route(&req(bad, "{}"), "AWSBudgetServiceGateway", &ops).unwrap_err();
            assert_eq!(e.code, "UnknownOperationException");
        }
    }

    #[test]
    fn parses_bodies() {
        assert!(parse_body(&req(None, "")).unwrap().is_empty());
        assert_eq!(parse_body(&req(None, "{\"a\":1}")).unwrap()["a"], 1);
        assert_eq!(
            parse_body(&req(None, "[1]")).unwrap_err().code,
            "SerializationException"
        );
        assert_eq!(
            parse_body(&req(None, "{")).unwrap_err().code,
            "SerializationException"
        );
    }

    #[test]
    fn renders_errors() {
        let e = ApiError::new(400, "NotFoundException", "gone").with_query_code("ResourceNotFound");
        let r = error(&e, JsonVersion::V1_1, MessageKey::Upper);
        assert_eq!(r.status, 400);
        let v: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"__type": "NotFoundException", "Message": "gone"})
        );
        assert!(
            r.headers
                .iter()
                .any(|(k, v)| k == "x-amzn-query-error" && v == "ResourceNotFound;Sender")
        );
        assert!(
            r.headers
                .iter()
                .any(|(k, v)| k == "content-type" && v == "application/x-amz-json-1.1")
        );
    }

    #[test]
    fn epoch_values() {
        assert_eq!(epoch_value(1700000000.0).to_string(), "1700000000");
        assert_eq!(epoch_value(1.5).to_string(), "1.5");
    }
}
