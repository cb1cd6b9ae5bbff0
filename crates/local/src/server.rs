//! The HTTP front of the local endpoint: accept connections (hyper 1), read a request
//! (body capped), hand it to the pipeline (`pipeline.rs`), write the answer with the
//! request-id headers, and shut down gracefully.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::LocalConfig;
use super::api::{Request, Response};
use super::pipeline::{self, Outcome, Shared, Signed, plain_error};
use super::sigv4::{self, AuthFailure, AuthHeader};

/// Requests larger than this are refused with 413 (AWS APIs cap bodies far lower).
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

/// How long shutdown waits for in-flight requests before giving up on them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

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

async fn handle(
    shared: &Shared,
    req: hyper::Request<Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, DropConnection> {
    let request_id = new_request_id();
    let now = shared.clock.now();
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
        body,
        region,
    };
    let signed = Signed {
        auth,
        path_and_query: &path_and_query,
        headers: &sig_headers,
        now,
    };
    match pipeline::handle(shared, &request, signed, &request_id).await {
        Outcome::Respond(resp) => Ok(to_hyper(resp, &request_id)),
        Outcome::Drop => Err(DropConnection),
    }
}

/// Bind the listener for `config` (port 0 = ephemeral).
pub(crate) async fn bind(config: &LocalConfig) -> std::io::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind((config.host.as_str(), config.port)).await?;
    let addr = listener.local_addr()?;
    Ok((listener, addr))
}
