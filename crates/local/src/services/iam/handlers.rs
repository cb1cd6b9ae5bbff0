//! IAM's operations on customer-managed policies, their versions and tags.
//!
//! IAM is global: requests signed for any Region reach the same state. Behaviour follows
//! AWS's documentation where moto differs: `GetPolicyVersion` returns the document
//! URL-encoded per RFC 3986 (the SDKs do not decode it), `DeletePolicy` refuses while
//! non-default versions remain, and the 6,144-character managed-policy size quota is
//! enforced.

use std::collections::BTreeMap;

use rand::Rng;

use super::policy_document::validate_policy_document;
use super::state::{IamState, ManagedPolicy, StoredVersion};
use crate::api::ApiError;
use crate::document::Document;
use crate::paging;
use crate::service::Ctx;
use crate::tags::{self, TagFormat, TagRules, TagStore, Tagging};

/// Versions a managed policy may keep (AWS quota, not adjustable).
pub const MAX_VERSIONS: usize = 5;
/// Managed policy size quota in characters, whitespace not counted.
pub const MAX_POLICY_SIZE: usize = 6144;
/// Tags per IAM resource.
pub const MAX_TAGS: usize = 50;
/// Customer managed policies per account (default quota), enforced with `--quotas aws`.
pub const MAX_POLICIES: usize = 1500;

fn invalid_input(msg: impl Into<String>) -> ApiError {
    ApiError::new(400, "InvalidInput", msg)
}

fn no_such_policy(arn: &str) -> ApiError {
    ApiError::new(
        404,
        "NoSuchEntity",
        format!("Policy {arn} does not exist or is not attachable."),
    )
}

fn no_such_version(arn: &str, id: &str) -> ApiError {
    ApiError::new(
        404,
        "NoSuchEntity",
        format!("Policy {arn} version {id} does not exist or is not attachable."),
    )
}

fn invalid_marker() -> ApiError {
    invalid_input("Invalid Marker.")
}

/// `InvalidInput` for strings that are not ARNs at all (AWS checks this before lookup).
fn parse_arn(arn: &str) -> Result<(), ApiError> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    if parts.len() == 6 && parts[0] == "arn" && !parts[1].is_empty() && !parts[2].is_empty() {
        Ok(())
    } else {
        Err(invalid_input(format!("ARN {arn} is not valid.")))
    }
}

fn find<'a>(st: &'a mut IamState, arn: &str) -> Result<&'a mut ManagedPolicy, ApiError> {
    parse_arn(arn)?;
    st.policies.get_mut(arn).ok_or_else(|| no_such_policy(arn))
}

/// The policy the request's `PolicyArn` names.
fn policy<'a>(ctx: &'a mut Ctx<'_>, input: &Document) -> Result<&'a mut ManagedPolicy, ApiError> {
    find(
        &mut ctx.state.iam,
        input.get_str("PolicyArn").unwrap_or_default(),
    )
}

/// The number of a version id we issue (`v7` -> 7). Ids with a `.suffix` are valid input
/// but never ours, so they name no version.
fn version_number(id: &str) -> Option<u32> {
    let digits = id.strip_prefix('v')?;
    if digits.starts_with('0') || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Checks shared by CreatePolicy and CreatePolicyVersion once the model constraints hold.
fn check_document_semantics(doc: &str) -> Result<(), ApiError> {
    validate_policy_document(doc)?;
    let size = doc.chars().filter(|c| !c.is_whitespace()).count();
    if size > MAX_POLICY_SIZE {
        return Err(ApiError::new(
            409,
            "LimitExceeded",
            format!("Cannot exceed quota for PolicySize: {MAX_POLICY_SIZE}"),
        ));
    }
    Ok(())
}

/// RFC 3986 percent-encoding of everything but unreserved characters, as IAM returns
/// documents (`{` -> `%7B`, space -> `%20`, `*` -> `%2A`).
pub fn rfc3986_encode(s: &str) -> String {
    const UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(s, UNRESERVED).to_string()
}

fn new_policy_id() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut rng = rand::rng();
    let tail: String = (0..17)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    format!("ANPA{tail}")
}

/// `MaxItems` (default 100) as a page size.
fn max_items(input: &Document) -> usize {
    input.get_i64("MaxItems").unwrap_or(100).clamp(1, 1000) as usize
}

// ---------------------------------------------------------------------------------------
// Output

/// The `Policy` structure. `full` adds Description and Tags (GetPolicy, CreatePolicy);
/// ListPolicies returns neither.
fn policy_document(p: &ManagedPolicy, full: bool) -> Document {
    let mut d = Document::from_pairs([
        ("PolicyName", Document::str(&p.name)),
        ("PolicyId", Document::str(&p.id)),
        ("Arn", Document::str(&p.arn)),
        ("Path", Document::str(&p.path)),
        (
            "DefaultVersionId",
            Document::str(format!("v{}", p.default_version)),
        ),
        ("AttachmentCount", Document::Int(0)),
        ("PermissionsBoundaryUsageCount", Document::Int(0)),
        ("IsAttachable", Document::Bool(true)),
        ("CreateDate", Document::Timestamp(p.create_date as f64)),
        ("UpdateDate", Document::Timestamp(p.update_date as f64)),
    ]);
    if full {
        d.insert("Description", Document::opt_str(p.description.as_deref()));
        if !p.tags.is_empty() {
            d.insert("Tags", tags::to_document(&p.tags.pairs(), TagFormat::List));
        }
    }
    d
}

