//! Apply: execute a plan exactly, in dependency order, with bounded concurrency.
//!
//! Order comes from references, for every kind ([`crate::plan::order`]): each step starts
//! as soon as the steps it waits for have succeeded — a write that names a resource this
//! plan creates waits for that creation (and gets its real ARN or id), a delete waits for
//! everything that referred to the resource to let go, a replace creates before it
//! deletes — and everything else starts at once. Waiting never holds a concurrency slot;
//! there is one slot pool per AWS service, so the per-operation rate limits, not the
//! ordering, set the pace. Every step is idempotent and nothing is rolled back: after a
//! failure or an interrupt the report says what was done and what was not, and running
//! again converges, because the next plan starts from what is live.

pub mod progress;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::{Semaphore, watch};
use tokio_util::sync::CancellationToken;

use crate::aws::Aws;
use crate::kinds::{
    Kind, Known, Resource, Service, TAG_ID, TAG_STACK, placeholders, resolve_placeholders,
};
use crate::plan::order::{self, Op, Step};
use crate::plan::{Action, Plan, ResourceChange};
pub use progress::Progress;

/// How to apply.
#[derive(Clone)]
pub struct ApplyOptions {
    /// At most this many AWS operations in flight per AWS service (rate limits apply on
    /// top).
    pub max_concurrency: usize,
    /// Cancelled on Ctrl-C: no new operation starts, in-flight ones finish.
    pub cancel: CancellationToken,
    pub progress: Progress,
}

/// What happened to one planned change.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", content = "detail", rename_all = "snake_case")]
pub enum Status {
    Done,
    Failed(String),
    NotAttempted(String),
}

#[derive(Debug, Clone, Serialize)]
pub struct OpReport {
    pub kind: Kind,
    pub id: String,
    pub name: String,
    pub action: Action,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub physical_id: Option<String>,
    #[serde(flatten)]
    pub status: Status,
    pub seconds: f64,
}

/// The outcome of an apply.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub operations: Vec<OpReport>,
    pub interrupted: bool,
}

impl Report {
    pub fn succeeded(&self) -> bool {
        !self.interrupted && self.operations.iter().all(|o| o.status == Status::Done)
    }

    pub fn count(&self, f: impl Fn(&Status) -> bool) -> usize {
        self.operations.iter().filter(|o| f(&o.status)).count()
    }
}

/// Execute `plan` against AWS.
pub async fn apply(aws: &Aws, plan: &Plan, opts: &ApplyOptions) -> Report {
    let steps = order::schedule_plan(plan);
    let work = plan
        .changes
        .iter()
        .filter(|c| c.action.changes_anything())
        .count();
    opts.progress.start(work);
    // One signal per step: Some(true) once it succeeded, Some(false) if it did not.
    let (senders, receivers): (Vec<_>, Vec<_>) =
        steps.iter().map(|_| watch::channel(None::<bool>)).unzip();
    let run = Arc::new(Run {
        aws: aws.clone(),
        stack: plan.stack.clone(),
        opts: opts.clone(),
        gates: Gates::new(opts.max_concurrency),
        known: Mutex::new(Known::new()),
        outcomes: Mutex::new(Outcomes::new(plan, &steps)),
        labels: steps
            .iter()
            .map(|s| {
                let c = &plan.changes[s.change];
                (c.kind, c.id.clone(), s.op)
            })
            .collect(),
    });
    let mut tasks = tokio::task::JoinSet::new();
    for (step, done) in steps.into_iter().zip(senders) {
        let waits: Vec<(usize, watch::Receiver<Option<bool>>)> = step
            .after
            .iter()
            .map(|a| (*a, receivers[*a].clone()))
            .collect();
        let change = plan.changes[step.change].clone();
        let run = run.clone();
        tasks.spawn(async move {
            let started = Instant::now();
            let status = run.step(&step, &change, waits).await;
            // Dependents wake up either way; anything but success makes them skip.
            let _ = done.send(Some(status == Status::Done));
            run.finish(step.change, &change, status, started.elapsed());
        });
    }
    while tasks.join_next().await.is_some() {}
    let mut report = run
        .outcomes
        .lock()
        .map(|o| o.report.clone())
        .unwrap_or_default();
    report.interrupted = opts.cancel.is_cancelled();
    opts.progress.finish();
    report
}

