//! The controller's Prometheus metrics (OpenMetrics text, which Prometheus scrapes) and the
//! small HTTP server that exposes them at `/metrics`, with `/healthz` for liveness probes.
//!
//! | Metric | Labels | Meaning |
//! |---|---|---|
//! | `ivstack_watch_drift_resources` | stack, kind | resources still differing from the file after the stack's last cycle (without `--enforce`: every drifted one) |
//! | `ivstack_watch_last_success_timestamp_seconds` | stack | when the stack last reconciled without error |
//! | `ivstack_watch_last_successful_cycle_timestamp_seconds` | | when a cycle last ended with every stack reconciled |
//! | `ivstack_watch_cycle_duration_seconds` | | histogram of cycle durations |
//! | `ivstack_watch_cycles_total` | outcome (`ok`, `error`) | cycles run |
//! | `ivstack_watch_errors_total` | stack | failed or invalid reconciliations |
//! | `ivstack_watch_changes_total` | stack, kind, action, status | changes found (`drift`) and applied (`applied`, `failed`, `not_attempted`) |
//! | `ivstack_aws_api_calls_total` | operation (`IVS RealTime:ListStages`, ...) | AWS requests, retries included |
//! | `ivstack_aws_throttles_total` | operation | AWS requests answered with a throttling error |

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use anyhow::Context as _;
use bytes::Bytes;
use http_body_util::Full;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::aws::stats::OpStats;
use crate::cli::interrupt::Stop;

type Labels = Vec<(String, String)>;

/// Every metric of the controller.
pub struct Metrics {
    registry: Registry,
    drift: Family<Labels, Gauge>,
    last_success: Family<Labels, Gauge<f64, AtomicU64>>,
    last_cycle_success: Gauge<f64, AtomicU64>,
    cycle_duration: Histogram,
    cycles: Family<Labels, Counter>,
    errors: Family<Labels, Counter>,
    changes: Family<Labels, Counter>,
    api_calls: Family<Labels, Counter>,
    throttles: Family<Labels, Counter>,
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        let drift = Family::<Labels, Gauge>::default();
        let last_success = Family::<Labels, Gauge<f64, AtomicU64>>::default();
        let last_cycle_success = Gauge::<f64, AtomicU64>::default();
        // 0.1 s to about 7 minutes.
        let cycle_duration = Histogram::new(exponential_buckets(0.1, 2.0, 13));
        let cycles = Family::<Labels, Counter>::default();
        let errors = Family::<Labels, Counter>::default();
        let changes = Family::<Labels, Counter>::default();
        let api_calls = Family::<Labels, Counter>::default();
        let throttles = Family::<Labels, Counter>::default();
        registry.register(
            "ivstack_watch_drift_resources",
            "Resources still differing from the stack file after the stack's last cycle",
            drift.clone(),
        );
        registry.register(
            "ivstack_watch_last_success_timestamp_seconds",
            "Unix time the stack last reconciled without error",
            last_success.clone(),
        );
        registry.register(
            "ivstack_watch_last_successful_cycle_timestamp_seconds",
            "Unix time a cycle last ended with every stack reconciled",
            last_cycle_success.clone(),
        );
        registry.register(
            "ivstack_watch_cycle_duration_seconds",
            "Duration of reconciliation cycles",
            cycle_duration.clone(),
        );
        registry.register(
            "ivstack_watch_cycles",
            "Cycles run, by outcome",
            cycles.clone(),
        );
        registry.register(
            "ivstack_watch_errors",
            "Failed or invalid reconciliations, by stack",
            errors.clone(),
        );
        registry.register(
            "ivstack_watch_changes",
            "Changes found (status drift) and applied (applied, failed, not_attempted)",
            changes.clone(),
        );
        registry.register(
            "ivstack_aws_api_calls",
            "AWS requests, retries included, by operation",
            api_calls.clone(),
        );
        registry.register(
            "ivstack_aws_throttles",
            "AWS requests answered with a throttling error, by operation",
            throttles.clone(),
        );
        Metrics {
            registry,
            drift,
            last_success,
            last_cycle_success,
            cycle_duration,
            cycles,
            errors,
            changes,
            api_calls,
            throttles,
        }
    }

    /// The drift left per kind of a stack (every kind is set, so a fixed drift reads 0).
    pub fn set_drift(&self, stack: &str, per_kind: &[(&str, usize)]) {
        for (kind, n) in per_kind {
            self.drift
                .get_or_create(&labels(&[("stack", stack), ("kind", kind)]))
                .set(*n as i64);
        }
    }

    pub fn stack_succeeded(&self, stack: &str, at_unix: f64) {
        self.last_success
            .get_or_create(&labels(&[("stack", stack)]))
            .set(at_unix);
    }

    pub fn stack_failed(&self, stack: &str) {
        self.errors
            .get_or_create(&labels(&[("stack", stack)]))
            .inc();
    }

    pub fn change(&self, stack: &str, kind: &str, action: &str, status: &str) {
        self.changes
            .get_or_create(&labels(&[
                ("stack", stack),
                ("kind", kind),
                ("action", action),
                ("status", status),
            ]))
            .inc();
    }

    /// Add one session's AWS traffic (`service:Operation` → figures).
    pub fn traffic(&self, by_operation: &std::collections::BTreeMap<String, OpStats>) {
        for (op, s) in by_operation {
            let l = labels(&[("operation", op)]);
            self.api_calls.get_or_create(&l).inc_by(s.attempts);
            if s.throttled > 0 {
                self.throttles.get_or_create(&l).inc_by(s.throttled);
            }
        }
    }

    pub fn cycle(&self, seconds: f64, ok: bool, at_unix: f64) {
        self.cycle_duration.observe(seconds);
        let outcome = if ok { "ok" } else { "error" };
        self.cycles
            .get_or_create(&labels(&[("outcome", outcome)]))
            .inc();
        if ok {
            self.last_cycle_success.set(at_unix);
        }
    }

    /// The exposition text.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

