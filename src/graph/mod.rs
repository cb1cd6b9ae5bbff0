//! Pictures of stacks for reviewers: `ivstack graph`, and the diagram in Markdown plans and
//! explanations.
//!
//! [`Graph`] is the model — nodes (resources, one per stack its stack node, folded and
//! grouped nodes), edges (references), groups (stacks) and planned actions — built by pure
//! functions from what the kind registry exposes: every resource ([`kinds::desired`]),
//! every reference ([`kinds::references_of`]), what watches a stack as a whole
//! ([`kinds::stack_links`]), and for IAM policies the access levels of the action table
//! ([`access`]). Nothing here knows a kind but through those. [`Graph::with_plan`] puts a
//! plan's actions on the nodes, [`fold`] keeps big pictures small, and [`mermaid`] and
//! [`dot`] render; both escape every user-controlled text, so a name cannot break the
//! syntax or inject directives.

pub mod access;
pub mod dot;
pub mod fold;
pub mod mermaid;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};

use crate::kinds::{self, Attribute, Kind, Known};
use crate::plan::{Action, Plan};
use crate::stack::model::StackFile;

/// What a plan does to a node, by class (each has its colour and legend entry).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Planned {
    Create,
    /// Adopted by `ivstack import` (ownership tags added; ARN unchanged).
    Import,
    Update,
    Replace,
    Delete,
    /// A delete or replace the planner refused (protected, or in use).
    Refused,
    NoOp,
}

impl Planned {
    pub const ALL: [Planned; 7] = [
        Planned::Create,
        Planned::Import,
        Planned::Update,
        Planned::Replace,
        Planned::Delete,
        Planned::Refused,
        Planned::NoOp,
    ];

    /// The class name in both renderings, and the word in the legend.
    pub fn as_str(self) -> &'static str {
        match self {
            Planned::Create => "create",
            Planned::Import => "import",
            Planned::Update => "update",
            Planned::Replace => "replace",
            Planned::Delete => "delete",
            Planned::Refused => "refused",
            Planned::NoOp => "no-op",
        }
    }

    pub fn of(action: Action) -> Planned {
        match action {
            Action::NoOp => Planned::NoOp,
            Action::Create => Planned::Create,
            Action::Import => Planned::Import,
            Action::Update => Planned::Update,
            Action::Replace => Planned::Replace,
            Action::Delete | Action::RemoveDuplicate => Planned::Delete,
            Action::DeleteRefused | Action::ReplaceRefused => Planned::Refused,
        }
    }

    /// Whether a reviewer should see it: anything but no-op (a refusal included).
    pub fn touches(self) -> bool {
        self != Planned::NoOp
    }
}

/// What a node stands for.
#[derive(Debug, Clone, PartialEq)]
pub enum What {
    /// The stack itself (what budgets watch).
    Stack { stack: String, region: String },
    /// One resource.
    Resource {
        kind: Kind,
        id: String,
        name: String,
    },
    /// Parts of the stack that no change touches, folded: how many of each kind.
    Unchanged { counts: Vec<(Kind, usize)> },
    /// `count` resources of one kind with the same shape (the same action, the same
    /// neighbours, each with the same resources that refer to it alone), as one node.
    Repeated {
        kind: Kind,
        count: usize,
        /// What each has: `(kind, how many each)`.
        each: Vec<(Kind, usize)>,
    },
}

/// One node.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Its group (stack), an index into [`Graph::groups`].
    pub group: usize,
    pub what: What,
    /// The planned action, when the graph carries a plan.
    pub action: Option<Planned>,
}

/// One reference, from the resource that names to the one named.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Edge {
    pub from: usize,
    pub to: usize,
    /// The access levels a policy grants on the target (`Write, Read`), else the field
    /// that names it (`recording.storage`), or what a budget watches.
    pub label: String,
}

/// One stack.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub stack: String,
    pub region: String,
}

/// A picture of one or more stacks.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Graph {
    pub groups: Vec<Group>,
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    /// Nodes carry planned actions: renderings add a legend.
    pub planned: bool,
}

impl Graph {
    /// The graph of the given stacks: a group per stack, with its stack node first, then
    /// one node per resource in registry order, and one edge per (referrer, target).
    pub fn of_stacks(stacks: &[&StackFile]) -> Graph {
        let mut g = Graph::default();
        for s in stacks {
            g.add_stack(s);
        }
        g
    }

