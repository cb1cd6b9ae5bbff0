//! The IAM policy API calls, and the normalisation of what IAM returns (URL-encoded
//! documents, compared by meaning) into the spec form.

use std::collections::BTreeMap;

use anyhow::Context as _;
use aws_sdk_iam::types::{PolicyScopeType, Tag};
use serde_json::{Map, Value, json};

use super::path_for;
use crate::aws::{Aws, aws_error};
use crate::kinds::{Kind, Resource, TAG_ID, Wanted, iam_document, sync_tags};

/// IAM keeps at most this many versions of a managed policy.
const MAX_VERSIONS: usize = 5;

/// The document as sent to IAM: canonical, minified.
fn document_text(d: &Resource) -> anyhow::Result<String> {
    let pretty = d
        .spec
        .get("document")
        .and_then(Value::as_str)
        .unwrap_or("{}");
    let doc: Value =
        serde_json::from_str(pretty).context("the desired policy document is not JSON")?;
    Ok(iam_document::to_minified(&doc))
}

fn tags_to_aws(tags: &BTreeMap<String, String>) -> anyhow::Result<Vec<Tag>> {
    tags.iter()
        .map(|(k, v)| {
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .context("building an IAM tag")
        })
        .collect()
}

/// Every policy this stack owns: ListPolicies under the stack's path (one call per 100),
/// then GetPolicy (tags, description) and the default version's document for each.
pub async fn observe(aws: &Aws, stack: &str) -> anyhow::Result<Vec<Resource>> {
    let arns = list_arns(aws, Some(&path_for(stack)), &Wanted::all()).await?;
    let mut tasks = tokio::task::JoinSet::new();
    for arn in arns {
        let aws = aws.clone();
        tasks.spawn(async move { observe_one(&aws, &arn, true).await });
    }
    let mut out = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        if let Some(r) = joined.context("a policy read task failed")?? {
            out.push(r);
        }
    }
    out.sort_by(|a, b| a.physical_id.cmp(&b.physical_id));
    Ok(out)
}

/// Every customer-managed policy of the account, on any path and owned or not, whose
/// document names IVS (an `ivs:` action or an IVS ARN): ListPolicies, then GetPolicy and
/// the default version's document for each.
pub async fn discover(aws: &Aws, wanted: &Wanted) -> anyhow::Result<Vec<Resource>> {
    let arns = list_arns(aws, None, wanted).await?;
    let mut tasks = tokio::task::JoinSet::new();
    for arn in arns {
        let aws = aws.clone();
        tasks.spawn(async move { observe_one(&aws, &arn, false).await });
    }
    let mut out = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        if let Some(r) = joined.context("a policy read task failed")??
            && names_ivs(&r)
        {
            out.push(r);
        }
    }
    out.sort_by(|a, b| a.physical_id.cmp(&b.physical_id));
    Ok(out)
}

/// Whether a policy's document names IVS: an `ivs:` action or an IVS ARN.
fn names_ivs(r: &Resource) -> bool {
    let doc = r.spec.get("document").and_then(Value::as_str).unwrap_or("");
    let lower = doc.to_ascii_lowercase();
    lower.contains("\"ivs:") || lower.contains(":ivs:")
}

/// The ARNs of the account's customer-managed policies (under `path` when given) whose
/// names `wanted` wants.
async fn list_arns(aws: &Aws, path: Option<&str>, wanted: &Wanted) -> anyhow::Result<Vec<String>> {
    let mut arns = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        aws.limit("iam", "ListPolicies").await;
        let page = aws
            .iam
            .list_policies()
            .scope(PolicyScopeType::Local)
            .set_path_prefix(path.map(str::to_string))
            .max_items(1000)
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(|e| aws_error("iam:ListPolicies", e))?;
        for p in page.policies() {
            if let Some(arn) = p.arn()
                && wanted.wants(p.policy_name().unwrap_or_default())
            {
                arns.push(arn.to_string());
            }
        }
        marker = page.marker().map(str::to_string);
        if !page.is_truncated() || marker.is_none() {
            break;
        }
    }
    Ok(arns)
}