fn version_document(p: &ManagedPolicy, n: u32, v: &StoredVersion, with_document: bool) -> Document {
    Document::from_pairs([
        (
            "Document",
            if with_document {
                Document::str(rfc3986_encode(&v.document))
            } else {
                Document::Null
            },
        ),
        ("VersionId", Document::str(format!("v{n}"))),
        ("IsDefaultVersion", Document::Bool(n == p.default_version)),
        ("CreateDate", Document::Timestamp(v.create_date as f64)),
    ])
}

/// A page of a listing: `<member>` items, `IsTruncated`, and the `Marker` of the next page.
fn page_document(list_member: &str, items: Vec<Document>, next: Option<String>) -> Document {
    Document::from_pairs([
        (list_member, Document::List(items)),
        ("IsTruncated", Document::Bool(next.is_some())),
        ("Marker", Document::opt_str(next)),
    ])
}

// ---------------------------------------------------------------------------------------
// Policies

pub fn create_policy(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    let name = input.get_str("PolicyName").unwrap_or_default().to_string();
    let path = input.get_str("Path").unwrap_or("/").to_string();
    let doc = input
        .get_str("PolicyDocument")
        .unwrap_or_default()
        .to_string();
    let new_tags = tags::read(&input, "Tags", TagFormat::List);
    tags::check_new(&new_tags, &TAGGING.rules)?;
    check_document_semantics(&doc)?;
    let st = &mut ctx.state.iam;
    if st
        .policies
        .values()
        .any(|x| x.name.eq_ignore_ascii_case(&name))
    {
        return Err(ApiError::new(
            409,
            "EntityAlreadyExists",
            format!("A policy called {name} already exists. Duplicate names are not allowed."),
        ));
    }
    if ctx.enforce_resource_quotas && st.policies.len() >= MAX_POLICIES {
        return Err(ApiError::new(
            409,
            "LimitExceeded",
            format!("Cannot exceed quota for PoliciesPerAccount: {MAX_POLICIES}"),
        ));
    }
    let arn = format!("arn:aws:iam::{}:policy{path}{name}", ctx.account_id);
    let mut versions = BTreeMap::new();
    versions.insert(
        1,
        StoredVersion {
            document: doc,
            create_date: ctx.now,
        },
    );
    let policy = ManagedPolicy {
        name,
        id: new_policy_id(),
        path,
        arn: arn.clone(),
        description: input.get_str("Description").map(str::to_string),
        create_date: ctx.now,
        update_date: ctx.now,
        default_version: 1,
        next_version: 2,
        versions,
        tags: new_tags.into_iter().collect(),
    };
    let out = policy_document(&policy, true);
    st.policies.insert(arn, policy);
    Ok(Document::from_pairs([("Policy", out)]))
}

pub fn get_policy(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    let p = policy(ctx, &input)?;
    Ok(Document::from_pairs([("Policy", policy_document(p, true))]))
}

pub fn list_policies(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    let scope = input.get_str("Scope").unwrap_or("All");
    let prefix = input.get_str("PathPrefix").unwrap_or("/");
    let only_attached = input.get_bool("OnlyAttached").unwrap_or(false);
    // Only customer-managed policies exist here: AWS-managed ones are not emulated, and
    // nothing can be attached, so OnlyAttached and PermissionsBoundary usage match none.
    let include = scope != "AWS"
        && !only_attached
        && input.get_str("PolicyUsageFilter") != Some("PermissionsBoundary");
    let mut items: Vec<(String, &ManagedPolicy)> = if include {
        ctx.state
            .iam
            .policies
            .values()
            .filter(|x| x.path.starts_with(prefix))
            .map(|x| (x.name.to_lowercase(), x))
            .collect()
    } else {
        Vec::new()
    };
    items.sort_by(|a, b| a.0.cmp(&b.0));
    let (page, next) = paging::by_key(
        items,
        "policies",
        input.get_str("Marker"),
        max_items(&input),
        invalid_marker,
    )?;
    Ok(page_document(
        "Policies",
        page.into_iter()
            .map(|p| policy_document(p, false))
            .collect(),
        next,
    ))
}

pub fn delete_policy(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    let p = policy(ctx, &input)?;
    if p.versions.len() > 1 {
        return Err(ApiError::new(
            409,
            "DeleteConflict",
            "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
        ));
    }
    let arn = p.arn.clone();
    ctx.state.iam.policies.remove(&arn);
    Ok(Document::unit())
}

// ---------------------------------------------------------------------------------------
// Versions

