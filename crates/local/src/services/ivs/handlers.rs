//! IVS Real-Time's operations: stages, participant tokens, stage sessions and tags, per
//! Region. Shapes and URL forms follow `aws-sdk-ivsrealtime`'s generated (de)serialisers and
//! botocore's `ivs-realtime/2020-07-14` model (reference §1-§4, §9).

use std::collections::BTreeMap;

use super::shapes::parse_arn;
use super::state::{
    IvsRegion, IvsState, RecordingConfig, SessionRecord, StageRecord, random_alnum, random_lower,
};
use crate::api::ApiError;
use crate::document::Document;
use crate::paging;
use crate::service::Ctx;
use crate::services::tokens;
use crate::tags::{self, TagFormat, TagRules, TagStore, Tagging};

/// Stages per Region (`--quotas aws`), newest documented value.
pub const STAGE_QUOTA: usize = 1_000;
/// Tags per resource.
pub const MAX_TAGS: usize = 50;
const DEFAULT_TOKEN_MINUTES: i64 = 720;
/// "The total length of the attributes map, including keys and values, is 1 KB" (API
/// reference; not in the model).
const MAX_ATTRIBUTES_BYTES: usize = 1024;

fn validation(msg: impl Into<String>) -> ApiError {
    super::SERVICE.validation.error(msg)
}

fn not_found(arn: &str) -> ApiError {
    ApiError::new(
        404,
        "ResourceNotFoundException",
        format!("Resource {arn} not found"),
    )
}

fn internal(what: &str, e: impl std::fmt::Display) -> ApiError {
    super::SERVICE.internal.error(format!("{what}: {e}"))
}

fn region<'a>(ctx: &'a mut Ctx<'_>) -> &'a mut IvsRegion {
    ctx.state
        .ivs
        .regions
        .entry(ctx.region.to_string())
        .or_default()
}

/// The stage `arn` names, in the request's Region and account, or 404.
fn find<'a>(ctx: &'a mut Ctx<'_>, arn: &str) -> Result<&'a mut StageRecord, ApiError> {
    let (region, account, kind, id) = parse_arn(arn).ok_or_else(|| not_found(arn))?;
    if region != ctx.region || account != ctx.account_id || kind != "stage" {
        return Err(not_found(arn));
    }
    ctx.state
        .ivs
        .regions
        .get_mut(region)
        .and_then(|r| r.stages.get_mut(id))
        .ok_or_else(|| not_found(arn))
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
    let attributes = doc.get_string_map("attributes");
    let size: usize = attributes.iter().map(|(k, v)| k.len() + v.len()).sum();
    if size > MAX_ATTRIBUTES_BYTES {
        return Err(validation(format!(
            "{path}attributes: total size of attribute keys and values must not exceed 1 KB (got {size} bytes)"
        )));
    }
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

/// An empty `nextToken` is no token (some clients send `""` for the first page).
fn next_token(input: &Document) -> Option<&str> {
    input.get_str("nextToken").filter(|t| !t.is_empty())
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
    let (account, now, enforce) = (
        ctx.account_id.to_string(),
        ctx.now,
        ctx.enforce_resource_quotas,
    );
    let region_name = ctx.region.to_string();
    let stages = &region(ctx).stages;
    if enforce && stages.len() >= STAGE_QUOTA {
        return Err(ApiError::new(
            402,
            "ServiceQuotaExceededException",
            format!(
                "Request would cause a service quota to be exceeded: {STAGE_QUOTA} stages per region"
            ),
        ));
    }
    let id = loop {
        let id = random_alnum(12);
        if !stages.contains_key(&id) {
            break id;
        }
    };
    let record = StageRecord {
        arn: format!("arn:aws:ivs:{region_name}:{account}:stage/{id}"),
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
            minted.push(mint_token(&key, &record, spec, now)?);
        }
    }
    let stage = record.to_stage();
    region(ctx).stages.insert(id, record);
    Ok(Document::from_pairs([
        ("stage", stage),
        ("participantTokens", Document::List(minted)),
    ]))
}

