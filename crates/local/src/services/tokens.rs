//! Participant tokens of the local IVS emulator: real JWTs signed ES384 (ECDSA P-384,
//! SHA-384) by a per-endpoint key kept in the state, with the claims IVS documents for
//! self-signed tokens (reference §7). Real IVS signs its own tokens with a KMS key (header
//! `alg: KMS`); ours use a verifiable standard algorithm so tests can check every claim.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p384::ecdsa::signature::{Signer, Verifier};
use p384::ecdsa::{Signature, SigningKey, VerifyingKey};
use p384::pkcs8::{
    DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding,
};
use serde::{Deserialize, Serialize};

/// `capabilities` claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capabilities {
    pub allow_publish: bool,
    pub allow_subscribe: bool,
}

/// The claims of a participant token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub exp: i64,
    pub iat: i64,
    /// The participant id.
    pub jti: String,
    /// The stage ARN.
    pub resource: String,
    /// The stage id (the ARN's suffix).
    pub topic: String,
    pub events_url: String,
    pub whip_url: String,
    pub capabilities: Capabilities,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    pub version: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("token is not a three-part JWT")]
    Shape,
    #[error("token part is not base64url: {0}")]
    Encoding(String),
    #[error("token header is not ES384/JWT")]
    Header,
    #[error("token signature does not verify")]
    Signature,
    #[error("token claims are unreadable: {0}")]
    Claims(String),
    #[error("token expired at {exp} (now {now})")]
    Expired { exp: i64, now: i64 },
    #[error("signing key error: {0}")]
    Key(String),
}

/// A fresh signing key and its PKCS#8 PEM (what the state stores).
pub fn generate_key() -> Result<(SigningKey, String), TokenError> {
    // Any 48 bytes below the curve order make a key; retrying on the rare miss is simplest.
    for _ in 0..16 {
        let bytes: [u8; 48] = rand::random();
        if let Ok(key) = SigningKey::from_slice(&bytes) {
            let pem = key
                .to_pkcs8_pem(LineEnding::LF)
                .map_err(|e| TokenError::Key(e.to_string()))?;
            return Ok((key, pem.to_string()));
        }
    }
    Err(TokenError::Key("could not generate a P-384 key".into()))
}

pub fn signing_key_from_pem(pem: &str) -> Result<SigningKey, TokenError> {
    SigningKey::from_pkcs8_pem(pem).map_err(|e| TokenError::Key(e.to_string()))
}

/// The SPKI PEM of the public half, as IVS's ImportPublicKey would take it.
pub fn public_key_pem(key: &SigningKey) -> Result<String, TokenError> {
    key.verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .map_err(|e| TokenError::Key(e.to_string()))
}

/// Sign `claims` as a compact JWS (`header.payload.signature`).
pub fn sign(key: &SigningKey, claims: &Claims) -> Result<String, TokenError> {
    let header = serde_json::json!({"alg": "ES384", "typ": "JWT"});
    let payload = serde_json::to_vec(claims).map_err(|e| TokenError::Claims(e.to_string()))?;
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let signature: Signature = key.sign(signing_input.as_bytes());
    Ok(format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature.to_bytes())
    ))
}

/// Check a token's signature against `public_key_pem` and its expiry against `now`
/// (Unix seconds), returning the claims.
pub fn verify(token: &str, public_key_pem: &str, now: i64) -> Result<Claims, TokenError> {
    let key = VerifyingKey::from_public_key_pem(public_key_pem)
        .map_err(|e| TokenError::Key(e.to_string()))?;
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        return Err(TokenError::Shape);
    }
    let decode = |s: &str| {
        URL_SAFE_NO_PAD
            .decode(s)
            .map_err(|e| TokenError::Encoding(e.to_string()))
    };
    let header: serde_json::Value =
        serde_json::from_slice(&decode(parts[0])?).map_err(|_| TokenError::Header)?;
    if header.get("alg").and_then(|v| v.as_str()) != Some("ES384") {
        return Err(TokenError::Header);
    }
    let signature = Signature::from_slice(&decode(parts[2])?).map_err(|_| TokenError::Signature)?;
    let signing_input = format!("{}.{}", parts[0], parts[1]);
    key.verify(signing_input.as_bytes(), &signature)
        .map_err(|_| TokenError::Signature)?;
    let claims: Claims = serde_json::from_slice(&decode(parts[1])?)
        .map_err(|e| TokenError::Claims(e.to_string()))?;
    if claims.exp <= now {
        return Err(TokenError::Expired {
            exp: claims.exp,
            now,
        });
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> Claims {
        Claims {
            exp: 2_000,
            iat: 1_000,
            jti: "p1".into(),
            resource: "arn:aws:ivs:us-east-1:123456789012:stage/abcdABCDefgh".into(),
            topic: "abcdABCDefgh".into(),
            events_url: "wss://global.events.live-video.net".into(),
            whip_url: "https://x.global-bm.whip.live-video.net".into(),
            capabilities: Capabilities {
                allow_publish: true,
                allow_subscribe: false,
            },
            attributes: BTreeMap::new(),
            user_id: Some("u".into()),
            version: "1.0".into(),
        }
    }

    #[test]
    fn round_trips_and_rejects_tampering_and_expiry() {
        let (key, pem) = generate_key().unwrap();
        let key2 = signing_key_from_pem(&pem).unwrap();
        let public = public_key_pem(&key2).unwrap();
        let token = sign(&key, &claims()).unwrap();
        assert_eq!(verify(&token, &public, 1_500).unwrap(), claims());
        assert!(matches!(
            verify(&token, &public, 2_000),
            Err(TokenError::Expired { .. })
        ));
        let mut other = claims();
        other.capabilities.allow_subscribe = true;
        let forged_payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&other).unwrap());
        let parts: Vec<&str> = token.split('.').collect();
        let forged = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
        assert_eq!(verify(&forged, &public, 1_500), Err(TokenError::Signature));
        let (_, other_pem) = generate_key().unwrap();
        let other_public = public_key_pem(&signing_key_from_pem(&other_pem).unwrap()).unwrap();
        assert_eq!(
            verify(&token, &other_public, 1_500),
            Err(TokenError::Signature)
        );
    }
}