    fn add_stack(&mut self, s: &StackFile) {
        let group = self.groups.len();
        self.groups.push(Group {
            stack: s.stack.clone(),
            region: s.region.clone(),
        });
        let stack_node = self.push(Node {
            group,
            what: What::Stack {
                stack: s.stack.clone(),
                region: s.region.clone(),
            },
            action: None,
        });
        let mut index: HashMap<(Kind, String), usize> = HashMap::new();
        for r in kinds::desired(s, &Known::new()) {
            let name = r.name().to_string();
            let n = self.push(Node {
                group,
                what: What::Resource {
                    kind: r.kind,
                    id: r.id.clone(),
                    name,
                },
                action: None,
            });
            index.insert((r.kind, r.id), n);
        }
        // (from, to) → label; the access levels of a grant win over field paths.
        let mut edges: BTreeMap<(usize, usize), Vec<String>> = BTreeMap::new();
        for (kind, id, refs) in kinds::references_of(s) {
            let Some(&from) = index.get(&(kind, id.to_string())) else {
                continue;
            };
            for f in refs {
                let r = &f.reference;
                let Some(&to) = index.get(&(r.target, r.id.clone())) else {
                    continue;
                };
                let field = field_name(&f.path);
                let labels = edges.entry((from, to)).or_default();
                if !labels.contains(&field) {
                    labels.push(field);
                }
            }
        }
        let mut granted: BTreeMap<(usize, usize), String> = BTreeMap::new();
        for ((kind, id, target, target_id), levels) in access::levels(s) {
            let (Some(&from), Some(&to)) = (
                index.get(&(kind, id.clone())),
                index.get(&(target, target_id.clone())),
            ) else {
                continue;
            };
            edges.entry((from, to)).or_default();
            granted.insert((from, to), levels);
        }
        for ((from, to), fields) in edges {
            let label = granted
                .remove(&(from, to))
                .unwrap_or_else(|| fields.join(", "));
            self.edges.push(Edge { from, to, label });
        }
        for (kind, id, what) in kinds::stack_links(s) {
            if let Some(&from) = index.get(&(kind, id.to_string())) {
                self.edges.push(Edge {
                    from,
                    to: stack_node,
                    label: what.to_string(),
                });
            }
        }
    }

    fn push(&mut self, n: Node) -> usize {
        self.nodes.push(n);
        self.nodes.len() - 1
    }

    /// The nodes of the plan's stack carry its actions; resources that the plan deletes
    /// and the file no longer names join the picture, with edges to what they still
    /// refer to (read from their observed form). Only the plan's stack is kept.
    pub fn with_plan(mut self, plan: &Plan) -> Graph {
        let Some(group) = self.groups.iter().position(|g| g.stack == plan.stack) else {
            // A plan of a stack not in the picture: show it alone.
            self = Graph::default();
            self.groups.push(Group {
                stack: plan.stack.clone(),
                region: plan.region.clone(),
            });
            self.push(Node {
                group: 0,
                what: What::Stack {
                    stack: plan.stack.clone(),
                    region: plan.region.clone(),
                },
                action: None,
            });
            return self.with_plan(plan);
        };
        self = self.only_group(group);
        self.planned = true;
        let mut index: HashMap<(Kind, String), usize> = HashMap::new();
        for (i, n) in self.nodes.iter_mut().enumerate() {
            if let What::Resource { kind, id, .. } = &n.what {
                index.insert((*kind, id.clone()), i);
                // The file names it and the plan has nothing for it: nothing happens.
                n.action = Some(Planned::NoOp);
            }
        }
        // Attribute values of the live resources the plan knows, for the references of
        // what it deletes.
        let mut by_value: HashMap<String, (Kind, String)> = HashMap::new();
        for c in &plan.changes {
            if let Some(pid) = &c.physical_id {
                for a in Attribute::ALL {
                    if let Some(v) = c.kind.attribute(pid, *a) {
                        by_value.insert(v, (c.kind, c.id.clone()));
                    }
                }
            }
        }
        let mut gone = Vec::new();
        for c in &plan.changes {
            let planned = Planned::of(c.action);
            let key = (c.kind, c.id.clone());
            // A duplicate that goes is a live resource of its own, beside the one that
            // stays.
            let existing = match c.action {
                Action::RemoveDuplicate => None,
                _ => index.get(&key),
            };
            match existing {
                // Several changes for one id: the one that matters most shows (`NoOp`
                // sorts last, so any change replaces it).
                Some(&n) => {
                    let a = self.nodes[n].action.get_or_insert(planned);
                    *a = (*a).min(planned);
                }
                None => {
                    let n = self.push(Node {
                        group: 0,
                        what: What::Resource {
                            kind: c.kind,
                            id: c.id.clone(),
                            name: c.name.clone(),
                        },
                        action: Some(planned),
                    });
                    index.entry(key).or_insert(n);
                    gone.push((n, c));
                }
            }
        }
        for (n, c) in gone {
            let Some(live) = &c.observed else { continue };
            let mut targets = Vec::new();
            for r in c.kind.live_references(live) {
                if let Some(t) = by_value.get(&r.value).and_then(|k| index.get(k))
                    && *t != n
                    && !targets.contains(t)
                {
                    targets.push(*t);
                }
            }
            for to in targets {
                self.edges.push(Edge {
                    from: n,
                    to,
                    label: String::new(),
                });
            }
        }
        self
    }

