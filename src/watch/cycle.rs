//! The real reconciler of `ivstack watch`: for one stack file, load and validate it,
//! connect (the account guard included), observe, plan, and with `--enforce` apply the
//! plan. Protected resources are never deleted (the planner refuses those deletes, and
//! apply only executes the plan); an invalid file is reported and never applied. Every
//! change becomes a JSON line, every cycle one more, and the metrics follow.
//!
//! Enforcing takes the stack's lock (`--lock`, the stack file's `lock:`, or `--local`'s
//! default) exactly as `apply` does, and plans again under it: a person's `apply` that held
//! the lock may have changed the stack since this cycle observed it.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::events::{Events, now_unix};
use super::metrics::Metrics;
use super::{Outcome, Reconcile, Status};
use crate::apply::{self, ApplyOptions, Progress};
use crate::cli::interrupt::{Interrupted, Stop};
use crate::cli::lock::{LockArgs, StackLock, settle};
use crate::cli::redact::redact;
use crate::cli::session::{GlobalArgs, Session};
use crate::kinds::Kind;
use crate::plan::{self, Action, Plan};
use crate::stack::model::StackFile;

/// What `watch` was asked to do.
pub struct Reconciler {
    pub global: GlobalArgs,
    pub paths: Vec<PathBuf>,
    pub enforce: bool,
    /// Where `--enforce` locks each stack while it applies.
    pub lock: LockArgs,
    pub stop: Stop,
    pub events: Events,
    pub metrics: Arc<Metrics>,
    /// Per-stack summaries of the cycle in progress, for its closing line.
    summaries: Vec<Value>,
}

impl Reconciler {
    pub fn new(
        global: GlobalArgs,
        paths: Vec<PathBuf>,
        enforce: bool,
        lock: LockArgs,
        stop: Stop,
        events: Events,
        metrics: Arc<Metrics>,
    ) -> Reconciler {
        Reconciler {
            global,
            paths,
            enforce,
            lock,
            stop,
            events,
            metrics,
            summaries: Vec::new(),
        }
    }
}

/// The summary of one stack in a cycle line, built up as the stack is reconciled.
struct StackReport {
    file: String,
    stack: Option<String>,
    status: Status,
    drift: usize,
    actions: plan::Summary,
    applied: usize,
    failed: usize,
    api_calls: u64,
    throttles: u64,
    errors: Vec<String>,
    started: Instant,
}

impl StackReport {
    fn new(file: &Path) -> StackReport {
        StackReport {
            file: file.display().to_string(),
            stack: None,
            status: Status::Ok,
            drift: 0,
            actions: plan::Summary::default(),
            applied: 0,
            failed: 0,
            api_calls: 0,
            throttles: 0,
            errors: Vec::new(),
            started: Instant::now(),
        }
    }

    fn fail(&mut self, status: Status, error: String) {
        self.status = status;
        self.errors.push(redact(&error).into_owned());
    }

    fn to_json(&self) -> Value {
        json!({
            "file": self.file,
            "stack": self.stack,
            "status": status_str(self.status),
            "drift": self.drift,
            "actions": self.actions,
            "applied": self.applied,
            "failed": self.failed,
            "api_calls": self.api_calls,
            "throttles": self.throttles,
            "errors": self.errors,
            "duration_seconds": round_ms(self.started.elapsed()),
        })
    }
}

fn status_str(s: Status) -> &'static str {
    match s {
        Status::Ok => "ok",
        Status::Invalid => "invalid",
        Status::Failed => "failed",
        Status::Stopped => "stopped",
    }
}

fn round_ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0).round() / 1000.0
}

impl Reconcile for Reconciler {
    fn files(&mut self) -> anyhow::Result<Vec<PathBuf>> {
        let paths = if self.paths.is_empty() {
            vec![PathBuf::from("stacks")]
        } else {
            self.paths.clone()
        };
        crate::cli::validate::stack_files(&paths)
    }

    async fn reconcile(&mut self, cycle: u64, file: &Path) -> Outcome {
        let mut report = StackReport::new(file);
        self.reconcile_into(cycle, file, &mut report).await;
        let outcome = Outcome {
            status: report.status,
            drift: report.drift,
        };
        let stack = report.stack.clone().unwrap_or_else(|| report.file.clone());
        match report.status {
            Status::Ok => self.metrics.stack_succeeded(&stack, now_unix()),
            Status::Invalid | Status::Failed => self.metrics.stack_failed(&stack),
            Status::Stopped => {}
        }
        self.summaries.push(report.to_json());
        outcome
    }

