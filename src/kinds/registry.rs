//! The kind registry: the one list of the resource kinds ivstack manages.
//!
//! The `registry!` macro below holds one entry per kind: the [`Kind`] variant, its name in plans
//! (`kind: stage`), its stack-file section and its stack-file type (which implements
//! [`ResourceKind`]). Everything that works across kinds is generated from this list, so it
//! cannot miss one:
//!
//! - [`Kind`] itself, `Kind::ALL` and every per-kind property (section, noun, service,
//!   replace-forcing fields, attributes, policy ARNs, live references, replace order);
//! - the sections of [`StackFile`] (`stack::model`), hence the JSON Schema, the YAML
//!   checker's field descriptions (`stack::check::describe`) and loading a partly valid
//!   file (`stack::load`);
//! - validation of every resource: tags, names, references, physical-name collisions, and
//!   the kind's own rules (`stack::validate`);
//! - policy statements' `<section>: [ids]` for every kind that IAM policies can name
//!   (`policy::Statement`);
//! - observation ([`observe_all`], the kinds concurrently, and [`users_outside_all`] for
//!   plans that delete), the desired side ([`desired`], [`desired_of`],
//!   [`references_of`], [`stack_links`]), files that resources name
//!   (`StackFile::read_files`) and apply's create / update / delete (`Kind::create`, ...);
//! - taking over what exists: [`discover_all`], `Kind::render` (`ivstack discover`) and
//!   `Kind::adopt` (`ivstack import`);
//! - placeholders `${<section>.<id>.<attribute>}` and their rendering in plans.
//!
//! # Adding a kind
//!
//! 1. A module `src/kinds/<kind>/` (one `pub mod` line in `kinds/mod.rs`) whose
//!    stack-file type implements [`ResourceKind`]: every item is required except
//!    `replace_order` and `attribute`, whose defaults follow from `NAMES` and
//!    `ATTRIBUTES`, and `read_files` (for kinds that name no files); the AWS calls live
//!    there too. A field AWS never reports back goes in `UNOBSERVED`; what outside the
//!    plan can hold on to a resource (and so block its delete) is `users_outside`.
//!    Its audit-side facts implement [`Audited`](super::audited::Audited) in
//!    `src/kinds/<kind>/audited.rs` (one `mod audited;` line): the fields holding IAM
//!    documents (grant changes in plans), its CloudFormation type and properties
//!    (`ivstack export`), the IAM permissions its calls need (`ivstack iam-policy`). No
//!    item has a default.
//! 2. One entry in `registry!` (its doc comment becomes the section's description in
//!    the schema). List a kind before the kinds that refer to it: that is the order plans
//!    list changes in (apply derives its own order from references).
//!
//! That is all ivstack's code needs. Outside the code: the README's stack-file reference,
//! `schema/ivstack.schema.json` (regenerate; a test fails until it is current), a
//! client-side rate in `aws::limits` if the service's default does not fit, and the
//! operations in the local endpoint (`crates/local`).
//!
//! What fails at compile time if forgotten: the module or its `mod` line (the entry names
//! its type), any trait item (none has a default but `replace_order`, `attribute` and
//! `read_files`), the
//! entry (the trait's `KIND` names a variant that does not exist yet), a wrong `KIND` (a
//! const assertion per entry), a new [`Service`] without a concurrency gate (`apply::Gates`
//! matches every service). Nothing fails at run time: there is no per-kind lookup table
//! that could miss an entry. What only tests catch: a stale committed schema, and `spec`
//! resolving other references than `references` declares (`plan::tests`).

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::audited::{Audited, Cfn, Permission, Scope};
use super::{
    Attribute, FieldRef, InUse, Known, LiveRef, LogicalIds, ReplaceOrder, Resource, ResourceKind,
    Service, Wanted,
};
use super::{Names, default_name, owned_tags};
use crate::aws::Aws;
use crate::stack::model::StackFile;
use crate::stack::validate::{self, Validator};

