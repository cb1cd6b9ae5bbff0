//! The local IVS Real-Time emulator driven by `aws-sdk-ivsrealtime` (and boto3) over HTTP:
//! every implemented operation and every modeled constraint.

use crate::common;

use std::collections::HashMap;

use aws_sdk_ivsrealtime::Client;
use aws_sdk_ivsrealtime::error::ProvideErrorMetadata;
use aws_sdk_ivsrealtime::types::{
    AutoParticipantRecordingConfiguration, ParticipantRecordingHlsConfiguration,
    ParticipantRecordingMediaType, ParticipantThumbnailConfiguration, ParticipantTokenCapability,
    ParticipantTokenConfiguration, S3StorageConfiguration, ThumbnailRecordingMode,
    ThumbnailStorageType,
};
use ivstack_local::LocalConfig;
use ivstack_local::services::tokens;

/// A storage configuration (and its bucket) for stages to record to: AWS requires it to
/// exist in the stage's Region before a stage names it.
async fn storage_arn(ep: &ivstack_local::LocalEndpoint, c: &Client) -> String {
    common::create_bucket(ep, common::REGION, "recordings").await;
    c.create_storage_configuration()
        .s3(S3StorageConfiguration::builder()
            .bucket_name("recordings")
            .build()
            .unwrap())
        .send()
        .await
        .unwrap()
        .storage_configuration()
        .unwrap()
        .arn()
        .to_string()
}

fn client(endpoint: &ivstack_local::LocalEndpoint) -> Client {
    Client::new(&common::sdk_config(endpoint))
}

/// The error code of an SDK error (panics if the call succeeded).
fn code<T: std::fmt::Debug, E: ProvideErrorMetadata + std::fmt::Debug>(r: Result<T, E>) -> String {
    let e = r.expect_err("expected an error");
    e.code().unwrap_or("<no code>").to_string()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test]
