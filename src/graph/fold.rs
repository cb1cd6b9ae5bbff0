//! Keeping pictures small: what no change touches is folded, and repeated shapes are
//! drawn once with a count.
//!
//! - **Unchanged parts** (graphs that carry a plan): a connected part of a stack (through
//!   references, the stack node aside) where every resource is a no-op becomes one node
//!   per stack, "unchanged: 12 stages, 12 alarms".
//! - **Repeated shapes** (any graph): resources that refer to one resource and to nothing
//!   else, and are referred to by nothing, are its *satellites* (an alarm on a stage).
//!   Resources of one kind with the same action, the same satellites (kinds, actions,
//!   labels) and the same other edges (to the same nodes, with the same labels) have the
//!   same shape; [`REPEAT_MIN`] or more of one shape become one node, "40 stages, each
//!   with an alarm", with their shared edges once.
//!
//! Both are pure functions of the [`Graph`]; the renderers only draw what is left.

use std::collections::BTreeMap;

use super::{Edge, Graph, Node, Planned, What};
use crate::kinds::Kind;

/// How many resources of one shape are drawn as one node.
pub const REPEAT_MIN: usize = 5;

/// Fold the unchanged parts (when the graph carries a plan), then group repeated shapes.
pub fn fold(g: Graph) -> Graph {
    let g = if g.planned { fold_unchanged(g) } else { g };
    group_repeated(g)
}

/// Union-find root.
fn root(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

fn is_resource(n: &Node) -> bool {
    matches!(n.what, What::Resource { .. })
}

/// One "unchanged" node per stack for the connected parts without a change.
pub fn fold_unchanged(g: Graph) -> Graph {
    let mut parent: Vec<usize> = (0..g.nodes.len()).collect();
    for e in &g.edges {
        if is_resource(&g.nodes[e.from]) && is_resource(&g.nodes[e.to]) {
            let (a, b) = (root(&mut parent, e.from), root(&mut parent, e.to));
            parent[a] = b;
        }
    }
    let mut touched = vec![false; g.nodes.len()];
    for (i, n) in g.nodes.iter().enumerate() {
        if is_resource(n) && n.action.is_some_and(Planned::touches) {
            let r = root(&mut parent, i);
            touched[r] = true;
        }
    }
    let folded: Vec<bool> = (0..g.nodes.len())
        .map(|i| is_resource(&g.nodes[i]) && !touched[root(&mut parent, i)])
        .collect();
    if !folded.iter().any(|f| *f) {
        return g;
    }
    let mut counts: BTreeMap<usize, BTreeMap<Kind, usize>> = BTreeMap::new();
    for (i, n) in g.nodes.iter().enumerate() {
        if let (true, What::Resource { kind, .. }) = (folded[i], &n.what) {
            *counts.entry(n.group).or_default().entry(*kind).or_default() += 1;
        }
    }
    let mut out = Graph {
        groups: g.groups.clone(),
        planned: g.planned,
        ..Graph::default()
    };
    let mut map = vec![None; g.nodes.len()];
    for (i, n) in g.nodes.iter().enumerate() {
        if !folded[i] {
            map[i] = Some(out.push(n.clone()));
        }
    }
    for (group, by_kind) in counts {
        out.push(Node {
            group,
            what: What::Unchanged {
                counts: by_kind.into_iter().collect(),
            },
            action: Some(Planned::NoOp),
        });
    }
    for e in &g.edges {
        if let (Some(from), Some(to)) = (map[e.from], map[e.to]) {
            out.edges.push(Edge {
                from,
                to,
                label: e.label.clone(),
            });
        }
    }
    out
}

/// What makes two resources the same in a picture (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Shape {
    group: usize,
    kind: Kind,
    action: Option<Planned>,
    /// (kind, action, label) of each satellite, sorted.
    satellites: Vec<(Kind, Option<Planned>, String)>,
    /// (outgoing?, neighbour, label) of every other edge, sorted.
    others: Vec<(bool, usize, String)>,
}

