//! `ivstack watch`: a reconciler in the style of a Kubernetes controller. Each stack file
//! is reconciled on its own schedule: re-read (an edit is picked up without a restart),
//! observed, planned, and with `--enforce` applied; then due again after `--interval`, or,
//! after a failure, after an exponential backoff with jitter (`backoff`). A failure never
//! ends the process; an invalid stack file is reported and skipped (never applied) until
//! it is fixed. Stopping (SIGTERM, Ctrl-C) lets in-flight AWS operations finish, then exits
//! 0.
//!
//! This module is the scheduling loop, written against [`Reconcile`] so that it runs on
//! tokio's clock (paused in tests) and counts cycles, never timing windows. `cycle` is the
//! real reconciler, `events` its JSON lines, `metrics` the Prometheus endpoint.

pub mod backoff;
pub mod cycle;
pub mod events;
pub mod metrics;

use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::time::Instant;

use crate::cli::interrupt::Stop;

/// When cycles run and when the loop ends.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// Wait between two reconciliations of a stack that succeeded.
    pub interval: Duration,
    /// One cycle over every stack file, then exit with the plan's detailed exit code.
    pub once: bool,
    /// End (exit 0) after this many cycles (tests).
    pub max_cycles: Option<u64>,
}

/// How reconciling one stack file went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Observed and planned (and with `--enforce`, applied without failure).
    Ok,
    /// The stack file is invalid: reported, skipped, never applied. Not retried early:
    /// only an edit fixes it.
    Invalid,
    /// AWS or the connection failed, or a change could not be applied: retried after a
    /// backoff.
    Failed,
    /// The run was stopped while this stack was in progress.
    Stopped,
}

/// What reconciling one stack file came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub status: Status,
    /// Changes pending when the stack was observed (drift).
    pub drift: usize,
}

/// The controller's view of the work: which stack files exist, and reconciling one.
pub trait Reconcile {
    /// The stack files to reconcile now (re-read every cycle: files come and go).
    fn files(&mut self) -> anyhow::Result<Vec<PathBuf>>;
    /// Reconcile one stack file.
    fn reconcile(&mut self, cycle: u64, file: &Path) -> impl Future<Output = Outcome>;
    /// A cycle ended: `outcomes` of the files it reconciled, `took` its duration.
    fn cycle_done(&mut self, cycle: u64, outcomes: &[(PathBuf, Outcome)], took: Duration);
    /// The stack files could not even be listed (a path vanished).
    fn files_failed(&mut self, error: &anyhow::Error);
}

#[derive(Debug, Clone, Copy)]
struct Due {
    at: Instant,
    failures: u32,
}

/// The exit code of `--once`: 1 if anything failed or is invalid, else 2 if there was
/// drift, else 0.
pub fn once_exit_code(outcomes: &[(PathBuf, Outcome)]) -> i32 {
    if outcomes
        .iter()
        .any(|(_, o)| matches!(o.status, Status::Invalid | Status::Failed))
    {
        1
    } else if outcomes.iter().any(|(_, o)| o.drift > 0) {
        2
    } else {
        0
    }
}