async fn create_get_update_delete_stage() {
    let ep = common::start_local().await;
    let c = client(&ep);
    let storage = storage_arn(&ep, &c).await;
    let created = c
        .create_stage()
        .name("show-1")
        .tags("team", "live")
        .send()
        .await
        .unwrap();
    let stage = created.stage().unwrap();
    let arn = stage.arn().to_string();
    let id = arn.rsplit('/').next().unwrap();
    assert!(arn.starts_with("arn:aws:ivs:us-east-1:123456789012:stage/"));
    assert_eq!(id.len(), 12);
    assert!(id.chars().all(|c| c.is_ascii_alphanumeric()));
    assert_eq!(stage.name(), Some("show-1"));
    assert_eq!(stage.tags().unwrap()["team"], "live");
    assert!(created.participant_tokens().is_empty());
    assert!(stage.active_session_id().is_none());

    // GetStage echoes the AWS defaults of a stage without recording, and endpoints.
    let got = c.get_stage().arn(&arn).send().await.unwrap();
    let s = got.stage().unwrap();
    let rec = s.auto_participant_recording_configuration().unwrap();
    assert_eq!(rec.storage_configuration_arn(), "");
    assert_eq!(
        rec.media_types(),
        &[ParticipantRecordingMediaType::AudioVideo]
    );
    let thumb = rec.thumbnail_configuration().unwrap();
    assert_eq!(thumb.target_interval_seconds(), Some(60));
    assert_eq!(thumb.storage(), &[ThumbnailStorageType::Sequential]);
    assert_eq!(
        thumb.recording_mode(),
        Some(&ThumbnailRecordingMode::Disabled)
    );
    assert_eq!(rec.recording_reconnect_window_seconds(), 0);
    assert_eq!(
        rec.hls_configuration()
            .unwrap()
            .target_segment_duration_seconds(),
        Some(6)
    );
    assert!(rec.record_participant_replicas());
    let e = s.endpoints().unwrap();
    assert_eq!(e.events(), Some("wss://global.events.live-video.net"));
    assert!(e.whip().unwrap().starts_with("https://"));
    assert!(e.rtmp().unwrap().starts_with("rtmp://"));
    assert!(e.rtmps().unwrap().starts_with("rtmps://"));

    // UpdateStage: name only leaves recording unchanged.
    let up = c
        .update_stage()
        .arn(&arn)
        .name("show-renamed")
        .send()
        .await
        .unwrap();
    assert_eq!(up.stage().unwrap().name(), Some("show-renamed"));
    assert_eq!(
        up.stage()
            .unwrap()
            .auto_participant_recording_configuration()
            .unwrap(),
        rec
    );

    // Enable recording with a partial struct: AWS defaults fill the rest.
    let cfg = AutoParticipantRecordingConfiguration::builder()
        .storage_configuration_arn(&storage)
        .media_types(ParticipantRecordingMediaType::AudioOnly)
        .thumbnail_configuration(
            ParticipantThumbnailConfiguration::builder()
                .recording_mode(ThumbnailRecordingMode::Interval)
                .target_interval_seconds(30)
                .build(),
        )
        .recording_reconnect_window_seconds(60)
        .build()
        .unwrap();
    let up = c
        .update_stage()
        .arn(&arn)
        .auto_participant_recording_configuration(cfg)
        .send()
        .await
        .unwrap();
    let rec = up
        .stage()
        .unwrap()
        .auto_participant_recording_configuration()
        .unwrap()
        .clone();
    assert_eq!(rec.storage_configuration_arn(), storage);
    assert_eq!(
        rec.media_types(),
        &[ParticipantRecordingMediaType::AudioOnly]
    );
    assert_eq!(
        rec.thumbnail_configuration()
            .unwrap()
            .target_interval_seconds(),
        Some(30)
    );
    assert_eq!(
        rec.thumbnail_configuration().unwrap().storage(),
        &[ThumbnailStorageType::Sequential]
    );
    assert_eq!(rec.recording_reconnect_window_seconds(), 60);
    assert_eq!(
        rec.hls_configuration()
            .unwrap()
            .target_segment_duration_seconds(),
        Some(6)
    );
    assert_eq!(up.stage().unwrap().name(), Some("show-renamed"));

    // storageConfigurationArn "" disables and resets every other field.
    let off = AutoParticipantRecordingConfiguration::builder()
        .storage_configuration_arn("")
        .recording_reconnect_window_seconds(100)
        .build()
        .unwrap();
    let up = c
        .update_stage()
        .arn(&arn)
        .auto_participant_recording_configuration(off)
        .send()
        .await
        .unwrap();
    let rec = up
        .stage()
        .unwrap()
        .auto_participant_recording_configuration()
        .unwrap();
    assert_eq!(rec.storage_configuration_arn(), "");
    assert_eq!(rec.recording_reconnect_window_seconds(), 0);
    assert_eq!(
        rec.media_types(),
        &[ParticipantRecordingMediaType::AudioVideo]
    );

    c.delete_stage().arn(&arn).send().await.unwrap();
    assert_eq!(
        code(c.get_stage().arn(&arn).send().await),
        "ResourceNotFoundException"
    );
    assert_eq!(
        code(c.delete_stage().arn(&arn).send().await),
        "ResourceNotFoundException"
    );
    assert_eq!(
        code(c.update_stage().arn(&arn).name("x").send().await),
        "ResourceNotFoundException"
    );
    ep.shutdown().await.unwrap();
}

