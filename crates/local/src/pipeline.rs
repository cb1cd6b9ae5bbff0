//! The one request pipeline, the same for every service and protocol:
//!
//! 1. **route** — the service by the SigV4 credential scope (`services::Registry`), its
//!    protocol by the request's marks, and (once authenticated, so that an unsigned caller
//!    learns nothing) the operation row by the protocol's router;
//! 2. **admit** — SigV4 authentication, added latency, the row's rate quota, faults;
//! 3. **decode** — the protocol's body/params into one [`Document`];
//! 4. **validate** — against the row's input shape (`shape::validate`);
//! 5. **handle** — the row's handler, on the locked state; persisted after mutating rows;
//! 6. **encode** — the output, or the error, in the request's protocol.

use std::time::SystemTime;

use crate::LocalConfig;
use crate::api::{ApiError, Request, Response};
use crate::document::Document;
use crate::knobs::{Clock, Knobs, Verdict};
use crate::protocol::{self, Protocol};
use crate::service::{Ctx, ServiceDef};
use crate::services::Registry;
use crate::shape::{self, Invalid};
use crate::sigv4::{self, AuthFailure, AuthHeader};
use crate::store::Store;

/// Everything a request needs, shared by all connections.
pub(crate) struct Shared {
    pub config: LocalConfig,
    pub registry: Registry,
    pub store: Store,
    pub knobs: Knobs,
    pub clock: Clock,
    /// Every admitted, decoded request while a test records them ([`crate::Recorder`]).
    pub recorder: crate::Recorder,
}

/// The parts of the raw request SigV4 verification needs.
pub(crate) struct Signed<'a> {
    pub auth: Result<AuthHeader, AuthFailure>,
    /// Raw `path?query` exactly as received.
    pub path_and_query: &'a str,
    /// The received headers (with `host` added for HTTP/2).
    pub headers: &'a http::HeaderMap,
    pub now: SystemTime,
}

/// What to do with the connection.
pub(crate) enum Outcome {
    Respond(Response),
    /// Close without answering (the "dropped connection" fault).
    Drop,
}

