//! awsQuery (IAM, STS, and CloudWatch for older SDKs): form-urlencoded requests, XML
//! responses.
//!
//! Requests are `Action=Op&Version=V&Param=…` form bodies (a GET query string is read too).
//! Nested input is flattened into dotted names, as `aws-smithy-query` and botocore write it,
//! and [`decode`] reads them back along the operation's input shape:
//!
//! - lists: `Tags.member.1.Key=k&Tags.member.1.Value=v` (an empty list is the bare `Tags=`),
//! - maps: `Attrs.entry.1.key=k&Attrs.entry.1.value=v`,
//! - structures: `Struct.Field=x`.
//!
//! Every scalar stays text; the validator reads it as the member's type. Responses are
//! `<OpResponse xmlns=…><OpResult>…</OpResult><ResponseMetadata>…`, errors
//! `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>`,
//! which is what the SDKs' `rest_xml_wrapped_errors` and botocore's query parser read.

use std::collections::BTreeMap;

use crate::api::{ApiError, Request, Response};
use crate::document::Document;
use crate::protocol::xml;
use crate::shape::Shape;

/// Content type of every awsQuery response.
pub const CONTENT_TYPE: &str = "text/xml";

/// Whether a request looks like awsQuery (a form body, or an `Action` in the URL).
pub fn looks_like_query(req: &Request) -> bool {
    req.header("content-type").is_some_and(|c| {
        c.to_ascii_lowercase()
            .starts_with("application/x-www-form-urlencoded")
    }) || req.query.split('&').any(|p| p.starts_with("Action="))
}

/// The request's parameters: the URL query string and, for a form-encoded body, the body.
/// Body parameters win over query-string ones of the same name.
pub fn params(req: &Request) -> BTreeMap<String, String> {
    let mut params = BTreeMap::new();
    for (k, v) in form_urlencoded::parse(req.query.as_bytes()) {
        params.insert(k.into_owned(), v.into_owned());
    }
    let is_form = req.header("content-type").is_none_or(|ct| {
        ct.to_ascii_lowercase()
            .starts_with("application/x-www-form-urlencoded")
    });
    if is_form {
        for (k, v) in form_urlencoded::parse(&req.body) {
            params.insert(k.into_owned(), v.into_owned());
        }
    }
    params
}

/// The input document of a structure shape, read from the flattened parameters.
pub fn decode(params: &BTreeMap<String, String>, shape: &Shape) -> Document {
    decode_struct(params, "", shape.members())
}

fn decode_struct(
    params: &BTreeMap<String, String>,
    prefix: &str,
    members: &[crate::shape::Member],
) -> Document {
    let mut out = BTreeMap::new();
    for m in members {
        let key = if prefix.is_empty() {
            m.name.to_string()
        } else {
            format!("{prefix}.{}", m.name)
        };
        if let Some(v) = decode_value(params, &key, m.shape) {
            out.insert(m.name.to_string(), v);
        }
    }
    Document::Map(out)
}

fn decode_value(params: &BTreeMap<String, String>, key: &str, shape: &Shape) -> Option<Document> {
    match shape {
        Shape::Struct(members) => {
            has_children(params, key).then(|| decode_struct(params, key, members))
        }
        Shape::List(l) => match indices(params, key, "member") {
            Some(indices) => Some(Document::List(
                indices
                    .into_iter()
                    .filter_map(|n| decode_value(params, &format!("{key}.member.{n}"), l.member))
                    .collect(),
            )),
            // The bare `Name=` of an empty list (or a stray scalar the validator refuses).
            None => params.get(key).map(|v| Document::Str(v.clone())),
        },
        Shape::Map(m) => match indices(params, key, "entry") {
            Some(indices) => Some(Document::Map(
                indices
                    .into_iter()
                    .filter_map(|n| {
                        let entry = format!("{key}.entry.{n}");
                        let k = params.get(&format!("{entry}.key"))?.clone();
                        let v = decode_value(params, &format!("{entry}.value"), m.value)
                            .unwrap_or(Document::Null);
                        Some((k, v))
                    })
                    .collect(),
            )),
            None => params.get(key).map(|v| Document::Str(v.clone())),
        },
        _ => params.get(key).map(|v| Document::Str(v.clone())),
    }
}

/// Whether any parameter is nested under `key.`.
fn has_children(params: &BTreeMap<String, String>, key: &str) -> bool {
    let prefix = format!("{key}.");
    params
        .range(prefix.clone()..)
        .next()
        .is_some_and(|(k, _)| k.starts_with(&prefix))
}

/// The element numbers N of `key.<kind>.N…`, in numeric order; `None` if there are none.
fn indices(params: &BTreeMap<String, String>, key: &str, kind: &str) -> Option<Vec<u64>> {
    let prefix = format!("{key}.{kind}.");
    let mut found: Vec<u64> = params
        .range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
        .filter_map(|(k, _)| k[prefix.len()..].split('.').next()?.parse().ok())
        .collect();
    found.sort_unstable();
    found.dedup();
    (!found.is_empty()).then_some(found)
}

/// A success response: `<{op}Response xmlns="{xmlns}"><{op}Result>…</{op}Result>
/// <ResponseMetadata><RequestId>…</RequestId></ResponseMetadata></{op}Response>`.
/// Operations without output get no `Result` element, as AWS sends them.
pub fn response(
    op: &str,
    xmlns: &str,
    millis: bool,
    output: &Document,
    request_id: &str,
) -> Response {
    let mut body = String::with_capacity(512);
    body.push('<');
    body.push_str(op);
    body.push_str("Response xmlns=\"");
    body.push_str(&xml::escape(xmlns));
    body.push_str("\">");
    if !matches!(output, Document::Null) {
        body.push_str(&format!("<{op}Result>"));
        xml::write_members(output, millis, &mut body);
        body.push_str(&format!("</{op}Result>"));
    }
    body.push_str(&format!(
        "<ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata></{op}Response>",
        xml::escape(request_id)
    ));
    Response::new(200, CONTENT_TYPE, body)
}