    fn cycle_done(&mut self, cycle: u64, outcomes: &[(PathBuf, Outcome)], took: Duration) {
        let stacks = std::mem::take(&mut self.summaries);
        let sum = |key: &str| -> u64 { stacks.iter().filter_map(|s| s[key].as_u64()).sum() };
        let errors = stacks
            .iter()
            .filter_map(|s| s["errors"].as_array())
            .map(Vec::len)
            .sum::<usize>();
        let ok = outcomes
            .iter()
            .all(|(_, o)| matches!(o.status, Status::Ok | Status::Stopped));
        self.metrics.cycle(took.as_secs_f64(), ok, now_unix());
        self.events.emit(
            "cycle",
            json!({
                "cycle": cycle,
                "mode": if self.enforce { "enforce" } else { "report" },
                "drift": sum("drift"),
                "applied": sum("applied"),
                "failed": sum("failed"),
                "api_calls": sum("api_calls"),
                "throttles": sum("throttles"),
                "errors": errors,
                "duration_seconds": round_ms(took),
                "stacks": stacks,
            }),
        );
    }

    fn files_failed(&mut self, error: &anyhow::Error) {
        self.events.emit(
            "error",
            json!({"error": redact(&format!("{error:#}")), "retry": "with backoff"}),
        );
    }
}

impl Reconciler {
    async fn reconcile_into(&self, cycle: u64, file: &Path, report: &mut StackReport) {
        // 1. The file, re-read every cycle; an invalid one is never applied.
        let loaded = crate::stack::load::read_file(file)
            .and_then(|bytes| crate::stack::load_bytes(&file.display().to_string(), &bytes));
        let stack = match loaded {
            Ok(l) => l.model,
            Err(diags) => {
                let first: Vec<String> = diags
                    .items()
                    .iter()
                    .filter(|d| d.is_error())
                    .take(5)
                    .map(|d| {
                        let at = d
                            .span
                            .map(|s| format!("{}:{}:{}: ", d.file, s.line, s.col))
                            .unwrap_or_else(|| format!("{}: ", d.file));
                        match &d.path {
                            Some(p) if !p.is_empty() => format!("{at}{p}: {}", d.message),
                            _ => format!("{at}{}", d.message),
                        }
                    })
                    .collect();
                report.fail(
                    Status::Invalid,
                    format!(
                        "invalid stack file ({}): {}; skipped until it is fixed",
                        diags.summary(),
                        first.join("; ")
                    ),
                );
                return;
            }
        };
        report.stack = Some(stack.stack.clone());
        if self.stop.is_stopped() {
            report.status = Status::Stopped;
            return;
        }
        // 2. Connect (account guard included), observe and plan.
        let session = match Session::open(&self.global, &stack, &self.stop).await {
            Ok(s) => s,
            Err(e) => {
                self.failed(report, &e);
                return;
            }
        };
        // The plan as `plan` makes it: a resource the file declares that exists without an
        // owner shows as a pending import, which enforcing never adopts (see `enforce`).
        let planned = tokio::select! {
            p = crate::observe::plan(&session.aws, &stack, false) => p,
            () = self.stop.stopped() => {
                // Reading only: nothing to finish.
                report.status = Status::Stopped;
                self.close(session, report).await;
                return;
            }
        };
        let plan = match planned {
            Ok(p) => p,
            Err(e) => {
                self.failed(report, &e);
                self.close(session, report).await;
                return;
            }
        };
        report.actions = plan.summary();
        report.drift = plan
            .changes
            .iter()
            .filter(|c| c.action.changes_anything())
            .count();
        // 3. Report, or enforce.
        if self.enforce && plan.has_changes() {
            self.enforce(cycle, &stack, &session, &plan, report).await;
        } else {
            for c in plan.changes.iter().filter(|c| c.action != Action::NoOp) {
                let status = if c.action.changes_anything() {
                    "drift"
                } else {
                    "refused"
                };
                self.change_line(cycle, &stack.stack, c, status, None);
            }
            self.set_drift(&stack.stack, &plan, &[]);
        }
        self.close(session, report).await;
    }

    /// Apply the plan. In-flight operations finish on a stop; nothing new starts.
    async fn enforce(
        &self,
        cycle: u64,
        stack: &StackFile,
        session: &Session,
        plan: &Plan,
        report: &mut StackReport,
    ) {
        // Like `apply`, never adopt: that is `ivstack import`'s, after a person's review.
        if let Err(e) = crate::cli::run::refuse_imports(plan) {
            return self.not_enforced(report, stack, plan, &e);
        }
        let lock =
            match StackLock::acquire(session, &self.lock, stack, "watch --enforce", &self.stop)
                .await
            {
                Ok(lock) => lock,
                // Held by someone else past --lock-timeout (or stopped while waiting):
                // nothing was applied; the next cycle tries again.
                Err(e) => return self.not_enforced(report, stack, plan, &e),
            };
        let outcome = async {
            if lock.is_held() {
                // Plan again under the lock: what the holder before us did is now visible.
                let fresh = crate::observe::plan(&session.aws, stack, false).await?;
                crate::cli::run::refuse_imports(&fresh)?;
                report.actions = fresh.summary();
                self.apply_plan(cycle, stack, session, &fresh, report).await;
            } else {
                self.apply_plan(cycle, stack, session, plan, report).await;
            }
            anyhow::Ok(())
        }
        .await;
        if let Err(e) = settle(outcome, lock.release().await) {
            self.not_enforced(report, stack, plan, &e);
        }
    }

