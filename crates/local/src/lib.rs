//! The local AWS endpoint: IVS Real-Time, IAM, STS, CloudWatch, Budgets and S3 on one
//! loopback port, faithful enough that any AWS SDK works against it unchanged.
//!
//! Layout, following a request:
//! - `server` — HTTP: accept, read, answer, shut down;
//! - `pipeline` — the one pipeline: route → admit → decode → validate → handle → encode;
//! - `sigv4` — signature verification; `knobs` — the clock, rate quotas, latency, faults,
//!   counters;
//! - `protocol/` — one module per wire protocol (restJson1, restXml, awsJson, awsQuery,
//!   RPC v2 CBOR): routing, decoding, encoding, errors;
//! - `document` — the protocol-neutral value; `shape` — input shapes and the validator;
//! - `paging`, `tags`, `time` — pieces every service shares;
//! - `service` — what a service is: a table of operation rows; `services/` — the six
//!   services, each `mod.rs` (the table), `shapes.rs`, `handlers.rs`, `state.rs` (STS, with
//!   one operation, is one file; S3's handlers are `buckets.rs` and `objects.rs`);
//! - `state` — the persisted world; `store` — locking and atomic persistence.
//!
//! The `ivstack local serve` command lives in the CLI crate.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! let endpoint = ivstack_local::start(ivstack_local::LocalConfig::default()).await?;
//! println!("{}", endpoint.url());
//! endpoint.shutdown().await?;
//! # Ok(()) }
//! ```

pub mod api;
pub mod document;
pub mod knobs;
pub mod paging;
mod pipeline;
pub mod protocol;
pub mod server;
pub mod service;
pub mod services;
pub mod shape;
pub mod sigv4;
pub mod state;
pub mod store;
pub mod tags;
#[cfg(test)]
mod testing;
pub mod time;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tokio::sync::watch;

pub use knobs::{Clock, Stats};
use state::LocalState;

/// One request the endpoint handled while recording ([`LocalEndpoint::record_calls`]).
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedCall {
    /// The SigV4 signing name: `ivs`, `iam`, `sts`, `monitoring`, `budgets`, `s3`.
    pub service: String,
    /// The operation: `CreateStage`.
    pub operation: String,
    /// The region of the request's credential scope.
    pub region: String,
    /// The decoded input, as the service model names its members (`arn`, `PolicyArn`,
    /// `AlarmNames`, `Bucket`, ...; path and query members included).
    pub input: serde_json::Value,
}

/// The call log behind [`LocalEndpoint::record_calls`].
#[derive(Default)]
pub(crate) struct Recorder {
    calls: std::sync::Mutex<Option<Vec<RecordedCall>>>,
}

impl Recorder {
    fn start(&self) {
        if let Ok(mut c) = self.calls.lock()
            && c.is_none()
        {
            *c = Some(Vec::new());
        }
    }

    fn take(&self) -> Vec<RecordedCall> {
        self.calls
            .lock()
            .ok()
            .and_then(|mut c| c.as_mut().map(std::mem::take))
            .unwrap_or_default()
    }

    pub(crate) fn record(
        &self,
        service: &str,
        operation: &str,
        region: &str,
        input: &document::Document,
    ) {
        if let Ok(mut c) = self.calls.lock()
            && let Some(calls) = c.as_mut()
        {
            calls.push(RecordedCall {
                service: service.to_string(),
                operation: operation.to_string(),
                region: region.to_string(),
                input: input.to_json(),
            });
        }
    }
}

/// Settings of one local endpoint.
#[derive(Clone)]
pub struct LocalConfig {
    /// Address to bind; loopback by default.
    pub host: String,
    /// Port to bind; 0 picks a free one.
    pub port: u16,
    pub access_key: String,
    pub secret_key: String,
    pub account_id: String,
    /// Region assumed for requests that carry none (unsigned ones).
    pub region: String,
    /// Persist state here (atomically, after every mutation).
    pub state_file: Option<PathBuf>,
    /// Enforce AWS request-rate quotas and resource quotas.
    pub quotas_aws: bool,
    /// Multiplies every rate quota (e.g. 10 = ten times AWS's TPS).
    pub time_scale: f64,
    /// Added to every authenticated request.
    pub latency: Duration,
    /// Probability (0..=1) of injecting a fault into a request.
    pub fault_rate: f64,
    /// Seed for fault injection, for reproducible runs.
    pub seed: Option<u64>,
    /// Reject requests signed more than 15 minutes away from now (AWS's rule).
    pub check_clock_skew: bool,
    /// Adjustable resource quotas set to other values than AWS's defaults, like a quota
    /// increase granted through Service Quotas, by name (`ivs:storage-configurations`; see
    /// [`services::resource_quotas`]). Only enforced with `quotas_aws`; a name that is not
    /// a quota, or a quota AWS does not adjust, is refused when the endpoint starts.
    pub resource_quotas: BTreeMap<String, u64>,
    /// What the process using `state_file` is (e.g. its command line, without secrets):
    /// written into the state file's lock, so that another process finds out who holds it.
    pub owner: Option<String>,
}

