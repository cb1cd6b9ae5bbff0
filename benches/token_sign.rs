//! Local token signing benchmark: self-signed participant tokens (ES384) per second on one
//! core, through the same path as `ivstack token --sign-with` (claims, a fresh participant
//! id, the JWS, the expiry), on one thread.
//!
//! Prints figures (no assertions). Run with `cargo bench --bench token_sign`.

use std::collections::BTreeMap;
use std::time::Instant;

use ivstack::token::jwt::{StageTarget, TokenSigner};
use ivstack::token::mint;
use ivstack::token::request::{TokenRequest, default_capabilities};

const TOKENS: usize = 5_000;
const RUNS: usize = 5;

fn main() {
    let key = p384::ecdsa::SigningKey::from_slice(&[0x42; 48]).expect("a valid scalar");
    let signer = TokenSigner::new(
        key,
        "arn:aws:ivs:us-west-2:123456789012:public-key/f99cde61-c2b0-4df3-8941-ca7d38acca1a",
    );
    let stage = StageTarget {
        arn: "arn:aws:ivs:us-west-2:123456789012:stage/abcdABCDefgh".into(),
        events_url: "wss://global.events.live-video.net".into(),
        whip_url: "https://9x0y8z7s6t5u.global-bm.whip.live-video.net".into(),
    };
    let request = TokenRequest {
        user_id: Some("broadcaster-123".into()),
        capabilities: default_capabilities(),
        duration_minutes: 720,
        attributes: BTreeMap::from([("displayName".into(), "John Doe".into())]),
    };
    let now = 1_800_000_000;
    // Warm up.
    for _ in 0..200 {
        std::hint::black_box(mint::locally(&signer, &stage, &request, now));
    }
    let mut rates = Vec::new();
    let mut bytes = 0;
    for _ in 0..RUNS {
        let started = Instant::now();
        for _ in 0..TOKENS {
            let m = mint::locally(&signer, &stage, &request, now);
            bytes = m.token.len();
            std::hint::black_box(m);
        }
        rates.push(TOKENS as f64 / started.elapsed().as_secs_f64());
    }
    rates.sort_by(f64::total_cmp);
    let median = rates[RUNS / 2];
    println!(
        "local ES384 signing, one thread: {median:.0} tokens/s median of {RUNS} runs of {TOKENS} \
         (min {:.0}, max {:.0}); {:.0} µs per token; {bytes}-byte tokens",
        rates[0],
        rates[RUNS - 1],
        1e6 / median
    );
}
