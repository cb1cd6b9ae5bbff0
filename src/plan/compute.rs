//! The planner: a pure function of (stack file, observed resources) → [`Plan`].
//!
//! No I/O happens here, so every rule is tested with plain data. The rules:
//! - observed resources are grouped by (kind, logical id) from their ownership tags; when
//!   two live resources claim one id, the one closest to the file is kept and the others
//!   are removed;
//! - a field the desired side leaves out is unmanaged and never compared;
//! - a change to a field the kind cannot update in place turns the update into a replace;
//! - an owned live resource the file no longer names is deleted, unless it is protected
//!   or something that stays still uses it in a way AWS enforces;
//! - references (for every kind) resolve to the live value of a target that exists and
//!   stays, and stay placeholders ("known after apply") for targets this plan creates or
//!   replaces; so resources are computed referenced-first;
//! - a replace that would leave referrers pointing at nothing is refused
//!   ([`order::replace_refusal`]);
//! - a delete (or the old half of a replace) that something outside the plan's view still
//!   holds on to ([`InUse`], found by observation) is refused, with who holds it;
//! - fields AWS never reports back (`ResourceKind::UNOBSERVED`) are never compared;
//! - a declared resource the stack does not own yet, matched with an unowned live one
//!   ([`Imports`], see [`super::import`]), is an `import`: compared as it will be once
//!   adopted (with the ownership tags), its ARN kept; only `ivstack import` adopts
//!   (`adopting`), `plan` and `apply` say it would.
//!
//! The order apply runs the changes in is derived from the same references
//! ([`super::order`]).

use std::collections::{BTreeMap, HashMap, VecDeque};

use serde_json::{Map, Value};

use super::order::{self, Node};
use super::{Action, FORMAT_VERSION, FieldChange, ObservedFingerprint, Plan, ResourceChange};
use crate::kinds::{self, InUse, Kind, Known, Resource, TAG_ID, TAG_STACK, has_placeholder, same};
use crate::stack::model::StackFile;

/// Plan `stack` against `observed`. With `destroy`, the desired side is empty: everything
/// the stack owns is deleted, except what is protected (or kept alive by it).
pub fn plan(stack: &StackFile, observed: &[Resource], destroy: bool) -> Plan {
    plan_with(stack, observed, destroy, &InUse::new())
}

/// [`plan`], knowing which live resources something outside the plan's view holds on to
/// (`in_use`): deleting or replacing those is refused.
pub fn plan_with(stack: &StackFile, observed: &[Resource], destroy: bool, in_use: &InUse) -> Plan {
    plan_imports(stack, observed, destroy, in_use, &Imports::new(), false)
}

/// Unowned live resources matched to declared resources, by (kind, logical id).
pub type Imports = BTreeMap<(Kind, String), Resource>;

/// What an imported resource looks like once adopted: its own tags plus the ownership
/// tags of `d`.
pub fn adopted(live: &Resource, d: &Resource) -> Resource {
    let mut a = live.clone();
    a.id = d.id.clone();
    for key in [TAG_STACK, TAG_ID] {
        if let Some(v) = d.tags.get(key) {
            a.tags.insert(key.to_string(), v.clone());
        }
    }
    a
}

