//! The budget API calls, and the normalisation of what DescribeBudgets returns (decimal
//! amounts) into the spec form.
//!
//! Notifications have no id in the Budgets API; they are matched by value, and apply
//! changes them one by one instead of recreating the budget.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Context as _;
use aws_sdk_budgets::types::{
    Budget as AwsBudget, BudgetType, ComparisonOperator, Dimension, Expression,
    ExpressionDimensionValues, MatchOption, Metric, Notification, NotificationType,
    NotificationWithSubscribers, ResourceTag, Spend, Subscriber, SubscriptionType, TagValues,
    ThresholdType, TimeUnit,
};
use serde_json::{Map, Value, json};

use super::{format_amount, notification, parse_amount, scope_spec, sort_notifications};
use crate::aws::{Aws, aws_error};
use crate::kinds::{Kind, Resource, TAG_ID, TAG_STACK, same, sync_tags};
use crate::stack::model::{IVS_SERVICE_NAME, StackFile};

fn scope_from_aws(b: &AwsBudget) -> Value {
    let mut service = String::new();
    let mut stack_tag = None;
    let mut visit = |e: &Expression| {
        if let Some(d) = &e.dimensions
            && d.key == Dimension::Service
        {
            service = d.values.first().cloned().unwrap_or_default();
        }
        if let Some(t) = &e.tags
            && t.key.as_deref() == Some(TAG_STACK)
        {
            stack_tag = t.values.as_ref().and_then(|v| v.first().cloned());
        }
    };
    if let Some(e) = &b.filter_expression {
        visit(e);
        for inner in e.and.as_deref().unwrap_or_default() {
            visit(inner);
        }
    }
    scope_spec(&service, stack_tag.as_deref())
}

fn expression(scope: &Value) -> anyhow::Result<Expression> {
    let service = Expression::builder()
        .dimensions(
            ExpressionDimensionValues::builder()
                .key(Dimension::Service)
                .values(scope["service"].as_str().unwrap_or(IVS_SERVICE_NAME))
                .match_options(MatchOption::Equals)
                .build()
                .context("building the budget's service filter")?,
        )
        .build();
    Ok(match scope["stack_tag"].as_str() {
        None => service,
        Some(stack) => Expression::builder()
            .and(service)
            .and(
                Expression::builder()
                    .tags(
                        TagValues::builder()
                            .key(TAG_STACK)
                            .values(stack)
                            .match_options(MatchOption::Equals)
                            .build(),
                    )
                    .build(),
            )
            .build(),
    })
}

fn budget_to_aws(spec: &Map<String, Value>) -> anyhow::Result<AwsBudget> {
    let limit = spec.get("limit_usd").and_then(Value::as_f64).unwrap_or(0.0);
    AwsBudget::builder()
        .budget_name(spec.get("name").and_then(Value::as_str).unwrap_or_default())
        .budget_limit(
            Spend::builder()
                .amount(format_amount(limit))
                .unit("USD")
                .build()
                .context("building the budget limit")?,
        )
        .time_unit(TimeUnit::from(
            spec.get("period")
                .and_then(Value::as_str)
                .unwrap_or("MONTHLY"),
        ))
        .budget_type(BudgetType::Cost)
        .filter_expression(expression(spec.get("scope").unwrap_or(&Value::Null))?)
        .metrics(Metric::UnblendedCost)
        .build()
        .context("building the budget")
}

fn notification_to_aws(n: &Value) -> anyhow::Result<Notification> {
    Notification::builder()
        .notification_type(NotificationType::from(
            n["type"].as_str().unwrap_or("ACTUAL"),
        ))
        .comparison_operator(ComparisonOperator::GreaterThan)
        .threshold(n["percent"].as_f64().unwrap_or(100.0))
        .threshold_type(ThresholdType::Percentage)
        .build()
        .context("building a budget notification")
}

fn subscriber_to_aws(s: &str) -> anyhow::Result<Subscriber> {
    let (kind, address) = match s.split_once(':') {
        Some(("sns", a)) => (SubscriptionType::Sns, a),
        Some((_, a)) => (SubscriptionType::Email, a),
        None => (SubscriptionType::Email, s),
    };
    Subscriber::builder()
        .subscription_type(kind)
        .address(address)
        .build()
        .context("building a budget subscriber")
}

fn subscriber_key(s: &Subscriber) -> String {
    match s.subscription_type {
        SubscriptionType::Sns => format!("sns:{}", s.address),
        _ => format!("email:{}", s.address),
    }
}

