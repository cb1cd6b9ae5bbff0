//! Scale benchmark: apply then plan a 200-stage stack (with the rest of the IVS Real-Time
//! family: storage, encoder, public-key and ingest configurations) against the in-process
//! local endpoint with AWS's request-rate quotas enforced (time-scaled), and compare what
//! happened with first principles: the fewest API calls the work needs, and the shortest
//! wall time the rate quotas allow.
//!
//! Run: `cargo bench --bench scale`. Knobs (environment): `IVSTACK_BENCH_TIME_SCALE`
//! (default 10: every quota, server and client, is multiplied by it), `IVSTACK_BENCH_PLAN_RUNS`
//! (default 3), `IVSTACK_BENCH_CONCURRENCY` (apply's `--max-concurrency`, default 8 like the
//! CLI), `IVSTACK_BENCH_RATE` (client-limit overrides, `OP=TPS,...`, like `--rate`).
//! Figures and their meaning: docs/benchmarks.md.
//!
//! Nothing is hard-coded about the outcome: call counts come from the endpoint's own
//! counters (cross-checked with the SDK interceptor's), quotas from the endpoint's service
//! registry, client limits from `RateLimits`, and the minimum call counts from the stack's
//! shape.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use ivstack::apply::{self, ApplyOptions, Progress};
use ivstack::aws::{Aws, ConnectOptions};
use ivstack::stack::model::StackFile;
use ivstack_local::services::Registry;
use ivstack_local::{LocalConfig, LocalEndpoint, Stats};
use tokio_util::sync::CancellationToken;

/// The shape of the generated stack.
#[derive(Debug, Clone, Copy)]
struct Shape {
    stages: usize,
    /// Every `recording_every`-th stage manages its recording (so observation needs GetStage).
    recording_every: usize,
    /// One alarm per stage (Publishers / Maximum).
    policies: usize,
    /// Stages named by each policy.
    stages_per_policy: usize,
    budgets: usize,
    /// Notifications per budget (the default ACTUAL 80 % and 100 %), one subscriber each.
    notifications_per_budget: usize,
    /// Storage configurations (one bucket each); the recording stages record to them in
    /// turn, by logical id.
    storage: usize,
    /// Encoder configurations, each with its `video` managed (so observing it needs Get).
    encoders: usize,
    /// Public keys (AWS allows 3 per region, not adjustable).
    public_keys: usize,
    /// Ingest configurations, the k-th on stage k.
    ingest: usize,
    /// Every `ingest_attributes_every`-th ingest configuration manages `attributes` (the
    /// list lacks them: observing it needs Get).
    ingest_attributes_every: usize,
}

impl Shape {
    fn with_recording(&self) -> usize {
        self.stages.div_ceil(self.recording_every)
    }
    fn alarms(&self) -> usize {
        self.stages
    }
    fn ingest_with_attributes(&self) -> usize {
        self.ingest.div_ceil(self.ingest_attributes_every)
    }
}

const SHAPE: Shape = Shape {
    stages: 200,
    recording_every: 2,
    policies: 50,
    stages_per_policy: 4,
    budgets: 5,
    notifications_per_budget: 2,
    storage: 20,
    encoders: 5,
    public_keys: 3,
    ingest: 50,
    ingest_attributes_every: 2,
};

/// The adjustable resource quotas the stack needs raised, as a Service Quotas increase
/// would (storage configurations: 5 by default). The others fit AWS's defaults (encoder
/// configurations 20, ingest configurations 100, public keys 3 and not adjustable).
fn quota_increases(s: &Shape) -> std::collections::BTreeMap<String, u64> {
    std::collections::BTreeMap::from([("ivs:storage-configurations".to_string(), s.storage as u64)])
}

const STACK: &str = "scale";
const REGION: &str = "us-east-1";
const ACCOUNT: &str = "123456789012";

/// Page sizes ivstack asks for (and the APIs' maxima): ListStages 100, ListPolicies 1000,
/// DescribeAlarms 100, DescribeBudgets 100, DescribeNotificationsForBudget 100, and 100 for
/// each list of the IVS Real-Time family.
const PAGE_STAGES: usize = 100;
const PAGE_IVS_FAMILY: usize = 100;
const PAGE_POLICIES: usize = 1000;
const PAGE_ALARMS: usize = 100;
const PAGE_BUDGETS: usize = 100;
const PAGE_NOTIFICATIONS: usize = 100;

