//! The lock per stack (issue 8, "Concurrent applies need a lock"): the `ivstack` binary
//! against an in-process local endpoint whose S3 holds the lock objects.
//!
//! No test waits for time to pass or depends on how fast anything runs: concurrent runs
//! are judged by their outcomes and the endpoint's counters; a run is killed or
//! interrupted while it provably holds the lock (the test hook
//! `IVSTACK_TEST_PAUSE_HOLDING_LOCK` says so on stderr and waits), or while it provably
//! waits (its "Waiting for the lock" line).

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use aws_sdk_ivsrealtime::Client as Ivs;
use aws_sdk_s3::Client as S3;
use ivstack_local::{LocalConfig, LocalEndpoint};
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStderr};

use crate::common;

const BIN: &str = env!("CARGO_BIN_EXE_ivstack");
const LOCK: &str = "s3://locks/ivstack";
const STAGES: usize = 5;

fn stack_yaml() -> String {
    let mut s = String::from("stack: locked\nregion: us-east-1\nstages:\n");
    for i in 0..STAGES {
        s.push_str(&format!("  s{i}: {{}}\n"));
    }
    s
}

fn write_stack(dir: &Path) -> PathBuf {
    let p = dir.join("locked.yaml");
    std::fs::write(&p, stack_yaml()).expect("write stack file");
    p
}

