//! The stage API calls, and the normalisation of what IVS returns into the spec form.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use anyhow::Context as _;
use aws_sdk_ivsrealtime::types::{
    AutoParticipantRecordingConfiguration, ParticipantRecordingHlsConfiguration,
    ParticipantRecordingMediaType, ParticipantThumbnailConfiguration, ThumbnailRecordingMode,
    ThumbnailStorageType,
};
use serde_json::{Map, Value, json};

use crate::aws::{Aws, AwsError, aws_error};
use crate::kinds::{Kind, Resource, TAG_ID, TAG_STACK, Wanted, overlay, same, sync_tags};
use crate::stack::model::StackFile;

/// Normalise IVS's recording configuration into the spec form. IVS echoes its defaults,
/// so the observed side is always complete.
fn recording_from_aws(rec: &AutoParticipantRecordingConfiguration) -> Value {
    let thumbs = rec.thumbnail_configuration();
    let mut storage: Vec<String> = thumbs
        .and_then(|t| t.storage.as_ref())
        .map(|s| s.iter().map(|x| x.as_str().to_string()).collect())
        .unwrap_or_else(|| vec!["SEQUENTIAL".to_string()]);
    storage.sort();
    storage.dedup();
    let media: Vec<String> = if rec.media_types().is_empty() {
        vec!["AUDIO_VIDEO".to_string()]
    } else {
        rec.media_types()
            .iter()
            .map(|m| m.as_str().to_string())
            .collect()
    };
    json!({
        "storage_configuration_arn": rec.storage_configuration_arn(),
        "media_types": media,
        "thumbnails": {
            "mode": thumbs.and_then(|t| t.recording_mode.as_ref()).map(|m| m.as_str()).unwrap_or("DISABLED"),
            "interval_seconds": thumbs.and_then(|t| t.target_interval_seconds).unwrap_or(60),
            "storage": storage,
        },
        "hls_segment_seconds": rec.hls_configuration().and_then(|h| h.target_segment_duration_seconds).unwrap_or(6),
        "reconnect_window_seconds": rec.recording_reconnect_window_seconds(),
        "record_participant_replicas": rec.record_participant_replicas(),
    })
}

/// Build the SDK recording configuration from a spec `recording` object (only the fields
/// present are sent; IVS applies its defaults to the rest).
fn recording_to_aws(rec: &Value) -> anyhow::Result<AutoParticipantRecordingConfiguration> {
    let mut b = AutoParticipantRecordingConfiguration::builder().storage_configuration_arn(
        rec["storage_configuration_arn"]
            .as_str()
            .unwrap_or_default(),
    );
    if let Some(media) = rec["media_types"].as_array() {
        b = b.set_media_types(Some(
            media
                .iter()
                .filter_map(Value::as_str)
                .map(ParticipantRecordingMediaType::from)
                .collect(),
        ));
    }
    if let Some(t) = rec["thumbnails"].as_object() {
        let mut tb = ParticipantThumbnailConfiguration::builder();
        if let Some(m) = t.get("mode").and_then(Value::as_str) {
            tb = tb.recording_mode(ThumbnailRecordingMode::from(m));
        }
        if let Some(i) = t.get("interval_seconds").and_then(Value::as_i64) {
            tb = tb.target_interval_seconds(i as i32);
        }
        if let Some(s) = t.get("storage").and_then(Value::as_array) {
            tb = tb.set_storage(Some(
                s.iter()
                    .filter_map(Value::as_str)
                    .map(ThumbnailStorageType::from)
                    .collect(),
            ));
        }
        b = b.thumbnail_configuration(tb.build());
    }
    if let Some(h) = rec["hls_segment_seconds"].as_i64() {
        b = b.hls_configuration(
            ParticipantRecordingHlsConfiguration::builder()
                .target_segment_duration_seconds(h as i32)
                .build(),
        );
    }
    if let Some(w) = rec["reconnect_window_seconds"].as_i64() {
        b = b.recording_reconnect_window_seconds(w as i32);
    }
    if let Some(r) = rec["record_participant_replicas"].as_bool() {
        b = b.record_participant_replicas(r);
    }
    b.build()
        .context("building the stage recording configuration")
}

