//! Amazon S3 (signing name `s3`, restXml, path-style addressing only): buckets (create,
//! head, location, policy) and objects (put with conditional writes, get, head, delete,
//! list v2). The operation table, the output bindings, and the small API other parts of the
//! endpoint use ([`bucket_region`], [`add_policy_statement`], [`ensure_bucket`]).
//!
//! Clients must use path-style addressing (`http://host:port/bucket/key`): the Rust SDK's
//! `force_path_style(true)`, botocore's `s3={'addressing_style': 'path'}`. SigV4 follows S3's
//! rules (`sigv4::Rules::S3`): single URI encoding, `x-amz-content-sha256` required,
//! `UNSIGNED-PAYLOAD` and `aws-chunked` streaming uploads accepted, unsigned or with signed
//! chunks (whose signatures `sigv4` verifies before anything is decoded).
//!
//! Rate quotas: S3 documents 3,500 PUT/COPY/POST/DELETE and 5,500 GET/HEAD requests per
//! second per partitioned prefix. The rows carry those figures; with `--quotas aws` they
//! apply per operation and Region (not per prefix, so a load spread over many prefixes is
//! throttled earlier than S3 would).

mod buckets;
mod checksum;
mod errors;
mod names;
mod objects;
mod policy;
pub mod shapes;
mod state;

pub use buckets::DEFAULT_REGION;
pub use names::is_valid_bucket_name;
pub use state::{Bucket, Object, S3State};

use crate::api::{ApiError, ErrorCode};
use crate::protocol::Protocol;
use crate::protocol::rest_xml::{Bindings, Output, OutputBody};
use crate::service::{Ctx, Http, Operation, ServiceDef};
use crate::state::LocalState;

/// The namespace of S3's XML documents.
pub const XMLNS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";
/// Object keys are at most 1,024 bytes of UTF-8.
pub const MAX_KEY_BYTES: usize = 1024;
/// General purpose buckets per account (the default quota; `--quotas aws`).
pub const MAX_BUCKETS: usize = 10_000;

/// PUT/COPY/POST/DELETE requests per second per prefix.
const WRITE_TPS: f64 = 3_500.0;
/// GET/HEAD requests per second per prefix.
const READ_TPS: f64 = 5_500.0;

// ---------------------------------------------------------------------------------------
// The API the rest of the endpoint uses

/// The Region of bucket `name`, if it exists (buckets are global: one namespace).
pub fn bucket_region<'a>(state: &'a LocalState, name: &str) -> Option<&'a str> {
    state.s3.buckets.get(name).map(|b| b.region.as_str())
}

/// Add `statement` to bucket `name`'s policy (creating the policy if there is none): a
/// statement with the same `Sid` is replaced, an identical one not added twice. `false`
/// when the bucket does not exist.
pub fn add_policy_statement(
    state: &mut LocalState,
    name: &str,
    statement: serde_json::Value,
) -> bool {
    match state.s3.buckets.get_mut(name) {
        Some(bucket) => {
            bucket.policy = Some(policy::with_statement(bucket.policy.as_deref(), statement));
            true
        }
        None => false,
    }
}

/// Create bucket `name` in `region` unless it exists (what an embedding program does for
/// itself, e.g. `ivstack --local`'s lock bucket). Returns the bucket's Region, which is the
/// existing one's when it was there already; `None` for an invalid name.
pub fn ensure_bucket<'a>(
    state: &'a mut LocalState,
    name: &str,
    region: &str,
    now: i64,
) -> Option<&'a str> {
    if !is_valid_bucket_name(name) {
        return None;
    }
    let bucket = state
        .s3
        .buckets
        .entry(name.to_string())
        .or_insert_with(|| Bucket {
            region: region.to_string(),
            created: now,
            policy: None,
            objects: Default::default(),
        });
    Some(bucket.region.as_str())
}

/// The bucket `name` for a request signed for `ctx.region`: 404 NoSuchBucket, or 301
/// PermanentRedirect when it lives in another Region.
fn bucket_in_region<'a>(ctx: &'a mut Ctx<'_>, name: &str) -> Result<&'a mut Bucket, ApiError> {
    let bucket = ctx
        .state
        .s3
        .buckets
        .get_mut(name)
        .ok_or_else(|| errors::no_such_bucket(name))?;
    if bucket.region != ctx.region {
        return Err(errors::permanent_redirect(name, &bucket.region));
    }
    Ok(bucket)
}

// ---------------------------------------------------------------------------------------
// The table

