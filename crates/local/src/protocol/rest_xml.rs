//! restXml (Amazon S3, path-style): operations are routed by HTTP method, URI pattern and
//! the query literals of the pattern (`GET /{Bucket}?location`, `GET /{Bucket}?list-type=2`),
//! with greedy `{Key+}` labels; input members come from labels, query parameters, headers
//! and the body (a member bound to the `payload`: raw bytes, text, or an XML document);
//! output members go to headers, a raw body or an XML document, with the operation's own
//! success status (DeleteObject: 204); errors are
//! `<Error><Code/><Message/>…<RequestId/><HostId/></Error>` with their status.
//!
//! The output side is data too: a service speaking restXml gives [`Bindings`], one
//! [`Output`] per operation (botocore's output `location`s and `payload`). Bodies sent as
//! `aws-chunked` (streaming uploads) are decoded here, their trailers bound like headers.
//!
//! Virtual-hosted addressing (`bucket.host`) is not served: clients use path style
//! (`force_path_style(true)`, botocore `addressing_style: path`).

use std::borrow::Cow;

use base64::Engine as _;

use crate::api::{ApiError, Request, Response};
use crate::document::Document;
use crate::protocol::{Routed, aws_chunked, xml};
use crate::service::{Operation, ServiceDef};
use crate::shape::{Location, Member, Shape};
use crate::sigv4::AuthFailure;

pub const CONTENT_TYPE: &str = "application/xml";

type Labels = Vec<(&'static str, String)>;

/// How a restXml service's outputs go on the wire, and which query keys name its
/// sub-resources.
#[derive(Debug)]
pub struct Bindings {
    /// Namespace of response documents (`http://s3.amazonaws.com/doc/2006-03-01/`).
    pub xmlns: &'static str,
    /// One per operation of the table.
    pub outputs: &'static [Output],
    /// Query keys that select another operation on the same path (`acl`, `tagging`, …): a
    /// request carrying one that its row does not declare is an operation this endpoint
    /// does not emulate, never the row's (`GET /b/k?acl` is not GetObject).
    pub subresources: &'static [&'static str],
}

