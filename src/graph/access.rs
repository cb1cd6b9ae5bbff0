//! The labels of the edges from IAM policies: the access levels (List / Read / Tagging /
//! Write / Permissions management, from the action table `explain` uses) that a policy
//! grants on each resource of its stack, from the same grant rows as `lint` and `explain`.
//! (Raw `document` policies name ARNs, never logical ids: they have no edges.)

use std::collections::{BTreeMap, BTreeSet};

use crate::audit::actions::AccessLevel;
use crate::audit::grants::{self, Effect};
use crate::audit::lint::policy::document;
use crate::kinds::Kind;
use crate::stack::model::StackFile;

/// (policy kind, policy id, target kind, target id) → `Write, Read` (most powerful first;
/// `deny Write` for what a Deny statement takes away; `grants nothing here` when no
/// action it names can act on the resource).
pub fn levels(s: &StackFile) -> BTreeMap<(Kind, String, Kind, String), String> {
    type Levels = (BTreeSet<AccessLevel>, BTreeSet<AccessLevel>, bool);
    let mut found: BTreeMap<(Kind, String, Kind, String), Levels> = BTreeMap::new();
    for (id, p) in &s.policies {
        for g in grants::grants(&document(p), &|_| None) {
            let Some(r) = &g.resource.reference else {
                continue;
            };
            let key = (Kind::Policy, id.clone(), r.target, r.id.clone());
            let (allow, deny, unknown) = found.entry(key).or_default();
            // Named, but the action cannot act on it (`ivs:ListStages` on a stage).
            if !g.applies {
                continue;
            }
            match (g.effect, g.access) {
                (Effect::Allow, Some(l)) => {
                    allow.insert(l);
                }
                (Effect::Deny, Some(l)) => {
                    deny.insert(l);
                }
                (_, None) => *unknown = true,
            }
        }
    }
    found
        .into_iter()
        .map(|(k, (allow, deny, unknown))| {
            let mut parts: Vec<String> = allow.iter().rev().map(|l| l.to_string()).collect();
            parts.extend(deny.iter().rev().map(|l| format!("deny {l}")));
            if unknown {
                parts.push("unknown actions".into());
            }
            if parts.is_empty() {
                parts.push("grants nothing here".into());
            }
            (k, parts.join(", "))
        })
        .collect()
}