/// The binary with test credentials and nothing from the user's AWS configuration.
fn ivstack(cwd: &Path) -> tokio::process::Command {
    let mut c = tokio::process::Command::new(BIN);
    c.current_dir(cwd)
        .env("AWS_ACCESS_KEY_ID", common::ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", common::SECRET_KEY)
        .env("AWS_REGION", common::REGION)
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .env("AWS_CONFIG_FILE", cwd.join("no-aws-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            cwd.join("no-aws-credentials"),
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("NO_COLOR", "1")
        .env_remove("IVSTACK_TEST_PAUSE_HOLDING_LOCK")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    c
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn signal(child: &Child, sig: &str) {
    let pid = child.id().expect("child still running").to_string();
    let status = std::process::Command::new("kill")
        .args([sig, &pid])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill {sig} {pid} failed");
}

/// Read `lines` until one contains `marker`; everything read is kept in `seen`.
async fn wait_for_line(
    lines: &mut Lines<BufReader<ChildStderr>>,
    marker: &str,
    seen: &mut Vec<String>,
) {
    loop {
        match lines.next_line().await.expect("read stderr") {
            Some(l) if l.contains(marker) => {
                seen.push(l);
                return;
            }
            Some(l) => seen.push(l),
            None => panic!("never printed `{marker}`:\n{}", seen.join("\n")),
        }
    }
}

/// The rest of a child's stderr and its exit code.
async fn finish(
    mut child: Child,
    mut lines: Lines<BufReader<ChildStderr>>,
    mut seen: Vec<String>,
) -> (Option<i32>, String) {
    while let Some(l) = lines.next_line().await.expect("read stderr") {
        seen.push(l);
    }
    let status = child.wait().await.expect("wait");
    (status.code(), seen.join("\n"))
}

/// A run of `args` paused by the test hook while it holds the lock: the child, its
/// stderr, and what it printed so far.
async fn holder(cwd: &Path, args: &[&str]) -> (Child, Lines<BufReader<ChildStderr>>, Vec<String>) {
    let mut child = ivstack(cwd)
        .args(args)
        .env("IVSTACK_TEST_PAUSE_HOLDING_LOCK", "1")
        .spawn()
        .expect("spawn the holder");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let mut seen = Vec::new();
    wait_for_line(&mut lines, "ivstack-test: holding the lock", &mut seen).await;
    (child, lines, seen)
}

async fn endpoint_with_lock_bucket() -> LocalEndpoint {
    let endpoint = common::start_local_with(LocalConfig::default()).await;
    s3(&endpoint)
        .create_bucket()
        .bucket("locks")
        .send()
        .await
        .expect("create the lock bucket");
    endpoint
}

fn s3(endpoint: &LocalEndpoint) -> S3 {
    S3::from_conf(
        aws_sdk_s3::config::Builder::from(&common::sdk_config(endpoint))
            .force_path_style(true)
            .build(),
    )
}

/// The lock object's content, if the lock is held.
async fn lock_object(endpoint: &LocalEndpoint) -> Option<serde_json::Value> {
    match s3(endpoint)
        .get_object()
        .bucket("locks")
        .key("ivstack/locked.lock")
        .send()
        .await
    {
        Ok(out) => {
            let bytes = out.body.collect().await.expect("read").into_bytes();
            Some(serde_json::from_slice(&bytes).expect("a lock record"))
        }
        Err(e) => {
            let code = aws_sdk_s3::error::ProvideErrorMetadata::code(&e);
            assert_eq!(code, Some("NoSuchKey"), "{e:?}");
            None
        }
    }
}

async fn stage_count(endpoint: &LocalEndpoint) -> usize {
    let ivs = Ivs::new(&common::sdk_config(endpoint));
    ivs.list_stages()
        .max_results(100)
        .send()
        .await
        .expect("list stages")
        .stages()
        .len()
}

/// Issue 8's proof: N applies of one stack at once, with the lock, make every stage exactly
/// once. One of them creates; the others wait and then find nothing to do (or, started
/// after it finished, find nothing to do at once).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_locked_applies_take_turns_and_make_no_duplicates() {
    const RUNS: usize = 4;
    let endpoint = endpoint_with_lock_bucket().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let stack = write_stack(dir.path());
    let children: Vec<Child> = (0..RUNS)
        .map(|_| {
            ivstack(dir.path())
                .args(["--endpoint-url", endpoint.url(), "apply", "--auto-approve"])
                .args(["--lock", LOCK, "--lock-timeout", "600"])
                .arg(&stack)
                .spawn()
                .expect("spawn ivstack")
        })
        .collect();
    let mut outputs = Vec::new();
    for child in children {
        outputs.push(child.wait_with_output().await.expect("wait"));
    }
    for o in &outputs {
        assert_eq!(o.status.code(), Some(0), "{}", text(o));
    }
    let created: Vec<&Output> = outputs
        .iter()
        .filter(|o| String::from_utf8_lossy(&o.stderr).contains("Apply complete"))
        .collect();
    assert_eq!(
        created.len(),
        1,
        "exactly one run applies:\n{}",
        outputs.iter().map(text).collect::<Vec<_>>().join("\n")
    );
    let unchanged = outputs
        .iter()
        .filter(|o| String::from_utf8_lossy(&o.stdout).contains("No changes."))
        .count();
    assert_eq!(unchanged, RUNS - 1);
    // Zero duplicates: every stage once, created once.
    assert_eq!(stage_count(&endpoint).await, STAGES);
    let stats = endpoint.stats();
    assert_eq!(
        stats.requests.get("ivs:CreateStage"),
        Some(&(STAGES as u64))
    );
    // Every run took the lock once and released it.
    assert!(stats.requests["s3:PutObject"] >= RUNS as u64);
    assert_eq!(stats.requests.get("s3:DeleteObject"), Some(&(RUNS as u64)));
    assert_eq!(lock_object(&endpoint).await, None);
}

/// A holder killed with SIGKILL leaves its lock: the next run reports who held it and how
/// to remove it, `force-unlock` removes it (only with confirmation), and then runs go on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_holders_lock_is_reported_and_force_unlocked() {
    let endpoint = endpoint_with_lock_bucket().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let stack = write_stack(dir.path());
    let stack_arg = stack.to_str().expect("utf-8 path");
    let (mut child, _lines, _seen) = holder(
        dir.path(),
        &[
            "--endpoint-url",
            endpoint.url(),
            "apply",
            "--auto-approve",
            "--lock",
            LOCK,
            stack_arg,
        ],
    )
    .await;
    let pid = child.id().expect("running");
    signal(&child, "-KILL");
    let status = child.wait().await.expect("wait");
    assert_eq!(status.code(), None, "killed by a signal");
    let record = lock_object(&endpoint)
        .await
        .expect("the killed run's lock is left");
    assert_eq!(record["pid"], pid);
    assert_eq!(record["stack"], "locked");
    assert_eq!(record["operation"], "apply");
    assert!(
        record["command"]
            .as_str()
            .unwrap()
            .contains("apply --auto-approve --lock"),
        "{record}"
    );

    let next = ivstack(dir.path())
        .args(["--endpoint-url", endpoint.url(), "apply", "--auto-approve"])
        .args(["--lock", LOCK, "--lock-timeout", "0", stack_arg])
        .output()
        .await
        .expect("run");
    assert_eq!(next.status.code(), Some(1), "{}", text(&next));
    let err = String::from_utf8_lossy(&next.stderr);
    assert!(
        err.contains("stack `locked` is locked (s3://locks/ivstack/locked.lock)"),
        "{err}"
    );
    assert!(err.contains(&format!("(pid {pid})")), "{err}");
    assert!(err.contains(record["id"].as_str().unwrap()), "{err}");
    assert!(
        err.contains("remove the lock with: ivstack force-unlock locked --lock s3://locks/ivstack"),
        "{err}"
    );
    assert_eq!(stage_count(&endpoint).await, 0, "nothing was changed");

    let unlock = |yes: bool| {
        let mut c = ivstack(dir.path());
        c.args(["force-unlock", "locked", stack_arg, "--lock", LOCK])
            .args(["--endpoint-url", endpoint.url()]);
        if yes {
            c.arg("--yes");
        }
        c.output()
    };
    // Without a terminal and without --yes: shown, not removed.
    let refused = unlock(false).await.expect("run");
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains(&format!("(pid {pid})")),
        "the holder is shown: {err}"
    );
    assert!(err.contains("pass --yes"), "{err}");
    assert!(lock_object(&endpoint).await.is_some());
    let removed = unlock(true).await.expect("run");
    assert_eq!(removed.status.code(), Some(0), "{}", text(&removed));
    assert!(
        String::from_utf8_lossy(&removed.stderr).contains("Removed the lock of stack `locked`")
    );
    assert_eq!(lock_object(&endpoint).await, None);
    // Nothing left to remove: says so, exit 0.
    let again = unlock(true).await.expect("run");
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    assert!(String::from_utf8_lossy(&again.stderr).contains("is not locked"));

    let after = ivstack(dir.path())
        .args(["--endpoint-url", endpoint.url(), "apply", "--auto-approve"])
        .args(["--lock", LOCK, "--lock-timeout", "0", stack_arg])
        .output()
        .await
        .expect("run");
    assert_eq!(after.status.code(), Some(0), "{}", text(&after));
    assert_eq!(stage_count(&endpoint).await, STAGES);
}

/// Ctrl-C while holding the lock: the run stops (exit 130) and releases the lock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_while_holding_the_lock_releases_it() {
    let endpoint = endpoint_with_lock_bucket().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let stack = write_stack(dir.path());
    let (child, lines, seen) = holder(
        dir.path(),
        &[
            "--endpoint-url",
            endpoint.url(),
            "apply",
            "--auto-approve",
            "--lock",
            LOCK,
            stack.to_str().expect("utf-8 path"),
        ],
    )
    .await;
    assert!(lock_object(&endpoint).await.is_some(), "held while paused");
    signal(&child, "-INT");
    let (code, err) = finish(child, lines, seen).await;
    assert_eq!(code, Some(130), "{err}");
    // Where the interrupt lands relative to the start of apply decides the wording
    // ("nothing was changed" before it, "0 done" once it began); both changed nothing.
    assert!(
        err.contains("nothing was changed") || err.contains("Apply interrupted: 0 done, 0 failed"),
        "{err}"
    );
    assert_eq!(lock_object(&endpoint).await, None, "released: {err}");
    assert_eq!(stage_count(&endpoint).await, 0);
}

