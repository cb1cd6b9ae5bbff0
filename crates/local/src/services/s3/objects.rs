//! Object operations: PutObject (with conditional writes), GetObject, HeadObject,
//! DeleteObject (with `If-Match`), ListObjectsV2.
//!
//! Conditional writes are decided atomically: the endpoint runs one request at a time on
//! the state, so of two racing `If-None-Match: *` PutObjects exactly one succeeds and the
//! other gets 412 PreconditionFailed. (S3 also answers 409 ConditionalRequestConflict when
//! a delete lands while a conditional upload is still in flight; here no request is ever in
//! flight while another changes the state, so that answer never arises.)

use base64::Engine as _;

use super::checksum::{self, Algorithm};
use super::errors;
use super::state::Object;
use super::{MAX_KEY_BYTES, bucket_in_region};
use crate::api::ApiError;
use crate::document::Document;
use crate::service::Ctx;

/// ListObjectsV2 returns at most this many keys per page.
const MAX_LIST_KEYS: i64 = 1000;

fn names(input: &Document) -> (String, String) {
    (
        input.get_str("Bucket").unwrap_or_default().to_string(),
        input.get_str("Key").unwrap_or_default().to_string(),
    )
}

/// ETags compare without their quotes (clients send them either way).
fn etag_matches(condition: &str, etag: &str) -> bool {
    let bare = |s: &str| {
        s.trim()
            .trim_start_matches("W/")
            .trim_matches('"')
            .to_string()
    };
    condition.trim() == "*" || condition.split(',').any(|c| bare(c) == bare(etag))
}

/// Versioning is not emulated: only the `null` version exists.
fn check_version(input: &Document) -> Result<(), ApiError> {
    match input.get_str("VersionId") {
        None | Some("null") => Ok(()),
        Some(v) => Err(errors::invalid_argument(
            "Invalid version id specified",
            "versionId",
            v,
        )),
    }
}

pub fn put_object(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    let (bucket_name, key) = names(&input);
    if key.len() > MAX_KEY_BYTES {
        return Err(errors::key_too_long(key.len()));
    }
    let body = match input.get("Body") {
        Some(Document::Bytes(b)) => b.clone(),
        _ => Vec::new(),
    };
    let if_none_match = input.get_str("IfNoneMatch");
    if if_none_match.is_some_and(|v| v.trim() != "*") {
        return Err(errors::not_implemented(
            "If-None-Match",
            "A header you provided implies functionality that is not implemented",
        ));
    }
    let now = ctx.now;
    let bucket = bucket_in_region(ctx, &bucket_name)?;
    let existing = bucket.objects.get(&key);
    if if_none_match.is_some() && existing.is_some() {
        return Err(errors::precondition_failed("If-None-Match"));
    }
    if let Some(condition) = input.get_str("IfMatch") {
        match existing {
            None => return Err(errors::no_such_key(&key)),
            Some(o) if !etag_matches(condition, &o.etag) => {
                return Err(errors::precondition_failed("If-Match"));
            }
            Some(_) => {}
        }
    }
    let verified = checksum::verify(&input, &body)?;
    let etag = checksum::etag(&body);
    let stored = verified
        .clone()
        .unwrap_or_else(|| (Algorithm::Crc64Nvme, Algorithm::Crc64Nvme.compute(&body)));
    bucket.objects.insert(
        key,
        Object {
            etag: etag.clone(),
            last_modified: now,
            content_type: input
                .get_str("ContentType")
                .unwrap_or("binary/octet-stream")
                .to_string(),
            content_encoding: input.get_str("ContentEncoding").map(str::to_string),
            checksum: (stored.0.name().to_ascii_lowercase(), stored.1),
            body,
        },
    );
    let mut out = Document::from_pairs([
        ("ETag", Document::str(etag)),
        ("ServerSideEncryption", Document::str("AES256")),
    ]);
    if let Some((alg, value)) = verified {
        out.insert(alg.member(), Document::str(value));
        out.insert("ChecksumType", Document::str("FULL_OBJECT"));
    }
    Ok(out)
}

