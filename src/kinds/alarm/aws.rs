//! The alarm API calls, and the normalisation of what DescribeAlarms returns into the
//! spec form.
//!
//! PutMetricAlarm overwrites the whole alarm, so an update sends the live alarm with the
//! managed fields replaced; tags are ignored on update and go through TagResource.

use std::collections::BTreeMap;

use anyhow::Context as _;
use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, MetricAlarm, Statistic, Tag};
use serde_json::{Map, Value, json};

use super::{NAMESPACE, sorted};
use crate::aws::{Aws, aws_error};
use crate::kinds::{Kind, Resource, TAG_ID, TAG_STACK, overlay, same, sync_tags};
use crate::stack::model::StackFile;

/// Creation defaults for fields the file leaves out.
pub(super) const DEFAULT_PERIOD: i64 = 60;
pub(super) const DEFAULT_EVALUATION_PERIODS: i64 = 1;
/// IVS publishes metrics only while a stage is active: missing data is the normal state.
pub(super) const DEFAULT_TREAT_MISSING: &str = "notBreaching";

fn strings(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = v
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out.dedup();
    out
}

/// Normalise a live alarm into the spec form: CloudWatch's implicit defaults made explicit
/// (datapoints = evaluation periods, missing data = `missing`), lists sorted.
fn from_aws(a: &MetricAlarm) -> Map<String, Value> {
    let mut dims: Vec<Value> = a
        .dimensions()
        .iter()
        .map(|d| json!({"name": d.name().unwrap_or_default(), "value": d.value().unwrap_or_default()}))
        .collect();
    dims.sort_by_key(|d| d.to_string());
    let eval = a.evaluation_periods().unwrap_or(1);
    let mut spec = Map::new();
    spec.insert("name".into(), json!(a.alarm_name().unwrap_or_default()));
    spec.insert("namespace".into(), json!(a.namespace().unwrap_or_default()));
    spec.insert("metric".into(), json!(a.metric_name().unwrap_or_default()));
    spec.insert("dimensions".into(), Value::Array(dims));
    spec.insert(
        "statistic".into(),
        json!(a.statistic().map(|s| s.as_str()).unwrap_or_default()),
    );
    spec.insert(
        "comparison".into(),
        json!(
            a.comparison_operator()
                .map(|c| c.as_str())
                .unwrap_or_default()
        ),
    );
    spec.insert("threshold".into(), json!(a.threshold().unwrap_or(0.0)));
    spec.insert("period_seconds".into(), json!(a.period().unwrap_or(60)));
    spec.insert("evaluation_periods".into(), json!(eval));
    spec.insert(
        "datapoints_to_alarm".into(),
        json!(a.datapoints_to_alarm().unwrap_or(eval)),
    );
    spec.insert(
        "treat_missing_data".into(),
        json!(a.treat_missing_data().unwrap_or("missing")),
    );
    spec.insert("alarm_actions".into(), json!(sorted(a.alarm_actions())));
    spec.insert("ok_actions".into(), json!(sorted(a.ok_actions())));
    spec.insert(
        "insufficient_data_actions".into(),
        json!(sorted(a.insufficient_data_actions())),
    );
    spec.insert(
        "description".into(),
        json!(a.alarm_description().unwrap_or_default()),
    );
    spec
}

async fn describe(
    aws: &Aws,
    prefix: Option<&str>,
    names: &[String],
) -> anyhow::Result<Vec<MetricAlarm>> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        aws.limit("monitoring", "DescribeAlarms").await;
        let page = aws
            .cloudwatch
            .describe_alarms()
            .set_alarm_name_prefix(prefix.map(str::to_string))
            .set_alarm_names((!names.is_empty()).then(|| names.to_vec()))
            .max_records(100)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| aws_error("cloudwatch:DescribeAlarms", e))?;
        out.extend(page.metric_alarms().iter().cloned());
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

/// Every alarm this stack owns. DescribeAlarms does not return tags, so candidates are
/// found by the `<stack>-` name prefix (the default names) plus the file's custom names,
/// and ownership is confirmed with one ListTagsForResource per candidate.
pub async fn observe(aws: &Aws, file: &StackFile) -> anyhow::Result<Vec<Resource>> {
    let stack = file.stack.as_str();
    let custom_names: Vec<String> = file
        .alarms
        .values()
        .filter_map(|a| a.name.clone())
        .collect();
    let prefix = format!("{stack}-");
    let mut alarms = describe(aws, Some(&prefix), &[]).await?;
    let outside: Vec<String> = custom_names
        .iter()
        .filter(|n| !n.starts_with(&prefix))
        .cloned()
        .collect();
    for chunk in outside.chunks(100) {
        alarms.extend(describe(aws, None, chunk).await?);
    }
    with_tags(aws, alarms, Some(stack)).await
}

