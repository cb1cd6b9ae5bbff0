//! The planner's proof: every action, every normalisation rule, and a property test that
//! applying a plan and planning again converges.
//!
//! Stack files are built with plain data; observed resources are built the way the kinds'
//! `observe` functions shape them (same spec keys, physical ids, all tags, IAM documents as
//! `to_pretty(&canonical(&decode(text)))`).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::compute;
use super::compute::plan;
use super::order::{self, Op};
use super::{Action, FieldChange, Plan, ResourceChange};
use crate::kinds::encoder_configuration::{EncoderConfiguration, Video};
use crate::kinds::ingest_configuration::{IngestConfiguration, IngestProtocol};
use crate::kinds::public_key::PublicKey;
use crate::kinds::same;
use crate::kinds::storage_configuration::StorageConfiguration;
use crate::kinds::{
    self, Kind, Known, Resource, TAG_ID, TAG_PROTECT, TAG_STACK, desired_of, iam_document,
    resolve_placeholders,
};
use crate::stack::model::{
    Alarm, Budget, Comparison, MediaType, Metric, Policy, Recording, StackFile, Stage, Statement,
    Statistic, ThumbnailMode, Thumbnails,
};

// ---------------------------------------------------------------------------------------
// Helpers: stack files and observed resources as plain data.

const ACCOUNT: &str = "123456789012";

fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn stack() -> StackFile {
    StackFile {
        stack: "live".into(),
        region: "us-west-2".into(),
        account: Some(ACCOUNT.into()),
        tags: tags(&[("team", "media")]),
        ..StackFile::default()
    }
}

fn stage() -> Stage {
    Stage::default()
}

fn stage_arn(suffix: &str) -> String {
    format!("arn:aws:ivs:us-west-2:{ACCOUNT}:stage/{suffix}")
}

fn recording() -> Recording {
    Recording {
        storage_configuration_arn: Some(format!(
            "arn:aws:ivs:us-west-2:{ACCOUNT}:storage-configuration/AbCd"
        )),
        media_types: Some(vec![MediaType::AudioVideo]),
        ..Default::default()
    }
}

fn policy(stages: &[&str]) -> Policy {
    Policy {
        description: Some("Mints participant tokens".into()),
        statements: vec![Statement {
            allow: vec!["ivs:CreateParticipantToken".into(), "ivs:GetStage".into()],
            ids: BTreeMap::from([(Kind::Stage, stages.iter().map(|s| s.to_string()).collect())]),
            ..Default::default()
        }],
        ..Default::default()
    }
}

fn alarm(stage: Option<&str>) -> Alarm {
    Alarm {
        name: None,
        stage: stage.map(str::to_string),
        metric: Metric::Publishers,
        statistic: Statistic::Maximum,
        comparison: Comparison::GreaterOrEqual,
        threshold: 11.0,
        period_seconds: Some(60),
        evaluation_periods: Some(1),
        datapoints_to_alarm: None,
        treat_missing_data: None,
        alarm_actions: vec![format!("arn:aws:sns:us-west-2:{ACCOUNT}:ops")],
        ok_actions: vec![],
        insufficient_data_actions: vec![],
        description: None,
        tags: BTreeMap::new(),
        protect: false,
    }
}

fn budget(limit: f64) -> Budget {
    Budget {
        name: None,
        limit_usd: limit,
        period: None,
        notify_percent: None,
        forecast_percent: vec![],
        emails: vec!["ops@example.com".into()],
        sns_topic_arn: None,
        scope: None,
        tags: BTreeMap::new(),
        protect: false,
    }
}

/// A stack with one resource of every kind: stage `main`, policy `minter` and alarm
/// `publishers` on it, budget `monthly`.
fn full_stack() -> StackFile {
    let mut s = stack();
    s.stages.insert(
        "main".into(),
        Stage {
            recording: Some(recording()),
            tags: tags(&[("tier", "gold")]),
            ..stage()
        },
    );
    s.policies.insert("minter".into(), policy(&["main"]));
    s.alarms.insert("publishers".into(), alarm(Some("main")));
    s.budgets.insert("monthly".into(), budget(500.0));
    s
}

/// IAM's view of a document: what observe stores after reading IAM's URL-encoded text.
fn observed_document(text: &str) -> String {
    let decoded = iam_document::decode(text).expect("test document decodes");
    iam_document::to_pretty(&iam_document::canonical(&decoded))
}

/// The live twin of a desired resource, as observe would report it after a clean apply.
fn live(d: &Resource, pid: &str) -> Resource {
    let mut r = d.clone();
    r.physical_id = Some(pid.to_string());
    if r.kind == Kind::Policy
        && let Some(Value::String(doc)) = r.spec.get("document").cloned()
    {
        // IAM gives documents back minified and URL-encoded.
        let minified = iam_document::to_minified(&serde_json::from_str(&doc).expect("json"));
        let encoded =
            percent_encoding::utf8_percent_encode(&minified, percent_encoding::NON_ALPHANUMERIC)
                .to_string();
        r.spec
            .insert("document".into(), json!(observed_document(&encoded)));
    }
    r
}

/// An ARN of an IVS Real-Time resource type in tests.
fn ivs_arn(resource_type: &str, suffix: &str) -> String {
    format!("arn:aws:ivs:us-west-2:{ACCOUNT}:{resource_type}/{suffix}")
}

/// Physical id of a resource in tests: IVS resources get ARNs, the others names/ARNs of
/// their own.
fn pid_for(kind: Kind, id: &str) -> String {
    match kind {
        Kind::Stage => stage_arn(&format!("St{id}")),
        Kind::StorageConfiguration => ivs_arn("storage-configuration", &format!("Sc{id}")),
        Kind::EncoderConfiguration => ivs_arn("encoder-configuration", &format!("Ec{id}")),
        Kind::PublicKey => ivs_arn("public-key", &format!("Pk{id}")),
        Kind::IngestConfiguration => ivs_arn("ingest-configuration", &format!("Ic{id}")),
        Kind::Policy => format!("arn:aws:iam::{ACCOUNT}:policy/ivstack/live/live-{id}"),
        Kind::Alarm | Kind::Budget => format!("live-{id}"),
    }
}

/// Every resource of `stack` as if it existed, with its test physical id.
fn known_all(stack: &StackFile) -> Known {
    let mut known = Known::new();
    for kind in Kind::ALL {
        for id in stack.ids(*kind) {
            known.insert(*kind, id, pid_for(*kind, id));
        }
    }
    known
}

/// Everything in `stack` as it looks live after a clean apply.
fn applied(stack: &StackFile) -> Vec<Resource> {
    kinds::desired(stack, &known_all(stack))
        .iter()
        .map(|d| live(d, &pid_for(d.kind, &d.id)))
        .collect()
}

fn find<'a>(p: &'a Plan, kind: Kind, id: &str) -> &'a ResourceChange {
    p.changes
        .iter()
        .find(|c| c.kind == kind && c.id == id)
        .unwrap_or_else(|| panic!("no change for {kind}.{id} in {:#?}", p.changes))
}

fn field<'a>(c: &'a ResourceChange, path: &str) -> &'a FieldChange {
    c.fields
        .iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("no field {path} in {:#?}", c.fields))
}

fn actions(p: &Plan) -> Vec<(Kind, String, Action)> {
    p.changes
        .iter()
        .map(|c| (c.kind, c.id.clone(), c.action))
        .collect()
}

fn find_mut<'a>(obs: &'a mut [Resource], kind: Kind, id: &str) -> &'a mut Resource {
    obs.iter_mut()
        .find(|r| r.kind == kind && r.id == id)
        .expect("observed resource")
}

// ---------------------------------------------------------------------------------------
// Actions.

#[test]
fn everything_new_is_created_with_every_field() {
    let p = plan(&full_stack(), &[], false);
    assert_eq!(
        actions(&p),
        vec![
            (Kind::Stage, "main".into(), Action::Create),
            (Kind::Policy, "minter".into(), Action::Create),
            (Kind::Alarm, "publishers".into(), Action::Create),
            (Kind::Budget, "monthly".into(), Action::Create),
        ]
    );
    assert!(p.has_changes());
    let s = find(&p, Kind::Stage, "main");
    assert_eq!(s.name, "live-main");
    assert_eq!(s.physical_id, None);
    assert_eq!(field(s, "name").after, Some(json!("live-main")));
    assert_eq!(
        field(s, "recording.media_types").after,
        Some(json!(["AUDIO_VIDEO"]))
    );
    assert_eq!(field(s, "tags.tier").after, Some(json!("gold")));
    assert_eq!(field(s, "tags.team").after, Some(json!("media")));
    assert_eq!(
        field(s, &format!("tags.{TAG_STACK}")).after,
        Some(json!("live"))
    );
    assert_eq!(
        field(s, &format!("tags.{TAG_ID}")).after,
        Some(json!("main"))
    );
    assert!(s.fields.iter().all(|f| f.before.is_none()));
    let summary = p.summary();
    assert_eq!((summary.create, summary.update, summary.delete), (4, 0, 0));
    assert_eq!(
        summary.line(),
        "4 to create, 0 to update, 0 to replace, 0 to delete"
    );
}

#[test]
fn references_to_new_stages_are_known_after_apply() {
    let p = plan(&full_stack(), &[], false);
    let doc = field(find(&p, Kind::Policy, "minter"), "document");
    assert!(doc.after_unknown);
    assert!(
        doc.after
            .as_ref()
            .and_then(Value::as_str)
            .unwrap()
            .contains("${stages.main.arn}")
    );
    let dims = field(find(&p, Kind::Alarm, "publishers"), "dimensions");
    assert!(dims.after_unknown);
    assert_eq!(
        dims.after,
        Some(json!([{"name": "Stage", "value": "${stages.main.id}"}]))
    );
    // Fields that do not depend on the stage are known.
    assert!(!field(find(&p, Kind::Alarm, "publishers"), "threshold").after_unknown);
}

