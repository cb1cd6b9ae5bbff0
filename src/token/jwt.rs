//! Self-signed participant tokens: ES384 JWTs that IVS verifies with a public key imported
//! into the account (a `public_keys` resource), minted with no API call and no rate quota.
//!
//! The claim set is the one the IVS Real-Time user guide documents for self-signed tokens
//! ("Distribute Participant Tokens"): header `alg: ES384`, `typ: JWT`, `kid` = the public
//! key's ARN; payload `exp`, `iat`, `jti` (the participant id), `user_id` (optional),
//! `resource` (stage ARN), `topic` (stage id), `events_url` and `whip_url` (the stage's
//! endpoints), `capabilities {allow_publish, allow_subscribe}`, `attributes` (optional) and
//! `version: "1.0"`. The signature is ECDSA P-384 with SHA-384, as the 96-byte `r || s`
//! that JWS prescribes (not DER).

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p384::ecdsa::signature::Signer as _;
use p384::ecdsa::{Signature, SigningKey, VerifyingKey};
use p384::elliptic_curve::zeroize::Zeroizing;
use p384::pkcs8::{DecodePrivateKey, DecodePublicKey};
use serde::{Deserialize, Serialize};

use super::request::TokenRequest;

/// The `version` claim IVS expects.
pub const CLAIMS_VERSION: &str = "1.0";

/// What a token is for: the stage as IVS knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageTarget {
    /// The stage ARN (`resource`).
    pub arn: String,
    /// `Stage.endpoints.events` (`events_url`).
    pub events_url: String,
    /// `Stage.endpoints.whip` (`whip_url`).
    pub whip_url: String,
}

impl StageTarget {
    /// The stage id: the ARN's last part (`topic`).
    pub fn topic(&self) -> &str {
        self.arn.rsplit('/').next().unwrap_or(&self.arn)
    }
}

/// The `capabilities` claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapabilityClaims {
    pub allow_publish: bool,
    pub allow_subscribe: bool,
}

/// The payload of a self-signed token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    pub resource: String,
    pub topic: String,
    pub events_url: String,
    pub whip_url: String,
    pub capabilities: CapabilityClaims,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
    pub version: String,
}

impl Claims {
    /// The claims of a token for `request` on `stage`, issued at `iat` (Unix seconds) to
    /// participant `jti`.
    pub fn new(stage: &StageTarget, request: &TokenRequest, iat: i64, jti: &str) -> Claims {
        Claims {
            exp: iat + i64::from(request.duration_minutes) * 60,
            iat,
            jti: jti.to_string(),
            user_id: request.user_id.clone(),
            resource: stage.arn.clone(),
            topic: stage.topic().to_string(),
            events_url: stage.events_url.clone(),
            whip_url: stage.whip_url.clone(),
            capabilities: CapabilityClaims {
                allow_publish: request.publishes(),
                allow_subscribe: request.subscribes(),
            },
            attributes: request.attributes.clone(),
            version: CLAIMS_VERSION.to_string(),
        }
    }
}

/// Why a private key cannot be used. The messages never include key material.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error(
        "holds no private key (expected the PEM that `openssl ecparam -name secp384r1 -genkey \
         -noout` writes, `BEGIN EC PRIVATE KEY`, or PKCS#8 `BEGIN PRIVATE KEY`)"
    )]
    NoKey,
    #[error(
        "holds an encrypted private key; decrypt it first (`openssl ec -in KEY.pem -out plain.pem`)"
    )]
    Encrypted,
    #[error("holds a private key that is not an ECDSA P-384 (secp384r1) key, which IVS requires")]
    NotP384,
    #[error("the imported public key cannot be read as a P-384 public key (PEM)")]
    PublicKey,
}

