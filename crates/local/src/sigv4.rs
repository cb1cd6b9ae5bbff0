//! SigV4 verification for the local endpoint.
//!
//! The `Authorization` header is parsed here; the signature is then *recomputed* with the
//! `aws-sigv4` crate (the signer the Rust SDK itself uses) from the request's raw path and
//! query, exactly the headers the client says it signed, the `X-Amz-Date` time and the body,
//! and compared in constant time. Non-S3 services double-encode the canonical URI, which is
//! what `PercentEncodingMode::Double` applied to the raw (already encoded) path reproduces.
//!
//! The payload hash in the canonical request is always the SHA-256 of the body actually
//! received. A client-sent `x-amz-content-sha256` must equal it: the header is a claim
//! about the body, not a substitute for it (otherwise a signed request's body could be
//! swapped by anyone who keeps the header). `UNSIGNED-PAYLOAD` is accepted only where AWS
//! accepts it (S3, when the header itself is signed), i.e. only when the caller allows it.
//!
//! S3 signs differently from every other service ([`Rules::S3`]): the canonical URI is the
//! path encoded once and not normalised, `x-amz-content-sha256` is required, and besides
//! `UNSIGNED-PAYLOAD` it accepts the `aws-chunked` streaming modes:
//! `STREAMING-UNSIGNED-PAYLOAD-TRAILER` (the S3 service then verifies the checksum trailer)
//! and the signed `STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`, whose per-chunk and
//! trailer signatures chain from the request's signature and are all verified here
//! ([`chunks`]). Other streaming modes (SigV4a's `STREAMING-AWS4-ECDSA-P256-SHA256-…`) are
//! refused with a clear message.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    PercentEncodingMode, SignableBody, SignableRequest, SigningSettings, UriPathNormalizationMode,
    sign,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use sha2::{Digest, Sha256};

use crate::protocol::aws_chunked::Malformed;

mod chunks;

/// How a service computes SigV4 signatures: the rules all AWS services share, or S3's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// The canonical URI is the path percent-encoded a second time (every service but S3).
    pub double_uri_encode: bool,
    /// `.` and `..` segments and repeated slashes are normalised away (every service but S3).
    pub normalize_path: bool,
    /// A signed `x-amz-content-sha256: UNSIGNED-PAYLOAD` replaces the body's hash (S3).
    pub unsigned_payload: bool,
    /// A signed `x-amz-content-sha256: STREAMING-…` marks an `aws-chunked` body (S3):
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`, `STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`.
    pub streaming: bool,
    /// `x-amz-content-sha256` must be sent (S3: `InvalidRequest` without it).
    pub payload_hash_required: bool,
}

impl Rules {
    /// Every service but S3.
    pub const STANDARD: Rules = Rules {
        double_uri_encode: true,
        normalize_path: true,
        unsigned_payload: false,
        streaming: false,
        payload_hash_required: false,
    };
    /// Amazon S3.
    pub const S3: Rules = Rules {
        double_uri_encode: false,
        normalize_path: false,
        unsigned_payload: true,
        streaming: true,
        payload_hash_required: true,
    };
}

/// `x-amz-content-sha256` of a body sent without its hash.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// `x-amz-content-sha256` of an unsigned `aws-chunked` body with trailers.
pub const STREAMING_UNSIGNED_PAYLOAD_TRAILER: &str = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
/// `x-amz-content-sha256` of an `aws-chunked` body with signed chunks.
pub const STREAMING_SIGNED_PAYLOAD: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
/// `x-amz-content-sha256` of an `aws-chunked` body with signed chunks and signed trailers.
pub const STREAMING_SIGNED_PAYLOAD_TRAILER: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";

/// AWS rejects requests whose `X-Amz-Date` is more than 15 minutes away from its clock.
pub const MAX_CLOCK_SKEW: Duration = Duration::from_secs(15 * 60);

/// The parts of a SigV4 `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthHeader {
    pub access_key: String,
    /// `YYYYMMDD` from the credential scope.
    pub date: String,
    pub region: String,
    pub service: String,
    /// Lowercase names, in the order given.
    pub signed_headers: Vec<String>,
    pub signature: String,
}

