//! The local S3 driven by `aws-sdk-s3` (and boto3) over HTTP, path-style: buckets and their
//! Regions, objects with conditional writes (the lock ivstack takes on S3), the checksums
//! and streaming uploads the SDK sends by default, and S3's error documents.

use crate::common;

use aws_sdk_s3::Client;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketLocationConstraint, ChecksumMode, CreateBucketConfiguration};

/// A path-style S3 client for the endpoint, signed for `region`.
fn client_in(endpoint: &ivstack_local::LocalEndpoint, region: &str) -> Client {
    let conf = common::sdk_config_for(endpoint.url(), region);
    Client::from_conf(
        aws_sdk_s3::config::Builder::from(&conf)
            .force_path_style(true)
            .build(),
    )
}

fn client(endpoint: &ivstack_local::LocalEndpoint) -> Client {
    client_in(endpoint, common::REGION)
}

/// The error code of an SDK error (panics if the call succeeded).
fn code<T: std::fmt::Debug, E: ProvideErrorMetadata + std::fmt::Debug>(r: Result<T, E>) -> String {
    let e = r.expect_err("expected an error");
    e.code().unwrap_or("<no code>").to_string()
}

/// Status and body of a failed call's raw response.
fn raw<T: std::fmt::Debug, E: std::fmt::Debug>(
    r: Result<T, aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>>,
) -> (u16, String, Option<String>) {
    let e = r.expect_err("expected an error");
    let resp = e.raw_response().expect("a response");
    let body = resp
        .body()
        .bytes()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .unwrap_or_default();
    let region = resp
        .headers()
        .get("x-amz-bucket-region")
        .map(str::to_string);
    (resp.status().as_u16(), body, region)
}

async fn put(c: &Client, bucket: &str, key: &str, body: &str) -> String {
    c.put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(body.as_bytes().to_vec()))
        .send()
        .await
        .unwrap()
        .e_tag()
        .unwrap()
        .to_string()
}

async fn get(c: &Client, bucket: &str, key: &str) -> String {
    let out = c.get_object().bucket(bucket).key(key).send().await.unwrap();
    let bytes = out.body.collect().await.unwrap().into_bytes();
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[tokio::test]
async fn buckets_live_in_regions() {
    let ep = common::start_local().await;
    let us = client(&ep);
    let eu = client_in(&ep, "eu-west-1");

    // us-east-1 without a configuration; another Region names itself.
    us.create_bucket().bucket("locks").send().await.unwrap();
    let created = eu
        .create_bucket()
        .bucket("media-eu")
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::EuWest1)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(created.location(), Some("/media-eu"));

    let head = us.head_bucket().bucket("locks").send().await.unwrap();
    assert_eq!(head.bucket_region(), Some("us-east-1"));
    let head = eu.head_bucket().bucket("media-eu").send().await.unwrap();
    assert_eq!(head.bucket_region(), Some("eu-west-1"));
    let loc = us
        .get_bucket_location()
        .bucket("locks")
        .send()
        .await
        .unwrap();
    // us-east-1 has no constraint: S3 sends the empty element, which this SDK reads as ""
    // (boto3 as None).
    assert_eq!(loc.location_constraint().map(|c| c.as_str()), Some(""));
    // GetBucketLocation answers from any Region.
    let loc = us
        .get_bucket_location()
        .bucket("media-eu")
        .send()
        .await
        .unwrap();
    assert_eq!(
        loc.location_constraint(),
        Some(&BucketLocationConstraint::EuWest1)
    );
    assert_eq!(
        ivstack_local_region(&ep, "media-eu"),
        Some("eu-west-1".to_string())
    );

    // Addressed in another Region: 301 with the bucket's Region (clients retry there).
    let (status, _, region) = raw(us.head_bucket().bucket("media-eu").send().await);
    assert_eq!(status, 301);
    assert_eq!(region.as_deref(), Some("eu-west-1"));
    let (status, body, region) = raw(us
        .put_object()
        .bucket("media-eu")
        .key("k")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await);
    assert_eq!(status, 301);
    assert_eq!(region.as_deref(), Some("eu-west-1"));
    assert!(body.contains("<Code>PermanentRedirect</Code>"), "{body}");

    // Re-creating: 409 everywhere but in us-east-1, where S3 answers 200 for legacy reasons.
    let again = eu
        .create_bucket()
        .bucket("media-eu")
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::EuWest1)
                .build(),
        )
        .send()
        .await;
    let err = again.expect_err("exists");
    assert!(
        err.as_service_error()
            .unwrap()
            .is_bucket_already_owned_by_you()
    );
    assert_eq!(err.raw_response().unwrap().status().as_u16(), 409);
    us.create_bucket().bucket("locks").send().await.unwrap();

    // A Region other than the one the request is signed for, or none outside us-east-1.
    assert_eq!(
        code(eu.create_bucket().bucket("no-constraint").send().await),
        "IllegalLocationConstraintException"
    );
    let (status, body, _) = raw(us.create_bucket().bucket("Not_Valid").send().await);
    assert_eq!(status, 400);
    assert!(body.contains("<Code>InvalidBucketName</Code>"), "{body}");
    assert!(
        body.contains("<BucketName>Not_Valid</BucketName>"),
        "{body}"
    );

    // A bucket that does not exist: HEAD has no body, so the SDK says NotFound.
    let err = us.head_bucket().bucket("nope").send().await.unwrap_err();
    assert!(err.as_service_error().unwrap().is_not_found());
    assert_eq!(
        code(us.get_bucket_location().bucket("nope").send().await),
        "NoSuchBucket"
    );
    ep.shutdown().await.unwrap();
}