/// GetObject's and HeadObject's conditions, in the order S3 (RFC 7232) applies them.
fn check_read_conditions(input: &Document, object: &Object) -> Result<(), ApiError> {
    let date = |member: &str| input.get_str(member).and_then(crate::time::parse_http_date);
    let modified = object.last_modified as f64;
    match input.get_str("IfMatch") {
        Some(c) if !etag_matches(c, &object.etag) => {
            return Err(errors::precondition_failed("If-Match"));
        }
        Some(_) => {}
        None => {
            if date("IfUnmodifiedSince").is_some_and(|d| modified > d) {
                return Err(errors::precondition_failed("If-Unmodified-Since"));
            }
        }
    }
    match input.get_str("IfNoneMatch") {
        Some(c) if etag_matches(c, &object.etag) => Err(errors::not_modified()),
        Some(_) => Ok(()),
        None if date("IfModifiedSince").is_some_and(|d| modified <= d) => {
            Err(errors::not_modified())
        }
        None => Ok(()),
    }
}

/// GetObject (`with_body`) and HeadObject.
fn read_object(ctx: &mut Ctx<'_>, input: &Document, with_body: bool) -> Result<Document, ApiError> {
    let (bucket_name, key) = names(input);
    check_version(input)?;
    if input.get("Range").is_some() {
        return Err(errors::not_implemented(
            "Range",
            "ivstack local does not serve byte ranges; request the whole object",
        ));
    }
    let bucket = bucket_in_region(ctx, &bucket_name)?;
    let object = bucket
        .objects
        .get(&key)
        .ok_or_else(|| errors::no_such_key(&key))?;
    check_read_conditions(input, object)?;
    let mut out = Document::from_pairs([
        ("ETag", Document::str(&object.etag)),
        (
            "LastModified",
            Document::Timestamp(object.last_modified as f64),
        ),
        ("ContentType", Document::str(&object.content_type)),
        (
            "ContentEncoding",
            Document::opt_str(object.content_encoding.clone()),
        ),
        ("AcceptRanges", Document::str("bytes")),
        ("ServerSideEncryption", Document::str("AES256")),
    ]);
    if input.get_str("ChecksumMode") == Some("ENABLED")
        && let Some(alg) = Algorithm::from_name(&object.checksum.0)
    {
        out.insert(alg.member(), Document::str(&object.checksum.1));
        out.insert("ChecksumType", Document::str("FULL_OBJECT"));
    }
    if with_body {
        out.insert("Body", Document::Bytes(object.body.clone()));
    } else {
        out.insert("ContentLength", Document::Int(object.body.len() as i64));
    }
    Ok(out)
}

pub fn get_object(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    read_object(ctx, &input, true)
}

pub fn head_object(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    read_object(ctx, &input, false)
}

pub fn delete_object(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    let (bucket_name, key) = names(&input);
    check_version(&input)?;
    let bucket = bucket_in_region(ctx, &bucket_name)?;
    if let Some(condition) = input.get_str("IfMatch") {
        match bucket.objects.get(&key) {
            None => return Err(errors::no_such_key(&key)),
            Some(o) if !etag_matches(condition, &o.etag) => {
                return Err(errors::precondition_failed("If-Match"));
            }
            Some(_) => {}
        }
    }
    // Deleting a key that does not exist succeeds (204), as in S3.
    bucket.objects.remove(&key);
    Ok(Document::unit())
}

/// An opaque continuation token: the last key of the page, base64.
fn token_for(key: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(key)
}

fn key_of_token(token: &str) -> Result<String, ApiError> {
    base64::engine::general_purpose::STANDARD
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| {
            errors::invalid_argument(
                "The continuation token provided is incorrect",
                "continuation-token",
                token,
            )
        })
}

