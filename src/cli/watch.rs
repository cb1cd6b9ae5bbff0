//! `ivstack watch [PATH...]`: the reconciler (see `crate::watch`), wired to the command
//! line: its options, the metrics endpoint, SIGTERM, and the exit code.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use serde_json::json;

use super::interrupt::Stop;
use super::lock::LockArgs;
use super::session::{AwsArgs, GlobalArgs};
use crate::watch::cycle::Reconciler;
use crate::watch::events::Events;
use crate::watch::metrics::{self, Metrics};
use crate::watch::{self as controller, Schedule};

#[derive(Debug, Clone, Args)]
pub struct WatchArgs {
    /// Stack files or directories (all *.yaml / *.yml within), re-read every cycle.
    /// Default: ./stacks
    pub paths: Vec<PathBuf>,
    /// Time between two reconciliations of a stack (`30s`, `5m`, `1h`); at least 1s.
    #[arg(long, default_value = "5m", value_parser = parse_interval)]
    pub interval: Duration,
    /// Apply the plan of every stack that drifted (without it, drift is only reported).
    #[arg(long)]
    pub enforce: bool,
    /// Serve Prometheus metrics at http://ADDR/metrics and a liveness probe at /healthz
    /// (e.g. 127.0.0.1:9464).
    #[arg(long, value_name = "ADDR")]
    pub metrics_addr: Option<SocketAddr>,
    /// One cycle over every stack, then exit 0 (no drift), 2 (drift) or 1 (error).
    #[arg(long)]
    pub once: bool,
    /// Exit 0 after this many cycles (for tests and scripts).
    #[arg(long, hide = true, value_name = "N")]
    pub max_cycles: Option<u64>,
    /// With --enforce: the lock taken around each stack's apply, as for `apply`.
    #[command(flatten)]
    pub lock: LockArgs,
    // Last: its help heading would apply to the fields after it.
    #[command(flatten)]
    pub aws: AwsArgs,
}

fn parse_interval(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s).map_err(|e| format!("{e} (e.g. 30s, 5m, 1h)"))?;
    if d < Duration::from_secs(1) {
        return Err("the interval must be at least 1s".to_string());
    }
    Ok(d)
}

/// `ivstack watch`.
pub async fn run(global: &GlobalArgs, args: &WatchArgs, stop: &Stop) -> anyhow::Result<i32> {
    stop.listen_for_sigterm()?;
    let events = Events::stdout();
    let metrics = Arc::new(Metrics::new());
    let metrics_addr = match args.metrics_addr {
        Some(addr) => Some(metrics::serve(addr, metrics.clone(), stop.clone()).await?),
        None => None,
    };
    events.emit(
        "start",
        json!({
            "mode": if args.enforce { "enforce" } else { "report" },
            "interval_seconds": args.interval.as_secs_f64(),
            "paths": args.paths,
            "metrics_addr": metrics_addr.map(|a| a.to_string()),
            "once": args.once,
        }),
    );
    let mut reconciler = Reconciler::new(
        global.clone(),
        args.paths.clone(),
        args.enforce,
        args.lock.clone(),
        stop.clone(),
        events.clone(),
        metrics,
    );
    let schedule = Schedule {
        interval: args.interval,
        once: args.once,
        max_cycles: args.max_cycles,
    };
    let code = controller::run(&mut reconciler, &schedule, stop, rand::random::<f64>).await;
    if !args.once || stop.is_stopped() {
        let reason = match stop.reason() {
            Some(r) => format!("{r:?}").to_lowercase(),
            None => "max_cycles".to_string(),
        };
        events.emit("stop", json!({"reason": reason, "exit_code": code}));
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_read_like_durations() {
        assert_eq!(parse_interval("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_interval("1h 30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_interval("2s"), Ok(Duration::from_secs(2)));
        assert!(parse_interval("500ms").unwrap_err().contains("at least 1s"));
        assert!(parse_interval("soon").is_err());
    }
}