/// Why a request fails authentication. The server maps each to the protocol's error code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthFailure {
    /// No `Authorization` header at all.
    Missing,
    /// The header is there but is not a SigV4 header we can read.
    Malformed(String),
    /// The access key is not one this endpoint knows.
    UnknownAccessKey(String),
    /// The recomputed signature differs.
    SignatureMismatch,
    /// `X-Amz-Date` is missing, unreadable or too far from now.
    BadDate(String),
    /// The service requires `x-amz-content-sha256` and it was not sent (S3).
    MissingPayloadHash,
    /// A payload signing mode this endpoint does not verify (SigV4a `aws-chunked`).
    UnsupportedPayload(String),
    /// A chunk or trailer signature of a signed `aws-chunked` body differs (which one).
    ChunkSignatureMismatch(String),
    /// A signed `aws-chunked` body whose framing is wrong or cut short.
    ChunkedBody(Malformed),
}

impl AuthFailure {
    pub fn message(&self) -> String {
        match self {
            AuthFailure::Missing => "Missing Authentication Token".to_string(),
            AuthFailure::Malformed(m) => format!("Authorization header is malformed: {m}"),
            AuthFailure::UnknownAccessKey(_) => {
                "The security token included in the request is invalid.".to_string()
            }
            AuthFailure::SignatureMismatch => "The request signature we calculated does not match \
                 the signature you provided. Check your AWS Secret Access Key and signing method. \
                 Consult the service documentation for details."
                .to_string(),
            AuthFailure::BadDate(m) => m.clone(),
            AuthFailure::MissingPayloadHash => {
                "Missing required header for this request: x-amz-content-sha256".to_string()
            }
            AuthFailure::UnsupportedPayload(mode) => format!(
                "x-amz-content-sha256: {mode} is not supported by ivstack local; send the \
                 payload's SHA-256, UNSIGNED-PAYLOAD, or aws-chunked with \
                 {STREAMING_UNSIGNED_PAYLOAD_TRAILER}, {STREAMING_SIGNED_PAYLOAD} or \
                 {STREAMING_SIGNED_PAYLOAD_TRAILER} (what the AWS SDKs send with SigV4)"
            ),
            AuthFailure::ChunkSignatureMismatch(which) => format!(
                "The signature of {which} of the aws-chunked body does not match the one we \
                 calculated: the body was changed, reordered or signed with another key."
            ),
            AuthFailure::ChunkedBody(m) => m.to_string(),
        }
    }
}

/// Parse `AWS4-HMAC-SHA256 Credential=AK/DATE/REGION/SERVICE/aws4_request,
/// SignedHeaders=a;b, Signature=hex`.
pub fn parse_authorization(value: &str) -> Result<AuthHeader, AuthFailure> {
    let rest = value
        .strip_prefix("AWS4-HMAC-SHA256")
        .ok_or_else(|| AuthFailure::Malformed("only AWS4-HMAC-SHA256 is supported".into()))?;
    let mut credential = None;
    let mut signed = None;
    let mut signature = None;
    for part in rest.split(',') {
        let part = part.trim();
        if let Some(v) = part.strip_prefix("Credential=") {
            credential = Some(v);
        } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
            signed = Some(v);
        } else if let Some(v) = part.strip_prefix("Signature=") {
            signature = Some(v);
        }
    }
    let credential =
        credential.ok_or_else(|| AuthFailure::Malformed("no Credential= part".into()))?;
    let signed = signed.ok_or_else(|| AuthFailure::Malformed("no SignedHeaders= part".into()))?;
    let signature = signature.ok_or_else(|| AuthFailure::Malformed("no Signature= part".into()))?;
    let scope: Vec<&str> = credential.split('/').collect();
    if scope.len() != 5 || scope[4] != "aws4_request" {
        return Err(AuthFailure::Malformed(format!(
            "credential scope `{credential}` is not AK/DATE/REGION/SERVICE/aws4_request"
        )));
    }
    Ok(AuthHeader {
        access_key: scope[0].to_string(),
        date: scope[1].to_string(),
        region: scope[2].to_string(),
        service: scope[3].to_string(),
        signed_headers: signed.split(';').map(|h| h.trim().to_lowercase()).collect(),
        signature: signature.trim().to_string(),
    })
}

