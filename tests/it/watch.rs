//! `ivstack watch` end to end: the binary as a child process against the local endpoint,
//! driven by its JSON lines (never by sleeps): drift made through the AWS SDK is reverted
//! by the next cycle that sees it, an invalid edit is reported and never applied, injected
//! faults never end the process, SIGTERM exits 0, and the metrics endpoint is scraped and
//! parsed.

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::Duration;

use ivstack_local::LocalConfig;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout};

use crate::binary::{World, stages_with_id};

const STACK: &str =
    "stack: w\nregion: us-east-1\nstages:\n  main:\n    tags: {tier: gold}\n  backup: {}\n";

/// A running `watch` and its JSON lines.
struct Watch {
    child: Child,
    lines: Lines<BufReader<ChildStdout>>,
    seen: Vec<Value>,
}

/// A hang guard for reading one line, not a timing window: a healthy cycle takes well under
/// a second here.
const LINE_GUARD: Duration = Duration::from_secs(120);

impl Watch {
    fn start(w: &World, args: &[&str]) -> Watch {
        let mut cmd = tokio::process::Command::from(w.command());
        cmd.arg("watch")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        let mut child = cmd.spawn().expect("spawn watch");
        let stdout = child.stdout.take().expect("stdout");
        Watch {
            child,
            lines: BufReader::new(stdout).lines(),
            seen: Vec::new(),
        }
    }

    /// The next event line.
    async fn next(&mut self) -> Option<Value> {
        let line = tokio::time::timeout(LINE_GUARD, self.lines.next_line())
            .await
            .expect("watch printed nothing for too long")
            .expect("read watch stdout")?;
        let v: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(v["ts"].is_string() && v["event"].is_string(), "{v}");
        self.seen.push(v.clone());
        Some(v)
    }

    /// The next line of `event`, skipping others.
    async fn next_event(&mut self, event: &str) -> Value {
        loop {
            match self.next().await {
                Some(v) if v["event"] == event => return v,
                Some(_) => {}
                None => panic!("watch ended before a `{event}` line: {:#?}", self.seen),
            }
        }
    }

    /// Change lines seen in `cycle`.
    fn changes(&self, cycle: u64) -> Vec<&Value> {
        self.seen
            .iter()
            .filter(|v| v["event"] == "change" && v["cycle"] == cycle)
            .collect()
    }

    fn sigterm(&self) {
        let pid = self.child.id().expect("running").to_string();
        let ok = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill")
            .success();
        assert!(ok);
    }

    async fn exit_code(mut self) -> (Option<i32>, Vec<Value>) {
        while self.next().await.is_some() {}
        let status = tokio::time::timeout(LINE_GUARD, self.child.wait())
            .await
            .expect("watch did not exit")
            .expect("wait");
        (status.code(), self.seen)
    }
}

/// GET `path` from the metrics server: status line and body.
async fn get(addr: &str, path: &str) -> (String, String) {
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .expect("send");
    let mut raw = String::new();
    s.read_to_string(&mut raw).await.expect("read");
    let (head, body) = raw.split_once("\r\n\r\n").expect("HTTP response");
    (
        head.lines().next().unwrap_or("").to_string(),
        body.to_string(),
    )
}

/// The samples of an OpenMetrics / Prometheus text exposition, strictly parsed: every
/// line is a `# TYPE`/`# HELP`/`# UNIT`/`# EOF` comment or `name{k="v",...} value`.
fn parse_exposition(text: &str) -> BTreeMap<(String, BTreeMap<String, String>), f64> {
    let sample = regex_lite::Regex::new(
        r#"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*)\})? (\S+)$"#,
    )
    .unwrap();
    let label = regex_lite::Regex::new(r#"([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)""#).unwrap();
    let mut out = BTreeMap::new();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.last(), Some(&"# EOF"), "{text}");
    for line in lines {
        if line.starts_with("# ") {
            assert!(
                ["# TYPE ", "# HELP ", "# UNIT ", "# EOF"]
                    .iter()
                    .any(|p| line.starts_with(p)),
                "bad comment line {line:?}"
            );
            continue;
        }
        let c = sample
            .captures(line)
            .unwrap_or_else(|| panic!("bad sample line {line:?}"));
        let labels = c
            .get(2)
            .map(|l| {
                label
                    .captures_iter(l.as_str())
                    .map(|m| (m[1].to_string(), m[2].to_string()))
                    .collect()
            })
            .unwrap_or_default();
        let value: f64 = c[3]
            .parse()
            .unwrap_or_else(|_| panic!("bad value in {line:?}"));
        out.insert((c[1].to_string(), labels), value);
    }
    out
}