/// The Region the endpoint's state records for a bucket (the API other services use).
fn ivstack_local_region(ep: &ivstack_local::LocalEndpoint, bucket: &str) -> Option<String> {
    ep.with_state(|s| ivstack_local::services::s3::bucket_region(s, bucket).map(str::to_string))
        .unwrap()
}

#[tokio::test]
async fn objects_round_trip_with_md5_etags_and_listing() {
    let ep = common::start_local().await;
    let c = client(&ep);
    c.create_bucket().bucket("bkt").send().await.unwrap();
    let etag = put(&c, "bkt", "dir/a.txt", "hello world").await;
    // S3's ETag of a single-part object: the MD5 of the body, hex, in quotes.
    assert_eq!(etag, "\"5eb63bbbe01eeed093cb22bb8f5acdc3\"");
    put(&c, "bkt", "dir/sub/b.txt", "b").await;
    put(&c, "bkt", "key with spaces+plus", "c").await;
    assert_eq!(get(&c, "bkt", "dir/a.txt").await, "hello world");
    assert_eq!(get(&c, "bkt", "key with spaces+plus").await, "c");

    let head = c
        .head_object()
        .bucket("bkt")
        .key("dir/a.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_length(), Some(11));
    assert_eq!(head.e_tag(), Some(etag.as_str()));
    assert!(head.last_modified().is_some());

    let all = c.list_objects_v2().bucket("bkt").send().await.unwrap();
    let keys: Vec<&str> = all.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["dir/a.txt", "dir/sub/b.txt", "key with spaces+plus"]);
    assert_eq!(all.key_count(), Some(3));
    let dir = c
        .list_objects_v2()
        .bucket("bkt")
        .prefix("dir/")
        .delimiter("/")
        .send()
        .await
        .unwrap();
    let keys: Vec<&str> = dir.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["dir/a.txt"]);
    let prefixes: Vec<&str> = dir
        .common_prefixes()
        .iter()
        .filter_map(|p| p.prefix())
        .collect();
    assert_eq!(prefixes, ["dir/sub/"]);
    // Paging, one key at a time, through continuation tokens.
    let mut seen = Vec::new();
    let mut pages = c
        .list_objects_v2()
        .bucket("bkt")
        .max_keys(1)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.unwrap();
        seen.extend(
            page.contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_string)),
        );
    }
    assert_eq!(seen.len(), 3);

    c.delete_object()
        .bucket("bkt")
        .key("dir/a.txt")
        .send()
        .await
        .unwrap();
    // Deleting what is not there succeeds, as in S3.
    c.delete_object()
        .bucket("bkt")
        .key("dir/a.txt")
        .send()
        .await
        .unwrap();
    let (status, body, _) = raw(c.get_object().bucket("bkt").key("dir/a.txt").send().await);
    assert_eq!(status, 404);
    assert!(body.contains("<Code>NoSuchKey</Code>"), "{body}");
    assert!(body.contains("<Key>dir/a.txt</Key>"), "{body}");
    let err = c
        .head_object()
        .bucket("bkt")
        .key("dir/a.txt")
        .send()
        .await
        .unwrap_err();
    assert!(err.as_service_error().unwrap().is_not_found());
    assert_eq!(
        code(c.get_object().bucket("nope").key("k").send().await),
        "NoSuchBucket"
    );
    ep.shutdown().await.unwrap();
}