/// Ctrl-C while waiting for someone else's lock: exit 130, nothing touched (the holder's
/// lock is still its own), and the holder then releases it as usual.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_while_waiting_for_the_lock_exits_130_and_touches_nothing() {
    let endpoint = endpoint_with_lock_bucket().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let stack = write_stack(dir.path());
    let stack_arg = stack.to_str().expect("utf-8 path");
    let (first, first_lines, first_seen) = holder(
        dir.path(),
        &[
            "--endpoint-url",
            endpoint.url(),
            "apply",
            "--auto-approve",
            "--lock",
            LOCK,
            stack_arg,
        ],
    )
    .await;
    let held = lock_object(&endpoint).await.expect("held");

    let mut waiter = ivstack(dir.path())
        .args(["--endpoint-url", endpoint.url(), "apply", "--auto-approve"])
        .args(["--lock", LOCK, "--lock-timeout", "600", stack_arg])
        .spawn()
        .expect("spawn the waiter");
    let mut lines = BufReader::new(waiter.stderr.take().expect("stderr")).lines();
    let mut seen = Vec::new();
    wait_for_line(
        &mut lines,
        "Waiting for the lock of stack `locked`",
        &mut seen,
    )
    .await;
    let waiting = seen.last().cloned().unwrap_or_default();
    assert!(
        waiting.contains(&format!("(pid {})", held["pid"])),
        "{waiting}"
    );
    assert!(waiting.contains("up to 600s (--lock-timeout)"), "{waiting}");
    signal(&waiter, "-INT");
    let (code, err) = finish(waiter, lines, seen).await;
    assert_eq!(code, Some(130), "{err}");
    assert!(
        err.contains(
            "interrupted while waiting for the lock of stack `locked`: nothing was changed"
        ),
        "{err}"
    );
    assert_eq!(
        lock_object(&endpoint).await,
        Some(held),
        "the holder's lock is untouched"
    );

    signal(&first, "-INT");
    let (code, err) = finish(first, first_lines, first_seen).await;
    assert_eq!(code, Some(130), "{err}");
    assert_eq!(lock_object(&endpoint).await, None);
    assert_eq!(stage_count(&endpoint).await, 0);
}