/// The bucket of storage configuration `k`.
fn bucket(k: usize) -> String {
    format!("scale-recordings-{k:02}")
}

/// A P-384 public key in PEM, from a fixed (non-secret) scalar: the bench needs no secrecy.
fn public_pem(k: usize) -> anyhow::Result<String> {
    use p384::pkcs8::{EncodePublicKey, LineEnding};
    let scalar: Vec<u8> = (0..48u8).map(|b| b.wrapping_add(k as u8 * 7 + 1)).collect();
    let secret = p384::SecretKey::from_slice(&scalar).context("a P-384 scalar")?;
    secret
        .public_key()
        .to_public_key_pem(LineEnding::LF)
        .context("encoding a public key")
}

fn stack_yaml(s: &Shape) -> anyhow::Result<String> {
    let mut y = String::new();
    let _ = writeln!(
        y,
        "stack: {STACK}\nregion: {REGION}\naccount: \"{ACCOUNT}\"\ntags: {{team: bench}}"
    );
    y.push_str("storage_configurations:\n");
    for k in 0..s.storage {
        let _ = writeln!(y, "  sc{k:02}:\n    s3_bucket: {}", bucket(k));
    }
    y.push_str("encoder_configurations:\n");
    for k in 0..s.encoders {
        let _ = writeln!(
            y,
            "  e{k}:\n    video: {{ width: 1280, height: 720, framerate: 30, bitrate: {} }}",
            1_000_000 * (k + 1)
        );
    }
    y.push_str("public_keys:\n");
    for k in 0..s.public_keys {
        let pem: String = public_pem(k)?
            .lines()
            .map(|l| format!("      {l}\n"))
            .collect();
        let _ = write!(y, "  k{k}:\n    public_key_pem: |\n{pem}");
    }
    y.push_str("ingest_configurations:\n");
    for k in 0..s.ingest {
        let _ = writeln!(
            y,
            "  i{k:02}:\n    stage: s{k:03}\n    ingest_protocol: RTMPS\n    user_id: publisher-{k}"
        );
        if k % s.ingest_attributes_every == 0 {
            let _ = writeln!(y, "    attributes: {{ role: host }}");
        }
    }
    y.push_str("stages:\n");
    for i in 0..s.stages {
        if i % s.recording_every == 0 {
            let _ = writeln!(
                y,
                "  s{i:03}:\n    recording:\n      storage: sc{:02}\n      \
                 hls_segment_seconds: 6",
                (i / s.recording_every) % s.storage
            );
        } else {
            let _ = writeln!(y, "  s{i:03}: {{}}");
        }
    }
    y.push_str("policies:\n");
    for p in 0..s.policies {
        let stages: Vec<String> = (0..s.stages_per_policy)
            .map(|k| format!("s{:03}", (p * s.stages_per_policy + k) % s.stages))
            .collect();
        let _ = writeln!(
            y,
            "  p{p:02}:\n    description: Token minting for a group of stages\n    statements:\n      \
             - allow: [ivs:CreateParticipantToken, ivs:GetStage]\n        stages: [{}]",
            stages.join(", ")
        );
    }
    y.push_str("alarms:\n");
    for i in 0..s.alarms() {
        let _ = writeln!(
            y,
            "  s{i:03}-publishers:\n    stage: s{i:03}\n    metric: Publishers\n    \
             statistic: Maximum\n    comparison: \">=\"\n    threshold: 11\n    \
             alarm_actions: [arn:aws:sns:{REGION}:{ACCOUNT}:ops]"
        );
    }
    y.push_str("budgets:\n");
    for b in 0..s.budgets {
        // The default notify_percent gives the two notifications counted in the shape.
        let _ = writeln!(
            y,
            "  b{b}:\n    limit_usd: {}\n    emails: [ops{b}@example.com]",
            100 * (b + 1)
        );
    }
    Ok(y)
}

