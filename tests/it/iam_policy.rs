//! `ivstack iam-policy` proven against what ivstack really calls.
//!
//! The local endpoint records every request it handles (operation and decoded input)
//! while the binary plans, applies, changes (every kind updated, tagged, untagged,
//! replaced or deleted) and destroys the shipped stacks. Each call is turned into the IAM
//! action and resource ARN AWS authorizes it as (the table below, written from the
//! Service Authorization Reference and the APIs, independently of the kinds'
//! declarations), and the policy the binary prints is evaluated on it: an Allow statement
//! whose action and resource patterns (IAM wildcards) match. Every call must be allowed,
//! and every action of every statement must have been needed by some call. The README's
//! Permissions section is the printed policy; a test fails when it is stale.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use ivstack_local::RecordedCall;
use serde_json::Value;

use crate::e2e::{World, assert_code};

const BIN: &str = env!("CARGO_BIN_EXE_ivstack");

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `ivstack iam-policy ARGS` through the binary.
fn iam_policy(cwd: &Path, args: &[&str]) -> Value {
    let o = Command::new(BIN)
        .current_dir(cwd)
        .arg("iam-policy")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run ivstack");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).expect("a JSON policy")
}

/// The shipped stacks, copied next to their key files, and changed copies of them that
/// update, tag, untag and delete something of every kind they have.
fn stacks(w: &World) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let keys = w.dir.path().join("keys");
    std::fs::create_dir_all(&keys).unwrap();
    for e in std::fs::read_dir(root().join("stacks/keys")).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, keys.join(p.file_name().unwrap())).unwrap();
    }
    let read = |n: &str| std::fs::read_to_string(root().join("stacks").join(n)).unwrap();
    // Apply and destroy of the demo stack hold a lock: the lock's S3 calls are proven too.
    let demo = read("demo.yaml").replace(
        "region: us-east-1\n",
        "region: us-east-1\nlock: s3://ivstack-locks/ci\n",
    );
    let prod = read("production.yaml");
    let originals = vec![
        w.write("demo.yaml", &demo),
        w.write("production.yaml", &prod),
    ];
    let change = |src: &str, edits: &[(&str, &str)]| {
        let mut out = src.to_string();
        for (from, to) in edits {
            assert!(out.contains(from), "{from}");
            out = out.replacen(from, to, 1);
        }
        out
    };
    let demo2 = change(
        &demo,
        &[
            // Stack tags: one changes (tag everything), one goes (untag everything).
            ("  team: media\n  env: demo\n", "  env: staging\n"),
            ("threshold: 11", "threshold: 10"),
            (
                "emails: [ops@example.com]",
                "emails: [ops@example.com, cfo@example.com]",
            ),
            // A new document version (and the old one deleted).
            (
                "allow: [ivs:CreateParticipantToken, ivs:GetStage]",
                "allow: [ivs:CreateParticipantToken, ivs:GetStage, ivs:GetStageSession]",
            ),
            // A new name is an UpdateStage.
            (
                "  live:\n    tags:",
                "  live:\n    name: demo-live-main\n    tags:",
            ),
        ],
    );
    let prod2 = change(
        &prod,
        &[
            ("  team: media\n  env: production\n", "  env: staging\n"),
            ("threshold: 5\n", "threshold: 6\n"),
            ("limit_usd: 5000", "limit_usd: 6000"),
            (
                "allow: [ivs:GetPublicKey]",
                "allow: [ivs:GetPublicKey, ivs:ListPublicKeys]",
            ),
            (
                "      media_types: [AUDIO_ONLY]",
                "      media_types: [AUDIO_VIDEO]",
            ),
            (
                "    stage: main\n    ingest_protocol",
                "    stage: backstage\n    ingest_protocol",
            ),
            ("  green-room: {}\n", ""),
            // Unprotected (the tag goes), so that destroy deletes them too.
            ("    protect: true\n", ""),
            ("    protect: true\n", ""),
            ("[main, backstage, green-room]", "[main, backstage]"),
            ("[main, backstage, green-room]", "[main, backstage]"),
        ],
    );
    let changed = vec![
        w.write("demo-2.yaml", &demo2),
        w.write("production-2.yaml", &prod2),
    ];
    (originals, changed)
}

