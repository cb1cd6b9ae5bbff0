//! The stack-file form of an encoder configuration (`encoder_configurations.<id>`): what a
//! file may say, with its defaults and limits (botocore's ivs-realtime model). Field docs
//! become the JSON Schema's descriptions.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::kinds::is_false;

/// An IVS Real-Time encoder configuration: the video settings of a server-side composition.
/// IVS has no update for it: changing `name` or `video` replaces it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EncoderConfiguration {
    /// Name. Default: `<stack>-<id>`. Names are not unique in IVS. Changing it replaces
    /// the encoder configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        length(max = 128),
        pattern(r"^[a-zA-Z0-9-_]*$"),
        extend("patternErrorMessage" = "may only contain letters, digits, `-` and `_`")
    )]
    pub name: Option<String>,

    /// Video settings. Leave out (or leave a field out) to take AWS's default on creation
    /// and leave it unmanaged afterwards. Changing a field replaces the encoder
    /// configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video: Option<Video>,

    /// Tags of this encoder configuration, merged over the stack's default tags.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,

    /// Never delete this encoder configuration (stored as the `ivstack:protect` tag).
    #[serde(default, skip_serializing_if = "is_false")]
    pub protect: bool,
}

/// The video an encoder configuration produces.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Video {
    /// Width in pixels, an even number from 2 to 1920; width x height is at most
    /// 2,073,600 (1920x1080 or 1080x1920). AWS default: 1280.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 2, max = 1920))]
    pub width: Option<i32>,

    /// Height in pixels, an even number from 2 to 1920. AWS default: 720.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 2, max = 1920))]
    pub height: Option<i32>,

    /// Frames per second, 1 to 60 (fractions allowed, e.g. 29.97). AWS default: 30.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 60))]
    pub framerate: Option<f64>,

    /// Bits per second, 1 to 8,500,000. AWS default: 2,500,000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 8_500_000))]
    pub bitrate: Option<i32>,
}

/// AWS's defaults for a video field the request leaves out (CreateEncoderConfiguration).
pub const DEFAULT_WIDTH: i32 = 1280;
pub const DEFAULT_HEIGHT: i32 = 720;
pub const DEFAULT_FRAMERATE: f64 = 30.0;
pub const DEFAULT_BITRATE: i32 = 2_500_000;
/// Most pixels a frame may have (1920x1080).
pub const MAX_PIXELS: i64 = 2_073_600;
