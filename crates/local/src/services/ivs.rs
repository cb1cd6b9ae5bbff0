//! Amazon IVS Real-Time emulator (restJson1, SigV4 signing name `ivs`): stages, participant
//! tokens, tags and stage sessions, with the constraints the service model declares.
//!
//! State is per region. Shapes and URL forms follow `aws-sdk-ivsrealtime`'s generated
//! (de)serialisers and botocore's `ivs-realtime/2020-07-14` model (reference §1-§4, §9).

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::tokens;
use crate::api::{ApiError, Context, Protocol, Request, Response, Route, Service};
use crate::state::LocalState;
use crate::wire::rest_json::{self, Body};

/// Stages per region (`--quotas aws`), newest documented value.
pub const STAGE_QUOTA: usize = 1_000;
const DEFAULT_TOKEN_MINUTES: i64 = 720;

/// All IVS emulator state.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct IvsState {
    #[serde(default)]
    pub regions: BTreeMap<String, IvsRegion>,
    /// PKCS#8 PEM of the ES384 key that signs participant tokens (created on first use,
    /// kept so tokens stay verifiable across restarts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_key: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct IvsRegion {
    /// By stage id.
    #[serde(default)]
    pub stages: BTreeMap<String, StageRecord>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StageRecord {
    pub arn: String,
    pub name: String,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    pub recording: RecordingConfig,
    /// Host label of the stage's ingest endpoints.
    pub endpoint_id: String,
    #[serde(default)]
    pub sessions: Vec<SessionRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecord {
    pub session_id: String,
    pub start_time: i64,
    pub end_time: Option<i64>,
}

/// `AutoParticipantRecordingConfiguration`, stored and sent in its wire form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordingConfig {
    pub storage_configuration_arn: String,
    pub media_types: Vec<String>,
    pub thumbnail_configuration: ThumbnailConfig,
    pub recording_reconnect_window_seconds: i64,
    pub hls_configuration: HlsConfig,
    pub record_participant_replicas: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThumbnailConfig {
    pub target_interval_seconds: i64,
    pub storage: Vec<String>,
    pub recording_mode: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HlsConfig {
    pub target_segment_duration_seconds: i64,
}

impl Default for RecordingConfig {
    /// What IVS echoes for a stage without recording (reference §2.1 GetStage example).
    fn default() -> Self {
        RecordingConfig {
            storage_configuration_arn: String::new(),
            media_types: vec!["AUDIO_VIDEO".into()],
            thumbnail_configuration: ThumbnailConfig {
                target_interval_seconds: 60,
                storage: vec!["SEQUENTIAL".into()],
                recording_mode: "DISABLED".into(),
            },
            recording_reconnect_window_seconds: 0,
            hls_configuration: HlsConfig {
                target_segment_duration_seconds: 6,
            },
            record_participant_replicas: true,
        }
    }
}

impl StageRecord {
    fn id(&self) -> &str {
        self.arn.rsplit('/').next().unwrap_or_default()
    }

    fn active_session(&self) -> Option<&SessionRecord> {
        self.sessions.iter().rev().find(|s| s.end_time.is_none())
    }

    fn endpoints(&self) -> Value {
        json!({
            "events": "wss://global.events.live-video.net",
            "whip": format!("https://{}.global-bm.whip.live-video.net", self.endpoint_id),
            "rtmp": format!("rtmp://{}.global-contribute.live-video.net/app/", self.endpoint_id),
            "rtmps": format!("rtmps://{}.global-contribute.live-video.net:443/app/", self.endpoint_id),
        })
    }

    fn to_stage(&self) -> Value {
        let mut v = self.to_summary();
        v["autoParticipantRecordingConfiguration"] = json!(self.recording);
        v["endpoints"] = self.endpoints();
        v
    }

    fn to_summary(&self) -> Value {
        let mut v = json!({ "arn": self.arn, "name": self.name, "tags": self.tags });
        if let Some(s) = self.active_session() {
            v["activeSessionId"] = json!(s.session_id);
        }
        v
    }
}

impl IvsState {
    /// Start a stage session (tests: sessions only exist while participants are connected
    /// in real IVS, which this emulator has no media plane for). Returns the session id.
    pub fn start_session(&mut self, stage_arn: &str, now: i64) -> Option<String> {
        let stage = self.stage_mut_by_arn(stage_arn)?;
        if let Some(s) = stage.active_session() {
            return Some(s.session_id.clone());
        }
        let id = format!("st-{}", random_alnum(13));
        stage.sessions.push(SessionRecord {
            session_id: id.clone(),
            start_time: now,
            end_time: None,
        });
        Some(id)
    }

    /// End the stage's active session, if any.
    pub fn end_session(&mut self, stage_arn: &str, now: i64) -> bool {
        let Some(stage) = self.stage_mut_by_arn(stage_arn) else {
            return false;
        };
        match stage
            .sessions
            .iter_mut()
            .rev()
            .find(|s| s.end_time.is_none())
        {
            Some(s) => {
                s.end_time = Some(now);
                true
            }
            None => false,
        }
    }

    fn stage_mut_by_arn(&mut self, arn: &str) -> Option<&mut StageRecord> {
        let region = arn.split(':').nth(3)?;
        let id = arn.rsplit('/').next()?;
        self.regions
            .get_mut(region)?
            .stages
            .get_mut(id)
            .filter(|s| s.arn == arn)
    }

    /// The PEM public key that verifies this endpoint's participant tokens, if any token
    /// has been issued yet.
    pub fn token_public_key_pem(&self) -> Option<String> {
        let key = tokens::signing_key_from_pem(self.token_key.as_deref()?).ok()?;
        tokens::public_key_pem(&key).ok()
    }
}

fn random_alnum(n: usize) -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..n)
        .map(|_| CHARS[rng.random_range(0..CHARS.len())] as char)
        .collect()
}