#[test]
fn references_to_existing_stages_are_the_real_arn_and_id() {
    let s = full_stack();
    let main = live(
        &desired_of(&s, Kind::Stage, "main", &Known::new()).unwrap(),
        &stage_arn("XyZ123"),
    );
    let p = plan(&s, &[main], false);
    assert_eq!(find(&p, Kind::Stage, "main").action, Action::NoOp);
    let doc = field(find(&p, Kind::Policy, "minter"), "document");
    assert!(!doc.after_unknown);
    let text = doc.after.as_ref().and_then(Value::as_str).unwrap();
    assert!(text.contains(&stage_arn("XyZ123")), "{text}");
    assert!(!text.contains("${"));
    let dims = field(find(&p, Kind::Alarm, "publishers"), "dimensions");
    assert!(!dims.after_unknown);
    assert_eq!(
        dims.after,
        Some(json!([{"name": "Stage", "value": "XyZ123"}]))
    );
}

#[test]
fn matching_live_resources_are_no_ops() {
    let s = full_stack();
    let p = plan(&s, &applied(&s), false);
    assert!(
        p.changes.iter().all(|c| c.action == Action::NoOp),
        "{:#?}",
        p.changes
    );
    assert!(p.changes.iter().all(|c| c.fields.is_empty()));
    assert!(!p.has_changes());
    assert_eq!(p.summary().unchanged, 4);
    // No-ops still name the live resource they matched.
    assert_eq!(
        find(&p, Kind::Stage, "main").physical_id,
        Some(pid_for(Kind::Stage, "main"))
    );
}

#[test]
fn in_place_update_lists_every_changed_field_old_to_new() {
    let s = full_stack();
    let mut obs = applied(&s);
    let live_stage = find_mut(&mut obs, Kind::Stage, "main");
    live_stage.spec.insert("name".into(), json!("old-name"));
    live_stage.spec["recording"]["media_types"] = json!(["AUDIO_ONLY"]);
    live_stage.tags.insert("team".into(), "video".into());
    live_stage.tags.insert("stale".into(), "yes".into());
    live_stage.tags.remove("tier");

    let p = plan(&s, &obs, false);
    let c = find(&p, Kind::Stage, "main");
    assert_eq!(c.action, Action::Update);
    assert_eq!(c.physical_id, Some(pid_for(Kind::Stage, "main")));
    assert_eq!(c.reason, None);
    let mut paths: Vec<&str> = c.fields.iter().map(|f| f.path.as_str()).collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            "name",
            "recording.media_types",
            "tags.stale",
            "tags.team",
            "tags.tier"
        ]
    );
    let name = field(c, "name");
    assert_eq!(
        (name.before.clone(), name.after.clone()),
        (Some(json!("old-name")), Some(json!("live-main")))
    );
    let media = field(c, "recording.media_types");
    assert_eq!(media.before, Some(json!(["AUDIO_ONLY"])));
    assert_eq!(media.after, Some(json!(["AUDIO_VIDEO"])));
    assert_eq!(field(c, "tags.team").before, Some(json!("video")));
    assert_eq!(field(c, "tags.team").after, Some(json!("media")));
    // A tag only live is removed; a tag only desired is added.
    assert_eq!(field(c, "tags.stale").after, None);
    assert_eq!(field(c, "tags.tier").before, None);
    assert!(c.fields.iter().all(|f| !f.forces_replacement));
    // The rest of the stack is untouched.
    assert_eq!(find(&p, Kind::Policy, "minter").action, Action::NoOp);
}

#[test]
fn nested_recording_fields_are_compared_one_by_one() {
    let mut s = full_stack();
    s.stages.get_mut("main").unwrap().recording = Some(Recording {
        thumbnails: Some(Thumbnails {
            mode: Some(ThumbnailMode::Interval),
            interval_seconds: Some(30),
            storage: None,
        }),
        hls_segment_seconds: Some(6),
        ..recording()
    });
    let mut obs = applied(&s);
    let st = find_mut(&mut obs, Kind::Stage, "main");
    st.spec["recording"]["thumbnails"]["interval_seconds"] = json!(60);
    // Fields live but not desired stay unmanaged.
    st.spec["recording"]["thumbnails"]["storage"] = json!(["SEQUENTIAL"]);
    st.spec["recording"]["reconnect_window_seconds"] = json!(0);
    let p = plan(&s, &obs, false);
    let c = find(&p, Kind::Stage, "main");
    assert_eq!(c.action, Action::Update);
    assert_eq!(c.fields.len(), 1, "{:#?}", c.fields);
    let f = field(c, "recording.thumbnails.interval_seconds");
    assert_eq!(
        (f.before.clone(), f.after.clone()),
        (Some(json!(60)), Some(json!(30)))
    );
}

#[test]
fn policy_description_change_replaces_and_names_the_field() {
    let s = full_stack();
    let mut obs = applied(&s);
    find_mut(&mut obs, Kind::Policy, "minter")
        .spec
        .insert("description".into(), json!("Old words"));
    let p = plan(&s, &obs, false);
    let c = find(&p, Kind::Policy, "minter");
    assert_eq!(c.action, Action::Replace);
    assert!(
        c.reason.as_deref().unwrap().contains("description"),
        "{:?}",
        c.reason
    );
    let f = field(c, "description");
    assert!(f.forces_replacement);
    assert_eq!(f.before, Some(json!("Old words")));
    assert_eq!(p.summary().replace, 1);
}

#[test]
fn alarm_rename_replaces_and_names_the_field() {
    let mut s = full_stack();
    s.alarms.get_mut("publishers").unwrap().name = Some("renamed".into());
    let mut obs = applied(&full_stack());
    // Other fields change too: they are listed, but only `name` forces the replace.
    find_mut(&mut obs, Kind::Alarm, "publishers").spec["threshold"] = json!(5);
    let p = plan(&s, &obs, false);
    let c = find(&p, Kind::Alarm, "publishers");
    assert_eq!(c.action, Action::Replace);
    assert_eq!(c.name, "renamed");
    assert!(
        c.reason.as_deref().unwrap().starts_with("name"),
        "{:?}",
        c.reason
    );
    assert!(field(c, "name").forces_replacement);
    assert!(!field(c, "threshold").forces_replacement);
}

#[test]
fn stage_rename_is_in_place() {
    let mut s = full_stack();
    s.stages.get_mut("main").unwrap().name = Some("brand-new".into());
    let p = plan(&s, &applied(&full_stack()), false);
    assert_eq!(find(&p, Kind::Stage, "main").action, Action::Update);
    // The ARN is kept, so dependants do not change.
    assert_eq!(find(&p, Kind::Policy, "minter").action, Action::NoOp);
}

#[test]
fn owned_resource_removed_from_the_file_is_deleted() {
    let mut s = full_stack();
    let obs = applied(&s);
    s.budgets.clear();
    let p = plan(&s, &obs, false);
    let c = find(&p, Kind::Budget, "monthly");
    assert_eq!(c.action, Action::Delete);
    assert_eq!(c.physical_id, Some("live-monthly".into()));
    assert_eq!(c.name, "live-monthly");
    assert!(
        c.reason
            .as_deref()
            .unwrap()
            .contains("no longer in the stack file")
    );
    assert!(c.observed.is_some() && c.desired.is_none());
    assert_eq!(p.summary().delete, 1);
}

#[test]
fn protected_resource_removed_from_the_file_is_refused() {
    let mut s = full_stack();
    let mut obs = applied(&s);
    find_mut(&mut obs, Kind::Stage, "main")
        .tags
        .insert(TAG_PROTECT.into(), "true".into());
    s.stages.clear();
    s.policies.clear();
    s.alarms.clear();
    let p = plan(&s, &obs, false);
    let c = find(&p, Kind::Stage, "main");
    assert_eq!(c.action, Action::DeleteRefused);
    assert!(c.reason.as_deref().unwrap().contains("protected"));
    assert_eq!(find(&p, Kind::Policy, "minter").action, Action::Delete);
    let summary = p.summary();
    assert_eq!((summary.refused, summary.delete), (1, 2));
    assert!(summary.line().ends_with("1 refused (protected or in use)"));
}

#[test]
fn protection_comes_from_the_live_tag_not_the_file() {
    // The file still says protect, but the live resource lost the tag: the file wins on
    // the next update (the tag is desired), and a delete is not refused by the file alone.
    let mut s = stack();
    s.stages.insert(
        "main".into(),
        Stage {
            protect: true,
            ..stage()
        },
    );
    let mut obs = applied(&s);
    find_mut(&mut obs, Kind::Stage, "main")
        .tags
        .remove(TAG_PROTECT);
    let p = plan(&s, &obs, false);
    let c = find(&p, Kind::Stage, "main");
    assert_eq!(c.action, Action::Update);
    assert_eq!(
        field(c, &format!("tags.{TAG_PROTECT}")).after,
        Some(json!("true"))
    );
}

#[test]
fn replacing_a_protected_resource_is_refused() {
    let mut s = full_stack();
    s.policies.get_mut("minter").unwrap().protect = true;
    let mut obs = applied(&s);
    find_mut(&mut obs, Kind::Policy, "minter")
        .spec
        .insert("description".into(), json!("Old words"));
    let p = plan(&s, &obs, false);
    let c = find(&p, Kind::Policy, "minter");
    assert_eq!(c.action, Action::DeleteRefused);
    let reason = c.reason.as_deref().unwrap();
    assert!(
        reason.contains("description") && reason.contains("protected"),
        "{reason}"
    );
    assert!(field(c, "description").forces_replacement);
    assert!(!p.has_changes());
}