/// The alarms of the region on `AWS/IVSRealTime` metrics that `wanted` names (all of
/// them for `discover`), owned or not: DescribeAlarms (by name, 100 a call, when names are
/// given, so that an import's plan needs DescribeAlarms on those alarms only), then
/// ListTagsForResource for each.
pub async fn discover(aws: &Aws, wanted: &crate::kinds::Wanted) -> anyhow::Result<Vec<Resource>> {
    let found = match wanted.only() {
        Some(names) => {
            let mut found = Vec::new();
            for chunk in names.chunks(100) {
                found.extend(describe(aws, None, chunk).await?);
            }
            found
        }
        None => describe(aws, None, &[]).await?,
    };
    let alarms: Vec<MetricAlarm> = found
        .into_iter()
        .filter(|a| a.namespace() == Some(NAMESPACE))
        .filter(|a| wanted.wants(a.alarm_name().unwrap_or_default()))
        .collect();
    with_tags(aws, alarms, None).await
}

/// Of `alarms`, those `stack` owns (all with `None`), in the spec form with their tags
/// (one ListTagsForResource each).
async fn with_tags(
    aws: &Aws,
    alarms: Vec<MetricAlarm>,
    stack: Option<&str>,
) -> anyhow::Result<Vec<Resource>> {
    let mut tasks = tokio::task::JoinSet::new();
    for a in alarms {
        let aws = aws.clone();
        tasks.spawn(async move {
            let Some(arn) = a.alarm_arn().map(str::to_string) else {
                return Ok(None);
            };
            aws.limit("monitoring", "ListTagsForResource").await;
            let tags = match aws
                .cloudwatch
                .list_tags_for_resource()
                .resource_arn(&arn)
                .send()
                .await
            {
                Ok(t) => t,
                Err(e) => {
                    let err = aws_error("cloudwatch:ListTagsForResource", e);
                    return if err.is_not_found() {
                        Ok(None)
                    } else {
                        Err(anyhow::Error::from(err))
                    };
                }
            };
            let tags: BTreeMap<String, String> = tags
                .tags()
                .iter()
                .map(|t| {
                    (
                        t.key().unwrap_or_default().to_string(),
                        t.value().unwrap_or_default().to_string(),
                    )
                })
                .collect();
            Ok(Some((a, arn, tags)))
        });
    }
    let mut out = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let Some((a, arn, tags)) = joined.context("an alarm read task failed")?? else {
            continue;
        };
        let id = match stack {
            Some(stack) => {
                if tags.get(TAG_STACK).map(String::as_str) != Some(stack) {
                    continue;
                }
                let Some(id) = tags.get(TAG_ID).cloned() else {
                    continue;
                };
                id
            }
            None => tags.get(TAG_ID).cloned().unwrap_or_default(),
        };
        out.push(Resource {
            kind: Kind::Alarm,
            id,
            physical_id: Some(arn),
            spec: from_aws(&a),
            tags,
        });
    }
    out.sort_by(|a, b| a.physical_id.cmp(&b.physical_id));
    Ok(out)
}

fn tags_to_aws(tags: &BTreeMap<String, String>) -> anyhow::Result<Vec<Tag>> {
    Ok(tags
        .iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect())
}