/// [`plan_with`], with `imports`: each is planned as an `import` of that live resource
/// instead of a create. With `adopting` (the `import` command) it is done; otherwise the
/// change says that only `ivstack import` would do it.
pub fn plan_imports(
    stack: &StackFile,
    observed: &[Resource],
    destroy: bool,
    in_use: &InUse,
    imports: &Imports,
    adopting: bool,
) -> Plan {
    let imports = if destroy { &Imports::new() } else { imports };
    // Only what this stack owns takes part; anything else is not ours to touch.
    let mut groups: BTreeMap<(Kind, String), Vec<&Resource>> = BTreeMap::new();
    for r in observed
        .iter()
        .filter(|r| r.tags.get(TAG_STACK) == Some(&stack.stack))
    {
        groups.entry((r.kind, r.id.clone())).or_default().push(r);
    }
    for members in groups.values_mut() {
        members.sort_by(|a, b| a.physical_id.cmp(&b.physical_id));
    }

    let declared = if destroy {
        Vec::new()
    } else {
        kinds::references_of(stack)
    };
    // Who refers to what, on the desired side.
    let mut referrers: HashMap<(Kind, &str), Vec<(Kind, &str)>> = HashMap::new();
    for (kind, id, refs) in &declared {
        for r in refs {
            let list = referrers
                .entry((r.reference.target, &r.reference.id))
                .or_default();
            if !list.contains(&(*kind, *id)) {
                list.push((*kind, *id));
            }
        }
    }

    // Referenced resources first: their keepers decide the values that referrers name.
    let mut known = Known::new();
    let mut desired: Vec<Resource> = Vec::with_capacity(declared.len());
    // Each change with the live resource it acts on or keeps (for the ordering rules).
    let mut changes: Vec<(ResourceChange, Option<&Resource>)> = Vec::new();
    for i in referenced_first(&declared) {
        let (kind, id, _) = &declared[i];
        let Some(d) = kinds::desired_of(stack, *kind, id, &known) else {
            continue;
        };
        let import = imports.get(&(*kind, id.to_string()));
        match (groups.get(&(*kind, id.to_string())), import) {
            (None, Some(live)) => {
                let change = import_change(&d, live, adopting);
                if change.action == Action::Import
                    && referrers.contains_key(&(*kind, *id))
                    && let Some(pid) = &live.physical_id
                {
                    known.insert(*kind, *id, pid.clone());
                }
                changes.push((change, Some(live)));
            }
            (None, None) => changes.push((create(&d), None)),
            (Some(members), _) => {
                let keeper = choose_keeper(Some(&d), members);
                let mut change = change_of(&d, keeper);
                if change.action == Action::Replace {
                    let forced: Vec<&str> = change
                        .fields
                        .iter()
                        .filter(|f| f.forces_replacement)
                        .map(|f| f.path.as_str())
                        .collect();
                    let users = referrers
                        .get(&(*kind, *id))
                        .map(Vec::as_slice)
                        .unwrap_or_default();
                    if let Some(why) =
                        order::replace_refusal(&Node::of(&change, Some(keeper)), &forced, users)
                    {
                        change.action = Action::ReplaceRefused;
                        change.reason = Some(why);
                    } else if let Some(outside) = outside_users(in_use, keeper) {
                        // Refused here, not later: what refers to it must keep its value.
                        let noun = kind.noun();
                        change.action = Action::ReplaceRefused;
                        change.reason = Some(format!(
                            "changing {} requires replacing it, but the old {noun} cannot be \
                             deleted: {outside} (AWS refuses to delete a {noun} in use); change \
                             the field back, or make the user let go first",
                            forced.join(", ")
                        ));
                    }
                }
                // What stays is known (if anything refers to it); what is replaced gets a
                // new identity after apply.
                if change.action != Action::Replace
                    && referrers.contains_key(&(*kind, *id))
                    && let Some(pid) = &keeper.physical_id
                {
                    known.insert(*kind, *id, pid.clone());
                }
                changes.push((change, Some(keeper)));
                for extra in members
                    .iter()
                    .filter(|m| m.physical_id != keeper.physical_id)
                {
                    changes.push((remove_duplicate(extra, keeper), Some(extra)));
                }
            }
        }
        desired.push(d);
    }
    let wanted: std::collections::HashSet<(Kind, &str)> =
        declared.iter().map(|(k, id, _)| (*k, *id)).collect();
    for ((kind, id), members) in &groups {
        if wanted.contains(&(*kind, id.as_str())) {
            continue;
        }
        for m in members {
            changes.push((delete(m), Some(m)));
        }
    }
    keep_what_is_in_use(&mut changes);
    keep_what_outsiders_use(&mut changes, in_use);
    let mut changes: Vec<ResourceChange> = changes.into_iter().map(|(c, _)| c).collect();
    changes.sort_by(|a, b| (a.kind, &a.id).cmp(&(b.kind, &b.id)));

    let mut observed_fp: BTreeMap<(Kind, String), Vec<(String, String)>> = BTreeMap::new();
    for d in &desired {
        observed_fp.entry((d.kind, d.id.clone())).or_default();
    }
    // An import's candidate is what the plan acts on: when it changes, a saved plan is
    // stale.
    for ((kind, id), live) in imports {
        if groups.contains_key(&(*kind, id.clone()))
            || !observed_fp.contains_key(&(*kind, id.clone()))
        {
            continue;
        }
        observed_fp.entry((*kind, id.clone())).or_default().push((
            live.physical_id.clone().unwrap_or_default(),
            live.fingerprint(),
        ));
    }
    for ((kind, id), members) in &groups {
        let entry = observed_fp.entry((*kind, id.clone())).or_default();
        for m in members {
            entry.push((m.physical_id.clone().unwrap_or_default(), m.fingerprint()));
        }
        entry.sort();
    }

    Plan {
        format_version: FORMAT_VERSION.to_string(),
        stack: stack.stack.clone(),
        region: stack.region.clone(),
        account: stack.account.clone(),
        destroy,
        changes,
        observed: observed_fp
            .into_iter()
            .map(|((kind, id), live)| ObservedFingerprint { kind, id, live })
            .collect(),
    }
}