/// One policy in the spec form; with `owned_only`, `None` for one without an `ivstack:id`.
async fn observe_one(aws: &Aws, arn: &str, owned_only: bool) -> anyhow::Result<Option<Resource>> {
    aws.limit("iam", "GetPolicy").await;
    let got = match aws.iam.get_policy().policy_arn(arn).send().await {
        Ok(o) => o,
        Err(e) => {
            let err = aws_error("iam:GetPolicy", e);
            return if err.is_not_found() {
                Ok(None)
            } else {
                Err(err.into())
            };
        }
    };
    let Some(policy) = got.policy() else {
        return Ok(None);
    };
    let tags: BTreeMap<String, String> = policy
        .tags()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect();
    let id = match tags.get(TAG_ID) {
        Some(id) => id.clone(),
        // Under our path but not tagged by us: not ours to manage.
        None if owned_only => return Ok(None),
        None => String::new(),
    };
    let version = policy.default_version_id().unwrap_or("v1");
    aws.limit("iam", "GetPolicyVersion").await;
    let doc_text = aws
        .iam
        .get_policy_version()
        .policy_arn(arn)
        .version_id(version)
        .send()
        .await
        .map_err(|e| aws_error("iam:GetPolicyVersion", e))?
        .policy_version()
        .and_then(|v| v.document().map(str::to_string))
        .unwrap_or_default();
    let doc = iam_document::decode(&doc_text).map_err(|e| {
        anyhow::anyhow!("IAM returned a policy document that is not JSON ({arn}): {e}")
    })?;
    let mut spec = Map::new();
    spec.insert(
        "name".into(),
        json!(policy.policy_name().unwrap_or_default()),
    );
    spec.insert("path".into(), json!(policy.path().unwrap_or("/")));
    spec.insert(
        "description".into(),
        json!(policy.description().unwrap_or_default()),
    );
    spec.insert("document".into(), json!(iam_document::to_pretty(&doc)));
    Ok(Some(Resource {
        kind: Kind::Policy,
        id,
        physical_id: Some(arn.to_string()),
        spec,
        tags,
    }))
}

/// Adopt it: TagPolicy with the ownership `tags` (nothing else changes).
pub async fn adopt(
    aws: &Aws,
    live: &Resource,
    tags: &BTreeMap<String, String>,
) -> anyhow::Result<()> {
    let arn = live.physical_id.as_deref().unwrap_or_default();
    aws.limit("iam", "TagPolicy").await;
    aws.iam
        .tag_policy()
        .policy_arn(arn)
        .set_tags(Some(tags_to_aws(tags)?))
        .send()
        .await
        .map_err(|e| aws_error("iam:TagPolicy", e))?;
    Ok(())
}

/// Create the policy with its tags in one call.
pub async fn create(aws: &Aws, d: &Resource) -> anyhow::Result<String> {
    aws.limit("iam", "CreatePolicy").await;
    let out = aws
        .iam
        .create_policy()
        .policy_name(d.name())
        .path(d.spec.get("path").and_then(Value::as_str).unwrap_or("/"))
        .set_description(
            d.spec
                .get("description")
                .and_then(Value::as_str)
                .map(str::to_string),
        )
        .policy_document(document_text(d)?)
        .set_tags(Some(tags_to_aws(&d.tags)?))
        .send()
        .await
        .map_err(|e| aws_error("iam:CreatePolicy", e))?;
    out.policy()
        .and_then(|p| p.arn())
        .map(str::to_string)
        .context("CreatePolicy returned no ARN")
}

