//! The plain data a request becomes, a response is made of, and an error is: the server
//! builds [`Request`]s, the protocols turn documents into [`Response`]s, and handlers fail
//! with [`ApiError`]s that the request's protocol renders in its own shape.

use std::collections::BTreeMap;

use bytes::Bytes;

/// An HTTP request as a service sees it.
#[derive(Clone)]
pub struct Request {
    pub method: http::Method,
    /// Raw path as sent, still percent-encoded.
    pub path: String,
    /// Raw query string (without `?`), still percent-encoded.
    pub query: String,
    /// Header names are lowercase.
    pub headers: BTreeMap<String, String>,
    pub body: Bytes,
    /// Region from the SigV4 credential scope.
    pub region: String,
}

// Credentials and tokens travel in headers and bodies: never print them.
impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(k, v)| {
                let shown = if is_secret_header(k) { "<redacted>" } else { v };
                (k.as_str(), shown)
            })
            .collect();
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("headers", &headers)
            .field("body", &format_args!("<{} bytes>", self.body.len()))
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

/// Headers that carry credentials or tokens.
pub fn is_secret_header(name: &str) -> bool {
    matches!(
        name,
        "authorization"
            | "x-amz-security-token"
            | "cookie"
            | "x-amz-server-side-encryption-customer-key"
    )
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }

    /// Decoded query parameters, in order (a key may repeat).
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        form_urlencoded::parse(self.query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }
}

/// An HTTP response from a service.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl Response {
    pub fn new(status: u16, content_type: &str, body: impl Into<Bytes>) -> Response {
        Response {
            status,
            headers: vec![("content-type".to_string(), content_type.to_string())],
            body: body.into(),
        }
    }

    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Response {
        self.headers.push((name.to_string(), value.into()));
        self
    }
}

/// A service-wide error code (validation, throttling, internal): status, the code JSON and
/// CBOR errors carry (`__type`, `x-amzn-errortype`), and for awsQuery-compatible services
/// the awsQuery code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorCode {
    pub status: u16,
    pub code: &'static str,
    pub query_code: Option<&'static str>,
}

impl ErrorCode {
    /// This error with `message`.
    pub fn error(&self, message: impl Into<String>) -> ApiError {
        let mut e = ApiError::new(self.status, self.code, message);
        e.query_code = self.query_code.map(str::to_string);
        e
    }
}

/// A service error, rendered by the protocol the request came in on.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: u16,
    /// The error code as the service model names it (`ValidationException`, `NoSuchEntity`).
    pub code: String,
    pub message: String,
    /// awsQuery `<Type>`: true = Sender, false = Receiver.
    pub sender_fault: bool,
    /// For awsQuery-compatible JSON/CBOR services (CloudWatch): the legacy query error code
    /// and status, sent in the `x-amzn-query-error` header as `Code;Sender`.
    pub query_code: Option<String>,
    /// More elements and response headers of the error (kept in one list: most errors have
    /// none).
    pub extra: Vec<ErrorExtra>,
}

/// Something an error carries besides its code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorExtra {
    /// An element after the message, in the protocols whose errors carry them (S3:
    /// `<Condition>If-None-Match</Condition>`, `<BucketName>`, `<Key>`).
    Field(String, String),
    /// A response header (S3: `x-amz-bucket-region` on a redirect).
    Header(String, String),
}

impl ApiError {
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code: code.to_string(),
            message: message.into(),
            sender_fault: status < 500,
            query_code: None,
            extra: Vec::new(),
        }
    }

    /// With one more element, e.g. `("Condition", "If-None-Match")`.
    pub fn with_field(mut self, name: &str, value: impl Into<String>) -> ApiError {
        self.extra
            .push(ErrorExtra::Field(name.to_string(), value.into()));
        self
    }

    /// With a response header.
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> ApiError {
        self.extra
            .push(ErrorExtra::Header(name.to_string(), value.into()));
        self
    }

    /// The extra elements, in order.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &str)> {
        self.extra.iter().filter_map(|e| match e {
            ErrorExtra::Field(k, v) => Some((k.as_str(), v.as_str())),
            ErrorExtra::Header(..) => None,
        })
    }

    /// The response headers.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &str)> {
        self.extra.iter().filter_map(|e| match e {
            ErrorExtra::Header(k, v) => Some((k.as_str(), v.as_str())),
            ErrorExtra::Field(..) => None,
        })
    }

    pub fn with_query_code(mut self, code: &str) -> ApiError {
        self.query_code = Some(code.to_string());
        self
    }
}
