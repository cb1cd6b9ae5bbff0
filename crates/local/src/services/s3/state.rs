//! S3's persisted state: buckets by name (one namespace across Regions, as in S3), each
//! with its Region, bucket policy and objects.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// All S3 emulator state.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct S3State {
    /// By bucket name.
    #[serde(default)]
    pub buckets: BTreeMap<String, Bucket>,
}

impl S3State {
    /// No bucket at all (the state file then has no `s3` section).
    pub fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Bucket {
    /// The Region it was created in (its `LocationConstraint`, us-east-1 without one).
    pub region: String,
    /// Epoch seconds.
    pub created: i64,
    /// The bucket policy's JSON text, as it was put.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// By key.
    #[serde(default)]
    pub objects: BTreeMap<String, Object>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Object {
    #[serde(with = "base64_bytes")]
    pub body: Vec<u8>,
    /// `"<MD5 hex>"`, quotes included, as S3 sends it.
    pub etag: String,
    /// Epoch seconds.
    pub last_modified: i64,
    pub content_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_encoding: Option<String>,
    /// The full-object checksum S3 keeps: the algorithm the upload was checked with (its
    /// `x-amz-checksum-*` name, e.g. `crc32`) and its base64 value; CRC64NVME of the body
    /// when the upload sent none, as S3 computes by default.
    pub checksum: (String, String),
}

/// Object bytes as base64 text in the state file.
mod base64_bytes {
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        base64::engine::general_purpose::STANDARD
            .decode(text.as_bytes())
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_round_trip_through_json() {
        let object = Object {
            body: vec![0, 159, 146, 150],
            etag: "\"x\"".into(),
            last_modified: 1,
            content_type: "application/octet-stream".into(),
            content_encoding: None,
            checksum: ("crc32".into(), "AAAAAA==".into()),
        };
        let json = serde_json::to_string(&object).unwrap();
        assert!(json.contains("\"body\":\"AJ+Slg==\""), "{json}");
        assert_eq!(serde_json::from_str::<Object>(&json).unwrap(), object);
    }
}