// ---------------------------------------------------------------------------------------
// The minimum-call models and the rate bound
// ---------------------------------------------------------------------------------------

/// How one group of calls waits for another.
#[derive(Debug, Clone, Copy)]
enum Dep {
    /// Starts only once every call of the other group is done (e.g. reads after listing).
    All(usize),
    /// Call k needs call k of the other group (a per-resource pipeline): starts after the
    /// other group's first call, ends at least one slot after the other group's last call.
    Each(usize),
    /// Needs only the first `m` calls of the other group (ingest configurations on the
    /// first stages): starts after the other group's first call, ends at least one slot
    /// after the other group's m-th call, made as early as that group's rate allows.
    First(usize, u64),
}

/// A group of calls to one operation.
#[derive(Debug, Clone)]
struct Group {
    service: &'static str,
    op: &'static str,
    calls: u64,
    deps: Vec<Dep>,
}

fn g(service: &'static str, op: &'static str, calls: usize, deps: Vec<Dep>) -> Group {
    Group {
        service,
        op,
        calls: calls as u64,
        deps,
    }
}

/// The calls an empty-or-converged plan must make for `s`, with the dependencies between
/// them. Every count is the least the APIs allow: listing pages at the maximum page size,
/// one detail read per resource only where the list call lacks the field.
fn plan_model(s: &Shape) -> Vec<Group> {
    use Dep::*;
    vec![
        // 0,1: IVS. ListStages returns tags but not the recording configuration.
        g("ivs", "ListStages", s.stages.div_ceil(PAGE_STAGES), vec![]),
        g("ivs", "GetStage", s.with_recording(), vec![All(0)]),
        // 2,3,4: IAM. ListPolicies under the stack's path; GetPolicy (tags), then the
        // default version's document.
        g(
            "iam",
            "ListPolicies",
            s.policies.div_ceil(PAGE_POLICIES),
            vec![],
        ),
        g("iam", "GetPolicy", s.policies, vec![All(2)]),
        g("iam", "GetPolicyVersion", s.policies, vec![Each(3)]),
        // 5,6: CloudWatch. DescribeAlarms by name prefix returns no tags: one
        // ListTagsForResource per alarm proves ownership.
        g(
            "monitoring",
            "DescribeAlarms",
            s.alarms().div_ceil(PAGE_ALARMS),
            vec![],
        ),
        g(
            "monitoring",
            "ListTagsForResource",
            s.alarms(),
            vec![All(5)],
        ),
        // 7..11: the account id (once), then Budgets: list, then per budget its tags, its
        // notifications and each notification's subscribers.
        g("sts", "GetCallerIdentity", 1, vec![]),
        g(
            "budgets",
            "DescribeBudgets",
            s.budgets.div_ceil(PAGE_BUDGETS),
            vec![All(7)],
        ),
        g("budgets", "ListTagsForResource", s.budgets, vec![All(8)]),
        g(
            "budgets",
            "DescribeNotificationsForBudget",
            s.budgets
                * s.notifications_per_budget
                    .div_ceil(PAGE_NOTIFICATIONS)
                    .max(1),
            vec![Each(9)],
        ),
        g(
            "budgets",
            "DescribeSubscribersForNotification",
            s.budgets * s.notifications_per_budget,
            vec![Each(10)],
        ),
        // 12: storage configurations: the list returns the bucket and the tags.
        g(
            "ivs",
            "ListStorageConfigurations",
            s.storage.div_ceil(PAGE_IVS_FAMILY),
            vec![],
        ),
        // 13,14: encoder configurations: the list has tags, not the video.
        g(
            "ivs",
            "ListEncoderConfigurations",
            s.encoders.div_ceil(PAGE_IVS_FAMILY),
            vec![],
        ),
        g("ivs", "GetEncoderConfiguration", s.encoders, vec![All(13)]),
        // 15,16: public keys: the list has tags, not the key.
        g(
            "ivs",
            "ListPublicKeys",
            s.public_keys.div_ceil(PAGE_IVS_FAMILY),
            vec![],
        ),
        g("ivs", "GetPublicKey", s.public_keys, vec![All(15)]),
        // 17,18,19: ingest configurations: the list has no tags and no attributes, so one
        // call per candidate proves ownership: Get where attributes are managed (it carries
        // the tags too), ListTagsForResource for the others.
        g(
            "ivs",
            "ListIngestConfigurations",
            s.ingest.div_ceil(PAGE_IVS_FAMILY),
            vec![],
        ),
        g(
            "ivs",
            "ListTagsForResource",
            s.ingest - s.ingest_with_attributes(),
            vec![All(17)],
        ),
        g(
            "ivs",
            "GetIngestConfiguration",
            s.ingest_with_attributes(),
            vec![All(17)],
        ),
    ]
}

