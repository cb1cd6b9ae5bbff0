//! IVS Real-Time ingest configurations (`ingest_configurations.<id>`): RTMP(S) publishers
//! that join a stage with their own stream key.
//!
//! Spec fields: `name`, `stage` (the stage's ARN, `""` for none; the file names the stage
//! by logical id), `ingest_protocol`, and when the file sets them `user_id`, `attributes`,
//! `insecure_ingest`, `redundant_ingest`. UpdateIngestConfiguration changes only the stage
//! and redundant ingest, so those update in place and the others replace.
//! `insecure_ingest` is never returned by AWS: it is sent on creation and not compared.
//!
//! The stream key is a secret. It is never part of a [`Resource`] (so never in a plan, a
//! saved plan or JSON output), and the responses that carry it (Create, Get, Update) are
//! dropped field by field.

mod audited;
mod aws;
pub mod model;

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

pub use model::{IngestConfiguration, IngestProtocol};

use super::{
    Attribute, FieldRef, Kind, Known, LiveRef, Names, Reference, Resource, ResourceKind, Service,
    put,
};
use crate::aws::Aws;
use crate::stack::check::field_path;
use crate::stack::model::StackFile;
use crate::stack::validate::{self, Finish, Validator};

impl IngestConfiguration {
    fn stage_ref(&self) -> Option<Reference> {
        self.stage
            .as_ref()
            .map(|s| Reference::new(Kind::Stage, s.clone(), Attribute::Arn))
    }
}