#[tokio::test]
async fn create_stage_with_recording_and_tokens() {
    let ep = common::start_local().await;
    let c = client(&ep);
    let storage = storage_arn(&ep, &c).await;
    let cfg = AutoParticipantRecordingConfiguration::builder()
        .storage_configuration_arn(&storage)
        .hls_configuration(
            ParticipantRecordingHlsConfiguration::builder()
                .target_segment_duration_seconds(4)
                .build(),
        )
        .build()
        .unwrap();
    let out = c
        .create_stage()
        .name("with-tokens")
        .auto_participant_recording_configuration(cfg)
        .participant_token_configurations(
            ParticipantTokenConfiguration::builder()
                .user_id("alice")
                .duration(60)
                .capabilities(ParticipantTokenCapability::Publish)
                .attributes("role", "host")
                .build(),
        )
        .participant_token_configurations(ParticipantTokenConfiguration::builder().build())
        .send()
        .await
        .unwrap();
    let stage = out.stage().unwrap();
    let rec = stage.auto_participant_recording_configuration().unwrap();
    assert_eq!(rec.storage_configuration_arn(), storage);
    assert_eq!(
        rec.hls_configuration()
            .unwrap()
            .target_segment_duration_seconds(),
        Some(4)
    );
    let tokens_out = out.participant_tokens();
    assert_eq!(tokens_out.len(), 2);
    assert_eq!(tokens_out[0].user_id(), Some("alice"));
    assert_eq!(tokens_out[0].duration(), Some(60));
    assert_eq!(
        tokens_out[0].capabilities(),
        &[ParticipantTokenCapability::Publish]
    );
    assert_eq!(tokens_out[1].duration(), Some(720));
    assert_eq!(tokens_out[1].capabilities().len(), 2);

    let public = ep
        .with_state(|s| s.ivs.token_public_key_pem())
        .unwrap()
        .expect("a token key exists after minting");
    let claims = tokens::verify(tokens_out[0].token().unwrap(), &public, now()).unwrap();
    assert_eq!(claims.resource, stage.arn());
    assert_eq!(claims.topic, stage.arn().rsplit('/').next().unwrap());
    assert_eq!(claims.jti, tokens_out[0].participant_id().unwrap());
    assert_eq!(claims.user_id.as_deref(), Some("alice"));
    assert_eq!(claims.attributes["role"], "host");
    assert!(claims.capabilities.allow_publish && !claims.capabilities.allow_subscribe);
    assert_eq!(claims.exp - claims.iat, 60 * 60);
    assert_eq!(claims.version, "1.0");
    assert_eq!(
        claims.events_url,
        stage.endpoints().unwrap().events().unwrap()
    );
    assert_eq!(claims.whip_url, stage.endpoints().unwrap().whip().unwrap());
    let exp = tokens_out[0].expiration_time().unwrap();
    assert_eq!(exp.secs(), claims.exp);
    ep.shutdown().await.unwrap();
}

#[tokio::test]
async fn create_participant_token() {
    let ep = common::start_local().await;
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
    let t = c
        .create_participant_token()
        .stage_arn(&arn)
        .user_id("bob")
        .duration(20_160)
        .capabilities(ParticipantTokenCapability::Subscribe)
        .send()
        .await
        .unwrap();
    let pt = t.participant_token().unwrap();
    assert_eq!(pt.participant_id().unwrap().len(), 12);
    let public = ep
        .with_state(|s| s.ivs.token_public_key_pem())
        .unwrap()
        .unwrap();
    let claims = tokens::verify(pt.token().unwrap(), &public, now()).unwrap();
    assert!(!claims.capabilities.allow_publish && claims.capabilities.allow_subscribe);
    assert_eq!(claims.exp - claims.iat, 20_160 * 60);
    // Expired once its duration has passed.
    assert!(tokens::verify(pt.token().unwrap(), &public, claims.exp).is_err());

    for d in [0, 20_161] {
        assert_eq!(
            code(
                c.create_participant_token()
                    .stage_arn(&arn)
                    .duration(d)
                    .send()
                    .await
            ),
            "ValidationException",
            "duration {d}"
        );
    }
    assert_eq!(
        code(
            c.create_participant_token()
                .stage_arn(&arn)
                .user_id("u".repeat(129))
                .send()
                .await
        ),
        "ValidationException"
    );
    assert_eq!(
        code(
            c.create_participant_token()
                .stage_arn(&arn)
                .capabilities(ParticipantTokenCapability::from("ADMIN"))
                .send()
                .await
        ),
        "ValidationException"
    );
    assert_eq!(
        code(
            c.create_participant_token()
                .stage_arn(&arn)
                .attributes("big", "x".repeat(1100))
                .send()
                .await
        ),
        "ValidationException"
    );
    let missing = "arn:aws:ivs:us-east-1:123456789012:stage/zzzzzzzzzzzz";
    assert_eq!(
        code(c.create_participant_token().stage_arn(missing).send().await),
        "ResourceNotFoundException"
    );
    assert_eq!(
        code(
            c.create_participant_token()
                .stage_arn("not-an-arn")
                .send()
                .await
        ),
        "ValidationException"
    );
    ep.shutdown().await.unwrap();
}

