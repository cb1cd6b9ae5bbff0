//! Turning AWS SDK errors into messages for the person at the terminal: the operation,
//! the AWS error code, AWS's message, and what to do about it. An endpoint that cannot be
//! reached is named (the SDK's connector errors do not say where they tried to connect),
//! in one line.

use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextMut,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpResponse, OrchestratorError};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};

/// A failed AWS call, with its code kept for programmatic checks (not found, conflict).
#[derive(Debug, thiserror::Error)]
#[error("{operation} failed: {detail}{hint}")]
pub struct AwsError {
    pub operation: String,
    /// The AWS error code (`NoSuchEntity`, `ThrottlingException`, ...), if AWS answered.
    pub code: Option<String>,
    pub detail: String,
    /// Throttling, a 5xx, or no answer: trying again may succeed.
    pub retryable: bool,
    hint: String,
}

impl AwsError {
    pub fn is_not_found(&self) -> bool {
        matches!(
            self.code.as_deref(),
            Some(
                "NoSuchEntity"
                    | "ResourceNotFoundException"
                    | "ResourceNotFound"
                    | "NotFoundException"
            )
        )
    }

    pub fn code_is(&self, code: &str) -> bool {
        self.code.as_deref() == Some(code)
    }

    /// A call that succeeded but answered something unusable (not worth a retry).
    pub fn unexpected(operation: &str, detail: &str) -> AwsError {
        AwsError {
            operation: operation.to_string(),
            code: None,
            detail: detail.to_string(),
            retryable: false,
            hint: String::new(),
        }
    }
}

/// Describe an SDK error from `operation`.
pub fn aws_error<E>(operation: &str, err: SdkError<E, HttpResponse>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let mut retryable = !matches!(err, SdkError::ConstructionFailure(_));
    let (code, detail) = match &err {
        SdkError::ServiceError(se) => {
            let e = se.err();
            let code = e.code().map(str::to_string);
            retryable = se.raw().status().as_u16() >= 500
                || matches!(
                    code.as_deref(),
                    Some(
                        "ThrottlingException"
                            | "Throttling"
                            | "TooManyRequestsException"
                            | "RequestLimitExceeded"
                    )
                );
            let status = se.raw().status().as_u16();
            let detail = match (&code, e.message()) {
                (Some(c), Some(m)) => format!("{c}: {m}"),
                (Some(c), None) => format!("{c} (HTTP {status})"),
                (None, Some(m)) => format!("HTTP {status}: {m}"),
                // Nothing AWS-shaped came back: say what did, so a wrong endpoint is obvious.
                (None, None) => format!("HTTP {status} with no AWS error code or message"),
            };
            (code, detail)
        }
        SdkError::DispatchFailure(d) => (None, unreachable(d.as_connector_error())),
        SdkError::TimeoutError(_) => (None, "the request timed out".to_string()),
        SdkError::ResponseError(_) => (
            None,
            "the response could not be read (is the endpoint an AWS-compatible one?)".to_string(),
        ),
        SdkError::ConstructionFailure(_) => {
            (None, format!("the request could not be built: {err}"))
        }
        _ => (None, err.to_string()),
    };
    let hint = hint(code.as_deref(), &err);
    AwsError {
        operation: operation.to_string(),
        code,
        detail,
        retryable,
        hint,
    }
}

fn hint<E, R>(code: Option<&str>, err: &SdkError<E, R>) -> String {
    let h = match code {
        Some("AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation") => {
            "the credentials lack this permission; see the README's \"Permissions\" section"
        }
        Some(
            "ExpiredToken"
            | "ExpiredTokenException"
            | "InvalidClientTokenId"
            | "UnrecognizedClientException"
            | "SignatureDoesNotMatch"
            | "InvalidSignatureException",
        ) => "the credentials were rejected; refresh them or check --profile",
        Some("ThrottlingException" | "Throttling" | "TooManyRequestsException") => {
            "AWS throttled the request after retries; lower --max-concurrency or --rate"
        }
        Some("PendingVerification") => {
            "the account is pending verification by AWS; this is not retryable"
        }
        Some(
            "ServiceQuotaExceededException"
            | "LimitExceeded"
            | "LimitExceededException"
            | "CreationLimitExceededException",
        ) => "a service quota is reached; raise it in Service Quotas or remove resources",
        Some("ConflictException") => {
            "the resource is busy (for a stage: recording or a session is active); retry later"
        }
        Some("EntityAlreadyExists" | "DuplicateRecordException") => {
            "a resource with this name exists but is not owned by this stack; rename it in \
             the stack file or delete the other one"
        }
        _ => match err {
            // One line: what was tried (in the detail) and what to check.
            SdkError::DispatchFailure(_) => {
                return "; check --endpoint-url, the network, and that the endpoint is running"
                    .to_string();
            }
            _ => "",
        },
    };
    if h.is_empty() {
        String::new()
    } else {
        format!("\n  hint: {h}")
    }
}

