//! The encoder configuration API calls, and what IVS returns in the spec form.

use std::collections::{BTreeSet, HashMap};

use anyhow::Context as _;
use aws_sdk_ivsrealtime::types::Video;
use serde_json::{Map, Value, json};

use super::framerate_from_f32;
use super::model::{DEFAULT_BITRATE, DEFAULT_FRAMERATE, DEFAULT_HEIGHT, DEFAULT_WIDTH};
use crate::aws::{Aws, aws_error};
use crate::kinds::ivs::{
    create_once, created_arn, deleted, no_retries, owned_id, physical_id_of, tag_map,
};
use crate::kinds::{Kind, Resource};
use crate::stack::model::StackFile;

/// IVS's video settings in the spec form, its defaults made explicit.
fn video_from_aws(v: Option<&Video>) -> Value {
    json!({
        "width": v.and_then(|v| v.width()).unwrap_or(DEFAULT_WIDTH),
        "height": v.and_then(|v| v.height()).unwrap_or(DEFAULT_HEIGHT),
        "framerate": v
            .and_then(|v| v.framerate())
            .map(framerate_from_f32)
            .unwrap_or(json!(DEFAULT_FRAMERATE)),
        "bitrate": v.and_then(|v| v.bitrate()).unwrap_or(DEFAULT_BITRATE),
    })
}

/// The encoder configurations `stack` owns, from one paginated ListEncoderConfigurations
/// (its summaries carry the name and the tags).
async fn list_owned(aws: &Aws, stack: Option<&str>) -> anyhow::Result<Vec<Resource>> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        aws.limit("ivs", "ListEncoderConfigurations").await;
        let page = aws
            .ivs
            .list_encoder_configurations()
            .max_results(100)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| aws_error("ivs:ListEncoderConfigurations", e))?;
        for s in page.encoder_configurations() {
            let tags = tag_map(s.tags());
            let id = match stack {
                Some(stack) => match owned_id(&tags, stack) {
                    Some(id) => id,
                    None => continue,
                },
                None => crate::kinds::discover::tagged_id(&tags),
            };
            let mut spec = Map::new();
            spec.insert("name".into(), json!(s.name().unwrap_or_default()));
            out.push(Resource {
                kind: Kind::EncoderConfiguration,
                id,
                physical_id: Some(s.arn().to_string()),
                spec,
                tags,
            });
        }
        token = page
            .next_token()
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    Ok(out)
}

/// Every encoder configuration the stack owns. The list lacks the video settings, so
/// GetEncoderConfiguration is called only for those whose `video` the file manages.
pub async fn observe(aws: &Aws, stack: &StackFile) -> anyhow::Result<Vec<Resource>> {
    let detail: BTreeSet<&String> = stack
        .encoder_configurations
        .iter()
        .filter(|(_, e)| e.video.is_some())
        .map(|(id, _)| id)
        .collect();
    let found = list_owned(aws, Some(&stack.stack)).await?;
    with_video(aws, found, &|r| detail.contains(&r.id)).await
}

/// Every encoder configuration of the region, owned or not, with its video settings.
pub async fn discover(aws: &Aws, wanted: &crate::kinds::Wanted) -> anyhow::Result<Vec<Resource>> {
    let mut found = list_owned(aws, None).await?;
    found.retain(|r| wanted.wants(r.name()));
    with_video(aws, found, &|_| true).await
}

/// `found`, with the video settings of those `pick` picks (one GetEncoderConfiguration
/// each); those deleted meanwhile are left out.
async fn with_video(
    aws: &Aws,
    mut found: Vec<Resource>,
    pick: &(dyn Fn(&Resource) -> bool + Sync),
) -> anyhow::Result<Vec<Resource>> {
    let mut tasks = tokio::task::JoinSet::new();
    for (i, r) in found.iter().enumerate() {
        if !pick(r) {
            continue;
        }
        let (aws, arn) = (aws.clone(), r.physical_id.clone().unwrap_or_default());
        tasks.spawn(async move {
            aws.limit("ivs", "GetEncoderConfiguration").await;
            let out = aws.ivs.get_encoder_configuration().arn(&arn).send().await;
            (
                i,
                out.map_err(|e| aws_error("ivs:GetEncoderConfiguration", e)),
            )
        });
    }
    let mut vanished = BTreeSet::new();
    while let Some(joined) = tasks.join_next().await {
        let (i, out) = joined.context("a GetEncoderConfiguration task failed")?;
        match out {
            Ok(out) => {
                let video = out.encoder_configuration().and_then(|e| e.video());
                found[i].spec.insert("video".into(), video_from_aws(video));
            }
            // Deleted between the list and the get: it is gone, not an error.
            Err(e) if e.is_not_found() => {
                vanished.insert(i);
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(found
        .into_iter()
        .enumerate()
        .filter(|(i, _)| !vanished.contains(i))
        .map(|(_, r)| r)
        .collect())
}

/// The video settings of a spec (only those present; IVS applies its defaults to the
/// rest).
fn video_to_aws(v: &Value) -> Video {
    let int = |k: &str| v.get(k).and_then(Value::as_i64).map(|n| n as i32);
    Video::builder()
        .set_width(int("width"))
        .set_height(int("height"))
        .set_framerate(v.get("framerate").and_then(Value::as_f64).map(|f| f as f32))
        .set_bitrate(int("bitrate"))
        .build()
}

/// Create an encoder configuration with its tags (never twice: see `create_once`).
pub async fn create(aws: &Aws, stack: &str, d: &Resource) -> anyhow::Result<String> {
    let video = d.spec.get("video").map(video_to_aws);
    let tags: HashMap<String, String> = d.tags.clone().into_iter().collect();
    create_once(
        "encoder configuration",
        || async {
            aws.limit("ivs", "CreateEncoderConfiguration").await;
            let out = aws
                .ivs
                .create_encoder_configuration()
                .name(d.name())
                .set_video(video.clone())
                .set_tags(Some(tags.clone()))
                .customize()
                .config_override(no_retries())
                .send()
                .await
                .map_err(|e| aws_error("ivs:CreateEncoderConfiguration", e))?;
            created_arn(
                out.encoder_configuration().map(|e| e.arn()),
                "ivs:CreateEncoderConfiguration",
            )
        },
        || async { Ok(physical_id_of(list_owned(aws, Some(stack)).await?, &d.id)) },
    )
    .await
}

pub async fn delete(aws: &Aws, live: &Resource) -> anyhow::Result<()> {
    let arn = live.physical_id.clone().unwrap_or_default();
    aws.limit("ivs", "DeleteEncoderConfiguration").await;
    let outcome = aws
        .ivs
        .delete_encoder_configuration()
        .arn(&arn)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| aws_error("ivs:DeleteEncoderConfiguration", e));
    deleted(
        outcome,
        "encoder configuration",
        "a composition is running with it",
    )
}
