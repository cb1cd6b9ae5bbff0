//! `Content-Encoding: aws-chunked` request bodies, as the AWS SDKs send streaming uploads to
//! S3: the payload in chunks, a last zero-size chunk, then trailer headers (the checksum,
//! e.g. `x-amz-checksum-crc32:…`) and an empty line. Two framings, chosen by the request's
//! `x-amz-content-sha256`:
//!
//! - unsigned (`STREAMING-UNSIGNED-PAYLOAD-TRAILER`): `<hex size>\r\n<bytes>\r\n`, last `0\r\n`;
//! - signed (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`, `…-PAYLOAD-TRAILER`):
//!   `<hex size>;chunk-signature=<64 hex>\r\n<bytes>\r\n`, last `0;chunk-signature=…\r\n`,
//!   and after the trailers an `x-amz-trailer-signature:<64 hex>` line.
//!
//! This module only reads the framing: [`Chunks`] walks the chunks without copying (SigV4
//! verification, `sigv4/chunks.rs`, checks their signature chain), [`decode`] collects the
//! payload and trailers (the S3 service verifies a trailer checksum exactly as it verifies
//! one sent as a header). Every size is checked against the bytes actually there: a body
//! cut short is [`Malformed::Truncated`], never a panic or a read past its end.

use std::collections::BTreeMap;

use crate::sigv4::{STREAMING_SIGNED_PAYLOAD, STREAMING_SIGNED_PAYLOAD_TRAILER};

/// The trailer carrying the signature of the trailers (signed framing).
pub const TRAILER_SIGNATURE: &str = "x-amz-trailer-signature";

/// How the chunks of a body are framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// `<hex size>\r\n`: no signatures.
    Unsigned,
    /// `<hex size>;chunk-signature=<64 hex>\r\n`, and a signature after the trailers.
    Signed,
}

impl Framing {
    /// The framing a request's `x-amz-content-sha256` announces.
    pub fn of(content_sha256: Option<&str>) -> Framing {
        match content_sha256 {
            Some(STREAMING_SIGNED_PAYLOAD | STREAMING_SIGNED_PAYLOAD_TRAILER) => Framing::Signed,
            _ => Framing::Unsigned,
        }
    }
}

/// A decoded `aws-chunked` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub payload: Vec<u8>,
    /// Trailer headers, names lowercase (without the trailer signature).
    pub trailers: BTreeMap<String, String>,
}

/// Why a body is not valid `aws-chunked`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Malformed {
    /// The body ends before its framing does (S3: `IncompleteBody`).
    #[error("the aws-chunked request body ends early: {0}")]
    Truncated(String),
    /// The framing is wrong (S3: `InvalidRequest`).
    #[error("the aws-chunked request body is malformed: {0}")]
    Invalid(String),
}

/// One chunk as sent: its data and, in the signed framing, its signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunk<'a> {
    pub data: &'a [u8],
    pub signature: Option<&'a str>,
}

/// The trailers after the last chunk.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Trailers {
    /// In the order sent: names lowercase, values trimmed; no name twice.
    pub headers: Vec<(String, String)>,
    /// `x-amz-trailer-signature` (signed framing only).
    pub signature: Option<String>,
}

/// Whether a request body is `aws-chunked`: its `Content-Encoding` says so, or its payload
/// hash names a streaming mode.
pub fn is_chunked(content_encoding: Option<&str>, content_sha256: Option<&str>) -> bool {
    content_encoding.is_some_and(|ce| {
        ce.split(',')
            .any(|c| c.trim().eq_ignore_ascii_case("aws-chunked"))
    }) || content_sha256.is_some_and(|h| h.starts_with("STREAMING-"))
}

/// `Content-Encoding` without the `aws-chunked` token (what the object is stored with).
pub fn remaining_encoding(content_encoding: &str) -> Option<String> {
    let rest: Vec<&str> = content_encoding
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty() && !c.eq_ignore_ascii_case("aws-chunked"))
        .collect();
    (!rest.is_empty()).then(|| rest.join(","))
}

