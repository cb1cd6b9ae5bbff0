//! Apply: execute a plan exactly, in dependency order, with bounded concurrency.
//!
//! Order: every create, update and replace starts as soon as what it depends on is done —
//! a policy or alarm that names a stage this plan creates waits for that stage (and gets
//! its real ARN / id), everything else starts at once — then deletes (stages last).
//! Waiting never holds a concurrency slot, so the per-operation rate limits, not the
//! ordering, set the pace. Every step is idempotent and nothing is rolled back: after a
//! failure or an interrupt the report says what was done and what was not, and running
//! again converges, because the next plan starts from what is live.

pub mod progress;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::Serialize;
use tokio::sync::{Semaphore, watch};
use tokio_util::sync::CancellationToken;

use crate::aws::Aws;
use crate::kinds::{self, Kind, Resource, StageArns, has_placeholder, resolve_placeholders};
use crate::plan::{Action, Plan, ResourceChange};
pub use progress::Progress;

/// How to apply.
#[derive(Clone)]
pub struct ApplyOptions {
    /// At most this many AWS operations in flight per resource kind, i.e. per service
    /// (rate limits apply on top).
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
    let work: Vec<&ResourceChange> = plan
        .changes
        .iter()
        .filter(|c| c.action.changes_anything())
        .collect();
    opts.progress.start(work.len());
    let report = Arc::new(Mutex::new(Report::default()));

    // Stages that already exist and stay: their ARNs are known up front.
    let arns = Arc::new(Mutex::new(StageArns::new()));
    for c in plan.changes.iter().filter(|c| c.kind == Kind::Stage) {
        if matches!(c.action, Action::NoOp | Action::Update)
            && let Some(arn) = &c.physical_id
            && let Ok(mut a) = arns.lock()
        {
            a.insert(c.id.clone(), arn.clone());
        }
    }

    let writes: Vec<&ResourceChange> = work
        .iter()
        .filter(|c| matches!(c.action, Action::Create | Action::Update | Action::Replace))
        .copied()
        .collect();
    let deletes = |stages: bool| -> Vec<&ResourceChange> {
        work.iter()
            .filter(|c| matches!(c.action, Action::Delete | Action::RemoveDuplicate))
            .filter(|c| (c.kind == Kind::Stage) == stages)
            .copied()
            .collect()
    };
    // Deletes go last, stages after what may name them.
    let phases = vec![writes, deletes(false), deletes(true)];
    for phase in phases {
        run_phase(aws, &plan.stack, phase, opts, &arns, &report).await;
    }
    let mut report = report.lock().map(|r| r.clone()).unwrap_or_default();
    report.interrupted = opts.cancel.is_cancelled();
    opts.progress.finish();
    report
}

async fn run_phase(
    aws: &Aws,
    stack: &str,
    phase: Vec<&ResourceChange>,
    opts: &ApplyOptions,
    arns: &Arc<Mutex<StageArns>>,
    report: &Arc<Mutex<Report>>,
) {
    // One gate per kind: each kind talks to its own service with its own rate limits, so
    // 200 stage creates queued behind IVS's 5 TPS must not hold the slots that alarms and
    // policies (other services) could use meanwhile.
    let gates: HashMap<Kind, Arc<Semaphore>> = Kind::ALL
        .iter()
        .map(|k| (*k, Arc::new(Semaphore::new(opts.max_concurrency.max(1)))))
        .collect();
    // One readiness signal per stage created in this phase: Some(true) once it exists,
    // Some(false) if it could not be created.
    let mut created: HashMap<String, watch::Receiver<Option<bool>>> = HashMap::new();
    let mut signals: HashMap<String, watch::Sender<Option<bool>>> = HashMap::new();
    for c in phase
        .iter()
        .filter(|c| c.kind == Kind::Stage && c.action == Action::Create)
    {
        let (tx, rx) = watch::channel(None);
        created.insert(c.id.clone(), rx);
        signals.insert(c.id.clone(), tx);
    }
    let mut tasks = tokio::task::JoinSet::new();
    for change in phase {
        let change = change.clone();
        let gate = gates[&change.kind].clone();
        let (aws, stack) = (aws.clone(), stack.to_string());
        let (arns, report, opts) = (arns.clone(), report.clone(), opts.clone());
        let waits: Vec<(String, watch::Receiver<Option<bool>>)> = change
            .desired
            .as_ref()
            .filter(|_| change.kind != Kind::Stage)
            .map(missing_stages)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|id| created.get(&id).map(|rx| (id, rx.clone())))
            .collect();
        let signal = match change.kind {
            Kind::Stage => signals.remove(&change.id),
            _ => None,
        };
        tasks.spawn(async move {
            // Wait for the stages this change names before taking a concurrency slot, so
            // waiting can never starve the stages of slots.
            let mut blocked = None;
            for (id, mut rx) in waits {
                let ok = tokio::select! {
                    r = rx.wait_for(Option::is_some) => r.map(|v| *v == Some(true)).unwrap_or(false),
                    _ = opts.cancel.cancelled() => false,
                };
                if !ok {
                    blocked = Some(id);
                    break;
                }
            }
            let permit = match &blocked {
                Some(_) => None,
                None => tokio::select! {
                    p = gate.acquire_owned() => p.ok(),
                    _ = opts.cancel.cancelled() => None,
                },
            };
            let started = Instant::now();
            let status = match permit {
                None if !opts.cancel.is_cancelled() && blocked.is_some() => {
                    Status::NotAttempted(format!(
                        "depends on stage `{}`, which could not be created",
                        blocked.unwrap_or_default()
                    ))
                }
                None => Status::NotAttempted("interrupted before it started".into()),
                Some(_permit) if opts.cancel.is_cancelled() => {
                    Status::NotAttempted("interrupted before it started".into())
                }
                Some(_permit) => {
                    let known = arns.lock().map(|a| a.clone()).unwrap_or_default();
                    match execute(&aws, &stack, &change, &known).await {
                        Ok(Executed::Done(Some(arn))) if change.kind == Kind::Stage => {
                            if let Ok(mut a) = arns.lock() {
                                a.insert(change.id.clone(), arn);
                            }
                            Status::Done
                        }
                        Ok(Executed::Done(_)) => Status::Done,
                        Ok(Executed::Skipped(why)) => Status::NotAttempted(why),
                        Err(e) => Status::Failed(format!("{e:#}")),
                    }
                }
            };
            let op = OpReport {
                kind: change.kind,
                id: change.id.clone(),
                name: change.name.clone(),
                action: change.action,
                physical_id: change.physical_id.clone(),
                status,
                seconds: started.elapsed().as_secs_f64(),
            };
            if let Some(tx) = signal {
                // Dependents wake up either way; a failure makes them skip.
                let _ = tx.send(Some(op.status == Status::Done));
            }
            opts.progress.done(&op);
            if let Ok(mut r) = report.lock() {
                r.operations.push(op);
            }
        });
    }
    while tasks.join_next().await.is_some() {}
}

