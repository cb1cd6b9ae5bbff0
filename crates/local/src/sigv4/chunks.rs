//! The signature chain of a signed `aws-chunked` body (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`
//! and `…-PAYLOAD-TRAILER`): each chunk's signature signs the chunk's data and the signature
//! before it, the first one the request's own (the "seed"), and the trailer signature
//! continues the chain over the trailers. So a changed, dropped, added or reordered chunk
//! breaks every signature from there on, and the trailers (the checksum) cannot be swapped.
//!
//! The signatures are recomputed with the functions the Rust SDK signs with
//! (`aws_sigv4::sign::v4::sign_chunk` / `sign_trailer`): string-to-sign
//! `AWS4-HMAC-SHA256-PAYLOAD\n<time>\n<scope>\n<previous>\n<sha256("")>\n<sha256(data)>`,
//! and for the trailers `AWS4-HMAC-SHA256-TRAILER\n…\n<previous>\n<sha256(trailers)>` where
//! the trailers are `name:value\n` lines sorted by name, without the signature itself.

use aws_sigv4::sign::v4::{self, sign_chunk, sign_trailer};
use aws_smithy_runtime_api::http::Headers;
use bytes::Bytes;

use super::{AuthFailure, constant_time_eq};
use crate::protocol::aws_chunked::{Chunks, Framing, Malformed};

