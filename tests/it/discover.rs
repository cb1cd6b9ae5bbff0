//! `ivstack discover` and `ivstack import` end to end: resources made the way the IVS
//! guide makes them (the AWS CLI: `aws ivs-realtime create-stage ...`) against the local
//! endpoint, discovered into a stack file that validates, and adopted.

use std::process::Output;

use serde_json::Value;

use crate::common;
use crate::e2e::{World, assert_code, text};

/// Run the AWS CLI against the endpoint; its JSON answer.
fn aws(w: &World, args: &[&str]) -> Value {
    let out = std::process::Command::new("aws")
        .args(["--endpoint-url", w.endpoint.url()])
        .args(["--region", common::REGION, "--output", "json"])
        .args(args)
        .env("AWS_ACCESS_KEY_ID", common::ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", common::SECRET_KEY)
        .env_remove("AWS_PROFILE")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_PAGER", "")
        .output()
        .expect("the AWS CLI is installed (.ci/run installs awscli)");
    assert!(
        out.status.success(),
        "aws {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    if out.stdout.iter().all(u8::is_ascii_whitespace) {
        return Value::Null;
    }
    serde_json::from_slice(&out.stdout).expect("aws answers JSON")
}

const ACCOUNT: &str = "123456789012";

/// What the guide's commands made: ARNs and ids.
pub(crate) struct Guide {
    pub(crate) stage_arn: String,
    pub(crate) storage_arn: String,
    pub(crate) policy_arn: String,
}

/// The guide's setup with the AWS CLI: a storage configuration, a stage recording to
/// it, a policy that lets a backend mint tokens for it, an alarm on its publishers and a
/// budget on IVS costs.
pub(crate) fn guide_setup(w: &World, policy_path: &str) -> Guide {
    let sc = aws(
        w,
        &[
            "ivs-realtime",
            "create-storage-configuration",
            "--name",
            "recordings",
            "--s3",
            "bucketName=e2e-recordings",
        ],
    );
    let storage_arn = sc["storageConfiguration"]["arn"]
        .as_str()
        .unwrap()
        .to_string();
    let stage = aws(
        w,
        &[
            "ivs-realtime",
            "create-stage",
            "--name",
            "my-realtime-stage",
            "--tags",
            "team=media",
            "--auto-participant-recording-configuration",
            &format!(
                "storageConfigurationArn={storage_arn},mediaTypes=AUDIO_VIDEO,hlsConfiguration={{targetSegmentDurationSeconds=4}}"
            ),
        ],
    );
    let stage_arn = stage["stage"]["arn"].as_str().unwrap().to_string();
    let stage_id = stage_arn.rsplit('/').next().unwrap().to_string();
    // The rest of the family: an encoder configuration, an RTMPS publisher for the stage
    // and the key of self-signed tokens.
    aws(
        w,
        &[
            "ivs-realtime",
            "create-encoder-configuration",
            "--name",
            "composite-1080p",
            "--video",
            "width=1920,height=1080,framerate=30,bitrate=2500000",
        ],
    );
    aws(
        w,
        &[
            "ivs-realtime",
            "create-ingest-configuration",
            "--name",
            "obs",
            "--stage-arn",
            &stage_arn,
            "--ingest-protocol",
            "RTMPS",
            "--user-id",
            "broadcaster",
        ],
    );
    let pem = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("stacks/keys/token-signer.pub.pem"),
    )
    .unwrap();
    aws(
        w,
        &[
            "ivs-realtime",
            "import-public-key",
            "--name",
            "token-signer",
            "--public-key-material",
            &pem,
        ],
    );
    let document = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": ["ivs:CreateParticipantToken"],
            "Resource": [stage_arn],
        }],
    })
    .to_string();
    let policy = aws(
        w,
        &[
            "iam",
            "create-policy",
            "--policy-name",
            "token-minter",
            "--path",
            policy_path,
            "--policy-document",
            &document,
        ],
    );
    let policy_arn = policy["Policy"]["Arn"].as_str().unwrap().to_string();
    aws(
        w,
        &[
            "cloudwatch",
            "put-metric-alarm",
            "--alarm-name",
            "stage-publishers",
            "--namespace",
            "AWS/IVSRealTime",
            "--metric-name",
            "Publishers",
            "--dimensions",
            &format!("Name=Stage,Value={stage_id}"),
            "--statistic",
            "Maximum",
            "--comparison-operator",
            "GreaterThanOrEqualToThreshold",
            "--threshold",
            "11",
            "--period",
            "60",
            "--evaluation-periods",
            "1",
        ],
    );
    let budget = serde_json::json!({
        "BudgetName": "ivs-monthly",
        "BudgetLimit": {"Amount": "100", "Unit": "USD"},
        "TimeUnit": "MONTHLY",
        "BudgetType": "COST",
        "FilterExpression": {"Dimensions": {"Key": "SERVICE", "Values": ["Amazon Interactive Video Service"]}},
    })
    .to_string();
    let notify = serde_json::json!([{
        "Notification": {"NotificationType": "ACTUAL", "ComparisonOperator": "GREATER_THAN", "Threshold": 80, "ThresholdType": "PERCENTAGE"},
        "Subscribers": [{"SubscriptionType": "EMAIL", "Address": "ops@example.com"}],
    }])
    .to_string();
    aws(
        w,
        &[
            "budgets",
            "create-budget",
            "--account-id",
            ACCOUNT,
            "--budget",
            &budget,
            "--notifications-with-subscribers",
            &notify,
        ],
    );
    Guide {
        stage_arn,
        storage_arn,
        policy_arn,
    }
}