/// The calls of `apply` on an empty account: one listing call per kind (nothing found),
/// the account id, then one create call per resource (tags, recording, video, key,
/// notifications and subscribers all ride on the create). With `phased`, the design ivstack
/// started with: the resources stages refer to first, then all stages, then every other
/// create. Without, each create waits only for what it references: a recording stage for
/// its storage configuration (left out of the bound: stages that record nowhere can go
/// first, and storage configurations are created long before the last stage), an alarm or
/// policy for its stages, an ingest configuration for its stage (one of the first stages),
/// and the rest for nothing.
fn apply_model(s: &Shape, phased: bool) -> Vec<Group> {
    use Dep::*;
    let observe = vec![
        All(0),
        All(1),
        All(2),
        All(4),
        All(5),
        All(6),
        All(7),
        All(8),
    ];
    let with = |mut d: Vec<Dep>, more: Dep| {
        d.push(more);
        d
    };
    let after_stages = |own: Dep| with(observe.clone(), if phased { All(12) } else { own });
    vec![
        g("ivs", "ListStages", 1, vec![]),
        g("iam", "ListPolicies", 1, vec![]),
        g("monitoring", "DescribeAlarms", 1, vec![]),
        g("sts", "GetCallerIdentity", 1, vec![]),
        g("budgets", "DescribeBudgets", 1, vec![All(3)]),
        g("ivs", "ListStorageConfigurations", 1, vec![]),
        g("ivs", "ListEncoderConfigurations", 1, vec![]),
        g("ivs", "ListPublicKeys", 1, vec![]),
        g("ivs", "ListIngestConfigurations", 1, vec![]),
        // 9..11: what stages (and policies) refer to.
        g(
            "ivs",
            "CreateStorageConfiguration",
            s.storage,
            observe.clone(),
        ),
        g(
            "ivs",
            "CreateEncoderConfiguration",
            s.encoders,
            observe.clone(),
        ),
        g("ivs", "ImportPublicKey", s.public_keys, observe.clone()),
        // 12: stages (groups only depend on earlier ones).
        g(
            "ivs",
            "CreateStage",
            s.stages,
            if phased {
                with(with(observe.clone(), All(9)), All(10))
            } else {
                observe.clone()
            },
        ),
        g("iam", "CreatePolicy", s.policies, after_stages(Each(12))),
        g(
            "monitoring",
            "PutMetricAlarm",
            s.alarms(),
            after_stages(Each(12)),
        ),
        g(
            "ivs",
            "CreateIngestConfiguration",
            s.ingest,
            after_stages(First(12, s.ingest as u64)),
        ),
        g(
            "budgets",
            "CreateBudget",
            s.budgets,
            if phased {
                after_stages(All(12))
            } else {
                observe
            },
        ),
    ]
}

/// The shortest wall time the rate quotas allow for `groups`: each operation has its own
/// token bucket of `rate(service, op)` requests per second, so `n` calls of it take `n /
/// rate`; groups of different operations overlap unless a dependency orders them. Returns
/// the finish time of the last group (critical path).
fn bound(groups: &[Group], rate: &dyn Fn(&str, &str) -> f64) -> f64 {
    finishes(groups, rate).into_iter().fold(0.0, f64::max)
}

