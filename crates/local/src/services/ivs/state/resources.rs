//! Storage, encoder and ingest configurations and public keys as the emulator keeps them,
//! and how each is written in responses (the model's full structure and its summary).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::document::Document;

/// A `StorageConfiguration`: where a stage's recordings go. Immutable.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StorageConfigurationRecord {
    pub arn: String,
    pub name: String,
    pub bucket_name: String,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

impl StorageConfigurationRecord {
    /// `StorageConfiguration`; `StorageConfigurationSummary` has the same members.
    pub fn to_document(&self) -> Document {
        Document::from_pairs([
            ("arn", Document::str(&self.arn)),
            ("name", Document::str(&self.name)),
            (
                "s3",
                Document::from_pairs([("bucketName", Document::str(&self.bucket_name))]),
            ),
            ("tags", Document::string_map(&self.tags)),
        ])
    }
}

/// An `EncoderConfiguration`: a composition's transcoding settings. Immutable.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EncoderConfigurationRecord {
    pub arn: String,
    pub name: String,
    pub video: Video,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

/// `Video`, every member filled (the model's defaults for those not given).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Video {
    pub width: i64,
    pub height: i64,
    pub framerate: f64,
    pub bitrate: i64,
}

impl Default for Video {
    /// "Default: video resolution 1280x720, bitrate 2500 kbps, 30 fps" (model).
    fn default() -> Self {
        Video {
            width: 1280,
            height: 720,
            framerate: 30.0,
            bitrate: 2_500_000,
        }
    }
}

impl EncoderConfigurationRecord {
    /// `EncoderConfiguration`.
    pub fn to_document(&self) -> Document {
        let mut d = self.to_summary();
        d.insert(
            "video",
            Document::from_pairs([
                ("width", Document::Int(self.video.width)),
                ("height", Document::Int(self.video.height)),
                ("framerate", Document::Float(self.video.framerate)),
                ("bitrate", Document::Int(self.video.bitrate)),
            ]),
        );
        d
    }

    /// `EncoderConfigurationSummary`: no video.
    pub fn to_summary(&self) -> Document {
        Document::from_pairs([
            ("arn", Document::str(&self.arn)),
            ("name", Document::str(&self.name)),
            ("tags", Document::string_map(&self.tags)),
        ])
    }
}

/// A `PublicKey` that verifies self-signed participant tokens. Immutable.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PublicKeyRecord {
    pub arn: String,
    pub name: String,
    /// The PEM as imported (echoed unchanged).
    pub material: String,
    pub fingerprint: String,
    /// SHA-256 (hex) of the key's DER `SubjectPublicKeyInfo`: the same key in another PEM
    /// layout (line length, CR LF, text around it) is the same key.
    pub key_sha256: String,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

impl PublicKeyRecord {
    /// `PublicKey`.
    pub fn to_document(&self) -> Document {
        let mut d = self.to_summary();
        d.insert("publicKeyMaterial", Document::str(&self.material));
        d.insert("fingerprint", Document::str(&self.fingerprint));
        d
    }

    /// `PublicKeySummary`.
    pub fn to_summary(&self) -> Document {
        Document::from_pairs([
            ("arn", Document::str(&self.arn)),
            ("name", Document::str(&self.name)),
            ("tags", Document::string_map(&self.tags)),
        ])
    }
}

/// An `IngestConfiguration`: an RTMP(S) publisher's credentials for a stage.
#[derive(Clone, Serialize, Deserialize)]
pub struct IngestConfigurationRecord {
    pub arn: String,
    pub name: String,
    /// `RTMP` or `RTMPS`.
    pub ingest_protocol: String,
    /// Secret: never logged (the `Debug` form leaves it out).
    pub stream_key: String,
    /// `""` when attached to no stage.
    pub stage_arn: String,
    pub participant_id: String,
    /// A publisher is streaming with this configuration (state `ACTIVE`).
    #[serde(default)]
    pub active: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    #[serde(default)]
    pub insecure_ingest: bool,
    #[serde(default)]
    pub redundant_ingest: bool,
    /// The backup publisher's credentials, present exactly when `redundant_ingest`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub redundant_credentials: Vec<RedundantCredential>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

/// A `RedundantIngestCredential`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedundantCredential {
    pub participant_id: String,
    /// Secret, as the primary stream key.
    pub stream_key: String,
}