/// Run the controller until it is stopped (exit 0), `--once` is done (its exit code), or
/// `max_cycles` cycles have run (exit 0). `unit` draws the backoff's jitter in `[0, 1)`.
pub async fn run<R: Reconcile>(
    reconciler: &mut R,
    schedule: &Schedule,
    stop: &Stop,
    mut unit: impl FnMut() -> f64,
) -> i32 {
    let mut due: BTreeMap<PathBuf, Due> = BTreeMap::new();
    let mut listing_failures = 0u32;
    let mut cycle = 0u64;
    loop {
        if stop.is_stopped() {
            return 0;
        }
        let wake = match reconciler.files() {
            Err(e) => {
                reconciler.files_failed(&e);
                if schedule.once {
                    return 1;
                }
                listing_failures += 1;
                Instant::now() + backoff::delay(listing_failures, unit())
            }
            Ok(files) => {
                listing_failures = 0;
                due.retain(|f, _| files.contains(f));
                let now = Instant::now();
                let ready: Vec<PathBuf> = files
                    .into_iter()
                    .filter(|f| due.get(f).is_none_or(|d| d.at <= now))
                    .collect();
                if !ready.is_empty() {
                    cycle += 1;
                    let started = Instant::now();
                    let mut outcomes = Vec::with_capacity(ready.len());
                    for file in ready {
                        if stop.is_stopped() {
                            break;
                        }
                        let outcome = reconciler.reconcile(cycle, &file).await;
                        let entry = due.entry(file.clone()).or_insert(Due {
                            at: now,
                            failures: 0,
                        });
                        let done = Instant::now();
                        match outcome.status {
                            Status::Failed => {
                                entry.failures += 1;
                                entry.at = done + backoff::delay(entry.failures, unit());
                            }
                            // From the cycle's start, so that the stacks of one cycle stay
                            // together in the next.
                            Status::Ok | Status::Invalid => {
                                entry.failures = 0;
                                entry.at = started + schedule.interval;
                            }
                            Status::Stopped => {}
                        }
                        outcomes.push((file, outcome));
                    }
                    reconciler.cycle_done(cycle, &outcomes, started.elapsed());
                    if stop.is_stopped() {
                        return 0;
                    }
                    if schedule.once {
                        return once_exit_code(&outcomes);
                    }
                    if schedule.max_cycles.is_some_and(|m| cycle >= m) {
                        return 0;
                    }
                }
                due.values()
                    .map(|d| d.at)
                    .min()
                    .unwrap_or_else(|| Instant::now() + schedule.interval)
            }
        };
        tokio::select! {
            () = tokio::time::sleep_until(wake) => {}
            () = stop.stopped() => return 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    /// A scripted reconciler: each file answers its queued statuses in turn (then Ok), and
    /// every reconciliation is recorded with the (paused) clock's time.
    struct Script {
        files: Vec<PathBuf>,
        answers: BTreeMap<PathBuf, VecDeque<Outcome>>,
        start: Instant,
        log: Vec<(u64, String, u64)>,
        cycles: Vec<(u64, usize)>,
        stop_after: Option<(usize, Stop)>,
    }

    impl Script {
        fn new(files: &[&str]) -> Script {
            Script {
                files: files.iter().map(PathBuf::from).collect(),
                answers: BTreeMap::new(),
                start: Instant::now(),
                log: Vec::new(),
                cycles: Vec::new(),
                stop_after: None,
            }
        }

        fn answer(mut self, file: &str, statuses: &[(Status, usize)]) -> Script {
            self.answers.insert(
                PathBuf::from(file),
                statuses
                    .iter()
                    .map(|&(status, drift)| Outcome { status, drift })
                    .collect(),
            );
            self
        }
    }

    impl Reconcile for Script {
        fn files(&mut self) -> anyhow::Result<Vec<PathBuf>> {
            Ok(self.files.clone())
        }

        async fn reconcile(&mut self, cycle: u64, file: &Path) -> Outcome {
            let at = (Instant::now() - self.start).as_millis() as u64;
            self.log.push((cycle, file.display().to_string(), at));
            // Reconciling takes time too (paused clock: exactly this long).
            tokio::time::sleep(Duration::from_millis(100)).await;
            if let Some((n, stop)) = &self.stop_after
                && self.log.len() >= *n
            {
                stop.trigger(crate::cli::interrupt::Reason::Terminate);
            }
            self.answers
                .get_mut(file)
                .and_then(VecDeque::pop_front)
                .unwrap_or(Outcome {
                    status: Status::Ok,
                    drift: 0,
                })
        }

        fn cycle_done(&mut self, cycle: u64, outcomes: &[(PathBuf, Outcome)], _took: Duration) {
            self.cycles.push((cycle, outcomes.len()));
        }

        fn files_failed(&mut self, _error: &anyhow::Error) {}
    }

    fn schedule(interval: u64, max_cycles: u64) -> Schedule {
        Schedule {
            interval: Duration::from_secs(interval),
            once: false,
            max_cycles: Some(max_cycles),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn healthy_stacks_are_reconciled_once_per_interval() {
        let mut s = Script::new(&["a.yaml", "b.yaml"]);
        let code = run(&mut s, &schedule(300, 3), &Stop::new(), || 0.5).await;
        assert_eq!(code, 0);
        // a at 0, b after a's 100 ms; both due again 300 s after the cycle started.
        assert_eq!(
            s.log,
            [
                (1, "a.yaml".into(), 0),
                (1, "b.yaml".into(), 100),
                (2, "a.yaml".into(), 300_000),
                (2, "b.yaml".into(), 300_100),
                (3, "a.yaml".into(), 600_000),
                (3, "b.yaml".into(), 600_100),
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_failing_stack_backs_off_exponentially_without_holding_back_the_others() {
        let f = (Status::Failed, 0);
        let mut s = Script::new(&["bad.yaml", "good.yaml"]).answer("bad.yaml", &[f, f, f, f]);
        run(&mut s, &schedule(60, 7), &Stop::new(), || 0.0).await;
        let bad: Vec<u64> = s
            .log
            .iter()
            .filter(|l| l.1 == "bad.yaml")
            .map(|l| l.2)
            .collect();
        let good: Vec<u64> = s
            .log
            .iter()
            .filter(|l| l.1 == "good.yaml")
            .map(|l| l.2)
            .collect();
        // Failures at 0, 0.6, 1.7, 3.8, 7.9 s: waits 0.5, 1, 2, 4 s (no jitter drawn) after
        // each 100 ms attempt, then the interval once it succeeds.
        assert_eq!(bad, [0, 600, 1_700, 3_800, 7_900, 67_900]);
        // The healthy stack keeps its interval.
        assert_eq!(good, [100, 60_000]);
    }

    #[tokio::test(start_paused = true)]
    async fn an_invalid_file_waits_for_the_interval_and_once_reports_1() {
        let mut s = Script::new(&["x.yaml"]).answer("x.yaml", &[(Status::Invalid, 0)]);
        run(&mut s, &schedule(30, 2), &Stop::new(), || 0.0).await;
        assert_eq!(s.log.iter().map(|l| l.2).collect::<Vec<_>>(), [0, 30_000]);

        for (answers, code) in [
            (vec![(Status::Ok, 0)], 0),
            (vec![(Status::Ok, 3)], 2),
            (vec![(Status::Invalid, 0)], 1),
            (vec![(Status::Failed, 0)], 1),
        ] {
            let mut s = Script::new(&["x.yaml", "y.yaml"]).answer("x.yaml", &answers);
            let once = Schedule {
                interval: Duration::from_secs(30),
                once: true,
                max_cycles: None,
            };
            assert_eq!(run(&mut s, &once, &Stop::new(), || 0.0).await, code);
            assert_eq!(s.log.len(), 2, "one cycle over every file");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_stop_ends_the_loop_with_0_after_the_stack_in_progress() {
        let stop = Stop::new();
        let mut s = Script::new(&["a.yaml", "b.yaml", "c.yaml"]);
        s.stop_after = Some((2, stop.clone()));
        let forever = Schedule {
            interval: Duration::from_secs(300),
            once: false,
            max_cycles: None,
        };
        assert_eq!(run(&mut s, &forever, &stop, || 0.0).await, 0);
        // The second stack finished; the third was not started.
        assert_eq!(s.log.len(), 2);
        assert_eq!(s.cycles, [(1, 2)]);

        // Stopped while waiting for the next cycle.
        let stop = Stop::new();
        let mut s = Script::new(&["a.yaml"]);
        let waiter = {
            let stop = stop.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_secs(1_000)).await;
                stop.trigger(crate::cli::interrupt::Reason::Interrupt);
            })
        };
        assert_eq!(run(&mut s, &forever, &stop, || 0.0).await, 0);
        waiter.await.unwrap();
        assert_eq!(s.log.len(), 4, "cycles at 0, 300, 600, 900 s");
    }
}