/// Decode an `aws-chunked` body framed as `framing` (signatures are read, not checked).
pub fn decode(body: &[u8], framing: Framing) -> Result<Decoded, Malformed> {
    let mut chunks = Chunks::new(body, framing);
    let mut payload = Vec::new();
    for chunk in chunks.by_ref() {
        payload.extend_from_slice(chunk?.data);
    }
    let trailers = chunks.trailers()?;
    Ok(Decoded {
        payload,
        trailers: trailers.headers.into_iter().collect(),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Reading,
    /// The zero-size chunk has been read: the trailers follow.
    Ended,
    Failed,
}

/// The chunks of a body in order, the last (zero-size) one included; then
/// [`Chunks::trailers`]. Stops at the first error.
#[derive(Debug)]
pub struct Chunks<'a> {
    rest: &'a [u8],
    framing: Framing,
    state: State,
}

impl<'a> Chunks<'a> {
    pub fn new(body: &'a [u8], framing: Framing) -> Self {
        Chunks {
            rest: body,
            framing,
            state: State::Reading,
        }
    }

    /// The trailers, once every chunk has been read.
    pub fn trailers(self) -> Result<Trailers, Malformed> {
        match self.state {
            State::Ended => read_trailers(self.rest, self.framing),
            _ => Err(Malformed::Invalid(
                "the trailers were read before the last chunk".into(),
            )),
        }
    }

    fn read_chunk(&mut self) -> Result<Chunk<'a>, Malformed> {
        if self.rest.is_empty() {
            return Err(Malformed::Truncated(
                "the body ends before its last (zero-size) chunk".into(),
            ));
        }
        let (line, after) = split_line(self.rest).ok_or_else(|| {
            Malformed::Truncated("a chunk header is not terminated by CRLF".into())
        })?;
        let line = std::str::from_utf8(line)
            .map_err(|_| Malformed::Invalid("a chunk header is not text".into()))?;
        let (size, extension) = match line.split_once(';') {
            Some((size, ext)) => (size, Some(ext)),
            None => (line, None),
        };
        let signature = match (self.framing, extension) {
            (Framing::Unsigned, None) => None,
            (Framing::Unsigned, Some(_)) => {
                return Err(Malformed::Invalid(format!(
                    "chunk header `{}` carries an extension; chunk signatures come only with \
                     x-amz-content-sha256: {STREAMING_SIGNED_PAYLOAD}[-TRAILER]",
                    shown(line)
                )));
            }
            (Framing::Signed, ext) => Some(
                ext.and_then(|e| e.strip_prefix("chunk-signature="))
                    .filter(|s| is_signature(s))
                    .ok_or_else(|| {
                        Malformed::Invalid(format!(
                            "chunk header `{}` has no `;chunk-signature=<64 hex digits>`",
                            shown(line)
                        ))
                    })?,
            ),
        };
        let size = usize::from_str_radix(size.trim(), 16).map_err(|_| {
            Malformed::Invalid(format!("chunk size `{}` is not hexadecimal", shown(size)))
        })?;
        // `size` comes from the network: compare without adding to it.
        if size > after.len() {
            return Err(Malformed::Truncated(format!(
                "a chunk of {size} bytes is cut short ({} bytes left)",
                after.len()
            )));
        }
        let (data, after) = after.split_at(size);
        if size == 0 {
            self.rest = after;
            return Ok(Chunk { data, signature });
        }
        self.rest = match after.strip_prefix(b"\r\n") {
            Some(rest) => rest,
            None if after.len() < 2 => {
                return Err(Malformed::Truncated(
                    "a chunk's data is not followed by CRLF".into(),
                ));
            }
            None => {
                return Err(Malformed::Invalid(format!(
                    "a chunk's data is not followed by CRLF (is its size, {size:#x}, right?)"
                )));
            }
        };
        Ok(Chunk { data, signature })
    }
}

impl<'a> Iterator for Chunks<'a> {
    type Item = Result<Chunk<'a>, Malformed>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.state != State::Reading {
            return None;
        }
        let chunk = self.read_chunk();
        match &chunk {
            Ok(c) if c.data.is_empty() => self.state = State::Ended,
            Ok(_) => {}
            Err(_) => self.state = State::Failed,
        }
        Some(chunk)
    }
}

