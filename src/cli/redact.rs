//! Secrets never reach a log: every log line of the process (the CLI, the AWS SDK's own
//! trace output, the embedded or served local endpoint — they all run in this binary)
//! goes through [`LogWriter`], which redacts before writing, and error messages go
//! through [`redact`] too.
//!
//! Redacted: secret access keys, session tokens, the signature of SigV4 `Authorization`
//! headers and presigned URLs, participant tokens (JWTs), stream keys (`sk_…`, `rt_…`) and
//! private keys, recognised by their shape or by the field that holds them; and the exact
//! values of the credentials this process was given, wherever they appear. Access key ids
//! are not secret and stay visible (they say which credentials were used).

use std::borrow::Cow;
use std::io::{self, Write};
use std::sync::{LazyLock, RwLock};

use regex_lite::{Captures, Regex};

const REDACTED: &str = "** redacted **";

/// ANSI colour codes that a coloured log puts between a field's name and its value.
const ANSI: &str = r"(?:\x1b\[[0-9;]*m)*";

/// Patterns, each replacing its `secret` group (or the whole match).
static PATTERNS: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    let field_names = [
        r"x-amz-security-token",
        r"security[_-]?token",
        r"session[_-]?token",
        r"secret[_-]?access[_-]?key",
        r"secret[_-]?key",
        r"private[_-]?key",
        r"stream[_-]?key",
        r"participant[_-]?token",
        r"client[_-]?secret",
        r"password",
    ]
    .join("|");
    let sources = [
        // `name: value`, `name=value`, `"name": "value"`, `("name", "value")` (header
        // lists in debug output), `<Name>value</Name>`. The value runs to a delimiter;
        // one already redacted (`** redacted **`) is left alone.
        format!(
            r#"(?i)(?:{field_names}){ANSI}["']?{ANSI}\s*(?:[:=,>]|=>){ANSI}\s*["']?(?P<secret>[^"'\s,;&<>(){{}}\[\]*\\][^"'\s,;&<>(){{}}\[\]]*)"#
        ),
        // The signature of a SigV4 Authorization header or presigned URL.
        r"(?i)signature=(?P<secret>[0-9a-f]{16,})".to_string(),
        // JWTs (participant tokens): base64url header starting `{"` (eyJ), payload, signature.
        r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]*)?".to_string(),
        // Stream keys: `sk_<region>_<secret>` (low-latency), and real-time ingest keys
        // `rt_<account>_<region>_<id>_<secret>` (the model's pattern); any `sk_`/`rt_` token
        // of 16 or more key characters is treated as one.
        r"\brt_[0-9]+_[a-z0-9-]+_[A-Za-z0-9-]+_[A-Za-z0-9_+/=.-]+".to_string(),
        r"\b(?:sk|rt)_[A-Za-z0-9][A-Za-z0-9_-]{15,}".to_string(),
        // PEM private keys, whole or cut off.
        r"(?s)-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)"
            .to_string(),
    ];
    sources.iter().filter_map(|s| Regex::new(s).ok()).collect()
});

/// Exact secret values known to this process (credentials from the environment or the
/// command line). Short ones are not registered: `test` is everywhere.
static KNOWN: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Values shorter than this are not redacted by value (only by shape and field).
const MIN_KNOWN_LEN: usize = 8;

/// Redact `secret` wherever it appears from now on.
pub fn register_secret(secret: &str) {
    if secret.len() < MIN_KNOWN_LEN {
        return;
    }
    if let Ok(mut known) = KNOWN.write()
        && !known.iter().any(|k| k == secret)
    {
        known.push(secret.to_string());
    }
}

/// Register the secrets of the standard AWS environment variables.
pub fn register_environment_secrets() {
    for var in [
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
    ] {
        if let Ok(v) = std::env::var(var) {
            register_secret(&v);
        }
    }
}

