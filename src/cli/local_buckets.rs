//! `--local` only: the S3 buckets a stack's storage configurations name are created in the
//! embedded endpoint's S3 when they are missing, so that the demo works from a fresh clone.
//!
//! On AWS the bucket is yours to create (`aws s3 mb s3://NAME --region REGION`): ivstack
//! never creates buckets there, and says so each time it creates one here. Buckets are made
//! through the endpoint's own S3 API with the real SDK (path-style), in the stack's region,
//! before apply; a bucket that exists (in any region) is left as it is.

use std::collections::BTreeSet;

use anyhow::Context as _;
use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
use ivstack_local::LocalEndpoint;

use super::output::say;
use crate::aws::{aws_error, http_client};
use crate::stack::model::StackFile;

/// Create, in the embedded endpoint, each bucket that `stack` names and that does not
/// exist yet, saying so for each. Returns the buckets created.
pub async fn ensure(endpoint: &LocalEndpoint, stack: &StackFile) -> anyhow::Result<Vec<String>> {
    let buckets: BTreeSet<&str> = stack
        .storage_configurations
        .values()
        .map(|s| s.s3_bucket.as_str())
        .collect();
    if buckets.is_empty() {
        return Ok(Vec::new());
    }
    let config = endpoint.config();
    let sdk = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .http_client(http_client())
        .region(aws_config::Region::new(stack.region.clone()))
        .endpoint_url(endpoint.url())
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(
                aws_credential_types::Credentials::new(
                    &config.access_key,
                    &config.secret_key,
                    None,
                    None,
                    "ivstack-local",
                ),
            ),
        )
        .build();
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    );
    let mut created = Vec::new();
    for bucket in buckets {
        match s3.head_bucket().bucket(bucket).send().await {
            Ok(_) => continue,
            // HEAD answers a bucket in another region with a redirect: it exists.
            Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() != 404) => continue,
            Err(_) => {}
        }
        let mut req = s3.create_bucket().bucket(bucket);
        // us-east-1 takes no location constraint (S3's rule).
        if stack.region != "us-east-1" {
            req = req.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(stack.region.as_str()))
                    .build(),
            );
        }
        req.send()
            .await
            .map_err(|e| aws_error("s3:CreateBucket", e))
            .with_context(|| format!("creating the bucket `{bucket}` in the embedded endpoint"))?;
        say!(
            "--local: created the S3 bucket `{bucket}` ({}) that the stack's storage \
             configurations name, in the embedded endpoint only; on AWS, create it yourself: \
             aws s3 mb s3://{bucket} --region {}",
            stack.region,
            stack.region
        );
        created.push(bucket.to_string());
    }
    Ok(created)
}