pub fn list_objects_v2(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    let bucket_name = input.get_str("Bucket").unwrap_or_default().to_string();
    let prefix = input.get_str("Prefix").unwrap_or_default().to_string();
    let delimiter = input.get_str("Delimiter").filter(|d| !d.is_empty());
    let max_keys = input.get_i64("MaxKeys").unwrap_or(MAX_LIST_KEYS);
    if max_keys < 0 {
        return Err(errors::invalid_argument(
            "Argument maxKeys must be an integer between 0 and 2147483647",
            "maxKeys",
            &max_keys.to_string(),
        ));
    }
    let limit = max_keys.min(MAX_LIST_KEYS) as usize;
    let token = input.get_str("ContinuationToken");
    let after = match token {
        Some(t) => Some(key_of_token(t)?),
        None => input.get_str("StartAfter").map(str::to_string),
    };
    let url = input.get_str("EncodingType") == Some("url");
    let enc = |s: &str| -> String {
        if url {
            percent_encoding::utf8_percent_encode(s, URL_KEY).to_string()
        } else {
            s.to_string()
        }
    };
    let bucket = bucket_in_region(ctx, &bucket_name)?;

    let mut contents = Vec::new();
    let mut prefixes: Vec<String> = Vec::new();
    let mut last = None;
    let mut truncated = false;
    let candidates = bucket
        .objects
        .iter()
        .filter(|(k, _)| k.starts_with(&prefix) && after.as_ref().is_none_or(|a| *k > a));
    for (key, object) in candidates {
        // A key under a common prefix already listed adds nothing.
        let common = delimiter.and_then(|d| {
            key[prefix.len()..]
                .find(d)
                .map(|at| key[..prefix.len() + at + d.len()].to_string())
        });
        if let Some(p) = &common
            && prefixes.last() == Some(p)
        {
            last = Some(key.clone());
            continue;
        }
        if contents.len() + prefixes.len() == limit {
            truncated = true;
            break;
        }
        match common {
            Some(p) => prefixes.push(p),
            None => contents.push(Document::from_pairs([
                ("Key", Document::str(enc(key))),
                (
                    "LastModified",
                    Document::Timestamp(object.last_modified as f64),
                ),
                ("ETag", Document::str(&object.etag)),
                ("Size", Document::Int(object.body.len() as i64)),
                ("StorageClass", Document::str("STANDARD")),
            ])),
        }
        last = Some(key.clone());
    }
    let key_count = (contents.len() + prefixes.len()) as i64;
    Ok(Document::from_pairs([
        ("Name", Document::str(&bucket_name)),
        ("Prefix", Document::str(enc(&prefix))),
        ("Delimiter", Document::opt_str(delimiter.map(enc))),
        ("MaxKeys", Document::Int(max_keys)),
        ("KeyCount", Document::Int(key_count)),
        ("IsTruncated", Document::Bool(truncated)),
        ("Contents", Document::List(contents)),
        (
            "CommonPrefixes",
            Document::List(
                prefixes
                    .iter()
                    .map(|p| Document::from_pairs([("Prefix", Document::str(enc(p)))]))
                    .collect(),
            ),
        ),
        ("ContinuationToken", Document::opt_str(token)),
        (
            "NextContinuationToken",
            Document::opt_str(truncated.then(|| last.as_deref().map(token_for)).flatten()),
        ),
        (
            "StartAfter",
            Document::opt_str(input.get_str("StartAfter").map(enc)),
        ),
        ("EncodingType", Document::opt_str(url.then_some("url"))),
    ]))
}

/// `encoding-type=url`: keys percent-encoded as S3 does (unreserved characters and `/`
/// kept).
const URL_KEY: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_compare_with_or_without_quotes() {
        assert!(etag_matches("\"abc\"", "\"abc\""));
        assert!(etag_matches("abc", "\"abc\""));
        assert!(etag_matches("\"x\", \"abc\"", "\"abc\""));
        assert!(etag_matches("*", "\"abc\""));
        assert!(!etag_matches("\"abd\"", "\"abc\""));
    }
}
