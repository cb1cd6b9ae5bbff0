//! Apply order, derived from references: a pure function of a plan, the same for every
//! kind.
//!
//! Each change becomes one or two [`Step`]s (a replace is a create and a delete), and a
//! step waits only for the steps it must:
//!
//! 1. A create or update waits for the creation of every resource whose value it still
//!    holds as a placeholder (`${stages.main.arn}`), and for nothing else: no phases.
//! 2. A delete (of a removed resource, a duplicate, or the old half of a replace) waits for
//!    the deletes and updates of every change whose *live* resource refers to it, so
//!    referrers let go first.
//! 3. A replace creates the new resource first, so that referrers (rule 1) move to it
//!    before the old one goes (rule 2) — unless the kind must delete first (AWS keeps the
//!    name unique); the planner refuses such a replace when anything refers to the
//!    resource ([`replace_refusal`]), because the referrers would point at nothing.
//!
//! A step whose dependency did not succeed is not attempted, so a failure stops exactly
//! its dependents. Steps caught in a cycle (impossible while kinds refer to each other in
//! one direction, which the registry keeps) are reported instead of waiting forever.

use std::collections::{BTreeMap, HashMap, VecDeque};

use super::{Action, Plan, ResourceChange};
use crate::kinds::{
    Attribute, Kind, LiveRef, Reference, ReplaceOrder, Resource, overlay, placeholders_in_spec,
};

/// What the ordering rules need to know about one planned change.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: Kind,
    pub id: String,
    pub action: Action,
    /// For a replace: create or delete first.
    pub replace: ReplaceOrder,
    /// Placeholders in the desired form: resources this change waits to see created.
    pub waits_for: Vec<Reference>,
    /// What the live resource refers to.
    pub live_refs: Vec<LiveRef>,
    /// What the resource refers to once the change is made, if it stays (an update keeps
    /// what it does not change); for a delete, what it would keep referring to if the
    /// delete were refused.
    pub refs_after: Vec<LiveRef>,
    /// How others refer to the live resource: its attribute values.
    pub live_attrs: Vec<(Attribute, String)>,
}

impl Node {
    /// The node of a change; `live` is the observed resource when the change does not
    /// carry it (no-ops drop their bodies).
    pub fn of(change: &ResourceChange, live: Option<&Resource>) -> Node {
        let live = change.observed.as_ref().or(live);
        let kind = change.kind;
        let waits_for = match (&change.desired, change.action) {
            (Some(d), Action::Create | Action::Update | Action::Replace | Action::Import) => {
                placeholders_in_spec(&d.spec)
            }
            _ => Vec::new(),
        };
        let replace = match (&change.desired, live) {
            (Some(d), Some(l)) if change.action == Action::Replace => kind.replace_order(d, l),
            _ => ReplaceOrder::CreateFirst,
        };
        let live_attrs = change
            .physical_id
            .as_deref()
            .map(|pid| {
                kind.attributes()
                    .iter()
                    .filter_map(|a| Some((*a, kind.attribute(pid, *a)?)))
                    .collect()
            })
            .unwrap_or_default();
        let live_refs = live.map(|l| kind.live_references(l)).unwrap_or_default();
        let refs_after = match (change.action, &change.desired, live) {
            (Action::Create | Action::Replace, _, _) => Vec::new(),
            (Action::Update | Action::Import, Some(d), Some(l)) => {
                // What an update leaves behind: the desired fields over the live ones.
                let merged = overlay(
                    &serde_json::Value::Object(l.spec.clone()),
                    &serde_json::Value::Object(d.spec.clone()),
                );
                let after = Resource {
                    spec: merged.as_object().cloned().unwrap_or_default(),
                    ..l.clone()
                };
                kind.live_references(&after)
            }
            _ => live_refs.clone(),
        };
        Node {
            kind,
            id: change.id.clone(),
            action: change.action,
            replace,
            waits_for,
            live_refs,
            refs_after,
            live_attrs,
        }
    }
}

