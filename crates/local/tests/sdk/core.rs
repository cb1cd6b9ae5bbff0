//! The local endpoint's core: SigV4 verification (Rust SDK, AWS CLI, raw HTTP), state
//! persistence and its refusals, the state-file lock, rate quotas and throttling, seeded
//! fault injection, request ids, body limits and graceful shutdown.

use crate::common;

use std::time::Duration;

use aws_sdk_ivsrealtime::Client;
use aws_sdk_ivsrealtime::error::{ProvideErrorMetadata, SdkError};
use ivstack_local::LocalConfig;

fn client(endpoint: &ivstack_local::LocalEndpoint) -> Client {
    Client::new(&common::sdk_config(endpoint))
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[tokio::test]
async fn unsigned_and_badly_signed_requests_are_rejected() {
    let ep = common::start_local().await;
    let (status, headers, body) = common::raw_http(
        ep.addr(),
        "POST",
        "/ListStages",
        &[("content-type", "application/json")],
        b"{}",
    )
    .await
    .unwrap();
    assert_eq!(status, 403, "{body}");
    assert_eq!(
        header(&headers, "x-amzn-errortype"),
        Some("MissingAuthenticationTokenException")
    );
    assert!(header(&headers, "x-amzn-requestid").is_some());
    assert!(header(&headers, "x-amz-request-id").is_some());

    // A well-formed header with a made-up signature.
    let amz_date = time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .unwrap();
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential=test/{}/us-east-1/ivs/aws4_request, SignedHeaders=host;x-amz-date, Signature={}",
        &amz_date[..8],
        "0".repeat(64)
    );
    let (status, headers, _) = common::raw_http(
        ep.addr(),
        "POST",
        "/ListStages",
        &[("authorization", &auth), ("x-amz-date", &amz_date)],
        b"{}",
    )
    .await
    .unwrap();
    assert_eq!(status, 403);
    assert_eq!(
        header(&headers, "x-amzn-errortype"),
        Some("InvalidSignatureException")
    );

    // Unknown service in the credential scope: a clear 400.
    let auth = auth.replace("/ivs/", "/sqs/");
    let (status, _, body) = common::raw_http(
        ep.addr(),
        "GET",
        "/",
        &[("authorization", &auth), ("x-amz-date", &amz_date)],
        b"",
    )
    .await
    .unwrap();
    assert_eq!(status, 400);
    assert!(body.contains("sqs"), "{body}");

    // Wrong secret and unknown access key through the SDK.
    let bad = Client::new(&common::sdk_config_with_keys(
        ep.url(),
        "us-east-1",
        "test",
        "nope",
    ));
    let err = bad.list_stages().send().await.unwrap_err();
    assert_eq!(err.code(), Some("InvalidSignatureException"));
    assert_eq!(err.raw_response().unwrap().status().as_u16(), 403);
    let unknown = Client::new(&common::sdk_config_with_keys(
        ep.url(),
        "us-east-1",
        "AKIDX",
        "test",
    ));
    let err = unknown.list_stages().send().await.unwrap_err();
    assert_eq!(err.code(), Some("UnrecognizedClientException"));
    assert_eq!(ep.stats().auth_failures, 4);
    ep.shutdown().await.unwrap();
}

/// A CreateStage signed for `signed_body`, sent with `sent_body`; `hash_header` adds
/// `x-amz-content-sha256: <sha256 of the signed body>`, signed or not. (status, headers).
async fn send_signed_create_stage(
    ep: &ivstack_local::LocalEndpoint,
    signed_body: &[u8],
    sent_body: &[u8],
    hash_header: Option<HashHeader>,
) -> (u16, Vec<(String, String)>) {
    use aws_sigv4::http_request::{
        PayloadChecksumKind, SignableBody, SignableRequest, SigningSettings, sign,
    };
    use aws_smithy_runtime_api::client::identity::Identity;
    use sha2::Digest;
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
    if hash_header == Some(HashHeader::Signed) {
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    }
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(common::REGION)
        .name("ivs")
        .time(std::time::SystemTime::now())
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let signable = SignableRequest::new(
        "POST",
        format!("http://{host}/CreateStage"),
        [
            ("host", host.as_str()),
            ("content-type", "application/json"),
        ]
        .into_iter(),
        SignableBody::Bytes(signed_body),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let mut headers: Vec<(String, String)> = instructions
        .headers()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    headers.push(("content-type".into(), "application/json".into()));
    if hash_header == Some(HashHeader::Unsigned) {
        let hash = hex::encode(sha2::Sha256::digest(signed_body));
        headers.push(("x-amz-content-sha256".into(), hash));
    }
    let refs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let (status, headers, _) =
        common::raw_http(ep.addr(), "POST", "/CreateStage", &refs, sent_body)
            .await
            .unwrap();
    (status, headers)
}

/// How `x-amz-content-sha256` accompanies a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HashHeader {
    /// Added after signing, not covered by the signature.
    Unsigned,
    /// Among the signed headers.
    Signed,
}

