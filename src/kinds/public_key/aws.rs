//! The public key API calls, and what IVS returns in the spec form.

use std::collections::{BTreeSet, HashMap};

use anyhow::Context as _;
use serde_json::{Map, json};

use super::pem;
use crate::aws::{Aws, aws_error};
use crate::kinds::ivs::{
    create_once, created_arn, deleted, no_retries, owned_id, physical_id_of, tag_map,
};
use crate::kinds::{Kind, Resource};

/// The public keys `stack` owns, from one paginated ListPublicKeys (its summaries carry the
/// name and the tags, not the key).
async fn list_owned(aws: &Aws, stack: Option<&str>) -> anyhow::Result<Vec<Resource>> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        aws.limit("ivs", "ListPublicKeys").await;
        let page = aws
            .ivs
            .list_public_keys()
            .max_results(100)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| aws_error("ivs:ListPublicKeys", e))?;
        for k in page.public_keys() {
            let tags = tag_map(k.tags());
            let id = match stack {
                Some(stack) => owned_id(&tags, stack),
                None => Some(crate::kinds::discover::tagged_id(&tags)),
            };
            let (Some(id), Some(arn)) = (id, k.arn()) else {
                continue;
            };
            let mut spec = Map::new();
            spec.insert("name".into(), json!(k.name().unwrap_or_default()));
            out.push(Resource {
                kind: Kind::PublicKey,
                id,
                physical_id: Some(arn.to_string()),
                spec,
                tags,
            });
        }
        token = page
            .next_token()
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    Ok(out)
}

/// Every public key the stack owns. The key itself is always managed and only
/// GetPublicKey returns it: one Get per owned key (AWS allows 3 per region).
pub async fn observe(aws: &Aws, stack: &str) -> anyhow::Result<Vec<Resource>> {
    with_key(aws, list_owned(aws, Some(stack)).await?).await
}

/// Every public key of the region, owned or not, with its key.
pub async fn discover(aws: &Aws, wanted: &crate::kinds::Wanted) -> anyhow::Result<Vec<Resource>> {
    let mut found = list_owned(aws, None).await?;
    found.retain(|r| wanted.wants(r.name()));
    with_key(aws, found).await
}

/// `found`, each with its key (one GetPublicKey each); those deleted meanwhile are left
/// out.
async fn with_key(aws: &Aws, mut found: Vec<Resource>) -> anyhow::Result<Vec<Resource>> {
    let mut tasks = tokio::task::JoinSet::new();
    for (i, r) in found.iter().enumerate() {
        let (aws, arn) = (aws.clone(), r.physical_id.clone().unwrap_or_default());
        tasks.spawn(async move {
            aws.limit("ivs", "GetPublicKey").await;
            let out = aws.ivs.get_public_key().arn(&arn).send().await;
            (i, out.map_err(|e| aws_error("ivs:GetPublicKey", e)))
        });
    }
    let mut vanished = BTreeSet::new();
    while let Some(joined) = tasks.join_next().await {
        let (i, out) = joined.context("a GetPublicKey task failed")?;
        match out {
            Ok(out) => {
                let material = out
                    .public_key()
                    .and_then(|k| k.public_key_material())
                    .unwrap_or_default();
                // The same canonical form as the desired side; whatever IVS holds that
                // does not parse is shown as it is.
                let key = pem::canonical(material).unwrap_or_else(|_| material.trim().to_string());
                found[i].spec.insert("public_key_pem".into(), json!(key));
            }
            Err(e) if e.is_not_found() => {
                vanished.insert(i);
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(found
        .into_iter()
        .enumerate()
        .filter(|(i, _)| !vanished.contains(i))
        .map(|(_, r)| r)
        .collect())
}

/// Import a public key with its tags. A retry after an import that went through anyway
/// would be refused as a duplicate key, so `create_once` looks for it first.
pub async fn create(aws: &Aws, stack: &str, d: &Resource) -> anyhow::Result<String> {
    let material = d
        .spec
        .get("public_key_pem")
        .and_then(|k| k.as_str())
        .unwrap_or_default()
        .to_string();
    let tags: HashMap<String, String> = d.tags.clone().into_iter().collect();
    create_once(
        "public key",
        || async {
            aws.limit("ivs", "ImportPublicKey").await;
            let out = aws
                .ivs
                .import_public_key()
                .public_key_material(&material)
                .name(d.name())
                .set_tags(Some(tags.clone()))
                .customize()
                .config_override(no_retries())
                .send()
                .await
                .map_err(|e| aws_error("ivs:ImportPublicKey", e))?;
            created_arn(
                out.public_key().and_then(|k| k.arn()),
                "ivs:ImportPublicKey",
            )
        },
        || async { Ok(physical_id_of(list_owned(aws, Some(stack)).await?, &d.id)) },
    )
    .await
}

pub async fn delete(aws: &Aws, live: &Resource) -> anyhow::Result<()> {
    let arn = live.physical_id.clone().unwrap_or_default();
    aws.limit("ivs", "DeletePublicKey").await;
    let outcome = aws
        .ivs
        .delete_public_key()
        .arn(&arn)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| aws_error("ivs:DeletePublicKey", e));
    deleted(outcome, "public key", "AWS gave no reason")
}
