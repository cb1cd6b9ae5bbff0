//! Ingest configurations: RTMP(S) publishers' credentials (a secret stream key) for a
//! stage. Only the stage and redundant ingest change in place (UpdateIngestConfiguration).
//! The emulator has no RTMP ingest: a configuration is INACTIVE until a test marks it ACTIVE
//! (`IvsState::set_ingest_active`), which is what the model's conflicts depend on.

use std::collections::BTreeMap;

use super::stages::find_stage;
use super::{attributes, check_quota, conflict, find, new_id, page, region, validation};
use crate::api::ApiError;
use crate::document::Document;
use crate::service::Ctx;
use crate::services::ivs::INGEST_CONFIGURATIONS;
use crate::services::ivs::state::{
    IngestConfigurationRecord, IvsRegion, RedundantCredential, random_alnum,
};
use crate::tags::{self, TagFormat};

fn ingests(r: &mut IvsRegion) -> &mut BTreeMap<String, IngestConfigurationRecord> {
    &mut r.ingest_configurations
}

fn find_ingest<'a>(
    ctx: &'a mut Ctx<'_>,
    arn: &str,
) -> Result<&'a mut IngestConfigurationRecord, ApiError> {
    find(ctx, arn, "ingest-configuration", ingests)
}

/// A new stream key. Its form follows the model's `StreamKey` pattern
/// (`rt_[0-9]+_[a-z0-9-]+_[a-zA-Z0-9-]+_.+`): account, Region, the configuration's id, and
/// a random secret (the real keys' parts are undocumented).
fn stream_key(ctx: &Ctx<'_>, id: &str) -> String {
    format!(
        "rt_{}_{}_{id}_{}",
        ctx.account_id,
        ctx.region,
        random_alnum(32)
    )
}

/// The backup publisher's credentials of a redundant ingest configuration: a participant
/// of its own with its own key (the number of backup credentials AWS issues is not
/// documented; one backup for the primary is what "redundant" needs).
fn redundant_credentials(ctx: &Ctx<'_>, id: &str) -> Vec<RedundantCredential> {
    vec![RedundantCredential {
        participant_id: random_alnum(12),
        stream_key: stream_key(ctx, id),
    }]
}

/// An ingest configuration may name only a stage of its own Region and account (or none,
/// `""`). AWS's error for another is undocumented (CreateIngestConfiguration models no
/// ResourceNotFoundException): ValidationException is GUESSED, for Create and Update alike.
fn check_stage_reference(ctx: &mut Ctx<'_>, stage_arn: &str) -> Result<(), ApiError> {
    if stage_arn.is_empty() || find_stage(ctx, stage_arn).is_ok() {
        return Ok(());
    }
    Err(validation(format!(
        "stageArn: stage {stage_arn} does not exist in {} for account {}",
        ctx.region, ctx.account_id
    )))
}

pub fn create_ingest_configuration(
    ctx: &mut Ctx<'_>,
    input: Document,
) -> Result<Document, ApiError> {
    let protocol = input
        .get_str("ingestProtocol")
        .unwrap_or_default()
        .to_string();
    let insecure = input.get_bool("insecureIngest").unwrap_or(false);
    // "If this is set to RTMP, insecureIngest must be set to true" (model).
    if protocol == "RTMP" && !insecure {
        return Err(validation(
            "insecureIngest must be true when ingestProtocol is RTMP (or use RTMPS)",
        ));
    }
    let stage_arn = input.get_str("stageArn").unwrap_or_default().to_string();
    check_stage_reference(ctx, &stage_arn)?;
    let attributes = attributes(&input, "")?;
    let new_tags = tags::read(&input, "tags", TagFormat::Map);
    tags::check_new(&new_tags, &super::TAGGING.rules)?;
    let count = region(ctx).ingest_configurations.len();
    check_quota(ctx, &INGEST_CONFIGURATIONS, count)?;
    let id = new_id(&region(ctx).ingest_configurations);
    let redundant = input.get_bool("redundantIngest").unwrap_or(false);
    let record = IngestConfigurationRecord {
        arn: super::arn(ctx, "ingest-configuration", &id),
        name: input.get_str("name").unwrap_or_default().to_string(),
        ingest_protocol: protocol,
        stream_key: stream_key(ctx, &id),
        stage_arn,
        participant_id: random_alnum(12),
        active: false,
        user_id: input.get_str("userId").map(str::to_string),
        attributes,
        insecure_ingest: insecure,
        redundant_ingest: redundant,
        redundant_credentials: if redundant {
            redundant_credentials(ctx, &id)
        } else {
            Vec::new()
        },
        tags: new_tags.into_iter().collect(),
    };
    let out = record.to_document();
    region(ctx).ingest_configurations.insert(id, record);
    Ok(Document::from_pairs([("ingestConfiguration", out)]))
}

