//! Resource kinds: one module per kind, and the registry that lists them.
//!
//! Every kind turns both sides of a comparison into the same common form, [`Resource`]:
//! the desired side from its stack-file section, the observed side from what AWS returns.
//! The planner only ever sees `Resource`s, so it stays a pure function that knows nothing
//! about AWS. What a kind is — its section, its references, its fields that force a
//! replace, its service, its AWS calls — is the [`ResourceKind`] trait, implemented by the
//! kind's stack-file type; [`registry`] lists the kinds, and everything that works across
//! kinds (observation, the planner, apply, validation, the schema, the renderings)
//! iterates that one list. How to add a kind is written down there.

pub mod alarm;
pub mod audited;
pub mod budget;
pub mod discover;
pub mod encoder_configuration;
pub mod iam_document;
pub mod ingest_configuration;
pub mod ivs;
pub mod policy;
pub mod public_key;
pub mod refs;
pub mod registry;
pub mod stage;
pub mod storage_configuration;

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::path::Path;

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::aws::Aws;
use crate::stack::model::StackFile;
use crate::stack::validate::Validator;

pub use discover::{LogicalIds, Wanted};
pub use refs::{
    Attribute, FieldRef, Known, LiveRef, Reference, has_placeholder, placeholders,
    placeholders_in_spec, resolve_placeholders,
};
pub use registry::{
    Kind, desired, desired_of, discover_all, observe_all, references_of, stack_links,
    users_outside_all,
};

/// Live resources that something the plan cannot see uses in a way AWS enforces (a
/// storage configuration that a stage outside the stack records to): by kind and physical
/// id, who uses it, in words. The planner refuses to delete or replace them.
pub type InUse = BTreeMap<(Kind, String), Vec<String>>;

/// Tag that names the owning stack.
pub const TAG_STACK: &str = "ivstack:stack";
/// Tag that names the logical id within the stack.
pub const TAG_ID: &str = "ivstack:id";
/// Tag that protects a resource from deletion; kept on the live resource so the protection
/// survives deleting the YAML (unlike Terraform's `prevent_destroy`).
pub const TAG_PROTECT: &str = "ivstack:protect";

/// The AWS service a kind talks to. Apply bounds concurrency per service (two IVS kinds
/// share IVS's gate), because that is where the rate limits are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Service {
    Ivs,
    Iam,
    CloudWatch,
    Budgets,
}

/// How AWS treats a kind's physical names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Names {
    /// Several resources may share a name (IVS): ivstack still flags two in one stack.
    NotUnique,
    /// Unique in the account and region (CloudWatch alarms, budgets).
    Unique,
    /// Unique regardless of case (IAM).
    UniqueIgnoringCase,
}

/// In which order a replace runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplaceOrder {
    /// Create the new resource, let referrers move to it, then delete the old one.
    CreateFirst,
    /// Delete the old resource first (AWS would refuse a second one with the same name).
    DeleteFirst,
}