#[tokio::test]
async fn create_stage_validation() {
    let ep = common::start_local().await;
    let c = client(&ep);
    let storage = storage_arn(&ep, &c).await;
    assert_eq!(
        code(c.create_stage().name("bad name!").send().await),
        "ValidationException"
    );
    assert_eq!(
        code(c.create_stage().name("a".repeat(129)).send().await),
        "ValidationException"
    );
    c.create_stage().name("a".repeat(128)).send().await.unwrap();
    c.create_stage().name("").send().await.unwrap();

    let mut tags = HashMap::new();
    for i in 0..51 {
        tags.insert(format!("k{i}"), "v".to_string());
    }
    assert_eq!(
        code(c.create_stage().set_tags(Some(tags)).send().await),
        "ValidationException"
    );
    assert_eq!(
        code(c.create_stage().tags("k".repeat(129), "v").send().await),
        "ValidationException"
    );
    assert_eq!(
        code(c.create_stage().tags("", "v").send().await),
        "ValidationException"
    );
    assert_eq!(
        code(c.create_stage().tags("k", "v".repeat(257)).send().await),
        "ValidationException"
    );
    c.create_stage()
        .tags("k".repeat(128), "v".repeat(256))
        .send()
        .await
        .unwrap();

    let mut b = c.create_stage();
    for _ in 0..13 {
        b = b.participant_token_configurations(ParticipantTokenConfiguration::builder().build());
    }
    assert_eq!(code(b.send().await), "ValidationException");
    let mut b = c.create_stage();
    for _ in 0..12 {
        b = b.participant_token_configurations(ParticipantTokenConfiguration::builder().build());
    }
    assert_eq!(b.send().await.unwrap().participant_tokens().len(), 12);

    let bad = |arn: &str| {
        AutoParticipantRecordingConfiguration::builder()
            .storage_configuration_arn(arn)
            .build()
            .unwrap()
    };
    assert_eq!(
        code(
            c.create_stage()
                .auto_participant_recording_configuration(bad("arn:aws:ivs:us-east-1:1:stage/abc"))
                .send()
                .await
        ),
        "ValidationException"
    );
    let out_of_range = AutoParticipantRecordingConfiguration::builder()
        .storage_configuration_arn(&storage)
        .recording_reconnect_window_seconds(301)
        .build()
        .unwrap();
    assert_eq!(
        code(
            c.create_stage()
                .auto_participant_recording_configuration(out_of_range)
                .send()
                .await
        ),
        "ValidationException"
    );
    let hls = AutoParticipantRecordingConfiguration::builder()
        .storage_configuration_arn(&storage)
        .hls_configuration(
            ParticipantRecordingHlsConfiguration::builder()
                .target_segment_duration_seconds(11)
                .build(),
        )
        .build()
        .unwrap();
    assert_eq!(
        code(
            c.create_stage()
                .auto_participant_recording_configuration(hls)
                .send()
                .await
        ),
        "ValidationException"
    );
    let err = c.create_stage().name("bad name!").send().await.unwrap_err();
    assert!(err.message().unwrap().contains("name"), "{err:?}");
    ep.shutdown().await.unwrap();
}