pub static SERVICE: ServiceDef = ServiceDef {
    signing_name: "s3",
    protocols: &[Protocol::RestXml(&BINDINGS)],
    query_compatible: false,
    signing: crate::sigv4::Rules::S3,
    validation: ErrorCode {
        status: 400,
        code: "InvalidArgument",
        query_code: None,
    },
    // `SlowDown` is in the SDKs' throttling codes (aws-runtime THROTTLING_ERRORS, botocore).
    throttling: ErrorCode {
        status: 503,
        code: "SlowDown",
        query_code: None,
    },
    internal: ErrorCode {
        status: 500,
        code: "InternalError",
        query_code: None,
    },
    operations: OPERATIONS,
    not_emulated: &[],
};

const fn http(method: &'static str, uri: &'static str) -> Option<Http> {
    Some(Http { method, uri })
}

static OPERATIONS: &[Operation] = &[
    Operation {
        name: "CreateBucket",
        mutates: true,
        tps: WRITE_TPS,
        input: &shapes::CREATE_BUCKET,
        http: http("PUT", "/{Bucket}"),
        handler: buckets::create_bucket,
    },
    Operation {
        name: "HeadBucket",
        mutates: false,
        tps: READ_TPS,
        input: &shapes::BUCKET_ONLY,
        http: http("HEAD", "/{Bucket}"),
        handler: buckets::head_bucket,
    },
    Operation {
        name: "GetBucketLocation",
        mutates: false,
        tps: READ_TPS,
        input: &shapes::BUCKET_ONLY,
        http: http("GET", "/{Bucket}?location"),
        handler: buckets::get_bucket_location,
    },
    Operation {
        name: "PutBucketPolicy",
        mutates: true,
        tps: WRITE_TPS,
        input: &shapes::PUT_BUCKET_POLICY,
        http: http("PUT", "/{Bucket}?policy"),
        handler: buckets::put_bucket_policy,
    },
    Operation {
        name: "GetBucketPolicy",
        mutates: false,
        tps: READ_TPS,
        input: &shapes::BUCKET_ONLY,
        http: http("GET", "/{Bucket}?policy"),
        handler: buckets::get_bucket_policy,
    },
    Operation {
        name: "ListObjectsV2",
        mutates: false,
        tps: READ_TPS,
        input: &shapes::LIST_OBJECTS_V2,
        http: http("GET", "/{Bucket}?list-type=2"),
        handler: objects::list_objects_v2,
    },
    Operation {
        name: "PutObject",
        mutates: true,
        tps: WRITE_TPS,
        input: &shapes::PUT_OBJECT,
        http: http("PUT", "/{Bucket}/{Key+}"),
        handler: objects::put_object,
    },
    Operation {
        name: "GetObject",
        mutates: false,
        tps: READ_TPS,
        input: &shapes::GET_OBJECT,
        http: http("GET", "/{Bucket}/{Key+}"),
        handler: objects::get_object,
    },
    Operation {
        name: "HeadObject",
        mutates: false,
        tps: READ_TPS,
        input: &shapes::GET_OBJECT,
        http: http("HEAD", "/{Bucket}/{Key+}"),
        handler: objects::head_object,
    },
    Operation {
        name: "DeleteObject",
        mutates: true,
        tps: WRITE_TPS,
        input: &shapes::DELETE_OBJECT,
        http: http("DELETE", "/{Bucket}/{Key+}"),
        handler: objects::delete_object,
    },
];

/// The checksum output headers every object response may carry.
macro_rules! checksum_headers {
    ($($extra:expr),* $(,)?) => {
        &[
            $($extra,)*
            ("ChecksumCRC32", "x-amz-checksum-crc32"),
            ("ChecksumCRC32C", "x-amz-checksum-crc32c"),
            ("ChecksumCRC64NVME", "x-amz-checksum-crc64nvme"),
            ("ChecksumSHA1", "x-amz-checksum-sha1"),
            ("ChecksumSHA256", "x-amz-checksum-sha256"),
            ("ChecksumType", "x-amz-checksum-type"),
        ]
    };
}

/// GetObject's and HeadObject's headers.
const READ_HEADERS: &[(&str, &str)] = checksum_headers![
    ("ETag", "etag"),
    ("LastModified", "last-modified"),
    ("ContentType", "content-type"),
    ("ContentEncoding", "content-encoding"),
    ("ContentLength", "content-length"),
    ("AcceptRanges", "accept-ranges"),
    ("ServerSideEncryption", "x-amz-server-side-encryption"),
];

