//! `Content-Encoding: aws-chunked` request bodies, as the AWS SDKs send streaming uploads to
//! S3 (`x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER`): the payload in chunks,
//! each `<hex size>\r\n<bytes>\r\n`, a last chunk `0\r\n`, then trailer headers (the
//! checksum, e.g. `x-amz-checksum-crc32:…`) and an empty line.
//!
//! [`decode`] returns the payload and the trailers; the S3 service verifies the checksum a
//! trailer carries exactly as it verifies one sent as a header. Chunk signatures
//! (`;chunk-signature=`, the signed streaming modes) are refused before a body gets here
//! (`sigv4.rs`).

use std::collections::BTreeMap;

/// A decoded `aws-chunked` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub payload: Vec<u8>,
    /// Trailer headers, names lowercase.
    pub trailers: BTreeMap<String, String>,
}

/// Why a body is not valid `aws-chunked`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the aws-chunked request body is malformed: {0}")]
pub struct Malformed(pub String);

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

/// Decode an `aws-chunked` body.
pub fn decode(body: &[u8]) -> Result<Decoded, Malformed> {
    let mut payload = Vec::new();
    let mut rest = body;
    loop {
        let (line, after) = split_line(rest)
            .ok_or_else(|| Malformed("a chunk header is not terminated by CRLF".into()))?;
        let line = std::str::from_utf8(line)
            .map_err(|_| Malformed("a chunk header is not text".into()))?;
        let (size, extension) = match line.split_once(';') {
            Some((size, ext)) => (size, Some(ext)),
            None => (line, None),
        };
        if extension.is_some_and(|e| e.starts_with("chunk-signature=")) {
            return Err(Malformed(
                "signed chunks (chunk-signature) are not supported".into(),
            ));
        }
        let size = usize::from_str_radix(size.trim(), 16)
            .map_err(|_| Malformed(format!("chunk size `{size}` is not hexadecimal")))?;
        if size == 0 {
            let trailers = read_trailers(after)?;
            return Ok(Decoded { payload, trailers });
        }
        if after.len() < size + 2 {
            return Err(Malformed(format!(
                "a chunk of {size} bytes is cut short ({} bytes left)",
                after.len()
            )));
        }
        let (data, after) = after.split_at(size);
        payload.extend_from_slice(data);
        rest = after
            .strip_prefix(b"\r\n")
            .ok_or_else(|| Malformed("a chunk's data is not followed by CRLF".into()))?;
    }
}

/// The trailer lines after the last chunk, up to the empty line that ends the body.
fn read_trailers(mut rest: &[u8]) -> Result<BTreeMap<String, String>, Malformed> {
    let mut trailers = BTreeMap::new();
    loop {
        // A body may end right after the last trailer's CRLF, without the empty line.
        if rest.is_empty() {
            return Ok(trailers);
        }
        let (line, after) = split_line(rest)
            .ok_or_else(|| Malformed("a trailer is not terminated by CRLF".into()))?;
        if line.is_empty() {
            return if after.is_empty() {
                Ok(trailers)
            } else {
                Err(Malformed("data after the trailers".into()))
            };
        }
        let line =
            std::str::from_utf8(line).map_err(|_| Malformed("a trailer is not text".into()))?;
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| Malformed(format!("trailer `{line}` has no `:`")))?;
        trailers.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
        rest = after;
    }
}

/// The bytes before the first CRLF, and those after it.
fn split_line(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let at = bytes.windows(2).position(|w| w == b"\r\n")?;
    Some((&bytes[..at], &bytes[at + 2..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_chunks_and_trailers() {
        let body = b"5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n";
        let d = decode(body).unwrap();
        assert_eq!(d.payload, b"hello world");
        assert_eq!(d.trailers["x-amz-checksum-crc32"], "DUoRhQ==");
        assert_eq!(decode(b"0\r\n\r\n").unwrap().payload, b"");
        assert!(decode(b"0\r\n").unwrap().trailers.is_empty());
    }

    #[test]
    fn refuses_malformed_bodies() {
        for bad in [
            &b"5\r\nhel"[..],
            b"zz\r\nhello\r\n0\r\n\r\n",
            b"5\r\nhelloXX0\r\n\r\n",
            b"5;chunk-signature=abc\r\nhello\r\n0\r\n\r\n",
            b"0\r\nno-colon\r\n\r\n",
            b"0\r\n\r\nextra",
            b"5",
        ] {
            assert!(decode(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn recognises_chunked_bodies() {
        assert!(is_chunked(Some("gzip, aws-chunked"), None));
        assert!(is_chunked(None, Some("STREAMING-UNSIGNED-PAYLOAD-TRAILER")));
        assert!(!is_chunked(Some("gzip"), Some("UNSIGNED-PAYLOAD")));
        assert_eq!(remaining_encoding("aws-chunked"), None);
        assert_eq!(remaining_encoding("gzip,aws-chunked"), Some("gzip".into()));
    }
}