fn to_btree(tags: Option<&HashMap<String, String>>) -> BTreeMap<String, String> {
    tags.map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

/// Every stage this stack owns. One paginated ListStages (which returns tags) finds them;
/// GetStage, the only call that returns the recording configuration, is called only for
/// the stages whose recording the file manages, and for owned stages the file no longer
/// declares (about to be deleted, or kept when protected): their recording tells the
/// planner which storage configuration they hold on to.
pub async fn observe(aws: &Aws, stack: &StackFile) -> anyhow::Result<Vec<Resource>> {
    let detail = |r: &Resource| {
        stack
            .stages
            .get(&r.id)
            .is_none_or(|s| s.recording.is_some())
    };
    list(aws, Some(&stack.stack), &detail).await
}

/// Every stage of the region, owned or not, each with its recording (one GetStage each).
pub async fn discover(aws: &Aws, wanted: &Wanted) -> anyhow::Result<Vec<Resource>> {
    let all = list(aws, None, &|r| wanted.wants(r.name())).await?;
    Ok(all.into_iter().filter(|r| wanted.wants(r.name())).collect())
}

/// The stages `stack` owns (every stage with `None`), with GetStage for those whose id
/// `detail` picks.
async fn list(
    aws: &Aws,
    stack: Option<&str>,
    detail: &(dyn Fn(&Resource) -> bool + Sync),
) -> anyhow::Result<Vec<Resource>> {
    let mut found = Vec::new();
    let mut token: Option<String> = None;
    loop {
        aws.limit("ivs", "ListStages").await;
        let page = aws
            .ivs
            .list_stages()
            .max_results(100)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| aws_error("ivs:ListStages", e))?;
        for s in page.stages() {
            let tags = to_btree(s.tags.as_ref());
            let id = match stack {
                Some(stack) => {
                    if tags.get(TAG_STACK).map(String::as_str) != Some(stack) {
                        continue;
                    }
                    let Some(id) = tags.get(TAG_ID).cloned() else {
                        continue;
                    };
                    id
                }
                None => tags.get(TAG_ID).cloned().unwrap_or_default(),
            };
            let mut spec = Map::new();
            spec.insert("name".into(), json!(s.name().unwrap_or_default()));
            found.push(Resource {
                kind: Kind::Stage,
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
    let mut tasks = tokio::task::JoinSet::new();
    for (i, r) in found.iter().enumerate() {
        if !detail(r) {
            continue;
        }
        let (aws, arn) = (aws.clone(), r.physical_id.clone().unwrap_or_default());
        tasks.spawn(async move {
            aws.limit("ivs", "GetStage").await;
            let out = aws.ivs.get_stage().arn(&arn).send().await;
            (i, out.map_err(|e| aws_error("ivs:GetStage", e)))
        });
    }
    let mut vanished = BTreeSet::new();
    while let Some(joined) = tasks.join_next().await {
        let (i, out) = joined.context("a GetStage task failed")?;
        match out {
            Ok(out) => {
                if let Some(rec) = out
                    .stage()
                    .and_then(|s| s.auto_participant_recording_configuration())
                {
                    found[i]
                        .spec
                        .insert("recording".into(), recording_from_aws(rec));
                }
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

/// CreateStage attempts before giving up on errors that may pass (throttling, 5xx).
const CREATE_ATTEMPTS: u32 = 5;

/// Create a stage with its tags. CreateStage has no idempotency token, so the SDK's own
/// retries are off for it: after a failure that may have created the stage anyway, the
/// stack's stages are listed by tag before trying again, so no duplicate is made. If that
/// check fails too, nothing more is tried (another CreateStage could make a duplicate):
/// the error is CreateStage's, and says the check failed.
pub async fn create(aws: &Aws, stack: &str, d: &Resource) -> anyhow::Result<String> {
    let tags: HashMap<String, String> = d.tags.clone().into_iter().collect();
    let recording = d.spec.get("recording").map(recording_to_aws).transpose()?;
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        aws.limit("ivs", "CreateStage").await;
        let out = aws
            .ivs
            .create_stage()
            .name(d.name())
            .set_tags(Some(tags.clone()))
            .set_auto_participant_recording_configuration(recording.clone())
            .customize()
            .config_override(
                aws_sdk_ivsrealtime::config::Builder::default()
                    .retry_config(aws_config::retry::RetryConfig::disabled()),
            )
            .send()
            .await;
        match out {
            Ok(out) => {
                return out
                    .stage()
                    .map(|s| s.arn().to_string())
                    .context("CreateStage returned no stage");
            }
            Err(e) => {
                let err = aws_error("ivs:CreateStage", e);
                if !err.retryable || attempt >= CREATE_ATTEMPTS {
                    return Err(err.into());
                }
                tokio::time::sleep(Duration::from_millis(200 * 2u64.pow(attempt))).await;
                match list(aws, Some(stack), &|_| false).await {
                    Ok(existing) => {
                        if let Some(s) = existing.iter().find(|s| s.id == d.id) {
                            return s.physical_id.clone().context("listed stage has no ARN");
                        }
                    }
                    Err(check) => return Err(unchecked(err, &check)),
                }
            }
        }
    }
}

/// A CreateStage failure whose follow-up check (was the stage created anyway?) failed
/// too: CreateStage's error first, then the check's, then what to do.
fn unchecked(create: AwsError, check: &anyhow::Error) -> anyhow::Error {
    anyhow::anyhow!(
        "{create}; checking whether the stage was created anyway also failed ({check:#}); \
         run the same command again: the next plan sees any stage that was created"
    )
}

/// Update a stage in place: UpdateStage for the name and recording (the recording is sent
/// whole, live values kept for unmanaged fields), Tag/UntagResource for tags.
pub async fn update(aws: &Aws, d: &Resource, live: &Resource) -> anyhow::Result<()> {
    let arn = live.physical_id.clone().unwrap_or_default();
    // The recording is sent whole: the live configuration with the managed fields replaced.
    let live_rec = live.spec.get("recording").unwrap_or(&Value::Null);
    let merged = d.spec.get("recording").map(|r| overlay(live_rec, r));
    let new_rec = merged.filter(|m| !same(m, live_rec));
    if d.name() != live.name() || new_rec.is_some() {
        let mut req = aws.ivs.update_stage().arn(&arn).name(d.name());
        if let Some(rec) = &new_rec {
            req = req.auto_participant_recording_configuration(recording_to_aws(rec)?);
        }
        aws.limit("ivs", "UpdateStage").await;
        req.send()
            .await
            .map_err(|e| aws_error("ivs:UpdateStage", e))?;
    }
    sync_tags(
        &d.tags,
        &live.tags,
        async |set| {
            aws.limit("ivs", "TagResource").await;
            aws.ivs
                .tag_resource()
                .resource_arn(&arn)
                .set_tags(Some(set.into_iter().collect()))
                .send()
                .await
                .map_err(|e| aws_error("ivs:TagResource", e))?;
            Ok(())
        },
        async |remove| {
            aws.limit("ivs", "UntagResource").await;
            aws.ivs
                .untag_resource()
                .resource_arn(&arn)
                .set_tag_keys(Some(remove))
                .send()
                .await
                .map_err(|e| aws_error("ivs:UntagResource", e))?;
            Ok(())
        },
    )
    .await
}

/// Delete a stage; one that is already gone counts as deleted.
pub async fn delete(aws: &Aws, live: &Resource) -> anyhow::Result<()> {
    let arn = live.physical_id.clone().unwrap_or_default();
    aws.limit("ivs", "DeleteStage").await;
    match aws.ivs.delete_stage().arn(&arn).send().await {
        Ok(_) => Ok(()),
        Err(e) => {
            let err = aws_error("ivs:DeleteStage", e);
            if err.is_not_found() {
                Ok(())
            } else {
                Err(err.into())
            }
        }
    }
}