static BINDINGS: Bindings = Bindings {
    xmlns: XMLNS,
    outputs: &[
        Output {
            operation: "CreateBucket",
            status: 200,
            headers: &[("Location", "location"), ("BucketArn", "x-amz-bucket-arn")],
            body: OutputBody::Empty,
        },
        Output {
            operation: "HeadBucket",
            status: 200,
            headers: &[
                ("BucketRegion", "x-amz-bucket-region"),
                ("BucketArn", "x-amz-bucket-arn"),
                ("AccessPointAlias", "x-amz-access-point-alias"),
            ],
            body: OutputBody::Empty,
        },
        Output {
            operation: "GetBucketLocation",
            status: 200,
            headers: &[],
            body: OutputBody::Text {
                root: "LocationConstraint",
                member: "LocationConstraint",
            },
        },
        Output {
            operation: "PutBucketPolicy",
            status: 204,
            headers: &[],
            body: OutputBody::Empty,
        },
        Output {
            operation: "GetBucketPolicy",
            status: 200,
            headers: &[],
            body: OutputBody::Raw {
                member: "Policy",
                content_type: "application/json",
            },
        },
        Output {
            operation: "ListObjectsV2",
            status: 200,
            headers: &[],
            body: OutputBody::Xml {
                root: "ListBucketResult",
            },
        },
        Output {
            operation: "PutObject",
            status: 200,
            headers: checksum_headers![
                ("ETag", "etag"),
                ("ServerSideEncryption", "x-amz-server-side-encryption"),
            ],
            body: OutputBody::Empty,
        },
        Output {
            operation: "GetObject",
            status: 200,
            headers: READ_HEADERS,
            body: OutputBody::Raw {
                member: "Body",
                content_type: "binary/octet-stream",
            },
        },
        Output {
            operation: "HeadObject",
            status: 200,
            headers: READ_HEADERS,
            body: OutputBody::Empty,
        },
        Output {
            operation: "DeleteObject",
            status: 204,
            headers: &[],
            body: OutputBody::Empty,
        },
    ],
    // The query keys of S3's sub-resources (bucket and object configuration operations).
    subresources: &[
        "accelerate",
        "acl",
        "analytics",
        "attributes",
        "cors",
        "delete",
        "encryption",
        "intelligent-tiering",
        "inventory",
        "legal-hold",
        "lifecycle",
        "list-type",
        "location",
        "logging",
        "metadataConfiguration",
        "metrics",
        "notification",
        "object-lock",
        "ownershipControls",
        "policy",
        "policyStatus",
        "publicAccessBlock",
        "renameObject",
        "replication",
        "requestPayment",
        "restore",
        "retention",
        "select",
        "session",
        "tagging",
        "torrent",
        "uploadId",
        "uploads",
        "versioning",
        "versions",
        "website",
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_complete() {
        crate::service::table_checks::check(
            &SERVICE,
            &[
                "HeadBucket",
                "GetBucketLocation",
                "GetBucketPolicy",
                "ListObjectsV2",
                "GetObject",
                "HeadObject",
            ],
        );
    }

    #[test]
    fn the_api_for_other_services() {
        let mut state = LocalState::default();
        assert_eq!(bucket_region(&state, "media"), None);
        assert_eq!(
            ensure_bucket(&mut state, "media", "eu-west-1", 0),
            Some("eu-west-1")
        );
        assert_eq!(
            ensure_bucket(&mut state, "media", "us-east-1", 0),
            Some("eu-west-1")
        );
        assert_eq!(ensure_bucket(&mut state, "Bad_Name", "us-east-1", 0), None);
        assert_eq!(bucket_region(&state, "media"), Some("eu-west-1"));
        let st = serde_json::json!({"Sid": "ivs", "Effect": "Allow",
            "Principal": {"Service": "ivs.amazonaws.com"}, "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::media/*"});
        assert!(add_policy_statement(&mut state, "media", st.clone()));
        assert!(add_policy_statement(&mut state, "media", st));
        assert!(!add_policy_statement(
            &mut state,
            "other",
            serde_json::json!({})
        ));
        let policy = state.s3.buckets["media"].policy.clone().unwrap();
        policy::check(&policy, "media").unwrap();
        let doc: serde_json::Value = serde_json::from_str(&policy).unwrap();
        assert_eq!(doc["Statement"].as_array().unwrap().len(), 1);
    }
}
