//! IVS Real-Time stages (`stages.<id>`).
//!
//! Spec fields: `name`, `recording` (the auto-participant recording configuration, with
//! the stack-file field names; `recording.storage`, a storage configuration of the stack
//! by logical id, is its ARN `storage_configuration_arn`). Everything updates in place
//! (UpdateStage for name and recording, Tag/UntagResource for tags), so a stage is never
//! replaced: its ARN, which policies, alarms and ingest configurations name, stays stable.

mod audited;
mod aws;
pub mod model;

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

pub use model::{MediaType, Recording, Stage, ThumbnailMode, ThumbnailStorage, Thumbnails};

use super::discover::own_tags;
use super::{
    Attribute, FieldRef, Kind, Known, LiveRef, LogicalIds, Names, Reference, Resource,
    ResourceKind, Service, put,
};
use crate::aws::Aws;
use crate::stack::model::StackFile;
use crate::stack::validate::{self, Validator};

impl Stage {
    /// The storage configuration of the stack that the stage records to, if it names one.
    fn storage_ref(&self) -> Option<Reference> {
        let id = self.recording.as_ref()?.storage.as_ref()?;
        Some(Reference::new(
            Kind::StorageConfiguration,
            id.clone(),
            Attribute::Arn,
        ))
    }
}

