//! Test knobs of the local endpoint: per-operation rate quotas (token buckets), added
//! latency, seeded fault injection, the counters that report what happened, and the
//! endpoint's [`Clock`].
//!
//! Everything time-dependent (token buckets, added latency, timestamps, the SigV4 skew
//! check) reads the clock, so a test can hold time still with [`Clock::manual`] and move it
//! with [`Clock::advance`]: rate quotas then throttle exact counts, whatever the speed of
//! the machine.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::watch;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The endpoint's notion of time. [`Clock::system`] is the real clock; a manual clock
/// (tests) starts at the current wall time and moves only when told to.
#[derive(Clone)]
pub struct Clock {
    inner: ClockInner,
}

#[derive(Clone)]
enum ClockInner {
    System { origin: Instant },
    Manual(Arc<ManualClock>),
}

struct ManualClock {
    /// Wall time at offset zero.
    start: SystemTime,
    /// Time moved so far; sleepers watch it.
    offset: watch::Sender<Duration>,
    sleepers: AtomicUsize,
}

impl Default for Clock {
    fn default() -> Self {
        Clock::system()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.inner {
            ClockInner::System { .. } => f.write_str("Clock::System"),
            ClockInner::Manual(m) => write!(f, "Clock::Manual(+{:?})", *m.offset.borrow()),
        }
    }
}

impl Clock {
    /// The real clock.
    pub fn system() -> Clock {
        Clock {
            inner: ClockInner::System {
                origin: Instant::now(),
            },
        }
    }

    /// A clock held still at the current wall time until [`Clock::advance`] moves it.
    pub fn manual() -> Clock {
        let (offset, _) = watch::channel(Duration::ZERO);
        Clock {
            inner: ClockInner::Manual(Arc::new(ManualClock {
                start: SystemTime::now(),
                offset,
                sleepers: AtomicUsize::new(0),
            })),
        }
    }

    /// Wall-clock time.
    pub fn now(&self) -> SystemTime {
        match &self.inner {
            ClockInner::System { .. } => SystemTime::now(),
            ClockInner::Manual(m) => m.start + *m.offset.borrow(),
        }
    }

    /// Seconds since the Unix epoch.
    pub fn epoch_seconds(&self) -> i64 {
        self.now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)
    }

    /// Monotonic time since the clock was made (what rate quotas measure).
    pub fn elapsed(&self) -> Duration {
        match &self.inner {
            ClockInner::System { origin } => origin.elapsed(),
            ClockInner::Manual(m) => *m.offset.borrow(),
        }
    }

    /// Move a manual clock forward, waking the sleeps that are due. No effect on the
    /// system clock.
    pub fn advance(&self, by: Duration) {
        if let ClockInner::Manual(m) = &self.inner {
            m.offset.send_modify(|o| *o += by);
        }
    }

    /// How many [`Clock::sleep`]s are waiting on a manual clock (tests use it to know that
    /// a request has reached the endpoint's added latency).
    pub fn sleepers(&self) -> usize {
        match &self.inner {
            ClockInner::System { .. } => 0,
            ClockInner::Manual(m) => m.sleepers.load(Ordering::SeqCst),
        }
    }

    /// Wait until `duration` has passed on this clock.
    pub async fn sleep(&self, duration: Duration) {
        match &self.inner {
            ClockInner::System { .. } => tokio::time::sleep(duration).await,
            ClockInner::Manual(m) => {
                let mut rx = m.offset.subscribe();
                let due = *rx.borrow() + duration;
                m.sleepers.fetch_add(1, Ordering::SeqCst);
                // Counted until this future ends, also when it is dropped half-way.
                let _guard = SleeperGuard(&m.sleepers);
                // The sender lives as long as the clock, so `Err` cannot happen while we wait.
                let _ = rx.wait_for(|now| *now >= due).await;
            }
        }
    }
}

struct SleeperGuard<'a>(&'a AtomicUsize);

impl Drop for SleeperGuard<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

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
    last: Duration,
}

impl Bucket {
    fn take(&mut self, now: Duration) -> bool {
        let elapsed = now.saturating_sub(self.last).as_secs_f64();
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
    clock: Clock,
    buckets: Mutex<HashMap<(String, String, String), Bucket>>,
    rng: Mutex<StdRng>,
    stats: Mutex<Stats>,
}

impl Knobs {
    pub fn new(config: KnobConfig, clock: Clock) -> Knobs {
        let rng = match config.seed {
            Some(s) => StdRng::seed_from_u64(s),
            None => StdRng::from_os_rng(),
        };
        Knobs {
            config,
            clock,
            buckets: Mutex::new(HashMap::new()),
            rng: Mutex::new(rng),
            stats: Mutex::new(Stats::default()),
        }
    }

    pub fn latency(&self) -> Duration {
        self.config.latency
    }

    /// Wait the configured added latency, on the endpoint's clock.
    pub async fn delay(&self) {
        if !self.config.latency.is_zero() {
            self.clock.sleep(self.config.latency).await;
        }
    }

    /// Count the request and decide whether it proceeds. `quota` is the service's
    /// documented TPS for the operation.
    pub fn admit(&self, service: &str, operation: &str, region: &str, quota: f64) -> Verdict {
        let key = format!("{service}:{operation}");
        *lock(&self.stats).requests.entry(key.clone()).or_default() += 1;

        if self.config.quotas_aws && quota > 0.0 {
            let rate = quota * self.config.time_scale.max(f64::MIN_POSITIVE);
            let now = self.clock.elapsed();
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
        knobs_on(quotas, fault_rate, seed, Clock::manual())
    }

    fn knobs_on(quotas: bool, fault_rate: f64, seed: u64, clock: Clock) -> Knobs {
        Knobs::new(
            KnobConfig {
                quotas_aws: quotas,
                time_scale: 1.0,
                latency: Duration::ZERO,
                fault_rate,
                seed: Some(seed),
            },
            clock,
        )
    }

    #[test]
    fn the_bucket_refills_with_the_clock() {
        let clock = Clock::manual();
        let k = knobs_on(true, 0.0, 1, clock.clone());
        let admitted = |n| {
            (0..n)
                .filter(|_| k.admit("ivs", "GetStage", "r", 5.0) == Verdict::Proceed)
                .count()
        };
        assert_eq!(admitted(10), 5, "a burst of one second's worth");
        assert_eq!(admitted(10), 0, "time stands still");
        clock.advance(Duration::from_millis(400));
        assert_eq!(admitted(10), 2, "2 tokens in 0.4 s at 5 TPS");
        clock.advance(Duration::from_secs(60));
        assert_eq!(admitted(10), 5, "never more than the burst");
    }

    #[tokio::test]
    async fn manual_sleeps_end_when_the_clock_moves() {
        let clock = Clock::manual();
        let before = clock.now();
        let c = clock.clone();
        let sleeper = tokio::spawn(async move { c.sleep(Duration::from_secs(2)).await });
        while clock.sleepers() == 0 {
            tokio::task::yield_now().await;
        }
        clock.advance(Duration::from_secs(1));
        assert_eq!(clock.sleepers(), 1, "not due yet");
        clock.advance(Duration::from_secs(1));
        sleeper.await.unwrap();
        assert_eq!(clock.sleepers(), 0);
        assert_eq!(
            clock.now().duration_since(before).unwrap(),
            Duration::from_secs(2)
        );
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