/// The earliest finish time of each group under the rate quotas and its dependencies.
fn finishes(groups: &[Group], rate: &dyn Fn(&str, &str) -> f64) -> Vec<f64> {
    let mut start = vec![0.0f64; groups.len()];
    let mut finish = vec![0.0f64; groups.len()];
    for (i, gr) in groups.iter().enumerate() {
        let r = rate(gr.service, gr.op);
        let slot = 1.0 / r;
        let mut s0 = 0.0f64;
        let mut tail = 0.0f64;
        for d in &gr.deps {
            match *d {
                Dep::All(j) => s0 = s0.max(finish[j]),
                Dep::Each(j) => {
                    let first = start[j] + 1.0 / rate(groups[j].service, groups[j].op);
                    s0 = s0.max(first);
                    tail = tail.max(finish[j] + slot);
                }
                Dep::First(j, m) => {
                    let rj = rate(groups[j].service, groups[j].op);
                    s0 = s0.max(start[j] + 1.0 / rj);
                    tail = tail.max(start[j] + m as f64 / rj + slot);
                }
            }
        }
        start[i] = s0;
        finish[i] = (s0 + gr.calls as f64 * slot).max(tail);
    }
    finish
}

/// "service finishes at t" for each service, slowest first: which chain is critical.
fn per_service(groups: &[Group], rate: &dyn Fn(&str, &str) -> f64) -> String {
    let mut by: BTreeMap<&str, f64> = BTreeMap::new();
    for (gr, f) in groups.iter().zip(finishes(groups, rate)) {
        let e = by.entry(gr.service).or_default();
        *e = e.max(f);
    }
    let mut v: Vec<(&str, f64)> = by.into_iter().collect();
    v.sort_by(|a, b| b.1.total_cmp(&a.1));
    v.iter()
        .map(|(s, f)| format!("{s} {f:.3} s"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The pure-rate bound: no dependencies at all, every operation at its quota in parallel.
/// No implementation of the same calls can beat it.
fn pure_bound(groups: &[Group], rate: &dyn Fn(&str, &str) -> f64) -> f64 {
    let mut per_op: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    for gr in groups {
        *per_op.entry((gr.service, gr.op)).or_default() += gr.calls;
    }
    per_op
        .iter()
        .map(|((s, o), n)| *n as f64 / rate(s, o))
        .fold(0.0, f64::max)
}

// ---------------------------------------------------------------------------------------
// Measuring
// ---------------------------------------------------------------------------------------

/// `service:Operation` (SigV4 signing names, as the endpoint counts) of an SDK
/// interceptor key (`IVS RealTime:GetStage`).
fn client_key(sdk_key: &str) -> String {
    let (svc, op) = sdk_key.split_once(':').unwrap_or((sdk_key, ""));
    let svc = match svc {
        "IVS RealTime" => "ivs",
        "IAM" => "iam",
        "CloudWatch" => "monitoring",
        "Budgets" => "budgets",
        "STS" => "sts",
        other => other,
    };
    format!("{svc}:{op}")
}

/// What one measured step did.
struct Measured {
    seconds: f64,
    /// Endpoint-side requests and throttles by `service:Operation`.
    requests: BTreeMap<String, u64>,
    throttled: BTreeMap<String, u64>,
    /// Client-side attempts and throttled attempts by `service:Operation`.
    client_attempts: BTreeMap<String, u64>,
    client_throttled: BTreeMap<String, u64>,
    client_transient: u64,
}

fn delta(after: &BTreeMap<String, u64>, before: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    after
        .iter()
        .map(|(k, v)| (k.clone(), v - before.get(k).copied().unwrap_or(0)))
        .filter(|(_, v)| *v > 0)
        .collect()
}

fn measured(seconds: f64, before: &Stats, after: &Stats, aws: &Aws) -> Measured {
    let mut client_attempts = BTreeMap::new();
    let mut client_throttled = BTreeMap::new();
    let mut client_transient = 0;
    for (k, s) in aws.stats.snapshot() {
        let k = client_key(&k);
        *client_attempts.entry(k.clone()).or_default() += s.attempts;
        if s.throttled > 0 {
            *client_throttled.entry(k).or_default() += s.throttled;
        }
        client_transient += s.failed_transient;
    }
    Measured {
        seconds,
        requests: delta(&after.requests, &before.requests),
        throttled: delta(&after.throttled, &before.throttled),
        client_attempts,
        client_throttled,
        client_transient,
    }
}

async fn connect(endpoint: &LocalEndpoint, scale: f64) -> anyhow::Result<Aws> {
    Aws::connect(&ConnectOptions {
        profile: None,
        region: REGION.to_string(),
        endpoint_url: Some(endpoint.url().to_string()),
        static_credentials: Some((
            endpoint.config().access_key.clone(),
            endpoint.config().secret_key.clone(),
        )),
        rate_overrides: rate_overrides(),
        rate_scale: scale,
        // What the CLI uses.
        max_attempts: 5,
    })
    .await
}

/// `IVSTACK_BENCH_RATE=OP=TPS[,OP=TPS...]`: client-limit overrides, like `--rate` (e.g.
/// `ListTagsForResource=10` reproduces the CloudWatch client limit before it was fixed).
fn rate_overrides() -> std::collections::HashMap<String, f64> {
    std::env::var("IVSTACK_BENCH_RATE")
        .unwrap_or_default()
        .split(',')
        .filter_map(|kv| {
            let (k, v) = kv.split_once('=')?;
            Some((k.trim().to_string(), v.trim().parse().ok()?))
        })
        .collect()
}

/// Create the storage configurations' buckets in the endpoint's S3 (path-style, the real
/// SDK), as an operator does on AWS before the first apply.
async fn create_buckets(endpoint: &LocalEndpoint, s: &Shape) -> anyhow::Result<()> {
    let config = endpoint.config();
    let sdk = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .http_client(ivstack::aws::http_client())
        .region(aws_config::Region::new(REGION))
        .endpoint_url(endpoint.url())
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(
                aws_credential_types::Credentials::new(
                    &config.access_key,
                    &config.secret_key,
                    None,
                    None,
                    "bench",
                ),
            ),
        )
        .build();
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    );
    for k in 0..s.storage {
        s3.create_bucket()
            .bucket(bucket(k))
            .send()
            .await
            .with_context(|| format!("creating the bucket {}", bucket(k)))?;
    }
    Ok(())
}

/// Server buckets hold one second's worth of tokens; waiting longer than that between
/// steps makes each step start from full buckets, whatever the previous one did.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(1500)).await;
}

