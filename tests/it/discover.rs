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
