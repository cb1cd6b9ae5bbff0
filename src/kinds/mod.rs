//! One module per resource kind (stage, IAM policy, CloudWatch alarm, budget).
//!
//! Every kind turns both sides of a comparison into the same common form, [`Resource`]:
//! the desired side from the stack file (`desired`), the observed side from what AWS
//! returns (`observe`, in each kind's module). The planner only ever sees `Resource`s, so
//! it stays a pure function that knows nothing about AWS. A kind also says which of its
//! fields cannot change in place ([`Kind::replace_fields`]).
//!
//! Adding a kind means: a new module here, a variant in [`Kind`], and its entry in
//! [`desired`] and in `aws::observe`.

pub mod alarm;
pub mod budget;
pub mod iam_document;
pub mod policy;
pub mod stage;

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::stack::model::StackFile;

/// Tag that names the owning stack.
pub const TAG_STACK: &str = "ivstack:stack";
/// Tag that names the logical id within the stack.
pub const TAG_ID: &str = "ivstack:id";
/// Tag that protects a resource from deletion; kept on the live resource so the protection
/// survives deleting the YAML (unlike Terraform's `prevent_destroy`).
pub const TAG_PROTECT: &str = "ivstack:protect";

/// Placeholder prefix for values only known once a stage exists, e.g. `${stages.main.arn}`.
pub const UNKNOWN_PREFIX: &str = "${stages.";

/// The resource kinds, in dependency order: stages first, because policies and alarms name
/// their ARNs and ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Stage,
    Policy,
    Alarm,
    Budget,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Stage, Kind::Policy, Kind::Alarm, Kind::Budget];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Stage => "stage",
            Kind::Policy => "policy",
            Kind::Alarm => "alarm",
            Kind::Budget => "budget",
        }
    }

    /// The stack-file section of this kind (`stages`, `policies`, ...).
    pub fn section(self) -> &'static str {
        match self {
            Kind::Stage => "stages",
            Kind::Policy => "policies",
            Kind::Alarm => "alarms",
            Kind::Budget => "budgets",
        }
    }

    /// Spec fields whose change cannot be made in place: the resource is replaced.
    pub fn replace_fields(self) -> &'static [&'static str] {
        match self {
            // UpdateStage changes the name and recording in place.
            Kind::Stage => &[],
            // IAM has no API to rename, move or re-describe a managed policy.
            Kind::Policy => &["name", "path", "description"],
            // Alarms and budgets are identified by name.
            Kind::Alarm => &["name"],
            Kind::Budget => &["name"],
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A resource in the planner's common form.
///
/// `spec` holds the kind's normalised fields as a JSON object whose keys follow the
/// stack-file names. On the desired side a field that the file leaves out is absent
/// (unmanaged); the observed side carries every field AWS reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    pub kind: Kind,
    /// Logical id: the key in the stack file, the `ivstack:id` tag on the live resource.
    pub id: String,
    /// The live identity (stage ARN, policy ARN, alarm name, budget name); observed only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub physical_id: Option<String>,
    pub spec: Map<String, Value>,
    /// All tags, ownership tags included. Managed as a whole, except `aws:` tags.
    pub tags: BTreeMap<String, String>,
}

impl Resource {
    /// The physical name (`spec.name`).
    pub fn name(&self) -> &str {
        self.spec.get("name").and_then(Value::as_str).unwrap_or("")
    }

    /// Whether the resource is protected from deletion (from its tags, so that this holds
    /// for live resources the file no longer names).
    pub fn protected(&self) -> bool {
        self.tags.get(TAG_PROTECT).map(String::as_str) == Some("true")
    }

    /// A stable digest of everything observed about the resource, for saved-plan staleness
    /// checks.
    pub fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        // serde_json maps are ordered (BTreeMap), so serialisation is canonical.
        let bytes = serde_json::to_vec(self).unwrap_or_default();
        hex::encode(Sha256::digest(&bytes))
    }
}

/// The ownership tags of a resource, merged over the stack's and the resource's own tags.
pub fn owned_tags(
    stack: &StackFile,
    id: &str,
    own: &BTreeMap<String, String>,
    protect: bool,
) -> BTreeMap<String, String> {
    let mut tags = stack.tags.clone();
    tags.extend(own.iter().map(|(k, v)| (k.clone(), v.clone())));
    tags.insert(TAG_STACK.to_string(), stack.stack.clone());
    tags.insert(TAG_ID.to_string(), id.to_string());
    if protect {
        tags.insert(TAG_PROTECT.to_string(), "true".to_string());
    }
    tags
}

/// The default physical name of a resource: `<stack>-<id>`.
pub fn default_name(stack: &StackFile, id: &str) -> String {
    format!("{}-{}", stack.stack, id)
}

/// How the desired side learns about stages that already exist: logical id → stage ARN.
/// Stages not in the map are created by this plan, so their ARN is a placeholder.
pub type StageArns = BTreeMap<String, String>;