/// The registry. Calls `$then!` with one entry per kind:
/// `<doc> <Variant> = "<kind name>" in <section>: <stack-file type>;`.
macro_rules! registry {
    ($then:ident) => {
        $then! {
            /// IVS Real-Time storage configurations (the S3 buckets stages record to), by
            /// logical id.
            StorageConfiguration = "storage-configuration" in storage_configurations: $crate::kinds::storage_configuration::StorageConfiguration;
            /// IVS Real-Time encoder configurations (composition video settings), by logical id.
            EncoderConfiguration = "encoder-configuration" in encoder_configurations: $crate::kinds::encoder_configuration::EncoderConfiguration;
            /// IVS Real-Time public keys (for self-signed participant tokens), by logical id.
            PublicKey = "public-key" in public_keys: $crate::kinds::public_key::PublicKey;
            /// IVS Real-Time stages, by logical id.
            Stage = "stage" in stages: $crate::kinds::stage::Stage;
            /// IVS Real-Time ingest configurations (RTMP/RTMPS publishers of a stage), by
            /// logical id.
            IngestConfiguration = "ingest-configuration" in ingest_configurations: $crate::kinds::ingest_configuration::IngestConfiguration;
            /// Customer-managed IAM policies, by logical id.
            Policy = "policy" in policies: $crate::kinds::policy::Policy;
            /// CloudWatch alarms on `AWS/IVSRealTime` metrics, by logical id.
            Alarm = "alarm" in alarms: $crate::kinds::alarm::Alarm;
            /// AWS Budgets cost budgets, by logical id.
            Budget = "budget" in budgets: $crate::kinds::budget::Budget;
        }
    };
}
pub(crate) use registry;

/// Deserializes one stack-file section by its name; see [`StackFile::fill_sections`].
pub trait SectionSource {
    fn section<T: ResourceKind>(&mut self, name: &str) -> std::collections::BTreeMap<String, T>;
}

/// The desired form of one resource: the kind's spec plus the fields every kind has.
fn build<T: ResourceKind>(
    kind: Kind,
    stack: &StackFile,
    id: &str,
    model: &T,
    known: &Known,
) -> Resource {
    let mut spec = model.spec(stack, id, known);
    let name = model
        .name()
        .map(str::to_string)
        .unwrap_or_else(|| default_name(stack, id));
    spec.insert("name".into(), serde_json::Value::String(name));
    Resource {
        kind,
        id: id.to_string(),
        physical_id: None,
        spec,
        tags: owned_tags(stack, id, model.tags(), model.protect()),
    }
}

