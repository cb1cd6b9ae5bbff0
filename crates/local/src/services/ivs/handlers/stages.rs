//! Stages, their participant tokens and sessions.

use std::collections::BTreeMap;

use super::storage::find_storage;
use super::tagging::TAGGING;
use super::{
    arn, attributes, check_quota, conflict, find, internal, new_id, next_token, not_found, page,
    region, validation,
};
use crate::api::ApiError;
use crate::document::Document;
use crate::paging;
use crate::service::Ctx;
use crate::services::ivs::STAGES;
use crate::services::ivs::state::{
    IvsRegion, IvsState, RecordingConfig, SessionRecord, StageRecord, random_alnum, random_lower,
};
use crate::services::tokens;
use crate::tags::{self, TagFormat};

const DEFAULT_TOKEN_MINUTES: i64 = 720;

fn stages(r: &mut IvsRegion) -> &mut BTreeMap<String, StageRecord> {
    &mut r.stages
}

/// The stage `arn` names, in the request's Region and account, or 404.
pub(super) fn find_stage<'a>(
    ctx: &'a mut Ctx<'_>,
    arn: &str,
) -> Result<&'a mut StageRecord, ApiError> {
    find(ctx, arn, "stage", stages)
}

// ---------------------------------------------------------------------------------------
// Input

/// An `AutoParticipantRecordingConfiguration`, with AWS's defaults for what is not given.
fn recording(doc: &Document) -> RecordingConfig {
    let arn = doc.get_str("storageConfigurationArn").unwrap_or_default();
    if arn.is_empty() {
        // "" disables recording and resets every other field.
        return RecordingConfig::default();
    }
    let mut cfg = RecordingConfig {
        storage_configuration_arn: arn.to_string(),
        ..RecordingConfig::default()
    };
    let media = doc.get_strings("mediaTypes");
    if !media.is_empty() {
        cfg.media_types = media;
    }
    if let Some(t) = doc.get("thumbnailConfiguration") {
        if let Some(n) = t.get_i64("targetIntervalSeconds") {
            cfg.thumbnail_configuration.target_interval_seconds = n;
        }
        let storage = t.get_strings("storage");
        if !storage.is_empty() {
            cfg.thumbnail_configuration.storage = storage;
        }
        if let Some(m) = t.get_str("recordingMode") {
            cfg.thumbnail_configuration.recording_mode = m.to_string();
        }
    }
    if let Some(n) = doc.get_i64("recordingReconnectWindowSeconds") {
        cfg.recording_reconnect_window_seconds = n;
    }
    if let Some(n) = doc
        .get("hlsConfiguration")
        .and_then(|h| h.get_i64("targetSegmentDurationSeconds"))
    {
        cfg.hls_configuration.target_segment_duration_seconds = n;
    }
    if let Some(r) = doc.get_bool("recordParticipantReplicas") {
        cfg.record_participant_replicas = r;
    }
    cfg
}

/// A participant token request (CreateParticipantToken or one CreateStage configuration).
struct TokenSpec {
    duration: i64,
    user_id: Option<String>,
    attributes: BTreeMap<String, String>,
    capabilities: Vec<String>,
}

/// `path` prefixes member names in messages (`participantTokenConfigurations.1.member.`).
fn token_spec(doc: &Document, path: &str) -> Result<TokenSpec, ApiError> {
    let attributes = attributes(doc, path)?;
    Ok(TokenSpec {
        duration: doc.get_i64("duration").unwrap_or(DEFAULT_TOKEN_MINUTES),
        user_id: doc.get_str("userId").map(str::to_string),
        attributes,
        capabilities: match doc.get("capabilities") {
            Some(_) => doc.get_strings("capabilities"),
            None => vec!["PUBLISH".into(), "SUBSCRIBE".into()],
        },
    })
}

fn signing_key(state: &mut IvsState) -> Result<p384::ecdsa::SigningKey, ApiError> {
    if let Some(pem) = &state.token_key
        && let Ok(key) = tokens::signing_key_from_pem(pem)
    {
        return Ok(key);
    }
    let (key, pem) = tokens::generate_key().map_err(|e| internal("participant token key", e))?;
    state.token_key = Some(pem);
    Ok(key)
}