/// `--timeout` while holding the lock ends the run like Ctrl-C: exit 130, lock released.
/// (If the deadline comes before the lock is taken, the run ends without it: the same
/// outcome, and then nothing says it held the lock.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deadline_while_holding_the_lock_releases_it() {
    let endpoint = endpoint_with_lock_bucket().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let stack = write_stack(dir.path());
    let mut child = ivstack(dir.path())
        .args(["--endpoint-url", endpoint.url(), "apply", "--auto-approve"])
        .args(["--lock", LOCK, "--timeout", "3"])
        .arg(&stack)
        .env("IVSTACK_TEST_PAUSE_HOLDING_LOCK", "1")
        .spawn()
        .expect("spawn");
    let lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let (code, err) = finish(child, lines, Vec::new()).await;
    assert_eq!(code, Some(130), "{err}");
    assert!(err.contains("--timeout of 3s reached"), "{err}");
    if err.contains("ivstack-test: holding the lock") {
        assert!(err.contains("nothing was changed"), "{err}");
    }
    assert_eq!(lock_object(&endpoint).await, None, "{err}");
    assert_eq!(stage_count(&endpoint).await, 0);
}

/// Applying a saved plan takes the lock too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_plan_apply_takes_the_lock() {
    let endpoint = endpoint_with_lock_bucket().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let stack = write_stack(dir.path());
    let stack_arg = stack.to_str().expect("utf-8 path");
    let plan_file = dir.path().join("plan.json");
    let plan_arg = plan_file.to_str().expect("utf-8 path");
    let planned = ivstack(dir.path())
        .args([
            "--endpoint-url",
            endpoint.url(),
            "plan",
            stack_arg,
            "--out",
            plan_arg,
        ])
        .output()
        .await
        .expect("run plan");
    assert_eq!(planned.status.code(), Some(0), "{}", text(&planned));
    let (holding, lines, seen) = holder(
        dir.path(),
        &[
            "--endpoint-url",
            endpoint.url(),
            "apply",
            "--auto-approve",
            "--lock",
            LOCK,
            stack_arg,
        ],
    )
    .await;
    let apply_saved = || {
        ivstack(dir.path())
            .args(["--endpoint-url", endpoint.url(), "apply", plan_arg])
            .args(["--lock", LOCK, "--lock-timeout", "0"])
            .output()
    };
    let refused = apply_saved().await.expect("run");
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("stack `locked` is locked"));
    signal(&holding, "-INT");
    let (code, err) = finish(holding, lines, seen).await;
    assert_eq!(code, Some(130), "{err}");
    let applied = apply_saved().await.expect("run");
    assert_eq!(applied.status.code(), Some(0), "{}", text(&applied));
    assert_eq!(stage_count(&endpoint).await, STAGES);
    assert_eq!(lock_object(&endpoint).await, None);
}

