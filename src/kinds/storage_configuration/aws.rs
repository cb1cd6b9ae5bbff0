//! The storage configuration API calls, and what IVS returns in the spec form.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use anyhow::Context as _;
use aws_sdk_ivsrealtime::types::S3StorageConfiguration;
use serde_json::{Map, json};

use crate::aws::{Aws, AwsError, aws_error};
use crate::kinds::ivs::{
    create_once, created_arn, deleted, no_retries, owned_id, physical_id_of, tag_map,
};
use crate::kinds::{Kind, Resource, TAG_PROTECT};
use crate::stack::model::StackFile;

/// Every storage configuration of the region, one paginated ListStorageConfigurations:
/// its summaries carry the name, the bucket and the tags, so nothing else is read.
async fn list_all(
    aws: &Aws,
) -> anyhow::Result<
    Vec<(
        String,
        Map<String, serde_json::Value>,
        BTreeMap<String, String>,
    )>,
> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        aws.limit("ivs", "ListStorageConfigurations").await;
        let page = aws
            .ivs
            .list_storage_configurations()
            .max_results(100)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| aws_error("ivs:ListStorageConfigurations", e))?;
        for s in page.storage_configurations() {
            let mut spec = Map::new();
            spec.insert("name".into(), json!(s.name().unwrap_or_default()));
            spec.insert(
                "s3_bucket".into(),
                json!(s.s3().map(|b| b.bucket_name()).unwrap_or_default()),
            );
            out.push((s.arn().to_string(), spec, tag_map(s.tags())));
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

/// Every storage configuration `stack` owns.
pub async fn observe(aws: &Aws, stack: &str) -> anyhow::Result<Vec<Resource>> {
    Ok(list_all(aws)
        .await?
        .into_iter()
        .filter_map(|(arn, spec, tags)| {
            Some(Resource {
                kind: Kind::StorageConfiguration,
                id: owned_id(&tags, stack)?,
                physical_id: Some(arn),
                spec,
                tags,
            })
        })
        .collect())
}

/// Every storage configuration of the region, owned or not (the list says everything).
pub async fn discover(aws: &Aws, wanted: &crate::kinds::Wanted) -> anyhow::Result<Vec<Resource>> {
    Ok(list_all(aws)
        .await?
        .into_iter()
        .filter(|(_, spec, _)| wanted.wants(spec["name"].as_str().unwrap_or_default()))
        .map(|(arn, spec, tags)| Resource {
            kind: Kind::StorageConfiguration,
            id: crate::kinds::discover::tagged_id(&tags),
            physical_id: Some(arn),
            spec,
            tags,
        })
        .collect())
}

/// Create a storage configuration with its tags (never twice: see `create_once`).
pub async fn create(aws: &Aws, stack: &str, d: &Resource) -> anyhow::Result<String> {
    let bucket = d
        .spec
        .get("s3_bucket")
        .and_then(|b| b.as_str())
        .unwrap_or_default();
    let s3 = S3StorageConfiguration::builder()
        .bucket_name(bucket)
        .build()
        .context("building the S3 location")?;
    let tags: HashMap<String, String> = d.tags.clone().into_iter().collect();
    create_once(
        "storage configuration",
        || async {
            aws.limit("ivs", "CreateStorageConfiguration").await;
            let out = aws
                .ivs
                .create_storage_configuration()
                .name(d.name())
                .s3(s3.clone())
                .set_tags(Some(tags.clone()))
                .customize()
                .config_override(no_retries())
                .send()
                .await
                .map_err(|e| aws_error("ivs:CreateStorageConfiguration", e))?;
            created_arn(
                out.storage_configuration().map(|s| s.arn()),
                "ivs:CreateStorageConfiguration",
            )
        },
        || async { Ok(physical_id_of(observe(aws, stack).await?, &d.id)) },
    )
    .await
    .map_err(|e| {
        // The one resource the request names is the bucket: it must exist first.
        if e.downcast_ref::<AwsError>()
            .is_some_and(|a| a.is_not_found())
        {
            anyhow::anyhow!(
                "{e}; the S3 bucket `{bucket}` must exist, in the stack's region, before a \
                 storage configuration names it: aws s3 mb s3://{bucket} --region {}",
                aws.region
            )
        } else {
            e
        }
    })
}

pub async fn delete(aws: &Aws, live: &Resource) -> anyhow::Result<()> {
    let arn = live.physical_id.clone().unwrap_or_default();
    aws.limit("ivs", "DeleteStorageConfiguration").await;
    let outcome = aws
        .ivs
        .delete_storage_configuration()
        .arn(&arn)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| aws_error("ivs:DeleteStorageConfiguration", e));
    deleted(outcome, "storage configuration", "a stage records to it")
}

