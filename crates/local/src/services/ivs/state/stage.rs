//! A stage as the emulator keeps it: name, tags, recording configuration, the host label
//! of its endpoints and its sessions; and how it is written in responses.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::document::Document;

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
    /// The stage id (the ARN's suffix).
    pub fn id(&self) -> &str {
        self.arn.rsplit('/').next().unwrap_or_default()
    }

    /// The session in progress, if any.
    pub fn active_session(&self) -> Option<&SessionRecord> {
        self.sessions.iter().rev().find(|s| s.end_time.is_none())
    }

    /// The stage's ingest and events endpoints.
    pub fn endpoints(&self) -> Endpoints {
        Endpoints {
            events: "wss://global.events.live-video.net".to_string(),
            whip: format!("https://{}.global-bm.whip.live-video.net", self.endpoint_id),
            rtmp: format!(
                "rtmp://{}.global-contribute.live-video.net/app/",
                self.endpoint_id
            ),
            rtmps: format!(
                "rtmps://{}.global-contribute.live-video.net:443/app/",
                self.endpoint_id
            ),
        }
    }

    /// The `Stage` structure (GetStage, CreateStage, UpdateStage).
    pub fn to_stage(&self) -> Document {
        let mut d = self.to_summary();
        d.insert(
            "autoParticipantRecordingConfiguration",
            self.recording.to_document(),
        );
        let e = self.endpoints();
        d.insert(
            "endpoints",
            Document::from_pairs([
                ("events", Document::Str(e.events)),
                ("whip", Document::Str(e.whip)),
                ("rtmp", Document::Str(e.rtmp)),
                ("rtmps", Document::Str(e.rtmps)),
            ]),
        );
        d
    }

    /// The `StageSummary` structure (ListStages).
    pub fn to_summary(&self) -> Document {
        Document::from_pairs([
            ("arn", Document::str(&self.arn)),
            ("name", Document::str(&self.name)),
            ("tags", Document::string_map(&self.tags)),
            (
                "activeSessionId",
                Document::opt_str(self.active_session().map(|s| s.session_id.as_str())),
            ),
        ])
    }
}

/// A stage's endpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    pub events: String,
    pub whip: String,
    pub rtmp: String,
    pub rtmps: String,
}

impl RecordingConfig {
    /// As IVS sends it.
    pub fn to_document(&self) -> Document {
        let t = &self.thumbnail_configuration;
        Document::from_pairs([
            (
                "storageConfigurationArn",
                Document::str(&self.storage_configuration_arn),
            ),
            (
                "mediaTypes",
                Document::strings(self.media_types.iter().cloned()),
            ),
            (
                "thumbnailConfiguration",
                Document::from_pairs([
                    (
                        "targetIntervalSeconds",
                        Document::Int(t.target_interval_seconds),
                    ),
                    ("storage", Document::strings(t.storage.iter().cloned())),
                    ("recordingMode", Document::str(&t.recording_mode)),
                ]),
            ),
            (
                "recordingReconnectWindowSeconds",
                Document::Int(self.recording_reconnect_window_seconds),
            ),
            (
                "hlsConfiguration",
                Document::from_pairs([(
                    "targetSegmentDurationSeconds",
                    Document::Int(self.hls_configuration.target_segment_duration_seconds),
                )]),
            ),
            (
                "recordParticipantReplicas",
                Document::Bool(self.record_participant_replicas),
            ),
        ])
    }
}
