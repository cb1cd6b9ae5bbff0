//! IVS Real-Time's configuration resources on the local endpoint, driven by
//! `aws-sdk-ivsrealtime` over HTTP: storage, encoder and ingest configurations and public
//! keys; their paging, quotas, tags, and the rules between them and stages.

use crate::common;

use std::time::Duration;

use aws_sdk_ivsrealtime::Client;
use aws_sdk_ivsrealtime::error::ProvideErrorMetadata;
use aws_sdk_ivsrealtime::types::{
    AutoParticipantRecordingConfiguration, IngestConfigurationState, IngestProtocol,
    S3StorageConfiguration, Video,
};
use ivstack_local::services::tokens;
use ivstack_local::{LocalConfig, LocalEndpoint};

fn client(ep: &LocalEndpoint) -> Client {
    Client::new(&common::sdk_config(ep))
}

fn client_in(ep: &LocalEndpoint, region: &str) -> Client {
    Client::new(&common::sdk_config_for(ep.url(), region))
}

/// The error code of an SDK error (panics if the call succeeded).
fn code<T: std::fmt::Debug, E: ProvideErrorMetadata + std::fmt::Debug>(r: Result<T, E>) -> String {
    let e = r.expect_err("expected an error");
    e.code().unwrap_or("<no code>").to_string()
}

fn s3(bucket: &str) -> S3StorageConfiguration {
    S3StorageConfiguration::builder()
        .bucket_name(bucket)
        .build()
        .unwrap()
}

/// A storage configuration in `region` for a new bucket `bucket` there, returning its ARN.
async fn storage(ep: &LocalEndpoint, region: &str, bucket: &str) -> String {
    common::create_bucket(ep, region, bucket).await;
    client_in(ep, region)
        .create_storage_configuration()
        .s3(s3(bucket))
        .send()
        .await
        .unwrap()
        .storage_configuration()
        .unwrap()
        .arn()
        .to_string()
}

async fn stage(c: &Client) -> String {
    c.create_stage()
        .send()
        .await
        .unwrap()
        .stage()
        .unwrap()
        .arn()
        .to_string()
}

fn recording_to(arn: &str) -> AutoParticipantRecordingConfiguration {
    AutoParticipantRecordingConfiguration::builder()
        .storage_configuration_arn(arn)
        .build()
        .unwrap()
}

/// A fresh P-384 public key in PEM.
fn p384_public_pem() -> String {
    let (key, _) = tokens::generate_key().unwrap();
    tokens::public_key_pem(&key).unwrap()
}

/// `arn:aws:ivs:<region>:123456789012:<kind>/<id>`, returning the id.
fn id_of<'a>(arn: &'a str, region: &str, kind: &str) -> &'a str {
    let prefix = format!("arn:aws:ivs:{region}:{}:{kind}/", common::ACCOUNT_ID);
    arn.strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{arn} is not a {kind} ARN in {region}"))
}

fn is_twelve_alnum(id: &str) -> bool {
    id.len() == 12 && id.chars().all(|c| c.is_ascii_alphanumeric())
}

/// Quotas on, rates scaled far up so only resource quotas matter.
fn quotas(overrides: &[(&str, u64)]) -> LocalConfig {
    LocalConfig {
        quotas_aws: true,
        time_scale: 1_000_000.0,
        resource_quotas: overrides.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        ..LocalConfig::default()
    }
}

// ---------------------------------------------------------------------------------------
// Storage configurations

#[tokio::test]
async fn storage_configurations_create_get_list_delete() {
    let ep = common::start_local().await;
    let c = client(&ep);
    common::create_bucket(&ep, common::REGION, "my-ivs-recordings").await;
    let out = c
        .create_storage_configuration()
        .name("recordings-1")
        .s3(s3("my-ivs-recordings"))
        .tags("team", "media")
        .send()
        .await
        .unwrap();
    let sc = out.storage_configuration().unwrap();
    let arn = sc.arn().to_string();
    assert!(is_twelve_alnum(id_of(
        &arn,
        common::REGION,
        "storage-configuration"
    )));
    assert_eq!(sc.name(), Some("recordings-1"));
    assert_eq!(sc.s3().unwrap().bucket_name(), "my-ivs-recordings");
    assert_eq!(sc.tags().unwrap()["team"], "media");

    let got = c
        .get_storage_configuration()
        .arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(got.storage_configuration().unwrap(), sc);

    // Paging with the SDK paginator: 7 in pages of 3; summaries carry s3 and tags.
    for i in 0..6 {
        common::create_bucket(&ep, common::REGION, &format!("bucket-{i}")).await;
        c.create_storage_configuration()
            .name(format!("sc-{i}"))
            .s3(s3(&format!("bucket-{i}")))
            .send()
            .await
            .unwrap();
    }
    let pages: Vec<_> = c
        .list_storage_configurations()
        .into_paginator()
        .page_size(3)
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    assert_eq!(
        pages
            .iter()
            .map(|p| p.storage_configurations().len())
            .collect::<Vec<_>>(),
        vec![3, 3, 1]
    );
    let listed: Vec<_> = pages
        .iter()
        .flat_map(|p| p.storage_configurations())
        .collect();
    let mine = listed.iter().find(|s| s.arn() == arn).unwrap();
    assert_eq!(mine.s3().unwrap().bucket_name(), "my-ivs-recordings");
    assert_eq!(mine.tags().unwrap()["team"], "media");
    let all = c.list_storage_configurations().send().await.unwrap();
    assert_eq!(all.storage_configurations().len(), 7);
    assert!(all.next_token().is_none());

    c.delete_storage_configuration()
        .arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        code(c.get_storage_configuration().arn(&arn).send().await),
        "ResourceNotFoundException"
    );
    assert_eq!(
        code(c.delete_storage_configuration().arn(&arn).send().await),
        "ResourceNotFoundException"
    );
    ep.shutdown().await.unwrap();
}