/// What a step does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Create,
    Update,
    Delete,
}

impl Op {
    /// "created", "updated", "deleted": what a dependent says could not be done.
    pub fn past(self) -> &'static str {
        match self {
            Op::Create => "created",
            Op::Update => "updated",
            Op::Delete => "deleted",
        }
    }
}

/// One unit of apply work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Index of the change (in `Plan::changes`, or the nodes given to [`schedule`]).
    pub change: usize,
    pub op: Op,
    /// Steps (indices into the schedule) that must succeed before this one starts.
    pub after: Vec<usize>,
    /// Part of a dependency cycle: never started.
    pub cyclic: bool,
}

/// The steps of a plan, in plan order, with what each waits for.
pub fn schedule_plan(plan: &Plan) -> Vec<Step> {
    let nodes: Vec<Node> = plan.changes.iter().map(|c| Node::of(c, None)).collect();
    schedule(&nodes)
}

/// The steps of `nodes` (see the module docs for the rules).
pub fn schedule(nodes: &[Node]) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    let step = |change, op| Step {
        change,
        op,
        after: Vec::new(),
        cyclic: false,
    };
    // Per node: its create, update and delete step, if any.
    let mut create_of = vec![None; nodes.len()];
    let mut update_of = vec![None; nodes.len()];
    let mut delete_of = vec![None; nodes.len()];
    for (i, n) in nodes.iter().enumerate() {
        let ops: &[Op] = match n.action {
            Action::Create => &[Op::Create],
            // Adopting, then the field changes: one step.
            Action::Update | Action::Import => &[Op::Update],
            Action::Replace => &[Op::Create, Op::Delete],
            Action::Delete | Action::RemoveDuplicate => &[Op::Delete],
            Action::NoOp | Action::DeleteRefused | Action::ReplaceRefused => &[],
        };
        for op in ops {
            let slot = match op {
                Op::Create => &mut create_of[i],
                Op::Update => &mut update_of[i],
                Op::Delete => &mut delete_of[i],
            };
            *slot = Some(steps.len());
            steps.push(step(i, *op));
        }
    }

    // Rule 1: writes wait for the creations they reference.
    let creators: HashMap<(Kind, &str), usize> = nodes
        .iter()
        .enumerate()
        .filter_map(|(i, n)| Some(((n.kind, n.id.as_str()), create_of[i]?)))
        .collect();
    for (i, n) in nodes.iter().enumerate() {
        for r in &n.waits_for {
            let Some(&creator) = creators.get(&(r.target, r.id.as_str())) else {
                continue;
            };
            for own in [create_of[i], update_of[i]].into_iter().flatten() {
                if own != creator {
                    steps[own].after.push(creator);
                }
            }
        }
    }

    // Rule 2: a delete waits for its live referrers to let go.
    let mut going: HashMap<(Attribute, &str), Vec<usize>> = HashMap::new();
    for (j, n) in nodes.iter().enumerate() {
        if delete_of[j].is_some() {
            for (a, v) in &n.live_attrs {
                going.entry((*a, v.as_str())).or_default().push(j);
            }
        }
    }
    for (i, n) in nodes.iter().enumerate() {
        let lets_go: Vec<usize> = [delete_of[i], update_of[i]].into_iter().flatten().collect();
        if lets_go.is_empty() {
            continue;
        }
        for r in &n.live_refs {
            for &j in going
                .get(&(r.attribute, r.value.as_str()))
                .into_iter()
                .flatten()
            {
                if let Some(d) = delete_of[j].filter(|_| j != i) {
                    steps[d].after.extend(&lets_go);
                }
            }
        }
    }

    // Rule 3: the two halves of a replace.
    for (i, n) in nodes.iter().enumerate() {
        if let (Some(c), Some(d)) = (create_of[i], delete_of[i]) {
            match n.replace {
                ReplaceOrder::CreateFirst => steps[d].after.push(c),
                ReplaceOrder::DeleteFirst => steps[c].after.push(d),
            }
        }
    }

    for s in &mut steps {
        s.after.sort_unstable();
        s.after.dedup();
    }
    mark_cycles(&mut steps);
    steps
}