/// Two `If-None-Match: *` writes of one key racing: exactly one wins (200) and the other
/// gets 412 PreconditionFailed, whatever the interleaving; the object is the winner's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_if_none_match_puts_have_exactly_one_winner() {
    let ep = common::start_local().await;
    let c = client(&ep);
    c.create_bucket().bucket("locks").send().await.unwrap();
    for round in 0..20 {
        let key = format!("stack-{round}.lock");
        let attempt = |who: &'static str| {
            let c = c.clone();
            let key = key.clone();
            tokio::spawn(async move {
                let r = c
                    .put_object()
                    .bucket("locks")
                    .key(&key)
                    .if_none_match("*")
                    .body(ByteStream::from_static(who.as_bytes()))
                    .send()
                    .await;
                (who, r)
            })
        };
        let (a, b) = (attempt("a"), attempt("b"));
        let results = [a.await.unwrap(), b.await.unwrap()];
        let winners: Vec<&str> = results
            .iter()
            .filter(|(_, r)| r.is_ok())
            .map(|(w, _)| *w)
            .collect();
        assert_eq!(winners.len(), 1, "round {round}: {results:?}");
        let (_, loser) = results.into_iter().find(|(_, r)| r.is_err()).unwrap();
        let (status, body, _) = raw(loser);
        assert_eq!(status, 412);
        assert!(
            body.contains(
                "<Error><Code>PreconditionFailed</Code><Message>At least one of the \
                 pre-conditions you specified did not hold</Message>\
                 <Condition>If-None-Match</Condition>"
            ),
            "{body}"
        );
        assert_eq!(get(&c, "locks", &key).await, winners[0]);
    }
    ep.shutdown().await.unwrap();
}

#[tokio::test]
async fn if_match_with_a_stale_etag_is_refused() {
    let ep = common::start_local().await;
    let c = client(&ep);
    c.create_bucket().bucket("bkt").send().await.unwrap();
    let v1 = put(&c, "bkt", "k", "one").await;
    let v2 = c
        .put_object()
        .bucket("bkt")
        .key("k")
        .if_match(&v1)
        .body(ByteStream::from_static(b"two"))
        .send()
        .await
        .unwrap()
        .e_tag()
        .unwrap()
        .to_string();
    assert_ne!(v1, v2);
    let (status, body, _) = raw(c
        .put_object()
        .bucket("bkt")
        .key("k")
        .if_match(&v1)
        .body(ByteStream::from_static(b"three"))
        .send()
        .await);
    assert_eq!(status, 412);
    assert!(body.contains("<Condition>If-Match</Condition>"), "{body}");
    assert_eq!(get(&c, "bkt", "k").await, "two");
    // If-Match on a key that does not exist: 404.
    assert_eq!(
        code(
            c.put_object()
                .bucket("bkt")
                .key("missing")
                .if_match(&v1)
                .body(ByteStream::from_static(b"x"))
                .send()
                .await
        ),
        "NoSuchKey"
    );
    // A stale ETag never deletes; the current one does.
    assert_eq!(
        code(
            c.delete_object()
                .bucket("bkt")
                .key("k")
                .if_match(&v1)
                .send()
                .await
        ),
        "PreconditionFailed"
    );
    c.delete_object()
        .bucket("bkt")
        .key("k")
        .if_match(&v2)
        .send()
        .await
        .unwrap();
    assert_eq!(
        code(
            c.delete_object()
                .bucket("bkt")
                .key("k")
                .if_match(&v2)
                .send()
                .await
        ),
        "NoSuchKey"
    );
    // Reads honour the conditions too: 412 for If-Match, 304 for If-None-Match.
    let v3 = put(&c, "bkt", "r", "read me").await;
    let (status, _, _) = raw(c
        .get_object()
        .bucket("bkt")
        .key("r")
        .if_match(&v1)
        .send()
        .await);
    assert_eq!(status, 412);
    let (status, body, _) = raw(c
        .get_object()
        .bucket("bkt")
        .key("r")
        .if_none_match(&v3)
        .send()
        .await);
    assert_eq!((status, body.as_str()), (304, ""));
    // Only `If-None-Match: *` exists for writes.
    assert_eq!(
        code(
            c.put_object()
                .bucket("bkt")
                .key("r")
                .if_none_match(&v3)
                .body(ByteStream::from_static(b"x"))
                .send()
                .await
        ),
        "NotImplemented"
    );
    ep.shutdown().await.unwrap();
}

