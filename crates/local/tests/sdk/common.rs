//! Helpers shared by the integration tests: an in-process local endpoint, SDK configs that
//! point at it, and a `moto_server` for parity tests.
//!
//! Shared by the per-service modules of this test binary.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_sdk_ivsrealtime::config::{AsyncSleep, Sleep};
use ivstack_local::{Clock, LocalConfig, LocalEndpoint};

pub const ACCESS_KEY: &str = "test";
pub const SECRET_KEY: &str = "test";
pub const ACCOUNT_ID: &str = "123456789012";
pub const REGION: &str = "us-east-1";

/// Start an in-process endpoint on a free port with default settings.
pub async fn start_local() -> LocalEndpoint {
    start_local_with(LocalConfig::default()).await
}

/// Start an in-process endpoint with `config` (set `port: 0` for a free port).
pub async fn start_local_with(config: LocalConfig) -> LocalEndpoint {
    ivstack_local::start(config)
        .await
        .expect("start local endpoint")
}

/// Start an in-process endpoint whose time is `clock` (tests hold a manual clock still, so
/// rate quotas and latency do not depend on how fast the machine is).
pub async fn start_local_with_clock(config: LocalConfig, clock: Clock) -> LocalEndpoint {
    ivstack_local::start_with_clock(config, clock)
        .await
        .expect("start local endpoint")
}

/// Wait until `done()` holds, checking every few milliseconds. The outcome of a test never
/// depends on how long this takes; the bound only turns a hang into a failure.
pub async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let give_up = Instant::now() + Duration::from_secs(300);
    while !done() {
        assert!(Instant::now() < give_up, "gave up waiting until {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// An SDK sleep (retry back-off, timeouts) that does not start until the test opens the
/// gate: retries then happen exactly when the test says, after it has moved the endpoint's
/// clock.
#[derive(Debug, Clone)]
pub struct GatedSleep {
    open: tokio::sync::watch::Receiver<bool>,
}

impl GatedSleep {
    /// The sleep and the sender that opens its gate (`send(true)`).
    pub fn new() -> (tokio::sync::watch::Sender<bool>, GatedSleep) {
        let (tx, rx) = tokio::sync::watch::channel(false);
        (tx, GatedSleep { open: rx })
    }
}

impl AsyncSleep for GatedSleep {
    fn sleep(&self, duration: Duration) -> Sleep {
        let mut open = self.open.clone();
        Sleep::new(async move {
            let _ = open.wait_for(|o| *o).await;
            tokio::time::sleep(duration).await;
        })
    }
}

/// An `SdkConfig` for `url` with static test/test credentials in `region`.
pub fn sdk_config_for(url: &str, region: &str) -> SdkConfig {
    sdk_config_with_keys(url, region, ACCESS_KEY, SECRET_KEY)
}

/// An `SdkConfig` with explicit keys (e.g. a wrong secret for SigV4 tests).
pub fn sdk_config_with_keys(url: &str, region: &str, access: &str, secret: &str) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(http_client())
        .region(Region::new(region.to_string()))
        .endpoint_url(url)
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(Credentials::new(
                access,
                secret,
                None,
                None,
                "ivstack-tests",
            )),
        )
        .build()
}

/// An `SdkConfig` for the endpoint in the default region.
pub fn sdk_config(endpoint: &LocalEndpoint) -> SdkConfig {
    sdk_config_for(endpoint.url(), REGION)
}

/// The same config with SDK retries disabled (to observe throttling and faults directly).
pub fn no_retries(config: &SdkConfig) -> SdkConfig {
    config
        .to_builder()
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .build()
}

/// A free TCP port on loopback (racy by nature, good enough for a child server).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// A `moto_server` child process, killed on drop.
pub struct Moto {
    child: Child,
    pub port: u16,
}

impl Moto {
    /// Start `python3 -m moto.server -p PORT` and wait until it answers. The bound only turns
    /// a hang into a failure: moto can take several seconds to import on a loaded machine.
    pub fn start() -> Moto {
        let port = free_port();
        let child = Command::new("python3")
            .args(["-m", "moto.server", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn moto server (python3 -m moto.server)");
        let moto = Moto { child, port };
        let deadline = Instant::now() + Duration::from_secs(300);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return moto;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("moto_server did not start on port {port} within 300 s");
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// An `SdkConfig` pointing at moto (moto accepts any credentials).
    pub fn sdk_config(&self, region: &str) -> SdkConfig {
        sdk_config_for(&self.url(), region)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Send a raw HTTP/1.1 request (no signing) and return (status, headers, body).
pub async fn raw_http(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<(u16, Vec<(String, String)>, String)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;
    // The server may answer (e.g. 413) and close before reading a large body; still read
    // its answer.
    let _ = stream.write_all(body).await;
    let mut buf = Vec::new();
    stream.read_to_end(&mut buf).await?;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_string()))
        .collect();
    Ok((status, headers, body.to_string()))
}

/// Whether `moto_server` can be started; prints why not (the parity tests then skip).
pub fn moto_available() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import moto.server"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        eprintln!("SKIP: moto is not installed (python3 -c 'import moto.server' failed)");
    }
    ok
}

/// Run one of the boto3 scripts in `tests/boto3/` against `url`, off the async runtime so
/// the in-process endpoint keeps serving. The endpoint, credentials, region and account are
/// passed both as the standard `AWS_*` variables and as `IVSTACK_*` ones; `args` follow
/// the script path.
pub async fn run_boto3(script: &str, url: &str, args: &[&str]) -> std::process::Output {
    let path = format!("{}/tests/boto3/{script}", env!("CARGO_MANIFEST_DIR"));
    let mut cmd = Command::new("python3");
    cmd.arg(&path)
        .args(args)
        .env("AWS_ENDPOINT_URL", url)
        .env("IVSTACK_ENDPOINT_URL", url)
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .env("AWS_REGION", REGION)
        .env("AWS_DEFAULT_REGION", REGION)
        .env("IVSTACK_ACCOUNT_ID", ACCOUNT_ID)
        .env_remove("AWS_PROFILE");
    tokio::task::spawn_blocking(move || cmd.output())
        .await
        .expect("join the python3 runner")
        .unwrap_or_else(|e| panic!("cannot run python3 {path}: {e}"))
}

/// Assert that a boto3 script run succeeded, showing its output otherwise.
pub fn assert_script_ok(script: &str, out: &std::process::Output) {
    assert!(
        out.status.success(),
        "tests/boto3/{script} failed ({}):\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The SDK's hyper + rustls client (ring crypto): the SDK crates are built without their
/// default HTTPS client, as in the CLI.
pub fn http_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// Create S3 bucket `name` in `region` on the endpoint's S3 (path-style, as it requires):
/// what must exist before an IVS storage configuration names it.
pub async fn create_bucket(endpoint: &LocalEndpoint, region: &str, name: &str) {
    use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
    let conf = sdk_config_for(endpoint.url(), region);
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&conf)
            .force_path_style(true)
            .build(),
    );
    let mut req = s3.create_bucket().bucket(name);
    // us-east-1 is the bucket Region without a location constraint.
    if region != "us-east-1" {
        req = req.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(region))
                .build(),
        );
    }
    req.send()
        .await
        .unwrap_or_else(|e| panic!("create bucket {name} in {region}: {e:?}"));
}
