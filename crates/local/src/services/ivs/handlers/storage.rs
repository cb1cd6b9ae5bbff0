//! Storage configurations: where stages record to (an S3 bucket of the endpoint's own S3,
//! in the same Region). Immutable: there is no update operation.

use std::collections::BTreeMap;

use super::{arn, check_quota, conflict, find, new_id, page, region, validation};
use crate::api::ApiError;
use crate::document::Document;
use crate::service::Ctx;
use crate::services::ivs::STORAGE_CONFIGURATIONS;
use crate::services::ivs::state::{IvsRegion, StorageConfigurationRecord};
use crate::services::s3;
use crate::tags::{self, TagFormat};

fn storage(r: &mut IvsRegion) -> &mut BTreeMap<String, StorageConfigurationRecord> {
    &mut r.storage_configurations
}

/// The storage configuration `arn` names, in the request's Region and account, or 404.
pub(super) fn find_storage<'a>(
    ctx: &'a mut Ctx<'_>,
    arn: &str,
) -> Result<&'a mut StorageConfigurationRecord, ApiError> {
    find(ctx, arn, "storage-configuration", storage)
}

/// The `Sid` of the statement IVS adds to a recording bucket's policy: one per bucket, so a
/// second storage configuration on the same bucket leaves the policy as it is.
const BUCKET_POLICY_SID: &str = "IvsRealTimeRecording";

/// The bucket must exist in the endpoint's S3 and be in the request's Region ("the
/// StorageConfiguration and S3 bucket must be in the same region", model). AWS's errors for
/// either are undocumented. GUESSED: a missing bucket is ResourceNotFoundException (the
/// operation models it, and the bucket is the only resource its request names); a bucket of
/// another Region is ValidationException (the request is valid only in that Region).
fn check_bucket(ctx: &Ctx<'_>, bucket: &str) -> Result<(), ApiError> {
    match s3::bucket_region(ctx.state, bucket) {
        None => Err(ApiError::new(
            404,
            "ResourceNotFoundException",
            format!(
                "S3 bucket {bucket} does not exist; create it first (in {}), e.g. `aws s3 mb s3://{bucket} --region {}`",
                ctx.region, ctx.region
            ),
        )),
        Some(r) if r != ctx.region => Err(validation(format!(
            "S3 bucket {bucket} is in {r}; a storage configuration must be created in its bucket's Region, not {}",
            ctx.region
        ))),
        Some(_) => Ok(()),
    }
}

/// What IVS writes into the bucket's policy on CreateStorageConfiguration ("IVS will modify
/// the S3 bucketPolicy of the provided bucket ... to write content to the provided bucket",
/// model; the exact statement is undocumented). This one lets the IVS service principal put
/// objects into the bucket, for requests on behalf of this account only.
fn ivs_write_statement(bucket: &str, account: &str) -> serde_json::Value {
    serde_json::json!({
        "Sid": BUCKET_POLICY_SID,
        "Effect": "Allow",
        "Principal": {"Service": "ivs.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": format!("arn:aws:s3:::{bucket}/*"),
        "Condition": {"StringEquals": {"aws:SourceAccount": account}},
    })
}

pub fn create_storage_configuration(
    ctx: &mut Ctx<'_>,
    input: Document,
) -> Result<Document, ApiError> {
    let name = input.get_str("name").unwrap_or_default().to_string();
    let bucket = input
        .get("s3")
        .and_then(|s3| s3.get_str("bucketName"))
        .unwrap_or_default()
        .to_string();
    let new_tags = tags::read(&input, "tags", TagFormat::Map);
    tags::check_new(&new_tags, &super::TAGGING.rules)?;
    check_bucket(ctx, &bucket)?;
    let count = region(ctx).storage_configurations.len();
    check_quota(ctx, &STORAGE_CONFIGURATIONS, count)?;
    let statement = ivs_write_statement(&bucket, ctx.account_id);
    // Checked above, under the same state lock: the bucket is there.
    s3::add_policy_statement(ctx.state, &bucket, statement);
    let id = new_id(&region(ctx).storage_configurations);
    let record = StorageConfigurationRecord {
        arn: arn(ctx, "storage-configuration", &id),
        name,
        bucket_name: bucket,
        tags: new_tags.into_iter().collect(),
    };
    let out = record.to_document();
    region(ctx).storage_configurations.insert(id, record);
    Ok(Document::from_pairs([("storageConfiguration", out)]))
}

pub fn get_storage_configuration(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    let c = find_storage(ctx, input.get_str("arn").unwrap_or_default())?;
    Ok(Document::from_pairs([(
        "storageConfiguration",
        c.to_document(),
    )]))
}

pub fn list_storage_configurations(
    ctx: &mut Ctx<'_>,
    input: Document,
) -> Result<Document, ApiError> {
    let all = ctx
        .state
        .ivs
        .regions
        .get(ctx.region)
        .map(|r| &r.storage_configurations);
    page(
        all.into_iter().flatten(),
        "storage-configurations",
        &input,
        "storageConfigurations",
        StorageConfigurationRecord::to_document,
    )
}

/// Refused with 409 while a stage records to it (AWS documents the conflict for
/// compositions; a stage's recording depends on it the same way).
pub fn delete_storage_configuration(
    ctx: &mut Ctx<'_>,
    input: Document,
) -> Result<Document, ApiError> {
    let c = find_storage(ctx, input.get_str("arn").unwrap_or_default())?;
    let (id, arn) = (
        c.arn.rsplit('/').next().unwrap_or_default().to_string(),
        c.arn.clone(),
    );
    let region = region(ctx);
    if let Some(stage) = region
        .stages
        .values()
        .find(|s| s.recording.storage_configuration_arn == arn)
    {
        return Err(conflict(format!(
            "Storage configuration {arn} is used by stage {} for recording; \
             change the stage's recording configuration first (UpdateStage)",
            stage.arn
        )));
    }
    region.storage_configurations.remove(&id);
    Ok(Document::map())
}
