//! restJson1 (IVS Real-Time): operations are routed by HTTP method and URI pattern (the
//! rows' `Http` bindings), input members come from URI labels, query parameters, headers
//! and a JSON body; output is a JSON body with ISO-8601 timestamps; errors carry
//! `x-amzn-ErrorType: Code` and a JSON body.
//!
//! The error body has both `exceptionMessage` (the member IVS's error shapes model) and
//! `message` (what the SDKs' generic error envelope reads), see reference §3.

use crate::api::{ApiError, Request, Response};
use crate::document::{Document, Json, JsonTimestamps};
use crate::protocol::Routed;
use crate::service::ServiceDef;
use crate::shape::{Location, Shape};

pub const CONTENT_TYPE: &str = "application/json";

/// The row whose method and URI pattern match the request. A path that matches with
/// another method is 405, anything else 404, as API Gateway-fronted services answer.
pub fn route(service: &'static ServiceDef, req: &Request) -> Result<Routed, ApiError> {
    let mut path_matched = false;
    for op in service.operations {
        let Some(http) = op.http else { continue };
        if let Some(labels) = match_uri(http.uri, &req.path) {
            if http.method == req.method.as_str() {
                return Ok(Routed {
                    op,
                    labels,
                    params: Default::default(),
                });
            }
            path_matched = true;
        }
    }
    if path_matched {
        return Err(ApiError::new(
            405,
            "MethodNotAllowedException",
            "Method not allowed",
        ));
    }
    // Operations not emulated are recognised by the `POST /<Operation>` form all of IVS's
    // operations share.
    let name = req.path.trim_start_matches('/');
    if req.method == http::Method::POST && service.not_emulated.contains(&name) {
        return Err(super::not_emulated(name));
    }
    Err(ApiError::new(
        404,
        "UnknownOperationException",
        format!("Unknown operation {} {}", req.method, req.path),
    ))
}

/// The labels of `path` if it matches `pattern` (`/tags/{resourceArn}`; a greedy
/// `{key+}` takes the rest of the path). Segments are compared still percent-encoded and
/// labels decoded, so an encoded `/` stays inside its label.
pub(crate) fn match_uri(pattern: &'static str, path: &str) -> Option<Vec<(&'static str, String)>> {
    if !pattern.contains('{') {
        return (pattern == path).then(Vec::new);
    }
    let pat: Vec<&'static str> = pattern.strip_prefix('/')?.split('/').collect();
    let segs: Vec<&str> = path.strip_prefix('/')?.split('/').collect();
    let mut labels = Vec::new();
    for (i, p) in pat.iter().enumerate() {
        match p.strip_prefix('{').and_then(|l| l.strip_suffix('}')) {
            Some(label) => {
                if let Some(greedy) = label.strip_suffix('+') {
                    let rest = segs.get(i..)?.join("/");
                    if rest.is_empty() || i + 1 != pat.len() {
                        return None;
                    }
                    labels.push((greedy, percent_decode(&rest)?));
                    return Some(labels);
                }
                let seg = segs.get(i).filter(|s| !s.is_empty())?;
                labels.push((label, percent_decode(seg)?));
            }
            None if segs.get(i) == Some(p) => {}
            None => return None,
        }
    }
    (segs.len() == pat.len()).then_some(labels)
}

fn percent_decode(s: &str) -> Option<String> {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .ok()
        .map(|c| c.into_owned())
}

