//! Counting what the AWS SDK clients actually did: calls, attempts, retries and throttles
//! per operation. An SDK interceptor sees every attempt, including the SDK's own retries,
//! so the figures in verbose and JSON output are the real traffic.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use serde::Serialize;

/// Per-operation traffic figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct OpStats {
    /// HTTP attempts, retries included.
    pub attempts: u64,
    /// Attempts answered with a throttling error.
    pub throttled: u64,
    /// Attempts answered with a 5xx or not answered at all.
    pub failed_transient: u64,
}

/// Shared counters, keyed by `service:Operation`.
#[derive(Debug, Clone, Default)]
pub struct CallStats {
    inner: Arc<Mutex<BTreeMap<String, OpStats>>>,
}

impl CallStats {
    pub fn snapshot(&self) -> BTreeMap<String, OpStats> {
        self.inner.lock().map(|m| m.clone()).unwrap_or_default()
    }

    /// Totals over every operation.
    pub fn totals(&self) -> OpStats {
        self.snapshot()
            .values()
            .fold(OpStats::default(), |mut acc, s| {
                acc.attempts += s.attempts;
                acc.throttled += s.throttled;
                acc.failed_transient += s.failed_transient;
                acc
            })
    }

    fn record(&self, key: String, f: impl FnOnce(&mut OpStats)) {
        if let Ok(mut m) = self.inner.lock() {
            f(m.entry(key).or_default());
        }
    }
}

fn key(cfg: &ConfigBag) -> String {
    match cfg.load::<Metadata>() {
        Some(m) => format!("{}:{}", m.service(), m.name()),
        None => "unknown".to_string(),
    }
}

impl Intercept for CallStats {
    fn name(&self) -> &'static str {
        "ivstack-call-stats"
    }

    fn read_before_attempt(
        &self,
        _ctx: &BeforeTransmitInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.record(key(cfg), |s| s.attempts += 1);
        Ok(())
    }

    fn read_after_attempt(
        &self,
        ctx: &FinalizerInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let outcome = match ctx.response() {
            None => Some(false),
            Some(resp) => {
                let status = resp.status().as_u16();
                let body = resp.body().bytes().unwrap_or_default();
                // Throttling is 429 for the REST/JSON services and 400 + a Throttling code
                // for awsQuery ones (IAM).
                let throttled =
                    status == 429 || (status == 400 && body.windows(8).any(|w| w == b"Throttli"));
                if throttled {
                    Some(true)
                } else if status >= 500 {
                    Some(false)
                } else {
                    None
                }
            }
        };
        match outcome {
            Some(true) => self.record(key(cfg), |s| s.throttled += 1),
            Some(false) => self.record(key(cfg), |s| s.failed_transient += 1),
            None => {}
        }
        Ok(())
    }
}
