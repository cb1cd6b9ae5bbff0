//! The HTTP front of the local endpoint: accept connections (hyper 1), authenticate with
//! SigV4, pick the service by the credential scope, apply the knobs, dispatch, and render
//! every failure in the service's own error shape.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::LocalConfig;
use super::api::{ApiError, Context, Protocol, Request, Response, Service};
use super::knobs::{Knobs, Verdict};
use super::services::Registry;
use super::sigv4::{self, AuthFailure, AuthHeader};
use super::store::Store;

/// Requests larger than this are refused with 413 (AWS APIs cap bodies far lower).
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

/// How long shutdown waits for in-flight requests before giving up on them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Everything a request handler needs, shared by all connections.
pub(crate) struct Shared {
    pub config: LocalConfig,
    pub registry: Registry,
    pub store: Store,
    pub knobs: Knobs,
}

/// Returned by the service function to make hyper close the connection without answering
/// (the "dropped connection" fault).
#[derive(Debug)]
pub(crate) struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("injected fault: connection dropped")
    }
}

impl std::error::Error for DropConnection {}

/// Accept connections until `shutdown` flips to true, then let in-flight requests finish.
pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let graceful = GracefulShutdown::new();
    let builder = Builder::new(TokioExecutor::new());
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _peer)) => stream,
                    Err(e) => {
                        // E.g. too many open files: back off briefly instead of spinning.
                        tracing::warn!("accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let shared = shared.clone();
                let svc = hyper::service::service_fn(move |req| {
                    let shared = shared.clone();
                    async move { handle(&shared, req).await }
                });
                let conn = builder.serve_connection(TokioIo::new(stream), svc).into_owned();
                let fut = graceful.watch(conn);
                tokio::spawn(async move {
                    let _ = fut.await;
                });
            }
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    break;
                }
            }
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await;
}

fn new_request_id() -> String {
    let b: [u8; 16] = rand::random();
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn to_hyper(resp: Response, request_id: &str) -> hyper::Response<Full<Bytes>> {
    let mut builder = hyper::Response::builder().status(resp.status);
    for (k, v) in &resp.headers {
        builder = builder.header(k.as_str(), v.as_str());
    }
    builder = builder
        .header("x-amzn-requestid", request_id)
        .header("x-amz-request-id", request_id);
    match builder.body(Full::new(resp.body.clone())) {
        Ok(r) => r,
        // A service put an invalid header value in; answer without its headers.
        Err(_) => {
            let mut r = hyper::Response::new(Full::new(resp.body));
            *r.status_mut() =
                http::StatusCode::from_u16(resp.status).unwrap_or(http::StatusCode::OK);
            r
        }
    }
}

/// A plain JSON error for requests no service can claim.
fn plain_error(status: u16, code: &str, message: &str) -> Response {
    let body = serde_json::json!({ "__type": code, "message": message });
    Response::new(status, "application/json", body.to_string())
        .with_header("x-amzn-errortype", code)
}

/// For a request without a usable `Authorization` header, guess which service it was
/// meant for so the rejection comes back in that service's shape.
fn guess_service<'a>(registry: &'a Registry, req: &Request) -> Option<&'a Arc<dyn Service>> {
    let target = req.header("x-amz-target").unwrap_or_default();
    let name = if target.starts_with("AWSBudgetServiceGateway") {
        "budgets"
    } else if target.starts_with("GraniteServiceVersion20100801")
        || req.path.contains("GraniteServiceVersion20100801")
    {
        "monitoring"
    } else if req
        .header("content-type")
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"))
    {
        // awsQuery: the first service that recognises the Action.
        for name in ["iam", "sts", "monitoring"] {
            if let Some(s) = registry.get(name)
                && s.route(req).is_ok()
            {
                return Some(s);
            }
        }
        "iam"
    } else {
        "ivs"
    };
    registry.get(name).or_else(|| registry.iter().next())
}

