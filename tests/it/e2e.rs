//! End to end: the `ivstack` binary against an in-process local endpoint, through the real
//! AWS SDK clients. Each scenario of the reconciler's contract is a test: apply then an
//! empty plan, field changes, drift, removal, protection, stale saved plans, duplicates,
//! faults, and the account guard.

use crate::common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use aws_sdk_ivsrealtime::Client as Ivs;
use ivstack_local::{LocalConfig, LocalEndpoint};

const STACK: &str = r#"
stack: e2e
region: us-east-1
account: "123456789012"
tags: {team: media}
storage_configurations:
  recordings:
    s3_bucket: e2e-recordings
stages:
  main:
    tags: {tier: gold}
    recording:
      storage: recordings
      hls_segment_seconds: 6
  backup: {}
policies:
  token-minter:
    description: Mints participant tokens for the main stage
    statements:
      - allow: [ivs:CreateParticipantToken, ivs:GetStage]
        stages: [main]
alarms:
  main-publishers:
    stage: main
    metric: Publishers
    statistic: Maximum
    comparison: ">="
    threshold: 11
    alarm_actions: [arn:aws:sns:us-east-1:123456789012:ops]
budgets:
  monthly:
    limit_usd: 500
    emails: [ops@example.com]
"#;

/// S3 buckets (and their regions) that the stacks of these tests record to: `STACK`,
/// `stacks/production.yaml` and the family tests.
const BUCKETS: &[(&str, &str)] = &[
    ("e2e-recordings", "us-east-1"),
    ("live-prod-recordings-123456789012", "us-west-2"),
    ("fam-recordings", "us-east-1"),
    ("fam-archive", "us-east-1"),
];

pub(crate) struct World {
    pub(crate) endpoint: LocalEndpoint,
    pub(crate) dir: tempfile::TempDir,
}

impl World {
    pub(crate) async fn new() -> World {
        World::with(LocalConfig::default()).await
    }