#[tokio::test]
async fn get_stage_errors() {
    let ep = common::start_local().await;
    let c = client(&ep);
    assert_eq!(
        code(c.get_stage().arn("nope").send().await),
        "ValidationException"
    );
    assert_eq!(
        code(
            c.get_stage()
                .arn("arn:aws:ivs:us-east-1:123456789012:stage/AAAAAAAAAAAA")
                .send()
                .await
        ),
        "ResourceNotFoundException"
    );
    // A stage from another region is not visible here.
    let west = Client::new(&common::sdk_config_for(ep.url(), "us-west-2"));
    let arn = west
        .create_stage()
        .send()
        .await
        .unwrap()
        .stage()
        .unwrap()
        .arn()
        .to_string();
    assert!(arn.contains(":us-west-2:"));
    assert_eq!(
        code(c.get_stage().arn(&arn).send().await),
        "ResourceNotFoundException"
    );
    west.get_stage().arn(&arn).send().await.unwrap();
    ep.shutdown().await.unwrap();
}

#[tokio::test]
async fn list_stages_paginates_with_the_sdk_paginator() {
    let ep = common::start_local().await;
    let c = client(&ep);
    let mut arns = Vec::new();
    for i in 0..23 {
        let s = c
            .create_stage()
            .name(format!("s{i}"))
            .tags("n", i.to_string())
            .send()
            .await
            .unwrap();
        arns.push(s.stage().unwrap().arn().to_string());
    }
    let pages: Vec<_> = c
        .list_stages()
        .into_paginator()
        .page_size(10)
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    assert_eq!(pages.len(), 3);
    assert_eq!(pages[0].stages().len(), 10);
    assert_eq!(pages[2].stages().len(), 3);
    assert!(pages[2].next_token().is_none());
    let mut listed: Vec<String> = pages
        .iter()
        .flat_map(|p| p.stages().iter().map(|s| s.arn().to_string()))
        .collect();
    // Summaries carry tags and names.
    let first = &pages[0].stages()[0];
    assert!(first.tags().unwrap().contains_key("n"));
    assert!(first.name().unwrap().starts_with('s'));
    listed.sort();
    arns.sort();
    assert_eq!(listed, arns);

    // Default page size 50.
    let all = c.list_stages().send().await.unwrap();
    assert_eq!(all.stages().len(), 23);
    assert!(all.next_token().is_none());

    for bad in [0, 101] {
        assert_eq!(
            code(c.list_stages().max_results(bad).send().await),
            "ValidationException"
        );
    }
    c.list_stages().max_results(100).send().await.unwrap();
    assert_eq!(
        code(c.list_stages().next_token("garbage-token").send().await),
        "ValidationException"
    );
    ep.shutdown().await.unwrap();
}