/// Kahn's algorithm: whatever never becomes ready is in (or behind) a cycle.
fn mark_cycles(steps: &mut [Step]) {
    let mut waiting: Vec<usize> = steps.iter().map(|s| s.after.len()).collect();
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); steps.len()];
    for (i, s) in steps.iter().enumerate() {
        for &a in &s.after {
            dependents[a].push(i);
        }
    }
    let mut ready: VecDeque<usize> = (0..steps.len()).filter(|&i| waiting[i] == 0).collect();
    let mut done = vec![false; steps.len()];
    while let Some(i) = ready.pop_front() {
        done[i] = true;
        for &d in &dependents[i] {
            waiting[d] -= 1;
            if waiting[d] == 0 {
                ready.push_back(d);
            }
        }
    }
    for (s, done) in steps.iter_mut().zip(done) {
        s.cyclic = !done;
    }
}

/// Why a replace must be refused, if it must: the kind deletes before it creates (its
/// name is unique in AWS) and `referrers` (kind, id) still refer to it, so they would point
/// at nothing, or AWS would refuse the delete while they use it.
pub fn replace_refusal(node: &Node, forced: &[&str], referrers: &[(Kind, &str)]) -> Option<String> {
    if node.replace != ReplaceOrder::DeleteFirst || referrers.is_empty() {
        return None;
    }
    let who: Vec<String> = referrers
        .iter()
        .map(|(k, id)| format!("{} `{id}`", k.noun()))
        .collect();
    Some(format!(
        "changing {} requires replacing it, and {} refer{} to it: AWS keeps {} names unique, \
         so the new one cannot be created before this one is deleted, and the referrers \
         would be left pointing at nothing; change the field back, or make the referrers \
         stop referring to it first",
        forced.join(", "),
        who.join(", "),
        if who.len() == 1 { "s" } else { "" },
        node.kind.noun()
    ))
}