/// Plans do not lock: a plan runs while another run holds the lock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plans_do_not_lock() {
    let endpoint = endpoint_with_lock_bucket().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let stack = dir.path().join("locked.yaml");
    std::fs::write(&stack, format!("{}lock: {LOCK}\n", stack_yaml())).expect("write");
    let stack_arg = stack.to_str().expect("utf-8 path");
    // The stack file's `lock:` is used by apply.
    let (holding, lines, seen) = holder(
        dir.path(),
        &[
            "--endpoint-url",
            endpoint.url(),
            "apply",
            "--auto-approve",
            stack_arg,
        ],
    )
    .await;
    assert!(lock_object(&endpoint).await.is_some());
    let plan = ivstack(dir.path())
        .args(["--endpoint-url", endpoint.url(), "plan", stack_arg])
        .output()
        .await
        .expect("run plan");
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));
    assert!(String::from_utf8_lossy(&plan.stdout).contains(&format!("{STAGES} to create")));
    signal(&holding, "-INT");
    let (code, err) = finish(holding, lines, seen).await;
    assert_eq!(code, Some(130), "{err}");
}

/// `--local` in two terminals: the second says whose run holds the local endpoint's state,
/// waits, and goes on when it is free; a killed `--local` run's lock is reported at once
/// (nobody alive can hold it) and `force-unlock --local` clears it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_runs_wait_for_each_other_and_a_killed_ones_lock_is_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let stack = write_stack(dir.path());
    let stack_arg = stack.to_str().expect("utf-8 path");
    let local_apply = ["--local", "apply", "--auto-approve", stack_arg];

    let (first, first_lines, first_seen) = holder(dir.path(), &local_apply).await;
    let first_pid = first.id().expect("running");
    let mut second = ivstack(dir.path())
        .args(local_apply)
        .spawn()
        .expect("spawn the second run");
    let mut lines = BufReader::new(second.stderr.take().expect("stderr")).lines();
    let mut seen = Vec::new();
    wait_for_line(&mut lines, "Waiting for the lock held by", &mut seen).await;
    let waiting = seen.last().cloned().unwrap_or_default();
    assert!(waiting.contains(&format!("pid {first_pid}")), "{waiting}");
    assert!(
        waiting.contains("--local apply --auto-approve"),
        "{waiting}"
    );
    // The first one stops (and releases); the second then applies.
    signal(&first, "-INT");
    let (code, err) = finish(first, first_lines, first_seen).await;
    assert_eq!(code, Some(130), "{err}");
    let (code, err) = finish(second, lines, seen).await;
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("Apply complete"), "{err}");

    // A killed --local run.
    let (killed, _lines, _seen) = holder(
        dir.path(),
        &["--local", "destroy", "--auto-approve", stack_arg],
    )
    .await;
    let killed_pid = killed.id().expect("running");
    signal(&killed, "-KILL");
    let mut killed = killed;
    killed.wait().await.expect("wait");
    let next = ivstack(dir.path())
        .args(local_apply)
        .output()
        .await
        .expect("run");
    assert_eq!(next.status.code(), Some(1), "{}", text(&next));
    let err = String::from_utf8_lossy(&next.stderr);
    assert!(err.contains(&format!("(pid {killed_pid})")), "{err}");
    assert!(err.contains("ended without releasing the lock"), "{err}");
    assert!(err.contains("ivstack force-unlock locked --local"), "{err}");
    let removed = ivstack(dir.path())
        .args(["force-unlock", "locked", stack_arg, "--local", "--yes"])
        .output()
        .await
        .expect("run");
    assert_eq!(removed.status.code(), Some(0), "{}", text(&removed));
    let after = ivstack(dir.path())
        .args(local_apply)
        .output()
        .await
        .expect("run");
    assert_eq!(after.status.code(), Some(0), "{}", text(&after));
    assert!(
        String::from_utf8_lossy(&after.stdout).contains("No changes."),
        "{}",
        text(&after)
    );
}

