//! Observation: everything the live account holds for one stack, in the planner's common
//! form, read with the fewest calls each kind allows (see each kind's `observe`).

use crate::aws::Aws;
use crate::kinds::{self, Resource};
use crate::plan::{Action, Plan, compute};
use crate::stack::model::StackFile;

/// Observe every registered kind for `stack`, concurrently (their services have
/// independent rate limits). The desired side only narrows *how much detail* a kind reads
/// (GetStage for stages whose recording the file manages; custom alarm and budget names);
/// ownership always comes from the live tags.
pub async fn observe(aws: &Aws, stack: &StackFile) -> anyhow::Result<Vec<Resource>> {
    kinds::observe_all(aws, stack).await
}

/// Observe and plan. When the plan deletes or replaces something, the kinds of those
/// resources are asked whether anything the plan cannot see still uses them (a stage
/// outside the stack recording to a storage configuration,
/// `ResourceKind::users_outside`), and the plan is made again knowing it, so that such a
/// delete is refused with a reason instead of attempted. A plan that deletes nothing makes
/// no extra call.
pub async fn plan(aws: &Aws, stack: &StackFile, destroy: bool) -> anyhow::Result<Plan> {
    let observed = observe(aws, stack).await?;
    let first = compute::plan(stack, &observed, destroy);
    let going: Vec<&Resource> = first
        .changes
        .iter()
        .filter(|c| {
            matches!(
                c.action,
                Action::Delete | Action::RemoveDuplicate | Action::Replace
            )
        })
        .filter_map(|c| c.observed.as_ref())
        .collect();
    if going.is_empty() {
        return Ok(first);
    }
    let in_use = kinds::users_outside_all(aws, stack, &observed, &going).await?;
    if in_use.is_empty() {
        return Ok(first);
    }
    Ok(compute::plan_with(stack, &observed, destroy, &in_use))
}
