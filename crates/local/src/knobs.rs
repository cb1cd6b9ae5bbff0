//! Test knobs of the local endpoint: per-operation rate quotas (token buckets), added
//! latency, seeded fault injection, and the counters that report what happened.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// What the knobs decided for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Proceed,
    /// Over the rate quota: answer the service's throttling error.
    Throttle,
    /// Injected fault: answer as if throttled.
    FaultThrottle,
    /// Injected fault: HTTP 500 in the service's shape.
    FaultInternal,
    /// Injected fault: close the connection without a response.
    FaultDrop,
}

/// Counters of what the endpoint did, per `service:Operation`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Requests that reached routing (authenticated and routed), by `service:Operation`.
    pub requests: BTreeMap<String, u64>,
    /// Requests answered with a rate-quota throttling error, by `service:Operation`.
    pub throttled: BTreeMap<String, u64>,
    pub faults_throttle: u64,
    pub faults_internal: u64,
    pub faults_dropped: u64,
    /// Requests rejected by SigV4 verification.
    pub auth_failures: u64,
}

impl Stats {
    pub fn total_requests(&self) -> u64 {
        self.requests.values().sum()
    }
    pub fn total_throttled(&self) -> u64 {
        self.throttled.values().sum()
    }
    pub fn total_faults(&self) -> u64 {
        self.faults_throttle + self.faults_internal + self.faults_dropped
    }
}

/// Knob settings.
#[derive(Debug, Clone)]
pub struct KnobConfig {
    pub quotas_aws: bool,
    pub time_scale: f64,
    pub latency: Duration,
    pub fault_rate: f64,
    pub seed: Option<u64>,
}

struct Bucket {
    tokens: f64,
    capacity: f64,
    rate: f64,
    last: Instant,
}

impl Bucket {
    fn take(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.rate).min(self.capacity);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

pub struct Knobs {
    config: KnobConfig,
    buckets: Mutex<HashMap<(String, String, String), Bucket>>,
    rng: Mutex<StdRng>,
    stats: Mutex<Stats>,
}

impl Knobs {
    pub fn new(config: KnobConfig) -> Knobs {
        let rng = match config.seed {
            Some(s) => StdRng::seed_from_u64(s),
            None => StdRng::from_os_rng(),
        };
        Knobs {
            config,
            buckets: Mutex::new(HashMap::new()),
            rng: Mutex::new(rng),
            stats: Mutex::new(Stats::default()),
        }
    }

    pub fn latency(&self) -> Duration {
        self.config.latency
    }

    /// Count the request and decide whether it proceeds. `quota` is the service's
    /// documented TPS for the operation.
    pub fn admit(&self, service: &str, operation: &str, region: &str, quota: f64) -> Verdict {
        let key = format!("{service}:{operation}");
        *lock(&self.stats).requests.entry(key.clone()).or_default() += 1;

        if self.config.quotas_aws && quota > 0.0 {
            let rate = quota * self.config.time_scale.max(f64::MIN_POSITIVE);
            let now = Instant::now();
            let mut buckets = lock(&self.buckets);
            let bucket = buckets
                .entry((
                    service.to_string(),
                    operation.to_string(),
                    region.to_string(),
                ))
                .or_insert_with(|| Bucket {
                    // A burst of one second's worth (at least one request).
                    tokens: rate.max(1.0),
                    capacity: rate.max(1.0),
                    rate,
                    last: now,
                });
            if !bucket.take(now) {
                drop(buckets);
                *lock(&self.stats).throttled.entry(key).or_default() += 1;
                return Verdict::Throttle;
            }
        }

        if self.config.fault_rate > 0.0 {
            let (hit, kind) = {
                let mut rng = lock(&self.rng);
                let hit = rng.random::<f64>() < self.config.fault_rate;
                (hit, rng.random_range(0..3u8))
            };
            if hit {
                let mut stats = lock(&self.stats);
                return match kind {
                    0 => {
                        stats.faults_throttle += 1;
                        Verdict::FaultThrottle
                    }
                    1 => {
                        stats.faults_internal += 1;
                        Verdict::FaultInternal
                    }
                    _ => {
                        stats.faults_dropped += 1;
                        Verdict::FaultDrop
                    }
                };
            }
        }
        Verdict::Proceed
    }

    pub fn count_auth_failure(&self) {
        lock(&self.stats).auth_failures += 1;
    }

    pub fn stats(&self) -> Stats {
        lock(&self.stats).clone()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn knobs(quotas: bool, fault_rate: f64, seed: u64) -> Knobs {
        Knobs::new(KnobConfig {
            quotas_aws: quotas,
            time_scale: 1.0,
            latency: Duration::ZERO,
            fault_rate,
            seed: Some(seed),
        })
    }

    #[test]
    fn bucket_allows_a_burst_of_the_quota_then_throttles() {
        let k = knobs(true, 0.0, 1);
        let verdicts: Vec<_> = (0..8)
            .map(|_| k.admit("ivs", "GetStage", "us-east-1", 5.0))
            .collect();
        assert_eq!(
            verdicts.iter().filter(|v| **v == Verdict::Proceed).count(),
            5
        );
        assert_eq!(k.stats().total_throttled(), 3);
        // Another region has its own bucket.
        assert_eq!(
            k.admit("ivs", "GetStage", "us-west-2", 5.0),
            Verdict::Proceed
        );
    }

    #[test]
    fn faults_are_reproducible_with_a_seed() {
        let run = |seed| {
            let k = knobs(false, 0.5, seed);
            (0..50)
                .map(|_| k.admit("ivs", "GetStage", "r", 5.0))
                .collect::<Vec<_>>()
        };
        let a = run(7);
        assert_eq!(a, run(7));
        assert!(a.contains(&Verdict::FaultDrop) && a.contains(&Verdict::Proceed));
    }
}
