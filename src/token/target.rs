//! Finding what a token is for, by ownership tags: the live stage a stack owns under a
//! logical id (ListStages, one page per 100 stages), its endpoints (GetStage, only for
//! self-signed tokens), and the imported public key a stack owns under a logical id
//! (ListPublicKeys, then GetPublicKey for its material). These reads are made once per
//! run, however many tokens are minted.

use std::collections::BTreeMap;

use anyhow::{Context as _, bail};

use super::jwt::StageTarget;
use crate::aws::{Aws, aws_error};
use crate::kinds::{ResourceKind as _, TAG_ID, TAG_STACK};
use crate::stack::model::{StackFile, Stage};

/// The ARN of the one live stage `stack` owns under logical id `id`. A clear error when
/// there is none (not applied yet) or more than one (a duplicate apply removes).
pub async fn owned_stage(
    aws: &Aws,
    stack: &StackFile,
    file: &str,
    id: &str,
) -> anyhow::Result<String> {
    // Observe only this stage, without recording: no GetStage is needed for its ARN.
    let only = StackFile {
        stages: BTreeMap::from([(id.to_string(), Stage::default())]),
        ..stack.clone()
    };
    let live: Vec<String> = Stage::observe(aws, &only)
        .await?
        .into_iter()
        .filter(|r| r.id == id)
        .filter_map(|r| r.physical_id)
        .collect();
    match live.as_slice() {
        [arn] => Ok(arn.clone()),
        [] => bail!(
            "stack `{}` has no live stage `{id}` in {} (nothing there carries the tags \
             {TAG_STACK}={} and {TAG_ID}={id}); create it with `ivstack apply {file}` first",
            stack.stack,
            stack.region,
            stack.stack
        ),
        many => bail!(
            "{} live stages claim stage `{id}` of stack `{}` ({}); which one a token is for \
             would be a guess. Run `ivstack apply {file}` to remove the duplicate, then mint again",
            many.len(),
            stack.stack,
            many.join(", ")
        ),
    }
}

/// The stage's ARN and endpoints (GetStage), for self-signed tokens.
pub async fn stage_target(aws: &Aws, arn: &str) -> anyhow::Result<StageTarget> {
    aws.limit("ivs", "GetStage").await;
    let out = aws
        .ivs
        .get_stage()
        .arn(arn)
        .send()
        .await
        .map_err(|e| aws_error("ivs:GetStage", e))?;
    let endpoints = out
        .stage()
        .and_then(|s| s.endpoints())
        .with_context(|| format!("GetStage returned no endpoints for {arn}"))?;
    let get = |v: Option<&str>, what: &str| {
        v.filter(|s| !s.is_empty())
            .map(str::to_string)
            .with_context(|| format!("GetStage returned no {what} endpoint for {arn}"))
    };
    Ok(StageTarget {
        arn: arn.to_string(),
        events_url: get(endpoints.events(), "events")?,
        whip_url: get(endpoints.whip(), "WHIP")?,
    })
}

/// An imported public key: its ARN (the tokens' `kid`) and PEM material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedKey {
    pub arn: String,
    pub material: String,
}

/// The one public key `stack` owns under logical id `id`, with its material.
pub async fn owned_public_key(
    aws: &Aws,
    stack: &StackFile,
    file: &str,
    id: &str,
) -> anyhow::Result<ImportedKey> {
    let mut found = Vec::new();
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
            let tags = k.tags();
            let tag = |name: &str| tags.and_then(|t| t.get(name)).map(String::as_str);
            if tag(TAG_STACK) == Some(stack.stack.as_str()) && tag(TAG_ID) == Some(id) {
                found.extend(k.arn().map(str::to_string));
            }
        }
        token = page
            .next_token()
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    let arn = match found.as_slice() {
        [arn] => arn.clone(),
        [] => bail!(
            "stack `{}` has no live public key `{id}` in {}; import it with `ivstack apply \
             {file}` first",
            stack.stack,
            stack.region
        ),
        many => bail!(
            "{} live public keys claim public key `{id}` of stack `{}` ({}); run `ivstack \
             apply {file}` to remove the duplicate",
            many.len(),
            stack.stack,
            many.join(", ")
        ),
    };
    aws.limit("ivs", "GetPublicKey").await;
    let out = aws
        .ivs
        .get_public_key()
        .arn(&arn)
        .send()
        .await
        .map_err(|e| aws_error("ivs:GetPublicKey", e))?;
    let material = out
        .public_key()
        .and_then(|k| k.public_key_material())
        .filter(|m| !m.is_empty())
        .with_context(|| format!("GetPublicKey returned no key material for {arn}"))?
        .to_string();
    Ok(ImportedKey { arn, material })
}
