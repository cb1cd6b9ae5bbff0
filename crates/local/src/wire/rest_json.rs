//! restJson1 (IVS Real-Time): JSON bodies, errors as `x-amzn-ErrorType` + JSON body.
//!
//! The error body carries both `exceptionMessage` (the modeled member) and `message`
//! (what the SDKs' generic error envelope reads as the message), see reference §3.

use serde::Serialize;
use serde_json::Value;

use crate::api::{ApiError, Request, Response};

pub const CONTENT_TYPE: &str = "application/json";

/// A 200 response with `value` as JSON.
pub fn ok<T: Serialize>(value: &T) -> Response {
    json(200, value)
}

/// A response with `value` as JSON and the given status.
pub fn json<T: Serialize>(status: u16, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => Response::new(status, CONTENT_TYPE, body),
        // Serialising our own plain data cannot fail in practice; answer in-shape anyway.
        Err(e) => render_error(&ApiError::new(
            500,
            "InternalServerException",
            format!("failed to serialise response: {e}"),
        )),
    }
}

/// An empty-structure success (`{}`), used by DeleteStage, TagResource, UntagResource.
pub fn empty() -> Response {
    Response::new(200, CONTENT_TYPE, "{}")
}

/// The restJson1 error shape: status, `x-amzn-ErrorType: Code`, body with both message keys.
pub fn render_error(err: &ApiError) -> Response {
    let body = serde_json::json!({
        "exceptionMessage": err.message,
        "message": err.message,
    });
    let mut resp = Response::new(err.status, CONTENT_TYPE, body.to_string())
        .with_header("x-amzn-errortype", err.code.clone());
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

/// Parse the request body as a JSON object. An empty body is `{}` (SDKs send nothing for
/// operations without body members).
pub fn parse_body(req: &Request) -> Result<serde_json::Map<String, Value>, ApiError> {
    if req.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(serde_json::Map::new());
    }
    match serde_json::from_slice::<Value>(&req.body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::new(
            400,
            "ValidationException",
            "Request body must be a JSON object",
        )),
        Err(e) => Err(ApiError::new(
            400,
            "ValidationException",
            format!("Could not parse request body: {e}"),
        )),
    }
}

/// Typed access to the members of a JSON request body, with model-style validation errors.
pub struct Body<'a> {
    map: &'a serde_json::Map<String, Value>,
}

fn invalid(field: &str, what: &str) -> ApiError {
    ApiError::new(400, "ValidationException", format!("{field}: {what}"))
}

impl<'a> Body<'a> {
    pub fn new(map: &'a serde_json::Map<String, Value>) -> Body<'a> {
        Body { map }
    }

    fn present(&self, field: &str) -> Option<&'a Value> {
        match self.map.get(field) {
            None | Some(Value::Null) => None,
            Some(v) => Some(v),
        }
    }

    pub fn opt_str(&self, field: &str) -> Result<Option<&'a str>, ApiError> {
        match self.present(field) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(invalid(field, "must be a string")),
        }
    }

    pub fn req_str(&self, field: &str) -> Result<&'a str, ApiError> {
        self.opt_str(field)?
            .ok_or_else(|| invalid(field, "Member must not be null"))
    }

    pub fn opt_i64(&self, field: &str) -> Result<Option<i64>, ApiError> {
        match self.present(field) {
            None => Ok(None),
            Some(v) => v
                .as_i64()
                .map(Some)
                .ok_or_else(|| invalid(field, "must be an integer")),
        }
    }

    pub fn opt_bool(&self, field: &str) -> Result<Option<bool>, ApiError> {
        match self.present(field) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(invalid(field, "must be a boolean")),
        }
    }

    pub fn opt_object(&self, field: &str) -> Result<Option<Body<'a>>, ApiError> {
        match self.present(field) {
            None => Ok(None),
            Some(Value::Object(m)) => Ok(Some(Body { map: m })),
            Some(_) => Err(invalid(field, "must be an object")),
        }
    }

    pub fn opt_array(&self, field: &str) -> Result<Option<&'a Vec<Value>>, ApiError> {
        match self.present(field) {
            None => Ok(None),
            Some(Value::Array(a)) => Ok(Some(a)),
            Some(_) => Err(invalid(field, "must be a list")),
        }
    }

    /// A `map<string,string>` member.
    pub fn opt_string_map(
        &self,
        field: &str,
    ) -> Result<Option<std::collections::BTreeMap<String, String>>, ApiError> {
        match self.present(field) {
            None => Ok(None),
            Some(Value::Object(m)) => {
                let mut out = std::collections::BTreeMap::new();
                for (k, v) in m {
                    match v {
                        Value::String(s) => {
                            out.insert(k.clone(), s.clone());
                        }
                        _ => return Err(invalid(field, "values must be strings")),
                    }
                }
                Ok(Some(out))
            }
            Some(_) => Err(invalid(field, "must be a map of strings")),
        }
    }

    /// A list of strings member.
    pub fn opt_string_list(&self, field: &str) -> Result<Option<Vec<String>>, ApiError> {
        match self.opt_array(field)? {
            None => Ok(None),
            Some(items) => items
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_string)
                        .ok_or_else(|| invalid(field, "items must be strings"))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
        }
    }
}