/// Run one request through the pipeline.
pub(crate) async fn handle(
    shared: &Shared,
    req: &Request,
    signed: Signed<'_>,
    request_id: &str,
) -> Outcome {
    // 1. Route: the service.
    let service = match &signed.auth {
        Ok(a) => match shared.registry.get(&a.service) {
            Some(s) => s,
            None => {
                let msg = format!(
                    "This endpoint does not serve the service `{}` (credential scope service). Served: {}",
                    a.service,
                    shared.registry.names().join(", ")
                );
                return Outcome::Respond(plain_error(400, "UnknownService", &msg));
            }
        },
        Err(_) => match guess_service(&shared.registry, req) {
            Some(s) => s,
            None => {
                return Outcome::Respond(plain_error(
                    403,
                    "MissingAuthenticationTokenException",
                    "Missing Authentication Token",
                ));
            }
        },
    };
    let protocol = protocol::detect(service, req);
    let fail = |err: &ApiError| {
        Outcome::Respond(protocol::render_error(service, protocol, err, request_id))
    };

    // 2. Admit: authenticate before anything else is revealed.
    if let Err(failure) = authenticate(shared, service, req, &signed) {
        shared.knobs.count_auth_failure();
        let err = match protocol {
            Protocol::RestXml(_) => protocol::rest_xml::auth_error(&failure),
            _ => auth_error(&failure),
        };
        return fail(&err);
    }
    let routed = match protocol::route(service, protocol, req) {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
    let op = routed.op;
    shared.knobs.delay().await;
    match shared
        .knobs
        .admit(service.signing_name, op.name, &req.region, op.tps)
    {
        Verdict::Proceed => {}
        Verdict::Throttle | Verdict::FaultThrottle => {
            return fail(&service.throttling.error("Rate exceeded"));
        }
        Verdict::FaultInternal => {
            return fail(
                &service
                    .internal
                    .error("Injected fault: internal error (ivstack local --fault-rate)"),
            );
        }
        Verdict::FaultDrop => return Outcome::Drop,
    }

    // 3-4. Decode and validate.
    let input = match protocol::decode(protocol, &routed, req)
        .and_then(|(doc, source)| validate(service, op.input, doc, source))
    {
        Ok(i) => i,
        Err(e) => return fail(&e),
    };

    shared
        .recorder
        .record(service.signing_name, op.name, &req.region, &input);

    // 5. Handle, persisting after a mutation (also a failed one: DeleteAlarms deletes the
    // names it knows and reports the others, so part of the change happened).
    let result = {
        let mut state = shared.store.lock();
        let mut ctx = Ctx {
            state: &mut state,
            region: &req.region,
            account_id: &shared.config.account_id,
            now: shared.clock.epoch_seconds(),
            request_id,
            enforce_resource_quotas: shared.config.quotas_aws,
            quota_overrides: &shared.config.resource_quotas,
        };
        let result = (op.handler)(&mut ctx, input);
        if op.mutates
            && let Err(e) = shared.store.save(&state)
        {
            tracing::error!("{e}");
            if result.is_ok() {
                return fail(&service.internal.error(format!(
                    "The change was applied in memory but could not be persisted: {e}"
                )));
            }
        }
        result
    };

    // 6. Encode.
    match result {
        Ok(output) => Outcome::Respond(protocol::encode(protocol, op, &output, request_id)),
        Err(e) => fail(&e),
    }
}

/// Validate decoded input against the row's shape, in the service's error vocabulary.
pub(crate) fn validate(
    service: &ServiceDef,
    shape: &shape::Shape,
    doc: Document,
    source: shape::Source,
) -> Result<Document, ApiError> {
    shape::validate(doc, shape, source).map_err(|invalid| match invalid {
        Invalid::Type(msg) => protocol::serialization_error(msg),
        Invalid::Constraints(v) => service.validation_error(&v),
    })
}

/// Check the request's SigV4 signature against the configured keys.
fn authenticate(
    shared: &Shared,
    service: &ServiceDef,
    req: &Request,
    signed: &Signed<'_>,
) -> Result<(), AuthFailure> {
    let a = signed.auth.as_ref().map_err(Clone::clone)?;
    if a.access_key != shared.config.access_key {
        return Err(AuthFailure::UnknownAccessKey(a.access_key.clone()));
    }
    sigv4::verify(&sigv4::Verification {
        method: req.method.as_str(),
        path_and_query: signed.path_and_query,
        headers: signed.headers,
        body: &req.body,
        auth: a,
        secret_key: &shared.config.secret_key,
        check_skew: shared.config.check_clock_skew,
        now: signed.now,
        rules: service.signing,
    })
}

/// The authentication error: the JSON code, and the awsQuery code (rendered by awsQuery,
/// and in `x-amzn-query-error` by awsQuery-compatible services).
fn auth_error(failure: &AuthFailure) -> ApiError {
    let (json_code, query_code) = match failure {
        AuthFailure::Missing => (
            "MissingAuthenticationTokenException",
            "MissingAuthenticationToken",
        ),
        AuthFailure::Malformed(_) => ("IncompleteSignatureException", "IncompleteSignature"),
        AuthFailure::UnknownAccessKey(_) => ("UnrecognizedClientException", "InvalidClientTokenId"),
        AuthFailure::SignatureMismatch
        | AuthFailure::BadDate(_)
        | AuthFailure::ChunkSignatureMismatch(_) => {
            ("InvalidSignatureException", "SignatureDoesNotMatch")
        }
        // Only S3's signing rules produce these (its protocol words them itself).
        AuthFailure::MissingPayloadHash
        | AuthFailure::UnsupportedPayload(_)
        | AuthFailure::ChunkedBody(_) => ("IncompleteSignatureException", "IncompleteSignature"),
    };
    ApiError::new(403, json_code, failure.message()).with_query_code(query_code)
}

/// A plain JSON error for requests no service can claim.
pub(crate) fn plain_error(status: u16, code: &str, message: &str) -> Response {
    let body = serde_json::json!({ "__type": code, "message": message });
    Response::new(status, "application/json", body.to_string())
        .with_header("x-amzn-errortype", code)
}

/// For a request without a usable `Authorization` header, the service it was most likely
/// meant for, so that the rejection comes back in that service's shape: the first service
/// that routes it, else the one whose protocol marks it carries, else the first.
fn guess_service(registry: &Registry, req: &Request) -> Option<&'static ServiceDef> {
    if let Some(s) = registry
        .iter()
        .find(|s| protocol::route(s, protocol::detect(s, req), req).is_ok())
    {
        return Some(s);
    }
    let target = req.header("x-amz-target").unwrap_or_default();
    let marked = registry.iter().find(|s| {
        s.protocols.iter().any(|p| match p {
            Protocol::AwsJson { target_prefix, .. } => target.starts_with(target_prefix),
            Protocol::RpcV2Cbor { service } => req.path.contains(service),
            Protocol::AwsQuery { .. } => protocol::aws_query::looks_like_query(req),
            Protocol::RestJson1 | Protocol::RestXml(_) => false,
        })
    });
    marked.or_else(|| registry.iter().next())
}
