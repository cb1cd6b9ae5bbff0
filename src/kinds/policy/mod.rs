//! Customer-managed IAM policies (`policies.<id>`).
//!
//! Policies live under the path `/ivstack/<stack>/`, which makes listing them one cheap
//! call. IAM cannot rename, move or re-describe a policy, so those fields force a replace;
//! a document change becomes a new default policy version. Statements name resources of
//! the stack by logical id (`stages: [main]`, and the same for every kind whose
//! `policy_arn_example` is `Some`), rendered as their exact ARNs.

mod audited;
mod aws;
pub mod model;

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

pub use model::{Effect, Policy, Statement, StringOrList, nameable_kinds};

use super::{
    Attribute, FieldRef, Kind, Known, LiveRef, Names, Reference, Resource, ResourceKind, Service,
    iam_document,
};
use crate::aws::Aws;
use crate::stack::model::StackFile;
use crate::stack::validate::{self, Validator};

/// The IAM path under which a stack's policies live.
pub fn path_for(stack: &str) -> String {
    format!("/ivstack/{stack}/")
}

impl ResourceKind for Policy {
    const KIND: Kind = Kind::Policy;
    const NOUN: &'static str = "policy";
    const SERVICE: Service = Service::Iam;
    // IAM has no API to rename, move or re-describe a managed policy.
    const REPLACE_FIELDS: &'static [&'static str] = &["name", "path", "description"];
    const ATTRIBUTES: &'static [Attribute] = &[Attribute::Arn];
    const NAME_MAX: usize = 128;
    const NAMES: Names = Names::UniqueIgnoringCase;
    const MAX_TAGS: usize = validate::MAX_TAGS;
    const UNOBSERVED: &'static [&'static str] = &[];

    fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    fn tags(&self) -> &BTreeMap<String, String> {
        &self.tags
    }

    fn protect(&self) -> bool {
        self.protect
    }

    /// `statements[i].<section>[j]`: every logical id a statement names.
    fn references(&self) -> Vec<FieldRef> {
        let mut out = Vec::new();
        for (i, st) in self.statements.iter().enumerate() {
            for (kind, ids) in &st.ids {
                for (j, id) in ids.iter().enumerate() {
                    out.push(FieldRef {
                        path: format!("statements[{i}].{}[{j}]", kind.section()),
                        reference: Reference::new(*kind, id.clone(), Attribute::Arn),
                    });
                }
            }
        }
        out
    }

    fn spec(&self, stack: &StackFile, _id: &str, known: &Known) -> Map<String, Value> {
        let mut spec = Map::new();
        spec.insert("path".into(), json!(path_for(&stack.stack)));
        if let Some(d) = &self.description {
            spec.insert("description".into(), json!(d));
        }
        let doc = iam_document::render(self, &|kind, id| {
            known.resolve(&Reference::new(kind, id, Attribute::Arn))
        });
        spec.insert("document".into(), json!(iam_document::to_pretty(&doc)));
        spec
    }

    fn validate(&self, v: &mut Validator<'_>, stack: &StackFile, id: &str) {
        validate::policy_rules(v, stack, id, self);
    }

    // A policy naming another policy is not something ivstack models.
    fn policy_arn_example(_region: &str, _account: &str) -> Option<String> {
        None
    }

    /// The ARNs its live document grants on.
    fn live_references(live: &Resource) -> Vec<LiveRef> {
        let Some(doc) = live
            .spec
            .get("document")
            .and_then(Value::as_str)
            .and_then(|d| serde_json::from_str::<Value>(d).ok())
        else {
            return Vec::new();
        };
        iam_document::resource_strings(&doc)
            .into_iter()
            .map(|value| LiveRef {
                attribute: Attribute::Arn,
                value,
                keeps_alive: false,
            })
            .collect()
    }

    async fn observe(aws: &Aws, stack: &StackFile) -> anyhow::Result<Vec<Resource>> {
        aws::observe(aws, &stack.stack).await
    }

    // An attached policy fails DeleteConflict with a hint; attachments are outside ivstack's model.
    async fn users_outside(
        _aws: &Aws,
        _stack: &StackFile,
        _observed: &[Resource],
        _going: &[&Resource],
    ) -> anyhow::Result<BTreeMap<String, Vec<String>>> {
        Ok(BTreeMap::new())
    }

    async fn create(aws: &Aws, _stack: &str, desired: &Resource) -> anyhow::Result<String> {
        aws::create(aws, desired).await
    }

    async fn update(aws: &Aws, desired: &Resource, live: &Resource) -> anyhow::Result<()> {
        aws::update(aws, desired, live).await
    }

    async fn delete(aws: &Aws, live: &Resource) -> anyhow::Result<()> {
        aws::delete(aws, live).await
    }

    async fn discover(aws: &Aws, wanted: &super::Wanted) -> anyhow::Result<Vec<Resource>> {
        aws::discover(aws, wanted).await
    }

    fn render(
        live: &Resource,
        ids: &super::LogicalIds,
        notes: &mut Vec<String>,
    ) -> Result<Self, String> {
        let text = live.spec["document"].as_str().unwrap_or("{}");
        let doc: Value =
            serde_json::from_str(text).map_err(|e| format!("its document is not JSON ({e})"))?;
        let path = live.spec["path"].as_str().unwrap_or("/");
        if !path.starts_with("/ivstack/") {
            notes.push(format!(
                "its IAM path is `{path}`: ivstack keeps a stack's policies under \
                 `/ivstack/<stack>/` and IAM cannot move a policy, so `ivstack import` refuses \
                 it; keep it unmanaged (delete this entry), or let `ivstack apply` create it \
                 anew under the stack's path (rename it first: IAM names are unique), move \
                 its attachments over, then delete the old one"
            ));
        }
        let mut policy = Policy {
            name: Some(live.name().to_string()),
            description: live.spec["description"]
                .as_str()
                .filter(|d| !d.is_empty())
                .map(str::to_string),
            tags: super::discover::own_tags(&live.tags),
            ..Policy::default()
        };
        match statements_of(&doc, ids) {
            Some(statements) => {
                let candidate = Policy {
                    statements,
                    ..policy.clone()
                };
                let back = iam_document::render(&candidate, &|kind, id| {
                    ids.physical_of(kind, id).unwrap_or_default().to_string()
                });
                if iam_document::equivalent(&back, &doc) {
                    return Ok(candidate);
                }
                notes.push(
                    "its document is kept as a raw `document`: `statements` would not say \
                     exactly the same"
                        .into(),
                );
            }
            None => notes.push(
                "its document uses constructs `statements` cannot express (NotAction, \
                 NotResource, Principal, non-string conditions...): kept as a raw `document`"
                    .into(),
            ),
        }
        policy.document = Some(doc);
        Ok(policy)
    }

    async fn adopt(
        aws: &Aws,
        live: &Resource,
        tags: &BTreeMap<String, String>,
    ) -> anyhow::Result<()> {
        aws::adopt(aws, live, tags).await
    }
}