#[tokio::test]
async fn storage_configuration_validation() {
    let ep = common::start_local().await;
    let c = client(&ep);
    for bad in ["ab", "Upper-Case", "under_score", &"b".repeat(64)] {
        assert_eq!(
            code(c.create_storage_configuration().s3(s3(bad)).send().await),
            "ValidationException",
            "bucket {bad:?}"
        );
    }
    for bucket in ["b".repeat(63).as_str(), "a.b-c", "bucket"] {
        common::create_bucket(&ep, common::REGION, bucket).await;
    }
    c.create_storage_configuration()
        .s3(s3(&"b".repeat(63)))
        .send()
        .await
        .unwrap();
    c.create_storage_configuration()
        .s3(s3("a.b-c"))
        .send()
        .await
        .unwrap();
    // s3 is required.
    assert_eq!(
        code(c.create_storage_configuration().send().await),
        "ValidationException"
    );
    assert_eq!(
        code(
            c.create_storage_configuration()
                .name("bad name")
                .s3(s3("bucket"))
                .send()
                .await
        ),
        "ValidationException"
    );
    assert_eq!(
        code(
            c.create_storage_configuration()
                .s3(s3("bucket"))
                .tags("aws:x", "y")
                .send()
                .await
        ),
        "ValidationException"
    );
    // An ARN of another type, and one from another Region.
    assert_eq!(
        code(
            c.get_storage_configuration()
                .arn("arn:aws:ivs:us-east-1:123456789012:stage/AbCdEf123456")
                .send()
                .await
        ),
        "ValidationException"
    );
    let west = storage(&ep, "us-west-2", "west-bucket").await;
    assert_eq!(
        code(c.get_storage_configuration().arn(&west).send().await),
        "ResourceNotFoundException"
    );
    for bad in [0, 101] {
        assert_eq!(
            code(
                c.list_storage_configurations()
                    .max_results(bad)
                    .send()
                    .await
            ),
            "ValidationException"
        );
    }
    assert_eq!(
        code(
            c.list_storage_configurations()
                .next_token("not-ours")
                .send()
                .await
        ),
        "ValidationException"
    );
    ep.shutdown().await.unwrap();
}

