//! What the IVS Real-Time kinds share: ownership read from IVS's tag maps, tag updates
//! with TagResource / UntagResource (every IVS Real-Time resource type takes them), deletes
//! that count "already gone" as done, and creates that never make a duplicate.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::time::Duration;

use crate::aws::{Aws, AwsError, aws_error};
use crate::kinds::{Resource, TAG_ID, TAG_STACK, sync_tags};

/// IVS's optional tag map, ordered.
pub fn tag_map(tags: Option<&HashMap<String, String>>) -> BTreeMap<String, String> {
    tags.map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

/// The logical id of a resource that `stack` owns, from its tags.
pub fn owned_id(tags: &BTreeMap<String, String>, stack: &str) -> Option<String> {
    if tags.get(TAG_STACK).map(String::as_str) != Some(stack) {
        return None;
    }
    tags.get(TAG_ID).cloned()
}

/// Bring an IVS resource's tags to the desired ones (TagResource for new and changed keys,
/// UntagResource for the others, each only when it has something to do).
pub async fn update_tags(
    aws: &Aws,
    arn: &str,
    desired: &BTreeMap<String, String>,
    live: &BTreeMap<String, String>,
) -> anyhow::Result<()> {
    sync_tags(
        desired,
        live,
        async |set| {
            aws.limit("ivs", "TagResource").await;
            aws.ivs
                .tag_resource()
                .resource_arn(arn)
                .set_tags(Some(set.into_iter().collect()))
                .send()
                .await
                .map_err(|e| aws_error("ivs:TagResource", e))?;
            Ok(())
        },
        async |remove| {
            aws.limit("ivs", "UntagResource").await;
            aws.ivs
                .untag_resource()
                .resource_arn(arn)
                .set_tag_keys(Some(remove))
                .send()
                .await
                .map_err(|e| aws_error("ivs:UntagResource", e))?;
            Ok(())
        },
    )
    .await
}

/// Adopt an IVS resource: TagResource with the ownership `tags` (nothing is removed).
pub async fn adopt(
    aws: &Aws,
    live: &crate::kinds::Resource,
    tags: &BTreeMap<String, String>,
) -> anyhow::Result<()> {
    let arn = live.physical_id.as_deref().unwrap_or_default();
    let mut merged = live.tags.clone();
    merged.extend(tags.iter().map(|(k, v)| (k.clone(), v.clone())));
    update_tags(aws, arn, &merged, &live.tags).await
}

/// The outcome of a delete: a resource that is already gone counts as deleted; a conflict
/// (AWS refuses while something uses the resource) says what uses it (`in_use`, e.g. "a
/// stage records to it") and what to do.
pub fn deleted(outcome: Result<(), AwsError>, noun: &str, in_use: &str) -> anyhow::Result<()> {
    match outcome {
        Ok(()) => Ok(()),
        Err(e) if e.is_not_found() => Ok(()),
        Err(e) if e.code_is("ConflictException") => Err(anyhow::anyhow!(
            "{e}; AWS refuses to delete this {noun} while it is in use ({in_use}); once \
             nothing uses it, run the same command again"
        )),
        Err(e) => Err(e.into()),
    }
}

/// A config override that turns the SDK's own retries off for one call.
pub fn no_retries() -> aws_sdk_ivsrealtime::config::Builder {
    aws_sdk_ivsrealtime::config::Builder::default()
        .retry_config(aws_config::retry::RetryConfig::disabled())
}

/// Create attempts before giving up on errors that may pass (throttling, 5xx).
const CREATE_ATTEMPTS: u32 = 5;

/// Create a resource whose Create call has no idempotency token, without ever making a
/// duplicate. `send` makes one attempt (with [`no_retries`]) and returns the ARN. After a
/// failure that may have created the resource anyway (throttling, a 5xx, no answer), `find`
/// looks for it by its ownership tags before the next attempt. If that check fails too,
/// nothing more is tried (another attempt could make a duplicate): the error is the
/// create's, and says the check failed.
pub async fn create_once<S, SF, F, FF>(noun: &str, send: S, find: F) -> anyhow::Result<String>
where
    S: Fn() -> SF,
    SF: Future<Output = Result<String, AwsError>>,
    F: Fn() -> FF,
    FF: Future<Output = anyhow::Result<Option<String>>>,
{
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        let err = match send().await {
            Ok(arn) => return Ok(arn),
            Err(err) => err,
        };
        if !err.retryable || attempt >= CREATE_ATTEMPTS {
            return Err(err.into());
        }
        tokio::time::sleep(Duration::from_millis(200 * 2u64.pow(attempt))).await;
        match find().await {
            Ok(Some(arn)) => return Ok(arn),
            Ok(None) => {}
            Err(check) => {
                return Err(anyhow::anyhow!(
                    "{err}; checking whether the {noun} was created anyway also failed \
                     ({check:#}); run the same command again: the next plan sees any {noun} \
                     that was created"
                ));
            }
        }
    }
}

/// The ARN of the resource with logical id `id` among `owned` (what a stack's observation
/// found): `create_once`'s check for a create that may have happened.
pub fn physical_id_of(owned: Vec<Resource>, id: &str) -> Option<String> {
    owned
        .into_iter()
        .find(|r| r.id == id)
        .and_then(|r| r.physical_id)
}

/// The one ARN an IVS Create call returned, or an error saying it returned none.
pub fn created_arn(arn: Option<&str>, operation: &str) -> Result<String, AwsError> {
    arn.filter(|a| !a.is_empty())
        .map(str::to_string)
        .ok_or_else(|| {
            AwsError::failed(
                operation,
                "the response names no resource ARN".into(),
                false,
            )
        })
}
