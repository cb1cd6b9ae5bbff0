//! Client-side request-rate limits per AWS operation, so that ivstack stays under the
//! documented quotas instead of discovering them through throttling errors.
//!
//! IVS Real-Time's quotas are documented and not adjustable (stage operations 5 TPS, tag
//! operations 10 TPS, CreateParticipantToken 50 TPS). IAM and Budgets publish no
//! per-operation figures for these calls, nor CloudWatch for its tag operations, so
//! conservative values are used there. No value may exceed the local endpoint's quota for
//! the operation (a test checks every row of the endpoint's tables). Every value can be overridden with
//! `--rate OPERATION=TPS`.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};

use governor::{DefaultDirectRateLimiter, Quota};

/// The documented (or conservative) requests per second for an operation of a service
/// (`ivs`, `iam`, `monitoring`, `budgets`, `sts`).
pub fn default_tps(service: &str, operation: &str) -> f64 {
    match (service, operation) {
        ("ivs", "CreateParticipantToken") => 50.0,
        ("ivs", "TagResource" | "UntagResource" | "ListTagsForResource") => 10.0,
        ("ivs", "DeletePublicKey" | "GetPublicKey" | "ImportPublicKey" | "ListPublicKeys") => 3.0,
        ("ivs", _) => 5.0,
        // CloudWatch publishes DescribeAlarms 9 TPS and 3 TPS for PutMetricAlarm,
        // DeleteAlarms and the other alarm operations; none for the tag operations, which the
        // local endpoint also holds to 3. (10 here made observing a few hundred alarms fail:
        // one ListTagsForResource per alarm at three times the quota.)
        ("monitoring", "DescribeAlarms") => 9.0,
        ("monitoring", _) => 3.0,
        ("iam", _) => 10.0,
        ("budgets", _) => 5.0,
        _ => 10.0,
    }
}

/// One token bucket per operation, created on first use. Burst is 1: requests are spaced
/// evenly, which never trips a server-side bucket of the same rate.
#[derive(Clone, Default)]
pub struct RateLimits {
    limiters: Arc<Mutex<HashMap<String, Arc<DefaultDirectRateLimiter>>>>,
    overrides: Arc<HashMap<String, f64>>,
    /// Multiplies every rate (matches the local endpoint's `--time-scale`).
    scale: f64,
}

impl RateLimits {
    pub fn new(overrides: HashMap<String, f64>, scale: f64) -> RateLimits {
        RateLimits {
            limiters: Arc::default(),
            overrides: Arc::new(overrides),
            scale: if scale > 0.0 { scale } else { 1.0 },
        }
    }

    /// The rate in force for an operation.
    pub fn tps(&self, service: &str, operation: &str) -> f64 {
        let base = self
            .overrides
            .get(operation)
            .or_else(|| self.overrides.get(&format!("{service}:{operation}")))
            .copied()
            .unwrap_or_else(|| default_tps(service, operation));
        base * self.scale
    }

    /// Wait until the operation may be called.
    pub async fn acquire(&self, service: &str, operation: &str) {
        let limiter = {
            let Ok(mut map) = self.limiters.lock() else {
                return;
            };
            let key = format!("{service}:{operation}");
            map.entry(key)
                .or_insert_with(|| Arc::new(limiter_for(self.tps(service, operation))))
                .clone()
        };
        limiter.until_ready().await;
    }
}

fn limiter_for(tps: f64) -> DefaultDirectRateLimiter {
    // governor counts whole cells per period: express fractional rates as one cell per
    // 1/tps seconds.
    let period = std::time::Duration::from_secs_f64(1.0 / tps.max(0.001));
    let quota = Quota::with_period(period)
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(NonZeroU32::MIN);
    DefaultDirectRateLimiter::direct(quota)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every operation the local endpoint serves, from its tables: the client's limit for
    /// it must not exceed the endpoint's quota.
    #[test]
    fn no_client_limit_exceeds_the_local_endpoints_quota() {
        let registry = ivstack_local::services::Registry::standard();
        let mut checked = 0;
        for service in registry.iter() {
            for op in service.operations() {
                let tps = default_tps(service.signing_name(), op.name);
                assert!(
                    tps <= op.tps,
                    "{}:{}: client limit {tps} TPS is above the quota {} TPS",
                    service.signing_name(),
                    op.name,
                    op.tps
                );
                checked += 1;
            }
        }
        assert!(checked > 20, "only {checked} operations in the tables");
    }

    #[test]
    fn overrides_and_scale_apply() {
        let limits = RateLimits::new(HashMap::from([("GetStage".to_string(), 2.0)]), 10.0);
        assert_eq!(limits.tps("ivs", "GetStage"), 20.0);
        assert_eq!(limits.tps("monitoring", "ListTagsForResource"), 30.0);
    }
}
