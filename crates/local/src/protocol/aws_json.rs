//! awsJson 1.0 / 1.1 (Budgets: 1.1; CloudWatch for botocore: 1.0).
//!
//! Every request is `POST /` with `X-Amz-Target: <TargetPrefix>.<Operation>`, content type
//! `application/x-amz-json-1.x` and a JSON object body (possibly empty). Success is 200
//! with a JSON object, timestamps as epoch seconds; errors carry
//! `{"__type": "<Code>", "<message key>": "…"}` (the SDKs read the code from `__type`,
//! stripping any `namespace#` prefix and `:suffix`; the message key follows the service's
//! error shapes).

use crate::api::{ApiError, Request, Response};
use crate::document::{Document, Json, JsonTimestamps};

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

/// The operation `X-Amz-Target: {target_prefix}.{Operation}` names.
pub fn target_operation<'r>(req: &'r Request, target_prefix: &str) -> Option<&'r str> {
    req.header("x-amz-target")?
        .strip_prefix(target_prefix)?
        .strip_prefix('.')
        .filter(|op| !op.is_empty())
}

/// AWS's answer to a target it does not know.
pub fn unknown_operation(req: &Request) -> ApiError {
    let target = req.header("x-amz-target").unwrap_or_default();
    ApiError::new(
        400,
        "UnknownOperationException",
        format!("The operation `{target}` is not supported by this endpoint."),
    )
}

/// The request body as a document. An empty body counts as `{}`; anything that is not a
/// JSON object is a `SerializationException`, as AWS answers it.
pub fn decode(body: &[u8]) -> Result<Document, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Document::map());
    }
    match serde_json::from_slice::<Document>(body) {
        Ok(d @ Document::Map(_)) => Ok(d),
        Ok(_) => Err(super::serialization_error(
            "Start of structure or map found where not expected.",
        )),
        Err(e) => Err(super::serialization_error(format!(
            "Malformed JSON request body: {e}"
        ))),
    }
}

/// A 200 with the output (`{}` for operations without output).
pub fn response(output: &Document, version: JsonVersion) -> Response {
    let body = match output {
        Document::Null => b"{}".to_vec(),
        doc => {
            serde_json::to_vec(&Json(doc, JsonTimestamps::Epoch)).unwrap_or_else(|_| b"{}".to_vec())
        }
    };
    Response::new(200, version.content_type(), body)
}

/// The error: status from the error, body `{"__type": code, <message_key>: message}`.
pub fn error_response(err: &ApiError, version: JsonVersion, message_key: &str) -> Response {
    let mut body = serde_json::Map::new();
    body.insert("__type".into(), serde_json::Value::String(err.code.clone()));
    body.insert(
        message_key.to_string(),
        serde_json::Value::String(err.message.clone()),
    );
    Response::new(
        err.status,
        version.content_type(),
        serde_json::Value::Object(body).to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use std::collections::BTreeMap;

    fn req(target: Option<&str>) -> Request {
        let mut headers = BTreeMap::new();
        if let Some(t) = target {
            headers.insert("x-amz-target".into(), t.into());
        }
        Request {
            method: http::Method::POST,
            path: "/".into(),
            query: String::new(),
            headers,
            body: Bytes::new(),
            region: "us-east-1".into(),
        }
    }

    #[test]
    fn targets() {
        let p = "AWSBudgetServiceGateway";
        assert_eq!(
            target_operation(&req(Some("AWSBudgetServiceGateway.CreateBudget")), p),
            Some("CreateBudget")
        );
        for bad in [
            Some("Other.CreateBudget"),
            Some("AWSBudgetServiceGatewayCreateBudget"),
            Some("AWSBudgetServiceGateway."),
            None,
        ] {
            assert_eq!(target_operation(&req(bad), p), None);
        }
    }

    #[test]
    fn bodies() {
        assert_eq!(decode(b"").unwrap(), Document::map());
        assert_eq!(decode(b"{\"a\":1}").unwrap().get_i64("a"), Some(1));
        assert_eq!(decode(b"[1]").unwrap_err().code, "SerializationException");
        assert_eq!(decode(b"{").unwrap_err().code, "SerializationException");
    }

    #[test]
    fn errors_and_timestamps() {
        let e = ApiError::new(400, "NotFoundException", "gone");
        let r = error_response(&e, JsonVersion::V1_1, "Message");
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"__type": "NotFoundException", "Message": "gone"})
        );
        let out = Document::from_pairs([("T", Document::Timestamp(1.7e9))]);
        let r = response(&out, JsonVersion::V1_0);
        assert_eq!(&r.body[..], b"{\"T\":1700000000}");
        assert_eq!(
            &response(&Document::unit(), JsonVersion::V1_0).body[..],
            b"{}"
        );
    }
}
