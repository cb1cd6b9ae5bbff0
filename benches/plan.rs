//! Planner benchmark: plan 10,000 desired resources against 10,000 observed ones.
//!
//! Prints figures (no assertions): the median wall time of `plan::compute::plan` over
//! several runs, with everything in sync and with 10% of the resources drifted, and the
//! process's peak resident memory. Run with `cargo bench --bench plan`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use ivstack::kinds::{self, Kind, Known, Resource};
use ivstack::plan::compute::plan;
use ivstack::stack::model::{
    Alarm, Budget, Comparison, Metric, Policy, StackFile, Stage, Statement, Statistic,
};

const PER_KIND: usize = 2_500;

fn stack() -> StackFile {
    let mut s = StackFile {
        stack: "bench".into(),
        region: "us-east-1".into(),
        account: Some("123456789012".into()),
        tags: BTreeMap::from([("team".into(), "media".into())]),
        ..StackFile::default()
    };
    for i in 0..PER_KIND {
        let stage = format!("stage-{i:05}");
        s.stages.insert(stage.clone(), Stage::default());
        s.policies.insert(
            format!("policy-{i:05}"),
            Policy {
                description: Some("token minting".into()),
                statements: vec![Statement {
                    allow: vec!["ivs:CreateParticipantToken".into(), "ivs:GetStage".into()],
                    ids: BTreeMap::from([(Kind::Stage, vec![stage.clone()])]),
                    ..Statement::default()
                }],
                ..Policy::default()
            },
        );
        s.alarms.insert(
            format!("alarm-{i:05}"),
            Alarm {
                name: None,
                stage: Some(stage),
                metric: Metric::Publishers,
                statistic: Statistic::Maximum,
                comparison: Comparison::GreaterOrEqual,
                threshold: 11.0,
                period_seconds: Some(60),
                evaluation_periods: Some(1),
                datapoints_to_alarm: None,
                treat_missing_data: None,
                alarm_actions: vec!["arn:aws:sns:us-east-1:123456789012:ops".into()],
                ok_actions: vec![],
                insufficient_data_actions: vec![],
                description: None,
                tags: BTreeMap::new(),
                protect: false,
            },
        );
        s.budgets.insert(
            format!("budget-{i:05}"),
            Budget {
                name: None,
                limit_usd: 500.0,
                period: None,
                notify_percent: None,
                forecast_percent: vec![],
                emails: vec!["ops@example.com".into()],
                sns_topic_arn: None,
                scope: None,
                tags: BTreeMap::new(),
                protect: false,
            },
        );
    }
    s
}

/// What AWS would report right after an apply: every desired resource, with physical ids
/// and stage references resolved.
fn observed(s: &StackFile) -> Vec<Resource> {
    let mut arns = Known::new();
    for (i, id) in s.stages.keys().enumerate() {
        arns.insert(
            Kind::Stage,
            id.clone(),
            format!("arn:aws:ivs:us-east-1:123456789012:stage/S{i:011}"),
        );
    }
    kinds::desired(s, &arns)
        .into_iter()
        .enumerate()
        .map(|(i, mut r)| {
            r.physical_id = Some(match r.kind {
                Kind::Stage => arns
                    .physical_id(Kind::Stage, &r.id)
                    .unwrap_or_default()
                    .to_string(),
                _ => format!("arn:aws:{}:::{i}", r.kind),
            });
            r
        })
        .collect()
}

fn status_mib(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let s = stack();
    let live = observed(&s);
    let inputs = status_mib("VmRSS:");
    println!(
        "planner benchmark: {} desired resources vs {} observed",
        PER_KIND * 4,
        live.len()
    );

    let runs: Vec<Duration> = (0..7)
        .map(|_| {
            let t = Instant::now();
            let p = plan(&s, &live, false);
            let e = t.elapsed();
            assert!(!p.has_changes(), "in-sync plan must be empty");
            e
        })
        .collect();
    println!(
        "  in sync:        median {:>8.1} ms",
        median(runs).as_secs_f64() * 1e3
    );
    let peak = status_mib("VmHWM:");
    println!(
        "  memory:         {peak:>8.1} MiB peak RSS, of which {inputs:.1} MiB is the inputs \
         (stack + 10,000 observed) => planning adds {:.1} MiB",
        peak - inputs
    );

    // Drift on every tenth resource: a changed tag the plan must report.
    let mut drifted = live.clone();
    for r in drifted.iter_mut().step_by(10) {
        r.tags.insert("team".into(), "someone-else".into());
    }
    let runs: Vec<Duration> = (0..7)
        .map(|_| {
            let t = Instant::now();
            let p = plan(&s, &drifted, false);
            let e = t.elapsed();
            assert_eq!(p.summary().update, drifted.len().div_ceil(10));
            e
        })
        .collect();
    println!(
        "  10% drifted:    median {:>8.1} ms",
        median(runs).as_secs_f64() * 1e3
    );
}