/// Load an ECDSA P-384 private key from PEM text: SEC1 (`EC PRIVATE KEY`, what openssl
/// writes, with or without an `EC PARAMETERS` block before it) or PKCS#8 (`PRIVATE KEY`).
pub fn load_private_key(pem: &str) -> Result<SigningKey, KeyError> {
    if pem.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----")
        || pem.contains("Proc-Type: 4,ENCRYPTED")
    {
        return Err(KeyError::Encrypted);
    }
    if let Some(block) = pem_block(pem, "EC PRIVATE KEY") {
        let secret = p384::SecretKey::from_sec1_pem(&block).map_err(|_| KeyError::NotP384)?;
        return Ok(SigningKey::from(secret));
    }
    if let Some(block) = pem_block(pem, "PRIVATE KEY") {
        return SigningKey::from_pkcs8_pem(&block).map_err(|_| KeyError::NotP384);
    }
    Err(KeyError::NoKey)
}

/// The first PEM block with `label`, begin to end line (kept zeroised: it is the key).
fn pem_block(text: &str, label: &str) -> Option<Zeroizing<String>> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = text.find(&begin)?;
    let stop = text[start..].find(&end)? + start + end.len();
    Some(Zeroizing::new(format!("{}\n", &text[start..stop])))
}

/// Whether `key`'s public half is the public key in `public_pem` (SPKI PEM, as
/// ImportPublicKey takes and GetPublicKey returns it).
pub fn public_key_matches(key: &SigningKey, public_pem: &str) -> Result<bool, KeyError> {
    let imported =
        VerifyingKey::from_public_key_pem(public_pem.trim()).map_err(|_| KeyError::PublicKey)?;
    Ok(&imported == key.verifying_key())
}

/// Signs tokens with one private key for one imported public key.
pub struct TokenSigner {
    key: SigningKey,
    /// The base64url header, the same for every token of this key.
    header: String,
}

impl TokenSigner {
    /// A signer whose tokens name `public_key_arn` as their `kid`.
    pub fn new(key: SigningKey, public_key_arn: &str) -> TokenSigner {
        let header = serde_json::json!({"alg": "ES384", "typ": "JWT", "kid": public_key_arn});
        TokenSigner {
            key,
            header: URL_SAFE_NO_PAD.encode(header.to_string()),
        }
    }

    /// The compact JWS of `claims`: `header.payload.signature`.
    pub fn sign(&self, claims: &Claims) -> String {
        // Serialising plain strings, numbers and maps of strings cannot fail.
        let payload = serde_json::to_vec(claims).unwrap_or_default();
        let mut token = String::with_capacity(self.header.len() + payload.len() * 4 / 3 + 140);
        token.push_str(&self.header);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(payload, &mut token);
        let signature: Signature = self.key.sign(token.as_bytes());
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(signature.to_bytes(), &mut token);
        token
    }
}

