//! TagResource, UntagResource and ListTagsForResource on every IVS Real-Time resource type
//! the emulator keeps (stages, storage, encoder and ingest configurations, public keys).

use super::{find, not_found, validation};
use crate::api::ApiError;
use crate::document::Document;
use crate::service::Ctx;
use crate::services::ivs::shapes::parse_arn;
use crate::tags::{self, TagFormat, TagRules, TagStore, Tagging};

/// Tags per resource.
pub const MAX_TAGS: usize = 50;

pub static TAGGING: Tagging = Tagging {
    rules: TagRules {
        max_tags: MAX_TAGS,
        case_insensitive_keys: false,
        reserved: Some(|k| {
            validation(format!(
                "Tag keys starting with 'aws:' are reserved for AWS use: '{k}'"
            ))
        }),
        reserved_on_untag: true,
        duplicate: None,
        too_many: |n| {
            validation(format!(
                "Resource would have {n} tags; the maximum is {MAX_TAGS}"
            ))
        },
    },
    format: TagFormat::Map,
    arn_member: "resourceArn",
    tags_member: "tags",
    keys_member: "tagKeys",
    find: resource_tags,
};

/// The tags of the resource `arn` names, whatever its type; 404 for a resource that does
/// not exist here, also for types the emulator does not keep (compositions, low-latency
/// channels).
fn resource_tags<'a>(ctx: &'a mut Ctx<'_>, arn: &str) -> Result<&'a mut dyn TagStore, ApiError> {
    let kind = parse_arn(arn).map(|(_, _, k, _)| k).unwrap_or_default();
    Ok(match kind {
        "stage" => &mut find(ctx, arn, kind, |r| &mut r.stages)?.tags,
        "storage-configuration" => {
            &mut find(ctx, arn, kind, |r| &mut r.storage_configurations)?.tags
        }
        "encoder-configuration" => {
            &mut find(ctx, arn, kind, |r| &mut r.encoder_configurations)?.tags
        }
        "public-key" => &mut find(ctx, arn, kind, |r| &mut r.public_keys)?.tags,
        "ingest-configuration" => &mut find(ctx, arn, kind, |r| &mut r.ingest_configurations)?.tags,
        _ => return Err(not_found(arn)),
    })
}

pub fn tag_resource(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    tags::tag_resource(ctx, &input, &TAGGING).map(|()| Document::map())
}

pub fn untag_resource(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    tags::untag_resource(ctx, &input, &TAGGING).map(|()| Document::map())
}

pub fn list_tags_for_resource(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    let tags = tags::list(ctx, &input, &TAGGING)?;
    Ok(Document::from_pairs([(
        "tags",
        tags::to_document(&tags, TagFormat::Map),
    )]))
}
