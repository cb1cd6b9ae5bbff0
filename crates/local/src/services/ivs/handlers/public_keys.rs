//! Public keys that verify self-signed participant tokens (ES384): only ECDSA P-384 keys in
//! PEM, each imported once. Immutable: there is no update operation.

use std::collections::BTreeMap;

use base64::Engine as _;
use p384::pkcs8::{DecodePublicKey, EncodePublicKey};
use sha2::{Digest, Sha256};

use super::{check_quota, conflict, find, page, region, validation};
use crate::api::ApiError;
use crate::document::Document;
use crate::service::Ctx;
use crate::services::ivs::PUBLIC_KEYS;
use crate::services::ivs::state::{IvsRegion, PublicKeyRecord, random_uuid};
use crate::tags::{self, TagFormat};

fn keys(r: &mut IvsRegion) -> &mut BTreeMap<String, PublicKeyRecord> {
    &mut r.public_keys
}

/// The DER `SubjectPublicKeyInfo` of the P-384 key in `pem` (already checked against the
/// model's pattern: a `BEGIN PUBLIC KEY` block, possibly with text around it).
fn p384_key_der(pem: &str) -> Result<Vec<u8>, ApiError> {
    let refuse = |why: &str| {
        validation(format!(
            "publicKeyMaterial: {why}; IVS accepts only ECDSA P-384 (secp384r1) public keys \
             in PEM (`openssl ec -in private.pem -pubout`)"
        ))
    };
    let body = pem
        .split_once("-----BEGIN PUBLIC KEY-----")
        .and_then(|(_, rest)| rest.split_once("-----END PUBLIC KEY-----"))
        .map(|(body, _)| body)
        .ok_or_else(|| refuse("no PUBLIC KEY block"))?;
    let b64: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|_| refuse("the PEM body is not valid base64"))?;
    let key = p384::PublicKey::from_public_key_der(&der)
        .map_err(|_| refuse("the key is not a P-384 public key"))?;
    // Re-encoded, so equal keys compare equal whatever the input's encoding.
    key.to_public_key_der()
        .map(|d| d.as_bytes().to_vec())
        .map_err(|_| refuse("the key cannot be encoded"))
}

/// How AWS computes `fingerprint` is undocumented (the model: "a short string used to
/// identify or verify the full public key"). CHOSEN: the first 16 bytes of the SHA-256 of
/// the DER `SubjectPublicKeyInfo`, as colon-separated lowercase hex: the shape of IVS
/// low-latency playback-key fingerprints (`0a:1b:2c:…`, 16 bytes).
fn fingerprint(digest: &[u8]) -> String {
    digest[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

pub fn import_public_key(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    let material = input
        .get_str("publicKeyMaterial")
        .unwrap_or_default()
        .to_string();
    let name = input.get_str("name").unwrap_or_default().to_string();
    let new_tags = tags::read(&input, "tags", TagFormat::Map);
    tags::check_new(&new_tags, &super::TAGGING.rules)?;
    let digest = Sha256::digest(p384_key_der(&material)?);
    let key_sha256 = hex::encode(digest);
    if let Some(existing) = region(ctx)
        .public_keys
        .values()
        .find(|k| k.key_sha256 == key_sha256)
    {
        return Err(conflict(format!(
            "This public key is already imported as {}",
            existing.arn
        )));
    }
    let count = region(ctx).public_keys.len();
    check_quota(ctx, &PUBLIC_KEYS, count)?;
    let id = loop {
        let id = random_uuid();
        if !region(ctx).public_keys.contains_key(&id) {
            break id;
        }
    };
    let record = PublicKeyRecord {
        arn: super::arn(ctx, "public-key", &id),
        name,
        material,
        fingerprint: fingerprint(&digest),
        key_sha256,
        tags: new_tags.into_iter().collect(),
    };
    let out = record.to_document();
    region(ctx).public_keys.insert(id, record);
    Ok(Document::from_pairs([("publicKey", out)]))
}

pub fn get_public_key(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    let k = find(
        ctx,
        input.get_str("arn").unwrap_or_default(),
        "public-key",
        keys,
    )?;
    Ok(Document::from_pairs([("publicKey", k.to_document())]))
}

pub fn list_public_keys(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    let all = ctx
        .state
        .ivs
        .regions
        .get(ctx.region)
        .map(|r| &r.public_keys);
    page(
        all.into_iter().flatten(),
        "public-keys",
        &input,
        "publicKeys",
        PublicKeyRecord::to_summary,
    )
}

pub fn delete_public_key(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    let arn = input.get_str("arn").unwrap_or_default();
    let id = find(ctx, arn, "public-key", keys)?
        .arn
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string();
    region(ctx).public_keys.remove(&id);
    Ok(Document::map())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_sixteen_hex_bytes() {
        let f = fingerprint(&Sha256::digest(b"x"));
        assert_eq!(f.len(), 16 * 3 - 1);
        assert!(f.split(':').all(|b| b.len() == 2));
    }

    #[test]
    fn only_p384_public_keys_parse() {
        let (key, _) = crate::services::tokens::generate_key().unwrap();
        let pem = crate::services::tokens::public_key_pem(&key).unwrap();
        let der = p384_key_der(&pem).unwrap();
        // The same key with CR LF line ends and text around it is the same key.
        let crlf = format!("my key: {}", pem.replace('\n', "\r\n"));
        assert_eq!(p384_key_der(&crlf).unwrap(), der);
        // A P-256 key (the curve's generator point, a valid key) is refused.
        let p256_spki = hex::decode(concat!(
            "3059301306072a8648ce3d020106082a8648ce3d03010703420004",
            "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296",
            "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5"
        ))
        .unwrap();
        let p256 = format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            base64::engine::general_purpose::STANDARD.encode(p256_spki)
        );
        let e = p384_key_der(&p256).unwrap_err();
        assert_eq!(e.code, "ValidationException");
        assert!(e.message.contains("P-384"), "{}", e.message);
        let garbage = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----";
        assert!(p384_key_der(garbage).is_err());
    }
}
