//! Benchmark of the local endpoint's CloudWatch emulator: PutMetricAlarm requests/second over
//! Smithy RPC v2 CBOR with a concurrent `aws-sdk-cloudwatch` client, then DescribeAlarms
//! pages/second over the alarms created.
//!
//! Run: `cargo run --release --example bench_cloudwatch -- [SECONDS] [CONCURRENCY]`.
//! Client and server share the process (and the machine's cores), so the figures are a lower
//! bound for the server alone. Every PutMetricAlarm writes a distinct alarm (round-robin over
//! 10,000 names), so both create and overwrite paths are measured.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, Statistic};
use ivstack_local::{LocalConfig, start};

const NAMES: u64 = 10_000;

/// Run `op` from `concurrency` tasks until `seconds` pass; (ok, errors, elapsed seconds).
async fn drive<F, Fut>(seconds: u64, concurrency: usize, op: F) -> (u64, u64, f64)
where
    F: Fn(u64) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let done = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let counter = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (op, done, errors, counter) =
            (op.clone(), done.clone(), errors.clone(), counter.clone());
        tasks.spawn(async move {
            while Instant::now() < deadline {
                let i = counter.fetch_add(1, Ordering::Relaxed);
                if op(i).await {
                    done.fetch_add(1, Ordering::Relaxed);
                } else {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    (
        done.load(Ordering::Relaxed),
        errors.load(Ordering::Relaxed),
        started.elapsed().as_secs_f64(),
    )
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let seconds: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(5);
    let concurrency: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(32);

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

    let c = client.clone();
    let (ok, errors, elapsed) = drive(seconds, concurrency, move |i| {
        let c = c.clone();
        async move {
            c.put_metric_alarm()
                .alarm_name(format!("bench-{:05}", i % NAMES))
                .metric_name("Participants")
                .namespace("AWS/IVSRealTime")
                .statistic(Statistic::Maximum)
                .dimensions(Dimension::builder().name("Stage").value("bench").build())
                .period(60)
                .evaluation_periods(3)
                .datapoints_to_alarm(2)
                .threshold(10.0)
                .comparison_operator(ComparisonOperator::GreaterThanThreshold)
                .alarm_actions("arn:aws:sns:us-east-1:123456789012:ops")
                .send()
                .await
                .is_ok()
        }
    })
    .await;
    println!(
        "PutMetricAlarm (CBOR): {:.0} req/s ({ok} ok, {errors} errors, {concurrency} concurrent, {elapsed:.1} s)",
        ok as f64 / elapsed
    );

    let c = client.clone();
    let (ok, errors, elapsed) = drive(seconds, concurrency, move |_| {
        let c = c.clone();
        async move {
            c.describe_alarms()
                .alarm_name_prefix("bench-0")
                .max_records(100)
                .send()
                .await
                .is_ok()
        }
    })
    .await;
    println!(
        "DescribeAlarms 100-alarm pages (CBOR): {:.0} req/s ({ok} ok, {errors} errors, {concurrency} concurrent, {elapsed:.1} s)",
        ok as f64 / elapsed
    );
    endpoint.shutdown().await?;
    Ok(())
}