fn sample(
    m: &BTreeMap<(String, BTreeMap<String, String>), f64>,
    name: &str,
    labels: &[(&str, &str)],
) -> Option<f64> {
    let labels: BTreeMap<String, String> = labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    m.get(&(name.to_string(), labels)).copied()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enforce_reverts_drift_made_with_the_sdk_and_serves_metrics() {
    let w = World::new().await;
    let f = w.write("stack.yaml", STACK);
    let mut watch = Watch::start(
        &w,
        &[
            f.to_str().unwrap(),
            "--enforce",
            "--interval",
            "1s",
            "--metrics-addr",
            "127.0.0.1:0",
        ],
    );
    let start = watch.next_event("start").await;
    let addr = start["metrics_addr"]
        .as_str()
        .expect("bound address")
        .to_string();

    // Cycle 1 creates both stages.
    let c1 = watch.next_event("cycle").await;
    assert_eq!(
        (
            c1["cycle"].as_u64(),
            c1["drift"].as_u64(),
            c1["applied"].as_u64()
        ),
        (Some(1), Some(2), Some(2)),
        "{c1}"
    );
    assert!(
        watch
            .changes(1)
            .iter()
            .all(|c| c["status"] == "applied" && c["action"] == "create")
    );
    let ivs = w.ivs();
    let main = stages_with_id(&ivs, "main").await;
    let backup = stages_with_id(&ivs, "backup").await;
    assert_eq!((main.len(), backup.len()), (1, 1));

    // Drift made with the SDK: a changed tag, a removed tag, a deleted stage.
    ivs.tag_resource()
        .resource_arn(&main[0])
        .tags("tier", "bronze")
        .tags("owner", "someone")
        .send()
        .await
        .expect("tag");
    ivs.delete_stage()
        .arn(&backup[0])
        .send()
        .await
        .expect("delete");

    // The first cycle that sees the drift reverts all of it.
    let fixed = loop {
        let c = watch.next_event("cycle").await;
        assert_eq!(c["errors"], 0, "{c}");
        if c["drift"].as_u64() > Some(0) {
            break c;
        }
    };
    assert_eq!(fixed["drift"], 2, "{fixed}");
    assert_eq!(fixed["applied"], 2, "{fixed}");
    let cycle = fixed["cycle"].as_u64().unwrap();
    let mut changes: Vec<(String, String, Vec<String>)> = watch
        .changes(cycle)
        .iter()
        .map(|c| {
            assert_eq!(c["status"], "applied", "{c}");
            let fields = c["fields"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f.as_str().unwrap().to_string())
                .collect();
            (
                c["id"].as_str().unwrap().to_string(),
                c["action"].as_str().unwrap().to_string(),
                fields,
            )
        })
        .collect();
    changes.sort();
    assert_eq!(changes[0].0, "backup");
    assert_eq!(changes[0].1, "create");
    assert_eq!(
        changes[1],
        (
            "main".into(),
            "update".into(),
            vec!["tags.owner".into(), "tags.tier".into()]
        )
    );
    let tags = ivs
        .get_stage()
        .arn(&main[0])
        .send()
        .await
        .expect("get stage")
        .stage()
        .and_then(|s| s.tags().cloned())
        .unwrap_or_default();
    assert_eq!(tags.get("tier").map(String::as_str), Some("gold"));
    assert!(!tags.contains_key("owner"));
    assert_eq!(stages_with_id(&ivs, "backup").await.len(), 1);
    assert_eq!(
        stages_with_id(&ivs, "main").await,
        main,
        "updated in place, same ARN"
    );
    // And the next cycle finds nothing to do.
    let quiet = watch.next_event("cycle").await;
    assert_eq!(quiet["drift"], 0, "{quiet}");

    // The metrics, scraped and parsed.
    let (status, body) = get(&addr, "/healthz").await;
    assert!(status.contains(" 200 "), "{status}");
    assert_eq!(body, "ok\n");
    let (status, body) = get(&addr, "/metrics").await;
    assert!(status.contains(" 200 "), "{status}");
    let m = parse_exposition(&body);
    assert_eq!(
        sample(
            &m,
            "ivstack_watch_drift_resources",
            &[("stack", "w"), ("kind", "stage")]
        ),
        Some(0.0)
    );
    // Cycles so far: at least the ones printed (the next may have begun since).
    let cycles = quiet["cycle"].as_u64().unwrap() as f64;
    let calls = sample(
        &m,
        "ivstack_aws_api_calls_total",
        &[("operation", "IVS RealTime:ListStages")],
    )
    .unwrap_or(0.0);
    assert!(
        calls >= cycles,
        "one ListStages per cycle: {calls} < {cycles}"
    );
    assert_eq!(
        sample(
            &m,
            "ivstack_aws_api_calls_total",
            &[("operation", "IVS RealTime:CreateStage")]
        ),
        Some(3.0),
        "two, then backup again"
    );
    assert_eq!(
        sample(
            &m,
            "ivstack_watch_changes_total",
            &[
                ("stack", "w"),
                ("kind", "stage"),
                ("action", "update"),
                ("status", "applied")
            ]
        ),
        Some(1.0)
    );
    let last = sample(
        &m,
        "ivstack_watch_last_success_timestamp_seconds",
        &[("stack", "w")],
    )
    .unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp() as f64;
    assert!(last > now - 3600.0 && last <= now + 1.0, "{last} vs {now}");
    assert!(sample(&m, "ivstack_watch_cycle_duration_seconds_count", &[]).unwrap() >= cycles);
    assert!(sample(&m, "ivstack_watch_cycles_total", &[("outcome", "ok")]).unwrap() >= cycles);
    let (status, _) = get(&addr, "/nothing").await;
    assert!(status.contains(" 404 "), "{status}");

    // SIGTERM: exit 0, with a last line saying why.
    watch.sigterm();
    let (code, seen) = watch.exit_code().await;
    assert_eq!(code, Some(0), "{seen:#?}");
    let last = seen.last().unwrap();
    assert_eq!(
        (last["event"].as_str(), last["reason"].as_str()),
        (Some("stop"), Some("terminate")),
        "{last}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_edit_is_reported_never_applied_and_a_fix_is_picked_up() {
    let w = World::new().await;
    let f = w.write("stack.yaml", STACK);
    let mut watch = Watch::start(&w, &[f.to_str().unwrap(), "--enforce", "--interval", "1s"]);
    let c1 = watch.next_event("cycle").await;
    assert_eq!(c1["applied"], 2, "{c1}");

    // An edit that removes `backup` and breaks the file: nothing may be deleted.
    w.write(
        "stack.yaml",
        "stack: w\nregion: us-east-1\nstages:\n  main:\n    tags: {tier: gold}\n    colour: red\n",
    );
    let bad = loop {
        let c = watch.next_event("cycle").await;
        if c["stacks"][0]["status"] == "invalid" {
            break c;
        }
    };
    let report = &bad["stacks"][0];
    let error = report["errors"][0].as_str().unwrap();
    assert!(
        error.contains("invalid stack file") && error.contains("stack.yaml:6:"),
        "{error}"
    );
    assert!(error.contains("colour"), "{error}");
    assert_eq!(
        (bad["applied"].as_u64(), bad["api_calls"].as_u64()),
        (Some(0), Some(0)),
        "{bad}"
    );
    assert_eq!(
        stages_with_id(&w.ivs(), "backup").await.len(),
        1,
        "nothing deleted"
    );

    // The fix (backup removed for real, main protected) is picked up without a restart.
    w.write("stack.yaml", "stack: w\nregion: us-east-1\nstages:\n  main:\n    tags: {tier: gold}\n    protect: true\n");
    let fixed = loop {
        let c = watch.next_event("cycle").await;
        if c["stacks"][0]["status"] == "ok" {
            break c;
        }
    };
    assert_eq!(fixed["applied"], 2, "{fixed}");
    assert_eq!(stages_with_id(&w.ivs(), "backup").await.len(), 0);

    // A protected stage removed from the file is never deleted: reported as refused.
    w.write("stack.yaml", "stack: w\nregion: us-east-1\nstages: {}\n");
    let refused = loop {
        let c = watch.next_event("cycle").await;
        let cycle = c["cycle"].as_u64().unwrap();
        if watch
            .changes(cycle)
            .iter()
            .any(|ch| ch["status"] == "refused")
        {
            break c;
        }
    };
    assert_eq!(refused["applied"], 0, "{refused}");
    assert_eq!(stages_with_id(&w.ivs(), "main").await.len(), 1, "protected");
    watch.sigterm();
    assert_eq!(watch.exit_code().await.0, Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_faults_never_end_the_process_and_the_stack_converges() {
    let w = World::with(LocalConfig {
        fault_rate: 0.5,
        seed: Some(11),
        ..LocalConfig::default()
    })
    .await;
    let f = w.write("stack.yaml", STACK);
    let watch = Watch::start(
        &w,
        &[
            f.to_str().unwrap(),
            "--enforce",
            "--interval",
            "1s",
            "--max-cycles",
            "6",
        ],
    );
    let (code, seen) = watch.exit_code().await;
    assert_eq!(code, Some(0), "{seen:#?}");
    let cycles: Vec<&Value> = seen.iter().filter(|v| v["event"] == "cycle").collect();
    assert_eq!(cycles.len(), 6, "every cycle ran: {seen:#?}");
    let stats = w.endpoint.stats();
    assert!(stats.total_faults() > 0, "faults were injected: {stats:?}");
    // Whatever failed was retried by later cycles: the stack converged, without duplicates.
    let ivs = w.ivs();
    assert_eq!(stages_with_id(&ivs, "main").await.len(), 1, "{seen:#?}");
    assert_eq!(stages_with_id(&ivs, "backup").await.len(), 1, "{seen:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn once_exits_with_the_plans_detailed_code() {
    let w = World::new().await;
    let f = w.write("stack.yaml", STACK);
    let f = f.to_str().unwrap();
    let out = w.run(&["watch", f, "--once"]);
    assert_eq!(out.status.code(), Some(2), "{}", crate::binary::text(&out));
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    let drift: Vec<&Value> = lines.iter().filter(|l| l["event"] == "change").collect();
    assert_eq!(drift.len(), 2);
    assert!(drift.iter().all(|c| c["status"] == "drift"));
    assert_eq!(
        stages_with_id(&w.ivs(), "main").await.len(),
        0,
        "report only"
    );
    assert_eq!(
        w.run(&["apply", f, "--auto-approve"]).status.code(),
        Some(0)
    );
    assert_eq!(w.run(&["watch", f, "--once"]).status.code(), Some(0));
    w.write(
        "stack.yaml",
        "stack: w\nregion: us-east-1\nstages:\n  main: {nope: 1}\n",
    );
    assert_eq!(w.run(&["watch", f, "--once"]).status.code(), Some(1));
}

/// A stage the file declares that exists without an owner (made with the SDK, as the IVS
/// guide does) is a pending import: `watch --enforce` never adopts it and never creates a
/// second stage of that name; the cycle fails saying to run `ivstack import`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enforce_never_adopts_and_never_duplicates_an_unowned_stage() {
    let w = World::new().await;
    let f = w.write("stack.yaml", STACK);
    let f = f.to_str().unwrap();
    let ivs = w.ivs();
    let made = ivs
        .create_stage()
        .name("w-main")
        .send()
        .await
        .expect("create the stage as the guide does");
    let arn = made
        .stage()
        .map(|s| s.arn().to_string())
        .expect("stage ARN");
    let out = w.run(&["watch", f, "--once", "--enforce"]);
    assert_eq!(out.status.code(), Some(1), "{}", crate::binary::text(&out));
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    let cycle = lines
        .iter()
        .find(|l| l["event"] == "cycle")
        .expect("a cycle line");
    let errors = cycle["stacks"][0]["errors"].to_string();
    assert!(errors.contains("ivstack import"), "{cycle}");
    let stages = ivs.list_stages().send().await.expect("list stages");
    let names: Vec<&str> = stages.stages().iter().filter_map(|s| s.name()).collect();
    assert_eq!(names, ["w-main"], "nothing created, nothing adopted");
    let tags = ivs
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .expect("tags");
    assert!(tags.tags().is_empty(), "no ownership tags added");
}

/// Drift made with boto3 (another SDK, as an operator's script would): one stage deleted,
/// the other's tag changed. One `--enforce` cycle reverts both (exit 2: drift found and
/// reverted), and the next finds nothing (exit 0).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_enforce_cycle_reverts_drift_made_with_boto3() {
    let w = World::new().await;
    let f = w.write("stack.yaml", STACK);
    let f = f.to_str().unwrap();
    assert_eq!(
        w.run(&["apply", f, "--auto-approve"]).status.code(),
        Some(0)
    );
    let main = stages_with_id(&w.ivs(), "main").await;
    assert_eq!(main.len(), 1);
    let script = r#"
import sys, boto3
url, main = sys.argv[1], sys.argv[2]
ivs = boto3.client("ivs-realtime", endpoint_url=url, region_name="us-east-1",
                   aws_access_key_id="test", aws_secret_access_key="test")
ivs.tag_resource(resourceArn=main, tags={"tier": "bronze"})
for s in ivs.list_stages()["stages"]:
    if s.get("tags", {}).get("ivstack:id") == "backup":
        ivs.delete_stage(arn=s["arn"])
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", script, w.endpoint.url(), &main[0]])
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "boto3 (installed by .ci/run) made no drift: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stages_with_id(&w.ivs(), "backup").await.is_empty());

    let once = w.run(&["watch", f, "--once", "--enforce"]);
    assert_eq!(
        once.status.code(),
        Some(2),
        "{}",
        crate::binary::text(&once)
    );
    let applied: Vec<Value> = String::from_utf8_lossy(&once.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .filter(|l: &Value| l["event"] == "change")
        .collect();
    assert_eq!(applied.len(), 2, "{applied:#?}");
    assert!(
        applied.iter().all(|c| c["status"] == "applied"),
        "{applied:#?}"
    );
    assert_eq!(stages_with_id(&w.ivs(), "backup").await.len(), 1);
    let tags = w
        .ivs()
        .list_tags_for_resource()
        .resource_arn(&main[0])
        .send()
        .await
        .expect("tags");
    assert_eq!(tags.tags().get("tier").map(String::as_str), Some("gold"));
    assert_eq!(w.run(&["watch", f, "--once"]).status.code(), Some(0));
}