/// Issue 8, defect 1: the body is what is verified. Someone who swaps the body of a signed
/// request and keeps (or adds) the original's hash in `x-amz-content-sha256` is refused in
/// IVS's error shape, and nothing is created.
#[tokio::test]
async fn a_swapped_body_is_refused_whatever_hash_header_it_carries() {
    let ep = common::start_local().await;
    let original = br#"{"name":"original"}"#;
    let tampered = br#"{"name":"tampered"}"#;
    // The honest request verifies (so the refusals below are about the body only).
    for hash in [None, Some(HashHeader::Unsigned), Some(HashHeader::Signed)] {
        let (status, _) = send_signed_create_stage(&ep, original, original, hash).await;
        assert_eq!(status, 200, "honest request with hash header {hash:?}");
    }
    for hash in [None, Some(HashHeader::Unsigned), Some(HashHeader::Signed)] {
        let (status, headers) = send_signed_create_stage(&ep, original, tampered, hash).await;
        assert_eq!(status, 403, "swapped body with hash header {hash:?}");
        assert_eq!(
            header(&headers, "x-amzn-errortype"),
            Some("InvalidSignatureException"),
            "{hash:?}"
        );
    }
    let names: Vec<String> = client(&ep)
        .list_stages()
        .send()
        .await
        .unwrap()
        .stages()
        .iter()
        .map(|s| s.name().unwrap_or_default().to_string())
        .collect();
    assert_eq!(names, vec!["original"; 3], "no stage named tampered");
    assert_eq!(ep.stats().auth_failures, 3);
    ep.shutdown().await.unwrap();
}

#[tokio::test]
async fn stale_signatures_are_rejected() {
    let ep = common::start_local().await;
    let old = time::OffsetDateTime::now_utc() - time::Duration::hours(1);
    let amz_date = old
        .format(time::macros::format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .unwrap();
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential=test/{}/us-east-1/ivs/aws4_request, SignedHeaders=host;x-amz-date, Signature={}",
        &amz_date[..8],
        "0".repeat(64)
    );
    let (status, headers, body) = common::raw_http(
        ep.addr(),
        "POST",
        "/ListStages",
        &[("authorization", &auth), ("x-amz-date", &amz_date)],
        b"{}",
    )
    .await
    .unwrap();
    assert_eq!(status, 403);
    assert_eq!(
        header(&headers, "x-amzn-errortype"),
        Some("InvalidSignatureException")
    );
    assert!(body.contains("Signature expired"), "{body}");
    ep.shutdown().await.unwrap();
}

#[tokio::test]
async fn configured_credentials_are_the_only_ones_accepted() {
    let ep = common::start_local_with(LocalConfig {
        access_key: "AKIDLOCAL".into(),
        secret_key: "s3cret".into(),
        ..LocalConfig::default()
    })
    .await;
    let good = Client::new(&common::sdk_config_with_keys(
        ep.url(),
        "us-east-1",
        "AKIDLOCAL",
        "s3cret",
    ));
    good.list_stages().send().await.unwrap();
    let default = Client::new(&common::sdk_config(&ep));
    assert_eq!(
        default.list_stages().send().await.unwrap_err().code(),
        Some("UnrecognizedClientException")
    );
    ep.shutdown().await.unwrap();
}

