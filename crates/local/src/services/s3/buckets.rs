//! Bucket operations: CreateBucket, HeadBucket, GetBucketLocation, PutBucketPolicy,
//! GetBucketPolicy.
//!
//! A bucket lives in one Region. Requests signed for another Region get S3's 301
//! PermanentRedirect with `x-amz-bucket-region` (the endpoint serves every Region on one
//! URL, so a request "reaches" the Region it is signed for); GetBucketLocation answers from
//! any Region, as it does in S3.

use super::errors;
use super::names::is_valid_bucket_name;
use super::state::Bucket;
use super::{MAX_BUCKETS, bucket_in_region, checksum, policy};
use crate::api::ApiError;
use crate::document::Document;
use crate::service::Ctx;

/// The Region S3 uses when a bucket has no `LocationConstraint`.
pub const DEFAULT_REGION: &str = "us-east-1";

fn bucket_name(input: &Document) -> &str {
    input.get_str("Bucket").unwrap_or_default()
}

/// `^[a-z]{2}(-[a-z]+)+-[0-9]+$`, the shape of a Region code.
fn looks_like_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[0].bytes().all(|b| b.is_ascii_lowercase())
        && parts[1..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts
            .last()
            .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// The Region a CreateBucket request creates its bucket in, or S3's refusal. A request to
/// us-east-1 (the global endpoint) may name any Region; a request to another Region must
/// name exactly that one; us-east-1 is never named (it is the default).
fn creation_region(ctx: &Ctx<'_>, input: &Document) -> Result<String, ApiError> {
    let constraint = input
        .get("CreateBucketConfiguration")
        .and_then(|c| c.get_str("LocationConstraint"))
        .filter(|c| !c.is_empty());
    let Some(constraint) = constraint else {
        if ctx.region != DEFAULT_REGION {
            return Err(ApiError::new(
                400,
                "IllegalLocationConstraintException",
                "The unspecified location constraint is incompatible for the region specific \
                 endpoint this request was sent to.",
            ));
        }
        return Ok(DEFAULT_REGION.to_string());
    };
    // `EU` is S3's legacy name of eu-west-1.
    let region = if constraint == "EU" {
        "eu-west-1"
    } else {
        constraint
    };
    if region == DEFAULT_REGION || !looks_like_region(region) {
        return Err(ApiError::new(
            400,
            "InvalidLocationConstraint",
            "The specified location-constraint is not valid",
        )
        .with_field("LocationConstraint", constraint));
    }
    if ctx.region != DEFAULT_REGION && ctx.region != region {
        return Err(ApiError::new(
            400,
            "IllegalLocationConstraintException",
            format!(
                "The {constraint} location constraint is incompatible for the region specific \
                 endpoint this request was sent to."
            ),
        ));
    }
    Ok(region.to_string())
}

pub fn create_bucket(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    let name = bucket_name(&input);
    if !is_valid_bucket_name(name) {
        return Err(errors::invalid_bucket_name(name));
    }
    let region = creation_region(ctx, &input)?;
    if let Some(existing) = ctx.state.s3.buckets.get(name) {
        // "Amazon S3 returns this error in all AWS Regions except in the North Virginia
        // Region", where re-creating one's own bucket succeeds (CreateBucket, Errors).
        if !(existing.region == DEFAULT_REGION && region == DEFAULT_REGION) {
            return Err(errors::bucket_already_owned_by_you(name));
        }
    } else {
        if ctx.enforce_resource_quotas && ctx.state.s3.buckets.len() >= MAX_BUCKETS {
            return Err(ApiError::new(
                400,
                "TooManyBuckets",
                "You have attempted to create more buckets than allowed",
            ));
        }
        ctx.state.s3.buckets.insert(
            name.to_string(),
            Bucket {
                region,
                created: ctx.now,
                policy: None,
                objects: Default::default(),
            },
        );
    }
    Ok(Document::from_pairs([
        ("Location", Document::str(format!("/{name}"))),
        ("BucketArn", Document::str(format!("arn:aws:s3:::{name}"))),
    ]))
}

pub fn head_bucket(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    let name = bucket_name(&input);
    let bucket = bucket_in_region(ctx, name)?;
    Ok(Document::from_pairs([
        ("BucketRegion", Document::str(&bucket.region)),
        ("BucketArn", Document::str(format!("arn:aws:s3:::{name}"))),
        ("AccessPointAlias", Document::Bool(false)),
    ]))
}

pub fn get_bucket_location(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    let name = bucket_name(&input);
    let bucket = ctx
        .state
        .s3
        .buckets
        .get(name)
        .ok_or_else(|| errors::no_such_bucket(name))?;
    // us-east-1 buckets have no location constraint: the empty element.
    let constraint = (bucket.region != DEFAULT_REGION).then(|| bucket.region.clone());
    Ok(Document::from_pairs([(
        "LocationConstraint",
        Document::opt_str(constraint),
    )]))
}

pub fn put_bucket_policy(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    let name = bucket_name(&input).to_string();
    let text = input.get_str("Policy").unwrap_or_default().to_string();
    checksum::verify(&input, text.as_bytes())?;
    let bucket = bucket_in_region(ctx, &name)?;
    policy::check(&text, &name)?;
    bucket.policy = Some(text);
    Ok(Document::unit())
}

pub fn get_bucket_policy(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    let name = bucket_name(&input);
    let bucket = bucket_in_region(ctx, name)?;
    let policy = bucket
        .policy
        .clone()
        .ok_or_else(|| errors::no_such_bucket_policy(name))?;
    Ok(Document::from_pairs([("Policy", Document::str(policy))]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_codes() {
        assert!(looks_like_region("eu-west-1"));
        assert!(looks_like_region("us-gov-west-1"));
        assert!(!looks_like_region("mars-1"));
        assert!(!looks_like_region("EU"));
        assert!(!looks_like_region("eu-west-"));
    }
}