/// Serve `/metrics` and `/healthz` on `addr` until the run stops; returns the bound
/// address (port 0 picks a free one).
pub async fn serve(
    addr: SocketAddr,
    metrics: Arc<Metrics>,
    stop: Stop,
) -> anyhow::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on --metrics-addr {addr}"))?;
    let bound = listener.local_addr()?;
    tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                a = listener.accept() => a,
                () = stop.stopped() => return,
            };
            let Ok((stream, _)) = accepted else {
                continue;
            };
            let metrics = metrics.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req| {
                    let metrics = metrics.clone();
                    async move { Ok::<_, std::convert::Infallible>(respond(&req, &metrics)) }
                });
                let io = hyper_util::rt::TokioIo::new(stream);
                // A client that goes away mid-request is its own business.
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(io, service)
                    .await;
            });
        }
    });
    Ok(bound)
}

fn respond<B>(req: &hyper::Request<B>, metrics: &Metrics) -> hyper::Response<Full<Bytes>> {
    let (status, content_type, body) = match (req.method(), req.uri().path()) {
        (&hyper::Method::GET, "/metrics") => (
            200,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
            metrics.encode(),
        ),
        (&hyper::Method::GET, "/healthz") => (200, "text/plain; charset=utf-8", "ok\n".into()),
        (_, "/metrics" | "/healthz") => (405, "text/plain; charset=utf-8", "GET only\n".into()),
        _ => (
            404,
            "text/plain; charset=utf-8",
            "not found: try /metrics or /healthz\n".into(),
        ),
    };
    let mut resp = hyper::Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or_default();
    if let Ok(v) = hyper::header::HeaderValue::from_str(content_type) {
        resp.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_holds_every_family_with_its_labels() {
        let m = Metrics::new();
        m.set_drift("live", &[("stage", 2), ("alarm", 0)]);
        m.stack_succeeded("live", 1_700_000_000.5);
        m.stack_failed("other");
        m.change("live", "stage", "update", "drift");
        let traffic = std::collections::BTreeMap::from([(
            "IVS RealTime:ListStages".to_string(),
            OpStats {
                attempts: 3,
                throttled: 1,
                failed_transient: 0,
            },
        )]);
        m.traffic(&traffic);
        m.cycle(0.25, true, 1_700_000_001.0);
        let text = m.encode();
        for line in [
            r#"ivstack_watch_drift_resources{stack="live",kind="stage"} 2"#,
            r#"ivstack_watch_drift_resources{stack="live",kind="alarm"} 0"#,
            r#"ivstack_watch_last_success_timestamp_seconds{stack="live"} 1700000000.5"#,
            r#"ivstack_watch_errors_total{stack="other"} 1"#,
            r#"ivstack_watch_changes_total{stack="live",kind="stage",action="update",status="drift"} 1"#,
            r#"ivstack_aws_api_calls_total{operation="IVS RealTime:ListStages"} 3"#,
            r#"ivstack_aws_throttles_total{operation="IVS RealTime:ListStages"} 1"#,
            r#"ivstack_watch_cycles_total{outcome="ok"} 1"#,
            "ivstack_watch_cycle_duration_seconds_count 1",
            "ivstack_watch_last_successful_cycle_timestamp_seconds 1700000001.0",
            "# EOF",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "{line} missing from\n{text}"
            );
        }
    }
}
