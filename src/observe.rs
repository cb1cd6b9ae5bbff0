//! Observation: everything the live account holds for one stack, in the planner's common
//! form, read with the fewest calls each kind allows (see each kind's `observe`).

use std::collections::BTreeSet;

use crate::aws::Aws;
use crate::kinds::{self, Kind, Resource, Wanted};
use crate::plan::compute::Imports;
use crate::plan::import::{MapArg, match_imports};
use crate::plan::{Action, Plan, compute};
use crate::stack::model::StackFile;

/// Why a plan is made: to show or apply it (`plan`, `apply`, `destroy`, `watch`), where a
/// resource `import` would adopt is only shown; or to adopt (`import`, with its `--map`s).
#[derive(Debug, Clone, Copy)]
pub enum Purpose<'a> {
    Converge,
    Import(&'a [MapArg]),
}

/// An import that is refused, for the whole stack, before anything is written: each
/// reason with what to do.
#[derive(Debug)]
pub struct ImportRefused {
    pub stack: String,
    pub reasons: Vec<String>,
}

impl std::fmt::Display for ImportRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "import into stack `{}` refused; nothing was changed:",
            self.stack
        )?;
        for r in &self.reasons {
            write!(f, "\n  - {r}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ImportRefused {}

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
    plan_for(aws, stack, destroy, Purpose::Converge).await
}

/// Resources `stack` declares but does not own, matched with the unowned live resources
/// of their kinds and names (`plan::import`). Discovery runs only for the kinds of those
/// resources (and of `maps`), and reads in full only the resources bearing their names
/// (all of a kind that a `--map` names by ARN). With `Purpose::Converge` a refusal only
/// leaves the resource to be created; with `Purpose::Import` it refuses the import.
async fn imports_for(
    aws: &Aws,
    stack: &StackFile,
    observed: &[Resource],
    first: &Plan,
    purpose: Purpose<'_>,
) -> anyhow::Result<(Imports, Vec<String>)> {
    let maps: &[MapArg] = match purpose {
        Purpose::Converge => &[],
        Purpose::Import(maps) => maps,
    };
    let missing: Vec<(Kind, &str)> = first
        .changes
        .iter()
        .filter(|c| c.action == Action::Create)
        .map(|c| (c.kind, c.name.as_str()))
        .collect();
    let kinds: BTreeSet<Kind> = missing
        .iter()
        .map(|(k, _)| *k)
        .chain(maps.iter().map(|m| m.kind))
        .collect();
    if kinds.is_empty() {
        return Ok((Imports::new(), Vec::new()));
    }
    let mut discovered = Vec::new();
    for kind in kinds {
        let wanted = if maps.iter().any(|m| m.kind == kind) {
            Wanted::all()
        } else {
            Wanted::names(missing.iter().filter(|(k, _)| *k == kind).map(|(_, n)| *n))
        };
        discovered.extend(kind.discover(aws, &wanted).await?);
    }
    let matched = match_imports(stack, observed, &discovered, maps);
    if matches!(purpose, Purpose::Import(_)) && !matched.refusals.is_empty() {
        return Err(ImportRefused {
            stack: stack.stack.clone(),
            reasons: matched.refusals,
        }
        .into());
    }
    Ok((matched.imports, matched.refusals))
}

/// In a plan that only shows imports: a create whose name an existing resource bears,
/// that `import` would refuse, says why (for IAM, alarm and budget names AWS would refuse
/// the create too).
fn explain_refusals(plan: &mut Plan, refusals: &[String]) {
    for c in plan
        .changes
        .iter_mut()
        .filter(|c| c.action == Action::Create)
    {
        let address = format!("{}.{}: ", c.kind.section(), c.id);
        if let Some(why) = refusals.iter().find(|r| r.starts_with(&address)) {
            c.reason = Some(format!(
                "a {} with this name already exists, but `ivstack import` would not adopt it: {}",
                c.kind.noun(),
                &why[address.len()..]
            ));
        }
    }
}

/// [`plan`], for `purpose`: resources the stack declares but does not own, that exist
/// with their kind and name and no owner, are planned as `import`s (adopted only by
/// `ivstack import`).
pub async fn plan_for(
    aws: &Aws,
    stack: &StackFile,
    destroy: bool,
    purpose: Purpose<'_>,
) -> anyhow::Result<Plan> {
    let observed = observe(aws, stack).await?;
    let adopting = matches!(purpose, Purpose::Import(_));
    let mut first = compute::plan(stack, &observed, destroy);
    let (imports, refusals) = if destroy {
        (Imports::new(), Vec::new())
    } else {
        imports_for(aws, stack, &observed, &first, purpose).await?
    };
    if !imports.is_empty() {
        first = compute::plan_imports(
            stack,
            &observed,
            destroy,
            &Default::default(),
            &imports,
            adopting,
        );
    }
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
    let in_use = if going.is_empty() {
        Default::default()
    } else {
        kinds::users_outside_all(aws, stack, &observed, &going).await?
    };
    let mut plan = if in_use.is_empty() {
        first
    } else {
        compute::plan_imports(stack, &observed, destroy, &in_use, &imports, adopting)
    };
    explain_refusals(&mut plan, &refusals);
    Ok(plan)
}
