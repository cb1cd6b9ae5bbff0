//! What auditing commands need to know about a kind, kept apart from [`ResourceKind`] so
//! these additions stay in files of their own (`src/kinds/<kind>/audited.rs`).
//!
//! The registry calls [`Audited`] for every entry, so a kind without an implementation
//! does not compile, and no item has a default that could silently be wrong for a new
//! kind.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::{Resource, ResourceKind};

/// Audit-side facts of a kind.
pub trait Audited: ResourceKind {
    /// Spec fields that hold an IAM policy document (canonical JSON text). Plans show a
    /// change of one as grants added and removed, before its line diff.
    const IAM_DOCUMENTS: &'static [&'static str];

    /// The CloudFormation resource type (`AWS::IVS::Stage`).
    const CFN_TYPE: &'static str;
    /// The `Fn::GetAtt` attribute of that type that is the resource's ARN (`Arn`,
    /// `PolicyArn`), or `None` when it has none (then nothing may reference the kind's
    /// ARN: `ivstack export` reports it).
    const CFN_ARN_ATTRIBUTE: Option<&'static str>;

    /// The resource as CloudFormation properties, from its desired form (`desired.spec`
    /// with references as placeholders `${<section>.<id>.<attribute>}`, which the exporter
    /// turns into `Fn::GetAtt`; `desired.tags` with the ownership tags).
    fn cloudformation(desired: &Resource) -> Cfn;
}

/// One resource as CloudFormation sees it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cfn {
    /// `Properties`, placeholders still in.
    pub properties: Map<String, Value>,
    /// Extra `Metadata` of the resource: what the type cannot carry but loses nothing
    /// AWS acts on (a managed policy's tags).
    pub metadata: Map<String, Value>,
    /// Stack-file fields CloudFormation cannot express, relative to the resource
    /// (`attributes`), each with why.
    pub unsupported: Vec<Unsupported>,
}

/// A field of the stack file with no CloudFormation equivalent.
#[derive(Debug, Clone, PartialEq)]
pub struct Unsupported {
    /// The field, relative to the resource: `recording.record_participant_replicas`.
    pub field: String,
    /// Why, in words.
    pub why: String,
}

impl Cfn {
    /// Set `key` to `value` when there is one.
    pub fn put(&mut self, key: &str, value: Option<Value>) {
        if let Some(v) = value.filter(|v| !v.is_null()) {
            self.properties.insert(key.to_string(), v);
        }
    }

    /// Record that `field` cannot be expressed, when the spec sets it.
    pub fn unsupported_if(&mut self, spec: &Map<String, Value>, path: &[&str], why: &str) {
        let mut v = Some(spec);
        let mut found = None;
        for (i, key) in path.iter().enumerate() {
            let Some(map) = v else { break };
            match map.get(*key) {
                Some(x) if i + 1 == path.len() => found = Some(x),
                Some(Value::Object(m)) => v = Some(m),
                _ => break,
            }
        }
        if found.is_some_and(|x| !x.is_null()) {
            self.unsupported.push(Unsupported {
                field: path.join("."),
                why: why.to_string(),
            });
        }
    }
}

/// Tags as CloudFormation's `[{Key, Value}]` list, sorted by key.
pub fn tag_list(tags: &BTreeMap<String, String>) -> Value {
    Value::Array(
        tags.iter()
            .map(|(k, v)| json!({"Key": k, "Value": v}))
            .collect(),
    )
}

/// A spec field, when present and not null.
pub fn field(spec: &Map<String, Value>, key: &str) -> Option<Value> {
    spec.get(key).filter(|v| !v.is_null()).cloned()
}

/// A spec list field, when present and not empty.
pub fn non_empty(spec: &Map<String, Value>, key: &str) -> Option<Value> {
    spec.get(key)
        .filter(|v| v.as_array().is_some_and(|a| !a.is_empty()))
        .cloned()
}