/// The AWS CLI (botocore's signer and its URI-label encoding) verifies, including the
/// percent-encoded ARN in `/tags/{resourceArn}`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_cli_requests_verify() {
    let ep = common::start_local().await;
    let c = client(&ep);
    let arn = c
        .create_stage()
        .name("cli")
        .send()
        .await
        .unwrap()
        .stage()
        .unwrap()
        .arn()
        .to_string();
    let run = |args: Vec<String>| {
        let url = ep.url().to_string();
        async move {
            let out = tokio::process::Command::new("aws")
                .args(&args)
                .args(["--endpoint-url", &url, "--output", "json"])
                .env("AWS_ACCESS_KEY_ID", common::ACCESS_KEY)
                .env("AWS_SECRET_ACCESS_KEY", common::SECRET_KEY)
                .env("AWS_DEFAULT_REGION", common::REGION)
                .env_remove("AWS_PROFILE")
                .output()
                .await
                .expect("run aws");
            assert!(
                out.status.success(),
                "aws {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8_lossy(&out.stdout).into_owned()
        }
    };
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    run(s(&[
        "ivs-realtime",
        "tag-resource",
        "--resource-arn",
        &arn,
        "--tags",
        "k=v,team=x",
    ]))
    .await;
    run(s(&[
        "ivs-realtime",
        "untag-resource",
        "--resource-arn",
        &arn,
        "--tag-keys",
        "team",
    ]))
    .await;
    let out = run(s(&[
        "ivs-realtime",
        "list-tags-for-resource",
        "--resource-arn",
        &arn,
    ]))
    .await;
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["tags"], serde_json::json!({"k": "v"}));
    let out = run(s(&["ivs-realtime", "get-stage", "--arn", &arn])).await;
    assert!(out.contains("\"name\": \"cli\""), "{out}");
    assert_eq!(ep.stats().auth_failures, 0);
    ep.shutdown().await.unwrap();
}

#[tokio::test]
async fn state_persists_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let config = LocalConfig {
        state_file: Some(path.clone()),
        ..LocalConfig::default()
    };
    let ep = common::start_local_with(config.clone()).await;
    let c = client(&ep);
    let arn = c
        .create_stage()
        .name("kept")
        .tags("a", "b")
        .send()
        .await
        .unwrap()
        .stage()
        .unwrap()
        .arn()
        .to_string();
    let token = c
        .create_participant_token()
        .stage_arn(&arn)
        .send()
        .await
        .unwrap()
        .participant_token()
        .unwrap()
        .token()
        .unwrap()
        .to_string();
    // Written after the mutation, before shutdown.
    let on_disk: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(on_disk["format"], "ivstack-local-state");
    ep.shutdown().await.unwrap();

    let ep = common::start_local_with(config).await;
    let c = client(&ep);
    let s = c.get_stage().arn(&arn).send().await.unwrap();
    assert_eq!(s.stage().unwrap().name(), Some("kept"));
    assert_eq!(s.stage().unwrap().tags().unwrap()["a"], "b");
    // The token key survived too, so old tokens still verify.
    let public = ep
        .with_state(|s| s.ivs.token_public_key_pem())
        .unwrap()
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    ivstack_local::services::tokens::verify(&token, &public, now).unwrap();
    ep.shutdown().await.unwrap();
}

#[tokio::test]
async fn bad_state_files_are_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("corrupt.json", "{ not json", "not valid JSON"),
        (
            "foreign.json",
            r#"{"format": "terraform", "version": 1}"#,
            "not an ivstack local state file",
        ),
        (
            "noformat.json",
            r#"{"stages": []}"#,
            "not an ivstack local state file",
        ),
        (
            "newer.json",
            r#"{"format": "ivstack-local-state", "version": 99}"#,
            "newer",
        ),
    ];
    for (name, content, problem) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        let err = ivstack_local::start(LocalConfig {
            state_file: Some(path.clone()),
            ..LocalConfig::default()
        })
        .await
        .err()
        .unwrap_or_else(|| panic!("{name} was accepted"));
        let msg = format!("{err:#}");
        assert!(msg.contains(path.to_str().unwrap()), "{msg}");
        assert!(msg.contains(problem), "{name}: {msg}");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            content,
            "{name} was modified"
        );
    }
}