/// What the SDK sends by default: a CRC32 header for in-memory bodies, and for streamed
/// ones (a file) over plain HTTP an `aws-chunked` body with signed chunks and the CRC32 as
/// a signed trailer (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`; aws-sdk-s3 1.157 signs
/// the chunks when the endpoint is not HTTPS). Both are decoded and verified; reads with
/// checksum mode return the checksum, which the SDK checks.
#[tokio::test]
async fn default_checksums_and_streaming_uploads_are_verified() {
    let ep = common::start_local().await;
    let c = client(&ep);
    c.create_bucket().bucket("bkt").send().await.unwrap();
    let out = c
        .put_object()
        .bucket("bkt")
        .key("mem")
        .body(ByteStream::from_static(b"hello world"))
        .send()
        .await
        .unwrap();
    assert_eq!(out.checksum_crc32(), Some("DUoRhQ=="));

    // Record the payload mode of every request this client sends.
    let modes = PayloadModes::default();
    let c = Client::from_conf(c.config().to_builder().interceptor(modes.clone()).build());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.bin");
    let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&path, &data).unwrap();
    let out = c
        .put_object()
        .bucket("bkt")
        .key("file")
        .body(ByteStream::from_path(&path).await.unwrap())
        .send()
        .await
        .unwrap();
    assert!(out.checksum_crc32().is_some());
    assert_eq!(
        modes.take(),
        [(
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER".to_string(),
            Some("aws-chunked".to_string()),
            Some("x-amz-checksum-crc32".to_string())
        )],
        "a file body is streamed aws-chunked, chunks signed, with a signed CRC32 trailer"
    );
    let got = c
        .get_object()
        .bucket("bkt")
        .key("file")
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(got.checksum_crc32(), out.checksum_crc32());
    assert_eq!(
        got.body.collect().await.unwrap().into_bytes().to_vec(),
        data
    );

    // A wrong checksum is refused (the object is left as it was).
    let (status, body, _) = raw(c
        .put_object()
        .bucket("bkt")
        .key("mem")
        .checksum_crc32("AAAAAA==")
        .body(ByteStream::from_static(b"changed"))
        .send()
        .await);
    assert_eq!(status, 400);
    assert!(body.contains("<Code>BadDigest</Code>"), "{body}");
    assert_eq!(get(&c, "bkt", "mem").await, "hello world");
    ep.shutdown().await.unwrap();
}

/// `x-amz-content-sha256`, `content-encoding` and `x-amz-trailer` of one request.
type PayloadMode = (String, Option<String>, Option<String>);

/// Records the [`PayloadMode`] of each request as it goes on the wire.
#[derive(Debug, Clone, Default)]
struct PayloadModes(std::sync::Arc<std::sync::Mutex<Vec<PayloadMode>>>);

impl PayloadModes {
    fn take(&self) -> Vec<PayloadMode> {
        std::mem::take(&mut self.0.lock().unwrap())
    }
}

