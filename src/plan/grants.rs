//! Grant changes: what a planned change of an IAM document adds and removes, as rows of
//! effect / action / access level / resource / conditions, so a reviewer reads "adds
//! ivs:DeleteStage on stage main" instead of a JSON line diff.
//!
//! Pure: derived from a [`Plan`] alone (the documents in its field changes and resources),
//! with the rows of [`crate::audit::grants`], so plans, `lint` and `explain` agree on what
//! a document grants. Resources are named by logical id wherever the plan knows them: a
//! placeholder (`${stages.main.arn}`, known after apply) by its reference, a live ARN by
//! the resource of the plan whose physical id it is.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;
use serde_json::Value;

use super::{Action, Plan, ResourceChange};
use crate::audit::actions::AccessLevel;
use crate::audit::grants::{self, Condition, Effect, Grant};
use crate::kinds::{Attribute, Reference};

/// One grant as plans show it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct GrantRow {
    pub effect: Effect,
    /// `ivs:DeleteStage`; a wildcard is expanded to the actions it grants (see `via`).
    pub action: String,
    /// From the action table; `None` for an action it does not know.
    pub access_level: Option<AccessLevel>,
    pub resource: GrantResource,
    pub conditions: Vec<Condition>,
    /// The wildcard the action comes from (`ivs:Get*`), if any.
    pub via: Option<String>,
}

/// What a grant is on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct GrantResource {
    /// The resource of the stack, `<section>.<id>` (`stages.main`), when the plan knows
    /// which one it is.
    pub logical_id: Option<String>,
    /// The ARN (or pattern, or `*`); `None` while it is known only after apply.
    pub arn: Option<String>,
    /// `NotResource`: everything except `arn`.
    pub except: bool,
}

impl GrantResource {
    /// `stages.main (arn:aws:ivs:…)`, `stages.main (known after apply)`, `*`.
    pub fn label(&self) -> String {
        let arn = self.arn.as_deref().unwrap_or("known after apply");
        let base = match &self.logical_id {
            Some(id) => format!("{id} ({arn})"),
            None => arn.to_string(),
        };
        if self.except {
            format!("everything except {base}")
        } else {
            base
        }
    }
}

impl GrantRow {
    /// The conditions in words, `-` when there are none.
    pub fn conditions_label(&self) -> String {
        if self.conditions.is_empty() {
            "-".to_string()
        } else {
            self.conditions
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        }
    }

    pub fn access_label(&self) -> &'static str {
        self.access_level.map_or("unknown", AccessLevel::as_str)
    }
}

/// The grant changes of one IAM document field of a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GrantChanges {
    /// The spec field holding the document (`document`).
    pub path: String,
    pub added: Vec<GrantRow>,
    pub removed: Vec<GrantRow>,
}

impl GrantChanges {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty()
    }
}

/// Names the stack resources behind live ARNs: every physical id the plan knows.
pub struct Resolver {
    by_arn: HashMap<String, Reference>,
}

impl Resolver {
    pub fn of(plan: &Plan) -> Resolver {
        let mut by_arn = HashMap::new();
        for c in &plan.changes {
            let live = c.observed.as_ref().and_then(|o| o.physical_id.as_ref());
            for pid in [c.physical_id.as_ref(), live].into_iter().flatten() {
                if pid.starts_with("arn:") {
                    by_arn.insert(pid.clone(), Reference::new(c.kind, &c.id, Attribute::Arn));
                }
            }
        }
        Resolver { by_arn }
    }

    fn resolve(&self, arn: &str) -> Option<Reference> {
        self.by_arn.get(arn).cloned()
    }
}

/// The grant changes of a planned change, one entry per IAM document field of its kind
/// that changes grants; empty for kinds without documents, for changes that do nothing
/// (no-op, refused) and for document edits that grant the same (reordering, say).
pub fn grant_changes(resolver: &Resolver, c: &ResourceChange) -> Vec<GrantChanges> {
    let mut out = Vec::new();
    for path in c.kind.iam_documents() {
        let (before, after) = match c.action {
            Action::NoOp | Action::DeleteRefused | Action::ReplaceRefused => continue,
            Action::Delete | Action::RemoveDuplicate => (spec_doc(c.observed.as_ref(), path), None),
            Action::Create | Action::Import | Action::Update | Action::Replace => {
                match c.fields.iter().find(|f| f.path == *path) {
                    Some(f) => (doc_of(f.before.as_ref()), doc_of(f.after.as_ref())),
                    // The document itself does not change.
                    None => continue,
                }
            }
        };
        let before = rows(before.as_ref(), resolver);
        let after = rows(after.as_ref(), resolver);
        let changes = GrantChanges {
            path: (*path).to_string(),
            added: after.difference(&before).cloned().collect(),
            removed: before.difference(&after).cloned().collect(),
        };
        if !changes.is_empty() {
            out.push(changes);
        }
    }
    out
}

fn spec_doc(r: Option<&crate::kinds::Resource>, path: &str) -> Option<Value> {
    doc_of(r?.spec.get(path))
}

/// A document field's value (canonical JSON text) parsed.
fn doc_of(v: Option<&Value>) -> Option<Value> {
    match v? {
        Value::String(s) => serde_json::from_str(s).ok(),
        obj @ Value::Object(_) => Some(obj.clone()),
        _ => None,
    }
}

