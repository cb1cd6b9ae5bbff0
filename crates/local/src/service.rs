//! What a service is to the endpoint: a static table of operation rows plus a few
//! service-wide facts (signing name, protocols, error codes). The server looks a request's
//! row up once and runs the same pipeline for every service (`pipeline.rs`).
//!
//! Adding an operation is one [`Operation`] row, one input [`Shape`] and one [`Handler`]:
//! every field of a row is mandatory (there is no `Default`), so whether it mutates state
//! (the server persists after mutating operations), its rate quota and its input shape
//! cannot be forgotten.

use std::collections::BTreeMap;

use crate::api::{ApiError, ErrorCode};
use crate::document::Document;
use crate::protocol::Protocol;
use crate::shape::Shape;
use crate::state::LocalState;

/// Everything a handler may use: the whole state (a handler touches its own service's part;
/// a few checks look at another's), and the request's facts.
pub struct Ctx<'a> {
    pub state: &'a mut LocalState,
    /// Region from the SigV4 credential scope.
    pub region: &'a str,
    pub account_id: &'a str,
    /// Seconds since the Unix epoch, from the endpoint's clock.
    pub now: i64,
    pub request_id: &'a str,
    /// Resource quotas are enforced (`--quotas aws`).
    pub enforce_resource_quotas: bool,
    /// Raised (or lowered) adjustable resource quotas, by [`ResourceQuota::name`]
    /// (`LocalConfig::resource_quotas`, checked when the endpoint starts).
    pub quota_overrides: &'a BTreeMap<String, u64>,
}

impl Ctx<'_> {
    /// The limit of `quota` that applies to this request: `None` when resource quotas are
    /// not enforced, else the configured override (a quota increase) or AWS's default.
    pub fn resource_quota(&self, quota: &ResourceQuota) -> Option<u64> {
        self.enforce_resource_quotas.then(|| {
            self.quota_overrides
                .get(quota.name)
                .copied()
                .unwrap_or(quota.default)
        })
    }
}

/// A documented resource quota (e.g. "storage configurations per Region: 5, adjustable").
/// Services list theirs as data so that `LocalConfig::resource_quotas` can be checked
/// against them: only adjustable quotas can be raised, as with a Service Quotas request.
#[derive(Debug)]
pub struct ResourceQuota {
    /// `<signing name>:<resource>`, e.g. `ivs:storage-configurations`.
    pub name: &'static str,
    /// AWS's documented default.
    pub default: u64,
    /// AWS raises it on request.
    pub adjustable: bool,
    /// What is counted, and where (for messages and docs).
    pub counts: &'static str,
}

/// The one handler signature: validated input in, output out (`Document::unit()` for
/// operations without output), or an error that the request's protocol renders.
pub type Handler = fn(&mut Ctx<'_>, Document) -> Result<Document, ApiError>;

/// The HTTP binding of an operation in the REST protocols (the model's `http` trait); the
/// input shape's members say which parts are labels, query parameters, headers or the
/// payload.
#[derive(Debug, Clone, Copy)]
pub struct Http {
    pub method: &'static str,
    /// With `{label}` and greedy `{label+}` segments, e.g. `/tags/{resourceArn}`, and for
    /// restXml the query literals that select the operation (`/{Bucket}?location`).
    pub uri: &'static str,
}

/// One operation of a service: one row of its table.
pub struct Operation {
    /// As in the service model, e.g. `CreateStage`.
    pub name: &'static str,
    /// The operation changes state: the server persists the state after it.
    pub mutates: bool,
    /// The documented (or a conservative) request-rate quota in requests per second,
    /// enforced with `--quotas aws`.
    pub tps: f64,
    /// The input structure, with the model's constraints.
    pub input: &'static Shape,
    /// Its REST binding (restJson1, restXml); `None` for services without one.
    pub http: Option<Http>,
    pub handler: Handler,
}

impl std::fmt::Debug for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Operation")
            .field("name", &self.name)
            .field("mutates", &self.mutates)
            .field("tps", &self.tps)
            .field("http", &self.http)
            .finish_non_exhaustive()
    }
}