/// Indices of `declared` with every resource after the ones it references (Kahn's
/// algorithm, file order among equals). Resources in a reference cycle, which validation
/// rejects, come last, computed with placeholders.
fn referenced_first(declared: &[(Kind, &str, Vec<kinds::FieldRef>)]) -> Vec<usize> {
    let index: HashMap<(Kind, &str), usize> = declared
        .iter()
        .enumerate()
        .map(|(i, (k, id, _))| ((*k, *id), i))
        .collect();
    let mut waiting = vec![0usize; declared.len()];
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); declared.len()];
    for (i, (_, _, refs)) in declared.iter().enumerate() {
        let mut targets: Vec<usize> = refs
            .iter()
            .filter_map(|r| {
                index
                    .get(&(r.reference.target, r.reference.id.as_str()))
                    .copied()
            })
            .filter(|t| *t != i)
            .collect();
        targets.sort_unstable();
        targets.dedup();
        waiting[i] = targets.len();
        for t in targets {
            dependents[t].push(i);
        }
    }
    let mut ready: VecDeque<usize> = (0..declared.len()).filter(|&i| waiting[i] == 0).collect();
    let mut out = Vec::with_capacity(declared.len());
    let mut placed = vec![false; declared.len()];
    while let Some(i) = ready.pop_front() {
        out.push(i);
        placed[i] = true;
        for &d in &dependents[i] {
            waiting[d] -= 1;
            if waiting[d] == 0 {
                ready.push_back(d);
            }
        }
    }
    out.extend((0..declared.len()).filter(|&i| !placed[i]));
    out
}

/// A delete of something that a resource which stays still uses (in a way AWS enforces,
/// e.g. a storage configuration a protected stage records to) is refused: it would fail,
/// or break the user.
fn keep_what_is_in_use(changes: &mut [(ResourceChange, Option<&Resource>)]) {
    let deletes = |(c, _): &(ResourceChange, Option<&Resource>)| {
        matches!(c.action, Action::Delete | Action::RemoveDuplicate)
    };
    if !changes.iter().any(deletes) {
        return;
    }
    let nodes: Vec<Node> = changes.iter().map(|(c, live)| Node::of(c, *live)).collect();
    for (kept, user) in order::kept_alive(&nodes) {
        let (kind, id) = (changes[user].0.kind, changes[user].0.id.clone());
        let c = &mut changes[kept].0;
        c.action = Action::DeleteRefused;
        c.reason = Some(format!(
            "{}, but {} `{id}`, which stays, still uses it (AWS refuses to delete it while \
             in use); it goes once nothing uses it",
            c.reason.as_deref().unwrap_or("no longer in the stack file"),
            kind.noun()
        ));
    }
}

/// Who outside the plan's view holds on to a live resource, in words, if anyone.
fn outside_users(in_use: &InUse, live: &Resource) -> Option<String> {
    let pid = live.physical_id.as_ref()?;
    in_use
        .get(&(live.kind, pid.clone()))
        .map(|users| users.join("; "))
}

