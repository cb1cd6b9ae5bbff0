//! IVS Real-Time's persisted state: per Region, the five resource types (stages, storage,
//! encoder and ingest configurations, public keys), each by id; and the key that signs
//! participant tokens. Test hooks stand in for the media plane the emulator does not have
//! (stage sessions, a publisher streaming through an ingest configuration).

mod resources;
mod stage;

use std::collections::BTreeMap;

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::services::tokens;

pub use resources::{
    EncoderConfigurationRecord, IngestConfigurationRecord, PublicKeyRecord, RedundantCredential,
    StorageConfigurationRecord, Video,
};
pub use stage::{
    Endpoints, HlsConfig, RecordingConfig, SessionRecord, StageRecord, ThumbnailConfig,
};

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

/// One Region's resources, each map by resource id (the ARN's suffix). Empty maps are not
/// written, so state files of endpoints without them stay as they were.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct IvsRegion {
    #[serde(default)]
    pub stages: BTreeMap<String, StageRecord>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub storage_configurations: BTreeMap<String, StorageConfigurationRecord>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub encoder_configurations: BTreeMap<String, EncoderConfigurationRecord>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub public_keys: BTreeMap<String, PublicKeyRecord>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub ingest_configurations: BTreeMap<String, IngestConfigurationRecord>,
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

    /// Mark an ingest configuration ACTIVE (a publisher streams with its key) or INACTIVE
    /// (tests: the emulator has no RTMP ingest). False if there is no such configuration.
    pub fn set_ingest_active(&mut self, arn: &str, active: bool) -> bool {
        let Some((region, id)) = region_and_id(arn) else {
            return false;
        };
        match self
            .regions
            .get_mut(region)
            .and_then(|r| r.ingest_configurations.get_mut(id))
            .filter(|c| c.arn == arn)
        {
            Some(c) => {
                c.active = active;
                true
            }
            None => false,
        }
    }

    fn stage_mut_by_arn(&mut self, arn: &str) -> Option<&mut StageRecord> {
        let (region, id) = region_and_id(arn)?;
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

/// The Region and id parts of an IVS ARN (callers compare the whole ARN afterwards).
fn region_and_id(arn: &str) -> Option<(&str, &str)> {
    Some((arn.split(':').nth(3)?, arn.rsplit('/').next()?))
}

/// `n` random ASCII letters and digits (ids).
pub(crate) fn random_alnum(n: usize) -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..n)
        .map(|_| CHARS[rng.random_range(0..CHARS.len())] as char)
        .collect()
}

/// `n` random lowercase letters and digits (endpoint host labels).
pub(crate) fn random_lower(n: usize) -> String {
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..n)
        .map(|_| CHARS[rng.random_range(0..CHARS.len())] as char)
        .collect()
}

/// A random (version 4) UUID in its lowercase text form: the public-key ids of the IVS
/// documentation's examples look like this.
pub(crate) fn random_uuid() -> String {
    let mut b: [u8; 16] = rand::random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_have_the_text_form() {
        let u = random_uuid();
        let parts: Vec<_> = u.split('-').map(str::len).collect();
        assert_eq!(parts, vec![8, 4, 4, 4, 12]);
        assert_eq!(&u[14..15], "4");
        assert!(u.chars().all(|c| c == '-' || c.is_ascii_hexdigit()));
        assert!(!u.chars().any(|c| c.is_ascii_uppercase()));
    }
}