fn random_lower(n: usize) -> String {
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..n)
        .map(|_| CHARS[rng.random_range(0..CHARS.len())] as char)
        .collect()
}

fn iso8601(secs: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_string())
}

// ---------------------------------------------------------------------------------------
// Validation helpers, phrased like the service's own ValidationException messages.

fn validation(msg: impl Into<String>) -> ApiError {
    ApiError::new(400, "ValidationException", msg)
}

fn constraint(field: &str, value: &str, what: &str) -> ApiError {
    validation(format!(
        "1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: {what}"
    ))
}

fn not_found(arn: &str) -> ApiError {
    ApiError::new(
        404,
        "ResourceNotFoundException",
        format!("Resource {arn} not found"),
    )
}

fn check_len(field: &str, value: &str, min: usize, max: usize) -> Result<(), ApiError> {
    let n = value.chars().count();
    if n < min || n > max {
        return Err(constraint(
            field,
            value,
            &format!("Member must have length between {min} and {max}, inclusive"),
        ));
    }
    Ok(())
}

fn check_range(field: &str, value: i64, min: i64, max: i64) -> Result<(), ApiError> {
    if value < min || value > max {
        return Err(constraint(
            field,
            &value.to_string(),
            &format!("Member must have value between {min} and {max}, inclusive"),
        ));
    }
    Ok(())
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

fn check_stage_name(name: &str) -> Result<(), ApiError> {
    check_len("name", name, 0, 128)?;
    if !name.chars().all(is_name_char) {
        return Err(constraint(
            "name",
            name,
            "Member must satisfy regular expression pattern: [a-zA-Z0-9-_]*",
        ));
    }
    Ok(())
}

fn is_region_like(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn is_id_like(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// Parse an IVS ARN `arn:aws:ivs:<region>:<account>:<type>/<id>` into (region, account,
/// type, id).
fn parse_arn(arn: &str) -> Option<(&str, &str, &str, &str)> {
    let rest = arn.strip_prefix("arn:aws:ivs:")?;
    let mut it = rest.splitn(3, ':');
    let region = it.next()?;
    let account = it.next()?;
    let resource = it.next()?;
    let (kind, id) = resource.split_once('/')?;
    let ok = is_region_like(region)
        && !account.is_empty()
        && account.chars().all(|c| c.is_ascii_digit())
        && !kind.is_empty()
        && kind.chars().all(|c| c.is_ascii_lowercase() || c == '-')
        && is_id_like(id);
    ok.then_some((region, account, kind, id))
}

fn check_stage_arn(field: &str, arn: &str) -> Result<(), ApiError> {
    check_len(field, arn, 1, 128)?;
    match parse_arn(arn) {
        Some((_, _, "stage", _)) => Ok(()),
        _ => Err(constraint(
            field,
            arn,
            "Member must satisfy regular expression pattern: arn:aws:ivs:[a-z0-9-]+:[0-9]+:stage/[a-zA-Z0-9-]+",
        )),
    }
}

fn check_tag_key(field: &str, key: &str, reserved_check: bool) -> Result<(), ApiError> {
    check_len(field, key, 1, 128)?;
    if reserved_check && key.to_ascii_lowercase().starts_with("aws:") {
        return Err(validation(format!(
            "Tag keys starting with 'aws:' are reserved for AWS use: '{key}'"
        )));
    }
    Ok(())
}

fn check_tags(tags: &BTreeMap<String, String>) -> Result<(), ApiError> {
    if tags.len() > 50 {
        return Err(constraint(
            "tags",
            &format!("map of {} entries", tags.len()),
            "Member must have length less than or equal to 50",
        ));
    }
    for (k, v) in tags {
        check_tag_key("tags.key", k, true)?;
        check_len("tags.value", v, 0, 256)?;
    }
    Ok(())
}

fn check_attributes(field: &str, attrs: &BTreeMap<String, String>) -> Result<(), ApiError> {
    let size: usize = attrs.iter().map(|(k, v)| k.len() + v.len()).sum();
    if size > 1024 {
        return Err(validation(format!(
            "{field}: total size of attribute keys and values must not exceed 1 KB (got {size} bytes)"
        )));
    }
    Ok(())
}

fn check_enum_list(
    field: &str,
    items: &[String],
    allowed: &[&str],
    max: usize,
) -> Result<(), ApiError> {
    if items.len() > max {
        return Err(constraint(
            field,
            &format!("{items:?}"),
            &format!("Member must have length less than or equal to {max}"),
        ));
    }
    for i in items {
        if !allowed.contains(&i.as_str()) {
            return Err(constraint(
                field,
                i,
                &format!(
                    "Member must satisfy enum value set: [{}]",
                    allowed.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

fn check_max_results(v: Option<i64>) -> Result<usize, ApiError> {
    match v {
        None => Ok(50),
        Some(n) => {
            check_range("maxResults", n, 1, 100)?;
            Ok(n as usize)
        }
    }
}

/// Pagination tokens are opaque: base64 of `<kind>:<position>`.
fn encode_token(kind: &str, position: &str) -> String {
    STANDARD.encode(format!("{kind}:{position}"))
}

fn decode_token(kind: &str, token: Option<&str>) -> Result<Option<String>, ApiError> {
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let bad = || validation(format!("The nextToken '{token}' is not valid"));
    if token.len() > 1024 {
        return Err(bad());
    }
    let raw = STANDARD.decode(token).map_err(|_| bad())?;
    let raw = String::from_utf8(raw).map_err(|_| bad())?;
    raw.strip_prefix(&format!("{kind}:"))
        .map(|p| Some(p.to_string()))
        .ok_or_else(bad)
}

// ---------------------------------------------------------------------------------------

/// Parse an `AutoParticipantRecordingConfiguration` input, filling AWS's defaults.
fn parse_recording(b: &Body<'_>) -> Result<RecordingConfig, ApiError> {
    let field = "autoParticipantRecordingConfiguration";
    let arn = b.req_str("storageConfigurationArn").map_err(|_| {
        validation(format!(
            "1 validation error detected: Value null at '{field}.storageConfigurationArn' failed to satisfy constraint: Member must not be null"
        ))
    })?;
    check_len(&format!("{field}.storageConfigurationArn"), arn, 0, 128)?;
    if arn.is_empty() {
        // "" disables recording and resets every other field.
        return Ok(RecordingConfig::default());
    }
    match parse_arn(arn) {
        Some((_, _, "storage-configuration", _)) => {}
        _ => {
            return Err(constraint(
                &format!("{field}.storageConfigurationArn"),
                arn,
                "Member must satisfy regular expression pattern: ^$|^arn:aws:ivs:[a-z0-9-]+:[0-9]+:storage-configuration/[a-zA-Z0-9-]+$",
            ));
        }
    }
    let mut cfg = RecordingConfig {
        storage_configuration_arn: arn.to_string(),
        ..RecordingConfig::default()
    };
    if let Some(m) = b.opt_string_list("mediaTypes")?
        && !m.is_empty()
    {
        check_enum_list(
            &format!("{field}.mediaTypes"),
            &m,
            &["AUDIO_VIDEO", "AUDIO_ONLY", "NONE"],
            1,
        )?;
        cfg.media_types = m;
    }
    if let Some(t) = b.opt_object("thumbnailConfiguration")? {
        if let Some(n) = t.opt_i64("targetIntervalSeconds")? {
            check_range(
                &format!("{field}.thumbnailConfiguration.targetIntervalSeconds"),
                n,
                1,
                86_400,
            )?;
            cfg.thumbnail_configuration.target_interval_seconds = n;
        }
        if let Some(s) = t.opt_string_list("storage")?
            && !s.is_empty()
        {
            check_enum_list(
                &format!("{field}.thumbnailConfiguration.storage"),
                &s,
                &["SEQUENTIAL", "LATEST"],
                2,
            )?;
            cfg.thumbnail_configuration.storage = s;
        }
        if let Some(m) = t.opt_str("recordingMode")? {
            check_enum_list(
                &format!("{field}.thumbnailConfiguration.recordingMode"),
                &[m.to_string()],
                &["INTERVAL", "DISABLED"],
                1,
            )?;
            cfg.thumbnail_configuration.recording_mode = m.to_string();
        }
    }
    if let Some(n) = b.opt_i64("recordingReconnectWindowSeconds")? {
        check_range(
            &format!("{field}.recordingReconnectWindowSeconds"),
            n,
            0,
            300,
        )?;
        cfg.recording_reconnect_window_seconds = n;
    }
    if let Some(h) = b.opt_object("hlsConfiguration")?
        && let Some(n) = h.opt_i64("targetSegmentDurationSeconds")?
    {
        check_range(
            &format!("{field}.hlsConfiguration.targetSegmentDurationSeconds"),
            n,
            2,
            10,
        )?;
        cfg.hls_configuration.target_segment_duration_seconds = n;
    }
    if let Some(r) = b.opt_bool("recordParticipantReplicas")? {
        cfg.record_participant_replicas = r;
    }
    Ok(cfg)
}

/// A participant token request (CreateParticipantToken or one CreateStage configuration).
struct TokenSpec {
    duration: i64,
    user_id: Option<String>,
    attributes: BTreeMap<String, String>,
    capabilities: Vec<String>,
}

fn parse_token_spec(b: &Body<'_>, prefix: &str) -> Result<TokenSpec, ApiError> {
    let duration = b.opt_i64("duration")?.unwrap_or(DEFAULT_TOKEN_MINUTES);
    check_range(&format!("{prefix}duration"), duration, 1, 20_160)?;
    let user_id = b.opt_str("userId")?.map(str::to_string);
    if let Some(u) = &user_id {
        check_len(&format!("{prefix}userId"), u, 0, 128)?;
    }
    let attributes = b.opt_string_map("attributes")?.unwrap_or_default();
    check_attributes(&format!("{prefix}attributes"), &attributes)?;
    let capabilities = match b.opt_string_list("capabilities")? {
        Some(c) => {
            check_enum_list(
                &format!("{prefix}capabilities"),
                &c,
                &["PUBLISH", "SUBSCRIBE"],
                2,
            )?;
            c
        }
        None => vec!["PUBLISH".into(), "SUBSCRIBE".into()],
    };
    Ok(TokenSpec {
        duration,
        user_id,
        attributes,
        capabilities,
    })
}

fn signing_key(state: &mut IvsState) -> Result<p384::ecdsa::SigningKey, ApiError> {
    let internal = |e: tokens::TokenError| {
        ApiError::new(
            500,
            "InternalServerException",
            format!("participant token key: {e}"),
        )
    };
    if let Some(pem) = &state.token_key
        && let Ok(key) = tokens::signing_key_from_pem(pem)
    {
        return Ok(key);
    }
    let (key, pem) = tokens::generate_key().map_err(internal)?;
    state.token_key = Some(pem);
    Ok(key)
}

fn mint_token(
    key: &p384::ecdsa::SigningKey,
    stage: &StageRecord,
    spec: &TokenSpec,
    now: i64,
) -> Result<Value, ApiError> {
    let participant_id = random_alnum(12);
    let exp = now + spec.duration * 60;
    let endpoints = stage.endpoints();
    let claims = tokens::Claims {
        exp,
        iat: now,
        jti: participant_id.clone(),
        resource: stage.arn.clone(),
        topic: stage.id().to_string(),
        events_url: endpoints["events"].as_str().unwrap_or_default().to_string(),
        whip_url: endpoints["whip"].as_str().unwrap_or_default().to_string(),
        capabilities: tokens::Capabilities {
            allow_publish: spec.capabilities.iter().any(|c| c == "PUBLISH"),
            allow_subscribe: spec.capabilities.iter().any(|c| c == "SUBSCRIBE"),
        },
        attributes: spec.attributes.clone(),
        user_id: spec.user_id.clone(),
        version: "1.0".into(),
    };
    let token = tokens::sign(key, &claims).map_err(|e| {
        ApiError::new(
            500,
            "InternalServerException",
            format!("token signing: {e}"),
        )
    })?;
    let mut v = json!({
        "participantId": participant_id,
        "token": token,
        "duration": spec.duration,
        "capabilities": spec.capabilities,
        "attributes": spec.attributes,
        "expirationTime": iso8601(exp),
    });
    if let Some(u) = &spec.user_id {
        v["userId"] = json!(u);
    }
    Ok(v)
}

// ---------------------------------------------------------------------------------------

/// Operations this emulator implements.
const OPERATIONS: &[&str] = &[
    "CreateStage",
    "GetStage",
    "ListStages",
    "UpdateStage",
    "DeleteStage",
    "CreateParticipantToken",
    "ListStageSessions",
    "GetStageSession",
    "TagResource",
    "UntagResource",
    "ListTagsForResource",
];

/// Operations of the model that are routed but not emulated (answered with a clear error).
const NOT_EMULATED: &[&str] = &[
    "DisconnectParticipant",
    "GetParticipant",
    "ListParticipants",
    "ListParticipantEvents",
    "CreateStorageConfiguration",
    "GetStorageConfiguration",
    "DeleteStorageConfiguration",
    "ListStorageConfigurations",
    "CreateEncoderConfiguration",
    "GetEncoderConfiguration",
    "DeleteEncoderConfiguration",
    "ListEncoderConfigurations",
    "ImportPublicKey",
    "GetPublicKey",
    "DeletePublicKey",
    "ListPublicKeys",
    "CreateIngestConfiguration",
    "GetIngestConfiguration",
    "UpdateIngestConfiguration",
    "DeleteIngestConfiguration",
    "ListIngestConfigurations",
    "StartComposition",
    "GetComposition",
    "StopComposition",
    "ListCompositions",
    "StartParticipantReplication",
    "StopParticipantReplication",
    "ListParticipantReplicas",
];

/// The IVS Real-Time service.
#[derive(Debug, Clone, Copy, Default)]
pub struct IvsService;

fn tag_arn(req: &Request) -> Result<String, ApiError> {
    let raw = req.path.strip_prefix("/tags/").unwrap_or_default();
    let arn = percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .map_err(|_| validation("resourceArn is not valid UTF-8"))?
        .into_owned();
    check_len("resourceArn", &arn, 1, 128)?;
    // The model's pattern has a one-character resource type (a model bug, reference §2.1);
    // accept every real IVS resource type instead.
    if parse_arn(&arn).is_none() {
        return Err(constraint(
            "resourceArn",
            &arn,
            "Member must satisfy regular expression pattern: arn:aws:ivs:[a-z0-9-]+:[0-9]+:[a-z-]/[a-zA-Z0-9-]+",
        ));
    }
    Ok(arn)
}

impl IvsService {
    fn region<'s>(state: &'s mut LocalState, req: &Request) -> &'s mut IvsRegion {
        state.ivs.regions.entry(req.region.clone()).or_default()
    }

    /// The stage `arn` names, in the request's region and account, or 404.
    fn find<'s>(
        state: &'s mut LocalState,
        req: &Request,
        ctx: &Context,
        arn: &str,
    ) -> Result<&'s mut StageRecord, ApiError> {
        let (region, account, kind, id) = parse_arn(arn).ok_or_else(|| not_found(arn))?;
        if region != req.region || account != ctx.account_id || kind != "stage" {
            return Err(not_found(arn));
        }
        Self::region(state, req)
            .stages
            .get_mut(id)
            .ok_or_else(|| not_found(arn))
    }

    fn create_stage(
        state: &mut LocalState,
        req: &Request,
        ctx: &Context,
        b: &Body<'_>,
    ) -> Result<Response, ApiError> {
        let name = b.opt_str("name")?.unwrap_or_default();
        check_stage_name(name)?;
        let tags = b.opt_string_map("tags")?.unwrap_or_default();
        check_tags(&tags)?;
        let recording = match b.opt_object("autoParticipantRecordingConfiguration")? {
            Some(r) => parse_recording(&r)?,
            None => RecordingConfig::default(),
        };
        let mut specs = Vec::new();
        if let Some(list) = b.opt_array("participantTokenConfigurations")? {
            if list.len() > 12 {
                return Err(constraint(
                    "participantTokenConfigurations",
                    &format!("list of {} items", list.len()),
                    "Member must have length less than or equal to 12",
                ));
            }
            for (i, item) in list.iter().enumerate() {
                let Value::Object(m) = item else {
                    return Err(validation(format!(
                        "participantTokenConfigurations[{i}] must be an object"
                    )));
                };
                specs.push(parse_token_spec(
                    &Body::new(m),
                    &format!("participantTokenConfigurations.{}.member.", i + 1),
                )?);
            }
        }
        if ctx.enforce_resource_quotas && Self::region(state, req).stages.len() >= STAGE_QUOTA {
            return Err(ApiError::new(
                402,
                "ServiceQuotaExceededException",
                format!(
                    "Request would cause a service quota to be exceeded: {STAGE_QUOTA} stages per region"
                ),
            ));
        }
        let stages = &Self::region(state, req).stages;
        let id = loop {
            let id = random_alnum(12);
            if !stages.contains_key(&id) {
                break id;
            }
        };
        let record = StageRecord {
            arn: format!("arn:aws:ivs:{}:{}:stage/{id}", req.region, ctx.account_id),
            name: name.to_string(),
            tags,
            recording,
            endpoint_id: random_lower(12),
            sessions: Vec::new(),
        };
        let mut minted = Vec::new();
        if !specs.is_empty() {
            let key = signing_key(&mut state.ivs)?;
            for spec in &specs {
                minted.push(mint_token(&key, &record, spec, ctx.now)?);
            }
        }
        let stage = record.to_stage();
        Self::region(state, req).stages.insert(id, record);
        Ok(rest_json::ok(&json!({
            "stage": stage,
            "participantTokens": minted,
        })))
    }

    fn list_stages(
        state: &mut LocalState,
        req: &Request,
        b: &Body<'_>,
    ) -> Result<Response, ApiError> {
        let max = check_max_results(b.opt_i64("maxResults")?)?;
        let token = b.opt_str("nextToken")?;
        if let Some(t) = token {
            check_len("nextToken", t, 0, 1024)?;
        }
        let after = decode_token("stages", token)?;
        let stages = &Self::region(state, req).stages;
        let range = match &after {
            Some(a) => stages.range::<String, _>((
                std::ops::Bound::Excluded(a.clone()),
                std::ops::Bound::Unbounded,
            )),
            None => stages.range::<String, _>(..),
        };
        let page: Vec<(&String, &StageRecord)> = range.take(max + 1).collect();
        let more = page.len() > max;
        let items: Vec<Value> = page.iter().take(max).map(|(_, s)| s.to_summary()).collect();
        let mut out = json!({ "stages": items });
        if more && let Some((id, _)) = page.get(max - 1) {
            out["nextToken"] = json!(encode_token("stages", id));
        }
        Ok(rest_json::ok(&out))
    }

    fn update_stage(
        state: &mut LocalState,
        req: &Request,
        ctx: &Context,
        b: &Body<'_>,
    ) -> Result<Response, ApiError> {
        let arn = b.req_str("arn")?;
        check_stage_arn("arn", arn)?;
        let name = b.opt_str("name")?;
        if let Some(n) = name {
            check_stage_name(n)?;
        }
        let recording = match b.opt_object("autoParticipantRecordingConfiguration")? {
            Some(r) => Some(parse_recording(&r)?),
            None => None,
        };
        let stage = Self::find(state, req, ctx, arn)?;
        if let Some(r) = recording {
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
        if let Some(n) = name {
            stage.name = n.to_string();
        }
        Ok(rest_json::ok(&json!({ "stage": stage.to_stage() })))
    }

    fn create_participant_token(
        state: &mut LocalState,
        req: &Request,
        ctx: &Context,
        b: &Body<'_>,
    ) -> Result<Response, ApiError> {
        let arn = b.req_str("stageArn")?;
        check_stage_arn("stageArn", arn)?;
        let spec = parse_token_spec(b, "")?;
        let stage = Self::find(state, req, ctx, arn)?.clone();
        let key = signing_key(&mut state.ivs)?;
        let token = mint_token(&key, &stage, &spec, ctx.now)?;
        Ok(rest_json::ok(&json!({ "participantToken": token })))
    }

    fn list_stage_sessions(
        state: &mut LocalState,
        req: &Request,
        ctx: &Context,
        b: &Body<'_>,
    ) -> Result<Response, ApiError> {
        let arn = b.req_str("stageArn")?;
        check_stage_arn("stageArn", arn)?;
        let max = check_max_results(b.opt_i64("maxResults")?)?;
        let token = b.opt_str("nextToken")?;
        let start: usize = match decode_token("sessions", token)? {
            Some(p) => p
                .parse()
                .map_err(|_| validation("The nextToken is not valid"))?,
            None => 0,
        };
        // ResourceNotFound is not modeled for this operation: an unknown stage has no sessions.
        let mut sessions: Vec<SessionRecord> = match Self::find(state, req, ctx, arn) {
            Ok(s) => s.sessions.clone(),
            Err(_) => Vec::new(),
        };
        sessions.sort_by_key(|s| std::cmp::Reverse(s.start_time));
        let items: Vec<Value> = sessions
            .iter()
            .skip(start)
            .take(max)
            .map(|s| {
                let mut v =
                    json!({ "sessionId": s.session_id, "startTime": iso8601(s.start_time) });
                if let Some(e) = s.end_time {
                    v["endTime"] = json!(iso8601(e));
                }
                v
            })
            .collect();
        let mut out = json!({ "stageSessions": items });
        if sessions.len() > start + max {
            out["nextToken"] = json!(encode_token("sessions", &(start + max).to_string()));
        }
        Ok(rest_json::ok(&out))
    }

    fn get_stage_session(
        state: &mut LocalState,
        req: &Request,
        ctx: &Context,
        b: &Body<'_>,
    ) -> Result<Response, ApiError> {
        let arn = b.req_str("stageArn")?;
        check_stage_arn("stageArn", arn)?;
        let session_id = b.req_str("sessionId")?;
        check_len("sessionId", session_id, 16, 16)?;
        let stage = Self::find(state, req, ctx, arn)?;
        let s = stage
            .sessions
            .iter()
            .find(|s| s.session_id == session_id)
            .ok_or_else(|| not_found(session_id))?;
        let mut v = json!({ "sessionId": s.session_id, "startTime": iso8601(s.start_time) });
        if let Some(e) = s.end_time {
            v["endTime"] = json!(iso8601(e));
        }
        Ok(rest_json::ok(&json!({ "stageSession": v })))
    }

    fn tag_target<'s>(
        state: &'s mut LocalState,
        req: &Request,
        ctx: &Context,
    ) -> Result<&'s mut StageRecord, ApiError> {
        let arn = tag_arn(req)?;
        Self::find(state, req, ctx, &arn)
    }

    fn tag_resource(
        state: &mut LocalState,
        req: &Request,
        ctx: &Context,
        b: &Body<'_>,
    ) -> Result<Response, ApiError> {
        let tags = b
            .opt_string_map("tags")?
            .ok_or_else(|| validation("1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null"))?;
        check_tags(&tags)?;
        let stage = Self::tag_target(state, req, ctx)?;
        let mut merged = stage.tags.clone();
        merged.extend(tags);
        if merged.len() > 50 {
            return Err(validation(format!(
                "Resource would have {} tags; the maximum is 50",
                merged.len()
            )));
        }
        stage.tags = merged;
        Ok(rest_json::empty())
    }

    fn untag_resource(
        state: &mut LocalState,
        req: &Request,
        ctx: &Context,
    ) -> Result<Response, ApiError> {
        let keys: Vec<String> = req
            .query_pairs()
            .into_iter()
            .filter(|(k, _)| k == "tagKeys")
            .map(|(_, v)| v)
            .collect();
        if keys.is_empty() {
            return Err(validation(
                "1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null",
            ));
        }
        if keys.len() > 50 {
            return Err(constraint(
                "tagKeys",
                &format!("list of {} items", keys.len()),
                "Member must have length less than or equal to 50",
            ));
        }
        for k in &keys {
            check_tag_key("tagKeys.member", k, true)?;
        }
        let stage = Self::tag_target(state, req, ctx)?;
        for k in &keys {
            stage.tags.remove(k);
        }
        Ok(rest_json::empty())
    }
}

impl Service for IvsService {
    fn signing_name(&self) -> &'static str {
        "ivs"
    }

    fn route(&self, req: &Request) -> Result<Route, (Protocol, ApiError)> {
        let route = |op: &str| {
            Ok(Route {
                operation: op.to_string(),
                protocol: Protocol::RestJson1,
            })
        };
        if req.path.starts_with("/tags/") && req.path.len() > "/tags/".len() {
            return match req.method {
                http::Method::GET => route("ListTagsForResource"),
                http::Method::POST => route("TagResource"),
                http::Method::DELETE => route("UntagResource"),
                _ => Err((
                    Protocol::RestJson1,
                    ApiError::new(405, "MethodNotAllowedException", "Method not allowed"),
                )),
            };
        }
        let op = req.path.trim_start_matches('/');
        if req.method == http::Method::POST
            && (OPERATIONS.contains(&op) || NOT_EMULATED.contains(&op))
        {
            return route(op);
        }
        Err((
            Protocol::RestJson1,
            ApiError::new(
                404,
                "UnknownOperationException",
                format!("Unknown operation {} {}", req.method, req.path),
            ),
        ))
    }

    fn handle(
        &self,
        route: &Route,
        req: &Request,
        state: &mut LocalState,
        ctx: &Context,
    ) -> Result<Response, ApiError> {
        let map = rest_json::parse_body(req)?;
        let b = Body::new(&map);
        match route.operation.as_str() {
            "CreateStage" => Self::create_stage(state, req, ctx, &b),
            "GetStage" => {
                let arn = b.req_str("arn")?;
                check_stage_arn("arn", arn)?;
                let stage = Self::find(state, req, ctx, arn)?;
                Ok(rest_json::ok(&json!({ "stage": stage.to_stage() })))
            }
            "ListStages" => Self::list_stages(state, req, &b),
            "UpdateStage" => Self::update_stage(state, req, ctx, &b),
            "DeleteStage" => {
                let arn = b.req_str("arn")?;
                check_stage_arn("arn", arn)?;
                let id = Self::find(state, req, ctx, arn)?.id().to_string();
                Self::region(state, req).stages.remove(&id);
                Ok(rest_json::empty())
            }
            "CreateParticipantToken" => Self::create_participant_token(state, req, ctx, &b),
            "ListStageSessions" => Self::list_stage_sessions(state, req, ctx, &b),
            "GetStageSession" => Self::get_stage_session(state, req, ctx, &b),
            "TagResource" => Self::tag_resource(state, req, ctx, &b),
            "UntagResource" => Self::untag_resource(state, req, ctx),
            "ListTagsForResource" => {
                let stage = Self::tag_target(state, req, ctx)?;
                Ok(rest_json::ok(&json!({ "tags": stage.tags })))
            }
            op => Err(ApiError::new(
                501,
                "NotImplementedException",
                format!("{op} is not emulated by ivstack local"),
            )),
        }
    }

    fn render_error(&self, _protocol: Protocol, err: &ApiError, _ctx: &Context) -> Response {
        rest_json::render_error(err)
    }

    fn throttling_error(&self, _operation: &str) -> ApiError {
        // The model declares no throttling error; `ThrottlingException` is in the SDKs'
        // list of throttling codes (aws-runtime retries/classifiers.rs THROTTLING_ERRORS).
        ApiError::new(429, "ThrottlingException", "Rate exceeded")
    }

    fn is_mutating(&self, operation: &str) -> bool {
        matches!(
            operation,
            "CreateStage"
                | "UpdateStage"
                | "DeleteStage"
                | "CreateParticipantToken"
                | "TagResource"
                | "UntagResource"
        )
    }

    fn rate_quota(&self, operation: &str) -> f64 {
        match operation {
            "CreateParticipantToken" => 50.0,
            "TagResource" | "UntagResource" | "ListTagsForResource" => 10.0,
            "ImportPublicKey" | "GetPublicKey" | "DeletePublicKey" | "ListPublicKeys" => 3.0,
            _ => 5.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_parse_and_validate() {
        assert_eq!(
            parse_arn("arn:aws:ivs:us-east-1:123456789012:stage/abcDEF123456"),
            Some(("us-east-1", "123456789012", "stage", "abcDEF123456"))
        );
        assert!(parse_arn("arn:aws:ivs:us-east-1:12a:stage/x").is_none());
        assert!(parse_arn("arn:aws:s3:::bucket").is_none());
        assert!(check_stage_arn("arn", "arn:aws:ivs:us-east-1:1:storage-configuration/x").is_err());
    }

    #[test]
    fn tokens_round_trip_and_reject_garbage() {
        let t = encode_token("stages", "abc");
        assert_eq!(
            decode_token("stages", Some(&t)).unwrap(),
            Some("abc".into())
        );
        assert!(decode_token("sessions", Some(&t)).is_err());
        assert!(decode_token("stages", Some("!!!")).is_err());
        assert_eq!(decode_token("stages", Some("")).unwrap(), None);
    }
}
