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

// ---------------------------------------------------------------------------------------
// Self-signed tokens (`--sign-with KEY.pem --key <public_keys id>`).

/// A fresh P-384 key pair: SEC1 private PEM (what `openssl ecparam -genkey -noout` writes)
/// and SPKI public PEM (what `openssl ec -pubout` writes).
fn key_pair() -> (String, String) {
    use p384::pkcs8::{EncodePublicKey, LineEnding};
    loop {
        let bytes: [u8; 48] = rand::random();
        if let Ok(secret) = p384::SecretKey::from_slice(&bytes) {
            let private = secret.to_sec1_pem(LineEnding::LF).unwrap().to_string();
            let public = secret
                .public_key()
                .to_public_key_pem(LineEnding::LF)
                .unwrap();
            return (private, public);
        }
    }
}

fn b64json(part: &str) -> serde_json::Value {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON")
}

/// Verify an ES384 JWT with a PEM public key using Python's `cryptography` (an
/// implementation independent of ours), when it is installed (CI installs it with moto).
fn verify_with_python(token: &str, public_pem: &str) -> Option<bool> {
    const SCRIPT: &str = r#"
import base64, sys
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils
token, pem = sys.stdin.read().split("\n", 1)
head, payload, sig = token.split(".")
raw = base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4))
r, s = int.from_bytes(raw[:48], "big"), int.from_bytes(raw[48:], "big")
key = serialization.load_pem_public_key(pem.encode())
try:
    key.verify(utils.encode_dss_signature(r, s), (head + "." + payload).encode(), ec.ECDSA(hashes.SHA384()))
    print("valid")
except Exception as e:
    print("invalid", type(e).__name__)
"#;
    use std::io::Write as _;
    let probe = std::process::Command::new("python3")
        .args(["-c", "import cryptography"])
        .output()
        .ok()?;
    if !probe.status.success() {
        eprintln!("SKIP: python3 cryptography is not installed: only the Rust verification ran");
        return None;
    }
    let mut child = std::process::Command::new("python3")
        .args(["-c", SCRIPT])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{token}\n{public_pem}").as_bytes())
        .unwrap();
    let out = child.wait_with_output().expect("python3");
    Some(String::from_utf8_lossy(&out.stdout).trim() == "valid")
}