    /// Enforcing stopped at `e` before (or instead of) applying: the cycle fails for this
    /// stack and every change of `plan` still counts as drift.
    fn not_enforced(
        &self,
        report: &mut StackReport,
        stack: &StackFile,
        plan: &Plan,
        e: &anyhow::Error,
    ) {
        self.failed(report, e);
        self.set_drift(&stack.stack, plan, &not_applied(plan));
    }

    /// Apply `plan` (made under the lock, if there is one) and report each change.
    async fn apply_plan(
        &self,
        cycle: u64,
        stack: &StackFile,
        session: &Session,
        plan: &Plan,
        report: &mut StackReport,
    ) {
        let opts = ApplyOptions {
            max_concurrency: self.global.max_concurrency,
            cancel: session.cancel.clone(),
            progress: Progress::quiet(),
        };
        let result = apply::apply(&session.aws, plan, &opts).await;
        let mut left = Vec::new();
        for c in plan.changes.iter().filter(|c| c.action != Action::NoOp) {
            let op = result
                .operations
                .iter()
                .find(|o| o.kind == c.kind && o.id == c.id && o.action == c.action);
            let (status, error) = match op.map(|o| &o.status) {
                Some(apply::Status::Done) => ("applied", None),
                Some(apply::Status::Failed(e)) => ("failed", Some(e.clone())),
                Some(apply::Status::NotAttempted(why)) => ("not_attempted", Some(why.clone())),
                None => ("refused", None),
            };
            match status {
                "applied" => report.applied += 1,
                "failed" | "not_attempted" => {
                    report.failed += 1;
                    left.push((c.kind, c.id.clone()));
                    if let Some(e) = &error {
                        report
                            .errors
                            .push(redact(&format!("{}.{}: {e}", c.kind, c.id)).into_owned());
                    }
                }
                _ => {}
            }
            self.change_line(cycle, &stack.stack, c, status, error.as_deref());
        }
        if result.interrupted && report.failed > 0 {
            report.status = Status::Stopped;
        } else if report.failed > 0 {
            report.status = Status::Failed;
        }
        self.set_drift(&stack.stack, plan, &left);
    }

    /// Drift per kind after this cycle: without `--enforce` (`left` empty and not
    /// enforcing) every change; enforcing, only what was not applied.
    fn set_drift(&self, stack: &str, plan: &Plan, left: &[(Kind, String)]) {
        let per_kind: Vec<(&str, usize)> = Kind::ALL
            .iter()
            .map(|k| {
                let n = plan
                    .changes
                    .iter()
                    .filter(|c| c.kind == *k && c.action.changes_anything())
                    .filter(|c| {
                        !self.enforce || left.iter().any(|(lk, id)| *lk == c.kind && *id == c.id)
                    })
                    .count();
                (k.as_str(), n)
            })
            .collect();
        self.metrics.set_drift(stack, &per_kind);
    }

    fn change_line(
        &self,
        cycle: u64,
        stack: &str,
        c: &plan::ResourceChange,
        status: &str,
        error: Option<&str>,
    ) {
        self.metrics
            .change(stack, c.kind.as_str(), c.action.as_str(), status);
        let mut line = json!({
            "cycle": cycle,
            "stack": stack,
            "kind": c.kind,
            "id": c.id,
            "name": c.name,
            "action": c.action,
            "physical_id": c.physical_id,
            "fields": c.fields.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(),
            "status": status,
        });
        if let Some(reason) = &c.reason {
            line["reason"] = json!(reason);
        }
        if let Some(e) = error {
            line["error"] = json!(redact(e));
        }
        self.events.emit("change", line);
    }

    fn failed(&self, report: &mut StackReport, e: &anyhow::Error) {
        if e.is::<Interrupted>() {
            report.status = Status::Stopped;
        } else {
            report.fail(Status::Failed, format!("{e:#}"));
        }
    }

    /// Count the session's AWS traffic, then close it.
    async fn close(&self, session: Session, report: &mut StackReport) {
        let traffic = session.aws.stats.snapshot();
        let totals = session.aws.stats.totals();
        report.api_calls = totals.attempts;
        report.throttles = totals.throttled;
        self.metrics.traffic(&traffic);
        if let Err(e) = session.close().await {
            report.fail(Status::Failed, format!("{e:#}"));
        }
    }
}

/// Every change of `plan`: what is left when nothing could be applied.
fn not_applied(plan: &Plan) -> Vec<(Kind, String)> {
    plan.changes
        .iter()
        .filter(|c| c.action.changes_anything())
        .map(|c| (c.kind, c.id.clone()))
        .collect()
}
