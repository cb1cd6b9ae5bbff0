//! The stack-file form of a stage (`stages.<id>`): what a file may say, with its defaults
//! and limits. Field docs become the JSON Schema's descriptions.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::kinds::is_false;

/// An IVS Real-Time stage.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    /// Stage name. Default: `<stack>-<id>`. Names are not unique in IVS; ivstack tracks
    /// stages by their ownership tags, so renaming updates the stage in place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        length(max = 128),
        pattern(r"^[a-zA-Z0-9-_]*$"),
        extend("patternErrorMessage" = "may only contain letters, digits, `-` and `_`")
    )]
    pub name: Option<String>,

    /// Tags of this stage, merged over the stack's default tags.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,

    /// Auto participant recording. Leave out to leave recording unmanaged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording: Option<Recording>,

    /// Never delete this stage, even when it is removed from the file or the stack is
    /// destroyed. Stored on the stage as the `ivstack:protect` tag, so the protection
    /// survives deleting the YAML.
    #[serde(default, skip_serializing_if = "is_false")]
    pub protect: bool,
}

/// The stage's `autoParticipantRecordingConfiguration`. Omitted fields are unmanaged: the
/// live value (or the AWS default on creation) is kept. Exactly one of `storage` and
/// `storage_configuration_arn` says where recordings go.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Recording {
    /// Logical id of the storage configuration (in this file's `storage_configurations`)
    /// that receives recordings. ivstack creates it first, and keeps it while the stage
    /// records to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<String>,

    /// ARN of a storage configuration this stack does not manage. An empty string
    /// disables recording.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        length(max = 128),
        pattern(r"^$|^arn:aws:ivs:[a-z0-9-]+:[0-9]+:storage-configuration/[a-zA-Z0-9-]+$"),
        extend("patternErrorMessage" = "is not an IVS storage configuration ARN (`arn:aws:ivs:<region>:<account>:storage-configuration/<id>`, or \"\" to disable recording)")
    )]
    pub storage_configuration_arn: Option<String>,

    /// Media types to record. AWS default: `[AUDIO_VIDEO]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 1))]
    pub media_types: Option<Vec<MediaType>>,

    /// Thumbnail capture.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnails: Option<Thumbnails>,

    /// Target HLS segment length in seconds, 2 to 10. AWS default: 6.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 2, max = 10))]
    pub hls_segment_seconds: Option<i32>,

    /// Seconds within which a reconnecting participant's recording is merged into the same
    /// recording, 0 to 300. AWS default: 0 (no merging).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 300))]
    pub reconnect_window_seconds: Option<i32>,

    /// Also record participant replicas. AWS default: true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_participant_replicas: Option<bool>,
}

/// A recorded media type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum MediaType {
    #[serde(rename = "AUDIO_VIDEO")]
    AudioVideo,
    #[serde(rename = "AUDIO_ONLY")]
    AudioOnly,
    #[serde(rename = "NONE")]
    None,
}

/// Thumbnail settings of a recording.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Thumbnails {
    /// `INTERVAL` captures a thumbnail every `interval_seconds`; `DISABLED` captures none.
    /// AWS default: `DISABLED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<ThumbnailMode>,

    /// Seconds between thumbnails, 1 to 86400 (only with `mode: INTERVAL`). AWS default: 60.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 86400))]
    pub interval_seconds: Option<i32>,

    /// `SEQUENTIAL` keeps every thumbnail, `LATEST` overwrites one. AWS default: `[SEQUENTIAL]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 2))]
    pub storage: Option<Vec<ThumbnailStorage>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ThumbnailMode {
    #[serde(rename = "INTERVAL")]
    Interval,
    #[serde(rename = "DISABLED")]
    Disabled,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
pub enum ThumbnailStorage {
    #[serde(rename = "SEQUENTIAL")]
    Sequential,
    #[serde(rename = "LATEST")]
    Latest,
}
