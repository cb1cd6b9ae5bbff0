//! Storage configurations: where stages record to (an S3 bucket). Immutable: there is no
//! update operation.

use std::collections::BTreeMap;

use super::{arn, check_quota, conflict, find, new_id, page, region};
use crate::api::ApiError;
use crate::document::Document;
use crate::service::Ctx;
use crate::services::ivs::STORAGE_CONFIGURATIONS;
use crate::services::ivs::state::{IvsRegion, StorageConfigurationRecord};
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
    let count = region(ctx).storage_configurations.len();
    check_quota(ctx, &STORAGE_CONFIGURATIONS, count)?;
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