/// Parse `X-Amz-Date` (`20240102T030405Z`).
pub fn parse_amz_date(value: &str) -> Result<SystemTime, AuthFailure> {
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    let dt = time::PrimitiveDateTime::parse(value, &format)
        .map_err(|e| AuthFailure::BadDate(format!("X-Amz-Date `{value}` is not valid: {e}")))?;
    Ok(dt.assume_utc().into())
}

/// Everything needed to check one request.
pub struct Verification<'a> {
    pub method: &'a str,
    /// Raw `path?query` exactly as received.
    pub path_and_query: &'a str,
    pub headers: &'a http::HeaderMap,
    pub body: &'a [u8],
    pub auth: &'a AuthHeader,
    pub secret_key: &'a str,
    /// Reject requests whose date is further than [`MAX_CLOCK_SKEW`] from `now`.
    pub check_skew: bool,
    pub now: SystemTime,
    /// The service's signing rules.
    pub rules: Rules,
}

/// Recompute the signature and compare.
pub fn verify(v: &Verification<'_>) -> Result<(), AuthFailure> {
    let amz_date = v
        .headers
        .get("x-amz-date")
        .and_then(|h| h.to_str().ok())
        .ok_or_else(|| AuthFailure::BadDate("Missing X-Amz-Date header".into()))?;
    let time = parse_amz_date(amz_date)?;
    if !amz_date.starts_with(&v.auth.date) {
        return Err(AuthFailure::SignatureMismatch);
    }
    if v.check_skew {
        let skew = match v.now.duration_since(time) {
            Ok(d) => d,
            Err(e) => e.duration(),
        };
        if skew > MAX_CLOCK_SKEW {
            return Err(AuthFailure::BadDate(format!(
                "Signature expired: {amz_date} is more than 15 minutes away from the server time"
            )));
        }
    }
    if !v.auth.signed_headers.iter().any(|h| h == "host") {
        // The signer always signs `host`; a request that did not cannot match.
        return Err(AuthFailure::SignatureMismatch);
    }

    // Only the headers the client signed, with every value of a repeated header.
    let mut headers: Vec<(&str, String)> = Vec::new();
    for name in &v.auth.signed_headers {
        let values: Vec<&str> = v
            .headers
            .get_all(name.as_str())
            .iter()
            .filter_map(|h| h.to_str().ok())
            .collect();
        if values.is_empty() {
            return Err(AuthFailure::SignatureMismatch);
        }
        headers.push((name.as_str(), values.join(",")));
    }

    let body_hash = hex::encode(Sha256::digest(v.body));
    let header_signed = v
        .auth
        .signed_headers
        .iter()
        .any(|h| h == "x-amz-content-sha256");
    // `Some(trailer)` for a signed aws-chunked body (whose chain is checked after the seed).
    let mut signed_chunks = None;
    let body = match v.headers.get("x-amz-content-sha256").map(|h| h.to_str()) {
        None if v.rules.payload_hash_required => return Err(AuthFailure::MissingPayloadHash),
        None => SignableBody::Precomputed(body_hash),
        Some(Ok(UNSIGNED_PAYLOAD)) if v.rules.unsigned_payload && header_signed => {
            SignableBody::UnsignedPayload
        }
        Some(Ok(STREAMING_UNSIGNED_PAYLOAD_TRAILER)) if v.rules.streaming && header_signed => {
            SignableBody::StreamingUnsignedPayloadTrailer
        }
        Some(Ok(STREAMING_SIGNED_PAYLOAD)) if v.rules.streaming && header_signed => {
            signed_chunks = Some(false);
            SignableBody::Precomputed(STREAMING_SIGNED_PAYLOAD.to_string())
        }
        Some(Ok(STREAMING_SIGNED_PAYLOAD_TRAILER)) if v.rules.streaming && header_signed => {
            signed_chunks = Some(true);
            SignableBody::StreamingSignedPayloadTrailer
        }
        Some(Ok(mode)) if v.rules.streaming && mode.starts_with("STREAMING-") => {
            return Err(AuthFailure::UnsupportedPayload(mode.to_string()));
        }
        Some(Ok(claimed)) if claimed.eq_ignore_ascii_case(&body_hash) => {
            SignableBody::Precomputed(body_hash)
        }
        // A hash of another body, a streaming or unsigned payload where none is allowed.
        Some(_) => return Err(AuthFailure::SignatureMismatch),
    };

    let identity: Identity = Credentials::new(
        v.auth.access_key.clone(),
        v.secret_key.to_string(),
        None,
        None,
        "ivstack-local",
    )
    .into();
    let mut settings = SigningSettings::default();
    settings.percent_encoding_mode = if v.rules.double_uri_encode {
        PercentEncodingMode::Double
    } else {
        PercentEncodingMode::Single
    };
    settings.uri_path_normalization_mode = if v.rules.normalize_path {
        UriPathNormalizationMode::Enabled
    } else {
        UriPathNormalizationMode::Disabled
    };
    // We pass exactly the client's signed headers, so nothing must be dropped again.
    settings.excluded_headers = Some(Vec::new());
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(&v.auth.region)
        .name(&v.auth.service)
        .time(time)
        .settings(settings)
        .build()
        .map_err(|e| AuthFailure::Malformed(e.to_string()))?
        .into();
    let signable = SignableRequest::new(
        v.method,
        v.path_and_query,
        headers.iter().map(|(k, val)| (*k, val.as_str())),
        body,
    )
    .map_err(|e| AuthFailure::Malformed(format!("cannot canonicalise request: {e}")))?;
    let out = sign(signable, &params).map_err(|e| AuthFailure::Malformed(e.to_string()))?;
    if !constant_time_eq(out.signature().as_bytes(), v.auth.signature.as_bytes()) {
        return Err(AuthFailure::SignatureMismatch);
    }
    match signed_chunks {
        None => Ok(()),
        Some(trailer) => {
            let chain = v4::SigningParams::builder()
                .identity(&identity)
                .region(&v.auth.region)
                .name(&v.auth.service)
                .time(time)
                .settings(())
                .build()
                .map_err(|e| AuthFailure::Malformed(e.to_string()))?;
            chunks::verify_chain(v.body, &v.auth.signature, &chain, trailer)
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_authorization_header() {
        let h = parse_authorization(
            "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/ivs/aws4_request, \
             SignedHeaders=content-type;host;x-amz-date, Signature=abcd",
        )
        .unwrap();
        assert_eq!(h.access_key, "test");
        assert_eq!(h.region, "us-east-1");
        assert_eq!(h.service, "ivs");
        assert_eq!(h.signed_headers, vec!["content-type", "host", "x-amz-date"]);
        assert_eq!(h.signature, "abcd");
        assert!(parse_authorization("Basic Zm9v").is_err());
        assert!(
            parse_authorization("AWS4-HMAC-SHA256 Credential=a/b/c, SignedHeaders=h, Signature=x")
                .is_err()
        );
    }

    #[test]
    fn verifies_what_the_sdk_signer_produced_and_rejects_tampering() {
        let identity: Identity = Credentials::new("test", "test", None, None, "t").into();
        let time = parse_amz_date("20240101T000000Z").unwrap();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region("us-east-1")
            .name("ivs")
            .time(time)
            .settings(SigningSettings::default())
            .build()
            .unwrap()
            .into();
        let path =
            "/tags/arn%3Aaws%3Aivs%3Aus-east-1%3A123456789012%3Astage%2Fabc?tagKeys=a&tagKeys=b";
        let body = b"{}";
        let req = SignableRequest::new(
            "DELETE",
            format!("http://127.0.0.1:4566{path}"),
            [
                ("host", "127.0.0.1:4566"),
                ("content-type", "application/json"),
            ]
            .into_iter(),
            SignableBody::Bytes(body),
        )
        .unwrap();
        let (instructions, signature) = sign(req, &params).unwrap().into_parts();
        let mut headers = http::HeaderMap::new();
        headers.insert("host", "127.0.0.1:4566".parse().unwrap());
        headers.insert("content-type", "application/json".parse().unwrap());
        for (k, v) in instructions.headers() {
            headers.insert(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        let auth_value = headers["authorization"].to_str().unwrap().to_string();
        let auth = parse_authorization(&auth_value).unwrap();
        assert_eq!(auth.signature, signature);
        let check = |secret: &str, body: &[u8], path: &str| {
            verify(&Verification {
                method: "DELETE",
                path_and_query: path,
                headers: &headers,
                body,
                auth: &auth,
                secret_key: secret,
                check_skew: false,
                now: SystemTime::now(),
                rules: Rules::STANDARD,
            })
        };
        assert_eq!(check("test", body, path), Ok(()));
        assert_eq!(
            check("wrong", body, path),
            Err(AuthFailure::SignatureMismatch)
        );
        assert_eq!(
            check("test", b"{ }", path),
            Err(AuthFailure::SignatureMismatch)
        );
        assert_eq!(
            check("test", body, "/tags/other"),
            Err(AuthFailure::SignatureMismatch)
        );
    }

    /// Sign `signed_body` (adding `x-amz-content-sha256` when `hash_header`), then verify
    /// with `sent_body` and the given header value.
    fn verify_with_hash_header(
        signed_body: &[u8],
        sent_body: &[u8],
        hash_header: Option<&str>,
        sign_the_header: bool,
        unsigned_allowed: bool,
    ) -> Result<(), AuthFailure> {
        let identity: Identity = Credentials::new("test", "test", None, None, "t").into();
        let time = parse_amz_date("20240101T000000Z").unwrap();
        let mut settings = SigningSettings::default();
        if sign_the_header {
            settings.payload_checksum_kind =
                aws_sigv4::http_request::PayloadChecksumKind::XAmzSha256;
        }
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region("us-east-1")
            .name("ivs")
            .time(time)
            .settings(settings)
            .build()
            .unwrap()
            .into();
        let signable_body = match hash_header {
            Some("UNSIGNED-PAYLOAD") => SignableBody::UnsignedPayload,
            _ => SignableBody::Bytes(signed_body),
        };
        let req = SignableRequest::new(
            "POST",
            "http://127.0.0.1:4566/CreateStage",
            [("host", "127.0.0.1:4566")].into_iter(),
            signable_body,
        )
        .unwrap();
        let (instructions, _) = sign(req, &params).unwrap().into_parts();
        let mut headers = http::HeaderMap::new();
        headers.insert("host", "127.0.0.1:4566".parse().unwrap());
        for (k, v) in instructions.headers() {
            headers.insert(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        if let Some(h) = hash_header {
            headers.insert("x-amz-content-sha256", h.parse().unwrap());
        }
        let auth = parse_authorization(headers["authorization"].to_str().unwrap()).unwrap();
        verify(&Verification {
            method: "POST",
            path_and_query: "/CreateStage",
            headers: &headers,
            body: sent_body,
            auth: &auth,
            secret_key: "test",
            check_skew: false,
            now: SystemTime::now(),
            rules: if unsigned_allowed {
                Rules::S3
            } else {
                Rules::STANDARD
            },
        })
    }

    #[test]
    fn the_payload_hash_is_computed_from_the_received_body() {
        let original = br#"{"name":"original"}"#;
        let tampered = br#"{"name":"tampered"}"#;
        let original_hash = hex::encode(Sha256::digest(original));
        // Honest requests, with and without the header (signed or not).
        assert_eq!(
            verify_with_hash_header(original, original, None, false, false),
            Ok(())
        );
        assert_eq!(
            verify_with_hash_header(original, original, Some(&original_hash), false, false),
            Ok(())
        );
        assert_eq!(
            verify_with_hash_header(original, original, Some(&original_hash), true, false),
            Ok(())
        );
        // A swapped body keeps the original's hash in the header: refused, signed or not.
        for signed in [false, true] {
            assert_eq!(
                verify_with_hash_header(original, tampered, Some(&original_hash), signed, false),
                Err(AuthFailure::SignatureMismatch),
                "header signed: {signed}"
            );
        }
        // UNSIGNED-PAYLOAD only where allowed, and only when the header is signed.
        assert_eq!(
            verify_with_hash_header(original, tampered, Some("UNSIGNED-PAYLOAD"), true, false),
            Err(AuthFailure::SignatureMismatch)
        );
        assert_eq!(
            verify_with_hash_header(original, tampered, Some("UNSIGNED-PAYLOAD"), true, true),
            Ok(())
        );
        assert_eq!(
            verify_with_hash_header(original, tampered, Some("UNSIGNED-PAYLOAD"), false, true),
            Err(AuthFailure::SignatureMismatch)
        );
    }
}