#[tokio::test]
async fn a_second_endpoint_on_the_same_state_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let config = LocalConfig {
        state_file: Some(path.clone()),
        ..LocalConfig::default()
    };
    let first = common::start_local_with(config.clone()).await;
    let err = ivstack_local::start(config.clone())
        .await
        .err()
        .expect("second start refused");
    let msg = format!("{err:#}");
    assert!(msg.contains("in use by another process"), "{msg}");
    assert!(msg.contains(path.to_str().unwrap()), "{msg}");
    first.shutdown().await.unwrap();
    // Released on shutdown.
    let again = common::start_local_with(config).await;
    again.shutdown().await.unwrap();
}

#[tokio::test]
async fn rate_quotas_throttle_and_the_sdk_retries_through() {
    // At AWS's 5 TPS, a burst of 20 GetStage calls without retries must be throttled. The
    // endpoint's clock stands still, so exactly the 5 of the one-second burst pass.
    let clock = ivstack_local::Clock::manual();
    let ep = common::start_local_with_clock(
        LocalConfig {
            quotas_aws: true,
            ..LocalConfig::default()
        },
        clock.clone(),
    )
    .await;
    let c = client(&ep);
    let arn = c
        .create_stage()
        .send()
        .await
        .unwrap()
        .stage()
        .unwrap()
        .arn()
        .to_string();
    let raw = Client::new(&common::no_retries(&common::sdk_config(&ep)));
    let mut throttled = 0;
    for _ in 0..20 {
        if let Err(e) = raw.get_stage().arn(&arn).send().await {
            assert_eq!(e.code(), Some("ThrottlingException"));
            assert_eq!(e.raw_response().unwrap().status().as_u16(), 429);
            throttled += 1;
        }
    }
    assert!(throttled >= 10, "only {throttled} of 20 throttled");
    assert_eq!(
        throttled, 15,
        "time stands still: only the burst of 5 passes"
    );
    assert_eq!(ep.stats().throttled["ivs:GetStage"], throttled);
    // Tag operations have their own (10 TPS) bucket.
    raw.list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    // A second later the bucket has refilled: 5 more pass.
    clock.advance(Duration::from_secs(1));
    for _ in 0..5 {
        raw.get_stage().arn(&arn).send().await.unwrap();
    }
    assert_eq!(ep.stats().throttled["ivs:GetStage"], throttled);
    ep.shutdown().await.unwrap();

    // With the SDK's default retry policy, a concurrent burst over the quota still completes.
    // The clock stands still until every first attempt is in: 100 pass and 40 are throttled
    // (whatever the machine's speed); the SDK's retry back-off is held until the clock has
    // moved a second, so all 40 retries pass.
    let clock = ivstack_local::Clock::manual();
    let ep = common::start_local_with_clock(
        LocalConfig {
            quotas_aws: true,
            time_scale: 20.0, // 100 TPS
            ..LocalConfig::default()
        },
        clock.clone(),
    )
    .await;
    let (open_gate, gated) = common::GatedSleep::new();
    let c = Client::from_conf(
        aws_sdk_ivsrealtime::config::Builder::from(&common::sdk_config(&ep))
            .sleep_impl(gated)
            .build(),
    );
    let arn = c
        .create_stage()
        .send()
        .await
        .unwrap()
        .stage()
        .unwrap()
        .arn()
        .to_string();
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..140 {
        let (c, arn) = (c.clone(), arn.clone());
        set.spawn(async move { c.get_stage().arn(arn).send().await.map(|_| ()) });
    }
    common::wait_until("all 140 first attempts have arrived", || {
        ep.stats().requests.get("ivs:GetStage") == Some(&140)
    })
    .await;
    assert_eq!(ep.stats().throttled["ivs:GetStage"], 40);
    clock.advance(Duration::from_secs(1));
    open_gate.send(true).unwrap();
    while let Some(r) = set.join_next().await {
        r.unwrap().unwrap();
    }
    let stats = ep.stats();
    assert!(stats.throttled["ivs:GetStage"] > 0, "{stats:?}");
    assert_eq!(
        stats.requests["ivs:GetStage"],
        140 + stats.throttled["ivs:GetStage"]
    );
    assert_eq!(stats.throttled["ivs:GetStage"], 40, "{stats:?}");
    ep.shutdown().await.unwrap();
}