#[tokio::test]
async fn a_bad_lock_location_is_refused_with_its_position() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "stack: bad\nregion: us-east-1\nlock: my-locks/ivstack\n",
    )
    .expect("write");
    let out = ivstack(dir.path())
        .args(["validate", bad.to_str().expect("utf-8 path")])
        .output()
        .await
        .expect("run");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let all = text(&out);
    assert!(all.contains("bad.yaml:3:7"), "{all}");
    assert!(all.contains("s3://BUCKET/PREFIX"), "{all}");
    // The option is checked before anything is read or changed.
    let stack = write_stack(dir.path());
    let out = ivstack(dir.path())
        .args([
            "--endpoint-url",
            "http://127.0.0.1:9",
            "apply",
            "--auto-approve",
        ])
        .args(["--lock", "locks", stack.to_str().expect("utf-8 path")])
        .output()
        .await
        .expect("run");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--lock: `locks` is not an S3 location"),
        "{}",
        text(&out)
    );
}

/// `watch --enforce` takes the same lock as `apply`: while someone holds it, a cycle applies
/// nothing and says who holds it; once it is released, the next run applies, under the
/// lock, and leaves no lock behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_enforce_takes_the_lock() {
    let endpoint = endpoint_with_lock_bucket().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let stack = write_stack(dir.path());
    let stack = stack.to_str().expect("utf-8 path");
    let (child, lines, seen) = holder(
        dir.path(),
        &[
            "--endpoint-url",
            endpoint.url(),
            "apply",
            "--auto-approve",
            "--lock",
            LOCK,
            stack,
        ],
    )
    .await;
    let watch = |timeout: &'static str| {
        let mut c = ivstack(dir.path());
        c.args([
            "--endpoint-url",
            endpoint.url(),
            "watch",
            "--once",
            "--enforce",
            "--lock",
            LOCK,
            "--lock-timeout",
            timeout,
            stack,
        ]);
        c
    };
    let blocked = watch("0").output().await.expect("run watch");
    assert_eq!(blocked.status.code(), Some(1), "{}", text(&blocked));
    let out = String::from_utf8_lossy(&blocked.stdout);
    assert!(
        out.contains("\"status\":\"failed\"")
            && out.contains("is locked (s3://locks/ivstack/locked.lock) by"),
        "the cycle says who holds the lock: {}",
        text(&blocked)
    );
    assert_eq!(
        stage_count(&endpoint).await,
        0,
        "nothing applied under another's lock"
    );

    signal(&child, "-INT");
    let (code, err) = finish(child, lines, seen).await;
    assert_eq!(code, Some(130), "{err}");
    assert_eq!(lock_object(&endpoint).await, None);

    let applied = watch("30").output().await.expect("run watch");
    // 2: drift found (and, enforcing, reverted), as `--once` documents.
    assert_eq!(applied.status.code(), Some(2), "{}", text(&applied));
    assert_eq!(stage_count(&endpoint).await, STAGES);
    assert_eq!(
        lock_object(&endpoint).await,
        None,
        "released after the cycle"
    );
}
