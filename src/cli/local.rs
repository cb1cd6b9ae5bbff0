//! `ivstack local serve`: run the local AWS endpoint in the foreground.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

use super::interrupt::Stop;
use super::output::{self, say};
use super::redact;
use ivstack_local::{LocalConfig, start};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Quotas {
    /// No quotas: everything is allowed as fast as it comes.
    None,
    /// AWS's documented request-rate quotas and resource quotas.
    Aws,
}

/// Options of `ivstack local serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Port to listen on (0 = any free port).
    #[arg(long, default_value_t = 4566)]
    pub port: u16,
    /// Address to bind. Loopback by default; anything else exposes the endpoint.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Keep state in this JSON file (created if missing, locked while running).
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    #[arg(long, default_value = "123456789012")]
    pub account_id: String,
    /// Default region (requests use the region they are signed for).
    #[arg(long, default_value = "us-east-1")]
    pub region: String,
    #[arg(long, default_value = "test")]
    pub access_key: String,
    #[arg(long, default_value = "test")]
    pub secret_key: String,
    /// Enforce AWS's request-rate and resource quotas.
    #[arg(long, value_enum, default_value_t = Quotas::None)]
    pub quotas: Quotas,
    /// Multiply every rate quota by N.
    #[arg(long, default_value_t = 1.0)]
    pub time_scale: f64,
    /// Add this much latency to every request.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Inject a fault (throttling, 500, dropped connection) into this fraction of requests.
    #[arg(long, default_value_t = 0.0)]
    pub fault_rate: f64,
    /// Seed for reproducible fault injection.
    #[arg(long)]
    pub seed: Option<u64>,
}

impl ServeArgs {
    pub fn to_config(&self) -> LocalConfig {
        LocalConfig {
            host: self.host.clone(),
            port: self.port,
            access_key: self.access_key.clone(),
            secret_key: self.secret_key.clone(),
            account_id: self.account_id.clone(),
            region: self.region.clone(),
            state_file: self.state.clone(),
            quotas_aws: self.quotas == Quotas::Aws,
            time_scale: self.time_scale,
            latency: Duration::from_millis(self.latency_ms),
            fault_rate: self.fault_rate,
            seed: self.seed,
            check_clock_skew: true,
            // Resource quota overrides are for tests and benchmarks (library callers).
            ..LocalConfig::default()
        }
    }
}

/// The secret key shown in the printed exports: the well-known default as it is, anything
/// else is a secret the person just typed and does not need echoed (or logged).
fn shown_secret(secret: &str) -> &str {
    if secret == LocalConfig::default().secret_key {
        secret
    } else {
        "<the --secret-key given>"
    }
}

/// Start the endpoint, print how to use it, and run until the run is stopped (Ctrl-C).
/// Standard output is best effort: `ivstack local serve | head -1` still serves.
pub async fn serve(args: ServeArgs, stop: &Stop) -> anyhow::Result<()> {
    let config = args.to_config();
    redact::register_secret(&config.secret_key);
    let endpoint = start(config.clone()).await?;
    let mut banner = format!("ivstack local endpoint listening on {}\n", endpoint.url());
    if let Some(path) = &config.state_file {
        banner.push_str(&format!("state file: {}\n", path.display()));
    }
    banner.push_str(&format!(
        "\nexport AWS_ENDPOINT_URL={}\nexport AWS_ACCESS_KEY_ID={}\nexport AWS_SECRET_ACCESS_KEY={}\nexport AWS_REGION={}\n",
        endpoint.url(),
        config.access_key,
        shown_secret(&config.secret_key),
        config.region
    ));
    output::print_best_effort(&banner);
    stop.stopped().await;
    say!("shutting down...");
    endpoint.shutdown().await
}
