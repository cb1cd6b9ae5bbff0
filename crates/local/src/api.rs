//! The contract between the HTTP front of the local endpoint and its service emulators.
//!
//! The server (`server.rs`) reads a request, verifies its SigV4 signature, and hands it to
//! the service named by the credential scope. A service first *routes* the request (which
//! operation, which wire protocol) so that rate quotas and fault injection can be applied
//! per operation, then *handles* it against the shared state. Errors are plain data
//! ([`ApiError`]) that the routed protocol renders in its own shape.

use std::collections::BTreeMap;

use bytes::Bytes;

use super::state::LocalState;

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
}

impl ApiError {
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code: code.to_string(),
            message: message.into(),
            sender_fault: status < 500,
            query_code: None,
        }
    }

    pub fn with_query_code(mut self, code: &str) -> ApiError {
        self.query_code = Some(code.to_string());
        self
    }
}

/// The wire protocol a request arrived in; decides how responses and errors are shaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    RestJson1,
    AwsQuery,
    AwsJson10,
    AwsJson11,
    RpcV2Cbor,
}

/// What a service needs to know about a request before handling it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// Operation name as in the service model, e.g. `CreateStage`.
    pub operation: String,
    pub protocol: Protocol,
}

/// Endpoint-wide facts every service may need.
#[derive(Debug, Clone)]
pub struct Context {
    pub account_id: String,
    /// Unique per request, echoed as the request id.
    pub request_id: String,
    /// Seconds since the Unix epoch at which the request is handled.
    pub now: i64,
    /// Resource quotas are enforced (`--quotas aws`).
    pub enforce_resource_quotas: bool,
}

/// One emulated AWS service.
pub trait Service: Send + Sync {
    /// The SigV4 signing name that selects this service (`ivs`, `iam`, `sts`, `monitoring`,
    /// `budgets`).
    fn signing_name(&self) -> &'static str;

    /// Identify the operation and protocol. An unknown operation is an error in the
    /// service's own shape (the protocol in the error's route decides the rendering).
    fn route(&self, req: &Request) -> Result<Route, (Protocol, ApiError)>;

    /// Perform the operation against the state. Returns the success response, or an error
    /// that the server renders with [`Service::render_error`].
    fn handle(
        &self,
        route: &Route,
        req: &Request,
        state: &mut LocalState,
        ctx: &Context,
    ) -> Result<Response, ApiError>;

    /// Render an error in the protocol the request used.
    fn render_error(&self, protocol: Protocol, err: &ApiError, ctx: &Context) -> Response;

    /// The error this service answers with when a request-rate quota is exceeded. It must
    /// carry a code the AWS SDKs classify as throttling.
    fn throttling_error(&self, operation: &str) -> ApiError;

    /// Whether the operation changes state (the server persists state after it).
    fn is_mutating(&self, operation: &str) -> bool;

    /// The documented (or a conservative) request-rate quota for the operation, in
    /// requests per second, used with `--quotas aws`.
    fn rate_quota(&self, operation: &str) -> f64;
}