/// The grants of a document as a set, so two documents compare by what they grant, not
/// by how they are written. Rows that grant nothing (an action on a resource type it does
/// not take) are left out.
fn rows(doc: Option<&Value>, resolver: &Resolver) -> BTreeSet<GrantRow> {
    let Some(doc) = doc else {
        return BTreeSet::new();
    };
    grants::grants(doc, &|arn| resolver.resolve(arn))
        .into_iter()
        .filter(|g| g.applies)
        .map(row)
        .collect()
}

fn row(g: Grant) -> GrantRow {
    let placeholder = grants::placeholder(&g.resource.text).is_some();
    let mut conditions = g.conditions;
    conditions.sort();
    GrantRow {
        effect: g.effect,
        action: g.action,
        access_level: g.access,
        resource: GrantResource {
            logical_id: g
                .resource
                .reference
                .as_ref()
                .map(|r| format!("{}.{}", r.target.section(), r.id)),
            arn: (!placeholder).then_some(g.resource.text),
            except: g.resource.except,
        },
        conditions,
        via: g.via,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::kinds::Kind;
    use crate::plan::{FORMAT_VERSION, FieldChange};

    const STAGE: &str = "arn:aws:ivs:us-west-2:123456789012:stage/AbCd";

    fn doc(statements: Value) -> Value {
        json!(
            serde_json::to_string_pretty(
                &json!({"Version": "2012-10-17", "Statement": statements})
            )
            .unwrap()
        )
    }

    fn change(kind: Kind, id: &str, action: Action, pid: Option<&str>) -> ResourceChange {
        ResourceChange {
            kind,
            id: id.into(),
            name: id.into(),
            action,
            physical_id: pid.map(str::to_string),
            reason: None,
            fields: Vec::new(),
            desired: None,
            observed: None,
        }
    }

    fn plan(changes: Vec<ResourceChange>) -> Plan {
        Plan {
            format_version: FORMAT_VERSION.into(),
            stack: "s".into(),
            region: "us-west-2".into(),
            account: None,
            destroy: false,
            changes,
            observed: Vec::new(),
        }
    }

    #[test]
    fn an_update_shows_added_and_removed_grants_by_logical_id() {
        let mut p = change(
            Kind::Policy,
            "minter",
            Action::Update,
            Some("arn:aws:iam::1:policy/p"),
        );
        p.fields = vec![FieldChange {
            path: "document".into(),
            before: Some(doc(json!([{"Effect": "Allow",
                "Action": ["ivs:GetStage", "ivs:CreateParticipantToken"], "Resource": STAGE}]))),
            // Same grants written differently, plus DeleteStage on a stage created by the plan.
            after: Some(doc(json!([
                {"Effect": "Allow", "Action": "ivs:CreateParticipantToken", "Resource": [STAGE]},
                {"Effect": "Allow", "Action": ["ivs:DeleteStage"], "Resource": "${stages.new.arn}"}]))),
            forces_replacement: false,
            after_unknown: true,
        }];
        let stage = change(Kind::Stage, "main", Action::NoOp, Some(STAGE));
        let pl = plan(vec![stage, p]);
        let got = grant_changes(&Resolver::of(&pl), &pl.changes[1]);
        assert_eq!(got.len(), 1);
        let g = &got[0];
        assert_eq!(g.path, "document");
        assert_eq!(g.added.len(), 1);
        assert_eq!(g.added[0].action, "ivs:DeleteStage");
        assert_eq!(g.added[0].access_level, Some(AccessLevel::Write));
        assert_eq!(
            g.added[0].resource.logical_id.as_deref(),
            Some("stages.new")
        );
        assert_eq!(g.added[0].resource.arn, None);
        assert_eq!(
            g.added[0].resource.label(),
            "stages.new (known after apply)"
        );
        assert_eq!(g.removed.len(), 1);
        assert_eq!(g.removed[0].action, "ivs:GetStage");
        assert_eq!(
            g.removed[0].resource.label(),
            format!("stages.main ({STAGE})")
        );
    }

    #[test]
    fn creates_add_deletes_remove_and_nothing_else_counts() {
        let d = doc(
            json!([{"Effect": "Deny", "Action": "ivs:Get*", "Resource": "*",
            "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}}]),
        );
        let mut create = change(Kind::Policy, "p", Action::Create, None);
        create.fields = vec![FieldChange {
            path: "document".into(),
            before: None,
            after: Some(d.clone()),
            forces_replacement: false,
            after_unknown: false,
        }];
        let r = Resolver::of(&plan(Vec::new()));
        let added = &grant_changes(&r, &create)[0].added;
        assert!(added.len() > 1, "the wildcard is expanded");
        assert!(added.iter().all(|g| g.effect == Effect::Deny
            && g.via.as_deref() == Some("ivs:Get*")
            && g.conditions_label() == "aws:RequestedRegion StringEquals eu-west-1"));

        let mut delete = change(
            Kind::Policy,
            "p",
            Action::Delete,
            Some("arn:aws:iam::1:policy/p"),
        );
        let mut observed = crate::kinds::Resource {
            kind: Kind::Policy,
            id: "p".into(),
            physical_id: delete.physical_id.clone(),
            spec: serde_json::Map::new(),
            tags: Default::default(),
        };
        observed.spec.insert("document".into(), d);
        delete.observed = Some(observed);
        assert_eq!(grant_changes(&r, &delete)[0].removed.len(), added.len());

        delete.action = Action::DeleteRefused;
        assert!(
            grant_changes(&r, &delete).is_empty(),
            "a refused delete changes nothing"
        );
        let stage = change(Kind::Stage, "main", Action::Delete, Some(STAGE));
        assert!(
            grant_changes(&r, &stage).is_empty(),
            "stages hold no documents"
        );
    }
}