/// The bucket must exist in the endpoint's S3, in the storage configuration's Region; on
/// creation IVS gets write access in the bucket's policy, next to what was there.
#[tokio::test]
async fn storage_configurations_check_their_bucket_and_grant_ivs_write_access() {
    let ep = common::start_local().await;
    let c = client(&ep);
    let e = c
        .create_storage_configuration()
        .s3(s3("no-such-bucket"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("ResourceNotFoundException"));
    assert_eq!(e.raw_response().unwrap().status().as_u16(), 404);
    assert!(e.message().unwrap().contains("no-such-bucket"), "{e:?}");
    common::create_bucket(&ep, "eu-west-1", "media-eu").await;
    let e = c
        .create_storage_configuration()
        .s3(s3("media-eu"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("ValidationException"));
    assert!(e.message().unwrap().contains("eu-west-1"), "{e:?}");
    assert!(
        c.list_storage_configurations()
            .send()
            .await
            .unwrap()
            .storage_configurations()
            .is_empty(),
        "nothing was created"
    );
    // In its own Region it is accepted.
    storage(&ep, "eu-west-1", "media-eu-2").await;

    // A bucket with a policy of its own: IVS's statement is added, the rest kept.
    common::create_bucket(&ep, common::REGION, "recordings").await;
    let s3c = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&common::sdk_config(&ep))
            .force_path_style(true)
            .build(),
    );
    let own = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Readers","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::recordings/*"}]}"#;
    s3c.put_bucket_policy()
        .bucket("recordings")
        .policy(own)
        .send()
        .await
        .unwrap();
    for _ in 0..2 {
        c.create_storage_configuration()
            .s3(s3("recordings"))
            .send()
            .await
            .unwrap();
    }
    let policy = s3c
        .get_bucket_policy()
        .bucket("recordings")
        .send()
        .await
        .unwrap();
    let doc: serde_json::Value = serde_json::from_str(policy.policy().unwrap()).unwrap();
    let statements = doc["Statement"].as_array().unwrap();
    assert_eq!(
        statements.len(),
        2,
        "one IVS statement for two configurations: {doc}"
    );
    assert_eq!(statements[0]["Sid"], "Readers");
    let ivs = &statements[1];
    assert_eq!(ivs["Effect"], "Allow");
    assert_eq!(ivs["Principal"]["Service"], "ivs.amazonaws.com");
    assert_eq!(ivs["Action"], "s3:PutObject");
    assert_eq!(ivs["Resource"], "arn:aws:s3:::recordings/*");
    assert_eq!(
        ivs["Condition"]["StringEquals"]["aws:SourceAccount"],
        common::ACCOUNT_ID
    );
    ep.shutdown().await.unwrap();
}

/// Stages name only existing storage configurations of their own Region and account, and
/// one in use cannot be deleted.
#[tokio::test]
async fn stages_and_storage_configurations_refer_to_each_other() {
    let ep = common::start_local().await;
    let c = client(&ep);
    let sc = storage(&ep, common::REGION, "recordings").await;
    let id = id_of(&sc, common::REGION, "storage-configuration");
    let west = storage(&ep, "us-west-2", "west-bucket").await;
    let missing = format!(
        "arn:aws:ivs:us-east-1:{}:storage-configuration/ZZZZZZZZZZZZ",
        common::ACCOUNT_ID
    );
    let other_account = format!("arn:aws:ivs:us-east-1:210987654321:storage-configuration/{id}");
    for bad in [&missing, &west, &other_account] {
        let e = c
            .create_stage()
            .auto_participant_recording_configuration(recording_to(bad))
            .send()
            .await
            .unwrap_err();
        assert_eq!(e.code(), Some("ValidationException"), "{bad}");
        assert!(e.message().unwrap().contains(bad.as_str()), "{e:?}");
    }
    assert!(
        c.list_stages().send().await.unwrap().stages().is_empty(),
        "no stage was created"
    );

    let plain = stage(&c).await;
    for bad in [&missing, &west, &other_account] {
        assert_eq!(
            code(
                c.update_stage()
                    .arn(&plain)
                    .auto_participant_recording_configuration(recording_to(bad))
                    .send()
                    .await
            ),
            "ValidationException",
            "{bad}"
        );
    }
    let got = c.get_stage().arn(&plain).send().await.unwrap();
    assert_eq!(
        got.stage()
            .unwrap()
            .auto_participant_recording_configuration()
            .unwrap()
            .storage_configuration_arn(),
        "",
        "the refused update changed nothing"
    );

    // In use by a stage: 409 until the stage stops recording to it.
    let recording = c
        .create_stage()
        .auto_participant_recording_configuration(recording_to(&sc))
        .send()
        .await
        .unwrap()
        .stage()
        .unwrap()
        .arn()
        .to_string();
    let e = c
        .delete_storage_configuration()
        .arn(&sc)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("ConflictException"));
    assert_eq!(e.raw_response().unwrap().status().as_u16(), 409);
    assert!(e.message().unwrap().contains(&recording), "{e:?}");
    c.update_stage()
        .arn(&recording)
        .auto_participant_recording_configuration(recording_to(""))
        .send()
        .await
        .unwrap();
    c.delete_storage_configuration()
        .arn(&sc)
        .send()
        .await
        .unwrap();
    // Now gone, so a stage can no longer name it.
    assert_eq!(
        code(
            c.update_stage()
                .arn(&recording)
                .auto_participant_recording_configuration(recording_to(&sc))
                .send()
                .await
        ),
        "ValidationException"
    );
    ep.shutdown().await.unwrap();
}

// ---------------------------------------------------------------------------------------
// Encoder configurations

#[tokio::test]
async fn encoder_configurations_defaults_ranges_and_listing() {
    let ep = common::start_local().await;
    let c = client(&ep);
    // No video: the model's defaults (1280x720, 30 fps, 2.5 Mbps).
    let out = c
        .create_encoder_configuration()
        .name("default")
        .tags("k", "v")
        .send()
        .await
        .unwrap();
    let ec = out.encoder_configuration().unwrap();
    let arn = ec.arn().to_string();
    assert!(is_twelve_alnum(id_of(
        &arn,
        common::REGION,
        "encoder-configuration"
    )));
    let v = ec.video().unwrap();
    assert_eq!(
        (v.width(), v.height(), v.framerate(), v.bitrate()),
        (Some(1280), Some(720), Some(30.0), Some(2_500_000))
    );
    assert_eq!(ec.tags().unwrap()["k"], "v");
    // A partial video: the rest defaults.
    let partial = c
        .create_encoder_configuration()
        .video(Video::builder().width(1920).height(1080).build())
        .send()
        .await
        .unwrap();
    let v = partial.encoder_configuration().unwrap().video().unwrap();
    assert_eq!(
        (v.width(), v.height(), v.framerate(), v.bitrate()),
        (Some(1920), Some(1080), Some(30.0), Some(2_500_000))
    );
    let full = c
        .create_encoder_configuration()
        .video(
            Video::builder()
                .width(1080)
                .height(1920)
                .framerate(59.5)
                .bitrate(8_500_000)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let v = full.encoder_configuration().unwrap().video().unwrap();
    assert_eq!(v.framerate(), Some(59.5));
    assert_eq!(v.bitrate(), Some(8_500_000));

    let got = c
        .get_encoder_configuration()
        .arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(got.encoder_configuration().unwrap(), ec);

    // Out of the model's ranges, odd dimensions, more than 1920x1080 pixels.
    let bad = [
        Video::builder().width(1).build(),
        Video::builder().width(1922).build(),
        Video::builder().height(1922).build(),
        Video::builder().framerate(0.5).build(),
        Video::builder().framerate(60.5).build(),
        Video::builder().bitrate(0).build(),
        Video::builder().bitrate(8_500_001).build(),
        Video::builder().width(1279).build(),
        Video::builder().height(721).build(),
        Video::builder().width(1920).height(1920).build(),
    ];
    for v in bad {
        assert_eq!(
            code(
                c.create_encoder_configuration()
                    .video(v.clone())
                    .send()
                    .await
            ),
            "ValidationException",
            "{v:?}"
        );
    }

    // Listing: summaries (arn, name, tags), paged.
    let pages: Vec<_> = c
        .list_encoder_configurations()
        .into_paginator()
        .page_size(2)
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    assert_eq!(pages.len(), 2);
    let summaries: Vec<_> = pages
        .iter()
        .flat_map(|p| p.encoder_configurations())
        .collect();
    assert_eq!(summaries.len(), 3);
    let mine = summaries.iter().find(|s| s.arn() == arn).unwrap();
    assert_eq!(mine.name(), Some("default"));
    assert_eq!(mine.tags().unwrap()["k"], "v");

    c.delete_encoder_configuration()
        .arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        code(c.get_encoder_configuration().arn(&arn).send().await),
        "ResourceNotFoundException"
    );
    assert_eq!(
        code(c.delete_encoder_configuration().arn(&arn).send().await),
        "ResourceNotFoundException"
    );
    ep.shutdown().await.unwrap();
}

// ---------------------------------------------------------------------------------------
// Public keys

#[tokio::test]
async fn public_keys_import_get_list_delete() {
    let ep = common::start_local().await;
    let c = client(&ep);
    let pem = p384_public_pem();
    let out = c
        .import_public_key()
        .public_key_material(&pem)
        .name("signer")
        .tags("use", "tokens")
        .send()
        .await
        .unwrap();
    let k = out.public_key().unwrap();
    let arn = k.arn().unwrap().to_string();
    // Public-key ids are UUIDs, as in the IVS documentation's examples.
    let id = id_of(&arn, common::REGION, "public-key");
    let lens: Vec<_> = id.split('-').map(str::len).collect();
    assert_eq!(lens, vec![8, 4, 4, 4, 12], "{id}");
    assert_eq!(k.name(), Some("signer"));
    assert_eq!(k.public_key_material(), Some(pem.as_str()));
    let fp = k.fingerprint().unwrap();
    assert_eq!(fp.split(':').count(), 16, "{fp}");
    assert!(
        fp.split(':')
            .all(|b| b.len() == 2 && b.chars().all(|c| c.is_ascii_hexdigit()))
    );
    assert_eq!(k.tags().unwrap()["use"], "tokens");

    let got = c.get_public_key().arn(&arn).send().await.unwrap();
    assert_eq!(got.public_key().unwrap(), k);

    // The same key again, also in another PEM layout: 409.
    let e = c
        .import_public_key()
        .public_key_material(&pem)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("ConflictException"));
    assert!(e.message().unwrap().contains(&arn), "{e:?}");
    assert_eq!(
        code(
            c.import_public_key()
                .public_key_material(pem.replace('\n', "\r\n"))
                .send()
                .await
        ),
        "ConflictException"
    );

    // Another key, then list (summaries: arn, name, tags) with the paginator.
    let other = c
        .import_public_key()
        .public_key_material(p384_public_pem())
        .send()
        .await
        .unwrap();
    assert_ne!(other.public_key().unwrap().fingerprint(), Some(fp));
    let pages: Vec<_> = c
        .list_public_keys()
        .into_paginator()
        .page_size(1)
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    assert_eq!(pages.len(), 2);
    let listed: Vec<_> = pages.iter().flat_map(|p| p.public_keys()).collect();
    let mine = listed
        .iter()
        .find(|s| s.arn() == Some(arn.as_str()))
        .unwrap();
    assert_eq!(mine.name(), Some("signer"));
    assert_eq!(mine.tags().unwrap()["use"], "tokens");

    c.delete_public_key().arn(&arn).send().await.unwrap();
    assert_eq!(
        code(c.get_public_key().arn(&arn).send().await),
        "ResourceNotFoundException"
    );
    // Deleted, the key can be imported again.
    c.import_public_key()
        .public_key_material(&pem)
        .send()
        .await
        .unwrap();
    ep.shutdown().await.unwrap();
}

#[tokio::test]
async fn only_p384_public_keys_in_pem_are_imported() {
    let ep = common::start_local().await;
    let c = client(&ep);
    let (key, private_pem) = tokens::generate_key().unwrap();
    let public = tokens::public_key_pem(&key).unwrap();
    // A P-256 public key (its curve's generator point: a valid key of the wrong curve).
    let p256 = concat!(
        "-----BEGIN PUBLIC KEY-----\n",
        "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEaxfR8uEsQkf4vOblY6RA8ncDfYEt\n",
        "6zOg9KE5RdiYwpZP40Li/hp/m47n60p8D54WK84zV2sxXs7LtkBoN79R9Q==\n",
        "-----END PUBLIC KEY-----\n"
    );
    let cut = public.replace("-----END PUBLIC KEY-----", "");
    for (what, bad) in [
        ("a private key pasted by mistake", private_pem.as_str()),
        ("a P-256 key", p256),
        ("not PEM", "MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAE"),
        ("no END line", cut.as_str()),
        (
            "a body that is not a key",
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
        ),
    ] {
        let e = c
            .import_public_key()
            .public_key_material(bad)
            .send()
            .await
            .unwrap_err();
        assert_eq!(e.code(), Some("ValidationException"), "{what}");
        // Never echo private key material.
        let msg = e.message().unwrap_or_default();
        assert!(!msg.contains("PRIVATE"), "{what}: {msg}");
        let body_line = private_pem.lines().nth(1).unwrap();
        assert!(!msg.contains(body_line), "{what}: {msg}");
    }
    // The material is required.
    assert_eq!(
        code(c.import_public_key().send().await),
        "ValidationException"
    );
    assert!(
        c.list_public_keys()
            .send()
            .await
            .unwrap()
            .public_keys()
            .is_empty()
    );
    c.import_public_key()
        .public_key_material(&public)
        .send()
        .await
        .unwrap();
    ep.shutdown().await.unwrap();
}

// ---------------------------------------------------------------------------------------
// Ingest configurations

#[tokio::test]
async fn ingest_configurations_create_get_list() {
    let ep = common::start_local().await;
    let c = client(&ep);
    let stage_arn = stage(&c).await;
    let out = c
        .create_ingest_configuration()
        .name("studio")
        .stage_arn(&stage_arn)
        .user_id("studio-encoder")
        .attributes("role", "host")
        .ingest_protocol(IngestProtocol::Rtmps)
        .tags("team", "media")
        .send()
        .await
        .unwrap();
    let ic = out.ingest_configuration().unwrap();
    let arn = ic.arn().to_string();
    let id = id_of(&arn, common::REGION, "ingest-configuration");
    assert!(is_twelve_alnum(id));
    assert_eq!(ic.name(), Some("studio"));
    assert_eq!(ic.ingest_protocol(), &IngestProtocol::Rtmps);
    assert_eq!(ic.stage_arn(), stage_arn);
    assert_eq!(ic.state(), &IngestConfigurationState::Inactive);
    assert_eq!(ic.user_id(), Some("studio-encoder"));
    assert_eq!(ic.attributes().unwrap()["role"], "host");
    assert_eq!(ic.tags().unwrap()["team"], "media");
    assert!(is_twelve_alnum(ic.participant_id()));
    assert!(!ic.redundant_ingest());
    assert!(ic.redundant_ingest_credentials.is_none());
    // The model's StreamKey pattern: rt_<digits>_<[a-z0-9-]+>_<[a-zA-Z0-9-]+>_<secret>.
    let key = ic.stream_key();
    let prefix = format!("rt_{}_{}_{id}_", common::ACCOUNT_ID, common::REGION);
    let secret = key.strip_prefix(&prefix).unwrap_or_else(|| panic!("{key}"));
    assert!(secret.len() >= 32, "a guessable stream key: {key}");

    let got = c.get_ingest_configuration().arn(&arn).send().await.unwrap();
    assert_eq!(got.ingest_configuration().unwrap(), ic);

    // RTMP only with insecureIngest; no stage is fine; redundant ingest has a backup.
    assert_eq!(
        code(
            c.create_ingest_configuration()
                .ingest_protocol(IngestProtocol::Rtmp)
                .send()
                .await
        ),
        "ValidationException"
    );
    let rtmp = c
        .create_ingest_configuration()
        .ingest_protocol(IngestProtocol::Rtmp)
        .insecure_ingest(true)
        .redundant_ingest(true)
        .send()
        .await
        .unwrap();
    let rtmp = rtmp.ingest_configuration().unwrap();
    assert_eq!(rtmp.stage_arn(), "");
    assert!(rtmp.redundant_ingest());
    let backup = rtmp.redundant_ingest_credentials();
    assert_eq!(backup.len(), 1);
    assert_ne!(backup[0].stream_key(), Some(rtmp.stream_key()));
    assert_ne!(backup[0].participant_id(), Some(rtmp.participant_id()));
    assert_ne!(rtmp.stream_key(), ic.stream_key());

    // Listing: summaries, filters (one at a time), paging.
    let all = c.list_ingest_configurations().send().await.unwrap();
    assert_eq!(all.ingest_configurations().len(), 2);
    let s = all
        .ingest_configurations()
        .iter()
        .find(|s| s.arn() == arn)
        .unwrap();
    assert_eq!(
        (s.name(), s.stage_arn(), s.user_id(), s.participant_id()),
        (
            Some("studio"),
            stage_arn.as_str(),
            Some("studio-encoder"),
            ic.participant_id()
        )
    );
    let by_stage = c
        .list_ingest_configurations()
        .filter_by_stage_arn(&stage_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(by_stage.ingest_configurations().len(), 1);
    assert_eq!(by_stage.ingest_configurations()[0].arn(), arn);
    ep.with_state(|s| s.ivs.set_ingest_active(&arn, true))
        .unwrap();
    let active = c
        .list_ingest_configurations()
        .filter_by_state(IngestConfigurationState::Active)
        .send()
        .await
        .unwrap();
    assert_eq!(active.ingest_configurations().len(), 1);
    assert_eq!(
        active.ingest_configurations()[0].state(),
        &IngestConfigurationState::Active
    );
    assert_eq!(
        code(
            c.list_ingest_configurations()
                .filter_by_stage_arn(&stage_arn)
                .filter_by_state(IngestConfigurationState::Active)
                .send()
                .await
        ),
        "ValidationException"
    );
    let pages: Vec<_> = c
        .list_ingest_configurations()
        .into_paginator()
        .page_size(1)
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    assert_eq!(pages.len(), 2);
    ep.shutdown().await.unwrap();
}

#[tokio::test]
async fn ingest_configuration_validation() {
    let ep = common::start_local().await;
    let c = client(&ep);
    let west_stage = stage(&client_in(&ep, "us-west-2")).await;
    let missing = format!(
        "arn:aws:ivs:us-east-1:{}:stage/ZZZZZZZZZZZZ",
        common::ACCOUNT_ID
    );
    let rtmps = || {
        c.create_ingest_configuration()
            .ingest_protocol(IngestProtocol::Rtmps)
    };
    for bad in [&missing, &west_stage] {
        assert_eq!(
            code(rtmps().stage_arn(bad).send().await),
            "ValidationException",
            "{bad}"
        );
    }
    for (what, r) in [
        ("no protocol", c.create_ingest_configuration().send().await),
        (
            "unknown protocol",
            c.create_ingest_configuration()
                .ingest_protocol(IngestProtocol::from("SRT"))
                .send()
                .await,
        ),
        (
            "attributes over 1 KB",
            rtmps().attributes("big", "x".repeat(1100)).send().await,
        ),
        (
            "user id over 128",
            rtmps().user_id("u".repeat(129)).send().await,
        ),
        ("bad name", rtmps().name("bad name").send().await),
        (
            "not a stage ARN",
            rtmps()
                .stage_arn("arn:aws:ivs:us-east-1:123456789012:channel/abc")
                .send()
                .await,
        ),
    ] {
        assert_eq!(code(r), "ValidationException", "{what}");
    }
    assert!(
        c.list_ingest_configurations()
            .send()
            .await
            .unwrap()
            .ingest_configurations()
            .is_empty()
    );
    assert_eq!(
        code(
            c.get_ingest_configuration()
                .arn("arn:aws:ivs:us-east-1:123456789012:ingest-configuration/ZZZZZZZZZZZZ")
                .send()
                .await
        ),
        "ResourceNotFoundException"
    );
    ep.shutdown().await.unwrap();
}

#[tokio::test]
async fn ingest_configurations_update_in_place_and_delete() {
    let ep = common::start_local().await;
    let c = client(&ep);
    let first = stage(&c).await;
    let second = stage(&c).await;
    let created = c
        .create_ingest_configuration()
        .ingest_protocol(IngestProtocol::Rtmps)
        .stage_arn(&first)
        .send()
        .await
        .unwrap();
    let ic = created.ingest_configuration().unwrap().clone();
    let arn = ic.arn().to_string();

    // Moves to another stage in place: same ARN, key and participant.
    let moved = c
        .update_ingest_configuration()
        .arn(&arn)
        .stage_arn(&second)
        .send()
        .await
        .unwrap();
    let m = moved.ingest_configuration().unwrap();
    assert_eq!(
        (m.arn(), m.stage_arn(), m.stream_key(), m.participant_id()),
        (
            arn.as_str(),
            second.as_str(),
            ic.stream_key(),
            ic.participant_id()
        )
    );
    // Without stageArn the stage stays; redundant ingest turns on and off.
    let r = c
        .update_ingest_configuration()
        .arn(&arn)
        .redundant_ingest(true)
        .send()
        .await
        .unwrap();
    let r = r.ingest_configuration().unwrap();
    assert_eq!(r.stage_arn(), second);
    assert_eq!(r.redundant_ingest_credentials().len(), 1);
    let r = c
        .update_ingest_configuration()
        .arn(&arn)
        .redundant_ingest(false)
        .stage_arn("")
        .send()
        .await
        .unwrap();
    let r = r.ingest_configuration().unwrap();
    assert!(!r.redundant_ingest() && r.redundant_ingest_credentials.is_none());
    assert_eq!(r.stage_arn(), "");
    assert_eq!(
        code(
            c.update_ingest_configuration()
                .arn(&arn)
                .stage_arn("arn:aws:ivs:us-east-1:123456789012:stage/ZZZZZZZZZZZZ")
                .send()
                .await
        ),
        "ValidationException"
    );
    c.update_ingest_configuration()
        .arn(&arn)
        .stage_arn(&first)
        .send()
        .await
        .unwrap();

    // While a publisher streams: no update, no delete without force.
    ep.with_state(|s| s.ivs.set_ingest_active(&arn, true))
        .unwrap();
    let e = c
        .update_ingest_configuration()
        .arn(&arn)
        .stage_arn(&second)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("ConflictException"));
    assert_eq!(e.raw_response().unwrap().status().as_u16(), 409);
    assert_eq!(
        code(c.delete_ingest_configuration().arn(&arn).send().await),
        "ConflictException"
    );
    let still = c.get_ingest_configuration().arn(&arn).send().await.unwrap();
    assert_eq!(still.ingest_configuration().unwrap().stage_arn(), first);
    c.delete_ingest_configuration()
        .arn(&arn)
        .force(true)
        .send()
        .await
        .unwrap();
    assert_eq!(
        code(c.get_ingest_configuration().arn(&arn).send().await),
        "ResourceNotFoundException"
    );
    assert_eq!(
        code(c.update_ingest_configuration().arn(&arn).send().await),
        "ResourceNotFoundException"
    );
    assert_eq!(
        code(c.delete_ingest_configuration().arn(&arn).send().await),
        "ResourceNotFoundException"
    );
    ep.shutdown().await.unwrap();
}

/// DeleteStage removes the stage from the ingest configurations that named it (reference
/// §2.3); the others keep theirs.
#[tokio::test]
async fn deleting_a_stage_detaches_its_ingest_configurations() {
    let ep = common::start_local().await;
    let c = client(&ep);
    let doomed = stage(&c).await;
    let kept = stage(&c).await;
    let mut on_doomed = Vec::new();
    for _ in 0..2 {
        let out = c
            .create_ingest_configuration()
            .ingest_protocol(IngestProtocol::Rtmps)
            .stage_arn(&doomed)
            .send()
            .await
            .unwrap();
        on_doomed.push(out.ingest_configuration().unwrap().arn().to_string());
    }
    let other = c
        .create_ingest_configuration()
        .ingest_protocol(IngestProtocol::Rtmps)
        .stage_arn(&kept)
        .send()
        .await
        .unwrap()
        .ingest_configuration()
        .unwrap()
        .arn()
        .to_string();
    ep.with_state(|s| s.ivs.set_ingest_active(&on_doomed[0], true))
        .unwrap();
    c.delete_stage().arn(&doomed).send().await.unwrap();
    for arn in &on_doomed {
        let got = c.get_ingest_configuration().arn(arn).send().await.unwrap();
        let ic = got.ingest_configuration().unwrap();
        assert_eq!(ic.stage_arn(), "", "{arn}");
        assert_eq!(ic.state(), &IngestConfigurationState::Inactive, "{arn}");
    }
    let got = c
        .get_ingest_configuration()
        .arn(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(got.ingest_configuration().unwrap().stage_arn(), kept);
    assert!(
        c.list_ingest_configurations()
            .filter_by_stage_arn(&doomed)
            .send()
            .await
            .unwrap()
            .ingest_configurations()
            .is_empty()
    );
    ep.shutdown().await.unwrap();
}

// ---------------------------------------------------------------------------------------
// Tags on every resource type

#[tokio::test]
async fn tags_on_every_resource_type() {
    let ep = common::start_local().await;
    let c = client(&ep);
    let arns = [
        stage(&c).await,
        storage(&ep, common::REGION, "recordings").await,
        c.create_encoder_configuration()
            .send()
            .await
            .unwrap()
            .encoder_configuration()
            .unwrap()
            .arn()
            .to_string(),
        c.import_public_key()
            .public_key_material(p384_public_pem())
            .send()
            .await
            .unwrap()
            .public_key()
            .unwrap()
            .arn()
            .unwrap()
            .to_string(),
        c.create_ingest_configuration()
            .ingest_protocol(IngestProtocol::Rtmps)
            .send()
            .await
            .unwrap()
            .ingest_configuration()
            .unwrap()
            .arn()
            .to_string(),
    ];
    for arn in &arns {
        c.tag_resource()
            .resource_arn(arn)
            .tags("a", "1")
            .tags("b", "2")
            .send()
            .await
            .unwrap();
        c.untag_resource()
            .resource_arn(arn)
            .tag_keys("a")
            .send()
            .await
            .unwrap();
        let tags = c
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .unwrap();
        assert_eq!(tags.tags().len(), 1, "{arn}");
        assert_eq!(tags.tags()["b"], "2", "{arn}");
    }
    // The resources' own responses carry the same tags.
    let sc = c
        .get_storage_configuration()
        .arn(&arns[1])
        .send()
        .await
        .unwrap();
    assert_eq!(
        sc.storage_configuration().unwrap().tags().unwrap()["b"],
        "2"
    );
    let ic = c
        .get_ingest_configuration()
        .arn(&arns[4])
        .send()
        .await
        .unwrap();
    assert_eq!(ic.ingest_configuration().unwrap().tags().unwrap()["b"], "2");

    // Unknown resources of every type, and types the emulator does not keep: 404.
    for missing in [
        "arn:aws:ivs:us-east-1:123456789012:storage-configuration/ZZZZZZZZZZZZ",
        "arn:aws:ivs:us-east-1:123456789012:encoder-configuration/ZZZZZZZZZZZZ",
        "arn:aws:ivs:us-east-1:123456789012:public-key/00000000-0000-4000-8000-000000000000",
        "arn:aws:ivs:us-east-1:123456789012:ingest-configuration/ZZZZZZZZZZZZ",
        "arn:aws:ivs:us-east-1:123456789012:composition/ZZZZZZZZZZZZ",
        "arn:aws:ivs:us-east-1:123456789012:channel/ZZZZZZZZZZZZ",
    ] {
        assert_eq!(
            code(
                c.tag_resource()
                    .resource_arn(missing)
                    .tags("a", "b")
                    .send()
                    .await
            ),
            "ResourceNotFoundException",
            "{missing}"
        );
        assert_eq!(
            code(
                c.list_tags_for_resource()
                    .resource_arn(missing)
                    .send()
                    .await
            ),
            "ResourceNotFoundException",
            "{missing}"
        );
    }
    // Another Region's resource is not found here.
    let west = storage(&ep, "us-west-2", "west").await;
    assert_eq!(
        code(c.list_tags_for_resource().resource_arn(&west).send().await),
        "ResourceNotFoundException"
    );
    ep.shutdown().await.unwrap();
}

// ---------------------------------------------------------------------------------------
// Quotas

/// AWS's documented resource quotas per Region, with `--quotas aws`: storage 5, encoder
/// 20, public keys 3, ingest 100; each per Region.
#[tokio::test]
async fn resource_quotas_are_enforced_per_region() {
    let ep = common::start_local_with(quotas(&[])).await;
    let c = client(&ep);
    const QUOTA: &str = "ServiceQuotaExceededException";
    for i in 0..5 {
        storage(&ep, common::REGION, &format!("bucket-{i}")).await;
    }
    common::create_bucket(&ep, common::REGION, "one-more").await;
    let e = c
        .create_storage_configuration()
        .s3(s3("one-more"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.raw_response().unwrap().status().as_u16(), 402);
    assert_eq!(e.code(), Some(QUOTA));
    // Another Region has its own count.
    storage(&ep, "us-west-2", "west").await;

    for _ in 0..20 {
        c.create_encoder_configuration().send().await.unwrap();
    }
    assert_eq!(code(c.create_encoder_configuration().send().await), QUOTA);

    for _ in 0..3 {
        c.import_public_key()
            .public_key_material(p384_public_pem())
            .send()
            .await
            .unwrap();
    }
    assert_eq!(
        code(
            c.import_public_key()
                .public_key_material(p384_public_pem())
                .send()
                .await
        ),
        QUOTA
    );

    for _ in 0..100 {
        c.create_ingest_configuration()
            .ingest_protocol(IngestProtocol::Rtmps)
            .send()
            .await
            .unwrap();
    }
    assert_eq!(
        code(
            c.create_ingest_configuration()
                .ingest_protocol(IngestProtocol::Rtmps)
                .send()
                .await
        ),
        QUOTA
    );
    // Deleting one makes room again.
    let one = c.list_storage_configurations().send().await.unwrap();
    let arn = one.storage_configurations()[0].arn().to_string();
    c.delete_storage_configuration()
        .arn(&arn)
        .send()
        .await
        .unwrap();
    storage(&ep, common::REGION, "again").await;
    ep.shutdown().await.unwrap();
}

/// Adjustable quotas can be set like a granted quota increase; public keys cannot (AWS
/// does not adjust that quota).
#[tokio::test]
async fn adjustable_quotas_can_be_raised() {
    let ep = common::start_local_with(quotas(&[
        ("ivs:storage-configurations", 7),
        ("ivs:encoder-configurations", 2),
        ("ivs:ingest-configurations", 1),
        ("ivs:stages", 2),
    ]))
    .await;
    let c = client(&ep);
    for i in 0..7 {
        storage(&ep, common::REGION, &format!("bucket-{i}")).await;
    }
    common::create_bucket(&ep, common::REGION, "eighth").await;
    assert_eq!(
        code(
            c.create_storage_configuration()
                .s3(s3("eighth"))
                .send()
                .await
        ),
        "ServiceQuotaExceededException"
    );
    for _ in 0..2 {
        c.create_encoder_configuration().send().await.unwrap();
    }
    assert_eq!(
        code(c.create_encoder_configuration().send().await),
        "ServiceQuotaExceededException"
    );
    c.create_ingest_configuration()
        .ingest_protocol(IngestProtocol::Rtmps)
        .send()
        .await
        .unwrap();
    assert_eq!(
        code(
            c.create_ingest_configuration()
                .ingest_protocol(IngestProtocol::Rtmps)
                .send()
                .await
        ),
        "ServiceQuotaExceededException"
    );
    stage(&c).await;
    stage(&c).await;
    assert_eq!(
        code(c.create_stage().send().await),
        "ServiceQuotaExceededException"
    );
    ep.shutdown().await.unwrap();

    // Without `quotas_aws` nothing is enforced, overrides or not.
    let ep = common::start_local_with(LocalConfig {
        resource_quotas: [("ivs:encoder-configurations".to_string(), 1)].into(),
        ..LocalConfig::default()
    })
    .await;
    let c = client(&ep);
    for _ in 0..3 {
        c.create_encoder_configuration().send().await.unwrap();
    }
    ep.shutdown().await.unwrap();

    for (name, why) in [
        ("ivs:public-keys", "not adjustable"),
        ("ivs:storage", "unknown resource quota"),
    ] {
        let err = ivstack_local::start(LocalConfig {
            resource_quotas: [(name.to_string(), 10)].into(),
            ..LocalConfig::default()
        })
        .await
        .err()
        .expect("refused");
        assert!(err.to_string().contains(why), "{name}: {err}");
    }
}

/// The documented rate quotas of the new operations: 5 TPS for storage, encoder and ingest
/// configurations, 3 TPS for public keys. The clock stands still, so exactly one second's
/// burst passes.
#[tokio::test]
async fn rate_quotas_of_the_configuration_operations() {
    let clock = ivstack_local::Clock::manual();
    let ep = common::start_local_with_clock(
        LocalConfig {
            quotas_aws: true,
            ..LocalConfig::default()
        },
        clock.clone(),
    )
    .await;
    let raw = Client::new(&common::no_retries(&common::sdk_config(&ep)));
    let mut passed = std::collections::BTreeMap::new();
    for _ in 0..8 {
        for (op, ok) in [
            (
                "ListStorageConfigurations",
                raw.list_storage_configurations().send().await.is_ok(),
            ),
            (
                "ListEncoderConfigurations",
                raw.list_encoder_configurations().send().await.is_ok(),
            ),
            (
                "ListIngestConfigurations",
                raw.list_ingest_configurations().send().await.is_ok(),
            ),
            (
                "ListPublicKeys",
                raw.list_public_keys().send().await.is_ok(),
            ),
        ] {
            *passed.entry(op).or_insert(0) += u32::from(ok);
        }
    }
    assert_eq!(passed["ListStorageConfigurations"], 5);
    assert_eq!(passed["ListEncoderConfigurations"], 5);
    assert_eq!(passed["ListIngestConfigurations"], 5);
    assert_eq!(passed["ListPublicKeys"], 3);
    let stats = ep.stats();
    assert_eq!(stats.throttled["ivs:ListPublicKeys"], 5);
    assert_eq!(stats.throttled["ivs:ListStorageConfigurations"], 3);
    // A second later, each bucket has refilled.
    clock.advance(Duration::from_secs(1));
    for _ in 0..3 {
        raw.list_public_keys().send().await.unwrap();
    }
    let e = raw.list_public_keys().send().await.unwrap_err();
    assert_eq!(e.code(), Some("ThrottlingException"));
    ep.shutdown().await.unwrap();
}

/// Configurations survive a restart with `--state` (stream keys included: they are the
/// resource's, as on AWS).
#[tokio::test]
async fn configurations_persist_in_the_state_file() {
    let dir = tempfile::tempdir().unwrap();
    let config = LocalConfig {
        state_file: Some(dir.path().join("state.json")),
        ..LocalConfig::default()
    };
    let ep = common::start_local_with(config.clone()).await;
    let c = client(&ep);
    let sc = storage(&ep, common::REGION, "kept").await;
    let ic = c
        .create_ingest_configuration()
        .ingest_protocol(IngestProtocol::Rtmps)
        .send()
        .await
        .unwrap()
        .ingest_configuration()
        .unwrap()
        .clone();
    ep.shutdown().await.unwrap();

    let ep = common::start_local_with(config).await;
    let c = client(&ep);
    c.get_storage_configuration().arn(&sc).send().await.unwrap();
    let again = c
        .get_ingest_configuration()
        .arn(ic.arn())
        .send()
        .await
        .unwrap();
    assert_eq!(again.ingest_configuration().unwrap(), &ic);
    ep.shutdown().await.unwrap();
}
