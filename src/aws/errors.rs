//! Turning AWS SDK errors into messages for the person at the terminal: the operation,
//! the AWS error code, AWS's message, and what to do about it.

use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;

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
        SdkError::DispatchFailure(d) => (
            None,
            format!(
                "could not reach the endpoint ({:?})",
                d.as_connector_error()
            ),
        ),
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
            SdkError::DispatchFailure(_) => {
                "check --endpoint-url, the network, and that the endpoint is running"
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