/// One resource kind. Implemented by the kind's stack-file type (the value under
/// `<section>.<id>`), so the type, its behaviour and its registry entry cannot drift
/// apart. Nothing has a default that could silently do the wrong thing for a new kind,
/// except [`ResourceKind::replace_order`], whose default follows from [`Self::NAMES`].
pub trait ResourceKind:
    DeserializeOwned + Serialize + JsonSchema + Clone + PartialEq + fmt::Debug + Send + Sync + 'static
{
    /// Its registry entry. Names a variant that exists only once the kind is registered,
    /// and the registry checks at compile time that each entry's type names its own.
    const KIND: Kind;
    /// The kind in words, for messages: `stage`, `storage configuration`.
    const NOUN: &'static str;
    /// The AWS service its calls go to (its concurrency gate in apply).
    const SERVICE: Service;
    /// Spec fields whose change cannot be made in place: the resource is replaced.
    const REPLACE_FIELDS: &'static [&'static str];
    /// Attributes other resources can reference (`${<section>.<id>.<attribute>}`).
    const ATTRIBUTES: &'static [Attribute];
    /// Longest physical name AWS accepts.
    const NAME_MAX: usize;
    /// Whether AWS keeps physical names unique.
    const NAMES: Names;
    /// Most tags AWS accepts on one resource (ivstack's ownership tags included).
    const MAX_TAGS: usize;
    /// Spec fields that AWS takes on creation but never reports back (an ingest
    /// configuration's `insecure_ingest`): sent by `create`, never compared, so a change
    /// of one is invisible to plans. Listed so the planner does not see them as drift.
    const UNOBSERVED: &'static [&'static str];

    // --- The stack-file side -----------------------------------------------------------

    /// The explicit physical name, if the file sets one (default: `<stack>-<id>`).
    fn name(&self) -> Option<&str>;
    /// The resource's own tags (merged over the stack's).
    fn tags(&self) -> &BTreeMap<String, String>;
    /// `protect: true`.
    fn protect(&self) -> bool;
    /// Every field that names another resource of the stack, with where it is written.
    /// [`Self::spec`] must resolve exactly these through its `known` (a registry test
    /// checks the two agree).
    fn references(&self) -> Vec<FieldRef>;
    /// The desired spec, every field but `name` (added from [`Self::name`]), references
    /// resolved through `known`.
    fn spec(&self, stack: &StackFile, id: &str, known: &Known) -> Map<String, Value>;
    /// Rules of this kind that the schema cannot express. Tags, names and references are
    /// checked for every kind already (`stack::validate`).
    fn validate(&self, v: &mut Validator<'_>, stack: &StackFile, id: &str);
    /// Read the files a resource names (a public key's `public_key_file`), relative to
    /// the stack file's directory `dir`, into the model, before validation sees it. Read
    /// failures are kept for [`Self::validate`] to report at the field. Most kinds name no
    /// files.
    fn read_files(&mut self, _dir: &Path) {}
    /// What the resource watches of its stack as a whole rather than of one resource (a
    /// budget on the stack's spend), in a few words: the label of its edge to the stack in
    /// pictures of the stack (`ivstack graph`). Most kinds name resources only.
    fn covers_stack(&self) -> Option<&'static str> {
        None
    }

    // --- Being referred to -------------------------------------------------------------

    /// The value of an attribute of the live resource with this physical id.
    fn attribute(physical_id: &str, attribute: Attribute) -> Option<String> {
        Self::ATTRIBUTES
            .contains(&attribute)
            .then(|| attribute.of_arn(physical_id))
    }
    /// IAM policy statements may name resources of this kind (`<section>: [ids]`, each
    /// rendered as the exact ARN) when this returns an ARN of realistic length for the
    /// region and account, used to estimate policy sizes before the resource exists.
    fn policy_arn_example(region: &str, account: &str) -> Option<String>;
    /// What a live resource of this kind refers to, read from its observed form.
    fn live_references(live: &Resource) -> Vec<LiveRef>;
    /// Create-before-delete unless AWS keeps the (unchanged) name unique.
    fn replace_order(desired: &Resource, live: &Resource) -> ReplaceOrder {
        if Self::NAMES == Names::NotUnique || !same_name(Self::NAMES, desired, live) {
            ReplaceOrder::CreateFirst
        } else {
            ReplaceOrder::DeleteFirst
        }
    }

    // --- AWS ---------------------------------------------------------------------------

    /// Every live resource of this kind that the stack owns, with the fewest calls.
    fn observe(
        aws: &Aws,
        stack: &StackFile,
    ) -> impl Future<Output = anyhow::Result<Vec<Resource>>> + Send;
    /// Of `going` (live resources of this kind that a plan deletes or replaces), those
    /// that something the plan cannot see uses in a way AWS enforces — a resource outside
    /// the stack, or a field of the stack's own that the file does not manage — by
    /// physical id, with who uses it in words. `observed` is everything observation found
    /// (what the plan can see). Called only when a plan deletes or replaces something of
    /// this kind; kinds that nothing can hold on to answer with no calls.
    fn users_outside(
        aws: &Aws,
        stack: &StackFile,
        observed: &[Resource],
        going: &[&Resource],
    ) -> impl Future<Output = anyhow::Result<BTreeMap<String, Vec<String>>>> + Send;
    /// Create; returns the physical id.
    fn create(
        aws: &Aws,
        stack: &str,
        desired: &Resource,
    ) -> impl Future<Output = anyhow::Result<String>> + Send;
    /// Change in place everything the plan lists.
    fn update(
        aws: &Aws,
        desired: &Resource,
        live: &Resource,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;
    /// Delete; a resource that is already gone counts as deleted.
    fn delete(aws: &Aws, live: &Resource) -> impl Future<Output = anyhow::Result<()>> + Send;

    // --- Taking over what exists (`discover`, `import`) --------------------------------

    /// Every live resource of this kind in the account and region that ivstack can
    /// describe and `wanted` wants, whoever owns it (any stack, or none), with every field
    /// [`Self::render`] needs, read with the fewest calls (per-resource reads only for what
    /// is wanted). `id` is the `ivstack:id` tag, "" when unowned.
    fn discover(
        aws: &Aws,
        wanted: &Wanted,
    ) -> impl Future<Output = anyhow::Result<Vec<Resource>>> + Send;
    /// The stack-file form of a discovered resource: its explicit name, fields equal to
    /// AWS's defaults left out, references to other discovered resources as logical ids
    /// (`ids`), its own tags ([`discover::own_tags`]). What the form cannot say faithfully
    /// is added to `notes`, in words; `Err` says why the resource cannot be described at
    /// all (it is then listed as skipped, never silently dropped).
    fn render(live: &Resource, ids: &LogicalIds, notes: &mut Vec<String>) -> Result<Self, String>;
    /// Adopt a live resource no stack owns (`ivstack import`): add `tags` (the ownership
    /// tags) to it, and change nothing else. Its identity (ARN) stays.
    fn adopt(
        aws: &Aws,
        live: &Resource,
        tags: &BTreeMap<String, String>,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;
}

fn same_name(names: Names, a: &Resource, b: &Resource) -> bool {
    match names {
        Names::UniqueIgnoringCase => a.name().to_lowercase() == b.name().to_lowercase(),
        _ => a.name() == b.name(),
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

/// For `skip_serializing_if` on `protect` fields.
pub(crate) fn is_false(b: &bool) -> bool {
    !*b
}