fn notification_key(n: &Value) -> (String, i64) {
    (
        n["type"].as_str().unwrap_or("").to_string(),
        (n["percent"].as_f64().unwrap_or(0.0) * 1000.0).round() as i64,
    )
}

fn budget_arn(account: &str, name: &str) -> String {
    format!("arn:aws:budgets::{account}:budget/{name}")
}

fn tags_to_aws(tags: &BTreeMap<String, String>) -> anyhow::Result<Vec<ResourceTag>> {
    tags.iter()
        .map(|(k, v)| {
            ResourceTag::builder()
                .key(k)
                .value(v)
                .build()
                .context("building a budget tag")
        })
        .collect()
}

/// Every budget this stack owns: DescribeBudgets (with the filter expression shown), then
/// for each candidate (default `<stack>-` names and the file's custom names) its tags, and
/// for the owned ones their notifications and subscribers.
pub async fn observe(aws: &Aws, file: &StackFile) -> anyhow::Result<Vec<Resource>> {
    let stack = file.stack.as_str();
    let custom_names: Vec<String> = file
        .budgets
        .values()
        .filter_map(|b| b.name.clone())
        .collect();
    let account = aws.account_id().await?;
    let prefix = format!("{stack}-");
    let wanted: BTreeSet<&String> = custom_names.iter().collect();
    let candidates: Vec<AwsBudget> = list_budgets(aws, &account)
        .await?
        .into_iter()
        .filter(|b| b.budget_name.starts_with(&prefix) || wanted.contains(&b.budget_name))
        .collect();
    read_all(aws, &account, candidates, Some(stack)).await
}

/// Every budget of the account scoped to IVS, owned or not, with its tags, notifications
/// and subscribers.
pub async fn discover(aws: &Aws, wanted: &crate::kinds::Wanted) -> anyhow::Result<Vec<Resource>> {
    let account = aws.account_id().await?;
    let ivs: Vec<AwsBudget> = list_budgets(aws, &account)
        .await?
        .into_iter()
        .filter(|b| wanted.wants(&b.budget_name))
        .filter(|b| scope_from_aws(b)["service"].as_str() == Some(IVS_SERVICE_NAME))
        .collect();
    read_all(aws, &account, ivs, None).await
}

/// Of `candidates`, those `stack` owns (all with `None`), read in full.
async fn read_all(
    aws: &Aws,
    account: &str,
    candidates: Vec<AwsBudget>,
    stack: Option<&str>,
) -> anyhow::Result<Vec<Resource>> {
    let mut tasks = tokio::task::JoinSet::new();
    for b in candidates {
        let (aws, account, stack) = (aws.clone(), account.to_string(), stack.map(str::to_string));
        tasks.spawn(async move { observe_one(&aws, &account, stack.as_deref(), b).await });
    }
    let mut out = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        if let Some(r) = joined.context("a budget read task failed")?? {
            out.push(r);
        }
    }
    out.sort_by(|a, b| a.physical_id.cmp(&b.physical_id));
    Ok(out)
}

