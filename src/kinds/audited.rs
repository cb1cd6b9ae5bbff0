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

    /// The IAM permissions ivstack's own calls for this kind need in a stack (its
    /// observation, and with [`Mode::Apply`] its creates, updates, tags and deletes): the
    /// action names and the resource ARN patterns its calls name. `ivstack iam-policy`
    /// builds the policy from these; its test proves them against every recorded call.
    fn permissions(scope: &Scope<'_>) -> Vec<Permission>;
}

/// What a policy is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mode {
    /// `plan` (and `watch` without `--enforce`): read only.
    Plan,
    /// `apply` and `destroy`: observation plus every change.
    Apply,
}

/// Permissions some of ivstack's calls need.
#[derive(Debug, Clone, PartialEq)]
pub struct Permission {
    /// Plan permissions are needed by apply too.
    pub mode: Mode,
    /// `ivs:CreateStage`, ...
    pub actions: Vec<&'static str>,
    /// ARN patterns the calls name; `*` for actions without resource-level permissions.
    pub resources: Vec<String>,
}

impl Permission {
    pub fn new(mode: Mode, actions: &[&'static str], resources: Vec<String>) -> Permission {
        Permission {
            mode,
            actions: actions.to_vec(),
            resources,
        }
    }
}

/// The stack a kind's permissions are for.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    pub stack: &'a crate::stack::model::StackFile,
    /// The file's account, or `*` when it sets none.
    pub account: &'a str,
    /// Whether the file declares resources of this kind. Observation lists every kind
    /// whatever the file declares; reading and changing resources of a kind the file does
    /// not declare is not granted.
    pub declared: bool,
}

impl Scope<'_> {
    /// Every IVS resource of one ARN resource type in the stack's region and account:
    /// `arn:aws:ivs:us-west-2:123456789012:stage/*` (ids are random until created).
    pub fn ivs(&self, resource_type: &str) -> String {
        format!(
            "arn:aws:ivs:{}:{}:{resource_type}/*",
            self.stack.region, self.account
        )
    }

    /// The stack's default names (`<stack>-*`) and the explicit ones the file gives
    /// resources of a section, as `<prefix><name>` ARNs.
    pub fn names(&self, prefix: &str, explicit: impl IntoIterator<Item = String>) -> Vec<String> {
        let default = format!("{}-", self.stack.stack);
        let mut out = vec![format!("{prefix}{default}*")];
        for n in explicit {
            if !n.starts_with(&default) {
                out.push(format!("{prefix}{n}"));
            }
        }
        out.sort();
        out.dedup();
        out
    }
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