/// Outcome of one call, as a comparable label.
fn outcome<O, E: ProvideErrorMetadata + std::fmt::Debug>(
    r: &Result<O, SdkError<E, aws_smithy_runtime_api::http::Response>>,
) -> String {
    match r {
        Ok(_) => "ok".into(),
        Err(SdkError::ServiceError(e)) => format!("service:{}", e.err().code().unwrap_or("?")),
        Err(SdkError::DispatchFailure(_)) | Err(SdkError::ResponseError(_)) => "dropped".into(),
        Err(other) => format!("other:{other:?}"),
    }
}

#[tokio::test]
async fn faults_are_injected_reproducibly_with_a_seed() {
    async fn run(seed: u64) -> (Vec<String>, ivstack_local::Stats) {
        let ep = common::start_local_with(LocalConfig {
            fault_rate: 0.5,
            seed: Some(seed),
            ..LocalConfig::default()
        })
        .await;
        let c = Client::new(&common::no_retries(&common::sdk_config(&ep)));
        let mut seen = Vec::new();
        for _ in 0..40 {
            seen.push(outcome(&c.list_stages().send().await));
        }
        let stats = ep.stats();
        ep.shutdown().await.unwrap();
        (seen, stats)
    }
    let (a, stats) = run(42).await;
    let (b, _) = run(42).await;
    assert_eq!(a, b);
    for kind in [
        "ok",
        "service:ThrottlingException",
        "service:InternalServerException",
        "dropped",
    ] {
        assert!(a.iter().any(|o| o == kind), "no {kind} in {a:?}");
    }
    assert!(a.iter().all(|o| !o.starts_with("other")), "{a:?}");
    let count = |k: &str| a.iter().filter(|o| *o == k).count() as u64;
    assert_eq!(stats.faults_throttle, count("service:ThrottlingException"));
    assert_eq!(
        stats.faults_internal,
        count("service:InternalServerException")
    );
    assert_eq!(stats.faults_dropped, count("dropped"));
    let (c, _) = run(7).await;
    assert_ne!(a, c, "a different seed gives a different sequence");
}

#[tokio::test]
async fn oversized_bodies_get_413() {
    let ep = common::start_local().await;
    let body = vec![b'a'; ivstack_local::server::MAX_BODY_BYTES + 1];
    let (status, _, _) = common::raw_http(ep.addr(), "POST", "/CreateStage", &[], &body)
        .await
        .unwrap();
    assert_eq!(status, 413);
    ep.shutdown().await.unwrap();
}

#[tokio::test]
async fn shutdown_lets_in_flight_requests_finish() {
    // The request waits out its added latency on the endpoint's clock, which stands still
    // until the test has seen the endpoint stop listening.
    let clock = ivstack_local::Clock::manual();
    let ep = common::start_local_with_clock(
        LocalConfig {
            latency: Duration::from_millis(300),
            ..LocalConfig::default()
        },
        clock.clone(),
    )
    .await;
    let c = client(&ep);
    let url = ep.url().to_string();
    let addr = ep.addr();
    let call = tokio::spawn(async move { c.list_stages().send().await });
    common::wait_until("the request is being delayed", || clock.sleepers() == 1).await;
    // Shut down while it is being delayed; release it once nothing listens any more.
    let release = async {
        loop {
            if tokio::net::TcpStream::connect(addr).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        clock.advance(Duration::from_millis(300));
    };
    let (shutdown, ()) = tokio::join!(ep.shutdown(), release);
    shutdown.unwrap();
    call.await.unwrap().unwrap();
    // And nothing listens any more.
    let after = Client::new(&common::no_retries(&common::sdk_config_for(
        &url,
        "us-east-1",
    )));
    assert!(after.list_stages().send().await.is_err());
}

#[tokio::test]
async fn stats_count_requests_per_operation() {
    let ep = common::start_local().await;
    let c = client(&ep);
    c.list_stages().send().await.unwrap();
    c.list_stages().send().await.unwrap();
    c.create_stage().send().await.unwrap();
    let stats = ep.stats();
    assert_eq!(stats.requests["ivs:ListStages"], 2);
    assert_eq!(stats.requests["ivs:CreateStage"], 1);
    assert_eq!(stats.total_requests(), 3);
    assert_eq!(stats.total_throttled(), 0);
    ep.shutdown().await.unwrap();
}