// Stream keys are secrets: the `Debug` forms never show them.
impl std::fmt::Debug for IngestConfigurationRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IngestConfigurationRecord")
            .field("arn", &self.arn)
            .field("name", &self.name)
            .field("ingest_protocol", &self.ingest_protocol)
            .field("stream_key", &"<redacted>")
            .field("stage_arn", &self.stage_arn)
            .field("participant_id", &self.participant_id)
            .field("active", &self.active)
            .field("user_id", &self.user_id)
            .field("attributes", &self.attributes)
            .field("insecure_ingest", &self.insecure_ingest)
            .field("redundant_ingest", &self.redundant_ingest)
            .field("redundant_credentials", &self.redundant_credentials)
            .field("tags", &self.tags)
            .finish()
    }
}

impl std::fmt::Debug for RedundantCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedundantCredential")
            .field("participant_id", &self.participant_id)
            .field("stream_key", &"<redacted>")
            .finish()
    }
}

impl IngestConfigurationRecord {
    pub fn state(&self) -> &'static str {
        if self.active { "ACTIVE" } else { "INACTIVE" }
    }

    /// `IngestConfiguration`: the summary plus the stream key(s), attributes and tags.
    pub fn to_document(&self) -> Document {
        let mut d = self.to_summary();
        d.insert("streamKey", Document::str(&self.stream_key));
        d.insert("attributes", Document::string_map(&self.attributes));
        d.insert("tags", Document::string_map(&self.tags));
        if self.redundant_ingest {
            d.insert(
                "redundantIngestCredentials",
                Document::List(
                    self.redundant_credentials
                        .iter()
                        .map(|c| {
                            Document::from_pairs([
                                ("participantId", Document::str(&c.participant_id)),
                                ("streamKey", Document::str(&c.stream_key)),
                            ])
                        })
                        .collect(),
                ),
            );
        }
        d
    }

    /// `IngestConfigurationSummary`: no stream key, attributes or tags.
    pub fn to_summary(&self) -> Document {
        Document::from_pairs([
            ("name", Document::str(&self.name)),
            ("arn", Document::str(&self.arn)),
            ("ingestProtocol", Document::str(&self.ingest_protocol)),
            ("stageArn", Document::str(&self.stage_arn)),
            ("participantId", Document::str(&self.participant_id)),
            ("state", Document::str(self.state())),
            ("userId", Document::opt_str(self.user_id.as_deref())),
            ("redundantIngest", Document::Bool(self.redundant_ingest)),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_forms_hide_stream_keys() {
        let c = IngestConfigurationRecord {
            arn: "arn:aws:ivs:us-east-1:1:ingest-configuration/a".into(),
            name: String::new(),
            ingest_protocol: "RTMPS".into(),
            stream_key: "rt_1_us-east-1_a_SECRETSECRET".into(),
            stage_arn: String::new(),
            participant_id: "p".into(),
            active: false,
            user_id: None,
            attributes: BTreeMap::new(),
            insecure_ingest: false,
            redundant_ingest: true,
            redundant_credentials: vec![RedundantCredential {
                participant_id: "q".into(),
                stream_key: "rt_1_us-east-1_a_OTHERSECRET".into(),
            }],
            tags: BTreeMap::new(),
        };
        let shown = format!("{c:?}");
        assert!(!shown.contains("SECRET"), "{shown}");
        let doc = c.to_document();
        assert!(doc.get_str("streamKey").is_some());
        assert!(c.to_summary().get("streamKey").is_none());
    }
}