impl ResourceKind for IngestConfiguration {
    const KIND: Kind = Kind::IngestConfiguration;
    const NOUN: &'static str = "ingest configuration";
    const SERVICE: Service = Service::Ivs;
    // UpdateIngestConfiguration takes only `stageArn` and `redundantIngest`.
    const REPLACE_FIELDS: &'static [&'static str] = &[
        "name",
        "ingest_protocol",
        "user_id",
        "attributes",
        "insecure_ingest",
    ];
    const ATTRIBUTES: &'static [Attribute] = &[Attribute::Arn];
    const NAME_MAX: usize = 128;
    const NAMES: Names = Names::NotUnique;
    const MAX_TAGS: usize = validate::MAX_TAGS;
    // Neither GetIngestConfiguration nor the list returns it.
    const UNOBSERVED: &'static [&'static str] = &["insecure_ingest"];

    fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    fn tags(&self) -> &BTreeMap<String, String> {
        &self.tags
    }

    fn protect(&self) -> bool {
        self.protect
    }

    fn references(&self) -> Vec<FieldRef> {
        self.stage_ref()
            .map(|reference| FieldRef {
                path: "stage".into(),
                reference,
            })
            .into_iter()
            .collect()
    }

    fn spec(&self, _stack: &StackFile, _id: &str, known: &Known) -> Map<String, Value> {
        let mut spec = Map::new();
        // No stage is `""` on the wire: attached to nothing, managed as such.
        let stage = self
            .stage_ref()
            .map(|r| known.resolve(&r))
            .unwrap_or_default();
        spec.insert("stage".into(), json!(stage));
        spec.insert(
            "ingest_protocol".into(),
            json!(self.ingest_protocol.as_str()),
        );
        put(&mut spec, "user_id", self.user_id.clone());
        put(&mut spec, "attributes", self.attributes.clone());
        put(&mut spec, "insecure_ingest", self.insecure_ingest);
        put(&mut spec, "redundant_ingest", self.redundant_ingest);
        spec
    }

    fn validate(&self, v: &mut Validator<'_>, _stack: &StackFile, id: &str) {
        let base = field_path(&["ingest_configurations", id]);
        if self.ingest_protocol == IngestProtocol::Rtmp && self.insecure_ingest != Some(true) {
            let at = if self.insecure_ingest.is_some() {
                format!("{base}.insecure_ingest")
            } else {
                format!("{base}.ingest_protocol")
            };
            v.error(
                "ingest",
                &at,
                format!("ingest configuration `{id}` uses RTMP, which AWS allows only with `insecure_ingest: true`"),
            )
            .set_help("use `ingest_protocol: RTMPS` (encrypted), or add `insecure_ingest: true`");
        }
        if let Some(attributes) = &self.attributes {
            let bytes: usize = attributes.iter().map(|(k, v)| k.len() + v.len()).sum();
            if bytes > model::MAX_ATTRIBUTE_BYTES {
                v.error_key(
                    "ingest",
                    &format!("{base}.attributes"),
                    format!(
                        "the attributes of ingest configuration `{id}` are {bytes} bytes; AWS \
                         allows {} in total (keys and values)",
                        model::MAX_ATTRIBUTE_BYTES
                    ),
                );
            }
        }
    }

    fn policy_arn_example(region: &str, account: &str) -> Option<String> {
        Some(format!(
            "arn:aws:ivs:{region}:{account}:ingest-configuration/AbCdEfGhIjKl"
        ))
    }

    /// The stage it publishes to. Not a hold: deleting a stage detaches its ingest
    /// configurations.
    fn live_references(live: &Resource) -> Vec<LiveRef> {
        live.spec
            .get("stage")
            .and_then(Value::as_str)
            .filter(|arn| !arn.is_empty())
            .map(|arn| LiveRef {
                attribute: Attribute::Arn,
                value: arn.to_string(),
                keeps_alive: false,
            })
            .into_iter()
            .collect()
    }

    async fn observe(aws: &Aws, stack: &StackFile) -> anyhow::Result<Vec<Resource>> {
        aws::observe(aws, stack).await
    }

    // Nothing holds on to an ingest configuration.
    async fn users_outside(
        _aws: &Aws,
        _stack: &StackFile,
        _observed: &[Resource],
        _going: &[&Resource],
    ) -> anyhow::Result<BTreeMap<String, Vec<String>>> {
        Ok(BTreeMap::new())
    }

    async fn create(aws: &Aws, stack: &str, desired: &Resource) -> anyhow::Result<String> {
        aws::create(aws, stack, desired).await
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
        _notes: &mut Vec<String>,
    ) -> Result<Self, String> {
        let stage_arn = live.spec["stage"].as_str().unwrap_or_default();
        let stage =
            if stage_arn.is_empty() {
                None
            } else {
                // A stack file names its stage by logical id only.
                Some(ids.of(Kind::Stage, stage_arn).map(str::to_string).ok_or_else(|| {
                format!(
                    "it publishes to stage {stage_arn}, which this file does not describe \
                     (a stack file names the stage of an ingest configuration by logical id)"
                )
            })?)
            };
        let protocol = if live.spec["ingest_protocol"].as_str() == Some("RTMP") {
            IngestProtocol::Rtmp
        } else {
            IngestProtocol::Rtmps
        };
        let attributes: BTreeMap<String, String> =
            serde_json::from_value(live.spec["attributes"].clone()).unwrap_or_default();
        Ok(IngestConfiguration {
            name: Some(live.name().to_string()),
            stage,
            ingest_protocol: protocol,
            user_id: live.spec["user_id"]
                .as_str()
                .filter(|u| !u.is_empty())
                .map(str::to_string),
            attributes: (!attributes.is_empty()).then_some(attributes),
            // AWS never reports it back, but allows RTMP only with it.
            insecure_ingest: (protocol == IngestProtocol::Rtmp).then_some(true),
            redundant_ingest: live.spec["redundant_ingest"].as_bool().filter(|r| *r),
            tags: super::discover::own_tags(&live.tags),
            protect: false,
        })
    }

    async fn adopt(
        aws: &Aws,
        live: &Resource,
        tags: &BTreeMap<String, String>,
    ) -> anyhow::Result<()> {
        super::ivs::adopt(aws, live, tags).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::desired_of;
    use crate::stack::load_str;

    const STACK: &str = "stack: s\nregion: us-east-1\nstages:\n  main: {}\ningest_configurations:\n  studio:\n    stage: main\nFIELDS";

    fn load(fields: &str) -> Result<crate::stack::LoadedStack, crate::stack::Diagnostics> {
        load_str("t.yaml", &STACK.replace("FIELDS", fields))
    }

    #[test]
    fn the_stage_is_a_reference_and_unset_fields_are_unmanaged() {
        let loaded = load("    ingest_protocol: RTMPS\n").expect("valid");
        let d = desired_of(
            &loaded.model,
            Kind::IngestConfiguration,
            "studio",
            &Known::new(),
        )
        .unwrap();
        assert_eq!(
            Value::Object(d.spec.clone()),
            json!({"name": "s-studio", "stage": "${stages.main.arn}", "ingest_protocol": "RTMPS"})
        );
        let mut known = Known::new();
        known.insert(
            Kind::Stage,
            "main",
            "arn:aws:ivs:us-east-1:123456789012:stage/AbCd",
        );
        let d = desired_of(&loaded.model, Kind::IngestConfiguration, "studio", &known).unwrap();
        assert_eq!(
            d.spec["stage"],
            json!("arn:aws:ivs:us-east-1:123456789012:stage/AbCd")
        );
    }

    #[test]
    fn rtmp_without_insecure_ingest_and_big_attributes_are_refused() {
        let text = load("    ingest_protocol: RTMP\n")
            .expect_err("refused")
            .render(false);
        assert!(text.contains("only with `insecure_ingest: true`"), "{text}");
        assert!(text.contains("t.yaml:8:22"), "{text}");
        load("    ingest_protocol: RTMP\n    insecure_ingest: true\n").expect("valid");
        let big = format!(
            "    ingest_protocol: RTMPS\n    attributes: {{ a: {} }}\n",
            "x".repeat(1024)
        );
        let text = load(&big).expect_err("refused").render(false);
        assert!(text.contains("1025 bytes"), "{text}");
        let text = load("    ingest_protocol: RTMPX\n")
            .expect_err("refused")
            .render(false);
        assert!(text.contains("RTMPS"), "{text}");
        let long = format!(
            "    ingest_protocol: RTMPS\n    user_id: {}\n",
            "u".repeat(129)
        );
        assert!(load(&long).is_err());
    }

    #[test]
    fn an_unknown_stage_gets_a_suggestion() {
        let src = STACK
            .replace("stage: main", "stage: mian")
            .replace("FIELDS", "    ingest_protocol: RTMPS\n");
        let text = load_str("t.yaml", &src).expect_err("refused").render(false);
        assert!(text.contains("there is no stage `mian`"), "{text}");
        assert!(text.contains("did you mean `main`?"), "{text}");
        assert!(
            text.contains("ingest_configurations.studio.stage"),
            "{text}"
        );
    }
}