#[tokio::test]
async fn tags_operations() {
    let ep = common::start_local().await;
    let c = client(&ep);
    let arn = c
        .create_stage()
        .tags("a", "1")
        .send()
        .await
        .unwrap()
        .stage()
        .unwrap()
        .arn()
        .to_string();
    c.tag_resource()
        .resource_arn(&arn)
        .tags("b", "2")
        .tags("a", "10")
        .send()
        .await
        .unwrap();
    let tags = c
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags().len(), 2);
    assert_eq!(tags.tags()["a"], "10");
    c.untag_resource()
        .resource_arn(&arn)
        .tag_keys("a")
        .tag_keys("missing")
        .send()
        .await
        .unwrap();
    let tags = c
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags().len(), 1);
    assert_eq!(tags.tags()["b"], "2");
    // GetStage reflects the same tags.
    let s = c.get_stage().arn(&arn).send().await.unwrap();
    assert_eq!(s.stage().unwrap().tags().unwrap().len(), 1);

    assert_eq!(
        code(
            c.tag_resource()
                .resource_arn(&arn)
                .tags("aws:reserved", "x")
                .send()
                .await
        ),
        "ValidationException"
    );
    assert_eq!(
        code(
            c.tag_resource()
                .resource_arn(&arn)
                .tags("k", "v".repeat(257))
                .send()
                .await
        ),
        "ValidationException"
    );
    let mut b = c.tag_resource().resource_arn(&arn);
    for i in 0..50 {
        b = b.tags(format!("k{i}"), "v");
    }
    // 50 new + 1 existing = 51 > 50.
    assert_eq!(code(b.send().await), "ValidationException");

    let missing = "arn:aws:ivs:us-east-1:123456789012:stage/ZZZZZZZZZZZZ";
    assert_eq!(
        code(
            c.list_tags_for_resource()
                .resource_arn(missing)
                .send()
                .await
        ),
        "ResourceNotFoundException"
    );
    assert_eq!(
        code(
            c.tag_resource()
                .resource_arn(missing)
                .tags("a", "b")
                .send()
                .await
        ),
        "ResourceNotFoundException"
    );
    assert_eq!(
        code(
            c.untag_resource()
                .resource_arn(missing)
                .tag_keys("a")
                .send()
                .await
        ),
        "ResourceNotFoundException"
    );
    assert_eq!(
        code(
            c.list_tags_for_resource()
                .resource_arn("arn:aws:s3:::bucket")
                .send()
                .await
        ),
        "ValidationException"
    );
    ep.shutdown().await.unwrap();
}

#[tokio::test]
async fn stage_sessions() {
    let ep = common::start_local().await;
    let c = client(&ep);
    let storage = storage_arn(&ep, &c).await;
    let arn = c
        .create_stage()
        .send()
        .await
        .unwrap()
        .stage()
        .unwrap()
        .arn()
        .to_string();
    let none = c
        .list_stage_sessions()
        .stage_arn(&arn)
        .send()
        .await
        .unwrap();
    assert!(none.stage_sessions().is_empty());

    let first = ep
        .with_state(|s| s.ivs.start_session(&arn, 1_700_000_000))
        .unwrap()
        .unwrap();
    assert_eq!(first.len(), 16);
    assert!(first.starts_with("st-"));
    let got = c.get_stage().arn(&arn).send().await.unwrap();
    assert_eq!(
        got.stage().unwrap().active_session_id(),
        Some(first.as_str())
    );
    let listed = c.list_stages().send().await.unwrap();
    assert_eq!(listed.stages()[0].active_session_id(), Some(first.as_str()));

    ep.with_state(|s| s.ivs.end_session(&arn, 1_700_000_100))
        .unwrap();
    let second = ep
        .with_state(|s| s.ivs.start_session(&arn, 1_700_000_200))
        .unwrap()
        .unwrap();
    let sessions = c
        .list_stage_sessions()
        .stage_arn(&arn)
        .max_results(1)
        .send()
        .await
        .unwrap();
    assert_eq!(sessions.stage_sessions().len(), 1);
    assert_eq!(
        sessions.stage_sessions()[0].session_id(),
        Some(second.as_str())
    );
    assert!(sessions.stage_sessions()[0].end_time().is_none());
    let token = sessions.next_token().unwrap().to_string();
    let more = c
        .list_stage_sessions()
        .stage_arn(&arn)
        .next_token(token)
        .send()
        .await
        .unwrap();
    let old = &more.stage_sessions()[0];
    assert_eq!(old.session_id(), Some(first.as_str()));
    assert_eq!(old.start_time().unwrap().secs(), 1_700_000_000);
    assert_eq!(old.end_time().unwrap().secs(), 1_700_000_100);

    let one = c
        .get_stage_session()
        .stage_arn(&arn)
        .session_id(&first)
        .send()
        .await
        .unwrap();
    assert_eq!(
        one.stage_session().unwrap().session_id(),
        Some(first.as_str())
    );

    // Recording cannot change while a session records.
    let rec = AutoParticipantRecordingConfiguration::builder()
        .storage_configuration_arn(&storage)
        .build()
        .unwrap();
    c.update_stage()
        .arn(&arn)
        .auto_participant_recording_configuration(rec)
        .send()
        .await
        .unwrap();
    let off = AutoParticipantRecordingConfiguration::builder()
        .storage_configuration_arn("")
        .build()
        .unwrap();
    assert_eq!(
        code(
            c.update_stage()
                .arn(&arn)
                .auto_participant_recording_configuration(off)
                .send()
                .await
        ),
        "ConflictException"
    );
    assert_eq!(
        code(
            c.list_stage_sessions()
                .stage_arn(&arn)
                .max_results(0)
                .send()
                .await
        ),
        "ValidationException"
    );
    ep.shutdown().await.unwrap();
}