fn mint_token(
    key: &p384::ecdsa::SigningKey,
    stage: &StageRecord,
    spec: &TokenSpec,
    now: i64,
) -> Result<Document, ApiError> {
    let participant_id = random_alnum(12);
    let exp = now + spec.duration * 60;
    let endpoints = stage.endpoints();
    let claims = tokens::Claims {
        exp,
        iat: now,
        jti: participant_id.clone(),
        resource: stage.arn.clone(),
        topic: stage.id().to_string(),
        events_url: endpoints.events,
        whip_url: endpoints.whip,
        capabilities: tokens::Capabilities {
            allow_publish: spec.capabilities.iter().any(|c| c == "PUBLISH"),
            allow_subscribe: spec.capabilities.iter().any(|c| c == "SUBSCRIBE"),
        },
        attributes: spec.attributes.clone(),
        user_id: spec.user_id.clone(),
        version: "1.0".into(),
    };
    let token = tokens::sign(key, &claims).map_err(|e| internal("token signing", e))?;
    Ok(Document::from_pairs([
        ("participantId", Document::Str(participant_id)),
        ("token", Document::Str(token)),
        ("duration", Document::Int(spec.duration)),
        (
            "capabilities",
            Document::strings(spec.capabilities.iter().cloned()),
        ),
        ("attributes", Document::string_map(&spec.attributes)),
        ("expirationTime", Document::Timestamp(exp as f64)),
        ("userId", Document::opt_str(spec.user_id.as_deref())),
    ]))
}

fn session_document(s: &SessionRecord) -> Document {
    Document::from_pairs([
        ("sessionId", Document::str(&s.session_id)),
        ("startTime", Document::Timestamp(s.start_time as f64)),
        (
            "endTime",
            s.end_time
                .map_or(Document::Null, |e| Document::Timestamp(e as f64)),
        ),
    ])
}

// ---------------------------------------------------------------------------------------
// Stages