/// The error document, with the error's status. The code is the awsQuery code where it
/// differs from the JSON one; `Type` is `Sender` for client faults, `Receiver` otherwise.
pub fn error_response(err: &ApiError, xmlns: &str, request_id: &str) -> Response {
    let code = err.query_code.as_deref().unwrap_or(&err.code);
    let fault = if err.sender_fault {
        "Sender"
    } else {
        "Receiver"
    };
    let body = format!(
        "<ErrorResponse xmlns=\"{}\"><Error><Type>{fault}</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>{}</RequestId></ErrorResponse>",
        xml::escape(xmlns),
        xml::escape(code),
        xml::escape(&err.message),
        xml::escape(request_id)
    );
    Response::new(err.status, CONTENT_TYPE, body)
}

/// The error for an `Action` the service does not know (or a missing one), as AWS words it.
pub fn invalid_action(action: Option<&str>, version: &str) -> ApiError {
    match action {
        Some(a) => ApiError::new(
            400,
            "InvalidAction",
            format!("Could not find operation {a} for version {version}"),
        ),
        None => ApiError::new(400, "MissingAction", "Missing Action"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::{self, Shape};
    use bytes::Bytes;

    static KEY: Shape = shape::string(1, 128);
    static TAG: Shape =
        Shape::Struct(&[shape::required("Key", &KEY), shape::member("Value", &KEY)]);
    static TAGS: Shape = shape::list(&TAG, 0, None);
    static KEYS: Shape = shape::list(&KEY, 0, None);
    static ATTRS: Shape = shape::map(&KEY, &KEY, None);
    static INNER: Shape = Shape::Struct(&[shape::member("A", &KEY), shape::member("B", &KEY)]);
    static INPUT: Shape = Shape::Struct(&[
        shape::member("PolicyName", &KEY),
        shape::member("Tags", &TAGS),
        shape::member("Keys", &KEYS),
        shape::member("M", &ATTRS),
        shape::member("S", &INNER),
        shape::member("Empty", &KEYS),
    ]);

    fn req(body: &str) -> Request {
        let mut headers = BTreeMap::new();
        headers.insert(
            "content-type".to_string(),
            "application/x-www-form-urlencoded; charset=utf-8".to_string(),
        );
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
    fn reads_lists_maps_and_structures_along_the_shape() {
        let r = req(
            "Action=CreatePolicy&Version=2010-05-08&PolicyName=a%2Bb&Tags.member.2.Key=k2&Tags.member.2.Value=v2\
             &Tags.member.1.Key=k1&Tags.member.1.Value=v%20one&Keys.member.10=z&Keys.member.2=b\
             &M.entry.1.key=x&M.entry.1.value=1&S.A=1&S.B=2&Empty=&Unknown=1",
        );
        assert!(looks_like_query(&r));
        let p = params(&r);
        assert_eq!(p.get("Action").map(String::as_str), Some("CreatePolicy"));
        let d = decode(&p, &INPUT);
        assert_eq!(d.get_str("PolicyName"), Some("a+b"));
        let tags = d.get_list("Tags");
        assert_eq!(tags.len(), 2);
        assert_eq!(tags[0].get_str("Key"), Some("k1"));
        assert_eq!(tags[0].get_str("Value"), Some("v one"));
        assert_eq!(tags[1].get_str("Key"), Some("k2"));
        // Numeric, not lexicographic, order of member indices.
        assert_eq!(d.get_strings("Keys"), vec!["b", "z"]);
        assert_eq!(
            d.get_string_map("M").get("x").map(String::as_str),
            Some("1")
        );
        assert_eq!(d.get("S").and_then(|s| s.get_str("B")), Some("2"));
        assert_eq!(d.get("Empty"), Some(&Document::str("")));
        assert_eq!(d.get("Unknown"), None);
    }

    #[test]
    fn wraps_responses_and_errors() {
        let out = Document::from_pairs([(
            "Policy",
            Document::from_pairs([("PolicyName", Document::str("p&q"))]),
        )]);
        let r = response(
            "GetPolicy",
            "https://iam.amazonaws.com/doc/2010-05-08/",
            false,
            &out,
            "rid",
        );
        assert_eq!(r.status, 200);
        assert_eq!(
            std::str::from_utf8(&r.body).unwrap(),
            "<GetPolicyResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><GetPolicyResult>\
             <Policy><PolicyName>p&amp;q</PolicyName></Policy></GetPolicyResult><ResponseMetadata>\
             <RequestId>rid</RequestId></ResponseMetadata></GetPolicyResponse>"
        );
        let e = ApiError::new(404, "NoSuchEntity", "Policy <x> not found");
        let r = error_response(&e, "ns", "rid");
        assert_eq!(r.status, 404);
        let body = std::str::from_utf8(&r.body).unwrap();
        assert!(body.contains("<Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>Policy &lt;x&gt; not found</Message></Error><RequestId>rid</RequestId>"), "{body}");
        let e = ApiError::new(400, "ThrottlingException", "x").with_query_code("Throttling");
        let body = String::from_utf8(error_response(&e, "ns", "r").body.to_vec()).unwrap();
        assert!(body.contains("<Code>Throttling</Code>"), "{body}");
        let r = response(
            "SetDefaultPolicyVersion",
            "ns",
            false,
            &Document::unit(),
            "rid",
        );
        assert!(!std::str::from_utf8(&r.body).unwrap().contains("Result"));
    }
}
