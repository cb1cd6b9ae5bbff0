//! S3's errors, worded and shaped as S3 answers them (code, status, message, and the extra
//! elements its `<Error>` documents carry).

use crate::api::ApiError;

pub fn no_such_bucket(bucket: &str) -> ApiError {
    ApiError::new(404, "NoSuchBucket", "The specified bucket does not exist")
        .with_field("BucketName", bucket)
}

pub fn no_such_key(key: &str) -> ApiError {
    ApiError::new(404, "NoSuchKey", "The specified key does not exist.").with_field("Key", key)
}

pub fn no_such_bucket_policy(bucket: &str) -> ApiError {
    ApiError::new(
        404,
        "NoSuchBucketPolicy",
        "The bucket policy does not exist",
    )
    .with_field("BucketName", bucket)
}

/// A conditional request whose condition (`If-None-Match`, `If-Match`, ...) did not hold.
pub fn precondition_failed(condition: &str) -> ApiError {
    ApiError::new(
        412,
        "PreconditionFailed",
        "At least one of the pre-conditions you specified did not hold",
    )
    .with_field("Condition", condition)
}

/// `If-None-Match` / `If-Modified-Since` on a read: 304 without a body.
pub fn not_modified() -> ApiError {
    ApiError::new(304, "NotModified", "Not Modified")
}

pub fn bucket_already_owned_by_you(bucket: &str) -> ApiError {
    ApiError::new(
        409,
        "BucketAlreadyOwnedByYou",
        "Your previous request to create the named bucket succeeded and you already own it.",
    )
    .with_field("BucketName", bucket)
}

pub fn invalid_bucket_name(bucket: &str) -> ApiError {
    ApiError::new(
        400,
        "InvalidBucketName",
        "The specified bucket is not valid.",
    )
    .with_field("BucketName", bucket)
}

/// The bucket lives in another Region than the one the request was signed for: S3 answers
/// 301 with the bucket's Region in `x-amz-bucket-region` (clients retry there).
pub fn permanent_redirect(bucket: &str, region: &str) -> ApiError {
    ApiError::new(
        301,
        "PermanentRedirect",
        "The bucket you are attempting to access must be addressed using the specified \
         endpoint. Please send all future requests to this endpoint.",
    )
    .with_field("Bucket", bucket)
    .with_field("Endpoint", format!("s3.{region}.amazonaws.com"))
    .with_header("x-amz-bucket-region", region)
}

pub fn malformed_policy(message: &str) -> ApiError {
    ApiError::new(400, "MalformedPolicy", message)
}

pub fn invalid_argument(message: &str, name: &str, value: &str) -> ApiError {
    ApiError::new(400, "InvalidArgument", message)
        .with_field("ArgumentName", name)
        .with_field("ArgumentValue", value)
}

pub fn invalid_request(message: impl Into<String>) -> ApiError {
    ApiError::new(400, "InvalidRequest", message)
}

/// A header asking for something this endpoint (or S3) does not do.
pub fn not_implemented(header: &str, message: &str) -> ApiError {
    ApiError::new(501, "NotImplemented", message).with_field("Header", header)
}

pub fn bad_digest(message: impl Into<String>) -> ApiError {
    ApiError::new(400, "BadDigest", message)
}

pub fn key_too_long(size: usize) -> ApiError {
    ApiError::new(400, "KeyTooLongError", "Your key is too long")
        .with_field("Size", size.to_string())
        .with_field("MaxSizeAllowed", super::MAX_KEY_BYTES.to_string())
}