/// A live document as `statements`, exact ARNs of discovered resources as logical ids;
/// `None` when it uses anything `statements` cannot say.
fn statements_of(doc: &Value, ids: &super::LogicalIds) -> Option<Vec<Statement>> {
    let list = match &doc["Statement"] {
        Value::Array(a) => a.clone(),
        Value::Object(_) => vec![doc["Statement"].clone()],
        _ => return None,
    };
    let strings = |v: &Value| -> Option<Vec<String>> {
        match v {
            Value::String(s) => Some(vec![s.clone()]),
            Value::Array(a) => a.iter().map(|x| x.as_str().map(str::to_string)).collect(),
            _ => None,
        }
    };
    let mut out = Vec::new();
    for st in &list {
        let obj = st.as_object()?;
        if obj
            .keys()
            .any(|k| !["Sid", "Effect", "Action", "Resource", "Condition"].contains(&k.as_str()))
        {
            return None;
        }
        let effect = match obj.get("Effect")?.as_str()? {
            "Allow" => None,
            "Deny" => Some(model::Effect::Deny),
            _ => return None,
        };
        let mut s = Statement {
            sid: obj.get("Sid").and_then(Value::as_str).map(str::to_string),
            effect,
            allow: strings(obj.get("Action")?)?,
            ..Statement::default()
        };
        for r in strings(obj.get("Resource")?)? {
            let kind = model::nameable_kinds().find(|k| ids.of(*k, &r).is_some());
            match kind.and_then(|k| ids.of(k, &r).map(|id| (k, id))) {
                Some((k, id)) => s.ids.entry(k).or_default().push(id.to_string()),
                None => s.resources.push(r),
            }
        }
        if let Some(c) = obj.get("Condition") {
            s.conditions = serde_json::from_value(c.clone()).ok()?;
        }
        out.push(s);
    }
    Some(out)
}
