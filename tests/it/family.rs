//! End to end, per kind of the IVS Real-Time family (storage, encoder, public-key and
//! ingest configurations): the `ivstack` binary against the in-process local endpoint, and
//! the real AWS SDK to look at (and tamper with) what it made. Each test walks its kind
//! through create, an empty plan, every in-place change, every replace-forcing change,
//! drift made with the SDK, removal in the right order, protection and destroy.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use aws_sdk_ivsrealtime::Client as Ivs;
use serde_json::Value;

use crate::e2e::{World, apply_and_settle, assert_code, text};

/// One change of a JSON plan: kind, logical id, action, and each field with whether it
/// forces the replace.
#[derive(Debug, Clone, PartialEq)]
struct Change {
    kind: String,
    id: String,
    action: String,
    fields: Vec<(String, bool)>,
    reason: String,
}

/// The changes (no-ops left out) of `ivstack plan` for `file`, which must exit 2: there
/// is work to do.
fn pending(w: &World, file: &Path) -> Vec<Change> {
    planned(w, file, 2)
}

/// The changes (no-ops left out) of `ivstack plan --detailed-exitcode` for `file`, which
/// must exit with `code`.
fn planned(w: &World, file: &Path, code: i32) -> Vec<Change> {
    let out = w.run(&[
        "plan",
        file.to_str().expect("utf-8 path"),
        "--output",
        "json",
        "--detailed-exitcode",
    ]);
    assert_code(&out, code);
    let v: Value = serde_json::from_slice(&out.stdout).expect("json plan");
    v["resource_changes"]
        .as_array()
        .expect("resource_changes")
        .iter()
        .filter(|c| c["action"] != "no_op")
        .map(|c| Change {
            kind: c["kind"].as_str().unwrap_or("").into(),
            id: c["id"].as_str().unwrap_or("").into(),
            action: c["action"].as_str().unwrap_or("").into(),
            fields: c["changes"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .map(|f| {
                    (
                        f["path"].as_str().unwrap_or("").to_string(),
                        f["forces_replacement"].as_bool().unwrap_or(false),
                    )
                })
                .collect(),
            reason: c["reason"].as_str().unwrap_or("").into(),
        })
        .collect()
}

/// `(kind, id, action)` of every pending change.
fn actions(changes: &[Change]) -> Vec<(&str, &str, &str)> {
    changes
        .iter()
        .map(|c| (c.kind.as_str(), c.id.as_str(), c.action.as_str()))
        .collect()
}

fn apply(w: &World, file: &Path) -> std::process::Output {
    let out = w.run(&[
        "apply",
        file.to_str().expect("utf-8 path"),
        "--auto-approve",
    ]);
    assert_code(&out, 0);
    out
}

/// Tags of any IVS Real-Time resource.
async fn tags(ivs: &Ivs, arn: &str) -> BTreeMap<String, String> {
    ivs.list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .expect("list tags")
        .tags()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// ARNs of the resources (of one type, listed by `arns`) that carry `ivstack:id=<id>` of
/// stack `fam`.
async fn owned(ivs: &Ivs, arns: Vec<String>, id: &str) -> Vec<String> {
    let mut out = Vec::new();
    for arn in arns {
        let t = tags(ivs, &arn).await;
        if t.get("ivstack:stack").map(String::as_str) == Some("fam")
            && t.get("ivstack:id").map(String::as_str) == Some(id)
        {
            out.push(arn);
        }
    }
    out
}

async fn storage_arns(ivs: &Ivs) -> Vec<String> {
    let out = ivs
        .list_storage_configurations()
        .max_results(100)
        .send()
        .await
        .expect("list storage configurations");
    out.storage_configurations()
        .iter()
        .map(|s| s.arn().to_string())
        .collect()
}

async fn encoder_arns(ivs: &Ivs) -> Vec<String> {
    let out = ivs
        .list_encoder_configurations()
        .max_results(100)
        .send()
        .await
        .expect("list encoder configurations");
    out.encoder_configurations()
        .iter()
        .map(|s| s.arn().to_string())
        .collect()
}

async fn key_arns(ivs: &Ivs) -> Vec<String> {
    let out = ivs
        .list_public_keys()
        .max_results(100)
        .send()
        .await
        .expect("list public keys");
    out.public_keys()
        .iter()
        .filter_map(|k| k.arn().map(str::to_string))
        .collect()
}

async fn ingest_arns(ivs: &Ivs) -> Vec<String> {
    let out = ivs
        .list_ingest_configurations()
        .max_results(100)
        .send()
        .await
        .expect("list ingest configurations");
    out.ingest_configurations()
        .iter()
        .map(|s| s.arn().to_string())
        .collect()
}

async fn stage_arn(ivs: &Ivs, id: &str) -> String {
    let out = ivs
        .list_stages()
        .max_results(100)
        .send()
        .await
        .expect("list stages");
    let arns = out.stages().iter().map(|s| s.arn().to_string()).collect();
    let mut found = owned(ivs, arns, id).await;
    assert_eq!(found.len(), 1, "stage {id}: {found:?}");
    found.remove(0)
}

/// The one live resource of stack `fam` with logical id `id` among `arns`.
async fn one(ivs: &Ivs, arns: Vec<String>, id: &str) -> String {
    let mut found = owned(ivs, arns, id).await;
    assert_eq!(found.len(), 1, "{id}: {found:?}");
    found.remove(0)
}

async fn recording_arn(ivs: &Ivs, stage: &str) -> String {
    ivs.get_stage()
        .arn(stage)
        .send()
        .await
        .expect("get stage")
        .stage()
        .and_then(|s| s.auto_participant_recording_configuration())
        .map(|r| r.storage_configuration_arn().to_string())
        .unwrap_or_default()
}

fn edit(w: &World, body: &mut String, from: &str, to: &str) -> PathBuf {
    assert!(body.contains(from), "{from} not in {body}");
    *body = body.replacen(from, to, 1);
    w.write("stack.yaml", body)
}

// ---------------------------------------------------------------------------------------

const STORAGE: &str = r#"
stack: fam
region: us-east-1
storage_configurations:
  rec:
    s3_bucket: fam-recordings
    tags: {tier: gold}
stages:
  main:
    recording:
      storage: rec
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storage_configurations_end_to_end() {
    let w = World::new().await;
    let ivs = w.ivs();
    let mut body = STORAGE.to_string();
    let f = w.write("stack.yaml", &body);
    apply_and_settle(&w, &f);
    let rec = one(&ivs, storage_arns(&ivs).await, "rec").await;
    let got = ivs
        .get_storage_configuration()
        .arn(&rec)
        .send()
        .await
        .expect("get storage configuration");
    let got = got.storage_configuration().expect("storage configuration");
    assert_eq!(got.name(), Some("fam-rec"));
    assert_eq!(got.s3().map(|s| s.bucket_name()), Some("fam-recordings"));
    let main = stage_arn(&ivs, "main").await;
    assert_eq!(recording_arn(&ivs, &main).await, rec);

    // Tags change in place.
    let f = edit(&w, &mut body, "tier: gold", "tier: silver");
    let c = pending(&w, &f);
    assert_eq!(actions(&c), [("storage-configuration", "rec", "update")]);
    assert_eq!(c[0].fields, [("tags.tier".to_string(), false)]);
    apply_and_settle(&w, &f);
    assert_eq!(tags(&ivs, &rec).await["tier"], "silver");
    assert_eq!(one(&ivs, storage_arns(&ivs).await, "rec").await, rec);

    // A new bucket replaces it: created first, the stage moves, the old one goes.
    let f = edit(
        &w,
        &mut body,
        "s3_bucket: fam-recordings",
        "s3_bucket: fam-archive",
    );
    let c = pending(&w, &f);
    assert_eq!(
        actions(&c),
        [
            ("storage-configuration", "rec", "replace"),
            ("stage", "main", "update")
        ]
    );
    assert!(
        c[0].fields.contains(&("s3_bucket".to_string(), true)),
        "{c:?}"
    );
    assert_eq!(
        c[1].fields,
        [("recording.storage_configuration_arn".to_string(), false)]
    );
    apply_and_settle(&w, &f);
    let replaced = one(&ivs, storage_arns(&ivs).await, "rec").await;
    assert_ne!(replaced, rec);
    assert_eq!(recording_arn(&ivs, &main).await, replaced);
    let old = ivs.get_storage_configuration().arn(&rec).send().await;
    assert!(old.is_err(), "the old storage configuration is gone");

    // A new name replaces it too (IVS has no update).
    let f = edit(&w, &mut body, "  rec:\n", "  rec:\n    name: fam-renamed\n");
    let c = pending(&w, &f);
    assert_eq!(c[0].action, "replace");
    assert!(c[0].fields.contains(&("name".to_string(), true)), "{c:?}");
    apply_and_settle(&w, &f);
    let renamed = one(&ivs, storage_arns(&ivs).await, "rec").await;
    assert_ne!(renamed, replaced);
    assert_eq!(recording_arn(&ivs, &main).await, renamed);

    // Drift made by hand is shown and reverted.
    ivs.tag_resource()
        .resource_arn(&renamed)
        .tags("added-by-hand", "x")
        .send()
        .await
        .expect("drift tag");
    ivs.untag_resource()
        .resource_arn(&renamed)
        .tag_keys("tier")
        .send()
        .await
        .expect("drift untag");
    let c = pending(&w, &f);
    assert_eq!(actions(&c), [("storage-configuration", "rec", "update")]);
    assert_eq!(
        c[0].fields,
        [
            ("tags.added-by-hand".to_string(), false),
            ("tags.tier".to_string(), false)
        ]
    );
    apply_and_settle(&w, &f);
    let t = tags(&ivs, &renamed).await;
    assert_eq!(t.get("tier").map(String::as_str), Some("silver"));
    assert!(!t.contains_key("added-by-hand"));

    // A stage outside the stack records to it: removing it from the file is refused, with
    // who holds it, and nothing is attempted.
    let outsider = ivs
        .create_stage()
        .name("made-by-hand")
        .auto_participant_recording_configuration(
            aws_sdk_ivsrealtime::types::AutoParticipantRecordingConfiguration::builder()
                .storage_configuration_arn(&renamed)
                .build()
                .expect("recording"),
        )
        .send()
        .await
        .expect("outside stage")
        .stage()
        .map(|s| s.arn().to_string())
        .expect("stage arn");
    let off = "stack: fam\nregion: us-east-1\nstages:\n  main:\n    recording:\n      storage_configuration_arn: \"\"\n";
    let f = w.write("stack.yaml", off);
    let c = pending(&w, &f);
    assert_eq!(
        actions(&c),
        [
            ("storage-configuration", "rec", "delete_refused"),
            ("stage", "main", "update")
        ]
    );
    assert!(
        c[0].reason.contains("stage `made-by-hand`"),
        "{}",
        c[0].reason
    );
    assert!(
        c[0].reason.contains("which no ivstack stack manages"),
        "{}",
        c[0].reason
    );
    let out = apply(&w, &f);
    assert!(text(&out).contains("made-by-hand"), "{}", text(&out));
    assert_eq!(recording_arn(&ivs, &main).await, "");
    assert_eq!(one(&ivs, storage_arns(&ivs).await, "rec").await, renamed);
    // Once the outsider lets go, it is deleted.
    ivs.delete_stage()
        .arn(&outsider)
        .send()
        .await
        .expect("delete outside stage");
    let c = pending(&w, &f);
    assert_eq!(actions(&c), [("storage-configuration", "rec", "delete")]);
    apply_and_settle(&w, &f);
    assert!(
        owned(&ivs, storage_arns(&ivs).await, "rec")
            .await
            .is_empty()
    );

    // Removal in the right order: the stage lets go of it in the same apply (the
    // endpoint refuses to delete a storage configuration in use, as AWS does).
    let f = w.write("stack.yaml", STORAGE);
    apply_and_settle(&w, &f);
    let rec = one(&ivs, storage_arns(&ivs).await, "rec").await;
    assert_eq!(recording_arn(&ivs, &main).await, rec);
    let f = w.write("stack.yaml", off);
    let c = pending(&w, &f);
    assert_eq!(
        actions(&c),
        [
            ("storage-configuration", "rec", "delete"),
            ("stage", "main", "update")
        ]
    );
    apply_and_settle(&w, &f);
    assert!(
        owned(&ivs, storage_arns(&ivs).await, "rec")
            .await
            .is_empty()
    );

    // A protected stage keeps the storage configuration it records to.
    let protected = STORAGE.replace("  main:\n", "  main:\n    protect: true\n");
    let f = w.write("stack.yaml", &protected);
    apply_and_settle(&w, &f);
    let rec = one(&ivs, storage_arns(&ivs).await, "rec").await;
    let f = w.write("stack.yaml", "stack: fam\nregion: us-east-1\n");
    // Only refusals: nothing to do.
    let c = planned(&w, &f, 0);
    assert_eq!(
        actions(&c),
        [
            ("storage-configuration", "rec", "delete_refused"),
            ("stage", "main", "delete_refused")
        ]
    );
    assert!(
        c[0].reason
            .contains("stage `main`, which stays, still uses it"),
        "{}",
        c[0].reason
    );
    let out = apply(&w, &f);
    assert!(
        text(&out).contains("2 refused (protected or in use)"),
        "{}",
        text(&out)
    );
    assert_eq!(one(&ivs, storage_arns(&ivs).await, "rec").await, rec);

    // A bucket that does not exist: the apply fails at the storage configuration, says how
    // to create the bucket, and what depends on it is not attempted.
    let missing = STORAGE.replace("fam-recordings", "fam-missing");
    let f = w.write("stack.yaml", &missing);
    let out = w.run(&["apply", f.to_str().unwrap(), "--auto-approve"]);
    assert_code(&out, 1);
    let t = text(&out);
    assert!(
        t.contains("aws s3 mb s3://fam-missing --region us-east-1"),
        "{t}"
    );
    assert!(t.contains("ivs:CreateStorageConfiguration failed"), "{t}");
    assert!(t.contains("not attempted: stage.main"), "{t}");

    // A protected storage configuration survives destroy; an unprotected one does not.
    let both = STORAGE.replace("    tags: {tier: gold}\n", "    protect: true\n");
    let f = w.write("stack.yaml", &both);
    apply_and_settle(&w, &f);
    assert_code(
        &w.run(&["destroy", f.to_str().unwrap(), "--auto-approve"]),
        0,
    );
    assert_eq!(one(&ivs, storage_arns(&ivs).await, "rec").await, rec);
    let unprotected = STORAGE.to_string();
    let f = w.write("stack.yaml", &unprotected);
    apply_and_settle(&w, &f);
    assert_code(
        &w.run(&["destroy", f.to_str().unwrap(), "--auto-approve"]),
        0,
    );
    assert!(
        owned(&ivs, storage_arns(&ivs).await, "rec")
            .await
            .is_empty()
    );
}

// ---------------------------------------------------------------------------------------

const ENCODER: &str = r#"
stack: fam
region: us-east-1
encoder_configurations:
  hd:
    video: { width: 1280, height: 720, framerate: 30, bitrate: 2500000 }
    tags: {tier: gold}
  plain: {}
"#;

/// (width, height, framerate, bitrate) of an encoder configuration.
async fn video(ivs: &Ivs, arn: &str) -> (i32, i32, f32, i32) {
    let out = ivs
        .get_encoder_configuration()
        .arn(arn)
        .send()
        .await
        .expect("get encoder configuration");
    let v = out
        .encoder_configuration()
        .and_then(|e| e.video())
        .expect("video");
    (
        v.width().unwrap_or_default(),
        v.height().unwrap_or_default(),
        v.framerate().unwrap_or_default(),
        v.bitrate().unwrap_or_default(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn encoder_configurations_end_to_end() {
    let w = World::new().await;
    let ivs = w.ivs();
    let mut body = ENCODER.to_string();
    let f = w.write("stack.yaml", &body);
    apply_and_settle(&w, &f);
    let hd = one(&ivs, encoder_arns(&ivs).await, "hd").await;
    assert_eq!(video(&ivs, &hd).await, (1280, 720, 30.0, 2_500_000));
    // No video in the file: AWS's defaults, and unmanaged.
    let plain = one(&ivs, encoder_arns(&ivs).await, "plain").await;
    assert_eq!(video(&ivs, &plain).await, (1280, 720, 30.0, 2_500_000));

    // Tags change in place.
    let f = edit(&w, &mut body, "tier: gold", "tier: silver");
    let c = pending(&w, &f);
    assert_eq!(actions(&c), [("encoder-configuration", "hd", "update")]);
    apply_and_settle(&w, &f);
    assert_eq!(one(&ivs, encoder_arns(&ivs).await, "hd").await, hd);
    assert_eq!(tags(&ivs, &hd).await["tier"], "silver");

    // Video replaces it, field by field.
    let f = edit(
        &w,
        &mut body,
        "width: 1280, height: 720",
        "width: 1920, height: 1080",
    );
    let c = pending(&w, &f);
    assert_eq!(actions(&c), [("encoder-configuration", "hd", "replace")]);
    assert_eq!(
        c[0].fields,
        [
            ("video.height".to_string(), true),
            ("video.width".to_string(), true)
        ]
    );
    apply_and_settle(&w, &f);
    let hd2 = one(&ivs, encoder_arns(&ivs).await, "hd").await;
    assert_ne!(hd2, hd);
    assert_eq!(video(&ivs, &hd2).await, (1920, 1080, 30.0, 2_500_000));
    assert!(
        ivs.get_encoder_configuration()
            .arn(&hd)
            .send()
            .await
            .is_err()
    );
    // A fractional framerate survives IVS's 32-bit float: the next plan is empty.
    let f = edit(&w, &mut body, "framerate: 30", "framerate: 29.97");
    assert_eq!(
        pending(&w, &f)[0].fields,
        [("video.framerate".to_string(), true)]
    );
    apply_and_settle(&w, &f);
    let f = edit(&w, &mut body, "bitrate: 2500000", "bitrate: 6000000");
    assert_eq!(
        pending(&w, &f)[0].fields,
        [("video.bitrate".to_string(), true)]
    );
    apply_and_settle(&w, &f);
    // And a name.
    let f = edit(&w, &mut body, "  hd:\n", "  hd:\n    name: fam-hd-2\n");
    assert_eq!(pending(&w, &f)[0].fields, [("name".to_string(), true)]);
    apply_and_settle(&w, &f);
    let hd3 = one(&ivs, encoder_arns(&ivs).await, "hd").await;
    assert_eq!(video(&ivs, &hd3).await, (1920, 1080, 29.97, 6_000_000));

    // Drift by hand: shown, reverted.
    ivs.tag_resource()
        .resource_arn(&hd3)
        .tags("tier", "bronze")
        .send()
        .await
        .expect("drift");
    let c = pending(&w, &f);
    assert_eq!(c[0].fields, [("tags.tier".to_string(), false)]);
    apply_and_settle(&w, &f);
    assert_eq!(tags(&ivs, &hd3).await["tier"], "silver");

    // Removal deletes; protect keeps; destroy takes the rest.
    let f = edit(&w, &mut body, "  plain: {}\n", "");
    assert_eq!(
        actions(&pending(&w, &f)),
        [("encoder-configuration", "plain", "delete")]
    );
    apply_and_settle(&w, &f);
    assert!(
        owned(&ivs, encoder_arns(&ivs).await, "plain")
            .await
            .is_empty()
    );
    let f = edit(
        &w,
        &mut body,
        "    tags: {tier: silver}\n",
        "    tags: {tier: silver}\n    protect: true\n",
    );
    apply_and_settle(&w, &f);
    assert_code(
        &w.run(&["destroy", f.to_str().unwrap(), "--auto-approve"]),
        0,
    );
    assert_eq!(one(&ivs, encoder_arns(&ivs).await, "hd").await, hd3);
    let f = edit(&w, &mut body, "    protect: true\n", "");
    apply_and_settle(&w, &f);
    assert_code(
        &w.run(&["destroy", f.to_str().unwrap(), "--auto-approve"]),
        0,
    );
    assert!(owned(&ivs, encoder_arns(&ivs).await, "hd").await.is_empty());
}

// ---------------------------------------------------------------------------------------

/// A P-384 public key in PEM; `seed` picks the (fixed, non-secret) private scalar.
fn public_pem(seed: u8) -> String {
    use p384::pkcs8::{EncodePublicKey, LineEnding};
    let bytes: Vec<u8> = (seed..seed + 48).collect();
    p384::SecretKey::from_slice(&bytes)
        .expect("scalar")
        .public_key()
        .to_public_key_pem(LineEnding::LF)
        .expect("pem")
}

fn indented(pem: &str) -> String {
    pem.lines().map(|l| format!("      {l}\n")).collect()
}

async fn material(ivs: &Ivs, arn: &str) -> String {
    ivs.get_public_key()
        .arn(arn)
        .send()
        .await
        .expect("get public key")
        .public_key()
        .and_then(|k| k.public_key_material())
        .expect("material")
        .to_string()
}

/// The same key, whatever line endings and blank lines surround it.
fn same_key(a: &str, b: &str) -> bool {
    let norm = |s: &str| s.split_whitespace().collect::<String>();
    norm(a) == norm(b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_keys_end_to_end() {
    let w = World::new().await;
    let ivs = w.ivs();
    std::fs::create_dir(w.dir.path().join("keys")).expect("keys dir");
    std::fs::write(w.dir.path().join("keys/file.pub.pem"), public_pem(10)).expect("key file");
    let mut body = format!(
        "stack: fam\nregion: us-east-1\npublic_keys:\n  signer:\n    tags: {{tier: gold}}\n    public_key_pem: |\n{}  from-file:\n    public_key_file: keys/file.pub.pem\n",
        indented(&public_pem(1))
    );
    let f = w.write("stack.yaml", &body);
    apply_and_settle(&w, &f);
    let signer = one(&ivs, key_arns(&ivs).await, "signer").await;
    assert!(same_key(&material(&ivs, &signer).await, &public_pem(1)));
    let from_file = one(&ivs, key_arns(&ivs).await, "from-file").await;
    assert!(same_key(&material(&ivs, &from_file).await, &public_pem(10)));

    // Tags in place.
    let f = edit(&w, &mut body, "tier: gold", "tier: silver");
    assert_eq!(
        actions(&pending(&w, &f)),
        [("public-key", "signer", "update")]
    );
    apply_and_settle(&w, &f);
    assert_eq!(one(&ivs, key_arns(&ivs).await, "signer").await, signer);

    // A new key replaces it: imported first (AWS allows three, so one spare), old deleted.
    let f = edit(
        &w,
        &mut body,
        &indented(&public_pem(1)),
        &indented(&public_pem(2)),
    );
    let c = pending(&w, &f);
    assert_eq!(actions(&c), [("public-key", "signer", "replace")]);
    assert_eq!(c[0].fields, [("public_key_pem".to_string(), true)]);
    apply_and_settle(&w, &f);
    let signer2 = one(&ivs, key_arns(&ivs).await, "signer").await;
    assert_ne!(signer2, signer);
    assert!(same_key(&material(&ivs, &signer2).await, &public_pem(2)));
    assert!(ivs.get_public_key().arn(&signer).send().await.is_err());

    // The same key under a new name: IVS refuses a second import of a key, so the old
    // one is deleted first (the endpoint refuses duplicates as IVS does: a wrong order
    // fails this apply).
    let f = edit(
        &w,
        &mut body,
        "  signer:\n",
        "  signer:\n    name: fam-signer-2\n",
    );
    let c = pending(&w, &f);
    assert_eq!(c[0].fields, [("name".to_string(), true)]);
    apply_and_settle(&w, &f);
    let signer3 = one(&ivs, key_arns(&ivs).await, "signer").await;
    assert!(same_key(&material(&ivs, &signer3).await, &public_pem(2)));

    // The file changes: a replace as well.
    std::fs::write(w.dir.path().join("keys/file.pub.pem"), public_pem(20)).expect("key file");
    let c = pending(&w, &f);
    assert_eq!(actions(&c), [("public-key", "from-file", "replace")]);
    apply_and_settle(&w, &f);
    let from_file = one(&ivs, key_arns(&ivs).await, "from-file").await;
    assert!(same_key(&material(&ivs, &from_file).await, &public_pem(20)));

    // Drift by hand: shown, reverted.
    ivs.untag_resource()
        .resource_arn(&signer3)
        .tag_keys("tier")
        .send()
        .await
        .expect("drift");
    assert_eq!(
        pending(&w, &f)[0].fields,
        [("tags.tier".to_string(), false)]
    );
    apply_and_settle(&w, &f);

    // Removal deletes; protect keeps; destroy takes the rest.
    let without_file = body.replace("  from-file:\n    public_key_file: keys/file.pub.pem\n", "");
    let f = w.write("stack.yaml", &without_file);
    assert_eq!(
        actions(&pending(&w, &f)),
        [("public-key", "from-file", "delete")]
    );
    apply_and_settle(&w, &f);
    assert!(
        owned(&ivs, key_arns(&ivs).await, "from-file")
            .await
            .is_empty()
    );
    let protected = without_file.replace(
        "    tags: {tier: silver}\n",
        "    tags: {tier: silver}\n    protect: true\n",
    );
    let f = w.write("stack.yaml", &protected);
    apply_and_settle(&w, &f);
    assert_code(
        &w.run(&["destroy", f.to_str().unwrap(), "--auto-approve"]),
        0,
    );
    assert_eq!(one(&ivs, key_arns(&ivs).await, "signer").await, signer3);
    let f = w.write("stack.yaml", &without_file);
    apply_and_settle(&w, &f);
    assert_code(
        &w.run(&["destroy", f.to_str().unwrap(), "--auto-approve"]),
        0,
    );
    assert!(key_arns(&ivs).await.is_empty());
}

// ---------------------------------------------------------------------------------------

const INGEST: &str = r#"
stack: fam
region: us-east-1
stages:
  main: {}
  backup: {}
ingest_configurations:
  studio:
    stage: main
    ingest_protocol: RTMPS
    user_id: studio
    attributes: { role: host }
    insecure_ingest: false
    tags: {tier: gold}
"#;

/// (stage ARN, protocol, user id, attributes, redundant ingest, stream key).
async fn ingest(
    ivs: &Ivs,
    arn: &str,
) -> (
    String,
    String,
    String,
    BTreeMap<String, String>,
    bool,
    String,
) {
    let out = ivs
        .get_ingest_configuration()
        .arn(arn)
        .send()
        .await
        .expect("get ingest configuration");
    let c = out.ingest_configuration().expect("ingest configuration");
    (
        c.stage_arn().to_string(),
        c.ingest_protocol().as_str().to_string(),
        c.user_id().unwrap_or_default().to_string(),
        c.attributes()
            .map(|a| a.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
        c.redundant_ingest(),
        c.stream_key().to_string(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_configurations_end_to_end() {
    let w = World::new().await;
    let ivs = w.ivs();
    let mut body = INGEST.to_string();
    let f = w.write("stack.yaml", &body);
    let saved = w.dir.path().join("plan.json");
    assert_code(
        &w.run(&[
            "plan",
            f.to_str().unwrap(),
            "--out",
            saved.to_str().unwrap(),
        ]),
        0,
    );
    let first = w.run(&["-v", "apply", saved.to_str().unwrap()]);
    assert_code(&first, 0);
    assert_code(
        &w.run(&["plan", f.to_str().unwrap(), "--detailed-exitcode"]),
        0,
    );
    let main = stage_arn(&ivs, "main").await;
    let backup = stage_arn(&ivs, "backup").await;
    let studio = one(&ivs, ingest_arns(&ivs).await, "studio").await;
    let (stage, protocol, user, attributes, redundant, key) = ingest(&ivs, &studio).await;
    assert_eq!(
        (stage.as_str(), protocol.as_str(), user.as_str(), redundant),
        (main.as_str(), "RTMPS", "studio", false)
    );
    assert_eq!(
        attributes,
        BTreeMap::from([("role".to_string(), "host".to_string())])
    );
    assert!(key.starts_with("rt_"), "a stream key was issued");

    // The stream key appears nowhere ivstack writes: apply output, a saved plan, plans in
    // every format (with a change pending, so the ingest configuration is in them).
    let f = edit(&w, &mut body, "stage: main", "stage: backup");
    let mut seen = vec![
        text(&first),
        std::fs::read_to_string(&saved).expect("saved plan"),
    ];
    for output in ["text", "json", "markdown"] {
        let out = w.run(&["-vv", "plan", f.to_str().unwrap(), "--output", output]);
        assert_code(&out, 0);
        seen.push(text(&out));
    }
    for s in &seen {
        assert!(!s.contains(&key), "the stream key leaked: {s}");
    }
    assert!(
        seen[2].contains("ingest-configuration.studio"),
        "{}",
        seen[2]
    );

    // Moving to another stage is in place: same ARN, same stream key.
    let c = pending(&w, &f);
    assert_eq!(actions(&c), [("ingest-configuration", "studio", "update")]);
    assert_eq!(c[0].fields, [("stage".to_string(), false)]);
    apply_and_settle(&w, &f);
    assert_eq!(one(&ivs, ingest_arns(&ivs).await, "studio").await, studio);
    let (stage, .., key_after) = ingest(&ivs, &studio).await;
    assert_eq!(stage, backup);
    assert_eq!(key_after, key);
    // Redundant ingest and tags too.
    let f = edit(
        &w,
        &mut body,
        "    insecure_ingest: false\n",
        "    insecure_ingest: false\n    redundant_ingest: true\n",
    );
    assert_eq!(
        pending(&w, &f)[0].fields,
        [("redundant_ingest".to_string(), false)]
    );
    apply_and_settle(&w, &f);
    let f = edit(&w, &mut body, "tier: gold", "tier: silver");
    assert_eq!(
        pending(&w, &f)[0].fields,
        [("tags.tier".to_string(), false)]
    );
    apply_and_settle(&w, &f);
    assert_eq!(one(&ivs, ingest_arns(&ivs).await, "studio").await, studio);
    assert!(ingest(&ivs, &studio).await.4);

    // Everything else replaces it (a new stream key with it).
    let mut arn = studio.clone();
    for (from, to, field) in [
        ("user_id: studio", "user_id: studio-2", "user_id"),
        ("role: host", "role: guest", "attributes.role"),
        (
            "ingest_protocol: RTMPS",
            "ingest_protocol: RTMP",
            "ingest_protocol",
        ),
        ("  studio:\n", "  studio:\n    name: fam-studio-2\n", "name"),
    ] {
        let body_before = body.clone();
        let f = if field == "ingest_protocol" {
            edit(
                &w,
                &mut body,
                "insecure_ingest: false",
                "insecure_ingest: true",
            );
            edit(&w, &mut body, from, to)
        } else {
            edit(&w, &mut body, from, to)
        };
        let c = pending(&w, &f);
        assert_eq!(
            actions(&c),
            [("ingest-configuration", "studio", "replace")],
            "{field}"
        );
        assert!(
            c[0].fields.contains(&(field.to_string(), true)),
            "{field}: {c:?}"
        );
        assert!(body != body_before);
        apply_and_settle(&w, &f);
        let new = one(&ivs, ingest_arns(&ivs).await, "studio").await;
        assert_ne!(new, arn, "{field}");
        assert!(
            ivs.get_ingest_configuration()
                .arn(&arn)
                .send()
                .await
                .is_err()
        );
        arn = new;
    }
    let (stage, protocol, user, attributes, ..) = ingest(&ivs, &arn).await;
    assert_eq!(
        (stage.as_str(), protocol.as_str(), user.as_str()),
        (backup.as_str(), "RTMP", "studio-2")
    );
    assert_eq!(attributes["role"], "guest");

    // Drift by hand: moved back to main, shown, reverted.
    ivs.update_ingest_configuration()
        .arn(&arn)
        .stage_arn(&main)
        .send()
        .await
        .expect("drift");
    let f = w.write("stack.yaml", &body);
    let c = pending(&w, &f);
    assert_eq!(c[0].fields, [("stage".to_string(), false)]);
    apply_and_settle(&w, &f);
    assert_eq!(ingest(&ivs, &arn).await.0, backup);

    // Removing the stage and the ingest configuration on it deletes both.
    let gone = body
        .replace("  backup: {}\n", "")
        .split("ingest_configurations:")
        .next()
        .unwrap()
        .to_string();
    let f = w.write("stack.yaml", &gone);
    let c = pending(&w, &f);
    assert_eq!(
        actions(&c),
        [
            ("stage", "backup", "delete"),
            ("ingest-configuration", "studio", "delete")
        ]
    );
    apply_and_settle(&w, &f);
    assert!(
        owned(&ivs, ingest_arns(&ivs).await, "studio")
            .await
            .is_empty()
    );

    // Protect keeps it through destroy; without protect, destroy takes it.
    let protected = INGEST.replace(
        "    tags: {tier: gold}\n",
        "    tags: {tier: gold}\n    protect: true\n",
    );
    let f = w.write("stack.yaml", &protected);
    apply_and_settle(&w, &f);
    assert_code(
        &w.run(&["destroy", f.to_str().unwrap(), "--auto-approve"]),
        0,
    );
    let kept = one(&ivs, ingest_arns(&ivs).await, "studio").await;
    // Its stage went: AWS detaches it.
    assert_eq!(ingest(&ivs, &kept).await.0, "");
    let f = w.write("stack.yaml", INGEST);
    apply_and_settle(&w, &f);
    assert_code(
        &w.run(&["destroy", f.to_str().unwrap(), "--auto-approve"]),
        0,
    );
    assert!(ingest_arns(&ivs).await.is_empty());
}

// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policy_statements_name_every_ivs_kind_as_exact_arns() {
    let w = World::new().await;
    let ivs = w.ivs();
    let body = format!(
        r#"
stack: fam
region: us-east-1
storage_configurations:
  rec: {{ s3_bucket: fam-recordings }}
encoder_configurations:
  hd: {{}}
public_keys:
  signer:
    public_key_pem: |
{}stages:
  main: {{}}
ingest_configurations:
  studio: {{ stage: main, ingest_protocol: RTMPS }}
policies:
  ops:
    statements:
      - allow: [ivs:GetStorageConfiguration]
        storage_configurations: [rec]
      - allow: [ivs:GetEncoderConfiguration]
        encoder_configurations: [hd]
      - allow: [ivs:GetPublicKey]
        public_keys: [signer]
      - allow: [ivs:UpdateIngestConfiguration]
        ingest_configurations: [studio]
"#,
        indented(&public_pem(30))
    );
    let f = w.write("stack.yaml", &body);
    apply_and_settle(&w, &f);
    let iam = aws_sdk_iam::Client::new(&crate::common::sdk_config(&w.endpoint));
    let policy = iam
        .list_policies()
        .path_prefix("/ivstack/fam/")
        .send()
        .await
        .expect("list policies")
        .policies()[0]
        .clone();
    let version = iam
        .get_policy_version()
        .policy_arn(policy.arn().expect("arn"))
        .version_id(policy.default_version_id().expect("version"))
        .send()
        .await
        .expect("get policy version");
    let doc = version
        .policy_version()
        .and_then(|v| v.document())
        .expect("document");
    let doc = percent_encoding::percent_decode_str(doc)
        .decode_utf8_lossy()
        .to_string();
    let doc: Value = serde_json::from_str(&doc).expect("json document");
    let resources: Vec<String> = doc["Statement"]
        .as_array()
        .expect("statements")
        .iter()
        .map(|s| {
            s["Resource"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| s["Resource"][0].as_str().unwrap_or("").to_string())
        })
        .collect();
    let expected = [
        one(&ivs, storage_arns(&ivs).await, "rec").await,
        one(&ivs, encoder_arns(&ivs).await, "hd").await,
        one(&ivs, key_arns(&ivs).await, "signer").await,
        one(&ivs, ingest_arns(&ivs).await, "studio").await,
    ];
    for arn in &expected {
        assert!(resources.contains(arn), "{arn} not in {resources:?}");
    }
}

// ---------------------------------------------------------------------------------------

#[test]
fn local_mode_creates_the_buckets_a_stack_names_once_and_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let stack = dir.path().join("stack.yaml");
    std::fs::write(
        &stack,
        "stack: fam\nregion: us-west-2\nstorage_configurations:\n  rec:\n    s3_bucket: fam-local-recordings\nstages:\n  main:\n    recording:\n      storage: rec\n",
    )
    .expect("write stack");
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_ivstack"))
            .args(args)
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .output()
            .expect("run ivstack")
    };
    let s = stack.to_str().expect("utf-8 path");
    // A plan changes nothing, buckets included.
    let plan = run(&["--local", "plan", s]);
    assert_code(&plan, 0);
    assert!(
        !text(&plan).contains("created the S3 bucket"),
        "{}",
        text(&plan)
    );
    let first = run(&["--local", "apply", s, "--auto-approve"]);
    assert_code(&first, 0);
    assert!(
        text(&first).contains(
            "--local: created the S3 bucket `fam-local-recordings` (us-west-2) that the stack's \
             storage configurations name, in the embedded endpoint only; on AWS, create it \
             yourself: aws s3 mb s3://fam-local-recordings --region us-west-2"
        ),
        "{}",
        text(&first)
    );
    let again = run(&["--local", "apply", s, "--auto-approve"]);
    assert_code(&again, 0);
    assert!(
        !text(&again).contains("created the S3 bucket"),
        "{}",
        text(&again)
    );
    assert!(text(&again).contains("No changes"), "{}", text(&again));
    assert_code(&run(&["--local", "destroy", s, "--auto-approve"]), 0);
}