/// Every budget of the account (one paginated DescribeBudgets, filter expressions shown).
async fn list_budgets(aws: &Aws, account: &str) -> anyhow::Result<Vec<AwsBudget>> {
    let mut candidates = Vec::new();
    let mut token: Option<String> = None;
    loop {
        aws.limit("budgets", "DescribeBudgets").await;
        let page = aws
            .budgets
            .describe_budgets()
            .account_id(account)
            .max_results(100)
            .show_filter_expression(true)
            .set_next_token(token.clone())
            .send()
            .await;
        let page = match page {
            Ok(p) => p,
            Err(e) => {
                let err = aws_error("budgets:DescribeBudgets", e);
                // Budgets answers NotFound when the account has no budget at all.
                if err.is_not_found() {
                    break;
                }
                return Err(err.into());
            }
        };
        candidates.extend(page.budgets().iter().cloned());
        token = page
            .next_token()
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    Ok(candidates)
}

async fn observe_one(
    aws: &Aws,
    account: &str,
    stack: Option<&str>,
    b: AwsBudget,
) -> anyhow::Result<Option<Resource>> {
    let name = b.budget_name.clone();
    let arn = budget_arn(account, &name);
    aws.limit("budgets", "ListTagsForResource").await;
    let tags: BTreeMap<String, String> = match aws
        .budgets
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
    {
        Ok(t) => t
            .resource_tags()
            .iter()
            .map(|t| (t.key.clone(), t.value.clone()))
            .collect(),
        Err(e) => {
            let err = aws_error("budgets:ListTagsForResource", e);
            return if err.is_not_found() {
                Ok(None)
            } else {
                Err(err.into())
            };
        }
    };
    let id = match stack {
        Some(stack) => {
            if tags.get(TAG_STACK).map(String::as_str) != Some(stack) {
                return Ok(None);
            }
            let Some(id) = tags.get(TAG_ID).cloned() else {
                return Ok(None);
            };
            id
        }
        None => tags.get(TAG_ID).cloned().unwrap_or_default(),
    };
    let mut notes = Vec::new();
    let mut token: Option<String> = None;
    loop {
        aws.limit("budgets", "DescribeNotificationsForBudget").await;
        let page = aws
            .budgets
            .describe_notifications_for_budget()
            .account_id(account)
            .budget_name(&name)
            .max_results(100)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| aws_error("budgets:DescribeNotificationsForBudget", e))?;
        notes.extend(page.notifications().iter().cloned());
        token = page
            .next_token()
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    let mut spec_notes = Vec::new();
    for n in notes {
        aws.limit("budgets", "DescribeSubscribersForNotification")
            .await;
        let subs = aws
            .budgets
            .describe_subscribers_for_notification()
            .account_id(account)
            .budget_name(&name)
            .notification(n.clone())
            .max_results(100)
            .send()
            .await
            .map_err(|e| aws_error("budgets:DescribeSubscribersForNotification", e))?;
        let kind = n.notification_type.as_str().to_string();
        spec_notes.push(notification(
            &kind,
            n.threshold,
            subs.subscribers().iter().map(subscriber_key).collect(),
        ));
    }
    let mut spec = Map::new();
    spec.insert("name".into(), json!(name));
    let amount = b
        .budget_limit
        .as_ref()
        .and_then(|s| parse_amount(&s.amount))
        .unwrap_or(0.0);
    spec.insert("limit_usd".into(), json!(amount));
    spec.insert("period".into(), json!(b.time_unit.as_str()));
    spec.insert("scope".into(), scope_from_aws(&b));
    spec.insert(
        "notifications".into(),
        Value::Array(sort_notifications(spec_notes)),
    );
    Ok(Some(Resource {
        kind: Kind::Budget,
        id,
        physical_id: Some(arn),
        spec,
        tags,
    }))
}

/// Adopt it: TagResource with the ownership `tags` (nothing else changes).
pub async fn adopt(
    aws: &Aws,
    live: &Resource,
    tags: &BTreeMap<String, String>,
) -> anyhow::Result<()> {
    let arn = live.physical_id.as_deref().unwrap_or_default();
    aws.limit("budgets", "TagResource").await;
    aws.budgets
        .tag_resource()
        .resource_arn(arn)
        .set_resource_tags(Some(tags_to_aws(tags)?))
        .send()
        .await
        .map_err(|e| aws_error("budgets:TagResource", e))?;
    Ok(())
}

/// Create the budget with its notifications, subscribers and tags in one call.
pub async fn create(aws: &Aws, d: &Resource) -> anyhow::Result<String> {
    let account = aws.account_id().await?;
    let mut with_subs = Vec::new();
    for n in d
        .spec
        .get("notifications")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let subs = n["subscribers"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(subscriber_to_aws)
            .collect::<anyhow::Result<Vec<_>>>()?;
        with_subs.push(
            NotificationWithSubscribers::builder()
                .notification(notification_to_aws(n)?)
                .set_subscribers(Some(subs))
                .build()
                .context("building a budget notification")?,
        );
    }
    aws.limit("budgets", "CreateBudget").await;
    aws.budgets
        .create_budget()
        .account_id(&account)
        .budget(budget_to_aws(&d.spec)?)
        .set_notifications_with_subscribers(Some(with_subs))
        .set_resource_tags(Some(tags_to_aws(&d.tags)?))
        .send()
        .await
        .map_err(|e| aws_error("budgets:CreateBudget", e))?;
    Ok(budget_arn(&account, d.name()))
}

/// Update in place: UpdateBudget for the limit, period and scope; notifications and
/// subscribers one by one (matched by value); tags through Tag/UntagResource.
pub async fn update(aws: &Aws, d: &Resource, live: &Resource) -> anyhow::Result<()> {
    let account = aws.account_id().await?;
    let name = live.name().to_string();
    let differs = |k: &str| {
        d.spec
            .get(k)
            .is_some_and(|dv| !live.spec.get(k).is_some_and(|lv| same(dv, lv)))
    };
    if differs("limit_usd") || differs("period") || differs("scope") {
        aws.limit("budgets", "UpdateBudget").await;
        aws.budgets
            .update_budget()
            .account_id(&account)
            .new_budget(budget_to_aws(&d.spec)?)
            .send()
            .await
            .map_err(|e| aws_error("budgets:UpdateBudget", e))?;
    }
    if differs("notifications") {
        let empty = Vec::new();
        let want = d
            .spec
            .get("notifications")
            .and_then(Value::as_array)
            .unwrap_or(&empty);
        let have = live
            .spec
            .get("notifications")
            .and_then(Value::as_array)
            .unwrap_or(&empty);
        let have_by: BTreeMap<_, _> = have.iter().map(|n| (notification_key(n), n)).collect();
        let want_by: BTreeMap<_, _> = want.iter().map(|n| (notification_key(n), n)).collect();
        for (key, n) in &have_by {
            if !want_by.contains_key(key) {
                aws.limit("budgets", "DeleteNotification").await;
                aws.budgets
                    .delete_notification()
                    .account_id(&account)
                    .budget_name(&name)
                    .notification(notification_to_aws(n)?)
                    .send()
                    .await
                    .map_err(|e| aws_error("budgets:DeleteNotification", e))?;
            }
        }
        for (key, n) in &want_by {
            let want_subs: BTreeSet<&str> = n["subscribers"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            match have_by.get(key) {
                None => {
                    let subs = want_subs
                        .iter()
                        .map(|s| subscriber_to_aws(s))
                        .collect::<anyhow::Result<Vec<_>>>()?;
                    aws.limit("budgets", "CreateNotification").await;
                    aws.budgets
                        .create_notification()
                        .account_id(&account)
                        .budget_name(&name)
                        .notification(notification_to_aws(n)?)
                        .set_subscribers(Some(subs))
                        .send()
                        .await
                        .map_err(|e| aws_error("budgets:CreateNotification", e))?;
                }
                Some(h) => {
                    let have_subs: BTreeSet<&str> = h["subscribers"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .collect();
                    let note = notification_to_aws(n)?;
                    // Add before removing: deleting a notification's last subscriber
                    // deletes the notification itself.
                    for s in want_subs.difference(&have_subs) {
                        aws.limit("budgets", "CreateSubscriber").await;
                        aws.budgets
                            .create_subscriber()
                            .account_id(&account)
                            .budget_name(&name)
                            .notification(note.clone())
                            .subscriber(subscriber_to_aws(s)?)
                            .send()
                            .await
                            .map_err(|e| aws_error("budgets:CreateSubscriber", e))?;
                    }
                    for s in have_subs.difference(&want_subs) {
                        aws.limit("budgets", "DeleteSubscriber").await;
                        aws.budgets
                            .delete_subscriber()
                            .account_id(&account)
                            .budget_name(&name)
                            .notification(note.clone())
                            .subscriber(subscriber_to_aws(s)?)
                            .send()
                            .await
                            .map_err(|e| aws_error("budgets:DeleteSubscriber", e))?;
                    }
                }
            }
        }
    }
    let arn = live
        .physical_id
        .clone()
        .unwrap_or_else(|| budget_arn(&account, &name));
    sync_tags(
        &d.tags,
        &live.tags,
        async |set| {
            aws.limit("budgets", "TagResource").await;
            aws.budgets
                .tag_resource()
                .resource_arn(&arn)
                .set_resource_tags(Some(tags_to_aws(&set)?))
                .send()
                .await
                .map_err(|e| aws_error("budgets:TagResource", e))?;
            Ok(())
        },
        async |remove| {
            aws.limit("budgets", "UntagResource").await;
            aws.budgets
                .untag_resource()
                .resource_arn(&arn)
                .set_resource_tag_keys(Some(remove))
                .send()
                .await
                .map_err(|e| aws_error("budgets:UntagResource", e))?;
            Ok(())
        },
    )
    .await
}

/// Delete the budget (its notifications and subscribers go with it).
pub async fn delete(aws: &Aws, live: &Resource) -> anyhow::Result<()> {
    let account = aws.account_id().await?;
    aws.limit("budgets", "DeleteBudget").await;
    match aws
        .budgets
        .delete_budget()
        .account_id(&account)
        .budget_name(live.name())
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) => {
            let err = aws_error("budgets:DeleteBudget", e);
            if err.is_not_found() {
                Ok(())
            } else {
                Err(err.into())
            }
        }
    }
}
