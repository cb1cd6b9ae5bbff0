//! Stopping a run early: Ctrl-C (SIGINT) and the `--timeout` deadline, one [`Stop`] for
//! the whole process, and the error that makes the exit code 130.
//!
//! Stopping never aborts work in flight: AWS calls already sent finish, nothing new
//! starts, and the command reports what it did. A second Ctrl-C exits at once (130), for
//! the person who would rather not wait.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::output::say;

/// Exit code of a run stopped by Ctrl-C or the deadline (128 + SIGINT, as shells report).
pub const EXIT_INTERRUPTED: i32 = 130;

/// Why a run stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Ctrl-C (SIGINT).
    Interrupt,
    /// SIGTERM (`watch` only: a service manager stopping the controller).
    Terminate,
    /// `--timeout` of this many seconds.
    Deadline(u64),
}

/// The process-wide stop signal: cancelled by the first Ctrl-C or the deadline.
#[derive(Debug, Clone, Default)]
pub struct Stop {
    token: CancellationToken,
    reason: Arc<OnceLock<Reason>>,
}

impl Stop {
    pub fn new() -> Self {
        Self::default()
    }

    /// Cancelled once the run must stop (given to apply: no new operation starts).
    pub fn token(&self) -> CancellationToken {
        self.token.clone()
    }

    pub fn is_stopped(&self) -> bool {
        self.token.is_cancelled()
    }

    /// Why the run stopped, once it has.
    pub fn reason(&self) -> Option<Reason> {
        self.reason.get().copied()
    }

    /// Stop the run; the first reason given is the one reported.
    pub fn trigger(&self, reason: Reason) {
        let _ = self.reason.set(reason);
        self.token.cancel();
    }

    /// Resolves once the run must stop.
    pub async fn stopped(&self) {
        self.token.cancelled().await;
    }

    /// The error ending a command that stopped while `doing` (e.g. "reading the live
    /// account"), when `changed` says whether anything was changed.
    pub fn interrupted(&self, doing: &str, changed: bool) -> Interrupted {
        let what = self.what();
        let outcome = if changed {
            "run the same command again to converge"
        } else {
            "nothing was changed"
        };
        Interrupted {
            message: format!("{what} while {doing}: {outcome}"),
        }
    }

    /// The error ending a command that stopped before it got to `stack` (stacks before it
    /// were planned or applied, and reported).
    pub fn interrupted_before(&self, stack: &str) -> Interrupted {
        Interrupted {
            message: format!(
                "{} before stack `{stack}`: it and the stacks after it were left as they are",
                self.what()
            ),
        }
    }

    fn what(&self) -> String {
        match self.reason() {
            Some(Reason::Deadline(secs)) => format!("--timeout of {secs}s reached"),
            Some(Reason::Terminate) => "terminated".to_string(),
            _ => "interrupted".to_string(),
        }
    }

    /// Listen for Ctrl-C from now on (the handler is registered before this returns, so a
    /// signal sent afterwards is never lost). Call from within the runtime.
    pub fn listen_for_ctrl_c(&self) -> std::io::Result<()> {
        let stop = self.clone();
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let mut sigint = signal(SignalKind::interrupt())?;
            tokio::spawn(async move {
                if sigint.recv().await.is_none() {
                    return;
                }
                stop.on_first_interrupt();
                if sigint.recv().await.is_some() {
                    on_second_interrupt();
                }
            });
        }
        #[cfg(not(unix))]
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                stop.on_first_interrupt();
                if tokio::signal::ctrl_c().await.is_ok() {
                    on_second_interrupt();
                }
            }
        });
        Ok(())
    }

    /// Stop the run on SIGTERM too (for `watch`, which a service manager stops that way):
    /// what is in flight finishes first. A Ctrl-C afterwards still exits at once.
    pub fn listen_for_sigterm(&self) -> std::io::Result<()> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let mut sigterm = signal(SignalKind::terminate())?;
            let stop = self.clone();
            tokio::spawn(async move {
                if sigterm.recv().await.is_some() {
                    say!("terminated: stopping; what is in flight finishes first");
                    stop.trigger(Reason::Terminate);
                }
            });
        }
        Ok(())
    }

    fn on_first_interrupt(&self) {
        say!(
            "\ninterrupted: stopping; what is in flight finishes first (Ctrl-C again to exit at once)"
        );
        self.trigger(Reason::Interrupt);
    }

    /// Stop the run `seconds` after now.
    pub fn deadline_in(&self, seconds: u64) {
        let stop = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(seconds)).await;
            if !stop.is_stopped() {
                say!("\n--timeout of {seconds}s reached: stopping");
            }
            stop.trigger(Reason::Deadline(seconds));
        });
    }
}

fn on_second_interrupt() {
    say!(
        "interrupted again: exiting now; operations in flight may or may not have happened, run again to converge"
    );
    std::process::exit(EXIT_INTERRUPTED);
}

/// A command stopped by Ctrl-C or the deadline; the process exits with 130.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Interrupted {
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_reason_is_the_one_reported() {
        let stop = Stop::new();
        assert!(!stop.is_stopped());
        stop.trigger(Reason::Deadline(5));
        stop.trigger(Reason::Interrupt);
        assert!(stop.is_stopped());
        assert_eq!(stop.reason(), Some(Reason::Deadline(5)));
        assert_eq!(
            stop.interrupted("reading the live account", false).message,
            "--timeout of 5s reached while reading the live account: nothing was changed"
        );
        let stop = Stop::new();
        stop.trigger(Reason::Interrupt);
        assert_eq!(
            stop.interrupted("applying", true).message,
            "interrupted while applying: run the same command again to converge"
        );
        assert_eq!(
            stop.interrupted_before("b").message,
            "interrupted before stack `b`: it and the stacks after it were left as they are"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_deadline_stops_the_run_when_it_is_reached() {
        let stop = Stop::new();
        stop.deadline_in(1800);
        tokio::time::sleep(Duration::from_secs(1799)).await;
        assert!(!stop.is_stopped());
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert!(stop.is_stopped());
        assert_eq!(stop.reason(), Some(Reason::Deadline(1800)));
    }
}
