//! The JSON rendering: the plan *report* for machines (CI gates, policy checks, dashboards).
//!
//! Documented in `docs/plan-format.md` and versioned by [`crate::plan::FORMAT_VERSION`]:
//! consumers ignore unknown keys and reject a new major version. Every key is always
//! present (`null` when it does not apply), so consumers never probe for keys.
//!
//! This is not the saved-plan file (`plan --out`, the serde form of [`Plan`] that apply
//! executes): the report leaves out the full resources and fingerprints, adds the summary,
//! and redacts anything that looks secret.

use serde::Serialize;
use serde_json::Value;

use super::ShownField;
use crate::kinds::{Kind, placeholders};
use crate::plan::grants::{GrantChanges, Resolver, grant_changes};
use crate::plan::{Action, Plan, ResourceChange, Summary};

/// The report; field order here is the order in `json_string`.
#[derive(Serialize)]
struct Report<'a> {
    format_version: &'a str,
    stack: &'a str,
    region: &'a str,
    account: Option<&'a str>,
    destroy: bool,
    has_changes: bool,
    summary: Summary,
    resource_changes: Vec<ReportChange<'a>>,
}

#[derive(Serialize)]
struct ReportChange<'a> {
    address: String,
    kind: Kind,
    id: &'a str,
    name: &'a str,
    action: Action,
    physical_id: Option<&'a str>,
    reason: Option<&'a str>,
    changes: Vec<ReportField<'a>>,
    /// What the change of each IAM document field grants and stops granting (since 1.2).
    grant_changes: Vec<GrantChanges>,
}

#[derive(Serialize)]
struct ReportField<'a> {
    path: &'a str,
    before: Option<Value>,
    after: Option<Value>,
    forces_replacement: bool,
    after_unknown: bool,
    /// The references (`stages.main.arn`) whose values the after value waits for.
    after_unknown_references: Vec<String>,
    sensitive: bool,
}

fn report(plan: &Plan) -> Report<'_> {
    Report {
        format_version: &plan.format_version,
        stack: &plan.stack,
        region: &plan.region,
        account: plan.account.as_deref(),
        destroy: plan.destroy,
        has_changes: plan.has_changes(),
        summary: plan.summary(),
        resource_changes: {
            let resolver = Resolver::of(plan);
            plan.changes
                .iter()
                .map(|c| resource(c, &resolver))
                .collect()
        },
    }
}

fn resource<'a>(c: &'a ResourceChange, resolver: &Resolver) -> ReportChange<'a> {
    ReportChange {
        address: super::address(c),
        kind: c.kind,
        id: &c.id,
        name: &c.name,
        action: c.action,
        physical_id: c.physical_id.as_deref(),
        reason: c.reason.as_deref(),
        changes: c
            .fields
            .iter()
            .map(|field| {
                let f = ShownField::new(field);
                let after_unknown_references = field
                    .after
                    .as_ref()
                    .map(placeholders)
                    .unwrap_or_default()
                    .iter()
                    .map(ToString::to_string)
                    .collect();
                ReportField {
                    path: f.path,
                    before: f.before,
                    after: f.after,
                    forces_replacement: f.forces_replacement,
                    after_unknown: f.after_unknown,
                    after_unknown_references,
                    sensitive: f.redacted,
                }
            })
            .collect(),
        grant_changes: grant_changes(resolver, c),
    }
}

/// The plan report as a JSON value.
pub fn json(plan: &Plan) -> Value {
    serde_json::to_value(report(plan)).unwrap_or(Value::Null)
}

/// The plan report as pretty JSON text (keys in documented order), newline-terminated.
pub fn json_string(plan: &Plan) -> String {
    let mut s = serde_json::to_string_pretty(&report(plan)).unwrap_or_default();
    s.push('\n');
    s
}