pub fn get_ingest_configuration(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    let c = find_ingest(ctx, input.get_str("arn").unwrap_or_default())?;
    Ok(Document::from_pairs([(
        "ingestConfiguration",
        c.to_document(),
    )]))
}

/// Summaries (no stream key, no tags), filtered by stage or by state: "Only one filter
/// (by stage ARN or by state) can be used at a time" (model).
pub fn list_ingest_configurations(
    ctx: &mut Ctx<'_>,
    input: Document,
) -> Result<Document, ApiError> {
    let by_stage = input.get_str("filterByStageArn");
    let by_state = input.get_str("filterByState");
    if by_stage.is_some() && by_state.is_some() {
        return Err(validation(
            "Only one filter (filterByStageArn or filterByState) can be used at a time",
        ));
    }
    let all = ctx
        .state
        .ivs
        .regions
        .get(ctx.region)
        .map(|r| &r.ingest_configurations);
    page(
        all.into_iter().flatten().filter(|(_, c)| {
            by_stage.is_none_or(|s| c.stage_arn == s) && by_state.is_none_or(|s| c.state() == s)
        }),
        "ingest-configurations",
        &input,
        "ingestConfigurations",
        IngestConfigurationRecord::to_summary,
    )
}

/// Moves the configuration to another stage (or none) and turns redundant ingest on or
/// off, in place; "An IngestConfiguration that is active cannot be updated" (model) → 409.
pub fn update_ingest_configuration(
    ctx: &mut Ctx<'_>,
    input: Document,
) -> Result<Document, ApiError> {
    let arn = input.get_str("arn").unwrap_or_default();
    let c = find_ingest(ctx, arn)?;
    if c.active {
        return Err(conflict(format!(
            "Ingest configuration {arn} is active (a publisher is streaming); it cannot be updated until the stream ends"
        )));
    }
    let id = c.arn.rsplit('/').next().unwrap_or_default().to_string();
    if let Some(stage_arn) = input.get_str("stageArn") {
        check_stage_reference(ctx, stage_arn)?;
    }
    let credentials = redundant_credentials(ctx, &id);
    let c = find_ingest(ctx, arn)?;
    if let Some(stage_arn) = input.get_str("stageArn") {
        c.stage_arn = stage_arn.to_string();
    }
    match input.get_bool("redundantIngest") {
        Some(true) if !c.redundant_ingest => {
            c.redundant_ingest = true;
            c.redundant_credentials = credentials;
        }
        Some(false) => {
            c.redundant_ingest = false;
            c.redundant_credentials.clear();
        }
        _ => {}
    }
    Ok(Document::from_pairs([(
        "ingestConfiguration",
        c.to_document(),
    )]))
}

/// "Cannot be deleted if the publisher is actively streaming to a stage, unless force is
/// set to true" (model) → 409 without `force`.
pub fn delete_ingest_configuration(
    ctx: &mut Ctx<'_>,
    input: Document,
) -> Result<Document, ApiError> {
    let arn = input.get_str("arn").unwrap_or_default();
    let c = find_ingest(ctx, arn)?;
    if c.active && !input.get_bool("force").unwrap_or(false) {
        return Err(conflict(format!(
            "Ingest configuration {arn} is active (a publisher is streaming); delete it with force=true to disconnect the publisher"
        )));
    }
    let id = c.arn.rsplit('/').next().unwrap_or_default().to_string();
    region(ctx).ingest_configurations.remove(&id);
    Ok(Document::map())
}