impl aws_sdk_s3::config::Intercept for PayloadModes {
    fn name(&self) -> &'static str {
        "PayloadModes"
    }

    fn read_before_transmit(
        &self,
        ctx: &aws_sdk_s3::config::interceptors::BeforeTransmitInterceptorContextRef<'_>,
        _: &aws_sdk_s3::config::RuntimeComponents,
        _: &mut aws_sdk_s3::config::ConfigBag,
    ) -> Result<(), aws_sdk_s3::error::BoxError> {
        let h = ctx.request().headers();
        let get = |n: &str| h.get(n).map(str::to_string);
        self.0.lock().unwrap().push((
            get("x-amz-content-sha256").unwrap_or_default(),
            get("content-encoding"),
            get("x-amz-trailer"),
        ));
        Ok(())
    }
}

#[tokio::test]
async fn bucket_policies() {
    let ep = common::start_local().await;
    let c = client(&ep);
    c.create_bucket().bucket("bkt").send().await.unwrap();
    assert_eq!(
        code(c.get_bucket_policy().bucket("bkt").send().await),
        "NoSuchBucketPolicy"
    );
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ivs.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::bkt/*"}]}"#;
    c.put_bucket_policy()
        .bucket("bkt")
        .policy(policy)
        .send()
        .await
        .unwrap();
    let got = c.get_bucket_policy().bucket("bkt").send().await.unwrap();
    assert_eq!(got.policy(), Some(policy));
    let (status, body, _) = raw(c
        .put_bucket_policy()
        .bucket("bkt")
        .policy("{}")
        .send()
        .await);
    assert_eq!(status, 400);
    assert!(body.contains("<Code>MalformedPolicy</Code>"), "{body}");
    ep.shutdown().await.unwrap();
}

#[tokio::test]
async fn signatures_and_unserved_operations() {
    let ep = common::start_local().await;
    let c = client(&ep);
    c.create_bucket().bucket("bkt").send().await.unwrap();
    let bad = Client::from_conf(
        aws_sdk_s3::config::Builder::from(&common::sdk_config_with_keys(
            ep.url(),
            common::REGION,
            common::ACCESS_KEY,
            "wrong-secret",
        ))
        .force_path_style(true)
        .build(),
    );
    let (status, body, _) = raw(bad.head_bucket().bucket("bkt").send().await);
    assert_eq!(status, 403);
    assert!(body.is_empty(), "HEAD has no body");
    let (status, body, _) = raw(bad.get_object().bucket("bkt").key("k").send().await);
    assert_eq!(status, 403);
    assert!(
        body.contains("<Code>SignatureDoesNotMatch</Code>"),
        "{body}"
    );

    // An operation of the model this endpoint does not serve: 501, never another's answer.
    put(&c, "bkt", "k", "v").await;
    let (status, body, _) = raw(c.get_object_acl().bucket("bkt").key("k").send().await);
    assert_eq!(status, 501);
    assert!(body.contains("<Code>NotImplemented</Code>"), "{body}");
    ep.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_conditional_writes() {
    let ep = common::start_local().await;
    let out = common::run_boto3("s3.py", ep.url(), &[]).await;
    common::assert_script_ok("s3.py", &out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("ALL OK"), "{stdout}");
    ep.shutdown().await.unwrap();
}

/// A PUT of `path` signed by hand with S3's rules: `payload` is what the signature covers
/// (`x-amz-content-sha256` carries it when `hash_header`), `body` what is sent.
async fn signed_put(
    ep: &ivstack_local::LocalEndpoint,
    path: &str,
    payload: aws_sigv4::http_request::SignableBody<'_>,
    hash_header: bool,
    body: &[u8],
) -> (u16, String) {
    use aws_sigv4::http_request::{
        PayloadChecksumKind, PercentEncodingMode, SignableRequest, SigningSettings,
        UriPathNormalizationMode, sign,
    };
    use aws_smithy_runtime_api::client::identity::Identity;
    let host = ep.addr().to_string();
    let identity: Identity = aws_credential_types::Credentials::new(
        common::ACCESS_KEY,
        common::SECRET_KEY,
        None,
        None,
        "test",
    )
    .into();
    let mut settings = SigningSettings::default();
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    if hash_header {
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    }
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(common::REGION)
        .name("s3")
        .time(std::time::SystemTime::now())
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let signable = SignableRequest::new(
        "PUT",
        format!("http://{host}{path}"),
        [("host", host.as_str())].into_iter(),
        payload,
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let headers: Vec<(String, String)> = instructions
        .headers()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let refs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let (status, _, body) = common::raw_http(ep.addr(), "PUT", path, &refs, body)
        .await
        .unwrap();
    (status, body)
}

/// S3's SigV4: `UNSIGNED-PAYLOAD` is accepted when signed; a body swapped under a signed
/// hash is refused; the hash header is required; SigV4a streaming is refused clearly.
#[tokio::test]
async fn s3_signing_rules() {
    use aws_sigv4::http_request::SignableBody;
    let ep = common::start_local().await;
    let c = client(&ep);
    c.create_bucket().bucket("bkt").send().await.unwrap();

    let (status, body) = signed_put(
        &ep,
        "/bkt/unsigned",
        SignableBody::UnsignedPayload,
        true,
        b"hello",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(get(&c, "bkt", "unsigned").await, "hello");

    let (status, body) = signed_put(
        &ep,
        "/bkt/signed",
        SignableBody::Bytes(b"original"),
        true,
        b"tampered",
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body.contains("<Code>SignatureDoesNotMatch</Code>"),
        "{body}"
    );
    assert_eq!(
        code(c.get_object().bucket("bkt").key("signed").send().await),
        "NoSuchKey"
    );

    let (status, body) =
        signed_put(&ep, "/bkt/nohash", SignableBody::Bytes(b"x"), false, b"x").await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body.contains("Missing required header for this request: x-amz-content-sha256"),
        "{body}"
    );

    let sigv4a = SignableBody::Precomputed("STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD".into());
    let (status, body) = signed_put(&ep, "/bkt/chunks", sigv4a, true, b"0\r\n\r\n").await;
    assert_eq!(status, 501, "{body}");
    assert!(
        body.contains("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"),
        "{body}"
    );
    ep.shutdown().await.unwrap();
}

/// A signed `aws-chunked` upload built by hand, with the signer the SDK uses
/// (`aws_sigv4`: the request's seed signature, then `sign_chunk` / `sign_trailer`), kept in
/// pieces so that a test can break it on the wire.
#[derive(Clone)]
struct ChunkedUpload {
    headers: Vec<(String, String)>,
    /// Each data chunk as framed: `<hex size>;chunk-signature=<sig>\r\n<data>\r\n`.
    chunks: Vec<Vec<u8>>,
    /// `0;chunk-signature=<sig>\r\n`.
    last: Vec<u8>,
    /// The trailer lines, `x-amz-trailer-signature:<sig>`, and the empty line.
    trailer: Vec<u8>,
}

impl ChunkedUpload {
    /// PUT `path` with `data` in one chunk per slice; `trailers` (name, value) make it
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`, none `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`.
    /// `x-amz-decoded-content-length` is `decoded_length`, else the data's length.
    fn new(
        ep: &ivstack_local::LocalEndpoint,
        path: &str,
        data: &[&[u8]],
        trailers: &[(&str, &str)],
        decoded_length: Option<usize>,
    ) -> ChunkedUpload {
        use aws_sigv4::http_request::{
            PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest,
            SigningSettings, UriPathNormalizationMode, sign,
        };
        use aws_sigv4::sign::v4;
        use aws_smithy_runtime_api::client::identity::Identity;
        let host = ep.addr().to_string();
        let identity: Identity = aws_credential_types::Credentials::new(
            common::ACCESS_KEY,
            common::SECRET_KEY,
            None,
            None,
            "test",
        )
        .into();
        let time = std::time::SystemTime::now();
        let mut settings = SigningSettings::default();
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(common::REGION)
            .name("s3")
            .time(time)
            .settings(settings)
            .build()
            .unwrap()
            .into();
        let decoded = decoded_length
            .unwrap_or_else(|| data.iter().map(|d| d.len()).sum())
            .to_string();
        let names: Vec<&str> = trailers.iter().map(|(n, _)| *n).collect();
        let names = names.join(",");
        let mut headers = vec![
            ("host", host.as_str()),
            ("content-encoding", "aws-chunked"),
            ("x-amz-decoded-content-length", decoded.as_str()),
        ];
        let mode = if trailers.is_empty() {
            SignableBody::Precomputed("STREAMING-AWS4-HMAC-SHA256-PAYLOAD".into())
        } else {
            headers.push(("x-amz-trailer", names.as_str()));
            SignableBody::StreamingSignedPayloadTrailer
        };
        let signable = SignableRequest::new(
            "PUT",
            format!("http://{host}{path}"),
            headers.iter().copied(),
            mode,
        )
        .unwrap();
        let (instructions, seed) = sign(signable, &params).unwrap().into_parts();
        let mut sent: Vec<(String, String)> = headers
            .iter()
            .filter(|(k, _)| *k != "host")
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        sent.extend(
            instructions
                .headers()
                .map(|(k, v)| (k.to_string(), v.to_string())),
        );

        let chain = v4::SigningParams::builder()
            .identity(&identity)
            .region(common::REGION)
            .name("s3")
            .time(time)
            .settings(())
            .build()
            .unwrap();
        let mut previous = seed;
        let mut sign_next = |bytes: &[u8]| {
            let bytes = bytes::Bytes::copy_from_slice(bytes);
            previous = v4::sign_chunk(&bytes, &previous, &chain)
                .unwrap()
                .into_parts()
                .1;
            previous.clone()
        };
        let chunks = data
            .iter()
            .map(|d| {
                let mut c =
                    format!("{:X};chunk-signature={}\r\n", d.len(), sign_next(d)).into_bytes();
                c.extend_from_slice(d);
                c.extend_from_slice(b"\r\n");
                c
            })
            .collect();
        let last = format!("0;chunk-signature={}\r\n", sign_next(b"")).into_bytes();
        let mut trailer = String::new();
        if !trailers.is_empty() {
            let mut signed = aws_smithy_runtime_api::http::Headers::new();
            for (name, value) in trailers {
                signed.insert(name.to_string(), value.to_string());
                trailer.push_str(&format!("{name}:{value}\r\n"));
            }
            let (_, signature) = v4::sign_trailer(&signed, &previous, &chain)
                .unwrap()
                .into_parts();
            trailer.push_str(&format!("x-amz-trailer-signature:{signature}\r\n"));
        }
        trailer.push_str("\r\n");
        ChunkedUpload {
            headers: sent,
            chunks,
            last,
            trailer: trailer.into_bytes(),
        }
    }

    fn body(&self) -> Vec<u8> {
        let mut b = self.chunks.concat();
        b.extend_from_slice(&self.last);
        b.extend_from_slice(&self.trailer);
        b
    }

    /// Send `body` (this upload's, or a broken one) with this upload's headers.
    async fn send(
        &self,
        ep: &ivstack_local::LocalEndpoint,
        path: &str,
        body: &[u8],
    ) -> (u16, Vec<(String, String)>, String) {
        let refs: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        common::raw_http(ep.addr(), "PUT", path, &refs, body)
            .await
            .unwrap()
    }
}

/// CRC32 of `data`, base64, as `x-amz-checksum-crc32` carries it.
fn crc32(data: &[u8]) -> String {
    use base64::Engine as _;
    let crc = crc_fast::checksum(crc_fast::CrcAlgorithm::Crc32IsoHdlc, data) as u32;
    base64::engine::general_purpose::STANDARD.encode(crc.to_be_bytes())
}

/// Signed chunks are checked link by link: an honest upload is stored; a changed,
/// reordered or re-signed chunk, a body cut short, a swapped trailer signature, a wrong
/// CRC32 under a good signature or a wrong decoded length are each refused with S3's code,
/// and the object keeps its previous content.
#[tokio::test]
async fn signed_chunks_and_trailers_are_verified() {
    let ep = common::start_local().await;
    let c = client(&ep);
    c.create_bucket().bucket("bkt").send().await.unwrap();
    let path = "/bkt/obj";
    let (a, b) = (vec![b'a'; 8192], vec![b'b'; 100]);
    let whole = [&a[..], &b[..]].concat();
    let crc = crc32(&whole);

    // Honest, with a checksum trailer; then without trailers.
    let up = ChunkedUpload::new(
        &ep,
        path,
        &[&a, &b],
        &[("x-amz-checksum-crc32", &crc)],
        None,
    );
    let (status, headers, body) = up.send(&ep, path, &up.body()).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        headers.contains(&("x-amz-checksum-crc32".to_string(), crc.clone())),
        "{headers:?}"
    );
    assert_eq!(get(&c, "bkt", "obj").await.as_bytes(), whole);
    let up = ChunkedUpload::new(&ep, "/bkt/plain", &[b"hello"], &[], None);
    let (status, _, body) = up.send(&ep, "/bkt/plain", &up.body()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(get(&c, "bkt", "plain").await, "hello");

    // From here on each upload would replace `obj` with other data.
    let (x, y) = (vec![b'x'; 8192], vec![b'y'; 100]);
    let other_crc = crc32(&[&x[..], &y[..]].concat());
    let fresh = |trailer_crc: &str, decoded: Option<usize>| {
        ChunkedUpload::new(
            &ep,
            path,
            &[&x, &y],
            &[("x-amz-checksum-crc32", trailer_crc)],
            decoded,
        )
    };
    let mut refused: Vec<(&str, Vec<u8>, ChunkedUpload, u16, &str)> = Vec::new();

    let up = fresh(&other_crc, None);
    let mut body = up.body();
    let at = up.chunks[0].len() + up.chunks[1].len() - 10; // in the second chunk's data
    body[at] ^= 1;
    refused.push(("a changed byte", body, up, 403, "SignatureDoesNotMatch"));

    let up = fresh(&other_crc, None);
    let mut swapped = up.clone();
    swapped.chunks.swap(0, 1);
    refused.push((
        "reordered chunks",
        swapped.body(),
        up,
        403,
        "SignatureDoesNotMatch",
    ));

    let up = fresh(&other_crc, None);
    let mut pieces = up.clone();
    let sig_at = pieces.chunks[0].iter().position(|&c| c == b'=').unwrap() + 1;
    pieces.chunks[0][sig_at..sig_at + 64].copy_from_slice(&[b'0'; 64]);
    refused.push((
        "a wrong chunk signature",
        pieces.body(),
        up,
        403,
        "SignatureDoesNotMatch",
    ));

    let up = fresh(&other_crc, None);
    let mut body = up.body();
    body.truncate(up.chunks[0].len() + up.chunks[1].len() - 20); // in the second chunk's data
    refused.push(("a body cut short", body, up, 400, "IncompleteBody"));

    let up = fresh(&other_crc, None);
    let mut pieces = up.clone();
    let trailer = String::from_utf8(pieces.trailer.clone()).unwrap();
    let (lines, signature) = trailer.split_once("x-amz-trailer-signature:").unwrap();
    // Another digit first: still 64 hex digits, no longer the signature.
    let other = if signature.starts_with('0') { '1' } else { '0' };
    pieces.trailer =
        format!("{lines}x-amz-trailer-signature:{other}{}", &signature[1..]).into_bytes();
    refused.push((
        "a wrong trailer signature",
        pieces.body(),
        up,
        403,
        "SignatureDoesNotMatch",
    ));

    // Signed correctly, but not the data's checksum / length.
    let up = fresh(&crc, None);
    refused.push(("a wrong CRC32", up.body(), up, 400, "BadDigest"));
    let up = fresh(&other_crc, Some(8000));
    refused.push((
        "a wrong decoded length",
        up.body(),
        up,
        400,
        "IncompleteBody",
    ));

    for (what, body, up, status, code) in refused {
        let (got, _, answer) = up.send(&ep, path, &body).await;
        assert_eq!(got, status, "{what}: {answer}");
        assert!(
            answer.contains(&format!("<Code>{code}</Code>")),
            "{what}: {answer}"
        );
        assert_eq!(get(&c, "bkt", "obj").await.as_bytes(), whole, "{what}");
    }
    ep.shutdown().await.unwrap();
}