/// Check every chunk signature of `body` (and, when `trailer`, the trailer signature),
/// starting from `seed`, the request's verified signature.
pub(super) fn verify_chain(
    body: &[u8],
    seed: &str,
    params: &v4::SigningParams<'_, ()>,
    trailer: bool,
) -> Result<(), AuthFailure> {
    let signing_error = |e: aws_sigv4::http_request::SigningError| {
        AuthFailure::Malformed(format!("cannot compute a chunk signature: {e}"))
    };
    let mut previous = seed.to_string();
    let mut chunks = Chunks::new(body, Framing::Signed);
    for (index, chunk) in chunks.by_ref().enumerate() {
        let chunk = chunk.map_err(AuthFailure::ChunkedBody)?;
        let (_, expected) = sign_chunk(&Bytes::copy_from_slice(chunk.data), &previous, params)
            .map_err(signing_error)?
            .into_parts();
        let sent = chunk.signature.unwrap_or_default();
        if !constant_time_eq(expected.as_bytes(), sent.as_bytes()) {
            let which = if chunk.data.is_empty() {
                format!("the final zero-size chunk (chunk {})", index + 1)
            } else {
                format!("chunk {} ({} bytes)", index + 1, chunk.data.len())
            };
            return Err(AuthFailure::ChunkSignatureMismatch(which));
        }
        previous = expected;
    }
    let trailers = chunks.trailers().map_err(AuthFailure::ChunkedBody)?;
    match (trailer, trailers.signature) {
        (false, None) if trailers.headers.is_empty() => Ok(()),
        (false, _) => Err(AuthFailure::ChunkedBody(Malformed::Invalid(format!(
            "trailers sent under x-amz-content-sha256: {}, which has none (use {})",
            super::STREAMING_SIGNED_PAYLOAD,
            super::STREAMING_SIGNED_PAYLOAD_TRAILER
        )))),
        // Nothing unsigned to protect.
        (true, None) if trailers.headers.is_empty() => Ok(()),
        (true, None) => Err(AuthFailure::ChunkedBody(Malformed::Truncated(format!(
            "the trailers end without the {} line",
            crate::protocol::aws_chunked::TRAILER_SIGNATURE
        )))),
        (true, Some(sent)) => {
            let mut headers = Headers::new();
            for (name, value) in &trailers.headers {
                headers
                    .try_insert(name.clone(), value.clone())
                    .map_err(|e| {
                        AuthFailure::ChunkedBody(Malformed::Invalid(format!(
                            "trailer `{name}` is not a valid header: {e}"
                        )))
                    })?;
            }
            let (_, expected) = sign_trailer(&headers, &previous, params)
                .map_err(signing_error)?
                .into_parts();
            if constant_time_eq(expected.as_bytes(), sent.as_bytes()) {
                Ok(())
            } else {
                Err(AuthFailure::ChunkSignatureMismatch("the trailers".into()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_credential_types::Credentials;
    use aws_smithy_runtime_api::client::identity::Identity;

    // A body the Rust SDK itself signed: aws-sdk-s3's recorded test
    // `tests/data/aws_chunked/chunk-signing.json` (10 KiB of `a` in two chunks, a CRC32
    // trailer), made with the SDK's public test credentials `ANOTREAL`.
    const SEED: &str = "4d5247cc603cc816a7ab5272ed9e47cf173e45bc42bfa68e1181267dd0f0bf73";
    const SIG_1: &str = "25851a3d29c435720498cdfd7540bb131ae653ea7371cb885f4fe1ba092d37f3";
    const SIG_2: &str = "bf16b3638d50be9f090044f98d838e6643fa2d37db299cbdb884a92d2a659a03";
    const SIG_FINAL: &str = "7110bd9a94d4fa381c0ad159f6b14acb99e93ecec95cb3fd0fd61b414a692ae6";
    const SIG_TRAILER: &str = "a1764ee8bc0edc8b723a91b19c28bbcc7f8ac8a5932b0e7b7497dd6a8fee78f0";

    fn chunk(data: &str, signature: &str) -> String {
        format!("{:X};chunk-signature={signature}\r\n{data}\r\n", data.len())
    }

    fn body(chunks: &[String], trailers: &str) -> Vec<u8> {
        let mut b = chunks.concat();
        b.push_str(&format!("0;chunk-signature={SIG_FINAL}\r\n{trailers}\r\n"));
        b.into_bytes()
    }

    fn check(body: &[u8], secret: &str, trailer: bool) -> Result<(), AuthFailure> {
        let identity: Identity = Credentials::new("ANOTREAL", secret, None, None, "t").into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region("us-east-1")
            .name("s3")
            .time(super::super::parse_amz_date("20090213T233130Z").unwrap())
            .settings(())
            .build()
            .unwrap();
        verify_chain(body, SEED, &params, trailer)
    }

    const SECRET: &str = "notrealrnrELgWzOk3IfjzDKtFBhDby";

    #[test]
    fn verifies_the_chain_the_sdk_signed() {
        let (a, b) = ("a".repeat(8192), "a".repeat(2048));
        let trailers =
            format!("x-amz-checksum-crc32:X9RA0w==\r\nx-amz-trailer-signature:{SIG_TRAILER}\r\n");
        let good = body(&[chunk(&a, SIG_1), chunk(&b, SIG_2)], &trailers);
        assert_eq!(check(&good, SECRET, true), Ok(()));
        assert_eq!(
            check(&good, "another-secret", true),
            Err(AuthFailure::ChunkSignatureMismatch(
                "chunk 1 (8192 bytes)".into()
            ))
        );

        // One byte changed in the second chunk.
        let tampered = body(
            &[chunk(&a, SIG_1), chunk(&format!("b{}", &b[1..]), SIG_2)],
            &trailers,
        );
        assert_eq!(
            check(&tampered, SECRET, true),
            Err(AuthFailure::ChunkSignatureMismatch(
                "chunk 2 (2048 bytes)".into()
            ))
        );
        // The chunks swapped, each with its own signature.
        let reordered = body(&[chunk(&b, SIG_2), chunk(&a, SIG_1)], &trailers);
        assert_eq!(
            check(&reordered, SECRET, true),
            Err(AuthFailure::ChunkSignatureMismatch(
                "chunk 1 (2048 bytes)".into()
            ))
        );
        // A chunk dropped: the final chunk's signature no longer follows.
        let dropped = body(&[chunk(&a, SIG_1)], &trailers);
        assert_eq!(
            check(&dropped, SECRET, true),
            Err(AuthFailure::ChunkSignatureMismatch(
                "the final zero-size chunk (chunk 2)".into()
            ))
        );
        // Another checksum under the original trailer signature; the signature dropped.
        let swapped =
            format!("x-amz-checksum-crc32:AAAAAA==\r\nx-amz-trailer-signature:{SIG_TRAILER}\r\n");
        let swapped = body(&[chunk(&a, SIG_1), chunk(&b, SIG_2)], &swapped);
        assert_eq!(
            check(&swapped, SECRET, true),
            Err(AuthFailure::ChunkSignatureMismatch("the trailers".into()))
        );
        let unsigned = body(
            &[chunk(&a, SIG_1), chunk(&b, SIG_2)],
            "x-amz-checksum-crc32:X9RA0w==\r\n",
        );
        assert!(matches!(
            check(&unsigned, SECRET, true),
            Err(AuthFailure::ChunkedBody(Malformed::Truncated(_)))
        ));
        // Trailers where the mode announces none.
        assert!(matches!(
            check(&good, SECRET, false),
            Err(AuthFailure::ChunkedBody(Malformed::Invalid(_)))
        ));
        // Cut inside the second chunk.
        assert!(matches!(
            check(&good[..9000], SECRET, true),
            Err(AuthFailure::ChunkedBody(Malformed::Truncated(_)))
        ));
    }
}
