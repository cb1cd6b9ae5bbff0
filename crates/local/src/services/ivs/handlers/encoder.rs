//! Encoder configurations: the transcoding settings of server-side compositions.
//! Immutable: there is no update operation.

use std::collections::BTreeMap;

use super::{arn, check_quota, find, new_id, page, region, validation};
use crate::api::ApiError;
use crate::document::Document;
use crate::service::Ctx;
use crate::services::ivs::ENCODER_CONFIGURATIONS;
use crate::services::ivs::state::{EncoderConfigurationRecord, IvsRegion, Video};
use crate::tags::{self, TagFormat};

/// "The maximum total pixels is 2073600 (1920x1080 or 1080x1920)" (model, `Video`).
const MAX_PIXELS: i64 = 2_073_600;

fn encoders(r: &mut IvsRegion) -> &mut BTreeMap<String, EncoderConfigurationRecord> {
    &mut r.encoder_configurations
}

/// `video` with the model's defaults for the members not given, and the rules the model
/// states in prose (even dimensions, at most 1920x1080 pixels in total).
fn video(doc: Option<&Document>) -> Result<Video, ApiError> {
    let d = Video::default();
    let Some(doc) = doc else {
        return Ok(d);
    };
    let v = Video {
        width: doc.get_i64("width").unwrap_or(d.width),
        height: doc.get_i64("height").unwrap_or(d.height),
        framerate: doc
            .get("framerate")
            .and_then(Document::as_f64)
            .unwrap_or(d.framerate),
        bitrate: doc.get_i64("bitrate").unwrap_or(d.bitrate),
    };
    for (member, n) in [("width", v.width), ("height", v.height)] {
        if n % 2 != 0 {
            return Err(validation(format!(
                "video.{member}: must be an even number, got {n}"
            )));
        }
    }
    if v.width * v.height > MAX_PIXELS {
        return Err(validation(format!(
            "video: {}x{} is {} pixels; the maximum is {MAX_PIXELS} (1920x1080 or 1080x1920)",
            v.width,
            v.height,
            v.width * v.height
        )));
    }
    Ok(v)
}

pub fn create_encoder_configuration(
    ctx: &mut Ctx<'_>,
    input: Document,
) -> Result<Document, ApiError> {
    let name = input.get_str("name").unwrap_or_default().to_string();
    let video = video(input.get("video"))?;
    let new_tags = tags::read(&input, "tags", TagFormat::Map);
    tags::check_new(&new_tags, &super::TAGGING.rules)?;
    let count = region(ctx).encoder_configurations.len();
    check_quota(ctx, &ENCODER_CONFIGURATIONS, count)?;
    let id = new_id(&region(ctx).encoder_configurations);
    let record = EncoderConfigurationRecord {
        arn: arn(ctx, "encoder-configuration", &id),
        name,
        video,
        tags: new_tags.into_iter().collect(),
    };
    let out = record.to_document();
    region(ctx).encoder_configurations.insert(id, record);
    Ok(Document::from_pairs([("encoderConfiguration", out)]))
}

pub fn get_encoder_configuration(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    let arn = input.get_str("arn").unwrap_or_default();
    let c = find(ctx, arn, "encoder-configuration", encoders)?;
    Ok(Document::from_pairs([(
        "encoderConfiguration",
        c.to_document(),
    )]))
}

pub fn list_encoder_configurations(
    ctx: &mut Ctx<'_>,
    input: Document,
) -> Result<Document, ApiError> {
    let all = ctx
        .state
        .ivs
        .regions
        .get(ctx.region)
        .map(|r| &r.encoder_configurations);
    page(
        all.into_iter().flatten(),
        "encoder-configurations",
        &input,
        "encoderConfigurations",
        EncoderConfigurationRecord::to_summary,
    )
}

/// No compositions are emulated, so nothing can be using it: the model's 409 for an
/// encoder configuration in use cannot arise here.
pub fn delete_encoder_configuration(
    ctx: &mut Ctx<'_>,
    input: Document,
) -> Result<Document, ApiError> {
    let arn = input.get_str("arn").unwrap_or_default();
    let id = find(ctx, arn, "encoder-configuration", encoders)?
        .arn
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string();
    region(ctx).encoder_configurations.remove(&id);
    Ok(Document::map())
}