/// `ivstack validate FILE` (no network).
pub(crate) fn validate(file: &std::path::Path) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_ivstack"))
        .args(["validate", file.to_str().unwrap()])
        .env("NO_COLOR", "1")
        .output()
        .expect("run ivstack")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discover_describes_what_the_guide_made_and_the_file_validates() {
    let w = World::new().await;
    let g = guide_setup(&w, "/ivstack/live/");
    let out = w.run(&["discover", "--region", "us-east-1", "--stack", "live"]);
    assert_code(&out, 0);
    let file = stdout(&out);
    // Every resource, with its ARN in a comment; references as logical ids.
    for arn in [&g.stage_arn, &g.storage_arn, &g.policy_arn] {
        assert!(file.contains(&format!("# {arn}")), "{arn}\n{}", text(&out));
    }
    for expected in [
        "stack: live\n",
        "region: us-east-1\n",
        "account: \"123456789012\"",
        "  my-realtime-stage:\n    name: my-realtime-stage\n",
        "storage: recordings",
        "hls_segment_seconds: 4",
        "team: media",
        "stages:\n          - my-realtime-stage",
        "stage: my-realtime-stage",
        "metric: Publishers",
        "  ivs-monthly:\n",
        "limit_usd: 100",
        "notify_percent:\n      - 80",
        "ops@example.com",
        "  composite-1080p:\n    name: composite-1080p\n    video:\n      height: 1080\n",
        "  obs:\n    name: obs\n    ingest_protocol: RTMPS\n    stage: my-realtime-stage\n    user_id: broadcaster\n",
        "  token-signer:\n    name: token-signer\n    public_key_pem: ",
    ] {
        assert!(
            file.contains(expected),
            "missing {expected:?}\n{}",
            text(&out)
        );
    }
    // AWS's defaults are left out.
    for absent in ["media_types", "reconnect_window_seconds", "period_seconds"] {
        assert!(!file.contains(absent), "{absent}\n{file}");
    }
    // Deterministic.
    let again = w.run(&["discover", "--region", "us-east-1", "--stack", "live"]);
    assert_eq!(stdout(&again), file);
    // It validates as it is.
    let f = w.write("live.yaml", &file);
    assert_code(&validate(&f), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discover_says_what_it_cannot_describe_and_refuses_to_overwrite() {
    let w = World::new().await;
    // A policy outside ivstack's path, and an alarm on a metric ivstack does not model.
    guide_setup(&w, "/");
    aws(
        &w,
        &[
            "cloudwatch",
            "put-metric-alarm",
            "--alarm-name",
            "odd-metric",
            "--namespace",
            "AWS/IVSRealTime",
            "--metric-name",
            "Mystery",
            "--statistic",
            "Average",
            "--comparison-operator",
            "GreaterThanThreshold",
            "--threshold",
            "1",
            "--period",
            "60",
            "--evaluation-periods",
            "1",
        ],
    );
    let out = w.run(&["discover", "--region", "us-east-1", "--output", "live.yaml"]);
    assert_code(&out, 0);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        err.contains("warning: not described: alarm `odd-metric`") && err.contains("Mystery"),
        "{}",
        text(&out)
    );
    assert!(err.contains("IAM path is `/`"), "{}", text(&out));
    let file = std::fs::read_to_string(w.dir.path().join("live.yaml")).unwrap();
    assert!(file.contains("stack: discovered-us-east-1\n"), "{file}");
    assert!(file.contains("# - alarm `odd-metric`"), "{file}");
    assert!(file.contains("# note: its IAM path is `/`"), "{file}");
    // The file exists now: not replaced without --force.
    let again = w.run(&["discover", "--region", "us-east-1", "--output", "live.yaml"]);
    assert_code(&again, 1);
    assert!(text(&again).contains("--force"), "{}", text(&again));
    assert_code(
        &w.run(&[
            "discover",
            "--region",
            "us-east-1",
            "--output",
            "live.yaml",
            "--force",
        ]),
        0,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_unmanaged_leaves_out_what_a_stack_owns() {
    let w = World::new().await;
    guide_setup(&w, "/ivstack/live/");
    let owned = w.write(
        "owned.yaml",
        "stack: prod\nregion: us-east-1\nstages:\n  main:\n    name: prod-main\n",
    );
    assert_code(
        &w.run(&["apply", owned.to_str().unwrap(), "--auto-approve"]),
        0,
    );
    // The region comes from the standard configuration (AWS_REGION) here.
    let all = w.run(&["discover"]);
    assert_code(&all, 0);
    assert!(
        stdout(&all).contains("# owned by ivstack stack `prod` (id `main`)"),
        "{}",
        text(&all)
    );
    let unmanaged = w.run(&["discover", "--region", "us-east-1", "--only-unmanaged"]);
    assert_code(&unmanaged, 0);
    let file = stdout(&unmanaged);
    assert!(!file.contains("prod-main"), "{file}");
    assert!(file.contains("my-realtime-stage"), "{file}");
}

/// The endpoint's whole live state, serialized: compared byte for byte to prove that a
/// refused command changed nothing.
fn state(w: &World) -> Vec<u8> {
    w.endpoint
        .with_state(|s| serde_json::to_vec(s).expect("state serializes"))
        .expect("state")
}

/// The state without any tags: what must not change when only tags are added.
fn state_without_tags(w: &World) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(m) => {
                m.retain(|k, _| !k.eq_ignore_ascii_case("tags"));
                m.values_mut().for_each(strip);
            }
            Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut v: Value = serde_json::from_slice(&state(w)).unwrap();
    strip(&mut v);
    v
}

fn discover_to(w: &World, file: &str, path_args: &[&str]) -> std::path::PathBuf {
    let mut args = vec!["discover", "--stack", "live", "--output", file];
    args.extend_from_slice(path_args);
    assert_code(&w.run(&args), 0);
    w.dir.path().join(file)
}

async fn stage_tags(w: &World, arn: &str) -> std::collections::HashMap<String, String> {
    let s = w
        .ivs()
        .get_stage()
        .arn(arn)
        .send()
        .await
        .expect("get stage");
    s.stage()
        .and_then(|s| s.tags().cloned())
        .unwrap_or_default()
}

async fn stage_count(w: &World) -> usize {
    w.ivs()
        .list_stages()
        .max_results(100)
        .send()
        .await
        .expect("list")
        .stages()
        .len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_adopts_what_discover_found_then_plan_is_empty_with_arns_unchanged() {
    let w = World::new().await;
    let g = guide_setup(&w, "/ivstack/live/");
    let file = discover_to(&w, "live.yaml", &[]);
    let f = file.to_str().unwrap();
    let stages = stage_count(&w).await;

    // plan shows the adoptions and says only `import` does them.
    let plan = w.run(&["plan", f, "--detailed-exitcode"]);
    assert_code(&plan, 2);
    let shown = stdout(&plan);
    assert!(
        shown.contains("<= stage.my-realtime-stage"),
        "{}",
        text(&plan)
    );
    assert!(
        shown.contains("would be imported by `ivstack import`"),
        "{}",
        text(&plan)
    );
    assert!(
        shown.contains("8 to import, 0 to create"),
        "{}",
        text(&plan)
    );
    let json = w.run(&["plan", f, "--output", "json"]);
    let report: Value = serde_json::from_slice(&json.stdout).expect("json");
    assert_eq!(report["summary"]["import"], 8, "{report}");
    assert_eq!(report["format_version"], "1.3");

    // apply never adopts: refused, nothing changed.
    let before = state(&w);
    let apply = w.run(&["apply", f, "--auto-approve"]);
    assert_code(&apply, 1);
    assert!(
        text(&apply).contains("apply never adopts"),
        "{}",
        text(&apply)
    );
    assert!(
        state(&w) == before,
        "a refused apply changed the live state"
    );

    // import adds the ownership tags and nothing else.
    let untagged = state_without_tags(&w);
    let import = w.run(&["import", f, "--auto-approve"]);
    assert_code(&import, 0);
    assert!(
        stdout(&import).contains("will be imported (adopted as it is)"),
        "{}",
        text(&import)
    );
    assert_eq!(
        state_without_tags(&w),
        untagged,
        "import changed more than tags"
    );
    let tags = stage_tags(&w, &g.stage_arn).await;
    assert_eq!(tags.get("ivstack:stack").map(String::as_str), Some("live"));
    assert_eq!(
        tags.get("ivstack:id").map(String::as_str),
        Some("my-realtime-stage")
    );
    assert_eq!(tags.get("team").map(String::as_str), Some("media"));
    assert_eq!(stage_count(&w).await, stages, "no stage was created");

    // Converged: the ARNs are the ones the guide made.
    let after = w.run(&["plan", f, "--detailed-exitcode"]);
    assert_code(&after, 0);
    assert!(stdout(&after).contains("No changes"), "{}", text(&after));
    let again = w.run(&["discover", "--stack", "live", "--region", "us-east-1"]);
    let again = stdout(&again);
    for arn in [&g.stage_arn, &g.storage_arn, &g.policy_arn] {
        assert!(again.contains(arn.as_str()), "{arn}\n{again}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_refuses_another_stacks_resource_and_two_candidates_and_map_chooses() {
    let w = World::new().await;
    let prod = w.write(
        "prod.yaml",
        "stack: prod\nregion: us-east-1\nstages:\n  main:\n    name: shared\n",
    );
    assert_code(
        &w.run(&["apply", prod.to_str().unwrap(), "--auto-approve"]),
        0,
    );
    let twin1 = aws(&w, &["ivs-realtime", "create-stage", "--name", "twin"]);
    let twin2 = aws(&w, &["ivs-realtime", "create-stage", "--name", "twin"]);
    let (twin1, twin2) = (
        twin1["stage"]["arn"].as_str().unwrap().to_string(),
        twin2["stage"]["arn"].as_str().unwrap().to_string(),
    );
    aws(&w, &["ivs-realtime", "create-stage", "--name", "solo"]);

    // Another stack's stage: refused, and so is the whole import (`solo` too).
    let theirs = w.write(
        "theirs.yaml",
        "stack: live\nregion: us-east-1\nstages:\n  main:\n    name: shared\n  solo:\n    name: solo\n",
    );
    let before = state(&w);
    let out = w.run(&["import", theirs.to_str().unwrap(), "--auto-approve"]);
    assert_code(&out, 1);
    let said = text(&out);
    assert!(
        said.contains("refused; nothing was changed")
            && said.contains("belongs to stack `prod` (as `main`)"),
        "{said}"
    );
    assert!(
        state(&w) == before,
        "a refused import changed the live state"
    );
    // plan says why that stage would be created rather than imported.
    let plan = w.run(&["plan", theirs.to_str().unwrap()]);
    assert_code(&plan, 0);
    let said = stdout(&plan);
    assert!(
        said.contains("+ stage.main (shared)")
            && said.contains("would not adopt it")
            && said.contains("belongs to stack `prod`")
            && said.contains("<= stage.solo (solo)"),
        "{}",
        text(&plan)
    );

    // Two candidates: refused, naming both.
    let twins = w.write(
        "twins.yaml",
        "stack: live\nregion: us-east-1\nstages:\n  twin:\n    name: twin\n",
    );
    let t = twins.to_str().unwrap();
    let out = w.run(&["import", t, "--auto-approve"]);
    assert_code(&out, 1);
    let said = text(&out);
    assert!(
        said.contains("2 stages no stack owns are named `twin`")
            && said.contains(&twin1)
            && said.contains(&twin2)
            && said.contains("--map stages.twin=<ARN>"),
        "{said}"
    );
    assert!(
        state(&w) == before,
        "a refused import changed the live state"
    );

    // --map chooses.
    let map = format!("stages.twin={twin2}");
    let out = w.run(&["import", t, "--map", &map, "--auto-approve"]);
    assert_code(&out, 0);
    assert_eq!(
        stage_tags(&w, &twin2)
            .await
            .get("ivstack:id")
            .map(String::as_str),
        Some("twin")
    );
    assert!(
        stage_tags(&w, &twin1).await.is_empty(),
        "the other twin is untouched"
    );
    assert_code(&w.run(&["plan", t, "--detailed-exitcode"]), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_refuses_a_policy_outside_the_stack_path_and_changes_nothing() {
    let w = World::new().await;
    guide_setup(&w, "/");
    let file = discover_to(&w, "live.yaml", &["--region", "us-east-1"]);
    let before = state(&w);
    let out = w.run(&["import", file.to_str().unwrap(), "--auto-approve"]);
    assert_code(&out, 1);
    let said = text(&out);
    assert!(
        said.contains("policies.token-minter")
            && said.contains("path is `/` (the file needs `/ivstack/live/`)")
            && said.contains("keep it unmanaged")
            && said.contains("run `ivstack apply`"),
        "{said}"
    );
    assert!(
        state(&w) == before,
        "a refused import changed the live state"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_plan_with_imports_goes_stale_when_the_candidate_changes() {
    let w = World::new().await;
    let g = guide_setup(&w, "/ivstack/live/");
    let file = discover_to(&w, "live.yaml", &[]);
    let f = file.to_str().unwrap();
    assert_code(&w.run(&["plan", f, "--out", "p1.json"]), 0);
    // apply never adopts, not even from a saved plan.
    let out = w.run(&["apply", "p1.json", "--auto-approve"]);
    assert_code(&out, 1);
    assert!(text(&out).contains("apply never adopts"), "{}", text(&out));
    // The candidate changes: the saved import is stale.
    aws(
        &w,
        &[
            "ivs-realtime",
            "tag-resource",
            "--resource-arn",
            &g.stage_arn,
            "--tags",
            "owner=someone",
        ],
    );
    let before = state(&w);
    let out = w.run(&["import", "p1.json", "--auto-approve"]);
    assert_code(&out, 1);
    assert!(
        text(&out).contains("stale plan") && text(&out).contains("stage.my-realtime-stage"),
        "{}",
        text(&out)
    );
    assert!(state(&w) == before, "a stale plan changed the live state");
    // A fresh plan imports exactly.
    assert_code(&w.run(&["plan", f, "--out", "p2.json"]), 0);
    assert_code(&w.run(&["import", "p2.json", "--auto-approve"]), 0);
    assert_eq!(
        stage_tags(&w, &g.stage_arn)
            .await
            .get("ivstack:stack")
            .map(String::as_str),
        Some("live")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_adopts_first_then_makes_the_field_changes_in_place() {
    let w = World::new().await;
    let made = aws(
        &w,
        &[
            "ivs-realtime",
            "create-stage",
            "--name",
            "show",
            "--tags",
            "team=media",
        ],
    );
    let arn = made["stage"]["arn"].as_str().unwrap().to_string();
    // The file keeps `team` and adds `tier`: an import followed by a tag change.
    let f = w.write(
        "show.yaml",
        "stack: live\nregion: us-east-1\nstages:\n  main:\n    name: show\n    tags: {team: media, tier: gold}\n",
    );
    let f = f.to_str().unwrap();
    let out = w.run(&["import", f, "--auto-approve"]);
    assert_code(&out, 0);
    let said = stdout(&out);
    assert!(
        said.contains("will be imported (adopted as it is), then updated in place")
            && said.contains("tags.tier"),
        "{}",
        text(&out)
    );
    let tags = stage_tags(&w, &arn).await;
    for (k, v) in [
        ("ivstack:stack", "live"),
        ("ivstack:id", "main"),
        ("team", "media"),
        ("tier", "gold"),
    ] {
        assert_eq!(tags.get(k).map(String::as_str), Some(v), "{tags:?}");
    }
    assert_eq!(stage_count(&w).await, 1);
    assert_code(&w.run(&["plan", f, "--detailed-exitcode"]), 0);
}

/// Requests the endpoint served for operations whose name ends with `op`.
fn served(w: &World, op: &str) -> u64 {
    w.endpoint
        .stats()
        .requests
        .iter()
        .filter(|(k, _)| k.ends_with(op))
        .map(|(_, n)| n)
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plans_look_for_imports_only_when_they_create_and_only_read_matching_names() {
    let w = World::new().await;
    guide_setup(&w, "/ivstack/live/");
    // A converged stack: no discovery at all.
    let owned = w.write(
        "owned.yaml",
        "stack: prod\nregion: us-east-1\nstages:\n  main:\n    name: prod-main\n",
    );
    let owned = owned.to_str().unwrap();
    assert_code(&w.run(&["apply", owned, "--auto-approve"]), 0);
    let (gets, lists) = (served(&w, ":GetStage"), served(&w, ":ListStages"));
    assert_code(&w.run(&["plan", owned, "--detailed-exitcode"]), 0);
    assert_eq!(
        served(&w, ":GetStage"),
        gets,
        "no GetStage for a converged plan"
    );
    assert_eq!(
        served(&w, ":ListStages"),
        lists + 1,
        "one ListStages (observe)"
    );
    // A stage to create whose name nothing bears: one more ListStages, no GetStage of the
    // guide's stage (another name), nothing read of the other kinds.
    let more = w.write(
        "more.yaml",
        "stack: prod\nregion: us-east-1\nstages:\n  main:\n    name: prod-main\n  fresh:\n    name: fresh\n",
    );
    let (gets, lists) = (served(&w, ":GetStage"), served(&w, ":ListStages"));
    let policies = served(&w, ":GetPolicy");
    assert_code(
        &w.run(&["plan", more.to_str().unwrap(), "--detailed-exitcode"]),
        2,
    );
    assert_eq!(served(&w, ":GetStage"), gets);
    assert_eq!(served(&w, ":ListStages"), lists + 2);
    assert_eq!(served(&w, ":GetPolicy"), policies);
}
