//! Operational checks (IVS011–IVS016): what a stack leaves unwatched or unsafe outside
//! IAM — stages nobody alarms on, alarms that tell nobody, recordings that go outside the
//! stack, budgets that miss the limit, ingest without TLS.

use super::Hit;
use super::rules;
use crate::kinds::budget::DEFAULT_NOTIFY_PERCENT;
use crate::stack::check::field_path;
use crate::stack::model::StackFile;

pub(super) fn check(out: &mut Vec<Hit>, stack: &StackFile) {
    for (id, stage) in &stack.stages {
        // A raw ARN (not `storage: <id>`): the configuration is outside the stack. An
        // empty one disables recording.
        if let Some(rec) = &stage.recording
            && let Some(arn) = rec.storage_configuration_arn.as_deref()
            && !arn.is_empty()
        {
            out.push(
                Hit::value(
                    rules::RECORDING_OUTSIDE_STACK,
                    field_path(&["stages", id, "recording", "storage_configuration_arn"]),
                    format!(
                        "stage `{id}` records to a storage configuration that this stack does not declare"
                    ),
                )
                .label("not in `storage_configurations`"),
            );
        }
    }
    for (id, ingest) in &stack.ingest_configurations {
        if ingest.insecure_ingest == Some(true) {
            out.push(
                Hit::value(
                    rules::INSECURE_INGEST,
                    field_path(&["ingest_configurations", id, "insecure_ingest"]),
                    format!(
                        "ingest configuration `{id}` accepts RTMP without TLS: its stream key travels in clear text"
                    ),
                )
                .label("insecure ingest"),
            );
        }
    }
    let watched: std::collections::HashSet<&str> = stack
        .alarms
        .values()
        .filter_map(|a| a.stage.as_deref())
        .collect();
    for id in stack.stages.keys() {
        if !watched.contains(id.as_str()) {
            out.push(
                Hit::key(
                    rules::STAGE_WITHOUT_ALARM,
                    field_path(&["stages", id]),
                    format!("stage `{id}` has no alarm"),
                )
                .label("no alarm names this stage"),
            );
        }
    }
    for (id, alarm) in &stack.alarms {
        if alarm.alarm_actions.is_empty() {
            let message = if alarm.ok_actions.is_empty()
                && alarm.insufficient_data_actions.is_empty()
            {
                format!("alarm `{id}` has no actions: nobody is told when it fires")
            } else {
                format!(
                    "alarm `{id}` has no `alarm_actions`: nobody is told when it fires, only when it recovers or lacks data"
                )
            };
            out.push(
                Hit::key(
                    rules::ALARM_WITHOUT_ACTIONS,
                    field_path(&["alarms", id]),
                    message,
                )
                .label("no alarm_actions"),
            );
        }
    }
    for (id, budget) in &stack.budgets {
        let actual = budget
            .notify_percent
            .clone()
            .unwrap_or_else(|| DEFAULT_NOTIFY_PERCENT.to_vec());
        if !actual.contains(&100.0) {
            let shown: Vec<String> = actual.iter().map(|p| format!("{p}%")).collect();
            let message = if shown.is_empty() {
                format!(
                    "budget `{id}` has no ACTUAL-spend notification, so nobody is told when spend reaches the limit"
                )
            } else {
                format!(
                    "budget `{id}` notifies at {} of ACTUAL spend but not at 100%",
                    shown.join(", ")
                )
            };
            out.push(
                Hit::key(
                    rules::BUDGET_WITHOUT_ACTUAL_100,
                    field_path(&["budgets", id, "notify_percent"]),
                    message,
                )
                .label("no 100% ACTUAL notification"),
            );
        }
        if budget.emails.is_empty() && budget.sns_topic_arn.is_none() {
            out.push(
                Hit::key(
                    rules::BUDGET_WITHOUT_SUBSCRIBERS,
                    field_path(&["budgets", id]),
                    format!("budget `{id}` tells nobody: it has no e-mail or SNS subscriber"),
                )
                .label("no subscribers"),
            );
        }
    }
}