    /// An endpoint with `config` and nothing in it: no buckets either.
    async fn bare(config: LocalConfig) -> World {
        World {
            endpoint: common::start_local_with(config).await,
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub(crate) async fn with(config: LocalConfig) -> World {
        let endpoint = common::start_local_with(config).await;
        // The buckets the test stacks' storage configurations name exist first, as on AWS.
        for (bucket, region) in BUCKETS {
            common::create_bucket(&endpoint, bucket, region).await;
        }
        World {
            endpoint,
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub(crate) fn write(&self, name: &str, body: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, body).expect("write stack file");
        p
    }

    /// Run the binary against the endpoint (blocking the test thread; the endpoint keeps
    /// serving on the runtime's other workers).
    pub(crate) fn run(&self, args: &[&str]) -> Output {
        run_bin(self.endpoint.url(), self.dir.path(), args)
    }

    pub(crate) fn ivs(&self) -> Ivs {
        Ivs::new(&common::sdk_config(&self.endpoint))
    }
}

fn run_bin(url: &str, cwd: &Path, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_ivstack"))
        .args(["--endpoint-url", url])
        .args(args)
        .current_dir(cwd)
        .env("AWS_ACCESS_KEY_ID", common::ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", common::SECRET_KEY)
        .env("AWS_REGION", common::REGION)
        .env_remove("AWS_PROFILE")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("NO_COLOR", "1")
        .output()
        .expect("run ivstack")
}

pub(crate) fn text(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

pub(crate) fn assert_code(o: &Output, code: i32) {
    assert_eq!(o.status.code(), Some(code), "{}", text(o));
}

/// Apply, then prove that a plan right after is empty (exit 0 with --detailed-exitcode).
pub(crate) fn apply_and_settle(w: &World, file: &Path) {
    let f = file.to_str().expect("utf-8 path");
    assert_code(&w.run(&["apply", f, "--auto-approve"]), 0);
    assert_code(&w.run(&["plan", f, "--detailed-exitcode"]), 0);
}

async fn stages_with_id(ivs: &Ivs, id: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut pages = ivs.list_stages().max_results(100).into_paginator().send();
    while let Some(page) = pages.next().await {
        for s in page.expect("list stages").stages() {
            if s.tags()
                .and_then(|t| t.get("ivstack:id"))
                .map(String::as_str)
                == Some(id)
            {
                out.push(s.arn().to_string());
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_then_plan_is_empty_and_reapply_is_a_no_op() {
    let w = World::new().await;
    let f = w.write("stack.yaml", STACK);
    apply_and_settle(&w, &f);
    // Running apply again changes nothing.
    let again = w.run(&["apply", f.to_str().unwrap(), "--auto-approve"]);
    assert_code(&again, 0);
    assert!(text(&again).contains("No changes"), "{}", text(&again));
    assert_eq!(stages_with_id(&w.ivs(), "main").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_kind_of_field_change_shows_exactly_and_converges() {
    let w = World::new().await;
    let f = w.write("stack.yaml", STACK);
    apply_and_settle(&w, &f);
    let edits = [
        (
            "hls_segment_seconds: 6",
            "hls_segment_seconds: 4",
            "recording.hls_segment_seconds",
        ),
        ("tier: gold", "tier: silver", "tags.tier"),
        ("threshold: 11", "threshold: 10", "threshold"),
        ("limit_usd: 500", "limit_usd: 750", "limit_usd"),
        (
            "allow: [ivs:CreateParticipantToken, ivs:GetStage]",
            "allow: [ivs:CreateParticipantToken]",
            "document",
        ),
        (
            "emails: [ops@example.com]",
            "emails: [ops@example.com, cfo@example.com]",
            "notifications",
        ),
    ];
    let mut body = STACK.to_string();
    for (from, to, field) in edits {
        body = body.replace(from, to);
        let f = w.write("stack.yaml", &body);
        let plan = w.run(&[
            "plan",
            f.to_str().unwrap(),
            "--output",
            "json",
            "--detailed-exitcode",
        ]);
        assert_code(&plan, 2);
        let v: serde_json::Value = serde_json::from_slice(&plan.stdout).expect("json plan");
        let changed: Vec<(String, String)> = v["resource_changes"]
            .as_array()
            .expect("resource_changes")
            .iter()
            .filter(|c| c["action"] != "no_op")
            .flat_map(|c| {
                let id = c["id"].as_str().unwrap_or("").to_string();
                c["changes"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .map(move |ch| (id.clone(), ch["path"].as_str().unwrap_or("").to_string()))
            })
            .collect();
        assert_eq!(changed.len(), 1, "editing {from} → {to}: {changed:?}");
        assert!(
            changed[0].1.starts_with(field),
            "{changed:?} should be {field}"
        );
        apply_and_settle(&w, &f);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drift_shows_in_the_plan_and_apply_reverts_it() {
    let w = World::new().await;
    let f = w.write("stack.yaml", STACK);
    apply_and_settle(&w, &f);
    let ivs = w.ivs();
    let arn = stages_with_id(&ivs, "main").await.remove(0);
    ivs.update_stage()
        .arn(&arn)
        .name("renamed-by-hand")
        .send()
        .await
        .expect("drift name");
    ivs.tag_resource()
        .resource_arn(&arn)
        .tags("added-by-hand", "x")
        .send()
        .await
        .expect("drift tag");
    let plan = w.run(&["plan", f.to_str().unwrap(), "--detailed-exitcode"]);
    assert_code(&plan, 2);
    let out = text(&plan);
    assert!(out.contains("renamed-by-hand"), "{out}");
    assert!(out.contains("added-by-hand"), "{out}");
    apply_and_settle(&w, &f);
    let stage = ivs.get_stage().arn(&arn).send().await.expect("get stage");
    let stage = stage.stage().expect("stage");
    assert_eq!(stage.name(), Some("e2e-main"));
    assert!(
        !stage
            .tags()
            .is_some_and(|t| t.contains_key("added-by-hand"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_a_resource_deletes_it_but_protect_is_honoured() {
    let w = World::new().await;
    let protected = STACK.replace("  backup: {}", "  backup:\n    protect: true");
    let f = w.write("stack.yaml", &protected);
    apply_and_settle(&w, &f);
    // Drop the protected stage and the alarm from the file.
    let smaller = protected
        .replace("  backup:\n    protect: true\n", "")
        .split("alarms:")
        .next()
        .unwrap()
        .to_string()
        + "budgets:\n  monthly:\n    limit_usd: 500\n    emails: [ops@example.com]\n";
    let f = w.write("stack.yaml", &smaller);
    let apply = w.run(&["apply", f.to_str().unwrap(), "--auto-approve"]);
    assert_code(&apply, 0);
    let out = text(&apply);
    assert!(out.contains("protect"), "{out}");
    let ivs = w.ivs();
    assert_eq!(
        stages_with_id(&ivs, "backup").await.len(),
        1,
        "protected stage kept"
    );
    let cw = aws_sdk_cloudwatch::Client::new(&common::sdk_config(&w.endpoint));
    let alarms = cw
        .describe_alarms()
        .alarm_name_prefix("e2e-")
        .send()
        .await
        .expect("alarms");
    assert!(alarms.metric_alarms().is_empty(), "alarm deleted");
    // Destroy removes everything but the protected stage.
    let destroy = w.run(&["destroy", f.to_str().unwrap(), "--auto-approve"]);
    assert_code(&destroy, 0);
    assert!(stages_with_id(&ivs, "main").await.is_empty());
    assert_eq!(stages_with_id(&ivs, "backup").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_saved_plan_is_refused_and_fresh_one_applies_exactly() {
    let w = World::new().await;
    let f = w.write("stack.yaml", STACK);
    let fs = f.to_str().unwrap();
    let plan_file = w.dir.path().join("plan.json");
    let pf = plan_file.to_str().unwrap();
    assert_code(&w.run(&["plan", fs, "--out", pf]), 0);
    // Somebody else applies first: the world moved, the saved plan is stale.
    assert_code(&w.run(&["apply", fs, "--auto-approve"]), 0);
    let stale = w.run(&["apply", pf]);
    assert_code(&stale, 1);
    assert!(text(&stale).contains("stale plan"), "{}", text(&stale));
    assert_eq!(
        stages_with_id(&w.ivs(), "main").await.len(),
        1,
        "no duplicate"
    );
    // A fresh plan of a change applies exactly.
    let f = w.write(
        "stack.yaml",
        &STACK.replace("threshold: 11", "threshold: 9"),
    );
    assert_code(&w.run(&["plan", f.to_str().unwrap(), "--out", pf]), 0);
    assert_code(&w.run(&["apply", pf]), 0);
    assert_code(
        &w.run(&["plan", f.to_str().unwrap(), "--detailed-exitcode"]),
        0,
    );
    // Editing the stack file after planning also makes the plan stale.
    assert_code(&w.run(&["plan", f.to_str().unwrap(), "--out", pf]), 0);
    w.write("stack.yaml", STACK);
    let edited = w.run(&["apply", pf]);
    assert_code(&edited, 1);
    assert!(
        text(&edited).contains("changed since the plan"),
        "{}",
        text(&edited)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_live_stages_claiming_one_id_converge_to_one() {
    let w = World::new().await;
    let f = w.write("stack.yaml", STACK);
    apply_and_settle(&w, &f);
    let ivs = w.ivs();
    let tags = HashMap::from([
        ("ivstack:stack".to_string(), "e2e".to_string()),
        ("ivstack:id".to_string(), "main".to_string()),
    ]);
    ivs.create_stage()
        .name("e2e-main")
        .set_tags(Some(tags))
        .send()
        .await
        .expect("racing create");
    assert_eq!(stages_with_id(&ivs, "main").await.len(), 2);
    let plan = w.run(&["plan", f.to_str().unwrap(), "--detailed-exitcode"]);
    assert_code(&plan, 2);
    assert!(text(&plan).contains("duplicate"), "{}", text(&plan));
    apply_and_settle(&w, &f);
    assert_eq!(stages_with_id(&ivs, "main").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_account_is_refused_before_any_change() {
    let w = World::new().await;
    let f = w.write(
        "stack.yaml",
        &STACK.replace("123456789012\"", "999999999999\""),
    );
    let out = w.run(&["apply", f.to_str().unwrap(), "--auto-approve"]);
    assert_code(&out, 1);
    assert!(
        text(&out).contains("refusing to touch account 123456789012"),
        "{}",
        text(&out)
    );
    assert!(stages_with_id(&w.ivs(), "main").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_without_terminal_or_auto_approve_is_refused() {
    let w = World::new().await;
    let f = w.write("stack.yaml", STACK);
    let out = w.run(&["apply", f.to_str().unwrap()]);
    assert_code(&out, 1);
    assert!(text(&out).contains("--auto-approve"), "{}", text(&out));
    assert!(stages_with_id(&w.ivs(), "main").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_under_faults_converges_with_no_duplicates_and_nothing_lost() {
    let w = World::with(LocalConfig {
        fault_rate: 0.2,
        seed: Some(7),
        ..LocalConfig::default()
    })
    .await;
    let f = w.write("stack.yaml", STACK);
    let fs = f.to_str().unwrap();
    let mut converged = false;
    for _ in 0..10 {
        let apply = w.run(&["apply", fs, "--auto-approve"]);
        let plan = w.run(&["plan", fs, "--detailed-exitcode"]);
        if apply.status.code() == Some(0) && plan.status.code() == Some(0) {
            converged = true;
            break;
        }
    }
    assert!(
        converged,
        "apply under 20% faults did not converge in 10 runs"
    );
    // The endpoint still injects faults: check with a client that retries hard enough.
    let config = common::sdk_config(&w.endpoint)
        .to_builder()
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(20))
        .build();
    let ivs = Ivs::new(&config);
    assert_eq!(stages_with_id(&ivs, "main").await.len(), 1);
    assert_eq!(stages_with_id(&ivs, "backup").await.len(), 1);
}

#[test]
fn local_mode_applies_the_demo_and_a_second_run_changes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("stacks/demo.yaml");
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_ivstack"))
            .args(args)
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .output()
            .expect("run ivstack")
    };
    let d = demo.to_str().unwrap();
    assert_code(&run(&["--local", "apply", d, "--auto-approve"]), 0);
    assert!(dir.path().join(".ivstack/local-state.json").exists());
    let again = run(&["--local", "plan", d, "--detailed-exitcode"]);
    assert_code(&again, 0);
    assert_code(&run(&["--local", "destroy", d, "--auto-approve"]), 0);
    assert_code(&run(&["--local", "plan", d, "--detailed-exitcode"]), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shipped_stacks_apply_and_then_plan_empty() {
    let w = World::new().await;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("stacks");
    for name in ["demo.yaml", "production.yaml"] {
        apply_and_settle(&w, &root.join(name));
    }
    // Both stacks live side by side without touching each other.
    let both = w.run(&["plan", root.to_str().unwrap(), "--detailed-exitcode"]);
    assert_code(&both, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stage_that_cannot_be_created_skips_only_its_dependents() {
    // Resource quotas on (1,000 stages per region), rates scaled up so filling the quota
    // is quick.
    let w = World::with(LocalConfig {
        quotas_aws: true,
        time_scale: 1000.0,
        ..LocalConfig::default()
    })
    .await;
    let ivs = w.ivs();
    for i in 0..1000 {
        ivs.create_stage()
            .name(format!("filler-{i}"))
            .send()
            .await
            .expect("fill the stage quota");
    }
    let body = STACK.replace("  backup: {}\n", "");
    let f = w.write("stack.yaml", &body);
    let out = w.run(&[
        "--rate-scale",
        "1000",
        "apply",
        f.to_str().unwrap(),
        "--auto-approve",
    ]);
    assert_code(&out, 1);
    let t = text(&out);
    assert!(t.contains("ServiceQuotaExceededException"), "{t}");
    // The policy and the alarm name the stage: not attempted. The budget does not: done.
    assert!(
        t.contains("not attempted: policy.token-minter: depends on stage `main`"),
        "{t}"
    );
    assert!(
        t.contains("not attempted: alarm.main-publishers: depends on stage `main`"),
        "{t}"
    );
    assert!(t.contains("ok    create budget.monthly"), "{t}");
}

/// Issue 8, defect 8: a failed CreateStage was reported as `ivs:ListStages failed` (the
/// follow-up check for a stage created anyway). It is reported as CreateStage's failure,
/// with the check's failure after it, and no second CreateStage is sent blind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_create_stage_is_reported_as_create_stage_even_when_the_check_fails_too() {
    use ivstack::aws::{Aws, ConnectOptions};
    use ivstack::kinds::{Kind, Known, desired_of};
    // Every request fails (throttling, 500 or a dropped connection: all worth a retry).
    let w = World::bare(LocalConfig {
        fault_rate: 1.0,
        seed: Some(8),
        ..LocalConfig::default()
    })
    .await;
    let aws = Aws::connect(&ConnectOptions {
        region: common::REGION.into(),
        endpoint_url: Some(w.endpoint.url().to_string()),
        static_credentials: Some((common::ACCESS_KEY.into(), common::SECRET_KEY.into())),
        max_attempts: 2,
        rate_scale: 1.0,
        ..ConnectOptions::default()
    })
    .await
    .expect("clients");
    let stack: ivstack::stack::model::StackFile =
        serde_yaml::from_str("stack: e2e\nregion: us-east-1\nstages:\n  main: {}\n").unwrap();
    let d = desired_of(&stack, Kind::Stage, "main", &Known::new()).unwrap();
    let err = Kind::Stage
        .create(&aws, "e2e", &d)
        .await
        .expect_err("every request fails");
    let text = format!("{err:#}");
    assert!(text.starts_with("ivs:CreateStage failed: "), "{text}");
    assert!(
        text.contains(
            "checking whether the stage was created anyway also failed (ivs:ListStages failed: "
        ),
        "{text}"
    );
    assert!(text.contains("run the same command again"), "{text}");
    let stats = w.endpoint.stats();
    let creates: u64 = stats
        .requests
        .iter()
        .filter(|(k, _)| k.ends_with(":CreateStage"))
        .map(|(_, n)| n)
        .sum();
    assert_eq!(creates, 1, "{stats:?}");
}
