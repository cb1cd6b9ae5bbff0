//! Helpers for the end-to-end tests: an in-process local endpoint and SDK configs that
//! point at it.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use ivstack_local::{LocalConfig, LocalEndpoint};

pub const ACCESS_KEY: &str = "test";
pub const SECRET_KEY: &str = "test";
pub const REGION: &str = "us-east-1";

/// Start an in-process endpoint with `config` (set `port: 0` for a free port).
pub async fn start_local_with(config: LocalConfig) -> LocalEndpoint {
    ivstack_local::start(config)
        .await
        .expect("start local endpoint")
}

/// An `SdkConfig` for the endpoint with static test credentials in the default region.
pub fn sdk_config(endpoint: &LocalEndpoint) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(http_client())
        .region(Region::new(REGION))
        .endpoint_url(endpoint.url())
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            ACCESS_KEY,
            SECRET_KEY,
            None,
            None,
            "ivstack-tests",
        )))
        .build()
}

/// The SDK's hyper + rustls client (ring crypto): the SDK crates are built without their
/// default HTTPS client, as in the CLI.
pub fn http_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}