/// What every step task shares.
struct Run {
    aws: Aws,
    stack: String,
    opts: ApplyOptions,
    gates: Gates,
    /// Physical ids of what this apply created, for resolving placeholders.
    known: Mutex<Known>,
    outcomes: Mutex<Outcomes>,
    /// Per step: whose step it is and what it does, for "depends on ..." messages.
    labels: Vec<(Kind, String, Op)>,
}

/// One concurrency gate per AWS service. A match, not a lookup table, so a service
/// without a gate does not compile.
struct Gates {
    ivs: Arc<Semaphore>,
    iam: Arc<Semaphore>,
    cloudwatch: Arc<Semaphore>,
    budgets: Arc<Semaphore>,
}

impl Gates {
    fn new(max: usize) -> Gates {
        let gate = || Arc::new(Semaphore::new(max.max(1)));
        Gates {
            ivs: gate(),
            iam: gate(),
            cloudwatch: gate(),
            budgets: gate(),
        }
    }

    fn of(&self, service: Service) -> Arc<Semaphore> {
        match service {
            Service::Ivs => self.ivs.clone(),
            Service::Iam => self.iam.clone(),
            Service::CloudWatch => self.cloudwatch.clone(),
            Service::Budgets => self.budgets.clone(),
        }
    }
}

/// Per change: the statuses of its steps so far, merged into one report entry when its
/// last step ends (a replace has two).
struct Outcomes {
    pending: BTreeMap<usize, (usize, Vec<Status>, Duration)>,
    report: Report,
}

impl Outcomes {
    fn new(plan: &Plan, steps: &[Step]) -> Outcomes {
        let mut pending = BTreeMap::new();
        for s in steps {
            pending
                .entry(s.change)
                .or_insert((0, Vec::new(), Duration::ZERO))
                .0 += 1;
        }
        // Nothing to do for refused changes and no-ops; every other change has steps.
        debug_assert!(
            plan.changes
                .iter()
                .enumerate()
                .all(|(i, c)| c.action.changes_anything() == pending.contains_key(&i))
        );
        Outcomes {
            pending,
            report: Report::default(),
        }
    }
}

impl Run {
    /// Wait for what the step depends on, take a slot of its service, and do it.
    async fn step(
        &self,
        step: &Step,
        change: &ResourceChange,
        waits: Vec<(usize, watch::Receiver<Option<bool>>)>,
    ) -> Status {
        if step.cyclic {
            return Status::NotAttempted(
                "its dependencies form a cycle (a bug in ivstack: please report it); make a \
                 new plan"
                    .into(),
            );
        }
        // Wait before taking a slot, so that waiting can never starve others of slots.
        for (a, mut rx) in waits {
            let ok = tokio::select! {
                r = rx.wait_for(Option::is_some) => r.map(|v| *v == Some(true)).unwrap_or(false),
                _ = self.opts.cancel.cancelled() => false,
            };
            if !ok {
                if self.opts.cancel.is_cancelled() {
                    return Status::NotAttempted("interrupted before it started".into());
                }
                let (kind, id, op) = &self.labels[a];
                return Status::NotAttempted(format!(
                    "depends on {} `{id}`, which could not be {}",
                    kind.noun(),
                    op.past()
                ));
            }
        }
        let permit = tokio::select! {
            p = self.gates.of(change.kind.service()).acquire_owned() => p.ok(),
            _ = self.opts.cancel.cancelled() => None,
        };
        let Some(_permit) = permit else {
            return Status::NotAttempted("interrupted before it started".into());
        };
        if self.opts.cancel.is_cancelled() {
            return Status::NotAttempted("interrupted before it started".into());
        }
        match self.execute(step.op, change).await {
            Ok(Executed::Done) => Status::Done,
            Ok(Executed::Skipped(why)) => Status::NotAttempted(why),
            Err(e) => Status::Failed(format!("{e:#}")),
        }
    }