macro_rules! generate {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal in $section:ident : $ty:ty; )*) => {
        // Each entry's type must declare its own variant (a copy-pasted module that
        // still says `Kind::Stage` does not compile).
        $(
            const _: () = assert!(
                matches!(<$ty as ResourceKind>::KIND, Kind::$variant),
                concat!("the registry entry ", stringify!($variant), " names a type whose ResourceKind::KIND is another kind")
            );
        )*

        /// A resource kind. Plans and reports name it by [`Kind::as_str`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Kind {
            $( $variant, )*
        }

        impl Kind {
            /// Every kind, in registry order.
            pub const ALL: &'static [Kind] = &[$( Kind::$variant, )*];

            /// The kind's name in plans and reports: `stage`, `policy`, ...
            pub fn as_str(self) -> &'static str {
                match self { $( Kind::$variant => $name, )* }
            }

            /// Its stack-file section: `stages`, `policies`, ...
            pub fn section(self) -> &'static str {
                match self { $( Kind::$variant => stringify!($section), )* }
            }

            /// The kind in words, for messages.
            pub fn noun(self) -> &'static str {
                match self { $( Kind::$variant => <$ty as ResourceKind>::NOUN, )* }
            }

            /// The diagnostic code of a reference to a resource of this kind that the
            /// stack does not declare: `unknown-stage`.
            pub fn unknown_reference_code(self) -> &'static str {
                match self { $( Kind::$variant => concat!("unknown-", $name), )* }
            }

            pub fn service(self) -> Service {
                match self { $( Kind::$variant => <$ty as ResourceKind>::SERVICE, )* }
            }

            /// Spec fields whose change cannot be made in place: the resource is replaced.
            pub fn replace_fields(self) -> &'static [&'static str] {
                match self { $( Kind::$variant => <$ty as ResourceKind>::REPLACE_FIELDS, )* }
            }

            /// Spec fields AWS never reports back: never compared.
            pub fn unobserved_fields(self) -> &'static [&'static str] {
                match self { $( Kind::$variant => <$ty as ResourceKind>::UNOBSERVED, )* }
            }

            /// Attributes other resources can reference.
            pub fn attributes(self) -> &'static [Attribute] {
                match self { $( Kind::$variant => <$ty as ResourceKind>::ATTRIBUTES, )* }
            }

            pub fn names(self) -> Names {
                match self { $( Kind::$variant => <$ty as ResourceKind>::NAMES, )* }
            }

            pub fn name_max(self) -> usize {
                match self { $( Kind::$variant => <$ty as ResourceKind>::NAME_MAX, )* }
            }

            /// The value of an attribute of a live resource of this kind.
            pub fn attribute(self, physical_id: &str, attribute: Attribute) -> Option<String> {
                match self {
                    $( Kind::$variant => <$ty as ResourceKind>::attribute(physical_id, attribute), )*
                }
            }

            /// An ARN of realistic length, when IAM policy statements may name this kind.
            pub fn policy_arn_example(self, region: &str, account: &str) -> Option<String> {
                match self {
                    $( Kind::$variant => <$ty as ResourceKind>::policy_arn_example(region, account), )*
                }
            }

            /// Whether policy statements may name resources of this kind by logical id.
            pub fn in_policies(self) -> bool {
                self.policy_arn_example("us-east-1", "123456789012").is_some()
            }

            /// What a live resource of this kind refers to.
            pub fn live_references(self, live: &Resource) -> Vec<LiveRef> {
                match self {
                    $( Kind::$variant => <$ty as ResourceKind>::live_references(live), )*
                }
            }

            /// Spec fields holding IAM policy documents ([`Audited::IAM_DOCUMENTS`]).
            pub fn iam_documents(self) -> &'static [&'static str] {
                match self { $( Kind::$variant => <$ty as Audited>::IAM_DOCUMENTS, )* }
            }

            /// Its CloudFormation resource type ([`Audited::CFN_TYPE`]).
            pub fn cfn_type(self) -> &'static str {
                match self { $( Kind::$variant => <$ty as Audited>::CFN_TYPE, )* }
            }

            /// The `Fn::GetAtt` attribute that is its ARN in CloudFormation.
            pub fn cfn_arn_attribute(self) -> Option<&'static str> {
                match self { $( Kind::$variant => <$ty as Audited>::CFN_ARN_ATTRIBUTE, )* }
            }

            /// A desired resource of this kind as CloudFormation properties.
            pub fn cloudformation(self, desired: &Resource) -> Cfn {
                match self { $( Kind::$variant => <$ty as Audited>::cloudformation(desired), )* }
            }

            /// The IAM permissions ivstack's calls for this kind need in a stack.
            pub fn permissions(self, scope: &Scope<'_>) -> Vec<Permission> {
                match self { $( Kind::$variant => <$ty as Audited>::permissions(scope), )* }
            }

            pub fn replace_order(self, desired: &Resource, live: &Resource) -> ReplaceOrder {
                match self {
                    $( Kind::$variant => <$ty as ResourceKind>::replace_order(desired, live), )*
                }
            }

            /// The kind named `name` in plans.
            pub fn from_name(name: &str) -> Option<Kind> {
                match name { $( $name => Some(Kind::$variant), )* _ => None }
            }

            /// The kind of a stack-file section.
            pub fn from_section(section: &str) -> Option<Kind> {
                match section { $( stringify!($section) => Some(Kind::$variant), )* _ => None }
            }

            pub async fn create(self, aws: &Aws, stack: &str, desired: &Resource) -> anyhow::Result<String> {
                match self {
                    $( Kind::$variant => <$ty as ResourceKind>::create(aws, stack, desired).await, )*
                }
            }

            pub async fn update(self, aws: &Aws, desired: &Resource, live: &Resource) -> anyhow::Result<()> {
                match self {
                    $( Kind::$variant => <$ty as ResourceKind>::update(aws, desired, live).await, )*
                }
            }

            pub async fn delete(self, aws: &Aws, live: &Resource) -> anyhow::Result<()> {
                match self {
                    $( Kind::$variant => <$ty as ResourceKind>::delete(aws, live).await, )*
                }
            }

            /// Adopt a live resource no stack owns: add the ownership `tags` (see
            /// [`ResourceKind::adopt`]).
            pub async fn adopt(
                self,
                aws: &Aws,
                live: &Resource,
                tags: &std::collections::BTreeMap<String, String>,
            ) -> anyhow::Result<()> {
                match self {
                    $( Kind::$variant => <$ty as ResourceKind>::adopt(aws, live, tags).await, )*
                }
            }

            /// Every live resource of this kind, owned or not ([`ResourceKind::discover`]).
            pub async fn discover(self, aws: &Aws, wanted: &Wanted) -> anyhow::Result<Vec<Resource>> {
                match self {
                    $( Kind::$variant => <$ty as ResourceKind>::discover(aws, wanted).await, )*
                }
            }

            /// The stack-file form of a discovered resource of this kind, as JSON (see
            /// [`ResourceKind::render`]).
            pub fn render(
                self,
                live: &Resource,
                ids: &LogicalIds,
                notes: &mut Vec<String>,
            ) -> Result<serde_json::Value, String> {
                match self {
                    $( Kind::$variant => <$ty as ResourceKind>::render(live, ids, notes)
                        .and_then(|m| serde_json::to_value(m).map_err(|e| e.to_string())), )*
                }
            }
        }

        /// Every live resource of every kind in the account and region, owned or not
        /// ([`ResourceKind::discover`]), the kinds read concurrently.
        pub async fn discover_all(aws: &Aws) -> anyhow::Result<Vec<Resource>> {
            let wanted = Wanted::all();
            #[allow(non_snake_case)]
            let ($( $variant, )*) = tokio::try_join!(
                $( <$ty as ResourceKind>::discover(aws, &wanted), )*
            )?;
            let mut all = Vec::new();
            $( all.extend($variant); )*
            Ok(all)
        }

        /// Every live resource the stack owns, all kinds read concurrently (their services
        /// have independent rate limits).
        pub async fn observe_all(aws: &Aws, stack: &StackFile) -> anyhow::Result<Vec<Resource>> {
            #[allow(non_snake_case)]
            let ($( $variant, )*) = tokio::try_join!(
                $( <$ty as ResourceKind>::observe(aws, stack), )*
            )?;
            let mut all = Vec::new();
            $( all.extend($variant); )*
            Ok(all)
        }

        /// Of `going` (live resources a plan deletes or replaces, any kind), those that
        /// something the plan cannot see still uses ([`ResourceKind::users_outside`]).
        /// Only the kinds with something going are asked.
        pub async fn users_outside_all(
            aws: &Aws,
            stack: &StackFile,
            observed: &[Resource],
            going: &[&Resource],
        ) -> anyhow::Result<InUse> {
            let mut out = InUse::new();
            $(
                let mine: Vec<&Resource> =
                    going.iter().copied().filter(|r| r.kind == Kind::$variant).collect();
                if !mine.is_empty() {
                    let found =
                        <$ty as ResourceKind>::users_outside(aws, stack, observed, &mine).await?;
                    for (pid, users) in found {
                        out.insert((Kind::$variant, pid), users);
                    }
                }
            )*
            Ok(out)
        }

        /// Every desired resource, in registry order, references resolved against `known`.
        pub fn desired(stack: &StackFile, known: &Known) -> Vec<Resource> {
            let mut out = Vec::with_capacity(stack.resource_count());
            $(
                for (id, m) in &stack.$section {
                    out.push(build(Kind::$variant, stack, id, m, known));
                }
            )*
            out
        }

        /// The desired form of one resource, if the file declares it.
        pub fn desired_of(stack: &StackFile, kind: Kind, id: &str, known: &Known) -> Option<Resource> {
            match kind {
                $( Kind::$variant => stack.$section.get(id).map(|m| build(kind, stack, id, m, known)), )*
            }
        }

        /// The references every resource of the file makes, in registry order.
        pub fn references_of(stack: &StackFile) -> Vec<(Kind, &str, Vec<FieldRef>)> {
            let mut out = Vec::with_capacity(stack.resource_count());
            $(
                for (id, m) in &stack.$section {
                    out.push((Kind::$variant, id.as_str(), m.references()));
                }
            )*
            out
        }

        /// The resources of the file that watch the stack as a whole, with the words
        /// for it ([`ResourceKind::covers_stack`]), in registry order.
        pub fn stack_links(stack: &StackFile) -> Vec<(Kind, &str, &'static str)> {
            let mut out = Vec::new();
            $(
                for (id, m) in &stack.$section {
                    if let Some(what) = m.covers_stack() {
                        out.push((Kind::$variant, id.as_str(), what));
                    }
                }
            )*
            out
        }

        /// Validate every resource: the rules shared by all kinds, then the kind's own.
        pub(crate) fn validate_all(v: &mut Validator<'_>, stack: &StackFile) {
            $(
                for (id, m) in &stack.$section {
                    validate::resource_rules(v, Kind::$variant, stack, id, m);
                    m.validate(v, stack, id);
                }
                validate::physical_names(
                    v,
                    Kind::$variant,
                    stack,
                    stack.$section.iter().map(|(id, m)| (id.as_str(), m.name())),
                );
            )*
        }

        impl StackFile {
            /// The logical ids declared in a section.
            pub fn ids(&self, kind: Kind) -> Vec<&str> {
                match kind {
                    $( Kind::$variant => self.$section.keys().map(String::as_str).collect(), )*
                }
            }

            /// How many resources the file declares, all kinds.
            pub fn resource_count(&self) -> usize {
                0 $( + self.$section.len() )*
            }

            /// Fill every section from `source` (loading a file with errors keeps each
            /// resource that is well-formed).
            pub fn fill_sections(&mut self, source: &mut impl SectionSource) {
                $( self.$section = source.section(stringify!($section)); )*
            }

            /// Read the files resources name, relative to `dir` (the stack file's
            /// directory); see [`ResourceKind::read_files`].
            pub fn read_files(&mut self, dir: &std::path::Path) {
                $( self.$section.values_mut().for_each(|m| m.read_files(dir)); )*
            }
        }
    };
}