// One static per service: equal exactly when they are the same.
impl PartialEq for Bindings {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

/// The wire form of one operation's output.
#[derive(Debug)]
pub struct Output {
    pub operation: &'static str,
    /// The success status (`http.responseCode`; 200 unless the model says otherwise).
    pub status: u16,
    /// Output members sent as headers: `(member, header)`. Timestamps are written as HTTP
    /// dates, numbers and booleans as text.
    pub headers: &'static [(&'static str, &'static str)],
    pub body: OutputBody,
}

/// The body of a success response.
#[derive(Debug)]
pub enum OutputBody {
    Empty,
    /// The member's bytes or text, as they are (GetObject, GetBucketPolicy). Its content
    /// type is the `Content-Type` header member when the output has one.
    Raw {
        member: &'static str,
        content_type: &'static str,
    },
    /// The members not sent as headers, as the elements of `<root xmlns=…>`.
    Xml {
        root: &'static str,
    },
    /// The member's text as the whole content of `<root xmlns=…>` (GetBucketLocation's
    /// `<LocationConstraint>`); an absent member is the empty element.
    Text {
        root: &'static str,
        member: &'static str,
    },
}

impl Bindings {
    fn output(&self, operation: &str) -> Option<&Output> {
        self.outputs.iter().find(|o| o.operation == operation)
    }
}

/// A row's URI split into its path pattern and the query literals that select it:
/// `/{Bucket}?list-type=2` → (`/{Bucket}`, [(`list-type`, Some(`2`))]).
pub fn split_uri(uri: &'static str) -> (&'static str, Vec<(&'static str, Option<&'static str>)>) {
    match uri.split_once('?') {
        None => (uri, Vec::new()),
        Some((path, query)) => (
            path,
            query
                .split('&')
                .filter(|q| !q.is_empty())
                .map(|q| match q.split_once('=') {
                    Some((k, v)) => (k, Some(v)),
                    None => (q, None),
                })
                .collect(),
        ),
    }
}

/// The row whose method, path pattern and query literals match the request (the one with
/// the most literals when several do). A path that matches only with another method is 405
/// MethodNotAllowed; a known sub-resource or a path no row serves is 501 NotImplemented.
pub fn route(
    service: &'static ServiceDef,
    bindings: &Bindings,
    req: &Request,
) -> Result<Routed, ApiError> {
    // `/bucket/` is the bucket (the Rust SDK sends bucket operations so).
    let path = match req.path.strip_suffix('/') {
        Some(p) if p.len() > 1 && !p[1..].contains('/') => p,
        _ => req.path.as_str(),
    };
    let query = req.query_pairs();
    let has = |key: &str, value: Option<&str>| {
        query
            .iter()
            .any(|(k, v)| k == key && value.is_none_or(|want| v == want))
    };
    let mut path_matched = false;
    // (query literals, row, labels) of the most specific match so far.
    let mut best: Option<(usize, &'static Operation, Labels)> = None;
    for op in service.operations {
        let Some(http) = op.http else { continue };
        let (pattern, literals) = split_uri(http.uri);
        let Some(labels) = super::rest_json::match_uri(pattern, path) else {
            continue;
        };
        path_matched = true;
        if http.method != req.method.as_str() || !literals.iter().all(|(k, v)| has(k, *v)) {
            continue;
        }
        let foreign = query.iter().find(|(k, _)| {
            bindings.subresources.contains(&k.as_str()) && !literals.iter().any(|(l, _)| l == k)
        });
        if foreign.is_some() {
            continue;
        }
        if best.as_ref().is_none_or(|(n, _, _)| literals.len() > *n) {
            best = Some((literals.len(), op, labels));
        }
    }
    if let Some((_, op, labels)) = best {
        return Ok(Routed {
            op,
            labels,
            params: Default::default(),
        });
    }
    let served_method = service.operations.iter().any(|op| {
        op.http.is_some_and(|h| {
            h.method == req.method.as_str()
                && super::rest_json::match_uri(split_uri(h.uri).0, path).is_some()
        })
    });
    if path_matched && !served_method {
        return Err(ApiError::new(
            405,
            "MethodNotAllowed",
            "The specified method is not allowed against this resource.",
        )
        .with_field("Method", req.method.as_str())
        .with_field("ResourceType", resource_type(path)));
    }
    let target = if req.query.is_empty() {
        format!("{} {}", req.method, req.path)
    } else {
        format!("{} {}?{}", req.method, req.path, req.query)
    };
    Err(ApiError::new(
        501,
        "NotImplemented",
        format!(
            "{target} is an S3 operation ivstack local does not emulate (it serves the bucket \
             and object operations listed in its README, path-style only)"
        ),
    ))
}

/// `BUCKET` or `OBJECT`, for MethodNotAllowed.
fn resource_type(path: &str) -> &'static str {
    match path.trim_start_matches('/').split_once('/') {
        Some((_, key)) if !key.is_empty() => "OBJECT",
        _ => "BUCKET",
    }
}

/// The input document: labels, query parameters, headers (and trailers of an
/// `aws-chunked` body) and the payload member, every scalar as text for the validator to
/// read as its type (`Source::Text`).
pub fn decode(
    shape: &Shape,
    labels: &[(&'static str, String)],
    req: &Request,
) -> Result<Document, ApiError> {
    let content_encoding = req.header("content-encoding");
    let (body, trailers): (Cow<'_, [u8]>, _) =
        if aws_chunked::is_chunked(content_encoding, req.header("x-amz-content-sha256")) {
            let framing = aws_chunked::Framing::of(req.header("x-amz-content-sha256"));
            let decoded = aws_chunked::decode(&req.body, framing).map_err(|e| chunked_error(&e))?;
            if let Some(declared) = req.header("x-amz-decoded-content-length")
                && declared.trim().parse::<usize>().ok() != Some(decoded.payload.len())
            {
                return Err(ApiError::new(
                    400,
                    "IncompleteBody",
                    "You did not provide the number of bytes specified by the \
                     x-amz-decoded-content-length HTTP header",
                ));
            }
            (Cow::Owned(decoded.payload), decoded.trailers)
        } else {
            (Cow::Borrowed(&req.body[..]), Default::default())
        };
    let header = |name: &str| -> Option<String> {
        if name == "content-encoding" {
            // The transfer coding is not the object's.
            return content_encoding.and_then(aws_chunked::remaining_encoding);
        }
        req.header(name)
            .map(str::to_string)
            .or_else(|| trailers.get(name).cloned())
    };
    let mut doc = Document::map();
    for m in shape.members() {
        let value = match m.location {
            // restXml inputs bind their body to one payload member.
            Location::Body => None,
            Location::Label => labels
                .iter()
                .find(|(name, _)| *name == m.name)
                .map(|(_, v)| Document::str(v.clone())),
            Location::Query(key) => {
                let values: Vec<String> = req
                    .query_pairs()
                    .into_iter()
                    .filter(|(k, _)| k == key)
                    .map(|(_, v)| v)
                    .collect();
                match (m.shape, values.first()) {
                    (_, None) => None,
                    (Shape::List(_), _) => Some(Document::strings(values)),
                    (_, Some(v)) => Some(Document::str(v.clone())),
                }
            }
            Location::Header(name) => header(name).map(Document::Str),
            Location::Payload => payload(m, &body)?,
        };
        if let Some(v) = value {
            doc.insert(m.name, v);
        }
    }
    Ok(doc)
}

/// The payload member's value: the bytes (blob), the text (string), or the XML document
/// read along the member's structure. An empty body is an absent member.
fn payload(m: &Member, body: &[u8]) -> Result<Option<Document>, ApiError> {
    if body.is_empty() {
        return Ok(None);
    }
    match m.shape {
        Shape::Blob => Ok(Some(Document::Bytes(body.to_vec()))),
        Shape::Struct(members) => read_xml(m.name, members, body).map(Some),
        _ => match std::str::from_utf8(body) {
            Ok(text) => Ok(Some(Document::str(text))),
            Err(_) => Err(ApiError::new(
                400,
                "InvalidArgument",
                format!("The {} must be UTF-8 text", m.name),
            )),
        },
    }
}

fn malformed_xml() -> ApiError {
    ApiError::new(
        400,
        "MalformedXML",
        "The XML you provided was not well-formed or did not validate against our published schema",
    )
}

/// An XML document whose root element is `root`, read along `members` (with the SDK's
/// own XML decoder). Unknown elements are skipped; scalars stay text.
fn read_xml(root: &str, members: &'static [Member], body: &[u8]) -> Result<Document, ApiError> {
    let text = std::str::from_utf8(body).map_err(|_| malformed_xml())?;
    let mut doc = aws_smithy_xml::decode::Document::new(text);
    let mut scope = doc.root_element().map_err(|_| malformed_xml())?;
    if !scope.start_el().matches(root) {
        return Err(malformed_xml());
    }
    read_struct(&mut scope, members)
}

fn read_struct(
    scope: &mut aws_smithy_xml::decode::ScopedDecoder<'_, '_>,
    members: &'static [Member],
) -> Result<Document, ApiError> {
    let mut out = Document::map();
    while let Some(mut tag) = scope.next_tag() {
        let Some(m) = members.iter().find(|m| tag.start_el().matches(m.name)) else {
            continue;
        };
        let value = match m.shape {
            Shape::Struct(inner) => read_struct(&mut tag, inner)?,
            _ => Document::str(
                aws_smithy_xml::decode::try_data(&mut tag)
                    .map_err(|_| malformed_xml())?
                    .into_owned(),
            ),
        };
        out.insert(m.name, value);
    }
    Ok(out)
}

/// The success response: the row's status, header members, and body.
pub fn response(bindings: &Bindings, op: &Operation, output: &Document) -> Response {
    let Some(out) = bindings.output(op.name) else {
        return Response::new(200, CONTENT_TYPE, Vec::new());
    };
    let mut headers: Vec<(String, String)> = Vec::new();
    for (member, header) in out.headers {
        if let Some(v) = output.get(member).and_then(header_text) {
            headers.push((header.to_string(), v));
        }
    }
    let content_type_member = out
        .headers
        .iter()
        .any(|(_, h)| h.eq_ignore_ascii_case("content-type"));
    let (content_type, body): (Option<&str>, Vec<u8>) = match &out.body {
        OutputBody::Empty => (None, Vec::new()),
        OutputBody::Raw {
            member,
            content_type,
        } => {
            let bytes = match output.get(member) {
                Some(Document::Bytes(b)) => b.clone(),
                Some(Document::Str(s)) => s.clone().into_bytes(),
                _ => Vec::new(),
            };
            let ct = (!content_type_member).then_some(*content_type);
            (ct, bytes)
        }
        OutputBody::Xml { root } => {
            let mut rest = output.clone();
            for (member, _) in out.headers {
                rest.take(member);
            }
            let mut s = xml_declaration(root, bindings.xmlns);
            xml::write_members_rest(&rest, &mut s);
            s.push_str(&format!("</{root}>"));
            (Some(CONTENT_TYPE), s.into_bytes())
        }
        OutputBody::Text { root, member } => {
            let s = match output.get_str(member) {
                Some(text) => format!(
                    "{}{}</{root}>",
                    xml_declaration(root, bindings.xmlns),
                    xml::escape(text)
                ),
                None => format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{root} xmlns=\"{}\"/>",
                    bindings.xmlns
                ),
            };
            (Some(CONTENT_TYPE), s.into_bytes())
        }
    };
    let mut resp = Response {
        status: out.status,
        headers: Vec::new(),
        body: body.into(),
    };
    if let Some(ct) = content_type {
        resp.headers.push(("content-type".into(), ct.into()));
    }
    resp.headers.extend(headers);
    resp
}

fn xml_declaration(root: &str, xmlns: &str) -> String {
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{root} xmlns=\"{xmlns}\">")
}

/// A header member's value as text.
fn header_text(v: &Document) -> Option<String> {
    match v {
        Document::Str(s) => Some(s.clone()),
        Document::Int(i) => Some(i.to_string()),
        Document::Bool(b) => Some(b.to_string()),
        Document::Float(f) => Some(f.to_string()),
        Document::Timestamp(t) => Some(crate::time::http_date(*t)),
        Document::Bytes(b) => Some(base64::engine::general_purpose::STANDARD.encode(b)),
        _ => None,
    }
}

/// S3's error document. 304 Not Modified has no body (HEAD responses never carry one;
/// hyper leaves it out).
pub fn error_response(err: &ApiError, request_id: &str) -> Response {
    if err.status == 304 {
        return Response {
            status: 304,
            headers: Vec::new(),
            body: Default::default(),
        };
    }
    let mut body = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>");
    let mut element = |name: &str, value: &str| {
        body.push_str(&format!("<{name}>{}</{name}>", xml::escape(value)));
    };
    element("Code", &err.code);
    element("Message", &err.message);
    for (name, value) in err.fields() {
        element(name, value);
    }
    element("RequestId", request_id);
    element("HostId", &host_id(request_id));
    body.push_str("</Error>");
    Response::new(err.status, CONTENT_TYPE, body)
}

/// `x-amz-id-2` / `<HostId>`: S3's extended request id (here derived from the request id).
pub fn host_id(request_id: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(request_id)
}

/// An authentication failure in S3's words (codes and statuses as S3 answers them).
pub fn auth_error(failure: &AuthFailure) -> ApiError {
    match failure {
        AuthFailure::Missing => ApiError::new(403, "AccessDenied", "Access Denied"),
        AuthFailure::Malformed(m) => ApiError::new(
            400,
            "AuthorizationHeaderMalformed",
            format!("The authorization header is malformed; {m}"),
        ),
        AuthFailure::UnknownAccessKey(key) => ApiError::new(
            403,
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
        )
        .with_field("AWSAccessKeyId", key.clone()),
        AuthFailure::SignatureMismatch => ApiError::new(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. \
             Check your key and signing method.",
        ),
        AuthFailure::BadDate(m) if m.starts_with("Signature expired") => ApiError::new(
            403,
            "RequestTimeTooSkewed",
            "The difference between the request time and the current time is too large.",
        ),
        AuthFailure::BadDate(m) => ApiError::new(403, "AccessDenied", m.clone()),
        AuthFailure::MissingPayloadHash => ApiError::new(400, "InvalidRequest", failure.message()),
        AuthFailure::UnsupportedPayload(_) => {
            ApiError::new(501, "NotImplemented", failure.message())
                .with_field("Header", "x-amz-content-sha256")
        }
        AuthFailure::ChunkSignatureMismatch(_) => {
            ApiError::new(403, "SignatureDoesNotMatch", failure.message())
        }
        AuthFailure::ChunkedBody(m) => chunked_error(m),
    }
}

/// An `aws-chunked` body that cannot be read: cut short (`IncompleteBody`, as S3 answers a
/// body shorter than announced) or badly framed (`InvalidRequest`).
pub fn chunked_error(m: &aws_chunked::Malformed) -> ApiError {
    match m {
        aws_chunked::Malformed::Truncated(_) => ApiError::new(
            400,
            "IncompleteBody",
            format!(
                "You did not provide the number of bytes specified by the Content-Length HTTP \
                 header: {m}"
            ),
        ),
        aws_chunked::Malformed::Invalid(_) => ApiError::new(400, "InvalidRequest", m.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_split_into_path_and_literals() {
        assert_eq!(split_uri("/{Bucket}/{Key+}"), ("/{Bucket}/{Key+}", vec![]));
        assert_eq!(
            split_uri("/{Bucket}?list-type=2"),
            ("/{Bucket}", vec![("list-type", Some("2"))])
        );
        assert_eq!(
            split_uri("/{Bucket}?location"),
            ("/{Bucket}", vec![("location", None)])
        );
    }

    #[test]
    fn errors_are_s3_documents() {
        let err = ApiError::new(412, "PreconditionFailed", "At least one <pre-condition>")
            .with_field("Condition", "If-None-Match");
        let resp = error_response(&err, "RID");
        assert_eq!(resp.status, 412);
        let body = String::from_utf8(resp.body.to_vec()).unwrap();
        assert_eq!(
            body,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>PreconditionFailed</Code>\
             <Message>At least one &lt;pre-condition&gt;</Message>\
             <Condition>If-None-Match</Condition><RequestId>RID</RequestId>\
             <HostId>UklE</HostId></Error>"
        );
        assert!(
            error_response(&ApiError::new(304, "NotModified", ""), "r")
                .body
                .is_empty()
        );
    }
}