#[test]
fn duplicate_closest_to_the_file_is_kept() {
    let s = full_stack();
    let mut obs = applied(&s);
    let good = find_mut(&mut obs, Kind::Stage, "main").clone();
    // The extra copy has the *smaller* physical id but differs from the file.
    let mut worse = good.clone();
    worse.physical_id = Some(stage_arn("AAAA"));
    worse.spec.insert("name".into(), json!("drifted"));
    obs.push(worse);
    let p = plan(&s, &obs, false);
    let stages: Vec<&ResourceChange> = p.changes.iter().filter(|c| c.kind == Kind::Stage).collect();
    assert_eq!(stages.len(), 2);
    assert_eq!(stages[0].action, Action::NoOp);
    assert_eq!(stages[0].physical_id, good.physical_id);
    assert_eq!(stages[1].action, Action::RemoveDuplicate);
    assert_eq!(stages[1].physical_id, Some(stage_arn("AAAA")));
    let reason = stages[1].reason.as_deref().unwrap();
    assert!(
        reason.contains(good.physical_id.as_deref().unwrap()),
        "{reason}"
    );
    assert_eq!(p.summary().delete, 1);
    // Dependants reference the keeper.
    assert_eq!(find(&p, Kind::Policy, "minter").action, Action::NoOp);
}

#[test]
fn duplicate_tie_keeps_the_smallest_physical_id() {
    let s = full_stack();
    let mut obs = applied(&s);
    let mut twin = find_mut(&mut obs, Kind::Alarm, "publishers").clone();
    twin.physical_id = Some("live-publishers-0".into());
    let mut later = twin.clone();
    later.physical_id = Some("live-publishers-z".into());
    obs.push(later);
    obs.push(twin);
    let p = plan(&s, &obs, false);
    let alarms: Vec<(Option<String>, Action)> = p
        .changes
        .iter()
        .filter(|c| c.kind == Kind::Alarm)
        .map(|c| (c.physical_id.clone(), c.action))
        .collect();
    assert_eq!(
        alarms,
        vec![
            (Some("live-publishers".into()), Action::NoOp),
            (Some("live-publishers-0".into()), Action::RemoveDuplicate),
            (Some("live-publishers-z".into()), Action::RemoveDuplicate),
        ]
    );
}

#[test]
fn protected_duplicate_is_refused() {
    let s = full_stack();
    let mut obs = applied(&s);
    let mut dup = find_mut(&mut obs, Kind::Budget, "monthly").clone();
    dup.physical_id = Some("live-monthly-2".into());
    dup.tags.insert(TAG_PROTECT.into(), "true".into());
    obs.push(dup);
    let p = plan(&s, &obs, false);
    let refused: Vec<&ResourceChange> = p
        .changes
        .iter()
        .filter(|c| c.action == Action::DeleteRefused)
        .collect();
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].physical_id, Some("live-monthly-2".into()));
    assert!(refused[0].reason.as_deref().unwrap().contains("duplicate"));
}

#[test]
fn destroy_deletes_everything_owned_except_protected() {
    let s = full_stack();
    let mut obs = applied(&s);
    find_mut(&mut obs, Kind::Alarm, "publishers")
        .tags
        .insert(TAG_PROTECT.into(), "true".into());
    let p = plan(&s, &obs, true);
    assert!(p.destroy);
    assert_eq!(
        actions(&p),
        vec![
            (Kind::Stage, "main".into(), Action::Delete),
            (Kind::Policy, "minter".into(), Action::Delete),
            (Kind::Alarm, "publishers".into(), Action::DeleteRefused),
            (Kind::Budget, "monthly".into(), Action::Delete),
        ]
    );
    assert!(plan(&s, &[], true).changes.is_empty());
}

#[test]
fn resources_of_other_stacks_and_untagged_ones_are_ignored() {
    let s = full_stack();
    let mut other = stack();
    other.stack = "other".into();
    other.stages.insert("main".into(), stage());
    other.budgets.insert("monthly".into(), budget(1.0));
    let mut obs = applied(&other);
    let mut untagged = applied(&other).remove(0);
    untagged.tags.clear();
    untagged.physical_id = Some(stage_arn("Untagged"));
    obs.push(untagged);
    let p = plan(&s, &obs, false);
    assert!(
        p.changes.iter().all(|c| c.action == Action::Create),
        "{:#?}",
        actions(&p)
    );
    assert_eq!(p.changes.len(), 4);
    // Destroying this stack touches none of them either.
    assert!(plan(&s, &obs, true).changes.is_empty());
}

#[test]
fn fingerprints_record_absence_and_every_live_copy() {
    let s = full_stack();
    let mut obs = applied(&s);
    obs.retain(|r| r.kind != Kind::Budget);
    let mut dup = obs[0].clone();
    dup.physical_id = Some(stage_arn("Zzz"));
    obs.push(dup);
    let p = plan(&s, &obs, false);
    let budget = p.observed.iter().find(|o| o.kind == Kind::Budget).unwrap();
    assert!(budget.live.is_empty());
    let stage = p.observed.iter().find(|o| o.kind == Kind::Stage).unwrap();
    assert_eq!(stage.live.len(), 2);
    assert!(stage.live.windows(2).all(|w| w[0] <= w[1]));
}

// ---------------------------------------------------------------------------------------
// Normalisation: what must never show as a change.

#[test]
fn unmanaged_fields_are_never_compared() {
    let mut s = stack();
    s.stages.insert("main".into(), stage()); // no recording in the file
    let mut a = alarm(None);
    a.metric = Metric::ConcurrentPublishers;
    a.period_seconds = None;
    a.evaluation_periods = None;
    s.alarms.insert("all".into(), a);
    let mut obs = applied(&s);
    let st = find_mut(&mut obs, Kind::Stage, "main");
    st.spec.insert(
        "recording".into(),
        json!({"storage_configuration_arn": "arn:aws:ivs:us-west-2:1:storage-configuration/x",
               "media_types": ["AUDIO_VIDEO"]}),
    );
    st.spec.insert("active_session_id".into(), json!("st-123"));
    let al = find_mut(&mut obs, Kind::Alarm, "all");
    al.spec.insert("period_seconds".into(), json!(300));
    al.spec.insert("evaluation_periods".into(), json!(3));
    al.spec
        .insert("treat_missing_data".into(), json!("notBreaching"));
    let p = plan(&s, &obs, false);
    assert!(!p.has_changes(), "{:#?}", p.changes);
}

#[test]
fn numbers_compare_by_value() {
    assert!(same(&json!(500), &json!(500.0)));
    assert!(same(&json!([1, {"a": 2}]), &json!([1.0, {"a": 2.0}])));
    assert!(!same(&json!(500), &json!(500.5)));
    assert!(!same(&json!([1, 2]), &json!([2, 1])));
    assert!(!same(&json!({"a": 1}), &json!({"a": 1, "b": 2})));
    let s = full_stack();
    let mut obs = applied(&s);
    // Desired threshold is 11.0 (f64); CloudWatch hands back 11.
    find_mut(&mut obs, Kind::Alarm, "publishers").spec["threshold"] = json!(11);
    assert!(!plan(&s, &obs, false).has_changes());
}

#[test]
fn budget_amounts_in_any_decimal_spelling_match() {
    for text in ["500", "500.0", "5E+2", "500.000", "5e2"] {
        let amount: Value = serde_json::from_str(text).unwrap();
        let s = full_stack();
        let mut obs = applied(&s);
        find_mut(&mut obs, Kind::Budget, "monthly").spec["limit_usd"] = amount;
        let p = plan(&s, &obs, false);
        assert!(!p.has_changes(), "{text}: {:#?}", p.changes);
    }
    let s = full_stack();
    let mut obs = applied(&s);
    find_mut(&mut obs, Kind::Budget, "monthly").spec["limit_usd"] =
        serde_json::from_str("500.01").unwrap();
    assert_eq!(
        find(&plan(&s, &obs, false), Kind::Budget, "monthly").action,
        Action::Update
    );
}

#[test]
fn set_valued_fields_ignore_order() {
    let mut s = full_stack();
    let a = s.alarms.get_mut("publishers").unwrap();
    a.alarm_actions = vec![
        format!("arn:aws:sns:us-west-2:{ACCOUNT}:z"),
        format!("arn:aws:sns:us-west-2:{ACCOUNT}:a"),
        format!("arn:aws:sns:us-west-2:{ACCOUNT}:a"),
    ];
    let b = s.budgets.get_mut("monthly").unwrap();
    b.notify_percent = Some(vec![100.0, 50.0, 80.0]);
    b.forecast_percent = vec![120.0];
    b.emails = vec!["z@example.com".into(), "a@example.com".into()];
    // Observed: what observe reports (sorted sets), built from the canonical order.
    let mut sorted = s.clone();
    sorted.alarms.get_mut("publishers").unwrap().alarm_actions = vec![
        format!("arn:aws:sns:us-west-2:{ACCOUNT}:a"),
        format!("arn:aws:sns:us-west-2:{ACCOUNT}:z"),
    ];
    let sb = sorted.budgets.get_mut("monthly").unwrap();
    sb.notify_percent = Some(vec![50.0, 80.0, 100.0]);
    sb.emails = vec!["a@example.com".into(), "z@example.com".into()];
    let p = plan(&s, &applied(&sorted), false);
    assert!(!p.has_changes(), "{:#?}", p.changes);
    // The notifications really are sorted on the desired side.
    let d = desired_of(&s, Kind::Budget, "monthly", &Known::new()).unwrap();
    let percents: Vec<(String, f64)> = d.spec["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["type"].as_str().unwrap().to_string(),
                n["percent"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        percents,
        vec![
            ("ACTUAL".into(), 50.0),
            ("ACTUAL".into(), 80.0),
            ("ACTUAL".into(), 100.0),
            ("FORECASTED".into(), 120.0)
        ]
    );
}

#[test]
fn aws_tags_are_ignored_but_other_extra_tags_are_removed() {
    let s = full_stack();
    let mut obs = applied(&s);
    find_mut(&mut obs, Kind::Stage, "main")
        .tags
        .insert("aws:cloudformation:stack-name".into(), "x".into());
    assert!(!plan(&s, &obs, false).has_changes());
    find_mut(&mut obs, Kind::Stage, "main")
        .tags
        .insert("owner".into(), "someone".into());
    let p = plan(&s, &obs, false);
    let c = find(&p, Kind::Stage, "main");
    assert_eq!(c.fields.len(), 1);
    assert_eq!(field(c, "tags.owner").after, None);
}

/// A policy whose document IAM reports as `text`: the plan for `file_doc` must be a no-op.
fn policy_noop_against(file_doc: Value, iam_text: &str) -> Plan {
    let mut s = stack();
    s.policies.insert(
        "raw".into(),
        Policy {
            document: Some(file_doc),
            ..Default::default()
        },
    );
    let mut obs = applied(&s);
    find_mut(&mut obs, Kind::Policy, "raw")
        .spec
        .insert("document".into(), json!(observed_document(iam_text)));
    plan(&s, &obs, false)
}

fn encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[test]
fn iam_documents_compare_by_meaning_string_vs_list() {
    let file = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["ivs:GetStage"], "Resource": ["arn:aws:ivs:us-west-2:1:stage/a"]}]});
    let iam = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ivs:GetStage","Resource":"arn:aws:ivs:us-west-2:1:stage/a"}}"#;
    let p = policy_noop_against(file, iam);
    assert!(!p.has_changes(), "{:#?}", p.changes);
}

