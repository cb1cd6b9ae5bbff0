//! S3's input shapes (botocore `s3/2006-03-01`, the members this endpoint reads): labels,
//! query parameters, headers and payloads as the model binds them. Members the model has
//! and the handlers do not use (ACLs, SSE-C, request payer, ...) are not declared, so they
//! are ignored, as unknown input is everywhere in this endpoint.

use crate::shape::{Member, Shape, any_string, enumeration, int, member, required};

static STR: Shape = any_string();
static KEY: Shape = Shape::Str(crate::shape::Str {
    min: 1,
    max: None,
    pattern: None,
    values: &[],
    sensitive: false,
});
static BLOB: Shape = Shape::Blob;
static BOOL: Shape = Shape::Bool;
static MAX_KEYS: Shape = int(None, None);
static ENCODING_TYPE: Shape = enumeration(&["url"]);
static CHECKSUM_MODE: Shape = enumeration(&["ENABLED"]);

/// The checksum headers of uploads (`httpChecksum` operations), plus `extra` members.
macro_rules! with_checksums {
    ($($extra:expr),* $(,)?) => {
        Shape::Struct(&[
            $($extra,)*
            member("ContentMD5", &STR).header("content-md5"),
            member("ChecksumAlgorithm", &STR).header("x-amz-sdk-checksum-algorithm"),
            member("ChecksumCRC32", &STR).header("x-amz-checksum-crc32"),
            member("ChecksumCRC32C", &STR).header("x-amz-checksum-crc32c"),
            member("ChecksumCRC64NVME", &STR).header("x-amz-checksum-crc64nvme"),
            member("ChecksumSHA1", &STR).header("x-amz-checksum-sha1"),
            member("ChecksumSHA256", &STR).header("x-amz-checksum-sha256"),
            member("ChecksumSHA512", &STR).header("x-amz-checksum-sha512"),
            member("ChecksumMD5", &STR).header("x-amz-checksum-md5"),
            member("ChecksumXXHASH64", &STR).header("x-amz-checksum-xxhash64"),
            member("ChecksumXXHASH3", &STR).header("x-amz-checksum-xxhash3"),
            member("ChecksumXXHASH128", &STR).header("x-amz-checksum-xxhash128"),
        ])
    };
}

const fn bucket() -> Member {
    required("Bucket", &STR).label()
}

const fn key() -> Member {
    required("Key", &KEY).label()
}

/// Operations on a bucket that name nothing but it.
pub static BUCKET_ONLY: Shape = Shape::Struct(&[bucket()]);

static CREATE_BUCKET_CONFIGURATION: Shape = Shape::Struct(&[member("LocationConstraint", &STR)]);

pub static CREATE_BUCKET: Shape = Shape::Struct(&[
    bucket(),
    member("CreateBucketConfiguration", &CREATE_BUCKET_CONFIGURATION).payload(),
]);

pub static PUT_BUCKET_POLICY: Shape = with_checksums![bucket(), required("Policy", &STR).payload()];

pub static PUT_OBJECT: Shape = with_checksums![
    bucket(),
    key(),
    member("Body", &BLOB).payload(),
    member("ContentType", &STR).header("content-type"),
    member("ContentEncoding", &STR).header("content-encoding"),
    member("IfMatch", &STR).header("if-match"),
    member("IfNoneMatch", &STR).header("if-none-match"),
];

/// GetObject and HeadObject.
pub static GET_OBJECT: Shape = Shape::Struct(&[
    bucket(),
    key(),
    member("IfMatch", &STR).header("if-match"),
    member("IfNoneMatch", &STR).header("if-none-match"),
    member("IfModifiedSince", &STR).header("if-modified-since"),
    member("IfUnmodifiedSince", &STR).header("if-unmodified-since"),
    member("Range", &STR).header("range"),
    member("ChecksumMode", &CHECKSUM_MODE).header("x-amz-checksum-mode"),
    member("VersionId", &STR).query("versionId"),
]);

pub static DELETE_OBJECT: Shape = Shape::Struct(&[
    bucket(),
    key(),
    member("IfMatch", &STR).header("if-match"),
    member("VersionId", &STR).query("versionId"),
]);

pub static LIST_OBJECTS_V2: Shape = Shape::Struct(&[
    bucket(),
    member("Prefix", &STR).query("prefix"),
    member("Delimiter", &STR).query("delimiter"),
    member("MaxKeys", &MAX_KEYS).query("max-keys"),
    member("ContinuationToken", &STR).query("continuation-token"),
    member("StartAfter", &STR).query("start-after"),
    member("EncodingType", &ENCODING_TYPE).query("encoding-type"),
    member("FetchOwner", &BOOL).query("fetch-owner"),
]);