/// The input document: the JSON body's members plus the members bound to labels, query
/// parameters and headers (read as the member's type).
pub fn decode(
    shape: &Shape,
    labels: &[(&'static str, String)],
    req: &Request,
) -> Result<Document, ApiError> {
    let mut doc = if req.body.iter().all(u8::is_ascii_whitespace) {
        Document::map()
    } else {
        match serde_json::from_slice::<Document>(&req.body) {
            Ok(d @ Document::Map(_)) => d,
            Ok(_) => {
                return Err(super::serialization_error(
                    "The request body must be a JSON object.",
                ));
            }
            Err(e) => {
                return Err(super::serialization_error(format!(
                    "Could not parse the request body: {e}"
                )));
            }
        }
    };
    for m in shape.members() {
        let bound = match m.location {
            // restJson1 rows bind no payload member (the table checks say so): the JSON
            // body's members are the input's.
            Location::Body | Location::Payload => continue,
            Location::Label => labels
                .iter()
                .find(|(name, _)| *name == m.name)
                .map(|(_, v)| text_value(v, m.shape)),
            Location::Query(key) => {
                let values: Vec<String> = req
                    .query_pairs()
                    .into_iter()
                    .filter(|(k, _)| k == key)
                    .map(|(_, v)| v)
                    .collect();
                match (m.shape, values.first()) {
                    (_, None) => None,
                    (Shape::List(l), _) => Some(Document::List(
                        values.iter().map(|v| text_value(v, l.member)).collect(),
                    )),
                    (shape, Some(v)) => Some(text_value(v, shape)),
                }
            }
            Location::Header(name) => req.header(name).map(|v| match m.shape {
                Shape::List(l) => Document::List(
                    v.split(',')
                        .map(|item| text_value(item.trim(), l.member))
                        .collect(),
                ),
                shape => text_value(v, shape),
            }),
        };
        // A bound member is never read from the body.
        doc.take(m.name);
        if let Some(v) = bound {
            doc.insert(m.name, v);
        }
    }
    Ok(doc)
}

/// A label, query or header value as the member's type; left as text when it does not
/// parse, so the validator reports it.
pub(crate) fn text_value(text: &str, shape: &Shape) -> Document {
    let parsed = match shape {
        Shape::Int { .. } => text.parse().ok().map(Document::Int),
        Shape::Double { .. } => text.parse().ok().map(Document::Float),
        Shape::Bool => match text {
            "true" => Some(Document::Bool(true)),
            "false" => Some(Document::Bool(false)),
            _ => None,
        },
        Shape::Timestamp => crate::time::parse_text(text).map(Document::Timestamp),
        _ => None,
    };
    parsed.unwrap_or_else(|| Document::str(text))
}

/// A 200 with the output as JSON (`{}` for operations without output).
pub fn response(output: &Document) -> Response {
    let body = match output {
        Document::Null => b"{}".to_vec(),
        doc => serde_json::to_vec(&Json(doc, JsonTimestamps::Iso8601))
            .unwrap_or_else(|_| b"{}".to_vec()),
    };
    Response::new(200, CONTENT_TYPE, body)
}

/// The restJson1 error: status, `x-amzn-ErrorType: Code`, body with both message keys.
pub fn error_response(err: &ApiError) -> Response {
    let body = serde_json::json!({
        "exceptionMessage": err.message,
        "message": err.message,
    });
    Response::new(err.status, CONTENT_TYPE, body.to_string())
        .with_header("x-amzn-errortype", err.code.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_patterns() {
        assert_eq!(match_uri("/GetStage", "/GetStage"), Some(vec![]));
        assert_eq!(match_uri("/GetStage", "/GetStage/"), None);
        assert_eq!(
            match_uri("/tags/{resourceArn}", "/tags/arn%3Aaws%3Aivs%3Ax%2Fy"),
            Some(vec![("resourceArn", "arn:aws:ivs:x/y".to_string())])
        );
        assert_eq!(match_uri("/tags/{resourceArn}", "/tags/"), None);
        assert_eq!(match_uri("/tags/{resourceArn}", "/tags/a/b"), None);
        assert_eq!(
            match_uri("/{Bucket}/{Key+}", "/b/dir/file%20name"),
            Some(vec![
                ("Bucket", "b".to_string()),
                ("Key", "dir/file name".to_string())
            ])
        );
        assert_eq!(match_uri("/{Bucket}", "/b/k"), None);
    }
}