/// The stack file with its resources gone (stack, region and account kept).
fn emptied(w: &World, file: &Path) -> PathBuf {
    let src = std::fs::read_to_string(file).unwrap();
    let head: String = src
        .lines()
        .filter(|l| {
            ["stack:", "region:", "account:"]
                .iter()
                .any(|k| l.starts_with(k))
        })
        .map(|l| format!("{l}\n"))
        .collect();
    let name = format!("empty-{}", file.file_name().unwrap().to_string_lossy());
    w.write(&name, &head)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// What AWS authorizes a call as: (action, resource ARN). A create names the resource
/// type with `*` for the id that does not exist yet; a call that names no resource is
/// authorized on `*`.
fn authorizations(c: &RecordedCall, account: &str) -> Vec<(String, String)> {
    let i = &c.input;
    let op = c.operation.as_str();
    let region = c.region.as_str();
    let str_of = |k: &str| i[k].as_str().map(str::to_string);
    let one = |action: String, resource: String| vec![(action, resource)];
    match c.service.as_str() {
        "ivs" => {
            let action = format!("ivs:{op}");
            let new_of = |ty: &str| format!("arn:aws:ivs:{region}:{account}:{ty}/*");
            let resource = match op {
                "CreateStage" => new_of("stage"),
                "CreateStorageConfiguration" => new_of("storage-configuration"),
                "CreateEncoderConfiguration" => new_of("encoder-configuration"),
                "ImportPublicKey" => new_of("public-key"),
                "CreateIngestConfiguration" => new_of("ingest-configuration"),
                // The only IVS Real-Time list that takes a resource type.
                "ListStages" => new_of("stage"),
                _ if op.starts_with("List") && op != "ListTagsForResource" => "*".into(),
                _ => str_of("arn")
                    .or_else(|| str_of("resourceArn"))
                    .unwrap_or_else(|| panic!("no ARN in {op}: {i}")),
            };
            one(action, resource)
        }
        "iam" => {
            let action = format!("iam:{op}");
            let resource = match op {
                "ListPolicies" => "*".into(),
                "CreatePolicy" => format!(
                    "arn:aws:iam::{account}:policy{}{}",
                    i["Path"].as_str().unwrap_or("/"),
                    i["PolicyName"].as_str().unwrap()
                ),
                _ => str_of("PolicyArn").unwrap_or_else(|| panic!("no PolicyArn in {op}: {i}")),
            };
            one(action, resource)
        }
        "monitoring" => {
            let action = format!("cloudwatch:{op}");
            let alarm = |n: &str| format!("arn:aws:cloudwatch:{region}:{account}:alarm:{n}");
            match op {
                "DescribeAlarms" => {
                    let mut out: Vec<(String, String)> = i["AlarmNames"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|n| (action.clone(), alarm(n.as_str().unwrap())))
                        .collect();
                    if let Some(p) = i["AlarmNamePrefix"].as_str() {
                        out.push((action.clone(), alarm(&format!("{p}*"))));
                    }
                    assert!(!out.is_empty(), "DescribeAlarms of every alarm: {i}");
                    out
                }
                "PutMetricAlarm" => one(action, alarm(i["AlarmName"].as_str().unwrap())),
                "DeleteAlarms" => i["AlarmNames"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|n| (action.clone(), alarm(n.as_str().unwrap())))
                    .collect(),
                _ => one(action, str_of("ResourceARN").unwrap()),
            }
        }
        "budgets" => {
            let action = match op {
                o if o.starts_with("Describe") => "budgets:ViewBudget".to_string(),
                "ListTagsForResource" | "TagResource" | "UntagResource" => format!("budgets:{op}"),
                _ => "budgets:ModifyBudget".to_string(),
            };
            let name = i["BudgetName"]
                .as_str()
                .or(i["Budget"]["BudgetName"].as_str())
                .or(i["NewBudget"]["BudgetName"].as_str());
            let resource = match (name, str_of("ResourceARN")) {
                (_, Some(arn)) => arn,
                (Some(n), None) => format!("arn:aws:budgets::{account}:budget/{n}"),
                // DescribeBudgets: every budget of the account.
                (None, None) => format!("arn:aws:budgets::{account}:budget/*"),
            };
            one(action, resource)
        }
        "sts" => one(format!("sts:{op}"), "*".into()),
        "s3" => {
            let action = match op {
                "HeadObject" => "s3:GetObject".to_string(),
                _ => format!("s3:{op}"),
            };
            one(
                action,
                format!(
                    "arn:aws:s3:::{}/{}",
                    i["Bucket"].as_str().unwrap(),
                    i["Key"].as_str().unwrap()
                ),
            )
        }
        other => panic!("a call to {other}:{op} has no authorization mapping here: add one"),
    }
}

/// IAM's wildcards: `*` any run of characters, `?` one. Actions compare ignoring case.
fn wildcard(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

fn list(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// Evaluate `policy` on every call: all must be allowed, every (statement, action) used.
fn prove(policy: &Value, calls: &[RecordedCall], account: &str, what: &str) {
    let statements = policy["Statement"].as_array().expect("statements");
    for st in statements {
        assert_eq!(st["Effect"], "Allow");
    }
    let mut used: BTreeSet<(String, String)> = BTreeSet::new();
    let mut denied = Vec::new();
    for c in calls {
        for (action, resource) in authorizations(c, account) {
            let allowing: Vec<&Value> = statements
                .iter()
                .filter(|st| {
                    list(&st["Action"])
                        .iter()
                        .any(|a| wildcard(&a.to_lowercase(), &action.to_lowercase()))
                        && list(&st["Resource"]).iter().any(|r| wildcard(r, &resource))
                })
                .collect();
            if allowing.is_empty() {
                denied.push(format!("{action} on {resource}"));
            }
            for st in allowing {
                used.insert((st["Sid"].as_str().unwrap().to_string(), action.clone()));
            }
        }
    }
    denied.sort();
    denied.dedup();
    assert!(
        denied.is_empty(),
        "{what}: the policy denies\n{}\n{policy:#}",
        denied.join("\n")
    );
    let mut unused = Vec::new();
    for st in statements {
        let sid = st["Sid"].as_str().unwrap();
        for a in list(&st["Action"]) {
            if !used.contains(&(sid.to_string(), a.clone())) {
                unused.push(format!("{sid}: {a}"));
            }
        }
    }
    assert!(
        unused.is_empty(),
        "{what}: never needed\n{}",
        unused.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_printed_policies_allow_every_call_and_nothing_unused() {
    let w = World::new().await;
    crate::common::create_bucket(&w.endpoint, "ivstack-locks", "us-east-1").await;
    let account = w.endpoint.config().account_id.clone();
    let (orig, changed) = stacks(&w);
    w.endpoint.record_calls();
    let (mut plan_calls, mut apply_calls) = (Vec::new(), Vec::new());
    for (o, c) in orig.iter().zip(&changed) {
        assert_code(&w.run(&["plan", s(o)]), 0);
        plan_calls.extend(w.endpoint.recorded_calls());
        assert_code(&w.run(&["apply", s(o), "--auto-approve"]), 0);
        apply_calls.extend(w.endpoint.recorded_calls());
        assert_code(&w.run(&["plan", s(o)]), 0);
        // A plan that would delete everything reads the stages it would delete.
        assert_code(&w.run(&["plan", s(&emptied(&w, o))]), 0);
        plan_calls.extend(w.endpoint.recorded_calls());
        // Same stack, changed: updates, tags, untags, replaces and deletes.
        assert_code(&w.run(&["apply", s(c), "--auto-approve"]), 0);
        assert_code(&w.run(&["plan", s(c), "--detailed-exitcode"]), 0);
        apply_calls.extend(w.endpoint.recorded_calls());
        assert_code(&w.run(&["destroy", s(c), "--auto-approve"]), 0);
        apply_calls.extend(w.endpoint.recorded_calls());
    }
    // Reading a lock's holder (as a run waiting for it does) is `force-unlock`'s first
    // step; with no lock held it stops there.
    let demo = &orig[0];
    let out = w.run(&["force-unlock", "demo", s(demo), "--yes"]);
    let t = crate::e2e::text(&out);
    assert!(t.contains("Stack `demo` is not locked"), "{t}");
    apply_calls.extend(w.endpoint.recorded_calls());
    let files: Vec<&str> = orig.iter().map(|p| s(p)).collect();
    let mut args = files.clone();
    args.extend(["--mode", "plan"]);
    let plan_policy = iam_policy(w.dir.path(), &args);
    prove(&plan_policy, &plan_calls, &account, "--mode plan");
    let apply_policy = iam_policy(w.dir.path(), &files);
    let mut all = plan_calls.clone();
    all.extend(apply_calls);
    prove(&apply_policy, &all, &account, "--mode apply");
}

#[test]
fn wildcards_match_as_iam_does() {
    assert!(wildcard(
        "arn:aws:ivs:us-west-2:*:stage/*",
        "arn:aws:ivs:us-west-2:123456789012:stage/AbC"
    ));
    assert!(wildcard("ivs:get*", "ivs:getstage"));
    assert!(!wildcard(
        "arn:aws:ivs:us-west-2:1:stage/*",
        "arn:aws:ivs:us-east-1:1:stage/AbC"
    ));
    assert!(wildcard("a?c", "abc") && !wildcard("a?c", "ac"));
    assert!(wildcard("*", "anything") && !wildcard("", "x"));
}

const BEGIN: &str = "<!-- iam-policy:begin -->\n";
const END: &str = "<!-- iam-policy:end -->";

#[test]
fn the_readme_permissions_section_is_the_printed_policy() {
    let policy = Command::new(BIN)
        .current_dir(root())
        .args(["iam-policy", "stacks"])
        .output()
        .expect("run ivstack");
    assert_eq!(policy.status.code(), Some(0));
    let block = format!(
        "```json\n{}```\n",
        String::from_utf8(policy.stdout).unwrap()
    );
    let path = root().join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let start = readme
        .find(BEGIN)
        .expect("README has the iam-policy markers")
        + BEGIN.len();
    let end = readme
        .find(END)
        .expect("README has the iam-policy end marker");
    if std::env::var_os("IVSTACK_UPDATE_README").is_some() {
        let updated = format!("{}{block}{}", &readme[..start], &readme[end..]);
        std::fs::write(&path, updated).unwrap();
        return;
    }
    assert!(
        readme[start..end] == block,
        "the README's Permissions section is stale (run with IVSTACK_UPDATE_README=1 to regenerate)"
    );
}

#[test]
fn plan_mode_is_read_only_and_invalid_files_get_no_policy() {
    let plan = iam_policy(&root(), &["stacks", "--mode", "plan"]);
    for st in plan["Statement"].as_array().unwrap() {
        for a in list(&st["Action"]) {
            let name = a.split(':').nth(1).unwrap();
            assert!(
                ["Get", "List", "Describe", "View"]
                    .iter()
                    .any(|p| name.starts_with(p)),
                "plan mode grants {a}"
            );
        }
    }
    let o = Command::new(BIN)
        .current_dir(root())
        .args(["iam-policy", "examples/bad-syntax.yaml"])
        .output()
        .expect("run ivstack");
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
    assert!(String::from_utf8_lossy(&o.stderr).contains("no policy printed"));
}