/// Update in place: a new default version when the document changed (pruning the oldest
/// non-default version first when IAM's five are used up), TagPolicy/UntagPolicy for tags.
pub async fn update(aws: &Aws, d: &Resource, live: &Resource) -> anyhow::Result<()> {
    let arn = live.physical_id.clone().unwrap_or_default();
    if d.spec.get("document") != live.spec.get("document") {
        aws.limit("iam", "ListPolicyVersions").await;
        let versions = aws
            .iam
            .list_policy_versions()
            .policy_arn(&arn)
            .send()
            .await
            .map_err(|e| aws_error("iam:ListPolicyVersions", e))?;
        let mut old: Vec<_> = versions
            .versions()
            .iter()
            .filter(|v| !v.is_default_version())
            .collect();
        if versions.versions().len() >= MAX_VERSIONS {
            old.sort_by_key(|v| v.create_date().map(|d| d.secs()).unwrap_or(0));
            if let Some(oldest) = old.first().and_then(|v| v.version_id()) {
                aws.limit("iam", "DeletePolicyVersion").await;
                aws.iam
                    .delete_policy_version()
                    .policy_arn(&arn)
                    .version_id(oldest)
                    .send()
                    .await
                    .map_err(|e| aws_error("iam:DeletePolicyVersion", e))?;
            }
        }
        aws.limit("iam", "CreatePolicyVersion").await;
        aws.iam
            .create_policy_version()
            .policy_arn(&arn)
            .policy_document(document_text(d)?)
            .set_as_default(true)
            .send()
            .await
            .map_err(|e| aws_error("iam:CreatePolicyVersion", e))?;
    }
    sync_tags(
        &d.tags,
        &live.tags,
        async |set| {
            aws.limit("iam", "TagPolicy").await;
            aws.iam
                .tag_policy()
                .policy_arn(&arn)
                .set_tags(Some(tags_to_aws(&set)?))
                .send()
                .await
                .map_err(|e| aws_error("iam:TagPolicy", e))?;
            Ok(())
        },
        async |remove| {
            aws.limit("iam", "UntagPolicy").await;
            aws.iam
                .untag_policy()
                .policy_arn(&arn)
                .set_tag_keys(Some(remove))
                .send()
                .await
                .map_err(|e| aws_error("iam:UntagPolicy", e))?;
            Ok(())
        },
    )
    .await
}

/// Delete the policy: its non-default versions first (IAM refuses otherwise), then the
/// policy. A policy that is already gone counts as deleted.
pub async fn delete(aws: &Aws, live: &Resource) -> anyhow::Result<()> {
    let arn = live.physical_id.clone().unwrap_or_default();
    aws.limit("iam", "ListPolicyVersions").await;
    let versions = match aws.iam.list_policy_versions().policy_arn(&arn).send().await {
        Ok(v) => v,
        Err(e) => {
            let err = aws_error("iam:ListPolicyVersions", e);
            return if err.is_not_found() {
                Ok(())
            } else {
                Err(err.into())
            };
        }
    };
    for v in versions
        .versions()
        .iter()
        .filter(|v| !v.is_default_version())
    {
        let Some(vid) = v.version_id() else { continue };
        aws.limit("iam", "DeletePolicyVersion").await;
        if let Err(e) = aws
            .iam
            .delete_policy_version()
            .policy_arn(&arn)
            .version_id(vid)
            .send()
            .await
        {
            let err = aws_error("iam:DeletePolicyVersion", e);
            if !err.is_not_found() {
                return Err(err.into());
            }
        }
    }
    aws.limit("iam", "DeletePolicy").await;
    match aws.iam.delete_policy().policy_arn(&arn).send().await {
        Ok(_) => Ok(()),
        Err(e) => {
            let err = aws_error("iam:DeletePolicy", e);
            if err.is_not_found() {
                Ok(())
            } else if err.code_is("DeleteConflict") {
                Err(anyhow::Error::new(err).context(format!(
                    "policy {arn} is still attached to users, groups or roles; detach it \
                     (aws iam list-entities-for-policy --policy-arn {arn}) and run again"
                )))
            } else {
                Err(err.into())
            }
        }
    }
}