// ---------------------------------------------------------------------------------------
// Reporting
// ---------------------------------------------------------------------------------------

struct Rates {
    registry: Registry,
    scale: f64,
    client: Aws,
}

impl Rates {
    /// The endpoint's quota for the operation, time-scaled: what the bound uses.
    fn server(&self, service: &str, op: &str) -> f64 {
        self.registry
            .get(service)
            .map(|s| s.rate_quota(op))
            .unwrap_or(f64::INFINITY)
            * self.scale
    }
    /// ivstack's client-side limit, time-scaled.
    fn client(&self, service: &str, op: &str) -> f64 {
        self.client.limits.tps(service, op)
    }
}

fn report(title: &str, m: &Measured, model: &[Group], bounds: &[(&str, f64)], rates: &Rates) {
    let min_by_op: BTreeMap<String, u64> = model.iter().fold(BTreeMap::new(), |mut acc, gr| {
        *acc.entry(format!("{}:{}", gr.service, gr.op)).or_default() += gr.calls;
        acc
    });
    let mut keys: Vec<String> = min_by_op.keys().cloned().collect();
    for k in m.requests.keys() {
        if !keys.contains(k) {
            keys.push(k.clone());
        }
    }
    keys.sort();
    println!("\n## {title}\n");
    println!(
        "| operation | calls | minimum | throttled (server) | attempts (client) | quota TPS x scale | client TPS x scale | minimum / quota (s) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    let (mut calls, mut min, mut thr) = (0u64, 0u64, 0u64);
    for k in &keys {
        let (svc, op) = k.split_once(':').unwrap_or((k, ""));
        let c = m.requests.get(k).copied().unwrap_or(0);
        let n = min_by_op.get(k).copied().unwrap_or(0);
        let t = m.throttled.get(k).copied().unwrap_or(0);
        let a = m.client_attempts.get(k).copied().unwrap_or(0);
        let (rs, rc) = (rates.server(svc, op), rates.client(svc, op));
        let flag = if rc > rs + 1e-9 {
            " (client above quota!)"
        } else {
            ""
        };
        println!(
            "| {k} | {c} | {n} | {t} | {a} | {rs:.0} | {rc:.0}{flag} | {:.3} |",
            n as f64 / rs
        );
        calls += c;
        min += n;
        thr += t;
    }
    let client_thr: u64 = m.client_throttled.values().sum();
    let client_att: u64 = m.client_attempts.values().sum();
    println!("| **total** | **{calls}** | **{min}** | **{thr}** | **{client_att}** | | | |");
    println!();
    println!(
        "- API calls: {calls} made vs {min} minimum ({:+} extra, {:.3}x); throttled at the \
         endpoint: {thr}; seen as throttled by the client: {client_thr}; transient failures: {}",
        calls as i64 - min as i64,
        calls as f64 / min.max(1) as f64,
        m.client_transient
    );
    if client_att != calls {
        println!(
            "- WARNING: the client counted {client_att} attempts but the endpoint {calls} requests"
        );
    }
    for (name, b) in bounds {
        println!(
            "- wall time {:.3} s vs {name} {:.3} s: ratio {:.3}",
            m.seconds,
            b,
            m.seconds / b
        );
    }
}

// ---------------------------------------------------------------------------------------

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("building the tokio runtime")?
        .block_on(run())
}