/// The ARN of a stage, or a placeholder that apply fills in after creating the stage.
pub fn stage_arn(arns: &StageArns, id: &str) -> String {
    arns.get(id)
        .cloned()
        .unwrap_or_else(|| format!("{UNKNOWN_PREFIX}{id}.arn}}"))
}

/// The stage id (the part after `stage/`), or a placeholder.
pub fn stage_id(arns: &StageArns, id: &str) -> String {
    match arns.get(id) {
        Some(arn) => arn.rsplit('/').next().unwrap_or(arn).to_string(),
        None => format!("{UNKNOWN_PREFIX}{id}.id}}"),
    }
}

/// Replace stage placeholders in a value by the real ARN / id, once the stages exist.
pub fn resolve_placeholders(value: &mut Value, arns: &StageArns) {
    match value {
        Value::String(s) if s.contains(UNKNOWN_PREFIX) => {
            for (id, arn) in arns {
                let sid = arn.rsplit('/').next().unwrap_or(arn);
                *s = s
                    .replace(&format!("{UNKNOWN_PREFIX}{id}.arn}}"), arn)
                    .replace(&format!("{UNKNOWN_PREFIX}{id}.id}}"), sid);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| resolve_placeholders(v, arns)),
        Value::Object(map) => map.values_mut().for_each(|v| resolve_placeholders(v, arns)),
        _ => {}
    }
}

/// Whether a value still holds a placeholder ("known after apply").
pub fn has_placeholder(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains(UNKNOWN_PREFIX),
        Value::Array(items) => items.iter().any(has_placeholder),
        Value::Object(map) => map.values().any(has_placeholder),
        _ => false,
    }
}

/// Every desired resource of a stack file, in dependency order, with stage references
/// resolved against the stages that already exist.
pub fn desired(stack: &StackFile, arns: &StageArns) -> Vec<Resource> {
    let mut out: Vec<Resource> = stack
        .stages
        .iter()
        .map(|(id, s)| stage::desired(stack, id, s))
        .collect();
    out.extend(desired_dependents(stack, arns));
    out
}

/// The desired resources other than stages: those that may name stages, plus budgets.
pub fn desired_dependents(stack: &StackFile, arns: &StageArns) -> Vec<Resource> {
    let mut out = Vec::new();
    for (id, p) in &stack.policies {
        out.push(policy::desired(stack, id, p, arns));
    }
    for (id, a) in &stack.alarms {
        out.push(alarm::desired(stack, id, a, arns));
    }
    for (id, b) in &stack.budgets {
        out.push(budget::desired(stack, id, b));
    }
    out
}

/// Insert `key: value` into a spec when the value is present.
pub(crate) fn put<T: Serialize>(spec: &mut Map<String, Value>, key: &str, value: Option<T>) {
    if let Some(v) = value
        && let Ok(v) = serde_json::to_value(v)
    {
        spec.insert(key.to_string(), v);
    }
}

/// The tag changes that turn live tags into desired ones: keys to set (new or changed)
/// and keys to remove. AWS's own `aws:` tags are never touched.
pub fn tags_delta(
    desired: &BTreeMap<String, String>,
    live: &BTreeMap<String, String>,
) -> (BTreeMap<String, String>, Vec<String>) {
    let set = desired
        .iter()
        .filter(|(k, v)| live.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let remove = live
        .keys()
        .filter(|k| !k.starts_with("aws:") && !desired.contains_key(*k))
        .cloned()
        .collect();
    (set, remove)
}

/// Bring live tags to the desired ones with the kind's own service calls: `tag` sets new
/// and changed keys, `untag` removes the others (never AWS's `aws:` keys). Each is called
/// only when it has something to do.
pub async fn sync_tags(
    desired: &BTreeMap<String, String>,
    live: &BTreeMap<String, String>,
    tag: impl AsyncFnOnce(BTreeMap<String, String>) -> anyhow::Result<()>,
    untag: impl AsyncFnOnce(Vec<String>) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let (set, remove) = tags_delta(desired, live);
    if !set.is_empty() {
        tag(set).await?;
    }
    if !remove.is_empty() {
        untag(remove).await?;
    }
    Ok(())
}

/// Deep-merge `desired` over `live`: what an update sends to APIs that replace a whole
/// object (UpdateStage's recording, PutMetricAlarm, UpdateBudget), so that fields the file
/// leaves unmanaged keep their live values instead of being reset.
pub fn overlay(live: &Value, desired: &Value) -> Value {
    match (live, desired) {
        (Value::Object(l), Value::Object(d)) => {
            let mut out = l.clone();
            for (k, dv) in d {
                if dv.is_null() {
                    continue;
                }
                let merged = match l.get(k) {
                    Some(lv) => overlay(lv, dv),
                    None => dv.clone(),
                };
                out.insert(k.clone(), merged);
            }
            Value::Object(out)
        }
        (_, d) => d.clone(),
    }
}

/// Equality by meaning: numbers compare as numbers (`500` = `500.0`), containers deeply.
pub fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => x == y,
            _ => x == y,
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}