/// The auth error for `failure` in `protocol`'s vocabulary.
fn auth_error(protocol: Protocol, failure: &AuthFailure) -> ApiError {
    let query = protocol == Protocol::AwsQuery;
    let (status, json_code, query_code) = match failure {
        AuthFailure::Missing => (
            403,
            "MissingAuthenticationTokenException",
            "MissingAuthenticationToken",
        ),
        AuthFailure::Malformed(_) => (403, "IncompleteSignatureException", "IncompleteSignature"),
        AuthFailure::UnknownAccessKey(_) => {
            (403, "UnrecognizedClientException", "InvalidClientTokenId")
        }
        AuthFailure::SignatureMismatch => {
            (403, "InvalidSignatureException", "SignatureDoesNotMatch")
        }
        AuthFailure::BadDate(_) => (403, "InvalidSignatureException", "SignatureDoesNotMatch"),
    };
    let mut err = ApiError::new(
        status,
        if query { query_code } else { json_code },
        failure.message(),
    );
    if matches!(protocol, Protocol::AwsJson10 | Protocol::RpcV2Cbor) {
        // awsQuery-compatible services (CloudWatch) also carry the legacy code.
        err = err.with_query_code(query_code);
    }
    err
}

fn internal_fault(protocol: Protocol) -> ApiError {
    let code = match protocol {
        Protocol::RestJson1 => "InternalServerException",
        _ => "InternalFailure",
    };
    ApiError::new(
        500,
        code,
        "Injected fault: internal error (ivstack local --fault-rate)",
    )
}

fn protocol_of(service: &dyn Service, req: &Request) -> Protocol {
    match service.route(req) {
        Ok(r) => r.protocol,
        Err((p, _)) => p,
    }
}

