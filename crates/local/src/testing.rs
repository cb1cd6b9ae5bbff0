//! Unit-test helpers: run a request through routing, decoding, validation, the handler and
//! encoding (everything but HTTP, SigV4 and the knobs) against a given state.

use std::collections::BTreeMap;

use crate::api::{Request, Response};
use crate::service::{Ctx, ServiceDef};
use crate::state::LocalState;

/// 2026-11-25T12:26:18Z.
pub const NOW: i64 = 1_795_609_578;

/// A form-encoded awsQuery request.
pub fn form_request(body: &str) -> Request {
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
        body: bytes::Bytes::from(body.to_string()),
        region: "us-east-1".into(),
    }
}

/// An awsJson request for `target`.
pub fn json_request(target: &str, body: &str) -> Request {
    let mut headers = BTreeMap::new();
    headers.insert("x-amz-target".to_string(), target.to_string());
    Request {
        method: http::Method::POST,
        path: "/".into(),
        query: String::new(),
        headers,
        body: bytes::Bytes::from(body.to_string()),
        region: "us-east-1".into(),
    }
}

/// The response `service` gives `req` in account 123456789012 at [`NOW`].
pub fn call(service: &'static ServiceDef, req: &Request, state: &mut LocalState) -> Response {
    let protocol = crate::protocol::detect(service, req);
    let fail =
        |e: &crate::api::ApiError| crate::protocol::render_error(service, protocol, e, "rid");
    let routed = match crate::protocol::route(service, protocol, req) {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
    let input = match crate::protocol::decode(protocol, &routed, req)
        .and_then(|(doc, source)| crate::pipeline::validate(service, routed.op.input, doc, source))
    {
        Ok(i) => i,
        Err(e) => return fail(&e),
    };
    let mut ctx = Ctx {
        state,
        region: &req.region,
        account_id: "123456789012",
        now: NOW,
        request_id: "rid",
        enforce_resource_quotas: false,
        quota_overrides: &BTreeMap::new(),
    };
    match (routed.op.handler)(&mut ctx, input) {
        Ok(out) => crate::protocol::encode(protocol, routed.op, &out, "rid"),
        Err(e) => fail(&e),
    }
}