#[test]
fn iam_documents_compare_by_meaning_statement_and_action_order() {
    let file = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["ivs:GetStage", "ivs:CreateParticipantToken"], "Resource": "*"},
        {"Effect": "Deny", "Action": "ivs:DeleteStage", "Resource": "*"}]});
    let iam = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"ivs:DeleteStage","Resource":"*"},{"Effect":"Allow","Action":["ivs:CreateParticipantToken","ivs:GetStage"],"Resource":"*"}]}"#;
    let p = policy_noop_against(file, iam);
    assert!(!p.has_changes(), "{:#?}", p.changes);
}

#[test]
fn iam_documents_compare_by_meaning_empty_sid() {
    let file = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "ivs:GetStage", "Resource": "*"}]});
    let iam = r#"{"Version":"2012-10-17","Statement":[{"Sid":"","Effect":"Allow","Action":"ivs:GetStage","Resource":"*"}]}"#;
    let p = policy_noop_against(file, iam);
    assert!(!p.has_changes(), "{:#?}", p.changes);
}

#[test]
fn iam_documents_compare_by_meaning_url_encoded() {
    let file = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "ivs:GetStage", "Resource": "*",
         "Condition": {"StringEquals": {"aws:RequestTag/team": "media & more"}}}]});
    let iam = encode(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ivs:GetStage","Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/team":"media & more"}}}]}"#,
    );
    let p = policy_noop_against(file, &iam);
    assert!(!p.has_changes(), "{:#?}", p.changes);
}

#[test]
fn iam_documents_real_changes_still_show_line_by_line() {
    // Allow → Deny must surface: equivalence is never a blanket suppression.
    let file = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "ivs:GetStage", "Resource": "*"}]});
    let iam = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ivs:GetStage","Resource":"*"}]}"#;
    let p = policy_noop_against(file, iam);
    let c = find(&p, Kind::Policy, "raw");
    assert_eq!(c.action, Action::Update);
    let f = field(c, "document");
    assert!(!f.forces_replacement);
    assert!(
        f.before
            .as_ref()
            .unwrap()
            .as_str()
            .unwrap()
            .contains("Allow")
    );
    assert!(f.after.as_ref().unwrap().as_str().unwrap().contains("Deny"));
    assert!(
        f.after.as_ref().unwrap().as_str().unwrap().contains('\n'),
        "pretty JSON"
    );
}

#[test]
fn plans_round_trip_through_serde() {
    let s = full_stack();
    let mut obs = applied(&s);
    find_mut(&mut obs, Kind::Stage, "main").spec["name"] = json!("x");
    let p = plan(&s, &obs, false);
    let text = serde_json::to_string(&p).unwrap();
    let back: Plan = serde_json::from_str(&text).unwrap();
    assert_eq!(back, p);
    assert_eq!(
        serde_json::to_value(Action::DeleteRefused).unwrap(),
        json!("delete_refused")
    );
}

// ---------------------------------------------------------------------------------------
// References and apply order (every kind; `order` has the rules on abstract data).

type StepAt = (Kind, String, Op);

/// What each step of a plan waits for, by (kind, id, what it does).
fn waits(p: &Plan) -> Vec<(StepAt, Vec<StepAt>)> {
    let steps = order::schedule_plan(p);
    let at = |i: usize| {
        let c = &p.changes[steps[i].change];
        (c.kind, c.id.clone(), steps[i].op)
    };
    (0..steps.len())
        .map(|i| (at(i), steps[i].after.iter().map(|a| at(*a)).collect()))
        .collect()
}

fn at(kind: Kind, id: &str, op: Op) -> StepAt {
    (kind, id.to_string(), op)
}

#[test]
fn every_kinds_placeholders_are_exactly_its_declared_references() {
    // The registry's promise: `spec` resolves exactly what `references` declares, so
    // validation, ordering and apply agree on what a resource refers to.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![full_stack()];
    for name in ["stacks/demo.yaml", "stacks/production.yaml"] {
        files.push(
            crate::stack::load_file(&root.join(name))
                .expect("shipped stack")
                .model,
        );
    }
    let mut seen = 0;
    for s in &files {
        let everything_known = {
            let mut k = Known::new();
            for kind in Kind::ALL {
                for id in s.ids(*kind) {
                    k.insert(
                        *kind,
                        id,
                        format!("arn:aws:x:us-west-2:{ACCOUNT}:thing/{id}"),
                    );
                }
            }
            k
        };
        for (kind, id, refs) in kinds::references_of(s) {
            let d = desired_of(s, kind, id, &Known::new()).unwrap();
            let declared: std::collections::BTreeSet<kinds::Reference> =
                refs.into_iter().map(|r| r.reference).collect();
            let found: std::collections::BTreeSet<kinds::Reference> =
                kinds::placeholders_in_spec(&d.spec).into_iter().collect();
            assert_eq!(found, declared, "{kind}.{id}");
            seen += declared.len();
            let resolved = desired_of(s, kind, id, &everything_known).unwrap();
            assert!(
                kinds::placeholders_in_spec(&resolved.spec).is_empty(),
                "{kind}.{id}"
            );
        }
    }
    assert!(seen >= 4, "the files hold references: {seen}");
}

#[test]
fn creations_come_first_and_only_their_dependents_wait() {
    let p = plan(&full_stack(), &[], false);
    assert_eq!(
        waits(&p),
        vec![
            (at(Kind::Stage, "main", Op::Create), vec![]),
            (
                at(Kind::Policy, "minter", Op::Create),
                vec![at(Kind::Stage, "main", Op::Create)]
            ),
            (
                at(Kind::Alarm, "publishers", Op::Create),
                vec![at(Kind::Stage, "main", Op::Create)]
            ),
            (at(Kind::Budget, "monthly", Op::Create), vec![]),
        ]
    );
}

#[test]
fn referrers_are_deleted_before_what_they_refer_to() {
    let s = full_stack();
    let p = plan(&s, &applied(&s), true);
    assert_eq!(
        waits(&p),
        vec![
            (
                at(Kind::Stage, "main", Op::Delete),
                vec![
                    at(Kind::Policy, "minter", Op::Delete),
                    at(Kind::Alarm, "publishers", Op::Delete)
                ]
            ),
            (at(Kind::Policy, "minter", Op::Delete), vec![]),
            (at(Kind::Alarm, "publishers", Op::Delete), vec![]),
            (at(Kind::Budget, "monthly", Op::Delete), vec![]),
        ]
    );
}

#[test]
fn referrers_move_to_a_new_stage_before_the_old_one_is_deleted() {
    let s = full_stack();
    let mut next = s.clone();
    let main = next.stages.remove("main").unwrap();
    next.stages.insert("next".into(), main);
    next.policies.insert("minter".into(), policy(&["next"]));
    next.alarms.insert("publishers".into(), alarm(Some("next")));
    let p = plan(&next, &applied(&s), false);
    let doc = field(find(&p, Kind::Policy, "minter"), "document");
    assert!(doc.after_unknown);
    assert!(
        doc.after
            .as_ref()
            .unwrap()
            .as_str()
            .unwrap()
            .contains("${stages.next.arn}"),
        "{doc:?}"
    );
    assert_eq!(
        waits(&p),
        vec![
            (
                at(Kind::Stage, "main", Op::Delete),
                vec![
                    at(Kind::Policy, "minter", Op::Update),
                    at(Kind::Alarm, "publishers", Op::Update)
                ]
            ),
            (at(Kind::Stage, "next", Op::Create), vec![]),
            (
                at(Kind::Policy, "minter", Op::Update),
                vec![at(Kind::Stage, "next", Op::Create)]
            ),
            (
                at(Kind::Alarm, "publishers", Op::Update),
                vec![at(Kind::Stage, "next", Op::Create)]
            ),
        ]
    );
}

#[test]
fn a_duplicate_goes_only_after_its_referrers_moved_to_the_keeper() {
    let s = full_stack();
    let mut obs = applied(&s);
    // A raced apply left a second `main`; the policy and alarm were written with its ARN.
    let keeper = pid_for(Kind::Stage, "main");
    let dup = stage_arn("ZZZ");
    let mut second = find_mut(&mut obs, Kind::Stage, "main").clone();
    second.physical_id = Some(dup.clone());
    obs.push(second);
    let policy = find_mut(&mut obs, Kind::Policy, "minter");
    let doc = policy.spec["document"]
        .as_str()
        .unwrap()
        .replace(&keeper, &dup);
    policy.spec["document"] = json!(doc);
    find_mut(&mut obs, Kind::Alarm, "publishers").spec["dimensions"] =
        json!([{"name": "Stage", "value": "ZZZ"}]);
    let p = plan(&s, &obs, false);
    assert_eq!(
        waits(&p),
        vec![
            (
                at(Kind::Stage, "main", Op::Delete),
                vec![
                    at(Kind::Policy, "minter", Op::Update),
                    at(Kind::Alarm, "publishers", Op::Update)
                ]
            ),
            (at(Kind::Policy, "minter", Op::Update), vec![]),
            (at(Kind::Alarm, "publishers", Op::Update), vec![]),
        ]
    );
    let removed = p
        .changes
        .iter()
        .find(|c| c.action == Action::RemoveDuplicate)
        .unwrap();
    assert_eq!(removed.physical_id.as_deref(), Some(dup.as_str()));
}