pub fn create_stage(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    let name = input.get_str("name").unwrap_or_default().to_string();
    let stage_tags = tags::read(&input, "tags", TagFormat::Map);
    tags::check_new(&stage_tags, &TAGGING.rules)?;
    let recording = input
        .get("autoParticipantRecordingConfiguration")
        .map(recording)
        .unwrap_or_default();
    check_storage_reference(ctx, &recording.storage_configuration_arn)?;
    let specs = input
        .get_list("participantTokenConfigurations")
        .iter()
        .enumerate()
        .map(|(i, c)| {
            token_spec(
                c,
                &format!("participantTokenConfigurations.{}.member.", i + 1),
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    let count = region(ctx).stages.len();
    check_quota(ctx, &STAGES, count)?;
    let id = new_id(&region(ctx).stages);
    let record = StageRecord {
        arn: arn(ctx, "stage", &id),
        name,
        tags: stage_tags.into_iter().collect(),
        recording,
        endpoint_id: random_lower(12),
        sessions: Vec::new(),
    };
    let mut minted = Vec::new();
    if !specs.is_empty() {
        let key = signing_key(&mut ctx.state.ivs)?;
        for spec in &specs {
            minted.push(mint_token(&key, &record, spec, ctx.now)?);
        }
    }
    let stage = record.to_stage();
    region(ctx).stages.insert(id, record);
    Ok(Document::from_pairs([
        ("stage", stage),
        ("participantTokens", Document::List(minted)),
    ]))
}

/// A stage may only record to a storage configuration that exists in its own Region and
/// account. AWS's error for one that does not is undocumented (CreateStage models no
/// ResourceNotFoundException): ValidationException is GUESSED, for CreateStage and
/// UpdateStage alike.
fn check_storage_reference(ctx: &mut Ctx<'_>, storage_arn: &str) -> Result<(), ApiError> {
    if storage_arn.is_empty() || find_storage(ctx, storage_arn).is_ok() {
        return Ok(());
    }
    Err(validation(format!(
        "autoParticipantRecordingConfiguration.storageConfigurationArn: storage configuration \
         {storage_arn} does not exist in {} for account {}; create it first \
         (CreateStorageConfiguration), in the stage's Region",
        ctx.region, ctx.account_id
    )))
}

pub fn get_stage(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    let stage = find_stage(ctx, input.get_str("arn").unwrap_or_default())?;
    Ok(Document::from_pairs([("stage", stage.to_stage())]))
}

pub fn list_stages(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    let stages = ctx.state.ivs.regions.get(ctx.region).map(|r| &r.stages);
    page(
        stages.into_iter().flatten(),
        "stages",
        &input,
        "stages",
        StageRecord::to_summary,
    )
}

pub fn update_stage(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    let new_recording = input
        .get("autoParticipantRecordingConfiguration")
        .map(recording);
    let arn = input.get_str("arn").unwrap_or_default();
    find_stage(ctx, arn)?;
    if let Some(r) = &new_recording {
        check_storage_reference(ctx, &r.storage_configuration_arn)?;
    }
    let stage = find_stage(ctx, arn)?;
    if let Some(r) = new_recording {
        if r != stage.recording
            && stage.active_session().is_some()
            && !stage.recording.storage_configuration_arn.is_empty()
        {
            return Err(conflict(
                "Cannot update the recording configuration while recording is active",
            ));
        }
        stage.recording = r;
    }
    if let Some(n) = input.get_str("name") {
        stage.name = n.to_string();
    }
    Ok(Document::from_pairs([("stage", stage.to_stage())]))
}

/// DeleteStage also detaches the ingest configurations that name the stage ("removes the
/// stageArn from the associated IngestConfiguration", API reference): their `stageArn`
/// becomes `""` and any publisher is disconnected.
pub fn delete_stage(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    let stage = find_stage(ctx, input.get_str("arn").unwrap_or_default())?;
    let (id, arn) = (stage.id().to_string(), stage.arn.clone());
    let region = region(ctx);
    region.stages.remove(&id);
    for c in region.ingest_configurations.values_mut() {
        if c.stage_arn == arn {
            c.stage_arn.clear();
            c.active = false;
        }
    }
    Ok(Document::map())
}

// ---------------------------------------------------------------------------------------
// Participant tokens and sessions

pub fn create_participant_token(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    let spec = token_spec(&input, "")?;
    let now = ctx.now;
    let stage = find_stage(ctx, input.get_str("stageArn").unwrap_or_default())?.clone();
    let key = signing_key(&mut ctx.state.ivs)?;
    let token = mint_token(&key, &stage, &spec, now)?;
    Ok(Document::from_pairs([("participantToken", token)]))
}

pub fn list_stage_sessions(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    let max = input.get_i64("maxResults").unwrap_or(50) as usize;
    // ResourceNotFound is not modeled for this operation: an unknown stage has no sessions.
    let mut sessions: Vec<SessionRecord> =
        match find_stage(ctx, input.get_str("stageArn").unwrap_or_default()) {
            Ok(s) => s.sessions.clone(),
            Err(_) => Vec::new(),
        };
    sessions.sort_by_key(|s| std::cmp::Reverse(s.start_time));
    let (page, next) = paging::by_offset(&sessions, "sessions", next_token(&input), max, || {
        validation("The nextToken is not valid")
    })?;
    Ok(Document::from_pairs([
        (
            "stageSessions",
            Document::List(page.iter().map(session_document).collect()),
        ),
        ("nextToken", Document::opt_str(next)),
    ]))
}

pub fn get_stage_session(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    let session_id = input.get_str("sessionId").unwrap_or_default();
    let stage = find_stage(ctx, input.get_str("stageArn").unwrap_or_default())?;
    let s = stage
        .sessions
        .iter()
        .find(|s| s.session_id == session_id)
        .ok_or_else(|| not_found(session_id))?;
    Ok(Document::from_pairs([(
        "stageSession",
        session_document(s),
    )]))
}