/// The trailer lines after the last chunk, up to the empty line that ends the body.
fn read_trailers(mut rest: &[u8], framing: Framing) -> Result<Trailers, Malformed> {
    let mut trailers = Trailers::default();
    loop {
        // A body may end right after the last trailer's CRLF, without the empty line.
        if rest.is_empty() {
            return Ok(trailers);
        }
        let (line, after) = split_line(rest)
            .ok_or_else(|| Malformed::Truncated("a trailer is not terminated by CRLF".into()))?;
        if line.is_empty() {
            return if after.is_empty() {
                Ok(trailers)
            } else {
                Err(Malformed::Invalid("data after the trailers".into()))
            };
        }
        let line = std::str::from_utf8(line)
            .map_err(|_| Malformed::Invalid("a trailer is not text".into()))?;
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| Malformed::Invalid(format!("trailer `{}` has no `:`", shown(line))))?;
        let (name, value) = (name.trim().to_ascii_lowercase(), value.trim().to_string());
        if trailers.signature.is_some() {
            return Err(Malformed::Invalid(format!(
                "trailer `{name}` follows the trailer signature, which must come last"
            )));
        }
        if name == TRAILER_SIGNATURE {
            if framing == Framing::Unsigned {
                return Err(Malformed::Invalid(
                    "a trailer signature in an unsigned body".into(),
                ));
            }
            trailers.signature = Some(value);
        } else if trailers.headers.iter().any(|(n, _)| *n == name) {
            // Two values for one checksum would leave it open which one was checked.
            return Err(Malformed::Invalid(format!(
                "trailer `{name}` is sent twice"
            )));
        } else {
            trailers.headers.push((name, value));
        }
        rest = after;
    }
}

