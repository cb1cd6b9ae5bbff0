//! Reliability and security of the `ivstack` binary (issue 8, issue 7 §4): exit codes on
//! interrupts and deadlines, bounded reads, secrets kept out of logs, colour in logs,
//! unreachable endpoints, a closed standard output, and what `local serve` accepts.
//!
//! No test waits for time to pass. A test that needs the binary inside a phase holds it
//! there (an endpoint that accepts the connection and never answers, or the documented
//! test hook `IVSTACK_TEST_PAUSE_AFTER_APPLY`) and acts once the binary's output or
//! connection proves it got there.

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use aws_sdk_ivsrealtime::Client as Ivs;
use ivstack_local::LocalConfig;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::common;

const BIN: &str = env!("CARGO_BIN_EXE_ivstack");

/// No `account` guard: with credentials in the environment, the first network call the
/// binary makes is the observation of the live account.
const STACK: &str = "stack: rel\nregion: us-east-1\nstages:\n  main: {}\n";

/// With an ingest configuration, whose stream key is a secret that Create and Get return
/// (`attributes` make observation call Get).
const STACK_WITH_INGEST: &str = "stack: rel\nregion: us-east-1\nstages:\n  main: {}\ningest_configurations:\n  studio:\n    stage: main\n    ingest_protocol: RTMPS\n    attributes: {role: host}\n";

fn write_stack(dir: &Path) -> PathBuf {
    let p = dir.join("stack.yaml");
    std::fs::write(&p, STACK).expect("write stack file");
    p
}

/// The binary with test credentials from the environment and nothing from the user's AWS
/// configuration.
fn ivstack(cwd: &Path) -> std::process::Command {
    let mut c = std::process::Command::new(BIN);
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
        .stdin(Stdio::null());
    c
}

