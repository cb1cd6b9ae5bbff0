//! Minting: one token through CreateParticipantToken (rate-limited to the 50 TPS quota,
//! retried by the SDK on throttling and 5xx), or signed locally; either way the same
//! [`Minted`] comes back for output.

use std::collections::BTreeMap;

use serde_json::json;

use super::jwt::{Claims, StageTarget, TokenSigner, participant_id};
use super::request::{Capability, TokenRequest};
use crate::aws::{Aws, AwsError, aws_error};

/// A minted token and what it grants. `token` is a secret: it goes to standard output
/// only.
#[derive(Clone, PartialEq, Eq)]
pub struct Minted {
    pub participant_id: String,
    pub user_id: Option<String>,
    pub capabilities: Vec<Capability>,
    pub attributes: BTreeMap<String, String>,
    pub duration_minutes: u32,
    /// Expiry, RFC 3339 (UTC).
    pub expiration_time: String,
    pub token: String,
}

// The token must not reach a log through `{:?}`.
impl std::fmt::Debug for Minted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Minted")
            .field("participant_id", &self.participant_id)
            .field("user_id", &self.user_id)
            .field("capabilities", &self.capabilities)
            .field("expiration_time", &self.expiration_time)
            .field("token", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl Minted {
    /// The `--output json` line.
    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "participant_id": self.participant_id,
            "user_id": self.user_id,
            "capabilities": self.capabilities,
            "attributes": self.attributes,
            "duration_minutes": self.duration_minutes,
            "expiration_time": self.expiration_time,
            "token": self.token,
        })
    }
}

/// RFC 3339 of Unix seconds.
pub fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| unix.to_string())
}

/// Mint through CreateParticipantToken.
pub async fn via_api(
    aws: &Aws,
    stage_arn: &str,
    request: &TokenRequest,
) -> Result<Minted, AwsError> {
    use aws_sdk_ivsrealtime::types::ParticipantTokenCapability as Cap;
    aws.limit("ivs", "CreateParticipantToken").await;
    let caps = request
        .capabilities
        .iter()
        .map(|c| match c {
            Capability::Publish => Cap::Publish,
            Capability::Subscribe => Cap::Subscribe,
        })
        .collect();
    let out = aws
        .ivs
        .create_participant_token()
        .stage_arn(stage_arn)
        .set_user_id(request.user_id.clone())
        .duration(request.duration_minutes as i32)
        .set_capabilities(Some(caps))
        .set_attributes(
            (!request.attributes.is_empty())
                .then(|| request.attributes.clone().into_iter().collect()),
        )
        .send()
        .await
        .map_err(|e| aws_error("ivs:CreateParticipantToken", e))?;
    let missing =
        |what: &str| AwsError::failed("ivs:CreateParticipantToken", what.to_string(), false);
    let t = out
        .participant_token()
        .ok_or_else(|| missing("the response holds no participant token"))?;
    let token = t
        .token()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| missing("the participant token is empty"))?;
    let expiration_time = t
        .expiration_time()
        .and_then(|e| e.fmt(aws_smithy_types::date_time::Format::DateTime).ok())
        .unwrap_or_default();
    Ok(Minted {
        participant_id: t.participant_id().unwrap_or_default().to_string(),
        user_id: request.user_id.clone(),
        capabilities: request.capabilities.iter().copied().collect(),
        attributes: request.attributes.clone(),
        duration_minutes: request.duration_minutes,
        expiration_time,
        token: token.to_string(),
    })
}

/// Sign a token locally, issued at `now` (Unix seconds).
pub fn locally(
    signer: &TokenSigner,
    stage: &StageTarget,
    request: &TokenRequest,
    now: i64,
) -> Minted {
    let claims = Claims::new(stage, request, now, &participant_id());
    Minted {
        token: signer.sign(&claims),
        participant_id: claims.jti,
        user_id: request.user_id.clone(),
        capabilities: request.capabilities.iter().copied().collect(),
        attributes: request.attributes.clone(),
        duration_minutes: request.duration_minutes,
        expiration_time: rfc3339(claims.exp),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_is_rfc3339_utc() {
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn debug_never_shows_the_token() {
        let m = Minted {
            participant_id: "p".into(),
            user_id: None,
            capabilities: vec![Capability::Subscribe],
            attributes: BTreeMap::new(),
            duration_minutes: 1,
            expiration_time: String::new(),
            token: "eyJsecret.eyJsecret.sig".into(),
        };
        assert!(!format!("{m:?}").contains("eyJsecret"));
        assert_eq!(m.to_json()["token"], "eyJsecret.eyJsecret.sig");
        assert_eq!(m.to_json()["capabilities"], json!(["SUBSCRIBE"]));
    }
}