async fn run() -> anyhow::Result<()> {
    // `cargo bench` passes `--bench`; a filter argument that is not ours means "not me".
    if std::env::args()
        .skip(1)
        .any(|a| !a.starts_with('-') && a != "scale")
    {
        return Ok(());
    }
    let scale: f64 = env_or("IVSTACK_BENCH_TIME_SCALE", 10.0);
    let plan_runs: usize = env_or("IVSTACK_BENCH_PLAN_RUNS", 3usize).max(1);
    let concurrency: usize = env_or("IVSTACK_BENCH_CONCURRENCY", 8usize).max(1);
    let shape = SHAPE;

    let stack: StackFile =
        serde_yaml::from_str(&stack_yaml(&shape)?).context("the generated stack does not parse")?;
    let endpoint = ivstack_local::start(LocalConfig {
        quotas_aws: true,
        time_scale: scale,
        region: REGION.to_string(),
        account_id: ACCOUNT.to_string(),
        resource_quotas: quota_increases(&shape),
        ..LocalConfig::default()
    })
    .await?;
    // The buckets exist before the stack is applied, as on AWS (not measured).
    create_buckets(&endpoint, &shape).await?;
    let rates = Rates {
        registry: Registry::standard(),
        scale,
        client: connect(&endpoint, scale).await?,
    };
    let server_rate = |s: &str, o: &str| rates.server(s, o);

    println!(
        "# ivstack scale benchmark\n\nstack: {} stages ({} with recording), {} alarms, {} \
         policies ({} stages each), {} budgets ({} notifications each), {} storage \
         configurations, {} encoder configurations, {} public keys, {} ingest configurations \
         ({} with attributes); quota increases {:?}; time scale {scale} (server quotas and \
         client limits both x{scale}); apply max concurrency {concurrency}; {} cores",
        shape.stages,
        shape.with_recording(),
        shape.alarms(),
        shape.policies,
        shape.stages_per_policy,
        shape.budgets,
        shape.notifications_per_budget,
        shape.storage,
        shape.encoders,
        shape.public_keys,
        shape.ingest,
        shape.ingest_with_attributes(),
        quota_increases(&shape),
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    );

    // Apply: observe the empty account, plan, execute (what `ivstack apply` does).
    let aws = connect(&endpoint, scale).await?;
    let before = endpoint.stats();
    let t0 = Instant::now();
    let observed = ivstack::observe::observe(&aws, &stack).await?;
    let observe_s = t0.elapsed().as_secs_f64();
    let plan = ivstack::plan::compute::plan(&stack, &observed, false);
    let opts = ApplyOptions {
        max_concurrency: concurrency,
        cancel: CancellationToken::new(),
        progress: Progress::quiet(),
    };
    let t1 = Instant::now();
    let rep = apply::apply(&aws, &plan, &opts).await;
    let exec_s = t1.elapsed().as_secs_f64();
    let apply_m = measured(t0.elapsed().as_secs_f64(), &before, &endpoint.stats(), &aws);
    if !rep.succeeded() {
        let failed: Vec<String> = rep
            .operations
            .iter()
            .filter(|o| o.status != apply::Status::Done)
            .take(5)
            .map(|o| format!("{}.{}: {:?}", o.kind, o.id, o.status))
            .collect();
        bail!("the apply did not succeed: {}", failed.join("; "));
    }
    let created = rep.operations.len();
    let phased = apply_model(&shape, true);
    let ideal = apply_model(&shape, false);
    report(
        &format!(
            "apply (empty account -> {created} resources; observe {observe_s:.3} s, execute \
             {exec_s:.3} s)"
        ),
        &apply_m,
        &phased,
        &[
            (
                "the phased bound (stages, then the rest)",
                bound(&phased, &server_rate),
            ),
            (
                "the per-resource dependency bound",
                bound(&ideal, &server_rate),
            ),
            ("the pure-rate bound", pure_bound(&phased, &server_rate)),
        ],
        &rates,
    );
    println!(
        "- per-service critical paths, phased: {}; per-resource: {}",
        per_service(&phased, &server_rate),
        per_service(&ideal, &server_rate)
    );

    // Plan, several times: each run with fresh clients (fresh limiters), full buckets.
    let model = plan_model(&shape);
    let chain = bound(&model, &server_rate);
    let pure = pure_bound(&model, &server_rate);
    let services = per_service(&model, &server_rate);
    let mut runs = Vec::new();
    let mut failures = Vec::new();
    for run in 1..=plan_runs {
        settle().await;
        let aws = connect(&endpoint, scale).await?;
        let before = endpoint.stats();
        let t = Instant::now();
        let observed = ivstack::observe::observe(&aws, &stack).await;
        let m = measured(t.elapsed().as_secs_f64(), &before, &endpoint.stats(), &aws);
        let title = match &observed {
            Ok(observed) => {
                let plan = ivstack::plan::compute::plan(&stack, observed, false);
                if plan.has_changes() {
                    bail!(
                        "the plan after apply is not empty: {} ({} resources observed)",
                        plan.summary().line(),
                        observed.len()
                    );
                }
                format!(
                    "plan run {run}/{plan_runs} (converged: {} resources, no changes)",
                    plan.changes.len()
                )
            }
            Err(e) => {
                failures.push(format!("plan run {run}: {e:#}"));
                format!("plan run {run}/{plan_runs} FAILED: {e:#}")
            }
        };
        report(
            &title,
            &m,
            &model,
            &[
                ("the dependency bound", chain),
                ("the pure-rate bound", pure),
            ],
            &rates,
        );
        println!("- per-service critical paths: {services}");
        runs.push(m);
    }
    let mut secs: Vec<f64> = runs.iter().map(|m| m.seconds).collect();
    secs.sort_by(f64::total_cmp);
    let median = secs[secs.len() / 2];
    let throttled: u64 = runs.iter().flat_map(|m| m.throttled.values()).sum();
    println!(
        "\n## summary\n\n- plan: median {median:.3} s over {plan_runs} runs vs dependency bound \
         {chain:.3} s: ratio {:.3} (pure-rate bound {pure:.3} s: {:.3}); throttled {throttled}",
        median / chain,
        median / pure
    );
    println!(
        "- apply: {:.3} s vs phased bound {:.3} s: ratio {:.3}; vs per-resource dependency \
         bound {:.3} s: ratio {:.3}; throttled {}",
        apply_m.seconds,
        bound(&phased, &server_rate),
        apply_m.seconds / bound(&phased, &server_rate),
        bound(&ideal, &server_rate),
        apply_m.seconds / bound(&ideal, &server_rate),
        apply_m.throttled.values().sum::<u64>()
    );
    println!("- unscaled (real AWS) equivalents: multiply the times by {scale}");
    endpoint.shutdown().await?;
    if !failures.is_empty() {
        bail!(
            "{} plan run(s) failed: {}",
            failures.len(),
            failures.join("; ")
        );
    }
    Ok(())
}