registry!(generate);

impl Serialize for Kind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Kind, D::Error> {
        let name = String::deserialize(d)?;
        Kind::from_name(&name).ok_or_else(|| {
            let known: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
            serde::de::Error::custom(format!(
                "unknown resource kind `{name}` (this ivstack knows {})",
                known.join(", ")
            ))
        })
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_sections_round_trip_for_every_kind() {
        for k in Kind::ALL {
            assert_eq!(Kind::from_name(k.as_str()), Some(*k));
            assert_eq!(Kind::from_section(k.section()), Some(*k));
            assert_eq!(
                serde_json::to_value(k).unwrap(),
                serde_json::json!(k.as_str())
            );
            let back: Kind = serde_json::from_value(serde_json::json!(k.as_str())).unwrap();
            assert_eq!(back, *k);
            assert_eq!(
                k.unknown_reference_code(),
                format!("unknown-{}", k.as_str())
            );
        }
        assert!(serde_json::from_value::<Kind>(serde_json::json!("dragon")).is_err());
        assert_eq!(
            Kind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
            [
                "storage-configuration",
                "encoder-configuration",
                "public-key",
                "stage",
                "ingest-configuration",
                "policy",
                "alarm",
                "budget",
            ],
            "plan JSON keeps its kind strings"
        );
    }

    #[test]
    fn policies_can_name_every_ivs_resource_kind() {
        let named: Vec<Kind> = Kind::ALL
            .iter()
            .copied()
            .filter(|k| k.in_policies())
            .collect();
        assert_eq!(
            named,
            [
                Kind::StorageConfiguration,
                Kind::EncoderConfiguration,
                Kind::PublicKey,
                Kind::Stage,
                Kind::IngestConfiguration
            ]
        );
        // The example ARNs are what IAM will see: the ARN resource type of each kind.
        for (kind, ty) in [
            (Kind::StorageConfiguration, "storage-configuration"),
            (Kind::EncoderConfiguration, "encoder-configuration"),
            (Kind::PublicKey, "public-key"),
            (Kind::IngestConfiguration, "ingest-configuration"),
        ] {
            let arn = kind
                .policy_arn_example("us-west-2", "123456789012")
                .unwrap();
            assert!(
                arn.starts_with(&format!("arn:aws:ivs:us-west-2:123456789012:{ty}/")),
                "{arn}"
            );
        }
    }
}
