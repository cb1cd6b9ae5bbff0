//! What every AWS-facing command needs first: its options (written before the command,
//! `ivstack --local apply`, or after it, `ivstack apply --local`), the connection (real
//! AWS or the embedded local endpoint), the account guard, and the run's [`Stop`].

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::Args;
use tokio_util::sync::CancellationToken;

use super::interrupt::Stop;
use super::output::say;
use crate::aws::{Aws, ConnectOptions};
use crate::stack::model::StackFile;
use ivstack_local::{LocalConfig, LocalEndpoint};

/// Default of `--local-state`.
pub const DEFAULT_LOCAL_STATE: &str = ".ivstack/local-state.json";
/// Default of `--max-concurrency`.
pub const DEFAULT_MAX_CONCURRENCY: usize = 8;
/// Default of `--timeout`, in seconds.
pub const DEFAULT_TIMEOUT: u64 = 1800;

/// The options of the commands that talk to AWS: `plan`, `apply`, `destroy`, `token`
/// and `watch` (and only theirs). Accepted before the
/// command and after it: [`GlobalArgs::resolve`] merges the two places, the later one
/// winning.
#[derive(Debug, Clone, Default, Args)]
#[command(
    next_help_heading = "AWS options (plan, apply, destroy, import, discover, force-unlock, token, watch)"
)]
pub struct AwsArgs {
    /// AWS profile from the shared config files.
    #[arg(long)]
    pub profile: Option<String>,

    /// Region check: must match the stack file's `region` when given. For `discover`, the
    /// region to read (default: the standard AWS configuration, e.g. `AWS_REGION`).
    #[arg(long)]
    pub region: Option<String>,

    /// Send every AWS call to this endpoint (e.g. `ivstack local serve`).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,

    /// Run against an embedded local AWS endpoint instead of AWS (no account needed). Its
    /// state persists in --local-state.
    #[arg(long)]
    pub local: bool,

    /// State file of the embedded local endpoint (same format as `ivstack local serve
    /// --state`) [default: .ivstack/local-state.json]
    #[arg(long, value_name = "FILE")]
    pub local_state: Option<PathBuf>,

    /// At most this many AWS operations in flight at once, per service [default: 8]
    #[arg(long, value_name = "N")]
    pub max_concurrency: Option<usize>,

    /// Override a client-side rate limit, e.g. `--rate CreateStage=2` (requests/second).
    #[arg(long, value_name = "OPERATION=TPS")]
    pub rate: Vec<String>,

    /// Multiply every client-side rate limit (for a time-scaled local endpoint).
    #[arg(long, hide = true)]
    pub rate_scale: Option<f64>,

    /// Stop after this many seconds from the start: nothing new starts, what is in flight
    /// finishes, the report is printed (exit 130, as on Ctrl-C). A plan stopped this way
    /// prints nothing [default: 1800]
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<u64>,
}

impl AwsArgs {
    /// The options given, as written on the command line (for error messages).
    pub fn given(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        let mut add = |set: bool, name: &'static str| {
            if set {
                out.push(name);
            }
        };
        add(self.profile.is_some(), "--profile");
        add(self.region.is_some(), "--region");
        add(self.endpoint_url.is_some(), "--endpoint-url");
        add(self.local, "--local");
        add(self.local_state.is_some(), "--local-state");
        add(self.max_concurrency.is_some(), "--max-concurrency");
        add(!self.rate.is_empty(), "--rate");
        add(self.rate_scale.is_some(), "--rate-scale");
        add(self.timeout.is_some(), "--timeout");
        out
    }
}

/// Everything `plan`, `apply` and `destroy` need from the command line, resolved.
#[derive(Debug, Clone)]
pub struct GlobalArgs {
    pub profile: Option<String>,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
    pub local: bool,
    pub local_state: PathBuf,
    pub verbose: u8,
    pub max_concurrency: usize,
    pub no_color: bool,
    pub rate: Vec<String>,
    pub rate_scale: f64,
    pub timeout: u64,
}

impl GlobalArgs {
    /// Merge the options written before the command (`before`) with those after it
    /// (`after`, which win). Errors name the conflicting options.
    pub fn resolve(
        verbose: u8,
        no_color: bool,
        before: &AwsArgs,
        after: &AwsArgs,
    ) -> Result<GlobalArgs, String> {
        let pick = |a: &Option<String>, b: &Option<String>| b.clone().or_else(|| a.clone());
        let g = GlobalArgs {
            profile: pick(&before.profile, &after.profile),
            region: pick(&before.region, &after.region),
            endpoint_url: pick(&before.endpoint_url, &after.endpoint_url),
            local: before.local || after.local,
            local_state: after
                .local_state
                .clone()
                .or_else(|| before.local_state.clone())
                .unwrap_or_else(|| PathBuf::from(DEFAULT_LOCAL_STATE)),
            verbose,
            max_concurrency: after
                .max_concurrency
                .or(before.max_concurrency)
                .unwrap_or(DEFAULT_MAX_CONCURRENCY),
            no_color,
            rate: before.rate.iter().chain(&after.rate).cloned().collect(),
            rate_scale: after.rate_scale.or(before.rate_scale).unwrap_or(1.0),
            timeout: after.timeout.or(before.timeout).unwrap_or(DEFAULT_TIMEOUT),
        };
        if g.local {
            for (set, name) in [
                (g.endpoint_url.is_some(), "--endpoint-url"),
                (g.profile.is_some(), "--profile"),
            ] {
                if set {
                    return Err(format!(
                        "the argument '--local' cannot be used with '{name}'"
                    ));
                }
            }
        }
        if g.max_concurrency == 0 {
            return Err("--max-concurrency must be at least 1".to_string());
        }
        if !(g.rate_scale.is_finite() && g.rate_scale > 0.0) {
            return Err("--rate-scale must be a positive number".to_string());
        }
        Ok(g)
    }

