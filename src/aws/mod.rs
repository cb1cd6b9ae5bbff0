//! Talking to AWS: client construction (standard credential chain, `--profile`,
//! `--region`, `--endpoint-url`), the account lookup, client-side rate limits, and call
//! accounting. IAM and Budgets are global services signed for us-east-1. S3 (the lock) is
//! addressed path-style whenever a custom endpoint is used (the local endpoint serves only
//! that), virtual-hosted otherwise.

pub mod errors;
pub mod limits;
pub mod stats;

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::Context as _;
use aws_config::{BehaviorVersion, Region, retry::RetryConfig};
use tokio::sync::OnceCell;

pub use errors::{AwsError, aws_error};
pub use limits::RateLimits;
pub use stats::CallStats;

/// How to reach AWS.
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    pub profile: Option<String>,
    /// The stack's region (stages and alarms).
    pub region: String,
    pub endpoint_url: Option<String>,
    /// Static credentials (used by `--local`); otherwise the standard chain.
    pub static_credentials: Option<(String, String)>,
    /// `OPERATION=TPS` overrides of the client-side rate limits.
    pub rate_overrides: HashMap<String, f64>,
    /// Multiplies every client-side rate (for scale tests against a time-scaled endpoint).
    pub rate_scale: f64,
    /// SDK attempts per call (retries only on throttling, 5xx and connection errors).
    pub max_attempts: u32,
}

/// The clients of one run, sharing rate limits and call accounting.
#[derive(Clone)]
pub struct Aws {
    pub ivs: aws_sdk_ivsrealtime::Client,
    pub iam: aws_sdk_iam::Client,
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    pub budgets: aws_sdk_budgets::Client,
    pub sts: aws_sdk_sts::Client,
    /// In the stack's region; [`Aws::s3_in`] for a bucket in another.
    pub s3: aws_sdk_s3::Client,
    pub region: String,
    pub stats: CallStats,
    pub limits: RateLimits,
    account: Arc<OnceCell<String>>,
}

/// Region that signs requests to the global services (IAM, Budgets).
const GLOBAL_REGION: &str = "us-east-1";

/// The HTTP client every AWS client of a run shares: the SDK's own hyper 1 + rustls client
/// with ring as the crypto provider (the SDK crates' `default-https-client` feature would
/// build aws-lc-sys instead; see Cargo.toml). Plain `http://` endpoints (`--local`,
/// `--endpoint-url`) work through it too.
pub fn http_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

impl Aws {
    pub async fn connect(opts: &ConnectOptions) -> anyhow::Result<Aws> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .http_client(http_client())
            .region(Region::new(opts.region.clone()))
            .retry_config(RetryConfig::standard().with_max_attempts(opts.max_attempts.max(1)));
        if let Some(p) = &opts.profile {
            loader = loader.profile_name(p);
        }
        if let Some(url) = &opts.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        if let Some((key, secret)) = &opts.static_credentials {
            loader = loader.credentials_provider(aws_credential_types::Credentials::new(
                key,
                secret,
                None,
                None,
                "ivstack-local",
            ));
        }
        let shared = loader.load().await;
        let stats = CallStats::default();
        let global = Region::new(GLOBAL_REGION);

        let ivs = aws_sdk_ivsrealtime::Client::from_conf(
            aws_sdk_ivsrealtime::config::Builder::from(&shared)
                .interceptor(stats.clone())
                .interceptor(errors::EndpointRecorder)
                .build(),
        );
        let iam = aws_sdk_iam::Client::from_conf(
            aws_sdk_iam::config::Builder::from(&shared)
                .region(global.clone())
                .interceptor(stats.clone())
                .interceptor(errors::EndpointRecorder)
                .build(),
        );
        let cloudwatch = aws_sdk_cloudwatch::Client::from_conf(
            aws_sdk_cloudwatch::config::Builder::from(&shared)
                .interceptor(stats.clone())
                .interceptor(errors::EndpointRecorder)
                .build(),
        );
        let budgets = aws_sdk_budgets::Client::from_conf(
            aws_sdk_budgets::config::Builder::from(&shared)
                .region(global)
                .interceptor(stats.clone())
                .interceptor(errors::EndpointRecorder)
                .build(),
        );
        let sts = aws_sdk_sts::Client::from_conf(
            aws_sdk_sts::config::Builder::from(&shared)
                .interceptor(stats.clone())
                .interceptor(errors::EndpointRecorder)
                .build(),
        );
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&shared)
                .force_path_style(opts.endpoint_url.is_some())
                .interceptor(stats.clone())
                .interceptor(errors::EndpointRecorder)
                .build(),
        );
        Ok(Aws {
            ivs,
            iam,
            cloudwatch,
            budgets,
            sts,
            s3,
            region: opts.region.clone(),
            stats,
            limits: RateLimits::new(opts.rate_overrides.clone(), opts.rate_scale),
            account: Arc::new(OnceCell::new()),
        })
    }

    /// The account the credentials belong to (STS GetCallerIdentity, asked once).
    pub async fn account_id(&self) -> anyhow::Result<String> {
        self.account
            .get_or_try_init(|| async {
                self.limit("sts", "GetCallerIdentity").await;
                let out = self
                    .sts
                    .get_caller_identity()
                    .send()
                    .await
                    .map_err(|e| aws_error("sts:GetCallerIdentity", e))?;
                out.account
                    .context("STS GetCallerIdentity returned no account id")
            })
            .await
            .cloned()
    }

    /// The S3 client signed for `region` (a bucket lives in one region).
    pub fn s3_in(&self, region: &str) -> aws_sdk_s3::Client {
        aws_sdk_s3::Client::from_conf(
            self.s3
                .config()
                .to_builder()
                .region(Region::new(region.to_string()))
                .build(),
        )
    }

    /// Wait for the client-side rate limit of an operation.
    pub async fn limit(&self, service: &str, operation: &str) {
        self.limits.acquire(service, operation).await;
    }
}