fn async_ivstack(cwd: &Path) -> tokio::process::Command {
    let mut c = tokio::process::Command::from(ivstack(cwd));
    c.kill_on_drop(true);
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

fn assert_code(o: &Output, code: i32) {
    assert_eq!(o.status.code(), Some(code), "{}", text(o));
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Send SIGINT (what Ctrl-C sends) to a child process.
fn interrupt(pid: Option<u32>) {
    let pid = pid.expect("child still running").to_string();
    let status = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -INT {pid} failed");
}

/// A stdout whose reader is already gone: every write fails with a broken pipe.
fn closed_stdout() -> Stdio {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    writer.into()
}

async fn stage_count(endpoint: &ivstack_local::LocalEndpoint) -> usize {
    let ivs = Ivs::new(&common::sdk_config(endpoint));
    ivs.list_stages()
        .send()
        .await
        .expect("list stages")
        .stages()
        .len()
}

// ---------------------------------------------------------------------------------------
// Interrupts and the deadline (issue 8 #2).

/// Run `args` against an endpoint that accepts connections and never answers: once the
/// binary connects, it is reading the live account, and stays there.
///
/// With `interrupt_once_connected`, the test waits for that connection and then sends
/// Ctrl-C. Without, it just waits for the binary to end (a `--timeout` must end it): on a
/// slow machine the deadline may come before the connection, and the outcome must be the
/// same, so nothing here waits for the connection.
async fn against_a_silent_endpoint(args: &[&str], interrupt_once_connected: bool) -> Output {
    let dir = tempfile::tempdir().expect("tempdir");
    let stack = write_stack(dir.path());
    let hole = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", hole.local_addr().expect("addr"));
    let mut child = async_ivstack(dir.path())
        .args(["--endpoint-url", &url])
        .args(args)
        .arg(&stack)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ivstack");
    let mut connection = None;
    if interrupt_once_connected {
        connection = Some(tokio::select! {
            c = hole.accept() => c.expect("accept"),
            s = child.wait() => panic!("ivstack exited before reading the live account: {s:?}"),
        });
        interrupt(child.id());
    }
    let out = child.wait_with_output().await.expect("wait for ivstack");
    // Unanswered connections (accepted or still in the listener's backlog) live until here.
    drop((connection, hole));
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_while_apply_reads_the_live_account_exits_130() {
    let out = against_a_silent_endpoint(&["apply", "--auto-approve"], true).await;
    assert_code(&out, 130);
    let err = stderr(&out);
    assert!(
        err.contains("interrupted while reading the live account"),
        "{}",
        text(&out)
    );
    assert!(err.contains("nothing was changed"), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_while_plan_reads_the_live_account_exits_130() {
    let out = against_a_silent_endpoint(&["plan"], true).await;
    assert_code(&out, 130);
    assert!(out.stdout.is_empty(), "no partial plan: {}", text(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeout_while_apply_reads_the_live_account_exits_130() {
    let out =
        against_a_silent_endpoint(&["--timeout", "1", "apply", "--auto-approve"], false).await;
    assert_code(&out, 130);
    let err = stderr(&out);
    assert!(err.contains("--timeout of 1s reached"), "{}", text(&out));
    assert!(err.contains("nothing was changed"), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeout_while_plan_reads_the_live_account_exits_130() {
    let out = against_a_silent_endpoint(&["plan", "--timeout", "1"], false).await;
    assert_code(&out, 130);
    assert!(out.stdout.is_empty(), "no partial plan: {}", text(&out));
}

/// The hook pauses apply after its last operation finished, until an interrupt arrives:
/// the interrupt then provably comes after all the work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupt_after_the_work_finished_reports_success() {
    let endpoint = common::start_local_with(LocalConfig::default()).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let stack = write_stack(dir.path());
    let mut child = async_ivstack(dir.path())
        .args(["--endpoint-url", endpoint.url(), "apply"])
        .arg(&stack)
        .arg("--auto-approve")
        .env("IVSTACK_TEST_PAUSE_AFTER_APPLY", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ivstack");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let mut seen = Vec::new();
    loop {
        match lines.next_line().await.expect("read stderr") {
            Some(l) if l.contains("ivstack-test: apply finished") => break,
            Some(l) => seen.push(l),
            None => panic!("the test hook never paused:\n{}", seen.join("\n")),
        }
    }
    interrupt(child.id());
    while let Some(l) = lines.next_line().await.expect("read stderr") {
        seen.push(l);
    }
    let status = child.wait().await.expect("wait");
    let err = seen.join("\n");
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(err.contains("Apply complete"), "{err}");
    assert!(!err.contains("Apply interrupted"), "{err}");
    assert_eq!(stage_count(&endpoint).await, 1);
}

// ---------------------------------------------------------------------------------------
// Bounded reads (issue 8 #4).

fn assert_too_large(out: &Output) {
    assert_code(out, 1);
    let all = text(out);
    assert!(all.contains("limited to 32 MiB"), "{all}");
}

#[test]
fn validate_stops_reading_an_endless_device_at_the_limit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = ivstack(dir.path())
        .args(["validate", "/dev/zero"])
        .output()
        .expect("run");
    assert_too_large(&out);
}

#[test]
fn validate_stops_reading_an_endless_fifo_at_the_limit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("endless.yaml");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    // Writes until the reader goes away (then the write fails with a broken pipe).
    let writer_path = fifo.clone();
    let writer = std::thread::spawn(move || {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(&writer_path)
            .expect("open fifo");
        let block = "k: v\n".repeat(1 << 14);
        let mut written = 0usize;
        while std::io::Write::write_all(&mut f, block.as_bytes()).is_ok() {
            written += block.len();
        }
        written
    });
    let out = ivstack(dir.path())
        .arg("validate")
        .arg(&fifo)
        .output()
        .expect("run");
    assert_too_large(&out);
    let written = writer.join().expect("writer");
    assert!(written >= 32 << 20, "the writer stopped early: {written}");
}

#[test]
fn apply_and_plan_stop_reading_an_endless_input_at_the_limit() {
    let dir = tempfile::tempdir().expect("tempdir");
    for args in [
        &["apply", "/dev/zero", "--auto-approve"][..],
        &["plan", "/dev/zero"],
    ] {
        let out = ivstack(dir.path())
            .args(["--endpoint-url", "http://127.0.0.1:9"])
            .args(args)
            .output()
            .expect("run");
        assert_too_large(&out);
    }
}

// ---------------------------------------------------------------------------------------
// Secrets in logs (issue 8 #5) and colour (issue 8 #6).

const SECRET_KEY: &str = "rEliAbIlItYsEcReTkEy0123456789abcdefABCD";
const SESSION_TOKEN: &str = "IQoJb3JpZ2luX2VjEReliabilitySessionToken0123456789abcdefXYZ";
const ACCESS_KEY: &str = "AKIARELIABILITY0TEST";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_any_log_of_either_side() {
    let dir = tempfile::tempdir().expect("tempdir");
    let stack = dir.path().join("stack.yaml");
    std::fs::write(&stack, STACK_WITH_INGEST).expect("write stack file");
    let serve_log = dir.path().join("serve.log");
    let mut serve = async_ivstack(dir.path())
        .args(["-vv", "local", "serve", "--port", "0"])
        .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&serve_log).expect("log file"))
        .spawn()
        .expect("spawn serve");
    let mut serve_out = BufReader::new(serve.stdout.take().expect("stdout")).lines();
    let mut banner = Vec::new();
    let url = loop {
        let line = serve_out
            .next_line()
            .await
            .expect("read serve stdout")
            .unwrap_or_else(|| panic!("serve printed no URL: {banner:?}"));
        banner.push(line.clone());
        if let Some(at) = line.find("http://") {
            break line[at..].trim().to_string();
        }
    };

    // The CLI as a client, with a session token.
    let client = ivstack(dir.path())
        .args(["-vv", "--endpoint-url", &url, "apply"])
        .arg(&stack)
        .arg("--auto-approve")
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .env("AWS_SESSION_TOKEN", SESSION_TOKEN)
        .output()
        .expect("run client");
    assert_code(&client, 0);
    // Observation reads the ingest configuration (GetIngestConfiguration answers with its
    // stream key), in every rendering.
    let mut plans = Vec::new();
    for output in ["text", "json", "markdown"] {
        let plan = ivstack(dir.path())
            .args(["-vv", "--endpoint-url", &url, "plan"])
            .arg(&stack)
            .args(["--output", output])
            .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
            .output()
            .expect("run plan");
        assert_code(&plan, 0);
        plans.push(plan);
    }
    let creds = aws_credential_types::Credentials::new(
        ACCESS_KEY,
        SECRET_KEY,
        Some(SESSION_TOKEN.to_string()),
        None,
        "test",
    );
    let config = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .http_client(common::http_client())
        .region(aws_config::Region::new(common::REGION))
        .endpoint_url(&url)
        .credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(creds))
        .build();
    let ivs = Ivs::new(&config);
    let stage = ivs.list_stages().send().await.expect("list stages");
    let arn = stage.stages()[0].arn().to_string();
    let token = ivs
        .create_participant_token()
        .stage_arn(arn)
        .send()
        .await
        .expect("create participant token")
        .participant_token()
        .and_then(|t| t.token())
        .expect("token")
        .to_string();
    let ingest = ivs
        .list_ingest_configurations()
        .send()
        .await
        .expect("list ingest configurations");
    let stream_key = ivs
        .get_ingest_configuration()
        .arn(ingest.ingest_configurations()[0].arn())
        .send()
        .await
        .expect("get ingest configuration")
        .ingest_configuration()
        .map(|c| c.stream_key().to_string())
        .expect("stream key");
    assert!(stream_key.starts_with("rt_"), "{stream_key}");

    interrupt(serve.id());
    let status = serve.wait().await.expect("wait for serve");
    assert_eq!(status.code(), Some(0));
    while let Some(line) = serve_out.next_line().await.expect("read serve stdout") {
        banner.push(line);
    }
    let serve_err = std::fs::read_to_string(&serve_log).expect("serve log");
    // The logs are really there (so the absence below means something).
    assert!(serve_err.contains("x-amz-security-token"), "{serve_err}");
    assert!(stderr(&client).contains("x-amz-security-token"));
    assert!(serve_err.contains("GetIngestConfiguration"), "{serve_err}");

    let signature = regex_lite::Regex::new(r"Signature=[0-9a-f]{64}").expect("regex");
    for (what, output) in [
        ("serve stdout", banner.join("\n")),
        ("serve stderr", serve_err),
        (
            "client stdout",
            String::from_utf8_lossy(&client.stdout).into(),
        ),
        ("client stderr", stderr(&client)),
        (
            "plan outputs and logs",
            plans
                .iter()
                .map(|p| format!("{}{}", String::from_utf8_lossy(&p.stdout), stderr(p)))
                .collect(),
        ),
    ] {
        for secret in [
            SECRET_KEY,
            SESSION_TOKEN,
            token.as_str(),
            stream_key.as_str(),
        ] {
            if let Some(at) = output.find(secret) {
                let from = output[..at]
                    .char_indices()
                    .rev()
                    .nth(200)
                    .map_or(0, |c| c.0);
                panic!(
                    "{what} shows a secret: ...{}",
                    &output[from..(at + secret.len()).min(output.len())]
                );
            }
        }
        assert!(!signature.is_match(&output), "{what} shows a signature");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_are_not_coloured_when_stderr_is_not_a_terminal() {
    let endpoint = common::start_local_with(LocalConfig::default()).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let stack = write_stack(dir.path());
    for flags in [&["-v", "--no-color"][..], &["-vv"]] {
        let out = ivstack(dir.path())
            .env_remove("NO_COLOR")
            .args(flags)
            .args(["--endpoint-url", endpoint.url(), "plan"])
            .arg(&stack)
            .output()
            .expect("run");
        assert_code(&out, 0);
        let err = stderr(&out);
        assert!(err.contains("DEBUG"), "{flags:?} logged nothing: {err}");
        assert!(!err.contains('\x1b'), "{flags:?}: ANSI escapes in {err}");
        assert!(!String::from_utf8_lossy(&out.stdout).contains('\x1b'));
    }
}

// ---------------------------------------------------------------------------------------
// An unreachable endpoint (issue 8 #8).

#[test]
fn an_unreachable_endpoint_is_named_in_one_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let stack = write_stack(dir.path());
    // A port nothing listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let out = ivstack(dir.path())
        .args(["--endpoint-url", &url, "plan"])
        .arg(&stack)
        .output()
        .expect("run");
    assert_code(&out, 1);
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line: {err}");
    let line = lines[0];
    assert!(line.contains(&url), "{line}");
    assert!(line.contains("connection refused"), "{line}");
    assert!(line.contains("check"), "{line}");
    for debug in ["ConnectorError", "Some(", "hyper", "Os {"] {
        assert!(!line.contains(debug), "{line}");
    }
}

// ---------------------------------------------------------------------------------------
// A closed standard output (issue 7 §4).

#[test]
fn read_only_commands_end_quietly_when_stdout_is_closed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let stack = write_stack(dir.path());
    for args in [
        vec!["validate", stack.to_str().expect("utf-8")],
        vec![
            "validate",
            "--output",
            "json",
            stack.to_str().expect("utf-8"),
        ],
        vec!["schema"],
    ] {
        let out = ivstack(dir.path())
            .args(&args)
            .stdout(closed_stdout())
            .output()
            .expect("run");
        assert_code(&out, 0);
        assert!(out.stderr.is_empty(), "{args:?}: {}", text(&out));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_ends_quietly_and_apply_completes_when_stdout_is_closed() {
    let endpoint = common::start_local_with(LocalConfig::default()).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let stack = write_stack(dir.path());
    for format in ["text", "json", "markdown"] {
        let out = ivstack(dir.path())
            .args(["--endpoint-url", endpoint.url(), "plan", "--output", format])
            .arg(&stack)
            .stdout(closed_stdout())
            .output()
            .expect("run");
        assert_code(&out, 0);
        assert!(out.stderr.is_empty(), "{format}: {}", text(&out));
    }
    // Apply does its work and reports it (on stderr) whoever reads stdout.
    let out = ivstack(dir.path())
        .args(["--endpoint-url", endpoint.url(), "apply"])
        .arg(&stack)
        .arg("--auto-approve")
        .stdout(closed_stdout())
        .output()
        .expect("run");
    assert_code(&out, 0);
    assert!(stderr(&out).contains("Apply complete"), "{}", text(&out));
    assert_eq!(stage_count(&endpoint).await, 1);
}

// ---------------------------------------------------------------------------------------
// The argument grammar (issue 7 §4).

#[test]
fn local_serve_help_shows_only_what_serve_uses() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = ivstack(dir.path())
        .args(["local", "serve", "--help"])
        .output()
        .expect("run");
    assert_code(&out, 0);
    let help = String::from_utf8_lossy(&out.stdout).into_owned();
    for used in [
        "--port",
        "--state",
        "--latency-ms",
        "--verbose",
        "--no-color",
    ] {
        assert!(help.contains(used), "{used} missing from:\n{help}");
    }
    for ignored in [
        "--profile",
        "--endpoint-url",
        "--local ",
        "--local-state",
        "--max-concurrency",
        "--rate ",
        "--timeout",
    ] {
        assert!(!help.contains(ignored), "{ignored} in:\n{help}");
    }
    // And serve refuses them rather than ignoring them.
    let out = ivstack(dir.path())
        .args(["--profile", "x", "local", "serve", "--port", "0"])
        .output()
        .expect("run");
    assert_code(&out, 2);
    assert!(stderr(&out).contains("--profile"), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_options_work_before_and_after_the_subcommand() {
    let endpoint = common::start_local_with(LocalConfig::default()).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let stack = write_stack(dir.path());
    let s = stack.to_str().expect("utf-8");
    let url = endpoint.url();
    for args in [
        vec!["--endpoint-url", url, "plan", s, "--detailed-exitcode"],
        vec!["plan", s, "--endpoint-url", url, "--detailed-exitcode"],
        vec!["plan", "--timeout", "60", "--endpoint-url", url, s, "-v"],
        vec![
            "-v",
            "--rate",
            "ListStages=50",
            "plan",
            s,
            "--endpoint-url",
            url,
        ],
    ] {
        let out = ivstack(dir.path()).args(&args).output().expect("run");
        let want = if args.contains(&"--detailed-exitcode") {
            2
        } else {
            0
        };
        assert_code(&out, want);
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("+ stage.main (rel-main)"),
            "{args:?}: {}",
            text(&out)
        );
    }
    // Conflicting options are refused wherever they are written.
    let out = ivstack(dir.path())
        .args(["--local", "plan", s, "--endpoint-url", url])
        .output()
        .expect("run");
    assert_code(&out, 2);
    assert!(stderr(&out).contains("--local"), "{}", text(&out));
}

#[test]
fn help_documents_the_exit_codes_as_they_are() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = ivstack(dir.path()).arg("--help").output().expect("run");
    let help = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        help.contains("130  interrupted (Ctrl-C) or --timeout reached"),
        "{help}"
    );
    let out = ivstack(dir.path())
        .args(["apply", "--help"])
        .output()
        .expect("run");
    let help = String::from_utf8_lossy(&out.stdout).into_owned();
    let timeout = help
        .split("--timeout")
        .nth(1)
        .expect("apply --help shows --timeout");
    assert!(timeout.contains("exit 130"), "{help}");
    assert!(!timeout.contains("exit 1)"), "{help}");
}
