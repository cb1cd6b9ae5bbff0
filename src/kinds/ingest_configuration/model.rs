//! The stack-file form of an ingest configuration (`ingest_configurations.<id>`): what a
//! file may say, with its limits (botocore's ivs-realtime model). Field docs become the
//! JSON Schema's descriptions.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::kinds::is_false;

/// An IVS Real-Time ingest configuration: an RTMP or RTMPS publisher (a studio encoder,
/// OBS) that joins a stage as a participant with its own stream key. The stream key is a
/// secret: ivstack never shows, logs or saves it (read it with `aws ivs-realtime
/// get-ingest-configuration`). Moving to another `stage` and `redundant_ingest` update in
/// place; any other change replaces the ingest configuration, which gives it a new stream
/// key.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IngestConfiguration {
    /// Name. Default: `<stack>-<id>`. Changing it replaces the ingest configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        length(max = 128),
        pattern(r"^[a-zA-Z0-9-_]*$"),
        extend("patternErrorMessage" = "may only contain letters, digits, `-` and `_`")
    )]
    pub name: Option<String>,

    /// Logical id of the stage (in this file) the publisher joins. Leave out for an
    /// ingest configuration attached to no stage. Changing it moves the ingest
    /// configuration in place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,

    /// `RTMPS` (encrypted) or `RTMP` (which needs `insecure_ingest: true`). Changing it
    /// replaces the ingest configuration.
    pub ingest_protocol: IngestProtocol,

    /// Identifies the participant in your own systems; visible to every participant of
    /// the stage, so no personal or confidential data. 0 to 128 characters. Leave out to
    /// leave it unmanaged. Changing it replaces the ingest configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 128))]
    pub user_id: Option<String>,

    /// Participant attributes, at most 1 KB in total (keys and values); visible to every
    /// participant of the stage. Leave out to leave them unmanaged; `{}` manages them as
    /// empty. Changing them replaces the ingest configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<BTreeMap<String, String>>,

    /// Allow insecure RTMP ingest; required (`true`) with `ingest_protocol: RTMP`. AWS
    /// default: `false`. Set on creation only: AWS does not report it back, so ivstack
    /// cannot see a later change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insecure_ingest: Option<bool>,

    /// Redundant ingest (a second stream key for a backup encoder). AWS default: `false`.
    /// Leave out to leave it unmanaged. Updates in place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redundant_ingest: Option<bool>,

    /// Tags of this ingest configuration, merged over the stack's default tags.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,

    /// Never delete this ingest configuration (stored as the `ivstack:protect` tag).
    #[serde(default, skip_serializing_if = "is_false")]
    pub protect: bool,
}

/// The protocol an ingest configuration's publisher streams with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum IngestProtocol {
    // RTMP over TLS.
    #[default]
    #[serde(rename = "RTMPS")]
    Rtmps,
    // Plain RTMP (needs `insecure_ingest: true`).
    #[serde(rename = "RTMP")]
    Rtmp,
}

impl IngestProtocol {
    pub fn as_str(self) -> &'static str {
        match self {
            IngestProtocol::Rtmps => "RTMPS",
            IngestProtocol::Rtmp => "RTMP",
        }
    }
}

/// Most bytes of participant attributes, keys and values together (the model's "1 KB
/// total").
pub const MAX_ATTRIBUTE_BYTES: usize = 1024;
