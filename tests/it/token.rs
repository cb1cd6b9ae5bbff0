//! `ivstack token` end to end: the binary against the local endpoint, tokens checked by
//! verifying their signatures and reading their claims.

use std::collections::HashMap;

use ivstack_local::LocalConfig;
use ivstack_local::services::tokens;

use crate::binary::{World, assert_code, stages_with_id, stderr, stdout, text};

const STACK: &str = "stack: tok\nregion: us-east-1\nstages:\n  main: {}\n  backup: {}\n";

/// Verify `token` with the endpoint's signing key and return its claims.
fn claims(w: &World, token: &str) -> tokens::Claims {
    let public = w
        .endpoint
        .with_state(|s| s.ivs.token_public_key_pem())
        .expect("state")
        .expect("the endpoint has signed a token");
    let now = w.endpoint.clock().epoch_seconds();
    tokens::verify(token, &public, now).unwrap_or_else(|e| panic!("{e}: {token}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_for_the_stage_the_stack_owns_carries_exactly_what_was_asked() {
    let w = World::new().await;
    let f = w.write("stack.yaml", STACK);
    let f = f.to_str().unwrap();
    assert_code(&w.run(&["apply", f, "--auto-approve"]), 0);
    let main = stages_with_id(&w.ivs(), "main").await;
    assert_eq!(main.len(), 1);

    // The guide's command, by logical id.
    let out = w.run(&[
        "token",
        f,
        "main",
        "--user-id",
        "broadcaster-123",
        "--capabilities",
        "PUBLISH,SUBSCRIBE",
        "--duration",
        "720",
        "--attribute",
        "displayName=John Doe",
    ]);
    assert_code(&out, 0);
    let printed = stdout(&out);
    let lines: Vec<&str> = printed.lines().collect();
    assert_eq!(lines.len(), 1, "the token alone: {printed}");
    let c = claims(&w, lines[0]);
    assert_eq!(c.resource, main[0]);
    assert_eq!(c.user_id.as_deref(), Some("broadcaster-123"));
    assert!(c.capabilities.allow_publish && c.capabilities.allow_subscribe);
    assert_eq!(
        c.attributes.get("displayName").map(String::as_str),
        Some("John Doe")
    );
    assert_eq!(c.exp - c.iat, 720 * 60);
    assert!(stderr(&out).is_empty(), "{}", text(&out));

    // A viewer's token in JSON, on the other stage.
    let out = w.run(&[
        "token",
        f,
        "backup",
        "--user-id",
        "viewer-456",
        "--capabilities",
        "SUBSCRIBE",
        "--duration",
        "30",
        "--output",
        "json",
    ]);
    assert_code(&out, 0);
    let v: serde_json::Value = serde_json::from_str(stdout(&out).trim()).expect("one JSON line");
    let c = claims(&w, v["token"].as_str().unwrap());
    assert_eq!(c.resource, stages_with_id(&w.ivs(), "backup").await[0]);
    assert!(!c.capabilities.allow_publish && c.capabilities.allow_subscribe);
    assert_eq!(c.exp - c.iat, 30 * 60);
    assert_eq!(v["participant_id"], c.jti.as_str());
    assert_eq!(v["user_id"], "viewer-456");
    assert_eq!(v["capabilities"], serde_json::json!(["SUBSCRIBE"]));
    assert_eq!(v["duration_minutes"], 30);
    let expiry = time::OffsetDateTime::parse(
        v["expiration_time"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .expect("RFC 3339 expiry");
    assert_eq!(expiry.unix_timestamp(), c.exp);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_live_stage_two_live_stages_or_an_unknown_id_are_clear_errors() {
    let w = World::new().await;
    let f = w.write("stack.yaml", STACK);
    let f = f.to_str().unwrap();
    let before = w.endpoint.stats();

    let out = w.run(&["token", f, "mian"]);
    assert_code(&out, 1);
    assert!(
        stderr(&out).contains("no `stages.mian`; did you mean `main`?"),
        "{}",
        text(&out)
    );

    let out = w.run(&["token", f, "main"]);
    assert_code(&out, 1);
    assert!(
        stderr(&out).contains("has no live stage `main`") && stderr(&out).contains("ivstack apply"),
        "{}",
        text(&out)
    );
    assert!(stdout(&out).is_empty());

    // Invalid requests are refused before any call.
    for args in [
        &["--attribute", "novalue"][..],
        &["--capabilities", "PUBLISHER"],
        &["--duration", "20161"],
        &["--user-id", "x", "--users", "u.txt"],
    ] {
        let out = w.run(&[&["token", f, "main"][..], args].concat());
        assert_code(&out, if args[0] == "--attribute" { 1 } else { 2 });
    }
    let big = format!("k={}", "v".repeat(1024));
    let out = w.run(&["token", f, "main", "--attribute", &big]);
    assert_code(&out, 1);
    assert!(
        stderr(&out).contains("at most 1024 (1 KB)"),
        "{}",
        text(&out)
    );
    let after = w.endpoint.stats();
    assert_eq!(
        after.requests.get("ivs:CreateParticipantToken"),
        before.requests.get("ivs:CreateParticipantToken"),
        "no token was asked for"
    );

    // Two live stages claiming `main` (two racing applies): which one is meant is a guess.
    assert_code(&w.run(&["apply", f, "--auto-approve"]), 0);
    let tags = HashMap::from([
        ("ivstack:stack".to_string(), "tok".to_string()),
        ("ivstack:id".to_string(), "main".to_string()),
    ]);
    w.ivs()
        .create_stage()
        .name("tok-main")
        .set_tags(Some(tags))
        .send()
        .await
        .expect("create a duplicate");
    let out = w.run(&["token", f, "main"]);
    assert_code(&out, 1);
    assert!(
        stderr(&out).contains("2 live stages claim stage `main`"),
        "{}",
        text(&out)
    );
    assert!(stdout(&out).is_empty());
}

/// 120 users with the endpoint holding CreateParticipantToken to AWS's 50 TPS. The client
/// never has more than --max-concurrency (8) calls in flight and starts at most one per
/// 20 ms, so whatever the machine's speed the endpoint's bucket (a burst of 50, refilled
/// at 50/s) never runs dry: zero throttles, by construction rather than by timing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_minting_stays_within_the_quota_in_file_order() {
    let w = World::with(LocalConfig {
        quotas_aws: true,
        ..LocalConfig::default()
    })
    .await;
    let f = w.write("stack.yaml", STACK);
    let f = f.to_str().unwrap();
    assert_code(&w.run(&["apply", f, "--auto-approve"]), 0);
    let mut csv = String::from("user_id,capabilities,attributes\n# hosts first\n");
    for i in 0..20 {
        csv.push_str(&format!("host-{i},PUBLISH|SUBSCRIBE,role=host\n"));
    }
    for i in 0..100 {
        csv.push_str(&format!("viewer-{i}\n"));
    }
    let users = w.write("users.csv", &csv);
    let out = w.run(&[
        "token",
        f,
        "main",
        "--users",
        users.to_str().unwrap(),
        "--capabilities",
        "SUBSCRIBE",
        "--output",
        "json",
        "-v",
    ]);
    assert_code(&out, 0);
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(lines.len(), 120);
    for (i, v) in lines.iter().enumerate() {
        let (user, publish) = if i < 20 {
            (format!("host-{i}"), true)
        } else {
            (format!("viewer-{}", i - 20), false)
        };
        assert_eq!(v["user_id"], user.as_str(), "file order");
        let c = claims(&w, v["token"].as_str().unwrap());
        assert_eq!(c.user_id.as_deref(), Some(user.as_str()));
        assert_eq!(c.capabilities.allow_publish, publish);
        assert!(c.capabilities.allow_subscribe);
        assert_eq!(c.attributes.contains_key("role"), publish);
    }
    let err = stderr(&out);
    assert!(err.contains("warning: 20 tokens with PUBLISH"), "{err}");
    assert!(err.contains("120 of 120 token(s) minted"), "{err}");
    assert!(err.contains(", 0 throttled"), "{err}");
    let stats = w.endpoint.stats();
    assert_eq!(stats.requests.get("ivs:CreateParticipantToken"), Some(&120));
    assert_eq!(stats.throttled.get("ivs:CreateParticipantToken"), None);

    // A bad line stops everything before the first call, naming the line.
    let bad = w.write("bad.csv", "alice\nbob,SUBSCRIBE,role\n");
    let out = w.run(&["token", f, "main", "--users", bad.to_str().unwrap()]);
    assert_code(&out, 1);
    assert!(
        stderr(&out).contains("bad.csv:2: attribute `role` is not KEY=VALUE"),
        "{}",
        text(&out)
    );
    assert_eq!(
        w.endpoint
            .stats()
            .requests
            .get("ivs:CreateParticipantToken"),
        Some(&120)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_reach_standard_output_and_no_log() {
    let w = World::new().await;
    let f = w.write("stack.yaml", STACK);
    let f = f.to_str().unwrap();
    assert_code(&w.run(&["apply", f, "--auto-approve"]), 0);
    let out = w.run(&["-vv", "token", f, "main", "--output", "json"]);
    assert_code(&out, 0);
    let v: serde_json::Value = serde_json::from_str(stdout(&out).trim()).expect("JSON");
    let token = v["token"].as_str().unwrap();
    let err = stderr(&out);
    // The trace logs are there, with the CreateParticipantToken exchange...
    assert!(err.contains("CreateParticipantToken"), "{err}");
    // ...and no part of the token.
    for part in token.split('.') {
        assert!(!err.contains(part), "a token part reached the logs");
    }
}
