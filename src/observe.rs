//! Observation: everything the live account holds for one stack, in the planner's common
//! form, read with the fewest calls each kind allows (see each kind's `observe`).

use crate::aws::Aws;
use crate::kinds::{self, Resource};
use crate::stack::model::StackFile;

/// Observe every registered kind for `stack`, concurrently (their services have
/// independent rate limits). The desired side only narrows *how much detail* a kind reads
/// (GetStage for stages whose recording the file manages; custom alarm and budget names);
/// ownership always comes from the live tags.
pub async fn observe(aws: &Aws, stack: &StackFile) -> anyhow::Result<Vec<Resource>> {
    kinds::observe_all(aws, stack).await
}