/// PutMetricAlarm with the whole spec (it overwrites every field).
async fn put_alarm(
    aws: &Aws,
    spec: &Map<String, Value>,
    tags: Option<&BTreeMap<String, String>>,
) -> anyhow::Result<()> {
    let dims: Vec<Dimension> = spec
        .get("dimensions")
        .and_then(Value::as_array)
        .map(|ds| {
            ds.iter()
                .map(|d| {
                    Dimension::builder()
                        .name(d["name"].as_str().unwrap_or_default())
                        .value(d["value"].as_str().unwrap_or_default())
                        .build()
                })
                .collect()
        })
        .unwrap_or_default();
    let int = |k: &str, default: i64| spec.get(k).and_then(Value::as_i64).unwrap_or(default) as i32;
    let text = |k: &str| spec.get(k).and_then(Value::as_str).map(str::to_string);
    let mut req = aws
        .cloudwatch
        .put_metric_alarm()
        .alarm_name(text("name").unwrap_or_default())
        .namespace(text("namespace").unwrap_or_else(|| NAMESPACE.to_string()))
        .metric_name(text("metric").unwrap_or_default())
        .set_dimensions(Some(dims))
        .statistic(Statistic::from(
            text("statistic").unwrap_or_default().as_str(),
        ))
        .comparison_operator(ComparisonOperator::from(
            text("comparison").unwrap_or_default().as_str(),
        ))
        .threshold(spec.get("threshold").and_then(Value::as_f64).unwrap_or(0.0))
        .period(int("period_seconds", DEFAULT_PERIOD))
        .evaluation_periods(int("evaluation_periods", DEFAULT_EVALUATION_PERIODS))
        .treat_missing_data(
            text("treat_missing_data").unwrap_or_else(|| DEFAULT_TREAT_MISSING.to_string()),
        )
        .set_alarm_actions(Some(strings(
            spec.get("alarm_actions").unwrap_or(&Value::Null),
        )))
        .set_ok_actions(Some(strings(
            spec.get("ok_actions").unwrap_or(&Value::Null),
        )))
        .set_insufficient_data_actions(Some(strings(
            spec.get("insufficient_data_actions")
                .unwrap_or(&Value::Null),
        )))
        .set_alarm_description(text("description"));
    if let Some(dp) = spec.get("datapoints_to_alarm").and_then(Value::as_i64) {
        req = req.datapoints_to_alarm(dp as i32);
    }
    if let Some(tags) = tags {
        req = req.set_tags(Some(tags_to_aws(tags)?));
    }
    aws.limit("monitoring", "PutMetricAlarm").await;
    req.send()
        .await
        .map_err(|e| aws_error("cloudwatch:PutMetricAlarm", e))?;
    Ok(())
}

fn arn_for(aws: &Aws, account: &str, name: &str) -> String {
    format!("arn:aws:cloudwatch:{}:{account}:alarm:{name}", aws.region)
}

/// Create the alarm, tagged (tags are only honoured by PutMetricAlarm on creation).
pub async fn create(aws: &Aws, d: &Resource) -> anyhow::Result<String> {
    put_alarm(aws, &d.spec, Some(&d.tags)).await?;
    let account = aws.account_id().await?;
    Ok(arn_for(aws, &account, d.name()))
}

/// Update in place: the live alarm with the managed fields replaced, written whole; tags
/// through Tag/UntagResource because PutMetricAlarm ignores them on update.
pub async fn update(aws: &Aws, d: &Resource, live: &Resource) -> anyhow::Result<()> {
    let merged = overlay(
        &Value::Object(live.spec.clone()),
        &Value::Object(d.spec.clone()),
    );
    let merged = merged.as_object().cloned().unwrap_or_default();
    let spec_changed = !same(
        &Value::Object(merged.clone()),
        &Value::Object(live.spec.clone()),
    );
    if spec_changed {
        put_alarm(aws, &merged, None).await?;
    }
    let arn = live.physical_id.clone().unwrap_or_default();
    sync_tags(
        &d.tags,
        &live.tags,
        async |set| {
            aws.limit("monitoring", "TagResource").await;
            aws.cloudwatch
                .tag_resource()
                .resource_arn(&arn)
                .set_tags(Some(tags_to_aws(&set)?))
                .send()
                .await
                .map_err(|e| aws_error("cloudwatch:TagResource", e))?;
            Ok(())
        },
        async |remove| {
            aws.limit("monitoring", "UntagResource").await;
            aws.cloudwatch
                .untag_resource()
                .resource_arn(&arn)
                .set_tag_keys(Some(remove))
                .send()
                .await
                .map_err(|e| aws_error("cloudwatch:UntagResource", e))?;
            Ok(())
        },
    )
    .await
}

/// Adopt it: TagResource with the ownership `tags` (nothing else changes).
pub async fn adopt(
    aws: &Aws,
    live: &Resource,
    tags: &BTreeMap<String, String>,
) -> anyhow::Result<()> {
    let arn = live.physical_id.as_deref().unwrap_or_default();
    aws.limit("monitoring", "TagResource").await;
    aws.cloudwatch
        .tag_resource()
        .resource_arn(arn)
        .set_tags(Some(tags_to_aws(tags)?))
        .send()
        .await
        .map_err(|e| aws_error("cloudwatch:TagResource", e))?;
    Ok(())
}

/// Delete the alarm; one that is already gone counts as deleted.
pub async fn delete(aws: &Aws, live: &Resource) -> anyhow::Result<()> {
    aws.limit("monitoring", "DeleteAlarms").await;
    match aws
        .cloudwatch
        .delete_alarms()
        .alarm_names(live.name())
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) => {
            let err = aws_error("cloudwatch:DeleteAlarms", e);
            if err.is_not_found() {
                Ok(())
            } else {
                Err(err.into())
            }
        }
    }
}
