//! Integrity checks of uploaded bodies, as S3 makes them: `Content-MD5`, and the flexible
//! checksums the SDKs send by default (`x-amz-checksum-crc32` with
//! `x-amz-sdk-checksum-algorithm: CRC32` as a header, or as an `aws-chunked` trailer, which
//! the protocol has already turned into the same member).
//!
//! Verified: CRC32, CRC32C, CRC64NVME, SHA1, SHA256 (the algorithms the AWS SDKs compute)
//! and Content-MD5. The newest model's SHA512, MD5 and XXHASH checksums are refused with a
//! message naming the ones that work, never accepted unchecked.

use base64::Engine as _;
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256};

use super::errors;
use crate::api::ApiError;
use crate::document::Document;

/// A flexible checksum algorithm S3 verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Crc32,
    Crc32c,
    Crc64Nvme,
    Sha1,
    Sha256,
}

/// Every checksum input member: (member, algorithm name as in the headers, verified here).
pub const MEMBERS: &[(&str, &str, Option<Algorithm>)] = &[
    ("ChecksumCRC32", "CRC32", Some(Algorithm::Crc32)),
    ("ChecksumCRC32C", "CRC32C", Some(Algorithm::Crc32c)),
    ("ChecksumCRC64NVME", "CRC64NVME", Some(Algorithm::Crc64Nvme)),
    ("ChecksumSHA1", "SHA1", Some(Algorithm::Sha1)),
    ("ChecksumSHA256", "SHA256", Some(Algorithm::Sha256)),
    ("ChecksumSHA512", "SHA512", None),
    ("ChecksumMD5", "MD5", None),
    ("ChecksumXXHASH64", "XXHASH64", None),
    ("ChecksumXXHASH3", "XXHASH3", None),
    ("ChecksumXXHASH128", "XXHASH128", None),
];

impl Algorithm {
    /// As S3 names it in `x-amz-sdk-checksum-algorithm` (`CRC32`).
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Crc32 => "CRC32",
            Algorithm::Crc32c => "CRC32C",
            Algorithm::Crc64Nvme => "CRC64NVME",
            Algorithm::Sha1 => "SHA1",
            Algorithm::Sha256 => "SHA256",
        }
    }

    pub fn from_name(name: &str) -> Option<Algorithm> {
        MEMBERS
            .iter()
            .find(|(_, n, _)| n.eq_ignore_ascii_case(name))
            .and_then(|(_, _, a)| *a)
    }

    /// The input and output member carrying it (`ChecksumCRC32`).
    pub fn member(self) -> &'static str {
        MEMBERS
            .iter()
            .find(|(_, _, a)| *a == Some(self))
            .map_or("ChecksumCRC32", |(m, _, _)| m)
    }

    /// The checksum of `body`, base64 as S3 sends it (CRCs big-endian).
    pub fn compute(self, body: &[u8]) -> String {
        use crc_fast::{CrcAlgorithm, checksum};
        let bytes = match self {
            Algorithm::Crc32 => (checksum(CrcAlgorithm::Crc32IsoHdlc, body) as u32)
                .to_be_bytes()
                .to_vec(),
            Algorithm::Crc32c => (checksum(CrcAlgorithm::Crc32Iscsi, body) as u32)
                .to_be_bytes()
                .to_vec(),
            Algorithm::Crc64Nvme => checksum(CrcAlgorithm::Crc64Nvme, body)
                .to_be_bytes()
                .to_vec(),
            Algorithm::Sha1 => Sha1::digest(body).to_vec(),
            Algorithm::Sha256 => Sha256::digest(body).to_vec(),
        };
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }
}

/// `"<MD5 hex>"`: the ETag of a single-part object.
pub fn etag(body: &[u8]) -> String {
    format!("\"{}\"", hex::encode(Md5::digest(body)))
}

