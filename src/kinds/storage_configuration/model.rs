//! The stack-file form of a storage configuration (`storage_configurations.<id>`): what a
//! file may say, with its limits (botocore's ivs-realtime model). Field docs become the
//! JSON Schema's descriptions.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::kinds::is_false;

/// An IVS Real-Time storage configuration: the S3 bucket that stages record to. IVS has no
/// update for it: changing `name` or `s3_bucket` replaces it (the new one is created first,
/// stages that record to it move over, then the old one is deleted).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StorageConfiguration {
    /// Name. Default: `<stack>-<id>`. Names are not unique in IVS (ivstack tracks storage
    /// configurations by their ownership tags). Changing it replaces the storage
    /// configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        length(max = 128),
        pattern(r"^[a-zA-Z0-9-_]*$"),
        extend("patternErrorMessage" = "may only contain letters, digits, `-` and `_`")
    )]
    pub name: Option<String>,

    /// Name of the S3 bucket recordings are written to. The bucket must exist, in the
    /// stack's region; on creation IVS adds its write permission to the bucket policy.
    /// Changing it replaces the storage configuration.
    #[schemars(
        length(min = 3, max = 63),
        pattern(r"^[a-z0-9-.]+$"),
        extend("patternErrorMessage" = "is not an S3 bucket name: lowercase letters, digits, `-` and `.` only")
    )]
    pub s3_bucket: String,

    /// Tags of this storage configuration, merged over the stack's default tags.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,

    /// Never delete this storage configuration, even when it is removed from the file or
    /// the stack is destroyed (stored as the `ivstack:protect` tag).
    #[serde(default, skip_serializing_if = "is_false")]
    pub protect: bool,
}