#[test]
fn a_protected_alarm_does_not_keep_its_stage_alive() {
    // CloudWatch does not stop a stage from being deleted: only references that AWS
    // enforces (a stage's storage configuration) keep their target alive.
    let s = full_stack();
    let mut obs = applied(&s);
    find_mut(&mut obs, Kind::Alarm, "publishers")
        .tags
        .insert(TAG_PROTECT.into(), "true".into());
    let mut next = s.clone();
    next.stages.clear();
    next.alarms.clear();
    next.policies.get_mut("minter").unwrap().statements[0] = Statement {
        allow: vec!["ivs:ListStages".into()],
        resources: vec!["*".into()],
        ..Statement::default()
    };
    let p = plan(&next, &obs, false);
    assert_eq!(
        find(&p, Kind::Alarm, "publishers").action,
        Action::DeleteRefused
    );
    assert_eq!(find(&p, Kind::Stage, "main").action, Action::Delete);
    assert_eq!(
        waits(&p),
        vec![
            (
                at(Kind::Stage, "main", Op::Delete),
                vec![at(Kind::Policy, "minter", Op::Update)]
            ),
            (at(Kind::Policy, "minter", Op::Update), vec![]),
        ]
    );
}

#[test]
fn a_replace_deletes_first_only_when_the_name_must_stay_unique() {
    let s = full_stack();
    // A new description keeps the name: IAM would refuse a second policy with it.
    let mut described = s.clone();
    described.policies.get_mut("minter").unwrap().description = Some("other".into());
    let p = plan(&described, &applied(&s), false);
    assert_eq!(find(&p, Kind::Policy, "minter").action, Action::Replace);
    assert_eq!(
        waits(&p),
        vec![
            (
                at(Kind::Policy, "minter", Op::Create),
                vec![at(Kind::Policy, "minter", Op::Delete)]
            ),
            (at(Kind::Policy, "minter", Op::Delete), vec![]),
        ]
    );
    // A new name can exist next to the old one: create first, nothing goes missing.
    let mut renamed = s.clone();
    renamed.alarms.get_mut("publishers").unwrap().name = Some("live-renamed".into());
    let p = plan(&renamed, &applied(&s), false);
    assert_eq!(
        waits(&p),
        vec![
            (at(Kind::Alarm, "publishers", Op::Create), vec![]),
            (
                at(Kind::Alarm, "publishers", Op::Delete),
                vec![at(Kind::Alarm, "publishers", Op::Create)]
            ),
        ]
    );
}

// ---------------------------------------------------------------------------------------
// The IVS Real-Time family: storage, encoder, public-key and ingest configurations.

fn storage(bucket: &str) -> StorageConfiguration {
    StorageConfiguration {
        s3_bucket: bucket.into(),
        ..Default::default()
    }
}

/// A stage that records to the storage configuration `storage` of the stack.
fn recording_to(storage: &str) -> Stage {
    Stage {
        recording: Some(Recording {
            storage: Some(storage.into()),
            storage_configuration_arn: None,
            ..recording()
        }),
        ..stage()
    }
}

fn ingest(stage: Option<&str>) -> IngestConfiguration {
    IngestConfiguration {
        stage: stage.map(str::to_string),
        ingest_protocol: IngestProtocol::Rtmps,
        ..Default::default()
    }
}

/// A P-384 public key in PEM (a fixed scalar: tests need no secrecy).
fn public_pem(seed: u8) -> String {
    use p384::pkcs8::{EncodePublicKey, LineEnding};
    let bytes: Vec<u8> = (seed..seed + 48).collect();
    p384::SecretKey::from_slice(&bytes)
        .unwrap()
        .public_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap()
}

/// Storage configuration `rec` with stage `main` recording to it.
fn recording_stack() -> StackFile {
    let mut s = stack();
    s.storage_configurations
        .insert("rec".into(), storage("my-recordings"));
    s.stages.insert("main".into(), recording_to("rec"));
    s
}

#[test]
fn a_new_storage_configuration_is_known_after_apply_and_created_first() {
    let p = plan(&recording_stack(), &[], false);
    let rec = field(
        find(&p, Kind::Stage, "main"),
        "recording.storage_configuration_arn",
    );
    assert_eq!(rec.after, Some(json!("${storage_configurations.rec.arn}")));
    assert!(rec.after_unknown);
    assert_eq!(
        waits(&p),
        vec![
            (at(Kind::StorageConfiguration, "rec", Op::Create), vec![]),
            (
                at(Kind::Stage, "main", Op::Create),
                vec![at(Kind::StorageConfiguration, "rec", Op::Create)]
            ),
        ]
    );
    let text = crate::plan::render::text(&p, false);
    assert!(
        text.contains("(known after apply: storage_configurations.rec.arn)"),
        "{text}"
    );
    // Once it exists, the stage names its real ARN.
    let p = plan(&recording_stack(), &applied(&recording_stack()), false);
    assert!(!p.has_changes(), "{:#?}", p.changes);
}

#[test]
fn a_storage_configuration_in_use_goes_only_after_the_stage_moves_off_it() {
    let before = recording_stack();
    let mut after = before.clone();
    after.storage_configurations.remove("rec");
    after
        .storage_configurations
        .insert("archive".into(), storage("my-archive"));
    after.stages.insert("main".into(), recording_to("archive"));
    let p = plan(&after, &applied(&before), false);
    assert_eq!(
        actions(&p),
        vec![
            (Kind::StorageConfiguration, "archive".into(), Action::Create),
            (Kind::StorageConfiguration, "rec".into(), Action::Delete),
            (Kind::Stage, "main".into(), Action::Update),
        ]
    );
    assert_eq!(
        waits(&p),
        vec![
            (
                at(Kind::StorageConfiguration, "archive", Op::Create),
                vec![]
            ),
            (
                at(Kind::StorageConfiguration, "rec", Op::Delete),
                vec![at(Kind::Stage, "main", Op::Update)]
            ),
            (
                at(Kind::Stage, "main", Op::Update),
                vec![at(Kind::StorageConfiguration, "archive", Op::Create)]
            ),
        ]
    );
    // Recording turned off instead: the same order, update first.
    let mut off = before.clone();
    off.storage_configurations.clear();
    off.stages.get_mut("main").unwrap().recording = Some(Recording {
        storage_configuration_arn: Some(String::new()),
        ..Default::default()
    });
    let p = plan(&off, &applied(&before), false);
    assert_eq!(
        waits(&p),
        vec![
            (
                at(Kind::StorageConfiguration, "rec", Op::Delete),
                vec![at(Kind::Stage, "main", Op::Update)]
            ),
            (at(Kind::Stage, "main", Op::Update), vec![]),
        ]
    );
}

#[test]
fn a_replaced_storage_configuration_is_created_before_the_stage_moves_and_deleted_after() {
    let before = recording_stack();
    let mut after = before.clone();
    after
        .storage_configurations
        .get_mut("rec")
        .unwrap()
        .s3_bucket = "other-bucket".into();
    let p = plan(&after, &applied(&before), false);
    let rec = find(&p, Kind::StorageConfiguration, "rec");
    assert_eq!(rec.action, Action::Replace);
    let bucket = field(rec, "s3_bucket");
    assert!(bucket.forces_replacement);
    assert_eq!(
        rec.reason.as_deref(),
        Some("s3_bucket cannot change in place")
    );
    // The stage moves to the new one, whose ARN is known after apply.
    let main = find(&p, Kind::Stage, "main");
    assert_eq!(main.action, Action::Update);
    assert_eq!(
        field(main, "recording.storage_configuration_arn").after,
        Some(json!("${storage_configurations.rec.arn}"))
    );
    assert_eq!(
        waits(&p),
        vec![
            (at(Kind::StorageConfiguration, "rec", Op::Create), vec![]),
            (
                at(Kind::StorageConfiguration, "rec", Op::Delete),
                vec![
                    at(Kind::StorageConfiguration, "rec", Op::Create),
                    at(Kind::Stage, "main", Op::Update)
                ]
            ),
            (
                at(Kind::Stage, "main", Op::Update),
                vec![at(Kind::StorageConfiguration, "rec", Op::Create)]
            ),
        ]
    );
    // A new name is a replace too (no update operation), tags are in place.
    let mut renamed = before.clone();
    renamed.storage_configurations.get_mut("rec").unwrap().name = Some("renamed".into());
    let p = plan(&renamed, &applied(&before), false);
    assert_eq!(
        find(&p, Kind::StorageConfiguration, "rec").action,
        Action::Replace
    );
    let mut tagged = before.clone();
    tagged
        .storage_configurations
        .get_mut("rec")
        .unwrap()
        .tags
        .insert("tier".into(), "gold".into());
    let p = plan(&tagged, &applied(&before), false);
    assert_eq!(
        find(&p, Kind::StorageConfiguration, "rec").action,
        Action::Update
    );
}

#[test]
fn a_protected_stage_keeps_its_storage_configuration_alive() {
    let mut before = recording_stack();
    before.stages.get_mut("main").unwrap().protect = true;
    // Both leave the file: the stage is protected, so it stays and keeps recording there.
    let mut after = stack();
    after.stages.insert("other".into(), stage());
    let p = plan(&after, &applied(&before), false);
    let main = find(&p, Kind::Stage, "main");
    assert_eq!(main.action, Action::DeleteRefused);
    let rec = find(&p, Kind::StorageConfiguration, "rec");
    assert_eq!(rec.action, Action::DeleteRefused);
    let why = rec.reason.as_deref().unwrap();
    assert!(
        why.contains("stage `main`, which stays, still uses it"),
        "{why}"
    );
    // Destroy: the same.
    let p = plan(&before, &applied(&before), true);
    assert_eq!(
        find(&p, Kind::StorageConfiguration, "rec").action,
        Action::DeleteRefused
    );
    // A protected storage configuration is refused on its own account.
    let mut kept = recording_stack();
    kept.storage_configurations.get_mut("rec").unwrap().protect = true;
    let p = plan(&stack(), &applied(&kept), false);
    let rec = find(&p, Kind::StorageConfiguration, "rec");
    assert_eq!(rec.action, Action::DeleteRefused);
    assert!(rec.reason.as_deref().unwrap().contains("protected"));
}