const SIGNED_STACK: &str = "stack: sig\nregion: us-east-1\nstages:\n  main: {}\npublic_keys:\n  signer:\n    public_key_file: signer.pub.pem\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn self_signed_tokens_verify_with_the_imported_key_and_carry_exactly_the_grants() {
    use p384::ecdsa::signature::Verifier as _;
    use p384::pkcs8::DecodePublicKey as _;
    let w = World::new().await;
    let (private, public) = key_pair();
    let key_file = w.write("signer.pem", &private);
    w.write("signer.pub.pem", &public);
    let f = w.write("stack.yaml", SIGNED_STACK);
    let f = f.to_str().unwrap();
    assert_code(&w.run(&["apply", f, "--auto-approve"]), 0);
    let ivs = w.ivs();
    let stage_arn = stages_with_id(&ivs, "main").await.remove(0);
    let stage = ivs.get_stage().arn(&stage_arn).send().await.unwrap();
    let endpoints = stage.stage().unwrap().endpoints().unwrap();
    let keys = ivs.list_public_keys().send().await.unwrap();
    let key_arn = keys.public_keys()[0].arn().unwrap().to_string();
    let imported = ivs
        .get_public_key()
        .arn(&key_arn)
        .send()
        .await
        .unwrap()
        .public_key()
        .unwrap()
        .public_key_material()
        .unwrap()
        .to_string();
    let before = w.endpoint.stats();

    let out = w.run(&[
        "-vv",
        "token",
        f,
        "main",
        "--sign-with",
        key_file.to_str().unwrap(),
        "--key",
        "signer",
        "--user-id",
        "guest-7",
        "--capabilities",
        "PUBLISH",
        "--duration",
        "60",
        "--attribute",
        "displayName=Jane Roe",
        "--attribute",
        "seat=12",
        "--output",
        "json",
    ]);
    assert_code(&out, 0);
    let v: serde_json::Value = serde_json::from_str(stdout(&out).trim()).expect("one JSON line");
    let token = v["token"].as_str().unwrap();
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3);

    // It verifies with the key IVS holds (GetPublicKey's material), by two implementations.
    use base64::Engine as _;
    let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(parts[2])
        .unwrap();
    let verifying = p384::ecdsa::VerifyingKey::from_public_key_pem(&imported).unwrap();
    verifying
        .verify(
            format!("{}.{}", parts[0], parts[1]).as_bytes(),
            &p384::ecdsa::Signature::from_slice(&sig).unwrap(),
        )
        .expect("verifies with the imported public key");
    if let Some(valid) = verify_with_python(token, &imported) {
        assert!(valid, "Python's cryptography rejects the signature");
    }
    let (_, other) = key_pair();
    assert!(
        !verify_with_python(token, &other).unwrap_or(false),
        "another key must not verify it"
    );

    // Exactly the documented header and claims, with exactly the grants asked for.
    assert_eq!(
        b64json(parts[0]),
        serde_json::json!({"alg": "ES384", "typ": "JWT", "kid": key_arn})
    );
    let claims = b64json(parts[1]);
    let iat = claims["iat"].as_i64().unwrap();
    assert_eq!(
        claims,
        serde_json::json!({
            "exp": iat + 3600, "iat": iat, "jti": v["participant_id"],
            "user_id": "guest-7",
            "resource": stage_arn,
            "topic": stage_arn.rsplit('/').next().unwrap(),
            "events_url": endpoints.events().unwrap(),
            "whip_url": endpoints.whip().unwrap(),
            "capabilities": {"allow_publish": true, "allow_subscribe": false},
            "attributes": {"displayName": "Jane Roe", "seat": "12"},
            "version": "1.0"
        })
    );
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    assert!((iat - now).abs() < 3600, "issued now: {iat} vs {now}");
    assert_eq!(v["capabilities"], serde_json::json!(["PUBLISH"]));

    // No API call minted it, and neither the token nor the private key reached the logs.
    let after = w.endpoint.stats();
    assert_eq!(
        after.requests.get("ivs:CreateParticipantToken"),
        before.requests.get("ivs:CreateParticipantToken")
    );
    let err = stderr(&out);
    assert!(
        err.contains("GetPublicKey"),
        "the -vv logs are there: {err}"
    );
    for part in parts.iter().chain(
        private
            .lines()
            .filter(|l| l.len() > 20)
            .collect::<Vec<_>>()
            .iter(),
    ) {
        assert!(!err.contains(part), "a secret reached the logs");
    }

    // In bulk, in order, one per line.
    let users = w.write(
        "users.txt",
        &(0..40).map(|i| format!("u{i}\n")).collect::<String>(),
    );
    let out = w.run(&[
        "token",
        f,
        "main",
        "--sign-with",
        key_file.to_str().unwrap(),
        "--key",
        "signer",
        "--users",
        users.to_str().unwrap(),
        "--capabilities",
        "SUBSCRIBE",
    ]);
    assert_code(&out, 0);
    let tokens: Vec<String> = stdout(&out).lines().map(str::to_string).collect();
    assert_eq!(tokens.len(), 40);
    for (i, t) in tokens.iter().enumerate() {
        let claims = b64json(t.split('.').nth(1).unwrap());
        assert_eq!(claims["user_id"], format!("u{i}"));
        assert_eq!(
            claims["capabilities"],
            serde_json::json!({"allow_publish": false, "allow_subscribe": true})
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_key_that_is_not_the_imported_keys_pair_is_refused() {
    let w = World::new().await;
    let (_, public) = key_pair();
    let (stranger, _) = key_pair();
    let key_file = w.write("stranger.pem", &stranger);
    w.write("signer.pub.pem", &public);
    let f = w.write("stack.yaml", SIGNED_STACK);
    let f = f.to_str().unwrap();
    let k = key_file.to_str().unwrap();

    // Before apply: nothing imported yet.
    let out = w.run(&["token", f, "main", "--sign-with", k, "--key", "signer"]);
    assert_code(&out, 1);
    assert!(stderr(&out).contains("live"), "{}", text(&out));

    assert_code(&w.run(&["apply", f, "--auto-approve"]), 0);
    let out = w.run(&["token", f, "main", "--sign-with", k, "--key", "signer"]);
    assert_code(&out, 1);
    assert!(
        stderr(&out).contains("refusing to sign")
            && stderr(&out).contains("not the key pair of public key `signer`"),
        "{}",
        text(&out)
    );
    assert!(stdout(&out).is_empty());
    for line in stranger.lines().filter(|l| !l.starts_with("-----")) {
        assert!(
            !stderr(&out).contains(line),
            "the private key reached stderr"
        );
    }

    // Unknown key id, missing --key, a file that is no key.
    let out = w.run(&["token", f, "main", "--sign-with", k, "--key", "signr"]);
    assert_code(&out, 1);
    assert!(
        stderr(&out).contains("did you mean `signer`?"),
        "{}",
        text(&out)
    );
    assert_code(&w.run(&["token", f, "main", "--sign-with", k]), 2);
    let out = w.run(&["token", f, "main", "--sign-with", f, "--key", "signer"]);
    assert_code(&out, 1);
    assert!(
        stderr(&out).contains("holds no private key"),
        "{}",
        text(&out)
    );
}

/// Ctrl-C part-way through a bulk run: nothing new starts, what is in flight finishes and is
/// printed, in order, and the summary says how many; exit 130. The endpoint holds
/// CreateParticipantToken to 50 TPS, so 3,000 tokens take a minute: the interrupt, sent
/// once the first token is read, lands long before the end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_in_bulk_prints_what_was_minted_and_exits_130() {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
    let w = World::with(LocalConfig {
        quotas_aws: true,
        ..LocalConfig::default()
    })
    .await;
    let f = w.write("stack.yaml", STACK);
    let f = f.to_str().unwrap();
    assert_code(&w.run(&["apply", f, "--auto-approve"]), 0);
    let users = w.write(
        "users.txt",
        &(0..3000).map(|i| format!("u{i}\n")).collect::<String>(),
    );
    let mut cmd = tokio::process::Command::from(w.command());
    cmd.args([
        "token",
        f,
        "main",
        "--users",
        users.to_str().unwrap(),
        "--output",
        "json",
    ])
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .kill_on_drop(true);
    let mut child = cmd.spawn().expect("spawn");
    let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = out.next_line().await.unwrap().expect("a first token");
    let pid = child.id().unwrap().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let mut lines = vec![first];
    while let Some(l) = out.next_line().await.unwrap() {
        lines.push(l);
    }
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .await
        .unwrap();
    let status = child.wait().await.unwrap();
    assert_eq!(status.code(), Some(130), "{err}");
    assert!(lines.len() < 3000, "stopped early");
    for (i, l) in lines.iter().enumerate() {
        let v: serde_json::Value = serde_json::from_str(l).expect("whole JSON lines");
        assert_eq!(v["user_id"], format!("u{i}"), "in order, no gap");
        claims(&w, v["token"].as_str().unwrap());
    }
    let n = lines.len();
    assert!(
        err.contains(&format!("{n} of 3000 token(s) minted")),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "interrupted while minting tokens ({n} of 3000 minted and printed)"
        )),
        "{err}"
    );
}
