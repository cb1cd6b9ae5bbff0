//! IVS Real-Time encoder configurations (`encoder_configurations.<id>`): the video
//! settings of server-side compositions.
//!
//! Spec fields: `name`, `video` (only the fields the file sets; the others are unmanaged).
//! IVS has no update for them, so a change replaces the encoder configuration (created
//! first, then the old one deleted); tags update in place.

mod audited;
mod aws;
pub mod model;

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

pub use model::{EncoderConfiguration, Video};

use super::{
    Attribute, FieldRef, Kind, Known, LiveRef, Names, Resource, ResourceKind, Service, put,
};
use crate::aws::Aws;
use crate::stack::check::field_path;
use crate::stack::model::StackFile;
use crate::stack::validate::{self, Finish, Validator};

impl ResourceKind for EncoderConfiguration {
    const KIND: Kind = Kind::EncoderConfiguration;
    const NOUN: &'static str = "encoder configuration";
    const SERVICE: Service = Service::Ivs;
    // No UpdateEncoderConfiguration (CloudFormation: "Update requires: Replacement").
    const REPLACE_FIELDS: &'static [&'static str] = &["name", "video"];
    const ATTRIBUTES: &'static [Attribute] = &[Attribute::Arn];
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
        Vec::new()
    }

    fn spec(&self, _stack: &StackFile, _id: &str, _known: &Known) -> Map<String, Value> {
        let mut spec = Map::new();
        if let Some(v) = &self.video {
            let mut video = Map::new();
            put(&mut video, "width", v.width);
            put(&mut video, "height", v.height);
            put(&mut video, "framerate", v.framerate);
            put(&mut video, "bitrate", v.bitrate);
            spec.insert("video".into(), Value::Object(video));
        }
        spec
    }

    fn validate(&self, v: &mut Validator<'_>, _stack: &StackFile, id: &str) {
        let Some(video) = &self.video else { return };
        let base = field_path(&["encoder_configurations", id, "video"]);
        for (field, value) in [("width", video.width), ("height", video.height)] {
            if let Some(n) = value
                && n % 2 != 0
            {
                v.error(
                    "video",
                    &format!("{base}.{field}"),
                    format!(
                        "the video {field} of encoder configuration `{id}` must be an even number"
                    ),
                )
                .set_label(format!("found {n}"));
            }
        }
        let width = i64::from(video.width.unwrap_or(model::DEFAULT_WIDTH));
        let height = i64::from(video.height.unwrap_or(model::DEFAULT_HEIGHT));
        if width * height > model::MAX_PIXELS {
            let at = if video.height.is_some() {
                format!("{base}.height")
            } else {
                format!("{base}.width")
            };
            v.error(
                "video",
                &at,
                format!(
                    "encoder configuration `{id}` is {width}x{height} = {} pixels; IVS allows \
                     at most {} (1920x1080 or 1080x1920)",
                    width * height,
                    model::MAX_PIXELS
                ),
            )
            .set_help("fields left out count at their AWS defaults (1280x720)");
        }
        if let Some(f) = video.framerate
            && !f.is_finite()
        {
            v.error(
                "video",
                &format!("{base}.framerate"),
                format!("the framerate of encoder configuration `{id}` must be a number"),
            );
        }
    }

    fn policy_arn_example(region: &str, account: &str) -> Option<String> {
        Some(format!(
            "arn:aws:ivs:{region}:{account}:encoder-configuration/AbCdEfGhIjKl"
        ))
    }

    fn live_references(_live: &Resource) -> Vec<LiveRef> {
        Vec::new()
    }

    async fn observe(aws: &Aws, stack: &StackFile) -> anyhow::Result<Vec<Resource>> {
        aws::observe(aws, stack).await
    }

    // Compositions are what use an encoder configuration; they are ephemeral and outside
    // ivstack's model, so a delete that one blocks fails with AWS's conflict, explained.
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
        let arn = live.physical_id.as_deref().unwrap_or_default();
        super::ivs::update_tags(aws, arn, &desired.tags, &live.tags).await
    }

    async fn delete(aws: &Aws, live: &Resource) -> anyhow::Result<()> {
        aws::delete(aws, live).await
    }

    async fn discover(aws: &Aws, wanted: &super::Wanted) -> anyhow::Result<Vec<Resource>> {
        aws::discover(aws, wanted).await
    }

    fn render(
        live: &Resource,
        _ids: &super::LogicalIds,
        _notes: &mut Vec<String>,
    ) -> Result<Self, String> {
        let v = &live.spec["video"];
        let int = |k: &str, default: i32| v[k].as_i64().map(|x| x as i32).filter(|x| *x != default);
        let video = model::Video {
            width: int("width", model::DEFAULT_WIDTH),
            height: int("height", model::DEFAULT_HEIGHT),
            framerate: v["framerate"]
                .as_f64()
                .filter(|f| *f != model::DEFAULT_FRAMERATE),
            bitrate: int("bitrate", model::DEFAULT_BITRATE),
        };
        Ok(EncoderConfiguration {
            name: Some(live.name().to_string()),
            video: (video != model::Video::default()).then_some(video),
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

/// A framerate as IVS keeps it (a 32-bit float), read back at the precision it was
/// written with: `29.97` stays `29.97`, not `29.969999313354492`.
pub(crate) fn framerate_from_f32(f: f32) -> Value {
    let shortest: f64 = f.to_string().parse().unwrap_or(f64::from(f));
    json!(shortest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::desired_of;
    use crate::stack::load_str;

    fn stack(video: &str) -> String {
        format!("stack: s\nregion: us-east-1\nencoder_configurations:\n  hd:\n    video: {video}\n")
    }

    #[test]
    fn only_the_video_fields_the_file_sets_are_managed() {
        let loaded =
            load_str("t.yaml", &stack("{ width: 1280, framerate: 29.97 }")).expect("valid");
        let d = desired_of(
            &loaded.model,
            Kind::EncoderConfiguration,
            "hd",
            &Known::new(),
        )
        .expect("declared");
        assert_eq!(d.spec["video"], json!({"width": 1280, "framerate": 29.97}));
        assert_eq!(d.name(), "s-hd");
    }

    #[test]
    fn model_ranges_odd_sizes_and_too_many_pixels_are_refused() {
        let text = load_str("t.yaml", &stack("{ width: 1921 }"))
            .expect_err("refused")
            .render(false);
        assert!(
            text.contains("encoder_configurations.hd.video.width"),
            "{text}"
        );
        assert!(text.contains("1920"), "{text}");
        let text = load_str("t.yaml", &stack("{ width: 1279 }"))
            .expect_err("refused")
            .render(false);
        assert!(text.contains("must be an even number"), "{text}");
        assert!(text.contains("t.yaml:5:21"), "{text}");
        let text = load_str("t.yaml", &stack("{ width: 1920, height: 1920 }"))
            .expect_err("refused")
            .render(false);
        assert!(text.contains("3686400 pixels"), "{text}");
        for bad in [
            "{ framerate: 0.5 }",
            "{ framerate: 61 }",
            "{ bitrate: 8500001 }",
            "{ bitrate: 0 }",
            "{ height: 1 }",
        ] {
            assert!(load_str("t.yaml", &stack(bad)).is_err(), "{bad}");
        }
        // 1080x1920 (portrait) is exactly the limit.
        load_str(
            "t.yaml",
            &stack("{ width: 1080, height: 1920, framerate: 60, bitrate: 8500000 }"),
        )
        .expect("valid");
    }

    #[test]
    fn a_32_bit_framerate_reads_back_as_written() {
        assert_eq!(framerate_from_f32(29.97_f64 as f32), json!(29.97));
        assert_eq!(framerate_from_f32(30.0), json!(30.0));
        assert!(crate::kinds::same(&framerate_from_f32(30.0), &json!(30)));
    }
}