/// Check `body` against the checksums and `Content-MD5` the input carries. Returns the
/// flexible checksum that was verified, if one was sent.
pub fn verify(input: &Document, body: &[u8]) -> Result<Option<(Algorithm, String)>, ApiError> {
    if let Some(md5) = input.get_str("ContentMD5") {
        let given = base64::engine::general_purpose::STANDARD
            .decode(md5.trim())
            .ok()
            .filter(|d| d.len() == 16)
            .ok_or_else(|| {
                ApiError::new(
                    400,
                    "InvalidDigest",
                    "The Content-MD5 you specified was invalid.",
                )
            })?;
        if given != Md5::digest(body).as_slice() {
            return Err(errors::bad_digest(
                "The Content-MD5 you specified did not match what we received.",
            ));
        }
    }
    let sent: Vec<(&str, &str, Option<Algorithm>, &str)> = MEMBERS
        .iter()
        .filter_map(|(member, name, alg)| Some((*member, *name, *alg, input.get_str(member)?)))
        .collect();
    let declared = input.get_str("ChecksumAlgorithm");
    if let Some(d) = declared
        && !MEMBERS.iter().any(|(_, n, _)| n.eq_ignore_ascii_case(d))
    {
        return Err(errors::invalid_request(
            "Value for x-amz-sdk-checksum-algorithm header is invalid.",
        ));
    }
    let (member, name, alg, value) = match sent.as_slice() {
        [] if declared.is_some() => {
            return Err(errors::invalid_request(
                "x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* \
                 or x-amz-trailer headers were found.",
            ));
        }
        [] => return Ok(None),
        [one] => *one,
        _ => {
            return Err(errors::invalid_request(
                "Expecting a single x-amz-checksum- header. Multiple checksum Types are not \
                 allowed.",
            ));
        }
    };
    if declared.is_some_and(|d| !d.eq_ignore_ascii_case(name)) {
        return Err(errors::invalid_request(format!(
            "Value for x-amz-sdk-checksum-algorithm header is invalid: it names another \
             algorithm than the x-amz-checksum-{} header sent",
            name.to_ascii_lowercase()
        )));
    }
    let Some(alg) = alg else {
        return Err(errors::invalid_request(format!(
            "ivstack local does not verify {member} (x-amz-checksum-{}); send CRC32 (the SDKs' \
             default), CRC32C, CRC64NVME, SHA1 or SHA256",
            name.to_ascii_lowercase()
        )));
    };
    let expected = alg.compute(body);
    let well_formed = base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .is_ok_and(|d| {
            Some(d.len())
                == base64::engine::general_purpose::STANDARD
                    .decode(&expected)
                    .ok()
                    .map(|e| e.len())
        });
    if !well_formed {
        return Err(errors::invalid_request(format!(
            "Value for x-amz-checksum-{} header is invalid.",
            name.to_ascii_lowercase()
        )));
    }
    if value.trim() != expected {
        return Err(errors::bad_digest(format!(
            "The {name} you specified did not match the calculated checksum."
        )));
    }
    Ok(Some((alg, expected)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(pairs: &[(&str, &str)]) -> Document {
        Document::from_pairs(pairs.iter().map(|(k, v)| (*k, Document::str(*v))))
    }

    #[test]
    fn known_checksums() {
        // Reference values: `printf 'hello world' | crc32` = 0d4a1185; S3 documents the
        // CRC64NVME of "hello world"'s neighbours only, so it is checked by round trip.
        assert_eq!(Algorithm::Crc32.compute(b"hello world"), "DUoRhQ==");
        assert_eq!(Algorithm::Crc32c.compute(b"hello world"), "yZRlqg==");
        assert_eq!(
            Algorithm::Sha256.compute(b""),
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
        assert_eq!(etag(b""), "\"d41d8cd98f00b204e9800998ecf8427e\"");
    }

    #[test]
    fn verifies_what_the_sdks_send() {
        let body = b"hello world";
        let ok = input(&[
            ("ChecksumAlgorithm", "CRC32"),
            ("ChecksumCRC32", "DUoRhQ=="),
        ]);
        assert_eq!(
            verify(&ok, body).unwrap(),
            Some((Algorithm::Crc32, "DUoRhQ==".to_string()))
        );
        assert_eq!(verify(&input(&[]), body).unwrap(), None);
        let wrong = input(&[("ChecksumCRC32", "AAAAAA==")]);
        assert_eq!(verify(&wrong, body).unwrap_err().code, "BadDigest");
        let garbage = input(&[("ChecksumCRC32", "not base64!")]);
        assert_eq!(verify(&garbage, body).unwrap_err().code, "InvalidRequest");
        let missing = input(&[("ChecksumAlgorithm", "CRC32")]);
        assert_eq!(verify(&missing, body).unwrap_err().code, "InvalidRequest");
        let two = input(&[
            ("ChecksumCRC32", "DUoRhQ=="),
            ("ChecksumCRC32C", "yZRlqg=="),
        ]);
        assert_eq!(verify(&two, body).unwrap_err().code, "InvalidRequest");
        let xx = input(&[("ChecksumXXHASH64", "AAAAAAAAAAA=")]);
        assert!(
            verify(&xx, body)
                .unwrap_err()
                .message
                .contains("does not verify")
        );
        let md5_ok = input(&[("ContentMD5", "XrY7u+Ae7tCTyyK7j1rNww==")]);
        assert_eq!(verify(&md5_ok, body).unwrap(), None);
        let md5_bad = input(&[("ContentMD5", "1B2M2Y8AsgTpgAmY7PhCfg==")]);
        assert_eq!(verify(&md5_bad, body).unwrap_err().code, "BadDigest");
    }
}
