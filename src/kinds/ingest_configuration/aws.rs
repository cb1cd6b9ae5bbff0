//! The ingest configuration API calls, and what IVS returns in the spec form.
//!
//! Create, Get and Update answer with the stream key, a secret. Only the fields below are
//! ever read from those answers; the key itself is dropped with the response (the SDK's
//! `Debug` prints it as redacted, and the log writer redacts stream keys too).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use anyhow::Context as _;
use aws_sdk_ivsrealtime::types::{IngestConfigurationSummary, IngestProtocol};
use serde_json::{Map, Value, json};

use crate::aws::{Aws, aws_error};
use crate::kinds::ivs::{
    create_once, created_arn, deleted, no_retries, owned_id, tag_map, update_tags,
};
use crate::kinds::{Kind, Resource, default_name};
use crate::stack::model::StackFile;

/// Every ingest configuration of the region (summaries: no tags, no attributes, no stream
/// key), one paginated ListIngestConfigurations.
async fn list_all(aws: &Aws) -> anyhow::Result<Vec<IngestConfigurationSummary>> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        aws.limit("ivs", "ListIngestConfigurations").await;
        let page = aws
            .ivs
            .list_ingest_configurations()
            .max_results(100)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| aws_error("ivs:ListIngestConfigurations", e))?;
        out.extend(page.ingest_configurations().iter().cloned());
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

/// The spec fields a summary carries.
fn spec_of(s: &IngestConfigurationSummary) -> Map<String, Value> {
    let mut spec = Map::new();
    spec.insert("name".into(), json!(s.name().unwrap_or_default()));
    spec.insert("stage".into(), json!(s.stage_arn()));
    spec.insert(
        "ingest_protocol".into(),
        json!(s.ingest_protocol().as_str()),
    );
    spec.insert("user_id".into(), json!(s.user_id().unwrap_or_default()));
    spec.insert("redundant_ingest".into(), json!(s.redundant_ingest()));
    spec
}

/// What one candidate's ownership check found: its tags, and its attributes when a
/// GetIngestConfiguration was made.
type Detail = (BTreeMap<String, String>, Option<BTreeMap<String, String>>);

async fn get(aws: &Aws, arn: &str) -> anyhow::Result<Option<Detail>> {
    aws.limit("ivs", "GetIngestConfiguration").await;
    match aws.ivs.get_ingest_configuration().arn(arn).send().await {
        Ok(out) => {
            let c = out.ingest_configuration();
            Ok(Some((
                tag_map(c.and_then(|c| c.tags())),
                Some(tag_map(c.and_then(|c| c.attributes()))),
            )))
        }
        Err(e) => {
            let err = aws_error("ivs:GetIngestConfiguration", e);
            if err.is_not_found() {
                Ok(None)
            } else {
                Err(err.into())
            }
        }
    }
}

async fn tags_of(aws: &Aws, arn: &str) -> anyhow::Result<Option<BTreeMap<String, String>>> {
    aws.limit("ivs", "ListTagsForResource").await;
    match aws
        .ivs
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
    {
        Ok(out) => Ok(Some(
            out.tags()
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        )),
        Err(e) => {
            let err = aws_error("ivs:ListTagsForResource", e);
            if err.is_not_found() {
                Ok(None)
            } else {
                Err(err.into())
            }
        }
    }
}

/// Every ingest configuration the stack owns.
///
/// The list has no tags, so each candidate costs one call to prove ownership. That call is
/// ListTagsForResource (10 TPS, and it never returns a stream key: a GetIngestConfiguration
/// on every candidate would read the secret of every ingest configuration in the region,
/// ivstack's or not), except for the candidates that bear the name of a file entry whose
/// `attributes` are managed: the list lacks attributes, so those need
/// GetIngestConfiguration anyway, and it returns the tags too. One call per candidate in a
/// converged stack; a second (the Get) only for an entry with managed attributes whose live
/// name has drifted.
pub async fn observe(aws: &Aws, file: &StackFile) -> anyhow::Result<Vec<Resource>> {
    let stack = file.stack.clone();
    let detail: BTreeSet<String> = file
        .ingest_configurations
        .iter()
        .filter(|(_, c)| c.attributes.is_some())
        .map(|(id, _)| id.clone())
        .collect();
    let detail_names: BTreeSet<String> = file
        .ingest_configurations
        .iter()
        .filter(|(_, c)| c.attributes.is_some())
        .map(|(id, c)| c.name.clone().unwrap_or_else(|| default_name(file, id)))
        .collect();
    let candidates = list_all(aws).await?;
    let mut tasks = tokio::task::JoinSet::new();
    for s in candidates {
        let (aws, stack, detail) = (aws.clone(), stack.clone(), detail.clone());
        let get_first = detail_names.contains(s.name().unwrap_or_default());
        tasks.spawn(async move {
            let found = if get_first {
                get(&aws, s.arn()).await?
            } else {
                match tags_of(&aws, s.arn()).await? {
                    Some(tags) => match owned_id(&tags, &stack) {
                        Some(id) if detail.contains(&id) => get(&aws, s.arn()).await?,
                        _ => Some((tags, None)),
                    },
                    None => None,
                }
            };
            anyhow::Ok(found.map(|detail| (s, detail)))
        });
    }
    let mut out = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        // A candidate deleted between the list and its read is gone, not an error.
        let Some((s, (tags, attributes))) =
            joined.context("an ingest configuration read failed")??
        else {
            continue;
        };
        let Some(id) = owned_id(&tags, &stack) else {
            continue;
        };
        let mut spec = spec_of(&s);
        if let Some(a) = attributes {
            spec.insert("attributes".into(), json!(a));
        }
        out.push(Resource {
            kind: Kind::IngestConfiguration,
            id,
            physical_id: Some(s.arn().to_string()),
            spec,
            tags,
        });
    }
    out.sort_by(|a, b| a.physical_id.cmp(&b.physical_id));
    Ok(out)
}

