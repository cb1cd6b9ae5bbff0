//! Benchmark of the local AWS endpoint: GetStage requests/second over HTTP with a concurrent
//! `aws-sdk-ivsrealtime` client, and resident memory with 10,000 stages.
//!
//! Run: `scripts/bench_local.sh` (release build) or
//! `cargo run --release --example bench_local -- [SECONDS] [CONCURRENCY] [STAGES]`.
//! Client and server share the process (and the machine's cores), so the figures are a
//! lower bound for the server alone.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_ivsrealtime::Client;
use ivstack_local::{LocalConfig, start};

/// `VmRSS` and `VmHWM` of this process in KiB (Linux), or zeros elsewhere.
fn memory_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let seconds: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(5);
    let concurrency: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(32);
    let stages: usize = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(10_000);

    let endpoint = start(LocalConfig::default()).await?;
    let config = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        // The SDK crates are built without their default HTTPS client (see Cargo.toml).
        .http_client(
            aws_smithy_http_client::Builder::new()
                .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
                    aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
                ))
                .build_https(),
        )
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint.url())
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "test", "test", None, None, "bench",
        )))
        .build();
    let client = Client::new(&config);
    let (rss_start, _) = memory_kib();

    // 1. GetStage throughput.
    let arn = client
        .create_stage()
        .name("bench")
        .send()
        .await?
        .stage()
        .map(|s| s.arn().to_string())
        .unwrap_or_default();
    let done = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (client, arn, done, errors) =
            (client.clone(), arn.clone(), done.clone(), errors.clone());
        tasks.spawn(async move {
            while Instant::now() < deadline {
                match client.get_stage().arn(&arn).send().await {
                    Ok(_) => done.fetch_add(1, Ordering::Relaxed),
                    Err(_) => errors.fetch_add(1, Ordering::Relaxed),
                };
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    let elapsed = started.elapsed().as_secs_f64();
    let ok = done.load(Ordering::Relaxed);
    println!(
        "GetStage over HTTP: {ok} requests in {elapsed:.1} s with {concurrency} concurrent callers = {:.0} req/s ({} errors)",
        ok as f64 / elapsed,
        errors.load(Ordering::Relaxed)
    );

    // 2. Memory with many stages (created through the API, as a user would).
    let (rss_before, _) = memory_kib();
    let started = Instant::now();
    let per_task = stages.div_ceil(concurrency);
    let mut tasks = tokio::task::JoinSet::new();
    for t in 0..concurrency {
        let client = client.clone();
        tasks.spawn(async move {
            for i in 0..per_task {
                let n = t * per_task + i;
                if n >= stages {
                    break;
                }
                client
                    .create_stage()
                    .name(format!("stage-{n}"))
                    .tags("ivstack:stack", "bench")
                    .tags("ivstack:id", format!("s{n}"))
                    .send()
                    .await?;
            }
            Ok::<_, anyhow::Error>(())
        });
    }
    while let Some(r) = tasks.join_next().await {
        r??;
    }
    let created = started.elapsed().as_secs_f64();
    let count = endpoint.with_state(|s| {
        s.ivs
            .regions
            .values()
            .map(|r| r.stages.len())
            .sum::<usize>()
    })?;
    let (rss_after, hwm) = memory_kib();
    println!(
        "Created {stages} stages (2 tags each) in {created:.1} s ({:.0} CreateStage/s); state holds {count} stages",
        stages as f64 / created
    );
    println!(
        "Resident memory: {:.1} MiB at start, {:.1} MiB before, {:.1} MiB after the stages (+{:.1} MiB); peak {:.1} MiB",
        rss_start as f64 / 1024.0,
        rss_before as f64 / 1024.0,
        rss_after as f64 / 1024.0,
        rss_after.saturating_sub(rss_before) as f64 / 1024.0,
        hwm as f64 / 1024.0
    );
    let stats = endpoint.stats();
    println!(
        "Endpoint counted {} requests, {} throttled, {} faults",
        stats.total_requests(),
        stats.total_throttled(),
        stats.total_faults()
    );
    endpoint.shutdown().await?;
    Ok(())
}
