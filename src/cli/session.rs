//! What every AWS-facing command needs first: the global options, the connection (real
//! AWS or the embedded local endpoint), the account guard, Ctrl-C and the run deadline.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use clap::Args;
use tokio_util::sync::CancellationToken;

use crate::aws::{Aws, ConnectOptions};
use crate::stack::model::StackFile;
use ivstack_local::{LocalConfig, LocalEndpoint};

/// When the first session of this process opened: `--timeout` counts from here.
static RUN_START: OnceLock<Instant> = OnceLock::new();

/// Options shared by `plan`, `apply` and `destroy`.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// AWS profile from the shared config files.
    #[arg(long, global = true)]
    pub profile: Option<String>,

    /// Region check: must match the stack file's `region` when given.
    #[arg(long, global = true)]
    pub region: Option<String>,

    /// Send every AWS call to this endpoint (e.g. `ivstack local serve`).
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint_url: Option<String>,

    /// Run against an embedded local AWS endpoint instead of AWS (no account needed). Its
    /// state persists in --local-state.
    #[arg(long, global = true, conflicts_with_all = ["endpoint_url", "profile"])]
    pub local: bool,

    /// State file of the embedded local endpoint (same format as `ivstack local serve --state`).
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        default_value = ".ivstack/local-state.json"
    )]
    pub local_state: PathBuf,

    /// More logging (-v: AWS calls and retries, -vv: everything).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// At most this many AWS operations in flight at once, per service.
    #[arg(long, global = true, default_value_t = 8, value_name = "N")]
    pub max_concurrency: usize,

    /// No colour in the output (also when NO_COLOR is set or stdout is not a terminal).
    #[arg(long, global = true)]
    pub no_color: bool,

    /// Override a client-side rate limit, e.g. `--rate CreateStage=2` (requests/second).
    #[arg(long, global = true, value_name = "OPERATION=TPS")]
    pub rate: Vec<String>,

    /// Multiply every client-side rate limit (for a time-scaled local endpoint).
    #[arg(long, global = true, default_value_t = 1.0, hide = true)]
    pub rate_scale: f64,

    /// Give up (stop starting operations, report, exit 1) after this many seconds.
    #[arg(long, global = true, default_value_t = 1800, value_name = "SECONDS")]
    pub timeout: u64,
}

impl GlobalArgs {
    /// Colour only on a terminal, and never with --no-color or NO_COLOR.
    pub fn color(&self) -> bool {
        use std::io::IsTerminal;
        !self.no_color
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            && std::io::stdout().is_terminal()
    }

    fn rate_overrides(&self) -> anyhow::Result<HashMap<String, f64>> {
        self.rate
            .iter()
            .map(|r| {
                let (op, tps) = r.split_once('=').with_context(|| {
                    format!("--rate {r}: expected OPERATION=TPS, e.g. CreateStage=2")
                })?;
                let tps: f64 = tps
                    .parse()
                    .ok()
                    .filter(|t: &f64| *t > 0.0 && t.is_finite())
                    .with_context(|| format!("--rate {r}: TPS must be a positive number"))?;
                Ok((op.to_string(), tps))
            })
            .collect()
    }
}

/// A live connection for one stack.
pub struct Session {
    pub aws: Aws,
    /// The embedded endpoint, when `--local`; shut down (state flushed) by [`Session::close`].
    local: Option<LocalEndpoint>,
    pub cancel: CancellationToken,
}

impl Session {
    /// Connect for `stack` and enforce its account guard before anything else happens.
    pub async fn open(global: &GlobalArgs, stack: &StackFile) -> anyhow::Result<Session> {
        if let Some(r) = &global.region
            && r != &stack.region
        {
            bail!(
                "--region {r} does not match the stack's region {} (stack `{}`); the stack file \
                 decides the region",
                stack.region,
                stack.stack
            );
        }
        let mut opts = ConnectOptions {
            profile: global.profile.clone(),
            region: stack.region.clone(),
            endpoint_url: global.endpoint_url.clone(),
            static_credentials: None,
            rate_overrides: global.rate_overrides()?,
            rate_scale: global.rate_scale,
            max_attempts: 5,
        };
        let mut local = None;
        if global.local {
            if let Some(dir) = global.local_state.parent()
                && !dir.as_os_str().is_empty()
            {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
            }
            let config = LocalConfig {
                state_file: Some(global.local_state.clone()),
                region: stack.region.clone(),
                ..LocalConfig::default()
            };
            let endpoint = ivstack_local::start(config.clone())
                .await
                .with_context(|| {
                    format!(
                        "cannot start the embedded local endpoint (state {})",
                        global.local_state.display()
                    )
                })?;
            opts.endpoint_url = Some(endpoint.url().to_string());
            opts.static_credentials = Some((config.access_key, config.secret_key));
            local = Some(endpoint);
        }
        let aws = Aws::connect(&opts).await?;
        if let Some(expected) = &stack.account {
            let actual = aws
                .account_id()
                .await
                .context("cannot check the stack's account guard (STS GetCallerIdentity failed)")?;
            if &actual != expected {
                bail!(
                    "refusing to touch account {actual}: stack `{}` belongs to account {expected} \
                     (its `account` field). Use credentials for {expected}, or fix the stack file.",
                    stack.stack
                );
            }
        }
        let cancel = CancellationToken::new();
        let on_signal = cancel.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!(
                    "\ninterrupted: no new operations will start; waiting for the ones in flight"
                );
                on_signal.cancel();
            }
        });
        // One deadline for the whole run: with several stacks, later ones get what is left.
        let on_deadline = cancel.clone();
        let deadline = Duration::from_secs(global.timeout.max(1));
        let left = deadline.saturating_sub(RUN_START.get_or_init(Instant::now).elapsed());
        tokio::spawn(async move {
            tokio::time::sleep(left).await;
            eprintln!("\ndeadline of {}s reached: stopping", deadline.as_secs());
            on_deadline.cancel();
        });
        Ok(Session { aws, local, cancel })
    }

    /// One line on the AWS traffic of this session, for -v and summaries.
    pub fn traffic_line(&self) -> String {
        let t = self.aws.stats.totals();
        let calls: u64 = self.aws.stats.snapshot().len() as u64;
        format!(
            "AWS traffic: {} requests over {} operations, {} throttled, {} transient failures (retried)",
            t.attempts, calls, t.throttled, t.failed_transient
        )
    }

    pub async fn close(self) -> anyhow::Result<()> {
        if let Some(local) = self.local {
            local.shutdown().await?;
        }
        Ok(())
    }
}
