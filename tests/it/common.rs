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

/// Create the S3 bucket `name` in `region` in the endpoint's S3 (path-style, the real SDK,
/// retrying hard so that an endpoint injecting faults still gets it), as an operator does
/// on AWS before a stack's storage configurations name it. A bucket that exists is fine.
pub async fn create_bucket(endpoint: &LocalEndpoint, name: &str, region: &str) {
    use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
    let conf = sdk_config(endpoint)
        .to_builder()
        .region(Region::new(region.to_string()))
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(20))
        .build();
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&conf)
            .force_path_style(true)
            .build(),
    );
    let mut req = s3.create_bucket().bucket(name);
    if region != "us-east-1" {
        req = req.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(region))
                .build(),
        );
    }
    if let Err(e) = req.send().await {
        let code = aws_sdk_s3::error::ProvideErrorMetadata::code(&e).map(str::to_string);
        assert_eq!(
            code.as_deref(),
            Some("BucketAlreadyOwnedByYou"),
            "create bucket {name}: {e:?}"
        );
    }
}