#[tokio::test]
async fn stage_quota_is_enforced_with_aws_quotas() {
    let ep = common::start_local_with(LocalConfig {
        quotas_aws: true,
        // Rate quotas scaled far up so only the resource quota matters here.
        time_scale: 1_000_000.0,
        ..LocalConfig::default()
    })
    .await;
    let c = client(&ep);
    // Seed 999 stages directly, then the 1,000th via the API succeeds and the next fails.
    ep.with_state(|s| {
        let region = s.ivs.regions.entry("us-east-1".into()).or_default();
        for i in 0..999 {
            let id = format!("seed{i:08}");
            region.stages.insert(
                id.clone(),
                ivstack_local::services::ivs::StageRecord {
                    arn: format!("arn:aws:ivs:us-east-1:123456789012:stage/{id}"),
                    name: String::new(),
                    tags: Default::default(),
                    recording: Default::default(),
                    endpoint_id: "abcdefabcdef".into(),
                    sessions: Vec::new(),
                },
            );
        }
    })
    .unwrap();
    c.create_stage().send().await.unwrap();
    let err = c.create_stage().send().await.unwrap_err();
    assert_eq!(err.code(), Some("ServiceQuotaExceededException"));
    let raw = err.raw_response().unwrap();
    assert_eq!(raw.status().as_u16(), 402);
    ep.shutdown().await.unwrap();
}

#[tokio::test]
async fn error_shape_on_the_wire() {
    let ep = common::start_local().await;
    let c = client(&ep);
    let err = c
        .get_stage()
        .arn("arn:aws:ivs:us-east-1:123456789012:stage/AAAAAAAAAAAA")
        .send()
        .await
        .unwrap_err();
    let raw = err.raw_response().unwrap();
    assert_eq!(raw.status().as_u16(), 404);
    assert_eq!(
        raw.headers().get("x-amzn-ErrorType"),
        Some("ResourceNotFoundException")
    );
    assert!(raw.headers().get("x-amzn-RequestId").is_some());
    let body: serde_json::Value = serde_json::from_slice(raw.body().bytes().unwrap()).unwrap();
    assert_eq!(body["exceptionMessage"], body["message"]);
    let svc = err.into_service_error();
    assert!(svc.is_resource_not_found_exception());
    assert!(svc.meta().message().is_some());
    ep.shutdown().await.unwrap();
}

/// boto3 (botocore's own signer and serializers) against the endpoint.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_drives_every_ivs_operation() {
    let ep = common::start_local().await;
    let (key, _) = tokens::generate_key().unwrap();
    let pem = tokens::public_key_pem(&key).unwrap();
    let out = common::run_boto3("ivs.py", ep.url(), &[&pem]).await;
    common::assert_script_ok("ivs.py", &out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("ALL OK"), "{stdout}");
    // Exactly the one deliberately wrong-secret request failed authentication.
    assert_eq!(ep.stats().auth_failures, 1);
    ep.shutdown().await.unwrap();
}