/// A fresh participant id: 12 letters and digits, like the ones IVS assigns (the `jti`
/// claim allows `[A-Za-z0-9_-]{1,64}`).
pub fn participant_id() -> String {
    use rand::Rng as _;
    use rand::distr::Alphanumeric;
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(12)
        .map(char::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::request::{Capability, TokenRequest};
    use p384::ecdsa::signature::Verifier as _;
    use p384::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
    use std::collections::BTreeSet;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_slice(&[seed; 48]).unwrap()
    }

    fn stage() -> StageTarget {
        StageTarget {
            arn: "arn:aws:ivs:us-west-2:123456789012:stage/abcdABCDefgh".into(),
            events_url: "wss://global.events.live-video.net".into(),
            whip_url: "https://abcd.global-bm.whip.live-video.net".into(),
        }
    }

    fn decode(part: &str) -> serde_json::Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    }

    #[test]
    fn tokens_carry_exactly_the_documented_claims_and_verify() {
        let k = key(7);
        let arn =
            "arn:aws:ivs:us-west-2:123456789012:public-key/f99cde61-c2b0-4df3-8941-ca7d38acca1a";
        let signer = TokenSigner::new(k.clone(), arn);
        let request = TokenRequest {
            user_id: Some("viewer-456".into()),
            capabilities: BTreeSet::from([Capability::Subscribe]),
            duration_minutes: 90,
            attributes: BTreeMap::from([("displayName".into(), "Jane".into())]),
        };
        let claims = Claims::new(&stage(), &request, 1_700_000_000, "pAbCdEfGh123");
        let token = signer.sign(&claims);
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(
            decode(parts[0]),
            serde_json::json!({"alg": "ES384", "typ": "JWT", "kid": arn})
        );
        assert_eq!(
            decode(parts[1]),
            serde_json::json!({
                "exp": 1_700_005_400i64, "iat": 1_700_000_000i64, "jti": "pAbCdEfGh123",
                "user_id": "viewer-456",
                "resource": "arn:aws:ivs:us-west-2:123456789012:stage/abcdABCDefgh",
                "topic": "abcdABCDefgh",
                "events_url": "wss://global.events.live-video.net",
                "whip_url": "https://abcd.global-bm.whip.live-video.net",
                "capabilities": {"allow_publish": false, "allow_subscribe": true},
                "attributes": {"displayName": "Jane"},
                "version": "1.0"
            })
        );
        let sig = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
        assert_eq!(sig.len(), 96, "JWS ES384 signatures are r || s, not DER");
        let sig = Signature::from_slice(&sig).unwrap();
        let input = format!("{}.{}", parts[0], parts[1]);
        k.verifying_key().verify(input.as_bytes(), &sig).unwrap();
        assert!(
            key(8)
                .verifying_key()
                .verify(input.as_bytes(), &sig)
                .is_err()
        );
    }

    #[test]
    fn optional_claims_are_left_out_when_empty() {
        let request = TokenRequest {
            user_id: None,
            capabilities: BTreeSet::from([Capability::Publish, Capability::Subscribe]),
            duration_minutes: 720,
            attributes: BTreeMap::new(),
        };
        let token = TokenSigner::new(key(3), "kid").sign(&Claims::new(&stage(), &request, 0, "j"));
        let payload = decode(token.split('.').nth(1).unwrap());
        assert!(payload.get("user_id").is_none() && payload.get("attributes").is_none());
        assert_eq!(
            payload["capabilities"],
            serde_json::json!({"allow_publish": true, "allow_subscribe": true})
        );
        assert_eq!(payload["exp"], 720 * 60);
    }

    #[test]
    fn private_keys_load_from_sec1_and_pkcs8_and_match_their_public_half() {
        let k = key(9);
        let public = k.verifying_key().to_public_key_pem(LineEnding::LF).unwrap();
        let pkcs8 = k.to_pkcs8_pem(LineEnding::LF).unwrap().to_string();
        let sec1 = p384::SecretKey::from(&k)
            .to_sec1_pem(LineEnding::LF)
            .unwrap()
            .to_string();
        // openssl without -noout writes the curve parameters first.
        let with_params = format!(
            "-----BEGIN EC PARAMETERS-----\nBgUrgQQAIg==\n-----END EC PARAMETERS-----\n{sec1}"
        );
        for pem in [&pkcs8, &sec1, &with_params] {
            let loaded = load_private_key(pem).unwrap();
            assert!(public_key_matches(&loaded, &public).unwrap());
            assert!(!public_key_matches(&key(10), &public).unwrap());
        }
        assert_eq!(load_private_key(&public), Err(KeyError::NoKey));
        assert_eq!(
            load_private_key(
                "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"
            ),
            Err(KeyError::Encrypted)
        );
        // A P-256 key (from the `openssl ecparam -name prime256v1` PEM) is refused.
        let p256 = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIIS7h9XUxqVcxCF0YIARj/Qr1QB2FRdf1WRoVXGIsPEhoAoGCCqGSM49\nAwEHoUQDQgAE3tqGxD1zT7NeaLccj8ckr0Ghn5goRRNRV9+1DEijpQHnZzdFB82t\nCLrZAjsSGIIgwQ+gAfGfpOFS3CtO6+dmGg==\n-----END EC PRIVATE KEY-----\n";
        assert_eq!(load_private_key(p256), Err(KeyError::NotP384));
        assert_eq!(
            public_key_matches(&k, "not a key"),
            Err(KeyError::PublicKey)
        );
        // No message shows key material.
        for e in [
            KeyError::NoKey,
            KeyError::Encrypted,
            KeyError::NotP384,
            KeyError::PublicKey,
        ] {
            assert!(!e.to_string().contains("MHcC"));
        }
    }

    #[test]
    fn participant_ids_fit_the_jti_claim() {
        let a = participant_id();
        assert_eq!(a.len(), 12);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, participant_id());
    }
}