async fn handle(
    shared: &Shared,
    req: hyper::Request<Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, DropConnection> {
    let request_id = new_request_id();
    let now = SystemTime::now();
    let ctx = Context {
        account_id: shared.config.account_id.clone(),
        request_id: request_id.clone(),
        now: now
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0),
        enforce_resource_quotas: shared.config.quotas_aws,
    };
    let (parts, body) = req.into_parts();
    let path_and_query = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".to_string());
    let (path, query) = match path_and_query.split_once('?') {
        Some((p, q)) => (p.to_string(), q.to_string()),
        None => (path_and_query.clone(), String::new()),
    };
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in &parts.headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        headers
            .entry(name.as_str().to_string())
            .and_modify(|v| {
                v.push(',');
                v.push_str(&value);
            })
            .or_insert(value);
    }
    // HTTP/2 carries the host in the URI authority, not a header; the signature covers it.
    let mut sig_headers = parts.headers.clone();
    if !sig_headers.contains_key(http::header::HOST)
        && let Some(authority) = parts.uri.authority()
        && let Ok(v) = http::HeaderValue::from_str(authority.as_str())
    {
        sig_headers.insert(http::header::HOST, v.clone());
        headers.insert("host".into(), authority.to_string());
    }

    let auth: Result<AuthHeader, AuthFailure> = match parts.headers.get(http::header::AUTHORIZATION)
    {
        None => Err(AuthFailure::Missing),
        Some(v) => match v.to_str() {
            Ok(s) => sigv4::parse_authorization(s),
            Err(_) => Err(AuthFailure::Malformed("not ASCII".into())),
        },
    };

    // Read the body (capped) before choosing: unsigned awsQuery requests are recognised by it.
    let body = match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(c) => c.to_bytes(),
        Err(e) => {
            let too_large = e
                .downcast_ref::<http_body_util::LengthLimitError>()
                .is_some();
            let resp = if too_large {
                plain_error(
                    413,
                    "RequestEntityTooLargeException",
                    &format!("Request body exceeds {MAX_BODY_BYTES} bytes"),
                )
            } else {
                plain_error(
                    400,
                    "BadRequest",
                    &format!("Could not read request body: {e}"),
                )
            };
            return Ok(to_hyper(resp, &request_id));
        }
    };

    let region = match &auth {
        Ok(a) => a.region.clone(),
        Err(_) => shared.config.region.clone(),
    };
    let request = Request {
        method: parts.method.clone(),
        path,
        query,
        headers,
        body: body.clone(),
        region,
    };

    let service = match &auth {
        Ok(a) => match shared.registry.get(&a.service) {
            Some(s) => s,
            None => {
                let msg = format!(
                    "This endpoint does not serve the service `{}` (credential scope service). Served: {}",
                    a.service,
                    shared.registry.names().join(", ")
                );
                return Ok(to_hyper(
                    plain_error(400, "UnknownService", &msg),
                    &request_id,
                ));
            }
        },
        Err(_) => match guess_service(&shared.registry, &request) {
            Some(s) => s,
            None => {
                let resp = plain_error(
                    403,
                    "MissingAuthenticationTokenException",
                    "Missing Authentication Token",
                );
                return Ok(to_hyper(resp, &request_id));
            }
        },
    };

    // Authenticate.
    let verified = auth.and_then(|a| {
        if a.access_key != shared.config.access_key {
            return Err(AuthFailure::UnknownAccessKey(a.access_key.clone()));
        }
        sigv4::verify(&sigv4::Verification {
            method: parts.method.as_str(),
            path_and_query: &path_and_query,
            headers: &sig_headers,
            body: &body,
            auth: &a,
            secret_key: &shared.config.secret_key,
            check_skew: shared.config.check_clock_skew,
            now,
        })
    });
    if let Err(failure) = verified {
        shared.knobs.count_auth_failure();
        let protocol = protocol_of(service.as_ref(), &request);
        let resp = service.render_error(protocol, &auth_error(protocol, &failure), &ctx);
        return Ok(to_hyper(resp, &request_id));
    }

    let route = match service.route(&request) {
        Ok(r) => r,
        Err((protocol, err)) => {
            return Ok(to_hyper(
                service.render_error(protocol, &err, &ctx),
                &request_id,
            ));
        }
    };

    let latency = shared.knobs.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let verdict = shared.knobs.admit(
        service.signing_name(),
        &route.operation,
        &request.region,
        service.rate_quota(&route.operation),
    );
    match verdict {
        Verdict::Proceed => {}
        Verdict::Throttle | Verdict::FaultThrottle => {
            let err = service.throttling_error(&route.operation);
            return Ok(to_hyper(
                service.render_error(route.protocol, &err, &ctx),
                &request_id,
            ));
        }
        Verdict::FaultInternal => {
            let err = internal_fault(route.protocol);
            return Ok(to_hyper(
                service.render_error(route.protocol, &err, &ctx),
                &request_id,
            ));
        }
        Verdict::FaultDrop => return Err(DropConnection),
    }

    let resp = {
        let mut state = shared.store.lock();
        match service.handle(&route, &request, &mut state, &ctx) {
            Ok(resp) => {
                if service.is_mutating(&route.operation)
                    && let Err(e) = shared.store.save(&state)
                {
                    tracing::error!("{e}");
                    let err = ApiError::new(
                        500,
                        if route.protocol == Protocol::RestJson1 {
                            "InternalServerException"
                        } else {
                            "InternalFailure"
                        },
                        format!("The change was applied in memory but could not be persisted: {e}"),
                    );
                    service.render_error(route.protocol, &err, &ctx)
                } else {
                    resp
                }
            }
            Err(err) => {
                // A mutating call can fail after changing part of the state (DeleteAlarms
                // deletes the names it knows and reports the others): persist that part too.
                if service.is_mutating(&route.operation)
                    && let Err(e) = shared.store.save(&state)
                {
                    tracing::error!("{e}");
                }
                service.render_error(route.protocol, &err, &ctx)
            }
        }
    };
    Ok(to_hyper(resp, &request_id))
}

/// Bind the listener for `config` (port 0 = ephemeral).
pub(crate) async fn bind(config: &LocalConfig) -> std::io::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind((config.host.as_str(), config.port)).await?;
    let addr = listener.local_addr()?;
    Ok((listener, addr))
}