pub fn create_policy_version(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    let doc = input
        .get_str("PolicyDocument")
        .unwrap_or_default()
        .to_string();
    let set_default = input.get_bool("SetAsDefault").unwrap_or(false);
    let now = ctx.now;
    let p = policy(ctx, &input)?;
    check_document_semantics(&doc)?;
    if p.versions.len() >= MAX_VERSIONS {
        return Err(ApiError::new(
            409,
            "LimitExceeded",
            "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.",
        ));
    }
    let n = p.next_version;
    p.next_version += 1;
    let stored = StoredVersion {
        document: doc,
        create_date: now,
    };
    if set_default {
        p.default_version = n;
        p.update_date = now;
    }
    let out = version_document(p, n, &stored, false);
    p.versions.insert(n, stored);
    Ok(Document::from_pairs([("PolicyVersion", out)]))
}

pub fn list_policy_versions(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    let p = policy(ctx, &input)?;
    // Newest first, as AWS lists them; the sort key inverts the version number.
    let items: Vec<(String, u32)> = p
        .versions
        .keys()
        .rev()
        .map(|n| (format!("{:010}", u32::MAX - n), *n))
        .collect();
    let (page, next) = paging::by_key(
        items,
        "versions",
        input.get_str("Marker"),
        max_items(&input),
        invalid_marker,
    )?;
    let items = page
        .into_iter()
        .filter_map(|n| Some(version_document(p, n, p.versions.get(&n)?, false)))
        .collect();
    Ok(page_document("Versions", items, next))
}

/// The version `VersionId` names, as (number, arn, id) — or `NoSuchEntity`.
fn version_of(p: &ManagedPolicy, input: &Document) -> Result<u32, ApiError> {
    let id = input.get_str("VersionId").unwrap_or_default();
    version_number(id)
        .filter(|n| p.versions.contains_key(n))
        .ok_or_else(|| no_such_version(&p.arn, id))
}

pub fn get_policy_version(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    let p = policy(ctx, &input)?;
    let n = version_of(p, &input)?;
    let out = p
        .versions
        .get(&n)
        .map(|v| version_document(p, n, v, true))
        .unwrap_or_default();
    Ok(Document::from_pairs([("PolicyVersion", out)]))
}

pub fn set_default_policy_version(
    ctx: &mut Ctx<'_>,
    input: Document,
) -> Result<Document, ApiError> {
    let now = ctx.now;
    let p = policy(ctx, &input)?;
    let n = version_of(p, &input)?;
    if p.default_version != n {
        p.default_version = n;
        p.update_date = now;
    }
    Ok(Document::unit())
}

pub fn delete_policy_version(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    let p = policy(ctx, &input)?;
    let n = version_of(p, &input)?;
    if n == p.default_version {
        return Err(ApiError::new(
            409,
            "DeleteConflict",
            "Cannot delete the default version of a policy.",
        ));
    }
    p.versions.remove(&n);
    Ok(Document::unit())
}

// ---------------------------------------------------------------------------------------
// Tags

pub static TAGGING: Tagging = Tagging {
    rules: TagRules {
        max_tags: MAX_TAGS,
        // Keys are case-insensitive: a new spelling replaces the old tag.
        case_insensitive_keys: true,
        reserved: None,
        reserved_on_untag: false,
        duplicate: Some(|| {
            invalid_input(
                "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
            )
        }),
        too_many: |_| {
            ApiError::new(
                409,
                "LimitExceeded",
                format!("The number of tags has reached the maximum limit of {MAX_TAGS}."),
            )
        },
    },
    format: TagFormat::List,
    arn_member: "PolicyArn",
    tags_member: "Tags",
    keys_member: "TagKeys",
    find: policy_tags,
};

fn policy_tags<'a>(ctx: &'a mut Ctx<'_>, arn: &str) -> Result<&'a mut dyn TagStore, ApiError> {
    Ok(&mut find(&mut ctx.state.iam, arn)?.tags)
}

pub fn tag_policy(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    tags::tag_resource(ctx, &input, &TAGGING).map(|()| Document::unit())
}

pub fn untag_policy(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    tags::untag_resource(ctx, &input, &TAGGING).map(|()| Document::unit())
}

pub fn list_policy_tags(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    let all = tags::list(ctx, &input, &TAGGING)?;
    // By position: tag keys can be long non-ASCII text, and a marker holds 320 characters.
    let (page, next) = paging::by_offset(
        &all,
        "tags",
        input.get_str("Marker"),
        max_items(&input),
        invalid_marker,
    )?;
    let items = match tags::to_document(&page, TagFormat::List) {
        Document::List(items) => items,
        _ => Vec::new(),
    };
    Ok(page_document("Tags", items, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_numbers_and_document_encoding() {
        assert_eq!(version_number("v12"), Some(12));
        assert_eq!(version_number("v1.a"), None);
        assert_eq!(
            rfc3986_encode("{\"Action\": \"s3:*\"}~"),
            "%7B%22Action%22%3A%20%22s3%3A%2A%22%7D~"
        );
        assert_eq!(rfc3986_encode("é"), "%C3%A9");
    }
}