/// A delete of a live resource that something outside the plan's view uses (`in_use`) is
/// refused: AWS would refuse it, and the plan cannot make the user let go. (Replaces are
/// refused where they are planned, so that referrers keep the live value.)
fn keep_what_outsiders_use(changes: &mut [(ResourceChange, Option<&Resource>)], in_use: &InUse) {
    if in_use.is_empty() {
        return;
    }
    for (c, live) in changes.iter_mut() {
        if !matches!(c.action, Action::Delete | Action::RemoveDuplicate) {
            continue;
        }
        let Some(who) = live.and_then(|l| outside_users(in_use, l)) else {
            continue;
        };
        let noun = c.kind.noun();
        c.action = Action::DeleteRefused;
        c.reason = Some(format!(
            "{}, but {who} (AWS refuses to delete a {noun} in use); it goes once nothing \
             uses it",
            c.reason.as_deref().unwrap_or("no longer in the stack file"),
        ));
    }
}

/// Of several live resources claiming one logical id, keep the one with the fewest
/// differences from the file; ties go to the smallest physical id, so every run (and
/// every racing apply) picks the same one.
fn choose_keeper<'a>(desired: Option<&Resource>, members: &[&'a Resource]) -> &'a Resource {
    let mut best = members[0];
    if members.len() == 1 {
        return best;
    }
    if let Some(d) = desired {
        let mut best_score = diff(d, best).len();
        for m in &members[1..] {
            let score = diff(d, m).len();
            if score < best_score {
                best = m;
                best_score = score;
            }
        }
    }
    best
}

fn create(d: &Resource) -> ResourceChange {
    let mut fields = Vec::new();
    flatten(&d.spec, "", &mut fields);
    for (k, v) in &d.tags {
        fields.push(FieldChange {
            path: format!("tags.{k}"),
            before: None,
            after: Some(Value::String(v.clone())),
            forces_replacement: false,
            after_unknown: false,
        });
    }
    ResourceChange {
        kind: d.kind,
        id: d.id.clone(),
        name: d.name().to_string(),
        action: Action::Create,
        physical_id: None,
        reason: None,
        fields,
        desired: Some(d.clone()),
        observed: None,
    }
}

fn flatten(spec: &Map<String, Value>, prefix: &str, out: &mut Vec<FieldChange>) {
    for (k, v) in spec {
        let path = format!("{prefix}{k}");
        match v {
            Value::Null => {}
            Value::Object(inner) if !inner.is_empty() => flatten(inner, &format!("{path}."), out),
            _ => out.push(FieldChange {
                path,
                before: None,
                after: Some(v.clone()),
                forces_replacement: false,
                after_unknown: has_placeholder(v),
            }),
        }
    }
}

fn change_of(d: &Resource, live: &Resource) -> ResourceChange {
    let fields = diff(d, live);
    let forced: Vec<&str> = fields
        .iter()
        .filter(|f| f.forces_replacement)
        .map(|f| f.path.as_str())
        .collect();
    let (action, reason) = if fields.is_empty() {
        (Action::NoOp, None)
    } else if forced.is_empty() {
        (Action::Update, None)
    } else if live.protected() {
        (
            Action::DeleteRefused,
            Some(format!(
                "changing {} requires replacing it, which would delete a protected {}; \
                 change the field back or remove `protect` first",
                forced.join(", "),
                d.kind
            )),
        )
    } else {
        (
            Action::Replace,
            Some(format!("{} cannot change in place", forced.join(", "))),
        )
    };
    // A no-op needs no bodies: apply does nothing with it, and at 10,000 resources the two
    // clones are most of the plan's memory.
    let bodies = action != Action::NoOp;
    ResourceChange {
        kind: d.kind,
        id: d.id.clone(),
        name: d.name().to_string(),
        action,
        physical_id: live.physical_id.clone(),
        reason,
        fields,
        desired: bodies.then(|| d.clone()),
        observed: bodies.then(|| live.clone()),
    }
}

