//! Observation: everything the live account holds for one stack, in the planner's common
//! form, read with the fewest calls each kind allows (see each kind's `observe`).

use std::collections::BTreeSet;

use crate::aws::Aws;
use crate::kinds::{self, Resource, default_name};
use crate::stack::model::StackFile;

/// Observe every kind for `stack`. The desired side only narrows *how much detail* is read
/// (GetStage for stages whose recording the file manages; custom alarm and budget names);
/// ownership always comes from the live tags.
pub async fn observe(aws: &Aws, stack: &StackFile) -> anyhow::Result<Vec<Resource>> {
    let detail: BTreeSet<String> = stack
        .stages
        .iter()
        .filter(|(_, s)| s.recording.is_some())
        .map(|(id, _)| id.clone())
        .collect();
    let alarm_names: Vec<String> = stack
        .alarms
        .iter()
        .map(|(id, a)| a.name.clone().unwrap_or_else(|| default_name(stack, id)))
        .collect();
    let budget_names: Vec<String> = stack
        .budgets
        .iter()
        .map(|(id, b)| b.name.clone().unwrap_or_else(|| default_name(stack, id)))
        .collect();
    let name = stack.stack.as_str();
    // The four services have independent rate limits: read them concurrently.
    let (stages, policies, alarms, budgets) = tokio::try_join!(
        kinds::stage::observe(aws, name, &detail),
        kinds::policy::observe(aws, name),
        kinds::alarm::observe(aws, name, &alarm_names),
        kinds::budget::observe(aws, name, &budget_names),
    )?;
    let mut all = stages;
    all.extend(policies);
    all.extend(alarms);
    all.extend(budgets);
    Ok(all)
}
