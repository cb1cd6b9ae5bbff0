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