/// `text` with every secret replaced by `** redacted **`.
pub fn redact(text: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(text);
    if let Ok(known) = KNOWN.read() {
        for k in known.iter() {
            if out.contains(k.as_str()) {
                out = Cow::Owned(out.replace(k.as_str(), REDACTED));
            }
        }
    }
    for re in PATTERNS.iter() {
        if !re.is_match(&out) {
            continue;
        }
        let replaced = re
            .replace_all(&out, |c: &Captures<'_>| match c.name("secret") {
                Some(secret) => {
                    let whole = c.get(0).map_or("", |m| m.as_str());
                    let keep = secret.start() - c.get(0).map_or(0, |m| m.start());
                    format!("{}{REDACTED}", &whole[..keep])
                }
                None => REDACTED.to_string(),
            })
            .into_owned();
        out = Cow::Owned(replaced);
    }
    out
}

/// A `tracing_subscriber` writer: each log event is formatted into a buffer, redacted as
/// a whole and written to standard error in one piece.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogWriter;

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogWriter {
    type Writer = EventBuffer;

    fn make_writer(&'a self) -> EventBuffer {
        EventBuffer(Vec::new())
    }
}

/// One log event on its way to standard error.
pub struct EventBuffer(Vec<u8>);

impl Write for EventBuffer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for EventBuffer {
    fn drop(&mut self) {
        if self.0.is_empty() {
            return;
        }
        let text = String::from_utf8_lossy(&self.0);
        // Nowhere to report a failure to write a log line.
        let _ = io::stderr().lock().write_all(redact(&text).as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+abc=";

    fn clean(text: &str, secret: &str) {
        let out = redact(text);
        assert!(!out.contains(secret), "{secret} survives in {out}");
        assert!(out.contains(REDACTED), "{out}");
    }

    #[test]
    fn session_tokens_in_every_shape() {
        for text in [
            format!(r#"headers: [("x-amz-security-token", "{TOKEN}"), ("x-amz-user-agent", "a")]"#),
            format!(r#"{{"x-amz-security-token": "{TOKEN}"}}"#),
            format!("x-amz-security-token:{TOKEN}\nx-amz-user-agent:a"),
            format!("GET /?X-Amz-Security-Token={TOKEN}&X-Amz-Date=1"),
            format!("<SessionToken>{TOKEN}</SessionToken>"),
            format!(r#"{{"SessionToken":"{TOKEN}"}}"#),
            format!("AWS_SESSION_TOKEN={TOKEN}"),
            format!("session_token=\x1b[0m\x1b[2m{TOKEN}"),
            format!("\x1b[3msession_token\x1b[0m\x1b[2m=\x1b[0m{TOKEN} next"),
        ] {
            clean(&text, TOKEN);
        }
        // What follows the secret is kept.
        let query = format!("X-Amz-Security-Token={TOKEN}&X-Amz-Date=1");
        assert_eq!(
            redact(&query),
            "X-Amz-Security-Token=** redacted **&X-Amz-Date=1"
        );
        // Already redacted by the SDK: left as it is.
        let sdk = "x-amz-security-token:** redacted (length=27) **";
        assert_eq!(redact(sdk), sdk);
    }

    #[test]
    fn secret_keys_signatures_and_private_keys() {
        let key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        for text in [
            format!("<SecretAccessKey>{key}</SecretAccessKey>"),
            format!(r#""secret_access_key": "{key}""#),
            format!("aws_secret_access_key = {key}"),
            format!("--secret-key {key}").replace(' ', "="),
        ] {
            clean(&text, key);
        }
        let sig = "fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024";
        let auth = format!(
            "authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=host;x-amz-date, Signature={sig}"
        );
        clean(&auth, sig);
        // The access key id says which credentials were used: not secret.
        assert!(redact(&auth).contains("AKIDEXAMPLE"));
        clean(&format!("?X-Amz-Signature={sig}&"), sig);
        let pem = "-----BEGIN EC PRIVATE KEY-----\\nMIGkAgEBBDA\\n-----END EC PRIVATE KEY-----";
        clean(&format!(r#"{{"key": "{pem}"}}"#), "MIGkAgEBBDA");
        clean(
            "-----BEGIN PRIVATE KEY-----\nMIGkAgEBBDA cut",
            "MIGkAgEBBDA",
        );
        // A public key is not a secret.
        let public = "-----BEGIN PUBLIC KEY-----\nMHYwEAYHKoZ\n-----END PUBLIC KEY-----";
        assert_eq!(redact(public), public);
    }

    #[test]
    fn participant_tokens_and_stream_keys() {
        let jwt = "eyJhbGciOiJFUzM4NCIsInR5cCI6IkpXVCJ9.eyJleHAiOjE3MDAwMDAwMDAsInJlc291cmNlIjoieCJ9.MGQCMF2x-_y";
        clean(&format!(r#"{{"token":"{jwt}","participantId":"p"}}"#), jwt);
        clean(&format!("token {jwt} end"), jwt);
        for key in [
            "sk_us-west-2_abcDEF0123456789abcDEF0123456789",
            "rt_us-east-1_AbCdEfGh1234IjKl",
            "rt_0123456789abcdefABCDEF",
            // The shape the IVS Real-Time model gives ingest stream keys.
            "rt_123456789012_us-east-1_AbCdEfGh1234_q8F3Xk2LmN7pR4sT9vW1yZ6bC0dE5gH2",
            "rt_123456789012_us-east-1_AbCdEfGh1234_s3cr3tKeyMaterial",
        ] {
            clean(
                &format!(r#"{{"streamKey": {{"value": "x"}}, "k": "{key}"}}"#),
                key,
            );
            clean(&format!("stream key {key}."), key);
        }
        // Ordinary words that merely look alike stay.
        for text in [
            "task_us-east-1",
            "desk_reference",
            "rt_short",
            "next_token=abc",
        ] {
            assert_eq!(redact(text), text);
        }
    }

    /// What `ivstack token` mints, in every shape a log or an error could hold it: alone,
    /// in the JSON line, in a response body, in SDK debug output; self-signed (`kid`
    /// header) and IVS-issued (`alg: KMS`).
    #[test]
    fn minted_participant_tokens_in_every_shape() {
        use crate::token::jwt::{Claims, StageTarget, TokenSigner};
        use crate::token::request::{TokenRequest, default_capabilities};
        let signer = TokenSigner::new(
            p384::ecdsa::SigningKey::from_slice(&[5; 48]).unwrap(),
            "arn:aws:ivs:us-east-1:123456789012:public-key/f99cde61-c2b0-4df3-8941-ca7d38acca1a",
        );
        let stage = StageTarget {
            arn: "arn:aws:ivs:us-east-1:123456789012:stage/abcdABCDefgh".into(),
            events_url: "wss://global.events.live-video.net".into(),
            whip_url: "https://abcd.global-bm.whip.live-video.net".into(),
        };
        let request = TokenRequest {
            user_id: Some("u".into()),
            capabilities: default_capabilities(),
            duration_minutes: 1,
            attributes: Default::default(),
        };
        let self_signed = signer.sign(&Claims::new(&stage, &request, 1_700_000_000, "p1"));
        let kms = "eyJhbGciOiJLTVMiLCJ0eXAiOiJKV1QifQ.eyJleHAiOjE2NjQ1ODgxNzIsImp0aSI6IlNEMFVCN2VPQ0c0NiJ9.AQICAHh1c2VvbnRoZXJlZW1vdGU";
        for token in [self_signed.as_str(), kms] {
            for text in [
                token.to_string(),
                format!(r#"{{"participant_id":"p1","token":"{token}","user_id":"u"}}"#),
                format!(r#"body: b"{{\"participantToken\":{{\"token\":\"{token}\"}}}}""#),
                format!(r#"ParticipantToken {{ token: Some("{token}"), user_id: None }}"#),
                format!("error: cannot use {token}: bad"),
            ] {
                let out = redact(&text);
                for part in token.split('.') {
                    assert!(!out.contains(part), "{part} survives in {out}");
                }
                assert!(out.contains(REDACTED), "{out}");
            }
        }
    }

    #[test]
    fn registered_values_are_redacted_anywhere() {
        let secret = "registered-secret-value-123";
        register_secret(secret);
        clean(&format!("weird place {secret} in text"), secret);
        // Short values are not registered: they would redact ordinary words.
        register_secret("test");
        assert_eq!(redact("a test of things"), "a test of things");
    }
}