    /// The nodes and edges of one group, renumbered.
    fn only_group(self, group: usize) -> Graph {
        let mut map = vec![None; self.nodes.len()];
        let mut out = Graph {
            groups: vec![self.groups[group].clone()],
            planned: self.planned,
            ..Graph::default()
        };
        for (i, mut n) in self.nodes.into_iter().enumerate() {
            if n.group == group {
                n.group = 0;
                map[i] = Some(out.push(n));
            }
        }
        for e in self.edges {
            if let (Some(from), Some(to)) = (map[e.from], map[e.to]) {
                out.edges.push(Edge { from, to, ..e });
            }
        }
        out
    }

    /// Each present action, in legend order.
    pub fn legend(&self) -> Vec<Planned> {
        if !self.planned {
            return Vec::new();
        }
        Planned::ALL
            .into_iter()
            .filter(|p| self.nodes.iter().any(|n| n.action == Some(*p)))
            .collect()
    }
}

/// A reference's field without indices: `statements[0].stages[1]` → `statements.stages`.
fn field_name(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut depth = 0;
    for c in path.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// `stage`, `stages`, `2 storage configurations`: a kind with a count, in words.
pub fn count_of(kind: Kind, n: usize) -> String {
    let noun = kind.noun();
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {}", plural(noun))
    }
}

/// `policy` → `policies`, `stage` → `stages`.
pub fn plural(noun: &str) -> String {
    match noun.strip_suffix('y') {
        Some(stem) if !stem.ends_with(['a', 'e', 'o', 'u']) => format!("{stem}ies"),
        _ => format!("{noun}s"),
    }
}

/// The text of a node, as lines (renderers escape and join them).
pub fn lines(n: &Node) -> Vec<String> {
    let mut out = match &n.what {
        What::Stack { stack, region } => vec![format!("stack {stack}"), region.clone()],
        What::Resource { kind, id, name } => {
            let mut l = vec![format!("{} {id}", kind.noun())];
            if name != id {
                l.push(name.clone());
            }
            l
        }
        What::Unchanged { counts } => {
            let parts: Vec<String> = counts.iter().map(|(k, n)| count_of(*k, *n)).collect();
            vec![format!("unchanged: {}", parts.join(", "))]
        }
        What::Repeated { kind, count, each } => {
            let mut l = format!("{count} {}", plural(kind.noun()));
            if !each.is_empty() {
                let parts: Vec<String> = each
                    .iter()
                    .map(|(k, n)| {
                        if *n == 1 {
                            format!("{} {}", article(k.noun()), k.noun())
                        } else {
                            count_of(*k, *n)
                        }
                    })
                    .collect();
                l.push_str(", each with ");
                l.push_str(&join_and(&parts));
            }
            vec![l]
        }
    };
    if let Some(a) = n.action
        && a.touches()
    {
        out.push(format!("({})", a.as_str()));
    }
    out
}

fn article(noun: &str) -> &'static str {
    if noun.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

fn join_and(parts: &[String]) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}