/// Draw [`REPEAT_MIN`] or more resources of one shape as one node.
pub fn group_repeated(g: Graph) -> Graph {
    let n = g.nodes.len();
    // Each node's edges, by index, out and in (one pass; big stacks have thousands).
    let mut outgoing: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut incoming: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (k, e) in g.edges.iter().enumerate() {
        outgoing[e.from].push(k);
        incoming[e.to].push(k);
    }
    // A satellite: one edge, outgoing, to a resource.
    let satellite_of: Vec<Option<usize>> = (0..n)
        .map(|i| match (outgoing[i].as_slice(), incoming[i].is_empty()) {
            ([k], true) if is_resource(&g.nodes[i]) => {
                let to = g.edges[*k].to;
                is_resource(&g.nodes[to]).then_some(to)
            }
            _ => None,
        })
        .collect();
    let mut shapes: BTreeMap<Shape, Vec<usize>> = BTreeMap::new();
    for i in 0..n {
        let What::Resource { kind, .. } = &g.nodes[i].what else {
            continue;
        };
        if satellite_of[i].is_some() {
            continue;
        }
        let mut satellites = Vec::new();
        let mut others = Vec::new();
        for e in incoming[i].iter().map(|k| &g.edges[*k]) {
            match (satellite_of[e.from], &g.nodes[e.from].what) {
                (Some(_), What::Resource { kind: k, .. }) => {
                    satellites.push((*k, g.nodes[e.from].action, e.label.clone()))
                }
                _ => others.push((false, e.from, e.label.clone())),
            }
        }
        for e in outgoing[i].iter().map(|k| &g.edges[*k]) {
            others.push((true, e.to, e.label.clone()));
        }
        satellites.sort();
        others.sort();
        shapes
            .entry(Shape {
                group: g.nodes[i].group,
                kind: *kind,
                action: g.nodes[i].action,
                satellites,
                others,
            })
            .or_default()
            .push(i);
    }
    let repeated: Vec<(Shape, Vec<usize>)> = shapes
        .into_iter()
        .filter(|(_, members)| members.len() >= REPEAT_MIN)
        .collect();
    if repeated.is_empty() {
        return g;
    }
    // Each node is kept, or becomes (part of) the node of its shape.
    let mut into: Vec<Option<usize>> = vec![None; n];
    for (k, (_, members)) in repeated.iter().enumerate() {
        for &m in members {
            into[m] = Some(k);
        }
    }
    let mut out = Graph {
        groups: g.groups.clone(),
        planned: g.planned,
        ..Graph::default()
    };
    let mut map = vec![None; n];
    let mut shape_node = vec![None; repeated.len()];
    for i in 0..n {
        let owner = satellite_of[i].unwrap_or(i);
        match into[owner] {
            None => map[i] = Some(out.push(g.nodes[i].clone())),
            Some(k) if i == owner && shape_node[k].is_none() => {
                let (shape, members) = &repeated[k];
                let mut each: BTreeMap<Kind, usize> = BTreeMap::new();
                for (sk, _, _) in &shape.satellites {
                    *each.entry(*sk).or_default() += 1;
                }
                let node = out.push(Node {
                    group: shape.group,
                    what: What::Repeated {
                        kind: shape.kind,
                        count: members.len(),
                        each: each.into_iter().collect(),
                    },
                    action: shape.action,
                });
                shape_node[k] = Some(node);
                map[i] = Some(node);
            }
            Some(_) => {}
        }
    }
    for (k, (shape, _)) in repeated.iter().enumerate() {
        let Some(node) = shape_node[k] else { continue };
        for (outgoing, other, label) in &shape.others {
            // The neighbour may itself be part of a shape: it is drawn once too.
            let other = match into[*other].and_then(|j| shape_node[j]) {
                Some(j) => j,
                None => match map[*other] {
                    Some(j) => j,
                    None => continue,
                },
            };
            let (from, to) = if *outgoing {
                (node, other)
            } else {
                (other, node)
            };
            let label = if label.is_empty() {
                "each".to_string()
            } else {
                format!("{label} (each)")
            };
            let e = Edge { from, to, label };
            if !out.edges.contains(&e) {
                out.edges.push(e);
            }
        }
    }
    for e in &g.edges {
        let (a, b) = (
            into_owner(&into, &satellite_of, e.from),
            into_owner(&into, &satellite_of, e.to),
        );
        if a.is_some() || b.is_some() {
            continue;
        }
        if let (Some(from), Some(to)) = (map[e.from], map[e.to]) {
            out.edges.push(Edge {
                from,
                to,
                label: e.label.clone(),
            });
        }
    }
    out
}

/// The shape a node was folded into, through its owner when it is a satellite.
fn into_owner(into: &[Option<usize>], satellite_of: &[Option<usize>], i: usize) -> Option<usize> {
    into[satellite_of[i].unwrap_or(i)]
}