/// The stages that record to any of `going` but that the plan cannot see recording there:
/// stages outside the stack, and the stack's own stages whose `recording` the file does
/// not manage (observation reads a stage's recording only when it does). Found with one
/// paginated ListStages and a GetStage for each stage the plan does not already see,
/// which is why this runs only when a plan deletes or replaces a storage configuration.
pub async fn users_outside(
    aws: &Aws,
    stack: &StackFile,
    observed: &[Resource],
    going: &[&Resource],
) -> anyhow::Result<BTreeMap<String, Vec<String>>> {
    let going: BTreeSet<&str> = going
        .iter()
        .filter_map(|r| r.physical_id.as_deref())
        .collect();
    // Stages whose recording the plan sees: their use is the planner's own business.
    let seen: BTreeSet<&str> = observed
        .iter()
        .filter(|r| r.kind == Kind::Stage && r.spec.contains_key("recording"))
        .filter_map(|r| r.physical_id.as_deref())
        .collect();
    let mut stages = Vec::new();
    let mut token: Option<String> = None;
    loop {
        aws.limit("ivs", "ListStages").await;
        let page = aws
            .ivs
            .list_stages()
            .max_results(100)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| aws_error("ivs:ListStages", e))?;
        for s in page.stages() {
            if !seen.contains(s.arn()) {
                stages.push((
                    s.arn().to_string(),
                    s.name().unwrap_or_default().to_string(),
                    tag_map(s.tags()),
                ));
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
    let mut tasks = tokio::task::JoinSet::new();
    for (arn, name, tags) in stages {
        let aws = aws.clone();
        tasks.spawn(async move {
            aws.limit("ivs", "GetStage").await;
            let out = aws.ivs.get_stage().arn(&arn).send().await;
            let storage = match out {
                Ok(out) => out
                    .stage()
                    .and_then(|s| s.auto_participant_recording_configuration())
                    .map(|r| r.storage_configuration_arn().to_string()),
                Err(e) => {
                    let err = aws_error("ivs:GetStage", e);
                    if !err.is_not_found() {
                        return Err(anyhow::Error::from(err));
                    }
                    None
                }
            };
            Ok((arn, name, tags, storage))
        });
    }
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    while let Some(joined) = tasks.join_next().await {
        let (arn, name, tags, storage) = joined.context("a GetStage task failed")??;
        let Some(storage) = storage.filter(|s| going.contains(s.as_str())) else {
            continue;
        };
        out.entry(storage)
            .or_default()
            .push(describe_user(stack, &arn, &name, &tags));
    }
    for users in out.values_mut() {
        users.sort();
    }
    Ok(out)
}

/// A stage that records to a storage configuration, in words, from where it stands.
fn describe_user(
    stack: &StackFile,
    arn: &str,
    name: &str,
    tags: &BTreeMap<String, String>,
) -> String {
    match owned_id(tags, &stack.stack) {
        Some(id) if stack.stages.contains_key(&id) => format!(
            "stage `{id}` of this stack records to it, and the stack file does not manage \
             that stage's `recording` (add `recording:` to stage `{id}` to move it)"
        ),
        Some(id) if tags.get(TAG_PROTECT).map(String::as_str) == Some("true") => {
            format!("stage `{id}` of this stack, which is protected, records to it")
        }
        Some(id) => format!("stage `{id}` of this stack records to it"),
        None => match tags.get(crate::kinds::TAG_STACK) {
            Some(other) => format!("stage `{name}` ({arn}) of stack `{other}` records to it"),
            None => {
                format!("stage `{name}` ({arn}), which no ivstack stack manages, records to it")
            }
        },
    }
}
