//! IVS Real-Time's operations, one module per resource type, per Region. Shapes and URL
//! forms follow `aws-sdk-ivsrealtime`'s generated (de)serialisers and botocore's
//! `ivs-realtime/2020-07-14` model (reference §1-§4, §9); what this module holds is what
//! they share: errors, finding a resource by ARN, new ids, resource quotas and pages.

mod encoder;
mod ingest;
mod public_keys;
mod stages;
mod storage;
mod tagging;

use std::collections::BTreeMap;

pub use encoder::{
    create_encoder_configuration, delete_encoder_configuration, get_encoder_configuration,
    list_encoder_configurations,
};
pub use ingest::{
    create_ingest_configuration, delete_ingest_configuration, get_ingest_configuration,
    list_ingest_configurations, update_ingest_configuration,
};
pub use public_keys::{delete_public_key, get_public_key, import_public_key, list_public_keys};
pub use stages::{
    create_participant_token, create_stage, delete_stage, get_stage, get_stage_session,
    list_stage_sessions, list_stages, update_stage,
};
pub use storage::{
    create_storage_configuration, delete_storage_configuration, get_storage_configuration,
    list_storage_configurations,
};
pub use tagging::{MAX_TAGS, TAGGING, list_tags_for_resource, tag_resource, untag_resource};

use super::shapes::parse_arn;
use super::state::{IvsRegion, random_alnum};
use crate::api::ApiError;
use crate::document::Document;
use crate::paging;
use crate::service::{Ctx, ResourceQuota};

fn validation(msg: impl Into<String>) -> ApiError {
    super::SERVICE.validation.error(msg)
}

fn not_found(arn: &str) -> ApiError {
    ApiError::new(
        404,
        "ResourceNotFoundException",
        format!("Resource {arn} not found"),
    )
}

fn conflict(msg: impl Into<String>) -> ApiError {
    ApiError::new(409, "ConflictException", msg)
}

fn internal(what: &str, e: impl std::fmt::Display) -> ApiError {
    super::SERVICE.internal.error(format!("{what}: {e}"))
}

/// The request's Region, created on first use.
fn region<'a>(ctx: &'a mut Ctx<'_>) -> &'a mut IvsRegion {
    ctx.state
        .ivs
        .regions
        .entry(ctx.region.to_string())
        .or_default()
}

/// The id in `arn` if it names a resource of type `kind` in the request's Region and
/// account; anything else is not found here (404), as AWS answers for a foreign ARN.
fn own_id<'a>(ctx: &Ctx<'_>, arn: &'a str, kind: &str) -> Result<&'a str, ApiError> {
    match parse_arn(arn) {
        Some((region, account, k, id))
            if region == ctx.region && account == ctx.account_id && k == kind =>
        {
            Ok(id)
        }
        _ => Err(not_found(arn)),
    }
}

/// The resource `arn` names in one of the Region's maps (picked by `map`), or 404.
fn find<'a, T>(
    ctx: &'a mut Ctx<'_>,
    arn: &str,
    kind: &str,
    map: fn(&mut IvsRegion) -> &mut BTreeMap<String, T>,
) -> Result<&'a mut T, ApiError> {
    let id = own_id(ctx, arn, kind)?.to_string();
    ctx.state
        .ivs
        .regions
        .get_mut(ctx.region)
        .and_then(|r| map(r).get_mut(&id))
        .ok_or_else(|| not_found(arn))
}

/// A fresh 12-character id (stages, storage, encoder and ingest configurations), unused in
/// `taken`.
fn new_id<T>(taken: &BTreeMap<String, T>) -> String {
    loop {
        let id = random_alnum(12);
        if !taken.contains_key(&id) {
            return id;
        }
    }
}

/// The ARN of resource `id` of type `kind` in the request's Region and account.
fn arn(ctx: &Ctx<'_>, kind: &str, id: &str) -> String {
    format!("arn:aws:ivs:{}:{}:{kind}/{id}", ctx.region, ctx.account_id)
}

/// Refuse a creation that would exceed `quota` (with `--quotas aws`) when `count` exist.
fn check_quota(ctx: &Ctx<'_>, quota: &ResourceQuota, count: usize) -> Result<(), ApiError> {
    match ctx.resource_quota(quota) {
        Some(limit) if count as u64 >= limit => Err(ApiError::new(
            402,
            "ServiceQuotaExceededException",
            format!(
                "Request would cause a service quota to be exceeded: {limit} {} (quota {})",
                quota.counts, quota.name
            ),
        )),
        _ => Ok(()),
    }
}

/// An empty `nextToken` is no token (some clients send `""` for the first page).
fn next_token(input: &Document) -> Option<&str> {
    input.get_str("nextToken").filter(|t| !t.is_empty())
}

/// One page of a listing, in id order, as the model pages every IVS list: `maxResults`
/// (default 50) and an opaque `nextToken` of this listing (`kind`). Returns
/// `{<member>: [...], nextToken}`.
fn page<'a, T: 'a>(
    items: impl IntoIterator<Item = (&'a String, &'a T)>,
    kind: &str,
    input: &Document,
    member: &str,
    to_document: impl Fn(&T) -> Document,
) -> Result<Document, ApiError> {
    let max = input.get_i64("maxResults").unwrap_or(50) as usize;
    let token = next_token(input);
    let (items, next) = paging::by_key(
        items.into_iter().map(|(id, t)| (id.clone(), t)),
        kind,
        token,
        max,
        || {
            validation(format!(
                "The nextToken '{}' is not valid",
                token.unwrap_or_default()
            ))
        },
    )?;
    Ok(Document::from_pairs([
        (
            member,
            Document::List(items.into_iter().map(to_document).collect()),
        ),
        ("nextToken", Document::opt_str(next)),
    ]))
}

/// "The total length of the attributes map, including keys and values, is 1 KB" (API
/// reference; not in the model): participant tokens and ingest configurations.
const MAX_ATTRIBUTES_BYTES: usize = 1024;

/// The `attributes` member of `doc`, refused past 1 KB in total. `path` prefixes the
/// member name in the message.
fn attributes(doc: &Document, path: &str) -> Result<BTreeMap<String, String>, ApiError> {
    let attributes = doc.get_string_map("attributes");
    let size: usize = attributes.iter().map(|(k, v)| k.len() + v.len()).sum();
    if size > MAX_ATTRIBUTES_BYTES {
        return Err(validation(format!(
            "{path}attributes: total size of attribute keys and values must not exceed 1 KB (got {size} bytes)"
        )));
    }
    Ok(attributes)
}