#[test]
fn what_a_stage_outside_the_plan_records_to_is_never_deleted_or_replaced() {
    let before = recording_stack();
    let live = applied(&before);
    let rec_arn = pid_for(Kind::StorageConfiguration, "rec");
    let in_use: kinds::InUse = BTreeMap::from([(
        (Kind::StorageConfiguration, rec_arn.clone()),
        vec!["stage `show` (arn:aws:ivs:us-west-2:1:stage/X), which no ivstack stack manages, records to it".to_string()],
    )]);
    // Removed from the file (the stage of the stack moved off it): refused, with who.
    let mut moved = before.clone();
    moved.storage_configurations.remove("rec");
    moved.stages.get_mut("main").unwrap().recording = Some(Recording {
        storage_configuration_arn: Some(String::new()),
        ..Default::default()
    });
    let p = compute::plan_with(&moved, &live, false, &in_use);
    let rec = find(&p, Kind::StorageConfiguration, "rec");
    assert_eq!(rec.action, Action::DeleteRefused);
    let why = rec.reason.as_deref().unwrap();
    assert!(why.contains("stage `show`"), "{why}");
    assert!(
        why.contains("AWS refuses to delete a storage configuration in use"),
        "{why}"
    );
    // Nothing else is held back.
    assert_eq!(find(&p, Kind::Stage, "main").action, Action::Update);
    // A replace is refused where it is planned: the stage keeps naming the live ARN.
    let mut rebucketed = before.clone();
    rebucketed
        .storage_configurations
        .get_mut("rec")
        .unwrap()
        .s3_bucket = "other".into();
    let p = compute::plan_with(&rebucketed, &live, false, &in_use);
    let rec = find(&p, Kind::StorageConfiguration, "rec");
    assert_eq!(rec.action, Action::ReplaceRefused);
    assert!(rec.reason.as_deref().unwrap().starts_with("changing s3_bucket requires replacing it, but the old storage configuration cannot be deleted: stage `show`"));
    assert_eq!(find(&p, Kind::Stage, "main").action, Action::NoOp);
    assert!(!p.has_changes());
    // Destroy: refused too.
    let p = compute::plan_with(&before, &live, true, &in_use);
    assert_eq!(
        find(&p, Kind::StorageConfiguration, "rec").action,
        Action::DeleteRefused
    );
    assert_eq!(find(&p, Kind::Stage, "main").action, Action::Delete);
}

#[test]
fn an_ingest_configuration_moves_stage_in_place_and_other_fields_replace_it() {
    let mut s = stack();
    s.stages.insert("main".into(), stage());
    s.stages.insert("backup".into(), stage());
    s.ingest_configurations
        .insert("studio".into(), ingest(Some("main")));
    let live = applied(&s);
    assert!(!plan(&s, &live, false).has_changes());

    let mut moved = s.clone();
    moved.ingest_configurations.get_mut("studio").unwrap().stage = Some("backup".into());
    let p = plan(&moved, &live, false);
    let c = find(&p, Kind::IngestConfiguration, "studio");
    assert_eq!(c.action, Action::Update);
    let f = field(c, "stage");
    assert_eq!(f.before, Some(json!(pid_for(Kind::Stage, "main"))));
    assert_eq!(f.after, Some(json!(pid_for(Kind::Stage, "backup"))));
    assert!(!f.forces_replacement);

    for (edit, path) in [
        (
            (|c: &mut IngestConfiguration| c.ingest_protocol = IngestProtocol::Rtmp)
                as fn(&mut IngestConfiguration),
            "ingest_protocol",
        ),
        (|c| c.user_id = Some("studio-2".into()), "user_id"),
        (
            |c| c.attributes = Some(BTreeMap::from([("role".into(), "host".into())])),
            "attributes.role",
        ),
        (|c| c.name = Some("renamed".into()), "name"),
    ] {
        let mut changed = s.clone();
        edit(changed.ingest_configurations.get_mut("studio").unwrap());
        let mut live = live.clone();
        // The live side reports what the list and Get report.
        let l = find_mut(&mut live, Kind::IngestConfiguration, "studio");
        l.spec.insert("user_id".into(), json!(""));
        l.spec.insert("attributes".into(), json!({}));
        let p = plan(&changed, &live, false);
        let c = find(&p, Kind::IngestConfiguration, "studio");
        assert_eq!(c.action, Action::Replace, "{path}");
        assert!(field(c, path).forces_replacement, "{path}");
    }
    let mut redundant = s.clone();
    redundant
        .ingest_configurations
        .get_mut("studio")
        .unwrap()
        .redundant_ingest = Some(true);
    let mut l = live.clone();
    find_mut(&mut l, Kind::IngestConfiguration, "studio")
        .spec
        .insert("redundant_ingest".into(), json!(false));
    let p = plan(&redundant, &l, false);
    assert_eq!(
        find(&p, Kind::IngestConfiguration, "studio").action,
        Action::Update
    );
}

#[test]
fn insecure_ingest_is_sent_on_creation_and_never_compared() {
    let mut s = stack();
    s.ingest_configurations.insert(
        "rtmp".into(),
        IngestConfiguration {
            ingest_protocol: IngestProtocol::Rtmp,
            insecure_ingest: Some(true),
            ..ingest(None)
        },
    );
    let p = plan(&s, &[], false);
    let c = find(&p, Kind::IngestConfiguration, "rtmp");
    assert_eq!(field(c, "insecure_ingest").after, Some(json!(true)));
    assert_eq!(field(c, "stage").after, Some(json!("")));
    // AWS never reports it back.
    let mut live = applied(&s);
    find_mut(&mut live, Kind::IngestConfiguration, "rtmp")
        .spec
        .remove("insecure_ingest");
    assert!(!plan(&s, &live, false).has_changes());
}

#[test]
fn a_removed_stage_goes_after_the_ingest_configurations_on_it() {
    let mut s = stack();
    s.stages.insert("main".into(), stage());
    s.ingest_configurations
        .insert("studio".into(), ingest(Some("main")));
    let p = plan(&stack(), &applied(&s), false);
    assert_eq!(
        waits(&p),
        vec![
            (
                at(Kind::Stage, "main", Op::Delete),
                vec![at(Kind::IngestConfiguration, "studio", Op::Delete)]
            ),
            (at(Kind::IngestConfiguration, "studio", Op::Delete), vec![]),
        ]
    );
    // A new stage and its ingest configuration: the stage first.
    let p = plan(&s, &[], false);
    assert_eq!(
        field(find(&p, Kind::IngestConfiguration, "studio"), "stage").after,
        Some(json!("${stages.main.arn}"))
    );
    assert_eq!(
        waits(&p),
        vec![
            (at(Kind::Stage, "main", Op::Create), vec![]),
            (
                at(Kind::IngestConfiguration, "studio", Op::Create),
                vec![at(Kind::Stage, "main", Op::Create)]
            ),
        ]
    );
}

#[test]
fn encoder_video_changes_replace_and_unset_video_fields_are_unmanaged() {
    let mut s = stack();
    s.encoder_configurations.insert(
        "hd".into(),
        EncoderConfiguration {
            video: Some(Video {
                width: Some(1280),
                height: Some(720),
                ..Default::default()
            }),
            ..Default::default()
        },
    );
    let mut live = applied(&s);
    // Get reports every video field, AWS's defaults included.
    find_mut(&mut live, Kind::EncoderConfiguration, "hd")
        .spec
        .insert(
            "video".into(),
            json!({"width": 1280, "height": 720, "framerate": 30.0, "bitrate": 2500000}),
        );
    assert!(!plan(&s, &live, false).has_changes());
    let mut wider = s.clone();
    wider
        .encoder_configurations
        .get_mut("hd")
        .unwrap()
        .video
        .as_mut()
        .unwrap()
        .width = Some(1920);
    let p = plan(&wider, &live, false);
    let c = find(&p, Kind::EncoderConfiguration, "hd");
    assert_eq!(c.action, Action::Replace);
    let f = field(c, "video.width");
    assert!(f.forces_replacement);
    assert_eq!(
        (f.before.clone(), f.after.clone()),
        (Some(json!(1280)), Some(json!(1920)))
    );
}

#[test]
fn public_keys_replace_and_a_policy_naming_one_moves_to_the_new_key() {
    let mut s = stack();
    s.public_keys.insert(
        "signer".into(),
        PublicKey {
            public_key_pem: Some(public_pem(1)),
            ..Default::default()
        },
    );
    s.policies.insert(
        "verify".into(),
        Policy {
            statements: vec![Statement {
                allow: vec!["ivs:GetPublicKey".into()],
                ids: BTreeMap::from([(Kind::PublicKey, vec!["signer".to_string()])]),
                ..Default::default()
            }],
            ..policy(&[])
        },
    );
    let live = applied(&s);
    assert!(!plan(&s, &live, false).has_changes());
    // A new key: imported first, the policy moves, the old key goes last.
    let mut rotated = s.clone();
    rotated
        .public_keys
        .get_mut("signer")
        .unwrap()
        .public_key_pem = Some(public_pem(2));
    let p = plan(&rotated, &live, false);
    let k = find(&p, Kind::PublicKey, "signer");
    assert_eq!(k.action, Action::Replace);
    assert!(field(k, "public_key_pem").forces_replacement);
    assert_eq!(
        waits(&p),
        vec![
            (at(Kind::PublicKey, "signer", Op::Create), vec![]),
            (
                at(Kind::PublicKey, "signer", Op::Delete),
                vec![
                    at(Kind::PublicKey, "signer", Op::Create),
                    at(Kind::Policy, "verify", Op::Update)
                ]
            ),
            (
                at(Kind::Policy, "verify", Op::Update),
                vec![at(Kind::PublicKey, "signer", Op::Create)]
            ),
        ]
    );
    // The same key under a new name: IVS refuses a duplicate import, so the old one must
    // go first, which would leave the policy naming nothing: refused, with why.
    let mut renamed = s.clone();
    renamed.public_keys.get_mut("signer").unwrap().name = Some("renamed".into());
    let p = plan(&renamed, &live, false);
    let k = find(&p, Kind::PublicKey, "signer");
    assert_eq!(k.action, Action::ReplaceRefused);
    assert!(
        k.reason
            .as_deref()
            .unwrap()
            .contains("policy `verify` refers to it")
    );
    // Without the policy, the rename deletes first.
    let mut alone = renamed.clone();
    alone.policies.clear();
    let mut live_alone = applied(&s);
    live_alone.retain(|r| r.kind != Kind::Policy);
    let p = plan(&alone, &live_alone, false);
    assert_eq!(
        waits(&p),
        vec![
            (
                at(Kind::PublicKey, "signer", Op::Create),
                vec![at(Kind::PublicKey, "signer", Op::Delete)]
            ),
            (at(Kind::PublicKey, "signer", Op::Delete), vec![]),
        ]
    );
}