    /// Colour only on a terminal, and never with --no-color or NO_COLOR.
    pub fn color(&self) -> bool {
        !self.no_color && crate::stack::diagnostics::color_for_stdout()
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
    /// The run's stop signal (Ctrl-C, `--timeout`).
    pub stop: Stop,
    /// `stop`'s token, for apply.
    pub cancel: CancellationToken,
}

impl Session {
    /// Connect for `stack` and enforce its account guard before anything else happens.
    /// Stopping (Ctrl-C, `--timeout`) while connecting ends in [`super::interrupt::Interrupted`].
    /// With `--local`, waits up to the default `--lock-timeout` for another process to
    /// release the local state file.
    pub async fn open(
        global: &GlobalArgs,
        stack: &StackFile,
        stop: &Stop,
    ) -> anyhow::Result<Session> {
        let wait = Duration::from_secs(super::lock::DEFAULT_LOCK_TIMEOUT);
        Self::open_waiting(global, stack, stop, wait).await
    }

    /// [`Session::open`], waiting up to `local_wait` for the local state file.
    pub async fn open_waiting(
        global: &GlobalArgs,
        stack: &StackFile,
        stop: &Stop,
        local_wait: Duration,
    ) -> anyhow::Result<Session> {
        if stop.is_stopped() {
            return Err(stop.interrupted_before(&stack.stack).into());
        }
        let connecting = Self::connect(global, stack, stop.clone(), local_wait);
        tokio::select! {
            session = connecting => session,
            () = stop.stopped() => Err(stop
                .interrupted("connecting and checking the account", false)
                .into()),
        }
    }

    async fn connect(
        global: &GlobalArgs,
        stack: &StackFile,
        stop: Stop,
        local_wait: Duration,
    ) -> anyhow::Result<Session> {
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
                owner: Some(super::lock::command_line()),
                ..LocalConfig::default()
            };
            let endpoint = start_local(&config, &global.local_state, local_wait).await?;
            opts.endpoint_url = Some(endpoint.url().to_string());
            opts.static_credentials = Some((config.access_key, config.secret_key));
            local = Some(endpoint);
        }
        let aws = Aws::connect(&opts).await?;
        let session = Session {
            aws,
            local,
            cancel: stop.token(),
            stop,
        };
        if let Some(expected) = &stack.account {
            let actual = match session.aws.account_id().await {
                Ok(a) => a,
                Err(e) => {
                    session.close().await?;
                    return Err(e.context(
                        "cannot check the stack's account guard (STS GetCallerIdentity failed)",
                    ));
                }
            };
            if &actual != expected {
                session.close().await?;
                bail!(
                    "refusing to touch account {actual}: stack `{}` belongs to account {expected} \
                     (its `account` field). Use credentials for {expected}, or fix the stack file.",
                    stack.stack
                );
            }
        }
        Ok(session)
    }

    /// The embedded endpoint, with `--local`.
    pub fn local_endpoint(&self) -> Option<&LocalEndpoint> {
        self.local.as_ref()
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

/// Start the embedded endpoint on `state`. Another ivstack process using the same state
/// file holds it for as long as it runs: that is the local form of the stack lock, so this
/// one says who holds it and waits (with backoff, up to `wait`) until it is free, rather
/// than fail on a state file in use. Ctrl-C ends the wait (the caller's `Stop`).
async fn start_local(
    config: &LocalConfig,
    state: &Path,
    wait: Duration,
) -> anyhow::Result<LocalEndpoint> {
    use ivstack_local::store::StoreError;
    let deadline = tokio::time::Instant::now() + wait;
    let mut delays = crate::lock::backoff();
    let mut told = false;
    loop {
        let err = match ivstack_local::start(config.clone()).await {
            Ok(endpoint) => {
                if told {
                    say!("The local endpoint's state is free now; going on.");
                }
                return Ok(endpoint);
            }
            Err(e) => e,
        };
        let Some(StoreError::Locked { holder, .. }) = err.downcast_ref::<StoreError>() else {
            return Err(err.context(format!(
                "cannot start the embedded local endpoint (state {})",
                state.display()
            )));
        };
        let who = holder
            .as_ref()
            .map_or_else(|| "another process".to_string(), |h| h.to_string());
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        if left.is_zero() {
            bail!(
                "the local endpoint's state {} is in use by {who}{}: let that run finish (or use \
                 another --local-state)",
                state.display(),
                if wait.is_zero() {
                    String::new()
                } else {
                    format!(", still after {}s", wait.as_secs())
                }
            );
        }
        if !told {
            say!(
                "Waiting for the lock held by {who}: it is using the local endpoint's state {} \
                 (waiting up to {}s; Ctrl-C to give up)",
                state.display(),
                wait.as_secs()
            );
            told = true;
        }
        tokio::time::sleep(delays.next().unwrap_or(crate::lock::MAX_DELAY).min(left)).await;
    }
}