/// Deletes that must not happen because a resource that stays still uses the resource in
/// a way AWS enforces (a [`LiveRef`] that `keeps_alive`, read from what the user refers to
/// once its own change is made): (node to keep, node that uses it). A kept resource stays
/// too, so what it uses is kept in turn.
pub fn kept_alive(nodes: &[Node]) -> BTreeMap<usize, usize> {
    let stays = |a: Action| {
        matches!(
            a,
            Action::NoOp
                | Action::Update
                | Action::Import
                | Action::DeleteRefused
                | Action::ReplaceRefused
        )
    };
    // What is about to go, by the values others refer to it with.
    let mut going: HashMap<(Attribute, &str), Vec<usize>> = HashMap::new();
    for (j, n) in nodes.iter().enumerate() {
        if matches!(n.action, Action::Delete | Action::RemoveDuplicate) {
            for (a, v) in &n.live_attrs {
                going.entry((*a, v.as_str())).or_default().push(j);
            }
        }
    }
    let mut kept: BTreeMap<usize, usize> = BTreeMap::new();
    if going.is_empty() {
        return kept;
    }
    // Users that stay keep their targets; a kept target is a user that stays in turn.
    let mut users: Vec<usize> = (0..nodes.len())
        .filter(|i| stays(nodes[*i].action))
        .collect();
    while !users.is_empty() {
        let mut next = Vec::new();
        for i in users {
            for r in nodes[i].refs_after.iter().filter(|r| r.keeps_alive) {
                for &j in going
                    .get(&(r.attribute, r.value.as_str()))
                    .into_iter()
                    .flatten()
                {
                    if j != i && !kept.contains_key(&j) {
                        kept.insert(j, i);
                        next.push(j);
                    }
                }
            }
        }
        users = next;
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(kind: Kind, id: &str, action: Action) -> Node {
        Node {
            kind,
            id: id.into(),
            action,
            replace: ReplaceOrder::CreateFirst,
            waits_for: Vec::new(),
            live_refs: Vec::new(),
            refs_after: Vec::new(),
            live_attrs: Vec::new(),
        }
    }

    fn arn(id: &str) -> String {
        format!("arn:aws:ivs:us-west-2:123456789012:stage/{id}")
    }

    fn live_stage(mut n: Node, sid: &str) -> Node {
        n.live_attrs = vec![(Attribute::Arn, arn(sid)), (Attribute::Id, sid.into())];
        n
    }

    /// `n`'s live resource refers to `value`, and keeps referring to it if it stays.
    fn refers(mut n: Node, attribute: Attribute, value: &str, keeps_alive: bool) -> Node {
        let r = LiveRef {
            attribute,
            value: value.into(),
            keeps_alive,
        };
        n.live_refs.push(r.clone());
        n.refs_after.push(r);
        n
    }

    fn waits(mut n: Node, kind: Kind, id: &str) -> Node {
        n.waits_for.push(Reference::new(kind, id, Attribute::Arn));
        n
    }

    /// A step by its change and what it does.
    type At = (usize, Op);

    /// (change, op) → the (change, op) pairs it waits for.
    fn edges(steps: &[Step]) -> Vec<(At, Vec<At>)> {
        steps
            .iter()
            .map(|s| {
                (
                    (s.change, s.op),
                    s.after
                        .iter()
                        .map(|a| (steps[*a].change, steps[*a].op))
                        .collect(),
                )
            })
            .collect()
    }

    #[test]
    fn writes_wait_only_for_the_creations_they_reference() {
        let nodes = vec![
            node(Kind::Stage, "main", Action::Create),
            node(Kind::Stage, "side", Action::Update),
            waits(node(Kind::Policy, "p", Action::Create), Kind::Stage, "main"),
            // Holds a placeholder for a stage this plan does not create: nothing to wait for.
            waits(node(Kind::Alarm, "a", Action::Update), Kind::Stage, "ghost"),
            node(Kind::Budget, "b", Action::Create),
        ];
        let steps = schedule(&nodes);
        assert_eq!(
            edges(&steps),
            vec![
                ((0, Op::Create), vec![]),
                ((1, Op::Update), vec![]),
                ((2, Op::Create), vec![(0, Op::Create)]),
                ((3, Op::Update), vec![]),
                ((4, Op::Create), vec![]),
            ]
        );
        assert!(steps.iter().all(|s| !s.cyclic));
    }

    #[test]
    fn deletes_wait_for_their_live_referrers_to_let_go() {
        let nodes = vec![
            live_stage(node(Kind::Stage, "old", Action::Delete), "S1"),
            refers(
                node(Kind::Policy, "p", Action::Update),
                Attribute::Arn,
                &arn("S1"),
                false,
            ),
            refers(
                node(Kind::Alarm, "a", Action::Delete),
                Attribute::Id,
                "S1",
                false,
            ),
            // Refers to another stage: unrelated.
            refers(
                node(Kind::Alarm, "b", Action::Delete),
                Attribute::Id,
                "S2",
                false,
            ),
            // Stays as it is: nothing to wait for (and no `keeps_alive`).
            refers(
                node(Kind::Alarm, "c", Action::NoOp),
                Attribute::Id,
                "S1",
                false,
            ),
        ];
        assert_eq!(
            edges(&schedule(&nodes)),
            vec![
                ((0, Op::Delete), vec![(1, Op::Update), (2, Op::Delete)]),
                ((1, Op::Update), vec![]),
                ((2, Op::Delete), vec![]),
                ((3, Op::Delete), vec![]),
            ]
        );
        assert!(kept_alive(&nodes).is_empty(), "no reference keeps it alive");
    }

    #[test]
    fn a_replace_creates_first_so_referrers_move_before_the_old_one_goes() {
        // A storage-configuration-like target: replaced; a stage moves to the new one.
        let mut target = live_stage(node(Kind::Stage, "rec", Action::Replace), "OLD");
        target.replace = ReplaceOrder::CreateFirst;
        let user = refers(
            waits(
                node(Kind::Alarm, "user", Action::Update),
                Kind::Stage,
                "rec",
            ),
            Attribute::Arn,
            &arn("OLD"),
            true,
        );
        let steps = schedule(&[target, user]);
        assert_eq!(
            edges(&steps),
            vec![
                ((0, Op::Create), vec![]),
                ((0, Op::Delete), vec![(0, Op::Create), (1, Op::Update)]),
                ((1, Op::Update), vec![(0, Op::Create)]),
            ]
        );
    }

    #[test]
    fn a_delete_first_replace_deletes_then_creates() {
        let mut n = node(Kind::Policy, "p", Action::Replace);
        n.replace = ReplaceOrder::DeleteFirst;
        assert_eq!(
            edges(&schedule(&[n.clone()])),
            vec![
                ((0, Op::Create), vec![(0, Op::Delete)]),
                ((0, Op::Delete), vec![])
            ]
        );
        assert_eq!(replace_refusal(&n, &["description"], &[]), None);
        let why = replace_refusal(&n, &["description"], &[(Kind::Alarm, "a")]).unwrap();
        assert!(
            why.contains("changing description requires replacing it"),
            "{why}"
        );
        assert!(why.contains("alarm `a` refers to it"), "{why}");
        n.replace = ReplaceOrder::CreateFirst;
        assert_eq!(replace_refusal(&n, &["x"], &[(Kind::Alarm, "a")]), None);
    }

    #[test]
    fn a_resource_in_use_by_one_that_stays_is_kept_alive_transitively() {
        let nodes = vec![
            live_stage(node(Kind::Stage, "sc", Action::Delete), "SC"),
            // Protected and removed from the file: stays, and uses `sc`.
            live_stage(
                refers(
                    node(Kind::Stage, "mid", Action::Delete),
                    Attribute::Arn,
                    &arn("SC"),
                    true,
                ),
                "MID",
            ),
            refers(
                node(Kind::Alarm, "keeper", Action::DeleteRefused),
                Attribute::Arn,
                &arn("MID"),
                true,
            ),
            // Uses `sc` but goes too: no reason to keep it.
            refers(
                node(Kind::Alarm, "gone", Action::Delete),
                Attribute::Arn,
                &arn("SC"),
                true,
            ),
            live_stage(node(Kind::Stage, "sc2", Action::Delete), "SC2"),
            // Used `sc2`, but its update moves it away.
            {
                let mut n = refers(
                    node(Kind::Stage, "moves", Action::Update),
                    Attribute::Arn,
                    &arn("SC2"),
                    true,
                );
                n.refs_after.clear();
                n
            },
        ];
        let kept = kept_alive(&nodes);
        assert_eq!(kept, BTreeMap::from([(0, 1), (1, 2)]));
        // The update that moves away goes before the delete.
        let steps = schedule(&nodes);
        let sc2 = steps.iter().find(|s| s.change == 4).unwrap();
        assert_eq!(
            sc2.after
                .iter()
                .map(|a| steps[*a].change)
                .collect::<Vec<_>>(),
            [5]
        );
    }

    #[test]
    fn cycles_are_marked_instead_of_waited_for() {
        let nodes = vec![
            refers(
                live_stage(node(Kind::Stage, "a", Action::Delete), "A"),
                Attribute::Id,
                "B",
                false,
            ),
            refers(
                live_stage(node(Kind::Stage, "b", Action::Delete), "B"),
                Attribute::Id,
                "A",
                false,
            ),
            node(Kind::Budget, "free", Action::Create),
        ];
        let steps = schedule(&nodes);
        assert_eq!(
            steps.iter().map(|s| s.cyclic).collect::<Vec<_>>(),
            [true, true, false]
        );
    }
}