#[test]
fn policies_name_every_ivs_kind_by_logical_id_as_exact_arns() {
    let mut s = recording_stack();
    s.encoder_configurations
        .insert("hd".into(), EncoderConfiguration::default());
    s.public_keys.insert(
        "signer".into(),
        PublicKey {
            public_key_pem: Some(public_pem(3)),
            ..Default::default()
        },
    );
    s.ingest_configurations
        .insert("studio".into(), ingest(Some("main")));
    s.policies.insert(
        "ops".into(),
        Policy {
            statements: vec![Statement {
                allow: vec!["ivs:Get*".into()],
                ids: BTreeMap::from([
                    (Kind::StorageConfiguration, vec!["rec".to_string()]),
                    (Kind::EncoderConfiguration, vec!["hd".to_string()]),
                    (Kind::PublicKey, vec!["signer".to_string()]),
                    (Kind::IngestConfiguration, vec!["studio".to_string()]),
                ]),
                ..Default::default()
            }],
            ..policy(&[])
        },
    );
    // Before they exist: placeholders, and the policy waits for all four.
    let p = plan(&s, &[], false);
    let doc = field(find(&p, Kind::Policy, "ops"), "document");
    let text = doc.after.as_ref().and_then(Value::as_str).unwrap();
    for placeholder in [
        "${storage_configurations.rec.arn}",
        "${encoder_configurations.hd.arn}",
        "${public_keys.signer.arn}",
        "${ingest_configurations.studio.arn}",
    ] {
        assert!(text.contains(placeholder), "{placeholder} in {text}");
    }
    let (_, after) = waits(&p)
        .into_iter()
        .find(|(s, _)| s.0 == Kind::Policy)
        .unwrap();
    assert_eq!(after.len(), 4, "{after:?}");
    // Once they exist: their exact ARNs.
    let p = plan(&s, &applied(&s), false);
    assert!(!p.has_changes());
    let live = applied(&s);
    let doc = live
        .iter()
        .find(|r| r.kind == Kind::Policy)
        .and_then(|r| r.spec["document"].as_str())
        .unwrap()
        .to_string();
    for kind in [
        Kind::StorageConfiguration,
        Kind::EncoderConfiguration,
        Kind::PublicKey,
        Kind::IngestConfiguration,
    ] {
        let id = s.ids(kind)[0];
        assert!(doc.contains(&pid_for(kind, id)), "{kind}: {doc}");
    }
}

// ---------------------------------------------------------------------------------------
// Convergence: apply the plan with a simulator, plan again, nothing is left to do.

mod convergence {
    use super::*;
    use proptest::prelude::*;

    /// Stage: (id index, name variant, recording variant, protect).
    type StageGen = (usize, Option<u8>, Option<u8>, bool);
    /// Policy: (id index, referenced stages, description variant, name variant, protect).
    type PolicyGen = (usize, Vec<usize>, u8, Option<u8>, bool);
    /// Alarm: (id index, referenced stage, threshold, name variant, protect).
    type AlarmGen = (usize, Option<usize>, u8, Option<u8>, bool);
    /// Budget: (id index, limit in hundreds, notify percents, protect).
    type BudgetGen = (usize, u8, Vec<u8>, bool);
    /// Storage configuration: (id index, bucket variant, protect).
    type StorageGen = (usize, u8, bool);
    /// Ingest configuration: (id index, referenced stage, protocol variant, protect).
    type IngestGen = (usize, Option<usize>, u8, bool);

    /// A compact description of a stack, expanded into a `StackFile`.
    #[derive(Debug, Clone)]
    struct StackSpec {
        stages: Vec<StageGen>,
        policies: Vec<PolicyGen>,
        alarms: Vec<AlarmGen>,
        budgets: Vec<BudgetGen>,
        storage: Vec<StorageGen>,
        ingest: Vec<IngestGen>,
        tag: u8,
    }

    const STAGES: [&str; 3] = ["main", "side", "spare"];
    const POLICIES: [&str; 2] = ["minter", "reader"];
    const ALARMS: [&str; 2] = ["pubs", "subs"];
    const BUDGETS: [&str; 2] = ["monthly", "yearly"];
    const STORAGE: [&str; 2] = ["rec", "archive"];
    const INGEST: [&str; 2] = ["studio", "field"];

    fn build(spec: &StackSpec) -> StackFile {
        let mut s = stack();
        s.tags = tags(&[("team", ["media", "video"][spec.tag as usize % 2])]);
        for (i, bucket, protect) in &spec.storage {
            let mut sc = storage(&format!("bucket-{bucket}"));
            sc.protect = *protect;
            s.storage_configurations.insert(STORAGE[*i].into(), sc);
        }
        let storage_ids: Vec<String> = s.storage_configurations.keys().cloned().collect();
        for (i, name, media, protect) in &spec.stages {
            s.stages.insert(
                STAGES[*i].into(),
                Stage {
                    name: name.map(|n| format!("stage-{n}")),
                    // Even variants record to a storage configuration of the stack, when
                    // there is one.
                    recording: media.map(|m| Recording {
                        media_types: Some(vec![if m % 2 == 0 {
                            MediaType::AudioVideo
                        } else {
                            MediaType::AudioOnly
                        }]),
                        storage: storage_ids
                            .get(usize::from(m) % storage_ids.len().max(1))
                            .filter(|_| m % 2 == 0)
                            .cloned(),
                        storage_configuration_arn: if m % 2 == 0 && !storage_ids.is_empty() {
                            None
                        } else {
                            recording().storage_configuration_arn
                        },
                        ..recording()
                    }),
                    protect: *protect,
                    ..stage()
                },
            );
        }
        let stage_ids: Vec<String> = s.stages.keys().cloned().collect();
        for (i, refs, desc, name, protect) in &spec.policies {
            let mut refs: Vec<&str> = refs
                .iter()
                .filter_map(|r| stage_ids.get(r % stage_ids.len().max(1)))
                .map(String::as_str)
                .collect();
            refs.sort();
            refs.dedup();
            let mut p = policy(&refs);
            if refs.is_empty() {
                p.statements[0].resources = vec!["*".into()];
            }
            p.description = Some(format!("purpose {desc}"));
            p.name = name.map(|n| format!("policy-{n}"));
            p.protect = *protect;
            s.policies.insert(POLICIES[*i].into(), p);
        }
        for (i, stage_ref, threshold, name, protect) in &spec.alarms {
            let stage = stage_ref.and_then(|r| stage_ids.get(r % stage_ids.len().max(1)));
            let mut a = alarm(stage.map(String::as_str));
            a.threshold = f64::from(*threshold);
            a.name = name.map(|n| format!("alarm-{n}"));
            a.protect = *protect;
            s.alarms.insert(ALARMS[*i].into(), a);
        }
        for (i, stage_ref, protocol, protect) in &spec.ingest {
            let stage = stage_ref.and_then(|r| stage_ids.get(r % stage_ids.len().max(1)));
            let mut c = ingest(stage.map(String::as_str));
            if protocol % 2 == 1 {
                c.ingest_protocol = IngestProtocol::Rtmp;
                c.insecure_ingest = Some(true);
            }
            c.protect = *protect;
            s.ingest_configurations.insert(INGEST[*i].into(), c);
        }
        for (i, limit, percents, protect) in &spec.budgets {
            let mut b = budget(f64::from(*limit) * 100.0);
            if !percents.is_empty() {
                b.notify_percent = Some(percents.iter().map(|p| f64::from(*p)).collect());
            }
            b.protect = *protect;
            s.budgets.insert(BUDGETS[*i].into(), b);
        }
        s
    }

    fn stack_spec() -> impl Strategy<Value = StackSpec> {
        (
            proptest::collection::vec(
                (
                    0..3usize,
                    proptest::option::of(0..2u8),
                    proptest::option::of(0..2u8),
                    any::<bool>(),
                ),
                0..3,
            ),
            proptest::collection::vec(
                (
                    0..2usize,
                    proptest::collection::vec(0..3usize, 0..3),
                    0..2u8,
                    proptest::option::of(0..2u8),
                    any::<bool>(),
                ),
                0..2,
            ),
            proptest::collection::vec(
                (
                    0..2usize,
                    proptest::option::of(0..3usize),
                    0..3u8,
                    proptest::option::of(0..2u8),
                    any::<bool>(),
                ),
                0..2,
            ),
            proptest::collection::vec(
                (
                    0..2usize,
                    1..4u8,
                    proptest::collection::vec(50..120u8, 0..3),
                    any::<bool>(),
                ),
                0..2,
            ),
            proptest::collection::vec((0..2usize, 0..2u8, any::<bool>()), 0..3),
            proptest::collection::vec(
                (
                    0..2usize,
                    proptest::option::of(0..3usize),
                    0..2u8,
                    any::<bool>(),
                ),
                0..3,
            ),
            0..2u8,
        )
            .prop_map(
                |(stages, policies, alarms, budgets, storage, ingest, tag)| StackSpec {
                    stages,
                    policies,
                    alarms,
                    budgets,
                    storage,
                    ingest,
                    tag,
                },
            )
    }