/// One emulated AWS service.
#[derive(Debug)]
pub struct ServiceDef {
    /// The SigV4 signing name that selects this service (`ivs`, `iam`, `sts`,
    /// `monitoring`, `budgets`).
    pub signing_name: &'static str,
    /// The wire protocols it accepts, in the order a request is tried against them (the
    /// last one also takes requests that none claims).
    pub protocols: &'static [Protocol],
    /// awsQuery-compatible (CloudWatch): JSON and CBOR errors also carry the awsQuery
    /// code in `x-amzn-query-error: Code;Sender`.
    pub query_compatible: bool,
    /// How its SigV4 signatures are computed: `Rules::STANDARD`, or `Rules::S3` (single
    /// URI encoding, `UNSIGNED-PAYLOAD` and unsigned streaming trailers accepted).
    pub signing: crate::sigv4::Rules,
    /// Answer to input that breaks the model's constraints.
    pub validation: ErrorCode,
    /// Answer when a rate quota is exceeded; a code the SDKs classify as throttling.
    pub throttling: ErrorCode,
    /// The code of an internal error (injected faults, failed persistence).
    pub internal: ErrorCode,
    pub operations: &'static [Operation],
    /// Operations of the model that are recognised but not emulated: answered with 501 and
    /// a clear message instead of "unknown operation".
    pub not_emulated: &'static [&'static str],
}

impl ServiceDef {
    pub fn signing_name(&self) -> &'static str {
        self.signing_name
    }

    /// Every row of the table.
    pub fn operations(&self) -> &'static [Operation] {
        self.operations
    }

    /// The row named `name`.
    pub fn operation(&self, name: &str) -> Option<&'static Operation> {
        self.operations.iter().find(|o| o.name == name)
    }

    /// The rate quota of an operation in requests per second; unlimited for operations
    /// the service does not serve (they are refused before any quota applies).
    pub fn rate_quota(&self, operation: &str) -> f64 {
        self.operation(operation).map_or(f64::INFINITY, |o| o.tps)
    }

    /// The validation error for `violations` (each worded by `shape::violation`).
    pub fn validation_error(&self, violations: &[String]) -> ApiError {
        self.validation
            .error(crate::shape::validation_message(violations))
    }
}

/// Checks every service's table must pass (each service runs them in its unit tests).
#[cfg(test)]
pub mod table_checks {
    use super::*;

    /// The table is consistent: names unique, quotas positive, inputs are structures,
    /// `mutates` is exactly "not in `read_only`", restJson1 rows have a binding whose labels
    /// are members, every row is reached by routing a request for it in every protocol.
    pub fn check(service: &'static ServiceDef, read_only: &[&str]) {
        let ops = service.operations();
        assert!(!ops.is_empty(), "{}: no operations", service.signing_name);
        for (i, op) in ops.iter().enumerate() {
            let who = format!("{}:{}", service.signing_name, op.name);
            assert!(
                ops[..i].iter().all(|o| o.name != op.name),
                "{who}: duplicate row"
            );
            assert!(
                op.tps > 0.0 && op.tps.is_finite(),
                "{who}: TPS must be positive"
            );
            assert!(
                matches!(op.input, Shape::Struct(_)),
                "{who}: input must be a structure"
            );
            assert_eq!(
                op.mutates,
                !read_only.contains(&op.name),
                "{who}: `mutates` disagrees with the list of read-only operations"
            );
            assert!(
                !service.not_emulated.contains(&op.name),
                "{who}: both a row and not emulated"
            );
            let rest_xml = service.protocols.iter().find_map(|p| match p {
                Protocol::RestXml(b) => Some(*b),
                _ => None,
            });
            let rest = service.protocols.contains(&Protocol::RestJson1) || rest_xml.is_some();
            assert_eq!(
                op.http.is_some(),
                rest,
                "{who}: an HTTP binding exactly when the service speaks a REST protocol"
            );
            if let Some(bindings) = rest_xml {
                assert!(
                    bindings.outputs.iter().any(|o| o.operation == op.name),
                    "{who}: no restXml output binding"
                );
            } else {
                assert!(
                    op.input
                        .members()
                        .iter()
                        .all(|m| m.location != crate::shape::Location::Payload),
                    "{who}: payload members are restXml's"
                );
            }
            if let Some(http) = op.http {
                let path = http.uri.split('?').next().unwrap_or_default();
                for label in path.split('/').filter_map(|s| s.strip_prefix('{')) {
                    let name = label.trim_end_matches('}').trim_end_matches('+');
                    assert!(
                        op.input
                            .members()
                            .iter()
                            .any(|m| m.name == name && m.location == crate::shape::Location::Label),
                        "{who}: URI label {{{name}}} is not a label member of the input"
                    );
                }
            }
            for protocol in service.protocols {
                let req = crate::protocol::testing::request_for(protocol, op);
                let detected = crate::protocol::detect(service, &req);
                assert_eq!(
                    detected, protocol,
                    "{who}: {protocol:?} request not detected"
                );
                let routed = crate::protocol::route(service, protocol, &req)
                    .unwrap_or_else(|e| panic!("{who}: {protocol:?} does not route: {e:?}"));
                assert_eq!(routed.op.name, op.name, "{who}: routed to another row");
            }
        }
        for name in read_only {
            assert!(
                service.operation(name).is_some(),
                "{}: read-only {name} is not a row",
                service.signing_name
            );
        }
    }
}