    async fn execute(&self, op: Op, change: &ResourceChange) -> anyhow::Result<Executed> {
        let incomplete = || {
            anyhow::anyhow!(
                "the plan entry for {}.{} is incomplete (action {} without the resource it \
                 needs); make a new plan",
                change.kind,
                change.id,
                change.action.as_str()
            )
        };
        let kind = change.kind;
        match op {
            Op::Create | Op::Update => {
                let Some(d) = change.desired.as_ref() else {
                    return Err(incomplete());
                };
                let d = match self.resolved(d) {
                    Ok(d) => d,
                    Err(why) => return Ok(Executed::Skipped(why)),
                };
                if op == Op::Create {
                    let pid = kind.create(&self.aws, &self.stack, &d).await?;
                    if let Ok(mut k) = self.known.lock() {
                        k.insert(kind, change.id.clone(), pid);
                    }
                } else if change.action == Action::Import {
                    // Adopt first (the ownership tags only), so that the resource is the
                    // stack's even if a field change then fails; the next plan sees it.
                    let live = change.observed.as_ref().ok_or_else(incomplete)?;
                    let ownership: BTreeMap<String, String> = d
                        .tags
                        .iter()
                        .filter(|(k, _)| [TAG_STACK, TAG_ID].contains(&k.as_str()))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect();
                    kind.adopt(&self.aws, live, &ownership).await?;
                    if !change.fields.is_empty() {
                        let after = crate::plan::compute::adopted(live, &d);
                        kind.update(&self.aws, &d, &after).await?;
                    }
                } else {
                    let live = change.observed.as_ref().ok_or_else(incomplete)?;
                    kind.update(&self.aws, &d, live).await?;
                }
            }
            Op::Delete => {
                let live = change.observed.as_ref().ok_or_else(incomplete)?;
                kind.delete(&self.aws, live).await?;
            }
        }
        Ok(Executed::Done)
    }

    /// The desired resource with every placeholder filled in from what this apply
    /// created, or why it cannot be.
    fn resolved(&self, d: &Resource) -> Result<Resource, String> {
        let mut spec = serde_json::Value::Object(d.spec.clone());
        if let Ok(known) = self.known.lock() {
            resolve_placeholders(&mut spec, &known);
        }
        let missing = placeholders(&spec);
        if !missing.is_empty() {
            let names: Vec<String> = missing
                .iter()
                .map(|r| format!("{} `{}`", r.target.noun(), r.id))
                .collect();
            return Err(format!(
                "depends on {}, which this plan does not create; make a new plan",
                names.join(", ")
            ));
        }
        let mut d = d.clone();
        if let serde_json::Value::Object(m) = spec {
            d.spec = m;
        }
        Ok(d)
    }

    /// Record a step's status; report the change once its last step has ended.
    fn finish(&self, index: usize, change: &ResourceChange, status: Status, took: Duration) {
        let Ok(mut o) = self.outcomes.lock() else {
            return;
        };
        let Some(entry) = o.pending.get_mut(&index) else {
            return;
        };
        entry.0 = entry.0.saturating_sub(1);
        entry.1.push(status);
        entry.2 += took;
        if entry.0 > 0 {
            return;
        }
        let Some((_, statuses, took)) = o.pending.remove(&index) else {
            return;
        };
        // A failure says most; then why something was not attempted; else done.
        let status = statuses
            .iter()
            .find(|s| matches!(s, Status::Failed(_)))
            .or_else(|| {
                statuses
                    .iter()
                    .find(|s| matches!(s, Status::NotAttempted(_)))
            })
            .cloned()
            .unwrap_or(Status::Done);
        let op = OpReport {
            kind: change.kind,
            id: change.id.clone(),
            name: change.name.clone(),
            action: change.action,
            physical_id: change.physical_id.clone(),
            status,
            seconds: took.as_secs_f64(),
        };
        self.opts.progress.done(&op);
        o.report.operations.push(op);
    }
}

enum Executed {
    Done,
    Skipped(String),
}

/// Counts for the closing summary of an apply.
pub fn summary(report: &Report) -> BTreeMap<&'static str, usize> {
    let mut m = BTreeMap::new();
    m.insert("done", report.count(|s| *s == Status::Done));
    m.insert("failed", report.count(|s| matches!(s, Status::Failed(_))));
    m.insert(
        "not_attempted",
        report.count(|s| matches!(s, Status::NotAttempted(_))),
    );
    m
}