pub fn get_stage(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    let stage = find(ctx, input.get_str("arn").unwrap_or_default())?;
    Ok(Document::from_pairs([("stage", stage.to_stage())]))
}

pub fn list_stages(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    let max = input.get_i64("maxResults").unwrap_or(50) as usize;
    let token = next_token(&input);
    let bad = || {
        validation(format!(
            "The nextToken '{}' is not valid",
            token.unwrap_or_default()
        ))
    };
    let stages = ctx.state.ivs.regions.get(ctx.region).map(|r| &r.stages);
    let (page, next) = paging::by_key(
        stages.into_iter().flatten().map(|(id, s)| (id.clone(), s)),
        "stages",
        token,
        max,
        bad,
    )?;
    Ok(Document::from_pairs([
        (
            "stages",
            Document::List(page.into_iter().map(StageRecord::to_summary).collect()),
        ),
        ("nextToken", Document::opt_str(next)),
    ]))
}

pub fn update_stage(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    let new_recording = input
        .get("autoParticipantRecordingConfiguration")
        .map(recording);
    let stage = find(ctx, input.get_str("arn").unwrap_or_default())?;
    if let Some(r) = new_recording {
        if r != stage.recording
            && stage.active_session().is_some()
            && !stage.recording.storage_configuration_arn.is_empty()
        {
            return Err(ApiError::new(
                409,
                "ConflictException",
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

pub fn delete_stage(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    let id = find(ctx, input.get_str("arn").unwrap_or_default())?
        .id()
        .to_string();
    region(ctx).stages.remove(&id);
    Ok(Document::map())
}

// ---------------------------------------------------------------------------------------
// Participant tokens and sessions

pub fn create_participant_token(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    let spec = token_spec(&input, "")?;
    let now = ctx.now;
    let stage = find(ctx, input.get_str("stageArn").unwrap_or_default())?.clone();
    let key = signing_key(&mut ctx.state.ivs)?;
    let token = mint_token(&key, &stage, &spec, now)?;
    Ok(Document::from_pairs([("participantToken", token)]))
}

pub fn list_stage_sessions(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    let max = input.get_i64("maxResults").unwrap_or(50) as usize;
    // ResourceNotFound is not modeled for this operation: an unknown stage has no sessions.
    let mut sessions: Vec<SessionRecord> =
        match find(ctx, input.get_str("stageArn").unwrap_or_default()) {
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
    let stage = find(ctx, input.get_str("stageArn").unwrap_or_default())?;
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

// ---------------------------------------------------------------------------------------
// Tags

pub static TAGGING: Tagging = Tagging {
    rules: TagRules {
        max_tags: MAX_TAGS,
        case_insensitive_keys: false,
        reserved: Some(|k| {
            validation(format!(
                "Tag keys starting with 'aws:' are reserved for AWS use: '{k}'"
            ))
        }),
        reserved_on_untag: true,
        duplicate: None,
        too_many: |n| {
            validation(format!(
                "Resource would have {n} tags; the maximum is {MAX_TAGS}"
            ))
        },
    },
    format: TagFormat::Map,
    arn_member: "resourceArn",
    tags_member: "tags",
    keys_member: "tagKeys",
    find: stage_tags,
};

fn stage_tags<'a>(ctx: &'a mut Ctx<'_>, arn: &str) -> Result<&'a mut dyn TagStore, ApiError> {
    Ok(&mut find(ctx, arn)?.tags)
}

pub fn tag_resource(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    tags::tag_resource(ctx, &input, &TAGGING).map(|()| Document::map())
}

pub fn untag_resource(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    tags::untag_resource(ctx, &input, &TAGGING).map(|()| Document::map())
}

pub fn list_tags_for_resource(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    let tags = tags::list(ctx, &input, &TAGGING)?;
    Ok(Document::from_pairs([(
        "tags",
        tags::to_document(&tags, TagFormat::Map),
    )]))
}