impl ResourceKind for Stage {
    const KIND: Kind = Kind::Stage;
    const NOUN: &'static str = "stage";
    const SERVICE: Service = Service::Ivs;
    // UpdateStage changes the name and recording in place.
    const REPLACE_FIELDS: &'static [&'static str] = &[];
    // Policies name the ARN; alarms the id (the `Stage` dimension).
    const ATTRIBUTES: &'static [Attribute] = &[Attribute::Arn, Attribute::Id];
    const NAME_MAX: usize = 128;
    const NAMES: Names = Names::NotUnique;
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

    fn references(&self) -> Vec<FieldRef> {
        self.storage_ref()
            .map(|reference| FieldRef {
                path: "recording.storage".into(),
                reference,
            })
            .into_iter()
            .collect()
    }

    fn spec(&self, _stack: &StackFile, _id: &str, known: &Known) -> Map<String, Value> {
        let mut spec = Map::new();
        if let Some(rec) = &self.recording {
            let arn = match self.storage_ref() {
                Some(r) => known.resolve(&r),
                None => rec.storage_configuration_arn.clone().unwrap_or_default(),
            };
            spec.insert("recording".into(), Value::Object(recording_spec(rec, arn)));
        }
        spec
    }

    fn validate(&self, v: &mut Validator<'_>, stack: &StackFile, id: &str) {
        validate::stage_rules(v, stack, id, self);
    }

    fn policy_arn_example(region: &str, account: &str) -> Option<String> {
        Some(format!("arn:aws:ivs:{region}:{account}:stage/AbCdEfGhIjKl"))
    }

    fn live_references(live: &Resource) -> Vec<LiveRef> {
        // AWS refuses to delete a storage configuration while a stage records to it.
        live.spec
            .get("recording")
            .and_then(|r| r.get("storage_configuration_arn"))
            .and_then(Value::as_str)
            .filter(|arn| !arn.is_empty())
            .map(|arn| LiveRef {
                attribute: Attribute::Arn,
                value: arn.to_string(),
                keeps_alive: true,
            })
            .into_iter()
            .collect()
    }

    async fn observe(aws: &Aws, stack: &StackFile) -> anyhow::Result<Vec<Resource>> {
        aws::observe(aws, stack).await
    }

    // Nothing outside a stack holds on to a stage: deleting one ends its session and detaches its
    // ingest configurations, which AWS allows.
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

    fn render(live: &Resource, ids: &LogicalIds, notes: &mut Vec<String>) -> Result<Self, String> {
        let recording = live
            .spec
            .get("recording")
            .and_then(|r| render_recording(r, ids, notes));
        Ok(Stage {
            name: Some(live.name().to_string()),
            tags: own_tags(&live.tags),
            recording,
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

/// A live recording configuration in the stack-file form, AWS's defaults left out; `None`
/// when recording is disabled (AWS's default for a new stage).
fn render_recording(rec: &Value, ids: &LogicalIds, notes: &mut Vec<String>) -> Option<Recording> {
    let arn = rec["storage_configuration_arn"]
        .as_str()
        .unwrap_or_default();
    if arn.is_empty() {
        return None;
    }
    let storage = ids.of(Kind::StorageConfiguration, arn).map(str::to_string);
    let media: Option<Vec<MediaType>> = serde_json::from_value(rec["media_types"].clone()).ok();
    let t = &rec["thumbnails"];
    let mode: Option<ThumbnailMode> = serde_json::from_value(t["mode"].clone()).ok();
    let tstorage: Option<Vec<ThumbnailStorage>> = serde_json::from_value(t["storage"].clone()).ok();
    let thumbnails = Thumbnails {
        mode: mode.filter(|m| *m != ThumbnailMode::Disabled),
        interval_seconds: t["interval_seconds"]
            .as_i64()
            .map(|i| i as i32)
            .filter(|i| *i != 60),
        storage: tstorage.filter(|s| s.as_slice() != [ThumbnailStorage::Sequential]),
    };
    let int = |k: &str, default: i64| rec[k].as_i64().filter(|v| *v != default).map(|v| v as i32);
    Some(Recording {
        storage_configuration_arn: storage.is_none().then(|| arn.to_string()),
        storage,
        media_types: media.filter(|m| m.as_slice() != [MediaType::AudioVideo]),
        thumbnails: (thumbnails != Thumbnails::default()).then_some(thumbnails),
        hls_segment_seconds: int("hls_segment_seconds", 6),
        reconnect_window_seconds: int("reconnect_window_seconds", 0),
        // A stack file cannot say `false` (validation refuses it): left unmanaged.
        record_participant_replicas: {
            if rec["record_participant_replicas"].as_bool() == Some(false) {
                notes.push(
                    "records no participant replicas, which a stack file cannot say: \
                     `recording.record_participant_replicas` is left unmanaged"
                        .into(),
                );
            }
            None
        },
    })
}

/// Only the recording fields the file sets: the others are unmanaged. `arn` is where
/// recordings go (a storage configuration's ARN, or its placeholder). With recording
/// disabled (`""`), IVS resets and ignores every other field, so they are not managed
/// either (validation warns about them).
fn recording_spec(rec: &Recording, arn: String) -> Map<String, Value> {
    let mut r = Map::new();
    let disabled = arn.is_empty();
    r.insert("storage_configuration_arn".into(), json!(arn));
    if disabled {
        return r;
    }
    put(&mut r, "media_types", rec.media_types.clone());
    if let Some(t) = &rec.thumbnails {
        let mut tm = Map::new();
        put(&mut tm, "mode", t.mode);
        put(&mut tm, "interval_seconds", t.interval_seconds);
        // A set: sorted by its wire names, exactly as the observed side sorts it.
        put(
            &mut tm,
            "storage",
            t.storage.as_ref().map(|s| {
                let mut names: Vec<String> = s
                    .iter()
                    .filter_map(|x| serde_json::to_value(x).ok())
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect();
                names.sort();
                names.dedup();
                names
            }),
        );
        r.insert("thumbnails".into(), Value::Object(tm));
    }
    put(&mut r, "hls_segment_seconds", rec.hls_segment_seconds);
    put(
        &mut r,
        "reconnect_window_seconds",
        rec.reconnect_window_seconds,
    );
    put(
        &mut r,
        "record_participant_replicas",
        rec.record_participant_replicas,
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::desired_of;
    use crate::stack::load_str;

    const ARN: &str = "arn:aws:ivs:us-east-1:123456789012:storage-configuration/AbCd";

    fn stack(recording: &str) -> String {
        format!("stack: s\nregion: us-east-1\nstages:\n  main:\n    recording:\n{recording}")
    }

    #[test]
    fn disabled_recording_manages_only_the_storage_arn() {
        let loaded = load_str(
            "t.yaml",
            &stack("      storage_configuration_arn: \"\"\n      hls_segment_seconds: 4\n"),
        )
        .expect("valid with a warning");
        let d = desired_of(&loaded.model, Kind::Stage, "main", &Known::new()).unwrap();
        assert_eq!(
            d.spec["recording"],
            json!({"storage_configuration_arn": ""})
        );
        assert!(
            !loaded.warnings.is_empty(),
            "the ignored field is warned about"
        );
    }

    #[test]
    fn thumbnail_storage_is_sorted_like_the_observed_side() {
        let src = stack(&format!(
            "      storage_configuration_arn: {ARN}\n      thumbnails:\n        storage: [SEQUENTIAL, LATEST]\n"
        ));
        let loaded = load_str("t.yaml", &src).expect("valid");
        let d = desired_of(&loaded.model, Kind::Stage, "main", &Known::new()).unwrap();
        assert_eq!(
            d.spec["recording"]["thumbnails"]["storage"],
            json!(["LATEST", "SEQUENTIAL"])
        );
    }

    #[test]
    fn record_participant_replicas_false_is_refused() {
        let src = stack(&format!(
            "      storage_configuration_arn: {ARN}\n      record_participant_replicas: false\n"
        ));
        let err = load_str("t.yaml", &src).expect_err("refused");
        let text = err.render(false);
        assert!(text.contains("never sends `false`"), "{text}");
        assert!(text.contains("t.yaml:7:"), "{text}");
    }
}