impl Default for LocalConfig {
    fn default() -> Self {
        LocalConfig {
            host: "127.0.0.1".to_string(),
            port: 0,
            access_key: "test".to_string(),
            secret_key: "test".to_string(),
            account_id: "123456789012".to_string(),
            region: "us-east-1".to_string(),
            state_file: None,
            quotas_aws: false,
            time_scale: 1.0,
            latency: Duration::ZERO,
            fault_rate: 0.0,
            seed: None,
            check_clock_skew: true,
            resource_quotas: BTreeMap::new(),
            owner: None,
        }
    }
}

// The secret key must not reach logs through `{:?}`.
impl std::fmt::Debug for LocalConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("access_key", &self.access_key)
            .field("secret_key", &"<redacted>")
            .field("account_id", &self.account_id)
            .field("region", &self.region)
            .field("state_file", &self.state_file)
            .field("quotas_aws", &self.quotas_aws)
            .field("time_scale", &self.time_scale)
            .field("latency", &self.latency)
            .field("fault_rate", &self.fault_rate)
            .field("seed", &self.seed)
            .field("check_clock_skew", &self.check_clock_skew)
            .field("resource_quotas", &self.resource_quotas)
            .field("owner", &self.owner)
            .finish()
    }
}

/// A running endpoint. Dropping it stops accepting connections; call
/// [`LocalEndpoint::shutdown`] to also wait for in-flight requests and flush state.
pub struct LocalEndpoint {
    addr: SocketAddr,
    url: String,
    shared: Arc<pipeline::Shared>,
    stop: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

/// Start an endpoint on the current tokio runtime.
pub async fn start(config: LocalConfig) -> anyhow::Result<LocalEndpoint> {
    start_with_clock(config, Clock::system()).await
}

/// Start an endpoint whose time (rate quotas, added latency, timestamps, the SigV4 skew
/// check) is `clock`: tests pass a [`Clock::manual`] to hold time still and move it.
pub async fn start_with_clock(config: LocalConfig, clock: Clock) -> anyhow::Result<LocalEndpoint> {
    if !(0.0..=1.0).contains(&config.fault_rate) {
        anyhow::bail!(
            "fault rate must be between 0 and 1, got {}",
            config.fault_rate
        );
    }
    if config.time_scale.is_nan() || config.time_scale <= 0.0 {
        anyhow::bail!("time scale must be positive, got {}", config.time_scale);
    }
    services::check_quota_overrides(&config.resource_quotas)?;
    let store = match &config.state_file {
        Some(path) => store::Store::open_as(path, config.owner.as_deref())?,
        None => store::Store::in_memory(LocalState::default()),
    };
    let (listener, addr) = server::bind(&config)
        .await
        .with_context(|| format!("cannot listen on {}:{}", config.host, config.port))?;
    let knobs = knobs::Knobs::new(
        knobs::KnobConfig {
            quotas_aws: config.quotas_aws,
            time_scale: config.time_scale,
            latency: config.latency,
            fault_rate: config.fault_rate,
            seed: config.seed,
        },
        clock.clone(),
    );
    let url_host = match addr.ip() {
        ip if ip.is_unspecified() => "127.0.0.1".to_string(),
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        ip => ip.to_string(),
    };
    let url = format!("http://{url_host}:{}", addr.port());
    let shared = Arc::new(pipeline::Shared {
        config,
        registry: services::Registry::standard(),
        store,
        knobs,
        clock,
        recorder: Recorder::default(),
    });
    let (stop, stop_rx) = watch::channel(false);
    let task = tokio::spawn(server::serve(listener, shared.clone(), stop_rx));
    Ok(LocalEndpoint {
        addr,
        url,
        shared,
        stop,
        task: Some(task),
    })
}

impl LocalEndpoint {
    /// `http://127.0.0.1:PORT`, for `AWS_ENDPOINT_URL` / `endpoint_url`.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn config(&self) -> &LocalConfig {
        &self.shared.config
    }

    /// The endpoint's clock.
    pub fn clock(&self) -> &Clock {
        &self.shared.clock
    }

    /// Counters so far.
    pub fn stats(&self) -> Stats {
        self.shared.knobs.stats()
    }

    /// Start recording every request that reaches its handler (authenticated, admitted,
    /// valid): service, operation, region and decoded input, for tests that check what a
    /// client called (e.g. that a printed IAM policy allows each call). Off by default:
    /// the inputs are kept in memory until [`LocalEndpoint::recorded_calls`] takes them.
    pub fn record_calls(&self) {
        self.shared.recorder.start();
    }

    /// The calls recorded since [`LocalEndpoint::record_calls`] (or the last take), in
    /// arrival order; recording goes on.
    pub fn recorded_calls(&self) -> Vec<RecordedCall> {
        self.shared.recorder.take()
    }

    /// Read or change the state directly (tests: seed sessions, inspect). Changes are
    /// persisted like those of a mutating request.
    pub fn with_state<R>(&self, f: impl FnOnce(&mut LocalState) -> R) -> anyhow::Result<R> {
        let mut state = self.shared.store.lock();
        let r = f(&mut state);
        self.shared.store.save(&state)?;
        Ok(r)
    }

    /// Stop accepting, let in-flight requests finish (up to 10 s), flush state.
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            task.await.context("local endpoint server task failed")?;
        }
        let state = self.shared.store.lock();
        self.shared.store.save(&state)?;
        Ok(())
    }
}

impl Drop for LocalEndpoint {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}