/// "could not reach URL (cause)", from a connector error and what
/// [`EndpointRecorder`] put in it.
fn unreachable(err: Option<&ConnectorError>) -> String {
    let Some(err) = err else {
        return "could not reach the endpoint".to_string();
    };
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(err);
    while let Some(e) = source {
        if let Some(u) = e.downcast_ref::<Unreachable>() {
            return format!("could not reach {} ({})", u.url, u.cause);
        }
        source = e.source();
    }
    format!("could not reach the endpoint ({})", cause(err))
}

/// The innermost cause of a connection failure, in words.
fn cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut innermost: &(dyn std::error::Error + 'static) = err;
    let mut source = Some(err);
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::*;
            let known = match io.kind() {
                ConnectionRefused => Some("connection refused"),
                ConnectionReset => Some("connection reset"),
                ConnectionAborted => Some("connection aborted"),
                TimedOut => Some("connection timed out"),
                HostUnreachable => Some("host unreachable"),
                NetworkUnreachable => Some("network unreachable"),
                AddrNotAvailable => Some("address not available"),
                _ => None,
            };
            if let Some(k) = known {
                return k.to_string();
            }
        }
        innermost = e;
        source = e.source();
    }
    innermost.to_string()
}

/// A connection failure with the endpoint it was trying to reach.
#[derive(Debug, thiserror::Error)]
#[error("could not reach {url} ({cause})")]
struct Unreachable {
    url: String,
    cause: String,
}

/// Where the request of an operation went (scheme and authority).
#[derive(Debug, Clone)]
struct Target(String);

impl Storable for Target {
    type Storer = StoreReplace<Self>;
}

/// An SDK interceptor that remembers where each request was sent and, when the call
/// ends in a connection failure, puts that URL into the error.
#[derive(Debug, Clone, Copy, Default)]
pub struct EndpointRecorder;

impl Intercept for EndpointRecorder {
    fn name(&self) -> &'static str {
        "ivstack-endpoint-recorder"
    }

    fn read_before_transmit(
        &self,
        ctx: &BeforeTransmitInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let uri = ctx.request().uri();
        // Scheme and authority: the path says nothing about reachability.
        let origin = match uri.find("://") {
            Some(i) => match uri[i + 3..].find('/') {
                Some(j) => &uri[..i + 3 + j],
                None => uri,
            },
            None => uri,
        };
        cfg.interceptor_state()
            .store_put(Target(origin.to_string()));
        Ok(())
    }

    fn modify_before_completion(
        &self,
        ctx: &mut FinalizerInterceptorContextMut<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(Target(url)) = cfg.load::<Target>().cloned() else {
            return Ok(());
        };
        if let Some(Err(e)) = ctx.output_or_error_mut()
            && let Some(ce) = e.as_connector_error()
            && !ce.is_user()
        {
            let wrapped: BoxError = Box::new(Unreachable {
                url,
                cause: cause(ce),
            });
            // Same kind, so that anything classifying the error still sees what it was.
            let replacement = if ce.is_timeout() {
                ConnectorError::timeout(wrapped)
            } else if ce.is_io() {
                ConnectorError::io(wrapped)
            } else {
                ConnectorError::other(wrapped, ce.as_other())
            };
            *e = OrchestratorError::connector(replacement);
        }
        Ok(())
    }
}