/// The import of `live` as `d`: adopted, then changed in place as the fields say. A
/// field that cannot change in place makes it a refused replace (`super::import` refuses
/// such an import before planning; this keeps the planner safe on its own).
fn import_change(d: &Resource, live: &Resource, adopting: bool) -> ResourceChange {
    let after = adopted(live, d);
    let mut change = change_of(d, &after);
    let noun = d.kind.noun();
    if matches!(change.action, Action::Replace | Action::DeleteRefused) {
        let forced: Vec<&str> = change
            .fields
            .iter()
            .filter(|f| f.forces_replacement)
            .map(|f| f.path.as_str())
            .collect();
        change.action = Action::ReplaceRefused;
        change.reason = Some(format!(
            "the existing {noun} differs in {}, which cannot change in place: importing it \
             would replace it; make the file match it, or keep it unmanaged",
            forced.join(", ")
        ));
    } else {
        change.action = Action::Import;
        change.reason = Some(if adopting {
            format!("adopts the existing {noun}: adds the ownership tags, keeps its ARN")
        } else {
            format!(
                "an existing {noun} that no stack owns has this name: would be imported by \
                 `ivstack import`; apply never adopts it"
            )
        });
    }
    change.physical_id = live.physical_id.clone();
    change.desired = Some(d.clone());
    change.observed = Some(live.clone());
    change
}

fn delete(live: &Resource) -> ResourceChange {
    let (action, reason) = if live.protected() {
        (
            Action::DeleteRefused,
            Some(
                "no longer in the stack file, but protected (tag ivstack:protect=true); \
                 remove the tag to allow deleting it"
                    .to_string(),
            ),
        )
    } else {
        (
            Action::Delete,
            Some("no longer in the stack file".to_string()),
        )
    };
    ResourceChange {
        kind: live.kind,
        id: live.id.clone(),
        name: live.name().to_string(),
        action,
        physical_id: live.physical_id.clone(),
        reason,
        fields: Vec::new(),
        desired: None,
        observed: Some(live.clone()),
    }
}

fn remove_duplicate(extra: &Resource, keeper: &Resource) -> ResourceChange {
    let kept = keeper.physical_id.clone().unwrap_or_default();
    let (action, reason) = if extra.protected() {
        (
            Action::DeleteRefused,
            Some(format!(
                "duplicate of {kept} (same logical id), but protected; remove the \
                 ivstack:protect tag from the duplicate to let it be removed"
            )),
        )
    } else {
        (
            Action::RemoveDuplicate,
            Some(format!(
                "duplicate of {kept}: two live resources claim this logical id"
            )),
        )
    };
    ResourceChange {
        kind: extra.kind,
        id: extra.id.clone(),
        name: extra.name().to_string(),
        action,
        physical_id: extra.physical_id.clone(),
        reason,
        fields: Vec::new(),
        desired: None,
        observed: Some(extra.clone()),
    }
}

/// Every difference between a desired and a live resource. Fields absent on the desired
/// side are unmanaged; tags are compared as a whole, except AWS's own `aws:` tags.
pub fn diff(desired: &Resource, live: &Resource) -> Vec<FieldChange> {
    let mut out = Vec::new();
    diff_map(&desired.spec, &live.spec, "", desired.kind, &mut out);
    let keys: std::collections::BTreeSet<&String> = desired
        .tags
        .keys()
        .chain(live.tags.keys().filter(|k| !k.starts_with("aws:")))
        .collect();
    for k in keys {
        let (before, after) = (live.tags.get(k), desired.tags.get(k));
        if before != after {
            out.push(FieldChange {
                path: format!("tags.{k}"),
                before: before.map(|v| Value::String(v.clone())),
                after: after.map(|v| Value::String(v.clone())),
                forces_replacement: false,
                after_unknown: false,
            });
        }
    }
    out
}

fn diff_map(
    desired: &Map<String, Value>,
    live: &Map<String, Value>,
    prefix: &str,
    kind: Kind,
    out: &mut Vec<FieldChange>,
) {
    for (k, dv) in desired {
        if dv.is_null() {
            continue;
        }
        let path = format!("{prefix}{k}");
        let lv = live.get(k);
        if let (Value::Object(d), Some(Value::Object(l))) = (dv, lv) {
            diff_map(d, l, &format!("{path}."), kind, out);
            continue;
        }
        if lv.is_some_and(|lv| same(dv, lv)) {
            continue;
        }
        let top = path.split('.').next().unwrap_or(&path);
        // AWS never says what it holds for these: nothing to compare against.
        if kind.unobserved_fields().contains(&top) {
            continue;
        }
        out.push(FieldChange {
            forces_replacement: kind.replace_fields().contains(&top),
            after_unknown: has_placeholder(dv),
            before: lv.cloned(),
            after: Some(dv.clone()),
            path,
        });
    }
}