enum Executed {
    /// Done; for creates, the new physical id.
    Done(Option<String>),
    Skipped(String),
}

async fn execute(
    aws: &Aws,
    stack: &str,
    change: &ResourceChange,
    arns: &StageArns,
) -> anyhow::Result<Executed> {
    let desired = change.desired.clone().map(|mut d| {
        let mut spec = serde_json::Value::Object(std::mem::take(&mut d.spec));
        resolve_placeholders(&mut spec, arns);
        if let serde_json::Value::Object(m) = spec {
            d.spec = m;
        }
        d
    });
    if let Some(d) = &desired
        && has_placeholder(&serde_json::Value::Object(d.spec.clone()))
    {
        let missing: Vec<String> = missing_stages(d);
        return Ok(Executed::Skipped(format!(
            "depends on stage(s) {} that could not be created",
            missing.join(", ")
        )));
    }
    match (change.action, &desired, &change.observed) {
        (Action::Create, Some(d), _) => Ok(Executed::Done(Some(create(aws, stack, d).await?))),
        (Action::Update, Some(d), Some(live)) => {
            update(aws, d, live).await?;
            Ok(Executed::Done(None))
        }
        (Action::Replace, Some(d), Some(live)) => {
            delete(aws, live).await?;
            Ok(Executed::Done(Some(create(aws, stack, d).await?)))
        }
        (Action::Delete | Action::RemoveDuplicate, _, Some(live)) => {
            delete(aws, live).await?;
            Ok(Executed::Done(None))
        }
        _ => anyhow::bail!(
            "the plan entry for {}.{} is incomplete (action {} without the resource it needs); \
             make a new plan",
            change.kind,
            change.id,
            change.action.as_str()
        ),
    }
}

fn missing_stages(d: &Resource) -> Vec<String> {
    let text = serde_json::to_string(&d.spec).unwrap_or_default();
    let mut out: Vec<String> = text
        .split(kinds::UNKNOWN_PREFIX)
        .skip(1)
        .filter_map(|rest| rest.split('.').next())
        .map(str::to_string)
        .collect();
    out.sort();
    out.dedup();
    out
}

async fn create(aws: &Aws, stack: &str, d: &Resource) -> anyhow::Result<String> {
    match d.kind {
        Kind::Stage => kinds::stage::create(aws, d, stack).await,
        Kind::Policy => kinds::policy::create(aws, d).await,
        Kind::Alarm => kinds::alarm::create(aws, d).await,
        Kind::Budget => kinds::budget::create(aws, d).await,
    }
}

async fn update(aws: &Aws, d: &Resource, live: &Resource) -> anyhow::Result<()> {
    match d.kind {
        Kind::Stage => kinds::stage::update(aws, d, live).await,
        Kind::Policy => kinds::policy::update(aws, d, live).await,
        Kind::Alarm => kinds::alarm::update(aws, d, live).await,
        Kind::Budget => kinds::budget::update(aws, d, live).await,
    }
}

async fn delete(aws: &Aws, live: &Resource) -> anyhow::Result<()> {
    match live.kind {
        Kind::Stage => kinds::stage::delete(aws, live).await,
        Kind::Policy => kinds::policy::delete(aws, live).await,
        Kind::Alarm => kinds::alarm::delete(aws, live).await,
        Kind::Budget => kinds::budget::delete(aws, live).await,
    }
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