/// Every ingest configuration of the region, owned or not: one GetIngestConfiguration each
/// (the list has neither tags nor attributes). Its stream key is never read.
pub async fn discover(aws: &Aws, wanted: &crate::kinds::Wanted) -> anyhow::Result<Vec<Resource>> {
    let mut tasks = tokio::task::JoinSet::new();
    for s in list_all(aws)
        .await?
        .into_iter()
        .filter(|s| wanted.wants(s.name().unwrap_or_default()))
    {
        let aws = aws.clone();
        tasks.spawn(async move { anyhow::Ok(get(&aws, s.arn()).await?.map(|d| (s, d))) });
    }
    let mut out = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        // One deleted between the list and its read is gone, not an error.
        let Some((s, (tags, attributes))) =
            joined.context("an ingest configuration read failed")??
        else {
            continue;
        };
        let mut spec = spec_of(&s);
        spec.insert("attributes".into(), json!(attributes.unwrap_or_default()));
        out.push(Resource {
            kind: Kind::IngestConfiguration,
            id: crate::kinds::discover::tagged_id(&tags),
            physical_id: Some(s.arn().to_string()),
            spec,
            tags,
        });
    }
    out.sort_by(|a, b| a.physical_id.cmp(&b.physical_id));
    Ok(out)
}

/// Create an ingest configuration with its tags (never twice: see `create_once`). The
/// answer's stream key is not read.
pub async fn create(aws: &Aws, stack: &str, d: &Resource) -> anyhow::Result<String> {
    let text = |k: &str| d.spec.get(k).and_then(Value::as_str).map(str::to_string);
    let flag = |k: &str| d.spec.get(k).and_then(Value::as_bool);
    let attributes: Option<HashMap<String, String>> = d
        .spec
        .get("attributes")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        });
    let protocol = IngestProtocol::from(text("ingest_protocol").unwrap_or_default().as_str());
    let tags: HashMap<String, String> = d.tags.clone().into_iter().collect();
    create_once(
        "ingest configuration",
        || async {
            aws.limit("ivs", "CreateIngestConfiguration").await;
            let out = aws
                .ivs
                .create_ingest_configuration()
                .name(d.name())
                .stage_arn(text("stage").unwrap_or_default())
                .set_user_id(text("user_id"))
                .set_attributes(attributes.clone())
                .ingest_protocol(protocol.clone())
                .set_insecure_ingest(flag("insecure_ingest"))
                .set_redundant_ingest(flag("redundant_ingest"))
                .set_tags(Some(tags.clone()))
                .customize()
                .config_override(no_retries())
                .send()
                .await
                .map_err(|e| aws_error("ivs:CreateIngestConfiguration", e))?;
            created_arn(
                out.ingest_configuration().map(|c| c.arn()),
                "ivs:CreateIngestConfiguration",
            )
        },
        || find(aws, stack, d),
    )
    .await
}

/// The ingest configuration that an interrupted create may have made: a candidate with
/// the desired name whose tags claim this logical id.
async fn find(aws: &Aws, stack: &str, d: &Resource) -> anyhow::Result<Option<String>> {
    for s in list_all(aws).await? {
        if s.name() != Some(d.name()) {
            continue;
        }
        if let Some(tags) = tags_of(aws, s.arn()).await?
            && owned_id(&tags, stack).as_deref() == Some(d.id.as_str())
        {
            return Ok(Some(s.arn().to_string()));
        }
    }
    Ok(None)
}

/// Move to another stage and set redundant ingest (UpdateIngestConfiguration, the only
/// in-place changes), then the tags.
pub async fn update(aws: &Aws, d: &Resource, live: &Resource) -> anyhow::Result<()> {
    let arn = live.physical_id.clone().unwrap_or_default();
    let stage = d
        .spec
        .get("stage")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let live_stage = live
        .spec
        .get("stage")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let live_redundant = live.spec.get("redundant_ingest").and_then(Value::as_bool);
    let redundant = d
        .spec
        .get("redundant_ingest")
        .and_then(Value::as_bool)
        .or(live_redundant);
    if stage != live_stage || redundant != live_redundant {
        aws.limit("ivs", "UpdateIngestConfiguration").await;
        aws.ivs
            .update_ingest_configuration()
            .arn(&arn)
            .stage_arn(stage)
            .set_redundant_ingest(redundant)
            .send()
            .await
            .map_err(|e| aws_error("ivs:UpdateIngestConfiguration", e))?;
    }
    update_tags(aws, &arn, &d.tags, &live.tags).await
}

/// Delete without `force`: a publisher streaming with it right now is not cut off; AWS
/// answers with a conflict, which says so.
pub async fn delete(aws: &Aws, live: &Resource) -> anyhow::Result<()> {
    let arn = live.physical_id.clone().unwrap_or_default();
    aws.limit("ivs", "DeleteIngestConfiguration").await;
    let outcome = aws
        .ivs
        .delete_ingest_configuration()
        .arn(&arn)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| aws_error("ivs:DeleteIngestConfiguration", e));
    deleted(
        outcome,
        "ingest configuration",
        "a publisher is streaming with it; ivstack does not cut a live stream off",
    )
}