    /// How one live copy deviates from the stack it was applied from.
    #[derive(Debug, Clone)]
    struct Copy {
        extra: u8,
        protect: bool,
        aws_tag: bool,
        drift: bool,
        decimal: bool,
    }

    fn copy() -> impl Strategy<Value = Copy> {
        (
            0..3u8,
            proptest::bool::weighted(0.15),
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(|(extra, protect, aws_tag, drift, decimal)| Copy {
                extra,
                protect,
                aws_tag,
                drift,
                decimal,
            })
    }

    /// The live account: an earlier version of the stack, applied, with up to three copies
    /// of each resource (raced applies), drift, AWS's own tags, and another stack's stage.
    fn observed_from(prev: &StackFile, copies: &[Vec<Copy>]) -> Vec<Resource> {
        let mut out = Vec::new();
        for (n, d) in kinds::desired(prev, &known_all(prev)).iter().enumerate() {
            let variants = &copies[n % copies.len()];
            for (k, c) in variants
                .iter()
                .take(1 + usize::from(variants[0].extra))
                .enumerate()
            {
                let pid = if k == 0 {
                    pid_for(d.kind, &d.id)
                } else if d.kind == Kind::Stage {
                    stage_arn(&format!("Dup{k}{}", d.id))
                } else {
                    format!("{}-dup{k}", pid_for(d.kind, &d.id))
                };
                let mut r = live(d, &pid);
                if c.protect {
                    r.tags.insert(TAG_PROTECT.into(), "true".into());
                }
                if c.aws_tag {
                    r.tags.insert("aws:createdBy".into(), "console".into());
                }
                if c.drift {
                    r.tags.insert("team".into(), "drifted".into());
                    match r.kind {
                        Kind::Alarm => r.spec["threshold"] = json!(99),
                        // A replace: stages recording to it move to the new one.
                        Kind::StorageConfiguration => r.spec["s3_bucket"] = json!("drifted"),
                        // Detached by hand (or by a stage delete): moved back in place.
                        Kind::IngestConfiguration => r.spec["stage"] = json!(""),
                        _ => {}
                    }
                }
                if c.decimal && r.kind == Kind::Budget {
                    let v = r.spec["limit_usd"].as_f64().unwrap_or(0.0);
                    r.spec["limit_usd"] = serde_json::from_str(&format!("{v:E}")).unwrap();
                }
                out.push(r);
            }
        }
        let mut foreign = stack();
        foreign.stack = "foreign".into();
        foreign.stages.insert("main".into(), stage());
        out.extend(applied(&foreign).into_iter().map(|mut r| {
            // Physical ids are unique across the account.
            r.physical_id = Some(stage_arn("Foreign"));
            r
        }));
        out
    }

    /// Desired fields laid over live ones, nested objects merged (what UpdateStage,
    /// PutMetricAlarm-with-live-fields and friends achieve).
    fn overlay(live: &mut Map<String, Value>, desired: &Map<String, Value>) {
        for (k, v) in desired {
            if v.is_null() {
                continue;
            }
            match (live.get_mut(k), v) {
                (Some(Value::Object(l)), Value::Object(d)) => overlay(l, d),
                _ => {
                    live.insert(k.clone(), v.clone());
                }
            }
        }
    }

    /// Apply a plan to a simulated account, step by step in an order the schedule allows
    /// (each step once everything it waits for is done), checking on the way that every
    /// write finds its placeholders resolvable and every delete finds no pending referrer.
    fn simulate(p: &Plan, observed: &[Resource]) -> Vec<Resource> {
        let mut world = observed.to_vec();
        let mut created = Known::new();
        let mut fresh = 0usize;
        let steps = order::schedule_plan(p);
        assert!(steps.iter().all(|s| !s.cyclic), "{steps:#?}");
        let mut done = vec![false; steps.len()];
        while let Some(i) =
            (0..steps.len()).find(|&i| !done[i] && steps[i].after.iter().all(|a| done[*a]))
        {
            let step = &steps[i];
            let c = &p.changes[step.change];
            let resolved = c.desired.clone().map(|mut d| {
                let mut spec = Value::Object(d.spec);
                resolve_placeholders(&mut spec, &created);
                d.spec = match spec {
                    Value::Object(m) => m,
                    _ => unreachable!(),
                };
                d
            });
            if let (Some(d), Op::Create | Op::Update) = (&resolved, step.op) {
                let left = kinds::placeholders(&Value::Object(d.spec.clone()));
                assert!(left.is_empty(), "{}.{} ran before {left:?}", c.kind, c.id);
            }
            match step.op {
                Op::Create => {
                    let d = resolved.expect("create has desired");
                    fresh += 1;
                    let pid = match d.kind {
                        Kind::Stage => stage_arn(&format!("New{fresh}")),
                        _ => format!("new-{}-{fresh}", d.kind),
                    };
                    created.insert(d.kind, d.id.clone(), pid.clone());
                    world.push(live(&d, &pid));
                }
                Op::Update => {
                    let d = resolved.expect("update has desired");
                    let d = live(&d, "unused");
                    let r = world
                        .iter_mut()
                        .find(|r| r.physical_id == c.physical_id)
                        .expect("updated resource exists");
                    overlay(&mut r.spec, &d.spec);
                    let aws: Vec<(String, String)> = r
                        .tags
                        .iter()
                        .filter(|(k, _)| k.starts_with("aws:"))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect();
                    r.tags = d.tags.clone();
                    r.tags.extend(aws);
                }
                Op::Delete => {
                    let pid = c.physical_id.clone().unwrap_or_default();
                    let attrs: Vec<String> = c
                        .kind
                        .attributes()
                        .iter()
                        .filter_map(|a| c.kind.attribute(&pid, *a))
                        .collect();
                    // No change that is still to run may refer to what goes.
                    for (j, other) in steps.iter().enumerate() {
                        let oc = &p.changes[other.change];
                        if done[j]
                            || j == i
                            || other.op == Op::Create
                            || oc.physical_id == c.physical_id
                        {
                            continue;
                        }
                        let Some(r) = world.iter().find(|r| r.physical_id == oc.physical_id) else {
                            continue;
                        };
                        let refs = r.kind.live_references(r);
                        assert!(
                            !refs.iter().any(|l| attrs.contains(&l.value)),
                            "{}.{} deleted while {}.{} still refers to it",
                            c.kind,
                            c.id,
                            oc.kind,
                            oc.id
                        );
                    }
                    world.retain(|r| r.physical_id != c.physical_id);
                }
            }
            done[i] = true;
        }
        assert!(done.iter().all(|d| *d), "steps left: {steps:#?}");
        world
    }

    fn refused(p: &Plan) -> Vec<(Kind, String, Option<String>)> {
        p.changes
            .iter()
            .filter(|c| c.action == Action::DeleteRefused)
            .map(|c| (c.kind, c.id.clone(), c.physical_id.clone()))
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn applying_a_plan_converges(
            prev in stack_spec(),
            next in stack_spec(),
            copies in proptest::collection::vec(proptest::collection::vec(copy(), 1..4), 1..6),
            destroy in proptest::bool::weighted(0.2),
        ) {
            let prev = build(&prev);
            let next = build(&next);
            let observed = observed_from(&prev, &copies);
            let first = plan(&next, &observed, destroy);
            let after = simulate(&first, &observed);
            let second = plan(&next, &after, destroy);
            let left: Vec<_> = second
                .changes
                .iter()
                .filter(|c| c.action.changes_anything())
                .map(|c| (c.kind, c.id.clone(), c.action, c.fields.clone()))
                .collect();
            prop_assert!(left.is_empty(), "second plan still changes: {left:#?}");
            prop_assert_eq!(refused(&second), refused(&first));
            // Resources of other stacks were never touched.
            prop_assert!(after.iter().any(|r| r.tags.get(TAG_STACK).map(String::as_str) == Some("foreign")));
            // Every desired resource exists exactly once (or is kept by a refusal).
            if !destroy {
                for d in kinds::desired(&next, &Known::new()) {
                    let live: Vec<&Resource> = after
                        .iter()
                        .filter(|r| r.kind == d.kind && r.id == d.id
                            && r.tags.get(TAG_STACK) == Some(&next.stack))
                        .collect();
                    prop_assert!(!live.is_empty());
                    // Extra copies stay only when protected, or kept alive by a refusal
                    // (a protected stage still records to one).
                    let kept: Vec<Option<String>> =
                        refused(&second).into_iter().map(|(_, _, pid)| pid).collect();
                    let free = live
                        .iter()
                        .filter(|r| !r.protected() && !kept.contains(&r.physical_id))
                        .count();
                    prop_assert!(live.len() == 1 || free <= 1, "{} {}: {live:#?}", d.kind, d.id);
                }
            }
        }
    }

    #[test]
    fn simulator_really_changes_the_world() {
        // Guard against a simulator that makes every second plan trivially empty.
        let s = full_stack();
        let first = plan(&s, &[], false);
        let after = simulate(&first, &[]);
        assert_eq!(after.len(), 4);
        let policy = after.iter().find(|r| r.kind == Kind::Policy).unwrap();
        let stage = after.iter().find(|r| r.kind == Kind::Stage).unwrap();
        let doc = policy.spec["document"].as_str().unwrap();
        assert!(doc.contains(stage.physical_id.as_deref().unwrap()), "{doc}");
        assert!(!plan(&s, &after, false).has_changes());
        assert!(plan(&s, &after, true).has_changes());
    }

    #[test]
    fn example_with_protected_duplicate_converges() {
        let s = full_stack();
        let mut obs = applied(&s);
        let mut dup = obs[0].clone();
        dup.physical_id = Some(stage_arn("AAA"));
        dup.tags.insert(TAG_PROTECT.into(), "true".into());
        obs.push(dup);
        let first = plan(&s, &obs, false);
        let after = simulate(&first, &obs);
        let second = plan(&s, &after, false);
        assert!(!second.has_changes());
        assert_eq!(refused(&second), refused(&first));
        assert_eq!(refused(&first).len(), 1);
    }
}