/// `s` is a SigV4 signature: 64 lowercase hex digits.
fn is_signature(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// At most the first 80 characters of `s`, for error messages.
fn shown(s: &str) -> &str {
    s.char_indices().nth(80).map_or(s, |(at, _)| &s[..at])
}

/// The bytes before the first CRLF, and those after it.
fn split_line(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let at = bytes.windows(2).position(|w| w == b"\r\n")?;
    Some((&bytes[..at], &bytes[at + 2..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIG_A: &str = "25851a3d29c435720498cdfd7540bb131ae653ea7371cb885f4fe1ba092d37f3";
    const SIG_B: &str = "7110bd9a94d4fa381c0ad159f6b14acb99e93ecec95cb3fd0fd61b414a692ae6";

    #[test]
    fn decodes_chunks_and_trailers() {
        let body = b"5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n";
        let d = decode(body, Framing::Unsigned).unwrap();
        assert_eq!(d.payload, b"hello world");
        assert_eq!(d.trailers["x-amz-checksum-crc32"], "DUoRhQ==");
        assert_eq!(
            decode(b"0\r\n\r\n", Framing::Unsigned).unwrap().payload,
            b""
        );
        assert!(
            decode(b"0\r\n", Framing::Unsigned)
                .unwrap()
                .trailers
                .is_empty()
        );
    }

    #[test]
    fn reads_signed_chunks_and_the_trailer_signature() {
        let body = format!(
            "5;chunk-signature={SIG_A}\r\nhello\r\n0;chunk-signature={SIG_B}\r\n\
             x-amz-checksum-crc32:NhCmhg==\r\nx-amz-trailer-signature:{SIG_A}\r\n\r\n"
        );
        let mut chunks = Chunks::new(body.as_bytes(), Framing::Signed);
        let read: Vec<Chunk<'_>> = chunks.by_ref().map(Result::unwrap).collect();
        assert_eq!(
            read,
            [
                Chunk {
                    data: b"hello",
                    signature: Some(SIG_A)
                },
                Chunk {
                    data: b"",
                    signature: Some(SIG_B)
                },
            ]
        );
        let trailers = chunks.trailers().unwrap();
        assert_eq!(
            trailers.headers,
            [("x-amz-checksum-crc32".to_string(), "NhCmhg==".to_string())]
        );
        assert_eq!(trailers.signature.as_deref(), Some(SIG_A));
        let d = decode(body.as_bytes(), Framing::Signed).unwrap();
        assert_eq!(d.payload, b"hello");
        assert!(!d.trailers.contains_key(TRAILER_SIGNATURE));
        // Without trailers (STREAMING-AWS4-HMAC-SHA256-PAYLOAD).
        let body = format!("0;chunk-signature={SIG_B}\r\n\r\n");
        assert_eq!(
            decode(body.as_bytes(), Framing::Signed).unwrap().payload,
            b""
        );
    }

    #[test]
    fn refuses_malformed_bodies() {
        for bad in [
            &b"zz\r\nhello\r\n0\r\n\r\n"[..],
            b"5\r\nhelloXX0\r\n\r\n",
            b"5;chunk-signature=abc\r\nhello\r\n0\r\n\r\n",
            b"0\r\nno-colon\r\n\r\n",
            b"0\r\n\r\nextra",
            b"0\r\nx-amz-checksum-crc32:a\r\nx-amz-checksum-crc32:b\r\n\r\n",
            b"0\r\nx-amz-trailer-signature:abc\r\n\r\n",
        ] {
            let r = decode(bad, Framing::Unsigned);
            assert!(
                matches!(r, Err(Malformed::Invalid(_))),
                "{:?}: {r:?}",
                String::from_utf8_lossy(bad)
            );
        }
        let signed_bad = [
            // No signature, a short one, an uppercase one.
            "5\r\nhello\r\n0\r\n\r\n".to_string(),
            "5;chunk-signature=abc\r\nhello\r\n0\r\n\r\n".to_string(),
            format!("0;chunk-signature={}\r\n\r\n", SIG_A.to_ascii_uppercase()),
            // A trailer after the trailer signature.
            format!(
                "0;chunk-signature={SIG_B}\r\nx-amz-trailer-signature:{SIG_A}\r\n\
                 x-amz-checksum-crc32:AAAAAA==\r\n\r\n"
            ),
        ];
        for bad in signed_bad {
            let r = decode(bad.as_bytes(), Framing::Signed);
            assert!(matches!(r, Err(Malformed::Invalid(_))), "{bad:?}: {r:?}");
        }
    }

    #[test]
    fn bodies_cut_short_are_truncated_never_a_panic() {
        let body = format!(
            "5;chunk-signature={SIG_A}\r\nhello\r\n0;chunk-signature={SIG_B}\r\n\
             x-amz-checksum-crc32:NhCmhg==\r\nx-amz-trailer-signature:{SIG_A}\r\n\r\n"
        );
        let body = body.as_bytes();
        // Every prefix either decodes (it ends on a boundary after the last chunk) or is
        // refused; the ones ending inside the chunks are truncated.
        let last_chunk_end = body.windows(4).position(|w| w == b"0;ch").unwrap() + 84;
        for end in 0..body.len() {
            let r = decode(&body[..end], Framing::Signed);
            if end < last_chunk_end {
                assert!(matches!(r, Err(Malformed::Truncated(_))), "{end}: {r:?}");
            }
        }
        for bad in [&b"5\r\nhel"[..], b"5", b"", b"5\r\nhello\r\n"] {
            let r = decode(bad, Framing::Unsigned);
            assert!(matches!(r, Err(Malformed::Truncated(_))), "{bad:?}: {r:?}");
        }
        // A size near usize::MAX must not overflow.
        let r = decode(b"ffffffffffffffff\r\nhello\r\n0\r\n\r\n", Framing::Unsigned);
        assert!(matches!(r, Err(Malformed::Truncated(_))), "{r:?}");
    }

    #[test]
    fn recognises_chunked_bodies() {
        assert!(is_chunked(Some("gzip, aws-chunked"), None));
        assert!(is_chunked(None, Some("STREAMING-UNSIGNED-PAYLOAD-TRAILER")));
        assert!(!is_chunked(Some("gzip"), Some("UNSIGNED-PAYLOAD")));
        assert_eq!(remaining_encoding("aws-chunked"), None);
        assert_eq!(remaining_encoding("gzip,aws-chunked"), Some("gzip".into()));
        assert_eq!(
            Framing::of(Some("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER")),
            Framing::Signed
        );
        assert_eq!(
            Framing::of(Some("STREAMING-AWS4-HMAC-SHA256-PAYLOAD")),
            Framing::Signed
        );
        assert_eq!(
            Framing::of(Some("STREAMING-UNSIGNED-PAYLOAD-TRAILER")),
            Framing::Unsigned
        );
    }
}
